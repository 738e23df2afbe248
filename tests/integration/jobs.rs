//! Scheduled Jobs on EventBridge Scheduler: a job with a sidecar and
//! FireLens deploys as its task definition, its roles, its log group, a
//! scheduler role that may run exactly it, and a schedule that runs it on
//! Fargate in the environment's network with the retries asked; a second
//! deploy writes nothing; a changed schedule is updated in place; an
//! environment's override applies; a job Copilot's stack still runs is not
//! scheduled a second time.

use serde_json::Value;

use crate::support::{Stage, emulator, run};

const JOB: &str = r#"# A nightly report: a main container, a sidecar, FireLens.
name: report
type: Scheduled Job

image:
  location: ${AWS_ACCOUNT_ID}.dkr.ecr.${AWS_REGION}.amazonaws.com/${COPILOT_APPLICATION_NAME}/worker:v1

on:
  schedule: "@daily"
retries: 2
timeout: 1h

cpu: 256
memory: 512

variables:
  MODE: nightly

network:
  vpc:
    placement: private
    security_groups:
      - ${SECURITY_GROUP_ID}

logging:
  destination:
    Name: cloudwatch
    region: us-east-1
    log_group_name: /reports
    auto_create_group: "true"

sidecars:
  shipper:
    image: ${AWS_ACCOUNT_ID}.dkr.ecr.${AWS_REGION}.amazonaws.com/${COPILOT_APPLICATION_NAME}/reverse-proxy:revision_1
    essential: false
"#;

fn deploy_job(s: &Stage, extra: &[&str]) -> (crate::support::Run, Value) {
    let r = run(s
        .cmd()
        .args(["deploy", "report", "--env", "test", "--image-tag", "v1"])
        .args(["-o", "json"])
        .args(extra));
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: one JSON document\n{}\n{}", r.stdout, r.stderr));
    (r, v)
}

fn schedule(s: &Stage) -> Value {
    emulator()
        .schedule(&format!("{}-test-report", s.app))
        .expect("the job's schedule exists")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_deploys_as_a_schedule_that_runs_its_task_definition() {
    let s = Stage::new("jobs");
    s.ws.write("copilot/report/manifest.yml", JOB);
    // A dry run plans the schedule and changes nothing.
    s.proxy.reset();
    let (r, v) = deploy_job(&s, &["--dry-run"]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "dry-run", "{v:#}");
    assert!(
        crate::support::stage::changes(&v)
            .iter()
            .any(|c| c.starts_with("create schedule")),
        "{v:#}"
    );
    assert!(s.proxy.writes().is_empty(), "{:?}", s.proxy.writes());
    let (r, v) = deploy_job(&s, &[]);
    r.assert_code(0);
    let changes = crate::support::stage::changes(&v);
    assert!(
        changes.iter().any(|c| c.starts_with("create schedule")),
        "{changes:#?}"
    );
    let td = v["taskDefinition"]["arn"].as_str().unwrap().to_string();
    assert!(td.contains(&format!("{}-test-report", s.app)), "{td}");

    // The schedule: the job's revision, on Fargate, in the private subnets
    // with the manifest's group, retried twice.
    let held = schedule(&s);
    assert_eq!(held["ScheduleExpression"], "cron(0 0 * * ? *)");
    assert_eq!(held["State"], "ENABLED");
    let t = &held["Target"];
    assert!(
        t["Arn"]
            .as_str()
            .unwrap()
            .ends_with(&format!("cluster/{}-test", s.app))
    );
    assert!(
        t["RoleArn"]
            .as_str()
            .unwrap()
            .ends_with(&format!("role/{}-test-report-SchedulerRole", s.app))
    );
    assert_eq!(t["RetryPolicy"]["MaximumRetryAttempts"], 2);
    let ecs = &t["EcsParameters"];
    assert_eq!(ecs["TaskDefinitionArn"], td.as_str());
    assert_eq!(ecs["LaunchType"], "FARGATE");
    let net = &ecs["NetworkConfiguration"]["awsvpcConfiguration"];
    assert_eq!(net["AssignPublicIp"], "DISABLED");
    assert_eq!(
        net["Subnets"][0].as_str(),
        Some(s.seed.vars["PRIVATE_SUBNET_1"].as_str())
    );

    // The task definition: the main container, the sidecar, the router.
    let sdk = aws_sdk_ecs::Client::new(&s.sdk().await);
    let got = sdk
        .describe_task_definition()
        .task_definition(&td)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = got
        .task_definition()
        .unwrap()
        .container_definitions()
        .iter()
        .filter_map(|c| c.name())
        .collect();
    assert_eq!(names, ["report", "firelens_log_router", "shipper"]);

    // The scheduler role may run exactly the job's family.
    let iam = aws_sdk_iam::Client::new(&s.sdk().await);
    let policy = iam
        .get_role_policy()
        .role_name(format!("{}-test-report-SchedulerRole", s.app))
        .policy_name("sidecarctl-scheduler")
        .send()
        .await
        .unwrap();
    let doc = urlencoding_decode(policy.policy_document());
    assert!(
        doc.contains(&format!("task-definition/{}-test-report:*", s.app)),
        "{doc}"
    );
    assert!(!doc.contains("\"Resource\":\"*\""), "{doc}");

    // Nothing changed: nothing written.
    s.proxy.reset();
    let (r, v) = deploy_job(&s, &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "unchanged", "{v:#}");
    assert!(s.proxy.changes().is_empty(), "{:?}", s.proxy.changes());

    // A changed schedule: updated in place, the revision kept.
    s.ws.write(
        "copilot/report/manifest.yml",
        &JOB.replace("\"@daily\"", "\"*/15 * * * *\""),
    );
    s.proxy.reset();
    let (r, v) = deploy_job(&s, &[]);
    r.assert_code(0);
    assert_eq!(
        crate::support::stage::changes(&v),
        [format!(
            "update schedule {}-test-report (cron(*/15 * * * ? *), 2 retries)",
            s.app
        )]
    );
    assert_eq!(
        s.proxy.changes().keys().cloned().collect::<Vec<_>>(),
        ["scheduler:UpdateSchedule"]
    );
    let held = schedule(&s);
    assert_eq!(held["ScheduleExpression"], "cron(*/15 * * * ? *)");
    assert_eq!(
        held["Target"]["EcsParameters"]["TaskDefinitionArn"],
        td.as_str()
    );

    // An environment's override; then `none`: kept, disabled.
    s.ws.write(
        "copilot/report/manifest.yml",
        &format!("{JOB}environments:\n  test:\n    on:\n      schedule: \"@hourly\"\n"),
    );
    deploy_job(&s, &[]).0.assert_code(0);
    assert_eq!(schedule(&s)["ScheduleExpression"], "cron(0 * * * ? *)");
    s.ws.write(
        "copilot/report/manifest.yml",
        &JOB.replace("\"@daily\"", "none"),
    );
    deploy_job(&s, &[]).0.assert_code(0);
    assert_eq!(schedule(&s)["State"], "DISABLED");
}

fn urlencoding_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Copilot's job stack, as its template has it: the rule that starts the
/// job's state machine (left out, with the task definition: the rule is
/// what runs the job) and the job's log group.
async fn copilot_job_stack(s: &Stage) -> String {
    let template = serde_json::json!({
        "Resources": {
            "Rule": {
                "Type": "AWS::Events::Rule",
                "Properties": {"ScheduleExpression": "cron(0 0 * * ? *)", "State": "ENABLED"}
            },
            "LogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {
                    "LogGroupName": format!("/copilot/{}-test-report", s.app),
                    "RetentionInDays": 30
                }
            }
        }
    });
    let cfn = aws_sdk_cloudformation::Client::new(&s.sdk().await);
    let name = format!("{}-test-report", s.app);
    cfn.create_stack()
        .stack_name(&name)
        .template_body(template.to_string())
        .send()
        .await
        .unwrap();
    let r = cfn
        .describe_stack_resource()
        .stack_name(&name)
        .logical_resource_id("Rule")
        .send()
        .await
        .unwrap();
    r.stack_resource_detail()
        .unwrap()
        .physical_resource_id()
        .unwrap()
        .to_string()
}

fn rule_state(rule: &str) -> String {
    let v = emulator().json_call("AWSEvents.DescribeRule", &serde_json::json!({"Name": rule}));
    v["State"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_adopted_job_moves_from_copilots_rule_to_its_schedule_between_two_runs() {
    let s = Stage::new("jobadopt");
    s.ws.write("copilot/report/manifest.yml", JOB);
    copilot_job_stack(&s).await;

    // adopt: every resource retained, the stack deleted; the rule runs on.
    let r = run(s
        .cmd()
        .args(["adopt", "report", "--env", "test", "-o", "json"]));
    r.assert_code(0);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["outcome"], "adopted", "{v:#}");
    // The rule as the stack names it once retained (the emulator replaces
    // it on the retaining update, which AWS does not).
    let rule = v["jobRule"].as_str().unwrap().to_string();
    assert!(
        v["leftBehind"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["logicalId"] == "Rule"),
        "{v:#}"
    );
    assert_eq!(rule_state(&rule), "ENABLED");

    // deploy: the schedule, read back, then the rule disabled.
    s.proxy.reset();
    let (r, v) = deploy_job(&s, &[]);
    r.assert_code(0);
    let changes = crate::support::stage::changes(&v);
    assert!(
        changes
            .iter()
            .any(|c| c.starts_with(&format!("move the job from Copilot's rule {rule}"))),
        "{changes:#?}"
    );
    assert_eq!(rule_state(&rule), "DISABLED");
    assert_eq!(schedule(&s)["State"], "ENABLED");
    let log: Vec<String> = s.proxy.stats()["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["op"].as_str().map(str::to_string))
        .filter(|op| op.contains("Schedule") || op.contains("Rule"))
        .collect();
    let at = |op: &str| {
        log.iter()
            .rposition(|o| o == op)
            .unwrap_or_else(|| panic!("{op}: {log:?}"))
    };
    assert!(
        at("scheduler:CreateSchedule") < at("scheduler:GetSchedule"),
        "{log:?}"
    );
    assert!(
        at("scheduler:GetSchedule") < at("events:DisableRule"),
        "{log:?}"
    );

    // Switched: a second deploy changes nothing.
    s.proxy.reset();
    let (r, v) = deploy_job(&s, &[]);
    r.assert_code(0);
    assert_eq!(v["outcome"], "unchanged", "{v:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_copilots_stack_still_runs_is_not_scheduled_twice() {
    let s = Stage::new("jobcop");
    s.ws.write("copilot/report/manifest.yml", JOB);
    let rule = copilot_job_stack(&s).await;
    s.proxy.reset();
    let (r, v) = deploy_job(&s, &[]);
    r.assert_code(2);
    assert_eq!(v["diagnostics"][0]["code"], "job-run-by-copilot", "{v:#}");
    assert!(
        v["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&rule),
        "{v:#}"
    );
    assert!(r.stderr.contains("sidecarctl adopt report"), "{}", r.stderr);
    assert!(s.proxy.changes().is_empty(), "{:?}", s.proxy.changes());
    assert!(
        emulator()
            .schedule(&format!("{}-test-report", s.app))
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn run_starts_a_job_as_its_schedule_would_enforces_its_timeout_and_status_shows_the_runs() {
    let s = Stage::new("jobrun");
    s.ws.write(
        "copilot/report/manifest.yml",
        &JOB.replace("timeout: 1h", "timeout: 2s"),
    );
    let run_job = |extra: &[&str]| {
        run(s
            .cmd()
            .args(["run", "report", "--env", "test", "--poll-interval", "100ms"])
            .args(extra))
    };
    // Not deployed: nothing to run.
    let r = run_job(&[]);
    r.assert_code(3);
    assert!(r.stderr.contains("deploy it first"), "{}", r.stderr);

    let (r, v) = deploy_job(&s, &[]);
    r.assert_code(0);
    let td = v["taskDefinition"]["arn"].as_str().unwrap().to_string();
    s.proxy.runs(300, &["exit:0", "exit:3"]);
    let r = run_job(&["--wait", "-o", "json"]);
    r.assert_code(0);
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(out["taskDefinition"], td.as_str());
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let t = ecs
        .describe_tasks()
        .cluster(out["cluster"].as_str().unwrap())
        .tasks(out["taskArn"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let task = &t.tasks()[0];
    assert_eq!(task.started_by(), Some("sidecarctl-run"));
    let r = run_job(&["--wait"]);
    r.assert_code(3);
    assert!(r.stderr.contains("report exited with 3"), "{}", r.stderr);

    // A run longer than the job's timeout is stopped after it.
    s.proxy.runs(60_000, &["exit:0"]);
    let r = run_job(&["--wait"]);
    assert!(
        r.stderr.contains("the job's timeout (2.0s) has passed"),
        "{}",
        r.stderr
    );
    r.assert_code(143);

    // status: the schedule, its next run, the runs with their exit codes.
    let r = run(s
        .cmd()
        .args(["status", "report", "--env", "test", "-o", "json"]));
    r.assert_code(0);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["schedule"]["expression"], "cron(0 0 * * ? *)");
    assert_eq!(v["schedule"]["state"], "ENABLED");
    assert_eq!(v["schedule"]["retries"], 2);
    assert!(
        v["schedule"]["nextRun"]
            .as_str()
            .unwrap()
            .ends_with("T00:00:00.000Z"),
        "{v:#}"
    );
    let mut codes: Vec<i64> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["exitCode"].as_i64())
        .collect();
    codes.sort_unstable();
    assert_eq!(codes, [0, 3, 143], "{v:#}");
    let r = run(s.cmd().args(["status", "report", "--env", "test"]));
    r.assert_code(0);
    assert!(
        r.stdout.contains("exit 3") && r.stdout.contains("sidecarctl run"),
        "{}",
        r.stdout
    );
    // logs --previous: the most recently stopped run's lines.
    let last = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["exitCode"] == 143)
        .unwrap()["taskArn"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&s.sdk().await);
    let group = format!("/copilot/{}-test-report", s.app);
    let stream = format!("copilot/report/{last}");
    logs.create_log_stream()
        .log_group_name(&group)
        .log_stream_name(&stream)
        .send()
        .await
        .unwrap();
    logs.put_log_events()
        .log_group_name(&group)
        .log_stream_name(&stream)
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(sidecarctl::clock::now_ms())
                .message("the last words")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let r = run(s.cmd().args([
        "logs",
        "report",
        "--env",
        "test",
        "--previous",
        "--since",
        "1h",
    ]));
    r.assert_code(0);
    assert!(
        r.stderr
            .contains(&format!("previously stopped task: {last}")),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("the last words"), "{}", r.stdout);
    // logs: the job's log group, as for a service.
    let r = run(s.cmd().args([
        "logs", "report", "--env", "test", "--since", "1h", "-o", "json",
    ]));
    r.assert_code(0);
}
