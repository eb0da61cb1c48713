//! Lexer and recursive-descent parser for the POSIX shell grammar (XCU §2.10), sh-lite subset.
//!
//! Words keep their raw text (quotes included); `expand` interprets them at run time. The lexer
//! only has to find where a word ends, which it does by skipping quotes, `$(…)`, `${…}` and `` `…` ``.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// One redirection: `fd op target`.
#[derive(Debug, Clone, PartialEq)]
pub enum RedirKind {
    /// `<`
    Read,
    /// `>` and `>|`
    Write,
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

const OPS: [&str; 17] = [
    "<<-", "&&", "||", ";;", "<<", ">>", "<&", ">&", "<>", ">|", ";", "&", "|", "(", ")", "<", ">",
];

const RESERVED_END: [&str; 7] = ["then", "else", "elif", "fi", "do", "done", "esac"];

struct PendingDoc {
    delim: String,
    strip_tabs: bool,
    body: Rc<RefCell<String>>,
}

pub struct Parser<'a> {
    src: &'a [char],
    pub pos: usize,
    pub line: usize,
    peeked: Vec<(Tok, usize)>,
    docs: Vec<PendingDoc>,
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
        }
    }

    fn ch(&self, i: usize) -> Option<char> {
        self.src.get(i).copied()
    }

    // ---- lexer ----

    fn lex(&mut self) -> PResult<(Tok, usize)> {
        loop {
            match self.ch(self.pos) {
                Some(' ' | '\t') => self.pos += 1,
                Some('\\') if self.ch(self.pos + 1) == Some('\n') => {
                    self.pos += 2;
                    self.line += 1;
                }
                Some('#') => {
                    while self.ch(self.pos).is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
        let line = self.line;
        let Some(c) = self.ch(self.pos) else {
            return Ok((Tok::Eof, line));
        };
        if c == '\n' {
            self.pos += 1;
            self.line += 1;
            self.read_heredocs()?;
            return Ok((Tok::Newline, line));
        }
        for op in OPS {
            if op
                .chars()
                .enumerate()
                .all(|(i, oc)| self.ch(self.pos + i) == Some(oc))
            {
                self.pos += op.len();
                return Ok((Tok::Op(op), line));
            }
        }
        let start = self.pos;
        self.scan_word()?;
        let word: String = self.src[start..self.pos].iter().collect();
        if word.bytes().all(|b| b.is_ascii_digit()) && matches!(self.ch(self.pos), Some('<' | '>'))
        {
            if let Ok(n) = word.parse() {
                return Ok((Tok::IoNum(n), line));
            }
        }
        Ok((Tok::Word(word), line))
    }

    fn eof(&self) -> ParseError {
        ParseError::Incomplete(self.line)
    }

    fn scan_word(&mut self) -> PResult<()> {
        while let Some(c) = self.ch(self.pos) {
            match c {
                ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')' => break,
                _ => self.scan_unit(false)?,
            }
        }
        Ok(())
    }

    /// Skip one character or quoted/substituted unit starting at `pos`.
    fn scan_unit(&mut self, in_dq: bool) -> PResult<()> {
        let c = self.ch(self.pos).ok_or_else(|| self.eof())?;
        self.pos += 1;
        match c {
            '\n' => self.line += 1,
            '\\' => {
                let n = self.ch(self.pos).ok_or_else(|| self.eof())?;
                if n == '\n' {
                    self.line += 1;
                }
                self.pos += 1;
            }
            '\'' if !in_dq => loop {
                match self.ch(self.pos) {
                    None => return Err(self.eof()),
                    Some('\'') => {
                        self.pos += 1;
                        break;
                    }
                    Some(ch) => {
                        if ch == '\n' {
                            self.line += 1;
                        }
                        self.pos += 1;
                    }
                }
            },
            '"' if !in_dq => loop {
                match self.ch(self.pos) {
                    None => return Err(self.eof()),
                    Some('"') => {
                        self.pos += 1;
                        break;
                    }
                    Some(_) => self.scan_unit(true)?,
                }
            },
            '`' => loop {
                match self.ch(self.pos) {
                    None => return Err(self.eof()),
                    Some('`') => {
                        self.pos += 1;
                        break;
                    }
                    Some('\\') => self.pos += 2,
                    Some(ch) => {
                        if ch == '\n' {
                            self.line += 1;
                        }
                        self.pos += 1;
                    }
                }
            },
            '$' => match self.ch(self.pos) {
                Some('(') if self.ch(self.pos + 1) == Some('(') => {
                    self.pos += 1;
                    self.scan_balanced('(', ')')?;
                }
                Some('(') => {
                    // Parse the inside for real: `case` patterns have unbalanced `)`.
                    let mut sub = Parser::new(self.src, self.pos + 1, self.line);
                    if !sub.is_op(")")? {
                        sub.list(false)?;
                        sub.skip_newlines()?;
                    }
                    if !sub.is_op(")")? {
                        return Err(sub.err_here());
                    }
                    sub.next()?;
                    self.pos = sub.pos;
                    self.line = sub.line;
                }
                Some('{') => {
                    self.pos += 1;
                    self.scan_balanced('{', '}')?;
                }
                _ => {}
            },
            _ => {}
        }
        Ok(())
    }

    /// Skip to the `close` matching an already consumed `open`, minding quotes and nesting.
    fn scan_balanced(&mut self, open: char, close: char) -> PResult<()> {
        let mut depth = 1;
        loop {
            match self.ch(self.pos) {
                None => return Err(self.eof()),
                Some(c) if c == close => {
                    self.pos += 1;
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Some(c) if c == open => {
                    self.pos += 1;
                    depth += 1;
                }
                Some('#')
                    if open == '('
                        && self.pos > 0
                        && self.src[self.pos - 1].is_ascii_whitespace() =>
                {
                    while self.ch(self.pos).is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                Some(_) => self.scan_unit(false)?,
            }
        }
    }

    /// Read the bodies of here-documents whose operators appeared on the line just ended.
    fn read_heredocs(&mut self) -> PResult<()> {
        for doc in std::mem::take(&mut self.docs) {
            let mut body = String::new();
            loop {
                if self.pos >= self.src.len() {
                    return Err(self.eof());
                }
                let start = self.pos;
                while self.ch(self.pos).is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
                let had_nl = self.ch(self.pos).is_some();
                let mut line: String = self.src[start..self.pos].iter().collect();
                if had_nl {
                    self.pos += 1;
                    self.line += 1;
                }
                if doc.strip_tabs {
                    line = line.trim_start_matches('\t').to_string();
                }
                if line == doc.delim {
                    break;
                }
                if !had_nl {
                    return Err(self.eof());
                }
                body.push_str(&line);
                body.push('\n');
            }
            *doc.body.borrow_mut() = body;
        }
        Ok(())
    }

    // ---- token stream ----

    fn peek(&mut self) -> PResult<&Tok> {
        if self.peeked.is_empty() {
            let t = self.lex()?;
            self.peeked.push(t);
        }
        Ok(&self.peeked[0].0)
    }

    fn peek2(&mut self) -> PResult<&Tok> {
        self.peek()?;
        if self.peeked.len() < 2 {
            let t = self.lex()?;
            self.peeked.push(t);
        }
        Ok(&self.peeked[1].0)
    }

    fn next(&mut self) -> PResult<Tok> {
        self.peek()?;
        Ok(self.peeked.remove(0).0)
    }

    fn err_here(&mut self) -> ParseError {
        let tok = match self.peek() {
            Ok(t) => t.clone(),
            Err(e) => return e,
        };
        let line = self.peeked.first().map_or(self.line, |t| t.1);
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
        }
        let mut cmds = vec![self.command()?];
        while self.is_op("|")? {
            self.next()?;
            self.skip_newlines()?;
            cmds.push(self.command()?);
        }
        Ok(if cmds.len() == 1 && !bang {
            cmds.remove(0)
        } else {
            Cmd::Pipeline(cmds, bang)
        })
    }

    fn command(&mut self) -> PResult<Cmd> {
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
                    self.next()?;
                    self.next()?;
                    if !self.is_op(")")? {
                        return Err(self.err_here());
                    }
                    self.next()?;
                    self.skip_newlines()?;
                    let body = self.command()?;
                    if matches!(body, Cmd::Simple(_)) {
                        return Err(ParseError::Syntax(self.line, "(".into()));
                    }
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
            ">" | ">|" => RedirKind::Write,
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
            match self.peek()?.clone() {
                Tok::Word(w) => {
                    self.next()?;
                    if s.words.is_empty() && assignment_split(&w).is_some() {
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

/// Parse a whole text (for `eval`, `$(…)`, `.`): every complete command in order.
pub fn parse_all(text: &str) -> PResult<Vec<Cmd>> {
    let src: Vec<char> = text.chars().collect();
    let mut p = Parser::new(&src, 0, 1);
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
            ("echo a\\\nb", vec![list(vec![simple(&["echo", "a\\\nb"])])]),
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
            ("cat <<E\nx", ParseError::Incomplete(2)),
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
}
