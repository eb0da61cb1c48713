//! `insmod`: load one kernel module file. kmod insmod(8) subset (no dependency handling:
//! that is modprobe's job).
//!
//! usage: insmod FILE [PARAM[=VALUE]...]

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::PathBuf;

use nix::errno::Errno;
use rroot_init::modules::{load_error_reason, KernelLoader, ModuleLoader};

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: insmod FILE [PARAM[=VALUE]...]
Load the kernel module FILE with the given parameters (finit_module(2)).
";

#[derive(Debug, thiserror::Error)]
pub enum InsmodError {
    #[error("{}: {}", path.display(), io_reason(source))]
    Open { path: PathBuf, source: io::Error },
    #[error("{}: {}", path.display(), load_error_reason(*errno))]
    Load { path: PathBuf, errno: Errno },
}

impl AppletError for InsmodError {}

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub file: PathBuf,
    /// Parameters as the kernel takes them: words separated by spaces.
    pub params: String,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut it = args.into_iter().skip(1);
        let file = match it.next() {
            None => return Err(UsageError("missing module FILE".into())),
            Some(f) if f.to_string_lossy().starts_with('-') && f != "-" => {
                return Err(UsageError(format!(
                    "invalid option '{}'",
                    f.to_string_lossy()
                )))
            }
            Some(f) => PathBuf::from(f),
        };
        let params: Vec<String> = it.map(|a| a.to_string_lossy().into_owned()).collect();
        Ok(Options {
            file,
            params: params.join(" "),
        })
    }
}

/// Open and load `file` through `loader`.
pub fn insert(loader: &mut dyn ModuleLoader, o: &Options) -> Result<(), InsmodError> {
    let file = File::open(&o.file).map_err(|source| InsmodError::Open {
        path: o.file.clone(),
        source,
    })?;
    loader
        .finit_module(&file, &o.file, &o.params, 0)
        .map_err(|errno| InsmodError::Load {
            path: o.file.clone(),
            errno,
        })
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    insert(&mut KernelLoader, &o)?;
    Ok(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rroot_init::modules::{LoaderCall, RecordingLoader};

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("insmod")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn parse_table() {
        let ok = |file: &str, params: &str| {
            Ok(Options {
                file: file.into(),
                params: params.into(),
            })
        };
        let cases = [
            ("x.ko", ok("x.ko", "")),
            ("/lib/x.ko a=1 b", ok("/lib/x.ko", "a=1 b")),
            ("", Err(UsageError("missing module FILE".into()))),
            ("-f x.ko", Err(UsageError("invalid option '-f'".into()))),
        ];
        for (line, want) in cases {
            assert_eq!(Options::parse(args(line)), want, "{line}");
        }
    }

    #[test]
    fn insert_loads_the_file_and_reports_kernel_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("virtio_blk.ko");
        std::fs::write(&path, b"\x7fELF").unwrap();
        let o = Options {
            file: path.clone(),
            params: "queue_depth=8".into(),
        };
        let mut loader = RecordingLoader::new();
        insert(&mut loader, &o).unwrap();
        assert_eq!(
            loader.calls,
            [LoaderCall::Load {
                module: "virtio_blk".into(),
                params: "queue_depth=8".into()
            }]
        );
        let mut loader = RecordingLoader::new().failing("virtio_blk", Errno::ENOEXEC);
        let err = insert(&mut loader, &o).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: Invalid module format", path.display())
        );
        let missing = Options {
            file: dir.path().join("nope.ko"),
            params: String::new(),
        };
        let err = insert(&mut RecordingLoader::new(), &missing).unwrap_err();
        assert!(err
            .to_string()
            .ends_with("nope.ko: No such file or directory"));
    }
}
