//! Running children: pipelines, background lists, forking, waiting for foreground children and
//! reaping background ones, and the `wait` builtin.

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{self, SigHandler, Signal};
use nix::sys::stat::Mode;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{ForkResult, Pid};

use super::exec::{err, Ex, Shell};
use super::fdio;
use super::parser::Cmd;
use super::signals;

/// Background children: pid and exit status once reaped.
#[derive(Debug, Default)]
pub struct Jobs {
    pub list: Vec<(i32, Option<i32>)>,
}

impl Shell {
    pub fn pipeline(&mut self, cmds: &[Cmd]) -> Ex {
        if cmds.len() == 1 {
            return self.exec(&cmds[0]);
        }
        let mut pids = Vec::new();
        let mut prev: Option<i32> = None;
        for (i, c) in cmds.iter().enumerate() {
            let last = i + 1 == cmds.len();
            let pipe = if last {
                None
            } else {
                match fdio::pipe() {
                    Ok(p) => Some(p),
                    Err(e) => {
                        err(&format!("pipe: {}", e.desc()));
                        break;
                    }
                }
            };
            let pid = self.fork_child(false, |sh| {
                if let Some(r) = prev {
                    fdio::move_to(r, 0);
                }
                if let Some((r, w)) = pipe {
                    fdio::close(r);
                    fdio::move_to(w, 1);
                }
                sh.child_run(c)
            });
            if let Some(r) = prev.take() {
                fdio::close(r);
            }
            if let Some((r, w)) = pipe {
                fdio::close(w);
                prev = Some(r);
            }
            pids.extend(pid);
        }
        if let Some(r) = prev {
            fdio::close(r);
        }
        let mut st = 1;
        for pid in pids {
            st = self.wait_fg(pid);
        }
        Ok(st)
    }

    pub fn background(&mut self, cmd: &Cmd) {
        let pid = self.fork_child(true, |sh| {
            // XCU §2.9.3: without job control, asynchronous lists read /dev/null.
            if let Ok(fd) = fdio::open("/dev/null", OFlag::O_RDONLY, Mode::empty()) {
                fdio::move_to(fd, 0);
            }
            sh.child_run(cmd)
        });
        if let Some(pid) = pid {
            self.last_bg = Some(pid);
            self.jobs.list.push((pid, None));
        }
    }

    /// Fork; the child runs `f` and exits with its status. `None` if fork failed (reported).
    pub fn fork_child(&mut self, bg: bool, f: impl FnOnce(&mut Shell) -> i32) -> Option<i32> {
        // SAFETY: the shell is single-threaded, so the child may run arbitrary code after fork.
        match unsafe { nix::unistd::fork() } {
            Ok(ForkResult::Parent { child }) => Some(child.as_raw()),
            Ok(ForkResult::Child) => {
                self.in_child = true;
                self.interactive = false;
                self.jobs.list.clear();
                self.exit_trap = None;
                // XCU §2.11: a subshell's traps with commands are reset to the default.
                for (sig, _) in std::mem::take(&mut self.traps) {
                    if let Ok(s) = Signal::try_from(sig) {
                        // SAFETY: SIG_DFL installs no handler code.
                        let _ = unsafe { signal::signal(s, SigHandler::SigDfl) };
                    }
                }
                signals::clear_pending();
                signals::reset_signals(self.owns_sigint);
                self.owns_sigint = false;
                if bg {
                    // XCU §2.11: asynchronous lists ignore SIGINT and SIGQUIT without job control.
                    for s in [Signal::SIGINT, Signal::SIGQUIT] {
                        // SAFETY: SIG_IGN installs no handler code.
                        let _ = unsafe { signal::signal(s, SigHandler::SigIgn) };
                    }
                }
                let st = f(self);
                let st = self.run_exit_trap(st);
                fdio::exit(st)
            }
            Err(e) => {
                err(&format!("fork: {}", e.desc()));
                None
            }
        }
    }

    /// Wait for a foreground child; a signal death is 128+signal.
    pub fn wait_fg(&mut self, pid: i32) -> i32 {
        loop {
            match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WUNTRACED)) {
                Ok(WaitStatus::Exited(_, c)) => return c,
                Ok(WaitStatus::Signaled(_, sig, _)) => {
                    if self.interactive && sig == Signal::SIGINT && !self.interrupted {
                        self.interrupted = true;
                        fdio::write_all(2, b"\n");
                    }
                    return 128 + sig as i32;
                }
                // Without job control a stopped child would hang the shell: let it go on.
                Ok(WaitStatus::Stopped(p, _)) => {
                    let _ = signal::kill(p, Signal::SIGCONT);
                }
                Ok(_) | Err(Errno::EINTR) => {}
                Err(_) => return 127,
            }
        }
    }

    /// Collect finished background children so they don't linger as zombies.
    pub fn reap_jobs(&mut self) {
        for job in self.jobs.list.iter_mut().filter(|j| j.1.is_none()) {
            match waitpid(Pid::from_raw(job.0), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(_, c)) => job.1 = Some(c),
                Ok(WaitStatus::Signaled(_, s, _)) => job.1 = Some(128 + s as i32),
                Err(_) => job.1 = Some(127),
                Ok(_) => {}
            }
        }
        if self.jobs.list.len() > 64 {
            let last = self.last_bg;
            self.jobs
                .list
                .retain(|j| j.1.is_none() || Some(j.0) == last);
        }
    }
}

/// `wait [PID...]`: wait for the given background children, or all of them.
pub fn wait(sh: &mut Shell, args: &[String]) -> i32 {
    let mut st = 0;
    let targets: Vec<i32> = if args.is_empty() {
        sh.jobs.list.iter().map(|j| j.0).collect()
    } else {
        args.iter().filter_map(|a| a.parse().ok()).collect()
    };
    for pid in targets {
        let known = sh.jobs.list.iter().position(|j| j.0 == pid);
        st = match known.map(|k| sh.jobs.list[k].1) {
            None => 127,
            Some(Some(done)) => done,
            Some(None) => loop {
                match waitpid(Pid::from_raw(pid), None) {
                    Ok(WaitStatus::Exited(_, c)) => break c,
                    Ok(WaitStatus::Signaled(_, s, _)) => break 128 + s as i32,
                    Ok(_) | Err(Errno::EINTR) => {}
                    Err(_) => break 127,
                }
            },
        };
        if let Some(k) = known {
            sh.jobs.list[k].1 = Some(st);
        }
    }
    if args.is_empty() {
        sh.jobs.list.clear();
        return 0;
    }
    st
}

/// The job-control builtins: `jobs`, `fg`, `bg`, `kill`.
pub fn builtin(sh: &mut Shell, argv: &[String]) -> Ex {
    match argv[0].as_str() {
        "jobs" => {
            for (pid, st) in &sh.jobs.list {
                let state = if st.is_some() { "Done" } else { "Running" };
                fdio::write_all(1, format!("{pid} {state}\n").as_bytes());
            }
            Ok(0)
        }
        "kill" => {
            let argv = argv.to_vec();
            match sh.fork_child(false, |c| c.exec_external(&argv, &[], &[])) {
                Some(pid) => Ok(sh.wait_fg(pid)),
                None => Ok(2),
            }
        }
        other => {
            err(&format!("{other}: no job control"));
            Ok(1)
        }
    }
}
