//! A one-off task (`sidecarctl run`): how it was started, what it became,
//! and what its end means.

use super::CapacityProvider;

/// How a workload's tasks are launched: its service's network and capacity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Launch {
    pub cluster: String,
    pub task_definition: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub public_ip: bool,
    /// Empty: the Fargate launch type.
    pub capacity: Vec<CapacityProvider>,
}

/// A container of a task, as ECS describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskContainer {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A task, as ECS describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskState {
    pub arn: String,
    /// `PROVISIONING`, `PENDING`, `RUNNING`, ..., `STOPPED`.
    pub last_status: String,
    /// `TaskFailedToStart`, `EssentialContainerExited`, `UserInitiated`, ...
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    /// Who started it: `sidecarctl-run`, EventBridge Scheduler's `chronos-…`.
    pub started_by: Option<String>,
    pub created_at_ms: Option<i64>,
    pub started_at_ms: Option<i64>,
    pub stopped_at_ms: Option<i64>,
    pub containers: Vec<TaskContainer>,
}

/// How a task ended, for the exit code of `run --wait`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskEnd {
    /// The main container exited with this code.
    Exited(i32),
    /// It stopped without the main container's exit code (it never
    /// started: an image that cannot be pulled, a secret that cannot be
    /// read, no capacity), with ECS's reason.
    NoExitCode(String),
}

impl TaskState {
    pub fn stopped(&self) -> bool {
        self.last_status == "STOPPED"
    }

    /// What the end of a stopped task means for `main` (the workload's
    /// main container).
    pub fn end(&self, main: &str) -> TaskEnd {
        let exit = self
            .containers
            .iter()
            .find(|c| c.name == main)
            .and_then(|c| c.exit_code);
        match exit {
            Some(code) => TaskEnd::Exited(code),
            None => {
                let container = self
                    .containers
                    .iter()
                    .find_map(|c| c.reason.clone().map(|r| format!("{}: {r}", c.name)));
                let reason = [
                    self.stop_code.clone(),
                    self.stopped_reason.clone(),
                    container,
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ");
                TaskEnd::NoExitCode(if reason.is_empty() {
                    "ECS gave no reason".into()
                } else {
                    reason
                })
            }
        }
    }

    /// The task's id: the last part of its ARN.
    pub fn id(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(containers: Vec<TaskContainer>) -> TaskState {
        TaskState {
            arn: "arn:aws:ecs:us-east-1:1:task/cluster/abc123".into(),
            last_status: "STOPPED".into(),
            stop_code: Some("TaskFailedToStart".into()),
            stopped_reason: Some("CannotPullContainerError: pull access denied".into()),
            containers,
            ..TaskState::default()
        }
    }

    #[test]
    fn the_main_containers_exit_code_is_the_end() {
        let t = task(vec![
            TaskContainer {
                name: "api".into(),
                exit_code: Some(3),
                reason: None,
            },
            TaskContainer {
                name: "nginx".into(),
                exit_code: Some(0),
                reason: None,
            },
        ]);
        assert_eq!(t.end("api"), TaskEnd::Exited(3));
        assert_eq!(t.id(), "abc123");
    }

    #[test]
    fn a_task_that_never_started_says_why() {
        let t = task(vec![TaskContainer {
            name: "api".into(),
            exit_code: None,
            reason: None,
        }]);
        assert_eq!(
            t.end("api"),
            TaskEnd::NoExitCode(
                "TaskFailedToStart; CannotPullContainerError: pull access denied".into()
            )
        );
    }
}
