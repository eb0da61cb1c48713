//! `tar`: create, list or extract tar archives, gzip/xz/zstd compressed or not. GNU tar 1.35
//! subset; the archive format is GNU (long names as `././@LongLink` entries) and pax/ustar
//! archives are read (the `tar` crate parses headers).
//!
//! usage: tar -c|-t|-x [-vzJapkmhOP] [-f FILE] [-C DIR] [--zstd] [--exclude=PAT]
//!            [--strip-components=N] [--numeric-owner] [--no-same-owner] [FILE...]
//!
//! Extraction never writes outside the target directory: leading `/` is stripped, members
//! with `..` are skipped (exit 2), and a symlink on the way to a member must resolve inside
//! the target. Regular files are written to a temp file beside the target and renamed into
//! place, so an error never leaves a half-written file (and an existing symlink at the name is
//! replaced, never followed).

pub(crate) mod extract;
mod options;
pub(crate) mod users;

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, IsTerminal, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::compress::{self, Codec};
use crate::error::{io_reason, AppletResult, Failure};

pub(crate) use options::glob as glob_match;
pub use options::{Operation, Options};

pub const USAGE: &str = "\
usage: tar -c [-vzJahp] [-f ARCHIVE] [-C DIR] [--zstd] [--exclude=PAT] [--owner=NAME]
             [--group=NAME] [--numeric-owner] FILE...
       tar -t [-v] [-f ARCHIVE] [--exclude=PAT] [MEMBER...]
       tar -x [-vkmpO] [-f ARCHIVE] [-C DIR] [--strip-components=N] [--exclude=PAT]
             [--no-same-owner] [--numeric-owner] [MEMBER...]
Create (-c), list (-t) or extract (-x) a tar archive; ARCHIVE - (the default) is stdin or
stdout. -z gzip, -J xz, --zstd zstd, -a by the archive's suffix; reading detects the
compression itself. Old-style bundled options work: tar czf x.tgz dir, tar xvf -.
-v verbose, -k keep existing files, -m don't restore mtimes, -p restore permissions exactly,
-h follow symlinks, -O extract to stdout. Exit 2 when some member had a problem.
";

/// A problem with one member: reported, the rest goes on, and tar exits 2 at the end.
pub(crate) struct Problems {
    count: usize,
}

impl Problems {
    pub(crate) fn report(&mut self, msg: String) {
        eprintln!("tar: {msg}");
        self.count += 1;
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
    let mut problems = Problems { count: 0 };
    let done = match o.op {
        Operation::Create => create(&o, &mut problems),
        Operation::List | Operation::Extract => read_archive(&o, &mut problems),
    };
    // GNU tar's fatal errors exit 2, which the dispatcher keeps for usage errors (it would
    // print the usage text): so they are printed here.
    if let Err(f) = done {
        eprintln!("tar: {}", f.message);
        return Ok(f.code);
    }
    if problems.count > 0 {
        eprintln!("tar: Exiting with failure status due to previous errors");
        return Ok(2);
    }
    Ok(0)
}

/// The codec `-c` writes with: the option, or with `-a` the archive's suffix.
fn create_codec(o: &Options) -> Result<Option<Codec>, Failure> {
    let codec = match (o.codec, o.auto) {
        (Some(c), _) => Some(c),
        (None, true) => Codec::from_suffix(&o.archive.to_string_lossy()),
        (None, false) => None,
    };
    if codec == Some(Codec::Bzip2) {
        return Err(fatal("bzip2 compression is not supported".into()));
    }
    Ok(codec)
}

/// Counts bytes so the archive can be padded to whole 10240-byte records like GNU tar's.
struct Counting<W: Write> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

const RECORD: u64 = 10240;

fn create(o: &Options, problems: &mut Problems) -> Result<(), Failure> {
    if o.files.is_empty() {
        return Err(fatal("Cowardly refusing to create an empty archive".into()));
    }
    let codec = create_codec(o)?;
    let to_stdout = o.archive.as_os_str() == "-";
    if to_stdout && io::stdout().is_terminal() {
        return Err(fatal(
            "Refusing to write archive contents to terminal (missing -f option?)".into(),
        ));
    }
    let shown = o.archive.display().to_string();
    let oops = |e: io::Error| fatal(format!("{shown}: Cannot write: {}", io_reason(&e)));
    // The archive goes to a temp file renamed into place at the end.
    let mut temp: Option<(PathBuf, File)> = None;
    let raw: Box<dyn Write + Send> = if to_stdout {
        Box::new(io::stdout())
    } else {
        let (path, file) = compress::temp_beside(&o.archive)
            .map_err(|e| fatal(format!("{shown}: Cannot open: {}", io_reason(&e))))?;
        let w = file.try_clone().map_err(oops)?;
        temp = Some((path, file));
        Box::new(io::BufWriter::new(w))
    };
    // Neither the archive being written nor an old one it replaces goes into it.
    let mut skip_self: Vec<(u64, u64)> = temp
        .as_ref()
        .and_then(|(_, f)| f.metadata().ok())
        .map(|m| (m.dev(), m.ino()))
        .into_iter()
        .collect();
    if let (false, Ok(m)) = (to_stdout, fs::metadata(&o.archive)) {
        skip_self.push((m.dev(), m.ino()));
    }
    let result = (|| -> Result<(), Failure> {
        let out = match codec {
            Some(c) => ArchiveOut::Compressed(
                compress::encoder(c, 6, compress::GzipName::default(), raw).map_err(oops)?,
            ),
            None => ArchiveOut::Plain(raw),
        };
        let mut builder = tar::Builder::new(Counting {
            inner: out,
            count: 0,
        });
        let mut state = CreateState {
            o,
            links: HashMap::new(),
            users: users::Names::load(Path::new("/")),
            skip_self,
            stripped_slash: false,
            verbose_to_stderr: to_stdout,
        };
        for f in &o.files {
            let disk = o.dir_for(f);
            let name = state.member_name(&f.to_string_lossy());
            if let Err(e) = state.add(&mut builder, &disk, &name, problems) {
                return Err(fatal(format!("{shown}: Cannot write: {}", io_reason(&e))));
            }
        }
        let mut counting = builder.into_inner().map_err(oops)?;
        let pad = (RECORD - counting.count % RECORD) % RECORD;
        counting.write_all(&vec![0; pad as usize]).map_err(oops)?;
        counting.flush().map_err(oops)?;
        counting.inner.finish().map_err(oops)?;
        Ok(())
    })();
    match (result, temp) {
        (Ok(()), Some((path, file))) => {
            file.sync_all().map_err(oops)?;
            if let Err(e) = fs::rename(&path, &o.archive) {
                let _ = fs::remove_file(&path);
                return Err(oops(e));
            }
            Ok(())
        }
        (Ok(()), None) => Ok(()),
        (Err(e), t) => {
            if let Some((path, _)) = t {
                let _ = fs::remove_file(path);
            }
            Err(e)
        }
    }
}

/// Where the archive's bytes go: straight out, or through a compressor.
enum ArchiveOut {
    Plain(Box<dyn Write + Send>),
    Compressed(Box<dyn compress::Encoder>),
}

impl ArchiveOut {
    fn finish(self) -> io::Result<()> {
        match self {
            ArchiveOut::Plain(mut w) => w.flush(),
            ArchiveOut::Compressed(e) => e.finish(),
        }
    }
}

impl Write for ArchiveOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            ArchiveOut::Plain(w) => w.write(buf),
            ArchiveOut::Compressed(e) => e.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            ArchiveOut::Plain(w) => w.flush(),
            ArchiveOut::Compressed(_) => Ok(()),
        }
    }
}

struct CreateState<'a> {
    o: &'a Options,
    /// (dev, ino) of files with several links → the member name they were first stored as.
    links: HashMap<(u64, u64), Vec<u8>>,
    users: users::Names,
    skip_self: Vec<(u64, u64)>,
    stripped_slash: bool,
    verbose_to_stderr: bool,
}

impl CreateState<'_> {
    /// The name an argument is stored under: leading `/` removed (with GNU's message).
    fn member_name(&mut self, arg: &str) -> String {
        let trimmed = arg.trim_start_matches('/');
        if trimmed.len() != arg.len() && !self.stripped_slash {
            eprintln!("tar: Removing leading `/' from member names");
            self.stripped_slash = true;
        }
        let trimmed = trimmed.trim_end_matches('/');
        if trimmed.is_empty() {
            ".".into()
        } else {
            trimmed.to_string()
        }
    }

    fn add<W: Write>(
        &mut self,
        b: &mut tar::Builder<W>,
        disk: &Path,
        name: &str,
        problems: &mut Problems,
    ) -> io::Result<()> {
        if self.o.excluded(name) {
            return Ok(());
        }
        let meta = if self.o.dereference {
            fs::metadata(disk)
        } else {
            fs::symlink_metadata(disk)
        };
        let meta = match meta {
            Ok(m) => m,
            Err(e) => {
                problems.report(format!(
                    "{}: Cannot stat: {}",
                    disk.display(),
                    io_reason(&e)
                ));
                return Ok(());
            }
        };
        if self.skip_self.contains(&(meta.dev(), meta.ino())) {
            let shown = self.o.archive.display();
            eprintln!("tar: {shown}: file is the archive; not dumped");
            return Ok(());
        }
        let ft = meta.file_type();
        let mut header = tar::Header::new_gnu();
        header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
        header.set_mode(meta.mode() & 0o7777);
        header.set_size(0);
        self.set_owner(&mut header, meta.uid(), meta.gid());
        let mut member = name.as_bytes().to_vec();
        if ft.is_dir() && member != b"." {
            member.push(b'/');
        } else if ft.is_dir() {
            member = b"./".to_vec();
        }
        self.verbose(&member);
        let key = (meta.dev(), meta.ino());
        if !ft.is_dir() && meta.nlink() > 1 {
            if let Some(first) = self.links.get(&key) {
                header.set_entry_type(tar::EntryType::Link);
                let first = first.clone();
                return append(b, &mut header, &member, Some(&first), io::empty());
            }
            self.links.insert(key, member.clone());
        }
        if ft.is_symlink() {
            let target = match fs::read_link(disk) {
                Ok(t) => t,
                Err(e) => {
                    problems.report(format!(
                        "{}: Cannot readlink: {}",
                        disk.display(),
                        io_reason(&e)
                    ));
                    return Ok(());
                }
            };
            return append(
                b,
                &mut header,
                &member,
                Some(target.as_os_str().as_bytes()),
                io::empty(),
            );
        }
        if ft.is_file() {
            let file = match File::open(disk) {
                Ok(f) => f,
                Err(e) => {
                    problems.report(format!(
                        "{}: Cannot open: {}",
                        disk.display(),
                        io_reason(&e)
                    ));
                    return Ok(());
                }
            };
            header.set_size(meta.len());
            let mut data = Exact {
                inner: file,
                left: meta.len(),
                short: false,
            };
            append(b, &mut header, &member, None, &mut data)?;
            if data.short {
                problems.report(format!(
                    "{}: File shrank while being read; padding with zeros",
                    disk.display()
                ));
            }
            return Ok(());
        }
        if let Some(kind) = device_kind(&meta) {
            header.set_entry_type(kind);
            let rdev = meta.rdev();
            header.set_device_major(libc::major(rdev))?;
            header.set_device_minor(libc::minor(rdev))?;
            return append(b, &mut header, &member, None, io::empty());
        }
        if ft.is_dir() {
            append(b, &mut header, &member, None, io::empty())?;
            let mut children: Vec<OsString> = match fs::read_dir(disk) {
                Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.file_name()).collect(),
                Err(e) => {
                    problems.report(format!(
                        "{}: Cannot open: {}",
                        disk.display(),
                        io_reason(&e)
                    ));
                    return Ok(());
                }
            };
            children.sort();
            for child in children {
                let cname = if name == "." {
                    format!("./{}", child.to_string_lossy())
                } else {
                    format!("{name}/{}", child.to_string_lossy())
                };
                self.add(b, &disk.join(&child), &cname, problems)?;
            }
            return Ok(());
        }
        problems.report(format!("{}: socket ignored", disk.display()));
        Ok(())
    }

    fn set_owner(&self, h: &mut tar::Header, uid: u32, gid: u32) {
        let (uid, uname) = match &self.o.owner {
            Some(spec) => self.users.resolve_user(spec),
            None => (uid, self.users.user_name(uid)),
        };
        let (gid, gname) = match &self.o.group {
            Some(spec) => self.users.resolve_group(spec),
            None => (gid, self.users.group_name(gid)),
        };
        h.set_uid(u64::from(uid));
        h.set_gid(u64::from(gid));
        if !self.o.numeric_owner {
            if let Some(n) = uname {
                let _ = h.set_username(&n);
            }
            if let Some(n) = gname {
                let _ = h.set_groupname(&n);
            }
        }
    }

    fn verbose(&self, member: &[u8]) {
        if self.o.verbose > 0 {
            let line = format!("{}\n", String::from_utf8_lossy(member));
            if self.verbose_to_stderr {
                eprint!("{line}");
            } else {
                print!("{line}");
            }
        }
    }
}

fn device_kind(meta: &fs::Metadata) -> Option<tar::EntryType> {
    use std::os::unix::fs::FileTypeExt;
    let ft = meta.file_type();
    if ft.is_char_device() {
        Some(tar::EntryType::Char)
    } else if ft.is_block_device() {
        Some(tar::EntryType::Block)
    } else if ft.is_fifo() {
        Some(tar::EntryType::Fifo)
    } else {
        None
    }
}

/// Exactly `left` bytes of a file that may change size while it is read: zeros fill a
/// shortfall (as GNU tar does), growth is cut off.
struct Exact<R: Read> {
    inner: R,
    left: u64,
    short: bool,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = if self.short {
            0
        } else {
            self.inner.read(&mut buf[..want])?
        };
        let n = if n == 0 {
            self.short = true;
            buf[..want].fill(0);
            want
        } else {
            n
        };
        self.left -= n as u64;
        Ok(n)
    }
}

/// Write one member: GNU long-name (`L`) and long-link (`K`) entries first when the name or
/// link target does not fit the 100 bytes of the header.
fn append<W: Write>(
    b: &mut tar::Builder<W>,
    header: &mut tar::Header,
    name: &[u8],
    link: Option<&[u8]>,
    data: impl Read,
) -> io::Result<()> {
    const FIELD: usize = 100;
    if name.len() > FIELD {
        long_entry(b, b'L', name)?;
    }
    if let Some(link) = link {
        if link.len() > FIELD {
            long_entry(b, b'K', link)?;
        }
        let field = &mut header.as_old_mut().linkname;
        field.fill(0);
        let n = link.len().min(FIELD);
        field[..n].copy_from_slice(&link[..n]);
    }
    let field = &mut header.as_old_mut().name;
    field.fill(0);
    let n = name.len().min(FIELD);
    field[..n].copy_from_slice(&name[..n]);
    header.set_cksum();
    b.append(header, data)
}

fn long_entry<W: Write>(b: &mut tar::Builder<W>, kind: u8, value: &[u8]) -> io::Result<()> {
    let mut h = tar::Header::new_gnu();
    let field = &mut h.as_old_mut().name;
    field[..13].copy_from_slice(b"././@LongLink");
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    let mut data = value.to_vec();
    data.push(0);
    h.set_size(data.len() as u64);
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_cksum();
    b.append(&h, &data[..])
}

/// Open the archive for reading, decompressing whatever compression its first bytes show.
fn open_archive(o: &Options) -> Result<Box<dyn Read>, Failure> {
    let shown = o.archive.display().to_string();
    let raw: Box<dyn Read> = if o.archive.as_os_str() == "-" {
        if io::stdin().is_terminal() {
            return Err(fatal(
                "Refusing to read archive contents from terminal (missing -f option?)".into(),
            ));
        }
        Box::new(io::stdin())
    } else {
        Box::new(
            File::open(&o.archive)
                .map_err(|e| fatal(format!("{shown}: Cannot open: {}", io_reason(&e))))?,
        )
    };
    let (head, raw) = compress::peek(raw, 6)
        .map_err(|e| fatal(format!("{shown}: Cannot read: {}", io_reason(&e))))?;
    match Codec::from_magic(&head) {
        Some(Codec::Bzip2) => Err(fatal("bzip2 compression is not supported".into())),
        Some(c) => {
            compress::decoder(c, raw).map_err(|e| fatal(format!("{shown}: {}", io_reason(&e))))
        }
        None => Ok(Box::new(raw)),
    }
}

fn read_archive(o: &Options, problems: &mut Problems) -> Result<(), Failure> {
    let input = open_archive(o)?;
    let mut archive = tar::Archive::new(input);
    let entries = archive.entries().map_err(|e| fatal(io_reason(&e)))?;
    let mut ex = extract::Extractor::new(o);
    let mut lister = List::default();
    let mut seen_any = false;
    let mut found = vec![false; o.files.len()];
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let msg = if seen_any {
                    archive_error(&e)
                } else {
                    "This does not look like a tar archive".into()
                };
                ex.finish(problems);
                problems.report(msg);
                return Err(fatal("Error is not recoverable: exiting now".into()));
            }
        };
        seen_any = true;
        let kind = entry.header().entry_type();
        if matches!(kind, tar::EntryType::XGlobalHeader) {
            continue;
        }
        let raw = entry.path_bytes().into_owned();
        let name = ex.display_name(&raw);
        if o.excluded(&name) || !o.selected(&name) {
            continue;
        }
        for i in o.selecting(&name) {
            found[i] = true;
        }
        match o.op {
            Operation::List => {
                let line = lister.line(o, &entry, &name);
                print!("{line}");
            }
            _ => {
                if o.verbose > 0 && !o.to_stdout {
                    let line = if o.verbose > 1 {
                        lister.line(o, &entry, &name)
                    } else {
                        format!("{name}\n")
                    };
                    print!("{line}");
                }
                if let Err(e) = ex.entry(&mut entry, &raw, problems) {
                    ex.finish(problems);
                    return Err(fatal(archive_error(&e)));
                }
            }
        }
    }
    let _ = io::stdout().flush();
    ex.finish(problems);
    for (f, hit) in o.files.iter().zip(found) {
        if !hit {
            problems.report(format!("{}: Not found in archive", f.display()));
        }
    }
    Ok(())
}

fn archive_error(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        "Unexpected EOF in archive".into()
    } else {
        io_reason(e)
    }
}

/// `tar -tv` lines like GNU's: the owner/size column grows to fit and never shrinks.
#[derive(Default)]
struct List {
    width: usize,
}

impl List {
    fn line<R: Read>(&mut self, o: &Options, entry: &tar::Entry<R>, name: &str) -> String {
        let h = entry.header();
        let link = entry
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default();
        let kind = h.entry_type();
        let suffix = match kind {
            tar::EntryType::Symlink => format!(" -> {link}"),
            tar::EntryType::Link => format!(" link to {link}"),
            _ => String::new(),
        };
        if o.verbose == 0 {
            return format!("{name}\n");
        }
        let mode = h.mode().unwrap_or(0);
        let user = owner_text(h.username_bytes(), h.uid().unwrap_or(0), o.numeric_owner);
        let group = owner_text(h.groupname_bytes(), h.gid().unwrap_or(0), o.numeric_owner);
        let size = match kind {
            tar::EntryType::Char | tar::EntryType::Block => format!(
                "{},{}",
                h.device_major().ok().flatten().unwrap_or(0),
                h.device_minor().ok().flatten().unwrap_or(0)
            ),
            _ => entry.size().to_string(),
        };
        if self.width == 0 {
            self.width = 18;
        }
        let pad = user.len() + 1 + group.len() + size.len();
        if pad > self.width {
            self.width = pad;
        }
        let time = format_time(h.mtime().unwrap_or(0) as i64);
        format!(
            "{} {user}/{group} {:>w$} {time} {name}{suffix}\n",
            mode_string(kind, mode),
            size,
            w = self.width - pad + size.len()
        )
    }
}

fn owner_text(name: Option<&[u8]>, id: u64, numeric: bool) -> String {
    match name {
        Some(n) if !n.is_empty() && !numeric => String::from_utf8_lossy(n).into_owned(),
        _ => id.to_string(),
    }
}

/// `-rw-r--r--`, `drwxr-xr-x`, `hrw-r--r--` (hard link) as GNU tar prints them.
pub fn mode_string(kind: tar::EntryType, mode: u32) -> String {
    let t = match kind {
        tar::EntryType::Directory => 'd',
        tar::EntryType::Symlink => 'l',
        tar::EntryType::Link => 'h',
        tar::EntryType::Char => 'c',
        tar::EntryType::Block => 'b',
        tar::EntryType::Fifo => 'p',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(t);
    let bits = [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o040, 'r'),
        (0o020, 'w'),
        (0o010, 'x'),
        (0o004, 'r'),
        (0o002, 'w'),
        (0o001, 'x'),
    ];
    for (i, (bit, c)) in bits.iter().enumerate() {
        let special = match i {
            2 => mode & 0o4000 != 0,
            5 => mode & 0o2000 != 0,
            8 => mode & 0o1000 != 0,
            _ => false,
        };
        let set = mode & bit != 0;
        let ch = match (special, set) {
            (false, true) => *c,
            (false, false) => '-',
            (true, set) => {
                let sc = if i == 8 { 't' } else { 's' };
                if set {
                    sc
                } else {
                    sc.to_ascii_uppercase()
                }
            }
        };
        s.push(ch);
    }
    s
}

/// `2026-01-01 00:00` in local time.
fn format_time(t: i64) -> String {
    let time = t as libc::time_t;
    // SAFETY: an all-zero `tm` is a valid value for this plain C struct.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r is the thread-safe variant.
    let ok = unsafe { !libc::localtime_r(&time, &mut tm).is_null() };
    if !ok {
        return t.to_string();
    }
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_strings() {
        let cases = [
            (tar::EntryType::Regular, 0o644, "-rw-r--r--"),
            (tar::EntryType::Directory, 0o755, "drwxr-xr-x"),
            (tar::EntryType::Symlink, 0o777, "lrwxrwxrwx"),
            (tar::EntryType::Link, 0o644, "hrw-r--r--"),
            (tar::EntryType::Regular, 0o4755, "-rwsr-xr-x"),
            (tar::EntryType::Regular, 0o2644, "-rw-r-Sr--"),
            (tar::EntryType::Directory, 0o1777, "drwxrwxrwt"),
            (tar::EntryType::Char, 0o600, "crw-------"),
        ];
        for (kind, mode, want) in cases {
            assert_eq!(mode_string(kind, mode), want);
        }
    }

    #[test]
    fn owner_column() {
        assert_eq!(owner_text(Some(b"root"), 0, false), "root");
        assert_eq!(owner_text(Some(b"root"), 0, true), "0");
        assert_eq!(owner_text(None, 1000, false), "1000");
    }
}
