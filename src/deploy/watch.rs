//! Watching a rollout: the primary deployment's state and counts, and the
//! service's new events, until it completes, fails or runs out of time.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::aws::ecs::{ServiceState, describe_service};
use crate::aws::{Aws, AwsError};

/// What a service's state says about the rollout of `target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    InProgress,
    Completed,
    /// The deployment failed; ECS is not rolling it back.
    Failed(String),
    /// The deployment failed and ECS's circuit breaker is rolling back to `to`.
    RollingBack {
        reason: String,
        to: String,
    },
}

/// Judges the rollout of `target` (a task definition ARN): done when its
/// deployment is the primary one, COMPLETED, with running = desired.
pub fn judge(s: &ServiceState, target: &str) -> Verdict {
    let Some(ours) = s.deployments.iter().find(|d| d.task_definition == target) else {
        let primary = s.deployments.iter().find(|d| d.status == "PRIMARY");
        return Verdict::Failed(match primary {
            Some(p) => format!(
                "the deployment was replaced: the service now deploys {}",
                short_td(&p.task_definition)
            ),
            None => "the deployment is gone".to_string(),
        });
    };
    match ours.rollout_state.as_str() {
        "FAILED" => {
            let reason = if ours.rollout_reason.is_empty() {
                format!("{} task(s) failed to start", ours.failed_tasks)
            } else {
                ours.rollout_reason.clone()
            };
            match s
                .deployments
                .iter()
                .find(|d| d.status == "PRIMARY" && d.task_definition != target)
            {
                Some(p) => Verdict::RollingBack {
                    reason,
                    to: p.task_definition.clone(),
                },
                None => Verdict::Failed(reason),
            }
        }
        "COMPLETED" if ours.status == "PRIMARY" && ours.running == ours.desired => {
            Verdict::Completed
        }
        // Services without rollout states: one deployment, all running.
        "" if ours.status == "PRIMARY"
            && s.deployments.len() == 1
            && ours.running == ours.desired =>
        {
            Verdict::Completed
        }
        _ => Verdict::InProgress,
    }
}

/// `family:revision` from a task definition ARN.
pub fn short_td(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// One line on the rollout's progress.
pub fn progress_line(s: &ServiceState, target: &str) -> String {
    match s.deployments.iter().find(|d| d.task_definition == target) {
        Some(d) => format!(
            "{} {} · running {}/{} · pending {}{}",
            short_td(target),
            if d.rollout_state.is_empty() {
                d.status.as_str()
            } else {
                d.rollout_state.as_str()
            },
            d.running,
            d.desired,
            d.pending,
            if d.failed_tasks > 0 {
                format!(" · failed {}", d.failed_tasks)
            } else {
                String::new()
            }
        ),
        None => format!("{} not deployed", short_td(target)),
    }
}

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

/// Polls the service until the rollout of `target` ends. `seen` holds the ids
/// of events already shown; new ones go to `on_event`, oldest first.
#[allow(clippy::too_many_arguments)]
pub async fn watch(
    aws: &Aws,
    cluster: &str,
    service: &str,
    target: &str,
    timeout: Duration,
    poll: Duration,
    seen: &mut HashSet<String>,
    on_progress: &mut dyn FnMut(&str),
    on_event: &mut dyn FnMut(&str),
    stop: &AtomicBool,
) -> Result<WatchEnd, AwsError> {
    let deadline = Instant::now() + timeout;
    let mut last = None;
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(WatchEnd::Interrupted);
        }
        if let Some(state) = describe_service(&aws.ecs, cluster, service).await? {
            for e in state.events.iter().rev() {
                if seen.insert(e.id.clone()) {
                    on_event(&e.message);
                }
            }
            on_progress(&progress_line(&state, target));
            match judge(&state, target) {
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
        let nap = poll.min(deadline - now);
        let mut slept = Duration::ZERO;
        // Sleep in slices so that Ctrl-C is noticed promptly.
        while slept < nap && !stop.load(Ordering::SeqCst) {
            let slice = (nap - slept).min(Duration::from_millis(50));
            tokio::time::sleep(slice).await;
            slept += slice;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ecs::Deployment;

    fn dep(td: &str, status: &str, rollout: &str, running: i32, desired: i32) -> Deployment {
        Deployment {
            id: format!("ecs-svc/{td}"),
            status: status.into(),
            task_definition: td.into(),
            desired,
            running,
            rollout_state: rollout.into(),
            ..Default::default()
        }
    }

    fn state(deps: Vec<Deployment>) -> ServiceState {
        ServiceState {
            deployments: deps,
            ..Default::default()
        }
    }

    #[test]
    fn completed_needs_every_task_running() {
        assert_eq!(
            judge(
                &state(vec![dep("t:2", "PRIMARY", "COMPLETED", 2, 2)]),
                "t:2"
            ),
            Verdict::Completed
        );
        assert_eq!(
            judge(
                &state(vec![dep("t:2", "PRIMARY", "COMPLETED", 1, 2)]),
                "t:2"
            ),
            Verdict::InProgress
        );
        assert_eq!(
            judge(
                &state(vec![
                    dep("t:2", "PRIMARY", "IN_PROGRESS", 1, 2),
                    dep("t:1", "ACTIVE", "COMPLETED", 2, 2)
                ]),
                "t:2"
            ),
            Verdict::InProgress
        );
    }

    #[test]
    fn failures_and_circuit_breaker_rollbacks() {
        let mut failed = dep("t:2", "ACTIVE", "FAILED", 0, 2);
        failed.rollout_reason = "ECS deployment circuit breaker: tasks failed to start.".into();
        assert_eq!(
            judge(
                &state(vec![
                    dep("t:1", "PRIMARY", "IN_PROGRESS", 1, 2),
                    failed.clone()
                ]),
                "t:2"
            ),
            Verdict::RollingBack {
                reason: failed.rollout_reason.clone(),
                to: "t:1".into()
            }
        );
        failed.status = "PRIMARY".into();
        assert_eq!(
            judge(&state(vec![failed.clone()]), "t:2"),
            Verdict::Failed(failed.rollout_reason)
        );
    }

    #[test]
    fn a_replaced_deployment_is_a_failure() {
        assert!(matches!(
            judge(
                &state(vec![dep("t:3", "PRIMARY", "IN_PROGRESS", 0, 1)]),
                "t:2"
            ),
            Verdict::Failed(_)
        ));
    }

    #[test]
    fn progress_lines() {
        let s = state(vec![dep(
            "arn:aws:ecs:r:1:task-definition/demo-test-api:2",
            "PRIMARY",
            "IN_PROGRESS",
            1,
            2,
        )]);
        assert_eq!(
            progress_line(&s, "arn:aws:ecs:r:1:task-definition/demo-test-api:2"),
            "demo-test-api:2 IN_PROGRESS · running 1/2 · pending 0"
        );
    }
}
