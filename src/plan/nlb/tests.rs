use super::*;
use crate::state::lb::HealthCheck;
use crate::validate::testing::service_in;

const WEB: &str = "name: api\ntype: Load Balanced Web Service\nimage:\n  location: nginx\n  port: 8080\nhttp: false\n";
const LB: &str =
    "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/demo-test-api-Publi/abc";

fn env() -> Environment {
    Environment {
        vpc: Some("vpc-1".into()),
        public_subnets: vec!["subnet-a".into(), "subnet-b".into()],
        security_group: Some("sg-env".into()),
        ..Environment::default()
    }
}

fn want(yaml: &str) -> DesiredNlb {
    let svc = service_in(&format!("{WEB}{yaml}"), Some("test"));
    desired_nlb(&svc, "demo", "test", Some(&env())).expect("a network load balancer")
}

/// What Copilot's `nlb.yml` leaves for `want`: the load balancer with its
/// security group, a listener and a target group per listener, the rules.
fn copilot_made(want: &DesiredNlb) -> (NlbState, Vec<LoadBalancer>) {
    let mut listeners = Vec::new();
    let mut tgs = Vec::new();
    let mut entries = Vec::new();
    for (i, l) in want.listeners.iter().enumerate() {
        let tg = format!("arn:tg/NetworkLoadBalancerTargetGroup{i}");
        listeners.push(NlbListenerState {
            arn: format!("{LB}/listener{i}"),
            port: l.port,
            protocol: l.protocol.clone(),
            ssl_policy: l.ssl_policy.clone(),
            certificates: if l.protocol == "TLS" {
                vec!["arn:acm:cert".into()]
            } else {
                Vec::new()
            },
            target_group: Some(tg.clone()),
        });
        tgs.push(TargetGroup {
            arn: tg.clone(),
            name: format!("demo-Netwo-{i}"),
            port: l.target_port,
            protocol: l.target_group.protocol.clone(),
            protocol_version: "HTTP1".into(),
            health: HealthCheck {
                port: l.target_group.health.port.clone(),
                healthy_threshold: Some(3),
                unhealthy_threshold: Some(3),
                interval_s: Some(30),
                timeout_s: Some(10),
                ..HealthCheck::default()
            },
            deregistration_delay_s: Some(60),
            stickiness: Some(false),
            load_balancers: vec![LB.into()],
        });
        entries.push(LoadBalancer {
            target_group: tg,
            container: l.container.clone(),
            port: l.target_port,
        });
    }
    let state = NlbState {
        load_balancer: Some(NetworkLb {
            arn: LB.into(),
            name: "demo-test-api-Publi".into(),
            dns_name: "demo-test-api.elb.example".into(),
            hosted_zone_id: "Z1".into(),
            security_groups: vec!["sg-nlb".into()],
            listeners,
        }),
        target_groups: tgs,
        security_groups: vec![
            SecurityGroup {
                id: "sg-nlb".into(),
                name: "demo-test-api-NetworkLoadBalancerSecurityGroup-X".into(),
                ingress: want.listeners.iter().map(|l| l.ingress()).collect(),
            },
            SecurityGroup {
                id: "sg-env".into(),
                name: "demo-test-EnvironmentSecurityGroup-Y".into(),
                ingress: vec![Ingress {
                    protocol: "-1".into(),
                    ports: None,
                    source: IngressSource::Group("sg-nlb".into()),
                    description: None,
                }],
            },
        ],
        records: Vec::new(),
    };
    (state, entries)
}

fn kinds(steps: &[NlbStep]) -> Vec<&'static str> {
    steps.iter().map(NlbStep::operation).collect()
}

#[test]
fn a_new_service_gets_copilots_load_balancer_security_groups_listeners_and_target_groups() {
    let w = want(
        "nlb:\n  port: 443/tls\n  target_port: 8080\n  additional_listeners:\n    - port: 8081/udp\n      healthcheck:\n        port: 8080\n      deregistration_delay: 30s\n",
    );
    assert_eq!(w.subnets, ["subnet-a", "subnet-b"]);
    // A TLS listener needs a certificate, and a new load balancer has none to give.
    let refused = plan_nlb(&w, &NlbState::default(), &[]).unwrap_err();
    assert_eq!(refused, vec![Refusal::NoCertificate { port: 443 }]);
    assert_eq!(refused[0].diagnostic().code, "no-certificate");

    let w = want(
        "nlb:\n  port: 80/tcp\n  target_port: 8080\n  additional_listeners:\n    - port: 8081/udp\n      healthcheck:\n        port: 8080\n      deregistration_delay: 30s\n",
    );
    let p = plan_nlb(&w, &NlbState::default(), &[]).unwrap();
    assert_eq!(
        kinds(&p.first),
        [
            "ec2:CreateSecurityGroup",
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:CreateTargetGroup"
        ]
    );
    // The load balancer's group is open on its listener ports; the
    // environment's lets everything from the load balancer in.
    let NlbStep::AuthorizeIngress { group, rules } = &p.second[0] else {
        panic!("{:?}", p.second)
    };
    assert_eq!(group, &Ref::New);
    let ports: Vec<(String, Option<(i32, i32)>)> = rules
        .iter()
        .map(|r| match r {
            Source::Rule(i) => (i.protocol.clone(), i.ports),
            Source::FromLoadBalancer(_) => ("all".into(), None),
        })
        .collect();
    assert_eq!(
        ports,
        [
            ("tcp".to_string(), Some((80, 80))),
            ("udp".to_string(), Some((8081, 8081)))
        ]
    );
    assert_eq!(
        p.second[1],
        NlbStep::AuthorizeIngress {
            group: Ref::Existing("sg-env".into()),
            rules: vec![Source::FromLoadBalancer(Ref::New)],
        }
    );
    assert_eq!(
        p.second[2],
        NlbStep::CreateLoadBalancer {
            security_group: Some(Ref::New)
        }
    );
    assert_eq!(
        kinds(&p.third),
        [
            "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:CreateListener"
        ]
    );
    assert_eq!(
        p.entries,
        vec![
            (TgRef::NewNlb(0), "api".to_string(), 8080),
            (TgRef::NewNlb(1), "api".to_string(), 8081)
        ]
    );
    // The UDP target group is checked over TCP on the port the manifest names.
    assert_eq!(w.listeners[1].target_group.protocol, "UDP");
    assert_eq!(w.listeners[1].target_group.health.port, "8080");
    assert_eq!(w.listeners[1].target_group.deregistration_delay_s, 30);
    assert_eq!(w.listeners[0].target_group.stickiness, Some(false));
}

#[test]
fn a_new_load_balancer_needs_the_environment_stack() {
    let svc = service_in(&format!("{WEB}nlb:\n  port: 80\n"), Some("test"));
    let w = desired_nlb(&svc, "demo", "test", None).unwrap();
    assert_eq!(
        plan_nlb(&w, &NlbState::default(), &[]).unwrap_err(),
        vec![Refusal::NoEnvironment]
    );
}

#[test]
fn what_copilot_made_is_kept_and_changed_in_place() {
    let yaml = "nlb:\n  port: 443/tls\n  healthcheck:\n    port: 8080\n  additional_listeners:\n    - port: 8081/udp\n      healthcheck:\n        port: 8080\n";
    let w = want(yaml);
    let (cur, entries) = copilot_made(&w);
    let p = plan_nlb(&w, &cur, &entries).unwrap();
    assert_eq!(
        p,
        NlbPlan {
            entries: p.entries.clone(),
            network_target_groups: p.network_target_groups.clone(),
            ..NlbPlan::default()
        },
        "nothing to change"
    );
    assert_eq!(
        p.entries,
        entries
            .iter()
            .map(|e| (
                TgRef::Existing(e.target_group.clone()),
                e.container.clone(),
                e.port
            ))
            .collect::<Vec<_>>()
    );

    // A new health check, a new port, a listener gone, one added.
    let changed = want(
        "nlb:\n  port: 444/tls\n  healthcheck:\n    port: 8080\n    healthy_threshold: 5\n  additional_listeners:\n    - port: 9000/tcp\n      target_port: 9000\n",
    );
    let p = plan_nlb(&changed, &cur, &entries).unwrap();
    assert_eq!(
        kinds(&p.first),
        [
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:CreateTargetGroup"
        ]
    );
    // The TLS listener moves to 444 in place, its certificate kept; the new
    // TCP one is added; the security group opens both new ports.
    assert_eq!(
        p.third,
        vec![
            NlbStep::ModifyListener {
                listener: 0,
                arn: format!("{LB}/listener0"),
                target_group: TgRef::Existing("arn:tg/NetworkLoadBalancerTargetGroup0".into()),
                certificates: Vec::new(),
            },
            NlbStep::CreateListener {
                listener: 1,
                target_group: TgRef::NewNlb(1),
                certificates: Vec::new(),
            },
        ]
    );
    assert!(matches!(
        &p.second[0],
        NlbStep::AuthorizeIngress { group: Ref::Existing(g), rules } if g == "sg-nlb" && rules.len() == 2
    ));
    assert_eq!(
        p.cleanup,
        vec![NlbStep::DeleteListener {
            arn: format!("{LB}/listener1"),
            port: 8081
        }]
    );
}

#[test]
fn a_new_tls_listener_takes_the_load_balancers_certificate() {
    let w = want("nlb:\n  port: 443/tls\n");
    let (cur, entries) = copilot_made(&w);
    let more = want(
        "nlb:\n  port: 443/tls\n  additional_listeners:\n    - port: 8443/tls\n      target_port: 8080\n",
    );
    let p = plan_nlb(&more, &cur, &entries).unwrap();
    assert_eq!(
        p.third,
        vec![NlbStep::CreateListener {
            listener: 1,
            target_group: TgRef::NewNlb(1),
            certificates: vec!["arn:acm:cert".into()],
        }]
    );
}

#[test]
fn a_listener_that_changes_protocol_moves_to_a_new_target_group_in_place() {
    let w = want("nlb:\n  port: 8081/tcp\n");
    let (cur, entries) = copilot_made(&w);
    let udp = want("nlb:\n  port: 8081/udp\n  healthcheck:\n    port: 8080\n");
    let p = plan_nlb(&udp, &cur, &entries).unwrap();
    assert_eq!(kinds(&p.first), ["elasticloadbalancing:CreateTargetGroup"]);
    assert_eq!(
        p.third,
        vec![NlbStep::ModifyListener {
            listener: 0,
            arn: format!("{LB}/listener0"),
            target_group: TgRef::NewNlb(0),
            certificates: Vec::new(),
        }]
    );
    assert_eq!(p.entries, vec![(TgRef::NewNlb(0), "api".to_string(), 8081)]);
    assert!(
        p.cleanup.is_empty(),
        "the listener stays: it changed in place"
    );
    assert_ne!(
        w.listeners[0].target_group.name, udp.listeners[0].target_group.name,
        "the UDP target group has a name of its own"
    );
}

#[test]
fn grace_period_comes_from_http_then_nlb() {
    let svc = |extra: &str| {
        service_in(
            &format!(
                "name: api\ntype: Load Balanced Web Service\nimage:\n  location: nginx\n  port: 8080\n{extra}"
            ),
            Some("test"),
        )
    };
    assert_eq!(grace_period(&svc("")), 60);
    assert_eq!(
        grace_period(&svc(
            "http: false\nnlb:\n  port: 80\n  healthcheck:\n    grace_period: 2m\n"
        )),
        120
    );
    assert_eq!(
        grace_period(&svc("http:\n  healthcheck:\n    grace_period: 30s\n")),
        30
    );
}

#[test]
fn host_names_alias_the_load_balancer_in_the_environments_hosted_zone() {
    let env = Environment {
        hosted_zone: Some("Z-ENV".into()),
        subdomain: Some("test.demo.example.com".into()),
        ..env()
    };
    let svc = |extra: &str| service_in(&format!("{WEB}nlb:\n  port: 80\n{extra}"), Some("test"));
    // No alias: Copilot's default `{svc}-nlb.{subdomain}`.
    let w = desired_nlb(&svc(""), "demo", "test", Some(&env)).unwrap();
    assert_eq!(
        w.records,
        Some((
            "Z-ENV".to_string(),
            vec!["api-nlb.test.demo.example.com".to_string()]
        ))
    );
    // Aliases under the subdomain are recorded; others cannot be.
    let w = desired_nlb(
        &svc("  alias: [v1.test.demo.example.com, api.example.org]\n"),
        "demo",
        "test",
        Some(&env),
    )
    .unwrap();
    assert_eq!(
        w.records,
        Some((
            "Z-ENV".to_string(),
            vec!["v1.test.demo.example.com".to_string()]
        ))
    );
    assert_eq!(w.unrecorded, ["api.example.org"]);
    // A new load balancer: the record is made once it exists (third group).
    let p = plan_nlb(&w, &NlbState::default(), &[]).unwrap();
    assert_eq!(
        p.third.last(),
        Some(&NlbStep::UpsertRecords {
            zone: "Z-ENV".into(),
            names: vec!["v1.test.demo.example.com".into()],
        })
    );
    // One that points at the load balancer already: nothing to do.
    let (mut cur, entries) = copilot_made(&w);
    let lb = cur.load_balancer.clone().unwrap();
    cur.records = vec![AliasRecord {
        zone: "/hostedzone/Z-ENV".into(),
        name: "v1.test.demo.example.com.".into(),
        target_dns: format!("dualstack.{}.", lb.dns_name),
        target_zone: lb.hosted_zone_id.clone(),
    }];
    let p = plan_nlb(&w, &cur, &entries).unwrap();
    assert!(p.third.is_empty(), "{:?}", p.third);
    // Without a domain: no record, every alias unrecorded.
    let w = desired_nlb(
        &svc("  alias: v1.example.com\n"),
        "demo",
        "test",
        Some(&super::tests::env()),
    )
    .unwrap();
    assert_eq!(
        (w.records, w.unrecorded),
        (None, vec!["v1.example.com".to_string()])
    );
}
