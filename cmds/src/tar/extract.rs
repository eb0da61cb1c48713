//! Extraction: member names made safe, the parents made (never through a symlink that leads
//! out of the target directory), each kind of member written, and the directories' modes and
//! times set last, deepest first, so writing their contents does not undo them.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use nix::sys::stat::{self, Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;

use super::users::Names;
use super::{Options, Problems};
use crate::compress;
use crate::error::io_reason;

/// A member name judged for extraction.
#[derive(Debug, PartialEq, Eq)]
pub enum Safe {
    /// Relative path inside the target directory.
    Path(PathBuf),
    /// Nothing left after `--strip-components` (or just `.`): nothing to do.
    Nothing,
    /// A `..` component: refused.
    DotDot,
}

/// `name` with leading `/` and `.` components dropped and `strip` leading components removed.
pub fn safe_name(name: &[u8], strip: usize) -> Safe {
    let mut parts = Vec::new();
    for part in name.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Safe::DotDot,
            p => parts.push(p),
        }
    }
    if parts.len() <= strip {
        return Safe::Nothing;
    }
    let mut path = PathBuf::new();
    for p in &parts[strip..] {
        path.push(std::ffi::OsStr::from_bytes(p));
    }
    Safe::Path(path)
}

struct DirFixup {
    path: PathBuf,
    mode: u32,
    mtime: u64,
}

pub struct Extractor<'a> {
    o: &'a Options,
    dest: PathBuf,
    canon_dest: Option<PathBuf>,
    dirs: Vec<DirFixup>,
    root: bool,
    umask: u32,
    same_owner: bool,
    names: Names,
    warned_slash: bool,
}

impl<'a> Extractor<'a> {
    pub fn new(o: &'a Options) -> Extractor<'a> {
        let dest = o.dir.clone().unwrap_or_else(|| PathBuf::from("."));
        let root = nix::unistd::geteuid().is_root();
        let old = stat::umask(Mode::from_bits_truncate(0o022));
        stat::umask(old);
        Extractor {
            o,
            canon_dest: fs::canonicalize(&dest).ok(),
            dest,
            dirs: Vec::new(),
            root,
            umask: old.bits(),
            same_owner: o.same_owner.unwrap_or(root),
            names: Names::load(Path::new("/")),
            warned_slash: false,
        }
    }

    /// The name as `-t`/`-v` show it: leading `/` removed, with GNU's message once.
    pub fn display_name(&mut self, raw: &[u8]) -> String {
        let trimmed: &[u8] = {
            let mut r = raw;
            while let [b'/', rest @ ..] = r {
                r = rest;
            }
            r
        };
        if trimmed.len() != raw.len() && !self.warned_slash {
            eprintln!("tar: Removing leading `/' from member names");
            self.warned_slash = true;
        }
        let shown = if trimmed.is_empty() {
            b"/" as &[u8]
        } else {
            trimmed
        };
        String::from_utf8_lossy(shown).into_owned()
    }

    /// Extract one member. Problems with it are reported and counted; the error returned is
    /// one reading the archive, which ends it.
    pub fn entry<R: Read>(
        &mut self,
        entry: &mut tar::Entry<R>,
        raw: &[u8],
        problems: &mut Problems,
    ) -> io::Result<()> {
        let shown = String::from_utf8_lossy(raw).into_owned();
        let kind = entry.header().entry_type();
        if self.o.to_stdout {
            if kind.is_file() || kind == tar::EntryType::Continuous {
                let mut out = io::stdout().lock();
                io::copy(entry, &mut out)?;
                out.flush()?;
            }
            return Ok(());
        }
        let rel = match safe_name(raw, self.o.strip) {
            Safe::Path(p) => p,
            Safe::Nothing => return Ok(()),
            Safe::DotDot => {
                problems.report(format!("{shown}: Member name contains '..'"));
                return Ok(());
            }
        };
        let target = self.dest.join(&rel);
        if let Err(msg) = self.make_parents(&rel) {
            problems.report(format!("{shown}: {msg}"));
            return Ok(());
        }
        let existing = fs::symlink_metadata(&target).ok();
        if let Some(m) = &existing {
            let both_dirs = m.is_dir() && kind == tar::EntryType::Directory;
            if self.o.keep_old && !both_dirs {
                problems.report(format!("{shown}: Cannot open: File exists"));
                return Ok(());
            }
            if m.is_dir() && !both_dirs {
                if let Err(e) = fs::remove_dir(&target) {
                    problems.report(format!("{shown}: Cannot unlink: {}", io_reason(&e)));
                    return Ok(());
                }
            } else if !m.is_dir() && !kind.is_file() {
                // Regular files replace by rename; other kinds need the name free.
                let _ = fs::remove_file(&target);
            }
        }
        let h = entry.header();
        let mode = h.mode().unwrap_or(0o644);
        let mtime = h.mtime().unwrap_or(0);
        let uid = self.owner_id(h.username_bytes(), h.uid().unwrap_or(0), true);
        let gid = self.owner_id(h.groupname_bytes(), h.gid().unwrap_or(0), false);
        let perm = self.perm(mode);
        let result = match kind {
            tar::EntryType::Directory => {
                let made = match existing {
                    Some(ref m) if m.is_dir() => Ok(()),
                    _ => fs::create_dir(&target),
                };
                made.map(|()| {
                    self.chown(&target, uid, gid);
                    self.dirs.push(DirFixup {
                        path: target.clone(),
                        mode: perm,
                        mtime,
                    });
                })
                .map_err(|e| format!("Cannot mkdir: {}", io_reason(&e)))
            }
            tar::EntryType::Symlink => {
                let link = entry
                    .link_name_bytes()
                    .map(|l| l.into_owned())
                    .unwrap_or_default();
                std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&link), &target)
                    .map(|()| {
                        self.chown(&target, uid, gid);
                        self.set_mtime_nofollow(&target, mtime);
                    })
                    .map_err(|e| {
                        format!(
                            "Cannot create symlink to '{}': {}",
                            String::from_utf8_lossy(&link),
                            io_reason(&e)
                        )
                    })
            }
            tar::EntryType::Link => {
                let link = entry
                    .link_name_bytes()
                    .map(|l| l.into_owned())
                    .unwrap_or_default();
                let shown_link = String::from_utf8_lossy(&link).into_owned();
                match safe_name(&link, self.o.strip) {
                    Safe::Path(p) => {
                        let src = self.dest.join(p);
                        let parent_inside =
                            match (src.parent().map(fs::canonicalize), &self.canon_dest) {
                                (Some(Ok(real)), Some(dest)) => real.starts_with(dest),
                                _ => false,
                            };
                        match fs::symlink_metadata(&src) {
                            _ if !parent_inside => Err(format!(
                                "Cannot hard link to '{shown_link}': outside the target directory"
                            )),
                            Ok(m) if m.is_dir() => Err(format!(
                                "Cannot hard link to '{shown_link}': Operation not permitted"
                            )),
                            _ => fs::hard_link(&src, &target).map_err(|e| {
                                format!("Cannot hard link to '{shown_link}': {}", io_reason(&e))
                            }),
                        }
                    }
                    // Its target was stripped away by --strip-components: so is the link.
                    Safe::Nothing => Ok(()),
                    Safe::DotDot => Err(format!(
                        "Cannot hard link to '{shown_link}': Invalid argument"
                    )),
                }
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                let (t, dev) = match kind {
                    tar::EntryType::Char => (SFlag::S_IFCHR, true),
                    tar::EntryType::Block => (SFlag::S_IFBLK, true),
                    _ => (SFlag::S_IFIFO, false),
                };
                let rdev = if dev {
                    let major = h.device_major().ok().flatten().unwrap_or(0);
                    let minor = h.device_minor().ok().flatten().unwrap_or(0);
                    libc::makedev(major, minor)
                } else {
                    0
                };
                stat::mknod(&target, t, Mode::from_bits_truncate(perm), rdev)
                    .map(|()| {
                        self.chown(&target, uid, gid);
                        let _ = fs::set_permissions(&target, fs::Permissions::from_mode(perm));
                        self.set_mtime_nofollow(&target, mtime);
                    })
                    .map_err(|e| format!("Cannot mknod: {}", e.desc()))
            }
            k if k.is_file()
                || k == tar::EntryType::Continuous
                || k == tar::EntryType::GNUSparse =>
            {
                self.write_file(entry, &target, perm, mtime, uid, gid)?
            }
            _ => Ok(()),
        };
        if let Err(msg) = result {
            problems.report(format!("{shown}: {msg}"));
        }
        Ok(())
    }

    /// A regular file through a temp file beside it, renamed into place once complete. Read
    /// errors (the archive) are returned; write errors are this member's problem.
    fn write_file<R: Read>(
        &self,
        entry: &mut tar::Entry<R>,
        target: &Path,
        perm: u32,
        mtime: u64,
        uid: u32,
        gid: u32,
    ) -> io::Result<Result<(), String>> {
        let (tmp_path, tmp) = match compress::temp_beside(target) {
            Ok(t) => t,
            Err(e) => return Ok(Err(format!("Cannot open: {}", io_reason(&e)))),
        };
        let mut w = io::BufWriter::new(&tmp);
        let mut buf = vec![0u8; 64 * 1024];
        let mut write_err = None;
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    drop(w);
                    let _ = fs::remove_file(&tmp_path);
                    return Err(e);
                }
            };
            if write_err.is_none() {
                if let Err(e) = w.write_all(&buf[..n]) {
                    write_err = Some(e);
                }
            }
        }
        if write_err.is_none() {
            if let Err(e) = w.flush() {
                write_err = Some(e);
            }
        }
        drop(w);
        if let Some(e) = write_err {
            let _ = fs::remove_file(&tmp_path);
            return Ok(Err(format!("Cannot write: {}", io_reason(&e))));
        }
        self.fchown(&tmp, uid, gid);
        let _ = tmp.set_permissions(fs::Permissions::from_mode(perm));
        if !self.o.touch {
            let t = UNIX_EPOCH + Duration::from_secs(mtime);
            let _ = tmp.set_times(
                fs::FileTimes::new()
                    .set_modified(t)
                    .set_accessed(std::time::SystemTime::now()),
            );
        }
        if let Err(e) = fs::rename(&tmp_path, target) {
            let _ = fs::remove_file(&tmp_path);
            return Ok(Err(format!("Cannot open: {}", io_reason(&e))));
        }
        Ok(Ok(()))
    }

    fn make_parents(&self, rel: &Path) -> Result<(), String> {
        make_parents(&self.dest, self.canon_dest.as_deref(), rel, true)
    }

    fn perm(&self, mode: u32) -> u32 {
        if self.o.preserve_perms || self.root {
            mode & 0o7777
        } else {
            mode & 0o777 & !self.umask
        }
    }

    fn owner_id(&self, name: Option<&[u8]>, id: u64, user: bool) -> u32 {
        let fallback = u32::try_from(id).unwrap_or(u32::MAX);
        if self.o.numeric_owner {
            return fallback;
        }
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return fallback;
        };
        let name = String::from_utf8_lossy(name);
        let found = if user {
            self.names.uid(&name)
        } else {
            self.names.gid(&name)
        };
        found.unwrap_or(fallback)
    }

    fn chown(&self, path: &Path, uid: u32, gid: u32) {
        if self.same_owner {
            let _ = std::os::unix::fs::lchown(path, Some(uid), Some(gid));
        }
    }

    fn fchown(&self, file: &File, uid: u32, gid: u32) {
        if self.same_owner {
            let _ = std::os::unix::fs::fchown(file, Some(uid), Some(gid));
        }
    }

    fn set_mtime_nofollow(&self, path: &Path, mtime: u64) {
        if self.o.touch {
            return;
        }
        let m = TimeSpec::new(i64::try_from(mtime).unwrap_or(0), 0);
        let _ = stat::utimensat(
            nix::fcntl::AT_FDCWD,
            path,
            &TimeSpec::UTIME_NOW,
            &m,
            UtimensatFlags::NoFollowSymlink,
        );
    }

    /// Directories' modes and times, deepest first (after everything inside them).
    pub fn finish(&mut self, _problems: &mut Problems) {
        while let Some(d) = self.dirs.pop() {
            let _ = fs::set_permissions(&d.path, fs::Permissions::from_mode(d.mode));
            if !self.o.touch {
                self.set_mtime_nofollow(&d.path, d.mtime);
            }
            let _ = fs::symlink_metadata(&d.path).map(|m| m.mode());
        }
    }
}

/// Make (when `create`) the directories above `rel` in `dest`, refusing to pass through a
/// symlink that leads outside `dest` (`canon_dest` is its canonical form).
pub fn make_parents(
    dest: &Path,
    canon_dest: Option<&Path>,
    rel: &Path,
    create: bool,
) -> Result<(), String> {
    let mut here = dest.to_path_buf();
    let parents: Vec<Component> = rel.components().collect();
    let Some((_, above)) = parents.split_last() else {
        return Ok(());
    };
    for c in above {
        here.push(c);
        match fs::symlink_metadata(&here) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                let inside = match (fs::canonicalize(&here), canon_dest) {
                    (Ok(real), Some(dest)) => real.starts_with(dest) && real.is_dir(),
                    _ => false,
                };
                if !inside {
                    return Err(format!(
                        "Cannot open: {} is a symlink leading out of the target directory",
                        here.strip_prefix(dest).unwrap_or(&here).display()
                    ));
                }
            }
            Ok(_) => return Err("Cannot open: Not a directory".into()),
            Err(e) if !create => return Err(format!("Cannot open: {}", io_reason(&e))),
            Err(_) => {
                fs::create_dir(&here).map_err(|e| format!("Cannot mkdir: {}", io_reason(&e)))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names() {
        let p = |s: &str| Safe::Path(PathBuf::from(s));
        let cases = [
            ("a/b", 0, p("a/b")),
            ("/etc/passwd", 0, p("etc/passwd")),
            ("./a/./b/", 0, p("a/b")),
            ("../evil", 0, Safe::DotDot),
            ("a/../../evil", 0, Safe::DotDot),
            ("a/b/c", 1, p("b/c")),
            ("a/b", 2, Safe::Nothing),
            ("./", 0, Safe::Nothing),
            ("a..b", 0, p("a..b")),
        ];
        for (name, strip, want) in cases {
            assert_eq!(safe_name(name.as_bytes(), strip), want, "{name} {strip}");
        }
    }
}
