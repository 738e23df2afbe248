//! The first steps of every command: find the files, read, validate.

use super::args::TargetArgs;
use super::target::{self, Target};
use crate::diag::{Diagnostic, Diagnostics};
use crate::manifest::{self, EnvManifest, LoadContext, Service};
use crate::validate::validate;

/// A service manifest loaded for one environment, valid.
pub struct Loaded {
    pub target: Target,
    pub service: Service,
    pub env_manifest: Option<EnvManifest>,
    /// Warnings (there are no errors once loaded).
    pub diags: Diagnostics,
}

pub fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Loads, applies `env`'s overrides and validates; every problem at once.
pub fn load_for_env(args: &TargetArgs, env: &str) -> Result<Loaded, Diagnostics> {
    let target = target::resolve(args).map_err(one)?;
    let (service, env_manifest, diags) = load_target(&target, Some(env));
    match service {
        Some(service) if !diags.has_errors() => Ok(Loaded {
            target,
            service,
            env_manifest,
            diags,
        }),
        _ => Err(diags),
    }
}

fn one(d: Diagnostic) -> Diagnostics {
    let mut ds = Diagnostics::new();
    ds.push(d);
    ds
}

/// Reads and checks the target's manifest for `env` (and the environment's
/// manifest, when the workspace has one).
pub fn load_target(
    target: &Target,
    env: Option<&str>,
) -> (Option<Service>, Option<EnvManifest>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let file = match manifest::read_source(&target.manifest) {
        Ok(f) => f,
        Err(d) => return (None, None, one(d)),
    };
    let root = match manifest::parse_tree(&file) {
        Ok(r) => r,
        Err(d) => return (None, None, one(d)),
    };
    let lookup = env_lookup;
    let cx = LoadContext {
        app: &target.app,
        env,
        lookup: &lookup,
    };
    let (service, d) = manifest::load_service(&file, &root, &cx);
    diags.extend(d.into_vec());
    if let Some(svc) = &service {
        diags.extend(validate(svc).into_vec());
    }
    let mut env_manifest = None;
    if let (Some(env), Some(ws)) = (env, &target.workspace) {
        let path = ws.env_manifest(env);
        if path.is_file() {
            match manifest::read_source(&path) {
                Ok(f) => {
                    let (m, d) = manifest::load_environment(&f, &cx);
                    diags.extend(d.into_vec());
                    env_manifest = m;
                }
                Err(d) => diags.push(d),
            }
        }
    }
    (service, env_manifest, diags)
}

/// The environments `validate` checks when none is given: those with overrides
/// and those with an environment manifest.
pub fn environments_to_check(target: &Target) -> Vec<String> {
    let mut envs: Vec<String> = Vec::new();
    if let Ok(file) = manifest::read_source(&target.manifest)
        && let Ok(root) = manifest::parse_tree(&file)
    {
        envs.extend(manifest::override_names(&root));
    }
    if let Some(ws) = &target.workspace {
        envs.extend(ws.environments());
    }
    envs.sort();
    envs.dedup();
    envs
}
