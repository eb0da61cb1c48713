//! `ps`: report a snapshot of the current processes, read from /proc. procps ps(1) subset.
//!
//! usage: ps [-e|-A] [-f] [-p PIDS] [-u USERS] [-C NAMES] [-o FIELDS] [--no-headers] | ps [a][u][x][h]
//!
//! Columns and their widths follow procps-ng 4: `ps` (PID TTY TIME CMD), `ps -ef`
//! (UID PID PPID C STIME TTY TIME CMD), `ps aux` (USER PID %CPU %MEM VSZ RSS TTY STAT START
//! TIME COMMAND) and `-o FIELD[=HEADER],...` with procps's field names and headers (numbers
//! right-aligned, text left). Kernel threads show as `[name]`, zombies as `<defunct>`.
//! Selections (-e, -p, -u, -C) add up like procps's; ps exits 1 when it lists no process.

use std::ffi::OsString;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::error::{io_reason, AppletError, AppletResult, UsageError};
#[cfg(test)]
use crate::procinfo::parse_stat;
use crate::procinfo::{local_time, read_proc, read_procs, tty_name, Proc, ProcError, System, Tm};

pub const USAGE: &str = "\
usage: ps [-e|-A] [-f] [-p PIDS] [-u USERS] [-C NAMES] [-o FIELDS] [--no-headers]
       ps [a][u][x][h]
Without options: the processes of the current user on the current terminal.
  -e, -A     every process          -f   full format (UID PPID C STIME)
  -p PIDS    these processes        -u USERS   processes of these (effective) users
  -C NAMES   these command names    -o FIELD[=HEADER][,...]  choose the columns
  --no-headers  no header line
  a  processes with a terminal, x  processes without one, u  user format, h  no header
Fields: pid ppid pgid sid tty user uid gid group comm args cmd stat s nice pri %cpu %mem
  vsz rss time etime start_time lstart nlwp wchan
";

#[derive(Debug, thiserror::Error)]
pub enum PsError {
    #[error(transparent)]
    Proc(#[from] ProcError),
    #[error("{0}: user name does not exist")]
    NoUser(String),
    #[error("write error: {}", io_reason(.0))]
    Write(io::Error),
}

impl AppletError for PsError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    User,
    Uid,
    Gid,
    Group,
    Pid,
    Ppid,
    Pgid,
    Sid,
    C,
    Cpu,
    Mem,
    Vsz,
    Rss,
    Tty,
    Stat,
    State,
    Nice,
    Pri,
    Nlwp,
    Start,
    Lstart,
    Etime,
    Time,
    BsdTime,
    Wchan,
    Comm,
    Args,
}

/// `-o` names → (column, procps's default header).
const FIELDS: &[(&str, Col, &str)] = &[
    ("%cpu", Col::Cpu, "%CPU"),
    ("%mem", Col::Mem, "%MEM"),
    ("args", Col::Args, "COMMAND"),
    ("cmd", Col::Args, "CMD"),
    ("comm", Col::Comm, "COMMAND"),
    ("command", Col::Args, "COMMAND"),
    ("cputime", Col::Time, "TIME"),
    ("egid", Col::Gid, "EGID"),
    ("egroup", Col::Group, "EGROUP"),
    ("etime", Col::Etime, "ELAPSED"),
    ("euid", Col::Uid, "EUID"),
    ("euser", Col::User, "EUSER"),
    ("gid", Col::Gid, "GID"),
    ("group", Col::Group, "GROUP"),
    ("lstart", Col::Lstart, "STARTED"),
    ("ni", Col::Nice, "NI"),
    ("nice", Col::Nice, "NI"),
    ("nlwp", Col::Nlwp, "NLWP"),
    ("pcpu", Col::Cpu, "%CPU"),
    ("pgid", Col::Pgid, "PGID"),
    ("pgrp", Col::Pgid, "PGRP"),
    ("pid", Col::Pid, "PID"),
    ("pmem", Col::Mem, "%MEM"),
    ("ppid", Col::Ppid, "PPID"),
    ("pri", Col::Pri, "PRI"),
    ("rss", Col::Rss, "RSS"),
    ("rssize", Col::Rss, "RSS"),
    ("s", Col::State, "S"),
    ("sess", Col::Sid, "SESS"),
    ("sid", Col::Sid, "SID"),
    ("start_time", Col::Start, "START"),
    ("stat", Col::Stat, "STAT"),
    ("state", Col::State, "S"),
    ("thcount", Col::Nlwp, "THCNT"),
    ("time", Col::Time, "TIME"),
    ("tname", Col::Tty, "TTY"),
    ("tt", Col::Tty, "TT"),
    ("tty", Col::Tty, "TT"),
    ("ucmd", Col::Comm, "CMD"),
    ("ucomm", Col::Comm, "COMMAND"),
    ("uid", Col::Uid, "UID"),
    ("uname", Col::User, "USER"),
    ("user", Col::User, "USER"),
    ("vsize", Col::Vsz, "VSZ"),
    ("vsz", Col::Vsz, "VSZ"),
    ("wchan", Col::Wchan, "WCHAN"),
];

/// (column, header); the last column is never padded.
type Format = Vec<(Col, String)>;

fn format(cols: &[(Col, &str)]) -> Format {
    cols.iter().map(|&(c, h)| (c, h.to_string())).collect()
}

const DEFAULT: &[(Col, &str)] = &[
    (Col::Pid, "PID"),
    (Col::Tty, "TTY"),
    (Col::Time, "TIME"),
    (Col::Comm, "CMD"),
];
const FULL: &[(Col, &str)] = &[
    (Col::User, "UID"),
    (Col::Pid, "PID"),
    (Col::Ppid, "PPID"),
    (Col::C, "C"),
    (Col::Start, "STIME"),
    (Col::Tty, "TTY"),
    (Col::Time, "TIME"),
    (Col::Args, "CMD"),
];
const USER: &[(Col, &str)] = &[
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
const BSD: &[(Col, &str)] = &[
    (Col::Pid, "PID"),
    (Col::Tty, "TTY"),
    (Col::Stat, "STAT"),
    (Col::BsdTime, "TIME"),
    (Col::Args, "COMMAND"),
];

/// Which processes to show: a process is listed when any given criterion matches;
/// with none given, ps shows its own user's processes on its own terminal.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Select {
    all: bool,
    /// BSD `a`: every process that has a terminal.
    with_tty: bool,
    /// BSD `x`: every process of the same effective user.
    same_user: bool,
    pids: Vec<i32>,
    /// `-u`: effective user names or uids (resolved when listing).
    users: Vec<String>,
    /// `-C`: command names (comm).
    comms: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    select: Select,
    format: Format,
    headers: bool,
}

/// `-o pid,comm=NAME,args`: procps ends a header at the next comma.
fn parse_fields(list: &str, out: &mut Format) -> Result<(), UsageError> {
    for item in list.split([',', ' ']).filter(|i| !i.is_empty()) {
        let (name, header) = match item.split_once('=') {
            Some((n, h)) => (n, Some(h)),
            None => (item, None),
        };
        let &(_, col, default) = FIELDS
            .iter()
            .find(|f| f.0 == name.to_ascii_lowercase())
            .ok_or_else(|| {
                UsageError(format!("unknown user-defined format specifier \"{name}\""))
            })?;
        out.push((col, header.unwrap_or(default).to_string()));
    }
    Ok(())
}

fn list_items(list: &str) -> Vec<String> {
    list.split([',', ' '])
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut full = false;
        let (mut bsd_a, mut bsd_u, mut bsd_x, mut bsd) = (false, false, false, false);
        let mut select = Select::default();
        let mut fields = Format::new();
        let mut headers = true;
        let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
        while let Some(arg) = it.next() {
            if arg == "--no-headers" || arg == "--no-heading" {
                headers = false;
            } else if let Some(letters) = arg.strip_prefix('-') {
                for (i, c) in letters.char_indices() {
                    match c {
                        'e' | 'A' => select.all = true,
                        'f' => full = true,
                        'p' | 'o' | 'u' | 'C' => {
                            let list = match &letters[i + 1..] {
                                "" => it.next().ok_or_else(|| {
                                    UsageError(format!("option -{c} needs an argument"))
                                })?,
                                rest => rest.to_string().into(),
                            };
                            match c {
                                'p' => select.pids.extend(parse_pids(&list)?),
                                'o' => parse_fields(&list, &mut fields)?,
                                'u' => select.users.extend(list_items(&list)),
                                _ => select.comms.extend(list_items(&list)),
                            }
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
                        'h' => headers = false,
                        // Wide output: lines are never cut here anyway.
                        'w' => {}
                        _ => return Err(UsageError(format!("unsupported option '{c}'"))),
                    }
                }
            }
        }
        if bsd_a && bsd_x {
            select.all = true;
        } else {
            (select.with_tty, select.same_user) = (bsd_a, bsd_x);
        }
        let format = if !fields.is_empty() {
            fields
        } else if bsd_u {
            format(USER)
        } else if bsd {
            format(BSD)
        } else if full {
            format(FULL)
        } else {
            format(DEFAULT)
        };
        Ok(Options {
            select,
            format,
            headers,
        })
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

/// A user name for a USER column: procps cuts names longer than 8 and marks them with '+'.
fn user_text(sys: &System, uid: u32) -> String {
    match sys.user_name(uid) {
        Some(name) if name.chars().count() > 8 => {
            format!("{}+", name.chars().take(7).collect::<String>())
        }
        Some(name) => name.to_string(),
        None => uid.to_string(),
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

/// ELAPSED: `[[DD-]HH:]MM:SS`.
fn elapsed_text(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:{s:02}")
    } else if h > 0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// STIME/START: `HH:MM` within a day, `MonDD` within a year, else the year.
fn start_text(age_secs: i64, t: Tm) -> String {
    if age_secs < 86400 {
        format!("{:02}:{:02}", t.hour, t.min)
    } else if age_secs < 365 * 86400 {
        format!("{}{:02}", MONTHS.get(t.mon).unwrap_or(&"???"), t.mday)
    } else {
        t.year.to_string()
    }
}

/// STARTED: ctime(3) form, `Tue Dec  1 20:07:51 2026`.
fn lstart_text(t: i64) -> String {
    local_time(t).map_or("?".into(), |t| {
        format!(
            "{} {} {:2} {:02}:{:02}:{:02} {}",
            DAYS.get(t.wday).unwrap_or(&"???"),
            MONTHS.get(t.mon).unwrap_or(&"???"),
            t.mday,
            t.hour,
            t.min,
            t.sec,
            t.year
        )
    })
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
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// What the kernel says the process sleeps in (/proc/PID/wchan); `-` when running.
fn wchan(root: &Path, pid: i32) -> String {
    let w = fs::read_to_string(root.join(format!("proc/{pid}/wchan"))).unwrap_or_default();
    match w.trim() {
        "" | "0" => "-".into(),
        w => w.to_string(),
    }
}

/// procps %CPU: tenths of a percent of one CPU over the process's lifetime.
fn pcpu_tenths(p: &Proc, sys: &System) -> u64 {
    let hz = sys.hz.max(1);
    let elapsed = sys.uptime - p.start as f64 / hz as f64;
    if elapsed > 0.0 {
        (p.ticks as f64 / hz as f64 * 1000.0 / elapsed) as u64
    } else {
        0
    }
}

fn cell(col: Col, p: &Proc, sys: &System, root: &Path) -> String {
    let hz = sys.hz.max(1);
    let pcpu = pcpu_tenths(p, sys);
    let started = sys.btime + (p.start / hz) as i64;
    let zombie = p.state == 'Z';
    match col {
        Col::User => user_text(sys, p.euid),
        Col::Uid => p.euid.to_string(),
        Col::Gid => p.egid.to_string(),
        Col::Group => sys
            .group_name(p.egid)
            .map_or_else(|| p.egid.to_string(), str::to_string),
        Col::Pid => p.pid.to_string(),
        Col::Ppid => p.ppid.to_string(),
        Col::Pgid => p.pgrp.to_string(),
        Col::Sid => p.session.to_string(),
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
        Col::State => p.state.to_string(),
        // procps: real-time processes have no nice value.
        Col::Nice if matches!(p.policy, 1 | 2) => "-".into(),
        Col::Nice => p.nice.to_string(),
        // procps: 39 - priority, so nice 0 is 19 and real-time priorities go above 39.
        Col::Pri => (39 - p.priority).to_string(),
        Col::Nlwp => p.threads.to_string(),
        Col::Start => local_time(started).map_or("?".into(), |t| start_text(sys.now - started, t)),
        Col::Lstart => lstart_text(started),
        Col::Etime => {
            let age = sys.uptime - p.start as f64 / hz as f64;
            elapsed_text(age.max(0.0) as u64)
        }
        Col::Time => cpu_time(p.ticks / hz, false),
        Col::BsdTime => cpu_time(p.ticks / hz, true),
        Col::Wchan => wchan(root, p.pid),
        Col::Comm if zombie => format!("{} <defunct>", printable(&p.comm)),
        Col::Comm => printable(&p.comm),
        Col::Args if zombie => format!("[{}] <defunct>", printable(&p.comm)),
        Col::Args if p.args.is_empty() => format!("[{}]", printable(&p.comm)),
        Col::Args => printable(&p.args.join(" ")),
    }
}

/// (width, left-aligned, cut to width when not last).
fn width(col: Col, sys: &System) -> (usize, bool, bool) {
    match col {
        Col::User | Col::Tty | Col::Group => (8, true, false),
        Col::Uid | Col::Gid => (5, false, false),
        Col::Pid | Col::Ppid | Col::Pgid | Col::Sid => (sys.pid_width, false, false),
        Col::C => (2, false, false),
        Col::Cpu | Col::Mem | Col::Nlwp => (4, false, false),
        Col::Nice | Col::Pri => (3, false, false),
        Col::Vsz => (6, false, false),
        Col::Rss => (5, false, false),
        Col::Stat => (4, true, false),
        Col::State => (1, true, false),
        Col::Start => (5, true, false),
        Col::Lstart => (24, false, false),
        Col::Etime => (11, false, false),
        Col::Time => (8, false, false),
        Col::BsdTime => (6, false, false),
        Col::Wchan => (6, true, true),
        Col::Comm => (15, true, true),
        Col::Args => (27, true, true),
    }
}

fn selected(sel: &Select, p: &Proc, me: Option<&Proc>, sys: &System) -> bool {
    let mine = |f: fn(&Proc) -> u32| me.is_some_and(|m| f(m) == f(p));
    let any_given = sel.all
        || sel.with_tty
        || sel.same_user
        || !sel.pids.is_empty()
        || !sel.users.is_empty()
        || !sel.comms.is_empty();
    if !any_given {
        return mine(|q| q.euid) && mine(|q| q.tty_nr);
    }
    sel.all
        || (sel.with_tty && p.tty_nr != 0)
        || (sel.same_user && mine(|q| q.euid))
        || sel.pids.contains(&p.pid)
        || sel.users.iter().any(|u| sys.uid_of(u) == Some(p.euid))
        || sel.comms.contains(&p.comm)
}

/// The table ps prints: header, then one line per selected process; how many it listed.
pub fn render(
    o: &Options,
    procs: &[Proc],
    me: Option<&Proc>,
    sys: &System,
    root: &Path,
    out: &mut dyn Write,
) -> io::Result<usize> {
    let line = |cells: &mut dyn Iterator<Item = (Col, &str, String)>| {
        let mut s = String::new();
        let mut cells = cells.peekable();
        while let Some((col, header, text)) = cells.next() {
            let (w, left, cut) = width(col, sys);
            let w = w.max(header.chars().count());
            let text = if cut && text.chars().count() > w && cells.peek().is_some() {
                text.chars().take(w).collect()
            } else {
                text
            };
            // Text at the end of the line is not padded; numbers are right-aligned anyway.
            match (cells.peek().is_none(), left) {
                (true, true) => s.push_str(&text),
                (false, true) => s.push_str(&format!("{text:<w$} ")),
                (_, false) => s.push_str(&format!("{text:>w$} ")),
            }
        }
        s.truncate(s.trim_end().len());
        s
    };
    if o.headers && o.format.iter().any(|(_, h)| !h.is_empty()) {
        let mut cells = o.format.iter().map(|(c, h)| (*c, h.as_str(), h.clone()));
        writeln!(out, "{}", line(&mut cells))?;
    }
    let mut listed = 0;
    for p in procs.iter().filter(|p| selected(&o.select, p, me, sys)) {
        let mut cells = o
            .format
            .iter()
            .map(|(c, h)| (*c, h.as_str(), cell(*c, p, sys, root)));
        writeln!(out, "{}", line(&mut cells))?;
        listed += 1;
    }
    Ok(listed)
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let root = Path::new("/");
    let procs = read_procs(root).map_err(PsError::from)?;
    let me = read_proc(&root.join("proc/self"));
    let sys = System::read(root);
    if let Some(u) = o.select.users.iter().find(|u| sys.uid_of(u).is_none()) {
        return Err(PsError::NoUser(u.clone()).into());
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let listed = render(&o, &procs, me.as_ref(), &sys, root, &mut out)
        .and_then(|n| out.flush().map(|()| n))
        .map_err(PsError::Write)?;
    Ok(if listed == 0 { 1 } else { 0 })
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
        let sel = |f: fn(&mut Select)| {
            let mut s = Select::default();
            f(&mut s);
            s
        };
        let all = || sel(|s| s.all = true);
        let cases = [
            ("", Select::default(), DEFAULT),
            ("-e", all(), DEFAULT),
            ("-A", all(), DEFAULT),
            ("-ef", all(), FULL),
            ("-e -f", all(), FULL),
            ("-f", Select::default(), FULL),
            ("aux", all(), USER),
            ("auxww", all(), USER),
            ("ax", all(), BSD),
            ("a", sel(|s| s.with_tty = true), BSD),
            ("x", sel(|s| s.same_user = true), BSD),
            ("u", Select::default(), USER),
            ("-p 1,2", sel(|s| s.pids = vec![1, 2]), DEFAULT),
            ("-fp1", sel(|s| s.pids = vec![1]), FULL),
            (
                "-u root -C sh,init",
                sel(|s| {
                    s.users = vec!["root".into()];
                    s.comms = vec!["sh".into(), "init".into()];
                }),
                DEFAULT,
            ),
        ];
        for (line, select, want) in cases {
            assert_eq!(
                Options::parse(args(line)),
                Ok(Options {
                    select,
                    format: format(want),
                    headers: true
                }),
                "{line}"
            );
        }
        let o = Options::parse(args("-o pid=P,comm -o %cpu,cmd= --no-headers")).expect("parse");
        let want = [
            (Col::Pid, "P"),
            (Col::Comm, "COMMAND"),
            (Col::Cpu, "%CPU"),
            (Col::Args, ""),
        ];
        assert_eq!(o.format, format(&want));
        assert!(!o.headers);
        assert!(!Options::parse(args("h")).expect("parse").headers);
        let errors = [
            ("-z", "invalid option -- 'z'"),
            ("-p", "option -p needs an argument"),
            (
                "-o bogus",
                "unknown user-defined format specifier \"bogus\"",
            ),
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
            priority: 20,
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
        let t = Tm {
            year: 2026,
            mon: 10,
            mday: 28,
            hour: 4,
            min: 20,
            sec: 0,
            wday: 6,
        };
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
        render(&o, &procs, me, &sys, root, &mut out).expect("render");
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

    #[test]
    fn o_fields_like_procps() {
        let dir = fake_root();
        let r = dir.path();
        let cases: [(&str, &str); 5] = [
            (
                "-o pid,ppid,pgid,sid,user,uid,ni,pri,s,nlwp,etime,comm -p 300",
                "  PID  PPID  PGID   SID USER       UID  NI PRI S NLWP     ELAPSED COMMAND\n  \
                 300     1   300   300 user      1000   0  19 S    1       15:00 sh\n",
            ),
            (
                "-o args,pid -p 302",
                "COMMAND                       PID\n/usr/bin/daemon --foregroun   302\n",
            ),
            ("-o pid= -p 1,2", "    1\n    2\n"),
            ("-o pid=NUMBER,tty -p 300", "NUMBER TT\n   300 pts/0\n"),
            (
                "--no-headers -C kthreadd -u 999",
                "    2 ?        00:01:06 kthreadd\n  302 ?        00:01:06 daemon\n",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(table(r, line, 300), want, "{line}");
        }
        assert_eq!(table(r, "-p 999", 300).lines().count(), 1);
        assert!(lstart_text(1_700_000_100).len() == 24);
        let elapsed = [(5, "00:05"), (3725, "01:02:05"), (90061, "1-01:01:01")];
        for (secs, want) in elapsed {
            assert_eq!(elapsed_text(secs), want);
        }
    }
}
