//! Kernel modules for the initramfs (to be written).

use std::path::{Path, PathBuf};

/// What the initramfs must carry for a set of kernel modules.
pub struct ModuleBundle {
    /// (source file on the host, destination path inside the image without leading `/`).
    pub files: Vec<(PathBuf, String)>,
    /// Generated files (destination path without leading `/`, contents): modules.dep, modules.alias.
    pub generated: Vec<(String, Vec<u8>)>,
}

/// Resolve the default VM/server module set plus `extra` from a `/lib/modules/VERSION` tree.
pub fn bundle(modules_dir: &Path, extra: &[String]) -> anyhow::Result<ModuleBundle> {
    let _ = extra;
    anyhow::bail!("{}: kernel module bundling is not implemented yet", modules_dir.display())
}
