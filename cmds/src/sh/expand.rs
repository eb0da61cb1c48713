//! Word expansion (XCU §2.6): tilde, parameters, command substitution, arithmetic, field
//! splitting, pathname expansion and quote removal, done in one pass over the raw word.
//! Parameters live in expand_param.rs, command substitution and `$((…))` in expand_subst.rs.

use super::exec::{Flow, Shell};
use super::glob;

#[path = "expand_param.rs"]
mod param;
#[path = "expand_subst.rs"]
mod subst;

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
    /// Field splitting applies (command words); otherwise one string comes out.
    split: bool,
    ifs: String,
    /// The last field ended on IFS white space: a following non-white delimiter joins it
    /// instead of making an empty field (XCU §2.6.5 rule 3b).
    after_ws: bool,
    /// Something other than `$@` was expanded or written: a quoted `"$@"` with no
    /// positional parameters makes no field, but `"$e$@"` or `"x$@"` make one.
    content: bool,
    /// An assignment value: the words of `${x-word}` in it also expand `~` after `:`.
    assign: bool,
}

impl Fields {
    fn lit(&mut self, c: char, quoted: bool) {
        self.after_ws = false;
        self.content = true;
        self.cur.text.push(c);
        if quoted {
            // `!`, `^` and `-` too: `["!"a]` and `[a"-"c]` hold them literally.
            if matches!(c, '*' | '?' | '[' | '\\' | ']' | '!' | '^' | '-') {
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

    /// Text produced by an unquoted expansion: subject to field splitting. `fresh` starts a
    /// new expansion, whose leading non-white IFS character always delimits.
    fn expanded(&mut self, s: &str, fresh: bool) {
        self.content = true;
        if !self.split {
            return self.lits(s, false);
        }
        if fresh {
            self.after_ws = false;
        }
        for c in s.chars() {
            if !self.ifs.contains(c) {
                self.lit(c, false);
                continue;
            }
            if matches!(c, ' ' | '\t' | '\n') {
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

    /// The boundary between two positional parameters of an unquoted `$@` or `$*`: it ends a
    /// field like IFS white space would, even when IFS is empty.
    fn param_break(&mut self) {
        if !self.cur.text.is_empty() || self.cur.keep {
            self.finish();
            self.after_ws = true;
        }
    }

    fn finish(&mut self) {
        let f = std::mem::take(&mut self.cur);
        self.done.push(f);
    }
}

/// Where an unquoted word is: what tilde expansion and field splitting do with it.
#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    /// A command word, redirection target, `case` word or pattern.
    Word,
    /// The word of `${x-word}` outside double quotes: its unquoted characters are split.
    Braced,
    /// An assignment value: `~` also after each unquoted `:` (XCU §2.6.1).
    Assign,
}

/// Flavours of double-quote context.
#[derive(Clone, Copy, PartialEq)]
enum Dq {
    Quoted,
    HereDoc,
    /// The word of `${x-word}` inside double quotes.
    Braced,
}

/// The index of the `close` that ends a construct opened just before `s[i]`.
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

/// The user name of a tilde prefix `s[1..end]` may only hold plain characters: a quoted or
/// expanded character anywhere in the prefix means no tilde expansion (XCU §2.6.1).
fn tilde_end(s: &[char], assign: bool) -> Option<usize> {
    let end = s
        .iter()
        .position(|&c| c == '/' || (assign && c == ':'))
        .unwrap_or(s.len());
    s[1..end]
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .then_some(end)
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
        self.word(&mut f, &s, Ctx::Word)?;
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

    fn single(&mut self, word: &str, ctx: Ctx) -> Result<Field, Flow> {
        let mut f = Fields {
            ifs: self.ifs(),
            assign: ctx == Ctx::Assign,
            ..Default::default()
        };
        let s: Vec<char> = word.chars().collect();
        self.word(&mut f, &s, ctx)?;
        Ok(f.cur)
    }

    /// One string, no splitting or globbing (redirection targets, `case` subject).
    pub fn expand_single(&mut self, word: &str) -> Result<String, Flow> {
        Ok(self.single(word, Ctx::Word)?.text)
    }

    /// An assignment value: like `expand_single`, and `~` also after `:`.
    pub fn expand_assign(&mut self, word: &str) -> Result<String, Flow> {
        Ok(self.single(word, Ctx::Assign)?.text)
    }

    /// A pattern for `case` or `${x#…}`: quoted characters come back escaped.
    pub fn expand_pattern(&mut self, word: &str) -> Result<String, Flow> {
        Ok(self.single(word, Ctx::Word)?.pat)
    }

    /// A here-document body: parameters, substitutions and `\` before `$ \` \\ newline`.
    pub fn expand_heredoc(&mut self, body: &str) -> Result<String, Flow> {
        let mut f = Fields {
            ifs: self.ifs(),
            ..Default::default()
        };
        let s: Vec<char> = body.chars().collect();
        self.word_dq(&mut f, &s, Dq::HereDoc)?;
        Ok(f.cur.text)
    }

    /// Tilde expansion of the prefix starting at `s[0]`: the index after it, if expanded.
    fn tilde(&self, f: &mut Fields, s: &[char], ctx: Ctx) -> Option<usize> {
        let end = tilde_end(s, ctx == Ctx::Assign)?;
        let user: String = s[1..end].iter().collect();
        let home = self.home_of(&user)?;
        // The result is not split or globbed (it is treated as quoted).
        f.lits(&home, true);
        Some(end)
    }

    fn word(&mut self, f: &mut Fields, s: &[char], ctx: Ctx) -> Result<(), Flow> {
        let mut i = 0;
        if s.first() == Some(&'~') {
            i = self.tilde(f, s, ctx).unwrap_or(0);
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
                    f.content = true;
                    for &ch in &s[i + 1..end] {
                        f.lit(ch, true);
                    }
                    i = end + 1;
                }
                '"' => {
                    let end = find_close(s, i + 1, '"', '"');
                    let inner = &s[i + 1..end.min(s.len())];
                    let outer = std::mem::replace(&mut f.content, false);
                    f.after_ws = false;
                    self.word_dq(f, inner, Dq::Quoted)?;
                    // `"$@"` with no positional parameters is no field at all.
                    if f.content || inner.is_empty() {
                        f.cur.keep = true;
                    }
                    f.content |= outer;
                    i = end + 1;
                }
                '$' | '`' => i = self.dollar(f, s, i, false)?,
                ':' if ctx == Ctx::Assign => {
                    f.lit(c, false);
                    i += 1;
                    if s.get(i) == Some(&'~') {
                        i += self.tilde(f, &s[i..], ctx).unwrap_or(0);
                    }
                }
                _ if ctx == Ctx::Braced => {
                    let mut buf = [0u8; 4];
                    f.expanded(c.encode_utf8(&mut buf), false);
                    i += 1;
                }
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
                        Some(&n)
                            if matches!(n, '$' | '`' | '\\')
                                || (n == '"' && !heredoc)
                                || (n == '}' && mode == Dq::Braced) =>
                        {
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

    pub fn abort(&self, st: i32) -> Flow {
        if self.interactive {
            Flow::Fail(st)
        } else {
            Flow::Abort(st)
        }
    }

    /// The text of an expansion: literal inside double quotes, split outside them.
    fn put(&mut self, f: &mut Fields, v: &str, dq: bool) {
        if dq {
            f.content = true;
            f.lits(v, true);
        } else {
            f.expanded(v, true);
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
            ("\\~", &["~"]),
            ("~\"\"", &["~"]),
            ("$((1 + 2 * 3))", &["7"]),
            ("$(( x_n = 4 ))", &["4"]),
            ("a$", &["a$"]),
            ("\"\\$x \\a\"", &["$x \\a"]),
            ("${nope:-\"a b\"}", &["a b"]),
            ("${nope:-a b  c}", &["a", "b", "c"]),
            ("${nope:-\"2 3\" \"4 5\"}", &["2 3", "4 5"]),
            ("${nope:-a\\ b c}", &["a b", "c"]),
            ("\"${nope:-a b}\"", &["a b"]),
            ("${nope:-~}", &["/root"]),
            ("\"${nope+\"$@\"}\"", &[""]),
            ("${1+\"$@\"}", &["a b", "c"]),
            ("\"${nope:-\\}}\"", &["}"]),
        ];
        for (w, want) in cases {
            let mut sh = shell();
            let got = sh.expand_fields(w).unwrap_or_else(|_| panic!("{w}"));
            assert_eq!(got, *want, "{w}");
        }
    }

    #[test]
    fn splitting_table() {
        // (IFS, value of $v, fields of `$v`) per XCU §2.6.5.
        let cases: &[(&str, &str, &[&str])] = &[
            (" \t\n", "  a  b  ", &["a", "b"]),
            (":", "a:b::c:", &["a", "b", "", "c"]),
            (":", ":a", &["", "a"]),
            (":", "::", &["", ""]),
            (" :", " a : : b ", &["a", "", "b"]),
            (" :", "a  :  :b", &["a", "", "b"]),
            ("", "a b", &["a b"]),
            ("x", "axbxc", &["a", "b", "c"]),
        ];
        for (ifs, v, want) in cases {
            let mut sh = shell();
            sh.set("IFS", ifs.to_string());
            sh.set("v", v.to_string());
            let got = sh.expand_fields("$v").unwrap_or_else(|_| panic!("{v}"));
            assert_eq!(got, *want, "IFS={ifs:?} v={v:?}");
        }
    }

    #[test]
    fn positional_params_with_empty_ifs_stay_apart() {
        let mut sh = shell();
        sh.set("IFS", String::new());
        assert_eq!(
            sh.expand_fields("$@").ok(),
            Some(vec!["a b".into(), "c".into()])
        );
        assert_eq!(
            sh.expand_fields("$*").ok(),
            Some(vec!["a b".into(), "c".into()])
        );
        assert_eq!(sh.expand_fields("\"$*\"").ok(), Some(vec!["a bc".into()]));
        sh.params.clear();
        assert_eq!(sh.expand_fields("\"$@\"").ok(), Some(vec![]));
    }

    #[test]
    fn assignment_tilde_after_colon() {
        let mut sh = shell();
        let cases = [
            ("~", "/root"),
            ("foo:~", "foo:/root"),
            ("~/a:~/b", "/root/a:/root/b"),
            ("a~:'~':~x~", "a~:~:~x~"),
            ("\"~\":~", "~:/root"),
        ];
        for (w, want) in cases {
            assert_eq!(sh.expand_assign(w).ok().as_deref(), Some(want), "{w}");
        }
        assert_eq!(sh.expand_single("a:~").ok().as_deref(), Some("a:~"));
        assert_eq!(
            sh.expand_assign("${u:-a:~}").ok().as_deref(),
            Some("a:/root")
        );
        assert_eq!(
            sh.expand_assign("\"${u:-a:~}\"").ok().as_deref(),
            Some("a:~")
        );
        assert_eq!(sh.expand_single("${u:-a:~}").ok().as_deref(), Some("a:~"));
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
