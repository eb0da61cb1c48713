//! Parameter expansion (XCU §2.5.2 special parameters, §2.6.2 `${…}` forms).

use super::super::exec::{err, Flow, Shell};
use super::super::{glob, options};
use super::{Ctx, Dq, Fields};

/// The letters of `$-` in the order dash shows them (its option table read backwards), so
/// that scripts comparing `$-` see the same text; `i` stands for the interactive shell, `s`
/// for commands read from standard input.
const DASH_ORDER: &str = "ubaCvxsnmife";

pub(super) fn is_special(c: char) -> bool {
    matches!(c, '@' | '*' | '#' | '?' | '$' | '!' | '-' | '0')
}

fn bad_subst(sh: &Shell, text: &str) -> Flow {
    err(&format!("${{{text}}}: bad substitution"));
    sh.abort(2)
}

impl Shell {
    /// The set options' letters, as `$-` expands.
    pub fn option_letters(&mut self) -> String {
        let mut o = String::new();
        for c in DASH_ORDER.chars() {
            let on = match c {
                'i' => self.interactive,
                's' => self.from_stdin,
                _ => options::by_letter(c).is_some_and(|opt| *(opt.flag)(self)),
            };
            if on {
                o.push(c);
            }
        }
        // Letters dash does not have come after, in the table's order.
        for opt in options::OPTIONS {
            if opt.letter != ' ' && !DASH_ORDER.contains(opt.letter) && *(opt.flag)(self) {
                o.push(opt.letter);
            }
        }
        o
    }

    /// The value of a parameter, `None` if unset. `$@`/`$*` come joined by spaces.
    pub fn param_value(&mut self, name: &str) -> Option<String> {
        match name {
            "@" | "*" => Some(self.params.join(" ")),
            "#" => Some(self.params.len().to_string()),
            "?" => Some(self.status.to_string()),
            "$" => Some(self.pid.to_string()),
            "!" => self.last_bg.map(|p| p.to_string()),
            "-" => Some(self.option_letters()),
            "0" => Some(self.arg0.clone()),
            n if n.bytes().all(|b| b.is_ascii_digit()) => {
                let k: usize = n.parse().ok()?;
                self.params.get(k.checked_sub(1)?).cloned()
            }
            n => self.get(n),
        }
    }

    /// `$@` and `$*` outside a field-making context (assignments, `case`, redirections) and
    /// `"$*"`: the parameters joined by the first character of IFS (space when IFS is unset).
    fn joined_params(&self) -> String {
        let sep = self
            .ifs()
            .chars()
            .next()
            .map(String::from)
            .unwrap_or_default();
        self.params.join(&sep)
    }

    /// A parameter's value, or the `set -u` error for an unset one (XCU §2.6.2: `$@` and
    /// `$*` are never unset).
    fn param_or_unset(&mut self, name: &str) -> Result<Option<String>, Flow> {
        match self.param_value(name) {
            None if self.nounset && !matches!(name, "@" | "*") => {
                err(&format!("{name}: parameter not set"));
                Err(self.abort(2))
            }
            v => Ok(v),
        }
    }

    pub(super) fn param(&mut self, f: &mut Fields, name: &str, dq: bool) -> Result<(), Flow> {
        if name == "@" || name == "*" {
            if !f.split || (dq && name == "*") {
                let v = self.joined_params();
                f.content = true;
                f.lits(&v, dq);
                return Ok(());
            }
            let params = self.params.clone();
            for (k, p) in params.iter().enumerate() {
                if dq {
                    if k > 0 {
                        f.finish();
                    }
                    f.lits(p, true);
                    f.cur.keep = true;
                } else {
                    if k > 0 {
                        f.param_break();
                    }
                    f.expanded(p, k == 0);
                }
            }
            return Ok(());
        }
        if let Some(v) = self.param_or_unset(name)? {
            self.put(f, &v, dq);
        }
        Ok(())
    }

    /// `${…}`: `inner` is the text between the braces.
    pub(super) fn braced(&mut self, f: &mut Fields, inner: &[char], dq: bool) -> Result<(), Flow> {
        let text: String = inner.iter().collect();
        f.content = true;
        if let Some(n) = text.strip_prefix('#') {
            // `${#name}` is the length; `${#}` is `$#` and `${#-…}`, `${#%…}` act on `$#`.
            let is_param = super::super::parser::is_name(n)
                || (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                || (n.chars().count() == 1 && n.chars().all(is_special));
            if is_param {
                let len = match n {
                    "@" | "*" => self.params.join(" ").chars().count(),
                    _ => self.param_or_unset(n)?.map_or(0, |v| v.chars().count()),
                };
                self.put(f, &len.to_string(), dq);
                return Ok(());
            }
        }
        let name_len = match inner.first() {
            Some(&c) if is_special(c) => 1,
            Some(c) if c.is_ascii_digit() => {
                inner.iter().take_while(|c| c.is_ascii_digit()).count()
            }
            _ => inner
                .iter()
                .take_while(|c| **c == '_' || c.is_ascii_alphanumeric())
                .count(),
        };
        if name_len == 0 {
            return Err(bad_subst(self, &text));
        }
        let name: String = inner[..name_len].iter().collect();
        let rest = &inner[name_len..];
        if rest.is_empty() {
            return self.param(f, &name, dq);
        }
        let colon = rest[0] == ':';
        let op_at = usize::from(colon);
        let Some(&op) = rest.get(op_at) else {
            return Err(bad_subst(self, &text));
        };
        let word = &rest[op_at + 1..];
        match op {
            '-' | '=' | '?' | '+' => {
                let val = self.param_value(&name);
                let missing = match &val {
                    None => true,
                    Some(v) => colon && v.is_empty(),
                };
                let use_word = if op == '+' { !missing } else { missing };
                if !use_word {
                    if op != '+' {
                        self.param(f, &name, dq)?;
                    }
                    return Ok(());
                }
                let raw: String = word.iter().collect();
                match op {
                    '=' => {
                        if !super::super::parser::is_name(&name) {
                            err(&format!("{name}: bad variable name"));
                            return Err(self.abort(2));
                        }
                        let v = if dq {
                            let mut g = Fields::default();
                            self.word_dq(&mut g, word, Dq::Braced)?;
                            g.cur.text
                        } else {
                            self.expand_single(&raw)?
                        };
                        if let Err(e) = self.try_set(&name, v.clone()) {
                            err(&e);
                            return Err(self.abort(2));
                        }
                        self.put(f, &v, dq);
                    }
                    '?' => {
                        let msg = self.expand_single(&raw)?;
                        let msg = if msg.is_empty() {
                            "parameter not set".to_string()
                        } else {
                            msg
                        };
                        err(&format!("{name}: {msg}"));
                        return Err(self.abort(2));
                    }
                    _ if dq => self.word_dq(f, word, Dq::Braced)?,
                    _ if f.assign => self.word(f, word, Ctx::Assign)?,
                    _ => self.word(f, word, Ctx::Braced)?,
                }
                Ok(())
            }
            '#' | '%' if !colon => {
                let longest = word.first() == Some(&op);
                let pw: String = word[usize::from(longest)..].iter().collect();
                let v = self.param_or_unset(&name)?.unwrap_or_default();
                let pat = self.expand_pattern(&pw)?;
                let result = strip(&v, &pat, op == '#', longest);
                self.put(f, &result, dq);
                Ok(())
            }
            _ => Err(bad_subst(self, &text)),
        }
    }
}

/// `${v#pat}`, `${v##pat}`, `${v%pat}`, `${v%%pat}`: `v` without the shortest or longest
/// prefix (`front`) or suffix matching `pat`; unchanged when none matches.
fn strip(v: &str, pat: &str, front: bool, longest: bool) -> String {
    let chars: Vec<char> = v.chars().collect();
    let pat: Vec<char> = pat.chars().collect();
    let n = chars.len();
    let try_len = |k: usize| {
        let (piece, rest) = if front {
            (&chars[..k], &chars[k..])
        } else {
            (&chars[n - k..], &chars[..n - k])
        };
        glob::matches_chars(&pat, piece).then(|| rest.iter().collect::<String>())
    };
    let found = if longest {
        (0..=n).rev().find_map(try_len)
    } else {
        (0..=n).find_map(try_len)
    };
    found.unwrap_or_else(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_table() {
        let cases = [
            ("/usr/lib/x.tar.gz", "*/", true, false, "usr/lib/x.tar.gz"),
            ("/usr/lib/x.tar.gz", "*/", true, true, "x.tar.gz"),
            ("/usr/lib/x.tar.gz", ".*", false, false, "/usr/lib/x.tar"),
            ("/usr/lib/x.tar.gz", ".*", false, true, "/usr/lib/x"),
            ("aaa", "a", true, false, "aa"),
            ("aaa", "a*", true, true, ""),
            ("abc", "x", true, false, "abc"),
            ("abc", "", false, false, "abc"),
            ("a*b", "\\*b", false, false, "a"),
        ];
        for (v, pat, front, longest, want) in cases {
            assert_eq!(strip(v, pat, front, longest), want, "{v} {pat}");
        }
    }

    #[test]
    fn option_letters_in_dash_order() {
        let mut sh = Shell::new("sh".into(), vec![]);
        assert_eq!(sh.option_letters(), "");
        sh.errexit = true;
        sh.noglob = true;
        sh.nounset = true;
        sh.allexport = true;
        sh.noclobber = true;
        assert_eq!(sh.option_letters(), "uaCfe");
        sh.from_stdin = true;
        sh.xtrace = true;
        assert_eq!(sh.option_letters(), "uaCxsfe");
    }
}
