//! `count.spot` and `count.range.spot_from`: the service moves to Copilot's
//! Fargate Spot capacity provider strategy, and back to the launch type.

use crate::support::{Stage, changes};

async fn strategy(s: &Stage) -> Vec<(String, i32, i32)> {
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let out = ecs
        .describe_services()
        .cluster(format!("{}-test", s.app))
        .services("api")
        .send()
        .await
        .unwrap();
    out.services()[0]
        .capacity_provider_strategy()
        .iter()
        .map(|c| (c.capacity_provider().to_string(), c.weight(), c.base()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn spot_moves_the_service_to_fargate_spot_and_back() {
    let s = Stage::new("spot");
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    assert!(strategy(&s).await.is_empty(), "the Fargate launch type");

    let text = s.manifest();
    let fixed = "  test:\n    count: 2\n";
    assert!(text.contains(fixed));
    s.write_manifest(&text.replace(fixed, "  test:\n    count:\n      spot: 2\n"));
    let (r, report) = s.deploy_json(&["--image-tag", "v1"]);
    r.assert_code(0);
    let changes = changes(&report);
    assert!(
        changes
            .iter()
            .any(|c| c.contains("FARGATE_SPOT (weight 1)")),
        "{changes:?}"
    );
    assert_eq!(strategy(&s).await, [("FARGATE_SPOT".to_string(), 1, 0)]);

    s.write_manifest(&text);
    s.deploy(&["--image-tag", "v1"]).assert_code(0);
    assert!(strategy(&s).await.is_empty(), "back to the launch type");
}
