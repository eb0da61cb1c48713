//! The applet table: the single source of truth for what rbox can be called as.
//! Kept sorted by name (a test checks), so lookup is a binary search.

use std::ffi::OsString;

use crate::error::AppletResult;
use crate::{
    chroot, coreutils, dhclient, dmesg, hostname, init, insmod, ip, kill, lsmod, modinfo, modprobe,
    mount, ping, power, ps, rmmod, sh, truth, umount, wget,
};

/// How an applet answers `--help`.
#[derive(Clone, Copy)]
pub enum Help {
    /// Ours: the dispatcher prints this usage text when the first argument is `--help`.
    Usage(&'static str),
    /// uutils: `uumain` handles `--help` itself.
    Uutils,
}

#[derive(Clone, Copy)]
pub struct Applet {
    pub name: &'static str,
    /// Called with the full argument vector, `args[0]` being the applet name.
    pub run: fn(Vec<OsString>) -> AppletResult,
    /// One line for `rbox --list --verbose` and the README.
    pub summary: &'static str,
    pub help: Help,
    /// Also linked under `/sbin` in the initramfs (system administration commands).
    pub sbin: bool,
}

const fn ours(
    name: &'static str,
    run: fn(Vec<OsString>) -> AppletResult,
    summary: &'static str,
    usage: &'static str,
    sbin: bool,
) -> Applet {
    Applet {
        name,
        run,
        summary,
        help: Help::Usage(usage),
        sbin,
    }
}

const fn uutils(
    name: &'static str,
    run: fn(Vec<OsString>) -> AppletResult,
    summary: &'static str,
) -> Applet {
    Applet {
        name,
        run,
        summary,
        help: Help::Uutils,
        sbin: false,
    }
}

pub static APPLETS: &[Applet] = &[
    uutils(
        "cat",
        coreutils::cat,
        "concatenate files to standard output",
    ),
    ours(
        "chroot",
        chroot::run,
        "run a command with another root directory",
        chroot::USAGE,
        true,
    ),
    uutils("cp", coreutils::cp, "copy files and directories"),
    ours(
        "dhclient",
        dhclient::run,
        "DHCPv4 client: lease an address and configure the interface",
        dhclient::USAGE,
        true,
    ),
    ours(
        "dmesg",
        dmesg::run,
        "print or clear the kernel ring buffer",
        dmesg::USAGE,
        false,
    ),
    uutils("echo", coreutils::echo, "print arguments"),
    uutils(
        "env",
        coreutils::env,
        "run a program in a modified environment",
    ),
    ours(
        "false",
        truth::run_false,
        "do nothing, unsuccessfully",
        truth::FALSE_USAGE,
        false,
    ),
    ours(
        "halt",
        power::run,
        "halt the machine",
        power::USAGE_HALT,
        true,
    ),
    uutils("head", coreutils::head, "print the first lines of files"),
    ours(
        "hostname",
        hostname::run,
        "show or set the host name",
        hostname::USAGE,
        false,
    ),
    ours(
        "init",
        init::run,
        "PID 1: bring the machine up and supervise it",
        init::USAGE,
        true,
    ),
    ours(
        "insmod",
        insmod::run,
        "load a kernel module file",
        insmod::USAGE,
        true,
    ),
    ours(
        "ip",
        ip::run,
        "show and change links, addresses and routes",
        ip::USAGE,
        true,
    ),
    ours(
        "kill",
        kill::run,
        "send a signal to processes",
        kill::USAGE,
        false,
    ),
    uutils("ln", coreutils::ln, "make links between files"),
    uutils("ls", coreutils::ls, "list directory contents"),
    ours(
        "lsmod",
        lsmod::run,
        "list loaded kernel modules",
        lsmod::USAGE,
        true,
    ),
    uutils("mkdir", coreutils::mkdir, "make directories"),
    ours(
        "modinfo",
        modinfo::run,
        "show information about a kernel module",
        modinfo::USAGE,
        true,
    ),
    ours(
        "modprobe",
        modprobe::run,
        "load or remove kernel modules with dependencies",
        modprobe::USAGE,
        true,
    ),
    ours(
        "mount",
        mount::run,
        "mount a filesystem or list mounts",
        mount::USAGE,
        false,
    ),
    uutils("mv", coreutils::mv, "move or rename files"),
    ours(
        "ping",
        ping::run,
        "send ICMP echo requests",
        ping::USAGE,
        false,
    ),
    ours(
        "poweroff",
        power::run,
        "power the machine off",
        power::USAGE_POWEROFF,
        true,
    ),
    ours(
        "ps",
        ps::run,
        "report a snapshot of the current processes",
        ps::USAGE,
        false,
    ),
    uutils("pwd", coreutils::pwd, "print the working directory"),
    ours(
        "reboot",
        power::run,
        "reboot the machine",
        power::USAGE_REBOOT,
        true,
    ),
    uutils("rm", coreutils::rm, "remove files or directories"),
    ours(
        "rmmod",
        rmmod::run,
        "unload a kernel module",
        rmmod::USAGE,
        true,
    ),
    ours(
        "sh",
        sh::run,
        "command interpreter (POSIX sh subset)",
        sh::USAGE,
        false,
    ),
    uutils("sleep", coreutils::sleep, "delay for a specified time"),
    uutils("tail", coreutils::tail, "print the last lines of files"),
    uutils(
        "touch",
        coreutils::touch,
        "change file timestamps or create files",
    ),
    ours(
        "true",
        truth::run_true,
        "do nothing, successfully",
        truth::TRUE_USAGE,
        false,
    ),
    ours(
        "umount",
        umount::run,
        "unmount filesystems",
        umount::USAGE,
        false,
    ),
    uutils("uname", coreutils::uname, "print system information"),
    uutils("wc", coreutils::wc, "count lines, words and bytes"),
    ours(
        "wget",
        wget::run,
        "fetch a URL over HTTP to a file or stdout",
        wget::USAGE,
        false,
    ),
];

/// The applet called `name`, if any.
pub fn find(name: &str) -> Option<&'static Applet> {
    APPLETS
        .binary_search_by(|a| a.name.cmp(name))
        .ok()
        .map(|i| &APPLETS[i])
}

/// Is `name` an applet? Used by the shell to run applets not found on `PATH`.
pub fn exists(name: &str) -> bool {
    find(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in APPLETS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
    }

    #[test]
    fn every_applet_is_found_by_name() {
        for a in APPLETS {
            assert_eq!(find(a.name).map(|f| f.name), Some(a.name));
        }
        for missing in ["", "x", "lss", "zz", "rbox"] {
            assert!(find(missing).is_none(), "{missing}");
        }
    }

    #[test]
    fn our_applets_have_usage_and_summary() {
        for a in APPLETS {
            assert!(!a.summary.is_empty(), "{}", a.name);
            if let Help::Usage(u) = a.help {
                assert!(
                    u.contains(a.name) || a.name == "false" || a.name == "true",
                    "{}",
                    a.name
                );
            }
        }
    }
}
