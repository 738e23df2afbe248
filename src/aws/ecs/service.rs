//! ECS services: describe, create, update; clusters.

use aws_sdk_ecs::types as ecs;

use super::build_err;
use crate::aws::{AwsError, ErrorKind, Found, aws_err};
use crate::state::{
    Deployment, DeploymentStatus, NewService, RolloutState, ServiceEvent, ServiceState,
};

fn epoch_ms(t: Option<&aws_smithy_types::DateTime>) -> i64 {
    t.map(|t| t.secs() * 1000 + i64::from(t.subsec_nanos() / 1_000_000))
        .unwrap_or_default()
}

fn service_state(s: &ecs::Service) -> ServiceState {
    ServiceState {
        arn: s.service_arn().unwrap_or_default().to_string(),
        name: s.service_name().unwrap_or_default().to_string(),
        status: s.status().unwrap_or_default().to_string(),
        task_definition: s.task_definition().unwrap_or_default().to_string(),
        desired: s.desired_count(),
        running: s.running_count(),
        pending: s.pending_count(),
        deployments: s
            .deployments()
            .iter()
            .map(|d| Deployment {
                id: d.id().unwrap_or_default().to_string(),
                status: DeploymentStatus::from_ecs(d.status().unwrap_or_default()),
                task_definition: d.task_definition().unwrap_or_default().to_string(),
                desired: d.desired_count(),
                running: d.running_count(),
                pending: d.pending_count(),
                failed_tasks: d.failed_tasks(),
                rollout_state: RolloutState::from_ecs(d.rollout_state().map(|r| r.as_str())),
                rollout_reason: d.rollout_state_reason().unwrap_or_default().to_string(),
                created_at_ms: epoch_ms(d.created_at()),
            })
            .collect(),
        events: s
            .events()
            .iter()
            .map(|e| ServiceEvent {
                id: e.id().unwrap_or_default().to_string(),
                at_epoch_ms: epoch_ms(e.created_at()),
                message: e.message().unwrap_or_default().to_string(),
            })
            .collect(),
        circuit_breaker_rollback: s
            .deployment_configuration()
            .and_then(|c| c.deployment_circuit_breaker())
            .map(|b| b.rollback()),
    }
}

/// DescribeServices for one service; `None` when it does not exist (or is INACTIVE).
pub async fn describe_service(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
) -> Result<Option<ServiceState>, AwsError> {
    let out = client
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .map_err(aws_err("ecs:DescribeServices"))
        .found()?;
    Ok(out.and_then(|o| {
        o.services()
            .iter()
            .map(service_state)
            .find(|s| s.status != "INACTIVE")
    }))
}

/// Whether the cluster exists and is ACTIVE.
pub async fn cluster_is_active(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
) -> Result<bool, AwsError> {
    let out = client
        .describe_clusters()
        .clusters(cluster)
        .send()
        .await
        .map_err(aws_err("ecs:DescribeClusters"))?;
    Ok(out.clusters().iter().any(|c| c.status() == Some("ACTIVE")))
}

fn deployment_configuration(rollback: bool) -> ecs::DeploymentConfiguration {
    ecs::DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            ecs::DeploymentCircuitBreaker::builder()
                .enable(true)
                .rollback(rollback)
                .build(),
        )
        .minimum_healthy_percent(100)
        .maximum_percent(200)
        .build()
}

pub async fn create_service(
    client: &aws_sdk_ecs::Client,
    s: &NewService,
) -> Result<ServiceState, AwsError> {
    const OP: &str = "ecs:CreateService";
    let vpc = ecs::AwsVpcConfiguration::builder()
        .set_subnets(Some(s.subnets.clone()))
        .set_security_groups(Some(s.security_groups.clone()))
        .assign_public_ip(if s.public_ip {
            ecs::AssignPublicIp::Enabled
        } else {
            ecs::AssignPublicIp::Disabled
        })
        .build()
        .map_err(build_err(OP))?;
    let mut req = client
        .create_service()
        .cluster(&s.cluster)
        .service_name(&s.name)
        .task_definition(&s.task_definition)
        .desired_count(s.desired)
        .launch_type(ecs::LaunchType::Fargate)
        .network_configuration(
            ecs::NetworkConfiguration::builder()
                .awsvpc_configuration(vpc)
                .build(),
        )
        .deployment_configuration(deployment_configuration(s.rollback))
        .propagate_tags(ecs::PropagateTags::Service)
        .enable_ecs_managed_tags(true)
        .client_token(&s.client_token);
    if let Some((tg, container, port)) = &s.load_balancer {
        req = req
            .load_balancers(
                ecs::LoadBalancer::builder()
                    .target_group_arn(tg)
                    .container_name(container)
                    .container_port(*port)
                    .build(),
            )
            .health_check_grace_period_seconds(60);
    }
    for (k, v) in &s.tags {
        req = req.tags(ecs::Tag::builder().key(k).value(v).build());
    }
    let out = req.send().await.map_err(aws_err(OP))?;
    out.service()
        .map(service_state)
        .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "the answer holds no service"))
}

/// UpdateService: a task definition and desired count, the circuit breaker on.
pub async fn update_service(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
    task_definition: &str,
    desired: i32,
    rollback: bool,
) -> Result<ServiceState, AwsError> {
    const OP: &str = "ecs:UpdateService";
    let out = client
        .update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(task_definition)
        .desired_count(desired)
        .deployment_configuration(deployment_configuration(rollback))
        .send()
        .await
        .map_err(aws_err(OP))?;
    out.service()
        .map(service_state)
        .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "the answer holds no service"))
}
