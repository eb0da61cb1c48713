//! `kill`: send a signal to processes, or list signal names. util-linux kill(1) subset.
//!
//! usage: kill [-s SIG | -SIG | -n NUM] PID... | kill -l [SIG...]

use std::ffi::OsString;
use std::io::{self, Write};

use crate::error::{io_reason, AppletResult, Failure, UsageError};

pub const USAGE: &str = "\
usage: kill [-s SIGNAL | -SIGNAL | -n NUMBER] PID...
       kill -l [SIGNAL...]
Send SIGNAL (default TERM) to each PID; a negative PID (after --) is a process group.
-l lists the signal names, or translates between names and numbers.
";

/// Linux signal numbers 1–31 in order (asm-generic/signal.h, x86).
const NAMES: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "POLL", "PWR", "SYS",
];
const ALIASES: [(&str, i32); 3] = [("IO", 29), ("IOT", 6), ("CLD", 17)];
const MAX_SIGNAL: i32 = 64;

/// `KILL`, `SIGKILL`, `kill` or `9` → 9.
pub fn signal_number(spec: &str) -> Option<i32> {
    if let Ok(n) = spec.parse::<i32>() {
        return (0..=MAX_SIGNAL).contains(&n).then_some(n);
    }
    let upper = spec.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let pos = NAMES.iter().position(|&n| n == name);
    pos.map(|i| i as i32 + 1)
        .or_else(|| ALIASES.iter().find(|a| a.0 == name).map(|a| a.1))
}

/// 9 → `KILL`; an exit status above 128 (killed by a signal) counts as that signal.
pub fn signal_name(n: i32) -> Option<&'static str> {
    let n = if n > 128 { n - 128 } else { n };
    usize::try_from(n - 1)
        .ok()
        .and_then(|i| NAMES.get(i).copied())
}

#[derive(Debug, PartialEq, Eq)]
pub enum Options {
    /// `-l` alone: every name; with arguments: translate each.
    List(Vec<String>),
    /// The signal and the PID arguments as given (checked one by one when sending).
    Send(i32, Vec<String>),
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let args: Vec<String> = crate::operands(&args);
        let mut sig = None;
        let mut i = 0;
        let bad_signal = |s: &str| UsageError(format!("unknown signal: {s}"));
        while let Some(arg) = args.get(i) {
            i += 1;
            match arg.as_str() {
                "--" => break,
                "-l" | "-L" | "--list" => return Ok(Options::List(args[i..].to_vec())),
                "-s" | "-n" => {
                    let spec = args
                        .get(i)
                        .ok_or_else(|| UsageError(format!("option {arg} needs a signal")))?;
                    sig = Some(signal_number(spec).ok_or_else(|| bad_signal(spec))?);
                    i += 1;
                }
                // A negative number after the signal is a process group, not another signal.
                a if a.starts_with('-') && a.len() > 1 && sig.is_none() => {
                    sig = Some(signal_number(&a[1..]).ok_or_else(|| bad_signal(&a[1..]))?);
                }
                _ => {
                    i -= 1;
                    break;
                }
            }
        }
        let pids = args[i..].to_vec();
        if pids.is_empty() {
            return Err(UsageError("missing PID".into()));
        }
        Ok(Options::Send(sig.unwrap_or(libc::SIGTERM), pids))
    }
}

/// What `kill -l ARGS` prints: all names wrapped like util-linux, or one translation per line.
pub fn list(specs: &[String]) -> Result<String, String> {
    if specs.is_empty() {
        let mut out = String::new();
        let mut col = 0;
        for name in NAMES {
            if col > 0 && col + name.len() >= 72 {
                out.push('\n');
                col = 0;
            } else if col > 0 {
                out.push(' ');
                col += 1;
            }
            out.push_str(name);
            col += name.len();
        }
        out.push('\n');
        return Ok(out);
    }
    let mut out = String::new();
    for spec in specs {
        match spec.parse::<i32>() {
            Ok(n) => out.push_str(signal_name(n).ok_or(format!("{spec}: unknown signal"))?),
            Err(_) => {
                let n = signal_number(spec).ok_or(format!("{spec}: unknown signal"))?;
                out.push_str(&n.to_string());
            }
        }
        out.push('\n');
    }
    Ok(out)
}

/// Send `sig` to each PID argument; one `pid: reason` line per failure.
fn send(sig: i32, pids: &[String]) -> Vec<String> {
    pids.iter()
        .filter_map(|p| {
            let Ok(pid) = p.parse::<libc::pid_t>() else {
                return Some(format!("{p}: invalid process id"));
            };
            // SAFETY: kill(2) takes two integers and touches no memory of ours.
            let r = unsafe { libc::kill(pid, sig) };
            (r != 0).then(|| format!("{p}: {}", io_reason(&io::Error::last_os_error())))
        })
        .collect()
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let errors = match Options::parse(args)? {
        Options::List(specs) => {
            let text = list(&specs).map_err(|message| Failure { message, code: 1 })?;
            io::stdout()
                .write_all(text.as_bytes())
                .map_err(|e| Failure {
                    message: format!("write error: {}", io_reason(&e)),
                    code: 1,
                })?;
            return Ok(0);
        }
        Options::Send(sig, pids) => send(sig, &pids),
    };
    if errors.is_empty() {
        Ok(0)
    } else {
        // One line per PID; the dispatcher prefixes the first.
        Err(Failure {
            message: errors.join("\nkill: "),
            code: 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("kill")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    fn send_opts(sig: i32, pids: &[&str]) -> Options {
        Options::Send(sig, pids.iter().map(|p| p.to_string()).collect())
    }

    #[test]
    fn parse_table() {
        let cases = [
            ("123", send_opts(15, &["123"])),
            ("-9 1 2", send_opts(9, &["1", "2"])),
            ("-KILL 1", send_opts(9, &["1"])),
            ("-SIGhup 1", send_opts(1, &["1"])),
            ("-s USR1 1", send_opts(10, &["1"])),
            ("-n 2 1", send_opts(2, &["1"])),
            ("-9 -- -123", send_opts(9, &["-123"])),
            ("-9 -123", send_opts(9, &["-123"])),
            ("-- -123", send_opts(15, &["-123"])),
            ("-0 42", send_opts(0, &["42"])),
            ("-l", Options::List(vec![])),
            ("-l 9 TERM", Options::List(vec!["9".into(), "TERM".into()])),
        ];
        for (line, want) in cases {
            assert_eq!(Options::parse(args(line)), Ok(want), "{line}");
        }
        let errors = [
            ("", "missing PID"),
            ("-9", "missing PID"),
            ("-FOO 1", "unknown signal: FOO"),
            ("-s", "option -s needs a signal"),
            ("-99 1", "unknown signal: 99"),
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
    fn list_table() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let cases = [
            (s(&["9"]), Ok("KILL\n".to_string())),
            (s(&["137"]), Ok("KILL\n".to_string())),
            (s(&["KILL", "sigterm", "IO"]), Ok("9\n15\n29\n".to_string())),
            (s(&["0"]), Err("0: unknown signal".to_string())),
            (s(&["BOGUS"]), Err("BOGUS: unknown signal".to_string())),
        ];
        for (specs, want) in cases {
            assert_eq!(list(&specs), want, "{specs:?}");
        }
        let all = list(&[]).expect("list");
        assert!(all.starts_with("HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1"));
        assert!(all.lines().all(|l| l.len() < 72), "{all}");
        assert_eq!(all.split_whitespace().count(), 31);
    }

    #[test]
    fn send_reports_each_bad_pid() {
        // Signal 0 only checks; PID 0x7ffffff0 is beyond pid_max, so it cannot exist.
        let pids = [
            "abc".to_string(),
            "2147483632".to_string(),
            std::process::id().to_string(),
        ];
        assert_eq!(
            send(0, &pids),
            ["abc: invalid process id", "2147483632: No such process"]
        );
    }
}
