//! The syscall seam: every call that changes the machine (mounts, links, hostname, signals to
//! other processes, reboot) goes through [`System`], so the plans built from data tables can be
//! checked with [`RecordingSystem`] instead of a VM. [`RealSystem`] makes the calls (nix).

use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sys::reboot::RebootMode;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

/// The calls init makes that change the machine. Empty `source`, `fstype` or `data` in
/// [`System::mount`] are passed to the kernel as NULL.
pub trait System {
    fn mount(
        &mut self,
        source: &str,
        target: &Path,
        fstype: &str,
        flags: MsFlags,
        data: &str,
    ) -> Result<(), Errno>;
    fn umount(&mut self, target: &Path, flags: MntFlags) -> Result<(), Errno>;
    /// `mkdir -p` with mode 0755; an existing directory is not an error.
    fn mkdir_p(&mut self, path: &Path) -> Result<(), Errno>;
    fn symlink(&mut self, target: &Path, link: &Path) -> Result<(), Errno>;
    fn remove(&mut self, path: &Path) -> Result<(), Errno>;
    fn sethostname(&mut self, name: &str) -> Result<(), Errno>;
    /// kill(2); `pid` -1 means every process but init, a negative pid a process group.
    fn kill(&mut self, pid: i32, sig: Signal) -> Result<(), Errno>;
    fn sync(&mut self);
    /// reboot(2) with RB_ENABLE_CAD / RB_DISABLE_CAD: what Ctrl-Alt-Del does.
    fn set_ctrl_alt_del(&mut self, reboot_at_once: bool) -> Result<(), Errno>;
    /// reboot(2): only returns when the kernel refused.
    fn reboot(&mut self, mode: RebootMode) -> Errno;
}

/// The running kernel.
pub struct RealSystem;

fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// The errno behind an `io::Error` from std's file functions.
pub fn errno_of(e: &io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

impl System for RealSystem {
    fn mount(
        &mut self,
        source: &str,
        target: &Path,
        fstype: &str,
        flags: MsFlags,
        data: &str,
    ) -> Result<(), Errno> {
        nix::mount::mount(opt(source), target, opt(fstype), flags, opt(data))
    }

    fn umount(&mut self, target: &Path, flags: MntFlags) -> Result<(), Errno> {
        nix::mount::umount2(target, flags)
    }

    fn mkdir_p(&mut self, path: &Path) -> Result<(), Errno> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(path)
            .map_err(|e| errno_of(&e))
    }

    fn symlink(&mut self, target: &Path, link: &Path) -> Result<(), Errno> {
        std::os::unix::fs::symlink(target, link).map_err(|e| errno_of(&e))
    }

    fn remove(&mut self, path: &Path) -> Result<(), Errno> {
        std::fs::remove_file(path).map_err(|e| errno_of(&e))
    }

    fn sethostname(&mut self, name: &str) -> Result<(), Errno> {
        nix::unistd::sethostname(name)
    }

    fn kill(&mut self, pid: i32, sig: Signal) -> Result<(), Errno> {
        nix::sys::signal::kill(Pid::from_raw(pid), sig)
    }

    fn sync(&mut self) {
        nix::unistd::sync();
    }

    fn set_ctrl_alt_del(&mut self, reboot_at_once: bool) -> Result<(), Errno> {
        nix::sys::reboot::set_cad_enabled(reboot_at_once)
    }

    fn reboot(&mut self, mode: RebootMode) -> Errno {
        match nix::sys::reboot::reboot(mode) {
            Ok(never) => match never {},
            Err(e) => e,
        }
    }
}

/// A fake that records each call as one line (`mount proc /proc proc nosuid,nodev,noexec`)
/// and fails the calls whose line starts with the words given to [`RecordingSystem::failing`].
#[derive(Default, Debug)]
pub struct RecordingSystem {
    pub calls: Vec<String>,
    failures: Vec<(String, Errno)>,
}

impl RecordingSystem {
    pub fn new() -> Self {
        Self::default()
    }

    /// Make every call whose recorded line starts with the words `prefix` fail with `errno`
    /// (`umount /mnt` fails `umount /mnt lazy` but not `umount /mnt/proc`).
    pub fn failing(mut self, prefix: &str, errno: Errno) -> Self {
        self.failures.push((prefix.to_string(), errno));
        self
    }

    fn record(&mut self, call: String) -> Result<(), Errno> {
        let matches = |p: &str| {
            call.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        };
        let failure = self.failures.iter().find(|(p, _)| matches(p));
        let result = failure.map_or(Ok(()), |(_, e)| Err(*e));
        self.calls.push(call);
        result
    }
}

/// Mount flags as `mount -o` names, for readable recordings.
pub fn flag_names(flags: MsFlags) -> String {
    const NAMES: &[(MsFlags, &str)] = &[
        (MsFlags::MS_RDONLY, "ro"),
        (MsFlags::MS_NOSUID, "nosuid"),
        (MsFlags::MS_NODEV, "nodev"),
        (MsFlags::MS_NOEXEC, "noexec"),
        (MsFlags::MS_REMOUNT, "remount"),
        (MsFlags::MS_BIND, "bind"),
        (MsFlags::MS_REC, "rec"),
        (MsFlags::MS_MOVE, "move"),
    ];
    let mut names: Vec<String> = NAMES
        .iter()
        .filter(|(f, _)| flags.contains(*f))
        .map(|(_, n)| n.to_string())
        .collect();
    let known = NAMES.iter().fold(MsFlags::empty(), |acc, (f, _)| acc | *f);
    let rest = flags.difference(known);
    if !rest.is_empty() {
        names.push(format!("{:#x}", rest.bits()));
    }
    if names.is_empty() {
        "-".to_string()
    } else {
        names.join(",")
    }
}

fn dash(s: &str) -> &str {
    opt(s).unwrap_or("-")
}

impl System for RecordingSystem {
    fn mount(
        &mut self,
        source: &str,
        target: &Path,
        fstype: &str,
        flags: MsFlags,
        data: &str,
    ) -> Result<(), Errno> {
        let mut line = format!(
            "mount {} {} {} {}",
            dash(source),
            target.display(),
            dash(fstype),
            flag_names(flags)
        );
        if !data.is_empty() {
            line = format!("{line} {data}");
        }
        self.record(line)
    }

    fn umount(&mut self, target: &Path, flags: MntFlags) -> Result<(), Errno> {
        let how = if flags.contains(MntFlags::MNT_DETACH) {
            " lazy"
        } else {
            ""
        };
        self.record(format!("umount {}{how}", target.display()))
    }

    fn mkdir_p(&mut self, path: &Path) -> Result<(), Errno> {
        self.record(format!("mkdir {}", path.display()))
    }

    fn symlink(&mut self, target: &Path, link: &Path) -> Result<(), Errno> {
        self.record(format!("symlink {} {}", link.display(), target.display()))
    }

    fn remove(&mut self, path: &Path) -> Result<(), Errno> {
        self.record(format!("remove {}", path.display()))
    }

    fn sethostname(&mut self, name: &str) -> Result<(), Errno> {
        self.record(format!("sethostname {name}"))
    }

    fn kill(&mut self, pid: i32, sig: Signal) -> Result<(), Errno> {
        self.record(format!("kill {pid} {}", sig.as_str()))
    }

    fn sync(&mut self) {
        let _ = self.record("sync".to_string());
    }

    fn set_ctrl_alt_del(&mut self, reboot_at_once: bool) -> Result<(), Errno> {
        self.record(format!("cad {}", if reboot_at_once { "on" } else { "off" }))
    }

    /// The fake cannot stop a machine: it answers with the injected failure, or ENOSYS.
    fn reboot(&mut self, mode: RebootMode) -> Errno {
        match self.record(format!("reboot {mode:?}")) {
            Err(e) => e,
            Ok(()) => Errno::ENOSYS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_names_table() {
        let cases = [
            (MsFlags::empty(), "-"),
            (MsFlags::MS_NOSUID | MsFlags::MS_NODEV, "nosuid,nodev"),
            (MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY, "ro,remount"),
            (MsFlags::MS_SYNCHRONOUS, "0x10"),
        ];
        for (flags, want) in cases {
            assert_eq!(flag_names(flags), want);
        }
    }

    #[test]
    fn recording_fails_matching_calls_only() {
        let mut sys = RecordingSystem::new().failing("mount proc", Errno::EBUSY);
        let r1 = sys.mount("proc", Path::new("/proc"), "proc", MsFlags::empty(), "");
        let r2 = sys.mkdir_p(Path::new("/proc"));
        sys.sync();
        assert_eq!(r1, Err(Errno::EBUSY));
        assert_eq!(r2, Ok(()));
        assert_eq!(sys.reboot(RebootMode::RB_POWER_OFF), Errno::ENOSYS);
        assert_eq!(
            sys.calls,
            [
                "mount proc /proc proc -",
                "mkdir /proc",
                "sync",
                "reboot RB_POWER_OFF"
            ]
        );
    }
}
