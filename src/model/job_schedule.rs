//! What EventBridge Scheduler is asked for a Scheduled Job (work in
//! progress: not yet wired into `deploy`): the schedule's request body, and
//! whether what Scheduler holds is it.

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
