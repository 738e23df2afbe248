//! `exec`: ECS Exec on the service, the task role's permissions for it, and
//! `status` telling whether it is on. The emulator drops
//! `enableExecuteCommand`; the proxy keeps it (as AWS does).

use serde_json::Value;

use crate::support::{Stage, changes, run};

fn status(s: &Stage) -> Value {
    let r = run(s
        .cmd()
        .args(["status", "api", "--env", "test", "-o", "json"]));
    r.assert_code(0);
    serde_json::from_str(&r.stdout).unwrap()
}

async fn task_policy(s: &Stage) -> String {
    let iam = aws_sdk_iam::Client::new(&s.sdk().await);
    let doc = iam
        .get_role_policy()
        .role_name(format!("{}-test-api-TaskRole", s.app))
        .policy_name("sidecarctl-task")
        .send()
        .await
        .unwrap()
        .policy_document()
        .to_string();
    percent_decode(&doc)
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_turns_ecs_exec_on_with_its_permissions_and_off_again() {
    let s = Stage::new("exec");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    assert_eq!(status(&s)["exec"], false);
    assert!(!task_policy(&s).await.contains("ssmmessages"));

    let text = s.manifest();
    s.write_manifest(&format!("{text}\nexec: true\n"));
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    let changes = changes(&report);
    assert!(
        changes.iter().any(|c| c.contains("ECS Exec on")),
        "{changes:?}"
    );
    assert_eq!(status(&s)["exec"], true);
    let policy = task_policy(&s).await;
    assert!(policy.contains("ssmmessages:OpenDataChannel"), "{policy}");
    let st = run(s.cmd().args(["status", "api", "--env", "test"]));
    assert!(st.stdout.contains("ECS Exec         on"), "{}", st.stdout);

    s.write_manifest(&text);
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    assert_eq!(status(&s)["exec"], false);
    assert!(!task_policy(&s).await.contains("ssmmessages"));
}
