//! The second half of a deploy: watch the rollout, and when it fails or runs
//! out of time, roll back (following ECS's circuit breaker when it started a
//! rollback, otherwise updating the service to the previous revision).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::progress::Progress;
use super::report::Rollout;
use super::watch::{Seen, Watch, WatchEnd, watch};
use crate::aws::{self, Aws, AwsError};
use crate::clock::humantime;
use crate::names::arn::short_task_definition as short_td;
use crate::state::ServiceState;
use crate::state::lb::LoadBalancer;

/// How the rollout ended.
#[derive(Debug)]
pub enum Ending {
    Completed(Rollout),
    /// Cancelled while watching; `rolling_back_to` when it was the rollback.
    Interrupted {
        rolling_back_to: Option<String>,
    },
    /// It failed or timed out, and the service went back to `to`.
    RolledBack {
        reason: String,
        to: String,
        rollout: Option<Rollout>,
        rollback: Rollout,
    },
    /// It failed or timed out and the service was not rolled back; `why` says
    /// why not, as the end of a sentence that begins with `reason`.
    NotRolledBack {
        reason: String,
        why: String,
        rollout: Option<Rollout>,
        rollback: Option<Rollout>,
    },
    /// Watching failed: the rollout's end is unknown.
    Unwatched(AwsError),
}

/// What to follow.
pub struct Follow<'a> {
    pub cluster: &'a str,
    pub service: &'a str,
    /// The task definition rolling out.
    pub target: &'a str,
    /// Its deployment, when known.
    pub deployment: Option<&'a str>,
    /// What the service ran before, to roll back to.
    pub previous: Option<&'a str>,
    /// The desired count to roll back with.
    pub previous_desired: i32,
    pub timeout: Duration,
    pub poll: Duration,
    /// Whether sidecarctl may roll back itself, or why not.
    pub roll_back: RollBack,
    /// The circuit breaker's setting, kept on a rollback's UpdateService.
    pub circuit_breaker_rollback: bool,
    /// The service's load balancer entries before the deploy, when it
    /// changed them for a target group it replaces: a rollback restores them.
    pub previous_load_balancers: Option<&'a [LoadBalancer]>,
    /// The healthy percentages and rollback alarms a rollback keeps.
    pub rollout_settings: Option<&'a crate::state::RolloutSettings>,
}

/// Whether sidecarctl may roll the service back itself when the rollout fails
/// (ECS's own circuit-breaker rollback is followed either way).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RollBack {
    Yes,
    /// Not, and why not (ends the sentence "not rolled back ...").
    No(String),
}

/// A rollout's state for the report.
pub fn rollout_of(s: &ServiceState, target: &str, reason: Option<String>) -> Rollout {
    pinned_rollout_of(s, target, None, reason)
}

/// As [`rollout_of`], of the deployment `pinned` when it is known.
fn pinned_rollout_of(
    s: &ServiceState,
    target: &str,
    pinned: Option<&str>,
    reason: Option<String>,
) -> Rollout {
    let d = s.deployment_pinned(target, pinned);
    Rollout {
        state: d.map_or_else(|| "GONE".into(), |d| d.rollout_state.as_str().to_string()),
        running: d.map_or(0, |d| d.running),
        desired: d.map_or(s.desired, |d| d.desired),
        reason,
    }
}

/// Watches the rollout to its end, rolling back when it fails.
pub async fn follow(
    aws: &Aws,
    f: &Follow<'_>,
    seen: &mut Seen,
    progress: &mut dyn Progress,
    cancel: &CancellationToken,
) -> Ending {
    let w = Watch {
        cluster: f.cluster,
        service: f.service,
        target: f.target,
        deployment: f.deployment,
        timeout: f.timeout,
        poll: f.poll,
    };
    // The rollback's deployment, once known.
    let mut back_pin: Option<String> = None;
    let (reason, rollout, circuit_breaker_to) = match watch(aws, &w, seen, progress, cancel).await {
        Ok(WatchEnd::Completed(s)) => {
            return Ending::Completed(pinned_rollout_of(&s, f.target, f.deployment, None));
        }
        Ok(WatchEnd::Interrupted) => {
            return Ending::Interrupted {
                rolling_back_to: None,
            };
        }
        Ok(WatchEnd::Failed { reason, state }) => {
            let r = pinned_rollout_of(&state, f.target, f.deployment, Some(reason.clone()));
            (reason, Some(r), None)
        }
        Ok(WatchEnd::RollingBack { reason, to, state }) => {
            let r = pinned_rollout_of(&state, f.target, f.deployment, Some(reason.clone()));
            back_pin = state.primary().map(|p| p.id.clone());
            (reason, Some(r), Some(to))
        }
        Ok(WatchEnd::TimedOut(state)) => {
            let reason = format!(
                "the rollout did not complete within {}",
                humantime(f.timeout)
            );
            let r =
                state.map(|s| pinned_rollout_of(&s, f.target, f.deployment, Some(reason.clone())));
            (reason, r, None)
        }
        Err(e) => return Ending::Unwatched(e),
    };
    progress.problem(&reason);
    if let (RollBack::No(why), None) = (&f.roll_back, &circuit_breaker_to) {
        return Ending::NotRolledBack {
            reason,
            why: why.clone(),
            rollout,
            rollback: None,
        };
    }
    let to = match (circuit_breaker_to, f.previous) {
        (Some(to), _) => {
            progress.note(&format!(
                "ECS's circuit breaker is rolling back to {}",
                short_td(&to)
            ));
            to
        }
        (None, Some(prev)) => {
            progress.note(&format!("rolling back to {}", short_td(prev)));
            match aws::ecs::update_service(
                &aws.ecs,
                f.cluster,
                f.service,
                aws::ecs::ServiceUpdate {
                    task_definition: prev,
                    desired: f.previous_desired,
                    rollback: f.circuit_breaker_rollback,
                    load_balancers: f.previous_load_balancers,
                    rollout_settings: f.rollout_settings,
                    ..Default::default()
                },
            )
            .await
            {
                Ok(s) => {
                    seen.extend(&s);
                    back_pin = s.primary().map(|p| p.id.clone());
                }
                Err(e) => {
                    return Ending::NotRolledBack {
                        reason,
                        why: format!("rolling back failed: {e}"),
                        rollout,
                        rollback: None,
                    };
                }
            }
            prev.to_string()
        }
        (None, None) => {
            return Ending::NotRolledBack {
                reason,
                why: "the service was created by this deploy, so there is nothing to roll back to"
                    .into(),
                rollout,
                rollback: None,
            };
        }
    };
    let back = Watch {
        target: &to,
        deployment: back_pin.as_deref().filter(|id| !id.is_empty()),
        ..w
    };
    match watch(aws, &back, seen, progress, cancel).await {
        Ok(WatchEnd::Completed(s)) => Ending::RolledBack {
            reason,
            rollback: pinned_rollout_of(&s, &to, back.deployment, None),
            to,
            rollout,
        },
        Ok(WatchEnd::Interrupted) => Ending::Interrupted {
            rolling_back_to: Some(to),
        },
        Ok(
            WatchEnd::Failed { reason: r2, state }
            | WatchEnd::RollingBack {
                reason: r2, state, ..
            },
        ) => Ending::NotRolledBack {
            why: format!("the rollback to {} failed too: {r2}", short_td(&to)),
            rollback: Some(pinned_rollout_of(&state, &to, back.deployment, Some(r2))),
            reason,
            rollout,
        },
        Ok(WatchEnd::TimedOut(state)) => Ending::NotRolledBack {
            why: format!("the rollback to {} did not complete in time", short_td(&to)),
            rollback: state
                .map(|s| pinned_rollout_of(&s, &to, back.deployment, Some("timed out".into()))),
            reason,
            rollout,
        },
        Err(e) => Ending::NotRolledBack {
            reason,
            why: format!("watching the rollback failed: {e}"),
            rollout,
            rollback: None,
        },
    }
}
