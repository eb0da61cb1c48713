//! `md5sum`, `sha1sum`, `sha224sum`, `sha256sum`, `sha384sum`, `sha512sum`, `b2sum`: print or
//! check message digests. GNU coreutils' *sum(1) interface.
//!
//! usage: md5sum [-b|-t] [--tag] [-z] [FILE...]
//!        md5sum -c [--status|--quiet|-w|--strict|--ignore-missing] [FILE...]
//!
//! Ours rather than uutils': uutils' checksum applets link uucore's `sum` feature, whose CRC
//! tables alone are 700 KB of incompressible data. The digests are RustCrypto's and
//! blake2b_simd, which uucore used too.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};

use digest::Digest;

use crate::error::{io_reason, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: md5sum | sha1sum | sha224sum | sha256sum | sha384sum | sha512sum | b2sum
       [-b|-t] [--tag] [-z] [FILE...]
       -c [--status] [--quiet] [-w|--warn] [--strict] [--ignore-missing] [FILE...]
Print the digest of each FILE (standard input when none or -), or check the digests listed
in FILE. -b/-t mark binary/text mode (the same on Linux); --tag prints BSD-style lines;
b2sum -l BITS sets the BLAKE2b length (multiple of 8, at most 512).
";

/// A digest algorithm and its names: GNU's tag (`SHA256 (f) = …`) and `cksum -a` name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    /// BLAKE2b with this many output bytes.
    Blake2b(usize),
}

impl Algorithm {
    /// By applet name (`sha256sum`) or `cksum -a` name (`sha256`, `blake2b`).
    pub fn by_name(name: &str) -> Option<Algorithm> {
        let name = name.strip_suffix("sum").unwrap_or(name);
        Some(match name {
            "md5" => Algorithm::Md5,
            "sha1" => Algorithm::Sha1,
            "sha224" => Algorithm::Sha224,
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            "b2" | "blake2b" => Algorithm::Blake2b(64),
            _ => return None,
        })
    }

    /// The BSD-style tag GNU prints with `--tag`.
    pub fn tag(self) -> String {
        match self {
            Algorithm::Md5 => "MD5".into(),
            Algorithm::Sha1 => "SHA1".into(),
            Algorithm::Sha224 => "SHA224".into(),
            Algorithm::Sha256 => "SHA256".into(),
            Algorithm::Sha384 => "SHA384".into(),
            Algorithm::Sha512 => "SHA512".into(),
            Algorithm::Blake2b(64) => "BLAKE2b".into(),
            Algorithm::Blake2b(n) => format!("BLAKE2b-{}", n * 8),
        }
    }

    /// Length of the digest in hex digits.
    fn hex_len(self) -> usize {
        2 * match self {
            Algorithm::Md5 => 16,
            Algorithm::Sha1 => 20,
            Algorithm::Sha224 => 28,
            Algorithm::Sha256 => 32,
            Algorithm::Sha384 => 48,
            Algorithm::Sha512 => 64,
            Algorithm::Blake2b(n) => n,
        }
    }

    /// The digest of everything `input` yields, in lower-case hex.
    pub fn digest(self, input: &mut dyn Read) -> io::Result<String> {
        fn feed<D: Digest>(mut d: D, input: &mut dyn Read) -> io::Result<Vec<u8>> {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match input.read(&mut buf) {
                    Ok(0) => return Ok(d.finalize().to_vec()),
                    Ok(n) => d.update(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let bytes = match self {
            Algorithm::Md5 => feed(md5::Md5::new(), input)?,
            Algorithm::Sha1 => feed(sha1::Sha1::new(), input)?,
            Algorithm::Sha224 => feed(sha2::Sha224::new(), input)?,
            Algorithm::Sha256 => feed(sha2::Sha256::new(), input)?,
            Algorithm::Sha384 => feed(sha2::Sha384::new(), input)?,
            Algorithm::Sha512 => feed(sha2::Sha512::new(), input)?,
            Algorithm::Blake2b(len) => {
                let mut state = blake2b_simd::Params::new().hash_length(len).to_state();
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match input.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            state.update(&buf[..n]);
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                state.finalize().as_bytes().to_vec()
            }
        };
        Ok(hex(&bytes))
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// How `-c` reports: GNU's --status, --quiet, --warn, --strict, --ignore-missing.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    pub status: bool,
    pub quiet: bool,
    pub warn: bool,
    pub strict: bool,
    pub ignore_missing: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub algorithm: Algorithm,
    pub binary: bool,
    pub tag: bool,
    pub zero: bool,
    pub check: Option<CheckOptions>,
    pub files: Vec<String>,
}

impl Options {
    pub fn parse(applet: &str, args: &[String]) -> Result<Options, UsageError> {
        let mut algorithm = Algorithm::by_name(applet)
            .ok_or_else(|| UsageError(format!("{applet}: unknown digest")))?;
        let mut o = Options {
            algorithm,
            binary: false,
            tag: false,
            zero: false,
            check: None,
            files: Vec::new(),
        };
        let mut check = CheckOptions::default();
        let mut checking = false;
        let mut length: Option<String> = None;
        let mut it = args.iter();
        let mut only_files = false;
        while let Some(arg) = it.next() {
            if only_files || arg == "-" || !arg.starts_with('-') {
                o.files.push(arg.clone());
                continue;
            }
            if let Some(long) = arg.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                match name {
                    "" => only_files = true,
                    "binary" => o.binary = true,
                    "text" => o.binary = false,
                    "tag" => o.tag = true,
                    "zero" => o.zero = true,
                    "check" => checking = true,
                    "status" => check.status = true,
                    "quiet" => check.quiet = true,
                    "warn" => check.warn = true,
                    "strict" => check.strict = true,
                    "ignore-missing" => check.ignore_missing = true,
                    "length" if matches!(algorithm, Algorithm::Blake2b(_)) => {
                        length = Some(match value {
                            Some(v) => v,
                            None => it
                                .next()
                                .cloned()
                                .ok_or_else(|| UsageError("--length: needs a number".into()))?,
                        })
                    }
                    _ => return Err(UsageError(format!("unrecognized option '{arg}'"))),
                }
                continue;
            }
            let flags: Vec<char> = arg[1..].chars().collect();
            for (i, c) in flags.iter().enumerate() {
                match c {
                    'b' => o.binary = true,
                    't' => o.binary = false,
                    'c' => checking = true,
                    'w' => check.warn = true,
                    'z' => o.zero = true,
                    'l' if matches!(algorithm, Algorithm::Blake2b(_)) => {
                        let rest: String = flags[i + 1..].iter().collect();
                        length = Some(if rest.is_empty() {
                            it.next()
                                .cloned()
                                .ok_or_else(|| UsageError("-l: needs a number".into()))?
                        } else {
                            rest
                        });
                        break;
                    }
                    _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                }
            }
        }
        if let Some(bits) = length {
            let n: usize = bits
                .parse()
                .map_err(|_| UsageError(format!("invalid length: '{bits}'")))?;
            if n == 0 || n > 512 || !n.is_multiple_of(8) {
                return Err(UsageError(format!(
                    "invalid length: '{bits}': a multiple of 8 from 8 to 512"
                )));
            }
            algorithm = Algorithm::Blake2b(n / 8);
            o.algorithm = algorithm;
        }
        if checking {
            if o.tag {
                return Err(UsageError(
                    "the --tag option is meaningless when verifying checksums".into(),
                ));
            }
            o.check = Some(check);
        } else if check != CheckOptions::default() {
            return Err(UsageError(
                "the --status, --quiet, --warn, --strict and --ignore-missing options are meaningful only when verifying checksums".into(),
            ));
        }
        if o.files.is_empty() {
            o.files.push("-".into());
        }
        Ok(o)
    }
}

/// Opens `name` (`-` is standard input).
pub fn open(name: &str) -> io::Result<Box<dyn Read>> {
    if name == "-" {
        Ok(Box::new(io::stdin().lock()))
    } else {
        let f = File::open(name)?;
        if f.metadata()?.is_dir() {
            return Err(io::Error::from_raw_os_error(libc::EISDIR));
        }
        Ok(Box::new(f))
    }
}

/// GNU's output line: names with `\` or newline are escaped and the line starts with `\`.
pub fn format_line(algorithm: Algorithm, digest: &str, name: &str, o: &Options) -> String {
    let (escaped, name) = if !o.zero && (name.contains('\\') || name.contains('\n')) {
        (true, name.replace('\\', "\\\\").replace('\n', "\\n"))
    } else {
        (false, name.to_string())
    };
    let prefix = if escaped { "\\" } else { "" };
    let end = if o.zero { '\0' } else { '\n' };
    if o.tag {
        format!("{prefix}{} ({name}) = {digest}{end}", algorithm.tag())
    } else {
        let mode = if o.binary { '*' } else { ' ' };
        format!("{prefix}{digest} {mode}{name}{end}")
    }
}

/// One line of a checksum list: (digest, file name), in either GNU or BSD-tag form.
pub fn parse_check_line(line: &str, algorithm: Algorithm) -> Option<(String, String)> {
    let (escaped, line) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let unescape = |s: &str| {
        if escaped {
            s.replace("\\n", "\n").replace("\\\\", "\\")
        } else {
            s.to_string()
        }
    };
    let tag = algorithm.tag();
    if let Some(rest) = line.strip_prefix(&tag) {
        let rest = rest.strip_prefix(" (")?;
        let (name, digest) = rest.rsplit_once(") = ")?;
        return valid_hex(digest, algorithm).then(|| (digest.to_ascii_lowercase(), unescape(name)));
    }
    let (digest, rest) = line.split_once(' ')?;
    let name = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('*'))?;
    valid_hex(digest, algorithm).then(|| (digest.to_ascii_lowercase(), unescape(name)))
}

fn valid_hex(s: &str, algorithm: Algorithm) -> bool {
    s.len() == algorithm.hex_len() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Counts of a `-c` run, reported as GNU does at the end.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CheckTally {
    pub ok: usize,
    pub mismatched: usize,
    pub unreadable: usize,
    pub malformed: usize,
}

/// Checks every list in `o.files`; returns the exit status.
pub fn check(applet: &str, o: &Options, c: CheckOptions, out: &mut dyn Write) -> i32 {
    let mut status = 0;
    for list in &o.files {
        let reader = match open(list) {
            Ok(r) => BufReader::new(r),
            Err(e) => {
                eprintln!("{applet}: {list}: {}", io_reason(&e));
                status = 1;
                continue;
            }
        };
        let shown = if list == "-" { "standard input" } else { list };
        let mut tally = CheckTally::default();
        let mut any_line = false;
        for (number, line) in reader.split(b'\n').enumerate() {
            let line = match line {
                Ok(l) => String::from_utf8_lossy(&l)
                    .trim_end_matches('\r')
                    .to_string(),
                Err(e) => {
                    eprintln!("{applet}: {list}: {}", io_reason(&e));
                    status = 1;
                    break;
                }
            };
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let Some((want, name)) = parse_check_line(&line, o.algorithm) else {
                tally.malformed += 1;
                if c.warn {
                    eprintln!(
                        "{applet}: {shown}: {}: improperly formatted {} checksum line",
                        number + 1,
                        o.algorithm.tag()
                    );
                }
                continue;
            };
            any_line = true;
            let got = open(&name).and_then(|mut r| o.algorithm.digest(&mut r));
            let verdict = match got {
                Ok(got) if got == want => {
                    tally.ok += 1;
                    (!c.quiet).then_some("OK")
                }
                Ok(_) => {
                    tally.mismatched += 1;
                    Some("FAILED")
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound && c.ignore_missing => None,
                Err(e) => {
                    tally.unreadable += 1;
                    if !c.status {
                        eprintln!("{applet}: {name}: {}", io_reason(&e));
                    }
                    Some("FAILED open or read")
                }
            };
            if let (Some(v), false) = (verdict, c.status) {
                let _ = writeln!(out, "{name}: {v}");
            }
        }
        if !any_line {
            eprintln!("{applet}: '{shown}': no properly formatted checksum lines found");
            status = 1;
            continue;
        }
        if !c.status {
            let plural = |n: usize, one: &str, many: &str| {
                if n == 1 {
                    one.to_string()
                } else {
                    many.to_string()
                }
            };
            if tally.malformed > 0 {
                eprintln!(
                    "{applet}: WARNING: {} {} improperly formatted",
                    tally.malformed,
                    plural(tally.malformed, "line is", "lines are")
                );
            }
            if tally.unreadable > 0 {
                eprintln!(
                    "{applet}: WARNING: {} listed {} could not be read",
                    tally.unreadable,
                    plural(tally.unreadable, "file", "files")
                );
            }
            if tally.mismatched > 0 {
                eprintln!(
                    "{applet}: WARNING: {} computed {} did NOT match",
                    tally.mismatched,
                    plural(tally.mismatched, "checksum", "checksums")
                );
            }
        }
        if tally.mismatched > 0 || tally.unreadable > 0 || (c.strict && tally.malformed > 0) {
            status = 1;
        }
    }
    status
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let applet = crate::applet_name(&args);
    let rest: Vec<String> = crate::operands(&args);
    let o = Options::parse(&applet, &rest)?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if let Some(c) = o.check {
        return Ok(check(&applet, &o, c, &mut out));
    }
    let mut status = 0;
    for name in &o.files {
        match open(name).and_then(|mut r| o.algorithm.digest(&mut r)) {
            Ok(d) => {
                let _ = out.write_all(format_line(o.algorithm, &d, name, &o).as_bytes());
            }
            Err(e) => {
                let _ = out.flush();
                eprintln!("{applet}: {name}: {}", io_reason(&e));
                status = 1;
            }
        }
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(a: Algorithm, s: &str) -> String {
        a.digest(&mut s.as_bytes()).unwrap_or_default()
    }

    #[test]
    fn known_digests() {
        // RFC 1321 / FIPS 180 / RFC 7693 test vectors of "abc".
        let cases = [
            (Algorithm::Md5, "900150983cd24fb0d6963f7d28e17f72"),
            (Algorithm::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (
                Algorithm::Sha224,
                "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
            ),
            (
                Algorithm::Sha256,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                Algorithm::Blake2b(64),
                "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
            ),
        ];
        for (a, want) in cases {
            assert_eq!(digest(a, "abc"), want, "{a:?}");
        }
        assert_eq!(digest(Algorithm::Sha512, "abc").len(), 128);
        assert_eq!(digest(Algorithm::Sha384, "abc").len(), 96);
        assert_eq!(digest(Algorithm::Blake2b(16), "abc").len(), 32);
    }

    #[test]
    fn options_table() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let o = Options::parse("sha256sum", &s(&["-b", "x"])).unwrap();
        assert!(o.binary && o.files == ["x"]);
        let o = Options::parse("md5sum", &s(&[])).unwrap();
        assert_eq!(o.files, ["-"]);
        let o = Options::parse("b2sum", &s(&["-l", "128"])).unwrap();
        assert_eq!(o.algorithm, Algorithm::Blake2b(16));
        let o = Options::parse("md5sum", &s(&["-c", "--quiet", "list"])).unwrap();
        assert_eq!(o.check.map(|c| c.quiet), Some(true));
        for bad in [&["--status"][..], &["-q"], &["-c", "--tag"], &["--frob"]] {
            assert!(Options::parse("md5sum", &s(bad)).is_err(), "{bad:?}");
        }
        assert!(Options::parse("b2sum", &s(&["-l", "12"])).is_err());
        assert!(Options::parse("md5sum", &s(&["-l", "128"])).is_err());
    }

    #[test]
    fn line_formats_round_trip() {
        let a = Algorithm::Md5;
        let d = "900150983cd24fb0d6963f7d28e17f72";
        let plain = Options::parse("md5sum", &[]).unwrap();
        let tagged = Options::parse("md5sum", &["--tag".to_string()]).unwrap();
        let cases = [
            (&plain, "f", format!("{d}  f\n")),
            (&plain, "a\\b", format!("\\{d}  a\\\\b\n")),
            (&plain, "a\nb", format!("\\{d}  a\\nb\n")),
            (&tagged, "f", format!("MD5 (f) = {d}\n")),
        ];
        for (o, name, want) in cases {
            let line = format_line(a, d, name, o);
            assert_eq!(line, want);
            let parsed = parse_check_line(line.trim_end_matches('\n'), a);
            assert_eq!(parsed, Some((d.to_string(), name.to_string())), "{line:?}");
        }
        assert_eq!(parse_check_line("xyz  f", a), None);
        assert_eq!(parse_check_line(&format!("{d}*f"), a), None);
        assert_eq!(
            parse_check_line(&format!("{d} *f"), a),
            Some((d.into(), "f".into()))
        );
    }
}
