//! POSIX extended regular expressions (as awk writes them, after awk's escape processing)
//! translated to the `regex` crate's syntax, matching bytes: `.` matches any byte including
//! newline, bracket expressions are byte sets, `{n,m}` intervals as in POSIX.

use regex::bytes::Regex;

/// Translate and compile; the error is the regex crate's message.
pub fn compile(ere: &[u8]) -> Result<Regex, String> {
    let pat = translate(ere);
    regex::bytes::RegexBuilder::new(&pat)
        .unicode(false)
        .dot_matches_new_line(true)
        .size_limit(1 << 24)
        .build()
        .map_err(|e| {
            let msg = e.to_string();
            msg.lines().last().unwrap_or("bad regex").trim().to_string()
        })
}

fn lit(out: &mut String, c: u8) {
    if c.is_ascii_alphanumeric() || c == b' ' || c == b'_' {
        out.push(c as char);
    } else {
        out.push_str(&format!("\\x{c:02X}"));
    }
}

/// An awk escape `\c` (outside or inside brackets) as the byte it stands for, if any.
fn escape_byte(s: &[u8], i: &mut usize) -> u8 {
    let c = s[*i];
    *i += 1;
    match c {
        b'n' => b'\n',
        b't' => b'\t',
        b'r' => b'\r',
        b'f' => 0x0c,
        b'v' => 0x0b,
        b'b' => 0x08,
        b'a' => 0x07,
        b'0'..=b'7' => {
            let mut v = (c - b'0') as u32;
            let mut k = 0;
            while k < 2 && *i < s.len() && (b'0'..=b'7').contains(&s[*i]) {
                v = v * 8 + (s[*i] - b'0') as u32;
                *i += 1;
                k += 1;
            }
            v as u8
        }
        other => other,
    }
}

fn interval_len(s: &[u8]) -> Option<usize> {
    // s starts at '{': accept {n}, {n,}, {n,m}
    let mut i = 1;
    let d0 = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    if i == d0 {
        return None;
    }
    if i < s.len() && s[i] == b',' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
    }
    (i < s.len() && s[i] == b'}').then_some(i + 1)
}

pub fn translate(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut i = 0;
    // Where a repetition operator would have nothing to repeat, POSIX awks take it literally.
    let mut at_start = true;
    while i < s.len() {
        let c = s[i];
        let was_start = at_start;
        at_start = false;
        match c {
            b'\\' if i + 1 < s.len() => {
                i += 1;
                let b = escape_byte(s, &mut i);
                lit(&mut out, b);
                continue;
            }
            b'\\' => out.push_str("\\\\"),
            b'[' => {
                i = bracket(s, i, &mut out);
                continue;
            }
            b'*' | b'+' | b'?' if was_start => lit(&mut out, c),
            b'{' => match interval_len(&s[i..]) {
                Some(n) if !was_start => {
                    out.push_str(std::str::from_utf8(&s[i..i + n]).unwrap_or("{"));
                    i += n;
                    continue;
                }
                _ => lit(&mut out, c),
            },
            b'}' => lit(&mut out, c),
            b'(' | b'|' => {
                out.push(c as char);
                at_start = true;
            }
            b'^' => {
                out.push('^');
                at_start = true;
            }
            b')' | b'.' | b'$' | b'*' | b'+' | b'?' => out.push(c as char),
            _ => lit(&mut out, c),
        }
        i += 1;
    }
    out
}

/// Translate the bracket expression starting at `s[i] == '['`; returns the index after it.
/// An unterminated `[` is a literal.
fn bracket(s: &[u8], start: usize, out: &mut String) -> usize {
    let mut i = start + 1;
    let mut body = String::from("[");
    if i < s.len() && s[i] == b'^' {
        body.push('^');
        i += 1;
    }
    let mut first = true;
    let mut prev: Option<u8> = None;
    loop {
        if i >= s.len() {
            lit(out, b'[');
            return start + 1;
        }
        let c = s[i];
        if c == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        if c == b'[' && i + 1 < s.len() && s[i + 1] == b':' {
            if let Some(end) = find(&s[i + 2..], b":]") {
                let name = &s[i + 2..i + 2 + end];
                body.push_str("[:");
                body.push_str(&String::from_utf8_lossy(name));
                body.push_str(":]");
                i += end + 4;
                prev = None;
                continue;
            }
        }
        let b = if c == b'\\' && i + 1 < s.len() {
            i += 1;
            escape_byte(s, &mut i)
        } else {
            i += 1;
            c
        };
        if b == b'-' && c == b'-' && prev.is_some() && i < s.len() && s[i] != b']' {
            body.push('-');
            prev = None;
            continue;
        }
        lit(&mut body, b);
        prev = Some(b);
    }
    body.push(']');
    out.push_str(&body);
    i
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ere_matches() {
        let cases: &[(&str, &str, bool)] = &[
            ("a.c", "a\nc", true),
            ("^ab*$", "abbb", true),
            ("a{2}", "aa", true),
            ("a{2}", "a{2}", false),
            ("x{", "x{", true),
            ("[]a]", "]", true),
            ("[^]a]", "]", false),
            ("[a-c]+", "b", true),
            ("[a\\-z]", "-", true),
            ("[[:digit:]]+", "42", true),
            ("[.]", "x", false),
            ("\\.", ".", true),
            ("\\/", "/", true),
            ("*a", "*a", true),
            ("(+|x)", "+", true),
            ("a|b", "b", true),
            ("[&-]", "-", true),
            ("\\t", "\t", true),
            ("[", "[", true),
            ("a\\", "a\\", true),
            ("\\y", "y", true),
            ("()", "", true),
        ];
        for &(re, s, want) in cases {
            let r = compile(re.as_bytes()).unwrap_or_else(|e| panic!("{re}: {e}"));
            assert_eq!(
                r.is_match(s.as_bytes()),
                want,
                "{re} ~ {s:?} ({})",
                translate(re.as_bytes())
            );
        }
    }
}
