//! `vi`: a modal text editor for the console. busybox vi's scope (POSIX vi(1p) subset):
//! normal, insert, replace and command-line modes, counts, operators `d c y` with motions,
//! undo, `.`, searches, and the ex commands to write, quit, load and substitute.
//!
//! usage: vi [+LINE | +/PATTERN | +CMD] [FILE]
//!
//! The core ([`editor::Editor`]) is pure: keys in, a frame of rows out. This file is the thin
//! terminal loop: raw mode, decode keys, feed them, send what changed on the screen.

mod buffer;
mod editor;
mod ex;
mod file;
mod keys;
mod normal;
mod screen;
mod term;

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;

use crate::error::{io_reason, AppletError, AppletResult, UsageError};
use editor::{Editor, Effect};

pub const USAGE: &str = "\
usage: vi [+LINE | +/PATTERN | +CMD] [FILE]
Edit FILE (created on the first write if it does not exist).
Normal mode: hjkl wbe WBE 0^$ gg G fFtT;, % HML ^F^B^D^U^E^Y /? nN mx 'x `x '' (counts);
i a I A o O R, x X r s S C D J ~ p P u ^R . and d c y > < with a motion (dd cc yy >> <<).
^G shows the position, ^L redraws.
Ex: :w [FILE] :w! :q :q! :wq :x ZZ :e[!] [FILE] :r FILE :N :$ :[range]s/RE/REP/[g]
:[range]d :f :!CMD :r !CMD :set [no]nu [no]ai [no]ic. Ranges: N . $ % +N -N and A,B.
";

enum ViError {
    NotATerminal,
    Terminal(io::Error),
}

impl fmt::Display for ViError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViError::NotATerminal => f.write_str("standard input is not a terminal"),
            ViError::Terminal(e) => write!(f, "terminal: {}", io_reason(e)),
        }
    }
}

impl AppletError for ViError {}

#[derive(Debug, PartialEq, Eq)]
struct Options {
    file: Option<PathBuf>,
    /// `+N`, `+/pat`, `+cmd`: run as a `:` command after loading.
    start: Option<String>,
}

impl Options {
    fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut opts = Options {
            file: None,
            start: None,
        };
        let mut only_files = false;
        for arg in args.into_iter().skip(1) {
            let text = arg.to_string_lossy().into_owned();
            if !only_files && text == "--" {
                only_files = true;
            } else if !only_files && text.starts_with('+') {
                let cmd = &text[1..];
                opts.start = Some(match cmd {
                    "" => "$".to_string(),
                    c if c.starts_with('/') => c.to_string(),
                    c => c.to_string(),
                });
            } else if !only_files && text.starts_with('-') && text.len() > 1 {
                return Err(UsageError(format!("unknown option: {text}")));
            } else if opts.file.is_some() {
                return Err(UsageError("one file at a time".into()));
            } else {
                opts.file = Some(PathBuf::from(arg));
            }
        }
        Ok(opts)
    }
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let opts = Options::parse(args)?;
    if !term::is_tty() {
        return Err(ViError::NotATerminal.into());
    }
    let (rows, cols) = term::size();
    let mut ed = Editor::open(opts.file, rows, cols);
    if let Some(start) = opts.start {
        if let Some(pattern) = start.strip_prefix('/') {
            for k in format!("/{pattern}\r").bytes() {
                ed.feed(keys::Key::Byte(k));
            }
        } else {
            ed.ex_line(&start);
        }
    }
    let raw = term::RawTerm::enter().map_err(ViError::Terminal)?;
    let result = main_loop(&mut ed);
    let mut out = io::stdout();
    let _ = out.write_all(format!("\x1b[{};1H\x1b[K", rows).as_bytes());
    let _ = out.flush();
    drop(raw);
    result.map_err(|e| ViError::Terminal(e).into())
}

fn main_loop(ed: &mut Editor) -> io::Result<i32> {
    let mut screen = screen::Screen::default();
    let mut decoder = keys::Decoder::default();
    let mut out = io::stdout();
    // One byte at a time: what is typed after `:wq` (a console script, IPMI SOL, a fast
    // typist) stays in the terminal for the shell instead of being read and dropped by us.
    let mut input = [0u8; 1];
    loop {
        if let Some(sig) = term::fatal_signal() {
            // SIGTERM/SIGHUP: save nothing, give the terminal back, die of the signal.
            term::die_of(sig);
            return Ok(128 + sig as i32);
        }
        if term::take_resized() {
            let (rows, cols) = term::size();
            ed.resize(rows, cols);
            screen.invalidate();
        }
        let frame = ed.render();
        out.write_all(&screen.update(&frame, ed.cols()))?;
        out.flush()?;
        let timeout = if decoder.pending() {
            i32::from(keys::ESC_TIMEOUT_MS)
        } else {
            -1
        };
        let keys = if term::wait_input(timeout)? {
            match term::read_input(&mut input) {
                Ok(0) => return Ok(1),
                Ok(n) => decoder.feed(&input[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(libc::EIO) => return Ok(1),
                Err(e) => return Err(e),
            }
        } else if decoder.pending() && term::fatal_signal().is_none() {
            decoder.timeout()
        } else {
            continue;
        };
        for key in keys {
            match ed.feed(key) {
                Effect::Continue => {}
                Effect::Redraw => screen.invalidate(),
                Effect::Shell(cmd) => {
                    term::run_shell(&cmd, &mut out)?;
                    screen.invalidate();
                }
                Effect::Quit(code) => return Ok(code),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_options() {
        let parse = |args: &[&str]| {
            let mut v = vec![OsString::from("vi")];
            v.extend(args.iter().map(OsString::from));
            Options::parse(v)
        };
        assert_eq!(
            parse(&[]),
            Ok(Options {
                file: None,
                start: None
            })
        );
        assert_eq!(
            parse(&["f"]),
            Ok(Options {
                file: Some("f".into()),
                start: None
            })
        );
        assert_eq!(
            parse(&["+3", "f"]),
            Ok(Options {
                file: Some("f".into()),
                start: Some("3".into())
            })
        );
        assert_eq!(
            parse(&["+", "f"]),
            Ok(Options {
                file: Some("f".into()),
                start: Some("$".into())
            })
        );
        assert_eq!(
            parse(&["--", "-f"]),
            Ok(Options {
                file: Some("-f".into()),
                start: None
            })
        );
        assert!(parse(&["-x"]).is_err());
        assert!(parse(&["a", "b"]).is_err());
    }
}
