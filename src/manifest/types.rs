//! A service manifest as sidecarctl understands it, after environment overrides.
//! Every field keeps where it was written so that later checks can point at it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::decode::At;
use crate::diag::SourceFile;
use crate::yaml::{Node, Pos};

/// The container `logging:` adds: Copilot's FireLens log router.
pub const FIRELENS_CONTAINER: &str = "firelens_log_router";
/// The collector `observability.tracing: awsxray` adds, as Copilot names it.
pub const XRAY_COLLECTOR: &str = "aws-otel-collector";

/// Copilot's default Fluent Bit image for the FireLens router.
pub const DEFAULT_FLUENT_BIT_IMAGE: &str =
    "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable";

/// A workload's kind (Copilot's `type`): three kinds of ECS services, and a
/// Scheduled Job (a task run on a schedule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceType {
    LoadBalancedWebService,
    BackendService,
    WorkerService,
    ScheduledJob,
}

impl ServiceType {
    pub const ALL: [ServiceType; 4] = [
        ServiceType::LoadBalancedWebService,
        ServiceType::BackendService,
        ServiceType::WorkerService,
        ServiceType::ScheduledJob,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::LoadBalancedWebService => "Load Balanced Web Service",
            ServiceType::BackendService => "Backend Service",
            ServiceType::WorkerService => "Worker Service",
            ServiceType::ScheduledJob => "Scheduled Job",
        }
    }

    /// Whether it runs as an ECS service (a job's tasks run on a schedule).
    pub fn is_service(self) -> bool {
        self != ServiceType::ScheduledJob
    }
}

/// A Scheduled Job's own fields.
#[derive(Clone, Debug, Default)]
pub struct Job {
    pub pos: Pos,
    /// `on.schedule`, as written (`@daily`, `rate(...)`, `cron(...)`, `none`).
    pub schedule: Option<At<String>>,
    /// `retries`: how often a failed run is retried.
    pub retries: Option<At<i64>>,
    /// `timeout`, in seconds.
    pub timeout: Option<At<u32>>,
}

pub type Vars = BTreeMap<String, At<String>>;

#[derive(Clone, Debug)]
pub struct Service {
    pub file: Arc<SourceFile>,
    pub name: At<String>,
    pub kind: At<ServiceType>,
    pub image: MainImage,
    pub entrypoint: Option<At<Vec<String>>>,
    pub command: Option<At<Vec<String>>>,
    pub http: Option<Http>,
    /// `nlb`: a Load Balanced Web Service's own network load balancer.
    pub nlb: Option<Nlb>,
    pub cpu: Option<At<i64>>,
    pub memory: Option<At<i64>>,
    pub count: Option<At<Count>>,
    pub platform: Option<At<Platform>>,
    pub variables: Vars,
    pub secrets: BTreeMap<String, At<SecretRef>>,
    /// `env_file`: the main container's env file, relative to the workspace.
    pub env_file: Option<At<String>>,
    pub storage: Storage,
    pub logging: Option<Logging>,
    pub sidecars: BTreeMap<String, Sidecar>,
    pub network: Network,
    /// `exec`: ECS Exec into the service's tasks.
    pub exec: Option<At<bool>>,
    /// A Scheduled Job's schedule, retries and timeout.
    pub job: Option<Job>,
    /// `taskdef_overrides`, in order.
    pub taskdef_overrides: Vec<OverrideRule>,
    /// `publish`: the topics the service publishes to.
    pub publish: Publish,
    /// `subscribe`: a Worker Service's subscriptions and queue.
    pub subscribe: Option<Subscribe>,
    /// `deployment`: the rollout's strategy and rollback alarms.
    pub deployment: Deployment,
    /// `observability.tracing: awsxray`: Copilot's AWS Distro for
    /// OpenTelemetry collector sidecar sends traces to X-Ray.
    pub xray: bool,
    /// Keys Copilot knows that sidecarctl accepts without acting on them.
    pub ignored: Vec<(String, Pos)>,
    /// Field paths whose `${VAR}` could not be substituted (reported once,
    /// at the variable; nothing that follows from it is reported again).
    pub unresolved: BTreeSet<String>,
}

impl Service {
    /// Whether a "must be specified" at `field` only follows from a value
    /// whose `${VAR}` could not be substituted (at `field` or under it).
    pub fn follows_from_unresolved(&self, field: &str) -> bool {
        self.unresolved
            .iter()
            .any(|u| u == field || u.strip_prefix(field).is_some_and(|r| r.starts_with('.')))
    }

    /// Every container's env file (`env_file`, `sidecars.*.env_file`,
    /// `logging.env_file`), by container name.
    pub fn env_files(&self) -> Vec<(String, &At<String>)> {
        let mut out: Vec<(String, &At<String>)> = Vec::new();
        if let Some(e) = &self.env_file {
            out.push((self.name.value.clone(), e));
        }
        if let Some(e) = self.logging.as_ref().and_then(|l| l.env_file.as_ref()) {
            out.push((FIRELENS_CONTAINER.to_string(), e));
        }
        for (name, sc) in &self.sidecars {
            if let Some(e) = &sc.env_file {
                out.push((name.clone(), e));
            }
        }
        out
    }

    pub fn is_windows(&self) -> bool {
        self.platform.as_ref().is_some_and(|p| p.windows)
    }

    pub fn desired_count(&self) -> i64 {
        self.count.as_ref().map_or(1, |c| c.desired)
    }

    /// Whether a FireLens log router is added: `logging` with more than `retention`.
    pub fn uses_firelens(&self) -> bool {
        self.logging.as_ref().is_some_and(|l| l.wants_router)
    }

    /// Every secret the task reads: the main container's, the sidecars', and
    /// FireLens's (`logging.secrets`, `logging.secretOptions`).
    pub fn secret_refs(&self) -> Vec<&At<SecretRef>> {
        let mut all: Vec<&At<SecretRef>> = self.secrets.values().collect();
        for sc in self.sidecars.values() {
            all.extend(sc.secrets.values());
        }
        if let Some(l) = &self.logging {
            all.extend(l.secrets.values());
            all.extend(l.secret_options.values());
        }
        all
    }

    /// Registry credentials secrets: `image.credentials` and the sidecars' `credentialsParameter`.
    pub fn credentials(&self) -> Vec<&At<String>> {
        self.image
            .credentials
            .iter()
            .chain(
                self.sidecars
                    .values()
                    .filter_map(|s| s.credentials_parameter.as_ref()),
            )
            .collect()
    }

    /// The volume on Copilot's managed file system (`efs: true`), if any.
    pub fn managed_volume(&self) -> Option<(&str, &Efs)> {
        self.storage.volumes.iter().find_map(|(name, v)| {
            v.efs
                .as_ref()
                .filter(|e| e.managed)
                .map(|e| (name.as_str(), e))
        })
    }

    /// Every container name with where it was declared: the main container first.
    pub fn container_names(&self) -> Vec<&str> {
        let mut names = vec![self.name.value.as_str()];
        if self.uses_firelens() {
            names.push(FIRELENS_CONTAINER);
        }
        if self.xray {
            names.push(XRAY_COLLECTOR);
        }
        names.extend(self.sidecars.keys().map(String::as_str));
        names
    }
}

#[derive(Clone, Debug, Default)]
pub struct MainImage {
    pub pos: Pos,
    pub location: Option<At<String>>,
    /// `image.build`: built and pushed to the service's ECR repository
    /// before the deploy (`build`); with `--no-build`, `--image-tag` as pushed.
    pub build: Option<At<Build>>,
    pub port: Option<At<u16>>,
    pub credentials: Option<At<String>>,
    pub healthcheck: Option<HealthCheck>,
    pub labels: Vars,
    pub depends_on: BTreeMap<String, At<String>>,
}

/// `image.build`: how Copilot builds the image (Copilot's `BuildArgsOrString`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Build {
    pub pos: Pos,
    /// The Dockerfile (the string form is its path).
    pub dockerfile: Option<At<String>>,
    pub context: Option<At<String>>,
    pub target: Option<At<String>>,
    pub args: Vars,
    pub cache_from: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HealthCheck {
    pub command: Option<At<Vec<String>>>,
    pub interval: Option<At<u32>>,
    pub retries: Option<At<i64>>,
    pub timeout: Option<At<u32>>,
    pub start_period: Option<At<u32>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortSpec {
    pub port: u16,
    pub protocol: Protocol,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Http {
    pub pos: Pos,
    /// `http: false` turns the load balancer off.
    pub enabled: bool,
    /// The rule written at `http` itself.
    pub main: HttpRule,
    /// `http.additional_rules`.
    pub additional_rules: Vec<HttpRule>,
    /// `http.alb`: an existing application load balancer (name or ARN)
    /// instead of the environment's.
    pub alb: Option<At<String>>,
}

impl Http {
    /// The main rule, then the additional ones.
    pub fn rules(&self) -> impl Iterator<Item = &HttpRule> {
        std::iter::once(&self.main).chain(&self.additional_rules)
    }
}

/// One routing rule of the load balancer (`http`, `http.additional_rules[i]`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct HttpRule {
    pub pos: Pos,
    /// The field path of the rule (`http`, `http.additional_rules[1]`).
    pub path_prefix: String,
    pub path: Option<At<String>>,
    pub target_container: Option<At<String>>,
    pub target_port: Option<At<u16>>,
    pub healthcheck: LbHealthCheck,
    /// Host names (`alias`), used with HTTPS.
    pub alias: Vec<Alias>,
    /// `hosted_zone`: where the aliases' records go (an alias's own wins).
    pub hosted_zone: Option<At<String>>,
    pub allowed_source_ips: Vec<At<String>>,
    pub stickiness: Option<At<bool>>,
    pub deregistration_delay: Option<At<u32>>,
    /// `version`: HTTP1, HTTP2 or GRPC.
    pub version: Option<At<String>>,
    pub redirect_to_https: Option<At<bool>>,
}

/// `nlb`: the network load balancer Copilot's `nlb.yml` gives a Load
/// Balanced Web Service of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Nlb {
    pub pos: Pos,
    /// The listener written at `nlb` itself, then `nlb.additional_listeners`.
    pub listeners: Vec<NlbListener>,
    /// `nlb.alias`: host names.
    pub alias: Vec<At<String>>,
}

/// A network load balancer listener's protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NlbProtocol {
    Tcp,
    Udp,
    Tls,
}

impl NlbProtocol {
    /// As Elastic Load Balancing writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            NlbProtocol::Tcp => "TCP",
            NlbProtocol::Udp => "UDP",
            NlbProtocol::Tls => "TLS",
        }
    }

    /// The target group's protocol: TLS terminates at the load balancer,
    /// which then speaks TCP to the tasks (Copilot's `nlb.yml`).
    pub fn target_protocol(self) -> &'static str {
        match self {
            NlbProtocol::Udp => "UDP",
            NlbProtocol::Tcp | NlbProtocol::Tls => "TCP",
        }
    }

    /// The container port's protocol.
    pub fn container_protocol(self) -> Protocol {
        match self {
            NlbProtocol::Udp => Protocol::Udp,
            NlbProtocol::Tcp | NlbProtocol::Tls => Protocol::Tcp,
        }
    }
}

/// One listener of the network load balancer (`nlb`,
/// `nlb.additional_listeners[i]`).
#[derive(Clone, Debug, PartialEq)]
pub struct NlbListener {
    pub pos: Pos,
    /// The field path of the listener (`nlb`, `nlb.additional_listeners[0]`).
    pub path_prefix: String,
    /// The listener's port (`port: 443/tls`).
    pub port: At<u16>,
    pub protocol: NlbProtocol,
    pub target_container: Option<At<String>>,
    pub target_port: Option<At<u16>>,
    pub healthcheck: NlbHealthCheck,
    pub stickiness: Option<At<bool>>,
    pub deregistration_delay: Option<At<u32>>,
    pub ssl_policy: Option<At<String>>,
}

/// A network load balancer target group's health check (`nlb.healthcheck`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NlbHealthCheck {
    pub port: Option<At<u16>>,
    pub healthy_threshold: Option<At<i64>>,
    pub unhealthy_threshold: Option<At<i64>>,
    pub interval: Option<At<u32>>,
    pub timeout: Option<At<u32>>,
    pub grace_period: Option<At<u32>>,
}

/// An alias: a host name, and the hosted zone its record goes in, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Alias {
    pub name: At<String>,
    pub hosted_zone: Option<At<String>>,
}

/// The target group's health check (`http.healthcheck`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LbHealthCheck {
    pub path: Option<At<String>>,
    pub port: Option<At<u16>>,
    pub success_codes: Option<At<String>>,
    pub healthy_threshold: Option<At<i64>>,
    pub unhealthy_threshold: Option<At<i64>>,
    pub interval: Option<At<u32>>,
    pub timeout: Option<At<u32>>,
    pub grace_period: Option<At<u32>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Count {
    /// What to deploy: the number, or the autoscaling range's minimum.
    pub desired: i64,
    pub autoscaling: bool,
    /// `count.spot`: that many tasks, all on Fargate Spot.
    pub spot: Option<i64>,
    /// `count.range.spot_from`: tasks beyond this many run on Fargate Spot.
    pub spot_from: Option<i64>,
    /// The range's maximum, for autoscaling.
    pub max: Option<i64>,
    /// `count.cpu_percentage` and `count.memory_percentage`: target tracking.
    pub cpu: Option<ScaleOn>,
    pub memory: Option<ScaleOn>,
    /// `count.requests`: requests per task (the load balancer's).
    pub requests: Option<ScaleOn>,
    /// `count.response_time`: the load balancer's average response time, its
    /// target in milliseconds.
    pub response_time: Option<ScaleOn>,
    /// `count.queue_delay` (a Worker Service): the backlog per task its
    /// queues may hold, `ceil(acceptable_latency / msg_processing_time)`.
    pub queue_delay: Option<At<ScaleOn>>,
}

/// A target-tracking metric: its target value and cooldowns in seconds (the
/// metric's own `cooldown`, else `count.cooldown`, else none given).
#[derive(Clone, Debug, PartialEq)]
pub struct ScaleOn {
    pub target: i64,
    pub scale_in_s: Option<u32>,
    pub scale_out_s: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Platform {
    /// ECS `operatingSystemFamily`: `LINUX`, `WINDOWS_SERVER_2019_CORE`, ...
    pub os_family: String,
    /// ECS `cpuArchitecture`: `X86_64` or `ARM64`.
    pub arch: String,
    pub windows: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretRef {
    /// An SSM parameter name (`/app/db/password` or `GH_TOKEN`).
    SsmName(String),
    /// A full SSM parameter or Secrets Manager secret ARN.
    Arn(String),
    /// `{secretsmanager: NAME}`: a Secrets Manager secret by name (or `NAME:json-key::`).
    SecretsManagerName(String),
}

#[derive(Clone, Debug, Default)]
pub struct Storage {
    pub volumes: BTreeMap<String, Volume>,
    pub ephemeral: Option<At<i64>>,
    pub readonly_fs: Option<At<bool>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    pub name: At<String>,
    /// Where the main container mounts it.
    pub path: Option<At<String>>,
    pub read_only: Option<At<bool>>,
    pub efs: Option<Efs>,
}

impl Volume {
    pub fn read_only(&self) -> bool {
        self.read_only.as_ref().is_none_or(|r| r.value)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Efs {
    pub pos: Pos,
    pub path: String,
    pub id: Option<At<String>>,
    pub root_dir: Option<At<String>>,
    pub iam: Option<At<bool>>,
    pub access_point_id: Option<At<String>>,
    /// The POSIX user of a managed file system's access point.
    pub uid: Option<At<i64>>,
    pub gid: Option<At<i64>>,
    /// `efs: true` (or only `uid`/`gid`): the file system Copilot's
    /// environment stack manages, through an access point of the service's own.
    pub managed: bool,
}

impl Efs {
    pub fn iam(&self) -> bool {
        self.iam.as_ref().is_some_and(|i| i.value)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Logging {
    pub pos: Pos,
    /// Anything but `retention` set: a FireLens router is added.
    pub wants_router: bool,
    pub retention: Option<At<i64>>,
    pub image: Option<At<String>>,
    pub destination: Vars,
    pub enable_metadata: Option<At<bool>>,
    pub secret_options: BTreeMap<String, At<SecretRef>>,
    pub config_file_path: Option<At<String>>,
    pub variables: Vars,
    pub secrets: BTreeMap<String, At<SecretRef>>,
    /// `logging.env_file`: the router's env file.
    pub env_file: Option<At<String>>,
    /// `logging.sidecars` (a sidecarctl extension): the sidecars whose logs
    /// go through the router too.
    pub sidecars: Option<At<RoutedSidecars>>,
}

/// `logging.sidecars`: `true` for every sidecar, or their names.
#[derive(Clone, Debug, PartialEq)]
pub enum RoutedSidecars {
    All,
    Named(Vec<At<String>>),
}

impl Logging {
    /// Whether `logging.sidecars` routes the sidecar `name`.
    pub fn routes(&self, name: &str) -> bool {
        match self.sidecars.as_ref().map(|s| &s.value) {
            Some(RoutedSidecars::All) => true,
            Some(RoutedSidecars::Named(n)) => n.iter().any(|s| s.value == name),
            None => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Sidecar {
    pub name: At<String>,
    pub port: Option<At<PortSpec>>,
    pub image: Option<At<String>>,
    /// `image.build`: built and pushed to the service's repository.
    pub build: Option<At<Build>>,
    pub essential: Option<At<bool>>,
    pub credentials_parameter: Option<At<String>>,
    pub variables: Vars,
    pub secrets: BTreeMap<String, At<SecretRef>>,
    pub mount_points: Vec<MountPoint>,
    pub labels: Vars,
    pub depends_on: BTreeMap<String, At<String>>,
    pub entrypoint: Option<At<Vec<String>>>,
    pub command: Option<At<Vec<String>>>,
    pub healthcheck: Option<HealthCheck>,
    pub env_file: Option<At<String>>,
}

impl Sidecar {
    pub fn essential(&self) -> bool {
        self.essential.as_ref().is_none_or(|e| e.value)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MountPoint {
    pub pos: Pos,
    pub path: String,
    pub source_volume: Option<At<String>>,
    pub container_path: Option<At<String>>,
    pub read_only: Option<At<bool>>,
}

impl MountPoint {
    pub fn read_only(&self) -> bool {
        self.read_only.as_ref().is_none_or(|r| r.value)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Placement {
    Public,
    Private,
    Subnets(Vec<String>),
}

#[derive(Clone, Debug, Default)]
pub struct Network {
    pub placement: Option<At<Placement>>,
    pub security_groups: Vec<At<String>>,
    /// `network.connect`: ECS Service Connect.
    pub connect: Option<At<Connect>>,
}

/// `network.connect`: `true`, `false`, or `{alias: NAME}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Connect {
    pub enabled: bool,
    /// The name clients use (the service's name by default).
    pub alias: Option<String>,
}

/// One `taskdef_overrides` rule.
#[derive(Clone, Debug, PartialEq)]
pub struct OverrideRule {
    /// As written: CloudFormation's property names under the task definition.
    pub path: At<String>,
    pub segments: Vec<Segment>,
    /// What to put at the path; `None` when the rule removes.
    pub value: Option<Node>,
    /// `remove: true` (a sidecarctl extension): take the field or item out.
    pub remove: bool,
}

/// A path segment: `Key`, `Key[3]` or `Key[-]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub key: String,
    pub index: Option<SegmentIndex>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentIndex {
    At(usize),
    /// `-`: a new item at the end.
    Append,
}

/// `publish`: the SNS topics a service publishes to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Publish {
    pub topics: Vec<PublishedTopic>,
}

/// `publish.topics[]`.
#[derive(Clone, Debug, PartialEq)]
pub struct PublishedTopic {
    pub name: At<String>,
    /// `fifo: true` or its settings; `None`: a standard topic.
    pub fifo: Option<FifoTopic>,
}

impl PublishedTopic {
    /// The name Copilot gives the topic within the service: `.fifo` added
    /// to a FIFO topic's (the key of `COPILOT_SNS_TOPIC_ARNS`).
    pub fn full_name(&self) -> String {
        match self.fifo {
            Some(_) => format!("{}.fifo", self.name.value),
            None => self.name.value.clone(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FifoTopic {
    pub content_based_deduplication: Option<bool>,
}

/// `subscribe`: a Worker Service's topic subscriptions and its queue.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Subscribe {
    pub topics: Vec<TopicSubscription>,
    /// `subscribe.queue`: the service's events queue.
    pub queue: QueueSettings,
}

/// `subscribe.topics[]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicSubscription {
    pub pos: Pos,
    pub name: At<String>,
    pub service: At<String>,
    /// `filter_policy`, as JSON.
    pub filter_policy: Option<At<serde_json::Value>>,
    /// `queue: true` or its settings: a queue of the subscription's own;
    /// `None`: the events queue.
    pub queue: Option<QueueSettings>,
}

/// A queue's settings (`subscribe.queue`, `subscribe.topics[].queue`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueSettings {
    /// Seconds.
    pub retention: Option<At<u32>>,
    pub delay: Option<At<u32>>,
    pub timeout: Option<At<u32>>,
    /// `dead_letter.tries`.
    pub dead_letter_tries: Option<At<i64>>,
    pub fifo: Option<FifoQueue>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FifoQueue {
    pub content_based_deduplication: Option<bool>,
    pub deduplication_scope: Option<String>,
    pub throughput_limit: Option<String>,
    pub high_throughput: Option<bool>,
}

/// `deployment`: how ECS rolls a new revision out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Deployment {
    /// `rolling: recreate`: stop the old tasks before starting the new.
    pub recreate: bool,
    pub rollback_alarms: RollbackAlarms,
}

/// `deployment.rollback_alarms`: alarms that roll a deployment back.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum RollbackAlarms {
    #[default]
    None,
    /// Alarms that exist, by name.
    Names(Vec<String>),
    /// Thresholds of the alarms Copilot creates.
    Thresholds {
        cpu_utilization: Option<f64>,
        memory_utilization: Option<f64>,
        /// A Worker Service's events queue.
        messages_delayed: Option<i64>,
    },
}
