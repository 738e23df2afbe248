//! Watching a rollout: polls the service, shows the primary deployment's
//! progress and the service's new events, until the rollout of a task
//! definition ends, time runs out, or the deploy is cancelled.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::progress::Progress;
use crate::aws::ecs::describe_service;
use crate::aws::{Aws, AwsError};
use crate::plan::rollout::{Verdict, judge_pinned, progress_line};
use crate::state::ServiceState;

#[derive(Clone, Debug, PartialEq)]
pub enum WatchEnd {
    Completed(ServiceState),
    Failed {
        reason: String,
        state: ServiceState,
    },
    RollingBack {
        reason: String,
        to: String,
        state: ServiceState,
    },
    TimedOut(Option<ServiceState>),
    Interrupted,
}

/// The service events already shown, so that each is shown once.
#[derive(Default)]
pub struct Seen(HashSet<String>);

impl Seen {
    pub fn extend(&mut self, s: &ServiceState) {
        self.0.extend(s.events.iter().map(|e| e.id.clone()));
    }
}

/// What to watch, and for how long.
pub struct Watch<'a> {
    pub cluster: &'a str,
    pub service: &'a str,
    /// The task definition whose rollout is watched.
    pub target: &'a str,
    /// Its deployment, when known (see [`judge_pinned`]).
    pub deployment: Option<&'a str>,
    pub timeout: Duration,
    pub poll: Duration,
}

/// Polls the service until the rollout of `w.target` ends.
pub async fn watch(
    aws: &Aws,
    w: &Watch<'_>,
    seen: &mut Seen,
    progress: &mut dyn Progress,
    cancel: &CancellationToken,
) -> Result<WatchEnd, AwsError> {
    let deadline = Instant::now() + w.timeout;
    let mut last = None;
    loop {
        let state = tokio::select! {
            s = describe_service(&aws.ecs, w.cluster, w.service) => s?,
            () = cancel.cancelled() => return Ok(WatchEnd::Interrupted),
        };
        if let Some(state) = state {
            for e in state.events.iter().rev() {
                if seen.0.insert(e.id.clone()) {
                    progress.event(&e.message);
                }
            }
            progress.status(&progress_line(&state, w.target, w.deployment));
            match judge_pinned(&state, w.target, w.deployment) {
                Verdict::Completed => return Ok(WatchEnd::Completed(state)),
                Verdict::Failed(reason) => return Ok(WatchEnd::Failed { reason, state }),
                Verdict::RollingBack { reason, to } => {
                    return Ok(WatchEnd::RollingBack { reason, to, state });
                }
                Verdict::InProgress => {}
            }
            last = Some(state);
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(WatchEnd::TimedOut(last));
        }
        tokio::select! {
            () = tokio::time::sleep(w.poll.min(deadline - now)) => {}
            () = cancel.cancelled() => return Ok(WatchEnd::Interrupted),
        }
    }
}
