//! The plan's parts for the log group and the task definition.

use serde_json::Value;

use super::diff::diff;
use super::{Desired, Groups, Step, TaskDefinitionChange};
use crate::state::Current;

/// The log group and its retention.
pub fn plan_log_group(d: &Desired, cur: &Current, g: &mut Groups) {
    match &cur.log_group {
        None => {
            g.first.push(Step::CreateLogGroup {
                name: d.log_group.clone(),
            });
            g.second.push(Step::SetRetention {
                name: d.log_group.clone(),
                days: d.retention_days,
            });
        }
        Some(l) if l.retention_days != Some(d.retention_days) => {
            g.first.push(Step::SetRetention {
                name: d.log_group.clone(),
                days: d.retention_days,
            });
        }
        _ => {}
    }
}

/// The task definition: the service's own when it is as wanted, the
/// family's latest when that is (an earlier run registered it), else a new
/// revision.
pub fn plan_task_definition(d: &Desired, cur: &Current, g: &mut Groups) -> TaskDefinitionChange {
    let current_def = cur.td.as_ref().map(|r| &r.definition);
    match (&cur.td, &cur.latest) {
        (Some(c), _) if c.definition == d.td => {
            TaskDefinitionChange::Unchanged { arn: c.arn.clone() }
        }
        (_, Some(l)) if l.definition == d.td => TaskDefinitionChange::Reuse { arn: l.arn.clone() },
        _ => {
            g.first.push(Step::RegisterTaskDefinition);
            let old = current_def
                .map(|t| serde_json::to_value(t).unwrap_or_default())
                .unwrap_or(Value::Null);
            TaskDefinitionChange::Register {
                changes: diff(&old, &serde_json::to_value(&d.td).unwrap_or_default()),
            }
        }
    }
}
