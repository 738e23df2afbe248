//! `count.range`'s autoscaling: the scalable target and its target-tracking
//! policies, on ECS's metrics, the load balancer's, and each queue's backlog
//! per task.

use super::{DesiredScaling, Resolved, Settings};
use crate::manifest::Service;
use crate::state::{CustomMetric, ScalingPolicy};

/// A Worker Service's queues for `count.queue_delay`: those Copilot's service
/// stack holds, else those the service's BacklogPerTask policies name (a
/// stack handed over).
pub(super) fn queues(
    svc: &Service,
    s: &Settings,
    r: &Resolved,
    messaging: Option<&crate::plan::messaging::DesiredMessaging>,
) -> Queues {
    let prefix = format!("{}-{BACKLOG_PER_TASK}-", svc.name.value);
    let namespace = format!("{}-{}-{}", s.app, s.env, svc.name.value);
    if !r.queues.is_empty() {
        return Queues {
            namespace,
            names: r.queues.clone(),
            math: None,
        };
    }
    // Policies on the metric Copilot's function publishes: a service handed
    // over, whose function still runs.
    let mut names: Vec<String> = r
        .current
        .scaling
        .iter()
        .flat_map(|sc| &sc.policies)
        .filter(|p| p.custom.as_ref().is_some_and(|c| c.queries.is_empty()))
        .filter_map(|p| p.name.strip_prefix(&prefix).map(str::to_string))
        .collect();
    names.sort();
    if !names.is_empty() {
        return Queues {
            namespace,
            names,
            math: None,
        };
    }
    // The queues sidecarctl keeps: the backlog per task by metric math.
    let names = messaging
        .map(|m| {
            m.wanted
                .queues
                .iter()
                .filter(|q| !q.id.ends_with("DeadLetterQueue"))
                .map(|q| q.found.as_ref().map_or(q.name.clone(), |f| f.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    Queues {
        namespace,
        names,
        math: Some((s.cluster.clone(), s.service.clone())),
    }
}

/// The metric Copilot's `BacklogPerTaskCalculator` function publishes for
/// each queue of a Worker Service, in the namespace `{app}-{env}-{svc}`.
pub use crate::names::copilot::BACKLOG_PER_TASK;

/// A Worker Service's queues, for `count.queue_delay`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Queues {
    /// The namespace of their backlog metric, `{app}-{env}-{svc}`.
    pub namespace: String,
    /// Their names (the service's `EventsQueue` and its topic queues).
    pub names: Vec<String>,
    /// The cluster and service, when sidecarctl keeps the queues: their
    /// backlog per task is computed by metric math, not by Copilot's function.
    pub math: Option<(String, String)>,
}

const METRICS: [&str; 4] = [
    "ECSServiceAverageCPUUtilization",
    "ECSServiceAverageMemoryUtilization",
    ALB_REQUESTS,
    ALB_RESPONSE_TIME,
];
/// Copilot's names for its load balancer metrics' policies.
const ALB_REQUESTS: &str = "ALBSumRequestCountPerTarget";
const ALB_RESPONSE_TIME: &str = "ALBAverageResponseTime";

/// The `TargetGroup` dimension of a load balancer metric whose target group
/// is not known yet: the plan fills it in.
pub const TARGET_GROUP_DIMENSION: &str = "TargetGroup";

/// Copilot's default cooldowns, in seconds.
const SCALE_IN_S: u32 = 120;
const SCALE_OUT_S: u32 = 60;

/// The policy name Copilot gives a metric's policy: `{svc}-{metric}-ScalingPolicy`.
pub fn scaling_policy_name(svc: &str, metric: &str) -> String {
    format!("{svc}-{metric}-ScalingPolicy")
}

/// The load balancer metric Copilot's `autoscaling.yml` follows for
/// `requests` (RequestCountPerTarget, summed) and `response_time`
/// (TargetResponseTime, averaged), on the main rule's target group (its
/// dimension filled in by the plan).
fn alb_metric(metric: &str, load_balancer: &str) -> CustomMetric {
    let (name, statistic) = if metric == ALB_REQUESTS {
        ("RequestCountPerTarget", "Sum")
    } else {
        ("TargetResponseTime", "Average")
    };
    CustomMetric {
        namespace: "AWS/ApplicationELB".into(),
        name: name.into(),
        statistic: statistic.into(),
        dimensions: vec![
            ("LoadBalancer".into(), load_balancer.into()),
            (TARGET_GROUP_DIMENSION.into(), String::new()),
        ],
        unit: None,
        queries: Vec::new(),
    }
}

/// A queue's backlog per task by metric math: the messages waiting divided
/// by the service's running tasks (Container Insights' `RunningTaskCount`).
fn backlog_per_task(queue: &str, cluster: &str, service: &str) -> CustomMetric {
    use crate::state::MetricQuery;
    CustomMetric {
        queries: vec![
            MetricQuery {
                id: "backlog".into(),
                expression: Some("messages / tasks".into()),
                metric: None,
                return_data: true,
            },
            MetricQuery {
                id: "messages".into(),
                expression: None,
                metric: Some((
                    "AWS/SQS".into(),
                    "ApproximateNumberOfMessagesVisible".into(),
                    vec![("QueueName".into(), queue.into())],
                    "Sum".into(),
                )),
                return_data: false,
            },
            MetricQuery {
                id: "tasks".into(),
                expression: None,
                metric: Some((
                    "ECS/ContainerInsights".into(),
                    "RunningTaskCount".into(),
                    vec![
                        ("ClusterName".into(), cluster.into()),
                        ("ServiceName".into(), service.into()),
                    ],
                    "Average".into(),
                )),
                return_data: false,
            },
        ],
        ..CustomMetric::default()
    }
}

/// The scalable target and the target-tracking policies of `count.range`.
/// `requests` and `response_time` need the load balancer sidecarctl manages
/// (`lb`); `queue_delay` needs the Worker Service's queues (`queues`, as
/// Copilot's service stack holds them). Without them they are left out (and
/// named in `left_out`).
pub fn scaling(
    svc: &Service,
    lb: Option<&crate::plan::lb::DesiredLb>,
    queues: &Queues,
) -> Option<DesiredScaling> {
    let c = &svc.count.as_ref()?.value;
    let max = c.max.filter(|_| c.autoscaling)?;
    let load_balancer = lb.and_then(|l| l.load_balancer_full_name());
    let mut left_out: Vec<(String, String)> = Vec::new();
    if load_balancer.is_none() {
        for (field, on) in [
            ("count.requests", &c.requests),
            ("count.response_time", &c.response_time),
        ] {
            if on.is_some() {
                left_out.push((
                    field.to_string(),
                    "it follows the load balancer sidecarctl manages, and this deploy manages none (--target-group-arn, or no listener in the environment stack)".to_string(),
                ));
            }
        }
    }
    let mut policies: Vec<ScalingPolicy> = METRICS
        .into_iter()
        .zip([&c.cpu, &c.memory, &c.requests, &c.response_time])
        .filter_map(|(metric, on)| {
            let on = on.as_ref()?;
            let alb = metric == ALB_REQUESTS || metric == ALB_RESPONSE_TIME;
            let custom = match (alb, &load_balancer) {
                (false, _) => None,
                (true, Some(lb)) => Some(alb_metric(metric, lb)),
                (true, None) => return None,
            };
            Some(ScalingPolicy {
                name: scaling_policy_name(&svc.name, metric),
                metric: metric.to_string(),
                // The response time is in milliseconds already.
                target_milli: if metric == ALB_RESPONSE_TIME {
                    on.target
                } else {
                    on.target * 1000
                },
                scale_in_s: on.scale_in_s.unwrap_or(SCALE_IN_S) as i32,
                scale_out_s: on.scale_out_s.unwrap_or(SCALE_OUT_S) as i32,
                custom,
            })
        })
        .collect();
    let owned_prefix = format!("{}-{BACKLOG_PER_TASK}-", svc.name.value);
    if let Some(q) = &c.queue_delay {
        if queues.names.is_empty() {
            left_out.push((
                "count.queue_delay".to_string(),
                "it follows the backlog of the service's queues, and no queue was found (Copilot's service stack holds them, or its BacklogPerTask policies name them)".to_string(),
            ));
        }
        // Copilot's `AutoScalingPolicy...EventsQueue`: one per queue.
        policies.extend(queues.names.iter().map(|queue| ScalingPolicy {
            name: format!("{owned_prefix}{queue}"),
            metric: BACKLOG_PER_TASK.to_string(),
            target_milli: q.value.target * 1000,
            scale_in_s: q.value.scale_in_s.unwrap_or(SCALE_IN_S) as i32,
            scale_out_s: q.value.scale_out_s.unwrap_or(SCALE_OUT_S) as i32,
            custom: Some(match &queues.math {
                None => CustomMetric {
                    namespace: queues.namespace.clone(),
                    name: BACKLOG_PER_TASK.into(),
                    statistic: "Average".into(),
                    dimensions: vec![("QueueName".into(), queue.clone())],
                    unit: Some("Count".into()),
                    queries: Vec::new(),
                },
                Some((cluster, service)) => backlog_per_task(queue, cluster, service),
            }),
        }));
    }
    policies.sort();
    Some(DesiredScaling {
        min: c.desired as i32,
        max: max as i32,
        policies,
        owned: METRICS
            .iter()
            .map(|m| scaling_policy_name(&svc.name, m))
            .collect(),
        owned_prefix,
        left_out,
    })
}
