//! The reads of a deploy that stand on their own: one function per concern,
//! each returning plain domain types.

use std::collections::BTreeSet;

use futures_util::future::{join_all, try_join_all};

use crate::aws::{self, Aws, AwsError};
use crate::names::copilot;
use crate::names::sidecarctl::{EXECUTION_POLICY, TASK_POLICY};
use crate::resolve::{ImageLookup, Questions, Request, Roles};
use crate::state::lb::TargetGroup;
use crate::state::{IamState, ServiceState};

/// The caller's account and partition and whether the cluster is ACTIVE:
/// known from the service (or the family's latest revision) when it exists,
/// else read (a first deploy).
pub(super) async fn identity_and_cluster(
    aws: &Aws,
    service: Option<&ServiceState>,
    latest: Option<&crate::state::Registered>,
    cluster: &str,
) -> Result<(crate::state::Identity, bool), AwsError> {
    let (identity, active) = crate::resolve::known_from(service, latest);
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
pub(super) async fn read_target_groups(
    aws: &Aws,
    arns: &[String],
) -> Result<Vec<TargetGroup>, AwsError> {
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

/// For an `efs: true` volume: the service's access point on the
/// environment's managed file system, when there is one.
pub(super) async fn managed_access_point(
    aws: &Aws,
    req: &Request<'_>,
    managed_fs: Option<&str>,
) -> Result<Option<String>, AwsError> {
    match (crate::resolve::wanted_access_point(req), managed_fs) {
        (Some(want), Some(fs)) => aws::efs::managed_access_point(&aws.efs, fs, &want).await,
        _ => Ok(None),
    }
}

/// The target groups known before the service is: sidecarctl's (their
/// attributes added) and those of the service's entries.
pub(super) async fn known_target_groups(
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

/// What ECR says of each image checked, in order (`None` for images elsewhere).
pub(super) async fn read_images(
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
pub(super) async fn read_parameters(
    aws: &Aws,
    q: &Questions,
) -> Result<BTreeSet<String>, AwsError> {
    if q.parameters.is_empty() {
        return Ok(BTreeSet::new());
    }
    let names: Vec<String> = q.parameters.iter().cloned().collect();
    aws::secrets::existing_parameters(&aws.ssm, &names)
        .await
        .map(|found| found.into_iter().collect())
}

/// The roles sidecarctl manages and their policies (none when given).
pub(super) async fn read_iam(aws: &Aws, req: &Request<'_>) -> Result<Option<IamState>, AwsError> {
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
pub(super) async fn named_target_groups(
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
pub(super) async fn alias_records(
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
pub(super) async fn event_queues(aws: &Aws, req: &Request<'_>) -> Result<Vec<String>, AwsError> {
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
pub(super) async fn keyed<T>(
    id: &str,
    lookup: impl Future<Output = Result<Option<T>, AwsError>>,
) -> Result<Option<(String, T)>, AwsError> {
    Ok(lookup.await?.map(|found| (id.to_string(), found)))
}

/// Where the env files go and which are there already: Copilot's
/// application bucket when its regional stack is there (found through its
/// `{app}-ArtifactKey` export), else sidecarctl's bucket for the application
/// and region. Its reads run beside the rest of resolving.
pub(super) async fn env_file_store(
    aws: &Aws,
    req: &Request<'_>,
) -> Result<Option<crate::state::EnvFileStore>, AwsError> {
    if req.env_files.is_empty() {
        return Ok(None);
    }
    let export = copilot::artifact_key_export(req.app);
    let (found, identity) = tokio::join!(
        aws::cfn::find_export(&aws.cfn, &export),
        aws::sts::caller_identity(&aws.sts)
    );
    let copilot_bucket = match found? {
        Some((key, stack)) => aws::cfn::stack(&aws.cfn, &stack)
            .await?
            .and_then(|s| s.outputs.get("PipelineBucket").cloned())
            .map(|bucket| (bucket, key)),
        None => None,
    };
    let (bucket, copilot_kms_key) = match copilot_bucket {
        Some((bucket, key)) => (bucket, Some(key)),
        None => (
            crate::names::sidecarctl::artifact_bucket(req.app, &aws.region, &identity?.account),
            None,
        ),
    };
    let bucket_exists = copilot_kms_key.is_some() || aws.s3.bucket_exists(&bucket).await?;
    let present = if bucket_exists {
        let keys: Vec<String> = req.env_files.iter().map(|f| f.key()).collect();
        let there = try_join_all(keys.iter().map(|k| aws.s3.object_exists(&bucket, k))).await?;
        keys.into_iter()
            .zip(there)
            .filter_map(|(k, t)| t.then_some(k))
            .collect()
    } else {
        BTreeSet::new()
    };
    Ok(Some(crate::state::EnvFileStore {
        bucket,
        copilot_kms_key,
        bucket_exists,
        present,
    }))
}

/// The service's topics, queues and subscriptions as they are, when the
/// manifest publishes or subscribes (or is a Worker Service, which always
/// has a queue). Its reads run beside the rest of resolving: the caller's
/// account (for the topics' ARNs) and the queues of the service's names,
/// then the topics and the queues' attributes, then the subscriptions.
pub(super) async fn messaging(
    aws: &Aws,
    req: &Request<'_>,
) -> Result<Option<crate::state::messaging::Messaging>, AwsError> {
    use crate::model::messaging::{Place, wanted};
    use crate::state::messaging::{Messaging, Queue};
    let svc = req.svc;
    let worker = svc.kind.value == crate::manifest::ServiceType::WorkerService;
    if svc.publish.topics.is_empty() && !worker {
        return Ok(None);
    }
    let stack = copilot::service_stack(req.app, req.env, &svc.name);
    let (identity, listed) = tokio::join!(aws::sts::caller_identity(&aws.sts), async {
        if worker {
            aws::sqs::queues_named(&aws.sqs, &format!("{stack}-")).await
        } else {
            Ok(Vec::new())
        }
    });
    let identity = identity?;
    let place = Place {
        app: req.app,
        env: req.env,
        partition: &identity.partition,
        region: &aws.region,
        account: &identity.account,
    };
    let want = wanted(svc, &place, &Messaging::default());
    let ours: Vec<(String, String)> = listed?
        .into_iter()
        .filter(|(name, _)| {
            want.queues
                .iter()
                .any(|q| copilot::is_service_queue(&stack, &q.id, name))
        })
        .collect();
    let topic_arns: BTreeSet<String> = want
        .topics
        .iter()
        .map(|t| t.arn.clone())
        .chain(want.subscriptions.iter().map(|s| s.topic_arn.clone()))
        .collect();
    let (topics, queues) = tokio::join!(
        try_join_all(topic_arns.iter().map(|arn| async move {
            Ok::<_, AwsError>((arn.clone(), aws::sns::topic(&aws.sns, arn).await?))
        })),
        try_join_all(ours.iter().map(|(name, url)| async move {
            let attributes = aws::sqs::attributes(&aws.sqs, url).await?;
            Ok::<_, AwsError>(Queue {
                name: name.clone(),
                url: url.clone(),
                arn: attributes.get("QueueArn").cloned().unwrap_or_default(),
                attributes,
            })
        })),
    );
    let mut now = Messaging {
        topics: topics?.into_iter().collect(),
        queues: queues?,
        subscriptions: Vec::new(),
    };
    // Subscriptions to the queues as they will be (found or to be created).
    let endpoints: Vec<String> = wanted(svc, &place, &now)
        .queues
        .iter()
        .map(|q| q.arn.clone())
        .collect();
    let subscribed: BTreeSet<&str> = want
        .subscriptions
        .iter()
        .map(|s| s.topic_arn.as_str())
        .filter(|arn| now.topics.get(*arn).is_some_and(Option::is_some))
        .collect();
    let found = try_join_all(
        subscribed
            .iter()
            .map(|arn| aws::sns::subscriptions_to(&aws.sns, arn, &endpoints)),
    )
    .await?;
    now.subscriptions = found.into_iter().flatten().collect();
    Ok(Some(now))
}

/// Copilot's rollback alarms of the service that exist, when the manifest
/// gives `rollback_alarms` thresholds.
pub(super) async fn rollback_alarms(
    aws: &Aws,
    req: &Request<'_>,
) -> Result<Vec<crate::state::alarm::Alarm>, AwsError> {
    use crate::manifest::RollbackAlarms;
    let RollbackAlarms::Thresholds { .. } = &req.svc.deployment.rollback_alarms else {
        return Ok(Vec::new());
    };
    let names: Vec<String> = [
        "CopilotRollbackCPUAlarm",
        "CopilotRollbackMemAlarm",
        "CopilotRollbackMsgsDelayedAlarm",
    ]
    .iter()
    .map(|k| copilot::alarm_name(req.app, req.env, &req.svc.name, k))
    .collect();
    aws.cloudwatch.alarms(&names).await
}

/// A Scheduled Job's schedule and scheduler role, the rule of Copilot's job
/// stack when that stack still stands, and the rule `adopt` recorded (read
/// for jobs only).
pub(super) async fn job(
    aws: &Aws,
    req: &Request<'_>,
) -> Result<Option<crate::state::job::JobState>, AwsError> {
    use crate::names::sidecarctl;
    if req.svc.job.is_none() {
        return Ok(None);
    }
    let name = &req.svc.name.value;
    let role = sidecarctl::scheduler_role(req.app, req.env, name);
    let schedule = sidecarctl::schedule_name(req.app, req.env, name);
    let stack = copilot::service_stack(req.app, req.env, name);
    let record = sidecarctl::adopted_record(req.app, req.env, name);
    let (schedule, found, policy, rule, adopted) = tokio::join!(
        aws.scheduler.get(&schedule),
        aws::iam::role(&aws.iam, &role),
        aws::iam::role_policy(&aws.iam, &role, sidecarctl::SCHEDULER_POLICY),
        aws::cfn::stack_resource(&aws.cfn, &stack, copilot::JOB_RULE_LOGICAL_ID),
        async {
            // The rule adopt recorded, read only when there is one.
            match aws::record::read(&aws.ssm, &record)
                .await?
                .and_then(|r| r.job_rule)
            {
                Some(rule) => aws.events.rule(&rule).await,
                None => Ok(None),
            }
        },
    );
    Ok(Some(crate::state::job::JobState {
        schedule: schedule?,
        role: found?,
        policy: policy?,
        copilot_rule: rule?.filter(|r| !r.is_empty()),
        adopted_rule: adopted?.map(|r| crate::state::job::AdoptedRule {
            enabled: r.enabled(),
            name: r.name,
            expression: r.expression,
        }),
    }))
}
