//! What AWS holds, as plain data. The shell's reads (`aws`) return these; the
//! pure core (planning, diffing, judging a rollout) reasons about them. No SDK
//! type appears here.

pub mod alarm;
pub mod job;
pub mod lb;
pub mod messaging;
mod record;
mod service;
pub mod stack;
pub mod task;

pub use record::AdoptRecord;

pub use service::{
    CapacityProvider, ConnectService, Deployment, DeploymentStatus, NewService, RolloutSettings,
    RolloutState, ServiceConnect, ServiceEvent, ServiceRegistry, ServiceState,
};

use std::collections::BTreeMap;

use crate::render::TaskDefinition;

/// A registered task definition: what sidecarctl models of it, and the
/// whole document as registered (every field, modelled or not).
#[derive(Clone, Debug, PartialEq)]
pub struct Registered {
    pub arn: String,
    pub revision: i32,
    pub definition: TaskDefinition,
    /// What RegisterTaskDefinition was given, as ECS describes it
    /// ([`registered_part`](crate::render::document::registered_part)).
    pub document: serde_json::Value,
}

impl Registered {
    /// A revision whose document is its definition's (no field beyond them).
    pub fn of(arn: impl Into<String>, revision: i32, definition: TaskDefinition) -> Registered {
        Registered {
            arn: arn.into(),
            revision,
            document: crate::render::document::document(&definition),
            definition,
        }
    }
}

/// Where the application's env files are kept, as found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvFileStore {
    pub bucket: String,
    /// Copilot's application bucket: the application's KMS key (its
    /// `{app}-ArtifactKey` export) encrypts its objects. `None`: sidecarctl's
    /// own bucket, encrypted with S3's keys.
    pub copilot_kms_key: Option<String>,
    pub bucket_exists: bool,
    /// The object keys already there.
    pub present: std::collections::BTreeSet<String>,
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

/// What ECR's DescribeImages says of one repository and image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageFound {
    Image {
        digest: String,
        /// The registry (account) holding it.
        registry: String,
    },
    NoSuchImage,
    NoSuchRepository,
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

/// A target-tracking scaling policy of the service (Application Auto Scaling).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScalingPolicy {
    pub name: String,
    /// The predefined metric (`ECSServiceAverageCPUUtilization`,
    /// `ECSServiceAverageMemoryUtilization`), or Copilot's name for a
    /// customized one (`ALBSumRequestCountPerTarget`, `ALBAverageResponseTime`).
    pub metric: String,
    /// The target value in thousandths (70 % is 70000, 0.5 s is 500).
    pub target_milli: i64,
    pub scale_in_s: i32,
    pub scale_out_s: i32,
    /// A CloudWatch metric of its own; `None` for a predefined one.
    pub custom: Option<CustomMetric>,
}

/// A CloudWatch metric a customized target-tracking policy follows.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct CustomMetric {
    pub namespace: String,
    pub name: String,
    pub statistic: String,
    /// In the order given.
    pub dimensions: Vec<(String, String)>,
    /// The metric's unit, when the policy names one (`Count`).
    pub unit: Option<String>,
    /// Metric math instead of one metric: the queries, the one returning
    /// data being the expression the policy follows.
    pub queries: Vec<MetricQuery>,
}

/// A metric a query reads: namespace, name, dimensions, statistic.
pub type QueriedMetric = (String, String, Vec<(String, String)>, String);

/// One query of a metric-math policy: a metric (`m1`) or an expression
/// over others (`e1 = m1 / m2`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricQuery {
    pub id: String,
    pub expression: Option<String>,
    /// Namespace, name, dimensions and statistic of a metric.
    pub metric: Option<QueriedMetric>,
    pub return_data: bool,
}

/// The service's autoscaling as it is: its scalable target's range, and its
/// target-tracking policies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scaling {
    pub range: Option<(i32, i32)>,
    pub policies: Vec<ScalingPolicy>,
}

/// A Cloud Map service: the name a service's tasks are registered under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryService {
    pub id: String,
    pub arn: String,
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
    /// Read only when the manifest autoscales.
    pub scaling: Option<Scaling>,
    /// Read only when sidecarctl manages the service's load balancer rules.
    pub lb: Option<lb::LbState>,
    /// Read only when the manifest has `nlb`.
    pub nlb: Option<lb::NlbState>,
    /// The service's Cloud Map service in the environment's namespace, when
    /// the environment has one and it exists.
    pub discovery: Option<DiscoveryService>,
    /// Copilot's rollback alarms of the service that exist.
    pub alarms: Vec<alarm::Alarm>,
    /// A Scheduled Job's schedule and scheduler role (read for jobs only).
    pub job: Option<job::JobState>,
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
