//! Scheduled Jobs (work in progress): EventBridge Scheduler's schedules,
//! created, read back and updated in place through sidecarctl's client.

use sidecarctl::aws::{Aws, ConnectOptions};
use sidecarctl::model::job_schedule::{JobTarget, body, holds};
use sidecarctl::model::schedule::parse;

use crate::support::emulator;

#[tokio::test(flavor = "multi_thread")]
async fn a_schedule_is_created_read_back_and_updated_in_place() {
    let aws = Aws::connect(&ConnectOptions {
        region: Some("us-east-1".into()),
        profile: None,
        endpoint_url: Some(emulator().endpoint.clone()),
        attempt_timeout: None,
        max_attempts: None,
        adaptive: false,
    })
    .await
    .unwrap();
    let (subnets, sgs) = (vec!["subnet-1".to_string()], vec!["sg-1".to_string()]);
    let target = JobTarget {
        cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/jobs-test",
        task_definition_arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/jobs-test-report:1",
        role_arn: "arn:aws:iam::123456789012:role/jobs-test-report-SchedulerRole",
        subnets: &subnets,
        security_groups: &sgs,
        public_ip: false,
        retries: 2,
    };
    let name = format!("jobs-test-report-{}", std::process::id());
    assert!(aws.scheduler.get(&name).await.unwrap().is_none());
    let want = body(&parse("@daily").unwrap(), &target);
    aws.scheduler.put(&name, &want, true).await.unwrap();
    let held = aws.scheduler.get(&name).await.unwrap().expect("created");
    assert!(holds(&want, &held), "{held:#}");
    let want = body(&parse("*/15 * * * *").unwrap(), &target);
    assert!(!holds(&want, &held));
    aws.scheduler.put(&name, &want, false).await.unwrap();
    let held = aws.scheduler.get(&name).await.unwrap().unwrap();
    assert_eq!(held["ScheduleExpression"], "cron(*/15 * * * ? *)");
    assert!(holds(&want, &held), "{held:#}");
}
