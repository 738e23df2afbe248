//! `count.range` with `cpu_percentage` / `memory_percentage`: Application
//! Auto Scaling's target and target-tracking policies, as Copilot makes them.

use crate::support::Stage;

async fn read_back(s: &Stage) -> (Option<(i32, i32)>, Vec<(String, f64, i32, i32)>) {
    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    let client = aws_sdk_applicationautoscaling::Client::new(&s.sdk().await);
    let id = format!("service/{}-test/api", s.app);
    let targets = client
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(&id)
        .send()
        .await
        .unwrap();
    let policies = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&id)
        .send()
        .await
        .unwrap();
    let mut p: Vec<(String, f64, i32, i32)> = policies
        .scaling_policies()
        .iter()
        .map(|p| {
            let c = p.target_tracking_scaling_policy_configuration().unwrap();
            (
                p.policy_name().to_string(),
                c.target_value(),
                c.scale_in_cooldown().unwrap_or_default(),
                c.scale_out_cooldown().unwrap_or_default(),
            )
        })
        .collect();
    p.sort_by(|a, b| a.0.cmp(&b.0));
    (
        targets
            .scalable_targets()
            .first()
            .map(|t| (t.min_capacity(), t.max_capacity())),
        p,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_range_with_metrics_autoscales_and_a_changed_metric_replaces_its_policy() {
    let s = Stage::new("autoscale");
    let text = s.manifest();
    let fixed = "  test:\n    count: 2\n";
    assert!(text.contains(fixed));
    let with = |count: &str| text.replace(fixed, &format!("  test:\n    count:\n{count}"));

    s.write_manifest(&with("      range: 1-4\n      cpu_percentage: 70\n"));
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    let (target, policies) = read_back(&s).await;
    assert_eq!(target, Some((1, 4)));
    assert_eq!(
        policies,
        [(
            "api-ECSServiceAverageCPUUtilization-ScalingPolicy".to_string(),
            70.0,
            120,
            60
        )],
        "Copilot's name and default cooldowns"
    );

    // The same again: nothing to change.
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    assert_eq!(report["outcome"], "unchanged", "{report}");

    s.write_manifest(&with("      range: 1-6\n      memory_percentage:\n        value: 80\n        cooldown: {in: 30s, out: 10s}\n"));
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    let (target, policies) = read_back(&s).await;
    assert_eq!(target, Some((1, 6)));
    assert_eq!(
        policies,
        [(
            "api-ECSServiceAverageMemoryUtilization-ScalingPolicy".to_string(),
            80.0,
            30,
            10
        )],
        "the CPU policy is gone"
    );
}

/// A Worker Service's policies: (name, target, QueueName dimension).
async fn worker_policies(s: &Stage) -> Vec<(String, f64, String)> {
    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    let client = aws_sdk_applicationautoscaling::Client::new(&s.sdk().await);
    let policies = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(format!("service/{}-test/worker", s.app))
        .send()
        .await
        .unwrap();
    let mut out: Vec<(String, f64, String)> = policies
        .scaling_policies()
        .iter()
        .map(|p| {
            let c = p.target_tracking_scaling_policy_configuration().unwrap();
            let m = c.customized_metric_specification().unwrap();
            (
                p.policy_name().to_string(),
                c.target_value(),
                format!(
                    "{}/{}/{}",
                    m.namespace().unwrap_or_default(),
                    m.metric_name().unwrap_or_default(),
                    m.dimensions()[0].value()
                ),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn queue_delay_scales_a_worker_on_the_backlog_of_copilots_queue() {
    let s = Stage::new("queuedelay");
    // Copilot's worker service stack holds its queue `EventsQueue` (and a
    // dead-letter queue, which is not scaled on): `workloads/services/
    // worker/cf.yml`.
    let cfn = aws_sdk_cloudformation::Client::new(&s.sdk().await);
    let stack = format!("{}-test-worker", s.app);
    let template = serde_json::json!({
        "Resources": {
            "EventsQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": format!("{}-test-worker-EventsQueue", s.app)}},
            "DeadLetterQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": format!("{}-test-worker-DLQ", s.app)}}
        }
    });
    cfn.create_stack()
        .stack_name(&stack)
        .template_body(template.to_string())
        .send()
        .await
        .unwrap();
    let path = "copilot/worker/manifest.yml";
    let text = std::fs::read_to_string(s.ws.path().join(path)).unwrap();
    let with = |count: &str| text.replace("count: 1\n", count);
    let deploy = || {
        crate::support::run(s.cmd().args([
            "deploy",
            "worker",
            "--env",
            "test",
            "--poll-interval",
            "50ms",
            "--timeout",
            "20s",
        ]))
    };
    s.ws.write(
        path,
        &with("count:\n  range: 1-4\n  queue_delay:\n    acceptable_latency: 10m\n    msg_processing_time: 250ms\n"),
    );
    deploy().assert_code(0);
    let queue = format!("{}-test-worker-EventsQueue", s.app);
    assert_eq!(
        worker_policies(&s).await,
        [(
            format!("worker-BacklogPerTask-{queue}"),
            2400.0,
            format!("{}-test-worker/BacklogPerTask/{queue}", s.app)
        )],
        "Copilot's policy on its queue's backlog per task: 10m / 250ms"
    );

    // Without queue_delay the policy goes; the other policies are Copilot's
    // too and stay as the manifest says.
    s.ws.write(path, &with("count:\n  range: 1-4\n  cpu_percentage: 50\n"));
    deploy().assert_code(0);
    let names: Vec<String> = worker_policies_any(&s).await;
    assert_eq!(
        names,
        ["worker-ECSServiceAverageCPUUtilization-ScalingPolicy"]
    );
}

async fn worker_policies_any(s: &Stage) -> Vec<String> {
    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    let client = aws_sdk_applicationautoscaling::Client::new(&s.sdk().await);
    let mut names: Vec<String> = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(format!("service/{}-test/worker", s.app))
        .send()
        .await
        .unwrap()
        .scaling_policies()
        .iter()
        .map(|p| p.policy_name().to_string())
        .collect();
    names.sort();
    names
}
