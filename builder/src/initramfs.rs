//! `rroot initramfs`: write a reproducible newc cpio initramfs holding rbox, its applet links,
//! a minimal skeleton and whatever the user adds.
//!
//! Usage: rroot initramfs [-o PATH] [--compress gzip|zstd|none] [--rbox PATH]
//!                        [--preset minimal|default|full] [--applets A,B | +A,-B]
//!                        [--files SRC[:DST]]... [--init APPLET_OR_PATH]
//!                        [--kernel-modules DIR [--module NAME]...]
//!
//! Steps: parse the options (pure), ask rbox which applets it has (`rbox --list`,
//! `rbox --list PRESET`, `rbox --list-sbin`), choose the applets ([`AppletChoice`]), plan a [`Tree`] (skeleton, links, files and the libraries their ELF
//! binaries need), then write it through a temporary file in the output directory that is
//! renamed into place only when complete — a failed run leaves no partial output.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};

use crate::compress::{Compression, Compressor};
use crate::elf::{self, LibraryResolver};
use crate::modules::ModuleBundle;
use crate::newc;
use crate::tree::{archive_path, relative_target, FileSource, Node, NodeKind, Origin, Tree};
use rroot_init::io_reason;

/// Applets also linked under `/sbin` when the rbox at hand does not answer `--list-sbin`
/// (an older build). Newer rbox binaries say it themselves from their applet table.
const SBIN_FALLBACK: &[&str] = &[
    "chroot", "dhclient", "halt", "init", "insmod", "ip", "lsmod", "modinfo", "modprobe",
    "poweroff", "reboot", "rmmod",
];

/// Directories every image has, with their modes (FHS; `/tmp` sticky and world-writable,
/// `/root` private).
const SKELETON_DIRS: &[(&str, u32)] = &[
    ("bin", 0o755),
    ("dev", 0o755),
    ("etc", 0o755),
    ("lib", 0o755),
    ("mnt", 0o755),
    ("proc", 0o555),
    ("root", 0o700),
    ("run", 0o755),
    ("sbin", 0o755),
    ("sys", 0o555),
    ("tmp", 0o1777),
    ("usr", 0o755),
];

/// Device nodes the kernel needs before devtmpfs is mounted: `/dev/console` for init's
/// stdio (init/main.c console_on_rootfs) and `/dev/null`. (path, major, minor, mode)
const SKELETON_DEVICES: &[(&str, u32, u32, u32)] =
    &[("dev/console", 5, 1, 0o600), ("dev/null", 1, 3, 0o666)];

const PASSWD: &str =
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP: &str = "root:x:0:\nnogroup:x:65534:\n";

#[derive(clap::Args)]
pub struct Args {
    /// Output file [default: out/initramfs.cpio.gz, .cpio.zst or .cpio after --compress]
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    output: Option<PathBuf>,
    /// Compression: gzip, zstd or none
    #[arg(long, value_name = "KIND", default_value = "gzip")]
    compress: String,
    /// rbox binary [default: build it with cargo (release, x86_64-unknown-linux-musl)]
    #[arg(long, value_name = "PATH")]
    rbox: Option<PathBuf>,
    /// Applet preset: minimal (init, sh, mount and a few more), default (the console
    /// toolkit) or full (everything rbox has); `rbox --list PRESET` names them [default: default]
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
    /// Applets to link into /bin (and /sbin), comma-separated. Plain names: exactly these
    /// (no preset). +NAME adds to and -NAME removes from the preset's list: `--applets +vi,-top`
    #[arg(
        long,
        value_name = "A,B | +A,-B",
        value_delimiter = ',',
        allow_hyphen_values = true
    )]
    applets: Option<Vec<String>>,
    /// Add a host file or directory (recursively) at DST [default: SRC]; dynamically linked
    /// ELF files bring their interpreter and libraries. Repeatable.
    #[arg(long = "files", value_name = "SRC[:DST]")]
    files: Vec<OsString>,
    /// What /init runs: an applet name or a path inside the archive
    #[arg(long, value_name = "APPLET_OR_PATH", default_value = "init")]
    init: String,
    /// A /lib/modules/VERSION tree: bundle the default VM/server kernel modules from it
    #[arg(long = "kernel-modules", value_name = "DIR")]
    kernel_modules: Option<PathBuf>,
    /// An extra kernel module to bundle (with its dependencies). Repeatable.
    #[arg(long = "module", value_name = "NAME")]
    modules: Vec<String>,
}

pub fn run(args: Args) -> Result<()> {
    let compression = parse_compression(&args.compress)?;
    let mtime = source_date_epoch(std::env::var_os("SOURCE_DATE_EPOCH").as_deref())?;
    let files = args
        .files
        .iter()
        .map(|f| FileSpec::parse(f))
        .collect::<Result<Vec<_>>>()?;
    if !args.modules.is_empty() && args.kernel_modules.is_none() {
        bail!(
            "--module {}: needs --kernel-modules DIR",
            args.modules.join(",")
        );
    }
    let output = args
        .output
        .unwrap_or_else(|| PathBuf::from(format!("out/initramfs.cpio{}", compression.extension())));

    let rbox = match args.rbox {
        // `--rbox rbox` means the file here, not a program looked up in PATH.
        Some(path) if path.is_relative() => Path::new(".").join(path),
        Some(path) => path,
        None => build_rbox()?,
    };
    let choice = AppletChoice::parse(args.preset.as_deref(), args.applets.as_deref())?;
    let inventory = AppletInventory::query(&rbox, choice.preset())?;
    let applets = inventory.select(&choice)?;
    let init = InitChoice::parse(&args.init, &inventory.all)?;
    let modules = match &args.kernel_modules {
        Some(dir) => Some(ModuleSource {
            origin: format!("--kernel-modules {}", dir.display()),
            bundle: crate::modules::bundle(dir, &args.modules)
                .with_context(|| format!("--kernel-modules {}", dir.display()))?,
        }),
        None => None,
    };

    let contents = Contents {
        rbox,
        applets,
        sbin: inventory.sbin,
        init,
        files,
        modules,
    };
    let tree = plan(&contents, &LibraryResolver::new(Path::new("/")))?;
    let size = write_output(&tree, compression, mtime, &output)?;
    eprintln!(
        "rroot: wrote {} ({} entries, {} KiB)",
        output.display(),
        tree.len(),
        size.div_ceil(1024)
    );
    Ok(())
}

fn parse_compression(s: &str) -> Result<Compression> {
    match s {
        "gzip" | "gz" => Ok(Compression::Gzip),
        "zstd" | "zst" => Ok(Compression::Zstd),
        "none" => Ok(Compression::None),
        _ => bail!("--compress {s}: unknown compression (expected gzip, zstd or none)"),
    }
}

/// reproducible-builds.org SOURCE_DATE_EPOCH: every entry's mtime; 0 when unset or empty.
fn source_date_epoch(value: Option<&OsStr>) -> Result<u32> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(0);
    };
    value
        .to_str()
        .and_then(|v| v.parse::<u32>().ok())
        .ok_or_else(|| {
            anyhow!(
                "SOURCE_DATE_EPOCH={}: not a number of seconds since 1970 that fits in 32 bits",
                value.to_string_lossy()
            )
        })
}

/// One `--files SRC[:DST]` argument. The first `:` separates SRC from DST.
#[derive(Debug, PartialEq, Eq)]
pub struct FileSpec {
    /// The argument as given, to name it in errors.
    pub arg: String,
    pub src: PathBuf,
    /// Destination inside the archive as given; `None` means "same as SRC". A trailing `/`
    /// means "into this directory".
    pub dst: Option<String>,
}

impl FileSpec {
    pub fn parse(arg: &OsStr) -> Result<Self> {
        let Some(text) = arg.to_str() else {
            bail!("--files {}: path is not valid UTF-8", arg.to_string_lossy());
        };
        let (src, dst) = match text.split_once(':') {
            Some((src, dst)) => (src, Some(dst)),
            None => (text, None),
        };
        if src.is_empty() {
            bail!("--files {text}: empty source path");
        }
        if dst.is_some_and(str::is_empty) {
            bail!("--files {text}: empty destination path");
        }
        if let Some(dst) = dst {
            archive_path(dst).with_context(|| format!("--files {text}"))?;
        }
        Ok(Self {
            arg: text.to_string(),
            src: PathBuf::from(src),
            dst: dst.map(str::to_string),
        })
    }

    /// The archive path of the source itself (a file, or the directory whose contents go there).
    fn destination(&self, src_is_dir: bool) -> Result<String> {
        let src = self.src.to_string_lossy();
        let dst = match &self.dst {
            None => src.to_string(),
            Some(d) if d.ends_with('/') && !src_is_dir => {
                let name = self
                    .src
                    .file_name()
                    .and_then(OsStr::to_str)
                    .ok_or_else(|| anyhow!("--files {}: source has no file name", self.arg))?;
                format!("{d}{name}")
            }
            Some(d) => d.clone(),
        };
        archive_path(&dst).with_context(|| format!("--files {}", self.arg))
    }
}

/// An image preset of rbox's applet table (`rbox --list PRESET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    Minimal,
    Default,
    Full,
}

impl Preset {
    fn parse(name: &str) -> Result<Self> {
        match name {
            "minimal" => Ok(Preset::Minimal),
            "default" => Ok(Preset::Default),
            "full" => Ok(Preset::Full),
            _ => bail!("--preset {name}: unknown preset (expected minimal, default or full)"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Preset::Minimal => "minimal",
            Preset::Default => "default",
            Preset::Full => "full",
        }
    }
}

/// Which applets the archive links, from `--preset` and `--applets`.
///
/// The rule: `--applets a,b` (plain names) is exactly that set and cannot be combined with
/// `--preset`; `--applets +a,-b` edits the preset's list (the default preset when `--preset`
/// is not given). Mixing plain and +/- names is an error, so no order of rules matters.
#[derive(Debug, PartialEq, Eq)]
enum AppletChoice {
    Preset {
        preset: Preset,
        add: Vec<String>,
        remove: Vec<String>,
    },
    Exact(Vec<String>),
}

impl AppletChoice {
    fn parse(preset: Option<&str>, applets: Option<&[String]>) -> Result<Self> {
        let named = preset.map(Preset::parse).transpose()?;
        let names: Vec<&str> = applets
            .unwrap_or_default()
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .collect();
        let edits = names.iter().filter(|n| n.starts_with(['+', '-'])).count();
        if applets.is_some() && edits == 0 {
            if let Some(p) = preset {
                bail!(
                    "--applets {}: plain names are the exact set and cannot be combined with \
                     --preset {p}; use +NAME or -NAME to change the preset",
                    names.join(",")
                );
            }
            return Ok(AppletChoice::Exact(
                names.iter().map(|n| n.to_string()).collect(),
            ));
        }
        if edits != names.len() {
            bail!(
                "--applets {}: either all names are plain (the exact set) or all start with + or -",
                names.join(",")
            );
        }
        let (mut add, mut remove) = (Vec::new(), Vec::new());
        for n in names {
            let (list, bare) = match n.split_at(1) {
                ("+", bare) => (&mut add, bare),
                (_, bare) => (&mut remove, bare),
            };
            if bare.is_empty() {
                bail!("--applets {n}: no applet name after the sign");
            }
            list.push(bare.to_string());
        }
        Ok(AppletChoice::Preset {
            preset: named.unwrap_or(Preset::Default),
            add,
            remove,
        })
    }

    /// The preset whose list must be asked from rbox, if any.
    fn preset(&self) -> Option<Preset> {
        match self {
            AppletChoice::Preset { preset, .. } => Some(*preset),
            AppletChoice::Exact(_) => None,
        }
    }
}

/// The applets an rbox binary provides.
struct AppletInventory {
    all: BTreeSet<String>,
    /// The preset's applets (`rbox --list PRESET`); all of them from an older rbox that does
    /// not know presets.
    preset: BTreeSet<String>,
    sbin: BTreeSet<String>,
}

impl AppletInventory {
    fn query(rbox: &Path, preset: Option<Preset>) -> Result<Self> {
        let subject = format!("--rbox {}", rbox.display());
        let meta = fs::metadata(rbox).map_err(|e| anyhow!("{subject}: {}", io_reason(&e)))?;
        if !meta.is_file() {
            bail!("{subject}: not a regular file");
        }
        let list = run_listing(rbox, &["--list"])
            .with_context(|| subject.clone())?
            .ok_or_else(|| anyhow!("{subject}: `rbox --list` failed"))?;
        let all = parse_applet_list(&list).with_context(|| format!("{subject}: --list"))?;
        if all.is_empty() {
            bail!("{subject}: `rbox --list` printed no applets");
        }
        let preset = match preset.filter(|p| *p != Preset::Full) {
            None => all.clone(),
            Some(p) => {
                match run_listing(rbox, &["--list", p.name()]).with_context(|| subject.clone())? {
                    Some(out) => {
                        let listed = parse_applet_list(&out)
                            .with_context(|| format!("{subject}: --list {}", p.name()))?;
                        if let Some(stray) = listed.difference(&all).next() {
                            bail!(
                            "{subject}: `rbox --list {}` names '{stray}', which `rbox --list` does not",
                            p.name()
                        );
                        }
                        listed
                    }
                    None => {
                        eprintln!(
                            "rroot: warning: {} does not answer --list {}; linking all its applets",
                            rbox.display(),
                            p.name()
                        );
                        all.clone()
                    }
                }
            }
        };
        let sbin = match run_listing(rbox, &["--list-sbin"]).with_context(|| subject.clone())? {
            Some(out) => {
                parse_applet_list(&out).with_context(|| format!("{subject}: --list-sbin"))?
            }
            None => {
                eprintln!(
                    "rroot: warning: {} does not answer --list-sbin; using the built-in /sbin list",
                    rbox.display()
                );
                SBIN_FALLBACK.iter().map(|s| s.to_string()).collect()
            }
        };
        Ok(Self { all, preset, sbin })
    }

    /// The applets to link, after checking every name the user gave.
    fn select(&self, choice: &AppletChoice) -> Result<Vec<String>> {
        let known = |name: &str| -> Result<()> {
            if !self.all.contains(name) {
                bail!("--applets: unknown applet '{name}' (not in `rbox --list`)");
            }
            Ok(())
        };
        let chosen: BTreeSet<String> = match choice {
            AppletChoice::Exact(names) => {
                for n in names {
                    known(n)?;
                }
                names.iter().cloned().collect()
            }
            AppletChoice::Preset { add, remove, .. } => {
                let mut set = self.preset.clone();
                for n in add {
                    known(n)?;
                    set.insert(n.clone());
                }
                for n in remove {
                    known(n)?;
                    set.remove(n);
                }
                set
            }
        };
        Ok(chosen.into_iter().collect())
    }
}

/// Stdout of `rbox FLAGS…`, or `None` when rbox ran but refused them.
fn run_listing(rbox: &Path, flags: &[&str]) -> Result<Option<String>> {
    let flag = flags.join(" ");
    let out = Command::new(rbox)
        .args(flags)
        .output()
        .map_err(|e| anyhow!("cannot run it: {}", io_reason(&e)))?;
    if !out.status.success() {
        return Ok(None);
    }
    String::from_utf8(out.stdout)
        .map(Some)
        .map_err(|_| anyhow!("`rbox {flag}` printed something that is not UTF-8"))
}

fn parse_applet_list(text: &str) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for name in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let bad = name == "." || name == ".." || name.contains(['/', '\0', ' ', '\t']);
        if bad {
            bail!("invalid applet name '{name}'");
        }
        names.insert(name.to_string());
    }
    Ok(names)
}

/// What `/init` is.
#[derive(Debug, PartialEq, Eq)]
enum InitChoice {
    Applet(String),
    /// An archive path (no leading `/`) that the user provides with `--files`.
    Path(String),
}

impl InitChoice {
    fn parse(value: &str, applets: &BTreeSet<String>) -> Result<Self> {
        if value.contains('/') {
            let path = archive_path(value).with_context(|| format!("--init {value}"))?;
            // `/bin/sh` is an applet link: the kernel runs /init with argv[0] "/init", so a
            // link to it would start the init applet; treat it as the applet instead.
            for dir in ["bin/", "sbin/"] {
                if let Some(name) = path.strip_prefix(dir).filter(|n| applets.contains(*n)) {
                    return Ok(InitChoice::Applet(name.to_string()));
                }
            }
            if path.is_empty() || path == "init" {
                bail!("--init {value}: not a program");
            }
            return Ok(InitChoice::Path(path));
        }
        if !applets.contains(value) {
            bail!("--init {value}: unknown applet (not in `rbox --list`)");
        }
        Ok(InitChoice::Applet(value.to_string()))
    }

    /// The `/init` node. rbox picks the applet from the basename of argv[0], and the kernel
    /// starts /init with argv[0] "/init", so a symlink to rbox always runs the `init` applet.
    /// Another applet gets a two-line script run by rbox's sh (binfmt_script passes
    /// `#!` arguments), which execs it.
    fn node(&self) -> NodeKind {
        match self {
            InitChoice::Applet(a) if a == "init" => NodeKind::Symlink("bin/rbox".into()),
            InitChoice::Applet(a) => NodeKind::File(FileSource::Bytes(
                format!("#!/bin/rbox sh\nexec /bin/rbox {a} \"$@\"\n").into_bytes(),
            )),
            InitChoice::Path(p) => NodeKind::Symlink(relative_target("init", p)),
        }
    }
}

struct ModuleSource {
    origin: String,
    bundle: ModuleBundle,
}

/// Everything that goes into the archive, decided; [`plan`] turns it into a tree.
struct Contents {
    rbox: PathBuf,
    applets: Vec<String>,
    sbin: BTreeSet<String>,
    init: InitChoice,
    files: Vec<FileSpec>,
    modules: Option<ModuleSource>,
}

fn plan(c: &Contents, resolver: &LibraryResolver) -> Result<Tree> {
    let mut tree = Tree::new();
    let skeleton = |kind, perm| Node {
        kind,
        perm,
        origin: Origin::Skeleton,
    };
    for (dir, perm) in SKELETON_DIRS {
        tree.insert(dir, skeleton(NodeKind::Dir, *perm))?;
    }
    for (path, major, minor, perm) in SKELETON_DEVICES {
        let kind = NodeKind::CharDev {
            major: *major,
            minor: *minor,
        };
        tree.insert(path, skeleton(kind, *perm))?;
    }
    for (path, text) in [("etc/passwd", PASSWD), ("etc/group", GROUP)] {
        let kind = NodeKind::File(FileSource::Bytes(text.as_bytes().to_vec()));
        tree.insert(path, skeleton(kind, 0o644))?;
    }
    for applet in &c.applets {
        let mut dirs = vec!["bin"];
        if c.sbin.contains(applet) {
            dirs.push("sbin");
        }
        for dir in dirs {
            let link = format!("{dir}/{applet}");
            let target = relative_target(&link, "bin/rbox");
            tree.insert(&link, skeleton(NodeKind::Symlink(target), 0o777))?;
        }
    }
    let fixed = |kind, perm| Node {
        kind,
        perm,
        origin: Origin::Fixed,
    };
    let rbox = FileSource::Host(c.rbox.clone());
    tree.insert("bin/rbox", fixed(NodeKind::File(rbox), 0o755))?;
    let init_perm = match c.init.node() {
        NodeKind::File(_) => 0o755,
        _ => 0o777,
    };
    tree.insert("init", fixed(c.init.node(), init_perm))?;

    if let Some(m) = &c.modules {
        let origin = Origin::User(m.origin.clone());
        for (src, dst) in &m.bundle.files {
            let node = Node {
                kind: NodeKind::File(FileSource::Host(src.clone())),
                perm: 0o644,
                origin: origin.clone(),
            };
            tree.insert(dst, node).with_context(|| m.origin.clone())?;
        }
        for (dst, bytes) in &m.bundle.generated {
            let node = Node {
                kind: NodeKind::File(FileSource::Bytes(bytes.clone())),
                perm: 0o644,
                origin: origin.clone(),
            };
            tree.insert(dst, node).with_context(|| m.origin.clone())?;
        }
    }

    let mut adder = FileAdder {
        tree: &mut tree,
        resolver,
        libraries: BTreeMap::new(),
    };
    for spec in &c.files {
        adder
            .add_spec(spec)
            .with_context(|| format!("--files {}", spec.arg))?;
    }

    if let InitChoice::Path(p) = &c.init {
        match tree.get(p).map(|n| &n.kind) {
            Some(NodeKind::File(_)) | Some(NodeKind::Symlink(_)) => {}
            Some(_) => bail!("--init /{p}: not a file"),
            None => bail!("--init /{p}: not in the archive (add it with --files)"),
        }
    }
    Ok(tree)
}

/// Adds `--files` sources and the libraries of their ELF binaries.
struct FileAdder<'a> {
    tree: &'a mut Tree,
    resolver: &'a LibraryResolver,
    /// Canonical host path of each library added → its archive path, so one library reached
    /// under two names (`/lib64/ld-linux-x86-64.so.2` and the multiarch one) is stored once
    /// and the other name becomes a symlink.
    libraries: BTreeMap<PathBuf, String>,
}

impl FileAdder<'_> {
    fn add_spec(&mut self, spec: &FileSpec) -> Result<()> {
        // The source itself is followed if it is a symlink; links inside directories are kept.
        let meta = fs::metadata(&spec.src).map_err(|e| anyhow!("{}", io_reason(&e)))?;
        let origin = Origin::User(format!("--files {}", spec.arg));
        let dst = spec.destination(meta.is_dir())?;
        if !meta.is_dir() {
            return self.add_entry(&spec.src, &meta, &dst, &origin, false);
        }
        let walk = walkdir::WalkDir::new(&spec.src)
            .follow_links(false)
            .sort_by_file_name();
        for entry in walk {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(&spec.src).display().to_string();
                match e.io_error() {
                    Some(io) => anyhow!("{path}: {}", io_reason(io)),
                    None => anyhow!("{path}: {e}"),
                }
            })?;
            let rel = entry
                .path()
                .strip_prefix(&spec.src)
                .with_context(|| format!("{}: outside the source", entry.path().display()))?;
            let Some(rel) = rel.to_str() else {
                bail!("{}: path is not valid UTF-8", entry.path().display());
            };
            let path = if rel.is_empty() {
                dst.clone()
            } else if dst.is_empty() {
                rel.to_string()
            } else {
                format!("{dst}/{rel}")
            };
            let meta = if rel.is_empty() {
                meta.clone() // the (possibly symlinked) source directory itself
            } else {
                entry
                    .metadata()
                    .map_err(|e| anyhow!("{}: {e}", entry.path().display()))?
            };
            self.add_entry(entry.path(), &meta, &path, &origin, true)?;
        }
        Ok(())
    }

    /// Add one host file at `dst`. `in_dir`: it was found walking a directory, so errors
    /// name it (the `--files` argument alone names a top-level source).
    fn add_entry(
        &mut self,
        src: &Path,
        meta: &Metadata,
        dst: &str,
        origin: &Origin,
        in_dir: bool,
    ) -> Result<()> {
        let kind = node_kind(src, meta)?;
        let elf_deps = match &kind {
            // Reading the ELF header also proves the file is readable, before any output.
            NodeKind::File(_) => elf::read_file_deps(src).map_err(|e| match in_dir {
                true => anyhow!("{}: {e:#}", src.display()),
                false => e,
            })?,
            _ => None,
        };
        let node = Node {
            kind,
            perm: meta.mode() & 0o7777,
            origin: origin.clone(),
        };
        self.tree.insert(dst, node)?;
        let Some(deps) = elf_deps else {
            return Ok(());
        };
        // $ORIGIN and error messages use the path on the host.
        let object = absolute(src)?;
        for lib in self.resolver.closure(&object, &deps)? {
            let canonical = fs::canonicalize(&lib.host)
                .map_err(|e| anyhow!("{}: {}", lib.host.display(), io_reason(&e)))?;
            let guest = archive_path(&lib.guest)?;
            let kind = match self.libraries.get(&canonical) {
                Some(first) if *first != guest => NodeKind::Symlink(relative_target(&guest, first)),
                _ => {
                    self.libraries.insert(canonical.clone(), guest.clone());
                    NodeKind::File(FileSource::Host(lib.host.clone()))
                }
            };
            let perm = match kind {
                NodeKind::Symlink(_) => 0o777,
                _ => fs::metadata(&canonical)
                    .map(|m| m.mode() & 0o7777)
                    .unwrap_or(0o755),
            };
            let node = Node {
                kind,
                perm,
                origin: origin.clone(),
            };
            self.tree.insert(&guest, node)?;
        }
        Ok(())
    }
}

fn absolute(path: &Path) -> Result<String> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| anyhow!("current directory: {}", io_reason(&e)))?
            .join(path)
    };
    abs.to_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("{}: path is not valid UTF-8", path.display()))
}

/// The archive node for a host file of type `meta` (not following symlinks).
fn node_kind(src: &Path, meta: &Metadata) -> Result<NodeKind> {
    let ft = meta.file_type();
    let (major, minor) = split_dev(meta.rdev());
    Ok(if ft.is_dir() {
        NodeKind::Dir
    } else if ft.is_file() {
        NodeKind::File(FileSource::Host(src.to_path_buf()))
    } else if ft.is_symlink() {
        let target =
            fs::read_link(src).map_err(|e| anyhow!("{}: {}", src.display(), io_reason(&e)))?;
        let target = target
            .to_str()
            .ok_or_else(|| anyhow!("{}: symlink target is not valid UTF-8", src.display()))?;
        NodeKind::Symlink(target.to_string())
    } else if ft.is_char_device() {
        NodeKind::CharDev { major, minor }
    } else if ft.is_block_device() {
        NodeKind::BlockDev { major, minor }
    } else if ft.is_fifo() {
        NodeKind::Fifo
    } else {
        bail!("{}: sockets cannot be put in an archive", src.display());
    })
}

/// glibc's gnu_dev_major/gnu_dev_minor encoding of a 64-bit dev_t.
fn split_dev(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major as u32, minor as u32)
}

/// Write the compressed archive to `output` atomically; returns its size in bytes.
fn write_output(tree: &Tree, compression: Compression, mtime: u32, output: &Path) -> Result<u64> {
    let subject = output.display().to_string();
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| anyhow!("{}: {}", dir.display(), io_reason(&e)))?;
    let tmp = tempfile::Builder::new()
        .prefix(".initramfs.")
        .tempfile_in(&dir)
        .map_err(|e| anyhow!("{}: {}", dir.display(), io_reason(&e)))?;
    let io_err = |e: std::io::Error| anyhow!("{subject}: {}", io_reason(&e));
    let file: &File = tmp.as_file();
    let compressor = Compressor::new(compression, BufWriter::new(file)).map_err(io_err)?;
    let compressor = newc::write_archive(tree, mtime, compressor)?;
    let mut buffered = compressor.finish().map_err(io_err)?;
    buffered.flush().map_err(io_err)?;
    drop(buffered);
    file.set_permissions(fs::Permissions::from_mode(0o644))
        .map_err(io_err)?;
    file.sync_all().map_err(io_err)?;
    let size = file.metadata().map_err(io_err)?.len();
    tmp.persist(output).map_err(|e| io_err(e.error))?;
    Ok(size)
}

/// The workspace that holds `cmds/`: the current directory when it is one (a checkout run
/// with an installed `rroot`), else the one this binary was built from.
pub fn workspace_dir() -> Result<PathBuf> {
    let is_workspace =
        |d: &Path| d.join("Cargo.toml").is_file() && d.join("cmds/Cargo.toml").is_file();
    if let Ok(cwd) = std::env::current_dir() {
        if is_workspace(&cwd) {
            return Ok(cwd);
        }
    }
    if let Some(built_from) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
        if is_workspace(built_from) {
            return Ok(built_from.to_path_buf());
        }
    }
    bail!("cannot find the rroot workspace (run from the checkout, or pass --rbox PATH)")
}

/// `cargo build --release --target x86_64-unknown-linux-musl -p rroot-cmds`; the binary path.
fn build_rbox() -> Result<PathBuf> {
    let ws = workspace_dir()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = "x86_64-unknown-linux-musl";
    let args = ["build", "--release", "--target", target, "-p", "rroot-cmds"];
    eprintln!("rroot: building rbox: cargo {}", args.join(" "));
    let status = Command::new(&cargo)
        .args(args)
        .current_dir(&ws)
        .status()
        .map_err(|e| {
            anyhow!(
                "building rbox: {}: {}",
                Path::new(&cargo).display(),
                io_reason(&e)
            )
        })?;
    if !status.success() {
        bail!(
            "building rbox: `cargo {}` failed ({status})",
            args.join(" ")
        );
    }
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => ws.join(d),
        None => ws.join("target"),
    };
    Ok(without_unwind_tables(
        &target_dir.join(target).join("release/rbox"),
    ))
}

/// rbox is built with `panic = "abort"`, so nothing ever unwinds: the unwind tables the
/// prebuilt std brings along (`.eh_frame`, about 170 KiB of the gzip'd initramfs) are dead
/// weight. objcopy (binutils, which the musl link already needs) writes a copy without them
/// next to the binary; if that fails, the binary is used as built.
fn without_unwind_tables(rbox: &Path) -> PathBuf {
    // Same file name in another directory: rbox dispatches on its own name.
    let slim_dir = rbox.with_file_name("slim");
    let slim = slim_dir.join("rbox");
    if let Err(e) = std::fs::create_dir_all(&slim_dir) {
        eprintln!(
            "rroot: warning: {}: {}; using rbox as built",
            slim_dir.display(),
            io_reason(&e)
        );
        return rbox.to_path_buf();
    }
    let status = Command::new("objcopy")
        .args([
            "--remove-section=.eh_frame",
            "--remove-section=.eh_frame_hdr",
        ])
        .arg(rbox)
        .arg(&slim)
        .status();
    match status {
        Ok(s) if s.success() => slim,
        Ok(s) => {
            eprintln!(
                "rroot: warning: objcopy {}: {s}; using rbox as built",
                rbox.display()
            );
            rbox.to_path_buf()
        }
        Err(e) => {
            eprintln!(
                "rroot: warning: objcopy: {}; using rbox as built",
                io_reason(&e)
            );
            rbox.to_path_buf()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;
    use crate::elf::synth;
    use std::os::unix::ffi::OsStrExt;

    fn inventory(all: &[&str], sbin: &[&str]) -> AppletInventory {
        let all: BTreeSet<String> = all.iter().map(|s| s.to_string()).collect();
        AppletInventory {
            preset: all.clone(),
            all,
            sbin: sbin.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn file_spec_parse_table() {
        let cases = [
            ("/usr/bin/strace", "/usr/bin/strace", None),
            ("/etc/hosts:/etc/hosts", "/etc/hosts", Some("/etc/hosts")),
            ("rootfs:/", "rootfs", Some("/")),
            ("a:b:c", "a", Some("b:c")),
        ];
        for (arg, src, dst) in cases {
            let spec = FileSpec::parse(OsStr::new(arg)).unwrap();
            assert_eq!(spec.src, PathBuf::from(src), "{arg}");
            assert_eq!(spec.dst.as_deref(), dst, "{arg}");
        }
        let bad = [
            (OsStr::new(":/x"), "--files :/x: empty source path"),
            (OsStr::new("/x:"), "--files /x:: empty destination path"),
            (
                OsStr::new("/x:../y"),
                "--files /x:../y: ../y: destination must not contain '..'",
            ),
            (
                OsStr::from_bytes(b"/tmp/\xff"),
                "--files /tmp/\u{fffd}: path is not valid UTF-8",
            ),
        ];
        for (arg, want) in bad {
            let err = FileSpec::parse(arg).unwrap_err();
            assert_eq!(format!("{err:#}"), want);
        }
    }

    #[test]
    fn file_spec_destination_table() {
        let cases = [
            ("/usr/bin/strace", false, "usr/bin/strace"),
            ("/usr/bin/strace:/bin/", false, "bin/strace"),
            ("/usr/bin/strace:/bin/st", false, "bin/st"),
            ("rootfs:/", true, ""),
            ("./conf:/etc/app/", true, "etc/app"),
        ];
        for (arg, is_dir, want) in cases {
            let spec = FileSpec::parse(OsStr::new(arg)).unwrap();
            assert_eq!(spec.destination(is_dir).unwrap(), want, "{arg}");
        }
    }

    #[test]
    fn compression_and_epoch_parsing() {
        assert_eq!(parse_compression("gzip").unwrap(), Compression::Gzip);
        assert_eq!(parse_compression("zstd").unwrap(), Compression::Zstd);
        assert_eq!(parse_compression("none").unwrap(), Compression::None);
        let err = parse_compression("lz4").unwrap_err().to_string();
        assert_eq!(
            err,
            "--compress lz4: unknown compression (expected gzip, zstd or none)"
        );
        let cases = [
            (None, Some(0)),
            (Some(""), Some(0)),
            (Some("1700000000"), Some(1_700_000_000)),
            (Some("-1"), None),
            (Some("99999999999"), None),
        ];
        for (value, want) in cases {
            let got = source_date_epoch(value.map(OsStr::new)).ok();
            assert_eq!(got, want, "{value:?}");
        }
    }

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn applet_choice_table() {
        let edit = |preset, add: &[&str], remove: &[&str]| AppletChoice::Preset {
            preset,
            add: strings(add),
            remove: strings(remove),
        };
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a [&'a str]>,
            Result<AppletChoice, &'a str>,
        );
        let cases: &[Case] = &[
            (None, None, Ok(edit(Preset::Default, &[], &[]))),
            (Some("minimal"), None, Ok(edit(Preset::Minimal, &[], &[]))),
            (Some("full"), None, Ok(edit(Preset::Full, &[], &[]))),
            (
                None,
                Some(&["sh", "ls", ""]),
                Ok(AppletChoice::Exact(strings(&["sh", "ls"]))),
            ),
            (
                Some("minimal"),
                Some(&["+vi", "-ps", " +less "]),
                Ok(edit(Preset::Minimal, &["vi", "less"], &["ps"])),
            ),
            (
                None,
                Some(&["-top"]),
                Ok(edit(Preset::Default, &[], &["top"])),
            ),
            (
                Some("tiny"),
                None,
                Err("--preset tiny: unknown preset (expected minimal, default or full)"),
            ),
            (
                Some("minimal"),
                Some(&["sh", "ls"]),
                Err(
                    "--applets sh,ls: plain names are the exact set and cannot be combined \
                     with --preset minimal; use +NAME or -NAME to change the preset",
                ),
            ),
            (
                None,
                Some(&["sh", "+vi"]),
                Err(
                    "--applets sh,+vi: either all names are plain (the exact set) or all \
                     start with + or -",
                ),
            ),
            (
                None,
                Some(&["+"]),
                Err("--applets +: no applet name after the sign"),
            ),
        ];
        for (preset, applets, want) in cases {
            let applets = applets.map(strings);
            let got = AppletChoice::parse(*preset, applets.as_deref()).map_err(|e| e.to_string());
            let want = want.as_ref().map_err(|e| e.to_string());
            assert_eq!(
                got.as_ref(),
                want.as_ref().copied(),
                "{preset:?} {applets:?}"
            );
        }
    }

    #[test]
    fn applet_selection_table() {
        let mut inv = inventory(&["cat", "init", "ls", "sh", "vi"], &["init"]);
        inv.preset = ["init", "ls", "sh"].iter().map(|s| s.to_string()).collect();
        let edit = |add: &[&str], remove: &[&str]| AppletChoice::Preset {
            preset: Preset::Minimal,
            add: strings(add),
            remove: strings(remove),
        };
        let cases: &[(AppletChoice, Result<&[&str], &str>)] = &[
            (edit(&[], &[]), Ok(&["init", "ls", "sh"])),
            (edit(&["vi", "ls"], &["sh"]), Ok(&["init", "ls", "vi"])),
            (edit(&["sh"], &["sh"]), Ok(&["init", "ls"])),
            (
                AppletChoice::Exact(strings(&["sh", "cat", "sh"])),
                Ok(&["cat", "sh"]),
            ),
            (
                AppletChoice::Exact(strings(&["ls", "vim"])),
                Err("--applets: unknown applet 'vim' (not in `rbox --list`)"),
            ),
            (
                edit(&[], &["vim"]),
                Err("--applets: unknown applet 'vim' (not in `rbox --list`)"),
            ),
        ];
        for (choice, want) in cases {
            let got = inv.select(choice).map_err(|e| e.to_string());
            let want = want.map(strings).map_err(str::to_string);
            assert_eq!(got, want, "{choice:?}");
        }
        assert!(parse_applet_list("ls\n../x\n").is_err());
        assert_eq!(parse_applet_list("ls\n\ncat \n").unwrap().len(), 2);
    }

    #[test]
    fn init_choice_table() {
        let applets: BTreeSet<String> = ["init", "sh"].iter().map(|s| s.to_string()).collect();
        let cases = [
            ("init", Ok(InitChoice::Applet("init".into()))),
            ("sh", Ok(InitChoice::Applet("sh".into()))),
            ("/bin/sh", Ok(InitChoice::Applet("sh".into()))),
            ("/sbin/myinit", Ok(InitChoice::Path("sbin/myinit".into()))),
            (
                "nope",
                Err("--init nope: unknown applet (not in `rbox --list`)"),
            ),
            ("/", Err("--init /: not a program")),
        ];
        for (value, want) in cases {
            let got = InitChoice::parse(value, &applets).map_err(|e| format!("{e:#}"));
            assert_eq!(got, want.map_err(str::to_string), "{value}");
        }
        assert_eq!(
            InitChoice::Applet("init".into()).node(),
            NodeKind::Symlink("bin/rbox".into())
        );
        assert_eq!(
            InitChoice::Path("sbin/myinit".into()).node(),
            NodeKind::Symlink("sbin/myinit".into())
        );
        let NodeKind::File(FileSource::Bytes(script)) = InitChoice::Applet("sh".into()).node()
        else {
            panic!("sh as init must be a script");
        };
        assert_eq!(script, b"#!/bin/rbox sh\nexec /bin/rbox sh \"$@\"\n");
    }

    #[test]
    fn split_dev_table() {
        // glibc's gnu_dev_makedev.
        let makedev = |major: u64, minor: u64| {
            ((major & 0xfff) << 8)
                | ((major & !0xfff) << 32)
                | (minor & 0xff)
                | ((minor & !0xff) << 12)
        };
        for (major, minor) in [(5, 1), (1, 3), (259, 0x12345), (0x12345, 7)] {
            let dev = makedev(u64::from(major), u64::from(minor));
            assert_eq!(split_dev(dev), (major, minor), "{major}:{minor}");
        }
    }

    fn contents(rbox: &Path, files: Vec<FileSpec>) -> Contents {
        Contents {
            rbox: rbox.to_path_buf(),
            applets: vec!["init".into(), "ls".into(), "sh".into()],
            sbin: ["init".to_string()].into_iter().collect(),
            init: InitChoice::Applet("init".into()),
            files,
            modules: None,
        }
    }

    fn listing(tree: &Tree) -> Vec<String> {
        tree.iter()
            .map(|(p, n)| match &n.kind {
                NodeKind::Symlink(t) => format!("{p} -> {t}"),
                NodeKind::Dir => format!("{p}/"),
                NodeKind::CharDev { major, minor } => format!("{p} c{major},{minor} {:o}", n.perm),
                _ => format!("{p} {:o}", n.perm),
            })
            .collect()
    }

    #[test]
    fn plan_skeleton_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let rbox = dir.path().join("rbox");
        fs::write(&rbox, b"fake").unwrap();
        let tree = plan(
            &contents(&rbox, vec![]),
            &LibraryResolver::new(Path::new("/")),
        )
        .unwrap();
        let want = [
            "bin/",
            "bin/init -> rbox",
            "bin/ls -> rbox",
            "bin/rbox 755",
            "bin/sh -> rbox",
            "dev/",
            "dev/console c5,1 600",
            "dev/null c1,3 666",
            "etc/",
            "etc/group 644",
            "etc/passwd 644",
            "init -> bin/rbox",
            "lib/",
            "mnt/",
            "proc/",
            "root/",
            "run/",
            "sbin/",
            "sbin/init -> ../bin/rbox",
            "sys/",
            "tmp/",
            "usr/",
        ];
        assert_eq!(listing(&tree), want);
        assert_eq!(tree.get("tmp").map(|n| n.perm), Some(0o1777));
        assert_eq!(tree.get("root").map(|n| n.perm), Some(0o700));
    }

    #[test]
    fn plan_files_dirs_and_elf_dependencies() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let rbox = d.join("rbox");
        fs::write(&rbox, b"fake").unwrap();
        // A fake ld.so and libc in a private lib dir, found through DT_RUNPATH.
        let libdir = d.join("lib");
        fs::create_dir(&libdir).unwrap();
        let ld = libdir.join("ld.so");
        fs::write(&ld, synth::elf(None, &[], None)).unwrap();
        fs::write(libdir.join("libc.so.6"), synth::elf(None, &["ld.so"], None)).unwrap();
        let ld_str = ld.to_str().unwrap();
        let app = d.join("app");
        fs::write(
            &app,
            synth::elf(Some(ld_str), &["libc.so.6"], Some(libdir.to_str().unwrap())),
        )
        .unwrap();
        // A directory with a nested file and a symlink.
        let conf = d.join("conf");
        fs::create_dir_all(conf.join("sub")).unwrap();
        fs::write(conf.join("sub/a.conf"), b"a").unwrap();
        std::os::unix::fs::symlink("sub/a.conf", conf.join("link")).unwrap();

        let specs = vec![
            FileSpec::parse(OsStr::new(&format!("{}:/usr/bin/app", app.display()))).unwrap(),
            FileSpec::parse(OsStr::new(&format!("{}:/etc/app", conf.display()))).unwrap(),
        ];
        let tree = plan(
            &contents(&rbox, specs),
            &LibraryResolver::new(Path::new("/")),
        )
        .unwrap();
        let lib_guest = archive_path(libdir.to_str().unwrap()).unwrap();
        let listed = listing(&tree);
        for want in [
            "usr/bin/app 644".to_string(),
            "etc/app/".to_string(),
            "etc/app/link -> sub/a.conf".to_string(),
            "etc/app/sub/".to_string(),
            "etc/app/sub/a.conf 644".to_string(),
            format!("{lib_guest}/ld.so 644"),
            format!("{lib_guest}/libc.so.6 644"),
        ] {
            assert!(listed.contains(&want), "{want} missing from {listed:#?}");
        }

        // A library that is missing is an error naming it and the --files argument.
        let broken = d.join("broken");
        fs::write(&broken, synth::elf(Some(ld_str), &["libgone.so.1"], None)).unwrap();
        let specs = vec![FileSpec::parse(broken.as_os_str()).unwrap()];
        let err = plan(
            &contents(&rbox, specs),
            &LibraryResolver::new(Path::new("/")),
        )
        .unwrap_err();
        let msg = format!("{err:#}");
        let prefix = format!(
            "--files {b}: {b}: libgone.so.1: library not found",
            b = broken.display()
        );
        assert!(msg.starts_with(&prefix), "{msg}");
    }

    #[test]
    fn plan_adds_kernel_module_bundles() {
        let dir = tempfile::tempdir().unwrap();
        let rbox = dir.path().join("rbox");
        fs::write(&rbox, b"fake").unwrap();
        let ko = dir.path().join("virtio_blk.ko.xz");
        fs::write(&ko, b"module").unwrap();
        let mut c = contents(&rbox, vec![]);
        let dst = "lib/modules/6.1.0-56-amd64/kernel/drivers/block/virtio_blk.ko.xz";
        c.modules = Some(ModuleSource {
            origin: "--kernel-modules /m".into(),
            bundle: ModuleBundle {
                files: vec![(ko.clone(), dst.into())],
                generated: vec![(
                    "lib/modules/6.1.0-56-amd64/modules.dep".into(),
                    b"kernel/drivers/block/virtio_blk.ko.xz:\n".to_vec(),
                )],
            },
        });
        let tree = plan(&c, &LibraryResolver::new(Path::new("/"))).unwrap();
        let node = tree.get(dst).unwrap();
        assert_eq!(node.kind, NodeKind::File(FileSource::Host(ko)));
        assert_eq!(node.perm, 0o644);
        let dep = tree.get("lib/modules/6.1.0-56-amd64/modules.dep").unwrap();
        assert!(
            matches!(&dep.kind, NodeKind::File(FileSource::Bytes(b)) if b.starts_with(b"kernel/"))
        );
        assert_eq!(
            tree.get("lib/modules").map(|n| &n.kind),
            Some(&NodeKind::Dir)
        );
    }

    #[test]
    fn plan_errors_name_the_argument() {
        let dir = tempfile::tempdir().unwrap();
        let rbox = dir.path().join("rbox");
        fs::write(&rbox, b"fake").unwrap();
        let resolver = LibraryResolver::new(Path::new("/"));
        let specs = vec![FileSpec::parse(OsStr::new("/nope")).unwrap()];
        let err = plan(&contents(&rbox, specs), &resolver).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "--files /nope: No such file or directory"
        );

        let specs = vec![FileSpec::parse(OsStr::new("/etc/hostname:/bin/rbox")).unwrap()];
        let err = plan(&contents(&rbox, specs), &resolver).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "--files /etc/hostname:/bin/rbox: /bin/rbox: already holds a file from rroot itself"
        );

        let mut c = contents(&rbox, vec![]);
        c.init = InitChoice::Path("sbin/myinit".into());
        let err = plan(&c, &resolver).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "--init /sbin/myinit: not in the archive (add it with --files)"
        );
    }

    #[test]
    fn same_library_under_two_names_is_stored_once() {
        let Some(deps) = elf::read_file_deps(Path::new("/bin/ls")).unwrap() else {
            panic!("/bin/ls is not ELF");
        };
        let dir = tempfile::tempdir().unwrap();
        let rbox = dir.path().join("rbox");
        fs::write(&rbox, b"fake").unwrap();
        let specs = vec![FileSpec::parse(OsStr::new("/bin/ls:/usr/bin/ls")).unwrap()];
        let tree = plan(
            &contents(&rbox, specs),
            &LibraryResolver::new(Path::new("/")),
        )
        .unwrap();
        let interp = deps.interp.unwrap_or_default();
        let node = tree
            .get(&interp)
            .unwrap_or_else(|| panic!("{interp} missing"));
        // Every host file appears as a regular file at most once.
        let mut seen = BTreeSet::new();
        for (path, n) in tree.iter() {
            if let NodeKind::File(FileSource::Host(src)) = &n.kind {
                let canonical = fs::canonicalize(src).unwrap();
                assert!(
                    seen.insert(canonical.clone()),
                    "{path}: {} stored twice",
                    canonical.display()
                );
            }
        }
        assert!(matches!(
            node.kind,
            NodeKind::File(_) | NodeKind::Symlink(_)
        ));
    }

    #[test]
    fn reproducible_archives() {
        let dir = tempfile::tempdir().unwrap();
        let rbox = dir.path().join("rbox");
        fs::write(&rbox, b"fake rbox").unwrap();
        let resolver = LibraryResolver::new(Path::new("/"));
        let mut outputs = Vec::new();
        for (i, kind) in [
            Compression::Gzip,
            Compression::Gzip,
            Compression::Zstd,
            Compression::Zstd,
        ]
        .iter()
        .enumerate()
        {
            let tree = plan(&contents(&rbox, vec![]), &resolver).unwrap();
            let out = dir.path().join(format!("out/{i}"));
            write_output(&tree, *kind, 0, &out).unwrap();
            outputs.push(fs::read(&out).unwrap());
            assert_eq!(fs::metadata(&out).unwrap().mode() & 0o777, 0o644);
        }
        assert_eq!(outputs[0], outputs[1]);
        assert_eq!(outputs[2], outputs[3]);
        assert_ne!(outputs[0], outputs[2]);
        // No temporary file is left next to the output.
        let left: Vec<_> = fs::read_dir(dir.path().join("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 4, "{left:?}");
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let rbox = dir.path().join("rbox");
        fs::write(&rbox, b"fake").unwrap();
        let tree = plan(
            &contents(&rbox, vec![]),
            &LibraryResolver::new(Path::new("/")),
        )
        .unwrap();
        fs::remove_file(&rbox).unwrap();
        let out = dir.path().join("out/initramfs.cpio.gz");
        let err = write_output(&tree, Compression::Gzip, 0, &out).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            format!("{}: No such file or directory", rbox.display())
        );
        assert_eq!(fs::read_dir(dir.path().join("out")).unwrap().count(), 0);
    }
}
