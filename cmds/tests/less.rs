//! less and more: on a pseudo-terminal (keys in, screen out, exit status, terminal put
//! back), and with stdout not a terminal (the input is copied unchanged, like GNU less).

mod common;

use common::{Links, Pty};

fn hundred_lines(links: &Links) -> String {
    let text: String = (1..=100).map(|i| format!("line {i}\n")).collect();
    links.file("f.txt", &text);
    text
}

#[test]
fn not_a_terminal_copies_input() {
    let links = Links::new();
    let text = hundred_lines(&links);
    let binary: Vec<u8> = (0..=255u8).collect();
    links.file("bin", &binary);
    for applet in ["less", "more"] {
        let r = links.run(applet, &["f.txt"]);
        assert_eq!((r.code, r.out.as_str()), (0, text.as_str()), "{applet}");
        let r = links.run_in(applet, &[], b"from a pipe\n\x01\x1b[1m");
        assert_eq!(r.out, "from a pipe\n\x01\x1b[1m", "{applet}");
        let r = links.run(applet, &["f.txt", "f.txt"]);
        assert_eq!(r.out, format!("{text}{text}"));
    }
    let r = links.script("less bin | cmp - bin && echo same");
    assert_eq!(r.out, "same\n");
    let r = links.run("less", &["nope"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.err, "less: nope: No such file or directory\n");
    assert_eq!(links.run("less", &["-Z", "f.txt"]).code, 2);
}

/// The settings `stty -a` shows once less has quit: raw mode must be gone.
fn assert_cooked(log: &str) {
    let words: Vec<&str> = log.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig"] {
        assert!(words.contains(&flag), "{flag} not restored: {log:?}");
    }
}

#[test]
fn pages_searches_and_quits() {
    let links = Links::new();
    hundred_lines(&links);
    let less = links.path("less");
    let script = format!("{} f.txt; echo status=$?; /bin/stty -a", less.display());
    let mut pty = Pty::spawn("/bin/sh", &["-c", &script], &links.work(), 10, 40);
    // First screen: nine lines and the file name as the prompt, on the alternate screen.
    let first = pty.expect("f.txt");
    assert!(first.contains("\x1b[?1049h"), "alternate screen: {first:?}");
    assert!(first.contains("line 9") && !first.contains("line 10"));
    pty.send(" ");
    pty.expect("line 18");
    // The typed pattern shows on the status line; the match goes to the top, reversed.
    pty.send("/line 42\r");
    pty.expect("/line 42");
    pty.expect("\x1b[1;1H\x1b[2K\x1b[7mline 42\x1b[m");
    pty.send("/7\r");
    pty.expect("\x1b[1;1H\x1b[2Kline 4\x1b[7m7\x1b[m");
    pty.send("n");
    pty.expect("\x1b[1;1H\x1b[2Kline 5\x1b[7m7\x1b[m");
    pty.send("G");
    pty.expect("line 100");
    pty.expect("(END)");
    pty.send("g");
    pty.expect("line 1\x1b");
    pty.send("50g");
    pty.expect("line 50");
    pty.send("q");
    let rest = pty.expect("status=0");
    assert!(
        rest.contains("\x1b[?1049l"),
        "left the alternate screen: {rest:?}"
    );
    assert_eq!(pty.wait(), 0);
    assert_cooked(&pty.settle(std::time::Duration::from_millis(100)));
}

#[test]
fn reads_keys_from_the_tty_when_input_is_a_pipe() {
    let links = Links::new();
    let less = links.path("less");
    // An endless pipe: the first page shows at once, q ends it.
    let script = format!("yes endless | {} -N; echo status=$?", less.display());
    let mut pty = Pty::spawn("/bin/sh", &["-c", &script], &links.work(), 8, 40);
    pty.expect("      7 endless");
    pty.send("j");
    pty.expect("      8 endless");
    pty.send("q");
    pty.expect("status=0");
}

#[test]
fn slow_pipe_shows_what_has_come() {
    let links = Links::new();
    let less = links.path("less");
    let script = format!(
        "(echo first; sleep 2; echo second) | {}; echo status=$?",
        less.display()
    );
    let started = std::time::Instant::now();
    let mut pty = Pty::spawn("/bin/sh", &["-c", &script], &links.work(), 8, 40);
    pty.expect("first");
    assert!(started.elapsed() < std::time::Duration::from_millis(1500));
    // Later lines appear while less waits for keys.
    pty.expect("second");
    pty.send("q");
    pty.expect("status=0");
}

#[test]
fn sigterm_restores_the_terminal() {
    let links = Links::new();
    hundred_lines(&links);
    let mut pty = Pty::spawn(links.path("less"), &["f.txt"], &links.work(), 10, 40);
    pty.expect("line 9");
    let pid = nix::unistd::Pid::from_raw(pty.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    assert_eq!(pty.wait(), 128 + 15);
    assert!(pty.log.ends_with("\x1b[?1049l"), "{:?}", pty.log);
}

#[test]
fn long_lines_wrap_or_chop() {
    let links = Links::new();
    let long = format!("{}END\nnext\n", "abcdefghij".repeat(5));
    links.file("long", &long);
    let mut pty = Pty::spawn(links.path("less"), &["long"], &links.work(), 6, 20);
    pty.expect("ghijEND");
    pty.send("q");
    assert_eq!(pty.wait(), 0);
    let mut pty = Pty::spawn(links.path("less"), &["-S", "long"], &links.work(), 6, 20);
    let screen = pty.expect("next");
    assert!(!screen.contains("END"), "{screen:?}");
    pty.send("q");
    assert_eq!(pty.wait(), 0);
}

#[test]
fn next_file_and_control_characters() {
    let links = Links::new();
    links.file("a", "first file\n");
    links.file("b", "second\x01file\n");
    let mut pty = Pty::spawn(links.path("less"), &["a", "b"], &links.work(), 6, 40);
    pty.expect("first file");
    pty.expect("(END) - Next: b");
    pty.send(":n");
    pty.expect("second^Afile");
    pty.send(":p");
    pty.expect("first file");
    pty.send("ZZ");
    assert_eq!(pty.wait(), 0);
}

#[test]
fn more_pages_and_quits_at_the_end() {
    let links = Links::new();
    hundred_lines(&links);
    links.file("short", "only line\n");
    let mut pty = Pty::spawn(links.path("more"), &["f.txt"], &links.work(), 10, 40);
    pty.expect("--More--");
    pty.send(" ");
    pty.expect("line 18");
    // Paging past the end ends more.
    pty.send("100j");
    assert_eq!(pty.wait(), 0);
    // The last page stays on the screen.
    assert!(pty.log.contains("line 100"), "{:?}", pty.log);
    // A text that fits on the screen is just printed.
    let mut pty = Pty::spawn(links.path("more"), &["short"], &links.work(), 10, 40);
    pty.expect("only line");
    assert_eq!(pty.wait(), 0);
    assert!(!pty.log.contains("--More--"));
}
