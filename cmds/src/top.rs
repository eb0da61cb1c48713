//! `top`: a live view of the system and its busiest processes. procps-ng 4 top(1) subset.
//!
//! usage: top [-b] [-n N] [-d SECS] [-p PID[,PID]] [-o FIELD] [-c] [-w COLS]
//!
//! The five summary lines and the `PID USER PR NI VIRT RES SHR S %CPU %MEM TIME+ COMMAND`
//! table follow procps's default screen. %CPU is measured between two samples of
//! /proc/PID/stat (the first frame samples over a fifth of a second), as a share of one CPU.
//! Interactive on a terminal: raw mode (termios, restored on every way out), ANSI sequences
//! only, the size from TIOCGWINSZ, else LINES/COLUMNS, else 80x24. Keys: q (or Ctrl-C) quits,
//! P/M/N/T sort by CPU, memory, PID, time; c toggles command lines; space redraws.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{io_reason, AppletResult, Failure, UsageError};
use crate::procinfo::{
    clock_text, now, read_cpu_times, read_loadavg, read_meminfo, read_procs, up_text, uptime,
    MemInfo, Proc, System,
};

pub const USAGE: &str = "\
usage: top [-b] [-n N] [-d SECS] [-p PID[,PID...]] [-o FIELD] [-c] [-w COLS]
Show the system summary and the processes using the most CPU, refreshed every SECS (3).
  -b  batch mode (plain text, every process)    -n N  stop after N frames
  -d SECS  delay between frames   -p PIDS  only these   -o FIELD  sort by FIELD (%CPU,
  %MEM, PID, TIME+, RES, VIRT, USER, COMMAND…; -FIELD reverses)   -c  command lines
  -w COLS  width in batch mode
Keys: q quit, P sort by %CPU, M by %MEM, N by PID, T by TIME+, c command lines, space redraw
";

/// Which column orders the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Pid,
    User,
    Pr,
    Ni,
    Virt,
    Res,
    Shr,
    State,
    Cpu,
    Mem,
    Time,
    Command,
}

const SORT_NAMES: &[(&str, SortKey)] = &[
    ("PID", SortKey::Pid),
    ("USER", SortKey::User),
    ("PR", SortKey::Pr),
    ("NI", SortKey::Ni),
    ("VIRT", SortKey::Virt),
    ("RES", SortKey::Res),
    ("SHR", SortKey::Shr),
    ("S", SortKey::State),
    ("%CPU", SortKey::Cpu),
    ("%MEM", SortKey::Mem),
    ("TIME+", SortKey::Time),
    ("TIME", SortKey::Time),
    ("COMMAND", SortKey::Command),
];

#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    batch: bool,
    frames: Option<u64>,
    delay: f64,
    pids: Vec<i32>,
    sort: SortKey,
    /// Low to high (`-o -FIELD`); numbers otherwise go high to low, as procps.
    ascending: bool,
    cmdline: bool,
    width: Option<usize>,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            batch: false,
            frames: None,
            delay: 3.0,
            pids: Vec::new(),
            sort: SortKey::Cpu,
            ascending: false,
            cmdline: false,
            width: None,
        };
        let args: Vec<String> = crate::operands(&args);
        let mut i = 0;
        while let Some(arg) = args.get(i) {
            i += 1;
            let Some(letters) = arg.strip_prefix('-').filter(|l| !l.is_empty()) else {
                return Err(UsageError(format!("unknown argument '{arg}'")));
            };
            for (j, c) in letters.char_indices() {
                match c {
                    'b' => o.batch = true,
                    'c' => o.cmdline = true,
                    'n' | 'd' | 'p' | 'o' | 'w' => {
                        let v = match &letters[j + 1..] {
                            "" => {
                                i += 1;
                                args.get(i - 1)
                                    .cloned()
                                    .ok_or_else(|| UsageError(format!("-{c} requires argument")))?
                            }
                            rest => rest.to_string(),
                        };
                        o.set(c, &v)?;
                        break;
                    }
                    _ => return Err(UsageError(format!("inappropriate '{c}'"))),
                }
            }
        }
        Ok(o)
    }

    fn set(&mut self, c: char, v: &str) -> Result<(), UsageError> {
        let bad = || UsageError(format!("bad -{c} argument '{v}'"));
        match c {
            'n' => self.frames = Some(v.parse::<u64>().map_err(|_| bad())?.max(1)),
            'd' => {
                let d: f64 = v.parse().map_err(|_| bad())?;
                if !d.is_finite() || d < 0.0 {
                    return Err(bad());
                }
                self.delay = d.max(0.1);
            }
            'p' => {
                for p in v.split(',').filter(|p| !p.is_empty()) {
                    self.pids.push(p.parse().map_err(|_| bad())?);
                }
            }
            'w' => self.width = Some(v.parse::<usize>().map_err(|_| bad())?.clamp(20, 512)),
            _ => {
                let (name, ascending) = match v.strip_prefix('-') {
                    Some(n) => (n, true),
                    None => (v.strip_prefix('+').unwrap_or(v), false),
                };
                let upper = name.to_ascii_uppercase();
                self.sort = SORT_NAMES
                    .iter()
                    .find(|(n, _)| *n == upper)
                    .map(|(_, k)| *k)
                    .ok_or_else(|| UsageError(format!("unrecognized field name '{name}'")))?;
                self.ascending = ascending;
            }
        }
        Ok(())
    }
}

/// The terminal's (columns, rows): TIOCGWINSZ on stdout, else $COLUMNS/$LINES, else 80x24.
pub fn screen_size() -> (usize, usize) {
    // SAFETY: winsize is plain integers; all-zero is a valid value for the ioctl to fill.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes one winsize into the valid pointer we pass.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_col > 0 && ws.ws_row > 0 {
        return (usize::from(ws.ws_col), usize::from(ws.ws_row));
    }
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
    (
        env("COLUMNS").filter(|&c| c > 0).unwrap_or(80),
        env("LINES").filter(|&r| r > 0).unwrap_or(24),
    )
}

/// One look at the system.
pub struct Sample {
    procs: Vec<Proc>,
    /// Shared pages (third field of /proc/PID/statm), by PID.
    shared: HashMap<i32, u64>,
    cpu: [u64; 8],
    at: Instant,
}

fn sample(root: &Path) -> Result<Sample, Failure> {
    let procs = read_procs(root)?;
    let shared = procs
        .iter()
        .filter_map(|p| {
            let statm = fs::read_to_string(root.join(format!("proc/{}/statm", p.pid))).ok()?;
            Some((p.pid, statm.split_whitespace().nth(2)?.parse().ok()?))
        })
        .collect();
    Ok(Sample {
        procs,
        shared,
        cpu: read_cpu_times(root),
        at: Instant::now(),
    })
}

/// A process row's figures, between two samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub pid: i32,
    pub user: String,
    pub priority: i64,
    pub nice: i64,
    pub virt_kib: u64,
    pub res_kib: u64,
    pub shr_kib: u64,
    pub state: char,
    pub cpu: f64,
    pub mem: f64,
    pub ticks: u64,
    pub command: String,
}

/// The rows of `cur`, %CPU measured against `prev`, sorted as asked.
pub fn rows(o: &Options, cmdline: bool, prev: &Sample, cur: &Sample, sys: &System) -> Vec<Row> {
    let secs = cur.at.duration_since(prev.at).as_secs_f64().max(0.001);
    let before: HashMap<i32, u64> = prev.procs.iter().map(|p| (p.pid, p.ticks)).collect();
    let hz = sys.hz.max(1) as f64;
    let mut rows: Vec<Row> = cur
        .procs
        .iter()
        .filter(|p| o.pids.is_empty() || o.pids.contains(&p.pid))
        .map(|p| {
            // A process born since the last sample: count its whole life.
            let used = p
                .ticks
                .saturating_sub(before.get(&p.pid).copied().unwrap_or(0));
            let res_kib = p.rss * sys.page_kb;
            let name = match sys.user_name(p.euid) {
                Some(n) if n.chars().count() > 8 => {
                    format!("{}+", n.chars().take(7).collect::<String>())
                }
                Some(n) => n.to_string(),
                None => p.euid.to_string(),
            };
            let command = if cmdline && !p.args.is_empty() {
                p.args.join(" ")
            } else if cmdline {
                format!("[{}]", p.comm)
            } else {
                p.comm.clone()
            };
            Row {
                pid: p.pid,
                user: name,
                priority: p.priority,
                nice: p.nice,
                virt_kib: p.vsize / 1024,
                res_kib,
                shr_kib: cur.shared.get(&p.pid).copied().unwrap_or(0) * sys.page_kb,
                state: p.state,
                cpu: used as f64 * 100.0 / (secs * hz),
                mem: if sys.mem_kb > 0 {
                    res_kib as f64 * 100.0 / sys.mem_kb as f64
                } else {
                    0.0
                },
                ticks: p.ticks,
                command: crate::ps::printable(&command),
            }
        })
        .collect();
    sort_rows(&mut rows, o.sort, o.ascending);
    rows
}

fn sort_rows(rows: &mut [Row], key: SortKey, ascending: bool) {
    use std::cmp::Ordering as O;
    let cmp = |a: &Row, b: &Row| -> O {
        let f = |x: f64, y: f64| x.partial_cmp(&y).unwrap_or(O::Equal);
        match key {
            SortKey::Pid => a.pid.cmp(&b.pid),
            SortKey::User => a.user.cmp(&b.user),
            SortKey::Pr => a.priority.cmp(&b.priority),
            SortKey::Ni => a.nice.cmp(&b.nice),
            SortKey::Virt => a.virt_kib.cmp(&b.virt_kib),
            SortKey::Res => a.res_kib.cmp(&b.res_kib),
            SortKey::Shr => a.shr_kib.cmp(&b.shr_kib),
            SortKey::State => a.state.cmp(&b.state),
            SortKey::Cpu => f(a.cpu, b.cpu),
            SortKey::Mem => f(a.mem, b.mem),
            SortKey::Time => a.ticks.cmp(&b.ticks),
            SortKey::Command => a.command.cmp(&b.command),
        }
    };
    // procps: high to low unless reversed; the PID column reads best low to high.
    let high_first = !ascending && key != SortKey::Pid;
    rows.sort_by(|a, b| {
        let c = cmp(a, b);
        let c = if high_first { c.reverse() } else { c };
        c.then(a.pid.cmp(&b.pid))
    });
}

/// KiB in `width` characters: plain, else scaled to m, g, t like procps.
fn mem_cell(kib: u64, width: usize) -> String {
    let plain = kib.to_string();
    if plain.len() <= width {
        return plain;
    }
    let mut v = kib as f64;
    for unit in ["m", "g", "t", "p"] {
        v /= 1024.0;
        for text in [
            format!("{v:.3}{unit}"),
            format!("{v:.1}{unit}"),
            format!("{}{unit}", v as u64),
        ] {
            if text.len() <= width {
                return text;
            }
        }
    }
    plain
}

/// TIME+: `M:SS.hh`.
fn time_plus(ticks: u64, hz: u64) -> String {
    let hz = hz.max(1);
    let cs = ticks * 100 / hz;
    let (m, s, c) = (cs / 6000, cs / 100 % 60, cs % 100);
    format!("{m}:{s:02}.{c:02}")
}

/// The table header for a PID column of `pid_width`.
pub fn table_header(pid_width: usize) -> String {
    format!(
        "{:>pid_width$} {:<8} {:>3} {:>3} {:>7} {:>6} {:>6} S {:>5} {:>5} {:>9} COMMAND",
        "PID", "USER", "PR", "NI", "VIRT", "RES", "SHR", "%CPU", "%MEM", "TIME+"
    )
}

/// One table line, cut to `cols` with a `+` where the command does not fit.
pub fn table_line(r: &Row, pid_width: usize, hz: u64, cols: usize) -> String {
    // Real-time priorities (-100 and below) show as "rt".
    let pr = if r.priority <= -100 {
        "rt".to_string()
    } else {
        r.priority.to_string()
    };
    let head = format!(
        "{:>pid_width$} {:<8} {:>3} {:>3} {:>7} {:>6} {:>6} {} {:>5.1} {:>5.1} {:>9} ",
        r.pid,
        r.user,
        pr,
        r.nice,
        mem_cell(r.virt_kib, 7),
        mem_cell(r.res_kib, 6),
        mem_cell(r.shr_kib, 6),
        r.state,
        r.cpu,
        r.mem,
        time_plus(r.ticks, hz),
    );
    let room = cols.saturating_sub(head.chars().count());
    let command = if r.command.chars().count() > room {
        let cut: String = r.command.chars().take(room.saturating_sub(1)).collect();
        format!("{cut}+")
    } else {
        r.command.clone()
    };
    format!("{head}{command}")
}

/// The five summary lines.
pub fn summary(
    clock: &str,
    up: f64,
    load: [f64; 3],
    procs: &[Proc],
    cpu: ([u64; 8], [u64; 8]),
    mem: &MemInfo,
) -> Vec<String> {
    let count = |states: &str| procs.iter().filter(|p| states.contains(p.state)).count();
    let deltas: Vec<f64> = cpu
        .1
        .iter()
        .zip(cpu.0.iter())
        .map(|(b, a)| b.saturating_sub(*a) as f64)
        .collect();
    let total: f64 = deltas.iter().sum::<f64>().max(1.0);
    let pct = |i: usize| deltas.get(i).copied().unwrap_or(0.0) * 100.0 / total;
    let mib = |kib: u64| kib as f64 / 1024.0;
    vec![
        format!(
            "top - {clock} up {},  0 user,  load average: {:.2}, {:.2}, {:.2}",
            up_text(up),
            load[0],
            load[1],
            load[2]
        ),
        format!(
            "Tasks: {:3} total, {:3} running, {:3} sleeping, {:3} stopped, {:3} zombie",
            procs.len(),
            count("R"),
            count("SDI"),
            count("Tt"),
            count("Z")
        ),
        // /proc/stat order: user nice system idle iowait irq softirq steal.
        format!(
            "%Cpu(s): {:4.1} us, {:4.1} sy, {:4.1} ni, {:4.1} id, {:4.1} wa, {:4.1} hi, {:4.1} si, {:4.1} st ",
            pct(0),
            pct(2),
            pct(1),
            pct(3),
            pct(4),
            pct(5),
            pct(6),
            pct(7)
        ),
        format!(
            "MiB Mem : {:8.1} total, {:8.1} free, {:8.1} used, {:8.1} buff/cache     ",
            mib(mem.total),
            mib(mem.free),
            mib(mem.used()),
            mib(mem.buffers + mem.cache)
        ),
        format!(
            "MiB Swap: {:8.1} total, {:8.1} free, {:8.1} used. {:8.1} avail Mem ",
            mib(mem.swap_total),
            mib(mem.swap_free),
            mib(mem.swap_used()),
            mib(mem.available)
        ),
    ]
}

/// A whole frame as lines: the summary, a blank line, the table (at most `max_rows` rows).
fn frame(
    root: &Path,
    o: &Options,
    cmdline: bool,
    prev: &Sample,
    cur: &Sample,
    cols: usize,
    max_rows: Option<usize>,
) -> Result<(Vec<String>, String), Failure> {
    let sys = System::read(root);
    let mem = read_meminfo(root)?;
    let load = read_loadavg(root)?;
    let mut lines = summary(
        &clock_text(now()),
        uptime(root).unwrap_or(0.0),
        load,
        &cur.procs,
        (prev.cpu, cur.cpu),
        &mem,
    );
    lines.push(String::new());
    let header = table_header(sys.pid_width);
    let table = rows(o, cmdline, prev, cur, &sys);
    let take = max_rows.unwrap_or(table.len());
    for r in table.iter().take(take) {
        lines.push(table_line(r, sys.pid_width, sys.hz, cols));
    }
    Ok((lines, header))
}

fn write_failure(e: io::Error) -> Failure {
    Failure {
        message: format!("write error: {}", io_reason(&e)),
        code: 1,
    }
}

fn batch(root: &Path, o: &Options) -> AppletResult {
    let cols = o.width.unwrap_or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(80)
    });
    let mut prev = sample(root)?;
    std::thread::sleep(Duration::from_millis(200));
    let mut shown = 0;
    loop {
        let cur = sample(root)?;
        let (lines, header) = frame(root, o, o.cmdline, &prev, &cur, cols, None)?;
        let mut out = io::stdout().lock();
        let mut text = String::new();
        if shown > 0 {
            text.push('\n');
        }
        for (i, l) in lines.iter().enumerate() {
            text.push_str(l);
            text.push('\n');
            if i == 5 {
                text.push_str(&header);
                text.push('\n');
            }
        }
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(write_failure)?;
        shown += 1;
        if o.frames.is_some_and(|n| shown >= n) || STOP.load(Ordering::SeqCst) {
            return Ok(0);
        }
        prev = cur;
        std::thread::sleep(Duration::from_secs_f64(o.delay));
    }
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// TERM/HUP end top cleanly; WINCH just interrupts the wait so the next frame is resized.
fn catch_signals() {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    extern "C" fn on_winch(_: libc::c_int) {}
    let stop = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    let winch = SigAction::new(
        SigHandler::Handler(on_winch),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: the handlers only store to an atomic or do nothing: async-signal-safe.
    unsafe {
        for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
            let _ = sigaction(sig, &stop);
        }
        let _ = sigaction(Signal::SIGWINCH, &winch);
    }
}

/// The terminal in raw mode while alive; the saved settings and the cursor come back on drop,
/// so every way out of the interactive loop (q, a signal, an error) restores them.
struct RawTerminal {
    saved: nix::sys::termios::Termios,
}

impl RawTerminal {
    fn enter() -> Option<RawTerminal> {
        use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
        let stdin = io::stdin();
        let saved = tcgetattr(stdin.as_fd()).ok()?;
        let mut raw = saved.clone();
        raw.local_flags
            .remove(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG);
        raw.control_chars[libc::VMIN] = 0;
        raw.control_chars[libc::VTIME] = 0;
        tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw).ok()?;
        let _ = io::stdout().write_all(b"\x1b[?1049h\x1b[?25l");
        Some(RawTerminal { saved })
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        use nix::sys::termios::{tcsetattr, SetArg};
        let mut out = io::stdout();
        let _ = out.write_all(b"\x1b[?25h\x1b[?1049l");
        let _ = out.flush();
        let _ = tcsetattr(io::stdin().as_fd(), SetArg::TCSANOW, &self.saved);
    }
}

/// Wait up to `secs` for keys; empty on timeout or signal, `q` at end of input. Reads the
/// descriptor directly: a buffered reader would hide typed-ahead keys from poll.
fn read_keys(secs: f64) -> Vec<u8> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let ms = (secs * 1000.0).min(f64::from(u16::MAX)) as u16;
    let stdin = io::stdin();
    let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
    match poll(&mut fds, PollTimeout::from(ms)) {
        Ok(n) if n > 0 => {
            let mut buf = [0u8; 64];
            match nix::unistd::read(stdin.as_fd(), &mut buf) {
                Ok(0) => vec![b'q'],
                Ok(n) => buf[..n].to_vec(),
                Err(_) => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

fn interactive(root: &Path, o: &Options) -> AppletResult {
    let Some(_raw) = RawTerminal::enter() else {
        return batch(root, o);
    };
    let mut opts = o.clone();
    let mut cmdline = o.cmdline;
    let mut prev = sample(root)?;
    let mut wait = 0.2;
    let mut shown = 0;
    loop {
        // Wait for the delay or a key, whichever comes first.
        let until = Instant::now() + Duration::from_secs_f64(wait);
        let mut redraw = false;
        while !redraw && !STOP.load(Ordering::SeqCst) {
            let left = until
                .saturating_duration_since(Instant::now())
                .as_secs_f64();
            if left <= 0.0 {
                break;
            }
            for key in read_keys(left) {
                match key {
                    b'q' | 3 => return Ok(0),
                    b'P' => (opts.sort, opts.ascending) = (SortKey::Cpu, false),
                    b'M' => (opts.sort, opts.ascending) = (SortKey::Mem, false),
                    b'N' => (opts.sort, opts.ascending) = (SortKey::Pid, false),
                    b'T' => (opts.sort, opts.ascending) = (SortKey::Time, false),
                    b'c' => cmdline = !cmdline,
                    _ => {}
                }
                redraw = true;
            }
        }
        if STOP.load(Ordering::SeqCst) {
            return Ok(0);
        }
        let cur = sample(root)?;
        let (cols, rows) = screen_size();
        let (lines, header) = frame(
            root,
            &opts,
            cmdline,
            &prev,
            &cur,
            cols,
            Some(rows.saturating_sub(7)),
        )?;
        let mut text = String::from("\x1b[H");
        for (i, l) in lines.iter().enumerate() {
            let l: String = l.chars().take(cols).collect();
            text.push_str(&l);
            text.push_str("\x1b[K\n");
            if i == 5 {
                let h: String = format!("{header:<cols$}").chars().take(cols).collect();
                text.push_str(&format!("\x1b[7m{h}\x1b[m\x1b[K"));
                if rows > 7 {
                    text.push('\n');
                }
            }
        }
        text.push_str("\x1b[J");
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(write_failure)?;
        shown += 1;
        if o.frames.is_some_and(|n| shown >= n) {
            return Ok(0);
        }
        prev = cur;
        wait = o.delay;
    }
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    catch_signals();
    let root = Path::new("/");
    if o.batch || !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        batch(root, &o)
    } else {
        interactive(root, &o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procinfo::{parse_meminfo, parse_stat};

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("top")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn parse_table() {
        let o = Options::parse(args("-bn1 -d 0.5 -p 1,2 -p3 -o %MEM -c -w 132")).expect("parse");
        assert!(o.batch && o.cmdline);
        assert_eq!(
            (o.frames, o.delay, o.pids, o.sort, o.width),
            (Some(1), 0.5, vec![1, 2, 3], SortKey::Mem, Some(132))
        );
        let o = Options::parse(args("-o -pid")).expect("parse");
        assert_eq!((o.sort, o.ascending), (SortKey::Pid, true));
        let errors = [
            ("-x", "inappropriate 'x'"),
            ("-n", "-n requires argument"),
            ("-d abc", "bad -d argument 'abc'"),
            ("-p x", "bad -p argument 'x'"),
            ("-o BOGUS", "unrecognized field name 'BOGUS'"),
            ("extra", "unknown argument 'extra'"),
        ];
        for (line, want) in errors {
            assert_eq!(
                Options::parse(args(line)),
                Err(UsageError(want.into())),
                "{line}"
            );
        }
    }

    // Real lines from this machine's /proc (Debian 12, Linux 6.1).
    const STAT_1: &str = "1 (process_api) S 0 0 0 0 -1 4194560 45119 5068392 0 943 62 406 20997 \
        4464 10 -10 13 0 25 50688000 4384 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 \
        0 0 0 0 0";
    const STAT_CAT: &str = "28958 (cat) R 28938 28938 19170 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 \
        0 93713 3133440 383 18446744073709551615 94260567662592 94260567682473 140727746435792 0 0 \
        0 0 0 0 0 0 0 17 0 0 0 0 0 0";

    fn sample_of(stats: &[&str], extra_ticks: u64, cpu: [u64; 8], at: Instant) -> Sample {
        let procs: Vec<Proc> = stats
            .iter()
            .filter_map(|s| parse_stat(s))
            .map(|mut p| {
                p.ticks += extra_ticks * u64::from(p.pid == 28958);
                p
            })
            .collect();
        let shared = procs.iter().map(|p| (p.pid, 100)).collect();
        Sample {
            procs,
            shared,
            cpu,
            at,
        }
    }

    #[test]
    fn rows_and_lines_like_procps() {
        let t0 = Instant::now();
        let prev = sample_of(&[STAT_1, STAT_CAT], 0, [0; 8], t0);
        let cur = sample_of(
            &[STAT_1, STAT_CAT],
            50,
            [30, 10, 20, 40, 0, 0, 0, 0],
            t0 + Duration::from_secs(1),
        );
        let mut sys = System::read(Path::new("/nonexistent"));
        (sys.hz, sys.page_kb, sys.mem_kb, sys.pid_width) = (100, 4, 24684084, 5);
        sys.users = vec![(0, "root".into())];
        let o = Options::parse(args("-b")).expect("parse");
        let r = rows(&o, false, &prev, &cur, &sys);
        // cat used 50 ticks of 100 in one second: 50 %; it sorts first.
        assert_eq!(r[0].pid, 28958);
        assert!((r[0].cpu - 50.0).abs() < 1e-9);
        assert_eq!(
            table_header(5),
            "  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND"
        );
        assert_eq!(
            table_line(&r[1], 5, 100, 80),
            "    1 root      10 -10   49500  17536    400 S   0.0   0.1   0:04.68 process_api"
        );
        assert_eq!(
            table_line(&r[1], 5, 100, 79),
            "    1 root      10 -10   49500  17536    400 S   0.0   0.1   0:04.68 process_a+"
        );
        assert!(table_line(&r[0], 5, 100, 80).contains(" R  50.0   0.0   0:00.50 cat"));
        let by_pid = Options::parse(args("-o PID")).expect("parse");
        assert_eq!(rows(&by_pid, false, &prev, &cur, &sys)[0].pid, 1);
        let only = Options::parse(args("-p 1")).expect("parse");
        assert_eq!(rows(&only, true, &prev, &cur, &sys).len(), 1);

        let mem = parse_meminfo(
            "MemTotal:       24684084 kB\nMemFree:        20818328 kB\n\
             MemAvailable:   23193524 kB\nBuffers:           13592 kB\nCached:          2503384 kB\n\
             SwapTotal:             0 kB\nSwapFree:              0 kB\nSReclaimable:     170224 kB\n",
        );
        let lines = summary(
            "20:42:02",
            2040.0,
            [3.12, 4.44, 3.67],
            &cur.procs,
            (prev.cpu, cur.cpu),
            &mem,
        );
        assert_eq!(
            lines,
            [
                "top - 20:42:02 up 34 min,  0 user,  load average: 3.12, 4.44, 3.67",
                "Tasks:   2 total,   1 running,   1 sleeping,   0 stopped,   0 zombie",
                "%Cpu(s): 30.0 us, 20.0 sy, 10.0 ni, 40.0 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st ",
                "MiB Mem :  24105.6 total,  20330.4 free,   1455.6 used,   2624.2 buff/cache     ",
                "MiB Swap:      0.0 total,      0.0 free,      0.0 used.  22649.9 avail Mem ",
            ]
        );
    }

    #[test]
    fn small_formatters() {
        let cells = [
            (0, 7, "0"),
            (1637544, 7, "1637544"),
            (12345678, 7, "12056m"),
            (123456789, 6, "117.7g"),
        ];
        for (kib, w, want) in cells {
            assert_eq!(mem_cell(kib, w), want, "{kib}");
        }
        assert_eq!(time_plus(468, 100), "0:04.68");
        assert_eq!(time_plus(100 * 3725, 100), "62:05.00");
    }
}
