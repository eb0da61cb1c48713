//! Command history: `history` and `fc -l`, kept in `$HOME/.sh_history` across restarts.

use super::exec::{err, Ex, Shell};

/// `history` and `fc`.
pub fn builtin(_sh: &mut Shell, argv: &[String]) -> Ex {
    err(&format!("{}: no history yet", argv[0]));
    Ok(1)
}
