//! The desired state, pure: the task definition, the roles' policies, the log
//! group and how the service runs, from the manifest and what was resolved.

use crate::diag::{Diagnostic, Diagnostics};
use crate::manifest::env_files::EnvFile;
use crate::manifest::{EnvManifest, Placement, Service, ServiceType};
use crate::model::Environment;
use crate::model::Network;
use crate::model::Resolved;
use crate::names::{self, sidecarctl};
use crate::render::iam::ecs_tasks_trust_policy;
use crate::render::{TaskDefinition, render_policies, render_task_definition};
use crate::state::lb::LoadBalancer;
use crate::state::{CapacityProvider, ConnectService, NewService, ScalingPolicy, ServiceConnect};

/// What the roles should look like, when sidecarctl manages them.
#[derive(Clone, Debug)]
pub struct DesiredIam {
    pub execution_role: String,
    pub task_role: String,
    pub trust_policy: String,
    pub execution_policy: String,
    pub task_policy: Option<String>,
    /// Managed policies to attach to the task role as they are (the
    /// add-ons stack Copilot deployed outputs them).
    pub attach: Vec<String>,
    pub tags: Vec<(String, String)>,
}

/// The env files' bucket and the objects to write there.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredEnvFiles {
    pub bucket: String,
    /// sidecarctl's bucket, not there yet.
    pub create_bucket: bool,
    /// The application's tags, for a new bucket.
    pub tags: Vec<(String, String)>,
    /// The files whose objects are not there: key and file.
    pub uploads: Vec<(String, EnvFile)>,
}

/// Everything the deploy wants in place.
#[derive(Clone, Debug)]
pub struct Desired {
    /// The task definition sidecarctl renders from the manifest.
    pub td: TaskDefinition,
    /// What is registered: `td`'s document with `taskdef_overrides` applied.
    pub td_doc: serde_json::Value,
    pub log_group: String,
    pub retention_days: i32,
    pub desired_count: i32,
    pub iam: Option<DesiredIam>,
    pub cluster: String,
    pub service: String,
    pub rollback: bool,
    /// ECS Exec (`exec`).
    pub exec: bool,
    /// Fargate Spot (`count.spot`, `count.range.spot_from`); empty: the
    /// Fargate launch type.
    pub capacity: Vec<CapacityProvider>,
    /// `count.range` with its target-tracking metrics.
    pub scaling: Option<DesiredScaling>,
    /// The load balancer's target groups and rules, when the environment
    /// stack gives its listeners.
    pub lb: Option<super::lb::DesiredLb>,
    /// The network load balancer (`nlb`).
    pub nlb: Option<super::nlb::DesiredNlb>,
    /// The service's Cloud Map service, when the environment has a namespace.
    pub discovery: Option<DesiredDiscovery>,
    /// Service Connect, when the manifest says (`network.connect`).
    pub connect: Option<ServiceConnect>,
    /// The region, for the Service Connect proxy's logs.
    pub region: String,
    /// The env files' objects, when the manifest has any.
    pub env_files: Option<DesiredEnvFiles>,
    /// The service's topics, queues and subscriptions, when it has any.
    pub messaging: Option<super::messaging::DesiredMessaging>,
    /// How ECS rolls out: healthy percentages and rollback alarms.
    pub rollout_settings: crate::state::RolloutSettings,
    /// Copilot's rollback alarms for `rollback_alarms` thresholds.
    pub alarms: Vec<crate::state::alarm::Alarm>,
    /// How to create the service, when it does not exist (task definition filled in later).
    pub new_service: Option<NewService>,
    /// A Scheduled Job's schedule and scheduler role (a job has no service).
    pub job: Option<super::job::DesiredJob>,
    pub tags: Vec<(String, String)>,
}

/// What the command line says beyond the manifest.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub app: String,
    pub env: String,
    pub cluster: String,
    /// The ECS service's name.
    pub service: String,
    /// Let ECS's circuit breaker roll back a failed deployment.
    pub rollback: bool,
    /// Subnets for a new service (the environment manifest's otherwise).
    pub subnets: Vec<String>,
    /// Security groups for a new service (the manifest's otherwise).
    pub security_groups: Vec<String>,
    /// The target group of a new Load Balanced Web Service.
    pub target_group: Option<String>,
    /// The env files the manifest names, read.
    pub env_files: Vec<EnvFile>,
}

/// Log retention when the manifest does not set one, as Copilot does.
pub const DEFAULT_RETENTION_DAYS: i32 = 30;

/// The tags every resource sidecarctl creates carries (Copilot's keys).
pub fn tags(app: &str, env: &str, svc: &str) -> Vec<(String, String)> {
    let (k, v) = sidecarctl::MANAGED_BY;
    vec![
        ("copilot-application".into(), app.into()),
        ("copilot-environment".into(), env.into()),
        ("copilot-service".into(), svc.into()),
        (k.into(), v.into()),
    ]
}

/// The desired state; a new service that cannot be placed is an error.
pub fn desired_state(
    svc: &Service,
    env_manifest: Option<&EnvManifest>,
    s: &Settings,
    r: &Resolved,
) -> Result<Desired, Diagnostics> {
    let facts = &r.facts;
    let td = render_task_definition(svc, facts);
    let (td_doc, refused) = crate::render::document::registration(&td, svc);
    if refused.has_errors() {
        return Err(refused);
    }
    let tags = tags(&s.app, &s.env, &svc.name);
    let iam = r.managed_roles.as_ref().map(|names| {
        let p = render_policies(svc, facts, &td);
        DesiredIam {
            execution_role: names.execution.clone(),
            task_role: names.task.clone(),
            trust_policy: ecs_tasks_trust_policy(),
            execution_policy: p.execution.to_json(),
            task_policy: p.task.map(|p| p.to_json()),
            attach: facts.addon_outputs.policies.clone(),
            tags: tags.clone(),
        }
    });
    let desired_count = match (&r.current.service, svc.count.as_ref()) {
        // Autoscaling owns the count: keep the current one, within the range's minimum.
        (Some(cur), Some(c)) if c.autoscaling => cur.desired.max(c.desired as i32),
        _ => svc.desired_count() as i32,
    };
    // A target group given on the command line: the load balancer is managed elsewhere.
    let lb = super::lb::desired_lb(
        svc,
        &s.app,
        &s.env,
        r.placement.environment.as_ref(),
        r.imported_alb.as_ref(),
    )
    .filter(|_| s.target_group.is_none());
    let nlb = super::nlb::desired_nlb(svc, &s.app, &s.env, r.placement.environment.as_ref());
    // The topics and queues wanted, worked out once: the alarms and the
    // autoscaling name queues of them.
    let messaging = messaging(svc, s, r);
    let alarms = super::alarms::wanted_alarms(
        svc,
        (&s.app, &s.env),
        (&s.cluster, &s.service),
        events_queue(messaging.as_ref()).as_deref(),
    );
    let job = match &svc.job {
        Some(_) => Some(desired_job(svc, env_manifest, s, r, &td)?),
        None => None,
    };
    let new_service = match &r.current.service {
        None if job.is_none() => Some(new_service(
            svc,
            env_manifest,
            r.placement.environment.as_ref(),
            s,
            &tags,
            lb.as_ref(),
            nlb.as_ref(),
        )?),
        _ => None,
    }
    .map(|mut n| {
        n.rollout_settings = super::alarms::rollout_settings(svc, &alarms);
        n.connect_log = Some((
            names::log_group(&s.app, &s.env, &svc.name),
            r.facts.region.clone(),
        ));
        // The add-ons stack's security groups, as Copilot adds them (unless
        // the command line names the groups).
        if s.security_groups.is_empty() {
            for g in &r.facts.addon_outputs.security_groups {
                if !n.security_groups.contains(g) {
                    n.security_groups.push(g.clone());
                }
            }
        }
        n
    });
    Ok(Desired {
        log_group: names::log_group(&s.app, &s.env, &svc.name),
        retention_days: svc
            .logging
            .as_ref()
            .and_then(|l| l.retention.as_ref())
            .map_or(DEFAULT_RETENTION_DAYS, |r| r.value as i32),
        td_doc,
        td,
        desired_count,
        iam,
        cluster: s.cluster.clone(),
        service: s.service.clone(),
        rollback: s.rollback,
        exec: exec_on(svc),
        capacity: capacity_providers(svc),
        scaling: scaling(svc, lb.as_ref(), &queues(svc, s, r, messaging.as_ref())),
        lb,
        nlb,
        discovery: discovery(svc, s, r.placement.environment.as_ref()).filter(|_| job.is_none()),
        connect: service_connect(svc, &s.app, &s.env),
        region: r.facts.region.clone(),
        env_files: env_files(s, r),
        messaging,
        rollout_settings: super::alarms::rollout_settings(svc, &alarms),
        alarms,
        new_service,
        job,
        tags,
    })
}

/// A Scheduled Job's schedule, in the network its tasks run in, and the
/// role Scheduler runs it with: allowed to run exactly the job's family in
/// exactly its cluster and to pass exactly its two roles.
fn desired_job(
    svc: &Service,
    env_manifest: Option<&EnvManifest>,
    s: &Settings,
    r: &Resolved,
    td: &TaskDefinition,
) -> Result<super::job::DesiredJob, Diagnostics> {
    use crate::model::job_schedule::{scheduler_policy, scheduler_trust};
    let job = svc.job.as_ref().expect("desired_job is called for jobs");
    let written = job.schedule.as_ref().map_or("", |s| s.value.as_str());
    let schedule = crate::model::schedule::parse(written).map_err(|why| {
        Diagnostics::from(vec![
            Diagnostic::error("bad-schedule", why).field("on.schedule"),
        ])
    })?;
    let (network, problems) = network(
        svc,
        env_manifest,
        r.placement.environment.as_ref(),
        s,
        "job",
    );
    if problems.has_errors() {
        return Err(problems);
    }
    let f = &r.facts;
    let cluster_arn = if s.cluster.starts_with("arn:") {
        s.cluster.clone()
    } else {
        format!(
            "arn:{}:ecs:{}:{}:cluster/{}",
            f.partition, f.region, f.account, s.cluster
        )
    };
    let role = sidecarctl::scheduler_role(&s.app, &s.env, &svc.name);
    let state = r.current.job.as_ref();
    let role_arn = state
        .and_then(|j| j.role.as_ref())
        .map(|r| r.arn.clone())
        .unwrap_or_else(|| format!("arn:{}:iam::{}:role/{role}", f.partition, f.account));
    Ok(super::job::DesiredJob {
        schedule_name: sidecarctl::schedule_name(&s.app, &s.env, &svc.name),
        schedule,
        retries: job.retries.as_ref().map_or(0, |r| r.value),
        timeout_s: job.timeout.as_ref().map(|t| u64::from(t.value)),
        role,
        role_arn,
        trust: scheduler_trust(&f.account).to_string(),
        policy: scheduler_policy(
            &f.partition,
            &f.region,
            &f.account,
            &td.family,
            &cluster_arn,
            [td.execution_role_arn.as_str(), td.task_role_arn.as_str()],
        )
        .to_string(),
        cluster_arn,
        network,
        copilot_rule: state.and_then(|j| j.copilot_rule.clone()),
        switch_from: state
            .and_then(|j| j.adopted_rule.clone())
            .filter(|r| r.enabled),
    })
}

/// The name of a Worker Service's events queue (for its rollback alarm).
fn events_queue(m: Option<&super::messaging::DesiredMessaging>) -> Option<String> {
    m?.wanted
        .queues
        .iter()
        .find(|q| q.id == "EventsQueue")
        .map(|q| q.found.as_ref().map_or(q.name.clone(), |f| f.name.clone()))
}

/// What `publish` and `subscribe` want, beside what there is.
fn messaging(
    svc: &Service,
    s: &Settings,
    r: &Resolved,
) -> Option<super::messaging::DesiredMessaging> {
    let now = r.messaging.as_ref()?;
    let place = crate::model::messaging::Place {
        app: &s.app,
        env: &s.env,
        partition: &r.facts.partition,
        region: &r.facts.region,
        account: &r.facts.account,
    };
    Some(super::messaging::DesiredMessaging {
        wanted: crate::model::messaging::wanted(svc, &place, now),
        now: now.clone(),
        tags: tags(&s.app, &s.env, &svc.name),
    })
}

/// The env files' objects not in their bucket yet (each named by its
/// content's hash: an object there is the file as it is).
fn env_files(s: &Settings, r: &Resolved) -> Option<DesiredEnvFiles> {
    let store = r.env_files.as_ref()?;
    let (k, v) = sidecarctl::MANAGED_BY;
    Some(DesiredEnvFiles {
        bucket: store.bucket.clone(),
        create_bucket: !store.bucket_exists,
        tags: vec![
            ("copilot-application".into(), s.app.clone()),
            (k.into(), v.into()),
        ],
        uploads: s
            .env_files
            .iter()
            .filter(|f| !store.present.contains(&f.key()))
            .map(|f| (f.key(), f.clone()))
            .collect(),
    })
}

/// The Cloud Map service Copilot's `servicediscovery.yml` creates for a Load
/// Balanced Web Service or Backend Service: named after the service in the
/// environment's namespace, so that `{svc}.{env}.{app}.local` (Copilot's
/// `COPILOT_SERVICE_DISCOVERY_ENDPOINT` under the service's name) resolves to
/// its tasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredDiscovery {
    pub namespace_id: String,
    pub name: String,
    /// The SRV records' port: the target port (Copilot's `TargetPort`). No
    /// port, no registration (Copilot's `ExposePort` condition).
    pub port: Option<i32>,
    /// Makes a retried create idempotent.
    pub request_id: String,
}

pub fn discovery(
    svc: &Service,
    s: &Settings,
    env: Option<&Environment>,
) -> Option<DesiredDiscovery> {
    if svc.kind.value == ServiceType::WorkerService {
        return None;
    }
    let namespace_id = env?.namespace_id.clone()?;
    let port = match svc.http_rules().first() {
        Some(rule) => Some(i32::from(svc.rule_target(rule).port)),
        None => svc.image.port.as_ref().map(|p| i32::from(p.value)),
    };
    Some(DesiredDiscovery {
        namespace_id,
        name: svc.name.value.clone(),
        port,
        request_id: format!("sidecarctl-{}-{}-{}", s.app, s.env, svc.name.value)
            .chars()
            .take(64)
            .collect(),
    })
}

/// Service Connect as Copilot's `service-base-properties.yml` sets it up:
/// the environment's namespace `{env}.{app}.local`, and, for a service with a
/// port, that port (named `target`) offered as `{svc}-sc` under the alias or
/// the service's name. `connect: false` turns it off; no `connect`, no opinion.
pub fn service_connect(svc: &Service, app: &str, env: &str) -> Option<ServiceConnect> {
    let c = &svc.network.connect.as_ref()?.value;
    if !c.enabled {
        return Some(ServiceConnect::default());
    }
    let name = &svc.name.value;
    Some(ServiceConnect {
        enabled: true,
        namespace: Some(format!("{env}.{app}.local")),
        services: svc
            .connect_target()
            .map(|t| ConnectService {
                port_name: crate::render::taskdef::CONNECT_PORT_NAME.into(),
                discovery_name: format!("{name}-sc"),
                dns_name: c.alias.clone().unwrap_or_else(|| name.clone()),
                port: i32::from(t.port),
            })
            .into_iter()
            .collect(),
    })
}

/// Autoscaling as Copilot's `autoscaling.yml` sets it up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredScaling {
    pub min: i32,
    pub max: i32,
    /// Sorted by name.
    pub policies: Vec<ScalingPolicy>,
    /// The names Copilot gives this service's CPU and memory policies: those
    /// of them not wanted any more are deleted (others are left alone).
    pub owned: Vec<String>,
    /// Policies named `{prefix}{queue}` are Copilot's queue policies of this
    /// service: those not wanted any more are deleted too.
    pub owned_prefix: String,
    /// Fields left out, and why.
    pub left_out: Vec<(String, String)>,
}

/// The capacity provider strategy, as Copilot's `convertCapacityProviders`
/// makes it: Fargate Spot at weight 1 for `count.spot` or
/// `count.range.spot_from`; with `spot_from` at or above the range's minimum,
/// also Fargate with a base of `spot_from - 1` and weight 0, so that the
/// first tasks run on Fargate. Sorted.
pub fn capacity_providers(svc: &Service) -> Vec<CapacityProvider> {
    let Some(c) = svc.count.as_ref().map(|c| &c.value) else {
        return Vec::new();
    };
    if c.spot.is_none() && c.spot_from.is_none() {
        return Vec::new();
    }
    let mut out = vec![CapacityProvider {
        provider: "FARGATE_SPOT".into(),
        weight: 1,
        base: 0,
    }];
    if let Some(from) = c.spot_from
        && from >= c.desired
    {
        out.push(CapacityProvider {
            provider: "FARGATE".into(),
            weight: 0,
            base: (from - 1).max(0) as i32,
        });
    }
    out.sort();
    out
}

fn exec_on(svc: &Service) -> bool {
    svc.exec.as_ref().is_some_and(|e| e.value)
}

/// Where a new service runs: subnets, security groups, load balancer. The
/// command line wins, then the manifests, then Copilot's environment stack
/// (whose security group Copilot gives every service).
pub fn new_service(
    svc: &Service,
    env_manifest: Option<&EnvManifest>,
    env_stack: Option<&Environment>,
    s: &Settings,
    tags: &[(String, String)],
    lb: Option<&super::lb::DesiredLb>,
    nlb: Option<&super::nlb::DesiredNlb>,
) -> Result<NewService, Diagnostics> {
    let name = &s.service;
    let (net, mut problems) = network(svc, env_manifest, env_stack, s, "new service");
    let http_on = svc.http.as_ref().is_none_or(|h| h.enabled);
    let mut load_balancers = Vec::new();
    if svc.kind.value == ServiceType::LoadBalancedWebService && http_on && lb.is_none() {
        let (container, port) = target(svc);
        match &s.target_group {
            Some(tg) => load_balancers.push(LoadBalancer {
                target_group: tg.clone(),
                container,
                port,
            }),
            None => {
                problems.push(
                    Diagnostic::error(
                        "no-target-group",
                        format!(
                            "a new Load Balanced Web Service needs the target group its load balancer sends to ({container}:{port})"
                        ),
                    )
                    .help("deploy into a Copilot environment whose stack has an HTTP listener, or pass --target-group-arn (the load balancer and its rules are then managed outside sidecarctl)"),
                );
            }
        }
    }
    if problems.has_errors() {
        return Err(problems);
    }
    Ok(NewService {
        cluster: s.cluster.clone(),
        name: name.clone(),
        task_definition: String::new(),
        desired: svc.desired_count() as i32,
        subnets: net.subnets,
        security_groups: net.security_groups,
        public_ip: net.public_ip,
        load_balancers,
        service_registries: Vec::new(),
        service_connect: service_connect(svc, &s.app, &s.env).filter(|c| c.enabled),
        connect_log: None,
        health_check_grace_s: lb
            .map(|l| l.grace_period_s)
            .or(nlb.map(|n| n.grace_period_s)),
        rollback: s.rollback,
        rollout_settings: Default::default(),
        exec: exec_on(svc),
        capacity: capacity_providers(svc),
        tags: tags.to_vec(),
        client_token: format!("sidecarctl-{}-{}-{name}", s.app, s.env)
            .chars()
            .take(36)
            .collect(),
    })
}

/// The network of a new service or of a job's tasks, as Copilot places
/// them: the command line's, else the manifest's placement in the
/// environment's public or private subnets, with the environment's security
/// group and the manifest's. What is missing is said about `what` (a new
/// service, a job).
pub fn network(
    svc: &Service,
    env_manifest: Option<&EnvManifest>,
    env_stack: Option<&Environment>,
    s: &Settings,
    what: &str,
) -> (Network, Diagnostics) {
    let name = &s.service;
    let mut problems = Diagnostics::new();
    let placement = svc.network.placement.as_ref().map(|p| &p.value);
    let public = !matches!(placement, Some(Placement::Private));
    let subnets: Vec<String> = if !s.subnets.is_empty() {
        s.subnets.clone()
    } else {
        match placement {
            Some(Placement::Subnets(ids)) => ids.clone(),
            _ => env_manifest
                .map(|e| {
                    if public {
                        &e.public_subnets
                    } else {
                        &e.private_subnets
                    }
                })
                .map(|ids| ids.iter().map(|a| a.value.clone()).collect::<Vec<_>>())
                .filter(|ids| !ids.is_empty())
                .or_else(|| {
                    env_stack.map(|e| {
                        if public {
                            e.public_subnets.clone()
                        } else {
                            e.private_subnets.clone()
                        }
                    })
                })
                .unwrap_or_default(),
        }
    };
    if subnets.is_empty() {
        problems.push(
            Diagnostic::error(
                "no-subnets",
                format!(
                    "no {} subnets to place the {what} {name} in",
                    if public { "public" } else { "private" }
                ),
            )
            .help(format!(
                "list them in copilot/environments/{}/manifest.yml (network.vpc.subnets), or pass --subnets",
                s.env
            )),
        );
    }
    let security_groups: Vec<String> = if !s.security_groups.is_empty() {
        s.security_groups.clone()
    } else {
        env_stack
            .and_then(|e| e.security_group.clone())
            .into_iter()
            .chain(svc.network.security_groups.iter().map(|g| g.value.clone()))
            .fold(Vec::new(), |mut all, g| {
                // The manifest may name the environment's group too: once.
                if !all.contains(&g) {
                    all.push(g);
                }
                all
            })
    };
    if security_groups.is_empty() {
        problems.push(
            Diagnostic::error(
                "no-security-groups",
                format!("no security group for the {what} {name}"),
            )
            .help("set network.vpc.security_groups in the manifest, or pass --security-groups"),
        );
    }
    (
        Network {
            subnets,
            security_groups,
            public_ip: public,
        },
        problems,
    )
}

/// The main routing rule's target, as Copilot chooses it.
pub fn target(svc: &Service) -> (String, i32) {
    let rules = svc.http_rules();
    let t = match rules.first() {
        Some(r) => svc.rule_target(r),
        None => return (svc.name.value.clone(), 80),
    };
    (t.container, i32::from(t.port))
}

mod scaling;

use scaling::queues;
pub use scaling::{BACKLOG_PER_TASK, Queues, TARGET_GROUP_DIMENSION, scaling, scaling_policy_name};

#[cfg(test)]
mod tests;
