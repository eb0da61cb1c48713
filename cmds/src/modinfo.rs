//! `modinfo`: show what a kernel module says about itself (its `.modinfo` section).
//! kmod modinfo(8) subset and layout; `parm` lines carry the type from `parmtype`.
//!
//! usage: modinfo [-F FIELD] [-n] [-b BASEDIR] [-k VERSION] NAME|FILE...

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use rroot_init::modules::modinfo::{read_modinfo, ModInfo, ModinfoError};
use rroot_init::modules::{ModuleIndex, ModulesError, Resolution};

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: modinfo [-F FIELD] [-n] [-b BASEDIR] [-k VERSION] NAME|FILE...
Show the fields of kernel modules given by file or by name or alias (looked up in
BASEDIR/lib/modules/VERSION, default / and `uname -r`).
  -F FIELD  only the values of FIELD      -n  only the file name (-F filename)
";

#[derive(Debug, thiserror::Error)]
pub enum ModinfoAppletError {
    #[error(transparent)]
    Index(#[from] ModulesError),
    #[error("{}: {}", path.display(), io_reason(source))]
    Open { path: PathBuf, source: io::Error },
    #[error("{}: {reason}", path.display())]
    Parse { path: PathBuf, reason: ModinfoError },
    #[error("uname: {}", .0.desc())]
    Uname(nix::errno::Errno),
    #[error("write error: {}", io_reason(.0))]
    Write(io::Error),
}

impl AppletError for ModinfoAppletError {}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub field: Option<String>,
    pub basedir: PathBuf,
    pub release: Option<String>,
    pub modules: Vec<String>,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            basedir: PathBuf::from("/"),
            ..Options::default()
        };
        let mut it = args
            .into_iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned());
        let mut options_done = false;
        while let Some(a) = it.next() {
            let mut value = |opt: &str| {
                it.next()
                    .ok_or_else(|| UsageError(format!("option {opt} needs a value")))
            };
            match a.as_str() {
                "--" if !options_done => options_done = true,
                "-F" | "--field" if !options_done => o.field = Some(value("-F")?),
                "-n" | "--filename" if !options_done => o.field = Some("filename".into()),
                "-b" | "--basedir" if !options_done => o.basedir = value("-b")?.into(),
                "-k" | "--set-version" if !options_done => o.release = Some(value("-k")?),
                s if s.starts_with('-') && s.len() > 1 && !options_done => {
                    return Err(UsageError(format!("invalid option '{s}'")))
                }
                _ => o.modules.push(a),
            }
        }
        if o.modules.is_empty() {
            return Err(UsageError("missing module NAME or FILE".into()));
        }
        Ok(o)
    }
}

/// (field, value) lines for one module: `filename` first, then the section's fields in order,
/// `parm` with its `parmtype` as `NAME:DESCRIPTION (TYPE)`.
pub fn fields(filename: &str, info: &ModInfo) -> Vec<(String, String)> {
    let mut out = vec![("filename".to_string(), filename.to_string())];
    let described: Vec<&str> = info
        .all("parm")
        .filter_map(|p| p.split_once(':').map(|(n, _)| n))
        .collect();
    for (key, value) in &info.fields {
        match key.as_str() {
            "parm" => {
                let name = value.split_once(':').map_or(value.as_str(), |(n, _)| n);
                let kind = info
                    .all("parmtype")
                    .find_map(|t| t.strip_prefix(name)?.strip_prefix(':'));
                let text = match kind {
                    Some(k) => format!("{value} ({k})"),
                    None => value.clone(),
                };
                out.push(("parm".into(), text));
            }
            "parmtype" => {
                // A parameter without a description still shows, with its type.
                let (name, kind) = value.split_once(':').unwrap_or((value, ""));
                if !described.contains(&name) {
                    out.push(("parm".into(), format!("{name}: ({kind})")));
                }
            }
            _ => out.push((key.clone(), value.clone())),
        }
    }
    out
}

/// kmod's layout: `field:` padded to 16 columns, or bare values with -F.
pub fn format(lines: &[(String, String)], only: Option<&str>) -> String {
    let mut out = String::new();
    for (k, v) in lines {
        match only {
            Some(f) if f == k => {
                out.push_str(v);
                out.push('\n');
            }
            Some(_) => {}
            None => {
                out.push_str(&format!("{:<16}{v}\n", format!("{k}:")));
            }
        }
    }
    out
}

fn read_file(path: &Path) -> Result<ModInfo, ModinfoAppletError> {
    let file = File::open(path).map_err(|source| ModinfoAppletError::Open {
        path: path.into(),
        source,
    })?;
    read_modinfo(&mut BufReader::new(file)).map_err(|reason| ModinfoAppletError::Parse {
        path: path.into(),
        reason,
    })
}

/// What the dispatcher's caller prints for one NAME or FILE.
pub fn describe(
    o: &Options,
    name: &str,
    index: &mut Option<ModuleIndex>,
    release: &dyn Fn() -> Result<String, ModinfoAppletError>,
) -> Result<String, ModinfoAppletError> {
    let as_file = Path::new(name);
    if name.contains('/') || (name.ends_with(".ko") && as_file.is_file()) {
        let info = read_file(as_file)?;
        return Ok(format(&fields(name, &info), o.field.as_deref()));
    }
    if index.is_none() {
        *index = Some(ModuleIndex::open(&o.basedir, &release()?)?);
    }
    let Some(index) = index.as_ref() else {
        return Err(ModulesError::NotFound(name.to_string()).into());
    };
    match index.resolve(name) {
        Resolution::Modules(found) => {
            let mut out = String::new();
            for m in found {
                let path = index
                    .path_of(&m)
                    .ok_or_else(|| ModulesError::NotFound(m.clone()))?;
                let info = read_file(&path)?;
                let shown = path.display().to_string();
                out.push_str(&format(&fields(&shown, &info), o.field.as_deref()));
            }
            Ok(out)
        }
        Resolution::Builtin => {
            let lines = [
                ("filename".to_string(), "(builtin)".to_string()),
                ("name".to_string(), rroot_init::modules::module_name(name)),
            ];
            Ok(format(&lines, o.field.as_deref()))
        }
        Resolution::NotFound => Err(ModulesError::NotFound(name.to_string()).into()),
    }
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let release = || match &o.release {
        Some(r) => Ok(r.clone()),
        None => nix::sys::utsname::uname()
            .map(|u| u.release().to_string_lossy().into_owned())
            .map_err(ModinfoAppletError::Uname),
    };
    let mut index = None;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for name in &o.modules {
        let text = describe(&o, name, &mut index, &release)?;
        out.write_all(text.as_bytes())
            .map_err(ModinfoAppletError::Write)?;
    }
    Ok(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rroot_init::modules::modinfo::fake_module;

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("modinfo")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn parse_table() {
        let base = || Options {
            basedir: "/".into(),
            ..Options::default()
        };
        let cases = [
            (
                "ext4",
                Ok(Options {
                    modules: vec!["ext4".into()],
                    ..base()
                }),
            ),
            (
                "-F alias -b /r -k 6.1 a b",
                Ok(Options {
                    field: Some("alias".into()),
                    basedir: "/r".into(),
                    release: Some("6.1".into()),
                    modules: vec!["a".into(), "b".into()],
                }),
            ),
            (
                "-n x.ko",
                Ok(Options {
                    field: Some("filename".into()),
                    modules: vec!["x.ko".into()],
                    ..base()
                }),
            ),
            ("", Err(UsageError("missing module NAME or FILE".into()))),
            ("-F", Err(UsageError("option -F needs a value".into()))),
            ("-z a", Err(UsageError("invalid option '-z'".into()))),
        ];
        for (line, want) in cases {
            assert_eq!(Options::parse(args(line)), want, "{line}");
        }
    }

    #[test]
    fn fields_and_layout_like_kmod() {
        let info = ModInfo::parse(
            b"parmtype=queue_depth:uint\0parm=queue_depth:Queue depth\0parmtype=hidden:bool\0\
              license=GPL\0description=Virtio block driver\0alias=virtio:d00000002v*\0\
              depends=\0name=virtio_blk\0",
        );
        let got = format(&fields("/m/virtio_blk.ko", &info), None);
        assert_eq!(
            got,
            "filename:       /m/virtio_blk.ko\n\
             parm:           queue_depth:Queue depth (uint)\n\
             parm:           hidden: (bool)\n\
             license:        GPL\n\
             description:    Virtio block driver\n\
             alias:          virtio:d00000002v*\n\
             depends:        \n\
             name:           virtio_blk\n"
        );
        assert_eq!(
            format(&fields("f", &info), Some("alias")),
            "virtio:d00000002v*\n"
        );
        assert_eq!(format(&fields("f", &info), Some("filename")), "f\n");
    }

    #[test]
    fn describes_by_name_alias_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let mods = dir.path().join("lib/modules/6.1");
        std::fs::create_dir_all(mods.join("kernel")).unwrap();
        std::fs::write(
            mods.join("kernel/ext4.ko"),
            fake_module(&["license=GPL", "alias=fs-ext4", "name=ext4"]),
        )
        .unwrap();
        std::fs::write(mods.join("kernel/bad.ko"), b"nope").unwrap();
        std::fs::write(
            mods.join("modules.dep"),
            "kernel/ext4.ko:\nkernel/bad.ko:\n",
        )
        .unwrap();
        std::fs::write(mods.join("modules.alias"), "alias fs-ext4 ext4\n").unwrap();
        std::fs::write(mods.join("modules.builtin"), "kernel/virtio.ko\n").unwrap();
        let o = Options {
            field: Some("license".into()),
            basedir: dir.path().into(),
            release: Some("6.1".into()),
            modules: Vec::new(),
        };
        let release = || Ok("6.1".to_string());
        let mut index = None;
        for name in ["ext4", "fs-ext4"] {
            assert_eq!(describe(&o, name, &mut index, &release).unwrap(), "GPL\n");
        }
        let file = mods.join("kernel/ext4.ko").display().to_string();
        assert_eq!(describe(&o, &file, &mut index, &release).unwrap(), "GPL\n");
        let o2 = Options { field: None, ..o };
        assert_eq!(
            describe(&o2, "virtio", &mut index, &release).unwrap(),
            "filename:       (builtin)\nname:           virtio\n"
        );
        let err = describe(&o2, "nosuch", &mut index, &release).unwrap_err();
        assert_eq!(err.to_string(), "nosuch: module not found");
        let err = describe(&o2, "bad", &mut index, &release).unwrap_err();
        assert!(
            err.to_string().ends_with("kernel/bad.ko: not an ELF file"),
            "{err}"
        );
    }
}
