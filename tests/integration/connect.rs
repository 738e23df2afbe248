//! `network.connect`: ECS Service Connect in the environment's namespace, as
//! Copilot's `service-base-properties.yml` configures it.

use serde_json::Value;

use crate::support::{Stage, changes};

fn deploy(s: &Stage) -> (crate::support::Run, Value) {
    s.deploy_in_env("api", &["--image-tag", "v1"])
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_offers_the_target_port_under_the_alias_and_stays_as_it_is() {
    let s = Stage::new("connect");
    s.copilot_environment().await;
    s.write_manifest(
        &s.manifest()
            .replace("network:\n", "network:\n  connect:\n    alias: frontend\n"),
    );
    let (r, v) = deploy(&s);
    r.assert_code(0);
    assert!(
        changes(&v)
            .iter()
            .any(|c| c.starts_with("create service api")),
        "{v}"
    );
    // What ECS holds, read through the local stack's proxy (the emulator
    // keeps no Service Connect configuration; the proxy keeps it as ECS does).
    let ecs = aws_sdk_ecs::Client::from_conf(
        aws_sdk_ecs::config::Builder::from(&s.sdk().await)
            .endpoint_url(&s.proxy.endpoint)
            .build(),
    );
    let cluster = v["cluster"].as_str().unwrap();
    let described = ecs
        .describe_services()
        .cluster(cluster)
        .services("api")
        .send()
        .await
        .unwrap();
    let primary = described.services()[0]
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .unwrap()
        .clone();
    let sc = primary
        .service_connect_configuration()
        .expect("Service Connect configured");
    assert!(sc.enabled());
    assert_eq!(
        sc.namespace(),
        Some(format!("test.{}.local", s.app).as_str())
    );
    let offered = &sc.services()[0];
    assert_eq!(offered.port_name(), "target");
    assert_eq!(offered.discovery_name(), Some("api-sc"));
    let alias = &offered.client_aliases()[0];
    assert_eq!((alias.dns_name(), alias.port()), (Some("frontend"), 80));
    let log = sc.log_configuration().expect("the proxy's logs");
    assert_eq!(
        log.options()
            .and_then(|o| o.get("awslogs-group"))
            .map(String::as_str),
        Some(format!("/copilot/{}-test-api", s.app).as_str())
    );
    // The target container's port is the one named `target`.
    let td = ecs
        .describe_task_definition()
        .task_definition(primary.task_definition().unwrap())
        .send()
        .await
        .unwrap();
    let named: Vec<(String, i32)> = td
        .task_definition()
        .unwrap()
        .container_definitions()
        .iter()
        .flat_map(|c| {
            c.port_mappings()
                .iter()
                .filter(|p| p.name() == Some("target"))
                .map(move |p| (c.name().unwrap().to_string(), p.container_port().unwrap()))
        })
        .collect();
    assert_eq!(named, [("nginx".to_string(), 80)]);

    let (r, v) = deploy(&s);
    r.assert_code(0);
    assert_eq!(v["outcome"], "unchanged", "{v}\n{}", r.stderr);
}
