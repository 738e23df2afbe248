//! One deploy, in six steps:
//!
//! ```text
//! resolve (read-only, concurrent) → compare (pure: desired state, plan)
//!   → lock → apply → watch the rollout → roll back when it fails
//! ```
//!
//! [`run`] reads as those steps; each ends the deploy early with a report when
//! there is nothing more to do (nothing to change, a dry run, something
//! missing, another deploy under way, a failure).

pub mod apply;
pub mod progress;
pub mod report;
pub mod rollout;
pub mod watch;

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::aws::lock::{self, Acquire, Lock, lock_name, new_token, whoami};
use crate::aws::{self, Aws};
use crate::clock::{humantime, now_ms, rfc3339_ms};
use crate::diag::{Diagnostics, render_json};
use crate::manifest::addons::Addons;
use crate::manifest::{EnvManifest, Service};
use crate::names::arn::short_task_definition as short_td;
use crate::plan::desired::{Settings, desired_state};
use crate::plan::{self, Desired, Plan, Step};
use crate::resolve::lookup::{self, Failure};
use crate::resolve::{Request, ResolveError, Resolved, Roles};
use crate::state::{DigestTags, LockHolder, RolloutState, ServiceState};
use progress::Progress;
use report::{ImageRef, Outcome, Report, TaskDefinitionRef};
use rollout::{Ending, Follow, rollout_of};
use watch::Seen;

/// What to deploy.
pub struct Target<'a> {
    pub svc: &'a Service,
    pub env_manifest: Option<&'a EnvManifest>,
    pub app: &'a str,
    pub env: &'a str,
    pub addons: &'a Addons,
}

/// How to deploy it (the command line).
#[derive(Clone, Debug)]
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

/// The result of a deploy: the report, and for a dry run the plan as text.
pub struct Finished {
    pub report: Report,
    pub plan_text: Option<String>,
    pub diagnostics: Diagnostics,
}

/// One deploy's context.
pub struct Deploy<'a> {
    pub aws: &'a Aws,
    pub target: Target<'a>,
    pub opts: &'a Options,
    pub progress: &'a mut dyn Progress,
    pub cancel: CancellationToken,
}

/// The report as it fills up, and how it ends.
struct Ledger {
    report: Report,
    diagnostics: Diagnostics,
    started: Instant,
}

/// Why a deploy ends before the end.
struct Stop {
    outcome: Outcome,
    error: Option<String>,
    diagnostics: Diagnostics,
}

impl Stop {
    fn new(outcome: Outcome, error: impl Into<String>) -> Stop {
        Stop {
            outcome,
            error: Some(error.into()),
            diagnostics: Diagnostics::new(),
        }
    }

    fn with(outcome: Outcome, diagnostics: Diagnostics) -> Stop {
        Stop {
            outcome,
            error: None,
            diagnostics,
        }
    }
}

impl Ledger {
    fn end(self, outcome: Outcome) -> Finished {
        self.end_with(outcome, None)
    }

    fn end_with(mut self, outcome: Outcome, plan_text: Option<String>) -> Finished {
        self.report.timings_ms.total = self.started.elapsed().as_millis() as u64;
        self.report.diagnostics = render_json(&self.diagnostics);
        Finished {
            report: self.report.finish(outcome),
            plan_text,
            diagnostics: self.diagnostics,
        }
    }

    fn fail(mut self, outcome: Outcome, error: String) -> Finished {
        self.report.error = Some(error);
        self.end(outcome)
    }

    fn stop(mut self, stop: Stop) -> Finished {
        self.diagnostics.extend(stop.diagnostics.into_vec());
        if stop.error.is_some() {
            self.report.error = stop.error;
        }
        self.end(stop.outcome)
    }
}

/// Deploys; everything the user needs to know ends up in the report.
pub async fn run(d: &mut Deploy<'_>) -> Finished {
    let name = service_name(d.target.svc);
    let mut ledger = Ledger {
        report: Report::new(d.target.app, d.target.env, &name, &d.opts.cluster),
        diagnostics: Diagnostics::new(),
        started: Instant::now(),
    };

    // 1. Resolve what the manifest points at, and what runs.
    let resolved = match resolve(d, &name).await {
        Ok(r) => r,
        Err(stop) => return ledger.stop(stop),
    };
    record_resolved(&mut ledger, &resolved);

    // 2. Compare: the desired state and the plan.
    let (desired, plan) = match compare(d, &name, &resolved) {
        Ok(x) => x,
        Err(stop) => return ledger.stop(stop),
    };
    ledger.report.changes = plan.steps().map(|s| s.describe(&desired)).collect();
    if plan.is_empty() {
        ledger.report.task_definition = resolved.current.td.as_ref().map(|r| TaskDefinitionRef {
            arn: r.arn.clone(),
            revision: r.revision,
            registered: false,
        });
        ledger.report.rollout = resolved
            .current
            .service
            .as_ref()
            .map(|s| rollout_of(s, &s.task_definition, None));
        return ledger.end(Outcome::Unchanged);
    }
    if d.opts.dry_run {
        let tags = digest_tags(d.aws, &resolved, &desired).await;
        let text = plan::text::describe(&desired, &plan, &resolved.current, &tags);
        return ledger.end_with(Outcome::DryRun, Some(text));
    }

    // 3. One deploy of a service at a time.
    let lock = match take_lock(d, &name, &resolved).await {
        Ok(l) => l,
        Err(stop) => return ledger.stop(stop),
    };

    // 4, 5, 6. Apply, watch, roll back.
    let finished = carry_out(d, &resolved, &desired, &plan, ledger).await;
    if let Err(e) = lock::release(&d.aws.ssm, &lock, &now_ms).await {
        tracing::debug!(error = %e, "could not release the deploy lock; it expires by itself");
    }
    finished
}

/// Step 1: everything the deploy reads, at once.
async fn resolve(d: &mut Deploy<'_>, name: &str) -> Result<Resolved, Stop> {
    d.progress.status(&format!(
        "resolving {name}: images, secrets, file systems, the running service"
    ));
    let req = Request {
        svc: d.target.svc,
        app: d.target.app,
        env: d.target.env,
        cluster: &d.opts.cluster,
        service_name: name,
        image_tag: d.opts.image_tag.as_deref(),
        pin: d.opts.pin,
        roles: &d.opts.roles,
        addons: d.target.addons,
        region: &d.aws.region,
    };
    lookup::resolve(d.aws, &req).await.map_err(|f| match f {
        Failure::Resolve(ResolveError::Missing(diags)) => {
            let n = diags.error_count();
            Stop {
                error: Some(format!(
                    "{} missing in AWS; nothing was changed",
                    plural(n, "thing")
                )),
                ..Stop::with(Outcome::Missing, diags)
            }
        }
        Failure::Resolve(ResolveError::Invalid(diags)) => Stop::with(Outcome::Invalid, diags),
        Failure::Aws(e) => Stop::new(Outcome::Error, format!("{e}; nothing was changed")),
    })
}

/// What resolving found that the report carries.
fn record_resolved(ledger: &mut Ledger, resolved: &Resolved) {
    let report = &mut ledger.report;
    report.timings_ms.resolve = ledger.started.elapsed().as_millis() as u64;
    for (c, image) in &resolved.facts.images {
        report.images.insert(
            c.clone(),
            ImageRef {
                image: image.clone(),
                digest: resolved.digests.get(c).cloned(),
            },
        );
    }
    report.previous_task_definition = resolved
        .current
        .service
        .as_ref()
        .map(|s| s.task_definition.clone())
        .filter(|a| !a.is_empty());
    report.service_arn = resolved.current.service.as_ref().map(|s| s.arn.clone());
}

/// Step 2: the desired state, and the plan that gets there.
fn compare(d: &Deploy<'_>, name: &str, resolved: &Resolved) -> Result<(Desired, Plan), Stop> {
    let settings = Settings {
        app: d.target.app.to_string(),
        env: d.target.env.to_string(),
        cluster: d.opts.cluster.clone(),
        service: name.to_string(),
        rollback: d.opts.rollback,
        subnets: d.opts.subnets.clone(),
        security_groups: d.opts.security_groups.clone(),
        target_group: d.opts.target_group.clone(),
    };
    let desired = desired_state(d.target.svc, d.target.env_manifest, &settings, resolved)
        .map_err(|diags| Stop::with(Outcome::Invalid, diags))?;
    let plan = plan::plan(&desired, &resolved.current);
    Ok((desired, plan))
}

/// For a dry run: the tags the images' digests were pushed as, old and new.
async fn digest_tags(aws: &Aws, resolved: &Resolved, desired: &Desired) -> DigestTags {
    let old = resolved
        .current
        .td
        .iter()
        .flat_map(|t| &t.definition.container_definitions);
    let images: Vec<&str> = old
        .chain(&desired.td.container_definitions)
        .map(|c| c.image.as_str())
        .collect();
    aws::ecr::tags_of_digests(&aws.ecr, &images).await
}

/// Step 3: the lock, and ECS's own view of deployments under way.
async fn take_lock(d: &mut Deploy<'_>, name: &str, resolved: &Resolved) -> Result<Lock, Stop> {
    let now = now_ms();
    let me = LockHolder {
        owner: whoami(),
        token: new_token(),
        since: now,
        expires: now + 2 * d.opts.timeout.as_millis() as i64 + 300_000,
    };
    let lock =
        match lock::acquire(&d.aws.ssm, &lock_name(&d.opts.cluster, name), &me, &now_ms).await {
            Ok(Acquire::Acquired(l)) => l,
            Ok(Acquire::Held(h)) => {
                return Err(Stop::new(
                    Outcome::Busy,
                    format!(
                        "another deploy of {name} is under way: {} since {}; nothing was changed",
                        h.owner,
                        rfc3339_ms(h.since)
                    ),
                ));
            }
            Err(e) => {
                return Err(Stop::new(
                    Outcome::Error,
                    format!("could not take the deploy lock: {e}; nothing was changed"),
                ));
            }
        };
    if let Some(dep) = resolved.current.service.as_ref().and_then(|s| {
        s.primary()
            .filter(|p| p.rollout_state == RolloutState::InProgress)
    }) {
        let _ = lock::release(&d.aws.ssm, &lock, &now_ms).await;
        return Err(Stop::new(
            Outcome::Busy,
            format!(
                "a deployment of {name} is in progress in ECS ({} {}, {}/{} running); nothing was changed",
                dep.id,
                short_td(&dep.task_definition),
                dep.running,
                dep.desired
            ),
        ));
    }
    Ok(lock)
}

/// Steps 4 to 6: apply the plan, watch the rollout, roll back if it fails.
async fn carry_out(
    d: &mut Deploy<'_>,
    resolved: &Resolved,
    desired: &Desired,
    plan: &Plan,
    mut ledger: Ledger,
) -> Finished {
    let applied = match apply_plan(d, resolved, desired, plan, &mut ledger).await {
        Ok(a) => a,
        Err(stop) => return ledger.stop(stop),
    };
    let target = ledger
        .report
        .task_definition
        .as_ref()
        .map(|t| t.arn.clone())
        .unwrap_or_default();
    let service_touched = plan
        .steps()
        .any(|s| matches!(s, Step::UpdateService { .. } | Step::CreateService));
    if !service_touched {
        return ledger.end(Outcome::Deployed);
    }
    if !d.opts.wait {
        d.progress.note(&format!(
            "service updated to {}; not watching the rollout (--no-wait)",
            short_td(&target)
        ));
        return ledger.end(Outcome::Started);
    }

    // 5 and 6. Watch, and roll back when it fails.
    let rollout_started = Instant::now();
    let mut seen = Seen::default();
    if let Some(s) = &applied.service {
        seen.extend(s);
    }
    let previous = ledger.report.previous_task_definition.clone();
    let follow = Follow {
        cluster: &d.opts.cluster,
        service: &desired.service,
        target: &target,
        previous: previous.as_deref(),
        previous_desired: resolved
            .current
            .service
            .as_ref()
            .map_or(desired.desired_count, |s: &ServiceState| s.desired),
        timeout: d.opts.timeout,
        poll: d.opts.poll,
        rollback: d.opts.rollback,
    };
    let ending = rollout::follow(d.aws, &follow, &mut seen, d.progress, &d.cancel).await;
    d.progress.finish();
    ledger.report.timings_ms.rollout = rollout_started.elapsed().as_millis() as u64;
    let advice = interrupted_advice(d, &desired.service, previous.as_deref());
    conclude(ledger, ending, &target, advice)
}

/// Step 4: the plan's steps, group by group; the report says what was applied.
async fn apply_plan(
    d: &mut Deploy<'_>,
    resolved: &Resolved,
    desired: &Desired,
    plan: &Plan,
    ledger: &mut Ledger,
) -> Result<apply::Applied, Stop> {
    d.progress.note(&format!(
        "deploying {} to {}/{} ({}):",
        desired.service,
        d.target.app,
        d.target.env,
        plural(plan.steps().count(), "change")
    ));
    let started = Instant::now();
    let applied = {
        let progress = &mut *d.progress;
        let mut on_step = |text: &str, took: Duration| progress.step_done(text, took);
        apply::apply(
            d.aws,
            desired,
            plan,
            &resolved.current,
            &mut on_step,
            &d.cancel,
        )
        .await
    };
    let r = &mut ledger.report;
    r.timings_ms.apply = started.elapsed().as_millis() as u64;
    let (a, failure) = match applied {
        Ok(a) => (a, None),
        Err(e) => {
            r.not_applied = e.not_done;
            let stop = if e.interrupted {
                Stop::new(
                    Outcome::Interrupted,
                    "interrupted before every change was applied",
                )
            } else {
                Stop::new(
                    Outcome::Incomplete,
                    format!("{} failed: {}", e.step, e.error),
                )
            };
            (e.applied, Some(stop))
        }
    };
    r.changes = a.done.iter().map(|(s, _)| s.clone()).collect();
    r.task_definition = a
        .task_definition
        .as_ref()
        .map(|(arn, rev)| TaskDefinitionRef {
            arn: arn.clone(),
            revision: *rev,
            registered: a.registered,
        });
    if let Some(s) = &a.service {
        r.service_arn = Some(s.arn.clone());
    }
    match failure {
        Some(stop) => Err(stop),
        None => Ok(a),
    }
}

/// How the rollout ended, in the report.
fn conclude(mut ledger: Ledger, ending: Ending, target: &str, advice: String) -> Finished {
    let r = &mut ledger.report;
    match ending {
        Ending::Completed(rollout) => {
            r.rollout = Some(rollout);
            ledger.end(Outcome::Deployed)
        }
        Ending::Interrupted {
            rolling_back_to: None,
        } => ledger.fail(Outcome::Interrupted, advice),
        Ending::Interrupted {
            rolling_back_to: Some(to),
        } => ledger.fail(
            Outcome::Interrupted,
            format!("interrupted while rolling back to {}", short_td(&to)),
        ),
        Ending::RolledBack {
            reason,
            to,
            rollout,
            rollback,
        } => {
            r.rollout = rollout;
            r.rollback = Some(rollback);
            ledger.fail(
                Outcome::RolledBack,
                format!("{reason}; rolled back to {}", short_td(&to)),
            )
        }
        Ending::NotRolledBack {
            reason,
            why,
            rollout,
            rollback,
        } => {
            r.rollout = rollout;
            r.rollback = rollback;
            ledger.fail(Outcome::Failed, format!("{reason}; {why}"))
        }
        Ending::Unwatched(e) => ledger.fail(
            Outcome::Error,
            format!(
                "{e}; the service was updated to {}, but its rollout could not be watched",
                short_td(target)
            ),
        ),
    }
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn interrupted_advice(d: &Deploy<'_>, name: &str, previous: Option<&str>) -> String {
    let mut s = format!(
        "stopped watching; the deployment goes on in ECS. Watch it: sidecarctl status {name} --env {} --app {}",
        d.target.env, d.target.app
    );
    if let Some(p) = previous {
        s.push_str(&format!(
            ". Roll back: aws ecs update-service --cluster {} --service {name} --task-definition {p}",
            d.opts.cluster
        ));
    }
    s
}

/// A duration for the summary line.
pub fn took(report: &Report) -> String {
    humantime(Duration::from_millis(report.timings_ms.total))
}
