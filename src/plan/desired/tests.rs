use super::*;
use crate::manifest::At;
use crate::names::role_names;
use crate::render::Facts;
use crate::state::{Current, ServiceState};
use crate::validate::testing::service_in;
use crate::yaml::Pos;

const API: &str =
    "name: api\ntype: Load Balanced Web Service\nimage:\n  location: nginx:1\n  port: 8080\n";

fn resolved(svc: &Service, managed: bool, current: Option<ServiceState>) -> Resolved {
    Resolved {
        facts: Facts::offline(
            svc,
            "demo",
            "test",
            Some("123456789012"),
            Some("us-east-1"),
            None,
        ),
        digests: Default::default(),
        addon_policies: Vec::new(),
        managed_roles: managed.then(|| role_names("demo", "test", "api")),
        current: Current {
            service: current,
            ..Default::default()
        },
    }
}

fn settings() -> Settings {
    Settings {
        app: "demo".into(),
        env: "test".into(),
        cluster: "demo-test".into(),
        service: "api".into(),
        rollback: true,
        security_groups: vec!["sg-1".into()],
        target_group: Some("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/1".into()),
        ..Default::default()
    }
}

fn env_manifest() -> EnvManifest {
    let at = |s: &str| At::new(s.to_string(), Pos::new(1, 1), "x");
    EnvManifest {
        public_subnets: vec![at("subnet-pub1"), at("subnet-pub2")],
        private_subnets: vec![at("subnet-priv1")],
    }
}

#[test]
fn a_new_service_is_placed_in_the_environments_subnets_by_placement() {
    let svc = service_in(API, Some("test"));
    let d = desired_state(
        &svc,
        Some(&env_manifest()),
        &settings(),
        &resolved(&svc, true, None),
    )
    .unwrap();
    let n = d.new_service.unwrap();
    assert_eq!(n.subnets, ["subnet-pub1", "subnet-pub2"]);
    assert!(n.public_ip);
    assert_eq!(
        n.load_balancer.as_ref().map(|(_, c, p)| (c.as_str(), *p)),
        Some(("api", 8080))
    );
    let private = service_in(
        &format!("{API}network:\n  vpc:\n    placement: private\n"),
        Some("test"),
    );
    let d = desired_state(
        &private,
        Some(&env_manifest()),
        &settings(),
        &resolved(&private, true, None),
    )
    .unwrap();
    let n = d.new_service.unwrap();
    assert_eq!(n.subnets, ["subnet-priv1"]);
    assert!(!n.public_ip);
    // Flags win.
    let s = Settings {
        subnets: vec!["subnet-flag".into()],
        ..settings()
    };
    let d = desired_state(&svc, Some(&env_manifest()), &s, &resolved(&svc, true, None)).unwrap();
    assert_eq!(d.new_service.unwrap().subnets, ["subnet-flag"]);
}

#[test]
fn every_missing_placement_fact_is_reported_at_once() {
    let svc = service_in(API, Some("test"));
    let s = Settings {
        security_groups: Vec::new(),
        target_group: None,
        ..settings()
    };
    let err = desired_state(&svc, None, &s, &resolved(&svc, true, None)).unwrap_err();
    let codes: Vec<&str> = err.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        ["no-subnets", "no-security-groups", "no-target-group"]
    );
    // A Backend Service needs no target group; an existing service needs nothing.
    let backend = service_in(
        "name: api\ntype: Backend Service\nimage:\n  location: nginx:1\n",
        Some("test"),
    );
    let err = desired_state(
        &backend,
        Some(&env_manifest()),
        &s,
        &resolved(&backend, true, None),
    )
    .unwrap_err();
    assert_eq!(
        err.iter().map(|d| d.code).collect::<Vec<_>>(),
        ["no-security-groups"]
    );
    let running = ServiceState::default();
    assert!(desired_state(&svc, None, &s, &resolved(&svc, true, Some(running))).is_ok());
}

#[test]
fn the_target_is_the_manifests_target_container_and_port() {
    let svc = service_in(
        &format!(
            "{API}http:\n  target_container: nginx\nsidecars:\n  nginx:\n    image: nginx\n    port: 80\n"
        ),
        Some("test"),
    );
    assert_eq!(target(&svc), ("nginx".to_string(), 80));
    let svc = service_in(&format!("{API}http:\n  target_port: 9000\n"), Some("test"));
    assert_eq!(target(&svc), ("api".to_string(), 9000));
}

#[test]
fn autoscaling_keeps_the_running_count_within_the_range() {
    let svc = service_in(&format!("{API}count:\n  range: 2-10\n"), Some("test"));
    let running = |n| ServiceState {
        desired: n,
        ..Default::default()
    };
    let count = |cur| {
        desired_state(
            &svc,
            Some(&env_manifest()),
            &settings(),
            &resolved(&svc, true, cur),
        )
        .unwrap()
        .desired_count
    };
    assert_eq!(count(Some(running(7))), 7, "the autoscaler's count is kept");
    assert_eq!(count(Some(running(1))), 2, "but not below the range");
    assert_eq!(count(None), 2, "a new service starts at the minimum");
    let fixed = service_in(&format!("{API}count: 3\n"), Some("test"));
    let d = desired_state(
        &fixed,
        None,
        &settings(),
        &resolved(&fixed, true, Some(running(7))),
    )
    .unwrap();
    assert_eq!(d.desired_count, 3, "a fixed count is the manifest's");
}

#[test]
fn roles_log_group_retention_and_tags() {
    let svc = service_in(&format!("{API}logging:\n  retention: 7\n"), Some("test"));
    let d = desired_state(
        &svc,
        Some(&env_manifest()),
        &settings(),
        &resolved(&svc, true, None),
    )
    .unwrap();
    assert_eq!(d.log_group, "/copilot/demo-test-api");
    assert_eq!(d.retention_days, 7);
    let iam = d.iam.unwrap();
    assert_eq!(iam.execution_role, "demo-test-api-ExecutionRole");
    assert!(crate::plan::trusts_ecs_tasks(&iam.trust_policy));
    assert!(d.tags.contains(&("copilot-service".into(), "api".into())));
    assert!(d.tags.contains(&("managed-by".into(), "sidecarctl".into())));
    // Roles managed elsewhere: no IAM at all; retention defaults to Copilot's 30 days.
    let plain = service_in(API, Some("test"));
    let d = desired_state(
        &plain,
        Some(&env_manifest()),
        &settings(),
        &resolved(&plain, false, None),
    )
    .unwrap();
    assert!(d.iam.is_none());
    assert_eq!(d.retention_days, DEFAULT_RETENTION_DAYS);
}
