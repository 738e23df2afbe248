//! Deploying into what Copilot already runs: the environment and the service
//! found from Copilot's stacks, the generated-name service updated in place.

use serde_json::Value;

use crate::support::{Stage, changes, run};

/// `deploy api --env test -v` with nothing but the environment and `extra`.
pub(crate) fn deploy(s: &Stage, extra: &[&str]) -> (crate::support::Run, Value) {
    let mut args = vec!["-v"];
    args.extend(extra);
    s.deploy_in_env("api", &args)
}

/// The Copilot-deployed service, as ECS describes it.
pub(crate) async fn copilot_service(
    s: &Stage,
    stacks: &crate::support::copilot::CopilotStacks,
) -> aws_sdk_ecs::types::Service {
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    ecs.describe_services()
        .cluster(&stacks.cluster)
        .services(&stacks.service_arn)
        .send()
        .await
        .unwrap()
        .services()[0]
        .clone()
}

pub(crate) async fn stack_exists(cfn: &aws_sdk_cloudformation::Client, name: &str) -> bool {
    cfn.describe_stacks().stack_name(name).send().await.is_ok()
}

pub(crate) async fn services_in(s: &Stage, cluster: &str) -> Vec<String> {
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    match ecs.list_services().cluster(cluster).send().await {
        Ok(o) => o.service_arns().to_vec(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copilot_service_is_found_from_its_stacks_and_updated_in_place() {
    let s = Stage::new("copilotsvc");
    let stacks = s.copilot_stacks().await;
    assert!(
        stacks
            .cluster
            .starts_with(&format!("{}-test-Cluster-", s.app)),
        "CloudFormation named the cluster: {}",
        stacks.cluster
    );

    let (r, report) = deploy(&s, &["--image-tag", "v2"]);
    r.assert_code(0);
    assert_eq!(
        report["serviceArn"],
        stacks.service_arn.as_str(),
        "the same service"
    );
    assert_eq!(report["cluster"], stacks.cluster.as_str());
    assert!(
        r.stderr.contains(&format!(
            "from the outputs of the stack {}",
            stacks.env_stack
        )) && r.stderr.contains(&format!(
            "from the Service resource of the stack {}",
            stacks.svc_stack
        )),
        "-v says where each fact came from:\n{}",
        r.stderr
    );
    assert_eq!(
        services_in(&s, &stacks.cluster).await,
        std::slice::from_ref(&stacks.service_arn)
    );
    assert!(
        services_in(&s, &format!("{}-test", s.app)).await.is_empty(),
        "no second service in a cluster of sidecarctl's default name"
    );
    // Copilot's target group and listener rule serve the service as they did.
    let done = changes(&report);
    assert!(
        !done
            .iter()
            .any(|c| c.contains("target group") || c.contains("rule")),
        "Copilot's load balancer resources are kept as they are: {done:?}"
    );
    assert_eq!(copilot_service(&s, &stacks).await.load_balancers().len(), 1);

    // The new revision joins Copilot's family, with the variable Copilot set.
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let td_arn = copilot_service(&s, &stacks)
        .await
        .task_definition()
        .unwrap()
        .to_string();
    let td = ecs
        .describe_task_definition()
        .task_definition(&td_arn)
        .send()
        .await
        .unwrap();
    let td = td.task_definition().unwrap();
    assert_eq!(td.family(), Some(s.family().as_str()));
    assert!(
        td.revision() > stacks.revision,
        "a new revision of Copilot's family"
    );
    let api = td
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some("api"))
        .unwrap();
    let lb_dns = api
        .environment()
        .iter()
        .find(|kv| kv.name() == Some("COPILOT_LB_DNS"))
        .and_then(|kv| kv.value());
    assert_eq!(lb_dns, Some(stacks.lb_dns.as_str()));

    // A second deploy finds it again; status finds it the same way.
    let (r, report) = deploy(&s, &["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["serviceArn"], stacks.service_arn.as_str());
    let st = run(s
        .cmd()
        .args(["status", "api", "--env", "test", "-o", "json"]));
    st.assert_code(0);
    let v: Value = serde_json::from_str(&st.stdout).unwrap();
    assert_eq!(v["cluster"], stacks.cluster.as_str(), "{v}");
    assert_eq!(v["serviceArn"], stacks.service_arn.as_str(), "{v}");
}

/// The example manifest with `from_cfn` in every place Copilot takes it.
fn with_exports(s: &Stage, text: &str, missing: Option<&str>) -> String {
    let app = &s.app;
    let queue = missing.unwrap_or("QueueURL");
    let replace = [
        (
            "  LOG_LEVEL: info\n".to_string(),
            format!("  LOG_LEVEL: info\n  QUEUE_URL:\n    from_cfn: {app}-test-{queue}\n"),
        ),
        (
            "    secretsmanager: ${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/db-password\n"
                .to_string(),
            format!("    from_cfn: {app}-test-DbSecretArn\n"),
        ),
        (
            "      - ${SECURITY_GROUP_ID}\n".to_string(),
            format!("      - from_cfn: {app}-test-EnvironmentSecurityGroup\n"),
        ),
        (
            "        id: ${EFS_ID}\n".to_string(),
            format!("        id:\n          from_cfn: {app}-test-FilesystemID\n"),
        ),
        (
            "      NGINX_PORT: 80\n".to_string(),
            format!("      NGINX_PORT: 80\n      UPSTREAM:\n        from_cfn: {app}-test-PublicLoadBalancerDNS\n"),
        ),
        (
            "    DD_API_KEY: /${COPILOT_APPLICATION_NAME}/${COPILOT_ENVIRONMENT_NAME}/log-api-key\n"
                .to_string(),
            format!("    DD_API_KEY:\n      from_cfn: {app}-test-LogApiKeyParam\n"),
        ),
    ];
    let mut out = text.to_string();
    for (from, to) in replace {
        assert!(out.contains(&from), "the example has {from:?}");
        out = out.replacen(&from, &to, 1);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn from_cfn_is_resolved_in_every_place_and_a_missing_export_changes_nothing() {
    let s = Stage::new("fromcfn");
    let stacks = s.copilot_stacks().await;
    let shared = s.shared_exports().await;

    // Without AWS, the placeholders show.
    let example = s.manifest();
    s.write_manifest(&with_exports(&s, &example, None));
    let r = run(s
        .cmd()
        .args(["render", "api", "--env", "test", "--image-tag", "v1"]));
    r.assert_code(0);
    assert!(
        r.stdout
            .contains(&format!("{{from_cfn: {}-test-QueueURL}}", s.app)),
        "{}",
        r.stdout
    );

    let (r, _) = deploy(&s, &["--image-tag", "v2"]);
    r.assert_code(0);
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let td = ecs
        .describe_task_definition()
        .task_definition(s.family())
        .send()
        .await
        .unwrap();
    let td = td.task_definition().unwrap();
    let container = |n: &str| {
        td.container_definitions()
            .iter()
            .find(|c| c.name() == Some(n))
            .unwrap()
    };
    let var = |c: &str, n: &str| {
        container(c)
            .environment()
            .iter()
            .find(|kv| kv.name() == Some(n))
            .and_then(|kv| kv.value())
            .map(str::to_string)
    };
    assert_eq!(var("api", "QUEUE_URL"), Some(shared["QueueURL"].clone()));
    assert_eq!(var("nginx", "UPSTREAM"), Some(stacks.lb_dns.clone()));
    let db = container("api")
        .secrets()
        .iter()
        .find(|x| x.name() == "DB_PASSWORD")
        .unwrap();
    assert_eq!(db.value_from(), s.seed.vars["DB_PASSWORD_SECRET_ARN"]);
    // logging.secretOptions: the main container's FireLens options.
    let options = container("api")
        .log_configuration()
        .unwrap()
        .secret_options();
    assert!(
        options.iter().any(|o| o.name() == "DD_API_KEY"
            && o.value_from()
                .ends_with(&format!("parameter/{}/test/log-api-key", s.app))),
        "{options:?}"
    );
    let efs = td.volumes()[0].efs_volume_configuration().unwrap();
    assert_eq!(efs.file_system_id(), s.seed.vars["EFS_ID"]);

    // A missing export: said where, with exit 3, and nothing written.
    s.write_manifest(&with_exports(&s, &example, Some("Nope")));
    s.proxy.reset();
    let (r, report) = deploy(&s, &["--image-tag", "v1"]);
    r.assert_code(3);
    assert_eq!(report["outcome"], "missing");
    let message = format!("CloudFormation export {}-test-Nope does not exist", s.app);
    assert!(r.stderr.contains(&message), "{}", r.stderr);
    assert!(r.stderr.contains("manifest.yml:"), "{}", r.stderr);
    assert!(
        r.stderr.contains("variables.QUEUE_URL.from_cfn"),
        "{}",
        r.stderr
    );
    let counts = s.proxy.counts();
    assert!(
        !counts
            .keys()
            .any(|op| op.starts_with("ecs:Register") || op.starts_with("ecs:Update")),
        "nothing written: {counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn efs_true_mounts_the_environments_file_system_through_the_services_own_access_point() {
    let s = Stage::new("efsmanaged");
    s.copilot_stacks().await;
    let text = s.manifest();
    let from = "      efs:\n        id: ${EFS_ID}\n        auth:\n          iam: true\n          access_point_id: ${EFS_ACCESS_POINT_ID}\n";
    assert!(
        text.contains(from),
        "the example mounts its own file system"
    );
    s.write_manifest(&text.replace(from, "      efs: true\n"));

    let (r, report) = deploy(&s, &["--image-tag", "v2"]);
    r.assert_code(0);
    assert!(
        changes(&report)[0].starts_with("create EFS access point"),
        "{report}\n{}",
        r.stderr
    );
    let sdk = s.sdk().await;
    let efs = aws_sdk_efs::Client::new(&sdk);
    let fs = &s.seed.vars["EFS_ID"];
    let mine: Vec<_> = efs
        .describe_access_points()
        .file_system_id(fs)
        .send()
        .await
        .unwrap()
        .access_points()
        .iter()
        .filter(|a| a.client_token() == Some(&format!("{}-test-api", s.app)))
        .cloned()
        .collect();
    assert_eq!(mine.len(), 1, "one access point, Copilot's client token");
    let ap = &mine[0];
    assert_eq!(ap.root_directory().and_then(|r| r.path()), Some("/api"));
    // Copilot's default POSIX user: the CRC-32 of the service's name.
    assert_eq!(ap.posix_user().map(|u| u.uid()), Some(2_902_841_359));

    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let td = ecs
        .describe_task_definition()
        .task_definition(s.family())
        .send()
        .await
        .unwrap();
    let vol = td.task_definition().unwrap().volumes()[0]
        .efs_volume_configuration()
        .unwrap()
        .clone();
    assert_eq!(vol.file_system_id(), fs);
    assert_eq!(
        vol.authorization_config().and_then(|a| a.access_point_id()),
        ap.access_point_id()
    );

    // The next deploy finds it: nothing more is created.
    let (r, report) = deploy(&s, &["--image-tag", "v1"]);
    r.assert_code(0);
    assert!(
        !changes(&report).iter().any(|c| c.contains("access point")),
        "{report}"
    );
}

/// The task definition the service runs, as ECS describes it.
async fn running_task_definition(
    s: &Stage,
    stacks: &crate::support::copilot::CopilotStacks,
) -> aws_sdk_ecs::types::TaskDefinition {
    let arn = copilot_service(s, stacks)
        .await
        .task_definition()
        .unwrap()
        .to_string();
    aws_sdk_ecs::Client::new(&s.sdk().await)
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .unwrap()
        .task_definition()
        .unwrap()
        .clone()
}

/// Every container has the add-ons stack's variables, the main one its
/// secret, and the task role its policy: as Copilot wired them.
async fn assert_addon_outputs_kept(s: &Stage, stacks: &crate::support::copilot::CopilotStacks) {
    let sdk = s.sdk().await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let nested = cfn
        .describe_stacks()
        .send()
        .await
        .unwrap()
        .stacks()
        .iter()
        .find(|x| {
            x.stack_name()
                .is_some_and(|n| n.starts_with(&format!("{}-AddonsStack", stacks.svc_stack)))
        })
        .unwrap()
        .clone();
    let output = |k: &str| {
        nested
            .outputs()
            .iter()
            .find(|o| o.output_key() == Some(k))
            .and_then(|o| o.output_value())
            .unwrap()
            .to_string()
    };
    let td = running_task_definition(s, stacks).await;
    let names: Vec<&str> = td
        .container_definitions()
        .iter()
        .filter_map(|c| c.name())
        .collect();
    assert!(names.len() >= 3, "main, sidecars, router: {names:?}");
    for c in td.container_definitions() {
        let var = |n: &str| {
            c.environment()
                .iter()
                .find(|kv| kv.name() == Some(n))
                .and_then(|kv| kv.value())
                .map(str::to_string)
        };
        assert_eq!(
            var("JOBS_QUEUE_URL"),
            Some(output("JobsQueueURL")),
            "{:?}",
            c.name()
        );
        assert_eq!(
            var("ORDERS_TABLE_NAME"),
            Some(output("OrdersTableName")),
            "{:?}",
            c.name()
        );
        let secret = c.secrets().iter().find(|x| x.name() == "DB_SECRET");
        if c.name() == Some("api") {
            assert_eq!(
                secret.map(|x| x.value_from()),
                Some(output("DbSecret").as_str())
            );
        } else {
            assert!(secret.is_none(), "only the main container: {:?}", c.name());
        }
    }
    let attached = aws_sdk_iam::Client::new(&sdk)
        .list_attached_role_policies()
        .role_name(format!("{}-test-api-TaskRole", s.app))
        .send()
        .await
        .unwrap();
    assert!(
        attached
            .attached_policies()
            .iter()
            .any(|p| p.policy_arn() == Some(output("OrdersAccessPolicy").as_str())),
        "the add-on's policy is attached to the task role: {attached:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copilot_service_keeps_its_addons_outputs_before_and_after_adopt() {
    let s = Stage::new("addonsout");
    let stacks = s.copilot_stacks_with_addons().await;

    // Deployed into the stack Copilot left: the outputs stay.
    let (r, report) = deploy(&s, &["--image-tag", "v2"]);
    r.assert_code(0);
    assert!(
        report["taskDefinition"]["registered"].as_bool().unwrap(),
        "{report}"
    );
    assert_addon_outputs_kept(&s, &stacks).await;

    // Adopted: the add-ons stack stays, and so do its outputs.
    let a = run(s
        .cmd()
        .args(["adopt", "api", "--env", "test", "-o", "json"]));
    a.assert_code(0);
    let (r, _) = deploy(&s, &["--image-tag", "v1"]);
    r.assert_code(0);
    assert!(
        r.stderr.contains("sidecarctl adopt's record"),
        "{}",
        r.stderr
    );
    assert_addon_outputs_kept(&s, &stacks).await;

    // A deploy that cannot find them stops before any write.
    let cfn = aws_sdk_cloudformation::Client::new(&s.sdk().await);
    let record: Value = serde_json::from_str(
        aws_sdk_ssm::Client::new(&s.sdk().await)
            .get_parameter()
            .name(format!("/sidecarctl/services/{}/test/api", s.app))
            .send()
            .await
            .unwrap()
            .parameter()
            .unwrap()
            .value()
            .unwrap(),
    )
    .unwrap();
    let nested = record["addonsStacks"][0].as_str().unwrap();
    cfn.delete_stack().stack_name(nested).send().await.unwrap();
    s.proxy.reset();
    let (r, report) = deploy(&s, &["--image-tag", "v2"]);
    r.assert_code(3);
    assert_eq!(report["outcome"], "missing", "{report}");
    assert!(
        report["diagnostics"].to_string().contains("add-ons stack"),
        "{report}"
    );
    let counts = s.proxy.counts();
    assert!(
        !counts.keys().any(|op| op.starts_with("ecs:Register")
            || op.starts_with("ecs:Update")
            || op.starts_with("iam:Put")),
        "nothing written: {counts:?}"
    );
}
