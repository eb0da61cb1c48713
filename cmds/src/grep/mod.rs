//! `grep`, `egrep`, `fgrep`: print lines that match patterns. GNU grep(1) 3.x subset.
//!
//! usage: grep [OPTION...] PATTERNS [FILE...] | grep [OPTION...] -e PATTERNS... [FILE...]
//!
//! Patterns are POSIX BREs (-G), EREs (-E) or fixed strings (-F), translated to the `regex`
//! crate (see `pattern`) and matched on bytes with Unicode off, as GNU grep does in the C
//! locale. Input is streamed line by line through one reused buffer. Exit status: 0 if a line
//! was selected, 1 if none, 2 on an error (unless -q and a line was selected).
//!
//! Where we differ from GNU on purpose: matching is leftmost-first (`regex`), not POSIX
//! leftmost-longest, so `-o`/`--color` may show a shorter match for alternations like `a|ab`;
//! back-references are refused; the "* at start of expression" warnings are not printed; -P
//! means the `regex` crate's own (Perl-like) syntax, without PCRE's look-around.

mod pattern;

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use regex::bytes::{Regex, RegexBuilder};

use crate::error::{io_reason, AppletResult, UsageError};
use pattern::Syntax;

pub const USAGE: &str = "\
usage: grep [OPTION...] PATTERNS [FILE...]
Search each FILE (stdin if none or -; `.` with -r) for lines matching PATTERNS.
  -G, --basic-regexp        PATTERNS are basic regular expressions (default)
  -E, --extended-regexp     PATTERNS are extended regular expressions (egrep)
  -F, --fixed-strings       PATTERNS are strings (fgrep)
  -P, --perl-regexp         PATTERNS are Rust regex (Perl-like) expressions
  -e, --regexp=PATTERNS     use PATTERNS (repeatable)
  -f, --file=FILE           take PATTERNS from FILE, one per line
  -i, -y, --ignore-case     ignore case distinctions
  -w, --word-regexp         match only whole words
  -x, --line-regexp         match only whole lines
  -v, --invert-match        select non-matching lines
  -c, --count               print only a count of selected lines per file
  -l, --files-with-matches  print only names of files with selected lines
  -L, --files-without-match print only names of files without selected lines
  -o, --only-matching       print only the matched parts of lines
  -q, --quiet, --silent     print nothing; exit 0 at the first selected line
  -s, --no-messages         suppress messages about missing or unreadable files
  -m, --max-count=NUM       stop after NUM selected lines
  -n, --line-number         prefix lines with their line number
  -b, --byte-offset         prefix lines with their byte offset
  -H, --with-filename       prefix lines with the file name
  -h, --no-filename         never print file names
      --label=LABEL         name standard input LABEL
  -Z, --null                end file names with a NUL byte
  -z, --null-data           lines end with a NUL byte, not a newline
  -A, --after-context=NUM   print NUM lines after each match
  -B, --before-context=NUM  print NUM lines before each match
  -C, --context=NUM, -NUM   print NUM lines around each match
  -a, --text                search binary files as text
  -r, --recursive           search directories (symlinks inside are skipped)
  -R, --dereference-recursive  search directories, following all symlinks
      --include=GLOB        search only files whose name matches GLOB
      --exclude=GLOB        skip files whose name matches GLOB
      --exclude-dir=GLOB    skip directories whose name matches GLOB
  -d, --directories=ACTION  read (default), skip or recurse into directory operands
  -D, --devices=ACTION      read (default) or skip device, FIFO and socket operands
      --line-buffered       flush output after every line
      --color[=WHEN]        highlight matches: never, always or auto (a terminal)
";

// GNU grep's default GREP_COLORS: ms=01;31:mc=01;31:sl=:cx=:fn=35:ln=32:bn=32:se=36.
const SGR_MATCH: &[u8] = b"\x1b[01;31m\x1b[K";
const SGR_FILE: &[u8] = b"\x1b[35m\x1b[K";
const SGR_NUMBER: &[u8] = b"\x1b[32m\x1b[K";
const SGR_SEP: &[u8] = b"\x1b[36m\x1b[K";
const SGR_END: &[u8] = b"\x1b[m\x1b[K";

/// The first read of a file; a NUL in it makes the file binary (GNU reads 32 KiB or more).
const BUFFER: usize = 96 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFiles {
    Matching,
    NonMatching,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recurse {
    No,
    /// -r: follow symlinks named on the command line only.
    Yes,
    /// -R: follow every symlink.
    Dereference,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Never,
    Auto,
    Always,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub syntax: Syntax,
    /// Patterns given with -e (each may hold several, one per line).
    pub patterns: Vec<Vec<u8>>,
    /// Files named with -f.
    pub pattern_files: Vec<OsString>,
    pub ignore_case: bool,
    pub invert: bool,
    pub word: bool,
    pub line: bool,
    pub count: bool,
    pub list: Option<ListFiles>,
    pub only_matching: bool,
    pub quiet: bool,
    pub no_messages: bool,
    pub max_count: Option<u64>,
    pub line_number: bool,
    pub byte_offset: bool,
    /// -H (Some(true)), -h (Some(false)), or by the number of files.
    pub with_filename: Option<bool>,
    pub label: Option<Vec<u8>>,
    pub null: bool,
    pub after: Option<usize>,
    pub before: Option<usize>,
    pub context: Option<usize>,
    pub text: bool,
    /// -z: lines end with NUL, not newline.
    pub null_data: bool,
    pub line_buffered: bool,
    pub recurse: Recurse,
    /// -d skip: directory operands are skipped silently.
    pub skip_dirs: bool,
    /// -D skip: device, FIFO and socket operands are skipped.
    pub skip_devices: bool,
    pub include: Vec<Vec<u8>>,
    pub exclude: Vec<Vec<u8>>,
    pub exclude_dir: Vec<Vec<u8>>,
    pub color: Color,
    pub files: Vec<OsString>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            syntax: Syntax::Basic,
            patterns: Vec::new(),
            pattern_files: Vec::new(),
            ignore_case: false,
            invert: false,
            word: false,
            line: false,
            count: false,
            list: None,
            only_matching: false,
            quiet: false,
            no_messages: false,
            max_count: None,
            line_number: false,
            byte_offset: false,
            with_filename: None,
            label: None,
            null: false,
            after: None,
            before: None,
            context: None,
            text: false,
            null_data: false,
            line_buffered: false,
            recurse: Recurse::No,
            skip_dirs: false,
            skip_devices: false,
            include: Vec::new(),
            exclude: Vec::new(),
            exclude_dir: Vec::new(),
            color: Color::Never,
            files: Vec::new(),
        }
    }
}

/// Long options: name, whether it takes an argument, and the short option it equals
/// (or a private code above 0x7f for the long-only ones).
const LONG: [(&str, bool, char); 42] = [
    ("after-context", true, 'A'),
    ("basic-regexp", false, 'G'),
    ("before-context", true, 'B'),
    ("byte-offset", false, 'b'),
    ("color", false, '\u{80}'),
    ("colour", false, '\u{80}'),
    ("context", true, 'C'),
    ("count", false, 'c'),
    ("devices", true, 'D'),
    ("directories", true, 'd'),
    ("dereference-recursive", false, 'R'),
    ("exclude", true, '\u{81}'),
    ("exclude-dir", true, '\u{82}'),
    ("extended-regexp", false, 'E'),
    ("file", true, 'f'),
    ("files-with-matches", false, 'l'),
    ("files-without-match", false, 'L'),
    ("fixed-strings", false, 'F'),
    ("ignore-case", false, 'i'),
    ("include", true, '\u{83}'),
    ("invert-match", false, 'v'),
    ("label", true, '\u{84}'),
    ("line-number", false, 'n'),
    ("line-regexp", false, 'x'),
    ("max-count", true, 'm'),
    ("no-filename", false, 'h'),
    ("no-ignore-case", false, '\u{85}'),
    ("no-messages", false, 's'),
    ("null", false, 'Z'),
    ("null-data", false, 'z'),
    ("only-matching", false, 'o'),
    ("perl-regexp", false, 'P'),
    ("quiet", false, 'q'),
    ("recursive", false, 'r'),
    ("regexp", true, 'e'),
    ("silent", false, 'q'),
    ("text", false, 'a'),
    ("with-filename", false, 'H'),
    ("word-regexp", false, 'w'),
    ("binary-files", true, '\u{86}'),
    ("line-buffered", false, '\u{87}'),
    ("fixed-regexp", false, 'F'),
];

const SHORT_WITH_ARG: &[u8] = b"ABCDdefm";

fn number(opt: &str, v: &[u8]) -> Result<u64, UsageError> {
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| {
            UsageError(format!(
                "invalid {opt} argument: {}",
                String::from_utf8_lossy(v)
            ))
        })
}

fn bad_action(opt: &str, v: &[u8]) -> UsageError {
    UsageError(format!(
        "invalid argument '{}' for '--{opt}'",
        String::from_utf8_lossy(v)
    ))
}

fn context_number(v: &[u8]) -> Result<usize, UsageError> {
    let n = number("context length", v)?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

impl Options {
    /// Parse like GNU getopt_long: options and operands may mix until `--`.
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let name = args
            .first()
            .map(|a| {
                Path::new(a)
                    .file_name()
                    .unwrap_or(a.as_os_str())
                    .to_os_string()
            })
            .unwrap_or_default();
        let mut o = Options::default();
        match name.as_bytes() {
            b"egrep" => o.syntax = Syntax::Extended,
            b"fgrep" => o.syntax = Syntax::Fixed,
            _ => {}
        }
        let mut operands: Vec<OsString> = Vec::new();
        let mut it = args.into_iter().skip(1);
        while let Some(arg) = it.next() {
            let a = arg.as_bytes();
            if a == b"--" {
                operands.extend(it.by_ref());
                break;
            }
            if let Some(long) = a.strip_prefix(b"--") {
                let (name, value) = match long.iter().position(|&b| b == b'=') {
                    Some(eq) => (&long[..eq], Some(long[eq + 1..].to_vec())),
                    None => (long, None),
                };
                let name = String::from_utf8_lossy(name).into_owned();
                let exact = LONG.iter().find(|l| l.0 == name);
                let mut prefixed = LONG.iter().filter(|l| l.0.starts_with(name.as_str()));
                let entry = match (exact, prefixed.next(), prefixed.next()) {
                    (Some(e), _, _) => e,
                    (None, Some(e), None) => e,
                    (None, Some(_), Some(_)) => {
                        return Err(UsageError(format!("option '--{name}' is ambiguous")))
                    }
                    _ => return Err(UsageError(format!("unrecognized option '--{name}'"))),
                };
                let (lname, takes, code) = *entry;
                let value = if takes {
                    match value {
                        Some(v) => Some(v),
                        None => Some(it.next().map(OsString::into_vec).ok_or_else(|| {
                            UsageError(format!("option '--{lname}' requires an argument"))
                        })?),
                    }
                } else if code == '\u{80}' {
                    value
                } else if value.is_some() {
                    return Err(UsageError(format!(
                        "option '--{lname}' doesn't allow an argument"
                    )));
                } else {
                    None
                };
                o.apply(code, value)?;
                continue;
            }
            if a.len() < 2 || a[0] != b'-' {
                operands.push(arg);
                continue;
            }
            let mut j = 1;
            while j < a.len() {
                let c = a[j];
                j += 1;
                if c.is_ascii_digit() {
                    // -NUM: context; consecutive digits form one number.
                    let start = j - 1;
                    while j < a.len() && a[j].is_ascii_digit() {
                        j += 1;
                    }
                    o.context = Some(context_number(&a[start..j])?);
                    continue;
                }
                if SHORT_WITH_ARG.contains(&c) {
                    let value = if j < a.len() {
                        a[j..].to_vec()
                    } else {
                        it.next().map(OsString::into_vec).ok_or_else(|| {
                            UsageError(format!("option requires an argument -- '{}'", c as char))
                        })?
                    };
                    o.apply(c as char, Some(value))?;
                    break;
                }
                o.apply(c as char, None)?;
            }
        }
        let mut operands = operands.into_iter();
        if o.patterns.is_empty() && o.pattern_files.is_empty() {
            let pat = operands
                .next()
                .ok_or_else(|| UsageError("no pattern given (try --help)".into()))?;
            o.patterns.push(pat.into_vec());
        }
        o.files = operands.collect();
        Ok(o)
    }

    fn apply(&mut self, code: char, value: Option<Vec<u8>>) -> Result<(), UsageError> {
        let v = value.unwrap_or_default();
        match code {
            'A' => self.after = Some(context_number(&v)?),
            'B' => self.before = Some(context_number(&v)?),
            'C' => self.context = Some(context_number(&v)?),
            'E' => self.syntax = Syntax::Extended,
            'F' => self.syntax = Syntax::Fixed,
            'G' => self.syntax = Syntax::Basic,
            'P' => self.syntax = Syntax::Perl,
            'd' => match v.as_slice() {
                b"read" => self.skip_dirs = false,
                b"skip" => self.skip_dirs = true,
                b"recurse" => self.recurse = Recurse::Yes,
                _ => return Err(bad_action("directories", &v)),
            },
            'D' => match v.as_slice() {
                b"read" => self.skip_devices = false,
                b"skip" => self.skip_devices = true,
                _ => return Err(bad_action("devices", &v)),
            },
            'H' => self.with_filename = Some(true),
            'L' => self.list = Some(ListFiles::NonMatching),
            'R' => self.recurse = Recurse::Dereference,
            'Z' => self.null = true,
            'z' => self.null_data = true,
            'a' => self.text = true,
            'b' => self.byte_offset = true,
            'c' => self.count = true,
            'e' => self.patterns.push(v),
            'f' => self.pattern_files.push(OsString::from_vec(v)),
            'h' => self.with_filename = Some(false),
            'i' | 'y' => self.ignore_case = true,
            'l' => self.list = Some(ListFiles::Matching),
            'm' => self.max_count = Some(number("max count", &v)?),
            'n' => self.line_number = true,
            'o' => self.only_matching = true,
            'q' => self.quiet = true,
            'r' => self.recurse = Recurse::Yes,
            's' => self.no_messages = true,
            'v' => self.invert = true,
            'w' => self.word = true,
            'x' => self.line = true,
            'U' => {}
            '\u{80}' => {
                self.color = match v.as_slice() {
                    b"" | b"always" | b"yes" | b"force" => Color::Always,
                    b"never" | b"no" | b"none" => Color::Never,
                    b"auto" | b"tty" | b"if-tty" => Color::Auto,
                    _ => {
                        return Err(UsageError(format!(
                            "invalid argument '{}' for '--color'",
                            String::from_utf8_lossy(&v)
                        )))
                    }
                }
            }
            '\u{81}' => self.exclude.push(v),
            '\u{82}' => self.exclude_dir.push(v),
            '\u{83}' => self.include.push(v),
            '\u{84}' => self.label = Some(v),
            '\u{85}' => self.ignore_case = false,
            '\u{86}' => match v.as_slice() {
                b"text" => self.text = true,
                b"binary" => self.text = false,
                _ => {
                    return Err(UsageError(format!(
                        "unsupported --binary-files={}",
                        String::from_utf8_lossy(&v)
                    )))
                }
            },
            '\u{87}' => self.line_buffered = true,
            c => return Err(UsageError(format!("invalid option -- '{c}'"))),
        }
        Ok(())
    }

    /// The line terminator, in input and output.
    fn eol(&self) -> u8 {
        if self.null_data {
            0
        } else {
            b'\n'
        }
    }

    fn after_lines(&self) -> usize {
        self.after.or(self.context).unwrap_or(0)
    }

    fn before_lines(&self) -> usize {
        self.before.or(self.context).unwrap_or(0)
    }
}

/// The one regex for every pattern, with -i, -w and -x folded in.
pub fn build_regex(patterns: &[Vec<u8>], o: &Options) -> Result<Regex, String> {
    let mut alts = Vec::new();
    for p in patterns {
        alts.push(pattern::translate(p, o.syntax)?);
    }
    let body = match alts.as_slice() {
        // No pattern at all (`-f /dev/null`): nothing matches.
        [] => "\\b\\B".to_string(),
        [one] => one.clone(),
        _ => alts
            .iter()
            .map(|a| format!("(?:{a})"))
            .collect::<Vec<_>>()
            .join("|"),
    };
    let mut re = format!("(?:{body})");
    if o.line {
        re = format!("^{re}$");
    } else if o.word {
        // GNU -w: no word character right before or right after the match.
        re = format!("\\b{{start-half}}{re}\\b{{end-half}}");
    }
    RegexBuilder::new(&re)
        .unicode(false)
        .case_insensitive(o.ignore_case)
        .dot_matches_new_line(o.null_data)
        .size_limit(1 << 28)
        .dfa_size_limit(1 << 26)
        .build()
        .map_err(|e| match e {
            regex::Error::Syntax(s) => s
                .lines()
                .rev()
                .find(|l| l.starts_with("error:"))
                .map(|l| l.trim_start_matches("error:").trim().to_string())
                .unwrap_or_else(|| "invalid regular expression".into()),
            regex::Error::CompiledTooBig(_) => "regular expression too big".into(),
            _ => "invalid regular expression".into(),
        })
}

/// The pattern list: -e values and -f files, each split on newlines (a list ending in a
/// newline does not add an empty pattern).
fn collect_patterns(o: &Options) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    let mut split = |text: &[u8]| {
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        out.extend(text.split(|&b| b == b'\n').map(<[u8]>::to_vec));
    };
    for p in &o.patterns {
        split(p);
    }
    for f in &o.pattern_files {
        let text = if f.as_bytes() == b"-" {
            let mut v = Vec::new();
            io::stdin().lock().read_to_end(&mut v).map(|_| v)
        } else {
            std::fs::read(f)
        };
        let text = text.map_err(|e| format!("{}: {}", f.to_string_lossy(), io_reason(&e)))?;
        // An empty -f file contributes no pattern at all (so it matches nothing).
        if !text.is_empty() {
            split(&text);
        }
    }
    Ok(out)
}

/// fnmatch(3) without flags: `*`, `?`, `[...]` (with `!`/`^`), `\` quoting.
pub fn glob_match(pat: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pat.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
                continue;
            }
            Some(b'?') => Some(1),
            Some(b'[') => bracket_len(&pat[p..], name[n]),
            Some(b'\\') if p + 1 < pat.len() => (pat[p + 1] == name[n]).then_some(2),
            Some(&c) => (c == name[n]).then_some(1),
            None => None,
        };
        match step {
            Some(len) => {
                p += len;
                n += 1;
            }
            None => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// If the bracket at the start of `pat` matches `c`, its length in `pat`.
fn bracket_len(pat: &[u8], c: u8) -> Option<usize> {
    let mut i = 1;
    let negate = matches!(pat.get(1), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let &b = pat.get(i)?;
        if b == b']' && !first {
            break;
        }
        first = false;
        if pat.get(i + 1) == Some(&b'-') && pat.get(i + 2).is_some_and(|&e| e != b']') {
            let hi = pat[i + 2];
            hit |= (b..=hi).contains(&c);
            i += 3;
        } else {
            hit |= b == c;
            i += 1;
        }
    }
    (hit != negate).then_some(i + 1)
}

/// What searching has found so far, across files.
#[derive(Default)]
struct Status {
    selected: bool,
    error: bool,
}

/// A file-level problem worth one message (`grep: NAME: reason`).
fn report(o: &Options, status: &mut Status, out: &mut Output, name: &[u8], reason: &str) {
    status.error = true;
    if !o.no_messages {
        let _ = out.w.flush();
        eprintln!("grep: {}: {reason}", String::from_utf8_lossy(name));
    }
}

struct Output {
    w: BufWriter<io::Stdout>,
    color: bool,
    /// Flush after every line: --line-buffered, or stdout is a terminal (as C stdio does), so
    /// `tail -f log | grep x` shows lines as they come.
    line_buffered: bool,
    /// The last line printed in context mode: (file number, line number), for `--`.
    last: Option<(usize, u64)>,
}

impl Output {
    fn colored(&mut self, sgr: &[u8], text: &[u8]) -> io::Result<()> {
        if self.color {
            self.w.write_all(sgr)?;
            self.w.write_all(text)?;
            self.w.write_all(SGR_END)
        } else {
            self.w.write_all(text)
        }
    }
}

/// Searching one input.
struct Searcher<'a> {
    o: &'a Options,
    re: &'a Regex,
    out: &'a mut Output,
    file_no: usize,
    name: &'a [u8],
    show_name: bool,
    context: bool,
}

/// How one input ended.
struct Outcome {
    selected: u64,
    /// A selected line in a binary file (the message was printed instead of lines).
    binary: bool,
}

impl Searcher<'_> {
    fn prefix(&mut self, lineno: u64, offset: u64, sep: u8) -> io::Result<()> {
        if self.show_name {
            self.out.colored(SGR_FILE, self.name)?;
            if self.o.null {
                self.out.w.write_all(b"\0")?;
            } else {
                self.out.colored(SGR_SEP, &[sep])?;
            }
        }
        if self.o.line_number {
            self.out
                .colored(SGR_NUMBER, lineno.to_string().as_bytes())?;
            self.out.colored(SGR_SEP, &[sep])?;
        }
        if self.o.byte_offset {
            self.out
                .colored(SGR_NUMBER, offset.to_string().as_bytes())?;
            self.out.colored(SGR_SEP, &[sep])?;
        }
        Ok(())
    }

    /// `--` between non-adjacent groups when context is asked for.
    fn separate(&mut self, lineno: u64) -> io::Result<()> {
        if !self.context {
            return Ok(());
        }
        if let Some((f, l)) = self.out.last {
            if f != self.file_no || l + 1 < lineno {
                self.out.colored(SGR_SEP, b"--")?;
                self.out.w.write_all(&[self.o.eol()])?;
            }
        }
        self.out.last = Some((self.file_no, lineno));
        Ok(())
    }

    /// Print a selected (`:`) or context (`-`) line; `matching` says whether it matches the
    /// patterns (then its matches are colored).
    fn print_line(
        &mut self,
        lineno: u64,
        offset: u64,
        line: &[u8],
        selected: bool,
    ) -> io::Result<()> {
        self.separate(lineno)?;
        let matching = selected != self.o.invert;
        if self.o.only_matching {
            // -o prints matches of selected lines only; context lines only move `--`.
            if !selected || self.o.invert {
                return Ok(());
            }
            for m in self.re.find_iter(line) {
                if m.is_empty() {
                    continue;
                }
                self.prefix(lineno, offset + m.start() as u64, b':')?;
                self.out.colored(SGR_MATCH, m.as_bytes())?;
                self.out.w.write_all(&[self.o.eol()])?;
            }
            return Ok(());
        }
        self.prefix(lineno, offset, if selected { b':' } else { b'-' })?;
        if self.out.color && matching {
            let mut at = 0;
            for m in self.re.find_iter(line) {
                if m.is_empty() {
                    continue;
                }
                self.out.w.write_all(&line[at..m.start()])?;
                self.out.colored(SGR_MATCH, m.as_bytes())?;
                at = m.end();
            }
            self.out.w.write_all(&line[at..])?;
        } else {
            self.out.w.write_all(line)?;
        }
        self.out.w.write_all(&[self.o.eol()])?;
        if self.out.line_buffered {
            self.out.w.flush()?;
        }
        Ok(())
    }

    fn search(&mut self, input: impl Read) -> io::Result<Outcome> {
        let o = self.o;
        let mut rdr = BufReader::with_capacity(BUFFER, input);
        // With -z a NUL ends a line; it cannot make the file binary.
        let nul_is_binary = !o.text && !o.null_data;
        let mut binary = nul_is_binary && rdr.fill_buf()?.contains(&0);
        let printing = !o.quiet && !o.count && o.list.is_none();
        let (after, before) = if printing {
            (o.after_lines(), o.before_lines())
        } else {
            (0, 0)
        };
        let mut ring: VecDeque<(u64, u64, Vec<u8>)> = VecDeque::with_capacity(before);
        let mut line = Vec::with_capacity(256);
        let (mut lineno, mut offset, mut selected) = (0u64, 0u64, 0u64);
        let mut after_left = 0usize;
        let mut done = o.max_count == Some(0);
        let stop_early = o.quiet || o.list.is_some();
        while !(done && after_left == 0) {
            line.clear();
            let n = rdr.read_until(o.eol(), &mut line)?;
            if n == 0 {
                break;
            }
            lineno += 1;
            let text = line.strip_suffix(&[o.eol()]).unwrap_or(&line);
            let line_offset = offset;
            offset += n as u64;
            if done {
                // After -m NUM: the trailing context, whatever the lines are.
                self.print_line(lineno, line_offset, text, false)?;
                after_left -= 1;
                continue;
            }
            let is_selected = self.re.is_match(text) != o.invert;
            if !is_selected {
                if after_left > 0 {
                    self.print_line(lineno, line_offset, text, false)?;
                    after_left -= 1;
                } else if before > 0 {
                    let mut slot = if ring.len() == before {
                        ring.pop_front().map(|s| s.2).unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                    slot.clear();
                    slot.extend_from_slice(text);
                    ring.push_back((lineno, line_offset, slot));
                }
                continue;
            }
            selected += 1;
            if stop_early {
                break;
            }
            if o.max_count.is_some_and(|m| selected >= m) {
                done = true;
            }
            if !printing {
                continue;
            }
            if !binary && nul_is_binary && text.contains(&0) {
                binary = true;
            }
            if binary {
                return Ok(Outcome {
                    selected,
                    binary: true,
                });
            }
            while let Some((l, off, ctx)) = ring.pop_front() {
                self.print_line(l, off, &ctx, false)?;
            }
            self.print_line(lineno, line_offset, text, true)?;
            after_left = after;
        }
        Ok(Outcome {
            selected,
            binary: false,
        })
    }
}

/// One thing to search: a path (None: stdin) and the name to print for it.
struct Input {
    path: Option<PathBuf>,
    name: Vec<u8>,
    /// Found by walking a directory (names are shown even for a single operand).
    walked: bool,
}

/// Search one input; Ok(true) means stop everything (-q found a line).
fn search_input(
    o: &Options,
    re: &Regex,
    out: &mut Output,
    status: &mut Status,
    input: &Input,
    file_no: usize,
    show_names: Option<bool>,
) -> io::Result<bool> {
    let show_name = show_names.unwrap_or(input.walked);
    let result = match &input.path {
        None => {
            let stdin = io::stdin();
            let lock = stdin.lock();
            run_search(o, re, out, input, file_no, show_name, lock)
        }
        Some(p) => match File::open(p) {
            Ok(f) => run_search(o, re, out, input, file_no, show_name, f),
            Err(e) => Err(e),
        },
    };
    let outcome = match result {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(write_err)) => return Err(write_err),
        Err(read_err) => {
            report(o, status, out, &input.name, &io_reason(&read_err));
            return Ok(false);
        }
    };
    if outcome.selected > 0 {
        status.selected = true;
        if o.quiet {
            return Ok(true);
        }
    }
    let w = &mut *out;
    let name_end: &[u8] = if o.null { b"\0" } else { b"\n" };
    match o.list {
        Some(ListFiles::Matching) if outcome.selected > 0 => {
            w.colored(SGR_FILE, &input.name)?;
            w.w.write_all(name_end)?;
        }
        Some(ListFiles::NonMatching) if outcome.selected == 0 => {
            w.colored(SGR_FILE, &input.name)?;
            w.w.write_all(name_end)?;
        }
        Some(_) => {}
        None if o.count => {
            if show_name {
                w.colored(SGR_FILE, &input.name)?;
                if o.null {
                    w.w.write_all(b"\0")?;
                } else {
                    w.colored(SGR_SEP, b":")?;
                }
            }
            writeln!(w.w, "{}", outcome.selected)?;
        }
        None => {}
    }
    if outcome.binary {
        w.w.flush()?;
        eprintln!(
            "grep: {}: binary file matches",
            String::from_utf8_lossy(&input.name)
        );
    }
    Ok(false)
}

/// Open-file errors come back as the outer Err (a message, keep going); write errors as the
/// inner Err (fatal). Read errors while searching count as the former.
fn run_search(
    o: &Options,
    re: &Regex,
    out: &mut Output,
    input: &Input,
    file_no: usize,
    show_name: bool,
    reader: impl Read,
) -> io::Result<io::Result<Outcome>> {
    let mut s = Searcher {
        o,
        re,
        out,
        file_no,
        name: &input.name,
        show_name,
        context: o.after_lines() > 0 || o.before_lines() > 0,
    };
    let mut failed_write = None;
    let r = s.search(WriteErrorGuard {
        inner: reader,
        read_failed: &mut failed_write,
    });
    match r {
        Ok(outcome) => Ok(Ok(outcome)),
        // A read error was recorded by the guard: that is the input's fault.
        Err(e) if failed_write.is_some() => Err(e),
        Err(e) => Ok(Err(e)),
    }
}

/// Marks errors that come from reading, so they can be told from errors writing stdout.
struct WriteErrorGuard<'a, R> {
    inner: R,
    read_failed: &'a mut Option<()>,
}

impl<R: Read> Read for WriteErrorGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.inner.read(buf);
        if r.is_err() {
            *self.read_failed = Some(());
        }
        r
    }
}

fn name_matches(globs: &[Vec<u8>], path: &[u8]) -> bool {
    let base = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    globs
        .iter()
        .any(|g| glob_match(g, base) || glob_match(g, path))
}

/// Whether a file (not a directory) passes --include/--exclude.
fn file_wanted(o: &Options, path: &[u8]) -> bool {
    if name_matches(&o.exclude, path) {
        return false;
    }
    o.include.is_empty() || name_matches(&o.include, path)
}

struct Walk<'a> {
    o: &'a Options,
    re: &'a Regex,
    out: &'a mut Output,
    status: &'a mut Status,
    file_no: usize,
    show_names: Option<bool>,
    /// (device, inode) of the directories being walked, to stop -R at symlink loops.
    ancestors: Vec<(u64, u64)>,
}

impl Walk<'_> {
    /// Search `input`; Ok(true): stop (-q matched).
    fn file(&mut self, input: Input) -> io::Result<bool> {
        self.file_no += 1;
        search_input(
            self.o,
            self.re,
            self.out,
            self.status,
            &input,
            self.file_no,
            self.show_names,
        )
    }

    /// An operand: stdin, a file, or (with -r) a directory to walk.
    fn operand(&mut self, arg: &OsStr, implicit_dot: bool) -> io::Result<bool> {
        let bytes = arg.as_bytes();
        if bytes == b"-" && !implicit_dot {
            let name = self
                .o
                .label
                .clone()
                .unwrap_or_else(|| b"(standard input)".to_vec());
            return self.file(Input {
                path: None,
                name,
                walked: false,
            });
        }
        let path = PathBuf::from(arg);
        let meta = std::fs::metadata(&path);
        let is_dir = meta.as_ref().map(|m| m.is_dir()).unwrap_or(false);
        if is_dir {
            if self.o.recurse == Recurse::No && self.o.skip_dirs {
                return Ok(false);
            }
            if self.o.recurse == Recurse::No {
                report(self.o, self.status, self.out, bytes, "Is a directory");
                return Ok(false);
            }
            if name_matches(&self.o.exclude_dir, bytes) && !implicit_dot {
                return Ok(false);
            }
            // GNU (fts) drops trailing slashes: `grep -r x d/` names `d/a`.
            let mut prefix = bytes.to_vec();
            while prefix.len() > 1 && prefix.ends_with(b"/") {
                prefix.pop();
            }
            let prefix = if implicit_dot {
                Vec::new()
            } else if prefix == b"/" {
                prefix
            } else {
                let mut p = prefix;
                p.push(b'/');
                p
            };
            return self.dir(&path, &prefix);
        }
        if !file_wanted(self.o, bytes) {
            return Ok(false);
        }
        let special = meta.as_ref().is_ok_and(|m| {
            use std::os::unix::fs::FileTypeExt;
            let t = m.file_type();
            t.is_block_device() || t.is_char_device() || t.is_fifo() || t.is_socket()
        });
        if special && self.o.skip_devices {
            return Ok(false);
        }
        self.file(Input {
            path: Some(path),
            name: bytes.to_vec(),
            walked: false,
        })
    }

    /// Walk a directory in readdir order (as GNU's fts does), `prefix` naming it.
    fn dir(&mut self, path: &Path, prefix: &[u8]) -> io::Result<bool> {
        let shown = if prefix.is_empty() {
            b".".to_vec()
        } else {
            prefix.strip_suffix(b"/").unwrap_or(prefix).to_vec()
        };
        let id = std::fs::metadata(path).map(|m| (m.dev(), m.ino())).ok();
        if let Some(id) = id {
            if self.ancestors.contains(&id) {
                if !self.o.no_messages {
                    let _ = self.out.w.flush();
                    eprintln!(
                        "grep: {}: warning: recursive directory loop",
                        String::from_utf8_lossy(&shown)
                    );
                }
                return Ok(false);
            }
        }
        let entries = match std::fs::read_dir(path) {
            Ok(e) => e,
            Err(e) => {
                report(self.o, self.status, self.out, &shown, &io_reason(&e));
                return Ok(false);
            }
        };
        self.ancestors.extend(id);
        let stop = self.entries(entries, prefix);
        if id.is_some() {
            self.ancestors.pop();
        }
        stop
    }

    fn entries(&mut self, entries: std::fs::ReadDir, prefix: &[u8]) -> io::Result<bool> {
        let shown = if prefix.is_empty() {
            b".".to_vec()
        } else {
            prefix.strip_suffix(b"/").unwrap_or(prefix).to_vec()
        };
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    report(self.o, self.status, self.out, &shown, &io_reason(&e));
                    continue;
                }
            };
            let mut name = prefix.to_vec();
            name.extend_from_slice(entry.file_name().as_bytes());
            let child = entry.path();
            let Ok(mut ft) = entry.file_type() else {
                continue;
            };
            if ft.is_symlink() {
                if self.o.recurse != Recurse::Dereference {
                    continue;
                }
                match std::fs::metadata(&child) {
                    Ok(m) => ft = m.file_type(),
                    Err(e) => {
                        report(self.o, self.status, self.out, &name, &io_reason(&e));
                        continue;
                    }
                }
            }
            let stop = if ft.is_dir() {
                if name_matches(&self.o.exclude_dir, entry.file_name().as_bytes()) {
                    continue;
                }
                let mut sub = name.clone();
                sub.push(b'/');
                self.dir(&child, &sub)?
            } else if ft.is_file() {
                if !file_wanted(self.o, &name) {
                    continue;
                }
                self.file(Input {
                    path: Some(child),
                    name,
                    walked: true,
                })?
            } else {
                // Devices, FIFOs and sockets met while walking are skipped (GNU -D skip).
                false
            };
            if stop {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// A fatal error that is not a usage error: the dispatcher would add the usage text to a
/// failure with code 2, so grep prints these itself.
fn fatal(message: &str) -> AppletResult {
    eprintln!("grep: {message}");
    Ok(2)
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let patterns = match collect_patterns(&o) {
        Ok(p) => p,
        Err(message) => return fatal(&message),
    };
    let re = match build_regex(&patterns, &o) {
        Ok(re) => re,
        Err(message) => return fatal(&message),
    };
    let color = match o.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            io::stdout().is_terminal() && std::env::var_os("TERM").is_some_and(|t| t != "dumb")
        }
    };
    let mut out = Output {
        w: BufWriter::with_capacity(64 * 1024, io::stdout()),
        color,
        line_buffered: o.line_buffered || io::stdout().is_terminal(),
        last: None,
    };
    let mut status = Status::default();
    let implicit_dot = o.files.is_empty() && o.recurse != Recurse::No;
    let operands: Vec<OsString> = if o.files.is_empty() {
        vec![if implicit_dot { "." } else { "-" }.into()]
    } else {
        o.files.clone()
    };
    // -H/-h win; several operands show names; one operand shows names only for what a
    // directory walk finds (GNU: `grep -r x file` prints no name, `grep -r x dir` does).
    let show_names = o
        .with_filename
        .or(if operands.len() > 1 { Some(true) } else { None })
        .or(if o.recurse == Recurse::No {
            Some(false)
        } else {
            None
        });
    let mut walk = Walk {
        o: &o,
        re: &re,
        out: &mut out,
        status: &mut status,
        file_no: 0,
        show_names,
        ancestors: Vec::new(),
    };
    for arg in &operands {
        match walk.operand(arg, implicit_dot) {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => return fatal(&format!("write error: {}", io_reason(&e))),
        }
    }
    if let Err(e) = out.w.flush() {
        return fatal(&format!("write error: {}", io_reason(&e)));
    }
    Ok(if status.error && !(o.quiet && status.selected) {
        2
    } else if status.selected {
        0
    } else {
        1
    })
}

#[cfg(test)]
mod tests;
