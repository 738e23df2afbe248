//! An ECS service and its deployments.

/// A deployment's place among the service's deployments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DeploymentStatus {
    /// The one the service moves to.
    #[default]
    Primary,
    /// An older one still running tasks.
    Active,
    Inactive,
    Other(String),
}

impl DeploymentStatus {
    pub fn from_ecs(s: &str) -> Self {
        match s {
            "PRIMARY" => DeploymentStatus::Primary,
            "ACTIVE" => DeploymentStatus::Active,
            "INACTIVE" => DeploymentStatus::Inactive,
            other => DeploymentStatus::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            DeploymentStatus::Primary => "PRIMARY",
            DeploymentStatus::Active => "ACTIVE",
            DeploymentStatus::Inactive => "INACTIVE",
            DeploymentStatus::Other(s) => s,
        }
    }
}

/// How a deployment's rollout goes, as ECS reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RolloutState {
    InProgress,
    Completed,
    Failed,
    /// ECS did not say (deployments without the rolling-update controller's states).
    #[default]
    Unknown,
}

impl RolloutState {
    pub fn from_ecs(s: Option<&str>) -> Self {
        match s {
            Some("IN_PROGRESS") => RolloutState::InProgress,
            Some("COMPLETED") => RolloutState::Completed,
            Some("FAILED") => RolloutState::Failed,
            _ => RolloutState::Unknown,
        }
    }

    /// ECS's word for it; empty when ECS did not say.
    pub fn as_str(&self) -> &'static str {
        match self {
            RolloutState::InProgress => "IN_PROGRESS",
            RolloutState::Completed => "COMPLETED",
            RolloutState::Failed => "FAILED",
            RolloutState::Unknown => "",
        }
    }
}

/// A service as the rollout watcher sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceState {
    pub arn: String,
    pub name: String,
    pub status: String,
    pub task_definition: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    /// Newest first, as ECS lists them.
    pub deployments: Vec<Deployment>,
    /// Newest first.
    pub events: Vec<ServiceEvent>,
    /// `Some(rollback)` when ECS reports the circuit breaker's setting.
    pub circuit_breaker_rollback: Option<bool>,
}

impl ServiceState {
    /// The deployment the service moves to.
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.status == DeploymentStatus::Primary)
    }

    /// The deployment of a task definition, if there is one.
    pub fn deployment_of(&self, task_definition: &str) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.task_definition == task_definition)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Deployment {
    pub id: String,
    pub status: DeploymentStatus,
    pub task_definition: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub failed_tasks: i32,
    pub rollout_state: RolloutState,
    pub rollout_reason: String,
    /// Epoch milliseconds; 0 when unknown.
    pub created_at_ms: i64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceEvent {
    pub id: String,
    pub at_epoch_ms: i64,
    pub message: String,
}

/// Where and how a new service runs.
#[derive(Clone, Debug, PartialEq)]
pub struct NewService {
    pub cluster: String,
    pub name: String,
    pub task_definition: String,
    pub desired: i32,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub public_ip: bool,
    /// `(target group, container, port)`.
    pub load_balancer: Option<(String, String, i32)>,
    pub rollback: bool,
    pub tags: Vec<(String, String)>,
    /// Makes a retried CreateService idempotent.
    pub client_token: String,
}
