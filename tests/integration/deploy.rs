//! `sidecarctl deploy` against the emulator, through the proxy that plays
//! rollouts, injects faults and counts requests.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::{Stage, run};

fn writes(ops: &[(&str, u64)]) -> BTreeMap<String, u64> {
    ops.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn first_deploy_creates_everything() {
    let s = Stage::new("first");
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "deployed");
    assert_eq!(report["rollout"]["state"], "COMPLETED");
    assert_eq!(
        report["rollout"]["running"], 2,
        "the test environment's override sets count 2"
    );
    assert_eq!(report["taskDefinition"]["registered"], true);
    assert_eq!(
        s.proxy.writes(),
        writes(&[
            // The add-ons stack, through a change set read before it runs.
            ("cloudformation:CreateChangeSet", 1),
            ("cloudformation:ExecuteChangeSet", 1),
            ("ecs:CreateService", 1),
            ("ecs:RegisterTaskDefinition", 1),
            ("iam:AttachRolePolicy", 1),
            ("iam:CreateRole", 2),
            ("iam:PutRolePolicy", 2),
            ("logs:CreateLogGroup", 1),
            ("logs:PutRetentionPolicy", 1),
            // The deploy lock, taken and released.
            ("ssm:DeleteParameter", 1),
            ("ssm:PutParameter", 1),
        ])
    );
    // The digests are pinned.
    let nginx = report["images"]["nginx"]["image"].as_str().unwrap();
    assert!(nginx.contains("/reverse-proxy@sha256:"), "{nginx}");

    let conf = s.sdk().await;
    let ecs = aws_sdk_ecs::Client::new(&conf);
    let svc = sidecarctl::aws::ecs::describe_service(&ecs, &format!("{}-test", s.app), "api")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        svc.task_definition,
        report["taskDefinition"]["arn"].as_str().unwrap()
    );
    let td = sidecarctl::aws::ecs::describe_task_definition(&ecs, &svc.task_definition)
        .await
        .unwrap()
        .unwrap();
    let names: Vec<&str> = td
        .definition
        .container_definitions
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["api", "firelens_log_router", "config-agent", "nginx"]
    );
    let creds = td.definition.container_definitions[2]
        .repository_credentials
        .as_ref()
        .unwrap();
    assert_eq!(
        creds.credentials_parameter, s.seed.vars["REGISTRY_CREDENTIALS_ARN"],
        "the partial ARN is resolved"
    );

    let iam = aws_sdk_iam::Client::new(&conf);
    let attached =
        sidecarctl::aws::iam::attached_policies(&iam, &format!("{}-test-api-TaskRole", s.app))
            .await
            .unwrap();
    assert_eq!(attached.len(), 1, "{attached:?}");
    assert!(
        attached[0].contains("AddonsStack-AssetsReadPolicy"),
        "{attached:?}"
    );
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    let group = sidecarctl::aws::logs::log_group(&logs, &format!("/copilot/{}", s.family()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(group.retention_days, Some(14));
}

#[test]
fn a_new_image_updates_only_the_task_definition_and_service() {
    let s = Stage::new("update");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.reset();
    let (r, report) = s.deploy_json(&["--image-tag", "v2"]);
    r.assert_code(0);
    // Besides the deploy lock, only the task definition and the service.
    assert_eq!(
        s.proxy.writes(),
        writes(&[
            ("ecs:RegisterTaskDefinition", 1),
            ("ecs:UpdateService", 1),
            ("ssm:DeleteParameter", 1),
            ("ssm:PutParameter", 1)
        ])
    );
    assert_eq!(report["taskDefinition"]["revision"], 2);
    assert!(
        report["previousTaskDefinition"]
            .as_str()
            .unwrap()
            .ends_with(":1")
    );
    assert_eq!(report["outcome"], "deployed");

    // The same manifest again: nothing is written (the lock, taken while
    // reading, is released at once).
    s.proxy.reset();
    let (r, report) = s.deploy_json(&["--image-tag", "v2"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "unchanged");
    assert!(s.proxy.changes().is_empty(), "{:?}", s.proxy.writes());
    assert_eq!(
        s.proxy.writes().get("ssm:DeleteParameter"),
        s.proxy.writes().get("ssm:PutParameter"),
        "what the lock created, it deleted"
    );
}

#[test]
fn a_dry_run_prints_the_plan_and_writes_nothing() {
    let s = Stage::new("dry");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.reset();
    let r = s.deploy(&["--image-tag", "v2", "--dry-run"]);
    r.assert_code(0);
    assert!(s.proxy.writes().is_empty(), "{:?}", s.proxy.writes());
    assert!(
        r.stdout.contains("register task definition"),
        "{}",
        r.stdout
    );
    // The image change names the tags, the digests shortened where they differ.
    let image = r
        .stdout
        .lines()
        .find(|l| l.contains("~ containerDefinitions[api].image:"))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    let (before, after) = image.split_once(" → ").unwrap();
    assert!(
        before.contains(&format!("{}/api:v1 (sha256:", s.app)),
        "{image}"
    );
    assert!(
        after.contains(&format!("{}/api:v2 (sha256:", s.app)),
        "{image}"
    );
    assert!(!image.contains('…'), "{image}");
    assert!(
        r.stderr.contains("dry run: nothing was changed"),
        "{}",
        r.stderr
    );

    // A dry run of a first deploy shows what it would create.
    let fresh = Stage::new("dryfirst");
    let r = fresh.deploy(&["--image-tag", "v1", "--dry-run"]);
    r.assert_code(0);
    assert!(fresh.proxy.writes().is_empty());
    assert!(r.stdout.contains("create role"), "{}", r.stdout);
    assert!(r.stdout.contains("create service api"), "{}", r.stdout);
}

#[test]
fn missing_resources_are_all_named_and_nothing_is_written() {
    let s = Stage::new("missing");
    let manifest = s.ws.path().join("copilot/api/manifest.yml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text
        .replace("reverse-proxy:revision_1", "reverse-proxy:revision_9")
        .replace("db-password", "no-such-secret")
        .replace("/config-token", "/no-such-parameter")
        .replace(
            "secret:${COPILOT_APPLICATION_NAME}/registry-credentials",
            "secret:${COPILOT_APPLICATION_NAME}/no-such-credentials",
        );
    std::fs::write(&manifest, text).unwrap();
    let r = run(s
        .cmd()
        .env("EFS_ID", "fs-00000000")
        .env("EFS_ACCESS_POINT_ID", "fsap-00000000")
        .args([
            "deploy",
            "api",
            "--env",
            "test",
            "--no-build",
            "--image-tag",
            "v7",
        ])
        .args(["--cluster", "no-such-cluster"]));
    r.assert_code(3);
    assert!(s.proxy.changes().is_empty(), "{:?}", s.proxy.writes());
    assert!(
        r.stderr
            .contains("ECS cluster no-such-cluster does not exist in us-east-1"),
        "{}",
        r.stderr
    );
    for (what, field) in [
        ("image ", "image.build"),
        (
            "reverse-proxy:revision_9 does not exist",
            "sidecars.nginx.image",
        ),
        ("no-such-secret does not exist", "secrets.DB_PASSWORD"),
        (
            "no-such-parameter does not exist",
            "sidecars.config-agent.secrets.CONFIG_TOKEN",
        ),
        (
            "no-such-credentials does not exist",
            "sidecars.config-agent.credentialsParameter",
        ),
        (
            "EFS file system fs-00000000 does not exist",
            "storage.volumes.myEFSVolume.efs.id",
        ),
        (
            "EFS access point fsap-00000000 does not exist",
            "storage.volumes.myEFSVolume.efs.auth.access_point_id",
        ),
    ] {
        assert!(r.stderr.contains(what), "{what} not named:\n{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("= field: {field}\n")),
            "{field} not named:\n{}",
            r.stderr
        );
    }
    assert!(r.stderr.contains("8 errors"), "{}", r.stderr);
}

#[test]
fn an_access_point_of_another_file_system_is_refused() {
    let s = Stage::new("apfs");
    let other = Stage::new("apfs2");
    let r = run(s
        .cmd()
        .env(
            "EFS_ACCESS_POINT_ID",
            &other.seed.vars["EFS_ACCESS_POINT_ID"],
        )
        .args(["deploy", "api", "--env", "test", "--image-tag", "v1"]));
    r.assert_code(3);
    assert!(r.stderr.contains("belongs to file system"), "{}", r.stderr);
    assert!(s.proxy.changes().is_empty(), "{:?}", s.proxy.writes());
}

#[test]
fn a_failed_rollout_is_rolled_back_by_the_circuit_breaker() {
    let s = Stage::new("fail");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.rollouts(200, &["fail"]);
    let (r, report) = s.deploy_json(&["--image-tag", "v2"]);
    r.assert_code(4);
    assert_eq!(report["outcome"], "rolled-back");
    assert_eq!(report["rollout"]["state"], "FAILED");
    assert_eq!(report["rollback"]["state"], "COMPLETED");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("circuit breaker"),
        "{report}"
    );
    // ECS rolled back by itself: sidecarctl did not update the service again.
    assert_eq!(s.proxy.writes().get("ecs:UpdateService"), Some(&1));
}

#[test]
fn a_failed_rollout_without_rollback_exits_5() {
    let s = Stage::new("norb");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.rollouts(200, &["fail"]);
    let (r, report) = s.deploy_json(&["--image-tag", "v2", "--no-rollback"]);
    r.assert_code(5);
    assert_eq!(report["outcome"], "failed");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("not rolled back"),
        "{report}"
    );
}

#[test]
fn a_rollout_that_times_out_is_rolled_back() {
    let s = Stage::new("timeout");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.rollouts(200, &["hang"]);
    s.proxy.reset();
    let (r, report) = s.deploy_json(&["--image-tag", "v2", "--timeout", "1s"]);
    r.assert_code(4);
    assert_eq!(report["outcome"], "rolled-back");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("did not complete within 1.0s"),
        "{report}"
    );
    assert!(report["rollback"]["state"] == "COMPLETED", "{report}");
    // sidecarctl rolled back itself: a second UpdateService, to revision 1.
    assert_eq!(s.proxy.writes().get("ecs:UpdateService"), Some(&2));
}

#[test]
fn throttling_on_every_operation_ends_in_the_same_state() {
    let s = Stage::new("throttle");
    // Every operation is throttled twice before it goes through; the SDK retries.
    s.proxy.faults(json!(
        [
            "ecs",
            "ecr",
            "iam",
            "logs",
            "sts",
            "ssm",
            "secretsmanager",
            "elasticfilesystem"
        ]
        .iter()
        .map(|svc| json!({"op": format!("{svc}:*"), "kind": "throttle", "times": 2}))
        .chain(std::iter::once(
            json!({"op": "*", "kind": "error503", "times": 2})
        ))
        .collect::<Vec<_>>()
    ));
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "deployed");
    assert_eq!(
        report["taskDefinition"]["revision"], 1,
        "one revision despite the retries"
    );
    let stats = s.proxy.stats();
    let throttled = stats["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == 400)
        .count();
    assert!(throttled >= 10, "{throttled} throttled answers");
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_policies_name_exact_resources() {
    let s = Stage::new("policy");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    let iam = aws_sdk_iam::Client::new(&s.sdk().await);
    // Each statement grants exactly what the task needs, nothing more.
    let wanted: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        (
            "PullImages",
            vec![
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
        ),
        ("GetRegistryToken", vec!["ecr:GetAuthorizationToken"]),
        (
            "WriteServiceLogs",
            vec!["logs:CreateLogStream", "logs:PutLogEvents"],
        ),
        ("ReadParameters", vec!["ssm:GetParameters"]),
        ("ReadSecrets", vec!["secretsmanager:GetSecretValue"]),
        // Mounted writable by the main container and config-agent.
        (
            "MountEfsmyEFSVolume",
            vec![
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
            ],
        ),
        (
            "FireLensCloudWatch",
            vec![
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
        ),
    ]);
    let mut seen = Vec::new();
    let mut execution = String::new();
    for (role, policy) in [
        ("ExecutionRole", "sidecarctl-execution"),
        ("TaskRole", "sidecarctl-task"),
    ] {
        let doc =
            sidecarctl::aws::iam::role_policy(&iam, &format!("{}-test-api-{role}", s.app), policy)
                .await
                .unwrap()
                .unwrap();
        if role == "ExecutionRole" {
            execution = doc.clone();
        }
        let doc: Value = serde_json::from_str(&doc).unwrap();
        for st in doc["Statement"].as_array().unwrap() {
            let sid = st["Sid"].as_str().unwrap();
            let actions: Vec<&str> = st["Action"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            assert_eq!(Some(&actions), wanted.get(sid), "{sid}");
            assert_eq!(st["Effect"], "Allow");
            seen.push(sid.to_string());
            for res in st["Resource"].as_array().unwrap() {
                let res = res.as_str().unwrap();
                if res == "*" {
                    assert_eq!(
                        st["Action"],
                        json!(["ecr:GetAuthorizationToken"]),
                        "only the registry token has no resource"
                    );
                } else {
                    assert!(res.starts_with("arn:aws:"), "{res}");
                    assert!(
                        res.contains(&s.app) || res.contains(&s.seed.vars["EFS_ID"]),
                        "{res} is not this service's"
                    );
                }
            }
        }
    }
    seen.sort();
    let all: Vec<String> = wanted.keys().map(|k| k.to_string()).collect();
    assert_eq!(seen, all, "every statement is there, and no other");
    // The secrets named are exactly the manifest's, at their full ARNs.
    for want in [
        &s.seed.vars["DB_PASSWORD_SECRET_ARN"],
        &s.seed.vars["REGISTRY_CREDENTIALS_ARN"],
    ] {
        assert!(
            execution.contains(want.as_str()),
            "{want} missing from {execution}"
        );
    }
    for param in ["github-token", "log-api-key", "config-token"] {
        assert!(
            execution.contains(&format!(":parameter/{}/test/{param}", s.app)),
            "{param} missing"
        );
    }
}

#[test]
fn no_build_needs_an_image_tag() {
    let s = Stage::new("notag");
    let r = s.deploy(&["--no-build"]);
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("image.build with --no-build needs --image-tag"),
        "{}",
        r.stderr
    );
    assert!(s.proxy.counts().is_empty(), "no AWS call for invalid input");
}

#[test]
fn a_step_that_fails_is_listed_as_not_applied_even_beside_a_twin_that_succeeded() {
    let s = Stage::new("twins");
    // A second add-on policy: its "attach" step reads like the first's.
    let addons = s.ws.path().join("copilot/api/addons");
    let first = std::fs::read_to_string(addons.join("policies.yml")).unwrap();
    s.ws.write(
        "copilot/api/addons/more.yml",
        &first.replace("AssetsReadPolicy", "MoreReadPolicy"),
    );
    // Every AttachRolePolicy after the first fails, through all the SDK's retries.
    s.proxy.faults(
        json!([{"op": "iam:AttachRolePolicy", "kind": "error500", "times": 20, "skip": 1}]),
    );
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(6);
    assert_eq!(report["outcome"], "incomplete");
    let applied: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let not_applied: Vec<&str> = report["notApplied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let tag = |v: &[&str]| v.iter().filter(|c| c.starts_with("attach ")).count();
    assert_eq!(tag(&applied), 1, "{report}");
    assert_eq!(
        tag(&not_applied),
        1,
        "the failed twin is not lost: {report}"
    );
    // Running the same deploy again finishes it.
    s.proxy.faults(json!([]));
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "deployed");
}
