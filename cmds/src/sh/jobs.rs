//! Running children: pipelines, background lists, forking, waiting for foreground jobs and
//! reaping background ones. With job control (an interactive shell on a terminal, `set -m`)
//! each pipeline and each background list is a process group of its own, the foreground one
//! gets the terminal, and a stopped foreground job goes to the job table (XCU §2.11, GNU libc
//! manual "Implementing a Job Control Shell", dash's jobs.c).

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{self, SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::stat::Mode;
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::{ForkResult, Pid};

use super::cmdtext;
use super::exec::{err, Ex, Shell};
use super::fdio;
use super::jobtable::{describe, Job, Proc, Status};
use super::parser::Cmd;
use super::signals;
use super::tty;

pub use super::jobcmds::{builtin, wait};
pub use super::jobtable::Jobs;

/// Done jobs a non-interactive shell keeps for `wait PID` before forgetting the oldest.
const KEEP_DONE: usize = 64;

impl Shell {
    /// Whether children get process groups and the terminal: `set -m` in the interactive
    /// shell itself (not in its subshells) with a terminal.
    pub fn job_control(&self) -> bool {
        self.monitor && !self.in_child && self.jobs.tty.is_some()
    }

    pub fn pipeline(&mut self, cmds: &[Cmd]) -> Ex {
        if cmds.len() == 1 {
            return self.exec(&cmds[0]);
        }
        match self.start_pipeline(cmds, false) {
            Some(job) => Ok(self.run_fg(job)),
            None => Ok(1),
        }
    }

    /// Fork the commands of a pipeline, each reading the one before; with job control they
    /// share the first one's process group. `None` if no process could be started.
    fn start_pipeline(&mut self, cmds: &[Cmd], bg: bool) -> Option<Job> {
        let jc = self.job_control();
        if jc {
            self.jobs.building = Some((0, Vec::new()));
        }
        let mut procs = Vec::new();
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
            let pid = self.fork_child(bg, |sh| {
                if let Some(r) = prev {
                    fdio::move_to(r, 0);
                } else if bg && !jc {
                    null_stdin();
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
            if let Some(pid) = pid {
                procs.push(Proc {
                    pid,
                    cmd: cmdtext::text(c),
                    status: Status::Running,
                });
            }
        }
        if let Some(r) = prev {
            fdio::close(r);
        }
        let pgid = self.jobs.building.take().map_or(0, |b| b.0);
        (!procs.is_empty()).then(|| Job::new(pgid, procs))
    }

    /// `cmd &`: a pipeline's processes are the job's (and `$!` its last one, as in dash);
    /// anything else runs in one subshell.
    pub fn background(&mut self, cmd: &Cmd) {
        let jc = self.job_control();
        let job = match cmd {
            Cmd::Pipeline(cmds, false) if cmds.len() > 1 => self.start_pipeline(cmds, true),
            _ => self
                .fork_child(true, |sh| {
                    if !jc {
                        null_stdin();
                    }
                    sh.child_run(cmd)
                })
                .map(|pid| {
                    let procs = vec![Proc {
                        pid,
                        cmd: cmdtext::text(cmd),
                        status: Status::Running,
                    }];
                    Job::new(if jc { pid } else { 0 }, procs)
                }),
        };
        let Some(job) = job else {
            return;
        };
        self.jobs.lone = None;
        let pid = job.procs.last().map_or(0, |p| p.pid);
        self.last_bg = Some(pid);
        let idx = self.jobs.insert(job);
        if self.interactive {
            let num = self.jobs.table[idx].num;
            fdio::write_all(2, format!("[{num}] {pid}\n").as_bytes());
        }
        self.forget_old_jobs();
    }

    /// Fork; the child runs `f` and exits with its status. `None` if fork failed (reported).
    /// With job control the child goes into the group of the pipeline being started, or a
    /// group of its own, and a foreground one takes the terminal.
    pub fn fork_child(&mut self, bg: bool, f: impl FnOnce(&mut Shell) -> i32) -> Option<i32> {
        let jc = self.job_control();
        let group = self.jobs.building.as_ref().map_or(0, |b| b.0);
        let tty_fd = self.jobs.tty.as_ref().map_or(-1, |t| t.fd);
        // Keyboard signals that reach the new group before the child has put back their
        // default actions must not be lost to the ignoring it inherited: blocked signals are
        // kept pending on Linux even while ignored, and the child unblocks them.
        let keyboard = SigSet::from_iter(signals::KEYBOARD);
        let mut old_mask = SigSet::empty();
        if jc {
            let _ =
                signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&keyboard), Some(&mut old_mask));
        }
        // SAFETY: the shell is single-threaded, so the child may run arbitrary code after fork.
        let forked = unsafe { nix::unistd::fork() };
        if jc && !matches!(forked, Ok(ForkResult::Child)) {
            let _ = signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&old_mask), None);
        }
        match forked {
            Ok(ForkResult::Parent { child }) => {
                let pid = child.as_raw();
                if jc {
                    let pgid = if group == 0 { pid } else { group };
                    // Both sides set the group, so neither the exec nor the next fork races.
                    let _ = nix::unistd::setpgid(child, Pid::from_raw(pgid));
                    match &mut self.jobs.building {
                        Some(b) => {
                            b.0 = pgid;
                            b.1.push(pid);
                        }
                        None => self.jobs.lone = Some(pid),
                    }
                }
                Some(pid)
            }
            Ok(ForkResult::Child) => {
                if jc {
                    let me = std::process::id() as i32;
                    let pgid = if group == 0 { me } else { group };
                    let _ = nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(pgid));
                    if !bg {
                        // SIGTTOU is still ignored here, as the shell has it.
                        tty::give(tty_fd, pgid);
                    }
                }
                if let Some(t) = self.jobs.tty.take() {
                    fdio::close(t.fd);
                }
                self.in_child = true;
                self.interactive = false;
                self.jobs = self.jobs.for_subshell();
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
                if bg && !jc {
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

    /// Wait for a foreground child; a signal death is 128+signal. A child forked with job
    /// control is a job: if it stops, it goes to the table.
    pub fn wait_fg(&mut self, pid: i32) -> i32 {
        let pgid = if self.jobs.lone == Some(pid) && self.job_control() {
            self.jobs.lone = None;
            pid
        } else {
            0
        };
        // Named when it stops (rarely): the command it runs, or the command line.
        let job = Job::new(
            pgid,
            vec![Proc {
                pid,
                cmd: String::new(),
                status: Status::Running,
            }],
        );
        self.run_fg(job)
    }

    /// Wait for a foreground job: with job control it has the terminal while it runs, and
    /// when it stops it is reported and kept in the table. Returns its status.
    pub fn run_fg(&mut self, mut job: Job) -> i32 {
        let jc = job.pgid > 0 && self.jobs.tty.is_some();
        if jc {
            if let Some(t) = &self.jobs.tty {
                tty::give(t.fd, job.pgid);
            }
        }
        self.wait_job(&mut job, jc);
        let st = job.state();
        if let Some(t) = &mut self.jobs.tty {
            if jc {
                t.take_back();
                match st {
                    Status::Exited(_) => t.save_modes(),
                    _ => {
                        job.modes = tty::get_modes(t.fd);
                        t.restore_modes();
                    }
                }
            }
        }
        let code = job.procs.last().map_or(0, |p| p.status.code());
        if job
            .procs
            .iter()
            .any(|p| p.status == Status::Killed(libc::SIGINT, false))
            && self.interactive
            && !self.interrupted
        {
            self.interrupted = true;
            fdio::write_all(2, b"\n");
        }
        match st {
            Status::Stopped(sig) => {
                job.changed = false;
                for p in job.procs.iter_mut().filter(|p| p.cmd.is_empty()) {
                    p.cmd = command_of(p.pid).unwrap_or_else(|| self.jobs.text.clone());
                }
                let idx = self.jobs.insert(job);
                let line = self.jobs.report(idx, false);
                fdio::write_all(2, line.as_bytes());
                128 + sig
            }
            Status::Killed(sig, core) if sig != libc::SIGINT && sig != libc::SIGPIPE => {
                // dash tells how a foreground job died: "Killed", "Segmentation fault".
                let mut d = describe(sig).to_string();
                if core {
                    d.push_str(" (core dumped)");
                }
                fdio::write_all(2, format!("{d}\n").as_bytes());
                code
            }
            _ => code,
        }
    }

    /// Block until no process of `job` runs. Without job control a stopped child would hang
    /// the shell: it is continued.
    pub fn wait_job(&mut self, job: &mut Job, jc: bool) {
        while let Some(first) = job.procs.iter().find(|p| p.status == Status::Running) {
            let target = if jc { -job.pgid } else { first.pid };
            match waitpid(Pid::from_raw(target), Some(WaitPidFlag::WUNTRACED)) {
                Ok(ws) => {
                    let Some((pid, st)) = Status::from_wait(ws) else {
                        continue;
                    };
                    if !jc && matches!(st, Status::Stopped(_)) {
                        let _ = signal::kill(Pid::from_raw(pid), Signal::SIGCONT);
                        continue;
                    }
                    job.note(pid, st);
                }
                Err(Errno::EINTR) => {}
                Err(_) => {
                    // Reaped elsewhere or never ours: count the rest as not found.
                    for p in job.procs.iter_mut().filter(|p| p.status == Status::Running) {
                        p.status = Status::Exited(127);
                    }
                }
            }
        }
    }

    /// Collect what happened to background jobs without blocking, so finished ones don't
    /// linger as zombies and changes can be reported.
    pub fn reap_jobs(&mut self) {
        let flags = WaitPidFlag::WNOHANG | WaitPidFlag::WUNTRACED | WaitPidFlag::WCONTINUED;
        for job in self.jobs.table.iter_mut().filter(|j| !j.foreign) {
            let pids: Vec<i32> = job
                .procs
                .iter()
                .filter(|p| !p.status.done())
                .map(|p| p.pid)
                .collect();
            for pid in pids {
                match waitpid(Pid::from_raw(pid), Some(flags)) {
                    Ok(ws) => {
                        if let Some((pid, st)) = Status::from_wait(ws) {
                            job.note(pid, st);
                        }
                    }
                    Err(Errno::EINTR) => {}
                    Err(_) => {
                        job.note(pid, Status::Exited(127));
                    }
                }
            }
        }
        self.forget_old_jobs();
    }

    /// Before the prompt: report jobs that stopped, ended or were killed since the last report
    /// (`[1]+  Done                       sleep 1`), and drop the finished ones.
    pub fn report_jobs(&mut self) {
        // The terminal is the shell's at the prompt, whatever a child did with it (one that
        // was never waited for, like a here-document feeder, may have taken it).
        if let Some(t) = &self.jobs.tty {
            if tty::foreground(t.fd) != t.pgid {
                t.take_back();
            }
        }
        self.reap_jobs();
        let mut out = String::new();
        for i in 0..self.jobs.table.len() {
            let job = &self.jobs.table[i];
            if job.changed && job.state() != Status::Running {
                out.push_str(&self.jobs.report(i, false));
                self.jobs.table[i].changed = false;
            }
        }
        fdio::write_all(2, out.as_bytes());
        while let Some(i) = self
            .jobs
            .table
            .iter()
            .position(|j| j.state().done() && !j.changed)
        {
            self.jobs.remove(i);
        }
    }

    /// A shell that never reports (a script) keeps finished jobs for `wait`, within reason.
    fn forget_old_jobs(&mut self) {
        let done = self.jobs.table.iter().filter(|j| j.state().done()).count();
        if done <= KEEP_DONE {
            return;
        }
        let last = self.last_bg;
        let old: Vec<usize> = self
            .jobs
            .table
            .iter()
            .filter(|j| j.state().done() && !j.procs.iter().any(|p| Some(p.pid) == last))
            .map(|j| j.num)
            .take(done - KEEP_DONE)
            .collect();
        for num in old {
            if let Some(i) = self.jobs.index_of(num) {
                self.jobs.remove(i);
            }
        }
    }
}

/// XCU §2.9.3: without job control, asynchronous lists read /dev/null.
fn null_stdin() {
    if let Ok(fd) = fdio::open("/dev/null", OFlag::O_RDONLY, Mode::empty()) {
        fdio::move_to(fd, 0);
    }
}

/// What a child runs, from its arguments, once it has executed a program (`sleep 30` of
/// `sleep 30; echo done`); `None` for a subshell, whose arguments are the shell's.
fn command_of(pid: i32) -> Option<String> {
    let args = |p: &str| std::fs::read(format!("/proc/{p}/cmdline")).ok();
    let theirs = args(&pid.to_string())?;
    if theirs.is_empty() || Some(&theirs) == args("self").as_ref() {
        return None;
    }
    let words: Vec<String> = theirs
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    Some(words.join(" "))
}
