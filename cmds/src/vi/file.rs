//! Reading and writing the edited file. Writing never leaves a half-written target: the data
//! goes to a temporary file in the same directory, is fsync'ed, gets the original's mode and
//! owner, and is renamed over the target (the directory is fsync'ed after).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The file's bytes, or None if it does not exist (a new file).
pub fn load(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if f.metadata()?.is_dir() {
        return Err(io::Error::from_raw_os_error(libc::EISDIR));
    }
    let mut data = Vec::new();
    f.read_to_end(&mut data)?;
    Ok(Some(data))
}

/// Replace `path` with `data` atomically. A symlink is followed: its target is replaced.
pub fn save(path: &Path, data: &[u8]) -> io::Result<()> {
    let target: PathBuf = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path)?,
        _ => path.to_path_buf(),
    };
    let old = match fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = None;
    for n in 0..100 {
        let candidate = dir.join(format!(".{name}.vi{}-{n}", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(&candidate)
        {
            Ok(f) => {
                tmp = Some((candidate, f));
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    let Some((tmp_path, mut f)) = tmp else {
        return Err(io::Error::from_raw_os_error(libc::EEXIST));
    };
    let result = (|| {
        f.write_all(data)?;
        if let Some(m) = &old {
            // Best effort for the owner: only root may give a file away.
            let _ = std::os::unix::fs::fchown(&f, Some(m.uid()), Some(m.gid()));
            f.set_permissions(fs::Permissions::from_mode(m.mode() & 0o7777))?;
        }
        f.sync_all()?;
        fs::rename(&tmp_path, &target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
        return result;
    }
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_replaces_and_keeps_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f");
        fs::write(&p, b"old").expect("write");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).expect("chmod");
        save(&p, b"new\n").expect("save");
        assert_eq!(fs::read(&p).expect("read"), b"new\n");
        assert_eq!(fs::metadata(&p).expect("stat").mode() & 0o777, 0o640);
        assert_eq!(
            fs::read_dir(dir.path()).expect("ls").count(),
            1,
            "no temp file left"
        );
        assert_eq!(load(&dir.path().join("none")).expect("load"), None);
        assert!(load(dir.path()).is_err());
    }
}
