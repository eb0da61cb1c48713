//! `dhclient` (placeholder until implemented).

use std::ffi::OsString;

use crate::error::AppletResult;

pub const USAGE: &str = "usage: dhclient\n";

pub fn run(_args: Vec<OsString>) -> AppletResult {
    Err(crate::error::UsageError("not implemented yet".into()).into())
}
