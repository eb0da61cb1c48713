//! The command line of `gzip`/`gunzip`/`zcat`, `xz`/`unxz`/`xzcat` and `zstd`/`unzstd`/
//! `zstdcat`: GNU gzip 1.12, XZ Utils 5.4 and zstd 1.5 subsets; exit 1 on errors, 2 on
//! warnings as gzip(1) documents. Outputs go through a temp file renamed into place; the
//! input is removed only after that.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, IsTerminal, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{decode_reason, decoder, encoder, peek, temp_beside, Codec, Encoder, GzipName};
use crate::error::{io_reason, AppletResult, Failure, UsageError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Compress,
    Decompress,
    Test,
    List,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub codec: Codec,
    pub mode: Mode,
    pub stdout: bool,
    pub force: bool,
    pub keep: bool,
    pub level: u32,
    pub suffix: String,
    pub quiet: bool,
    pub verbose: bool,
    pub save_name: bool,
    pub output: Option<PathBuf>,
    pub files: Vec<PathBuf>,
    /// Set while decoding when a gzip stream had garbage after it (a warning, exit 2).
    pub trailing_garbage: std::cell::Cell<bool>,
}

impl Options {
    /// `args[0]` names the program: gzip/gunzip/zcat, xz/unxz/xzcat, zstd/unzstd/zstdcat.
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let prog = args
            .first()
            .and_then(|a| Path::new(a).file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let codec = match prog.as_str() {
            "xz" | "unxz" | "xzcat" => Codec::Xz,
            "zstd" | "unzstd" | "zstdcat" => Codec::Zstd,
            _ => Codec::Gzip,
        };
        let mut o = Options {
            codec,
            mode: Mode::Compress,
            stdout: false,
            force: false,
            keep: codec == Codec::Zstd,
            level: match codec {
                Codec::Zstd => 3,
                _ => 6,
            },
            suffix: codec.default_suffix().to_string(),
            quiet: false,
            verbose: false,
            save_name: true,
            output: None,
            files: Vec::new(),
            trailing_garbage: std::cell::Cell::new(false),
        };
        match prog.as_str() {
            "gunzip" | "unxz" | "unzstd" => o.mode = Mode::Decompress,
            "zcat" | "xzcat" | "zstdcat" => {
                o.mode = Mode::Decompress;
                o.stdout = true;
            }
            _ => {}
        }
        let mut it = args.into_iter().skip(1);
        let mut only_files = false;
        while let Some(arg) = it.next() {
            let s = arg.to_string_lossy().into_owned();
            if only_files || s == "-" || !s.starts_with('-') {
                o.files.push(PathBuf::from(arg));
                continue;
            }
            if s == "--" {
                only_files = true;
                continue;
            }
            if let Some(long) = s.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                let mut value_of = |name: &str| -> Result<String, UsageError> {
                    match value.clone() {
                        Some(v) => Ok(v),
                        None => it
                            .next()
                            .map(|v| v.to_string_lossy().into_owned())
                            .ok_or_else(|| {
                                UsageError(format!("option '--{name}' requires an argument"))
                            }),
                    }
                };
                match name {
                    "stdout" | "to-stdout" => o.stdout = true,
                    "decompress" | "uncompress" => o.mode = Mode::Decompress,
                    "compress" => o.mode = Mode::Compress,
                    "force" => o.force = true,
                    "keep" => o.keep = true,
                    "rm" => o.keep = false,
                    "list" => o.mode = Mode::List,
                    "test" => o.mode = Mode::Test,
                    "no-name" => o.save_name = false,
                    "name" => o.save_name = true,
                    "quiet" | "silent" => o.quiet = true,
                    "verbose" => o.verbose = true,
                    "fast" => o.level = 1,
                    "best" => o.level = 9,
                    "suffix" => o.suffix = value_of("suffix")?,
                    "threads" | "memlimit" | "format" | "check" | "ultra" | "extreme"
                    | "no-progress" => {
                        if matches!(name, "threads" | "memlimit" | "format" | "check") {
                            value_of(name)?;
                        }
                    }
                    "output" if codec == Codec::Zstd => {
                        o.output = Some(PathBuf::from(value_of("output")?))
                    }
                    _ => return Err(UsageError(format!("unrecognized option '{s}'"))),
                }
                continue;
            }
            let flags: Vec<char> = s[1..].chars().collect();
            let mut i = 0;
            while i < flags.len() {
                let c = flags[i];
                i += 1;
                match c {
                    'c' => o.stdout = true,
                    'd' => o.mode = Mode::Decompress,
                    'z' => o.mode = Mode::Compress,
                    'f' => o.force = true,
                    'k' => o.keep = true,
                    'l' => o.mode = Mode::List,
                    't' => o.mode = Mode::Test,
                    'n' => o.save_name = false,
                    'N' => o.save_name = true,
                    'q' => o.quiet = true,
                    'v' => o.verbose = true,
                    'r' => return Err(UsageError("-r is not supported".into())),
                    'e' if codec == Codec::Xz => {}
                    '0'..='9' => {
                        // zstd levels run to 19: the digits that follow belong to the level.
                        let mut level = c.to_digit(10).unwrap_or(6);
                        while codec == Codec::Zstd && i < flags.len() && flags[i].is_ascii_digit() {
                            level = level * 10 + flags[i].to_digit(10).unwrap_or(0);
                            i += 1;
                        }
                        o.level = level;
                    }
                    'S' | 'T' | 'o' | 'M' | 'F' | 'C' => {
                        let rest: String = flags[i..].iter().collect();
                        i = flags.len();
                        let value = if rest.is_empty() {
                            it.next()
                                .map(|v| v.to_string_lossy().into_owned())
                                .ok_or_else(|| {
                                    UsageError(format!("option requires an argument -- '{c}'"))
                                })?
                        } else {
                            rest
                        };
                        match c {
                            'S' if codec != Codec::Zstd => o.suffix = value,
                            'o' if codec == Codec::Zstd => o.output = Some(PathBuf::from(value)),
                            'T' | 'M' | 'F' | 'C' if codec == Codec::Xz => {}
                            'T' if codec == Codec::Zstd => {}
                            _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                        }
                    }
                    _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                }
            }
        }
        if o.mode == Mode::List && codec != Codec::Gzip {
            return Err(UsageError(
                "--list is not supported (only gzip -l is)".into(),
            ));
        }
        if o.suffix.is_empty() {
            return Err(UsageError("invalid suffix ''".into()));
        }
        if o.files.is_empty() {
            o.files.push(PathBuf::from("-"));
        }
        if o.output.is_some() && o.files.len() > 1 {
            return Err(UsageError(
                "-o cannot be used with several input files".into(),
            ));
        }
        Ok(o)
    }
}

/// Where a problem leaves the exit status: gzip's 1 (error) beats 2 (warning).
#[derive(Debug, Default)]
struct Status {
    code: i32,
}

impl Status {
    fn error(&mut self, prog: &str, msg: String) {
        eprintln!("{prog}: {msg}");
        self.code = 1;
    }
    fn warn(&mut self, prog: &str, quiet: bool, msg: String) {
        if !quiet {
            eprintln!("{prog}: {msg}");
        }
        if self.code == 0 {
            self.code = 2;
        }
    }
}

/// The name a decompressed `name` gets, if its suffix is one we know.
pub fn decompressed_name(codec: Codec, suffix: &str, name: &Path) -> Option<PathBuf> {
    let s = name.to_str()?;
    let file = name.file_name()?.to_str()?;
    let custom = [(suffix, "")];
    let table = codec.suffixes().iter().chain(custom.iter());
    for (suf, repl) in table {
        if file.len() > suf.len() && file.to_ascii_lowercase().ends_with(suf) {
            return Some(PathBuf::from(format!(
                "{}{repl}",
                &s[..s.len() - suf.len()]
            )));
        }
    }
    None
}

/// Run one of the compressors. `args[0]` chooses the codec and the default mode.
pub fn run_cli(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let prog = o.codec.name();
    if o.mode == Mode::Compress && o.codec == Codec::Bzip2 {
        return Err(Failure {
            message: "bzip2 compression is not supported".into(),
            code: 1,
        });
    }
    let mut status = Status::default();
    if o.mode == Mode::List {
        println!("         compressed        uncompressed  ratio uncompressed_name");
    }
    for file in &o.files {
        let result = if file.as_os_str() == "-" {
            one_stream(&o, &mut status)
        } else {
            one_file(&o, file, &mut status)
        };
        if let Err(msg) = result {
            status.error(prog, msg);
        }
        if o.trailing_garbage.replace(false) {
            let name = match file.as_os_str() == "-" {
                true => "stdin".to_string(),
                false => file.display().to_string(),
            };
            let msg = format!("{name}: decompression OK, trailing garbage ignored");
            status.warn(prog, o.quiet, msg);
        }
    }
    Ok(status.code)
}

/// What each reference tool says of data that is not in its format.
fn not_this_format(codec: Codec) -> String {
    match codec {
        Codec::Xz => "File format not recognized".into(),
        Codec::Zstd => "unknown header".into(),
        c => format!("not in {} format", c.name()),
    }
}

fn to_stdout_refused(o: &Options) -> bool {
    o.mode == Mode::Compress && !o.force && o.output.is_none() && io::stdout().is_terminal()
}

fn terminal_message(o: &Options) -> String {
    let prog = o.codec.name();
    format!("compressed data not written to a terminal. Use -f to force compression. For help, type: {prog} -h")
}

/// stdin to stdout (or to `-o FILE`).
fn one_stream(o: &Options, status: &mut Status) -> Result<(), String> {
    if to_stdout_refused(o) {
        return Err(terminal_message(o));
    }
    let stdin = io::stdin().lock();
    if let Some(out) = &o.output {
        return to_file(o, "stdin", stdin, out, None, status);
    }
    match o.mode {
        Mode::Compress => {
            let enc = encoder(
                o.codec,
                o.level,
                GzipName::default(),
                Box::new(io::stdout()),
            )
            .map_err(|e| format!("stdout: {}", io_reason(&e)))?;
            compress_into(stdin, enc)
                .map(|_| ())
                .map_err(|e| e.describe("stdin", "stdout"))
        }
        _ => {
            let mut out = io::stdout().lock();
            let sink: &mut dyn Write = if o.mode == Mode::Decompress {
                &mut out
            } else {
                &mut io::sink()
            };
            let n = decompress_into(o, stdin, sink).map_err(|e| e.describe(o.codec, "stdin"));
            match n {
                Ok(Some(_)) => Ok(()),
                Ok(None) => Err(format!("stdin: {}", not_this_format(o.codec))),
                Err(e) => Err(e),
            }
        }
    }
}

enum CodecError {
    Read(io::Error),
    Write(io::Error),
    Decode(io::Error),
}

impl CodecError {
    fn describe(&self, input: impl Describe, output: &str) -> String {
        match self {
            CodecError::Read(e) => format!("{}: {}", input.name(), io_reason(e)),
            CodecError::Write(e) => format!("{output}: {}", io_reason(e)),
            CodecError::Decode(e) => format!("{}: {}", input.name(), input.reason(e)),
        }
    }
}

trait Describe {
    fn name(&self) -> String;
    fn reason(&self, e: &io::Error) -> String {
        io_reason(e)
    }
}

impl Describe for &str {
    fn name(&self) -> String {
        self.to_string()
    }
}

impl Describe for Codec {
    fn name(&self) -> String {
        "stdin".into()
    }
    fn reason(&self, e: &io::Error) -> String {
        decode_reason(*self, e)
    }
}

struct Named<'a>(Codec, &'a str);

impl Describe for Named<'_> {
    fn name(&self) -> String {
        self.1.to_string()
    }
    fn reason(&self, e: &io::Error) -> String {
        decode_reason(self.0, e)
    }
}

fn compress_into(mut input: impl Read, mut enc: Box<dyn Encoder>) -> Result<u64, CodecError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CodecError::Read(e)),
        };
        total += n as u64;
        enc.write_all(&buf[..n]).map_err(CodecError::Write)?;
    }
    enc.finish().map_err(CodecError::Write)?;
    Ok(total)
}

/// Decode `input` into `out`: the byte count, or None when it is not in this format at all.
/// With `-f -c` data in no format we know is copied through (as `zcat -f` does).
fn decompress_into(
    o: &Options,
    input: impl Read,
    out: &mut dyn Write,
) -> Result<Option<u64>, CodecError> {
    let (head, input) = peek(input, 6).map_err(CodecError::Read)?;
    if !o.codec.magic_ok(&head) {
        if o.force && o.stdout && o.mode == Mode::Decompress {
            let mut input = input;
            let n = io::copy(&mut input, out).map_err(CodecError::Write)?;
            return Ok(Some(n));
        }
        if head.is_empty() {
            return Err(CodecError::Decode(io::ErrorKind::UnexpectedEof.into()));
        }
        return Ok(None);
    }
    let mut dec = decoder(o.codec, input).map_err(CodecError::Decode)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match dec.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if super::is_trailing_garbage(&e) => {
                o.trailing_garbage.set(true);
                break;
            }
            Err(e) => return Err(CodecError::Decode(e)),
        };
        total += n as u64;
        out.write_all(&buf[..n]).map_err(CodecError::Write)?;
    }
    out.flush().map_err(CodecError::Write)?;
    Ok(Some(total))
}

fn one_file(o: &Options, file: &Path, status: &mut Status) -> Result<(), String> {
    let prog = o.codec.name();
    let shown = file.display().to_string();
    let meta = fs::symlink_metadata(file).map_err(|e| format!("{shown}: {}", io_reason(&e)))?;
    if meta.is_dir() {
        // Each reference words (and rates) this its own way.
        match o.codec {
            Codec::Xz => status.warn(prog, o.quiet, format!("{shown}: Is a directory, skipping")),
            Codec::Zstd => return Err(format!("{shown} is a directory -- ignored")),
            _ => status.warn(prog, o.quiet, format!("{shown} is a directory -- ignored")),
        }
        return Ok(());
    }
    if !meta.is_file() && !o.force && !o.stdout {
        let msg = format!("{shown} is not a directory or a regular file - ignored");
        status.warn(prog, o.quiet, msg);
        return Ok(());
    }
    let input = File::open(file).map_err(|e| format!("{shown}: {}", io_reason(&e)))?;
    let meta = input
        .metadata()
        .map_err(|e| format!("{shown}: {}", io_reason(&e)))?;
    let target = match o.mode {
        Mode::Compress => {
            if decompressed_name(o.codec, &o.suffix, file).is_some() && !o.stdout && !o.force {
                status.warn(
                    prog,
                    o.quiet,
                    format!("{shown} already has {} suffix -- unchanged", o.suffix),
                );
                return Ok(());
            }
            let mut t = file.as_os_str().to_owned();
            t.push(&o.suffix);
            PathBuf::from(t)
        }
        _ => match decompressed_name(o.codec, &o.suffix, file) {
            Some(t) => t,
            None if o.stdout || o.mode != Mode::Decompress => PathBuf::new(),
            None => {
                status.warn(prog, o.quiet, format!("{shown}: unknown suffix -- ignored"));
                return Ok(());
            }
        },
    };
    let target = o.output.clone().unwrap_or(target);
    if o.mode == Mode::List {
        return list_one(o, file, input, &meta, &target);
    }
    if o.stdout && o.output.is_none() || o.mode == Mode::Test {
        if to_stdout_refused(o) {
            return Err(terminal_message(o));
        }
        let result = match o.mode {
            Mode::Compress => {
                let name = gzip_name(o, file, &meta);
                let enc = encoder(o.codec, o.level, name, Box::new(io::stdout()))
                    .map_err(|e| format!("stdout: {}", io_reason(&e)))?;
                compress_into(input, enc).map(Some)
            }
            Mode::Test => decompress_into(o, input, &mut io::sink()),
            _ => decompress_into(o, input, &mut io::stdout().lock()),
        };
        return match result {
            Ok(Some(_)) => {
                if o.verbose && o.mode == Mode::Test {
                    eprintln!("{shown}:\t OK");
                }
                Ok(())
            }
            Ok(None) => Err(format!("{shown}: {}", not_this_format(o.codec))),
            Err(e) => Err(e.describe(Named(o.codec, &shown), "stdout")),
        };
    }
    to_file(o, &shown, input, &target, Some((file, &meta)), status)
}

fn gzip_name(o: &Options, file: &Path, meta: &fs::Metadata) -> GzipName {
    if !o.save_name {
        return GzipName::default();
    }
    GzipName {
        name: file
            .file_name()
            .map(|n| std::os::unix::ffi::OsStrExt::as_bytes(n).to_vec()),
        mtime: u32::try_from(meta.mtime()).unwrap_or(0),
    }
}

/// Compress or decompress `input` into `target` through a temp file in its directory, then
/// give it the input's mode and times, rename it into place, and only then remove the input.
fn to_file(
    o: &Options,
    shown: &str,
    input: impl Read,
    target: &Path,
    source: Option<(&Path, &fs::Metadata)>,
    status: &mut Status,
) -> Result<(), String> {
    let prog = o.codec.name();
    let tshown = target.display().to_string();
    if fs::symlink_metadata(target).is_ok() && !o.force {
        return match o.codec {
            Codec::Xz => Err(format!("{tshown}: File exists")),
            Codec::Zstd => Err(format!("{tshown} already exists; not overwritten")),
            _ => {
                status.warn(
                    prog,
                    o.quiet,
                    format!("{tshown} already exists;\tnot overwritten"),
                );
                Ok(())
            }
        };
    }
    let (tmp_path, tmp) =
        temp_beside(target).map_err(|e| format!("{tshown}: {}", io_reason(&e)))?;
    let cleanup = TempGuard(Some(tmp_path.clone()));
    let tmp_w = tmp
        .try_clone()
        .map_err(|e| format!("{tshown}: {}", io_reason(&e)))?;
    let result = match o.mode {
        Mode::Compress => {
            let name = match source {
                Some((file, meta)) => gzip_name(o, file, meta),
                None => GzipName::default(),
            };
            let enc = encoder(o.codec, o.level, name, Box::new(io::BufWriter::new(tmp_w)))
                .map_err(|e| format!("{tshown}: {}", io_reason(&e)))?;
            compress_into(input, enc).map(|n| (n, None))
        }
        _ => {
            let mut w = io::BufWriter::new(tmp_w);
            decompress_into(o, input, &mut w).map(|n| (0, n))
        }
    };
    match result {
        Ok((_, None)) if o.mode != Mode::Compress => {
            return Err(format!("{shown}: {}", not_this_format(o.codec)));
        }
        Ok(_) => {}
        Err(e) => return Err(e.describe(Named(o.codec, shown), &tshown)),
    }
    if let Some((_, meta)) = source {
        let _ = tmp.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777));
        if nix::unistd::geteuid().is_root() {
            let _ = std::os::unix::fs::fchown(&tmp, Some(meta.uid()), Some(meta.gid()));
            let _ = tmp.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777));
        }
        let times = fs::FileTimes::new()
            .set_accessed(meta.accessed().unwrap_or(std::time::SystemTime::now()))
            .set_modified(meta.modified().unwrap_or(std::time::SystemTime::now()));
        let _ = tmp.set_times(times);
    }
    tmp.sync_all()
        .map_err(|e| format!("{tshown}: {}", io_reason(&e)))?;
    fs::rename(&tmp_path, target).map_err(|e| format!("{tshown}: {}", io_reason(&e)))?;
    std::mem::forget(cleanup);
    if let Some((file, _)) = source {
        if !o.keep && o.output.is_none() {
            fs::remove_file(file).map_err(|e| format!("{shown}: {}", io_reason(&e)))?;
        }
        if o.verbose {
            eprintln!(
                "{shown}:\t -- {} {tshown}",
                if o.keep { "created" } else { "replaced with" }
            );
        }
    }
    Ok(())
}

/// Removes the temp file unless forgotten (after the rename).
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}

/// `gzip -l`: sizes from the trailer are not trusted; the data is decoded to count it.
/// Bytes of the first gzip header (with its stored name) and the 8-byte trailer.
fn gzip_overhead(file: &Path) -> u64 {
    let mut head = Vec::new();
    let read = File::open(file).and_then(|f| f.take(4096).read_to_end(&mut head));
    if read.is_err() || head.len() < 10 {
        return 0;
    }
    const FNAME: u8 = 0x08;
    let name = if head[3] & FNAME != 0 {
        head[10..].iter().position(|&b| b == 0).map_or(0, |p| p + 1)
    } else {
        0
    };
    (10 + name + 8) as u64
}

fn list_one(
    o: &Options,
    file: &Path,
    input: File,
    meta: &fs::Metadata,
    target: &Path,
) -> Result<(), String> {
    let shown = file.display().to_string();
    let n = decompress_into(o, input, &mut io::sink())
        .map_err(|e| e.describe(Named(o.codec, &shown), "stdout"))?
        .ok_or_else(|| format!("{shown}: {}", not_this_format(o.codec)))?;
    let c = meta.len();
    // gzip counts the ratio on the deflate data: header and trailer left out.
    let overhead = match o.codec {
        Codec::Gzip => gzip_overhead(file),
        _ => 0,
    };
    let packed = c.saturating_sub(overhead);
    let ratio = if n == 0 {
        0.0
    } else {
        100.0 * (n as f64 - packed as f64) / n as f64
    };
    println!("{c:>19} {n:>19} {ratio:>5.1}% {}", target.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Options {
        Options::parse(args.iter().map(OsString::from).collect()).expect("parses")
    }

    #[test]
    fn options() {
        let o = parse(&["gzip", "-9cd", "f"]);
        assert_eq!((o.level, o.stdout, o.mode), (9, true, Mode::Decompress));
        assert_eq!(o.files, vec![PathBuf::from("f")]);
        let o = parse(&["zcat"]);
        assert_eq!((o.stdout, o.mode), (true, Mode::Decompress));
        assert_eq!(o.files, vec![PathBuf::from("-")]);
        let o = parse(&["gzip", "-S", ".x", "--best", "a"]);
        assert_eq!((o.suffix.as_str(), o.level, o.keep), (".x", 9, false));
        let o = parse(&["zstd", "-19", "-o", "out", "a"]);
        assert_eq!((o.level, o.keep), (19, true));
        assert_eq!(o.output, Some(PathBuf::from("out")));
        let o = parse(&["zstd", "--rm", "-d", "a.zst"]);
        assert_eq!((o.keep, o.mode), (false, Mode::Decompress));
        let o = parse(&["xz", "-T0", "-k", "-e", "a"]);
        assert!(o.keep);
        let o = parse(&["unxz", "-t", "a"]);
        assert_eq!(o.mode, Mode::Test);
        for bad in [
            &["gzip", "-x"][..],
            &["gzip", "--nope"],
            &["gzip", "-S"],
            &["zstd", "-o", "x", "a", "b"],
        ] {
            let args = bad.iter().map(OsString::from).collect();
            assert!(Options::parse(args).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn decompressed_names() {
        let names = [
            (Codec::Gzip, "a.gz", Some("a")),
            (Codec::Gzip, "dir/a.tgz", Some("dir/a.tar")),
            (Codec::Gzip, "a.Z", Some("a")),
            (Codec::Gzip, "a.txt", None),
            (Codec::Xz, "a.xz", Some("a")),
            (Codec::Zstd, "a.tzst", Some("a.tar")),
            (Codec::Gzip, ".gz", None),
        ];
        for (codec, name, want) in names {
            let got = decompressed_name(codec, codec.default_suffix(), Path::new(name));
            assert_eq!(got, want.map(PathBuf::from), "{name}");
        }
    }
}
