//! Expressions of the awk grammar, lowest precedence first: assignment, `?:`, `||`, `&&`,
//! `in`, `~ !~`, comparisons, concatenation (and `cmd | getline`), `+ -`, `* / %`, unary
//! `! - +`, `^` (right-associative), `++ --`, `$`, grouping and primaries.

use std::rc::Rc;

use super::ast::*;
use super::ere;
use super::lexer::{Builtin, Tok};
use super::parser::{is_lvalue, PResult, ParseError, Parser};

impl Parser<'_> {
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        let lhs = self.ternary()?;
        let op = match self.peek() {
            Tok::Assign => None,
            Tok::AddAssign => Some(BinOp::Add),
            Tok::SubAssign => Some(BinOp::Sub),
            Tok::MulAssign => Some(BinOp::Mul),
            Tok::DivAssign => Some(BinOp::Div),
            Tok::ModAssign => Some(BinOp::Mod),
            Tok::PowAssign => Some(BinOp::Pow),
            _ => return Ok(lhs),
        };
        if !is_lvalue(&lhs) {
            return self.error();
        }
        self.advance();
        self.opt_newlines();
        let rhs = self.expr()?;
        Ok(Expr::Assign(op, Box::new(lhs), Box::new(rhs)))
    }

    pub(super) fn ternary(&mut self) -> PResult<Expr> {
        let cond = self.or()?;
        if !self.eat(&Tok::Question) {
            return Ok(cond);
        }
        self.opt_newlines();
        let a = self.expr()?;
        self.opt_newlines();
        self.expect(&Tok::Colon)?;
        self.opt_newlines();
        let b = self.expr()?;
        Ok(Expr::Cond(Box::new(cond), Box::new(a), Box::new(b)))
    }

    pub(super) fn or(&mut self) -> PResult<Expr> {
        let mut e = self.and()?;
        while self.eat(&Tok::Or) {
            self.opt_newlines();
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    pub(super) fn and(&mut self) -> PResult<Expr> {
        let mut e = self.in_expr()?;
        while self.eat(&Tok::And) {
            self.opt_newlines();
            e = Expr::And(Box::new(e), Box::new(self.in_expr()?));
        }
        Ok(e)
    }

    pub(super) fn in_expr(&mut self) -> PResult<Expr> {
        let mut e = self.match_expr()?;
        while *self.peek() == Tok::In {
            self.advance();
            let Tok::Name(a) = self.advance() else {
                return self.error();
            };
            let arr = self.var(&a);
            let subs = match e {
                Expr::Group(list) => list,
                other => vec![other],
            };
            e = Expr::In(subs, arr);
        }
        Ok(e)
    }

    pub(super) fn match_expr(&mut self) -> PResult<Expr> {
        let mut e = self.comparison()?;
        loop {
            let neg = match self.peek() {
                Tok::Tilde => false,
                Tok::NoMatch => true,
                _ => return Ok(e),
            };
            self.advance();
            let rhs = self.comparison()?;
            e = Expr::Match(neg, Box::new(e), Box::new(rhs));
        }
    }

    pub(super) fn comparison(&mut self) -> PResult<Expr> {
        let mut e = self.concat()?;
        loop {
            let op = match self.peek() {
                Tok::Lt => CmpOp::Lt,
                Tok::Le => CmpOp::Le,
                Tok::Gt if !self.no_gt => CmpOp::Gt,
                Tok::Ge => CmpOp::Ge,
                Tok::Eq => CmpOp::Eq,
                Tok::Ne => CmpOp::Ne,
                _ => return Ok(e),
            };
            self.advance();
            let rhs = self.concat()?;
            e = Expr::Cmp(op, Box::new(e), Box::new(rhs));
        }
    }

    pub(super) fn starts_operand(&self) -> bool {
        match self.peek() {
            Tok::Number(_)
            | Tok::Str(_)
            | Tok::Regex(_)
            | Tok::Name(_)
            | Tok::FuncName(_)
            | Tok::Builtin(_)
            | Tok::Dollar
            | Tok::Not
            | Tok::LParen
            | Tok::Minus
            | Tok::Plus
            | Tok::Incr
            | Tok::Decr => true,
            // `x "cmd" | getline`: only a getline not preceded by `|` starts an operand.
            _ => false,
        }
    }

    /// Concatenation, and `expr | getline [var]` which binds just above it.
    pub(super) fn concat(&mut self) -> PResult<Expr> {
        let mut e = self.additive()?;
        loop {
            if *self.peek() == Tok::Pipe && *self.peek_at(1) == Tok::Getline {
                self.pos += 2;
                let var = self.getline_var()?;
                e = Expr::Getline(GetlineSrc::Cmd(Box::new(e)), var);
                continue;
            }
            if !self.starts_operand() || matches!(self.peek(), Tok::Minus | Tok::Plus | Tok::Not) {
                return Ok(e);
            }
            let rhs = self.additive()?;
            e = Expr::Concat(Box::new(e), Box::new(rhs));
        }
    }

    pub(super) fn additive(&mut self) -> PResult<Expr> {
        let mut e = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(e),
            };
            self.advance();
            e = Expr::Bin(op, Box::new(e), Box::new(self.multiplicative()?));
        }
    }

    pub(super) fn multiplicative(&mut self) -> PResult<Expr> {
        let mut e = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                Tok::Percent => BinOp::Mod,
                _ => return Ok(e),
            };
            self.advance();
            e = Expr::Bin(op, Box::new(e), Box::new(self.unary()?));
        }
    }

    pub(super) fn unary(&mut self) -> PResult<Expr> {
        match self.peek() {
            Tok::Not => {
                self.advance();
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Tok::Minus => {
                self.advance();
                Ok(Expr::Neg(Box::new(self.unary()?)))
            }
            Tok::Plus => {
                self.advance();
                Ok(Expr::Plus(Box::new(self.unary()?)))
            }
            _ => self.power(),
        }
    }

    pub(super) fn power(&mut self) -> PResult<Expr> {
        let base = self.postfix()?;
        if !self.eat(&Tok::Caret) {
            return Ok(base);
        }
        // right-associative, and the exponent may carry a sign: 2^-1
        let exp = match self.peek() {
            Tok::Minus | Tok::Plus | Tok::Not => self.unary()?,
            _ => self.power()?,
        };
        Ok(Expr::Bin(BinOp::Pow, Box::new(base), Box::new(exp)))
    }

    pub(super) fn postfix(&mut self) -> PResult<Expr> {
        let e = self.primary()?;
        if is_lvalue(&e) {
            let delta = match self.peek() {
                Tok::Incr => 1.0,
                Tok::Decr => -1.0,
                _ => return Ok(e),
            };
            self.advance();
            return Ok(Expr::Incr(false, delta, Box::new(e)));
        }
        Ok(e)
    }

    pub(super) fn getline_var(&mut self) -> PResult<Option<Box<Expr>>> {
        Ok(match self.peek() {
            Tok::Name(_) | Tok::Dollar => Some(Box::new(self.primary()?)),
            _ => None,
        })
    }

    pub(super) fn grouped_args(&mut self) -> PResult<Vec<Expr>> {
        self.expect(&Tok::LParen)?;
        let save = self.no_gt;
        self.no_gt = false;
        self.opt_newlines();
        let args = if *self.peek() == Tok::RParen {
            Vec::new()
        } else {
            self.expr_list()?
        };
        self.opt_newlines();
        self.no_gt = save;
        self.expect(&Tok::RParen)?;
        Ok(args)
    }

    pub(super) fn primary(&mut self) -> PResult<Expr> {
        match self.peek().clone() {
            Tok::Number(n) => {
                self.advance();
                Ok(Expr::Num(n))
            }
            Tok::Str(s) => {
                self.advance();
                Ok(Expr::Str(Rc::from(s)))
            }
            Tok::Regex(r) => {
                let re = match ere::compile(&r) {
                    Ok(re) => re,
                    Err(msg) => {
                        return Err(ParseError {
                            line: self.toks[self.pos].line,
                            context: format!(
                                "regular expression /{}/: {msg}",
                                String::from_utf8_lossy(&r)
                            ),
                            syntax: false,
                        })
                    }
                };
                self.advance();
                self.regexes.push(Rc::new(re));
                Ok(Expr::Regex(self.regexes.len() - 1))
            }
            Tok::Dollar => {
                self.advance();
                let e = match self.peek() {
                    Tok::Minus | Tok::Plus | Tok::Not => self.unary()?,
                    _ => self.primary()?,
                };
                Ok(Expr::Field(Box::new(e)))
            }
            Tok::Not | Tok::Minus | Tok::Plus => self.unary(),
            Tok::Incr | Tok::Decr => {
                let delta = if self.advance() == Tok::Incr {
                    1.0
                } else {
                    -1.0
                };
                let e = self.primary()?;
                if !is_lvalue(&e) {
                    return self.error();
                }
                Ok(Expr::Incr(true, delta, Box::new(e)))
            }
            Tok::LParen => {
                self.advance();
                let save = self.no_gt;
                self.no_gt = false;
                let mut list = self.expr_list()?;
                self.no_gt = save;
                self.expect(&Tok::RParen)?;
                if list.len() == 1 {
                    Ok(list.remove(0))
                } else {
                    Ok(Expr::Group(list))
                }
            }
            Tok::Name(n) => {
                self.advance();
                let v = self.var(&n);
                if self.eat(&Tok::LBracket) {
                    let save = self.no_gt;
                    self.no_gt = false;
                    let subs = self.expr_list()?;
                    self.no_gt = save;
                    self.expect(&Tok::RBracket)?;
                    Ok(Expr::Index(v, subs))
                } else {
                    Ok(Expr::Var(v))
                }
            }
            Tok::FuncName(n) => {
                self.advance();
                let slot = self.func_slot(&n);
                let args = self.grouped_args()?;
                Ok(Expr::Call(slot, args))
            }
            Tok::Builtin(b) => {
                self.advance();
                if b == Builtin::Length && *self.peek() != Tok::LParen {
                    return Ok(Expr::Builtin(b, Vec::new()));
                }
                let args = self.grouped_args()?;
                Ok(Expr::Builtin(b, args))
            }
            Tok::Getline => {
                self.advance();
                let var = self.getline_var()?;
                if self.eat(&Tok::Lt) {
                    let file = self.primary()?;
                    return Ok(Expr::Getline(GetlineSrc::File(Box::new(file)), var));
                }
                Ok(Expr::Getline(GetlineSrc::Main, var))
            }
            _ => self.error(),
        }
    }
}
