//! Judging a rollout from the service's state, pure: done, still going,
//! failed, or being rolled back by ECS's circuit breaker.

use crate::names::arn::short_task_definition as short_td;
use crate::state::{DeploymentStatus, RolloutState, ServiceState};

/// What a service's state says about the rollout of a task definition.
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
    judge_pinned(s, target, None)
}

/// As [`judge`], of the deployment `pinned` when the deploy knows it (the
/// only way to tell apart two deployments of one task definition: new load
/// balancer entries start one, and a circuit-breaker rollback of them
/// another).
pub fn judge_pinned(s: &ServiceState, target: &str, pinned: Option<&str>) -> Verdict {
    let Some(ours) = s.deployment_pinned(target, pinned) else {
        return Verdict::Failed(match s.primary() {
            Some(p) => format!(
                "the deployment was replaced: the service now deploys {}",
                short_td(&p.task_definition)
            ),
            None => "the deployment is gone".to_string(),
        });
    };
    let primary = ours.status == DeploymentStatus::Primary;
    let all_running = ours.running == ours.desired;
    match ours.rollout_state {
        RolloutState::Failed => {
            let reason = if ours.rollout_reason.is_empty() {
                format!("{} task(s) failed to start", ours.failed_tasks)
            } else {
                ours.rollout_reason.clone()
            };
            let elsewhere = |p: &&crate::state::Deployment| match pinned {
                Some(id) => p.id != id,
                None => p.task_definition != target,
            };
            match s.primary().filter(elsewhere) {
                Some(p) => Verdict::RollingBack {
                    reason,
                    to: p.task_definition.clone(),
                },
                None => Verdict::Failed(reason),
            }
        }
        RolloutState::Completed if primary && all_running => Verdict::Completed,
        // Services without rollout states: one deployment, all running.
        RolloutState::Unknown if primary && s.deployments.len() == 1 && all_running => {
            Verdict::Completed
        }
        _ => Verdict::InProgress,
    }
}

/// What a rollback returns to: the service's task definition, or, while a
/// deployment of it is still in progress, the last one that completed.
pub fn roll_back_to(s: &ServiceState) -> Option<&str> {
    match s.primary() {
        Some(p) if p.rollout_state == RolloutState::InProgress => s
            .deployments
            .iter()
            .find(|d| {
                d.status != DeploymentStatus::Primary && d.rollout_state == RolloutState::Completed
            })
            .map(|d| d.task_definition.as_str()),
        _ => Some(s.task_definition.as_str()).filter(|t| !t.is_empty()),
    }
}

/// The service's deployment of its own task definition, while it rolls out.
pub fn unfinished(s: &ServiceState) -> Option<&crate::state::Deployment> {
    s.primary().filter(|p| {
        p.rollout_state == RolloutState::InProgress && p.task_definition == s.task_definition
    })
}

/// One line on the rollout's progress (of the deployment `pinned` when
/// it is known).
pub fn progress_line(s: &ServiceState, target: &str, pinned: Option<&str>) -> String {
    match s.deployment_pinned(target, pinned) {
        Some(d) => format!(
            "{} {} · running {}/{} · pending {}{}",
            short_td(target),
            if d.rollout_state == RolloutState::Unknown {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Deployment;

    fn dep(
        td: &str,
        status: DeploymentStatus,
        rollout: RolloutState,
        running: i32,
        desired: i32,
    ) -> Deployment {
        Deployment {
            id: format!("ecs-svc/{td}"),
            status,
            task_definition: td.into(),
            desired,
            running,
            rollout_state: rollout,
            ..Default::default()
        }
    }

    fn state(deps: Vec<Deployment>) -> ServiceState {
        ServiceState {
            deployments: deps,
            ..Default::default()
        }
    }

    use DeploymentStatus::{Active, Primary};
    use RolloutState::{Completed, Failed, InProgress, Unknown};

    #[test]
    fn completed_needs_every_task_running() {
        assert_eq!(
            judge(&state(vec![dep("t:2", Primary, Completed, 2, 2)]), "t:2"),
            Verdict::Completed
        );
        assert_eq!(
            judge(&state(vec![dep("t:2", Primary, Completed, 1, 2)]), "t:2"),
            Verdict::InProgress
        );
        assert_eq!(
            judge(
                &state(vec![
                    dep("t:2", Primary, InProgress, 1, 2),
                    dep("t:1", Active, Completed, 2, 2)
                ]),
                "t:2"
            ),
            Verdict::InProgress
        );
        assert_eq!(
            judge(&state(vec![dep("t:2", Primary, Unknown, 2, 2)]), "t:2"),
            Verdict::Completed,
            "without rollout states, one deployment with every task running is done"
        );
    }

    #[test]
    fn failures_and_circuit_breaker_rollbacks() {
        let mut failed = dep("t:2", Active, Failed, 0, 2);
        failed.rollout_reason = "ECS deployment circuit breaker: tasks failed to start.".into();
        assert_eq!(
            judge(
                &state(vec![dep("t:1", Primary, InProgress, 1, 2), failed.clone()]),
                "t:2"
            ),
            Verdict::RollingBack {
                reason: failed.rollout_reason.clone(),
                to: "t:1".into()
            }
        );
        failed.status = Primary;
        assert_eq!(
            judge(&state(vec![failed.clone()]), "t:2"),
            Verdict::Failed(failed.rollout_reason)
        );
    }

    #[test]
    fn a_pinned_deployment_is_told_apart_from_another_of_its_task_definition() {
        let mut ours = dep("t:2", Active, Failed, 0, 2);
        ours.id = "ecs-svc/2".into();
        let mut rollback = dep("t:2", Primary, Completed, 2, 2);
        rollback.id = "ecs-svc/3".into();
        let s = state(vec![rollback, ours]);
        assert_eq!(
            judge(&s, "t:2"),
            Verdict::Completed,
            "by its task definition, the rollback looks like the rollout"
        );
        assert!(matches!(
            judge_pinned(&s, "t:2", Some("ecs-svc/2")),
            Verdict::RollingBack { to, .. } if to == "t:2"
        ));
        assert!(matches!(
            judge_pinned(&s, "t:2", Some("ecs-svc/9")),
            Verdict::Failed(_)
        ));
    }

    #[test]
    fn a_replaced_deployment_is_a_failure() {
        assert!(matches!(
            judge(&state(vec![dep("t:3", Primary, InProgress, 0, 1)]), "t:2"),
            Verdict::Failed(_)
        ));
    }

    #[test]
    fn a_rollback_returns_to_the_last_completed_deployment() {
        let mut s = state(vec![
            dep("t:3", Primary, InProgress, 0, 2),
            dep("t:2", Active, Completed, 2, 2),
        ]);
        s.task_definition = "t:3".into();
        assert_eq!(
            roll_back_to(&s),
            Some("t:2"),
            "not to the revision still rolling out"
        );
        assert!(unfinished(&s).is_some());
        let mut done = state(vec![dep("t:3", Primary, Completed, 2, 2)]);
        done.task_definition = "t:3".into();
        assert_eq!(roll_back_to(&done), Some("t:3"));
        assert!(unfinished(&done).is_none());
    }

    #[test]
    fn progress_lines() {
        let td = "arn:aws:ecs:r:1:task-definition/demo-test-api:2";
        let s = state(vec![dep(td, Primary, InProgress, 1, 2)]);
        assert_eq!(
            progress_line(&s, td, None),
            "demo-test-api:2 IN_PROGRESS · running 1/2 · pending 0"
        );
    }
}
