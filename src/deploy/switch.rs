//! Target groups replaced during a rollout (see [`crate::plan::lb::Swap`]):
//! the listener rules move to the new group once it has at least one healthy
//! target and as many as the old group; back, the same way, when the rollout
//! fails and the service rolls back; after a rollout that completed, the twin
//! rules and the old group go.

use futures_util::future::try_join_all;

use super::apply::Applied;
use super::progress::Progress;
use crate::aws::{self, Aws, AwsError};
use crate::names::arn::{last_segment, target_group_name};
use crate::plan::Plan;
use crate::plan::lb::{LbStep, TgRef};
use crate::state::lb::Conditions;

/// Which way the rules move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// To the new target group, during the rollout.
    Forward,
    /// Back to the old one, during a rollback.
    Back,
}

/// A listener rule pointed at a target group.
#[derive(Clone, Debug)]
struct RuleMove {
    arn: String,
    conditions: Conditions,
    target_group: String,
}

#[derive(Clone, Debug)]
struct Item {
    from: String,
    to: String,
    forward: Vec<RuleMove>,
    back: Vec<RuleMove>,
    /// Where the rules point now.
    at: Direction,
}

/// The swaps of one deploy, their target groups known.
#[derive(Debug)]
pub struct Switch {
    items: Vec<Item>,
    /// The listeners the service's rules are on.
    listeners: Vec<String>,
    /// The moves made, described.
    pub done: Vec<String>,
    /// Target health could not be read (said once).
    health_unread: bool,
}

fn moves(
    steps: &[LbStep],
    tg: &dyn Fn(&TgRef) -> Result<String, AwsError>,
) -> Result<Vec<RuleMove>, AwsError> {
    steps
        .iter()
        .filter_map(|s| match s {
            LbStep::ModifyRule {
                arn,
                conditions,
                target_group,
                ..
            } => Some(tg(target_group).map(|t| RuleMove {
                arn: arn.clone(),
                conditions: conditions.clone(),
                target_group: t,
            })),
            _ => None,
        })
        .collect()
}

impl Switch {
    /// The plan's swaps, with the target groups the apply created; `None`
    /// when the plan replaces none.
    pub fn new(
        plan: &Plan,
        applied: &Applied,
        listeners: &[String],
    ) -> Result<Option<Switch>, AwsError> {
        if plan.swaps.is_empty() {
            return Ok(None);
        }
        let tg = |r: &TgRef| applied.target_group(r);
        let items = plan
            .swaps
            .iter()
            .map(|s| {
                Ok(Item {
                    from: s.from.clone(),
                    to: tg(&s.to)?,
                    forward: moves(&s.moves, &tg)?,
                    back: moves(&s.back, &tg)?,
                    at: Direction::Back,
                })
            })
            .collect::<Result<_, AwsError>>()?;
        Ok(Some(Switch {
            items,
            listeners: listeners.to_vec(),
            done: Vec::new(),
            health_unread: false,
        }))
    }

    /// Whether any rule was moved to a new target group.
    pub fn moved(&self) -> bool {
        self.items.iter().any(|i| i.at == Direction::Forward)
    }

    /// Moves the rules whose target group is ready to take the traffic: it
    /// has a healthy target, and as many as the group the rules leave.
    /// `settled`: the rollout ended (ECS saw its tasks healthy in every
    /// group of the service), so the rules move without asking.
    pub async fn step(
        &mut self,
        aws: &Aws,
        way: Direction,
        settled: bool,
        progress: &mut dyn Progress,
    ) -> Result<(), AwsError> {
        for item in self.items.iter_mut().filter(|i| i.at != way) {
            let (onto, off, rules) = match way {
                Direction::Forward => (&item.to, &item.from, &item.forward),
                Direction::Back => (&item.from, &item.to, &item.back),
            };
            let why = if settled {
                "the rollout ended".to_string()
            } else {
                let read = tokio::try_join!(
                    aws::elb::healthy_targets(&aws.elb, onto),
                    aws::elb::healthy_targets(&aws.elb, off)
                );
                let (on, left) = match read {
                    Ok(counts) => counts,
                    // Without target health, the rules move when ECS ends
                    // the rollout (it saw the tasks healthy in every group).
                    Err(e) => {
                        if !self.health_unread {
                            self.health_unread = true;
                            progress.problem(&format!(
                                "target health could not be read ({e}); the listener rules move when the rollout ends"
                            ));
                        }
                        continue;
                    }
                };
                if on == 0 || on < left {
                    continue;
                }
                format!("{on} healthy target(s) there, {left} left behind")
            };
            try_join_all(rules.iter().map(|m| {
                aws::elb::modify_rule(&aws.elb, &m.arn, &m.conditions, Some(&m.target_group))
            }))
            .await?;
            item.at = way;
            let text = format!(
                "listener rules moved to target group {} ({why})",
                target_group_name(onto)
            );
            progress.note(&text);
            self.done.push(text);
        }
        Ok(())
    }

    /// The twin rules: those forwarding to a new group that are not the
    /// rules moved.
    async fn twins(&self, aws: &Aws) -> Result<Vec<String>, AwsError> {
        let rules =
            try_join_all(self.listeners.iter().map(|l| aws::elb::rules(&aws.elb, l))).await?;
        Ok(rules
            .iter()
            .flatten()
            .filter(|r| {
                self.items
                    .iter()
                    .any(|i| r.forwards_to(&i.to) && !i.forward.iter().any(|m| m.arn == r.arn))
            })
            .map(|r| r.arn.clone())
            .collect())
    }

    /// After a rollout that completed: the twin rules and the old target
    /// groups go. Says what it did.
    pub async fn finish(&self, aws: &Aws) -> Result<Vec<String>, AwsError> {
        let mut done = self.drop_twins(aws).await?;
        for i in &self.items {
            aws::elb::delete_target_group(&aws.elb, &i.from).await?;
            done.push(format!(
                "delete target group {}",
                target_group_name(&i.from)
            ));
        }
        Ok(done)
    }

    /// After a rollback: the twin rules go; the new target groups stay for
    /// the next try (found again by name).
    pub async fn drop_twins(&self, aws: &Aws) -> Result<Vec<String>, AwsError> {
        let twins = self.twins(aws).await?;
        try_join_all(twins.iter().map(|t| aws::elb::delete_rule(&aws.elb, t))).await?;
        Ok(twins
            .iter()
            .map(|t| format!("delete twin rule {}", last_segment(t)))
            .collect())
    }

    /// What a cleanup that failed leaves, for the user to delete: the twin
    /// rules, and after a rollout that completed the old target groups.
    pub fn leftovers(&self, completed: bool) -> String {
        self.items
            .iter()
            .map(|i| {
                format!(
                    "{}the rules forwarding to {} other than {}",
                    if completed {
                        format!("target group {}, ", i.from)
                    } else {
                        String::new()
                    },
                    target_group_name(&i.to),
                    i.forward
                        .iter()
                        .map(|m| last_segment(&m.arn))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}
