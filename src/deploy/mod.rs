//! `deploy`: resolve what the manifest points at, render, compare with what
//! runs, apply the difference, watch the rollout and roll back on failure.
//!
//! ```text
//! resolve (read-only, concurrent) → render (pure) → plan (pure) → apply → watch → [roll back]
//! ```

pub mod apply;
pub mod diff;
pub mod plan;
pub mod report;
pub mod resolve;
pub mod watch;

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::aws::ecs::{NewService, ServiceState};
use crate::aws::lock::{self, Acquire, Holder, lock_name, whoami};
use crate::aws::{Aws, AwsError};
use crate::diag::{Diagnostic, Diagnostics, render_json};
use crate::logs::now_ms;
use crate::manifest::addons::Addons;
use crate::manifest::{EnvManifest, Placement, Service, ServiceType};
use crate::render::iam::ecs_tasks_trust_policy;
use crate::render::{render_policies, render_task_definition};
use crate::term::Status;
use plan::{Desired, DesiredIam, Plan, TaskDefinitionChange};
use report::{ImageRef, Outcome, Report, Rollout, TaskDefinitionRef};
use resolve::{ResolveError, Resolved, Roles};
use watch::{WatchEnd, short_td};

/// What to deploy.
pub struct Target<'a> {
    pub svc: &'a Service,
    pub env_manifest: Option<&'a EnvManifest>,
    pub app: &'a str,
    pub env: &'a str,
    pub addons: &'a Addons,
}

/// How to deploy it (the command line).
pub struct Options {
    pub cluster: String,
    pub image_tag: Option<String>,
    pub pin: bool,
    pub dry_run: bool,
    pub wait: bool,
    pub timeout: Duration,
    pub poll: Duration,
    pub rollback: bool,
    pub roles: Roles,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub target_group: Option<String>,
}

/// The ECS service name of a Copilot service: its name, in the environment's cluster.
pub fn service_name(svc: &Service) -> String {
    svc.name.value.clone()
}

/// The tags every resource sidecarctl creates carries (Copilot's keys).
pub fn tags(app: &str, env: &str, svc: &str) -> Vec<(String, String)> {
    vec![
        ("copilot-application".into(), app.into()),
        ("copilot-environment".into(), env.into()),
        ("copilot-service".into(), svc.into()),
        ("managed-by".into(), "sidecarctl".into()),
    ]
}

/// The result of a deploy: the report, and for a dry run the plan as text.
pub struct Finished {
    pub report: Report,
    pub plan_text: Option<String>,
    pub diagnostics: Diagnostics,
}

/// Deploys; everything the user needs to know ends up in the report.
pub async fn run(
    aws: &Aws,
    t: &Target<'_>,
    o: &Options,
    status: &mut Status,
    stop: &AtomicBool,
) -> Finished {
    let started = Instant::now();
    let svc = t.svc;
    let name = service_name(svc);
    let mut report = Report::new(t.app, t.env, &name, &o.cluster);
    let mut diagnostics = Diagnostics::new();
    let done = |report, outcome, diagnostics, plan_text| {
        finished(report, outcome, diagnostics, plan_text, started)
    };

    // 1. Resolve.
    status.set(&format!(
        "resolving {name}: images, secrets, file systems, the running service"
    ));
    let req = resolve::Request {
        svc,
        app: t.app,
        env: t.env,
        cluster: &o.cluster,
        service_name: &name,
        image_tag: o.image_tag.as_deref(),
        pin: o.pin,
        roles: &o.roles,
        addons: t.addons,
    };
    let resolved = match resolve::resolve(aws, &req).await {
        Ok(r) => r,
        Err(ResolveError::Missing(d)) => {
            diagnostics.extend(d.into_vec());
            report.error = Some(format!(
                "{} missing in AWS; nothing was changed",
                plural(diagnostics.error_count(), "thing")
            ));
            return done(report, Outcome::Missing, diagnostics, None);
        }
        Err(ResolveError::Invalid(d)) => {
            diagnostics.extend(d.into_vec());
            return done(report, Outcome::Invalid, diagnostics, None);
        }
        Err(ResolveError::Aws(e)) => {
            report.error = Some(format!("{e}; nothing was changed"));
            return done(report, Outcome::Error, diagnostics, None);
        }
    };
    report.timings_ms.resolve = started.elapsed().as_millis() as u64;
    for (c, image) in &resolved.facts.images {
        report.images.insert(
            c.clone(),
            ImageRef {
                image: image.clone(),
                digest: resolved.digests.get(c).cloned(),
            },
        );
    }
    let previous = resolved
        .current
        .service
        .as_ref()
        .map(|s| s.task_definition.clone())
        .filter(|a| !a.is_empty());
    report.previous_task_definition = previous.clone();
    report.service_arn = resolved.current.service.as_ref().map(|s| s.arn.clone());

    // 2. Render and compare.
    let desired = match desired_state(t, o, &resolved, &name) {
        Ok(d) => d,
        Err(d) => {
            diagnostics.extend(d.into_vec());
            return done(report, Outcome::Invalid, diagnostics, None);
        }
    };
    let plan = plan::plan(&desired, &resolved.current);
    let plan_text = describe_plan(&desired, &plan, &resolved);
    report.changes = plan.steps().map(|s| s.describe(&desired)).collect();

    if plan.is_empty() {
        let cur = resolved.current.service.as_ref();
        report.task_definition = resolved.current.td.as_ref().map(|r| TaskDefinitionRef {
            arn: r.arn.clone(),
            revision: r.revision,
            registered: false,
        });
        report.rollout = cur.map(rollout_of_current);
        return done(report, Outcome::Unchanged, diagnostics, None);
    }
    if o.dry_run {
        return done(report, Outcome::DryRun, diagnostics, Some(plan_text));
    }

    // 3. One deploy of a service at a time: a lock, and ECS's own state.
    let now = now_ms();
    let me = Holder {
        owner: whoami(),
        token: format!(
            "{}-{}",
            std::process::id(),
            started.elapsed().as_nanos() ^ (now as u128)
        ),
        since: now,
        expires: now + 2 * o.timeout.as_millis() as i64 + 300_000,
    };
    let lock = match lock::acquire(&aws.ssm, &lock_name(&o.cluster, &name), &me, now).await {
        Ok(Acquire::Acquired(l)) => l,
        Ok(Acquire::Held(h)) => {
            report.error = Some(format!(
                "another deploy of {name} is under way: {} since {}; nothing was changed",
                h.owner,
                crate::logs::format::rfc3339_ms(h.since)
            ));
            return done(report, Outcome::Busy, diagnostics, None);
        }
        Err(e) => {
            report.error = Some(format!(
                "could not take the deploy lock: {e}; nothing was changed"
            ));
            return done(report, Outcome::Error, diagnostics, None);
        }
    };
    if let Some(d) = resolved.current.service.as_ref().and_then(|s| {
        s.deployments
            .iter()
            .find(|d| d.status == "PRIMARY" && d.rollout_state == "IN_PROGRESS")
    }) {
        let _ = lock::release(&aws.ssm, &lock).await;
        report.error = Some(format!(
            "a deployment of {name} is in progress in ECS ({} {}, {}/{} running); nothing was changed",
            d.id,
            short_td(&d.task_definition),
            d.running,
            d.desired
        ));
        return done(report, Outcome::Busy, diagnostics, None);
    }
    let finished = carry_out(
        aws,
        t,
        o,
        &resolved,
        &desired,
        &plan,
        report,
        diagnostics,
        status,
        stop,
        started,
    )
    .await;
    if let Err(e) = lock::release(&aws.ssm, &lock).await {
        tracing::debug!(error = %e, "could not release the deploy lock; it expires by itself");
    }
    finished
}

/// Ends a deploy: the report's total time and diagnostics, its outcome.
fn finished(
    mut report: Report,
    outcome: Outcome,
    diagnostics: Diagnostics,
    plan_text: Option<String>,
    started: Instant,
) -> Finished {
    report.timings_ms.total = started.elapsed().as_millis() as u64;
    report.diagnostics = render_json(&diagnostics);
    Finished {
        report: report.finish(outcome),
        plan_text,
        diagnostics,
    }
}

/// Applies the plan, watches the rollout and rolls back: the writing half of a deploy.
#[allow(clippy::too_many_arguments)]
async fn carry_out(
    aws: &Aws,
    t: &Target<'_>,
    o: &Options,
    resolved: &Resolved,
    desired: &Desired,
    plan: &Plan,
    mut report: Report,
    diagnostics: Diagnostics,
    status: &mut Status,
    stop: &AtomicBool,
    started: Instant,
) -> Finished {
    let name = desired.service.clone();
    let previous = report.previous_task_definition.clone();
    let done = |report, outcome, diagnostics, plan_text| {
        finished(report, outcome, diagnostics, plan_text, started)
    };

    // 4. Apply.
    status.line(&format!(
        "deploying {name} to {}/{} ({}):",
        t.app,
        t.env,
        plural(plan.steps().count(), "change")
    ));
    let apply_started = Instant::now();
    let palette = status.palette();
    let applied = {
        let mut on_step = |text: &str, took: Duration| {
            status.line(&format!(
                "{} {text} {}",
                palette.success("✓"),
                palette.dim(&format!("({} ms)", took.as_millis()))
            ));
        };
        apply::apply(aws, desired, plan, &resolved.current, &mut on_step, stop).await
    };
    report.timings_ms.apply = apply_started.elapsed().as_millis() as u64;
    let applied = match applied {
        Ok(a) => a,
        Err(e) => {
            report.changes = e.applied.done.iter().map(|(s, _)| s.clone()).collect();
            report.not_applied = e.not_done.clone();
            report.task_definition =
                e.applied
                    .task_definition
                    .as_ref()
                    .map(|(arn, rev)| TaskDefinitionRef {
                        arn: arn.clone(),
                        revision: *rev,
                        registered: e.applied.registered,
                    });
            if e.interrupted {
                report.error = Some("interrupted before every change was applied".into());
                return done(report, Outcome::Interrupted, diagnostics, None);
            }
            report.error = Some(format!("{} failed: {}", e.step, e.error));
            return done(report, Outcome::Incomplete, diagnostics, None);
        }
    };
    report.changes = applied.done.iter().map(|(s, _)| s.clone()).collect();
    let (target, revision) = applied.task_definition.clone().unwrap_or_default();
    report.task_definition = Some(TaskDefinitionRef {
        arn: target.clone(),
        revision,
        registered: applied.registered,
    });
    if let Some(s) = &applied.service {
        report.service_arn = Some(s.arn.clone());
    }
    let service_touched = plan.steps().any(|s| {
        matches!(
            s,
            plan::Step::UpdateService { .. } | plan::Step::CreateService
        )
    });
    if !o.wait || !service_touched {
        if service_touched {
            status.line(&format!(
                "service updated to {}; not watching the rollout (--no-wait)",
                short_td(&target)
            ));
            return done(report, Outcome::Started, diagnostics, None);
        }
        return done(report, Outcome::Deployed, diagnostics, None);
    }

    // 5. Watch.
    let rollout_started = Instant::now();
    let mut seen: HashSet<String> = applied
        .service
        .iter()
        .flat_map(|s| s.events.iter().map(|e| e.id.clone()))
        .collect();
    let end = watch_rollout(aws, o, &name, &target, &mut seen, status, stop, o.timeout).await;
    report.timings_ms.rollout = rollout_started.elapsed().as_millis() as u64;
    let (reason, rolling_back_to) = match end {
        Ok(WatchEnd::Completed(s)) => {
            report.rollout = Some(rollout(&s, &target, None));
            status.finish();
            return done(report, Outcome::Deployed, diagnostics, None);
        }
        Ok(WatchEnd::Interrupted) => {
            status.finish();
            report.error = Some(interrupted_advice(o, t, &name, previous.as_deref()));
            return done(report, Outcome::Interrupted, diagnostics, None);
        }
        Ok(WatchEnd::Failed { reason, state }) => {
            report.rollout = Some(rollout(&state, &target, Some(reason.clone())));
            (reason, None)
        }
        Ok(WatchEnd::RollingBack { reason, to, state }) => {
            report.rollout = Some(rollout(&state, &target, Some(reason.clone())));
            (reason, Some(to))
        }
        Ok(WatchEnd::TimedOut(state)) => {
            let reason = format!(
                "the rollout did not complete within {}",
                humantime(o.timeout)
            );
            report.rollout = state.map(|s| rollout(&s, &target, Some(reason.clone())));
            (reason, None)
        }
        Err(e) => {
            status.finish();
            report.error = Some(format!(
                "{e}; the service was updated to {}, but its rollout could not be watched",
                short_td(&target)
            ));
            return done(report, Outcome::Error, diagnostics, None);
        }
    };
    status.line(&format!("{} {reason}", palette.error("✗")));

    // 6. Roll back.
    if !o.rollback {
        status.finish();
        report.error = Some(format!("{reason}; not rolled back (--no-rollback)"));
        return done(report, Outcome::Failed, diagnostics, None);
    }
    let to = match (rolling_back_to, &previous) {
        (Some(to), _) => {
            status.line(&format!(
                "ECS's circuit breaker is rolling back to {}",
                short_td(&to)
            ));
            to
        }
        (None, Some(prev)) => {
            status.line(&format!("rolling back to {}", short_td(prev)));
            let prev_desired = resolved
                .current
                .service
                .as_ref()
                .map_or(desired.desired_count, |s| s.desired);
            match crate::aws::ecs::update_service(
                &aws.ecs,
                &o.cluster,
                &name,
                prev,
                prev_desired,
                o.rollback,
            )
            .await
            {
                Ok(s) => seen.extend(s.events.iter().map(|e| e.id.clone())),
                Err(e) => {
                    status.finish();
                    report.error = Some(format!("{reason}; rolling back failed: {e}"));
                    return done(report, Outcome::Failed, diagnostics, None);
                }
            }
            prev.clone()
        }
        (None, None) => {
            status.finish();
            report.error = Some(format!(
                "{reason}; the service was created by this deploy, so there is nothing to roll back to"
            ));
            return done(report, Outcome::Failed, diagnostics, None);
        }
    };
    let end = watch_rollout(aws, o, &name, &to, &mut seen, status, stop, o.timeout).await;
    status.finish();
    match end {
        Ok(WatchEnd::Completed(s)) => {
            report.rollback = Some(rollout(&s, &to, None));
            report.error = Some(format!("{reason}; rolled back to {}", short_td(&to)));
            done(report, Outcome::RolledBack, diagnostics, None)
        }
        Ok(WatchEnd::Interrupted) => {
            report.error = Some(format!(
                "{reason}; interrupted while rolling back to {}",
                short_td(&to)
            ));
            done(report, Outcome::Interrupted, diagnostics, None)
        }
        Ok(
            WatchEnd::Failed { reason: r2, state }
            | WatchEnd::RollingBack {
                reason: r2, state, ..
            },
        ) => {
            report.rollback = Some(rollout(&state, &to, Some(r2.clone())));
            report.error = Some(format!(
                "{reason}; the rollback to {} failed too: {r2}",
                short_td(&to)
            ));
            done(report, Outcome::Failed, diagnostics, None)
        }
        Ok(WatchEnd::TimedOut(state)) => {
            report.rollback = state.map(|s| rollout(&s, &to, Some("timed out".into())));
            report.error = Some(format!(
                "{reason}; the rollback to {} did not complete in time",
                short_td(&to)
            ));
            done(report, Outcome::Failed, diagnostics, None)
        }
        Err(e) => {
            report.error = Some(format!("{reason}; watching the rollback failed: {e}"));
            done(report, Outcome::Failed, diagnostics, None)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn watch_rollout(
    aws: &Aws,
    o: &Options,
    name: &str,
    target: &str,
    seen: &mut HashSet<String>,
    status: &mut Status,
    stop: &AtomicBool,
    timeout: Duration,
) -> Result<WatchEnd, AwsError> {
    let palette = status.palette();
    let status = std::cell::RefCell::new(status);
    let mut on_progress = |text: &str| status.borrow_mut().set(text);
    let mut on_event = |text: &str| {
        status
            .borrow_mut()
            .line(&format!("{} {text}", palette.dim("event:")))
    };
    watch::watch(
        aws,
        &o.cluster,
        name,
        target,
        timeout,
        o.poll,
        seen,
        &mut on_progress,
        &mut on_event,
        stop,
    )
    .await
}

fn rollout(s: &ServiceState, target: &str, reason: Option<String>) -> Rollout {
    let d = s.deployments.iter().find(|d| d.task_definition == target);
    Rollout {
        state: d
            .map(|d| d.rollout_state.clone())
            .unwrap_or_else(|| "GONE".into()),
        running: d.map_or(0, |d| d.running),
        desired: d.map_or(s.desired, |d| d.desired),
        reason,
    }
}

fn rollout_of_current(s: &ServiceState) -> Rollout {
    rollout(s, &s.task_definition, None)
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

pub fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 60, s % 60) {
        (0, _) => format!("{:.1}s", d.as_secs_f64()),
        (m, 0) => format!("{m}m"),
        (m, r) => format!("{m}m{r}s"),
    }
}

fn interrupted_advice(o: &Options, t: &Target, name: &str, previous: Option<&str>) -> String {
    let mut s = format!(
        "stopped watching; the deployment goes on in ECS. Watch it: sidecarctl status {name} --env {} --app {}",
        t.env, t.app
    );
    if let Some(p) = previous {
        s.push_str(&format!(
            ". Roll back: aws ecs update-service --cluster {} --service {name} --task-definition {p}",
            o.cluster
        ));
    }
    s
}

/// The desired state: task definition, policies, log group, service settings.
fn desired_state(
    t: &Target,
    o: &Options,
    r: &Resolved,
    name: &str,
) -> Result<Desired, Diagnostics> {
    let svc = t.svc;
    let facts = &r.facts;
    let td = render_task_definition(svc, facts);
    let family = td.family.clone();
    let tags = tags(t.app, t.env, &svc.name);
    let iam = match &o.roles {
        Roles::Given { .. } => None,
        Roles::Managed(names) => {
            let p = render_policies(svc, facts, &td);
            Some(DesiredIam {
                execution_role: names.execution.clone(),
                task_role: names.task.clone(),
                trust_policy: ecs_tasks_trust_policy(),
                execution_policy: p.execution.to_json(),
                task_policy: p.task.map(|p| p.to_json()),
                addons: r.addon_policies.clone(),
                tags: tags.clone(),
            })
        }
    };
    let count = svc.count.as_ref();
    let desired_count = match (&r.current.service, count) {
        (Some(s), Some(c)) if c.autoscaling => s.desired.max(c.desired as i32),
        _ => svc.desired_count() as i32,
    };
    let new_service = if r.current.service.is_none() {
        Some(new_service(t, o, name, &tags)?)
    } else {
        None
    };
    Ok(Desired {
        td,
        log_group: format!("/copilot/{family}"),
        retention_days: svc
            .logging
            .as_ref()
            .and_then(|l| l.retention.as_ref())
            .map_or(30, |r| r.value as i32),
        desired_count,
        iam,
        cluster: o.cluster.clone(),
        service: name.to_string(),
        rollback: o.rollback,
        new_service,
        tags,
    })
}

/// Where a new service runs: subnets, security groups, load balancer.
fn new_service(
    t: &Target,
    o: &Options,
    name: &str,
    tags: &[(String, String)],
) -> Result<NewService, Diagnostics> {
    let svc = t.svc;
    let mut problems = Diagnostics::new();
    let placement = svc.network.placement.as_ref().map(|p| &p.value);
    let public = !matches!(placement, Some(Placement::Private));
    let subnets: Vec<String> = if !o.subnets.is_empty() {
        o.subnets.clone()
    } else {
        match placement {
            Some(Placement::Subnets(ids)) => ids.clone(),
            _ => t
                .env_manifest
                .map(|e| {
                    if public {
                        &e.public_subnets
                    } else {
                        &e.private_subnets
                    }
                })
                .map(|s| s.iter().map(|a| a.value.clone()).collect())
                .unwrap_or_default(),
        }
    };
    if subnets.is_empty() {
        problems.push(
            Diagnostic::error("no-subnets", format!("no {} subnets to place the new service {name} in", if public { "public" } else { "private" }))
                .help(format!("list them in copilot/environments/{}/manifest.yml (network.vpc.subnets), or pass --subnets", t.env)),
        );
    }
    let security_groups: Vec<String> = if !o.security_groups.is_empty() {
        o.security_groups.clone()
    } else {
        svc.network
            .security_groups
            .iter()
            .map(|s| s.value.clone())
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
        match &o.target_group {
            Some(tg) => Some((tg.clone(), container, port)),
            None => {
                problems.push(
                    Diagnostic::error("no-target-group", format!("a new Load Balanced Web Service needs the target group its load balancer sends to ({container}:{port})"))
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
        cluster: o.cluster.clone(),
        name: name.to_string(),
        task_definition: String::new(),
        desired: t.svc.desired_count() as i32,
        subnets,
        security_groups,
        public_ip: public,
        load_balancer,
        rollback: o.rollback,
        tags: tags.to_vec(),
        client_token: format!("sidecarctl-{}-{}-{name}", t.app, t.env)
            .chars()
            .take(36)
            .collect(),
    })
}

/// The plan as text: each step, the task definition's differences, the
/// policies' differences.
fn describe_plan(d: &Desired, plan: &Plan, r: &Resolved) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Plan for service {} in cluster {}:\n",
        d.service, d.cluster
    ));
    for step in plan.steps() {
        out.push_str(&format!("  • {}\n", step.describe(d)));
    }
    match &plan.task_definition {
        TaskDefinitionChange::Unchanged { arn } => out.push_str(&format!(
            "\nTask definition: unchanged ({})\n",
            short_td(arn)
        )),
        TaskDefinitionChange::Reuse { arn } => out.push_str(&format!(
            "\nTask definition: {} is registered already and will be deployed\n",
            short_td(arn)
        )),
        TaskDefinitionChange::Register { changes } => {
            match &r.current.td {
                Some(cur) => out.push_str(&format!(
                    "\nTask definition: {} → a new revision\n",
                    short_td(&cur.arn)
                )),
                None => out.push_str(&format!(
                    "\nTask definition: {} (first revision)\n",
                    d.td.family
                )),
            }
            if r.current.td.is_some() {
                for c in changes {
                    out.push_str(&format!("    {c}\n"));
                }
            }
        }
    }
    for (name, changes) in &plan.policy_changes {
        out.push_str(&format!("\nIAM policy {name}:\n"));
        for c in changes {
            out.push_str(&format!("    {c}\n"));
        }
    }
    if let Some(s) = &r.current.service {
        if s.desired != d.desired_count {
            out.push_str(&format!(
                "\nDesired count: {} → {}\n",
                s.desired, d.desired_count
            ));
        }
    } else if let Some(n) = &d.new_service {
        out.push_str(&format!(
            "\nNew service: {} task(s) in {} subnet(s), security groups {}{}\n",
            n.desired,
            n.subnets.len(),
            n.security_groups.join(", "),
            n.load_balancer
                .as_ref()
                .map(|(tg, c, p)| format!(
                    ", behind {} → {c}:{p}",
                    tg.rsplit('/').nth(1).unwrap_or(tg)
                ))
                .unwrap_or_default()
        ));
    }
    out
}
