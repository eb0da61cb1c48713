//! `docker-archive:FILE` (`docker save` output) and `docker-daemon:NAME` (which runs
//! `docker save`). The archive's `manifest.json` lists, per image, `Config`, `RepoTags`
//! and `Layers`: member paths in the legacy form (`<id>/layer.tar`, `<id>.json`) or, since
//! Docker 25, OCI blob paths (`blobs/sha256/<hex>`). Layers are read in place from the
//! uncompressed outer tar; a compressed archive is first unpacked to a scratch file.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;

use super::compression::{decompress, Compression};
use super::digest::Digest;
use super::reference::RegistryRef;
use super::{Blob, Layer, LayerCheck, ResolvedImage};
use rroot_init::io_reason;

#[derive(Deserialize)]
struct ArchiveEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

#[derive(Deserialize)]
struct ConfigRootfs {
    #[serde(default)]
    rootfs: Option<Rootfs>,
}

#[derive(Deserialize)]
struct Rootfs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

fn io_err(path: &Path, e: &io::Error) -> anyhow::Error {
    anyhow!("{}: {}", path.display(), io_reason(e))
}

/// Member name → (offset of the data, size) in the uncompressed archive. Symlinked and
/// hard-linked members (Docker 25+ links the legacy `<id>/layer.tar` to `blobs/sha256/…`)
/// resolve to their targets.
fn index_members(path: &Path) -> Result<BTreeMap<String, (u64, u64)>> {
    let file = File::open(path).map_err(|e| io_err(path, &e))?;
    let mut archive = tar::Archive::new(file);
    let mut members = BTreeMap::new();
    let mut links: Vec<(String, String)> = Vec::new();
    let entries = archive.entries_with_seek().map_err(|e| io_err(path, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_err(path, &e))?;
        let name = normalize(&String::from_utf8_lossy(&entry.path_bytes()));
        match entry.header().entry_type() {
            tar::EntryType::Regular => {
                members.insert(name, (entry.raw_file_position(), entry.size()));
            }
            kind @ (tar::EntryType::Symlink | tar::EntryType::Link) => {
                let target = entry.link_name_bytes().unwrap_or_default();
                let target = String::from_utf8_lossy(&target).into_owned();
                let resolved = match (kind, name.rsplit_once('/')) {
                    // Symlink targets are relative to the link's directory.
                    (tar::EntryType::Symlink, Some((dir, _))) if !target.starts_with('/') => {
                        normalize(&format!("{dir}/{target}"))
                    }
                    _ => normalize(&target),
                };
                links.push((name, resolved));
            }
            _ => {}
        }
    }
    // Links to links: a few rounds settle any sane archive.
    for _ in 0..4 {
        for (name, target) in &links {
            if let Some(&at) = members.get(target) {
                members.entry(name.clone()).or_insert(at);
            }
        }
    }
    Ok(members)
}

/// `./a/../b/c` → `b/c`, the way member names are compared.
fn normalize(name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

fn read_member(path: &Path, (offset, size): (u64, u64)) -> Result<Vec<u8>> {
    if size > 64 << 20 {
        bail!(
            "{}: member of {size} bytes where JSON was expected",
            path.display()
        );
    }
    let mut f = File::open(path).map_err(|e| io_err(path, &e))?;
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| io_err(path, &e))?;
    let mut out = Vec::new();
    f.take(size)
        .read_to_end(&mut out)
        .map_err(|e| io_err(path, &e))?;
    Ok(out)
}

/// Picks the image called `name` (compared in canonical form, so `nginx` finds
/// `nginx:latest`), or the only one.
fn select<'a>(entries: &'a [ArchiveEntry], name: Option<&str>) -> Result<&'a ArchiveEntry> {
    let canonical = |s: &str| {
        RegistryRef::parse(s)
            .map(|r| r.to_string())
            .unwrap_or_else(|_| s.to_string())
    };
    match name {
        Some(n) => {
            let want = canonical(n);
            entries
                .iter()
                .find(|e| e.repo_tags.iter().flatten().any(|t| canonical(t) == want))
                .ok_or_else(|| anyhow!("no image named {n} in the archive"))
        }
        None => match entries {
            [only] => Ok(only),
            [] => bail!("manifest.json lists no images"),
            many => {
                let tags: Vec<&str> = many
                    .iter()
                    .flat_map(|e| e.repo_tags.iter().flatten())
                    .map(String::as_str)
                    .collect();
                bail!("the archive holds {} images, name one with docker-archive:FILE:NAME (tags: {})", many.len(), tags.join(", "))
            }
        },
    }
}

pub fn resolve(file: &Path, name: Option<&str>, display: String) -> Result<ResolvedImage> {
    let mut scratch = None;
    let mut head = [0u8; 4];
    let n = File::open(file)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| io_err(file, &e))?;
    let archive: PathBuf = if Compression::sniff(&head[..n]) == Compression::None {
        file.to_path_buf()
    } else {
        let dir = tempfile::tempdir().context("creating a scratch directory")?;
        let out = dir.path().join("archive.tar");
        let input = File::open(file).map_err(|e| io_err(file, &e))?;
        let (_, mut reader) = decompress(input).map_err(|e| io_err(file, &e))?;
        let mut w = File::create(&out).map_err(|e| io_err(&out, &e))?;
        io::copy(&mut reader, &mut w).map_err(|e| io_err(file, &e))?;
        scratch = Some(dir);
        out
    };
    let members = index_members(&archive)?;
    let Some(&manifest_at) = members.get("manifest.json") else {
        bail!(
            "{}: no manifest.json (not a docker save archive)",
            file.display()
        );
    };
    let manifest: Vec<ArchiveEntry> = serde_json::from_slice(&read_member(&archive, manifest_at)?)
        .with_context(|| format!("{}: manifest.json", file.display()))?;
    let chosen = select(&manifest, name)?;
    let member = |m: &str| {
        members
            .get(&normalize(m))
            .copied()
            .ok_or_else(|| anyhow!("{}: missing member {m}", file.display()))
    };
    let config = read_member(&archive, member(&chosen.config)?)?;
    let digest = Digest::of(&config);
    if let Some(hex) = chosen.config.strip_prefix("blobs/sha256/") {
        let expected = Digest::parse(&format!("sha256:{hex}"))?;
        super::digest::check(&expected, &digest, &chosen.config)?;
    }
    let rootfs: ConfigRootfs = serde_json::from_slice(&config)
        .with_context(|| format!("{}: {}", file.display(), chosen.config))?;
    let diff_ids = rootfs.rootfs.map(|r| r.diff_ids).unwrap_or_default();
    if diff_ids.len() != chosen.layers.len() {
        bail!(
            "{}: config lists {} diff_ids for {} layers",
            file.display(),
            diff_ids.len(),
            chosen.layers.len()
        );
    }
    let mut layers = Vec::with_capacity(chosen.layers.len());
    for (name, diff_id) in chosen.layers.iter().zip(&diff_ids) {
        let (offset, len) = member(name)?;
        layers.push(Layer {
            blob: Blob {
                path: archive.clone(),
                offset,
                len,
            },
            check: LayerCheck::DiffId(
                Digest::parse(diff_id).with_context(|| format!("diff_id of {name}"))?,
            ),
            name: name.clone(),
        });
    }
    Ok(ResolvedImage {
        reference: display,
        digest,
        config,
        layers,
        scratch,
    })
}

/// Exports `name` from the local Docker engine with `docker save` and reads that archive.
pub fn from_daemon(name: &str, display: String) -> Result<ResolvedImage> {
    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    let out = dir.path().join("image.tar");
    let result = Command::new("docker")
        .arg("save")
        .arg("-o")
        .arg(&out)
        .arg(name)
        .output();
    let output = match result {
        Ok(o) => o,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            bail!("docker-daemon needs the docker command (not found in PATH); use docker-archive:FILE or a registry")
        }
        Err(e) => bail!("docker save: {}", io_reason(&e)),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("failed")
            .trim();
        bail!("docker save: {last}");
    }
    let mut image = resolve(&out, Some(name), display)?;
    if image.scratch.is_none() {
        image.scratch = Some(dir);
    } else {
        // The decompressed copy lives in its own scratch dir; the save output can go.
        drop(dir);
    }
    Ok(image)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    type Case<'a> = (&'a [ArchiveEntry], Option<&'a str>, Result<usize, &'a str>);

    fn entry(tags: &[&str]) -> ArchiveEntry {
        ArchiveEntry {
            config: "c.json".into(),
            repo_tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            layers: vec![],
        }
    }

    #[test]
    fn member_names_normalise() {
        let cases = [
            ("./manifest.json", "manifest.json"),
            ("abc/../blobs/sha256/x", "blobs/sha256/x"),
            ("a//b/", "a/b"),
        ];
        for (name, want) in cases {
            assert_eq!(normalize(name), want);
        }
    }

    #[test]
    fn linked_members_resolve_to_their_targets() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(5);
        h.set_mode(0o644);
        b.append_data(&mut h, "blobs/sha256/abc", &b"layer"[..])
            .unwrap();
        let mut l = tar::Header::new_ustar();
        l.set_entry_type(tar::EntryType::Symlink);
        l.set_size(0);
        b.append_link(&mut l, "1234/layer.tar", "../blobs/sha256/abc")
            .unwrap();
        let mut hl = tar::Header::new_ustar();
        hl.set_entry_type(tar::EntryType::Link);
        hl.set_size(0);
        b.append_link(&mut hl, "other.tar", "blobs/sha256/abc")
            .unwrap();
        let path = dir.path().join("a.tar");
        std::fs::write(&path, b.into_inner().unwrap()).unwrap();
        let members = index_members(&path).unwrap();
        let blob = members["blobs/sha256/abc"];
        assert_eq!(members["1234/layer.tar"], blob);
        assert_eq!(members["other.tar"], blob);
        assert_eq!(read_member(&path, blob).unwrap(), b"layer");
    }

    #[test]
    fn select_table() {
        let two = [
            entry(&["nginx:latest"]),
            entry(&["docker.io/library/redis:7", "redis:seven"]),
        ];
        let cases: [Case; 6] = [
            (&two, Some("nginx"), Ok(0)),
            (&two, Some("docker.io/library/nginx:latest"), Ok(0)),
            (&two, Some("redis:7"), Ok(1)),
            (&two, Some("redis:8"), Err("no image named redis:8")),
            (&two, None, Err("holds 2 images")),
            (&two[..1], None, Ok(0)),
        ];
        for (entries, name, want) in cases {
            match (select(entries, name), want) {
                (Ok(e), Ok(i)) => assert!(std::ptr::eq(e, &entries[i]), "{name:?}"),
                (Err(e), Err(w)) => assert!(e.to_string().contains(w), "{e}"),
                (_, want) => panic!("{name:?}: want {want:?}"),
            }
        }
    }
}
