use super::*;
use crate::manifest::At;
use crate::names::role_names;
use crate::render::Facts;
use crate::state::CustomMetric;
use crate::state::{Current, ServiceState};
use crate::validate::testing::service_in;
use crate::yaml::Pos;

const API: &str =
    "name: api\ntype: Load Balanced Web Service\nimage:\n  location: nginx:1\n  port: 8080\n";

fn resolved(svc: &Service, managed: bool, current: Option<ServiceState>) -> Resolved {
    Resolved {
        env_files: None,
        messaging: None,
        facts: Facts::offline(
            svc,
            "demo",
            "test",
            Some("123456789012"),
            Some("us-east-1"),
            None,
        ),
        digests: Default::default(),
        addons: None,
        managed_roles: managed.then(|| role_names("demo", "test", "api")),
        current: Current {
            service: current,
            ..Default::default()
        },
        placement: default_placement(),
        service: None,
        create_access_point: None,
        imported_alb: None,
        queues: Vec::new(),
    }
}

fn default_placement() -> crate::model::Placement {
    crate::model::place(
        crate::model::Who {
            app: "demo",
            env: "test",
            svc: "api",
        },
        None,
        &Default::default(),
    )
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
        n.load_balancers
            .iter()
            .map(|l| (l.container.as_str(), l.port))
            .collect::<Vec<_>>(),
        [("api", 8080)]
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

#[test]
fn a_new_service_in_a_copilot_environment_takes_its_subnets_and_security_group() {
    let svc = service_in(
        &format!("{API}network:\n  vpc:\n    placement: private\n    security_groups: [sg-own]\n"),
        Some("test"),
    );
    let mut r = resolved(&svc, true, None);
    r.placement.environment = Some(crate::model::Environment {
        public_subnets: vec!["subnet-pub".into()],
        private_subnets: vec!["subnet-p1".into(), "subnet-p2".into()],
        security_group: Some("sg-env".into()),
        ..Default::default()
    });
    let s = Settings {
        security_groups: Vec::new(),
        ..settings()
    };
    let n = desired_state(&svc, None, &s, &r)
        .unwrap()
        .new_service
        .unwrap();
    assert_eq!(n.subnets, ["subnet-p1", "subnet-p2"]);
    assert_eq!(
        n.security_groups,
        ["sg-env", "sg-own"],
        "Copilot gives every service the environment's group"
    );
}

#[test]
fn spot_counts_become_copilots_capacity_provider_strategy() {
    let strategy = |count: &str| {
        let svc = service_in(&format!("{API}count:\n{count}"), Some("test"));
        capacity_providers(&svc)
            .into_iter()
            .map(|c| (c.provider, c.weight, c.base))
            .collect::<Vec<_>>()
    };
    assert!(
        strategy("  range: 1-10\n").is_empty(),
        "no spot: the launch type"
    );
    assert_eq!(
        strategy("  spot: 3\n"),
        [("FARGATE_SPOT".to_string(), 1, 0)]
    );
    // spot_from at or above the minimum: the first spot_from - 1 tasks on Fargate.
    assert_eq!(
        strategy("  range:\n    min: 1\n    max: 10\n    spot_from: 3\n"),
        [
            ("FARGATE".to_string(), 0, 2),
            ("FARGATE_SPOT".to_string(), 1, 0)
        ]
    );
    assert_eq!(
        strategy("  range:\n    min: 4\n    max: 10\n    spot_from: 2\n"),
        [("FARGATE_SPOT".to_string(), 1, 0)]
    );
    let svc = service_in(&format!("{API}count:\n  spot: 3\n"), Some("test"));
    let c = svc.count.as_ref().unwrap();
    assert_eq!(
        (c.value.desired, c.value.autoscaling),
        (3, false),
        "spot alone is a fixed count"
    );
}

#[test]
fn a_range_with_metrics_becomes_copilots_target_and_policies() {
    let svc = service_in(
        &format!(
            "{API}count:\n  range: 2-6\n  cooldown: {{in: 30s}}\n  cpu_percentage: 70\n  memory_percentage:\n    value: 80\n    cooldown: {{in: 45s, out: 15s}}\n"
        ),
        Some("test"),
    );
    let s = scaling(&svc, None, &Queues::default()).expect("autoscaling");
    assert_eq!((s.min, s.max), (2, 6));
    let got: Vec<(&str, i64, i32, i32)> = s
        .policies
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.target_milli / 1000,
                p.scale_in_s,
                p.scale_out_s,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "api-ECSServiceAverageCPUUtilization-ScalingPolicy",
                70,
                30,
                60
            ),
            (
                "api-ECSServiceAverageMemoryUtilization-ScalingPolicy",
                80,
                45,
                15
            ),
        ],
        "the metric's own cooldown wins, then count.cooldown, then Copilot's 120/60"
    );
    let fixed = service_in(&format!("{API}count: 3\n"), Some("test"));
    assert!(scaling(&fixed, None, &Queues::default()).is_none());
}

#[test]
fn requests_and_response_time_follow_copilots_load_balancer_metrics() {
    let svc = service_in(
        &format!(
            "{API}http:\n  path: /\ncount:\n  range: 1-4\n  requests: 1000\n  response_time:\n    value: 500ms\n    cooldown: {{out: 30s}}\n"
        ),
        Some("test"),
    );
    let env = crate::model::Environment {
        vpc: Some("vpc-1".into()),
        http_listener: Some(
            "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/demo-test-Public/0123/4567"
                .into(),
        ),
        ..Default::default()
    };
    let lb = crate::plan::lb::desired_lb(&svc, "demo", "test", Some(&env), None).unwrap();
    let s = scaling(&svc, Some(&lb), &Queues::default()).unwrap();
    let by_metric = |m: &str| s.policies.iter().find(|p| p.metric == m).unwrap().clone();
    let requests = by_metric("ALBSumRequestCountPerTarget");
    assert_eq!(
        requests.name,
        "api-ALBSumRequestCountPerTarget-ScalingPolicy"
    );
    assert_eq!(requests.target_milli, 1_000_000);
    let m = requests.custom.unwrap();
    assert_eq!(
        (m.namespace.as_str(), m.name.as_str(), m.statistic.as_str()),
        ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum")
    );
    assert_eq!(
        m.dimensions,
        [
            (
                "LoadBalancer".to_string(),
                "app/demo-test-Public/0123".to_string()
            ),
            ("TargetGroup".to_string(), String::new())
        ],
        "the target group's dimension is filled in by the plan"
    );
    let time = by_metric("ALBAverageResponseTime");
    assert_eq!(time.target_milli, 500, "0.5 s");
    assert_eq!((time.scale_in_s, time.scale_out_s), (120, 30));
    assert_eq!(time.custom.unwrap().statistic, "Average");
    // Without a load balancer sidecarctl manages, they are left out, and named.
    let without = scaling(&svc, None, &Queues::default()).unwrap();
    assert!(without.policies.is_empty());
    let fields: Vec<&str> = without.left_out.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fields, ["count.requests", "count.response_time"]);
}

#[test]
fn web_and_backend_services_get_copilots_cloud_map_service_and_workers_none() {
    let env = crate::model::Environment {
        namespace_id: Some("ns-1".into()),
        ..Default::default()
    };
    let s = settings();
    let web = service_in(
        &format!("{API}http:\n  path: /\n  target_port: 9000\n"),
        Some("test"),
    );
    let d = discovery(&web, &s, Some(&env)).unwrap();
    assert_eq!(
        (d.namespace_id.as_str(), d.name.as_str(), d.port),
        ("ns-1", "api", Some(9000)),
        "the target port, as Copilot's TargetPort"
    );
    assert!(discovery(&web, &s, None).is_none(), "no environment stack");
    let worker = service_in(
        "name: jobs\ntype: Worker Service\nimage:\n  location: nginx\n",
        Some("test"),
    );
    assert!(discovery(&worker, &s, Some(&env)).is_none());
}

#[test]
fn service_connect_offers_the_target_port_under_copilots_names() {
    let on = service_in(&format!("{API}network:\n  connect: true\n"), Some("test"));
    let c = service_connect(&on, "demo", "test").unwrap();
    assert!(c.enabled);
    assert_eq!(c.namespace.as_deref(), Some("test.demo.local"));
    assert_eq!(
        c.services,
        [ConnectService {
            port_name: "target".into(),
            discovery_name: "api-sc".into(),
            dns_name: "api".into(),
            port: 8080,
        }]
    );
    let alias = service_in(
        &format!("{API}network:\n  connect:\n    alias: frontend\n"),
        Some("test"),
    );
    assert_eq!(
        service_connect(&alias, "demo", "test").unwrap().services[0].dns_name,
        "frontend"
    );
    let off = service_in(&format!("{API}network:\n  connect: false\n"), Some("test"));
    assert!(!service_connect(&off, "demo", "test").unwrap().enabled);
    let silent = service_in(API, Some("test"));
    assert!(service_connect(&silent, "demo", "test").is_none());
    let worker = service_in(
        "name: jobs\ntype: Worker Service\nimage:\n  location: nginx\nnetwork:\n  connect: true\n",
        Some("test"),
    );
    let c = service_connect(&worker, "demo", "test").unwrap();
    assert!(c.enabled && c.services.is_empty(), "a client only: {c:?}");
}

#[test]
fn queue_delay_scales_on_each_queues_backlog_as_copilot_does() {
    let svc = service_in(
        "name: worker\ntype: Worker Service\nimage:\n  location: nginx:1\ncount:\n  range: 1-10\n  cooldown:\n    in: 30s\n  queue_delay:\n    acceptable_latency: 10m\n    msg_processing_time: 250ms\n    cooldown:\n      out: 15s\n",
        Some("test"),
    );
    let queues = Queues {
        namespace: "demo-test-worker".into(),
        names: vec!["demo-test-worker-EventsQueue-abc".into()],
        math: None,
    };
    let s = scaling(&svc, None, &queues).unwrap();
    // Copilot's fixture: 10m / 250ms is a backlog of 2400 messages per task.
    assert_eq!(
        s.policies,
        vec![ScalingPolicy {
            name: "worker-BacklogPerTask-demo-test-worker-EventsQueue-abc".into(),
            metric: "BacklogPerTask".into(),
            target_milli: 2_400_000,
            scale_in_s: 30,
            scale_out_s: 15,
            custom: Some(CustomMetric {
                namespace: "demo-test-worker".into(),
                name: "BacklogPerTask".into(),
                statistic: "Average".into(),
                dimensions: vec![(
                    "QueueName".into(),
                    "demo-test-worker-EventsQueue-abc".into()
                )],
                unit: Some("Count".into()),
                queries: Vec::new(),
            }),
        }]
    );
    assert!(s.left_out.is_empty());
    assert_eq!(s.owned_prefix, "worker-BacklogPerTask-");
    // No queue known: left out, and said why.
    let none = scaling(&svc, None, &Queues::default()).unwrap();
    assert!(none.policies.is_empty());
    assert_eq!(none.left_out[0].0, "count.queue_delay");
}

#[test]
fn queue_delay_on_sidecarctls_queues_divides_the_backlog_by_the_running_tasks() {
    let svc = service_in(
        "name: worker\ntype: Worker Service\nimage:\n  location: nginx:1\ncount:\n  range: 1-10\n  queue_delay:\n    acceptable_latency: 1m\n    msg_processing_time: 1s\n",
        Some("test"),
    );
    let queues = Queues {
        namespace: "demo-test-worker".into(),
        names: vec!["demo-test-worker-EventsQueue".into()],
        math: Some(("demo-test".into(), "worker".into())),
    };
    let s = scaling(&svc, None, &queues).unwrap();
    let p = &s.policies[0];
    assert_eq!(p.name, "worker-BacklogPerTask-demo-test-worker-EventsQueue");
    assert_eq!(p.target_milli, 60_000);
    let q = &p.custom.as_ref().unwrap().queries;
    assert_eq!(q[0].expression.as_deref(), Some("messages / tasks"));
    assert!(q[0].return_data && !q[1].return_data && !q[2].return_data);
    let (ns, name, dims, _) = q[1].metric.as_ref().unwrap();
    assert_eq!(
        (ns.as_str(), name.as_str()),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    );
    assert_eq!(dims[0].1, "demo-test-worker-EventsQueue");
    let (ns, name, dims, _) = q[2].metric.as_ref().unwrap();
    assert_eq!(
        (ns.as_str(), name.as_str()),
        ("ECS/ContainerInsights", "RunningTaskCount")
    );
    assert_eq!(
        dims,
        &[
            ("ClusterName".to_string(), "demo-test".to_string()),
            ("ServiceName".to_string(), "worker".to_string())
        ]
    );
}
