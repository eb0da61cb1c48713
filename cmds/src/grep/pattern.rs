//! POSIX regular expressions (BRE, ERE) and fixed strings, translated to `regex` crate syntax.
//!
//! Follows POSIX.1-2017 XBD §9 with the GNU extensions GNU grep accepts: `\| \+ \?` in BREs,
//! `\< \> \b \B \w \W \s \S \` \'`. Every literal byte is written as an escape, so nothing
//! `regex` treats specially (`{` in a BRE, `&&` or nested `[` in brackets) leaks through, and
//! non-UTF-8 bytes work (the regex is compiled with Unicode off, like grep in the C locale).
//! What `regex` cannot do: back-references (`\1`) are refused with a one-line error.

use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Basic,
    Extended,
    Fixed,
    /// -P: the pattern is already in `regex` syntax (Perl-like, without look-around or
    /// back-references).
    Perl,
}

/// The character class names POSIX brackets know (`[[:alpha:]]`); `regex` knows the same set.
const CLASSES: [&str; 12] = [
    "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space",
    "upper", "xdigit",
];

const UNMATCHED_BRACKET: &str = "Unmatched [, [^, [:, [., or [=";
/// GNU's limit on an interval count (RE_DUP_MAX).
const DUP_MAX: u32 = 32767;

/// One byte as a literal `regex` atom.
fn lit(out: &mut String, b: u8) {
    if b.is_ascii_alphanumeric() || b == b'_' {
        out.push(b as char);
    } else {
        let _ = write!(out, "\\x{b:02X}");
    }
}

/// A fixed string (`grep -F`) as a regex.
pub fn fixed(pat: &[u8]) -> String {
    let mut out = String::with_capacity(pat.len() * 2);
    for &b in pat {
        lit(&mut out, b);
    }
    out
}

/// Translate one pattern (one line of the pattern list) to `regex` syntax.
pub fn translate(pat: &[u8], syntax: Syntax) -> Result<String, String> {
    match syntax {
        Syntax::Fixed => Ok(fixed(pat)),
        Syntax::Perl => String::from_utf8(pat.to_vec())
            .map_err(|_| "-P patterns must be valid UTF-8".to_string()),
        Syntax::Basic | Syntax::Extended => Translator::new(pat, syntax == Syntax::Extended).run(),
    }
}

struct Translator<'a> {
    pat: &'a [u8],
    ere: bool,
    i: usize,
    out: String,
    /// Where the last repeatable atom starts in `out` (None: nothing to repeat yet).
    atom: Option<usize>,
    /// Whether `out` ends with a repetition operator (a second one needs a group).
    repeated: bool,
    /// Start of each open group in `out`.
    groups: Vec<usize>,
    /// Groups closed so far (for checking `\N`).
    closed: usize,
}

impl<'a> Translator<'a> {
    fn new(pat: &'a [u8], ere: bool) -> Self {
        Translator {
            pat,
            ere,
            i: 0,
            out: String::with_capacity(pat.len() * 2 + 8),
            atom: None,
            repeated: false,
            groups: Vec::new(),
            closed: 0,
        }
    }

    fn peek(&self, k: usize) -> Option<u8> {
        self.pat.get(self.i + k).copied()
    }

    /// Emit an atom (literal, `.`, bracket, class escape): it can be repeated.
    fn atom_with(&mut self, f: impl FnOnce(&mut String)) {
        self.atom = Some(self.out.len());
        self.repeated = false;
        f(&mut self.out);
    }

    /// Something that cannot be repeated (anchor, assertion, `|`, group start).
    fn no_atom(&mut self, s: &str) {
        self.atom = None;
        self.repeated = false;
        self.out.push_str(s);
    }

    /// Apply a repetition operator (`*`, `+`, `?`, `{m,n}`) to the last atom.
    fn repeat(&mut self, op: &str) {
        let Some(start) = self.atom else {
            // Nothing to repeat: GNU's ERE ignores the operator (with a warning).
            return;
        };
        if self.repeated {
            // `a**`, `a*?`: POSIX repeats the repetition; `regex` would read `*?` as lazy.
            self.out.insert_str(start, "(?:");
            self.out.push(')');
        }
        self.out.push_str(op);
        self.repeated = true;
    }

    fn run(mut self) -> Result<String, String> {
        while let Some(c) = self.peek(0) {
            self.i += 1;
            match c {
                b'\\' => self.escape()?,
                b'[' => self.bracket()?,
                b'.' => self.atom_with(|o| o.push('.')),
                b'*' if self.atom.is_none() && !self.ere => self.atom_with(|o| o.push_str("\\*")),
                b'*' => self.repeat("*"),
                b'^' if self.ere || self.at_bre_start() => self.no_atom("^"),
                b'$' if self.ere || self.at_bre_end() => self.no_atom("$"),
                b'+' | b'?' if self.ere => self.repeat(if c == b'+' { "+" } else { "?" }),
                b'{' if self.ere => match self.interval(b"}")? {
                    Some(op) => self.repeat(&op),
                    None => self.atom_with(|o| lit(o, b'{')),
                },
                b'(' if self.ere => self.open_group(),
                b')' if self.ere && !self.groups.is_empty() => self.close_group(),
                b'|' if self.ere => self.no_atom("|"),
                _ => self.atom_with(|o| lit(o, c)),
            }
        }
        if !self.groups.is_empty() {
            return Err("Unmatched ( or \\(".into());
        }
        Ok(self.out)
    }

    /// In a BRE, `^` anchors only at the start of the pattern or of a group or alternative.
    fn at_bre_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('(') || self.out.ends_with('|')
    }

    /// In a BRE, `$` anchors only at the end of the pattern, a group or an alternative.
    fn at_bre_end(&self) -> bool {
        let rest = &self.pat[self.i..];
        rest.is_empty() || rest.starts_with(b"\\)") || rest.starts_with(b"\\|")
    }

    fn open_group(&mut self) {
        self.groups.push(self.out.len());
        self.no_atom("(");
    }

    fn close_group(&mut self) {
        let start = self.groups.pop().unwrap_or(0);
        self.out.push(')');
        self.closed += 1;
        self.atom = Some(start);
        self.repeated = false;
    }

    fn escape(&mut self) -> Result<(), String> {
        let Some(c) = self.peek(0) else {
            return Err("Trailing backslash".into());
        };
        self.i += 1;
        match c {
            b'(' if !self.ere => self.open_group(),
            b')' if !self.ere => {
                if self.groups.is_empty() {
                    return Err("Unmatched ) or \\)".into());
                }
                self.close_group();
            }
            b'|' if !self.ere => self.no_atom("|"),
            // `\{` with nothing before it is a literal `{` (GNU: `\{1\}a` matches `{1}a`).
            b'{' if !self.ere && self.atom.is_none() => self.atom_with(|o| lit(o, b'{')),
            b'{' if !self.ere => match self.interval(b"\\}")? {
                Some(op) => self.repeat(&op),
                None => return Err("Unmatched \\{".into()),
            },
            b'+' | b'?' if !self.ere => {
                if self.atom.is_none() {
                    self.atom_with(|o| lit(o, c));
                } else {
                    self.repeat(if c == b'+' { "+" } else { "?" });
                }
            }
            b'<' => self.no_atom("\\b{start}"),
            b'>' => self.no_atom("\\b{end}"),
            b'b' => self.no_atom("\\b"),
            b'B' => self.no_atom("\\B"),
            b'`' => self.no_atom("\\A"),
            b'\'' => self.no_atom("\\z"),
            b'w' | b'W' | b's' | b'S' => self.atom_with(|o| {
                o.push('\\');
                o.push(c as char);
            }),
            b'1'..=b'9' => {
                let n = usize::from(c - b'0');
                return Err(if n > self.closed {
                    "Invalid back reference".into()
                } else {
                    "back-references (\\N) are not supported".into()
                });
            }
            _ => self.atom_with(|o| lit(o, c)),
        }
        Ok(())
    }

    /// After `{` (BRE `\{`): `m`, `m,`, `m,n` or `,n` and the closing `close`. Returns the
    /// `regex` operator; `Ok(None)` when this is no interval (ERE: then `{` is literal).
    fn interval(&mut self, close: &[u8]) -> Result<Option<String>, String> {
        let rest = &self.pat[self.i..];
        let Some(end) = rest.windows(close.len()).position(|w| w == close) else {
            return Ok(None);
        };
        let body = &rest[..end];
        let valid = !body.is_empty()
            && body.iter().all(|&b| b.is_ascii_digit() || b == b',')
            && body.iter().filter(|&&b| b == b',').count() <= 1;
        if !valid {
            if self.ere {
                return Ok(None);
            }
            return Err("Invalid content of \\{\\}".into());
        }
        let text = String::from_utf8_lossy(body);
        let (min, max) = match text.split_once(',') {
            Some((a, b)) => (a.to_string(), Some(b.to_string())),
            None => (text.to_string(), None),
        };
        let num = |s: &str| s.parse::<u32>().ok().filter(|&n| n <= DUP_MAX);
        let bad = || "Invalid content of \\{\\}".to_string();
        let lo = if min.is_empty() {
            0
        } else {
            num(&min).ok_or_else(bad)?
        };
        let op = match max {
            None => format!("{{{lo}}}"),
            Some(m) if m.is_empty() => format!("{{{lo},}}"),
            Some(m) => {
                let hi = num(&m).ok_or_else(bad)?;
                if hi < lo {
                    return Err(bad());
                }
                format!("{{{lo},{hi}}}")
            }
        };
        self.i += end + close.len();
        Ok(Some(op))
    }

    /// A bracket expression, from after `[` to its `]`, re-emitted item by item.
    fn bracket(&mut self) -> Result<(), String> {
        let mut class = String::from("[");
        if self.peek(0) == Some(b'^') {
            class.push('^');
            self.i += 1;
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek(0) else {
                return Err(UNMATCHED_BRACKET.into());
            };
            if c == b']' && !first {
                self.i += 1;
                break;
            }
            first = false;
            if c == b'[' {
                if let Some(kind @ (b':' | b'=' | b'.')) = self.peek(1) {
                    let body_start = self.i + 2;
                    let rest = &self.pat[body_start..];
                    let Some(len) = rest.windows(2).position(|w| w == [kind, b']']) else {
                        return Err(UNMATCHED_BRACKET.into());
                    };
                    let body = &rest[..len];
                    self.i = body_start + len + 2;
                    if kind == b':' {
                        let name = String::from_utf8_lossy(body);
                        if !CLASSES.contains(&name.as_ref()) {
                            return Err("Invalid character class name".into());
                        }
                        let _ = write!(class, "[:{name}:]");
                        if self.peek(0) == Some(b'-') && self.peek(1).is_some_and(|b| b != b']') {
                            return Err("Invalid range end".into());
                        }
                    } else {
                        // `[=a=]`, `[.a.]`: in the C locale, the character itself.
                        match body {
                            [b] => self.range_from(&mut class, *b)?,
                            _ => return Err("Invalid collation character".into()),
                        }
                    }
                    continue;
                }
            }
            self.i += 1;
            self.range_from(&mut class, c)?;
        }
        class.push(']');
        self.atom_with(|o| o.push_str(&class));
        Ok(())
    }

    /// One bracket item starting with byte `lo` (already consumed): a byte or a range `lo-hi`.
    fn range_from(&mut self, class: &mut String, lo: u8) -> Result<(), String> {
        if self.peek(0) == Some(b'-') && self.peek(1).is_some_and(|b| b != b']') {
            let mut hi = self.peek(1).unwrap_or(lo);
            self.i += 2;
            if hi == b'[' && self.peek(0) == Some(b'.') {
                // `a-[.z.]`
                let rest = &self.pat[self.i + 1..];
                match rest {
                    [b, b'.', b']', ..] => {
                        hi = *b;
                        self.i += 4;
                    }
                    _ => return Err(UNMATCHED_BRACKET.into()),
                }
            }
            if hi < lo {
                return Err("Invalid range end".into());
            }
            lit(class, lo);
            class.push('-');
            lit(class, hi);
        } else {
            lit(class, lo);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bre_table() {
        let cases: [(&str, Result<&str, &str>); 32] = [
            ("abc", Ok("abc")),
            ("a.c", Ok("a.c")),
            ("a*", Ok("a*")),
            ("*a", Ok("\\*a")),
            ("^*a", Ok("^\\*a")),
            ("\\(*a\\)", Ok("(\\*a)")),
            ("a**", Ok("(?:a*)*")),
            ("a\\{2,3\\}", Ok("a{2,3}")),
            ("a\\{2\\}", Ok("a{2}")),
            ("a\\{2,\\}", Ok("a{2,}")),
            ("a\\{,2\\}", Ok("a{0,2}")),
            ("a\\{,\\}", Ok("a{0,}")),
            ("\\{1\\}a", Ok("\\x7B1\\x7Da")),
            ("a{1}", Ok("a\\x7B1\\x7D")),
            ("a\\|b", Ok("a|b")),
            ("a\\+\\?", Ok("(?:a+)?")),
            ("a+?", Ok("a\\x2B\\x3F")),
            ("(a)", Ok("\\x28a\\x29")),
            ("\\(a\\)\\{2\\}", Ok("(a){2}")),
            ("a^b$c", Ok("a\\x5Eb\\x24c")),
            ("^ab$", Ok("^ab$")),
            ("\\(^a$\\)", Ok("(^a$)")),
            ("\\<w\\>", Ok("\\b{start}w\\b{end}")),
            ("\\.\\*\\[", Ok("\\x2E\\x2A\\x5B")),
            ("a\\", Err("Trailing backslash")),
            ("\\(a", Err("Unmatched ( or \\(")),
            ("a\\)", Err("Unmatched ) or \\)")),
            ("a\\{1", Err("Unmatched \\{")),
            ("a\\{x\\}", Err("Invalid content of \\{\\}")),
            ("a\\{2,1\\}", Err("Invalid content of \\{\\}")),
            ("\\(a\\)\\1", Err("back-references (\\N) are not supported")),
            ("\\1", Err("Invalid back reference")),
        ];
        for (pat, want) in cases {
            let got = translate(pat.as_bytes(), Syntax::Basic);
            assert_eq!(
                got.as_deref(),
                want.map_err(|e| e.to_string()).as_deref(),
                "{pat}"
            );
        }
    }

    #[test]
    fn ere_table() {
        let cases: [(&str, Result<&str, &str>); 16] = [
            ("a+b?c*", Ok("a+b?c*")),
            ("(a|b)+", Ok("(a|b)+")),
            ("a{2,3}", Ok("a{2,3}")),
            ("a{,3}", Ok("a{0,3}")),
            ("a{x}", Ok("a\\x7Bx\\x7D")),
            ("a{1", Ok("a\\x7B1")),
            ("a)", Ok("a\\x29")),
            ("*a", Ok("a")),
            ("+a", Ok("a")),
            ("a|*b", Ok("a|b")),
            ("^a$|b", Ok("^a$|b")),
            ("\\(a\\)", Ok("\\x28a\\x29")),
            ("a*?", Ok("(?:a*)?")),
            ("(a", Err("Unmatched ( or \\(")),
            ("a{2,1}", Err("Invalid content of \\{\\}")),
            ("()", Ok("()")),
        ];
        for (pat, want) in cases {
            let got = translate(pat.as_bytes(), Syntax::Extended);
            assert_eq!(
                got.as_deref(),
                want.map_err(|e| e.to_string()).as_deref(),
                "{pat}"
            );
        }
    }

    #[test]
    fn bracket_table() {
        let cases: [(&str, Result<&str, &str>); 13] = [
            ("[abc]", Ok("[abc]")),
            ("[^a-z]", Ok("[^a-z]")),
            ("[]a]", Ok("[\\x5Da]")),
            ("[^]a]", Ok("[^\\x5Da]")),
            ("[a-]", Ok("[a\\x2D]")),
            ("[[:alpha:]_]", Ok("[[:alpha:]_]")),
            ("[\\.]", Ok("[\\x5C\\x2E]")),
            ("[a&&b~~[]", Ok("[a\\x26\\x26b\\x7E\\x7E\\x5B]")),
            ("[[=a=][.-.]]", Ok("[a\\x2D]")),
            ("[[:foo:]]", Err("Invalid character class name")),
            ("[abc", Err(UNMATCHED_BRACKET)),
            ("[[:alpha:]-z]", Err("Invalid range end")),
            ("[z-a]", Err("Invalid range end")),
        ];
        for (pat, want) in cases {
            for syntax in [Syntax::Basic, Syntax::Extended] {
                let got = translate(pat.as_bytes(), syntax);
                assert_eq!(
                    got.as_deref(),
                    want.map_err(|e| e.to_string()).as_deref(),
                    "{pat}"
                );
            }
        }
    }

    #[test]
    fn fixed_escapes_everything() {
        assert_eq!(fixed(b"a.b*[\xff"), "a\\x2Eb\\x2A\\x5B\\xFF");
    }

    #[test]
    fn translations_compile_and_match() {
        // (syntax, pattern, line, matches)
        let cases: [(Syntax, &str, &[u8], bool); 12] = [
            (Syntax::Basic, "a\\{2\\}", b"xaay", true),
            (Syntax::Basic, "a\\{2\\}", b"xay", false),
            (Syntax::Basic, "[[:digit:]]\\+", b"ab12", true),
            (Syntax::Basic, "x{1}", b"x{1}", true),
            (Syntax::Extended, "^(ab|cd)+$", b"abcdab", true),
            (Syntax::Extended, "^(ab|cd)+$", b"abcda", false),
            (Syntax::Basic, "\\<is\\>", b"this is", true),
            (Syntax::Basic, "\\<is\\>", b"this", false),
            (Syntax::Fixed, "a.b", b"axb", false),
            (Syntax::Fixed, "a.b", b"a.b", true),
            (Syntax::Basic, "\u{e9}", "caf\u{e9}".as_bytes(), true),
            (Syntax::Basic, "[^a]", b"\xff", true),
        ];
        for (syntax, pat, line, want) in cases {
            let re = translate(pat.as_bytes(), syntax).expect("translate");
            let re = regex::bytes::RegexBuilder::new(&re)
                .unicode(false)
                .build()
                .expect("compile");
            assert_eq!(re.is_match(line), want, "{pat} on {line:?}");
        }
    }
}
