//! Word expansion (XCU §2.6): tilde, parameters, command substitution, arithmetic, field
//! splitting, pathname expansion and quote removal, done in one pass over the raw word.

use super::exec::{err, Ex, Flow, Shell};
use super::{arith, fdio, glob};

/// One field being built: its text, the same text as a pattern (quoted characters escaped),
/// whether it has unquoted glob characters, and whether it exists even if empty (quotes seen).
#[derive(Default)]
struct Field {
    text: String,
    pat: String,
    glob: bool,
    keep: bool,
}

#[derive(Default)]
struct Fields {
    done: Vec<Field>,
    cur: Field,
    split: bool,
    ifs: String,
    /// The last field ended on IFS white space; a following non-white delimiter joins it.
    after_ws: bool,
}

impl Fields {
    fn lit(&mut self, c: char, quoted: bool) {
        self.after_ws = false;
        self.cur.text.push(c);
        if quoted {
            if matches!(c, '*' | '?' | '[' | '\\' | ']') {
                self.cur.pat.push('\\');
            }
            self.cur.keep = true;
        } else if matches!(c, '*' | '?' | '[') {
            self.cur.glob = true;
        }
        self.cur.pat.push(c);
    }

    fn lits(&mut self, s: &str, quoted: bool) {
        for c in s.chars() {
            self.lit(c, quoted);
        }
    }

    /// Text produced by an unquoted expansion: subject to field splitting.
    fn expanded(&mut self, s: &str) {
        if !self.split {
            return self.lits(s, false);
        }
        for c in s.chars() {
            if !self.ifs.contains(c) {
                self.lit(c, false);
                continue;
            }
            let ws = matches!(c, ' ' | '\t' | '\n');
            if ws {
                if !self.cur.text.is_empty() || self.cur.keep {
                    self.finish();
                    self.after_ws = true;
                }
            } else if self.after_ws {
                self.after_ws = false;
            } else {
                self.finish();
            }
        }
    }

    fn finish(&mut self) {
        let f = std::mem::take(&mut self.cur);
        self.done.push(f);
    }
}

/// Flavours of double-quote context.
#[derive(Clone, Copy, PartialEq)]
enum Dq {
    Quoted,
    HereDoc,
    /// The word of `${x-word}` inside double quotes.
    Braced,
}

fn find_close(s: &[char], mut i: usize, open: char, close: char) -> usize {
    let mut depth = 1;
    while i < s.len() {
        match s[i] {
            '\\' => i += 1,
            '\'' if open != '"' => {
                i += 1;
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
            }
            '"' if open != '"' => i = find_close(s, i + 1, '"', '"'),
            '`' => {
                i += 1;
                while i < s.len() && s[i] != '`' {
                    if s[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            '$' if s.get(i + 1) == Some(&'(') && s.get(i + 2) != Some(&'(') => {
                i = super::parser::subst_end(s, i + 2).saturating_sub(1);
            }
            '$' if matches!(s.get(i + 1), Some('(' | '{')) => {
                let (o, c) = if s[i + 1] == '(' {
                    ('(', ')')
                } else {
                    ('{', '}')
                };
                i = find_close(s, i + 2, o, c);
            }
            c if c == close => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            c if c == open => depth += 1,
            _ => {}
        }
        i += 1;
    }
    s.len()
}

fn special_param(c: char) -> bool {
    matches!(c, '@' | '*' | '#' | '?' | '$' | '!' | '-' | '0')
}

impl Shell {
    /// A command word: zero or more fields after splitting and globbing.
    pub fn expand_fields(&mut self, word: &str) -> Result<Vec<String>, Flow> {
        let mut f = Fields {
            split: true,
            ifs: self.ifs(),
            ..Default::default()
        };
        let s: Vec<char> = word.chars().collect();
        self.word(&mut f, &s, false, true)?;
        if !f.cur.text.is_empty() || f.cur.keep {
            f.finish();
        }
        let mut out = Vec::new();
        let cwd = std::path::PathBuf::from(".");
        for field in f.done {
            if field.glob && !self.noglob {
                let found = glob::expand_path(&cwd, &field.pat);
                if !found.is_empty() {
                    out.extend(found);
                    continue;
                }
            }
            out.push(field.text);
        }
        Ok(out)
    }

    /// One string, no splitting or globbing (assignments, redirection targets, `case` subject).
    pub fn expand_single(&mut self, word: &str) -> Result<String, Flow> {
        let mut f = Fields::default();
        let s: Vec<char> = word.chars().collect();
        self.word(&mut f, &s, false, true)?;
        Ok(f.cur.text)
    }

    /// An assignment value: like `expand_single`, and `~` also after `:`.
    pub fn expand_assign(&mut self, word: &str) -> Result<String, Flow> {
        self.expand_single(word)
    }

    /// A pattern for `case` or `${x#…}`: quoted characters come back escaped.
    pub fn expand_pattern(&mut self, word: &str) -> Result<String, Flow> {
        let mut f = Fields::default();
        let s: Vec<char> = word.chars().collect();
        self.word(&mut f, &s, false, true)?;
        Ok(f.cur.pat)
    }

    /// A here-document body: parameters, substitutions and `\` before `$ \` \\ newline`.
    pub fn expand_heredoc(&mut self, body: &str) -> Result<String, Flow> {
        let mut f = Fields::default();
        let s: Vec<char> = body.chars().collect();
        self.word_dq(&mut f, &s, Dq::HereDoc)?;
        Ok(f.cur.text)
    }

    fn word(&mut self, f: &mut Fields, s: &[char], dq: bool, at_start: bool) -> Result<(), Flow> {
        if dq {
            return self.word_dq(f, s, Dq::Braced);
        }
        let mut i = 0;
        if at_start && s.first() == Some(&'~') {
            let end = s.iter().position(|&c| c == '/').unwrap_or(s.len());
            let user: String = s[1..end].iter().collect();
            if user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
            {
                if let Some(home) = self.home_of(&user) {
                    f.lits(&home, true);
                    i = end;
                }
            }
        }
        while i < s.len() {
            let c = s[i];
            match c {
                '\\' => {
                    match s.get(i + 1) {
                        Some('\n') => {}
                        Some(&n) => f.lit(n, true),
                        None => f.lit('\\', false),
                    }
                    i += 2;
                }
                '\'' => {
                    let end = s[i + 1..]
                        .iter()
                        .position(|&c| c == '\'')
                        .map_or(s.len(), |p| i + 1 + p);
                    f.cur.keep = true;
                    for &ch in &s[i + 1..end] {
                        f.lit(ch, true);
                    }
                    i = end + 1;
                }
                '"' => {
                    let end = find_close(s, i + 1, '"', '"');
                    let inner = &s[i + 1..end.min(s.len())];
                    let only_at =
                        matches!(inner.iter().collect::<String>().as_str(), "$@" | "${@}");
                    if !(only_at && self.params.is_empty()) {
                        f.cur.keep = true;
                    }
                    f.after_ws = false;
                    self.word_dq(f, inner, Dq::Quoted)?;
                    i = end + 1;
                }
                '$' | '`' => i = self.dollar(f, s, i, false)?,
                _ => {
                    f.lit(c, false);
                    i += 1;
                }
            }
        }
        Ok(())
    }

    fn word_dq(&mut self, f: &mut Fields, s: &[char], mode: Dq) -> Result<(), Flow> {
        let heredoc = mode == Dq::HereDoc;
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                '\\' => {
                    match s.get(i + 1) {
                        Some('\n') => {}
                        Some(&n) if matches!(n, '$' | '`' | '\\') || (n == '"' && !heredoc) => {
                            f.lit(n, true)
                        }
                        Some(&n) => {
                            f.lit('\\', true);
                            f.lit(n, true);
                        }
                        None => f.lit('\\', true),
                    }
                    i += 2;
                }
                '$' | '`' => i = self.dollar(f, s, i, true)?,
                // `"${x-"a b"}"`: the inner quotes only group.
                '"' if mode == Dq::Braced => i += 1,
                c => {
                    f.lit(c, true);
                    i += 1;
                }
            }
        }
        Ok(())
    }

    /// Expand the `$…` or `` `…` `` at `s[i]`; returns the index after it.
    fn dollar(&mut self, f: &mut Fields, s: &[char], i: usize, dq: bool) -> Result<usize, Flow> {
        if s[i] == '`' {
            let mut j = i + 1;
            let mut cmd = String::new();
            while j < s.len() && s[j] != '`' {
                if s[j] == '\\' && matches!(s.get(j + 1), Some('$' | '`' | '\\')) {
                    j += 1;
                }
                cmd.push(s[j]);
                j += 1;
            }
            let out = self.command_subst(&cmd)?;
            self.put(f, &out, dq);
            return Ok(j + 1);
        }
        match s.get(i + 1) {
            Some('(') if s.get(i + 2) == Some(&'(') => {
                let end = find_close(s, i + 2, '(', ')');
                // `$((…))`: the inner text ends one `)` before the outer one.
                let close = find_close(s, i + 3, '(', ')');
                if close + 1 == end {
                    let inner: String = s[i + 3..close].iter().collect();
                    let text = self.expand_single(&format!("\"{}\"", inner.replace('"', "")))?;
                    let v = match arith::eval(&text, self) {
                        Ok(v) => v,
                        Err(e) => {
                            err(&format!("arithmetic: {e}"));
                            return Err(self.abort(2));
                        }
                    };
                    self.put(f, &v.to_string(), dq);
                    return Ok(end + 1);
                }
                let cmd: String = s[i + 2..end.min(s.len())].iter().collect();
                let out = self.command_subst(&cmd)?;
                self.put(f, &out, dq);
                Ok(end + 1)
            }
            Some('(') => {
                let end = super::parser::subst_end(s, i + 2).saturating_sub(1);
                let cmd: String = s[i + 2..end.min(s.len())].iter().collect();
                let out = self.command_subst(&cmd)?;
                self.put(f, &out, dq);
                Ok(end + 1)
            }
            Some('{') => {
                let end = find_close(s, i + 2, '{', '}');
                let inner = &s[i + 2..end.min(s.len())];
                self.braced(f, inner, dq)?;
                Ok(end + 1)
            }
            Some(&c) if special_param(c) || c.is_ascii_digit() => {
                self.param(f, &c.to_string(), dq)?;
                Ok(i + 2)
            }
            Some(&c) if c == '_' || c.is_ascii_alphabetic() => {
                let mut j = i + 1;
                while j < s.len() && (s[j] == '_' || s[j].is_ascii_alphanumeric()) {
                    j += 1;
                }
                let name: String = s[i + 1..j].iter().collect();
                self.param(f, &name, dq)?;
                Ok(j)
            }
            _ => {
                f.lit('$', dq);
                Ok(i + 1)
            }
        }
    }

    pub fn abort(&self, st: i32) -> Flow {
        if self.interactive {
            Flow::Fail(st)
        } else {
            Flow::Abort(st)
        }
    }

    fn put(&mut self, f: &mut Fields, v: &str, dq: bool) {
        if dq {
            f.lits(v, true);
        } else {
            f.expanded(v);
        }
    }

    /// The value of a parameter, `None` if unset. `$@`/`$*` come joined by spaces.
    pub fn param_value(&self, name: &str) -> Option<String> {
        match name {
            "@" | "*" => Some(self.params.join(" ")),
            "#" => Some(self.params.len().to_string()),
            "?" => Some(self.status.to_string()),
            "$" => Some(self.pid.to_string()),
            "!" => self.last_bg.map(|p| p.to_string()),
            "-" => {
                let mut o = String::new();
                for (on, c) in [
                    (self.errexit, 'e'),
                    (self.noglob, 'f'),
                    (self.interactive, 'i'),
                    (self.nounset, 'u'),
                    (self.xtrace, 'x'),
                ] {
                    if on {
                        o.push(c);
                    }
                }
                Some(o)
            }
            "0" => Some(self.arg0.clone()),
            n if n.bytes().all(|b| b.is_ascii_digit()) => {
                let k: usize = n.parse().ok()?;
                self.params.get(k.checked_sub(1)?).cloned()
            }
            n => self.get(n),
        }
    }

    fn param(&mut self, f: &mut Fields, name: &str, dq: bool) -> Result<(), Flow> {
        if name == "@" && !f.split {
            // No fields to make (assignments, `case`): joined by spaces like `$*`.
            f.lits(&self.params.join(" "), dq);
            return Ok(());
        }
        if name == "@" || (name == "*" && !dq) {
            let params = self.params.clone();
            for (k, p) in params.iter().enumerate() {
                if k > 0 {
                    if dq {
                        f.finish();
                    } else {
                        f.expanded(" ");
                    }
                }
                self.put(f, p, dq);
                if dq {
                    f.cur.keep = true;
                }
            }
            return Ok(());
        }
        if name == "*" {
            let sep = self
                .ifs()
                .chars()
                .next()
                .map(String::from)
                .unwrap_or_default();
            let v = self.params.join(&sep);
            f.lits(&v, true);
            return Ok(());
        }
        match self.param_value(name) {
            Some(v) => self.put(f, &v, dq),
            None if self.nounset => {
                err(&format!("{name}: parameter not set"));
                return Err(self.abort(2));
            }
            None => {}
        }
        Ok(())
    }

    fn braced(&mut self, f: &mut Fields, inner: &[char], dq: bool) -> Result<(), Flow> {
        let text: String = inner.iter().collect();
        if let Some(n) = text.strip_prefix('#') {
            if !n.is_empty() {
                let len = self.param_value(n).map_or(0, |v| v.chars().count());
                self.put(f, &len.to_string(), dq);
                return Ok(());
            }
        }
        let name_len = match inner.first() {
            Some(&c) if special_param(c) => 1,
            Some(c) if c.is_ascii_digit() => {
                inner.iter().take_while(|c| c.is_ascii_digit()).count()
            }
            _ => inner
                .iter()
                .take_while(|c| **c == '_' || c.is_ascii_alphanumeric())
                .count(),
        };
        if name_len == 0 {
            err(&format!("${{{text}}}: bad substitution"));
            return Err(self.abort(2));
        }
        let name: String = inner[..name_len].iter().collect();
        let rest = &inner[name_len..];
        if rest.is_empty() {
            return self.param(f, &name, dq);
        }
        let colon = rest[0] == ':';
        let op_at = usize::from(colon);
        let Some(&op) = rest.get(op_at) else {
            err(&format!("${{{text}}}: bad substitution"));
            return Err(self.abort(2));
        };
        let val = self.param_value(&name);
        let missing = match &val {
            None => true,
            Some(v) => colon && v.is_empty(),
        };
        let word = &rest[op_at + 1..];
        match op {
            '-' | '=' | '?' | '+' => {
                let use_word = if op == '+' { !missing } else { missing };
                if !use_word {
                    if op != '+' {
                        self.param(f, &name, dq)?;
                    }
                    return Ok(());
                }
                match op {
                    '=' => {
                        let v = self.expand_single(&word.iter().collect::<String>())?;
                        if !super::parser::is_name(&name) {
                            err(&format!("{name}: bad variable name"));
                            return Err(self.abort(2));
                        }
                        self.set(&name, v.clone());
                        self.put(f, &v, dq);
                    }
                    '?' => {
                        let msg = self.expand_single(&word.iter().collect::<String>())?;
                        let msg = if msg.is_empty() {
                            "parameter not set".to_string()
                        } else {
                            msg
                        };
                        err(&format!("{name}: {msg}"));
                        return Err(self.abort(2));
                    }
                    _ => self.word(f, word, dq, false)?,
                }
                Ok(())
            }
            '#' | '%' if !colon => {
                let longest = word.first() == Some(&op);
                let pw: String = word[usize::from(longest)..].iter().collect();
                let pat = self.expand_pattern(&pw)?;
                let v = val.unwrap_or_default();
                let chars: Vec<char> = v.chars().collect();
                let cut = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
                let n = chars.len();
                let mut result = v.clone();
                let cands: Vec<usize> = if longest {
                    (0..=n).rev().collect()
                } else {
                    (0..=n).collect()
                };
                for k in cands {
                    let (piece, rest) = if op == '#' {
                        (cut(0, k), cut(k, n))
                    } else {
                        (cut(n - k, n), cut(0, n - k))
                    };
                    if glob::matches(&pat, &piece) {
                        result = rest;
                        break;
                    }
                }
                self.put(f, &result, dq);
                Ok(())
            }
            _ => {
                err(&format!("${{{text}}}: bad substitution"));
                Err(self.abort(2))
            }
        }
    }

    fn home_of(&self, user: &str) -> Option<String> {
        if user.is_empty() {
            return self.get("HOME");
        }
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 5 && f[0] == user).then(|| f[5].to_string())
        })
    }

    /// `$(cmd)`: run `cmd` in a child with stdout on a pipe; trailing newlines are removed.
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
            let r: Ex = match super::parser::parse_all(cmd) {
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
        let out = fdio::read_all(r);
        fdio::close(r);
        if let Some(pid) = pid {
            let st = self.wait_fg(pid);
            self.status = st;
            self.subst_status = Some(st);
        }
        let mut s = String::from_utf8_lossy(&out).into_owned();
        while s.ends_with('\n') {
            s.pop();
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell() -> Shell {
        let mut sh = Shell::new("sh".into(), vec!["a b".into(), "c".into()]);
        sh.set("x", "hello world".into());
        sh.set("e", String::new());
        sh.set("p", "/usr/lib/libc.so.6".into());
        sh.set("HOME", "/root".into());
        sh
    }

    #[test]
    fn fields_table() {
        let cases: &[(&str, &[&str])] = &[
            ("plain", &["plain"]),
            ("'a b'", &["a b"]),
            ("\"a b\"", &["a b"]),
            ("a\\ b", &["a b"]),
            ("$x", &["hello", "world"]),
            ("\"$x\"", &["hello world"]),
            ("$e", &[]),
            ("\"$e\"", &[""]),
            ("''", &[""]),
            ("$@", &["a", "b", "c"]),
            ("\"$@\"", &["a b", "c"]),
            ("\"x$@y\"", &["xa b", "cy"]),
            ("\"$*\"", &["a b c"]),
            ("$#", &["2"]),
            ("${1}", &["a", "b"]),
            ("${nope:-def}", &["def"]),
            ("${e:-def}", &["def"]),
            ("${e-def}", &[]),
            ("${x:+set}", &["set"]),
            ("${nope:+set}", &[]),
            ("${#x}", &["11"]),
            ("${p##*/}", &["libc.so.6"]),
            ("${p#*/}", &["usr/lib/libc.so.6"]),
            ("${p%.*}", &["/usr/lib/libc.so"]),
            ("${p%%.*}", &["/usr/lib/libc"]),
            ("~", &["/root"]),
            ("~/x", &["/root/x"]),
            ("'~'", &["~"]),
            ("$((1 + 2 * 3))", &["7"]),
            ("$(( x_n = 4 ))", &["4"]),
            ("a$", &["a$"]),
            ("\"\\$x \\a\"", &["$x \\a"]),
            ("${nope:-\"a b\"}", &["a b"]),
        ];
        for (w, want) in cases {
            let mut sh = shell();
            let got = sh.expand_fields(w).unwrap_or_else(|_| panic!("{w}"));
            assert_eq!(got, *want, "{w}");
        }
    }

    #[test]
    fn pattern_escapes_quoted_chars() {
        let mut sh = shell();
        assert_eq!(sh.expand_pattern("'*'a*").ok(), Some("\\*a*".to_string()));
        assert_eq!(
            sh.expand_heredoc("$x \"q\" \\$ `echo hi`\n").ok(),
            Some("hello world \"q\" $ hi\n".to_string())
        );
    }
}
