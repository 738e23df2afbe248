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
    /// The rule `adopt` recorded, when it is still there.
    pub adopted_rule: Option<AdoptedRule>,
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

/// Where and how a job's schedule runs its task, from the schedule as
/// Scheduler holds it (for `run` of a job).
pub fn launch(schedule: &serde_json::Value) -> Option<super::task::Launch> {
    let target = &schedule["Target"];
    let ecs = &target["EcsParameters"];
    let vpc = &ecs["NetworkConfiguration"]["awsvpcConfiguration"];
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    Some(super::task::Launch {
        cluster: target["Arn"].as_str()?.to_string(),
        task_definition: ecs["TaskDefinitionArn"].as_str()?.to_string(),
        subnets: strings(&vpc["Subnets"]),
        security_groups: strings(&vpc["SecurityGroups"]),
        public_ip: vpc["AssignPublicIp"] == "ENABLED",
        capacity: Vec::new(),
    })
}

/// The rule of a job Copilot deployed and `adopt` took over: it runs the
/// job on (through Copilot's state machine) until a deploy switches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdoptedRule {
    pub name: String,
    pub expression: Option<String>,
    pub enabled: bool,
}
