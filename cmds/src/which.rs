//! `which`: print where PATH finds each command. Mirrors Debian's debianutils which(1).
//!
//! usage: which [-a] NAME...
//!
//! A NAME containing `/` is checked as given; others are looked up in each PATH element in
//! order (an empty element means `.`, printed as `./NAME`). A hit is a regular file the caller
//! may execute; a NAME PATH lacks that is an rbox applet is printed as is, since `sh` runs
//! the applet then (as its `command -v` says). Exit 0 when every NAME was found, 1 when any
//! was not (or no NAME), 2 on a bad option.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::error::{io_reason, AppletResult, Failure, UsageError};

pub const USAGE: &str = "\
usage: which [-a] NAME...
Print the path of each NAME that PATH finds as an executable file.
-a  print every match in PATH, not only the first
Exit status: 0 if all were found, 1 if any was not.
";

/// Used when PATH is unset (the value a login shell starts with on Debian).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub all: bool,
    pub names: Vec<OsString>,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut all = false;
        let mut rest = args.into_iter().skip(1).peekable();
        // getopts semantics: options first, `--` ends them, the first operand ends them.
        while let Some(arg) = rest.peek() {
            let bytes = arg.as_bytes();
            if bytes == b"--" {
                rest.next();
                break;
            }
            if bytes.len() < 2 || bytes[0] != b'-' {
                break;
            }
            for &c in &bytes[1..] {
                match c {
                    b'a' => all = true,
                    _ => return Err(UsageError(format!("invalid option -- '{}'", c as char))),
                }
            }
            rest.next();
        }
        Ok(Options {
            all,
            names: rest.collect(),
        })
    }
}

/// The candidates for `name` in `path`, in search order (existence not checked yet).
pub fn candidates(name: &OsStr, path: &OsStr) -> Vec<PathBuf> {
    if name.as_bytes().contains(&b'/') {
        return vec![PathBuf::from(name)];
    }
    // The shell's field splitting of an empty PATH yields no elements at all.
    if path.is_empty() {
        return Vec::new();
    }
    path.as_bytes()
        .split(|&b| b == b':')
        .map(|dir| {
            let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
            let mut full = dir.to_vec();
            full.push(b'/');
            full.extend_from_slice(name.as_bytes());
            PathBuf::from(OsString::from_vec(full))
        })
        .collect()
}

/// `test -f P && test -x P`: a regular file (after symlinks) we may execute.
fn is_executable_file(p: &Path) -> bool {
    let regular = std::fs::metadata(p).map(|m| m.is_file()).unwrap_or(false);
    regular && nix::unistd::access(p, nix::unistd::AccessFlags::X_OK).is_ok()
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let opts = Options::parse(args)?;
    let path = std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into());
    let mut out = io::stdout().lock();
    let mut status = if opts.names.is_empty() { 1 } else { 0 };
    for name in &opts.names {
        let mut found = false;
        for cand in candidates(name, &path) {
            if is_executable_file(&cand) {
                found = true;
                let mut line = cand.into_os_string().into_vec();
                line.push(b'\n');
                out.write_all(&line).map_err(write_failure)?;
                if !opts.all {
                    break;
                }
            }
        }
        // What the shell runs when PATH has nothing (its `command -v` prints the name too).
        if !found && !name.as_bytes().contains(&b'/') && is_applet(name) {
            found = true;
            let mut line = name.as_bytes().to_vec();
            line.push(b'\n');
            out.write_all(&line).map_err(write_failure)?;
        }
        if !found {
            status = 1;
        }
    }
    out.flush().map_err(write_failure)?;
    Ok(status)
}

/// An rbox applet: `sh` starts it as `/proc/self/exe` when PATH does not have it.
fn is_applet(name: &OsStr) -> bool {
    name.to_str().is_some_and(crate::applets::exists)
}

fn write_failure(e: io::Error) -> Failure {
    Failure {
        message: format!("write error: {}", io_reason(&e)),
        code: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn parse_table() {
        type Want = Option<(bool, &'static [&'static str])>;
        let cases: [(&[&str], Want); 7] = [
            (&["which", "ls"], Some((false, &["ls"]))),
            (&["which", "-a", "ls", "sh"], Some((true, &["ls", "sh"]))),
            (&["which", "-aa", "ls"], Some((true, &["ls"]))),
            (&["which", "--", "-a"], Some((false, &["-a"]))),
            (&["which", "ls", "-a"], Some((false, &["ls", "-a"]))),
            (&["which"], Some((false, &[]))),
            (&["which", "-x", "ls"], None),
        ];
        for (args, want) in cases {
            let got = Options::parse(os(args)).ok();
            let want = want.map(|(all, names)| Options {
                all,
                names: os(names),
            });
            assert_eq!(got, want, "{args:?}");
        }
    }

    #[test]
    fn applets_are_found_without_path() {
        assert!(is_applet(OsStr::new("which")));
        assert!(!is_applet(OsStr::new("no-such-applet")));
    }

    #[test]
    fn candidates_table() {
        let cases: [(&str, &str, &[&str]); 5] = [
            ("ls", "/bin:/usr/bin", &["/bin/ls", "/usr/bin/ls"]),
            ("ls", "/bin::/x", &["/bin/ls", "./ls", "/x/ls"]),
            ("ls", "", &[]),
            ("ls", "/bin:", &["/bin/ls", "./ls"]),
            ("./ls", "/bin", &["./ls"]),
        ];
        for (name, path, want) in cases {
            let got = candidates(OsStr::new(name), OsStr::new(path));
            let want: Vec<PathBuf> = want.iter().map(PathBuf::from).collect();
            assert_eq!(got, want, "{name} in {path}");
        }
    }
}
