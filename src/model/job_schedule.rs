//! What EventBridge Scheduler is asked for a Scheduled Job: the schedule's
//! request body, whether what Scheduler holds is it, the role Scheduler
//! assumes, and when a job Copilot's rule ran moves to its schedule.

use serde_json::{Value, json};

use super::schedule::Schedule;

/// Where and how the job's task runs.
pub struct JobTarget<'a> {
    pub cluster_arn: &'a str,
    pub task_definition_arn: &'a str,
    /// The role Scheduler assumes to run the task.
    pub role_arn: &'a str,
    pub subnets: &'a [String],
    pub security_groups: &'a [String],
    pub public_ip: bool,
    pub retries: i64,
}

/// The schedule's body; `none` is a disabled schedule (the job runs only on
/// demand), kept so that a later schedule updates it in place.
pub fn body(schedule: &Schedule, t: &JobTarget) -> Value {
    let (expression, state) = match schedule {
        Schedule::Expression(e) => (e.as_str(), "ENABLED"),
        Schedule::OnDemand => ("rate(1 day)", "DISABLED"),
    };
    json!({
        "ScheduleExpression": expression,
        "State": state,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {
            "Arn": t.cluster_arn,
            "RoleArn": t.role_arn,
            "RetryPolicy": {"MaximumRetryAttempts": t.retries, "MaximumEventAgeInSeconds": 86400},
            "EcsParameters": {
                "TaskDefinitionArn": t.task_definition_arn,
                "TaskCount": 1,
                "LaunchType": "FARGATE",
                "PlatformVersion": "LATEST",
                "EnableECSManagedTags": true,
                "PropagateTags": "TASK_DEFINITION",
                "NetworkConfiguration": {"awsvpcConfiguration": {
                    "Subnets": t.subnets,
                    "SecurityGroups": t.security_groups,
                    "AssignPublicIp": if t.public_ip { "ENABLED" } else { "DISABLED" },
                }},
            },
        },
    })
}

/// The role Scheduler assumes: trusted by `scheduler.amazonaws.com` for
/// this account's schedules only.
pub fn scheduler_trust(account: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        }],
    })
}

/// Its policy, exact ARNs: run revisions of exactly the job's family in
/// exactly its cluster, pass exactly its two roles to ECS tasks, tag the
/// tasks it starts (managed tags).
pub fn scheduler_policy(
    partition: &str,
    region: &str,
    account: &str,
    family: &str,
    cluster_arn: &str,
    roles: [&str; 2],
) -> Value {
    let cluster = cluster_arn.rsplit('/').next().unwrap_or(cluster_arn);
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RunTheJob",
                "Effect": "Allow",
                "Action": "ecs:RunTask",
                "Resource": format!("arn:{partition}:ecs:{region}:{account}:task-definition/{family}:*"),
                "Condition": {"ArnEquals": {"ecs:cluster": cluster_arn}},
            },
            {
                "Sid": "PassItsRoles",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": roles,
                "Condition": {"StringLike": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            },
            {
                "Sid": "TagItsTasks",
                "Effect": "Allow",
                "Action": "ecs:TagResource",
                "Resource": format!("arn:{partition}:ecs:{region}:{account}:task/{cluster}/*"),
                "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
            },
        ],
    })
}

/// Whether `held` (GetSchedule's answer) is `wanted`: every member wanted
/// is there with the same value (Scheduler adds its own: ARN, dates).
pub fn holds(wanted: &Value, held: &Value) -> bool {
    match (wanted, held) {
        (Value::Object(w), Value::Object(h)) => w
            .iter()
            .all(|(k, wv)| h.get(k).is_some_and(|hv| holds(wv, hv))),
        (Value::Array(w), Value::Array(h)) => {
            w.len() == h.len() && w.iter().zip(h).all(|(a, b)| holds(a, b))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => wanted == held,
    }
}

/// How long the switch from a rule to a schedule takes at most (create the
/// schedule, read it back, disable the rule, read it back).
pub const SWITCH_WINDOW_MS: i64 = 20_000;
/// How long after its time a scheduled rule may still fire (EventBridge
/// fires it within a minute of it).
pub const RULE_LATE_MS: i64 = 65_000;

/// When a job moves from Copilot's rule to its schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Switch {
    /// The moment to switch: no run of either expression from
    /// [`RULE_LATE_MS`] before it to [`SWITCH_WINDOW_MS`] after it.
    pub at_ms: i64,
    /// Whether the runs of the rule's expression could be worked out (a
    /// rate counts from when the rule was last changed, which is unknown:
    /// one run may then come early or late at the switch).
    pub exact: bool,
}

/// The first moment from `now_ms` between two runs of the rule's
/// expression and the schedule's: the old rule's last run has fired, the
/// next run of either is not due before the switch is done.
pub fn switch_moment(now_ms: i64, rule: Option<&str>, schedule: Option<&str>) -> Switch {
    use super::next_run::next_run;
    let exact = rule.is_none_or(|r| next_run(r, now_ms, None).is_some());
    let expressions: Vec<&str> = rule.into_iter().chain(schedule).collect();
    let mut at = now_ms;
    // Ten tries: a cron every minute has no quiet moment at all.
    for _ in 0..10 {
        let clash = expressions
            .iter()
            .filter_map(|e| next_run(e, at - RULE_LATE_MS - 1, None))
            .filter(|run| *run < at + SWITCH_WINDOW_MS)
            .max();
        match clash {
            None => return Switch { at_ms: at, exact },
            Some(run) => at = run + RULE_LATE_MS + 1,
        }
    }
    Switch {
        at_ms: now_ms,
        exact: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target<'a>(subnets: &'a [String], sgs: &'a [String]) -> JobTarget<'a> {
        JobTarget {
            cluster_arn: "arn:aws:ecs:us-east-1:1:cluster/demo-test",
            task_definition_arn: "arn:aws:ecs:us-east-1:1:task-definition/demo-test-report:3",
            role_arn: "arn:aws:iam::1:role/demo-test-report-SchedulerRole",
            subnets,
            security_groups: sgs,
            public_ip: false,
            retries: 3,
        }
    }

    #[test]
    fn a_job_runs_its_revision_on_fargate_with_its_retries() {
        let (subnets, sgs) = (vec!["subnet-1".to_string()], vec!["sg-1".to_string()]);
        let b = body(
            &Schedule::Expression("cron(0 0 * * ? *)".into()),
            &target(&subnets, &sgs),
        );
        assert_eq!(b["State"], "ENABLED");
        assert_eq!(b["Target"]["RetryPolicy"]["MaximumRetryAttempts"], 3);
        assert_eq!(
            b["Target"]["EcsParameters"]["TaskDefinitionArn"],
            "arn:aws:ecs:us-east-1:1:task-definition/demo-test-report:3"
        );
        let off = body(&Schedule::OnDemand, &target(&subnets, &sgs));
        assert_eq!(off["State"], "DISABLED");
    }

    #[test]
    fn the_scheduler_role_may_run_exactly_the_job() {
        let p = scheduler_policy(
            "aws",
            "us-east-1",
            "1",
            "demo-test-report",
            "arn:aws:ecs:us-east-1:1:cluster/demo-test",
            ["arn:aws:iam::1:role/e", "arn:aws:iam::1:role/t"],
        );
        let text = p.to_string();
        assert!(!text.contains("\"*\""), "no wildcard resource: {text}");
        assert_eq!(
            p["Statement"][0]["Resource"],
            "arn:aws:ecs:us-east-1:1:task-definition/demo-test-report:*"
        );
        assert_eq!(p["Statement"][1]["Resource"][1], "arn:aws:iam::1:role/t");
        assert_eq!(
            p["Statement"][2]["Resource"],
            "arn:aws:ecs:us-east-1:1:task/demo-test/*"
        );
        assert_eq!(
            scheduler_trust("1")["Statement"][0]["Principal"]["Service"],
            "scheduler.amazonaws.com"
        );
    }

    #[test]
    fn a_job_switches_between_two_runs() {
        let minute = 60_000;
        let day = 24 * 60 * minute;
        // 10:17:30 on some day: a daily run at midnight is far.
        let now = 20_000 * day + 10 * 60 * minute + 17 * minute + 30_000;
        let daily = "cron(0 0 * * ? *)";
        assert_eq!(
            switch_moment(now, Some(daily), Some(daily)),
            Switch {
                at_ms: now,
                exact: true
            }
        );
        // An hourly run at 11:00: 10 s before it is too close, and the
        // rule may fire late: after 11:01:05.
        let hourly = "cron(0 * * * ? *)";
        let eleven = 20_000 * day + 11 * 60 * minute;
        let s = switch_moment(eleven - 10_000, Some(hourly), Some(daily));
        assert_eq!(s.at_ms, eleven + RULE_LATE_MS + 1);
        // Just after 11:00, the rule may not have fired yet.
        let s = switch_moment(eleven + 30_000, Some(hourly), None);
        assert_eq!(s.at_ms, eleven + RULE_LATE_MS + 1);
        // A new expression's runs count too.
        let s = switch_moment(eleven - 10_000, Some(daily), Some(hourly));
        assert_eq!(s.at_ms, eleven + RULE_LATE_MS + 1);
        // The rule's rate: its runs cannot be worked out.
        let s = switch_moment(now, Some("rate(1 hour)"), Some(daily));
        assert!(!s.exact);
        // Every minute: no quiet moment, said as inexact.
        let s = switch_moment(now, Some("cron(* * * * ? *)"), None);
        assert_eq!(
            s,
            Switch {
                at_ms: now,
                exact: false
            }
        );
    }

    #[test]
    fn what_scheduler_adds_is_not_a_difference() {
        let (subnets, sgs) = (vec!["subnet-1".to_string()], vec!["sg-1".to_string()]);
        let want = body(
            &Schedule::Expression("rate(5 minutes)".into()),
            &target(&subnets, &sgs),
        );
        let mut held = want.clone();
        held["Arn"] = json!("arn:aws:scheduler:us-east-1:1:schedule/default/x");
        held["CreationDate"] = json!(1.7e9);
        assert!(holds(&want, &held));
        held["ScheduleExpression"] = json!("rate(10 minutes)");
        assert!(!holds(&want, &held));
    }
}
