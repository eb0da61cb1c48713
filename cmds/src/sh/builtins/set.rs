//! `set` (XCU §2.14 set): options by letter and by `-o NAME`, `set -o`/`set +o` listings,
//! `--` and `-`, the positional parameters, and the variable listing of a bare `set`.

use super::super::exec::{err, Ex, Flow, Shell};
use super::super::options;
use super::out;
use super::vars::print_vars;

/// Turn option `name` on or off; `false` if there is no such option.
fn set_named(sh: &mut Shell, name: &str, on: bool) -> bool {
    if name == "monitor" && on && !has_tty() {
        err("set: can't access tty; job control turned off");
        return true;
    }
    match options::by_name(name) {
        Some(o) => {
            *(o.flag)(sh) = on;
            true
        }
        None => options::is_pseudo(name),
    }
}

/// Whether the process has a controlling terminal to do job control on.
fn has_tty() -> bool {
    std::fs::File::open("/dev/tty").is_ok()
}

pub fn set(sh: &mut Shell, args: &[String]) -> Ex {
    if args.is_empty() {
        print_vars(sh, "", |v| v.value.is_some());
        return Ok(0);
    }
    let mut i = 0;
    let mut params = None;
    while let Some(a) = args.get(i) {
        if a == "--" {
            params = Some(&args[i + 1..]);
            break;
        }
        if a == "-" {
            // XCU set: `-` ends the options and turns -x and -v off.
            sh.xtrace = false;
            sh.verbose = false;
            if i + 1 < args.len() {
                params = Some(&args[i + 1..]);
            }
            break;
        }
        let on = a.starts_with('-');
        if !(on || a.starts_with('+')) || a.len() < 2 {
            params = Some(&args[i..]);
            break;
        }
        for c in a[1..].chars() {
            if c == 'o' {
                let Some(name) = args.get(i + 1) else {
                    let text = if on {
                        options::listing(sh)
                    } else {
                        options::restore_commands(sh)
                    };
                    out(&text);
                    return Ok(0);
                };
                i += 1;
                if !set_named(sh, name, on) {
                    err(&format!("set: Illegal option -o {name}"));
                    return Err(Flow::Fail(2));
                }
                continue;
            }
            match options::by_letter(c) {
                // Job control needs a terminal (dash says so and leaves -m off).
                Some(o) if o.letter == 'm' && on && !has_tty() => {
                    err("set: can't access tty; job control turned off");
                }
                Some(o) => *(o.flag)(sh) = on,
                // dash's -E (emacs) and -V (vi) editing modes: accepted, nothing to do.
                None if c == 'E' || c == 'V' => {}
                None => {
                    err(&format!("set: Illegal option -{c}"));
                    return Err(Flow::Fail(2));
                }
            }
        }
        i += 1;
    }
    if let Some(p) = params {
        sh.params = p.to_vec();
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_table() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        /// (arguments, ok, positional parameters after, errexit, nounset)
        type Case = (
            &'static [&'static str],
            bool,
            &'static [&'static str],
            bool,
            bool,
        );
        let cases: &[Case] = &[
            (&["-e", "a"], true, &["a"], true, false),
            (&["-eu", "--", "-x"], true, &["-x"], true, true),
            (&["--"], true, &[], false, false),
            (&["-"], true, &["old"], false, false),
            (&["-", "b"], true, &["b"], false, false),
            (
                &["-o", "errexit", "+o", "errexit"],
                true,
                &["old"],
                false,
                false,
            ),
            (&["-o", "vi", "-o", "nounset"], true, &["old"], false, true),
            (&["-q"], false, &["old"], false, false),
            (&["-o", "pipefail"], false, &["old"], false, false),
            (&["x", "-e"], true, &["x", "-e"], false, false),
        ];
        for (args, ok, params, errexit, nounset) in cases {
            let mut sh = Shell::new("sh".into(), v(&["old"]));
            let r = set(&mut sh, &v(args));
            assert_eq!(r.is_ok(), *ok, "{args:?}");
            assert_eq!(sh.params, v(params), "{args:?}");
            assert_eq!((sh.errexit, sh.nounset), (*errexit, *nounset), "{args:?}");
        }
    }
}
