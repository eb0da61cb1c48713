//! `poweroff`, `reboot`, `halt` (placeholder until implemented).

use std::ffi::OsString;

use crate::error::AppletResult;

pub const USAGE_POWEROFF: &str = "usage: poweroff [-f]\n";
pub const USAGE_REBOOT: &str = "usage: reboot [-f]\n";
pub const USAGE_HALT: &str = "usage: halt [-f]\n";

pub fn run(_args: Vec<OsString>) -> AppletResult {
    Err(crate::error::UsageError("not implemented yet".into()).into())
}
