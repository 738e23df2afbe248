//! What every kind of deploy run shares, whatever it deploys (a service
//! from its manifest today; a rollback, a one-off task or a job later): the
//! report as it fills up and how it ends ([`Ledger`], [`Stop`]), the deploy
//! lock's refusal and release, and how a rollout's ending reads in the
//! report. Nothing here needs a manifest.

use std::time::{Duration, Instant};

use super::Finished;
use super::lease::Taken;
use super::report::{LockNotReleased, Outcome, Report};
use super::rollout::Ending;
use crate::aws::Aws;
use crate::clock::{humantime, now_ms, rfc3339_ms};
use crate::diag::{Diagnostics, render_json};
use crate::names::arn::short_task_definition as short_td;
use crate::state::LockHolder;

/// The report as it fills up, and how it ends.
pub(super) struct Ledger {
    pub report: Report,
    pub diagnostics: Diagnostics,
    pub started: Instant,
    /// Changes made before the plan's (an `efs: true` access point): they
    /// stay first in the report's `changes`.
    pub done_first: Vec<String>,
}

/// Why a deploy ends before the end.
pub(super) struct Stop {
    pub outcome: Outcome,
    pub error: Option<String>,
    pub diagnostics: Diagnostics,
}

impl Stop {
    pub fn new(outcome: Outcome, error: impl Into<String>) -> Stop {
        Stop {
            outcome,
            error: Some(error.into()),
            diagnostics: Diagnostics::new(),
        }
    }

    pub fn with(outcome: Outcome, diagnostics: Diagnostics) -> Stop {
        Stop {
            outcome,
            error: None,
            diagnostics,
        }
    }
}

impl Ledger {
    pub fn end(self, outcome: Outcome) -> Finished {
        self.end_with(outcome, None)
    }

    pub fn end_with(mut self, outcome: Outcome, plan_text: Option<String>) -> Finished {
        self.report.timings_ms.total = self.started.elapsed().as_millis() as u64;
        self.report.diagnostics = render_json(&self.diagnostics);
        Finished {
            report: self.report.finish(outcome),
            plan_text,
            diagnostics: self.diagnostics,
        }
    }

    pub fn fail(mut self, outcome: Outcome, error: String) -> Finished {
        self.report.error = Some(error);
        self.end(outcome)
    }

    pub fn stop(mut self, stop: Stop) -> Finished {
        self.diagnostics.extend(stop.diagnostics.into_vec());
        if stop.error.is_some() {
            self.report.error = stop.error;
        }
        self.end(stop.outcome)
    }
}

/// Another live deploy holds the lock.
pub(super) fn busy(name: &str, h: &LockHolder) -> Stop {
    let left = (h.expires - now_ms()).max(0);
    Stop::new(
        Outcome::Busy,
        format!(
            "another deploy of {name} is under way: {} since {}; its lease runs out at {} (in {}) unless it is renewed; nothing was changed",
            h.owner,
            rfc3339_ms(h.since),
            rfc3339_ms(h.expires),
            humantime(Duration::from_millis(left as u64))
        ),
    )
}

/// Releases the lock, when this deploy took it; a failure is reported, with
/// the command that clears the lock.
pub(super) async fn release(
    aws: &Aws,
    (app, env, name): (&str, &str, &str),
    lock: Option<Taken>,
    mut f: Finished,
) -> Finished {
    let Some(Taken::Yes(lease)) = lock else {
        return f;
    };
    let parameter = lease.name().to_string();
    if let Err(e) = lease.release(aws).await {
        f.report.lock_not_released = Some(LockNotReleased {
            parameter,
            error: e.to_string(),
            clear: format!("sidecarctl unlock {name} --env {env} --app {app}"),
        });
    }
    f
}

/// How the rollout ended, in the report.
pub(super) fn conclude(
    mut ledger: Ledger,
    ending: Ending,
    target: &str,
    advice: String,
) -> Finished {
    let r = &mut ledger.report;
    match ending {
        Ending::Completed(rollout) => {
            r.rollout = Some(rollout);
            ledger.end(Outcome::Deployed)
        }
        Ending::Interrupted {
            rolling_back_to: None,
        } => ledger.fail(Outcome::Interrupted, advice),
        Ending::Interrupted {
            rolling_back_to: Some(to),
        } => ledger.fail(
            Outcome::Interrupted,
            format!("interrupted while rolling back to {}", short_td(&to)),
        ),
        Ending::RolledBack {
            reason,
            to,
            rollout,
            rollback,
        } => {
            r.rollout = rollout;
            r.rollback = Some(rollback);
            ledger.fail(
                Outcome::RolledBack,
                format!("{reason}; rolled back to {}", short_td(&to)),
            )
        }
        Ending::NotRolledBack {
            reason,
            why,
            rollout,
            rollback,
        } => {
            r.rollout = rollout;
            r.rollback = rollback;
            ledger.fail(Outcome::Failed, format!("{reason}; {why}"))
        }
        Ending::Unwatched(e) => ledger.fail(
            Outcome::Error,
            format!(
                "{e}; the service was updated to {}, but its rollout could not be watched",
                short_td(target)
            ),
        ),
    }
}

pub(super) fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// A duration for the summary line.
pub fn took(report: &Report) -> String {
    humantime(Duration::from_millis(report.timings_ms.total))
}
