//! `-regex` patterns in GNU find's dialects, rewritten for the `regex` crate. GNU's default
//! `-regextype` is emacs (`\(…\)`, `\|` group; `(`, `|`, `{` are literal); posix-extended
//! and its aliases are ERE, which the crate's syntax already is outside bracket expressions.
//! In a POSIX bracket expression a backslash or `[` is literal; the crate needs them escaped.

/// The crate pattern for `pattern`, anchored to the whole path as GNU matches it.
pub fn translate(pattern: &str, emacs: bool) -> String {
    let mut out = String::from("^(?:");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '[' => i = bracket(&chars, i, &mut out),
            '\\' if i + 1 < chars.len() => {
                let next = chars[i + 1];
                match next {
                    '(' | ')' | '|' if emacs => out.push(next),
                    '{' | '}' if emacs => out.push(next),
                    // GNU regex escapes the crate has no meaning for: a quoted literal.
                    '<' | '>' | '\'' | '`' => {}
                    c if c.is_ascii_alphanumeric() && !"wWsSbB".contains(c) => out.push(c),
                    _ => {
                        out.push('\\');
                        out.push(next);
                    }
                }
                i += 2;
            }
            '(' | ')' | '|' | '{' | '}' if emacs => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out.push_str(")$");
    out
}

/// Copy the bracket expression at `chars[open]` into `out`, escaping for the crate; returns
/// the index past it. An unclosed `[` is a literal.
fn bracket(chars: &[char], open: usize, out: &mut String) -> usize {
    let mut i = open + 1;
    let mut body = String::new();
    if chars.get(i) == Some(&'^') {
        body.push('^');
        i += 1;
    }
    let mut first = true;
    while let Some(&c) = chars.get(i) {
        if c == ']' && !first {
            out.push('[');
            out.push_str(&body);
            out.push(']');
            return i + 1;
        }
        first = false;
        if c == '[' && matches!(chars.get(i + 1), Some(':' | '.' | '=')) {
            let kind = chars[i + 1];
            let mut j = i + 2;
            while j + 1 < chars.len() && !(chars[j] == kind && chars[j + 1] == ']') {
                j += 1;
            }
            if j + 1 < chars.len() {
                body.extend(&chars[i..j + 2]);
                i = j + 2;
                continue;
            }
        }
        match c {
            '\\' | '[' | '&' | '~' => {
                body.push('\\');
                body.push(c);
            }
            '-' if chars.get(i + 1) == Some(&'-') => body.push_str("\\-"),
            _ => body.push(c),
        }
        i += 1;
    }
    out.push_str("\\[");
    open + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects() {
        let cases = [
            (".*\\.txt", true, "^(?:.*\\.txt)$"),
            ("\\(a\\|b\\)", true, "^(?:(a|b))$"),
            ("(a|b)", true, "^(?:\\(a\\|b\\))$"),
            ("(a|b)", false, "^(?:(a|b))$"),
            ("[\\]x", false, "^(?:[\\\\]x)$"),
            ("[[:digit:]]+", false, "^(?:[[:digit:]]+)$"),
            ("[]a]", false, "^(?:[]a])$"),
            ("a[", false, "^(?:a\\[)$"),
        ];
        for (pat, emacs, want) in cases {
            assert_eq!(translate(pat, emacs), want, "{pat}");
            assert!(regex::Regex::new(want).is_ok(), "{want}");
        }
    }
}
