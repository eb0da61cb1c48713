//! `hexdump`: show file contents in hex, octal, decimal or characters. Mirrors util-linux
//! hexdump(1) with its built-in formats; `-e`/`-f` (format strings) are not supported.
//!
//! usage: hexdump [-bcCdovx] [-n LENGTH] [-s OFFSET] [FILE...]
//!
//! A format is a list of "format strings" (one per output part of a block) made of "units"
//! (a repeat count and conversions), as in hexdump(1) FORMATS; the built-in options are
//! written as such tables, so `-c -b` interleaves like util-linux does.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

use crate::error::{io_reason, AppletResult, Failure};

pub const USAGE: &str = "\
usage: hexdump [options] [FILE...]
Display file contents in hexadecimal, decimal, octal, or ascii.
  -b, --one-byte-octal      one-byte octal display
  -c, --one-byte-char       one-byte character display
  -C, --canonical           canonical hex+ASCII display
  -d, --two-bytes-decimal   two-byte decimal display
  -o, --two-bytes-octal     two-byte octal display
  -x, --two-bytes-hex       two-byte hexadecimal display
  -n, --length LENGTH       interpret only LENGTH bytes of input
  -s, --skip OFFSET         skip OFFSET bytes from the beginning
  -v, --no-squeezing        output identical lines (no '*')
LENGTH and OFFSET take suffixes KiB (=1024), MiB, GiB... or KB (=1000), MB...
";

/// Bytes per block: every built-in format consumes 16.
const BLOCK: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Radix {
    Hex,
    Octal,
    Decimal,
}

/// One conversion of hexdump(1) FORMATS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    /// Text only.
    Text,
    /// `%0W.W_ax`: the offset of the block.
    Address(usize),
    /// `%0Wx` `%0Wo` `%0Wu` over `bytes` bytes (little endian).
    Int {
        bytes: usize,
        radix: Radix,
        width: usize,
    },
    /// `%W_c`: the character, or a C escape, or three octal digits.
    Char(usize),
    /// `%_p`: the character, or `.`.
    Printable,
}

impl Conv {
    fn bytes(self) -> usize {
        match self {
            Conv::Int { bytes, .. } => bytes,
            Conv::Char(_) | Conv::Printable => 1,
            Conv::Text | Conv::Address(_) => 0,
        }
    }

    fn width(self) -> usize {
        match self {
            Conv::Int { width, .. } | Conv::Char(width) | Conv::Address(width) => width,
            Conv::Text | Conv::Printable => 0,
        }
    }
}

/// Text, a conversion, more text: `"  %05u "` is `Pr { pre: "  ", conv, post: " " }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pr {
    pub pre: &'static str,
    pub conv: Conv,
    pub post: &'static str,
}

/// `reps/bytes "format"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub reps: usize,
    pub prs: Vec<Pr>,
}

pub type FormatString = Vec<Unit>;

fn text(t: &'static str) -> Unit {
    Unit {
        reps: 1,
        prs: vec![Pr {
            pre: t,
            conv: Conv::Text,
            post: "",
        }],
    }
}

fn unit(reps: usize, pre: &'static str, conv: Conv, post: &'static str) -> Unit {
    Unit {
        reps,
        prs: vec![Pr { pre, conv, post }],
    }
}

/// The built-in formats (util-linux hexdump.c): which display option, the format strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    OneByteOctal,
    OneByteChar,
    Canonical,
    TwoBytesDecimal,
    TwoBytesOctal,
    TwoBytesHex,
    /// No option at all: `"%07.7_ax " 8/2 "%04x " "\n"`.
    Default,
}

impl Builtin {
    /// Format strings for each block, and the width of the final offset line.
    pub fn format(self) -> (Vec<FormatString>, usize) {
        let int = |bytes, radix, width| Conv::Int {
            bytes,
            radix,
            width,
        };
        let line = |reps, pre, conv| {
            vec![vec![
                unit(1, "", Conv::Address(7), " "),
                unit(reps, pre, conv, " "),
                text("\n"),
            ]]
        };
        match self {
            Builtin::OneByteOctal => (line(16, "", int(1, Radix::Octal, 3)), 7),
            Builtin::OneByteChar => (line(16, "", Conv::Char(3)), 7),
            Builtin::TwoBytesDecimal => (line(8, "  ", int(2, Radix::Decimal, 5)), 7),
            Builtin::TwoBytesOctal => (line(8, " ", int(2, Radix::Octal, 6)), 7),
            Builtin::TwoBytesHex => (line(8, "   ", int(2, Radix::Hex, 4)), 7),
            Builtin::Default => (line(8, "", int(2, Radix::Hex, 4)), 7),
            Builtin::Canonical => {
                let byte = int(1, Radix::Hex, 2);
                let hex = vec![
                    unit(1, "", Conv::Address(8), "  "),
                    unit(8, "", byte, " "),
                    text("  "),
                    unit(8, "", byte, " "),
                ];
                let ascii = vec![text("  |"), unit(16, "", Conv::Printable, ""), text("|\n")];
                (vec![hex, ascii], 8)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub formats: Vec<Builtin>,
    pub length: Option<u64>,
    pub skip: u64,
    pub all: bool,
    pub files: Vec<OsString>,
}

/// util-linux `strtosize`: a number (C base 0: `0x10`, `010`, `16`) with an optional
/// K/M/G/T/P/E suffix, binary (`K`, `KiB`) or decimal (`KB`).
pub fn parse_size(s: &str) -> Option<u64> {
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let n = u64::from_str_radix(&digits[..end], radix).ok()?;
    let suffix = &digits[end..];
    if suffix.is_empty() {
        return Some(n);
    }
    let mut chars = suffix.chars();
    let letter = chars.next()?.to_ascii_uppercase();
    let power = "KMGTPE".find(letter)? as u32 + 1;
    let base: u64 = match chars.as_str() {
        "" | "iB" => 1024,
        "B" => 1000,
        _ => return None,
    };
    n.checked_mul(base.checked_pow(power)?)
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, Failure> {
        let usage = |m: String| Failure {
            message: format!("{m}\nTry 'hexdump --help' for more information."),
            code: 1,
        };
        let mut o = Options {
            formats: Vec::new(),
            length: None,
            skip: 0,
            all: false,
            files: Vec::new(),
        };
        let mut i = 1;
        let mut only_files = false;
        while let Some(arg) = args.get(i) {
            i += 1;
            let s = arg.to_string_lossy().into_owned();
            if only_files || !s.starts_with('-') || s == "-" {
                o.files.push(arg.clone());
                continue;
            }
            if s == "--" {
                only_files = true;
                continue;
            }
            // Long options become their short letter; `--skip=N` keeps its value.
            let mut shorts: Vec<(char, Option<String>)> = Vec::new();
            if let Some(long) = s.strip_prefix("--") {
                let (name, val) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                let letter = match name {
                    "one-byte-octal" => 'b',
                    "one-byte-char" => 'c',
                    "canonical" => 'C',
                    "two-bytes-decimal" => 'd',
                    "two-bytes-octal" => 'o',
                    "two-bytes-hex" => 'x',
                    "length" => 'n',
                    "skip" => 's',
                    "no-squeezing" => 'v',
                    _ => return Err(usage(format!("unrecognized option '{s}'"))),
                };
                shorts.push((letter, val));
            } else {
                let body: Vec<char> = s.chars().skip(1).collect();
                let mut k = 0;
                while k < body.len() {
                    let c = body[k];
                    k += 1;
                    if matches!(c, 'n' | 's') {
                        let rest: String = body[k..].iter().collect();
                        shorts.push((c, (!rest.is_empty()).then_some(rest)));
                        break;
                    }
                    shorts.push((c, None));
                }
            }
            for (c, val) in shorts {
                match c {
                    'b' => o.formats.push(Builtin::OneByteOctal),
                    'c' => o.formats.push(Builtin::OneByteChar),
                    'C' => o.formats.push(Builtin::Canonical),
                    'd' => o.formats.push(Builtin::TwoBytesDecimal),
                    'o' => o.formats.push(Builtin::TwoBytesOctal),
                    'x' => o.formats.push(Builtin::TwoBytesHex),
                    'v' => o.all = true,
                    'n' | 's' => {
                        let v = match val {
                            Some(v) => v,
                            None => {
                                let v = args.get(i).map(|a| a.to_string_lossy().into_owned());
                                i += 1;
                                v.ok_or_else(|| {
                                    usage(format!("option requires an argument -- '{c}'"))
                                })?
                            }
                        };
                        let what = if c == 'n' { "length" } else { "offset" };
                        let n = parse_size(&v).ok_or_else(|| Failure {
                            message: format!("failed to parse {what}: '{v}': Invalid argument"),
                            code: 1,
                        })?;
                        if c == 'n' {
                            o.length = Some(n);
                        } else {
                            o.skip = n;
                        }
                    }
                    'e' | 'f' => {
                        return Err(usage(format!(
                            "option -{c} (format strings) is not supported"
                        )))
                    }
                    _ => return Err(usage(format!("invalid option -- '{c}'"))),
                }
            }
        }
        if o.formats.is_empty() {
            o.formats.push(Builtin::Default);
        }
        Ok(o)
    }
}

/// C `isprint` in the C locale.
fn is_print(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

fn pad(s: &str, width: usize) -> String {
    format!("{s:>width$}")
}

/// One conversion of the bytes at the start of `data`.
fn convert(conv: Conv, data: &[u8], address: u64) -> String {
    match conv {
        Conv::Text => String::new(),
        Conv::Address(w) => format!("{address:0w$x}"),
        Conv::Int {
            bytes,
            radix,
            width: w,
        } => {
            let mut v: u64 = 0;
            for (k, &b) in data.iter().take(bytes).enumerate() {
                v |= (b as u64) << (8 * k);
            }
            match radix {
                Radix::Hex => format!("{v:0w$x}"),
                Radix::Octal => format!("{v:0w$o}"),
                Radix::Decimal => format!("{v:0w$}"),
            }
        }
        Conv::Char(w) => {
            let b = data.first().copied().unwrap_or(0);
            let s = match b {
                0 => "\\0".to_string(),
                7 => "\\a".to_string(),
                8 => "\\b".to_string(),
                0x0c => "\\f".to_string(),
                b'\n' => "\\n".to_string(),
                b'\r' => "\\r".to_string(),
                b'\t' => "\\t".to_string(),
                0x0b => "\\v".to_string(),
                b if is_print(b) => (b as char).to_string(),
                b => format!("{b:03o}"),
            };
            pad(&s, w)
        }
        Conv::Printable => {
            let b = data.first().copied().unwrap_or(0);
            (if is_print(b) { b as char } else { '.' }).to_string()
        }
    }
}

/// Print one block through every format string. `valid` is how many bytes of it are real
/// (the rest, zero-filled, print as blanks of the conversion's width: util-linux `bpad`).
pub fn render_block(formats: &[FormatString], block: &[u8], address: u64, valid: usize) -> String {
    let mut out = String::new();
    for fs in formats {
        let mut at = 0usize;
        for u in fs {
            for rep in 0..u.reps {
                for (k, pr) in u.prs.iter().enumerate() {
                    out.push_str(pr.pre);
                    if pr.conv == Conv::Text {
                        // nothing more
                    } else if at >= valid {
                        out.push_str(&" ".repeat(pr.conv.width()));
                    } else {
                        out.push_str(&convert(
                            pr.conv,
                            block.get(at..).unwrap_or(&[]),
                            address + at as u64,
                        ));
                    }
                    // hexdump(1): the last iteration of a repeated unit drops the trailing
                    // whitespace character of its format.
                    let last = u.reps > 1 && rep + 1 == u.reps && k + 1 == u.prs.len();
                    match pr.post.chars().last() {
                        Some(c) if last && c.is_whitespace() => {
                            out.push_str(&pr.post[..pr.post.len() - c.len_utf8()])
                        }
                        _ => out.push_str(pr.post),
                    }
                    at += pr.conv.bytes();
                }
            }
        }
    }
    out
}

/// The input: every file in turn as one stream (stdin without files).
struct Inputs {
    names: Vec<OsString>,
    next: usize,
    current: Option<Box<dyn Read>>,
    /// Files that could not be opened (already reported).
    failed: usize,
}

impl Inputs {
    fn open_next(&mut self) -> Option<(Box<dyn Read>, Option<File>)> {
        if self.names.is_empty() {
            if self.next > 0 {
                return None;
            }
            self.next = 1;
            return Some((Box::new(io::stdin()), None));
        }
        while let Some(name) = self.names.get(self.next) {
            self.next += 1;
            match File::open(name) {
                Ok(f) => match f.try_clone() {
                    Ok(g) => return Some((Box::new(f), Some(g))),
                    Err(e) => self.report(name.clone(), &e),
                },
                Err(e) => self.report(name.clone(), &e),
            }
        }
        None
    }

    fn report(&mut self, name: OsString, e: &io::Error) {
        // Several files may fail and the dump goes on, so each is reported as it happens.
        eprintln!("hexdump: {}: {}", name.to_string_lossy(), io_reason(e));
        self.failed += 1;
    }
}

/// Skip `skip` bytes across the inputs the way util-linux does: a regular file smaller than
/// what is left is skipped whole; otherwise seek (a pipe cannot: "Illegal seek").
fn skip_inputs(inputs: &mut Inputs, mut skip: u64, address: &mut u64) -> Result<(), Failure> {
    while skip > 0 {
        let Some((reader, file)) = inputs.open_next() else {
            return Ok(());
        };
        let name = inputs
            .names
            .get(inputs.next.wrapping_sub(1))
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "stdin".into());
        let seek_err = |e: io::Error| Failure {
            message: format!("{name}: {}", io_reason(&e)),
            code: 1,
        };
        let mut seeker: Box<dyn SeekOnly> = match file {
            Some(f) => Box::new(f),
            None => Box::new(StdinSeek),
        };
        let size = seeker.size().map_err(seek_err)?;
        if let Some(size) = size.filter(|&s| skip >= s) {
            skip -= size;
            *address += size;
            continue;
        }
        seeker.seek_to(skip).map_err(seek_err)?;
        *address += skip;
        skip = 0;
        inputs.current = Some(reader);
    }
    Ok(())
}

/// The seeking part of an input.
trait SeekOnly {
    /// The size when it is a regular file.
    fn size(&mut self) -> io::Result<Option<u64>>;
    fn seek_to(&mut self, at: u64) -> io::Result<()>;
}

impl SeekOnly for File {
    fn size(&mut self) -> io::Result<Option<u64>> {
        let m = self.metadata()?;
        Ok(m.is_file().then_some(m.len()))
    }
    fn seek_to(&mut self, at: u64) -> io::Result<()> {
        self.seek(SeekFrom::Start(at)).map(drop)
    }
}

struct StdinSeek;

impl SeekOnly for StdinSeek {
    fn size(&mut self) -> io::Result<Option<u64>> {
        let st = nix::sys::stat::fstat(io::stdin()).map_err(io::Error::from)?;
        let regular = st.st_mode & libc::S_IFMT == libc::S_IFREG;
        Ok(regular.then_some(st.st_size as u64))
    }
    fn seek_to(&mut self, at: u64) -> io::Result<()> {
        nix::unistd::lseek(io::stdin(), at as i64, nix::unistd::Whence::SeekCur)
            .map(drop)
            .map_err(io::Error::from)
    }
}

impl Read for Inputs {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.current.is_none() {
                match self.open_next() {
                    Some((r, _)) => self.current = Some(r),
                    None => return Ok(0),
                }
            }
            let Some(r) = self.current.as_mut() else {
                return Ok(0);
            };
            match r.read(buf) {
                Ok(0) => self.current = None,
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Dump `input` (already past the skipped part, which started at `address`).
pub fn dump(
    o: &Options,
    input: &mut impl Read,
    out: &mut impl Write,
    mut address: u64,
) -> io::Result<()> {
    let mut formats = Vec::new();
    let mut end_width = 7;
    for b in &o.formats {
        let (f, w) = b.format();
        formats.extend(f);
        end_width = w;
    }
    if o.length == Some(0) {
        return Ok(());
    }
    let mut input = input.take(o.length.unwrap_or(u64::MAX));
    let mut previous: Option<[u8; BLOCK]> = None;
    let mut squeezing = false;
    let mut end = None;
    loop {
        let mut block = [0u8; BLOCK];
        let n = read_full(&mut input, &mut block)?;
        if n == 0 {
            break;
        }
        if n < BLOCK {
            out.write_all(render_block(&formats, &block, address, n).as_bytes())?;
            end = Some(address + n as u64);
            break;
        }
        if !o.all && previous == Some(block) {
            if !squeezing {
                out.write_all(b"*\n")?;
                squeezing = true;
            }
        } else {
            squeezing = false;
            out.write_all(render_block(&formats, &block, address, n).as_bytes())?;
            previous = Some(block);
        }
        address += BLOCK as u64;
    }
    let end = match end {
        Some(e) => e,
        None if address == 0 => return out.flush(),
        None => address,
    };
    writeln!(out, "{end:0end_width$x}")?;
    out.flush()
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let mut inputs = Inputs {
        names: o.files.clone(),
        next: 0,
        current: None,
        failed: 0,
    };
    let mut address = 0;
    skip_inputs(&mut inputs, o.skip, &mut address)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    dump(&o, &mut inputs, &mut out, address).map_err(|e| Failure {
        message: io_reason(&e),
        code: 1,
    })?;
    if !o.files.is_empty() && inputs.failed == o.files.len() {
        return Err(Failure {
            message: "all input file arguments failed".into(),
            code: 1,
        });
    }
    Ok(if inputs.failed > 0 { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(args: &[&str]) -> Options {
        let mut v = vec![OsString::from("hexdump")];
        v.extend(args.iter().map(OsString::from));
        Options::parse(v).unwrap()
    }

    fn dumped(args: &[&str], data: &[u8]) -> String {
        let mut out = Vec::new();
        dump(&opts(args), &mut &data[..], &mut out, 0).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn sizes_parse_like_strtosize() {
        let cases = [
            ("16", Some(16)),
            ("0x10", Some(16)),
            ("010", Some(8)),
            ("1K", Some(1024)),
            ("1k", Some(1024)),
            ("1KiB", Some(1024)),
            ("1KB", Some(1000)),
            ("2M", Some(2 << 20)),
            ("2b", None),
            ("-1", None),
            ("", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_size(s), want, "{s}");
        }
    }

    #[test]
    fn options_parse() {
        let o = opts(&["-Cv", "-n5", "-s", "1k", "--two-bytes-hex", "f"]);
        assert_eq!(o.formats, vec![Builtin::Canonical, Builtin::TwoBytesHex]);
        assert_eq!((o.length, o.skip, o.all), (Some(5), 1024, true));
        assert_eq!(o.files, vec![OsString::from("f")]);
        let bad = Options::parse(vec!["hexdump".into(), "-Z".into()]).unwrap_err();
        assert_eq!(bad.code, 1);
    }

    #[test]
    fn builtin_formats() {
        let hello = b"Hello, world!\nabc";
        // Every line of the one- and two-byte formats is 71 columns wide, padded at the end.
        let line = |s: &str, end: &str| format!("{s:<71}\n{end}\n");
        let cases: [(&[&str], String); 7] = [
            (&[], "0000000 6548 6c6c 2c6f 7720 726f 646c 0a21 6261\n0000010 0063                                   \n0000011\n".into()),
            (&["-C"], "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 61 62  |Hello, world!.ab|\n00000010  63                                                |c|\n00000011\n".into()),
            (&["-b", "-n", "3"], line("0000000 110 145 154", "0000003")),
            (&["-c", "-n", "3"], line("0000000   H   e   l", "0000003")),
            (&["-d", "-n", "4"], line("0000000   25928   27756", "0000004")),
            (&["-o", "-n", "2"], line("0000000  062510", "0000002")),
            (&["-x", "-n", "2"], line("0000000    6548", "0000002")),
        ];
        for (args, want) in cases {
            assert_eq!(dumped(args, hello), want, "{args:?}");
        }
    }

    #[test]
    fn chars_and_squeezing() {
        assert_eq!(
            dumped(&["-c"], b"\x80\xff\t\r\n\0\x07\x08\x0c\x0b"),
            "0000000 200 377  \\t  \\r  \\n  \\0  \\a  \\b  \\f  \\v                        \n000000a\n"
        );
        let zeros = [0u8; 48];
        let squeezed = "0000000 0000 0000 0000 0000 0000 0000 0000 0000\n*\n0000030\n";
        assert_eq!(dumped(&[], &zeros), squeezed);
        assert_eq!(dumped(&["-v"], &zeros).lines().count(), 4);
        assert_eq!(dumped(&["-C"], b""), "");
        assert_eq!(dumped(&["-n", "0"], b"abc"), "");
    }
}
