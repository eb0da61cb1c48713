//! Builtins: the ones that must change the shell itself (XCU §2.14 special builtins, `cd`,
//! `read`, `wait`, `local`) and a few cheap ones that save a fork (`test`, `echo`, `printf`-less).

use super::arith::parse_number;
use super::exec::{err, Ex, Flow, Found, Shell};
use super::fdio;
use super::parser::{assignment_split, is_name};

const SPECIAL: [&str; 14] = [
    ":", ".", "break", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set",
    "shift", "trap", "unset",
];
const REGULAR: [&str; 25] = [
    "[", "alias", "bg", "cd", "command", "echo", "false", "fc", "fg", "getopts", "hash", "history",
    "jobs", "kill", "local", "printf", "pwd", "read", "source", "test", "true", "type", "umask",
    "unalias", "wait",
];

pub fn is_special(name: &str) -> bool {
    SPECIAL.contains(&name)
}

pub fn is_builtin(name: &str) -> bool {
    is_special(name) || REGULAR.contains(&name)
}

fn out(s: &str) {
    fdio::write_all(1, s.as_bytes());
}

/// Single-quote `s` so the shell reads it back unchanged.
pub fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=,+@%".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn number_arg(name: &str, arg: Option<&String>, default: i32) -> Result<i32, Flow> {
    match arg {
        None => Ok(default),
        Some(a) => a.parse().map_err(|_| {
            err(&format!("{name}: {a}: numeric argument required"));
            Flow::Fail(2)
        }),
    }
}

pub fn run(sh: &mut Shell, argv: &[String]) -> Ex {
    let args = &argv[1..];
    let r = match argv[0].as_str() {
        ":" | "true" => Ok(0),
        "false" => Ok(1),
        "echo" => Ok(echo(args)),
        "exit" => {
            let st = number_arg("exit", args.first(), sh.status)?;
            Err(Flow::Exit(st & 0xff))
        }
        "return" => Err(Flow::Return(
            number_arg("return", args.first(), sh.status)? & 0xff,
        )),
        "break" | "continue" => {
            let n = number_arg(&argv[0], args.first(), 1)?;
            if sh.loop_depth == 0 || n < 1 {
                return Ok(0);
            }
            let n = (n as u32).min(sh.loop_depth);
            Err(if argv[0] == "break" {
                Flow::Break(n)
            } else {
                Flow::Continue(n)
            })
        }
        "cd" => Ok(cd(sh, args)),
        "pwd" => {
            let pwd = sh
                .get("PWD")
                .filter(|p| p.starts_with('/') && !args.iter().any(|a| a == "-P"));
            match pwd.map(Ok).unwrap_or_else(|| {
                std::env::current_dir().map(|p| p.to_string_lossy().into_owned())
            }) {
                Ok(p) => {
                    out(&format!("{p}\n"));
                    Ok(0)
                }
                Err(e) => {
                    err(&format!("pwd: {}", crate::error::io_reason(&e)));
                    Ok(1)
                }
            }
        }
        "export" => Ok(export(sh, args, true)),
        // Values are set but not protected: nothing here relies on read-only variables.
        "readonly" => Ok(export(sh, args, false)),
        "local" => {
            for a in args {
                let (name, value) = match assignment_split(a) {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (a.as_str(), None),
                };
                if let Some(frame) = sh.locals.last_mut() {
                    if !frame.iter().any(|(n, _)| n == name) {
                        frame.push((name.to_string(), sh.vars.get(name).cloned()));
                    }
                } else {
                    err("local: not in a function");
                    return Ok(1);
                }
                if let Some(v) = value {
                    sh.set(name, v);
                }
            }
            Ok(0)
        }
        "unset" => {
            let funcs = args.first().is_some_and(|a| a == "-f");
            for a in args.iter().filter(|a| !a.starts_with('-')) {
                if funcs {
                    sh.funcs.remove(a);
                } else {
                    sh.vars.remove(a);
                }
            }
            Ok(0)
        }
        "set" => set(sh, args),
        "shift" => {
            let n = number_arg("shift", args.first(), 1)?;
            if n < 0 || n as usize > sh.params.len() {
                err(&format!("shift: {n}: can't shift that many"));
                return Ok(1);
            }
            sh.params.drain(..n as usize);
            Ok(0)
        }
        "eval" => sh.eval_text(&args.join(" ")),
        "." | "source" => dot(sh, args),
        "read" => Ok(read(sh, args)),
        "wait" => Ok(super::jobs::wait(sh, args)),
        "jobs" | "fg" | "bg" | "kill" => super::jobs::builtin(sh, argv),
        "history" | "fc" => super::history::builtin(sh, argv),
        "test" => Ok(test(args)),
        "[" => {
            if args.last().is_some_and(|a| a == "]") {
                Ok(test(&args[..args.len() - 1]))
            } else {
                err("[: missing ]");
                Ok(2)
            }
        }
        "command" => command(sh, args),
        "type" => {
            let mut st = 0;
            for a in args {
                if !describe(sh, a, true) {
                    st = 127;
                }
            }
            Ok(st)
        }
        "umask" => Ok(umask(args)),
        "getopts" => Ok(getopts(sh, args)),
        "printf" => Ok(printf(args)),
        "trap" => Ok(trap(sh, args)),
        "exec" => Ok(0),
        other => {
            err(&format!("{other}: not found"));
            Ok(127)
        }
    };
    match r {
        Err(Flow::Fail(st)) if is_special(&argv[0]) && !sh.interactive => Err(Flow::Exit(st)),
        Err(Flow::Fail(st)) => Ok(st),
        r => r,
    }
}

/// Like the `echo` applet (uutils): `-n`, `-e`, `-E`; no escapes unless `-e`.
fn echo(args: &[String]) -> i32 {
    let mut newline = true;
    let mut escapes = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a.len() < 2
            || !a.starts_with('-')
            || !a[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E'))
        {
            break;
        }
        for c in a[1..].chars() {
            match c {
                'n' => newline = false,
                'e' => escapes = true,
                _ => escapes = false,
            }
        }
        i += 1;
    }
    let mut s = args[i..].join(" ");
    if escapes {
        let (text, stop) = unescape(&s);
        s = text;
        if stop {
            newline = false;
        }
    }
    if newline {
        s.push('\n');
    }
    out(&s);
    0
}

/// Backslash escapes of `echo -e`; `\c` stops output (second value true).
fn unescape(s: &str) -> (String, bool) {
    let mut o = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            o.push(c);
            continue;
        }
        match it.next() {
            Some('n') => o.push('\n'),
            Some('t') => o.push('\t'),
            Some('r') => o.push('\r'),
            Some('a') => o.push('\x07'),
            Some('b') => o.push('\x08'),
            Some('e') => o.push('\x1b'),
            Some('f') => o.push('\x0c'),
            Some('v') => o.push('\x0b'),
            Some('\\') => o.push('\\'),
            Some('c') => return (o, true),
            Some('x') => {
                let mut v = 0u32;
                let mut n = 0;
                while let Some(d) = it.peek().and_then(|d| d.to_digit(16)).filter(|_| n < 2) {
                    v = v * 16 + d;
                    n += 1;
                    it.next();
                }
                if n == 0 {
                    o.push_str("\\x");
                } else {
                    o.push(char::from_u32(v).unwrap_or('?'));
                }
            }
            Some('0') => {
                let mut v = 0u32;
                for _ in 0..3 {
                    match it.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            it.next();
                        }
                        None => break,
                    }
                }
                o.push(char::from_u32(v).unwrap_or('?'));
            }
            Some(x) => {
                o.push('\\');
                o.push(x);
            }
            None => o.push('\\'),
        }
    }
    (o, false)
}

fn cd(sh: &mut Shell, args: &[String]) -> i32 {
    let args: Vec<&String> = args.iter().filter(|a| *a != "-L" && *a != "-P").collect();
    let (target, print) = match args.first().map(|s| s.as_str()) {
        None => match sh.get("HOME") {
            Some(h) => (h, false),
            None => {
                err("cd: HOME not set");
                return 1;
            }
        },
        Some("-") => match sh.get("OLDPWD") {
            Some(o) => (o, true),
            None => {
                err("cd: OLDPWD not set");
                return 1;
            }
        },
        Some(d) => (d.to_string(), false),
    };
    let old = sh.get("PWD").unwrap_or_default();
    if let Err(e) = nix::unistd::chdir(target.as_str()) {
        err(&format!("cd: {target}: {}", e.desc()));
        return 1;
    }
    // Keep PWD logical (symlinks as typed), normalising `.` and `..`.
    let joined = if target.starts_with('/') {
        target.clone()
    } else {
        format!("{old}/{target}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut pwd = format!("/{}", parts.join("/"));
    if !old.starts_with('/') {
        if let Ok(c) = std::env::current_dir() {
            pwd = c.to_string_lossy().into_owned();
        }
    }
    if print {
        out(&format!("{pwd}\n"));
    }
    sh.set_exported("OLDPWD", old);
    sh.set_exported("PWD", pwd);
    0
}

fn export(sh: &mut Shell, args: &[String], export: bool) -> i32 {
    let names: Vec<&String> = args.iter().filter(|a| *a != "-p").collect();
    if names.is_empty() {
        if export {
            print_vars(sh, "export ", true);
        }
        return 0;
    }
    let mut st = 0;
    for a in names {
        let (name, value) = match assignment_split(a) {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (a.as_str(), None),
        };
        if !is_name(name) {
            err(&format!(
                "{}: {name}: bad variable name",
                if export { "export" } else { "readonly" }
            ));
            st = 1;
            continue;
        }
        let value = value.or_else(|| sh.get(name)).unwrap_or_default();
        if export {
            sh.set_exported(name, value);
        } else {
            sh.set(name, value);
        }
    }
    st
}

/// `NAME='value'` lines, sorted, to read back with `eval`.
fn print_vars(sh: &Shell, prefix: &str, exported_only: bool) {
    let mut lines: Vec<String> = sh
        .vars
        .iter()
        .filter(|(_, v)| v.exported || !exported_only)
        .map(|(k, v)| format!("{prefix}{k}={}\n", quote(&v.value)))
        .collect();
    lines.sort();
    out(&lines.concat());
}

fn set(sh: &mut Shell, args: &[String]) -> Ex {
    if args.is_empty() {
        print_vars(sh, "", false);
        return Ok(0);
    }
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "--" {
            i += 1;
            sh.params = args[i..].to_vec();
            return Ok(0);
        }
        let on = a.starts_with('-');
        if !(on || a.starts_with('+')) || a.len() < 2 {
            break;
        }
        for c in a[1..].chars() {
            match c {
                'e' => sh.errexit = on,
                'x' => sh.xtrace = on,
                'u' => sh.nounset = on,
                'f' => sh.noglob = on,
                'o' => {
                    i += 1;
                    let opt = args.get(i).map(String::as_str).unwrap_or("");
                    match opt {
                        "errexit" => sh.errexit = on,
                        "xtrace" => sh.xtrace = on,
                        "nounset" => sh.nounset = on,
                        "noglob" => sh.noglob = on,
                        _ => {
                            err(&format!("set: {opt}: bad option"));
                            return Err(Flow::Fail(2));
                        }
                    }
                }
                _ => {
                    err(&format!("set: -{c}: bad option"));
                    return Err(Flow::Fail(2));
                }
            }
        }
        i += 1;
    }
    if i < args.len() {
        sh.params = args[i..].to_vec();
    }
    Ok(0)
}

fn dot(sh: &mut Shell, args: &[String]) -> Ex {
    let Some(file) = args.first() else {
        err(".: filename argument required");
        return Err(Flow::Fail(2));
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
            err(&format!("{file}: {}", crate::error::io_reason(&e)));
            return Err(Flow::Fail(1));
        }
    };
    let saved = (args.len() > 1).then(|| std::mem::replace(&mut sh.params, args[1..].to_vec()));
    let r = sh.eval_text(&text);
    if let Some(p) = saved {
        sh.params = p;
    }
    match r {
        Err(Flow::Return(st)) => Ok(st),
        r => r,
    }
}

fn read(sh: &mut Shell, args: &[String]) -> i32 {
    let mut raw = false;
    let mut names = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-r" => raw = true,
            "-p" => {
                i += 1;
                if let Some(p) = args.get(i) {
                    fdio::write_all(2, p.as_bytes());
                }
            }
            _ => names.push(a.clone()),
        }
        i += 1;
    }
    if names.is_empty() {
        names.push("REPLY".into());
    }
    // Bytes of the line; `true` marks characters protected by a backslash from splitting.
    let mut line: Vec<(u8, bool)> = Vec::new();
    let mut eof = false;
    loop {
        let Some(b) = fdio::read_byte(0) else {
            eof = true;
            break;
        };
        if b == b'\n' {
            break;
        }
        if b == b'\\' && !raw {
            match fdio::read_byte(0) {
                Some(b'\n') => continue,
                Some(n) => line.push((n, true)),
                None => {
                    eof = true;
                    break;
                }
            }
            continue;
        }
        line.push((b, false));
    }
    let ifs = sh.ifs();
    let is_ifs = |b: &(u8, bool)| !b.1 && ifs.as_bytes().contains(&b.0);
    let is_ws = |b: &(u8, bool)| is_ifs(b) && matches!(b.0, b' ' | b'\t' | b'\n');
    let mut pos = 0;
    let text = |s: &[(u8, bool)]| {
        String::from_utf8_lossy(&s.iter().map(|b| b.0).collect::<Vec<u8>>()).into_owned()
    };
    for (k, name) in names.iter().enumerate() {
        while pos < line.len() && is_ws(&line[pos]) {
            pos += 1;
        }
        let value = if k + 1 == names.len() {
            let mut end = line.len();
            while end > pos && is_ws(&line[end - 1]) {
                end -= 1;
            }
            text(&line[pos..end])
        } else {
            let start = pos;
            while pos < line.len() && !is_ifs(&line[pos]) {
                pos += 1;
            }
            let v = text(&line[start..pos]);
            if pos < line.len() && !is_ws(&line[pos]) {
                pos += 1;
            }
            v
        };
        sh.set(name, value);
    }
    i32::from(eof)
}

/// `command [-v|-V] name args`: run skipping functions, or describe.
fn command(sh: &mut Shell, args: &[String]) -> Ex {
    match args.first().map(String::as_str) {
        None => Ok(0),
        Some(flag @ ("-v" | "-V")) => {
            let mut st = 0;
            for a in &args[1..] {
                if !describe(sh, a, flag == "-V") {
                    st = 127;
                }
            }
            Ok(st)
        }
        Some(_) => {
            if is_builtin(&args[0]) {
                return run(sh, args);
            }
            let argv = args.to_vec();
            match sh.fork_child(false, |c| c.exec_external(&argv, &[], &[])) {
                Some(pid) => Ok(sh.wait_fg(pid)),
                None => Ok(2),
            }
        }
    }
}

fn describe(sh: &Shell, name: &str, verbose: bool) -> bool {
    let line = if sh.funcs.contains_key(name) {
        if verbose {
            format!("{name} is a function")
        } else {
            name.to_string()
        }
    } else if is_builtin(name) {
        if verbose {
            format!("{name} is a shell builtin")
        } else {
            name.to_string()
        }
    } else {
        match sh.find_command(name) {
            Found::Path(p) => {
                if verbose {
                    format!("{name} is {p}")
                } else {
                    p
                }
            }
            Found::Applet => {
                if verbose {
                    format!("{name} is an rbox applet")
                } else {
                    name.to_string()
                }
            }
            _ => {
                if verbose {
                    err(&format!("{name}: not found"));
                }
                return false;
            }
        }
    };
    out(&format!("{line}\n"));
    true
}

fn umask(args: &[String]) -> i32 {
    use nix::sys::stat::{umask, Mode};
    match args.first() {
        None => {
            let cur = umask(Mode::empty());
            umask(cur);
            out(&format!("{:04o}\n", cur.bits()));
            0
        }
        Some(m) => match u32::from_str_radix(m, 8) {
            Ok(v) if v <= 0o777 => {
                umask(Mode::from_bits_truncate(v as libc::mode_t));
                0
            }
            _ => {
                err(&format!("umask: {m}: bad mode"));
                1
            }
        },
    }
}

/// `trap ACTION SIG...`: run ACTION on EXIT (or 0) or when a signal arrives (between
/// commands); `''` ignores the signal, `-` restores it. `trap` alone lists the traps.
fn trap(sh: &mut Shell, args: &[String]) -> i32 {
    use nix::sys::signal::{signal, SigHandler, Signal};
    let Some((action, sigs)) = args.split_first() else {
        if let Some(t) = &sh.exit_trap {
            out(&format!("trap -- {} EXIT\n", quote(t)));
        }
        for (sig, t) in &sh.traps {
            let name = Signal::try_from(*sig).map_or("?", |s| s.as_str());
            out(&format!(
                "trap -- {} {}\n",
                quote(t),
                name.trim_start_matches("SIG")
            ));
        }
        return 0;
    };
    let mut st = 0;
    for s in sigs {
        let up = s.to_ascii_uppercase();
        let name = up.strip_prefix("SIG").unwrap_or(&up);
        if name == "EXIT" || name == "0" {
            sh.exit_trap = (action != "-" && !action.is_empty()).then(|| action.clone());
            continue;
        }
        let sig = match name.parse::<i32>() {
            Ok(n) => Signal::try_from(n).ok(),
            Err(_) => format!("SIG{name}").parse::<Signal>().ok(),
        };
        let Some(sig) = sig.filter(|s| !matches!(s, Signal::SIGKILL | Signal::SIGSTOP)) else {
            err(&format!("trap: {s}: bad signal"));
            st = 1;
            continue;
        };
        sh.traps.retain(|t| t.0 != sig as i32);
        // An interactive shell keeps ignoring SIGINT/SIGQUIT when their trap is reset.
        let keep_ignored = sh.owns_sigint && matches!(sig, Signal::SIGINT | Signal::SIGQUIT);
        let handler = match action.as_str() {
            "" => SigHandler::SigIgn,
            "-" if keep_ignored => SigHandler::SigIgn,
            "-" => SigHandler::SigDfl,
            _ => {
                super::signals::catch_signal(sig);
                sh.traps.push((sig as i32, action.clone()));
                continue;
            }
        };
        // SAFETY: SIG_IGN and SIG_DFL install no handler code.
        let _ = unsafe { signal(sig, handler) };
    }
    st
}

/// `getopts SPEC NAME [ARG...]` (XCU getopts): the next option from ARGs or `$@`.
fn getopts(sh: &mut Shell, args: &[String]) -> i32 {
    let (Some(spec), Some(name)) = (args.first(), args.get(1)) else {
        err("getopts: usage: getopts optstring name [arg...]");
        return 2;
    };
    let argv: Vec<String> = if args.len() > 2 {
        args[2..].to_vec()
    } else {
        sh.params.clone()
    };
    let mut ind: usize = sh
        .get("OPTIND")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let mut pos = if sh.optpos.1 == ind { sh.optpos.0 } else { 0 };
    let silent = spec.starts_with(':');
    let arg: Vec<char> = argv
        .get(ind - 1)
        .map(|a| a.chars().collect())
        .unwrap_or_default();
    if pos >= arg.len() {
        pos = 0;
    }
    if pos == 0 {
        if arg.len() < 2 || arg[0] != '-' || arg == ['-', '-'] {
            if arg == ['-', '-'] {
                ind += 1;
            }
            sh.set("OPTIND", ind.to_string());
            sh.set(name, "?".into());
            return 1;
        }
        pos = 1;
    }
    let c = arg[pos];
    pos += 1;
    let at = spec.find(c).filter(|_| c != ':');
    let wants_arg = at.is_some_and(|i| spec[i + c.len_utf8()..].starts_with(':'));
    let mut value = c.to_string();
    if at.is_none() {
        if silent {
            sh.set("OPTARG", c.to_string());
        } else {
            err(&format!("getopts: illegal option -- {c}"));
            sh.vars.remove("OPTARG");
        }
        value = "?".into();
    } else if wants_arg {
        if pos < arg.len() {
            sh.set("OPTARG", arg[pos..].iter().collect());
        } else if let Some(next) = argv.get(ind) {
            sh.set("OPTARG", next.clone());
            ind += 1;
        } else if silent {
            sh.set("OPTARG", c.to_string());
            value = ":".into();
        } else {
            err(&format!("getopts: option requires an argument -- {c}"));
            value = "?".into();
        }
        pos = arg.len();
    } else {
        sh.vars.remove("OPTARG");
    }
    if pos >= arg.len() {
        ind += 1;
        pos = 0;
    }
    sh.optpos = (pos, ind);
    sh.set("OPTIND", ind.to_string());
    sh.set(name, value);
    0
}

/// `printf FORMAT [ARG...]` (XCU printf): `%s %b %c %d %i %u %o %x %X %%` with flags, width
/// and precision; the format is reused while arguments remain.
fn printf(args: &[String]) -> i32 {
    let Some((fmt, mut rest)) = args.split_first() else {
        err("printf: usage: printf format [arg...]");
        return 2;
    };
    let fmt: Vec<char> = fmt.chars().collect();
    let mut o = String::new();
    let mut st = 0;
    loop {
        let before = rest.len();
        let mut i = 0;
        while i < fmt.len() {
            let c = fmt[i];
            if c == '\\' {
                let (text, used, stop) = escape_at(&fmt, i + 1, false);
                o.push_str(&text);
                i += 1 + used;
                if stop {
                    out(&o);
                    return st;
                }
                continue;
            }
            if c != '%' {
                o.push(c);
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            while i < fmt.len() && "-+ #0".contains(fmt[i]) {
                i += 1;
            }
            while i < fmt.len() && (fmt[i].is_ascii_digit() || fmt[i] == '.') {
                i += 1;
            }
            let Some(&conv) = fmt.get(i) else {
                o.extend(&fmt[start..]);
                break;
            };
            i += 1;
            let spec: String = fmt[start + 1..i - 1].iter().collect();
            if conv == '%' {
                o.push('%');
                continue;
            }
            let arg = rest.first().cloned();
            if !rest.is_empty() {
                rest = &rest[1..];
            }
            let arg = arg.unwrap_or_default();
            let text = match conv {
                's' => arg,
                'b' => {
                    let a: Vec<char> = arg.chars().collect();
                    let mut t = String::new();
                    let mut k = 0;
                    while k < a.len() {
                        if a[k] == '\\' {
                            let (e, used, stop) = escape_at(&a, k + 1, true);
                            t.push_str(&e);
                            k += 1 + used;
                            if stop {
                                o.push_str(&pad(&spec, t));
                                out(&o);
                                return st;
                            }
                        } else {
                            t.push(a[k]);
                            k += 1;
                        }
                    }
                    t
                }
                'c' => arg.chars().next().map(String::from).unwrap_or_default(),
                'd' | 'i' | 'u' | 'o' | 'x' | 'X' => {
                    let n = if arg.is_empty() {
                        0
                    } else if let Some(ch) = arg.strip_prefix(['\'', '"']) {
                        ch.chars().next().map_or(0, |c| c as i64)
                    } else {
                        parse_number(arg.trim()).unwrap_or_else(|| {
                            err(&format!("printf: {arg}: invalid number"));
                            st = 1;
                            0
                        })
                    };
                    number(&spec, conv, n)
                }
                _ => {
                    err(&format!("printf: %{conv}: invalid directive"));
                    return 1;
                }
            };
            o.push_str(&if conv == 'd' || conv == 'i' || "uoxX".contains(conv) {
                text
            } else {
                pad(&spec, text)
            });
        }
        if rest.is_empty() || rest.len() == before {
            break;
        }
    }
    out(&o);
    st
}

/// Apply `-`, width and precision of a `%s`-like directive.
fn pad(spec: &str, mut text: String) -> String {
    let flags = spec.chars().take_while(|c| "-+ #0".contains(*c)).count();
    let left = spec[..flags].contains('-');
    let spec = &spec[flags..];
    let (w, p) = spec
        .split_once('.')
        .map_or((spec, None), |(w, p)| (w, Some(p)));
    if let Some(p) = p.and_then(|p| p.parse::<usize>().ok().or(Some(0))) {
        text = text.chars().take(p).collect();
    }
    let width: usize = w.parse().unwrap_or(0);
    let n = text.chars().count();
    if n >= width {
        return text;
    }
    let fill = " ".repeat(width - n);
    if left {
        text + &fill
    } else {
        fill + &text
    }
}

fn number(spec: &str, conv: char, n: i64) -> String {
    let digits = match conv {
        'o' => format!("{:o}", n),
        'x' => format!("{:x}", n),
        'X' => format!("{:X}", n),
        'u' => (n as u64).to_string(),
        _ => n.unsigned_abs().to_string(),
    };
    let flags: String = spec.chars().take_while(|c| "-+ #0".contains(*c)).collect();
    let sign = if n < 0 && matches!(conv, 'd' | 'i') {
        "-"
    } else if flags.contains('+') && matches!(conv, 'd' | 'i') {
        "+"
    } else {
        ""
    };
    let body = &spec[flags.len()..];
    let (w, p) = body
        .split_once('.')
        .map_or((body, None), |(w, p)| (w, Some(p)));
    let prec: usize = p.and_then(|p| p.parse().ok()).unwrap_or(0);
    let digits = format!("{}{digits}", "0".repeat(prec.saturating_sub(digits.len())));
    let width: usize = w.parse().unwrap_or(0);
    let len = sign.len() + digits.len();
    if len >= width {
        return format!("{sign}{digits}");
    }
    let fill = width - len;
    if flags.contains('-') {
        format!("{sign}{digits}{}", " ".repeat(fill))
    } else if flags.contains('0') && p.is_none() {
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{sign}{digits}", " ".repeat(fill))
    }
}

/// The escape after a backslash at `s[i]`: (text, characters used, `\c` seen).
/// In `%b` arguments octal escapes are `\0NNN`; in formats `\NNN`.
fn escape_at(s: &[char], i: usize, b_arg: bool) -> (String, usize, bool) {
    let Some(&c) = s.get(i) else {
        return ("\\".into(), 0, false);
    };
    let simple = match c {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'v' => Some('\x0b'),
        'e' => Some('\x1b'),
        '\\' => Some('\\'),
        '"' if !b_arg => Some('"'),
        '\'' if !b_arg => Some('\''),
        _ => None,
    };
    if let Some(ch) = simple {
        return (ch.to_string(), 1, false);
    }
    if c == 'c' && b_arg {
        return (String::new(), 1, true);
    }
    if c.is_digit(8) {
        let (skip, max) = if b_arg && c == '0' { (1, 3) } else { (0, 3) };
        let mut v = 0u32;
        let mut used = skip;
        while used < skip + max {
            match s.get(i + used).and_then(|d| d.to_digit(8)) {
                Some(d) => {
                    v = v * 8 + d;
                    used += 1;
                }
                None => break,
            }
        }
        return (
            char::from_u32(v & 0xff)
                .map(String::from)
                .unwrap_or_default(),
            used,
            false,
        );
    }
    (format!("\\{c}"), 1, false)
}

// ---- test / [ (XCU test(1)) ----

fn test(args: &[String]) -> i32 {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut t = Test { a: &a, i: 0 };
    let r = match a.len() {
        0 => Ok(false),
        1 => Ok(!a[0].is_empty()),
        2 if a[0] == "!" => Ok(a[1].is_empty()),
        2 => t.unary(a[0], a[1]),
        3 if is_binary(a[1]) => t.binary(a[0], a[1], a[2]),
        3 if a[0] == "!" => t.eval_from(1).map(|v| !v),
        4 if a[0] == "!" => t.eval_from(1).map(|v| !v),
        _ => t.eval_from(0),
    };
    match r {
        Ok(v) => i32::from(!v),
        Err(e) => {
            err(&format!("test: {e}"));
            2
        }
    }
}

fn is_binary(op: &str) -> bool {
    matches!(
        op,
        "=" | "=="
            | "!="
            | "-eq"
            | "-ne"
            | "-lt"
            | "-le"
            | "-gt"
            | "-ge"
            | "-nt"
            | "-ot"
            | "-ef"
            | "<"
            | ">"
            | "-a"
            | "-o"
    )
}

struct Test<'a> {
    a: &'a [&'a str],
    i: usize,
}

impl Test<'_> {
    fn eval_from(&mut self, i: usize) -> Result<bool, String> {
        self.i = i;
        let v = self.or()?;
        match self.a.get(self.i) {
            None => Ok(v),
            Some(x) => Err(format!("{x}: unexpected operator")),
        }
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut v = self.and()?;
        while self.a.get(self.i) == Some(&"-o") {
            self.i += 1;
            v |= self.and()?;
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut v = self.not()?;
        while self.a.get(self.i) == Some(&"-a") {
            self.i += 1;
            v &= self.not()?;
        }
        Ok(v)
    }

    fn not(&mut self) -> Result<bool, String> {
        if self.a.get(self.i) == Some(&"!") {
            self.i += 1;
            return Ok(!self.not()?);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<bool, String> {
        let a = self.a;
        let Some(&x) = a.get(self.i) else {
            return Err("argument expected".into());
        };
        if x == "(" {
            self.i += 1;
            let v = self.or()?;
            if a.get(self.i) != Some(&")") {
                return Err("')' expected".into());
            }
            self.i += 1;
            return Ok(v);
        }
        if let (Some(&op), Some(&rhs)) = (a.get(self.i + 1), a.get(self.i + 2)) {
            if is_binary(op) && op != "-a" && op != "-o" {
                self.i += 3;
                return self.binary(x, op, rhs);
            }
        }
        if x.len() == 2 && x.starts_with('-') && a.get(self.i + 1).is_some() {
            if let Some(&arg) = a.get(self.i + 1) {
                self.i += 2;
                return self.unary(x, arg);
            }
        }
        self.i += 1;
        Ok(!x.is_empty())
    }

    fn unary(&self, op: &str, arg: &str) -> Result<bool, String> {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let meta = || std::fs::metadata(arg);
        let access = |f| nix::unistd::access(arg, f).is_ok();
        Ok(match op {
            "-z" => arg.is_empty(),
            "-n" => !arg.is_empty(),
            "-e" => meta().is_ok(),
            "-f" => meta().is_ok_and(|m| m.is_file()),
            "-d" => meta().is_ok_and(|m| m.is_dir()),
            "-s" => meta().is_ok_and(|m| m.len() > 0),
            "-L" | "-h" => std::fs::symlink_metadata(arg).is_ok_and(|m| m.file_type().is_symlink()),
            "-b" => meta().is_ok_and(|m| m.file_type().is_block_device()),
            "-c" => meta().is_ok_and(|m| m.file_type().is_char_device()),
            "-p" => meta().is_ok_and(|m| m.file_type().is_fifo()),
            "-S" => meta().is_ok_and(|m| m.file_type().is_socket()),
            "-u" => meta().is_ok_and(|m| m.mode() & 0o4000 != 0),
            "-g" => meta().is_ok_and(|m| m.mode() & 0o2000 != 0),
            "-k" => meta().is_ok_and(|m| m.mode() & 0o1000 != 0),
            "-r" => access(nix::unistd::AccessFlags::R_OK),
            "-w" => access(nix::unistd::AccessFlags::W_OK),
            "-x" => access(nix::unistd::AccessFlags::X_OK),
            "-t" => arg
                .parse::<i32>()
                .is_ok_and(|fd| nix::unistd::isatty(fd_ref(fd)).unwrap_or(false)),
            _ => return Err(format!("{op}: unexpected operator")),
        })
    }

    fn binary(&self, l: &str, op: &str, r: &str) -> Result<bool, String> {
        let num = |s: &str| parse_number(s.trim()).ok_or_else(|| format!("{s}: bad number"));
        let mtime = |p: &str| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        Ok(match op {
            "=" | "==" => l == r,
            "!=" => l != r,
            "<" => l < r,
            ">" => l > r,
            "-eq" => num(l)? == num(r)?,
            "-ne" => num(l)? != num(r)?,
            "-lt" => num(l)? < num(r)?,
            "-le" => num(l)? <= num(r)?,
            "-gt" => num(l)? > num(r)?,
            "-ge" => num(l)? >= num(r)?,
            "-nt" => matches!((mtime(l), mtime(r)), (Some(a), Some(b)) if a > b),
            "-ot" => matches!((mtime(l), mtime(r)), (Some(a), Some(b)) if a < b),
            "-ef" => {
                use std::os::unix::fs::MetadataExt;
                match (std::fs::metadata(l), std::fs::metadata(r)) {
                    (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
                    _ => false,
                }
            }
            "-a" => !l.is_empty() && !r.is_empty(),
            _ => !l.is_empty() || !r.is_empty(),
        })
    }
}

fn fd_ref(fd: i32) -> std::os::fd::BorrowedFd<'static> {
    // SAFETY: only used for isatty, which tolerates closed descriptors (it returns an error).
    unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(args: &[&str]) -> i32 {
        test(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn test_table() {
        let cases: &[(&[&str], i32)] = &[
            (&[], 1),
            (&["x"], 0),
            (&[""], 1),
            (&["-n", "x"], 0),
            (&["-z", "x"], 1),
            (&["!", "x"], 1),
            (&["a", "=", "a"], 0),
            (&["a", "!=", "a"], 1),
            (&["1", "-lt", "2"], 0),
            (&["10", "-gt", "9"], 0),
            (&["x", "-eq", "1"], 2),
            (&["-d", "/"], 0),
            (&["-f", "/"], 1),
            (&["-e", "/nonexistent/x"], 1),
            (&["!", "a", "=", "b"], 0),
            (&["a", "-a", "", "-o", "b"], 0),
            (&["(", "1", "-eq", "1", ")"], 0),
            (&["-n", "a", "-a", "-z", "b"], 1),
            (&["="], 0),
            (&["-x"], 0),
        ];
        for (args, want) in cases {
            assert_eq!(t(args), *want, "{args:?}");
        }
    }

    #[test]
    fn printf_conversions_table() {
        let cases = [
            ("5", 'd', 42, "   42"),
            ("-5", 'd', 42, "42   "),
            ("05", 'd', -42, "-0042"),
            ("+", 'd', 7, "+7"),
            (".3", 'd', 7, "007"),
            ("", 'x', 255, "ff"),
            ("#", 'X', 255, "FF"),
            ("", 'o', 8, "10"),
        ];
        for (spec, conv, n, want) in cases {
            assert_eq!(number(spec, conv, n), want, "%{spec}{conv}");
        }
        assert_eq!(pad("-4", "ab".into()), "ab  ");
        assert_eq!(pad("4.1", "ab".into()), "   a");
        let e: Vec<char> = "101x".chars().collect();
        assert_eq!(escape_at(&e, 0, false), ("A".to_string(), 3, false));
    }

    #[test]
    fn quote_table() {
        for (s, want) in [
            ("abc", "abc"),
            ("a b", "'a b'"),
            ("", "''"),
            ("it's", "'it'\\''s'"),
        ] {
            assert_eq!(quote(s), want);
        }
        assert_eq!(unescape("a\\tb\\c rest"), ("a\tb".to_string(), true));
    }
}
