//! Recursive-descent parser for the POSIX shell grammar (XCU §2.10); the tokens come from
//! `lexer.rs` (§2.3, aliases §2.3.1).

mod lexer;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use lexer::Lexed;

/// One redirection: `fd op target`.
#[derive(Debug, Clone, PartialEq)]
pub enum RedirKind {
    /// `<`
    Read,
    /// `>`: refused onto an existing regular file under `set -C`.
    Write,
    /// `>|`: truncates even under `set -C`.
    Clobber,
    /// `>>`
    Append,
    /// `<>`
    ReadWrite,
    /// `<&` and `>&`: the target is a descriptor number or `-`.
    Dup,
    /// `<<` and `<<-`: the body, and whether it undergoes expansion.
    HereDoc(Rc<RefCell<String>>, bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Redir {
    pub fd: i32,
    pub kind: RedirKind,
    /// Raw word (the delimiter for here-documents).
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Simple {
    pub assigns: Vec<String>,
    pub words: Vec<String>,
    pub redirs: Vec<Redir>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    Simple(Simple),
    /// Commands joined by `|`, and whether `!` negates the status.
    Pipeline(Vec<Cmd>, bool),
    /// First command, then (`&&` is true, command) pairs.
    AndOr(Box<Cmd>, Vec<(bool, Cmd)>),
    /// Items and whether each runs in the background (`&`).
    List(Vec<(Cmd, bool)>),
    Group(Box<Cmd>),
    Subshell(Box<Cmd>),
    /// (condition, body) for `if` and each `elif`, then the `else` body.
    If(Vec<(Cmd, Cmd)>, Option<Box<Cmd>>),
    Loop {
        until: bool,
        cond: Box<Cmd>,
        body: Box<Cmd>,
    },
    For {
        var: String,
        words: Option<Vec<String>>,
        body: Box<Cmd>,
    },
    Case(String, Vec<(Vec<String>, Cmd)>),
    FuncDef(String, Rc<Cmd>),
    Redirected(Box<Cmd>, Vec<Redir>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParseError {
    /// The input ended inside a construct: more lines may complete it.
    Incomplete(usize),
    /// A token that cannot appear here, and its line.
    Syntax(usize, String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Incomplete(l) => {
                write!(f, "line {l}: syntax error: unexpected end of file")
            }
            ParseError::Syntax(l, near) => write!(f, "line {l}: syntax error near '{near}'"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    IoNum(i32),
    Op(&'static str),
    Newline,
    Eof,
}

const RESERVED_END: [&str; 7] = ["then", "else", "elif", "fi", "do", "done", "esac"];

struct PendingDoc {
    delim: String,
    strip_tabs: bool,
    /// The delimiter was unquoted: the body is expanded and line continuations join lines.
    expand: bool,
    body: Rc<RefCell<String>>,
}

pub struct Parser<'a> {
    src: &'a [char],
    pub pos: usize,
    pub line: usize,
    peeked: Vec<Lexed>,
    docs: Vec<PendingDoc>,
    /// Positions of the line continuations stepped over (left out of word text).
    conts: Vec<usize>,
    /// No input follows `src`: a trailing line continuation or an unterminated here-document
    /// ends there (as dash) instead of asking for more.
    complete_input: bool,
    aliases: HashMap<String, String>,
    /// The word after an alias ending in a blank is checked for an alias too.
    alias_next: bool,
}

type PResult<T> = Result<T, ParseError>;

pub fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch == '_' || ch.is_ascii_alphabetic())
        && c.all(|ch| ch == '_' || ch.is_ascii_alphanumeric())
}

/// `NAME=…` at the start of a word makes it an assignment.
pub fn assignment_split(w: &str) -> Option<(&str, &str)> {
    let eq = w.find('=')?;
    is_name(&w[..eq]).then(|| (&w[..eq], &w[eq + 1..]))
}

impl<'a> Parser<'a> {
    pub fn new(src: &'a [char], pos: usize, line: usize) -> Self {
        Parser {
            src,
            pos,
            line,
            peeked: Vec::new(),
            docs: Vec::new(),
            conts: Vec::new(),
            complete_input: false,
            aliases: HashMap::new(),
            alias_next: false,
        }
    }

    /// The aliases in effect for the commands parsed from now on (XCU §2.3.1).
    pub fn set_aliases(&mut self, aliases: HashMap<String, String>) {
        self.aliases = aliases;
    }

    /// Say that `src` holds all the input there is (`-c`, `eval`, a file read whole): then a
    /// trailing `\`-newline or a here-document without its delimiter ends at the end, as in
    /// dash, instead of making the command `Incomplete`.
    pub fn set_complete_input(&mut self, complete: bool) {
        self.complete_input = complete;
    }

    fn err_here(&mut self) -> ParseError {
        let tok = match self.peek() {
            Ok(t) => t.clone(),
            Err(e) => return e,
        };
        let line = self.tok_line();
        match tok {
            Tok::Eof => ParseError::Incomplete(line),
            Tok::Word(w) => ParseError::Syntax(line, w),
            Tok::IoNum(n) => ParseError::Syntax(line, n.to_string()),
            Tok::Op(o) => ParseError::Syntax(line, o.to_string()),
            Tok::Newline => ParseError::Syntax(line, "newline".into()),
        }
    }

    fn is_word(&mut self, w: &str) -> PResult<bool> {
        Ok(matches!(self.peek()?, Tok::Word(x) if x == w))
    }

    fn is_op(&mut self, o: &str) -> PResult<bool> {
        Ok(matches!(self.peek()?, Tok::Op(x) if *x == o))
    }

    fn expect_word(&mut self, w: &str) -> PResult<()> {
        if self.is_word(w)? {
            self.next()?;
            Ok(())
        } else {
            Err(self.err_here())
        }
    }

    fn skip_newlines(&mut self) -> PResult<()> {
        while *self.peek()? == Tok::Newline {
            self.next()?;
        }
        Ok(())
    }

    /// Where the parser really stands: the start of any token peeked but not used.
    fn settle(&mut self) {
        self.peeked.clear();
    }

    // ---- grammar ----

    /// One line's worth of commands (up to an unquoted newline), or `None` at end of input.
    pub fn complete_command(&mut self) -> PResult<Option<Cmd>> {
        self.skip_newlines()?;
        if *self.peek()? == Tok::Eof {
            return Ok(None);
        }
        let list = self.list(true)?;
        match self.peek()? {
            Tok::Newline => {
                self.next()?;
            }
            Tok::Eof => {}
            _ => return Err(self.err_here()),
        }
        self.settle();
        Ok(Some(list))
    }

    fn at_list_end(&mut self) -> PResult<bool> {
        Ok(match self.peek()? {
            Tok::Eof => true,
            Tok::Op(o) => matches!(*o, ")" | ";;"),
            Tok::Word(w) => RESERVED_END.contains(&w.as_str()) || w == "}",
            _ => false,
        })
    }

    fn list(&mut self, top: bool) -> PResult<Cmd> {
        let mut items = Vec::new();
        loop {
            if !top {
                self.skip_newlines()?;
            }
            if self.at_list_end()? || (top && *self.peek()? == Tok::Newline) {
                break;
            }
            let cmd = self.and_or()?;
            let bg = self.is_op("&")?;
            items.push((cmd, bg));
            if bg || self.is_op(";")? {
                self.next()?;
            } else if top && self.alias_newline()? {
                // The text of one alias is read as a whole, newlines and all.
                self.next()?;
            } else if *self.peek()? != Tok::Newline || top {
                break;
            }
        }
        if items.is_empty() {
            return Err(self.err_here());
        }
        Ok(Cmd::List(items))
    }

    fn and_or(&mut self) -> PResult<Cmd> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let and = if self.is_op("&&")? {
                true
            } else if self.is_op("||")? {
                false
            } else {
                break;
            };
            self.next()?;
            self.skip_newlines()?;
            rest.push((and, self.pipeline()?));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Cmd::AndOr(Box::new(first), rest)
        })
    }

    fn pipeline(&mut self) -> PResult<Cmd> {
        let bang = self.is_word("!")?;
        if bang {
            self.next()?;
            // dash takes one `!` only, at the start of the pipeline.
            if self.is_word("!")? {
                return Err(self.err_here());
            }
        }
        let mut cmds = vec![self.command()?];
        while self.is_op("|")? {
            self.next()?;
            self.skip_newlines()?;
            if self.is_word("!")? {
                return Err(self.err_here());
            }
            cmds.push(self.command()?);
        }
        Ok(if cmds.len() == 1 && !bang {
            cmds.remove(0)
        } else {
            Cmd::Pipeline(cmds, bang)
        })
    }

    fn command(&mut self) -> PResult<Cmd> {
        while self.expand_alias()? {}
        let tok = self.peek()?.clone();
        let compound = match &tok {
            Tok::Op("(") => {
                self.next()?;
                let body = self.list(false)?;
                if !self.is_op(")")? {
                    return Err(self.err_here());
                }
                self.next()?;
                Cmd::Subshell(Box::new(body))
            }
            Tok::Word(w) => match w.as_str() {
                "{" => {
                    self.next()?;
                    let body = self.list(false)?;
                    self.expect_word("}")?;
                    Cmd::Group(Box::new(body))
                }
                "if" => self.if_clause()?,
                "while" | "until" => {
                    self.next()?;
                    let cond = self.list(false)?;
                    let body = self.do_group()?;
                    Cmd::Loop {
                        until: w == "until",
                        cond: Box::new(cond),
                        body: Box::new(body),
                    }
                }
                "for" => self.for_clause()?,
                "case" => self.case_clause()?,
                _ if is_name(w) && *self.peek2()? == Tok::Op("(") => {
                    let line = self.tok_line();
                    self.next()?;
                    self.next()?;
                    if !self.is_op(")")? {
                        return Err(self.err_here());
                    }
                    // XCU §2.9.5: a special builtin's name can't be a function's (dash:
                    // "Bad function name").
                    if super::builtins::is_special(w) {
                        return Err(ParseError::Syntax(line, w.clone()));
                    }
                    self.next()?;
                    self.skip_newlines()?;
                    // POSIX wants a compound command; dash also takes a simple one.
                    let body = self.command()?;
                    return Ok(Cmd::FuncDef(w.clone(), Rc::new(body)));
                }
                _ => return self.simple(),
            },
            _ => return self.simple(),
        };
        let mut redirs = Vec::new();
        while let Some(r) = self.redirect()? {
            redirs.push(r);
        }
        Ok(if redirs.is_empty() {
            compound
        } else {
            Cmd::Redirected(Box::new(compound), redirs)
        })
    }

    fn do_group(&mut self) -> PResult<Cmd> {
        self.expect_word("do")?;
        let body = self.list(false)?;
        self.expect_word("done")?;
        Ok(body)
    }

    fn if_clause(&mut self) -> PResult<Cmd> {
        self.next()?;
        let mut arms = Vec::new();
        loop {
            let cond = self.list(false)?;
            self.expect_word("then")?;
            let body = self.list(false)?;
            arms.push((cond, body));
            if self.is_word("elif")? {
                self.next()?;
                continue;
            }
            let otherwise = if self.is_word("else")? {
                self.next()?;
                Some(Box::new(self.list(false)?))
            } else {
                None
            };
            self.expect_word("fi")?;
            return Ok(Cmd::If(arms, otherwise));
        }
    }

    fn for_clause(&mut self) -> PResult<Cmd> {
        self.next()?;
        let var = match self.next()? {
            Tok::Word(w) if is_name(&w) => w,
            Tok::Word(w) => return Err(ParseError::Syntax(self.line, w)),
            _ => return Err(ParseError::Syntax(self.line, "for".into())),
        };
        self.skip_newlines()?;
        let words = if self.is_word("in")? {
            self.next()?;
            let mut ws = Vec::new();
            while let Tok::Word(w) = self.peek()?.clone() {
                self.next()?;
                ws.push(w);
            }
            if self.is_op(";")? || *self.peek()? == Tok::Newline {
                self.next()?;
            } else {
                return Err(self.err_here());
            }
            Some(ws)
        } else {
            if self.is_op(";")? {
                self.next()?;
            }
            None
        };
        self.skip_newlines()?;
        let body = self.do_group()?;
        Ok(Cmd::For {
            var,
            words,
            body: Box::new(body),
        })
    }

    fn case_clause(&mut self) -> PResult<Cmd> {
        self.next()?;
        let word = match self.next()? {
            Tok::Word(w) => w,
            _ => return Err(ParseError::Syntax(self.line, "case".into())),
        };
        self.skip_newlines()?;
        self.expect_word("in")?;
        let mut arms = Vec::new();
        loop {
            self.skip_newlines()?;
            if self.is_word("esac")? {
                self.next()?;
                break;
            }
            if self.is_op("(")? {
                self.next()?;
            }
            let mut pats = Vec::new();
            loop {
                match self.next()? {
                    Tok::Word(w) => pats.push(w),
                    Tok::Eof => return Err(self.eof()),
                    _ => return Err(ParseError::Syntax(self.line, "case".into())),
                }
                if self.is_op("|")? {
                    self.next()?;
                } else {
                    break;
                }
            }
            if !self.is_op(")")? {
                return Err(self.err_here());
            }
            self.next()?;
            self.skip_newlines()?;
            let body = if self.is_op(";;")? || self.is_word("esac")? {
                Cmd::List(Vec::new())
            } else {
                self.list(false)?
            };
            arms.push((pats, body));
            if self.is_op(";;")? {
                self.next()?;
            } else {
                self.skip_newlines()?;
                self.expect_word("esac")?;
                break;
            }
        }
        Ok(Cmd::Case(word, arms))
    }

    fn redirect(&mut self) -> PResult<Option<Redir>> {
        let (fd, op) = match self.peek()?.clone() {
            Tok::IoNum(n) => {
                self.next()?;
                match self.next()? {
                    Tok::Op(o) => (Some(n), o),
                    _ => return Err(ParseError::Syntax(self.line, n.to_string())),
                }
            }
            Tok::Op(o) if o.starts_with(['<', '>']) => {
                self.next()?;
                (None, o)
            }
            _ => return Ok(None),
        };
        let target = match self.peek()?.clone() {
            Tok::Word(w) => {
                self.next()?;
                w
            }
            _ => return Err(self.err_here()),
        };
        let kind = match op {
            "<" => RedirKind::Read,
            ">" => RedirKind::Write,
            ">|" => RedirKind::Clobber,
            ">>" => RedirKind::Append,
            "<>" => RedirKind::ReadWrite,
            "<&" | ">&" => RedirKind::Dup,
            _ => {
                let quoted = target.contains(['\'', '"', '\\']);
                let delim: String = target
                    .chars()
                    .filter(|c| !matches!(c, '\'' | '"' | '\\'))
                    .collect();
                let body = Rc::new(RefCell::new(String::new()));
                self.docs.push(PendingDoc {
                    delim,
                    strip_tabs: op == "<<-",
                    expand: !quoted,
                    body: body.clone(),
                });
                RedirKind::HereDoc(body, !quoted)
            }
        };
        let fd = fd.unwrap_or(if op.starts_with('<') { 0 } else { 1 });
        Ok(Some(Redir { fd, kind, target }))
    }

    fn simple(&mut self) -> PResult<Cmd> {
        let mut s = Simple::default();
        loop {
            if let Some(r) = self.redirect()? {
                s.redirs.push(r);
                continue;
            }
            let assignment = s.words.is_empty()
                && matches!(self.peek()?, Tok::Word(w) if assignment_split(w).is_some());
            // The command name, and a word after an alias ending in a blank (XCU §2.3.1).
            if (s.words.is_empty() || self.alias_next) && !assignment && self.expand_alias()? {
                continue;
            }
            match self.peek()?.clone() {
                Tok::Word(w) => {
                    self.next()?;
                    if assignment {
                        s.assigns.push(w);
                    } else {
                        s.words.push(w);
                    }
                }
                _ => break,
            }
        }
        if s.words.is_empty() && s.assigns.is_empty() && s.redirs.is_empty() {
            return Err(self.err_here());
        }
        Ok(Cmd::Simple(s))
    }
}

/// Index just past the `)` closing a `$(` whose inside starts at `pos` (the end of `src` if
/// it doesn't parse; the lexer has already rejected such words).
pub fn subst_end(src: &[char], pos: usize) -> usize {
    let mut p = Parser::new(src, pos, 1);
    p.set_complete_input(true);
    let ok = (|| -> PResult<()> {
        if !p.is_op(")")? {
            p.list(false)?;
            p.skip_newlines()?;
        }
        p.next()?;
        Ok(())
    })();
    match ok {
        Ok(()) => p.pos,
        Err(_) => src.len(),
    }
}

/// Parse a whole text without aliases: every complete command in order (tests).
#[cfg(test)]
pub fn parse_all(text: &str) -> PResult<Vec<Cmd>> {
    parse_all_with(text, &HashMap::new())
}

/// `parse_all` with aliases in effect (`$(…)` parsed when it runs).
pub fn parse_all_with(text: &str, aliases: &HashMap<String, String>) -> PResult<Vec<Cmd>> {
    let src: Vec<char> = text.chars().collect();
    let mut p = Parser::new(&src, 0, 1);
    p.set_complete_input(true);
    p.set_aliases(aliases.clone());
    let mut out = Vec::new();
    while let Some(c) = p.complete_command()? {
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn simple(words: &[&str]) -> Cmd {
        Cmd::Simple(Simple {
            words: words.iter().map(|w| w.to_string()).collect(),
            ..Default::default()
        })
    }

    fn list(items: Vec<Cmd>) -> Cmd {
        Cmd::List(items.into_iter().map(|c| (c, false)).collect())
    }

    #[test]
    fn parses_table() {
        let cases: Vec<(&str, Vec<Cmd>)> = vec![
            ("echo a  b", vec![list(vec![simple(&["echo", "a", "b"])])]),
            (
                "echo 'a b' \"c $(d e)\"",
                vec![list(vec![simple(&["echo", "'a b'", "\"c $(d e)\""])])],
            ),
            (
                "a;b\nc",
                vec![
                    list(vec![simple(&["a"]), simple(&["b"])]),
                    list(vec![simple(&["c"])]),
                ],
            ),
            (
                "a | b",
                vec![list(vec![Cmd::Pipeline(
                    vec![simple(&["a"]), simple(&["b"])],
                    false,
                )])],
            ),
            (
                "! a",
                vec![list(vec![Cmd::Pipeline(vec![simple(&["a"])], true)])],
            ),
            (
                "a && b || c",
                vec![list(vec![Cmd::AndOr(
                    Box::new(simple(&["a"])),
                    vec![(true, simple(&["b"])), (false, simple(&["c"]))],
                )])],
            ),
            (
                "a & b",
                vec![Cmd::List(vec![
                    (simple(&["a"]), true),
                    (simple(&["b"]), false),
                ])],
            ),
            ("echo a # comment", vec![list(vec![simple(&["echo", "a"])])]),
            ("echo a#b", vec![list(vec![simple(&["echo", "a#b"])])]),
            (
                "if a; then b; elif c; then d; else e; fi",
                vec![list(vec![Cmd::If(
                    vec![
                        (list(vec![simple(&["a"])]), list(vec![simple(&["b"])])),
                        (list(vec![simple(&["c"])]), list(vec![simple(&["d"])])),
                    ],
                    Some(Box::new(list(vec![simple(&["e"])]))),
                )])],
            ),
            (
                "while a\ndo b\ndone",
                vec![list(vec![Cmd::Loop {
                    until: false,
                    cond: Box::new(list(vec![simple(&["a"])])),
                    body: Box::new(list(vec![simple(&["b"])])),
                }])],
            ),
            (
                "for i in 1 2; do b; done",
                vec![list(vec![Cmd::For {
                    var: "i".into(),
                    words: Some(vec!["1".into(), "2".into()]),
                    body: Box::new(list(vec![simple(&["b"])])),
                }])],
            ),
            (
                "case x in a|b) c;; *) ;; esac",
                vec![list(vec![Cmd::Case(
                    "x".into(),
                    vec![
                        (vec!["a".into(), "b".into()], list(vec![simple(&["c"])])),
                        (vec!["*".into()], Cmd::List(vec![])),
                    ],
                )])],
            ),
            (
                "f() { a; }",
                vec![list(vec![Cmd::FuncDef(
                    "f".into(),
                    Rc::new(Cmd::Group(Box::new(list(vec![simple(&["a"])])))),
                )])],
            ),
            (
                "X=1 cmd 2>&1 >out",
                vec![list(vec![Cmd::Simple(Simple {
                    assigns: vec!["X=1".into()],
                    words: vec!["cmd".into()],
                    redirs: vec![
                        Redir {
                            fd: 2,
                            kind: RedirKind::Dup,
                            target: "1".into(),
                        },
                        Redir {
                            fd: 1,
                            kind: RedirKind::Write,
                            target: "out".into(),
                        },
                    ],
                })])],
            ),
            (
                "(a)",
                vec![list(vec![Cmd::Subshell(Box::new(list(vec![simple(&[
                    "a",
                ])])))])],
            ),
            ("echo a\\\nb", vec![list(vec![simple(&["echo", "ab"])])]),
            (
                "echo 'a\\\nb'",
                vec![list(vec![simple(&["echo", "'a\\\nb'"])])],
            ),
            (
                "x=5; echo $\\\n{x}",
                vec![list(vec![
                    Cmd::Simple(Simple {
                        assigns: vec!["x=5".into()],
                        ..Default::default()
                    }),
                    simple(&["echo", "${x}"]),
                ])],
            ),
            (
                "a &\\\n& b",
                vec![list(vec![Cmd::AndOr(
                    Box::new(simple(&["a"])),
                    vec![(true, simple(&["b"]))],
                )])],
            ),
            (
                "echo 12>f",
                vec![list(vec![Cmd::Simple(Simple {
                    words: vec!["echo".into(), "12".into()],
                    redirs: vec![Redir {
                        fd: 1,
                        kind: RedirKind::Write,
                        target: "f".into(),
                    }],
                    ..Default::default()
                })])],
            ),
            (
                "echo $(case x in x) y;; esac) z",
                vec![list(vec![simple(&[
                    "echo",
                    "$(case x in x) y;; esac)",
                    "z",
                ])])],
            ),
        ];
        for (src, want) in cases {
            assert_eq!(parse_all(src), Ok(want), "{src:?}");
        }
    }

    #[test]
    fn heredoc_bodies() {
        let cmds = parse_all("cat <<EOF; echo x\nhello $a\nEOF\ncat <<-'E'\n\tq\n\tE\n").unwrap();
        let docs: Vec<(String, bool)> = cmds
            .iter()
            .filter_map(|c| match c {
                Cmd::List(items) => match &items[0].0 {
                    Cmd::Simple(s) => match &s.redirs[0].kind {
                        RedirKind::HereDoc(b, e) => Some((b.borrow().clone(), *e)),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            })
            .collect();
        assert_eq!(
            docs,
            vec![("hello $a\n".to_string(), true), ("q\n".to_string(), false)]
        );
    }

    #[test]
    fn errors_table() {
        let cases = [
            (
                "if true; then echo\nfi fi",
                ParseError::Syntax(2, "fi".into()),
            ),
            ("echo a\n\nfi", ParseError::Syntax(3, "fi".into())),
            ("if true", ParseError::Incomplete(1)),
            ("echo 'abc", ParseError::Incomplete(1)),
            ("a &&", ParseError::Incomplete(1)),
            ("! ! a", ParseError::Syntax(1, "!".into())),
            ("a | ! b", ParseError::Syntax(1, "!".into())),
            ("export() { :; }", ParseError::Syntax(1, "export".into())),
            (";", ParseError::Syntax(1, ";".into())),
            ("a | | b", ParseError::Syntax(1, "|".into())),
            ("( a", ParseError::Incomplete(1)),
            ("echo $(a", ParseError::Incomplete(1)),
            ("{ a; ) }", ParseError::Syntax(1, ")".into())),
        ];
        for (src, want) in cases {
            assert_eq!(parse_all(src), Err(want), "{src:?}");
        }
    }

    /// Input read a line at a time: what may go on in the next line is `Incomplete` unless the
    /// parser is told the input is complete.
    #[test]
    fn incomplete_until_the_input_ends() {
        let cases = [
            ("echo a\\\n", "a"),
            ("echo a &\\\n", "a"),
            ("cat <<E\nx\n", "cat"),
            ("cat <<E\nx\\\n", "cat"),
        ];
        for (src, last) in cases {
            let chars: Vec<char> = src.chars().collect();
            let mut p = Parser::new(&chars, 0, 1);
            assert!(
                matches!(p.complete_command(), Err(ParseError::Incomplete(_))),
                "{src:?}"
            );
            let mut p = Parser::new(&chars, 0, 1);
            p.set_complete_input(true);
            let Ok(Some(Cmd::List(items))) = p.complete_command() else {
                panic!("{src:?}");
            };
            let Cmd::Simple(s) = &items[0].0 else {
                panic!("{src:?}");
            };
            assert_eq!(s.words.last().map(String::as_str), Some(last), "{src:?}");
        }
    }

    #[test]
    fn here_document_continuations() {
        // (source, body): the delimiter is found on raw lines only (as dash).
        let cases = [
            ("cat <<E\na\\\nb\nE\n", "ab\n"),
            ("cat <<'E'\na\\\nb\nE\n", "a\\\nb\n"),
            ("cat <<E\na\\\nE\nE\n", "aE\n"),
            ("cat <<E\na\\\\\nE\n", "a\\\\\n"),
            ("cat <<-E\n\tx\n\tE\n", "x\n"),
        ];
        for (src, want) in cases {
            let cmds = parse_all(src).unwrap();
            let Cmd::List(items) = &cmds[0] else { panic!() };
            let Cmd::Simple(s) = &items[0].0 else {
                panic!()
            };
            let RedirKind::HereDoc(body, _) = &s.redirs[0].kind else {
                panic!()
            };
            assert_eq!(body.borrow().as_str(), want, "{src:?}");
        }
    }

    #[test]
    fn aliases_table() {
        let aliases: HashMap<String, String> = [
            ("e", "echo "),
            ("w", "world"),
            ("l", "ls -l"),
            ("loop", "loop x"),
            ("semi", "echo a;"),
            ("i", "if true; then"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        // (source, the words of each simple command, in order)
        let cases: &[(&str, &[&[&str]])] = &[
            ("l sub", &[&["ls", "-l", "sub"]]),
            ("e w", &[&["echo", "world"]]),
            ("e e w", &[&["echo", "echo", "world"]]),
            ("l w", &[&["ls", "-l", "w"]]),
            ("'l' x", &[&["'l'", "x"]]),
            ("x=1 l", &[&["ls", "-l"]]),
            ("echo l", &[&["echo", "l"]]),
            ("loop", &[&["loop", "x"]]),
            ("semi echo b", &[&["echo", "a"], &["echo", "b"]]),
            ("true && l", &[&["true"], &["ls", "-l"]]),
            ("i l; fi", &[&["true"], &["ls", "-l"]]),
        ];
        fn words(c: &Cmd, out: &mut Vec<Vec<String>>) {
            match c {
                Cmd::Simple(s) => out.push(s.words.clone()),
                Cmd::List(items) => items.iter().for_each(|(c, _)| words(c, out)),
                Cmd::AndOr(first, rest) => {
                    words(first, out);
                    rest.iter().for_each(|(_, c)| words(c, out));
                }
                Cmd::If(arms, _) => arms.iter().for_each(|(c, b)| {
                    words(c, out);
                    words(b, out);
                }),
                _ => {}
            }
        }
        for (src, want) in cases {
            let cmds = parse_all_with(src, &aliases).unwrap();
            let mut got = Vec::new();
            cmds.iter().for_each(|c| words(c, &mut got));
            let want: Vec<Vec<String>> = want
                .iter()
                .map(|ws| ws.iter().map(|w| w.to_string()).collect())
                .collect();
            assert_eq!(got, want, "{src:?}");
        }
    }
}
