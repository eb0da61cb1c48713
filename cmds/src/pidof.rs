//! `pidof`: the PIDs of running programs, by name. sysvinit-utils pidof(8) subset.
//!
//! usage: pidof [-s] [-x] [-q] [-d SEP] [-o PID[,PID]]... PROGRAM...
//!
//! Like sysvinit's: a name matches the basename of argv[0] or the process name (comm); a name
//! with a `/` matches argv[0] or the executable's path (/proc/PID/exe). PIDs are printed on one
//! line, highest first. Zombies, and pidof itself, are never listed. Exit 1 when none is found.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::error::{io_reason, AppletResult, Failure, UsageError};
use crate::procinfo::{read_proc, read_procs, Proc};

pub const USAGE: &str = "\
usage: pidof [-s] [-x] [-q] [-d SEP] [-o PID[,PID...]] PROGRAM...
Print the PIDs of the processes running PROGRAM, highest first.
  -s  one PID only    -x  also shells running a script of that name    -q  print nothing
  -d SEP  separator (default a space)    -o PIDS  omit these (%PPID: pidof's parent)
";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    single: bool,
    scripts: bool,
    quiet: bool,
    separator: String,
    /// PIDs to leave out, `%PPID` kept as written until we know our parent.
    omit: Vec<String>,
    names: Vec<String>,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            separator: " ".into(),
            ..Options::default()
        };
        let args: Vec<String> = crate::operands(&args);
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let Some(letters) = arg.strip_prefix('-').filter(|l| !l.is_empty()) else {
                o.names.push(arg.clone());
                continue;
            };
            if letters == "-" {
                o.names.extend(it.by_ref().cloned());
                break;
            }
            for (i, c) in letters.char_indices() {
                match c {
                    's' => o.single = true,
                    'x' => o.scripts = true,
                    'q' => o.quiet = true,
                    // Root-directory and network-share checks: nothing to do here.
                    'c' | 'n' | 'z' => {}
                    'o' | 'd' => {
                        let value = match &letters[i + 1..] {
                            "" => it.next().cloned().ok_or_else(|| {
                                UsageError(format!("option -{c} needs an argument"))
                            })?,
                            rest => rest.to_string(),
                        };
                        if c == 'd' {
                            o.separator = value;
                        } else {
                            for pid in value.split(',').filter(|p| !p.is_empty()) {
                                if pid != "%PPID" && pid.parse::<i32>().is_err() {
                                    return Err(UsageError(format!(
                                        "illegal omit pid value ({pid})!"
                                    )));
                                }
                                o.omit.push(pid.to_string());
                            }
                        }
                        break;
                    }
                    _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                }
            }
        }
        if o.names.is_empty() {
            return Err(UsageError("missing program name".into()));
        }
        Ok(o)
    }
}

fn base(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Does process `p` (whose executable is `exe`, when readable) run program `name`?
fn runs(p: &Proc, exe: Option<&str>, name: &str, scripts: bool) -> bool {
    let argv0 = p.args.first().map(String::as_str);
    let by_name = if name.contains('/') {
        argv0 == Some(name) || exe == Some(name)
    } else {
        argv0.is_some_and(|a| base(a) == name)
            || p.comm == name
            || exe.is_some_and(|e| base(e) == name)
    };
    // -x: `sh /path/script` counts as `script`.
    let script = scripts
        && p.args.get(1).is_some_and(|a| {
            if name.contains('/') {
                a == name
            } else {
                base(a) == name
            }
        });
    by_name || script
}

/// The PIDs pidof prints for `o`, highest first.
pub fn find(root: &Path, o: &Options, procs: &[Proc], me: Option<&Proc>) -> Vec<i32> {
    let my_pid = me.map_or(std::process::id() as i32, |m| m.pid);
    let omit: Vec<i32> = o
        .omit
        .iter()
        .filter_map(|p| match p.as_str() {
            "%PPID" => me.map(|m| m.ppid),
            p => p.parse().ok(),
        })
        .collect();
    let mut found = Vec::new();
    for name in &o.names {
        for p in procs.iter().rev() {
            if p.pid == my_pid || p.state == 'Z' || omit.contains(&p.pid) || found.contains(&p.pid)
            {
                continue;
            }
            let exe = fs::read_link(root.join(format!("proc/{}/exe", p.pid))).ok();
            let exe = exe.as_ref().map(|e| e.to_string_lossy());
            if runs(p, exe.as_deref(), name, o.scripts) {
                found.push(p.pid);
                if o.single {
                    break;
                }
            }
        }
    }
    found
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let root = Path::new("/");
    let procs = read_procs(root)?;
    let me = read_proc(&root.join("proc/self"));
    let found = find(root, &o, &procs, me.as_ref());
    if found.is_empty() {
        return Ok(1);
    }
    if !o.quiet {
        let line: Vec<String> = found.iter().map(i32::to_string).collect();
        let text = format!("{}\n", line.join(&o.separator));
        io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| Failure {
                message: format!("write error: {}", io_reason(&e)),
                code: 1,
            })?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("pidof")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    fn proc(pid: i32, comm: &str, args: &[&str], state: char) -> Proc {
        Proc {
            pid,
            ppid: 10,
            comm: comm.into(),
            state,
            args: args.iter().map(|a| a.to_string()).collect(),
            ..Proc::default()
        }
    }

    #[test]
    fn find_table() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = dir.path();
        std::fs::create_dir_all(r.join("proc/30")).expect("mkdir");
        std::os::unix::fs::symlink("/usr/bin/sleep", r.join("proc/30/exe")).expect("symlink");
        let procs = vec![
            proc(2, "kthreadd", &[], 'S'),
            proc(10, "bash", &["-bash"], 'S'),
            proc(20, "sleep", &["/usr/bin/sleep", "9"], 'S'),
            proc(30, "sleep", &["sleep", "9"], 'S'),
            proc(40, "sh", &["/bin/sh", "/usr/local/bin/backup.sh"], 'S'),
            proc(50, "sleep", &[], 'Z'),
            proc(60, "pidof", &["pidof", "pidof"], 'R'),
        ];
        let me = procs.iter().find(|p| p.pid == 60);
        let cases: [(&str, &[i32]); 11] = [
            ("sleep", &[30, 20]),
            ("-s sleep", &[30]),
            ("/usr/bin/sleep", &[30, 20]),
            ("kthreadd", &[2]),
            ("bash", &[10]),
            ("backup.sh", &[]),
            ("-x backup.sh", &[40]),
            ("-o 30 sleep", &[20]),
            ("-o %PPID bash sleep", &[30, 20]),
            ("pidof", &[]),
            ("nosuch", &[]),
        ];
        for (line, want) in cases {
            let o = Options::parse(args(line)).expect(line);
            assert_eq!(find(r, &o, &procs, me), want, "{line}");
        }
        let errors = [
            ("", "missing program name"),
            ("-o", "option -o needs an argument"),
            ("-o abc x", "illegal omit pid value (abc)!"),
            ("-y x", "invalid option -- 'y'"),
        ];
        for (line, want) in errors {
            assert_eq!(
                Options::parse(args(line)),
                Err(UsageError(want.into())),
                "{line}"
            );
        }
        let o = Options::parse(args("-d, -q x")).expect("parse");
        assert_eq!((o.separator.as_str(), o.quiet), (",", true));
    }
}
