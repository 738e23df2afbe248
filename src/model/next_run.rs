//! When a schedule runs next, from its AWS expression: `rate(...)` counted
//! from the schedule's start, `cron(...)` with AWS's six fields (minutes,
//! hours, day of month, month, day of week counted from 1 = Sunday, year),
//! in UTC. What it cannot tell (`L`, `W`, `#`, a time zone) is `None`.

use crate::clock::civil;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// The first run strictly after `after_ms` (epoch milliseconds); a rate
/// needs the schedule's start (`start_ms`: its creation, or start date).
pub fn next_run(expression: &str, after_ms: i64, start_ms: Option<i64>) -> Option<i64> {
    if let Some(rate) = inner(expression, "rate(") {
        let period = rate_ms(rate)?;
        let start = start_ms?;
        if after_ms < start {
            return Some(start);
        }
        let k = (after_ms - start) / period + 1;
        return Some(start + k * period);
    }
    let cron = Cron::parse(inner(expression, "cron(")?)?;
    cron.next(after_ms)
}

fn inner<'a>(e: &'a str, prefix: &str) -> Option<&'a str> {
    e.trim().strip_prefix(prefix)?.strip_suffix(')')
}

/// `5 minutes`, `1 hour`, `2 days`.
fn rate_ms(r: &str) -> Option<i64> {
    let (n, unit) = r.trim().split_once(' ')?;
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let unit_ms = match unit.trim() {
        "minute" | "minutes" => MINUTE_MS,
        "hour" | "hours" => 60 * MINUTE_MS,
        "day" | "days" => DAY_MS,
        _ => return None,
    };
    Some(n * unit_ms)
}

struct Cron {
    minutes: Vec<i64>,
    hours: Vec<i64>,
    /// `None`: `?` (the day of week decides).
    days: Option<Vec<i64>>,
    months: Vec<i64>,
    /// `None`: `?` (the day of month decides). 1 = Sunday.
    weekdays: Option<Vec<i64>>,
    years: Vec<i64>,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    fn parse(fields: &str) -> Option<Cron> {
        let f: Vec<&str> = fields.split_whitespace().collect();
        let [mi, h, dom, mon, dow, y] = f.as_slice() else {
            return None;
        };
        let optional = |s: &str, lo, hi, names: &[&str]| match s {
            "?" => Some(None),
            _ => field(s, lo, hi, names).map(Some),
        };
        Some(Cron {
            minutes: field(mi, 0, 59, &[])?,
            hours: field(h, 0, 23, &[])?,
            days: optional(dom, 1, 31, &[])?,
            months: field(mon, 1, 12, &MONTHS)?,
            weekdays: optional(dow, 1, 7, &WEEKDAYS)?,
            years: field(y, 1970, 2199, &[])?,
        })
    }

    fn next(&self, after_ms: i64) -> Option<i64> {
        let first_day = after_ms.div_euclid(DAY_MS);
        // Five years of days at most: a year field may skip the next ones.
        for day in first_day..first_day + 5 * 366 {
            let (y, m, d) = civil(day);
            // 1970-01-01 was a Thursday (5 when Sunday is 1).
            let weekday = (day + 4).rem_euclid(7) + 1;
            let day_ok = match (&self.days, &self.weekdays) {
                (Some(days), None) => days.contains(&d),
                (None, Some(w)) => w.contains(&weekday),
                (Some(days), Some(w)) => days.contains(&d) && w.contains(&weekday),
                (None, None) => true,
            };
            if !(self.years.contains(&y) && self.months.contains(&m) && day_ok) {
                continue;
            }
            for h in &self.hours {
                for mi in &self.minutes {
                    let at = day * DAY_MS + (h * 60 + mi) * MINUTE_MS;
                    if at > after_ms {
                        return Some(at);
                    }
                }
            }
        }
        None
    }
}

/// One field's values, sorted: `*`, `n`, `a-b`, `*/s`, `a/s`, `a-b/s`,
/// names, and lists of them.
fn field(s: &str, lo: i64, hi: i64, names: &[&str]) -> Option<Vec<i64>> {
    let value = |v: &str| -> Option<i64> {
        let upper = v.to_ascii_uppercase();
        match names.iter().position(|n| *n == upper) {
            Some(i) => Some(i as i64 + lo),
            None => v.parse().ok().filter(|n| (lo..=hi).contains(n)),
        }
    };
    let mut out = Vec::new();
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (r, st.parse::<i64>().ok().filter(|n| *n > 0)?),
            None => (part, 1),
        };
        let (a, b) = match range {
            "*" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if step > 1 => (value(r)?, hi),
                None => (value(r)?, value(r)?),
            },
        };
        out.extend((a..=b).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-04T10:17:30Z, a Friday.
    const NOW: i64 = 1_796_379_450_000;

    fn at(s: &str) -> i64 {
        // Only for tests: parse `YYYY-MM-DDTHH:MM` in UTC by search.
        let (date, time) = s.split_once('T').unwrap();
        let mut days = NOW.div_euclid(DAY_MS) - 400;
        let want: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
        while civil(days) != (want[0], want[1], want[2]) {
            days += 1;
        }
        let (h, m) = time.split_once(':').unwrap();
        days * DAY_MS + (h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap()) * MINUTE_MS
    }

    #[test]
    fn the_clock_in_the_tests_is_right() {
        assert_eq!(crate::clock::rfc3339_ms(NOW), "2026-12-04T10:17:30.000Z");
    }

    #[test]
    fn presets_run_when_copilot_ran_them() {
        assert_eq!(
            next_run("cron(0 0 * * ? *)", NOW, None),
            Some(at("2026-12-05T00:00"))
        );
        assert_eq!(
            next_run("cron(0 * * * ? *)", NOW, None),
            Some(at("2026-12-04T11:00"))
        );
        // @weekly: Sundays.
        assert_eq!(
            next_run("cron(0 0 ? * 1 *)", NOW, None),
            Some(at("2026-12-06T00:00"))
        );
        assert_eq!(
            next_run("cron(0 0 1 * ? *)", NOW, None),
            Some(at("2027-01-01T00:00"))
        );
        assert_eq!(
            next_run("cron(0 0 1 1 ? *)", NOW, None),
            Some(at("2027-01-01T00:00"))
        );
    }

    #[test]
    fn steps_ranges_lists_and_names() {
        assert_eq!(
            next_run("cron(*/15 * * * ? *)", NOW, None),
            Some(at("2026-12-04T10:30"))
        );
        // Weekdays at 9: Friday's has passed, Monday's is next.
        assert_eq!(
            next_run("cron(0 9 ? * MON-FRI *)", NOW, None),
            Some(at("2026-12-07T09:00"))
        );
        assert_eq!(
            next_run("cron(30 10,18 ? * 2-6 *)", NOW, None),
            Some(at("2026-12-04T10:30"))
        );
        assert_eq!(
            next_run("cron(0 12 15 JUN ? 2027)", NOW, None),
            Some(at("2027-06-15T12:00"))
        );
        assert_eq!(next_run("cron(0 12 15 6 ? 2020)", NOW, None), None);
    }

    #[test]
    fn a_rate_counts_from_the_schedules_start() {
        let start = NOW - 3 * 3_600_000 - 60_000;
        assert_eq!(
            next_run("rate(1 hour)", NOW, Some(start)),
            Some(start + 4 * 3_600_000)
        );
        assert_eq!(next_run("rate(5 minutes)", NOW, None), None);
    }

    #[test]
    fn what_it_cannot_tell_is_none() {
        assert_eq!(next_run("cron(0 0 L * ? *)", NOW, None), None);
        assert_eq!(next_run("cron(0 0 ? * 6#3 *)", NOW, None), None);
        assert_eq!(next_run("cron(0 0 * *)", NOW, None), None);
    }
}
