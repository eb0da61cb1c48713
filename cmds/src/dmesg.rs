//! `dmesg`: print or clear the kernel ring buffer. util-linux dmesg(1) subset.
//!
//! usage: dmesg [-r] [-c | -C]
//!
//! Reads /dev/kmsg (record format: the kernel's Documentation/ABI/testing/dev-kmsg), falling
//! back to syslog(2) SYSLOG_ACTION_READ_ALL where /dev/kmsg cannot be opened.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: dmesg [-r] [-c | -C]
Print the kernel ring buffer as [seconds.micros] message.
  -r   raw: keep the <priority> prefix
  -c   clear the buffer after printing it
  -C   clear the buffer without printing
";

// syslog(2) actions.
const SYSLOG_ACTION_READ_ALL: i32 = 3;
const SYSLOG_ACTION_CLEAR: i32 = 5;
const SYSLOG_ACTION_SIZE_BUFFER: i32 = 10;

#[derive(Debug, thiserror::Error)]
pub enum DmesgError {
    #[error("read kernel buffer failed: {}", io_reason(.0))]
    Read(io::Error),
    #[error("clear kernel buffer failed: {}", io_reason(.0))]
    Clear(io::Error),
    #[error("write error: {}", io_reason(.0))]
    Write(io::Error),
}

impl AppletError for DmesgError {}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    raw: bool,
    print: bool,
    clear: bool,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            print: true,
            ..Options::default()
        };
        for arg in args.iter().skip(1) {
            let text = arg.to_string_lossy();
            let letters = text
                .strip_prefix('-')
                .filter(|l| !l.is_empty() && !l.starts_with('-'))
                .ok_or_else(|| UsageError(format!("invalid argument '{text}'")))?;
            for c in letters.chars() {
                match c {
                    'r' => o.raw = true,
                    'c' => o.clear = true,
                    'C' => (o.clear, o.print) = (true, false),
                    _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                }
            }
        }
        Ok(o)
    }
}

/// One /dev/kmsg record: `PRIO,SEQ,USEC,FLAGS[,…];MESSAGE\n[ KEY=VALUE\n…]`.
#[derive(Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Facility and level as in syslog: `facility << 3 | level`.
    pub prio: u32,
    pub usec: u64,
    pub message: &'a str,
}

pub fn parse_kmsg(rec: &[u8]) -> Option<Record<'_>> {
    let text = std::str::from_utf8(rec).ok()?;
    let (header, rest) = text.split_once(';')?;
    let mut fields = header.split(',');
    let prio = fields.next()?.parse().ok()?;
    let _seq = fields.next()?;
    let usec = fields.next()?.parse().ok()?;
    // Continuation lines (` KEY=VALUE`) after the first newline are metadata, not message.
    let message = rest.split('\n').next().unwrap_or_default();
    Some(Record {
        prio,
        usec,
        message,
    })
}

/// `[    1.234567] message`, with `<prio>` in front when raw.
pub fn format_record(r: &Record, raw: bool) -> String {
    let stamp = format!(
        "[{:5}.{:06}] {}",
        r.usec / 1_000_000,
        r.usec % 1_000_000,
        r.message
    );
    if raw {
        format!("<{}>{stamp}", r.prio)
    } else {
        stamp
    }
}

/// A syslog(2) buffer line `<6>[    0.000000] text` as dmesg shows it.
pub fn format_syslog_line(line: &str, raw: bool) -> &str {
    if raw {
        return line;
    }
    match line.strip_prefix('<').and_then(|l| l.split_once('>')) {
        Some((prio, rest)) if prio.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => line,
    }
}

/// Print every record /dev/kmsg (or `path`) holds now, without waiting for new ones.
fn print_kmsg(path: &Path, raw: bool, out: &mut dyn Write) -> Result<(), DmesgError> {
    let mut kmsg = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(DmesgError::Read)?;
    // Start after the last `dmesg -c`, as util-linux does (SEEK_DATA = clear position).
    let _ = nix::unistd::lseek(&kmsg, 0, nix::unistd::Whence::SeekData);
    let mut buf = vec![0u8; 8192];
    loop {
        match kmsg.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                if let Some(r) = parse_kmsg(&buf[..n]) {
                    writeln!(out, "{}", format_record(&r, raw)).map_err(DmesgError::Write)?;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            // EPIPE: records were overwritten while reading; the next read resumes after them.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EPIPE | libc::EINTR)) => {}
            Err(e) => return Err(DmesgError::Read(e)),
        }
    }
}

fn klogctl(action: i32, buf: &mut [u8]) -> io::Result<usize> {
    let len = libc::c_int::try_from(buf.len()).unwrap_or(libc::c_int::MAX);
    // SAFETY: buf is valid for writes of len bytes; actions that take no buffer ignore it.
    let r = unsafe { libc::klogctl(action, buf.as_mut_ptr().cast(), len) };
    usize::try_from(r).map_err(|_| io::Error::last_os_error())
}

fn print_syslog(raw: bool, out: &mut dyn Write) -> Result<(), DmesgError> {
    let size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, &mut []).map_err(DmesgError::Read)?;
    let mut buf = vec![0u8; size.max(4096)];
    let n = klogctl(SYSLOG_ACTION_READ_ALL, &mut buf).map_err(DmesgError::Read)?;
    for line in String::from_utf8_lossy(&buf[..n]).lines() {
        writeln!(out, "{}", format_syslog_line(line, raw)).map_err(DmesgError::Write)?;
    }
    Ok(())
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    if o.print {
        let mut out = BufWriter::new(io::stdout().lock());
        if print_kmsg(Path::new("/dev/kmsg"), o.raw, &mut out).is_err() {
            print_syslog(o.raw, &mut out)?;
        }
        out.flush().map_err(DmesgError::Write)?;
    }
    if o.clear {
        klogctl(SYSLOG_ACTION_CLEAR, &mut []).map_err(DmesgError::Clear)?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let args = |s: &str| {
            std::iter::once("dmesg")
                .chain(s.split_whitespace())
                .map(OsString::from)
                .collect::<Vec<_>>()
        };
        let o = |raw, print, clear| Options { raw, print, clear };
        let cases = [
            ("", Ok(o(false, true, false))),
            ("-r", Ok(o(true, true, false))),
            ("-c", Ok(o(false, true, true))),
            ("-rc", Ok(o(true, true, true))),
            ("-C", Ok(o(false, false, true))),
            ("-x", Err(UsageError("invalid option -- 'x'".into()))),
            ("now", Err(UsageError("invalid argument 'now'".into()))),
        ];
        for (line, want) in cases {
            assert_eq!(Options::parse(args(line)), want, "{line}");
        }
    }

    /// A raw record and its (prio, usec, message), if it parses.
    type KmsgCase = (&'static [u8], Option<(u32, u64, &'static str)>);

    #[test]
    fn kmsg_records() {
        let cases: &[KmsgCase] = &[
            (
                b"6,339,5140900,-;NET: Registered protocol family 10\n",
                Some((6, 5140900, "NET: Registered protocol family 10")),
            ),
            (
                b"30,340,5690716,-,caller=T1;udevd[80]: starting\n SUBSYSTEM=acpi\n DEVICE=+acpi:PNP0A03:00\n",
                Some((30, 5690716, "udevd[80]: starting")),
            ),
            (b"5,0,0,-;Linux version 6.1.0 (x;y)\n", Some((5, 0, "Linux version 6.1.0 (x;y)"))),
            (b"4,1,7,c;no newline", Some((4, 7, "no newline"))),
            (b"6,2,3,-;\n", Some((6, 3, ""))),
            (b"garbage", None),
            (b"x,1,2,-;msg\n", None),
            (b"6,1;msg\n", None),
            (b"\xff,1,2,-;msg", None),
        ];
        for &(rec, want) in cases {
            let got = parse_kmsg(rec).map(|r| (r.prio, r.usec, r.message));
            assert_eq!(got, want, "{}", String::from_utf8_lossy(rec));
        }
    }

    #[test]
    fn formatting_like_util_linux() {
        let r = |prio, usec, message| Record {
            prio,
            usec,
            message,
        };
        let cases = [
            (r(6, 1_234_567, "hello"), false, "[    1.234567] hello"),
            (
                r(6, 0, "Linux version"),
                false,
                "[    0.000000] Linux version",
            ),
            (r(3, 123_456_000_001, "late"), false, "[123456.000001] late"),
            (r(30, 5_690_716, "udevd"), true, "<30>[    5.690716] udevd"),
        ];
        for (rec, raw, want) in cases {
            assert_eq!(format_record(&rec, raw), want);
        }
        let lines = [
            ("<6>[    0.000000] Linux", false, "[    0.000000] Linux"),
            ("<6>[    0.000000] Linux", true, "<6>[    0.000000] Linux"),
            ("<x>odd", false, "<x>odd"),
            ("plain", false, "plain"),
        ];
        for (line, raw, want) in lines {
            assert_eq!(format_syslog_line(line, raw), want);
        }
    }
}
