//! Command history: the lines an interactive shell accepted, kept in `$HOME/.sh_history`
//! (or `$HISTFILE`; plain text, one line each, appended as each is accepted so a killed shell
//! keeps them), at most `$HISTSIZE` (500) of them. `history` lists them as busybox ash does,
//! `fc -l [-nr] [FIRST [LAST]]` as XCU fc describes (dash's `%5d ` numbering).

use std::cell::RefCell;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use super::exec::{err, Ex, Shell};
use super::fdio;

pub const DEFAULT_SIZE: usize = 500;

#[derive(Debug, Default)]
struct History {
    entries: Vec<String>,
    /// The number of `entries[0]` (entries dropped from the front keep the others' numbers).
    first: usize,
    file: Option<String>,
    size: usize,
}

thread_local! {
    /// One shell per process: the history of the interactive shell running here.
    static HISTORY: RefCell<History> = RefCell::new(History {
        first: 1,
        size: DEFAULT_SIZE,
        ..Default::default()
    });
}

/// Where the history lives and how much of it to keep, from the shell's variables.
fn settings(sh: &Shell) -> (Option<String>, usize) {
    let size = sh
        .get("HISTSIZE")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_SIZE);
    let file = sh
        .get("HISTFILE")
        .or_else(|| {
            sh.get("HOME")
                .map(|h| format!("{}/.sh_history", h.trim_end_matches('/')))
        })
        .filter(|f| !f.is_empty());
    (file, size)
}

/// Load the history file at the start of an interactive shell; returns its lines, oldest
/// first, for the line editor.
pub fn load(sh: &Shell) -> Vec<String> {
    let (file, size) = settings(sh);
    let text = file
        .as_ref()
        .and_then(|f| std::fs::read(f).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let keep = lines[lines.len().saturating_sub(size)..].to_vec();
    HISTORY.with(|h| {
        let mut h = h.borrow_mut();
        h.entries = keep.clone();
        h.first = 1;
        h.file = file;
        h.size = size;
    });
    keep
}

/// Record an accepted line: in memory and at the end of the file. The file is rewritten with
/// only the newest entries when it has grown to twice the limit.
pub fn add(sh: &Shell, line: &str) {
    let line = line.trim_end_matches('\n');
    if line.trim().is_empty() {
        return;
    }
    let (file, size) = settings(sh);
    if size == 0 {
        // HISTSIZE=0: keep nothing.
        return;
    }
    HISTORY.with(|h| {
        let mut h = h.borrow_mut();
        h.size = size;
        if file.is_some() {
            h.file = file;
        }
        // Each line of a multi-line entry is an entry of its own (the file holds lines).
        for l in line.split('\n').filter(|l| !l.trim().is_empty()) {
            h.entries.push(l.to_string());
        }
        let excess = h.entries.len().saturating_sub(h.size);
        if excess > 0 {
            h.entries.drain(..excess);
            h.first += excess;
        }
        let Some(path) = h.file.clone() else {
            return;
        };
        // Private to its owner, as bash and ash create theirs: commands may hold secrets.
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
        if appended.is_err() {
            return;
        }
        let lines = std::fs::read(&path)
            .map(|b| b.iter().filter(|c| **c == b'\n').count())
            .unwrap_or(0);
        if lines > 2 * h.size {
            let mut text = h.entries.join("\n");
            text.push('\n');
            let _ = std::fs::write(&path, text);
        }
    });
}

/// The entries with their numbers, oldest first.
fn numbered() -> Vec<(usize, String)> {
    HISTORY.with(|h| {
        let h = h.borrow();
        h.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (h.first + i, e.clone()))
            .collect()
    })
}

/// `history` and `fc`.
pub fn builtin(_sh: &mut Shell, argv: &[String]) -> Ex {
    let entries = numbered();
    let r = if argv[0] == "history" {
        Ok(entries
            .iter()
            .map(|(n, e)| format!("{n:4} {e}\n"))
            .collect())
    } else {
        fc_list(&entries, &argv[1..])
    };
    match r {
        Ok(text) => {
            fdio::write_all(1, text.as_bytes());
            Ok(0)
        }
        Err(e) => {
            err(&format!("{}: {e}", argv[0]));
            Ok(if e.starts_with("usage") { 2 } else { 1 })
        }
    }
}

/// `fc -l [-nr] [FIRST [LAST]]`: FIRST and LAST are numbers, negative offsets from the newest
/// entry, or the newest entry starting with that text; by default the last 16 entries.
fn fc_list(entries: &[(usize, String)], args: &[String]) -> Result<String, String> {
    let (mut list, mut numbers, mut reverse) = (false, true, false);
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "--" {
            i += 1;
            break;
        }
        // A negative number is a FIRST, not options.
        if !a.starts_with('-') || a.len() < 2 || a[1..].bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        for c in a[1..].chars() {
            match c {
                'l' => list = true,
                'n' => numbers = false,
                'r' => reverse = true,
                _ => {
                    return Err(format!(
                        "usage: fc -l [-nr] [first [last]] (-{c} is not supported)"
                    ))
                }
            }
        }
        i += 1;
    }
    if !list {
        return Err("usage: fc -l [-nr] [first [last]] (only listing is supported)".into());
    }
    let (Some(&(oldest, _)), Some(&(newest, _))) = (entries.first(), entries.last()) else {
        return Ok(String::new());
    };
    let find = |spec: &str| -> Result<usize, String> {
        if let Ok(n) = spec.parse::<i64>() {
            let n = if n < 0 {
                newest as i64 + 1 + n
            } else if n == 0 {
                newest as i64
            } else {
                n
            };
            return Ok((n.max(oldest as i64) as usize).min(newest));
        }
        entries
            .iter()
            .rev()
            .find(|(_, e)| e.starts_with(spec))
            .map(|(n, _)| *n)
            .ok_or_else(|| format!("{spec}: no such history entry"))
    };
    let first = match args.get(i) {
        Some(s) => find(s)?,
        None => newest.saturating_sub(15).max(oldest),
    };
    let last = match args.get(i + 1) {
        Some(s) => find(s)?,
        None => newest,
    };
    let (lo, hi, backwards) = if first <= last {
        (first, last, reverse)
    } else {
        (last, first, !reverse)
    };
    let mut picked: Vec<&(usize, String)> = entries
        .iter()
        .filter(|(n, _)| (lo..=hi).contains(n))
        .collect();
    if backwards {
        picked.reverse();
    }
    Ok(picked
        .iter()
        .map(|(n, e)| {
            if numbers {
                format!("{n:5} {e}\n")
            } else {
                format!("\t{e}\n")
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn fc_list_table() {
        let entries: Vec<(usize, String)> = (1..=20).map(|n| (n, format!("echo {n}"))).collect();
        let nums = |r: Result<String, String>| -> Vec<usize> {
            r.unwrap()
                .lines()
                .map(|l| l.trim().split(' ').next().unwrap().parse().unwrap())
                .collect()
        };
        let cases: Vec<(&[&str], Vec<usize>)> = vec![
            (&["-l"], (5..=20).collect()),
            (&["-l", "18"], vec![18, 19, 20]),
            (&["-l", "-2"], vec![19, 20]),
            (&["-l", "3", "5"], vec![3, 4, 5]),
            (&["-l", "5", "3"], vec![5, 4, 3]),
            (&["-lr", "3", "5"], vec![5, 4, 3]),
            (&["-l", "echo 1"], vec![19, 20]),
        ];
        for (args, want) in cases {
            assert_eq!(nums(fc_list(&entries, &strs(args))), want, "{args:?}");
        }
        assert_eq!(
            fc_list(&entries, &strs(&["-l", "2", "2"])),
            Ok("    2 echo 2\n".into())
        );
        assert_eq!(
            fc_list(&entries, &strs(&["-ln", "2", "2"])),
            Ok("\techo 2\n".into())
        );
        assert!(fc_list(&entries, &strs(&["-e", "vi"])).is_err());
        assert!(fc_list(&entries, &strs(&["-l", "nope"])).is_err());
    }
}
