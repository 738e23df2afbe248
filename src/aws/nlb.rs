//! Elastic Load Balancing v2 for a service's network load balancer: the load
//! balancer, its listeners and their target groups.

use aws_sdk_elasticloadbalancingv2::types as elb;

use super::elb::{elb_tags, target_group};
use super::{AwsError, ErrorKind, Found, aws_err};
use crate::model::DesiredNlbTargetGroup;
use crate::state::lb::{NetworkLb, NlbListenerState, TargetGroup};

type Client = aws_sdk_elasticloadbalancingv2::Client;

const DESCRIBE: &str = "elasticloadbalancing:DescribeLoadBalancers";

fn load_balancer(lb: &elb::LoadBalancer) -> NetworkLb {
    NetworkLb {
        arn: lb.load_balancer_arn().unwrap_or_default().to_string(),
        name: lb.load_balancer_name().unwrap_or_default().to_string(),
        dns_name: lb.dns_name().unwrap_or_default().to_string(),
        hosted_zone_id: lb
            .canonical_hosted_zone_id()
            .unwrap_or_default()
            .to_string(),
        security_groups: lb.security_groups().to_vec(),
        listeners: Vec::new(),
    }
}

/// The load balancer of this name or ARN (without its listeners); `None`
/// when there is none.
pub async fn find(client: &Client, name_or_arn: &str) -> Result<Option<NetworkLb>, AwsError> {
    let req = client.describe_load_balancers();
    let req = if name_or_arn.starts_with("arn:") {
        req.load_balancer_arns(name_or_arn)
    } else {
        req.names(name_or_arn)
    };
    let out = req.send().await.map_err(aws_err(DESCRIBE)).found()?;
    Ok(out.and_then(|o| o.load_balancers().first().map(load_balancer)))
}

fn listener(l: &elb::Listener) -> NlbListenerState {
    let forward = l
        .default_actions()
        .iter()
        .find(|a| a.r#type() == Some(&elb::ActionTypeEnum::Forward));
    let target_group = forward.and_then(|a| {
        a.target_group_arn().map(str::to_string).or_else(|| {
            a.forward_config()
                .and_then(|f| f.target_groups().first())
                .and_then(|t| t.target_group_arn())
                .map(str::to_string)
        })
    });
    NlbListenerState {
        arn: l.listener_arn().unwrap_or_default().to_string(),
        port: l.port().unwrap_or_default(),
        protocol: l.protocol().map(|p| p.as_str()).unwrap_or_default().into(),
        ssl_policy: l.ssl_policy().map(str::to_string),
        certificates: l
            .certificates()
            .iter()
            .filter_map(|c| c.certificate_arn().map(str::to_string))
            .collect(),
        target_group,
    }
}

/// Every listener of a load balancer.
pub async fn listeners(client: &Client, lb: &str) -> Result<Vec<NlbListenerState>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_listeners()
        .load_balancer_arn(lb)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_err("elasticloadbalancing:DescribeListeners"))?;
        out.extend(page.listeners().iter().map(listener));
    }
    Ok(out)
}

/// The target groups a load balancer forwards to (without their attributes).
pub async fn target_groups_of(client: &Client, lb: &str) -> Result<Vec<TargetGroup>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_target_groups()
        .load_balancer_arn(lb)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_err("elasticloadbalancing:DescribeTargetGroups"))?;
        out.extend(page.target_groups().iter().map(target_group));
    }
    Ok(out)
}

/// CreateLoadBalancer: internet-facing, in the environment's public subnets,
/// as Copilot's `nlb.yml` makes it. Idempotent in Elastic Load Balancing: the
/// same name and settings return the load balancer there.
pub async fn create(
    client: &Client,
    name: &str,
    subnets: &[String],
    security_group: Option<&str>,
    tags: &[(String, String)],
) -> Result<NetworkLb, AwsError> {
    const OP: &str = "elasticloadbalancing:CreateLoadBalancer";
    let out = client
        .create_load_balancer()
        .name(name)
        .r#type(elb::LoadBalancerTypeEnum::Network)
        .scheme(elb::LoadBalancerSchemeEnum::InternetFacing)
        .set_subnets(Some(subnets.to_vec()))
        .set_security_groups(security_group.map(|g| vec![g.to_string()]))
        .set_tags(Some(elb_tags(tags)))
        .send()
        .await
        .map_err(aws_err(OP))?;
    out.load_balancers()
        .first()
        .map(load_balancer)
        .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "the answer holds no load balancer"))
}

/// CreateTargetGroup for a listener: IP targets (as Fargate needs), TCP or
/// UDP, health checked over TCP; only the settings the manifest gives, as
/// Copilot's template writes only those.
pub async fn create_target_group(
    client: &Client,
    t: &DesiredNlbTargetGroup,
    vpc: &str,
    tags: &[(String, String)],
) -> Result<String, AwsError> {
    const OP: &str = "elasticloadbalancing:CreateTargetGroup";
    let out = client
        .create_target_group()
        .name(&t.name)
        .protocol(elb::ProtocolEnum::from(t.protocol.as_str()))
        .port(t.port)
        .vpc_id(vpc)
        .target_type(elb::TargetTypeEnum::Ip)
        .health_check_protocol(elb::ProtocolEnum::Tcp)
        .health_check_port(&t.health.port)
        .set_healthy_threshold_count(t.health.healthy_threshold)
        .set_unhealthy_threshold_count(t.health.unhealthy_threshold)
        .set_health_check_interval_seconds(t.health.interval_s)
        .set_health_check_timeout_seconds(t.health.timeout_s)
        .set_tags(Some(elb_tags(tags)))
        .send()
        .await
        .map_err(aws_err(OP))?;
    out.target_groups()
        .first()
        .and_then(|g| g.target_group_arn())
        .map(str::to_string)
        .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "the answer holds no target group"))
}

/// The health check of an existing target group.
pub async fn modify_target_group(
    client: &Client,
    arn: &str,
    t: &DesiredNlbTargetGroup,
) -> Result<(), AwsError> {
    client
        .modify_target_group()
        .target_group_arn(arn)
        .health_check_port(&t.health.port)
        .set_healthy_threshold_count(t.health.healthy_threshold)
        .set_unhealthy_threshold_count(t.health.unhealthy_threshold)
        .set_health_check_interval_seconds(t.health.interval_s)
        .set_health_check_timeout_seconds(t.health.timeout_s)
        .send()
        .await
        .map_err(aws_err("elasticloadbalancing:ModifyTargetGroup"))?;
    Ok(())
}

/// Deregistration delay, and stickiness (by source IP) except for TLS.
pub async fn set_attributes(
    client: &Client,
    arn: &str,
    t: &DesiredNlbTargetGroup,
) -> Result<(), AwsError> {
    let attr = |k: &str, v: String| elb::TargetGroupAttribute::builder().key(k).value(v).build();
    let mut req = client
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .attributes(attr(
            "deregistration_delay.timeout_seconds",
            t.deregistration_delay_s.to_string(),
        ));
    if let Some(sticky) = t.stickiness {
        req = req.attributes(attr("stickiness.enabled", sticky.to_string()));
    }
    req.send()
        .await
        .map_err(aws_err("elasticloadbalancing:ModifyTargetGroupAttributes"))?;
    Ok(())
}

/// What a listener is: port, protocol, TLS settings, and where it forwards.
pub struct ListenerSpec<'a> {
    pub port: i32,
    pub protocol: &'a str,
    pub ssl_policy: Option<&'a str>,
    /// Empty: keep the listener's own (ModifyListener), or none (TCP, UDP).
    pub certificates: &'a [String],
    pub target_group: &'a str,
}

fn forward(target_group: &str) -> elb::Action {
    elb::Action::builder()
        .r#type(elb::ActionTypeEnum::Forward)
        .target_group_arn(target_group)
        .build()
}

fn certificates(arns: &[String]) -> Option<Vec<elb::Certificate>> {
    (!arns.is_empty()).then(|| {
        arns.iter()
            .map(|c| elb::Certificate::builder().certificate_arn(c).build())
            .collect()
    })
}

/// CreateListener; one already on that port (a retried create whose answer
/// was lost) is found and returned when it is the same.
pub async fn create_listener(
    client: &Client,
    lb: &str,
    l: &ListenerSpec<'_>,
    tags: &[(String, String)],
) -> Result<String, AwsError> {
    const OP: &str = "elasticloadbalancing:CreateListener";
    let sent = client
        .create_listener()
        .load_balancer_arn(lb)
        .port(l.port)
        .protocol(elb::ProtocolEnum::from(l.protocol))
        .set_ssl_policy(l.ssl_policy.map(str::to_string))
        .set_certificates(certificates(l.certificates))
        .default_actions(forward(l.target_group))
        .set_tags(Some(elb_tags(tags)))
        .send()
        .await
        .map_err(aws_err(OP));
    match sent {
        Ok(out) => Ok(out
            .listeners()
            .first()
            .and_then(|x| x.listener_arn())
            .unwrap_or_default()
            .to_string()),
        Err(e) if e.code.as_deref() == Some("DuplicateListener") => {
            let there = listeners(client, lb).await?.into_iter().find(|x| {
                x.port == l.port
                    && x.protocol == l.protocol
                    && x.target_group.as_deref() == Some(l.target_group)
            });
            there.map(|x| x.arn).ok_or(e)
        }
        Err(e) => Err(e),
    }
}

/// ModifyListener: port, protocol, TLS settings and target group, in place.
pub async fn modify_listener(
    client: &Client,
    arn: &str,
    l: &ListenerSpec<'_>,
) -> Result<(), AwsError> {
    client
        .modify_listener()
        .listener_arn(arn)
        .port(l.port)
        .protocol(elb::ProtocolEnum::from(l.protocol))
        .set_ssl_policy(l.ssl_policy.map(str::to_string))
        .set_certificates(certificates(l.certificates))
        .default_actions(forward(l.target_group))
        .send()
        .await
        .map_err(aws_err("elasticloadbalancing:ModifyListener"))?;
    Ok(())
}

/// DeleteListener; one already gone is fine.
pub async fn delete_listener(client: &Client, arn: &str) -> Result<(), AwsError> {
    client
        .delete_listener()
        .listener_arn(arn)
        .send()
        .await
        .map_err(aws_err("elasticloadbalancing:DeleteListener"))
        .found()?;
    Ok(())
}
