//! `sidecarctl run`: a one-off task of a service's current task definition,
//! in its network; with `--wait`, its logs followed and the main
//! container's exit code as the exit code (125 when it never started). The
//! proxy stops the tasks the emulator starts, with the outcomes asked for.

use serde_json::Value;

use crate::support::{Stage, finish, run};

fn run_cmd(s: &Stage, extra: &[&str]) -> std::process::Command {
    let mut c = s.cmd();
    c.args(["run", "api", "--env", "test", "--poll-interval", "100ms"])
        .args(extra);
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn a_one_off_task_ends_with_its_main_containers_exit_code() {
    let s = Stage::new("runtask");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.runs(300, &["exit:0", "exit:3", "fail"]);

    // Exit 0, with the overrides and the report.
    let r = run(&mut run_cmd(
        &s,
        &[
            "--wait",
            "-o",
            "json",
            "--command",
            "./migrate --to 'v 2'",
            "--var",
            "STEP=1",
        ],
    ));
    r.assert_code(0);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["exitCode"], 0);
    let arn = v["taskArn"].as_str().unwrap().to_string();
    assert!(v["taskDefinition"].as_str().unwrap().contains(&s.family()));
    assert!(
        v["containers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "api" && c["exitCode"] == 0),
        "{v:#}"
    );
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let t = ecs
        .describe_tasks()
        .cluster(v["cluster"].as_str().unwrap())
        .tasks(&arn)
        .send()
        .await
        .unwrap();
    let task = &t.tasks()[0];
    assert_eq!(task.started_by(), Some("sidecarctl-run"));
    let o = &task.overrides().unwrap().container_overrides()[0];
    assert_eq!(o.name(), Some("api"));
    assert_eq!(o.command(), ["./migrate", "--to", "v 2"]);
    assert_eq!(o.environment()[0].name(), Some("STEP"));

    // Exit 3 is exit 3.
    let r = run(&mut run_cmd(&s, &["--wait"]));
    r.assert_code(3);
    assert!(r.stderr.contains("api exited with 3"), "{}", r.stderr);

    // A task that never started: 125, with ECS's reason.
    let r = run(&mut run_cmd(&s, &["--wait"]));
    r.assert_code(125);
    assert!(
        r.stderr.contains("TaskFailedToStart") && r.stderr.contains("CannotPullContainerError"),
        "{}",
        r.stderr
    );

    // Without --wait: started, its ARN on stdout.
    let r = run(&mut run_cmd(&s, &[]));
    r.assert_code(0);
    assert!(r.stdout.trim().starts_with("arn:aws:ecs:"), "{}", r.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn waiting_follows_the_tasks_logs_and_a_service_not_deployed_is_exit_3() {
    let s = Stage::new("runlogs");
    run(&mut run_cmd(&s, &["--wait"])).assert_code(3);
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    s.proxy.runs(4000, &["exit:0"]);
    let child = run_cmd(&s, &["--wait"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    s.wait_for_op("ecs:RunTask", 1);
    let sdk = s.sdk().await;
    let ecs = aws_sdk_ecs::Client::new(&sdk);
    let cluster = s.seed.vars["CLUSTER"].clone();
    let tasks = ecs
        .list_tasks()
        .cluster(&cluster)
        .started_by("sidecarctl-run")
        .send()
        .await
        .unwrap();
    let arn = tasks.task_arns().last().unwrap().to_string();
    let id = arn.rsplit('/').next().unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let group = format!("/copilot/{}-test-api", s.app);
    let stream = format!("copilot/nginx/{id}");
    let _ = logs
        .create_log_stream()
        .log_group_name(&group)
        .log_stream_name(&stream)
        .send()
        .await;
    logs.put_log_events()
        .log_group_name(&group)
        .log_stream_name(&stream)
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(sidecarctl::clock::now_ms())
                .message("migration 42 applied")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let r = finish(child);
    r.assert_code(0);
    assert!(
        r.stdout.contains("migration 42 applied"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
}
