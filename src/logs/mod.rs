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
pub mod seam;
pub mod zone;

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

/// Reads the history the query asks for, then follows if asked: with Live
/// Tail when it can be had (its session started first), else by polling.
pub async fn run(
    aws: &Aws,
    q: &Query,
    sink: &mut Sink,
    settings: &FollowSettings,
    cancel: &CancellationToken,
) -> Result<(), LogsError> {
    let reads = &settings.reads;
    if !q.follow {
        read::history(aws, q, sink, settings.lookback_ms, reads, None).await?;
        sink.flush();
        return Ok(());
    }
    // The session before the history: what is written while the history
    // is read comes through it.
    let session = match settings.live {
        true => match open_session(aws, q).await {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::debug!(error = %e, "live tail unavailable; polling");
                None
            }
        },
        false => None,
    };
    let since = session.as_ref().map(|s| s.since_ms);
    let mut recent = read::history(aws, q, sink, settings.lookback_ms, reads, since).await?;
    sink.flush();
    if sink.closed {
        return Ok(());
    }
    if let Some(session) = session {
        let mut seam = seam::Seam::new(settings.lookback_ms);
        for (i, id, ts, stream, message) in recent.seam.drain(..) {
            let reader = seam::Reader::Fill { event_id: &id };
            seam.admit(reader, i, ts, &stream, &message);
        }
        let ended = live::tail(aws, q, sink, session, &mut seam, settings, cancel).await;
        match ended {
            Ok(live::End::Stopped) => return Ok(()),
            Ok(live::End::Unavailable { reason, .. }) => {
                tracing::debug!(%reason, "live tail ended; polling");
            }
            Err(e) => tracing::debug!(error = %e, "live tail failed; polling"),
        }
        if let Some(ts) = seam.newest() {
            recent = read::Recent::starting_at(ts + 1, q.sources.len());
        }
    }
    follow::poll(aws, q, sink, &recent, settings, cancel).await
}

async fn open_session(aws: &Aws, q: &Query) -> Result<live::Session, AwsError> {
    let arns = live::group_arns(aws, q).await?;
    live::open(aws, q, &arns).await
}
