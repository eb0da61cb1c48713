//! Readers of /proc shared by the process applets (ps, top, free, uptime, pgrep, pidof, killall).
//!
//! Every reader takes the root directory (`/` in production, a fake tree in tests); the
//! formats are those of proc(5): /proc/PID/{stat,status,cmdline}, /proc/meminfo, /proc/stat,
//! /proc/loadavg, /proc/uptime.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{io_reason, AppletError};

#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    #[error("{}: {}", path.display(), io_reason(source))]
    Read { path: PathBuf, source: io::Error },
}

impl AppletError for ProcError {}

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
    /// Kernel priority (`priority` in stat: 20 for nice 0, negative for real-time).
    pub priority: i64,
    pub nice: i64,
    /// Scheduling policy (sched(7)): 1 FIFO and 2 RR are real-time.
    pub policy: u32,
    pub threads: i64,
    /// Start time in clock ticks since boot.
    pub start: u64,
    pub vsize: u64,
    /// Resident pages.
    pub rss: u64,
    pub ruid: u32,
    pub euid: u32,
    pub rgid: u32,
    pub egid: u32,
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
        priority: num(15)?,
        nice: num(16)?,
        policy: unum(38).unwrap_or(0) as u32,
        threads: num(17)?,
        start: unum(19)?,
        vsize: unum(20)?,
        rss: unum(21)?,
        ..Proc::default()
    })
}

/// The real and effective IDs of a `Uid:`/`Gid:` line of /proc/PID/status.
fn status_ids(status: &str, key: &str) -> (u32, u32) {
    let ids: Vec<u32> = status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|u| u.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    (
        ids.first().copied().unwrap_or(0),
        ids.get(1).copied().unwrap_or(0),
    )
}

/// Read one process directory; `None` if it vanished or is unreadable meanwhile.
pub fn read_proc(dir: &Path) -> Option<Proc> {
    let mut p = parse_stat(&fs::read_to_string(dir.join("stat")).ok()?)?;
    let status = fs::read_to_string(dir.join("status")).unwrap_or_default();
    (p.ruid, p.euid) = status_ids(&status, "Uid:");
    (p.rgid, p.egid) = status_ids(&status, "Gid:");
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
pub fn read_procs(root: &Path) -> Result<Vec<Proc>, ProcError> {
    let path = root.join("proc");
    let dir = fs::read_dir(&path).map_err(|source| ProcError::Read { path, source })?;
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

/// A `Key:   value kB` field of /proc/meminfo (or a `key value` line of /proc/stat).
pub fn field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
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
    /// gid → name, from /etc/group.
    pub groups: Vec<(u32, String)>,
}

/// `name:x:id:…` lines of /etc/passwd or /etc/group as (id, name).
fn id_names(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((f.get(2)?.parse().ok()?, f.first()?.to_string()))
        })
        .collect()
}

pub fn sysconf(name: nix::unistd::SysconfVar) -> Option<u64> {
    nix::unistd::sysconf(name)
        .ok()
        .flatten()
        .and_then(|v| u64::try_from(v).ok())
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Seconds since boot, the first number of /proc/uptime.
pub fn uptime(root: &Path) -> Option<f64> {
    fs::read_to_string(root.join("proc/uptime"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl System {
    pub fn read(root: &Path) -> System {
        let read = |p: &str| fs::read_to_string(root.join(p)).unwrap_or_default();
        let pid_max = read("proc/sys/kernel/pid_max");
        System {
            hz: sysconf(nix::unistd::SysconfVar::CLK_TCK).unwrap_or(100),
            page_kb: sysconf(nix::unistd::SysconfVar::PAGE_SIZE).unwrap_or(4096) / 1024,
            btime: field(&read("proc/stat"), "btime").unwrap_or(0) as i64,
            uptime: uptime(root).unwrap_or(0.0),
            mem_kb: field(&read("proc/meminfo"), "MemTotal:").unwrap_or(0),
            // procps sizes PID columns to pid_max: 5 digits for 32768, 7 for 4194304.
            pid_width: pid_max.trim().len().clamp(5, 10),
            now: now(),
            users: id_names(&read("etc/passwd")),
            groups: id_names(&read("etc/group")),
        }
    }

    pub fn user_name(&self, uid: u32) -> Option<&str> {
        let found = self.users.iter().find(|(u, _)| *u == uid);
        found.map(|(_, n)| n.as_str())
    }

    pub fn group_name(&self, gid: u32) -> Option<&str> {
        let found = self.groups.iter().find(|(g, _)| *g == gid);
        found.map(|(_, n)| n.as_str())
    }

    /// A user name or numeric uid, as `-u` options take it.
    pub fn uid_of(&self, spec: &str) -> Option<u32> {
        spec.parse().ok().or_else(|| {
            let found = self.users.iter().find(|(_, n)| n == spec);
            found.map(|(u, _)| *u)
        })
    }

    pub fn gid_of(&self, spec: &str) -> Option<u32> {
        spec.parse().ok().or_else(|| {
            let found = self.groups.iter().find(|(_, n)| n == spec);
            found.map(|(g, _)| *g)
        })
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

/// Local broken-down time, from localtime_r(3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tm {
    pub year: i32,
    /// 0–11.
    pub mon: usize,
    pub mday: i32,
    pub hour: i32,
    pub min: i32,
    pub sec: i32,
    /// 0 = Sunday.
    pub wday: usize,
}

pub fn local_time(t: i64) -> Option<Tm> {
    // SAFETY: libc::tm is plain data (integers and a nullable pointer); all-zero is valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call; localtime_r is reentrant.
    if unsafe { libc::localtime_r(&(t as libc::time_t), &mut tm) }.is_null() {
        return None;
    }
    Some(Tm {
        year: tm.tm_year + 1900,
        mon: usize::try_from(tm.tm_mon).ok()?,
        mday: tm.tm_mday,
        hour: tm.tm_hour,
        min: tm.tm_min,
        sec: tm.tm_sec,
        wday: usize::try_from(tm.tm_wday).ok()?,
    })
}

/// `HH:MM:SS` of local time `t`.
pub fn clock_text(t: i64) -> String {
    local_time(t).map_or("??:??:??".into(), |t| {
        format!("{:02}:{:02}:{:02}", t.hour, t.min, t.sec)
    })
}

/// The figures of /proc/meminfo that free and top show, in KiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemInfo {
    pub total: u64,
    pub free: u64,
    pub available: u64,
    pub shared: u64,
    pub buffers: u64,
    /// Page cache plus reclaimable slab, as procps counts "cache".
    pub cache: u64,
    pub swap_total: u64,
    pub swap_free: u64,
}

impl MemInfo {
    /// procps-ng 4.0 (library/meminfo.c): used = total - available.
    pub fn used(&self) -> u64 {
        self.total.saturating_sub(self.available)
    }

    pub fn swap_used(&self) -> u64 {
        self.swap_total.saturating_sub(self.swap_free)
    }
}

pub fn parse_meminfo(text: &str) -> MemInfo {
    let f = |k| field(text, k).unwrap_or(0);
    let (free, buffers, cache) = (
        f("MemFree:"),
        f("Buffers:"),
        f("Cached:") + f("SReclaimable:"),
    );
    MemInfo {
        total: f("MemTotal:"),
        free,
        // Kernels before 3.14 have no MemAvailable: count what could be freed at once.
        available: field(text, "MemAvailable:").unwrap_or(free + buffers + cache),
        shared: f("Shmem:"),
        buffers,
        cache,
        swap_total: f("SwapTotal:"),
        swap_free: f("SwapFree:"),
    }
}

pub fn read_meminfo(root: &Path) -> Result<MemInfo, ProcError> {
    let path = root.join("proc/meminfo");
    match fs::read_to_string(&path) {
        Ok(text) => Ok(parse_meminfo(&text)),
        Err(source) => Err(ProcError::Read { path, source }),
    }
}

/// The three load averages of /proc/loadavg.
pub fn read_loadavg(root: &Path) -> Result<[f64; 3], ProcError> {
    let path = root.join("proc/loadavg");
    let text = fs::read_to_string(&path).map_err(|source| ProcError::Read { path, source })?;
    let mut v = text.split_whitespace().map(|x| x.parse().unwrap_or(0.0));
    Ok([
        v.next().unwrap_or(0.0),
        v.next().unwrap_or(0.0),
        v.next().unwrap_or(0.0),
    ])
}

/// The `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal, in ticks.
pub fn read_cpu_times(root: &Path) -> [u64; 8] {
    let text = fs::read_to_string(root.join("proc/stat")).unwrap_or_default();
    let mut out = [0; 8];
    if let Some(line) = text.lines().find(|l| l.starts_with("cpu ")) {
        for (slot, v) in out.iter_mut().zip(line.split_whitespace().skip(1)) {
            *slot = v.parse().unwrap_or(0);
        }
    }
    out
}

/// `up` text of uptime(1) and top: `3 days,  2:04` or `15 min` (procps sprint_uptime).
pub fn up_text(secs: f64) -> String {
    let secs = secs as u64;
    let (days, hours, mins) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60);
    let mut s = String::new();
    if days > 0 {
        let unit = if days == 1 { "day" } else { "days" };
        s.push_str(&format!("{days} {unit}, "));
    }
    if hours > 0 {
        s.push_str(&format!("{hours:2}:{mins:02}"));
    } else {
        s.push_str(&format!("{mins} min"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    // Copied from a Debian 12 VM (Linux 6.1).
    const MEMINFO: &str = "MemTotal:       24684084 kB\nMemFree:        20818328 kB\n\
        MemAvailable:   23193888 kB\nBuffers:           13592 kB\nCached:          2503732 kB\n\
        SwapCached:            0 kB\nActive:          1305332 kB\nSwapTotal:       1048572 kB\n\
        SwapFree:         1048000 kB\nShmem:              8872 kB\nKReclaimable:     170224 kB\n\
        Slab:             202728 kB\nSReclaimable:     170224 kB\nSUnreclaim:        32504 kB\n";

    #[test]
    fn meminfo_like_procps_4() {
        let m = parse_meminfo(MEMINFO);
        assert_eq!(m.total, 24684084);
        assert_eq!(m.cache, 2503732 + 170224);
        assert_eq!(m.used(), 24684084 - 23193888);
        assert_eq!(m.swap_used(), 572);
        // An old kernel without MemAvailable.
        let old =
            parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 20 kB\n");
        assert_eq!(old.used(), 870);
    }

    #[test]
    fn status_and_small_files() {
        let status =
            "Name:\tcat\nUmask:\t0022\nState:\tR (running)\nUid:\t1000\t1001\t1000\t1000\n\
                      Gid:\t100\t101\t100\t100\n";
        assert_eq!(status_ids(status, "Uid:"), (1000, 1001));
        assert_eq!(status_ids(status, "Gid:"), (100, 101));
        assert_eq!(status_ids("", "Uid:"), (0, 0));
        let dir = tempfile::tempdir().expect("tempdir");
        let r = dir.path();
        fs::create_dir_all(r.join("proc")).expect("mkdir");
        fs::write(r.join("proc/loadavg"), "2.54 1.74 1.02 4/121 28953\n").expect("write");
        fs::write(r.join("proc/uptime"), "937.11 811.01\n").expect("write");
        fs::write(
            r.join("proc/stat"),
            "cpu  53477 26245 21561 81101 3610 0 171 415 0 0\ncpu0 1 2 3 4\nbtime 1796155671\n",
        )
        .expect("write");
        assert_eq!(read_loadavg(r).expect("loadavg"), [2.54, 1.74, 1.02]);
        assert_eq!(uptime(r), Some(937.11));
        assert_eq!(
            read_cpu_times(r),
            [53477, 26245, 21561, 81101, 3610, 0, 171, 415]
        );
        assert!(read_meminfo(r).is_err());
    }

    #[test]
    fn up_text_table() {
        let cases = [
            (59.0, "0 min"),
            (937.11, "15 min"),
            (3600.0, " 1:00"),
            (7500.0, " 2:05"),
            (86400.0 + 59.0, "1 day, 0 min"),
            (3.0 * 86400.0 + 2.0 * 3600.0 + 240.0, "3 days,  2:04"),
        ];
        for (secs, want) in cases {
            assert_eq!(up_text(secs), want, "{secs}");
        }
    }
}
