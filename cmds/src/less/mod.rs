//! `less`, `more`: page through files or a pipe on a terminal. A subset of GNU less(1) and
//! util-linux more(1) that needs only ANSI sequences (no terminfo), so it works on a serial
//! console.
//!
//! usage: less [-FIiNRSX] [+N | +/PATTERN] [FILE...]
//!        more [FILE...]
//!
//! When stdout is not a terminal, or there is no terminal to read keys from, the input is
//! copied to stdout unchanged, as less and more do.

mod keys;
mod pager;
mod screen;
mod source;
mod terminal;

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};

use crate::error::{io_reason, AppletResult, Failure, UsageError};

use pager::{Action, Config, Pager};
use source::{Lines, Source};

pub const USAGE: &str = "\
usage: less [-FIiNRSX] [+N | +/PATTERN] [FILE...]
       more [FILE...]
Page through FILEs (or stdin). Keys: SPACE f ^F PgDn / b ^B PgUp a page, j k Enter e y a
line, d u half a page, g < G > first/last (N g: line N), /PATTERN ?PATTERN search, n N
repeat, :n :p next/previous file, = position, r ^L redraw, h help, q Q ZZ quit.
  -F  quit if the text fits on one screen      -N  line numbers
  -i  searches ignore case (unless upper case)  -I  searches always ignore case
  -R  pass ESC colour sequences through        -S  chop long lines
  -X  no alternate screen
  +N  start at line N        +/PATTERN  start at the first match of PATTERN
";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub config: Config,
    pub quit_if_one_screen: bool,
    pub no_alt_screen: bool,
    pub start_line: Option<usize>,
    pub start_pattern: Option<String>,
    pub files: Vec<String>,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let name = args
            .first()
            .and_then(|a| std::path::Path::new(a).file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut o = Options::default();
        if name == "more" {
            o.config.more = true;
            o.no_alt_screen = true;
        }
        let mut only_files = false;
        for arg in args.iter().skip(1) {
            let arg = arg.to_string_lossy().into_owned();
            if only_files || arg == "-" || !(arg.starts_with('-') || arg.starts_with('+')) {
                o.files.push(arg);
                continue;
            }
            if arg == "--" {
                only_files = true;
                continue;
            }
            if let Some(cmd) = arg.strip_prefix('+') {
                if let Some(p) = cmd.strip_prefix('/') {
                    o.start_pattern = Some(p.to_string());
                } else if let Ok(n) = cmd.parse::<usize>() {
                    o.start_line = Some(n);
                } else if cmd == "G" {
                    o.start_line = Some(usize::MAX);
                } else {
                    return Err(UsageError(format!("unsupported start command: {arg}")));
                }
                continue;
            }
            for c in arg.chars().skip(1) {
                match c {
                    'N' => o.config.numbers = true,
                    'S' => o.config.chop = true,
                    'R' | 'r' => o.config.raw = true,
                    'F' => o.quit_if_one_screen = true,
                    'X' => o.no_alt_screen = true,
                    'i' => o.config.smart_case = true,
                    'I' => o.config.ignore_case = true,
                    // more(1)'s -d (friendlier prompt) and less's -e/-E: accepted, no effect.
                    'd' | 'e' | 'E' => {}
                    _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                }
            }
        }
        Ok(o)
    }
}

type Text = Lines<Box<dyn Read>>;

/// Open `name` ("-" is stdin) as lazily read lines.
fn open(name: &str) -> Result<Text, String> {
    if name == "-" {
        let regular = File::open("/dev/stdin")
            .and_then(|f| f.metadata())
            .is_ok_and(|m| m.is_file());
        if regular {
            return Ok(Lines::new(Box::new(io::stdin())));
        }
        return Ok(Lines::slow(Box::new(io::stdin()), 0));
    }
    let file = File::open(name).map_err(|e| format!("{name}: {}", io_reason(&e)))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("{name}: {}", io_reason(&e)))?;
    if meta.is_dir() {
        return Err(format!("{name} is a directory"));
    }
    if meta.is_file() {
        return Ok(Lines::new(Box::new(file)));
    }
    // A FIFO or device: show what has come, like a pipe.
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    Ok(Lines::slow(Box::new(file), fd))
}

/// No terminal to page on: copy every input to stdout.
fn copy_all(files: &[String]) -> AppletResult {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut failed = None;
    for name in files {
        let result = if name == "-" {
            io::copy(&mut io::stdin().lock(), &mut out).map(drop)
        } else {
            File::open(name).and_then(|mut f| io::copy(&mut f, &mut out).map(drop))
        };
        if let Err(e) = result {
            if e.kind() == io::ErrorKind::BrokenPipe {
                break;
            }
            // Several files may fail and the rest are still shown, so each is reported here.
            let msg = format!("{name}: {}", io_reason(&e));
            eprintln!("less: {msg}");
            failed = Some(msg);
        }
    }
    let _ = out.flush();
    Ok(if failed.is_some() { 1 } else { 0 })
}

/// The files to page, with the first that opens (the others are reported and skipped).
struct Files {
    names: Vec<String>,
    current: usize,
}

impl Files {
    fn display(&self, i: usize) -> String {
        match self.names.get(i).map(String::as_str) {
            Some("-") | None => String::new(),
            Some(n) => n.to_string(),
        }
    }

    fn next_name(&self) -> Option<String> {
        self.names.get(self.current + 1).cloned()
    }
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let files = if o.files.is_empty() {
        vec!["-".to_string()]
    } else {
        o.files.clone()
    };
    if !io::stdout().is_terminal() {
        return copy_all(&files);
    }
    let tty = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    {
        Ok(t) => t,
        Err(_) => return copy_all(&files),
    };
    let mut list = Files {
        names: files,
        current: 0,
    };
    let mut first = None;
    let mut last_error = String::new();
    while list.current < list.names.len() {
        match open(&list.names[list.current]) {
            Ok(t) => {
                first = Some(t);
                break;
            }
            Err(e) => {
                eprintln!("less: {e}");
                last_error = e;
                list.current += 1;
            }
        }
    }
    let Some(text) = first else {
        return Err(Failure {
            message: last_error,
            code: 1,
        });
    };
    let (rows, cols) = terminal::size(std::os::fd::AsRawFd::as_raw_fd(&tty));
    let mut pager = Pager::new(text, o.config, rows, cols, &list.display(list.current));
    pager.set_next_name(list.next_name());
    if let Some(n) = o.start_line {
        pager.goto_line(n.saturating_sub(1));
    }
    if let Some(p) = &o.start_pattern {
        pager.search_from_start(p);
    }
    if (o.quit_if_one_screen || o.config.more)
        && list.names.len() == 1
        && pager.top() == pager::Pos::default()
        && pager.at_end()
    {
        return print_whole(&mut pager);
    }
    let mut term = terminal::Terminal::enter(tty, !o.no_alt_screen).map_err(|e| Failure {
        message: format!("/dev/tty: {}", io_reason(&e)),
        code: 1,
    })?;
    loop {
        // Draw what has arrived without waiting; wait for more only while the screen
        // shows the end of it.
        pager.source().nonblocking = true;
        let screen = pager.screen();
        let waiting = pager.at_end();
        pager.source().nonblocking = false;
        if term.draw(&screen).is_err() {
            break;
        }
        let input = pager.source().pending_fd().filter(|_| waiting);
        let key = match term.event(input) {
            Ok(terminal::Event::Key(k)) => k,
            Ok(terminal::Event::Resize) => {
                let (r, c) = term.size();
                pager.resize(r, c);
                continue;
            }
            Ok(terminal::Event::Input) => {
                // Read one chunk now, so a stream that never ends a line cannot spin.
                pager.source().read_some();
                continue;
            }
            Err(_) => break,
        };
        if matches!(key, keys::Key::Char(c) if c == 'r' || c == keys::ctrl('l') || c == keys::ctrl('r'))
        {
            term.invalidate();
        }
        let action = pager.key(key);
        let step: isize = match action {
            Action::Stay => continue,
            Action::Quit => break,
            Action::Next | Action::Finished => 1,
            Action::Prev => -1,
        };
        match switch(&mut pager, &mut list, step) {
            Ok(()) => {}
            Err(_) if action == Action::Finished => {
                // more: leave the last page on the screen (the status line is cleared).
                let screen = pager.screen();
                let _ = term.draw(&screen);
                break;
            }
            Err(msg) => pager.set_message(&msg),
        }
    }
    drop(term);
    Ok(0)
}

/// Move `step` files on, skipping files that do not open; an error message when none is left.
fn switch(pager: &mut Pager<Text>, list: &mut Files, step: isize) -> Result<(), String> {
    let mut at = list.current as isize;
    loop {
        at += step;
        if at < 0 {
            return Err("No previous file".into());
        }
        let Some(name) = list.names.get(at as usize).cloned() else {
            return Err("No next file".into());
        };
        match open(&name) {
            Ok(text) => {
                list.current = at as usize;
                let display = list.display(list.current);
                pager.set_source(text, &display, list.next_name());
                return Ok(());
            }
            Err(e) => pager.set_message(&e),
        }
    }
}

/// -F (and more) on a text that fits one screen: print it as it is and quit.
fn print_whole(pager: &mut Pager<Text>) -> AppletResult {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut i = 0;
    while let Some(line) = pager.source().line(i) {
        let write = out.write_all(&line).and_then(|()| out.write_all(b"\n"));
        if write.is_err() {
            break;
        }
        i += 1;
    }
    let _ = out.flush();
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, UsageError> {
        Options::parse(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn options_parse() {
        let o = parse(&["less", "-NS", "-i", "+20", "a", "-", "--", "-b"]).unwrap();
        assert!(o.config.numbers && o.config.chop && o.config.smart_case);
        assert!(!o.config.more);
        assert_eq!(o.start_line, Some(20));
        assert_eq!(o.files, ["a", "-", "-b"]);
        let o = parse(&["/bin/more", "f"]).unwrap();
        assert!(o.config.more && o.no_alt_screen);
        let o = parse(&["less", "+/foo bar", "-RXF"]).unwrap();
        assert_eq!(o.start_pattern.as_deref(), Some("foo bar"));
        assert!(o.config.raw && o.no_alt_screen && o.quit_if_one_screen);
        assert!(parse(&["less", "-Z"]).is_err());
    }
}
