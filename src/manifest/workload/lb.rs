//! The load balancers: `http` (routing rules, their target groups' health
//! checks, aliases) and a Load Balanced Web Service's `nlb`.

use crate::manifest::decode::{At, Decoder, Fields, index, join};
use crate::manifest::types::*;
use crate::yaml::{Node, Pos, Value};

pub(super) fn decode_http(d: &mut Decoder, n: &Node) -> Option<Http> {
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
                rf.finish(d, &[]);
                Some(rule)
            })
            .collect(),
        None => Vec::new(),
    };
    let alb = f.take("alb").and_then(|n| d.string(n, "http.alb"));
    let main = decode_rule(d, &mut f, n.pos, "http");
    f.finish(d, &[]);
    Some(Http {
        pos: n.pos,
        enabled: true,
        main,
        additional_rules,
        alb,
    })
}

pub(super) fn decode_rule(d: &mut Decoder, f: &mut Fields, pos: Pos, prefix: &str) -> HttpRule {
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

pub(super) fn decode_nlb(d: &mut Decoder, n: &Node) -> Option<Nlb> {
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
                lf.finish(d, &[]);
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
    f.finish(d, &[]);
    Some(Nlb {
        pos: n.pos,
        listeners: std::iter::once(main?).chain(additional).collect(),
        alias,
    })
}

/// A listener's fields; `None` (reported) without a valid `port`.
pub(super) fn decode_nlb_listener(
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
pub(super) fn decode_nlb_port(
    d: &mut Decoder,
    n: &Node,
    path: &str,
) -> Option<(At<u16>, NlbProtocol)> {
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
pub(super) fn decode_nlb_healthcheck(d: &mut Decoder, n: &Node, path: &str) -> NlbHealthCheck {
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
pub(super) fn decode_alias(d: &mut Decoder, n: &Node, path: &str) -> Vec<Alias> {
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
                    f.finish(d, &[]);
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
pub(super) const LB_HEALTH_KEYS: [&str; 8] = [
    "path",
    "port",
    "success_codes",
    "healthy_threshold",
    "unhealthy_threshold",
    "interval",
    "timeout",
    "grace_period",
];

pub(super) fn decode_lb_healthcheck(d: &mut Decoder, n: &Node, path: &str) -> LbHealthCheck {
    decode_target_health(d, n, path, &LB_HEALTH_KEYS)
}

/// A target group's health check, of the fields in `keys` (any other is an
/// unknown key).
pub(super) fn decode_target_health(
    d: &mut Decoder,
    n: &Node,
    path: &str,
    keys: &[&str],
) -> LbHealthCheck {
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
    f.finish(d, &[]);
    hc
}
