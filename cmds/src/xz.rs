//! `xz, unxz, xzcat`: the xz compressor; the command line lives in `compress`, shared with the
//! other two compressors.
//!
//! usage: xz [-zdtckfqv] [-0..-9] [-e] [-T N] [FILE...]

use std::ffi::OsString;

use crate::error::AppletResult;

pub const USAGE: &str = "\
usage: xz [-zdtckfqv] [-0..-9] [-e] [-T N] [FILE...]
       unxz [FILE...]   xzcat [FILE...]
Compress (-z, the default) or decompress (-d) each FILE in place (FILE.xz), through a temporary
file; the input is removed once the output is complete unless -k. No FILE, or -, is stdin to
stdout; -c writes to stdout, -t tests, -f overwrites. -T and -e are accepted and ignored.
Exit 1 on errors, 2 on warnings.
";

pub fn run(args: Vec<OsString>) -> AppletResult {
    crate::compress::run_cli(args)
}
