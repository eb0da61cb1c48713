//! The terminal: raw mode through termios (restored on drop, on panic, and by the caller on
//! SIGTERM/SIGHUP), its size (TIOCGWINSZ, else $LINES/$COLUMNS, else 80×24), and signals
//! turned into flags the main loop polls (handlers only store an atomic).

use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Mutex;

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::termios::{self, SetArg, SpecialCharacterIndices, Termios};

static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);
static FATAL: AtomicI32 = AtomicI32::new(0);
static RESIZED: AtomicBool = AtomicBool::new(false);

/// Write end of the self-pipe: a signal between the loop's flag check and its poll still
/// wakes the poll (the pipe becomes readable).
static WAKE_W: AtomicI32 = AtomicI32::new(-1);
static WAKE_R: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    if sig == libc::SIGWINCH {
        RESIZED.store(true, Ordering::Relaxed);
    } else {
        FATAL.store(sig, Ordering::Relaxed);
    }
    let fd = WAKE_W.load(Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: write(2) is async-signal-safe; one byte from a live local buffer.
        unsafe {
            libc::write(fd, b"s".as_ptr().cast(), 1);
        }
    }
}

/// Raw mode on stdin while this lives.
pub struct RawTerm {
    _private: (),
}

fn stdin_fd() -> BorrowedFd<'static> {
    // SAFETY: fd 0 stays open for the life of the process.
    unsafe { BorrowedFd::borrow_raw(0) }
}

impl RawTerm {
    pub fn enter() -> io::Result<RawTerm> {
        let orig: Termios = termios::tcgetattr(stdin_fd()).map_err(io::Error::from)?;
        if let Ok(mut saved) = SAVED.lock() {
            *saved = Some(libc::termios::from(orig.clone()));
        }
        let mut raw = orig;
        termios::cfmakeraw(&mut raw);
        raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
        raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
        termios::tcsetattr(stdin_fd(), SetArg::TCSANOW, &raw).map_err(io::Error::from)?;
        if WAKE_R.load(Ordering::Relaxed) < 0 {
            let flags = nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_CLOEXEC;
            if let Ok((r, w)) = nix::unistd::pipe2(flags) {
                use std::os::fd::IntoRawFd;
                WAKE_R.store(r.into_raw_fd(), Ordering::Relaxed);
                WAKE_W.store(w.into_raw_fd(), Ordering::Relaxed);
            }
        }
        // No SA_RESTART: a signal interrupts the wait for input, so the loop sees it at once.
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::empty(),
            SigSet::empty(),
        );
        for sig in [
            Signal::SIGTERM,
            Signal::SIGHUP,
            Signal::SIGWINCH,
            Signal::SIGQUIT,
        ] {
            // SAFETY: the handler only stores to atomics, which is async-signal-safe.
            unsafe {
                let _ = sigaction(sig, &action);
            }
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        // The alternate screen keeps the shell's screen (terminals without it ignore this).
        let mut out = io::stdout();
        let _ = out.write_all(b"\x1b[?1049h");
        let _ = out.flush();
        Ok(RawTerm { _private: () })
    }
}

impl Drop for RawTerm {
    fn drop(&mut self) {
        restore();
    }
}

/// Put the terminal back as it was (idempotent).
pub fn restore() {
    let saved = SAVED.lock().ok().and_then(|mut s| s.take());
    if let Some(t) = saved {
        let mut out = io::stdout();
        let _ = out.write_all(b"\x1b[r\x1b[?25h\x1b[?1049l");
        let _ = out.flush();
        let _ = termios::tcsetattr(stdin_fd(), SetArg::TCSANOW, &Termios::from(t));
    }
}

/// Run `sh -c cmd` on the terminal in its normal mode, wait for Enter, and come back.
pub fn run_shell(cmd: &str, out: &mut impl Write) -> io::Result<()> {
    use std::os::unix::process::CommandExt;
    let raw = termios::tcgetattr(stdin_fd()).map_err(io::Error::from)?;
    let saved = SAVED.lock().ok().and_then(|s| *s);
    if let Some(t) = saved {
        let _ = termios::tcsetattr(stdin_fd(), SetArg::TCSANOW, &Termios::from(t));
    }
    out.write_all(b"\x1b[r\x1b[?1049l\r\n")?;
    out.flush()?;
    // Like system(3): Ctrl-C interrupts the command, not the editor.
    let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
    // SAFETY: ignoring a signal runs no code.
    let old_int = unsafe { sigaction(Signal::SIGINT, &ignore) };
    let mut command = std::process::Command::new("sh");
    command.arg("-c").arg(cmd);
    // SAFETY: between fork and exec only signal(2), which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let status = command.status();
    if let Ok(old) = old_int {
        // SAFETY: restoring the action saved above.
        unsafe {
            let _ = sigaction(Signal::SIGINT, &old);
        }
    }
    match status {
        Ok(s) if !s.success() => out.write_all(format!("\r\n[{s}]").as_bytes())?,
        Ok(_) => {}
        Err(e) => out.write_all(format!("sh: {}", crate::error::io_reason(&e)).as_bytes())?,
    }
    out.write_all(b"\r\n[Hit Enter to continue]")?;
    out.flush()?;
    termios::tcsetattr(stdin_fd(), SetArg::TCSANOW, &raw).map_err(io::Error::from)?;
    let mut byte = [0u8; 1];
    loop {
        match nix::unistd::read(stdin_fd(), &mut byte) {
            Err(nix::errno::Errno::EINTR) if fatal_signal().is_none() => continue,
            _ => break,
        }
    }
    out.write_all(b"\x1b[?1049h")?;
    Ok(())
}

/// A pending SIGTERM/SIGHUP/SIGQUIT.
pub fn fatal_signal() -> Option<Signal> {
    match FATAL.load(Ordering::Relaxed) {
        0 => None,
        n => Signal::try_from(n).ok(),
    }
}

/// Die of `sig` as the default action would (after restoring the terminal).
pub fn die_of(sig: Signal) {
    restore();
    // SAFETY: resetting to the default action; no handler code runs.
    unsafe {
        let _ = nix::sys::signal::signal(sig, SigHandler::SigDfl);
    }
    let _ = nix::sys::signal::raise(sig);
}

pub fn take_resized() -> bool {
    RESIZED.swap(false, Ordering::Relaxed)
}

/// Rows and columns of the terminal.
pub fn size() -> (usize, usize) {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the struct we pass.
    let ok = unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) } == 0
        // SAFETY: as above, on stdin.
        || unsafe { libc::ioctl(0, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_row > 0 && ws.ws_col > 0 {
        return (usize::from(ws.ws_row), usize::from(ws.ws_col));
    }
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or(default)
    };
    (env("LINES", 24), env("COLUMNS", 80))
}

/// Wait up to `timeout_ms` (-1: forever) for input on stdin. Ok(false) on timeout or signal.
pub fn wait_input(timeout_ms: i32) -> io::Result<bool> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let fd = stdin_fd();
    let wake_fd = WAKE_R.load(Ordering::Relaxed);
    // SAFETY: the pipe's read end stays open for the life of the process once created.
    let wake = (wake_fd >= 0).then(|| unsafe { BorrowedFd::borrow_raw(wake_fd) });
    let mut fds = vec![PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    if let Some(w) = &wake {
        fds.push(PollFd::new(w.as_fd(), PollFlags::POLLIN));
    }
    let timeout = if timeout_ms < 0 {
        PollTimeout::NONE
    } else {
        PollTimeout::try_from(timeout_ms).unwrap_or(PollTimeout::NONE)
    };
    let ready = match poll(&mut fds, timeout) {
        Ok(0) => return Ok(false),
        Ok(_) => fds[0].revents().is_some_and(|r| !r.is_empty()),
        Err(nix::errno::Errno::EINTR) => false,
        Err(e) => return Err(e.into()),
    };
    if let Some(w) = wake {
        let mut sink = [0u8; 64];
        while matches!(nix::unistd::read(w, &mut sink), Ok(n) if n > 0) {}
    }
    Ok(ready)
}

/// Read what input is there (0 bytes: end of input, the terminal hung up).
pub fn read_input(buf: &mut [u8]) -> io::Result<usize> {
    match nix::unistd::read(stdin_fd(), buf) {
        Ok(n) => Ok(n),
        Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => {
            Err(io::ErrorKind::Interrupted.into())
        }
        Err(e) => Err(e.into()),
    }
}

pub fn is_tty() -> bool {
    nix::unistd::isatty(stdin_fd()).unwrap_or(false)
}
