//! The load balancers' steps: application load balancer target groups,
//! listener rules and records; the network load balancer, its security
//! groups, listeners and target groups.

use super::{Made, Output};
use crate::aws::{self, Aws, AwsError, ErrorKind};
use crate::plan::Desired;
use crate::plan::lb::{LbStep, TgRef, UseAction};
use crate::plan::nlb::{NlbStep, Source};
use crate::state::lb::Conditions;

pub(super) async fn nlb_step(
    aws: &Aws,
    d: &Desired,
    step: &NlbStep,
    made: &Made<'_>,
) -> Result<Output, AwsError> {
    let nlb = d.nlb.as_ref().ok_or_else(|| {
        AwsError::new(
            step.operation(),
            ErrorKind::Other,
            "no network load balancer wanted",
        )
    })?;
    let want = |i: &usize| {
        nlb.listeners
            .get(*i)
            .ok_or_else(|| AwsError::new(step.operation(), ErrorKind::Other, "no such listener"))
    };
    let vpc = || {
        nlb.vpc.clone().ok_or_else(|| {
            AwsError::new(
                step.operation(),
                ErrorKind::Invalid,
                "no VPC for the network load balancer",
            )
        })
    };
    match step {
        NlbStep::CreateSecurityGroup => {
            let id = aws
                .ec2
                .create_security_group(
                    &nlb.security_group_name,
                    "Allow traffic to the public facing network load balancer on listener ports",
                    &vpc()?,
                    &d.tags,
                )
                .await?;
            Ok(Output::SecurityGroup(id))
        }
        NlbStep::AuthorizeIngress { group, rules } => {
            let rules: Vec<crate::state::lb::Ingress> = rules
                .iter()
                .map(|r| match r {
                    Source::Rule(i) => Ok(i.clone()),
                    Source::FromLoadBalancer(g) => {
                        let from = made.security_group(g)?;
                        Ok(crate::state::lb::Ingress {
                            protocol: "-1".into(),
                            ports: None,
                            source: crate::state::lb::IngressSource::Group(from),
                            description: Some(
                                "Ingress from the network load balancer of the service".into(),
                            ),
                        })
                    }
                })
                .collect::<Result<_, AwsError>>()?;
            aws.ec2
                .authorize_ingress(&made.security_group(group)?, &rules)
                .await?;
            Ok(Output::None)
        }
        NlbStep::CreateLoadBalancer { security_group } => {
            let group = security_group
                .as_ref()
                .map(|g| made.security_group(g))
                .transpose()?;
            let lb = aws::nlb::create(&aws.elb, &nlb.name, &nlb.subnets, group.as_deref(), &d.tags)
                .await?;
            Ok(Output::LoadBalancer(lb))
        }
        NlbStep::CreateTargetGroup { listener } => {
            let arn = aws::nlb::create_target_group(
                &aws.elb,
                &want(listener)?.target_group,
                &vpc()?,
                &d.tags,
            )
            .await?;
            Ok(Output::NlbTargetGroup(*listener, arn))
        }
        NlbStep::ModifyTargetGroup { listener, arn } => {
            aws::nlb::modify_target_group(&aws.elb, arn, &want(listener)?.target_group).await?;
            Ok(Output::None)
        }
        NlbStep::SetTargetGroupAttributes {
            listener,
            target_group,
        } => {
            let arn = made.target_group(target_group)?;
            aws::nlb::set_attributes(&aws.elb, &arn, &want(listener)?.target_group).await?;
            Ok(Output::None)
        }
        NlbStep::CreateListener {
            listener,
            target_group,
            certificates,
        }
        | NlbStep::ModifyListener {
            listener,
            target_group,
            certificates,
            ..
        } => {
            let w = want(listener)?;
            let tg = made.target_group(target_group)?;
            let spec = aws::nlb::ListenerSpec {
                port: w.port,
                protocol: &w.protocol,
                ssl_policy: w.ssl_policy.as_deref(),
                certificates,
                target_group: &tg,
            };
            match step {
                NlbStep::ModifyListener { arn, .. } => {
                    aws::nlb::modify_listener(&aws.elb, arn, &spec).await?;
                }
                _ => {
                    let lb = &made.load_balancer()?.arn;
                    aws::nlb::create_listener(&aws.elb, lb, &spec, &d.tags).await?;
                }
            }
            Ok(Output::None)
        }
        NlbStep::DeleteListener { arn, .. } => {
            aws::nlb::delete_listener(&aws.elb, arn).await?;
            Ok(Output::None)
        }
        NlbStep::UpsertRecords { zone, names } => {
            let lb = made.load_balancer()?;
            let records: Vec<crate::state::lb::AliasRecord> = names
                .iter()
                .map(|n| crate::state::lb::AliasRecord {
                    zone: zone.clone(),
                    name: n.clone(),
                    target_dns: lb.dns_name.clone(),
                    target_zone: lb.hosted_zone_id.clone(),
                })
                .collect();
            aws::route53::upsert(&aws.route53, zone, &records).await?;
            Ok(Output::None)
        }
    }
}

pub(super) async fn lb_step(
    aws: &Aws,
    d: &Desired,
    step: &LbStep,
    made: &Made<'_>,
) -> Result<Output, AwsError> {
    let lb = d.lb.as_ref().ok_or_else(|| {
        AwsError::new(
            step.operation(),
            ErrorKind::Other,
            "no load balancer rules wanted",
        )
    })?;
    let want = |rule: &usize| {
        lb.rules.get(*rule).ok_or_else(|| {
            AwsError::new(step.operation(), ErrorKind::Other, "no such routing rule")
        })
    };
    let forward_to = |action: &UseAction, tg: &TgRef| match action {
        UseAction::Forward => made.target_group(tg).map(Some),
        UseAction::RedirectToHttps => Ok(None),
    };
    match step {
        LbStep::CreateTargetGroup { rule } => {
            let arn = aws::elb::create_target_group(
                &aws.elb,
                &want(rule)?.target_group,
                &lb.vpc,
                &d.tags,
            )
            .await?;
            Ok(Output::TargetGroup(*rule, arn))
        }
        LbStep::ModifyTargetGroup { rule, arn } => {
            aws::elb::modify_target_group(&aws.elb, arn, &want(rule)?.target_group).await?;
            Ok(Output::None)
        }
        LbStep::SetTargetGroupAttributes { rule, target_group } => {
            let arn = made.target_group(target_group)?;
            aws::elb::set_attributes(&aws.elb, &arn, &want(rule)?.target_group).await?;
            Ok(Output::None)
        }
        LbStep::CreateRule {
            listener,
            priority,
            conditions,
            action,
            target_group,
            ..
        } => {
            let tg = forward_to(action, target_group)?;
            create_rule(aws, d, listener, *priority, conditions, tg.as_deref()).await?;
            Ok(Output::None)
        }
        LbStep::ModifyRule {
            arn,
            conditions,
            action,
            target_group,
            ..
        } => {
            let tg = forward_to(action, target_group)?;
            aws::elb::modify_rule(&aws.elb, arn, conditions, tg.as_deref()).await?;
            Ok(Output::None)
        }
        LbStep::WeighRule {
            arn,
            conditions,
            weights,
            ..
        } => {
            let weights = weights
                .iter()
                .map(|(tg, w)| {
                    Ok(crate::state::lb::Weighted {
                        arn: made.target_group(tg)?,
                        weight: *w,
                    })
                })
                .collect::<Result<Vec<_>, AwsError>>()?;
            aws::elb::weigh_rule(&aws.elb, arn, conditions, &weights).await?;
            Ok(Output::None)
        }
        LbStep::DeleteRule { arn } => {
            aws::elb::delete_rule(&aws.elb, arn).await?;
            Ok(Output::None)
        }
        // UPSERT: a retry does the same again.
        LbStep::UpsertRecords { zone, records } => {
            aws::route53::upsert(&aws.route53, zone, records).await?;
            Ok(Output::None)
        }
    }
}

/// CreateRule at the planned priority. When that priority was taken since
/// the listener's rules were read (another deploy on the same listener), or
/// the answer to an earlier attempt was lost: read the rules again; a rule
/// with these conditions and action is ours, else take the next free priority.
async fn create_rule(
    aws: &Aws,
    d: &Desired,
    listener: &str,
    priority: i32,
    conditions: &Conditions,
    tg: Option<&str>,
) -> Result<(), AwsError> {
    let mut priority = priority;
    let root = conditions.paths == ["/*"];
    for _ in 0..5 {
        match aws::elb::create_rule(&aws.elb, listener, priority, conditions, tg, &d.tags).await {
            Ok(_) => return Ok(()),
            Err(e) if e.is(ErrorKind::AlreadyExists) => {
                let rules = aws::elb::rules(&aws.elb, listener).await?;
                let ours = rules.iter().any(|r| {
                    &r.conditions == conditions
                        && match tg {
                            Some(tg) => r.forwards_to(tg),
                            None => r.action == crate::state::lb::RuleAction::RedirectToHttps,
                        }
                });
                if ours {
                    return Ok(());
                }
                tracing::debug!(priority, "rule priority taken meanwhile; choosing again");
                priority = crate::plan::lb::next_priority(&rules, &[], root);
            }
            Err(e) => return Err(e),
        }
    }
    Err(AwsError::new(
        "elasticloadbalancing:CreateRule",
        ErrorKind::Other,
        "every priority tried was taken meanwhile",
    ))
}
