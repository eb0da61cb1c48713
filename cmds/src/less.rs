//! `less`: not written yet (placeholder so the applet table compiles while it is).

use std::ffi::OsString;

use crate::error::{AppletResult, UsageError};

pub const USAGE: &str = "usage: less | more\n";

pub fn run(_args: Vec<OsString>) -> AppletResult {
    Err(UsageError("not implemented yet".into()).into())
}
