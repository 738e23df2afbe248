//! The plan's part for the ECS service: its Cloud Map service, then the
//! service created or updated in place, last.

use super::{Desired, Groups, RegistryRef, Step, TaskDefinitionChange, lb};
use crate::state::Current;

/// What the service must be updated with, beside what `Desired` says.
pub struct ServiceInputs<'a> {
    pub task_definition: &'a TaskDefinitionChange,
    /// The load balancer entries, when they change.
    pub entries: Option<Vec<(lb::TgRef, String, i32)>>,
}

/// What a new service is created with.
#[derive(Default)]
pub struct Created {
    pub load_balancers: Vec<(lb::TgRef, String, i32)>,
    pub service_registries: Vec<(RegistryRef, i32)>,
}

/// The service's steps; what a new one is created with.
pub fn plan_service(d: &Desired, cur: &Current, i: ServiceInputs<'_>, g: &mut Groups) -> Created {
    let grace =
        d.lb.as_ref()
            .map(|l| l.grace_period_s)
            .or(d.nlb.as_ref().map(|n| n.grace_period_s));
    let entries = i.entries;
    let task_definition = i.task_definition;
    let mut created = Created::default();
    // Cloud Map: the service's own, created when missing, before the ECS
    // service that registers its tasks in it.
    let registries: Option<Vec<(RegistryRef, i32)>> = d.discovery.as_ref().map(|want| {
        let r = match &cur.discovery {
            Some(found) => RegistryRef::Existing(found.arn.clone()),
            None => {
                g.first.push(Step::CreateDiscoveryService);
                RegistryRef::New
            }
        };
        want.port.map(|p| vec![(r, p)]).unwrap_or_default()
    });

    match &cur.service {
        None => {
            created.load_balancers = entries.clone().unwrap_or_default();
            created.service_registries = registries.clone().unwrap_or_default();
            g.last.push(Step::CreateService)
        }
        Some(s) => {
            let td_moves = match &task_definition {
                TaskDefinitionChange::Unchanged { arn } => s.task_definition != *arn,
                _ => true,
            };
            let breaker_differs = s.circuit_breaker_rollback.is_some_and(|r| r != d.rollback);
            let rollout_differs =
                s.rollout_settings.clone().unwrap_or_default() != d.rollout_settings;
            let mut capacity = s.capacity.clone();
            capacity.sort();
            let grace_period_s = grace.filter(|g| s.health_check_grace_s != Some(*g));
            let now: Vec<(RegistryRef, i32)> = s
                .service_registries
                .iter()
                .map(|r| {
                    (
                        RegistryRef::Existing(r.arn.clone()),
                        r.port.unwrap_or_default(),
                    )
                })
                .collect();
            let service_registries = registries.clone().filter(|want| *want != now);
            // Service Connect: the namespace is compared by what it does, not
            // by how it is named (ECS answers with its ARN).
            let connect_now = s.service_connect.clone().unwrap_or_default();
            let service_connect = d.connect.clone().filter(|want| {
                want.enabled != connect_now.enabled || want.services != connect_now.services
            });
            if td_moves
                || s.desired != d.desired_count
                || breaker_differs
                || rollout_differs
                || s.exec != d.exec
                || capacity != d.capacity
                || entries.is_some()
                || grace_period_s.is_some()
                || service_registries.is_some()
                || service_connect.is_some()
            {
                g.last.push(Step::UpdateService {
                    desired: d.desired_count,
                    capacity: (capacity != d.capacity).then(|| d.capacity.clone()),
                    load_balancers: entries.clone(),
                    grace_period_s,
                    service_registries,
                    service_connect,
                });
            }
        }
    }

    created
}
