//! Waiting for CloudFormation: a stack's operation, a change set's
//! computation; a signal or the timeout stops the wait with a report.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::in_progress;
use super::run::{Options, Report, Stop, aws_failed, interrupted, stop};
use crate::aws::{Aws, cfn};
use crate::exit::Exit;

/// Waits until CloudFormation is done with the stack; its final status
/// (empty when it is gone).
pub(super) async fn wait_stack(
    aws: &Aws,
    id: &str,
    opts: &Options,
    cancel: &CancellationToken,
    r: &Report,
) -> Result<String, Stop> {
    let deadline = Instant::now() + opts.timeout;
    loop {
        let status = cfn::stack(&aws.cfn, id)
            .await
            .map_err(|e| aws_failed(r, e))?
            .map(|s| s.status)
            .unwrap_or_default();
        if !in_progress(&status) {
            return Ok(status);
        }
        let state = format!(
            "CloudFormation is still {status} on {id}; nothing was deleted unless the deletion had started"
        );
        interrupted(cancel, r, &state)?;
        if Instant::now() >= deadline {
            let msg = format!("{state} after {:?}", opts.timeout);
            return Err(stop(r.clone().end("failed", Exit::Failure, Some(msg))));
        }
        tokio::select! {
            () = tokio::time::sleep(opts.poll) => {}
            () = cancel.cancelled() => {}
        }
    }
}

/// Waits until CloudFormation has worked out the change set.
pub(super) async fn wait_change_set(
    aws: &Aws,
    id: &str,
    opts: &Options,
    cancel: &CancellationToken,
    r: &Report,
) -> Result<crate::state::stack::ChangeSet, Stop> {
    let deadline = Instant::now() + opts.timeout;
    loop {
        let set = cfn::change_set(&aws.cfn, id)
            .await
            .map_err(|e| aws_failed(r, e))?;
        if !matches!(set.status.as_str(), "CREATE_PENDING" | "CREATE_IN_PROGRESS") {
            return Ok(set);
        }
        if cancel.is_cancelled() || Instant::now() >= deadline {
            let _ = cfn::delete_change_set(&aws.cfn, id).await;
            interrupted(cancel, r, "the change set was deleted; nothing was changed")?;
            let msg = format!(
                "the change set {id} was still {} after {:?}",
                set.status, opts.timeout
            );
            return Err(stop(r.clone().end("failed", Exit::Failure, Some(msg))));
        }
        tokio::time::sleep(opts.poll.min(Duration::from_secs(2))).await;
    }
}
