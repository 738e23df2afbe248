//! The first steps of every command: find the files, read, validate.

use super::args::TargetArgs;
use super::target::{self, Target};
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::manifest::env_files::{EnvFile, read_env_files};
use crate::manifest::{self, EnvManifest, LoadContext, Service};
use crate::render::limits::check_size;
use crate::render::{Facts, render_task_definition};
use crate::validate::{family_problem, name_part_problem, validate};
use crate::yaml::Node;

/// A service manifest loaded for one environment, valid.
pub struct Loaded {
    pub target: Target,
    pub service: Service,
    pub env_manifest: Option<EnvManifest>,
    /// The env files the manifest names, read.
    pub env_files: Vec<EnvFile>,
    /// Warnings (there are no errors once loaded).
    pub diags: Diagnostics,
}

pub fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Loads for `--env`, applies its overrides and validates; every problem at
/// once. `strict`: keys Copilot ignores are errors.
pub fn load_for_env(args: &TargetArgs, strict: bool) -> Result<Loaded, Diagnostics> {
    let target = target::resolve(args).map_err(one)?;
    let (service, env_manifest, mut diags) =
        load_target(&target, Some(args.env()), args.new_env, strict);
    let env_files = match &service {
        Some(svc) if !diags.has_errors() => {
            let (files, d) = read_env_files(svc, &workspace_root(&target));
            diags.extend(d.into_vec());
            files
        }
        _ => Vec::new(),
    };
    match service {
        Some(service) if !diags.has_errors() => Ok(Loaded {
            target,
            service,
            env_manifest,
            env_files,
            diags,
        }),
        _ => Err(diags),
    }
}

/// The directory `env_file` paths are relative to: the one that holds
/// `copilot/`, as for Copilot; without a workspace, the current directory.
pub fn workspace_root(target: &Target) -> std::path::PathBuf {
    target
        .workspace
        .as_ref()
        .and_then(|ws| ws.dir.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_default())
}

fn one(d: Diagnostic) -> Diagnostics {
    Diagnostics::from(vec![d])
}

/// Reads and checks the target's manifest for `env` (and the environment's
/// manifest, when the workspace has one). An environment nothing knows is an
/// error unless `allow_new_env`; with `strict`, so is a key Copilot ignores.
pub fn load_target(
    target: &Target,
    env: Option<&str>,
    allow_new_env: bool,
    strict: bool,
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
    if let Some(env) = env
        && !allow_new_env
        && let Some(d) = unknown_environment(target, &root, env)
    {
        return (None, None, one(d));
    }
    let lookup = env_lookup;
    let cx = LoadContext {
        app: &target.app,
        env,
        lookup: &lookup,
    };
    let (service, d) = manifest::load_service(&file, &root, &cx);
    diags.extend(d.into_vec());
    if strict {
        diags = diags.strict();
    }
    if let (Some(svc), Some(env)) = (&service, env)
        && let Some(d) = bad_env_name(target, env, &svc.name.value)
    {
        diags.push(d);
    }
    if let Some(svc) = &service {
        let checked = validate(svc);
        let renders = !checked.has_errors();
        diags.extend(checked.into_vec());
        // What only the rendered task definition shows, with placeholders
        // where AWS is not asked (no field's shape depends on them):
        // `taskdef_overrides` rules that point at nothing, whenever the rules
        // across fields hold, and its size, when everything else does.
        if renders {
            let facts = Facts::offline(svc, &target.app, env.unwrap_or("test"), None, None, None);
            let td = render_task_definition(svc, &facts);
            if !svc.taskdef_overrides.is_empty() {
                let (_, refused) = crate::render::document::registration(&td, svc);
                diags.extend(refused.into_vec());
            }
            if !diags.has_errors() {
                diags.extend(check_size(svc, &td));
            }
        }
    }
    let mut env_manifest = None;
    if let (Some(env), Some(ws)) = (env, &target.workspace) {
        let path = ws.env_manifest(env);
        if path.is_file() {
            match manifest::read_source(&path) {
                Ok(f) => {
                    let (m, d) = manifest::load_environment(&f, &cx);
                    diags.extend(if strict { d.strict() } else { d }.into_vec());
                    env_manifest = m;
                }
                Err(d) => diags.push(d),
            }
        }
    }
    (service, env_manifest, diags)
}

/// The environments the workspace knows: the manifest's `environments:` and
/// `copilot/environments/`.
fn known_environments(target: &Target, root: &Node) -> Vec<String> {
    let mut envs = manifest::override_names(root);
    if let Some(ws) = &target.workspace {
        envs.extend(ws.environments());
    }
    envs.sort();
    envs.dedup();
    envs
}

/// `--env` cannot be part of AWS names (the application's name is checked
/// where it is read): said before anything is asked of AWS, not by IAM
/// halfway through a deploy.
fn bad_env_name(target: &Target, env: &str, svc: &str) -> Option<Diagnostic> {
    let (message, help) = match name_part_problem("environment", env) {
        Some(m) => (
            m,
            "--env is part of the task definition family {app}-{env}-{svc}, the roles and the log group",
        ),
        None => (
            family_problem(&crate::names::copilot::family(&target.app, env, svc))?,
            "the family is {app}-{env}-{svc}: a shorter application, environment or service name makes it fit",
        ),
    };
    Some(
        Diagnostic::error("bad-env", message)
            .in_file(&crate::diag::SourceFile::new(
                manifest::display_path(&target.manifest),
                "",
            ))
            .help(help),
    )
}

/// `--env` names an environment nothing in the workspace knows: a typo, or a
/// new environment (which `--new-env` says it is). When nothing names any
/// environment at all, there is nothing to check against.
fn unknown_environment(target: &Target, root: &Node, env: &str) -> Option<Diagnostic> {
    let known = known_environments(target, root);
    if known.is_empty() || known.iter().any(|k| k == env) {
        return None;
    }
    let d = Diagnostic::error(
        "unknown-env",
        format!(
            "environment \"{env}\" is not known: neither the manifest's environments: nor copilot/environments/ names it"
        ),
    )
    .in_file(&crate::diag::SourceFile::new(
        manifest::display_path(&target.manifest),
        "",
    ));
    Some(match did_you_mean(env, known.iter().map(String::as_str)) {
        Some(s) => d.help(format!(
            "did you mean \"{s}\"? For a new environment, pass --new-env"
        )),
        None => d.help(format!(
            "environments here: {}; for a new environment, pass --new-env",
            known.join(", ")
        )),
    })
}

/// `--env` for a command that reads no manifest values (`adopt`): a name
/// the workspace does not know is refused as `deploy` refuses it (unless
/// `allow_new_env`), and so is one AWS cannot name things after.
pub fn check_env(target: &Target, env: &str, allow_new_env: bool) -> Option<Diagnostic> {
    let root = manifest::read_source(&target.manifest)
        .and_then(|f| manifest::parse_tree(&f))
        .ok();
    if let Some(root) = &root
        && !allow_new_env
        && let Some(d) = unknown_environment(target, root, env)
    {
        return Some(d);
    }
    let svc = target
        .manifest
        .parent()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    bad_env_name(target, env, &svc)
}

/// The environments `validate` checks when none is given.
pub fn environments_to_check(target: &Target) -> Vec<String> {
    match manifest::read_source(&target.manifest).and_then(|f| manifest::parse_tree(&f)) {
        Ok(root) => known_environments(target, &root),
        Err(_) => target
            .workspace
            .as_ref()
            .map(|w| w.environments())
            .unwrap_or_default(),
    }
}

/// Where the loaded service runs in `env`, found as `deploy` finds it
/// (Copilot's stacks, adopt's record, the tags), for `status` and `run`.
pub async fn locate_loaded(
    aws: &crate::aws::Aws,
    loaded: &Loaded,
    env: &str,
    cluster: Option<&str>,
) -> Result<crate::resolve::lookup::Located, crate::aws::AwsError> {
    let app = &loaded.target.app;
    let name = crate::deploy::service_name(&loaded.service);
    let who = crate::model::Who {
        app,
        env,
        svc: &name,
    };
    let default_cluster = cluster.map_or_else(|| format!("{app}-{env}"), str::to_string);
    crate::resolve::lookup::locate(aws, who, cluster, &default_cluster, &name).await
}
