//! `uptime`: how long the system has been running, and the load averages. procps-ng 4 uptime(1).
//!
//! usage: uptime [-p] [-s]
//!
//! ` 20:41:02 up 3 days,  2:04,  0 user,  load average: 0.00, 0.01, 0.05`: the initramfs keeps
//! no utmp, so the user count is always 0, printed the way procps 4.0.2 prints it without a
//! utmp ("0 user").

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{io_reason, AppletResult, Failure, UsageError};
use crate::procinfo::{clock_text, local_time, now, read_loadavg, up_text, uptime, ProcError};

pub const USAGE: &str = "\
usage: uptime [-p] [-s]
Show the time, how long the system has been up, and the load averages.
  -p, --pretty  only the time up, in words     -s, --since  the time the system booted
";

#[derive(Debug, PartialEq, Eq)]
pub enum Mode {
    Classic,
    Pretty,
    Since,
}

impl Mode {
    pub fn parse(args: Vec<OsString>) -> Result<Mode, UsageError> {
        let mut mode = Mode::Classic;
        for arg in args.iter().skip(1) {
            match arg.to_string_lossy().as_ref() {
                "-p" | "--pretty" => mode = Mode::Pretty,
                "-s" | "--since" => mode = Mode::Since,
                a if a.starts_with('-') => {
                    return Err(UsageError(format!("invalid option -- '{}'", &a[1..])))
                }
                a => return Err(UsageError(format!("extra operand '{a}'"))),
            }
        }
        Ok(mode)
    }
}

/// The classic line, for time `clock` (HH:MM:SS), `secs` up, and the load averages.
pub fn classic(clock: &str, secs: f64, load: [f64; 3]) -> String {
    format!(
        " {clock} up {},  0 user,  load average: {:.2}, {:.2}, {:.2}\n",
        up_text(secs),
        load[0],
        load[1],
        load[2]
    )
}

/// `up 2 weeks, 3 days, 4 hours, 5 minutes` (procps sprint_uptime_pretty).
pub fn pretty(secs: f64) -> String {
    let secs = secs as u64;
    let parts = [
        (secs / (86400 * 365), "year"),
        (secs / (86400 * 7) % 52, "week"),
        (secs / 86400 % 7, "day"),
        (secs / 3600 % 24, "hour"),
        (secs / 60 % 60, "minute"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    if words.is_empty() {
        "up 0 minutes\n".into()
    } else {
        format!("up {}\n", words.join(", "))
    }
}

fn since(boot: i64) -> String {
    local_time(boot).map_or("?\n".into(), |t| {
        format!(
            "{}-{:02}-{:02} {:02}:{:02}:{:02}\n",
            t.year,
            t.mon + 1,
            t.mday,
            t.hour,
            t.min,
            t.sec
        )
    })
}

pub fn report(root: &Path, mode: &Mode) -> Result<String, ProcError> {
    let path: PathBuf = root.join("proc/uptime");
    let secs = uptime(root).ok_or_else(|| ProcError::Read {
        path,
        source: io::Error::from(io::ErrorKind::InvalidData),
    })?;
    let t = now();
    Ok(match mode {
        Mode::Classic => classic(&clock_text(t), secs, read_loadavg(root)?),
        Mode::Pretty => pretty(secs),
        Mode::Since => since(t - secs as i64),
    })
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let mode = Mode::parse(args)?;
    let text = report(Path::new("/"), &mode)?;
    io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| Failure {
            message: format!("write error: {}", io_reason(&e)),
            code: 1,
        })?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_like_procps() {
        assert_eq!(
            classic("20:23:28", 937.11, [2.54, 1.74, 1.02]),
            " 20:23:28 up 15 min,  0 user,  load average: 2.54, 1.74, 1.02\n"
        );
        assert_eq!(
            classic("20:41:02", 3.0 * 86400.0 + 7440.0, [0.0, 0.01, 0.05]),
            " 20:41:02 up 3 days,  2:04,  0 user,  load average: 0.00, 0.01, 0.05\n"
        );
        let cases = [
            (30.0, "up 0 minutes\n"),
            (937.11, "up 15 minutes\n"),
            (3660.0, "up 1 hour, 1 minute\n"),
            (
                (17 * 86400 + 7200 + 180) as f64,
                "up 2 weeks, 3 days, 2 hours, 3 minutes\n",
            ),
        ];
        for (secs, want) in cases {
            assert_eq!(pretty(secs), want, "{secs}");
        }
    }

    #[test]
    fn reads_a_fake_proc() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = dir.path();
        std::fs::create_dir_all(r.join("proc")).expect("mkdir");
        assert!(report(r, &Mode::Pretty).is_err());
        std::fs::write(r.join("proc/uptime"), "937.11 811.01\n").expect("write");
        std::fs::write(r.join("proc/loadavg"), "2.54 1.74 1.02 4/121 28953\n").expect("write");
        assert_eq!(report(r, &Mode::Pretty).expect("report"), "up 15 minutes\n");
        let line = report(r, &Mode::Classic).expect("report");
        assert!(
            line.ends_with(" up 15 min,  0 user,  load average: 2.54, 1.74, 1.02\n"),
            "{line}"
        );
        let s = report(r, &Mode::Since).expect("report");
        assert_eq!(s.len(), "2026-12-01 20:07:52\n".len(), "{s}");
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(Mode::parse(args(&["uptime", "-s"])), Ok(Mode::Since));
        assert!(Mode::parse(args(&["uptime", "-x"])).is_err());
    }
}
