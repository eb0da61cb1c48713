//! The filesystems every boot needs, as one table, and the mount table the kernel reports
//! (`/proc/self/mounts`, proc(5)).
//!
//! [`mount_all`] creates missing mount points, skips what is already mounted (init may run
//! again after switch_root, or in a container), logs each failure with its reason and goes on.

use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::MsFlags;
use thiserror::Error;

use crate::log::Log;
use crate::sys::System;

#[derive(Debug, Error)]
pub enum MountsError {
    #[error("{path}: {}", crate::sys::errno_of(.source).desc())]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{target}: mkdir: {}", .errno.desc())]
    Mkdir { target: String, errno: Errno },
    #[error("{target}: {}", .errno.desc())]
    Mount { target: String, errno: Errno },
    #[error("{link}: {}", .errno.desc())]
    Symlink { link: String, errno: Errno },
}

/// One filesystem to mount: `mount -t fstype -o flags,data source target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountSpec {
    pub source: &'static str,
    pub target: &'static str,
    pub fstype: &'static str,
    pub flags: MsFlags,
    pub data: &'static str,
}

const NOSUID_NODEV: MsFlags = MsFlags::MS_NOSUID.union(MsFlags::MS_NODEV);
const NOSUID_NODEV_NOEXEC: MsFlags = NOSUID_NODEV.union(MsFlags::MS_NOEXEC);

/// The kernel API filesystems, mounted in this order (parents first).
pub const API_MOUNTS: &[MountSpec] = &[
    MountSpec {
        source: "proc",
        target: "/proc",
        fstype: "proc",
        flags: NOSUID_NODEV_NOEXEC,
        data: "",
    },
    MountSpec {
        source: "sysfs",
        target: "/sys",
        fstype: "sysfs",
        flags: NOSUID_NODEV_NOEXEC,
        data: "",
    },
    MountSpec {
        source: "devtmpfs",
        target: "/dev",
        fstype: "devtmpfs",
        flags: MsFlags::MS_NOSUID,
        data: "mode=0755",
    },
    // A private instance, so /dev/pts/ptmx (0666) is the multiplexer (devpts.rst).
    MountSpec {
        source: "devpts",
        target: "/dev/pts",
        fstype: "devpts",
        flags: MsFlags::MS_NOSUID.union(MsFlags::MS_NOEXEC),
        data: "newinstance,ptmxmode=0666,mode=0620",
    },
    MountSpec {
        source: "shm",
        target: "/dev/shm",
        fstype: "tmpfs",
        flags: NOSUID_NODEV,
        data: "mode=1777",
    },
    MountSpec {
        source: "run",
        target: "/run",
        fstype: "tmpfs",
        flags: NOSUID_NODEV,
        data: "mode=0755",
    },
    MountSpec {
        source: "tmp",
        target: "/tmp",
        fstype: "tmpfs",
        flags: NOSUID_NODEV,
        data: "mode=1777",
    },
];

/// A symlink in /dev: (link, target, replace whatever is there).
pub struct LinkSpec {
    pub link: &'static str,
    pub target: &'static str,
    pub replace: bool,
}

/// Links programs expect in /dev. devtmpfs makes /dev/ptmx a node of the initial devpts
/// instance; the link sends it to ours.
pub const DEV_LINKS: &[LinkSpec] = &[
    LinkSpec {
        link: "/dev/ptmx",
        target: "pts/ptmx",
        replace: true,
    },
    LinkSpec {
        link: "/dev/fd",
        target: "/proc/self/fd",
        replace: false,
    },
    LinkSpec {
        link: "/dev/stdin",
        target: "/proc/self/fd/0",
        replace: false,
    },
    LinkSpec {
        link: "/dev/stdout",
        target: "/proc/self/fd/1",
        replace: false,
    },
    LinkSpec {
        link: "/dev/stderr",
        target: "/proc/self/fd/2",
        replace: false,
    },
];

/// One line of `/proc/self/mounts`, octal escapes (`\040`) decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    pub source: String,
    pub target: PathBuf,
    pub fstype: String,
    pub options: String,
}

/// Parse the text of `/proc/self/mounts`; malformed lines are skipped.
pub fn parse_mounts(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split(' ');
            Some(MountEntry {
                source: unescape(f.next()?),
                target: PathBuf::from(unescape(f.next()?)),
                fstype: unescape(f.next()?),
                options: unescape(f.next()?),
            })
        })
        .collect()
}

/// Undo the kernel's `\ooo` escaping of space, tab, newline and backslash (fs/proc_namespace.c).
fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b[i], octal) {
            (b'\\', Some(d)) => {
                let v = d.iter().fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
                out.push(v as u8);
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Read `ROOT/proc/self/mounts`.
pub fn read_mounts(root: &Path) -> Result<Vec<MountEntry>, MountsError> {
    let path = root.join("proc/self/mounts");
    std::fs::read_to_string(&path)
        .map(|t| parse_mounts(&t))
        .map_err(|source| MountsError::Read {
            path: path.display().to_string(),
            source,
        })
}

/// Whether something is mounted on `target`.
pub fn is_mounted(mounts: &[MountEntry], target: &str) -> bool {
    mounts.iter().any(|m| m.target.as_os_str() == target)
}

/// Mount one spec: create the mount point, then mount.
pub fn mount_one(sys: &mut dyn System, spec: &MountSpec) -> Result<(), MountsError> {
    let target = Path::new(spec.target);
    let name = || spec.target.to_string();
    sys.mkdir_p(target).map_err(|errno| MountsError::Mkdir {
        target: name(),
        errno,
    })?;
    sys.mount(spec.source, target, spec.fstype, spec.flags, spec.data)
        .map_err(|errno| MountsError::Mount {
            target: name(),
            errno,
        })
}

/// Create one link, replacing what is there when the spec says so.
pub fn link_one(sys: &mut dyn System, spec: &LinkSpec) -> Result<(), MountsError> {
    let link = Path::new(spec.link);
    let mut result = sys.symlink(Path::new(spec.target), link);
    if result == Err(Errno::EEXIST) && spec.replace {
        result = sys
            .remove(link)
            .and_then(|()| sys.symlink(Path::new(spec.target), link));
    }
    match result {
        Ok(()) | Err(Errno::EEXIST) => Ok(()),
        Err(errno) => Err(MountsError::Symlink {
            link: spec.link.to_string(),
            errno,
        }),
    }
}

/// Mount every spec not yet mounted, then make the links. `mounted` is what was mounted
/// before (empty at first boot, when /proc is not there to tell). Failures are logged and
/// the rest goes on; returns how many steps failed.
pub fn mount_all(
    sys: &mut dyn System,
    log: &mut Log,
    specs: &[MountSpec],
    links: &[LinkSpec],
    mounted: &[MountEntry],
) -> usize {
    let mut failed = 0;
    for spec in specs {
        if is_mounted(mounted, spec.target) {
            log.info(format_args!("{} already mounted", spec.target));
            continue;
        }
        match mount_one(sys, spec) {
            Ok(()) => log.info(format_args!("mounted {}", spec.target)),
            Err(e) => {
                failed += 1;
                log.error(e);
            }
        }
    }
    for spec in links {
        if let Err(e) = link_one(sys, spec) {
            failed += 1;
            log.warn(e);
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::RecordingSystem;
    use std::time::Instant;

    #[test]
    fn parse_mounts_table() {
        let text = "rootfs / rootfs rw 0 0\n\
                    proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n\
                    /dev/vda /mnt/my\\040disk ext4 rw 0 0\n\
                    a\\134b /x\\011y tmpfs rw 0 0\n\
                    bad line\n\
                    odd /\\08 tmpfs rw 0 0\n";
        let got: Vec<(String, String, String)> = parse_mounts(text)
            .into_iter()
            .map(|m| (m.source, m.target.display().to_string(), m.fstype))
            .collect();
        let want = [
            ("rootfs", "/", "rootfs"),
            ("proc", "/proc", "proc"),
            ("/dev/vda", "/mnt/my disk", "ext4"),
            ("a\\b", "/x\ty", "tmpfs"),
            ("odd", "/\\08", "tmpfs"),
        ];
        let want: Vec<(String, String, String)> = want
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    fn run(sys: &mut RecordingSystem, mounted: &str) -> usize {
        let mut log = Log::new(Instant::now(), Box::new(std::io::sink()));
        mount_all(sys, &mut log, API_MOUNTS, DEV_LINKS, &parse_mounts(mounted))
    }

    const FIRST_BOOT: &[&str] = &[
        "mkdir /proc",
        "mount proc /proc proc nosuid,nodev,noexec",
        "mkdir /sys",
        "mount sysfs /sys sysfs nosuid,nodev,noexec",
        "mkdir /dev",
        "mount devtmpfs /dev devtmpfs nosuid mode=0755",
        "mkdir /dev/pts",
        "mount devpts /dev/pts devpts nosuid,noexec newinstance,ptmxmode=0666,mode=0620",
        "mkdir /dev/shm",
        "mount shm /dev/shm tmpfs nosuid,nodev mode=1777",
        "mkdir /run",
        "mount run /run tmpfs nosuid,nodev mode=0755",
        "mkdir /tmp",
        "mount tmp /tmp tmpfs nosuid,nodev mode=1777",
    ];

    #[test]
    fn mount_plan_table() {
        let links = |ptmx: &[&'static str]| -> Vec<&'static str> {
            let mut v = ptmx.to_vec();
            v.extend([
                "symlink /dev/fd /proc/self/fd",
                "symlink /dev/stdin /proc/self/fd/0",
                "symlink /dev/stdout /proc/self/fd/1",
                "symlink /dev/stderr /proc/self/fd/2",
            ]);
            v
        };
        let plain_ptmx = ["symlink /dev/ptmx pts/ptmx"];
        let replaced_ptmx = [
            "symlink /dev/ptmx pts/ptmx",
            "remove /dev/ptmx",
            "symlink /dev/ptmx pts/ptmx",
        ];
        let first: Vec<&str> = FIRST_BOOT
            .iter()
            .copied()
            .chain(links(&plain_ptmx))
            .collect();
        let again: Vec<&str> = links(&replaced_ptmx);
        let some: Vec<&str> = FIRST_BOOT[2..]
            .iter()
            .copied()
            .chain(links(&plain_ptmx))
            .collect();
        let all_mounted = "proc /proc proc rw 0 0\nsysfs /sys sysfs rw 0 0\n\
                           devtmpfs /dev devtmpfs rw 0 0\ndevpts /dev/pts devpts rw 0 0\n\
                           shm /dev/shm tmpfs rw 0 0\nrun /run tmpfs rw 0 0\ntmp /tmp tmpfs rw 0 0\n";
        // (already mounted, failing call, expected calls, failures)
        type Case = (
            &'static str,
            Option<(&'static str, Errno)>,
            Vec<&'static str>,
            usize,
        );
        let cases: &[Case] = &[
            ("", None, first.clone(), 0),
            ("rootfs / rootfs rw 0 0\n", None, first.clone(), 0),
            (
                all_mounted,
                Some(("symlink /dev/ptmx", Errno::EEXIST)),
                again,
                0,
            ),
            ("proc /proc proc rw 0 0\n", None, some, 0),
        ];
        for (mounted, failing, want, failures) in cases {
            let mut sys = RecordingSystem::new();
            if let Some((prefix, errno)) = failing {
                sys = sys.failing(prefix, *errno);
            }
            let n = run(&mut sys, mounted);
            // The recording fake fails the replacement symlink too; it still reports EEXIST,
            // which means the link is there.
            assert_eq!(sys.calls, *want, "{mounted:?}");
            assert_eq!(n, *failures, "{mounted:?}");
        }
    }

    #[test]
    fn failures_are_counted_and_boot_goes_on() {
        let mut sys = RecordingSystem::new()
            .failing("mount sysfs", Errno::ENODEV)
            .failing("mkdir /run", Errno::EROFS)
            .failing("symlink /dev/fd", Errno::ENOENT);
        assert_eq!(run(&mut sys, ""), 3);
        // Everything after a failure is still tried; a failed mkdir skips its mount.
        assert!(sys
            .calls
            .contains(&"mount tmp /tmp tmpfs nosuid,nodev mode=1777".into()));
        assert!(!sys.calls.iter().any(|c| c.starts_with("mount run")));
        assert!(sys
            .calls
            .contains(&"symlink /dev/stderr /proc/self/fd/2".into()));
    }

    #[test]
    fn error_messages() {
        let mut sys = RecordingSystem::new().failing("mount", Errno::ENODEV);
        let e = mount_one(&mut sys, &API_MOUNTS[1]).expect_err("must fail");
        assert_eq!(e.to_string(), "/sys: No such device");
        let mut sys = RecordingSystem::new().failing("mkdir", Errno::EROFS);
        let e = mount_one(&mut sys, &API_MOUNTS[0]).expect_err("must fail");
        assert_eq!(e.to_string(), "/proc: mkdir: Read-only file system");
    }
}
