//! `deployment`: `rolling: recreate` and `rollback_alarms` reach the service's
//! deployment configuration; Copilot's alarms are created for thresholds and
//! an unchanged manifest changes nothing.

use crate::support::Stage;

#[tokio::test(flavor = "multi_thread")]
async fn recreate_and_rollback_alarms_reach_the_service() {
    let s = Stage::new("deployment");
    s.write_manifest(&format!(
        "{}\ndeployment:\n  rolling: recreate\n  rollback_alarms:\n    cpu_utilization: 70\n    memory_utilization: 80\n",
        s.manifest()
    ));
    let (r, _) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(s.proxy.writes().get("monitoring:PutMetricAlarm"), Some(&2));

    let conf = s.sdk_via_proxy().await;
    let ecs = aws_sdk_ecs::Client::new(&conf);
    let svc = ecs
        .describe_services()
        .cluster(format!("{}-test", s.app))
        .services("api")
        .send()
        .await
        .unwrap();
    let c = svc.services()[0].deployment_configuration().unwrap();
    assert_eq!(
        (c.minimum_healthy_percent(), c.maximum_percent()),
        (Some(0), Some(100))
    );
    let alarms = c.alarms().unwrap();
    assert!(alarms.enable() && alarms.rollback());
    assert_eq!(
        alarms.alarm_names(),
        [
            format!("{}-test-api-CopilotRollbackCPUAlarm", s.app),
            format!("{}-test-api-CopilotRollbackMemAlarm", s.app)
        ]
    );

    s.proxy.reset();
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "unchanged", "{report:#}");
    assert!(s.proxy.changes().is_empty(), "{:?}", s.proxy.writes());

    // A new threshold: the alarm is put again, the service left as it is.
    s.write_manifest(
        &s.manifest()
            .replace("cpu_utilization: 70", "cpu_utilization: 60"),
    );
    s.proxy.reset();
    let (r, _) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    let writes = s.proxy.changes();
    assert_eq!(
        writes.get("monitoring:PutMetricAlarm"),
        Some(&1),
        "{writes:?}"
    );
    assert_eq!(writes.get("ecs:UpdateService"), None, "{writes:?}");
}
