//! The executors of a Scheduled Job's steps: its scheduler role, its
//! schedule pointed at the task definition the deploy ends with, and the
//! switch from the rule of a job Copilot deployed.

use std::time::{Duration, Instant};

use super::Output;
use crate::aws::{self, Aws, AwsError, ErrorKind};
use crate::model::job_schedule::{holds, switch_moment};
use crate::model::schedule::Schedule;
use crate::names::sidecarctl::SCHEDULER_POLICY;
use crate::plan::Desired;
use crate::plan::job::{DesiredJob, JobStep};

/// How long a new role may take to be usable by Scheduler (IAM is
/// eventually consistent: AWS answers "must allow ... to assume the role"
/// meanwhile).
const ROLE_PROPAGATION: Duration = Duration::from_secs(45);

pub(super) async fn job_step(
    aws: &Aws,
    d: &Desired,
    step: &JobStep,
    td_arn: Option<&str>,
) -> Result<Output, AwsError> {
    match step {
        JobStep::CreateRole { name, trust } => {
            match aws::iam::create_role(&aws.iam, name, trust, &d.tags).await {
                // A retried create whose first attempt went through.
                Ok(_) => Ok(Output::None),
                Err(e) if e.is(ErrorKind::AlreadyExists) => Ok(Output::None),
                Err(e) => Err(e),
            }
        }
        JobStep::UpdateTrust { name, trust } => {
            aws::iam::update_trust_policy(&aws.iam, name, trust).await?;
            Ok(Output::None)
        }
        JobStep::PutPolicy { role, document } => {
            aws::iam::put_role_policy(&aws.iam, role, SCHEDULER_POLICY, document).await?;
            Ok(Output::None)
        }
        JobStep::PutSchedule { name, create } => {
            let (job, td) = scheduled(d, td_arn)?;
            put_schedule(aws, name, &job.body(td), *create).await?;
            Ok(Output::None)
        }
        JobStep::SwitchFromRule { name, create, rule } => {
            let (job, td) = scheduled(d, td_arn)?;
            switch(aws, job, name, &job.body(td), *create, rule).await?;
            Ok(Output::None)
        }
    }
}

/// The job a schedule step is for, and the task definition it runs.
fn scheduled<'a>(
    d: &'a Desired,
    td_arn: Option<&'a str>,
) -> Result<(&'a DesiredJob, &'a str), AwsError> {
    const OP: &str = "scheduler:CreateSchedule";
    let job = d
        .job
        .as_ref()
        .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "not a job"))?;
    let td = td_arn
        .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "no task definition to schedule"))?;
    Ok((job, td))
}

/// Moves a job from Copilot's rule to its schedule between two runs: the
/// schedule put and read back, then the rule disabled and read back. When
/// the rule cannot be disabled, the schedule is disabled again, so that
/// the job never runs twice (the rule runs it on; the deploy fails).
async fn switch(
    aws: &Aws,
    job: &DesiredJob,
    name: &str,
    body: &serde_json::Value,
    create: bool,
    rule: &str,
) -> Result<(), AwsError> {
    const OP: &str = "events:DisableRule";
    let old = job
        .switch_from
        .as_ref()
        .and_then(|r| r.expression.as_deref());
    let new = match &job.schedule {
        Schedule::Expression(e) => Some(e.as_str()),
        Schedule::OnDemand => None,
    };
    let now = crate::clock::now_ms();
    let moment = switch_moment(now, old, new);
    if !moment.exact {
        tracing::warn!(
            "the runs of the rule {rule} ({}) cannot be worked out: one run may come early or late at the switch",
            old.unwrap_or("no expression")
        );
    }
    if moment.at_ms > now {
        tokio::time::sleep(Duration::from_millis((moment.at_ms - now) as u64)).await;
    }
    put_schedule(aws, name, body, create).await?;
    let held = aws.scheduler.get(name).await?;
    if !held.as_ref().is_some_and(|h| holds(body, h)) {
        return Err(AwsError::new(
            "scheduler:GetSchedule",
            ErrorKind::Other,
            format!(
                "the schedule {name} does not read back as written: the rule {rule} was left to run the job"
            ),
        ));
    }
    let disabled = match aws.events.disable(rule).await {
        Ok(()) => aws
            .events
            .rule(rule)
            .await
            .map(|r| r.is_none_or(|r| !r.enabled())),
        Err(e) => Err(e),
    };
    match disabled {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => {
            let mut off = body.clone();
            off["State"] = serde_json::json!("DISABLED");
            let undone = aws.scheduler.put(name, &off, false).await;
            let why = match &disabled {
                Err(e) => e.to_string(),
                _ => format!("the rule {rule} still reads ENABLED"),
            };
            Err(AwsError::new(
                OP,
                ErrorKind::Other,
                match undone {
                    Ok(_) => format!(
                        "{why}: the schedule {name} was disabled again, and the rule runs the job on"
                    ),
                    Err(e) => format!(
                        "{why}; disabling the schedule {name} again failed too ({e}): the job may run twice until one of them is disabled"
                    ),
                },
            ))
        }
    }
}

/// Creates or updates the schedule; a create that finds it there updates
/// it, an update that finds it gone creates it, and a role IAM has not
/// propagated yet is waited for.
async fn put_schedule(
    aws: &Aws,
    name: &str,
    body: &serde_json::Value,
    create: bool,
) -> Result<(), AwsError> {
    let started = Instant::now();
    let (mut create, mut flips) = (create, 0);
    loop {
        match aws.scheduler.put(name, body, create).await {
            Ok(_) => return Ok(()),
            Err(e) if create && e.is(ErrorKind::AlreadyExists) && flips < 2 => {
                (create, flips) = (false, flips + 1)
            }
            Err(e) if !create && e.is(ErrorKind::NotFound) && flips < 2 => {
                (create, flips) = (true, flips + 1)
            }
            Err(e)
                if e.is(ErrorKind::Invalid)
                    && e.message.contains("role")
                    && started.elapsed() < ROLE_PROPAGATION =>
            {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => return Err(e),
        }
    }
}
