//! The expression tree `find` evaluates for every file: operators over tests and actions, and
//! the walk settings the options in the expression set.

use std::ffi::OsString;
use std::path::PathBuf;

use super::compare::{AgeTest, NumArg, PermTest, SizeTest};

/// Which of a file's three times a test looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeField {
    Access,
    Modify,
    Change,
}

/// A node of the expression. Operators own their operands; actions carry their output sink
/// (0 is standard output, others are `-fprint` files) and `-exec` carries its pending batch.
#[derive(Debug)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `A , B`: both evaluated, the value is B's.
    Comma(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `-true`, and every option (`-maxdepth`, `-xdev`…) where it stands in the expression.
    True,
    False,
    /// `-name` / `-iname`: a glob on the last path component.
    Name {
        pattern: Vec<u8>,
        fold: bool,
    },
    /// `-path` / `-ipath` / `-wholename`: a glob on the whole path.
    Path {
        pattern: Vec<u8>,
        fold: bool,
    },
    /// `-lname` / `-ilname`: a glob on a symbolic link's target.
    LinkName {
        pattern: Vec<u8>,
        fold: bool,
    },
    /// `-regex` / `-iregex`, anchored at both ends.
    Regex(regex::bytes::Regex),
    /// `-type` (`xtype: false`) or `-xtype`: any of these letters of `bcdpfls`.
    Type {
        letters: Vec<u8>,
        xtype: bool,
    },
    Size(SizeTest),
    Empty,
    Age(TimeField, AgeTest),
    /// `-newer`, `-anewer`, `-cnewer`: this time is later than the reference's mtime.
    Newer(TimeField, i128),
    Perm(PermTest),
    Uid(NumArg),
    Gid(NumArg),
    NoUser,
    NoGroup,
    Links(NumArg),
    Inum(NumArg),
    SameFile {
        dev: u64,
        ino: u64,
    },
    /// `-readable` / `-writable` / `-executable`: access(2) with R_OK, W_OK or X_OK.
    Access(nix::unistd::AccessFlags),
    /// `-print`, `-print0`, `-fprint`, `-fprint0`: the path and a terminator.
    Print {
        sink: usize,
        end: u8,
    },
    Printf {
        sink: usize,
        format: Vec<u8>,
    },
    Ls {
        sink: usize,
    },
    Delete,
    Prune,
    Quit,
    Exec(Exec),
}

/// `-exec`, `-execdir`, `-ok`, `-okdir`, with `;` or `+`.
#[derive(Debug)]
pub struct Exec {
    /// The command as written, `{}` included.
    pub argv: Vec<OsString>,
    /// `+`: collect paths and run the command with many at once.
    pub batch: bool,
    /// `-execdir`: run in the file's directory on `./NAME`.
    pub in_dir: bool,
    /// `-ok`: ask on stderr, read the answer on stdin.
    pub ask: bool,
    /// Paths waiting for the next batch run, the directory they run in, and their size.
    pub pending: Vec<OsString>,
    pub pending_dir: Option<PathBuf>,
    pub pending_bytes: usize,
}

/// How symbolic links are treated (`-P` default, `-H`, `-L` / `-follow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    Never,
    Args,
    Always,
}

/// What the options of the command line decide about the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub follow: Follow,
    pub max_depth: Option<usize>,
    pub min_depth: usize,
    /// `-depth` (and `-delete`): a directory after its contents.
    pub depth_first: bool,
    pub xdev: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            follow: Follow::Never,
            max_depth: None,
            min_depth: 0,
            depth_first: false,
            xdev: false,
        }
    }
}

impl Expr {
    /// Does the expression print or run anything itself? If not, find adds `-print`.
    /// (`-prune` and `-quit` are actions that do not count, as in GNU find.)
    pub fn has_output_action(&self) -> bool {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Comma(a, b) => {
                a.has_output_action() || b.has_output_action()
            }
            Expr::Not(a) => a.has_output_action(),
            Expr::Print { .. } | Expr::Printf { .. } | Expr::Ls { .. } | Expr::Delete => true,
            Expr::Exec(_) => true,
            _ => false,
        }
    }

    pub fn has_delete(&self) -> bool {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Comma(a, b) => {
                a.has_delete() || b.has_delete()
            }
            Expr::Not(a) => a.has_delete(),
            Expr::Delete => true,
            _ => false,
        }
    }

    /// Call `f` on every `-exec` in the tree (to run what batches still hold at the end).
    pub fn for_each_exec(&mut self, f: &mut dyn FnMut(&mut Exec)) {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Comma(a, b) => {
                a.for_each_exec(f);
                b.for_each_exec(f);
            }
            Expr::Not(a) => a.for_each_exec(f),
            Expr::Exec(e) => f(e),
            _ => {}
        }
    }
}
