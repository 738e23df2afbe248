//! `sidecarctl run`: a one-off task of a service's current task definition,
//! in the service's network, with its roles (a database migration in a
//! pipeline), or of a job's, as its schedule runs it (the job's `timeout`
//! enforced while waiting). With `--wait` it follows the task's logs and exits with the
//! main container's exit code.

use std::process::ExitCode;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::args::{GlobalArgs, RunArgs};
use super::load::load_for_env;
use super::output::print_data;
use super::{cancel_on_signals, connect, print_diagnostics, runtime};
use crate::aws::Aws;
use crate::aws::ecs::task::{self, RunOverrides};
use crate::clock::{now_ms, rfc3339_ms};
use crate::diag::{Diagnostic, Diagnostics};
use crate::exit::Exit;
use crate::logs::format::Colours;
use crate::logs::query::{self, Request};
use crate::logs::sink::Sink;
use crate::state::task::{Launch, TaskEnd, TaskState};

/// `run --wait`'s exit code when the task stopped without the main
/// container's exit code (it never started), as `docker run` uses it.
pub const NO_EXIT_CODE: u8 = 125;

/// What went wrong, with its exit code.
struct Failed(Exit, String);

pub fn run(args: &RunArgs, global: &GlobalArgs) -> ExitCode {
    let loaded = match load_for_env(&args.target, false) {
        Ok(l) => l,
        Err(d) => {
            print_diagnostics(&d, global);
            return Exit::Invalid.into();
        }
    };
    let overrides = match overrides(args, &loaded.service) {
        Ok(o) => o,
        Err(d) => {
            print_diagnostics(&Diagnostics::from(vec![d]), global);
            return Exit::Invalid.into();
        }
    };
    let palette = global.color.for_stderr();
    let result = runtime().block_on(async {
        let aws = connect(global)
            .await
            .map_err(|e| Failed(super::connect_failed(&e), e.to_string()))?;
        let launch = find(&aws, args, &loaded).await?;
        let arn = task::run_task(&aws.ecs, &launch, &overrides)
            .await
            .map_err(|e| Failed(Exit::Failure, e.to_string()))?;
        let id = arn.rsplit('/').next().unwrap_or(&arn).to_string();
        eprintln!(
            "{} started task {id} of {} in {}",
            palette.success("✓"),
            crate::names::arn::short_task_definition(&launch.task_definition),
            launch.cluster
        );
        if !args.wait {
            print_started(args, &launch, &arn);
            return Ok(Exit::Ok.into());
        }
        wait(&aws, args, &loaded, &launch, &arn, global).await
    });
    match result {
        Ok(code) => code,
        Err(Failed(exit, message)) => {
            eprintln!("{}: {message}", palette.error("error"));
            exit.into()
        }
    }
}

/// The main container's overrides: `--command` (split as a shell would)
/// and `--var K=V`.
fn overrides(args: &RunArgs, svc: &crate::manifest::Service) -> Result<RunOverrides, Diagnostic> {
    let command = match &args.command {
        Some(c) => Some(shell_words::split(c).map_err(|e| {
            Diagnostic::error(
                "bad-command",
                format!("--command cannot be split into words: {e}"),
            )
        })?),
        None => None,
    };
    let variables = args
        .vars
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| {
                    Diagnostic::error("bad-var", format!("--var {kv:?} is not NAME=VALUE"))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RunOverrides {
        container: svc.name.value.clone(),
        command,
        variables,
        started_by: "sidecarctl-run".into(),
    })
}

/// Where and how the workload's tasks run: its service, found as `deploy`
/// finds it.
async fn find(aws: &Aws, args: &RunArgs, loaded: &super::load::Loaded) -> Result<Launch, Failed> {
    let env = args.target.env();
    let name = crate::deploy::service_name(&loaded.service);
    if loaded.service.job.is_some() {
        return find_job(aws, loaded, env).await;
    }
    let located = super::load::locate_loaded(aws, loaded, env, args.cluster.cluster.as_deref())
        .await
        .map_err(|e| Failed(Exit::Failure, e.to_string()))?;
    let not_there = || {
        Failed(
            Exit::Missing,
            format!(
                "{name} is not deployed in {env}: there is no task definition to run (deploy it first)"
            ),
        )
    };
    let service = located.service.ok_or_else(not_there)?;
    task::service_launch(&aws.ecs, &located.placement.cluster, &service.name)
        .await
        .map_err(|e| Failed(Exit::Failure, e.to_string()))?
        .ok_or_else(not_there)
}

/// A job's task runs as its schedule runs it: its revision, cluster and
/// network, read from the schedule.
async fn find_job(aws: &Aws, loaded: &super::load::Loaded, env: &str) -> Result<Launch, Failed> {
    let name = &loaded.service.name.value;
    let schedule = crate::names::sidecarctl::schedule_name(&loaded.target.app, env, name);
    let held = aws
        .scheduler
        .get(&schedule)
        .await
        .map_err(|e| Failed(Exit::Failure, e.to_string()))?;
    held.as_ref()
        .and_then(crate::state::job::launch)
        .ok_or_else(|| {
            Failed(
                Exit::Missing,
                format!(
                    "the job {name} is not deployed in {env}: there is no schedule {schedule} (deploy it first)"
                ),
            )
        })
}

fn print_started(args: &RunArgs, launch: &Launch, arn: &str) {
    if args.output.json() {
        let doc = serde_json::json!({
            "taskArn": arn,
            "taskDefinition": launch.task_definition,
            "cluster": launch.cluster,
        });
        print_data(&format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ));
    } else {
        print_data(&format!("{arn}\n"));
    }
}

/// Follows the task's logs (text output) until it stops; its end as the
/// exit code.
async fn wait(
    aws: &Aws,
    args: &RunArgs,
    loaded: &super::load::Loaded,
    launch: &Launch,
    arn: &str,
    global: &GlobalArgs,
) -> Result<ExitCode, Failed> {
    let id = arn.rsplit('/').next().unwrap_or(arn).to_string();
    let interrupted = cancel_on_signals();
    let logs_done = CancellationToken::new();
    let follow = !args.output.json();
    let q = query::build(
        &Request {
            follow: true,
            since_ms: Some(60_000),
            tasks: vec![id.clone()],
            ..Request::default()
        },
        &loaded.service,
        &loaded.target.app,
        args.target.env(),
        now_ms(),
    )
    .map_err(|e| {
        let why: Vec<String> = e.iter().map(ToString::to_string).collect();
        Failed(
            Exit::Failure,
            format!("cannot follow the task's logs: {}", why.join("; ")),
        )
    })?;
    let colours = Colours::new(
        loaded
            .service
            .container_names()
            .into_iter()
            .map(str::to_string)
            .collect(),
    );
    let mut sink = Sink::new(false, global.color.for_stdout(), colours);
    let logs = async {
        if follow {
            let settings = crate::logs::FollowSettings::default();
            let _ = crate::logs::run(aws, &q, &mut sink, &settings, &logs_done).await;
        }
    };
    let watch = async {
        let timeout = loaded
            .service
            .job
            .as_ref()
            .and_then(|j| j.timeout.as_ref())
            .map(|t| Duration::from_secs(u64::from(t.value)));
        let r = watch(aws, args, launch, arn, &interrupted, timeout).await;
        // The last lines come with the next poll.
        if follow && r.as_ref().is_ok_and(|t| t.is_some()) {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        logs_done.cancel();
        r
    };
    let ((), stopped) = tokio::join!(logs, watch);
    sink.flush();
    let Some(t) = stopped? else {
        let how = format!(
            "aws ecs stop-task --cluster {} --task {arn}",
            launch.cluster
        );
        if args.stop_on_interrupt {
            eprintln!("stopped waiting; the task was asked to stop");
        } else {
            eprintln!("stopped waiting; the task runs on. Stop it with: {how}");
        }
        return Ok(super::interrupted_exit().into());
    };
    Ok(conclude(args, loaded, launch, &t))
}

/// Polls the task until it stops; `None` when interrupted first.
async fn watch(
    aws: &Aws,
    args: &RunArgs,
    launch: &Launch,
    arn: &str,
    interrupted: &CancellationToken,
    timeout: Option<Duration>,
) -> Result<Option<TaskState>, Failed> {
    let started = std::time::Instant::now();
    let mut timed_out = false;
    loop {
        tokio::select! {
            () = tokio::time::sleep(args.poll_interval) => {}
            () = interrupted.cancelled() => {
                if args.stop_on_interrupt {
                    task::stop_task(&aws.ecs, &launch.cluster, arn, "stopped by sidecarctl run (interrupted)")
                        .await
                        .map_err(|e| Failed(Exit::Failure, e.to_string()))?;
                }
                return Ok(None);
            }
        }
        let t = task::describe_task(&aws.ecs, &launch.cluster, arn)
            .await
            .map_err(|e| Failed(Exit::Failure, e.to_string()))?
            .ok_or_else(|| Failed(Exit::Failure, format!("the task {arn} is gone")))?;
        if t.stopped() {
            return Ok(Some(t));
        }
        // A job's `timeout`, as Copilot's state machine enforced it: the
        // task is stopped once it has run that long.
        if let Some(limit) = timeout
            && !timed_out
            && started.elapsed() >= limit
        {
            timed_out = true;
            eprintln!(
                "the job's timeout ({}) has passed: stopping the task",
                crate::clock::humantime(limit)
            );
            let why = "stopped by sidecarctl run: the job's timeout passed";
            task::stop_task(&aws.ecs, &launch.cluster, arn, why)
                .await
                .map_err(|e| Failed(Exit::Failure, e.to_string()))?;
        }
    }
}

/// The report, and the exit code: the main container's, or
/// [`NO_EXIT_CODE`].
fn conclude(
    args: &RunArgs,
    loaded: &super::load::Loaded,
    launch: &Launch,
    t: &TaskState,
) -> ExitCode {
    let end = t.end(&loaded.service.name.value);
    let code = match &end {
        TaskEnd::Exited(c) => (*c & 0xff) as u8,
        TaskEnd::NoExitCode(_) => NO_EXIT_CODE,
    };
    if args.output.json() {
        let doc = serde_json::json!({
            "taskArn": t.arn,
            "taskDefinition": launch.task_definition,
            "cluster": launch.cluster,
            "startedAt": t.started_at_ms.map(rfc3339_ms),
            "stoppedAt": t.stopped_at_ms.map(rfc3339_ms),
            "stopCode": t.stop_code,
            "stoppedReason": t.stopped_reason,
            "containers": t.containers,
            "exitCode": code,
        });
        print_data(&format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ));
    }
    match &end {
        TaskEnd::Exited(c) => eprintln!(
            "task {} stopped: {} exited with {c}",
            t.id(),
            loaded.service.name.value
        ),
        TaskEnd::NoExitCode(why) => eprintln!(
            "task {} stopped without an exit code from {} (exit {NO_EXIT_CODE}): {why}",
            t.id(),
            loaded.service.name.value
        ),
    }
    ExitCode::from(code)
}
