//! Statements, and the program run: BEGIN actions, each input record through the
//! pattern-action rules (ranges included), END actions, exit status.

use super::ast::*;
use super::format::sprintf;
use super::interp::{err, Abort, Flow, Interp, Res};
use super::value::Value;

impl Interp<'_> {
    // ---- statements ------------------------------------------------------------------

    pub fn exec_block(&mut self, body: &[Stmt]) -> Res<Flow> {
        for s in body {
            match self.exec(s)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    pub(super) fn output(&mut self, redir: &Option<(RedirKind, Expr)>, data: &[u8]) -> Res<()> {
        match redir {
            None => {
                use std::io::Write;
                let out = &mut self.streams.stdout;
                let mut r = out.write_all(data);
                if self.streams.stdout_tty && r.is_ok() {
                    r = out.flush();
                }
                r.map_err(|e| Abort::Error(format!("write error: {}", crate::error::io_reason(&e))))
            }
            Some((kind, target)) => {
                let v = self.eval(target)?;
                let name = self.to_bytes(&v);
                self.streams.write(*kind, &name, data).map_err(Abort::Error)
            }
        }
    }

    pub(super) fn exec(&mut self, s: &Stmt) -> Res<Flow> {
        match s {
            Stmt::Expr(e) => {
                self.eval(e)?;
            }
            Stmt::Print(args, redir) => {
                let mut line = Vec::new();
                if args.is_empty() {
                    line.extend_from_slice(&self.record);
                } else {
                    for (i, a) in args.iter().enumerate() {
                        if i > 0 {
                            line.extend_from_slice(&self.ofs);
                        }
                        let v = self.eval(a)?;
                        line.extend_from_slice(&self.out_bytes(&v));
                    }
                }
                line.extend_from_slice(&self.ors);
                self.output(redir, &line)?;
            }
            Stmt::Printf(args, redir) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?);
                }
                let fmt = self.to_bytes(&vals[0]);
                let out = sprintf(&fmt, &vals[1..], &self.convfmt).map_err(Abort::Error)?;
                self.output(redir, &out)?;
            }
            Stmt::If(c, a, b) => {
                if self.eval(c)?.truth() {
                    return self.exec(a);
                } else if let Some(b) = b {
                    return self.exec(b);
                }
            }
            Stmt::While(c, body) => {
                while self.eval(c)?.truth() {
                    match self.exec(body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                }
            }
            Stmt::Do(body, c) => loop {
                match self.exec(body)? {
                    Flow::Break => break,
                    Flow::Return(v) => return Ok(Flow::Return(v)),
                    _ => {}
                }
                if !self.eval(c)?.truth() {
                    break;
                }
            },
            Stmt::For(init, cond, step, body) => {
                if let Some(i) = init {
                    self.exec(i)?;
                }
                loop {
                    if let Some(c) = cond {
                        if !self.eval(c)?.truth() {
                            break;
                        }
                    }
                    match self.exec(body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                    if let Some(s) = step {
                        self.exec(s)?;
                    }
                }
            }
            Stmt::ForIn(key, arr, body) => {
                let a = self.array(*arr)?;
                let keys: Vec<Vec<u8>> = a.borrow().keys().cloned().collect();
                for k in keys {
                    if !a.borrow().contains_key(&k) {
                        continue;
                    }
                    let p = self.place(key)?;
                    self.set_place(&p, Value::str(&k))?;
                    match self.exec(body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                }
            }
            Stmt::Block(b) => return self.exec_block(b),
            Stmt::Next => return Err(Abort::Next),
            Stmt::NextFile => return Err(Abort::NextFile),
            Stmt::Exit(e) => {
                if let Some(e) = e {
                    self.status = self.eval(e)?.num() as i32;
                }
                return Err(Abort::Exit(self.status));
            }
            Stmt::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(e)?,
                    None => Value::Uninit,
                };
                return Ok(Flow::Return(v));
            }
            Stmt::Break => return Ok(Flow::Break),
            Stmt::Continue => return Ok(Flow::Continue),
            Stmt::Delete(v, subs) => {
                let a = self.array(*v)?;
                match subs {
                    Some(subs) => {
                        let k = self.key(subs)?;
                        a.borrow_mut().remove(&k);
                    }
                    None => a.borrow_mut().clear(),
                }
            }
        }
        Ok(Flow::Normal)
    }

    // ---- the program -----------------------------------------------------------------

    pub(super) fn pattern_hit(&mut self, i: usize) -> Res<bool> {
        let rule = &self.prog.rules[i];
        match &rule.pattern {
            Pattern::All => Ok(true),
            Pattern::Begin | Pattern::End => Ok(false),
            Pattern::Expr(e) => Ok(self.eval(e)?.truth()),
            Pattern::Range(a, b) => {
                if !self.range_active[i] {
                    if !self.eval(a)?.truth() {
                        return Ok(false);
                    }
                    self.range_active[i] = true;
                }
                if self.eval(b)?.truth() {
                    self.range_active[i] = false;
                }
                Ok(true)
            }
        }
    }

    pub(super) fn run_rules(&mut self) -> Res<()> {
        for i in 0..self.prog.rules.len() {
            if !self.pattern_hit(i)? {
                continue;
            }
            match &self.prog.rules[i].action {
                Some(body) => {
                    self.exec_block(body)?;
                }
                None => {
                    let mut line = self.record.to_vec();
                    line.extend_from_slice(&self.ors);
                    self.output(&None, &line)?;
                }
            }
        }
        Ok(())
    }

    pub(super) fn run_special(&mut self, begin: bool) -> Res<()> {
        for rule in &self.prog.rules {
            let hit = matches!(
                (&rule.pattern, begin),
                (Pattern::Begin, true) | (Pattern::End, false)
            );
            if let (true, Some(body)) = (hit, &rule.action) {
                match self.exec_block(body) {
                    Err(Abort::Next) | Err(Abort::NextFile) => {
                        return err("next used in BEGIN or END");
                    }
                    other => {
                        other?;
                    }
                }
            }
        }
        Ok(())
    }

    /// BEGIN, the records, END; the exit status.
    pub fn run(&mut self) -> Result<i32, String> {
        let mut status = 0;
        let mut exiting = false;
        match self.run_special(true) {
            Ok(()) => {}
            Err(Abort::Exit(c)) => {
                status = c;
                exiting = true;
            }
            Err(Abort::Error(e)) => return Err(e),
            Err(_) => {}
        }
        let has_main = self
            .prog
            .rules
            .iter()
            .any(|r| !matches!(r.pattern, Pattern::Begin));
        if !exiting && has_main {
            loop {
                let rec = match self.next_main_record() {
                    Ok(Some(r)) => r,
                    Ok(None) => break,
                    Err(Abort::Error(e)) => return Err(e),
                    Err(_) => break,
                };
                self.set_record(&rec);
                self.bump(NR);
                self.bump(FNR);
                match self.run_rules() {
                    Ok(()) | Err(Abort::Next) => {}
                    Err(Abort::NextFile) => self.main.reader = None,
                    Err(Abort::Exit(c)) => {
                        status = c;
                        break;
                    }
                    Err(Abort::Error(e)) => return Err(e),
                }
            }
        }
        match self.run_special(false) {
            Ok(()) => {}
            Err(Abort::Exit(c)) => status = c,
            Err(Abort::Error(e)) => return Err(e),
            Err(_) => {}
        }
        Ok(status)
    }
}
