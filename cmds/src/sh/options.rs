//! `set` options: long names (`set -o NAME`), letters (`set -e`), and where each lives in the
//! shell, so `set`, `sh -o`, `$-` and `set -o`/`set +o` listings read one table.

use super::exec::Shell;

/// An option: its `set -o` name, its letter (`' '` when it has none), and the flag it sets.
pub struct Opt {
    pub name: &'static str,
    pub letter: char,
    pub flag: fn(&mut Shell) -> &mut bool,
}

/// In dash's order, which is the order of `set -o` listings and of the letters in `$-`.
pub const OPTIONS: &[Opt] = &[
    Opt {
        name: "errexit",
        letter: 'e',
        flag: |s| &mut s.errexit,
    },
    Opt {
        name: "noglob",
        letter: 'f',
        flag: |s| &mut s.noglob,
    },
    Opt {
        name: "ignoreeof",
        letter: 'I',
        flag: |s| &mut s.ignoreeof,
    },
    Opt {
        name: "monitor",
        letter: 'm',
        flag: |s| &mut s.monitor,
    },
    Opt {
        name: "noexec",
        letter: 'n',
        flag: |s| &mut s.noexec,
    },
    Opt {
        name: "xtrace",
        letter: 'x',
        flag: |s| &mut s.xtrace,
    },
    Opt {
        name: "verbose",
        letter: 'v',
        flag: |s| &mut s.verbose,
    },
    Opt {
        name: "noclobber",
        letter: 'C',
        flag: |s| &mut s.noclobber,
    },
    Opt {
        name: "allexport",
        letter: 'a',
        flag: |s| &mut s.allexport,
    },
    Opt {
        name: "notify",
        letter: 'b',
        flag: |s| &mut s.notify,
    },
    Opt {
        name: "nounset",
        letter: 'u',
        flag: |s| &mut s.nounset,
    },
];

/// Names dash lists in `set -o` that the shell accepts but has no flag for (editing modes and
/// the like): always shown "off"; `set -o vi` is accepted and does nothing.
const PSEUDO: &[&str] = &[
    "interactive",
    "stdin",
    "vi",
    "emacs",
    "privileged",
    "nolog",
    "debug",
];

/// Every name in dash's `set -o` order: real options and pseudo ones.
const LISTING: &[&str] = &[
    "errexit",
    "noglob",
    "ignoreeof",
    "interactive",
    "monitor",
    "noexec",
    "stdin",
    "xtrace",
    "verbose",
    "vi",
    "emacs",
    "noclobber",
    "allexport",
    "notify",
    "nounset",
    "privileged",
    "nolog",
    "debug",
];

pub fn by_name(name: &str) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.name == name)
}

pub fn by_letter(c: char) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.letter == c && c != ' ')
}

/// Whether `set -o NAME` accepts NAME without doing anything (`vi`, `emacs`...; as dash,
/// also `interactive` and `stdin`, so `set +o` output reads back).
pub fn is_pseudo(name: &str) -> bool {
    PSEUDO.contains(&name)
}

/// The value of option `name` for listings (`interactive` is the shell's own state).
fn value(sh: &mut Shell, name: &str) -> bool {
    match by_name(name) {
        Some(o) => *(o.flag)(sh),
        None => name == "interactive" && sh.interactive,
    }
}

/// `set -o`: a header, then `name` padded to 16 columns and `on`/`off` (dash's format).
pub fn listing(sh: &mut Shell) -> String {
    let mut s = String::from("Current option settings\n");
    for name in LISTING {
        let on = if value(sh, name) { "on" } else { "off" };
        s.push_str(&format!("{name:<16}{on}\n"));
    }
    s
}

/// `set +o`: commands that restore the current settings.
pub fn restore_commands(sh: &mut Shell) -> String {
    let mut s = String::new();
    for name in LISTING {
        let sign = if value(sh, name) { '-' } else { '+' };
        s.push_str(&format!("set {sign}o {name}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_consistent() {
        for o in OPTIONS {
            assert!(LISTING.contains(&o.name), "{}", o.name);
            assert!(by_letter(o.letter).is_some_and(|b| b.name == o.name));
        }
        for p in PSEUDO {
            assert!(LISTING.contains(p) && by_name(p).is_none(), "{p}");
        }
        assert_eq!(LISTING.len(), OPTIONS.len() + PSEUDO.len());
    }

    #[test]
    fn listings_and_letters() {
        let mut sh = Shell::new("sh".into(), Vec::new());
        sh.errexit = true;
        sh.nounset = true;
        sh.noglob = true;
        let l = listing(&mut sh);
        assert!(l.starts_with("Current option settings\nerrexit         on\nnoglob          on\n"));
        let r = restore_commands(&mut sh);
        assert!(r.starts_with("set -o errexit\nset -o noglob\nset +o ignoreeof\n"));
        assert!(r.ends_with("set +o debug\n"));
    }
}
