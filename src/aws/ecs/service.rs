//! ECS services: describe, create, update; clusters.

use aws_sdk_ecs::types as ecs;

use super::build_err;
use crate::aws::{AwsError, ErrorKind, Found, aws_err};
use crate::state::lb::LoadBalancer;
use crate::state::{
    CapacityProvider, ConnectService, Deployment, DeploymentStatus, NewService, RolloutSettings,
    RolloutState, ServiceConnect, ServiceEvent, ServiceRegistry, ServiceState,
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
        rollout_settings: s.deployment_configuration().map(|c| {
            let alarms = c
                .alarms()
                .filter(|a| a.enable())
                .map(|a| a.alarm_names().to_vec())
                .unwrap_or_default();
            RolloutSettings {
                min_healthy_percent: c.minimum_healthy_percent().unwrap_or(100),
                max_percent: c.maximum_percent().unwrap_or(200),
                alarms,
            }
        }),
        exec: s.enable_execute_command(),
        capacity: s
            .capacity_provider_strategy()
            .iter()
            .map(|c| CapacityProvider {
                provider: c.capacity_provider().to_string(),
                weight: c.weight(),
                base: c.base(),
            })
            .collect(),
        tags: s
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect(),
        load_balancers: s
            .load_balancers()
            .iter()
            .map(|l| LoadBalancer {
                target_group: l.target_group_arn().unwrap_or_default().to_string(),
                container: l.container_name().unwrap_or_default().to_string(),
                port: l.container_port().unwrap_or_default(),
            })
            .collect(),
        health_check_grace_s: s.health_check_grace_period_seconds(),
        service_registries: s
            .service_registries()
            .iter()
            .map(|r| ServiceRegistry {
                arn: r.registry_arn().unwrap_or_default().to_string(),
                port: r.port(),
            })
            .collect(),
        service_connect: s
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .and_then(|d| d.service_connect_configuration())
            .map(|c| ServiceConnect {
                enabled: c.enabled(),
                namespace: c.namespace().map(str::to_string),
                services: c
                    .services()
                    .iter()
                    .map(|s| {
                        let alias = s.client_aliases().first();
                        ConnectService {
                            port_name: s.port_name().to_string(),
                            discovery_name: s.discovery_name().unwrap_or_default().to_string(),
                            dns_name: alias.and_then(|a| a.dns_name()).unwrap_or_default().into(),
                            port: alias.map_or(0, |a| a.port()),
                        }
                    })
                    .collect(),
            }),
    }
}

/// Service Connect as Copilot configures it: its proxy's logs go to the
/// service's log group under `copilot`.
fn service_connect(
    c: &ServiceConnect,
    log: Option<(&str, &str)>,
) -> Result<ecs::ServiceConnectConfiguration, AwsError> {
    const OP: &str = "ecs:UpdateService";
    let services = c
        .services
        .iter()
        .map(|s| {
            ecs::ServiceConnectService::builder()
                .port_name(&s.port_name)
                .discovery_name(&s.discovery_name)
                .client_aliases(
                    ecs::ServiceConnectClientAlias::builder()
                        .port(s.port)
                        .dns_name(&s.dns_name)
                        .build()
                        .map_err(build_err(OP))?,
                )
                .build()
                .map_err(build_err(OP))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let log = match log.filter(|_| c.enabled) {
        Some((group, region)) => Some(
            ecs::LogConfiguration::builder()
                .log_driver(ecs::LogDriver::Awslogs)
                .options("awslogs-group", group)
                .options("awslogs-region", region)
                .options("awslogs-stream-prefix", "copilot")
                .build()
                .map_err(build_err(OP))?,
        ),
        None => None,
    };
    Ok(ecs::ServiceConnectConfiguration::builder()
        .enabled(c.enabled)
        .set_namespace(c.namespace.clone().filter(|_| c.enabled))
        .set_services((c.enabled && !services.is_empty()).then_some(services))
        .set_log_configuration(log)
        .build())
}

fn registries(r: &[ServiceRegistry]) -> Vec<ecs::ServiceRegistry> {
    r.iter()
        .map(|r| {
            ecs::ServiceRegistry::builder()
                .registry_arn(&r.arn)
                .set_port(r.port)
                .build()
        })
        .collect()
}

fn load_balancers(l: &[LoadBalancer]) -> Vec<ecs::LoadBalancer> {
    l.iter()
        .map(|l| {
            ecs::LoadBalancer::builder()
                .target_group_arn(&l.target_group)
                .container_name(&l.container)
                .container_port(l.port)
                .build()
        })
        .collect()
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
        .include(ecs::ServiceField::Tags)
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

/// The cluster's ACTIVE services carrying every one of `tags`, as
/// Copilot's `svc` commands find a service by its tags.
pub async fn services_tagged(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    tags: &[(&str, &str)],
) -> Result<Vec<ServiceState>, AwsError> {
    let mut arns = Vec::new();
    let mut pages = client
        .list_services()
        .cluster(cluster)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page.map_err(aws_err("ecs:ListServices")).found()? {
            Some(p) => arns.extend(p.service_arns().iter().cloned()),
            None => return Ok(Vec::new()),
        }
    }
    let described = futures_util::future::try_join_all(arns.chunks(10).map(|chunk| {
        client
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.to_vec()))
            .include(ecs::ServiceField::Tags)
            .send()
    }))
    .await
    .map_err(aws_err("ecs:DescribeServices"))?;
    Ok(described
        .iter()
        .flat_map(|o| o.services().iter().map(service_state))
        .filter(|s| {
            s.status == "ACTIVE"
                && tags
                    .iter()
                    .all(|(k, v)| s.tags.get(*k).map(String::as_str) == Some(*v))
        })
        .collect())
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

/// A task's network, as ECS takes it.
pub(super) fn awsvpc(
    subnets: &[String],
    security_groups: &[String],
    public_ip: bool,
    op: &'static str,
) -> Result<ecs::AwsVpcConfiguration, AwsError> {
    ecs::AwsVpcConfiguration::builder()
        .set_subnets(Some(subnets.to_vec()))
        .set_security_groups(Some(security_groups.to_vec()))
        .assign_public_ip(if public_ip {
            ecs::AssignPublicIp::Enabled
        } else {
            ecs::AssignPublicIp::Disabled
        })
        .build()
        .map_err(build_err(op))
}

/// A capacity provider strategy as ECS takes it.
pub(super) fn strategy(
    c: &[CapacityProvider],
) -> Result<Vec<ecs::CapacityProviderStrategyItem>, AwsError> {
    c.iter()
        .map(|p| {
            ecs::CapacityProviderStrategyItem::builder()
                .capacity_provider(&p.provider)
                .weight(p.weight)
                .base(p.base)
                .build()
                .map_err(build_err("ecs:UpdateService"))
        })
        .collect()
}

/// The circuit breaker on, the healthy percentages, and the rollback alarms
/// on with their names (or off, with none, as Copilot sets it).
fn deployment_configuration(
    rollback: bool,
    settings: &RolloutSettings,
) -> Result<ecs::DeploymentConfiguration, AwsError> {
    let alarms = ecs::DeploymentAlarms::builder()
        .set_alarm_names(Some(settings.alarms.clone()))
        .enable(!settings.alarms.is_empty())
        .rollback(true)
        .build()
        .map_err(build_err("ecs:UpdateService"))?;
    Ok(ecs::DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            ecs::DeploymentCircuitBreaker::builder()
                .enable(true)
                .rollback(rollback)
                .build(),
        )
        .minimum_healthy_percent(settings.min_healthy_percent)
        .maximum_percent(settings.max_percent)
        .alarms(alarms)
        .build())
}

pub async fn create_service(
    client: &aws_sdk_ecs::Client,
    s: &NewService,
) -> Result<ServiceState, AwsError> {
    const OP: &str = "ecs:CreateService";
    let vpc = awsvpc(&s.subnets, &s.security_groups, s.public_ip, OP)?;
    let mut req = client
        .create_service()
        .cluster(&s.cluster)
        .service_name(&s.name)
        .task_definition(&s.task_definition)
        .desired_count(s.desired)
        .network_configuration(
            ecs::NetworkConfiguration::builder()
                .awsvpc_configuration(vpc)
                .build(),
        )
        .deployment_configuration(deployment_configuration(s.rollback, &s.rollout_settings)?)
        .enable_execute_command(s.exec)
        .propagate_tags(ecs::PropagateTags::Service)
        .enable_ecs_managed_tags(true)
        .client_token(&s.client_token);
    req = if s.capacity.is_empty() {
        req.launch_type(ecs::LaunchType::Fargate)
    } else {
        req.set_capacity_provider_strategy(Some(strategy(&s.capacity)?))
    };
    if let Some(c) = &s.service_connect {
        let log = s
            .connect_log
            .as_ref()
            .map(|(g, r)| (g.as_str(), r.as_str()));
        req = req.service_connect_configuration(service_connect(c, log)?);
    }
    if !s.service_registries.is_empty() {
        req = req.set_service_registries(Some(registries(&s.service_registries)));
    }
    if !s.load_balancers.is_empty() {
        req = req
            .set_load_balancers(Some(load_balancers(&s.load_balancers)))
            .health_check_grace_period_seconds(s.health_check_grace_s.unwrap_or(60));
    }
    for (k, v) in &s.tags {
        req = req.tags(ecs::Tag::builder().key(k).value(v).build());
    }
    let out = req.send().await.map_err(aws_err(OP))?;
    out.service()
        .map(service_state)
        .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "the answer holds no service"))
}

/// What an UpdateService changes. The default leaves everything but the
/// task definition, the desired count and the circuit breaker as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct ServiceUpdate<'a> {
    pub task_definition: &'a str,
    pub desired: i32,
    /// The circuit breaker rolls back.
    pub rollback: bool,
    /// `None` leaves ECS Exec as it is.
    pub exec: Option<bool>,
    /// `None` leaves the strategy as it is; empty goes back to the launch type.
    pub capacity: Option<&'a [CapacityProvider]>,
    /// `None` leaves the load balancer entries as they are.
    pub load_balancers: Option<&'a [LoadBalancer]>,
    pub grace_period_s: Option<i32>,
    /// `None` leaves the Cloud Map registration as it is.
    pub service_registries: Option<&'a [ServiceRegistry]>,
    /// `None` leaves Service Connect as it is; with the log group and region
    /// of its proxy's logs.
    pub service_connect: Option<(&'a ServiceConnect, (&'a str, &'a str))>,
    /// The healthy percentages and rollback alarms (`None`: ECS's defaults).
    pub rollout_settings: Option<&'a RolloutSettings>,
}

/// UpdateService: a task definition and desired count, the circuit breaker on.
pub async fn update_service(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
    u: ServiceUpdate<'_>,
) -> Result<ServiceState, AwsError> {
    const OP: &str = "ecs:UpdateService";
    let out = client
        .update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(u.task_definition)
        .desired_count(u.desired)
        .deployment_configuration(deployment_configuration(
            u.rollback,
            u.rollout_settings.unwrap_or(&RolloutSettings::default()),
        )?)
        .set_enable_execute_command(u.exec)
        .set_capacity_provider_strategy(u.capacity.map(strategy).transpose()?)
        .set_load_balancers(u.load_balancers.map(load_balancers))
        .set_health_check_grace_period_seconds(u.grace_period_s)
        .set_service_registries(u.service_registries.map(registries))
        .set_service_connect_configuration(
            u.service_connect
                .map(|(c, log)| service_connect(c, Some(log)))
                .transpose()?,
        )
        .send()
        .await
        .map_err(aws_err(OP))?;
    out.service()
        .map(service_state)
        .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "the answer holds no service"))
}
