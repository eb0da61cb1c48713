//! `ps`: report a snapshot of the current processes, read from /proc. procps ps(1) subset.
//!
//! usage: ps [-e|-A] [-f] [-p PID,...] | ps [a][u][x]
//!
//! Columns and their widths follow procps-ng: `ps` (PID TTY TIME CMD), `ps -ef`
//! (UID PID PPID C STIME TTY TIME CMD) and `ps aux` (USER PID %CPU %MEM VSZ RSS TTY STAT START
//! TIME COMMAND). Kernel threads show as `[name]`, zombies as `<defunct>` with state Z.

use std::ffi::OsString;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: ps [-e|-A] [-f] [-p PID[,PID...]]
       ps [a][u][x]
Without options: the processes of the current user on the current terminal.
  -e, -A   every process            -f   full format (UID PPID C STIME)
  -p PIDS  only these processes
  a        processes with a terminal, x  processes without one, u  user format
";

#[derive(Debug, thiserror::Error)]
pub enum PsError {
    #[error("{}: {}", path.display(), io_reason(source))]
    Read { path: PathBuf, source: io::Error },
    #[error("write error: {}", io_reason(.0))]
    Write(io::Error),
}

impl AppletError for PsError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    User,
    Pid,
    Ppid,
    C,
    Cpu,
    Mem,
    Vsz,
    Rss,
    Tty,
    Stat,
    Start,
    Time,
    BsdTime,
    Comm,
    Args,
}

/// (column, header); the last column is never padded.
type Format = &'static [(Col, &'static str)];

const DEFAULT: Format = &[
    (Col::Pid, "PID"),
    (Col::Tty, "TTY"),
    (Col::Time, "TIME"),
    (Col::Comm, "CMD"),
];
const FULL: Format = &[
    (Col::User, "UID"),
    (Col::Pid, "PID"),
    (Col::Ppid, "PPID"),
    (Col::C, "C"),
    (Col::Start, "STIME"),
    (Col::Tty, "TTY"),
    (Col::Time, "TIME"),
    (Col::Args, "CMD"),
];
const USER: Format = &[
    (Col::User, "USER"),
    (Col::Pid, "PID"),
    (Col::Cpu, "%CPU"),
    (Col::Mem, "%MEM"),
    (Col::Vsz, "VSZ"),
    (Col::Rss, "RSS"),
    (Col::Tty, "TTY"),
    (Col::Stat, "STAT"),
    (Col::Start, "START"),
    (Col::BsdTime, "TIME"),
    (Col::Args, "COMMAND"),
];
const BSD: Format = &[
    (Col::Pid, "PID"),
    (Col::Tty, "TTY"),
    (Col::Stat, "STAT"),
    (Col::BsdTime, "TIME"),
    (Col::Args, "COMMAND"),
];

/// Which processes to show.
#[derive(Debug, PartialEq, Eq)]
pub enum Select {
    /// Same effective user and same terminal as ps itself (the default).
    Mine,
    All,
    /// BSD `a`: every process that has a terminal.
    WithTty,
    /// BSD `x`: every process of the same effective user.
    SameUser,
    Pids(Vec<i32>),
}

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    select: Select,
    format: Format,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let (mut all, mut full, mut pids) = (false, false, None);
        let (mut bsd_a, mut bsd_u, mut bsd_x, mut bsd) = (false, false, false, false);
        let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
        while let Some(arg) = it.next() {
            if let Some(letters) = arg.strip_prefix('-') {
                for (i, c) in letters.char_indices() {
                    match c {
                        'e' | 'A' => all = true,
                        'f' => full = true,
                        'p' => {
                            let list = match &letters[i + 1..] {
                                "" => it.next().ok_or_else(|| {
                                    UsageError("option -p needs a PID list".into())
                                })?,
                                rest => rest.to_string().into(),
                            };
                            pids = Some(parse_pids(&list)?);
                            break;
                        }
                        _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                    }
                }
            } else {
                bsd = true;
                for c in arg.chars() {
                    match c {
                        'a' => bsd_a = true,
                        'u' => bsd_u = true,
                        'x' => bsd_x = true,
                        // Wide output: lines are never cut here anyway.
                        'w' => {}
                        _ => return Err(UsageError(format!("unsupported option '{c}'"))),
                    }
                }
            }
        }
        let select = match (pids, all || (bsd_a && bsd_x), bsd_a, bsd_x) {
            (Some(p), ..) => Select::Pids(p),
            (None, true, ..) => Select::All,
            (None, false, true, _) => Select::WithTty,
            (None, false, _, true) => Select::SameUser,
            _ => Select::Mine,
        };
        let format = match (bsd_u, bsd, full) {
            (true, ..) => USER,
            (false, true, _) => BSD,
            (false, false, true) => FULL,
            _ => DEFAULT,
        };
        Ok(Options { select, format })
    }
}

fn parse_pids(list: &str) -> Result<Vec<i32>, UsageError> {
    list.split([',', ' '])
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse()
                .map_err(|_| UsageError(format!("invalid process id '{p}'")))
        })
        .collect()
}

/// One process, from /proc/PID/{stat,status,cmdline}.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proc {
    pub pid: i32,
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    pub tty_nr: u32,
    pub tpgid: i32,
    /// utime + stime, in clock ticks.
    pub ticks: u64,
    pub nice: i64,
    pub threads: i64,
    /// Start time in clock ticks since boot.
    pub start: u64,
    pub vsize: u64,
    /// Resident pages.
    pub rss: u64,
    pub euid: u32,
    /// Has pages locked in memory (`VmLck` in status): STAT `L`.
    pub locked: bool,
    /// Empty for kernel threads and zombies.
    pub args: Vec<String>,
}

/// The fields of /proc/PID/stat (proc(5)); `comm` may hold spaces and parentheses.
pub fn parse_stat(text: &str) -> Option<Proc> {
    let (head, tail) = text.rsplit_once(')')?;
    let (pid, comm) = head.split_once(" (")?;
    let f: Vec<&str> = tail.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok());
    let unum = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(Proc {
        pid: pid.trim().parse().ok()?,
        comm: comm.to_string(),
        state: f.first()?.chars().next()?,
        ppid: num(1)? as i32,
        pgrp: num(2)? as i32,
        session: num(3)? as i32,
        tty_nr: num(4)? as u32,
        tpgid: num(5)? as i32,
        ticks: unum(11)? + unum(12)?,
        nice: num(16)?,
        threads: num(17)?,
        start: unum(19)?,
        vsize: unum(20)?,
        rss: unum(21)?,
        ..Proc::default()
    })
}

/// Read one process directory; `None` if it vanished or is unreadable meanwhile.
fn read_proc(dir: &Path) -> Option<Proc> {
    let mut p = parse_stat(&fs::read_to_string(dir.join("stat")).ok()?)?;
    let status = fs::read_to_string(dir.join("status")).unwrap_or_default();
    p.euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|u| u.parse().ok())
        .unwrap_or(0);
    p.locked = status
        .lines()
        .find_map(|l| l.strip_prefix("VmLck:"))
        .is_some_and(|v| v.split_whitespace().next() != Some("0"));
    let cmdline = fs::read(dir.join("cmdline")).unwrap_or_default();
    p.args = cmdline
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    while p.args.last().is_some_and(String::is_empty) {
        p.args.pop();
    }
    Some(p)
}

/// Every process under `root/proc`, by PID.
pub fn read_procs(root: &Path) -> Result<Vec<Proc>, PsError> {
    let path = root.join("proc");
    let dir = fs::read_dir(&path).map_err(|source| PsError::Read { path, source })?;
    let mut procs: Vec<Proc> = dir
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| read_proc(&e.path()))
        .collect();
    procs.sort_by_key(|p| p.pid);
    Ok(procs)
}

/// What the columns need to know about the machine.
#[derive(Debug, Clone, PartialEq)]
pub struct System {
    pub hz: u64,
    pub page_kb: u64,
    /// Boot time, seconds since the epoch (`btime` in /proc/stat).
    pub btime: i64,
    /// Seconds since boot.
    pub uptime: f64,
    pub mem_kb: u64,
    pub pid_width: usize,
    pub now: i64,
    /// uid → name, from /etc/passwd.
    pub users: Vec<(u32, String)>,
}

impl System {
    pub fn read(root: &Path) -> System {
        let read = |p: &str| fs::read_to_string(root.join(p)).unwrap_or_default();
        let field = |text: &str, key: &str| -> Option<u64> {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        };
        let sysconf = |name| {
            nix::unistd::sysconf(name)
                .ok()
                .flatten()
                .and_then(|v| u64::try_from(v).ok())
        };
        let pid_max = read("proc/sys/kernel/pid_max");
        System {
            hz: sysconf(nix::unistd::SysconfVar::CLK_TCK).unwrap_or(100),
            page_kb: sysconf(nix::unistd::SysconfVar::PAGE_SIZE).unwrap_or(4096) / 1024,
            btime: field(&read("proc/stat"), "btime").unwrap_or(0) as i64,
            uptime: read("proc/uptime")
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0),
            mem_kb: field(&read("proc/meminfo"), "MemTotal:").unwrap_or(0),
            // procps sizes PID columns to pid_max: 5 digits for 32768, 7 for 4194304.
            pid_width: pid_max.trim().len().clamp(5, 10),
            now: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
            users: read("etc/passwd")
                .lines()
                .filter_map(|l| {
                    let f: Vec<&str> = l.split(':').collect();
                    Some((f.get(2)?.parse().ok()?, f.first()?.to_string()))
                })
                .collect(),
        }
    }

    fn user(&self, uid: u32) -> String {
        match self.users.iter().find(|(u, _)| *u == uid) {
            // procps cuts names longer than the column and marks them with '+'.
            Some((_, name)) if name.chars().count() > 8 => {
                format!("{}+", name.chars().take(7).collect::<String>())
            }
            Some((_, name)) => name.clone(),
            None => uid.to_string(),
        }
    }
}

/// A terminal's name from its device number (Documentation/admin-guide/devices.txt).
pub fn tty_name(tty_nr: u32) -> String {
    let major = (tty_nr >> 8) & 0xfff;
    let minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    match (major, minor) {
        (0, _) => "?".into(),
        (4, m) if m < 64 => format!("tty{m}"),
        (4, m) => format!("ttyS{}", m - 64),
        (5, 0) => "tty".into(),
        (5, 1) => "console".into(),
        (136..=143, m) => format!("pts/{}", (major - 136) * 256 + m),
        (188, m) => format!("ttyUSB{m}"),
        (204, m) if m >= 64 => format!("ttyAMA{}", m - 64),
        (229, m) => format!("hvc{m}"),
        _ => format!("{major},{minor}"),
    }
}

/// CPU time as `[DD-]HH:MM:SS` (procps TIME) or `M:SS` (BSD TIME).
fn cpu_time(secs: u64, bsd: bool) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if bsd {
        format!("{}:{s:02}", secs / 60)
    } else if d > 0 {
        format!("{d}-{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Local broken-down time (year, month 0–11, day, hour, minute) of `t`.
fn local_time(t: i64) -> Option<(i32, usize, i32, i32, i32)> {
    // SAFETY: libc::tm is plain data (integers and a nullable pointer); all-zero is valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call; localtime_r is reentrant.
    if unsafe { libc::localtime_r(&(t as libc::time_t), &mut tm) }.is_null() {
        return None;
    }
    let month = usize::try_from(tm.tm_mon).ok()?;
    Some((tm.tm_year + 1900, month, tm.tm_mday, tm.tm_hour, tm.tm_min))
}

/// STIME/START: `HH:MM` within a day, `MonDD` within a year, else the year.
fn start_text(age_secs: i64, (year, mon, day, hour, min): (i32, usize, i32, i32, i32)) -> String {
    if age_secs < 86400 {
        format!("{hour:02}:{min:02}")
    } else if age_secs < 365 * 86400 {
        format!("{}{day:02}", MONTHS.get(mon).unwrap_or(&"???"))
    } else {
        year.to_string()
    }
}

fn stat_text(p: &Proc) -> String {
    let mut s = p.state.to_string();
    if p.nice < 0 {
        s.push('<');
    } else if p.nice > 0 {
        s.push('N');
    }
    if p.locked {
        s.push('L');
    }
    if p.pid == p.session {
        s.push('s');
    }
    if p.threads > 1 {
        s.push('l');
    }
    if p.tty_nr != 0 && p.pgrp == p.tpgid {
        s.push('+');
    }
    s
}

/// Replace control characters so a hostile command line cannot drive the terminal.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn cell(col: Col, p: &Proc, sys: &System) -> String {
    let hz = sys.hz.max(1);
    let elapsed = sys.uptime - p.start as f64 / hz as f64;
    // procps: tenths of a percent of one CPU over the process's lifetime.
    let pcpu = if elapsed > 0.0 {
        (p.ticks as f64 / hz as f64 * 1000.0 / elapsed) as u64
    } else {
        0
    };
    let zombie = p.state == 'Z';
    match col {
        Col::User => sys.user(p.euid),
        Col::Pid => p.pid.to_string(),
        Col::Ppid => p.ppid.to_string(),
        Col::C => (pcpu / 10).min(99).to_string(),
        Col::Cpu => format!("{}.{}", pcpu / 10, pcpu % 10),
        Col::Mem => {
            let pmem = (p.rss * sys.page_kb * 1000)
                .checked_div(sys.mem_kb)
                .unwrap_or(0);
            format!("{}.{}", pmem / 10, pmem % 10)
        }
        Col::Vsz => (p.vsize / 1024).to_string(),
        Col::Rss => (p.rss * sys.page_kb).to_string(),
        Col::Tty => tty_name(p.tty_nr),
        Col::Stat => stat_text(p),
        Col::Start => {
            let started = sys.btime + (p.start / hz) as i64;
            local_time(started).map_or("?".into(), |t| start_text(sys.now - started, t))
        }
        Col::Time => cpu_time(p.ticks / hz, false),
        Col::BsdTime => cpu_time(p.ticks / hz, true),
        Col::Comm if zombie => format!("{} <defunct>", printable(&p.comm)),
        Col::Comm => printable(&p.comm),
        Col::Args if zombie => format!("[{}] <defunct>", printable(&p.comm)),
        Col::Args if p.args.is_empty() => format!("[{}]", printable(&p.comm)),
        Col::Args => printable(&p.args.join(" ")),
    }
}

fn width(col: Col, sys: &System) -> (usize, bool) {
    // (width, left-aligned)
    match col {
        Col::User | Col::Tty => (8, true),
        Col::Pid | Col::Ppid => (sys.pid_width, false),
        Col::C => (2, false),
        Col::Cpu | Col::Mem => (4, false),
        Col::Vsz => (6, false),
        Col::Rss => (5, false),
        Col::Stat => (4, true),
        Col::Start => (5, true),
        Col::Time => (8, false),
        Col::BsdTime => (6, false),
        Col::Comm | Col::Args => (0, true),
    }
}

fn selected(sel: &Select, p: &Proc, me: Option<&Proc>) -> bool {
    let mine = |f: fn(&Proc) -> u32| me.is_some_and(|m| f(m) == f(p));
    match sel {
        Select::All => true,
        Select::WithTty => p.tty_nr != 0,
        Select::SameUser => mine(|q| q.euid),
        Select::Mine => mine(|q| q.euid) && mine(|q| q.tty_nr),
        Select::Pids(pids) => pids.contains(&p.pid),
    }
}

/// The table ps prints: header, then one line per selected process.
pub fn render(
    o: &Options,
    procs: &[Proc],
    me: Option<&Proc>,
    sys: &System,
    out: &mut dyn Write,
) -> io::Result<()> {
    let line = |cells: &mut dyn Iterator<Item = (Col, String)>| {
        let mut s = String::new();
        let mut cells = cells.peekable();
        while let Some((col, text)) = cells.next() {
            let (w, left) = width(col, sys);
            match (cells.peek().is_none(), left) {
                (true, _) => s.push_str(&text),
                (false, true) => s.push_str(&format!("{text:<w$} ")),
                (false, false) => s.push_str(&format!("{text:>w$} ")),
            }
        }
        s.truncate(s.trim_end().len());
        s
    };
    writeln!(
        out,
        "{}",
        line(&mut o.format.iter().map(|&(c, h)| (c, h.to_string())))
    )?;
    for p in procs.iter().filter(|p| selected(&o.select, p, me)) {
        let text = line(&mut o.format.iter().map(|&(c, _)| (c, cell(c, p, sys))));
        writeln!(out, "{text}")?;
    }
    Ok(())
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let root = Path::new("/");
    let procs = read_procs(root)?;
    let me = read_proc(&root.join("proc/self"));
    let sys = System::read(root);
    let mut out = BufWriter::new(io::stdout().lock());
    render(&o, &procs, me.as_ref(), &sys, &mut out)
        .and_then(|()| out.flush())
        .map_err(PsError::Write)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("ps")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn parse_table() {
        let cases = [
            ("", Select::Mine, DEFAULT),
            ("-e", Select::All, DEFAULT),
            ("-A", Select::All, DEFAULT),
            ("-ef", Select::All, FULL),
            ("-e -f", Select::All, FULL),
            ("-f", Select::Mine, FULL),
            ("aux", Select::All, USER),
            ("auxww", Select::All, USER),
            ("ax", Select::All, BSD),
            ("a", Select::WithTty, BSD),
            ("x", Select::SameUser, BSD),
            ("u", Select::Mine, USER),
            ("-p 1,2", Select::Pids(vec![1, 2]), DEFAULT),
            ("-fp1", Select::Pids(vec![1]), FULL),
        ];
        for (line, select, format) in cases {
            assert_eq!(
                Options::parse(args(line)),
                Ok(Options { select, format }),
                "{line}"
            );
        }
        let errors = [
            ("-z", "invalid option -- 'z'"),
            ("-p", "option -p needs a PID list"),
            ("-p x", "invalid process id 'x'"),
            ("auxq", "unsupported option 'q'"),
        ];
        for (line, want) in errors {
            assert_eq!(
                Options::parse(args(line)),
                Err(UsageError(want.into())),
                "{line}"
            );
        }
    }

    #[test]
    fn stat_parsing() {
        let line = "1234 (my (odd) prog) S 1 1234 1234 34816 1240 4194304 100 0 0 0 250 50 0 0 \
                    20 -5 3 0 5000 10485760 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1";
        let p = parse_stat(line).expect("parse");
        let want = Proc {
            pid: 1234,
            comm: "my (odd) prog".into(),
            state: 'S',
            ppid: 1,
            pgrp: 1234,
            session: 1234,
            tty_nr: 34816,
            tpgid: 1240,
            ticks: 300,
            nice: -5,
            threads: 3,
            start: 5000,
            vsize: 10485760,
            rss: 300,
            ..Proc::default()
        };
        assert_eq!(p, want);
        assert_eq!(parse_stat("12 (x) S 1"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn small_formatters() {
        let ttys = [
            (0, "?"),
            (0x0401, "tty1"),
            (0x0440, "ttyS0"),
            (0x0501, "console"),
            (0x8800, "pts/0"),
            (0x8803, "pts/3"),
            (0x8900, "pts/256"),
            (0x8800 | (1 << 20), "pts/256"),
            (0xe500, "hvc0"),
            (0x0a00 | 7, "10,7"),
        ];
        for (nr, want) in ttys {
            assert_eq!(tty_name(nr), want, "{nr:#x}");
        }
        let times = [
            (0, false, "00:00:00"),
            (3725, false, "01:02:05"),
            (90061, false, "1-01:01:01"),
            (0, true, "0:00"),
            (7265, true, "121:05"),
        ];
        for (secs, bsd, want) in times {
            assert_eq!(cpu_time(secs, bsd), want);
        }
        let t = (2026, 10, 28, 4, 20);
        assert_eq!(start_text(60, t), "04:20");
        assert_eq!(start_text(2 * 86400, t), "Nov28");
        assert_eq!(start_text(400 * 86400, t), "2026");
        let p = |state, nice, session, threads, tpgid| Proc {
            locked: state == 'R',
            pid: 10,
            pgrp: 10,
            tty_nr: 0x8800,
            state,
            nice,
            session,
            threads,
            tpgid,
            ..Proc::default()
        };
        assert_eq!(stat_text(&p('S', 0, 10, 1, 10)), "Ss+");
        assert_eq!(stat_text(&p('R', -20, 1, 4, 11)), "R<Ll");
        assert_eq!(stat_text(&p('Z', 5, 1, 1, 1)), "ZN");
        assert_eq!(printable("a\x1b[2Jb\tc"), "a?[2Jb?c");
    }

    fn write_proc(root: &Path, pid: i32, comm: &str, state: char, tty: u32, uid: u32, cmd: &[u8]) {
        let dir = root.join(format!("proc/{pid}"));
        fs::create_dir_all(&dir).expect("mkdir");
        let stat = format!(
            "{pid} ({comm}) {state} 1 {pid} {pid} {tty} {pid} 0 0 0 0 0 6000 600 0 0 20 0 1 0 \
             {} 8192000 250 0 0 0 0 0",
            100 * 100
        );
        fs::write(dir.join("stat"), stat).expect("write");
        fs::write(
            dir.join("status"),
            format!("Name:\t{comm}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n"),
        )
        .expect("write");
        fs::write(dir.join("cmdline"), cmd).expect("write");
    }

    /// A fake /proc with init, a kernel thread, a shell on pts/0, a zombie and a long-named user.
    fn fake_root() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = dir.path();
        write_proc(r, 1, "init", 'S', 0, 0, b"/sbin/init\0");
        write_proc(r, 2, "kthreadd", 'S', 0, 0, b"");
        write_proc(r, 300, "sh", 'S', 0x8800, 1000, b"-sh\0");
        write_proc(r, 301, "defunct", 'Z', 0x8800, 1000, b"");
        write_proc(
            r,
            302,
            "daemon",
            'S',
            0,
            999,
            b"/usr/bin/daemon\0--foreground\0",
        );
        fs::create_dir_all(r.join("proc/sys/kernel")).expect("mkdir");
        fs::create_dir_all(r.join("etc")).expect("mkdir");
        fs::write(r.join("proc/sys/kernel/pid_max"), "32768\n").expect("write");
        fs::write(r.join("proc/stat"), "cpu 1 2 3\nbtime 1700000000\n").expect("write");
        fs::write(r.join("proc/uptime"), "1000.00 900.00\n").expect("write");
        fs::write(r.join("proc/meminfo"), "MemTotal:  1000000 kB\n").expect("write");
        fs::write(
            r.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n\
             systemd-network:x:999:999::/:/bin/false\n",
        )
        .expect("write");
        dir
    }

    fn table(root: &Path, line: &str, me: i32) -> String {
        let procs = read_procs(root).expect("procs");
        let me = procs.iter().find(|p| p.pid == me);
        let mut sys = System::read(root);
        (sys.hz, sys.page_kb, sys.now) = (100, 4, 1_700_000_500);
        let mut out = Vec::new();
        let o = Options::parse(args(line)).expect("parse");
        render(&o, &procs, me, &sys, &mut out).expect("render");
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn tables_like_procps() {
        let dir = fake_root();
        let r = dir.path();
        let ef = table(r, "-ef", 300);
        let ef: Vec<&str> = ef.lines().collect();
        assert_eq!(ef[0], "UID        PID  PPID  C STIME TTY          TIME CMD");
        // 66 s of CPU over 900 s of life: 7.3 % → C 7. Started 100 s after a boot 500 s ago.
        let started = local_time(1_700_000_100)
            .map(|t| start_text(400, t))
            .expect("time");
        assert_eq!(
            ef[1],
            format!("root         1     1  7 {started} ?        00:01:06 /sbin/init")
        );
        assert!(ef[2].ends_with(" [kthreadd]"), "{}", ef[2]);
        assert!(ef[3].starts_with("user       300 ") && ef[3].contains(" pts/0    "));
        assert!(ef[4].ends_with(" [defunct] <defunct>"), "{}", ef[4]);
        assert!(ef[5].starts_with("systemd+   302 "), "{}", ef[5]);
        assert!(
            ef[5].ends_with(" /usr/bin/daemon --foreground"),
            "{}",
            ef[5]
        );

        let aux = table(r, "aux", 300);
        let aux: Vec<&str> = aux.lines().collect();
        assert_eq!(
            aux[0],
            "USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND"
        );
        // 250 pages of 4 KiB = 1000 KiB of 1000000 KiB: 0.1 %.
        assert_eq!(
            aux[1],
            format!(
                "root         1  7.3  0.1   8000  1000 ?        Ss   {started}   1:06 /sbin/init"
            )
        );
        assert!(
            aux[4].contains(" Z+  ") || aux[4].contains(" Zs+ "),
            "{}",
            aux[4]
        );

        // Default: same user, same terminal as ps itself; CMD is the short name.
        assert_eq!(
            table(r, "", 300),
            "  PID TTY          TIME CMD\n  300 pts/0    00:01:06 sh\n  301 pts/0    00:01:06 defunct <defunct>\n"
        );
        assert_eq!(
            table(r, "-p 2", 300).lines().nth(1),
            Some("    2 ?        00:01:06 kthreadd")
        );
        assert_eq!(table(r, "x", 302).lines().count(), 2);
    }
}
