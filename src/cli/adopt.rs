//! `sidecarctl adopt`: hands Copilot-deployed services over from CloudFormation.

use std::time::Duration;

use super::args::{AdoptArgs, GlobalArgs, TargetArgs};
use super::output::print_data;
use super::target::resolve;
use super::{connect, print_diagnostics, runtime};
use crate::adopt::run::{Options, Report, adopt};
use crate::diag::{Diagnostic, Diagnostics};
use crate::discover::Who;
use crate::exit::Exit;
use crate::manifest::Workspace;

pub fn run(args: &AdoptArgs, global: &GlobalArgs) -> Exit {
    let (app, services) = match targets(args) {
        Ok(t) => t,
        Err(d) => {
            print_diagnostics(&Diagnostics::from(vec![d]), global);
            return Exit::Invalid;
        }
    };
    let env = args.target.env().to_string();
    let opts = Options {
        dry_run: args.dry_run,
        timeout: args.timeout,
        poll: Duration::from_secs(2),
    };
    let p = global.color.for_stderr();
    let reports: Vec<Report> = match runtime().block_on(async {
        let aws = connect(global).await?;
        let mut reports = Vec::new();
        // One after another: each waits on CloudFormation, and a failure
        // stops the rest before they are touched.
        for svc in &services {
            let who = Who {
                app: &app,
                env: &env,
                svc,
            };
            let mut say = |s: &str| eprintln!("{} {s}", p.cyan("·"));
            let r = adopt(&aws, who, &opts, &mut say).await;
            let failed = r.exit != Exit::Ok;
            reports.push(r);
            if failed {
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
        .map(|r| r.exit)
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
    }
    exit
}

/// The application and the services to adopt.
fn targets(args: &AdoptArgs) -> Result<(String, Vec<String>), Diagnostic> {
    if args.all {
        let cwd = std::env::current_dir().unwrap_or_default();
        let ws = Workspace::find(&cwd).ok_or_else(|| {
            Diagnostic::error("no-workspace", "no copilot/ directory here or above")
                .help("--all adopts every service of a Copilot workspace")
        })?;
        let services = ws.services();
        let first = services.first().ok_or_else(|| {
            Diagnostic::error("no-service", "no service manifests under copilot/")
        })?;
        let t = resolve(&TargetArgs {
            svc: Some(first.clone()),
            manifest: None,
            ..args.target.clone()
        })?;
        return Ok((t.app, services));
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
    Ok((t.app, vec![svc]))
}
