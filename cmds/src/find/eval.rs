//! Evaluating the expression on one file: tests look at its stat, actions write or run
//! things, operators short-circuit as in GNU find (`-quit` stops the rest at once).

use std::fs::{File, Metadata};
use std::io::{self, BufWriter, Stdout, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use super::expr::{Expr, TimeField};
use super::glob::fnmatch;
use super::users::Users;
use super::{exec, printf};
use crate::error::io_reason;

/// The file being looked at.
pub struct Entry<'a> {
    /// As printed: the starting point joined with the names below it.
    pub path: &'a Path,
    /// The starting point it was found under (`%H`, `%P`).
    pub root: &'a Path,
    pub depth: usize,
    /// The stat find uses: of the link's target when following links (or of the link itself
    /// when it dangles), of the link otherwise.
    pub meta: &'a Metadata,
    /// Whether `meta` came from following a link (so `-xtype` looks the other way).
    pub followed: bool,
}

/// What evaluation changes as it goes: outputs, exit status, `-prune`/`-quit` signals.
pub struct Ctx {
    pub stdout: BufWriter<Stdout>,
    /// `-fprint` files; sink `i` is `files[i - 1]`.
    pub files: Vec<BufWriter<File>>,
    pub users: Users,
    /// 0, or 1 once anything went wrong (find keeps going and exits 1 at the end).
    pub status: i32,
    pub quit: bool,
    /// Set by `-prune` on a directory: do not descend into it.
    pub prune: bool,
    pub depth_first: bool,
    pub now_secs: i64,
}

impl Ctx {
    pub fn new(files: Vec<File>, users: Users, depth_first: bool, now_secs: i64) -> Ctx {
        Ctx {
            stdout: BufWriter::new(io::stdout()),
            files: files.into_iter().map(BufWriter::new).collect(),
            users,
            status: 0,
            quit: false,
            prune: false,
            depth_first,
            now_secs,
        }
    }

    /// Report a problem with one file and go on; find will exit 1.
    pub fn warn(&mut self, msg: &str) {
        self.report(msg);
        self.status = 1;
    }

    /// Print `find: msg` without changing the exit status (a command `-exec … ;` could not
    /// run is only a false test to GNU find).
    pub fn report(&mut self, msg: &str) {
        let _ = self.stdout.flush();
        eprintln!("find: {msg}");
    }

    /// Flush every output (before running a command, so its output comes after ours).
    pub fn flush(&mut self) {
        let mut failed = self.stdout.flush().err();
        for f in &mut self.files {
            if let Err(e) = f.flush() {
                failed = Some(e);
            }
        }
        if let Some(e) = failed {
            self.warn(&format!("write error: {}", io_reason(&e)));
        }
    }

    fn write(&mut self, sink: usize, bytes: &[u8]) {
        let w: &mut dyn Write = match sink.checked_sub(1) {
            None => &mut self.stdout,
            Some(i) => match self.files.get_mut(i) {
                Some(f) => f,
                None => return,
            },
        };
        if let Err(e) = w.write_all(bytes) {
            self.warn(&format!("write error: {}", io_reason(&e)));
        }
    }
}

pub fn eval(expr: &mut Expr, f: &Entry, cx: &mut Ctx) -> bool {
    let m = f.meta;
    match expr {
        Expr::And(a, b) => eval(a, f, cx) && !cx.quit && eval(b, f, cx),
        Expr::Or(a, b) => eval(a, f, cx) || (!cx.quit && eval(b, f, cx)),
        Expr::Comma(a, b) => {
            eval(a, f, cx);
            !cx.quit && eval(b, f, cx)
        }
        Expr::Not(a) => !eval(a, f, cx),
        Expr::True => true,
        Expr::False => false,
        Expr::Name { pattern, fold } => fnmatch(pattern, name_of(f.path), *fold),
        Expr::Path { pattern, fold } => fnmatch(pattern, f.path.as_os_str().as_bytes(), *fold),
        Expr::LinkName { pattern, fold } => std::fs::read_link(f.path)
            .is_ok_and(|t| fnmatch(pattern, t.as_os_str().as_bytes(), *fold)),
        Expr::Regex(re) => re.is_match(f.path.as_os_str().as_bytes()),
        Expr::Type { letters, xtype } => {
            let letter = if *xtype {
                type_letter(&other_stat(f))
            } else {
                type_letter(m)
            };
            letters.contains(&letter)
        }
        Expr::Size(t) => t.matches(m.len()),
        Expr::Empty => {
            if m.is_dir() {
                std::fs::read_dir(f.path).is_ok_and(|mut d| d.next().is_none())
            } else {
                m.is_file() && m.len() == 0
            }
        }
        Expr::Age(field, t) => t.matches(time_ns(m, *field)),
        Expr::Newer(field, reference) => time_ns(m, *field) > *reference,
        Expr::Perm(t) => t.matches(m.mode()),
        Expr::Uid(n) => n.matches(i64::from(m.uid())),
        Expr::Gid(n) => n.matches(i64::from(m.gid())),
        Expr::NoUser => cx.users.user_name(m.uid()).is_none(),
        Expr::NoGroup => cx.users.group_name(m.gid()).is_none(),
        Expr::Links(n) => n.matches(i64::try_from(m.nlink()).unwrap_or(i64::MAX)),
        Expr::Inum(n) => n.matches(i64::try_from(m.ino()).unwrap_or(i64::MAX)),
        Expr::SameFile { dev, ino } => m.dev() == *dev && m.ino() == *ino,
        Expr::Access(mode) => nix::unistd::access(f.path, *mode).is_ok(),
        Expr::Print { sink, end } => {
            let mut line = f.path.as_os_str().as_bytes().to_vec();
            line.push(*end);
            cx.write(*sink, &line);
            true
        }
        Expr::Printf { sink, format } => {
            let text = printf::render(format, f, &cx.users);
            cx.write(*sink, &text);
            true
        }
        Expr::Ls { sink } => {
            let line = printf::ls_line(f, &cx.users, cx.now_secs);
            cx.write(*sink, &line);
            true
        }
        Expr::Delete => delete(f, cx),
        Expr::Prune => {
            if !cx.depth_first {
                cx.prune = true;
            }
            true
        }
        Expr::Quit => {
            cx.quit = true;
            true
        }
        Expr::Exec(x) => exec::on_file(x, f, cx),
    }
}

/// The last component, as `-name` sees it: trailing slashes dropped, `/` stays `/`.
pub fn name_of(path: &Path) -> &[u8] {
    let b = path.as_os_str().as_bytes();
    let end = b.iter().rposition(|&c| c != b'/').map_or(0, |i| i + 1);
    if end == 0 {
        return if b.is_empty() { b } else { b"/" };
    }
    let start = b[..end]
        .iter()
        .rposition(|&c| c == b'/')
        .map_or(0, |i| i + 1);
    &b[start..end]
}

/// `-type` letters: `bcdpfls`.
pub fn type_letter(m: &Metadata) -> u8 {
    let t = m.file_type();
    if t.is_symlink() {
        b'l'
    } else if t.is_dir() {
        b'd'
    } else if t.is_file() {
        b'f'
    } else if t.is_block_device() {
        b'b'
    } else if t.is_char_device() {
        b'c'
    } else if t.is_fifo() {
        b'p'
    } else if t.is_socket() {
        b's'
    } else {
        b'?'
    }
}

/// The stat `-xtype` and `%Y` use: the link itself when following, the target otherwise
/// (the link again when the target is missing).
pub fn other_stat(f: &Entry) -> Metadata {
    let other = if f.followed {
        std::fs::symlink_metadata(f.path)
    } else {
        std::fs::metadata(f.path)
    };
    other.unwrap_or_else(|_| f.meta.clone())
}

pub fn time_ns(m: &Metadata, field: TimeField) -> i128 {
    let (s, ns) = match field {
        TimeField::Access => (m.atime(), m.atime_nsec()),
        TimeField::Modify => (m.mtime(), m.mtime_nsec()),
        TimeField::Change => (m.ctime(), m.ctime_nsec()),
    };
    i128::from(s) * 1_000_000_000 + i128::from(ns)
}

/// `-delete`: unlink, or rmdir a directory; `.` itself is skipped as GNU does.
fn delete(f: &Entry, cx: &mut Ctx) -> bool {
    if name_of(f.path) == b"." {
        return true;
    }
    let lstat_is_dir = std::fs::symlink_metadata(f.path).is_ok_and(|m| m.is_dir());
    let removed = if lstat_is_dir {
        std::fs::remove_dir(f.path)
    } else {
        std::fs::remove_file(f.path)
    };
    match removed {
        Ok(()) => true,
        Err(e) => {
            cx.warn(&format!(
                "cannot delete '{}': {}",
                f.path.display(),
                io_reason(&e)
            ));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let cases = [
            ("a/b/c", "c"),
            ("c", "c"),
            ("./", "."),
            ("/", "/"),
            ("//", "/"),
            ("dir/", "dir"),
            (".", "."),
            ("/usr", "usr"),
        ];
        for (path, want) in cases {
            assert_eq!(name_of(Path::new(path)), want.as_bytes(), "{path}");
        }
    }
}
