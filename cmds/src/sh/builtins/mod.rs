//! Builtins: the ones that must change the shell itself (XCU §2.14 special built-ins, `cd`,
//! `read`, `umask`, `alias`...) and a few cheap ones that save a fork (`test`, `echo`,
//! `printf`). This file holds the tables, the dispatch and the control-flow built-ins.

mod alias;
mod cd;
mod command;
mod echo;
mod getopts;
mod printf;
mod read;
mod set;
mod test;
mod trap;
mod ulimit;
mod umask;
mod vars;

use super::exec::{err, Ex, Flow, Shell};
use super::fdio;

/// XCU §2.14 special built-ins, plus `local` and `times` which dash treats the same way.
const SPECIAL: [&str; 16] = [
    ".", ":", "break", "continue", "eval", "exec", "exit", "export", "local", "readonly", "return",
    "set", "shift", "times", "trap", "unset",
];
const REGULAR: [&str; 25] = [
    "[", "alias", "bg", "cd", "command", "echo", "false", "fc", "fg", "getopts", "hash", "history",
    "jobs", "kill", "printf", "pwd", "read", "source", "test", "true", "type", "ulimit", "umask",
    "unalias", "wait",
];
/// XCU §2.4 reserved words (`type if` says "if is a shell keyword").
const KEYWORDS: [&str; 16] = [
    "!", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then", "until",
    "while", "{", "}",
];

pub fn is_special(name: &str) -> bool {
    SPECIAL.contains(&name)
}

pub fn is_builtin(name: &str) -> bool {
    is_special(name) || REGULAR.contains(&name)
}

pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

fn out(s: &str) {
    fdio::write_all(1, s.as_bytes());
}

/// Single-quote `s` as dash does in `set`, `export -p`, `trap` and `alias` listings, so the
/// shell reads it back unchanged: `it's` becomes `'it'"'"'s'`.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

/// A non-negative decimal operand (`break 2`, `shift 1`, `exit 3`), as dash's "Illegal
/// number" check: no sign, digits only.
fn number_arg(name: &str, arg: Option<&String>, default: i32) -> Result<i32, Flow> {
    match arg {
        None => Ok(default),
        Some(a) => match a.parse::<i32>() {
            Ok(n) if !a.starts_with(['-', '+']) => Ok(n),
            _ => {
                err(&format!("{name}: Illegal number: {a}"));
                Err(Flow::Fail(2))
            }
        },
    }
}

/// Single-letter flags up to `--` or the first operand: (letters, operands), or the first
/// letter not in `allowed`.
pub fn scan_flags<'a>(args: &'a [String], allowed: &str) -> Result<(String, &'a [String]), char> {
    let mut letters = String::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "--" {
            i += 1;
            break;
        }
        if a.len() < 2 || !a.starts_with('-') {
            break;
        }
        for c in a[1..].chars() {
            if !allowed.contains(c) {
                return Err(c);
            }
            letters.push(c);
        }
        i += 1;
    }
    Ok((letters, &args[i..]))
}

/// The options of a builtin that takes single-letter flags, up to `--` or the first operand:
/// (letters, operands). An unknown letter is "Illegal option" (status 2, as dash).
fn flags<'a>(
    name: &str,
    args: &'a [String],
    allowed: &str,
) -> Result<(String, &'a [String]), Flow> {
    scan_flags(args, allowed).map_err(|c| {
        err(&format!("{name}: Illegal option -{c}"));
        Flow::Fail(2)
    })
}

/// Run builtin `argv[0]`. A failing special built-in ends a non-interactive shell (XCU §2.8.1).
pub fn run(sh: &mut Shell, argv: &[String]) -> Ex {
    let outer = fdio::take_out_error();
    let r = match dispatch(sh, argv) {
        Err(Flow::Fail(st)) if is_special(&argv[0]) && !sh.interactive => Err(Flow::Exit(st)),
        Err(Flow::Fail(st)) => Ok(st),
        r => r,
    };
    // Output that could not be written (`echo a >&-`, a full disk) fails the builtin, as dash.
    let failed = fdio::take_out_error();
    fdio::set_out_error(outer);
    match r {
        Ok(st) if failed => {
            err(&format!("{}: I/O error", argv[0]));
            Ok(st | 1)
        }
        r => r,
    }
}

/// Run builtin `argv[0]`; `Flow::Fail` reports an error the caller decides about.
fn dispatch(sh: &mut Shell, argv: &[String]) -> Ex {
    let args = &argv[1..];
    match argv[0].as_str() {
        ":" | "true" => Ok(0),
        "false" => Ok(1),
        "echo" => Ok(echo::echo(args)),
        "exit" => {
            let st = number_arg("exit", args.first(), sh.status)?;
            Err(Flow::Exit(st & 0xff))
        }
        "return" => Err(Flow::Return(number_arg("return", args.first(), sh.status)?)),
        "break" | "continue" => {
            let n = number_arg(&argv[0], args.first(), 1)?;
            if n < 1 {
                err(&format!("{}: Illegal number: {n}", argv[0]));
                return Err(Flow::Fail(2));
            }
            if sh.loop_depth == 0 {
                return Ok(0);
            }
            let n = (n as u32).min(sh.loop_depth);
            Err(if argv[0] == "break" {
                Flow::Break(n)
            } else {
                Flow::Continue(n)
            })
        }
        "shift" => {
            let n = number_arg("shift", args.first(), 1)?;
            if n as usize > sh.params.len() {
                err("shift: can't shift that many");
                return Err(Flow::Fail(2));
            }
            sh.params.drain(..n as usize);
            Ok(0)
        }
        "eval" => sh.eval_text(&args.join(" ")),
        "." | "source" => dot(sh, args),
        "times" => Ok(times()),
        "cd" => cd::cd(sh, args),
        "pwd" => cd::pwd(sh, args),
        "export" => vars::export(sh, args),
        "readonly" => vars::readonly(sh, args),
        "local" => vars::local(sh, args),
        "unset" => vars::unset(sh, args),
        "set" => set::set(sh, args),
        "read" => read::read(sh, args),
        "getopts" => getopts::getopts(sh, args),
        "printf" => Ok(printf::printf(args)),
        "test" => Ok(test::test(args)),
        "[" => {
            if args.last().is_some_and(|a| a == "]") {
                Ok(test::test(&args[..args.len() - 1]))
            } else {
                err("[: missing ]");
                Ok(2)
            }
        }
        "command" => command::command(sh, args),
        "type" => Ok(command::type_(sh, args)),
        "hash" => command::hash(sh, args),
        "alias" => Ok(alias::alias(sh, args)),
        "unalias" => alias::unalias(sh, args),
        "umask" => umask::umask(args),
        "ulimit" => ulimit::ulimit(args),
        "trap" => trap::trap(sh, args),
        "wait" => Ok(super::jobs::wait(sh, args)),
        "jobs" | "fg" | "bg" | "kill" => super::jobs::builtin(sh, argv),
        "history" | "fc" => super::history::builtin(sh, argv),
        // `exec CMD` itself is run by exec.rs; this is `command exec CMD`.
        "exec" if args.is_empty() => Ok(0),
        "exec" => {
            let st = sh.exec_external(args, &[], &[]);
            Err(if sh.interactive && !sh.in_child {
                Flow::Fail(st)
            } else {
                Flow::Exit(st)
            })
        }
        other => {
            err(&format!("{other}: not found"));
            Ok(127)
        }
    }
}

/// `. FILE`: run FILE (found on PATH when it has no `/`) in this shell.
fn dot(sh: &mut Shell, args: &[String]) -> Ex {
    let Some(file) = args.first() else {
        return Ok(0);
    };
    let path = if file.contains('/') {
        file.clone()
    } else {
        let path = sh.get("PATH").unwrap_or_default();
        path.split(':')
            .map(|d| format!("{}/{file}", if d.is_empty() { "." } else { d }))
            .find(|p| std::path::Path::new(p).is_file())
            .unwrap_or_else(|| file.clone())
    };
    let text = match std::fs::read(&path) {
        Ok(t) => String::from_utf8_lossy(&t).into_owned(),
        Err(e) => {
            err(&format!(
                ".: cannot open {file}: {}",
                crate::error::io_reason(&e)
            ));
            return Err(Flow::Fail(2));
        }
    };
    // As dash: operands after FILE are ignored (XCU dot takes none).
    match sh.eval_text(&text) {
        Err(Flow::Return(st)) => Ok(st),
        r => r,
    }
}

/// `times`: user and system time of the shell, then of its children, as dash prints them.
fn times() -> i32 {
    let mut t = libc::tms {
        tms_utime: 0,
        tms_stime: 0,
        tms_cutime: 0,
        tms_cstime: 0,
    };
    // SAFETY: times(2) only writes the struct it is given.
    unsafe { libc::times(&mut t) };
    // SAFETY: sysconf has no memory effects.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let f = |ticks: libc::clock_t| {
        let s = ticks as f64 / hz;
        let m = (s / 60.0).floor();
        format!("{}m{:.6}s", m as i64, s - m * 60.0)
    };
    out(&format!(
        "{} {}\n{} {}\n",
        f(t.tms_utime),
        f(t.tms_stime),
        f(t.tms_cutime),
        f(t.tms_cstime)
    ));
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_table() {
        for (s, want) in [
            ("abc", "'abc'"),
            ("a b", "'a b'"),
            ("", "''"),
            ("it's", "'it'\"'\"'s'"),
        ] {
            assert_eq!(quote(s), want);
        }
    }

    #[test]
    fn number_arg_table() {
        let s = |v: &str| Some(v.to_string());
        for (arg, want) in [
            (s("3"), Some(3)),
            (None, Some(7)),
            (s("x"), None),
            (s("-1"), None),
            (s("+1"), None),
            (s("0"), Some(0)),
        ] {
            assert_eq!(number_arg("t", arg.as_ref(), 7).ok(), want, "{arg:?}");
        }
    }

    #[test]
    fn tables_sorted_and_disjoint() {
        for t in [&SPECIAL[..], &REGULAR[..], &KEYWORDS[..]] {
            assert!(t.windows(2).all(|w| w[0] < w[1]), "{t:?}");
        }
        assert!(SPECIAL.iter().all(|s| !REGULAR.contains(s)));
    }
}
