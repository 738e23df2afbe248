//! An application load balancer's target groups and listener rules, as
//! Elastic Load Balancing holds them.

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

/// What a listener rule does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleAction {
    /// Forward to these target groups.
    Forward(Vec<String>),
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

impl ListenerRule {
    pub fn forwards_to(&self, target_group: &str) -> bool {
        matches!(&self.action, RuleAction::Forward(tgs) if tgs.iter().any(|t| t == target_group))
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
