//! `umount`: unmount filesystems. A util-linux umount(8) subset.
//!
//! usage: umount [-l] [-f] TARGET...

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::MntFlags;

use crate::error::{AppletResult, Failure, UsageError};
use rroot_init::mounts::{parse_mounts, MountEntry};

use crate::mount::{MountSys, RealSys};

pub const USAGE: &str = "\
usage: umount [-l] [-f] TARGET...
Unmount the filesystems mounted on each TARGET (a mount point, or a mounted device).
  -l   lazy: detach now, clean up when no longer busy
  -f   force (network filesystems that stopped answering)
";

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    flags: MntFlags,
    targets: Vec<PathBuf>,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            flags: MntFlags::empty(),
            targets: Vec::new(),
        };
        let mut only_targets = false;
        for arg in args.into_iter().skip(1) {
            let text = arg.to_string_lossy();
            if only_targets || !text.starts_with('-') || text == "-" {
                o.targets.push(arg.into());
            } else if text == "--" {
                only_targets = true;
            } else {
                for c in text.chars().skip(1) {
                    match c {
                        'l' => o.flags |= MntFlags::MNT_DETACH,
                        'f' => o.flags |= MntFlags::MNT_FORCE,
                        'n' | 'v' | 'i' => {}
                        _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                    }
                }
            }
        }
        if o.targets.is_empty() {
            return Err(UsageError("missing TARGET".into()));
        }
        Ok(o)
    }
}

/// The mount point to hand umount(2): the argument itself, or, when it names a mounted
/// device rather than a mount point, where that device was mounted last.
pub fn resolve(arg: &Path, mounts: &[MountEntry]) -> PathBuf {
    if mounts.iter().any(|m| m.target == arg) {
        return arg.to_path_buf();
    }
    mounts
        .iter()
        .rev()
        .find(|m| Path::new(&m.source) == arg)
        .map_or_else(|| arg.to_path_buf(), |m| m.target.clone())
}

fn reason(e: Errno) -> &'static str {
    match e {
        Errno::EINVAL => "not mounted",
        Errno::EBUSY => "target is busy",
        _ => e.desc(),
    }
}

/// Unmount each target; returns one `subject: reason` line per failure.
pub fn execute(o: &Options, root: &Path, sys: &mut dyn MountSys) -> Vec<String> {
    let mounts = fs::read_to_string(root.join("proc/self/mounts"))
        .map(|t| parse_mounts(&t))
        .unwrap_or_default();
    o.targets
        .iter()
        .filter_map(|arg| {
            let target = resolve(arg, &mounts);
            sys.umount(&target, o.flags)
                .err()
                .map(|e| format!("{}: {}", arg.display(), reason(e)))
        })
        .collect()
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let errors = execute(&o, Path::new("/"), &mut RealSys);
    if errors.is_empty() {
        Ok(0)
    } else {
        // One line per target; the dispatcher prefixes the first.
        Err(Failure {
            message: errors.join("\numount: "),
            code: 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mount::RecordingSys;

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("umount")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn parse_table() {
        let detach = MntFlags::MNT_DETACH;
        let cases: &[(&str, MntFlags, &[&str])] = &[
            ("/mnt", MntFlags::empty(), &["/mnt"]),
            ("-l /a /b", detach, &["/a", "/b"]),
            ("-lf /a", detach | MntFlags::MNT_FORCE, &["/a"]),
            ("-v -- -odd", MntFlags::empty(), &["-odd"]),
        ];
        for &(line, flags, targets) in cases {
            let o = Options::parse(args(line)).expect(line);
            assert_eq!(o.flags, flags, "{line}");
            assert_eq!(
                o.targets,
                targets.iter().map(PathBuf::from).collect::<Vec<_>>()
            );
        }
        assert_eq!(
            Options::parse(args("")),
            Err(UsageError("missing TARGET".into()))
        );
        assert_eq!(
            Options::parse(args("-x /a")),
            Err(UsageError("invalid option -- 'x'".into()))
        );
    }

    #[test]
    fn execute_resolves_devices_and_reports_each_failure() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(dir.path().join("proc/self")).expect("mkdir");
        fs::write(
            dir.path().join("proc/self/mounts"),
            "/dev/vda /boot ext4 rw 0 0\n/dev/vdb /data ext4 rw 0 0\n/dev/vda /mnt ext4 rw 0 0\n",
        )
        .expect("write");
        let o = Options::parse(args("-l /dev/vda /data /busy /nowhere")).expect("parse");
        let mut sys = RecordingSys::new(&[("/busy", Errno::EBUSY), ("/nowhere", Errno::EINVAL)]);
        let errors = execute(&o, dir.path(), &mut sys);
        assert_eq!(
            sys.calls,
            [
                "umount /mnt 0x2",
                "umount /data 0x2",
                "umount /busy 0x2",
                "umount /nowhere 0x2"
            ]
        );
        assert_eq!(errors, ["/busy: target is busy", "/nowhere: not mounted"]);
    }
}
