//! Following with StartLiveTail: events pushed as they are ingested. The
//! session is started before the history is read, so that nothing written
//! between the two is lost; where the readers meet, [`Seam`] prints every
//! event once. A session that ends (AWS ends them after three hours) is
//! followed by the next, the gap between them read with FilterLogEvents;
//! an update AWS marks as sampled (above 500 events a second) is said once
//! on stderr and its interval read with FilterLogEvents, so nothing is
//! lost. Any other failure falls back to polling.
//!
//! The operation's host prefix (`stream-`) is left off for a custom
//! endpoint (an emulator, the local stack's proxy), which it cannot reach.

use aws_sdk_cloudwatchlogs::types::StartLiveTailResponseStream;
use aws_smithy_runtime_api::client::endpoint::EndpointPrefix;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use tokio_util::sync::CancellationToken;

use super::follow::FollowSettings;
use super::label;
use super::query::Query;
use super::seam::{Reader, Seam};
use super::sink::Sink;
use crate::aws::logs::{Event, Filter, filter_pages};
use crate::aws::{Aws, AwsError, aws_err};
use crate::clock::now_ms;

pub enum End {
    /// Ctrl-C, or the reader went away.
    Stopped,
    /// Not available (any more): poll instead, from the newest event printed.
    Unavailable { reason: String },
}

/// A session started: its stream, and when it began (events ingested from
/// then on come through it).
pub struct Session {
    /// Its `response_stream` (whose type the SDK does not name).
    stream: aws_sdk_cloudwatchlogs::operation::start_live_tail::StartLiveTailOutput,
    pub since_ms: i64,
    arns: Vec<String>,
}

/// Leaves the operation's modelled host prefix off (for custom endpoints).
#[derive(Debug)]
struct NoHostPrefix;

impl Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_serialization(
        &self,
        _context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        cfg.interceptor_state().unset::<EndpointPrefix>();
        Ok(())
    }
}

/// The groups' ARNs, as StartLiveTail takes them.
pub async fn group_arns(aws: &Aws, q: &Query) -> Result<Vec<String>, AwsError> {
    let id = crate::aws::sts::caller_identity(&aws.sts).await?;
    Ok(q.sources
        .iter()
        .map(|s| crate::names::arn::log_group(&id.partition, &aws.region, &id.account, &s.group))
        .collect())
}

/// Starts a session and waits for its start.
pub async fn open(aws: &Aws, q: &Query, arns: &[String]) -> Result<Session, AwsError> {
    const OP: &str = "logs:StartLiveTail";
    // Stream prefixes narrow a session of one group only.
    let prefixes: Option<Vec<String>> = (!q.containers.is_empty()
        && q.sources.len() == 1
        && q.sources.iter().all(|s| s.firelens_of.is_none()))
    .then(|| {
        q.containers
            .iter()
            .map(|c| format!("copilot/{c}/"))
            .collect()
    });
    // AWS's session begins before its answer: a margin for the clocks.
    let since_ms = now_ms() - 2_000;
    let request = aws
        .logs
        .start_live_tail()
        .set_log_group_identifiers(Some(arns.to_vec()))
        .set_log_stream_name_prefixes(prefixes)
        .set_log_event_filter_pattern(q.pattern.clone());
    let started = if aws.custom_endpoint {
        request.customize().interceptor(NoHostPrefix).send().await
    } else {
        request.send().await
    };
    let mut stream = started.map_err(aws_err(OP))?;
    match stream.response_stream.recv().await {
        Ok(Some(StartLiveTailResponseStream::SessionStart(_))) => Ok(Session {
            stream,
            since_ms,
            arns: arns.to_vec(),
        }),
        Ok(_) => Err(AwsError::new(
            OP,
            crate::aws::ErrorKind::Other,
            "the session did not start",
        )),
        Err(e) => Err(AwsError::new(
            OP,
            crate::aws::ErrorKind::Other,
            aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
        )),
    }
}

/// Follows from `session` on, the history already printed (and its last
/// events known to `seam`).
pub async fn tail(
    aws: &Aws,
    q: &Query,
    sink: &mut Sink,
    mut session: Session,
    seam: &mut Seam,
    settings: &FollowSettings,
    cancel: &CancellationToken,
) -> Result<End, AwsError> {
    let mut sampled_said = false;
    loop {
        let next = tokio::select! {
            r = session.stream.response_stream.recv() => r,
            () = cancel.cancelled() => return Ok(End::Stopped),
        };
        let ended = match next {
            Ok(Some(StartLiveTailResponseStream::SessionUpdate(update))) => {
                let mut batch: Vec<(usize, Event)> = update
                    .session_results()
                    .iter()
                    .map(|e| {
                        let group = e.log_group_identifier().unwrap_or_default();
                        let i = session
                            .arns
                            .iter()
                            .position(|a| a == group || a.ends_with(&format!(":log-group:{group}")))
                            .unwrap_or(0);
                        (i, live_event(e))
                    })
                    .collect();
                let mut admitted: Vec<(usize, Event)> = batch
                    .drain(..)
                    .filter(|(i, e)| {
                        seam.admit(Reader::Live, *i, e.timestamp, &e.stream, &e.message)
                    })
                    .collect();
                if update.session_metadata().is_some_and(|m| m.sampled()) {
                    if !sampled_said {
                        eprintln!(
                            "sidecarctl: Live Tail sends a sample above 500 events a second; the events it leaves out are read with FilterLogEvents"
                        );
                        sampled_said = true;
                    }
                    let times = update
                        .session_results()
                        .iter()
                        .filter_map(|e| e.timestamp());
                    if let (Some(lo), Some(hi)) = (times.clone().min(), times.max()) {
                        admitted
                            .extend(fill(aws, q, seam, settings, lo - 1_000, hi + 1_000).await?);
                    }
                }
                if !write(q, sink, admitted) {
                    return Ok(End::Stopped);
                }
                false
            }
            Ok(Some(_)) => false,
            Ok(None) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_session_timeout_exception()) =>
            {
                true
            }
            Err(e) => {
                return Ok(End::Unavailable {
                    reason: aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
                });
            }
        };
        if ended {
            // The next session, then what was ingested between the two.
            session = match open(aws, q, &session.arns).await {
                Ok(s) => s,
                Err(e) => {
                    return Ok(End::Unavailable {
                        reason: e.to_string(),
                    });
                }
            };
            let from = seam
                .newest()
                .map_or(session.since_ms, |n| n - settings.lookback_ms);
            let gap = fill(aws, q, seam, settings, from, now_ms() + 60_000).await?;
            if !write(q, sink, gap) {
                return Ok(End::Stopped);
            }
        }
    }
}

fn live_event(e: &aws_sdk_cloudwatchlogs::types::LiveTailSessionLogEvent) -> Event {
    Event {
        timestamp: e.timestamp().unwrap_or_default(),
        ingestion_time: e.ingestion_time().unwrap_or_default(),
        stream: e.log_stream_name().unwrap_or_default().to_string(),
        message: e.message().unwrap_or_default().to_string(),
        event_id: String::new(),
    }
}

/// Every group's events in `[from, to)` read with FilterLogEvents (under
/// the run's read limit), those not printed yet.
async fn fill(
    aws: &Aws,
    q: &Query,
    seam: &mut Seam,
    settings: &FollowSettings,
    from: i64,
    to: i64,
) -> Result<Vec<(usize, Event)>, AwsError> {
    let mut out = Vec::new();
    for (i, src) in q.sources.iter().enumerate() {
        let filter = Filter {
            group: src.group.clone(),
            start: Some(from),
            end: Some(to),
            stream_prefix: None,
            pattern: q.pattern.clone(),
        };
        let mut pages = filter_pages(&aws.logs, &filter, 10_000, &settings.reads);
        while let Some(page) = pages.next().await {
            for e in page? {
                let reader = Reader::Fill {
                    event_id: &e.event_id,
                };
                if seam.admit(reader, i, e.timestamp, &e.stream, &e.message) {
                    out.push((i, e));
                }
            }
        }
    }
    Ok(out)
}

/// Writes events in time order; false once the reader went away.
fn write(q: &Query, sink: &mut Sink, mut events: Vec<(usize, Event)>) -> bool {
    events.sort_by_key(|(_, e)| e.timestamp);
    for (i, e) in &events {
        if let Some(l) = label(q, *i, e)
            && !sink.write(&l)
        {
            return false;
        }
    }
    sink.flush()
}
