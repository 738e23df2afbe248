//! Carrying out a plan, group by group, keeping a journal of which steps were
//! done so that a failure says exactly what was applied and what was not.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::future::join_all;

mod job;
mod lb;
mod messaging;
use lb::{lb_step, nlb_step};
use messaging::messaging_step;
use tokio_util::sync::CancellationToken;

use crate::aws::{self, Aws, AwsError, ErrorKind};
use crate::plan::lb::TgRef;
use crate::plan::nlb::Ref;
use crate::plan::{Desired, Plan, RegistryRef, Step, TaskDefinitionChange};
use crate::render::document::same_registration;
use crate::state::lb::LoadBalancer;
use crate::state::{Current, Registered, ServiceRegistry, ServiceState};

/// What was applied.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    /// Each step done, described, with its duration.
    pub done: Vec<(String, Duration)>,
    /// The task definition the service now points at.
    pub task_definition: Option<(String, i32)>,
    pub registered: bool,
    pub service: Option<ServiceState>,
    /// Target groups created, by routing rule.
    pub target_groups: BTreeMap<usize, String>,
    /// Network load balancer target groups created, by listener.
    pub nlb_target_groups: BTreeMap<usize, String>,
    /// The network load balancer's security group, when created.
    pub security_group: Option<String>,
    /// The network load balancer, when created.
    pub load_balancer: Option<crate::state::lb::NetworkLb>,
    /// The Cloud Map service created.
    pub registry: Option<String>,
}

#[derive(Debug)]
pub struct ApplyError {
    pub error: AwsError,
    /// The step that failed.
    pub step: String,
    pub applied: Applied,
    /// Steps not carried out.
    pub not_done: Vec<String>,
    pub interrupted: bool,
}

enum Output {
    None,
    Registered(Registered),
    Service(ServiceState),
    TargetGroup(usize, String),
    NlbTargetGroup(usize, String),
    SecurityGroup(String),
    LoadBalancer(crate::state::lb::NetworkLb),
    Registry(String),
}

/// Applies the plan. `on_step` hears of each step done; cancellation is
/// honoured between groups (a group's requests are not cut off half-way).
pub async fn apply(
    aws: &Aws,
    d: &Desired,
    plan: &Plan,
    current: &Current,
    on_step: &mut dyn FnMut(&str, Duration),
    cancel: &CancellationToken,
) -> Result<Applied, ApplyError> {
    let mut applied = Applied::default();
    match &plan.task_definition {
        TaskDefinitionChange::Unchanged { arn } | TaskDefinitionChange::Reuse { arn } => {
            let rev = current
                .latest
                .iter()
                .chain(current.td.iter())
                .find(|r| &r.arn == arn)
                .map_or(0, |r| r.revision);
            applied.task_definition = Some((arn.clone(), rev));
        }
        TaskDefinitionChange::Register { .. } => {}
    }
    let latest_seen = current.latest.as_ref().map(|l| l.revision);
    // The journal: one entry per step of the plan, in plan order.
    let steps: Vec<&Step> = plan.steps().collect();
    let mut done = vec![false; steps.len()];
    let not_done = |done: &[bool]| -> Vec<String> {
        steps
            .iter()
            .zip(done)
            .filter(|(_, d)| !**d)
            .map(|(s, _)| s.describe(d))
            .collect()
    };
    let mut first = 0;
    for group in &plan.groups {
        if cancel.is_cancelled() {
            return Err(ApplyError {
                error: AwsError::new("deploy", ErrorKind::Other, "interrupted"),
                step: String::new(),
                not_done: not_done(&done),
                applied,
                interrupted: true,
            });
        }
        let td_arn = applied.task_definition.as_ref().map(|(a, _)| a.clone());
        let made = Made {
            td_arn: td_arn.as_deref(),
            target_groups: &applied.target_groups,
            nlb_target_groups: &applied.nlb_target_groups,
            security_group: applied.security_group.as_deref(),
            load_balancer: applied.load_balancer.as_ref(),
            registry: applied.registry.as_deref(),
            plan,
            current,
        };
        let results = join_all(group.iter().map(|step| async move {
            let started = Instant::now();
            let r = run_step(aws, d, step, &made, latest_seen).await;
            (r, started.elapsed())
        }))
        .await;
        let mut failure = None;
        for (i, (result, took)) in results.into_iter().enumerate() {
            let step = &group[i];
            match result {
                Ok(out) => {
                    done[first + i] = true;
                    let text = step.describe(d);
                    on_step(&text, took);
                    applied.done.push((text, took));
                    match out {
                        Output::Registered(r) => {
                            applied.task_definition = Some((r.arn, r.revision));
                            applied.registered = true;
                        }
                        Output::Service(s) => applied.service = Some(s),
                        Output::TargetGroup(rule, arn) => {
                            applied.target_groups.insert(rule, arn);
                        }
                        Output::NlbTargetGroup(listener, arn) => {
                            applied.nlb_target_groups.insert(listener, arn);
                        }
                        Output::SecurityGroup(id) => applied.security_group = Some(id),
                        Output::LoadBalancer(arn) => applied.load_balancer = Some(arn),
                        Output::Registry(arn) => applied.registry = Some(arn),
                        Output::None => {}
                    }
                }
                Err(e) => {
                    if failure.is_none() {
                        failure = Some((step.describe(d), e));
                    }
                }
            }
        }
        if let Some((step, error)) = failure {
            return Err(ApplyError {
                error,
                step,
                not_done: not_done(&done),
                applied,
                interrupted: false,
            });
        }
        first += group.len();
    }
    Ok(applied)
}

/// What earlier groups made that later steps refer to.
#[derive(Clone, Copy)]
struct Made<'a> {
    td_arn: Option<&'a str>,
    target_groups: &'a BTreeMap<usize, String>,
    nlb_target_groups: &'a BTreeMap<usize, String>,
    security_group: Option<&'a str>,
    load_balancer: Option<&'a crate::state::lb::NetworkLb>,
    registry: Option<&'a str>,
    plan: &'a Plan,
    current: &'a Current,
}

/// A target group's ARN: the one there, or the one this deploy created.
fn target_group_arn(
    tg: &TgRef,
    rules: &BTreeMap<usize, String>,
    listeners: &BTreeMap<usize, String>,
) -> Result<String, AwsError> {
    match tg {
        TgRef::Existing(arn) => Ok(arn.clone()),
        TgRef::New(i) => rules.get(i).cloned().ok_or_else(not_created),
        TgRef::NewNlb(i) => listeners.get(i).cloned().ok_or_else(not_created),
    }
}

impl Applied {
    /// A target group's ARN: the one there, or the one this deploy created.
    pub fn target_group(&self, tg: &TgRef) -> Result<String, AwsError> {
        target_group_arn(tg, &self.target_groups, &self.nlb_target_groups)
    }
}

impl Made<'_> {
    fn target_group(&self, tg: &TgRef) -> Result<String, AwsError> {
        target_group_arn(tg, self.target_groups, self.nlb_target_groups)
    }

    /// The network load balancer's security group: the one there, or the
    /// one this deploy created.
    fn security_group(&self, g: &Ref) -> Result<String, AwsError> {
        match g {
            Ref::Existing(id) => Ok(id.clone()),
            Ref::New => self.security_group.map(str::to_string).ok_or_else(|| {
                AwsError::new(
                    "ec2:CreateSecurityGroup",
                    ErrorKind::Other,
                    "the security group was not created",
                )
            }),
        }
    }

    /// The network load balancer: the one there, or the one this deploy created.
    fn load_balancer(&self) -> Result<&crate::state::lb::NetworkLb, AwsError> {
        self.current
            .nlb
            .as_ref()
            .and_then(|n| n.load_balancer.as_ref())
            .or(self.load_balancer)
            .ok_or_else(|| {
                AwsError::new(
                    "elasticloadbalancing:CreateLoadBalancer",
                    ErrorKind::Other,
                    "the network load balancer was not created",
                )
            })
    }

    fn registries(&self, r: &[(RegistryRef, i32)]) -> Result<Vec<ServiceRegistry>, AwsError> {
        r.iter()
            .map(|(r, port)| {
                let arn = match r {
                    RegistryRef::Existing(arn) => arn.clone(),
                    RegistryRef::New => self.registry.map(str::to_string).ok_or_else(|| {
                        AwsError::new(
                            "servicediscovery:CreateService",
                            ErrorKind::Other,
                            "the Cloud Map service was not created",
                        )
                    })?,
                };
                Ok(ServiceRegistry {
                    arn,
                    port: Some(*port),
                })
            })
            .collect()
    }

    fn load_balancers(&self, l: &[(TgRef, String, i32)]) -> Result<Vec<LoadBalancer>, AwsError> {
        l.iter()
            .map(|(tg, container, port)| {
                Ok(LoadBalancer {
                    target_group: self.target_group(tg)?,
                    container: container.clone(),
                    port: *port,
                })
            })
            .collect()
    }
}

async fn run_step(
    aws: &Aws,
    d: &Desired,
    step: &Step,
    made: &Made<'_>,
    latest_seen: Option<i32>,
) -> Result<Output, AwsError> {
    let tags = &d.tags;
    let trust = d
        .iam
        .as_ref()
        .map(|i| i.trust_policy.as_str())
        .unwrap_or_default();
    let none = |r: Result<(), AwsError>| r.map(|_| Output::None);
    match step {
        Step::CreateBucket { name } => {
            let tags = d
                .env_files
                .as_ref()
                .map(|e| e.tags.as_slice())
                .unwrap_or_default();
            none(aws.s3.create_private_bucket(name, tags).await)
        }
        Step::UploadEnvFile { bucket, key, .. } => {
            let file = d
                .env_files
                .iter()
                .flat_map(|e| &e.uploads)
                .find(|(k, _)| k == key)
                .map(|(_, f)| f.content.clone())
                .unwrap_or_default();
            none(aws.s3.put_object(bucket, key, &file).await)
        }
        Step::CreateLogGroup { name } => {
            none(aws::logs::create_log_group(&aws.logs, name, tags).await)
        }
        Step::SetRetention { name, days } => {
            none(aws::logs::set_retention(&aws.logs, name, *days).await)
        }
        Step::CreateRole { name } => match aws::iam::create_role(&aws.iam, name, trust, tags).await
        {
            Ok(_) => Ok(Output::None),
            // A retried create whose first attempt went through.
            Err(e) if e.is(ErrorKind::AlreadyExists) => Ok(Output::None),
            Err(e) => Err(e),
        },
        Step::UpdateTrust { name } => {
            none(aws::iam::update_trust_policy(&aws.iam, name, trust).await)
        }
        Step::PutRolePolicy {
            role,
            policy,
            document,
        } => none(aws::iam::put_role_policy(&aws.iam, role, policy, document).await),
        Step::DeleteRolePolicy { role, policy } => {
            none(aws::iam::delete_role_policy(&aws.iam, role, policy).await)
        }
        Step::AttachPolicy { role, arn } => {
            none(aws::iam::attach_policy(&aws.iam, role, arn).await)
        }
        Step::RegisterTaskDefinition => register_exactly_once(aws, d, latest_seen)
            .await
            .map(Output::Registered),
        Step::UpdateService { .. } => update_service(aws, d, step, made).await,
        Step::CreateService => create_service(aws, d, made).await,
        // Idempotent: a retry after a lost answer does the same again.
        Step::RegisterScalableTarget { min, max } => aws::autoscaling::register_target(
            &aws.autoscaling,
            &d.cluster,
            &d.service,
            (*min, *max),
        )
        .await
        .map(|()| Output::None),
        Step::PutScalingPolicy {
            policy,
            target_group,
        } => put_scaling_policy(aws, d, policy, target_group.as_ref(), made).await,
        Step::PutAlarm(a) => none(aws.cloudwatch.put_alarm(a).await),
        Step::CreateTopic { .. }
        | Step::SetTopicAttribute { .. }
        | Step::SetQueueAttributes { .. }
        | Step::Subscribe { .. }
        | Step::SetFilterPolicy { .. } => messaging_step(aws, d, step).await,
        Step::Lb(step) => lb_step(aws, d, step, made).await,
        Step::Nlb(step) => nlb_step(aws, d, step, made).await,
        Step::Job(step) => job::job_step(aws, d, step, made.td_arn).await,
        Step::CreateDiscoveryService => create_discovery_service(aws, d).await,
        Step::DeleteScalingPolicy { name } => {
            aws::autoscaling::delete_policy(&aws.autoscaling, &d.cluster, &d.service, name)
                .await
                .map(|()| Output::None)
        }
    }
}

/// UpdateService; a lost answer is read back: when the service is on the new
/// task definition, the update took effect.
async fn update_service(
    aws: &Aws,
    d: &Desired,
    step: &Step,
    made: &Made<'_>,
) -> Result<Output, AwsError> {
    let Step::UpdateService {
        desired,
        capacity,
        load_balancers,
        grace_period_s,
        service_registries,
        service_connect,
    } = step
    else {
        unreachable!("update_service is called for UpdateService only")
    };
    let arn = made
        .td_arn
        .ok_or_else(|| no_task_definition("ecs:UpdateService"))?;
    let service_registries = service_registries
        .as_deref()
        .map(|r| made.registries(r))
        .transpose()?;
    let load_balancers = load_balancers
        .as_deref()
        .map(|l| made.load_balancers(l))
        .transpose()?;
    let update = aws::ecs::ServiceUpdate {
        task_definition: arn,
        desired: *desired,
        rollback: d.rollback,
        exec: Some(d.exec),
        capacity: capacity.as_deref(),
        load_balancers: load_balancers.as_deref(),
        grace_period_s: *grace_period_s,
        service_registries: service_registries.as_deref(),
        service_connect: service_connect
            .as_ref()
            .map(|c| (c, (d.log_group.as_str(), d.region.as_str()))),
        rollout_settings: Some(&d.rollout_settings),
    };
    match aws::ecs::update_service(&aws.ecs, &d.cluster, &d.service, update).await {
        Ok(s) => Ok(Output::Service(s)),
        // The answer was lost, maybe after ECS carried it out: read back
        // whether the service moved to the task definition.
        Err(e) if e.is_retryable() => {
            match aws::ecs::describe_service(&aws.ecs, &d.cluster, &d.service).await {
                Ok(Some(s)) if s.task_definition == arn && s.desired == *desired => {
                    tracing::debug!(error = %e, "UpdateService's answer was lost; it took effect");
                    Ok(Output::Service(s))
                }
                _ => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// CreateService; a retried create whose first attempt went through finds
/// the service there.
async fn create_service(aws: &Aws, d: &Desired, made: &Made<'_>) -> Result<Output, AwsError> {
    let arn = made
        .td_arn
        .ok_or_else(|| no_task_definition("ecs:CreateService"))?;
    let mut spec = d.new_service.clone().ok_or_else(|| {
        AwsError::new(
            "ecs:CreateService",
            ErrorKind::Invalid,
            "no network configuration for a new service",
        )
    })?;
    spec.task_definition = arn.to_string();
    spec.service_registries = made.registries(&made.plan.service_registries)?;
    if !made.plan.load_balancers.is_empty() {
        spec.load_balancers = made.load_balancers(&made.plan.load_balancers)?;
    }
    match aws::ecs::create_service(&aws.ecs, &spec).await {
        Ok(s) => Ok(Output::Service(s)),
        Err(e) if e.is(ErrorKind::AlreadyExists) || e.is(ErrorKind::Invalid) => {
            match aws::ecs::describe_service(&aws.ecs, &d.cluster, &d.service).await? {
                Some(s) if s.task_definition == arn => Ok(Output::Service(s)),
                _ => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// PutScalingPolicy, with the `TargetGroup` dimension of a target group this
/// deploy created filled in. Idempotent: a retry does the same again.
async fn put_scaling_policy(
    aws: &Aws,
    d: &Desired,
    policy: &crate::state::ScalingPolicy,
    target_group: Option<&TgRef>,
    made: &Made<'_>,
) -> Result<Output, AwsError> {
    let mut policy = policy.clone();
    if let Some(tg) = target_group {
        let name = crate::plan::lb::target_group_full_name(&made.target_group(tg)?);
        for c in policy.custom.iter_mut() {
            for (k, v) in c.dimensions.iter_mut() {
                if k == crate::plan::desired::TARGET_GROUP_DIMENSION {
                    *v = name.clone();
                }
            }
        }
    }
    aws::autoscaling::put_policy(&aws.autoscaling, &d.cluster, &d.service, &policy)
        .await
        .map(|()| Output::None)
}

/// The service's Cloud Map service in the environment's namespace.
async fn create_discovery_service(aws: &Aws, d: &Desired) -> Result<Output, AwsError> {
    let want = d.discovery.as_ref().ok_or_else(|| {
        AwsError::new(
            "servicediscovery:CreateService",
            ErrorKind::Other,
            "no Cloud Map service wanted",
        )
    })?;
    let made = aws::discovery::create_service(
        &aws.discovery,
        &want.namespace_id,
        &want.name,
        &want.request_id,
        &d.tags,
    )
    .await?;
    Ok(Output::Registry(made.arn))
}

fn not_created() -> AwsError {
    AwsError::new(
        "elasticloadbalancing:CreateTargetGroup",
        ErrorKind::Other,
        "the target group was not created",
    )
}

fn no_task_definition(op: &'static str) -> AwsError {
    AwsError::new(op, ErrorKind::Other, "no task definition to deploy")
}

/// RegisterTaskDefinition is not idempotent: a retry after a lost answer would
/// register a second revision. So each attempt is single, and before another
/// the family's latest revision is read: if it is ours, it is used.
async fn register_exactly_once(
    aws: &Aws,
    d: &Desired,
    latest_seen: Option<i32>,
) -> Result<Registered, AwsError> {
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match aws::ecs::register_task_definition(&aws.ecs_single_attempt, &d.td_doc).await {
            Ok(r) => return Ok(r),
            Err(e) if e.is_retryable() && attempt < aws::MAX_ATTEMPTS => {
                tracing::debug!(attempt, error = %e, "RegisterTaskDefinition failed; checking whether it went through");
                if e.is_timeout() {
                    // A request that timed out may still be on its way: give it a moment to land.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                if let Ok(Some(latest)) =
                    aws::ecs::describe_task_definition(&aws.ecs, &d.td.family).await
                    && same_registration(&d.td_doc, &latest.document)
                    && Some(latest.revision) > latest_seen
                {
                    return Ok(latest);
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
