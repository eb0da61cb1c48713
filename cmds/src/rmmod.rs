//! `rmmod`: unload kernel modules. kmod rmmod(8) subset.
//!
//! usage: rmmod [-f] NAME...

use std::ffi::OsString;

use nix::errno::Errno;
use rroot_init::modules::{module_name, remove_error_reason, KernelLoader, ModuleLoader};

use crate::error::{AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: rmmod [-f] NAME...
Unload the kernel modules NAME (a name or a .ko path). -f: force, even when in use
(needs a kernel with CONFIG_MODULE_FORCE_UNLOAD).
";

#[derive(Debug, thiserror::Error)]
#[error("{name}: {}", remove_error_reason(*errno))]
pub struct RmmodError {
    name: String,
    errno: Errno,
}

impl AppletError for RmmodError {}

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub force: bool,
    pub names: Vec<String>,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            force: false,
            names: Vec::new(),
        };
        let mut options_done = false;
        for a in args.into_iter().skip(1) {
            let a = a.to_string_lossy().into_owned();
            match a.as_str() {
                "--" if !options_done => options_done = true,
                "-f" | "--force" if !options_done => o.force = true,
                // kmod's -s (syslog) and -v have nothing to change here.
                "-s" | "--syslog" | "-v" | "--verbose" if !options_done => {}
                s if s.starts_with('-') && s.len() > 1 && !options_done => {
                    return Err(UsageError(format!("invalid option '{s}'")))
                }
                _ => o.names.push(module_name(&a)),
            }
        }
        if o.names.is_empty() {
            return Err(UsageError("missing module NAME".into()));
        }
        Ok(o)
    }

    /// delete_module(2) flags: never wait for users to go away; O_TRUNC forces.
    pub fn flags(&self) -> i32 {
        libc::O_NONBLOCK | if self.force { libc::O_TRUNC } else { 0 }
    }
}

/// Remove every module; stop at the first the kernel refuses.
pub fn remove(loader: &mut dyn ModuleLoader, o: &Options) -> Result<(), RmmodError> {
    for name in &o.names {
        loader
            .delete_module(name, o.flags())
            .map_err(|errno| RmmodError {
                name: name.clone(),
                errno,
            })?;
    }
    Ok(())
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    remove(&mut KernelLoader, &o)?;
    Ok(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rroot_init::modules::{LoaderCall, RecordingLoader};

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("rmmod")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn parse_table() {
        let ok = |force: bool, names: &[&str]| {
            Ok(Options {
                force,
                names: names.iter().map(|s| s.to_string()).collect(),
            })
        };
        let cases = [
            ("ext4", ok(false, &["ext4"])),
            (
                "-f virtio-blk /x/crc32c-intel.ko",
                ok(true, &["virtio_blk", "crc32c_intel"]),
            ),
            ("-- -odd", ok(false, &["_odd"])),
            ("", Err(UsageError("missing module NAME".into()))),
            ("-x ext4", Err(UsageError("invalid option '-x'".into()))),
        ];
        for (line, want) in cases {
            assert_eq!(Options::parse(args(line)), want, "{line}");
        }
    }

    #[test]
    fn remove_table() {
        let o = Options::parse(args("-f a b")).unwrap();
        let mut loader = RecordingLoader::new();
        remove(&mut loader, &o).unwrap();
        let flags = libc::O_NONBLOCK | libc::O_TRUNC;
        assert_eq!(
            loader.calls,
            [
                LoaderCall::Delete {
                    module: "a".into(),
                    flags
                },
                LoaderCall::Delete {
                    module: "b".into(),
                    flags
                },
            ]
        );
        let cases = [
            (Errno::EWOULDBLOCK, "a: Module is in use"),
            (Errno::ENOENT, "a: Module is not currently loaded"),
            (Errno::EPERM, "a: Operation not permitted"),
        ];
        for (errno, want) in cases {
            let mut loader = RecordingLoader::new().failing("a", errno);
            let err = remove(&mut loader, &o).unwrap_err();
            assert_eq!(err.to_string(), want);
            assert_eq!(loader.calls.len(), 1, "stops at the first failure");
        }
    }
}
