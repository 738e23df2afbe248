//! RegisterTaskDefinition and DescribeTaskDefinition. The request is the
//! task definition's document, sent as it is; the answer is read twice: into
//! sidecarctl's [`TaskDefinition`] (what it models) and as the document ECS
//! holds (everything), which is what a deploy compares.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_ecs::types as ecs;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;

use crate::aws::{AwsError, ErrorKind, Found, aws_err};
use crate::render::document::registered_part;
use crate::render::taskdef::*;
use crate::state::Registered;

/// Keeps the JSON answer of a call, for the fields the SDK's types leave out.
#[derive(Clone, Debug, Default)]
struct KeepAnswer(Arc<Mutex<Option<Value>>>);

impl Intercept for KeepAnswer {
    fn name(&self) -> &'static str {
        "KeepAnswer"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let parsed = context
            .response()
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice::<Value>(b).ok());
        if let (Some(v), Ok(mut slot)) = (parsed, self.0.lock()) {
            *slot = Some(v);
        }
        Ok(())
    }
}

impl KeepAnswer {
    /// The answer's `taskDefinition`, reduced to what registration sets.
    fn document(&self) -> Option<Value> {
        let answer = self.0.lock().ok()?.take()?;
        Some(registered_part(answer.get("taskDefinition")?))
    }
}

/// RegisterTaskDefinition with `document` as the request: every field in it
/// reaches ECS, modelled by sidecarctl or not (`taskdef_overrides`). The
/// SDK's request is built for its checks and then given the document as its
/// body, before it is signed. Not idempotent: callers compare with the
/// family's latest revision first (see `deploy`).
pub async fn register_task_definition(
    client: &aws_sdk_ecs::Client,
    document: &Value,
) -> Result<Registered, AwsError> {
    const OP: &str = "ecs:RegisterTaskDefinition";
    let family = document["family"].as_str().unwrap_or_default().to_string();
    let body = serde_json::to_vec(document)
        .map_err(|e| AwsError::new(OP, ErrorKind::Invalid, e.to_string()))?;
    let keep = KeepAnswer::default();
    let out = client
        .register_task_definition()
        .family(family)
        .set_container_definitions(Some(Vec::new()))
        .customize()
        .mutate_request(move |req| {
            let len = body.len();
            *req.body_mut() = SdkBody::from(body.clone());
            req.headers_mut().insert("content-length", len.to_string());
        })
        .interceptor(keep.clone())
        .send()
        .await
        .map_err(aws_err(OP))?;
    let described = out.task_definition().ok_or_else(|| {
        AwsError::new(OP, ErrorKind::Other, "the answer holds no task definition")
    })?;
    Ok(with_document(from_described(described), keep.document()))
}

/// DescribeTaskDefinition by family (its latest ACTIVE revision) or ARN;
/// `None` when there is none.
pub async fn describe_task_definition(
    client: &aws_sdk_ecs::Client,
    family_or_arn: &str,
) -> Result<Option<Registered>, AwsError> {
    let keep = KeepAnswer::default();
    let out = client
        .describe_task_definition()
        .task_definition(family_or_arn)
        .customize()
        .interceptor(keep.clone())
        .send()
        .await
        .map_err(aws_err("ecs:DescribeTaskDefinition"))
        .found()?;
    let document = keep.document();
    Ok(out.and_then(|o| {
        o.task_definition()
            .map(|td| with_document(from_described(td), document))
    }))
}

/// The document as ECS answered it; without one (an answer that could not be
/// read as JSON), the modelled definition's.
fn with_document(mut r: Registered, document: Option<Value>) -> Registered {
    if let Some(d) = document.filter(Value::is_object) {
        r.document = d;
    }
    r
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
            environment_files: c
                .environment_files()
                .iter()
                .map(|f| EnvironmentFile {
                    value: f.value().to_string(),
                    kind: f.r#type().as_str().to_string(),
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
    Registered::of(
        td.task_definition_arn().unwrap_or_default(),
        td.revision(),
        TaskDefinition {
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
    )
}
