//! `strings`: print the runs of printable characters in files. GNU binutils strings(1) subset.
//!
//! usage: strings [-afow] [-n N | -N | --bytes=N] [-t d|o|x] [-s SEP] [-e s|S] [FILE...]
//!
//! Like binutils since 2.26, the whole file is scanned (`-a` is the default and `-d` is
//! accepted but also scans everything: we read no object-file headers). A run is a sequence of
//! at least N (default 4) bytes that are printable ASCII or tab (`-w`: any whitespace;
//! `-e S`: also bytes above 127). Stdin is read when there is no FILE or for `-`.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;

use crate::error::{io_reason, AppletResult, Failure, UsageError};

pub const USAGE: &str = "\
usage: strings [OPTION...] [FILE...]
Print the sequences of printable characters in each FILE (stdin if none).
-a, --all                 scan the whole file (the default; -d is the same here)
-f, --print-file-name     print the file name before each string
-n N, -N, --bytes=N       minimum string length (default 4)
-t d|o|x, --radix=R       print the offset of each string in decimal, octal or hex
-o                        like -t o
-w, --include-all-whitespace  newlines and other whitespace belong to strings
-s SEP, --output-separator=SEP  end each string with SEP instead of a newline
-e s|S, --encoding=E      7-bit characters (default), or 8-bit (S)
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Radix {
    Octal,
    Decimal,
    Hex,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub min_len: usize,
    pub radix: Option<Radix>,
    pub print_name: bool,
    pub all_whitespace: bool,
    pub eight_bit: bool,
    pub separator: Vec<u8>,
    pub files: Vec<OsString>,
}

fn parse_min(s: &str) -> Result<usize, UsageError> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(UsageError(format!("invalid minimum string length {s}"))),
    }
}

fn parse_radix(s: &str) -> Result<Radix, UsageError> {
    match s {
        "o" => Ok(Radix::Octal),
        "d" => Ok(Radix::Decimal),
        "x" => Ok(Radix::Hex),
        _ => Err(UsageError(format!("invalid radix: {s}"))),
    }
}

fn parse_encoding(s: &str) -> Result<bool, UsageError> {
    match s {
        "s" => Ok(false),
        "S" => Ok(true),
        _ => Err(UsageError(format!(
            "invalid encoding: {s} (supported: s, S)"
        ))),
    }
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            min_len: 4,
            radix: None,
            print_name: false,
            all_whitespace: false,
            eight_bit: false,
            separator: b"\n".to_vec(),
            files: Vec::new(),
        };
        let mut it = args.into_iter().skip(1);
        let missing = |opt: &str| UsageError(format!("option requires an argument -- '{opt}'"));
        while let Some(arg) = it.next() {
            let s = arg.to_string_lossy().into_owned();
            if s == "--" {
                o.files.extend(it.by_ref());
                break;
            }
            if let Some(long) = s.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                let mut value = |opt: &str| match value.clone() {
                    Some(v) => Ok(v),
                    None => it
                        .next()
                        .map(|v| v.to_string_lossy().into_owned())
                        .ok_or_else(|| missing(opt)),
                };
                match name {
                    "all" | "data" => {}
                    "print-file-name" => o.print_name = true,
                    "include-all-whitespace" => o.all_whitespace = true,
                    "bytes" => o.min_len = parse_min(&value("bytes")?)?,
                    "radix" => o.radix = Some(parse_radix(&value("radix")?)?),
                    "output-separator" => o.separator = value("output-separator")?.into_bytes(),
                    "encoding" => o.eight_bit = parse_encoding(&value("encoding")?)?,
                    _ => return Err(UsageError(format!("unrecognized option '--{name}'"))),
                }
                continue;
            }
            if s.len() < 2 || !s.starts_with('-') {
                o.files.push(arg);
                continue;
            }
            // `-8` is `-n 8`.
            if s[1..].bytes().all(|b| b.is_ascii_digit()) {
                o.min_len = parse_min(&s[1..])?;
                continue;
            }
            let flags = &s[1..];
            for (i, c) in flags.char_indices() {
                let attached = &flags[i + c.len_utf8()..];
                let mut value = || {
                    if attached.is_empty() {
                        it.next()
                            .map(|v| v.to_string_lossy().into_owned())
                            .ok_or_else(|| missing(&c.to_string()))
                    } else {
                        Ok(attached.to_string())
                    }
                };
                match c {
                    'a' | 'd' => {}
                    'f' => o.print_name = true,
                    'w' => o.all_whitespace = true,
                    'o' => o.radix = Some(Radix::Octal),
                    'n' => {
                        o.min_len = parse_min(&value()?)?;
                        break;
                    }
                    't' => {
                        o.radix = Some(parse_radix(&value()?)?);
                        break;
                    }
                    's' => {
                        o.separator = value()?.into_bytes();
                        break;
                    }
                    'e' => {
                        o.eight_bit = parse_encoding(&value()?)?;
                        break;
                    }
                    _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                }
            }
        }
        Ok(o)
    }

    /// binutils' STRING_ISGRAPHIC: tab or printable ASCII, plus what -w and -e S add.
    fn is_string_byte(&self, b: u8) -> bool {
        b == b'\t'
            || (0x20..0x7f).contains(&b)
            || (self.eight_bit && b > 127)
            || (self.all_whitespace && matches!(b, b'\n' | b'\r' | 0x0b | 0x0c))
    }
}

/// The scanner's state across reads: the run being collected and where it started.
struct Scanner<'a> {
    opts: &'a Options,
    name: &'a [u8],
    run: Vec<u8>,
    start: u64,
    offset: u64,
}

impl Scanner<'_> {
    fn feed(&mut self, buf: &[u8], out: &mut impl Write) -> io::Result<()> {
        for &b in buf {
            if self.opts.is_string_byte(b) {
                if self.run.is_empty() {
                    self.start = self.offset;
                }
                self.run.push(b);
            } else if !self.run.is_empty() {
                self.emit(out)?;
            }
            self.offset += 1;
        }
        Ok(())
    }

    fn emit(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.run.len() >= self.opts.min_len {
            if self.opts.print_name {
                out.write_all(self.name)?;
                out.write_all(b": ")?;
            }
            match self.opts.radix {
                Some(Radix::Octal) => write!(out, "{:>7o} ", self.start)?,
                Some(Radix::Decimal) => write!(out, "{:>7} ", self.start)?,
                Some(Radix::Hex) => write!(out, "{:>7x} ", self.start)?,
                None => {}
            }
            out.write_all(&self.run)?;
            out.write_all(&self.opts.separator)?;
        }
        self.run.clear();
        Ok(())
    }
}

/// Why one input could not be scanned (the others still are; exit status 1).
enum InputError {
    Open(io::Error),
    Read(io::Error),
    Write(io::Error),
    Directory,
}

fn scan(
    opts: &Options,
    name: &[u8],
    mut input: impl Read,
    out: &mut impl Write,
) -> Result<(), InputError> {
    let mut sc = Scanner {
        opts,
        name,
        run: Vec::new(),
        start: 0,
        offset: 0,
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(InputError::Read(e)),
        };
        sc.feed(&buf[..n], out).map_err(InputError::Write)?;
    }
    if !sc.run.is_empty() {
        sc.emit(out).map_err(InputError::Write)?;
    }
    Ok(())
}

fn scan_path(opts: &Options, path: &OsString, out: &mut impl Write) -> Result<(), InputError> {
    if path.as_bytes() == b"-" {
        return scan(opts, b"{standard input}", io::stdin().lock(), out);
    }
    let file = File::open(path).map_err(InputError::Open)?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(InputError::Directory);
    }
    scan(opts, path.as_bytes(), file, out)
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    // binutils exits 1 on bad options too (its usage() is usage(stderr, 1)).
    let mut opts = Options::parse(args).map_err(|e| Failure {
        message: e.0,
        code: 1,
    })?;
    if opts.files.is_empty() {
        opts.files.push("-".into());
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let mut status = 0;
    for path in &opts.files {
        let shown = path.to_string_lossy();
        match scan_path(&opts, path, &mut out) {
            Ok(()) => {}
            Err(InputError::Write(e)) => {
                return Err(Failure {
                    message: format!("write error: {}", io_reason(&e)),
                    code: 1,
                })
            }
            Err(InputError::Open(e)) | Err(InputError::Read(e)) => {
                let _ = out.flush();
                eprintln!("strings: {shown}: {}", io_reason(&e));
                status = 1;
            }
            Err(InputError::Directory) => {
                let _ = out.flush();
                eprintln!("strings: {shown}: Is a directory");
                status = 1;
            }
        }
    }
    out.flush().map_err(|e| Failure {
        message: format!("write error: {}", io_reason(&e)),
        code: 1,
    })?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<Options, UsageError> {
        let mut args = vec![OsString::from("strings")];
        args.extend(v.iter().map(OsString::from));
        Options::parse(args)
    }

    #[test]
    fn parse_table() {
        // (args, min_len, radix, print_name, files)
        type Want = (usize, Option<Radix>, bool, &'static [&'static str]);
        let cases: [(&[&str], Option<Want>); 14] = [
            (&[], Some((4, None, false, &[]))),
            (&["-n", "8", "f"], Some((8, None, false, &["f"]))),
            (&["-n8"], Some((8, None, false, &[]))),
            (&["-12", "f"], Some((12, None, false, &["f"]))),
            (&["--bytes=3"], Some((3, None, false, &[]))),
            (&["--bytes", "3"], Some((3, None, false, &[]))),
            (&["-t", "x"], Some((4, Some(Radix::Hex), false, &[]))),
            (
                &["-tx", "-f", "a", "b"],
                Some((4, Some(Radix::Hex), true, &["a", "b"])),
            ),
            (&["-afo"], Some((4, Some(Radix::Octal), true, &[]))),
            (
                &["--radix=d", "--", "-f"],
                Some((4, Some(Radix::Decimal), false, &["-f"])),
            ),
            (&["-n", "0"], None),
            (&["-t", "q"], None),
            (&["-n"], None),
            (&["-z"], None),
        ];
        for (args, want) in cases {
            let got = parse(args)
                .ok()
                .map(|o| (o.min_len, o.radix, o.print_name, o.files));
            let want = want.map(|(n, r, p, f)| (n, r, p, f.iter().map(OsString::from).collect()));
            assert_eq!(got, want, "{args:?}");
        }
    }

    #[test]
    fn scan_table() {
        let cases: [(&[&str], &[u8], &str); 6] = [
            (
                &[],
                b"ab\x01hello\tworld\x00xy\nlonger\x7f\xe9abcd",
                "hello\tworld\nlonger\nabcd\n",
            ),
            (&["-n", "2"], b"ab\x01c\x00de", "ab\nde\n"),
            (&["-t", "x"], b"\x00\x00abcd\x00", "      2 abcd\n"),
            (
                &["-t", "o", "-f"],
                b"\0\0\0\0\0\0\0\0wxyz",
                "in:      10 wxyz\n",
            ),
            (&["-w"], b"abc\ndef\x00", "abc\ndef\n"),
            (&["-e", "S"], b"ab\xe9\xe9", "ab\u{fffd}\u{fffd}\n"),
        ];
        for (args, input, want) in cases {
            let opts = parse(args).expect("options");
            let mut out = Vec::new();
            assert!(scan(&opts, b"in", input, &mut out).is_ok());
            assert_eq!(String::from_utf8_lossy(&out), want, "{args:?}");
        }
    }
}
