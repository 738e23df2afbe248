//! Planning, pure: from what is wanted ([`Desired`]) and what is there
//! ([`Current`]) to the steps that close the gap, the differences shown to
//! people, and the judgement of a rollout.
//!
//! Steps come in groups: the steps of one group do not depend on each other and
//! run concurrently; a group starts when the one before it has finished. The
//! service is updated last, once roles, policies, log group and task definition
//! are in place.

pub mod alarms;
pub mod desired;
pub mod diff;
mod env_files;
mod iam;
pub mod job;
pub mod lb;
pub mod messaging;
pub mod nlb;
pub mod rollout;
mod scaling;
mod service;
pub mod target;
mod taskdef;
pub mod text;

use crate::names::arn;
use crate::state::Current;
pub use desired::{Desired, DesiredIam};
use diff::Change;
pub use iam::trusts_ecs_tasks;

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
    AttachPolicy {
        role: String,
        arn: String,
    },
    RegisterTaskDefinition,
    UpdateService {
        desired: i32,
        /// The capacity provider strategy, when it changes (empty: back to
        /// the Fargate launch type).
        capacity: Option<Vec<crate::state::CapacityProvider>>,
        /// The load balancer entries, when they change.
        load_balancers: Option<Vec<(lb::TgRef, String, i32)>>,
        /// `healthCheckGracePeriodSeconds`, when it changes.
        grace_period_s: Option<i32>,
        /// The Cloud Map registration, when it changes.
        service_registries: Option<Vec<(RegistryRef, i32)>>,
        /// Service Connect, when it changes.
        service_connect: Option<crate::state::ServiceConnect>,
    },
    /// The service's Cloud Map service (`{svc}.{env}.{app}.local`).
    CreateDiscoveryService,
    /// A change to the load balancer's target groups or listener rules.
    Lb(lb::LbStep),
    /// A change to the network load balancer.
    Nlb(nlb::NlbStep),
    /// A change to a Scheduled Job's schedule or its scheduler role.
    Job(job::JobStep),
    CreateService,
    /// The range the autoscaler moves the desired count in.
    RegisterScalableTarget {
        min: i32,
        max: i32,
    },
    PutScalingPolicy {
        policy: crate::state::ScalingPolicy,
        /// The target group whose name fills the policy's `TargetGroup`
        /// dimension, when it is created by this deploy.
        target_group: Option<lb::TgRef>,
    },
    DeleteScalingPolicy {
        name: String,
    },
    /// A private bucket for the application's env files.
    CreateBucket {
        name: String,
    },
    /// An env file's object (its key names its content).
    UploadEnvFile {
        bucket: String,
        key: String,
        /// The local file, as the manifest names it.
        path: String,
    },
    /// One of Copilot's rollback alarms (`deployment.rollback_alarms`).
    PutAlarm(crate::state::alarm::Alarm),
    /// A topic the service publishes (`publish.topics`).
    CreateTopic {
        name: String,
        attributes: std::collections::BTreeMap<String, String>,
    },
    SetTopicAttribute {
        arn: String,
        name: String,
        value: String,
    },
    /// A queue's attributes brought to what the manifest says.
    SetQueueAttributes {
        url: String,
        attributes: std::collections::BTreeMap<String, String>,
    },
    /// A subscription of a queue to a topic (`subscribe.topics`).
    Subscribe {
        topic_arn: String,
        queue_arn: String,
        filter_policy: Option<String>,
    },
    SetFilterPolicy {
        subscription_arn: String,
        policy: String,
    },
}

/// A Cloud Map service: one that exists (by ARN) or the one this deploy creates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryRef {
    Existing(String),
    New,
}

/// `FARGATE_SPOT (weight 1), FARGATE (base 1, weight 0)`.
pub fn describe_capacity(c: &[crate::state::CapacityProvider]) -> String {
    c.iter()
        .map(|p| {
            if p.base > 0 {
                format!("{} (base {}, weight {})", p.provider, p.base, p.weight)
            } else {
                format!("{} (weight {})", p.provider, p.weight)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `70%`, `1000 requests per task`, `500 ms`.
fn describe_target(p: &crate::state::ScalingPolicy) -> String {
    match p.custom.as_ref().map(|c| c.name.as_str()) {
        None => format!("{}%", p.target_milli / 1000),
        Some("RequestCountPerTarget") => format!("{} requests per task", p.target_milli / 1000),
        Some(_) => format!("{} ms", p.target_milli),
    }
}

/// `api` in namespace `ns-…`.
fn discovery_name(d: &Desired) -> String {
    d.discovery.as_ref().map_or_else(String::new, |x| {
        format!("{} in namespace {}", x.name, x.namespace_id)
    })
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
            Step::AttachPolicy { role, arn } => {
                format!("attach {} to role {role}", arn::last_segment(arn))
            }
            Step::RegisterTaskDefinition => format!("register task definition {}", d.td.family),
            Step::UpdateService {
                desired,
                capacity,
                load_balancers,
                grace_period_s,
                service_registries,
                service_connect,
            } => format!(
                "update service {} (desired count {desired}{}{}{}{}{}{})",
                d.service,
                if d.exec { ", ECS Exec on" } else { "" },
                match capacity {
                    Some(c) if c.is_empty() => ", the Fargate launch type".to_string(),
                    Some(c) => format!(", {}", describe_capacity(c)),
                    None => String::new(),
                },
                match load_balancers {
                    Some(l) => format!(", target groups {}", lb::describe_entries(l, d)),
                    None => String::new(),
                },
                match grace_period_s {
                    Some(g) => format!(", health check grace period {g}s"),
                    None => String::new(),
                },
                match service_registries {
                    Some(r) if r.is_empty() => ", out of Cloud Map".to_string(),
                    Some(_) => format!(", registered as {}", discovery_name(d)),
                    None => String::new(),
                },
                match service_connect {
                    Some(c) if c.enabled => format!(
                        ", Service Connect on in {}{}",
                        c.namespace.as_deref().unwrap_or_default(),
                        c.services
                            .iter()
                            .map(|s| format!(" as {}:{}", s.dns_name, s.port))
                            .collect::<String>()
                    ),
                    Some(_) => ", Service Connect off".to_string(),
                    None => String::new(),
                }
            ),
            Step::CreateDiscoveryService => {
                format!("create Cloud Map service {}", discovery_name(d))
            }
            Step::Lb(s) => s.describe(d),
            Step::Nlb(s) => s.describe(d),
            Step::Job(s) => s.describe(d),
            Step::CreateService => format!("create service {} in cluster {}", d.service, d.cluster),
            Step::RegisterScalableTarget { min, max } => {
                format!(
                    "autoscale service {} between {min} and {max} tasks",
                    d.service
                )
            }
            Step::PutScalingPolicy { policy, .. } => format!(
                "scale on {} at {} (cooldown in {}s, out {}s)",
                policy.metric,
                describe_target(policy),
                policy.scale_in_s,
                policy.scale_out_s
            ),
            Step::DeleteScalingPolicy { name } => format!("delete scaling policy {name}"),
            Step::CreateBucket { name } => format!("create private bucket {name}"),
            Step::UploadEnvFile { bucket, key, path } => {
                format!("upload env file {path} to s3://{bucket}/{key}")
            }
            Step::PutAlarm(a) => format!("put alarm {} ({} >= {})", a.name, a.metric, a.threshold),
            Step::CreateTopic { name, .. } => format!("create topic {name}"),
            Step::SetTopicAttribute { arn, name, .. } => {
                format!("set {name} of topic {}", arn::last_colon_segment(arn))
            }
            Step::SetQueueAttributes { url, attributes } => format!(
                "set {} of queue {}",
                attributes.keys().cloned().collect::<Vec<_>>().join(", "),
                url.rsplit('/').next().unwrap_or(url)
            ),
            Step::Subscribe {
                topic_arn,
                queue_arn,
                ..
            } => format!(
                "subscribe queue {} to topic {}",
                arn::last_colon_segment(queue_arn),
                arn::last_colon_segment(topic_arn)
            ),
            Step::SetFilterPolicy {
                subscription_arn, ..
            } => format!("set the filter policy of subscription {subscription_arn}"),
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
            Step::AttachPolicy { .. } => "iam:AttachRolePolicy",
            Step::RegisterTaskDefinition => "ecs:RegisterTaskDefinition",
            Step::UpdateService { .. } => "ecs:UpdateService",
            Step::CreateDiscoveryService => "servicediscovery:CreateService",
            Step::Lb(s) => s.operation(),
            Step::Nlb(s) => s.operation(),
            Step::Job(s) => s.operation(),
            Step::CreateService => "ecs:CreateService",
            Step::RegisterScalableTarget { .. } => "application-autoscaling:RegisterScalableTarget",
            Step::PutScalingPolicy { .. } => "application-autoscaling:PutScalingPolicy",
            Step::DeleteScalingPolicy { .. } => "application-autoscaling:DeleteScalingPolicy",
            Step::CreateBucket { .. } => "s3:CreateBucket",
            Step::UploadEnvFile { .. } => "s3:PutObject",
            Step::PutAlarm(_) => "cloudwatch:PutMetricAlarm",
            Step::CreateTopic { .. } => "sns:CreateTopic",
            Step::SetTopicAttribute { .. } => "sns:SetTopicAttributes",
            Step::SetQueueAttributes { .. } => "sqs:SetQueueAttributes",
            Step::Subscribe { .. } => "sns:Subscribe",
            Step::SetFilterPolicy { .. } => "sns:SetSubscriptionAttributes",
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
    /// A new service's load balancer entries.
    pub load_balancers: Vec<(lb::TgRef, String, i32)>,
    /// A new service's Cloud Map registration.
    pub service_registries: Vec<(RegistryRef, i32)>,
    /// Why the load balancers cannot be set up as asked (a TLS listener
    /// without a certificate, ...): the deploy stops before any write.
    pub refused: Vec<crate::diag::Diagnostic>,
    /// Target groups being replaced, where each stands: the deploy carries
    /// them on after the plan's own writes (see [`lb::Phase`]).
    pub swaps: Vec<lb::Swap>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        if !self.swaps.is_empty() {
            return false;
        }
        self.groups.iter().all(Vec::is_empty)
    }

    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.groups.iter().flatten()
    }
}

/// Steps by the group they run in, as the parts add them.
#[derive(Default)]
pub struct Groups {
    /// What the first group's steps need (the env files' bucket).
    pub prepare: Vec<Step>,
    pub first: Vec<Step>,
    pub second: Vec<Step>,
    pub third: Vec<Step>,
    /// The service, once everything it uses is in place.
    pub last: Vec<Step>,
    /// Autoscaling's target, once the service exists; then its policies.
    pub target: Vec<Step>,
    pub scale: Vec<Step>,
    /// Once the service no longer uses what goes.
    pub cleanup: Vec<Step>,
}

impl Groups {
    /// The groups in the order they run, the empty ones left out.
    fn into_groups(self) -> Vec<Vec<Step>> {
        [
            self.prepare,
            self.first,
            self.second,
            self.third,
            self.last,
            self.target,
            self.scale,
            self.cleanup,
        ]
        .into_iter()
        .filter(|g| !g.is_empty())
        .collect()
    }
}

/// Compares what is wanted with what is there: each part (log group, roles,
/// task definition, load balancers, service, autoscaling) adds its steps to
/// the groups; this merges them in order.
pub fn plan(d: &Desired, cur: &Current) -> Plan {
    let mut g = Groups::default();
    env_files::plan_env_files(d, &mut g);
    if let Some(m) = &d.messaging {
        messaging::plan_messaging(m, &mut g);
    }
    alarms::plan_alarms(&d.alarms, &cur.alarms, &mut g);
    taskdef::plan_log_group(d, cur, &mut g);
    let mut policy_changes = iam::plan_iam(d, cur, &mut g);
    let task_definition = taskdef::plan_task_definition(d, cur, &mut g);
    // A job runs on its schedule: no service, load balancer or scaling.
    if let Some(job) = &d.job {
        policy_changes.extend(job::plan_job(job, cur, &task_definition, &mut g));
        return Plan {
            groups: g.into_groups(),
            task_definition,
            policy_changes,
            load_balancers: Vec::new(),
            service_registries: Vec::new(),
            refused: job::refusal(job, &d.service).into_iter().collect(),
            swaps: Vec::new(),
        };
    }

    // The load balancers: target groups before the rules that forward to
    // them, rules before the service that registers in their target groups.
    let service_lbs = cur
        .service
        .as_ref()
        .map(|s| s.load_balancers.clone())
        .unwrap_or_default();
    let mut refused = Vec::new();
    let lb_plan = match &d.lb {
        Some(want) => lb::plan_lb(want, &cur.lb.clone().unwrap_or_default(), &service_lbs),
        None => lb::LbPlan::default(),
    };
    let nlb_plan = match &d.nlb {
        Some(want) => {
            match nlb::plan_nlb(want, &cur.nlb.clone().unwrap_or_default(), &service_lbs) {
                Ok(p) => Some(p),
                Err(r) => {
                    refused.extend(r.iter().map(nlb::Refusal::diagnostic));
                    None
                }
            }
        }
        None => None,
    };
    let entries = service_entries(
        &service_lbs,
        lb_plan.load_balancers.clone(),
        nlb_plan.as_ref(),
    );
    if let Some(n) = &nlb_plan {
        g.first.extend(n.first.iter().cloned().map(Step::Nlb));
        g.second.extend(n.second.iter().cloned().map(Step::Nlb));
        g.third.extend(n.third.iter().cloned().map(Step::Nlb));
    }
    g.first.extend(lb_plan.first.iter().cloned().map(Step::Lb));
    g.second
        .extend(lb_plan.second.iter().cloned().map(Step::Lb));

    let created = service::plan_service(
        d,
        cur,
        service::ServiceInputs {
            task_definition: &task_definition,
            entries,
        },
        &mut g,
    );
    scaling::plan_scaling(d, cur, &lb_plan.targets, &mut g);
    g.cleanup.extend(
        lb_plan
            .cleanup
            .iter()
            .cloned()
            .map(Step::Lb)
            .chain(nlb_plan.into_iter().flat_map(|n| n.cleanup).map(Step::Nlb)),
    );
    Plan {
        groups: g.into_groups(),
        task_definition,
        policy_changes,
        load_balancers: created.load_balancers,
        service_registries: created.service_registries,
        refused,
        swaps: lb_plan.swaps,
    }
}

/// The service's load balancer entries as wanted, when they differ from
/// `now`: the application load balancer's (as `plan_lb` has them, the
/// entries of other load balancers kept in place), with the network load
/// balancer's replaced by the ones its listeners want, in listener order.
fn service_entries(
    now: &[crate::state::lb::LoadBalancer],
    alb: Option<Vec<(lb::TgRef, String, i32)>>,
    nlb: Option<&nlb::NlbPlan>,
) -> Option<Vec<(lb::TgRef, String, i32)>> {
    let now: Vec<(lb::TgRef, String, i32)> = now
        .iter()
        .map(|l| {
            (
                lb::TgRef::Existing(l.target_group.clone()),
                l.container.clone(),
                l.port,
            )
        })
        .collect();
    let mut want = alb.unwrap_or_else(|| now.clone());
    if let Some(n) = nlb {
        want.retain(|(tg, _, _)| {
            !matches!(tg, lb::TgRef::Existing(arn) if n.network_target_groups.contains(arn))
        });
        want.extend(n.entries.iter().cloned());
    }
    (want != now).then_some(want)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{Facts, render_task_definition};
    use crate::state::{IamState, LogGroup, Registered, Role, ServiceState};
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
        let td = render_task_definition(&svc, &facts);
        Desired {
            env_files: None,
            messaging: None,
            rollout_settings: Default::default(),
            alarms: Vec::new(),
            td_doc: crate::render::document::document(&td),
            td,
            log_group: "/copilot/demo-test-api".into(),
            retention_days: 30,
            desired_count: 1,
            iam: Some(DesiredIam {
                execution_role: "demo-test-api-ExecutionRole".into(),
                task_role: "demo-test-api-TaskRole".into(),
                trust_policy: "{}".into(),
                execution_policy: "{\"Version\":\"2012-10-17\",\"Statement\":[]}".into(),
                task_policy: None,
                attach: Vec::new(),
                tags: Vec::new(),
            }),
            cluster: "demo-test".into(),
            service: "api".into(),
            rollback: true,
            exec: false,
            capacity: Vec::new(),
            scaling: None,
            lb: None,
            nlb: None,
            discovery: None,
            connect: None,
            region: "us-east-1".into(),
            new_service: None,
            job: None,
            tags: Vec::new(),
        }
    }

    fn in_place(d: &Desired) -> Current {
        let reg = Registered::of("arn:td:1", 1, d.td.clone());
        Current {
            job: None,
            alarms: Vec::new(),
            scaling: None,
            lb: None,
            nlb: None,
            discovery: None,
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
    fn the_cloud_map_service_is_created_before_the_ecs_service_registers_in_it() {
        let mut d = desired();
        d.discovery = Some(desired::DesiredDiscovery {
            namespace_id: "ns-1".into(),
            name: "api".into(),
            port: Some(8080),
            request_id: "r".into(),
        });
        let p = plan(&d, &Current::default());
        assert!(p.groups[0].contains(&Step::CreateDiscoveryService));
        assert_eq!(p.service_registries, [(RegistryRef::New, 8080)]);
        // An existing service that is not registered yet: registered in place.
        let mut cur = in_place(&d);
        cur.discovery = Some(crate::state::DiscoveryService {
            id: "srv-1".into(),
            arn: "arn:srv-1".into(),
        });
        let p = plan(&d, &cur);
        let steps: Vec<&Step> = p.steps().collect();
        assert!(
            matches!(steps.as_slice(), [Step::UpdateService { service_registries: Some(r), .. }]
                if r == &[(RegistryRef::Existing("arn:srv-1".into()), 8080)]),
            "{steps:?}"
        );
        // Registered already: nothing to do.
        cur.service.as_mut().unwrap().service_registries = vec![crate::state::ServiceRegistry {
            arn: "arn:srv-1".into(),
            port: Some(8080),
        }];
        assert!(plan(&d, &cur).is_empty());
    }

    #[test]
    fn service_connect_is_turned_on_in_place_and_left_alone_once_on() {
        let mut d = desired();
        let want = crate::state::ServiceConnect {
            enabled: true,
            namespace: Some("test.demo.local".into()),
            services: vec![crate::state::ConnectService {
                port_name: "target".into(),
                discovery_name: "api-sc".into(),
                dns_name: "api".into(),
                port: 8080,
            }],
        };
        d.connect = Some(want.clone());
        let mut cur = in_place(&d);
        let steps: Vec<Step> = plan(&d, &cur).steps().cloned().collect();
        assert!(
            matches!(steps.as_slice(), [Step::UpdateService { service_connect: Some(c), .. }] if *c == want),
            "{steps:?}"
        );
        // ECS answers with the namespace's ARN: the same configuration.
        cur.service.as_mut().unwrap().service_connect = Some(crate::state::ServiceConnect {
            namespace: Some("arn:aws:servicediscovery:us-east-1:1:namespace/ns-1".into()),
            ..want
        });
        assert!(plan(&d, &cur).is_empty());
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
        d2.td_doc = crate::render::document::document(&d2.td);
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
        cur.td = Some(Registered::of("arn:td:1", 1, old));
        cur.latest = Some(Registered::of("arn:td:2", 2, d.td.clone()));
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
    fn the_add_ons_stacks_policies_are_attached_then_left_alone() {
        let mut d = desired();
        let arn = "arn:aws:iam::1:policy/demo-test-api-AddonsStack-P".to_string();
        d.iam.as_mut().unwrap().attach = vec![arn.clone()];
        let mut cur = in_place(&d);
        let ops: Vec<&str> = plan(&d, &cur).steps().map(Step::operation).collect();
        assert_eq!(ops, ["iam:AttachRolePolicy"]);
        cur.iam.as_mut().unwrap().attached.push(arn);
        assert!(plan(&d, &cur).is_empty());
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

    #[test]
    fn turning_ecs_exec_on_or_off_updates_the_service_alone() {
        let mut d = desired();
        let cur = in_place(&d);
        d.exec = true;
        let ops: Vec<&str> = plan(&d, &cur).steps().map(Step::operation).collect();
        assert_eq!(ops, ["ecs:UpdateService"]);
        let mut on = in_place(&d);
        on.service.as_mut().unwrap().exec = true;
        assert!(plan(&d, &on).is_empty(), "already on: nothing to do");
    }

    #[test]
    fn moving_to_fargate_spot_updates_the_service_with_the_strategy() {
        let mut d = desired();
        let cur = in_place(&d);
        d.capacity = vec![crate::state::CapacityProvider {
            provider: "FARGATE_SPOT".into(),
            weight: 1,
            base: 0,
        }];
        let p = plan(&d, &cur);
        let steps: Vec<&Step> = p.steps().collect();
        assert!(
            matches!(steps.as_slice(), [Step::UpdateService { capacity: Some(c), .. }] if c == &d.capacity),
            "{steps:?}"
        );
        assert!(steps[0].describe(&d).contains("FARGATE_SPOT (weight 1)"));
        let mut there = in_place(&d);
        there.service.as_mut().unwrap().capacity = d.capacity.clone();
        assert!(plan(&d, &there).is_empty());
    }

    #[test]
    fn autoscaling_registers_the_target_before_its_policies_and_drops_stale_ones() {
        use crate::plan::desired::{DesiredScaling, scaling_policy_name};
        use crate::state::{Scaling, ScalingPolicy};
        let cpu = ScalingPolicy {
            name: scaling_policy_name("api", "ECSServiceAverageCPUUtilization"),
            metric: "ECSServiceAverageCPUUtilization".into(),
            target_milli: 70_000,
            scale_in_s: 120,
            scale_out_s: 60,
            custom: None,
        };
        let mem = ScalingPolicy {
            name: scaling_policy_name("api", "ECSServiceAverageMemoryUtilization"),
            metric: "ECSServiceAverageMemoryUtilization".into(),
            ..cpu.clone()
        };
        let mut d = desired();
        d.scaling = Some(DesiredScaling {
            min: 1,
            max: 4,
            policies: vec![cpu.clone()],
            owned: vec![cpu.name.clone(), mem.name.clone()],
            owned_prefix: "api-BacklogPerTask-".into(),
            left_out: Vec::new(),
        });
        let cur = in_place(&d);
        let p = plan(&d, &cur);
        let groups: Vec<Vec<&str>> = p
            .groups
            .iter()
            .map(|g| g.iter().map(Step::operation).collect())
            .collect();
        assert_eq!(
            groups,
            [
                vec!["application-autoscaling:RegisterScalableTarget"],
                vec!["application-autoscaling:PutScalingPolicy"]
            ],
            "the target first, alone"
        );
        // In place but for a memory policy no longer asked for, and one of
        // someone else's: only Copilot-named stale policies go.
        let mut now = in_place(&d);
        let theirs = ScalingPolicy {
            name: "team-custom".into(),
            ..mem.clone()
        };
        now.scaling = Some(Scaling {
            range: Some((1, 4)),
            policies: vec![cpu.clone(), mem.clone(), theirs],
        });
        let ops: Vec<String> = plan(&d, &now).steps().map(|s| s.describe(&d)).collect();
        assert_eq!(ops, [format!("delete scaling policy {}", mem.name)]);
    }
}
