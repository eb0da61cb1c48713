//! `lsmod`: list the loaded kernel modules from `/proc/modules`, formatted as kmod lsmod(8).
//!
//! usage: lsmod

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use rroot_init::modules::{read_proc_modules, LoadedModule, ModulesError};

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: lsmod
List the loaded kernel modules: name, size in bytes, use count and users.
";

#[derive(Debug, thiserror::Error)]
pub enum LsmodError {
    #[error(transparent)]
    Read(ModulesError),
    #[error("write error: {}", io_reason(.0))]
    Write(io::Error),
}

impl AppletError for LsmodError {}

/// kmod's layout: `%-19s %8lu  %d` and the users after a space, comma-separated.
pub fn format(modules: &[LoadedModule]) -> String {
    let mut out = String::from("Module                  Size  Used by\n");
    for m in modules {
        let count = m.refcount.map_or("-".to_string(), |r| r.to_string());
        let _ = write!(out, "{:<19} {:>8}  {count}", m.name, m.size);
        if !m.used_by.is_empty() {
            let _ = write!(out, " {}", m.used_by.join(","));
        }
        out.push('\n');
    }
    out
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    if let Some(a) = args.get(1) {
        return Err(UsageError(format!("unexpected argument '{}'", a.to_string_lossy())).into());
    }
    let modules = read_proc_modules(Path::new("/")).map_err(LsmodError::Read)?;
    io::stdout()
        .write_all(format(&modules).as_bytes())
        .map_err(LsmodError::Write)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rroot_init::modules::parse_proc_modules;

    #[test]
    fn formats_like_kmod() {
        let text = "ext4 987136 1 - Live 0xffffffffc0400000\n\
                    jbd2 196608 1 ext4, Live 0x0\n\
                    mbcache 16384 2 ext4,jbd2, Live 0x0\n\
                    a_module_with_a_long_name 4096 - - Live 0x0\n";
        let want = "Module                  Size  Used by\n\
                    ext4                  987136  1\n\
                    jbd2                  196608  1 ext4\n\
                    mbcache                16384  2 ext4,jbd2\n\
                    a_module_with_a_long_name     4096  -\n";
        assert_eq!(format(&parse_proc_modules(text)), want);
        assert_eq!(format(&[]), "Module                  Size  Used by\n");
    }
}
