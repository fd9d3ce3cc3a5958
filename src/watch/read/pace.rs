//! When a reader looks again: at once, after a pause, or when the kernel next
//! sends something. Owns only that decision, from the datagrams each look found
//! and the time; it never reads a socket and never sleeps itself.
//!
//! Every wake-up of a reader costs more CPU than decoding, keeping state and
//! printing a message (BENCHMARKS.md, "Burst"), so during a burst a reader
//! should read many messages per wake-up. But a pause paid by every change
//! turns a steady moderate rate (a change every few milliseconds: pod churn, a
//! routing daemon) into a wait of up to the pause on every change, forty times
//! `ip monitor`'s latency. So the pause comes from the measured arrival rate,
//! as a NIC's adaptive interrupt coalescing does:
//!
//! - while datagrams come slower than [`BUSY_RATE`] per second, the reader
//!   blocks and each change is read as it comes: the wake-ups cost little at
//!   such a rate (a few milliseconds of CPU per second at most);
//! - once they come faster, the reader pauses before its next look for about
//!   the time [`GATHER`] datagrams take to arrive at that rate, at most the
//!   batch window: each change then waits at most the window, and a wake-up
//!   serves hundreds of them;
//! - a look that finds more than it takes (the caller's `more`) is followed at
//!   once whatever the rate: that is backlog, not waiting.
//!
//! The rate is measured over spans of at least [`SPAN`]: a short run of
//! changes a few hundred microseconds apart does not make a reader pause.

use std::time::{Duration, Instant};

/// Datagrams per second from which a reader pauses between looks. Below it,
/// a wake-up per datagram costs at most about 1 % of a core here (7-10 µs
/// each), and nothing waits.
pub(crate) const BUSY_RATE: u64 = 1_000;
/// Datagrams a pause lets gather, at the measured rate (the read-ahead a look
/// takes before publishing).
pub(crate) const GATHER: u64 = 256;
/// The shortest span the rate is measured over.
pub(crate) const SPAN: Duration = Duration::from_millis(1);

/// One reader's pacing: the rate of what its looks found, and the pause it
/// implies.
#[derive(Debug)]
pub(crate) struct Pace {
    window: Duration,
    /// Start of the span being measured, and datagrams found in it.
    since: Instant,
    found: u64,
    /// The pause before the next look, while the rate is high.
    pause: Option<Duration>,
}

impl Pace {
    /// A pace that never pauses longer than `window` (`Duration::ZERO`: never).
    pub(crate) fn new(window: Duration, now: Instant) -> Self {
        Pace {
            window,
            since: now,
            found: 0,
            pause: None,
        }
    }

    /// What the reader does before its next look, when the last one did not
    /// leave more waiting: pause this long, then look without blocking
    /// (`Some`), or block until something comes (`None`).
    pub(crate) fn pause(&self) -> Option<Duration> {
        self.pause
    }

    /// Notes a look at `now` that found `datagrams` (possibly none).
    pub(crate) fn looked(&mut self, now: Instant, datagrams: usize) {
        self.found = self.found.saturating_add(datagrams as u64);
        let span = now.saturating_duration_since(self.since);
        if span < SPAN {
            return;
        }
        let span_ns = u64::try_from(span.as_nanos()).unwrap_or(u64::MAX);
        // found / span > BUSY_RATE per second, without dividing. Strictly
        // more: one datagram per span (a span is at least 1 ms) is never busy,
        // however the changes of a steady rate bunch up.
        let busy =
            u128::from(self.found) * 1_000_000_000 > u128::from(BUSY_RATE) * u128::from(span_ns);
        self.pause = if busy && !self.window.is_zero() {
            // The time GATHER datagrams take at the rate measured.
            let gather_ns =
                u128::from(GATHER) * u128::from(span_ns) / u128::from(self.found.max(1));
            let gather = Duration::from_nanos(u64::try_from(gather_ns).unwrap_or(u64::MAX));
            Some(gather.min(self.window))
        } else {
            None
        };
        self.since = now;
        self.found = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_millis(10);

    /// Drives a pace with one datagram every `gap`, each read by a look of its
    /// own when the pace blocks (else gathered by the pause), for `total`; the
    /// pauses it asked for.
    fn steady(gap: Duration, total: Duration) -> Vec<Option<Duration>> {
        let t0 = Instant::now();
        let mut pace = Pace::new(WINDOW, t0);
        let mut now = t0;
        let mut pauses = Vec::new();
        let mut next = t0 + gap;
        while now < t0 + total {
            // Blocked: the look comes with the next datagram. Paused: after
            // the pause, with what came meanwhile.
            let at = match pace.pause() {
                None => next,
                Some(p) => now + p,
            };
            let mut n = 0;
            while next <= at {
                n += 1;
                next += gap;
            }
            now = at;
            pace.looked(now, n);
            pauses.push(pace.pause());
        }
        pauses
    }

    #[test]
    fn a_steady_moderate_rate_never_pauses() {
        // 200 and 20 changes a second: every change is read as it comes.
        for gap in [Duration::from_millis(5), Duration::from_millis(50)] {
            let pauses = steady(gap, Duration::from_secs(2));
            assert!(pauses.len() >= 40, "{} looks", pauses.len());
            assert!(pauses.iter().all(Option::is_none), "{gap:?}: {pauses:?}");
        }
    }

    #[test]
    fn a_burst_pauses_for_about_a_batch_and_never_past_the_window() {
        // 16,000 a second: pauses of GATHER / rate = 16 ms, capped at the window.
        let pauses = steady(Duration::from_micros(62), Duration::from_millis(200));
        let paused: Vec<_> = pauses.iter().flatten().collect();
        assert!(!paused.is_empty());
        assert!(paused.iter().all(|p| **p == WINDOW), "{paused:?}");
        // The reader blocked for at most the first span's worth of looks.
        let first = pauses.iter().position(Option::is_some).unwrap();
        assert!(first <= 17, "paused only after {first} looks");
        assert!(pauses[first..].iter().all(Option::is_some));

        // 100,000 a second: a batch gathers in 2.56 ms.
        let pauses = steady(Duration::from_micros(10), Duration::from_millis(100));
        let last = pauses.last().unwrap().unwrap();
        assert!(
            last >= Duration::from_micros(2_400) && last <= Duration::from_micros(2_700),
            "{last:?}"
        );
    }

    #[test]
    fn a_burst_that_ends_goes_back_to_blocking() {
        let t0 = Instant::now();
        let mut pace = Pace::new(WINDOW, t0);
        // 10,000 a second.
        pace.looked(t0 + Duration::from_millis(2), 20);
        assert_eq!(pace.pause(), Some(WINDOW));
        // The pause found nothing: the burst is over.
        pace.looked(t0 + Duration::from_millis(12), 0);
        assert_eq!(pace.pause(), None);
    }

    #[test]
    fn a_few_changes_close_together_do_not_make_it_pause() {
        let t0 = Instant::now();
        let mut pace = Pace::new(WINDOW, t0);
        // After a quiet spell, three changes 100 µs apart, then quiet.
        pace.looked(t0 + Duration::from_secs(5), 1);
        assert_eq!(pace.pause(), None);
        let t = t0 + Duration::from_secs(5);
        pace.looked(t + Duration::from_micros(100), 1);
        pace.looked(t + Duration::from_micros(200), 1);
        assert_eq!(pace.pause(), None);
        // The next look, whenever it comes, measures 3 over a long span.
        pace.looked(t + Duration::from_millis(40), 1);
        assert_eq!(pace.pause(), None);
    }

    #[test]
    fn one_datagram_a_span_never_pauses() {
        let t0 = Instant::now();
        let mut pace = Pace::new(WINDOW, t0);
        let mut t = t0;
        for _ in 0..100 {
            t += SPAN;
            pace.looked(t, 1);
            assert_eq!(pace.pause(), None);
        }
    }

    #[test]
    fn a_zero_window_never_pauses() {
        let t0 = Instant::now();
        let mut pace = Pace::new(Duration::ZERO, t0);
        pace.looked(t0 + Duration::from_millis(2), 10_000);
        assert_eq!(pace.pause(), None);
    }
}
