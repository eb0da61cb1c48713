//! `hostname`: show or set the system's host name. net-tools/util-linux hostname(1) subset.
//!
//! usage: hostname [-s] | hostname NAME | hostname -F FILE

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use nix::errno::Errno;

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: hostname [-s]
       hostname NAME
       hostname -F FILE
Print the host name (-s: up to the first dot), or set it to NAME or to the first
line of FILE that is not empty or a # comment.
";

#[derive(Debug, thiserror::Error)]
pub enum HostnameError {
    #[error("{}: {}", path.display(), io_reason(source))]
    Read { path: PathBuf, source: io::Error },
    #[error("{}: no host name in file", .0.display())]
    Empty(PathBuf),
    #[error("{name}: {}", errno.desc())]
    Set { name: String, errno: Errno },
    #[error("uname: {}", .0.desc())]
    Uname(Errno),
    #[error("write error: {}", io_reason(.0))]
    Write(io::Error),
}

impl AppletError for HostnameError {}

#[derive(Debug, PartialEq, Eq)]
pub enum Options {
    Show { short: bool },
    Set(OsString),
    SetFromFile(PathBuf),
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut it = args.into_iter().skip(1);
        let first = it.next();
        let o = match first.as_ref().map(|a| a.to_string_lossy()) {
            None => Options::Show { short: false },
            Some(a) if a == "-s" || a == "--short" => Options::Show { short: true },
            Some(a) if a == "-F" || a == "--file" => Options::SetFromFile(
                it.next()
                    .ok_or_else(|| UsageError("option -F needs a FILE".into()))?
                    .into(),
            ),
            Some(a) if a.starts_with('-') => {
                return Err(UsageError(format!("invalid option '{a}'")))
            }
            Some(a) if a.is_empty() => return Err(UsageError("empty host name".into())),
            Some(_) => Options::Set(first.unwrap_or_default()),
        };
        if it.next().is_some() {
            return Err(UsageError("too many arguments".into()));
        }
        Ok(o)
    }
}

/// The host name a `-F` file holds: its first line that is neither blank nor a comment.
pub fn name_from_file(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
}

fn set(name: &OsString) -> Result<(), HostnameError> {
    nix::unistd::sethostname(name).map_err(|errno| HostnameError::Set {
        name: name.to_string_lossy().into_owned(),
        errno,
    })
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    match Options::parse(args)? {
        Options::Show { short } => {
            let node = nix::sys::utsname::uname()
                .map(|u| u.nodename().to_string_lossy().into_owned())
                .map_err(HostnameError::Uname)?;
            let name = if short {
                node.split('.').next().unwrap_or_default()
            } else {
                &node
            };
            writeln!(io::stdout(), "{name}").map_err(HostnameError::Write)?;
        }
        Options::Set(name) => set(&name)?,
        Options::SetFromFile(path) => {
            let text = fs::read_to_string(&path).map_err(|source| HostnameError::Read {
                path: path.clone(),
                source,
            })?;
            let name = name_from_file(&text).ok_or(HostnameError::Empty(path))?;
            set(&name.into())?;
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("hostname")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn parse_table() {
        let cases = [
            ("", Ok(Options::Show { short: false })),
            ("-s", Ok(Options::Show { short: true })),
            ("box.example", Ok(Options::Set("box.example".into()))),
            (
                "-F /etc/hostname",
                Ok(Options::SetFromFile("/etc/hostname".into())),
            ),
            ("-F", Err(UsageError("option -F needs a FILE".into()))),
            ("-x", Err(UsageError("invalid option '-x'".into()))),
            ("a b", Err(UsageError("too many arguments".into()))),
        ];
        for (line, want) in cases {
            assert_eq!(Options::parse(args(line)), want, "{line}");
        }
        let empty = vec![OsString::from("hostname"), OsString::new()];
        assert_eq!(
            Options::parse(empty),
            Err(UsageError("empty host name".into()))
        );
    }

    #[test]
    fn name_from_file_table() {
        let cases = [
            ("rroot\n", Some("rroot")),
            ("# generated\n\n  web1  \nweb2\n", Some("web1")),
            ("# only a comment\n", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(name_from_file(text), want, "{text:?}");
        }
    }
}
