//! `sidecarctl status JOB`: a Scheduled Job's schedule (expression, state,
//! next run), the revision it runs, its last runs with their exit codes
//! (the tasks ECS still knows of: it keeps a stopped task about an hour),
//! and who holds its deploy lock.

use super::args::{GlobalArgs, ServiceArgs};
use super::load::Loaded;
use super::output::print_data;
use super::status::{lock_json, lock_text};
use super::{connect, runtime};
use crate::aws::lock::{self, lock_name};
use crate::clock::{now_ms, rfc3339_ms};
use crate::exit::Exit;
use crate::model::next_run::next_run;
use crate::names::arn::short_task_definition as short_td;
use crate::names::{copilot, sidecarctl};
use crate::state::LockHolder;
use crate::state::task::{TaskEnd, TaskState};

/// Runs shown.
const RUNS: usize = 10;

/// What `status` found of a job.
struct Found {
    schedule: serde_json::Value,
    runs: Vec<TaskState>,
    holder: Option<LockHolder>,
}

pub fn run(args: &ServiceArgs, global: &GlobalArgs, loaded: &Loaded) -> Exit {
    let app = &loaded.target.app;
    let env = args.target.env();
    let job = &loaded.service.name.value;
    let name = sidecarctl::schedule_name(app, env, job);
    let family = copilot::family(app, env, job);
    let result = runtime().block_on(async {
        let aws = connect(global).await?;
        let lock = lock_name(app, env, job);
        let (schedule, holder) =
            tokio::join!(aws.scheduler.get(&name), lock::read(&aws.ssm, &lock));
        let Some(schedule) = schedule? else {
            return Ok(None);
        };
        let cluster = schedule["Target"]["Arn"].as_str().unwrap_or_default();
        let of = crate::aws::ecs::task::TasksOf::Family(&family);
        let runs = crate::aws::ecs::task::tasks(&aws.ecs, cluster, of, false).await?;
        Ok::<_, crate::aws::AwsError>(Some(Found {
            schedule,
            runs,
            holder: holder?,
        }))
    });
    let p = global.color.for_stderr();
    let found = match result {
        Ok(Some(f)) => f,
        Ok(None) => {
            eprintln!(
                "{}: the job {job} has no schedule {name} in {env}",
                p.error("error")
            );
            eprintln!(
                "  {} it has not been deployed yet: sidecarctl deploy {job} --env {env}",
                p.cyan("help:")
            );
            return Exit::Missing;
        }
        Err(e) => {
            eprintln!("{}: {e}", p.error("error"));
            return super::connect_failed(&e);
        }
    };
    let now = now_ms();
    let view = View::of(&found, now);
    if args.output.json() {
        print_data(&format!(
            "{}\n",
            serde_json::to_string_pretty(&view.json(&found, job, now)).unwrap_or_default()
        ));
    } else {
        print_data(&view.text(&found, job, now, global));
    }
    Exit::Ok
}

/// The schedule's facts, read once for both outputs.
struct View<'a> {
    expression: &'a str,
    state: &'a str,
    next: Option<i64>,
    task_definition: &'a str,
    retries: i64,
}

impl<'a> View<'a> {
    fn of(f: &'a Found, now: i64) -> View<'a> {
        let s = &f.schedule;
        let expression = s["ScheduleExpression"].as_str().unwrap_or_default();
        let state = s["State"].as_str().unwrap_or_default();
        // Scheduler answers dates as epoch seconds.
        let start = s["StartDate"]
            .as_f64()
            .or(s["CreationDate"].as_f64())
            .map(|secs| (secs * 1000.0) as i64);
        View {
            expression,
            state,
            next: (state == "ENABLED")
                .then(|| next_run(expression, now, start))
                .flatten(),
            task_definition: s["Target"]["EcsParameters"]["TaskDefinitionArn"]
                .as_str()
                .unwrap_or_default(),
            retries: s["Target"]["RetryPolicy"]["MaximumRetryAttempts"]
                .as_i64()
                .unwrap_or_default(),
        }
    }

    fn json(&self, f: &Found, job: &str, now: i64) -> serde_json::Value {
        serde_json::json!({
            "job": job,
            "schedule": {
                "name": f.schedule["Name"],
                "expression": self.expression,
                "state": self.state,
                "nextRun": self.next.map(rfc3339_ms),
                "retries": self.retries,
                "taskDefinition": self.task_definition,
                "cluster": f.schedule["Target"]["Arn"],
            },
            "runs": f.runs.iter().take(RUNS).map(|t| run_json(t, job)).collect::<Vec<_>>(),
            "lock": f.holder.as_ref().map(|h| lock_json(h, now)),
        })
    }

    fn text(&self, f: &Found, job: &str, now: i64, global: &GlobalArgs) -> String {
        let p = global.color.for_stdout();
        let mut out = format!("{} {job}\n", p.bold("job"));
        let next = match (self.state, self.next) {
            ("DISABLED", _) => "none: it runs on demand (sidecarctl run)".to_string(),
            (_, Some(at)) => format!("next run {}", rfc3339_ms(at)),
            (_, None) => "next run: not worked out for this expression".to_string(),
        };
        out.push_str(&format!(
            "  schedule         {} ({}), {next}\n",
            self.expression, self.state
        ));
        out.push_str(&format!(
            "  task definition  {}, {} retries\n",
            short_td(self.task_definition),
            self.retries
        ));
        out.push_str(&format!(
            "  deploy lock      {}\n",
            lock_text(f.holder.as_ref(), now)
        ));
        out.push_str(&format!(
            "{} {}\n",
            p.bold("last runs"),
            p.dim("(the tasks ECS still knows of: it keeps a stopped task about an hour)")
        ));
        if f.runs.is_empty() {
            out.push_str("  none\n");
        }
        for t in f.runs.iter().take(RUNS) {
            let when = t
                .created_at_ms
                .or(t.started_at_ms)
                .map_or_else(|| "-".to_string(), rfc3339_ms);
            let took = match (t.started_at_ms, t.stopped_at_ms) {
                (Some(a), Some(b)) if b >= a => {
                    crate::clock::humantime(std::time::Duration::from_millis((b - a) as u64))
                }
                _ => "-".into(),
            };
            out.push_str(&format!(
                "  {when}  {:<28} {:<8} {:<16} {}\n",
                ending(t, job),
                took,
                who(t),
                t.id()
            ));
        }
        out
    }
}

/// How a run ended, or that it runs.
fn ending(t: &TaskState, job: &str) -> String {
    if !t.stopped() {
        return t.last_status.to_ascii_lowercase();
    }
    match t.end(job) {
        TaskEnd::Exited(c) => format!("exit {c}"),
        TaskEnd::NoExitCode(why) => {
            let short: String = why.chars().take(40).collect();
            format!("no exit code: {short}")
        }
    }
}

/// Who started a run: its schedule, `sidecarctl run`, or someone else.
fn who(t: &TaskState) -> &str {
    match t.started_by.as_deref() {
        Some("sidecarctl-run") => "sidecarctl run",
        // EventBridge Scheduler starts tasks as `chronos-…`.
        Some(s) if s.starts_with("chronos") => "schedule",
        Some(s) => s,
        None => "-",
    }
}

fn run_json(t: &TaskState, job: &str) -> serde_json::Value {
    let exit = match (t.stopped(), t.end(job)) {
        (true, TaskEnd::Exited(c)) => Some(c),
        _ => None,
    };
    serde_json::json!({
        "taskArn": t.arn,
        "lastStatus": t.last_status,
        "startedBy": t.started_by,
        "createdAt": t.created_at_ms.map(rfc3339_ms),
        "startedAt": t.started_at_ms.map(rfc3339_ms),
        "stoppedAt": t.stopped_at_ms.map(rfc3339_ms),
        "exitCode": exit,
        "stopCode": t.stop_code,
        "stoppedReason": t.stopped_reason,
        "containers": t.containers,
    })
}
