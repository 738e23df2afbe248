//! `sidecarctl status`: the service, its deployments, containers, recent events
//! with their times, and its deploy lock; what a never-deployed service says;
//! and the deploys `status` is for: `--no-wait` and `--no-pin`.

use serde_json::Value;

use crate::support::{Stage, run};

fn status(s: &Stage, extra: &[&str]) -> crate::support::Run {
    run(s.cmd().args(["status", "api", "--env", "test"]).args(extra))
}

fn json(s: &Stage) -> Value {
    let r = status(s, &["-o", "json"]);
    r.assert_code(0);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

fn is_rfc3339(v: &Value) -> bool {
    v.as_str().is_some_and(|t| {
        t.len() == 24 && t.as_bytes()[4] == b'-' && t.as_bytes()[10] == b'T' && t.ends_with('Z')
    })
}

#[test]
fn a_deployed_service_shows_its_deployments_containers_and_timed_events() {
    let s = Stage::new("status");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    let r = status(&s, &[]);
    r.assert_code(0);
    let out = &r.stdout;
    assert!(
        out.contains(&format!("task definition  {}-test-api:1", s.app)),
        "{out}"
    );
    assert!(out.contains("deploy lock      free"), "{out}");
    for c in ["api", "firelens_log_router", "nginx", "config-agent"] {
        assert!(out.contains(&format!("  {c} ")), "{c} missing: {out}");
    }
    let events = out
        .split("recent events\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no events: {out}"));
    for line in events.lines() {
        let time = line.trim().split(' ').next().unwrap();
        assert!(
            is_rfc3339(&Value::from(time)),
            "an event without its time: {line}"
        );
    }

    let v = json(&s);
    assert_eq!(v["deployments"][0]["status"], "PRIMARY");
    assert_eq!(v["deployments"][0]["rolloutState"], "COMPLETED");
    assert!(v["lock"].is_null());
    let events = v["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(
        events
            .iter()
            .all(|e| is_rfc3339(&e["at"]) && e["message"].is_string()),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_deploy_lock_is_shown() {
    let s = Stage::new("statuslock");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    let ssm = aws_sdk_ssm::Client::new(&s.sdk().await);
    let now = sidecarctl::clock::now_ms();
    ssm.put_parameter()
        .name(format!("/sidecarctl/locks/{}/test/api", s.app))
        .value(
            serde_json::json!({"owner": "ci@runner-3 (pid 7)", "token": "t", "since": now, "expires": now + 600_000})
                .to_string(),
        )
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let r = status(&s, &[]);
    r.assert_code(0);
    assert!(
        r.stdout
            .contains("deploy lock      held by ci@runner-3 (pid 7) since"),
        "{}",
        r.stdout
    );
    let v = json(&s);
    assert_eq!(v["lock"]["holder"], "ci@runner-3 (pid 7)");
    assert_eq!(v["lock"]["expired"], false);
}

#[test]
fn a_service_never_deployed_says_how_to_deploy_it() {
    let s = Stage::new("statusnone");
    let r = status(&s, &[]);
    r.assert_code(3);
    assert!(
        r.stderr.contains("service api does not exist in cluster"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("sidecarctl deploy api --env test"),
        "{}",
        r.stderr
    );
}

#[test]
fn no_wait_returns_once_the_service_is_updated_and_status_shows_the_rollout() {
    let s = Stage::new("nowait");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.rollouts(60_000, &["hang"]);
    let (r, report) = s.deploy_json(&["--image-tag", "v2", "--no-wait"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "started");
    assert!(report["rollout"].is_null(), "not watched: {report}");
    assert!(
        r.stderr.contains("not watching the rollout (--no-wait)"),
        "{}",
        r.stderr
    );
    let v = json(&s);
    assert_eq!(
        v["deployments"][0]["taskDefinition"],
        report["taskDefinition"]["arn"]
    );
    assert_eq!(v["deployments"][0]["rolloutState"], "IN_PROGRESS");
}

#[test]
fn no_pin_keeps_the_tags_in_the_task_definition() {
    let s = Stage::new("nopin");
    let (r, report) = s.deploy_json(&["--image-tag", "v1", "--no-pin"]);
    r.assert_code(0);
    let api = report["images"]["api"]["image"].as_str().unwrap();
    let nginx = report["images"]["nginx"]["image"].as_str().unwrap();
    assert!(api.ends_with(&format!("/{}/api:v1", s.app)), "{api}");
    assert!(nginx.ends_with("/reverse-proxy:revision_1"), "{nginx}");
    assert!(!api.contains('@') && !nginx.contains('@'));
    // The digest is still looked up, and reported.
    assert!(
        report["images"]["api"]["digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let v = json(&s);
    let images: Vec<&str> = v["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["image"].as_str().unwrap())
        .collect();
    assert!(images.contains(&api), "{images:?}");
}
