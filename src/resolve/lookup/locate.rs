//! Where a workload runs, found the way Copilot finds it, for every command
//! that needs its ECS service (`deploy`, `status`): Copilot's stacks and
//! `adopt`'s record (round 1, beside the service at sidecarctl's default
//! place), then the service where they place it, or, in a Copilot
//! environment where nothing places it, the cluster's one service tagged
//! for it (round 2).

use std::collections::BTreeMap;

use super::ENV_OUTPUTS;
use crate::aws::{self, Aws, AwsError};
use crate::model::{self, CopilotStacks, Placement, Who};
use crate::names::copilot;
use crate::names::sidecarctl::adopted_record;
use crate::state::ServiceState;

/// Where the workload runs, and its ECS service when it exists.
#[derive(Clone, Debug)]
pub struct Located {
    pub placement: Placement,
    pub service: Option<ServiceState>,
}

/// Round 1's answers.
pub struct Started {
    pub placement: Placement,
    /// The service at sidecarctl's default place, read beside the stacks.
    at_default: Result<Option<ServiceState>, AwsError>,
    /// The stacks place the service elsewhere than the default.
    pub moved: bool,
}

/// Round 1: Copilot's stacks and adopt's record, beside the service at its
/// default place (`default_cluster`/`default_service`, where it is when
/// nothing of Copilot's names it). `cluster_flag` wins.
pub async fn start(
    aws: &Aws,
    who: Who<'_>,
    cluster_flag: Option<&str>,
    default_cluster: &str,
    default_service: &str,
) -> Result<Started, AwsError> {
    let (stacks, at_default) = tokio::join!(
        copilot_stacks(aws, who),
        aws::ecs::describe_service(&aws.ecs, default_cluster, default_service)
    );
    let placement = model::place(who, cluster_flag, &stacks?);
    for line in placement.sources() {
        tracing::info!("{line}");
    }
    let moved = (placement.cluster.as_str(), placement.service.as_str())
        != (default_cluster, default_service);
    Ok(Started {
        placement,
        at_default,
        moved,
    })
}

/// Round 2: the service where the stacks place it; or, in a Copilot
/// environment where nothing places it, the cluster's one ACTIVE service
/// carrying Copilot's tags for it, as Copilot's own `svc` commands find it.
pub async fn finish(aws: &Aws, who: Who<'_>, s: Started) -> Result<Located, AwsError> {
    let mut placement = s.placement;
    let mut service = if s.moved {
        aws::ecs::describe_service(&aws.ecs, &placement.cluster, &placement.service).await?
    } else {
        s.at_default?
    };
    let search = service.is_none()
        && placement.service_from == model::Source::Default
        && placement.environment.is_some();
    if search && let Some(t) = tagged_service(aws, who, &placement.cluster).await? {
        placement.service = t.name.clone();
        placement.service_from = model::Source::Tagged;
        tracing::info!("ECS service {}: from {}", t.name, placement.service_from);
        service = Some(t);
    }
    warn_if_untagged(service.as_ref(), &placement, who);
    Ok(Located { placement, service })
}

/// Both rounds.
pub async fn locate(
    aws: &Aws,
    who: Who<'_>,
    cluster_flag: Option<&str>,
    default_cluster: &str,
    default_service: &str,
) -> Result<Located, AwsError> {
    let s = start(aws, who, cluster_flag, default_cluster, default_service).await?;
    finish(aws, who, s).await
}

/// What Copilot's stacks say about a service: the environment stack's outputs,
/// the service stack's ECS service, and `adopt`'s record of it, read at once.
pub async fn copilot_stacks(aws: &Aws, who: Who<'_>) -> Result<CopilotStacks, AwsError> {
    let (env_stack, svc_stack) = (
        copilot::env_stack(who.app, who.env),
        copilot::service_stack(who.app, who.env, who.svc),
    );
    let record = adopted_record(who.app, who.env, who.svc);
    let (env_outputs, service_arn, addons_stack, adopted) = tokio::join!(
        env_outputs(aws, &env_stack),
        aws::cfn::stack_resource(&aws.cfn, &svc_stack, copilot::SERVICE_LOGICAL_ID),
        aws::cfn::stack_resource(&aws.cfn, &svc_stack, copilot::ADDONS_LOGICAL_ID),
        aws::record::read(&aws.ssm, &record),
    );
    let adopted = adopted?;
    Ok(CopilotStacks {
        env_outputs: env_outputs?,
        service_arn: service_arn?,
        addons_stack: addons_stack?.filter(|s| !s.is_empty()),
        adopted_arn: adopted
            .as_ref()
            .map(|r| r.service.clone())
            .filter(|a| !a.is_empty()),
        adopted_addons: adopted.map(|r| r.addons_stacks).unwrap_or_default(),
    })
}

async fn env_outputs(aws: &Aws, stack: &str) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    ENV_OUTPUTS
        .get(stack, || aws::cfn::stack_outputs(&aws.cfn, stack))
        .await
}

/// Warns when a service found other than by its default name does not carry
/// Copilot's tags for this service.
fn warn_if_untagged(service: Option<&ServiceState>, placement: &model::Placement, who: Who<'_>) {
    if let Some(s) = service
        && placement.service_from != model::Source::Default
        && !model::tagged_for(&s.tags, who)
    {
        tracing::warn!(
            "the ECS service {} is not tagged for {}/{}/{} as Copilot tags its services",
            s.name,
            who.app,
            who.env,
            who.svc
        );
    }
}

/// The cluster's one ACTIVE service carrying Copilot's tags for this
/// service; two or more are an error, not a guess.
async fn tagged_service(
    aws: &Aws,
    who: Who<'_>,
    cluster: &str,
) -> Result<Option<ServiceState>, AwsError> {
    let mut found = aws::ecs::services_tagged(&aws.ecs, cluster, &who.copilot_tags()).await?;
    if found.len() > 1 {
        return Err(AwsError::new(
            "ecs:DescribeServices",
            crate::aws::ErrorKind::Invalid,
            format!(
                "{} ACTIVE services in cluster {cluster} carry Copilot's tags for {}/{}/{} ({}): sidecarctl cannot tell which one to deploy to",
                found.len(),
                who.app,
                who.env,
                who.svc,
                found
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(found.pop())
}
