//! `zstd, unzstd, zstdcat`: the zstd compressor; the command line lives in `compress`, shared with the
//! other two compressors.
//!
//! usage: zstd [-zdtckfqv] [-#] [-o FILE] [--rm] [FILE...]

use std::ffi::OsString;

use crate::error::AppletResult;

pub const USAGE: &str = "\
usage: zstd [-zdtckfqv] [-#] [-o FILE] [--rm] [FILE...]
       unzstd [FILE...]   zstdcat [FILE...]
Compress (the default) or decompress (-d) each FILE to FILE.zst (or -o FILE), through a
temporary file; the input is kept unless --rm. No FILE, or -, is stdin to stdout; -c writes to
stdout, -t tests, -f overwrites. Compression is always at ruzstd's fastest level (about -1).
Exit 1 on errors, 2 on warnings.
";

pub fn run(args: Vec<OsString>) -> AppletResult {
    crate::compress::run_cli(args)
}
