//! Elastic Load Balancing v2: the target groups and listener rules of a
//! service on its environment's application load balancer.

use aws_sdk_elasticloadbalancingv2::types as elb;

use super::{AwsError, Found, aws_err};
use crate::model::DesiredTargetGroup;
use crate::state::lb::{
    Conditions, HealthCheck, ImportedAlb, ListenerRule, RuleAction, TargetGroup, Weighted,
};

type Client = aws_sdk_elasticloadbalancingv2::Client;

pub(crate) fn target_group(g: &elb::TargetGroup) -> TargetGroup {
    TargetGroup {
        arn: g.target_group_arn().unwrap_or_default().to_string(),
        name: g.target_group_name().unwrap_or_default().to_string(),
        port: g.port().unwrap_or_default(),
        protocol: g.protocol().map(|p| p.as_str()).unwrap_or_default().into(),
        protocol_version: g.protocol_version().unwrap_or("HTTP1").to_string(),
        health: HealthCheck {
            path: g.health_check_path().unwrap_or("/").to_string(),
            port: g.health_check_port().unwrap_or("traffic-port").to_string(),
            success_codes: g
                .matcher()
                .and_then(|m| m.http_code().or(m.grpc_code()))
                .map(str::to_string),
            healthy_threshold: g.healthy_threshold_count(),
            unhealthy_threshold: g.unhealthy_threshold_count(),
            interval_s: g.health_check_interval_seconds(),
            timeout_s: g.health_check_timeout_seconds(),
        },
        deregistration_delay_s: None,
        stickiness: None,
        load_balancers: g.load_balancer_arns().to_vec(),
    }
}

/// The target groups with these ARNs (without their attributes).
pub async fn target_groups(client: &Client, arns: &[String]) -> Result<Vec<TargetGroup>, AwsError> {
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let out = client
        .describe_target_groups()
        .set_target_group_arns(Some(arns.to_vec()))
        .send()
        .await
        .map_err(aws_err("elasticloadbalancing:DescribeTargetGroups"))?;
    Ok(out.target_groups().iter().map(target_group).collect())
}

/// The target group of this name, if there is one (without its attributes).
pub async fn target_group_named(
    client: &Client,
    name: &str,
) -> Result<Option<TargetGroup>, AwsError> {
    let out = client
        .describe_target_groups()
        .names(name)
        .send()
        .await
        .map_err(aws_err("elasticloadbalancing:DescribeTargetGroups"))
        .found()?;
    Ok(out.and_then(|o| o.target_groups().first().map(target_group)))
}

/// A target group's deregistration delay and stickiness.
pub async fn attributes(
    client: &Client,
    arn: &str,
) -> Result<(Option<i32>, Option<bool>), AwsError> {
    let out = client
        .describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .await
        .map_err(aws_err(
            "elasticloadbalancing:DescribeTargetGroupAttributes",
        ))?;
    let attr = |k: &str| {
        out.attributes()
            .iter()
            .find(|a| a.key() == Some(k))
            .and_then(|a| a.value())
    };
    Ok((
        attr("deregistration_delay.timeout_seconds").and_then(|v| v.parse().ok()),
        attr("stickiness.enabled").map(|v| v == "true"),
    ))
}

/// A target group with its deregistration delay and stickiness.
pub async fn with_attributes(client: &Client, mut t: TargetGroup) -> Result<TargetGroup, AwsError> {
    (t.deregistration_delay_s, t.stickiness) = attributes(client, &t.arn).await?;
    Ok(t)
}

/// The load balancer named (or with the ARN) `name_or_arn` and its first
/// HTTP and HTTPS listeners; `None` when it does not exist.
pub async fn imported_alb(
    client: &Client,
    name_or_arn: &str,
) -> Result<Option<ImportedAlb>, AwsError> {
    const OP: &str = "elasticloadbalancing:DescribeLoadBalancers";
    let req = client.describe_load_balancers();
    let req = if name_or_arn.starts_with("arn:") {
        req.load_balancer_arns(name_or_arn)
    } else {
        req.names(name_or_arn)
    };
    let found = req.send().await.map_err(aws_err(OP)).found()?;
    let Some(lb) = found.and_then(|o| o.load_balancers().first().cloned()) else {
        return Ok(None);
    };
    let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
    let listeners = client
        .describe_listeners()
        .load_balancer_arn(&arn)
        .send()
        .await
        .map_err(aws_err("elasticloadbalancing:DescribeListeners"))?;
    let first = |p: elb::ProtocolEnum| {
        listeners
            .listeners()
            .iter()
            .find(|l| l.protocol() == Some(&p))
            .and_then(|l| l.listener_arn())
            .map(str::to_string)
    };
    Ok(Some(ImportedAlb {
        dns_name: lb.dns_name().unwrap_or_default().to_string(),
        hosted_zone_id: lb
            .canonical_hosted_zone_id()
            .unwrap_or_default()
            .to_string(),
        vpc: lb.vpc_id().unwrap_or_default().to_string(),
        http_listener: first(elb::ProtocolEnum::Http),
        https_listener: first(elb::ProtocolEnum::Https),
        arn,
    }))
}

fn values(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

fn rule(r: &elb::Rule) -> ListenerRule {
    let mut c = Conditions::default();
    for cond in r.conditions() {
        match cond.field() {
            Some("host-header") => {
                c.hosts = values(
                    cond.host_header_config()
                        .map_or(cond.values(), |h| h.values()),
                )
            }
            Some("path-pattern") => {
                c.paths = values(
                    cond.path_pattern_config()
                        .map_or(cond.values(), |p| p.values()),
                )
            }
            Some("source-ip") => {
                c.source_ips = values(cond.source_ip_config().map_or(&[], |s| s.values()))
            }
            _ => {}
        }
    }
    let action = match r.actions().first() {
        Some(a) if a.r#type() == Some(&elb::ActionTypeEnum::Forward) => {
            let mut tgs: Vec<Weighted> = a
                .forward_config()
                .map(|f| {
                    f.target_groups()
                        .iter()
                        .filter_map(|t| {
                            Some(Weighted {
                                arn: t.target_group_arn()?.to_string(),
                                weight: t.weight().unwrap_or(1),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            if tgs.is_empty() {
                tgs.extend(a.target_group_arn().map(|arn| Weighted {
                    arn: arn.to_string(),
                    weight: 1,
                }));
            }
            RuleAction::Forward(tgs)
        }
        Some(a)
            if a.r#type() == Some(&elb::ActionTypeEnum::Redirect)
                && a.redirect_config().and_then(|r| r.protocol()) == Some("HTTPS") =>
        {
            RuleAction::RedirectToHttps
        }
        _ => RuleAction::Other,
    };
    ListenerRule {
        arn: r.rule_arn().unwrap_or_default().to_string(),
        priority: r.priority().and_then(|p| p.parse().ok()),
        conditions: c,
        action,
    }
}

/// Every rule of a listener.
pub async fn rules(client: &Client, listener: &str) -> Result<Vec<ListenerRule>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_rules()
        .listener_arn(listener)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_err("elasticloadbalancing:DescribeRules"))?;
        out.extend(page.rules().iter().map(rule));
    }
    Ok(out)
}

fn matcher(t: &DesiredTargetGroup) -> Option<elb::Matcher> {
    t.health.success_codes.as_ref().map(|c| {
        if t.protocol_version == "GRPC" {
            elb::Matcher::builder().grpc_code(c).build()
        } else {
            elb::Matcher::builder().http_code(c).build()
        }
    })
}

/// CreateTargetGroup (IP targets, as Fargate needs). Idempotent: creating a
/// target group that exists with the same settings returns it.
pub async fn create_target_group(
    client: &Client,
    t: &DesiredTargetGroup,
    vpc: &str,
    tags: &[(String, String)],
) -> Result<String, AwsError> {
    const OP: &str = "elasticloadbalancing:CreateTargetGroup";
    let tags = elb_tags(tags);
    let out = client
        .create_target_group()
        .name(&t.name)
        .protocol(elb::ProtocolEnum::from(t.protocol.as_str()))
        .protocol_version(&t.protocol_version)
        .port(t.port)
        .vpc_id(vpc)
        .target_type(elb::TargetTypeEnum::Ip)
        .health_check_path(&t.health.path)
        .health_check_port(&t.health.port)
        .set_matcher(matcher(t))
        .set_healthy_threshold_count(t.health.healthy_threshold)
        .set_unhealthy_threshold_count(t.health.unhealthy_threshold)
        .set_health_check_interval_seconds(t.health.interval_s)
        .set_health_check_timeout_seconds(t.health.timeout_s)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(aws_err(OP))?;
    out.target_groups()
        .first()
        .and_then(|g| g.target_group_arn())
        .map(str::to_string)
        .ok_or_else(|| {
            AwsError::new(
                OP,
                super::ErrorKind::Other,
                "the answer holds no target group",
            )
        })
}

/// The health check of an existing target group.
pub async fn modify_target_group(
    client: &Client,
    arn: &str,
    t: &DesiredTargetGroup,
) -> Result<(), AwsError> {
    client
        .modify_target_group()
        .target_group_arn(arn)
        .health_check_path(&t.health.path)
        .health_check_port(&t.health.port)
        .set_matcher(matcher(t))
        .set_healthy_threshold_count(t.health.healthy_threshold)
        .set_unhealthy_threshold_count(t.health.unhealthy_threshold)
        .set_health_check_interval_seconds(t.health.interval_s)
        .set_health_check_timeout_seconds(t.health.timeout_s)
        .send()
        .await
        .map_err(aws_err("elasticloadbalancing:ModifyTargetGroup"))?;
    Ok(())
}

/// Deregistration delay and stickiness, as Copilot's template sets them.
pub async fn set_attributes(
    client: &Client,
    arn: &str,
    t: &DesiredTargetGroup,
) -> Result<(), AwsError> {
    let attr = |k: &str, v: String| elb::TargetGroupAttribute::builder().key(k).value(v).build();
    client
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .attributes(attr(
            "deregistration_delay.timeout_seconds",
            t.deregistration_delay_s.to_string(),
        ))
        .attributes(attr("stickiness.enabled", t.stickiness.to_string()))
        .send()
        .await
        .map_err(aws_err("elasticloadbalancing:ModifyTargetGroupAttributes"))?;
    Ok(())
}

/// The rule's conditions, in Copilot's order: source IPs, host names, paths.
fn conditions(c: &Conditions) -> Vec<elb::RuleCondition> {
    let condition = |field: &str| elb::RuleCondition::builder().field(field);
    let mut out = Vec::new();
    if !c.source_ips.is_empty() {
        let ips = elb::SourceIpConditionConfig::builder().set_values(Some(c.source_ips.clone()));
        out.push(condition("source-ip").source_ip_config(ips.build()).build());
    }
    if !c.hosts.is_empty() {
        let hosts = elb::HostHeaderConditionConfig::builder().set_values(Some(c.hosts.clone()));
        out.push(
            condition("host-header")
                .host_header_config(hosts.build())
                .build(),
        );
    }
    let paths = elb::PathPatternConditionConfig::builder().set_values(Some(c.paths.clone()));
    out.push(
        condition("path-pattern")
            .path_pattern_config(paths.build())
            .build(),
    );
    out
}

pub(crate) fn elb_tags(tags: &[(String, String)]) -> Vec<elb::Tag> {
    tags.iter()
        .map(|(k, v)| elb::Tag::builder().key(k).value(v).build())
        .collect()
}

/// Forward to target groups by weight (one group: plainly to it), or
/// (`None`) redirect to HTTPS as Copilot does.
fn weighted_action(forward: Option<&[Weighted]>) -> elb::Action {
    match forward {
        Some([one]) if one.weight > 0 => action(Some(&one.arn)),
        Some(groups) => elb::Action::builder()
            .r#type(elb::ActionTypeEnum::Forward)
            .forward_config(
                elb::ForwardActionConfig::builder()
                    .set_target_groups(Some(
                        groups
                            .iter()
                            .map(|g| {
                                elb::TargetGroupTuple::builder()
                                    .target_group_arn(&g.arn)
                                    .weight(g.weight)
                                    .build()
                            })
                            .collect(),
                    ))
                    .build(),
            )
            .build(),
        None => action(None),
    }
}

/// Forward to `target_group`, or (`None`) redirect to HTTPS as Copilot does.
fn action(target_group: Option<&str>) -> elb::Action {
    match target_group {
        Some(tg) => elb::Action::builder()
            .r#type(elb::ActionTypeEnum::Forward)
            .target_group_arn(tg)
            .build(),
        None => elb::Action::builder()
            .r#type(elb::ActionTypeEnum::Redirect)
            .redirect_config(
                elb::RedirectActionConfig::builder()
                    .protocol("HTTPS")
                    .port("443")
                    .host("#{host}")
                    .path("/#{path}")
                    .query("#{query}")
                    .status_code(elb::RedirectActionStatusCodeEnum::Http301)
                    .build(),
            )
            .build(),
    }
}

/// CreateRule; a priority taken meanwhile fails with `AlreadyExists`.
pub async fn create_rule(
    client: &Client,
    listener: &str,
    priority: i32,
    c: &Conditions,
    target_group: Option<&str>,
    tags: &[(String, String)],
) -> Result<String, AwsError> {
    const OP: &str = "elasticloadbalancing:CreateRule";
    let tags = elb_tags(tags);
    let out = client
        .create_rule()
        .listener_arn(listener)
        .priority(priority)
        .set_conditions(Some(conditions(c)))
        .actions(action(target_group))
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(aws_err(OP))?;
    Ok(out
        .rules()
        .first()
        .and_then(|r| r.rule_arn())
        .unwrap_or_default()
        .to_string())
}

/// ModifyRule: its conditions and action (its priority stays).
pub async fn modify_rule(
    client: &Client,
    arn: &str,
    c: &Conditions,
    target_group: Option<&str>,
) -> Result<(), AwsError> {
    const OP: &str = "elasticloadbalancing:ModifyRule";
    client
        .modify_rule()
        .rule_arn(arn)
        .set_conditions(Some(conditions(c)))
        .actions(action(target_group))
        .send()
        .await
        .map_err(aws_err(OP))?;
    Ok(())
}

/// ModifyRule to forward to target groups by weight (its priority stays).
pub async fn weigh_rule(
    client: &Client,
    arn: &str,
    c: &Conditions,
    forward: &[Weighted],
) -> Result<(), AwsError> {
    const OP: &str = "elasticloadbalancing:ModifyRule";
    client
        .modify_rule()
        .rule_arn(arn)
        .set_conditions(Some(conditions(c)))
        .actions(weighted_action(Some(forward)))
        .send()
        .await
        .map_err(aws_err(OP))?;
    Ok(())
}

/// The load balancers a target group is attached to (through a listener or a
/// rule, at any weight); `None` when it does not exist.
pub async fn attached_to(client: &Client, arn: &str) -> Result<Option<Vec<String>>, AwsError> {
    let out = client
        .describe_target_groups()
        .target_group_arns(arn)
        .send()
        .await
        .map_err(aws_err("elasticloadbalancing:DescribeTargetGroups"))
        .found()?;
    Ok(out.and_then(|o| {
        o.target_groups()
            .first()
            .map(|t| t.load_balancer_arns().to_vec())
    }))
}

/// What of a load balancer forwards to the target group (at any weight):
/// its listeners' default actions and rules, by ARN. Read from the
/// listeners and rules themselves, the proof that deleting the group takes
/// nothing away.
pub async fn forwarding_to(client: &Client, lb: &str, tg: &str) -> Result<Vec<String>, AwsError> {
    let mut listeners = Vec::new();
    let mut pages = client
        .describe_listeners()
        .load_balancer_arn(lb)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_err("elasticloadbalancing:DescribeListeners"))?;
        listeners.extend(page.listeners().iter().cloned());
    }
    let mut out = Vec::new();
    for l in &listeners {
        let arn = l.listener_arn().unwrap_or_default().to_string();
        let by_default = l.default_actions().iter().any(|a| {
            a.target_group_arn() == Some(tg)
                || a.forward_config().is_some_and(|f| {
                    f.target_groups()
                        .iter()
                        .any(|t| t.target_group_arn() == Some(tg))
                })
        });
        if by_default {
            out.push(arn.clone());
        }
        out.extend(
            rules(client, &arn)
                .await?
                .into_iter()
                .filter(|r| r.forwards_to(tg))
                .map(|r| r.arn),
        );
    }
    Ok(out)
}

/// DeleteRule; one gone already is fine (a retry whose first attempt went
/// through).
pub async fn delete_rule(client: &Client, arn: &str) -> Result<(), AwsError> {
    client
        .delete_rule()
        .rule_arn(arn)
        .send()
        .await
        .map_err(aws_err("elasticloadbalancing:DeleteRule"))
        .found()?;
    Ok(())
}

/// How many of a target group's targets are healthy (DescribeTargetHealth).
pub async fn healthy_targets(client: &Client, target_group: &str) -> Result<usize, AwsError> {
    const OP: &str = "elasticloadbalancing:DescribeTargetHealth";
    let out = client
        .describe_target_health()
        .target_group_arn(target_group)
        .send()
        .await
        .map_err(aws_err(OP))?;
    Ok(out
        .target_health_descriptions()
        .iter()
        .filter(|t| {
            t.target_health().and_then(|h| h.state()) == Some(&elb::TargetHealthStateEnum::Healthy)
        })
        .count())
}

/// DeleteTargetGroup; one gone already is fine (a retry).
pub async fn delete_target_group(client: &Client, arn: &str) -> Result<(), AwsError> {
    client
        .delete_target_group()
        .target_group_arn(arn)
        .send()
        .await
        .map_err(aws_err("elasticloadbalancing:DeleteTargetGroup"))
        .found()?;
    Ok(())
}
