//! `vi` on a pseudo-terminal: keystrokes in, files on disk and exit status checked.
//! No reference comparison: busybox vi's screen output differs byte for byte by design (it
//! uses other escape sequences); what a user relies on is the file written and the messages.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::{Links, Pty};

fn vi(links: &Links, args: &[&str]) -> Pty {
    Pty::spawn(links.path("vi"), args, &links.work(), 24, 80)
}

#[test]
fn edits_a_config_file_and_writes_it() {
    let links = Links::new();
    let path = links.file("app.conf", "name demo\nlisten 80\nuser www\n");
    let mut t = vi(&links, &["app.conf"]);
    t.expect("\"app.conf\" 3L, 29B");
    t.send("/listen\r");
    t.send("wcw8080\x1b");
    t.expect("listen 8080");
    t.send(":wq\r");
    assert_eq!(t.wait(), 0);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "name demo\nlisten 8080\nuser www\n"
    );
    assert!(
        t.log.contains("\x1b[?1049l"),
        "terminal restored: {:?}",
        t.log
    );
}

#[test]
fn quit_refuses_a_modified_buffer() {
    let links = Links::new();
    let path = links.file("f", "abc\n");
    let mut t = vi(&links, &["f"]);
    t.expect("\"f\"");
    t.send("x:q\r");
    t.expect("No write since last change");
    t.send(":q!\r");
    assert_eq!(t.wait(), 0);
    assert_eq!(fs::read_to_string(&path).unwrap(), "abc\n");
}

#[test]
fn failed_write_keeps_the_buffer_and_names_the_file() {
    let links = Links::new();
    let root = nix::unistd::geteuid().is_root();
    // Root writes anywhere a mode bit forbids; /proc refuses new files even to root.
    let (arg, shown) = if root {
        (
            "/proc/rbox-vi-test".to_string(),
            "/proc/rbox-vi-test: ".to_string(),
        )
    } else {
        links.file("ro/f", "abc\n");
        fs::set_permissions(links.work().join("ro"), fs::Permissions::from_mode(0o555)).unwrap();
        ("ro/f".to_string(), "ro/f: Permission denied".to_string())
    };
    let mut t = vi(&links, &[&arg]);
    t.expect("~");
    t.send("ixyz\x1b:w\r");
    t.expect(&shown);
    t.send(":q\r");
    t.expect("No write since last change");
    t.send(":q!\r");
    assert_eq!(t.wait(), 0);
    if !root {
        assert_eq!(
            fs::read_to_string(links.work().join("ro/f")).unwrap(),
            "abc\n"
        );
        let left: Vec<_> = fs::read_dir(links.work().join("ro")).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file left behind");
        fs::set_permissions(links.work().join("ro"), fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn no_trailing_newline_stays_so() {
    let links = Links::new();
    let path = links.file("f", "a\nb");
    let mut t = vi(&links, &["f"]);
    t.expect("[noeol]");
    t.send("GAx\x1b:wq\r");
    assert_eq!(t.wait(), 0);
    assert_eq!(fs::read(&path).unwrap(), b"a\nbx");
}

#[test]
fn mode_is_kept_on_write() {
    let links = Links::new();
    let path = links.file("secret", "k=v\n");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let mut t = vi(&links, &["secret"]);
    t.expect("\"secret\"");
    t.send(":s/v/w/\r:x\r");
    assert_eq!(t.wait(), 0);
    assert_eq!(fs::read_to_string(&path).unwrap(), "k=w\n");
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
        0o600
    );
}

#[test]
fn new_file_is_created_on_write() {
    let links = Links::new();
    let mut t = vi(&links, &["newname"]);
    t.expect("[New File]");
    t.send("ihello\rworld\x1b");
    t.send("ZZ");
    assert_eq!(t.wait(), 0);
    assert_eq!(
        fs::read_to_string(links.work().join("newname")).unwrap(),
        "hello\nworld\n"
    );
}

#[test]
fn binary_bytes_survive_an_edit() {
    let links = Links::new();
    let path = links.file("bin", b"\xff\x00\x01abc\n\xc3\xa9t\xe9\n");
    let mut t = vi(&links, &["bin"]);
    t.expect("\\xff^@^Aabc");
    t.send("jA!\x1b:wq\r");
    assert_eq!(t.wait(), 0);
    assert_eq!(
        fs::read(&path).unwrap(),
        b"\xff\x00\x01abc\n\xc3\xa9t\xe9!\n"
    );
}

#[test]
fn arrow_keys_and_ctrl_g() {
    let links = Links::new();
    let path = links.file("f", "one\ntwo\nthree\n");
    let mut t = vi(&links, &["f"]);
    t.expect("\"f\"");
    t.send("\x1b[B\x1b[B");
    t.settle(Duration::from_millis(100));
    t.send("\x1b[Cx\x07");
    t.expect("\"f\" [Modified] line 3 of 3");
    t.send(":wq\r");
    assert_eq!(t.wait(), 0);
    assert_eq!(fs::read_to_string(&path).unwrap(), "one\ntwo\ntree\n");
}

#[test]
fn sigterm_restores_the_terminal_and_saves_nothing() {
    let links = Links::new();
    let path = links.file("f", "abc\n");
    let mut t = vi(&links, &["f"]);
    t.expect("\"f\"");
    t.send("xx");
    t.settle(Duration::from_millis(100));
    let pid = nix::unistd::Pid::from_raw(t.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    assert_eq!(t.wait(), 128 + 15);
    assert!(
        t.log.contains("\x1b[?1049l"),
        "terminal restored: {:?}",
        t.log
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "abc\n");
}

#[test]
fn not_a_terminal_is_an_error() {
    let links = Links::new();
    let r = links.run("vi", &["f"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.err, "vi: standard input is not a terminal\n");
}

#[test]
fn redraws_for_the_new_size_on_sigwinch() {
    use std::os::fd::AsRawFd;
    let links = Links::new();
    links.file("f", "one\ntwo\n");
    let mut t = vi(&links, &["f"]);
    t.expect("\"f\"");
    // The child's stdin is the terminal's slave side: setting its size signals the editor.
    let slave = fs::File::open(format!("/proc/{}/fd/0", t.child.id())).unwrap();
    let ws = libc::winsize {
        ws_row: 10,
        ws_col: 40,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from the struct we pass.
    let rc = unsafe { libc::ioctl(slave.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
    assert_eq!(rc, 0);
    t.expect("\x1b[2J");
    t.send("\x07");
    t.expect("\x1b[10;1H\"f\" line 1 of 2");
    t.send(":q\r");
    assert_eq!(t.wait(), 0);
}

#[test]
fn shell_command_runs_on_the_terminal_and_comes_back() {
    let links = Links::new();
    let path = links.file("f", "a\n");
    let mut t = vi(&links, &["f"]);
    t.expect("\"f\"");
    t.send(":!echo hi-there\r");
    t.expect("hi-there");
    t.expect("[Hit Enter to continue]");
    t.send("\r");
    t.expect("\x1b[?1049h");
    t.send(":r !echo from-sh\r:wq\r");
    assert_eq!(t.wait(), 0);
    assert_eq!(fs::read_to_string(&path).unwrap(), "a\nfrom-sh\n");
}
