//! `pgrep`, `pkill`: find or signal processes by name and other attributes. procps-ng 4 subset.
//!
//! usage: pgrep [-flacnovxi] [-d DELIM] [-u EUIDS] [-U UIDS] [-G GIDS] [-P PPIDS] [-g PGRPS]
//!              [-s SIDS] [-t TTYS] [PATTERN]
//!        pkill [-SIGNAL | --signal SIG] [-e] [same selection options] [PATTERN]
//!
//! PATTERN is an extended regular expression matched against the command name (comm, at most
//! 15 characters) or with -f the whole command line. pgrep never matches itself. Exit status as
//! procps: 0 something matched (pkill: something was signalled), 1 nothing, 2 usage or pattern
//! error, 3 fatal error. Unlike procps 4.0.2, an unknown `--signal` name is an error (exit 2)
//! rather than signal -1.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::Path;

use regex::{Regex, RegexBuilder};

use crate::error::{io_reason, AppletResult, Failure, UsageError};
use crate::kill::signal_number;
use crate::procinfo::{read_proc, read_procs, tty_name, Proc, System};

pub const USAGE: &str = "\
usage: pgrep [-flacnovxi] [-d DELIM] [-u EUIDS] [-U UIDS] [-G GIDS] [-P PPIDS]
             [-g PGRPS] [-s SIDS] [-t TTYS] [PATTERN]
       pkill [-SIGNAL | --signal SIG] [-e] [-fcnovxi] [selection options] [PATTERN]
PATTERN is an extended regex matched against the process name (-f: the command line).
  -f  match the full command line    -x  the whole name must match   -i  ignore case
  -v  negate the match               -n  newest only   -o  oldest only   -c  count
  -l  list names   -a  list command lines   -d DELIM  between PIDs (pgrep)
  -e  say what is killed (pkill)
  -u/-U/-G  effective uids, real uids, real gids; -P parent PIDs; -g process groups;
  -s sessions (0: our own); -t terminals (pts/0, tty1) — lists are comma-separated
";

/// Which processes to pick and what to do with them.
#[derive(Debug, Default)]
pub struct Options {
    pub kill: bool,
    pub signal: i32,
    pub full: bool,
    pub list_name: bool,
    pub list_full: bool,
    pub exact: bool,
    pub ignore_case: bool,
    pub newest: bool,
    pub oldest: bool,
    pub negate: bool,
    pub count: bool,
    pub echo: bool,
    pub delim: String,
    pub euids: Vec<String>,
    pub ruids: Vec<String>,
    pub rgids: Vec<String>,
    pub ppids: Vec<i32>,
    pub pgrps: Vec<i32>,
    pub sids: Vec<i32>,
    pub ttys: Vec<String>,
    pub pattern: Option<String>,
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn numbers(v: &str, what: &str) -> Result<Vec<i32>, UsageError> {
    split_list(v)
        .iter()
        .map(|n| {
            n.parse()
                .map_err(|_| UsageError(format!("invalid {what}: {n}")))
        })
        .collect()
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let name = args
            .first()
            .and_then(|a| Path::new(a).file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut o = Options {
            kill: name == "pkill",
            signal: libc::SIGTERM,
            delim: "\n".into(),
            ..Options::default()
        };
        let args: Vec<String> = crate::operands(&args);
        let mut i = 0;
        let mut only_operands = false;
        while let Some(arg) = args.get(i) {
            i += 1;
            if only_operands || !arg.starts_with('-') || arg == "-" {
                if o.pattern.is_some() {
                    return Err(UsageError("only one pattern can be provided".into()));
                }
                o.pattern = Some(arg.clone());
                continue;
            }
            if arg == "--" {
                only_operands = true;
                continue;
            }
            // pkill -9, -KILL, -SIGHUP.
            if o.kill {
                if let Some(sig) = signal_number(&arg[1..]) {
                    o.signal = sig;
                    continue;
                }
            }
            if let Some(long) = arg.strip_prefix("--") {
                let (key, inline) = match long.split_once('=') {
                    Some((k, v)) => (k, Some(v.to_string())),
                    None => (long, None),
                };
                let short = match key {
                    "full" => 'f',
                    "list-name" => 'l',
                    "list-full" => 'a',
                    "exact" => 'x',
                    "ignore-case" => 'i',
                    "newest" => 'n',
                    "oldest" => 'o',
                    "inverse" => 'v',
                    "count" => 'c',
                    "echo" => 'e',
                    "delimiter" => 'd',
                    "euid" => 'u',
                    "uid" => 'U',
                    "group" => 'G',
                    "parent" => 'P',
                    "pgroup" => 'g',
                    "session" => 's',
                    "terminal" => 't',
                    "signal" => 'S',
                    _ => return Err(UsageError(format!("unrecognized option '{arg}'"))),
                };
                let value = match (takes_value(short), inline) {
                    (true, Some(v)) => Some(v),
                    (true, None) => {
                        i += 1;
                        Some(args.get(i - 1).cloned().ok_or_else(|| {
                            UsageError(format!("option '--{key}' requires an argument"))
                        })?)
                    }
                    (false, _) => None,
                };
                o.apply(short, value)?;
                continue;
            }
            let letters: Vec<char> = arg[1..].chars().collect();
            for (j, &c) in letters.iter().enumerate() {
                if takes_value(c) && c != 'S' {
                    let rest: String = letters[j + 1..].iter().collect();
                    let value = if rest.is_empty() {
                        i += 1;
                        args.get(i - 1).cloned().ok_or_else(|| {
                            UsageError(format!("option requires an argument -- '{c}'"))
                        })?
                    } else {
                        rest
                    };
                    o.apply(c, Some(value))?;
                    break;
                }
                o.apply(c, None)?;
            }
        }
        let criteria = !(o.euids.is_empty()
            && o.ruids.is_empty()
            && o.rgids.is_empty()
            && o.ppids.is_empty()
            && o.pgrps.is_empty()
            && o.sids.is_empty()
            && o.ttys.is_empty());
        if o.pattern.is_none() && !criteria {
            return Err(UsageError("no matching criteria specified".into()));
        }
        if o.newest && o.oldest {
            return Err(UsageError("-n and -o are mutually exclusive".into()));
        }
        Ok(o)
    }

    fn apply(&mut self, c: char, value: Option<String>) -> Result<(), UsageError> {
        let v = value.unwrap_or_default();
        let pgrep_only = |o: &Options| {
            if o.kill {
                Err(UsageError(format!("invalid option -- '{c}'")))
            } else {
                Ok(())
            }
        };
        match c {
            'f' => self.full = true,
            'l' => {
                pgrep_only(self)?;
                self.list_name = true;
            }
            'a' => {
                pgrep_only(self)?;
                self.list_full = true;
            }
            'd' => {
                pgrep_only(self)?;
                self.delim = v;
            }
            'e' if self.kill => self.echo = true,
            'x' => self.exact = true,
            'i' => self.ignore_case = true,
            'n' => self.newest = true,
            'o' => self.oldest = true,
            'v' => self.negate = true,
            'c' => self.count = true,
            'u' => self.euids.extend(split_list(&v)),
            'U' => self.ruids.extend(split_list(&v)),
            'G' => self.rgids.extend(split_list(&v)),
            'P' => self.ppids.extend(numbers(&v, "parent PID")?),
            'g' => self.pgrps.extend(numbers(&v, "process group")?),
            's' => self.sids.extend(numbers(&v, "session ID")?),
            't' => self.ttys.extend(
                split_list(&v)
                    .into_iter()
                    .map(|t| t.strip_prefix("/dev/").unwrap_or(&t).to_string()),
            ),
            'S' if self.kill => {
                self.signal =
                    signal_number(&v).ok_or_else(|| UsageError(format!("unknown signal: {v}")))?;
            }
            _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
        }
        Ok(())
    }
}

fn takes_value(c: char) -> bool {
    matches!(c, 'd' | 'u' | 'U' | 'G' | 'P' | 'g' | 's' | 't' | 'S')
}

/// The compiled pattern: procps anchors it for -x and folds case for -i.
pub fn compile(pattern: &str, exact: bool, ignore_case: bool) -> Result<Regex, Failure> {
    let text = if exact {
        format!("^(?:{pattern})$")
    } else {
        pattern.to_string()
    };
    RegexBuilder::new(&text)
        .case_insensitive(ignore_case)
        .build()
        .map_err(|e| Failure {
            // The regex crate explains over several lines; keep its last, the reason.
            message: format!(
                "regex error: {}",
                e.to_string()
                    .lines()
                    .last()
                    .unwrap_or("invalid pattern")
                    .trim()
            ),
            code: 2,
        })
}

/// User and group lists resolved to ids; an unknown name is a usage error like procps's.
struct Ids {
    euids: Vec<u32>,
    ruids: Vec<u32>,
    rgids: Vec<u32>,
}

fn resolve(o: &Options, sys: &System) -> Result<Ids, UsageError> {
    let users = |list: &[String]| -> Result<Vec<u32>, UsageError> {
        list.iter()
            .map(|u| {
                sys.uid_of(u)
                    .ok_or_else(|| UsageError(format!("invalid user name: {u}")))
            })
            .collect()
    };
    let groups = o
        .rgids
        .iter()
        .map(|g| {
            sys.gid_of(g)
                .ok_or_else(|| UsageError(format!("invalid group name: {g}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(Ids {
        euids: users(&o.euids)?,
        ruids: users(&o.ruids)?,
        rgids: groups,
    })
}

/// The processes that match, in PID order (or just the newest/oldest).
fn matching<'a>(
    o: &Options,
    re: Option<&Regex>,
    ids: &Ids,
    procs: &'a [Proc],
    me: Option<&Proc>,
) -> Vec<&'a Proc> {
    let own = |f: fn(&Proc) -> i32, list: &[i32]| -> Vec<i32> {
        // procps: 0 in -g/-s means our own process group / session.
        list.iter()
            .map(|&v| if v == 0 { me.map_or(0, f) } else { v })
            .collect()
    };
    let pgrps = own(|p| p.pgrp, &o.pgrps);
    let sids = own(|p| p.session, &o.sids);
    let my_pid = me.map_or(std::process::id() as i32, |m| m.pid);
    let mut found: Vec<&Proc> = procs
        .iter()
        .filter(|p| p.pid != my_pid)
        .filter(|p| {
            let attrs = (ids.euids.is_empty() || ids.euids.contains(&p.euid))
                && (ids.ruids.is_empty() || ids.ruids.contains(&p.ruid))
                && (ids.rgids.is_empty() || ids.rgids.contains(&p.rgid))
                && (o.ppids.is_empty() || o.ppids.contains(&p.ppid))
                && (pgrps.is_empty() || pgrps.contains(&p.pgrp))
                && (sids.is_empty() || sids.contains(&p.session))
                && (o.ttys.is_empty() || o.ttys.contains(&tty_name(p.tty_nr)));
            let name = if o.full && !p.args.is_empty() {
                p.args.join(" ")
            } else {
                p.comm.clone()
            };
            let pattern = re.is_none_or(|re| re.is_match(&name));
            (attrs && pattern) != o.negate
        })
        .collect();
    if o.newest || o.oldest {
        // Ties on start time go to the higher PID (procps compares with >=).
        let pick = if o.newest {
            found.iter().max_by_key(|p| (p.start, p.pid)).copied()
        } else {
            found.iter().min_by_key(|p| (p.start, -p.pid)).copied()
        };
        found = pick.into_iter().collect();
    }
    found
}

/// pgrep's output for the matches.
fn listing(o: &Options, found: &[&Proc]) -> String {
    if o.count {
        return format!("{}\n", found.len());
    }
    let items: Vec<String> = found
        .iter()
        .map(|p| {
            if o.list_full {
                let cmd = if p.args.is_empty() {
                    format!("[{}]", p.comm)
                } else {
                    p.args.join(" ")
                };
                format!("{} {}", p.pid, crate::ps::printable(&cmd))
            } else if o.list_name {
                format!("{} {}", p.pid, crate::ps::printable(&p.comm))
            } else {
                p.pid.to_string()
            }
        })
        .collect();
    if items.is_empty() {
        String::new()
    } else {
        format!("{}\n", items.join(&o.delim))
    }
}

fn write_out(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure {
            message: format!("write error: {}", io_reason(&e)),
            code: 3,
        })
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let re = match &o.pattern {
        Some(p) => Some(compile(p, o.exact, o.ignore_case)?),
        None => None,
    };
    let root = Path::new("/");
    let sys = System::read(root);
    let ids = resolve(&o, &sys)?;
    let procs = read_procs(root).map_err(|e| Failure {
        message: e.to_string(),
        code: 3,
    })?;
    let me = read_proc(&root.join("proc/self"));
    let found = matching(&o, re.as_ref(), &ids, &procs, me.as_ref());
    if !o.kill {
        write_out(&listing(&o, &found))?;
        return Ok(if found.is_empty() { 1 } else { 0 });
    }
    let mut killed = 0;
    let mut text = String::new();
    for p in &found {
        // SAFETY: kill(2) takes two integers and touches no memory of ours.
        if unsafe { libc::kill(p.pid, o.signal) } == 0 {
            killed += 1;
            if o.echo {
                text.push_str(&format!(
                    "{} killed (pid {})\n",
                    crate::ps::printable(&p.comm),
                    p.pid
                ));
            }
            continue;
        }
        let e = io::Error::last_os_error();
        // Gone meanwhile: that is what we wanted.
        if e.raw_os_error() != Some(libc::ESRCH) {
            eprintln!("pkill: killing pid {} failed: {}", p.pid, io_reason(&e));
        }
    }
    if o.count {
        text.push_str(&format!("{}\n", found.len()));
    }
    write_out(&text)?;
    Ok(if killed == 0 { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    fn proc(pid: i32, comm: &str, args: &[&str], start: u64) -> Proc {
        Proc {
            pid,
            comm: comm.into(),
            ppid: 1,
            pgrp: pid,
            session: pid,
            start,
            euid: if pid < 100 { 0 } else { 1000 },
            tty_nr: if pid == 300 { 0x8800 } else { 0 },
            args: args.iter().map(|a| a.to_string()).collect(),
            ..Proc::default()
        }
    }

    fn procs() -> Vec<Proc> {
        vec![
            proc(1, "init", &["/sbin/init"], 1),
            proc(2, "kthreadd", &[], 2),
            proc(300, "bash", &["-bash"], 300),
            proc(301, "sleep", &["sleep", "1000", "marker"], 400),
            proc(302, "sleep", &["/bin/sleep", "5"], 350),
            proc(303, "pgrep", &["pgrep", "sleep"], 500),
        ]
    }

    fn pids(line: &str) -> Result<String, String> {
        let o = Options::parse(args(line)).map_err(|e| e.0)?;
        let re = match &o.pattern {
            Some(p) => Some(compile(p, o.exact, o.ignore_case).map_err(|f| f.message)?),
            None => None,
        };
        let mut sys = System::read(Path::new("/nonexistent"));
        sys.users = vec![(0, "root".into()), (1000, "user".into())];
        let ids = resolve(&o, &sys).map_err(|e| e.0)?;
        let all = procs();
        let me = all.iter().find(|p| p.pid == 303);
        Ok(listing(&o, &matching(&o, re.as_ref(), &ids, &all, me)))
    }

    #[test]
    fn selection_table() {
        let cases = [
            ("pgrep sleep", "301\n302\n"),
            ("pgrep -l sle", "301 sleep\n302 sleep\n"),
            ("pgrep -a -f marker", "301 sleep 1000 marker\n"),
            ("pgrep -f ^/bin", "302\n"),
            ("pgrep -x sle", ""),
            ("pgrep -x sleep -n", "301\n"),
            ("pgrep -o sleep", "302\n"),
            ("pgrep -c sleep", "2\n"),
            ("pgrep -c nosuch", "0\n"),
            ("pgrep -d , -u root .", "1,2\n"),
            ("pgrep -u 1000 -v sleep", "1\n2\n300\n"),
            ("pgrep -t pts/0", "300\n"),
            ("pgrep -t /dev/pts/0 -l", "300 bash\n"),
            ("pgrep -i -x BASH", "300\n"),
            ("pgrep -a kthreadd", "2 [kthreadd]\n"),
            ("pgrep -g 1,2", "1\n2\n"),
            ("pgrep -P 1 -s 0", ""),
            ("pgrep -P1 -x init|bash", "1\n300\n"),
            // Never itself: 303 is "pgrep".
            ("pgrep pgrep", ""),
        ];
        for (line, want) in cases {
            assert_eq!(pids(line).as_deref(), Ok(want), "{line}");
        }
        let errors = [
            ("pgrep", "no matching criteria specified"),
            ("pgrep a b", "only one pattern can be provided"),
            ("pgrep -Z x", "invalid option -- 'Z'"),
            ("pgrep -u nosuch x", "invalid user name: nosuch"),
            ("pgrep -P x y", "invalid parent PID: x"),
            ("pgrep -9 x", "invalid option -- '9'"),
            ("pkill -l x", "invalid option -- 'l'"),
            ("pkill --signal BOGUS x", "unknown signal: BOGUS"),
            ("pgrep -d", "option requires an argument -- 'd'"),
        ];
        for (line, want) in errors {
            assert_eq!(pids(line), Err(want.to_string()), "{line}");
        }
        assert!(pids("pgrep (").is_err_and(|e| e.starts_with("regex error: ")));
    }

    #[test]
    fn pkill_signals() {
        let cases = [
            ("pkill x", 15),
            ("pkill -9 x", 9),
            ("pkill -KILL x", 9),
            ("pkill -SIGHUP x", 1),
            ("pkill --signal USR1 x", 10),
            ("pkill --signal=2 -e x", 2),
        ];
        for (line, sig) in cases {
            let o = Options::parse(args(line)).expect(line);
            assert!(o.kill, "{line}");
            assert_eq!(o.signal, sig, "{line}");
        }
    }
}
