//! Pipeline safety: deploys killed, cancelled, retried and run side by side,
//! with answers lost; AWS's state read back after each.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Run, Stage, finish, run};

fn signal(child: &std::process::Child, name: &str) {
    run(Command::new("kill").args([&format!("-{name}"), &child.id().to_string()])).assert_code(0);
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: one JSON document\n{}\n{}", r.stdout, r.stderr))
}

/// The deploy lock's holder, if the lock is there.
async fn lock_holder(s: &Stage) -> Option<Value> {
    let ssm = aws_sdk_ssm::Client::new(&s.sdk().await);
    let out = ssm
        .get_parameter()
        .name(format!("/sidecarctl/locks/{}/test/api", s.app))
        .send()
        .await
        .ok()?;
    serde_json::from_str(out.parameter()?.value()?).ok()
}

async fn primary_task_definition(s: &Stage) -> String {
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    sidecarctl::aws::ecs::describe_service(&ecs, &format!("{}-test", s.app), "api")
        .await
        .unwrap()
        .unwrap()
        .task_definition
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_after_a_killed_deploy_watches_the_rollout_to_its_end() {
    let s = Stage::new("rerun");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    // v2's rollout takes a while, then fails: the circuit breaker rolls it back.
    s.proxy.rollouts(5_000, &["fail"]);
    let first = s.spawn(&["--image-tag", "v2"]);
    s.wait_for_op("ecs:UpdateService", 1);
    std::thread::sleep(Duration::from_millis(800));
    signal(&first, "KILL");
    let _ = finish(first);
    // The CI retry: the same deploy. Nothing to write, but the rollout of this
    // very revision is under way: it is watched, and its failure reported.
    let (r, report) = s.deploy_json(&["--image-tag", "v2", "--timeout", "30s"]);
    r.assert_code(4);
    assert_eq!(report["outcome"], "rolled-back", "{report}");
    assert_eq!(
        report["changes"],
        json!([]),
        "nothing was written: {report}"
    );
    assert!(
        r.stderr.contains("is still rolling out; watching it"),
        "{}",
        r.stderr
    );
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("circuit breaker"),
        "{report}"
    );
}

#[test]
fn a_lost_update_service_answer_is_read_back_and_the_rollout_watched() {
    let s = Stage::new("lostupdate");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    // Every attempt reaches ECS; every answer is lost.
    s.proxy
        .faults(json!([{"op": "ecs:UpdateService", "kind": "reset-after", "times": 10}]));
    let (r, report) = s.deploy_json(&["--image-tag", "v2"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "deployed", "{report}");
    assert_eq!(report["rollout"]["state"], "COMPLETED");
    assert!(report["notApplied"].is_null(), "{report}");
}

/// A deploy stopped by `sig` at a moment `wait` says, then its state read back.
async fn stopped(label: &str, sig: &str, code: i32, stage: &str) {
    let s = Stage::new(label);
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.reset();
    s.proxy.rollouts(20_000, &[]);
    match stage {
        "resolve" => s
            .proxy
            .faults(json!([{"op": "ecs:DescribeServices", "kind": "slow", "delayMs": 10_000}])),
        "apply" => s.proxy.faults(
            json!([{"op": "ecs:RegisterTaskDefinition", "kind": "slow", "delayMs": 2_000}]),
        ),
        _ => {}
    }
    let child = s.spawn(&["--image-tag", "v2", "-o", "json"]);
    match stage {
        "resolve" => s.wait_for_op("ecs:DescribeServices", 1),
        "apply" => s.wait_for_op("ecs:RegisterTaskDefinition", 1),
        _ => s.wait_for_op("ecs:UpdateService", 1),
    }
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    signal(&child, sig);
    let r = finish(child);
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "{stage}: it took {:?} to stop",
        sent.elapsed()
    );
    assert_eq!(
        r.code, code,
        "{stage}: exit code\n{}\n{}",
        r.stdout, r.stderr
    );
    let report = json_of(&r);
    assert_eq!(report["outcome"], "interrupted", "{stage}: {report}");
    assert_eq!(report["exitCode"], code, "{stage}: {report}");
    let said = report["error"].as_str().unwrap();
    match stage {
        "resolve" => assert!(said.contains("before anything was changed"), "{said}"),
        "apply" => {
            assert!(said.contains("run the same deploy again"), "{said}");
            assert!(
                report["notApplied"].to_string().contains("update service"),
                "{report}"
            );
        }
        _ => assert!(
            said.contains("sidecarctl status api") && said.contains("Roll back"),
            "{said}"
        ),
    }
    assert!(
        lock_holder(&s).await.is_none(),
        "{stage}: the lock was released"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_at_each_stage_releases_the_lock_and_says_where_it_stopped() {
    stopped("termresolve", "TERM", 143, "resolve").await;
    stopped("termapply", "TERM", 143, "apply").await;
    stopped("termwatch", "TERM", 143, "watch").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_and_sighup_end_like_sigterm_with_their_own_codes() {
    stopped("intwatch", "INT", 130, "watch").await;
    stopped("hupapply", "HUP", 129, "apply").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_that_cannot_be_released_is_said_with_the_command_that_clears_it() {
    let s = Stage::new("norelease");
    s.proxy
        .faults(json!([{"op": "ssm:DeleteParameter", "kind": "error500", "times": 100}]));
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    let l = &report["lockNotReleased"];
    assert_eq!(
        l["parameter"],
        format!("/sidecarctl/locks/{}/test/api", s.app)
    );
    assert!(
        l["clear"]
            .as_str()
            .unwrap()
            .starts_with("sidecarctl unlock api --env test"),
        "{report}"
    );
    // Said on stderr too, for people reading a pipeline's log.
    assert!(r.stderr.contains("was not released"), "{}", r.stderr);
    assert!(
        r.stderr.contains("sidecarctl unlock api --env test"),
        "{}",
        r.stderr
    );
    // Until it is cleared, the next deploy is refused.
    s.proxy.faults(json!([]));
    s.deploy(&["--image-tag", "v2"]).assert_code(7);
    // The command it names clears it.
    s.proxy.faults(json!([]));
    assert!(lock_holder(&s).await.is_some());
    let u = run(s.cmd().args(["unlock", "api", "--env", "test"]));
    u.assert_code(0);
    assert!(
        u.stderr.contains("removed the deploy lock of api"),
        "{}",
        u.stderr
    );
    assert!(lock_holder(&s).await.is_none());
    let again = run(s.cmd().args(["unlock", "api", "--env", "test"]));
    again.assert_code(0);
    assert!(
        again.stderr.contains("has no deploy lock"),
        "{}",
        again.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_holder_frees_the_lock_when_its_lease_runs_out() {
    let s = Stage::new("lease");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.rollouts(60_000, &["hang"]);
    let holder = s.spawn(&[
        "--image-tag",
        "v2",
        "--lock-lease",
        "6s",
        "--timeout",
        "60s",
    ]);
    s.wait_for_op("ecs:UpdateService", 1);
    // Alive, it renews its lease: it still holds the lock after the first lease.
    // (A lease of 6 s leaves at least 4.5 s after the kill for the refusal
    // below, however loaded the machine is.)
    std::thread::sleep(Duration::from_secs(7));
    let held = lock_holder(&s).await.expect("held");
    let now = sidecarctl::clock::now_ms();
    assert!(held["expires"].as_i64().unwrap() > now, "renewed: {held}");
    signal(&holder, "KILL");
    let _ = finish(holder);
    // Refused, with whom, since when, and when the lease runs out.
    let r = s.deploy(&["--image-tag", "v1"]);
    r.assert_code(7);
    assert!(r.stderr.contains("(pid "), "{}", r.stderr);
    assert!(r.stderr.contains("its lease runs out at"), "{}", r.stderr);
    // Waiting outlasts a dead holder: its lease runs out within seconds.
    s.proxy.rollouts(200, &[]);
    let started = Instant::now();
    let (r, report) = s.deploy_json(&["--image-tag", "v1", "--wait-for-lock", "--timeout", "30s"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "deployed", "{report}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fix_goes_out_while_a_bad_rollout_runs() {
    let s = Stage::new("fixforward");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.rollouts(500, &["hang", "complete"]);
    let (r, started) = s.deploy_json(&["--image-tag", "v2", "--no-wait"]);
    r.assert_code(0);
    assert_eq!(started["outcome"], "started");
    // At once: the fix (v1 again) supersedes the stuck v2 deployment.
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "deployed", "{report}");
    assert_eq!(
        report["superseded"]["taskDefinition"],
        started["taskDefinition"]["arn"]
    );
    assert!(
        r.stderr.contains("superseding the deployment in progress"),
        "{}",
        r.stderr
    );
    assert_eq!(
        primary_task_definition(&s).await,
        report["taskDefinition"]["arn"].as_str().unwrap()
    );
}

#[test]
fn the_lock_is_taken_while_the_reads_are_under_way() {
    let s = Stage::new("lockconc");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.reset();
    s.proxy
        .faults(json!([{"op": "ecs:DescribeServices", "kind": "slow", "delayMs": 800}]));
    s.deploy(&["--image-tag", "v2"]).assert_code(0);
    let log = s.proxy.stats()["log"].as_array().unwrap().clone();
    let first = |op: &str| {
        log.iter()
            .find(|e| e["op"] == op)
            .unwrap_or_else(|| panic!("no {op}"))
            .clone()
    };
    let read = first("ecs:DescribeServices");
    let put = first("ssm:PutParameter");
    assert!(
        put["startMs"].as_f64().unwrap() < read["endMs"].as_f64().unwrap(),
        "the lock waited for the reads: {put} after {read}"
    );
}

#[test]
fn only_the_events_of_this_deploy_are_shown() {
    let s = Stage::new("events");
    s.proxy.rollouts(100, &[]);
    for tag in ["v1", "v2", "v1", "v2"] {
        s.deploy(&["--image-tag", tag]).assert_code(0);
    }
    let r = s.deploy(&["--image-tag", "v1"]);
    r.assert_code(0);
    let events: Vec<&str> = r.stderr.lines().filter(|l| l.contains("event:")).collect();
    let ids: std::collections::BTreeSet<&str> = events
        .iter()
        .filter_map(|l| l.split("(deployment ").nth(1))
        .map(|rest| rest.trim_end_matches(['.', ')']).split(')').next().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "events of earlier deployments replayed: {events:#?}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|l| l.contains("deployment completed"))
            .count(),
        1,
        "{events:#?}"
    );
}

#[test]
fn a_throttled_call_gets_five_attempts_as_the_readme_says() {
    let s = Stage::new("attempts");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.reset();
    s.proxy
        .faults(json!([{"op": "ecs:RegisterTaskDefinition", "kind": "throttle", "times": 100}]));
    s.deploy(&["--image-tag", "v2"]).assert_code(6);
    assert_eq!(s.proxy.counts().get("ecs:RegisterTaskDefinition"), Some(&5));
    s.proxy.reset();
    s.proxy
        .faults(json!([{"op": "ecr:DescribeImages", "kind": "error503", "times": 100}]));
    s.deploy(&["--image-tag", "v2"]).assert_code(1);
    assert_eq!(
        s.proxy.counts().get("ecr:DescribeImages"),
        Some(&10),
        "5 for each ECR image"
    );
    // Without the build stage, resolving reads each ECR image: 5 each.
    s.proxy.reset();
    s.proxy
        .faults(json!([{"op": "ecr:DescribeImages", "kind": "error503", "times": 100}]));
    s.deploy(&["--no-build", "--image-tag", "v2"])
        .assert_code(1);
    assert_eq!(
        s.proxy.counts().get("ecr:DescribeImages"),
        Some(&10),
        "5 for each ECR image"
    );
}
