//! `oci:DIR[:TAG]`: an OCI image layout (image-spec image-layout.md): `oci-layout`,
//! `index.json`, `blobs/sha256/<hex>`. The tag matches the
//! `org.opencontainers.image.ref.name` annotation of an `index.json` entry.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use super::cache::read_small;
use super::digest::Digest;
use super::manifest::{self, Descriptor, Document};
use super::reference::Platform;
use super::{Blob, Layer, LayerCheck, ResolvedImage};
use rroot_init::io_reason;

pub fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs").join("sha256").join(digest.hex())
}

/// A small verified blob (manifest, config) from the layout.
fn read_blob(dir: &Path, desc: &Descriptor) -> Result<(Vec<u8>, Digest)> {
    let digest = desc.digest()?;
    let bytes = read_small(&blob_path(dir, &digest))?;
    digest.verify(&bytes, &digest.to_string())?;
    Ok((bytes, digest))
}

/// Picks the `index.json` entry named `tag`, or the only one when no tag is given.
pub fn select_entry<'a>(entries: &'a [Descriptor], tag: Option<&str>) -> Result<&'a Descriptor> {
    match tag {
        Some(t) => entries
            .iter()
            .find(|d| {
                d.annotations.get(manifest::REF_NAME).is_some_and(|n| {
                    // skopeo writes the bare tag; some tools write `name:tag`.
                    n == t || n.rsplit_once(':').is_some_and(|(_, tail)| tail == t)
                })
            })
            .ok_or_else(|| anyhow!("no image tagged {t:?} in index.json")),
        None => match entries {
            [only] => Ok(only),
            [] => bail!("index.json lists no images"),
            many => {
                let names: Vec<&str> = many
                    .iter()
                    .filter_map(|d| d.annotations.get(manifest::REF_NAME).map(String::as_str))
                    .collect();
                bail!(
                    "index.json lists {} images, name one with oci:DIR:TAG (tags: {})",
                    many.len(),
                    names.join(", ")
                )
            }
        },
    }
}

pub fn resolve(
    dir: &Path,
    tag: Option<&str>,
    platform: &Platform,
    display: String,
) -> Result<ResolvedImage> {
    let layout_file = dir.join("oci-layout");
    if !layout_file.is_file() {
        bail!(
            "{}: not an OCI image layout (no oci-layout file)",
            dir.display()
        );
    }
    let index_bytes = read_small(&dir.join("index.json"))?;
    let Document::Index(entries) = Document::parse(&index_bytes, Some(manifest::OCI_INDEX))
        .with_context(|| format!("{}/index.json", dir.display()))?
    else {
        bail!("{}/index.json: not an image index", dir.display());
    };
    let mut desc = select_entry(&entries, tag)?.clone();
    // Follow nested indexes (skopeo stores a multi-arch image as an index blob) to a manifest.
    for _ in 0..4 {
        let (bytes, digest) = read_blob(dir, &desc)?;
        match Document::parse(&bytes, Some(desc.media_type.as_str()))? {
            Document::Index(inner) => desc = manifest::select_platform(&inner, platform)?.clone(),
            Document::Manifest(m) => return assemble(dir, m, digest, display),
        }
    }
    bail!("{}: image indexes nested too deeply", dir.display())
}

fn assemble(
    dir: &Path,
    m: manifest::Manifest,
    digest: Digest,
    display: String,
) -> Result<ResolvedImage> {
    let (config, _) = read_blob(dir, &m.config)?;
    let mut layers = Vec::with_capacity(m.layers.len());
    for desc in &m.layers {
        manifest::check_layer_media_type(&desc.media_type)?;
        let d = desc.digest()?;
        let path = blob_path(dir, &d);
        let len = std::fs::metadata(&path)
            .map_err(|e| anyhow!("{}: {}", path.display(), io_reason(&e)))?
            .len();
        layers.push(Layer {
            blob: Blob {
                path,
                offset: 0,
                len,
            },
            check: LayerCheck::Stored(d),
            name: desc.digest.clone(),
        });
    }
    Ok(ResolvedImage {
        reference: display,
        digest,
        config,
        layers,
        scratch: None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    type Case<'a> = (&'a [Descriptor], Option<&'a str>, Result<usize, &'a str>);

    fn entry(name: Option<&str>) -> Descriptor {
        let mut d = Descriptor {
            media_type: manifest::OCI_MANIFEST.into(),
            digest: format!("sha256:{}", "0".repeat(64)),
            size: 1,
            platform: None,
            annotations: Default::default(),
        };
        if let Some(n) = name {
            d.annotations.insert(manifest::REF_NAME.into(), n.into());
        }
        d
    }

    #[test]
    fn select_entry_table() {
        let two = [entry(Some("latest")), entry(Some("example.com/app:v2"))];
        let one = [entry(None)];
        let cases: [Case; 6] = [
            (&two, Some("latest"), Ok(0)),
            (&two, Some("v2"), Ok(1)),
            (&two, Some("v3"), Err("no image tagged \"v3\"")),
            (
                &two,
                None,
                Err("lists 2 images, name one with oci:DIR:TAG (tags: latest, example.com/app:v2)"),
            ),
            (&one, None, Ok(0)),
            (&[], None, Err("lists no images")),
        ];
        for (entries, tag, want) in cases {
            match (select_entry(entries, tag), want) {
                (Ok(d), Ok(i)) => assert!(std::ptr::eq(d, &entries[i]), "{tag:?}"),
                (Err(e), Err(w)) => assert!(e.to_string().contains(w), "{e}"),
                (got, want) => panic!(
                    "{tag:?}: got {:?}, want {want:?}",
                    got.map(|d| d.digest.clone())
                ),
            }
        }
    }
}
