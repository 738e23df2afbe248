//! One deploy, in six steps:
//!
//! ```text
//! resolve (read-only, concurrent; the lock taken meanwhile) → compare (pure:
//!   desired state, plan) → apply → watch the rollout → roll back when it fails
//! ```
//!
//! [`run`] reads as those steps; each ends the deploy early with a report when
//! there is nothing more to do (nothing to change, a dry run, something
//! missing, another deploy under way, a failure). The lock is released on
//! every way out.

mod addons;
pub mod apply;
mod foundation;
pub mod lease;
pub mod progress;
pub mod replace;
pub mod report;
pub mod rollout;
mod session;
pub mod watch;

pub use session::took;
use session::{Ledger, Stop, busy, conclude, plural, release};

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::aws::{self, Aws};
use crate::diag::Diagnostics;
use crate::manifest::addons::Addons;
use crate::manifest::env_files::EnvFile;
use crate::manifest::{EnvManifest, Service};
use crate::names::arn::short_task_definition as short_td;
use crate::plan::desired::{Settings, desired_state};
use crate::plan::rollout::{roll_back_to, unfinished};
use crate::plan::{self, Desired, Plan, Step};
use crate::resolve::lookup::{self, Failure};
use crate::resolve::{Request, ResolveError, Resolved, Roles};
use crate::state::{DigestTags, RolloutState, ServiceState};
use lease::Taken;
use progress::Progress;
use replace::Replace;
use report::{ImageRef, Outcome, Report, Superseded, TaskDefinitionRef};
use rollout::{Ending, Follow, RollBack, rollout_of};
use watch::Seen;

/// What to deploy.
pub struct Target<'a> {
    pub svc: &'a Service,
    pub env_manifest: Option<&'a EnvManifest>,
    pub app: &'a str,
    pub env: &'a str,
    pub addons: &'a Addons,
    /// The env files the manifest names, read.
    pub env_files: &'a [EnvFile],
}

/// How to deploy it (the command line).
#[derive(Clone, Debug)]
pub struct Options {
    /// `--cluster`, or `{app}-{env}` (used when Copilot's stacks name none).
    pub cluster: String,
    /// `--cluster` was given: it wins over what Copilot's stacks say.
    pub cluster_given: bool,
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
    /// How long the deploy lock lasts unless renewed (it is renewed every
    /// quarter of it while the deploy works).
    pub lease: Duration,
    /// The add-ons stack may delete or replace resources.
    pub allow_addons_replacement: bool,
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

/// Deploys; everything the user needs to know ends up in the report.
pub async fn run(d: &mut Deploy<'_>) -> Finished {
    let name = service_name(d.target.svc);
    let ledger = Ledger {
        report: Report::new(d.target.app, d.target.env, &name, &d.opts.cluster),
        diagnostics: Diagnostics::new(),
        started: Instant::now(),
        done_first: Vec::new(),
    };

    // 1. Resolve what the manifest points at, and what runs; take the lock
    //    meanwhile, so that it costs no round trip of its own (released at
    //    once if there turns out to be nothing to write).
    d.progress.status(&format!(
        "resolving {name}: images, secrets, file systems, the running service"
    ));
    let (resolved, lock) = {
        let d = &*d;
        tokio::join!(resolve(d, &name), async {
            if d.opts.dry_run {
                None
            } else {
                Some(lease::take(d.aws, d.target.app, d.target.env, &name, d.opts.lease).await)
            }
        })
    };
    let finished = match resolved {
        Ok(resolved) => decide_and_carry_out(d, &name, &resolved, lock.as_ref(), ledger).await,
        Err(stop) => ledger.stop(stop),
    };
    release(d.aws, (d.target.app, d.target.env, &name), lock, finished).await
}

/// Steps 2 to 6, once what runs is known.
async fn decide_and_carry_out(
    d: &mut Deploy<'_>,
    name: &str,
    resolved: &Resolved,
    lock: Option<&Taken>,
    mut ledger: Ledger,
) -> Finished {
    record_resolved(&mut ledger, resolved);
    if d.cancel.is_cancelled() {
        return ledger.fail(
            Outcome::Interrupted,
            "interrupted before anything was changed".into(),
        );
    }

    // 2. Compare: the desired state and the plan.
    let (desired, plan) = match compare(d, resolved) {
        Ok(x) => x,
        Err(stop) => return ledger.stop(stop),
    };
    ledger.report.changes = foundation::described(resolved, &desired)
        .into_iter()
        .chain(plan.steps().map(|s| s.describe(&desired)))
        .chain(plan.swaps.iter().map(|s| s.describe(&desired)))
        .collect();
    if let crate::plan::TaskDefinitionChange::Register { changes } = &plan.task_definition {
        ledger.report.task_definition_changes = changes.iter().map(ToString::to_string).collect();
    }
    let current = resolved.current.service.as_ref();
    if plan.is_empty() {
        ledger.report.task_definition = resolved.current.td.as_ref().map(|r| TaskDefinitionRef {
            arn: r.arn.clone(),
            revision: r.revision,
            registered: false,
        });
        // Nothing to write, but this very revision may still be rolling out (a
        // deploy that was cancelled or ran with --no-wait): its end is the answer.
        if let (true, Some(s)) = (d.opts.wait, current)
            && unfinished(s).is_some()
        {
            return watch_unfinished(d, &resolved.placement.cluster, s, lock, ledger).await;
        }
        ledger.report.rollout = current.map(|s| rollout_of(s, &s.task_definition, None));
        return ledger.end(Outcome::Unchanged);
    }
    if d.opts.dry_run {
        let tags = digest_tags(d.aws, resolved, &desired).await;
        let mut text = plan::text::describe(&desired, &plan, &resolved.current, &tags);
        for first in foundation::described(resolved, &desired).iter().rev() {
            text = format!("+ {first}\n{text}");
        }
        return ledger.end_with(Outcome::DryRun, Some(text));
    }

    // 3. One deploy of a service at a time.
    match lock {
        Some(Taken::Yes(_)) => {}
        Some(Taken::Held(h)) => return ledger.stop(busy(name, h)),
        Some(Taken::Failed(e)) => {
            return ledger.fail(
                Outcome::Error,
                format!("could not take the deploy lock: {e}; nothing was changed"),
            );
        }
        None => unreachable!("the lock is taken for everything but a dry run"),
    }
    // A deployment in progress (a bad rollout, say) is superseded by this one,
    // as ECS supersedes it: a fix goes out at once.
    if let Some(p) = current.and_then(|s| s.primary())
        && p.rollout_state == RolloutState::InProgress
    {
        d.progress.note(&format!(
            "superseding the deployment in progress: {} ({}, {}/{} running)",
            p.id,
            short_td(&p.task_definition),
            p.running,
            p.desired
        ));
        ledger.report.superseded = Some(Superseded {
            id: p.id.clone(),
            task_definition: p.task_definition.clone(),
            rollout_state: p.rollout_state.as_str().to_string(),
            running: p.running,
            desired: p.desired,
        });
    }

    // 4, 5, 6. Apply, watch, roll back. What the task definition names and
    // does not exist yet comes first (an access point, queues), then the plan
    // again with what was made.
    if !foundation::described(resolved, &desired).is_empty() {
        let (laid, done) = match foundation::lay(d, resolved, &desired).await {
            Ok(x) => x,
            Err((done, e)) => {
                ledger.done_first.extend(done);
                let what = if ledger.done_first.is_empty() {
                    "nothing was changed".to_string()
                } else {
                    format!("done before: {}", ledger.done_first.join("; "))
                };
                return ledger.fail(Outcome::Error, format!("{e}; {what}"));
            }
        };
        let (desired, plan) = match compare(d, &laid) {
            Ok(x) => x,
            Err(stop) => return ledger.stop(stop),
        };
        ledger.done_first.extend(done);
        ledger.report.changes = ledger
            .done_first
            .iter()
            .cloned()
            .chain(plan.steps().map(|s| s.describe(&desired)))
            .collect();
        return carry_out(d, &laid, &desired, &plan, ledger).await;
    }
    carry_out(d, resolved, &desired, &plan, ledger).await
}

/// Watches the rollout of the service's own revision to its end, when there
/// is nothing to write.
async fn watch_unfinished(
    d: &mut Deploy<'_>,
    cluster: &str,
    s: &ServiceState,
    lock: Option<&Taken>,
    mut ledger: Ledger,
) -> Finished {
    d.progress.note(&format!(
        "nothing to change: {} is still rolling out; watching it",
        short_td(&s.task_definition)
    ));
    let roll_back = match (d.opts.rollback, lock) {
        (false, _) => RollBack::No("not rolled back (--no-rollback)".into()),
        (true, Some(Taken::Yes(_))) => RollBack::Yes,
        (true, Some(Taken::Held(h))) => RollBack::No(format!(
            "not rolled back: {} holds the deploy lock",
            h.owner
        )),
        (true, _) => RollBack::No("not rolled back: the deploy lock could not be taken".into()),
    };
    let started = Instant::now();
    let mut seen = Seen::default();
    seen.extend(s);
    let previous = roll_back_to(s).filter(|p| *p != s.task_definition);
    let follow = Follow {
        cluster,
        service: &s.name,
        target: &s.task_definition,
        deployment: unfinished(s).map(|p| p.id.as_str()),
        previous,
        previous_desired: s.desired,
        timeout: d.opts.timeout,
        poll: d.opts.poll,
        roll_back,
        circuit_breaker_rollback: d.opts.rollback,
        previous_load_balancers: None,
        rollout_settings: s.rollout_settings.as_ref(),
    };
    let ending = rollout::follow(d.aws, &follow, &mut seen, d.progress, &d.cancel).await;
    d.progress.finish();
    ledger.report.timings_ms.rollout = started.elapsed().as_millis() as u64;
    let advice = interrupted_advice(d, cluster, &s.name, previous);
    conclude(ledger, ending, &s.task_definition, advice)
}

/// Step 1: everything the deploy reads, at once; a signal stops it.
async fn resolve(d: &Deploy<'_>, name: &str) -> Result<Resolved, Stop> {
    let req = Request {
        svc: d.target.svc,
        app: d.target.app,
        env: d.target.env,
        cluster: &d.opts.cluster,
        cluster_given: d.opts.cluster_given,
        service_name: name,
        image_tag: d.opts.image_tag.as_deref(),
        pin: d.opts.pin,
        roles: &d.opts.roles,
        addons: d.target.addons,
        env_files: d.target.env_files,
        region: &d.aws.region,
        manage_lb: d.opts.target_group.is_none(),
    };
    let resolved = tokio::select! {
        r = lookup::resolve(d.aws, &req) => r,
        () = d.cancel.cancelled() => {
            return Err(Stop::new(Outcome::Interrupted, "interrupted before anything was changed"));
        }
    };
    resolved.map_err(|f| match f {
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
    report.cluster = resolved.placement.cluster.clone();
}

/// Step 2: the desired state, and the plan that gets there.
fn compare(d: &Deploy<'_>, resolved: &Resolved) -> Result<(Desired, Plan), Stop> {
    let settings = Settings {
        app: d.target.app.to_string(),
        env: d.target.env.to_string(),
        cluster: resolved.placement.cluster.clone(),
        service: resolved.placement.service.clone(),
        rollback: d.opts.rollback,
        subnets: d.opts.subnets.clone(),
        security_groups: d.opts.security_groups.clone(),
        target_group: d.opts.target_group.clone(),
        env_files: d.target.env_files.to_vec(),
    };
    // The manifest with its from_cfn exports in place, if it uses any.
    let svc = resolved.service.as_ref().unwrap_or(d.target.svc);
    let desired = desired_state(svc, d.target.env_manifest, &settings, resolved)
        .map_err(|diags| Stop::with(Outcome::Invalid, diags))?;
    for (field, why) in desired.scaling.iter().flat_map(|s| &s.left_out) {
        tracing::warn!("{field} left out: {why}");
    }
    for alias in desired.nlb.iter().flat_map(|n| &n.unrecorded) {
        tracing::warn!(
            "nlb.alias {alias} gets no record: only names under the environment's subdomain are recorded (in its hosted zone); Copilot recorded others through the application's DNS delegation"
        );
    }
    let plan = plan::plan(&desired, &resolved.current);
    let mut refused = plan.refused.clone();
    if !plan.swaps.is_empty() && !d.opts.wait {
        refused.push(
            crate::diag::Diagnostic::error(
                "target-group-replacement",
                "a target group is replaced: the deploy moves the traffic and the service off the old one after the rollout, which --no-wait would not wait for",
            )
            .help("deploy without --no-wait"),
        );
    }
    if !refused.is_empty() {
        let mut diags = crate::diag::Diagnostics::new();
        diags.extend(refused);
        return Err(Stop::with(Outcome::Invalid, diags));
    }
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
    // Target groups replaced: carried on after the rollout.
    let mut replace = match Replace::new(plan, &applied) {
        Ok(r) => r,
        Err(e) => return ledger.fail(Outcome::Error, e.to_string()),
    };
    if !service_touched && replace.is_none() {
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
    // Only what happens from now on: the events ECS already had are history.
    let mut seen = Seen::default();
    for s in resolved.current.service.iter().chain(&applied.service) {
        seen.extend(s);
    }
    let current = resolved.current.service.as_ref();
    let previous = current.and_then(roll_back_to).map(str::to_string);
    // The deployment the update started (ECS answers with it as primary).
    let deployment = applied
        .service
        .as_ref()
        .and_then(|s| s.primary())
        .map(|p| p.id.as_str())
        .filter(|id| !id.is_empty());
    let follow = Follow {
        cluster: &desired.cluster,
        service: &desired.service,
        target: &target,
        deployment,
        previous: previous.as_deref(),
        previous_desired: current.map_or(desired.desired_count, |s: &ServiceState| s.desired),
        timeout: d.opts.timeout,
        poll: d.opts.poll,
        roll_back: if d.opts.rollback {
            RollBack::Yes
        } else {
            RollBack::No("not rolled back (--no-rollback)".into())
        },
        circuit_breaker_rollback: d.opts.rollback,
        previous_load_balancers: current
            .filter(|_| replace.is_some())
            .map(|s| s.load_balancers.as_slice()),
        rollout_settings: Some(&desired.rollout_settings),
    };
    let ending = if service_touched {
        rollout::follow(d.aws, &follow, &mut seen, d.progress, &d.cancel).await
    } else {
        // Nothing rolls out for the plan itself: a replacement under way
        // goes on from the service as it is.
        Ending::Completed(current.map_or_else(Default::default, |s| {
            rollout_of(s, &s.task_definition, None)
        }))
    };
    // During a replacement, rolling back by hand would not move the rules:
    // the advice says where the replacement stands instead.
    let mut advice = interrupted_advice(
        d,
        &desired.cluster,
        &desired.service,
        previous.as_deref().filter(|_| replace.is_none()),
    );
    let mut target = target;
    let ending = match replace.as_mut() {
        Some(rep) => {
            let cx = replace::Context {
                cluster: &desired.cluster,
                service: &desired.service,
                desired: desired.desired_count,
                seen: &mut seen,
            };
            let carried = carry_on_replacement(d, rep, cx, ending, &mut ledger).await;
            advice = format!("{advice}. {}", rep.state());
            if let Some(td) = carried.1 {
                target = td;
            }
            carried.0
        }
        None => Ok(ending),
    };
    d.progress.finish();
    ledger.report.timings_ms.rollout = rollout_started.elapsed().as_millis() as u64;
    match ending {
        Ok(ending) => conclude(ledger, ending, &target, advice),
        Err(why) => ledger.fail(Outcome::Incomplete, why),
    }
}

/// The replacements after the first rollout: carried on when it completed,
/// undone when it rolled back. The rollout that ends the deploy (the second
/// one, when there was one, and its task definition), or why the
/// replacement stopped part-way.
async fn carry_on_replacement(
    d: &mut Deploy<'_>,
    rep: &mut Replace,
    mut cx: replace::Context<'_>,
    ending: Ending,
    ledger: &mut Ledger,
) -> (Result<Ending, String>, Option<String>) {
    let result = match &ending {
        Ending::Completed(_) => match rep.carry_on(d, &mut cx).await {
            Ok(Some((second, td))) => (Ok(second), Some(td)),
            Ok(None) => (Ok(ending), None),
            Err(why) => (Err(format!("{why}; {}", rep.state())), None),
        },
        Ending::RolledBack { .. } => match rep.undo(d).await {
            Ok(()) => (Ok(ending), None),
            Err(e) => {
                let text = format!(
                    "the rules could not be set back to forward to the old target group alone ({e}); they send it all the traffic still, the new group at weight 0"
                );
                d.progress.problem(&text);
                (Ok(ending), None)
            }
        },
        _ => (Ok(ending), None),
    };
    ledger.report.changes.extend(rep.done.iter().cloned());
    result
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
    let done_first = ledger.done_first.clone();
    let r = &mut ledger.report;
    r.timings_ms.apply = started.elapsed().as_millis() as u64;
    let (a, failure) = match applied {
        Ok(a) => (a, None),
        Err(e) => {
            let done = e.applied.done.len();
            let all = done + e.not_done.len();
            r.not_applied = e.not_done;
            let stop = if e.interrupted {
                Stop::new(
                    Outcome::Interrupted,
                    format!(
                        "interrupted after {done} of {all} changes; run the same deploy again to finish: every step is safe to repeat"
                    ),
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
    r.changes = done_first
        .into_iter()
        .chain(a.done.iter().map(|(s, _)| s.clone()))
        .collect();
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

fn interrupted_advice(d: &Deploy<'_>, cluster: &str, name: &str, previous: Option<&str>) -> String {
    let mut s = format!(
        "stopped watching; the deployment goes on in ECS. Watch it: sidecarctl status {} --env {} --app {}",
        d.target.svc.name.value, d.target.env, d.target.app
    );
    if let Some(p) = previous {
        s.push_str(&format!(
            ". Roll back: aws ecs update-service --cluster {cluster} --service {name} --task-definition {p}"
        ));
    }
    s
}
