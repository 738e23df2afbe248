//! Target groups as a deploy wants them: what planning decides and the
//! shell creates.

use crate::state::lb::HealthCheck;

/// A target group as wanted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredTargetGroup {
    pub name: String,
    pub port: i32,
    pub protocol: String,
    pub protocol_version: String,
    pub health: HealthCheck,
    pub deregistration_delay_s: i32,
    pub stickiness: bool,
}

/// A network load balancer target group's health check. `None`: not
/// compared (Elastic Load Balancing's default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NlbHealth {
    /// A port number, or `traffic-port`.
    pub port: String,
    pub healthy_threshold: Option<i32>,
    pub unhealthy_threshold: Option<i32>,
    pub interval_s: Option<i32>,
    pub timeout_s: Option<i32>,
}

/// A network load balancer target group as wanted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredNlbTargetGroup {
    pub name: String,
    pub port: i32,
    /// `TCP` or `UDP` (a TLS listener's target group speaks TCP).
    pub protocol: String,
    pub health: NlbHealth,
    pub deregistration_delay_s: i32,
    /// `None` for a TLS listener's (Elastic Load Balancing has no stickiness
    /// for TLS; Copilot's template leaves it out).
    pub stickiness: Option<bool>,
}
