//! A Scheduled Job's own fields (Copilot's `ScheduledJobConfig`): `on`,
//! `retries`, `timeout`. How a schedule reads, and deploying jobs, come later.

use crate::manifest::decode::Decoder;
use crate::manifest::decode::Fields;
use crate::manifest::types::Job;
use crate::yaml::Node;

/// `on.schedule` (required, as Copilot requires it), `retries`, `timeout`.
pub(super) fn decode_job(d: &mut Decoder, f: &mut Fields, root: &Node) -> Job {
    let mut job = Job {
        pos: root.pos,
        ..Job::default()
    };
    match f.take("on") {
        Some(on) => {
            if let Some(mut of) = d.fields(on, "on") {
                job.schedule = of.take("schedule").and_then(|n| d.string(n, "on.schedule"));
                of.finish(d, &[]);
            }
            if job.schedule.is_none() {
                d.error_help(
                    "missing-field",
                    "\"on.schedule\" must be specified",
                    "for example on: { schedule: \"@daily\" }",
                    on.pos,
                    "on.schedule",
                );
            }
        }
        None => d.error_help(
            "missing-field",
            "\"on.schedule\" must be specified",
            "a Scheduled Job runs on a schedule: on: { schedule: \"@daily\" }",
            root.pos,
            "on",
        ),
    }
    // Copilot refuses a negative count; EventBridge Scheduler, which runs
    // jobs here, retries at most 185 times.
    job.retries = f.take("retries").and_then(|n| d.int(n, "retries", 0, 185));
    job.timeout = f
        .take("timeout")
        .and_then(|n| d.duration_secs(n, "timeout"));
    job
}
