//! A command's text for job reports (`[1]+  Stopped  sleep 10 | wc`), rebuilt from the tree
//! the way dash's `commandtext` does: words as written, compound commands on one line.

use super::parser::{Cmd, Redir, RedirKind};

pub fn text(c: &Cmd) -> String {
    let mut s = String::new();
    put(&mut s, c);
    s
}

fn put(s: &mut String, c: &Cmd) {
    match c {
        Cmd::Simple(sc) => {
            let words = sc.assigns.iter().chain(&sc.words);
            let mut first = true;
            for w in words {
                if !first {
                    s.push(' ');
                }
                first = false;
                s.push_str(w);
            }
            redirs(s, &sc.redirs, first);
        }
        Cmd::Pipeline(cmds, bang) => {
            if *bang {
                s.push_str("! ");
            }
            for (i, c) in cmds.iter().enumerate() {
                if i > 0 {
                    s.push_str(" | ");
                }
                put(s, c);
            }
        }
        Cmd::AndOr(first, rest) => {
            put(s, first);
            for (and, c) in rest {
                s.push_str(if *and { " && " } else { " || " });
                put(s, c);
            }
        }
        Cmd::List(items) => {
            for (i, (c, bg)) in items.iter().enumerate() {
                put(s, c);
                if *bg {
                    s.push_str(" &");
                }
                if i + 1 < items.len() {
                    s.push_str(if *bg { " " } else { "; " });
                }
            }
        }
        Cmd::Group(b) => {
            s.push_str("{ ");
            put(s, b);
            s.push_str("; }");
        }
        Cmd::Subshell(b) => {
            s.push('(');
            put(s, b);
            s.push(')');
        }
        Cmd::If(arms, otherwise) => {
            for (i, (c, body)) in arms.iter().enumerate() {
                s.push_str(if i == 0 { "if " } else { "; elif " });
                put(s, c);
                s.push_str("; then ");
                put(s, body);
            }
            if let Some(b) = otherwise {
                s.push_str("; else ");
                put(s, b);
            }
            s.push_str("; fi");
        }
        Cmd::Loop { until, cond, body } => {
            s.push_str(if *until { "until " } else { "while " });
            put(s, cond);
            s.push_str("; do ");
            put(s, body);
            s.push_str("; done");
        }
        Cmd::For { var, words, body } => {
            s.push_str("for ");
            s.push_str(var);
            if let Some(ws) = words {
                s.push_str(" in");
                for w in ws {
                    s.push(' ');
                    s.push_str(w);
                }
            }
            s.push_str("; do ");
            put(s, body);
            s.push_str("; done");
        }
        Cmd::Case(word, _) => {
            s.push_str("case ");
            s.push_str(word);
            s.push_str(" in ...; esac");
        }
        Cmd::FuncDef(name, _) => {
            s.push_str(name);
            s.push_str("() {...}");
        }
        Cmd::Redirected(c, rs) => {
            put(s, c);
            redirs(s, rs, false);
        }
        // Kinds of commands added later show as nothing rather than breaking job reports.
        #[allow(unreachable_patterns)]
        _ => {}
    }
}

fn redirs(s: &mut String, rs: &[Redir], mut first: bool) {
    for r in rs {
        if !first {
            s.push(' ');
        }
        first = false;
        let (op, default_fd) = match &r.kind {
            RedirKind::Read => ("<", 0),
            RedirKind::Write => (">", 1),
            RedirKind::Append => (">>", 1),
            RedirKind::ReadWrite => ("<>", 0),
            RedirKind::Dup if r.fd == 0 => ("<&", 0),
            RedirKind::Dup => (">&", 1),
            RedirKind::HereDoc(..) => ("<<", 0),
            #[allow(unreachable_patterns)]
            _ => (">|", 1),
        };
        if r.fd != default_fd {
            s.push_str(&r.fd.to_string());
        }
        s.push_str(op);
        s.push_str(&r.target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_table() {
        let cases = [
            ("sleep 10", "sleep 10"),
            ("sleep 1 | sleep 2", "sleep 1 | sleep 2"),
            ("a=1 cmd x >out 2>&1", "a=1 cmd x >out 2>&1"),
            ("true && false || x", "true && false || x"),
            ("(sleep 1; echo a)", "(sleep 1; echo a)"),
            (
                "while true; do sleep 1; done",
                "while true; do sleep 1; done",
            ),
            ("for i in 1 2; do :; done", "for i in 1 2; do :; done"),
            ("{ echo a; }", "{ echo a; }"),
        ];
        for (src, want) in cases {
            let cmds = super::super::parser::parse_all(src).expect(src);
            assert_eq!(text(&cmds[0]), want, "{src}");
        }
    }
}
