//! The plan's part for the task's roles: the roles, their inline policies
//! (exact ARNs), and the add-ons stack's managed policies attached.

use serde_json::Value;

use super::diff::{Change, diff};
use super::{Desired, Groups, Step};
use crate::names::sidecarctl::{EXECUTION_POLICY, TASK_POLICY};
use crate::state::{Current, IamState, Role};

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::String(s.to_string()))
}

fn same_document(a: &str, b: &str) -> bool {
    json(a) == json(b)
}

/// Whether a trust policy lets ECS tasks assume the role: a statement that
/// allows `sts:AssumeRole` to the service principal `ecs-tasks.amazonaws.com`.
/// A mention of the principal anywhere else (a Deny, another action, a `Sid`)
/// does not count. Conditions are left to their author (`aws:SourceAccount`
/// is AWS's own advice against confused deputies, and ECS meets it).
pub fn trusts_ecs_tasks(trust: &str) -> bool {
    const PRINCIPAL: &str = "ecs-tasks.amazonaws.com";
    let Ok(doc) = serde_json::from_str::<Value>(trust) else {
        return false;
    };
    let one_or_many = |v: Option<&Value>, want: &str| match v {
        Some(Value::String(s)) => s == want,
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(want)),
        _ => false,
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    statements.into_iter().any(|st| {
        st.get("Effect").and_then(Value::as_str) == Some("Allow")
            && (one_or_many(st.get("Action"), "sts:AssumeRole")
                || one_or_many(st.get("Action"), "sts:*"))
            && one_or_many(
                st.get("Principal").and_then(|p| p.get("Service")),
                PRINCIPAL,
            )
    })
}

/// The roles' steps, and the policy changes to show.
pub fn plan_iam(d: &Desired, cur: &Current, g: &mut Groups) -> Vec<(String, Vec<Change>)> {
    let mut policy_changes = Vec::new();
    let Some(iam) = &d.iam else {
        return policy_changes;
    };
    let state = cur.iam.clone().unwrap_or_default();
    let mut role = |name: &str,
                    existing: &Option<Role>,
                    policy_name: &str,
                    want: Option<&String>,
                    have: &Option<String>| {
        let exists = existing.is_some();
        match existing {
            None => g.first.push(Step::CreateRole {
                name: name.to_string(),
            }),
            Some(r) if !trusts_ecs_tasks(&r.trust_policy) => g.first.push(Step::UpdateTrust {
                name: name.to_string(),
            }),
            _ => {}
        }
        match (want, have) {
            (Some(w), Some(h)) if same_document(w, h) => {}
            (Some(w), h) => {
                policy_changes.push((
                    format!("{policy_name} of {name}"),
                    diff(&h.as_deref().map(json).unwrap_or(Value::Null), &json(w)),
                ));
                let step = Step::PutRolePolicy {
                    role: name.to_string(),
                    policy: policy_name.to_string(),
                    document: w.clone(),
                };
                if exists {
                    g.first.push(step)
                } else {
                    g.second.push(step)
                }
            }
            (None, Some(_)) => g.first.push(Step::DeleteRolePolicy {
                role: name.to_string(),
                policy: policy_name.to_string(),
            }),
            (None, None) => {}
        }
    };
    role(
        &iam.execution_role,
        &state.execution_role,
        EXECUTION_POLICY,
        Some(&iam.execution_policy),
        &state.execution_policy,
    );
    role(
        &iam.task_role,
        &state.task_role,
        TASK_POLICY,
        iam.task_policy.as_ref(),
        &state.task_policy,
    );
    managed_policies(iam, &state, g);
    policy_changes
}

/// The add-ons stack's managed policies, attached to the task role as they are.
fn managed_policies(iam: &super::DesiredIam, state: &IamState, g: &mut Groups) {
    for arn in &iam.attach {
        if !state.attached.contains(arn) {
            g.second.push(Step::AttachPolicy {
                role: iam.task_role.clone(),
                arn: arn.clone(),
            });
        }
    }
}
