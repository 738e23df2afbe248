//! sidecarctl-localproxy for one test: rollouts played and faults injected on
//! demand, requests counted by operation.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use super::http;

pub struct Proxy {
    pub endpoint: String,
    child: Child,
}

/// The proxy's binary: test tooling in its own package (`tools/localproxy`),
/// built here once, into the same target directory as the tests, as
/// `cargo test` and `scripts/demo` build it (the whole workspace: one set of
/// features, nothing compiled twice).
pub fn binary() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--locked", "--quiet", "--workspace", "--bins"])
            .current_dir(super::root())
            .status()
            .expect("run cargo build --workspace --bins");
        assert!(status.success(), "building sidecarctl-localproxy failed");
        // The test binary runs from {target}/debug/deps.
        let exe = std::env::current_exe().expect("the test binary's path");
        let dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("{target}/debug/deps");
        dir.join("sidecarctl-localproxy")
    })
}

impl Proxy {
    /// A proxy in front of `upstream` whose rollouts take `rollout_ms`.
    pub fn start(upstream: &str, rollout_ms: u64) -> Proxy {
        Proxy::start_with(upstream, rollout_ms, None)
    }

    /// As [`Proxy::start`], serving `registry` as ECR's registry endpoint.
    pub fn start_with(upstream: &str, rollout_ms: u64, registry: Option<&str>) -> Proxy {
        let mut child = Command::new(binary())
            .args([
                "--upstream",
                upstream,
                "--rollout-ms",
                &rollout_ms.to_string(),
            ])
            .args(registry.map(|r| ["--registry", r]).into_iter().flatten())
            .args(["--watch-pid", &std::process::id().to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start sidecarctl-localproxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Proxy {
            endpoint: line.trim().to_string(),
            child,
        }
    }

    fn post(&self, path: &str, body: Value) {
        let (status, text) = http(
            "POST",
            &format!("{}{path}", self.endpoint),
            &body.to_string(),
        );
        assert_eq!(status, 200, "{path}: {text}");
    }

    /// The next rollouts' outcomes (`complete`, `fail`, `hang`) and duration.
    /// One-off tasks (RunTask): the next ones' outcomes (`exit:N`, `fail`)
    /// and how long each runs.
    pub fn runs(&self, ms: u64, outcomes: &[&str]) {
        self.post(
            "/_sim/runs",
            serde_json::json!({"ms": ms, "outcomes": outcomes}),
        );
    }

    pub fn rollouts(&self, duration_ms: u64, outcomes: &[&str]) {
        self.post(
            "/_sim/rollouts",
            serde_json::json!({"durationMs": duration_ms, "outcomes": outcomes}),
        );
    }

    /// CloudFormation's behaviour (`{"emptyChangeSets": true}`: every change
    /// set found to change nothing).
    pub fn cfn(&self, config: Value) {
        self.post("/_sim/cfn", config);
    }

    /// How the emulated Live Tail sessions behave (`sampleAbove`,
    /// `sessionMs`, `updateMs`, `fail`).
    pub fn livetail(&self, config: Value) {
        self.post("/_sim/livetail", config);
    }

    /// Fault rules (see sidecarctl-localproxy's documentation).
    pub fn faults(&self, rules: Value) {
        self.post("/_sim/faults", rules);
    }

    /// Clears counts, log and faults.
    pub fn reset(&self) {
        self.post("/_sim/reset", serde_json::json!({}));
    }

    pub fn stats(&self) -> Value {
        let (status, text) = http("GET", &format!("{}/_sim/stats", self.endpoint), "");
        assert_eq!(status, 200);
        serde_json::from_str(&text).unwrap()
    }

    /// Requests by operation since the last reset.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.stats()["counts"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect()
    }

    /// The writes besides the deploy lock's (the only SSM parameters
    /// sidecarctl writes are its lock and the lock's release marker).
    pub fn changes(&self) -> BTreeMap<String, u64> {
        self.writes()
            .into_iter()
            .filter(|(op, _)| !op.starts_with("ssm:"))
            .collect()
    }

    /// The operations that change something, with their counts.
    pub fn writes(&self) -> BTreeMap<String, u64> {
        self.counts()
            .into_iter()
            .filter(|(op, _)| {
                let name = op.split(':').nth(1).unwrap_or_default();
                !["Describe", "Get", "List", "Filter", "Head", "BatchGet"]
                    .iter()
                    .any(|p| name.starts_with(p))
            })
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
