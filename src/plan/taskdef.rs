//! The plan's parts for the log group and the task definition.

use serde_json::Value;

use super::diff::diff;
use super::{Desired, Groups, Step, TaskDefinitionChange};
use crate::render::document::{same_registration, without_filled_in};
use crate::state::{Current, Registered};

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
    let same = |r: &Registered| same_registration(&d.td_doc, &r.document);
    match (&cur.td, &cur.latest) {
        (Some(c), _) if same(c) => TaskDefinitionChange::Unchanged { arn: c.arn.clone() },
        (_, Some(l)) if same(l) => TaskDefinitionChange::Reuse { arn: l.arn.clone() },
        _ => {
            g.first.push(Step::RegisterTaskDefinition);
            let old = cur
                .td
                .as_ref()
                .map_or(Value::Null, |r| without_filled_in(&r.document, &d.td_doc));
            TaskDefinitionChange::Register {
                changes: diff(&old, &d.td_doc),
            }
        }
    }
}
