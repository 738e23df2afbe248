//! Load balancers as Elastic Load Balancing holds them: an application load
//! balancer's target groups and listener rules, a network load balancer's
//! listeners, and the security groups that let traffic through.

/// A target group's health check. `None`: the field is not compared (the
/// manifest leaves it to Elastic Load Balancing's default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthCheck {
    pub path: String,
    /// A port number, or `traffic-port`.
    pub port: String,
    /// HTTP codes (`200`, `200-299`) or, for gRPC, gRPC codes.
    pub success_codes: Option<String>,
    pub healthy_threshold: Option<i32>,
    pub unhealthy_threshold: Option<i32>,
    pub interval_s: Option<i32>,
    pub timeout_s: Option<i32>,
}

/// A target group, with the attributes sidecarctl sets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub port: i32,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    /// `HTTP1`, `HTTP2` or `GRPC`.
    pub protocol_version: String,
    pub health: HealthCheck,
    pub deregistration_delay_s: Option<i32>,
    pub stickiness: Option<bool>,
    /// The load balancers whose listeners or rules forward to it.
    pub load_balancers: Vec<String>,
}

impl TargetGroup {
    /// A network load balancer's target group (TCP, UDP, TLS, TCP_UDP).
    pub fn is_network(&self) -> bool {
        matches!(self.protocol.as_str(), "TCP" | "UDP" | "TLS" | "TCP_UDP")
    }
}

/// What a listener rule matches.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Conditions {
    /// Host names (`host-header`), sorted.
    pub hosts: Vec<String>,
    /// Path patterns (`path-pattern`), sorted.
    pub paths: Vec<String>,
    /// CIDR blocks (`source-ip`), sorted.
    pub source_ips: Vec<String>,
}

/// A target group a rule forwards to, with its weight (a rule forwarding
/// to one group gives it weight 1).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Weighted {
    pub arn: String,
    pub weight: i32,
}

/// What a listener rule does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleAction {
    /// Forward to these target groups, by weight.
    Forward(Vec<Weighted>),
    /// Redirect HTTP to HTTPS (Copilot's `redirect_to_https`).
    RedirectToHttps,
    /// Anything else (a fixed response, authentication, another redirect).
    Other,
}

/// A listener rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerRule {
    pub arn: String,
    /// `None` for the listener's default rule.
    pub priority: Option<i32>,
    pub conditions: Conditions,
    pub action: RuleAction,
}

impl RuleAction {
    /// Forward to one target group.
    pub fn to(arn: &str) -> RuleAction {
        RuleAction::Forward(vec![Weighted {
            arn: arn.to_string(),
            weight: 1,
        }])
    }
}

impl ListenerRule {
    /// Whether the rule forwards to the target group, at any weight (a
    /// group at weight 0 is attached to the load balancer, and takes no
    /// traffic).
    pub fn forwards_to(&self, target_group: &str) -> bool {
        self.weight_of(target_group).is_some()
    }

    /// The weight the rule gives the target group, when it forwards to it.
    pub fn weight_of(&self, target_group: &str) -> Option<i32> {
        match &self.action {
            RuleAction::Forward(tgs) => {
                tgs.iter().find(|t| t.arn == target_group).map(|t| t.weight)
            }
            _ => None,
        }
    }

    /// The target groups that take its traffic (a weight above 0).
    pub fn serving(&self) -> Vec<&str> {
        match &self.action {
            RuleAction::Forward(tgs) => tgs
                .iter()
                .filter(|t| t.weight > 0)
                .map(|t| t.arn.as_str())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// One of the service's load balancer entries: a target group and the
/// container and port ECS registers in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct LoadBalancer {
    pub target_group: String,
    pub container: String,
    pub port: i32,
}

/// An existing application load balancer a service imports (`http.alb`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportedAlb {
    pub arn: String,
    pub dns_name: String,
    /// Its canonical hosted zone, for alias records.
    pub hosted_zone_id: String,
    pub vpc: String,
    /// Its first HTTP and HTTPS listeners, as Copilot picks them.
    pub http_listener: Option<String>,
    pub https_listener: Option<String>,
}

impl ImportedAlb {
    /// Its listeners the rules go on: HTTP first.
    pub fn listeners(&self) -> Vec<String> {
        self.http_listener
            .iter()
            .chain(&self.https_listener)
            .cloned()
            .collect()
    }
}

/// A Route 53 A record aliasing a host name to a load balancer.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct AliasRecord {
    /// The hosted zone the record is in.
    pub zone: String,
    /// The host name, without the final dot.
    pub name: String,
    /// The load balancer's DNS name and canonical hosted zone.
    pub target_dns: String,
    pub target_zone: String,
}

impl AliasRecord {
    /// Whether two records say the same, as Route 53 writes names (a final
    /// dot, any case, `dualstack.` before a load balancer's name).
    pub fn same_as(&self, other: &AliasRecord) -> bool {
        let norm = |s: &str| {
            let s = s.trim_end_matches('.').to_ascii_lowercase();
            s.strip_prefix("dualstack.")
                .map(str::to_string)
                .unwrap_or(s)
        };
        self.zone.trim_start_matches("/hostedzone/")
            == other.zone.trim_start_matches("/hostedzone/")
            && norm(&self.name) == norm(&other.name)
            && norm(&self.target_dns) == norm(&other.target_dns)
            && self.target_zone == other.target_zone
    }
}

/// The load balancer resources a service uses, as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LbState {
    /// The service's target groups, in the order of its load balancer entries.
    pub target_groups: Vec<TargetGroup>,
    /// Every rule of each listener the manifest uses: `(listener, rules)`.
    pub listeners: Vec<(String, Vec<ListenerRule>)>,
    /// The A records of the aliases that name a hosted zone, as they are.
    pub records: Vec<AliasRecord>,
}

impl LbState {
    pub fn rules_of(&self, listener: &str) -> &[ListenerRule] {
        self.listeners
            .iter()
            .find(|(l, _)| l == listener)
            .map_or(&[], |(_, r)| r.as_slice())
    }
}

/// A network load balancer with its listeners.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkLb {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    /// Its canonical hosted zone, for alias records.
    pub hosted_zone_id: String,
    pub security_groups: Vec<String>,
    pub listeners: Vec<NlbListenerState>,
}

/// A network load balancer's listener.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NlbListenerState {
    pub arn: String,
    pub port: i32,
    /// `TCP`, `UDP`, `TLS` or `TCP_UDP`.
    pub protocol: String,
    pub ssl_policy: Option<String>,
    pub certificates: Vec<String>,
    /// The target group its default action forwards to.
    pub target_group: Option<String>,
}

/// One inbound rule of a security group.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ingress {
    /// `tcp`, `udp`, or `-1` for every protocol.
    pub protocol: String,
    /// The port range; `None` for every port.
    pub ports: Option<(i32, i32)>,
    /// Where traffic may come from.
    pub source: IngressSource,
    pub description: Option<String>,
}

/// Where a security group's inbound rule lets traffic come from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IngressSource {
    Cidr(String),
    Group(String),
}

impl Ingress {
    /// Whether this rule lets in what `want` asks for (descriptions aside).
    pub fn covers(&self, want: &Ingress) -> bool {
        let protocol = self.protocol == "-1" || self.protocol == want.protocol;
        let ports = match (self.ports, want.ports) {
            (None, _) => true,
            (Some((from, to)), Some((a, b))) => from <= a && b <= to,
            (Some(_), None) => false,
        };
        protocol && ports && self.source == want.source
    }
}

/// A security group with its inbound rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub ingress: Vec<Ingress>,
}

/// The network load balancer resources of a service, as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NlbState {
    /// The service's network load balancer, when it has one.
    pub load_balancer: Option<NetworkLb>,
    /// Its target groups (those of its listeners, and those of sidecarctl's
    /// names that an interrupted deploy created), with their attributes.
    pub target_groups: Vec<TargetGroup>,
    /// The security groups concerned: the load balancer's, sidecarctl's
    /// group of its name, the environment's.
    pub security_groups: Vec<SecurityGroup>,
    /// The A records of its host names in the environment's hosted zone.
    pub records: Vec<AliasRecord>,
}
