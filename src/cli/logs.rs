//! `sidecarctl logs`.

use super::args::{GlobalArgs, LogsArgs};
use super::load::load_for_env;
use super::{cancel_on_signals, connect, print_diagnostics, runtime};
use crate::clock::now_ms;
use crate::diag::Diagnostics;
use crate::exit::Exit;
use crate::logs::format::Colours;
use crate::logs::query::{self, Query, Request};
use crate::logs::sink::Sink;
use crate::logs::{FollowSettings, LogsError};

pub fn run(args: &LogsArgs, global: &GlobalArgs) -> Exit {
    let loaded = match load_for_env(&args.target, false) {
        Ok(l) => l,
        Err(d) => {
            print_diagnostics(&d, global);
            return Exit::Invalid;
        }
    };
    let mut req = Request {
        follow: args.follow,
        since_ms: args.since.map(|d| d.as_millis() as i64),
        start_time: args.start_time.clone(),
        end_time: args.end_time.clone(),
        limit: args.limit,
        containers: args.containers.clone(),
        tasks: args.tasks.clone(),
        filter: args.filter.clone(),
        log_group: args.log_group.clone(),
    };
    // Checked before anything is read.
    let built = query::build(
        &req,
        &loaded.service,
        &loaded.target.app,
        args.target.env(),
        now_ms(),
    );
    let mut q = match built {
        Ok(q) => q,
        Err(errors) => {
            print_diagnostics(&Diagnostics::from(errors), global);
            return Exit::Invalid;
        }
    };
    let colours = Colours::new(
        loaded
            .service
            .container_names()
            .into_iter()
            .map(str::to_string)
            .collect(),
    );
    let json = args.json || args.output.json();
    let mut sink = Sink::new(json, global.color.for_stdout(), colours).utc(args.utc);
    let result = runtime().block_on(async {
        let aws = connect(global).await.map_err(LogsError::Aws)?;
        if args.previous {
            let Some(task) = previous_task(&aws, &loaded, args.target.env()).await? else {
                eprintln!(
                    "{}: no previously stopped task of {} (ECS keeps a stopped task for about an hour)",
                    global.color.for_stderr().warning("warning"),
                    loaded.service.name.value
                );
                return Ok(());
            };
            eprintln!("previously stopped task: {task}");
            req.tasks = vec![task];
            q = query::build(
                &req,
                &loaded.service,
                &loaded.target.app,
                args.target.env(),
                now_ms(),
            )
            .map_err(|e| LogsError::Lasting(e.iter().map(ToString::to_string).collect()))?;
        }
        let cancel = cancel_on_signals();
        let settings = FollowSettings {
            reads: std::sync::Arc::new(crate::aws::limit::Limiter::new(args.read_rate)),
            live: !args.poll,
            ..FollowSettings::default()
        };
        crate::logs::run(&aws, &q, &mut sink, &settings, &cancel).await
    });
    sink.flush();
    match result {
        Ok(()) => {
            if sink.written == 0 && !sink.closed {
                eprintln!("{}", nothing_found(&q));
            }
            Exit::Ok
        }
        Err(e) => {
            eprintln!("{}: {e}", global.color.for_stderr().error("error"));
            match &e {
                LogsError::Aws(e) => super::connect_failed(e),
                LogsError::Lasting(_) => Exit::Failure,
            }
        }
    }
}

/// The workload's most recently stopped task (a job's: its family's), as
/// Copilot's `--previous` finds it; its id.
async fn previous_task(
    aws: &crate::aws::Aws,
    loaded: &super::load::Loaded,
    env: &str,
) -> Result<Option<String>, LogsError> {
    use crate::aws::ecs::task::{TasksOf, tasks};
    let located = super::load::locate_loaded(aws, loaded, env, None).await?;
    let family = crate::names::copilot::family(&loaded.target.app, env, &loaded.service.name);
    let of = match (&located.service, loaded.service.job.is_some()) {
        (Some(s), false) => TasksOf::Service(&s.name),
        _ => TasksOf::Family(&family),
    };
    let found = tasks(&aws.ecs, &located.placement.cluster, of, false).await?;
    Ok(found
        .iter()
        .filter(|t| t.stopped())
        .max_by_key(|t| t.stopped_at_ms.or(t.created_at_ms))
        .map(|t| t.id().to_string()))
}

/// One line for an empty result: which groups, with which filters.
fn nothing_found(q: &Query) -> String {
    let groups: Vec<&str> = q.sources.iter().map(|s| s.group.as_str()).collect();
    let mut filters = Vec::new();
    if !q.containers.is_empty() {
        filters.push(format!("container {}", q.containers.join(", ")));
    }
    if !q.tasks.is_empty() {
        filters.push(format!("task {}", q.tasks.join(", ")));
    }
    if let Some(p) = &q.pattern {
        filters.push(format!("filter {p:?}"));
    }
    if q.start.is_some() || q.end.is_some() {
        filters.push("the time range".into());
    }
    format!(
        "no log events in {}{}",
        groups.join(" or "),
        if filters.is_empty() {
            String::new()
        } else {
            format!(" matching {}", filters.join(", "))
        }
    )
}
