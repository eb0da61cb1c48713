//! The job table: jobs and their processes, which job is current (`%+`) and previous (`%-`),
//! job specs (XCU §3.204 "Job Control Job ID"), and the report lines `jobs` prints in the
//! format of busybox ash and dash (`[1]+  Stopped                    sleep 10`).

use nix::sys::wait::WaitStatus;

use super::tty::Tty;

/// What became of one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    /// Stopped by this signal.
    Stopped(i32),
    Exited(i32),
    /// Killed by this signal; whether it dumped core.
    Killed(i32, bool),
}

impl Status {
    /// The pid and what happened to it, for the waits the shell cares about.
    pub fn from_wait(ws: WaitStatus) -> Option<(i32, Status)> {
        match ws {
            WaitStatus::Exited(p, c) => Some((p.as_raw(), Status::Exited(c))),
            WaitStatus::Signaled(p, s, core) => Some((p.as_raw(), Status::Killed(s as i32, core))),
            WaitStatus::Stopped(p, s) => Some((p.as_raw(), Status::Stopped(s as i32))),
            WaitStatus::Continued(p) => Some((p.as_raw(), Status::Running)),
            _ => None,
        }
    }

    /// As `$?` shows it: the exit code, or 128 + the signal.
    pub fn code(self) -> i32 {
        match self {
            Status::Running => 0,
            Status::Exited(c) => c,
            Status::Stopped(s) | Status::Killed(s, _) => 128 + s,
        }
    }

    pub fn done(self) -> bool {
        matches!(self, Status::Exited(_) | Status::Killed(..))
    }
}

#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: i32,
    pub cmd: String,
    pub status: Status,
}

#[derive(Debug, Clone)]
pub struct Job {
    /// `%N`; 0 for a foreground job that never stopped (not in the table).
    pub num: usize,
    /// Its process group; 0 without job control (the processes stay in the shell's group).
    pub pgid: i32,
    pub procs: Vec<Proc>,
    /// Its state changed since it was last reported.
    pub changed: bool,
    /// The terminal modes it had when it stopped, given back by `fg`.
    pub modes: Option<libc::termios>,
    /// A job of the parent shell, seen from a subshell (`kill $(jobs -p)`, as in ash): listed
    /// and signalled, but not this process's children to wait for.
    pub foreign: bool,
}

impl Job {
    pub fn new(pgid: i32, procs: Vec<Proc>) -> Job {
        Job {
            num: 0,
            pgid,
            procs,
            changed: false,
            modes: None,
            foreign: false,
        }
    }

    /// Running while any process runs, stopped while any is stopped, else as its last one ended.
    pub fn state(&self) -> Status {
        if self.procs.iter().any(|p| p.status == Status::Running) {
            return Status::Running;
        }
        if let Some(p) = self
            .procs
            .iter()
            .find(|p| matches!(p.status, Status::Stopped(_)))
        {
            return p.status;
        }
        self.procs.last().map_or(Status::Exited(0), |p| p.status)
    }

    pub fn text(&self) -> String {
        let cmds: Vec<&str> = self.procs.iter().map(|p| p.cmd.as_str()).collect();
        cmds.join(" | ")
    }

    /// Note what `waitpid` said about `pid`; whether it was one of ours.
    pub fn note(&mut self, pid: i32, st: Status) -> bool {
        let before = self.state();
        let Some(p) = self.procs.iter_mut().find(|p| p.pid == pid) else {
            return false;
        };
        p.status = st;
        if self.state() != before {
            self.changed = true;
        }
        true
    }
}

/// The shell's jobs and what job control needs to start new ones.
#[derive(Debug, Default)]
pub struct Jobs {
    /// In the order they were started.
    pub table: Vec<Job>,
    /// Job numbers, current first, then previous…
    order: Vec<usize>,
    /// The terminal, when the shell does job control (interactive on a terminal).
    pub tty: Option<Tty>,
    /// A pipeline being started with job control: its group (the first child's pid) and pids.
    pub building: Option<(i32, Vec<i32>)>,
    /// The last child forked with job control outside a pipeline: pid (its own group).
    pub lone: Option<i32>,
    /// Text of the command line being run, for jobs the table has no better name for.
    pub text: String,
}

impl Jobs {
    /// The lowest free job number (dash reuses numbers).
    fn free_num(&self) -> usize {
        (1..)
            .find(|n| !self.table.iter().any(|j| j.num == *n))
            .unwrap_or(1)
    }

    /// Put `job` in the table (keeping its number if it has one); returns its index. A
    /// stopped job becomes current; a running one goes after the stopped ones.
    pub fn insert(&mut self, mut job: Job) -> usize {
        if job.num == 0 {
            job.num = self.free_num();
        }
        let num = job.num;
        let stopped = matches!(job.state(), Status::Stopped(_));
        self.make_current(num, stopped);
        self.table.push(job);
        self.table.sort_by_key(|j| j.num);
        self.index_of(num).unwrap_or(0)
    }

    /// Move job `num` to the front of the current/previous order (after the stopped jobs when
    /// it is running, as dash's `set_curjob` does).
    pub fn make_current(&mut self, num: usize, stopped: bool) {
        self.order.retain(|n| *n != num);
        let at = if stopped {
            0
        } else {
            self.order
                .iter()
                .take_while(|n| {
                    self.table
                        .iter()
                        .find(|j| j.num == **n)
                        .is_some_and(|j| matches!(j.state(), Status::Stopped(_)))
                })
                .count()
        };
        self.order.insert(at, num);
    }

    /// What a subshell starts with: the parent's jobs, as foreign ones.
    pub fn for_subshell(&mut self) -> Jobs {
        let mut table = std::mem::take(&mut self.table);
        for j in &mut table {
            j.foreign = true;
        }
        Jobs {
            table,
            order: std::mem::take(&mut self.order),
            ..Jobs::default()
        }
    }

    pub fn remove(&mut self, idx: usize) -> Job {
        let job = self.table.remove(idx);
        self.order.retain(|n| *n != job.num);
        job
    }

    pub fn index_of(&self, num: usize) -> Option<usize> {
        self.table.iter().position(|j| j.num == num)
    }

    /// `+` for the current job, `-` for the previous one.
    pub fn mark(&self, num: usize) -> char {
        match self.order.iter().position(|n| *n == num) {
            Some(0) => '+',
            Some(1) => '-',
            _ => ' ',
        }
    }

    /// Job indexes, current first (the order `jobs` lists them in).
    pub fn by_recency(&self) -> Vec<usize> {
        self.order
            .iter()
            .filter_map(|n| self.index_of(*n))
            .collect()
    }

    /// The job a job spec names: `%%` `%+` `%` (current), `%-` (previous), `%N`, `%STRING`
    /// (command starts with it), `%?STRING` (contains it), or a pid of one of its processes.
    pub fn lookup(&self, spec: &str) -> Result<usize, String> {
        let no_such = || format!("{spec}: no such job");
        let Some(rest) = spec.strip_prefix('%') else {
            let pid: i32 = spec.parse().map_err(|_| format!("{spec}: no such job"))?;
            return self
                .table
                .iter()
                .position(|j| j.procs.iter().any(|p| p.pid == pid))
                .ok_or_else(no_such);
        };
        let by_order = |i: usize| {
            self.order
                .get(i)
                .and_then(|n| self.index_of(*n))
                .ok_or_else(no_such)
        };
        match rest {
            "" | "%" | "+" => return by_order(0),
            "-" => return by_order(1),
            _ => {}
        }
        if let Ok(n) = rest.parse::<usize>() {
            return self.index_of(n).ok_or_else(no_such);
        }
        let found: Vec<usize> = match rest.strip_prefix('?') {
            Some(sub) => (0..self.table.len())
                .filter(|i| self.table[*i].text().contains(sub))
                .collect(),
            None => (0..self.table.len())
                .filter(|i| self.table[*i].text().starts_with(rest))
                .collect(),
        };
        match found[..] {
            [i] => Ok(i),
            [] => Err(no_such()),
            _ => Err(format!("{spec}: ambiguous")),
        }
    }

    /// The line `jobs` (`-l` with `pids`) prints for the job at `idx`.
    pub fn report(&self, idx: usize, pids: bool) -> String {
        let job = &self.table[idx];
        report_line(job, self.mark(job.num), pids)
    }
}

/// `[1]+  Running                    sleep 1 | sleep 2`: the command starts in column 33, as
/// ash's and dash's `showjob` put it; with `pids` each process gets a line of its own.
pub fn report_line(job: &Job, mark: char, pids: bool) -> String {
    const COL: usize = 33;
    let pad = |s: &mut String| {
        let n = COL.saturating_sub(s.len()).max(1);
        s.push_str(&" ".repeat(n));
    };
    let mut s = format!("[{}]{mark}  ", job.num);
    let indent = s.len();
    let Some(first) = job.procs.first() else {
        return s + "\n";
    };
    if pids {
        s.push_str(&format!("{} ", first.pid));
    }
    s.push_str(&status_word(job.state()));
    pad(&mut s);
    s.push_str(&first.cmd);
    for p in &job.procs[1..] {
        if pids {
            let mut line = format!("\n{}{} ", " ".repeat(indent), p.pid);
            // The leading newline doesn't take a column.
            let len = line.len() - 1;
            line.push_str(&" ".repeat(COL.saturating_sub(len).max(1)));
            line.push_str("| ");
            line.push_str(&p.cmd);
            s.push_str(&line);
        } else {
            s.push_str(" | ");
            s.push_str(&p.cmd);
        }
    }
    s.push('\n');
    s
}

/// `Running`, `Done`, `Done(1)`, or the signal's description (`Stopped`, `Terminated`).
pub fn status_word(st: Status) -> String {
    match st {
        Status::Running => "Running".into(),
        Status::Exited(0) => "Done".into(),
        Status::Exited(c) => format!("Done({c})"),
        Status::Stopped(s) => describe(s).into(),
        Status::Killed(s, core) => {
            let mut d = describe(s).to_string();
            if core {
                d.push_str(" (core dumped)");
            }
            d
        }
    }
}

/// glibc's `strsignal` text for Linux signals 1–31.
const DESCRIPTIONS: [&str; 31] = [
    "Hangup",
    "Interrupt",
    "Quit",
    "Illegal instruction",
    "Trace/breakpoint trap",
    "Aborted",
    "Bus error",
    "Floating point exception",
    "Killed",
    "User defined signal 1",
    "Segmentation fault",
    "User defined signal 2",
    "Broken pipe",
    "Alarm clock",
    "Terminated",
    "Stack fault",
    "Child exited",
    "Continued",
    "Stopped (signal)",
    "Stopped",
    "Stopped (tty input)",
    "Stopped (tty output)",
    "Urgent I/O condition",
    "CPU time limit exceeded",
    "File size limit exceeded",
    "Virtual timer expired",
    "Profiling timer expired",
    "Window changed",
    "I/O possible",
    "Power failure",
    "Bad system call",
];

pub fn describe(sig: i32) -> &'static str {
    usize::try_from(sig - 1)
        .ok()
        .and_then(|i| DESCRIPTIONS.get(i).copied())
        .unwrap_or("Signal")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(num: usize, procs: &[(i32, &str, Status)]) -> Job {
        let mut j = Job::new(
            procs[0].0,
            procs
                .iter()
                .map(|(pid, cmd, status)| Proc {
                    pid: *pid,
                    cmd: cmd.to_string(),
                    status: *status,
                })
                .collect(),
        );
        j.num = num;
        j
    }

    fn table() -> Jobs {
        let mut jobs = Jobs::default();
        jobs.insert(job(0, &[(100, "sleep 10", Status::Running)]));
        jobs.insert(job(0, &[(200, "vi notes", Status::Stopped(20))]));
        jobs.insert(job(
            0,
            &[
                (300, "sleep 1", Status::Running),
                (301, "wc -l", Status::Running),
            ],
        ));
        jobs
    }

    #[test]
    fn lookup_table() {
        let jobs = table();
        // vi stopped is current; the newest running job comes after it.
        let cases = [
            ("%%", Ok(2)),
            ("%+", Ok(2)),
            ("%", Ok(2)),
            ("%-", Ok(3)),
            ("%1", Ok(1)),
            ("%3", Ok(3)),
            ("%vi", Ok(2)),
            ("%?wc", Ok(3)),
            ("%?notes", Ok(2)),
            ("301", Ok(3)),
            ("%sleep", Err("%sleep: ambiguous".to_string())),
            ("%7", Err("%7: no such job".to_string())),
            ("%x", Err("%x: no such job".to_string())),
            ("42", Err("42: no such job".to_string())),
        ];
        for (spec, want) in cases {
            let got = jobs.lookup(spec).map(|i| jobs.table[i].num);
            assert_eq!(got, want, "{spec}");
        }
        assert_eq!((jobs.mark(2), jobs.mark(3), jobs.mark(1)), ('+', '-', ' '));
    }

    #[test]
    fn numbers_are_reused() {
        let mut jobs = table();
        let i = jobs.lookup("%1").unwrap();
        jobs.remove(i);
        let i = jobs.insert(job(0, &[(400, "cat", Status::Running)]));
        assert_eq!(jobs.table[i].num, 1);
        let i = jobs.insert(job(0, &[(500, "cat", Status::Running)]));
        assert_eq!(jobs.table[i].num, 4);
    }

    #[test]
    fn report_table() {
        let cases = [
            (
                job(1, &[(11, "sleep 30", Status::Stopped(20))]),
                '+',
                false,
                "[1]+  Stopped                    sleep 30\n",
            ),
            (
                job(2, &[(12, "sleep 0.2", Status::Exited(0))]),
                ' ',
                false,
                "[2]   Done                       sleep 0.2\n",
            ),
            (
                job(1, &[(13, "sh -c \"exit 3\"", Status::Exited(3))]),
                '-',
                false,
                "[1]-  Done(3)                    sh -c \"exit 3\"\n",
            ),
            (
                job(1, &[(14, "sleep 30", Status::Killed(15, false))]),
                '+',
                false,
                "[1]+  Terminated                 sleep 30\n",
            ),
            (
                job(1, &[(11929, "sleep 30", Status::Stopped(20))]),
                '+',
                true,
                "[1]+  11929 Stopped              sleep 30\n",
            ),
            (
                job(
                    1,
                    &[
                        (12968, "sleep 1", Status::Stopped(20)),
                        (12969, "sleep 30", Status::Stopped(20)),
                    ],
                ),
                '+',
                true,
                "[1]+  12968 Stopped              sleep 1\n      12969                      | sleep 30\n",
            ),
            (
                job(
                    1,
                    &[
                        (1, "sleep 1", Status::Exited(0)),
                        (2, "sleep 30", Status::Running),
                    ],
                ),
                '+',
                false,
                "[1]+  Running                    sleep 1 | sleep 30\n",
            ),
            (
                job(3, &[(1, "crash", Status::Killed(11, true))]),
                ' ',
                false,
                "[3]   Segmentation fault (core dumped) crash\n",
            ),
        ];
        for (j, mark, pids, want) in cases {
            assert_eq!(report_line(&j, mark, pids), want);
        }
    }
}
