//! Deploys that meet: one at a time per service (a lock and ECS's own state),
//! --wait-for-lock, stale locks, Ctrl-C, and --all deploying every service.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Stage, emulator, finish, run};

#[tokio::test(flavor = "multi_thread")]
async fn a_second_deploy_refuses_while_the_first_runs() {
    let s = Stage::new("busy");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.rollouts(3_000, &[]);
    s.proxy.reset();
    let first = s.spawn(&["--image-tag", "v2"]);
    s.wait_for_op("ecs:UpdateService", 1);
    let r = s.deploy(&["--image-tag", "v1"]);
    r.assert_code(7);
    assert!(
        r.stderr.contains("another deploy of api is under way"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("(pid "),
        "names who holds it: {}",
        r.stderr
    );
    assert!(r.stderr.contains("--wait-for-lock"), "{}", r.stderr);
    let first = finish(first);
    first.assert_code(0);
    assert_eq!(
        s.proxy.writes().get("ecs:RegisterTaskDefinition"),
        Some(&1),
        "the refused deploy wrote nothing"
    );
    assert_eq!(s.revisions().await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_for_lock_waits_then_deploys_from_fresh_reads() {
    let s = Stage::new("wait");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.rollouts(2_000, &[]);
    s.proxy.reset();
    let first = s.spawn(&["--image-tag", "v2"]);
    s.wait_for_op("ecs:UpdateService", 1);
    let (r, report) = s.deploy_json(&["--image-tag", "v1", "--wait-for-lock"]);
    r.assert_code(0);
    assert!(
        r.stderr
            .contains("waiting: another deploy of api is under way"),
        "{}",
        r.stderr
    );
    finish(first).assert_code(0);
    assert_eq!(report["outcome"], "deployed");
    // It compared with what the first deploy left: revision 2 ran before it.
    assert!(
        report["previousTaskDefinition"]
            .as_str()
            .unwrap()
            .ends_with(":2"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deploys_started_together_do_not_race() {
    let s = Stage::new("race");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.rollouts(1_500, &[]);
    let a = s.spawn(&["--image-tag", "v2"]);
    let b = s.spawn(&["--image-tag", "v2"]);
    let (a, b) = (finish(a), finish(b));
    let mut codes = vec![a.code, b.code];
    codes.sort();
    assert_eq!(
        codes,
        [0, 7],
        "one deploys, one refuses\n{}\n{}",
        a.stderr,
        b.stderr
    );
    assert_eq!(s.revisions().await, 2, "one new revision");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_in_progress_elsewhere_is_superseded_by_a_fix() {
    let s = Stage::new("elsewhere");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    // Someone updates the service from the console; its rollout hangs.
    s.proxy.rollouts(300, &["hang", "complete"]);
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&s.proxy.endpoint)
        .credentials_provider(aws_sdk_ecs::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .load()
        .await;
    let ecs = aws_sdk_ecs::Client::new(&conf);
    let cluster = format!("{}-test", s.app);
    let svc = sidecarctl::aws::ecs::describe_service(&ecs, &cluster, "api")
        .await
        .unwrap()
        .unwrap();
    let mut td = sidecarctl::aws::ecs::describe_task_definition(&ecs, &svc.task_definition)
        .await
        .unwrap()
        .unwrap()
        .definition;
    td.container_definitions[0].command = Some(vec!["--debug".into()]);
    let doc = sidecarctl::render::document::document(&td);
    let other = sidecarctl::aws::ecs::register_task_definition(&ecs, &doc)
        .await
        .unwrap();
    let update = sidecarctl::aws::ecs::ServiceUpdate {
        task_definition: &other.arn,
        desired: 2,
        rollback: true,
        ..Default::default()
    };
    sidecarctl::aws::ecs::update_service(&ecs, &cluster, "api", update)
        .await
        .unwrap();

    // The fix goes out at once, superseding the stuck deployment, as ECS does.
    let (r, report) = s.deploy_json(&["--image-tag", "v2"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "deployed");
    assert_eq!(report["superseded"]["taskDefinition"], other.arn.as_str());
    assert_eq!(report["superseded"]["rolloutState"], "IN_PROGRESS");
    assert!(
        r.stderr.contains("superseding the deployment in progress"),
        "{}",
        r.stderr
    );
    let ssm = aws_sdk_ssm::Client::new(&s.sdk().await);
    let lock = ssm
        .get_parameter()
        .name(format!("/sidecarctl/locks/{}/test/api", s.app))
        .send()
        .await;
    assert!(lock.is_err(), "the lock was released");
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_locks_are_taken_over_and_live_ones_respected() {
    let s = Stage::new("stale");
    let ssm = aws_sdk_ssm::Client::new(&s.sdk().await);
    let name = format!("/sidecarctl/locks/{}/test/api", s.app);
    let put = |holder: Value| {
        let ssm = ssm.clone();
        let name = name.clone();
        async move {
            ssm.put_parameter()
                .name(&name)
                .value(holder.to_string())
                .r#type(aws_sdk_ssm::types::ParameterType::String)
                .overwrite(true)
                .send()
                .await
                .unwrap();
        }
    };
    let now = sidecarctl::clock::now_ms();
    put(serde_json::json!({"owner": "ci@runner-7 (pid 42)", "token": "t1", "since": now - 60_000, "expires": now + 600_000})).await;
    let r = s.deploy(&["--image-tag", "v1"]);
    r.assert_code(7);
    assert!(r.stderr.contains("ci@runner-7 (pid 42)"), "{}", r.stderr);
    // The holder was killed long ago: its lock has expired.
    put(serde_json::json!({"owner": "ci@runner-7 (pid 42)", "token": "t1", "since": now - 7_200_000, "expires": now - 60_000})).await;
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lease_renewed_while_another_deploy_judged_it_expired_is_kept() {
    let s = Stage::new("renewed");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    let ssm = aws_sdk_ssm::Client::new(&s.sdk().await);
    let name = format!("/sidecarctl/locks/{}/test/api", s.app);
    let put = |holder: Value| {
        let ssm = ssm.clone();
        let name = name.clone();
        async move {
            ssm.put_parameter()
                .name(&name)
                .value(holder.to_string())
                .r#type(aws_sdk_ssm::types::ParameterType::String)
                .overwrite(true)
                .send()
                .await
                .unwrap();
        }
    };
    // A holder late to renew: its lease has just run out.
    let now = sidecarctl::clock::now_ms();
    put(serde_json::json!({"owner": "ci@slow (pid 9)", "token": "slow", "since": now - 120_000, "expires": now - 1_000})).await;
    // The deploy's first PutParameter (taking the lock) fails; the second
    // (the release marker for the expired holder) is held up, and meanwhile
    // the holder renews.
    s.proxy.reset();
    s.proxy.faults(
        serde_json::json!([{"op": "ssm:PutParameter", "kind": "slow", "delayMs": 1500, "skip": 1}]),
    );
    let child = s.spawn(&["--image-tag", "v2"]);
    s.wait_for_op("ssm:PutParameter", 2);
    let renewed = serde_json::json!({"owner": "ci@slow (pid 9)", "token": "slow", "since": now - 120_000, "expires": now + 600_000});
    put(renewed.clone()).await;
    let r = finish(child);
    r.assert_code(7);
    assert!(r.stderr.contains("ci@slow (pid 9)"), "{}", r.stderr);
    let held = ssm.get_parameter().name(&name).send().await.unwrap();
    let value: Value = serde_json::from_str(held.parameter().unwrap().value().unwrap()).unwrap();
    assert_eq!(value, renewed, "the renewed lock was left alone");
}

/// The SSM calls a deploy made after its UpdateService: its release.
fn release_calls(s: &Stage) -> Vec<String> {
    let log = s.proxy.stats()["log"].as_array().unwrap().clone();
    let update = log
        .iter()
        .position(|e| e["op"] == "ecs:UpdateService")
        .expect("an UpdateService");
    log[update + 1..]
        .iter()
        .filter_map(|e| e["op"].as_str().filter(|op| op.starts_with("ssm:")))
        .map(str::to_string)
        .collect()
}

async fn locks_left(s: &Stage) -> Vec<aws_sdk_ssm::types::Parameter> {
    let ssm = aws_sdk_ssm::Client::new(&s.sdk().await);
    ssm.get_parameters_by_path()
        .path(format!("/sidecarctl/locks/{}/test", s.app))
        .send()
        .await
        .unwrap()
        .parameters()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quick_deploy_releases_its_lock_in_two_round_trips() {
    let s = Stage::new("quickrel");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.reset();
    s.deploy(&["--image-tag", "v2"]).assert_code(0);
    assert_eq!(
        release_calls(&s),
        ["ssm:GetParameter", "ssm:DeleteParameter"],
        "read back, then deleted: no release marker while the lease has long to run"
    );
    let left = locks_left(&s).await;
    assert!(left.is_empty(), "nothing left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_delete_whose_answer_was_lost_is_read_back_not_resent() {
    // The delete reaches SSM and the answer is lost. Sent again blindly, it
    // would delete a lock another deploy may have taken meanwhile; read back
    // first, the lock is seen gone and nothing more is sent.
    let s = Stage::new("lostdel");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.reset();
    s.proxy
        .faults(json!([{"op": "ssm:DeleteParameter", "kind": "reset-after", "times": 1}]));
    s.deploy(&["--image-tag", "v2"]).assert_code(0);
    assert_eq!(
        release_calls(&s),
        [
            "ssm:GetParameter",
            "ssm:DeleteParameter",
            "ssm:GetParameter"
        ],
        "the lost delete is followed by a read, not a second delete"
    );
    let left = locks_left(&s).await;
    assert!(left.is_empty(), "the lock is gone: {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_watching_and_says_what_to_do() {
    let s = Stage::new("ctrlc");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.rollouts(60_000, &["hang"]);
    s.proxy.reset();
    let child = s.spawn(&["--image-tag", "v2"]);
    s.wait_for_op("ecs:UpdateService", 1);
    std::thread::sleep(Duration::from_millis(300));
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let r = finish(child);
    r.assert_code(130);
    assert!(
        r.stderr
            .contains("stopped watching; the deployment goes on in ECS"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("sidecarctl status api --env test"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("aws ecs update-service"), "{}", r.stderr);
    assert!(
        r.stderr.contains(":1"),
        "names the previous revision: {}",
        r.stderr
    );
    assert_eq!(
        s.proxy.writes().get("ecs:UpdateService"),
        Some(&1),
        "AWS is left as it is"
    );
    let ssm = aws_sdk_ssm::Client::new(&s.sdk().await);
    assert!(
        ssm.get_parameter()
            .name(format!("/sidecarctl/locks/{}/test/api", s.app))
            .send()
            .await
            .is_err(),
        "lock released"
    );
}

#[test]
fn deploy_all_deploys_every_service_concurrently() {
    let s = Stage::new("all");
    // The load-balanced service needs its target group when it is created.
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.reset();
    s.proxy.faults(
        serde_json::json!([{"op": "ecs:DescribeServices", "kind": "throttle", "times": 3}]),
    );
    let r = run(s.cmd().args([
        "deploy",
        "--all",
        "--env",
        "test",
        "--image-tag",
        "v2",
        "--poll-interval",
        "50ms",
        "-o",
        "json",
    ]));
    r.assert_code(0);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let services: Vec<(&str, &str)> = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap(),
                s["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(services, [("api", "deployed"), ("worker", "deployed")]);
    assert_eq!(v["exitCode"], 0);
    // The two deploys overlapped: each one's requests span the other's.
    let log = s.proxy.stats()["log"].as_array().unwrap().clone();
    let span = |name: &str| {
        let mine: Vec<&Value> = log
            .iter()
            .filter(|e| {
                e["target"].as_str().is_some_and(|t| {
                    t == name
                        || t.ends_with(&format!("-{name}"))
                        || t.contains(&format!("-{name}:"))
                })
            })
            .collect();
        assert!(!mine.is_empty(), "no request for {name}");
        let start = mine
            .iter()
            .map(|e| e["startMs"].as_f64().unwrap())
            .fold(f64::MAX, f64::min);
        let end = mine
            .iter()
            .map(|e| e["endMs"].as_f64().unwrap())
            .fold(0.0, f64::max);
        (start, end)
    };
    let (api, worker) = (span("api"), span("worker"));
    assert!(
        api.0 < worker.1 && worker.0 < api.1,
        "sequential: api {api:?}, worker {worker:?}"
    );
    let creates = log
        .iter()
        .filter(|e| e["op"] == "ecs:CreateService")
        .count();
    assert_eq!(creates, 1, "the worker service was created");

    // A problem in any service stops them all before anything is written.
    let manifest = s.ws.path().join("copilot/worker/manifest.yml");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("cpu: 512", "cpu: 513");
    std::fs::write(&manifest, text).unwrap();
    s.proxy.reset();
    let r = run(s
        .cmd()
        .args(["deploy", "--all", "--env", "test", "--image-tag", "v1"]));
    r.assert_code(2);
    assert!(
        r.stderr.contains("copilot/worker/manifest.yml"),
        "{}",
        r.stderr
    );
    assert!(s.proxy.counts().is_empty());
    let _ = emulator();
}

#[tokio::test(flavor = "multi_thread")]
async fn of_ten_deploys_that_find_one_expired_lock_exactly_one_proceeds() {
    let s = Stage::new("takeover");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    let ssm = aws_sdk_ssm::Client::new(&s.sdk().await);
    let name = format!("/sidecarctl/locks/{}/test/api", s.app);
    for round in 0..3 {
        // A holder killed long ago left its lock.
        let now = sidecarctl::clock::now_ms();
        let dead = serde_json::json!({"owner": "ci@gone (pid 1)", "token": format!("dead-{round}"), "since": now - 7_200_000, "expires": now - 60_000});
        ssm.put_parameter()
            .name(&name)
            .value(dead.to_string())
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .overwrite(true)
            .send()
            .await
            .unwrap();
        let before = s.revisions().await;
        // The deploy that proceeds holds the lock until its rollout times out
        // (it never completes): long enough for the nine others, however slow
        // their start, to meet the lock while it is held.
        s.proxy.rollouts(120_000, &["hang"]);
        s.proxy.reset();
        let tag = if round % 2 == 0 { "v2" } else { "v1" };
        let runs: Vec<_> = (0..10)
            .map(|_| s.spawn(&["--image-tag", tag, "--timeout", "15s", "--no-rollback"]))
            .collect();
        let done: Vec<_> = runs.into_iter().map(finish).collect();
        // One deploy writes; its rollout never finishes, so it times out (5).
        // Every other one is refused by the lock (7) or, having read the
        // service after the writer's UpdateService, finds nothing to change
        // and watches the rollout still in progress (5, by design): none of
        // them writes.
        let counts = s.proxy.counts();
        let writes = |op: &str| counts.get(op).copied().unwrap_or(0);
        assert_eq!(
            writes("ecs:RegisterTaskDefinition"),
            1,
            "round {round}: one writer registers"
        );
        assert_eq!(
            writes("ecs:UpdateService"),
            1,
            "round {round}: one writer updates the service"
        );
        let watchers = done
            .iter()
            .filter(|d| d.code == 5 && d.stderr.contains("nothing to change"))
            .count();
        let refused = done.iter().filter(|d| d.code == 7).count();
        let codes: Vec<i32> = done.iter().map(|d| d.code).collect();
        assert_eq!(
            refused + watchers,
            9,
            "round {round}: nine are refused or watch without writing: {codes:?}"
        );
        assert_eq!(
            s.revisions().await,
            before + 1,
            "round {round}: one new revision"
        );
    }
}
