//! Orderly shutdown: SIGTERM to every process, a bounded grace period that ends as soon as
//! none is left, SIGKILL to the rest, sync, unmount what can be unmounted (innermost first),
//! then reboot(2). PID 1 never exits: if reboot(2) fails it logs and keeps reaping.
//!
//! Requests reach init as signals, as with sysvinit and busybox: `halt` SIGUSR1, `poweroff`
//! SIGUSR2 (also SIGPWR), `reboot` SIGTERM, Ctrl-Alt-Del SIGINT (after RB_DISABLE_CAD).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sys::reboot::RebootMode;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::log::Log;
use crate::mounts::{read_mounts, MountEntry, API_MOUNTS};
use crate::reap::{reap, Signals};
use crate::sys::System;

/// How the machine should end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownKind {
    PowerOff,
    Reboot,
    Halt,
}

impl ShutdownKind {
    /// The request a signal to init stands for.
    pub fn from_signal(sig: Signal) -> Option<ShutdownKind> {
        match sig {
            Signal::SIGUSR2 | Signal::SIGPWR => Some(ShutdownKind::PowerOff),
            Signal::SIGTERM | Signal::SIGINT => Some(ShutdownKind::Reboot),
            Signal::SIGUSR1 => Some(ShutdownKind::Halt),
            _ => None,
        }
    }

    /// The signal that asks init for this (what `poweroff`, `reboot`, `halt` send).
    pub fn signal(self) -> Signal {
        match self {
            ShutdownKind::PowerOff => Signal::SIGUSR2,
            ShutdownKind::Reboot => Signal::SIGTERM,
            ShutdownKind::Halt => Signal::SIGUSR1,
        }
    }

    /// The applet of the same name.
    pub fn from_name(name: &str) -> Option<ShutdownKind> {
        match name {
            "poweroff" => Some(ShutdownKind::PowerOff),
            "reboot" => Some(ShutdownKind::Reboot),
            "halt" => Some(ShutdownKind::Halt),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ShutdownKind::PowerOff => "poweroff",
            ShutdownKind::Reboot => "reboot",
            ShutdownKind::Halt => "halt",
        }
    }

    pub fn mode(self) -> RebootMode {
        match self {
            ShutdownKind::PowerOff => RebootMode::RB_POWER_OFF,
            ShutdownKind::Reboot => RebootMode::RB_AUTOBOOT,
            ShutdownKind::Halt => RebootMode::RB_HALT_SYSTEM,
        }
    }
}

/// How long processes get between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(3);
/// How long to wait for processes to die of SIGKILL (they may be in uninterruptible sleep).
pub const KILL_WAIT: Duration = Duration::from_secs(1);

/// The whole shutdown. `hangup` are session leaders to send SIGHUP as a terminal hang-up
/// would (an interactive shell ignores SIGTERM).
pub fn shutdown(
    sys: &mut dyn System,
    log: &mut Log,
    signals: &Signals,
    root: &Path,
    kind: ShutdownKind,
    hangup: &[Pid],
    disk: Option<&Path>,
) -> ! {
    log.info(format_args!("{}: stopping processes", kind.name()));
    stop_all(sys, log, signals, hangup, GRACE);
    sys.sync();
    // The root disk first, by its own plan: the generic one would remount a busy /dev bind
    // inside it read-only, and with it init's own devtmpfs.
    if let Some(disk) = disk {
        match read_mounts(root) {
            Ok(mounts) => {
                crate::root::unmount_root(sys, log, &mounts, disk);
            }
            Err(e) => log.warn(e),
        }
    }
    match read_mounts(root) {
        Ok(mounts) => unmount_all(sys, log, &unmount_plan(&mounts)),
        Err(e) => log.warn(e),
    }
    sys.sync();
    finish(sys, log, signals, kind)
}

/// SIGTERM (and SIGCONT, so stopped processes see it) to every process but init, wait until
/// none is left or `grace` passed, then SIGKILL. Returns whether every process ended.
pub fn stop_all(
    sys: &mut dyn System,
    log: &mut Log,
    signals: &Signals,
    hangup: &[Pid],
    grace: Duration,
) -> bool {
    let _ = sys.kill(-1, Signal::SIGTERM);
    for pid in hangup {
        let _ = sys.kill(pid.as_raw(), Signal::SIGHUP);
    }
    let _ = sys.kill(-1, Signal::SIGCONT);
    if wait_all_gone(signals, grace) {
        log.info("all processes ended");
        return true;
    }
    log.warn("sending SIGKILL to remaining processes");
    let _ = sys.kill(-1, Signal::SIGKILL);
    let gone = wait_all_gone(signals, KILL_WAIT);
    if !gone {
        log.warn("processes left after SIGKILL");
    }
    gone
}

/// Reap until init has no children left (every process ends up init's child once its parent
/// dies, so none left means no process but kernel threads), waiting on SIGCHLD at most
/// `timeout`.
pub fn wait_all_gone(signals: &Signals, timeout: Duration) -> bool {
    let start = Instant::now();
    loop {
        if !reap(|_, _| {}) {
            return true;
        }
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            return false;
        }
        // Any signal, SIGCHLD or another request, is a reason to look again.
        signals.wait(Some(left));
    }
}

/// What to unmount, innermost first: the reverse of the kernel's mount order, without the
/// initramfs root and the API filesystems init mounted itself (nothing to flush there, and
/// /dev and /proc serve the rest of the shutdown).
pub fn unmount_plan(mounts: &[MountEntry]) -> Vec<PathBuf> {
    mounts
        .iter()
        .rev()
        .filter(|m| m.target != Path::new("/"))
        .filter(|m| !API_MOUNTS.iter().any(|a| m.target == Path::new(a.target)))
        .map(|m| m.target.clone())
        .collect()
}

/// Unmount each target; a busy one is remounted read-only (its data is then safe on disk)
/// and detached. Every outcome is logged.
pub fn unmount_all(sys: &mut dyn System, log: &mut Log, targets: &[PathBuf]) {
    for target in targets {
        let t = target.display();
        match sys.umount(target, MntFlags::empty()) {
            Ok(()) => log.info(format_args!("unmounted {t}")),
            Err(e) => {
                let ro = MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
                match sys.mount("", target, "", ro, "") {
                    Ok(()) => log.warn(format_args!("{t}: {}, remounted read-only", e.desc())),
                    Err(e2) => log.warn(format_args!(
                        "{t}: {}, remount read-only: {}",
                        e.desc(),
                        e2.desc()
                    )),
                }
                if let Err(e) = sys.umount(target, MntFlags::MNT_DETACH) {
                    log.error(format_args!("{t}: detach: {}", e.desc()));
                }
            }
        }
    }
}

/// reboot(2); if the kernel refuses, say so and keep reaping forever.
pub fn finish(sys: &mut dyn System, log: &mut Log, signals: &Signals, kind: ShutdownKind) -> ! {
    log.info(format_args!("{}", kind.name()));
    let e: Errno = sys.reboot(kind.mode());
    log.error(format_args!("reboot(2): {}", e.desc()));
    loop {
        signals.wait(None);
        reap(|_, _| {});
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mounts::parse_mounts;
    use crate::sys::RecordingSystem;

    #[test]
    fn kinds_round_trip() {
        let cases = [
            ("poweroff", Signal::SIGUSR2, RebootMode::RB_POWER_OFF),
            ("reboot", Signal::SIGTERM, RebootMode::RB_AUTOBOOT),
            ("halt", Signal::SIGUSR1, RebootMode::RB_HALT_SYSTEM),
        ];
        for (name, sig, mode) in cases {
            let kind = ShutdownKind::from_name(name).expect("test fixture");
            assert_eq!(kind.name(), name);
            assert_eq!(kind.signal(), sig);
            assert_eq!(ShutdownKind::from_signal(sig), Some(kind));
            assert_eq!(kind.mode(), mode);
        }
        assert_eq!(
            ShutdownKind::from_signal(Signal::SIGINT),
            Some(ShutdownKind::Reboot)
        );
        assert_eq!(
            ShutdownKind::from_signal(Signal::SIGPWR),
            Some(ShutdownKind::PowerOff)
        );
        assert_eq!(ShutdownKind::from_signal(Signal::SIGCHLD), None);
        assert_eq!(ShutdownKind::from_name("shutdown"), None);
    }

    #[test]
    fn unmount_plan_table() {
        let cases: &[(&str, &[&str])] = &[
            ("rootfs / rootfs rw 0 0\nproc /proc proc rw 0 0\n", &[]),
            (
                "rootfs / rootfs rw 0 0\n\
                 proc /proc proc rw 0 0\n\
                 devtmpfs /dev devtmpfs rw 0 0\n\
                 /dev/vda /mnt ext4 rw 0 0\n\
                 devtmpfs /mnt/dev devtmpfs rw 0 0\n\
                 proc /mnt/proc proc rw 0 0\n\
                 tmp /tmp tmpfs rw 0 0\n\
                 /dev/vdb /mnt/data\\040x xfs rw 0 0\n",
                &["/mnt/data x", "/mnt/proc", "/mnt/dev", "/mnt"],
            ),
            // A filesystem mounted over another: the later one goes first.
            (
                "/dev/vda /mnt ext4 rw 0 0\n/dev/vdb /mnt ext4 rw 0 0\n",
                &["/mnt", "/mnt"],
            ),
        ];
        for (mounts, want) in cases {
            let got = unmount_plan(&parse_mounts(mounts));
            let want: Vec<PathBuf> = want.iter().map(PathBuf::from).collect();
            assert_eq!(got, want, "{mounts}");
        }
    }

    #[test]
    fn unmount_falls_back_to_read_only_and_detach() {
        let targets: Vec<PathBuf> = ["/mnt/proc", "/mnt"].iter().map(PathBuf::from).collect();
        let cases: &[(Option<&str>, &[&str])] = &[
            (None, &["umount /mnt/proc", "umount /mnt"]),
            (
                Some("umount /mnt"),
                &[
                    "umount /mnt/proc",
                    "umount /mnt",
                    "mount - /mnt - ro,remount",
                    "umount /mnt lazy",
                ],
            ),
        ];
        for (failing, want) in cases {
            let mut sys = RecordingSystem::new();
            if let Some(prefix) = failing {
                sys = sys.failing(prefix, Errno::EBUSY);
            }
            let mut log = Log::new(Instant::now(), Box::new(std::io::sink()));
            unmount_all(&mut sys, &mut log, &targets);
            assert_eq!(sys.calls, *want, "{failing:?}");
        }
    }
}
