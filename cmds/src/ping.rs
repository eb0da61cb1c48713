//! `ping` (placeholder until implemented).

use std::ffi::OsString;

use crate::error::AppletResult;

pub const USAGE: &str = "usage: ping\n";

pub fn run(_args: Vec<OsString>) -> AppletResult {
    Err(crate::error::UsageError("not implemented yet".into()).into())
}
