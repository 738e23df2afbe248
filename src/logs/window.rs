//! Following without losing or repeating events.
//!
//! Each poll asks CloudWatch for events from a little before the newest
//! timestamp printed (the look-back), so that events sharing a millisecond and
//! events ingested late are found; event ids seen within the look-back are
//! remembered so none is printed twice. Older ids are forgotten: memory stays
//! bounded by what arrives within one look-back window.

use std::collections::{BTreeMap, HashSet};

pub struct Window {
    lookback_ms: i64,
    /// Nothing older than this is asked for (what came before was printed elsewhere).
    floor: i64,
    /// The newest timestamp admitted.
    cursor: i64,
    seen: HashSet<String>,
    by_time: BTreeMap<i64, Vec<String>>,
}

impl Window {
    pub fn new(lookback_ms: i64, start: i64) -> Self {
        Window {
            lookback_ms,
            floor: i64::MIN,
            cursor: start,
            seen: HashSet::new(),
            by_time: BTreeMap::new(),
        }
    }

    /// A window that never looks before `start`.
    pub fn from(lookback_ms: i64, start: i64) -> Self {
        Window {
            floor: start,
            ..Window::new(lookback_ms, start)
        }
    }

    /// Where the next query starts.
    pub fn query_start(&self) -> i64 {
        (self.cursor - self.lookback_ms).max(self.floor)
    }

    pub fn cursor(&self) -> i64 {
        self.cursor
    }

    /// Records an event; `false` when it was printed already (or is older than
    /// the look-back, where it can no longer be told apart).
    pub fn admit(&mut self, id: &str, timestamp: i64) -> bool {
        if timestamp < self.query_start() || self.seen.contains(id) {
            return false;
        }
        self.seen.insert(id.to_string());
        self.by_time
            .entry(timestamp)
            .or_default()
            .push(id.to_string());
        if timestamp > self.cursor {
            self.cursor = timestamp;
            self.prune();
        }
        true
    }

    fn prune(&mut self) {
        let keep = self.by_time.split_off(&(self.cursor - self.lookback_ms));
        for ids in std::mem::replace(&mut self.by_time, keep).into_values() {
            for id in ids {
                self.seen.remove(&id);
            }
        }
    }

    /// How many event ids are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_sharing_a_millisecond_are_all_admitted_once() {
        let mut w = Window::new(1000, 0);
        assert!(w.admit("a", 5000));
        assert!(w.admit("b", 5000));
        assert!(!w.admit("a", 5000));
        assert!(w.admit("c", 5000));
        assert_eq!(w.cursor(), 5000);
    }

    #[test]
    fn late_events_within_the_look_back_are_admitted() {
        let mut w = Window::new(1000, 0);
        assert!(w.admit("new", 10_000));
        assert!(
            w.admit("late", 9_500),
            "ingested late, within the look-back"
        );
        assert!(!w.admit("late", 9_500));
        assert!(!w.admit("too-late", 8_000), "older than the look-back");
    }

    #[test]
    fn a_floor_bounds_the_look_back() {
        let mut w = Window::from(1000, 10_000);
        assert_eq!(w.query_start(), 10_000);
        assert!(w.admit("a", 10_500));
        assert_eq!(w.query_start(), 10_000);
        assert!(!w.admit("old", 9_999));
    }

    #[test]
    fn memory_is_bounded_by_the_look_back() {
        let mut w = Window::new(100, 0);
        for t in 0..100_000 {
            w.admit(&format!("e{t}"), t);
        }
        assert!(w.len() <= 101, "{} ids remembered", w.len());
    }
}
