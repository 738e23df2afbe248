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
    "exec",
];
/// Keys Copilot knows on every service type that sidecarctl accepts without acting on.
const COMMON_IGNORED: &[&str] = &[
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
    let nlb = match kind_value {
        Some(ServiceType::LoadBalancedWebService) => f.take("nlb").and_then(|n| decode_nlb(d, n)),
        _ => None,
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
    let exec = f.take("exec").and_then(|n| decode_exec(d, n));
    f.take("environments"); // applied before decoding

    let (known, ignored): (Vec<&str>, Vec<&str>) = match kind_value {
        Some(ServiceType::LoadBalancedWebService) => (
            COMMON.iter().chain(&["http", "nlb"]).copied().collect(),
            COMMON_IGNORED.to_vec(),
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
        nlb,
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
        exec,
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
    let worker = kind == Some(ServiceType::WorkerService);
    image.port = (!worker).then(|| f.take("port")).flatten().and_then(|n| {
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
    // Copilot's Worker Service image has no port: its decoder ignores one.
    let mut known = vec![
        "location",
        "build",
        "credentials",
        "healthcheck",
        "labels",
        "depends_on",
    ];
    if !worker {
        known.push("port");
    }
    f.finish(d, &known, &[]);
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
            main: HttpRule {
                pos: n.pos,
                path_prefix: "http".into(),
                ..HttpRule::default()
            },
            additional_rules: Vec::new(),
            alb: None,
        });
    }
    let mut f = d.fields(n, "http")?;
    let additional_rules = match f.take("additional_rules") {
        Some(list) => d
            .list(list, "http.additional_rules", "routing rules")
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let path = index("http.additional_rules", i);
                let mut rf = d.fields(r, &path)?;
                let rule = decode_rule(d, &mut rf, r.pos, &path);
                rf.finish(d, RULE_KEYS, RULE_IGNORED);
                Some(rule)
            })
            .collect(),
        None => Vec::new(),
    };
    let alb = f.take("alb").and_then(|n| d.string(n, "http.alb"));
    let main = decode_rule(d, &mut f, n.pos, "http");
    let known: Vec<&str> = RULE_KEYS
        .iter()
        .chain(&["additional_rules", "alb"])
        .copied()
        .collect();
    f.finish(d, &known, RULE_IGNORED);
    Some(Http {
        pos: n.pos,
        enabled: true,
        main,
        additional_rules,
        alb,
    })
}

/// The keys of a routing rule sidecarctl acts on.
const RULE_KEYS: &[&str] = &[
    "path",
    "target_container",
    "targetContainer",
    "target_port",
    "healthcheck",
    "alias",
    "allowed_source_ips",
    "stickiness",
    "deregistration_delay",
    "version",
    "redirect_to_https",
    "hosted_zone",
];
const RULE_IGNORED: &[&str] = &[];

fn decode_rule(d: &mut Decoder, f: &mut Fields, pos: Pos, prefix: &str) -> HttpRule {
    let at = |k: &str| join(prefix, k);
    let snake = f.take("target_container");
    let camel = f.take("targetContainer");
    let target_container = match (snake, camel) {
        (Some(_), Some(c)) => {
            d.error_help(
                "conflicting-fields",
                "must specify one, not both, of \"target_container\" and \"targetContainer\"",
                "\"targetContainer\" is the older spelling; keep \"target_container\"",
                c.pos,
                &at("targetContainer"),
            );
            None
        }
        (Some(s), None) => d.string(s, &at("target_container")),
        (None, Some(c)) => d.string(c, &at("targetContainer")),
        (None, None) => None,
    };
    let port = |d: &mut Decoder, n: &Node, path: &str| {
        d.int(n, path, 1, 65535).map(|p| p.map(|v| v as u16))
    };
    let target_port = f
        .take("target_port")
        .and_then(|n| port(d, n, &at("target_port")));
    let healthcheck = match f.take("healthcheck") {
        None => LbHealthCheck::default(),
        Some(n) if matches!(n.value, Value::Map(_)) => {
            decode_lb_healthcheck(d, n, &at("healthcheck"))
        }
        Some(n) => LbHealthCheck {
            path: d.string(n, &at("healthcheck")),
            ..LbHealthCheck::default()
        },
    };
    let alias = f
        .take("alias")
        .map(|n| decode_alias(d, n, &at("alias")))
        .unwrap_or_default();
    let allowed_source_ips = f
        .take("allowed_source_ips")
        .and_then(|n| {
            let items = d.list(n, &at("allowed_source_ips"), "CIDR blocks")?;
            Some(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| d.string(n, &index(&at("allowed_source_ips"), i)))
                    .collect(),
            )
        })
        .unwrap_or_default();
    let version = f.take("version").and_then(|n| {
        let v = d.string(n, &at("version"))?;
        let up = v.value.to_ascii_uppercase();
        if ["HTTP1", "HTTP2", "GRPC"].contains(&up.as_str()) {
            Some(v.map(|_| up))
        } else {
            d.error_help(
                "bad-value",
                format!("unknown protocol version {:?}", v.value),
                "use one of HTTP1, HTTP2 or gRPC",
                n.pos,
                &at("version"),
            );
            None
        }
    });
    HttpRule {
        pos,
        path_prefix: prefix.to_string(),
        path: f.take("path").and_then(|n| d.string(n, &at("path"))),
        target_container,
        target_port,
        healthcheck,
        alias,
        hosted_zone: f
            .take("hosted_zone")
            .and_then(|n| d.string(n, &at("hosted_zone"))),
        allowed_source_ips,
        stickiness: f
            .take("stickiness")
            .and_then(|n| d.boolean(n, &at("stickiness"))),
        deregistration_delay: f
            .take("deregistration_delay")
            .and_then(|n| d.duration_secs(n, &at("deregistration_delay"))),
        version,
        redirect_to_https: f
            .take("redirect_to_https")
            .and_then(|n| d.boolean(n, &at("redirect_to_https"))),
    }
}

/// The keys of a network load balancer listener.
const NLB_LISTENER_KEYS: &[&str] = &[
    "port",
    "target_container",
    "target_port",
    "healthcheck",
    "stickiness",
    "deregistration_delay",
    "ssl_policy",
];

fn decode_nlb(d: &mut Decoder, n: &Node) -> Option<Nlb> {
    let mut f = d.fields(n, "nlb")?;
    let additional = match f.take("additional_listeners") {
        Some(list) => d
            .list(list, "nlb.additional_listeners", "listeners")
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let path = index("nlb.additional_listeners", i);
                let mut lf = d.fields(l, &path)?;
                let listener = decode_nlb_listener(d, &mut lf, l.pos, &path);
                lf.finish(d, NLB_LISTENER_KEYS, &[]);
                listener
            })
            .collect(),
        None => Vec::new(),
    };
    let alias = f
        .take("alias")
        .map(|a| {
            decode_alias(d, a, "nlb.alias")
                .into_iter()
                .filter_map(|alias| match alias.hosted_zone {
                    // Copilot: "hosted_zone" is not supported for Network Load Balancer.
                    Some(z) => {
                        d.error(
                            "unsupported-field",
                            "\"hosted_zone\" is not supported for a network load balancer",
                            z.pos,
                            &z.path,
                        );
                        None
                    }
                    None => Some(alias.name),
                })
                .collect()
        })
        .unwrap_or_default();
    let main = decode_nlb_listener(d, &mut f, n.pos, "nlb");
    let known: Vec<&str> = NLB_LISTENER_KEYS
        .iter()
        .chain(&["additional_listeners", "alias"])
        .copied()
        .collect();
    f.finish(d, &known, &[]);
    Some(Nlb {
        pos: n.pos,
        listeners: std::iter::once(main?).chain(additional).collect(),
        alias,
    })
}

/// A listener's fields; `None` (reported) without a valid `port`.
fn decode_nlb_listener(
    d: &mut Decoder,
    f: &mut Fields,
    pos: Pos,
    prefix: &str,
) -> Option<NlbListener> {
    let at = |k: &str| join(prefix, k);
    let port = match f.take("port") {
        Some(n) => decode_nlb_port(d, n, &at("port")),
        None => {
            d.error(
                "missing-field",
                "\"port\" must be specified",
                pos,
                &at("port"),
            );
            None
        }
    };
    let target_container = f
        .take("target_container")
        .and_then(|n| d.string(n, &at("target_container")));
    let target_port = f
        .take("target_port")
        .and_then(|n| d.int(n, &at("target_port"), 1, 65535))
        .map(|p| p.map(|v| v as u16));
    let healthcheck = f
        .take("healthcheck")
        .map(|n| decode_nlb_healthcheck(d, n, &at("healthcheck")))
        .unwrap_or_default();
    let stickiness = f
        .take("stickiness")
        .and_then(|n| d.boolean(n, &at("stickiness")));
    let deregistration_delay = f
        .take("deregistration_delay")
        .and_then(|n| d.duration_secs(n, &at("deregistration_delay")));
    let ssl_policy = f
        .take("ssl_policy")
        .and_then(|n| d.string(n, &at("ssl_policy")));
    let (port, protocol) = port?;
    Some(NlbListener {
        pos,
        path_prefix: prefix.to_string(),
        port,
        protocol,
        target_container,
        target_port,
        healthcheck,
        stickiness,
        deregistration_delay,
        ssl_policy,
    })
}

/// `PORT[/PROTOCOL]` (tcp, udp or tls, any case; tcp by default) or an integer.
fn decode_nlb_port(d: &mut Decoder, n: &Node, path: &str) -> Option<(At<u16>, NlbProtocol)> {
    let text = d.string(n, path)?;
    let (port, proto) = match text.value.split_once('/') {
        Some((p, proto)) => (p, Some(proto)),
        None => (text.value.as_str(), None),
    };
    let Some(port) = port.trim().parse::<u16>().ok().filter(|p| *p != 0) else {
        d.error(
            "bad-port",
            format!("cannot parse port mapping from {}", text.value),
            n.pos,
            path,
        );
        return None;
    };
    let protocol = match proto.map(str::to_ascii_lowercase).as_deref() {
        None | Some("tcp") => NlbProtocol::Tcp,
        Some("udp") => NlbProtocol::Udp,
        Some("tls") => NlbProtocol::Tls,
        Some(_) => {
            d.error(
                "bad-protocol",
                format!(
                    "invalid protocol {}; valid protocols include TCP, UDP and TLS",
                    proto.unwrap_or_default()
                ),
                n.pos,
                path,
            );
            return None;
        }
    };
    Some((d.at(port, n.pos, path), protocol))
}

/// `nlb.healthcheck`: `http.healthcheck`'s fields but `path` and `success_codes`.
fn decode_nlb_healthcheck(d: &mut Decoder, n: &Node, path: &str) -> NlbHealthCheck {
    let keys: Vec<&str> = LB_HEALTH_KEYS
        .into_iter()
        .filter(|k| !["path", "success_codes"].contains(k))
        .collect();
    let hc = decode_target_health(d, n, path, &keys);
    NlbHealthCheck {
        port: hc.port,
        healthy_threshold: hc.healthy_threshold,
        unhealthy_threshold: hc.unhealthy_threshold,
        interval: hc.interval,
        timeout: hc.timeout,
        grace_period: hc.grace_period,
    }
}

/// `alias`: a name, a list of names, or a list of `{name, hosted_zone}`.
fn decode_alias(d: &mut Decoder, n: &Node, path: &str) -> Vec<Alias> {
    let plain = |name: At<String>| Alias {
        name,
        hosted_zone: None,
    };
    match &n.value {
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let p = index(path, i);
                if matches!(item.value, Value::Map(_)) {
                    let mut f = d.fields(item, &p)?;
                    let name = match f.take("name") {
                        Some(n) => d.string(n, &join(&p, "name")),
                        None => {
                            d.error(
                                "missing-field",
                                "\"name\" must be specified",
                                item.pos,
                                &join(&p, "name"),
                            );
                            None
                        }
                    };
                    let hosted_zone = f
                        .take("hosted_zone")
                        .and_then(|z| d.string(z, &join(&p, "hosted_zone")));
                    f.finish(d, &["name", "hosted_zone"], &[]);
                    Some(Alias {
                        name: name?,
                        hosted_zone,
                    })
                } else {
                    d.string(item, &p).map(plain)
                }
            })
            .collect(),
        _ => d.string(n, path).into_iter().map(plain).collect(),
    }
}

/// `http.healthcheck`'s fields.
const LB_HEALTH_KEYS: [&str; 8] = [
    "path",
    "port",
    "success_codes",
    "healthy_threshold",
    "unhealthy_threshold",
    "interval",
    "timeout",
    "grace_period",
];

fn decode_lb_healthcheck(d: &mut Decoder, n: &Node, path: &str) -> LbHealthCheck {
    decode_target_health(d, n, path, &LB_HEALTH_KEYS)
}

/// A target group's health check, of the fields in `keys` (any other is an
/// unknown key).
fn decode_target_health(d: &mut Decoder, n: &Node, path: &str, keys: &[&str]) -> LbHealthCheck {
    let Some(mut f) = d.fields(n, path) else {
        return LbHealthCheck::default();
    };
    let at = |k: &str| join(path, k);
    let mut take = |k: &str| keys.contains(&k).then(|| f.take(k)).flatten();
    let hc = LbHealthCheck {
        path: take("path").and_then(|n| d.string(n, &at("path"))),
        port: take("port")
            .and_then(|n| d.int(n, &at("port"), 1, 65535))
            .map(|p| p.map(|v| v as u16)),
        success_codes: take("success_codes").and_then(|n| d.string(n, &at("success_codes"))),
        healthy_threshold: take("healthy_threshold")
            .and_then(|n| d.int(n, &at("healthy_threshold"), 2, 10)),
        unhealthy_threshold: take("unhealthy_threshold")
            .and_then(|n| d.int(n, &at("unhealthy_threshold"), 2, 10)),
        interval: take("interval").and_then(|n| d.duration_secs(n, &at("interval"))),
        timeout: take("timeout").and_then(|n| d.duration_secs(n, &at("timeout"))),
        grace_period: take("grace_period").and_then(|n| d.duration_secs(n, &at("grace_period"))),
    };
    f.finish(d, keys, &[]);
    hc
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
                spot: None,
                spot_from: None,
                max: None,
                cpu: None,
                memory: None,
                requests: None,
                response_time: None,
                queue_delay: None,
            },
            n.pos,
            "count",
        ));
    }
    let mut f = d.fields(n, "count")?;
    let mut desired = None;
    let ranged = f.has("range") || f.has("spot");
    let autoscaling = f.has("range");
    let (mut spot_from, mut max) = (None, None);
    if let Some(r) = f.take("range") {
        (desired, max, spot_from) = match decode_range(d, r) {
            Some((min, most, from)) => (Some(min), Some(most), from),
            None => (None, None, None),
        };
    }
    let general = f
        .take("cooldown")
        .map(|c| decode_cooldown(d, c, "count.cooldown"))
        .unwrap_or_default();
    let cpu = f
        .take("cpu_percentage")
        .and_then(|n| decode_scale_on(d, n, "count.cpu_percentage", general));
    let memory = f
        .take("memory_percentage")
        .and_then(|n| decode_scale_on(d, n, "count.memory_percentage", general));
    let requests = f.take("requests").and_then(|n| {
        decode_scale_on_with(d, n, "count.requests", general, |d, v, p| {
            d.int(v, p, 1, 1_000_000).map(|v| v.value)
        })
    });
    let response_time = f
        .take("response_time")
        .and_then(|n| decode_scale_on_with(d, n, "count.response_time", general, duration_ms));
    let queue_delay = f
        .take("queue_delay")
        .and_then(|n| decode_queue_delay(d, n, general));
    let mut spot = None;
    if let Some(s) = f.take("spot")
        && let Some(v) = d.int(s, "count.spot", 0, 10_000)
    {
        spot = Some(v.value);
        desired = desired.or(Some(v.value));
    }
    f.finish(
        d,
        &[
            "range",
            "spot",
            "cpu_percentage",
            "memory_percentage",
            "requests",
            "response_time",
            "queue_delay",
            "cooldown",
        ],
        &[],
    );
    match desired {
        // As Copilot: `spot` alone is a fixed count on Fargate Spot; a
        // `range` is autoscaling.
        Some(desired) => Some(d.at(
            Count {
                desired,
                autoscaling,
                spot,
                spot_from,
                max,
                cpu,
                memory,
                requests,
                response_time,
                queue_delay,
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

/// `queue_delay: {acceptable_latency, msg_processing_time, cooldown}`: the
/// acceptable backlog per task, as Copilot's `AcceptableBacklogPerTask`
/// computes it.
fn decode_queue_delay(
    d: &mut Decoder,
    n: &Node,
    general: (Option<u32>, Option<u32>),
) -> Option<At<ScaleOn>> {
    const PATH: &str = "count.queue_delay";
    let mut f = d.fields(n, PATH)?;
    let required = |f: &mut Fields, d: &mut Decoder, key: &str| {
        let path = join(PATH, key);
        match f.take(key) {
            Some(v) => duration_ms(d, v, &path).map(|ms| (ms, v.pos, path)),
            None => {
                d.error(
                    "missing-field",
                    format!("\"{key}\" must be specified"),
                    n.pos,
                    &path,
                );
                None
            }
        }
    };
    let latency = required(&mut f, d, "acceptable_latency");
    let processing = required(&mut f, d, "msg_processing_time");
    let (scale_in_s, scale_out_s) = f
        .take("cooldown")
        .map(|c| decode_cooldown(d, c, &join(PATH, "cooldown")))
        .map_or(general, |(i, o)| (i.or(general.0), o.or(general.1)));
    f.finish(
        d,
        &["acceptable_latency", "msg_processing_time", "cooldown"],
        &[],
    );
    let ((latency, _, _), (processing, pos, path)) = (latency?, processing?);
    if latency < processing {
        d.error(
            "out-of-range",
            "\"acceptable_latency\" cannot be shorter than \"msg_processing_time\"",
            pos,
            &path,
        );
        return None;
    }
    let backlog = (latency + processing - 1) / processing;
    Some(d.at(
        ScaleOn {
            target: backlog,
            scale_in_s,
            scale_out_s,
        },
        n.pos,
        PATH,
    ))
}

/// `cooldown: {in: 30s, out: 10s}`: scale-in and scale-out seconds.
fn decode_cooldown(d: &mut Decoder, n: &Node, path: &str) -> (Option<u32>, Option<u32>) {
    let Some(mut f) = d.fields(n, path) else {
        return (None, None);
    };
    let scale_in = f
        .take("in")
        .and_then(|v| d.duration_secs(v, &join(path, "in")))
        .map(|s| s.value);
    let scale_out = f
        .take("out")
        .and_then(|v| d.duration_secs(v, &join(path, "out")))
        .map(|s| s.value);
    f.finish(d, &["in", "out"], &[]);
    (scale_in, scale_out)
}

/// `cpu_percentage: 70`, or `{value: 70, cooldown: {in, out}}` (Copilot's
/// `ScalingConfigOrT`); its own cooldown wins over `count.cooldown`.
fn decode_scale_on(
    d: &mut Decoder,
    n: &Node,
    path: &str,
    general: (Option<u32>, Option<u32>),
) -> Option<ScaleOn> {
    decode_scale_on_with(d, n, path, general, |d, v, p| {
        d.int(v, p, 1, 100).map(|v| v.value)
    })
}

/// A duration such as `500ms` or `2s`, in milliseconds.
fn duration_ms(d: &mut Decoder, n: &Node, path: &str) -> Option<i64> {
    let text = d.string(n, path)?;
    match crate::clock::parse_go_duration(&text.value) {
        Some(ms) if ms > 0 => i64::try_from(ms).ok(),
        _ => {
            d.error_help(
                "bad-duration",
                format!("{:?} is not a duration", text.value),
                "write it as 500ms, 2s or 1m",
                n.pos,
                path,
            );
            None
        }
    }
}

/// A target-tracking setting whose value `read` decodes.
fn decode_scale_on_with(
    d: &mut Decoder,
    n: &Node,
    path: &str,
    general: (Option<u32>, Option<u32>),
    read: impl Fn(&mut Decoder, &Node, &str) -> Option<i64>,
) -> Option<ScaleOn> {
    let (value, own) = if let Value::Map(_) = n.value {
        let mut f = d.fields(n, path)?;
        let value = f
            .take("value")
            .and_then(|v| read(d, v, &join(path, "value")));
        let own = f
            .take("cooldown")
            .map(|c| decode_cooldown(d, c, &join(path, "cooldown")))
            .unwrap_or_default();
        f.finish(d, &["value", "cooldown"], &[]);
        (value, own)
    } else {
        (read(d, n, path), (None, None))
    };
    Some(ScaleOn {
        target: value?,
        scale_in_s: own.0.or(general.0),
        scale_out_s: own.1.or(general.1),
    })
}

/// `count.range`: its minimum, maximum, and `spot_from` (map form only).
fn decode_range(d: &mut Decoder, r: &Node) -> Option<(i64, i64, Option<i64>)> {
    if let Value::Map(_) = r.value {
        let mut f = d.fields(r, "count.range")?;
        let min = f
            .take("min")
            .and_then(|n| d.int(n, "count.range.min", 0, 10_000));
        let max = f
            .take("max")
            .and_then(|n| d.int(n, "count.range.max", 0, 10_000));
        let spot_from = f
            .take("spot_from")
            .and_then(|n| d.int(n, "count.range.spot_from", 0, 10_000))
            .map(|s| s.value);
        f.finish(d, &["min", "max", "spot_from"], &[]);
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
            (Some(min), Some(max)) => Some((min.value, max.value, spot_from)),
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
        Some((min, max)) if min <= max => Some((min, max, None)),
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

/// `exec: true`, or `exec: {enable: true}` as Copilot also reads it.
fn decode_exec(d: &mut Decoder, n: &Node) -> Option<At<bool>> {
    if let Value::Map(_) = n.value {
        let mut f = d.fields(n, "exec")?;
        let enable = f.take("enable").and_then(|e| d.boolean(e, "exec.enable"));
        f.finish(d, &["enable"], &[]);
        return enable;
    }
    d.boolean(n, "exec")
}

/// `variables`: names to strings, or `{from_cfn: EXPORT}`. A name with no
/// value (`KEY:`) is the empty string: Copilot's decoder leaves the variable's
/// value unset and its template renders it as `""`.
fn decode_variables(d: &mut Decoder, n: &Node, path: &str) -> Vars {
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
fn string_or_export(d: &mut Decoder, n: &Node, path: &str) -> Option<At<String>> {
    if let Value::Map(_) = n.value
        && let Some(cfn) = n.get("from_cfn")
    {
        let export = d.string(cfn, &join(path, "from_cfn"))?;
        return Some(d.at(super::from_cfn::placeholder(&export.value), cfn.pos, path));
    }
    d.string(n, path)
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
            f.finish(d, &["secretsmanager", "from_cfn"], &[]);
            let export = d.string(cfn, &join(path, "from_cfn"))?;
            let name = super::from_cfn::placeholder(&export.value);
            return Some(d.at(SecretRef::SsmName(name), cfn.pos, path));
        }
        f.finish(d, &["secretsmanager", "from_cfn"], &[]);
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
            af.finish(d, &["iam", "access_point_id"], &[]);
        }
    }
    let uid = f
        .take("uid")
        .and_then(|n| d.int(n, &join(path, "uid"), 0, i64::from(u32::MAX)));
    let gid = f
        .take("gid")
        .and_then(|n| d.int(n, &join(path, "gid"), 0, i64::from(u32::MAX)));
    f.finish(d, &["id", "root_dir", "auth", "uid", "gid"], &[]);
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
    net.connect = f.take("connect").and_then(|n| decode_connect(d, n));
    f.finish(d, &["vpc", "connect"], &[]);
    net
}

fn decode_connect(d: &mut Decoder, n: &Node) -> Option<At<Connect>> {
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
    f.finish(d, &["alias"], &[]);
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
        .filter_map(|(i, item)| string_or_export(d, item, &index(&list_path, i)))
        .collect()
}
