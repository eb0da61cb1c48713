//! Ctrl-C, SIGTERM and SIGHUP end a build through the ordinary error path, so temporary
//! files (`.disk-*.img.partial`, unpacked layers, half-downloaded blobs) are removed by their
//! owners' `Drop` instead of being left behind by the signal's default action.
//!
//! The handler only sets a flag (async-signal-safe); the byte pumps call [`check`]. It is
//! installed without `SA_RESTART`, so a read blocked on the network returns `EINTR` and the
//! pump gets to look at the flag; threads the signal did not hit are woken with [`wake`].

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP.
pub fn install() -> io::Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; the handler
        // has the signature sigaction(2) expects for sa_handler and only stores to an atomic.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether a signal arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Interrupts what `thread` is blocked in (a network read) so it sees the flag: the signal
/// was delivered to another thread, and only that thread's system call returned `EINTR`.
/// `thread` must be a thread that has not been joined yet.
pub fn wake(thread: libc::pthread_t) {
    // SAFETY: the caller guarantees `thread` is alive or at least not yet joined, so its
    // id is valid; the handler for SIGINT is ours and only sets the flag again.
    unsafe {
        libc::pthread_kill(thread, libc::SIGINT);
    }
}

/// Fails once a signal arrived. Not `ErrorKind::Interrupted`: `io::copy` would retry that.
pub fn check() -> io::Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(io::Error::other("interrupted"));
    }
    Ok(())
}
