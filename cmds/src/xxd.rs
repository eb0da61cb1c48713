//! `xxd`: make a hex dump, or turn one back into binary. Mirrors vim's xxd(1) (2022-01-14).
//!
//! usage: xxd [-a] [-b|-e|-i|-p] [-C] [-c COLS] [-d] [-g BYTES] [-l LEN] [-n NAME] [-o OFF]
//!            [-s [+-]SEEK] [-u] [INFILE [OUTFILE]]
//!        xxd -r [-p] [-c COLS] [-s OFF] [INFILE [OUTFILE]]
//!
//! Left out: -E (EBCDIC), -R (colour).

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{io_reason, AppletError, AppletResult, Failure};

pub const USAGE: &str = "\
usage: xxd [options] [INFILE [OUTFILE]]
       xxd -r [-s [-]OFFSET] [-c COLS] [-p] [INFILE [OUTFILE]]
  -a        autoskip: one '*' replaces runs of all-zero lines
  -b        bits instead of hex        -e  little-endian groups
  -c COLS   octets per line (16; -i: 12, -p: 30, -b: 6)
  -C        capitalize the variable names of -i
  -d        decimal offsets            -g BYTES  octets per group (2; -e: 4; -b: 1)
  -i        C include file style       -l LEN    stop after LEN octets
  -n NAME   variable name for -i       -o OFF    add OFF to the displayed position
  -p        plain hex dump             -r        reverse: hex dump to binary
  -s [+-]SEEK  start at SEEK (-: from the end)  -u  upper case hex
";

/// Maximum octets per line in the formats that have an ASCII column (xxd's COLS).
const MAX_COLS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Normal,
    Bits,
    LittleEndian,
    Include,
    Plain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub style: Style,
    pub revert: bool,
    pub autoskip: bool,
    pub capitalize: bool,
    pub decimal: bool,
    pub upper: bool,
    pub cols: Option<usize>,
    pub group: Option<usize>,
    pub len: Option<u64>,
    pub name: Option<String>,
    pub display_offset: u64,
    /// `-s`: the number, whether it counts from the end (`-`), whether relative (`+`).
    pub seek: Option<(u64, bool, bool)>,
    pub input: Option<PathBuf>,
    pub output: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum XxdError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    BadValue(String),
    #[error("{}: {}", .0.display(), io_reason(.1))]
    Open(PathBuf, io::Error),
    #[error("{}: {}", .0.display(), io_reason(.1))]
    Create(PathBuf, io::Error),
    #[error("{}", io_reason(.0))]
    Read(io::Error),
    #[error("{}", io_reason(.0))]
    Write(io::Error),
    #[error("Sorry, cannot seek.")]
    Seek,
    #[error("Sorry, cannot seek backwards.")]
    SeekBackwards,
}

impl AppletError for XxdError {
    // xxd(1): 1 usage, 2 input trouble, 3 output trouble, 4 seek, 5 backwards seek on -r.
    fn exit_code(&self) -> i32 {
        match self {
            XxdError::Usage(_) | XxdError::BadValue(_) => 1,
            XxdError::Open(..) | XxdError::Read(_) => 2,
            XxdError::Create(..) | XxdError::Write(_) => 3,
            XxdError::Seek => 4,
            XxdError::SeekBackwards => 5,
        }
    }
}

/// A number the way xxd reads it (C `strtol` base 0): `0x1f`, `017` octal, `42`.
/// Trailing junk ends the number, as strtol does; no digits at all is 0.
pub fn parse_number(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let mut n: i64 = 0;
    for c in digits.chars() {
        match c.to_digit(radix) {
            Some(d) => n = n.saturating_mul(radix as i64).saturating_add(d as i64),
            None => break,
        }
    }
    if neg {
        -n
    } else {
        n
    }
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, XxdError> {
        let args: Vec<String> = crate::operands(&args);
        let mut o = Options {
            style: Style::Normal,
            revert: false,
            autoskip: false,
            capitalize: false,
            decimal: false,
            upper: false,
            cols: None,
            group: None,
            len: None,
            name: None,
            display_offset: 0,
            seek: None,
            input: None,
            output: None,
        };
        let mut files = Vec::new();
        let mut i = 0;
        let mut only_files = false;
        while let Some(arg) = args.get(i) {
            i += 1;
            if only_files || !arg.starts_with('-') || arg == "-" {
                files.push(arg.clone());
                continue;
            }
            if arg == "--" {
                only_files = true;
                continue;
            }
            let letter = arg.as_bytes().get(1).copied().unwrap_or(b'-');
            // Like xxd, `-p`, `-ps`, `-postscript` are all -p: only the letter counts.
            let long = |suffix: &str| arg.len() == 2 || &arg[2..] == suffix;
            let mut value = |suffix: &str| -> Result<String, XxdError> {
                if long(suffix) {
                    let v = args.get(i).cloned();
                    i += 1;
                    v.ok_or_else(|| {
                        XxdError::Usage(format!("option -{} needs a value", letter as char))
                    })
                } else {
                    Ok(arg[2..].to_string())
                }
            };
            match letter {
                b'a' => o.autoskip = !o.autoskip,
                b'b' => o.style = Style::Bits,
                b'e' => o.style = Style::LittleEndian,
                b'i' => o.style = Style::Include,
                b'p' => o.style = Style::Plain,
                b'C' => o.capitalize = true,
                b'd' => o.decimal = true,
                b'u' => o.upper = true,
                b'r' => o.revert = true,
                b'c' => o.cols = Some(parse_number(&value("ols")?).max(0) as usize),
                b'g' => o.group = Some(parse_number(&value("roup")?).max(0) as usize),
                b'l' => {
                    let n = parse_number(&value("en")?);
                    o.len = (n >= 0).then_some(n as u64);
                }
                b'o' => o.display_offset = parse_number(&value("ffset")?) as u64,
                b'n' => o.name = Some(value("ame")?),
                b's' => {
                    let v = value("eek")?;
                    let v = v.trim_start();
                    let (relative, v) = match v.strip_prefix('+') {
                        Some(r) => (true, r),
                        None => (false, v),
                    };
                    let (from_end, v) = match v.strip_prefix('-') {
                        Some(r) => (true, r),
                        None => (false, v),
                    };
                    o.seek = Some((parse_number(v).max(0) as u64, from_end, relative));
                }
                _ => return Err(XxdError::Usage(format!("invalid option {arg}"))),
            }
        }
        if files.len() > 2 {
            return Err(XxdError::Usage(format!("extra operand {}", files[2])));
        }
        let mut files = files.into_iter();
        o.input = files.next().filter(|f| f != "-").map(PathBuf::from);
        o.output = files.next().filter(|f| f != "-").map(PathBuf::from);
        Ok(o)
    }

    /// Octets per line after the style's default and xxd's limits.
    pub fn line_cols(&self) -> Result<usize, XxdError> {
        let default = match self.style {
            Style::Include => 12,
            Style::Plain => 30,
            Style::Bits => 6,
            _ => 16,
        };
        let cols = self.cols.filter(|&c| c > 0).unwrap_or(default);
        let limited = matches!(
            self.style,
            Style::Normal | Style::Bits | Style::LittleEndian
        );
        if limited && cols > MAX_COLS {
            return Err(XxdError::BadValue(
                "invalid number of columns (max. 256).".into(),
            ));
        }
        Ok(cols)
    }

    /// Octets per group after defaults; 0 or more than a line means one group per line.
    pub fn line_group(&self, cols: usize) -> Result<usize, XxdError> {
        let default = match self.style {
            Style::Bits => 1,
            Style::LittleEndian => 4,
            _ => 2,
        };
        let g = self.group.unwrap_or(default);
        let g = if g < 1 || g > cols { cols } else { g };
        if self.style == Style::LittleEndian && !g.is_power_of_two() {
            return Err(XxdError::BadValue(
                "number of octets per group must be a power of 2 with -e.".into(),
            ));
        }
        Ok(g)
    }
}

/// How a normal, bits or little-endian line is laid out.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub style: Style,
    pub cols: usize,
    pub group: usize,
    pub upper: bool,
    pub decimal: bool,
}

impl Layout {
    fn digits(&self) -> usize {
        if self.style == Style::Bits {
            8
        } else {
            2
        }
    }

    /// Column of the first digit of the octet at `index` on the line, after the address.
    fn column(&self, index: usize) -> usize {
        let slot = if self.style == Style::LittleEndian {
            let start = index - index % self.group;
            start + (self.group - 1 - index % self.group)
        } else {
            index
        };
        slot * self.digits() + slot / self.group
    }

    /// One line: `00000010: 4865 6c6c  He..` with the ASCII column where a full line has it.
    pub fn line(&self, offset: u64, bytes: &[u8]) -> String {
        let mut s = if self.decimal {
            format!("{offset:08}: ")
        } else {
            format!("{offset:08x}: ")
        };
        let ascii_at = self.cols * self.digits() + (self.cols - 1) / self.group + 2;
        let mut hex = vec![b' '; ascii_at];
        for (i, &b) in bytes.iter().enumerate() {
            let text = match (self.style, self.upper) {
                (Style::Bits, _) => format!("{b:08b}"),
                (_, true) => format!("{b:02X}"),
                (_, false) => format!("{b:02x}"),
            };
            let at = self.column(i);
            hex[at..at + text.len()].copy_from_slice(text.as_bytes());
        }
        s.push_str(&String::from_utf8_lossy(&hex));
        s.extend(bytes.iter().map(|&b| printable(b)));
        s.push('\n');
        s
    }
}

fn printable(b: u8) -> char {
    if (0x20..0x7f).contains(&b) {
        b as char
    } else {
        '.'
    }
}

/// The C identifier -i derives from a file name: `1abc-d.x` → `__1abc_d_x`.
pub fn c_name(path: &str, capitalize: bool) -> String {
    let mut s = String::new();
    if path.starts_with(|c: char| c.is_ascii_digit()) {
        s.push_str("__");
    }
    for c in path.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        s.push(if capitalize {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    s
}

/// Holds back runs of all-zero lines for -a (xxd.c `xxdline`): the first is printed, a run
/// of two shows both, a longer run shows the first, `*`, and the last.
#[derive(Default)]
struct Autoskip {
    zero_seen: u32,
    held: String,
}

impl Autoskip {
    /// `nonzero`: count of nonzero octets (1 without -a); -1 flushes at the end.
    fn line(&mut self, out: &mut impl Write, line: &str, nonzero: i64) -> io::Result<()> {
        if nonzero == 0 && self.zero_seen == 1 {
            self.held = line.to_string();
        }
        let seen = self.zero_seen;
        if nonzero == 0 {
            self.zero_seen += 1;
        }
        if nonzero != 0 || seen == 0 {
            if nonzero != 0 {
                if nonzero < 0 {
                    self.zero_seen = self.zero_seen.saturating_sub(1);
                }
                if self.zero_seen == 2 {
                    out.write_all(self.held.as_bytes())?;
                }
                if self.zero_seen > 2 {
                    out.write_all(b"*\n")?;
                }
            }
            if nonzero >= 0 || self.zero_seen > 0 {
                out.write_all(line.as_bytes())?;
            }
            if nonzero != 0 {
                self.zero_seen = 0;
            }
        }
        Ok(())
    }
}

/// Read until `buf` is full or the input ends.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Dump `input` (already positioned at `start`) to `out` in the chosen style.
pub fn dump(
    o: &Options,
    input: &mut impl Read,
    out: &mut impl Write,
    start: u64,
    name: Option<&str>,
) -> Result<(), XxdError> {
    let cols = o.line_cols()?;
    let group = o.line_group(cols)?;
    let mut input = input.take(o.len.unwrap_or(u64::MAX));
    let w = XxdError::Write;
    let hex = |b: u8| {
        if o.upper {
            format!("{b:02X}")
        } else {
            format!("{b:02x}")
        }
    };
    let mut buf = vec![0u8; cols];
    match o.style {
        Style::Plain => loop {
            let n = read_full(&mut input, &mut buf).map_err(XxdError::Read)?;
            if n == 0 {
                break;
            }
            let line: String = buf[..n].iter().map(|&b| hex(b)).collect();
            writeln!(out, "{line}").map_err(w)?;
        },
        Style::Include => {
            let var = name.map(|n| match &o.name {
                Some(given) => given.clone(),
                None => c_name(n, o.capitalize),
            });
            if let Some(v) = &var {
                writeln!(out, "unsigned char {v}[] = {{").map_err(w)?;
            }
            let mut total: u64 = 0;
            loop {
                let n = read_full(&mut input, &mut buf).map_err(XxdError::Read)?;
                if n == 0 {
                    break;
                }
                if total > 0 {
                    out.write_all(b",\n").map_err(w)?;
                }
                let x = if o.upper { "0X" } else { "0x" };
                let items: Vec<String> =
                    buf[..n].iter().map(|&b| format!("{x}{}", hex(b))).collect();
                write!(out, "  {}", items.join(", ")).map_err(w)?;
                total += n as u64;
            }
            if total > 0 {
                out.write_all(b"\n").map_err(w)?;
            }
            if let Some(v) = &var {
                let len = if o.capitalize { "_LEN" } else { "_len" };
                writeln!(out, "}};\nunsigned int {v}{len} = {total};").map_err(w)?;
            }
        }
        Style::Normal | Style::Bits | Style::LittleEndian => {
            let layout = Layout {
                style: o.style,
                cols,
                group,
                upper: o.upper,
                decimal: o.decimal,
            };
            let mut skip = Autoskip::default();
            let mut offset = start.wrapping_add(o.display_offset);
            let mut last = String::new();
            let mut any = false;
            loop {
                let n = read_full(&mut input, &mut buf).map_err(XxdError::Read)?;
                if n == 0 {
                    break;
                }
                last = layout.line(offset, &buf[..n]);
                any = true;
                // Without -a every line counts as nonzero; a partial last line always shows.
                let nonzero = if !o.autoskip || n < cols {
                    1
                } else {
                    buf[..n].iter().filter(|&&b| b != 0).count() as i64
                };
                skip.line(out, &last, nonzero).map_err(w)?;
                offset = offset.wrapping_add(n as u64);
                if n < cols {
                    last.clear();
                    break;
                }
            }
            if o.autoskip && any && !last.is_empty() {
                skip.line(out, &last, -1).map_err(w)?;
            }
        }
    }
    out.flush().map_err(w)
}

fn hex_digit(c: u8) -> i32 {
    match c {
        b'0'..=b'9' => (c - b'0') as i32,
        b'a'..=b'f' => (c - b'a' + 10) as i32,
        b'A'..=b'F' => (c - b'A' + 10) as i32,
        _ => -1,
    }
}

/// Where -r writes: a stream only goes forward (gaps become zeros), a file can seek.
pub trait Sink {
    fn put(&mut self, byte: u8) -> io::Result<()>;
    /// Move to `target`, or say the sink cannot go back there.
    fn seek_to(&mut self, have: u64, target: u64) -> Result<(), XxdError>;
}

/// A forward-only stream (stdout).
pub struct Stream<W: Write>(pub W);

impl<W: Write> Sink for Stream<W> {
    fn put(&mut self, byte: u8) -> io::Result<()> {
        self.0.write_all(&[byte])
    }
    fn seek_to(&mut self, have: u64, target: u64) -> Result<(), XxdError> {
        if target < have {
            return Err(XxdError::SeekBackwards);
        }
        for _ in have..target {
            self.0.write_all(&[0]).map_err(XxdError::Write)?;
        }
        Ok(())
    }
}

/// A seekable file being patched in place.
pub struct Patch<F: Write + Seek>(pub F);

impl<F: Write + Seek> Sink for Patch<F> {
    fn put(&mut self, byte: u8) -> io::Result<()> {
        self.0.write_all(&[byte])
    }
    fn seek_to(&mut self, _have: u64, target: u64) -> Result<(), XxdError> {
        self.0
            .seek(SeekFrom::Start(target))
            .map(drop)
            .map_err(|_| XxdError::Seek)
    }
}

/// -r: turn a dump back into bytes, the way xxd.c `huntype` reads it. `plain` is -p (any
/// hex pairs, whitespace ignored); otherwise each line is `ADDRESS: hex... ascii`, and at
/// most `cols` octets are taken from a line.
pub fn revert(
    input: &mut impl BufRead,
    sink: &mut impl Sink,
    cols: usize,
    plain: bool,
    base_off: i64,
) -> Result<(), XxdError> {
    let (mut n1, mut n2): (i32, i32) = (-1, 0);
    let mut ign_garb = true;
    let mut p = cols;
    let mut have_off: i64 = 0;
    let mut want_off: i64 = 0;
    let mut skip_line = false;
    for byte in input.bytes() {
        let c = byte.map_err(XxdError::Read)?;
        if skip_line {
            if c != b'\n' {
                continue;
            }
            skip_line = false;
        } else {
            if c == b'\r' {
                continue;
            }
            if plain && matches!(c, b' ' | b'\n' | b'\t') {
                continue;
            }
            let n3 = n2;
            n2 = n1;
            n1 = hex_digit(c);
            if n1 == -1 && ign_garb {
                continue;
            }
            ign_garb = false;
            if !plain && p >= cols {
                if n1 < 0 {
                    p = 0;
                } else {
                    want_off = (want_off << 4) | n1 as i64;
                }
                continue;
            }
            if base_off + want_off != have_off {
                let target = base_off + want_off;
                if target < 0 {
                    return Err(XxdError::SeekBackwards);
                }
                sink.seek_to(have_off.max(0) as u64, target as u64)?;
                have_off = target;
            }
            if n2 >= 0 && n1 >= 0 {
                sink.put(((n2 << 4) | n1) as u8).map_err(XxdError::Write)?;
                have_off += 1;
                want_off += 1;
                n1 = -1;
                if !plain {
                    p += 1;
                    if p >= cols {
                        skip_line = c != b'\n';
                    }
                }
            } else if n1 < 0 && n2 < 0 && n3 < 0 {
                skip_line = c != b'\n';
            }
            if skip_line {
                continue;
            }
        }
        if c == b'\n' {
            if !plain {
                want_off = 0;
            }
            p = cols;
            ign_garb = true;
        }
    }
    Ok(())
}

fn open_input(path: &Option<PathBuf>) -> Result<Box<dyn ReadSeek>, XxdError> {
    match path {
        Some(p) => File::open(p)
            .map(|f| Box::new(f) as Box<dyn ReadSeek>)
            .map_err(|e| XxdError::Open(p.clone(), e)),
        None => Ok(Box::new(StdinSeek)),
    }
}

/// Input that may be seekable (a file, or stdin redirected from one).
trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// Stdin through its descriptor, so `-s` can seek when it is a file.
struct StdinSeek;

impl Read for StdinSeek {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        io::stdin().lock().read(buf)
    }
}

impl Seek for StdinSeek {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        use nix::unistd::{lseek, Whence};
        let (off, whence) = match pos {
            SeekFrom::Start(n) => (n as i64, Whence::SeekSet),
            SeekFrom::End(n) => (n, Whence::SeekEnd),
            SeekFrom::Current(n) => (n, Whence::SeekCur),
        };
        lseek(std::io::stdin(), off, whence)
            .map(|n| n as u64)
            .map_err(io::Error::from)
    }
}

/// Position `input` for `-s` and return the offset the dump starts at.
fn seek_input(input: &mut dyn ReadSeek, seek: Option<(u64, bool, bool)>) -> Result<u64, XxdError> {
    let Some((n, from_end, relative)) = seek else {
        return Ok(0);
    };
    let pos = if from_end {
        let from = if relative {
            input.stream_position().map_err(|_| XxdError::Seek)?
        } else {
            input.seek(SeekFrom::End(0)).map_err(|_| XxdError::Seek)?
        };
        SeekFrom::Start(from.checked_sub(n).ok_or(XxdError::Seek)?)
    } else if relative {
        SeekFrom::Current(n as i64)
    } else {
        SeekFrom::Start(n)
    };
    match input.seek(pos) {
        Ok(at) => Ok(at),
        Err(_) if !from_end => {
            // A pipe: read and drop the octets instead.
            io::copy(&mut input.take(n), &mut io::sink()).map_err(XxdError::Read)?;
            Ok(n)
        }
        Err(_) => Err(XxdError::Seek),
    }
}

/// A file being (re)written: a temp file beside it, renamed over it when complete.
struct Target {
    path: PathBuf,
    temp: PathBuf,
}

impl Target {
    fn create(path: &Path, keep: bool) -> Result<(Target, File), XxdError> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(".{name}.xxd{}", std::process::id()));
        let err = |e| XxdError::Create(path.to_path_buf(), e);
        if keep && path.exists() {
            std::fs::copy(path, &temp).map_err(err)?;
        }
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(!keep)
            .open(&temp)
            .map_err(err)?;
        if let Ok(meta) = std::fs::metadata(path) {
            let _ = std::fs::set_permissions(&temp, meta.permissions());
        }
        Ok((
            Target {
                path: path.to_path_buf(),
                temp,
            },
            file,
        ))
    }

    fn commit(self) -> Result<(), XxdError> {
        std::fs::rename(&self.temp, &self.path).map_err(|e| XxdError::Create(self.path.clone(), e))
    }

    fn abandon(self) {
        let _ = std::fs::remove_file(&self.temp);
    }
}

fn execute(o: &Options) -> Result<(), XxdError> {
    let mut input = open_input(&o.input)?;
    let target = match &o.output {
        Some(p) => Some(Target::create(p, o.revert)?),
        None => None,
    };
    let result = match target {
        Some((t, file)) => {
            let r = if o.revert {
                let base = revert_base(o);
                let cols = o.cols.filter(|&c| c > 0).unwrap_or(16);
                let mut sink = Patch(BufWriter::new(file));
                revert(
                    &mut BufReader::new(input),
                    &mut sink,
                    cols,
                    o.style == Style::Plain,
                    base,
                )
                .and_then(|()| sink.0.flush().map_err(XxdError::Write))
            } else {
                let start = seek_input(&mut *input, o.seek)?;
                let name = o.input.as_ref().map(|p| p.to_string_lossy().into_owned());
                dump(
                    o,
                    &mut input,
                    &mut BufWriter::new(file),
                    start,
                    name.as_deref(),
                )
            };
            match r {
                Ok(()) => t.commit(),
                Err(e) => {
                    t.abandon();
                    Err(e)
                }
            }
        }
        None => {
            let stdout = io::stdout();
            if o.revert {
                let cols = o.cols.filter(|&c| c > 0).unwrap_or(16);
                let mut sink = Stream(BufWriter::new(stdout.lock()));
                revert(
                    &mut BufReader::new(input),
                    &mut sink,
                    cols,
                    o.style == Style::Plain,
                    revert_base(o),
                )
                .and_then(|()| sink.0.flush().map_err(XxdError::Write))
            } else {
                let start = seek_input(&mut *input, o.seek)?;
                let name = o.input.as_ref().map(|p| p.to_string_lossy().into_owned());
                dump(
                    o,
                    &mut input,
                    &mut BufWriter::new(stdout.lock()),
                    start,
                    name.as_deref(),
                )
            }
        }
    };
    result
}

/// `-r -s OFF` adds OFF (negative with `-`) to every address in the dump.
fn revert_base(o: &Options) -> i64 {
    match o.seek {
        Some((n, true, _)) => -(n as i64),
        Some((n, false, _)) => n as i64,
        None => 0,
    }
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args).map_err(Failure::from)?;
    match execute(&o) {
        Ok(()) => Ok(0),
        // xxd's exit status 2 is an input error, not a usage error: the dispatcher would add
        // the usage text to a status-2 failure, so this one is printed here.
        Err(e) if e.exit_code() == 2 => {
            eprintln!("xxd: {e}");
            Ok(2)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(args: &[&str]) -> Options {
        let mut v = vec![OsString::from("xxd")];
        v.extend(args.iter().map(OsString::from));
        Options::parse(v).unwrap()
    }

    fn dumped(args: &[&str], data: &[u8], name: Option<&str>) -> String {
        let o = opts(args);
        let mut out = Vec::new();
        dump(&o, &mut &data[..], &mut out, 0, name).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_read_like_strtol() {
        for (s, n) in [
            ("16", 16),
            ("0x10", 16),
            ("010", 8),
            ("0", 0),
            ("-3", -3),
            ("12k", 12),
            ("", 0),
        ] {
            assert_eq!(parse_number(s), n, "{s}");
        }
    }

    #[test]
    fn options_parse() {
        let o = opts(&["-c8", "-g", "4", "-ps", "-s", "-0x10", "in"]);
        assert_eq!(o.cols, Some(8));
        assert_eq!(o.group, Some(4));
        assert_eq!(o.style, Style::Plain);
        assert_eq!(o.seek, Some((16, true, false)));
        assert_eq!(o.input, Some(PathBuf::from("in")));
        let bad = Options::parse(vec!["xxd".into(), "-Z".into()]).unwrap_err();
        assert_eq!(bad.exit_code(), 1);
    }

    #[test]
    fn dump_formats() {
        let hello = b"Hello, world!\nabc";
        let cases: [(&[&str], &str); 6] = [
            (&[], "00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a 6162  Hello, world!.ab\n00000010: 63                                       c\n"),
            (&["-e"], "00000000: 6c6c6548 77202c6f 646c726f 62610a21  Hello, world!.ab\n00000010:       63                             c\n"),
            (&["-c", "5", "-g", "3"], "00000000: 48656c 6c6f  Hello\n00000005: 2c2077 6f72  , wor\n0000000a: 6c6421 0a61  ld!.a\n0000000f: 6263         bc\n"),
            (&["-p", "-c", "8"], "48656c6c6f2c2077\n6f726c64210a6162\n63\n"),
            (&["-b", "-c", "2"], "00000000: 01001000 01100101  He\n00000002: 01101100 01101100  ll\n00000004: 01101111 00101100  o,\n00000006: 00100000 01110111   w\n00000008: 01101111 01110010  or\n0000000a: 01101100 01100100  ld\n0000000c: 00100001 00001010  !.\n0000000e: 01100001 01100010  ab\n00000010: 01100011           c\n"),
            (&["-u", "-l", "3", "-g0"], "00000000: 48656C                            Hel\n"),
        ];
        for (args, want) in cases {
            assert_eq!(dumped(args, hello, None), want, "{args:?}");
        }
    }

    #[test]
    fn include_style() {
        assert_eq!(
            dumped(&["-i"], b"abc", Some("1abc-d.x")),
            "unsigned char __1abc_d_x[] = {\n  0x61, 0x62, 0x63\n};\nunsigned int __1abc_d_x_len = 3;\n"
        );
        assert_eq!(
            dumped(&["-i"], b"", Some("e")),
            "unsigned char e[] = {\n};\nunsigned int e_len = 0;\n"
        );
        assert_eq!(
            dumped(&["-i", "-c2"], b"abc", None),
            "  0x61, 0x62,\n  0x63\n"
        );
    }

    #[test]
    fn autoskip_keeps_first_star_last() {
        let want = "00000000: 0000 0000  ....\n*\n00000010: 0000 0000  ....\n";
        assert_eq!(dumped(&["-a", "-c", "4"], &[0; 20], None), want);
        let two = "00000000: 0000 0000  ....\n00000004: 0000 0000  ....\n";
        assert_eq!(dumped(&["-a", "-c", "4"], &[0; 8], None), two);
    }

    #[test]
    fn revert_reads_dumps() {
        let cases: [(&str, bool, i64, &[u8]); 5] = [
            (
                "00000000: 4865 6c6c 6f0a                           Hello.\n",
                false,
                0,
                b"Hello\n",
            ),
            ("00000002: 4142  AB\n", false, 0, b"\0\0AB"),
            ("00000000: 4142\n", false, 2, b"\0\0AB"),
            ("4865 6c\n6c6f\n", true, 0, b"Hello"),
            // The ASCII column looks like hex ("ab") but follows two spaces: ignored.
            ("00000000: 6162  ab\n", false, 0, b"ab"),
        ];
        for (text, plain, base, want) in cases {
            let mut sink = Stream(Vec::new());
            revert(&mut text.as_bytes(), &mut sink, 16, plain, base).unwrap();
            assert_eq!(sink.0, want, "{text:?}");
        }
        let mut sink = Stream(Vec::new());
        let back = revert(
            &mut "00000004: 41\n00000000: 42\n".as_bytes(),
            &mut sink,
            16,
            false,
            0,
        );
        assert!(matches!(back, Err(XxdError::SeekBackwards)));
    }
}
