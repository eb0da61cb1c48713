//! Token recognition (XCU §2.3): operators, words, io numbers, comments, line continuations,
//! here-document bodies, and alias substitution (§2.3.1) as tokens are handed to the grammar.
//!
//! Words keep their raw text (quotes included) minus line continuations; `expand` interprets
//! them at run time. The lexer only has to find where a word ends, which it does by skipping
//! quotes, `$(…)`, `${…}` and `` `…` ``.

use std::rc::Rc;

use super::{PResult, ParseError, Parser, Tok};

/// Operators, longest first so that `<<-` wins over `<<` and `<`.
const OPS: [&str; 17] = [
    "<<-", "&&", "||", ";;", "<<", ">>", "<&", ">&", "<>", ">|", ";", "&", "|", "(", ")", "<", ">",
];

/// Words that are reserved in command position and therefore never alias names there.
const RESERVED: [&str; 16] = [
    "!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then",
    "until", "while",
];

/// A token as the lexer hands it on, with where it came from.
#[derive(Debug, Clone)]
pub(super) struct Lexed {
    pub tok: Tok,
    pub line: usize,
    /// Aliases whose replacement text this token comes from (none may expand again in it).
    pub guard: Rc<Vec<String>>,
    /// The last token of an alias ending in a blank: the next word is checked for an alias.
    pub blank_after: bool,
}

impl<'a> Parser<'a> {
    pub(super) fn ch(&self, i: usize) -> Option<char> {
        self.src.get(i).copied()
    }

    /// The index past any line continuations (`\` newline) at `i`. A continuation that ends
    /// the buffer means the token may go on in input not read yet.
    fn past_conts(&self, mut i: usize) -> PResult<usize> {
        let start = i;
        while self.ch(i) == Some('\\') && self.ch(i + 1) == Some('\n') {
            i += 2;
        }
        if i > start && i >= self.src.len() && !self.complete_input {
            return Err(ParseError::Incomplete(self.line));
        }
        Ok(i)
    }

    /// Step over line continuations at `pos` (remembering them, so the word's text leaves
    /// them out) and return the character there.
    fn eat(&mut self) -> PResult<Option<char>> {
        let end = self.past_conts(self.pos)?;
        while self.pos < end {
            self.conts.push(self.pos);
            self.pos += 2;
            self.line += 1;
        }
        Ok(self.ch(self.pos))
    }

    pub(super) fn lex(&mut self) -> PResult<Lexed> {
        loop {
            match self.eat()? {
                Some(' ' | '\t') => self.pos += 1,
                // A comment runs to the newline; a backslash in it doesn't continue it.
                Some('#') => {
                    while self.ch(self.pos).is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
        let line = self.line;
        let lexed = |tok| Lexed {
            tok,
            line,
            guard: Rc::new(Vec::new()),
            blank_after: false,
        };
        let Some(c) = self.ch(self.pos) else {
            return Ok(lexed(Tok::Eof));
        };
        if c == '\n' {
            self.pos += 1;
            self.line += 1;
            self.read_heredocs()?;
            return Ok(lexed(Tok::Newline));
        }
        if let Some((op, end)) = self.operator()? {
            self.line += self.src[self.pos..end]
                .iter()
                .filter(|c| **c == '\n')
                .count();
            self.pos = end;
            return Ok(lexed(Tok::Op(op)));
        }
        let start = self.pos;
        let mark = self.conts.len();
        self.scan_word()?;
        let word = self.word_text(start, self.pos, mark);
        // dash takes a single digit as an io number: descriptors above 9 are the shell's own.
        if word.len() == 1
            && word.bytes().all(|b| b.is_ascii_digit())
            && matches!(self.ch(self.pos), Some('<' | '>'))
        {
            if let Ok(n) = word.parse() {
                return Ok(lexed(Tok::IoNum(n)));
            }
        }
        Ok(lexed(Tok::Word(word)))
    }

    /// The operator starting at `pos` (its characters may be split by line continuations),
    /// and the index past it.
    fn operator(&self) -> PResult<Option<(&'static str, usize)>> {
        let mut chars = Vec::with_capacity(3);
        let mut i = self.pos;
        while chars.len() < 3 {
            i = self.past_conts(i)?;
            match self.ch(i) {
                Some(c) if "<>&|;()-".contains(c) => {
                    chars.push((c, i + 1));
                    i += 1;
                }
                _ => break,
            }
        }
        for op in OPS {
            let n = op.len();
            if chars.len() >= n && op.chars().zip(&chars).all(|(oc, (c, _))| oc == *c) {
                return Ok(Some((op, chars[n - 1].1)));
            }
        }
        Ok(None)
    }

    /// `src[start..end]` without the line continuations recorded since `mark`.
    fn word_text(&self, start: usize, end: usize, mark: usize) -> String {
        let skip = &self.conts[mark..];
        let mut out = String::with_capacity(end - start);
        let mut i = start;
        while i < end {
            if skip.contains(&i) {
                i += 2;
                continue;
            }
            out.push(self.src[i]);
            i += 1;
        }
        out
    }

    pub(super) fn eof(&self) -> ParseError {
        ParseError::Incomplete(self.line)
    }

    fn scan_word(&mut self) -> PResult<()> {
        while let Some(c) = self.eat()? {
            match c {
                ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')' => break,
                _ => self.scan_unit(false)?,
            }
        }
        Ok(())
    }

    /// Skip one character or quoted/substituted unit starting at `pos`.
    fn scan_unit(&mut self, in_dq: bool) -> PResult<()> {
        let c = self.eat()?.ok_or_else(|| self.eof())?;
        self.pos += 1;
        match c {
            '\n' => self.line += 1,
            '\\' => match self.ch(self.pos) {
                Some(n) => {
                    if n == '\n' {
                        self.line += 1;
                    }
                    self.pos += 1;
                }
                // A backslash ending the whole input stays itself.
                None if self.complete_input => {}
                None => return Err(self.eof()),
            },
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
                match self.eat()? {
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
                    Some('\\') => {
                        if self.ch(self.pos + 1) == Some('\n') {
                            self.line += 1;
                        }
                        self.pos += 2;
                    }
                    Some(ch) => {
                        if ch == '\n' {
                            self.line += 1;
                        }
                        self.pos += 1;
                    }
                }
            },
            '$' => match self.eat()? {
                Some('(') => {
                    self.pos += 1;
                    if self.eat()? == Some('(') {
                        self.pos += 1;
                        self.scan_balanced('(', ')', 2)?;
                    } else {
                        self.scan_subst()?;
                    }
                }
                Some('{') => {
                    self.pos += 1;
                    self.scan_balanced('{', '}', 1)?;
                }
                _ => {}
            },
            _ => {}
        }
        Ok(())
    }

    /// The inside of `$(…)`, parsed for real: `case` patterns have unbalanced `)`.
    fn scan_subst(&mut self) -> PResult<()> {
        let mut sub = Parser::new(self.src, self.pos, self.line);
        sub.complete_input = self.complete_input;
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
        self.conts.extend(sub.conts);
        Ok(())
    }

    /// Skip to the `close` matching already consumed `open`s (`depth` of them), minding quotes
    /// and nesting.
    fn scan_balanced(&mut self, open: char, close: char, mut depth: u32) -> PResult<()> {
        loop {
            match self.eat()? {
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
    /// The delimiter is looked for on each raw line; in a body with an unquoted delimiter a
    /// line continuation joins the next line, which then can't be the delimiter (as dash).
    fn read_heredocs(&mut self) -> PResult<()> {
        for doc in std::mem::take(&mut self.docs) {
            let mut body = String::new();
            let mut joined = false;
            loop {
                if self.pos >= self.src.len() {
                    if self.complete_input {
                        break;
                    }
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
                if doc.strip_tabs && !joined {
                    line = line.trim_start_matches('\t').to_string();
                }
                if !joined && line == doc.delim {
                    break;
                }
                joined = doc.expand && had_nl && ends_in_continuation(&line);
                if joined {
                    line.pop();
                    body.push_str(&line);
                    continue;
                }
                if !had_nl && !self.complete_input {
                    return Err(self.eof());
                }
                body.push_str(&line);
                if had_nl {
                    body.push('\n');
                }
            }
            *doc.body.borrow_mut() = body;
        }
        Ok(())
    }

    // ---- token stream ----

    pub(super) fn peek(&mut self) -> PResult<&Tok> {
        if self.peeked.is_empty() {
            let t = self.lex()?;
            self.peeked.push(t);
        }
        Ok(&self.peeked[0].tok)
    }

    pub(super) fn peek2(&mut self) -> PResult<&Tok> {
        self.peek()?;
        if self.peeked.len() < 2 {
            let t = self.lex()?;
            self.peeked.push(t);
        }
        Ok(&self.peeked[1].tok)
    }

    pub(super) fn next(&mut self) -> PResult<Tok> {
        self.peek()?;
        let t = self.peeked.remove(0);
        self.alias_next = t.blank_after;
        Ok(t.tok)
    }

    /// Whether the next token is a newline from an alias's text.
    pub(super) fn alias_newline(&mut self) -> PResult<bool> {
        self.peek()?;
        Ok(self.peeked[0].tok == Tok::Newline && !self.peeked[0].guard.is_empty())
    }

    /// The line of the next token.
    pub(super) fn tok_line(&self) -> usize {
        self.peeked.first().map_or(self.line, |t| t.line)
    }

    /// If the next token is a word naming an alias that may expand here, replace it by the
    /// tokens of the alias's text (XCU §2.3.1). Reserved words are recognised first.
    pub(super) fn expand_alias(&mut self) -> PResult<bool> {
        if self.aliases.is_empty() {
            return Ok(false);
        }
        self.peek()?;
        let front = &self.peeked[0];
        let Tok::Word(w) = &front.tok else {
            return Ok(false);
        };
        if RESERVED.contains(&w.as_str())
            || w.contains(['\'', '"', '\\', '$', '`'])
            || front.guard.iter().any(|g| g == w)
        {
            return Ok(false);
        }
        let Some(text) = self.aliases.get(w) else {
            return Ok(false);
        };
        let mut guard = (*front.guard).clone();
        guard.push(w.clone());
        let guard = Rc::new(guard);
        let line = front.line;
        let blank = text.ends_with([' ', '\t']);
        let chars: Vec<char> = text.chars().collect();
        let mut sub = Parser::new(&chars, 0, line);
        sub.complete_input = true;
        let mut toks = Vec::new();
        loop {
            let t = sub.lex()?;
            if t.tok == Tok::Eof {
                break;
            }
            toks.push(Lexed {
                tok: t.tok,
                line,
                guard: guard.clone(),
                blank_after: false,
            });
        }
        self.docs.append(&mut sub.docs);
        match toks.last_mut() {
            Some(last) => last.blank_after = blank,
            None => self.alias_next = blank,
        }
        self.peeked.splice(0..1, toks);
        Ok(true)
    }
}

/// Whether a here-document line ends in a backslash that escapes the newline (an even
/// number of backslashes before it are escaped backslashes).
fn ends_in_continuation(line: &str) -> bool {
    line.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::ends_in_continuation;

    #[test]
    fn continuation_table() {
        let cases = [
            ("a\\", true),
            ("a\\\\", false),
            ("a\\\\\\", true),
            ("a", false),
            ("", false),
            ("\\", true),
        ];
        for (line, want) in cases {
            assert_eq!(ends_in_continuation(line), want, "{line:?}");
        }
    }
}
