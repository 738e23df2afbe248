//! Faults during a deploy: every AWS operation the deploy makes, under
//! throttling bursts, 500 and 503 answers, connections reset before and after
//! the request is carried out, and answers slower than the client's timeout.
//! Transient faults are ridden out in one run; a lasting one stops the run with
//! a message naming what was applied and what was not, and a second run
//! completes the deploy. Never two task definition revisions for one deploy,
//! never a service on a task definition that failed to register.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Mutex;

use serde_json::json;

use crate::support::{
    Proxy, Run, Seed, TempDir, emulator, example_workspace, run, sidecarctl, unique_app,
};

/// (kind, how many requests it hits, delay in ms).
const TRANSIENT: &[(&str, u32, u64)] = &[
    ("throttle", 3, 0),
    ("error500", 2, 0),
    ("error503", 2, 0),
    ("reset", 1, 0),
    ("reset-after", 1, 0),
    ("slow", 1, 1_500),
];

/// Operations only a first deploy makes.
const CREATE_ONLY: &[&str] = &[
    "logs:CreateLogGroup",
    "logs:PutRetentionPolicy",
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "cloudformation:CreateChangeSet",
    "cloudformation:ExecuteChangeSet",
    "ecs:CreateService",
    // Asked only while the service does not exist: its ARN tells the
    // account, and its existence that the cluster is there.
    "sts:GetCallerIdentity",
    "ecs:DescribeClusters",
];

/// Operations every deploy that changes something makes.
const EVERY_DEPLOY: &[&str] = &[
    "ecs:DescribeServices",
    "ecs:DescribeTaskDefinition",
    "ecr:DescribeImages",
    "elasticfilesystem:DescribeFileSystems",
    "elasticfilesystem:DescribeAccessPoints",
    "secretsmanager:DescribeSecret",
    "ssm:DescribeParameters",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "logs:DescribeLogGroups",
    "ssm:PutParameter",
    "ecs:RegisterTaskDefinition",
    "ecs:UpdateService",
    "ssm:GetParameter",
    "ssm:DeleteParameter",
];

/// One application with many seeded environments, one per scenario.
struct Fleet {
    app: String,
    ws: TempDir,
    seeds: BTreeMap<String, Seed>,
}

impl Fleet {
    fn new(label: &str, envs: &[String]) -> Fleet {
        let app = unique_app(label);
        let seeds = emulator().seed_many(&app, envs);
        let ws = example_workspace(&app);
        let env_manifest =
            std::fs::read_to_string(ws.path().join("copilot/environments/test/manifest.yml"))
                .unwrap();
        for e in envs {
            ws.write(
                &format!("copilot/environments/{e}/manifest.yml"),
                &env_manifest.replace("name: test", &format!("name: {e}")),
            );
        }
        Fleet { app, ws, seeds }
    }

    fn deploy(&self, env: &str, proxy: &Proxy, tag: &str) -> Run {
        let seed = &self.seeds[env];
        let mut c: Command = sidecarctl(self.ws.path());
        c.envs(&seed.vars)
            .env("AWS_ENDPOINT_URL", &proxy.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .args([
                "deploy",
                "api",
                "--env",
                env,
                "--image-tag",
                tag,
                "--target-group-arn",
                &seed.vars["TARGET_GROUP_ARN"],
            ])
            .args([
                "--poll-interval",
                "50ms",
                "--timeout",
                "30s",
                "--api-timeout",
                "1s",
            ]);
        run(&mut c)
    }

    /// The family's revisions, and the task definition the service runs (if it exists).
    async fn state(&self, env: &str) -> (Vec<String>, Option<String>) {
        let ecs = aws_sdk_ecs::Client::new(&emulator().sdk_config().await);
        let family = format!("{}-{env}-api", self.app);
        let revisions = ecs
            .list_task_definitions()
            .family_prefix(&family)
            .send()
            .await
            .unwrap()
            .task_definition_arns()
            .to_vec();
        let svc =
            sidecarctl::aws::ecs::describe_service(&ecs, &format!("{}-{env}", self.app), "api")
                .await
                .unwrap();
        (revisions, svc.map(|s| s.task_definition))
    }
}

fn rule(op: &str, kind: &str, times: u32, delay: u64) -> serde_json::Value {
    json!([{"op": op, "kind": kind, "times": times, "delayMs": delay}])
}

/// Problems found, gathered so one test reports them all.
struct Problems(Mutex<Vec<String>>);

impl Problems {
    fn check(&self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.lock().unwrap().push(what());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_faults_on_first_deploys_are_ridden_out() {
    let scenarios: Vec<(String, &str, (&str, u32, u64))> = CREATE_ONLY
        .iter()
        .flat_map(|op| TRANSIENT.iter().map(move |k| (*op, *k)))
        .enumerate()
        .map(|(i, (op, k))| (format!("c{i}"), op, k))
        .collect();
    let envs: Vec<String> = scenarios.iter().map(|s| s.0.clone()).collect();
    let fleet = Fleet::new("fc", &envs);
    let problems = Problems(Mutex::new(Vec::new()));
    let queue = Mutex::new(scenarios.clone());
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                let proxy = Proxy::start(&emulator().endpoint, 0);
                while let Some((env, op, (kind, times, delay))) = queue.lock().unwrap().pop() {
                    proxy.faults(rule(op, kind, times, delay));
                    let r = fleet.deploy(&env, &proxy, "v1");
                    let met = proxy.stats()["injected"][op].as_u64().unwrap_or(0);
                    proxy.faults(json!([]));
                    problems.check(r.code == 0, || {
                        format!("{op} {kind}: exit {}\n{}", r.code, r.stderr)
                    });
                    problems.check(met > 0, || format!("{op} {kind}: the fault was never met"));
                }
            });
        }
    });
    for (env, op, (kind, _, _)) in &scenarios {
        let (revisions, running) = fleet.state(env).await;
        problems.check(revisions.len() == 1, || {
            format!("{op} {kind}: {} revisions: {revisions:?}", revisions.len())
        });
        problems.check(running.as_ref() == revisions.first(), || {
            format!("{op} {kind}: the service runs {running:?}")
        });
    }
    let p = problems.0.into_inner().unwrap();
    assert!(
        p.is_empty(),
        "{} of {} scenarios went wrong:\n{}",
        p.len(),
        scenarios.len(),
        p.join("\n\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_faults_on_updates_are_ridden_out() {
    let envs: Vec<String> = TRANSIENT.iter().map(|(k, _, _)| format!("u-{k}")).collect();
    let fleet = Fleet::new("fu", &envs);
    let problems = Problems(Mutex::new(Vec::new()));
    let counts = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for (env, (kind, times, delay)) in envs.iter().zip(TRANSIENT) {
            let (fleet, problems, counts) = (&fleet, &problems, &counts);
            scope.spawn(move || {
                let proxy = Proxy::start(&emulator().endpoint, 0);
                fleet.deploy(env, &proxy, "v1").assert_code(0);
                let mut deploys = 1;
                for (i, op) in EVERY_DEPLOY.iter().enumerate() {
                    proxy.reset();
                    proxy.faults(rule(op, kind, *times, *delay));
                    let r = fleet.deploy(env, &proxy, if i % 2 == 0 { "v2" } else { "v1" });
                    let met = proxy.stats()["injected"][*op].as_u64().unwrap_or(0);
                    problems.check(r.code == 0, || {
                        format!("{op} {kind}: exit {}\n{}", r.code, r.stderr)
                    });
                    problems.check(met > 0, || format!("{op} {kind}: the fault was never met"));
                    deploys += 1;
                }
                counts.lock().unwrap().insert(env.clone(), deploys);
            });
        }
    });
    for env in &envs {
        let (revisions, running) = fleet.state(env).await;
        let deploys = counts.lock().unwrap()[env];
        problems.check(revisions.len() == deploys, || {
            format!("{env}: {} revisions for {deploys} deploys", revisions.len())
        });
        problems.check(running.as_ref() == revisions.last(), || {
            format!("{env}: the service runs {running:?}, not the newest revision")
        });
    }
    let p = problems.0.into_inner().unwrap();
    assert!(p.is_empty(), "{} problems:\n{}", p.len(), p.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lasting_failure_says_what_was_applied_and_a_second_run_finishes() {
    // (operation, whether a deploy ran before, the exit code of the failed run)
    let cases: &[(&str, bool, i32)] = &[
        ("logs:CreateLogGroup", false, 6),
        ("iam:CreateRole", false, 6),
        ("iam:PutRolePolicy", false, 6),
        ("cloudformation:ExecuteChangeSet", false, 1),
        ("iam:AttachRolePolicy", false, 6),
        ("ecs:RegisterTaskDefinition", false, 6),
        ("ecs:CreateService", false, 6),
        ("ecs:RegisterTaskDefinition", true, 6),
        ("ecs:UpdateService", true, 6),
        ("ssm:PutParameter", true, 1),
        ("ecr:DescribeImages", true, 1),
    ];
    let envs: Vec<String> = (0..cases.len()).map(|i| format!("p{i}")).collect();
    let fleet = Fleet::new("fp", &envs);
    let problems = Problems(Mutex::new(Vec::new()));
    let queue = Mutex::new(cases.iter().zip(&envs).collect::<Vec<_>>());
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                let proxy = Proxy::start(&emulator().endpoint, 0);
                while let Some(((op, before, code), env)) = queue.lock().unwrap().pop() {
                    proxy.faults(json!([]));
                    if *before {
                        fleet.deploy(env, &proxy, "v1").assert_code(0);
                    }
                    proxy.faults(rule(op, "error503", 100, 0));
                    let r = fleet.deploy(env, &proxy, "v2");
                    proxy.faults(json!([]));
                    problems.check(r.code == *code, || {
                        format!("{op}: exit {} (wanted {code})\n{}", r.code, r.stderr)
                    });
                    if *code == 6 {
                        problems.check(
                            r.stderr.contains("applied:") && r.stderr.contains("not applied:"),
                            || format!("{op}: no account of the steps\n{}", r.stderr),
                        );
                        problems.check(r.stderr.contains(op), || {
                            format!("{op}: the failed operation is not named\n{}", r.stderr)
                        });
                    } else {
                        problems.check(r.stderr.contains("nothing was changed"), || {
                            format!("{op}: \n{}", r.stderr)
                        });
                    }
                    let again = fleet.deploy(env, &proxy, "v2");
                    problems.check(again.code == 0, || {
                        format!("{op}: the second run failed\n{}", again.stderr)
                    });
                }
            });
        }
    });
    for ((op, before, _), env) in cases.iter().zip(&envs) {
        let (revisions, running) = fleet.state(env).await;
        let want = if *before { 2 } else { 1 };
        problems.check(revisions.len() == want, || {
            format!(
                "{op}: {} revisions, wanted {want}: {revisions:?}",
                revisions.len()
            )
        });
        problems.check(running.as_ref() == revisions.last(), || {
            format!("{op}: the service runs {running:?}")
        });
    }
    let p = problems.0.into_inner().unwrap();
    assert!(p.is_empty(), "{} problems:\n{}", p.len(), p.join("\n\n"));
}
