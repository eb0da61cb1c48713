//! `:` command lines (POSIX ex(1p) subset): addresses (`N`, `.`, `$`, `%`, `+N`/`-N`),
//! the commands vi users reach for to save, quit, load and substitute, and vi's regular
//! expressions (basic: `\(` `\)` group, `\<` `\>` word edges) translated for the regex crate.

use regex::bytes::{Captures, Regex};

#[derive(Debug, PartialEq, Eq)]
pub enum ExCmd {
    /// `:N`, `:$`: go to the line.
    Goto(usize),
    Write {
        range: Option<(usize, usize)>,
        file: Option<String>,
        force: bool,
        quit: bool,
    },
    /// `:x`: write if modified, then quit.
    Exit {
        force: bool,
    },
    Quit {
        force: bool,
    },
    Edit {
        file: Option<String>,
        force: bool,
    },
    Read(String),
    Subst {
        range: (usize, usize),
        pattern: String,
        replacement: Vec<u8>,
        global: bool,
    },
    Delete(usize, usize),
    Set(String),
    File,
    /// `:!cmd`
    Shell(String),
    /// `:r !cmd`: the command's output below the cursor's line.
    ReadCommand(String),
    Nothing,
}

/// Where the command line is applied: the cursor's line and the last line (from 0).
pub struct Here {
    pub line: usize,
    pub last: usize,
}

fn address(s: &str, here: &Here) -> Result<(Option<usize>, usize), String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut base: Option<i64> = None;
    match b.first() {
        Some(b'.') => {
            base = Some(here.line as i64);
            i = 1;
        }
        Some(b'$') => {
            base = Some(here.last as i64);
            i = 1;
        }
        Some(c) if c.is_ascii_digit() => {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let n: i64 = s[..i].parse().map_err(|_| "Invalid range".to_string())?;
            base = Some(n - 1);
        }
        _ => {}
    }
    while let Some(&sign @ (b'+' | b'-')) = b.get(i) {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let n: i64 = if start == i {
            1
        } else {
            s[start..i]
                .parse()
                .map_err(|_| "Invalid range".to_string())?
        };
        let from = base.unwrap_or(here.line as i64);
        base = Some(if sign == b'+' { from + n } else { from - n });
    }
    match base {
        None => Ok((None, 0)),
        Some(n) if n < 0 || n > here.last as i64 => Err("Invalid range".to_string()),
        Some(n) => Ok((Some(n as usize), i)),
    }
}

/// Split `s` at the first unescaped `delim`: (part with `\delim` unescaped, rest after delim).
fn split_delim(s: &str, delim: char) -> (String, Option<&str>) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some((_, d)) if d == delim => out.push(d),
                Some((_, d)) => {
                    out.push('\\');
                    out.push(d);
                }
                None => out.push('\\'),
            }
        } else if c == delim {
            return (out, Some(&s[i + c.len_utf8()..]));
        } else {
            out.push(c);
        }
    }
    (out, None)
}

pub fn parse(line: &str, here: &Here) -> Result<ExCmd, String> {
    let line = line.trim_start_matches([' ', ':']);
    let (range, rest) = if let Some(rest) = line.strip_prefix('%') {
        (Some((0, here.last)), rest)
    } else {
        let (a, n) = address(line, here)?;
        let rest = &line[n..];
        match (a, rest.strip_prefix(',')) {
            (a, Some(r)) => {
                let (b, m) = address(r, here)?;
                let a = a.unwrap_or(here.line);
                let b = b.unwrap_or(here.line);
                if b < a {
                    return Err("Invalid range".into());
                }
                (Some((a, b)), &r[m..])
            }
            (Some(a), None) => (Some((a, a)), rest),
            (None, None) => (None, rest),
        }
    };
    let rest = rest.trim_start();
    let name_len = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let (name, rest) = rest.split_at(name_len);
    if name == "r" || name == "read" {
        if let Some(cmd) = rest.trim_start().strip_prefix('!') {
            return Ok(ExCmd::ReadCommand(cmd.trim().to_string()));
        }
    }
    if name.is_empty() {
        if let Some(cmd) = rest.strip_prefix('!') {
            if range.is_some() {
                return Err("Filtering lines through a command is not supported".into());
            }
            return Ok(ExCmd::Shell(cmd.trim().to_string()));
        }
    }
    // `:s/…` and friends take any punctuation as the delimiter right after the name.
    if name == "s" || name == "substitute" {
        let Some(delim) = rest.chars().next() else {
            return Err("Missing pattern".into());
        };
        let (pattern, after) = split_delim(&rest[delim.len_utf8()..], delim);
        let (replacement, flags) = match after {
            Some(a) => {
                let (r, f) = split_delim(a, delim);
                (r, f.unwrap_or(""))
            }
            None => (String::new(), ""),
        };
        let global = flags.trim().contains('g');
        if let Some(bad) = flags.trim().chars().find(|&c| c != 'g') {
            return Err(format!("Unknown flag: {bad}"));
        }
        let range = range.unwrap_or((here.line, here.line));
        return Ok(ExCmd::Subst {
            range,
            pattern,
            replacement: replacement.into_bytes(),
            global,
        });
    }
    let (force, arg) = match rest.strip_prefix('!') {
        Some(r) => (true, r.trim()),
        None => (false, rest.trim()),
    };
    let file = (!arg.is_empty()).then(|| arg.to_string());
    Ok(match name {
        "" => match range {
            Some((_, b)) => ExCmd::Goto(b),
            None => ExCmd::Nothing,
        },
        "w" | "write" => ExCmd::Write {
            range,
            file,
            force,
            quit: false,
        },
        "wq" => ExCmd::Write {
            range,
            file,
            force,
            quit: true,
        },
        "x" | "xit" | "exit" => ExCmd::Exit { force },
        "q" | "quit" => ExCmd::Quit { force },
        "e" | "edit" => ExCmd::Edit { file, force },
        "r" | "read" => match file {
            Some(f) => ExCmd::Read(f),
            None => return Err("No file name".into()),
        },
        "d" | "delete" => {
            let (a, b) = range.unwrap_or((here.line, here.line));
            ExCmd::Delete(a, b)
        }
        "se" | "set" => ExCmd::Set(arg.to_string()),
        "f" | "file" => ExCmd::File,
        _ => return Err(format!("Not an editor command: {name}")),
    })
}

/// A vi (basic) regular expression as the regex crate spells it.
pub fn compile(pattern: &str, ignore_case: bool) -> Result<Regex, String> {
    let mut out = String::from(if ignore_case { "(?i)" } else { "" });
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if in_class {
            match c {
                ']' => {
                    in_class = false;
                    out.push(']');
                }
                // POSIX brackets take backslash literally.
                '\\' => out.push_str("\\\\"),
                '[' if chars.peek() == Some(&':') => {
                    out.push('[');
                    for d in chars.by_ref() {
                        out.push(d);
                        if d == ']' {
                            break;
                        }
                    }
                }
                '[' => out.push_str("\\["),
                _ => out.push(c),
            }
            continue;
        }
        match c {
            '\\' => match chars.next() {
                Some('(') => out.push('('),
                Some(')') => out.push(')'),
                Some('|') => out.push('|'),
                Some('{') => out.push('{'),
                Some('}') => out.push('}'),
                Some('+') => out.push('+'),
                Some('?') => out.push('?'),
                Some('<') | Some('>') => out.push_str("\\b"),
                Some(d) if d.is_ascii_alphanumeric() => {
                    out.push('\\');
                    out.push(d);
                }
                Some(d) => out.push_str(&regex::escape(&d.to_string())),
                None => out.push_str("\\\\"),
            },
            '(' | ')' | '|' | '{' | '}' | '+' | '?' => {
                out.push('\\');
                out.push(c);
            }
            '[' => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    Regex::new(&out).map_err(|e| {
        let text = e.to_string();
        let last = text
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("bad pattern")
            .trim()
            .to_string();
        format!("Bad pattern: {}", last.trim_start_matches("error: "))
    })
}

/// The replacement for one match: `&` is the match, `\1`…`\9` groups, `\&` `\\` literal.
fn expand(rep: &[u8], caps: &Captures, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < rep.len() {
        match rep[i] {
            b'&' => out.extend_from_slice(caps.get(0).map(|m| m.as_bytes()).unwrap_or(&[])),
            b'\\' if i + 1 < rep.len() => {
                i += 1;
                match rep[i] {
                    d @ b'0'..=b'9' => out.extend_from_slice(
                        caps.get(usize::from(d - b'0'))
                            .map(|m| m.as_bytes())
                            .unwrap_or(&[]),
                    ),
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    c => out.push(c),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
}

/// `line` with the first (or every) match of `re` replaced; None when nothing matched.
pub fn substitute(re: &Regex, line: &[u8], rep: &[u8], global: bool) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut last = 0;
    let mut any = false;
    for caps in re.captures_iter(line) {
        let Some(m) = caps.get(0) else { continue };
        out.extend_from_slice(&line[last..m.start()]);
        expand(rep, &caps, &mut out);
        last = m.end();
        any = true;
        if !global {
            break;
        }
    }
    if !any {
        return None;
    }
    out.extend_from_slice(&line[last..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_ranges() {
        let here = Here { line: 4, last: 9 };
        let s = |range, p: &str, r: &str, g| ExCmd::Subst {
            range,
            pattern: p.into(),
            replacement: r.as_bytes().to_vec(),
            global: g,
        };
        let cases = [
            (
                "w",
                ExCmd::Write {
                    range: None,
                    file: None,
                    force: false,
                    quit: false,
                },
            ),
            (
                "w out.txt",
                ExCmd::Write {
                    range: None,
                    file: Some("out.txt".into()),
                    force: false,
                    quit: false,
                },
            ),
            (
                "wq",
                ExCmd::Write {
                    range: None,
                    file: None,
                    force: false,
                    quit: true,
                },
            ),
            ("q!", ExCmd::Quit { force: true }),
            ("x", ExCmd::Exit { force: false }),
            (
                "e! ",
                ExCmd::Edit {
                    file: None,
                    force: true,
                },
            ),
            (
                "e other",
                ExCmd::Edit {
                    file: Some("other".into()),
                    force: false,
                },
            ),
            ("r inc", ExCmd::Read("inc".into())),
            ("3", ExCmd::Goto(2)),
            ("$", ExCmd::Goto(9)),
            ("+2", ExCmd::Goto(6)),
            ("s/a/b/", s((4, 4), "a", "b", false)),
            ("%s/a\\/b/c/g", s((0, 9), "a/b", "c", true)),
            ("2,5s#x#y#", s((1, 4), "x", "y", false)),
            (".,$s/x/y", s((4, 9), "x", "y", false)),
            ("2,3d", ExCmd::Delete(1, 2)),
            ("set nu", ExCmd::Set("nu".into())),
            ("!ls -l", ExCmd::Shell("ls -l".into())),
            ("r !date", ExCmd::ReadCommand("date".into())),
            ("", ExCmd::Nothing),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line, &here), Ok(want), "{line}");
        }
        assert!(parse("11", &here).is_err());
        assert!(parse("5,3d", &here).is_err());
        assert!(parse("frobnicate", &here).is_err());
        assert!(parse("s/a/b/z", &here).is_err());
    }

    #[test]
    fn basic_regex_and_replacement() {
        let cases = [
            ("a+b", "xa+by", "Z", false, "xZy"),
            ("\\(a\\)\\(b\\)", "ab", "\\2\\1", false, "ba"),
            ("o", "foo", "0", true, "f00"),
            ("o", "foo", "[&]", false, "f[o]o"),
            ("\\<on\\>", "one on", "ON", true, "one ON"),
            ("^ *#", "  # c", "", false, " c"),
            ("[]x]", "a]x", "-", true, "a--"),
            ("x\\.y", "x.y xzy", "!", true, "! xzy"),
            ("(", "f(x)", "[", false, "f[x)"),
        ];
        for (pat, line, rep, g, want) in cases {
            let re = compile(pat, false).unwrap_or_else(|e| panic!("{pat}: {e}"));
            let got = substitute(&re, line.as_bytes(), rep.as_bytes(), g);
            assert_eq!(got.as_deref(), Some(want.as_bytes()), "{pat} on {line}");
        }
        assert!(compile("a\\{", false).is_err());
        let re = compile("abc", true).unwrap_or_else(|e| panic!("{e}"));
        assert!(re.is_match(b"xABCx"));
    }
}
