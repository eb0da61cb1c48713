//! Container images for `rroot disk`: resolve a reference to a verified manifest, config and
//! layer blobs on local disk ([`ResolvedImage`]), flatten the layers into one tar stream
//! ([`flatten`]), and turn that into an ext4 filesystem ([`ext4`]).

pub mod auth;
pub mod cache;
pub mod compression;
pub mod digest;
pub mod docker_archive;
pub mod ext4;
pub mod flatten;
pub mod interrupt;
pub mod layout;
pub mod manifest;
pub mod progress;
pub mod reference;
pub mod registry;

use std::path::PathBuf;

use digest::Digest;

/// A byte range of a local file holding one blob (a whole file for the cache and OCI
/// layouts, a member of the outer tar for `docker save` archives).
#[derive(Clone, Debug)]
pub struct Blob {
    pub path: PathBuf,
    pub offset: u64,
    pub len: u64,
}

/// What a layer's bytes must hash to, checked while the layer is read.
#[derive(Clone, Debug)]
pub enum LayerCheck {
    /// Already verified when it entered the blob cache.
    Verified,
    /// The descriptor digest: sha256 of the bytes as stored (usually compressed).
    Stored(Digest),
    /// The config's `rootfs.diff_ids` entry: sha256 of the uncompressed tar.
    DiffId(Digest),
}

#[derive(Clone, Debug)]
pub struct Layer {
    pub blob: Blob,
    pub check: LayerCheck,
    /// For messages: the layer's digest or archive member name.
    pub name: String,
}

/// Everything needed to build the disk, on local disk and verified.
pub struct ResolvedImage {
    /// The reference in canonical form (`docker.io/library/nginx:latest`).
    pub reference: String,
    /// The manifest digest (the config digest for `docker save` archives, which have no
    /// manifest): the identity that makes the disk reproducible.
    pub digest: Digest,
    /// The raw image config JSON (image-spec config.md).
    pub config: Vec<u8>,
    pub layers: Vec<Layer>,
    /// Scratch space that must live as long as the layers (e.g. `docker save` output).
    pub scratch: Option<tempfile::TempDir>,
}
