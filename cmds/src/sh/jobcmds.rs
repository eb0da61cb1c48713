//! The job builtins: `jobs [-lp] [JOB...]`, `fg [JOB]`, `bg [JOB...]`, `kill [-s SIG | -SIG]
//! PID|JOB...`, `kill -l [STATUS]` and `wait [PID|JOB...]` (XCU jobs, fg, bg, kill, wait).

use nix::errno::Errno;
use nix::sys::signal::{self, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;

use super::exec::{err, Ex, Shell};
use super::fdio;
use super::jobtable::{Job, Status};
use super::tty;

/// `jobs`, `fg`, `bg` and `kill`.
pub fn builtin(sh: &mut Shell, argv: &[String]) -> Ex {
    let args = &argv[1..];
    Ok(match argv[0].as_str() {
        "jobs" => jobs(sh, args),
        "fg" => fg(sh, args),
        "bg" => bg(sh, args),
        _ => kill(sh, args),
    })
}

fn jobs(sh: &mut Shell, args: &[String]) -> i32 {
    let (mut pids, mut only_pgid) = (false, false);
    let mut i = 0;
    while let Some(a) = args.get(i).filter(|a| a.starts_with('-') && a.len() > 1) {
        i += 1;
        if a == "--" {
            break;
        }
        for c in a[1..].chars() {
            match c {
                'l' => pids = true,
                'p' => only_pgid = true,
                _ => {
                    err(&format!("jobs: -{c}: unknown option"));
                    return 2;
                }
            }
        }
    }
    sh.reap_jobs();
    let mut st = 0;
    let list: Vec<usize> = if args[i..].is_empty() {
        sh.jobs.by_recency()
    } else {
        let mut v = Vec::new();
        for spec in &args[i..] {
            match sh.jobs.lookup(spec) {
                Ok(idx) => v.push(idx),
                Err(e) => {
                    err(&format!("jobs: {e}"));
                    st = 2;
                }
            }
        }
        v
    };
    let mut out = String::new();
    for &idx in &list {
        let job = &sh.jobs.table[idx];
        if only_pgid {
            let pid = job.procs.first().map_or(0, |p| p.pid);
            out.push_str(&format!("{pid}\n"));
        } else {
            out.push_str(&sh.jobs.report(idx, pids));
        }
        sh.jobs.table[idx].changed = false;
    }
    fdio::write_all(1, out.as_bytes());
    // What was reported as done is gone (dash frees it in showjob).
    let mut done: Vec<usize> = list
        .into_iter()
        .filter(|i| sh.jobs.table[*i].state().done())
        .collect();
    done.sort_unstable();
    done.dedup();
    for idx in done.into_iter().rev() {
        sh.jobs.remove(idx);
    }
    st
}

/// The job `spec` names (the current one without a spec), reporting a failure.
fn find(sh: &Shell, cmd: &str, spec: Option<&String>) -> Option<usize> {
    let r = sh.jobs.lookup(spec.map_or("%%", |s| s.as_str()));
    match r {
        Ok(i) => Some(i),
        Err(_) if spec.is_none() => {
            err(&format!("{cmd}: no current job"));
            None
        }
        Err(e) => {
            err(&format!("{cmd}: {e}"));
            None
        }
    }
}

fn no_job_control(sh: &Shell, cmd: &str) -> bool {
    if sh.job_control() {
        return false;
    }
    err(&format!("{cmd}: job control not enabled"));
    true
}

/// Continue a job's group (or its processes) and count them as running again.
fn resume(job: &mut Job) {
    if job.pgid > 0 {
        let _ = signal::killpg(Pid::from_raw(job.pgid), Signal::SIGCONT);
    }
    for p in job.procs.iter_mut().filter(|p| !p.status.done()) {
        if job.pgid == 0 {
            let _ = signal::kill(Pid::from_raw(p.pid), Signal::SIGCONT);
        }
        p.status = Status::Running;
    }
}

fn fg(sh: &mut Shell, args: &[String]) -> i32 {
    if no_job_control(sh, "fg") {
        return 2;
    }
    let args = skip_dashdash(args);
    let Some(idx) = find(sh, "fg", args.first()) else {
        return 2;
    };
    let mut job = sh.jobs.remove(idx);
    fdio::write_all(1, format!("{}\n", job.text()).as_bytes());
    if let (Some(t), Some(m)) = (&sh.jobs.tty, &job.modes) {
        tty::give(t.fd, job.pgid);
        tty::set_modes(t.fd, m);
    }
    resume(&mut job);
    job.changed = false;
    sh.run_fg(job)
}

fn bg(sh: &mut Shell, args: &[String]) -> i32 {
    if no_job_control(sh, "bg") {
        return 2;
    }
    let args = skip_dashdash(args);
    let specs: Vec<Option<&String>> = if args.is_empty() {
        vec![None]
    } else {
        args.iter().map(Some).collect()
    };
    let mut st = 0;
    for spec in specs {
        let Some(idx) = find(sh, "bg", spec) else {
            st = 2;
            continue;
        };
        let job = &mut sh.jobs.table[idx];
        if matches!(job.state(), Status::Stopped(_)) {
            resume(job);
            job.changed = false;
        }
        let (num, text) = (job.num, job.text());
        sh.jobs.make_current(num, false);
        fdio::write_all(1, format!("[{num}] {text}\n").as_bytes());
    }
    st
}

fn skip_dashdash(args: &[String]) -> &[String] {
    match args.first() {
        Some(a) if a == "--" => &args[1..],
        _ => args,
    }
}

const KILL_USAGE: &str =
    "usage: kill [-s sigspec | -signum | -sigspec] [pid | job]... or kill -l [exitstatus]";

/// What `kill ARGS` asks for.
#[derive(Debug, PartialEq)]
enum KillRequest<'a> {
    /// `kill -l`: every name.
    Names,
    /// `kill -l STATUS...`: translations.
    Translate(&'a [String]),
    /// The signal, and the pids and job specs to send it to.
    Send(i32, &'a [String]),
}

/// `kill [-s SIG | -n NUM | -SIG] [--] TARGET...` and `kill -l [STATUS...]`; an error is the
/// message.
fn kill_request(args: &[String]) -> Result<KillRequest<'_>, String> {
    let bad = |s: &str| format!("{s}: invalid signal specification");
    let number = |s: &str| crate::kill::signal_number(s).ok_or_else(|| bad(s));
    let (sig, i) = match args.first().map(|s| s.as_str()) {
        None => return Err(KILL_USAGE.into()),
        Some("-l" | "-L") if args.len() == 1 => return Ok(KillRequest::Names),
        Some("-l" | "-L") => return Ok(KillRequest::Translate(&args[1..])),
        Some("-s" | "-n") => {
            let spec = args.get(1).ok_or_else(|| KILL_USAGE.to_string())?;
            (number(spec)?, 2)
        }
        Some("--") => (libc::SIGTERM, 1),
        Some(a) if a.starts_with('-') && a.len() > 1 => {
            let n = number(&a[1..])?;
            (
                n,
                if args.get(1).is_some_and(|a| a == "--") {
                    2
                } else {
                    1
                },
            )
        }
        Some(_) => (libc::SIGTERM, 0),
    };
    if args.len() <= i {
        return Err(KILL_USAGE.into());
    }
    Ok(KillRequest::Send(sig, &args[i..]))
}

fn kill(sh: &mut Shell, args: &[String]) -> i32 {
    let (sig, targets) = match kill_request(args) {
        Ok(KillRequest::Names) => {
            // One name a line, as dash lists them.
            let names: String = (1..=31)
                .filter_map(crate::kill::signal_name)
                .map(|n| format!("{n}\n"))
                .collect();
            fdio::write_all(1, names.as_bytes());
            return 0;
        }
        Ok(KillRequest::Translate(specs)) => {
            return match crate::kill::list(specs) {
                Ok(text) => {
                    fdio::write_all(1, text.as_bytes());
                    0
                }
                Err(e) => {
                    err(&format!("kill: {e}"));
                    1
                }
            };
        }
        Ok(KillRequest::Send(sig, targets)) => (sig, targets),
        Err(e) => {
            err(&format!("kill: {e}"));
            return 2;
        }
    };
    sh.reap_jobs();
    let mut st = 0;
    for target in targets {
        if target.starts_with('%') {
            match sh.jobs.lookup(target) {
                Ok(idx) => {
                    if signal_job(&mut sh.jobs.table[idx], sig).is_err() {
                        st = 1;
                    }
                }
                Err(e) => {
                    err(&format!("kill: {e}"));
                    st = 2;
                }
            }
            continue;
        }
        let Ok(pid) = target.parse::<i32>() else {
            err(&format!(
                "kill: {target}: arguments must be process or job IDs"
            ));
            st = 1;
            continue;
        };
        if let Err(e) = send(pid, sig) {
            err(&format!("kill: {pid}: {}", e.desc()));
            st = 1;
        }
    }
    st
}

fn send(pid: i32, sig: i32) -> Result<(), Errno> {
    // SAFETY: kill(2) with any pid and signal number has no memory-safety preconditions;
    // signal 0 (only check the pid) has no nix `Signal`.
    let r = unsafe { libc::kill(pid, sig) };
    if r < 0 {
        return Err(Errno::last());
    }
    Ok(())
}

/// Send `sig` to a job's group (or each process); a stopped job told to end is continued so
/// it can (bash does the same for SIGTERM and SIGHUP).
fn signal_job(job: &mut Job, sig: i32) -> Result<(), ()> {
    let r = if job.pgid > 0 {
        send(-job.pgid, sig)
    } else {
        let mut r = Ok(());
        for p in job.procs.iter().filter(|p| !p.status.done()) {
            r = r.and(send(p.pid, sig));
        }
        r
    };
    if let Err(e) = r {
        err(&format!("kill: %{}: {}", job.num, e.desc()));
        return Err(());
    }
    if matches!(job.state(), Status::Stopped(_)) && (sig == libc::SIGTERM || sig == libc::SIGHUP) {
        resume(job);
    }
    Ok(())
}

/// `wait [PID|JOB...]`: wait for the given background jobs, or all of them. Returns the last
/// one's status, 127 for one the shell doesn't know.
pub fn wait(sh: &mut Shell, args: &[String]) -> i32 {
    let args = skip_dashdash(args);
    sh.reap_jobs();
    if args.is_empty() {
        while let Some(idx) = sh
            .jobs
            .table
            .iter()
            .position(|j| !j.foreign && j.state() == Status::Running)
        {
            let mut job = sh.jobs.remove(idx);
            wait_blocking(&mut job);
            if !job.state().done() {
                sh.jobs.insert(job);
            }
        }
        // A script may still ask for a finished job's status (`wait; wait $pid`); an
        // interactive shell would otherwise report them as done.
        while let Some(idx) = sh
            .jobs
            .table
            .iter()
            .position(|j| j.state().done() && sh.interactive)
        {
            sh.jobs.remove(idx);
        }
        return 0;
    }
    let mut st = 127;
    for a in args {
        let found = if a.starts_with('%') {
            match sh.jobs.lookup(a) {
                Ok(i) => Some(i),
                Err(e) => {
                    err(&format!("wait: {e}"));
                    st = 2;
                    continue;
                }
            }
        } else {
            match a.parse::<i32>() {
                Ok(pid) => sh
                    .jobs
                    .table
                    .iter()
                    .position(|j| j.procs.iter().any(|p| p.pid == pid)),
                Err(_) => {
                    err(&format!("wait: {a}: not a pid or job"));
                    None
                }
            }
        };
        let Some(idx) = found else {
            st = 127;
            continue;
        };
        let mut job = sh.jobs.remove(idx);
        wait_blocking(&mut job);
        st = match job.state() {
            Status::Stopped(s) => {
                // Still the user's to continue: keep it.
                sh.jobs.insert(job);
                128 + s
            }
            _ => job.procs.last().map_or(0, |p| p.status.code()),
        };
    }
    st
}

/// Wait until each process of `job` ended or stopped.
fn wait_blocking(job: &mut Job) {
    let pids: Vec<i32> = job
        .procs
        .iter()
        .filter(|p| p.status == Status::Running)
        .map(|p| p.pid)
        .collect();
    for pid in pids {
        loop {
            match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WUNTRACED)) {
                Ok(ws) => {
                    if let Some((pid, st)) = Status::from_wait(ws) {
                        if st != Status::Running {
                            job.note(pid, st);
                            break;
                        }
                    }
                }
                Err(Errno::EINTR) => {}
                Err(_) => {
                    job.note(pid, Status::Exited(127));
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn kill_request_table() {
        type Case<'a> = (&'a [&'a str], Result<(i32, &'a [&'a str]), ()>);
        let cases: Vec<Case> = vec![
            (&["%1"], Ok((15, &["%1"]))),
            (&["-9", "123", "%2"], Ok((9, &["123", "%2"]))),
            (&["-KILL", "1"], Ok((9, &["1"]))),
            (&["-SIGHUP", "1"], Ok((1, &["1"]))),
            (&["-s", "INT", "%%"], Ok((2, &["%%"]))),
            (&["-n", "0", "7"], Ok((0, &["7"]))),
            (&["--", "-7"], Ok((15, &["-7"]))),
            (&["-TERM", "--", "-7"], Ok((15, &["-7"]))),
            (&[], Err(())),
            (&["-9"], Err(())),
            (&["-s"], Err(())),
            (&["-NOPE", "1"], Err(())),
        ];
        for (args, want) in cases {
            let args = strs(args);
            let got = match kill_request(&args) {
                Ok(KillRequest::Send(sig, t)) => Ok((sig, t.to_vec())),
                Ok(other) => panic!("{args:?}: {other:?}"),
                Err(_) => Err(()),
            };
            assert_eq!(got, want.map(|(s, t)| (s, strs(t))), "{args:?}");
        }
        assert_eq!(kill_request(&strs(&["-l"])), Ok(KillRequest::Names));
        let st = strs(&["-l", "143"]);
        assert_eq!(kill_request(&st), Ok(KillRequest::Translate(&st[1..])));
    }
}
