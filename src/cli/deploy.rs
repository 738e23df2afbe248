//! `sidecarctl deploy`.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::args::{DeployArgs, GlobalArgs, TextOrJson};
use super::exit::Exit;
use super::load::{Loaded, load_for_env};
use super::output::print_data;
use super::{connect, print_diagnostics, runtime};
use crate::deploy::report::{Outcome, Report};
use crate::deploy::resolve::Roles;
use crate::deploy::{self, Finished, Options, Target, humantime, service_name};
use crate::diag::{Diagnostic, Diagnostics, render_json};
use crate::manifest::addons::{Addons, load_addons};
use crate::render::facts::role_names;
use crate::term::Status;

pub fn run(args: &DeployArgs, global: &GlobalArgs) -> Exit {
    let (loaded, addons, mut warnings) = match prepare(args) {
        Ok(x) => x,
        Err(diags) => return invalid(args, global, &diags),
    };
    let svc = &loaded.service;
    let cluster = args
        .cluster
        .clone()
        .unwrap_or_else(|| format!("{}-{}", loaded.target.app, args.env));
    let roles = match (&args.execution_role_arn, &args.task_role_arn) {
        (Some(e), Some(t)) => Roles::Given {
            execution: e.clone(),
            task: t.clone(),
        },
        _ => Roles::Managed(role_names(&loaded.target.app, &args.env, &svc.name)),
    };
    if matches!(roles, Roles::Given { .. }) && !addons.policies.is_empty() {
        warnings.push(Diagnostic::warning(
            "addons-not-attached",
            format!("{} add-on polic{} not attached: the roles are managed elsewhere (--execution-role-arn, --task-role-arn)",
                addons.policies.len(), if addons.policies.len() == 1 { "y is" } else { "ies are" }),
        ));
    }
    print_diagnostics(&warnings, global);

    let opts = Options {
        cluster,
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
    };
    let target = Target {
        svc,
        env_manifest: loaded.env_manifest.as_ref(),
        app: &loaded.target.app,
        env: &args.env,
        addons: &addons,
    };
    let palette = global.color.for_stderr();
    let mut status = Status::new(std::io::stderr().is_terminal(), palette, false);
    let stop = Arc::new(AtomicBool::new(false));
    let finished = runtime().block_on(async {
        let aws = match connect(global).await {
            Ok(a) => a,
            Err(e) => {
                let mut r = Report::new(target.app, target.env, &service_name(svc), &opts.cluster);
                r.error = Some(e.to_string());
                return Finished {
                    report: r.finish(Outcome::Error),
                    plan_text: None,
                    diagnostics: Diagnostics::new(),
                };
            }
        };
        let flag = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, Ordering::SeqCst);
                // A second Ctrl-C ends at once.
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(Exit::Interrupted.code().into());
                }
            }
        });
        deploy::run(&aws, &target, &opts, &mut status, &stop).await
    });
    status.finish();
    drop(status);
    report(args, global, finished)
}

/// Loads the manifest and add-ons and checks what `deploy` needs beyond validity.
fn prepare(args: &DeployArgs) -> Result<(Loaded, Addons, Diagnostics), Diagnostics> {
    if args.all {
        let mut d = Diagnostics::new();
        d.push(
            Diagnostic::error("unsupported", "--all is not available yet")
                .help("deploy one service at a time"),
        );
        return Err(d);
    }
    let loaded = load_for_env(&args.target, &args.env)?;
    let mut diags = loaded.diags.clone();
    let svc = &loaded.service;
    if let Some(b) = &svc.image.build
        && args.image_tag.is_none()
    {
        diags.push(
            Diagnostic::error(
                "no-image-tag",
                "image.build needs --image-tag: sidecarctl deploys images, it does not build them",
            )
            .at(&svc.file, b.pos)
            .field("image.build")
            .help(format!(
                "push the image to the ECR repository {}/{} and pass its tag",
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
    if !addons.skipped.is_empty() {
        let list: Vec<String> = addons
            .skipped
            .iter()
            .map(|(f, id, t)| format!("{id} ({t}, {f})"))
            .collect();
        diags.push(
            Diagnostic::warning("addons-skipped", format!("add-on resources not deployed: {}", list.join(", ")))
                .help("sidecarctl deploys add-ons' AWS::IAM::ManagedPolicy resources only; create the others with CloudFormation or Terraform"),
        );
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok((loaded, addons, diags))
}

fn invalid(args: &DeployArgs, global: &GlobalArgs, diags: &Diagnostics) -> Exit {
    if args.output == TextOrJson::Json {
        let mut r = Report::new(
            "",
            &args.env,
            args.target.svc.as_deref().unwrap_or_default(),
            args.cluster.as_deref().unwrap_or_default(),
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

fn report(args: &DeployArgs, global: &GlobalArgs, f: Finished) -> Exit {
    let r = &f.report;
    print_diagnostics(&f.diagnostics, global);
    if args.output == TextOrJson::Json {
        print_data(&format!(
            "{}\n",
            serde_json::to_string_pretty(r).unwrap_or_default()
        ));
        return r.outcome.exit();
    }
    let p = global.color.for_stderr();
    let took = humantime(std::time::Duration::from_millis(r.timings_ms.total));
    let td = r
        .task_definition
        .as_ref()
        .map(|t| deploy::watch::short_td(&t.arn).to_string())
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
            eprintln!("{} dry run: nothing was changed ({took})", p.bold("•"));
        }
        _ => {
            let error = r
                .error
                .clone()
                .unwrap_or_else(|| format!("{:?}", r.outcome));
            eprintln!("{}: {error}", p.error("error"));
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
        }
    }
    r.outcome.exit()
}
