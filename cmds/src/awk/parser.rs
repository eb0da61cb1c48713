//! Recursive-descent parser for POSIX awk's grammar (XCU awk, "Grammar"): precedence from
//! `?:` down to `$`, juxtaposition as concatenation, `>` in a print list as redirection,
//! `(a, b) in arr`, `cmd | getline`, and newlines as terminators where the grammar allows.

use std::collections::HashMap;

use super::ast::*;
use super::lexer::{lex, Tok, Token};

#[derive(Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    /// The offending source line (syntax errors) or a message (others).
    pub context: String,
    pub syntax: bool,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.syntax {
            write!(
                f,
                "syntax error at source line {}: {}",
                self.line, self.context
            )
        } else {
            write!(f, "{} at source line {}", self.context, self.line)
        }
    }
}

pub(super) type PResult<T> = Result<T, ParseError>;

pub(super) struct Parser<'a> {
    pub(super) src: &'a [u8],
    pub(super) toks: Vec<Token>,
    pub(super) pos: usize,
    pub(super) globals: HashMap<String, usize>,
    pub(super) global_names: Vec<String>,
    pub(super) locals: Option<HashMap<String, usize>>,
    pub(super) funcs: Vec<Option<Func>>,
    pub(super) func_index: HashMap<String, usize>,
    pub(super) func_first_use: Vec<usize>,
    pub(super) regexes: Vec<std::rc::Rc<regex::bytes::Regex>>,
    /// Parsing a print list outside parentheses: `>` redirects.
    pub(super) no_gt: bool,
}

pub fn parse(src: &[u8]) -> PResult<Program> {
    let toks = lex(src).map_err(|e| ParseError {
        line: e.line,
        context: e.msg,
        syntax: false,
    })?;
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        globals: HashMap::new(),
        global_names: Vec::new(),
        locals: None,
        funcs: Vec::new(),
        func_index: HashMap::new(),
        func_first_use: Vec::new(),
        regexes: Vec::new(),
        no_gt: false,
    };
    for name in SPECIALS {
        p.global(name);
    }
    let rules = p.program()?;
    let mut funcs = Vec::new();
    for (i, f) in p.funcs.into_iter().enumerate() {
        match f {
            Some(f) => funcs.push(f),
            None => {
                let name = p
                    .func_index
                    .iter()
                    .find(|(_, &v)| v == i)
                    .map(|(k, _)| k.clone());
                return Err(ParseError {
                    line: p.func_first_use[i],
                    context: format!("calling undefined function {}", name.unwrap_or_default()),
                    syntax: false,
                });
            }
        }
    }
    Ok(Program {
        rules,
        funcs,
        globals: p.global_names,
        regexes: p.regexes,
    })
}

pub(super) fn is_lvalue(e: &Expr) -> bool {
    matches!(e, Expr::Var(_) | Expr::Field(_) | Expr::Index(..))
}

impl Parser<'_> {
    pub(super) fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    pub(super) fn peek_at(&self, n: usize) -> &Tok {
        let i = (self.pos + n).min(self.toks.len() - 1);
        &self.toks[i].tok
    }

    pub(super) fn advance(&mut self) -> Tok {
        let t = self.toks[self.pos].tok.clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    pub(super) fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == t {
            self.advance();
            true
        } else {
            false
        }
    }

    pub(super) fn error<T>(&self) -> PResult<T> {
        let line = self.toks[self.pos].line;
        let text = self
            .src
            .split(|&b| b == b'\n')
            .nth(line - 1)
            .unwrap_or_default();
        Err(ParseError {
            line,
            context: String::from_utf8_lossy(text).trim().to_string(),
            syntax: true,
        })
    }

    pub(super) fn expect(&mut self, t: &Tok) -> PResult<()> {
        if self.eat(t) {
            Ok(())
        } else {
            self.error()
        }
    }

    pub(super) fn opt_newlines(&mut self) {
        while self.eat(&Tok::Newline) {}
    }

    pub(super) fn skip_terminators(&mut self) {
        while matches!(self.peek(), Tok::Newline | Tok::Semi) {
            self.advance();
        }
    }

    pub(super) fn global(&mut self, name: &str) -> usize {
        if let Some(&i) = self.globals.get(name) {
            return i;
        }
        let i = self.global_names.len();
        self.global_names.push(name.to_string());
        self.globals.insert(name.to_string(), i);
        i
    }

    pub(super) fn var(&mut self, name: &str) -> Var {
        if let Some(l) = self.locals.as_ref().and_then(|m| m.get(name)) {
            return Var::Local(*l);
        }
        Var::Global(self.global(name))
    }

    pub(super) fn func_slot(&mut self, name: &str) -> usize {
        if let Some(&i) = self.func_index.get(name) {
            return i;
        }
        let i = self.funcs.len();
        self.funcs.push(None);
        self.func_first_use.push(self.toks[self.pos].line);
        self.func_index.insert(name.to_string(), i);
        i
    }

    pub(super) fn program(&mut self) -> PResult<Vec<Rule>> {
        let mut rules = Vec::new();
        self.skip_terminators();
        while *self.peek() != Tok::Eof {
            match self.peek().clone() {
                Tok::Function => self.function()?,
                Tok::Begin | Tok::End => {
                    let pattern = if self.advance() == Tok::Begin {
                        Pattern::Begin
                    } else {
                        Pattern::End
                    };
                    if *self.peek() != Tok::LBrace {
                        return self.error();
                    }
                    let action = Some(self.block()?);
                    rules.push(Rule { pattern, action });
                }
                Tok::LBrace => {
                    let action = Some(self.block()?);
                    rules.push(Rule {
                        pattern: Pattern::All,
                        action,
                    });
                }
                _ => {
                    let e = self.expr()?;
                    let pattern = if self.eat(&Tok::Comma) {
                        self.opt_newlines();
                        Pattern::Range(e, self.expr()?)
                    } else {
                        Pattern::Expr(e)
                    };
                    let action = if *self.peek() == Tok::LBrace {
                        Some(self.block()?)
                    } else {
                        None
                    };
                    rules.push(Rule { pattern, action });
                }
            }
            if !matches!(self.peek(), Tok::Newline | Tok::Semi | Tok::Eof)
                && !matches!(self.toks[self.pos - 1].tok, Tok::RBrace)
            {
                return self.error();
            }
            self.skip_terminators();
        }
        Ok(rules)
    }

    pub(super) fn function(&mut self) -> PResult<()> {
        self.advance();
        let name = match self.advance() {
            Tok::Name(n) | Tok::FuncName(n) => n,
            _ => return self.error(),
        };
        let slot = self.func_slot(&name);
        if self.funcs[slot].is_some() {
            return self.error();
        }
        self.expect(&Tok::LParen)?;
        let mut params = HashMap::new();
        self.opt_newlines();
        while let Tok::Name(p) = self.peek().clone() {
            self.advance();
            let n = params.len();
            params.insert(p, n);
            self.opt_newlines();
            if !self.eat(&Tok::Comma) {
                break;
            }
            self.opt_newlines();
        }
        self.expect(&Tok::RParen)?;
        self.opt_newlines();
        let nparams = params.len();
        self.locals = Some(params);
        let body = self.block()?;
        self.locals = None;
        self.funcs[slot] = Some(Func {
            name,
            nparams,
            body,
        });
        Ok(())
    }

    pub(super) fn block(&mut self) -> PResult<Vec<Stmt>> {
        self.expect(&Tok::LBrace)?;
        let mut body = Vec::new();
        loop {
            self.skip_terminators();
            if self.eat(&Tok::RBrace) {
                return Ok(body);
            }
            body.push(self.stmt()?);
        }
    }

    /// After a simple statement: `;`, newline, or (not consumed) `}`.
    pub(super) fn end_simple(&mut self) -> PResult<()> {
        match self.peek() {
            Tok::Semi | Tok::Newline => {
                self.advance();
                Ok(())
            }
            Tok::RBrace | Tok::Eof => Ok(()),
            _ => self.error(),
        }
    }

    pub(super) fn stmt(&mut self) -> PResult<Stmt> {
        match self.peek().clone() {
            Tok::LBrace => Ok(Stmt::Block(self.block()?)),
            Tok::Semi => {
                self.advance();
                Ok(Stmt::Block(Vec::new()))
            }
            Tok::If => {
                self.advance();
                self.expect(&Tok::LParen)?;
                let cond = self.expr()?;
                self.expect(&Tok::RParen)?;
                self.opt_newlines();
                let then = self.stmt()?;
                let save = self.pos;
                self.skip_terminators();
                if self.eat(&Tok::Else) {
                    self.opt_newlines();
                    let els = self.stmt()?;
                    Ok(Stmt::If(cond, Box::new(then), Some(Box::new(els))))
                } else {
                    self.pos = save;
                    Ok(Stmt::If(cond, Box::new(then), None))
                }
            }
            Tok::While => {
                self.advance();
                self.expect(&Tok::LParen)?;
                let cond = self.expr()?;
                self.expect(&Tok::RParen)?;
                if self.eat(&Tok::Semi) {
                    return Ok(Stmt::While(cond, Box::new(Stmt::Block(Vec::new()))));
                }
                self.opt_newlines();
                Ok(Stmt::While(cond, Box::new(self.stmt()?)))
            }
            Tok::Do => {
                self.advance();
                self.opt_newlines();
                let body = self.stmt()?;
                self.skip_terminators();
                self.expect(&Tok::While)?;
                self.expect(&Tok::LParen)?;
                let cond = self.expr()?;
                self.expect(&Tok::RParen)?;
                self.end_simple()?;
                Ok(Stmt::Do(Box::new(body), cond))
            }
            Tok::For => self.for_stmt(),
            _ => {
                let s = self.simple_stmt()?;
                self.end_simple()?;
                Ok(s)
            }
        }
    }

    pub(super) fn for_stmt(&mut self) -> PResult<Stmt> {
        self.advance();
        self.expect(&Tok::LParen)?;
        if let (Tok::Name(k), Tok::In, Tok::Name(a), Tok::RParen) = (
            self.peek().clone(),
            self.peek_at(1).clone(),
            self.peek_at(2).clone(),
            self.peek_at(3).clone(),
        ) {
            self.pos += 4;
            self.opt_newlines();
            let key = Expr::Var(self.var(&k));
            let arr = self.var(&a);
            return Ok(Stmt::ForIn(key, arr, Box::new(self.stmt()?)));
        }
        let init = if *self.peek() == Tok::Semi {
            None
        } else {
            Some(Box::new(self.simple_stmt()?))
        };
        self.expect(&Tok::Semi)?;
        self.opt_newlines();
        let cond = if *self.peek() == Tok::Semi {
            None
        } else {
            Some(self.expr()?)
        };
        self.expect(&Tok::Semi)?;
        self.opt_newlines();
        let step = if *self.peek() == Tok::RParen {
            None
        } else {
            Some(Box::new(self.simple_stmt()?))
        };
        self.expect(&Tok::RParen)?;
        if self.eat(&Tok::Semi) {
            return Ok(Stmt::For(
                init,
                cond,
                step,
                Box::new(Stmt::Block(Vec::new())),
            ));
        }
        self.opt_newlines();
        Ok(Stmt::For(init, cond, step, Box::new(self.stmt()?)))
    }

    pub(super) fn at_end_of_simple(&self) -> bool {
        matches!(
            self.peek(),
            Tok::Semi | Tok::Newline | Tok::RBrace | Tok::Eof
        )
    }

    pub(super) fn simple_stmt(&mut self) -> PResult<Stmt> {
        Ok(match self.peek().clone() {
            Tok::Print | Tok::Printf => {
                let printf = self.advance() == Tok::Printf;
                let mut args = Vec::new();
                if !self.at_end_of_simple()
                    && !matches!(self.peek(), Tok::Gt | Tok::Append | Tok::Pipe)
                {
                    let save = self.no_gt;
                    self.no_gt = true;
                    args = self.expr_list()?;
                    self.no_gt = save;
                    if let [Expr::Group(list)] = &args[..] {
                        args = list.clone();
                    }
                }
                if printf && args.is_empty() {
                    return self.error();
                }
                let redir = match self.peek() {
                    Tok::Gt | Tok::Append | Tok::Pipe => {
                        let kind = match self.advance() {
                            Tok::Gt => RedirKind::Write,
                            Tok::Append => RedirKind::Append,
                            _ => RedirKind::Pipe,
                        };
                        let save = self.no_gt;
                        self.no_gt = true;
                        let target = self.concat()?;
                        self.no_gt = save;
                        Some((kind, target))
                    }
                    _ => None,
                };
                if printf {
                    Stmt::Printf(args, redir)
                } else {
                    Stmt::Print(args, redir)
                }
            }
            Tok::Next => {
                self.advance();
                Stmt::Next
            }
            Tok::Nextfile => {
                self.advance();
                Stmt::NextFile
            }
            Tok::Break => {
                self.advance();
                Stmt::Break
            }
            Tok::Continue => {
                self.advance();
                Stmt::Continue
            }
            Tok::Exit | Tok::Return => {
                let exit = self.advance() == Tok::Exit;
                let e = if self.at_end_of_simple() {
                    None
                } else {
                    Some(self.expr()?)
                };
                if exit {
                    Stmt::Exit(e)
                } else {
                    Stmt::Return(e)
                }
            }
            Tok::Delete => {
                self.advance();
                let Tok::Name(n) = self.advance() else {
                    return self.error();
                };
                let v = self.var(&n);
                if self.eat(&Tok::LBracket) {
                    let subs = self.expr_list()?;
                    self.expect(&Tok::RBracket)?;
                    Stmt::Delete(v, Some(subs))
                } else {
                    Stmt::Delete(v, None)
                }
            }
            _ => Stmt::Expr(self.expr()?),
        })
    }

    pub(super) fn expr_list(&mut self) -> PResult<Vec<Expr>> {
        let mut list = vec![self.expr()?];
        while self.eat(&Tok::Comma) {
            self.opt_newlines();
            list.push(self.expr()?);
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn var(p: &Program, v: &Var) -> String {
        match v {
            Var::Global(i) => p.globals[*i].clone(),
            Var::Local(i) => format!("L{i}"),
        }
    }

    pub(super) fn list(p: &Program, es: &[Expr]) -> String {
        es.iter().map(|e| ex(p, e)).collect::<Vec<_>>().join(" ")
    }

    pub(super) fn op(o: &BinOp) -> &'static str {
        match o {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "^",
        }
    }

    /// An expression as an s-expression.
    pub(super) fn ex(p: &Program, e: &Expr) -> String {
        match e {
            Expr::Num(n) => n.to_string(),
            Expr::Str(s) => format!("{:?}", String::from_utf8_lossy(s)),
            Expr::Regex(i) => format!("/{}/", p.regexes[*i].as_str()),
            Expr::Var(v) => var(p, v),
            Expr::Field(e) => format!("${}", ex(p, e)),
            Expr::Index(v, s) => format!("{}[{}]", var(p, v), list(p, s)),
            Expr::In(s, v) => format!("(in ({}) {})", list(p, s), var(p, v)),
            Expr::Assign(o, l, r) => {
                format!("({}= {} {})", o.as_ref().map_or("", op), ex(p, l), ex(p, r))
            }
            Expr::Cond(c, a, b) => format!("(? {} {} {})", ex(p, c), ex(p, a), ex(p, b)),
            Expr::And(a, b) => format!("(&& {} {})", ex(p, a), ex(p, b)),
            Expr::Or(a, b) => format!("(|| {} {})", ex(p, a), ex(p, b)),
            Expr::Not(a) => format!("(! {})", ex(p, a)),
            Expr::Neg(a) => format!("(neg {})", ex(p, a)),
            Expr::Plus(a) => format!("(pos {})", ex(p, a)),
            Expr::Bin(o, a, b) => format!("({} {} {})", op(o), ex(p, a), ex(p, b)),
            Expr::Cmp(o, a, b) => format!("({o:?} {} {})", ex(p, a), ex(p, b)),
            Expr::Concat(a, b) => format!("(cat {} {})", ex(p, a), ex(p, b)),
            Expr::Match(n, a, b) => {
                format!(
                    "({} {} {})",
                    if *n { "!~" } else { "~" },
                    ex(p, a),
                    ex(p, b)
                )
            }
            Expr::Incr(pre, d, e) => {
                let what = if *d > 0.0 { "++" } else { "--" };
                if *pre {
                    format!("({what}pre {})", ex(p, e))
                } else {
                    format!("({what}post {})", ex(p, e))
                }
            }
            Expr::Call(f, a) => format!("(call {} {})", p.funcs[*f].name, list(p, a)),
            Expr::Builtin(b, a) => format!("({b:?} {})", list(p, a)),
            Expr::Getline(src, v) => {
                let v = v
                    .as_ref()
                    .map_or(String::new(), |v| format!(" {}", ex(p, v)));
                match src {
                    GetlineSrc::Main => format!("(getline{v})"),
                    GetlineSrc::File(f) => format!("(getline{v} < {})", ex(p, f)),
                    GetlineSrc::Cmd(c) => format!("({} | getline{v})", ex(p, c)),
                }
            }
            Expr::Group(g) => format!("(group {})", list(p, g)),
        }
    }

    pub(super) fn st(p: &Program, s: &Stmt) -> String {
        let redir = |r: &Option<(RedirKind, Expr)>| match r {
            None => String::new(),
            Some((k, e)) => format!(" {k:?} {}", ex(p, e)),
        };
        match s {
            Stmt::Expr(e) => ex(p, e),
            Stmt::Print(a, r) => format!("(print [{}]{})", list(p, a), redir(r)),
            Stmt::Printf(a, r) => format!("(printf [{}]{})", list(p, a), redir(r)),
            Stmt::If(c, a, b) => match b {
                Some(b) => format!("(if {} {} {})", ex(p, c), st(p, a), st(p, b)),
                None => format!("(if {} {})", ex(p, c), st(p, a)),
            },
            Stmt::Block(b) => format!(
                "{{{}}}",
                b.iter().map(|s| st(p, s)).collect::<Vec<_>>().join("; ")
            ),
            Stmt::ForIn(k, a, b) => format!("(for {} in {} {})", ex(p, k), var(p, a), st(p, b)),
            other => format!("{other:?}"),
        }
    }

    pub(super) fn first_stmt(src: &str) -> String {
        let p = parse(src.as_bytes()).unwrap_or_else(|e| panic!("{src}: {e}"));
        let body = p.rules[0].action.as_ref().unwrap();
        body.iter()
            .map(|s| st(&p, s))
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    pub(super) fn expressions_and_statements() {
        let cases = [
            ("1 + 2 * 3", "(+ 1 (* 2 3))"),
            ("2 ^ 3 ^ 2", "(^ 2 (^ 3 2))"),
            ("-2 ^ 2", "(neg (^ 2 2))"),
            ("2 ^ -1", "(^ 2 (neg 1))"),
            ("a b c", "(cat (cat a b) c)"),
            ("a -1", "(- a 1)"),
            ("a \" \" -1", "(cat a (- \" \" 1))"),
            ("a b + c", "(cat a (+ b c))"),
            ("x = y = 1", "(= x (= y 1))"),
            ("x += 2", "(+= x 2)"),
            ("$i++", "(++post $i)"),
            ("$NF", "$NF"),
            ("$(NF-1)", "$(- NF 1)"),
            ("$++i", "$(++pre i)"),
            ("!x", "(! x)"),
            ("!x == y", "(Eq (! x) y)"),
            ("a < b c", "(Lt a (cat b c))"),
            ("x ~ /a+/ && y !~ \"b\"", "(&& (~ x /a+/) (!~ y \"b\"))"),
            ("c ? a : b ? d : e", "(? c a (? b d e))"),
            ("(i, j) in arr", "(in (i j) arr)"),
            ("k in a && 1", "(&& (in (k) a) 1)"),
            ("a[1, 2] = 3", "(= a[1 2] 3)"),
            ("\"cmd\" | getline", "(\"cmd\" | getline)"),
            ("\"c\" \"d\" | getline x", "((cat \"c\" \"d\") | getline x)"),
            ("getline line < \"f\"", "(getline line < \"f\")"),
            ("getline < \"f\" \"g\"", "(cat (getline < \"f\") \"g\")"),
            ("(getline line) > 0", "(Gt (getline line) 0)"),
            ("length", "(Length )"),
            ("length $0", "(cat (Length ) $0)"),
            ("substr(s, 2)", "(Substr s 2)"),
            ("print a b > \"f\"", "(print [(cat a b)] Write \"f\")"),
            ("print (1,2) > \"f\"", "(print [1 2] Write \"f\")"),
            ("print (1)(2)", "(print [(cat 1 2)])"),
            ("print a, b >> f", "(print [a b] Append f)"),
            ("print | \"sort\"", "(print [] Pipe \"sort\")"),
            ("print (a > b)", "(print [(Gt a b)])"),
            ("printf \"%d\\n\", x", "(printf [\"%d\\n\" x])"),
            (
                "if (x) print; else print 2",
                "(if x (print []) (print [2]))",
            ),
            (
                "if (x)\n print\nelse\n print 2",
                "(if x (print []) (print [2]))",
            ),
            ("for (k in a) n++", "(for k in a (++post n))"),
            ("x = /re/", "(= x /re/)"),
            ("a = 1; b = 2", "(= a 1); (= b 2)"),
            ("n = n + 1 \n m = 2", "(= n (+ n 1)); (= m 2)"),
        ];
        for (src, want) in cases {
            let prog = format!("BEGIN {{ {src} }}");
            assert_eq!(first_stmt(&prog), want, "{src}");
        }
    }

    #[test]
    pub(super) fn syntax_errors() {
        let cases = [
            ("BEGIN { print 1 ", 1),
            ("BEGIN { if ( }", 1),
            ("BEGIN {\n x = = 1 }", 2),
            ("BEGIN", 1),
            ("{ 1 + 2 = 3 }", 1),
            ("function f(a) { } function f(b) { }", 1),
            ("BEGIN { a b c d e + }", 1),
            ("{ print > }", 1),
            ("BEGIN { printf }", 1),
        ];
        for (src, line) in cases {
            match parse(src.as_bytes()) {
                Err(e) => assert_eq!((e.syntax, e.line), (true, line), "{src}: {e}"),
                Ok(_) => panic!("{src}: parsed"),
            }
        }
        let e = parse(b"BEGIN { f(1) }").err().unwrap();
        assert_eq!(
            e.to_string(),
            "calling undefined function f at source line 1"
        );
    }

    #[test]
    pub(super) fn patterns() {
        let p = parse(b"BEGIN{} /a/, /b/ {} NR==1\nEND{print}").unwrap();
        let kinds: Vec<&str> = p
            .rules
            .iter()
            .map(|r| match r.pattern {
                Pattern::Begin => "begin",
                Pattern::End => "end",
                Pattern::All => "all",
                Pattern::Expr(_) => "expr",
                Pattern::Range(..) => "range",
            })
            .collect();
        assert_eq!(kinds, ["begin", "range", "expr", "end"]);
        assert!(p.rules[2].action.is_none());
    }
}
