//! `read [-r] [-p PROMPT] NAME...` (XCU read): one line, split by IFS as field splitting
//! does (XCU §2.6.5), the last NAME getting the rest of the line.

use super::super::exec::{err, Ex, Flow, Shell};
use super::super::fdio;
use super::super::parser::is_name;

/// A byte of the line and whether a backslash protected it from splitting.
type Ch = (u8, bool);

/// Split `line` into `n` values (XCU read, §2.6.5): leading and trailing IFS white space
/// dropped, each separator is IFS white space around at most one other IFS character, and the
/// last value keeps the rest of the line less a single trailing separator.
pub fn split_fields(line: &[Ch], ifs: &[u8], n: usize) -> Vec<String> {
    let is_ifs = |c: &Ch| !c.1 && ifs.contains(&c.0);
    let is_ws = |c: &Ch| is_ifs(c) && matches!(c.0, b' ' | b'\t' | b'\n');
    let text = |s: &[Ch]| {
        String::from_utf8_lossy(&s.iter().map(|c| c.0).collect::<Vec<u8>>()).into_owned()
    };
    let mut pos = 0;
    while pos < line.len() && is_ws(&line[pos]) {
        pos += 1;
    }
    let mut values = Vec::new();
    for _ in 1..n {
        let start = pos;
        while pos < line.len() && !is_ifs(&line[pos]) {
            pos += 1;
        }
        values.push(text(&line[start..pos]));
        while pos < line.len() && is_ws(&line[pos]) {
            pos += 1;
        }
        if pos < line.len() && is_ifs(&line[pos]) {
            pos += 1;
            while pos < line.len() && is_ws(&line[pos]) {
                pos += 1;
            }
        }
    }
    let mut rest = &line[pos.min(line.len())..];
    while rest.last().is_some_and(is_ws) {
        rest = &rest[..rest.len() - 1];
    }
    // One field followed by one separator: the separator goes (`a:` gives `a`).
    if let Some(at) = rest.iter().position(is_ifs) {
        let tail = &rest[at..];
        if tail.iter().all(is_ifs) && tail.iter().filter(|c| !is_ws(c)).count() <= 1 {
            rest = &rest[..at];
        }
    }
    values.push(text(rest));
    values
}

/// One line from standard input, a byte at a time so the rest stays for the next reader:
/// (bytes, end of file reached). Without `raw`, backslash-newline joins lines and a backslash
/// protects the next byte.
fn read_line(raw: bool) -> (Vec<Ch>, bool) {
    let mut line = Vec::new();
    loop {
        let Some(b) = fdio::read_byte(0) else {
            return (line, true);
        };
        if b == b'\n' {
            return (line, false);
        }
        if b == b'\\' && !raw {
            match fdio::read_byte(0) {
                Some(b'\n') => continue,
                Some(n) => line.push((n, true)),
                None => return (line, true),
            }
            continue;
        }
        line.push((b, false));
    }
}

pub fn read(sh: &mut Shell, args: &[String]) -> Ex {
    let mut raw = false;
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
            match c {
                'r' => raw = true,
                'p' => {
                    i += 1;
                    let prompt = args.get(i).cloned().unwrap_or_default();
                    if nix::unistd::isatty(std::io::stdin()).unwrap_or(false) {
                        fdio::write_all(2, prompt.as_bytes());
                    }
                }
                _ => {
                    err(&format!("read: Illegal option -{c}"));
                    return Err(Flow::Fail(2));
                }
            }
        }
        i += 1;
    }
    let names = &args[i.min(args.len())..];
    if names.is_empty() {
        err("read: arg count");
        return Err(Flow::Fail(2));
    }
    if let Some(bad) = names.iter().find(|n| !is_name(n)) {
        err(&format!("read: {bad}: bad variable name"));
        return Err(Flow::Fail(2));
    }
    let (line, eof) = read_line(raw);
    let ifs = sh.ifs();
    let values = split_fields(&line, ifs.as_bytes(), names.len());
    for (name, value) in names.iter().zip(values) {
        if let Err(e) = sh.try_set(name, value) {
            err(&format!("read: {e}"));
            return Err(Flow::Fail(2));
        }
    }
    Ok(i32::from(eof))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<Ch> {
        // `\` protects the next byte, as read's own backslash handling does.
        let mut v = Vec::new();
        let mut it = s.bytes();
        while let Some(b) = it.next() {
            match (b, b == b'\\') {
                (_, true) => v.extend(it.next().map(|n| (n, true))),
                _ => v.push((b, false)),
            }
        }
        v
    }

    #[test]
    fn split_table() {
        let cases: &[(&str, &str, usize, &[&str])] = &[
            ("a b c d", " \t\n", 2, &["a", "b c d"]),
            ("  a  b  ", " \t\n", 3, &["a", "b", ""]),
            ("a:b::c", ":", 3, &["a", "b", ":c"]),
            ("a:b:c:d:", ":", 2, &["a", "b:c:d:"]),
            ("a:b:", ":", 2, &["a", "b"]),
            (" :a: ", " :", 2, &["", "a"]),
            ("a,b, c ,", ", ", 4, &["a", "b", "c", ""]),
            ("  a b  ", "", 1, &["  a b  "]),
            ("a\\ b c", " ", 2, &["a b", "c"]),
            ("a  b  c  ", " \t\n", 2, &["a", "b  c"]),
        ];
        for (line, ifs, n, want) in cases {
            assert_eq!(
                split_fields(&chars(line), ifs.as_bytes(), *n),
                want.to_vec(),
                "{line:?} IFS={ifs:?}"
            );
        }
    }
}
