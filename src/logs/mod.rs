//! `logs`: read and follow a service's logs (every container, and FireLens's
//! CloudWatch destination), merged in time order; nothing lost, nothing twice.
//!
//! Reading pages FilterLogEvents, in parallel over time slices when the range
//! is large; following polls adaptively from just before the newest event
//! printed ([`window`]), or uses StartLiveTail where the endpoint serves it.

pub mod format;
pub mod query;
pub mod sink;
pub mod stream;
pub mod window;

mod follow;
mod live;
mod read;

use tokio_util::sync::CancellationToken;

use crate::aws::logs::Event;
use crate::aws::{Aws, AwsError};
use query::Query;
use sink::{Labelled, Sink};

pub use follow::{DEFAULT_READ_RATE, FollowSettings};

#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// Following kept failing for too long.
    #[error("{0}")]
    Lasting(String),
}

/// Labels an event of source `i` and checks it against `--container`/`--tasks`.
fn label<'a>(q: &'a Query, i: usize, e: &'a Event) -> Option<Labelled<'a>> {
    let src = &q.sources[i];
    let (mut container, task) = stream::parse(&e.stream);
    if let Some(main) = &src.firelens_of
        && !e.stream.starts_with("copilot/")
        && container == e.stream
    {
        container = main.clone();
    }
    if !stream::wanted(&container, &task, &q.containers, &q.tasks) {
        return None;
    }
    Some(Labelled {
        event: e,
        group: &src.group,
        container,
        task,
        source: src.label.as_deref(),
    })
}

/// Reads the history the query asks for, then follows if asked.
pub async fn run(
    aws: &Aws,
    q: &Query,
    sink: &mut Sink,
    settings: &FollowSettings,
    cancel: &CancellationToken,
) -> Result<(), LogsError> {
    let recent = read::history(aws, q, sink, settings.lookback_ms, &settings.reads).await?;
    if !q.follow || sink.closed {
        sink.flush();
        return Ok(());
    }
    sink.flush();
    let mut recent = recent;
    if !aws.custom_endpoint {
        match live::tail(aws, q, sink, cancel).await {
            Ok(live::End::Stopped) => return Ok(()),
            Ok(live::End::Unavailable { reason, newest }) => {
                tracing::debug!(%reason, "live tail ended; polling");
                if let Some(ts) = newest {
                    recent = read::Recent::starting_at(ts + 1, q.sources.len());
                }
            }
            Err(e) => tracing::debug!(error = %e, "live tail unavailable; polling"),
        }
    }
    follow::poll(aws, q, sink, &recent, settings, cancel).await
}
