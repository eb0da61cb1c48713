//! `watch`: run a command again and again, showing its output full-screen. procps-ng watch(1)
//! subset.
//!
//! usage: watch [-n SECS] [-t] [-d] [-e] [-g] COMMAND...
//!
//! COMMAND (its words joined by spaces) runs through `sh -c` every SECS seconds (default 2;
//! decimals allowed), stdout and stderr together. On a terminal each round clears the screen
//! (ANSI sequences, on the alternate screen, restored on exit) under a header
//! `Every 2.0s: CMD` … `HOST: DATE` and is cut to the screen; otherwise each round is simply
//! printed. Ctrl-C (or SIGTERM/SIGHUP) ends it with status 0.
//! -e exits with status 8 when the command fails, -g with 0 when its output changes.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{io_reason, AppletResult, Failure, UsageError};
use crate::procinfo::{local_time, now};

pub const USAGE: &str = "\
usage: watch [-n SECS] [-t] [-d] [-e] [-g] COMMAND...
Run COMMAND through sh -c every SECS seconds (default 2) and show its output full-screen.
  -n SECS  interval (decimals allowed, at least 0.1)    -t  no header line
  -d  highlight what changed since the last round      -e  exit (status 8) when COMMAND fails
  -g  exit when the output changes
";

#[derive(Debug, PartialEq)]
pub struct Options {
    interval: f64,
    title: bool,
    differences: bool,
    errexit: bool,
    chgexit: bool,
    command: String,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            interval: 2.0,
            title: true,
            differences: false,
            errexit: false,
            chgexit: false,
            command: String::new(),
        };
        let args: Vec<String> = crate::operands(&args);
        let mut i = 0;
        while let Some(arg) = args.get(i) {
            if !arg.starts_with('-') || arg == "-" {
                break;
            }
            i += 1;
            if arg == "--" {
                break;
            }
            let interval = |v: &str| -> Result<f64, UsageError> {
                let secs: f64 = v
                    .parse()
                    .map_err(|_| UsageError(format!("failed to parse argument: '{v}'")))?;
                if !secs.is_finite() || secs < 0.0 {
                    return Err(UsageError(format!("failed to parse argument: '{v}'")));
                }
                // procps: never faster than a tenth of a second.
                Ok(secs.max(0.1))
            };
            if let Some(long) = arg.strip_prefix("--") {
                let (key, value) = match long.split_once('=') {
                    Some((k, v)) => (k, Some(v.to_string())),
                    None => (long, None),
                };
                match key {
                    "interval" => {
                        let v = match value {
                            Some(v) => v,
                            None => {
                                i += 1;
                                args.get(i - 1).cloned().ok_or_else(|| {
                                    UsageError("option '--interval' requires an argument".into())
                                })?
                            }
                        };
                        o.interval = interval(&v)?;
                    }
                    "no-title" => o.title = false,
                    "differences" => o.differences = true,
                    "errexit" => o.errexit = true,
                    "chgexit" => o.chgexit = true,
                    _ => return Err(UsageError(format!("unrecognized option '{arg}'"))),
                }
                continue;
            }
            for (j, c) in arg.char_indices().skip(1) {
                match c {
                    't' => o.title = false,
                    'd' => o.differences = true,
                    'e' => o.errexit = true,
                    'g' => o.chgexit = true,
                    'n' => {
                        let v = match &arg[j + 1..] {
                            "" => {
                                i += 1;
                                args.get(i - 1).cloned().ok_or_else(|| {
                                    UsageError("option requires an argument -- 'n'".into())
                                })?
                            }
                            rest => rest.to_string(),
                        };
                        o.interval = interval(&v)?;
                        break;
                    }
                    _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                }
            }
        }
        if i >= args.len() {
            return Err(UsageError("no command specified".into()));
        }
        o.command = args[i..].join(" ");
        Ok(o)
    }
}

/// The header: `Every 2.0s: CMD` on the left, `HOST: DATE` on the right of a `cols`-wide line.
pub fn header(o: &Options, host: &str, date: &str, cols: usize) -> String {
    let left = format!("Every {:.1}s: {}", o.interval, o.command);
    let right = format!("{host}: {date}");
    let room = cols.saturating_sub(right.chars().count() + 1);
    let left: String = left.chars().take(room).collect();
    let gap = cols.saturating_sub(left.chars().count() + right.chars().count());
    format!("{left}{}{right}", " ".repeat(gap.max(1)))
}

/// ctime(3)-style date, as procps's header shows it.
fn date_text(t: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    local_time(t).map_or("?".into(), |t| {
        format!(
            "{} {} {:2} {:02}:{:02}:{:02} {}",
            DAYS.get(t.wday).unwrap_or(&"?"),
            MONTHS.get(t.mon).unwrap_or(&"?"),
            t.mday,
            t.hour,
            t.min,
            t.sec,
            t.year
        )
    })
}

/// `text` cut to `rows`×`cols`, with the characters that differ from `prev` in reverse video
/// when `highlight`.
pub fn screen(text: &str, prev: Option<&str>, rows: usize, cols: usize, highlight: bool) -> String {
    let old: Vec<Vec<char>> = prev
        .map(|p| p.lines().map(|l| l.chars().collect()).collect())
        .unwrap_or_default();
    let mut out = String::new();
    for (y, line) in text.lines().take(rows).enumerate() {
        let mut inverse = false;
        for (x, c) in line.chars().take(cols).enumerate() {
            let c = if c.is_control() { ' ' } else { c };
            let changed = highlight
                && prev.is_some()
                && old.get(y).and_then(|l| l.get(x)).is_none_or(|&o| o != c);
            if changed != inverse {
                out.push_str(if changed { "\x1b[7m" } else { "\x1b[27m" });
                inverse = changed;
            }
            out.push(c);
        }
        if inverse {
            out.push_str("\x1b[27m");
        }
        // The terminal's output processing (ONLCR) adds the carriage return.
        out.push('\n');
    }
    out
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Catch SIGINT/SIGTERM/SIGHUP without SA_RESTART, so a sleep ends at once.
fn catch_signals() {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        let _ = unsafe { sigaction(sig, &action) };
    }
}

/// Run the command once: its stdout and stderr together, and whether it succeeded.
fn run_once(command: &str) -> Result<(String, bool), Failure> {
    let fail = |what: &str, e: io::Error| Failure {
        message: format!("{what}: {}", io_reason(&e)),
        code: 4,
    };
    let (reader, writer): (OwnedFd, OwnedFd) =
        nix::unistd::pipe().map_err(|e| fail("pipe", io::Error::from(e)))?;
    let writer2 = writer.try_clone().map_err(|e| fail("pipe", e))?;
    let mut child = Command::new("/bin/sh")
        .args(["-c", command])
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::from(writer2))
        .spawn()
        .map_err(|e| fail("sh", e))?;
    let mut out = Vec::new();
    let mut reader = std::fs::File::from(reader);
    // The spawn dropped our copies of the writer, so this ends when the command does.
    let _ = reader.read_to_end(&mut out);
    let ok = child.wait().is_ok_and(|s| s.success());
    Ok((String::from_utf8_lossy(&out).into_owned(), ok))
}

fn pause(secs: f64) {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    while !STOP.load(Ordering::SeqCst) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        let ms = u16::try_from(left.as_millis().min(u128::from(u16::MAX))).unwrap_or(u16::MAX);
        // No descriptors: poll only sleeps, and a signal interrupts it (EINTR).
        let _ = nix::poll::poll(&mut [], nix::poll::PollTimeout::from(ms));
    }
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    catch_signals();
    let tty = io::stdout().is_terminal();
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    let write = |text: &str| -> Result<(), Failure> {
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Failure {
                message: format!("write error: {}", io_reason(&e)),
                code: 1,
            })
    };
    if tty {
        // Alternate screen, cursor hidden.
        write("\x1b[?1049h\x1b[?25l")?;
    }
    let result = rounds(&o, tty, &host, &write);
    if tty {
        let _ = write("\x1b[?25h\x1b[?1049l");
    }
    result
}

fn rounds(
    o: &Options,
    tty: bool,
    host: &str,
    write: &dyn Fn(&str) -> Result<(), Failure>,
) -> AppletResult {
    let mut prev: Option<String> = None;
    while !STOP.load(Ordering::SeqCst) {
        let (output, ok) = run_once(&o.command)?;
        if STOP.load(Ordering::SeqCst) {
            break;
        }
        let (cols, rows) = crate::top::screen_size();
        let mut text = String::new();
        if tty {
            text.push_str("\x1b[H\x1b[2J");
        }
        let mut body_rows = rows;
        if o.title {
            let head = header(o, host, &date_text(now()), cols);
            text.push_str(&head);
            text.push_str("\n\n");
            body_rows = rows.saturating_sub(2);
        }
        if tty {
            text.push_str(&screen(
                &output,
                prev.as_deref(),
                body_rows,
                cols,
                o.differences,
            ));
        } else {
            text.push_str(&output);
        }
        write(&text)?;
        if o.errexit && !ok {
            write("\ncommand exit with a non-zero status\n")?;
            return Ok(8);
        }
        if o.chgexit && prev.as_ref().is_some_and(|p| *p != output) {
            return Ok(0);
        }
        prev = Some(output);
        pause(o.interval);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("watch")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn parse_table() {
        let o = Options::parse(args("-n 0.5 -t -d ls -l /tmp")).expect("parse");
        assert_eq!(
            (o.interval, o.title, o.differences, o.command.as_str()),
            (0.5, false, true, "ls -l /tmp")
        );
        let o = Options::parse(args("-n0.01 -eg date")).expect("parse");
        assert_eq!((o.interval, o.errexit, o.chgexit), (0.1, true, true));
        let o = Options::parse(args("--interval=3 -- -x")).expect("parse");
        assert_eq!((o.interval, o.command.as_str()), (3.0, "-x"));
        let errors = [
            ("", "no command specified"),
            ("-n abc ls", "failed to parse argument: 'abc'"),
            ("-z ls", "invalid option -- 'z'"),
            ("-n", "option requires an argument -- 'n'"),
        ];
        for (line, want) in errors {
            assert_eq!(
                Options::parse(args(line)),
                Err(UsageError(want.into())),
                "{line}"
            );
        }
    }

    #[test]
    fn header_and_screen() {
        let o = Options::parse(args("date")).expect("parse");
        let h = header(&o, "box", "Tue Dec  1 20:41:02 2026", 60);
        let gap = " ".repeat(15);
        assert_eq!(
            h,
            format!("Every 2.0s: date{gap}box: Tue Dec  1 20:41:02 2026")
        );
        assert_eq!(h.len(), 60);
        // Too narrow: the command is cut, the host and date stay.
        let h = header(&o, "box", "Tue Dec  1 20:41:02 2026", 32);
        assert_eq!(h, "Ev box: Tue Dec  1 20:41:02 2026");
        assert_eq!(screen("abcdef\nx\ny\n", None, 2, 3, true), "abc\nx\n");
        assert_eq!(
            screen("abc\n", Some("abd\n"), 5, 80, true),
            "ab\x1b[7mc\x1b[27m\n"
        );
        assert_eq!(screen("a\tb\n", None, 5, 80, false), "a b\n");
    }
}
