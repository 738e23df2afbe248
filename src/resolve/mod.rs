//! Resolving what a manifest points at: which images, secrets, registry
//! credentials, file systems and roles a deploy must find in AWS
//! ([`questions`]), and what the answers mean ([`interpret`]): the facts to
//! render with, or every missing thing at once with its manifest position.
//!
//! Both are pure; the concurrent lookups that get the answers live in
//! `lookup` (the `cli` feature).

#[cfg(feature = "cli")]
pub mod lookup;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::manifest::addons::Addons;
use crate::manifest::{FIRELENS_CONTAINER, SecretRef, Service};
use crate::names::{self, Arn, EcrImage, RoleNames, arn, copilot};
use crate::render::Facts;
use crate::render::addons::{RenderedPolicy, render_addon_policies};
use crate::render::facts::declared_images;
use crate::state::{
    AccessPoint, Current, FileSystem, IamState, Identity, LogGroup, Registered, ServiceState,
};
use crate::yaml::Pos;

/// Which roles the task uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Roles {
    /// sidecarctl creates and updates them.
    Managed(RoleNames),
    /// Managed elsewhere: used as given, no IAM reads or writes.
    Given { execution: String, task: String },
}

/// What to resolve.
pub struct Request<'a> {
    pub svc: &'a Service,
    pub app: &'a str,
    pub env: &'a str,
    pub cluster: &'a str,
    pub service_name: &'a str,
    /// For `image.build`.
    pub image_tag: Option<&'a str>,
    /// Pin ECR images to their digests.
    pub pin: bool,
    pub roles: &'a Roles,
    pub addons: &'a Addons,
    /// The region requests go to.
    pub region: &'a str,
}

/// How an image is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageLookup {
    /// In ECR, in the deploy's region: `DescribeImages`.
    Ecr {
        registry: String,
        repository: String,
        reference: String,
        base: String,
    },
    /// `image.build`: the service's repository at `--image-tag`.
    Build { repository: String, tag: String },
    /// Another registry, or ECR in another region: used as written.
    Elsewhere,
}

/// One container's image, where the manifest declares it.
#[derive(Clone, Debug)]
pub struct ImageCheck {
    pub container: String,
    pub declared: String,
    pub lookup: ImageLookup,
    pub pos: Pos,
    pub path: String,
}

/// Everything a deploy must look up, deduplicated.
#[derive(Clone, Debug)]
pub struct Questions {
    pub family: String,
    pub log_group: String,
    pub images: Vec<ImageCheck>,
    /// Secrets Manager secrets by name or (partial) ARN, credentials included.
    pub secrets: BTreeSet<String>,
    /// SSM parameters by name.
    pub parameters: BTreeSet<String>,
    pub file_systems: BTreeSet<String>,
    pub access_points: BTreeSet<String>,
}

/// What the lookups found.
#[derive(Clone, Debug)]
pub struct Answers {
    pub identity: Identity,
    pub service: Option<ServiceState>,
    /// The family's latest revision.
    pub latest: Option<Registered>,
    pub cluster_active: bool,
    /// Per image check, in order: the digest found, and for `image.build` the
    /// repository's URI.
    pub images: Vec<(Option<String>, Option<String>)>,
    /// Secret name or partial ARN → its full ARN, when it exists.
    pub secrets: BTreeMap<String, String>,
    /// The SSM parameters that exist.
    pub parameters: BTreeSet<String>,
    pub file_systems: BTreeMap<String, FileSystem>,
    pub access_points: BTreeMap<String, AccessPoint>,
    pub iam: Option<IamState>,
    pub log_group: Option<LogGroup>,
}

/// Everything a deploy knows once resolved.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub facts: Facts,
    /// Container → image digest, for the images found in ECR.
    pub digests: BTreeMap<String, String>,
    /// Add-on policies with the ARN each gets.
    pub addon_policies: Vec<(RenderedPolicy, String)>,
    /// The roles sidecarctl manages, if it does.
    pub managed_roles: Option<RoleNames>,
    pub current: Current,
}

#[derive(Debug)]
pub enum ResolveError {
    /// Things the manifest points at that do not exist.
    Missing(Diagnostics),
    /// Problems only visible with the account in hand (add-on templates).
    Invalid(Diagnostics),
}

/// What a request must look up.
pub fn questions(req: &Request) -> Questions {
    let svc = req.svc;
    let refs = svc.secret_refs();
    let secrets = refs
        .iter()
        .filter_map(|r| match &r.value {
            SecretRef::SecretsManagerName(n) => Some(arn::split_secret_suffix(n).0.to_string()),
            SecretRef::Arn(a) if arn::is_arn_of(a, "secretsmanager") => {
                Some(arn::split_secret_arn(a).0)
            }
            _ => None,
        })
        .chain(svc.credentials().into_iter().map(|c| c.value.clone()))
        .collect();
    let parameters = refs
        .iter()
        .filter_map(|r| match &r.value {
            SecretRef::SsmName(n) => Some(n.clone()),
            SecretRef::Arn(a) => local_parameter(a, req.region),
            _ => None,
        })
        .collect();
    let efs: Vec<_> = svc
        .storage
        .volumes
        .values()
        .filter_map(|v| v.efs.as_ref().filter(|e| !e.managed))
        .collect();
    Questions {
        family: names::family(req.app, req.env, &svc.name),
        log_group: names::log_group(req.app, req.env, &svc.name),
        images: image_checks(req),
        secrets,
        parameters,
        file_systems: efs
            .iter()
            .filter_map(|e| e.id.as_ref().map(|i| i.value.clone()))
            .collect(),
        access_points: efs
            .iter()
            .filter_map(|e| e.access_point_id.as_ref().map(|i| i.value.clone()))
            .collect(),
    }
}

/// The name of an SSM parameter ARN in `region` (others are used as written).
fn local_parameter(a: &str, region: &str) -> Option<String> {
    let parsed = Arn::parse(a)?;
    (parsed.service == "ssm" && parsed.region == region)
        .then(|| arn::ssm_parameter_name(a))
        .flatten()
}

fn image_checks(req: &Request) -> Vec<ImageCheck> {
    let svc = req.svc;
    let placeholder = Facts::offline(svc, req.app, req.env, None, None, req.image_tag);
    let tag = req.image_tag.unwrap_or("latest");
    let mut out = Vec::new();
    for (container, image) in declared_images(svc, &placeholder, tag) {
        let (pos, path) = if container == svc.name.value {
            match (&svc.image.location, &svc.image.build) {
                (Some(l), _) => (l.pos, l.path.clone()),
                (None, Some(b)) => (b.pos, b.path.clone()),
                _ => (svc.image.pos, "image".to_string()),
            }
        } else if container == FIRELENS_CONTAINER {
            let l = svc.logging.as_ref();
            match l.and_then(|l| l.image.as_ref()) {
                Some(i) => (i.pos, i.path.clone()),
                None => (l.map(|l| l.pos).unwrap_or_default(), "logging".to_string()),
            }
        } else {
            match svc.sidecars.get(&container).and_then(|s| s.image.as_ref()) {
                Some(i) => (i.pos, i.path.clone()),
                None => (Pos::default(), format!("sidecars.{container}.image")),
            }
        };
        let lookup = if container == svc.name.value && svc.image.location.is_none() {
            ImageLookup::Build {
                repository: copilot::build_repository(req.app, &svc.name),
                tag: tag.to_string(),
            }
        } else {
            match EcrImage::parse(&image) {
                Some(e) if e.region == req.region => ImageLookup::Ecr {
                    base: EcrImage::base(&image).to_string(),
                    registry: e.account,
                    repository: e.repository,
                    reference: e.reference,
                },
                _ => ImageLookup::Elsewhere,
            }
        };
        out.push(ImageCheck {
            container,
            declared: image,
            lookup,
            pos,
            path,
        });
    }
    out
}

/// Missing things, each at its place in the manifest.
struct Missing<'a> {
    file: &'a Arc<SourceFile>,
    diags: Diagnostics,
}

impl Missing<'_> {
    fn at(&mut self, message: String, pos: Pos, path: &str, help: Option<&str>) {
        let mut d = Diagnostic::error("missing", message)
            .at(self.file, pos)
            .field(path);
        d.help = help.map(str::to_string);
        self.diags.push(d);
    }
}

/// What the answers mean: the facts to render with, or everything missing.
/// `current.td` is left to the caller when the service runs an older revision
/// than the family's latest ([`current_to_fetch`]).
pub fn interpret(req: &Request, q: &Questions, a: Answers) -> Result<Resolved, ResolveError> {
    let svc = req.svc;
    let mut missing = Missing {
        file: &svc.file,
        diags: Diagnostics::new(),
    };
    if !a.cluster_active {
        missing.diags.push(
            Diagnostic::error(
                "missing",
                format!(
                    "ECS cluster {} does not exist in {}",
                    req.cluster, req.region
                ),
            )
            .help("create it (Copilot's environment stack did), or pass --cluster NAME"),
        );
    }
    let mut facts = Facts {
        app: req.app.to_string(),
        env: req.env.to_string(),
        account: a.identity.account.clone(),
        region: req.region.to_string(),
        partition: a.identity.partition.clone(),
        execution_role_arn: String::new(),
        task_role_arn: String::new(),
        images: BTreeMap::new(),
        secret_arns: BTreeMap::new(),
        credential_arns: BTreeMap::new(),
    };
    let digests = images(req, q, &a, &mut facts, &mut missing);
    secrets(req, &a, &mut facts, &mut missing);
    file_systems(req, &a, &mut missing);
    if !missing.diags.is_empty() {
        return Err(ResolveError::Missing(missing.diags));
    }

    let (execution, task) = match req.roles {
        Roles::Managed(n) => (
            arn::role(&facts.partition, &facts.account, &n.execution),
            arn::role(&facts.partition, &facts.account, &n.task),
        ),
        Roles::Given { execution, task } => (execution.clone(), task.clone()),
    };
    facts.execution_role_arn = execution;
    facts.task_role_arn = task;
    let addon_policies = match req.roles {
        Roles::Managed(_) => render_addon_policies(req.addons, &facts, &svc.name)
            .map_err(|e| ResolveError::Invalid(Diagnostics::from(e)))?
            .into_iter()
            .map(|p| {
                let arn = p.arn(&facts);
                (p, arn)
            })
            .collect(),
        Roles::Given { .. } => Vec::new(),
    };
    let td = a.latest.clone().filter(|l| {
        a.service
            .as_ref()
            .is_some_and(|s| s.task_definition == l.arn)
    });
    Ok(Resolved {
        facts,
        digests,
        addon_policies,
        managed_roles: match req.roles {
            Roles::Managed(n) => Some(n.clone()),
            Roles::Given { .. } => None,
        },
        current: Current {
            service: a.service,
            td,
            latest: a.latest,
            log_group: a.log_group,
            iam: a.iam,
        },
    })
}

/// The service's task definition when it is not the family's latest (one more
/// read, to diff against).
pub fn current_to_fetch(r: &Resolved) -> Option<&str> {
    let current = r
        .current
        .service
        .as_ref()
        .map(|s| s.task_definition.as_str())
        .filter(|a| !a.is_empty())?;
    (r.current.td.is_none()).then_some(current)
}

fn images(
    req: &Request,
    q: &Questions,
    a: &Answers,
    facts: &mut Facts,
    missing: &mut Missing,
) -> BTreeMap<String, String> {
    let mut digests = BTreeMap::new();
    for (check, (digest, repo_uri)) in q.images.iter().zip(&a.images) {
        let deployed = match &check.lookup {
            ImageLookup::Build { repository, tag } => match (repo_uri, digest) {
                (Some(uri), Some(d)) if req.pin => format!("{uri}@{d}"),
                (Some(uri), Some(_)) => format!("{uri}:{tag}"),
                (None, _) => {
                    missing.at(
                        format!("ECR repository {repository} does not exist"),
                        check.pos,
                        &check.path,
                        Some("image.build deploys the image Copilot pushed to {app}/{svc}: push it there, or give image.location"),
                    );
                    continue;
                }
                (Some(_), None) => {
                    missing.at(
                        format!("image {repository}:{tag} does not exist in ECR"),
                        check.pos,
                        &check.path,
                        Some("push it, or pass the --image-tag that was pushed"),
                    );
                    continue;
                }
            },
            ImageLookup::Ecr {
                repository,
                reference,
                base,
                ..
            } => match digest {
                Some(d) if req.pin => format!("{base}@{d}"),
                Some(_) => check.declared.clone(),
                None => {
                    missing.at(
                        format!("image {repository}:{reference} does not exist in ECR"),
                        check.pos,
                        &check.path,
                        None,
                    );
                    continue;
                }
            },
            ImageLookup::Elsewhere => check.declared.clone(),
        };
        if let Some(d) = digest {
            digests.insert(check.container.clone(), d.clone());
        }
        facts.images.insert(check.container.clone(), deployed);
    }
    digests
}

fn secrets(req: &Request, a: &Answers, facts: &mut Facts, missing: &mut Missing) {
    let svc = req.svc;
    for r in svc.secret_refs() {
        match &r.value {
            SecretRef::SsmName(n) => {
                if a.parameters.contains(n) {
                    facts.secret_arns.insert(
                        r.value.clone(),
                        arn::ssm_parameter(&facts.partition, &facts.region, &facts.account, n),
                    );
                } else {
                    missing.at(
                        format!("SSM parameter {n} does not exist"),
                        r.pos,
                        &r.path,
                        Some("create it (aws ssm put-parameter), or write {secretsmanager: NAME} for a Secrets Manager secret"),
                    );
                }
            }
            SecretRef::SecretsManagerName(n) => {
                let (name, suffix) = arn::split_secret_suffix(n);
                match a.secrets.get(name) {
                    Some(full) => {
                        facts
                            .secret_arns
                            .insert(r.value.clone(), format!("{full}{suffix}"));
                    }
                    None => missing.at(
                        format!("Secrets Manager secret {name} does not exist"),
                        r.pos,
                        &r.path,
                        None,
                    ),
                }
            }
            SecretRef::Arn(v) if arn::is_arn_of(v, "secretsmanager") => {
                let (own, suffix) = arn::split_secret_arn(v);
                match a.secrets.get(&own) {
                    Some(full) => {
                        facts
                            .secret_arns
                            .insert(r.value.clone(), format!("{full}{suffix}"));
                    }
                    None => missing.at(
                        format!("Secrets Manager secret {own} does not exist"),
                        r.pos,
                        &r.path,
                        None,
                    ),
                }
            }
            SecretRef::Arn(v) => {
                if let Some(name) = local_parameter(v, req.region)
                    && !a.parameters.contains(&name)
                {
                    missing.at(
                        format!("SSM parameter {name} does not exist"),
                        r.pos,
                        &r.path,
                        None,
                    );
                }
            }
        }
    }
    for c in svc.credentials() {
        match a.secrets.get(&c.value) {
            Some(full) => {
                facts.credential_arns.insert(c.value.clone(), full.clone());
            }
            None => missing.at(
                format!("registry credentials secret {} does not exist", c.value),
                c.pos,
                &c.path,
                Some("create a Secrets Manager secret with {\"username\": ..., \"password\": ...}"),
            ),
        }
    }
}

fn file_systems(req: &Request, a: &Answers, missing: &mut Missing) {
    for e in req
        .svc
        .storage
        .volumes
        .values()
        .filter_map(|v| v.efs.as_ref().filter(|e| !e.managed))
    {
        let Some(id) = &e.id else { continue };
        match a.file_systems.get(&id.value) {
            None => missing.at(
                format!(
                    "EFS file system {} does not exist in {}",
                    id.value, req.region
                ),
                id.pos,
                &id.path,
                None,
            ),
            Some(f) if f.state != "available" => missing.at(
                format!("EFS file system {} is {}, not available", id.value, f.state),
                id.pos,
                &id.path,
                None,
            ),
            _ => {}
        }
        let Some(ap_id) = &e.access_point_id else {
            continue;
        };
        match a.access_points.get(&ap_id.value) {
            None => missing.at(
                format!("EFS access point {} does not exist", ap_id.value),
                ap_id.pos,
                &ap_id.path,
                None,
            ),
            Some(ap) if ap.file_system_id != id.value => missing.at(
                format!(
                    "EFS access point {} belongs to file system {}, not {}",
                    ap_id.value, ap.file_system_id, id.value
                ),
                ap_id.pos,
                &ap_id.path,
                None,
            ),
            Some(ap) if !ap.state.is_empty() && ap.state != "available" => missing.at(
                format!(
                    "EFS access point {} is {}, not available",
                    ap_id.value, ap.state
                ),
                ap_id.pos,
                &ap_id.path,
                None,
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
