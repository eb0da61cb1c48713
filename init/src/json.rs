//! A small JSON reader (RFC 8259) for the image config init finds on the root disk. rbox must
//! stay small, so no serde: values are read into [`Json`] and picked apart by hand.
//!
//! Strict where it costs nothing (no trailing commas, no comments, no control characters in
//! strings, nothing after the value); lone UTF-16 surrogates in `\u` escapes become U+FFFD as
//! Go's encoding/json does, since the configs come from Go tools. Nesting is limited to
//! [`MAX_DEPTH`] so a hostile file cannot overflow init's stack.

use thiserror::Error;

/// Deeper nesting is refused.
pub const MAX_DEPTH: usize = 128;

/// A JSON value. Objects keep their members in file order; [`Json::get`] takes the last of
/// duplicate keys, as most readers do.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Where and why the text is not JSON: `line 3 column 5: expected ':'`.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("line {line} column {column}: {reason}")]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    pub reason: &'static str,
}

impl Json {
    /// Parse a whole document.
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let mut p = Parser {
            text,
            b: text.as_bytes(),
            pos: 0,
            depth: 0,
        };
        p.skip_ws();
        let value = p.value()?;
        p.skip_ws();
        if p.pos != p.b.len() {
            return Err(p.error("unexpected text after the value"));
        }
        Ok(value)
    }

    /// The member `key` of an object (`None` for other values).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|m| &m.1),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &'static str) -> JsonError {
        let before = &self.b[..self.pos.min(self.b.len())];
        let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |i| i + 1);
        // Columns count characters, not bytes.
        let column = self.text[line_start..self.pos.min(self.text.len())]
            .chars()
            .count()
            + 1;
        JsonError {
            line,
            column,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8, reason: &'static str) -> Result<(), JsonError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(reason))
        }
    }

    fn value(&mut self) -> Result<Json, JsonError> {
        match self.peek() {
            Some(b'{') => self.nested(Parser::object),
            Some(b'[') => self.nested(Parser::array),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end of text")),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Json, JsonError>) -> Result<Json, JsonError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.depth += 1;
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn literal(&mut self, word: &'static str, value: Json) -> Result<Json, JsonError> {
        if self.b[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn object(&mut self) -> Result<Json, JsonError> {
        self.pos += 1; // '{'
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':', "expected ':'")?;
            self.skip_ws();
            let value = self.value()?;
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self) -> Result<Json, JsonError> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    /// Number grammar of RFC 8259 §6, checked before handing the text to `f64`'s parser.
    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos > s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else if !digits(self) {
            return Err(self.error("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.error("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.error("invalid number"));
            }
        }
        self.text[start..self.pos]
            .parse()
            .map(Json::Number)
            .map_err(|_| self.error("invalid number"))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .b
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        let mut v = 0;
        for &d in digits {
            let n = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid \\u escape"))?;
            v = v * 16 + n;
        }
        self.pos += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // '"'
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control character at once.
            let run = self.b[self.pos..]
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20);
            let Some(n) = run else {
                self.pos = self.b.len();
                return Err(self.error("unterminated string"));
            };
            // The stop bytes are ASCII, so the run ends on a character boundary.
            out.push_str(&self.text[self.pos..self.pos + n]);
            self.pos += n;
            match self.b[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let c = self
                        .peek()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    self.pos += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => {
                            self.pos -= 1;
                            return Err(self.error("invalid escape"));
                        }
                    }
                }
                _ => return Err(self.error("control character in string")),
            }
        }
    }

    /// After `\u`: one code point, joining a surrogate pair written as two escapes.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) && self.b[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            // Not a low surrogate: it stands on its own, read it next time round.
            self.pos = save;
        }
        Ok(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Json {
        Json::String(v.to_string())
    }

    #[test]
    fn parse_table() {
        let cases: Vec<(&str, Json)> = vec![
            ("null", Json::Null),
            (" true ", Json::Bool(true)),
            ("false", Json::Bool(false)),
            ("0", Json::Number(0.0)),
            ("-12.5e2", Json::Number(-1250.0)),
            ("1E-2", Json::Number(0.01)),
            (r#""""#, s("")),
            (r#""a\"b\\c\/d\b\f\n\r\t""#, s("a\"b\\c/d\u{8}\u{c}\n\r\t")),
            (r#""\u00e9\u4e2d""#, s("\u{e9}\u{4e2d}")),
            (r#""caf\u00E9 ünï""#, s("café ünï")),
            // A surrogate pair, and lone surrogates (Go's replacement rule).
            (r#""\ud83d\ude00""#, s("\u{1F600}")),
            (r#""\ud83d""#, s("\u{FFFD}")),
            (r#""\ude00x""#, s("\u{FFFD}x")),
            (r#""\ud83d\u0041""#, s("\u{FFFD}A")),
            ("[]", Json::Array(vec![])),
            (
                "[1, [\"x\"], {}]",
                Json::Array(vec![
                    Json::Number(1.0),
                    Json::Array(vec![s("x")]),
                    Json::Object(vec![]),
                ]),
            ),
            (
                "{\"a\": null, \"b\" :{\"c\":[true]}}",
                Json::Object(vec![
                    ("a".into(), Json::Null),
                    (
                        "b".into(),
                        Json::Object(vec![("c".into(), Json::Array(vec![Json::Bool(true)]))]),
                    ),
                ]),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Json::parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn errors_table() {
        // (text, line, column, reason)
        let cases: &[(&str, usize, usize, &str)] = &[
            ("", 1, 1, "unexpected end of text"),
            ("{", 1, 2, "expected a string key"),
            ("{\"a\" 1}", 1, 6, "expected ':'"),
            ("{\"a\":1,}", 1, 8, "expected a string key"),
            ("[1,]", 1, 4, "expected a value"),
            ("[1 2]", 1, 4, "expected ',' or ']'"),
            ("{\"a\":1 \"b\":2}", 1, 8, "expected ',' or '}'"),
            ("\"abc", 1, 5, "unterminated string"),
            ("\"a\nb\"", 1, 3, "control character in string"),
            ("\"\\x\"", 1, 3, "invalid escape"),
            ("\"\\u12g4\"", 1, 4, "invalid \\u escape"),
            ("01", 1, 2, "unexpected text after the value"),
            ("-", 1, 2, "invalid number"),
            ("1.", 1, 3, "invalid number"),
            ("1e+", 1, 4, "invalid number"),
            ("tru", 1, 1, "expected a value"),
            ("{}\n\n  x", 3, 3, "unexpected text after the value"),
            ("[\"é\", x]", 1, 7, "expected a value"),
            ("// c\n{}", 1, 1, "expected a value"),
        ];
        for (text, line, column, reason) in cases {
            let e = Json::parse(text).expect_err(text);
            assert_eq!(
                (e.line, e.column, e.reason),
                (*line, *column, *reason),
                "{text:?}"
            );
        }
        let e = Json::parse("{\"a\" 1}").expect_err("must fail");
        assert_eq!(e.to_string(), "line 1 column 6: expected ':'");
    }

    #[test]
    fn depth_is_limited() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(Json::parse(&ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let e = Json::parse(&deep).expect_err("must fail");
        assert_eq!(e.reason, "nested too deeply");
        // Far deeper than any stack would take without the limit.
        let hostile = "[{\"a\":".repeat(100_000);
        assert!(Json::parse(&hostile).is_err());
    }

    #[test]
    fn accessors() {
        let v = Json::parse(r#"{"k":"v","n":1,"k":"last","a":["x"],"o":{},"z":null}"#)
            .expect("test fixture");
        assert_eq!(v.get("k").and_then(Json::as_str), Some("last"));
        assert_eq!(v.get("n").and_then(Json::as_str), None);
        assert_eq!(v.get("a").and_then(Json::as_array), Some(&[s("x")][..]));
        assert_eq!(v.get("o").and_then(Json::as_object), Some(&[][..]));
        assert!(v.get("z").is_some_and(Json::is_null));
        assert_eq!(v.get("missing"), None);
        assert_eq!(s("x").get("k"), None);
    }
}
