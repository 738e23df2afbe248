//! A client-side rate limit: at most N calls started in any one second,
//! shared by every task of a run that makes them (CloudWatch Logs' read
//! quotas are per account and region, shared with everyone else's readers:
//! FilterLogEvents and DescribeLogStreams allow 5 a second by default).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The window the limit counts in, with a margin for the calls' travel: a
/// call sent at the window's edge must not arrive inside the next, though
/// the one before it was slow to go out (a loaded machine, a new
/// connection). 25 ms was not enough on a busy two-core machine.
const WINDOW: Duration = Duration::from_millis(1_200);

#[derive(Debug)]
pub struct Limiter {
    per_second: usize,
    starts: Mutex<VecDeque<Instant>>,
}

impl Limiter {
    pub fn new(per_second: u32) -> Limiter {
        Limiter {
            per_second: per_second.max(1) as usize,
            starts: Mutex::new(VecDeque::new()),
        }
    }

    pub fn per_second(&self) -> usize {
        self.per_second
    }

    /// Waits until one more call may start, and counts it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut starts = self
                    .starts
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match admit(&mut starts, Instant::now(), self.per_second) {
                    Ok(()) => return,
                    Err(until) => until,
                }
            };
            tokio::time::sleep_until(wait.into()).await;
        }
    }
}

/// Counts a call starting `now` when fewer than `n` started within the
/// window before it; else when the next may start.
fn admit(starts: &mut VecDeque<Instant>, now: Instant, n: usize) -> Result<(), Instant> {
    while starts.front().is_some_and(|t| *t + WINDOW <= now) {
        starts.pop_front();
    }
    if starts.len() < n {
        starts.push_back(now);
        return Ok(());
    }
    Err(starts[starts.len() - n] + WINDOW)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_window_of_a_second_holds_more_than_n_starts() {
        let t0 = Instant::now();
        let mut starts = VecDeque::new();
        let mut admitted = Vec::new();
        let mut now = t0;
        // Forty callers asking as fast as they can: each waits its turn.
        while admitted.len() < 40 {
            match admit(&mut starts, now, 5) {
                Ok(()) => admitted.push(now),
                Err(until) => {
                    assert!(until > now);
                    now = until;
                }
            }
        }
        // The first five at once, then five more a second.
        assert!(admitted[..5].iter().all(|t| *t == t0));
        for (i, t) in admitted.iter().enumerate() {
            let in_window = admitted[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(in_window <= 5, "{in_window} starts within a second of #{i}");
        }
        let took = *admitted.last().unwrap() - t0;
        assert!(took < Duration::from_secs(8) + 8 * (WINDOW - Duration::from_secs(1)));
    }
}
