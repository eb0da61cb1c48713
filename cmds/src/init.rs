//! `init`: the rroot PID 1 (the library is rroot_init::boot). The kernel runs it as `/init`.
//!
//! usage: init
//!
//! Arguments are accepted and ignored: the kernel passes init the command-line words it does
//! not know (and everything after `--`), which init reads from /proc/cmdline instead.

use std::ffi::OsString;
use std::fmt;

use crate::error::{AppletError, AppletResult};

pub const USAGE: &str = "\
usage: init
Run by the kernel as process 1: mount /proc, /sys, /dev, /run, /tmp, set the hostname,
start a shell on the console, reap orphans, and shut down on poweroff, reboot or halt.
";

#[derive(Debug)]
pub struct NotPid1;

impl fmt::Display for NotPid1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be run as process 1 (by the kernel)")
    }
}

impl AppletError for NotPid1 {}

pub fn run(_args: Vec<OsString>) -> AppletResult {
    if nix::unistd::getpid().as_raw() != 1 {
        return Err(NotPid1.into());
    }
    rroot_init::boot::main()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_unless_pid_1() {
        let f = run(vec!["init".into()]).expect_err("must fail");
        assert_eq!(f.message, "must be run as process 1 (by the kernel)");
        assert_eq!(f.code, 1);
    }
}
