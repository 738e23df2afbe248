//! Resolving what a manifest points at: which images, secrets, registry
//! credentials, file systems and roles a deploy must find in AWS
//! ([`questions`]), and what the answers mean ([`interpret`]): the facts to
//! render with, or every missing thing at once with its manifest position.
//!
//! Both are pure; the concurrent lookups that get the answers live in
//! `lookup` (the `cli` feature).

mod addons;
#[cfg(feature = "cli")]
pub mod lookup;
mod messaging;

pub use crate::model::{ACCESS_POINT_TO_CREATE, Resolved};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::manifest::ServiceType;
use crate::manifest::addons::Addons;
use crate::manifest::from_cfn::{ExportUse, export_of};
use crate::manifest::{FIRELENS_CONTAINER, SecretRef, Service};
use crate::model::{self, Placement};
use crate::names::copilot::{ManagedAccessPoint, managed_access_point};
use crate::names::{self, Arn, EcrImage, RoleNames, arn, copilot};
use crate::render::facts::declared_images;
use crate::render::{Facts, ManagedEfs};
use crate::state::stack::Stack;
use crate::state::{
    AccessPoint, Current, FileSystem, IamState, Identity, ImageFound, LogGroup, Registered,
    ServiceState,
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
#[derive(Clone, Copy)]
pub struct Request<'a> {
    pub svc: &'a Service,
    pub app: &'a str,
    pub env: &'a str,
    /// `--cluster`, or the default `{app}-{env}` when Copilot's stacks name none.
    pub cluster: &'a str,
    /// Whether `--cluster` was given (it then wins over Copilot's stacks).
    pub cluster_given: bool,
    /// The default ECS service name, when Copilot's stacks name none.
    pub service_name: &'a str,
    /// For `image.build`.
    pub image_tag: Option<&'a str>,
    /// Pin ECR images to their digests.
    pub pin: bool,
    pub roles: &'a Roles,
    pub addons: &'a Addons,
    /// The env files the manifest names, read.
    pub env_files: &'a [crate::manifest::env_files::EnvFile],
    /// The region requests go to.
    pub region: &'a str,
    /// sidecarctl manages the load balancer's target groups and rules (no
    /// `--target-group-arn`).
    pub manage_lb: bool,
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
    /// The service's autoscaling, read when the manifest autoscales.
    pub scaling: Option<crate::state::Scaling>,
    /// For an `efs: true` volume: the service's access point on the
    /// environment's managed file system, when it exists.
    pub managed_access_point: Option<String>,
    /// `from_cfn` exports the manifest uses that CloudFormation does not have.
    pub missing_exports: Vec<ExportUse>,
    /// Where the service runs, from the flags and Copilot's stacks.
    pub placement: Placement,
    pub identity: Identity,
    pub service: Option<ServiceState>,
    /// The family's latest revision.
    pub latest: Option<Registered>,
    pub cluster_active: bool,
    /// Per image check, in order: what ECR says (`None` for images elsewhere).
    pub images: Vec<Option<ImageFound>>,
    /// Secret name or partial ARN → its full ARN, when it exists.
    pub secrets: BTreeMap<String, String>,
    /// The SSM parameters that exist.
    pub parameters: BTreeSet<String>,
    pub file_systems: BTreeMap<String, FileSystem>,
    pub access_points: BTreeMap<String, AccessPoint>,
    pub iam: Option<IamState>,
    pub log_group: Option<LogGroup>,
    /// The service's target groups and its listeners' rules, read when the
    /// environment stack gives the listeners the manifest's `http` uses.
    pub lb: Option<crate::state::lb::LbState>,
    /// The network load balancer's resources, read when the manifest has `nlb`.
    pub nlb: Option<crate::state::lb::NlbState>,
    /// The service's Cloud Map service, read when the environment has a namespace.
    pub discovery: Option<crate::state::DiscoveryService>,
    /// `http.alb`'s load balancer, when it exists.
    pub imported_alb: Option<crate::state::lb::ImportedAlb>,
    /// The queues of Copilot's service stack, read for `count.queue_delay`.
    pub queues: Vec<String>,
    /// The add-ons stacks Copilot deployed for the service (by id), each with
    /// its outputs and template when it could be read.
    pub addon_stacks: Vec<(String, Option<(Stack, String)>)>,
    /// sidecarctl's add-ons stack, when the service has add-ons and Copilot
    /// deployed none (`Some(None)`: not there yet).
    pub own_addons: Option<Option<Stack>>,
    /// Where the env files go, when the manifest has any.
    pub env_files: Option<crate::state::EnvFileStore>,
    /// The service's topics, queues and subscriptions, when it has any.
    pub messaging: Option<crate::state::messaging::Messaging>,
    /// Copilot's rollback alarms of the service that exist.
    pub alarms: Vec<crate::state::alarm::Alarm>,
    /// A Scheduled Job's schedule and scheduler role.
    pub job: Option<crate::state::job::JobState>,
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
            SecretRef::SsmName(n) if export_of(n).is_none() => Some(n.clone()),
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
            .filter(|id| export_of(id).is_none())
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
            let sc = svc.sidecars.get(&container);
            match (
                sc.and_then(|s| s.image.as_ref()),
                sc.and_then(|s| s.build.as_ref()),
            ) {
                (Some(i), _) => (i.pos, i.path.clone()),
                (None, Some(b)) => (b.pos, b.path.clone()),
                _ => (Pos::default(), format!("sidecars.{container}.image")),
            }
        };
        // A sidecar's build goes to the service's repository as
        // `{container}-{tag}`, as Copilot pushes it.
        let sidecar_build = svc
            .sidecars
            .get(&container)
            .is_some_and(|s| s.image.is_none() && s.build.is_some());
        let lookup = if container == svc.name.value && svc.image.location.is_none() {
            ImageLookup::Build {
                repository: copilot::build_repository(req.app, &svc.name),
                tag: tag.to_string(),
            }
        } else if sidecar_build {
            ImageLookup::Build {
                repository: copilot::build_repository(req.app, &svc.name),
                tag: format!("{container}-{tag}"),
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

/// What the service's own reads already tell: the account and partition (from
/// the service's or the family's ARN), and that the cluster is usable (ECS
/// deletes no cluster that still has a service). `None` where only another
/// read can tell: the cluster's state and, for a family never registered, the
/// caller's identity.
pub fn known_from(
    service: Option<&ServiceState>,
    latest: Option<&Registered>,
) -> (Option<Identity>, Option<bool>) {
    let identity = service
        .map(|s| s.arn.as_str())
        .into_iter()
        .chain(latest.map(|l| l.arn.as_str()))
        .find_map(Arn::parse)
        .filter(|a| !a.account.is_empty())
        .map(|a| Identity {
            account: a.account.to_string(),
            partition: a.partition.to_string(),
        });
    (identity, service.is_some().then_some(true))
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
    for u in &a.missing_exports {
        missing.at(
            format!(
                "CloudFormation export {} does not exist in {}",
                u.export, req.region
            ),
            u.pos,
            &format!("{}.from_cfn", u.path),
            Some("from_cfn names an export of a stack in the deploy's region (aws cloudformation list-exports)"),
        );
    }
    if let Some(alb) = svc.http.as_ref().and_then(|h| h.alb.as_ref())
        && a.imported_alb.is_none()
    {
        missing.at(
            format!(
                "application load balancer {} does not exist in {}",
                alb.value, req.region
            ),
            alb.pos,
            &alb.path,
            Some(
                "http.alb names a load balancer by name or ARN (aws elbv2 describe-load-balancers)",
            ),
        );
    }
    if !a.cluster_active {
        missing.diags.push(
            Diagnostic::error(
                "missing",
                format!(
                    "ECS cluster {} does not exist in {}",
                    a.placement.cluster, req.region
                ),
            )
            .help("create it (Copilot's environment stack did), or pass --cluster NAME"),
        );
    }
    let facts = Facts {
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
        // An imported load balancer's DNS name, as Copilot sets it; else the environment's.
        lb_dns: match &a.imported_alb {
            Some(alb) => Some(alb.dns_name.clone()),
            None => a.placement.environment.as_ref().and_then(|e| {
                let http_on = svc.http.as_ref().is_none_or(|h| h.enabled);
                let lbws = svc.kind.value == ServiceType::LoadBalancedWebService && http_on;
                let backend = svc.kind.value == ServiceType::BackendService
                    && svc.http.as_ref().is_some_and(|h| h.enabled);
                model::lb_dns(e, lbws, backend)
            }),
        },
        managed_efs: None,
        addon_outputs: Default::default(),
        env_files: None,
        messaging: Default::default(),
    };
    let found = a
        .env_files
        .as_ref()
        .map(|s| (s.bucket.as_str(), s.copilot_kms_key.as_deref()));
    let mut facts = facts.with_env_files(req.env_files, found);
    let mut stacks = a.addon_stacks.clone();
    // Its outputs, once it holds what a creation made.
    let complete = |s: &Stack| {
        !matches!(
            s.status.as_str(),
            "REVIEW_IN_PROGRESS" | "ROLLBACK_COMPLETE"
        )
    };
    if let (Some(Some(own)), Some(t)) = (&a.own_addons, &req.addons.template)
        && complete(own)
    {
        stacks.push((own.name.clone(), Some((own.clone(), t.to_string()))));
    }
    facts.addon_outputs = addons::addon_outputs(req, &stacks, &mut missing);
    let create_access_point = managed_efs(req, &a, &mut facts, &mut missing);
    let digests = images(req, q, &a, &mut facts, &mut missing);
    secrets(req, &a, &mut facts, &mut missing);
    file_systems(req, &a, &mut missing);
    messaging::messaging(req, &a, &mut facts, &mut missing);
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
    let addons = addons::managed(req, &a, &facts).map_err(ResolveError::Invalid)?;
    let running = match &a.service {
        Some(s) => Some(s.task_definition.as_str()),
        None => a
            .job
            .as_ref()
            .and_then(crate::state::job::JobState::task_definition),
    };
    let td = a.latest.clone().filter(|l| running == Some(l.arn.as_str()));
    Ok(Resolved {
        facts,
        digests,
        addons,
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
            scaling: a.scaling,
            lb: a.lb,
            nlb: a.nlb,
            discovery: a.discovery,
            alarms: a.alarms,
            job: a.job,
        },
        placement: a.placement,
        service: None,
        create_access_point,
        imported_alb: a.imported_alb,
        queues: a.queues,
        env_files: a.env_files,
        messaging: a.messaging,
    })
}

/// What the service's POSIX user on its managed file system is.
pub fn wanted_access_point(req: &Request) -> Option<ManagedAccessPoint> {
    let (_, efs) = req.svc.managed_volume()?;
    Some(managed_access_point(
        req.app,
        req.env,
        &req.svc.name,
        efs.uid.as_ref().map(|u| u.value),
        efs.gid.as_ref().map(|g| g.value),
    ))
}

/// `efs: true`: the environment's managed file system, and the service's
/// access point on it (to create when missing).
fn managed_efs(
    req: &Request,
    a: &Answers,
    facts: &mut Facts,
    missing: &mut Missing,
) -> Option<(String, ManagedAccessPoint)> {
    let (name, efs) = req.svc.managed_volume()?;
    let want = wanted_access_point(req)?;
    let env = a.placement.environment.as_ref();
    let Some(fs) = env.and_then(|e| e.managed_file_system.clone()) else {
        missing.at(
            format!(
                "volume \"{name}\" uses the environment's managed file system (efs: true), but {} has none",
                match env {
                    Some(_) => format!("the stack {}", copilot::env_stack(req.app, req.env)),
                    None => format!("there is no environment stack {}", copilot::env_stack(req.app, req.env)),
                }
            ),
            efs.pos,
            &efs.path,
            Some("Copilot's environment stack creates it (output ManagedFileSystemID) when a service asks for it; or give the file system: efs: { id: fs-... }"),
        );
        return None;
    };
    let (ap, create) = match &a.managed_access_point {
        Some(id) => (id.clone(), None),
        None => (ACCESS_POINT_TO_CREATE.to_string(), Some((fs.clone(), want))),
    };
    facts.managed_efs = Some(ManagedEfs {
        file_system_id: fs,
        access_point_id: ap,
    });
    create
}

/// The service's task definition when it is not the family's latest (one more
/// read, to diff against).
pub fn current_to_fetch(r: &Resolved) -> Option<&str> {
    let current = r.current.running_task_definition()?;
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
    for (check, found) in q.images.iter().zip(&a.images) {
        let digest = match found {
            Some(ImageFound::Image { digest, .. }) => Some(digest),
            _ => None,
        };
        let deployed = match (&check.lookup, found) {
            (
                ImageLookup::Build { repository, tag },
                Some(ImageFound::Image { digest, registry }),
            ) => {
                // As ECR names it (its DescribeRepositories would say the same).
                let uri = names::image::ecr_uri(
                    registry,
                    &facts.region,
                    facts.dns_suffix(),
                    repository,
                    tag,
                );
                if req.pin {
                    format!("{}@{digest}", EcrImage::base(&uri))
                } else {
                    uri
                }
            }
            (ImageLookup::Build { repository, .. }, Some(ImageFound::NoSuchRepository)) => {
                missing.at(
                    format!("ECR repository {repository} does not exist"),
                    check.pos,
                    &check.path,
                    Some("image.build deploys the image Copilot pushed to {app}/{svc}: push it there, or give image.location"),
                );
                continue;
            }
            (ImageLookup::Build { repository, tag }, _) => {
                missing.at(
                    format!("image {repository}:{tag} does not exist in ECR"),
                    check.pos,
                    &check.path,
                    Some("push it, or pass the --image-tag that was pushed"),
                );
                continue;
            }
            (ImageLookup::Ecr { base, .. }, Some(ImageFound::Image { digest, .. })) => {
                if req.pin {
                    format!("{base}@{digest}")
                } else {
                    check.declared.clone()
                }
            }
            (
                ImageLookup::Ecr {
                    repository,
                    reference,
                    ..
                },
                _,
            ) => {
                missing.at(
                    format!("image {repository}:{reference} does not exist in ECR"),
                    check.pos,
                    &check.path,
                    None,
                );
                continue;
            }
            (ImageLookup::Elsewhere, _) => check.declared.clone(),
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
            // An export that is missing: said once, above.
            SecretRef::SsmName(n) if export_of(n).is_some() => {}
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
        let Some(id) = e.id.as_ref().filter(|i| export_of(&i.value).is_none()) else {
            continue;
        };
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
