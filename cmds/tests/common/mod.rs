//! What the integration tests share: the built `rbox` behind applet-named links in a tempdir,
//! host reference tools (GNU, busybox) that `tests/setup.sh` installs, and a pseudo-terminal
//! for the interactive applets (keystrokes in, screen out).
//!
//! Each test file uses part of it (`mod common;`), so unused items are not warnings.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::symlink;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const RBOX: &str = env!("CARGO_BIN_EXE_rbox");

/// What a finished command left: exit code (128+signal when killed), stdout, stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub code: i32,
    pub out: String,
    pub err: String,
}

/// A tempdir holding `rbox` symlinks for every applet it lists, and a scratch `work/` dir.
pub struct Links {
    pub dir: tempfile::TempDir,
}

/// This test process's own hard link to the built rbox. Cargo replaces `target/*/rbox` when
/// anything rebuilds it (another `cargo test` in the same tree), so the path can vanish or
/// change under a running test; the inode the link holds stays as it was.
pub fn rbox() -> &'static Path {
    static PINNED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PINNED.get_or_init(|| {
        // Beside rbox, so a hard link works (same filesystem); one per test process, and the
        // links of processes that have ended are removed.
        let dir = Path::new(RBOX)
            .parent()
            .unwrap_or(Path::new("."))
            .join("rbox-pinned");
        std::fs::create_dir_all(&dir).expect("mkdir rbox-pinned");
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let pid = entry.file_name().to_string_lossy().parse::<u32>().ok();
            if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        // Named rbox: it dispatches on its own name.
        let mine = dir.join(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(&mine);
        std::fs::create_dir_all(&mine).expect("mkdir rbox-pinned/PID");
        let path = mine.join("rbox");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            match std::fs::hard_link(RBOX, &path).or_else(|_| std::fs::copy(RBOX, &path).map(drop))
            {
                Ok(()) => return path,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(500))
                }
                Err(e) => panic!("{RBOX}: {e}"),
            }
        }
    })
}

impl Links {
    pub fn new() -> Links {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in applets() {
            symlink(rbox(), dir.path().join(&name)).expect("symlink");
        }
        std::fs::create_dir(dir.path().join("work")).expect("mkdir work");
        Links { dir }
    }

    /// The directory of links (put it first on PATH to run applets by name).
    pub fn bin(&self) -> &Path {
        self.dir.path()
    }

    /// A scratch directory for the test's files; commands run there.
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn path(&self, applet: &str) -> PathBuf {
        self.dir.path().join(applet)
    }

    /// `applet` as a command, run in `work()` with the links first on PATH.
    pub fn cmd(&self, applet: &str) -> Command {
        let mut cmd = Command::new(self.path(applet));
        cmd.current_dir(self.work()).env("PATH", self.search_path());
        cmd
    }

    /// PATH with the links first, then the host's usual directories.
    pub fn search_path(&self) -> String {
        format!(
            "{}:/usr/bin:/bin:/usr/sbin:/sbin",
            self.dir.path().display()
        )
    }

    /// Run `applet args…` with stdin from /dev/null.
    pub fn run(&self, applet: &str, args: &[&str]) -> Ran {
        run_with_input(self.cmd(applet).args(args), b"")
    }

    /// Run `applet args…` with `input` on stdin.
    pub fn run_in(&self, applet: &str, args: &[&str], input: &[u8]) -> Ran {
        run_with_input(self.cmd(applet).args(args), input)
    }

    /// Run a script under the host's `/bin/sh` with the applets first on PATH, in `work()`.
    pub fn script(&self, script: &str) -> Ran {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", script])
            .current_dir(self.work())
            .env("PATH", self.search_path());
        run_with_input(&mut cmd, b"")
    }

    /// Write `contents` to `work()/name` (parents created) and return its path.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.work().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, contents).expect("write fixture");
        path
    }
}

/// Run `cmd` to the end with `input` on its stdin.
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> Ran {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {:?}: {e}", cmd.get_program()));
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    // A writer thread, so a command that prints before reading all its input cannot deadlock.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
    Ran {
        code,
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every applet `rbox --list` names.
pub fn applets() -> Vec<String> {
    let out = Command::new(rbox())
        .arg("--list")
        .output()
        .expect("rbox --list");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// A test that cannot run here says so past libtest's capture (so it shows in the run's
/// output) and returns true; under `CI=true` a skip is a failure instead.
pub fn skip(test: &str, why: &str) -> bool {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test} cannot run here ({why}); under CI=true that is a failure, not a skip"
    );
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
    true
}

/// Root-only tests: `if skip_unless_root("name", "what needs it") { return; }`.
pub fn skip_unless_root(test: &str, needs: &str) -> bool {
    !nix::unistd::geteuid().is_root() && skip(test, &format!("needs root ({needs})"))
}

/// A reference tool on the host (GNU grep, busybox, mawk…), by absolute path. `tests/setup.sh`
/// installs them; a missing one fails the test naming it and the package, never skips.
pub fn host_tool(path: &str, package: &str) -> PathBuf {
    let p = PathBuf::from(path);
    assert!(
        p.exists(),
        "{path}: not found: install Debian's {package} (tests/setup.sh build does)"
    );
    p
}

/// Run a host reference tool the same way as an applet: in `dir`, `input` on stdin.
pub fn run_host(tool: &Path, args: &[&str], dir: &Path, input: &[u8]) -> Ran {
    let mut cmd = Command::new(tool);
    cmd.args(args).current_dir(dir).env("LC_ALL", "C");
    run_with_input(&mut cmd, input)
}

/// An interactive program on a pseudo-terminal of `rows`×`cols`: send keys, wait for text.
/// The output is raw (ANSI sequences included); [`Pty::expect`] matches against it.
pub struct Pty {
    pub child: Child,
    master: std::fs::File,
    /// Everything read so far that no `expect` consumed.
    pub seen: String,
    /// Everything ever read, for failure messages.
    pub log: String,
}

impl Pty {
    /// Start `program args…` in `dir` with the terminal as its controlling tty.
    pub fn spawn(
        program: impl AsRef<OsStr>,
        args: &[&str],
        dir: &Path,
        rows: u16,
        cols: u16,
    ) -> Pty {
        use nix::pty::{openpty, Winsize};
        let ws = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = openpty(Some(&ws), None).expect("openpty");
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env("TERM", "xterm")
            .env_remove("LINES")
            .env_remove("COLUMNS")
            .current_dir(dir)
            .stdin(pty.slave.try_clone().expect("dup"))
            .stdout(pty.slave.try_clone().expect("dup"))
            .stderr(pty.slave.try_clone().expect("dup"));
        // SAFETY: only async-signal-safe calls (setsid, ioctl) between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid()?;
                if libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn on pty");
        drop(pty.slave);
        let master = std::fs::File::from(pty.master);
        // SAFETY: F_SETFL on a descriptor we own.
        unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        Pty {
            child,
            master,
            seen: String::new(),
            log: String::new(),
        }
    }

    /// Type `keys` (raw bytes: `"\x1b"` is Escape, `"\r"` Enter).
    pub fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).expect("write pty");
    }

    fn pump(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        match self.master.read(&mut buf) {
            Ok(n) if n > 0 => {
                let text = String::from_utf8_lossy(&buf[..n]);
                self.seen.push_str(&text);
                self.log.push_str(&text);
                true
            }
            _ => false,
        }
    }

    /// Wait (5 s at most) until `needle` appears; returns what came before it and consumes both.
    pub fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(at) = self.seen.find(needle) {
                return self.seen.drain(..at + needle.len()).collect();
            }
            assert!(
                Instant::now() < deadline,
                "waiting for {needle:?}; the terminal showed {:?}",
                self.log
            );
            if !self.pump() {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Read whatever arrives for `quiet` with nothing new, and return it (consumed).
    pub fn settle(&mut self, quiet: Duration) -> String {
        let mut last = Instant::now();
        let deadline = Instant::now() + Duration::from_secs(5);
        while last.elapsed() < quiet && Instant::now() < deadline {
            if self.pump() {
                last = Instant::now();
            } else {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        std::mem::take(&mut self.seen)
    }

    /// Wait (5 s at most) for the program to exit; its exit code, or 128+signal.
    pub fn wait(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            self.pump();
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
            }
            assert!(
                Instant::now() < deadline,
                "still running; the terminal showed {:?}",
                self.log
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
