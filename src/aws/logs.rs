//! CloudWatch Logs: the service's log group.

use super::{AwsError, ErrorKind, Found, aws_err};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogGroup {
    pub name: String,
    pub retention_days: Option<i32>,
}

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

/// One page of FilterLogEvents.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub events: Vec<Event>,
    pub next_token: Option<String>,
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

/// One FilterLogEvents call. Events come in time order across streams
/// (`interleaved`, which AWS always does now and emulators do when asked).
#[allow(deprecated)]
pub async fn filter_page(
    client: &aws_sdk_cloudwatchlogs::Client,
    f: &Filter,
    token: Option<String>,
    limit: i32,
) -> Result<Page, AwsError> {
    const OP: &str = "logs:FilterLogEvents";
    let out = client
        .filter_log_events()
        .log_group_name(&f.group)
        .set_start_time(f.start)
        .set_end_time(f.end.map(|e| e - 1))
        .set_log_stream_name_prefix(f.stream_prefix.clone())
        .set_filter_pattern(f.pattern.clone())
        .set_next_token(token)
        .limit(limit)
        .interleaved(true)
        .send()
        .await
        .map_err(aws_err(OP))?;
    Ok(Page {
        events: out
            .events()
            .iter()
            .map(|e| Event {
                timestamp: e.timestamp().unwrap_or_default(),
                ingestion_time: e.ingestion_time().unwrap_or_default(),
                stream: e.log_stream_name().unwrap_or_default().to_string(),
                message: e.message().unwrap_or_default().to_string(),
                event_id: e.event_id().unwrap_or_default().to_string(),
            })
            .collect(),
        next_token: out
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string),
    })
}

/// The first and last event times of a group's streams (whose names start
/// with `prefix`), if it has any events.
pub async fn time_span(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    prefix: Option<&str>,
) -> Result<Option<(i64, i64)>, AwsError> {
    const OP: &str = "logs:DescribeLogStreams";
    let mut token = None;
    let mut span: Option<(i64, i64)> = None;
    loop {
        let res = client
            .describe_log_streams()
            .log_group_name(group)
            .set_log_stream_name_prefix(prefix.map(str::to_string))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(aws_err(OP))
            .found()?;
        let Some(out) = res else { return Ok(None) };
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
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(span),
        }
    }
}
