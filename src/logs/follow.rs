//! Following by polling FilterLogEvents: fast while events flow, slower when
//! idle, backing off when throttled; transient failures are retried, and only a
//! failure lasting longer than `give_up_after` ends it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::query::Query;
use super::read::Recent;
use super::sink::Sink;
use super::window::Window;
use super::{LogsError, label};
use crate::aws::limit::Limiter;
use crate::aws::logs::{Event, Filter, filter_pages};
use crate::aws::{Aws, ErrorKind};

/// CloudWatch Logs read calls a second, by default: the account's default
/// quota for FilterLogEvents (and for DescribeLogStreams).
pub const DEFAULT_READ_RATE: u32 = 5;

#[derive(Clone, Debug)]
pub struct FollowSettings {
    /// The run's CloudWatch Logs read calls (FilterLogEvents,
    /// DescribeLogStreams), reading and following alike: at most this many
    /// a second (`--read-rate`; the account's default quota is 5).
    pub reads: Arc<Limiter>,
    /// Follow with StartLiveTail when it can be had (else, or with
    /// `--poll`, by polling FilterLogEvents).
    pub live: bool,
    /// Late events up to this much older than the newest printed are still printed.
    pub lookback_ms: i64,
    pub min_interval: Duration,
    pub max_interval: Duration,
    /// How often the whole look-back is searched again for late events.
    pub late_scan_every: Duration,
    pub give_up_after: Duration,
}

impl Default for FollowSettings {
    fn default() -> Self {
        FollowSettings {
            reads: Arc::new(Limiter::new(DEFAULT_READ_RATE)),
            live: true,
            lookback_ms: 30_000,
            min_interval: Duration::from_millis(200),
            max_interval: Duration::from_secs(1),
            late_scan_every: Duration::from_secs(2),
            give_up_after: Duration::from_secs(60),
        }
    }
}

/// Every page of one query from `start` on.
async fn fetch_all(
    aws: &Aws,
    q: &Query,
    group: &str,
    start: i64,
    reads: &Arc<Limiter>,
) -> Result<Vec<Event>, crate::aws::AwsError> {
    let filter = Filter {
        group: group.to_string(),
        start: Some(start),
        end: None,
        stream_prefix: None,
        pattern: q.pattern.clone(),
    };
    let mut pages = filter_pages(&aws.logs, &filter, 10_000, reads);
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        out.extend(page?);
    }
    Ok(out)
}

pub async fn poll(
    aws: &Aws,
    q: &Query,
    sink: &mut Sink,
    recent: &Recent,
    s: &FollowSettings,
    cancel: &CancellationToken,
) -> Result<(), LogsError> {
    let mut windows: Vec<Window> = recent
        .events
        .iter()
        .map(|seen| {
            let mut w = if recent.floor {
                Window::from(s.lookback_ms, recent.at)
            } else {
                Window::new(s.lookback_ms, recent.at)
            };
            for (id, ts) in seen {
                w.admit(id, *ts);
            }
            w
        })
        .collect();
    let mut interval = s.min_interval;
    let mut last_ok = Instant::now();
    let mut last_late_scan = Instant::now();
    let mut warned = false;
    loop {
        if cancel.is_cancelled() || sink.closed {
            sink.flush();
            return Ok(());
        }
        let late_scan = last_late_scan.elapsed() >= s.late_scan_every;
        let mut batch: Vec<(usize, Event)> = Vec::new();
        let mut failure = None;
        for (i, src) in q.sources.iter().enumerate() {
            // Usually from the newest event printed (events sharing its
            // millisecond included); now and then the whole look-back.
            let start = if late_scan {
                windows[i].query_start()
            } else {
                windows[i].cursor()
            };
            match fetch_all(aws, q, &src.group, start, &s.reads).await {
                Ok(events) => {
                    for e in events {
                        if windows[i].admit(&e.event_id, e.timestamp) {
                            batch.push((i, e));
                        }
                    }
                }
                Err(e) if e.is(ErrorKind::NotFound) => {}
                Err(e) => failure = Some(e),
            }
        }
        if late_scan {
            last_late_scan = Instant::now();
        }
        batch.sort_by_key(|(_, e)| e.timestamp);
        for (i, e) in &batch {
            if let Some(l) = label(q, *i, e)
                && !sink.write(&l)
            {
                return Ok(());
            }
        }
        if !sink.flush() {
            return Ok(());
        }
        match failure {
            None => {
                last_ok = Instant::now();
                if warned {
                    eprintln!("sidecarctl: reading logs again");
                    warned = false;
                }
                interval = if batch.is_empty() {
                    (interval * 2).min(s.max_interval)
                } else {
                    s.min_interval
                };
            }
            Some(e) => {
                if last_ok.elapsed() >= s.give_up_after {
                    return Err(LogsError::Lasting(format!(
                        "reading logs has failed for {}s: {e}",
                        last_ok.elapsed().as_secs()
                    )));
                }
                if !warned {
                    eprintln!("sidecarctl: {e}; retrying");
                    warned = true;
                }
                interval = if e.is(ErrorKind::Throttled) {
                    (interval * 2).clamp(Duration::from_secs(1), Duration::from_secs(10))
                } else {
                    (interval * 2).clamp(s.min_interval, Duration::from_secs(5))
                };
            }
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = cancel.cancelled() => {}
        }
    }
}
