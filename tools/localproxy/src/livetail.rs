//! CloudWatch Logs' StartLiveTail, which the emulator does not serve: an
//! HTTP response that stays open and carries AWS's event-stream messages
//! (`application/vnd.amazon.eventstream`: a prelude with the lengths and
//! its CRC-32, string headers, a JSON payload, the message's CRC-32). First
//! a `sessionStart`, then every second a `sessionUpdate` with the events the
//! emulator ingested since the session began that were not sent yet (read
//! with the emulator's own FilterLogEvents), marked `sampled` and cut to a
//! sample above a threshold; after the session's length, a
//! `SessionTimeoutException` ends the stream, as AWS ends a session after
//! three hours.
//!
//! `/_sim/livetail {"sampleAbove": 500, "sessionMs": 10800000, "fail": false,
//! "updateMs": 1000}` sets it up (`fail`: StartLiveTail is refused, as for
//! an account without access).

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{Value, json};

/// How the emulated sessions behave.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Above this many events in one update, a sample of this many is sent.
    pub sample_above: usize,
    pub session: Duration,
    pub update: Duration,
    pub fail: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sample_above: 500,
            session: Duration::from_secs(3 * 3600),
            update: Duration::from_secs(1),
            fail: false,
        }
    }
}

impl Settings {
    pub fn configure(&mut self, c: &Value) {
        if let Some(n) = c["sampleAbove"].as_u64() {
            self.sample_above = n as usize;
        }
        if let Some(ms) = c["sessionMs"].as_u64() {
            self.session = Duration::from_millis(ms);
        }
        if let Some(ms) = c["updateMs"].as_u64() {
            self.update = Duration::from_millis(ms);
        }
        if let Some(f) = c["fail"].as_bool() {
            self.fail = f;
        }
    }
}

pub fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// One event-stream message: string headers, a payload.
pub fn message(headers: &[(&str, &str)], payload: &[u8]) -> Bytes {
    let mut h = Vec::new();
    for (name, value) in headers {
        h.push(name.len() as u8);
        h.extend_from_slice(name.as_bytes());
        h.push(7); // a string
        h.extend_from_slice(&(value.len() as u16).to_be_bytes());
        h.extend_from_slice(value.as_bytes());
    }
    let total = 12 + h.len() + payload.len() + 4;
    let mut m = Vec::with_capacity(total);
    m.extend_from_slice(&(total as u32).to_be_bytes());
    m.extend_from_slice(&(h.len() as u32).to_be_bytes());
    let prelude = crc32fast::hash(&m[..8]);
    m.extend_from_slice(&prelude.to_be_bytes());
    m.extend_from_slice(&h);
    m.extend_from_slice(payload);
    let crc = crc32fast::hash(&m);
    m.extend_from_slice(&crc.to_be_bytes());
    Bytes::from(m)
}

pub fn event(kind: &str, payload: &Value) -> Bytes {
    message(
        &[
            (":message-type", "event"),
            (":event-type", kind),
            (":content-type", "application/json"),
        ],
        payload.to_string().as_bytes(),
    )
}

pub fn exception(kind: &str, text: &str) -> Bytes {
    message(
        &[
            (":message-type", "exception"),
            (":exception-type", kind),
            (":content-type", "application/json"),
        ],
        json!({ "message": text }).to_string().as_bytes(),
    )
}

/// What a session asked for.
pub struct Request {
    /// The groups, as asked (ARNs or names), and their names.
    pub groups: Vec<(String, String)>,
    pub prefixes: Vec<String>,
}

impl Request {
    pub fn parse(body: &[u8]) -> Request {
        let v: Value = serde_json::from_slice(body).unwrap_or_default();
        let strings = |key: &str| -> Vec<String> {
            v[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        };
        Request {
            groups: strings("logGroupIdentifiers")
                .into_iter()
                .map(|g| {
                    let name = g
                        .split_once(":log-group:")
                        .map_or(g.as_str(), |(_, n)| n)
                        .trim_end_matches(":*")
                        .to_string();
                    (g, name)
                })
                .collect(),
            prefixes: strings("logStreamNamePrefixes"),
        }
    }
}

/// The session's state: what was sent already.
pub struct Session {
    pub started_ms: i64,
    sent: HashSet<String>,
}

impl Session {
    pub fn new() -> Session {
        Session {
            started_ms: epoch_ms(),
            sent: HashSet::new(),
        }
    }

    /// The update for the events read (FilterLogEvents' answers, per group
    /// as asked): those ingested since the session began and not sent yet,
    /// sampled above the threshold.
    pub fn update(
        &mut self,
        read: &[(String, Vec<Value>)],
        prefixes: &[String],
        s: &Settings,
    ) -> Value {
        let mut results = Vec::new();
        for (group, events) in read {
            for e in events {
                let id = e["eventId"].as_str().unwrap_or_default().to_string();
                let stream = e["logStreamName"].as_str().unwrap_or_default();
                let ingested = e["ingestionTime"].as_i64().unwrap_or_default();
                if ingested < self.started_ms
                    || (!prefixes.is_empty()
                        && !prefixes.iter().any(|p| stream.starts_with(p.as_str())))
                    || !self.sent.insert(format!("{group}/{id}"))
                {
                    continue;
                }
                results.push(json!({
                    "logStreamName": stream,
                    "logGroupIdentifier": group,
                    "message": e["message"],
                    "timestamp": e["timestamp"],
                    "ingestionTime": ingested,
                }));
            }
        }
        results.sort_by_key(|r| r["timestamp"].as_i64().unwrap_or_default());
        let sampled = results.len() > s.sample_above;
        if sampled {
            // An even sample, as AWS sends above 500 events a second.
            let step = results.len() as f64 / s.sample_above.max(1) as f64;
            results = (0..s.sample_above)
                .map(|k| results[(k as f64 * step) as usize].clone())
                .collect();
        }
        json!({
            "sessionMetadata": {"sampled": sampled},
            "sessionResults": results,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_carries_its_lengths_and_checksums() {
        let m = message(&[(":message-type", "event")], b"{}");
        let total = u32::from_be_bytes(m[0..4].try_into().unwrap()) as usize;
        assert_eq!(total, m.len());
        let headers = u32::from_be_bytes(m[4..8].try_into().unwrap()) as usize;
        assert_eq!(headers, 1 + 13 + 1 + 2 + 5);
        assert_eq!(
            u32::from_be_bytes(m[8..12].try_into().unwrap()),
            crc32fast::hash(&m[..8])
        );
        assert_eq!(
            u32::from_be_bytes(m[total - 4..].try_into().unwrap()),
            crc32fast::hash(&m[..total - 4])
        );
    }

    #[test]
    fn an_update_sends_each_event_once_and_samples_a_burst() {
        let mut s = Session::new();
        s.started_ms -= 10;
        let now = s.started_ms + 5;
        let events: Vec<Value> = (0..10)
            .map(|i| json!({"eventId": i.to_string(), "logStreamName": "copilot/api/t", "message": format!("m{i}"), "timestamp": now, "ingestionTime": now}))
            .collect();
        let settings = Settings {
            sample_above: 4,
            ..Settings::default()
        };
        let read = vec![("g".to_string(), events)];
        let u = s.update(&read, &[], &settings);
        assert_eq!(u["sessionMetadata"]["sampled"], true);
        assert_eq!(u["sessionResults"].as_array().unwrap().len(), 4);
        let again = s.update(&read, &[], &settings);
        assert_eq!(again["sessionResults"].as_array().unwrap().len(), 0);
        assert_eq!(again["sessionMetadata"]["sampled"], false);
    }
}
