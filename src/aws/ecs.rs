//! ECS: task definitions in and out of the SDK's types, services and their rollouts.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ecs::types as ecs;

use super::{AwsError, ErrorKind, Found, aws_err};
use crate::render::taskdef::*;

fn build_err(
    op: &'static str,
) -> impl FnOnce(aws_smithy_types::error::operation::BuildError) -> AwsError {
    move |e| AwsError::new(op, ErrorKind::Invalid, e.to_string())
}

fn hash(m: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn secret(s: &Secret) -> Result<ecs::Secret, AwsError> {
    ecs::Secret::builder()
        .name(&s.name)
        .value_from(&s.value_from)
        .build()
        .map_err(build_err("ecs:RegisterTaskDefinition"))
}

fn container(c: &ContainerDefinition) -> Result<ecs::ContainerDefinition, AwsError> {
    const OP: &str = "ecs:RegisterTaskDefinition";
    let mut b = ecs::ContainerDefinition::builder()
        .name(&c.name)
        .image(&c.image)
        .essential(c.essential)
        .set_entry_point(c.entry_point.clone())
        .set_command(c.command.clone())
        .set_readonly_root_filesystem(c.readonly_root_filesystem)
        .set_docker_labels(hash(&c.docker_labels));
    if let Some(rc) = &c.repository_credentials {
        b = b.repository_credentials(
            ecs::RepositoryCredentials::builder()
                .credentials_parameter(&rc.credentials_parameter)
                .build()
                .map_err(build_err(OP))?,
        );
    }
    for p in &c.port_mappings {
        b = b.port_mappings(
            ecs::PortMapping::builder()
                .container_port(p.container_port)
                .protocol(ecs::TransportProtocol::from(p.protocol.as_str()))
                .build(),
        );
    }
    for e in &c.environment {
        b = b.environment(
            ecs::KeyValuePair::builder()
                .name(&e.name)
                .value(&e.value)
                .build(),
        );
    }
    for s in &c.secrets {
        b = b.secrets(secret(s)?);
    }
    for m in &c.mount_points {
        b = b.mount_points(
            ecs::MountPoint::builder()
                .source_volume(&m.source_volume)
                .container_path(&m.container_path)
                .read_only(m.read_only)
                .build(),
        );
    }
    for d in &c.depends_on {
        b = b.depends_on(
            ecs::ContainerDependency::builder()
                .container_name(&d.container_name)
                .condition(ecs::ContainerCondition::from(d.condition.as_str()))
                .build()
                .map_err(build_err(OP))?,
        );
    }
    if let Some(h) = &c.health_check {
        b = b.health_check(
            ecs::HealthCheck::builder()
                .set_command(Some(h.command.clone()))
                .interval(h.interval)
                .timeout(h.timeout)
                .retries(h.retries)
                .start_period(h.start_period)
                .build()
                .map_err(build_err(OP))?,
        );
    }
    if let Some(f) = &c.firelens_configuration {
        b = b.firelens_configuration(
            ecs::FirelensConfiguration::builder()
                .r#type(ecs::FirelensConfigurationType::from(f.kind.as_str()))
                .set_options(hash(&f.options))
                .build()
                .map_err(build_err(OP))?,
        );
    }
    if let Some(l) = &c.log_configuration {
        let secrets = l
            .secret_options
            .iter()
            .map(secret)
            .collect::<Result<Vec<_>, _>>()?;
        b = b.log_configuration(
            ecs::LogConfiguration::builder()
                .log_driver(ecs::LogDriver::from(l.log_driver.as_str()))
                .set_options(hash(&l.options))
                .set_secret_options((!secrets.is_empty()).then_some(secrets))
                .build()
                .map_err(build_err(OP))?,
        );
    }
    Ok(b.build())
}

fn volume(v: &Volume) -> Result<ecs::Volume, AwsError> {
    let mut b = ecs::Volume::builder().name(&v.name);
    if let Some(e) = &v.efs_volume_configuration {
        let auth = e.authorization_config.as_ref().map(|a| {
            ecs::EfsAuthorizationConfig::builder()
                .set_access_point_id(a.access_point_id.clone())
                .set_iam(a.iam.as_deref().map(ecs::EfsAuthorizationConfigIam::from))
                .build()
        });
        b = b.efs_volume_configuration(
            ecs::EfsVolumeConfiguration::builder()
                .file_system_id(&e.file_system_id)
                .root_directory(&e.root_directory)
                .transit_encryption(ecs::EfsTransitEncryption::from(
                    e.transit_encryption.as_str(),
                ))
                .set_authorization_config(auth)
                .build()
                .map_err(build_err("ecs:RegisterTaskDefinition"))?,
        );
    }
    Ok(b.build())
}

/// A registered task definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Registered {
    pub arn: String,
    pub revision: i32,
    pub definition: TaskDefinition,
}

/// RegisterTaskDefinition. Not idempotent: callers compare with the family's
/// latest revision first (see `deploy`).
pub async fn register_task_definition(
    client: &aws_sdk_ecs::Client,
    td: &TaskDefinition,
) -> Result<Registered, AwsError> {
    const OP: &str = "ecs:RegisterTaskDefinition";
    let containers = td
        .container_definitions
        .iter()
        .map(container)
        .collect::<Result<Vec<_>, _>>()?;
    let volumes = td
        .volumes
        .iter()
        .map(volume)
        .collect::<Result<Vec<_>, _>>()?;
    let out = client
        .register_task_definition()
        .family(&td.family)
        .task_role_arn(&td.task_role_arn)
        .execution_role_arn(&td.execution_role_arn)
        .network_mode(ecs::NetworkMode::from(td.network_mode.as_str()))
        .set_requires_compatibilities(Some(
            td.requires_compatibilities
                .iter()
                .map(|c| ecs::Compatibility::from(c.as_str()))
                .collect(),
        ))
        .cpu(&td.cpu)
        .memory(&td.memory)
        .runtime_platform(
            ecs::RuntimePlatform::builder()
                .cpu_architecture(ecs::CpuArchitecture::from(
                    td.runtime_platform.cpu_architecture.as_str(),
                ))
                .operating_system_family(ecs::OsFamily::from(
                    td.runtime_platform.operating_system_family.as_str(),
                ))
                .build(),
        )
        .set_ephemeral_storage(td.ephemeral_storage.as_ref().map(|e| {
            ecs::EphemeralStorage::builder()
                .size_in_gib(e.size_in_gi_b)
                .build()
        }))
        .set_container_definitions(Some(containers))
        .set_volumes((!volumes.is_empty()).then_some(volumes))
        .send()
        .await
        .map_err(aws_err(OP))?;
    let described = out.task_definition().ok_or_else(|| {
        AwsError::new(OP, ErrorKind::Other, "the answer holds no task definition")
    })?;
    Ok(from_described(described))
}

/// DescribeTaskDefinition by family (its latest ACTIVE revision) or ARN;
/// `None` when there is none.
pub async fn describe_task_definition(
    client: &aws_sdk_ecs::Client,
    family_or_arn: &str,
) -> Result<Option<Registered>, AwsError> {
    let out = client
        .describe_task_definition()
        .task_definition(family_or_arn)
        .send()
        .await
        .map_err(aws_err("ecs:DescribeTaskDefinition"))
        .found()?;
    Ok(out.and_then(|o| o.task_definition().map(from_described)))
}

fn map(m: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn secrets_of(s: &[ecs::Secret]) -> Vec<Secret> {
    s.iter()
        .map(|s| Secret {
            name: s.name().to_string(),
            value_from: s.value_from().to_string(),
        })
        .collect()
}

/// A described task definition in sidecarctl's terms: the fields it renders,
/// with what ECS fills in by itself (cpu 0, host ports, empty lists) left out.
pub fn from_described(td: &ecs::TaskDefinition) -> Registered {
    let containers = td
        .container_definitions()
        .iter()
        .map(|c| ContainerDefinition {
            name: c.name().unwrap_or_default().to_string(),
            image: c.image().unwrap_or_default().to_string(),
            essential: c.essential().unwrap_or(true),
            repository_credentials: c.repository_credentials().map(|r| RepositoryCredentials {
                credentials_parameter: r.credentials_parameter().to_string(),
            }),
            entry_point: (!c.entry_point().is_empty()).then(|| c.entry_point().to_vec()),
            command: (!c.command().is_empty()).then(|| c.command().to_vec()),
            port_mappings: c
                .port_mappings()
                .iter()
                .map(|p| PortMapping {
                    container_port: p.container_port().unwrap_or_default(),
                    protocol: p.protocol().map_or("tcp", |p| p.as_str()).to_string(),
                })
                .collect(),
            environment: c
                .environment()
                .iter()
                .map(|e| KeyValue {
                    name: e.name().unwrap_or_default().to_string(),
                    value: e.value().unwrap_or_default().to_string(),
                })
                .collect(),
            secrets: secrets_of(c.secrets()),
            mount_points: c
                .mount_points()
                .iter()
                .map(|m| MountPoint {
                    source_volume: m.source_volume().unwrap_or_default().to_string(),
                    container_path: m.container_path().unwrap_or_default().to_string(),
                    read_only: m.read_only().unwrap_or(false),
                })
                .collect(),
            depends_on: c
                .depends_on()
                .iter()
                .map(|d| Dependency {
                    container_name: d.container_name().to_string(),
                    condition: d.condition().as_str().to_string(),
                })
                .collect(),
            health_check: c.health_check().map(|h| ContainerHealthCheck {
                command: h.command().to_vec(),
                interval: h.interval().unwrap_or(30),
                timeout: h.timeout().unwrap_or(5),
                retries: h.retries().unwrap_or(3),
                start_period: h.start_period().unwrap_or(0),
            }),
            docker_labels: map(c.docker_labels()),
            readonly_root_filesystem: c.readonly_root_filesystem(),
            firelens_configuration: c.firelens_configuration().map(|f| FirelensConfiguration {
                kind: f.r#type().as_str().to_string(),
                options: map(f.options()),
            }),
            log_configuration: c.log_configuration().map(|l| LogConfiguration {
                log_driver: l.log_driver().as_str().to_string(),
                options: map(l.options()),
                secret_options: secrets_of(l.secret_options()),
            }),
        })
        .collect();
    let volumes = td
        .volumes()
        .iter()
        .map(|v| Volume {
            name: v.name().unwrap_or_default().to_string(),
            efs_volume_configuration: v.efs_volume_configuration().map(|e| {
                EfsVolumeConfiguration {
                    file_system_id: e.file_system_id().to_string(),
                    root_directory: e.root_directory().unwrap_or("/").to_string(),
                    transit_encryption: e
                        .transit_encryption()
                        .map_or("DISABLED", |t| t.as_str())
                        .to_string(),
                    authorization_config: e.authorization_config().map(|a| {
                        EfsAuthorizationConfig {
                            access_point_id: a.access_point_id().map(str::to_string),
                            iam: a.iam().map(|i| i.as_str().to_string()),
                        }
                    }),
                }
            }),
        })
        .collect();
    let rp = td.runtime_platform();
    Registered {
        arn: td.task_definition_arn().unwrap_or_default().to_string(),
        revision: td.revision(),
        definition: TaskDefinition {
            family: td.family().unwrap_or_default().to_string(),
            task_role_arn: td.task_role_arn().unwrap_or_default().to_string(),
            execution_role_arn: td.execution_role_arn().unwrap_or_default().to_string(),
            network_mode: td
                .network_mode()
                .map_or("bridge", |n| n.as_str())
                .to_string(),
            requires_compatibilities: td
                .requires_compatibilities()
                .iter()
                .map(|c| c.as_str().to_string())
                .collect(),
            cpu: td.cpu().unwrap_or_default().to_string(),
            memory: td.memory().unwrap_or_default().to_string(),
            runtime_platform: RuntimePlatform {
                cpu_architecture: rp
                    .and_then(|r| r.cpu_architecture())
                    .map_or("X86_64", |c| c.as_str())
                    .to_string(),
                operating_system_family: rp
                    .and_then(|r| r.operating_system_family())
                    .map_or("LINUX", |o| o.as_str())
                    .to_string(),
            },
            ephemeral_storage: td.ephemeral_storage().map(|e| EphemeralStorage {
                size_in_gi_b: e.size_in_gib(),
            }),
            container_definitions: containers,
            volumes,
        },
    }
}

/// A service as the rollout watcher sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceState {
    pub arn: String,
    pub name: String,
    pub status: String,
    pub task_definition: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    /// Newest first, as ECS lists them.
    pub deployments: Vec<Deployment>,
    /// Newest first.
    pub events: Vec<ServiceEvent>,
    /// `Some(rollback)` when ECS reports the circuit breaker's setting.
    pub circuit_breaker_rollback: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Deployment {
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: String,
    pub task_definition: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub failed_tasks: i32,
    /// COMPLETED, IN_PROGRESS or FAILED; empty when ECS does not say.
    pub rollout_state: String,
    pub rollout_reason: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceEvent {
    pub id: String,
    pub at_epoch_ms: i64,
    pub message: String,
}

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
                status: d.status().unwrap_or_default().to_string(),
                task_definition: d.task_definition().unwrap_or_default().to_string(),
                desired: d.desired_count(),
                running: d.running_count(),
                pending: d.pending_count(),
                failed_tasks: d.failed_tasks(),
                rollout_state: d
                    .rollout_state()
                    .map(|r| r.as_str().to_string())
                    .unwrap_or_default(),
                rollout_reason: d.rollout_state_reason().unwrap_or_default().to_string(),
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

/// Where and how a new service runs.
#[derive(Clone, Debug, PartialEq)]
pub struct NewService {
    pub cluster: String,
    pub name: String,
    pub task_definition: String,
    pub desired: i32,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub public_ip: bool,
    /// `(target group, container, port)`.
    pub load_balancer: Option<(String, String, i32)>,
    pub rollback: bool,
    pub tags: Vec<(String, String)>,
    /// Makes a retried CreateService idempotent.
    pub client_token: String,
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
