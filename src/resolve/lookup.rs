//! The reads behind [`resolve`](super): everything independent at once
//! (Copilot's stacks among them), then, only when Copilot's stacks place the
//! service elsewhere than sidecarctl's default names, that service; only when
//! the service runs an older revision than the family's latest, that revision;
//! only when the service does not exist yet, the cluster and the caller's
//! account. Read-only.

mod nlb;

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::{join_all, try_join_all};

use super::{Answers, ImageLookup, Questions, Request, ResolveError, Resolved, Roles};
use crate::aws::{self, Aws, AwsError};
use crate::model::{self, CopilotStacks, Who};
use crate::names::copilot;
use crate::names::sidecarctl::adopted_record;
use crate::names::sidecarctl::{EXECUTION_POLICY, TASK_POLICY};
use crate::state::lb::{LbState, TargetGroup};
use crate::state::{IamState, ServiceState};

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

/// Resolves a request: two round trips at most, and one more first when the
/// manifest uses `from_cfn` (the exports, read once).
pub async fn resolve(aws: &Aws, req: &Request<'_>) -> Result<Resolved, Failure> {
    let uses = req.svc.export_uses();
    let (with_exports, missing_exports) = if uses.is_empty() {
        (None, Vec::new())
    } else {
        let exports = EXPORTS
            .get(&aws.region, || aws::cfn::exports(&aws.cfn))
            .await?;
        let mut svc = req.svc.clone();
        let missing = svc.resolve_exports(&exports);
        (Some(svc), missing)
    };
    let req = &Request {
        svc: with_exports.as_ref().unwrap_or(req.svc),
        ..*req
    };
    let q = super::questions(req);
    let mut answers = answers(aws, req, &q).await?;
    answers.missing_exports = missing_exports;
    if req.svc.nlb.is_some() {
        answers.nlb = Some(nlb::read(aws, req, &answers).await?);
    }
    let mut resolved = super::interpret(req, &q, answers).map_err(Failure::Resolve)?;
    resolved.service = with_exports;
    if let Some(arn) = super::current_to_fetch(&resolved) {
        resolved.current.td = aws::ecs::describe_task_definition(&aws.ecs, arn).await?;
    }
    Ok(resolved)
}

/// Round trip 1: every question at once. The account and the cluster's state
/// come from the service's reads when it exists; otherwise (a first deploy)
/// round trip 2 asks STS and DescribeClusters.
pub async fn answers(aws: &Aws, req: &Request<'_>, q: &Questions) -> Result<Answers, AwsError> {
    let images = read_images(aws, q);
    let secrets = join_all(
        q.secrets
            .iter()
            .map(|id| keyed(id, aws::secrets::secret_arn(&aws.secrets, id))),
    );
    let parameters = read_parameters(aws, q);
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
    let iam = read_iam(aws, req);
    let who = Who {
        app: req.app,
        env: req.env,
        svc: &req.svc.name,
    };
    let stacks = copilot_stacks(aws, who);
    // The service's autoscaling, when the manifest autoscales.
    let autoscales = req.svc.count.as_ref().is_some_and(|c| c.value.autoscaling);
    let scaling_of = |cluster: String, service: String| async move {
        if autoscales {
            aws::autoscaling::scaling(&aws.autoscaling, &cluster, &service)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    };
    // An imported load balancer (`http.alb`) and its listeners.
    let alb_name = req
        .svc
        .http
        .as_ref()
        .filter(|h| h.enabled)
        .and_then(|h| h.alb.as_ref())
        .map(|a| a.value.clone());
    let imported_alb = async {
        match &alb_name {
            Some(name) => aws::elb::imported_alb(&aws.elb, name).await,
            None => Ok(None),
        }
    };
    // The target groups sidecarctl names for the service's routing rules.
    let rules_wanted = if req.manage_lb {
        req.svc.http_rules().len()
    } else {
        0
    };
    let named_tgs = named_target_groups(aws, req, rules_wanted);
    let records = alias_records(aws, req);
    let queues = event_queues(aws, req);
    let (
        (stacks, imported_alb, named_tgs, records, queues),
        (service, scaling),
        latest,
        images,
        secrets,
        parameters,
        file_systems,
        access_points,
        iam,
        log_group,
    ) = tokio::join!(
        async { tokio::join!(stacks, imported_alb, named_tgs, records, queues) },
        async {
            tokio::join!(
                aws::ecs::describe_service(&aws.ecs, req.cluster, req.service_name),
                scaling_of(req.cluster.to_string(), req.service_name.to_string()),
            )
        },
        aws::ecs::describe_task_definition(&aws.ecs, &q.family),
        images,
        secrets,
        parameters,
        file_systems,
        access_points,
        iam,
        aws::logs::log_group(&aws.logs, &q.log_group),
    );
    let placement = model::place(who, req.cluster_given.then_some(req.cluster), &stacks?);
    for line in placement.sources() {
        tracing::info!("{line}");
    }
    // Copilot's stacks place the service elsewhere: read that one and its
    // autoscaling (the only reads that wait for another); and, for an
    // `efs: true` volume, the service's access point on the environment's
    // managed file system.
    let managed_fs = placement
        .environment
        .as_ref()
        .and_then(|e| e.managed_file_system.clone());
    let moved =
        (placement.cluster.as_str(), placement.service.as_str()) != (req.cluster, req.service_name);
    // The load balancer's listeners: the imported one's, or the environment stack's.
    let imported_alb = imported_alb?;
    let listeners = match (&imported_alb, &placement.environment, rules_wanted == 0) {
        (_, _, true) => Vec::new(),
        (Some(alb), _, false) => alb.listeners(),
        (None, Some(e), false) if alb_name.is_none() => {
            e.listeners(req.svc.kind.value == crate::manifest::ServiceType::BackendService)
        }
        _ => Vec::new(),
    };
    let target_groups_of = |s: &Option<ServiceState>| -> Vec<String> {
        s.iter()
            .flat_map(|s| &s.load_balancers)
            .map(|l| l.target_group.clone())
            .collect()
    };
    // Target groups known now: those of sidecarctl's names, and the
    // service's own (Copilot's) when the service is known already. Read
    // with their attributes in the next round, beside the rules.
    let named_tgs: Vec<TargetGroup> = named_tgs?.into_iter().flatten().collect();
    let mut known_tgs: Vec<String> = match (&service, moved) {
        (Ok(s), false) => target_groups_of(s),
        _ => Vec::new(),
    };
    known_tgs.retain(|arn| !named_tgs.iter().any(|t| &t.arn == arn));
    if listeners.is_empty() {
        known_tgs.clear();
    }
    // The service's Cloud Map service in the environment's namespace.
    let namespace = placement
        .environment
        .as_ref()
        .and_then(|e| e.namespace_id.clone())
        .filter(|_| req.svc.kind.value != crate::manifest::ServiceType::WorkerService);
    let addon_stacks = join_all(placement.addons_stacks.iter().map(|id| async move {
        let (stack, template) = tokio::join!(
            aws::cfn::stack(&aws.cfn, id),
            aws::cfn::template(&aws.cfn, id)
        );
        let read = match (stack?, template) {
            (Some(s), Ok(t)) => Some((s, t)),
            (None, _) => None,
            (Some(_), Err(e)) if e.is(aws::ErrorKind::NotFound) => None,
            (Some(_), Err(e)) => return Err(e),
        };
        Ok::<_, AwsError>((id.clone(), read))
    }));
    let (service, scaling, managed_access_point, rules, tgs, discovery, addon_stacks) = tokio::join!(
        async {
            if moved {
                aws::ecs::describe_service(&aws.ecs, &placement.cluster, &placement.service).await
            } else {
                service
            }
        },
        async {
            if moved {
                scaling_of(placement.cluster.clone(), placement.service.clone()).await
            } else {
                scaling
            }
        },
        managed_access_point(aws, req, managed_fs.as_deref()),
        try_join_all(listeners.iter().map(|l| async move {
            Ok::<_, AwsError>((l.clone(), aws::elb::rules(&aws.elb, l).await?))
        })),
        // Read only when the load balancer's rules are.
        known_target_groups(
            aws,
            if listeners.is_empty() {
                &[]
            } else {
                &named_tgs
            },
            &known_tgs
        ),
        async {
            match &namespace {
                Some(ns) => {
                    aws::discovery::find_service(&aws.discovery, ns, &req.svc.name.value).await
                }
                None => Ok(None),
            }
        },
        addon_stacks,
    );
    let (mut service, mut scaling, managed_access_point) =
        (service?, scaling?, managed_access_point?);
    let mut placement = placement;
    // In a Copilot environment, a service neither its stack, `adopt`'s record
    // nor its default name places: the cluster's one ACTIVE service tagged
    // for it (a service whose stack went some other way), as Copilot's own
    // `svc` commands find services. Looked for beside the reads a first
    // deploy makes anyway (the caller's identity, the cluster).
    let search = service.is_none()
        && placement.service_from == model::Source::Default
        && placement.environment.is_some();
    let latest = latest?;
    let (found, known) = tokio::join!(
        tagged_service(aws, who, &placement.cluster, search),
        identity_and_cluster(aws, service.as_ref(), latest.as_ref(), &placement.cluster),
    );
    let (found, (identity, cluster_active)) = (found?, known?);
    if let Some(s) = found {
        placement.service = s.name.clone();
        placement.service_from = model::Source::Tagged;
        tracing::info!("ECS service {}: from {}", s.name, placement.service_from);
        scaling = scaling_of(placement.cluster.clone(), s.name.clone()).await?;
        service = Some(s);
    }
    let lb = if listeners.is_empty() {
        None
    } else {
        let mut target_groups = tgs?;
        // A service found only now, with target groups of other names
        // (Copilot's): those are read now.
        let unknown: Vec<String> = target_groups_of(&service)
            .into_iter()
            .filter(|arn| !target_groups.iter().any(|t| &t.arn == arn))
            .collect();
        target_groups.extend(read_target_groups(aws, &unknown).await?);
        Some(LbState {
            target_groups,
            listeners: rules?,
            records: records?.into_iter().flatten().collect(),
        })
    };
    warn_if_untagged(service.as_ref(), &placement, who);
    Ok(Answers {
        scaling,
        managed_access_point,
        missing_exports: Vec::new(),
        placement,
        identity,
        service,
        latest,
        cluster_active,
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
        lb,
        nlb: None,
        discovery: discovery?,
        imported_alb,
        queues: queues?,
        addon_stacks: addon_stacks.into_iter().collect::<Result<_, _>>()?,
    })
}

/// The caller's account and partition and whether the cluster is ACTIVE:
/// known from the service (or the family's latest revision) when it exists,
/// else read (a first deploy).
async fn identity_and_cluster(
    aws: &Aws,
    service: Option<&ServiceState>,
    latest: Option<&crate::state::Registered>,
    cluster: &str,
) -> Result<(super::Identity, bool), AwsError> {
    let (identity, active) = super::known_from(service, latest);
    let (who, active) = tokio::join!(
        async {
            match identity {
                Some(i) => Ok(i),
                None => aws::sts::caller_identity(&aws.sts).await,
            }
        },
        async {
            match active {
                Some(a) => Ok(a),
                None => aws::ecs::cluster_is_active(&aws.ecs, cluster).await,
            }
        }
    );
    Ok((who?, active?))
}

/// Target groups by ARN with their attributes, the two reads at once.
async fn read_target_groups(aws: &Aws, arns: &[String]) -> Result<Vec<TargetGroup>, AwsError> {
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let (groups, attributes) = tokio::join!(
        aws::elb::target_groups(&aws.elb, arns),
        try_join_all(arns.iter().map(|arn| aws::elb::attributes(&aws.elb, arn)))
    );
    let attributes = attributes?;
    Ok(groups?
        .into_iter()
        .map(|mut t| {
            if let Some((delay, sticky)) = arns
                .iter()
                .position(|a| *a == t.arn)
                .and_then(|i| attributes.get(i))
            {
                t.deregistration_delay_s = *delay;
                t.stickiness = *sticky;
            }
            t
        })
        .collect())
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
        adopted_arn: adopted.as_ref().map(|r| r.service.clone()),
        adopted_addons: adopted.map(|r| r.addons_stacks).unwrap_or_default(),
    })
}

/// Reads cached for the run: `deploy --all` reads the environment stack and
/// the exports once for all its services.
static ENV_OUTPUTS: Cache<Option<BTreeMap<String, String>>> = Cache::new();
static EXPORTS: Cache<BTreeMap<String, String>> = Cache::new();

type Cell<T> = std::sync::Arc<tokio::sync::OnceCell<T>>;

/// Answers by key, each read once (concurrent askers wait for the first).
struct Cache<T>(std::sync::Mutex<BTreeMap<String, Cell<T>>>);

impl<T: Clone> Cache<T> {
    const fn new() -> Self {
        Cache(std::sync::Mutex::new(BTreeMap::new()))
    }

    async fn get<F: Future<Output = Result<T, AwsError>>>(
        &self,
        key: &str,
        read: impl FnOnce() -> F,
    ) -> Result<T, AwsError> {
        let cell = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key.to_string())
            .or_default()
            .clone();
        cell.get_or_try_init(read).await.cloned()
    }
}

async fn env_outputs(aws: &Aws, stack: &str) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    ENV_OUTPUTS
        .get(stack, || aws::cfn::stack_outputs(&aws.cfn, stack))
        .await
}

/// For an `efs: true` volume: the service's access point on the
/// environment's managed file system, when there is one.
async fn managed_access_point(
    aws: &Aws,
    req: &Request<'_>,
    managed_fs: Option<&str>,
) -> Result<Option<String>, AwsError> {
    match (super::wanted_access_point(req), managed_fs) {
        (Some(want), Some(fs)) => aws::efs::managed_access_point(&aws.efs, fs, &want).await,
        _ => Ok(None),
    }
}

/// The target groups known before the service is: sidecarctl's (their
/// attributes added) and those of the service's entries.
async fn known_target_groups(
    aws: &Aws,
    named: &[TargetGroup],
    others: &[String],
) -> Result<Vec<TargetGroup>, AwsError> {
    let (named, others) = tokio::join!(
        try_join_all(
            named
                .iter()
                .cloned()
                .map(|t| aws::elb::with_attributes(&aws.elb, t))
        ),
        read_target_groups(aws, others)
    );
    Ok(named?.into_iter().chain(others?).collect())
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
/// service, when `search`; two or more are an error, not a guess.
async fn tagged_service(
    aws: &Aws,
    who: Who<'_>,
    cluster: &str,
    search: bool,
) -> Result<Option<ServiceState>, AwsError> {
    if !search {
        return Ok(None);
    }
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

/// What ECR says of each image checked, in order (`None` for images elsewhere).
async fn read_images(
    aws: &Aws,
    q: &Questions,
) -> Vec<Result<Option<crate::state::ImageFound>, AwsError>> {
    join_all(q.images.iter().map(|c| async {
        match &c.lookup {
            ImageLookup::Ecr {
                registry,
                repository,
                reference,
                ..
            } => aws::ecr::image(&aws.ecr, Some(registry), repository, reference)
                .await
                .map(Some),
            ImageLookup::Build { repository, tag } => {
                aws::ecr::image(&aws.ecr, None, repository, tag)
                    .await
                    .map(Some)
            }
            ImageLookup::Elsewhere => Ok(None),
        }
    }))
    .await
}

/// The SSM parameters asked for that exist.
async fn read_parameters(aws: &Aws, q: &Questions) -> Result<BTreeSet<String>, AwsError> {
    if q.parameters.is_empty() {
        return Ok(BTreeSet::new());
    }
    let names: Vec<String> = q.parameters.iter().cloned().collect();
    aws::secrets::existing_parameters(&aws.ssm, &names)
        .await
        .map(|found| found.into_iter().collect())
}

/// The roles sidecarctl manages and their policies (none when given).
async fn read_iam(aws: &Aws, req: &Request<'_>) -> Result<Option<IamState>, AwsError> {
    let Roles::Managed(names) = req.roles else {
        return Ok(None);
    };
    let (er, tr, ep, tp, attached) = tokio::join!(
        aws::iam::role(&aws.iam, &names.execution),
        aws::iam::role(&aws.iam, &names.task),
        aws::iam::role_policy(&aws.iam, &names.execution, EXECUTION_POLICY),
        aws::iam::role_policy(&aws.iam, &names.task, TASK_POLICY),
        aws::iam::attached_policies(&aws.iam, &names.task),
    );
    Ok(Some(IamState {
        execution_role: er?,
        task_role: tr?,
        execution_policy: ep?,
        task_policy: tp?,
        attached: attached?,
    }))
}

/// The target groups of sidecarctl's names for the first `n` routing rules.
async fn named_target_groups(
    aws: &Aws,
    req: &Request<'_>,
    n: usize,
) -> Result<Vec<Option<TargetGroup>>, AwsError> {
    let rules = req.svc.http_rules();
    try_join_all(rules.into_iter().take(n).enumerate().map(|(i, rule)| {
        let name = req.svc.rule_target_group_name(req.app, req.env, i, rule);
        async move { aws::elb::target_group_named(&aws.elb, &name).await }
    }))
    .await
}

/// The aliases' records, in the hosted zones the manifest names.
async fn alias_records(
    aws: &Aws,
    req: &Request<'_>,
) -> Result<Vec<Option<crate::state::lb::AliasRecord>>, AwsError> {
    let wanted: Vec<(String, String)> = req
        .svc
        .http_rules()
        .into_iter()
        .filter(|_| req.manage_lb)
        .flat_map(|rule| {
            rule.alias.iter().filter_map(move |a| {
                let zone = a.hosted_zone.as_ref().or(rule.hosted_zone.as_ref())?;
                Some((zone.value.clone(), a.name.value.clone()))
            })
        })
        .collect();
    try_join_all(
        wanted
            .iter()
            .map(|(zone, name)| aws::route53::a_record(&aws.route53, zone, name)),
    )
    .await
}

/// A Worker Service's queues, for `count.queue_delay`: from its Copilot stack.
async fn event_queues(aws: &Aws, req: &Request<'_>) -> Result<Vec<String>, AwsError> {
    let queue_delay = req
        .svc
        .count
        .as_ref()
        .is_some_and(|c| c.value.queue_delay.is_some());
    if !queue_delay {
        return Ok(Vec::new());
    }
    let stack = copilot::service_stack(req.app, req.env, &req.svc.name.value);
    aws::cfn::event_queues(&aws.cfn, &stack).await
}

/// A lookup's answer under the name it was asked by; `None` when not found.
async fn keyed<T>(
    id: &str,
    lookup: impl Future<Output = Result<Option<T>, AwsError>>,
) -> Result<Option<(String, T)>, AwsError> {
    Ok(lookup.await?.map(|found| (id.to_string(), found)))
}
