//! awk tokens (POSIX awk "Lexical Conventions"). `/` starts a regex unless the previous token
//! ends an operand (then it divides), as the one true awk decides.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Length,
    Substr,
    Index,
    Split,
    Sub,
    Gsub,
    Match,
    Sprintf,
    Sin,
    Cos,
    Atan2,
    Exp,
    Log,
    Sqrt,
    Int,
    Rand,
    Srand,
    Tolower,
    Toupper,
    System,
    Close,
    Fflush,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Newline,
    Eof,
    LBrace,
    RBrace,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Semi,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
    Not,
    Gt,
    Lt,
    Pipe,
    Question,
    Colon,
    Tilde,
    NoMatch,
    Dollar,
    Assign,
    AddAssign,
    SubAssign,
    MulAssign,
    DivAssign,
    ModAssign,
    PowAssign,
    Eq,
    Ne,
    Le,
    Ge,
    And,
    Or,
    Incr,
    Decr,
    Append,
    Number(f64),
    Str(Vec<u8>),
    Regex(Vec<u8>),
    Name(String),
    FuncName(String),
    Builtin(Builtin),
    Begin,
    End,
    Function,
    If,
    Else,
    While,
    For,
    Do,
    Break,
    Continue,
    Next,
    Nextfile,
    Exit,
    Return,
    Delete,
    Getline,
    Print,
    Printf,
    In,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub struct LexError {
    pub line: usize,
    pub msg: String,
}

fn keyword(w: &str) -> Option<Tok> {
    use Builtin as B;
    Some(match w {
        "BEGIN" => Tok::Begin,
        "END" => Tok::End,
        "function" | "func" => Tok::Function,
        "if" => Tok::If,
        "else" => Tok::Else,
        "while" => Tok::While,
        "for" => Tok::For,
        "do" => Tok::Do,
        "break" => Tok::Break,
        "continue" => Tok::Continue,
        "next" => Tok::Next,
        "nextfile" => Tok::Nextfile,
        "exit" => Tok::Exit,
        "return" => Tok::Return,
        "delete" => Tok::Delete,
        "getline" => Tok::Getline,
        "print" => Tok::Print,
        "printf" => Tok::Printf,
        "in" => Tok::In,
        "length" => Tok::Builtin(B::Length),
        "substr" => Tok::Builtin(B::Substr),
        "index" => Tok::Builtin(B::Index),
        "split" => Tok::Builtin(B::Split),
        "sub" => Tok::Builtin(B::Sub),
        "gsub" => Tok::Builtin(B::Gsub),
        "match" => Tok::Builtin(B::Match),
        "sprintf" => Tok::Builtin(B::Sprintf),
        "sin" => Tok::Builtin(B::Sin),
        "cos" => Tok::Builtin(B::Cos),
        "atan2" => Tok::Builtin(B::Atan2),
        "exp" => Tok::Builtin(B::Exp),
        "log" => Tok::Builtin(B::Log),
        "sqrt" => Tok::Builtin(B::Sqrt),
        "int" => Tok::Builtin(B::Int),
        "rand" => Tok::Builtin(B::Rand),
        "srand" => Tok::Builtin(B::Srand),
        "tolower" => Tok::Builtin(B::Tolower),
        "toupper" => Tok::Builtin(B::Toupper),
        "system" => Tok::Builtin(B::System),
        "close" => Tok::Builtin(B::Close),
        "fflush" => Tok::Builtin(B::Fflush),
        _ => return None,
    })
}

/// Escape sequences of awk strings (and of -v values). Unknown `\c` stays `\c`, as in mawk.
pub fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != b'\\' || i >= s.len() {
            out.push(c);
            continue;
        }
        let e = s[i];
        i += 1;
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'\\' => out.push(b'\\'),
            b'"' => out.push(b'"'),
            b'/' => out.push(b'/'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = (e - b'0') as u32;
                let mut k = 0;
                while k < 2 && i < s.len() && (b'0'..=b'7').contains(&s[i]) {
                    v = v * 8 + (s[i] - b'0') as u32;
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    out
}

fn ends_operand(t: Option<&Tok>) -> bool {
    matches!(
        t,
        Some(
            Tok::Name(_)
                | Tok::Number(_)
                | Tok::Str(_)
                | Tok::Regex(_)
                | Tok::RParen
                | Tok::RBracket
                | Tok::Incr
                | Tok::Decr
                | Tok::Builtin(_)
        )
    )
}

pub fn lex(src: &[u8]) -> Result<Vec<Token>, LexError> {
    let mut toks: Vec<Token> = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let err = |line, msg: &str| LexError {
        line,
        msg: msg.to_string(),
    };
    while i < src.len() {
        let c = src[i];
        let rest = &src[i..];
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if rest.starts_with(b"\\\n") => {
                i += 2;
                line += 1;
            }
            b'\\' if rest.starts_with(b"\\\r\n") => {
                i += 3;
                line += 1;
            }
            b'#' => {
                while i < src.len() && src[i] != b'\n' {
                    i += 1;
                }
            }
            b'\n' => {
                toks.push(Token {
                    tok: Tok::Newline,
                    line,
                });
                line += 1;
                i += 1;
            }
            b'"' => {
                let mut j = i + 1;
                while j < src.len() && src[j] != b'"' {
                    if src[j] == b'\n' {
                        return Err(err(line, "newline in string"));
                    }
                    if src[j] == b'\\' && j + 1 < src.len() {
                        if src[j + 1] == b'\n' {
                            line += 1;
                        }
                        j += 1;
                    }
                    j += 1;
                }
                if j >= src.len() {
                    return Err(err(line, "non-terminated string"));
                }
                // backslash-newline inside a string continues it
                let mut raw = Vec::with_capacity(j - i);
                let mut k = i + 1;
                while k < j {
                    if src[k] == b'\\' && src.get(k + 1) == Some(&b'\n') {
                        k += 2;
                        continue;
                    }
                    if src[k] == b'\\' && k + 1 < j {
                        raw.push(src[k]);
                        k += 1;
                    }
                    raw.push(src[k]);
                    k += 1;
                }
                toks.push(Token {
                    tok: Tok::Str(unescape(&raw)),
                    line,
                });
                i = j + 1;
            }
            b'/' if !ends_operand(toks.last().map(|t| &t.tok)) => {
                let mut j = i + 1;
                let mut re = Vec::new();
                let mut in_bracket = false;
                loop {
                    if j >= src.len() || src[j] == b'\n' {
                        return Err(err(line, "non-terminated regular expression"));
                    }
                    let b = src[j];
                    if b == b'\\' && j + 1 < src.len() && src[j + 1] != b'\n' {
                        if src[j + 1] == b'/' {
                            re.push(b'/');
                        } else {
                            re.push(b'\\');
                            re.push(src[j + 1]);
                        }
                        j += 2;
                        continue;
                    }
                    if b == b'[' && !in_bracket {
                        in_bracket = true;
                        re.push(b);
                        j += 1;
                        if j < src.len() && src[j] == b'^' {
                            re.push(b'^');
                            j += 1;
                        }
                        if j < src.len() && src[j] == b']' {
                            re.push(b']');
                            j += 1;
                        }
                        continue;
                    }
                    if b == b']' && in_bracket {
                        in_bracket = false;
                    } else if b == b'/' && !in_bracket {
                        break;
                    }
                    re.push(b);
                    j += 1;
                }
                toks.push(Token {
                    tok: Tok::Regex(re),
                    line,
                });
                i = j + 1;
            }
            b'0'..=b'9' | b'.' if c != b'.' || rest.get(1).is_some_and(u8::is_ascii_digit) => {
                let mut j = i;
                while j < src.len() && src[j].is_ascii_digit() {
                    j += 1;
                }
                if j < src.len() && src[j] == b'.' {
                    j += 1;
                    while j < src.len() && src[j].is_ascii_digit() {
                        j += 1;
                    }
                }
                if j < src.len() && (src[j] == b'e' || src[j] == b'E') {
                    let mut k = j + 1;
                    if k < src.len() && (src[k] == b'+' || src[k] == b'-') {
                        k += 1;
                    }
                    if k < src.len() && src[k].is_ascii_digit() {
                        while k < src.len() && src[k].is_ascii_digit() {
                            k += 1;
                        }
                        j = k;
                    }
                }
                let text = std::str::from_utf8(&src[i..j]).unwrap_or("0");
                toks.push(Token {
                    tok: Tok::Number(text.parse().unwrap_or(0.0)),
                    line,
                });
                i = j;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let mut j = i;
                while j < src.len() && (src[j].is_ascii_alphanumeric() || src[j] == b'_') {
                    j += 1;
                }
                let w = String::from_utf8_lossy(&src[i..j]).into_owned();
                let tok = match keyword(&w) {
                    Some(k) => k,
                    None if src.get(j) == Some(&b'(') => Tok::FuncName(w),
                    None => Tok::Name(w),
                };
                toks.push(Token { tok, line });
                i = j;
            }
            _ => {
                const OPS: &[(&[u8], Tok)] = &[
                    (b"**=", Tok::PowAssign),
                    (b"**", Tok::Caret),
                    (b"&&", Tok::And),
                    (b"||", Tok::Or),
                    (b"==", Tok::Eq),
                    (b"!=", Tok::Ne),
                    (b"<=", Tok::Le),
                    (b">=", Tok::Ge),
                    (b">>", Tok::Append),
                    (b"!~", Tok::NoMatch),
                    (b"++", Tok::Incr),
                    (b"--", Tok::Decr),
                    (b"+=", Tok::AddAssign),
                    (b"-=", Tok::SubAssign),
                    (b"*=", Tok::MulAssign),
                    (b"/=", Tok::DivAssign),
                    (b"%=", Tok::ModAssign),
                    (b"^=", Tok::PowAssign),
                    (b"{", Tok::LBrace),
                    (b"}", Tok::RBrace),
                    (b"(", Tok::LParen),
                    (b")", Tok::RParen),
                    (b"[", Tok::LBracket),
                    (b"]", Tok::RBracket),
                    (b";", Tok::Semi),
                    (b",", Tok::Comma),
                    (b"+", Tok::Plus),
                    (b"-", Tok::Minus),
                    (b"*", Tok::Star),
                    (b"/", Tok::Slash),
                    (b"%", Tok::Percent),
                    (b"^", Tok::Caret),
                    (b"!", Tok::Not),
                    (b">", Tok::Gt),
                    (b"<", Tok::Lt),
                    (b"|", Tok::Pipe),
                    (b"?", Tok::Question),
                    (b":", Tok::Colon),
                    (b"~", Tok::Tilde),
                    (b"$", Tok::Dollar),
                    (b"=", Tok::Assign),
                ];
                let Some((text, tok)) = OPS.iter().find(|(t, _)| rest.starts_with(t)) else {
                    return Err(err(line, &format!("unexpected character '{}'", c as char)));
                };
                toks.push(Token {
                    tok: tok.clone(),
                    line,
                });
                i += text.len();
            }
        }
    }
    toks.push(Token {
        tok: Tok::Eof,
        line,
    });
    Ok(toks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(src.as_bytes())
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .filter(|t| *t != Tok::Eof)
            .collect()
    }

    #[test]
    fn tokens() {
        use Tok::*;
        let cases: Vec<(&str, Vec<Tok>)> = vec![
            (
                "a/b/c",
                vec![
                    Name("a".into()),
                    Slash,
                    Name("b".into()),
                    Slash,
                    Name("c".into()),
                ],
            ),
            ("/a\\/b/", vec![Regex(b"a/b".to_vec())]),
            (
                "x ~ /[/]/",
                vec![Name("x".into()), Tilde, Regex(b"[/]".to_vec())],
            ),
            (
                "f(1) g (2)",
                vec![
                    FuncName("f".into()),
                    LParen,
                    Number(1.0),
                    RParen,
                    Name("g".into()),
                    LParen,
                    Number(2.0),
                    RParen,
                ],
            ),
            ("\"a\\tb\\q\"", vec![Str(b"a\tb\\q".to_vec())]),
            (
                "1.5e3 .5 x**=2",
                vec![
                    Number(1500.0),
                    Number(0.5),
                    Name("x".into()),
                    PowAssign,
                    Number(2.0),
                ],
            ),
            ("a # c\n>>", vec![Name("a".into()), Newline, Append]),
            ("a \\\n b", vec![Name("a".into()), Name("b".into())]),
            (
                "length /2/",
                vec![Builtin(self::Builtin::Length), Slash, Number(2.0), Slash],
            ),
            (
                "(x) /2/ 1",
                vec![
                    LParen,
                    Name("x".into()),
                    RParen,
                    Slash,
                    Number(2.0),
                    Slash,
                    Number(1.0),
                ],
            ),
            (
                "$1++ !x",
                vec![Dollar, Number(1.0), Incr, Not, Name("x".into())],
            ),
        ];
        for (src, want) in cases {
            assert_eq!(kinds(src), want, "{src}");
        }
    }

    #[test]
    fn lex_errors() {
        for src in ["\"abc", "/abc", "a @ b"] {
            assert!(lex(src.as_bytes()).is_err(), "{src}");
        }
    }
}
