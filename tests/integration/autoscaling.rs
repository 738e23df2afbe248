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
