//! Restarting what init keeps running (the console shell), with a back-off when it dies at
//! once, so a broken shell does not spin the CPU or flood the console. Time is passed in, so
//! the policy is tested without waiting.

use std::time::{Duration, Instant};

use nix::unistd::Pid;

/// A run shorter than this counts as dying at once.
pub const QUICK_EXIT: Duration = Duration::from_secs(1);
pub const FIRST_DELAY: Duration = Duration::from_millis(250);
pub const MAX_DELAY: Duration = Duration::from_secs(4);

/// The wait before the next start: none after a normal run, else doubling from
/// [`FIRST_DELAY`] up to [`MAX_DELAY`].
pub fn backoff(runtime: Duration, previous: Duration) -> Duration {
    if runtime >= QUICK_EXIT {
        Duration::ZERO
    } else {
        previous.saturating_mul(2).clamp(FIRST_DELAY, MAX_DELAY)
    }
}

/// One restarted process: running (`pid`) or waiting to be started at `next_start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Respawn {
    pid: Option<Pid>,
    started: Instant,
    delay: Duration,
    next_start: Option<Instant>,
}

impl Respawn {
    /// Not running, due at once.
    pub fn new(now: Instant) -> Respawn {
        Respawn {
            pid: None,
            started: now,
            delay: Duration::ZERO,
            next_start: Some(now),
        }
    }

    pub fn pid(&self) -> Option<Pid> {
        self.pid
    }

    pub fn started(&mut self, pid: Pid, now: Instant) {
        self.pid = Some(pid);
        self.started = now;
        self.next_start = None;
    }

    /// It ended (or could not be started); returns the delay before the next start.
    pub fn exited(&mut self, now: Instant) -> Duration {
        let runtime = now.saturating_duration_since(self.started);
        self.delay = backoff(runtime, self.delay);
        self.pid = None;
        self.next_start = Some(now.checked_add(self.delay).unwrap_or(now));
        self.delay
    }

    /// It could not be started at all: counts as dying at once.
    pub fn failed(&mut self, now: Instant) -> Duration {
        self.started = now;
        self.exited(now)
    }

    /// Whether it should be started now.
    pub fn due(&self, now: Instant) -> bool {
        self.next_start.is_some_and(|t| t <= now)
    }

    /// How long the main loop may wait for signals before a start is due (`None`: no start
    /// pending).
    pub fn timeout(&self, now: Instant) -> Option<Duration> {
        self.next_start.map(|t| t.saturating_duration_since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn backoff_table() {
        // (runtime, previous delay, next delay)
        let cases = [
            (MS(5000), MS(0), MS(0)),
            (MS(1000), MS(4000), MS(0)),
            (MS(10), MS(0), MS(250)),
            (MS(999), MS(250), MS(500)),
            (MS(0), MS(500), MS(1000)),
            (MS(0), MS(2000), MS(4000)),
            (MS(0), MS(4000), MS(4000)),
            (MS(0), Duration::MAX, MS(4000)),
        ];
        for (runtime, previous, want) in cases {
            assert_eq!(backoff(runtime, previous), want, "{runtime:?} {previous:?}");
        }
    }

    #[test]
    fn respawn_sequence() {
        let t0 = Instant::now();
        let mut r = Respawn::new(t0);
        assert!(r.due(t0));
        assert_eq!(r.timeout(t0), Some(Duration::ZERO));
        // Runs 10 s, exits: restarted at once.
        r.started(Pid::from_raw(10), t0);
        assert!(!r.due(t0) && r.timeout(t0).is_none());
        assert_eq!(r.pid(), Some(Pid::from_raw(10)));
        let t1 = t0 + MS(10_000);
        assert_eq!(r.exited(t1), MS(0));
        assert!(r.due(t1) && r.pid().is_none());
        // Dies at once three times: 250, 500, 1000 ms.
        let mut t = t1;
        for want in [250, 500, 1000] {
            r.started(Pid::from_raw(11), t);
            t += MS(5);
            assert_eq!(r.exited(t), MS(want));
            assert!(!r.due(t));
            assert_eq!(r.timeout(t), Some(MS(want)));
            t += MS(want);
            assert!(r.due(t));
        }
        // A long run resets the back-off.
        r.started(Pid::from_raw(12), t);
        t += MS(3000);
        assert_eq!(r.exited(t), MS(0));
        // Failing to start keeps backing off however long ago the last start was.
        for want in [250, 500, 1000, 2000, 4000, 4000] {
            assert_eq!(r.failed(t), MS(want));
            t += MS(want);
            assert!(r.due(t));
        }
    }
}
