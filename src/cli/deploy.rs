//! `sidecarctl deploy`: one service, or `--all` of them concurrently.

use std::io::IsTerminal;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::args::{DeployArgs, GlobalArgs, TargetArgs};
use super::load::{Loaded, load_for_env};
use super::output::print_data;
use super::{cancel_on_signals, connect_with, interrupted_exit, print_diagnostics, runtime};
use crate::aws::Aws;
use crate::deploy::report::{Outcome, Report};
use crate::deploy::{self, Deploy, Finished, Options, Target, service_name};
use crate::diag::{Diagnostic, Diagnostics, render_json};
use crate::exit::Exit;
use crate::manifest::Workspace;
use crate::manifest::addons::{Addons, load_addons};
use crate::names::arn::short_task_definition as short_td;
use crate::names::role_names;
use crate::resolve::Roles;
use crate::term::Status;

/// Services deployed at once by `--all`.
const CONCURRENT_SERVICES: usize = 3;

/// A service ready to deploy: loaded, valid, with its add-ons.
struct Prepared {
    loaded: Loaded,
    addons: Addons,
}

pub fn run(args: &DeployArgs, global: &GlobalArgs) -> Exit {
    let targets: Vec<TargetArgs> = if args.all {
        match all_services(args) {
            Ok(t) => t,
            Err(d) => return invalid(args, global, &d),
        }
    } else {
        vec![args.target.clone()]
    };
    // Every service is checked before any is deployed.
    let mut prepared = Vec::new();
    let mut problems = Diagnostics::new();
    let mut warnings = Diagnostics::new();
    for target in &targets {
        match prepare(target, args) {
            Ok((p, w)) => {
                warnings.extend(w.into_vec());
                prepared.push(p);
            }
            Err(d) => problems.extend(d.into_vec()),
        }
    }
    if problems.has_errors() {
        problems.extend(warnings.into_vec());
        return invalid(args, global, &problems);
    }
    // Publishers before the services that subscribe to their topics.
    let svcs: Vec<&crate::manifest::Service> = prepared.iter().map(|p| &p.loaded.service).collect();
    let waits_for = match crate::model::order::publishers_first(&svcs) {
        Ok(w) => w,
        Err(circle) => {
            let d = Diagnostic::error(
                "subscription-cycle",
                format!(
                    "the services subscribe to each other's topics in a circle: {}",
                    circle.join(" → ")
                ),
            )
            .help("each subscriber needs its publishers' topics first: one of these subscriptions has to go (nothing was changed)");
            return invalid(args, global, &Diagnostics::from(vec![d]));
        }
    };
    print_diagnostics(&warnings, global);

    let palette = global.color.for_stderr();
    let live = std::io::stderr().is_terminal();
    let results: Vec<Finished> = runtime().block_on(async {
        let aws = match connect_with(global, args.all).await {
            Ok(a) => a,
            Err(e) => {
                return prepared
                    .iter()
                    .map(|p| {
                        let mut r = Report::new(
                            &p.loaded.target.app,
                            args.target.env(),
                            &service_name(&p.loaded.service),
                            &cluster(args, p),
                        );
                        r.error = Some(e.to_string());
                        let outcome = match super::connect_failed(&e) {
                            Exit::Invalid => Outcome::Invalid,
                            _ => Outcome::Error,
                        };
                        Finished {
                            report: r.finish(outcome),
                            plan_text: None,
                            diagnostics: Diagnostics::new(),
                        }
                    })
                    .collect();
            }
        };
        let cancel = cancel_on_signals();
        if let [one] = prepared.as_slice() {
            let mut status = Status::new(live, palette);
            return vec![deploy_one(&aws, one, args, &mut status, &cancel).await];
        }
        let group = live.then(indicatif::MultiProgress::new);
        let gate = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_SERVICES));
        let done: Vec<_> = prepared
            .iter()
            .map(|_| tokio::sync::watch::channel(false))
            .collect();
        let runs = prepared.iter().enumerate().map(|(i, p)| {
            let gate = gate.clone();
            let (aws, cancel, group) = (&aws, &cancel, group.as_ref());
            let publishers: Vec<_> = waits_for[i].iter().map(|&j| done[j].1.clone()).collect();
            let finished = &done[i].0;
            async move {
                let mut status = Status::in_group(
                    group,
                    palette,
                    &format!("[{}]", p.loaded.service.name.value),
                );
                status.set("waiting for the services whose topics it subscribes to");
                for mut w in publishers {
                    let _ = w.wait_for(|d| *d).await;
                }
                status.set("waiting for its turn");
                let permit = gate.acquire().await.expect("the semaphore stays open");
                let f = deploy_one(aws, p, args, &mut status, cancel).await;
                drop(permit);
                let _ = finished.send(true);
                f
            }
        });
        futures_util::future::join_all(runs).await
    });
    let mut results = results;
    report(args, global, &mut results)
}

fn cluster(args: &DeployArgs, p: &Prepared) -> String {
    args.cluster
        .cluster
        .clone()
        .unwrap_or_else(|| format!("{}-{}", p.loaded.target.app, args.target.env()))
}

/// Every service under copilot/, for `--all`.
fn all_services(args: &DeployArgs) -> Result<Vec<TargetArgs>, Diagnostics> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let Some(ws) = Workspace::find(&cwd) else {
        return Err(Diagnostics::from(vec![
            Diagnostic::error("no-workspace", "no copilot/ directory here or above")
                .help("--all deploys every service of a Copilot workspace"),
        ]));
    };
    let services = ws.services();
    if services.is_empty() {
        return Err(Diagnostics::from(vec![Diagnostic::error(
            "no-service",
            "no service manifests under copilot/",
        )]));
    }
    Ok(services
        .into_iter()
        .map(|svc| TargetArgs {
            svc: Some(svc),
            manifest: None,
            ..args.target.clone()
        })
        .collect())
}

/// Deploys one service; with `--wait-for-lock`, waits out another deploy and
/// starts again from fresh reads.
async fn deploy_one(
    aws: &Aws,
    p: &Prepared,
    args: &DeployArgs,
    status: &mut Status,
    cancel: &CancellationToken,
) -> Finished {
    let svc = &p.loaded.service;
    let env = args.target.env();
    let roles = match (&args.execution_role_arn, &args.task_role_arn) {
        (Some(e), Some(t)) => Roles::Given {
            execution: e.clone(),
            task: t.clone(),
        },
        _ => Roles::Managed(role_names(&p.loaded.target.app, env, &svc.name)),
    };
    let opts = Options {
        cluster: cluster(args, p),
        cluster_given: args.cluster.cluster.is_some(),
        image_tag: args.image_tag.clone(),
        pin: !args.no_pin,
        dry_run: args.dry_run,
        wait: !args.no_wait,
        timeout: args.timeout,
        poll: args.poll_interval,
        rollback: !args.no_rollback,
        roles,
        subnets: args.subnets.clone(),
        security_groups: args.security_groups.clone(),
        target_group: args.target_group_arn.clone(),
        lease: args.lock_lease,
        allow_addons_replacement: args.allow_addons_replacement,
    };
    // A pipeline's --image-tag is deployed as pushed, read with the rest
    // (no round trip of its own); only when it is not in the repository are
    // the images built and the deploy run again.
    let root = super::load::workspace_root(&p.loaded.target);
    let builds = !args.no_build && !crate::build::specs(svc, &root).is_empty();
    if builds && args.image_tag.is_some() && !args.dry_run {
        let first = deploy_as(aws, p, args, svc, &opts, status, cancel, &[]).await;
        if !only_built_images_missing(&first, svc) {
            return first;
        }
        status.line("the tag is not in the repository: building it");
    }
    // The images `image.build` makes, built or found before anything else.
    let built = if builds {
        let settings = super::build::Settings {
            tag: args.image_tag.as_deref(),
            engine: args.builder.engine(),
            dry_run: args.dry_run,
            pin: !args.no_pin,
        };
        match super::build::images(aws, &p.loaded, &settings, status).await {
            Ok(images) => images,
            Err(e) => {
                let mut r =
                    Report::new(&p.loaded.target.app, env, &service_name(svc), &opts.cluster);
                r.error = Some(if e.changed_nothing() {
                    format!("{e}; nothing was changed")
                } else {
                    format!("{e}; nothing was deployed")
                });
                status.finish();
                return Finished {
                    report: r.finish(Outcome::Error),
                    plan_text: None,
                    diagnostics: Diagnostics::new(),
                };
            }
        }
    } else {
        Vec::new()
    };
    let pinned = super::build::pinned(svc, &built);
    let svc = if built.is_empty() { svc } else { &pinned };
    deploy_as(aws, p, args, svc, &opts, status, cancel, &built).await
}

/// Whether a deploy stopped only because images `image.build` makes are
/// not in the repository (the build may then bring them).
fn only_built_images_missing(f: &Finished, svc: &crate::manifest::Service) -> bool {
    let built_field = |field: &str| {
        field == "image.build"
            || svc.sidecars.iter().any(|(name, sc)| {
                sc.build.is_some() && field == format!("sidecars.{name}.image.build")
            })
    };
    let errors: Vec<_> = f.diagnostics.iter().filter(|d| d.is_error()).collect();
    f.report.outcome == Outcome::Missing
        && !errors.is_empty()
        && errors
            .iter()
            .all(|d| d.field.as_deref().is_some_and(built_field))
}

/// Deploys `svc`, waiting for another deploy's lock when asked.
#[allow(clippy::too_many_arguments)]
async fn deploy_as(
    aws: &Aws,
    p: &Prepared,
    args: &DeployArgs,
    svc: &crate::manifest::Service,
    opts: &Options,
    status: &mut Status,
    cancel: &CancellationToken,
    built: &[crate::build::Image],
) -> Finished {
    let env = args.target.env();
    let deadline = std::time::Instant::now() + opts.timeout;
    let mut waited = false;
    loop {
        let mut d = Deploy {
            aws,
            target: Target {
                svc,
                env_manifest: p.loaded.env_manifest.as_ref(),
                app: &p.loaded.target.app,
                env,
                addons: &p.addons,
                env_files: &p.loaded.env_files,
            },
            opts,
            progress: &mut *status,
            cancel: cancel.clone(),
        };
        let mut finished = deploy::run(&mut d).await;
        if !built.is_empty() {
            finished.report.builds = serde_json::to_value(built).unwrap_or_default();
        }
        if finished.report.outcome != Outcome::Busy
            || !args.wait_for_lock
            || cancel.is_cancelled()
            || std::time::Instant::now() >= deadline
        {
            status.finish();
            return finished;
        }
        if !waited {
            status.line(&format!(
                "waiting: {}",
                finished
                    .report
                    .error
                    .as_deref()
                    .unwrap_or("another deploy is under way")
            ));
            waited = true;
        }
        status.set("waiting for the other deploy to finish");
        tokio::select! {
            () = tokio::time::sleep(opts.poll.max(std::time::Duration::from_millis(500))) => {}
            () = cancel.cancelled() => {}
        }
    }
}

/// Loads a service and its add-ons and checks what `deploy` needs beyond validity.
fn prepare(target: &TargetArgs, args: &DeployArgs) -> Result<(Prepared, Diagnostics), Diagnostics> {
    let loaded = load_for_env(target, args.strict.strict)?;
    let mut diags = loaded.diags.clone();
    let svc = &loaded.service;
    if let Some(b) = &svc.image.build
        && args.no_build
        && args.image_tag.is_none()
    {
        diags.push(
            Diagnostic::error(
                "no-image-tag",
                "image.build with --no-build needs --image-tag: the tag to deploy as pushed",
            )
            .at(&svc.file, b.pos)
            .field("image.build")
            .help(format!(
                "pass the tag pushed to the ECR repository {}/{}, or let sidecarctl build (without --no-build)",
                loaded.target.app, svc.name.value
            )),
        );
    }
    let addons = match &loaded.target.workspace {
        Some(ws) => {
            let (addons, d) = load_addons(&ws.addons_dir(&svc.name));
            diags.extend(d.into_vec());
            addons
        }
        None => Addons::default(),
    };
    if args.execution_role_arn.is_some() && addons.template.is_some() {
        diags.push(Diagnostic::warning(
            "addons-not-attached",
            format!(
                "the add-ons' managed policies of {} are not attached: the roles are managed elsewhere (--execution-role-arn, --task-role-arn)",
                svc.name.value
            ),
        ));
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok((Prepared { loaded, addons }, diags))
}

fn invalid(args: &DeployArgs, global: &GlobalArgs, diags: &Diagnostics) -> Exit {
    if args.output.json() {
        let mut r = Report::new(
            "",
            args.target.env(),
            args.target.svc.as_deref().unwrap_or_default(),
            args.cluster.cluster.as_deref().unwrap_or_default(),
        );
        r.diagnostics = render_json(diags);
        let r = r.finish(Outcome::Invalid);
        print_data(&format!(
            "{}\n",
            serde_json::to_string_pretty(&r).unwrap_or_default()
        ));
    }
    print_diagnostics(diags, global);
    Exit::Invalid
}

/// The worst exit code of several deploys (0 when all went well).
fn worst(results: &[Finished]) -> Exit {
    results
        .iter()
        .map(|f| exit_of(&f.report))
        .max_by_key(|e| e.code())
        .unwrap_or(Exit::Ok)
}

/// A deploy's exit code; an interrupted one's is the signal's.
fn exit_of(r: &Report) -> Exit {
    match r.outcome {
        Outcome::Interrupted => interrupted_exit(),
        o => o.exit(),
    }
}

fn report(args: &DeployArgs, global: &GlobalArgs, results: &mut [Finished]) -> Exit {
    for f in results.iter_mut() {
        f.report.exit_code = exit_of(&f.report).code();
        print_diagnostics(&f.diagnostics, global);
        lock_warning(global, &f.report);
    }
    let exit = worst(results);
    if args.output.json() {
        let text = if args.all {
            let reports: Vec<&Report> = results.iter().map(|f| &f.report).collect();
            serde_json::to_string_pretty(
                &serde_json::json!({"exitCode": exit.code(), "services": reports}),
            )
        } else {
            serde_json::to_string_pretty(&results[0].report)
        };
        print_data(&format!("{}\n", text.unwrap_or_default()));
        return exit;
    }
    for f in results.iter() {
        summary_line(global, f);
    }
    if args.all {
        let failed = results
            .iter()
            .filter(|f| exit_of(&f.report) != Exit::Ok)
            .count();
        let p = global.color.for_stderr();
        let line = format!(
            "{} of {} services deployed or up to date",
            results.len() - failed,
            results.len()
        );
        eprintln!(
            "{}",
            if failed == 0 {
                p.success(&line)
            } else {
                p.error(&line)
            }
        );
    }
    exit
}

/// A lock left behind blocks the next deploy: said on stderr whatever the
/// output format.
fn lock_warning(global: &GlobalArgs, r: &Report) {
    let Some(l) = &r.lock_not_released else {
        return;
    };
    let p = global.color.for_stderr();
    eprintln!(
        "{}: the deploy lock {} was not released ({}); the next deploy of {} will be refused until its lease runs out",
        p.warning("warning"),
        l.parameter,
        l.error,
        r.service
    );
    eprintln!("  {} remove it now: {}", p.cyan("help:"), l.clear);
}

fn summary_line(global: &GlobalArgs, f: &Finished) {
    let r = &f.report;
    let p = global.color.for_stderr();
    let took = deploy::took(r);
    let td = r
        .task_definition
        .as_ref()
        .map(|t| short_td(&t.arn).to_string())
        .unwrap_or_default();
    let rollout = r
        .rollout
        .as_ref()
        .map(|ro| format!(", {}/{} running", ro.running, ro.desired))
        .unwrap_or_default();
    let whom = format!("{} in {}/{}", r.service, r.app, r.env);
    match r.outcome {
        Outcome::Deployed => {
            eprintln!("{} {whom} deployed: {td}{rollout} ({took})", p.success("✓"))
        }
        Outcome::Started => eprintln!(
            "{} {whom} updated to {td} ({took}); the rollout goes on",
            p.success("✓")
        ),
        Outcome::Unchanged => eprintln!(
            "{} {whom} is up to date: {td}{rollout}; nothing to change ({took})",
            p.success("✓")
        ),
        Outcome::DryRun => {
            if let Some(plan) = &f.plan_text {
                print_data(plan);
            }
            eprintln!(
                "{} dry run: nothing was changed for {whom} ({took})",
                p.bold("•")
            );
        }
        _ => {
            let error = r
                .error
                .clone()
                .unwrap_or_else(|| format!("{:?}", r.outcome));
            eprintln!("{}: {whom}: {error}", p.error("error"));
            if !r.not_applied.is_empty() {
                eprintln!(
                    "  applied:     {}",
                    if r.changes.is_empty() {
                        "nothing".into()
                    } else {
                        r.changes.join("; ")
                    }
                );
                eprintln!("  not applied: {}", r.not_applied.join("; "));
                eprintln!(
                    "  {} run the same deploy again to finish: every step is safe to repeat",
                    p.cyan("help:")
                );
            }
            if r.outcome == Outcome::Busy {
                eprintln!(
                    "  {} wait for it with --wait-for-lock, or watch it with: sidecarctl status {} --env {}",
                    p.cyan("help:"),
                    r.service,
                    r.env
                );
                eprintln!(
                    "  {} if that deploy is gone, remove its lock: sidecarctl unlock {} --env {}",
                    p.cyan("help:"),
                    r.service,
                    r.env
                );
            }
        }
    }
}
