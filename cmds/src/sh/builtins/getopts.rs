//! `getopts OPTSTRING NAME [ARG...]` (XCU getopts): the next option from ARGs or `$@`, with
//! OPTIND and OPTARG as dash keeps them (OPTARG empty for an option without argument).

use super::super::exec::{err, Ex, Flow, Shell};
use super::super::parser::is_name;

/// What one call found.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// An option letter (or `?`/`:` for errors) and OPTARG (`None` leaves it unset).
    Opt(char, Option<String>),
    /// No more options.
    End,
}

/// The next option of `argv` at OPTIND `ind` and character `pos` inside that word:
/// (what was found, new OPTIND, new position). Errors are reported here unless `spec`
/// starts with `:`.
pub fn next(spec: &str, argv: &[String], mut ind: usize, mut pos: usize) -> (Next, usize, usize) {
    let silent = spec.starts_with(':');
    let arg: Vec<char> = argv
        .get(ind - 1)
        .map(|a| a.chars().collect())
        .unwrap_or_default();
    if pos == 0 || pos >= arg.len() {
        if arg.len() < 2 || arg[0] != '-' {
            return (Next::End, ind, 0);
        }
        if arg == ['-', '-'] {
            return (Next::End, ind + 1, 0);
        }
        pos = 1;
    }
    let c = arg[pos];
    pos += 1;
    let at = spec.find(c).filter(|_| c != ':');
    let wants_arg = at.is_some_and(|i| spec[i + c.len_utf8()..].starts_with(':'));
    let found = if at.is_none() {
        if silent {
            Next::Opt('?', Some(c.to_string()))
        } else {
            err(&format!("Illegal option -{c}"));
            Next::Opt('?', None)
        }
    } else if wants_arg {
        let found = if pos < arg.len() {
            Next::Opt(c, Some(arg[pos..].iter().collect()))
        } else if let Some(next) = argv.get(ind) {
            ind += 1;
            Next::Opt(c, Some(next.clone()))
        } else if silent {
            Next::Opt(':', Some(c.to_string()))
        } else {
            err(&format!("No arg for -{c} option"));
            Next::Opt('?', None)
        };
        pos = arg.len();
        found
    } else {
        Next::Opt(c, Some(String::new()))
    };
    if pos >= arg.len() {
        ind += 1;
        pos = 0;
    }
    (found, ind, pos)
}

pub fn getopts(sh: &mut Shell, args: &[String]) -> Ex {
    let (Some(spec), Some(name)) = (args.first(), args.get(1)) else {
        err("getopts: Usage: getopts optstring var [arg...]");
        return Err(Flow::Fail(2));
    };
    if !is_name(name) {
        err(&format!("getopts: {name}: bad variable name"));
        return Err(Flow::Fail(2));
    }
    let argv: Vec<String> = if args.len() > 2 {
        args[2..].to_vec()
    } else {
        sh.params.clone()
    };
    let optind: usize = sh
        .get("OPTIND")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    // Inside a group (`-abc`) OPTIND already names the next word, as dash shows it; a
    // script that sets OPTIND itself (OPTIND=1) starts over.
    let (ind, pos) = match sh.optpos {
        (pos, shown) if pos > 0 && shown == optind => (optind - 1, pos),
        _ => (optind, 0),
    };
    let (found, ind, pos) = next(spec, &argv, ind, pos);
    let ind = if pos > 0 { ind + 1 } else { ind };
    sh.optpos = (pos, ind);
    let (value, optarg, st) = match found {
        Next::Opt(c, a) => (c, a, 0),
        Next::End => ('?', None, 1),
    };
    let mut r = sh.try_set("OPTIND", ind.to_string());
    match optarg {
        Some(a) => r = r.and(sh.try_set("OPTARG", a)),
        None if st == 0 && !sh.vars.get("OPTARG").is_some_and(|v| v.readonly) => {
            sh.vars.remove("OPTARG");
        }
        None => {}
    }
    r = r.and(sh.try_set(name, value.to_string()));
    if let Err(e) = r {
        err(&format!("getopts: {e}"));
        return Err(Flow::Fail(2));
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_table() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let o = |c, a: Option<&str>| Next::Opt(c, a.map(String::from));
        let cases = [
            ("ab", v(&["-a"]), 1, 0, (o('a', Some("")), 2, 0)),
            ("ab", v(&["-ab"]), 1, 0, (o('a', Some("")), 1, 2)),
            ("ab", v(&["-ab"]), 1, 2, (o('b', Some("")), 2, 0)),
            ("b:", v(&["-bx"]), 1, 0, (o('b', Some("x")), 2, 0)),
            ("b:", v(&["-b", "x"]), 1, 0, (o('b', Some("x")), 3, 0)),
            (":b:", v(&["-b"]), 1, 0, (o(':', Some("b")), 2, 0)),
            (":b", v(&["-z"]), 1, 0, (o('?', Some("z")), 2, 0)),
            ("b", v(&["--", "-b"]), 1, 0, (Next::End, 2, 0)),
            ("b", v(&["x"]), 1, 0, (Next::End, 1, 0)),
            ("b", v(&["-"]), 1, 0, (Next::End, 1, 0)),
            ("b", v(&[]), 1, 0, (Next::End, 1, 0)),
        ];
        for (spec, argv, ind, pos, want) in cases {
            assert_eq!(next(spec, &argv, ind, pos), want, "{spec} {argv:?}");
        }
    }
}
