//! Signals: what children must not inherit, the interactive shell's ignored signals, and trapped
//! signals noted by a handler and run between commands.

use std::sync::atomic::{AtomicU64, Ordering};

use nix::sys::signal::{self, SigHandler, SigSet, SigmaskHow, Signal};

use super::exec::{Flow, Shell};

/// The signals the terminal sends (Ctrl-C, Ctrl-\, Ctrl-Z) or that stop a background job
/// touching it: an interactive shell ignores them, its children get them back.
pub const KEYBOARD: [Signal; 5] = [
    Signal::SIGINT,
    Signal::SIGQUIT,
    Signal::SIGTSTP,
    Signal::SIGTTIN,
    Signal::SIGTTOU,
];

/// What a child must not inherit from the shell: an ignored SIGINT/SIGQUIT (when the shell set
/// it), and a blocked signal mask.
pub fn reset_signals(owns_sigint: bool) {
    if owns_sigint {
        for s in KEYBOARD {
            // SAFETY: SIG_DFL installs no handler code.
            let _ = unsafe { signal::signal(s, SigHandler::SigDfl) };
        }
    }
    let _ = signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
}

/// Trapped signals that arrived and whose actions haven't run yet, one bit per signal number.
static PENDING: AtomicU64 = AtomicU64::new(0);

extern "C" fn note_signal(sig: libc::c_int) {
    if (1..64).contains(&sig) {
        PENDING.fetch_or(1u64 << sig, Ordering::Relaxed);
    }
}

/// Have `sig` noted for `run_traps` (`trap ACTION SIG`).
pub fn catch_signal(sig: Signal) {
    let act = signal::SigAction::new(
        SigHandler::Handler(note_signal),
        signal::SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only does an atomic fetch_or, which is async-signal-safe.
    let _ = unsafe { signal::sigaction(sig, &act) };
    IGNORED.fetch_and(!bit(sig as i32), Ordering::Relaxed);
}

/// Signals set to be ignored by `trap '' SIG`, one bit per signal number (for `trap` listings).
static IGNORED: AtomicU64 = AtomicU64::new(0);
/// Signals whose disposition on entry has been looked at, and those found ignored then.
static CHECKED: AtomicU64 = AtomicU64::new(0);
static IGNORED_ON_ENTRY: AtomicU64 = AtomicU64::new(0);

fn bit(sig: i32) -> u64 {
    if (1..64).contains(&sig) {
        1u64 << sig
    } else {
        0
    }
}

/// Whether `sig` was ignored when the shell started (XCU trap: a non-interactive shell may not
/// trap or reset such a signal). Looked at before the shell first changes it, which in a
/// non-interactive shell only `trap` does.
pub fn ignored_on_entry(sig: Signal) -> bool {
    let b = bit(sig as i32);
    if CHECKED.fetch_or(b, Ordering::Relaxed) & b == 0 {
        let mut old = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
        // SAFETY: a null new action only reads the current disposition into `old`.
        let r = unsafe { libc::sigaction(sig as libc::c_int, std::ptr::null(), old.as_mut_ptr()) };
        // SAFETY: zero-initialised and, on success, filled in by sigaction.
        let old = unsafe { old.assume_init() };
        if r == 0 && old.sa_sigaction == libc::SIG_IGN {
            IGNORED_ON_ENTRY.fetch_or(b, Ordering::Relaxed);
        }
    }
    IGNORED_ON_ENTRY.load(Ordering::Relaxed) & b != 0
}

/// `trap '' SIG` (`ignore`) or `trap - SIG` (not): set the disposition and remember it.
pub fn set_ignored(sig: Signal, ignore: bool) {
    let b = bit(sig as i32);
    let handler = if ignore {
        IGNORED.fetch_or(b, Ordering::Relaxed);
        SigHandler::SigIgn
    } else {
        IGNORED.fetch_and(!b, Ordering::Relaxed);
        SigHandler::SigDfl
    };
    // SAFETY: SIG_IGN and SIG_DFL install no handler code.
    let _ = unsafe { signal::signal(sig, handler) };
}

/// Keep `sig`'s disposition but leave it out of `trap` listings (the interactive shell's own
/// ignored SIGINT after `trap - INT`).
pub fn forget_ignored(sig: Signal) {
    IGNORED.fetch_and(!bit(sig as i32), Ordering::Relaxed);
}

/// Whether `trap '' SIG` is in force for signal number `sig`.
pub fn is_ignored(sig: i32) -> bool {
    IGNORED.load(Ordering::Relaxed) & bit(sig) != 0
}

/// A `trap`/`kill` signal operand: a number, or a name in any case with or without `SIG`.
pub fn parse_signal(s: &str) -> Option<Signal> {
    if let Ok(n) = s.parse::<i32>() {
        return Signal::try_from(n).ok();
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    format!("SIG{name}").parse::<Signal>().ok()
}

/// The name `trap` lists for a signal: `INT`, not `SIGINT`.
pub fn signal_name(sig: i32) -> String {
    Signal::try_from(sig).map_or_else(
        |_| sig.to_string(),
        |s| s.as_str().trim_start_matches("SIG").to_string(),
    )
}

/// Interactive shells survive Ctrl-C and Ctrl-\ (they go to the foreground command).
pub fn ignore_interactive_signals() {
    for s in KEYBOARD {
        // SAFETY: SIG_IGN installs no handler code.
        let _ = unsafe { signal::signal(s, SigHandler::SigIgn) };
    }
}

/// Whether a trapped signal arrived whose action hasn't run yet.
pub fn pending() -> bool {
    PENDING.load(Ordering::Relaxed) != 0
}

/// Forget noted signals (a forked child starts with none).
pub fn clear_pending() {
    PENDING.store(0, Ordering::Relaxed);
}

impl Shell {
    /// Run the actions of trapped signals that arrived since the last command.
    pub fn run_traps(&mut self) -> Result<(), Flow> {
        let pending = PENDING.swap(0, Ordering::Relaxed);
        for (sig, action) in self.traps.clone() {
            if pending & (1u64 << sig) != 0 {
                let st = self.status;
                self.eval_text(&action)?;
                self.status = st;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names_table() {
        for (s, want) in [
            ("INT", Some(Signal::SIGINT)),
            ("int", Some(Signal::SIGINT)),
            ("SIGTERM", Some(Signal::SIGTERM)),
            ("15", Some(Signal::SIGTERM)),
            ("usr1", Some(Signal::SIGUSR1)),
            ("FOO", None),
            ("99", None),
            ("2x", None),
        ] {
            assert_eq!(parse_signal(s), want, "{s}");
        }
        assert_eq!(signal_name(2), "INT");
        assert_eq!(signal_name(17), "CHLD");
    }
}
