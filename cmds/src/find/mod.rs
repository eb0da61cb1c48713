//! `find`: walk directory trees and evaluate an expression on every file. GNU find 4.9
//! subset: the tests, operators, options and actions fingers know (see USAGE).
//!
//! usage: find [-H|-L|-P] [PATH...] [EXPRESSION]

mod compare;
mod eval;
mod exec;
mod expr;
mod glob;
mod parse;
mod printf;
mod regex_dialect;
mod users;
mod walk;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::AppletResult;
use eval::Ctx;
use expr::Follow;
use parse::ExprError;

pub const USAGE: &str = "\
usage: find [-H|-L|-P] [PATH...] [EXPRESSION]
Walk each PATH (default .) and evaluate EXPRESSION (default -print) on every file.
Operators, tightest first: ( EXPR )  ! EXPR  -not EXPR  EXPR [-a|-and] EXPR
  EXPR -o|-or EXPR  EXPR , EXPR
Options: -maxdepth N -mindepth N -depth -xdev -mount -follow -daystart -regextype TYPE
Tests (N is +N more, -N less, N exactly):
  -name -iname -path -ipath -wholename -lname -ilname GLOB  -regex -iregex RE
  -type -xtype [bcdpfls],...  -size N[cwbkMG]  -empty  -perm [-/]MODE
  -mtime -atime -ctime N (days)  -mmin -amin -cmin N  -newer -anewer -cnewer FILE
  -user NAME  -group NAME  -uid N  -gid N  -nouser  -nogroup  -links N  -inum N
  -samefile FILE  -readable  -writable  -executable  -true  -false
Actions: -print -print0 -printf FMT -fprint FILE -fprint0 FILE -fprintf FILE FMT
  -ls -fls FILE -delete -prune -quit
  -exec CMD {} ;  -exec CMD {} +  -execdir CMD {} ;|+  -ok CMD {} ;  -okdir CMD {} ;
-H follows symbolic links given as PATHs, -L (or -follow) all of them; -P none.
";

/// Does `arg` start the expression (rather than being another starting point)?
fn starts_expression(arg: &OsString) -> bool {
    let s = arg.to_string_lossy();
    (s.starts_with('-') && s.len() > 1) || matches!(s.as_ref(), "!" | "(" | ")" | ",")
}

/// The leading `-H`/`-L`/`-P` (last wins; `-D` and `-O` are accepted and ignored), then the
/// paths, then the expression.
fn split_command_line(args: &[OsString]) -> Result<(Follow, Vec<PathBuf>, &[OsString]), ExprError> {
    let mut follow = Follow::Never;
    let mut i = 1;
    while let Some(a) = args.get(i) {
        match a.to_str() {
            Some("-H") => follow = Follow::Args,
            Some("-L") => follow = Follow::Always,
            Some("-P") => follow = Follow::Never,
            Some("-D") => i += 1,
            Some(o) if o.starts_with("-O") => {}
            Some("--") => {
                i += 1;
                break;
            }
            _ => break,
        }
        i += 1;
    }
    let rest = args.get(i..).unwrap_or_default();
    let n = rest
        .iter()
        .position(starts_expression)
        .unwrap_or(rest.len());
    let paths = rest[..n].iter().map(PathBuf::from).collect();
    Ok((follow, paths, &rest[n..]))
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let (follow, mut paths, expression) = split_command_line(&args)?;
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0);
    let users = users::Users::load(Path::new("/"));
    let parsed = parse::parse(expression, follow, &users, now)?;
    for w in &parsed.warnings {
        eprintln!("find: warning: {w}");
    }
    let mut expr = parsed.expr;
    let settings = parsed.settings;
    let now_secs = (now / 1_000_000_000) as i64;
    let mut cx = Ctx::new(parsed.sinks, users, settings.depth_first, now_secs);
    for path in &paths {
        if path.as_os_str().is_empty() {
            cx.warn("'': No such file or directory");
            continue;
        }
        walk::walk(path, &settings, &mut expr, &mut cx);
        if cx.quit {
            break;
        }
    }
    expr.for_each_exec(&mut |x| exec::flush(x, &mut cx));
    cx.flush();
    Ok(cx.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_then_expression() {
        let cases: [(&[&str], Follow, &[&str], usize); 7] = [
            (&["find"], Follow::Never, &[], 0),
            (
                &["find", "a", "b", "-name", "x"],
                Follow::Never,
                &["a", "b"],
                2,
            ),
            (&["find", "-L", "a"], Follow::Always, &["a"], 0),
            (
                &["find", "-H", "-P", "a", "!", "-x"],
                Follow::Never,
                &["a"],
                2,
            ),
            (&["find", "-H", "(", "-x", ")"], Follow::Args, &[], 3),
            (&["find", "-", "-print"], Follow::Never, &["-"], 1),
            (&["find", "--", "a"], Follow::Never, &["a"], 0),
        ];
        for (args, follow, paths, rest) in cases {
            let args: Vec<OsString> = args.iter().map(OsString::from).collect();
            let (f, p, r) = split_command_line(&args).unwrap();
            assert_eq!(f, follow, "{args:?}");
            let p: Vec<PathBuf> = p;
            let want: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
            assert_eq!(p, want, "{args:?}");
            assert_eq!(r.len(), rest, "{args:?}");
        }
    }
}
