//! `-exec`/`-execdir`/`-ok`/`-okdir`: run a command per file (`;`, true when it exits 0) or
//! per batch of files (`+`, always true; a failing batch makes find exit 1).

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::eval::{name_of, Ctx, Entry};
use super::expr::Exec;
use crate::error::io_reason;

/// Argument bytes one batch may hold; well under Linux's ARG_MAX of 2 MiB.
const BATCH_BYTES: usize = 128 * 1024;

pub fn on_file(x: &mut Exec, f: &Entry, cx: &mut Ctx) -> bool {
    let (dir, arg) = if x.in_dir {
        let parent = f
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut arg = b"./".to_vec();
        arg.extend_from_slice(name_of(f.path));
        (Some(parent.to_path_buf()), OsString::from_vec(arg))
    } else {
        (None, f.path.as_os_str().to_os_string())
    };
    if x.batch {
        if !x.pending.is_empty()
            && (x.pending_dir != dir || x.pending_bytes + arg.len() > BATCH_BYTES)
        {
            flush(x, cx);
        }
        x.pending_bytes += arg.len() + 1;
        x.pending.push(arg);
        x.pending_dir = dir;
        return true;
    }
    let argv: Vec<OsString> = x.argv.iter().map(|a| replace_braces(a, &arg)).collect();
    if x.ask && !confirm(&argv[0], &arg, cx) {
        return false;
    }
    run(&argv, dir.as_deref(), cx)
}

/// Run what a `+` batch holds (when it is full, its directory changes, or the walk ends).
pub fn flush(x: &mut Exec, cx: &mut Ctx) {
    if x.pending.is_empty() {
        return;
    }
    let mut argv: Vec<OsString> = x.argv[..x.argv.len() - 1].to_vec();
    argv.append(&mut x.pending);
    x.pending_bytes = 0;
    let dir = x.pending_dir.take();
    if !run(&argv, dir.as_deref(), cx) {
        cx.status = 1;
    }
}

/// Every `{}` in `arg` replaced by the file name (GNU replaces it inside words too).
fn replace_braces(arg: &OsStr, file: &OsStr) -> OsString {
    let a = arg.as_bytes();
    let mut out = Vec::with_capacity(a.len());
    let mut i = 0;
    while i < a.len() {
        if a[i..].starts_with(b"{}") {
            out.extend_from_slice(file.as_bytes());
            i += 2;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    OsString::from_vec(out)
}

/// `-ok`: `< CMD ... FILE > ? ` on stderr (GNU's prompt), then a line from stdin; yes if it
/// starts with y.
fn confirm(prog: &OsStr, file: &OsStr, cx: &mut Ctx) -> bool {
    cx.flush();
    eprint!(
        "< {} ... {} > ? ",
        prog.to_string_lossy(),
        file.to_string_lossy()
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim_start().as_bytes().first(), Some(b'y' | b'Y'))
}

fn run(argv: &[OsString], dir: Option<&Path>, cx: &mut Ctx) -> bool {
    let Some((prog, args)) = argv.split_first() else {
        return false;
    };
    cx.flush();
    let mut cmd = Command::new(prog);
    cmd.args(args);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    match cmd.status() {
        Ok(status) => status.success(),
        Err(e) => {
            cx.report(&format!(
                "'{}': {}",
                PathBuf::from(prog).display(),
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
    fn braces() {
        let cases = [
            ("{}", "a", "a"),
            ("x{}y", "a", "xay"),
            ("{}{}", "a", "aa"),
            ("{", "a", "{"),
            ("plain", "a", "plain"),
        ];
        for (arg, file, want) in cases {
            assert_eq!(replace_braces(OsStr::new(arg), OsStr::new(file)), want);
        }
    }
}
