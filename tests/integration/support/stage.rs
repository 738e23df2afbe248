//! A stage for deploy tests: an application seeded in the emulator, a copy of
//! the example workspace, and a proxy in front (rollouts played, faults on
//! demand, requests counted).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Proxy, Run, Seed, TempDir, emulator, example_workspace, run, sidecarctl, unique_app};

const API_MANIFEST: &str = "copilot/api/manifest.yml";

/// The steps a deploy's JSON report lists as done (or planned).
pub fn changes(report: &Value) -> Vec<String> {
    report["changes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// An application seeded in the emulator, its workspace, and a proxy.
pub struct Stage {
    pub app: String,
    pub ws: TempDir,
    pub seed: Seed,
    pub proxy: Proxy,
}

impl Stage {
    pub fn new(label: &str) -> Stage {
        Stage::with(label, None)
    }

    /// A stage whose proxy serves a real registry as ECR's (image builds).
    pub fn with_registry(label: &str) -> Stage {
        Stage::with(label, Some(super::registry::registry()))
    }

    fn with(label: &str, registry: Option<&str>) -> Stage {
        let emu = emulator();
        let app = unique_app(label);
        let seed = emu.seed(&app, "test");
        let ws = example_workspace(&app);
        let proxy = Proxy::start_with(&emu.endpoint, 200, registry);
        Stage {
            app,
            ws,
            seed,
            proxy,
        }
    }

    pub fn cmd(&self) -> Command {
        let mut c = sidecarctl(self.ws.path());
        c.envs(&self.seed.vars)
            .env("AWS_ENDPOINT_URL", &self.proxy.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1");
        c
    }

    /// `deploy api --env test` with the seed's target group, polling quickly.
    pub fn deploy(&self, extra: &[&str]) -> Run {
        run(&mut self.deploy_command(extra))
    }

    /// The command `deploy` runs, to start it in the background.
    pub fn deploy_command(&self, extra: &[&str]) -> Command {
        let tg = self.seed.vars["TARGET_GROUP_ARN"].clone();
        let mut cmd = self.cmd();
        cmd.args([
            "deploy",
            "api",
            "--env",
            "test",
            "--target-group-arn",
            &tg,
            "--poll-interval",
            "50ms",
        ]);
        if !extra.contains(&"--timeout") {
            cmd.args(["--timeout", "20s"]);
        }
        cmd.args(extra);
        cmd
    }

    /// `deploy ... -o json`, parsed.
    pub fn deploy_json(&self, extra: &[&str]) -> (Run, Value) {
        let mut args = extra.to_vec();
        args.extend(["-o", "json"]);
        let r = self.deploy(&args);
        let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
            panic!(
                "{e}: stdout is one JSON document\n{}\n{}",
                r.stdout, r.stderr
            )
        });
        (r, v)
    }

    /// `deploy SVC --env test -o json` with nothing but `extra` (no target
    /// group: what the environment's stacks give is found), polling quickly.
    pub fn deploy_in_env(&self, svc: &str, extra: &[&str]) -> (Run, Value) {
        let r = run(self
            .cmd()
            .args(["deploy", svc, "--env", "test", "--poll-interval", "50ms"])
            .args(["--timeout", "20s", "-o", "json"])
            .args(extra));
        let v = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{e}: one JSON document\n{}\n{}", r.stdout, r.stderr));
        (r, v)
    }

    /// The `api` service's manifest in the stage's workspace.
    pub fn manifest(&self) -> String {
        std::fs::read_to_string(self.ws.path().join(API_MANIFEST)).unwrap()
    }

    pub fn write_manifest(&self, text: &str) {
        self.ws.write(API_MANIFEST, text);
    }

    pub fn family(&self) -> String {
        format!("{}-test-api", self.app)
    }

    pub async fn sdk(&self) -> aws_config::SdkConfig {
        emulator().sdk_config().await
    }

    /// An SDK configuration whose requests go through the stage's proxy (as
    /// another tool's would: the proxy sees and plays them).
    pub async fn sdk_via_proxy(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.proxy.endpoint)
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .load()
            .await
    }
}

impl Stage {
    /// Starts `deploy` in the background, its output piped.
    pub fn spawn(&self, extra: &[&str]) -> Child {
        self.deploy_command(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sidecarctl")
    }

    /// Waits until the proxy has seen `op` at least `n` times.
    pub fn wait_for_op(&self, op: &str, n: u64) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.proxy.counts().get(op).copied().unwrap_or(0) < n {
            assert!(
                Instant::now() < deadline,
                "{op} never happened: {:?}",
                self.proxy.counts()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The family's registered revisions.
    pub async fn revisions(&self) -> usize {
        let ecs = aws_sdk_ecs::Client::new(&self.sdk().await);
        ecs.list_task_definitions()
            .family_prefix(self.family())
            .send()
            .await
            .unwrap()
            .task_definition_arns()
            .len()
    }
}
