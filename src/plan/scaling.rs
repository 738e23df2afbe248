//! The plan's part for autoscaling: Copilot's scalable target, then its
//! policies (a policy needs its target).

use super::{Desired, Groups, Step, desired, lb};
use crate::state::Current;

/// Policies of Copilot's names for metrics no longer asked for go.
/// `lb_targets`: each routing rule's target group (the main rule's is the
/// load balancer metrics' dimension).
pub fn plan_scaling(d: &Desired, cur: &Current, lb_targets: &[lb::TgRef], g: &mut Groups) {
    // Autoscaling, once the service exists: Copilot's target, then its
    // policies (a policy needs its target); policies of Copilot's names for
    // metrics no longer asked for go.
    if let Some(want) = &d.scaling {
        let now = cur.scaling.clone().unwrap_or_default();
        if now.range != Some((want.min, want.max)) {
            g.target.push(Step::RegisterScalableTarget {
                min: want.min,
                max: want.max,
            });
        }
        for p in &want.policies {
            // A load balancer metric's target group: the main rule's.
            let mut p = p.clone();
            let mut new_target_group = None;
            if let Some(dim) = p.custom.as_mut().and_then(|c| {
                c.dimensions
                    .iter_mut()
                    .find(|(k, v)| k == desired::TARGET_GROUP_DIMENSION && v.is_empty())
            }) {
                match lb_targets.first() {
                    Some(lb::TgRef::Existing(arn)) => dim.1 = lb::target_group_full_name(arn),
                    Some(new @ (lb::TgRef::New(_) | lb::TgRef::NewNlb(_))) => {
                        new_target_group = Some(new.clone())
                    }
                    None => continue,
                }
            }
            if new_target_group.is_some() || !now.policies.contains(&p) {
                g.scale.push(Step::PutScalingPolicy {
                    policy: p,
                    target_group: new_target_group,
                });
            }
        }
        for p in &now.policies {
            let owned = want.owned.contains(&p.name) || p.name.starts_with(&want.owned_prefix);
            if owned && !want.policies.iter().any(|w| w.name == p.name) {
                g.scale.push(Step::DeleteScalingPolicy {
                    name: p.name.clone(),
                });
            }
        }
    }
}
