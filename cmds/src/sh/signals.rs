//! Signals: what children must not inherit, the interactive shell's ignored signals, and trapped
//! signals noted by a handler and run between commands.

use std::sync::atomic::{AtomicU64, Ordering};

use nix::sys::signal::{self, SigHandler, SigSet, SigmaskHow, Signal};

use super::exec::{Flow, Shell};

/// What a child must not inherit from the shell: an ignored SIGINT/SIGQUIT (when the shell set
/// it), and a blocked signal mask.
pub fn reset_signals(owns_sigint: bool) {
    if owns_sigint {
        for s in [
            Signal::SIGINT,
            Signal::SIGQUIT,
            Signal::SIGTSTP,
            Signal::SIGTTIN,
            Signal::SIGTTOU,
        ] {
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
}

/// Interactive shells survive Ctrl-C and Ctrl-\ (they go to the foreground command).
pub fn ignore_interactive_signals() {
    for s in [
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGTSTP,
        Signal::SIGTTIN,
        Signal::SIGTTOU,
    ] {
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
