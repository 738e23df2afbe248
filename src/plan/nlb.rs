//! The network load balancer as Copilot's `nlb.yml` sets it up for a Load
//! Balanced Web Service, pure: a load balancer of the service's own in the
//! environment's public subnets, a security group open on its listener ports,
//! the environment's security group open to it, a listener and a target group
//! per `nlb` listener; and what must change to get there from what is.
//!
//! A service Copilot deployed keeps its load balancer (found through its
//! target groups): listeners and target groups are updated in place.

use std::collections::BTreeMap;

use super::target::{TgRef, grace_period};
use crate::diag::Diagnostic;
use crate::manifest::{NlbProtocol, Service};
use crate::model::Environment;
pub use crate::model::{DesiredNlbTargetGroup, NlbHealth};
use crate::names::sidecarctl;
use crate::state::lb::{
    AliasRecord, Ingress, IngressSource, LoadBalancer, NetworkLb, NlbListenerState, NlbState,
    SecurityGroup, TargetGroup,
};

/// The security policy of a TLS listener, as Copilot's template sets it by default.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// One listener, as wanted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredNlbListener {
    pub port: i32,
    /// `TCP`, `UDP` or `TLS`.
    pub protocol: String,
    pub ssl_policy: Option<String>,
    /// Where ECS registers the tasks: the target container and port.
    pub container: String,
    pub target_port: i32,
    pub target_group: DesiredNlbTargetGroup,
}

impl DesiredNlbListener {
    /// The inbound rule its load balancer's security group needs (Copilot:
    /// TCP for a TLS listener).
    pub fn ingress(&self) -> Ingress {
        let protocol = if self.protocol == "UDP" { "udp" } else { "tcp" };
        Ingress {
            protocol: protocol.into(),
            ports: Some((self.port, self.port)),
            source: IngressSource::Cidr("0.0.0.0/0".into()),
            description: Some(format!(
                "Allow {} traffic from anyone on listener port {}",
                protocol.to_ascii_uppercase(),
                self.port
            )),
        }
    }
}

/// The service's network load balancer, as wanted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredNlb {
    /// The name of the load balancer sidecarctl creates when there is none.
    pub name: String,
    /// The name of its security group.
    pub security_group_name: String,
    /// The environment's VPC, public subnets and security group (Copilot's
    /// environment stack): where a new load balancer goes.
    pub vpc: Option<String>,
    pub subnets: Vec<String>,
    pub env_security_group: Option<String>,
    pub listeners: Vec<DesiredNlbListener>,
    pub grace_period_s: i32,
    /// The host names that alias the load balancer, in the environment's
    /// hosted zone: `nlb.alias` (those under the environment's subdomain), or
    /// `{svc}-nlb.{subdomain}` without aliases, as Copilot's `nlb.yml` makes
    /// them in an environment with a domain.
    pub records: Option<(String, Vec<String>)>,
    /// Aliases outside the environment's subdomain: Copilot records them
    /// through the application's DNS delegation, sidecarctl does not.
    pub unrecorded: Vec<String>,
}

/// The network load balancer the manifest asks for; `None` without `nlb`.
pub fn desired_nlb(
    svc: &Service,
    app: &str,
    env: &str,
    environment: Option<&Environment>,
) -> Option<DesiredNlb> {
    let nlb = svc.nlb.as_ref()?;
    let name = svc.name.value.as_str();
    let listeners = nlb
        .listeners
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let target = svc.nlb_target(l);
            let hc = &l.healthcheck;
            let tls = l.protocol == NlbProtocol::Tls;
            DesiredNlbListener {
                port: i32::from(l.port.value),
                protocol: l.protocol.as_str().into(),
                ssl_policy: tls.then(|| {
                    l.ssl_policy
                        .as_ref()
                        .map_or(DEFAULT_SSL_POLICY.to_string(), |p| p.value.clone())
                }),
                container: target.container,
                target_port: i32::from(target.port),
                target_group: DesiredNlbTargetGroup {
                    name: sidecarctl::nlb_target_group_name(
                        app,
                        env,
                        name,
                        i,
                        l.protocol.target_protocol(),
                    ),
                    port: i32::from(target.port),
                    protocol: l.protocol.target_protocol().into(),
                    health: NlbHealth {
                        port: hc
                            .port
                            .as_ref()
                            .map_or("traffic-port".to_string(), |p| p.value.to_string()),
                        healthy_threshold: hc.healthy_threshold.as_ref().map(|v| v.value as i32),
                        unhealthy_threshold: hc
                            .unhealthy_threshold
                            .as_ref()
                            .map(|v| v.value as i32),
                        interval_s: hc.interval.as_ref().map(|v| v.value as i32),
                        timeout_s: hc.timeout.as_ref().map(|v| v.value as i32),
                    },
                    deregistration_delay_s: l
                        .deregistration_delay
                        .as_ref()
                        .map_or(super::target::DEFAULT_DEREGISTRATION_DELAY_S, |d| {
                            d.value as i32
                        }),
                    stickiness: (!tls).then(|| l.stickiness.as_ref().is_some_and(|s| s.value)),
                },
            }
        })
        .collect();
    let (records, unrecorded) = crate::model::nlb_alias_records(svc, environment);
    Some(DesiredNlb {
        records,
        unrecorded,
        name: sidecarctl::nlb_name(app, env, name),
        security_group_name: sidecarctl::nlb_security_group_name(app, env, name),
        vpc: environment.and_then(|e| e.vpc.clone()),
        subnets: environment
            .map(|e| e.public_subnets.clone())
            .unwrap_or_default(),
        env_security_group: environment.and_then(|e| e.security_group.clone()),
        listeners,
        grace_period_s: grace_period(svc),
    })
}

/// A load balancer, security group or listener: one that exists, or the one
/// this deploy creates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ref {
    Existing(String),
    New,
}

/// Where an inbound rule lets traffic come from: a CIDR block, or the load
/// balancer's security group (perhaps created by this deploy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Rule(Ingress),
    /// Every protocol and port from the load balancer's group.
    FromLoadBalancer(Ref),
}

/// A change to the network load balancer.
#[derive(Clone, Debug, PartialEq)]
pub enum NlbStep {
    CreateSecurityGroup,
    /// Inbound rules of a group: the load balancer's (its listener ports)
    /// or the environment's (everything from the load balancer).
    AuthorizeIngress {
        group: Ref,
        rules: Vec<Source>,
    },
    CreateLoadBalancer {
        security_group: Option<Ref>,
    },
    CreateTargetGroup {
        listener: usize,
    },
    /// The health check of an existing target group.
    ModifyTargetGroup {
        listener: usize,
        arn: String,
    },
    /// Deregistration delay and stickiness.
    SetTargetGroupAttributes {
        listener: usize,
        target_group: TgRef,
    },
    CreateListener {
        listener: usize,
        target_group: TgRef,
        certificates: Vec<String>,
    },
    /// Port, protocol, security policy or target group of a listener.
    ModifyListener {
        listener: usize,
        arn: String,
        target_group: TgRef,
        certificates: Vec<String>,
    },
    /// A listener the manifest no longer has, once the service has moved off
    /// its target group.
    DeleteListener {
        arn: String,
        port: i32,
    },
    /// The host names' A records, aliasing the load balancer, in one hosted zone.
    UpsertRecords {
        zone: String,
        names: Vec<String>,
    },
}

impl NlbStep {
    pub fn operation(&self) -> &'static str {
        match self {
            NlbStep::CreateSecurityGroup => "ec2:CreateSecurityGroup",
            NlbStep::AuthorizeIngress { .. } => "ec2:AuthorizeSecurityGroupIngress",
            NlbStep::CreateLoadBalancer { .. } => "elasticloadbalancing:CreateLoadBalancer",
            NlbStep::CreateTargetGroup { .. } => "elasticloadbalancing:CreateTargetGroup",
            NlbStep::ModifyTargetGroup { .. } => "elasticloadbalancing:ModifyTargetGroup",
            NlbStep::SetTargetGroupAttributes { .. } => {
                "elasticloadbalancing:ModifyTargetGroupAttributes"
            }
            NlbStep::CreateListener { .. } => "elasticloadbalancing:CreateListener",
            NlbStep::ModifyListener { .. } => "elasticloadbalancing:ModifyListener",
            NlbStep::DeleteListener { .. } => "elasticloadbalancing:DeleteListener",
            NlbStep::UpsertRecords { .. } => "route53:ChangeResourceRecordSets",
        }
    }

    pub fn describe(&self, d: &super::Desired) -> String {
        let nlb = d.nlb.as_ref();
        let listener = |i: &usize| nlb.and_then(|n| n.listeners.get(*i));
        let port = |i: &usize| {
            listener(i).map_or_else(
                || format!("listener {i}"),
                |l| format!("{}/{}", l.port, l.protocol),
            )
        };
        let group = |g: &Ref| match g {
            Ref::Existing(id) => id.clone(),
            Ref::New => nlb.map_or_else(String::new, |n| n.security_group_name.clone()),
        };
        match self {
            NlbStep::CreateSecurityGroup => format!(
                "create security group {} for the network load balancer",
                group(&Ref::New)
            ),
            NlbStep::AuthorizeIngress { group: g, rules } => format!(
                "let into security group {}: {}",
                group(g),
                rules
                    .iter()
                    .map(|r| match r {
                        Source::Rule(i) => match i.ports {
                            Some((from, to)) if from == to => {
                                format!("{} {from} from anyone", i.protocol)
                            }
                            _ => format!("{} from anyone", i.protocol),
                        },
                        Source::FromLoadBalancer(_) => {
                            "everything from the network load balancer".into()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            NlbStep::CreateLoadBalancer { .. } => format!(
                "create network load balancer {} in subnets {}",
                nlb.map_or("", |n| n.name.as_str()),
                nlb.map(|n| n.subnets.join(", ")).unwrap_or_default()
            ),
            NlbStep::CreateTargetGroup { listener: i } => match listener(i) {
                Some(l) => format!(
                    "create target group {} ({} {}, for listener {})",
                    l.target_group.name,
                    l.target_group.protocol,
                    l.target_group.port,
                    port(i)
                ),
                None => format!("create target group of listener {i}"),
            },
            NlbStep::ModifyTargetGroup { listener: i, arn } => format!(
                "update the health check of target group {} (listener {})",
                TgRef::Existing(arn.clone()).describe(d),
                port(i)
            ),
            NlbStep::SetTargetGroupAttributes {
                listener: i,
                target_group,
            } => {
                let tg = listener(i).map(|l| &l.target_group);
                format!(
                    "set target group {}'s deregistration delay to {}s{}",
                    target_group.describe(d),
                    tg.map_or(0, |t| t.deregistration_delay_s),
                    match tg.and_then(|t| t.stickiness) {
                        Some(true) => ", stickiness on",
                        Some(false) => ", stickiness off",
                        None => "",
                    }
                )
            }
            NlbStep::CreateListener {
                listener: i,
                target_group,
                ..
            } => format!(
                "add listener {} forwarding to {}",
                port(i),
                target_group.describe(d)
            ),
            NlbStep::ModifyListener {
                listener: i,
                arn,
                target_group,
                ..
            } => format!(
                "update listener {} to {} forwarding to {}",
                arn.rsplit('/').next().unwrap_or_default(),
                port(i),
                target_group.describe(d)
            ),
            NlbStep::DeleteListener { port, .. } => {
                format!("delete the listener on port {port} (it left the manifest)")
            }
            NlbStep::UpsertRecords { zone, names } => format!(
                "point {} at the network load balancer (hosted zone {zone})",
                names.join(", ")
            ),
        }
    }
}

/// What the network load balancer needs, in the plan's groups.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NlbPlan {
    /// The security group; existing target groups' settings; new target groups.
    pub first: Vec<NlbStep>,
    /// Inbound rules; the load balancer; new target groups' attributes.
    pub second: Vec<NlbStep>,
    /// Listeners (they need the load balancer and their target groups), and
    /// the host names' records (they need the load balancer).
    pub third: Vec<NlbStep>,
    /// Once the service no longer uses them.
    pub cleanup: Vec<NlbStep>,
    /// The service's entries for the network load balancer's target groups,
    /// in listener order.
    pub entries: Vec<(TgRef, String, i32)>,
    /// Target groups of the load balancer's (whatever the manifest says).
    pub network_target_groups: Vec<String>,
}

/// Why the network load balancer cannot be set up as asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A new load balancer needs the environment's VPC and public subnets.
    NoEnvironment,
    /// A new TLS listener needs a certificate.
    NoCertificate { port: i32 },
}

impl Refusal {
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            Refusal::NoEnvironment => Diagnostic::error(
                "no-environment",
                "a new network load balancer goes in the environment's VPC and public subnets, and no Copilot environment stack gives them",
            )
            .help("deploy into an environment Copilot created (its stack {app}-{env} has VpcId and PublicSubnets outputs)"),
            Refusal::NoCertificate { port } => Diagnostic::error(
                "no-certificate",
                format!(
                    "the new TLS listener on port {port} needs a certificate, and the load balancer has no TLS listener to take it from"
                ),
            )
            .help("Copilot requested its certificate through the application's DNS delegation, which sidecarctl does not do: add the listener to the load balancer with its certificate by hand, then deploy"),
        }
    }
}

fn same_health(want: &NlbHealth, have: &TargetGroup) -> bool {
    fn same(w: Option<i32>, h: Option<i32>) -> bool {
        w.is_none() || w == h
    }
    want.port == have.health.port
        && same(want.healthy_threshold, have.health.healthy_threshold)
        && same(want.unhealthy_threshold, have.health.unhealthy_threshold)
        && same(want.interval_s, have.health.interval_s)
        && same(want.timeout_s, have.health.timeout_s)
}

/// The security group rules a load balancer needs, missing from `group`.
fn missing(group: Option<&SecurityGroup>, want: &[Ingress]) -> Vec<Source> {
    want.iter()
        .filter(|w| !group.is_some_and(|g| g.ingress.iter().any(|i| i.covers(w))))
        .cloned()
        .map(Source::Rule)
        .collect()
}

/// From what is to what the manifest asks. `service_lbs`: the service's
/// load balancer entries (empty for a new service).
pub fn plan_nlb(
    want: &DesiredNlb,
    cur: &NlbState,
    service_lbs: &[LoadBalancer],
) -> Result<NlbPlan, Vec<Refusal>> {
    let mut plan = NlbPlan::default();
    let mut refused = Vec::new();
    let by_arn: BTreeMap<&str, &TargetGroup> = cur
        .target_groups
        .iter()
        .map(|t| (t.arn.as_str(), t))
        .collect();
    plan.network_target_groups = cur
        .target_groups
        .iter()
        .filter(|t| t.is_network())
        .map(|t| t.arn.clone())
        .collect();
    let lb: Option<&NetworkLb> = cur.load_balancer.as_ref();
    plan_load_balancer(want, cur, lb, &mut plan)?;

    // Listeners and their target groups.
    let listeners: &[NlbListenerState] = lb.map_or(&[], |l| l.listeners.as_slice());
    let certificates: Vec<String> = listeners
        .iter()
        .find(|l| l.protocol == "TLS" && !l.certificates.is_empty())
        .map(|l| l.certificates.clone())
        .unwrap_or_default();
    let network_entries: Vec<&LoadBalancer> = service_lbs
        .iter()
        .filter(|e| {
            by_arn
                .get(e.target_group.as_str())
                .is_some_and(|t| t.is_network())
        })
        .collect();
    let mut matched: Vec<&str> = Vec::new();
    for (i, w) in want.listeners.iter().enumerate() {
        // The listener on the same port (a listener's protocol changes in
        // place); else the one whose target group is the service's i-th
        // network entry, when that target group speaks this listener's
        // protocol (Copilot's `NLBListener{i}` forwards to
        // `NetworkLoadBalancerTargetGroup{i}`, the service's i-th network
        // load balancer entry). Else the listener is new, and the one it
        // replaces goes once the service has moved off it.
        let free = |l: &&NlbListenerState| !matched.contains(&l.arn.as_str());
        let speaks = |arn: &str| {
            by_arn
                .get(arn)
                .is_some_and(|t| t.protocol == w.target_group.protocol)
        };
        let found = listeners
            .iter()
            .filter(free)
            .find(|l| l.port == w.port)
            .or_else(|| {
                let tg = network_entries.get(i)?;
                listeners.iter().filter(free).find(|l| {
                    speaks(&tg.target_group)
                        && l.target_group.as_deref() == Some(tg.target_group.as_str())
                })
            });
        if let Some(l) = found {
            matched.push(&l.arn);
        }
        let tg = listener_target_group(i, w, found, &by_arn, &mut plan);
        if let Err(r) = plan_listener(i, w, found, &tg, &certificates, &mut plan) {
            refused.push(r);
            continue;
        }
        plan.entries.push((tg, w.container.clone(), w.target_port));
    }
    if !refused.is_empty() {
        return Err(refused);
    }
    plan.third.extend(stale_records(want, cur, lb));
    // Listeners the manifest no longer has.
    for l in listeners {
        if !matched.contains(&l.arn.as_str()) {
            plan.cleanup.push(NlbStep::DeleteListener {
                arn: l.arn.clone(),
                port: l.port,
            });
        }
    }
    Ok(plan)
}

/// The load balancer and its security group: the group's rules for the
/// listeners' ports, and the environment's group letting its traffic in.
fn plan_load_balancer(
    want: &DesiredNlb,
    cur: &NlbState,
    lb: Option<&NetworkLb>,
    plan: &mut NlbPlan,
) -> Result<(), Vec<Refusal>> {
    let group_named = |id: &str| cur.security_groups.iter().find(|g| g.id == id);
    let lb_group: Option<Ref> = match lb {
        Some(l) => l.security_groups.first().cloned().map(Ref::Existing),
        None => {
            if want.vpc.is_none() || want.subnets.is_empty() {
                return Err(vec![Refusal::NoEnvironment]);
            }
            let found = cur
                .security_groups
                .iter()
                .find(|g| g.name == want.security_group_name);
            Some(match found {
                Some(g) => Ref::Existing(g.id.clone()),
                None => {
                    plan.first.push(NlbStep::CreateSecurityGroup);
                    Ref::New
                }
            })
        }
    };
    if let Some(g) = &lb_group {
        let have = match g {
            Ref::Existing(id) => group_named(id),
            Ref::New => None,
        };
        let want_rules: Vec<Ingress> = want.listeners.iter().map(|l| l.ingress()).collect();
        let rules = missing(have, &want_rules);
        if !rules.is_empty() {
            plan.second.push(NlbStep::AuthorizeIngress {
                group: g.clone(),
                rules,
            });
        }
        // The environment's group lets the load balancer's traffic in.
        if let Some(env_group) = &want.env_security_group {
            let covered = match g {
                Ref::Existing(id) => group_named(env_group).is_some_and(|eg| {
                    eg.ingress
                        .iter()
                        .any(|i| i.protocol == "-1" && i.source == IngressSource::Group(id.clone()))
                }),
                Ref::New => false,
            };
            if !covered {
                plan.second.push(NlbStep::AuthorizeIngress {
                    group: Ref::Existing(env_group.clone()),
                    rules: vec![Source::FromLoadBalancer(g.clone())],
                });
            }
        }
    }
    if lb.is_none() {
        plan.second.push(NlbStep::CreateLoadBalancer {
            security_group: lb_group,
        });
    }
    Ok(())
}

/// Listener `i`'s target group: the one it forwards to when it speaks the
/// protocol wanted (its settings tuned), else one of its name, else a new
/// one (created before the listener and the service move to it; the old one
/// is left in place).
fn listener_target_group(
    i: usize,
    w: &DesiredNlbListener,
    found: Option<&NlbListenerState>,
    by_arn: &BTreeMap<&str, &TargetGroup>,
    plan: &mut NlbPlan,
) -> TgRef {
    let speaks = |arn: &str| {
        by_arn
            .get(arn)
            .is_some_and(|t| t.protocol == w.target_group.protocol)
    };
    let existing_tg = found
        .and_then(|l| l.target_group.as_deref())
        .filter(|arn| speaks(arn))
        .and_then(|arn| by_arn.get(arn))
        .or_else(|| by_arn.values().find(|t| t.name == w.target_group.name));
    match existing_tg {
        Some(have) => {
            let wtg = &w.target_group;
            if !same_health(&wtg.health, have) {
                plan.first.push(NlbStep::ModifyTargetGroup {
                    listener: i,
                    arn: have.arn.clone(),
                });
            }
            let sticky_differs = wtg
                .stickiness
                .is_some_and(|s| have.stickiness.unwrap_or(false) != s);
            if have.deregistration_delay_s != Some(wtg.deregistration_delay_s) || sticky_differs {
                plan.first.push(NlbStep::SetTargetGroupAttributes {
                    listener: i,
                    target_group: TgRef::Existing(have.arn.clone()),
                });
            }
            TgRef::Existing(have.arn.clone())
        }
        None => {
            plan.first.push(NlbStep::CreateTargetGroup { listener: i });
            plan.second.push(NlbStep::SetTargetGroupAttributes {
                listener: i,
                target_group: TgRef::NewNlb(i),
            });
            TgRef::NewNlb(i)
        }
    }
}

/// Listener `i`: modified in place, or created, forwarding to `tg`; a TLS
/// listener takes the certificate of the load balancer's TLS listener, and
/// without one it is refused.
fn plan_listener(
    i: usize,
    w: &DesiredNlbListener,
    found: Option<&NlbListenerState>,
    tg: &TgRef,
    certificates: &[String],
    plan: &mut NlbPlan,
) -> Result<(), Refusal> {
    let forwards = |l: &NlbListenerState| match tg {
        TgRef::Existing(arn) => l.target_group.as_deref() == Some(arn.as_str()),
        _ => false,
    };
    let becomes_tls = |from: Option<&str>| w.protocol == "TLS" && from != Some("TLS");
    if becomes_tls(found.map(|l| l.protocol.as_str())) && certificates.is_empty() {
        return Err(Refusal::NoCertificate { port: w.port });
    }
    let certs = |from: Option<&str>| {
        if becomes_tls(from) {
            certificates.to_vec()
        } else {
            Vec::new()
        }
    };
    match found {
        Some(l) => {
            let same = l.port == w.port
                && l.protocol == w.protocol
                && (w.ssl_policy.is_none() || l.ssl_policy == w.ssl_policy)
                && forwards(l);
            if !same {
                plan.third.push(NlbStep::ModifyListener {
                    listener: i,
                    arn: l.arn.clone(),
                    target_group: tg.clone(),
                    certificates: certs(Some(&l.protocol)),
                });
            }
        }
        None => plan.third.push(NlbStep::CreateListener {
            listener: i,
            target_group: tg.clone(),
            certificates: certs(None),
        }),
    }
    Ok(())
}

/// The host names' records: missing, or aliasing something else.
fn stale_records(want: &DesiredNlb, cur: &NlbState, lb: Option<&NetworkLb>) -> Option<NlbStep> {
    let (zone, names) = want.records.as_ref()?;
    let stale: Vec<String> = names
        .iter()
        .filter(|n| {
            let Some(l) = lb else { return true };
            let target = AliasRecord {
                zone: zone.clone(),
                name: (*n).clone(),
                target_dns: l.dns_name.clone(),
                target_zone: l.hosted_zone_id.clone(),
            };
            !cur.records.iter().any(|r| r.same_as(&target))
        })
        .cloned()
        .collect();
    (!stale.is_empty()).then(|| NlbStep::UpsertRecords {
        zone: zone.clone(),
        names: stale,
    })
}

#[cfg(test)]
mod tests;
