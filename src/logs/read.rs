//! Reading a range of events: each group paged in time order (in parallel time
//! slices when the range is large), groups merged by timestamp, `--limit`
//! keeping the most recent N. Memory is bounded by a few pages per group.

use std::collections::VecDeque;

use std::sync::Arc;

use tokio::sync::mpsc;

use super::query::Query;
use super::sink::Sink;
use super::{LogsError, label};
use crate::aws::limit::Limiter;
use crate::aws::logs::{Event, Filter, filter_pages, time_span};
use crate::aws::{Aws, AwsError};
use crate::clock::now_ms;

/// Time slices a dense range is cut into, at most: no more than a second's
/// worth of the read limit (each slice costs a call at least, and only
/// [`AHEAD`] run at once).
const SLICES: i64 = 12;
/// Slices read ahead at once, per group: memory stays within a few pages.
const AHEAD: usize = 2;
/// Ranges shorter than this are read in one chain.
const MIN_SLICE_MS: i64 = 1_000;
/// Events per FilterLogEvents page (the API's largest).
const PAGE: i32 = 10_000;

type PageRx = mpsc::Receiver<Result<Vec<Event>, AwsError>>;

/// Pages of one group in time order. The range is cut into time slices; a few
/// slices are read concurrently ahead of the one being printed, each paging
/// on its own, and handed over in order.
struct Pages {
    client: aws_sdk_cloudwatchlogs::Client,
    reads: Arc<Limiter>,
    base: Filter,
    /// Slices not started yet.
    pending: VecDeque<(i64, i64)>,
    /// Slices being read, in order.
    active: VecDeque<PageRx>,
    buf: VecDeque<Event>,
}

impl Pages {
    /// Pages of `[start, end)`. When the group's events are known to lie in
    /// `[start, dense_end)`, that part is cut into slices; the rest, up to
    /// `end`, is one more slice (the hint may be stale).
    fn open(
        client: &aws_sdk_cloudwatchlogs::Client,
        reads: &Arc<Limiter>,
        base: &Filter,
        start: i64,
        end: i64,
        dense_end: Option<i64>,
    ) -> Pages {
        let slices = (reads.per_second() as i64).clamp(1, SLICES);
        let mut bounds = vec![start];
        if let Some(dense) = dense_end.map(|d| d.clamp(start, end))
            && slices > 1
            && dense - start >= MIN_SLICE_MS * slices
        {
            let step = (dense - start + slices - 1) / slices;
            bounds.extend((1..slices).map(|k| start + k * step));
            bounds.push(dense);
        }
        if *bounds.last().expect("a start") < end {
            bounds.push(end);
        }
        let mut pages = Pages {
            client: client.clone(),
            reads: reads.clone(),
            base: base.clone(),
            pending: bounds.windows(2).map(|w| (w[0], w[1])).collect(),
            active: VecDeque::new(),
            buf: VecDeque::new(),
        };
        pages.start_ahead();
        pages
    }

    fn start_ahead(&mut self) {
        while self.active.len() < AHEAD
            && let Some((lo, hi)) = self.pending.pop_front()
        {
            let (tx, rx) = mpsc::channel(1);
            let client = self.client.clone();
            let reads = self.reads.clone();
            let filter = Filter {
                start: Some(lo),
                end: Some(hi),
                ..self.base.clone()
            };
            tokio::spawn(async move {
                let mut pages = filter_pages(&client, &filter, PAGE, &reads);
                while let Some(page) = pages.next().await {
                    let failed = page.is_err();
                    if page.as_ref().is_ok_and(Vec::is_empty) {
                        continue;
                    }
                    if tx.send(page).await.is_err() || failed {
                        return;
                    }
                }
            });
            self.active.push_back(rx);
        }
    }

    /// The next event in time order, if any.
    async fn peek(&mut self) -> Result<Option<&Event>, AwsError> {
        while self.buf.is_empty() {
            let Some(rx) = self.active.front_mut() else {
                return Ok(None);
            };
            match rx.recv().await {
                Some(page) => {
                    let mut page = page?;
                    // Interleaved pages come in time order; keep ties stable.
                    page.sort_by_key(|e| e.timestamp);
                    self.buf.extend(page);
                }
                None => {
                    self.active.pop_front();
                    self.start_ahead();
                }
            }
        }
        Ok(self.buf.front())
    }

    fn pop(&mut self) -> Option<Event> {
        self.buf.pop_front()
    }
}

fn base_filter(q: &Query, group: &str) -> Filter {
    Filter {
        group: group.to_string(),
        start: None,
        end: None,
        stream_prefix: match q.containers.as_slice() {
            [one] if q.sources.iter().all(|s| s.firelens_of.is_none()) => {
                Some(format!("copilot/{one}/"))
            }
            _ => None,
        },
        pattern: q.pattern.clone(),
    }
}

/// What a read found: how many events matched, and with a limit the most
/// recent of them (otherwise they were written as they came).
struct Found {
    matched: usize,
    tail: VecDeque<(usize, Event)>,
}

/// Reads `[start, end)` of every source, merged by time: written to `sink`
/// as they come, or with `limit` kept as the most recent N.
async fn read_range(
    aws: &Aws,
    q: &Query,
    ranges: &[Option<(i64, i64, Option<i64>)>],
    limit: Option<usize>,
    sink: &mut Sink,
    recent: &mut Recent,
    reads: &Arc<Limiter>,
) -> Result<Found, AwsError> {
    recent.clear();
    let mut pages: Vec<Option<Pages>> = q
        .sources
        .iter()
        .zip(ranges)
        .map(|(s, r)| {
            r.map(|(a, b, dense)| {
                Pages::open(&aws.logs, reads, &base_filter(q, &s.group), a, b, dense)
            })
        })
        .collect();
    let mut found = Found {
        matched: 0,
        tail: VecDeque::new(),
    };
    loop {
        // The source whose next event is the oldest.
        let mut best: Option<(usize, i64)> = None;
        for (i, p) in pages.iter_mut().enumerate() {
            if let Some(p) = p
                && let Some(e) = p.peek().await?
                && best.is_none_or(|(_, t)| e.timestamp < t)
            {
                best = Some((i, e.timestamp));
            }
        }
        let Some((i, _)) = best else { break };
        let e = pages[i].as_mut().and_then(Pages::pop).expect("peeked");
        let Some(l) = label(q, i, &e) else { continue };
        found.matched += 1;
        recent.note(i, &e);
        match limit {
            Some(n) => {
                drop(l);
                found.tail.push_back((i, e));
                if found.tail.len() > n {
                    found.tail.pop_front();
                }
            }
            None => {
                if !sink.write(&l) {
                    break;
                }
            }
        }
    }
    Ok(found)
}

fn write_tail(q: &Query, tail: &VecDeque<(usize, Event)>, sink: &mut Sink) {
    for (i, e) in tail {
        match label(q, *i, e) {
            Some(l) if sink.write(&l) => {}
            Some(_) => return,
            None => {}
        }
    }
}

/// The events a history read matched near its end, so that following does not
/// print them again.
pub struct Recent {
    /// When the read began: following starts here.
    pub at: i64,
    lookback: i64,
    /// Per source: `(event id, timestamp)` of matched events within the look-back of `at`.
    pub events: Vec<Vec<(String, i64)>>,
    /// Following must not look before `at` (what came before was printed without ids).
    pub floor: bool,
    /// Events ingested from this time on are known to the live reader too.
    seam_from: Option<i64>,
    /// Those printed, and those within the look-back of `at`: (source,
    /// event id, timestamp, stream, message).
    pub seam: Vec<(usize, String, i64, String, String)>,
}

impl Recent {
    /// Following from `at`, with nothing printed near it.
    pub fn starting_at(at: i64, sources: usize) -> Recent {
        Recent {
            at,
            lookback: 0,
            events: vec![Vec::new(); sources],
            floor: true,
            seam_from: None,
            seam: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.events.iter_mut().for_each(Vec::clear);
        self.seam.clear();
    }

    fn note(&mut self, i: usize, e: &Event) {
        if e.timestamp >= self.at - self.lookback {
            self.events[i].push((e.event_id.clone(), e.timestamp));
        }
        if self
            .seam_from
            .is_some_and(|t| e.ingestion_time >= t || e.timestamp >= self.at - self.lookback)
        {
            self.seam.push((
                i,
                e.event_id.clone(),
                e.timestamp,
                e.stream.clone(),
                e.message.clone(),
            ));
        }
    }
}

/// Prints the history the query asks for; returns what following needs to
/// carry on without repeating it (with `seam_from`, the events printed that
/// were ingested from then on: a Live Tail session delivers them too).
pub async fn history(
    aws: &Aws,
    q: &Query,
    sink: &mut Sink,
    lookback: i64,
    reads: &Arc<Limiter>,
    seam_from: Option<i64>,
) -> Result<Recent, LogsError> {
    let now = now_ms();
    let mut recent = Recent {
        at: now,
        lookback,
        events: vec![Vec::new(); q.sources.len()],
        floor: false,
        seam_from,
        seam: Vec::new(),
    };
    // Where each group's events begin. (CloudWatch updates the last event time
    // lazily, so the end is the query's, or now.)
    let spans = futures_util::future::join_all(
        q.sources
            .iter()
            .map(|s| time_span(&aws.logs, &s.group, reads)),
    )
    .await;
    let mut known = Vec::new();
    for s in spans {
        known.push(s?);
    }
    let firsts: Vec<Option<i64>> = known.iter().map(|s| s.map(|(first, _)| first)).collect();
    let end = q.end.unwrap_or(now + 60_000);
    let ranges_from = |from: Option<i64>| -> Vec<Option<(i64, i64, Option<i64>)>> {
        known
            .iter()
            .map(|s| {
                let (first, last) = (*s)?;
                let a = from.unwrap_or(i64::MIN).max(first);
                (a < end).then_some((a, end, Some(last + 1)))
            })
            .collect()
    };
    match (q.start, q.limit) {
        // The most recent N without a start: look back further until N are found.
        (None, Some(n)) => {
            let Some(oldest) = firsts.iter().flatten().min().copied() else {
                return Ok(recent);
            };
            let mut lookback: i64 = 10 * 60_000;
            loop {
                let from = now - lookback;
                let found = read_range(
                    aws,
                    q,
                    &ranges_from(Some(from)),
                    Some(n),
                    sink,
                    &mut recent,
                    reads,
                )
                .await?;
                if found.matched >= n || from <= oldest {
                    write_tail(q, &found.tail, sink);
                    break;
                }
                lookback = lookback.saturating_mul(8);
            }
        }
        (start, limit) => {
            let found =
                read_range(aws, q, &ranges_from(start), limit, sink, &mut recent, reads).await?;
            write_tail(q, &found.tail, sink);
        }
    }
    Ok(recent)
}
