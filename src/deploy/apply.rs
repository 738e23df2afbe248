//! Carrying out a plan, group by group, keeping a journal of which steps were
//! done so that a failure says exactly what was applied and what was not.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio_util::sync::CancellationToken;

use crate::aws::{self, Aws, AwsError, ErrorKind};
use crate::plan::{Desired, Plan, Step, TaskDefinitionChange};
use crate::state::{Current, Registered, ServiceState};

/// What was applied.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    /// Each step done, described, with its duration.
    pub done: Vec<(String, Duration)>,
    /// The task definition the service now points at.
    pub task_definition: Option<(String, i32)>,
    pub registered: bool,
    pub service: Option<ServiceState>,
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
        let results = join_all(group.iter().map(|step| {
            let td_arn = td_arn.clone();
            async move {
                let started = Instant::now();
                let r = run_step(aws, d, step, td_arn.as_deref(), latest_seen).await;
                (r, started.elapsed())
            }
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

async fn run_step(
    aws: &Aws,
    d: &Desired,
    step: &Step,
    td_arn: Option<&str>,
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
        Step::CreateManagedPolicy {
            name,
            arn,
            document,
        } => match aws::iam::create_policy(&aws.iam, name, document, tags).await {
            Ok(_) => Ok(Output::None),
            // There already (a retried create, or an earlier run that stopped
            // before attaching it): give it this document.
            Err(e) if e.is(ErrorKind::AlreadyExists) => {
                none(aws::iam::new_policy_version(&aws.iam, arn, document).await)
            }
            Err(e) => Err(e),
        },
        Step::UpdateManagedPolicy { arn, document } => {
            none(aws::iam::new_policy_version(&aws.iam, arn, document).await)
        }
        Step::TagRole { role, key, value } => {
            none(aws::iam::tag_role(&aws.iam, role, key, value).await)
        }
        Step::AttachPolicy { role, arn } => {
            none(aws::iam::attach_policy(&aws.iam, role, arn).await)
        }
        Step::RegisterTaskDefinition => register_exactly_once(aws, d, latest_seen)
            .await
            .map(Output::Registered),
        Step::UpdateService { desired } => {
            let arn = td_arn.ok_or_else(|| no_task_definition("ecs:UpdateService"))?;
            match aws::ecs::update_service(
                &aws.ecs, &d.cluster, &d.service, arn, *desired, d.rollback,
            )
            .await
            {
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
        Step::CreateService => {
            let arn = td_arn.ok_or_else(|| no_task_definition("ecs:CreateService"))?;
            let mut spec = d.new_service.clone().ok_or_else(|| {
                AwsError::new(
                    "ecs:CreateService",
                    ErrorKind::Invalid,
                    "no network configuration for a new service",
                )
            })?;
            spec.task_definition = arn.to_string();
            match aws::ecs::create_service(&aws.ecs, &spec).await {
                Ok(s) => Ok(Output::Service(s)),
                // A retried create whose first attempt went through: the service is there.
                Err(e) if e.is(ErrorKind::AlreadyExists) || e.is(ErrorKind::Invalid) => {
                    match aws::ecs::describe_service(&aws.ecs, &d.cluster, &d.service).await? {
                        Some(s) if s.task_definition == arn => Ok(Output::Service(s)),
                        _ => Err(e),
                    }
                }
                Err(e) => Err(e),
            }
        }
    }
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
        match aws::ecs::register_task_definition(&aws.ecs_single_attempt, &d.td).await {
            Ok(r) => return Ok(r),
            Err(e) if e.is_retryable() && attempt < aws::MAX_ATTEMPTS => {
                tracing::debug!(attempt, error = %e, "RegisterTaskDefinition failed; checking whether it went through");
                if e.is_timeout() {
                    // A request that timed out may still be on its way: give it a moment to land.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                if let Ok(Some(latest)) =
                    aws::ecs::describe_task_definition(&aws.ecs, &d.td.family).await
                    && latest.definition == d.td
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
