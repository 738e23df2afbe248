//! The load balancer the manifest asks for: a target group per routing
//! rule and its listener rules on the environment's listeners (or an
//! imported load balancer's), as Copilot's `alb.yml`, `http-listener.yml`,
//! `https-listener.yml` and `imported-alb-resources.yml` set them up.

use super::DEFAULT_DEREGISTRATION_DELAY_S;
use super::{DesiredLb, DesiredRule, DesiredTargetGroup, ListenerUse, UseAction};
use crate::manifest::{HttpRule, Service, ServiceType};
use crate::model::Environment;
use crate::state::lb::{AliasRecord, Conditions, HealthCheck, ImportedAlb};

/// `path` with a leading `/` (Copilot's `convertPath`); empty is `/`.
fn convert_path(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

/// The path patterns of a rule: `/*` for `/`, else the path and what is under it.
fn path_patterns(path: &str) -> Vec<String> {
    if path == "/" {
        vec!["/*".into()]
    } else {
        vec![path.to_string(), format!("{path}/*")]
    }
}

/// Where a service's rules go: the environment's load balancer (the public
/// one, or for a Backend Service the internal one), or an imported one.
#[derive(Clone, Copy)]
enum Site<'a> {
    Environment {
        e: &'a Environment,
        backend: bool,
        http: &'a str,
        https: Option<&'a str>,
    },
    Imported {
        http: Option<&'a str>,
        https: Option<&'a str>,
        alb: &'a ImportedAlb,
    },
}

impl Site<'_> {
    /// The load balancer's DNS name and canonical hosted zone, for alias
    /// records: Copilot makes them with HTTPS, or on an imported load balancer.
    fn alias_target(&self) -> Option<(String, String)> {
        match self {
            Site::Imported { alb, .. } => Some((alb.dns_name.clone(), alb.hosted_zone_id.clone())),
            Site::Environment {
                e,
                backend,
                https: Some(_),
                ..
            } => {
                let (dns, zone) = if *backend {
                    (&e.internal_lb_dns, &e.internal_lb_zone)
                } else {
                    (&e.public_lb_dns, &e.public_lb_zone)
                };
                Some((dns.clone()?, zone.clone()?))
            }
            Site::Environment { .. } => None,
        }
    }
}

/// The load balancer the manifest asks for: on `http.alb`'s listeners when it
/// imports one, else on the environment's. `None` when the service has no
/// `http`, or there is no listener for it (then the load balancer is managed
/// outside sidecarctl).
pub fn desired_lb(
    svc: &Service,
    app: &str,
    env: &str,
    environment: Option<&Environment>,
    imported: Option<&ImportedAlb>,
) -> Option<DesiredLb> {
    let rules = svc.http_rules();
    if rules.is_empty() {
        return None;
    }
    let (site, vpc, listeners) = match imported {
        Some(alb) => {
            let site = Site::Imported {
                http: alb.http_listener.as_deref(),
                https: alb.https_listener.as_deref(),
                alb,
            };
            let listeners = alb.listeners();
            if listeners.is_empty() {
                return None;
            }
            (site, alb.vpc.clone(), listeners)
        }
        None => {
            let e = environment?;
            let backend = svc.kind.value == ServiceType::BackendService;
            let (http, https) = if backend {
                (&e.internal_http_listener, &e.internal_https_listener)
            } else {
                (&e.http_listener, &e.https_listener)
            };
            let http = http.as_deref()?;
            let site = Site::Environment {
                e,
                backend,
                http,
                https: https.as_deref(),
            };
            (site, e.vpc.clone()?, e.listeners(backend))
        }
    };
    let out_rules = rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            desired_rule(
                svc,
                rule,
                svc.rule_target_group_name(app, env, i, rule),
                site,
            )
        })
        .collect();
    let grace_period_s = crate::plan::target::grace_period(svc);
    // An alias with a hosted zone (its own, or the rule's) gets an A record
    // aliasing it to the load balancer.
    let mut records: Vec<AliasRecord> = match site.alias_target() {
        Some((target_dns, target_zone)) => rules
            .iter()
            .flat_map(|rule| {
                rule.alias.iter().filter_map(|a| {
                    let zone = a.hosted_zone.as_ref().or(rule.hosted_zone.as_ref())?;
                    Some(AliasRecord {
                        zone: zone.value.clone(),
                        name: a.name.value.trim_end_matches('.').to_string(),
                        target_dns: target_dns.clone(),
                        target_zone: target_zone.clone(),
                    })
                })
            })
            .collect(),
        None => Vec::new(),
    };
    records.sort();
    records.dedup();
    Some(DesiredLb {
        vpc,
        rules: out_rules,
        grace_period_s,
        listeners,
        records,
    })
}

fn desired_rule(svc: &Service, rule: &HttpRule, tg_name: String, site: Site<'_>) -> DesiredRule {
    let target = svc.rule_target(rule);
    let path = convert_path(rule.path.as_ref().map_or("", |p| p.value.as_str()));
    let hc = &rule.healthcheck;
    let health = HealthCheck {
        path: convert_path(hc.path.as_ref().map_or("", |p| p.value.as_str())),
        port: hc
            .port
            .as_ref()
            .map_or("traffic-port".to_string(), |p| p.value.to_string()),
        success_codes: hc.success_codes.as_ref().map(|c| c.value.clone()),
        healthy_threshold: hc.healthy_threshold.as_ref().map(|v| v.value as i32),
        unhealthy_threshold: hc.unhealthy_threshold.as_ref().map(|v| v.value as i32),
        interval_s: hc.interval.as_ref().map(|v| v.value as i32),
        timeout_s: hc.timeout.as_ref().map(|v| v.value as i32),
    };
    let mut source_ips: Vec<String> = rule
        .allowed_source_ips
        .iter()
        .map(|s| s.value.clone())
        .collect();
    source_ips.sort();
    let aliases: Vec<String> = rule.alias.iter().map(|a| a.name.value.clone()).collect();
    let mut hosts: Vec<String> = match site {
        // An imported load balancer: the aliases, if any (Copilot's
        // `imported-alb-resources.yml`).
        Site::Imported { .. } => aliases,
        Site::Environment {
            https: Some(_), e, ..
        } => {
            if aliases.is_empty() {
                e.subdomain
                    .iter()
                    .map(|d| format!("{}.{d}", svc.name.value))
                    .collect()
            } else {
                aliases
            }
        }
        Site::Environment {
            e, backend: true, ..
        } => e
            .internal_lb_dns
            .iter()
            .cloned()
            .chain(
                e.internal_zone_name
                    .iter()
                    .map(|z| format!("{}.{z}", svc.name.value)),
            )
            .collect(),
        Site::Environment { .. } => Vec::new(),
    };
    hosts.sort();
    let mut paths = path_patterns(&path);
    paths.sort();
    let conditions = Conditions {
        hosts,
        paths,
        source_ips,
    };
    let use_on = |listener: &str, action: UseAction| ListenerUse {
        listener: listener.to_string(),
        conditions: conditions.clone(),
        action,
    };
    let redirect = if rule.redirect_to_https.as_ref().is_none_or(|r| r.value) {
        UseAction::RedirectToHttps
    } else {
        UseAction::Forward
    };
    let listeners = match site {
        Site::Environment {
            http, https: None, ..
        } => vec![use_on(http, UseAction::Forward)],
        Site::Environment {
            http,
            https: Some(https),
            ..
        } => vec![use_on(http, redirect), use_on(https, UseAction::Forward)],
        // An imported load balancer's HTTP listener redirects whenever it has
        // an HTTPS one, as Copilot's template has it.
        Site::Imported { http, https, .. } => http
            .map(|h| {
                use_on(
                    h,
                    if https.is_some() {
                        UseAction::RedirectToHttps
                    } else {
                        UseAction::Forward
                    },
                )
            })
            .into_iter()
            .chain(https.map(|h| use_on(h, UseAction::Forward)))
            .collect(),
    };
    let port = i32::from(target.port);
    let (protocol, protocol_version) = svc.rule_protocol(rule);
    DesiredRule {
        path,
        container: target.container,
        port,
        target_group: DesiredTargetGroup {
            name: tg_name,
            port,
            protocol,
            protocol_version,
            health,
            deregistration_delay_s: rule
                .deregistration_delay
                .as_ref()
                .map_or(DEFAULT_DEREGISTRATION_DELAY_S, |d| d.value as i32),
            stickiness: rule.stickiness.as_ref().is_some_and(|s| s.value),
        },
        listeners,
    }
}
