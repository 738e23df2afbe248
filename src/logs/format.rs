//! Log lines for people (`TIME CONTAINER/TASK MESSAGE`, coloured) and for
//! programs (one JSON object a line).

use crate::term::Palette;

/// An event ready to print.
pub struct Line<'a> {
    pub timestamp: i64,
    pub ingestion_time: i64,
    pub group: &'a str,
    pub stream: &'a str,
    pub container: &'a str,
    pub task: &'a str,
    pub message: &'a str,
    pub event_id: &'a str,
    /// Marks events from another group than the service's (FireLens's output).
    pub source: Option<&'a str>,
}

/// `2026-11-22T01:02:03.456Z` from epoch milliseconds.
pub fn rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

const COLOURS: [&str; 6] = ["36", "35", "32", "34", "33", "96"];

/// A colour for a container that stays the same from run to run.
fn colour_of(container: &str) -> &'static str {
    let h = container
        .bytes()
        .fold(5381u32, |h, b| h.wrapping_mul(33) ^ u32::from(b));
    COLOURS[(h as usize) % COLOURS.len()]
}

/// Highlights ERROR-like words red and WARN-like words yellow.
fn highlight(message: &str, p: Palette) -> String {
    if !p.enabled {
        return message.to_string();
    }
    let mut out = String::with_capacity(message.len() + 16);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let upper = word.to_ascii_uppercase();
        match upper.as_str() {
            "ERROR" | "ERR" | "FATAL" | "PANIC" | "CRITICAL" | "EXCEPTION" => {
                out.push_str(&p.paint("1;31", word))
            }
            "WARN" | "WARNING" => out.push_str(&p.paint("1;33", word)),
            _ => out.push_str(word),
        }
        word.clear();
    };
    for c in message.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `TIME CONTAINER/TASK MESSAGE` (the task id shortened to 8 characters).
pub fn text(l: &Line, p: Palette) -> String {
    let task: String = l.task.chars().take(8).collect();
    let who = if task.is_empty() {
        l.container.to_string()
    } else {
        format!("{}/{task}", l.container)
    };
    let who = match l.source {
        Some(s) => format!("{who} [{s}]"),
        None => who,
    };
    let message = l.message.trim_end_matches(['\n', '\r']);
    format!(
        "{} {} {}\n",
        p.dim(&rfc3339_ms(l.timestamp)),
        p.paint(colour_of(l.container), &who),
        highlight(message, p)
    )
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonLine<'a> {
    timestamp: i64,
    ingestion_time: i64,
    log_group: &'a str,
    log_stream: &'a str,
    container: &'a str,
    task_id: &'a str,
    message: &'a str,
    event_id: Option<&'a str>,
}

/// One JSON object: timestamp, ingestionTime, logGroup, logStream, container,
/// taskId, message, eventId (null from a live tail, which has none).
pub fn json(l: &Line) -> String {
    let mut s = serde_json::to_string(&JsonLine {
        timestamp: l.timestamp,
        ingestion_time: l.ingestion_time,
        log_group: l.group,
        log_stream: l.stream,
        container: l.container,
        task_id: l.task,
        message: l.message,
        event_id: (!l.event_id.is_empty()).then_some(l.event_id),
    })
    .unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(message: &'a str) -> Line<'a> {
        Line {
            timestamp: 1_763_773_323_456,
            ingestion_time: 1_763_773_323_999,
            group: "/copilot/demo-test-api",
            stream: "copilot/nginx/0123456789abcdef",
            container: "nginx",
            task: "0123456789abcdef",
            message,
            event_id: "123",
            source: None,
        }
    }

    #[test]
    fn formats_times_in_utc() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_763_773_323_456), "2025-11-22T01:02:03.456Z");
        assert_eq!(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn text_lines() {
        let t = text(&line("GET / 200\n"), Palette::PLAIN);
        assert_eq!(t, "2025-11-22T01:02:03.456Z nginx/01234567 GET / 200\n");
        let coloured = text(&line("an ERROR and a warning"), Palette::new(true));
        assert!(coloured.contains("\x1b[1;31mERROR\x1b[0m"));
        assert!(coloured.contains("\x1b[1;33mwarning\x1b[0m"));
        assert!(!coloured.contains("\x1b[1;31mand"));
    }

    #[test]
    fn json_lines_parse() {
        let v: serde_json::Value = serde_json::from_str(&json(&line("hello \"quoted\""))).unwrap();
        assert_eq!(v["container"], "nginx");
        assert_eq!(v["taskId"], "0123456789abcdef");
        assert_eq!(v["message"], "hello \"quoted\"");
        assert_eq!(v["eventId"], "123");
        assert_eq!(v["timestamp"], 1_763_773_323_456i64);
    }

    #[test]
    fn container_colours_are_stable_and_spread() {
        assert_eq!(colour_of("api"), colour_of("api"));
        let distinct: std::collections::HashSet<_> =
            ["api", "nginx", "firelens_log_router", "config-agent"]
                .iter()
                .map(|c| colour_of(c))
                .collect();
        assert!(distinct.len() >= 3);
    }
}
