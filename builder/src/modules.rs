//! Kernel modules for the initramfs: pick a default set for VMs and common servers plus
//! `--module NAME` from a `/lib/modules/VERSION` tree, close it over `depends=` and `softdep=`
//! (names or aliases, as in ext4's `softdep=pre: crypto-crc32c`) read from each module's
//! `.modinfo` section, and write what depmod(8) would: `modules.dep`, `modules.alias`,
//! `modules.softdep`, plus `modules.builtin` and a `modules.order` for the chosen modules.
//!
//! Pure Rust: Debian's kernel package ships no `modules.dep` and the host may have no depmod.
//! `.ko.xz`, `.ko.zst` and `.ko.gz` are decompressed here and stored as plain `.ko`, so the
//! guest needs no decompressor (finit_module(2) gets a plain ELF file).

use rroot_init::modules::modinfo;
use rroot_init::modules::pattern;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use modinfo::ModInfo;
use rroot_init::io_reason;

/// Drivers a VM or a common server needs to reach its disk, network and console: virtio
/// (QEMU, cloud VMs), legacy and AHCI SATA, SCSI disks and CD-ROMs, NVMe, Intel NICs as QEMU
/// emulates them, the filesystems `rroot disk` writes and EFI partitions use, and packet
/// sockets for DHCP. Names missing from a tree or built into its kernel are skipped.
pub const DEFAULT_MODULES: &[&str] = &[
    "virtio_pci",
    "virtio_blk",
    "virtio_scsi",
    "virtio_net",
    "virtio_console",
    "virtio_rng",
    "ata_piix",
    "ahci",
    "sd_mod",
    "sr_mod",
    "nvme",
    "ext4",
    "vfat",
    "nls_cp437",
    "nls_iso8859_1",
    "e1000",
    "e1000e",
    "af_packet",
];

/// What the initramfs must carry for a set of kernel modules.
pub struct ModuleBundle {
    /// (source file on the host, destination path inside the image without leading `/`).
    pub files: Vec<(PathBuf, String)>,
    /// Generated files (destination path without leading `/`, contents): modules.dep, modules.alias.
    pub generated: Vec<(String, Vec<u8>)>,
}

/// Resolve the default VM/server module set plus `extra` from a `/lib/modules/VERSION` tree.
pub fn bundle(modules_dir: &Path, extra: &[String]) -> Result<ModuleBundle> {
    let mut tree = ModuleTree::scan(modules_dir)?;
    let mut selection = Selection::default();
    for name in DEFAULT_MODULES {
        if let Resolved::Modules(found) = tree.resolve(name)? {
            for m in found {
                selection.add(&mut tree, &m)?;
            }
        }
    }
    for name in extra {
        match tree.resolve(name)? {
            Resolved::Modules(found) => {
                for m in found {
                    selection.add(&mut tree, &m)?;
                }
            }
            Resolved::Builtin => {}
            Resolved::Missing => bail!("--module {name}: no such module or alias"),
        }
    }
    Ok(selection.render(&tree))
}

/// How a module file is stored in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Packing {
    Plain,
    Xz,
    Zstd,
    Gzip,
}

impl Packing {
    /// The packing and the path without its compression suffix, for `…/x.ko[.xz|.zst|.gz]`.
    fn of(rel: &str) -> Option<(Packing, &str)> {
        [
            (".ko", Packing::Plain, ""),
            (".ko.xz", Packing::Xz, ".xz"),
            (".ko.zst", Packing::Zstd, ".zst"),
            (".ko.gz", Packing::Gzip, ".gz"),
        ]
        .into_iter()
        .find(|(ext, _, _)| rel.ends_with(ext))
        .map(|(_, p, suffix)| (p, &rel[..rel.len() - suffix.len()]))
    }
}

/// A module file of the tree.
#[derive(Debug, Clone)]
struct ModuleFile {
    /// Relative to the modules directory, as found (`kernel/fs/ext4/ext4.ko.xz`).
    rel: String,
    packing: Packing,
}

impl ModuleFile {
    /// Relative path in the image: always a plain `.ko`.
    fn dest(&self) -> &str {
        Packing::of(&self.rel).map_or(self.rel.as_str(), |(_, plain)| plain)
    }
}

/// What a name stands for in a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolved {
    Modules(Vec<String>),
    Builtin,
    Missing,
}

/// A `/lib/modules/VERSION` directory: its module files by name, what is built in, and
/// (read on first need) every module's aliases.
struct ModuleTree {
    dir: PathBuf,
    version: String,
    files: BTreeMap<String, ModuleFile>,
    builtin: BTreeSet<String>,
    /// (normalized pattern, module) of builtin modules, from `modules.builtin.modinfo`.
    builtin_aliases: Vec<(String, String)>,
    /// (normalized pattern, module) of loadable modules; `None` until an alias is looked up.
    aliases: Option<Vec<(String, String)>>,
    order: Vec<String>,
}

/// A module's name: file name without `.ko[.xz|.zst|.gz]`, `-` as `_` (as the kernel has it).
fn module_name(path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path);
    let base = Packing::of(base).map_or(base, |(_, plain)| plain);
    base.strip_suffix(".ko").unwrap_or(base).replace('-', "_")
}

impl ModuleTree {
    fn scan(dir: &Path) -> Result<ModuleTree> {
        let meta = std::fs::metadata(dir).map_err(|e| anyhow::anyhow!("{}", io_reason(&e)))?;
        if !meta.is_dir() {
            bail!("not a directory");
        }
        let version = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .filter(|v| !v.is_empty())
            .context("cannot tell the kernel version from the directory name")?;
        let mut files: BTreeMap<String, ModuleFile> = BTreeMap::new();
        let walk = walkdir::WalkDir::new(dir)
            .follow_links(false)
            .sort_by_file_name();
        for entry in walk {
            let entry = entry.map_err(|e| anyhow::anyhow!("{e}"))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(dir) else {
                continue;
            };
            let rel = rel.to_string_lossy().into_owned();
            let Some((packing, _)) = Packing::of(&rel) else {
                continue;
            };
            let name = module_name(&rel);
            // depmod's search order: updates/ before the kernel's own modules.
            let replace = match files.get(&name) {
                None => true,
                Some(old) => rel.starts_with("updates/") && !old.rel.starts_with("updates/"),
            };
            if replace {
                files.insert(name, ModuleFile { rel, packing });
            }
        }
        if files.is_empty() {
            bail!("no kernel modules (*.ko) below this directory");
        }
        let read_optional = |name: &str| -> Result<Vec<u8>> {
            let path = dir.join(name);
            match std::fs::read(&path) {
                Ok(b) => Ok(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => bail!("{}: {}", path.display(), io_reason(&e)),
            }
        };
        let builtin = String::from_utf8_lossy(&read_optional("modules.builtin")?)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(module_name)
            .collect();
        let builtin_aliases = parse_builtin_modinfo(&read_optional("modules.builtin.modinfo")?);
        let order = String::from_utf8_lossy(&read_optional("modules.order")?)
            .lines()
            .map(str::to_string)
            .collect();
        Ok(ModuleTree {
            dir: dir.to_path_buf(),
            version,
            files,
            builtin,
            builtin_aliases,
            aliases: None,
            order,
        })
    }

    /// A module name, then a builtin, then aliases of modules, then aliases of builtins.
    fn resolve(&mut self, name: &str) -> Result<Resolved> {
        let norm = module_name(name);
        if self.files.contains_key(&norm) {
            return Ok(Resolved::Modules(vec![norm]));
        }
        if self.builtin.contains(&norm) {
            return Ok(Resolved::Builtin);
        }
        let text = pattern::normalize(name);
        let found: BTreeSet<String> = self
            .aliases()?
            .iter()
            .filter(|(p, _)| pattern::matches(p, &text))
            .map(|(_, m)| m.clone())
            .collect();
        if !found.is_empty() {
            return Ok(Resolved::Modules(found.into_iter().collect()));
        }
        if self
            .builtin_aliases
            .iter()
            .any(|(p, _)| pattern::matches(p, &text))
        {
            return Ok(Resolved::Builtin);
        }
        Ok(Resolved::Missing)
    }

    /// Every module's aliases: from the tree's `modules.alias` when depmod made one, else
    /// from each module's `.modinfo` (a few KiB read per plain module).
    fn aliases(&mut self) -> Result<&[(String, String)]> {
        if self.aliases.is_none() {
            let mut out = Vec::new();
            match std::fs::read(self.dir.join("modules.alias")) {
                Ok(text) => {
                    for line in String::from_utf8_lossy(&text).lines() {
                        let mut w = line.split_whitespace();
                        if let (Some("alias"), Some(p), Some(m)) = (w.next(), w.next(), w.next()) {
                            out.push((pattern::normalize(p), module_name(m)));
                        }
                    }
                }
                Err(_) => {
                    for (name, file) in &self.files {
                        // A module that cannot be read is reported if it is chosen; here it
                        // just offers no aliases.
                        let Ok((info, _)) = self.read(file) else {
                            continue;
                        };
                        for alias in info.all("alias") {
                            out.push((pattern::normalize(alias), name.clone()));
                        }
                    }
                }
            }
            self.aliases = Some(out);
        }
        Ok(self.aliases.as_deref().unwrap_or_default())
    }

    /// A module's `.modinfo`, and its plain contents when it had to be decompressed.
    fn read(&self, file: &ModuleFile) -> Result<(ModInfo, Option<Vec<u8>>)> {
        let path = self.dir.join(&file.rel);
        let context = || path.display().to_string();
        let open = || File::open(&path).map_err(|e| anyhow::anyhow!("{}", io_reason(&e)));
        let plain = match file.packing {
            Packing::Plain => None,
            Packing::Xz => {
                let mut out = Vec::new();
                lzma_rs::xz_decompress(
                    &mut BufReader::new(open().with_context(context)?),
                    &mut out,
                )
                .map_err(|e| anyhow::anyhow!("xz: {e}"))
                .with_context(context)?;
                Some(out)
            }
            Packing::Zstd => Some(
                zstd::stream::decode_all(open().with_context(context)?)
                    .map_err(|e| anyhow::anyhow!("zstd: {}", io_reason(&e)))
                    .with_context(context)?,
            ),
            Packing::Gzip => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(open().with_context(context)?)
                    .read_to_end(&mut out)
                    .map_err(|e| anyhow::anyhow!("gzip: {}", io_reason(&e)))
                    .with_context(context)?;
                Some(out)
            }
        };
        let info = match &plain {
            Some(bytes) => modinfo::read_modinfo(&mut Cursor::new(bytes)),
            None => modinfo::read_modinfo(&mut BufReader::new(open().with_context(context)?)),
        }
        .with_context(context)?;
        Ok((info, plain))
    }
}

/// `modules.builtin.modinfo`: `module.key=value` strings separated by NUL; the aliases.
fn parse_builtin_modinfo(bytes: &[u8]) -> Vec<(String, String)> {
    bytes
        .split(|b| *b == 0)
        .filter_map(|s| {
            let s = String::from_utf8_lossy(s);
            let (key, value) = s.split_once('=')?;
            let module = key.strip_suffix(".alias")?;
            Some((pattern::normalize(value), module_name(module)))
        })
        .collect()
}

/// A chosen module.
struct Chosen {
    file: ModuleFile,
    info: ModInfo,
    /// Decompressed contents for packed modules.
    plain: Option<Vec<u8>>,
    /// Resolved hard dependencies (loadable ones only).
    depends: Vec<String>,
}

#[derive(Default)]
struct Selection {
    chosen: BTreeMap<String, Chosen>,
}

impl Selection {
    /// Add `name` and, transitively, its `depends=` (required) and `softdep=` (when present).
    fn add(&mut self, tree: &mut ModuleTree, name: &str) -> Result<()> {
        let mut work = vec![name.to_string()];
        while let Some(module) = work.pop() {
            if self.chosen.contains_key(&module) {
                continue;
            }
            let Some(file) = tree.files.get(&module).cloned() else {
                bail!("{module}: no such module");
            };
            let (info, plain) = tree.read(&file)?;
            let mut depends = Vec::new();
            for dep in info.depends() {
                match tree.resolve(&dep)? {
                    Resolved::Modules(found) => depends.extend(found),
                    Resolved::Builtin => {}
                    Resolved::Missing => bail!(
                        "{}: depends on {dep}, which is neither a module here nor builtin",
                        file.rel
                    ),
                }
            }
            let soft = info.softdeps();
            for dep in soft.pre.iter().chain(&soft.post) {
                // Soft dependencies are optional, as for modprobe.
                if let Resolved::Modules(found) = tree.resolve(dep)? {
                    work.extend(found);
                }
            }
            work.extend(depends.iter().cloned());
            self.chosen.insert(
                module,
                Chosen {
                    file,
                    info,
                    plain,
                    depends,
                },
            );
        }
        Ok(())
    }

    /// The chosen modules in `modules.order` order, the others after them by path.
    fn ordered<'a>(&'a self, tree: &ModuleTree) -> Vec<(&'a String, &'a Chosen)> {
        let position: BTreeMap<String, usize> = tree
            .order
            .iter()
            .enumerate()
            .map(|(i, rel)| (module_name(rel), i))
            .collect();
        let mut out: Vec<(&String, &Chosen)> = self.chosen.iter().collect();
        out.sort_by_key(|(name, c)| {
            (
                position.get(*name).copied().unwrap_or(usize::MAX),
                c.file.dest().to_string(),
            )
        });
        out
    }

    /// depmod's dependency list: every module `name` needs, transitively, ordered so that
    /// read backwards it is a load order.
    fn dep_list(&self, name: &str) -> Vec<String> {
        fn visit(sel: &Selection, m: &str, seen: &mut BTreeSet<String>, post: &mut Vec<String>) {
            if !seen.insert(m.to_string()) {
                return;
            }
            if let Some(c) = sel.chosen.get(m) {
                for d in &c.depends {
                    visit(sel, d, seen, post);
                }
            }
            post.push(m.to_string());
        }
        let mut seen = BTreeSet::new();
        let mut post = Vec::new();
        visit(self, name, &mut seen, &mut post);
        post.pop(); // the module itself comes last in load order
        post.reverse();
        post
    }

    fn render(&self, tree: &ModuleTree) -> ModuleBundle {
        let base = format!("lib/modules/{}", tree.version);
        let ordered = self.ordered(tree);
        let mut files = Vec::new();
        let mut generated = Vec::new();
        let mut dep = String::new();
        let mut alias = String::from("# Aliases extracted from modules themselves.\n");
        let mut softdep = String::from("# Soft dependencies extracted from modules themselves.\n");
        let mut order = String::new();
        for (name, c) in &ordered {
            let dest = c.file.dest();
            match &c.plain {
                Some(bytes) => generated.push((format!("{base}/{dest}"), bytes.clone())),
                None => files.push((tree.dir.join(&c.file.rel), format!("{base}/{dest}"))),
            }
            let deps: Vec<&str> = self
                .dep_list(name)
                .iter()
                .filter_map(|d| self.chosen.get(d).map(|c| c.file.dest()))
                .collect();
            dep.push_str(dest);
            dep.push(':');
            for d in deps {
                dep.push(' ');
                dep.push_str(d);
            }
            dep.push('\n');
            for a in c.info.all("alias") {
                alias.push_str(&format!("alias {a} {name}\n"));
            }
            let soft = c.info.softdeps();
            if !soft.pre.is_empty() || !soft.post.is_empty() {
                softdep.push_str(&format!("softdep {name}"));
                if !soft.pre.is_empty() {
                    softdep.push_str(&format!(" pre: {}", soft.pre.join(" ")));
                }
                if !soft.post.is_empty() {
                    softdep.push_str(&format!(" post: {}", soft.post.join(" ")));
                }
                softdep.push('\n');
            }
            order.push_str(dest);
            order.push('\n');
        }
        for (file, text) in [
            ("modules.dep", dep),
            ("modules.alias", alias),
            ("modules.softdep", softdep),
            ("modules.order", order),
        ] {
            generated.push((format!("{base}/{file}"), text.into_bytes()));
        }
        for file in ["modules.builtin", "modules.builtin.modinfo"] {
            let path = tree.dir.join(file);
            if path.is_file() {
                files.push((path, format!("{base}/{file}")));
            }
        }
        files.sort_by(|a, b| a.1.cmp(&b.1));
        generated.sort_by(|a, b| a.0.cmp(&b.0));
        ModuleBundle { files, generated }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;
    use std::fs;
    use std::io::Write;

    /// A tree `6.1.0-test/` with fake modules (ELF files with only a `.modinfo`).
    fn fake_tree(modules: &[(&str, &[&str])], builtin: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("6.1.0-test");
        for (rel, info) in modules {
            let path = root.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            let elf = modinfo::fake_module(info);
            let bytes = if rel.ends_with(".xz") {
                let mut out = Vec::new();
                lzma_rs::xz_compress(&mut Cursor::new(&elf), &mut out).unwrap();
                out
            } else if rel.ends_with(".zst") {
                zstd::stream::encode_all(Cursor::new(&elf), 3).unwrap()
            } else if rel.ends_with(".gz") {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                enc.write_all(&elf).unwrap();
                enc.finish().unwrap()
            } else {
                elf
            };
            fs::write(path, bytes).unwrap();
        }
        fs::write(root.join("modules.builtin"), builtin).unwrap();
        dir
    }

    fn text(b: &ModuleBundle, name: &str) -> String {
        let (_, bytes) = b.generated.iter().find(|(p, _)| p.ends_with(name)).unwrap();
        String::from_utf8(bytes.clone()).unwrap()
    }

    fn standard_tree() -> tempfile::TempDir {
        fake_tree(
            &[
                (
                    "kernel/fs/ext4/ext4.ko.xz",
                    &[
                        "alias=fs-ext4",
                        "softdep=pre: crypto-crc32c",
                        "depends=jbd2,mbcache,crc16",
                        "name=ext4",
                    ],
                ),
                ("kernel/fs/jbd2/jbd2.ko.zst", &["depends=", "name=jbd2"]),
                ("kernel/fs/mbcache.ko.gz", &["depends=", "name=mbcache"]),
                ("kernel/lib/crc16.ko", &["depends=", "name=crc16"]),
                (
                    "kernel/crypto/crc32c_generic.ko",
                    &[
                        "alias=crypto-crc32c",
                        "alias=crypto-crc32c-generic",
                        "depends=",
                        "name=crc32c_generic",
                    ],
                ),
                (
                    "kernel/arch/x86/crypto/crc32c-intel.ko",
                    &[
                        "alias=crypto-crc32c",
                        "alias=crypto-crc32c-intel",
                        "depends=",
                        "name=crc32c_intel",
                    ],
                ),
                (
                    "kernel/drivers/block/virtio_blk.ko",
                    &["alias=virtio:d00000002v*", "depends=", "name=virtio_blk"],
                ),
                (
                    "kernel/drivers/net/virtio_net.ko",
                    &[
                        "alias=virtio:d00000001v*",
                        "depends=net_failover",
                        "name=virtio_net",
                    ],
                ),
                (
                    "kernel/drivers/net/net_failover.ko",
                    &["depends=failover", "name=net_failover"],
                ),
                (
                    "kernel/net/core/failover.ko",
                    &["depends=", "name=failover"],
                ),
                (
                    "kernel/drivers/scsi/unrelated.ko",
                    &["depends=", "name=unrelated"],
                ),
                (
                    "kernel/drivers/scsi/needs-ghost.ko",
                    &["depends=ghost", "name=needs_ghost"],
                ),
                (
                    "kernel/drivers/scsi/uses_builtin.ko",
                    &["depends=virtio", "name=uses_builtin"],
                ),
            ],
            "kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio_pci.ko\n",
        )
    }

    #[test]
    fn bundles_defaults_with_dependencies_and_softdeps() {
        let dir = standard_tree();
        let root = dir.path().join("6.1.0-test");
        let b = bundle(&root, &["uses-builtin".to_string()]).unwrap();
        let base = "lib/modules/6.1.0-test";
        let files: Vec<&str> = b.files.iter().map(|(_, d)| d.as_str()).collect();
        assert_eq!(
            files,
            [
                format!("{base}/kernel/arch/x86/crypto/crc32c-intel.ko"),
                format!("{base}/kernel/crypto/crc32c_generic.ko"),
                format!("{base}/kernel/drivers/block/virtio_blk.ko"),
                format!("{base}/kernel/drivers/net/net_failover.ko"),
                format!("{base}/kernel/drivers/net/virtio_net.ko"),
                format!("{base}/kernel/drivers/scsi/uses_builtin.ko"),
                format!("{base}/kernel/lib/crc16.ko"),
                format!("{base}/kernel/net/core/failover.ko"),
                format!("{base}/modules.builtin"),
            ]
        );
        let generated: Vec<&str> = b.generated.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(
            generated,
            [
                format!("{base}/kernel/fs/ext4/ext4.ko"),
                format!("{base}/kernel/fs/jbd2/jbd2.ko"),
                format!("{base}/kernel/fs/mbcache.ko"),
                format!("{base}/modules.alias"),
                format!("{base}/modules.dep"),
                format!("{base}/modules.order"),
                format!("{base}/modules.softdep"),
            ]
        );
        // Decompressed modules are plain ELF files again.
        let ext4 = &b.generated[0].1;
        assert_eq!(&ext4[..4], b"\x7fELF");
        let dep = text(&b, "modules.dep");
        assert!(dep.contains(
            "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko\n"
        ));
        assert!(dep.contains(
            "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko\n"
        ));
        assert!(dep.contains("kernel/drivers/scsi/uses_builtin.ko:\n"));
        assert!(!dep.contains("unrelated"));
        let alias = text(&b, "modules.alias");
        assert!(alias.contains("alias crypto-crc32c crc32c_intel\n"));
        assert!(alias.contains("alias virtio:d00000002v* virtio_blk\n"));
        assert_eq!(
            text(&b, "modules.softdep"),
            "# Soft dependencies extracted from modules themselves.\nsoftdep ext4 pre: crypto-crc32c\n"
        );
        // Deterministic.
        let again = bundle(&root, &["uses-builtin".to_string()]).unwrap();
        assert_eq!(again.generated, b.generated);
        assert_eq!(again.files, b.files);
    }

    #[test]
    fn errors_name_the_culprit() {
        let dir = standard_tree();
        let root = dir.path().join("6.1.0-test");
        let cases = [
            ("nosuch", "--module nosuch: no such module or alias"),
            (
                "needs_ghost",
                "kernel/drivers/scsi/needs-ghost.ko: depends on ghost, which is neither a module here nor builtin",
            ),
        ];
        for (module, want) in cases {
            let err = bundle(&root, &[module.to_string()]).err().unwrap();
            assert!(format!("{err:#}").starts_with(want), "{err:#}");
        }
        // A builtin asked for is fine: nothing to carry.
        assert!(bundle(&root, &["virtio_pci".to_string()]).is_ok());
        let empty = tempfile::tempdir().unwrap();
        let err = bundle(empty.path(), &[]).err().unwrap();
        assert!(format!("{err:#}").contains("no kernel modules"));
    }

    #[test]
    fn builtin_modinfo_aliases_table() {
        let got = parse_builtin_modinfo(
            b"crc32c.alias=crypto-crc32c\0crc32c.license=GPL\0virtio_pci.alias=pci:v00001AF4d*sv*sd*bc*sc*i*\0",
        );
        assert_eq!(
            got,
            [
                ("crypto_crc32c".to_string(), "crc32c".to_string()),
                (
                    "pci:v00001AF4d*sv*sd*bc*sc*i*".to_string(),
                    "virtio_pci".to_string()
                ),
            ]
        );
    }

    /// The real Debian tree when the repository's cache has it: the default set resolves and
    /// its gzip'd size is printed (`cargo test -p rroot debian -- --nocapture`).
    #[test]
    fn bundles_the_debian_kernel_default_set() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../.cache/kernel/root/lib/modules/6.1.0-56-amd64");
        if !dir.is_dir() {
            eprintln!("SKIPPED: {} is missing", dir.display());
            return;
        }
        let b = bundle(&dir, &[]).unwrap();
        let dep = text(&b, "modules.dep");
        for needed in [
            "virtio_blk.ko:",
            "ext4.ko:",
            "crc32c_generic.ko:",
            "virtio_net.ko:",
            "virtio_pci.ko:",
        ] {
            assert!(dep.contains(needed), "{needed} missing from\n{dep}");
        }
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let mut raw = 0;
        for (src, _) in &b.files {
            let bytes = fs::read(src).unwrap();
            raw += bytes.len();
            enc.write_all(&bytes).unwrap();
        }
        for (_, bytes) in &b.generated {
            raw += bytes.len();
            enc.write_all(bytes).unwrap();
        }
        let gz = enc.finish().unwrap().len();
        let count = dep.lines().count();
        eprintln!("debian default set: {count} modules, {raw} bytes, {gz} bytes gzip'd");
    }
}
