//! `chroot`: run a command with another root directory. GNU coreutils chroot(1) subset.
//!
//! usage: chroot NEWROOT [COMMAND [ARG...]]
//!
//! Exit status like coreutils: 125 if the chroot itself fails, 126 if COMMAND cannot be run,
//! 127 if it is not found.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use nix::errno::Errno;

use crate::error::{AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: chroot NEWROOT [COMMAND [ARG...]]
Run COMMAND with the root directory set to NEWROOT (default: \"$SHELL -i\", else \"/bin/sh -i\").
Exit status: 125 if the chroot fails, 126 if COMMAND cannot run, 127 if it is not found.
";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChrootError {
    #[error("cannot change root directory to '{}': {}", path.display(), errno.desc())]
    Chroot { path: PathBuf, errno: Errno },
    #[error("cannot change directory to /: {}", .0.desc())]
    Chdir(Errno),
    #[error("failed to run command '{}': {}", command.to_string_lossy(), errno.desc())]
    Exec { command: OsString, errno: Errno },
}

impl AppletError for ChrootError {
    fn exit_code(&self) -> i32 {
        match self {
            ChrootError::Exec {
                errno: Errno::ENOENT,
                ..
            } => 127,
            ChrootError::Exec { .. } => 126,
            _ => 125,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    newroot: PathBuf,
    command: Vec<OsString>,
}

impl Options {
    /// `shell` is `$SHELL`, the default command's program.
    pub fn parse(args: Vec<OsString>, shell: Option<OsString>) -> Result<Options, UsageError> {
        let mut rest = args.into_iter().skip(1).peekable();
        if rest.peek().is_some_and(|a| a == "--") {
            rest.next();
        } else if let Some(a) = rest.peek().filter(|a| a.to_string_lossy().starts_with('-')) {
            return Err(UsageError(format!(
                "unrecognized option '{}'",
                a.to_string_lossy()
            )));
        }
        let newroot = rest
            .next()
            .ok_or_else(|| UsageError("missing operand".into()))?;
        let mut command: Vec<OsString> = rest.collect();
        if command.is_empty() {
            let shell = shell.filter(|s| !s.is_empty()).unwrap_or("/bin/sh".into());
            command = vec![shell, "-i".into()];
        }
        Ok(Options {
            newroot: newroot.into(),
            command,
        })
    }
}

fn exec(command: Vec<OsString>) -> ChrootError {
    let program = command[0].clone();
    let fail = |errno| ChrootError::Exec {
        command: program.clone(),
        errno,
    };
    let argv: Result<Vec<CString>, _> = command
        .into_iter()
        .map(|a| CString::new(a.into_vec()))
        .collect();
    match argv {
        Ok(argv) => match nix::unistd::execvp(&argv[0], &argv) {
            Err(e) => fail(e),
            Ok(never) => match never {},
        },
        Err(_) => fail(Errno::EINVAL),
    }
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args, std::env::var_os("SHELL"))?;
    nix::unistd::chroot(&o.newroot).map_err(|errno| ChrootError::Chroot {
        path: o.newroot.clone(),
        errno,
    })?;
    nix::unistd::chdir("/").map_err(ChrootError::Chdir)?;
    Err(exec(o.command).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("chroot")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn parse_table() {
        let cases: &[(&str, Option<&str>, &str, &[&str])] = &[
            ("/new", None, "/new", &["/bin/sh", "-i"]),
            ("/new", Some(""), "/new", &["/bin/sh", "-i"]),
            ("/new", Some("/bin/bash"), "/new", &["/bin/bash", "-i"]),
            ("/new ls -l /", None, "/new", &["ls", "-l", "/"]),
            ("-- /new true", None, "/new", &["true"]),
        ];
        for &(line, shell, root, command) in cases {
            let o = Options::parse(args(line), shell.map(OsString::from)).expect(line);
            assert_eq!(o.newroot, PathBuf::from(root), "{line}");
            assert_eq!(o.command, command, "{line}");
        }
        let errors = [
            ("", "missing operand"),
            (
                "--userspec=1:1 /new",
                "unrecognized option '--userspec=1:1'",
            ),
        ];
        for (line, want) in errors {
            assert_eq!(
                Options::parse(args(line), None),
                Err(UsageError(want.into()))
            );
        }
    }

    #[test]
    fn exit_codes_like_coreutils() {
        let exec = |errno| ChrootError::Exec {
            command: "x".into(),
            errno,
        };
        let cases = [
            (
                ChrootError::Chroot {
                    path: "/nope".into(),
                    errno: Errno::ENOENT,
                },
                125,
                "cannot change root directory to '/nope': No such file or directory",
            ),
            (
                exec(Errno::ENOENT),
                127,
                "failed to run command 'x': No such file or directory",
            ),
            (
                exec(Errno::EACCES),
                126,
                "failed to run command 'x': Permission denied",
            ),
            (
                exec(Errno::ENOEXEC),
                126,
                "failed to run command 'x': Exec format error",
            ),
        ];
        for (e, code, text) in cases {
            assert_eq!((e.exit_code(), e.to_string()), (code, text.to_string()));
        }
    }

    #[test]
    fn exec_failure_is_reported_not_panicked() {
        let e = exec(vec!["/nonexistent/program".into()]);
        assert_eq!(e.exit_code(), 127);
        let e = exec(vec![OsString::from_vec(b"bad\0name".to_vec())]);
        assert_eq!(e.exit_code(), 126);
    }
}
