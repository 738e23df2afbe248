//! Application Auto Scaling: an ECS service's scalable target (its desired
//! count's range) and target-tracking policies, as Copilot creates them.

use aws_sdk_applicationautoscaling::types::{
    CustomizedMetricSpecification, MetricDimension, MetricStatistic, MetricType,
    PredefinedMetricSpecification, ScalableDimension, ServiceNamespace, TargetTrackingMetric,
    TargetTrackingMetricDataQuery, TargetTrackingMetricDimension, TargetTrackingMetricStat,
    TargetTrackingScalingPolicyConfiguration,
};

use super::{AwsError, aws_err, build_err};
use crate::state::{CustomMetric, MetricQuery, Scaling, ScalingPolicy};

/// `service/{cluster}/{service}`.
pub fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// The service's scalable target and policies (nothing when it has none).
pub async fn scaling(
    client: &aws_sdk_applicationautoscaling::Client,
    cluster: &str,
    service: &str,
) -> Result<Scaling, AwsError> {
    let id = resource_id(cluster, service);
    let (targets, policies) = tokio::join!(
        client
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_ids(&id)
            .send(),
        client
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(&id)
            .send(),
    );
    let targets = targets.map_err(aws_err("application-autoscaling:DescribeScalableTargets"))?;
    let policies = policies.map_err(aws_err("application-autoscaling:DescribeScalingPolicies"))?;
    Ok(Scaling {
        range: targets
            .scalable_targets()
            .first()
            .map(|t| (t.min_capacity(), t.max_capacity())),
        policies: policies
            .scaling_policies()
            .iter()
            .filter_map(|p| {
                let c = p.target_tracking_scaling_policy_configuration()?;
                let custom = c.customized_metric_specification().map(|m| CustomMetric {
                    namespace: m.namespace().unwrap_or_default().to_string(),
                    name: m.metric_name().unwrap_or_default().to_string(),
                    statistic: m
                        .statistic()
                        .map(|s| s.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    dimensions: m
                        .dimensions()
                        .iter()
                        .map(|d| (d.name().to_string(), d.value().to_string()))
                        .collect(),
                    unit: m.unit().map(str::to_string),
                    queries: m.metrics().iter().map(query_of).collect(),
                });
                let name = p.policy_name().to_string();
                Some(ScalingPolicy {
                    metric: match (c.predefined_metric_specification(), &custom) {
                        (Some(m), _) => m.predefined_metric_type().as_str().to_string(),
                        // `{svc}-BacklogPerTask-{queue}`: a Worker Service's queue.
                        (None, Some(m))
                            if m.name == crate::names::copilot::BACKLOG_PER_TASK
                                || (!m.queries.is_empty()
                                    && name.contains(&format!(
                                        "-{}-",
                                        crate::names::copilot::BACKLOG_PER_TASK
                                    ))) =>
                        {
                            crate::names::copilot::BACKLOG_PER_TASK.to_string()
                        }
                        // Copilot names a customized metric's policy `{svc}-{metric}-ScalingPolicy`.
                        (None, Some(_)) => name
                            .trim_end_matches("-ScalingPolicy")
                            .rsplit('-')
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                        (None, None) => String::new(),
                    },
                    name,
                    target_milli: (c.target_value() * 1000.0).round() as i64,
                    scale_in_s: c.scale_in_cooldown().unwrap_or_default(),
                    scale_out_s: c.scale_out_cooldown().unwrap_or_default(),
                    custom,
                })
            })
            .collect(),
    })
}

/// RegisterScalableTarget: the range the service's desired count moves in.
/// Without a role ARN, Application Auto Scaling uses its service-linked role.
pub async fn register_target(
    client: &aws_sdk_applicationautoscaling::Client,
    cluster: &str,
    service: &str,
    (min, max): (i32, i32),
) -> Result<(), AwsError> {
    client
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id(cluster, service))
        .min_capacity(min)
        .max_capacity(max)
        .send()
        .await
        .map_err(aws_err("application-autoscaling:RegisterScalableTarget"))?;
    Ok(())
}

/// PutScalingPolicy: a target-tracking policy on a predefined ECS metric.
pub async fn put_policy(
    client: &aws_sdk_applicationautoscaling::Client,
    cluster: &str,
    service: &str,
    p: &ScalingPolicy,
) -> Result<(), AwsError> {
    const OP: &str = "application-autoscaling:PutScalingPolicy";
    let mut config = TargetTrackingScalingPolicyConfiguration::builder();
    config = match &p.custom {
        None => config.predefined_metric_specification(
            PredefinedMetricSpecification::builder()
                .predefined_metric_type(MetricType::from(p.metric.as_str()))
                .build()
                .map_err(build_err(OP))?,
        ),
        Some(m) if !m.queries.is_empty() => config.customized_metric_specification(
            CustomizedMetricSpecification::builder()
                .set_metrics(Some(
                    m.queries.iter().map(query).collect::<Result<Vec<_>, _>>()?,
                ))
                .build(),
        ),
        Some(m) => config.customized_metric_specification(
            CustomizedMetricSpecification::builder()
                .namespace(&m.namespace)
                .metric_name(&m.name)
                .statistic(MetricStatistic::from(m.statistic.as_str()))
                .set_dimensions(Some(
                    m.dimensions
                        .iter()
                        .map(|(k, v)| {
                            MetricDimension::builder()
                                .name(k)
                                .value(v)
                                .build()
                                .map_err(build_err(OP))
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ))
                .set_unit(m.unit.clone())
                .build(),
        ),
    };
    let config = config
        .target_value(p.target_milli as f64 / 1000.0)
        .scale_in_cooldown(p.scale_in_s)
        .scale_out_cooldown(p.scale_out_s)
        .build()
        .map_err(build_err(OP))?;
    client
        .put_scaling_policy()
        .policy_name(&p.name)
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id(cluster, service))
        .policy_type(aws_sdk_applicationautoscaling::types::PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(config)
        .send()
        .await
        .map_err(aws_err(OP))?;
    Ok(())
}

/// A metric-math query, as Application Auto Scaling takes it.
fn query(q: &MetricQuery) -> Result<TargetTrackingMetricDataQuery, AwsError> {
    const OP: &str = "application-autoscaling:PutScalingPolicy";
    let stat = match &q.metric {
        None => None,
        Some((namespace, name, dims, stat)) => Some(
            TargetTrackingMetricStat::builder()
                .metric(
                    TargetTrackingMetric::builder()
                        .namespace(namespace)
                        .metric_name(name)
                        .set_dimensions(Some(
                            dims.iter()
                                .map(|(k, v)| {
                                    TargetTrackingMetricDimension::builder()
                                        .name(k)
                                        .value(v)
                                        .build()
                                        .map_err(build_err(OP))
                                })
                                .collect::<Result<Vec<_>, _>>()?,
                        ))
                        .build(),
                )
                .stat(stat)
                .build()
                .map_err(build_err(OP))?,
        ),
    };
    TargetTrackingMetricDataQuery::builder()
        .id(&q.id)
        .set_expression(q.expression.clone())
        .set_metric_stat(stat)
        .return_data(q.return_data)
        .build()
        .map_err(build_err(OP))
}

fn query_of(q: &TargetTrackingMetricDataQuery) -> MetricQuery {
    MetricQuery {
        id: q.id().to_string(),
        expression: q.expression().map(str::to_string),
        metric: q.metric_stat().map(|s| {
            let m = s.metric();
            (
                m.and_then(|m| m.namespace())
                    .unwrap_or_default()
                    .to_string(),
                m.and_then(|m| m.metric_name())
                    .unwrap_or_default()
                    .to_string(),
                m.map(|m| {
                    m.dimensions()
                        .iter()
                        .map(|d| (d.name().to_string(), d.value().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
                s.stat().to_string(),
            )
        }),
        return_data: q.return_data().unwrap_or(true),
    }
}

pub async fn delete_policy(
    client: &aws_sdk_applicationautoscaling::Client,
    cluster: &str,
    service: &str,
    name: &str,
) -> Result<(), AwsError> {
    client
        .delete_scaling_policy()
        .policy_name(name)
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id(cluster, service))
        .send()
        .await
        .map_err(aws_err("application-autoscaling:DeleteScalingPolicy"))?;
    Ok(())
}
