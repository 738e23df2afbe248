//! What `logs` reads: which groups, which time range, which containers and
//! tasks. Built from the command line and the manifest, checked before any call.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use crate::diag::{Diagnostic, did_you_mean};
use crate::manifest::Service;
use crate::render::iam::firelens_cloudwatch_group;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub group: String,
    /// A label for events of this group, when it is not the service's own.
    pub label: Option<String>,
    /// The container whose logs FireLens sends here (streams name it otherwise).
    pub firelens_of: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub sources: Vec<Source>,
    /// Epoch ms, inclusive.
    pub start: Option<i64>,
    /// Epoch ms, exclusive.
    pub end: Option<i64>,
    /// The most recent N events (of the range).
    pub limit: Option<usize>,
    pub containers: Vec<String>,
    pub tasks: Vec<String>,
    pub pattern: Option<String>,
    pub follow: bool,
}

/// The command line's choices, as plain data.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub follow: bool,
    pub since_ms: Option<i64>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub limit: Option<u32>,
    pub containers: Vec<String>,
    pub tasks: Vec<String>,
    pub filter: Option<String>,
    pub log_group: Option<String>,
}

/// The default number of events without a time filter, as Copilot does.
pub const DEFAULT_LIMIT: usize = 10;

pub fn parse_time(s: &str) -> Option<i64> {
    let dt = DateTime::from_str(s, Format::DateTimeWithOffset).ok()?;
    Some(dt.secs() * 1000 + i64::from(dt.subsec_nanos() / 1_000_000))
}

/// Builds the query; every problem is an error naming the flag.
pub fn build(
    req: &Request,
    svc: &Service,
    app: &str,
    env: &str,
    now_ms: i64,
) -> Result<Query, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let start = match (&req.start_time, req.since_ms) {
        (Some(_), Some(_)) => {
            errors.push(Diagnostic::error(
                "bad-flags",
                "--since and --start-time cannot be used together",
            ));
            None
        }
        (Some(t), None) => match parse_time(t) {
            Some(ms) => Some(ms),
            None => {
                errors.push(
                    Diagnostic::error(
                        "bad-time",
                        format!("--start-time {t:?} is not an RFC 3339 time"),
                    )
                    .help("for example 2026-11-22T09:30:00Z or 2026-11-22T10:30:00+01:00"),
                );
                None
            }
        },
        (None, Some(since)) => Some(now_ms - since),
        (None, None) => None,
    };
    let end = match &req.end_time {
        Some(_) if req.follow => {
            errors.push(Diagnostic::error(
                "bad-flags",
                "--follow and --end-time cannot be used together",
            ));
            None
        }
        Some(t) => match parse_time(t) {
            Some(ms) => Some(ms),
            None => {
                errors.push(
                    Diagnostic::error(
                        "bad-time",
                        format!("--end-time {t:?} is not an RFC 3339 time"),
                    )
                    .help("for example 2026-11-22T09:30:00Z"),
                );
                None
            }
        },
        None => None,
    };
    if let (Some(s), Some(e)) = (start, end)
        && s >= e
    {
        errors.push(Diagnostic::error(
            "bad-time",
            "the start time is not before the end time",
        ));
    }
    if let Some(l) = req.limit
        && !(1..=10_000).contains(&l)
    {
        errors.push(Diagnostic::error(
            "bad-limit",
            format!("--limit {l} is out of range: 1 to 10000"),
        ));
    }
    let limit = match req.limit {
        Some(l) => Some(l as usize),
        None if start.is_none() && end.is_none() => Some(DEFAULT_LIMIT),
        None => None,
    };

    let service_group = crate::names::log_group(app, env, &svc.name);
    let sources = match &req.log_group {
        Some(g) => vec![Source {
            group: g.clone(),
            label: None,
            firelens_of: None,
        }],
        None => {
            let mut s = vec![Source {
                group: service_group.clone(),
                label: None,
                firelens_of: None,
            }];
            if let Some(d) = firelens_cloudwatch_group(svc)
                && d.group != service_group
            {
                s.push(Source {
                    group: d.group,
                    label: Some("firelens".into()),
                    firelens_of: Some(svc.name.value.clone()),
                });
            }
            s
        }
    };
    if req.log_group.is_none() {
        let names = svc.container_names();
        for c in &req.containers {
            if !names.contains(&c.as_str()) {
                let d = Diagnostic::error(
                    "unknown-container",
                    format!("--container {c}: the service has no such container"),
                );
                errors.push(match did_you_mean(c, names.iter().copied()) {
                    Some(s) => d.help(format!("did you mean \"{s}\"?")),
                    None => d.help(format!("its containers: {}", names.join(", "))),
                });
            }
        }
    }
    if let Some(t) = req.tasks.iter().find(|t| {
        // ECS's ids are hexadecimal; emulators' may be UUIDs, with dashes.
        t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    }) {
        errors.push(Diagnostic::error(
            "bad-task",
            format!("--tasks {t:?} is not a task id (or a prefix of one)"),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Query {
        sources,
        start,
        end,
        limit,
        containers: req.containers.clone(),
        tasks: req.tasks.clone(),
        pattern: req.filter.clone(),
        follow: req.follow,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::service_in;

    const NOW: i64 = 1_800_000_000_000;

    fn svc() -> Service {
        service_in(
            "name: api\ntype: Backend Service\nimage:\n  location: x\nlogging:\n  destination:\n    Name: cloudwatch\n    log_group_name: /firelens/api\nsidecars:\n  nginx:\n    image: n\n",
            Some("test"),
        )
    }

    fn q(req: Request) -> Result<Query, Vec<Diagnostic>> {
        build(&req, &svc(), "demo", "test", NOW)
    }

    #[test]
    fn reads_the_service_group_and_the_firelens_destination() {
        let q = q(Request::default()).unwrap();
        assert_eq!(q.sources[0].group, "/copilot/demo-test-api");
        assert_eq!(q.sources[1].group, "/firelens/api");
        assert_eq!(q.sources[1].firelens_of.as_deref(), Some("api"));
        assert_eq!(q.limit, Some(10), "Copilot's default without a time filter");
    }

    #[test]
    fn an_explicit_group_is_read_alone() {
        let q = q(Request {
            log_group: Some("/x".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(q.sources.len(), 1);
        assert_eq!(q.sources[0].group, "/x");
    }

    #[test]
    fn times() {
        let q1 = q(Request {
            since_ms: Some(600_000),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(q1.start, Some(NOW - 600_000));
        assert_eq!(q1.limit, None, "a time filter lifts the default limit");
        let q2 = q(Request {
            start_time: Some("2026-11-22T10:30:00+01:00".into()),
            end_time: Some("2026-11-22T09:31:00Z".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(q2.end.unwrap() - q2.start.unwrap(), 60_000);
    }

    #[test]
    fn bad_combinations_are_errors() {
        let codes = |r: Request| q(r).unwrap_err().iter().map(|d| d.code).collect::<Vec<_>>();
        assert_eq!(
            codes(Request {
                since_ms: Some(1),
                start_time: Some("2026-01-01T00:00:00Z".into()),
                ..Default::default()
            }),
            ["bad-flags"]
        );
        assert_eq!(
            codes(Request {
                follow: true,
                end_time: Some("2026-01-01T00:00:00Z".into()),
                ..Default::default()
            }),
            ["bad-flags"]
        );
        assert_eq!(
            codes(Request {
                start_time: Some("yesterday".into()),
                ..Default::default()
            }),
            ["bad-time"]
        );
        assert_eq!(
            codes(Request {
                start_time: Some("2026-01-02T00:00:00Z".into()),
                end_time: Some("2026-01-01T00:00:00Z".into()),
                ..Default::default()
            }),
            ["bad-time"]
        );
        assert_eq!(
            codes(Request {
                limit: Some(0),
                ..Default::default()
            }),
            ["bad-limit"]
        );
        assert_eq!(
            codes(Request {
                containers: vec!["ngnix".into()],
                ..Default::default()
            }),
            ["unknown-container"]
        );
        assert_eq!(
            codes(Request {
                tasks: vec!["abc/1".into()],
                ..Default::default()
            }),
            ["bad-task"]
        );
    }
}
