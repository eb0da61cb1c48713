//! `poweroff`, `reboot`, `halt`: ask init for an orderly shutdown, or with `-f` do it at once.
//!
//! usage: poweroff [-f] | reboot [-f] | halt [-f]
//!
//! Like busybox and sysvinit: the request is a signal to PID 1 (poweroff SIGUSR2, reboot
//! SIGTERM, halt SIGUSR1; see rroot_init::shutdown); `-f` is sync(2) then reboot(2).

use std::ffi::OsString;
use std::fmt;
use std::path::Path;

use nix::errno::Errno;
use rroot_init::shutdown::ShutdownKind;
use rroot_init::sys::{RealSystem, System};

use crate::error::{AppletError, AppletResult, UsageError};

pub const USAGE_POWEROFF: &str = "\
usage: poweroff [-f]
Ask init to stop every process, unmount filesystems and power the machine off.
-f  power off at once (sync, then reboot(2)), without stopping processes
";
pub const USAGE_REBOOT: &str = "\
usage: reboot [-f]
Ask init to stop every process, unmount filesystems and restart the machine.
-f  restart at once (sync, then reboot(2)), without stopping processes
";
pub const USAGE_HALT: &str = "\
usage: halt [-f]
Ask init to stop every process, unmount filesystems and halt the machine.
-f  halt at once (sync, then reboot(2)), without stopping processes
";

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub kind: ShutdownKind,
    pub force: bool,
}

impl Options {
    pub fn parse(args: &[OsString]) -> Result<Options, UsageError> {
        let name = args
            .first()
            .and_then(|a| Path::new(a).file_name())
            .map(|n| n.to_string_lossy().trim_start_matches('-').to_string())
            .unwrap_or_default();
        let kind = ShutdownKind::from_name(&name)
            .ok_or_else(|| UsageError(format!("unknown command name '{name}'")))?;
        let mut force = false;
        for arg in args.iter().skip(1) {
            match arg.to_str() {
                Some("-f") | Some("--force") => force = true,
                Some(a) if a.starts_with('-') => {
                    return Err(UsageError(format!("invalid option '{a}'")))
                }
                _ => {
                    let a = arg.to_string_lossy();
                    return Err(UsageError(format!("unexpected argument '{a}'")));
                }
            }
        }
        Ok(Options { kind, force })
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum PowerError {
    Signal(Errno),
    Reboot(Errno),
}

impl fmt::Display for PowerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PowerError::Signal(e) => write!(f, "init (PID 1): {}", e.desc()),
            PowerError::Reboot(e) => write!(f, "reboot(2): {}", e.desc()),
        }
    }
}

impl AppletError for PowerError {}

/// Send the request to init, or with `force` sync and reboot(2) at once.
pub fn execute(sys: &mut dyn System, opts: &Options) -> Result<(), PowerError> {
    if opts.force {
        sys.sync();
        return Err(PowerError::Reboot(sys.reboot(opts.kind.mode())));
    }
    sys.kill(1, opts.kind.signal()).map_err(PowerError::Signal)
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let opts = Options::parse(&args)?;
    execute(&mut RealSystem, &opts)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rroot_init::sys::RecordingSystem;

    fn args(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn parse_table() {
        use ShutdownKind::*;
        type Case = (
            &'static [&'static str],
            Result<(ShutdownKind, bool), &'static str>,
        );
        let cases: &[Case] = &[
            (&["poweroff"], Ok((PowerOff, false))),
            (&["/sbin/reboot", "-f"], Ok((Reboot, true))),
            (&["halt", "--force"], Ok((Halt, true))),
            (&["halt", "-x"], Err("invalid option '-x'")),
            (&["reboot", "now"], Err("unexpected argument 'now'")),
            (&["shutdown"], Err("unknown command name 'shutdown'")),
            (&[], Err("unknown command name ''")),
        ];
        for (argv, want) in cases {
            let got = Options::parse(&args(argv))
                .map(|o| (o.kind, o.force))
                .map_err(|e| e.0);
            assert_eq!(got, want.map_err(String::from), "{argv:?}");
        }
    }

    #[test]
    fn execute_table() {
        // (applet, -f, failing call, calls made, error)
        type Case = (
            &'static str,
            bool,
            Option<&'static str>,
            &'static [&'static str],
            Option<&'static str>,
        );
        let cases: &[Case] = &[
            ("poweroff", false, None, &["kill 1 SIGUSR2"], None),
            ("reboot", false, None, &["kill 1 SIGTERM"], None),
            ("halt", false, None, &["kill 1 SIGUSR1"], None),
            (
                "poweroff",
                false,
                Some("kill"),
                &["kill 1 SIGUSR2"],
                Some("init (PID 1): Operation not permitted"),
            ),
            (
                "poweroff",
                true,
                Some("reboot"),
                &["sync", "reboot RB_POWER_OFF"],
                Some("reboot(2): Operation not permitted"),
            ),
            (
                "reboot",
                true,
                Some("reboot"),
                &["sync", "reboot RB_AUTOBOOT"],
                Some("reboot(2): Operation not permitted"),
            ),
        ];
        for (name, force, failing, calls, err) in cases {
            let mut sys = RecordingSystem::new();
            if let Some(prefix) = failing {
                sys = sys.failing(prefix, Errno::EPERM);
            }
            let opts = Options {
                kind: ShutdownKind::from_name(name).expect("test fixture"),
                force: *force,
            };
            let got = execute(&mut sys, &opts).map_err(|e| e.to_string());
            assert_eq!(sys.calls, *calls, "{name} {force}");
            assert_eq!(got.err().as_deref(), *err, "{name} {force}");
        }
    }
}
