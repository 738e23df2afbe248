//! What `adopt` checks once the stack is gone: the service ACTIVE on the
//! same task definition, or a job's rule still there to run it.

use super::run::{Report, Stop, aws_failed, stop};
use crate::aws::Aws;
use crate::exit::Exit;
use crate::state::ServiceState;

pub(super) async fn check_service(
    aws: &Aws,
    before: &ServiceState,
    r: &Report,
) -> Result<(), Stop> {
    let cluster = crate::names::arn::service_cluster(&before.arn).unwrap_or_default();
    let after = crate::aws::ecs::describe_service(&aws.ecs, &cluster, &before.arn)
        .await
        .map_err(|e| aws_failed(r, e))?;
    let msg = match after {
        Some(s) if s.status == "ACTIVE" && s.task_definition == before.task_definition => {
            return Ok(());
        }
        Some(s) => format!(
            "{} is {} on {} after the stack was deleted (it was ACTIVE on {})",
            s.name,
            s.status,
            short(&s.task_definition),
            short(&before.task_definition)
        ),
        None => format!("{} is gone after the stack was deleted", before.name),
    };
    Err(stop(r.clone().end("failed", Exit::Failure, Some(msg))))
}

/// The job's rule is there after the stack is gone (retained, it runs the
/// job on until a deploy switches it).
pub(super) async fn check_rule(aws: &Aws, rule: &str, r: &Report) -> Result<(), Stop> {
    match aws.events.rule(rule).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(stop(r.clone().end(
            "failed",
            Exit::Failure,
            Some(format!(
                "the rule {rule} is gone after the stack was deleted: the job does not run until it is deployed"
            )),
        ))),
        Err(e) => Err(aws_failed(r, e)),
    }
}

pub(super) fn short(td: &str) -> &str {
    crate::names::arn::short_task_definition(td)
}
