//! `gzip, gunzip, zcat`: the gzip compressor; the command line lives in `compress`, shared with the
//! other two compressors.
//!
//! usage: gzip [-cdfklnNqtv19] [--fast|--best] [-S SUF] [FILE...]

use std::ffi::OsString;

use crate::error::AppletResult;

pub const USAGE: &str = "\
usage: gzip [-cdfklnNqtv19] [--fast|--best] [-S SUF] [FILE...]
       gunzip [-cfklNqtv] [-S SUF] [FILE...]   zcat [-f] [FILE...]
Compress (or with -d decompress) each FILE in place: FILE becomes FILE.gz, written through a
temporary file; the input is removed only once the output is complete (-k keeps it). No FILE,
or -, is stdin to stdout. -c writes to stdout, -t tests, -l lists sizes, -f overwrites.
Exit 1 on errors, 2 on warnings.
";

pub fn run(args: Vec<OsString>) -> AppletResult {
    crate::compress::run_cli(args)
}
