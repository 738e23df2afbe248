//! Reading a service manifest's fields (after environment overrides) into [`Service`].
//!
//! Shapes and types are checked here; rules that relate fields to each other
//! live in `validate`.

use std::collections::BTreeMap;

use super::decode::{At, Decoder, Fields, index, join};
use super::types::*;
use crate::yaml::{Node, Pos, Value};

/// Keys of every service type that sidecarctl acts on.
const COMMON: &[&str] = &[
    "name",
    "type",
    "image",
    "entrypoint",
    "command",
    "cpu",
    "memory",
    "count",
    "platform",
    "variables",
    "secrets",
    "storage",
    "logging",
    "sidecars",
    "network",
    "environments",
];
/// Keys Copilot knows on every service type that sidecarctl accepts without acting on.
const COMMON_IGNORED: &[&str] = &[
    "exec",
    "env_file",
    "publish",
    "taskdef_overrides",
    "observability",
    "deployment",
];

pub fn decode_service(d: &mut Decoder, root: &Node) -> Option<Service> {
    let mut f = d.fields(root, "")?;
    let name = match f.take("name") {
        Some(n) => d.string(n, "name"),
        None => {
            d.error(
                "missing-field",
                "\"name\" must be specified",
                root.pos,
                "name",
            );
            None
        }
    };
    let kind = match f.take("type") {
        Some(n) => decode_type(d, n),
        None => {
            d.error_help(
                "missing-field",
                "\"type\" must be specified",
                "one of: Load Balanced Web Service, Backend Service, Worker Service",
                root.pos,
                "type",
            );
            None
        }
    };
    let kind_value = kind.as_ref().map(|k| k.value);
    if let (Some(t), Some((k, _))) = (root.get("type"), f.take_entry("sidecars"))
        && t.as_str() == Some("Request-Driven Web Service")
    {
        d.error_help(
            "rdws-sidecars",
            "a Request-Driven Web Service cannot have sidecars",
            "Copilot's documentation: Request-Driven Web Services do not support sidecars",
            k.pos,
            "sidecars",
        );
    }

    let image = match f.take("image") {
        Some(n) => decode_main_image(d, n, kind_value),
        None => {
            d.error(
                "missing-field",
                "\"image\" must be specified",
                root.pos,
                "image",
            );
            MainImage::default()
        }
    };
    let entrypoint = f.take("entrypoint").and_then(|n| d.words(n, "entrypoint"));
    let command = f.take("command").and_then(|n| d.words(n, "command"));
    let http = match kind_value {
        Some(ServiceType::WorkerService) | None => None,
        Some(_) => f.take("http").and_then(|n| decode_http(d, n)),
    };
    let cpu = f.take("cpu").and_then(|n| d.int(n, "cpu", 1, 16384));
    let memory = f.take("memory").and_then(|n| d.int(n, "memory", 1, 122880));
    let count = f.take("count").and_then(|n| decode_count(d, n));
    let platform = f.take("platform").and_then(|n| decode_platform(d, n));
    let variables = f
        .take("variables")
        .map(|n| decode_variables(d, n, "variables"))
        .unwrap_or_default();
    let secrets = f
        .take("secrets")
        .map(|n| decode_secrets(d, n, "secrets"))
        .unwrap_or_default();
    let storage = f
        .take("storage")
        .map(|n| decode_storage(d, n))
        .unwrap_or_default();
    let logging = f.take("logging").and_then(|n| decode_logging(d, n));
    let sidecars = f
        .take("sidecars")
        .map(|n| decode_sidecars(d, n))
        .unwrap_or_default();
    let network = f
        .take("network")
        .map(|n| decode_network(d, n))
        .unwrap_or_default();
    f.take("environments"); // applied before decoding

    let (known, ignored): (Vec<&str>, Vec<&str>) = match kind_value {
        Some(ServiceType::LoadBalancedWebService) => (
            COMMON.iter().chain(&["http"]).copied().collect(),
            COMMON_IGNORED.iter().chain(&["nlb"]).copied().collect(),
        ),
        Some(ServiceType::BackendService) => (
            COMMON.iter().chain(&["http"]).copied().collect(),
            COMMON_IGNORED.to_vec(),
        ),
        Some(ServiceType::WorkerService) => (
            COMMON.to_vec(),
            COMMON_IGNORED
                .iter()
                .chain(&["subscribe"])
                .copied()
                .collect(),
        ),
        // The type is wrong: do not pile unknown-key errors on top of that.
        None => {
            let _ = f.all().count();
            return None;
        }
    };
    f.finish(d, &known, &ignored);

    Some(Service {
        file: d.file.clone(),
        name: name?,
        kind: kind?,
        image,
        entrypoint,
        command,
        http,
        cpu,
        memory,
        count,
        platform,
        variables,
        secrets,
        storage,
        logging,
        sidecars,
        network,
        ignored: std::mem::take(&mut d.ignored),
        unresolved: Default::default(),
    })
}

fn decode_type(d: &mut Decoder, n: &Node) -> Option<At<ServiceType>> {
    let s = d.string(n, "type")?;
    if let Some(t) = ServiceType::ALL.iter().find(|t| t.as_str() == s.value) {
        return Some(d.at(*t, n.pos, "type"));
    }
    let (message, help) = match s.value.as_str() {
        "Request-Driven Web Service" => (
            "Request-Driven Web Service is not supported: it runs on App Runner, not ECS"
                .to_string(),
            "a Request-Driven Web Service cannot have sidecars; deploy it with App Runner tooling"
                .to_string(),
        ),
        "Scheduled Job" | "Static Site" => (
            format!(
                "{} is not supported: sidecarctl deploys ECS services",
                s.value
            ),
            "supported types: Load Balanced Web Service, Backend Service, Worker Service"
                .to_string(),
        ),
        other => {
            let names = ServiceType::ALL.map(|t| t.as_str());
            let help = match crate::diag::did_you_mean(other, names) {
                Some(t) => format!("did you mean \"{t}\"?"),
                None => format!("supported types: {}", names.join(", ")),
            };
            (format!("unknown service type \"{other}\""), help)
        }
    };
    d.error_help("unsupported-type", message, help, n.pos, "type");
    None
}

fn decode_main_image(d: &mut Decoder, n: &Node, kind: Option<ServiceType>) -> MainImage {
    let mut image = MainImage {
        pos: n.pos,
        ..MainImage::default()
    };
    if let Some(text) = n.as_str() {
        d.error_help(
            "wrong-type",
            "\"image\" is a map of fields, not an image name",
            format!("write it as image: {{ location: {text} }}"),
            n.pos,
            "image",
        );
        image.location = Some(d.at(text.to_string(), n.pos, "image"));
        return image;
    }
    let Some(mut f) = d.fields(n, "image") else {
        return image;
    };
    image.location = f
        .take("location")
        .and_then(|n| d.string(n, "image.location"));
    image.build = f.take("build").and_then(|n| match &n.value {
        Value::Str(_) | Value::Map(_) => Some(d.at((), n.pos, "image.build")),
        _ => {
            d.error(
                "wrong-type",
                format!("expected a Dockerfile path or a map, found {}", n.kind()),
                n.pos,
                "image.build",
            );
            None
        }
    });
    image.port = f.take("port").and_then(|n| {
        let p = d.int(n, "image.port", 1, 65535)?;
        Some(p.map(|v| v as u16))
    });
    image.credentials = f
        .take("credentials")
        .and_then(|n| d.string(n, "image.credentials"));
    image.healthcheck = f
        .take("healthcheck")
        .and_then(|n| decode_healthcheck(d, n, "image.healthcheck"));
    image.labels = f
        .take("labels")
        .map(|n| d.string_map(n, "image.labels"))
        .unwrap_or_default();
    image.depends_on = f
        .take("depends_on")
        .map(|n| d.string_map(n, "image.depends_on"))
        .unwrap_or_default();
    // Copilot has these under image.build only; here they would be ignored.
    for misplaced in ["context", "dockerfile"] {
        if let Some((k, _)) = f.take_entry(misplaced) {
            d.error_help(
                "misplaced-key",
                format!(
                    "\"image.{misplaced}\" is not a Copilot field: Copilot reads it under \"image.build\""
                ),
                format!("move it: image: {{ build: {{ {misplaced}: ... }} }}"),
                k.pos,
                &format!("image.{misplaced}"),
            );
        }
    }
    if kind == Some(ServiceType::WorkerService) && image.port.is_some() {
        // Copilot's Worker Service image has no port.
        let p = image.port.take().unwrap();
        d.error(
            "unknown-key",
            "a Worker Service does not take \"port\"",
            p.pos,
            "image.port",
        );
    }
    f.finish(
        d,
        &[
            "location",
            "build",
            "port",
            "credentials",
            "healthcheck",
            "labels",
            "depends_on",
        ],
        &[],
    );
    image
}

fn decode_healthcheck(d: &mut Decoder, n: &Node, path: &str) -> Option<HealthCheck> {
    let mut f = d.fields(n, path)?;
    let hc = HealthCheck {
        command: f
            .take("command")
            .and_then(|n| d.words(n, &join(path, "command"))),
        interval: f
            .take("interval")
            .and_then(|n| d.duration_secs(n, &join(path, "interval"))),
        retries: f
            .take("retries")
            .and_then(|n| d.int(n, &join(path, "retries"), 0, 100)),
        timeout: f
            .take("timeout")
            .and_then(|n| d.duration_secs(n, &join(path, "timeout"))),
        start_period: f
            .take("start_period")
            .and_then(|n| d.duration_secs(n, &join(path, "start_period"))),
    };
    f.finish(
        d,
        &["command", "interval", "retries", "timeout", "start_period"],
        &[],
    );
    Some(hc)
}

fn decode_http(d: &mut Decoder, n: &Node) -> Option<Http> {
    if let Value::Bool(b) = n.value {
        return Some(Http {
            pos: n.pos,
            enabled: b,
            target_container: None,
            target_port: None,
        });
    }
    let mut f = d.fields(n, "http")?;
    let snake = f.take("target_container");
    let camel = f.take("targetContainer");
    let target_container = match (snake, camel) {
        (Some(_), Some(c)) => {
            d.error_help(
                "conflicting-fields",
                "must specify one, not both, of \"target_container\" and \"targetContainer\"",
                "\"targetContainer\" is the older spelling; keep \"target_container\"",
                c.pos,
                "http.targetContainer",
            );
            None
        }
        (Some(s), None) => d.string(s, "http.target_container"),
        (None, Some(c)) => d.string(c, "http.targetContainer"),
        (None, None) => None,
    };
    let target_port = f.take("target_port").and_then(|n| {
        let p = d.int(n, "http.target_port", 1, 65535)?;
        Some(p.map(|v| v as u16))
    });
    f.finish(
        d,
        &["target_container", "targetContainer", "target_port"],
        &[
            "path",
            "healthcheck",
            "alias",
            "hosted_zone",
            "allowed_source_ips",
            "stickiness",
            "deregistration_delay",
            "redirect_to_https",
            "additional_rules",
            "protocol_version",
            "version",
        ],
    );
    Some(Http {
        pos: n.pos,
        enabled: true,
        target_container,
        target_port,
    })
}

fn decode_count(d: &mut Decoder, n: &Node) -> Option<At<Count>> {
    if !matches!(n.value, Value::Int(_) | Value::Map(_)) {
        d.error_help(
            "wrong-type",
            format!(
                "expected a number of tasks or an autoscaling map, found {}",
                n.kind()
            ),
            "for example count: 2, or count: { range: 1-10 }",
            n.pos,
            "count",
        );
        return None;
    }
    if let Value::Int(_) = n.value {
        let c = d.int(n, "count", 0, 10_000)?;
        return Some(d.at(
            Count {
                desired: c.value,
                autoscaling: false,
            },
            n.pos,
            "count",
        ));
    }
    let mut f = d.fields(n, "count")?;
    let mut desired = None;
    let ranged = f.has("range") || f.has("spot");
    if let Some(r) = f.take("range") {
        desired = decode_range_min(d, r);
    }
    if let Some(s) = f.take("spot")
        && let Some(v) = d.int(s, "count.spot", 0, 10_000)
    {
        desired = desired.or(Some(v.value));
    }
    f.finish(
        d,
        &["range", "spot"],
        &[
            "cpu_percentage",
            "memory_percentage",
            "requests",
            "response_time",
            "queue_delay",
            "cooldown",
        ],
    );
    match desired {
        Some(desired) => Some(d.at(
            Count {
                desired,
                autoscaling: true,
            },
            n.pos,
            "count",
        )),
        None if ranged => None,
        None => {
            d.error_help(
                "missing-field",
                "autoscaling \"count\" needs a \"range\" (or \"spot\")",
                "for example: count: { range: 1-10, cpu_percentage: 70 }",
                n.pos,
                "count",
            );
            None
        }
    }
}

fn decode_range_min(d: &mut Decoder, r: &Node) -> Option<i64> {
    if let Value::Map(_) = r.value {
        let mut f = d.fields(r, "count.range")?;
        let min = f
            .take("min")
            .and_then(|n| d.int(n, "count.range.min", 0, 10_000));
        let max = f
            .take("max")
            .and_then(|n| d.int(n, "count.range.max", 0, 10_000));
        f.finish(d, &["min", "max"], &["spot_from"]);
        return match (min, max) {
            (Some(min), Some(max)) if min.value > max.value => {
                d.error(
                    "bad-range",
                    format!(
                        "range minimum {} is above its maximum {}",
                        min.value, max.value
                    ),
                    min.pos,
                    "count.range.min",
                );
                None
            }
            (Some(min), Some(_)) => Some(min.value),
            _ => {
                d.error(
                    "missing-field",
                    "\"count.range\" needs both \"min\" and \"max\"",
                    r.pos,
                    "count.range",
                );
                None
            }
        };
    }
    let s = d.string(r, "count.range")?;
    let parsed = s
        .value
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<i64>().ok()?, b.trim().parse::<i64>().ok()?)));
    match parsed {
        Some((min, max)) if min <= max => Some(min),
        Some((min, max)) => {
            d.error(
                "bad-range",
                format!("range minimum {min} is above its maximum {max}"),
                r.pos,
                "count.range",
            );
            None
        }
        None => {
            d.error_help(
                "bad-range",
                format!("cannot read range {:?}", s.value),
                "write it as MIN-MAX, for example 1-10",
                r.pos,
                "count.range",
            );
            None
        }
    }
}

fn decode_platform(d: &mut Decoder, n: &Node) -> Option<At<Platform>> {
    let (os, arch) = if let Value::Map(_) = n.value {
        let mut f = d.fields(n, "platform")?;
        let os = f
            .take("osfamily")
            .and_then(|n| d.string(n, "platform.osfamily"));
        let arch = f
            .take("architecture")
            .and_then(|n| d.string(n, "platform.architecture"));
        f.finish(d, &["osfamily", "architecture"], &[]);
        (os?.value, arch?.value)
    } else {
        let s = d.string(n, "platform")?;
        match s.value.split_once('/') {
            Some((os, arch)) => (os.to_string(), arch.to_string()),
            None => {
                d.error_help(
                    "bad-platform",
                    format!("cannot read platform {:?}", s.value),
                    "write it as OS/ARCH, for example linux/x86_64 or linux/arm64",
                    n.pos,
                    "platform",
                );
                return None;
            }
        }
    };
    let os_family = match os.to_ascii_lowercase().as_str() {
        "linux" => "LINUX",
        "windows" | "windows_server_2019_core" => "WINDOWS_SERVER_2019_CORE",
        "windows_server_2019_full" => "WINDOWS_SERVER_2019_FULL",
        "windows_server_2022_core" => "WINDOWS_SERVER_2022_CORE",
        "windows_server_2022_full" => "WINDOWS_SERVER_2022_FULL",
        other => {
            d.error_help("bad-platform", format!("unknown operating system \"{other}\""), "one of: linux, windows, windows_server_2019_core, windows_server_2019_full, windows_server_2022_core, windows_server_2022_full", n.pos, "platform");
            return None;
        }
    };
    let cpu_arch = match arch.to_ascii_lowercase().as_str() {
        "amd64" | "x86_64" => "X86_64",
        "arm64" | "arm" => "ARM64",
        other => {
            d.error_help(
                "bad-platform",
                format!("unknown architecture \"{other}\""),
                "one of: x86_64 (amd64), arm64",
                n.pos,
                "platform",
            );
            return None;
        }
    };
    Some(d.at(
        Platform {
            os_family: os_family.to_string(),
            arch: cpu_arch.to_string(),
            windows: os_family != "LINUX",
        },
        n.pos,
        "platform",
    ))
}

/// `variables`: names to strings; `{from_cfn: ...}` needs CloudFormation.
fn decode_variables(d: &mut Decoder, n: &Node, path: &str) -> Vars {
    let mut out = BTreeMap::new();
    let Some(f) = d.fields(n, path) else {
        return out;
    };
    for (key, value) in f.all() {
        let p = join(path, &key.name);
        if value.get("from_cfn").is_some() {
            d.error_help(
                "unsupported",
                "\"from_cfn\" needs CloudFormation exports, which sidecarctl does not read",
                "give the value itself",
                value.pos,
                &join(&p, "from_cfn"),
            );
            continue;
        }
        if let Some(s) = d.string(value, &p) {
            out.insert(key.name.clone(), s);
        }
    }
    out
}

/// `secrets`: names to an SSM parameter name, an ARN, or `{secretsmanager: NAME}`.
fn decode_secrets(d: &mut Decoder, n: &Node, path: &str) -> BTreeMap<String, At<SecretRef>> {
    let mut out = BTreeMap::new();
    let Some(f) = d.fields(n, path) else {
        return out;
    };
    for (key, value) in f.all() {
        let p = join(path, &key.name);
        if let Some(s) = decode_secret(d, value, &p) {
            out.insert(key.name.clone(), s);
        }
    }
    out
}

fn decode_secret(d: &mut Decoder, n: &Node, path: &str) -> Option<At<SecretRef>> {
    if let Value::Map(_) = n.value {
        let mut f = d.fields(n, path)?;
        let sm = f.take("secretsmanager");
        if let Some(cfn) = f.take("from_cfn") {
            d.error_help(
                "unsupported",
                "\"from_cfn\" needs CloudFormation exports, which sidecarctl does not read",
                "give the parameter name, the ARN, or {secretsmanager: NAME}",
                cfn.pos,
                &join(path, "from_cfn"),
            );
        }
        f.finish(d, &["secretsmanager"], &[]);
        let name = d.string(sm?, &join(path, "secretsmanager"))?;
        return Some(d.at(SecretRef::SecretsManagerName(name.value), n.pos, path));
    }
    let s = d.string(n, path)?;
    let r = if s.value.starts_with("arn:") {
        SecretRef::Arn(s.value)
    } else {
        SecretRef::SsmName(s.value)
    };
    Some(d.at(r, n.pos, path))
}

fn decode_storage(d: &mut Decoder, n: &Node) -> Storage {
    let mut storage = Storage::default();
    let Some(mut f) = d.fields(n, "storage") else {
        return storage;
    };
    storage.ephemeral = f
        .take("ephemeral")
        .and_then(|n| d.int(n, "storage.ephemeral", 20, 200));
    storage.readonly_fs = f
        .take("readonly_fs")
        .and_then(|n| d.boolean(n, "storage.readonly_fs"));
    if let Some(vols) = f.take("volumes")
        && let Some(vf) = d.fields(vols, "storage.volumes")
    {
        for (key, value) in vf.all() {
            let path = join("storage.volumes", &key.name);
            if let Some(v) = decode_volume(d, key.name.clone(), key.pos, value, &path) {
                storage.volumes.insert(key.name.clone(), v);
            }
        }
    }
    f.finish(d, &["volumes", "ephemeral", "readonly_fs"], &[]);
    storage
}

fn decode_volume(
    d: &mut Decoder,
    name: String,
    name_pos: Pos,
    n: &Node,
    path: &str,
) -> Option<Volume> {
    let mut f = d.fields(n, path)?;
    let vpath = f
        .take("path")
        .and_then(|n| d.string(n, &join(path, "path")));
    let read_only = f
        .take("read_only")
        .and_then(|n| d.boolean(n, &join(path, "read_only")));
    let efs = f
        .take("efs")
        .and_then(|n| decode_efs(d, n, &join(path, "efs")));
    f.finish(d, &["path", "read_only", "efs"], &[]);
    Some(Volume {
        name: d.at(name, name_pos, path),
        path: vpath,
        read_only,
        efs,
    })
}

fn decode_efs(d: &mut Decoder, n: &Node, path: &str) -> Option<Efs> {
    if let Value::Bool(b) = n.value {
        return b.then(|| Efs {
            pos: n.pos,
            path: path.to_string(),
            id: None,
            root_dir: None,
            iam: None,
            access_point_id: None,
            managed: true,
        });
    }
    let mut f = d.fields(n, path)?;
    let id = f.take("id").and_then(|n| d.string(n, &join(path, "id")));
    let root_dir = f
        .take("root_dir")
        .and_then(|n| d.string(n, &join(path, "root_dir")));
    let (mut iam, mut access_point_id) = (None, None);
    if let Some(auth) = f.take("auth") {
        let ap = join(path, "auth");
        if let Some(mut af) = d.fields(auth, &ap) {
            iam = af.take("iam").and_then(|n| d.boolean(n, &join(&ap, "iam")));
            access_point_id = af
                .take("access_point_id")
                .and_then(|n| d.string(n, &join(&ap, "access_point_id")));
            af.finish(d, &["iam", "access_point_id"], &[]);
        }
    }
    f.finish(d, &["id", "root_dir", "auth"], &["uid", "gid"]);
    Some(Efs {
        pos: n.pos,
        path: path.to_string(),
        id,
        root_dir,
        iam,
        access_point_id,
        managed: false,
    })
}

fn decode_logging(d: &mut Decoder, n: &Node) -> Option<Logging> {
    let mut f = d.fields(n, "logging")?;
    let mut l = Logging {
        pos: n.pos,
        ..Logging::default()
    };
    l.retention = f
        .take("retention")
        .and_then(|n| d.int(n, "logging.retention", 1, 3653));
    l.image = f.take("image").and_then(|n| d.string(n, "logging.image"));
    l.destination = f
        .take("destination")
        .map(|n| d.string_map(n, "logging.destination"))
        .unwrap_or_default();
    l.enable_metadata = f
        .take("enableMetadata")
        .and_then(|n| d.boolean(n, "logging.enableMetadata"));
    l.secret_options = f
        .take("secretOptions")
        .map(|n| decode_secrets(d, n, "logging.secretOptions"))
        .unwrap_or_default();
    l.config_file_path = f
        .take("configFilePath")
        .and_then(|n| d.string(n, "logging.configFilePath"));
    l.variables = f
        .take("variables")
        .map(|n| decode_variables(d, n, "logging.variables"))
        .unwrap_or_default();
    l.secrets = f
        .take("secrets")
        .map(|n| decode_secrets(d, n, "logging.secrets"))
        .unwrap_or_default();
    l.wants_router = [
        "image",
        "destination",
        "enableMetadata",
        "secretOptions",
        "configFilePath",
        "variables",
        "secrets",
        "env_file",
    ]
    .iter()
    .any(|k| f.has(k));
    f.finish(
        d,
        &[
            "retention",
            "image",
            "destination",
            "enableMetadata",
            "secretOptions",
            "configFilePath",
            "variables",
            "secrets",
        ],
        &["env_file"],
    );
    Some(l)
}

fn decode_sidecars(d: &mut Decoder, n: &Node) -> BTreeMap<String, Sidecar> {
    let mut out = BTreeMap::new();
    let Some(f) = d.fields(n, "sidecars") else {
        return out;
    };
    for (key, value) in f.all() {
        let path = join("sidecars", &key.name);
        if let Some(s) = decode_sidecar(d, d.at(key.name.clone(), key.pos, &path), value, &path) {
            out.insert(key.name.clone(), s);
        }
    }
    out
}

fn decode_sidecar(d: &mut Decoder, name: At<String>, n: &Node, path: &str) -> Option<Sidecar> {
    let mut f: Fields = d.fields(n, path)?;
    let p = |k: &str| join(path, k);
    let port = f.take("port").and_then(|n| decode_port(d, n, &p("port")));
    let image = f
        .take("image")
        .and_then(|n| decode_sidecar_image(d, n, &p("image")));
    let essential = f
        .take("essential")
        .and_then(|n| d.boolean(n, &p("essential")));
    let credentials_parameter = f
        .take("credentialsParameter")
        .and_then(|n| d.string(n, &p("credentialsParameter")));
    let variables = f
        .take("variables")
        .map(|n| decode_variables(d, n, &p("variables")))
        .unwrap_or_default();
    let secrets = f
        .take("secrets")
        .map(|n| decode_secrets(d, n, &p("secrets")))
        .unwrap_or_default();
    let mount_points = f
        .take("mount_points")
        .map(|n| decode_mount_points(d, n, &p("mount_points")))
        .unwrap_or_default();
    let labels = f
        .take("labels")
        .map(|n| d.string_map(n, &p("labels")))
        .unwrap_or_default();
    let depends_on = f
        .take("depends_on")
        .map(|n| d.string_map(n, &p("depends_on")))
        .unwrap_or_default();
    let entrypoint = f
        .take("entrypoint")
        .and_then(|n| d.words(n, &p("entrypoint")));
    let command = f.take("command").and_then(|n| d.words(n, &p("command")));
    let healthcheck = f
        .take("healthcheck")
        .and_then(|n| decode_healthcheck(d, n, &p("healthcheck")));
    f.finish(
        d,
        &[
            "port",
            "image",
            "essential",
            "credentialsParameter",
            "variables",
            "secrets",
            "mount_points",
            "labels",
            "depends_on",
            "entrypoint",
            "command",
            "healthcheck",
        ],
        &["env_file"],
    );
    Some(Sidecar {
        name,
        port,
        image,
        essential,
        credentials_parameter,
        variables,
        secrets,
        mount_points,
        labels,
        depends_on,
        entrypoint,
        command,
        healthcheck,
    })
}

fn decode_sidecar_image(d: &mut Decoder, n: &Node, path: &str) -> Option<At<String>> {
    if let Value::Map(_) = n.value {
        let mut f = d.fields(n, path)?;
        let location = f
            .take("location")
            .and_then(|n| d.string(n, &join(path, "location")));
        if let Some(b) = f.take("build") {
            d.error_help(
                "unsupported",
                "sidecarctl does not build sidecar images",
                "push the image and give its URI in \"location\"",
                b.pos,
                &join(path, "build"),
            );
        }
        f.finish(d, &["location", "build"], &[]);
        return location;
    }
    d.string(n, path)
}

/// `PORT[/PROTOCOL]` or an integer.
fn decode_port(d: &mut Decoder, n: &Node, path: &str) -> Option<At<PortSpec>> {
    let text = d.string(n, path)?;
    let (port, proto) = match text.value.split_once('/') {
        Some((p, proto)) => (p, Some(proto)),
        None => (text.value.as_str(), None),
    };
    let Ok(port) = port.trim().parse::<u16>() else {
        d.error(
            "bad-port",
            format!("cannot parse port mapping from {}", text.value),
            n.pos,
            path,
        );
        return None;
    };
    if port == 0 {
        d.error(
            "bad-port",
            format!("cannot parse port mapping from {}", text.value),
            n.pos,
            path,
        );
        return None;
    }
    let protocol = match proto.map(str::to_ascii_lowercase).as_deref() {
        None | Some("tcp") => Protocol::Tcp,
        Some("udp") => Protocol::Udp,
        Some(_) => {
            d.error(
                "bad-protocol",
                format!(
                    "invalid protocol {}; valid protocols include TCP and UDP",
                    proto.unwrap_or_default()
                ),
                n.pos,
                path,
            );
            return None;
        }
    };
    Some(d.at(PortSpec { port, protocol }, n.pos, path))
}

fn decode_mount_points(d: &mut Decoder, n: &Node, path: &str) -> Vec<MountPoint> {
    let Some(items) = d.list(n, path, "mount points") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ip = index(path, i);
        let Some(mut f) = d.fields(item, &ip) else {
            continue;
        };
        let mp = MountPoint {
            pos: item.pos,
            path: ip.clone(),
            source_volume: f
                .take("source_volume")
                .and_then(|n| d.string(n, &join(&ip, "source_volume"))),
            container_path: f.take("path").and_then(|n| d.string(n, &join(&ip, "path"))),
            read_only: f
                .take("read_only")
                .and_then(|n| d.boolean(n, &join(&ip, "read_only"))),
        };
        f.finish(d, &["source_volume", "path", "read_only"], &[]);
        out.push(mp);
    }
    out
}

fn decode_network(d: &mut Decoder, n: &Node) -> Network {
    let mut net = Network::default();
    let Some(mut f) = d.fields(n, "network") else {
        return net;
    };
    if let Some(vpc) = f.take("vpc")
        && let Some(mut vf) = d.fields(vpc, "network.vpc")
    {
        net.placement = vf.take("placement").and_then(|n| decode_placement(d, n));
        if let Some(sg) = vf.take("security_groups") {
            net.security_groups = decode_security_groups(d, sg);
        }
        vf.finish(d, &["placement", "security_groups"], &[]);
    }
    f.finish(d, &["vpc"], &["connect"]);
    net
}

fn decode_placement(d: &mut Decoder, n: &Node) -> Option<At<Placement>> {
    let path = "network.vpc.placement";
    if let Value::Map(_) = n.value {
        let mut f = d.fields(n, path)?;
        let subnets = f.take("subnets");
        f.finish(d, &["subnets"], &[]);
        let subnets = subnets?;
        if subnets.get("from_tags").is_some() {
            d.error_help(
                "unsupported",
                "subnets \"from_tags\" is not supported",
                "list the subnet ids",
                subnets.pos,
                "network.vpc.placement.subnets.from_tags",
            );
            return None;
        }
        let ids = d.strings(subnets, "network.vpc.placement.subnets")?;
        return Some(d.at(Placement::Subnets(ids.value), n.pos, path));
    }
    let s = d.string(n, path)?;
    match s.value.as_str() {
        "public" => Some(d.at(Placement::Public, n.pos, path)),
        "private" => Some(d.at(Placement::Private, n.pos, path)),
        other => {
            d.error_help(
                "bad-placement",
                format!("unknown placement \"{other}\""),
                "one of: public, private, or {subnets: [ids]}",
                n.pos,
                path,
            );
            None
        }
    }
}

fn decode_security_groups(d: &mut Decoder, n: &Node) -> Vec<At<String>> {
    let path = "network.vpc.security_groups";
    let (list, list_path) = if let Value::Map(_) = n.value {
        let Some(mut f) = d.fields(n, path) else {
            return Vec::new();
        };
        let groups = f.take("groups");
        f.finish(d, &["groups"], &["deny_default"]);
        match groups {
            Some(g) => (g, format!("{path}.groups")),
            None => return Vec::new(),
        }
    } else {
        (n, path.to_string())
    };
    let Value::Seq(items) = &list.value else {
        d.error(
            "wrong-type",
            format!(
                "expected a list of security group ids, found {}",
                list.kind()
            ),
            list.pos,
            &list_path,
        );
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            if item.get("from_cfn").is_some() {
                d.error(
                    "unsupported",
                    "\"from_cfn\" needs CloudFormation exports, which sidecarctl does not read",
                    item.pos,
                    &index(&list_path, i),
                );
                return None;
            }
            d.string(item, &index(&list_path, i))
        })
        .collect()
}
