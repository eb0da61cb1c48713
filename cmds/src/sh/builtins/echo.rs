//! `echo` (like the echo applet: -n -e -E).

use super::out;

/// Like the `echo` applet (uutils): `-n`, `-e`, `-E`; no escapes unless `-e`.
pub fn echo(args: &[String]) -> i32 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_table() {
        for (s, want, stop) in [
            ("a\\tb\\c rest", "a\tb", true),
            ("\\x41\\0101", "AA", false),
            ("\\q", "\\q", false),
        ] {
            assert_eq!(unescape(s), (want.to_string(), stop), "{s}");
        }
    }
}
