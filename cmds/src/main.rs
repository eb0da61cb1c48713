//! rbox: one static multicall binary. The applet is chosen by the basename of argv[0]
//! (exact match), or by the first argument when called as `rbox`.
//!
//! Usage: rbox APPLET [ARGS...] | rbox --list | APPLET [ARGS...] (through a symlink)

mod applets;
mod awk;
mod chroot;
mod cksum;
mod compress;
mod coreutils;
mod cpio;
mod date;
mod dhclient;
mod dmesg;
mod error;
mod find;
mod free;
mod grep;
mod gzip;
mod hashsum;
mod hexdump;
mod hostname;
mod init;
mod insmod;
mod ip;
mod kill;
mod killall;
mod less;
mod lsmod;
mod modinfo;
mod modprobe;
mod mount;
mod pgrep;
mod pidof;
mod ping;
mod power;
mod procinfo;
mod ps;
mod rmmod;
mod sh;
mod sort;
mod strings;
mod tar;
mod top;
mod truth;
mod umount;
mod uptime;
mod vi;
mod watch;
mod wget;
mod which;
mod xargs;
mod xxd;
mod xz;
mod zstd;

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use applets::{Help, Preset, APPLETS};

const RBOX_USAGE: &str =
    "usage: rbox APPLET [ARGS...]\n       rbox --list [minimal|default|full]\n       rbox --list-sbin\n";

fn main() {
    restore_sigpipe();
    let args: Vec<OsString> = std::env::args_os().collect();
    std::process::exit(dispatch(args));
}

/// Rust ignores SIGPIPE by default; a multicall userland must die of it like C tools do,
/// so `ps | head` ends quietly instead of failing on EPIPE.
fn restore_sigpipe() {
    // SAFETY: setting a signal disposition to SIG_DFL has no memory-safety preconditions;
    // it runs first thing in main, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn basename(arg0: &OsString) -> String {
    let name = Path::new(arg0)
        .file_name()
        .map(|n| n.as_bytes())
        .unwrap_or_default();
    // A login shell is started as "-sh".
    let name = name.strip_prefix(b"-").unwrap_or(name);
    String::from_utf8_lossy(name).into_owned()
}

/// The name an applet was called by (`egrep`, `sha256sum`), for applets that serve several.
pub fn applet_name(args: &[OsString]) -> String {
    args.first().map(basename).unwrap_or_default()
}

/// The arguments after the applet name, as text (bytes that are not UTF-8 become U+FFFD).
pub fn operands(args: &[OsString]) -> Vec<String> {
    args.iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

fn dispatch(mut args: Vec<OsString>) -> i32 {
    let Some(arg0) = args.first() else {
        eprint!("{RBOX_USAGE}");
        return 2;
    };
    let mut name = basename(arg0);
    if name == "rbox" {
        match args.get(1).and_then(|a| a.to_str()) {
            None => {
                eprint!("{RBOX_USAGE}");
                return 2;
            }
            Some("--help") | Some("-h") => {
                print!("{RBOX_USAGE}\nApplets:\n");
                for a in APPLETS {
                    println!("  {:<10} {}", a.name, a.summary);
                }
                return 0;
            }
            // `--list PRESET`: the applets of an image preset (for the builder's --preset).
            Some("--list") => {
                let preset = match args.get(2).map(|p| p.to_str().and_then(Preset::parse)) {
                    None => Preset::Full,
                    Some(Some(preset)) => preset,
                    Some(None) => {
                        eprintln!("rbox: --list: unknown preset (minimal, default, full)");
                        return 2;
                    }
                };
                for a in applets::in_preset(preset) {
                    println!("{}", a.name);
                }
                return 0;
            }
            // For the builder: which applets are also linked under /sbin.
            Some("--list-sbin") => {
                for a in APPLETS.iter().filter(|a| a.sbin) {
                    println!("{}", a.name);
                }
                return 0;
            }
            Some(applet) => {
                name = applet.to_string();
                args.remove(0);
            }
        }
    }
    let Some(applet) = applets::find(&name) else {
        eprintln!("rbox: unknown applet '{name}'");
        return 127;
    };
    if let Help::Usage(usage) = applet.help {
        if args.get(1).is_some_and(|a| a == "--help") {
            print!("{usage}");
            return 0;
        }
    }
    match (applet.run)(args) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("{}: {}", applet.name, failure.message);
            if failure.code == 2 {
                if let Help::Usage(usage) = applet.help {
                    eprint!("{usage}");
                }
            }
            failure.code
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basename_table() {
        let cases = [
            ("ls", "ls"),
            ("/bin/ls", "ls"),
            ("./rbox", "rbox"),
            ("-sh", "sh"),
            ("/sbin/init", "init"),
        ];
        for (arg0, want) in cases {
            assert_eq!(basename(&OsString::from(arg0)), want, "{arg0}");
        }
    }

    #[test]
    fn unknown_applet_exits_127() {
        assert_eq!(dispatch(vec!["rbox".into(), "nosuch".into()]), 127);
        assert_eq!(dispatch(vec!["/bin/nosuch".into()]), 127);
    }
}
