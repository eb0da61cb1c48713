//! `set` options: long names (`set -o NAME`), letters (`set -e`), and where each lives in the
//! shell, so `set`, `sh -o`, `$-` and `set -o`/`set +o` listings read one table.

use super::exec::Shell;

/// An option: its `set -o` name, its letter (`' '` when it has none), and the flag it sets.
pub struct Opt {
    pub name: &'static str,
    pub letter: char,
    pub flag: fn(&mut Shell) -> &mut bool,
}

/// In the order `set -o` lists them.
pub const OPTIONS: &[Opt] = &[
    Opt {
        name: "allexport",
        letter: 'a',
        flag: |s| &mut s.allexport,
    },
    Opt {
        name: "errexit",
        letter: 'e',
        flag: |s| &mut s.errexit,
    },
    Opt {
        name: "ignoreeof",
        letter: ' ',
        flag: |s| &mut s.ignoreeof,
    },
    Opt {
        name: "monitor",
        letter: 'm',
        flag: |s| &mut s.monitor,
    },
    Opt {
        name: "noclobber",
        letter: 'C',
        flag: |s| &mut s.noclobber,
    },
    Opt {
        name: "noexec",
        letter: 'n',
        flag: |s| &mut s.noexec,
    },
    Opt {
        name: "noglob",
        letter: 'f',
        flag: |s| &mut s.noglob,
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
    Opt {
        name: "verbose",
        letter: 'v',
        flag: |s| &mut s.verbose,
    },
    Opt {
        name: "xtrace",
        letter: 'x',
        flag: |s| &mut s.xtrace,
    },
];

pub fn by_name(name: &str) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.name == name)
}

pub fn by_letter(c: char) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.letter == c && c != ' ')
}
