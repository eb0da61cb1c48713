//! The applet table: the single source of truth for what rbox can be called as.
//! Kept sorted by name (a test checks), so lookup is a binary search.

use std::ffi::OsString;

use crate::error::AppletResult;
use crate::{
    awk, chroot, cksum, coreutils, cpio, date, dhclient, dmesg, find, free, grep, gzip, hashsum,
    hexdump, hostname, init, insmod, ip, kill, killall, less, lsmod, modinfo, modprobe, mount,
    pgrep, pidof, ping, power, ps, rmmod, sh, sort, strings, tar, top, truth, umount, uptime, vi,
    watch, wget, which, xargs, xxd, xz, zstd,
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
    /// The smallest image preset this applet is part of (`rroot initramfs --preset`).
    pub preset: Preset,
}

/// Image presets, each holding the applets of the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Preset {
    /// init, sh and the handful needed to mount and look around.
    Minimal,
    /// The console toolkit: what a person types in the first minutes of debugging.
    Default,
    /// Everything rbox has.
    Full,
}

impl Preset {
    pub fn parse(name: &str) -> Option<Preset> {
        match name {
            "minimal" => Some(Preset::Minimal),
            "default" => Some(Preset::Default),
            "full" => Some(Preset::Full),
            _ => None,
        }
    }
}

impl Applet {
    /// Part of the `minimal` preset too.
    const fn minimal(self) -> Applet {
        Applet {
            preset: Preset::Minimal,
            ..self
        }
    }
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
        preset: Preset::Default,
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
        preset: Preset::Default,
    }
}

pub static APPLETS: &[Applet] = &[
    uutils(
        "[",
        coreutils::bracket,
        "check file types and compare values (with a closing ])",
    ),
    uutils("arch", coreutils::arch, "print the machine hardware name"),
    ours(
        "awk",
        awk::run,
        "pattern scanning and processing language (POSIX awk)",
        awk::USAGE,
        false,
    ),
    ours(
        "b2sum",
        hashsum::run,
        "compute and check BLAKE2 digests",
        hashsum::USAGE,
        false,
    ),
    uutils("base32", coreutils::base32, "base32 encode or decode"),
    uutils("base64", coreutils::base64, "base64 encode or decode"),
    uutils(
        "basename",
        coreutils::basename,
        "strip directory and suffix from file names",
    ),
    uutils(
        "cat",
        coreutils::cat,
        "concatenate files to standard output",
    )
    .minimal(),
    uutils("chgrp", coreutils::chgrp, "change group ownership"),
    uutils("chmod", coreutils::chmod, "change file mode bits"),
    uutils("chown", coreutils::chown, "change file owner and group"),
    ours(
        "chroot",
        chroot::run,
        "run a command with another root directory",
        chroot::USAGE,
        true,
    )
    .minimal(),
    ours(
        "cksum",
        cksum::run,
        "checksum and count the bytes in files",
        cksum::USAGE,
        false,
    ),
    uutils(
        "comm",
        coreutils::comm,
        "compare two sorted files line by line",
    ),
    uutils("cp", coreutils::cp, "copy files and directories").minimal(),
    ours(
        "cpio",
        cpio::run,
        "copy files to and from cpio archives (newc)",
        cpio::USAGE,
        false,
    ),
    uutils("cut", coreutils::cut, "remove sections from each line"),
    ours(
        "date",
        date::run,
        "print or set the system date and time",
        date::USAGE,
        false,
    ),
    uutils("dd", coreutils::dd, "convert and copy a file"),
    uutils("df", coreutils::df, "report file system space usage"),
    ours(
        "dhclient",
        dhclient::run,
        "DHCPv4 client: lease an address and configure the interface",
        dhclient::USAGE,
        true,
    ),
    uutils(
        "dirname",
        coreutils::dirname,
        "strip the last component from a file name",
    ),
    ours(
        "dmesg",
        dmesg::run,
        "print or clear the kernel ring buffer",
        dmesg::USAGE,
        false,
    )
    .minimal(),
    uutils("du", coreutils::du, "estimate file space usage"),
    uutils("echo", coreutils::echo, "print arguments").minimal(),
    ours(
        "egrep",
        grep::run,
        "grep -E: extended regular expressions",
        grep::USAGE,
        false,
    ),
    uutils(
        "env",
        coreutils::env,
        "run a program in a modified environment",
    ),
    uutils("expand", coreutils::expand, "convert tabs to spaces"),
    uutils("expr", coreutils::expr, "evaluate expressions"),
    ours(
        "false",
        truth::run_false,
        "do nothing, unsuccessfully",
        truth::FALSE_USAGE,
        false,
    )
    .minimal(),
    ours(
        "fgrep",
        grep::run,
        "grep -F: fixed strings",
        grep::USAGE,
        false,
    ),
    ours(
        "find",
        find::run,
        "search for files in a directory hierarchy",
        find::USAGE,
        false,
    ),
    uutils("fmt", coreutils::fmt, "simple text formatter"),
    uutils(
        "fold",
        coreutils::fold,
        "wrap each input line to fit a width",
    ),
    ours(
        "free",
        free::run,
        "display the amount of free and used memory",
        free::USAGE,
        false,
    ),
    ours(
        "grep",
        grep::run,
        "print lines that match patterns",
        grep::USAGE,
        false,
    ),
    uutils("groups", coreutils::groups, "print the groups a user is in"),
    ours(
        "gunzip",
        gzip::run,
        "decompress gzip files",
        gzip::USAGE,
        false,
    ),
    ours(
        "gzip",
        gzip::run,
        "compress files (gzip format)",
        gzip::USAGE,
        false,
    ),
    ours(
        "halt",
        power::run,
        "halt the machine",
        power::USAGE_HALT,
        true,
    )
    .minimal(),
    uutils("head", coreutils::head, "print the first lines of files").minimal(),
    ours(
        "hexdump",
        hexdump::run,
        "display file contents in hexadecimal",
        hexdump::USAGE,
        false,
    ),
    uutils(
        "hostid",
        coreutils::hostid,
        "print the numeric host identifier",
    ),
    ours(
        "hostname",
        hostname::run,
        "show or set the host name",
        hostname::USAGE,
        false,
    )
    .minimal(),
    uutils("id", coreutils::id, "print user and group ids"),
    ours(
        "init",
        init::run,
        "PID 1: bring the machine up and supervise it",
        init::USAGE,
        true,
    )
    .minimal(),
    ours(
        "insmod",
        insmod::run,
        "load a kernel module file",
        insmod::USAGE,
        true,
    )
    .minimal(),
    uutils(
        "install",
        coreutils::install,
        "copy files and set attributes",
    ),
    ours(
        "ip",
        ip::run,
        "show and change links, addresses and routes",
        ip::USAGE,
        true,
    )
    .minimal(),
    uutils(
        "join",
        coreutils::join,
        "join lines of two files on a common field",
    ),
    ours(
        "kill",
        kill::run,
        "send a signal to processes",
        kill::USAGE,
        false,
    )
    .minimal(),
    ours(
        "killall",
        killall::run,
        "signal processes by name",
        killall::USAGE,
        false,
    ),
    ours(
        "less",
        less::run,
        "page through text, forward and backward",
        less::USAGE,
        false,
    ),
    uutils("link", coreutils::link, "call link() to make a hard link"),
    uutils("ln", coreutils::ln, "make links between files").minimal(),
    uutils("logname", coreutils::logname, "print the user's login name"),
    uutils("ls", coreutils::ls, "list directory contents").minimal(),
    ours(
        "lsmod",
        lsmod::run,
        "list loaded kernel modules",
        lsmod::USAGE,
        true,
    )
    .minimal(),
    ours(
        "md5sum",
        hashsum::run,
        "compute and check MD5 digests",
        hashsum::USAGE,
        false,
    ),
    uutils("mkdir", coreutils::mkdir, "make directories").minimal(),
    uutils("mkfifo", coreutils::mkfifo, "make FIFOs (named pipes)"),
    uutils(
        "mknod",
        coreutils::mknod,
        "make block or character special files",
    )
    .minimal(),
    uutils(
        "mktemp",
        coreutils::mktemp,
        "create a temporary file or directory",
    ),
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
    )
    .minimal(),
    ours("more", less::run, "page through text", less::USAGE, false),
    ours(
        "mount",
        mount::run,
        "mount a filesystem or list mounts",
        mount::USAGE,
        false,
    )
    .minimal(),
    uutils("mv", coreutils::mv, "move or rename files").minimal(),
    uutils(
        "nice",
        coreutils::nice,
        "run a program with modified scheduling priority",
    ),
    uutils("nl", coreutils::nl, "number lines of files"),
    uutils("nohup", coreutils::nohup, "run a command immune to hangups"),
    uutils(
        "nproc",
        coreutils::nproc,
        "print the number of processing units",
    ),
    uutils(
        "numfmt",
        coreutils::numfmt,
        "convert numbers to and from human-readable strings",
    ),
    uutils("od", coreutils::od, "dump files in octal and other formats"),
    uutils("paste", coreutils::paste, "merge lines of files"),
    uutils(
        "pathchk",
        coreutils::pathchk,
        "check whether file names are valid or portable",
    ),
    ours(
        "pgrep",
        pgrep::run,
        "look up processes by name and attributes",
        pgrep::USAGE,
        false,
    ),
    ours(
        "pidof",
        pidof::run,
        "print the process ids of running programs",
        pidof::USAGE,
        false,
    ),
    ours(
        "ping",
        ping::run,
        "send ICMP echo requests",
        ping::USAGE,
        false,
    ),
    ours(
        "pkill",
        pgrep::run,
        "signal processes by name and attributes",
        pgrep::USAGE,
        false,
    ),
    ours(
        "poweroff",
        power::run,
        "power the machine off",
        power::USAGE_POWEROFF,
        true,
    )
    .minimal(),
    uutils(
        "printenv",
        coreutils::printenv,
        "print all or part of the environment",
    ),
    uutils("printf", coreutils::printf, "format and print data"),
    ours(
        "ps",
        ps::run,
        "report a snapshot of the current processes",
        ps::USAGE,
        false,
    )
    .minimal(),
    uutils("pwd", coreutils::pwd, "print the working directory").minimal(),
    uutils(
        "readlink",
        coreutils::readlink,
        "print resolved symbolic links",
    ),
    uutils(
        "realpath",
        coreutils::realpath,
        "print the resolved absolute path",
    ),
    ours(
        "reboot",
        power::run,
        "reboot the machine",
        power::USAGE_REBOOT,
        true,
    )
    .minimal(),
    uutils("rm", coreutils::rm, "remove files or directories").minimal(),
    uutils("rmdir", coreutils::rmdir, "remove empty directories"),
    ours(
        "rmmod",
        rmmod::run,
        "unload a kernel module",
        rmmod::USAGE,
        true,
    ),
    uutils(
        "sed",
        coreutils::sed,
        "stream editor for filtering and transforming text",
    ),
    uutils("seq", coreutils::seq, "print a sequence of numbers"),
    ours(
        "sh",
        sh::run,
        "command interpreter (POSIX sh subset)",
        sh::USAGE,
        false,
    )
    .minimal(),
    ours(
        "sha1sum",
        hashsum::run,
        "compute and check SHA1 digests",
        hashsum::USAGE,
        false,
    ),
    ours(
        "sha224sum",
        hashsum::run,
        "compute and check SHA224 digests",
        hashsum::USAGE,
        false,
    ),
    ours(
        "sha256sum",
        hashsum::run,
        "compute and check SHA256 digests",
        hashsum::USAGE,
        false,
    ),
    ours(
        "sha384sum",
        hashsum::run,
        "compute and check SHA384 digests",
        hashsum::USAGE,
        false,
    ),
    ours(
        "sha512sum",
        hashsum::run,
        "compute and check SHA512 digests",
        hashsum::USAGE,
        false,
    ),
    uutils("shuf", coreutils::shuf, "generate random permutations"),
    uutils("sleep", coreutils::sleep, "delay for a specified time").minimal(),
    ours(
        "sort",
        sort::run,
        "sort lines of text files",
        sort::USAGE,
        false,
    ),
    uutils("split", coreutils::split, "split a file into pieces"),
    uutils(
        "stat",
        coreutils::stat,
        "display file or file system status",
    ),
    ours(
        "strings",
        strings::run,
        "print the printable strings in files",
        strings::USAGE,
        false,
    ),
    uutils(
        "stty",
        coreutils::stty,
        "change and print terminal line settings",
    ),
    ours(
        "sum",
        cksum::run,
        "checksum and count the blocks in files",
        cksum::USAGE,
        false,
    ),
    uutils("sync", coreutils::sync, "flush file system buffers"),
    uutils(
        "tac",
        coreutils::tac,
        "concatenate and print files in reverse",
    ),
    uutils("tail", coreutils::tail, "print the last lines of files").minimal(),
    ours(
        "tar",
        tar::run,
        "create, list or extract tar archives",
        tar::USAGE,
        false,
    ),
    uutils(
        "tee",
        coreutils::tee,
        "copy standard input to files and standard output",
    ),
    uutils(
        "test",
        coreutils::test,
        "check file types and compare values",
    ),
    uutils(
        "timeout",
        coreutils::timeout,
        "run a command with a time limit",
    ),
    ours(
        "top",
        top::run,
        "display processes and system load",
        top::USAGE,
        false,
    ),
    uutils(
        "touch",
        coreutils::touch,
        "change file timestamps or create files",
    ),
    uutils("tr", coreutils::tr, "translate or delete characters"),
    ours(
        "true",
        truth::run_true,
        "do nothing, successfully",
        truth::TRUE_USAGE,
        false,
    )
    .minimal(),
    uutils(
        "truncate",
        coreutils::truncate,
        "shrink or extend the size of a file",
    ),
    uutils("tsort", coreutils::tsort, "topological sort"),
    uutils("tty", coreutils::tty, "print the terminal's file name"),
    ours(
        "umount",
        umount::run,
        "unmount filesystems",
        umount::USAGE,
        false,
    )
    .minimal(),
    uutils("uname", coreutils::uname, "print system information"),
    uutils("unexpand", coreutils::unexpand, "convert spaces to tabs"),
    uutils("uniq", coreutils::uniq, "report or omit repeated lines"),
    uutils(
        "unlink",
        coreutils::unlink,
        "call unlink() to remove a file",
    ),
    ours("unxz", xz::run, "decompress .xz files", xz::USAGE, false),
    ours(
        "unzstd",
        zstd::run,
        "decompress .zst files",
        zstd::USAGE,
        false,
    ),
    ours(
        "uptime",
        uptime::run,
        "tell how long the system has been running",
        uptime::USAGE,
        false,
    ),
    ours("vi", vi::run, "modal text editor", vi::USAGE, false),
    ours(
        "watch",
        watch::run,
        "run a command periodically, showing its output",
        watch::USAGE,
        false,
    ),
    uutils("wc", coreutils::wc, "count lines, words and bytes"),
    ours(
        "wget",
        wget::run,
        "fetch a URL over HTTP to a file or stdout",
        wget::USAGE,
        false,
    ),
    ours(
        "which",
        which::run,
        "locate a command on PATH",
        which::USAGE,
        false,
    ),
    uutils("whoami", coreutils::whoami, "print the effective user name"),
    ours(
        "xargs",
        xargs::run,
        "build and run command lines from standard input",
        xargs::USAGE,
        false,
    ),
    ours(
        "xxd",
        xxd::run,
        "make a hex dump or reverse it",
        xxd::USAGE,
        false,
    ),
    ours(
        "xz",
        xz::run,
        "compress or decompress .xz files",
        xz::USAGE,
        false,
    ),
    ours(
        "xzcat",
        xz::run,
        "decompress .xz files to standard output",
        xz::USAGE,
        false,
    ),
    uutils("yes", coreutils::yes, "output a string repeatedly"),
    ours(
        "zcat",
        gzip::run,
        "decompress gzip files to standard output",
        gzip::USAGE,
        false,
    ),
    ours(
        "zstd",
        zstd::run,
        "compress or decompress .zst files",
        zstd::USAGE,
        false,
    ),
    ours(
        "zstdcat",
        zstd::run,
        "decompress .zst files to standard output",
        zstd::USAGE,
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

/// The applets of a preset, in table order.
pub fn in_preset(preset: Preset) -> impl Iterator<Item = &'static Applet> {
    APPLETS.iter().filter(move |a| a.preset <= preset)
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
