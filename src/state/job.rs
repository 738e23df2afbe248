//! A Scheduled Job as it is: its schedule in EventBridge Scheduler and the
//! role Scheduler runs it with; and what of Copilot still runs it.

use super::Role;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobState {
    /// GetSchedule's answer, as Scheduler holds it.
    pub schedule: Option<serde_json::Value>,
    pub role: Option<Role>,
    /// The role's inline policy (sidecarctl's), decoded.
    pub policy: Option<String>,
    /// The CloudWatch Events rule of Copilot's job stack, while that stack
    /// stands: Copilot still runs the job.
    pub copilot_rule: Option<String>,
}

impl JobState {
    /// The task definition the schedule runs.
    pub fn task_definition(&self) -> Option<&str> {
        self.schedule.as_ref()?["Target"]["EcsParameters"]["TaskDefinitionArn"]
            .as_str()
            .filter(|a| !a.is_empty())
    }
}

impl super::Current {
    /// The revision that runs: the service's, or the one a job's schedule runs.
    pub fn running_task_definition(&self) -> Option<&str> {
        match &self.service {
            Some(s) => Some(s.task_definition.as_str()).filter(|a| !a.is_empty()),
            None => self.job.as_ref().and_then(JobState::task_definition),
        }
    }
}
