//! `modprobe`: load or remove kernel modules with their dependencies, from the depmod files of
//! `/lib/modules/$(uname -r)`. kmod modprobe(8) subset: no /etc/modprobe.d, no install/remove
//! commands; parameters from the kernel command line (`MODULE.PARAM=value`) are applied.
//!
//! usage: modprobe [-r] [-a] [-n] [-v] [-q] [-d ROOT] [-S VERSION] NAME [PARAM[=VALUE]...]

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rroot_init::modules::{cmdline_options, KernelLoader, Modprobe, ModuleLoader, ModulesError};

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: modprobe [-r] [-a] [-n] [-v] [-q] [-d ROOT] [-S VERSION] NAME [PARAM[=VALUE]...]
Load module NAME (a name or an alias) after what it depends on, with the parameters
given and those of NAME.PARAM=VALUE on the kernel command line.
  -r  remove NAME (every NAME), then its dependencies nobody uses any more
  -a  load every NAME (no parameters)
  -n  dry run: do nothing (with -v: show what would be done)
  -v  show each insmod/rmmod
  -q  say nothing when a NAME is not found (exit 1), go on with the others
  -d ROOT      modules under ROOT/lib/modules (and ROOT/proc read from there)
  -S VERSION   kernel release instead of `uname -r`
";

#[derive(Debug, thiserror::Error)]
pub enum ModprobeError {
    #[error(transparent)]
    Modules(#[from] ModulesError),
    #[error("uname: {}", .0.desc())]
    Uname(nix::errno::Errno),
    #[error("write error: {}", io_reason(.0))]
    Write(io::Error),
}

impl AppletError for ModprobeError {}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub remove: bool,
    pub all: bool,
    pub dry_run: bool,
    pub verbose: bool,
    pub quiet: bool,
    pub root: PathBuf,
    pub release: Option<String>,
    pub names: Vec<String>,
    pub params: String,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            root: PathBuf::from("/"),
            ..Options::default()
        };
        let args: Vec<String> = args
            .into_iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let mut i = 0;
        let value = |i: &mut usize, rest: &str, opt: &str| -> Result<String, UsageError> {
            if !rest.is_empty() {
                return Ok(rest.to_string());
            }
            *i += 1;
            args.get(*i)
                .cloned()
                .ok_or_else(|| UsageError(format!("option {opt} needs a value")))
        };
        // Options come before the first NAME: what follows NAME are module parameters.
        while let Some(a) = args.get(i) {
            if a == "--" {
                i += 1;
                break;
            }
            if let Some(long) = a.strip_prefix("--") {
                let (key, inline) = match long.split_once('=') {
                    Some((k, v)) => (k, v),
                    None => (long, ""),
                };
                match key {
                    "remove" => o.remove = true,
                    "all" => o.all = true,
                    "dry-run" | "show" => o.dry_run = true,
                    "verbose" => o.verbose = true,
                    "quiet" => o.quiet = true,
                    "dirname" => o.root = value(&mut i, inline, "--dirname")?.into(),
                    "set-version" => o.release = Some(value(&mut i, inline, "--set-version")?),
                    _ => return Err(UsageError(format!("invalid option '{a}'"))),
                }
            } else if a.len() > 1 && a.starts_with('-') {
                for (at, c) in a.char_indices().skip(1) {
                    match c {
                        'r' => o.remove = true,
                        'a' => o.all = true,
                        'n' => o.dry_run = true,
                        'v' => o.verbose = true,
                        'q' => o.quiet = true,
                        'd' | 'S' => {
                            let v = value(&mut i, &a[at + 1..], &format!("-{c}"))?;
                            if c == 'd' {
                                o.root = v.into();
                            } else {
                                o.release = Some(v);
                            }
                            break;
                        }
                        _ => return Err(UsageError(format!("invalid option '-{c}'"))),
                    }
                }
            } else {
                break;
            }
            i += 1;
        }
        let words = &args[i.min(args.len())..];
        if words.is_empty() {
            return Err(UsageError("missing module NAME".into()));
        }
        if o.remove || o.all {
            o.names = words.to_vec();
        } else {
            o.names = vec![words[0].clone()];
            o.params = words[1..].join(" ");
        }
        Ok(o)
    }
}

/// Do what the options say through `loader`, writing -v lines to `out`.
/// Returns the exit status (1 for a quiet "not found").
pub fn execute(
    o: &Options,
    modprobe: &mut Modprobe,
    loader: &mut dyn ModuleLoader,
    out: &mut dyn Write,
) -> Result<i32, ModprobeError> {
    let mut code = 0;
    for name in &o.names {
        let result = if o.remove {
            remove_one(o, modprobe, loader, out, name)
        } else {
            load_one(o, modprobe, loader, out, name)
        };
        match result {
            // -q: go on with the other names (`modprobe -qa $(cat modalias files)`).
            Err(ModprobeError::Modules(ModulesError::NotFound(_))) if o.quiet => code = 1,
            r => r?,
        }
    }
    Ok(code)
}

fn load_one(
    o: &Options,
    modprobe: &mut Modprobe,
    loader: &mut dyn ModuleLoader,
    out: &mut dyn Write,
    name: &str,
) -> Result<(), ModprobeError> {
    let steps = modprobe.plan_load(name, &o.params)?;
    for s in &steps {
        if o.verbose {
            writeln!(out, "insmod {} {}", s.path.display(), s.params)
                .map_err(ModprobeError::Write)?;
        }
    }
    if !o.dry_run {
        modprobe.execute(&steps, loader)?;
    }
    Ok(())
}

fn remove_one(
    o: &Options,
    modprobe: &mut Modprobe,
    loader: &mut dyn ModuleLoader,
    out: &mut dyn Write,
    name: &str,
) -> Result<(), ModprobeError> {
    let removed = if o.dry_run {
        modprobe.plan_remove(name)?
    } else {
        modprobe.remove_with_deps(loader, name)?
    };
    if o.verbose {
        for m in removed {
            writeln!(out, "rmmod {m}").map_err(ModprobeError::Write)?;
        }
    }
    Ok(())
}

/// Module parameters from `ROOT/proc/cmdline`; none when it cannot be read.
fn cmdline_params(root: &Path) -> Vec<(String, String)> {
    rroot_init::cmdline::read(root)
        .map(|c| cmdline_options(c.module_params()))
        .unwrap_or_default()
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let release = match &o.release {
        Some(r) => r.clone(),
        None => nix::sys::utsname::uname()
            .map(|u| u.release().to_string_lossy().into_owned())
            .map_err(ModprobeError::Uname)?,
    };
    let mut modprobe =
        Modprobe::open(&o.root, &release, &cmdline_params(&o.root)).map_err(ModprobeError::from)?;
    let stdout = io::stdout();
    let code = execute(&o, &mut modprobe, &mut KernelLoader, &mut stdout.lock())?;
    Ok(code)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rroot_init::modules::{LoaderCall, ModuleIndex, RecordingLoader};

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("modprobe")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn parse_table() {
        let base = || Options {
            root: "/".into(),
            ..Options::default()
        };
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases = [
            (
                "ext4",
                Ok(Options {
                    names: names(&["ext4"]),
                    ..base()
                }),
            ),
            (
                "virtio_blk queue_depth=8 -x",
                Ok(Options {
                    names: names(&["virtio_blk"]),
                    params: "queue_depth=8 -x".into(),
                    ..base()
                }),
            ),
            (
                "-rv a b",
                Ok(Options {
                    remove: true,
                    verbose: true,
                    names: names(&["a", "b"]),
                    ..base()
                }),
            ),
            (
                "-a -n -q a b",
                Ok(Options {
                    all: true,
                    dry_run: true,
                    quiet: true,
                    names: names(&["a", "b"]),
                    ..base()
                }),
            ),
            (
                "-d /tmp/r -S6.1 --verbose x",
                Ok(Options {
                    root: "/tmp/r".into(),
                    release: Some("6.1".into()),
                    verbose: true,
                    names: names(&["x"]),
                    ..base()
                }),
            ),
            (
                "--dirname=/r --set-version 6.2 --show -- -x",
                Ok(Options {
                    root: "/r".into(),
                    release: Some("6.2".into()),
                    dry_run: true,
                    names: names(&["-x"]),
                    ..base()
                }),
            ),
            ("", Err(UsageError("missing module NAME".into()))),
            ("-v", Err(UsageError("missing module NAME".into()))),
            ("-z x", Err(UsageError("invalid option '-z'".into()))),
            (
                "--bogus x",
                Err(UsageError("invalid option '--bogus'".into())),
            ),
            ("-d", Err(UsageError("option -d needs a value".into()))),
        ];
        for (line, want) in cases {
            assert_eq!(Options::parse(args(line)), want, "{line}");
        }
    }

    /// A modprobe over an index whose module files exist in a tempdir.
    fn fixture(loaded: &str) -> (tempfile::TempDir, Modprobe) {
        let dir = tempfile::tempdir().unwrap();
        let dep = "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/jbd2/jbd2.ko\n\
                   kernel/fs/jbd2/jbd2.ko:\nkernel/lib/crc16.ko:\n";
        for line in dep.lines() {
            let rel = line.split(':').next().unwrap();
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"\x7fELF").unwrap();
        }
        let index = ModuleIndex::parse(dir.path().into(), dep, "alias fs-ext4 ext4\n", "", "");
        let loaded = rroot_init::modules::parse_proc_modules(loaded);
        let params = [("ext4".to_string(), "debug=1".to_string())];
        let m = Modprobe::new(index, &loaded, &params);
        (dir, m)
    }

    #[test]
    fn loads_with_dependencies_and_shows_them() {
        let (dir, mut m) = fixture("");
        let o = Options::parse(args("-v fs-ext4 nodelalloc")).unwrap();
        let mut loader = RecordingLoader::new();
        let mut out = Vec::new();
        assert_eq!(execute(&o, &mut m, &mut loader, &mut out).unwrap(), 0);
        assert_eq!(loader.loaded(), ["jbd2", "crc16", "ext4"]);
        let d = dir.path().display();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "insmod {d}/kernel/fs/jbd2/jbd2.ko \ninsmod {d}/kernel/lib/crc16.ko \n\
                 insmod {d}/kernel/fs/ext4/ext4.ko debug=1 nodelalloc\n"
            )
        );
    }

    #[test]
    fn dry_run_changes_nothing() {
        let (_dir, mut m) = fixture("jbd2 1 0 - Live 0x0\n");
        let o = Options::parse(args("-n ext4")).unwrap();
        let mut loader = RecordingLoader::new();
        let mut out = Vec::new();
        execute(&o, &mut m, &mut loader, &mut out).unwrap();
        assert!(loader.calls.is_empty());
        assert!(out.is_empty());
    }

    #[test]
    fn removes_with_unused_dependencies() {
        let (_dir, mut m) =
            fixture("ext4 1 0 - Live 0x0\njbd2 1 1 ext4, Live 0x0\ncrc16 1 2 ext4,x, Live 0x0\n");
        let o = Options::parse(args("-r -v ext4")).unwrap();
        let mut loader = RecordingLoader::new().failing("crc16", nix::errno::Errno::EWOULDBLOCK);
        let mut out = Vec::new();
        execute(&o, &mut m, &mut loader, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "rmmod ext4\nrmmod jbd2\n");
        assert_eq!(loader.calls.len(), 3);
        assert!(matches!(&loader.calls[0], LoaderCall::Delete { module, .. } if module == "ext4"));
    }

    #[test]
    fn not_found_is_one_line_or_quiet() {
        let (_dir, mut m) = fixture("");
        let mut loader = RecordingLoader::new();
        let o = Options::parse(args("foo")).unwrap();
        let err = execute(&o, &mut m, &mut loader, &mut Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), "foo: module not found");
        let o = Options::parse(args("-q foo")).unwrap();
        assert_eq!(
            execute(&o, &mut m, &mut loader, &mut Vec::new()).unwrap(),
            1
        );
        let o = Options::parse(args("-r ext4")).unwrap();
        let err = execute(&o, &mut m, &mut loader, &mut Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), "ext4: module is not currently loaded");
        let o = Options::parse(args("-q -a foo ext4")).unwrap();
        assert_eq!(
            execute(&o, &mut m, &mut loader, &mut Vec::new()).unwrap(),
            1
        );
        assert_eq!(
            loader.loaded(),
            ["jbd2", "crc16", "ext4"],
            "went on after foo"
        );
    }
}
