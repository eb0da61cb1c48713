//! Content-addressed blob cache: `$XDG_CACHE_HOME/rroot/blobs/sha256/<hex>` (or
//! `~/.cache/rroot/…`). A file is only ever there complete and verified: blobs are written
//! to a temporary file in the same directory and renamed into place after the digest matched.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::digest::{check, Digest, HashingWriter};
use rroot_init::io_reason;

pub struct BlobCache {
    dir: PathBuf,
}

impl BlobCache {
    /// The cache directory from the environment: `$XDG_CACHE_HOME/rroot`, else `$HOME/.cache/rroot`.
    pub fn from_env() -> Result<BlobCache> {
        let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            Some(x) => PathBuf::from(x),
            None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
                Some(h) => PathBuf::from(h).join(".cache"),
                None => {
                    bail!("cannot place the blob cache: neither XDG_CACHE_HOME nor HOME is set")
                }
            },
        };
        Ok(BlobCache::at(base.join("rroot")))
    }

    pub fn at(dir: PathBuf) -> BlobCache {
        BlobCache { dir }
    }

    pub fn path(&self, digest: &Digest) -> PathBuf {
        self.dir.join("blobs").join("sha256").join(digest.hex())
    }

    /// The cached file for `digest`, if present.
    pub fn get(&self, digest: &Digest) -> Option<PathBuf> {
        let p = self.path(digest);
        p.is_file().then_some(p)
    }

    /// Copies `reader` into the cache, verifying digest (and size when `size` is given).
    pub fn put(
        &self,
        digest: &Digest,
        size: Option<u64>,
        reader: &mut dyn Read,
    ) -> Result<PathBuf> {
        let final_path = self.path(digest);
        let dir = final_path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("{}: {}", dir.display(), io_reason(&e)))?;
        let tmp = tempfile::Builder::new()
            .prefix(".partial-")
            .tempfile_in(dir)
            .map_err(|e| anyhow::anyhow!("{}: {}", dir.display(), io_reason(&e)))?;
        let mut writer = HashingWriter::new(io::BufWriter::with_capacity(1 << 20, tmp));
        io::copy(reader, &mut writer)
            .map_err(|e| anyhow::anyhow!("{digest}: {}", io_reason(&e)))?;
        let (buffered, got, count) = writer.finish();
        check(digest, &got, &digest.to_string())?;
        if let Some(want) = size {
            if count != want {
                bail!("{digest}: size mismatch: expected {want} bytes, got {count}");
            }
        }
        let tmp = buffered
            .into_inner()
            .map_err(|e| anyhow::anyhow!("{}: {}", dir.display(), io_reason(e.error())))?;
        tmp.persist(&final_path)
            .map_err(|e| anyhow::anyhow!("{}: {}", final_path.display(), io_reason(&e.error)))?;
        Ok(final_path)
    }

    /// Stores a small blob held in memory (manifests) after checking its digest.
    pub fn put_bytes(&self, digest: &Digest, bytes: &[u8]) -> Result<PathBuf> {
        self.put(digest, Some(bytes.len() as u64), &mut &bytes[..])
    }
}

/// Reads a whole small file (manifest, config) with the path in the error.
pub fn read_small(path: &Path) -> Result<Vec<u8>> {
    let mut f = fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), io_reason(&e)))?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)
        .with_context(|| format!("{}: read failed", path.display()))?;
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn put_verifies_and_renames() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::at(dir.path().to_path_buf());
        let d = Digest::of(b"layer");
        assert!(cache.get(&d).is_none());
        let p = cache.put_bytes(&d, b"layer").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"layer");
        assert_eq!(cache.get(&d), Some(p.clone()));

        let other = Digest::of(b"other");
        let e = cache
            .put_bytes(&other, b"tampered")
            .unwrap_err()
            .to_string();
        assert!(e.contains("digest mismatch"), "{e}");
        assert!(cache.get(&other).is_none());
        let e = cache
            .put(&d, Some(9), &mut &b"layer"[..])
            .unwrap_err()
            .to_string();
        assert!(e.contains("size mismatch"), "{e}");
        // Nothing partial is left behind.
        let names: Vec<_> = fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
