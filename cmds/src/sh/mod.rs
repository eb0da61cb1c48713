//! `sh`: a small but real POSIX shell (XCU chapter 2 subset, behaving like dash where it can).
//!
//! Usage: sh [-aCefmnuvx] [-o NAME]... [-c COMMAND [NAME [ARG...]] | FILE [ARG...] | -s [ARG...]]
//!
//! Commands, applets included, run as child processes: an applet not found on `PATH` is started
//! as `/proc/self/exe` with argv[0] set to its name, so uutils code never runs in the shell.
//!
//! Supported: quoting, parameters (`${x:-w}` `:=` `:+` `:?` `#` `##` `%` `%%` `${#x}`), `~`,
//! `$(…)`, `` `…` ``, `$((…))`, field splitting, globbing, pipelines, `&&`/`||`, `&` and `wait`,
//! redirections (`< > >> <> >| n>&m n>&-` and here-documents), `if/while/until/for/case`,
//! functions, `!`, subshells and groups, aliases, the `set` options (`-o NAME` or letters, also
//! on the command line; `-n` parses only, `-v` echoes the input). Traps run between commands.
//!
//! Interactive (a terminal on stdin and stderr): prompt `# ` or `$ ` (PS1 with `\u \h \w \W \$`),
//! SIGINT/SIGQUIT ignored by the shell and restored for children, Ctrl-C at the prompt drops the
//! line and a command killed by SIGINT ends the whole command line, Ctrl-D leaves (not with
//! `set -o ignoreeof`). Job control (`set -m`, on by default there): Ctrl-Z, `jobs fg bg kill
//! wait` with `%N %% %- %STRING %?STRING`, reports before the prompt as busybox ash prints them.
//! Tab completes command names and paths; history in `$HOME/.sh_history` (`history`, `fc -l`).

mod arith;
mod builtins;
mod cmdtext;
mod complete;
mod editor;
mod exec;
mod expand;
mod fdio;
mod glob;
mod history;
mod jobcmds;
mod jobs;
mod jobtable;
mod options;
mod parser;
mod signals;
mod tty;

use std::ffi::OsString;
use std::fmt;

use crate::error::{io_reason, AppletError, AppletResult, UsageError};
use exec::{err, Flow, Shell};
use parser::{ParseError, Parser};

pub const USAGE: &str =
    "usage: sh [-aCefmnuvx] [-o NAME] [-c COMMAND [NAME [ARG...]] | FILE [ARG...] | -s [ARG...]]
Command interpreter: POSIX shell syntax, a subset like dash's; interactive on a terminal.
  -c COMMAND  run COMMAND; NAME becomes $0 and ARGs $1...
  -e          exit when a command fails      -x  trace commands to stderr
  -u          unset variables are an error   -i  interactive    -s  read commands from stdin
  -n          read commands, run none        -v  echo input to stderr
  -o NAME     set an option by its `set -o` name; +o NAME and +LETTER turn it off
";

#[derive(Debug, Default, PartialEq)]
struct Options {
    command: Option<String>,
    file: Option<String>,
    arg0: String,
    params: Vec<String>,
    /// `set` options given on the command line (`-e`, `+x`, `-o errexit`), in order: the
    /// option's `set -o` name and whether it is turned on.
    set: Vec<(&'static str, bool)>,
    interactive: bool,
    login: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, UsageError> {
        let name = args.first().cloned().unwrap_or_else(|| "sh".into());
        let mut o = Options {
            login: name.starts_with('-'),
            arg0: name,
            ..Default::default()
        };
        let (mut cmd, mut stdin) = (false, false);
        let mut i = 1;
        while let Some(a) = args.get(i) {
            if a == "--" || a == "-" {
                i += 1;
                break;
            }
            if a.len() < 2 || !a.starts_with(['-', '+']) {
                break;
            }
            let on = a.starts_with('-');
            i += 1;
            for c in a[1..].chars() {
                match c {
                    'c' => cmd = true,
                    's' => stdin = true,
                    'i' => o.interactive = on,
                    'l' => o.login = on,
                    'o' => {
                        let Some(n) = args.get(i) else {
                            return Err(UsageError(format!(
                                "{}o: option requires an argument",
                                &a[..1]
                            )));
                        };
                        i += 1;
                        match options::by_name(n) {
                            Some(opt) => o.set.push((opt.name, on)),
                            None if n == "interactive" => o.interactive = on,
                            None if options::is_pseudo(n) => {}
                            None => return Err(UsageError(format!("{n}: bad option name"))),
                        }
                    }
                    _ => match options::by_letter(c) {
                        Some(opt) => o.set.push((opt.name, on)),
                        None => return Err(UsageError(format!("-{c}: unknown option"))),
                    },
                }
            }
        }
        if cmd {
            let Some(c) = args.get(i) else {
                return Err(UsageError("-c: option requires an argument".into()));
            };
            o.command = Some(c.clone());
            if let Some(n) = args.get(i + 1) {
                o.arg0 = n.clone();
                o.params = args[i + 2..].to_vec();
            }
        } else if !stdin && i < args.len() {
            o.file = Some(args[i].clone());
            o.arg0 = args[i].clone();
            o.params = args[i + 1..].to_vec();
        } else {
            o.params = args[i.min(args.len())..].to_vec();
        }
        Ok(o)
    }
}

#[derive(Debug)]
enum ShError {
    Open(String, std::io::Error),
}

impl fmt::Display for ShError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShError::Open(p, e) => write!(f, "{p}: {}", io_reason(e)),
        }
    }
}

impl AppletError for ShError {
    fn exit_code(&self) -> i32 {
        127
    }
}

enum Line {
    Text(String),
    Eof,
    Interrupted,
}

/// Where commands come from.
enum Input {
    /// All of it at once (`-c`, a script file); `None` once handed out.
    Text(Option<String>),
    /// A script file, all at once (unlike `-c`, `set -v` echoes it).
    File(Option<String>),
    /// Standard input, a byte at a time, with a prompt on stderr when interactive.
    Stdin,
    /// An interactive terminal: the line editor, with history and completion.
    Editor(Box<editor::LineEditor>),
}

impl Input {
    fn read(&mut self, sh: &mut Shell, more: bool) -> Line {
        let line = match self {
            Input::Text(t) | Input::File(t) => t.take().map_or(Line::Eof, Line::Text),
            Input::Stdin => {
                if sh.interactive {
                    fdio::write_all(2, prompt(sh, more).as_bytes());
                }
                let mut line = Vec::new();
                while let Some(b) = fdio::read_byte(0) {
                    line.push(b);
                    if b == b'\n' {
                        break;
                    }
                }
                if line.is_empty() {
                    Line::Eof
                } else {
                    Line::Text(String::from_utf8_lossy(&line).into_owned())
                }
            }
            Input::Editor(ed) => {
                let p = prompt(sh, more);
                match ed.read(sh, &p) {
                    editor::Read::Line(l) => {
                        history::add(sh, &l);
                        Line::Text(l + "\n")
                    }
                    editor::Read::Interrupted => Line::Interrupted,
                    editor::Read::Eof => Line::Eof,
                }
            }
        };
        line
    }
}

/// PS1 (expanded) or `# ` for root and `$ ` for others; PS2 or `> ` for continuation lines.
fn prompt(sh: &mut Shell, more: bool) -> String {
    let root = nix::unistd::geteuid().is_root();
    let (var, default) = match (more, root) {
        (true, _) => ("PS2", "> "),
        (false, true) => ("PS1", "# "),
        (false, false) => ("PS1", "$ "),
    };
    let Some(p) = sh.get(var) else {
        return default.to_string();
    };
    let text = prompt_escapes(&p, sh, root);
    let st = sh.status;
    let r = sh.expand_single(&format!("\"{text}\""));
    sh.status = st;
    r.unwrap_or(p)
}

/// The busybox/bash prompt escapes `\u \h \w \W \$ \n`, ready to sit inside double quotes.
fn prompt_escapes(p: &str, sh: &Shell, root: bool) -> String {
    let quote = |s: &str| {
        let mut q = String::new();
        for ch in s.chars() {
            if matches!(ch, '\\' | '$' | '`' | '"') {
                q.push('\\');
            }
            q.push(ch);
        }
        q
    };
    let mut out = String::new();
    let mut it = p.chars();
    while let Some(c) = it.next() {
        if c == '"' {
            out.push_str("\\\"");
            continue;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let value = match it.next() {
            Some('u') => sh
                .get("USER")
                .or_else(|| sh.get("LOGNAME"))
                .unwrap_or_else(|| {
                    let uid = nix::unistd::geteuid();
                    if uid.is_root() {
                        "root".into()
                    } else {
                        uid.to_string()
                    }
                }),
            Some('h') => nix::unistd::gethostname()
                .map(|h| {
                    h.to_string_lossy()
                        .split('.')
                        .next()
                        .unwrap_or("")
                        .to_string()
                })
                .unwrap_or_default(),
            Some(w @ ('w' | 'W')) => {
                let pwd = sh.get("PWD").unwrap_or_default();
                let home = sh.get("HOME").filter(|h| h.len() > 1);
                match home.as_deref().and_then(|h| pwd.strip_prefix(h)) {
                    Some(rest) if w == 'w' && (rest.is_empty() || rest.starts_with('/')) => {
                        format!("~{rest}")
                    }
                    _ if w == 'W' && pwd != "/" => pwd.rsplit('/').next().unwrap_or("").to_string(),
                    _ => pwd,
                }
            }
            Some('$') => (if root { "#" } else { "$" }).to_string(),
            Some('n') => "\n".to_string(),
            Some(other) => {
                out.push('\\');
                out.push(other);
                continue;
            }
            None => "\\".to_string(),
        };
        out.push_str(&quote(&value));
    }
    out
}

/// Read, parse and run commands until the input ends or `exit`; returns the exit status.
fn main_loop(sh: &mut Shell, input: &mut Input) -> i32 {
    let mut buf: Vec<char> = Vec::new();
    let mut pos = 0;
    let mut line = 1;
    let whole = matches!(input, Input::Text(_) | Input::File(_));
    // `set -v` echoes the input as the parser takes it, a command at a time, so the echo and
    // the command's output interleave as in dash; dash never echoes a `-c` string.
    let echoes = !matches!(input, Input::Text(_));
    let mut echoed = 0;
    // The input ended inside a command: what is left is parsed as all there is, once.
    let mut at_eof = false;
    loop {
        if pos >= buf.len() {
            if sh.interactive {
                sh.report_jobs();
            } else {
                sh.reap_jobs();
            }
            if sh.monitor && sh.jobs.tty.is_none() && matches!(input, Input::Editor(_)) {
                // `set -m` in a shell started with `+m`.
                sh.jobs.tty = tty::Tty::acquire();
            }
            buf.clear();
            pos = 0;
            echoed = 0;
            match input.read(sh, false) {
                Line::Text(t) => buf.extend(t.chars()),
                Line::Eof if sh.interactive && sh.ignoreeof => {
                    err("Use \"exit\" to leave shell.");
                    continue;
                }
                Line::Eof if sh.interactive && stopped_jobs_warned(sh) => continue,
                Line::Eof => return sh.status,
                Line::Interrupted => continue,
            }
        }
        let start = pos;
        let (parsed, end, end_line) = {
            let mut p = Parser::new(&buf, pos, line);
            p.set_aliases(sh.aliases.clone());
            sh.parsed_aliases = sh.aliases.clone();
            p.set_complete_input(whole || at_eof);
            let r = p.complete_command();
            (r, p.pos, p.line)
        };
        if sh.verbose && echoes && !matches!(parsed, Err(ParseError::Incomplete(_))) {
            let upto = match parsed {
                Ok(_) => end.min(buf.len()),
                Err(_) => buf.len(),
            };
            if upto > echoed {
                let mut text: String = buf[echoed..upto].iter().collect();
                if !text.ends_with('\n') && upto == buf.len() {
                    text.push('\n');
                }
                fdio::write_all(2, text.as_bytes());
                echoed = upto;
            }
        }
        match parsed {
            Ok(Some(cmd)) => {
                pos = end;
                line = end_line;
                if sh.noexec && !sh.interactive {
                    // `set -n`: read and parse only.
                    continue;
                }
                sh.interrupted = false;
                // Background jobs that ended while we waited for input must not show as zombies
                // to the command about to run (`ps`).
                sh.reap_jobs();
                WARNED.with(|w| w.set(false));
                let text: String = buf[start..end.min(buf.len())].iter().collect();
                sh.jobs.text = text.trim().trim_end_matches(['&', ';']).trim().to_string();
                match sh.exec(&cmd) {
                    Ok(_) | Err(Flow::Break(_) | Flow::Continue(_)) => {}
                    Err(Flow::Exit(st)) => return st,
                    Err(Flow::Abort(st)) if !sh.interactive => return st,
                    Err(Flow::Abort(st) | Flow::Fail(st) | Flow::Return(st)) => sh.status = st,
                }
            }
            Ok(None) => {
                pos = buf.len();
                line = end_line;
            }
            Err(ParseError::Incomplete(l)) => match input.read(sh, true) {
                Line::Text(t) => buf.extend(t.chars()),
                // As dash: `echo a\` or a here-document without its delimiter at the end of
                // the input still runs.
                Line::Eof if !at_eof && !whole && !sh.interactive => at_eof = true,
                Line::Eof => {
                    err(&ParseError::Incomplete(l).to_string());
                    return 2;
                }
                Line::Interrupted => pos = buf.len(),
            },
            Err(e) => {
                err(&e.to_string());
                sh.status = 2;
                if !sh.interactive {
                    return 2;
                }
                line += buf[pos..].iter().filter(|c| **c == '\n').count();
                pos = buf.len();
            }
        }
    }
}

thread_local! {
    /// "You have stopped jobs." was said since the last command ran.
    static WARNED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Ctrl-D with stopped jobs: warn once, as dash does; a second Ctrl-D in a row exits.
fn stopped_jobs_warned(sh: &mut Shell) -> bool {
    let stopped = sh
        .jobs
        .table
        .iter()
        .any(|j| matches!(j.state(), jobtable::Status::Stopped(_)));
    if !stopped || WARNED.with(|w| w.replace(true)) {
        return false;
    }
    err("You have stopped jobs.");
    true
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let o = Options::parse(&args)?;
    let mut sh = Shell::new(o.arg0.clone(), o.params.clone());
    let stdin_tty = nix::unistd::isatty(std::io::stdin()).unwrap_or(false);
    let stderr_tty = nix::unistd::isatty(std::io::stderr()).unwrap_or(false);
    let from_stdin = o.command.is_none() && o.file.is_none();
    sh.from_stdin = from_stdin;
    sh.interactive = from_stdin && (o.interactive || (stdin_tty && stderr_tty));
    // Job control is on by default in an interactive shell on a terminal (`set +m` or
    // `sh +m` turn it off).
    sh.monitor = sh.interactive && stdin_tty;
    for (name, on) in &o.set {
        if let Some(opt) = options::by_name(name) {
            *(opt.flag)(&mut sh) = *on;
        }
    }
    let mut input = if let Some(c) = o.command {
        Input::Text(Some(c))
    } else if let Some(f) = &o.file {
        let text = std::fs::read(f).map_err(|e| ShError::Open(f.clone(), e))?;
        Input::File(Some(String::from_utf8_lossy(&text).into_owned()))
    } else if sh.interactive && stdin_tty {
        match editor::LineEditor::new() {
            Some(ed) => Input::Editor(Box::new(ed)),
            None => Input::Stdin,
        }
    } else {
        Input::Stdin
    };
    if sh.interactive && sh.monitor && stdin_tty {
        // Before ignoring SIGTTIN: a shell started in the background waits to be foreground.
        sh.jobs.tty = tty::Tty::acquire();
    }
    if sh.interactive {
        signals::ignore_interactive_signals();
        sh.owns_sigint = true;
    }
    if o.login {
        let home = sh.get("HOME").unwrap_or_default();
        for profile in ["/etc/profile".to_string(), format!("{home}/.profile")] {
            if std::path::Path::new(&profile).is_file() {
                let r = builtins::run(&mut sh, &[".".into(), profile]);
                if let Err(Flow::Exit(st)) = r {
                    return Ok(finish(&mut sh, st));
                }
            }
        }
    }
    if let Input::Editor(ed) = &mut input {
        // After the profile, which may set HISTFILE and HISTSIZE.
        ed.load_history(&history::load(&sh));
    }
    let st = main_loop(&mut sh, &mut input);
    Ok(finish(&mut sh, st))
}

/// The EXIT trap, then the terminal back to the group that had it before the shell.
fn finish(sh: &mut Shell, st: i32) -> i32 {
    let st = sh.run_exit_trap(st);
    if let Some(t) = &sh.jobs.tty {
        t.release();
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_table() {
        let cases: Vec<(&[&str], Options)> = vec![
            (
                &["sh"],
                Options {
                    arg0: "sh".into(),
                    ..Default::default()
                },
            ),
            (
                &["-sh"],
                Options {
                    arg0: "-sh".into(),
                    login: true,
                    ..Default::default()
                },
            ),
            (
                &["sh", "-c", "echo $0 $1", "name", "a"],
                Options {
                    command: Some("echo $0 $1".into()),
                    arg0: "name".into(),
                    params: strs(&["a"]),
                    ..Default::default()
                },
            ),
            (
                &["sh", "-ec", "x"],
                Options {
                    command: Some("x".into()),
                    arg0: "sh".into(),
                    set: vec![("errexit", true)],
                    ..Default::default()
                },
            ),
            (
                &["sh", "-x", "script", "1", "2"],
                Options {
                    file: Some("script".into()),
                    arg0: "script".into(),
                    params: strs(&["1", "2"]),
                    set: vec![("xtrace", true)],
                    ..Default::default()
                },
            ),
            (
                &["sh", "-s", "a", "b"],
                Options {
                    arg0: "sh".into(),
                    params: strs(&["a", "b"]),
                    ..Default::default()
                },
            ),
        ];
        for (args, want) in cases {
            assert_eq!(Options::parse(&strs(args)), Ok(want), "{args:?}");
        }
        type Sets<'a> = Vec<(&'a [&'a str], Vec<(&'a str, bool)>)>;
        let sets: Sets = vec![
            (&["sh", "-o", "errexit", "-c", "x"], vec![("errexit", true)]),
            (
                &["sh", "-eu", "+o", "nounset", "-c", "x"],
                vec![("errexit", true), ("nounset", true), ("nounset", false)],
            ),
            (
                &["sh", "-aCfmnvxb", "+e"],
                vec![
                    ("allexport", true),
                    ("noclobber", true),
                    ("noglob", true),
                    ("monitor", true),
                    ("noexec", true),
                    ("verbose", true),
                    ("xtrace", true),
                    ("notify", true),
                    ("errexit", false),
                ],
            ),
            (&["sh", "-o", "vi", "-s"], vec![]),
        ];
        for (args, want) in sets {
            let o = Options::parse(&strs(args)).unwrap();
            assert_eq!(o.set, want, "{args:?}");
        }
        let o = Options::parse(&strs(&["sh", "-o", "errexit", "-c", "echo", "n", "a"])).unwrap();
        assert_eq!(
            (o.command.as_deref(), o.arg0.as_str(), o.params),
            (Some("echo"), "n", strs(&["a"]))
        );
        assert!(Options::parse(&strs(&["sh", "-o"])).is_err());
        assert!(Options::parse(&strs(&["sh", "-o", "nosuch"])).is_err());
        assert!(Options::parse(&strs(&["sh", "-c"])).is_err());
        assert!(Options::parse(&strs(&["sh", "-q"])).is_err());
    }

    #[test]
    fn prompt_table() {
        let mut sh = Shell::new("sh".into(), Vec::new());
        sh.set("USER", "u".into());
        sh.set("HOME", "/home/u".into());
        sh.set("PWD", "/home/u/src".into());
        sh.set("X", "x$y".into());
        let cases = [
            ("\\u:\\w\\$ ", false, "u:~/src$ "),
            ("\\W \\$ ", true, "src # "),
            ("$X> ", false, "x$y> "),
            ("\"q\" \\z", false, "\"q\" \\z"),
        ];
        for (ps1, root, want) in cases {
            let text = prompt_escapes(ps1, &sh, root);
            assert_eq!(
                sh.expand_single(&format!("\"{text}\"")).ok().as_deref(),
                Some(want),
                "{ps1}"
            );
        }
    }
}
