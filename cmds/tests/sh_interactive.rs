//! `sh` on a terminal as a person uses it: job control (Ctrl-Z, `jobs`, `bg`, `fg`, Ctrl-C,
//! `kill %1`, `wait %1`, reports before the prompt), tab completion, and history kept across a
//! restart. Each test drives a real shell on a pseudo-terminal.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Links, Pty};

fn prompt() -> &'static str {
    if nix::unistd::geteuid().is_root() {
        "# "
    } else {
        "$ "
    }
}

/// An interactive `sh` on a terminal in `links.work()`, with `home` as HOME and only the
/// applets on PATH (so completion sees a known set of names).
fn shell(links: &Links, home: &Path) -> Pty {
    let home_var = format!("HOME={}", home.display());
    let path_var = format!("PATH={}", links.bin().display());
    let sh = links.path("sh");
    let args = [
        "-u",
        "PS1",
        "-u",
        "PS2",
        "-u",
        "HISTFILE",
        "-u",
        "HISTSIZE",
        "-u",
        "ENV",
        home_var.as_str(),
        path_var.as_str(),
        sh.to_str().expect("utf-8 path"),
    ];
    let mut p = Pty::spawn("/usr/bin/env", &args, &links.work(), 24, 100);
    p.expect(prompt());
    p
}

/// Type a command line and wait for the prompt that follows it; returns what came between.
fn run(p: &mut Pty, line: &str) -> String {
    p.send(&format!("{line}\r"));
    // The line editor redraws the line as typed: skip past that echo first.
    p.expect(&format!("{line}\r\n"));
    p.expect(prompt())
}

/// The fields of /proc/PID/stat after the command name: state, ppid, pgrp, session, tty,
/// tpgid…
fn stat(pid: u32) -> Option<(String, Vec<i64>)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_string();
    let fields = text[close + 2..]
        .split(' ')
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    Some((comm, fields))
}

/// Wait until `n` children of the shell called `comm` run in the terminal's foreground
/// process group (so Ctrl-Z and Ctrl-C reach them, not the shell); returns the first pid.
fn wait_foreground(shell: u32, comm: &str, n: usize) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let kids = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .unwrap_or_default();
        let found: Vec<u32> = kids
            .split_whitespace()
            .filter_map(|k| k.parse::<u32>().ok())
            .filter(|kid| {
                // After the name: state ppid pgrp session tty_nr tpgid.
                stat(*kid).is_some_and(|(c, f)| c == comm && f.len() > 4 && f[1] == f[4])
            })
            .collect();
        if found.len() >= n {
            return found[0];
        }
        assert!(
            Instant::now() < deadline,
            "no {n} {comm} in the foreground under {shell}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn job_control() {
    let links = Links::new();
    let mut p = shell(&links, &links.work());
    let sh = p.child.id();

    // Ctrl-Z stops the foreground job; the shell reports it and takes the terminal back.
    p.send("sleep 30\r");
    let pid = wait_foreground(sh, "sleep", 1);
    p.send("\x1a");
    p.expect("[1]+  Stopped                    sleep 30");
    p.expect(prompt());
    let (_, f) = stat(pid).expect("sleep still there");
    assert_ne!(f[1], f[4], "the stopped job lost the terminal");
    let out = run(&mut p, "jobs");
    assert!(
        out.contains("[1]+  Stopped                    sleep 30"),
        "{out:?}"
    );
    let out = run(&mut p, "jobs -p");
    assert!(out.contains(&format!("{pid}\r\n")), "{out:?}");

    // bg continues it in the background.
    let out = run(&mut p, "bg");
    assert!(out.contains("[1] sleep 30"), "{out:?}");
    let out = run(&mut p, "jobs -l");
    assert!(
        out.contains(&format!("[1]+  {pid} Running")) && out.contains("sleep 30"),
        "{out:?}"
    );

    // fg brings it back; Ctrl-C ends it and the prompt comes back with status 130.
    p.send("fg %1\r");
    p.expect("sleep 30\r\n");
    wait_foreground(sh, "sleep", 1);
    p.send("\x03");
    p.expect(prompt());
    let out = run(&mut p, "echo st=$?");
    assert!(out.contains("st=130"), "{out:?}");
    let out = run(&mut p, "jobs");
    assert!(!out.contains("sleep"), "{out:?}");

    // A pipeline is one job: both processes stop and continue together.
    p.send("sleep 31 | sleep 32\r");
    wait_foreground(sh, "sleep", 2);
    p.send("\x1a");
    p.expect("Stopped                    sleep 31 | sleep 32");
    p.expect(prompt());
    // In one line: at the next prompt the shell would report the job and forget it.
    let out = run(&mut p, "kill %1; wait %1; echo st=$?");
    assert!(out.contains("st=143"), "{out:?}");

    // A background job prints "[N] PID"; its end is reported before a later prompt.
    let out = run(&mut p, "sleep 0.3 &");
    assert!(out.contains("[1] "), "{out:?}");
    let out = run(&mut p, "sleep 1");
    assert!(
        out.contains("[1]+  Done                       sleep 0.3"),
        "{out:?}"
    );

    // kill %N and wait %N; $! is the job's pid.
    let out = run(&mut p, "sleep 30 & echo bg=$!");
    let bg: u32 = out
        .split("bg=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no $! in {out:?}"));
    assert!(out.contains(&format!("[1] {bg}")), "{out:?}");
    let out = run(&mut p, "kill %1; wait %1; echo st=$?");
    assert!(out.contains("st=143"), "{out:?}");
    let out = run(&mut p, "sleep 30 &");
    assert!(out.contains("[1] "), "{out:?}");
    run(&mut p, "kill -s KILL %%");
    let out = run(&mut p, "sleep 0.5");
    assert!(
        out.contains("[1]+  Killed                     sleep 30"),
        "{out:?}"
    );
    let out = run(&mut p, "fg %1; echo st=$?");
    assert!(
        out.contains("%1: no such job") && out.contains("st=2"),
        "{out:?}"
    );

    // Ctrl-D with a stopped job warns once; the second one leaves (status of the last job).
    p.send("sleep 33\r");
    wait_foreground(sh, "sleep", 1);
    p.send("\x1a");
    p.expect("Stopped                    sleep 33");
    p.expect(prompt());
    p.send("\x04");
    p.expect("You have stopped jobs.");
    p.expect(prompt());
    p.send("\x04");
    assert_eq!(p.wait(), 148);
}

#[test]
fn tab_completion() {
    let links = Links::new();
    std::fs::write(links.work().join("uniquefile.txt"), "contents-42\n").unwrap();
    std::fs::create_dir(links.work().join("my dir")).unwrap();
    std::fs::write(links.work().join("my dir/inner"), "inner-7\n").unwrap();
    let mut p = shell(&links, &links.work());

    // A file name: the word is completed, with a space after it; Enter runs the line.
    p.send("cat uniq\t");
    p.expect("cat uniquefile.txt ");
    p.send("\r");
    p.expect("contents-42");
    p.expect(prompt());

    // A directory with a space: escaped, `/` after it; then the file inside, through `~`.
    p.send("cat ~/my\t");
    p.expect("cat ~/my\\ dir/");
    p.send("in\t");
    p.expect("cat ~/my\\ dir/inner ");
    p.send("\r");
    p.expect("inner-7");
    p.expect(prompt());

    // An applet name in command position.
    let applets = common::applets();
    assert!(
        applets.iter().filter(|a| a.starts_with("unam")).count() == 1,
        "unam is not a unique applet prefix: {applets:?}"
    );
    p.send("unam\t");
    p.expect("uname ");
    p.send("\r");
    p.expect("Linux");
    p.expect(prompt());

    p.send("exit 0\r");
    assert_eq!(p.wait(), 0);
}

#[test]
fn history_across_restart() {
    let links = Links::new();
    let home = links.work();
    let mut p = shell(&links, &home);
    run(&mut p, "echo hist-marker-$((40+2))");
    run(&mut p, "true second");
    p.send("exit\r");
    assert_eq!(p.wait(), 0);
    let file = std::fs::read_to_string(home.join(".sh_history")).expect(".sh_history");
    assert_eq!(file, "echo hist-marker-$((40+2))\ntrue second\nexit\n");

    // A new shell with the same HOME: Up recalls the old lines, `history` lists them.
    let mut p = shell(&links, &home);
    p.send("\x1b[A\x1b[A\x1b[A");
    p.expect("echo hist-marker-$((40+2))");
    p.send("\r");
    p.expect("hist-marker-42");
    p.expect(prompt());
    let out = run(&mut p, "history");
    for want in [
        "   1 echo hist-marker-$((40+2))",
        "   2 true second",
        "   3 exit",
        "   4 echo hist-marker-$((40+2))",
        "   5 history",
    ] {
        assert!(out.contains(want), "{want:?} in {out:?}");
    }
    let out = run(&mut p, "fc -l -2");
    assert!(out.contains("    5 history\r\n    6 fc -l -2"), "{out:?}");

    // Ctrl-C abandons the line being typed; Ctrl-D leaves (ignoreeof refuses it).
    p.send("echo never-run\x03");
    p.expect(prompt());
    run(&mut p, "set -o ignoreeof");
    p.send("\x04");
    p.expect("Use \"exit\" to leave shell.");
    run(&mut p, "set +o ignoreeof");
    p.send("\x04");
    assert_eq!(p.wait(), 0);
    let file = std::fs::read_to_string(home.join(".sh_history")).unwrap();
    assert!(!file.contains("never-run"), "{file:?}");
}
