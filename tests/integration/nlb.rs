//! `nlb`: a Load Balanced Web Service's own network load balancer, as
//! Copilot's `nlb.yml` makes it (the load balancer, its security group open on
//! the listener ports, the environment's group open to it, a listener and a
//! target group per listener), created for a new service and kept and changed
//! in place for one Copilot deployed.

use aws_sdk_elasticloadbalancingv2 as elb;
use serde_json::Value;

use crate::support::{Stage, changes};

/// The example's `http` replaced by `nlb` (the rest of the manifest as it is).
fn with_nlb(nlb: &str) -> String {
    let m =
        std::fs::read_to_string(crate::support::root().join("examples/copilot/api/manifest.yml"))
            .unwrap();
    let start = m.find("http:\n").unwrap();
    let end = start + m[start..].find("\ncpu:").unwrap();
    format!("{}http: false\nnlb:\n{nlb}{}", &m[..start], &m[end..])
}

fn deploy(s: &Stage) -> (crate::support::Run, Value) {
    s.deploy_in_env("api", &["--image-tag", "v1"])
}

/// The load balancer sidecarctl names for the service, with its listeners:
/// (port, protocol, target group).
async fn load_balancer(
    c: &elb::Client,
    name: &str,
) -> Option<(elb::types::LoadBalancer, Vec<(i32, String, String)>)> {
    let lb = c
        .describe_load_balancers()
        .names(name)
        .send()
        .await
        .ok()?
        .load_balancers()
        .first()?
        .clone();
    let mut listeners: Vec<(i32, String, String)> = c
        .describe_listeners()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap()
        .listeners()
        .iter()
        .map(|l| {
            (
                l.port().unwrap(),
                l.protocol().unwrap().as_str().to_string(),
                l.default_actions()[0]
                    .target_group_arn()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    listeners.sort();
    Some((lb, listeners))
}

async fn target_group(c: &elb::Client, arn: &str) -> elb::types::TargetGroup {
    c.describe_target_groups()
        .target_group_arns(arn)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .clone()
}

async fn attribute(c: &elb::Client, arn: &str, key: &str) -> Option<String> {
    c.describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .await
        .unwrap()
        .attributes()
        .iter()
        .find(|a| a.key() == Some(key))
        .and_then(|a| a.value())
        .map(str::to_string)
}

/// A security group's inbound rules: (protocol, from port or -1, source),
/// read with sidecarctl's own EC2 client.
async fn ingress(s: &Stage, group: &str) -> Vec<(String, i32, String)> {
    use sidecarctl::state::lb::IngressSource;
    let sdk = s.sdk().await;
    let ec2 = sidecarctl::aws::ec2::Ec2::new(sidecarctl::aws::wire::Wire::new(
        &sdk,
        "us-east-1",
        3,
        std::time::Duration::from_secs(10),
    ));
    let groups = ec2.security_groups(&[group.to_string()]).await.unwrap();
    let mut out: Vec<(String, i32, String)> = groups[0]
        .ingress
        .iter()
        .map(|i| {
            let source = match &i.source {
                IngressSource::Cidr(c) => c.clone(),
                IngressSource::Group(g) => g.clone(),
            };
            (
                i.protocol.clone(),
                i.ports.map_or(-1, |(from, _)| from),
                source,
            )
        })
        .collect();
    out.sort();
    out
}

/// (target group, container, port) of the ECS service.
async fn service_lbs(s: &Stage, cluster: &str, arn: &str) -> Vec<(String, String, i32)> {
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let out = ecs
        .describe_services()
        .cluster(cluster)
        .services(arn)
        .send()
        .await
        .unwrap();
    let mut v: Vec<_> = out.services()[0]
        .load_balancers()
        .iter()
        .map(|l| {
            (
                l.target_group_arn().unwrap().to_string(),
                l.container_name().unwrap().to_string(),
                l.container_port().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The main container's port mappings in the service's task definition.
async fn api_ports(s: &Stage, td: &str) -> Vec<(i32, String)> {
    let ecs = aws_sdk_ecs::Client::new(&s.sdk().await);
    let out = ecs
        .describe_task_definition()
        .task_definition(td)
        .send()
        .await
        .unwrap();
    out.task_definition()
        .unwrap()
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some("api"))
        .unwrap()
        .port_mappings()
        .iter()
        .map(|p| {
            (
                p.container_port().unwrap(),
                p.protocol().unwrap().as_str().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_service_gets_its_network_load_balancer_and_a_change_is_made_in_place() {
    let s = Stage::new("nlbnew");
    // An environment with a domain: its hosted zone gets `api-nlb.{subdomain}`.
    let subdomain = format!("test.{}.example.com", s.app);
    let zone = s.hosted_zone(&subdomain).await;
    let r53 = aws_sdk_route53::Client::new(&s.sdk().await);
    s.copilot_environment_with(serde_json::json!({
        "EnvironmentHostedZone": zone,
        "EnvironmentSubdomain": subdomain,
    }))
    .await;
    let c = elb::Client::new(&s.sdk().await);
    s.write_manifest(&with_nlb(
        "  port: 80/tcp\n  target_container: nginx\n  healthcheck:\n    healthy_threshold: 3\n    unhealthy_threshold: 3\n  additional_listeners:\n    - port: 8125/udp\n      healthcheck:\n        port: 3000\n      deregistration_delay: 15s\n",
    ));

    let (r, v) = deploy(&s);
    r.assert_code(0);
    let done = changes(&v);
    for want in [
        "create security group sidecarctl-",
        "create network load balancer api-nlb-",
        "add listener 80/TCP",
        "add listener 8125/UDP",
    ] {
        assert!(done.iter().any(|c| c.starts_with(want)), "{want}: {done:?}");
    }
    let name = done
        .iter()
        .find_map(|c| c.strip_prefix("create network load balancer "))
        .and_then(|c| c.split(' ').next())
        .unwrap()
        .to_string();
    let (lb, listeners) = load_balancer(&c, &name).await.expect("the load balancer");
    let record = r53
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .unwrap()
        .resource_record_sets()
        .iter()
        .find(|r| r.name().trim_end_matches('.') == format!("api-nlb.{subdomain}"))
        .and_then(|r| {
            r.alias_target()
                .map(|t| t.dns_name().trim_end_matches('.').to_string())
        });
    assert_eq!(record.as_deref(), lb.dns_name(), "Copilot's default alias");
    assert_eq!(
        lb.r#type(),
        Some(&elb::types::LoadBalancerTypeEnum::Network)
    );
    assert_eq!(
        lb.scheme(),
        Some(&elb::types::LoadBalancerSchemeEnum::InternetFacing)
    );
    let ports: Vec<(i32, &str)> = listeners
        .iter()
        .map(|(p, proto, _)| (*p, proto.as_str()))
        .collect();
    assert_eq!(ports, [(80, "TCP"), (8125, "UDP")]);
    let (tcp_tg, udp_tg) = (listeners[0].2.clone(), listeners[1].2.clone());
    let udp = target_group(&c, &udp_tg).await;
    assert_eq!(udp.protocol(), Some(&elb::types::ProtocolEnum::Udp));
    assert_eq!(
        udp.health_check_port(),
        Some("3000"),
        "checked over TCP on the port the manifest names"
    );
    assert_eq!(udp.target_type(), Some(&elb::types::TargetTypeEnum::Ip));
    assert_eq!(
        attribute(&c, &udp_tg, "deregistration_delay.timeout_seconds")
            .await
            .as_deref(),
        Some("15")
    );
    let tcp = target_group(&c, &tcp_tg).await;
    assert_eq!(tcp.healthy_threshold_count(), Some(3));

    // The service registers nginx:80 and api:8125; the task definition maps 8125/udp.
    let cluster = v["cluster"].as_str().unwrap().to_string();
    let service = v["serviceArn"].as_str().unwrap().to_string();
    let mut want = vec![
        (tcp_tg.clone(), "nginx".to_string(), 80),
        (udp_tg.clone(), "api".to_string(), 8125),
    ];
    want.sort();
    assert_eq!(service_lbs(&s, &cluster, &service).await, want);
    let td = v["taskDefinition"]["arn"].as_str().unwrap().to_string();
    assert_eq!(
        api_ports(&s, &td).await,
        [(3000, "tcp".to_string()), (8125, "udp".to_string())]
    );

    // Its security group is open on the listener ports; the environment's
    // lets its traffic in.
    let nlb_group = lb.security_groups()[0].clone();
    assert_eq!(
        ingress(&s, &nlb_group).await,
        [
            ("tcp".to_string(), 80, "0.0.0.0/0".to_string()),
            ("udp".to_string(), 8125, "0.0.0.0/0".to_string())
        ]
    );
    let env_group = s.seed.vars["SECURITY_GROUP_ID"].clone();
    assert!(
        ingress(&s, &env_group)
            .await
            .contains(&("-1".to_string(), -1, nlb_group.clone())),
        "{:?}",
        ingress(&s, &env_group).await
    );

    // Again: nothing about the load balancer changes.
    let (r, v) = deploy(&s);
    r.assert_code(0);
    assert!(
        !changes(&v).iter().any(|c| c.contains("listener")
            || c.contains("target group")
            || c.contains("security group")
            || c.contains("load balancer")),
        "{:?}",
        changes(&v)
    );

    // A new port and health check: the listener and target group change in
    // place, the security group opens the new port; still one load balancer.
    s.write_manifest(&with_nlb(
        "  port: 81/tcp\n  target_container: nginx\n  target_port: 80\n  healthcheck:\n    healthy_threshold: 5\n    unhealthy_threshold: 5\n  additional_listeners:\n    - port: 8125/udp\n      healthcheck:\n        port: 3000\n      deregistration_delay: 15s\n",
    ));
    let (r, v) = deploy(&s);
    r.assert_code(0);
    let done = changes(&v);
    assert!(
        done.iter()
            .any(|c| c.starts_with("update the health check of target group")),
        "{done:?}"
    );
    assert!(done.iter().any(|c| c.contains("to 81/TCP")), "{done:?}");
    assert!(!done.iter().any(|c| c.starts_with("create")), "{done:?}");
    let (_, listeners) = load_balancer(&c, &name).await.unwrap();
    assert_eq!(listeners[0], (81, "TCP".to_string(), tcp_tg.clone()));
    assert_eq!(
        target_group(&c, &tcp_tg).await.healthy_threshold_count(),
        Some(5)
    );
    assert!(ingress(&s, &nlb_group).await.contains(&(
        "tcp".to_string(),
        81,
        "0.0.0.0/0".to_string()
    )));
    let all = c.describe_load_balancers().send().await.unwrap();
    assert_eq!(
        all.load_balancers()
            .iter()
            .filter(|l| l.load_balancer_name() == Some(name.as_str()))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copilot_services_network_load_balancer_is_kept_as_it_is() {
    let s = Stage::new("nlbcopilot");
    let stacks = s.copilot_nlb_stacks().await;
    s.write_manifest(&with_nlb("  port: 80/tcp\n  target_container: nginx\n"));
    let before = service_lbs(&s, &stacks.cluster, &stacks.service_arn).await;
    let (r, v) = deploy(&s);
    r.assert_code(0);
    assert_eq!(v["serviceArn"], stacks.service_arn.as_str());
    let done = changes(&v);
    assert!(
        !done.iter().any(|c| c.contains("listener")
            || c.contains("target group")
            || c.contains("security group")
            || c.contains("load balancer")),
        "Copilot's load balancer serves as it did: {done:?}"
    );
    assert_eq!(
        service_lbs(&s, &stacks.cluster, &stacks.service_arn).await,
        before
    );
    let c = elb::Client::new(&s.sdk().await);
    let ours = sidecarctl::names::sidecarctl::nlb_name(&s.app, "test", "api");
    assert!(
        load_balancer(&c, &ours).await.is_none(),
        "no second load balancer"
    );
}
