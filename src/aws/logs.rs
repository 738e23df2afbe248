//! CloudWatch Logs: the service's log group, and the reads of `logs`
//! (each request counted by the run's read limit, [`Limiter`]).

use super::limit::Limiter;
use super::{AwsError, ErrorKind, Found, aws_err};
use crate::state::LogGroup;

/// The log group named exactly `name`, if it exists.
pub async fn log_group(
    client: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
) -> Result<Option<LogGroup>, AwsError> {
    let out = client
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(aws_err("logs:DescribeLogGroups"))?;
    Ok(out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .map(|g| LogGroup {
            name: name.to_string(),
            retention_days: g.retention_in_days(),
        }))
}

/// CreateLogGroup; an existing group is not an error.
pub async fn create_log_group(
    client: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
    tags: &[(String, String)],
) -> Result<(), AwsError> {
    const OP: &str = "logs:CreateLogGroup";
    let mut req = client.create_log_group().log_group_name(name);
    for (k, v) in tags {
        req = req.tags(k, v);
    }
    match req.send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = AwsError::from_sdk(OP, e);
            if e.is(ErrorKind::AlreadyExists) {
                Ok(())
            } else {
                Err(e)
            }
        }
    }
}

pub async fn set_retention(
    client: &aws_sdk_cloudwatchlogs::Client,
    name: &str,
    days: i32,
) -> Result<(), AwsError> {
    client
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .map_err(aws_err("logs:PutRetentionPolicy"))?;
    Ok(())
}

/// One log event as read from CloudWatch Logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub timestamp: i64,
    pub ingestion_time: i64,
    pub stream: String,
    pub message: String,
    pub event_id: String,
}

/// Where and what to read: a group, a time range (ms, end exclusive), streams.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub group: String,
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// Narrows the streams server-side (emulators may ignore it).
    pub stream_prefix: Option<String>,
    pub pattern: Option<String>,
}

/// FilterLogEvents, page after page, each request counted by the run's
/// read limit. Events come in time order across streams (`interleaved`,
/// which AWS always does now and emulators do when asked). A page may be
/// empty with a next token: paging goes on.
pub struct Pages {
    client: aws_sdk_cloudwatchlogs::Client,
    filter: Filter,
    limit: i32,
    reads: std::sync::Arc<Limiter>,
    next_token: Option<String>,
    done: bool,
}

pub fn filter_pages(
    client: &aws_sdk_cloudwatchlogs::Client,
    f: &Filter,
    limit: i32,
    reads: &std::sync::Arc<Limiter>,
) -> Pages {
    Pages {
        client: client.clone(),
        filter: f.clone(),
        limit,
        reads: reads.clone(),
        next_token: None,
        done: false,
    }
}

impl Pages {
    /// The next page's events; `None` after the last page.
    #[allow(deprecated)]
    pub async fn next(&mut self) -> Option<Result<Vec<Event>, AwsError>> {
        if self.done {
            return None;
        }
        self.reads.acquire().await;
        let f = &self.filter;
        let out = self
            .client
            .filter_log_events()
            .log_group_name(&f.group)
            .set_start_time(f.start)
            .set_end_time(f.end.map(|e| e - 1))
            .set_log_stream_name_prefix(f.stream_prefix.clone())
            .set_filter_pattern(f.pattern.clone())
            .interleaved(true)
            .limit(self.limit)
            .set_next_token(self.next_token.clone())
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) => {
                self.done = true;
                return Some(Err(AwsError::from_sdk("logs:FilterLogEvents", e)));
            }
        };
        let next = out.next_token().map(str::to_string);
        self.done = next.is_none() || next == self.next_token;
        self.next_token = next;
        Some(Ok(out
            .events()
            .iter()
            .map(|e| Event {
                timestamp: e.timestamp().unwrap_or_default(),
                ingestion_time: e.ingestion_time().unwrap_or_default(),
                stream: e.log_stream_name().unwrap_or_default().to_string(),
                message: e.message().unwrap_or_default().to_string(),
                event_id: e.event_id().unwrap_or_default().to_string(),
            })
            .collect()))
    }
}

/// The first and last event times of a group's streams, if it has any events.
pub async fn time_span(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    reads: &Limiter,
) -> Result<Option<(i64, i64)>, AwsError> {
    const OP: &str = "logs:DescribeLogStreams";
    let mut span: Option<(i64, i64)> = None;
    let mut token: Option<String> = None;
    loop {
        reads.acquire().await;
        let page = client
            .describe_log_streams()
            .log_group_name(group)
            .set_next_token(token.clone())
            .send()
            .await;
        let Some(out) = page.map_err(aws_err(OP)).found()? else {
            return Ok(None);
        };
        for s in out.log_streams() {
            if let (Some(first), Some(last)) = (s.first_event_timestamp(), s.last_event_timestamp())
            {
                span = Some(match span {
                    None => (first, last),
                    Some((a, b)) => (a.min(first), b.max(last)),
                });
            }
        }
        match out.next_token() {
            Some(t) if token.as_deref() != Some(t) => token = Some(t.to_string()),
            _ => return Ok(span),
        }
    }
}
