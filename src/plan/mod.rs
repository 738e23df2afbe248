//! Planning, pure: from what is wanted ([`Desired`]) and what is there
//! ([`Current`]) to the steps that close the gap, the differences shown to
//! people, and the judgement of a rollout.
//!
//! Steps come in groups: the steps of one group do not depend on each other and
//! run concurrently; a group starts when the one before it has finished. The
//! service is updated last, once roles, policies, log group and task definition
//! are in place.

pub mod desired;
pub mod diff;
pub mod rollout;
pub mod text;

use serde_json::Value;

use crate::names::arn;
use crate::names::sidecarctl::{EXECUTION_POLICY, TASK_POLICY};
use crate::render::addons::sha256_hex;
use crate::state::{Current, Role};
pub use desired::{Desired, DesiredIam};
use diff::{Change, diff};

/// The task role's tag recording the document of an add-on policy attached to it.
pub fn addon_tag(policy_name: &str) -> String {
    format!(
        "sidecarctl:addon:{}",
        &sha256_hex(policy_name.as_bytes())[..16]
    )
}

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    CreateLogGroup {
        name: String,
    },
    SetRetention {
        name: String,
        days: i32,
    },
    CreateRole {
        name: String,
    },
    UpdateTrust {
        name: String,
    },
    PutRolePolicy {
        role: String,
        policy: String,
        document: String,
    },
    DeleteRolePolicy {
        role: String,
        policy: String,
    },
    CreateManagedPolicy {
        name: String,
        arn: String,
        document: String,
    },
    UpdateManagedPolicy {
        arn: String,
        document: String,
    },
    AttachPolicy {
        role: String,
        arn: String,
    },
    TagRole {
        role: String,
        key: String,
        value: String,
    },
    RegisterTaskDefinition,
    UpdateService {
        desired: i32,
    },
    CreateService,
}

impl Step {
    /// One line for people.
    pub fn describe(&self, d: &Desired) -> String {
        match self {
            Step::CreateLogGroup { name } => format!("create log group {name}"),
            Step::SetRetention { name, days } => format!("keep {name}'s logs {days} days"),
            Step::CreateRole { name } => format!("create role {name}"),
            Step::UpdateTrust { name } => format!("let ECS tasks assume role {name}"),
            Step::PutRolePolicy { role, policy, .. } => {
                format!("write policy {policy} of role {role}")
            }
            Step::DeleteRolePolicy { role, policy } => {
                format!("delete policy {policy} of role {role}")
            }
            Step::CreateManagedPolicy { name, .. } => format!("create add-on policy {name}"),
            Step::UpdateManagedPolicy { arn, .. } => {
                format!("update add-on policy {}", arn::last_segment(arn))
            }
            Step::AttachPolicy { role, arn } => {
                format!("attach {} to role {role}", arn::last_segment(arn))
            }
            Step::TagRole { role, .. } => format!("record the add-on policy on role {role}"),
            Step::RegisterTaskDefinition => format!("register task definition {}", d.td.family),
            Step::UpdateService { desired, .. } => {
                format!("update service {} (desired count {desired})", d.service)
            }
            Step::CreateService => format!("create service {} in cluster {}", d.service, d.cluster),
        }
    }

    /// The AWS operation this step performs.
    pub fn operation(&self) -> &'static str {
        match self {
            Step::CreateLogGroup { .. } => "logs:CreateLogGroup",
            Step::SetRetention { .. } => "logs:PutRetentionPolicy",
            Step::CreateRole { .. } => "iam:CreateRole",
            Step::UpdateTrust { .. } => "iam:UpdateAssumeRolePolicy",
            Step::PutRolePolicy { .. } => "iam:PutRolePolicy",
            Step::DeleteRolePolicy { .. } => "iam:DeleteRolePolicy",
            Step::CreateManagedPolicy { .. } => "iam:CreatePolicy",
            Step::UpdateManagedPolicy { .. } => "iam:CreatePolicyVersion",
            Step::AttachPolicy { .. } => "iam:AttachRolePolicy",
            Step::TagRole { .. } => "iam:TagRole",
            Step::RegisterTaskDefinition => "ecs:RegisterTaskDefinition",
            Step::UpdateService { .. } => "ecs:UpdateService",
            Step::CreateService => "ecs:CreateService",
        }
    }
}

/// How the task definition changes.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskDefinitionChange {
    /// The service runs it already.
    Unchanged { arn: String },
    /// The family's latest revision is it (an earlier deploy registered it).
    Reuse { arn: String },
    /// A new revision; `changes` against the service's current one.
    Register { changes: Vec<Change> },
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub groups: Vec<Vec<Step>>,
    pub task_definition: TaskDefinitionChange,
    /// Changes to IAM policy documents, for the dry run.
    pub policy_changes: Vec<(String, Vec<Change>)>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(Vec::is_empty)
    }

    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.groups.iter().flatten()
    }
}

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

/// Compares what is wanted with what is there.
pub fn plan(d: &Desired, cur: &Current) -> Plan {
    let mut first = Vec::new();
    let mut second = Vec::new();
    let mut last = Vec::new();
    let mut policy_changes = Vec::new();

    match &cur.log_group {
        None => {
            first.push(Step::CreateLogGroup {
                name: d.log_group.clone(),
            });
            second.push(Step::SetRetention {
                name: d.log_group.clone(),
                days: d.retention_days,
            });
        }
        Some(g) if g.retention_days != Some(d.retention_days) => {
            first.push(Step::SetRetention {
                name: d.log_group.clone(),
                days: d.retention_days,
            });
        }
        _ => {}
    }

    if let Some(iam) = &d.iam {
        let state = cur.iam.clone().unwrap_or_default();
        let mut role = |name: &str,
                        existing: &Option<Role>,
                        policy_name: &str,
                        want: Option<&String>,
                        have: &Option<String>| {
            let exists = existing.is_some();
            match existing {
                None => first.push(Step::CreateRole {
                    name: name.to_string(),
                }),
                Some(r) if !trusts_ecs_tasks(&r.trust_policy) => first.push(Step::UpdateTrust {
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
                        first.push(step)
                    } else {
                        second.push(step)
                    }
                }
                (None, Some(_)) => first.push(Step::DeleteRolePolicy {
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
        // Add-on policies: the task role's tags record the document attached.
        for (policy, arn) in &iam.addons {
            let key = addon_tag(&policy.name);
            let recorded = state.task_role.as_ref().and_then(|r| r.tags.get(&key));
            let attached = state.attached.contains(arn);
            if !attached {
                first.push(Step::CreateManagedPolicy {
                    name: policy.name.clone(),
                    arn: arn.clone(),
                    document: policy.document.clone(),
                });
                second.push(Step::AttachPolicy {
                    role: iam.task_role.clone(),
                    arn: arn.clone(),
                });
            } else if recorded != Some(&policy.hash) {
                first.push(Step::UpdateManagedPolicy {
                    arn: arn.clone(),
                    document: policy.document.clone(),
                });
            }
            if !attached || recorded != Some(&policy.hash) {
                second.push(Step::TagRole {
                    role: iam.task_role.clone(),
                    key,
                    value: policy.hash.clone(),
                });
            }
        }
    }

    let current_def = cur.td.as_ref().map(|r| &r.definition);
    let task_definition = match (&cur.td, &cur.latest) {
        (Some(c), _) if c.definition == d.td => {
            TaskDefinitionChange::Unchanged { arn: c.arn.clone() }
        }
        (_, Some(l)) if l.definition == d.td => TaskDefinitionChange::Reuse { arn: l.arn.clone() },
        _ => {
            first.push(Step::RegisterTaskDefinition);
            let old = current_def
                .map(|t| serde_json::to_value(t).unwrap_or_default())
                .unwrap_or(Value::Null);
            TaskDefinitionChange::Register {
                changes: diff(&old, &serde_json::to_value(&d.td).unwrap_or_default()),
            }
        }
    };

    match &cur.service {
        None => last.push(Step::CreateService),
        Some(s) => {
            let td_moves = match &task_definition {
                TaskDefinitionChange::Unchanged { arn } => s.task_definition != *arn,
                _ => true,
            };
            let breaker_differs = s.circuit_breaker_rollback.is_some_and(|r| r != d.rollback);
            if td_moves || s.desired != d.desired_count || breaker_differs {
                last.push(Step::UpdateService {
                    desired: d.desired_count,
                });
            }
        }
    }

    Plan {
        groups: [first, second, last]
            .into_iter()
            .filter(|g| !g.is_empty())
            .collect(),
        task_definition,
        policy_changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::addons::RenderedPolicy;
    use crate::render::{Facts, render_task_definition};
    use crate::state::{IamState, LogGroup, Registered, ServiceState};
    use crate::validate::testing::service_in;

    fn desired() -> Desired {
        let svc = service_in(
            "name: api\ntype: Backend Service\nimage:\n  location: nginx:1\n",
            Some("test"),
        );
        let facts = Facts::offline(
            &svc,
            "demo",
            "test",
            Some("123456789012"),
            Some("us-east-1"),
            None,
        );
        Desired {
            td: render_task_definition(&svc, &facts),
            log_group: "/copilot/demo-test-api".into(),
            retention_days: 30,
            desired_count: 1,
            iam: Some(DesiredIam {
                execution_role: "demo-test-api-ExecutionRole".into(),
                task_role: "demo-test-api-TaskRole".into(),
                trust_policy: "{}".into(),
                execution_policy: "{\"Version\":\"2012-10-17\",\"Statement\":[]}".into(),
                task_policy: None,
                addons: Vec::new(),
                tags: Vec::new(),
            }),
            cluster: "demo-test".into(),
            service: "api".into(),
            rollback: true,
            new_service: None,
            tags: Vec::new(),
        }
    }

    fn in_place(d: &Desired) -> Current {
        let reg = Registered {
            arn: "arn:td:1".into(),
            revision: 1,
            definition: d.td.clone(),
        };
        Current {
            service: Some(ServiceState {
                task_definition: "arn:td:1".into(),
                desired: 1,
                circuit_breaker_rollback: Some(true),
                ..Default::default()
            }),
            td: Some(reg.clone()),
            latest: Some(reg),
            log_group: Some(LogGroup {
                name: d.log_group.clone(),
                retention_days: Some(30),
            }),
            iam: Some(IamState {
                execution_role: Some(Role {
                    arn: "r1".into(),
                    trust_policy: crate::render::iam::ecs_tasks_trust_policy(),
                    ..Default::default()
                }),
                task_role: Some(Role {
                    arn: "r2".into(),
                    trust_policy: crate::render::iam::ecs_tasks_trust_policy(),
                    ..Default::default()
                }),
                execution_policy: Some("{\"Statement\": [], \"Version\": \"2012-10-17\"}".into()),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn first_deploy_creates_everything_in_dependency_order() {
        let d = desired();
        let p = plan(&d, &Current::default());
        let ops: Vec<Vec<&str>> = p
            .groups
            .iter()
            .map(|g| g.iter().map(Step::operation).collect())
            .collect();
        assert_eq!(
            ops,
            vec![
                vec![
                    "logs:CreateLogGroup",
                    "iam:CreateRole",
                    "iam:CreateRole",
                    "ecs:RegisterTaskDefinition"
                ],
                vec!["logs:PutRetentionPolicy", "iam:PutRolePolicy"],
                vec!["ecs:CreateService"],
            ]
        );
    }

    #[test]
    fn nothing_changes_when_everything_is_in_place() {
        let d = desired();
        let p = plan(&d, &in_place(&d));
        assert!(p.is_empty(), "{:?}", p.groups);
        assert_eq!(
            p.task_definition,
            TaskDefinitionChange::Unchanged {
                arn: "arn:td:1".into()
            }
        );
    }

    #[test]
    fn a_new_image_registers_and_updates_only() {
        let d = desired();
        let cur = in_place(&d);
        let mut d2 = d.clone();
        d2.td.container_definitions[0].image = "nginx:2".into();
        let p = plan(&d2, &cur);
        let ops: Vec<&str> = p.steps().map(Step::operation).collect();
        assert_eq!(ops, ["ecs:RegisterTaskDefinition", "ecs:UpdateService"]);
        match &p.task_definition {
            TaskDefinitionChange::Register { changes } => {
                assert_eq!(changes.len(), 1);
                assert_eq!(changes[0].path(), "containerDefinitions[api].image");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_registered_but_undeployed_revision_is_reused() {
        let d = desired();
        let mut cur = in_place(&d);
        let mut old = d.td.clone();
        old.container_definitions[0].image = "nginx:0".into();
        cur.td = Some(Registered {
            arn: "arn:td:1".into(),
            revision: 1,
            definition: old,
        });
        cur.latest = Some(Registered {
            arn: "arn:td:2".into(),
            revision: 2,
            definition: d.td.clone(),
        });
        let p = plan(&d, &cur);
        assert_eq!(
            p.task_definition,
            TaskDefinitionChange::Reuse {
                arn: "arn:td:2".into()
            }
        );
        let ops: Vec<&str> = p.steps().map(Step::operation).collect();
        assert_eq!(ops, ["ecs:UpdateService"]);
    }

    #[test]
    fn add_on_policies_are_created_attached_and_recorded_then_left_alone() {
        let mut d = desired();
        let policy = RenderedPolicy {
            logical_id: "P".into(),
            name: "demo-test-api-P".into(),
            document: "{}".into(),
            hash: "h1".into(),
        };
        let arn = "arn:aws:iam::1:policy/demo-test-api-P".to_string();
        d.iam.as_mut().unwrap().addons = vec![(policy, arn.clone())];
        let mut cur = in_place(&d);
        let ops: Vec<&str> = plan(&d, &cur).steps().map(Step::operation).collect();
        assert_eq!(
            ops,
            ["iam:CreatePolicy", "iam:AttachRolePolicy", "iam:TagRole"]
        );
        // Attached and recorded: nothing to do.
        let iam = cur.iam.as_mut().unwrap();
        iam.attached.push(arn.clone());
        iam.task_role
            .as_mut()
            .unwrap()
            .tags
            .insert(addon_tag("demo-test-api-P"), "h1".into());
        assert!(plan(&d, &cur).is_empty());
        // The document changed: a new version, recorded.
        d.iam.as_mut().unwrap().addons[0].0.hash = "h2".into();
        let ops: Vec<&str> = plan(&d, &cur).steps().map(Step::operation).collect();
        assert_eq!(ops, ["iam:CreatePolicyVersion", "iam:TagRole"]);
    }

    #[test]
    fn a_trust_policy_counts_only_as_an_allow_of_assume_role_to_ecs_tasks() {
        let doc = |st: &str| format!("{{\"Version\":\"2012-10-17\",\"Statement\":[{st}]}}");
        let allow = r#"{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}"#;
        assert!(trusts_ecs_tasks(&doc(allow)));
        assert!(trusts_ecs_tasks(&doc(
            r#"{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":["sts:AssumeRole"]}"#
        )));
        for refused in [
            // The principal named only in a Deny, or for another action.
            r#"{"Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
            r#"{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:TagSession"}"#,
            r#"{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Sid":"ecs-tasks.amazonaws.com"}"#,
        ] {
            assert!(!trusts_ecs_tasks(&doc(refused)), "{refused}");
        }
        assert!(
            !trusts_ecs_tasks("ecs-tasks.amazonaws.com"),
            "not a document"
        );
        assert!(trusts_ecs_tasks(&doc(
            r#"{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"1"}}}"#
        )));
        let mut d = desired();
        let mut cur = in_place(&d);
        cur.iam
            .as_mut()
            .unwrap()
            .task_role
            .as_mut()
            .unwrap()
            .trust_policy = doc(
            r#"{"Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
        );
        d.desired_count = 1;
        let ops: Vec<&str> = plan(&d, &cur).steps().map(Step::operation).collect();
        assert_eq!(ops, ["iam:UpdateAssumeRolePolicy"]);
    }

    #[test]
    fn changed_policies_and_counts_are_updated() {
        let mut d = desired();
        let cur = in_place(&d);
        d.desired_count = 3;
        d.iam.as_mut().unwrap().execution_policy =
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"X\"}]}".into();
        let p = plan(&d, &cur);
        let ops: Vec<&str> = p.steps().map(Step::operation).collect();
        assert_eq!(ops, ["iam:PutRolePolicy", "ecs:UpdateService"]);
        assert_eq!(p.policy_changes[0].1.len(), 1);
    }
}
