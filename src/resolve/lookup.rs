//! The reads behind [`resolve`](super): everything independent at once, then,
//! only when the service runs an older revision than the family's latest, that
//! revision. Read-only.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;

use super::{Answers, ImageLookup, Questions, Request, ResolveError, Resolved, Roles};
use crate::aws::{self, Aws, AwsError};
use crate::names::sidecarctl::{EXECUTION_POLICY, TASK_POLICY};
use crate::state::IamState;

/// Why resolving stopped.
#[derive(Debug)]
pub enum Failure {
    /// The manifest points at things that are not there (or is invalid).
    Resolve(ResolveError),
    /// AWS refused a read.
    Aws(AwsError),
}

impl From<AwsError> for Failure {
    fn from(e: AwsError) -> Self {
        Failure::Aws(e)
    }
}

/// Resolves a request: at most two round trips.
pub async fn resolve(aws: &Aws, req: &Request<'_>) -> Result<Resolved, Failure> {
    let q = super::questions(req);
    let answers = answers(aws, req, &q).await?;
    let mut resolved = super::interpret(req, &q, answers).map_err(Failure::Resolve)?;
    if let Some(arn) = super::current_to_fetch(&resolved) {
        resolved.current.td = aws::ecs::describe_task_definition(&aws.ecs, arn).await?;
    }
    Ok(resolved)
}

/// Round trip 1: every question at once.
pub async fn answers(aws: &Aws, req: &Request<'_>, q: &Questions) -> Result<Answers, AwsError> {
    let images = join_all(q.images.iter().map(|c| async {
        match &c.lookup {
            ImageLookup::Ecr {
                registry,
                repository,
                reference,
                ..
            } => aws::ecr::image_digest(&aws.ecr, Some(registry), repository, reference)
                .await
                .map(|d| (d, None)),
            ImageLookup::Build { repository, tag } => {
                let (repo, digest) = tokio::join!(
                    aws::ecr::repository(&aws.ecr, repository),
                    aws::ecr::image_digest(&aws.ecr, None, repository, tag)
                );
                Ok((digest?, repo?.map(|r| r.uri)))
            }
            ImageLookup::Elsewhere => Ok((None, None)),
        }
    }));
    let secrets = join_all(
        q.secrets
            .iter()
            .map(|id| keyed(id, aws::secrets::secret_arn(&aws.secrets, id))),
    );
    let parameters = async {
        if q.parameters.is_empty() {
            return Ok(BTreeSet::new());
        }
        let names: Vec<String> = q.parameters.iter().cloned().collect();
        aws::secrets::existing_parameters(&aws.ssm, &names)
            .await
            .map(|found| found.into_iter().collect())
    };
    let file_systems = join_all(
        q.file_systems
            .iter()
            .map(|id| keyed(id, aws::efs::file_system(&aws.efs, id))),
    );
    let access_points = join_all(
        q.access_points
            .iter()
            .map(|id| keyed(id, aws::efs::access_point(&aws.efs, id))),
    );
    let iam = async {
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
        images,
        secrets,
        parameters,
        file_systems,
        access_points,
        iam,
        log_group,
    ) = tokio::join!(
        aws::sts::caller_identity(&aws.sts),
        aws::ecs::describe_service(&aws.ecs, req.cluster, req.service_name),
        aws::ecs::describe_task_definition(&aws.ecs, &q.family),
        aws::ecs::cluster_is_active(&aws.ecs, req.cluster),
        images,
        secrets,
        parameters,
        file_systems,
        access_points,
        iam,
        aws::logs::log_group(&aws.logs, &q.log_group),
    );
    Ok(Answers {
        identity: identity?,
        service: service?,
        latest: latest?,
        cluster_active: cluster_active?,
        images: images.into_iter().collect::<Result<_, _>>()?,
        secrets: secrets
            .into_iter()
            .filter_map(Result::transpose)
            .collect::<Result<BTreeMap<_, _>, _>>()?,
        parameters: parameters?,
        file_systems: file_systems
            .into_iter()
            .filter_map(Result::transpose)
            .collect::<Result<_, _>>()?,
        access_points: access_points
            .into_iter()
            .filter_map(Result::transpose)
            .collect::<Result<_, _>>()?,
        iam: iam?,
        log_group: log_group?,
    })
}

/// A lookup's answer under the name it was asked by; `None` when not found.
async fn keyed<T>(
    id: &str,
    lookup: impl Future<Output = Result<Option<T>, AwsError>>,
) -> Result<Option<(String, T)>, AwsError> {
    Ok(lookup.await?.map(|found| (id.to_string(), found)))
}
