//! `true` and `false`: exit 0 or 1, ignoring their arguments (POSIX true(1), false(1)).

use std::ffi::OsString;

use crate::error::AppletResult;

pub const TRUE_USAGE: &str = "usage: true\nDo nothing, successfully (exit status 0).\n";
pub const FALSE_USAGE: &str = "usage: false\nDo nothing, unsuccessfully (exit status 1).\n";

pub fn run_true(_args: Vec<OsString>) -> AppletResult {
    Ok(0)
}

pub fn run_false(_args: Vec<OsString>) -> AppletResult {
    Ok(1)
}
