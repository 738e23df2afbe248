//! What the application and network load balancer planners share: a target
//! group as a plan refers to it, and Copilot's defaults for both.

use crate::manifest::Service;

/// Copilot's defaults (`manifest.DefaultHealthCheckGracePeriod`,
/// `DefaultDeregistrationDelay`).
pub const DEFAULT_GRACE_PERIOD_S: i32 = 60;
pub const DEFAULT_DEREGISTRATION_DELAY_S: i32 = 60;

/// A target group: one that exists (by ARN) or rule `i`'s new one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TgRef {
    Existing(String),
    New(usize),
    /// The network load balancer listener `i`'s new one.
    NewNlb(usize),
}

impl TgRef {
    /// The target group's name or ARN's last part, or the new one's name.
    pub fn describe(&self, d: &super::Desired) -> String {
        match self {
            TgRef::Existing(arn) => crate::names::arn::target_group_name(arn).to_string(),
            TgRef::New(i) => {
                d.lb.as_ref()
                    .and_then(|l| l.rules.get(*i))
                    .map_or_else(|| format!("rule {i}"), |r| r.target_group.name.clone())
            }
            TgRef::NewNlb(i) => d
                .nlb
                .as_ref()
                .and_then(|n| n.listeners.get(*i))
                .map_or_else(|| format!("listener {i}"), |l| l.target_group.name.clone()),
        }
    }
}

/// `api-1a2b3c4d → api:8080`.
pub fn describe_entries(entries: &[(TgRef, String, i32)], d: &super::Desired) -> String {
    entries
        .iter()
        .map(|(tg, c, p)| format!("{} → {c}:{p}", tg.describe(d)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `healthCheckGracePeriodSeconds`, as Copilot's `convertGracePeriod` takes
/// it: `http.healthcheck.grace_period`, else `nlb.healthcheck.grace_period`,
/// else 60 seconds.
pub fn grace_period(svc: &Service) -> i32 {
    svc.http_rules()
        .first()
        .and_then(|r| r.healthcheck.grace_period.as_ref())
        .or_else(|| {
            svc.nlb_listeners()
                .first()
                .and_then(|l| l.healthcheck.grace_period.as_ref())
        })
        .map_or(DEFAULT_GRACE_PERIOD_S, |g| g.value as i32)
}
