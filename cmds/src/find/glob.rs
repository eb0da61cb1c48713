//! fnmatch(3) without flags, as `-name` and `-path` use it: `*` and `?` match any byte
//! (slashes and leading dots included), `[...]` classes with `!`/`^`, ranges and `[:name:]`,
//! backslash quotes the next character. POSIX.1-2017 XCU 2.13.

/// Does `pat` match all of `text`? `fold` compares ASCII case-insensitively (`-iname`).
pub fn fnmatch(pat: &[u8], text: &[u8], fold: bool) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: the pattern just past it and the text it covers to.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p + 1, t));
                    p += 1;
                    continue;
                }
                b'?' if t < text.len() => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'[' if t < text.len() => {
                    if let Some((matched, next)) = bracket(pat, p, text[t], fold) {
                        if matched {
                            p = next;
                            t += 1;
                            continue;
                        }
                    } else if eq(b'[', text[t], fold) {
                        // An unclosed `[` is an ordinary character.
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
                c if t < text.len() => {
                    let (lit, len) = if c == b'\\' && p + 1 < pat.len() {
                        (pat[p + 1], 2)
                    } else {
                        (c, 1)
                    };
                    if eq(lit, text[t], fold) {
                        p += len;
                        t += 1;
                        continue;
                    }
                }
                _ => {}
            }
        } else if t == text.len() {
            return true;
        }
        match star {
            Some((sp, st)) if st < text.len() => {
                star = Some((sp, st + 1));
                p = sp;
                t = st + 1;
            }
            _ => return false,
        }
    }
}

fn eq(a: u8, b: u8, fold: bool) -> bool {
    a == b || (fold && a.eq_ignore_ascii_case(&b))
}

/// The class starting at `pat[open]` (`[`): whether `c` is in it and the index past its `]`;
/// `None` if the class is not closed.
fn bracket(pat: &[u8], open: usize, c: u8, fold: bool) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negate = matches!(pat.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let b = *pat.get(i)?;
        if b == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if b == b'[' && pat.get(i + 1) == Some(&b':') {
            let rest = &pat[i + 2..];
            if let Some(end) = rest.windows(2).position(|w| w == b":]") {
                matched |= in_class(&rest[..end], c);
                i += 2 + end + 2;
                continue;
            }
        }
        let (lo, step) = if b == b'\\' && i + 1 < pat.len() {
            (pat[i + 1], 2)
        } else {
            (b, 1)
        };
        i += step;
        if pat.get(i) == Some(&b'-') && pat.get(i + 1).is_some_and(|&n| n != b']') {
            let (hi, step) = if pat[i + 1] == b'\\' && i + 2 < pat.len() {
                (pat[i + 2], 3)
            } else {
                (pat[i + 1], 2)
            };
            i += step;
            matched |= (lo..=hi).contains(&c)
                || (fold
                    && ((lo..=hi).contains(&c.to_ascii_lowercase())
                        || (lo..=hi).contains(&c.to_ascii_uppercase())));
        } else {
            matched |= eq(lo, c, fold);
        }
    }
}

fn in_class(name: &[u8], c: u8) -> bool {
    match name {
        b"alpha" => c.is_ascii_alphabetic(),
        b"digit" => c.is_ascii_digit(),
        b"alnum" => c.is_ascii_alphanumeric(),
        b"upper" => c.is_ascii_uppercase(),
        b"lower" => c.is_ascii_lowercase(),
        b"space" => c.is_ascii_whitespace() || c == 0x0b,
        b"blank" => c == b' ' || c == b'\t',
        b"punct" => c.is_ascii_punctuation(),
        b"print" => (0x20..0x7f).contains(&c),
        b"graph" => c.is_ascii_graphic(),
        b"cntrl" => c.is_ascii_control(),
        b"xdigit" => c.is_ascii_hexdigit(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let cases = [
            ("*", "", true),
            ("*", ".hidden", true),
            ("*.txt", "a.txt", true),
            ("*.txt", "a.txt.gz", false),
            ("a*b*c", "aXbYbc", true),
            ("a*b*c", "aXbYb", false),
            ("?", "a", true),
            ("?", "", false),
            ("[abc]x", "bx", true),
            ("[!abc]x", "bx", false),
            ("[^abc]x", "dx", true),
            ("[a-c]", "b", true),
            ("[a-c]", "d", false),
            ("[]]", "]", true),
            ("[!]]", "a", true),
            ("[[:digit:]]*", "7up", true),
            ("[[:upper:]]", "a", false),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("[", "[", true),
            ("a[", "a[", true),
            ("*/b", "./a/b", true),
            ("./*", "./a/b", true),
            ("[a-]", "-", true),
        ];
        for (pat, text, want) in cases {
            assert_eq!(
                fnmatch(pat.as_bytes(), text.as_bytes(), false),
                want,
                "{pat} on {text}"
            );
        }
        assert!(fnmatch(b"*.TXT", b"a.txt", true));
        assert!(fnmatch(b"[A-C]", b"b", true));
        assert!(!fnmatch(b"*.TXT", b"a.txt", false));
    }
}
