//! Reading, concurrently, everything a deploy needs to know before it writes:
//! who we are, what runs, and whether every image, secret and file system the
//! manifest points at exists. Read-only. Every missing thing is reported at once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures_util::future::join_all;

use super::plan::{Current, EXECUTION_POLICY, IamState, TASK_POLICY};
use crate::aws::sts::Identity;
use crate::aws::{self, Aws, AwsError};
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::manifest::addons::Addons;
use crate::manifest::{SecretRef, Service};
use crate::render::FIRELENS_CONTAINER;
use crate::render::addons::{RenderedPolicy, render_addon_policies};
use crate::render::facts::{
    self, Facts, RoleNames, build_repository, declared_images, role_arn, ssm_parameter_arn,
};
use crate::render::iam::parse_ecr_image;
use crate::yaml::Pos;

/// Which roles the task uses.
pub enum Roles {
    /// sidecarctl creates and updates them.
    Managed(RoleNames),
    /// Managed elsewhere: used as given, no IAM reads or writes.
    Given { execution: String, task: String },
}

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
}

pub struct Resolved {
    pub identity: Identity,
    pub facts: Facts,
    /// Container → image digest, for the images found in ECR.
    pub digests: BTreeMap<String, String>,
    /// Add-on policies with the ARN each gets.
    pub addon_policies: Vec<(RenderedPolicy, String)>,
    pub current: Current,
}

#[derive(Debug)]
pub enum ResolveError {
    /// Things the manifest points at that do not exist.
    Missing(Diagnostics),
    /// Problems only visible with the account in hand (add-on templates).
    Invalid(Diagnostics),
    Aws(AwsError),
}

impl From<AwsError> for ResolveError {
    fn from(e: AwsError) -> Self {
        ResolveError::Aws(e)
    }
}

/// How an image is checked.
#[derive(Clone, Debug)]
enum ImageLookup {
    /// In ECR: `DescribeImages`. `region` is the registry's.
    Ecr {
        registry: String,
        region: String,
        repository: String,
        reference: String,
        base: String,
    },
    /// `image.build`: the service's repository at `--image-tag`.
    Build { repository: String, tag: String },
    /// Another registry: not checked.
    Elsewhere,
}

struct ImageCheck {
    container: String,
    declared: String,
    lookup: ImageLookup,
    pos: Pos,
    path: String,
}

fn image_checks(req: &Request) -> Vec<ImageCheck> {
    let svc = req.svc;
    let placeholder = Facts::offline(svc, req.app, req.env, None, None, req.image_tag);
    let declared = declared_images(svc, &placeholder, req.image_tag.unwrap_or("latest"));
    let mut out = Vec::new();
    for (container, image) in declared {
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
                repository: build_repository(req.app, &svc.name),
                tag: req.image_tag.unwrap_or("latest").to_string(),
            }
        } else if let Some(e) = parse_ecr_image(&image) {
            let base = match image.split_once('@') {
                Some((b, _)) => b.to_string(),
                None => image
                    .strip_suffix(&format!(":{}", e.reference))
                    .unwrap_or(&image)
                    .to_string(),
            };
            ImageLookup::Ecr {
                registry: e.account,
                region: e.region,
                repository: e.repository,
                reference: e.reference,
                base,
            }
        } else {
            ImageLookup::Elsewhere
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

/// `name[:json-key:version-stage:version-id]` → (name, suffix with its colon).
fn split_secret_suffix(s: &str) -> (&str, &str) {
    match s.find(':') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

/// A Secrets Manager ARN → (the secret's ARN, a JSON-key suffix).
fn split_secret_arn(arn: &str) -> (String, String) {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() > 7 {
        (parts[..7].join(":"), format!(":{}", parts[7..].join(":")))
    } else {
        (arn.to_string(), String::new())
    }
}

/// The parameter name in an SSM parameter ARN.
fn ssm_name_from_arn(arn: &str) -> Option<String> {
    let rest = arn.split_once(":parameter/")?.1;
    Some(if rest.contains('/') {
        format!("/{rest}")
    } else {
        rest.to_string()
    })
}

struct Missing<'a> {
    file: &'a Arc<SourceFile>,
    diags: Diagnostics,
}

impl Missing<'_> {
    fn at(&mut self, message: String, pos: Pos, path: &str, help: Option<String>) {
        let mut d = Diagnostic::error("missing", message)
            .at(self.file, pos)
            .field(path);
        d.help = help;
        self.diags.push(d);
    }
}

/// Resolves what the manifest points at. Two round trips at most: everything
/// independent at once, then the service's current task definition when it is
/// not the family's latest.
pub async fn resolve(aws: &Aws, req: &Request<'_>) -> Result<Resolved, ResolveError> {
    let svc = req.svc;
    let images = image_checks(req);
    let family = facts::family(req.app, req.env, &svc.name);
    let log_group = format!("/copilot/{family}");

    // The secrets to look up, deduplicated.
    let refs = svc.secret_refs();
    let sm_ids: BTreeSet<String> = refs
        .iter()
        .filter_map(|r| match &r.value {
            SecretRef::SecretsManagerName(n) => Some(split_secret_suffix(n).0.to_string()),
            SecretRef::Arn(a) if a.split(':').nth(2) == Some("secretsmanager") => {
                Some(split_secret_arn(a).0)
            }
            _ => None,
        })
        .chain(svc.credentials().into_iter().map(|c| c.value.clone()))
        .collect();
    let ssm_names: Vec<String> = refs
        .iter()
        .filter_map(|r| match &r.value {
            SecretRef::SsmName(n) => Some(n.clone()),
            SecretRef::Arn(a)
                if a.split(':').nth(2) == Some("ssm")
                    && a.split(':').nth(3) == Some(aws.region.as_str()) =>
            {
                ssm_name_from_arn(a)
            }
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let volumes: Vec<_> = svc
        .storage
        .volumes
        .values()
        .filter_map(|v| v.efs.as_ref().filter(|e| !e.managed))
        .collect();

    // Round trip 1: everything that depends on nothing.
    let image_lookups = join_all(images.iter().map(|c| async {
        match &c.lookup {
            ImageLookup::Ecr {
                registry,
                region,
                repository,
                reference,
                ..
            } if *region == aws.region => {
                aws::ecr::image_digest(&aws.ecr, Some(registry), repository, reference)
                    .await
                    .map(|d| (d, None))
            }
            ImageLookup::Build { repository, tag } => {
                let (repo, digest) = tokio::join!(
                    aws::ecr::repository(&aws.ecr, repository),
                    aws::ecr::image_digest(&aws.ecr, None, repository, tag)
                );
                Ok((digest?, repo?.map(|r| r.uri)))
            }
            _ => Ok((None, None)),
        }
    }));
    let secret_lookups = join_all(
        sm_ids
            .iter()
            .map(|id| aws::secrets::secret_arn(&aws.secrets, id)),
    );
    let fs_lookups = join_all(volumes.iter().map(|e| async {
        let (fs, ap) = tokio::join!(
            async {
                match &e.id {
                    Some(id) => aws::efs::file_system(&aws.efs, id).await,
                    None => Ok(None),
                }
            },
            async {
                match &e.access_point_id {
                    Some(id) => aws::efs::access_point(&aws.efs, id).await,
                    None => Ok(None),
                }
            }
        );
        Ok::<_, AwsError>((fs?, ap?))
    }));
    let iam_lookup = async {
        match req.roles {
            Roles::Given { .. } => Ok(None),
            Roles::Managed(names) => {
                let (er, tr, ep, tp, attached) = tokio::join!(
                    aws::iam::role(&aws.iam, &names.execution),
                    aws::iam::role(&aws.iam, &names.task),
                    aws::iam::role_policy(&aws.iam, &names.execution, EXECUTION_POLICY),
                    aws::iam::role_policy(&aws.iam, &names.task, TASK_POLICY),
                    aws::iam::attached_policies(&aws.iam, &names.task),
                );
                Ok::<_, AwsError>(Some(IamState {
                    execution_role: er?,
                    task_role: tr?,
                    execution_policy: ep?,
                    task_policy: tp?,
                    attached: attached?,
                }))
            }
        }
    };
    let (
        identity,
        service,
        latest,
        cluster_active,
        image_results,
        secret_results,
        ssm_found,
        fs_results,
        iam,
        group,
    ) = tokio::join!(
        aws::sts::caller_identity(&aws.sts),
        aws::ecs::describe_service(&aws.ecs, req.cluster, req.service_name),
        aws::ecs::describe_task_definition(&aws.ecs, &family),
        aws::ecs::cluster_is_active(&aws.ecs, req.cluster),
        image_lookups,
        secret_lookups,
        async {
            if ssm_names.is_empty() {
                Ok(Vec::new())
            } else {
                aws::secrets::existing_parameters(&aws.ssm, &ssm_names).await
            }
        },
        fs_lookups,
        iam_lookup,
        aws::logs::log_group(&aws.logs, &log_group),
    );
    let identity = identity?;
    let service = service?;
    let latest = latest?;
    let ssm_found = ssm_found?;
    let iam = iam?;
    let group = group?;

    let mut missing = Missing {
        file: &svc.file,
        diags: Diagnostics::new(),
    };
    if !cluster_active? {
        missing.diags.push(
            Diagnostic::error(
                "missing",
                format!(
                    "ECS cluster {} does not exist in {}",
                    req.cluster, aws.region
                ),
            )
            .help("create it (Copilot's environment stack did), or pass --cluster NAME"),
        );
    }

    // Images: digests, or what is missing.
    let mut facts = Facts {
        app: req.app.to_string(),
        env: req.env.to_string(),
        account: identity.account.clone(),
        region: aws.region.clone(),
        partition: identity.partition.clone(),
        execution_role_arn: String::new(),
        task_role_arn: String::new(),
        images: BTreeMap::new(),
        secret_arns: BTreeMap::new(),
        credential_arns: BTreeMap::new(),
    };
    let mut digests = BTreeMap::new();
    for (check, result) in images.iter().zip(image_results) {
        let (digest, repo_uri) = result?;
        let deployed = match &check.lookup {
            ImageLookup::Build { repository, tag } => match (repo_uri, &digest) {
                (Some(uri), Some(d)) => {
                    if req.pin {
                        format!("{uri}@{d}")
                    } else {
                        format!("{uri}:{tag}")
                    }
                }
                (None, _) => {
                    missing.at(
                        format!("ECR repository {repository} does not exist"),
                        check.pos,
                        &check.path,
                        Some("image.build deploys the image Copilot pushed to {app}/{svc}: push it there, or give image.location".into()),
                    );
                    continue;
                }
                (Some(_), None) => {
                    missing.at(
                        format!("image {repository}:{tag} does not exist in ECR"),
                        check.pos,
                        &check.path,
                        Some("push it, or pass the --image-tag that was pushed".into()),
                    );
                    continue;
                }
            },
            ImageLookup::Ecr {
                region,
                repository,
                reference,
                base,
                ..
            } if *region == aws.region => match &digest {
                Some(d) => {
                    if req.pin {
                        format!("{base}@{d}")
                    } else {
                        check.declared.clone()
                    }
                }
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
            _ => check.declared.clone(),
        };
        if let Some(d) = digest {
            digests.insert(check.container.clone(), d);
        }
        facts.images.insert(check.container.clone(), deployed);
    }

    // Secrets: full ARNs, or what is missing.
    let mut sm_arns: BTreeMap<&str, String> = BTreeMap::new();
    for (id, result) in sm_ids.iter().zip(secret_results) {
        if let Some(arn) = result? {
            sm_arns.insert(id, arn);
        }
    }
    for r in &refs {
        match &r.value {
            SecretRef::SsmName(n) => {
                if ssm_found.contains(n) {
                    facts.secret_arns.insert(
                        r.value.clone(),
                        ssm_parameter_arn(&facts.partition, &facts.region, &facts.account, n),
                    );
                } else {
                    missing.at(format!("SSM parameter {n} does not exist"), r.pos, &r.path, Some("create it (aws ssm put-parameter), or write {secretsmanager: NAME} for a Secrets Manager secret".into()));
                }
            }
            SecretRef::SecretsManagerName(n) => {
                let (name, suffix) = split_secret_suffix(n);
                match sm_arns.get(name) {
                    Some(arn) => {
                        facts
                            .secret_arns
                            .insert(r.value.clone(), format!("{arn}{suffix}"));
                    }
                    None => missing.at(
                        format!("Secrets Manager secret {name} does not exist"),
                        r.pos,
                        &r.path,
                        None,
                    ),
                }
            }
            SecretRef::Arn(a) if a.split(':').nth(2) == Some("secretsmanager") => {
                let (arn, suffix) = split_secret_arn(a);
                match sm_arns.get(arn.as_str()) {
                    Some(full) => {
                        facts
                            .secret_arns
                            .insert(r.value.clone(), format!("{full}{suffix}"));
                    }
                    None => missing.at(
                        format!("Secrets Manager secret {arn} does not exist"),
                        r.pos,
                        &r.path,
                        None,
                    ),
                }
            }
            SecretRef::Arn(a) => {
                if let Some(name) = ssm_name_from_arn(a)
                    && a.split(':').nth(3) == Some(aws.region.as_str())
                    && !ssm_found.contains(&name)
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
        match sm_arns.get(c.value.as_str()) {
            Some(full) => {
                facts.credential_arns.insert(c.value.clone(), full.clone());
            }
            None => missing.at(
                format!("registry credentials secret {} does not exist", c.value),
                c.pos,
                &c.path,
                Some(
                    "create a Secrets Manager secret with {\"username\": ..., \"password\": ...}"
                        .into(),
                ),
            ),
        }
    }

    // EFS.
    for (e, result) in volumes.iter().zip(fs_results) {
        let (fs, ap) = result?;
        let Some(id) = &e.id else { continue };
        match &fs {
            None => missing.at(
                format!(
                    "EFS file system {} does not exist in {}",
                    id.value, aws.region
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
        if let Some(ap_id) = &e.access_point_id {
            match &ap {
                None => missing.at(
                    format!("EFS access point {} does not exist", ap_id.value),
                    ap_id.pos,
                    &ap_id.path,
                    None,
                ),
                Some(a) if a.file_system_id != id.value => missing.at(
                    format!(
                        "EFS access point {} belongs to file system {}, not {}",
                        ap_id.value, a.file_system_id, id.value
                    ),
                    ap_id.pos,
                    &ap_id.path,
                    None,
                ),
                Some(a) if !a.state.is_empty() && a.state != "available" => missing.at(
                    format!(
                        "EFS access point {} is {}, not available",
                        ap_id.value, a.state
                    ),
                    ap_id.pos,
                    &ap_id.path,
                    None,
                ),
                _ => {}
            }
        }
    }

    if !missing.diags.is_empty() {
        return Err(ResolveError::Missing(missing.diags));
    }

    let (execution, task) = match req.roles {
        Roles::Managed(n) => (
            role_arn(&facts.partition, &facts.account, &n.execution),
            role_arn(&facts.partition, &facts.account, &n.task),
        ),
        Roles::Given { execution, task } => (execution.clone(), task.clone()),
    };
    facts.execution_role_arn = execution;
    facts.task_role_arn = task;

    let addon_policies = match req.roles {
        Roles::Managed(_) => render_addon_policies(req.addons, &facts, &svc.name)
            .map_err(|e| ResolveError::Invalid(Diagnostics::from(e)))?,
        Roles::Given { .. } => Vec::new(),
    };
    let addon_policies: Vec<(RenderedPolicy, String)> = addon_policies
        .into_iter()
        .map(|p| {
            let arn = p.arn(&facts);
            (p, arn)
        })
        .collect();
    // Round trip 2, only when the service runs an older revision than the
    // latest: that revision, to diff against.
    let current_arn = service
        .as_ref()
        .map(|s| s.task_definition.clone())
        .filter(|a| !a.is_empty());
    let need_current = current_arn
        .as_ref()
        .filter(|a| latest.as_ref().is_none_or(|l| &l.arn != *a));
    let current_td = match need_current {
        Some(arn) => aws::ecs::describe_task_definition(&aws.ecs, arn).await?,
        None => None,
    };
    let current_td = match current_td {
        Some(td) => Some(td),
        None if current_arn.is_some() => latest
            .clone()
            .filter(|l| Some(&l.arn) == current_arn.as_ref()),
        None => None,
    };

    Ok(Resolved {
        identity,
        facts,
        digests,
        addon_policies,
        current: Current {
            service,
            td: current_td,
            latest,
            log_group: group,
            iam,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_secret_references() {
        assert_eq!(split_secret_suffix("db:password::"), ("db", ":password::"));
        assert_eq!(split_secret_suffix("db"), ("db", ""));
        let (arn, suffix) = split_secret_arn(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::",
        );
        assert_eq!(
            arn,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
        );
        assert_eq!(suffix, ":password::");
        assert_eq!(
            ssm_name_from_arn("arn:aws:ssm:us-east-1:1:parameter/app/db").as_deref(),
            Some("/app/db")
        );
        assert_eq!(
            ssm_name_from_arn("arn:aws:ssm:us-east-1:1:parameter/TOKEN").as_deref(),
            Some("TOKEN")
        );
    }
}
