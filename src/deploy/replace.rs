//! Target groups replaced without dropping traffic (see
//! [`crate::plan::lb::Phase`]), carried on after the plan's own writes:
//!
//! - after the first rollout completes (the service registered in both the
//!   old and the new group), the rules weigh everything to the new group once
//!   it has as many healthy targets as the old one, and the service leaves
//!   the old group: a second rollout, watched and rolled back like the first;
//! - after it, the rules forward to the new group alone, and the old group,
//!   read back as attached to no load balancer and no longer the service's,
//!   is deleted;
//! - when the first rollout fails and the service is back on the old group,
//!   the rules forward to the old group alone again.
//!
//! Each step reads what it depends on again first. Stopped anywhere, the
//! path is still routed to targets, and the next deploy takes the
//! replacement up where it stands (the plan reads the phase from AWS).

use std::time::Instant;

use futures_util::future::try_join_all;

use super::Deploy;
use super::apply::Applied;
use super::rollout::{self, Ending, Follow, RollBack};
use super::watch::{Seen, Watch, WatchEnd, watch};
use crate::aws::{self, AwsError};
use crate::names::arn::target_group_name;
use crate::plan::Plan;
use crate::plan::lb::Phase;
use crate::state::ServiceState;
use crate::state::lb::{Conditions, LoadBalancer, Weighted};

#[derive(Clone, Debug)]
struct Item {
    from: String,
    to: String,
    /// The listener rules forwarding to them, with the conditions wanted.
    rules: Vec<(String, Conditions)>,
    phase: Phase,
    /// The first rollout failed and the rules forward to the old group alone again.
    undone: bool,
}

/// The replacements of one deploy, their target groups known.
#[derive(Debug)]
pub struct Replace {
    items: Vec<Item>,
    /// What was done, described.
    pub done: Vec<String>,
}

/// What carrying on needs of the deploy's rollout.
pub struct Context<'a> {
    pub cluster: &'a str,
    pub service: &'a str,
    pub desired: i32,
    pub seen: &'a mut Seen,
}

impl Replace {
    /// The plan's replacements, with the target groups the apply created;
    /// `None` when the plan has none.
    pub fn new(plan: &Plan, applied: &Applied) -> Result<Option<Replace>, AwsError> {
        if plan.swaps.is_empty() {
            return Ok(None);
        }
        let items = plan
            .swaps
            .iter()
            .map(|s| {
                Ok(Item {
                    from: s.from.clone(),
                    to: applied.target_group(&s.to)?,
                    rules: s.rules.clone(),
                    phase: s.phase,
                    undone: false,
                })
            })
            .collect::<Result<_, AwsError>>()?;
        Ok(Some(Replace {
            items,
            done: Vec::new(),
        }))
    }

    /// Where the replacements stand and what the next deploy does, for a
    /// deploy that stops before the end.
    pub fn state(&self) -> String {
        self.items
            .iter()
            .map(|i| {
                let (from, to) = (target_group_name(&i.from), target_group_name(&i.to));
                match i.phase {
                    Phase::Start if i.undone => format!(
                        "target group {from} is being replaced by {to}: the rules send the traffic to {from}, where the service is; the next deploy registers the service in both again"
                    ),
                    Phase::Start => format!(
                        "target group {from} is being replaced by {to}: the service registers in both (its rollout goes on in ECS) and the rules send the traffic to {from}; the next deploy waits for that rollout, then moves the traffic to {to} once it is healthy"
                    ),
                    Phase::Split => format!(
                        "target group {from} is being replaced by {to}: the service registers in both; the next deploy moves the traffic to {to} once it is healthy"
                    ),
                    Phase::Settle => format!(
                        "target group {from} is being replaced by {to}: the traffic goes to {to}; the next deploy deletes {from}"
                    ),
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// After a first rollout that failed, the service back on the old
    /// groups: the rules forward to them alone (the new groups stay, for the
    /// next try).
    pub async fn undo(&mut self, d: &mut Deploy<'_>) -> Result<(), AwsError> {
        for i in self.items.iter_mut().filter(|i| i.phase == Phase::Start) {
            weigh(d, &i.rules, &[(&i.from, 1)]).await?;
            i.undone = true;
            let text = format!(
                "listener rules forward to target group {} alone again",
                target_group_name(&i.from)
            );
            d.progress.note(&text);
            self.done.push(text);
        }
        Ok(())
    }

    /// Carries the replacements on to their end, once the service is
    /// steady: returns the second rollout's ending, when there was one, and
    /// the task definition it rolled out.
    pub async fn carry_on(
        &mut self,
        d: &mut Deploy<'_>,
        cx: &mut Context<'_>,
    ) -> Result<Option<(Ending, String)>, String> {
        let state = steady(d, cx).await?;
        let splitting: Vec<usize> = (0..self.items.len())
            .filter(|&k| matches!(self.items[k].phase, Phase::Start | Phase::Split))
            .collect();
        let mut second = None;
        if !splitting.is_empty() {
            for &k in &splitting {
                self.shift(d, k).await?;
            }
            let ending = self.leave_old_groups(d, cx, &state, &splitting).await?;
            let completed = matches!(ending, Ending::Completed(_));
            second = Some((ending, state.task_definition.clone()));
            if !completed {
                return Ok(second);
            }
            for &k in &splitting {
                self.items[k].phase = Phase::Settle;
            }
        }
        for k in 0..self.items.len() {
            self.settle(d, cx, k).await?;
        }
        Ok(second)
    }

    /// The rules send everything to the new group, once it has a healthy
    /// target and as many as the old one.
    async fn shift(&mut self, d: &mut Deploy<'_>, k: usize) -> Result<(), String> {
        let item = self.items[k].clone();
        let deadline = Instant::now() + d.opts.timeout;
        let why = loop {
            let read = tokio::try_join!(
                aws::elb::healthy_targets(&d.aws.elb, &item.to),
                aws::elb::healthy_targets(&d.aws.elb, &item.from)
            );
            match read {
                Ok((on, left)) if on > 0 && on >= left => {
                    break format!(
                        "{on} healthy target(s) there, {left} in {}",
                        target_group_name(&item.from)
                    );
                }
                Ok(_) => {}
                // ECS completed the rollout only once its tasks were healthy in
                // every group of the service: that is the proof left.
                Err(e) => {
                    d.progress.problem(&format!(
                        "target health could not be read ({e}); the rollout ECS completed shows the tasks healthy in both groups"
                    ));
                    break "the rollout completed".to_string();
                }
            }
            if d.cancel.is_cancelled() {
                return Err("interrupted while waiting for the new target group's health".into());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "target group {} never had as many healthy targets as {}; the traffic stays on {}",
                    target_group_name(&item.to),
                    target_group_name(&item.from),
                    target_group_name(&item.from)
                ));
            }
            tokio::time::sleep(d.opts.poll).await;
        };
        weigh(d, &item.rules, &[(&item.from, 0), (&item.to, 1)])
            .await
            .map_err(|e| e.to_string())?;
        let text = format!(
            "listener rules send the traffic to target group {} ({why})",
            target_group_name(&item.to)
        );
        d.progress.note(&text);
        self.done.push(text);
        self.items[k].phase = Phase::Split;
        Ok(())
    }

    /// The service leaves the old groups: a second rollout, watched, rolled
    /// back to both groups when it fails.
    async fn leave_old_groups(
        &mut self,
        d: &mut Deploy<'_>,
        cx: &mut Context<'_>,
        state: &ServiceState,
        splitting: &[usize],
    ) -> Result<Ending, String> {
        let before = state.load_balancers.clone();
        let olds: Vec<&str> = splitting
            .iter()
            .map(|&k| self.items[k].from.as_str())
            .collect();
        let after: Vec<LoadBalancer> = before
            .iter()
            .filter(|l| !olds.contains(&l.target_group.as_str()))
            .cloned()
            .collect();
        let td = state.task_definition.clone();
        let updated = aws::ecs::update_service(
            &d.aws.ecs,
            cx.cluster,
            cx.service,
            aws::ecs::ServiceUpdate {
                task_definition: &td,
                desired: cx.desired,
                rollback: d.opts.rollback,
                load_balancers: Some(&after),
                rollout_settings: state.rollout_settings.as_ref(),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        cx.seen.extend(&updated);
        let text = format!(
            "service leaves target group{} {}",
            if olds.len() == 1 { "" } else { "s" },
            olds.iter()
                .map(|o| target_group_name(o))
                .collect::<Vec<_>>()
                .join(", ")
        );
        d.progress.note(&text);
        self.done.push(text);
        let deployment = updated.primary().map(|p| p.id.clone());
        let follow = Follow {
            cluster: cx.cluster,
            service: cx.service,
            target: &td,
            deployment: deployment.as_deref().filter(|id| !id.is_empty()),
            previous: Some(&td),
            previous_desired: cx.desired,
            timeout: d.opts.timeout,
            poll: d.opts.poll,
            roll_back: if d.opts.rollback {
                RollBack::Yes
            } else {
                RollBack::No("not rolled back (--no-rollback)".into())
            },
            circuit_breaker_rollback: d.opts.rollback,
            previous_load_balancers: Some(&before),
            rollout_settings: state.rollout_settings.as_ref(),
        };
        Ok(rollout::follow(d.aws, &follow, cx.seen, d.progress, &d.cancel).await)
    }

    /// The rules forward to the new group alone, and the old group goes
    /// once it is read back as attached to nothing and not the service's.
    async fn settle(
        &mut self,
        d: &mut Deploy<'_>,
        cx: &mut Context<'_>,
        k: usize,
    ) -> Result<(), String> {
        let item = self.items[k].clone();
        weigh(d, &item.rules, &[(&item.to, 1)])
            .await
            .map_err(|e| e.to_string())?;
        let text = format!(
            "listener rules forward to target group {} alone",
            target_group_name(&item.to)
        );
        d.progress.note(&text);
        self.done.push(text);
        let (attached, service) = tokio::join!(
            aws::elb::attached_to(&d.aws.elb, &item.from),
            aws::ecs::describe_service(&d.aws.ecs, cx.cluster, cx.service)
        );
        let attached = attached.map_err(|e| e.to_string())?;
        let in_service = service
            .map_err(|e| e.to_string())?
            .is_none_or(|s| s.load_balancers.iter().any(|l| l.target_group == item.from));
        let name = target_group_name(&item.from);
        // What still forwards to it, read from the load balancers' listeners
        // and rules themselves.
        let mut users = Vec::new();
        for lb in attached.iter().flatten() {
            users.extend(
                aws::elb::forwarding_to(&d.aws.elb, lb, &item.from)
                    .await
                    .map_err(|e| e.to_string())?,
            );
        }
        if in_service {
            users.insert(0, "the service".to_string());
        }
        let text = match attached {
            None => format!("target group {name} is gone already"),
            Some(_) if !users.is_empty() => {
                let text = format!(
                    "target group {name} is kept: {} still use it (not deleted while anything does)",
                    users.join(", ")
                );
                d.progress.problem(&text);
                self.done.push(text);
                return Ok(());
            }
            Some(_) => match aws::elb::delete_target_group(&d.aws.elb, &item.from).await {
                Ok(()) => format!("delete target group {name} (attached to nothing)"),
                // It takes no traffic and nothing uses it: said, for deleting by hand.
                Err(e) => {
                    let text = format!(
                        "target group {} takes no traffic and nothing uses it, but could not be deleted ({e}): delete it by hand",
                        item.from
                    );
                    d.progress.problem(&text);
                    self.done.push(text);
                    return Ok(());
                }
            },
        };
        d.progress.note(&text);
        self.done.push(text);
        Ok(())
    }
}

/// Sets the rules to forward to `to`, by weight.
async fn weigh(
    d: &Deploy<'_>,
    rules: &[(String, Conditions)],
    to: &[(&String, i32)],
) -> Result<(), AwsError> {
    let weights: Vec<Weighted> = to
        .iter()
        .map(|(arn, w)| Weighted {
            arn: (*arn).clone(),
            weight: *w,
        })
        .collect();
    try_join_all(
        rules
            .iter()
            .map(|(arn, c)| aws::elb::weigh_rule(&d.aws.elb, arn, c, &weights)),
    )
    .await?;
    Ok(())
}

/// The service once its rollout under way (if any) has completed; an error
/// when it failed or could not be watched.
async fn steady(d: &mut Deploy<'_>, cx: &mut Context<'_>) -> Result<ServiceState, String> {
    let state = aws::ecs::describe_service(&d.aws.ecs, cx.cluster, cx.service)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("the service {} is gone", cx.service))?;
    let Some(p) = crate::plan::rollout::unfinished(&state) else {
        return Ok(state);
    };
    d.progress.note(&format!(
        "waiting for the rollout under way ({}) before the replacement goes on",
        p.id
    ));
    let (td, id) = (p.task_definition.clone(), p.id.clone());
    let w = Watch {
        cluster: cx.cluster,
        service: cx.service,
        target: &td,
        deployment: Some(&id),
        timeout: d.opts.timeout,
        poll: d.opts.poll,
    };
    match watch(d.aws, &w, cx.seen, d.progress, &d.cancel).await {
        Ok(WatchEnd::Completed(s)) => Ok(s),
        Ok(WatchEnd::Interrupted) => {
            Err("interrupted while waiting for the rollout under way".into())
        }
        Ok(WatchEnd::Failed { reason, .. } | WatchEnd::RollingBack { reason, .. }) => Err(format!(
            "the rollout under way failed ({reason}); the replacement waits for the next deploy"
        )),
        Ok(WatchEnd::TimedOut(_)) => Err("the rollout under way did not complete in time".into()),
        Err(e) => Err(e.to_string()),
    }
}
