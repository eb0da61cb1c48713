//! `killall`: signal processes by name. psmisc killall(1) subset.
//!
//! usage: killall [-SIGNAL | -s SIGNAL] [-e] [-I] [-i] [-q] [-v] [-w] [-u USER] NAME... | killall -l
//!
//! As psmisc: NAME is compared with the process name (comm, 15 characters); a longer NAME
//! matches when its first 15 characters equal the comm and the basename of argv[0] is NAME
//! (with -e only the latter); a NAME with a `/` matches the executable (/proc/PID/exe).
//! `NAME: no process found` and exit 1 when a name matched nothing; an unknown signal is
//! `SIG: unknown signal; killall -l lists signals.` with exit 1, as psmisc.

use std::ffi::OsString;
use std::fs;
use std::io::{self, BufRead, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{io_reason, AppletResult, Failure, UsageError};
use crate::kill::{signal_name, signal_number};
use crate::procinfo::{read_proc, read_procs, Proc, System};

pub const USAGE: &str = "\
usage: killall [-SIGNAL | -s SIGNAL] [-e] [-I] [-i] [-q] [-v] [-w] [-u USER] NAME...
       killall -l
Send SIGNAL (default TERM) to every process running NAME.
  -e  names longer than 15 characters must match exactly   -I  ignore case
  -i  ask before each    -q  no complaints    -v  report each signal sent
  -w  wait until they have died    -u USER  only processes of USER    -l  list signals
";

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    signal: i32,
    exact: bool,
    ignore_case: bool,
    interactive: bool,
    quiet: bool,
    verbose: bool,
    wait: bool,
    user: Option<String>,
    list: bool,
    names: Vec<String>,
}

fn unknown_signal(spec: &str) -> Failure {
    Failure {
        message: format!("{spec}: unknown signal; killall -l lists signals."),
        code: 1,
    }
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, Failure> {
        let mut o = Options {
            signal: libc::SIGTERM,
            exact: false,
            ignore_case: false,
            interactive: false,
            quiet: false,
            verbose: false,
            wait: false,
            user: None,
            list: false,
            names: Vec::new(),
        };
        let args: Vec<String> = crate::operands(&args);
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let Some(letters) = arg.strip_prefix('-').filter(|l| !l.is_empty()) else {
                o.names.push(arg.clone());
                continue;
            };
            match letters {
                "-" => {
                    o.names.extend(it.by_ref().cloned());
                    break;
                }
                "-signal" | "s" => {
                    let spec = it.next().ok_or_else(|| {
                        Failure::from(UsageError(format!("option {arg} needs a signal")))
                    })?;
                    o.signal = signal_number(spec).ok_or_else(|| unknown_signal(spec))?;
                    continue;
                }
                "-user" | "u" => {
                    let user = it.next().ok_or_else(|| {
                        Failure::from(UsageError(format!("option {arg} needs a user")))
                    })?;
                    o.user = Some(user.clone());
                    continue;
                }
                "-exact" => o.exact = true,
                "-ignore-case" => o.ignore_case = true,
                "-interactive" => o.interactive = true,
                "-quiet" => o.quiet = true,
                "-verbose" => o.verbose = true,
                "-wait" => o.wait = true,
                "-list" => o.list = true,
                _ if letters.starts_with('-') => {
                    return Err(UsageError(format!("unrecognized option '{arg}'")).into())
                }
                _ if letters.chars().all(|c| "eIiqvwl".contains(c)) => {
                    for c in letters.chars() {
                        match c {
                            'e' => o.exact = true,
                            'I' => o.ignore_case = true,
                            'i' => o.interactive = true,
                            'q' => o.quiet = true,
                            'v' => o.verbose = true,
                            'w' => o.wait = true,
                            _ => o.list = true,
                        }
                    }
                }
                // Anything else after a dash is a signal: -9, -KILL, -SIGHUP.
                spec => o.signal = signal_number(spec).ok_or_else(|| unknown_signal(spec))?,
            }
        }
        if !o.list && o.names.is_empty() {
            return Err(UsageError("missing process name".into()).into());
        }
        Ok(o)
    }
}

/// psmisc's signal list: 16 names a line.
pub fn signal_list() -> String {
    let names: Vec<&str> = (1..=31).filter_map(signal_name).collect();
    let lines: Vec<String> = names.chunks(16).map(|c| c.join(" ")).collect();
    format!("{}\n", lines.join("\n"))
}

const COMM_LEN: usize = 15;

/// Does `p` (executable `exe`) run `name`? See the module header for the psmisc rules.
fn runs(p: &Proc, exe: Option<&str>, name: &str, o: &Options) -> bool {
    let eq = |a: &str, b: &str| {
        if o.ignore_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    if name.contains('/') {
        return exe.is_some_and(|e| e == name);
    }
    let argv0 = p
        .args
        .first()
        .map(|a| a.rsplit('/').next().unwrap_or(a))
        .unwrap_or("");
    if name.chars().count() > COMM_LEN && p.comm.chars().count() == COMM_LEN {
        let prefix: String = name.chars().take(COMM_LEN).collect();
        return eq(argv0, name) || (!o.exact && eq(&p.comm, &prefix));
    }
    eq(&p.comm, name)
}

/// (name index, process) for every process to signal, in PID order.
fn targets<'a>(
    root: &Path,
    o: &Options,
    uid: Option<u32>,
    procs: &'a [Proc],
    my_pid: i32,
) -> Vec<(usize, &'a Proc)> {
    let mut out = Vec::new();
    for p in procs {
        if p.pid == my_pid || uid.is_some_and(|u| u != p.ruid) {
            continue;
        }
        let exe = fs::read_link(root.join(format!("proc/{}/exe", p.pid))).ok();
        let exe = exe.as_ref().map(|e| e.to_string_lossy());
        if let Some(i) = o.names.iter().position(|n| runs(p, exe.as_deref(), n, o)) {
            out.push((i, p));
        }
    }
    out
}

/// Wait until every process in `pids` has gone: through pidfds where the kernel has them
/// (Linux 5.3), else by probing with signal 0.
fn wait_gone(pids: &[i32]) {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let mut fds = Vec::new();
    let mut probe = Vec::new();
    for &pid in pids {
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        match i32::try_from(fd) {
            // SAFETY: a non-negative return is a fresh descriptor that nothing else owns.
            Ok(fd) if fd >= 0 => fds.push(unsafe { OwnedFd::from_raw_fd(fd) }),
            _ => probe.push(pid),
        }
    }
    while !fds.is_empty() {
        let mut polls: Vec<PollFd> = fds
            .iter()
            .map(|f| PollFd::new(f.as_fd(), PollFlags::POLLIN))
            .collect();
        if poll(&mut polls, PollTimeout::NONE).is_err() {
            break;
        }
        let done: Vec<bool> = polls
            .iter()
            .map(|p| p.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        drop(polls);
        let mut i = 0;
        fds.retain(|_| {
            i += 1;
            !done[i - 1]
        });
    }
    let start = Instant::now();
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    while probe.iter().any(|&p| unsafe { libc::kill(p, 0) } == 0) {
        // No pidfds (old kernel): back off up to a second between probes.
        let step = start
            .elapsed()
            .min(Duration::from_secs(1))
            .max(Duration::from_millis(10));
        std::thread::sleep(step);
    }
}

fn ask(question: &str) -> bool {
    eprint!("{question}");
    let mut line = String::new();
    let _ = io::stdin().lock().read_line(&mut line);
    line.trim_start().starts_with(['y', 'Y'])
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    if o.list {
        io::stdout()
            .write_all(signal_list().as_bytes())
            .map_err(|e| Failure {
                message: format!("write error: {}", io_reason(&e)),
                code: 1,
            })?;
        return Ok(0);
    }
    let root = Path::new("/");
    let uid = match &o.user {
        Some(u) => Some(System::read(root).uid_of(u).ok_or_else(|| Failure {
            message: format!("Cannot find user {u}"),
            code: 1,
        })?),
        None => None,
    };
    let procs = read_procs(root)?;
    let my_pid = read_proc(&root.join("proc/self")).map_or(std::process::id() as i32, |m| m.pid);
    let mut found = vec![false; o.names.len()];
    let mut errors = Vec::new();
    let mut signalled = Vec::new();
    for (i, p) in targets(root, &o, uid, &procs, my_pid) {
        found[i] = true;
        if o.interactive && !ask(&format!("Kill {}({}) ? (y/N) ", p.comm, p.pid)) {
            continue;
        }
        // SAFETY: kill(2) takes two integers and touches no memory of ours.
        if unsafe { libc::kill(p.pid, o.signal) } == 0 {
            signalled.push(p.pid);
            if o.verbose {
                eprintln!("Killed {}({}) with signal {}", p.comm, p.pid, o.signal);
            }
        } else {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::ESRCH) && !o.quiet {
                errors.push(format!("{}({}): {}", p.comm, p.pid, io_reason(&e)));
            }
        }
    }
    for (name, _) in o.names.iter().zip(&found).filter(|(_, f)| !**f) {
        if !o.quiet {
            errors.push(format!("{name}: no process found"));
        }
    }
    if o.wait {
        wait_gone(&signalled);
    }
    let failed = found.iter().any(|f| !f) || !errors.is_empty();
    if !errors.is_empty() {
        // psmisc prints these without a "killall:" prefix.
        let mut err = io::stderr().lock();
        for e in &errors {
            let _ = writeln!(err, "{e}");
        }
    }
    Ok(if failed { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("killall")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    fn proc(pid: i32, comm: &str, argv0: &str, ruid: u32) -> Proc {
        Proc {
            pid,
            comm: comm.into(),
            ruid,
            args: vec![argv0.to_string()],
            ..Proc::default()
        }
    }

    #[test]
    fn parse_table() {
        let o = Options::parse(args("-9 -qv -w sleep x")).expect("parse");
        assert_eq!(
            (o.signal, o.quiet, o.verbose, o.wait, o.names.len()),
            (9, true, true, true, 2)
        );
        let o = Options::parse(args("-s HUP -u root -e -I a")).expect("parse");
        assert_eq!(o.signal, 1);
        assert_eq!(o.user.as_deref(), Some("root"));
        assert!(o.exact && o.ignore_case);
        assert_eq!(Options::parse(args("-SIGUSR1 a")).map(|o| o.signal), Ok(10));
        assert!(Options::parse(args("-l")).is_ok_and(|o| o.list));
        let errors = [
            (
                "-BOGUS x",
                "BOGUS: unknown signal; killall -l lists signals.",
                1,
            ),
            (
                "-s BOGUS x",
                "BOGUS: unknown signal; killall -l lists signals.",
                1,
            ),
            ("", "missing process name", 2),
            ("-s", "option -s needs a signal", 2),
        ];
        for (line, want, code) in errors {
            let e = Options::parse(args(line)).expect_err(line);
            assert_eq!((e.message.as_str(), e.code), (want, code), "{line}");
        }
        assert_eq!(
            signal_list(),
            "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT\n\
             CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH POLL PWR SYS\n"
        );
    }

    #[test]
    fn targets_table() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = dir.path();
        std::fs::create_dir_all(r.join("proc/40")).expect("mkdir");
        std::os::unix::fs::symlink("/opt/x/daemon", r.join("proc/40/exe")).expect("symlink");
        let procs = vec![
            proc(10, "sleep", "sleep", 0),
            proc(20, "sleep", "/bin/sleep", 1000),
            proc(30, "averyveryverylo", "/usr/bin/averyveryverylongname", 0),
            proc(40, "daemon", "daemon", 0),
            proc(50, "killall", "killall", 0),
        ];
        let cases: [(&str, Option<u32>, &[i32]); 8] = [
            ("sleep", None, &[10, 20]),
            ("SLEEP", None, &[]),
            ("-I SLEEP", None, &[10, 20]),
            ("sleep", Some(1000), &[20]),
            ("averyveryverylongname", None, &[30]),
            ("averyveryverylongnameX", None, &[30]),
            ("-e averyveryverylongnameX", None, &[]),
            ("/opt/x/daemon killall", None, &[40]),
        ];
        for (line, uid, want) in cases {
            let o = Options::parse(args(line)).expect(line);
            let got: Vec<i32> = targets(r, &o, uid, &procs, 50)
                .iter()
                .map(|(_, p)| p.pid)
                .collect();
            assert_eq!(got, want, "{line}");
        }
    }
}
