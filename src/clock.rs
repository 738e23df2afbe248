//! Time: the clock, RFC 3339 timestamps, and durations as people write them
//! (Go's grammar, as Copilot's manifests do: `10s`, `1m30s`, `500ms`).

use std::time::Duration;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// `2026-11-22T01:02:03.456Z` from epoch milliseconds (UTC).
pub fn rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let sod = secs.rem_euclid(86_400);
    let (year, month, day) = civil(secs.div_euclid(86_400));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// `2026-12-04T19:06:05.123+09:00`: epoch milliseconds at an offset from UTC
/// (seconds east).
pub fn rfc3339_offset_ms(ms: i64, offset_s: i64) -> String {
    let utc = rfc3339_ms(ms + offset_s * 1000);
    let sign = if offset_s < 0 { '-' } else { '+' };
    let off = offset_s.abs();
    format!(
        "{}{sign}{:02}:{:02}",
        utc.trim_end_matches('Z'),
        off / 3600,
        (off / 60) % 60
    )
}

/// The civil date (year, month 1-12, day 1-31) of a day counted from
/// 1970-01-01 (proleptic Gregorian, UTC).
pub fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Milliseconds in a Go duration string (`10s`, `1m30s`, `1.5h`, `500ms`);
/// `None` when it is not one.
pub fn parse_go_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    if s == "0" {
        return Some(0);
    }
    let mut total: f64 = 0.0;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            _ => return None,
        };
        total += n * factor;
        rest = &rest[unit_len..];
    }
    (total.is_finite() && total < 1e15).then_some(total.round() as u64)
}

/// A command-line duration: `30s`, `10m`, `1h30m`, `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    parse_go_duration(s)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("cannot read {s:?} as a duration: write it as 30s, 10m or 1h30m"))
}

/// `--since`: a positive duration, with days allowed: 30s, 10m, 2h, 3d.
pub fn parse_since(s: &str) -> Result<Duration, String> {
    let bad = || format!("cannot read {s:?} as a duration: write it as 30s, 10m, 2h or 3d");
    if let Some(days) = s.strip_suffix('d') {
        return days
            .parse::<u64>()
            .ok()
            .filter(|d| (1..=36_500).contains(d))
            .map(|d| Duration::from_secs(d * 86_400))
            .ok_or_else(bad);
    }
    match parse_duration(s) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(bad()),
    }
}

/// A duration for people: `0.4s`, `12.0s`, `3m`, `2m5s`.
pub fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 60, s % 60) {
        (0, _) => format!("{:.1}s", d.as_secs_f64()),
        (m, 0) => format!("{m}m"),
        (m, r) => format!("{m}m{r}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_at_an_offset() {
        let ms = 1_796_379_450_123; // 2026-12-04T10:17:30.123Z
        assert_eq!(
            rfc3339_offset_ms(ms, 9 * 3600),
            "2026-12-04T19:17:30.123+09:00"
        );
        assert_eq!(
            rfc3339_offset_ms(ms, -(5 * 3600 + 1800)),
            "2026-12-04T04:47:30.123-05:30"
        );
        assert_eq!(rfc3339_offset_ms(ms, 0), "2026-12-04T10:17:30.123+00:00");
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_763_773_323_456), "2025-11-22T01:02:03.456Z");
        assert_eq!(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("10s"), Some(10_000));
        assert_eq!(parse_go_duration("1m30s"), Some(90_000));
        assert_eq!(parse_go_duration("500ms"), Some(500));
        assert_eq!(parse_go_duration("1.5h"), Some(5_400_000));
        assert_eq!(parse_go_duration("10"), None);
        assert_eq!(parse_go_duration("ten seconds"), None);
        assert_eq!(parse_go_duration(""), None);
    }

    #[test]
    fn command_line_durations() {
        assert_eq!(parse_since("3d").unwrap(), Duration::from_secs(259_200));
        assert_eq!(parse_since("10m").unwrap(), Duration::from_secs(600));
        assert!(parse_since("0s").is_err());
        assert!(parse_since("soon").is_err());
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
    }

    #[test]
    fn durations_for_people() {
        assert_eq!(humantime(Duration::from_millis(420)), "0.4s");
        assert_eq!(humantime(Duration::from_secs(180)), "3m");
        assert_eq!(humantime(Duration::from_secs(125)), "2m5s");
    }
}
