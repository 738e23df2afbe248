//! `sidecarctl validate`.

use super::args::{GlobalArgs, ValidateArgs};
use super::load::{environments_to_check, load_target, workspace_root};
use super::output::print_data;
use super::{print_diagnostics, target};
use crate::diag::{Diagnostics, render_json};
use crate::exit::Exit;
use crate::manifest::env_files::read_env_files;

pub fn run(args: &ValidateArgs, global: &GlobalArgs) -> Exit {
    let target = match target::resolve(&args.target) {
        Ok(t) => t,
        Err(d) => {
            let mut ds = Diagnostics::new();
            ds.push(d);
            return report(args, global, &ds, None, &[]);
        }
    };
    // A service is only ever deployed to an environment: check each one it has.
    let envs: Vec<Option<String>> = match &args.target.env {
        Some(e) => vec![Some(e.clone())],
        None => {
            let known = environments_to_check(&target);
            if known.is_empty() {
                vec![None]
            } else {
                known.into_iter().map(Some).collect()
            }
        }
    };
    let mut all = Diagnostics::new();
    let mut checked = Vec::new();
    let mut ignored: Vec<(String, crate::yaml::Pos)> = Vec::new();
    let mut file = None;
    for env in &envs {
        let (svc, _, diags) = load_target(
            &target,
            env.as_deref(),
            args.target.new_env,
            args.strict.strict,
        );
        all.extend(
            diags
                .into_vec()
                .into_iter()
                .filter(|d| d.code != "ignored-fields"),
        );
        if let Some(svc) = svc {
            // The env files must be there to deploy; duplicates across
            // environments are dropped below.
            let (_, d) = read_env_files(&svc, &workspace_root(&target));
            for d in d.into_vec() {
                if !all.iter().any(|a| a.to_string() == d.to_string()) {
                    all.push(d);
                }
            }
            for i in svc.ignored {
                if !ignored.contains(&i) {
                    ignored.push(i);
                }
            }
            file = Some(svc.file);
        }
        if let Some(e) = env {
            checked.push(e.clone());
        }
    }
    if let Some(file) = file
        && !ignored.is_empty()
    {
        ignored.sort_by_key(|(_, p)| *p);
        all.push(crate::manifest::load::ignored_warning(&file, &ignored));
    }
    let shown = crate::manifest::display_path(&target.manifest);
    report(args, global, &all, Some(&shown), &checked)
}

fn report(
    args: &ValidateArgs,
    global: &GlobalArgs,
    diags: &Diagnostics,
    manifest: Option<&str>,
    envs: &[String],
) -> Exit {
    let exit = if diags.has_errors() {
        Exit::Invalid
    } else {
        Exit::Ok
    };
    if args.output.json() {
        let doc = serde_json::json!({
            "valid": exit == Exit::Ok,
            "manifest": manifest,
            "environments": envs,
            "errors": diags.error_count(),
            "warnings": diags.warning_count(),
            "strictFailures": diags.strict_count(),
            "diagnostics": render_json(diags),
        });
        print_data(&format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ));
        return exit;
    }
    print_diagnostics(diags, global);
    let p = global.color.for_stderr();
    match diags.strict_count() {
        0 => {}
        1 => eprintln!("1 warning is a key Copilot ignores: it fails under --strict"),
        n => eprintln!("{n} warnings are keys Copilot ignores: they fail under --strict"),
    }
    if exit == Exit::Ok {
        let envs = if envs.is_empty() {
            String::new()
        } else {
            format!(" for {}", envs.join(", "))
        };
        eprintln!(
            "{} {} is valid{envs}",
            p.success("✓"),
            manifest.unwrap_or("the manifest")
        );
    }
    exit
}
