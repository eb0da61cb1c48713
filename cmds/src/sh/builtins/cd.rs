//! `cd [-L|-P] [DIR|-]` and `pwd [-L|-P]` (XCU cd, pwd): logical paths by default, CDPATH,
//! OLDPWD and PWD kept up to date, messages and statuses as dash.

use super::super::exec::{err, Ex, Flow, Shell};
use super::{flags, out};

/// `.` and `..` removed lexically from an absolute path (XCU cd step 8); `//` squeezed.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Whether CDPATH applies to `dir` (XCU cd step 5: not absolute, not starting with `.`/`..`).
fn uses_cdpath(dir: &str) -> bool {
    !(dir.starts_with('/')
        || dir == "."
        || dir == ".."
        || dir.starts_with("./")
        || dir.starts_with("../"))
}

/// The directories to try for `dir`: (candidate, print it when found).
fn candidates(dir: &str, cdpath: Option<&str>) -> Vec<(String, bool)> {
    let mut v = Vec::new();
    if let Some(cdpath) = cdpath.filter(|_| uses_cdpath(dir)) {
        for entry in cdpath.split(':') {
            if entry.is_empty() {
                v.push((dir.to_string(), false));
            } else {
                v.push((format!("{}/{dir}", entry.trim_end_matches('/')), true));
            }
        }
    }
    // XCU cd step 6: without a CDPATH hit, DIR relative to the working directory.
    if !v.iter().any(|(c, _)| c == dir) {
        v.push((dir.to_string(), false));
    }
    v
}

fn getcwd() -> Option<String> {
    std::env::current_dir()
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// The shell's idea of the working directory: PWD when it names the current directory.
fn logical_pwd(sh: &Shell) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let pwd = sh.get("PWD").filter(|p| p.starts_with('/'))?;
    let (a, b) = (std::fs::metadata(&pwd).ok()?, std::fs::metadata(".").ok()?);
    (a.dev() == b.dev() && a.ino() == b.ino()).then_some(pwd)
}

pub fn cd(sh: &mut Shell, args: &[String]) -> Ex {
    let (opts, rest) = flags("cd", args, "LP")?;
    let physical = opts.ends_with('P');
    let (dir, mut print) = match rest.first().map(String::as_str) {
        None => match sh.get("HOME").filter(|h| !h.is_empty()) {
            Some(h) => (h, false),
            None => return Ok(0),
        },
        Some("") => return Ok(0),
        Some("-") => match sh.get("OLDPWD").or_else(|| logical_pwd(sh)) {
            Some(o) => (o, true),
            None => {
                err("cd: OLDPWD not set");
                return Err(Flow::Fail(2));
            }
        },
        Some(d) => (d.to_string(), false),
    };
    let old = logical_pwd(sh).or_else(getcwd);
    let cdpath = sh.get("CDPATH");
    let mut new = None;
    let mut why = nix::errno::Errno::ENOENT;
    for (cand, via_cdpath) in candidates(&dir, cdpath.as_deref()) {
        let target = match (&old, cand.starts_with('/')) {
            (Some(o), false) if !physical => normalize(&format!("{o}/{cand}")),
            (_, true) if !physical => normalize(&cand),
            _ => cand.clone(),
        };
        match nix::unistd::chdir(target.as_str()) {
            Ok(()) => {
                print |= via_cdpath;
                new = Some(if physical {
                    getcwd().unwrap_or(target)
                } else {
                    target
                });
                break;
            }
            Err(e) => why = e,
        }
    }
    let Some(new) = new else {
        // dash says "can't cd to DIR"; the reason is worth the words. Status 2 as dash.
        err(&format!("cd: {dir}: {}", why.desc()));
        return Err(Flow::Fail(2));
    };
    if print {
        out(&format!("{new}\n"));
    }
    if let Err(e) = sh.try_set("PWD", new) {
        err(&format!("cd: {e}"));
        return Err(Flow::Fail(2));
    }
    if let Some(v) = sh.vars.get_mut("PWD") {
        v.exported = true;
    }
    if let Some(o) = old {
        sh.set_exported("OLDPWD", o);
    }
    Ok(0)
}

pub fn pwd(sh: &mut Shell, args: &[String]) -> Ex {
    let (opts, _) = flags("pwd", args, "LP")?;
    let dir = if opts.ends_with('P') {
        getcwd()
    } else {
        logical_pwd(sh).or_else(getcwd)
    };
    match dir {
        Some(p) => {
            out(&format!("{p}\n"));
            Ok(0)
        }
        None => {
            err("pwd: can't get the current directory");
            Err(Flow::Fail(2))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_table() {
        for (p, want) in [
            ("/a/b/../c", "/a/c"),
            ("/a//b/./", "/a/b"),
            ("/..", "/"),
            ("/", "/"),
            ("/a/b/../../..", "/"),
        ] {
            assert_eq!(normalize(p), want, "{p}");
        }
    }

    #[test]
    fn cdpath_candidates_table() {
        let c = |d: &str, p: Option<&str>| candidates(d, p);
        assert_eq!(c("x", None), vec![("x".to_string(), false)]);
        assert_eq!(
            c("x", Some(":/p/")),
            vec![("x".to_string(), false), ("/p/x".to_string(), true)]
        );
        assert_eq!(c("./x", Some("/p")), vec![("./x".to_string(), false)]);
        assert_eq!(
            c("x", Some("/p")),
            vec![("/p/x".to_string(), true), ("x".to_string(), false)]
        );
        assert_eq!(c("/x", Some("/p")), vec![("/x".to_string(), false)]);
    }
}
