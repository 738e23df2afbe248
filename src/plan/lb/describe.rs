//! The load balancer's steps, described for people (the plan, `--dry-run`,
//! the report).

use super::{LbStep, TgRef, UseAction};
use crate::plan::Desired;
use crate::state::lb::Conditions;

fn describe_conditions(c: &Conditions) -> String {
    let mut parts = vec![c.paths.join(" ")];
    if !c.hosts.is_empty() {
        parts.push(format!("host {}", c.hosts.join(" ")));
    }
    if !c.source_ips.is_empty() {
        parts.push(format!("from {}", c.source_ips.join(" ")));
    }
    parts.join(", ")
}

fn describe_action(a: &UseAction, tg: &TgRef, d: &Desired) -> String {
    match a {
        UseAction::Forward => format!("forward to {}", tg.describe(d)),
        UseAction::RedirectToHttps => "redirect to HTTPS".into(),
    }
}

fn listener_name(arn: &str) -> String {
    // …:listener/app/{lb}/{id}/{id}
    arn.split('/').nth(2).map_or(arn.to_string(), |lb| {
        format!(
            "{lb} listener {}",
            arn.rsplit('/').next().unwrap_or_default()
        )
    })
}

impl LbStep {
    pub fn describe(&self, d: &Desired) -> String {
        match self {
            LbStep::CreateTargetGroup { rule } => {
                let r = d.lb.as_ref().and_then(|l| l.rules.get(*rule));
                match r {
                    Some(r) => format!(
                        "create target group {} ({} {}, health check {})",
                        r.target_group.name,
                        r.target_group.protocol,
                        r.target_group.protocol_version,
                        r.target_group.health.path
                    ),
                    None => format!("create target group of rule {rule}"),
                }
            }
            LbStep::ModifyTargetGroup { arn, .. } => format!(
                "update the health check of target group {}",
                TgRef::Existing(arn.clone()).describe(d)
            ),
            LbStep::SetTargetGroupAttributes { rule, target_group } => {
                let r = d.lb.as_ref().and_then(|l| l.rules.get(*rule));
                format!(
                    "set target group {}'s deregistration delay to {}s, stickiness {}",
                    target_group.describe(d),
                    r.map_or(0, |r| r.target_group.deregistration_delay_s),
                    if r.is_some_and(|r| r.target_group.stickiness) {
                        "on"
                    } else {
                        "off"
                    }
                )
            }
            LbStep::CreateRule {
                listener,
                priority,
                conditions,
                action,
                target_group,
                ..
            } => format!(
                "add rule {} on {} at priority {priority}: {}",
                describe_conditions(conditions),
                listener_name(listener),
                describe_action(action, target_group, d)
            ),
            LbStep::ModifyRule {
                conditions,
                action,
                target_group,
                ..
            } => format!(
                "update rule {}: {}",
                describe_conditions(conditions),
                describe_action(action, target_group, d)
            ),
            LbStep::WeighRule {
                conditions,
                weights,
                ..
            } => format!(
                "update rule {}: forward to {}",
                describe_conditions(conditions),
                weights
                    .iter()
                    .map(|(tg, w)| format!("{} at weight {w}", tg.describe(d)))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            LbStep::DeleteRule { arn } => format!(
                "delete rule {} (its routing rule left the manifest)",
                arn.rsplit('/').next().unwrap_or_default()
            ),
            LbStep::UpsertRecords { zone, records } => format!(
                "point {} at the load balancer (hosted zone {zone})",
                records
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    pub fn operation(&self) -> &'static str {
        match self {
            LbStep::CreateTargetGroup { .. } => "elasticloadbalancing:CreateTargetGroup",
            LbStep::ModifyTargetGroup { .. } => "elasticloadbalancing:ModifyTargetGroup",
            LbStep::SetTargetGroupAttributes { .. } => {
                "elasticloadbalancing:ModifyTargetGroupAttributes"
            }
            LbStep::CreateRule { .. } => "elasticloadbalancing:CreateRule",
            LbStep::ModifyRule { .. } | LbStep::WeighRule { .. } => {
                "elasticloadbalancing:ModifyRule"
            }
            LbStep::DeleteRule { .. } => "elasticloadbalancing:DeleteRule",
            LbStep::UpsertRecords { .. } => "route53:ChangeResourceRecordSets",
        }
    }
}
