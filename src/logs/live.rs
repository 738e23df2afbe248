//! StartLiveTail: events pushed as they are ingested, on real AWS. It is not
//! tried against a custom endpoint (its `streaming-` host prefix cannot reach
//! one, and the emulators do not serve it); any failure falls back to polling.

use aws_sdk_cloudwatchlogs::types::StartLiveTailResponseStream;
use tokio_util::sync::CancellationToken;

use super::label;
use super::query::Query;
use super::sink::Sink;
use crate::aws::logs::Event;
use crate::aws::{Aws, AwsError, aws_err};

pub enum End {
    /// Ctrl-C, or the reader went away.
    Stopped,
    /// Not available (any more): poll instead, from the newest event printed.
    Unavailable { reason: String, newest: Option<i64> },
}

pub async fn tail(
    aws: &Aws,
    q: &Query,
    sink: &mut Sink,
    cancel: &CancellationToken,
) -> Result<End, AwsError> {
    let id = crate::aws::sts::caller_identity(&aws.sts).await?;
    let arns: Vec<String> = q
        .sources
        .iter()
        .map(|s| crate::names::arn::log_group(&id.partition, &aws.region, &id.account, &s.group))
        .collect();
    let prefixes: Option<Vec<String>> = (!q.containers.is_empty()
        && q.sources.iter().all(|s| s.firelens_of.is_none()))
    .then(|| {
        q.containers
            .iter()
            .map(|c| format!("copilot/{c}/"))
            .collect()
    });
    let mut newest: Option<i64> = None;
    // A session lasts up to three hours: start another when one ends.
    loop {
        let started = aws
            .logs
            .start_live_tail()
            .set_log_group_identifiers(Some(arns.clone()))
            .set_log_stream_name_prefixes(prefixes.clone())
            .set_log_event_filter_pattern(q.pattern.clone())
            .send()
            .await
            .map_err(aws_err("logs:StartLiveTail"));
        let mut stream = match started {
            Ok(out) => out.response_stream,
            Err(e) if newest.is_none() => return Err(e),
            Err(e) => {
                return Ok(End::Unavailable {
                    reason: e.to_string(),
                    newest,
                });
            }
        };
        loop {
            let next = tokio::select! {
                r = stream.recv() => r,
                () = cancel.cancelled() => return Ok(End::Stopped),
            };
            match next {
                Ok(Some(StartLiveTailResponseStream::SessionUpdate(update))) => {
                    for e in update.session_results() {
                        let group = e.log_group_identifier().unwrap_or_default();
                        let i = arns
                            .iter()
                            .position(|a| a == group || a.ends_with(&format!(":log-group:{group}")))
                            .unwrap_or(0);
                        let event = Event {
                            timestamp: e.timestamp().unwrap_or_default(),
                            ingestion_time: e.ingestion_time().unwrap_or_default(),
                            stream: e.log_stream_name().unwrap_or_default().to_string(),
                            message: e.message().unwrap_or_default().to_string(),
                            event_id: String::new(),
                        };
                        newest = Some(newest.map_or(event.timestamp, |n| n.max(event.timestamp)));
                        if let Some(l) = label(q, i, &event)
                            && !sink.write(&l)
                        {
                            return Ok(End::Stopped);
                        }
                    }
                    if !sink.flush() {
                        return Ok(End::Stopped);
                    }
                }
                Ok(Some(_)) => {}
                // The session ended: start another.
                Ok(None) => break,
                Err(e) => {
                    return Ok(End::Unavailable {
                        reason: aws_smithy_types::error::display::DisplayErrorContext(&e)
                            .to_string(),
                        newest,
                    });
                }
            }
        }
    }
}
