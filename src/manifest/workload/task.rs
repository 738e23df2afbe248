//! The task every workload kind shares: platform, variables, secrets,
//! storage, logging, sidecars, network and exec.

use std::collections::BTreeMap;

use crate::manifest::decode::{At, Decoder, Fields, index, join};
use crate::manifest::types::*;
use crate::yaml::{Node, Pos, Value};

use super::image::*;

pub(super) fn decode_platform(d: &mut Decoder, n: &Node) -> Option<At<Platform>> {
    let (os, arch) = if let Value::Map(_) = n.value {
        let mut f = d.fields(n, "platform")?;
        let os = f
            .take("osfamily")
            .and_then(|n| d.string(n, "platform.osfamily"));
        let arch = f
            .take("architecture")
            .and_then(|n| d.string(n, "platform.architecture"));
        f.finish(d, &[]);
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

/// `exec: true`, or `exec: {enable: true}` as Copilot also reads it.
pub(super) fn decode_exec(d: &mut Decoder, n: &Node) -> Option<At<bool>> {
    if let Value::Map(_) = n.value {
        let mut f = d.fields(n, "exec")?;
        let enable = f.take("enable").and_then(|e| d.boolean(e, "exec.enable"));
        f.finish(d, &[]);
        return enable;
    }
    d.boolean(n, "exec")
}

/// `variables`: names to strings, or `{from_cfn: EXPORT}`. A name with no
/// value (`KEY:`) is the empty string: Copilot's decoder leaves the variable's
/// value unset and its template renders it as `""`.
pub(super) fn decode_variables(d: &mut Decoder, n: &Node, path: &str) -> Vars {
    let mut out = BTreeMap::new();
    let Some(f) = d.fields(n, path) else {
        return out;
    };
    for (key, value) in f.all() {
        let p = join(path, &key.name);
        if value.is_null() {
            out.insert(key.name.clone(), d.at(String::new(), value.pos, &p));
            continue;
        }
        if let Some(s) = string_or_export(d, value, &p) {
            out.insert(key.name.clone(), s);
        }
    }
    out
}

/// A string, or `{from_cfn: EXPORT}` kept as its placeholder (see
/// [`from_cfn`](super::from_cfn)).
pub(super) fn string_or_export(d: &mut Decoder, n: &Node, path: &str) -> Option<At<String>> {
    if let Value::Map(_) = n.value
        && let Some(cfn) = n.get("from_cfn")
    {
        let export = d.string(cfn, &join(path, "from_cfn"))?;
        return Some(d.at(
            crate::manifest::from_cfn::placeholder(&export.value),
            cfn.pos,
            path,
        ));
    }
    d.string(n, path)
}

/// `secrets`: names to an SSM parameter name, an ARN, or `{secretsmanager: NAME}`.
pub(super) fn decode_secrets(
    d: &mut Decoder,
    n: &Node,
    path: &str,
) -> BTreeMap<String, At<SecretRef>> {
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

pub(super) fn decode_secret(d: &mut Decoder, n: &Node, path: &str) -> Option<At<SecretRef>> {
    if let Value::Map(_) = n.value {
        let mut f = d.fields(n, path)?;
        let sm = f.take("secretsmanager");
        if let Some(cfn) = f.take("from_cfn") {
            f.finish(d, &[]);
            let export = d.string(cfn, &join(path, "from_cfn"))?;
            let name = crate::manifest::from_cfn::placeholder(&export.value);
            return Some(d.at(SecretRef::SsmName(name), cfn.pos, path));
        }
        f.finish(d, &[]);
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

pub(super) fn decode_storage(d: &mut Decoder, n: &Node) -> Storage {
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
    f.finish(d, &[]);
    storage
}

pub(super) fn decode_volume(
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
    f.finish(d, &[]);
    Some(Volume {
        name: d.at(name, name_pos, path),
        path: vpath,
        read_only,
        efs,
    })
}

pub(super) fn decode_efs(d: &mut Decoder, n: &Node, path: &str) -> Option<Efs> {
    if let Value::Bool(b) = n.value {
        return b.then(|| Efs {
            pos: n.pos,
            path: path.to_string(),
            id: None,
            root_dir: None,
            iam: None,
            access_point_id: None,
            uid: None,
            gid: None,
            managed: true,
        });
    }
    let mut f = d.fields(n, path)?;
    let id = f
        .take("id")
        .and_then(|n| string_or_export(d, n, &join(path, "id")));
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
            af.finish(d, &[]);
        }
    }
    let uid = f
        .take("uid")
        .and_then(|n| d.int(n, &join(path, "uid"), 0, i64::from(u32::MAX)));
    let gid = f
        .take("gid")
        .and_then(|n| d.int(n, &join(path, "gid"), 0, i64::from(u32::MAX)));
    f.finish(d, &[]);
    // As Copilot: only `uid`/`gid` asks for the managed file system too.
    let managed = id.is_none()
        && root_dir.is_none()
        && iam.is_none()
        && access_point_id.is_none()
        && (uid.is_some() || gid.is_some());
    Some(Efs {
        pos: n.pos,
        path: path.to_string(),
        id,
        root_dir,
        iam,
        access_point_id,
        uid,
        gid,
        managed,
    })
}

pub(super) fn decode_logging(d: &mut Decoder, n: &Node) -> Option<Logging> {
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
    l.env_file = f
        .take("env_file")
        .and_then(|n| d.string(n, "logging.env_file"));
    l.sidecars = f.take("sidecars").and_then(|n| decode_routed(d, n));
    f.finish(d, &[]);
    Some(l)
}

pub(super) fn decode_sidecars(d: &mut Decoder, n: &Node) -> BTreeMap<String, Sidecar> {
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

pub(super) fn decode_sidecar(
    d: &mut Decoder,
    name: At<String>,
    n: &Node,
    path: &str,
) -> Option<Sidecar> {
    let mut f: Fields = d.fields(n, path)?;
    let p = |k: &str| join(path, k);
    let port = f.take("port").and_then(|n| decode_port(d, n, &p("port")));
    let (image, build) = f
        .take("image")
        .map(|n| decode_sidecar_image(d, n, &p("image")))
        .unwrap_or_default();
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
    let env_file = f.take("env_file").and_then(|n| d.string(n, &p("env_file")));
    f.finish(d, &[]);
    Some(Sidecar {
        name,
        port,
        image,
        build,
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
        env_file,
    })
}

pub(super) fn decode_mount_points(d: &mut Decoder, n: &Node, path: &str) -> Vec<MountPoint> {
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
        f.finish(d, &[]);
        out.push(mp);
    }
    out
}

pub(super) fn decode_network(d: &mut Decoder, n: &Node) -> Network {
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
        vf.finish(d, &[]);
    }
    net.connect = f.take("connect").and_then(|n| decode_connect(d, n));
    f.finish(d, &[]);
    net
}

pub(super) fn decode_connect(d: &mut Decoder, n: &Node) -> Option<At<Connect>> {
    let path = "network.connect";
    if let Value::Bool(_) = n.value {
        return d.boolean(n, path).map(|b| {
            b.map(|enabled| Connect {
                enabled,
                alias: None,
            })
        });
    }
    let mut f = d.fields(n, path)?;
    let alias = f
        .take("alias")
        .and_then(|a| d.string(a, &join(path, "alias")))
        .map(|a| a.value);
    f.finish(d, &[]);
    // Copilot: any setting under `connect` turns it on.
    Some(d.at(
        Connect {
            enabled: true,
            alias,
        },
        n.pos,
        path,
    ))
}

pub(super) fn decode_placement(d: &mut Decoder, n: &Node) -> Option<At<Placement>> {
    let path = "network.vpc.placement";
    if let Value::Map(_) = n.value {
        let mut f = d.fields(n, path)?;
        let subnets = f.take("subnets");
        f.finish(d, &[]);
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

pub(super) fn decode_security_groups(d: &mut Decoder, n: &Node) -> Vec<At<String>> {
    let path = "network.vpc.security_groups";
    let (list, list_path) = if let Value::Map(_) = n.value {
        let Some(mut f) = d.fields(n, path) else {
            return Vec::new();
        };
        let groups = f.take("groups");
        f.finish(d, &["deny_default"]);
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
        .filter_map(|(i, item)| string_or_export(d, item, &index(&list_path, i)))
        .collect()
}

/// `deployment`: `rolling` (`default` or `recreate`, in any case, as Copilot
/// compares them) and `rollback_alarms` (names, or thresholds of the alarms
/// Copilot creates; `messages_delayed` on a Worker Service only).
pub(super) fn decode_deployment(d: &mut Decoder, n: &Node, worker: bool) -> Deployment {
    let mut out = Deployment::default();
    let Some(mut f) = d.fields(n, "deployment") else {
        return out;
    };
    if let Some(r) = f.take("rolling")
        && let Some(s) = d.string(r, "deployment.rolling")
    {
        match s.value.to_ascii_lowercase().as_str() {
            "default" => {}
            "recreate" => out.recreate = true,
            _ => d.error(
                "bad-value",
                format!(
                    "invalid rolling deployment strategy \"{}\", must be one of default or recreate",
                    s.value
                ),
                r.pos,
                "deployment.rolling",
            ),
        }
    }
    if let Some(a) = f.take("rollback_alarms") {
        out.rollback_alarms = decode_rollback_alarms(d, a, worker);
    }
    f.finish(d, &[]);
    out
}

fn decode_rollback_alarms(d: &mut Decoder, n: &Node, worker: bool) -> RollbackAlarms {
    const PATH: &str = "deployment.rollback_alarms";
    if let Value::Seq(_) = n.value {
        return d
            .strings(n, PATH)
            .map_or(RollbackAlarms::None, |s| RollbackAlarms::Names(s.value));
    }
    let Some(mut f) = d.fields(n, PATH) else {
        return RollbackAlarms::None;
    };
    let mut percent = |d: &mut Decoder, key: &str| {
        let node = f.take(key)?;
        let path = join(PATH, key);
        match node.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(x) => Some(x),
            _ => {
                d.wrong_type(node, &path, "a number");
                None
            }
        }
    };
    let cpu_utilization = percent(d, "cpu_utilization");
    let memory_utilization = percent(d, "memory_utilization");
    let messages_delayed = if worker {
        f.take("messages_delayed")
            .and_then(|m| d.int(m, &join(PATH, "messages_delayed"), 0, i64::from(i32::MAX)))
            .map(|m| m.value)
    } else {
        None
    };
    f.finish(d, &[]);
    RollbackAlarms::Thresholds {
        cpu_utilization,
        memory_utilization,
        messages_delayed,
    }
}

/// `observability.tracing`: `awsxray` (in any case, as Copilot compares it)
/// adds the collector; another vendor is one Copilot adds nothing for.
pub(super) fn decode_observability(d: &mut Decoder, n: &Node) -> bool {
    let Some(mut f) = d.fields(n, "observability") else {
        return false;
    };
    let mut xray = false;
    if let Some(t) = f.take("tracing")
        && let Some(v) = d.string(t, "observability.tracing")
    {
        xray = v.value.eq_ignore_ascii_case("awsxray");
        if !xray {
            d.warning_help(
                "ignored-value",
                format!("tracing vendor \"{}\" does nothing", v.value),
                "the only vendor Copilot knows is awsxray; Copilot adds no collector for another, and neither does sidecarctl",
                t.pos,
                "observability.tracing",
            );
        }
    }
    f.finish(d, &[]);
    xray
}

/// `logging.sidecars`: `true`, `false`, or a list of sidecar names.
fn decode_routed(d: &mut Decoder, n: &Node) -> Option<At<RoutedSidecars>> {
    const PATH: &str = "logging.sidecars";
    match &n.value {
        Value::Bool(true) => Some(d.at(RoutedSidecars::All, n.pos, PATH)),
        Value::Bool(false) => None,
        Value::Seq(items) => {
            let names = items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| d.string(item, &index(PATH, i)))
                .collect();
            Some(d.at(RoutedSidecars::Named(names), n.pos, PATH))
        }
        _ => {
            d.wrong_type(n, PATH, "true, false or a list of sidecar names");
            None
        }
    }
}
