//! A Scheduled Job's `on.schedule`, read as Copilot reads it, as the
//! expression AWS's schedulers take: presets (`@daily`, ...) and 5-field
//! crons become `cron(...)` with AWS's six fields (either day-of-month or
//! day-of-week `?`, days of the week counted from 1, a year field), `@every
//! 90m` becomes `rate(90 minutes)`, `rate(...)` and `cron(...)` pass as
//! written, and `none` is a job run only on demand.

/// What a schedule means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// `rate(...)` or `cron(...)`, as AWS takes it.
    Expression(String),
    /// `none`: run only on demand (`sidecarctl run`).
    OnDemand,
}

/// `on.schedule` as AWS's expression, or why it is not a schedule.
pub fn parse(schedule: &str) -> Result<Schedule, String> {
    let s = schedule.trim();
    if s.is_empty() {
        return Err("the schedule is empty".into());
    }
    if s == "none" {
        return Ok(Schedule::OnDemand);
    }
    if (s.starts_with("rate(") || s.starts_with("cron(")) && s.ends_with(')') {
        return Ok(Schedule::Expression(s.to_string()));
    }
    if let Some(d) = s.strip_prefix("@every ") {
        return every(d.trim()).map(Schedule::Expression);
    }
    if s.starts_with('@') {
        let cron = match s {
            "@hourly" => "0 * * * ? *",
            "@daily" | "@midnight" => "0 0 * * ? *",
            "@weekly" => "0 0 ? * 1 *",
            "@monthly" => "0 0 1 * ? *",
            "@yearly" | "@annually" => "0 0 1 1 ? *",
            _ => return Err(format!("unrecognized preset schedule {s}")),
        };
        return Ok(Schedule::Expression(format!("cron({cron})")));
    }
    aws_cron(s).map(Schedule::Expression)
}

/// `@every 1h30m` → `rate(90 minutes)`: whole minutes, at least one.
fn every(d: &str) -> Result<String, String> {
    let ms = crate::clock::parse_go_duration(d)
        .ok_or_else(|| format!("parse duration: invalid duration {d:?}"))?;
    let secs = ms / 1000;
    if ms % 60_000 != 0 {
        return Err("duration must be a whole number of minutes or hours".into());
    }
    let minutes = secs / 60;
    match minutes {
        0 => Err("duration must be greater than or equal to 1 minute".into()),
        1 => Ok("rate(1 minute)".into()),
        m => Ok(format!("rate({m} minutes)")),
    }
}

/// The bounds of a standard cron's five fields, and the names they take.
const FIELDS: [(&str, u32, u32, &[&str]); 5] = [
    ("minute", 0, 59, &[]),
    ("hour", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    (
        "month",
        1,
        12,
        &[
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ],
    ),
    (
        "day of week",
        0,
        6,
        &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    ),
];

/// Checks one field of a standard cron: lists of `*`, `?`, values, ranges
/// and steps within the field's bounds.
fn check_field(
    text: &str,
    (name, min, max, names): (&str, u32, u32, &[&str]),
) -> Result<(), String> {
    let bad = || format!("schedule is not valid cron, rate, or preset: bad {name} field {text:?}");
    let value = |v: &str| -> Result<u32, String> {
        let upper = v.to_ascii_uppercase();
        if let Some(i) = names.iter().position(|n| *n == upper) {
            return Ok(min + i as u32);
        }
        let n: u32 = v.parse().map_err(|_| bad())?;
        if n < min || n > max {
            return Err(format!(
                "schedule is not valid cron, rate, or preset: {name} {n} is outside {min}-{max}"
            ));
        }
        Ok(n)
    };
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if let Some(s) = step
            && s.parse::<u32>().map_or(true, |n| n == 0)
        {
            return Err(bad());
        }
        match range {
            "*" | "?" => {}
            r => match r.split_once('-') {
                Some((a, b)) => {
                    if value(a)? > value(b)? {
                        return Err(bad());
                    }
                }
                None => {
                    value(r)?;
                }
            },
        }
    }
    Ok(())
}

/// A standard 5-field cron as AWS's: `0 9 * * 1-5` → `cron(0 9 ? * 2-6 *)`.
fn aws_cron(s: &str) -> Result<String, String> {
    let mut f: Vec<String> = s.split_whitespace().map(str::to_string).collect();
    if f.len() != 5 {
        return Err(format!(
            "schedule is not valid cron, rate, or preset: expected exactly 5 fields, found {}: {s:?}",
            f.len()
        ));
    }
    for (text, spec) in f.iter().zip(FIELDS) {
        check_field(text, spec)?;
    }
    let specified = |x: &str| !x.contains(['*', '?']);
    let (dom, dow) = (specified(&f[2]), specified(&f[4]));
    match (dom, dow) {
        (false, false) => {
            f[2] = "*".into();
            f[4] = "?".into();
        }
        (false, true) => f[2] = "?".into(),
        (true, false) => f[4] = "?".into(),
        (true, true) => return Err("cannot specify both DOW and DOM in cron expression".into()),
    }
    // Days of the week count from 1 in AWS, from 0 in a standard cron.
    f[4] = f[4]
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_digit(d + 1, 10).unwrap_or(c),
            None => c,
        })
        .collect();
    f.push("*".into());
    Ok(format!("cron({})", f.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(s: &str) -> String {
        match parse(s).unwrap() {
            Schedule::Expression(e) => e,
            Schedule::OnDemand => "none".into(),
        }
    }

    #[test]
    fn presets_and_intervals_read_as_copilot_reads_them() {
        assert_eq!(expr("@hourly"), "cron(0 * * * ? *)");
        assert_eq!(expr("@daily"), "cron(0 0 * * ? *)");
        assert_eq!(expr("@midnight"), "cron(0 0 * * ? *)");
        assert_eq!(expr("@weekly"), "cron(0 0 ? * 1 *)");
        assert_eq!(expr("@monthly"), "cron(0 0 1 * ? *)");
        assert_eq!(expr("@annually"), "cron(0 0 1 1 ? *)");
        assert_eq!(expr("@every 30m"), "rate(30 minutes)");
        assert_eq!(expr("@every 1h30m"), "rate(90 minutes)");
        assert_eq!(expr("@every 1m"), "rate(1 minute)");
        assert_eq!(expr("rate(5 minutes)"), "rate(5 minutes)");
        assert_eq!(expr("cron(0 12 * * ? *)"), "cron(0 12 * * ? *)");
        assert_eq!(parse("none").unwrap(), Schedule::OnDemand);
    }

    #[test]
    fn standard_crons_get_aws_fields() {
        assert_eq!(expr("0 9 * * 1-5"), "cron(0 9 ? * 2-6 *)");
        assert_eq!(expr("*/15 * * * *"), "cron(*/15 * * * ? *)");
        assert_eq!(expr("0 0 1 * *"), "cron(0 0 1 * ? *)");
        assert_eq!(expr("30 6 * * MON,FRI"), "cron(30 6 ? * MON,FRI *)");
        assert_eq!(expr("0 0 * JAN 0"), "cron(0 0 ? JAN 1 *)");
    }

    #[test]
    fn what_copilot_refuses_is_refused() {
        for bad in [
            "@often",
            "@every 30s",
            "@every 90s",
            "@every soon",
            "0 9 * *",
            "61 * * * *",
            "0 24 * * *",
            "0 0 1 * 1",
            "0 0 0 * *",
            "0 0 * * 7",
            "*/0 * * * *",
            "5-1 * * * *",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} is refused");
        }
    }
}
