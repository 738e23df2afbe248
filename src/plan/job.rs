//! The plan's part for a Scheduled Job: the role EventBridge Scheduler
//! assumes (trusted by Scheduler, allowed to run exactly the job's family
//! and pass exactly its two roles), then the schedule, created or updated
//! in place once the task definition it runs is registered.

use serde_json::Value;

use super::diff::{Change, diff};
use super::{Desired, Groups, Step, TaskDefinitionChange};
use crate::model::job_schedule::{self, JobTarget};
use crate::model::schedule::Schedule;
use crate::names::sidecarctl::SCHEDULER_POLICY;
use crate::state::Current;

/// What a job's schedule and its role should be.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredJob {
    /// The schedule's name, in Scheduler's default group.
    pub schedule_name: String,
    pub schedule: Schedule,
    /// `retries`: Scheduler's `MaximumRetryAttempts` (0 when not set, not
    /// Scheduler's default of 185).
    pub retries: i64,
    /// `timeout`, in seconds: enforced by `sidecarctl run --wait` only
    /// (Scheduler has no task timeout; see the README).
    pub timeout_s: Option<u64>,
    pub role: String,
    pub role_arn: String,
    pub trust: String,
    pub policy: String,
    pub cluster_arn: String,
    pub network: crate::model::Network,
    /// The CloudWatch Events rule of Copilot's job stack, when that stack
    /// still runs the job: deploying now would run it twice.
    pub copilot_rule: Option<String>,
    /// The rule `adopt` took over, while it runs the job: the schedule takes
    /// over from it between two runs, then it is disabled.
    pub switch_from: Option<crate::state::job::AdoptedRule>,
}

impl DesiredJob {
    /// The schedule's request body for the task definition `td_arn`.
    pub fn body(&self, td_arn: &str) -> Value {
        job_schedule::body(
            &self.schedule,
            &JobTarget {
                cluster_arn: &self.cluster_arn,
                task_definition_arn: td_arn,
                role_arn: &self.role_arn,
                subnets: &self.network.subnets,
                security_groups: &self.network.security_groups,
                public_ip: self.network.public_ip,
                retries: self.retries,
            },
        )
    }

    /// `cron(0 9 * * ? *)`, or "on demand only".
    pub fn describe_schedule(&self) -> String {
        match &self.schedule {
            Schedule::Expression(e) => e.clone(),
            Schedule::OnDemand => "none: on demand only (disabled)".into(),
        }
    }
}

/// A change to a job's schedule or to the role that runs it.
#[derive(Clone, Debug, PartialEq)]
pub enum JobStep {
    CreateRole {
        name: String,
        trust: String,
    },
    UpdateTrust {
        name: String,
        trust: String,
    },
    PutPolicy {
        role: String,
        document: String,
    },
    /// CreateSchedule or UpdateSchedule; the task definition's ARN is
    /// filled in when the step runs (it may be registered by this deploy).
    PutSchedule {
        name: String,
        create: bool,
    },
    /// As `PutSchedule`, at a moment between two runs, the schedule read
    /// back, then the adopted rule disabled and read back.
    SwitchFromRule {
        name: String,
        create: bool,
        rule: String,
    },
}

impl JobStep {
    pub fn describe(&self, d: &Desired) -> String {
        let job = d.job.as_ref();
        match self {
            JobStep::CreateRole { name, .. } => {
                format!("create role {name} for EventBridge Scheduler")
            }
            JobStep::UpdateTrust { name, .. } => {
                format!("let EventBridge Scheduler assume role {name}")
            }
            JobStep::PutPolicy { role, .. } => {
                format!("write policy {SCHEDULER_POLICY} of role {role}")
            }
            JobStep::PutSchedule { name, create } => format!(
                "{} schedule {name} ({}, {} retries)",
                if *create { "create" } else { "update" },
                job.map(DesiredJob::describe_schedule).unwrap_or_default(),
                job.map_or(0, |j| j.retries)
            ),
            JobStep::SwitchFromRule { name, create, rule } => format!(
                "move the job from Copilot's rule {rule} to the schedule {name} ({}, {} retries) between two runs{}, then disable the rule",
                job.map(DesiredJob::describe_schedule).unwrap_or_default(),
                job.map_or(0, |j| j.retries),
                if *create { "" } else { " (updated)" }
            ),
        }
    }

    pub fn operation(&self) -> &'static str {
        match self {
            JobStep::CreateRole { .. } => "iam:CreateRole",
            JobStep::UpdateTrust { .. } => "iam:UpdateAssumeRolePolicy",
            JobStep::PutPolicy { .. } => "iam:PutRolePolicy",
            JobStep::PutSchedule { create: true, .. } => "scheduler:CreateSchedule",
            JobStep::PutSchedule { create: false, .. } => "scheduler:UpdateSchedule",
            JobStep::SwitchFromRule { .. } => "events:DisableRule",
        }
    }
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::String(s.to_string()))
}

/// The job's steps: the role in the first groups, the schedule last (once
/// the role may run the task definition). The policy's change, for the dry
/// run.
pub fn plan_job(
    job: &DesiredJob,
    cur: &Current,
    td: &TaskDefinitionChange,
    g: &mut Groups,
) -> Option<(String, Vec<Change>)> {
    let state = cur.job.clone().unwrap_or_default();
    let mut change = None;
    match &state.role {
        None => g.first.push(Step::Job(JobStep::CreateRole {
            name: job.role.clone(),
            trust: job.trust.clone(),
        })),
        Some(r) if json(&r.trust_policy) != json(&job.trust) => {
            g.first.push(Step::Job(JobStep::UpdateTrust {
                name: job.role.clone(),
                trust: job.trust.clone(),
            }))
        }
        Some(_) => {}
    }
    if state.policy.as_deref().map(json) != Some(json(&job.policy)) {
        change = Some((
            format!("{SCHEDULER_POLICY} of {}", job.role),
            diff(
                &state.policy.as_deref().map(json).unwrap_or(Value::Null),
                &json(&job.policy),
            ),
        ));
        let step = Step::Job(JobStep::PutPolicy {
            role: job.role.clone(),
            document: job.policy.clone(),
        });
        if state.role.is_some() {
            g.first.push(step)
        } else {
            g.second.push(step)
        }
    }
    let held = state.schedule.as_ref();
    if let Some(rule) = &job.switch_from {
        g.last.push(Step::Job(JobStep::SwitchFromRule {
            name: job.schedule_name.clone(),
            create: held.is_none(),
            rule: rule.name.clone(),
        }));
        return change;
    }
    let same = match (td, held) {
        (TaskDefinitionChange::Register { .. }, _) | (_, None) => false,
        (
            TaskDefinitionChange::Unchanged { arn } | TaskDefinitionChange::Reuse { arn },
            Some(h),
        ) => job_schedule::holds(&job.body(arn), h),
    };
    if !same {
        g.last.push(Step::Job(JobStep::PutSchedule {
            name: job.schedule_name.clone(),
            create: held.is_none(),
        }));
    }
    change
}

/// Why a job cannot be deployed as it stands (Copilot's stack runs it).
pub fn refusal(job: &DesiredJob, name: &str) -> Option<crate::diag::Diagnostic> {
    let rule = job.copilot_rule.as_ref()?;
    Some(
        crate::diag::Diagnostic::error(
            "job-run-by-copilot",
            format!(
                "Copilot's stack still runs the job {name} (its rule {rule}): a schedule beside it would run the job twice"
            ),
        )
        .help(format!(
            "take it over first: sidecarctl adopt {name} --env ENV (nothing was changed)"
        )),
    )
}
