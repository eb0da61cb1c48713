//! The shell on the console: a login shell in its own session with `/dev/console` as its
//! controlling terminal, so job control and Ctrl-C work (setsid(2), TIOCSCTTY in tty_ioctl(4)).

use std::fs::{File, OpenOptions};
use std::os::fd::IntoRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::unistd::Pid;
use thiserror::Error;

use crate::cmdline::KernelCmdline;

#[derive(Debug, Error)]
pub enum ConsoleError {
    #[error("{path}: {}", crate::sys::errno_of(.source).desc())]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("{program}: {}", crate::sys::errno_of(.source).desc())]
    Spawn {
        program: String,
        source: std::io::Error,
    },
}

pub const PATH: &str = "/bin:/sbin:/usr/bin:/usr/sbin";

/// What to run on the console and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellCommand {
    pub program: PathBuf,
    pub arg0: String,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub console: PathBuf,
}

/// The console shell for the machine under `root`: `/bin/sh` as a login shell (`-sh`) when
/// there is one, else rbox itself as `sh`. The environment is built afresh: the kernel hands
/// init every unknown `key=value` of its command line as environment (`entrypoint=…`), which
/// is no business of the shell, except `TERM=`.
pub fn shell_command(root: &Path, cmdline: &KernelCmdline) -> ShellCommand {
    let (program, arg0) = if root.join("bin/sh").exists() {
        ("/bin/sh", "-sh")
    } else {
        ("/proc/self/exe", "sh")
    };
    let home = if root.join("root").is_dir() {
        "/root"
    } else {
        "/"
    };
    let term = cmdline.get("TERM").unwrap_or("linux");
    ShellCommand {
        program: program.into(),
        arg0: arg0.into(),
        cwd: home.into(),
        env: vec![
            ("PATH".into(), PATH.into()),
            ("HOME".into(), home.into()),
            ("TERM".into(), term.into()),
        ],
        console: "/dev/console".into(),
    }
}

fn open_console(path: &Path) -> Result<File, ConsoleError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        // Never make it init's own controlling terminal.
        .custom_flags(libc::O_NOCTTY)
        .open(path)
        .map_err(|source| ConsoleError::Open {
            path: path.display().to_string(),
            source,
        })
}

/// Start `cmd` with stdin, stdout and stderr on its console, as a session leader owning the
/// console, signal dispositions and mask back to defaults. Returns the child's pid; the caller
/// reaps it.
pub fn spawn(cmd: &ShellCommand) -> Result<Pid, ConsoleError> {
    let console = open_console(&cmd.console)?;
    let dup = |f: &File| {
        f.try_clone().map_err(|source| ConsoleError::Open {
            path: cmd.console.display().to_string(),
            source,
        })
    };
    let (stdin, stdout) = (dup(&console)?, dup(&console)?);
    let mut command = Command::new(&cmd.program);
    command
        .arg0(&cmd.arg0)
        .env_clear()
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&cmd.cwd)
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(console));
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe system calls (sigaction, sigprocmask, setsid, ioctl); it allocates
    // nothing and touches no locks.
    unsafe {
        command.pre_exec(|| {
            reset_signals();
            libc::setsid();
            // Steal the console if an old session still holds it (needs CAP_SYS_ADMIN, which
            // init has). Failing leaves a shell without job control, which still works.
            libc::ioctl(0, libc::TIOCSCTTY, 1);
            Ok(())
        });
    }
    let child = command.spawn().map_err(|source| ConsoleError::Spawn {
        program: cmd.program.display().to_string(),
        source,
    })?;
    Ok(Pid::from_raw(child.id() as i32))
}

/// Every signal disposition to SIG_DFL, an empty signal mask: what init changed for itself
/// must not leak into what it starts. Async-signal-safe, for use between fork and exec.
pub fn reset_signals() {
    // Signals 1..=64 on Linux; SIGKILL and SIGSTOP fail harmlessly.
    for sig in 1..65 {
        // SAFETY: a zeroed sigaction is SIG_DFL with an empty mask and no flags, a valid
        // argument; sigaction is async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
    // SAFETY: an empty set built by sigemptyset is a valid argument; sigprocmask is
    // async-signal-safe.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

/// Give init a stdin, stdout and stderr on `ROOT/dev/console` when the kernel could not
/// (no `/dev/console` in the initramfs): before devtmpfs is mounted they are closed, and
/// anything init writes would be lost. Returns whether any was missing.
pub fn attach_stdio(root: &Path) -> Result<bool, ConsoleError> {
    // SAFETY: F_GETFD on any integer is harmless; it fails with EBADF for closed fds.
    let missing: Vec<i32> = (0..3)
        .filter(|fd| unsafe { libc::fcntl(*fd, libc::F_GETFD) } == -1)
        .collect();
    if missing.is_empty() {
        return Ok(false);
    }
    let fd = open_console(&root.join("dev/console"))?.into_raw_fd();
    for target in &missing {
        if *target != fd {
            // SAFETY: dup2 between two integers; `fd` is open and owned here.
            unsafe { libc::dup2(fd, *target) };
        }
    }
    if fd > 2 {
        // SAFETY: `fd` came from into_raw_fd above and is not used after this.
        unsafe { libc::close(fd) };
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_command_table() {
        // (files in root, cmdline, program, arg0, home, TERM)
        type Case = (
            &'static [&'static str],
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            &'static str,
        );
        let cases: &[Case] = &[
            (&[], "", "/proc/self/exe", "sh", "/", "linux"),
            (&["bin/sh"], "", "/bin/sh", "-sh", "/", "linux"),
            (
                &["bin/sh", "root/"],
                "TERM=vt100 quiet",
                "/bin/sh",
                "-sh",
                "/root",
                "vt100",
            ),
            (&["root/"], "TERM", "/proc/self/exe", "sh", "/root", "linux"),
        ];
        for (files, cmdline, program, arg0, home, term) in cases {
            let dir = tempfile::tempdir().expect("test fixture");
            for f in *files {
                let p = dir.path().join(f);
                if f.ends_with('/') {
                    std::fs::create_dir_all(p).expect("test fixture");
                } else {
                    std::fs::create_dir_all(p.parent().expect("test fixture"))
                        .expect("test fixture");
                    std::fs::write(p, "").expect("test fixture");
                }
            }
            let cmd = shell_command(dir.path(), &KernelCmdline::parse(cmdline));
            assert_eq!(cmd.program, Path::new(program), "{files:?}");
            assert_eq!(cmd.arg0, *arg0);
            assert_eq!(cmd.cwd, Path::new(home));
            let env: Vec<(&str, &str)> = cmd
                .env
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(env, [("PATH", PATH), ("HOME", *home), ("TERM", *term)]);
        }
    }

    /// Runs the spawn on a pty-less "console" (a plain file) and checks what the child saw:
    /// its own session, a clean environment, default signal state even though the parent
    /// blocked and ignored signals. Runs in a forked child because it changes signal state.
    #[test]
    fn spawned_child_gets_clean_state() {
        let dir = tempfile::tempdir().expect("test fixture");
        let out = dir.path().join("console");
        std::fs::write(&out, "").expect("test fixture");
        let cmd = ShellCommand {
            program: "/bin/sh".into(),
            arg0: "sh".into(),
            cwd: dir.path().into(),
            env: vec![("PATH".into(), PATH.into()), ("X".into(), "1".into())],
            console: out.clone(),
        };
        // SAFETY: the test harness is multi-threaded; the child only runs the code below,
        // which does fork+exec through std and _exit.
        match unsafe { nix::unistd::fork() }.expect("test fixture") {
            nix::unistd::ForkResult::Child => {
                let mut set = nix::sys::signal::SigSet::empty();
                set.add(nix::sys::signal::Signal::SIGUSR1);
                let _ = set.thread_block();
                // SAFETY: SIG_IGN for SIGUSR2 in this test child.
                unsafe { libc::signal(libc::SIGUSR2, libc::SIG_IGN) };
                // The console file is also the shell's stdin: the script is read from it,
                // the output appended to it.
                std::fs::write(
                    &out,
                    "echo \"sid=$(cut -d' ' -f6 /proc/self/stat) pid=$$ X=$X HOME=${HOME-unset}\"\n\
                     grep -E '^Sig(Blk|Ign)' /proc/self/status\n",
                )
                .expect("test fixture");
                let code = match spawn(&cmd) {
                    Ok(pid) => match nix::sys::wait::waitpid(pid, None) {
                        Ok(nix::sys::wait::WaitStatus::Exited(_, 0)) => 0,
                        _ => 3,
                    },
                    Err(_) => 4,
                };
                // SAFETY: leaving the forked test child without running the harness.
                unsafe { libc::_exit(code) };
            }
            nix::unistd::ForkResult::Parent { child } => {
                let status = nix::sys::wait::waitpid(child, None).expect("test fixture");
                assert_eq!(status, nix::sys::wait::WaitStatus::Exited(child, 0));
            }
        }
        let text = std::fs::read_to_string(&out).expect("test fixture");
        let line = text
            .lines()
            .find(|l| l.starts_with("sid="))
            .expect("test fixture");
        let (sid, rest) = line
            .trim_start_matches("sid=")
            .split_once(' ')
            .expect("test fixture");
        let pid = rest
            .trim_start_matches("pid=")
            .split(' ')
            .next()
            .expect("test fixture");
        assert_eq!(sid, pid, "{text}");
        assert!(line.ends_with("X=1 HOME=unset"), "{text}");
        // Signals 32-34 belong to the C library, which refuses to touch them; the test
        // environment may have left them ignored. PID 1 starts with all at default.
        let mask = |name: &str| {
            let line = text
                .lines()
                .find(|l| l.starts_with(name))
                .expect("test fixture");
            u64::from_str_radix(line[name.len()..].trim(), 16).expect("test fixture")
                & !(0b111 << 31)
        };
        assert_eq!(mask("SigBlk:"), 0, "{text}");
        assert_eq!(mask("SigIgn:"), 0, "{text}");
    }

    #[test]
    fn spawn_errors_name_the_file() {
        let cmd = ShellCommand {
            program: "/nonexistent/sh".into(),
            arg0: "sh".into(),
            cwd: "/".into(),
            env: vec![],
            console: "/dev/null".into(),
        };
        let e = spawn(&cmd).expect_err("must fail");
        assert_eq!(e.to_string(), "/nonexistent/sh: No such file or directory");
        let cmd = ShellCommand {
            console: "/nonexistent/console".into(),
            ..cmd
        };
        let e = spawn(&cmd).expect_err("must fail");
        assert_eq!(
            e.to_string(),
            "/nonexistent/console: No such file or directory"
        );
    }
}
