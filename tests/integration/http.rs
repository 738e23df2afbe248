//! `http`: a Load Balanced Web Service's target groups and listener rules on
//! the environment's load balancer, as Copilot's `alb.yml` and
//! `http-listener.yml` set them up, with no `--target-group-arn`.

use aws_sdk_elasticloadbalancingv2 as elb;
use serde_json::Value;

use crate::support::{Stage, changes};

/// `deploy SVC --env test --image-tag v1 -o json`, nothing else.
fn deploy(s: &Stage, svc: &str, extra: &[&str]) -> (crate::support::Run, Value) {
    let mut args = vec!["--image-tag", "v1"];
    args.extend(extra);
    s.deploy_in_env(svc, &args)
}

/// The listener's rules other than its default: (priority, paths, target groups).
async fn rules(c: &elb::Client, listener: &str) -> Vec<(i32, Vec<String>, Vec<String>, String)> {
    let out = c
        .describe_rules()
        .listener_arn(listener)
        .send()
        .await
        .unwrap();
    let mut rules: Vec<_> = out
        .rules()
        .iter()
        .filter(|r| r.is_default() != Some(true))
        .map(|r| {
            let paths = r
                .conditions()
                .iter()
                .filter(|c| c.field() == Some("path-pattern"))
                .flat_map(|c| c.path_pattern_config().map_or(c.values(), |p| p.values()))
                .cloned()
                .collect();
            let tgs = r
                .actions()
                .iter()
                .filter_map(|a| a.target_group_arn().map(str::to_string))
                .collect();
            (
                r.priority().unwrap().parse().unwrap(),
                paths,
                tgs,
                r.rule_arn().unwrap().to_string(),
            )
        })
        .collect();
    rules.sort();
    rules
}

/// The ECS service's load balancer entries: (target group, container, port).
async fn service_lbs(s: &Stage, cluster: &str, svc: &str) -> Vec<(String, String, i32)> {
    lbs_of(&s.sdk().await, cluster, svc).await
}

/// The same, as the proxy's simulated ECS shows them (a circuit-breaker
/// rollback restores them there, as in ECS; the emulator does not know it).
async fn simulated_service_lbs(s: &Stage, cluster: &str, svc: &str) -> Vec<(String, String, i32)> {
    let config = s
        .sdk()
        .await
        .into_builder()
        .endpoint_url(&s.proxy.endpoint)
        .build();
    lbs_of(&config, cluster, svc).await
}

async fn lbs_of(
    config: &aws_config::SdkConfig,
    cluster: &str,
    svc: &str,
) -> Vec<(String, String, i32)> {
    let ecs = aws_sdk_ecs::Client::new(config);
    let out = ecs
        .describe_services()
        .cluster(cluster)
        .services(svc)
        .send()
        .await
        .unwrap();
    out.services()[0]
        .load_balancers()
        .iter()
        .map(|l| {
            (
                l.target_group_arn().unwrap().to_string(),
                l.container_name().unwrap().to_string(),
                l.container_port().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_web_service_gets_its_target_group_and_rule_and_a_path_change_updates_it_in_place() {
    let s = Stage::new("httpnew");
    let listener = s.copilot_environment().await;
    let c = elb::Client::new(&s.sdk().await);
    // Another service's rule on the same listener.
    other_rule(&s, &c, &listener, 1, "/other").await;

    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let done = changes(&v);
    assert!(
        done.iter()
            .any(|c| c.starts_with("create target group api-")),
        "{done:?}"
    );
    let rules_now = rules(&c, &listener).await;
    assert_eq!(rules_now.len(), 2, "{rules_now:?}");
    let (priority, paths, tgs, rule_arn) = rules_now[1].clone();
    assert_eq!(priority, 2, "the next priority after the other service's");
    assert_eq!(paths, ["/api", "/api/*"]);
    let tg = tgs[0].clone();
    let cluster = v["cluster"].as_str().unwrap().to_string();
    assert_eq!(
        service_lbs(&s, &cluster, "api").await,
        [(tg.clone(), "nginx".to_string(), 80)],
        "the manifest's target container and its port"
    );
    let group = c
        .describe_target_groups()
        .target_group_arns(&tg)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .clone();
    assert_eq!(group.health_check_path(), Some("/api/health-check"));
    assert_eq!(group.protocol_version(), Some("HTTP1"));
    let attrs = c
        .describe_target_group_attributes()
        .target_group_arn(&tg)
        .send()
        .await
        .unwrap();
    let attr = |k: &str| {
        attrs
            .attributes()
            .iter()
            .find(|a| a.key() == Some(k))
            .and_then(|a| a.value())
            .map(str::to_string)
    };
    assert_eq!(
        attr("deregistration_delay.timeout_seconds").as_deref(),
        Some("60")
    );
    assert_eq!(attr("stickiness.enabled").as_deref(), Some("false"));

    // Registered in the environment's namespace as `api`, with the target port.
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let described = ecs
        .describe_services()
        .cluster(&cluster)
        .services("api")
        .send()
        .await
        .unwrap();
    let registry = described.services()[0].service_registries()[0].clone();
    assert_eq!(registry.port(), Some(80));
    let sd = aws_sdk_servicediscovery::Client::new(&s.sdk().await);
    let discovery = sd
        .list_services()
        .send()
        .await
        .unwrap()
        .services()
        .iter()
        .find(|x| x.arn() == registry.registry_arn())
        .cloned()
        .expect("the Cloud Map service the ECS service registers in");
    assert_eq!(discovery.name(), Some("api"));

    // Again with nothing changed: nothing is written.
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "unchanged", "{v}\n{}", r.stderr);

    // A new path: the same rule, in place, at the same priority.
    s.write_manifest(&s.manifest().replace("path: 'api'", "path: 'v2'"));
    let (r, v) = deploy(&s, "api", &["--dry-run"]);
    r.assert_code(0);
    assert!(
        v.to_string().contains("update rule /v2 /v2/*"),
        "the dry run shows the rule's change: {v}"
    );
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(
        changes(&v)
            .iter()
            .filter(|c| c.contains("target group") && c.starts_with("create"))
            .count(),
        0,
        "{v}"
    );
    let after = rules(&c, &listener).await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(
        after[1],
        (
            2,
            vec!["/v2".to_string(), "/v2/*".to_string()],
            vec![tg],
            rule_arn
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_services_on_one_listener_get_distinct_priorities_and_the_root_rule_goes_last() {
    let s = Stage::new("httptwo");
    let listener = s.copilot_environment().await;
    // A second web service, `web`, from the same image, under `/web`, with
    // an additional rule for `/`.
    let image = format!(
        "{}.dkr.ecr.{}.amazonaws.com/{}/api:v1",
        s.seed.vars["AWS_ACCOUNT_ID"], s.seed.vars["AWS_REGION"], s.app
    );
    let web = s
        .manifest()
        .replace("name: api", "name: web")
        .replace("build: api/Dockerfile", &format!("location: {image}"))
        .replace(
            "path: 'api'",
            "path: 'web'\n  additional_rules:\n    - path: /\n      target_container: nginx",
        );
    s.ws.write("copilot/web/manifest.yml", &web);
    let (r, _) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let (r, v) = deploy(&s, "web", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "deployed", "{v}\n{}", r.stderr);
    let c = elb::Client::new(&s.sdk().await);
    let all = rules(&c, &listener).await;
    let by_path: Vec<(i32, Vec<String>)> = all.iter().map(|r| (r.0, r.1.clone())).collect();
    assert_eq!(
        by_path,
        [
            (1, vec!["/api".to_string(), "/api/*".to_string()]),
            (2, vec!["/web".to_string(), "/web/*".to_string()]),
            (50000, vec!["/*".to_string()]),
        ],
        "distinct priorities; `/` below every other rule, as Copilot orders them"
    );
    let web_tgs: Vec<&String> = all[1..].iter().map(|r| &r.2[0]).collect();
    assert_ne!(web_tgs[0], web_tgs[1], "a target group per rule");
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_and_response_time_scale_on_the_main_rules_target_group() {
    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    let s = Stage::new("httpscale");
    s.copilot_environment().await;
    let fixed = "  test:\n    count: 2\n";
    let text = s.manifest();
    assert!(text.contains(fixed));
    s.write_manifest(&text.replace(
        fixed,
        "  test:\n    count:\n      range: 1-4\n      requests: 500\n      response_time: 2s\n",
    ));
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let cluster = v["cluster"].as_str().unwrap().to_string();
    let tg = service_lbs(&s, &cluster, "api").await[0].0.clone();
    let client = aws_sdk_applicationautoscaling::Client::new(&s.sdk().await);
    let policies = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(format!("service/{cluster}/api"))
        .send()
        .await
        .unwrap();
    let policy = |name: &str| {
        policies
            .scaling_policies()
            .iter()
            .find(|p| p.policy_name() == name)
            .unwrap_or_else(|| panic!("{name}: {policies:?}"))
            .target_tracking_scaling_policy_configuration()
            .unwrap()
            .clone()
    };
    let requests = policy("api-ALBSumRequestCountPerTarget-ScalingPolicy");
    assert_eq!(requests.target_value(), 500.0);
    let metric = requests.customized_metric_specification().unwrap();
    assert_eq!(metric.metric_name(), Some("RequestCountPerTarget"));
    assert_eq!(metric.namespace(), Some("AWS/ApplicationELB"));
    let dims: Vec<(&str, &str)> = metric
        .dimensions()
        .iter()
        .map(|d| (d.name(), d.value()))
        .collect();
    assert_eq!(dims[1], ("TargetGroup", tg.rsplit(':').next().unwrap()));
    assert!(dims[0].1.starts_with("app/"), "{dims:?}");
    let time = policy("api-ALBAverageResponseTime-ScalingPolicy");
    assert_eq!(time.target_value(), 2.0);
    assert_eq!(
        time.customized_metric_specification()
            .unwrap()
            .metric_name(),
        Some("TargetResponseTime")
    );

    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "unchanged", "{v}\n{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_load_balancer_gets_the_rule_and_a_missing_one_changes_nothing() {
    let s = Stage::new("httpalb");
    s.copilot_environment().await;
    let c = elb::Client::new(&s.sdk().await);
    let v = &s.seed.vars;
    let name = format!("{}-imported", s.app);
    let lb = c
        .create_load_balancer()
        .name(&name)
        .subnets(&v["PUBLIC_SUBNET_1"])
        .subnets(&v["PUBLIC_SUBNET_2"])
        .security_groups(&v["SECURITY_GROUP_ID"])
        .send()
        .await
        .unwrap()
        .load_balancers()[0]
        .clone();
    let listener = c
        .create_listener()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .protocol(elb::types::ProtocolEnum::Http)
        .port(80)
        .default_actions(
            elb::types::Action::builder()
                .r#type(elb::types::ActionTypeEnum::Forward)
                .target_group_arn(&v["TARGET_GROUP_ARN"])
                .build(),
        )
        .send()
        .await
        .unwrap()
        .listeners()[0]
        .listener_arn()
        .unwrap()
        .to_string();

    let text = s.manifest();
    s.write_manifest(&text.replace("path: 'api'", "path: 'api'\n  alb: no-such-lb"));
    let (r, report) = deploy(&s, "api", &[]);
    r.assert_code(3);
    assert_eq!(report["outcome"], "missing");
    assert!(
        r.stderr
            .contains("application load balancer no-such-lb does not exist"),
        "{}",
        r.stderr
    );

    // With an alias in a hosted zone: its A record aliases the load balancer.
    let zone = s.hosted_zone(&format!("{}.example.com", s.app)).await;
    let r53 = aws_sdk_route53::Client::new(&s.sdk().await);
    let host = format!("api.{}.example.com", s.app);
    s.write_manifest(&text.replace(
        "path: 'api'",
        &format!("path: 'api'\n  alb: {name}\n  alias: {host}\n  hosted_zone: {zone}"),
    ));
    let (r, report) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let on_imported = rules(&c, &listener).await;
    assert_eq!(on_imported.len(), 1, "{on_imported:?}");
    assert_eq!(on_imported[0].1, ["/api", "/api/*"]);
    let sets = r53
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .unwrap();
    let record = sets
        .resource_record_sets()
        .iter()
        .find(|r| r.name().trim_end_matches('.') == host && r.r#type().as_str() == "A")
        .unwrap_or_else(|| panic!("an A record for {host}: {sets:?}"));
    let target = record.alias_target().unwrap();
    assert_eq!(
        target.dns_name().trim_end_matches('.'),
        lb.dns_name().unwrap()
    );
    assert_eq!(Some(target.hosted_zone_id()), lb.canonical_hosted_zone_id());
    // COPILOT_LB_DNS is the imported load balancer's, as Copilot sets it.
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let td = ecs
        .describe_task_definition()
        .task_definition(report["taskDefinition"]["arn"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let lb_dns = td.task_definition().unwrap().container_definitions()[0]
        .environment()
        .iter()
        .find(|e| e.name() == Some("COPILOT_LB_DNS"))
        .and_then(|e| e.value())
        .map(str::to_string);
    assert_eq!(lb_dns.as_deref(), lb.dns_name());

    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "unchanged", "{v}\n{}", r.stderr);
}

/// A rule on the listener at `priority` for `path`, forwarding to the seed's target group.
async fn other_rule(s: &Stage, c: &elb::Client, listener: &str, priority: i32, path: &str) {
    c.create_rule()
        .listener_arn(listener)
        .priority(priority)
        .conditions(
            elb::types::RuleCondition::builder()
                .field("path-pattern")
                .values(path)
                .build(),
        )
        .actions(
            elb::types::Action::builder()
                .r#type(elb::types::ActionTypeEnum::Forward)
                .target_group_arn(&s.seed.vars["TARGET_GROUP_ARN"])
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_priority_taken_while_the_deploy_ran_is_chosen_again_and_a_lost_answer_makes_no_twin() {
    let s = Stage::new("httprace");
    let listener = s.copilot_environment().await;
    let c = elb::Client::new(&s.sdk().await);
    // The deploy's CreateRule is held back; meanwhile another deploy takes
    // the priority it chose (1, on an empty listener).
    s.proxy.faults(serde_json::json!([
        {"op": "elasticloadbalancing:CreateRule", "kind": "slow", "times": 1, "delayMs": 2000}
    ]));
    let child = s
        .cmd()
        .args([
            "deploy",
            "api",
            "--env",
            "test",
            "--image-tag",
            "v1",
            "--no-wait",
        ])
        .args(["-o", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    s.wait_for_op("elasticloadbalancing:CreateRule", 1);
    other_rule(&s, &c, &listener, 1, "/other").await;
    let r = crate::support::finish(child);
    r.assert_code(0);
    let all = rules(&c, &listener).await;
    let priorities: Vec<(i32, Vec<String>)> = all.iter().map(|r| (r.0, r.1.clone())).collect();
    assert_eq!(
        priorities,
        [
            (1, vec!["/other".to_string()]),
            (2, vec!["/api".to_string(), "/api/*".to_string()])
        ],
        "{}",
        r.stderr
    );

    // A CreateRule whose answer is lost after it took effect: the SDK sends
    // it again, its priority is taken (by itself), and the read-back
    // recognises the rule as this deploy's: no second rule.
    let s2 = Stage::new("httplost");
    let listener = s2.copilot_environment().await;
    let c = elb::Client::new(&s2.sdk().await);
    s2.proxy.faults(serde_json::json!([
        {"op": "elasticloadbalancing:CreateRule", "kind": "reset-after", "times": 1}
    ]));
    let (r, _) = deploy(&s2, "api", &["--no-wait"]);
    r.assert_code(0);
    let all = rules(&c, &listener).await;
    assert_eq!(all.len(), 1, "one rule, not two: {all:?}");
    assert_eq!(
        s2.proxy
            .counts()
            .get("elasticloadbalancing:CreateRule")
            .copied(),
        Some(2),
        "sent twice"
    );
}

/// The protocol version of a target group, or None when it is gone.
async fn protocol_version(c: &elb::Client, tg: &str) -> Option<String> {
    let out = c
        .describe_target_groups()
        .target_group_arns(tg)
        .send()
        .await;
    out.ok()?
        .target_groups()
        .first()
        .and_then(|g| g.protocol_version())
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_protocol_version_moves_the_traffic_to_a_new_target_group_during_the_rollout() {
    let s = Stage::new("httpswap");
    let listener = s.copilot_environment().await;
    let c = elb::Client::new(&s.sdk().await);
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let cluster = v["cluster"].as_str().unwrap().to_string();
    let before = rules(&c, &listener).await;
    assert_eq!(before.len(), 1, "{before:?}");
    let (_, _, tgs, rule_arn) = before[0].clone();
    let old = tgs[0].clone();

    // gRPC: a target group's protocol version cannot change in place.
    s.write_manifest(
        &s.manifest()
            .replace("path: 'api'", "path: 'api'\n  version: grpc"),
    );
    let (r, v) = deploy(&s, "api", &["--dry-run"]);
    r.assert_code(0);
    let text = v.to_string();
    assert!(
        text.contains("during the rollout, once api-")
            && text.contains("has as many healthy targets as"),
        "the dry run says when the rule moves: {v}\n{}",
        r.stderr
    );
    // Without watching the rollout nobody would move the rule: refused,
    // before any write.
    let (r, v) = deploy(&s, "api", &["--no-wait"]);
    r.assert_code(2);
    assert!(
        v.to_string().contains("target-group-replacement"),
        "{v}\n{}",
        r.stderr
    );
    assert_eq!(rules(&c, &listener).await, before, "nothing was written");

    // A rollout that fails: the new tasks never become healthy, so the rule
    // never moves; ECS's circuit breaker restores the service's entries; the
    // twin rule goes and the new group stays for the next try.
    s.proxy.rollouts(1_500, &["fail"]);
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(4);
    assert_eq!(v["outcome"], "rolled-back", "{v}\n{}", r.stderr);
    assert!(!r.stderr.contains("listener rules moved"), "{}", r.stderr);
    assert_eq!(
        rules(&c, &listener).await,
        before,
        "the rule still on the old group"
    );
    assert_eq!(
        simulated_service_lbs(&s, &cluster, "api").await,
        [(old.clone(), "nginx".to_string(), 80)]
    );

    // A rollout whose tasks become healthy, then fails: the rule moves to the
    // new group, and back to the old one as the circuit breaker's rollback
    // brings the old tasks back.
    s.proxy.rollouts(2_000, &["fail-late"]);
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(4);
    assert_eq!(v["outcome"], "rolled-back", "{v}\n{}", r.stderr);
    let old_name = old.split('/').nth(1).unwrap();
    let there = r
        .stderr
        .find("listener rules moved to target group api-")
        .unwrap_or_else(|| panic!("{}", r.stderr));
    let back = r
        .stderr
        .find(&format!("listener rules moved to target group {old_name}"))
        .unwrap_or_else(|| panic!("{}", r.stderr));
    assert!(there < back, "{}", r.stderr);
    assert_eq!(
        rules(&c, &listener).await,
        before,
        "the rule back on the old group, the twin gone"
    );
    assert_eq!(
        simulated_service_lbs(&s, &cluster, "api").await,
        [(old.clone(), "nginx".to_string(), 80)]
    );

    // A rollout that completes in 3 s with two tasks: the rule moves when the
    // new group has as many healthy targets as the old one, before the
    // rollout ends; then the twin and the old group go.
    s.proxy.rollouts(3_000, &[]);
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "deployed", "{v}\n{}", r.stderr);
    let done = changes(&v);
    assert!(
        !done.iter().any(|c| c.starts_with("create target group")),
        "the group the failed try made is taken up: {done:?}"
    );
    let moved = r
        .stderr
        .find("listener rules moved to target group api-")
        .unwrap_or_else(|| panic!("{}", r.stderr));
    let line = r.stderr[moved..].lines().next().unwrap_or_default();
    assert!(
        line.contains("1 healthy target(s) there, 1 left behind"),
        "moved when half the tasks were healthy, not when the rollout ended:\n{}",
        r.stderr
    );
    let completed = r
        .stderr
        .find("deployment completed")
        .unwrap_or_else(|| panic!("{}", r.stderr));
    assert!(moved < completed, "{}", r.stderr);
    assert!(
        done.iter().any(|c| c.starts_with("delete target group"))
            && done.iter().any(|c| c.starts_with("delete twin rule")),
        "{done:?}"
    );
    let after = rules(&c, &listener).await;
    assert_eq!(after.len(), 1, "the twin is gone: {after:?}");
    assert_eq!(
        (after[0].0, &after[0].1, &after[0].3),
        (before[0].0, &before[0].1, &rule_arn),
        "the same rule, at the same priority"
    );
    let new = after[0].2[0].clone();
    assert_ne!(new, old);
    assert_eq!(protocol_version(&c, &new).await.as_deref(), Some("GRPC"));
    assert_eq!(
        service_lbs(&s, &cluster, "api").await,
        [(new, "nginx".to_string(), 80)]
    );
    assert_eq!(
        protocol_version(&c, &old).await,
        None,
        "the old group is gone"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_target_health_a_replaced_groups_rule_moves_when_the_rollout_ends() {
    let s = Stage::new("httpswapnohealth");
    let listener = s.copilot_environment().await;
    let c = elb::Client::new(&s.sdk().await);
    let (r, _) = deploy(&s, "api", &[]);
    r.assert_code(0);
    let before = rules(&c, &listener).await;
    s.write_manifest(
        &s.manifest()
            .replace("path: 'api'", "path: 'api'\n  version: http2"),
    );
    // Target health cannot be read (a deployer role without
    // DescribeTargetHealth would see the same): said once, and the rule
    // moves when ECS ends the rollout, which it does only once the new
    // tasks are healthy in the new group.
    // And the old group cannot be deleted: the deploy succeeds and names
    // what is left to delete by hand.
    s.proxy.faults(serde_json::json!([
        {"op": "elasticloadbalancing:DescribeTargetHealth", "kind": "error500", "times": 1000},
        {"op": "elasticloadbalancing:DeleteTargetGroup", "kind": "error500", "times": 1000}
    ]));
    s.proxy.rollouts(1_000, &[]);
    let (r, v) = deploy(&s, "api", &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "deployed", "{v}\n{}", r.stderr);
    assert_eq!(
        r.stderr.matches("target health could not be read").count(),
        1,
        "{}",
        r.stderr
    );
    assert!(
        changes(&v)
            .iter()
            .any(|c| c.ends_with("(the rollout ended)")),
        "{v}"
    );
    let old = &before[0].2[0];
    assert!(
        r.stderr
            .contains(&format!("delete it by hand: target group {old}, ")),
        "{}",
        r.stderr
    );
    assert_eq!(protocol_version(&c, old).await.as_deref(), Some("HTTP1"));
    let after = rules(&c, &listener).await;
    assert_eq!(after.len(), 1, "the twin went before: {after:?}");
    assert_eq!(after[0].3, before[0].3, "the same rule");
    assert_eq!(
        protocol_version(&c, &after[0].2[0]).await.as_deref(),
        Some("HTTP2")
    );
}
