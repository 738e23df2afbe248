//! Task definitions in and out of the SDK's types: RegisterTaskDefinition and
//! DescribeTaskDefinition, with sidecarctl's [`TaskDefinition`] on our side.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ecs::types as ecs;

use super::build_err;
use crate::aws::{AwsError, ErrorKind, Found, aws_err};
use crate::render::taskdef::*;
use crate::state::Registered;

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
                .set_name(p.name.clone())
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
                    name: p.name().map(str::to_string),
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
