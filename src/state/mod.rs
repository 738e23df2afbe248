//! What AWS holds, as plain data. The shell's reads (`aws`) return these; the
//! pure core (planning, diffing, judging a rollout) reasons about them. No SDK
//! type appears here.

mod service;

pub use service::{
    Deployment, DeploymentStatus, NewService, RolloutState, ServiceEvent, ServiceState,
};

use std::collections::BTreeMap;

use crate::render::TaskDefinition;

/// A registered task definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Registered {
    pub arn: String,
    pub revision: i32,
    pub definition: TaskDefinition,
}

/// Who is calling: the account and partition, from STS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub partition: String,
}

/// An IAM role.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Role {
    pub arn: String,
    /// The trust policy, decoded.
    pub trust_policy: String,
    pub tags: BTreeMap<String, String>,
}

/// The task's roles as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IamState {
    pub execution_role: Option<Role>,
    pub task_role: Option<Role>,
    pub execution_policy: Option<String>,
    pub task_policy: Option<String>,
    /// ARNs of the managed policies attached to the task role.
    pub attached: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogGroup {
    pub name: String,
    pub retention_days: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repository {
    pub uri: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSystem {
    /// `available`, `creating`, `deleting`, ...
    pub state: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessPoint {
    pub file_system_id: String,
    pub state: String,
}

/// What a deploy found in AWS about the service itself.
#[derive(Clone, Debug, Default)]
pub struct Current {
    pub service: Option<ServiceState>,
    /// The service's task definition.
    pub td: Option<Registered>,
    /// The family's latest revision (may be newer than the service's).
    pub latest: Option<Registered>,
    pub log_group: Option<LogGroup>,
    /// `None` when the roles are managed elsewhere.
    pub iam: Option<IamState>,
}

/// The tags each image digest was pushed as (`sha256:…` → tags), from ECR.
pub type DigestTags = BTreeMap<String, Vec<String>>;

/// What a deploy lock says: who holds it, since when, until when.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockHolder {
    pub owner: String,
    pub token: String,
    /// Epoch milliseconds.
    pub since: i64,
    pub expires: i64,
}
