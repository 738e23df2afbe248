//! The outcome of a deploy: one JSON document for pipelines (`--output json`)
//! and the exit code.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::exit::Exit;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The rollout completed.
    Deployed,
    /// The service was updated; the rollout was not watched (`--no-wait`).
    Started,
    /// Nothing differed: nothing was written.
    Unchanged,
    /// `--dry-run`: the plan was printed, nothing was written.
    DryRun,
    /// The manifest or the command line is invalid: nothing was written.
    Invalid,
    /// Something the manifest points at does not exist: nothing was written.
    Missing,
    /// The rollout failed or timed out and the service was rolled back.
    RolledBack,
    /// The rollout failed or timed out and the service was not rolled back.
    Failed,
    /// Stopped part-way through applying.
    Incomplete,
    /// Another deploy of the service is under way.
    Busy,
    /// Ctrl-C.
    Interrupted,
    /// Something else stopped the deploy (`error` says what): AWS refused a
    /// read or the lock before anything was written, or the rollout of an
    /// updated service could not be watched.
    Error,
}

impl Outcome {
    pub fn exit(self) -> Exit {
        match self {
            Outcome::Deployed | Outcome::Started | Outcome::Unchanged | Outcome::DryRun => Exit::Ok,
            Outcome::Invalid => Exit::Invalid,
            Outcome::Missing => Exit::Missing,
            Outcome::RolledBack => Exit::RolledBack,
            Outcome::Failed => Exit::NotRolledBack,
            Outcome::Incomplete => Exit::Incomplete,
            Outcome::Busy => Exit::Busy,
            Outcome::Interrupted => Exit::Interrupted,
            Outcome::Error => Exit::Failure,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinitionRef {
    pub arn: String,
    pub revision: i32,
    /// Whether this deploy registered it.
    pub registered: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ImageRef {
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    pub state: String,
    pub running: i32,
    pub desired: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timings {
    pub total: u64,
    pub resolve: u64,
    pub apply: u64,
    pub rollout: u64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub app: String,
    pub env: String,
    pub service: String,
    pub cluster: String,
    pub outcome: Outcome,
    pub exit_code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<TaskDefinitionRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_task_definition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_arn: Option<String>,
    pub images: BTreeMap<String, ImageRef>,
    /// The images built, reused or found for `image.build`, before the deploy.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub builds: serde_json::Value,
    /// Steps applied (or, for a dry run, planned).
    pub changes: Vec<String>,
    /// What a new task definition revision changes, field by field (the
    /// registered document's paths).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub task_definition_changes: Vec<String>,
    /// Steps planned but not applied (a failure part-way).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_applied: Vec<String>,
    /// The deployment in progress that this deploy replaced (fix-forward).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded: Option<Superseded>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Rollout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback: Option<Rollout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The deploy lock could not be released: the next deploy would be refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_not_released: Option<LockNotReleased>,
    pub diagnostics: serde_json::Value,
    pub timings_ms: Timings,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Superseded {
    pub id: String,
    pub task_definition: String,
    pub rollout_state: String,
    pub running: i32,
    pub desired: i32,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockNotReleased {
    /// The SSM parameter.
    pub parameter: String,
    pub error: String,
    /// The command that removes it.
    pub clear: String,
}

impl Report {
    pub fn new(app: &str, env: &str, service: &str, cluster: &str) -> Report {
        Report {
            app: app.into(),
            env: env.into(),
            service: service.into(),
            cluster: cluster.into(),
            outcome: Outcome::Error,
            exit_code: Exit::Failure.code(),
            task_definition: None,
            previous_task_definition: None,
            service_arn: None,
            images: BTreeMap::new(),
            builds: serde_json::Value::Null,
            changes: Vec::new(),
            task_definition_changes: Vec::new(),
            not_applied: Vec::new(),
            superseded: None,
            rollout: None,
            rollback: None,
            error: None,
            lock_not_released: None,
            diagnostics: serde_json::Value::Array(Vec::new()),
            timings_ms: Timings::default(),
        }
    }

    pub fn finish(mut self, outcome: Outcome) -> Report {
        self.outcome = outcome;
        self.exit_code = outcome.exit().code();
        self
    }
}
