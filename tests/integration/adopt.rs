//! `sidecarctl adopt`: a Copilot service stack handed over from
//! CloudFormation, failing closed: nothing is deleted that is not proven
//! retained, read back; imports, concurrent deploys, empty change sets and
//! interruptions stop it before anything is lost; a rerun finishes the job.

use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::copilot::{copilot_service, deploy, services_in, stack_exists};
use crate::support::{Stage, finish, run};

fn adopt(s: &Stage, extra: &[&str]) -> (crate::support::Run, Value) {
    let r = run(s
        .cmd()
        .args(["adopt", "api", "--env", "test", "-o", "json"])
        .args(extra));
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: one JSON document\n{}\n{}", r.stdout, r.stderr));
    (r, v)
}

#[tokio::test(flavor = "multi_thread")]
async fn adopt_hands_the_stack_over_and_leaves_everything_running() {
    let s = Stage::new("adopt");
    let stacks = s.copilot_stacks().await;
    let sdk = s.sdk().await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let td_before = copilot_service(&s, &stacks)
        .await
        .task_definition()
        .unwrap()
        .to_string();

    // A dry run says what would happen and changes nothing.
    let (r, v) = adopt(&s, &["--dry-run"]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "dryRun");
    assert_eq!(v["serviceArn"], stacks.service_arn.as_str());
    assert!(v["steps"].as_array().unwrap().len() >= 3, "{v}");
    assert!(stack_exists(&cfn, &stacks.svc_stack).await);

    let (r, v) = adopt(&s, &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "adopted", "{v}\n{}", r.stderr);
    assert_eq!(
        v["resources"], 5,
        "LogGroup, TaskDefinition, TargetGroup, HTTPListenerRule, Service"
    );
    assert!(
        !stack_exists(&cfn, &stacks.svc_stack).await,
        "the service stack is gone"
    );
    let svc = copilot_service(&s, &stacks).await;
    assert_eq!(svc.status(), Some("ACTIVE"));
    assert_eq!(svc.task_definition(), Some(td_before.as_str()));
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/copilot/{}", s.family()))
        .send()
        .await
        .unwrap();
    let group = format!("/copilot/{}", s.family());
    assert!(
        groups
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(group.as_str())),
        "the log group stays"
    );
    assert!(
        ecs.describe_task_definition()
            .task_definition(&td_before)
            .send()
            .await
            .is_ok(),
        "the task definition stays"
    );
    assert!(
        stack_exists(&cfn, &stacks.env_stack).await,
        "the environment stack is left alone"
    );

    // Later deploys find the service by adopt's record.
    let (r, report) = deploy(&s, &["--image-tag", "v2"]);
    r.assert_code(0);
    assert_eq!(report["serviceArn"], stacks.service_arn.as_str());
    assert!(
        r.stderr.contains("sidecarctl adopt's record"),
        "{}",
        r.stderr
    );
    assert_eq!(services_in(&s, &stacks.cluster).await.len(), 1);

    // Adopting again says it was done, and is no failure (a rerun of a
    // pipeline's step).
    let (r, v) = adopt(&s, &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "alreadyAdopted", "{v}");
    assert_eq!(v["serviceArn"], stacks.service_arn.as_str());

    // With the record gone too (a stack handed over by hand), the service is
    // found by Copilot's tags, as Copilot's own `svc` commands find it.
    aws_sdk_ssm::Client::new(&sdk)
        .delete_parameter()
        .name(format!("/sidecarctl/services/{}/test/api", s.app))
        .send()
        .await
        .unwrap();
    let (r, report) = deploy(&s, &["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["serviceArn"], stacks.service_arn.as_str());
    assert!(r.stderr.contains("Copilot's tags"), "{}", r.stderr);
    assert_eq!(
        services_in(&s, &stacks.cluster).await.len(),
        1,
        "no second service"
    );
    // `status` finds it the same way.
    let st = run(s
        .cmd()
        .args(["status", "api", "--env", "test", "-o", "json"]));
    st.assert_code(0);
    let v: Value = serde_json::from_str(&st.stdout).unwrap();
    assert_eq!(v["serviceArn"], stacks.service_arn.as_str(), "{v}");
}

/// The templates CloudFormation holds for a stack, as written.
async fn template(cfn: &aws_sdk_cloudformation::Client, stack: &str) -> String {
    cfn.get_template()
        .stack_name(stack)
        .send()
        .await
        .unwrap()
        .template_body()
        .unwrap()
        .to_string()
}

/// The add-ons stack nested in the service stack (Copilot's `AddonsStack`).
async fn addons_stack(cfn: &aws_sdk_cloudformation::Client, svc_stack: &str) -> String {
    cfn.describe_stack_resource()
        .stack_name(svc_stack)
        .logical_resource_id("AddonsStack")
        .send()
        .await
        .unwrap()
        .stack_resource_detail()
        .unwrap()
        .physical_resource_id()
        .unwrap()
        .to_string()
}

/// Writes AWS saw through the proxy, by operation.
fn writes(s: &Stage) -> Vec<String> {
    s.proxy
        .counts()
        .into_keys()
        .filter(|op| {
            [
                "cloudformation:CreateChangeSet",
                "cloudformation:ExecuteChangeSet",
                "cloudformation:UpdateStack",
                "cloudformation:DeleteStack",
                "ssm:PutParameter",
            ]
            .contains(&op.as_str())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nested_addons_stack_is_retained_too_and_left_standing_with_what_it_holds() {
    let s = Stage::new("adoptaddons");
    let stacks = s.copilot_stacks_with_addons().await;
    let sdk = s.sdk().await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let nested = addons_stack(&cfn, &stacks.svc_stack).await;
    let queue = format!("{}-test-api-jobs", s.app);

    let (r, v) = adopt(&s, &["--dry-run"]);
    r.assert_code(0);
    let steps = v["steps"].to_string();
    assert!(steps.contains("retain the 6 resources of"), "{steps}");
    assert!(steps.contains("retain the 4 resources of"), "{steps}");
    assert!(steps.contains("leave the nested stack"), "{steps}");
    assert!(
        writes(&s).is_empty(),
        "a dry run writes nothing: {:?}",
        s.proxy.counts()
    );

    let (r, v) = adopt(&s, &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "adopted", "{v}\n{}", r.stderr);
    let roles: Vec<&str> = v["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["service", "nested"], "{v}");
    assert_eq!(
        v["stacks"][1]["resources"], 4,
        "queue, secret, table, policy"
    );
    let kept = v["leftBehind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["logicalId"] == "AddonsStack")
        .unwrap_or_else(|| panic!("the nested stack is named: {v}"));
    assert!(
        kept["note"]
            .as_str()
            .unwrap()
            .contains("every resource in it retained")
    );
    assert!(!stack_exists(&cfn, &stacks.svc_stack).await);
    // The nested stack stands, and CloudFormation's own copy of its template
    // retains every resource in it.
    let t: Value = serde_json::from_str(&template(&cfn, &nested).await).unwrap();
    for (id, res) in t["Resources"].as_object().unwrap() {
        assert_eq!(res["DeletionPolicy"], "Retain", "{id}");
        assert_eq!(res["UpdateReplacePolicy"], "Retain", "{id}");
    }
    // Whoever deletes the leftover stack later deletes no data.
    cfn.delete_stack().stack_name(&nested).send().await.unwrap();
    let sqs_left =
        crate::support::emulator().json_call("AmazonSQS.GetQueueUrl", &json!({"QueueName": queue}));
    assert!(
        sqs_left["QueueUrl"]
            .as_str()
            .is_some_and(|u| u.ends_with(&queue)),
        "the add-on's queue survives its stack: {sqs_left}"
    );
    let svc = copilot_service(&s, &stacks).await;
    assert_eq!(svc.status(), Some("ACTIVE"));
    // The record names the add-ons stack for later deploys.
    let record = aws_sdk_ssm::Client::new(&sdk)
        .get_parameter()
        .name(format!("/sidecarctl/services/{}/test/api", s.app))
        .send()
        .await
        .unwrap();
    let record: Value = serde_json::from_str(record.parameter().unwrap().value().unwrap()).unwrap();
    assert_eq!(record["service"], stacks.service_arn.as_str());
    assert!(
        record["addonsStacks"][0]
            .as_str()
            .unwrap()
            .contains(&nested),
        "{record}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_cloudformation_finds_empty_is_never_taken_for_success() {
    let s = Stage::new("adoptnoop");
    let stacks = s.copilot_stacks().await;
    let cfn = aws_sdk_cloudformation::Client::new(&s.sdk().await);
    // CloudFormation's answer to updates that change deletion policies only.
    s.proxy.cfn(json!({"emptyChangeSets": true}));
    let (r, v) = adopt(&s, &[]);
    r.assert_code(1);
    assert_eq!(v["outcome"], "refused", "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("found nothing to change"),
        "{v}"
    );
    assert!(
        stack_exists(&cfn, &stacks.svc_stack).await,
        "nothing deleted"
    );
    let counts = s.proxy.counts();
    for op in [
        "cloudformation:ExecuteChangeSet",
        "cloudformation:DeleteStack",
        "ssm:PutParameter",
    ] {
        assert!(!counts.contains_key(op), "{op}: {counts:?}");
    }
    assert!(
        counts.contains_key("cloudformation:DeleteChangeSet"),
        "the change set is cleaned up: {counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_another_stack_imports_refuses_the_adopt_before_any_write() {
    let s = Stage::new("adoptimport");
    let stacks = s.copilot_stacks().await;
    let cfn = aws_sdk_cloudformation::Client::new(&s.sdk().await);
    let export = format!("{}-DiscoveryServiceARN", stacks.svc_stack);
    let importer = format!("{}-consumer", s.app);
    cfn.create_stack()
        .stack_name(&importer)
        .template_body(
            json!({"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
                   "Outputs": {"Upstream": {"Value": {"Fn::ImportValue": export}}}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let (r, v) = adopt(&s, &[]);
    r.assert_code(3);
    assert_eq!(v["outcome"], "refused", "{v}");
    assert_eq!(v["importedBy"][&export][0], importer.as_str(), "{v}");
    assert!(v["error"].as_str().unwrap().contains(&importer));
    assert!(writes(&s).is_empty(), "{:?}", s.proxy.counts());
    assert!(stack_exists(&cfn, &stacks.svc_stack).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_changed_between_read_and_update_refuses_the_adopt() {
    let s = Stage::new("adoptrace");
    let stacks = s.copilot_stacks().await;
    let cfn = aws_sdk_cloudformation::Client::new(&s.sdk().await);
    let before = template(&cfn, &stacks.svc_stack).await;
    // CloudFormation takes its time with the change set; a Copilot deploy
    // updates the stack meanwhile.
    s.proxy
        .faults(json!([{"op": "cloudformation:CreateChangeSet", "kind": "slow", "delayMs": 1500}]));
    let child = s
        .cmd()
        .args(["adopt", "api", "--env", "test", "-o", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    s.wait_for_op("cloudformation:CreateChangeSet", 1);
    let deployed = before.replace("\"RetentionInDays\":30", "\"RetentionInDays\":60");
    assert_ne!(deployed, before);
    aws_sdk_cloudformation::Client::new(&s.sdk_via_proxy().await)
        .update_stack()
        .stack_name(&stacks.svc_stack)
        .template_body(&deployed)
        .send()
        .await
        .unwrap();
    let r = finish(child);
    r.assert_code(7);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["outcome"], "refused", "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("changed since adopt read it"),
        "{v}"
    );
    let counts = s.proxy.counts();
    assert!(
        !counts.contains_key("cloudformation:ExecuteChangeSet"),
        "{counts:?}"
    );
    assert!(
        !counts.contains_key("cloudformation:DeleteStack"),
        "{counts:?}"
    );
    assert_eq!(
        template(&cfn, &stacks.svc_stack).await,
        deployed,
        "the deploy stands"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_after_delete_failed_finishes_the_job() {
    let s = Stage::new("adoptrerun");
    let stacks = s.copilot_stacks().await;
    let cfn = aws_sdk_cloudformation::Client::new(&s.sdk().await);
    let export = format!("{}-DiscoveryServiceARN", stacks.svc_stack);
    let importer = format!("{}-latecomer", s.app);
    // Another stack starts importing the export just as the stack is deleted:
    // AWS then fails the deletion.
    s.proxy
        .faults(json!([{"op": "cloudformation:DeleteStack", "kind": "slow", "delayMs": 1500}]));
    let child = s
        .cmd()
        .args(["adopt", "api", "--env", "test", "-o", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    s.wait_for_op("cloudformation:DeleteStack", 1);
    cfn.create_stack()
        .stack_name(&importer)
        .template_body(
            json!({"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
                   "Outputs": {"Upstream": {"Value": {"Fn::ImportValue": export}}}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let r = finish(child);
    r.assert_code(1);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        v["error"].as_str().unwrap().contains("DELETE_FAILED"),
        "{v}"
    );
    assert!(
        v["error"].as_str().unwrap().contains("run adopt again"),
        "{v}"
    );

    // While the import stays, a rerun refuses, naming it.
    let (r, v) = adopt(&s, &[]);
    r.assert_code(3);
    assert_eq!(v["importedBy"][&export][0], importer.as_str(), "{v}");

    // Once it is gone, the rerun deletes the stack, every resource retained.
    cfn.delete_stack()
        .stack_name(&importer)
        .send()
        .await
        .unwrap();
    let (r, v) = adopt(&s, &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "adopted", "{v}\n{}", r.stderr);
    assert!(!stack_exists(&cfn, &stacks.svc_stack).await);
    assert_eq!(copilot_service(&s, &stacks).await.status(), Some("ACTIVE"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_adopt_reports_where_it_stopped() {
    let s = Stage::new("adoptsig");
    let stacks = s.copilot_stacks().await;
    let cfn = aws_sdk_cloudformation::Client::new(&s.sdk().await);
    s.proxy
        .faults(json!([{"op": "cloudformation:CreateChangeSet", "kind": "slow", "delayMs": 1500}]));
    let child = s
        .cmd()
        .args(["adopt", "api", "--env", "test", "-o", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    s.wait_for_op("cloudformation:CreateChangeSet", 1);
    run(Command::new("kill").args(["-TERM", &child.id().to_string()])).assert_code(0);
    let r = finish(child);
    r.assert_code(143);
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: a report on SIGTERM\n{}\n{}", r.stdout, r.stderr));
    assert_eq!(v["outcome"], "interrupted", "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("run the same adopt again"),
        "{v}"
    );
    assert!(stack_exists(&cfn, &stacks.svc_stack).await);
    assert!(
        !s.proxy
            .counts()
            .contains_key("cloudformation:ExecuteChangeSet")
    );
    // The rerun finishes it.
    let (r, v) = adopt(&s, &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "adopted", "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn adopt_all_passes_over_what_was_adopted_and_carries_on() {
    let s = Stage::new("adoptall");
    let stacks = s.copilot_stacks().await;
    let (r, _) = adopt(&s, &[]);
    r.assert_code(0);
    let r = run(s
        .cmd()
        .args(["adopt", "--all", "--env", "test", "-o", "json"]));
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let services = v["services"].as_array().unwrap();
    assert_eq!(services[0]["service"], "api");
    assert_eq!(services[0]["outcome"], "alreadyAdopted", "{v}");
    assert_eq!(services[0]["serviceArn"], stacks.service_arn.as_str());
    // The next service is reached (Copilot never deployed it here).
    assert_eq!(services[1]["service"], "worker", "{v}");
    assert_eq!(services[1]["outcome"], "missing", "{v}");
    r.assert_code(3);
}

#[test]
fn adopt_checks_env_against_the_workspace_before_any_request() {
    let s = Stage::new("adoptenv");
    let r = run(s.cmd().args(["adopt", "api", "--env", "tset"]));
    r.assert_code(2);
    assert!(r.stderr.contains("did you mean \"test\"?"), "{}", r.stderr);
    assert!(s.proxy.counts().is_empty(), "{:?}", s.proxy.counts());
}
