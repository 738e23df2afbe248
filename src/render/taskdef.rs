//! The ECS task definition, exactly as RegisterTaskDefinition takes it (the JSON
//! that `aws ecs register-task-definition --cli-input-json` accepts).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::facts::Facts;
use crate::manifest::{
    At, DEFAULT_FLUENT_BIT_IMAGE, FIRELENS_CONTAINER, HealthCheck, SecretRef, Service, Vars,
    XRAY_COLLECTOR,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinition {
    pub family: String,
    pub task_role_arn: String,
    pub execution_role_arn: String,
    pub network_mode: String,
    pub requires_compatibilities: Vec<String>,
    pub cpu: String,
    pub memory: String,
    pub runtime_platform: RuntimePlatform,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<EphemeralStorage>,
    pub container_definitions: Vec<ContainerDefinition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePlatform {
    pub cpu_architecture: String,
    pub operating_system_family: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EphemeralStorage {
    pub size_in_gi_b: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDefinition {
    pub name: String,
    pub image: String,
    pub essential: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<RepositoryCredentials>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment_files: Vec<EnvironmentFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mount_points: Vec<MountPoint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Dependency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<ContainerHealthCheck>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub docker_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_root_filesystem: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firelens_configuration: Option<FirelensConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryCredentials {
    pub credentials_parameter: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    pub container_port: i32,
    pub protocol: String,
    /// `target` on the port Service Connect exposes, as Copilot names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyValue {
    pub name: String,
    pub value: String,
}

/// An env file in S3 (`env_file`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentFile {
    pub value: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    pub name: String,
    pub value_from: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MountPoint {
    pub source_volume: String,
    pub container_path: String,
    pub read_only: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    pub container_name: String,
    pub condition: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerHealthCheck {
    pub command: Vec<String>,
    pub interval: i32,
    pub timeout: i32,
    pub retries: i32,
    pub start_period: i32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FirelensConfiguration {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogConfiguration {
    pub log_driver: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_options: Vec<Secret>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efs_volume_configuration: Option<EfsVolumeConfiguration>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EfsVolumeConfiguration {
    pub file_system_id: String,
    pub root_directory: String,
    pub transit_encryption: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_config: Option<EfsAuthorizationConfig>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EfsAuthorizationConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_point_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam: Option<String>,
}

/// Copilot's health check defaults, for the fields a manifest leaves out.
const HC_COMMAND: [&str; 2] = ["CMD-SHELL", "curl -f http://localhost/ || exit 1"];
const HC_INTERVAL: i32 = 10;
const HC_RETRIES: i32 = 2;
const HC_TIMEOUT: i32 = 5;
const HC_START_PERIOD: i32 = 0;

/// The port mappings of `container` that only a load balancer names (an
/// `http` rule's `target_port`, an `nlb` listener's port or `target_port`).
fn lb_ports(svc: &Service, container: &str) -> Vec<PortMapping> {
    svc.lb_ports()
        .into_iter()
        .filter(|(t, _)| t.container == container)
        .map(|(t, protocol)| PortMapping {
            container_port: i32::from(t.port),
            protocol: protocol.as_str().into(),
            name: None,
        })
        .collect()
}

/// The name of the port mapping Service Connect exposes.
pub const CONNECT_PORT_NAME: &str = "target";

/// Renders the task definition of a validated service. Deterministic: the same
/// service and facts give the same value, and so byte-identical JSON.
pub fn render_task_definition(svc: &Service, facts: &Facts) -> TaskDefinition {
    let name = svc.name.value.as_str();
    let common = copilot_variables(svc, facts);
    let mut containers = vec![main_container(svc, facts, &common)];
    if let Some(l) = svc.logging.as_ref().filter(|l| l.wants_router) {
        containers.push(router_container(l, facts, &common, name));
    }
    if svc.xray {
        containers.push(xray_collector(facts, name));
    }
    for (sc_name, sc) in &svc.sidecars {
        containers.push(sidecar_container(svc, sc_name, sc, facts, &common));
    }
    name_connect_port(svc, &mut containers);
    if let Some(files) = &facts.env_files {
        for c in &mut containers {
            if let Some(arn) = files.objects.get(&c.name) {
                c.environment_files = vec![EnvironmentFile {
                    value: arn.clone(),
                    kind: "s3".into(),
                }];
            }
        }
    }
    let platform = svc.platform.as_ref();
    TaskDefinition {
        family: facts.family(name),
        task_role_arn: facts.task_role_arn.clone(),
        execution_role_arn: facts.execution_role_arn.clone(),
        network_mode: "awsvpc".into(),
        requires_compatibilities: vec!["FARGATE".into()],
        cpu: svc.cpu.as_ref().map_or(256, |c| c.value).to_string(),
        memory: svc.memory.as_ref().map_or(512, |m| m.value).to_string(),
        runtime_platform: RuntimePlatform {
            cpu_architecture: platform.map_or("X86_64".into(), |p| p.arch.clone()),
            operating_system_family: platform.map_or("LINUX".into(), |p| p.os_family.clone()),
        },
        // 20 GiB is Fargate's default and below what ECS takes (21): Copilot
        // leaves it out, and so does sidecarctl.
        ephemeral_storage: svc
            .storage
            .ephemeral
            .as_ref()
            .filter(|e| e.value > 20)
            .map(|e| EphemeralStorage {
                size_in_gi_b: e.value as i32,
            }),
        container_definitions: containers,
        volumes: svc
            .storage
            .volumes
            .values()
            .map(|v| Volume {
                name: v.name.value.clone(),
                efs_volume_configuration: v.efs.as_ref().and_then(|e| efs_volume(e, facts)),
            })
            .collect(),
    }
}

/// The main container: the manifest's image, port, secrets, health check;
/// logs through FireLens when `logging` adds the router.
fn main_container(svc: &Service, facts: &Facts, common: &[KeyValue]) -> ContainerDefinition {
    let name = svc.name.value.as_str();
    let mounts: Vec<MountPoint> = svc
        .storage
        .volumes
        .values()
        .filter_map(|v| {
            Some(MountPoint {
                source_volume: v.name.value.clone(),
                container_path: v.path.as_ref()?.value.clone(),
                read_only: v.read_only(),
            })
        })
        .collect();
    ContainerDefinition {
        name: name.to_string(),
        image: image_of(
            facts,
            name,
            svc.image.location.as_ref().map(|l| l.value.as_str()),
        ),
        essential: true,
        repository_credentials: svc
            .image
            .credentials
            .as_ref()
            .map(|c| RepositoryCredentials {
                credentials_parameter: facts.credentials(&c.value),
            }),
        entry_point: svc.entrypoint.as_ref().map(|e| e.value.clone()),
        command: svc.command.as_ref().map(|c| c.value.clone()),
        port_mappings: svc
            .image
            .port
            .iter()
            .map(|p| PortMapping {
                container_port: i32::from(p.value),
                protocol: "tcp".into(),
                name: None,
            })
            .chain(lb_ports(svc, name))
            .collect(),
        environment: environment(common, &svc.variables, &mounts),
        secrets: main_secrets(svc, facts),
        mount_points: mounts,
        depends_on: dependencies(&svc.image.depends_on),
        health_check: svc.image.healthcheck.as_ref().map(health_check),
        docker_labels: strings(&svc.image.labels),
        readonly_root_filesystem: svc.storage.readonly_fs.as_ref().map(|r| r.value),
        log_configuration: Some(match &svc.logging {
            Some(l) if l.wants_router => LogConfiguration {
                log_driver: "awsfirelens".into(),
                options: strings(&l.destination),
                secret_options: secrets(&l.secret_options, facts),
            },
            _ => awslogs(facts, name),
        }),
        ..Default::default()
    }
}

/// Copilot's FireLens log router (`logging`).
fn router_container(
    l: &crate::manifest::Logging,
    facts: &Facts,
    common: &[KeyValue],
    svc_name: &str,
) -> ContainerDefinition {
    let mut options = BTreeMap::new();
    let metadata = l.enable_metadata.as_ref().is_none_or(|m| m.value);
    options.insert("enable-ecs-log-metadata".to_string(), metadata.to_string());
    if let Some(path) = &l.config_file_path {
        options.insert("config-file-type".to_string(), "file".to_string());
        options.insert("config-file-value".to_string(), path.value.clone());
    }
    ContainerDefinition {
        name: FIRELENS_CONTAINER.to_string(),
        image: image_of(
            facts,
            FIRELENS_CONTAINER,
            Some(
                l.image
                    .as_ref()
                    .map_or(DEFAULT_FLUENT_BIT_IMAGE, |i| i.value.as_str()),
            ),
        ),
        essential: true,
        environment: environment(common, &l.variables, &[]),
        secrets: secrets(&l.secrets, facts),
        firelens_configuration: Some(FirelensConfiguration {
            kind: "fluentbit".into(),
            options,
        }),
        log_configuration: Some(awslogs(facts, svc_name)),
        ..Default::default()
    }
}

/// Copilot's AWS Distro for OpenTelemetry collector
/// (`observability.tracing: awsxray`), between the router and the sidecars
/// as in Copilot's task definition, with its image and configuration.
fn xray_collector(facts: &Facts, svc_name: &str) -> ContainerDefinition {
    ContainerDefinition {
        name: XRAY_COLLECTOR.to_string(),
        image: image_of(facts, XRAY_COLLECTOR, Some(XRAY_COLLECTOR_IMAGE)),
        essential: true,
        command: Some(vec!["--config=/etc/ecs/ecs-xray.yaml".to_string()]),
        log_configuration: Some(awslogs(facts, svc_name)),
        ..Default::default()
    }
}

/// The collector's image, as Copilot's `sidecars.yml` pins it.
pub const XRAY_COLLECTOR_IMAGE: &str =
    "public.ecr.aws/aws-observability/aws-otel-collector:v0.17.0";

/// A sidecar (`sidecars.NAME`).
fn sidecar_container(
    svc: &Service,
    sc_name: &str,
    sc: &crate::manifest::Sidecar,
    facts: &Facts,
    common: &[KeyValue],
) -> ContainerDefinition {
    let mounts: Vec<MountPoint> = sc
        .mount_points
        .iter()
        .filter_map(|m| {
            Some(MountPoint {
                source_volume: m.source_volume.as_ref()?.value.clone(),
                container_path: m.container_path.as_ref()?.value.clone(),
                read_only: m.read_only(),
            })
        })
        .collect();
    ContainerDefinition {
        name: sc_name.to_string(),
        image: image_of(facts, sc_name, sc.image.as_ref().map(|i| i.value.as_str())),
        essential: sc.essential(),
        repository_credentials: sc
            .credentials_parameter
            .as_ref()
            .map(|c| RepositoryCredentials {
                credentials_parameter: facts.credentials(&c.value),
            }),
        entry_point: sc.entrypoint.as_ref().map(|e| e.value.clone()),
        command: sc.command.as_ref().map(|c| c.value.clone()),
        port_mappings: sc
            .port
            .iter()
            .map(|p| PortMapping {
                container_port: i32::from(p.port),
                protocol: p.protocol.as_str().into(),
                name: None,
            })
            .chain(lb_ports(svc, sc_name))
            .collect(),
        environment: environment(common, &sc.variables, &mounts),
        secrets: secrets(&sc.secrets, facts),
        mount_points: mounts,
        depends_on: sidecar_dependencies(svc, sc_name, sc),
        health_check: sc.healthcheck.as_ref().map(health_check),
        docker_labels: strings(&sc.labels),
        log_configuration: Some(match svc.logging.as_ref().filter(|l| l.routes(sc_name)) {
            // `logging.sidecars` (a sidecarctl extension): through the router,
            // to the main container's destination.
            Some(l) => LogConfiguration {
                log_driver: "awsfirelens".into(),
                options: strings(&l.destination),
                secret_options: secrets(&l.secret_options, facts),
            },
            None => awslogs(facts, &svc.name.value),
        }),
        ..Default::default()
    }
}

/// A sidecar's `depends_on`, and the router's start when its logs go through it.
fn sidecar_dependencies(
    svc: &Service,
    sc_name: &str,
    sc: &crate::manifest::Sidecar,
) -> Vec<Dependency> {
    let mut deps = dependencies(&sc.depends_on);
    let routed = svc
        .logging
        .as_ref()
        .is_some_and(|l| l.wants_router && l.routes(sc_name));
    if routed && !deps.iter().any(|d| d.container_name == FIRELENS_CONTAINER) {
        deps.push(Dependency {
            container_name: FIRELENS_CONTAINER.into(),
            condition: "START".into(),
        });
    }
    deps
}

/// Copilot names the port Service Connect exposes `target` (whether or not
/// `network.connect` is on).
fn name_connect_port(svc: &Service, containers: &mut [ContainerDefinition]) {
    let Some(t) = svc.connect_target() else {
        return;
    };
    for c in containers.iter_mut().filter(|c| c.name == t.container) {
        for p in c
            .port_mappings
            .iter_mut()
            .filter(|p| p.container_port == i32::from(t.port))
        {
            p.name = Some(CONNECT_PORT_NAME.into());
        }
    }
}

/// An EFS volume: the manifest's file system, or the environment's managed
/// one through the service's access point (as Copilot's volumes.yml renders it).
fn efs_volume(e: &crate::manifest::Efs, facts: &Facts) -> Option<EfsVolumeConfiguration> {
    if e.managed {
        return facts.managed_efs.as_ref().map(|m| EfsVolumeConfiguration {
            file_system_id: m.file_system_id.clone(),
            root_directory: "/".into(),
            transit_encryption: "ENABLED".into(),
            authorization_config: Some(EfsAuthorizationConfig {
                access_point_id: Some(m.access_point_id.clone()),
                iam: Some("ENABLED".into()),
            }),
        });
    }
    Some(EfsVolumeConfiguration {
        file_system_id: e.id.as_ref().map(|i| i.value.clone()).unwrap_or_default(),
        root_directory: e
            .root_dir
            .as_ref()
            .map(|r| r.value.clone())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "/".into()),
        transit_encryption: "ENABLED".into(),
        authorization_config: (e.iam() || e.access_point_id.is_some()).then(|| {
            EfsAuthorizationConfig {
                access_point_id: e.access_point_id.as_ref().map(|a| a.value.clone()),
                iam: e.iam().then(|| "ENABLED".into()),
            }
        }),
    })
}

fn image_of(facts: &Facts, container: &str, declared: Option<&str>) -> String {
    facts
        .images
        .get(container)
        .cloned()
        .or_else(|| declared.map(str::to_string))
        .unwrap_or_default()
}

fn awslogs(facts: &Facts, svc: &str) -> LogConfiguration {
    LogConfiguration {
        log_driver: "awslogs".into(),
        options: BTreeMap::from([
            ("awslogs-group".to_string(), facts.log_group(svc)),
            ("awslogs-region".to_string(), facts.region.clone()),
            ("awslogs-stream-prefix".to_string(), "copilot".to_string()),
        ]),
        secret_options: Vec::new(),
    }
}

/// The variables Copilot gives every container.
fn copilot_variables(svc: &Service, facts: &Facts) -> Vec<KeyValue> {
    let kv = |n: &str, v: String| KeyValue {
        name: n.to_string(),
        value: v,
    };
    let mut vars = vec![
        kv("COPILOT_APPLICATION_NAME", facts.app.clone()),
        kv("COPILOT_ENVIRONMENT_NAME", facts.env.clone()),
        kv(
            "COPILOT_SERVICE_DISCOVERY_ENDPOINT",
            format!("{}.{}.local", facts.env, facts.app),
        ),
        kv("COPILOT_SERVICE_NAME", svc.name.value.clone()),
    ];
    if let Some(dns) = &facts.lb_dns {
        vars.push(kv("COPILOT_LB_DNS", dns.clone()));
    }
    vars.extend(
        facts
            .addon_outputs
            .variables
            .iter()
            .map(|(n, v)| kv(n, v.clone())),
    );
    vars.extend(
        facts
            .messaging
            .variables
            .iter()
            .map(|(n, v)| kv(n, v.clone())),
    );
    vars
}

/// Copilot's variables, the container's own (which win), and
/// `COPILOT_MOUNT_POINTS` when it mounts volumes; sorted by name.
fn environment(common: &[KeyValue], vars: &Vars, mounts: &[MountPoint]) -> Vec<KeyValue> {
    let mut env: BTreeMap<String, String> = common
        .iter()
        .map(|kv| (kv.name.clone(), kv.value.clone()))
        .collect();
    if !mounts.is_empty() {
        let map: BTreeMap<&str, &str> = mounts
            .iter()
            .map(|m| (m.source_volume.as_str(), m.container_path.as_str()))
            .collect();
        env.insert(
            "COPILOT_MOUNT_POINTS".into(),
            serde_json::to_string(&map).unwrap_or_default(),
        );
    }
    for (k, v) in vars {
        env.insert(k.clone(), v.value.clone());
    }
    env.into_iter()
        .map(|(name, value)| KeyValue { name, value })
        .collect()
}

/// The main container's secrets: the manifest's, and the add-ons stack's
/// secret outputs (the manifest's win a shared name); sorted by name.
fn main_secrets(svc: &Service, facts: &Facts) -> Vec<Secret> {
    let mut all: BTreeMap<String, String> = facts.addon_outputs.secrets.clone();
    for s in secrets(&svc.secrets, facts) {
        all.insert(s.name, s.value_from);
    }
    all.into_iter()
        .map(|(name, value_from)| Secret { name, value_from })
        .collect()
}

fn secrets(map: &BTreeMap<String, At<SecretRef>>, facts: &Facts) -> Vec<Secret> {
    map.iter()
        .map(|(name, r)| Secret {
            name: name.clone(),
            value_from: facts.secret_value_from(&r.value),
        })
        .collect()
}

fn dependencies(map: &BTreeMap<String, At<String>>) -> Vec<Dependency> {
    map.iter()
        .map(|(name, cond)| Dependency {
            container_name: name.clone(),
            condition: cond.value.to_ascii_uppercase(),
        })
        .collect()
}

fn strings(map: &Vars) -> BTreeMap<String, String> {
    map.iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect()
}

fn health_check(hc: &HealthCheck) -> ContainerHealthCheck {
    ContainerHealthCheck {
        command: hc.command.as_ref().map_or_else(
            || HC_COMMAND.map(str::to_string).to_vec(),
            |c| c.value.clone(),
        ),
        interval: hc.interval.as_ref().map_or(HC_INTERVAL, |i| i.value as i32),
        timeout: hc.timeout.as_ref().map_or(HC_TIMEOUT, |t| t.value as i32),
        retries: hc.retries.as_ref().map_or(HC_RETRIES, |r| r.value as i32),
        start_period: hc
            .start_period
            .as_ref()
            .map_or(HC_START_PERIOD, |s| s.value as i32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::service_in;

    fn render(yaml: &str) -> TaskDefinition {
        let svc = service_in(yaml, Some("test"));
        let facts = Facts::offline(
            &svc,
            "demo",
            "test",
            Some("123456789012"),
            Some("us-west-2"),
            Some("v1"),
        );
        render_task_definition(&svc, &facts)
    }

    const API: &str = "name: api\ntype: Load Balanced Web Service\nimage:\n  build: api/Dockerfile\n  port: 3000\n";

    #[test]
    fn a_target_port_no_container_exposes_becomes_the_target_containers_port_mapping() {
        let ports = |td: &TaskDefinition, name: &str| -> Vec<i32> {
            port_mappings(td, name).into_iter().map(|p| p.0).collect()
        };
        let td = render(&format!(
            "{API}http:\n  path: /\n  target_port: 3001\n  additional_rules:\n    - path: /admin\n      target_container: envoy\n      target_port: 9901\n    - path: /same\n      target_port: 8080\nsidecars:\n  envoy:\n    image: envoy\n    port: 8080\n"
        ));
        assert_eq!(ports(&td, "api"), [3000, 3001]);
        let api = &td.container_definitions[0];
        assert_eq!(
            api.port_mappings[1].name.as_deref(),
            Some("target"),
            "the main rule's target port"
        );
        assert_eq!(
            ports(&td, "envoy"),
            [8080, 9901],
            "a port a container exposes already is not added again"
        );
    }

    /// Copilot's own fixture `svc-nlb-manifest.yml` (its
    /// `internal/pkg/deploy/cloudformation/stack/testdata/workloads/`), the
    /// sidecars' `${TAG}` written out.
    const COPILOT_NLB: &str = "name: fe\ntype: Load Balanced Web Service\nimage:\n  build: ./Dockerfile\n  port: 80\nhttp: false\nnlb:\n  port: 443/tls\ncount: 5\ncpu: 256\nmemory: 512\nvariables:\n  LOG_LEVEL: info\nenvironments:\n  test:\n    nlb:\n      healthcheck:\n        port: 80\n      additional_listeners:\n        - port: 8080/tcp\n        - port: 8081/udp\n          healthcheck:\n            port: 80\n    network:\n      connect: true\n  prod:\n    http: false\n    nlb:\n      port: 443/tls\n      target_container: tls\n      alias: nlb.example.com\n      additional_listeners:\n        - port: 8081/TLS\n        - port: 8082/tcp\n          target_port: 8085\n          target_container: tls\n        - port: 8083/TCP\n          target_port: 85\n    count: 5\n    sidecars:\n      tls:\n        port: 82\n        image: 1234567890.dkr.ecr.us-west-2.amazonaws.com/proxy:cicdtest\n      nginx:\n        port: 85\n        image: 1234567890.dkr.ecr.us-west-2.amazonaws.com/proxy:cicdtest\n";

    fn port_mappings(td: &TaskDefinition, name: &str) -> Vec<(i32, String, Option<String>)> {
        td.container_definitions
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .port_mappings
            .iter()
            .map(|p| (p.container_port, p.protocol.clone(), p.name.clone()))
            .collect()
    }

    #[test]
    fn nlb_ports_are_mapped_as_in_copilots_own_fixtures() {
        let pm = |port: i32, proto: &str, name: Option<&str>| {
            (port, proto.to_string(), name.map(str::to_string))
        };
        // `svc-nlb-test.stack.yml`: 80 (named), 443 and 8080 over TCP, 8081 over UDP.
        let td = render(COPILOT_NLB);
        assert_eq!(
            port_mappings(&td, "fe"),
            [
                pm(80, "tcp", Some("target")),
                pm(443, "tcp", None),
                pm(8080, "tcp", None),
                pm(8081, "udp", None),
            ]
        );
        // `svc-nlb-prod.stack.yml`: the TLS listeners' ports on their
        // target containers over TCP; 85 is nginx's own already.
        let svc = service_in(COPILOT_NLB, Some("prod"));
        let facts = Facts::offline(
            &svc,
            "my-app",
            "prod",
            Some("123456789012"),
            Some("us-west-2"),
            Some("v1"),
        );
        let td = render_task_definition(&svc, &facts);
        assert_eq!(
            port_mappings(&td, "fe"),
            [pm(80, "tcp", Some("target")), pm(8081, "tcp", None)]
        );
        assert_eq!(port_mappings(&td, "nginx"), [pm(85, "tcp", None)]);
        assert_eq!(
            port_mappings(&td, "tls"),
            [
                pm(82, "tcp", None),
                pm(443, "tcp", None),
                pm(8085, "tcp", None)
            ]
        );
        // Where each listener sends traffic: the service's load balancer
        // entries of that fixture.
        let targets: Vec<(String, u16)> = svc
            .nlb_listeners()
            .iter()
            .map(|l| {
                let t = svc.nlb_target(l);
                (t.container, t.port)
            })
            .collect();
        let want = [("tls", 82), ("fe", 8081), ("tls", 8085), ("nginx", 85)];
        assert_eq!(targets, want.map(|(c, p)| (c.to_string(), p)).to_vec());
    }

    #[test]
    fn main_container_from_build_uses_the_service_repository() {
        let td = render(API);
        assert_eq!(td.family, "demo-test-api");
        let main = &td.container_definitions[0];
        assert_eq!(
            main.image,
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/demo/api:v1"
        );
        assert_eq!(
            main.port_mappings,
            vec![PortMapping {
                container_port: 3000,
                protocol: "tcp".into(),
                name: Some("target".into()),
            }],
            "Copilot names the port Service Connect would expose `target`"
        );
        assert_eq!(
            main.log_configuration.as_ref().unwrap().log_driver,
            "awslogs"
        );
        assert_eq!(
            td.execution_role_arn,
            "arn:aws:iam::123456789012:role/demo-test-api-ExecutionRole"
        );
        assert_eq!((td.cpu.as_str(), td.memory.as_str()), ("256", "512"));
    }

    #[test]
    fn firelens_router_and_main_log_driver() {
        let td = render(&format!(
            "{API}logging:\n  destination:\n    Name: cloudwatch\n    region: us-west-2\n  enableMetadata: false\n  configFilePath: /extra.conf\n  secretOptions:\n    apikey: /app/key\n"
        ));
        let names: Vec<&str> = td
            .container_definitions
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["api", "firelens_log_router"]);
        let router = &td.container_definitions[1];
        let fc = router.firelens_configuration.as_ref().unwrap();
        assert_eq!(fc.kind, "fluentbit");
        assert_eq!(fc.options["enable-ecs-log-metadata"], "false");
        assert_eq!(fc.options["config-file-value"], "/extra.conf");
        assert_eq!(router.image, DEFAULT_FLUENT_BIT_IMAGE);
        assert_eq!(
            router.log_configuration.as_ref().unwrap().log_driver,
            "awslogs"
        );
        let main_log = td.container_definitions[0]
            .log_configuration
            .as_ref()
            .unwrap();
        assert_eq!(main_log.log_driver, "awsfirelens");
        assert_eq!(main_log.options["Name"], "cloudwatch");
        assert_eq!(
            main_log.secret_options[0].value_from,
            "arn:aws:ssm:us-west-2:123456789012:parameter/app/key"
        );
    }

    #[test]
    fn retention_alone_adds_no_router() {
        let td = render(&format!("{API}logging:\n  retention: 7\n"));
        assert_eq!(td.container_definitions.len(), 1);
    }

    #[test]
    fn sidecars_are_sorted_with_their_fields() {
        let td = render(&format!(
            "{API}sidecars:\n  zeta:\n    image: z\n    port: 53/UDP\n    essential: false\n    command: ps au\n  alpha:\n    image: a\n    labels: {{team: web}}\n    depends_on: {{zeta: complete}}\n    healthcheck:\n      retries: 5\n"
        ));
        let names: Vec<&str> = td
            .container_definitions
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["api", "alpha", "zeta"]);
        let alpha = &td.container_definitions[1];
        assert_eq!(alpha.depends_on[0].condition, "COMPLETE");
        assert_eq!(alpha.docker_labels["team"], "web");
        let hc = alpha.health_check.as_ref().unwrap();
        assert_eq!(
            (hc.interval, hc.timeout, hc.retries, hc.start_period),
            (10, 5, 5, 0)
        );
        assert_eq!(hc.command[0], "CMD-SHELL");
        let zeta = &td.container_definitions[2];
        assert!(!zeta.essential);
        assert_eq!(zeta.port_mappings[0].protocol, "udp");
        assert_eq!(
            zeta.command.as_deref(),
            Some(&["ps".to_string(), "au".to_string()][..])
        );
    }

    #[test]
    fn efs_volumes_and_mounts() {
        let td = render(&format!(
            "{API}storage:\n  volumes:\n    data:\n      path: /etc/mount1\n      read_only: false\n      efs:\n        id: fs-1234567\n    plain:\n      path: /scratch\n      efs:\n        id: fs-7654321\n        auth: {{iam: true, access_point_id: fsap-1234}}\nsidecars:\n  nginx:\n    image: nginx\n    mount_points:\n      - source_volume: data\n        path: /etc/mount1\n"
        ));
        let data = &td.volumes[0];
        let efs = data.efs_volume_configuration.as_ref().unwrap();
        assert_eq!(
            (
                efs.file_system_id.as_str(),
                efs.root_directory.as_str(),
                efs.transit_encryption.as_str()
            ),
            ("fs-1234567", "/", "ENABLED")
        );
        assert!(efs.authorization_config.is_none());
        let auth = td.volumes[1]
            .efs_volume_configuration
            .as_ref()
            .unwrap()
            .authorization_config
            .as_ref()
            .unwrap();
        assert_eq!(auth.iam.as_deref(), Some("ENABLED"));
        assert_eq!(auth.access_point_id.as_deref(), Some("fsap-1234"));
        let main = &td.container_definitions[0];
        assert_eq!(main.mount_points.len(), 2);
        assert!(!main.mount_points[0].read_only);
        let nginx = &td.container_definitions[1];
        assert!(
            nginx.mount_points[0].read_only,
            "sidecar mounts are read-only by default"
        );
        let mp = nginx
            .environment
            .iter()
            .find(|e| e.name == "COPILOT_MOUNT_POINTS")
            .unwrap();
        assert_eq!(mp.value, r#"{"data":"/etc/mount1"}"#);
    }

    #[test]
    fn secrets_by_name_and_by_arn() {
        let td = render(&format!(
            "{API}secrets:\n  A: GH_TOKEN\n  B: {{secretsmanager: 'db:password::'}}\n  C: arn:aws:secretsmanager:us-west-2:123456789012:secret:x-AbCdEf\n"
        ));
        let s = &td.container_definitions[0].secrets;
        assert_eq!(
            s[0].value_from,
            "arn:aws:ssm:us-west-2:123456789012:parameter/GH_TOKEN"
        );
        assert_eq!(
            s[1].value_from,
            "arn:aws:secretsmanager:us-west-2:123456789012:secret:db:password::"
        );
        assert_eq!(
            s[2].value_from,
            "arn:aws:secretsmanager:us-west-2:123456789012:secret:x-AbCdEf"
        );
    }

    #[test]
    fn variables_override_copilot_defaults_and_are_sorted() {
        let td = render(&format!(
            "{API}variables:\n  ZED: '1'\n  COPILOT_SERVICE_NAME: custom\n  LOG_LEVEL: info\n"
        ));
        let env: Vec<(&str, &str)> = td.container_definitions[0]
            .environment
            .iter()
            .map(|e| (e.name.as_str(), e.value.as_str()))
            .collect();
        assert!(env.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(env.contains(&("COPILOT_SERVICE_NAME", "custom")));
        assert!(env.contains(&("COPILOT_ENVIRONMENT_NAME", "test")));
    }

    #[test]
    fn platform_size_and_storage_options() {
        let td = render(&format!(
            "{API}platform: linux/arm64\ncpu: 1024\nmemory: 2048\nstorage:\n  ephemeral: 50\n  readonly_fs: true\n"
        ));
        assert_eq!(td.runtime_platform.cpu_architecture, "ARM64");
        assert_eq!(td.ephemeral_storage.as_ref().unwrap().size_in_gi_b, 50);
        assert_eq!(
            td.container_definitions[0].readonly_root_filesystem,
            Some(true)
        );
        assert_eq!(td.cpu, "1024");
    }

    #[test]
    fn environment_overrides_are_rendered() {
        let td = render(&format!(
            "{API}count: 1\nenvironments:\n  test:\n    cpu: 512\n    memory: 1024\n    variables:\n      MODE: test\n"
        ));
        assert_eq!(td.cpu, "512");
        assert!(
            td.container_definitions[0]
                .environment
                .iter()
                .any(|e| e.name == "MODE" && e.value == "test")
        );
    }

    #[test]
    fn awsxray_adds_copilots_collector_between_the_router_and_the_sidecars() {
        let svc = service_in(
            "name: api\ntype: Backend Service\nimage:\n  location: nginx:1\nobservability:\n  tracing: AWSXRAY\nlogging:\n  destination:\n    Name: cloudwatch\nsidecars:\n  proxy:\n    image: envoy:1\n",
            None,
        );
        let facts = Facts::offline(&svc, "demo", "test", None, None, None);
        let td = render_task_definition(&svc, &facts);
        let names: Vec<&str> = td
            .container_definitions
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["api", "firelens_log_router", "aws-otel-collector", "proxy"]
        );
        let c = &td.container_definitions[2];
        assert_eq!(c.image, XRAY_COLLECTOR_IMAGE);
        assert_eq!(
            c.command.as_deref(),
            Some(&["--config=/etc/ecs/ecs-xray.yaml".to_string()][..])
        );
        let p = crate::render::render_policies(&svc, &facts, &td);
        assert!(p.task.unwrap().to_json().contains("xray:PutTraceSegments"));
    }

    #[test]
    fn logging_sidecars_routes_the_named_sidecars_through_the_router() {
        let svc = service_in(
            "name: api\ntype: Backend Service\nimage:\n  location: nginx:1\nlogging:\n  sidecars: [proxy]\n  destination:\n    Name: cloudwatch\n    log_group_name: /firelens/api\nsidecars:\n  proxy:\n    image: envoy:1\n  other:\n    image: other:1\n",
            None,
        );
        let facts = Facts::offline(&svc, "demo", "test", None, None, None);
        let td = render_task_definition(&svc, &facts);
        let by = |n: &str| {
            td.container_definitions
                .iter()
                .find(|c| c.name == n)
                .unwrap()
        };
        let proxy = by("proxy");
        let log = proxy.log_configuration.as_ref().unwrap();
        assert_eq!(log.log_driver, "awsfirelens");
        assert_eq!(log.options["log_group_name"], "/firelens/api");
        assert_eq!(proxy.depends_on[0].container_name, "firelens_log_router");
        assert_eq!(proxy.depends_on[0].condition, "START");
        assert_eq!(
            by("other").log_configuration.as_ref().unwrap().log_driver,
            "awslogs"
        );
    }
}
