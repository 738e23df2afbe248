//! `sidecarctl logs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::args::{GlobalArgs, LogsArgs};
use super::exit::Exit;
use super::load::load_for_env;
use super::{connect, print_diagnostics, runtime};
use crate::diag::Diagnostics;
use crate::logs::query::{self, Request};
use crate::logs::sink::Sink;
use crate::logs::{FollowSettings, LogsError};

pub fn run(args: &LogsArgs, global: &GlobalArgs) -> Exit {
    let loaded = match load_for_env(&args.target, &args.env) {
        Ok(l) => l,
        Err(d) => {
            print_diagnostics(&d, global);
            return Exit::Invalid;
        }
    };
    let req = Request {
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
    let q = match query::build(
        &req,
        &loaded.service,
        &loaded.target.app,
        &args.env,
        crate::logs::now_ms(),
    ) {
        Ok(q) => q,
        Err(errors) => {
            print_diagnostics(&Diagnostics::from(errors), global);
            return Exit::Invalid;
        }
    };
    let mut sink = Sink::new(args.json, global.color.for_stdout());
    let stop = Arc::new(AtomicBool::new(false));
    let result = runtime().block_on(async {
        let aws = connect(global).await.map_err(LogsError::Aws)?;
        let flag = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, Ordering::SeqCst);
            }
        });
        crate::logs::run(&aws, &q, &mut sink, &FollowSettings::default(), &stop).await
    });
    sink.flush();
    match result {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprintln!("{}: {e}", global.color.for_stderr().error("error"));
            Exit::Failure
        }
    }
}
