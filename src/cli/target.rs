//! From `SVC` or `--manifest PATH` (and `--app`) to the files to read.

use std::path::PathBuf;

use super::args::TargetArgs;
use crate::diag::{Diagnostic, did_you_mean};
use crate::manifest::{Workspace, display_path};

#[derive(Clone, Debug)]
pub struct Target {
    pub workspace: Option<Workspace>,
    pub manifest: PathBuf,
    pub app: String,
}

pub fn resolve(args: &TargetArgs) -> Result<Target, Diagnostic> {
    let cwd = std::env::current_dir()
        .map_err(|e| Diagnostic::error("cwd", format!("cannot read the current directory: {e}")))?;
    let (workspace, manifest) = match (&args.manifest, &args.svc) {
        (Some(path), _) => {
            let path = if path.is_absolute() {
                path.clone()
            } else {
                cwd.join(path)
            };
            (Workspace::of_manifest(&path), path)
        }
        (None, svc) => {
            let ws = Workspace::find(&cwd).ok_or_else(|| {
                Diagnostic::error("no-workspace", "no copilot/ directory here or above")
                    .help("run from your Copilot workspace, or give --manifest PATH")
            })?;
            let services = ws.services();
            let name = match svc {
                Some(s) => s.clone(),
                None => match services.as_slice() {
                    [only] => only.clone(),
                    [] => {
                        return Err(Diagnostic::error(
                            "no-service",
                            format!("no service manifests under {}", display_path(&ws.dir)),
                        )
                        .help("a service lives in copilot/{svc}/manifest.yml"));
                    }
                    many => {
                        return Err(Diagnostic::error(
                            "which-service",
                            "which service? give its name",
                        )
                        .help(format!("services here: {}", many.join(", "))));
                    }
                },
            };
            let path = ws.service_manifest(&name);
            if !path.is_file() {
                let d = Diagnostic::error(
                    "unknown-service",
                    format!("no service \"{name}\" in {}", display_path(&ws.dir)),
                );
                let d = match did_you_mean(&name, services.iter().map(String::as_str)) {
                    Some(s) => d.help(format!("did you mean \"{s}\"?")),
                    None if services.is_empty() => d.help("there are no service manifests here"),
                    None => d.help(format!("services here: {}", services.join(", "))),
                };
                return Err(d);
            }
            (Some(ws), path)
        }
    };
    let app = match (&args.app, &workspace) {
        (Some(a), _) => a.clone(),
        (None, Some(ws)) => ws.app_name().ok_or_else(|| {
            Diagnostic::error(
                "no-app",
                format!(
                    "no application name in {}",
                    display_path(&ws.dir.join(".workspace"))
                ),
            )
            .help("pass --app, or write `application: NAME` in copilot/.workspace")
        })?,
        (None, None) => {
            return Err(Diagnostic::error("no-app", "no application name")
                .help("pass --app, or run inside a Copilot workspace (copilot/.workspace)"));
        }
    };
    if app.is_empty() || !crate::validate::name_chars_ok(&app) {
        return Err(Diagnostic::error(
            "bad-app",
            format!("\"{app}\" is not a valid application name"),
        )
        .help("use letters, digits, '-' and '_'"));
    }
    Ok(Target {
        workspace,
        manifest,
        app,
    })
}
