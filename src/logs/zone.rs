//! The time zone log lines are shown in: UTC, or the local one with its
//! offset (as the system's C library has it: `TZ`, `/etc/localtime`).

use std::cell::Cell;

/// How times are shown.
#[derive(Debug, Default)]
pub struct Zone {
    utc: bool,
    /// The last offset looked up: (the hour it was for, seconds east of UTC).
    cache: Cell<Option<(i64, i64)>>,
}

impl Zone {
    pub fn new(utc: bool) -> Zone {
        Zone {
            utc,
            cache: Cell::new(None),
        }
    }

    /// `2026-12-04T10:06:05.123Z`, or `2026-12-04T19:06:05.123+09:00`.
    pub fn format(&self, ms: i64) -> String {
        if self.utc {
            return crate::clock::rfc3339_ms(ms);
        }
        // Offsets change on the hour at most (zones' changes are on whole
        // quarter hours): looked up once an hour of timestamps.
        let hour = ms.div_euclid(900_000);
        let offset = match self.cache.get() {
            Some((h, o)) if h == hour => o,
            _ => {
                let o = local_offset_s(ms);
                self.cache.set(Some((hour, o)));
                o
            }
        };
        crate::clock::rfc3339_offset_ms(ms, offset)
    }
}

/// The local zone's offset from UTC at `ms`, in seconds (0 when the system
/// cannot say).
#[cfg(unix)]
fn local_offset_s(ms: i64) -> i64 {
    let t = ms.div_euclid(1000) as libc::time_t;
    let mut tm = std::mem::MaybeUninit::<libc::tm>::zeroed();
    // SAFETY: localtime_r is the thread-safe form: it reads `t` and writes
    // the broken-down time into `tm`, which this frame owns; a null answer
    // (no such time) is checked before `tm` is read.
    let done = unsafe { libc::localtime_r(&t, tm.as_mut_ptr()) };
    if done.is_null() {
        return 0;
    }
    // SAFETY: localtime_r filled `tm` in (checked above).
    i64::from(unsafe { tm.assume_init() }.tm_gmtoff as i32)
}

#[cfg(not(unix))]
fn local_offset_s(_ms: i64) -> i64 {
    0
}
