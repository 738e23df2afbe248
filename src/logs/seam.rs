//! Where two readers of the same events meet: Live Tail's events (which
//! carry no event id) and the events read with FilterLogEvents around them
//! (the history before a session, the gap between two sessions, the events
//! a sampled update left out). An event is known by (group, timestamp,
//! stream, message); each reader's copies are counted (FilterLogEvents'
//! by event id, as its reads overlap), and an event is printed when one
//! reader has seen more copies of it than the other: every event once,
//! identical lines as many times as they were written.

use std::collections::{BTreeMap, BTreeSet};

/// Who delivered an event: Live Tail (no event id; it never repeats one),
/// or FilterLogEvents (an event id; overlapping reads repeat events).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader<'a> {
    Live,
    Fill { event_id: &'a str },
}

type Key = (i64, usize, String, String);

#[derive(Debug, Default)]
struct Copies {
    live: usize,
    fill: BTreeSet<String>,
}

#[derive(Debug, Default)]
pub struct Seam {
    lookback_ms: i64,
    newest: i64,
    counts: BTreeMap<Key, Copies>,
}

impl Seam {
    /// Remembers events this far behind the newest one seen.
    pub fn new(lookback_ms: i64) -> Seam {
        Seam {
            lookback_ms,
            newest: i64::MIN,
            counts: BTreeMap::new(),
        }
    }

    /// Whether `reader`'s copy of the event is to be printed: when that
    /// reader has now seen more copies of it than the other.
    pub fn admit(
        &mut self,
        reader: Reader<'_>,
        group: usize,
        ts: i64,
        stream: &str,
        message: &str,
    ) -> bool {
        if ts < self.newest.saturating_sub(self.lookback_ms) && reader != Reader::Live {
            // Older than anything remembered: printed before, or never seen
            // by the live reader (which only delivers what is new).
            return false;
        }
        let key = (ts, group, stream.to_string(), message.to_string());
        let c = self.counts.entry(key).or_default();
        let print = match reader {
            Reader::Live => {
                c.live += 1;
                c.live > c.fill.len()
            }
            Reader::Fill { event_id } => {
                c.fill.insert(event_id.to_string()) && c.fill.len() > c.live
            }
        };
        if ts > self.newest {
            self.newest = ts;
            let keep = (
                self.newest - self.lookback_ms,
                0,
                String::new(),
                String::new(),
            );
            self.counts = self.counts.split_off(&keep);
        }
        print
    }

    /// The newest timestamp seen, if any.
    pub fn newest(&self) -> Option<i64> {
        (self.newest != i64::MIN).then_some(self.newest)
    }

    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(id: &str) -> Reader<'_> {
        Reader::Fill { event_id: id }
    }

    #[test]
    fn an_event_both_readers_deliver_is_printed_once() {
        let mut s = Seam::new(30_000);
        assert!(s.admit(fill("1"), 0, 100, "a", "x"));
        assert!(!s.admit(Reader::Live, 0, 100, "a", "x"));
        assert!(s.admit(Reader::Live, 0, 101, "a", "y"));
        assert!(!s.admit(fill("2"), 0, 101, "a", "y"));
        // The same line in another group is another event.
        assert!(s.admit(Reader::Live, 1, 101, "a", "y"));
        // Reads that overlap repeat an event: printed once.
        assert!(s.admit(fill("3"), 0, 102, "a", "z"));
        assert!(!s.admit(fill("3"), 0, 102, "a", "z"));
    }

    #[test]
    fn identical_lines_are_printed_as_often_as_written() {
        let mut s = Seam::new(30_000);
        assert!(s.admit(Reader::Live, 0, 5, "a", "tick"));
        assert!(s.admit(Reader::Live, 0, 5, "a", "tick"));
        assert!(!s.admit(fill("1"), 0, 5, "a", "tick"));
        assert!(!s.admit(fill("2"), 0, 5, "a", "tick"));
        assert!(s.admit(fill("3"), 0, 5, "a", "tick"));
    }

    #[test]
    fn memory_stays_within_the_look_back() {
        let mut s = Seam::new(1_000);
        for ts in 0..10_000 {
            s.admit(Reader::Live, 0, ts, "a", "m");
        }
        assert!(s.len() <= 1_001, "{}", s.len());
        // A fill older than the look-back is not printed again.
        assert!(!s.admit(fill("9"), 0, 10, "a", "m"));
        assert_eq!(s.newest(), Some(9_999));
    }
}
