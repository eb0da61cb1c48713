//! Image indexes and manifests, OCI (image-spec image-index.md, manifest.md) and Docker
//! schema 2 (manifest list, manifest v2): the same JSON shapes under different media types.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::digest::Digest;
use super::reference::Platform;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The Accept header for manifest requests: every kind we can read.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// The annotation naming an image inside an OCI layout (image-spec annotations.md).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub platform: Option<DescriptorPlatform>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct DescriptorPlatform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Descriptor {
    pub fn digest(&self) -> Result<Digest> {
        Digest::parse(&self.digest)
    }
}

/// Either kind of document a manifest endpoint returns.
#[derive(Debug)]
pub enum Document {
    Index(Vec<Descriptor>),
    Manifest(Manifest),
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDocument {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

impl Document {
    /// Parses a manifest or index. `content_type` is the HTTP Content-Type or descriptor
    /// media type when known; the document's own `mediaType` and shape decide otherwise.
    pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Document> {
        let raw: RawDocument = serde_json::from_slice(bytes).context("invalid manifest JSON")?;
        if raw.schema_version == Some(1) {
            bail!("Docker schema 1 manifests are not supported");
        }
        let media = raw.media_type.as_deref().or(content_type).unwrap_or("");
        let is_index = media == OCI_INDEX || media == DOCKER_LIST || raw.manifests.is_some();
        if is_index {
            return Ok(Document::Index(raw.manifests.unwrap_or_default()));
        }
        if !media.is_empty() && media != OCI_MANIFEST && media != DOCKER_MANIFEST {
            bail!("unsupported manifest media type {media}");
        }
        match (raw.config, raw.layers) {
            (Some(config), Some(layers)) => Ok(Document::Manifest(Manifest { config, layers })),
            _ => bail!("manifest has no config or layers (media type {media:?})"),
        }
    }
}

/// Picks the image for `want` from an index, as `docker pull --platform` does: os and
/// architecture must match; a requested variant must match, otherwise an entry without a
/// variant is preferred. Attestation entries (`unknown/unknown`) never match.
pub fn select_platform<'a>(entries: &'a [Descriptor], want: &Platform) -> Result<&'a Descriptor> {
    let matching: Vec<&Descriptor> = entries
        .iter()
        .filter(|d| match &d.platform {
            Some(p) => {
                p.os == want.os
                    && p.architecture == want.architecture
                    && match &want.variant {
                        Some(v) => p.variant.as_deref() == Some(v.as_str()),
                        None => true,
                    }
            }
            None => false,
        })
        .collect();
    if let Some(d) = matching
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(|p| p.variant.is_none()))
    {
        return Ok(d);
    }
    if let Some(d) = matching.first() {
        return Ok(d);
    }
    let available: Vec<String> = entries
        .iter()
        .filter_map(|d| d.platform.as_ref())
        .filter(|p| p.os != "unknown")
        .map(|p| match &p.variant {
            Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
            None => format!("{}/{}", p.os, p.architecture),
        })
        .collect();
    bail!(
        "no image for platform {want} (available: {})",
        available.join(", ")
    )
}

/// Layer media types we can flatten; the compression itself is sniffed from the bytes.
pub fn check_layer_media_type(media_type: &str) -> Result<()> {
    let known = [
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.diff.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "",
    ];
    if !known.contains(&media_type) {
        bail!("unsupported layer media type {media_type}");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    fn d(digit: char, os: &str, arch: &str, variant: Option<&str>) -> String {
        let platform = match variant {
            Some(v) => format!(r#"{{"os":"{os}","architecture":"{arch}","variant":"{v}"}}"#),
            None => format!(r#"{{"os":"{os}","architecture":"{arch}"}}"#),
        };
        let hex: String = std::iter::repeat_n(digit, 64).collect();
        format!(
            r#"{{"mediaType":"{OCI_MANIFEST}","digest":"sha256:{hex}","size":1,"platform":{platform}}}"#
        )
    }

    fn index(media_type: &str, entries: &[String]) -> Vec<u8> {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{media_type}","manifests":[{}]}}"#,
            entries.join(",")
        )
        .into_bytes()
    }

    #[test]
    fn select_platform_table() {
        let entries = [
            d('1', "linux", "arm", Some("v7")),
            d('2', "linux", "amd64", None),
            d('3', "linux", "arm64", Some("v8")),
            d('4', "unknown", "unknown", None),
            d('5', "linux", "arm", Some("v6")),
        ];
        for media in [OCI_INDEX, DOCKER_LIST] {
            let Document::Index(list) = Document::parse(&index(media, &entries), None).unwrap()
            else {
                panic!("not an index");
            };
            let cases = [
                ("linux/amd64", Some('2')),
                ("linux/arm64", Some('3')),
                ("linux/arm/v6", Some('5')),
                ("linux/arm", Some('1')),
                ("linux/arm64/v8", Some('3')),
                ("linux/s390x", None),
                ("windows/amd64", None),
            ];
            for (want, got) in cases {
                let r = select_platform(&list, &Platform::parse(want).unwrap());
                match got {
                    Some(c) => assert_eq!(r.unwrap().digest.chars().last(), Some(c), "{want}"),
                    None => {
                        let e = r.unwrap_err().to_string();
                        assert!(e.contains("available: linux/arm/v7, linux/amd64"), "{e}");
                        assert!(!e.contains("unknown"), "{e}");
                    }
                }
            }
        }
    }

    #[test]
    fn documents_of_each_kind() {
        let hex = "a".repeat(64);
        let manifest = |media: &str| {
            format!(
                r#"{{"schemaVersion":2,"mediaType":"{media}","config":{{"mediaType":"x","digest":"sha256:{hex}","size":2}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"sha256:{hex}","size":3}}]}}"#
            )
        };
        for media in [OCI_MANIFEST, DOCKER_MANIFEST] {
            match Document::parse(manifest(media).as_bytes(), None).unwrap() {
                Document::Manifest(m) => assert_eq!((m.config.size, m.layers.len()), (2, 1)),
                Document::Index(_) => panic!("{media}: parsed as index"),
            }
        }
        // OCI manifests may omit mediaType: the shape decides.
        let bare = manifest(OCI_MANIFEST).replace(&format!(r#""mediaType":"{OCI_MANIFEST}","#), "");
        assert!(matches!(
            Document::parse(bare.as_bytes(), None),
            Ok(Document::Manifest(_))
        ));
        let errors = [
            (r#"{"schemaVersion":1,"fsLayers":[]}"#, "schema 1"),
            (r#"{"schemaVersion":2}"#, "no config or layers"),
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws"}"#,
                "unsupported manifest media type",
            ),
            ("not json", "invalid manifest JSON"),
        ];
        for (text, want) in errors {
            let e = Document::parse(text.as_bytes(), None)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn layer_media_types() {
        assert!(check_layer_media_type("application/vnd.oci.image.layer.v1.tar+zstd").is_ok());
        assert!(
            check_layer_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip").is_ok()
        );
        assert!(
            check_layer_media_type("application/vnd.cncf.helm.chart.content.v1.tar+gzip").is_err()
        );
    }
}
