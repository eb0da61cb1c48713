//! The `$` and `` ` `` forms of a word: command substitution (XCU §2.6.3), arithmetic
//! expansion (§2.6.4) and the dispatch to parameter expansion.

use super::super::exec::{err, Ex, Flow, Shell};
use super::super::{arith, fdio, parser};
use super::{find_close, Fields};

/// The command inside `` `…` ``: a backslash is removed before `$`, `` ` ``, `\` and, inside
/// double quotes, `"` (XCU §2.6.3). Returns the command and the index after the closing quote.
fn backquoted(s: &[char], start: usize, dq: bool) -> (String, usize) {
    let mut j = start;
    let mut cmd = String::new();
    while j < s.len() && s[j] != '`' {
        if s[j] == '\\' {
            if let Some(&n) = s.get(j + 1) {
                if matches!(n, '$' | '`' | '\\') || (dq && n == '"') {
                    j += 1;
                } else {
                    cmd.push('\\');
                    j += 1;
                }
            }
        }
        if let Some(&c) = s.get(j) {
            cmd.push(c);
        }
        j += 1;
    }
    (cmd, j + 1)
}

/// A parameter name at `s[i]` (after the `$`): its length, 0 if none.
fn name_len(s: &[char], i: usize) -> usize {
    match s.get(i) {
        Some(&c) if c == '_' || c.is_ascii_alphabetic() => s[i..]
            .iter()
            .take_while(|c| **c == '_' || c.is_ascii_alphanumeric())
            .count(),
        _ => 0,
    }
}

/// The shell's variables as arithmetic sees them: an assignment to a read-only variable is
/// refused and remembered, so the expansion fails once the expression is done.
struct ArithShell<'a> {
    sh: &'a mut Shell,
    refused: Option<String>,
}

impl arith::ArithVars for ArithShell<'_> {
    fn get_var(&self, name: &str) -> Option<String> {
        self.sh.get(name)
    }

    fn set_var(&mut self, name: &str, value: String) {
        if let Err(e) = self.sh.try_set(name, value) {
            self.refused.get_or_insert(e);
        }
    }
}

impl Shell {
    /// Expand the `$…` or `` `…` `` at `s[i]`; returns the index after it.
    pub(super) fn dollar(
        &mut self,
        f: &mut Fields,
        s: &[char],
        i: usize,
        dq: bool,
    ) -> Result<usize, Flow> {
        if s[i] == '`' {
            let (cmd, next) = backquoted(s, i + 1, dq);
            let out = self.command_subst(&cmd)?;
            self.put(f, &out, dq);
            return Ok(next);
        }
        match s.get(i + 1) {
            Some('(') if s.get(i + 2) == Some(&'(') => {
                let end = find_close(s, i + 2, '(', ')');
                // `$((…))`: the inner text ends one `)` before the outer one.
                let close = find_close(s, i + 3, '(', ')');
                if close + 1 == end {
                    let inner: String = s[i + 3..close].iter().collect();
                    let v = self.arith_subst(&inner)?;
                    self.put(f, &v.to_string(), dq);
                    return Ok(end + 1);
                }
                let cmd: String = s[i + 2..end.min(s.len())].iter().collect();
                let out = self.command_subst(&cmd)?;
                self.put(f, &out, dq);
                Ok(end + 1)
            }
            Some('(') => {
                let end = parser::subst_end(s, i + 2).saturating_sub(1);
                let cmd: String = s[i + 2..end.min(s.len())].iter().collect();
                let out = self.command_subst(&cmd)?;
                self.put(f, &out, dq);
                Ok(end + 1)
            }
            Some('{') => {
                let end = find_close(s, i + 2, '{', '}');
                let inner = &s[i + 2..end.min(s.len())];
                if inner == ['@'] {
                    self.param(f, "@", dq)?;
                } else {
                    self.braced(f, inner, dq)?;
                }
                Ok(end + 1)
            }
            Some(&c) if super::param::is_special(c) || c.is_ascii_digit() => {
                if c != '@' {
                    f.content = true;
                }
                self.param(f, &c.to_string(), dq)?;
                Ok(i + 2)
            }
            Some(_) if name_len(s, i + 1) > 0 => {
                let j = i + 1 + name_len(s, i + 1);
                let name: String = s[i + 1..j].iter().collect();
                f.content = true;
                self.param(f, &name, dq)?;
                Ok(j)
            }
            _ => {
                f.lit('$', dq);
                Ok(i + 1)
            }
        }
    }

    /// `$((expr))`: parameters and substitutions in `expr` are expanded first, as inside
    /// double quotes; an error ends a non-interactive shell with status 2.
    fn arith_subst(&mut self, inner: &str) -> Result<i64, Flow> {
        let mut g = Fields::default();
        // A `"` inside the expression is an ordinary character (XCU §2.6.4).
        let s: Vec<char> = inner.chars().collect();
        self.word_dq(&mut g, &s, super::Dq::Quoted)?;
        let mut vars = ArithShell {
            sh: self,
            refused: None,
        };
        let r = arith::eval(&g.cur.text, &mut vars);
        if let Some(e) = vars.refused {
            err(&e);
            return Err(self.abort(2));
        }
        match r {
            Ok(v) => Ok(v),
            Err(e) => {
                err(&format!("arithmetic: {e}"));
                Err(self.abort(2))
            }
        }
    }

    /// `$(cmd)`: run `cmd` in a child with stdout on a pipe. NUL bytes and trailing newlines
    /// are removed. `$?` is left alone: a command made only of assignments takes the
    /// substitution's status from `subst_status`.
    pub fn command_subst(&mut self, cmd: &str) -> Result<String, Flow> {
        let (r, w) = match fdio::pipe() {
            Ok(p) => p,
            Err(e) => {
                err(&format!("pipe: {}", e.desc()));
                return Err(self.abort(2));
            }
        };
        let pid = self.fork_child(false, |sh| {
            fdio::close(r);
            fdio::move_to(w, 1);
            let r: Ex = match parser::parse_all_with(cmd, &sh.parsed_aliases) {
                Ok(cmds) if cmds.len() == 1 => Ok(sh.child_run(&cmds[0])),
                Ok(cmds) => {
                    let mut st = Ok(0);
                    for c in &cmds {
                        st = sh.exec(c);
                        if st.is_err() {
                            break;
                        }
                    }
                    st
                }
                Err(e) => {
                    err(&e.to_string());
                    Ok(2)
                }
            };
            match r {
                Ok(st) => st,
                Err(Flow::Exit(st) | Flow::Abort(st) | Flow::Return(st) | Flow::Fail(st)) => st,
                Err(_) => sh.status,
            }
        });
        fdio::close(w);
        let mut out = fdio::read_all(r);
        fdio::close(r);
        if let Some(pid) = pid {
            let st = self.wait_fg(pid);
            self.subst_status = Some(st);
        }
        out.retain(|&b| b != 0);
        while out.last() == Some(&b'\n') {
            out.pop();
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backquoted_table() {
        let cases = [
            ("echo a`", false, "echo a"),
            ("echo \\$x`", false, "echo $x"),
            ("echo \\\\`", false, "echo \\"),
            ("echo \\\"q\\\"`", false, "echo \\\"q\\\""),
            ("echo \\\"q\\\"`", true, "echo \"q\""),
            ("echo \\`echo in\\``", false, "echo `echo in`"),
            ("echo \\a`", false, "echo \\a"),
        ];
        for (src, dq, want) in cases {
            let s: Vec<char> = src.chars().collect();
            let (cmd, next) = backquoted(&s, 0, dq);
            assert_eq!(cmd, want, "{src}");
            assert_eq!(next, s.len(), "{src}");
        }
    }
}
