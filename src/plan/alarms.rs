//! `deployment`: how ECS rolls a revision out (`rolling: recreate` stops the
//! old tasks first), and the alarms that roll it back — given by name, or the
//! CPU, memory and queue alarms Copilot creates for thresholds, named and
//! defined as its `rollback-alarms.yml` names and defines them.

use super::{Groups, Step};
use crate::manifest::{RollbackAlarms, Service};
pub use crate::names::copilot::alarm_name;
use crate::state::RolloutSettings;
use crate::state::alarm::Alarm;

/// Copilot's healthy percentages for `rolling: recreate`.
const RECREATE: (i32, i32) = (0, 100);

/// The alarms Copilot creates for `rollback_alarms` thresholds.
pub fn wanted_alarms(
    svc: &Service,
    (app, env): (&str, &str),
    (cluster, service): (&str, &str),
    events_queue: Option<&str>,
) -> Vec<Alarm> {
    let RollbackAlarms::Thresholds {
        cpu_utilization,
        memory_utilization,
        messages_delayed,
    } = &svc.deployment.rollback_alarms
    else {
        return Vec::new();
    };
    let name = svc.name.value.as_str();
    let ecs = |kind: &str, metric: &str, what: &str, threshold: f64| Alarm {
        name: alarm_name(app, env, name, kind),
        description: format!(
            "Roll back ECS service if {what} utilization is greater than or equal to {threshold}% twice in 3 minutes."
        ),
        namespace: "AWS/ECS".into(),
        metric: metric.into(),
        dimensions: vec![
            ("ClusterName".into(), cluster.into()),
            ("ServiceName".into(), service.into()),
        ],
        threshold,
        unit: "Percent".into(),
    };
    let mut out = Vec::new();
    if let Some(t) = cpu_utilization {
        out.push(ecs("CopilotRollbackCPUAlarm", "CPUUtilization", "CPU", *t));
    }
    if let Some(t) = memory_utilization {
        out.push(ecs(
            "CopilotRollbackMemAlarm",
            "MemoryUtilization",
            "memory",
            *t,
        ));
    }
    if let (Some(t), Some(queue)) = (messages_delayed, events_queue) {
        out.push(Alarm {
            name: alarm_name(app, env, name, "CopilotRollbackMsgsDelayedAlarm"),
            description: format!(
                "Roll back worker service if number of messages delayed is greater than or equal to {t} twice in 3 minutes."
            ),
            namespace: "AWS/SQS".into(),
            metric: "ApproximateNumberOfMessagesDelayed".into(),
            dimensions: vec![("QueueName".into(), queue.into())],
            threshold: *t as f64,
            unit: "Count".into(),
        });
    }
    out
}

/// The service's rollout settings: the percentages, and the alarms by name
/// (those given, or those of [`wanted_alarms`]).
pub fn rollout_settings(svc: &Service, alarms: &[Alarm]) -> RolloutSettings {
    let (min, max) = if svc.deployment.recreate {
        RECREATE
    } else {
        let d = RolloutSettings::default();
        (d.min_healthy_percent, d.max_percent)
    };
    RolloutSettings {
        min_healthy_percent: min,
        max_percent: max,
        alarms: match &svc.deployment.rollback_alarms {
            RollbackAlarms::Names(n) => n.clone(),
            _ => alarms.iter().map(|a| a.name.clone()).collect(),
        },
    }
}

/// The alarms that are missing or differ: put before the service names them.
pub fn plan_alarms(wanted: &[Alarm], now: &[Alarm], g: &mut Groups) {
    for a in wanted {
        if !now.iter().any(|n| n == a) {
            g.first.push(Step::PutAlarm(a.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::service_in;

    #[test]
    fn thresholds_make_copilots_alarms_and_recreate_its_percentages() {
        let svc = service_in(
            "name: dogworker\ntype: Worker Service\nimage:\n  location: a:1\ndeployment:\n  rolling: Recreate\n  rollback_alarms:\n    cpu_utilization: 70\n    memory_utilization: 50\n    messages_delayed: 5\n",
            None,
        );
        let alarms = wanted_alarms(
            &svc,
            ("my-app", "test"),
            ("my-app-test", "dogworker"),
            Some("my-app-test-dogworker-EventsQueue"),
        );
        let names: Vec<&str> = alarms.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "my-app-test-dogworker-CopilotRollbackCPUAlarm",
                "my-app-test-dogworker-CopilotRollbackMemAlarm",
                "my-app-test-dogworker-CopilotRollbackMsgsDelayedAlarm"
            ]
        );
        assert_eq!(alarms[2].threshold, 5.0);
        let s = rollout_settings(&svc, &alarms);
        assert_eq!((s.min_healthy_percent, s.max_percent), (0, 100));
        assert_eq!(s.alarms.len(), 3);
    }

    #[test]
    fn named_alarms_are_used_as_they_are_and_long_names_are_cut() {
        let svc = service_in(
            "name: api\ntype: Backend Service\nimage:\n  location: a:1\ndeployment:\n  rollback_alarms: [HighErrors]\n",
            None,
        );
        let s = rollout_settings(&svc, &[]);
        assert_eq!(s.alarms, ["HighErrors"]);
        assert_eq!((s.min_healthy_percent, s.max_percent), (100, 200));
        let long = "x".repeat(120);
        assert!(alarm_name(&long, &long, &long, "CopilotRollbackCPUAlarm").len() <= 255);
    }
}
