//! The load balancer as Copilot's `alb.yml`, `http-listener.yml` and
//! `https-listener.yml` set it up, pure: a target group per routing rule,
//! listener rules on the environment's listeners, and what must change to get
//! there from what is.

use std::collections::BTreeMap;

pub use super::target::{
    DEFAULT_DEREGISTRATION_DELAY_S, DEFAULT_GRACE_PERIOD_S, TgRef, describe_entries,
};
pub use crate::model::DesiredTargetGroup;
use crate::state::lb::{
    AliasRecord, Conditions, HealthCheck, LbState, ListenerRule, LoadBalancer, RuleAction,
    TargetGroup,
};

/// Copilot's rule priorities: a rule for `/` takes the highest free number
/// below 50000 (so that it matches last), any other rule the next number
/// above the listener's other rules.
const MIN_ROOT_PRIORITY: i32 = 48000;
const MAX_ROOT_PRIORITY: i32 = 50000;

/// What a rule on one listener does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UseAction {
    /// Forward to the rule's target group.
    Forward,
    RedirectToHttps,
}

/// A routing rule on one listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerUse {
    pub listener: String,
    pub conditions: Conditions,
    pub action: UseAction,
}

/// One routing rule of the manifest (`http` is rule 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredRule {
    /// `/` or `/api`.
    pub path: String,
    pub container: String,
    pub port: i32,
    pub target_group: DesiredTargetGroup,
    pub listeners: Vec<ListenerUse>,
}

impl DesiredRule {
    fn root(&self) -> bool {
        self.path == "/"
    }
}

/// The service's load balancer rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredLb {
    pub vpc: String,
    pub rules: Vec<DesiredRule>,
    pub grace_period_s: i32,
    /// The listeners whose rules must be read.
    pub listeners: Vec<String>,
    /// The aliases' A records, sorted.
    pub records: Vec<AliasRecord>,
}

impl DesiredLb {
    /// The load balancer's name in CloudWatch's dimension form, `app/NAME/ID`,
    /// from its listener's ARN (`…:listener/app/NAME/ID/LISTENER`).
    pub fn load_balancer_full_name(&self) -> Option<String> {
        let resource = self.listeners.first()?.split(":listener/").nth(1)?;
        let parts: Vec<&str> = resource.split('/').collect();
        (parts.len() == 4).then(|| parts[..3].join("/"))
    }
}

/// A target group's name in CloudWatch's dimension form,
/// `targetgroup/NAME/ID`, from its ARN.
pub fn target_group_full_name(arn: &str) -> String {
    arn.rsplit(':').next().unwrap_or(arn).to_string()
}

/// The next free priority for a rule, as Copilot's rule-priority function
/// chooses it among `rules` (and those already chosen, `taken`).
pub fn next_priority(rules: &[ListenerRule], taken: &[i32], root: bool) -> i32 {
    let used = rules
        .iter()
        .filter_map(|r| r.priority)
        .chain(taken.iter().copied());
    if root {
        used.filter(|p| *p >= MIN_ROOT_PRIORITY)
            .min()
            .unwrap_or(MAX_ROOT_PRIORITY + 1)
            - 1
    } else {
        used.filter(|p| *p < MIN_ROOT_PRIORITY).max().unwrap_or(0) + 1
    }
}

/// A change to the load balancer.
#[derive(Clone, Debug, PartialEq)]
pub enum LbStep {
    CreateTargetGroup {
        rule: usize,
    },
    /// Health check settings of an existing target group.
    ModifyTargetGroup {
        rule: usize,
        arn: String,
    },
    /// Deregistration delay and stickiness.
    SetTargetGroupAttributes {
        rule: usize,
        target_group: TgRef,
    },
    CreateRule {
        rule: usize,
        listener: String,
        priority: i32,
        conditions: Conditions,
        action: UseAction,
        target_group: TgRef,
    },
    ModifyRule {
        rule: usize,
        arn: String,
        conditions: Conditions,
        action: UseAction,
        target_group: TgRef,
    },
    /// A rule that forwards to target groups by weight: during a target
    /// group's replacement, the new group joins at weight 0.
    WeighRule {
        rule: usize,
        arn: String,
        conditions: Conditions,
        weights: Vec<(TgRef, i32)>,
    },
    /// A rule of a routing rule the manifest no longer has.
    DeleteRule {
        arn: String,
    },
    /// The aliases' A records in one hosted zone.
    UpsertRecords {
        zone: String,
        records: Vec<AliasRecord>,
    },
}

/// What the load balancer needs, in the plan's groups.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LbPlan {
    /// Target groups to create (before the rules that forward to them).
    pub first: Vec<LbStep>,
    /// Rules and the attributes of new target groups.
    pub second: Vec<LbStep>,
    /// Once the service no longer uses them.
    pub cleanup: Vec<LbStep>,
    /// The service's load balancer entries, when they change.
    pub load_balancers: Option<Vec<(TgRef, String, i32)>>,
    /// Each rule's target group.
    pub targets: Vec<TgRef>,
    /// Target groups replaced during the rollout.
    pub swaps: Vec<Swap>,
}

fn same_health(want: &HealthCheck, have: &HealthCheck) -> bool {
    fn same<T: PartialEq>(w: &Option<T>, h: &Option<T>) -> bool {
        w.is_none() || w == h
    }
    want.path == have.path
        && want.port == have.port
        && same(&want.success_codes, &have.success_codes)
        && same(&want.healthy_threshold, &have.healthy_threshold)
        && same(&want.unhealthy_threshold, &have.unhealthy_threshold)
        && same(&want.interval_s, &have.interval_s)
        && same(&want.timeout_s, &have.timeout_s)
}

fn action_matches(want: &UseAction, tg: &TgRef, have: &RuleAction) -> bool {
    match (want, tg, have) {
        (UseAction::RedirectToHttps, _, RuleAction::RedirectToHttps) => true,
        (UseAction::Forward, TgRef::Existing(arn), RuleAction::Forward(tgs)) => {
            tgs.len() == 1 && &tgs[0].arn == arn
        }
        _ => false,
    }
}

/// How far a target group's replacement has come, read from what AWS holds
/// (the service's load balancer entries). A target group cannot change its
/// protocol or protocol version in place; it is replaced without the path
/// ever being routed to a group without healthy targets, whatever moment the
/// deploy is stopped at and whatever ECS does meanwhile:
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The service registers in the old group only. The new group joins the
    /// load balancer at weight 0 on the rules (they still send everything to
    /// the old one), and the service registers in both groups: a rollout.
    /// Should it fail, the service is back on the old group, where the rules
    /// send the traffic.
    Start,
    /// The service registers in both groups, so both have the same tasks.
    /// Once the new group has as many healthy targets as the old one, the
    /// rules weigh everything to it, and the service leaves the old group: a
    /// second rollout, whose every task registers in the new group (a
    /// rollback returns to both).
    Split,
    /// The service registers in the new group only. The rules forward to it
    /// alone, and the old group, once nothing is attached to it, is deleted.
    Settle,
}

/// A target group replaced (see [`Phase`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Swap {
    pub rule: usize,
    /// The target group replaced.
    pub from: String,
    pub to: TgRef,
    /// The listener rules that forward to them: ARN, and the conditions the
    /// manifest wants.
    pub rules: Vec<(String, Conditions)>,
    pub phase: Phase,
}

/// The service's entries on the application load balancer, rule by rule:
/// one entry, or two during a replacement (the group replaced, then rule
/// `i`'s new one: a group of its name speaking its protocol).
fn slots<'a>(
    entries: &[&'a LoadBalancer],
    want: &DesiredLb,
    by_arn: &BTreeMap<&str, &TargetGroup>,
) -> Vec<Vec<&'a LoadBalancer>> {
    let speaks = |l: &LoadBalancer, w: &DesiredTargetGroup| {
        by_arn
            .get(l.target_group.as_str())
            .is_some_and(|t| t.protocol == w.protocol && t.protocol_version == w.protocol_version)
    };
    let named = |l: &LoadBalancer, w: &DesiredTargetGroup| {
        by_arn
            .get(l.target_group.as_str())
            .is_some_and(|t| t.name == w.name)
    };
    let mut out = Vec::new();
    let mut k = 0;
    while k < entries.len() {
        let pair = want.rules.get(out.len()).is_some_and(|r| {
            let w = &r.target_group;
            entries
                .get(k + 1)
                .is_some_and(|n| named(n, w) && speaks(n, w) && !speaks(entries[k], w))
        });
        let n = if pair { 2 } else { 1 };
        out.push(entries[k..k + n].to_vec());
        k += n;
    }
    out
}

/// Health check, deregistration delay and stickiness of a target group kept.
fn tune(plan: &mut LbPlan, i: usize, w: &DesiredTargetGroup, have: &TargetGroup) {
    if !same_health(&w.health, &have.health) {
        plan.first.push(LbStep::ModifyTargetGroup {
            rule: i,
            arn: have.arn.clone(),
        });
    }
    if have.deregistration_delay_s != Some(w.deregistration_delay_s)
        || have.stickiness != Some(w.stickiness)
    {
        plan.first.push(LbStep::SetTargetGroupAttributes {
            rule: i,
            target_group: TgRef::Existing(have.arn.clone()),
        });
    }
}

/// What `plan_lb` works out rule by rule.
struct Planner<'a> {
    want: &'a DesiredLb,
    cur: &'a LbState,
    by_arn: BTreeMap<&'a str, &'a TargetGroup>,
    /// Priorities chosen so far, by listener.
    taken: BTreeMap<&'a str, Vec<i32>>,
    plan: LbPlan,
}

/// Rule `i`'s target groups, as found.
struct Groups {
    /// The group it forwards to once done.
    tg: TgRef,
    /// A replacement under way or to start: the group replaced, and where it stands.
    swap: Option<(String, Phase)>,
    /// The service's entries for the rule.
    entries: Vec<TgRef>,
}

impl<'a> Planner<'a> {
    fn speaks(t: &TargetGroup, w: &DesiredTargetGroup) -> bool {
        t.protocol == w.protocol && t.protocol_version == w.protocol_version
    }

    /// Rule `i`'s target groups, from the service's entries for it (`slot`)
    /// or, for a rule it has none for, a group of the rule's name.
    fn groups(&mut self, i: usize, w: &DesiredTargetGroup, slot: &[&LoadBalancer]) -> Groups {
        let tg_of = |l: &LoadBalancer| self.by_arn.get(l.target_group.as_str()).copied();
        match slot {
            // Both registered: a replacement under way.
            [old, new] => {
                let new_tg = tg_of(new);
                if let Some(have) = new_tg {
                    tune(&mut self.plan, i, w, have);
                }
                let to = TgRef::Existing(new.target_group.clone());
                Groups {
                    tg: to.clone(),
                    swap: Some((old.target_group.clone(), Phase::Split)),
                    entries: vec![TgRef::Existing(old.target_group.clone()), to],
                }
            }
            [one] => match tg_of(one) {
                Some(t) if !Self::speaks(t, w) => {
                    let to = self.new_or_named(i, w, &t.arn);
                    Groups {
                        tg: to.clone(),
                        swap: Some((t.arn.clone(), Phase::Start)),
                        entries: vec![TgRef::Existing(t.arn.clone()), to],
                    }
                }
                Some(t) => {
                    tune(&mut self.plan, i, w, t);
                    let tg = TgRef::Existing(t.arn.clone());
                    // The rules still give another group a weight: the
                    // service left it, the replacement ends.
                    let swap = self.left_behind(&t.arn).map(|from| (from, Phase::Settle));
                    Groups {
                        tg: tg.clone(),
                        swap,
                        entries: vec![tg],
                    }
                }
                // An entry whose group cannot be read: kept as it is.
                None => {
                    let tg = TgRef::Existing(one.target_group.clone());
                    Groups {
                        tg: tg.clone(),
                        swap: None,
                        entries: vec![tg],
                    }
                }
            },
            _ => {
                let tg = self.new_or_named(i, w, "");
                Groups {
                    tg: tg.clone(),
                    swap: None,
                    entries: vec![tg],
                }
            }
        }
    }

    /// A group of the rule's name speaking its protocol (one an interrupted
    /// deploy made; its settings tuned), else a new one.
    fn new_or_named(&mut self, i: usize, w: &DesiredTargetGroup, not: &str) -> TgRef {
        let named = self
            .by_arn
            .values()
            .find(|t| t.name == w.name && t.arn != not && Self::speaks(t, w))
            .copied();
        match named {
            Some(have) => {
                tune(&mut self.plan, i, w, have);
                TgRef::Existing(have.arn.clone())
            }
            None => {
                self.plan.first.push(LbStep::CreateTargetGroup { rule: i });
                self.plan.second.push(LbStep::SetTargetGroupAttributes {
                    rule: i,
                    target_group: TgRef::New(i),
                });
                TgRef::New(i)
            }
        }
    }

    /// Another group the rules forwarding to `arn` still name (at any
    /// weight): the one a replacement leaves behind.
    fn left_behind(&self, arn: &str) -> Option<String> {
        self.want
            .listeners
            .iter()
            .flat_map(|l| self.cur.rules_of(l))
            .filter(|r| r.forwards_to(arn))
            .find_map(|r| match &r.action {
                RuleAction::Forward(tgs) => {
                    tgs.iter().find(|t| t.arn != arn).map(|t| t.arn.clone())
                }
                _ => None,
            })
    }

    /// Rule `i`'s listener rules, forwarding to `g.tg`; during a
    /// replacement, those forwarding to the groups replaced.
    fn listener_rules(&mut self, i: usize, rule: &'a DesiredRule, g: &Groups) {
        let cur = self.cur;
        // The target group serving the rule now.
        let serving = match (&g.swap, &g.tg) {
            (Some((from, Phase::Start | Phase::Split)), _) => Some(from.clone()),
            (_, TgRef::Existing(arn)) => Some(arn.clone()),
            _ => None,
        };
        // The rule on each listener: the one forwarding to this target group;
        // for a redirect, the redirect with the conditions of its HTTPS rule.
        let forwarded: Option<&ListenerRule> = serving.as_deref().and_then(|arn| {
            self.want
                .listeners
                .iter()
                .flat_map(|l| cur.rules_of(l))
                .find(|r| r.forwards_to(arn))
        });
        let mut swapped = Vec::new();
        for u in &rule.listeners {
            let rules = cur.rules_of(&u.listener);
            let found = match (&u.action, &serving) {
                (UseAction::Forward, Some(arn)) => rules.iter().find(|r| r.forwards_to(arn)),
                (UseAction::Forward, None) => None,
                (UseAction::RedirectToHttps, _) => {
                    let like = forwarded.map_or(&u.conditions, |f| &f.conditions);
                    rules
                        .iter()
                        .find(|r| r.action == RuleAction::RedirectToHttps && &r.conditions == like)
                }
            };
            let t = self.taken.entry(u.listener.as_str()).or_default();
            match (found, &g.swap) {
                // A replacement: the executor moves these rules; the first
                // phase attaches the new group now, at weight 0.
                (Some(r), Some((from, phase))) if u.action == UseAction::Forward => {
                    swapped.push((r.arn.clone(), u.conditions.clone()));
                    let attached = match &g.tg {
                        TgRef::Existing(arn) => r.forwards_to(arn),
                        TgRef::New(_) | TgRef::NewNlb(_) => false,
                    };
                    if *phase == Phase::Start && (!attached || r.conditions != u.conditions) {
                        self.plan.second.push(LbStep::WeighRule {
                            rule: i,
                            arn: r.arn.clone(),
                            conditions: u.conditions.clone(),
                            weights: vec![(TgRef::Existing(from.clone()), 1), (g.tg.clone(), 0)],
                        });
                    }
                }
                (Some(r), _) => {
                    if r.conditions != u.conditions || !action_matches(&u.action, &g.tg, &r.action)
                    {
                        self.plan.second.push(LbStep::ModifyRule {
                            rule: i,
                            arn: r.arn.clone(),
                            conditions: u.conditions.clone(),
                            action: u.action.clone(),
                            target_group: g.tg.clone(),
                        });
                    }
                }
                (None, _) => {
                    let priority = next_priority(rules, t, rule.root());
                    t.push(priority);
                    self.plan.second.push(LbStep::CreateRule {
                        rule: i,
                        listener: u.listener.clone(),
                        priority,
                        conditions: u.conditions.clone(),
                        action: u.action.clone(),
                        target_group: g.tg.clone(),
                    });
                }
            }
        }
        if let Some((from, phase)) = &g.swap {
            self.plan.swaps.push(Swap {
                rule: i,
                from: from.clone(),
                to: g.tg.clone(),
                rules: swapped,
                phase: *phase,
            });
        }
    }
}

/// Alias records that are missing or point elsewhere, a change per zone.
fn stale_records(want: &DesiredLb, cur: &LbState) -> Vec<LbStep> {
    let stale: Vec<&AliasRecord> = want
        .records
        .iter()
        .filter(|w| !cur.records.iter().any(|c| c.same_as(w)))
        .collect();
    let mut zones: Vec<&str> = stale.iter().map(|r| r.zone.as_str()).collect();
    zones.dedup();
    zones
        .into_iter()
        .map(|zone| LbStep::UpsertRecords {
            zone: zone.to_string(),
            records: stale
                .iter()
                .filter(|r| r.zone == zone)
                .map(|r| (*r).clone())
                .collect(),
        })
        .collect()
}

fn entry(l: &LoadBalancer) -> (TgRef, String, i32) {
    (
        TgRef::Existing(l.target_group.clone()),
        l.container.clone(),
        l.port,
    )
}

/// From what is to what the manifest asks. `service_lbs`: the service's
/// load balancer entries (empty for a new service).
pub fn plan_lb(want: &DesiredLb, cur: &LbState, service_lbs: &[LoadBalancer]) -> LbPlan {
    let by_arn: BTreeMap<&str, &TargetGroup> = cur
        .target_groups
        .iter()
        .map(|t| (t.arn.as_str(), t))
        .collect();
    // The service's application load balancer entries, in order, rule by
    // rule (two for a rule whose target group is being replaced).
    let alb_entries: Vec<&LoadBalancer> = service_lbs
        .iter()
        .filter(|l| {
            by_arn
                .get(l.target_group.as_str())
                .is_some_and(|t| t.protocol == "HTTP" || t.protocol == "HTTPS")
        })
        .collect();
    let slots = slots(&alb_entries, want, &by_arn);
    let mut p = Planner {
        want,
        cur,
        by_arn,
        taken: BTreeMap::new(),
        plan: LbPlan::default(),
    };
    let mut entries = Vec::new();
    for (i, rule) in want.rules.iter().enumerate() {
        let slot = slots.get(i).map_or(&[][..], Vec::as_slice);
        let g = p.groups(i, &rule.target_group, slot);
        p.listener_rules(i, rule, &g);
        p.plan.targets.push(g.tg.clone());
        entries.extend(
            g.entries
                .iter()
                .map(|tg| (tg.clone(), rule.container.clone(), rule.port)),
        );
    }
    let mut plan = p.plan;
    plan.first.extend(stale_records(want, cur));
    // Rules forwarding to target groups of rules the manifest dropped.
    for gone in slots.iter().skip(want.rules.len()).flatten() {
        for l in &want.listeners {
            for r in cur.rules_of(l) {
                if r.forwards_to(&gone.target_group) {
                    plan.cleanup.push(LbStep::DeleteRule { arn: r.arn.clone() });
                }
            }
        }
    }
    // Entries of other load balancers (a network load balancer's) stay as they are.
    let others = service_lbs.iter().filter(|l| !alb_entries.contains(l));
    let wanted: Vec<(TgRef, String, i32)> = entries.into_iter().chain(others.map(entry)).collect();
    let now: Vec<(TgRef, String, i32)> = service_lbs.iter().map(entry).collect();
    if wanted != now {
        plan.load_balancers = Some(wanted);
    }
    plan
}

impl Swap {
    /// What happens during and after the rollout, for the plan.
    pub fn describe(&self, d: &super::Desired) -> String {
        let from = crate::names::arn::target_group_name(&self.from);
        let to = self.to.describe(d);
        let settle = format!(
            "then the rules forward to {to} alone and {from}, attached to nothing, is deleted"
        );
        let split = format!(
            "once {to} has as many healthy targets as {from}, the rules send everything to {to} and the service leaves {from} (a second rollout); {settle}"
        );
        match self.phase {
            Phase::Start => format!(
                "replace target group {from} by {to} without dropping traffic: {to} joins the rules at weight 0 and the service registers in both during the rollout; {split}"
            ),
            Phase::Split => format!(
                "go on replacing target group {from} by {to} (the service registers in both): {split}"
            ),
            Phase::Settle => format!("finish replacing target group {from} by {to}: {settle}"),
        }
    }
}

mod describe;
mod desired;

pub use desired::desired_lb;

#[cfg(test)]
mod tests;
