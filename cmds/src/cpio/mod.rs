//! `cpio`: copy files into (-o) and out of (-i) cpio archives, or list them (-t). GNU cpio
//! 2.13 subset: newc ("070701", what the kernel unpacks as an initramfs) is written; newc,
//! newc-with-CRC ("070702") and odc ("070707") are read.
//!
//! usage: cpio -o [-v0] [-H newc] [-F FILE] < names
//!        cpio -i [-dumv] [-D DIR] [-F FILE] [PATTERN...]   cpio -t [-v] [-F FILE] [PATTERN...]
//!
//! Extraction has tar's guard: leading `/` is dropped, names with `..` are refused, and no
//! symlink on the way to a member may lead out of the target directory.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use nix::sys::stat::{self, Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;

mod newc;

use crate::compress;
use crate::error::{io_reason, AppletResult, Failure, UsageError};
use crate::tar::extract::{make_parents, safe_name, Safe};
use crate::tar::users::Names;
use newc::{newc_header, Header, Reader, TRAILER};

pub const USAGE: &str = "\
usage: cpio -o [-v0] [-H newc] [-F ARCHIVE]          (names on stdin)
       cpio -i [-dumv] [-D DIR] [-F ARCHIVE] [PATTERN...]
       cpio -t [-v] [-F ARCHIVE] [PATTERN...]
-o writes a newc archive of the files named on stdin (one a line, or NUL-separated with -0);
-i extracts (-d make directories, -u replace newer files, -m keep mtimes), -t lists (-v long).
ARCHIVE defaults to stdin/stdout. Extraction refuses '..' and never leaves DIR.
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Out,
    In,
    List,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub op: Op,
    pub make_dirs: bool,
    pub unconditional: bool,
    pub keep_mtime: bool,
    pub verbose: bool,
    pub null: bool,
    pub quiet: bool,
    pub file: Option<PathBuf>,
    pub dir: Option<PathBuf>,
    pub patterns: Vec<String>,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let args: Vec<String> = crate::operands(&args);
        let mut op = None;
        let mut o = Options {
            op: Op::In,
            make_dirs: false,
            unconditional: false,
            keep_mtime: false,
            verbose: false,
            null: false,
            quiet: false,
            file: None,
            dir: None,
            patterns: Vec::new(),
        };
        let mut set = |new: Op| -> Result<(), UsageError> {
            if op.is_some_and(|old| old != new) {
                return Err(UsageError("Mode already defined".into()));
            }
            op = Some(new);
            Ok(())
        };
        let mut i = 0;
        while i < args.len() {
            let arg = args[i].clone();
            i += 1;
            if !arg.starts_with('-') || arg == "-" {
                o.patterns.push(arg);
                continue;
            }
            if let Some(long) = arg.strip_prefix("--") {
                let (name, inline) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                let mut value = || -> Result<String, UsageError> {
                    if let Some(v) = inline.clone() {
                        return Ok(v);
                    }
                    let v = args.get(i).cloned().ok_or_else(|| {
                        UsageError(format!("option '--{name}' requires an argument"))
                    })?;
                    i += 1;
                    Ok(v)
                };
                match name {
                    "extract" => set(Op::In)?,
                    "create" => set(Op::Out)?,
                    "list" => set(Op::List)?,
                    "make-directories" => o.make_dirs = true,
                    "unconditional" => o.unconditional = true,
                    "preserve-modification-time" => o.keep_mtime = true,
                    "verbose" => o.verbose = true,
                    "null" => o.null = true,
                    "quiet" => o.quiet = true,
                    "file" => o.file = Some(PathBuf::from(value()?)),
                    "directory" => o.dir = Some(PathBuf::from(value()?)),
                    "format" => format_ok(&value()?)?,
                    "no-absolute-filenames" => {}
                    _ => return Err(UsageError(format!("unrecognized option '{arg}'"))),
                }
                continue;
            }
            let letters: Vec<char> = arg[1..].chars().collect();
            for (k, &c) in letters.iter().enumerate() {
                if matches!(c, 'F' | 'D' | 'H') {
                    let inline: String = letters[k + 1..].iter().collect();
                    let v = if inline.is_empty() {
                        let v = args.get(i).cloned().ok_or_else(|| {
                            UsageError(format!("option requires an argument -- '{c}'"))
                        })?;
                        i += 1;
                        v
                    } else {
                        inline
                    };
                    match c {
                        'F' => o.file = Some(PathBuf::from(v)),
                        'D' => o.dir = Some(PathBuf::from(v)),
                        _ => format_ok(&v)?,
                    }
                    break;
                }
                match c {
                    'o' => set(Op::Out)?,
                    'i' => set(Op::In)?,
                    't' => set(Op::List)?,
                    'd' => o.make_dirs = true,
                    'u' => o.unconditional = true,
                    'm' => o.keep_mtime = true,
                    'v' => o.verbose = true,
                    '0' => o.null = true,
                    _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                }
            }
        }
        o.op = op.ok_or_else(|| UsageError("You must specify one of -oipt options.".into()))?;
        if o.op == Op::Out && !o.patterns.is_empty() {
            return Err(UsageError(format!("Too many arguments: {}", o.patterns[0])));
        }
        Ok(o)
    }
}

fn format_ok(f: &str) -> Result<(), UsageError> {
    match f {
        "newc" => Ok(()),
        _ => Err(UsageError(format!("{f}: only the newc format is written"))),
    }
}

fn fatal(msg: String) -> Failure {
    Failure {
        message: msg,
        code: 2,
    }
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let done = match o.op {
        Op::Out => create(&o),
        _ => read(&o),
    };
    // Exit 2 is a runtime failure for GNU cpio; the dispatcher would add the usage text.
    done.or_else(|f| {
        eprintln!("cpio: {}", f.message);
        Ok(f.code)
    })
}

fn blocks(bytes: u64) -> u64 {
    bytes.div_ceil(512)
}

fn create(o: &Options) -> AppletResult {
    let mut list = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut list)
        .map_err(|e| fatal(format!("stdin: {}", io_reason(&e))))?;
    let sep = if o.null { 0 } else { b'\n' };
    let names: Vec<&[u8]> = list
        .split(|&b| b == sep)
        .filter(|n| !n.is_empty())
        .collect();
    let mut metas = Vec::new();
    let mut problems = 0;
    for n in &names {
        let p = Path::new(OsStr::from_bytes(n));
        match fs::symlink_metadata(p) {
            Ok(m) => metas.push((*n, m)),
            Err(e) => {
                eprintln!("cpio: {}: Cannot stat: {}", p.display(), io_reason(&e));
                problems += 1;
            }
        }
    }
    // newc stores the data of a multiply linked file once, with its last name (as GNU does).
    let mut last_of: HashMap<(u64, u64), usize> = HashMap::new();
    for (k, (_, m)) in metas.iter().enumerate() {
        if !m.is_dir() && m.nlink() > 1 {
            last_of.insert((m.dev(), m.ino()), k);
        }
    }
    let (temp, out): (Option<(PathBuf, File)>, Box<dyn Write>) = match &o.file {
        Some(path) => {
            let (tp, f) = compress::temp_beside(path)
                .map_err(|e| fatal(format!("{}: {}", path.display(), io_reason(&e))))?;
            let w = f
                .try_clone()
                .map_err(|e| fatal(format!("{}: {}", path.display(), io_reason(&e))))?;
            (Some((tp, f)), Box::new(io::BufWriter::new(w)))
        }
        None => (None, Box::new(io::BufWriter::new(io::stdout()))),
    };
    let result = write_all_entries(o, &metas, &last_of, out, &mut problems);
    match (result, temp, &o.file) {
        (Ok(n), Some((tp, f)), Some(path)) => {
            let done = f.sync_all().and_then(|()| fs::rename(&tp, path));
            if let Err(e) = done {
                let _ = fs::remove_file(&tp);
                return Err(fatal(format!("{}: {}", path.display(), io_reason(&e))));
            }
            if !o.quiet {
                eprintln!(
                    "{} block{}",
                    blocks(n),
                    if blocks(n) == 1 { "" } else { "s" }
                );
            }
        }
        (Ok(n), _, _) => {
            if !o.quiet {
                eprintln!(
                    "{} block{}",
                    blocks(n),
                    if blocks(n) == 1 { "" } else { "s" }
                );
            }
        }
        (Err(e), temp, _) => {
            if let Some((tp, _)) = temp {
                let _ = fs::remove_file(tp);
            }
            return Err(fatal(e));
        }
    }
    Ok(if problems > 0 { 2 } else { 0 })
}

fn write_all_entries(
    o: &Options,
    metas: &[(&[u8], fs::Metadata)],
    last_of: &HashMap<(u64, u64), usize>,
    mut out: Box<dyn Write>,
    problems: &mut usize,
) -> Result<u64, String> {
    let werr = |e: io::Error| format!("write error: {}", io_reason(&e));
    let mut pos = 0u64;
    for (k, (name, m)) in metas.iter().enumerate() {
        let p = Path::new(OsStr::from_bytes(name));
        let linked = last_of.get(&(m.dev(), m.ino()));
        let carries_data = linked.is_none_or(|&last| last == k);
        let mut data: Box<dyn Read> = Box::new(io::empty());
        let mut size = 0u64;
        if m.file_type().is_symlink() {
            match fs::read_link(p) {
                Ok(t) => {
                    let t = t.as_os_str().as_bytes().to_vec();
                    size = t.len() as u64;
                    data = Box::new(io::Cursor::new(t));
                }
                Err(e) => {
                    eprintln!("cpio: {}: Cannot readlink: {}", p.display(), io_reason(&e));
                    *problems += 1;
                    continue;
                }
            }
        } else if m.is_file() && carries_data {
            match File::open(p) {
                Ok(f) => {
                    size = m.len();
                    data = Box::new(f.take(size).chain(io::repeat(0)).take(size));
                }
                Err(e) => {
                    eprintln!("cpio: {}: Cannot open: {}", p.display(), io_reason(&e));
                    *problems += 1;
                    continue;
                }
            }
        }
        let size32 = u32::try_from(size)
            .map_err(|_| format!("{}: too large for a newc archive", p.display()))?;
        let h = Header {
            ino: m.ino() as u32,
            mode: m.mode(),
            uid: m.uid(),
            gid: m.gid(),
            nlink: m.nlink() as u32,
            mtime: u32::try_from(m.mtime()).unwrap_or(0),
            size: size32,
            dev_major: libc::major(m.dev()),
            dev_minor: libc::minor(m.dev()),
            rdev_major: libc::major(m.rdev()),
            rdev_minor: libc::minor(m.rdev()),
            name: stored_name(name).to_vec(),
        };
        let head = newc_header(&h);
        out.write_all(&head).map_err(werr)?;
        pos += head.len() as u64;
        let n = io::copy(&mut data, &mut out).map_err(werr)?;
        pos += n;
        let pad = (4 - pos % 4) % 4;
        out.write_all(&[0; 3][..pad as usize]).map_err(werr)?;
        pos += pad;
        if o.verbose {
            eprintln!("{}", p.display());
        }
    }
    let trailer = newc_header(&Header {
        nlink: 1,
        name: TRAILER.to_vec(),
        ..Header::default()
    });
    out.write_all(&trailer).map_err(werr)?;
    pos += trailer.len() as u64;
    let pad = (512 - pos % 512) % 512;
    out.write_all(&vec![0; pad as usize]).map_err(werr)?;
    pos += pad;
    out.flush().map_err(werr)?;
    Ok(pos)
}

/// GNU cpio stores `./bin` as `bin` (and `.` as `.`).
fn stored_name(name: &[u8]) -> &[u8] {
    let mut n = name;
    while let Some(rest) = n.strip_prefix(b"./") {
        n = rest;
    }
    while n.len() > 1 && n.ends_with(b"/") {
        n = &n[..n.len() - 1];
    }
    if n.is_empty() {
        b"."
    } else {
        n
    }
}

fn selected(o: &Options, name: &[u8]) -> bool {
    o.patterns.is_empty()
        || o.patterns
            .iter()
            .any(|p| crate::tar::glob_match(p.as_bytes(), name))
}

struct DirFixup {
    path: PathBuf,
    mode: u32,
    mtime: Option<u32>,
}

fn read(o: &Options) -> AppletResult {
    let raw: Box<dyn Read> = match &o.file {
        Some(p) => Box::new(
            File::open(p).map_err(|e| fatal(format!("{}: {}", p.display(), io_reason(&e))))?,
        ),
        None => Box::new(io::stdin()),
    };
    let mut r = Reader {
        inner: BufReader::new(raw),
        pos: 0,
    };
    let dest = o.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let canon = fs::canonicalize(&dest).ok();
    let names = Names::load(Path::new("/"));
    let root = nix::unistd::geteuid().is_root();
    let mut links: HashMap<(u32, u32, u32), PathBuf> = HashMap::new();
    let mut dirs: Vec<DirFixup> = Vec::new();
    let mut problems = 0usize;
    let mut out = io::stdout().lock();
    let now = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    loop {
        let (h, align) = match r.header() {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(e) => {
                let _ = out.flush();
                let msg = if e.kind() == io::ErrorKind::UnexpectedEof {
                    "premature end of file".to_string()
                } else {
                    io_reason(&e)
                };
                fix_dirs(&mut dirs, o);
                return Err(fatal(msg));
            }
        };
        let start = r.pos;
        let size = u64::from(h.size);
        let premature = || fatal("premature end of file".into());
        // A symlink's data is its target, small; a file's is streamed to its destination.
        let link = if h.mode & libc::S_IFMT == libc::S_IFLNK {
            if size > 1 << 16 {
                return Err(fatal(format!(
                    "{}: symlink target too long",
                    String::from_utf8_lossy(&h.name)
                )));
            }
            r.take_bytes(size as usize).map_err(|_| premature())?
        } else {
            Vec::new()
        };
        'entry: {
            let shown = String::from_utf8_lossy(&h.name).into_owned();
            if !selected(o, &h.name) {
                break 'entry;
            }
            if o.op == Op::List {
                let line = if o.verbose {
                    long_line(&h, &link, &names, now)
                } else {
                    format!("{shown}\n")
                };
                out.write_all(line.as_bytes())
                    .map_err(|e| fatal(format!("stdout: {}", io_reason(&e))))?;
                break 'entry;
            }
            if o.verbose {
                eprintln!("{shown}");
            }
            let rel = match safe_name(&h.name, 0) {
                Safe::Path(p) => p,
                Safe::Nothing => break 'entry,
                Safe::DotDot => {
                    eprintln!("cpio: {shown}: Member name contains '..'");
                    problems += 1;
                    break 'entry;
                }
            };
            if let Err(msg) = make_parents(&dest, canon.as_deref(), &rel, o.make_dirs) {
                eprintln!("cpio: {shown}: {msg}");
                problems += 1;
                break 'entry;
            }
            let target = dest.join(&rel);
            let left = size - (r.pos - start);
            let mut body = Body {
                inner: (&mut r).take(left),
                error: None,
            };
            let member = Member {
                h: &h,
                link: &link,
                target: &target,
                dest: &dest,
                root,
            };
            let result = extract_one(o, &member, &mut body, &mut links, &mut dirs);
            if body.error.is_some() {
                fix_dirs(&mut dirs, o);
                return Err(premature());
            }
            if let Err(msg) = result {
                eprintln!("cpio: {shown}: {msg}");
                if !msg.contains("not created") {
                    problems += 1;
                }
            }
        }
        let used = r.pos - start;
        r.skip(size.saturating_sub(used)).map_err(|_| premature())?;
        r.align(align).map_err(|_| premature())?;
    }
    let _ = out.flush();
    fix_dirs(&mut dirs, o);
    if !o.quiet {
        let n = blocks(r.pos);
        eprintln!("{n} block{}", if n == 1 { "" } else { "s" });
    }
    Ok(if problems > 0 { 2 } else { 0 })
}

fn fix_dirs(dirs: &mut Vec<DirFixup>, _o: &Options) {
    while let Some(d) = dirs.pop() {
        let _ = fs::set_permissions(&d.path, fs::Permissions::from_mode(d.mode & 0o7777));
        if let Some(t) = d.mtime {
            set_mtime(&d.path, t);
        }
    }
}

fn set_mtime(path: &Path, t: u32) {
    let m = TimeSpec::new(i64::from(t), 0);
    let _ = stat::utimensat(
        nix::fcntl::AT_FDCWD,
        path,
        &TimeSpec::UTIME_NOW,
        &m,
        UtimensatFlags::NoFollowSymlink,
    );
}

/// Member data on its way out of the archive; a read error is kept so the caller can tell
/// a damaged archive (fatal) from a file that could not be written (this member's problem).
struct Body<R: Read> {
    inner: R,
    error: Option<io::ErrorKind>,
}

impl<R: Read> Read for Body<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner
            .read(buf)
            .inspect_err(|e| self.error = Some(e.kind()))
    }
}

/// Copy a member's data, all of it: a short archive is a read error.
fn copy_body<R: Read>(body: &mut Body<R>, out: &mut impl Write, size: u32) -> io::Result<()> {
    let n = io::copy(body, out)?;
    if n < u64::from(size) {
        body.error = Some(io::ErrorKind::UnexpectedEof);
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
    }
    Ok(())
}

/// What extracting one member needs to know.
struct Member<'a> {
    h: &'a Header,
    link: &'a [u8],
    target: &'a Path,
    dest: &'a Path,
    root: bool,
}

fn extract_one<R: Read>(
    o: &Options,
    m: &Member,
    body: &mut Body<R>,
    links: &mut HashMap<(u32, u32, u32), PathBuf>,
    dirs: &mut Vec<DirFixup>,
) -> Result<(), String> {
    let (h, target, dest, root) = (m.h, m.target, m.dest, m.root);
    let kind = h.mode & libc::S_IFMT;
    let perm = h.mode & 0o7777;
    let existing = fs::symlink_metadata(target).ok();
    let mtime = o.keep_mtime.then_some(h.mtime);
    if let Some(m) = &existing {
        if kind == libc::S_IFDIR && m.is_dir() {
            dirs.push(DirFixup {
                path: target.to_path_buf(),
                mode: perm,
                mtime,
            });
            return Ok(());
        }
        if !o.unconditional && m.mtime() >= i64::from(h.mtime) {
            return Err("not created: newer or same age version exists".into());
        }
        let removed = if m.is_dir() {
            fs::remove_dir(target)
        } else {
            fs::remove_file(target)
        };
        removed.map_err(|e| {
            format!(
                "cannot remove current {}: {}",
                target.strip_prefix(dest).unwrap_or(target).display(),
                io_reason(&e)
            )
        })?;
    }
    let chown = |p: &Path| {
        if root {
            let _ = std::os::unix::fs::lchown(p, Some(h.uid), Some(h.gid));
        }
    };
    match kind {
        libc::S_IFDIR => {
            fs::create_dir(target).map_err(|e| format!("Cannot mkdir: {}", io_reason(&e)))?;
            chown(target);
            dirs.push(DirFixup {
                path: target.to_path_buf(),
                mode: perm,
                mtime,
            });
        }
        libc::S_IFLNK => {
            std::os::unix::fs::symlink(OsStr::from_bytes(m.link), target)
                .map_err(|e| format!("Cannot symlink: {}", io_reason(&e)))?;
            chown(target);
            if let Some(t) = mtime {
                set_mtime(target, t);
            }
        }
        libc::S_IFREG => {
            let key = (h.dev_major, h.dev_minor, h.ino);
            if h.nlink > 1 {
                if let Some(first) = links.get(&key) {
                    fs::hard_link(first, target).map_err(|e| {
                        format!("Cannot link to {}: {}", first.display(), io_reason(&e))
                    })?;
                    if h.size > 0 {
                        // The data came with a later name: it belongs to every name of the inode.
                        let mut f = fs::OpenOptions::new()
                            .write(true)
                            .truncate(true)
                            .open(target)
                            .map_err(|e| format!("Cannot open: {}", io_reason(&e)))?;
                        copy_body(body, &mut f, h.size)
                            .map_err(|e| format!("Cannot write: {}", io_reason(&e)))?;
                        if let Some(t) = mtime {
                            set_mtime(target, t);
                        }
                    }
                    return Ok(());
                }
                links.insert(key, target.to_path_buf());
            }
            let (tp, f) = compress::temp_beside(target)
                .map_err(|e| format!("Cannot open: {}", io_reason(&e)))?;
            let written = copy_body(body, &mut &f, h.size);
            if let Err(e) = written {
                let _ = fs::remove_file(&tp);
                return Err(format!("Cannot write: {}", io_reason(&e)));
            }
            if root {
                let _ = std::os::unix::fs::fchown(&f, Some(h.uid), Some(h.gid));
            }
            let _ = f.set_permissions(fs::Permissions::from_mode(perm));
            if let Some(t) = mtime {
                let _ = f.set_times(
                    fs::FileTimes::new()
                        .set_modified(UNIX_EPOCH + Duration::from_secs(u64::from(t))),
                );
            }
            if let Err(e) = fs::rename(&tp, target) {
                let _ = fs::remove_file(&tp);
                return Err(format!("Cannot open: {}", io_reason(&e)));
            }
        }
        libc::S_IFCHR | libc::S_IFBLK | libc::S_IFIFO => {
            let t = match kind {
                libc::S_IFCHR => SFlag::S_IFCHR,
                libc::S_IFBLK => SFlag::S_IFBLK,
                _ => SFlag::S_IFIFO,
            };
            let rdev = libc::makedev(h.rdev_major, h.rdev_minor);
            stat::mknod(target, t, Mode::from_bits_truncate(perm), rdev)
                .map_err(|e| format!("Cannot mknod: {}", e.desc()))?;
            chown(target);
            let _ = fs::set_permissions(target, fs::Permissions::from_mode(perm));
            if let Some(t) = mtime {
                set_mtime(target, t);
            }
        }
        _ => return Err("unknown file type; not created".into()),
    }
    Ok(())
}

/// `cpio -tv`: `ls -l` style, as GNU cpio prints it.
fn long_line(h: &Header, data: &[u8], names: &Names, now: i64) -> String {
    let kind = match h.mode & libc::S_IFMT {
        libc::S_IFDIR => tar::EntryType::Directory,
        libc::S_IFLNK => tar::EntryType::Symlink,
        libc::S_IFCHR => tar::EntryType::Char,
        libc::S_IFBLK => tar::EntryType::Block,
        libc::S_IFIFO => tar::EntryType::Fifo,
        _ => tar::EntryType::Regular,
    };
    let mode = crate::tar::mode_string(kind, h.mode);
    let user = names.user_name(h.uid).unwrap_or_else(|| h.uid.to_string());
    let group = names.group_name(h.gid).unwrap_or_else(|| h.gid.to_string());
    let size = match kind {
        tar::EntryType::Char | tar::EntryType::Block => {
            format!("{:3}, {:3}", h.rdev_major, h.rdev_minor)
        }
        _ => format!("{:8}", h.size),
    };
    let name = String::from_utf8_lossy(&h.name);
    let link = if kind == tar::EntryType::Symlink {
        format!(" -> {}", String::from_utf8_lossy(data))
    } else {
        String::new()
    };
    format!(
        "{mode} {:3} {user:<8} {group:<8} {size} {} {name}{link}\n",
        h.nlink,
        ls_time(i64::from(h.mtime), now)
    )
}

/// `Jan  1 00:00` within six months of now, else `Jan  1  2020` (ls and GNU cpio).
fn ls_time(t: i64, now: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let time = t as libc::time_t;
    // SAFETY: an all-zero `tm` is a valid value for this plain C struct.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r is the thread-safe variant.
    if unsafe { libc::localtime_r(&time, &mut tm).is_null() } {
        return t.to_string();
    }
    let month = MONTHS.get(tm.tm_mon as usize).unwrap_or(&"???");
    let recent = (now - t).abs() < 6 * 30 * 24 * 3600 && t <= now + 3600;
    if recent {
        format!(
            "{month} {:2} {:02}:{:02}",
            tm.tm_mday, tm.tm_hour, tm.tm_min
        )
    } else {
        format!("{month} {:2}  {}", tm.tm_mday, tm.tm_year + 1900)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, UsageError> {
        Options::parse(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn options() {
        let o = parse(&["cpio", "-idmv", "-D", "out", "etc/*"]).expect("parses");
        assert_eq!(o.op, Op::In);
        assert!(o.make_dirs && o.keep_mtime && o.verbose);
        assert_eq!(o.dir, Some(PathBuf::from("out")));
        assert_eq!(o.patterns, vec!["etc/*".to_string()]);
        let o = parse(&["cpio", "-o0", "-H", "newc", "-Fa.cpio"]).expect("parses");
        assert_eq!((o.op, o.null), (Op::Out, true));
        assert_eq!(o.file, Some(PathBuf::from("a.cpio")));
        let o = parse(&["cpio", "-tv", "--file=x"]).expect("parses");
        assert_eq!((o.op, o.verbose), (Op::List, true));
        for bad in [
            &["cpio"][..],
            &["cpio", "-io"],
            &["cpio", "-o", "-H", "tar"],
            &["cpio", "-o", "x"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
