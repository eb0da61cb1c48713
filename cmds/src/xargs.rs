//! `xargs`: build command lines from standard input and run them. GNU findutils xargs 4.9
//! subset, with its quoting (`'…'`, `"…"`, backslash) and exit codes (123/124/125/126/127).
//!
//! usage: xargs [-0prtx] [-a FILE] [-d DELIM] [-E EOF] [-I REPL] [-L N] [-n N] [-P N]
//!              [-s SIZE] [COMMAND [ARGS...]]

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::process::{Child, Command, Stdio};

use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;

use crate::error::{io_reason, AppletError, AppletResult};

pub const USAGE: &str = "\
usage: xargs [OPTION]... [COMMAND [INITIAL-ARGS]...]
Run COMMAND (default echo) with INITIAL-ARGS and more arguments read from standard input:
blank-separated words, with '…', \"…\" and backslash quoting.
  -0, --null             items end with NUL; no quoting
  -d, --delimiter=C      items end with C (\\n, \\t, \\0, \\NNN, \\xHH escapes); no quoting
  -a, --arg-file=FILE    read items from FILE; the command keeps this stdin
  -E EOF, -e[EOF]        stop at a line that is EOF
  -n, --max-args=N       at most N items per command
  -L N, -l[N]            at most N non-blank input lines per command
  -I REPL, -i[REPL]      one command per line, REPL in INITIAL-ARGS replaced by it
  -P, --max-procs=N      run up to N commands at once (0: no limit)
  -s, --max-chars=N      command lines of at most N bytes
  -x, --exit             exit if a command line would be too long
  -r, --no-run-if-empty  run nothing if there is no input
  -t, --verbose          print each command on stderr before running it
  -p, --interactive      ask on the terminal before each command
  -o, --open-tty         commands read the terminal (not /dev/null)
Exit: 0; 123 a command exited 1-125; 124 one exited 255; 125 one was killed;
126 one could not run; 127 not found; 1 other errors.
";

/// GNU's default command buffer (`xargs --show-limits`).
const DEFAULT_MAX_CHARS: usize = 128 * 1024;
/// Linux's ARG_MAX, less room for the environment.
const MAX_CHARS: usize = 2 * 1024 * 1024 - 4096;

#[derive(Debug, PartialEq, Eq)]
pub enum XargsError {
    /// A bad option: GNU xargs exits 1 for these.
    Usage(String),
    Input(String),
    /// A command failed so that xargs stops: message and exit code (124–127).
    Command(String, i32),
}

impl fmt::Display for XargsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XargsError::Usage(m) | XargsError::Input(m) | XargsError::Command(m, _) => {
                f.write_str(m)
            }
        }
    }
}

impl AppletError for XargsError {
    fn exit_code(&self) -> i32 {
        match self {
            XargsError::Command(_, code) => *code,
            _ => 1,
        }
    }
}

/// How input is cut into items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Blanks and newlines separate; quotes and backslash group.
    Blank,
    /// Exactly this byte separates (`-0`, `-d`); no quoting.
    Delim(u8),
}

/// How many items go into one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Group {
    /// As many as fit in `max_chars`.
    Fill,
    Args(usize),
    Lines(usize),
    /// One input line per command, replacing this string in the initial arguments.
    Replace(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub arg_file: Option<OsString>,
    pub split: Split,
    pub eof: Option<Vec<u8>>,
    pub group: Group,
    pub procs: usize,
    pub no_run_if_empty: bool,
    pub verbose: bool,
    pub interactive: bool,
    pub max_chars: usize,
    pub exit_if_too_long: bool,
    /// `-o`: commands read the terminal instead of /dev/null (for interactive ones).
    pub open_tty: bool,
    pub command: Vec<OsString>,
}

fn usage(msg: impl Into<String>) -> XargsError {
    XargsError::Usage(msg.into())
}

fn number(value: &str, opt: char, min: usize) -> Result<usize, XargsError> {
    let n: i64 = value
        .parse()
        .map_err(|_| usage(format!("invalid number \"{value}\" for -{opt} option")))?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n >= min)
        .ok_or_else(|| usage(format!("value {n} for -{opt} option should be >= {min}")))
}

/// `-d` argument: one character, or `\n`-style, `\NNN` octal or `\xHH` hex escape.
pub fn parse_delimiter(s: &str) -> Result<u8, XargsError> {
    let bad = || {
        usage(format!(
            "Invalid input delimiter specification {s}: the delimiter must be either a single character or an escape sequence starting with \\."
        ))
    };
    let b = s.as_bytes();
    match b {
        [c] => Ok(*c),
        [b'\\', rest @ ..] if !rest.is_empty() => match rest {
            [b'n'] => Ok(b'\n'),
            [b't'] => Ok(b'\t'),
            [b'r'] => Ok(b'\r'),
            [b'a'] => Ok(7),
            [b'b'] => Ok(8),
            [b'f'] => Ok(12),
            [b'v'] => Ok(11),
            [b'\\'] => Ok(b'\\'),
            [b'x', hex @ ..] => {
                u8::from_str_radix(std::str::from_utf8(hex).map_err(|_| bad())?, 16)
                    .map_err(|_| bad())
            }
            oct => u8::from_str_radix(std::str::from_utf8(oct).map_err(|_| bad())?, 8)
                .map_err(|_| bad()),
        },
        _ => Err(bad()),
    }
}

/// The long options, their short letter, and whether the argument is required (`Some(true)`),
/// optional (`Some(false)`, only as `--opt=ARG`) or absent (`None`).
const LONG: [(&str, char, Option<bool>); 14] = [
    ("null", '0', None),
    ("delimiter", 'd', Some(true)),
    ("arg-file", 'a', Some(true)),
    ("eof", 'e', Some(false)),
    ("max-args", 'n', Some(true)),
    ("max-lines", 'l', Some(false)),
    ("replace", 'i', Some(false)),
    ("max-procs", 'P', Some(true)),
    ("max-chars", 's', Some(true)),
    ("exit", 'x', None),
    ("no-run-if-empty", 'r', None),
    ("verbose", 't', None),
    ("interactive", 'p', None),
    ("open-tty", 'o', None),
];

impl Options {
    /// getopt-style, stopping at the first non-option (the command).
    pub fn parse(args: Vec<OsString>) -> Result<Options, XargsError> {
        let mut o = Options {
            arg_file: None,
            split: Split::Blank,
            eof: None,
            group: Group::Fill,
            procs: 1,
            no_run_if_empty: false,
            verbose: false,
            interactive: false,
            max_chars: DEFAULT_MAX_CHARS,
            exit_if_too_long: false,
            open_tty: false,
            command: Vec::new(),
        };
        let mut i = 1;
        while let Some(arg) = args.get(i) {
            i += 1;
            let a = arg.to_string_lossy().into_owned();
            if a == "--" {
                break;
            }
            if let Some(long) = a.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                let Some(&(_, letter, takes)) = LONG.iter().find(|l| l.0 == name) else {
                    return Err(usage(format!("unrecognized option '--{name}'")));
                };
                let value = match (takes, value) {
                    (None, Some(_)) => {
                        return Err(usage(format!(
                            "option '--{name}' doesn't allow an argument"
                        )))
                    }
                    (Some(true), None) => {
                        let v = args.get(i).ok_or_else(|| {
                            usage(format!("option '--{name}' requires an argument"))
                        })?;
                        i += 1;
                        Some(v.to_string_lossy().into_owned())
                    }
                    (_, v) => v,
                };
                // `--replace` alone means `{}`, `--max-lines` alone 1, as with -I / -L.
                let (letter, value) = match (letter, value) {
                    ('i', None) => ('I', Some("{}".to_string())),
                    ('l', Some(v)) => ('L', Some(v)),
                    ('e', Some(v)) => ('E', Some(v)),
                    other => other,
                };
                o.apply(letter, value)?;
                continue;
            }
            if !a.starts_with('-') || a == "-" {
                i -= 1;
                break;
            }
            let chars: Vec<char> = a.chars().skip(1).collect();
            let mut j = 0;
            while let Some(&c) = chars.get(j) {
                j += 1;
                let rest: String = chars[j..].iter().collect();
                match c {
                    '0' | 'x' | 'r' | 't' | 'p' | 'o' => o.apply(c, None)?,
                    // Optional arguments, attached only.
                    'i' | 'l' | 'e' => {
                        o.apply(c, (!rest.is_empty()).then_some(rest))?;
                        break;
                    }
                    'd' | 'a' | 'E' | 'n' | 'L' | 'I' | 'P' | 's' => {
                        let value = if rest.is_empty() {
                            let v = args.get(i).ok_or_else(|| {
                                usage(format!("option requires an argument -- '{c}'"))
                            })?;
                            i += 1;
                            v.to_string_lossy().into_owned()
                        } else {
                            rest
                        };
                        o.apply(c, Some(value))?;
                        break;
                    }
                    _ => return Err(usage(format!("invalid option -- '{c}'"))),
                }
            }
        }
        o.command = args.get(i..).unwrap_or_default().to_vec();
        if o.command.is_empty() {
            o.command.push(OsString::from("echo"));
        }
        Ok(o)
    }

    fn apply(&mut self, c: char, value: Option<String>) -> Result<(), XargsError> {
        let v = value.unwrap_or_default();
        match c {
            '0' => self.split = Split::Delim(0),
            'd' => self.split = Split::Delim(parse_delimiter(&v)?),
            'a' => self.arg_file = Some(OsString::from(v)),
            'E' | 'e' => self.eof = (!v.is_empty()).then(|| v.into_bytes()),
            'n' => {
                self.group = Group::Args(number(&v, 'n', 1)?);
            }
            'L' => self.group = Group::Lines(number(&v, 'L', 1)?),
            'l' => {
                let n = if v.is_empty() { 1 } else { number(&v, 'l', 1)? };
                self.group = Group::Lines(n);
            }
            'I' | 'i' => {
                let repl = if v.is_empty() && c == 'i' {
                    "{}".to_string()
                } else {
                    v
                };
                self.group = Group::Replace(repl.into_bytes());
                self.exit_if_too_long = true;
            }
            'P' => self.procs = number(&v, 'P', 0)?,
            's' => self.max_chars = number(&v, 's', 1)?.min(MAX_CHARS),
            'x' => self.exit_if_too_long = true,
            'r' => self.no_run_if_empty = true,
            't' => self.verbose = true,
            'p' => {
                self.interactive = true;
                self.verbose = true;
            }
            'o' => self.open_tty = true,
            _ => {}
        }
        Ok(())
    }
}

/// One input item and whether it ended a (non-continued) input line, for `-L`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub bytes: Vec<u8>,
    pub ends_line: bool,
}

/// Cuts the input into items as GNU xargs' read_line/read_string do.
pub struct Items<R> {
    input: R,
    split: Split,
    /// `-I`: only newlines separate (blanks stay in the item).
    whole_lines: bool,
    eof: Option<Vec<u8>>,
    done: bool,
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

impl<R: BufRead> Items<R> {
    pub fn new(input: R, o: &Options) -> Items<R> {
        Items {
            input,
            split: o.split,
            whole_lines: matches!(o.group, Group::Replace(_)),
            eof: if o.split == Split::Blank {
                o.eof.clone()
            } else {
                None
            },
            done: false,
        }
    }

    fn byte(&mut self) -> Result<Option<u8>, XargsError> {
        let buf = self
            .input
            .fill_buf()
            .map_err(|e| XargsError::Input(format!("read error: {}", io_reason(&e))))?;
        let Some(&c) = buf.first() else {
            return Ok(None);
        };
        self.input.consume(1);
        Ok(Some(c))
    }

    pub fn next_item(&mut self) -> Result<Option<Item>, XargsError> {
        if self.done {
            return Ok(None);
        }
        let item = match self.split {
            Split::Delim(d) => self.delimited(d)?,
            Split::Blank => self.quoted()?,
        };
        match item {
            Some(item) if self.eof.as_ref() == Some(&item.bytes) => {
                self.done = true;
                Ok(None)
            }
            None => {
                self.done = true;
                Ok(None)
            }
            some => Ok(some),
        }
    }

    fn delimited(&mut self, d: u8) -> Result<Option<Item>, XargsError> {
        let mut bytes = Vec::new();
        loop {
            match self.byte()? {
                None if bytes.is_empty() => return Ok(None),
                None => break,
                Some(c) if c == d => break,
                Some(c) => bytes.push(c),
            }
        }
        Ok(Some(Item {
            bytes,
            ends_line: true,
        }))
    }

    fn quoted(&mut self) -> Result<Option<Item>, XargsError> {
        let mut bytes = Vec::new();
        // Skip leading blanks and newlines (an empty line is no item and no line).
        let mut c = loop {
            match self.byte()? {
                None => return Ok(None),
                Some(c) if c.is_ascii_whitespace() => continue,
                Some(c) => break c,
            }
        };
        let mut prev = 0u8;
        loop {
            match c {
                b'\n' => {
                    return Ok(Some(Item {
                        bytes,
                        ends_line: !is_blank(prev),
                    }))
                }
                c if is_blank(c) && !self.whole_lines => {
                    return Ok(Some(Item {
                        bytes,
                        ends_line: false,
                    }))
                }
                b'\\' => match self.byte()? {
                    Some(n) => {
                        bytes.push(n);
                    }
                    None => break,
                },
                q @ (b'\'' | b'"') => loop {
                    match self.byte()? {
                        Some(n) if n == q => break,
                        Some(b'\n') | None => {
                            let kind = if q == b'"' { "double" } else { "single" };
                            return Err(XargsError::Input(format!(
                                "unmatched {kind} quote; by default quotes are special to xargs unless you use the -0 option"
                            )));
                        }
                        Some(n) => bytes.push(n),
                    }
                },
                c => bytes.push(c),
            }
            prev = c;
            c = match self.byte()? {
                Some(c) => c,
                None => break,
            };
        }
        Ok(Some(Item {
            bytes,
            ends_line: true,
        }))
    }
}

/// Every `repl` in `arg` replaced by `item`.
fn replace(arg: &OsStr, repl: &[u8], item: &[u8]) -> OsString {
    let a = arg.as_bytes();
    if repl.is_empty() {
        return arg.to_os_string();
    }
    let mut out = Vec::with_capacity(a.len());
    let mut i = 0;
    while i < a.len() {
        if a[i..].starts_with(repl) {
            out.extend_from_slice(item);
            i += repl.len();
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    OsString::from_vec(out)
}

fn arg_size(a: &[u8]) -> usize {
    a.len() + 1
}

/// The commands xargs builds, grouped as the options say; `None` when input is exhausted.
pub struct Planner<R> {
    items: Items<R>,
    o: Options,
    held: Option<Item>,
    ran_any: bool,
}

fn too_long() -> XargsError {
    XargsError::Input("argument line too long".into())
}

impl<R: BufRead> Planner<R> {
    pub fn new(input: R, o: Options) -> Planner<R> {
        Planner {
            items: Items::new(input, &o),
            o,
            held: None,
            ran_any: false,
        }
    }

    fn next_item(&mut self) -> Result<Option<Item>, XargsError> {
        match self.held.take() {
            Some(i) => Ok(Some(i)),
            None => self.items.next_item(),
        }
    }

    pub fn next_command(&mut self) -> Result<Option<Vec<OsString>>, XargsError> {
        let base: usize = self.o.command.iter().map(|a| arg_size(a.as_bytes())).sum();
        if let Group::Replace(repl) = &self.o.group {
            let repl = repl.clone();
            let Some(item) = self.next_item()? else {
                return Ok(None);
            };
            let argv: Vec<OsString> = self
                .o
                .command
                .iter()
                .map(|a| replace(a, &repl, &item.bytes))
                .collect();
            let size: usize = argv.iter().map(|a| arg_size(a.as_bytes())).sum();
            if size > self.o.max_chars {
                return Err(too_long());
            }
            return Ok(Some(argv));
        }
        let mut argv = self.o.command.clone();
        let mut size = base;
        let mut lines = 0;
        let mut count = 0;
        while let Some(item) = self.next_item()? {
            if size + arg_size(&item.bytes) > self.o.max_chars {
                let must_fit = self.o.exit_if_too_long && !matches!(self.o.group, Group::Fill);
                if must_fit {
                    return Err(XargsError::Input("argument list too long".into()));
                }
                if count == 0 {
                    return Err(too_long());
                }
                self.held = Some(item);
                break;
            }
            size += arg_size(&item.bytes);
            count += 1;
            if item.ends_line {
                lines += 1;
            }
            argv.push(OsString::from_vec(item.bytes));
            match self.o.group {
                Group::Args(n) if count >= n => break,
                Group::Lines(n) if lines >= n => break,
                _ => {}
            }
        }
        if count == 0 && (self.ran_any || self.o.no_run_if_empty) {
            return Ok(None);
        }
        if base > self.o.max_chars {
            return Err(too_long());
        }
        self.ran_any = true;
        Ok(Some(argv))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChildStdin {
    Inherit,
    Null,
    Tty,
}

/// Running commands, up to `procs` at once, and the exit status they add up to.
struct Runner {
    procs: usize,
    running: Vec<(Child, String)>,
    /// The commands' stdin when it is not ours: /dev/null, or the terminal with `-o`.
    stdin: ChildStdin,
    status: i32,
}

impl Runner {
    fn spawn(&mut self, argv: &[OsString]) -> Result<(), XargsError> {
        let Some((prog, args)) = argv.split_first() else {
            return Ok(());
        };
        self.make_room()?;
        let mut cmd = Command::new(prog);
        cmd.args(args);
        match self.stdin {
            ChildStdin::Inherit => {}
            ChildStdin::Null => {
                cmd.stdin(Stdio::null());
            }
            ChildStdin::Tty => {
                let tty = File::open("/dev/tty").map_err(|e| {
                    XargsError::Input(format!(
                        "failed to open /dev/tty for reading: {}",
                        io_reason(&e)
                    ))
                })?;
                cmd.stdin(tty);
            }
        }
        let name = prog.to_string_lossy().into_owned();
        match cmd.spawn() {
            Ok(child) => {
                self.running.push((child, name));
                Ok(())
            }
            Err(e) => {
                let code = if e.kind() == io::ErrorKind::NotFound {
                    127
                } else {
                    126
                };
                self.finish();
                Err(XargsError::Command(
                    format!("{name}: {}", io_reason(&e)),
                    code,
                ))
            }
        }
    }

    /// Wait until fewer than `procs` commands run (before announcing the next one, so that
    /// with one process at a time its output comes before the next `-t`/`-p` line).
    fn make_room(&mut self) -> Result<(), XargsError> {
        while self.procs != 0 && self.running.len() >= self.procs {
            self.wait_one()?;
        }
        Ok(())
    }

    /// Reap one child (any); a status that stops xargs is returned as an error.
    fn wait_one(&mut self) -> Result<(), XargsError> {
        let Some(first) = self.running.first() else {
            return Ok(());
        };
        let target = if self.running.len() == 1 {
            Some(Pid::from_raw(first.0.id() as i32))
        } else {
            None
        };
        let status = loop {
            match waitpid(target, None) {
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(XargsError::Input(format!("wait: {}", e.desc()))),
                Ok(s) => break s,
            }
        };
        let (pid, outcome) = match status {
            WaitStatus::Exited(pid, code) => (pid, Ok(code)),
            WaitStatus::Signaled(pid, sig, _) => (pid, Err(sig as i32)),
            _ => return Ok(()),
        };
        let Some(at) = self
            .running
            .iter()
            .position(|(c, _)| c.id() as i32 == pid.as_raw())
        else {
            return Ok(());
        };
        let (_, name) = self.running.swap_remove(at);
        match outcome {
            Ok(0) => Ok(()),
            Ok(255) => {
                self.finish();
                Err(XargsError::Command(
                    format!("{name}: exited with status 255; aborting"),
                    124,
                ))
            }
            Ok(_) => {
                self.status = 123;
                Ok(())
            }
            Err(sig) => {
                self.finish();
                Err(XargsError::Command(
                    format!("{name}: terminated by signal {sig}"),
                    125,
                ))
            }
        }
    }

    /// Wait for every child still running (ignoring how they end: xargs is stopping).
    fn finish(&mut self) {
        for (mut child, _) in self.running.drain(..) {
            let _ = child.wait();
        }
    }

    fn wait_all(&mut self) -> Result<(), XargsError> {
        while !self.running.is_empty() {
            self.wait_one()?;
        }
        Ok(())
    }
}

/// `-t`/`-p`: the command on stderr; `-p` then asks on the terminal.
fn announce(argv: &[OsString], ask: bool) -> bool {
    let words: Vec<String> = argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let line = words.join(" ");
    let mut err = io::stderr();
    if !ask {
        let _ = writeln!(err, "{line}");
        return true;
    }
    let _ = write!(err, "{line}?...");
    let _ = err.flush();
    let mut answer = String::new();
    let read = File::open("/dev/tty").and_then(|tty| BufReader::new(tty).read_line(&mut answer));
    read.is_ok() && matches!(answer.trim_start().as_bytes().first(), Some(b'y' | b'Y'))
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let input: Box<dyn Read> = match &o.arg_file {
        Some(path) => Box::new(File::open(path).map_err(|e| {
            XargsError::Input(format!(
                "Cannot open input file '{}': {}",
                path.to_string_lossy(),
                io_reason(&e)
            ))
        })?),
        None => Box::new(io::stdin()),
    };
    let mut runner = Runner {
        procs: o.procs,
        running: Vec::new(),
        stdin: match (o.open_tty, &o.arg_file) {
            (true, _) => ChildStdin::Tty,
            (false, None) => ChildStdin::Null,
            (false, Some(_)) => ChildStdin::Inherit,
        },
        status: 0,
    };
    let (verbose, interactive) = (o.verbose, o.interactive);
    let mut planner = Planner::new(BufReader::new(input), o);
    loop {
        let argv = match planner.next_command() {
            Ok(Some(argv)) => argv,
            Ok(None) => break,
            Err(e) => {
                runner.finish();
                return Err(e.into());
            }
        };
        runner.make_room()?;
        if verbose && !announce(&argv, interactive) {
            continue;
        }
        runner.spawn(&argv)?;
    }
    runner.wait_all()?;
    Ok(runner.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(args: &str) -> Options {
        let args: Vec<OsString> = std::iter::once("xargs")
            .chain(args.split_whitespace())
            .map(OsString::from)
            .collect();
        Options::parse(args).unwrap_or_else(|e| panic!("{e}"))
    }

    fn items(input: &str, args: &str) -> Result<Vec<(String, bool)>, XargsError> {
        let mut it = Items::new(input.as_bytes(), &opts(args));
        let mut out = Vec::new();
        while let Some(i) = it.next_item()? {
            out.push((String::from_utf8_lossy(&i.bytes).into_owned(), i.ends_line));
        }
        Ok(out)
    }

    /// Input, options, and the items with their end-of-line flags.
    type SplitCase<'a> = (&'a str, &'a str, &'a [(&'a str, bool)]);

    #[test]
    fn splitting() {
        let cases: [SplitCase; 12] = [
            ("a b\nc\n", "", &[("a", false), ("b", true), ("c", true)]),
            ("  a\t\tb  ", "", &[("a", false), ("b", false)]),
            ("'a b' \"c d\"\n", "", &[("a b", false), ("c d", true)]),
            ("a\\ b c\\\nd\n", "", &[("a b", false), ("c\nd", true)]),
            ("a'b'c\n", "", &[("abc", true)]),
            ("a b \nc\n", "", &[("a", false), ("b", false), ("c", true)]),
            ("\n\n a\n\n", "", &[("a", true)]),
            ("a b STOP c\n", "-E STOP", &[("a", false), ("b", false)]),
            (
                "a\0b c\0\0",
                "-0",
                &[("a", true), ("b c", true), ("", true)],
            ),
            (
                "a,b,,c",
                "-d ,",
                &[("a", true), ("b", true), ("", true), ("c", true)],
            ),
            ("  a  b \n c\n", "-I {}", &[("a  b ", false), ("c", true)]),
            ("x STOP\0y", "-0 -E STOP", &[("x STOP", true), ("y", true)]),
        ];
        for (input, args, want) in cases {
            let want: Vec<(String, bool)> = want.iter().map(|(s, l)| (s.to_string(), *l)).collect();
            assert_eq!(items(input, args).unwrap(), want, "{input:?} with {args}");
        }
        let e = items("a\"b\n", "").unwrap_err();
        assert!(e.to_string().starts_with("unmatched double quote;"), "{e}");
        let e = items("it's", "").unwrap_err();
        assert!(e.to_string().starts_with("unmatched single quote;"), "{e}");
    }

    fn commands(input: &str, args: &str) -> Result<Vec<String>, XargsError> {
        let mut p = Planner::new(input.as_bytes(), opts(args));
        let mut out = Vec::new();
        while let Some(argv) = p.next_command()? {
            let words: Vec<String> = argv
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            out.push(words.join(" "));
        }
        Ok(out)
    }

    #[test]
    fn grouping() {
        let cases: [(&str, &str, &[&str]); 10] = [
            ("a b c\n", "", &["echo a b c"]),
            ("", "", &["echo"]),
            ("", "-r", &[]),
            ("a b c", "-n 2", &["echo a b", "echo c"]),
            ("a b\nc\nd e\n", "-L 2", &["echo a b c", "echo d e"]),
            ("a b \nc\nd\n", "-L 1", &["echo a b c", "echo d"]),
            (
                "x\ny z\n",
                "-I % cp % %.bak",
                &["cp x x.bak", "cp y z y z.bak"],
            ),
            ("x\n", "-i echo [{}]", &["echo [x]"]),
            ("aaa bbb ccc", "-s 13", &["echo aaa bbb", "echo ccc"]),
            (
                "a b c",
                "-n1 printf %s-",
                &["printf %s- a", "printf %s- b", "printf %s- c"],
            ),
        ];
        for (input, args, want) in cases {
            assert_eq!(
                commands(input, args).unwrap(),
                want,
                "{input:?} with {args}"
            );
        }
        assert_eq!(commands("abcdef", "-s 5"), Err(too_long()));
        assert_eq!(
            commands("aaa bbb", "-x -n 2 -s 10"),
            Err(XargsError::Input("argument list too long".into()))
        );
    }

    #[test]
    fn options() {
        let o = opts("-0 -n 3 -P 4 -t -r grep -l x");
        assert_eq!(o.split, Split::Delim(0));
        assert_eq!(o.group, Group::Args(3));
        assert_eq!((o.procs, o.verbose, o.no_run_if_empty), (4, true, true));
        assert_eq!(o.command, ["grep", "-l", "x"]);
        assert_eq!(opts("--max-args=2 --null").group, Group::Args(2));
        assert_eq!(opts("-l").group, Group::Lines(1));
        assert_eq!(opts("-l3").group, Group::Lines(3));
        assert_eq!(opts("--replace").group, Group::Replace(b"{}".to_vec()));
        assert_eq!(opts("-IXX").group, Group::Replace(b"XX".to_vec()));
        assert_eq!(opts("-d \\n").split, Split::Delim(b'\n'));
        assert_eq!(opts("-d \\x41").split, Split::Delim(b'A'));
        assert_eq!(opts("-d \\0").split, Split::Delim(0));
        assert_eq!(opts("-eSTOP").eof, Some(b"STOP".to_vec()));
        assert!(opts("-p").interactive);
        let bad = |args: &[&str]| {
            let args: Vec<OsString> = std::iter::once(&"xargs")
                .chain(args)
                .map(OsString::from)
                .collect();
            Options::parse(args).unwrap_err().to_string()
        };
        assert_eq!(bad(&["-n", "x"]), "invalid number \"x\" for -n option");
        assert_eq!(bad(&["-n", "0"]), "value 0 for -n option should be >= 1");
        assert_eq!(bad(&["-q"]), "invalid option -- 'q'");
        assert_eq!(bad(&["-n"]), "option requires an argument -- 'n'");
        assert_eq!(bad(&["--bogus"]), "unrecognized option '--bogus'");
        assert!(bad(&["-d", "ab"]).starts_with("Invalid input delimiter specification ab:"));
    }
}
