//! One-off tasks (RunTask), which the emulator starts and never stops: each
//! stops after a set time, with the outcome the test asked for — every
//! container exiting with a code, or the task failing to start (no exit
//! codes, ECS's TaskFailedToStart) — and StopTask stops one at once.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Exit(i32),
    FailToStart,
    Stopped,
}

impl Outcome {
    fn parse(s: &str) -> Option<Outcome> {
        match s {
            "fail" => Some(Outcome::FailToStart),
            _ => s.strip_prefix("exit:")?.parse().ok().map(Outcome::Exit),
        }
    }
}

struct Run {
    started: Instant,
    /// When it started (epoch seconds), as ECS answers `createdAt` and
    /// `startedAt`, which the emulator leaves out.
    started_epoch: f64,
    /// How long it runs: the duration set when it was started.
    duration: Duration,
    /// When it stopped (epoch seconds), once seen stopped.
    stopped_epoch: std::sync::OnceLock<f64>,
    outcome: Outcome,
    /// StopTask was called.
    stopped: Option<Instant>,
}

pub struct Runs {
    duration: Duration,
    outcomes: VecDeque<Outcome>,
    tasks: BTreeMap<String, Run>,
}

impl Default for Runs {
    fn default() -> Self {
        Runs {
            duration: Duration::from_millis(1000),
            outcomes: VecDeque::new(),
            tasks: BTreeMap::new(),
        }
    }
}

fn epoch_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

impl Runs {
    /// `{"outcomes": ["exit:0", "exit:3", "fail"], "ms": 1000}`: the next
    /// tasks' outcomes, in order (then `exit:0`), and how long they run
    /// (the tasks started before keep theirs).
    pub fn configure(&mut self, c: &Value) -> Result<(), String> {
        if let Some(ms) = c["ms"].as_u64() {
            self.duration = Duration::from_millis(ms);
        }
        if let Some(list) = c["outcomes"].as_array() {
            self.outcomes = list
                .iter()
                .map(|o| {
                    o.as_str()
                        .and_then(Outcome::parse)
                        .ok_or_else(|| format!("bad outcome {o}"))
                })
                .collect::<Result<_, _>>()?;
        }
        Ok(())
    }

    /// RunTask's answer: its tasks are ours to play.
    pub fn on_run(&mut self, response: &Value) {
        for t in response["tasks"].as_array().into_iter().flatten() {
            if let Some(arn) = t["taskArn"].as_str() {
                let outcome = self.outcomes.pop_front().unwrap_or(Outcome::Exit(0));
                self.tasks.insert(
                    arn.to_string(),
                    Run {
                        started: Instant::now(),
                        started_epoch: epoch_s(),
                        duration: self.duration,
                        stopped_epoch: std::sync::OnceLock::new(),
                        outcome,
                        stopped: None,
                    },
                );
            }
        }
    }

    pub fn on_stop(&mut self, request: &Value) {
        let wanted = request["task"].as_str().unwrap_or_default();
        for (arn, run) in &mut self.tasks {
            if arn == wanted || arn.ends_with(&format!("/{wanted}")) {
                run.stopped.get_or_insert_with(Instant::now);
            }
        }
    }

    /// DescribeTasks' answer, each of our tasks as it is by now.
    pub fn describe(&self, response: &mut Value) {
        for t in response["tasks"].as_array_mut().into_iter().flatten() {
            let Some(run) = t["taskArn"].as_str().and_then(|a| self.tasks.get(a)) else {
                continue;
            };
            for key in ["createdAt", "startedAt"] {
                if t[key].is_null() {
                    t[key] = json!(run.started_epoch);
                }
            }
            let outcome = match run.stopped {
                Some(_) => Outcome::Stopped,
                None if run.started.elapsed() >= run.duration => run.outcome.clone(),
                None => {
                    t["lastStatus"] = json!("RUNNING");
                    continue;
                }
            };
            t["lastStatus"] = json!("STOPPED");
            t["desiredStatus"] = json!("STOPPED");
            t["stoppedAt"] = json!(*run.stopped_epoch.get_or_init(epoch_s));
            let (code, reason, exit) = match outcome {
                Outcome::Exit(c) => ("EssentialContainerExited", "Essential container in task exited".to_string(), Some(c)),
                Outcome::Stopped => ("UserInitiated", "Task stopped by user".to_string(), Some(143)),
                Outcome::FailToStart => (
                    "TaskFailedToStart",
                    "CannotPullContainerError: pull image manifest has been retried 5 time(s) (simulated by sidecarctl-localproxy)".to_string(),
                    None,
                ),
            };
            t["stopCode"] = json!(code);
            t["stoppedReason"] = json!(reason);
            for c in t["containers"].as_array_mut().into_iter().flatten() {
                c["lastStatus"] = json!("STOPPED");
                match exit {
                    Some(e) => c["exitCode"] = json!(e),
                    None => {
                        if let Some(o) = c.as_object_mut() {
                            o.remove("exitCode");
                        }
                    }
                }
            }
        }
    }
}
