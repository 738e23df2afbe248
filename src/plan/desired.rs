//! The desired state, pure: the task definition, the roles' policies, the log
//! group and how the service runs, from the manifest and what was resolved.

use crate::diag::{Diagnostic, Diagnostics};
use crate::manifest::{EnvManifest, Placement, Service, ServiceType};
use crate::names::{self, sidecarctl};
use crate::render::addons::RenderedPolicy;
use crate::render::iam::ecs_tasks_trust_policy;
use crate::render::{TaskDefinition, render_policies, render_task_definition};
use crate::resolve::Resolved;
use crate::state::NewService;

/// What the roles should look like, when sidecarctl manages them.
#[derive(Clone, Debug)]
pub struct DesiredIam {
    pub execution_role: String,
    pub task_role: String,
    pub trust_policy: String,
    pub execution_policy: String,
    pub task_policy: Option<String>,
    pub addons: Vec<(RenderedPolicy, String)>,
    pub tags: Vec<(String, String)>,
}

/// Everything the deploy wants in place.
#[derive(Clone, Debug)]
pub struct Desired {
    pub td: TaskDefinition,
    pub log_group: String,
    pub retention_days: i32,
    pub desired_count: i32,
    pub iam: Option<DesiredIam>,
    pub cluster: String,
    pub service: String,
    pub rollback: bool,
    /// How to create the service, when it does not exist (task definition filled in later).
    pub new_service: Option<NewService>,
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
    let tags = tags(&s.app, &s.env, &svc.name);
    let iam = r.managed_roles.as_ref().map(|names| {
        let p = render_policies(svc, facts, &td);
        DesiredIam {
            execution_role: names.execution.clone(),
            task_role: names.task.clone(),
            trust_policy: ecs_tasks_trust_policy(),
            execution_policy: p.execution.to_json(),
            task_policy: p.task.map(|p| p.to_json()),
            addons: r.addon_policies.clone(),
            tags: tags.clone(),
        }
    });
    let desired_count = match (&r.current.service, svc.count.as_ref()) {
        // Autoscaling owns the count: keep the current one, within the range's minimum.
        (Some(cur), Some(c)) if c.autoscaling => cur.desired.max(c.desired as i32),
        _ => svc.desired_count() as i32,
    };
    let new_service = match &r.current.service {
        None => Some(new_service(svc, env_manifest, s, &tags)?),
        Some(_) => None,
    };
    Ok(Desired {
        log_group: names::log_group(&s.app, &s.env, &svc.name),
        retention_days: svc
            .logging
            .as_ref()
            .and_then(|l| l.retention.as_ref())
            .map_or(DEFAULT_RETENTION_DAYS, |r| r.value as i32),
        td,
        desired_count,
        iam,
        cluster: s.cluster.clone(),
        service: s.service.clone(),
        rollback: s.rollback,
        new_service,
        tags,
    })
}

/// Where a new service runs: subnets, security groups, load balancer.
pub fn new_service(
    svc: &Service,
    env_manifest: Option<&EnvManifest>,
    s: &Settings,
    tags: &[(String, String)],
) -> Result<NewService, Diagnostics> {
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
                .map(|ids| ids.iter().map(|a| a.value.clone()).collect())
                .unwrap_or_default(),
        }
    };
    if subnets.is_empty() {
        problems.push(
            Diagnostic::error(
                "no-subnets",
                format!(
                    "no {} subnets to place the new service {name} in",
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
        svc.network
            .security_groups
            .iter()
            .map(|g| g.value.clone())
            .collect()
    };
    if security_groups.is_empty() {
        problems.push(
            Diagnostic::error(
                "no-security-groups",
                format!("no security group for the new service {name}"),
            )
            .help("set network.vpc.security_groups in the manifest, or pass --security-groups"),
        );
    }
    let http_on = svc.http.as_ref().is_none_or(|h| h.enabled);
    let load_balancer = if svc.kind.value == ServiceType::LoadBalancedWebService && http_on {
        let (container, port) = target(svc);
        match &s.target_group {
            Some(tg) => Some((tg.clone(), container, port)),
            None => {
                problems.push(
                    Diagnostic::error(
                        "no-target-group",
                        format!(
                            "a new Load Balanced Web Service needs the target group its load balancer sends to ({container}:{port})"
                        ),
                    )
                    .help("pass --target-group-arn (the load balancer and its rules are managed outside sidecarctl)"),
                );
                None
            }
        }
    } else {
        None
    };
    if problems.has_errors() {
        return Err(problems);
    }
    Ok(NewService {
        cluster: s.cluster.clone(),
        name: name.clone(),
        task_definition: String::new(),
        desired: svc.desired_count() as i32,
        subnets,
        security_groups,
        public_ip: public,
        load_balancer,
        rollback: s.rollback,
        tags: tags.to_vec(),
        client_token: format!("sidecarctl-{}-{}-{name}", s.app, s.env)
            .chars()
            .take(36)
            .collect(),
    })
}

/// The load balancer's target: `http.target_container` (or the main
/// container) and `http.target_port` (or that container's port, or 80).
pub fn target(svc: &Service) -> (String, i32) {
    let container = svc
        .http
        .as_ref()
        .and_then(|h| h.target_container.as_ref())
        .map_or(svc.name.value.clone(), |c| c.value.clone());
    let port = svc
        .http
        .as_ref()
        .and_then(|h| h.target_port.as_ref())
        .map(|p| i32::from(p.value))
        .or_else(|| {
            if container == svc.name.value {
                svc.image.port.as_ref().map(|p| i32::from(p.value))
            } else {
                svc.sidecars
                    .get(&container)
                    .and_then(|s| s.port.as_ref())
                    .map(|p| i32::from(p.port))
            }
        })
        .unwrap_or(80);
    (container, port)
}

#[cfg(test)]
mod tests;
