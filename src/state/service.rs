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
    /// How ECS rolls out (healthy percentages, rollback alarms), when it says.
    pub rollout_settings: Option<RolloutSettings>,
    pub tags: std::collections::BTreeMap<String, String>,
    /// ECS Exec is on.
    pub exec: bool,
    /// The capacity provider strategy; empty for the Fargate launch type.
    pub capacity: Vec<CapacityProvider>,
    /// The target groups ECS registers tasks in, in ECS's order.
    pub load_balancers: Vec<super::lb::LoadBalancer>,
    pub health_check_grace_s: Option<i32>,
    /// The Cloud Map services ECS registers tasks in.
    pub service_registries: Vec<ServiceRegistry>,
    /// Service Connect, as the primary deployment has it.
    pub service_connect: Option<ServiceConnect>,
}

/// How ECS rolls a deployment out: the healthy percentages, and the alarms
/// that roll it back (none: alarms off).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolloutSettings {
    pub min_healthy_percent: i32,
    pub max_percent: i32,
    pub alarms: Vec<String>,
}

impl Default for RolloutSettings {
    /// ECS's and Copilot's: 100 and 200, no alarms.
    fn default() -> Self {
        RolloutSettings {
            min_healthy_percent: 100,
            max_percent: 200,
            alarms: Vec::new(),
        }
    }
}

/// ECS Service Connect: whether the service is in the namespace, and what it
/// offers there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceConnect {
    pub enabled: bool,
    /// The namespace's name or ARN.
    pub namespace: Option<String>,
    pub services: Vec<ConnectService>,
}

/// A port the service offers through Service Connect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectService {
    /// The task definition's port mapping name.
    pub port_name: String,
    pub discovery_name: String,
    /// The name and port clients use.
    pub dns_name: String,
    pub port: i32,
}

/// A Cloud Map service ECS registers the service's tasks in, with the port
/// of their SRV records.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServiceRegistry {
    pub arn: String,
    pub port: Option<i32>,
}

/// One item of a capacity provider strategy.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct CapacityProvider {
    pub provider: String,
    pub weight: i32,
    pub base: i32,
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

    /// The deployment `pinned` (by id) when it is known, else the one of
    /// `task_definition`.
    pub fn deployment_pinned(
        &self,
        task_definition: &str,
        pinned: Option<&str>,
    ) -> Option<&Deployment> {
        match pinned {
            Some(id) => self.deployments.iter().find(|d| d.id == id),
            None => self.deployment_of(task_definition),
        }
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
    /// Target groups to register tasks in (filled in as they are created).
    pub load_balancers: Vec<super::lb::LoadBalancer>,
    /// Cloud Map services to register tasks in (filled in once created).
    pub service_registries: Vec<ServiceRegistry>,
    pub service_connect: Option<ServiceConnect>,
    /// Where Service Connect's proxy logs: the log group and region.
    pub connect_log: Option<(String, String)>,
    pub health_check_grace_s: Option<i32>,
    pub rollback: bool,
    /// The healthy percentages and rollback alarms.
    pub rollout_settings: RolloutSettings,
    /// ECS Exec.
    pub exec: bool,
    /// Empty: the Fargate launch type.
    pub capacity: Vec<CapacityProvider>,
    pub tags: Vec<(String, String)>,
    /// Makes a retried CreateService idempotent.
    pub client_token: String,
}
