//! The reads behind [`resolve`](super), one reader per concern ([`locate`]
//! for where the service runs, `reads` for what the manifest points at,
//! `nlb` for a network load balancer), joined in rounds by [`answers`]:
//! everything independent at once (Copilot's stacks among them), then what
//! needs the placement; the service's current revision when it is not the
//! family's latest; the cluster and the caller's account only for a first
//! deploy. Read-only.

mod locate;
mod nlb;
mod reads;

pub use locate::{Located, locate};

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::{join_all, try_join_all};

use super::{Answers, Questions, Request, ResolveError, Resolved};
use crate::aws::{self, Aws, AwsError};
use crate::model::{self, Who};
use crate::state::ServiceState;
use crate::state::lb::{LbState, TargetGroup};

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

/// Resolves a request: two dependent rounds (see [`answers`]), a third for a
/// first deploy (the caller's identity and the cluster) or a service found by
/// its tags (its autoscaling), up to three more for `nlb`, and one more first
/// when the manifest uses `from_cfn` (the exports, read once).
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
    // The env files' reads (a bucket found, then its objects) depend on
    // nothing the rounds read: they run beside all of them.
    let (answers, env_files, messaging, alarms, job) = tokio::join!(
        answers(aws, req, &q),
        reads::env_file_store(aws, req),
        reads::messaging(aws, req),
        reads::rollback_alarms(aws, req),
        reads::job(aws, req),
    );
    let mut answers = answers?;
    answers.job = job?;
    answers.env_files = env_files?;
    answers.messaging = messaging?;
    answers.alarms = alarms?;
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

/// The answers found, by the name they were asked by.
fn found<T>(
    v: Vec<Result<Option<(String, T)>, AwsError>>,
) -> Result<BTreeMap<String, T>, AwsError> {
    v.into_iter().filter_map(Result::transpose).collect()
}

/// What round 1 reads beside locating the service: everything the manifest
/// points at, which depends on nothing else.
struct Independent {
    images: Vec<Option<crate::state::ImageFound>>,
    secrets: BTreeMap<String, String>,
    parameters: BTreeSet<String>,
    file_systems: BTreeMap<String, crate::state::FileSystem>,
    access_points: BTreeMap<String, crate::state::AccessPoint>,
    iam: Option<crate::state::IamState>,
    log_group: Option<crate::state::LogGroup>,
    latest: Option<crate::state::Registered>,
    queues: Vec<String>,
    /// sidecarctl's add-ons stack, read with the first reads whenever the
    /// service has add-ons (whether it is the one to keep is known later).
    own_addons: Option<Option<crate::state::stack::Stack>>,
}

async fn independent(aws: &Aws, req: &Request<'_>, q: &Questions) -> Result<Independent, AwsError> {
    let own_name = crate::names::sidecarctl::addons_stack(req.app, req.env, &req.svc.name);
    let (
        images,
        secrets,
        parameters,
        file_systems,
        access_points,
        iam,
        log_group,
        latest,
        queues,
        own,
    ) = tokio::join!(
        reads::read_images(aws, q),
        join_all(
            q.secrets
                .iter()
                .map(|id| reads::keyed(id, aws::secrets::secret_arn(&aws.secrets, id))),
        ),
        reads::read_parameters(aws, q),
        join_all(
            q.file_systems
                .iter()
                .map(|id| reads::keyed(id, aws::efs::file_system(&aws.efs, id))),
        ),
        join_all(
            q.access_points
                .iter()
                .map(|id| reads::keyed(id, aws::efs::access_point(&aws.efs, id))),
        ),
        reads::read_iam(aws, req),
        aws::logs::log_group(&aws.logs, &q.log_group),
        aws::ecs::describe_task_definition(&aws.ecs, &q.family),
        reads::event_queues(aws, req),
        async {
            match req.addons.template {
                Some(_) => aws::cfn::stack(&aws.cfn, &own_name).await.map(Some),
                None => Ok(None),
            }
        },
    );
    Ok(Independent {
        images: images.into_iter().collect::<Result<_, _>>()?,
        secrets: found(secrets)?,
        parameters: parameters?,
        file_systems: found(file_systems)?,
        access_points: found(access_points)?,
        iam: iam?,
        log_group: log_group?,
        latest: latest?,
        queues: queues?,
        own_addons: own?,
    })
}

/// The load balancer's reads that need nothing else: an imported load
/// balancer (`http.alb`) and its listeners, the target groups of
/// sidecarctl's names for the routing rules, the aliases' records.
struct LbFirst {
    imported_alb: Option<crate::state::lb::ImportedAlb>,
    alb_name: Option<String>,
    rules_wanted: usize,
    named: Vec<TargetGroup>,
    records: Vec<crate::state::lb::AliasRecord>,
}

async fn lb_first(aws: &Aws, req: &Request<'_>) -> Result<LbFirst, AwsError> {
    let alb_name = req
        .svc
        .http
        .as_ref()
        .filter(|h| h.enabled)
        .and_then(|h| h.alb.as_ref())
        .map(|a| a.value.clone());
    let rules_wanted = if req.manage_lb {
        req.svc.http_rules().len()
    } else {
        0
    };
    let (imported_alb, named, records) = tokio::join!(
        async {
            match &alb_name {
                Some(name) => aws::elb::imported_alb(&aws.elb, name).await,
                None => Ok(None),
            }
        },
        reads::named_target_groups(aws, req, rules_wanted),
        reads::alias_records(aws, req),
    );
    Ok(LbFirst {
        imported_alb: imported_alb?,
        alb_name,
        rules_wanted,
        named: named?.into_iter().flatten().collect(),
        records: records?.into_iter().flatten().collect(),
    })
}

/// The listeners the service's rules go on: the imported load balancer's, or
/// the environment stack's.
fn listeners(req: &Request<'_>, first: &LbFirst, placement: &model::Placement) -> Vec<String> {
    match (
        &first.imported_alb,
        &placement.environment,
        first.rules_wanted == 0,
    ) {
        (_, _, true) => Vec::new(),
        (Some(alb), _, false) => alb.listeners(),
        (None, Some(e), false) if first.alb_name.is_none() => {
            e.listeners(req.svc.kind.value == crate::manifest::ServiceType::BackendService)
        }
        _ => Vec::new(),
    }
}

/// The service's autoscaling, when the manifest autoscales.
async fn scaling_of(
    aws: &Aws,
    req: &Request<'_>,
    cluster: &str,
    service: &str,
) -> Result<Option<crate::state::Scaling>, AwsError> {
    if req.svc.count.as_ref().is_some_and(|c| c.value.autoscaling) {
        aws::autoscaling::scaling(&aws.autoscaling, cluster, service)
            .await
            .map(Some)
    } else {
        Ok(None)
    }
}

/// sidecarctl's add-ons stack, when the service has add-ons and Copilot
/// deployed none for it (`Some(None)`: not there yet).
fn own_addons(
    read: &Option<Option<crate::state::stack::Stack>>,
    placement: &model::Placement,
) -> Option<Option<crate::state::stack::Stack>> {
    if !placement.addons_stacks.is_empty()
        || matches!(placement.service_from, model::Source::ServiceStack(_))
    {
        return None;
    }
    read.clone()
}

/// The add-ons stacks Copilot deployed for the service: outputs and template.
async fn addon_stacks(
    aws: &Aws,
    ids: &[String],
) -> Result<Vec<(String, Option<(crate::state::stack::Stack, String)>)>, AwsError> {
    try_join_all(ids.iter().map(|id| async move {
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
    }))
    .await
}

/// Every question, in as few rounds as the answers allow. Round 1: where
/// the service runs (Copilot's stacks, adopt's record, the service at its
/// default place) beside everything the manifest points at. Round 2: what
/// needs the placement (the service the stacks name, or the one tagged for
/// it; the listeners' rules and target groups; the Cloud Map service; the
/// managed access point; the add-ons stacks). A first deploy reads the
/// caller's identity and the cluster after.
pub async fn answers(aws: &Aws, req: &Request<'_>, q: &Questions) -> Result<Answers, AwsError> {
    let who = Who {
        app: req.app,
        env: req.env,
        svc: &req.svc.name,
    };
    let flag = req.cluster_given.then_some(req.cluster);
    let (started, first, lb1, scaling) = tokio::join!(
        locate::start(aws, who, flag, req.cluster, req.service_name),
        independent(aws, req, q),
        lb_first(aws, req),
        scaling_of(aws, req, req.cluster, req.service_name),
    );
    let (started, first, lb1) = (started?, first?, lb1?);
    let placement = started.placement.clone();
    let listeners = listeners(req, &lb1, &placement);
    let managed_fs = placement
        .environment
        .as_ref()
        .and_then(|e| e.managed_file_system.clone());
    // The service's Cloud Map service in the environment's namespace.
    let namespace = placement
        .environment
        .as_ref()
        .and_then(|e| e.namespace_id.clone())
        .filter(|_| req.svc.kind.value != crate::manifest::ServiceType::WorkerService);
    let moved = started.moved;
    let own_addons = own_addons(&first.own_addons, &placement);
    let (located, scaling, managed_access_point, rules, discovery, addons) = tokio::join!(
        locate::finish(aws, who, started),
        async {
            match moved {
                true => scaling_of(aws, req, &placement.cluster, &placement.service).await,
                false => scaling,
            }
        },
        reads::managed_access_point(aws, req, managed_fs.as_deref()),
        try_join_all(listeners.iter().map(|l| async move {
            Ok::<_, AwsError>((l.clone(), aws::elb::rules(&aws.elb, l).await?))
        })),
        async {
            match &namespace {
                Some(ns) => {
                    aws::discovery::find_service(&aws.discovery, ns, &req.svc.name.value).await
                }
                None => Ok(None),
            }
        },
        addon_stacks(aws, &placement.addons_stacks),
    );
    let located = located?;
    // A service found by its tags: its autoscaling, read now.
    let scaling = match located.placement.service_from {
        model::Source::Tagged => {
            scaling_of(
                aws,
                req,
                &located.placement.cluster,
                &located.placement.service,
            )
            .await?
        }
        _ => scaling?,
    };
    let (lb, known) = tokio::join!(
        lb_state(
            aws,
            &listeners,
            lb1.named,
            lb1.records,
            located.service.as_ref(),
            rules
        ),
        reads::identity_and_cluster(
            aws,
            located.service.as_ref(),
            first.latest.as_ref(),
            &located.placement.cluster
        ),
    );
    let (identity, cluster_active) = known?;
    Ok(Answers {
        scaling,
        managed_access_point: managed_access_point?,
        missing_exports: Vec::new(),
        placement: located.placement,
        identity,
        service: located.service,
        latest: first.latest,
        cluster_active,
        images: first.images,
        secrets: first.secrets,
        parameters: first.parameters,
        file_systems: first.file_systems,
        access_points: first.access_points,
        iam: first.iam,
        log_group: first.log_group,
        lb: lb?,
        nlb: None,
        discovery: discovery?,
        imported_alb: lb1.imported_alb,
        queues: first.queues,
        addon_stacks: addons?,
        own_addons,
        env_files: None,
        messaging: None,
        alarms: Vec::new(),
        job: None,
    })
}

/// The load balancer as it is, when the service's rules are managed: the
/// listeners' rules, sidecarctl's target groups and the service's own, each
/// with its attributes.
async fn lb_state(
    aws: &Aws,
    listeners: &[String],
    named: Vec<TargetGroup>,
    records: Vec<crate::state::lb::AliasRecord>,
    service: Option<&ServiceState>,
    rules: Result<Vec<(String, Vec<crate::state::lb::ListenerRule>)>, AwsError>,
) -> Result<Option<LbState>, AwsError> {
    if listeners.is_empty() {
        return Ok(None);
    }
    let service_tgs: Vec<String> = service
        .iter()
        .flat_map(|s| &s.load_balancers)
        .map(|l| l.target_group.clone())
        .filter(|arn| !named.iter().any(|t| &t.arn == arn))
        .collect();
    let target_groups = reads::known_target_groups(aws, &named, &service_tgs).await?;
    Ok(Some(LbState {
        target_groups,
        listeners: rules?,
        records,
    }))
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
