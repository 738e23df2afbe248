//! Carrying out a plan, group by group, keeping a journal of what was done so
//! that a failure says exactly what was applied and what was not.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::plan::{Current, Desired, Plan, Step, TaskDefinitionChange};
use crate::aws::ecs::{Registered, ServiceState};
use crate::aws::{self, Aws, AwsError, ErrorKind};

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

/// Applies the plan. `on_step` hears of each step done; `stop` is checked
/// between groups (Ctrl-C).
pub async fn apply(
    aws: &Aws,
    d: &Desired,
    plan: &Plan,
    current: &Current,
    on_step: &mut dyn FnMut(&str, Duration),
    stop: &AtomicBool,
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
    for (gi, group) in plan.groups.iter().enumerate() {
        if stop.load(Ordering::SeqCst) {
            return Err(ApplyError {
                error: AwsError::new("deploy", ErrorKind::Other, "interrupted"),
                step: String::new(),
                not_done: plan.groups[gi..]
                    .iter()
                    .flatten()
                    .map(|s| s.describe(d))
                    .collect(),
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
                (step, r, started.elapsed())
            }
        }))
        .await;
        let mut failure = None;
        for (step, result, took) in results {
            match result {
                Ok(out) => {
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
            let done: Vec<&str> = applied.done.iter().map(|(s, _)| s.as_str()).collect();
            let not_done = plan.groups[gi..]
                .iter()
                .flatten()
                .map(|s| s.describe(d))
                .filter(|s| !done.contains(&s.as_str()))
                .collect();
            return Err(ApplyError {
                error,
                step,
                applied,
                not_done,
                interrupted: false,
            });
        }
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
    match step {
        Step::CreateLogGroup { name } => aws::logs::create_log_group(&aws.logs, name, tags)
            .await
            .map(|_| Output::None),
        Step::SetRetention { name, days } => aws::logs::set_retention(&aws.logs, name, *days)
            .await
            .map(|_| Output::None),
        Step::CreateRole { name } => {
            let trust = d
                .iam
                .as_ref()
                .map(|i| i.trust_policy.as_str())
                .unwrap_or_default();
            match aws::iam::create_role(&aws.iam, name, trust, tags).await {
                Ok(_) => Ok(Output::None),
                // A retried create whose first attempt went through.
                Err(e) if e.is(ErrorKind::AlreadyExists) => Ok(Output::None),
                Err(e) => Err(e),
            }
        }
        Step::UpdateTrust { name } => {
            let trust = d
                .iam
                .as_ref()
                .map(|i| i.trust_policy.as_str())
                .unwrap_or_default();
            aws::iam::update_trust_policy(&aws.iam, name, trust)
                .await
                .map(|_| Output::None)
        }
        Step::PutRolePolicy {
            role,
            policy,
            document,
        } => aws::iam::put_role_policy(&aws.iam, role, policy, document)
            .await
            .map(|_| Output::None),
        Step::DeleteRolePolicy { role, policy } => {
            aws::iam::delete_role_policy(&aws.iam, role, policy)
                .await
                .map(|_| Output::None)
        }
        Step::CreateManagedPolicy {
            name,
            arn,
            document,
        } => {
            match aws::iam::create_policy(&aws.iam, name, document, tags).await {
                Ok(_) => Ok(Output::None),
                // There already (a retried create, or an earlier run that stopped
                // before attaching it): give it this document.
                Err(e) if e.is(ErrorKind::AlreadyExists) => {
                    aws::iam::new_policy_version(&aws.iam, arn, document)
                        .await
                        .map(|_| Output::None)
                }
                Err(e) => Err(e),
            }
        }
        Step::UpdateManagedPolicy { arn, document } => {
            aws::iam::new_policy_version(&aws.iam, arn, document)
                .await
                .map(|_| Output::None)
        }
        Step::TagRole { role, key, value } => aws::iam::tag_role(&aws.iam, role, key, value)
            .await
            .map(|_| Output::None),
        Step::AttachPolicy { role, arn } => aws::iam::attach_policy(&aws.iam, role, arn)
            .await
            .map(|_| Output::None),
        Step::RegisterTaskDefinition => register_exactly_once(aws, d, latest_seen)
            .await
            .map(Output::Registered),
        Step::UpdateService { desired, .. } => {
            let arn = td_arn.ok_or_else(|| {
                AwsError::new(
                    "ecs:UpdateService",
                    ErrorKind::Other,
                    "no task definition to deploy",
                )
            })?;
            aws::ecs::update_service(&aws.ecs, &d.cluster, &d.service, arn, *desired, d.rollback)
                .await
                .map(Output::Service)
        }
        Step::CreateService => {
            let arn = td_arn.ok_or_else(|| {
                AwsError::new(
                    "ecs:CreateService",
                    ErrorKind::Other,
                    "no task definition to deploy",
                )
            })?;
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
                Err(e)
                    if e.message.contains("already exists") || e.message.contains("idempotent") =>
                {
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
            Err(e) if e.is_retryable() && attempt < 6 => {
                tracing::debug!(attempt, error = %e, "RegisterTaskDefinition failed; checking whether it went through");
                if e.message.contains("timed out") {
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
