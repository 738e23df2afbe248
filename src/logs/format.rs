//! Log lines for people (`TIME CONTAINER/TASK MESSAGE`, coloured, the time
//! local with its offset or UTC) and for programs (one JSON object a line,
//! epoch milliseconds).

use super::zone::Zone;
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

const COLOURS: [&str; 6] = ["36", "35", "32", "34", "33", "96"];

/// Colours for containers that stay the same from run to run: the service's
/// own containers, in the manifest's order, each a colour of its own (up to
/// six); any other container by a hash of its name.
#[derive(Clone, Debug, Default)]
pub struct Colours(Vec<String>);

impl Colours {
    pub fn new(containers: Vec<String>) -> Colours {
        Colours(containers)
    }

    pub fn of(&self, container: &str) -> &'static str {
        match self.0.iter().position(|c| c == container) {
            Some(i) => COLOURS[i % COLOURS.len()],
            None => {
                let h = container
                    .bytes()
                    .fold(5381u32, |h, b| h.wrapping_mul(33) ^ u32::from(b));
                COLOURS[(h as usize) % COLOURS.len()]
            }
        }
    }
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
pub fn text(l: &Line, p: Palette, colours: &Colours, zone: &Zone) -> String {
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
        p.dim(&zone.format(l.timestamp)),
        p.paint(colours.of(l.container), &who),
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
    fn text_lines() {
        let utc = Zone::new(true);
        let t = text(
            &line("GET / 200\n"),
            Palette::PLAIN,
            &Colours::default(),
            &utc,
        );
        assert_eq!(t, "2025-11-22T01:02:03.456Z nginx/01234567 GET / 200\n");
        let coloured = text(
            &line("an ERROR and a warning"),
            Palette::new(true),
            &Colours::default(),
            &utc,
        );
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
    fn the_services_containers_each_get_their_own_colour() {
        // The example's containers: with a hash alone, api and config-agent collide.
        let names = ["api", "firelens_log_router", "config-agent", "nginx"];
        let c = Colours::new(names.iter().map(|s| s.to_string()).collect());
        let distinct: std::collections::HashSet<_> = names.iter().map(|n| c.of(n)).collect();
        assert_eq!(distinct.len(), names.len());
        assert_eq!(c.of("api"), Colours::new(vec!["api".into()]).of("api"));
        assert_eq!(c.of("other"), c.of("other"), "others are stable too");
    }
}
