//! Signals and children for PID 1. The signals init acts on are blocked and taken
//! synchronously with sigtimedwait(2) in the main loop, so no code runs in a signal handler.
//! (The kernel drops signals to init whose disposition is SIG_DFL, but never blocked ones,
//! see sig_ignored() in kernel/signal.c.) Every exited child is reaped with
//! `waitpid(-1, WNOHANG)` until none is left, since SIGCHLDs coalesce.

use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

/// The signals init waits for: children, and the shutdown requests (see
/// `shutdown::ShutdownKind::from_signal`). SIGINT is Ctrl-Alt-Del once the kernel's own
/// reboot on it is disabled.
pub const INIT_SIGNALS: &[Signal] = &[
    Signal::SIGCHLD,
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGPWR,
];

/// The blocked signal set init waits on.
pub struct Signals {
    set: SigSet,
}

impl Signals {
    /// Block `signals` for this thread (init has one) and wait for them with [`Signals::wait`].
    pub fn block(signals: &[Signal]) -> Signals {
        let mut set = SigSet::empty();
        for s in signals {
            set.add(*s);
        }
        // sigprocmask(2) fails only for an invalid `how` or pointer, neither possible here.
        let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None);
        Signals { set }
    }

    /// The next pending signal of the set, waiting at most `timeout` (`None`: no limit).
    /// `None` when the time ran out.
    pub fn wait(&self, timeout: Option<Duration>) -> Option<Signal> {
        let ts = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_nsec: t.subsec_nanos() as libc::c_long,
        });
        let ts_ptr = ts
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: the set is a valid sigset_t, the info pointer may be NULL, and `ts_ptr` is
        // NULL or points to `ts`, which lives across the call.
        let n = unsafe { libc::sigtimedwait(self.set.as_ref(), std::ptr::null_mut(), ts_ptr) };
        Signal::try_from(n).ok()
    }
}

/// Reap every exited child, calling `on_exit` for each. Returns whether children remain
/// (running ones); false once init has no child at all (ECHILD).
pub fn reap(mut on_exit: impl FnMut(Pid, WaitStatus)) -> bool {
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return true,
            Ok(status) => {
                if let Some(pid) = status.pid() {
                    on_exit(pid, status);
                }
            }
            Err(Errno::EINTR) => {}
            Err(Errno::ECHILD) => return false,
            Err(_) => return true,
        }
    }
}

/// How a process ended, for the log: `exited with status 1`, `killed by SIGKILL`.
pub fn describe(status: &WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("exited with status {code}"),
        WaitStatus::Signaled(_, sig, _) => format!("killed by {}", sig.as_str()),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::unistd::{fork, ForkResult};
    use std::time::Instant;

    #[test]
    fn describe_table() {
        let pid = Pid::from_raw(7);
        let cases = [
            (WaitStatus::Exited(pid, 0), "exited with status 0"),
            (WaitStatus::Exited(pid, 127), "exited with status 127"),
            (
                WaitStatus::Signaled(pid, Signal::SIGKILL, false),
                "killed by SIGKILL",
            ),
        ];
        for (status, want) in cases {
            assert_eq!(describe(&status), want);
        }
    }

    /// Runs `body` in a forked child (it blocks signals and reaps every child, which must not
    /// disturb the test harness) and asserts it exited 0.
    fn in_child(body: fn() -> bool) {
        // SAFETY: the child runs `body`, which only makes system calls and forks, then _exits.
        match unsafe { fork() }.expect("test fixture") {
            ForkResult::Child => {
                let code = if body() { 0 } else { 1 };
                // SAFETY: leave the forked child without returning into the harness.
                unsafe { libc::_exit(code) };
            }
            ForkResult::Parent { child } => {
                assert_eq!(
                    waitpid(child, None).expect("test fixture"),
                    WaitStatus::Exited(child, 0)
                );
            }
        }
    }

    fn spawn_exit(code: i32) -> Pid {
        // SAFETY: the grandchild only calls _exit.
        match unsafe { fork() } {
            // SAFETY: _exit ends the forked grandchild at once.
            Ok(ForkResult::Child) => unsafe { libc::_exit(code) },
            Ok(ForkResult::Parent { child }) => child,
            Err(_) => Pid::from_raw(0),
        }
    }

    #[test]
    fn reaps_every_child_and_reports_each_exit() {
        in_child(|| {
            let signals = Signals::block(INIT_SIGNALS);
            let pids: Vec<Pid> = (0..5).map(spawn_exit).collect();
            let mut seen = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(10);
            while seen.len() < pids.len() && Instant::now() < deadline {
                signals.wait(Some(Duration::from_millis(200)));
                reap(|pid, status| seen.push((pid, status)));
            }
            seen.sort_by_key(|(pid, _)| *pid);
            let want: Vec<(Pid, WaitStatus)> = pids
                .iter()
                .zip(0..)
                .map(|(p, code)| (*p, WaitStatus::Exited(*p, code)))
                .collect();
            seen == want && !reap(|_, _| {})
        });
    }

    #[test]
    fn wait_times_out_and_takes_blocked_signals() {
        in_child(|| {
            let signals = Signals::block(INIT_SIGNALS);
            let t = Instant::now();
            let timed_out = signals.wait(Some(Duration::from_millis(50))).is_none();
            let waited = t.elapsed() >= Duration::from_millis(50);
            let _ = nix::sys::signal::raise(Signal::SIGUSR2);
            let got = signals.wait(Some(Duration::from_secs(5)));
            timed_out && waited && got == Some(Signal::SIGUSR2)
        });
    }
}
