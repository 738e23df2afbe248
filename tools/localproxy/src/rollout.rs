//! Simulated ECS rollouts. The emulator never moves a deployment on; here each
//! CreateService or UpdateService that changes the task definition starts a
//! deployment that, as time passes, completes, fails (and is rolled back by the
//! circuit breaker when the service asked for that) or hangs. DescribeServices
//! answers are rewritten to show it, events included; ListTasks and
//! DescribeTasks show the tasks each deployment runs.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Complete,
    /// No task ever runs; the deployment fails at the end.
    Fail,
    /// Tasks run (healthy in the deployment's target groups) as for
    /// `complete`, then the deployment fails at the end.
    FailLate,
    Hang,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// How long a rollout takes to complete or fail.
    pub duration_ms: u64,
    /// Outcomes of the next rollouts, in order; then `complete`.
    #[serde(default)]
    pub outcomes: Vec<Outcome>,
}

#[derive(Clone, Debug)]
struct Deployment {
    id: String,
    td: String,
    outcome: Outcome,
    started: Instant,
    created: f64,
    desired: i64,
    /// FAILED or COMPLETED once decided.
    finished: Option<&'static str>,
    /// The service's load balancer entries when it started: its tasks
    /// register in their target groups, and a rollback to it restores them.
    load_balancers: Value,
    target_groups: Vec<String>,
}

#[derive(Default)]
struct Sim {
    /// Newest first.
    deployments: Vec<Deployment>,
    /// Newest first: (id, epoch seconds, message).
    events: Vec<(String, f64, String)>,
    rollback_on_failure: bool,
    cluster_arn: String,
}

pub struct Rollouts {
    duration: Duration,
    queue: VecDeque<Outcome>,
    sims: HashMap<String, Sim>,
    counter: u64,
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

fn last_segment(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

fn key(cluster: &str, service: &str) -> String {
    format!("{}/{}", last_segment(cluster), last_segment(service))
}

impl Rollouts {
    pub fn new(duration: Duration) -> Self {
        Rollouts {
            duration,
            queue: VecDeque::new(),
            sims: HashMap::new(),
            counter: 0,
        }
    }

    pub fn configure(&mut self, c: Config) {
        self.duration = Duration::from_millis(c.duration_ms);
        self.queue = c.outcomes.into();
    }

    fn next_id(&mut self) -> String {
        self.counter += 1;
        format!(
            "ecs-svc/{:019}",
            4_000_000_000_000_000_000u64 + self.counter
        )
    }

    fn event(sim: &mut Sim, counter: &mut u64, message: String) {
        *counter += 1;
        sim.events
            .insert(0, (format!("sim-{counter}"), now_epoch(), message));
        sim.events.truncate(100);
    }

    /// After a successful CreateService or UpdateService: maybe a new deployment.
    pub fn on_update(&mut self, request: &Value, response: &Value) {
        let svc = &response["service"];
        let cluster = svc["clusterArn"]
            .as_str()
            .or(request["cluster"].as_str())
            .unwrap_or("default");
        let name = svc["serviceName"].as_str().unwrap_or_default();
        if name.is_empty() {
            return;
        }
        let td = request["taskDefinition"]
            .as_str()
            .or(svc["taskDefinition"].as_str())
            .unwrap_or_default()
            .to_string();
        let desired = svc["desiredCount"].as_i64().unwrap_or(1);
        let rollback =
            request["deploymentConfiguration"]["deploymentCircuitBreaker"]["rollback"].as_bool();
        let outcome = self.queue.pop_front().unwrap_or(Outcome::Complete);
        let id = self.next_id();
        let k = key(cluster, name);
        let sim = self.sims.entry(k).or_default();
        if let Some(r) = rollback {
            sim.rollback_on_failure = r;
        }
        if cluster.starts_with("arn:") {
            sim.cluster_arn = cluster.to_string();
        }
        // The load balancer entries asked for, else those the service has.
        let listed = |v: &Value| -> Option<Vec<String>> {
            v.as_array().map(|a| {
                a.iter()
                    .filter_map(|l| l["targetGroupArn"].as_str().map(str::to_string))
                    .collect()
            })
        };
        // Asked for, else the newest deployment's, else the emulator's.
        let load_balancers = Some(&request["loadBalancers"])
            .filter(|v| v.is_array())
            .or_else(|| {
                sim.deployments
                    .first()
                    .map(|d| &d.load_balancers)
                    .filter(|v| v.is_array())
            })
            .unwrap_or(&svc["loadBalancers"])
            .clone();
        let target_groups = listed(&load_balancers).unwrap_or_default();
        // ECS starts a deployment for a new task definition or new load
        // balancer entries.
        let same = sim
            .deployments
            .first()
            .is_some_and(|d| d.td == td && d.target_groups == target_groups);
        if same {
            // Only the count changed: ECS keeps the deployment.
            if let Some(d) = sim.deployments.first_mut() {
                d.desired = desired;
            }
            self.queue.push_front(outcome);
            self.counter -= 1;
            return;
        }
        sim.deployments.insert(
            0,
            Deployment {
                id: id.clone(),
                td,
                outcome,
                started: Instant::now(),
                created: now_epoch(),
                desired,
                finished: None,
                load_balancers,
                target_groups,
            },
        );
        let mut c = self.counter;
        Self::event(
            sim,
            &mut c,
            format!("(service {name}) has started {desired} tasks: (deployment {id})."),
        );
        self.counter = c;
    }

    /// Advances the service's simulation to now and rewrites its description.
    pub fn rewrite(&mut self, svc: &mut Value) {
        let cluster = svc["clusterArn"].as_str().unwrap_or("default").to_string();
        let name = svc["serviceName"].as_str().unwrap_or_default().to_string();
        let desired = svc["desiredCount"].as_i64().unwrap_or(0);
        let Some(snaps) = self.snapshot(&cluster, &name) else {
            // Not deployed through here: show it settled.
            let td = svc["taskDefinition"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            svc["deployments"] = json!([{
                "id": "ecs-svc/0000000000000000000", "status": "PRIMARY", "taskDefinition": td,
                "desiredCount": desired, "runningCount": desired, "pendingCount": 0, "failedTasks": 0,
                "createdAt": now_epoch(), "updatedAt": now_epoch(), "launchType": "FARGATE",
                "rolloutState": "COMPLETED", "rolloutStateReason": "ECS deployment completed.",
            }]);
            svc["runningCount"] = json!(desired);
            svc["pendingCount"] = json!(0);
            return;
        };
        let deployments: Vec<Value> = snaps
            .iter()
            .enumerate()
            .map(|(i, d)| {
                json!({
                    "id": d.id, "status": if i == 0 { "PRIMARY" } else { "ACTIVE" }, "taskDefinition": d.td,
                    "desiredCount": d.desired, "runningCount": d.running, "pendingCount": d.pending,
                    "failedTasks": d.failed, "createdAt": d.created, "updatedAt": now_epoch(),
                    "launchType": "FARGATE", "rolloutState": d.state, "rolloutStateReason": d.reason,
                })
            })
            .collect();
        // The newest deployment is the primary one (a failed one stays primary
        // unless the circuit breaker started a rollback, which is then newest).
        if let Some(primary) = snaps.first() {
            svc["taskDefinition"] = json!(primary.td);
        }
        // The primary deployment's load balancer entries are the service's
        // (a circuit-breaker rollback restores the previous ones, as ECS does).
        let sim = &self.sims[&key(&cluster, &name)];
        if let Some(lbs) = sim.deployments.first().map(|d| &d.load_balancers)
            && lbs.is_array()
        {
            svc["loadBalancers"] = lbs.clone();
        }
        svc["deployments"] = Value::Array(deployments);
        svc["runningCount"] = json!(snaps.iter().map(|d| d.running).sum::<i64>());
        svc["pendingCount"] = json!(snaps.iter().map(|d| d.pending).sum::<i64>());
        let sim = &self.sims[&key(&cluster, &name)];
        let events: Vec<Value> = sim
            .events
            .iter()
            .map(|(id, at, message)| json!({"id": id, "createdAt": at, "message": message}))
            .collect();
        svc["events"] = Value::Array(events);
    }

    /// The service's deployments as of now, newest first; None when it was
    /// never deployed through here.
    fn snapshot(&mut self, cluster: &str, name: &str) -> Option<Vec<Snap>> {
        let duration = self.duration;
        let mut counter = self.counter;
        let sim = self.sims.get_mut(&key(cluster, name))?;
        advance(sim, name, duration, &mut counter);
        self.counter = counter;
        let mut snaps: Vec<Snap> = Vec::new();
        for (i, d) in sim.deployments.iter().enumerate() {
            let frac =
                (d.started.elapsed().as_secs_f64() / duration.as_secs_f64().max(0.001)).min(1.0);
            let in_progress = format!("ECS deployment {} in progress.", d.id);
            let (state, running, pending, failed, reason) = match (d.finished, d.outcome) {
                (Some("COMPLETED"), _) => (
                    "COMPLETED",
                    d.desired,
                    0,
                    0,
                    "ECS deployment completed.".to_string(),
                ),
                (Some(_), _) => (
                    "FAILED",
                    0,
                    0,
                    d.desired * 2,
                    "ECS deployment circuit breaker: tasks failed to start.".to_string(),
                ),
                (None, Outcome::Complete | Outcome::FailLate) => {
                    let r = ((d.desired as f64) * frac).floor() as i64;
                    ("IN_PROGRESS", r, d.desired - r, 0, in_progress)
                }
                (None, Outcome::Fail) => (
                    "IN_PROGRESS",
                    0,
                    d.desired,
                    (d.desired as f64 * frac).floor() as i64,
                    in_progress,
                ),
                (None, Outcome::Hang) => ("IN_PROGRESS", 0, d.desired, 0, in_progress),
            };
            // An older deployment still serving while a newer one rolls out.
            let running = if i > 0 && state == "COMPLETED" {
                let newer_running: i64 = snaps.iter().map(|s| s.running).sum();
                (d.desired - newer_running).max(0)
            } else {
                running
            };
            snaps.push(Snap {
                id: d.id.clone(),
                td: d.td.clone(),
                created: d.created,
                desired: d.desired,
                running,
                pending,
                failed,
                state,
                reason,
            });
        }
        Some(snaps)
    }

    /// The service's running tasks, as ListTasks and DescribeTasks show them:
    /// one per running slot of each deployment, with ids stable while it runs.
    pub fn tasks(&mut self, cluster: &str, name: &str) -> Vec<Task> {
        let Some(snaps) = self.snapshot(cluster, name) else {
            return Vec::new();
        };
        let cluster_arn = self.sims[&key(cluster, name)].cluster_arn.clone();
        let prefix = cluster_arn.replacen(":cluster/", ":task/", 1);
        snaps
            .iter()
            .flat_map(|d| {
                let serial: u64 = last_segment(&d.id).parse().unwrap_or_default();
                (0..d.running).map(move |slot| (d, serial, slot))
            })
            .map(|(d, serial, slot)| {
                let id = format!("{serial:020x}{slot:012x}");
                Task {
                    arn: format!("{prefix}/{id}"),
                    id,
                    cluster_arn: cluster_arn.clone(),
                    service: name.to_string(),
                    deployment: d.id.clone(),
                    td: d.td.clone(),
                    started: d.created,
                }
            })
            .collect()
    }

    /// The healthy targets of a target group, as DescribeTargetHealth shows
    /// them: each running task of a deployment registered in it (a task is
    /// running once healthy: the simulation starts no unhealthy ones). None
    /// when no simulated deployment uses the group.
    pub fn targets(&mut self, target_group: &str) -> Option<Vec<String>> {
        let keys: Vec<(String, String)> = self
            .sims
            .iter()
            .filter(|(_, sim)| {
                sim.deployments
                    .iter()
                    .any(|d| d.target_groups.iter().any(|t| t == target_group))
            })
            .map(|(k, sim)| {
                let name = k.rsplit('/').next().unwrap_or_default().to_string();
                (sim.cluster_arn.clone(), name)
            })
            .collect();
        if keys.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        for (cluster, name) in keys {
            let tasks = self.tasks(&cluster, &name);
            let sim = &self.sims[&key(&cluster, &name)];
            for (n, t) in tasks.iter().enumerate() {
                let registered = sim.deployments.iter().any(|d| {
                    d.id == t.deployment && d.target_groups.iter().any(|g| g == target_group)
                });
                if registered {
                    out.push(format!("10.0.{}.{}", n / 250, n % 250 + 1));
                }
            }
        }
        Some(out)
    }

    /// Every simulated task, for DescribeTasks.
    pub fn all_tasks(&mut self) -> Vec<Task> {
        let services: Vec<(String, String)> = self
            .sims
            .iter()
            .map(|(k, sim)| {
                let name = k.rsplit('/').next().unwrap_or_default().to_string();
                (sim.cluster_arn.clone(), name)
            })
            .collect();
        services
            .iter()
            .flat_map(|(c, n)| self.tasks(c, n))
            .collect()
    }
}

/// One deployment as DescribeServices shows it now.
struct Snap {
    id: String,
    td: String,
    created: f64,
    desired: i64,
    running: i64,
    pending: i64,
    failed: i64,
    state: &'static str,
    reason: String,
}

/// A simulated running task.
pub struct Task {
    pub arn: String,
    pub id: String,
    pub cluster_arn: String,
    pub service: String,
    pub deployment: String,
    pub td: String,
    pub started: f64,
}

impl Task {
    /// The task as DescribeTasks answers it (the fields deploy tools read).
    pub fn describe(&self) -> Value {
        json!({
            "taskArn": self.arn, "clusterArn": self.cluster_arn, "taskDefinitionArn": self.td,
            "lastStatus": "RUNNING", "desiredStatus": "RUNNING", "launchType": "FARGATE",
            "group": format!("service:{}", self.service), "startedBy": self.deployment,
            "createdAt": self.started, "startedAt": self.started, "healthStatus": "UNKNOWN",
            "containers": [],
        })
    }
}

/// Settles deployments whose time has come, as ECS would.
fn advance(sim: &mut Sim, name: &str, duration: Duration, counter: &mut u64) {
    let Some(newest) = sim.deployments.first().cloned() else {
        return;
    };
    if newest.finished.is_some() || newest.started.elapsed() < duration {
        return;
    }
    match newest.outcome {
        Outcome::Complete => {
            sim.deployments[0].finished = Some("COMPLETED");
            // Older deployments are drained and gone.
            sim.deployments.truncate(1);
            Rollouts::event(
                sim,
                counter,
                format!(
                    "(service {name}) (deployment {}) deployment completed.",
                    newest.id
                ),
            );
            Rollouts::event(
                sim,
                counter,
                format!("(service {name}) has reached a steady state."),
            );
        }
        Outcome::Fail | Outcome::FailLate => {
            sim.deployments[0].finished = Some("FAILED");
            Rollouts::event(
                sim,
                counter,
                format!(
                    "(service {name}) (deployment {}) deployment failed: tasks failed to start.",
                    newest.id
                ),
            );
            let previous = sim
                .deployments
                .iter()
                .skip(1)
                .find(|d| d.finished == Some("COMPLETED"))
                .cloned();
            if sim.rollback_on_failure
                && let Some(prev) = previous
            {
                *counter += 1;
                let id = format!("ecs-svc/{:019}", 5_000_000_000_000_000_000u64 + *counter);
                Rollouts::event(
                    sim,
                    counter,
                    format!(
                        "(service {name}) rolling back to deployment {} (circuit breaker): (deployment {id}).",
                        prev.id
                    ),
                );
                // The last good deployment's tasks keep serving (in its
                // target groups) until the rollback's replace them, as in ECS.
                sim.deployments.insert(
                    0,
                    Deployment {
                        id,
                        td: prev.td,
                        outcome: Outcome::Complete,
                        started: Instant::now(),
                        created: now_epoch(),
                        desired: prev.desired,
                        finished: None,
                        load_balancers: prev.load_balancers,
                        target_groups: prev.target_groups,
                    },
                );
                sim.deployments.truncate(3);
            }
        }
        Outcome::Hang => {}
    }
}
