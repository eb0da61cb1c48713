//! `trap [[--] ACTION CONDITION...]` (XCU §2.14 trap): run ACTION on EXIT (or 0) or when a
//! signal arrives (between commands); `''` ignores it, `-` (or a first operand that is a
//! number, or a lone operand) restores the default. `trap` alone lists in re-usable form.

use nix::sys::signal::Signal;

use super::super::exec::{err, Ex, Flow, Shell};
use super::super::signals;
use super::{out, quote};

/// What `trap` does to its conditions.
#[derive(Debug, PartialEq)]
pub enum Action {
    Reset,
    Ignore,
    Run(String),
}

/// Split the operands (after a leading `--`) into the action and the conditions (XCU trap:
/// a first operand that is an unsigned decimal integer, or a lone operand, means reset).
pub fn plan(args: &[String]) -> (Action, &[String]) {
    let args = match args.first() {
        Some(a) if a == "--" => &args[1..],
        _ => args,
    };
    let Some((first, rest)) = args.split_first() else {
        return (Action::Reset, args);
    };
    if rest.is_empty() || (!first.is_empty() && first.bytes().all(|b| b.is_ascii_digit())) {
        return (Action::Reset, args);
    }
    let action = match first.as_str() {
        "-" => Action::Reset,
        "" => Action::Ignore,
        a => Action::Run(a.to_string()),
    };
    (action, rest)
}

/// `trap -- 'cmd' EXIT` lines for every trap set, EXIT first, then by signal number.
fn listing(sh: &Shell) -> String {
    let mut s = String::new();
    if let Some(t) = &sh.exit_trap {
        s.push_str(&format!("trap -- {} EXIT\n", quote(t)));
    }
    let mut sigs: Vec<(i32, String)> = sh.traps.clone();
    for n in 1..64 {
        if signals::is_ignored(n) && !sigs.iter().any(|(s, _)| *s == n) {
            sigs.push((n, String::new()));
        }
    }
    sigs.sort();
    for (n, t) in sigs {
        s.push_str(&format!(
            "trap -- {} {}\n",
            quote(&t),
            signals::signal_name(n)
        ));
    }
    s
}

pub fn trap(sh: &mut Shell, args: &[String]) -> Ex {
    if let Some(a) = args
        .first()
        .filter(|a| a.len() > 1 && a.starts_with('-') && *a != "--")
    {
        err(&format!("trap: Illegal option {a}"));
        return Err(Flow::Fail(2));
    }
    if args.is_empty() || (args.len() == 1 && args[0] == "--") {
        out(&listing(sh));
        return Ok(0);
    }
    let (action, conds) = plan(args);
    let mut st = 0;
    for c in conds {
        if c == "0" || c.eq_ignore_ascii_case("EXIT") {
            sh.exit_trap = match &action {
                Action::Reset => None,
                Action::Ignore => Some(String::new()),
                Action::Run(a) => Some(a.clone()),
            };
            continue;
        }
        let Some(sig) = signals::parse_signal(c) else {
            err(&format!("trap: {c}: bad trap"));
            st = 1;
            continue;
        };
        sh.traps.retain(|t| t.0 != sig as i32);
        // Listed, but a signal ignored on entry stays ignored (XCU trap).
        let keep = !sh.interactive && signals::ignored_on_entry(sig);
        match &action {
            Action::Run(a) => {
                sh.traps.push((sig as i32, a.clone()));
                if !keep {
                    signals::catch_signal(sig);
                }
            }
            _ if keep => {}
            Action::Ignore => signals::set_ignored(sig, true),
            // An interactive shell keeps ignoring the signals it ignores for itself (Ctrl-C,
            // Ctrl-\, and the job-control stops) when their trap is reset.
            Action::Reset
                if sh.owns_sigint
                    && matches!(
                        sig,
                        Signal::SIGINT
                            | Signal::SIGQUIT
                            | Signal::SIGTSTP
                            | Signal::SIGTTIN
                            | Signal::SIGTTOU
                    ) =>
            {
                signals::set_ignored(sig, true);
                signals::forget_ignored(sig);
            }
            Action::Reset => signals::set_ignored(sig, false),
        }
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_table() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let run = |s: &str| Action::Run(s.to_string());
        let cases = [
            (v(&["echo x", "INT"]), run("echo x"), v(&["INT"])),
            (v(&["--", "echo x", "EXIT"]), run("echo x"), v(&["EXIT"])),
            (v(&["0", "2"]), Action::Reset, v(&["0", "2"])),
            (v(&["-", "INT", "TERM"]), Action::Reset, v(&["INT", "TERM"])),
            (v(&["", "QUIT"]), Action::Ignore, v(&["QUIT"])),
            (v(&["INT"]), Action::Reset, v(&["INT"])),
            (v(&["--", "--", "INT"]), run("--"), v(&["INT"])),
        ];
        for (args, action, conds) in cases {
            let (a, c) = plan(&args);
            assert_eq!((a, c.to_vec()), (action, conds), "{args:?}");
        }
    }
}
