//! `alias [NAME[=VALUE]...]` and `unalias [-a] NAME...` (XCU alias, unalias): the table the
//! parser expands first words from; listings as `name='value'`, re-usable as input.

use super::super::exec::{err, Ex, Flow, Shell};
use super::{out, quote};

fn line(name: &str, value: &str) -> String {
    format!("{name}={}\n", quote(value))
}

pub fn alias(sh: &mut Shell, args: &[String]) -> i32 {
    if args.is_empty() {
        let mut names: Vec<&String> = sh.aliases.keys().collect();
        names.sort();
        let text: String = names.into_iter().map(|n| line(n, &sh.aliases[n])).collect();
        out(&text);
        return 0;
    }
    let mut st = 0;
    for a in args {
        match a.split_once('=') {
            Some((name, value)) if !name.is_empty() => {
                sh.aliases.insert(name.to_string(), value.to_string());
            }
            _ => match sh.aliases.get(a.as_str()) {
                Some(v) => out(&line(a, v)),
                None => {
                    err(&format!("alias: {a} not found"));
                    st = 1;
                }
            },
        }
    }
    st
}

pub fn unalias(sh: &mut Shell, args: &[String]) -> Ex {
    if args.first().is_some_and(|a| a == "-a") {
        sh.aliases.clear();
        return Ok(0);
    }
    if let Some(bad) = args
        .first()
        .filter(|a| a.len() > 1 && a.starts_with('-') && *a != "--")
    {
        err(&format!("unalias: Illegal option {bad}"));
        return Err(Flow::Fail(2));
    }
    let names = match args.first() {
        Some(a) if a == "--" => &args[1..],
        _ => args,
    };
    let mut st = 0;
    for n in names {
        if sh.aliases.remove(n).is_none() {
            err(&format!("unalias: {n} not found"));
            st = 1;
        }
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_table() {
        assert_eq!(line("ll", "ls -l"), "ll='ls -l'\n");
        assert_eq!(line("q", "it's"), "q='it'\"'\"'s'\n");
    }
}
