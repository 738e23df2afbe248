//! `sidecarctl adopt`: hands Copilot-deployed services and Scheduled Jobs
//! over from CloudFormation.

use std::time::Duration;

use super::args::{AdoptArgs, GlobalArgs, TargetArgs};
use super::load::check_env;
use super::output::print_data;
use super::target::{Target, resolve};
use super::{cancel_on_signals, connect, interrupted_exit, print_diagnostics, runtime};
use crate::adopt::run::{Options, Report, adopt};
use crate::diag::{Diagnostic, Diagnostics};
use crate::exit::Exit;
use crate::manifest::Workspace;
use crate::model::Who;
use crate::term::Palette;

pub fn run(args: &AdoptArgs, global: &GlobalArgs) -> Exit {
    let env = args.target.env().to_string();
    let targets = match targets(args) {
        Ok(t) => t,
        Err(d) => {
            print_diagnostics(&Diagnostics::from(vec![d]), global);
            return Exit::Invalid;
        }
    };
    let problems: Vec<Diagnostic> = targets
        .iter()
        .filter_map(|(t, _)| check_env(t, &env, args.target.new_env))
        .collect();
    if !problems.is_empty() {
        print_diagnostics(&Diagnostics::from(problems), global);
        return Exit::Invalid;
    }
    let opts = Options {
        dry_run: args.dry_run,
        timeout: args.timeout,
        poll: Duration::from_secs(2),
    };
    let p = global.color.for_stderr();
    let reports: Vec<Report> = match runtime().block_on(async {
        let cancel = cancel_on_signals();
        let aws = connect(global).await?;
        let mut reports = Vec::new();
        // One after another: each waits on CloudFormation, and a failure
        // stops the rest before they are touched. What was adopted already
        // is said and passed over, so a rerun of `--all` finishes the job.
        for (target, svc) in &targets {
            let who = Who {
                app: &target.app,
                env: &env,
                svc,
            };
            let mut say = |s: &str| eprintln!("{} {s}", p.cyan("·"));
            let r = adopt(&aws, who, &opts, &cancel, &mut say).await;
            let stop = r.exit != Exit::Ok;
            reports.push(r);
            if stop {
                break;
            }
        }
        Ok::<_, crate::aws::AwsError>(reports)
    }) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}: {e}", p.error("error"));
            return super::connect_failed(&e);
        }
    };
    let exit = reports
        .iter()
        .map(|r| match r.exit {
            Exit::Interrupted => interrupted_exit(),
            e => e,
        })
        .max_by_key(|e| e.code())
        .unwrap_or(Exit::Ok);
    if args.output.json() {
        let doc = if args.all {
            serde_json::json!({"exitCode": exit.code(), "services": reports})
        } else {
            serde_json::to_value(&reports[0]).unwrap_or_default()
        };
        print_data(&format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ));
    }
    for r in &reports {
        say_report(r, &p);
    }
    exit
}

/// The report for people, on stderr.
fn say_report(r: &Report, p: &Palette) {
    match (r.outcome, &r.error) {
        ("dryRun", _) => {
            eprintln!(
                "{} would hand over {} ({}):",
                p.cyan("dry run:"),
                r.service,
                r.stack
            );
            for s in &r.steps {
                eprintln!("  - {s}");
            }
        }
        ("alreadyAdopted", _) => eprintln!(
            "{} {} was adopted already: {}",
            p.success("✓"),
            r.service,
            r.service_arn
                .as_deref()
                .or(r.job_rule.as_deref())
                .unwrap_or_default()
        ),
        ("adopted", _) => eprintln!(
            "{} {} adopted: the stack {} is gone, its {} resources stay; sidecarctl deploys it now",
            p.success("✓"),
            r.service,
            r.stack,
            r.resources
        ),
        (_, Some(e)) => eprintln!("{}: {}: {e}", p.error("error"), r.service),
        _ => {}
    }
    if matches!(r.outcome, "adopted" | "dryRun") && !r.left_behind.is_empty() {
        eprintln!("  what stays behind, outside CloudFormation:");
        for l in &r.left_behind {
            eprintln!(
                "  - {} ({}, in {}): {}",
                l.logical_id, l.kind, l.stack, l.note
            );
        }
    }
    if r.outcome == "adopted"
        && let Some(rule) = &r.job_rule
    {
        eprintln!(
            "  {} the rule {rule} runs the job on until `sidecarctl deploy {}` moves it to EventBridge Scheduler between two runs and disables the rule",
            p.cyan("next:"),
            r.service
        );
    }
    if r.outcome == "adopted" {
        let kind = if r.job_rule.is_some() { "job" } else { "svc" };
        eprintln!(
            "  {} never run `copilot {kind} deploy`, `copilot {kind} delete` or `copilot env delete` for {} or its environment again (README: \"Never run again\")",
            p.warning("!"),
            r.service
        );
    }
}

/// The targets (and the service name of each) to adopt.
fn targets(args: &AdoptArgs) -> Result<Vec<(Target, String)>, Diagnostic> {
    if args.all {
        let cwd = std::env::current_dir().unwrap_or_default();
        let ws = Workspace::find(&cwd).ok_or_else(|| {
            Diagnostic::error("no-workspace", "no copilot/ directory here or above")
                .help("--all adopts every service of a Copilot workspace")
        })?;
        let services = ws.services();
        if services.is_empty() {
            return Err(Diagnostic::error(
                "no-service",
                "no service manifests under copilot/",
            ));
        }
        return services
            .into_iter()
            .map(|svc| {
                let t = resolve(&TargetArgs {
                    svc: Some(svc.clone()),
                    manifest: None,
                    ..args.target.clone()
                })?;
                Ok((t, svc))
            })
            .collect();
    }
    let t = resolve(&args.target)?;
    let svc = match &args.target.svc {
        Some(s) => s.clone(),
        None => t
            .manifest
            .parent()
            .and_then(|d| d.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    Ok(vec![(t, svc)])
}
