use super::*;
use crate::model::Environment;
use crate::state::lb::{ImportedAlb, Weighted};
use crate::validate::testing::service_in;

const WEB: &str =
    "name: api\ntype: Load Balanced Web Service\nimage:\n  location: nginx\n  port: 8080\n";
const HTTP_LISTENER: &str =
    "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/demo-test-PublicLoadBalancer/abc/http";
const HTTPS_LISTENER: &str =
    "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/demo-test-PublicLoadBalancer/abc/https";

fn env(https: bool) -> Environment {
    Environment {
        vpc: Some("vpc-1".into()),
        http_listener: Some(HTTP_LISTENER.into()),
        https_listener: https.then(|| HTTPS_LISTENER.into()),
        internal_http_listener: Some("internal-http".into()),
        internal_lb_dns: Some("internal-lb.example".into()),
        internal_zone_name: Some("test.demo.internal".into()),
        subdomain: Some("test.demo.example.com".into()),
        ..Environment::default()
    }
}

fn want(yaml: &str, https: bool) -> DesiredLb {
    let svc = service_in(yaml, Some("test"));
    desired_lb(&svc, "demo", "test", Some(&env(https)), None).expect("a load balancer")
}

fn rule(arn: &str, priority: i32, paths: &[&str], action: RuleAction) -> ListenerRule {
    ListenerRule {
        arn: arn.into(),
        priority: Some(priority),
        conditions: Conditions {
            paths: paths.iter().map(|p| p.to_string()).collect(),
            ..Conditions::default()
        },
        action,
    }
}

fn existing_tg(want: &DesiredTargetGroup, arn: &str) -> TargetGroup {
    TargetGroup {
        arn: arn.into(),
        name: want.name.clone(),
        port: want.port,
        protocol: want.protocol.clone(),
        protocol_version: want.protocol_version.clone(),
        health: HealthCheck {
            path: want.health.path.clone(),
            port: want.health.port.clone(),
            success_codes: Some("200".into()),
            healthy_threshold: Some(5),
            unhealthy_threshold: Some(2),
            interval_s: Some(30),
            timeout_s: Some(6),
        },
        deregistration_delay_s: Some(want.deregistration_delay_s),
        stickiness: Some(want.stickiness),
        load_balancers: Vec::new(),
    }
}

#[test]
fn a_web_service_on_an_http_listener_gets_copilots_rule_and_target_group() {
    let lb = want(
        &format!(
            "{WEB}http:\n  path: api\n  healthcheck:\n    path: /health\n    success_codes: '200,301'\n    interval: 15s\n    grace_period: 2m\n  deregistration_delay: 5s\n  stickiness: true\n  allowed_source_ips: [10.0.0.0/8]\n"
        ),
        false,
    );
    assert_eq!(lb.grace_period_s, 120);
    assert_eq!(lb.listeners, [HTTP_LISTENER]);
    let r = &lb.rules[0];
    assert_eq!(
        (r.path.as_str(), r.container.as_str(), r.port),
        ("/api", "api", 8080)
    );
    assert_eq!(
        r.listeners,
        [ListenerUse {
            listener: HTTP_LISTENER.into(),
            conditions: Conditions {
                hosts: Vec::new(),
                paths: vec!["/api".into(), "/api/*".into()],
                source_ips: vec!["10.0.0.0/8".into()],
            },
            action: UseAction::Forward,
        }]
    );
    let tg = &r.target_group;
    assert_eq!(
        (tg.protocol.as_str(), tg.protocol_version.as_str(), tg.port),
        ("HTTP", "HTTP1", 8080)
    );
    assert_eq!(tg.health.path, "/health");
    assert_eq!(tg.health.port, "traffic-port");
    assert_eq!(tg.health.success_codes.as_deref(), Some("200,301"));
    assert_eq!(tg.health.interval_s, Some(15));
    assert_eq!(tg.health.timeout_s, None);
    assert_eq!((tg.deregistration_delay_s, tg.stickiness), (5, true));
    assert!(
        tg.name.len() <= 32 && tg.name.starts_with("api-"),
        "{}",
        tg.name
    );
}

#[test]
fn copilots_defaults_fill_what_the_manifest_leaves_out() {
    let lb = want(&format!("{WEB}http:\n  path: '/'\n"), false);
    let r = &lb.rules[0];
    assert_eq!(r.listeners[0].conditions.paths, ["/*"]);
    assert_eq!(r.target_group.health.path, "/");
    assert_eq!(r.target_group.deregistration_delay_s, 60);
    assert!(!r.target_group.stickiness);
    assert_eq!(lb.grace_period_s, 60);
}

#[test]
fn with_https_the_http_listener_redirects_and_hosts_are_the_aliases_or_the_subdomain() {
    let lb = want(&format!("{WEB}http:\n  path: /\n"), true);
    let uses = &lb.rules[0].listeners;
    assert_eq!(uses.len(), 2);
    assert_eq!(uses[0].action, UseAction::RedirectToHttps);
    assert_eq!(uses[1].listener, HTTPS_LISTENER);
    assert_eq!(uses[1].conditions.hosts, ["api.test.demo.example.com"]);
    let lb = want(
        &format!(
            "{WEB}http:\n  path: /\n  alias: [b.example.com, a.example.com]\n  redirect_to_https: false\n"
        ),
        true,
    );
    let uses = &lb.rules[0].listeners;
    assert_eq!(uses[0].action, UseAction::Forward);
    assert_eq!(uses[1].conditions.hosts, ["a.example.com", "b.example.com"]);
}

#[test]
fn a_backend_service_with_http_is_on_the_internal_listener_under_its_names() {
    let lb = want(
        "name: api\ntype: Backend Service\nimage:\n  location: nginx\n  port: 8080\nhttp:\n  path: /api\n",
        false,
    );
    assert_eq!(lb.listeners, ["internal-http"]);
    assert_eq!(
        lb.rules[0].listeners[0].conditions.hosts,
        ["api.test.demo.internal", "internal-lb.example"]
    );
    let none = service_in(
        "name: api\ntype: Backend Service\nimage:\n  location: nginx\n  port: 8080\n",
        Some("test"),
    );
    assert!(desired_lb(&none, "demo", "test", Some(&env(false)), None).is_none());
}

#[test]
fn additional_rules_get_their_own_target_group_and_target() {
    let lb = want(
        &format!(
            "{WEB}http:\n  path: /\n  additional_rules:\n    - path: admin\n      target_port: 9000\n      version: grpc\nsidecars:\n  envoy:\n    image: envoy\n    port: 9000\n"
        ),
        false,
    );
    assert_eq!(lb.rules.len(), 2);
    let admin = &lb.rules[1];
    assert_eq!((admin.container.as_str(), admin.port), ("envoy", 9000));
    assert_eq!(admin.target_group.protocol_version, "GRPC");
    assert_ne!(admin.target_group.name, lb.rules[0].target_group.name);
}

#[test]
fn priorities_follow_copilots_rule_priority_function() {
    let rules = vec![
        rule("r1", 1, &["/a"], RuleAction::Other),
        rule("r2", 7, &["/b"], RuleAction::Other),
        rule("root", 49999, &["/*"], RuleAction::Other),
    ];
    assert_eq!(next_priority(&rules, &[], false), 8);
    assert_eq!(next_priority(&rules, &[8], false), 9);
    assert_eq!(next_priority(&rules, &[], true), 49998);
    assert_eq!(next_priority(&[], &[], true), 50000);
    assert_eq!(next_priority(&[], &[], false), 1);
}

#[test]
fn a_new_service_gets_target_groups_then_rules_at_free_priorities() {
    let lb = want(
        &format!("{WEB}http:\n  path: /api\n  additional_rules:\n    - path: /admin\n"),
        false,
    );
    let other_service = rule(
        "other",
        3,
        &["/other", "/other/*"],
        RuleAction::to("tg-other"),
    );
    let cur = LbState {
        records: Vec::new(),
        target_groups: Vec::new(),
        listeners: vec![(HTTP_LISTENER.into(), vec![other_service])],
    };
    let p = plan_lb(&lb, &cur, &[]);
    assert_eq!(
        p.first,
        [
            LbStep::CreateTargetGroup { rule: 0 },
            LbStep::CreateTargetGroup { rule: 1 }
        ]
    );
    let priorities: Vec<i32> = p
        .second
        .iter()
        .filter_map(|s| match s {
            LbStep::CreateRule {
                priority,
                target_group,
                ..
            } => {
                assert!(matches!(target_group, TgRef::New(_)));
                Some(*priority)
            }
            _ => None,
        })
        .collect();
    assert_eq!(priorities, [4, 5]);
    assert_eq!(
        p.load_balancers,
        Some(vec![
            (TgRef::New(0), "api".into(), 8080),
            (TgRef::New(1), "api".into(), 8080)
        ])
    );
}

#[test]
fn a_changed_path_updates_the_rule_in_place_and_nothing_else() {
    let lb = want(&format!("{WEB}http:\n  path: /v2\n"), false);
    let tg = existing_tg(&lb.rules[0].target_group, "tg-api");
    let ours = rule("rule-api", 4, &["/v1", "/v1/*"], RuleAction::to("tg-api"));
    let cur = LbState {
        records: Vec::new(),
        target_groups: vec![tg],
        listeners: vec![(HTTP_LISTENER.into(), vec![ours])],
    };
    let service = [LoadBalancer {
        target_group: "tg-api".into(),
        container: "api".into(),
        port: 8080,
    }];
    let p = plan_lb(&lb, &cur, &service);
    assert!(p.first.is_empty(), "{:?}", p.first);
    assert_eq!(p.load_balancers, None);
    match p.second.as_slice() {
        [
            LbStep::ModifyRule {
                arn,
                conditions,
                target_group,
                ..
            },
        ] => {
            assert_eq!(arn, "rule-api");
            assert_eq!(conditions.paths, ["/v2", "/v2/*"]);
            assert_eq!(target_group, &TgRef::Existing("tg-api".into()));
        }
        other => panic!("{other:?}"),
    }
    // Nothing changes when it is as wanted.
    let same = LbState {
        listeners: vec![(
            HTTP_LISTENER.into(),
            vec![rule(
                "rule-api",
                4,
                &["/v2", "/v2/*"],
                RuleAction::to("tg-api"),
            )],
        )],
        ..cur
    };
    let p = plan_lb(&lb, &same, &service);
    assert_eq!(
        p,
        LbPlan {
            targets: vec![TgRef::Existing("tg-api".into())],
            ..LbPlan::default()
        }
    );
}

#[test]
fn health_check_and_attributes_change_in_place_and_a_new_port_moves_the_service_only() {
    let lb = want(
        &format!(
            "{WEB}http:\n  path: /\n  target_port: 8081\n  healthcheck: /ready\n  deregistration_delay: 10s\n"
        ),
        false,
    );
    let mut tg = existing_tg(&lb.rules[0].target_group, "tg-api");
    tg.health.path = "/".into();
    tg.deregistration_delay_s = Some(60);
    tg.port = 8080;
    let ours = rule("rule-api", 49999, &["/*"], RuleAction::to("tg-api"));
    let cur = LbState {
        records: Vec::new(),
        target_groups: vec![tg],
        listeners: vec![(HTTP_LISTENER.into(), vec![ours])],
    };
    let service = [LoadBalancer {
        target_group: "tg-api".into(),
        container: "api".into(),
        port: 8080,
    }];
    let p = plan_lb(&lb, &cur, &service);
    assert_eq!(
        p.first,
        [
            LbStep::ModifyTargetGroup {
                rule: 0,
                arn: "tg-api".into()
            },
            LbStep::SetTargetGroupAttributes {
                rule: 0,
                target_group: TgRef::Existing("tg-api".into())
            }
        ]
    );
    assert!(p.second.is_empty());
    assert_eq!(
        p.load_balancers,
        Some(vec![(TgRef::Existing("tg-api".into()), "api".into(), 8081)])
    );
}

fn http1_service(lb: &DesiredLb, priority: i32) -> (LbState, [LoadBalancer; 1]) {
    let mut tg = existing_tg(&lb.rules[0].target_group, "tg-old");
    tg.protocol_version = "HTTP1".into();
    tg.name = "api-old".into();
    let cur = LbState {
        records: Vec::new(),
        target_groups: vec![tg],
        listeners: vec![(
            HTTP_LISTENER.into(),
            vec![rule(
                "rule-api",
                priority,
                &["/*"],
                RuleAction::to("tg-old"),
            )],
        )],
    };
    let service = [LoadBalancer {
        target_group: "tg-old".into(),
        container: "api".into(),
        port: 8080,
    }];
    (cur, service)
}

/// A rule forwarding to the old group and the new one, by weight.
fn weighted(arn: &str, priority: i32, old: i32, new: i32) -> ListenerRule {
    rule(
        arn,
        priority,
        &["/*"],
        RuleAction::Forward(vec![
            Weighted {
                arn: "tg-old".into(),
                weight: old,
            },
            Weighted {
                arn: "tg-new".into(),
                weight: new,
            },
        ]),
    )
}

fn entries(tgs: &[&str]) -> Vec<LoadBalancer> {
    tgs.iter()
        .map(|t| LoadBalancer {
            target_group: t.to_string(),
            container: "api".into(),
            port: 8080,
        })
        .collect()
}

#[test]
fn a_new_protocol_version_starts_a_replacement_that_never_leaves_the_path_without_targets() {
    // The root rule, at Copilot's last priority: no other priority is needed.
    let lb = want(&format!("{WEB}http:\n  path: /\n  version: grpc\n"), false);
    let (cur, service) = http1_service(&lb, 50000);
    let p = plan_lb(&lb, &cur, &service);
    // The new group, with a name of its own.
    assert_ne!(lb.rules[0].target_group.name, "api-old");
    assert_eq!(p.first, [LbStep::CreateTargetGroup { rule: 0 }]);
    // It joins the rule at weight 0 (the rule still sends everything to the
    // old group), so that the service can register in both.
    assert_eq!(
        p.second,
        [
            LbStep::SetTargetGroupAttributes {
                rule: 0,
                target_group: TgRef::New(0)
            },
            LbStep::WeighRule {
                rule: 0,
                arn: "rule-api".into(),
                conditions: cur.listeners[0].1[0].conditions.clone(),
                weights: vec![(TgRef::Existing("tg-old".into()), 1), (TgRef::New(0), 0)],
            }
        ]
    );
    assert_eq!(
        p.load_balancers,
        Some(vec![
            (TgRef::Existing("tg-old".into()), "api".into(), 8080),
            (TgRef::New(0), "api".into(), 8080)
        ]),
        "the service registers in both"
    );
    assert_eq!(
        p.swaps,
        [Swap {
            rule: 0,
            from: "tg-old".into(),
            to: TgRef::New(0),
            rules: vec![("rule-api".into(), cur.listeners[0].1[0].conditions.clone())],
            phase: Phase::Start,
        }]
    );
    assert!(p.cleanup.is_empty(), "nothing is deleted now");
}

#[test]
fn a_replacement_takes_up_the_new_group_an_interrupted_try_made() {
    let lb = want(&format!("{WEB}http:\n  path: /\n  version: grpc\n"), false);
    let (mut cur, service) = http1_service(&lb, 49999);
    cur.target_groups
        .push(existing_tg(&lb.rules[0].target_group, "tg-new"));
    // The first try left the new group on the rule at weight 0.
    cur.listeners[0].1 = vec![weighted("rule-api", 49999, 1, 0)];
    let p = plan_lb(&lb, &cur, &service);
    assert!(p.first.is_empty(), "{:?}", p.first);
    assert!(
        p.second.is_empty(),
        "the rule is as the first phase wants it: {:?}",
        p.second
    );
    assert_eq!(p.swaps[0].to, TgRef::Existing("tg-new".into()));
    assert_eq!(p.swaps[0].phase, Phase::Start);
}

#[test]
fn where_a_replacement_stands_is_read_from_what_aws_holds() {
    let lb = want(&format!("{WEB}http:\n  path: /\n  version: grpc\n"), false);
    let (mut cur, _) = http1_service(&lb, 49999);
    cur.target_groups
        .push(existing_tg(&lb.rules[0].target_group, "tg-new"));
    // Registered in both (the first rollout ran, or runs): the rule is
    // left to the deploy, which moves it once the new group is healthy.
    for (old, new) in [(1, 0), (0, 1)] {
        cur.listeners[0].1 = vec![weighted("rule-api", 49999, old, new)];
        let p = plan_lb(&lb, &cur, &entries(&["tg-old", "tg-new"]));
        assert_eq!(p.load_balancers, None, "the entries stay as they are");
        assert!(p.second.is_empty() && p.first.is_empty(), "{p:?}");
        assert_eq!(p.swaps[0].phase, Phase::Split);
        assert_eq!(p.swaps[0].from, "tg-old");
        assert_eq!(p.swaps[0].to, TgRef::Existing("tg-new".into()));
        assert_eq!(p.swaps[0].rules[0].0, "rule-api");
    }
    // The service left the old group; the rule still names it: the last phase.
    cur.listeners[0].1 = vec![weighted("rule-api", 49999, 0, 1)];
    let p = plan_lb(&lb, &cur, &entries(&["tg-new"]));
    assert_eq!(p.load_balancers, None);
    assert!(p.second.is_empty() && p.cleanup.is_empty(), "{p:?}");
    assert_eq!(
        (p.swaps[0].phase, p.swaps[0].from.as_str()),
        (Phase::Settle, "tg-old")
    );
    // Done: nothing left to do.
    cur.listeners[0].1 = vec![rule("rule-api", 49999, &["/*"], RuleAction::to("tg-new"))];
    let p = plan_lb(&lb, &cur, &entries(&["tg-new"]));
    assert!(p.swaps.is_empty() && p.second.is_empty(), "{p:?}");
}

#[test]
fn a_dropped_rule_loses_its_listener_rule_and_its_service_entry() {
    let lb = want(&format!("{WEB}http:\n  path: /\n"), false);
    let main = existing_tg(&lb.rules[0].target_group, "tg-main");
    let mut admin = main.clone();
    admin.arn = "tg-admin".into();
    let cur = LbState {
        records: Vec::new(),
        target_groups: vec![main, admin],
        listeners: vec![(
            HTTP_LISTENER.into(),
            vec![
                rule("rule-main", 49999, &["/*"], RuleAction::to("tg-main")),
                rule(
                    "rule-admin",
                    2,
                    &["/admin", "/admin/*"],
                    RuleAction::to("tg-admin"),
                ),
            ],
        )],
    };
    let entry = |tg: &str| LoadBalancer {
        target_group: tg.into(),
        container: "api".into(),
        port: 8080,
    };
    let p = plan_lb(&lb, &cur, &[entry("tg-main"), entry("tg-admin")]);
    assert_eq!(
        p.cleanup,
        [LbStep::DeleteRule {
            arn: "rule-admin".into()
        }]
    );
    assert_eq!(
        p.load_balancers,
        Some(vec![(
            TgRef::Existing("tg-main".into()),
            "api".into(),
            8080
        )])
    );
}

/// Copilot's own fixture `internal/pkg/deploy/cloudformation/stack/testdata/
/// workloads/svc-grpc-manifest.yml` (its load balancer fields) against what
/// Copilot rendered for it in `svc-grpc-test.stack.yml`, in an environment
/// with HTTPS.
#[test]
fn copilots_grpc_fixture_renders_the_same_target_group_and_rules() {
    let lb = want(
        "name: gRPC\ntype: Load Balanced Web Service\nimage:\n  build: ./Dockerfile\n  port: 50051\nhttp:\n  version: gRPC\n  path: '/'\n  alias: example.com\n",
        true,
    );
    assert_eq!(lb.grace_period_s, 60, "HealthCheckGracePeriodSeconds: 60");
    let r = &lb.rules[0];
    assert_eq!(
        (r.container.as_str(), r.port),
        ("gRPC", 50051),
        "LoadBalancers: ContainerName gRPC, ContainerPort 50051"
    );
    let tg = &r.target_group;
    assert_eq!(tg.health.path, "/");
    assert_eq!(
        (tg.port, tg.protocol.as_str(), tg.protocol_version.as_str()),
        (50051, "HTTP", "GRPC")
    );
    assert_eq!((tg.deregistration_delay_s, tg.stickiness), (60, false));
    let expected = Conditions {
        hosts: vec!["example.com".into()],
        paths: vec!["/*".into()],
        source_ips: Vec::new(),
    };
    assert_eq!(
        r.listeners,
        [
            ListenerUse {
                listener: HTTP_LISTENER.into(),
                conditions: expected.clone(),
                action: UseAction::RedirectToHttps,
            },
            ListenerUse {
                listener: HTTPS_LISTENER.into(),
                conditions: expected,
                action: UseAction::Forward,
            }
        ],
        "HTTPListenerRuleWithDomain redirects, HTTPSListenerRule forwards"
    );
}

#[test]
fn an_imported_load_balancer_gets_the_rules_as_copilots_imported_alb_template_has_them() {
    let svc = service_in(
        &format!("{WEB}http:\n  path: /\n  alb: mine\n"),
        Some("test"),
    );
    let both = ImportedAlb {
        arn: "arn:lb".into(),
        dns_name: "mine.example".into(),
        hosted_zone_id: "ZLB".into(),
        vpc: "vpc-9".into(),
        http_listener: Some("imported-http".into()),
        https_listener: Some("imported-https".into()),
    };
    let lb = desired_lb(&svc, "demo", "test", Some(&env(true)), Some(&both)).unwrap();
    assert_eq!(lb.vpc, "vpc-9");
    assert_eq!(lb.listeners, ["imported-http", "imported-https"]);
    let uses = &lb.rules[0].listeners;
    assert_eq!(
        uses.iter()
            .map(|u| (u.listener.as_str(), u.action.clone()))
            .collect::<Vec<_>>(),
        [
            ("imported-http", UseAction::RedirectToHttps),
            ("imported-https", UseAction::Forward)
        ]
    );
    assert!(
        uses[1].conditions.hosts.is_empty(),
        "no host condition without aliases"
    );
    let http_only = ImportedAlb {
        https_listener: None,
        ..both
    };
    let lb = desired_lb(&svc, "demo", "test", None, Some(&http_only)).unwrap();
    assert_eq!(lb.rules[0].listeners.len(), 1);
    assert_eq!(lb.rules[0].listeners[0].action, UseAction::Forward);
}

#[test]
fn a_target_group_an_interrupted_deploy_created_is_taken_up_by_its_name() {
    let lb = want(&format!("{WEB}http:\n  path: /\n"), false);
    let made = existing_tg(&lb.rules[0].target_group, "tg-made-earlier");
    let cur = LbState {
        records: Vec::new(),
        target_groups: vec![made],
        listeners: vec![(HTTP_LISTENER.into(), Vec::new())],
    };
    let p = plan_lb(&lb, &cur, &[]);
    assert!(p.first.is_empty(), "no second target group: {:?}", p.first);
    assert_eq!(p.targets, [TgRef::Existing("tg-made-earlier".into())]);
    assert!(matches!(
        p.second.as_slice(),
        [LbStep::CreateRule { target_group: TgRef::Existing(arn), .. }] if arn == "tg-made-earlier"
    ));
}

#[test]
fn aliases_with_a_hosted_zone_get_a_records_to_the_load_balancer_kept_when_they_point_there() {
    let svc = service_in(
        &format!(
            "{WEB}http:\n  path: /\n  alias:\n    - name: a.example.com\n    - name: b.example.org\n      hosted_zone: ZORG\n  hosted_zone: ZCOM\n"
        ),
        Some("test"),
    );
    let mut e = env(true);
    e.public_lb_dns = Some("public-lb.example".into());
    e.public_lb_zone = Some("ZLB".into());
    let lb = desired_lb(&svc, "demo", "test", Some(&e), None).unwrap();
    let record = |zone: &str, name: &str| AliasRecord {
        zone: zone.into(),
        name: name.into(),
        target_dns: "public-lb.example".into(),
        target_zone: "ZLB".into(),
    };
    assert_eq!(
        lb.records,
        [
            record("ZCOM", "a.example.com"),
            record("ZORG", "b.example.org")
        ],
        "an alias's own hosted zone wins over http.hosted_zone"
    );
    let mut cur = LbState {
        records: vec![AliasRecord {
            name: "A.example.com.".into(),
            target_dns: "dualstack.public-lb.example.".into(),
            ..record("ZCOM", "a.example.com")
        }],
        listeners: vec![
            (HTTP_LISTENER.into(), Vec::new()),
            (HTTPS_LISTENER.into(), Vec::new()),
        ],
        ..LbState::default()
    };
    let p = plan_lb(&lb, &cur, &[]);
    let upserts: Vec<&LbStep> = p
        .first
        .iter()
        .filter(|s| matches!(s, LbStep::UpsertRecords { .. }))
        .collect();
    assert_eq!(
        upserts,
        [&LbStep::UpsertRecords {
            zone: "ZORG".into(),
            records: vec![record("ZORG", "b.example.org")]
        }],
        "Route 53's spelling of the same record is the same record"
    );
    cur.records.clear();
    let p = plan_lb(&lb, &cur, &[]);
    assert_eq!(
        p.first
            .iter()
            .filter(|s| matches!(s, LbStep::UpsertRecords { .. }))
            .count(),
        2
    );
    // HTTP only: Copilot makes no records.
    let http_only = desired_lb(&svc, "demo", "test", Some(&env(false)), None).unwrap();
    assert!(http_only.records.is_empty());
}
