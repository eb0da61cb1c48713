//! Terminal: raw mode on the controlling tty, its size, keys in, screens out. ANSI/VT100
//! sequences only (no terminfo: a serial console is enough). The saved mode is restored
//! when [`Terminal`] drops and from SIGINT/SIGTERM/SIGHUP/SIGQUIT handlers.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::termios::{self, LocalFlags, SetArg, Termios};

use super::keys::{decode, decode_final, Key};
use super::screen::Row;

const ALT_ON: &str = "\x1b[?1049h";
const ALT_OFF: &str = "\x1b[?1049l";

/// What woke the pager up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Key(Key),
    /// The window changed size.
    Resize,
    /// More of a piped text has arrived.
    Input,
}

/// What the signal handlers need to put the terminal back.
struct Saved {
    fd: RawFd,
    mode: libc::termios,
    leave: &'static str,
}

static SAVED: OnceLock<Saved> = OnceLock::new();
static RESIZED: AtomicBool = AtomicBool::new(false);

extern "C" fn restore_and_exit(sig: libc::c_int) {
    if let Some(s) = SAVED.get() {
        // SAFETY: write, tcsetattr and _exit are async-signal-safe; the buffers are 'static.
        unsafe {
            libc::write(s.fd, s.leave.as_ptr().cast(), s.leave.len());
            libc::tcsetattr(s.fd, libc::TCSANOW, &s.mode);
        }
    }
    // SAFETY: _exit ends the process without running anything that is not signal-safe.
    unsafe { libc::_exit(128 + sig) }
}

extern "C" fn note_resize(_: libc::c_int) {
    RESIZED.store(true, Ordering::SeqCst);
}

/// Screen size: TIOCGWINSZ, else LINES/COLUMNS, else 24×80. A serial console says 0×0,
/// which counts as unknown.
pub fn size(fd: RawFd) -> (usize, usize) {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the struct we pass.
    let ok = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) } == 0;
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
    };
    let rows = Some(ws.ws_row as usize)
        .filter(|&r| ok && r > 0)
        .or_else(|| env("LINES"))
        .unwrap_or(24);
    let cols = Some(ws.ws_col as usize)
        .filter(|&c| ok && c > 0)
        .or_else(|| env("COLUMNS"))
        .unwrap_or(80);
    (rows, cols)
}

/// The controlling terminal in raw mode.
pub struct Terminal {
    tty: File,
    saved: Termios,
    alt: bool,
    pending: Vec<u8>,
    /// The rows on the screen now, as sent.
    shown: Vec<String>,
}

impl Terminal {
    /// Raw mode on `tty` (the alternate screen too when `alt`). Signals stay enabled: ^C
    /// ends the pager through the handler, which restores the terminal first.
    pub fn enter(tty: File, alt: bool) -> io::Result<Terminal> {
        let saved = termios::tcgetattr(tty.as_fd()).map_err(io::Error::from)?;
        let mut raw = saved.clone();
        raw.local_flags
            .remove(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::IEXTEN);
        raw.input_flags.remove(
            termios::InputFlags::IXON | termios::InputFlags::ICRNL | termios::InputFlags::INLCR,
        );
        raw.control_chars[termios::SpecialCharacterIndices::VMIN as usize] = 1;
        raw.control_chars[termios::SpecialCharacterIndices::VTIME as usize] = 0;
        let leave = if alt {
            "\x1b[?25h\x1b[?1049l"
        } else {
            "\x1b[?25h\r\n"
        };
        let _ = SAVED.set(Saved {
            fd: tty.as_raw_fd(),
            mode: saved.clone().into(),
            leave,
        });
        let handler = SigAction::new(
            SigHandler::Handler(restore_and_exit),
            SaFlags::empty(),
            SigSet::empty(),
        );
        // No SA_RESTART: a read waiting for a key returns EINTR on a resize.
        let resize = SigAction::new(
            SigHandler::Handler(note_resize),
            SaFlags::empty(),
            SigSet::empty(),
        );
        for sig in [
            Signal::SIGINT,
            Signal::SIGTERM,
            Signal::SIGHUP,
            Signal::SIGQUIT,
        ] {
            // SAFETY: the handler only calls async-signal-safe functions.
            unsafe { sigaction(sig, &handler) }.map_err(io::Error::from)?;
        }
        // SAFETY: the handler only stores to an atomic.
        unsafe { sigaction(Signal::SIGWINCH, &resize) }.map_err(io::Error::from)?;
        termios::tcsetattr(tty.as_fd(), SetArg::TCSANOW, &raw).map_err(io::Error::from)?;
        let mut t = Terminal {
            tty,
            saved,
            alt,
            pending: Vec::new(),
            shown: Vec::new(),
        };
        if alt {
            t.tty.write_all(ALT_ON.as_bytes())?;
        }
        Ok(t)
    }

    /// Forget what is on the screen: the next draw repaints every row (`r`, ^L).
    pub fn invalidate(&mut self) {
        self.shown.clear();
    }

    /// The size now; the next draw repaints everything.
    pub fn size(&mut self) -> (usize, usize) {
        self.shown.clear();
        size(self.tty.as_raw_fd())
    }

    /// Draw every row, each at its own position (no reliance on auto-wrap), the cursor
    /// left after the status line.
    /// Only rows that changed since the last draw are sent (a serial console is slow).
    pub fn draw(&mut self, rows: &[Row]) -> io::Result<()> {
        let mut out = String::from("\x1b[?25l");
        let drawn: Vec<String> = rows.iter().map(Row::ansi).collect();
        if drawn.len() != self.shown.len() {
            self.shown.clear();
        }
        for (i, row) in drawn.iter().enumerate() {
            // The status line is always written last, so the cursor ends up after it.
            if self.shown.get(i) == Some(row) && i + 1 < drawn.len() {
                continue;
            }
            out.push_str(&format!("\x1b[{};1H\x1b[2K", i + 1));
            out.push_str(row);
        }
        self.shown = drawn;
        out.push_str("\x1b[?25h");
        self.tty.write_all(out.as_bytes())?;
        self.tty.flush()
    }

    /// The next key, a resize, or (when `input` is given) more text to read on `input`.
    pub fn event(&mut self, input: Option<RawFd>) -> io::Result<Event> {
        loop {
            if RESIZED.swap(false, Ordering::SeqCst) {
                return Ok(Event::Resize);
            }
            if let Some((k, n)) = decode(&self.pending) {
                self.pending.drain(..n);
                return Ok(Event::Key(k));
            }
            if !self.pending.is_empty() && !self.readable(Duration::from_millis(50))? {
                if let Some((k, n)) = decode_final(&self.pending) {
                    self.pending.drain(..n);
                    return Ok(Event::Key(k));
                }
            }
            if let Some(fd) = input {
                if self.pending.is_empty() && self.input_first(fd)? {
                    return Ok(Event::Input);
                }
            }
            // One byte at a time: keys typed after `q` stay in the terminal for the shell.
            let mut buf = [0u8; 1];
            match self.tty.read(&mut buf) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Wait for the tty or `input`; true when only `input` has something.
    fn input_first(&self, input: RawFd) -> io::Result<bool> {
        // SAFETY: `input` is the open descriptor of the text being paged; the source owns it
        // and keeps it open for the whole call.
        let input = unsafe { std::os::fd::BorrowedFd::borrow_raw(input) };
        let mut fds = [
            PollFd::new(self.tty.as_fd(), PollFlags::POLLIN),
            PollFd::new(input, PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {
                let tty = fds[0].revents().is_some_and(|r| !r.is_empty());
                let more = fds[1].revents().is_some_and(|r| !r.is_empty());
                Ok(more && !tty)
            }
            Err(nix::errno::Errno::EINTR) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    fn readable(&self, wait: Duration) -> io::Result<bool> {
        let mut fds = [PollFd::new(self.tty.as_fd(), PollFlags::POLLIN)];
        let ms = PollTimeout::try_from(wait.as_millis() as i32).unwrap_or(PollTimeout::ZERO);
        match poll(&mut fds, ms) {
            Ok(n) => Ok(n > 0),
            Err(nix::errno::Errno::EINTR) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let leave = if self.alt {
            format!("\x1b[?25h{ALT_OFF}")
        } else {
            // Keep the last screen; clear the status line and leave the cursor there.
            "\x1b[?25h\r\x1b[2K".to_string()
        };
        let _ = self.tty.write_all(leave.as_bytes());
        let _ = self.tty.flush();
        let _ = termios::tcsetattr(self.tty.as_fd(), SetArg::TCSANOW, &self.saved);
    }
}
