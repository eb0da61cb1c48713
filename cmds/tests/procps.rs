//! The process applets (ps -o, pgrep/pkill, pidof, killall, top, free, uptime, watch) against
//! procps-ng 4.0.2, psmisc and sysvinit's pidof on the same machine and the same processes.
//!
//! Differences on purpose (not compared):
//! - `free`, `top`, `uptime`: figures drift between two runs, so layout and labels are compared,
//!   numbers only where they are stable (totals) or within a tolerance.
//! - `pkill --signal BOGUS`: procps 4.0.2 sends signal -1 (EINVAL for every match); we refuse
//!   with exit 2. Errors with exit 2 are followed by our usage text, not procps's.
//! - `ps -o bogus`: procps exits 1, we exit 2 (a usage error).
//! - `killall` error lines carry the `killall:` prefix of the dispatcher.

mod common;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{host_tool, run_host, Links, Pty};

/// A sleeping child that is killed when the test ends, however it ends.
struct Sleeper(Child);

impl Sleeper {
    fn spawn(program: &Path, args: &[&str]) -> Sleeper {
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn sleeper");
        // Wait until it has exec'd (its comm is no longer ours).
        let comm = PathBuf::from(format!("/proc/{}/comm", child.id()));
        let want = program
            .file_name()
            .map(|n| n.to_string_lossy().chars().take(15).collect::<String>())
            .unwrap_or_default();
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::fs::read_to_string(&comm)
            .ok()
            .map(|c| c.trim().to_string())
            != Some(want.clone())
        {
            assert!(Instant::now() < deadline, "sleeper never exec'd");
            std::thread::sleep(Duration::from_millis(10));
        }
        Sleeper(child)
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }

    /// Wait (5 s at most) for it to die; the signal that killed it.
    fn died_of(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(status) = self.0.try_wait().expect("try_wait") {
                return status.signal();
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A copy of /bin/sleep under a name no other process has.
fn unique_sleep(links: &Links, tag: &str) -> PathBuf {
    let name = format!("zz{tag}{}", std::process::id() % 100000);
    let path = links.work().join(&name[..name.len().min(15)]);
    std::fs::copy("/bin/sleep", &path).expect("copy sleep");
    path
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

#[test]
fn ps_o_columns_match_procps() {
    let links = Links::new();
    let ps = host_tool("/usr/bin/ps", "procps");
    let child = Sleeper::spawn(Path::new("/bin/sleep"), &["1000"]);
    let pid = child.pid();
    let work = links.work();
    let lists = [
        "pid,ppid,comm",
        "pid,ppid,pgid,sid,uid,user,gid,group,ni,pri,s,stat,nlwp,tty,comm,args",
        "pid=MYPID,comm=NAME,args",
        // RSS is left out: the kernel's per-CPU counters make it drift between two reads.
        "vsz,pid,cmd",
        "pid=",
    ];
    for list in lists {
        let args = ["-o", list, "-p", pid.as_str()];
        let want = run_host(&ps, &args, &work, b"");
        let got = links.run("ps", &args);
        assert_eq!((got.code, &got.out), (want.code, &want.out), "ps {args:?}");
    }
    for args in [
        vec!["--no-headers", "-o", "pid,comm", "-p", pid.as_str()],
        vec!["-o", "pid,comm", "-C", "sleep", "-p", pid.as_str()],
    ] {
        let want = run_host(&ps, &args, &work, b"");
        let got = links.run("ps", &args);
        assert!(got.out.contains(&pid), "{got:?}");
        assert_eq!(first_line(&got.out), first_line(&want.out), "ps {args:?}");
    }
    // No such process: the header alone, exit 1, as procps.
    let want = run_host(&ps, &["-p", "2147483632"], &work, b"");
    let got = links.run("ps", &["-p", "2147483632"]);
    assert_eq!((got.code, &got.out), (want.code, &want.out));
    let bad = links.run("ps", &["-o", "bogus"]);
    assert_eq!(bad.code, 2);
    assert_eq!(
        first_line(&bad.err),
        "ps: unknown user-defined format specifier \"bogus\""
    );
}

#[test]
fn pgrep_and_pkill_find_and_kill_a_child() {
    let links = Links::new();
    let pgrep = host_tool("/usr/bin/pgrep", "procps");
    let marker = format!("0.00{}", std::process::id());
    let mut child = Sleeper::spawn(Path::new("/bin/sleep"), &["1000", &marker]);
    let pid = child.pid();
    let pattern = format!("sleep 1000 {}$", marker.replace('.', "\\."));
    let got = links.run("pgrep", &["-f", &pattern]);
    assert_eq!((got.code, got.out.trim()), (0, pid.as_str()), "{got:?}");
    let want = run_host(&pgrep, &["-f", &pattern], &links.work(), b"");
    assert_eq!(got.out, want.out);
    for args in [vec!["-a", "-f"], vec!["-l", "-f"], vec!["-c", "-f"]] {
        let mut args = args.clone();
        args.push(&pattern);
        let want = run_host(&pgrep, &args, &links.work(), b"");
        assert_eq!(links.run("pgrep", &args), want, "pgrep {args:?}");
    }
    // Its own command line holds the pattern too, but pgrep never matches itself.
    let unique = format!("nobody-runs-this-{}", std::process::id());
    let got = links.run("pgrep", &["-f", &unique]);
    assert_eq!((got.code, got.out.as_str()), (1, ""));
    let got = links.run("pkill", &["-e", "-f", &pattern]);
    assert_eq!(got.code, 0, "{got:?}");
    assert_eq!(got.out, format!("sleep killed (pid {pid})\n"));
    assert_eq!(child.died_of(), Some(libc::SIGTERM));
    assert_eq!(links.run("pkill", &["-f", &pattern]).code, 1);

    let mut child = Sleeper::spawn(Path::new("/bin/sleep"), &["1000", &marker]);
    assert_eq!(links.run("pkill", &["-KILL", "-f", &pattern]).code, 0);
    assert_eq!(child.died_of(), Some(libc::SIGKILL));
}

#[test]
fn pidof_and_killall_on_a_uniquely_named_child() {
    let links = Links::new();
    let pidof = host_tool("/usr/bin/pidof", "sysvinit-utils");
    let killall = host_tool("/usr/bin/killall", "psmisc");
    let prog = unique_sleep(&links, "pk");
    let name = prog
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut child = Sleeper::spawn(&prog, &["1000"]);
    let pid = child.pid();
    let got = links.run("pidof", &[&name]);
    assert_eq!(got, run_host(&pidof, &[&name], &links.work(), b""));
    assert_eq!((got.code, got.out.trim()), (0, pid.as_str()));
    let path = prog.to_string_lossy().into_owned();
    assert_eq!(links.run("pidof", &[&path]).out.trim(), pid);
    let got = links.run("pidof", &["-o", &pid, &name]);
    assert_eq!((got.code, got.out.as_str()), (1, ""));

    let got = links.run("killall", &["-v", &name]);
    assert_eq!(got.code, 0, "{got:?}");
    assert_eq!(got.err, format!("Killed {name}({pid}) with signal 15\n"));
    assert_eq!(child.died_of(), Some(libc::SIGTERM));
    let got = links.run("killall", &[&name]);
    let want = run_host(&killall, &[&name], &links.work(), b"");
    assert_eq!((got.code, want.code), (1, 1));
    assert_eq!(got.err, format!("{name}: no process found\n"));
    assert_eq!(got.err, want.err);
    assert_eq!(links.run("killall", &["-q", &name]).err, "");
    assert_eq!(links.run("pidof", &[&name]).code, 1);

    // -w waits until it is gone; -s picks the signal.
    let mut child = Sleeper::spawn(&prog, &["1000"]);
    let got = links.run("killall", &["-w", "-s", "KILL", &name]);
    assert_eq!(got.code, 0, "{got:?}");
    assert_eq!(child.died_of(), Some(libc::SIGKILL));
    let got = links.run("killall", &["-BOGUS", &name]);
    assert_eq!(got.code, 1);
    assert_eq!(
        got.err,
        "killall: BOGUS: unknown signal; killall -l lists signals.\n"
    );
    let got = links.run("killall", &["-l"]);
    assert_eq!(got, run_host(&killall, &["-l"], &links.work(), b""));
}

#[test]
fn top_batch_frame() {
    let links = Links::new();
    let top = host_tool("/usr/bin/top", "procps");
    let got = links.run("top", &["-b", "-n", "1"]);
    assert_eq!(got.code, 0, "{got:?}");
    let lines: Vec<&str> = got.out.lines().collect();
    let want = run_host(&top, &["-b", "-n", "1"], &links.work(), b"");
    let want: Vec<&str> = want.out.lines().collect();
    let labels = |l: &str| -> String {
        l.chars()
            .filter(|c| c.is_alphabetic() || *c == '%' || *c == ':')
            .collect()
    };
    for i in 0..5 {
        // "up 1 day, 2:03" and "up 34 min" differ in words: the first line from "user" on.
        let from_user = |l: &str| l[l.find("user").unwrap_or(0)..].to_string();
        let (g, w) = match i {
            0 => (from_user(lines[i]), from_user(want[i])),
            _ => (lines[i].to_string(), want[i].to_string()),
        };
        assert_eq!(labels(&g), labels(&w), "line {i}: {g:?} vs {w:?}");
    }
    assert!(lines[0].starts_with("top - "), "{}", lines[0]);
    assert_eq!(lines[5], "");
    assert_eq!(lines[6], want[6]);
    // Every process is listed in batch mode, and the numbers line up under the header.
    let me = std::process::id().to_string();
    assert!(
        lines[7..]
            .iter()
            .any(|l| l.split_whitespace().next() == Some(me.as_str())),
        "{}",
        got.out
    );
    assert!(lines[7..].iter().all(|l| l.len() <= 80), "{}", got.out);
    let got = links.run("top", &["-b", "-n", "2", "-d", "0.2", "-p", &me]);
    assert_eq!(got.code, 0);
    assert_eq!(got.out.matches("top - ").count(), 2);
    assert_eq!(
        got.out.lines().filter(|l| l.contains(" procps-")).count(),
        2
    );
    let bad = links.run("top", &["-o", "BOGUS"]);
    assert_eq!(bad.code, 2);
    assert_eq!(first_line(&bad.err), "top: unrecognized field name 'BOGUS'");
}

#[test]
fn top_interactive_keys_and_restores_terminal() {
    let links = Links::new();
    let mut pty = Pty::spawn(links.path("top"), &["-d", "0.5"], &links.work(), 24, 80);
    pty.expect("PID USER");
    pty.send("M");
    pty.expect("top - ");
    pty.send("Nq");
    assert_eq!(pty.wait(), 0);
    // Back from the alternate screen with the cursor shown.
    assert!(pty.log.contains("\x1b[?25h\x1b[?1049l"), "{:?}", pty.log);
}

#[test]
fn free_layout_matches_procps() {
    let links = Links::new();
    let free = host_tool("/usr/bin/free", "procps");
    let shape = |s: &str| -> Vec<Vec<String>> {
        s.lines()
            .map(|l| {
                l.split_whitespace()
                    .filter(|w| !w.starts_with(|c: char| c.is_ascii_digit()))
                    .map(str::to_string)
                    .collect()
            })
            .collect()
    };
    for args in [
        vec![],
        vec!["-m"],
        vec!["-b"],
        vec!["-g"],
        vec!["-h"],
        vec!["-w", "-t"],
        vec!["--si", "-h"],
    ] {
        let got = links.run("free", &args);
        let want = run_host(&free, &args, &links.work(), b"");
        assert_eq!(got.code, 0, "{got:?}");
        assert_eq!(shape(&got.out), shape(&want.out), "free {args:?}");
        assert_eq!(first_line(&got.out), first_line(&want.out), "free {args:?}");
        // Same total, and the columns end where procps's end.
        let total = |s: &str| {
            s.lines()
                .nth(1)
                .map(|l| l.split_whitespace().nth(1).map(str::to_string))
        };
        assert_eq!(total(&got.out), total(&want.out), "free {args:?}");
        let ends = |s: &str| -> Vec<usize> { s.lines().map(str::len).collect() };
        if !args.contains(&"-h") {
            assert_eq!(ends(&got.out), ends(&want.out), "free {args:?}");
        }
    }
    let got = links.run("free", &["-c", "2", "-s", "0.1"]);
    assert_eq!(got.out.matches("Mem:").count(), 2);
    assert!(got.out.ends_with("\n\n"));
    let got = links.run("free", &["-s", "0"]);
    assert_eq!(got.code, 1);
    assert_eq!(
        got.err,
        "free: seconds argument `0' is not positive number\n"
    );
}

#[test]
fn uptime_format() {
    let links = Links::new();
    let uptime = host_tool("/usr/bin/uptime", "procps");
    let got = links.run("uptime", &[]);
    assert_eq!(got.code, 0);
    let re = regex::Regex::new(
        r"^ \d\d:\d\d:\d\d up (\d+ days?, )?(\d+ min|[ \d]\d:\d\d),  0 user,  load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d\n$",
    )
    .expect("regex");
    assert!(re.is_match(&got.out), "{:?}", got.out);
    let want = run_host(&uptime, &[], &links.work(), b"");
    let tail = |s: &str| s[s.find(" up ").unwrap_or(0)..s.find("load").unwrap_or(0)].to_string();
    assert_eq!(tail(&got.out), tail(&want.out));
    for flag in ["-p", "-s"] {
        let got = links.run("uptime", &[flag]);
        let want = run_host(&uptime, &[flag], &links.work(), b"");
        assert_eq!(got.out.len(), want.out.len(), "{flag}: {got:?} {want:?}");
        if flag == "-p" {
            assert_eq!(got.out, want.out);
        }
    }
}

#[test]
fn watch_repeats_a_command() {
    let links = Links::new();
    let run_for = |args: &[&str], ms: u64| -> String {
        let mut child = links
            .cmd("watch")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("watch");
        let mut stdout = child.stdout.take().expect("stdout");
        std::thread::sleep(Duration::from_millis(ms));
        // SIGINT, as Ctrl-C: watch ends cleanly.
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), Some(0), "{status:?}");
        let mut out = String::new();
        stdout.read_to_string(&mut out).expect("read");
        out
    };
    let out = run_for(&["-n", "0.1", "-t", "echo", "hi"], 1000);
    assert!(out.matches("hi\n").count() >= 3, "{out:?}");
    assert_eq!(out.replace("hi\n", ""), "", "{out:?}");
    let out = run_for(&["-n", "0.2", "echo", "hi;", "echo", "err", ">&2"], 500);
    assert!(
        out.starts_with("Every 0.2s: echo hi; echo err >&2 "),
        "{out:?}"
    );
    assert!(out.contains("\n\nhi\nerr\n"), "{out:?}");
    let got = links.run("watch", &["-g", "-n", "0.1", "date +%N"]);
    assert_eq!(got.code, 0);
    let got = links.run("watch", &["-e", "-n", "0.1", "-t", "exit 3"]);
    assert_eq!(got.code, 8);
    let got = links.run("watch", &["-n", "x", "true"]);
    assert_eq!(got.code, 2);
    assert_eq!(first_line(&got.err), "watch: failed to parse argument: 'x'");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let links = Links::new();
    let cases: [(&str, &[&str], &str); 5] = [
        (
            "pkill",
            &["--signal", "BOGUS", "x"],
            "pkill: unknown signal: BOGUS",
        ),
        ("pgrep", &["("], "pgrep: regex error: "),
        ("pgrep", &[], "pgrep: no matching criteria specified"),
        (
            "pgrep",
            &["-u", "nosuchuser", "x"],
            "pgrep: invalid user name: nosuchuser",
        ),
        ("pidof", &[], "pidof: missing program name"),
    ];
    for (applet, args, want) in cases {
        let got = links.run(applet, args);
        assert_eq!(got.code, 2, "{applet} {args:?}: {got:?}");
        assert!(
            first_line(&got.err).starts_with(want),
            "{applet} {args:?}: {got:?}"
        );
    }
    let pgrep = host_tool("/usr/bin/pgrep", "procps");
    for args in [&["("][..], &[][..], &["a", "b"][..]] {
        let want = run_host(&pgrep, args, &links.work(), b"");
        assert_eq!(links.run("pgrep", args).code, want.code, "pgrep {args:?}");
    }
}

#[test]
fn watch_on_a_terminal_clears_and_restores_on_ctrl_c() {
    let links = Links::new();
    let mut pty = Pty::spawn(
        links.path("watch"),
        &["-n", "0.2", "echo", "tick"],
        &links.work(),
        24,
        80,
    );
    pty.expect("\x1b[?1049h");
    pty.expect("\x1b[H\x1b[2JEvery 0.2s: echo tick");
    pty.expect("tick\r\n");
    // Ctrl-C through the terminal's line discipline: SIGINT to the foreground group.
    pty.send("\x03");
    assert_eq!(pty.wait(), 0);
    assert!(pty.log.ends_with("\x1b[?25h\x1b[?1049l"), "{:?}", pty.log);
}
