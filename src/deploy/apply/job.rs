//! The executors of a Scheduled Job's steps: its scheduler role, and its
//! schedule pointed at the task definition the deploy ends with.

use std::time::{Duration, Instant};

use super::Output;
use crate::aws::{self, Aws, AwsError, ErrorKind};
use crate::names::sidecarctl::SCHEDULER_POLICY;
use crate::plan::Desired;
use crate::plan::job::JobStep;

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
            let job = d.job.as_ref().ok_or_else(|| {
                AwsError::new("scheduler:CreateSchedule", ErrorKind::Other, "not a job")
            })?;
            let td = td_arn.ok_or_else(|| {
                AwsError::new(
                    "scheduler:CreateSchedule",
                    ErrorKind::Other,
                    "no task definition to schedule",
                )
            })?;
            put_schedule(aws, name, &job.body(td), *create).await?;
            Ok(Output::None)
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
