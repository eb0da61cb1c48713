//! Kernel modules: the `modules.dep`/`modules.alias`/`modules.softdep`/`modules.builtin` index
//! of `/lib/modules/RELEASE` (depmod(8) formats), loading a module with its dependencies as
//! modprobe(8) does, removing it, and coldplug — matching every `/sys/devices/**/modalias`
//! against the aliases as udev and mdev do, plus `modules_load=` and `MODULE.PARAM=value` from
//! the kernel command line (kernel-parameters.txt).
//!
//! Reading is done from a root path; loading goes through [`ModuleLoader`]
//! ([`KernelLoader`] makes the syscalls, [`RecordingLoader`] records them for tests).

pub mod modinfo;
pub mod pattern;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::kmod::{DeleteModuleFlags, ModuleInitFlags};

pub use modinfo::{ModInfo, SoftDeps};

/// How deep coldplug descends below `/sys/devices` (real trees are about 15 deep).
const MAX_SYSFS_DEPTH: usize = 40;
/// Coldplug rescans after loading: a bus driver (virtio_pci) adds devices (virtio disks) that
/// need further drivers. Bounded so a driver that keeps adding devices cannot loop forever.
const MAX_COLDPLUG_ROUNDS: usize = 6;

/// One failing operation each.
#[derive(Debug, thiserror::Error)]
pub enum ModulesError {
    #[error("{path}: {reason}")]
    ReadIndex { path: String, reason: String },
    #[error("{0}: module not found")]
    NotFound(String),
    #[error("{module}: needs {dependency}, which is not in modules.dep")]
    MissingDependency { module: String, dependency: String },
    #[error("{path}: {reason}")]
    Open { path: String, reason: String },
    #[error("{path}: {reason}")]
    Load { path: String, reason: String },
    #[error("{module}: {reason}")]
    Remove { module: String, reason: String },
    #[error("{0}: module is not currently loaded")]
    NotLoaded(String),
    #[error("{path}: {reason}")]
    Modinfo { path: String, reason: String },
}

use crate::ioerror::io_reason;

/// Why finit_module(2) failed, in kmod's words where it has clearer ones than strerror.
pub fn load_error_reason(errno: Errno) -> String {
    match errno {
        Errno::ENOEXEC => "Invalid module format".into(),
        Errno::ENOENT => "Unknown symbol in module, or unknown parameter (see dmesg)".into(),
        Errno::ESRCH => "Unknown symbol in module".into(),
        Errno::EINVAL => "Invalid parameters".into(),
        Errno::ENOSYS => "Kernel does not have module support".into(),
        e => e.desc().to_string(),
    }
}

/// Why delete_module(2) failed.
pub fn remove_error_reason(errno: Errno) -> String {
    match errno {
        Errno::EWOULDBLOCK => "Module is in use".into(),
        Errno::ENOENT => "Module is not currently loaded".into(),
        e => e.desc().to_string(),
    }
}

/// A module's name as the kernel knows it: the file name without `.ko[.xz|.zst|.gz]`, `-` as `_`.
pub fn module_name(path_or_name: &str) -> String {
    let base = path_or_name.rsplit('/').next().unwrap_or(path_or_name);
    let base = [".ko.xz", ".ko.zst", ".ko.gz", ".ko"]
        .iter()
        .find_map(|ext| base.strip_suffix(ext))
        .unwrap_or(base);
    base.replace('-', "_")
}

/// What a name given to modprobe stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Module names (one for a module name, possibly several for an alias), sorted.
    Modules(Vec<String>),
    /// Built into the kernel: nothing to load.
    Builtin,
    NotFound,
}

/// A module in `modules.dep`: its file relative to the modules directory and its dependencies
/// as depmod lists them (reversed, they are a load order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleEntry {
    pub path: String,
    pub deps: Vec<String>,
}

/// The index of one `/lib/modules/RELEASE` directory.
#[derive(Debug, Clone, Default)]
pub struct ModuleIndex {
    dir: PathBuf,
    modules: BTreeMap<String, ModuleEntry>,
    /// (normalized pattern, module name), in file order.
    aliases: Vec<(String, String)>,
    softdeps: BTreeMap<String, SoftDeps>,
    builtin: BTreeSet<String>,
}

impl ModuleIndex {
    /// Read `ROOT/lib/modules/RELEASE`. `modules.dep` must exist; the others are optional.
    pub fn open(root: &Path, release: &str) -> Result<ModuleIndex, ModulesError> {
        let dir = root.join("lib/modules").join(release);
        let read = |name: &str, required: bool| -> Result<String, ModulesError> {
            let path = dir.join(name);
            match std::fs::read(&path) {
                Ok(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
                Err(e) if !required && e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
                Err(e) => Err(ModulesError::ReadIndex {
                    path: path.display().to_string(),
                    reason: io_reason(&e),
                }),
            }
        };
        let dep = read("modules.dep", true)?;
        let alias = read("modules.alias", false)?;
        let softdep = read("modules.softdep", false)?;
        let builtin = read("modules.builtin", false)?;
        Ok(ModuleIndex::parse(dir, &dep, &alias, &softdep, &builtin))
    }

    /// Build the index from the files' text (pure). Malformed lines are skipped, as kmod does.
    pub fn parse(
        dir: PathBuf,
        dep: &str,
        alias: &str,
        softdep: &str,
        builtin: &str,
    ) -> ModuleIndex {
        let mut modules = BTreeMap::new();
        for line in dep.lines() {
            let Some((path, deps)) = line.split_once(':') else {
                continue;
            };
            let path = path.trim();
            if path.is_empty() || path.starts_with('#') {
                continue;
            }
            let deps = deps.split_whitespace().map(module_name).collect();
            let entry = ModuleEntry {
                path: path.to_string(),
                deps,
            };
            modules.insert(module_name(path), entry);
        }
        let mut aliases = Vec::new();
        for line in alias.lines() {
            let mut words = line.split_whitespace();
            if let (Some("alias"), Some(pattern), Some(module)) =
                (words.next(), words.next(), words.next())
            {
                aliases.push((pattern::normalize(pattern), module_name(module)));
            }
        }
        let mut softdeps: BTreeMap<String, SoftDeps> = BTreeMap::new();
        for line in softdep.lines() {
            let mut words = line.splitn(3, char::is_whitespace);
            if let (Some("softdep"), Some(module), Some(rest)) =
                (words.next(), words.next(), words.next())
            {
                let s = modinfo::parse_softdep(rest);
                let e = softdeps.entry(module_name(module)).or_default();
                e.pre.extend(s.pre);
                e.post.extend(s.post);
            }
        }
        let builtin = builtin
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(module_name)
            .collect();
        ModuleIndex {
            dir,
            modules,
            aliases,
            softdeps,
            builtin,
        }
    }

    /// `ROOT/lib/modules/RELEASE`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry of a module by its (normalized) name.
    pub fn entry(&self, module: &str) -> Option<&ModuleEntry> {
        self.modules.get(&module_name(module))
    }

    /// The module's file.
    pub fn path_of(&self, module: &str) -> Option<PathBuf> {
        self.entry(module).map(|e| self.dir.join(&e.path))
    }

    pub fn is_builtin(&self, module: &str) -> bool {
        self.builtin.contains(&module_name(module))
    }

    /// Modules whose alias pattern matches `text` (a modalias or an alias like `fs-ext4`),
    /// deduplicated, sorted.
    pub fn lookup_alias(&self, text: &str) -> Vec<String> {
        let text = pattern::normalize(text);
        let found: BTreeSet<&String> = self
            .aliases
            .iter()
            .filter(|(p, _)| pattern::matches(p, &text))
            .map(|(_, m)| m)
            .collect();
        found.into_iter().cloned().collect()
    }

    /// A module name first, then builtin, then aliases — modprobe's order.
    pub fn resolve(&self, name: &str) -> Resolution {
        let norm = module_name(name);
        if !name.contains(':') && self.modules.contains_key(&norm) {
            return Resolution::Modules(vec![norm]);
        }
        if self.builtin.contains(&norm) {
            return Resolution::Builtin;
        }
        let found = self.lookup_alias(name);
        if !found.is_empty() {
            return Resolution::Modules(found);
        }
        Resolution::NotFound
    }

    /// The modules to load for `module`, in order: softdep `pre:`, the dependencies
    /// (depth first), the module, softdep `post:`. Modules in `loaded` or builtin are left out.
    pub fn load_order(
        &self,
        module: &str,
        loaded: &BTreeSet<String>,
    ) -> Result<Vec<String>, ModulesError> {
        let mut order = Vec::new();
        let mut visiting = BTreeSet::new();
        self.order_into(&module_name(module), loaded, &mut order, &mut visiting)?;
        Ok(order)
    }

    fn order_into(
        &self,
        module: &str,
        loaded: &BTreeSet<String>,
        order: &mut Vec<String>,
        visiting: &mut BTreeSet<String>,
    ) -> Result<(), ModulesError> {
        if loaded.contains(module)
            || self.builtin.contains(module)
            || order.iter().any(|m| m == module)
            || !visiting.insert(module.to_string())
        {
            return Ok(());
        }
        let entry = self
            .modules
            .get(module)
            .ok_or_else(|| ModulesError::NotFound(module.to_string()))?;
        let soft = self.softdeps.get(module).cloned().unwrap_or_default();
        // Soft dependencies are best effort (kmod ignores the missing ones).
        for name in &soft.pre {
            self.order_soft(name, loaded, order, visiting);
        }
        for dep in entry.deps.iter().rev() {
            if self.builtin.contains(dep) {
                continue;
            }
            if !self.modules.contains_key(dep) {
                return Err(ModulesError::MissingDependency {
                    module: module.to_string(),
                    dependency: dep.clone(),
                });
            }
            self.order_into(dep, loaded, order, visiting)?;
        }
        order.push(module.to_string());
        for name in &soft.post {
            self.order_soft(name, loaded, order, visiting);
        }
        Ok(())
    }

    fn order_soft(
        &self,
        name: &str,
        loaded: &BTreeSet<String>,
        order: &mut Vec<String>,
        visiting: &mut BTreeSet<String>,
    ) {
        if let Resolution::Modules(found) = self.resolve(name) {
            for m in found {
                let mut attempt = order.clone();
                if self.order_into(&m, loaded, &mut attempt, visiting).is_ok() {
                    *order = attempt;
                }
            }
        }
    }
}

/// A line of `/proc/modules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedModule {
    pub name: String,
    pub size: u64,
    /// Reference count; `None` when the kernel shows `-` (no module unloading).
    pub refcount: Option<u64>,
    /// Modules using this one.
    pub used_by: Vec<String>,
    /// `Live`, `Loading` or `Unloading`.
    pub state: String,
}

/// Parse `/proc/modules` text: `name size refcount users, state address`.
pub fn parse_proc_modules(text: &str) -> Vec<LoadedModule> {
    text.lines()
        .filter_map(|line| {
            let mut w = line.split_whitespace();
            let name = w.next()?.to_string();
            let size = w.next()?.parse().ok()?;
            let refcount = w.next().and_then(|r| r.parse().ok());
            let used_by = w
                .next()
                .unwrap_or("-")
                .split(',')
                .filter(|s| !s.is_empty() && *s != "-")
                .map(str::to_string)
                .collect();
            let state = w.next().unwrap_or("Live").to_string();
            Some(LoadedModule {
                name,
                size,
                refcount,
                used_by,
                state,
            })
        })
        .collect()
}

/// Read `ROOT/proc/modules`.
pub fn read_proc_modules(root: &Path) -> Result<Vec<LoadedModule>, ModulesError> {
    let path = root.join("proc/modules");
    std::fs::read(&path)
        .map(|b| parse_proc_modules(&String::from_utf8_lossy(&b)))
        .map_err(|e| ModulesError::ReadIndex {
            path: path.display().to_string(),
            reason: io_reason(&e),
        })
}

/// The running kernel's release from `ROOT/proc/sys/kernel/osrelease` (what `uname -r` says).
pub fn read_release(root: &Path) -> Result<String, ModulesError> {
    let path = root.join("proc/sys/kernel/osrelease");
    std::fs::read_to_string(&path)
        .map(|s| s.trim().to_string())
        .map_err(|e| ModulesError::ReadIndex {
            path: path.display().to_string(),
            reason: io_reason(&e),
        })
}

/// The module syscalls. `flags` are the kernel's (`MODULE_INIT_*`, `O_NONBLOCK|O_TRUNC`).
pub trait ModuleLoader {
    /// finit_module(2) on the open module `file`; `path` names it for messages and fakes.
    fn finit_module(
        &mut self,
        file: &File,
        path: &Path,
        params: &str,
        flags: u32,
    ) -> Result<(), Errno>;
    /// delete_module(2).
    fn delete_module(&mut self, name: &str, flags: i32) -> Result<(), Errno>;
}

/// The running kernel (nix's wrappers of the syscalls).
pub struct KernelLoader;

impl ModuleLoader for KernelLoader {
    fn finit_module(
        &mut self,
        file: &File,
        _path: &Path,
        params: &str,
        flags: u32,
    ) -> Result<(), Errno> {
        let params = CString::new(params).map_err(|_| Errno::EINVAL)?;
        nix::kmod::finit_module(file, &params, ModuleInitFlags::from_bits_truncate(flags))
    }

    fn delete_module(&mut self, name: &str, flags: i32) -> Result<(), Errno> {
        let name = CString::new(name).map_err(|_| Errno::EINVAL)?;
        nix::kmod::delete_module(&name, DeleteModuleFlags::from_bits_truncate(flags))
    }
}

/// One recorded module syscall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoaderCall {
    Load { module: String, params: String },
    Delete { module: String, flags: i32 },
}

/// Records calls instead of making them; `failing` makes chosen modules fail with an errno.
#[derive(Debug, Default)]
pub struct RecordingLoader {
    pub calls: Vec<LoaderCall>,
    pub failing: BTreeMap<String, Errno>,
}

impl RecordingLoader {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn failing(mut self, module: &str, errno: Errno) -> Self {
        self.failing.insert(module.to_string(), errno);
        self
    }

    /// The modules loaded, in order.
    pub fn loaded(&self) -> Vec<String> {
        self.calls
            .iter()
            .filter_map(|c| match c {
                LoaderCall::Load { module, .. } => Some(module.clone()),
                LoaderCall::Delete { .. } => None,
            })
            .collect()
    }
}

impl ModuleLoader for RecordingLoader {
    fn finit_module(
        &mut self,
        _file: &File,
        path: &Path,
        params: &str,
        _flags: u32,
    ) -> Result<(), Errno> {
        let module = module_name(&path.to_string_lossy());
        self.calls.push(LoaderCall::Load {
            module: module.clone(),
            params: params.to_string(),
        });
        self.failing.get(&module).map_or(Ok(()), |e| Err(*e))
    }

    fn delete_module(&mut self, name: &str, flags: i32) -> Result<(), Errno> {
        let module = module_name(name);
        self.calls.push(LoaderCall::Delete {
            module: module.clone(),
            flags,
        });
        self.failing.get(&module).map_or(Ok(()), |e| Err(*e))
    }
}

/// One finit_module call modprobe plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadStep {
    pub module: String,
    pub path: PathBuf,
    pub params: String,
    /// Wanted only as a soft dependency: failing to load it does not fail the rest
    /// (crc32c-intel refuses CPUs without SSE4.2; crc32c_generic does the job then).
    pub optional: bool,
}

/// modprobe: an index, what is loaded already, and options for modules from the cmdline.
pub struct Modprobe {
    pub index: ModuleIndex,
    loaded: BTreeSet<String>,
    /// (module, `param=value`) from `MODULE.PARAM=value` on the kernel command line.
    options: Vec<(String, String)>,
}

impl Modprobe {
    /// `loaded` is what `/proc/modules` lists; `options` the cmdline's module parameters.
    pub fn new(index: ModuleIndex, loaded: &[LoadedModule], options: &[(String, String)]) -> Self {
        Modprobe {
            index,
            loaded: loaded.iter().map(|m| module_name(&m.name)).collect(),
            options: options
                .iter()
                .map(|(m, p)| (module_name(m), p.clone()))
                .collect(),
        }
    }

    /// Open `ROOT/lib/modules/RELEASE` and read `ROOT/proc/modules` (missing is empty).
    pub fn open(
        root: &Path,
        release: &str,
        options: &[(String, String)],
    ) -> Result<Modprobe, ModulesError> {
        let index = ModuleIndex::open(root, release)?;
        let loaded = read_proc_modules(root).unwrap_or_default();
        Ok(Modprobe::new(index, &loaded, options))
    }

    pub fn is_loaded(&self, module: &str) -> bool {
        self.loaded.contains(&module_name(module))
    }

    /// The steps to load `name` (module or alias) with `params` for it, dependencies first.
    /// Builtin or loaded already: no steps.
    pub fn plan_load(&self, name: &str, params: &str) -> Result<Vec<LoadStep>, ModulesError> {
        let targets = match self.index.resolve(name) {
            Resolution::Modules(m) => m,
            Resolution::Builtin => return Ok(Vec::new()),
            Resolution::NotFound => return Err(ModulesError::NotFound(name.to_string())),
        };
        let mut steps: Vec<LoadStep> = Vec::new();
        let mut seen = self.loaded.clone();
        for target in &targets {
            let hard = self
                .index
                .entry(target)
                .map(|e| e.deps.clone())
                .unwrap_or_default();
            for module in self.index.load_order(target, &seen)? {
                let optional = module != *target && !hard.contains(&module);
                let path = self
                    .index
                    .path_of(&module)
                    .ok_or_else(|| ModulesError::NotFound(module.clone()))?;
                let mut words: Vec<&str> = self
                    .options
                    .iter()
                    .filter(|(m, _)| *m == module)
                    .map(|(_, p)| p.as_str())
                    .collect();
                if module == *target && !params.is_empty() {
                    words.push(params);
                }
                seen.insert(module.clone());
                steps.push(LoadStep {
                    params: words.join(" "),
                    module,
                    path,
                    optional,
                });
            }
        }
        Ok(steps)
    }

    /// Make the planned calls. A module the kernel has already (EEXIST) counts as loaded;
    /// an optional step that fails is skipped. Returns the modules loaded now.
    pub fn execute(
        &mut self,
        steps: &[LoadStep],
        loader: &mut dyn ModuleLoader,
    ) -> Result<Vec<String>, ModulesError> {
        let mut done = Vec::new();
        for step in steps {
            if self.loaded.contains(&step.module) {
                continue;
            }
            let file = match File::open(&step.path) {
                Ok(f) => f,
                Err(_) if step.optional => continue,
                Err(e) => {
                    return Err(ModulesError::Open {
                        path: step.path.display().to_string(),
                        reason: io_reason(&e),
                    })
                }
            };
            match loader.finit_module(&file, &step.path, &step.params, 0) {
                Ok(()) => done.push(step.module.clone()),
                Err(Errno::EEXIST) => {}
                Err(_) if step.optional => continue,
                Err(e) => {
                    return Err(ModulesError::Load {
                        path: step.path.display().to_string(),
                        reason: load_error_reason(e),
                    })
                }
            }
            self.loaded.insert(step.module.clone());
        }
        Ok(done)
    }

    /// modprobe NAME [PARAMS]: plan and load.
    pub fn load_with_deps(
        &mut self,
        loader: &mut dyn ModuleLoader,
        name: &str,
        params: &str,
    ) -> Result<Vec<String>, ModulesError> {
        let steps = self.plan_load(name, params)?;
        self.execute(&steps, loader)
    }

    /// The modules `modprobe -r NAME` removes: the module, then its dependencies in depmod
    /// order, only those loaded now.
    pub fn plan_remove(&self, name: &str) -> Result<Vec<String>, ModulesError> {
        let norm = module_name(name);
        let targets = if self.loaded.contains(&norm) {
            vec![norm]
        } else {
            match self.index.resolve(name) {
                Resolution::Modules(m) => m.into_iter().filter(|m| self.is_loaded(m)).collect(),
                Resolution::Builtin | Resolution::NotFound => Vec::new(),
            }
        };
        if targets.is_empty() {
            return Err(ModulesError::NotLoaded(name.to_string()));
        }
        let mut out: Vec<String> = Vec::new();
        for t in targets {
            let deps = self
                .index
                .entry(&t)
                .map(|e| e.deps.clone())
                .unwrap_or_default();
            for m in std::iter::once(t).chain(deps) {
                if self.loaded.contains(&m) && !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        Ok(out)
    }

    /// modprobe -r: remove `name`, then each dependency nobody uses any more (the kernel says
    /// "in use" for the others, which are left alone). Returns the modules removed.
    pub fn remove_with_deps(
        &mut self,
        loader: &mut dyn ModuleLoader,
        name: &str,
    ) -> Result<Vec<String>, ModulesError> {
        let plan = self.plan_remove(name)?;
        let mut removed = Vec::new();
        for (i, module) in plan.iter().enumerate() {
            match loader.delete_module(module, libc::O_NONBLOCK) {
                Ok(()) => {
                    self.loaded.remove(module);
                    removed.push(module.clone());
                }
                Err(e) if i == 0 => {
                    return Err(ModulesError::Remove {
                        module: module.clone(),
                        reason: remove_error_reason(e),
                    })
                }
                Err(_) => {}
            }
        }
        Ok(removed)
    }
}

/// Every distinct `modalias` below `ROOT/sys/devices`, sorted. Symlinks are not followed
/// (sysfs links back up the tree); `power/` attribute directories (one per device, never
/// holding devices) are skipped, which halves the walk; unreadable entries are skipped.
pub fn scan_modaliases(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    walk_modaliases(&root.join("sys/devices"), 0, &mut out);
    out
}

fn walk_modaliases(dir: &Path, depth: usize, out: &mut BTreeSet<String>) {
    if depth > MAX_SYSFS_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && entry.file_name() != "power" {
            walk_modaliases(&entry.path(), depth + 1, out);
        } else if kind.is_file() && entry.file_name() == "modalias" {
            read_modalias(&entry.path(), out);
        }
    }
}

fn read_modalias(path: &Path, out: &mut BTreeSet<String>) {
    if let Ok(text) = std::fs::read(path) {
        let text = String::from_utf8_lossy(&text).trim().to_string();
        if !text.is_empty() {
            out.insert(text);
        }
    }
}

/// The modaliases of devices on buses: `ROOT/sys/bus/*/devices/*/modalias` (links to the
/// device directories, one level each). About 6x cheaper than [`scan_modaliases`] under
/// emulation, and what a loaded driver adds (virtio, SCSI, ATA devices) shows here; the
/// full walk also finds class and system devices (cpu features, DMI, input).
pub fn scan_bus_modaliases(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(buses) = std::fs::read_dir(root.join("sys/bus")) else {
        return out;
    };
    for bus in buses.flatten() {
        let Ok(devices) = std::fs::read_dir(bus.path().join("devices")) else {
            continue;
        };
        for device in devices.flatten() {
            read_modalias(&device.path().join("modalias"), &mut out);
        }
    }
    out
}

/// What coldplug did, for init's log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColdplugReport {
    /// The kernel release whose modules were used.
    pub release: String,
    /// Distinct modaliases seen in sysfs.
    pub modaliases: usize,
    /// Modules loaded, in order (dependencies included).
    pub loaded: Vec<String>,
    /// (module or name, reason).
    pub failed: Vec<(String, String)>,
    /// Names from `modules_load=` that are neither modules, aliases nor builtin.
    pub not_found: Vec<String>,
    /// Why no module could be loaded at all (no index for this kernel).
    pub error: Option<String>,
}

/// Load what the hardware needs: the modules named in `extra` (`modules_load=`), then those
/// whose aliases match the devices' modaliases, rescanning sysfs after each round because
/// loaded bus drivers add devices. `params` are `MODULE.PARAM=value` from the cmdline as
/// (module, `param=value`). Never fails: everything is in the report.
///
/// Some buses find their devices asynchronously (SCSI and ATA scans): keep the [`Coldplug`]
/// from [`Coldplug::start`] and call [`Coldplug::rescan`] (or [`Coldplug::load_modalias`]
/// with a uevent's `MODALIAS=`) while waiting for the root device.
pub fn coldplug(
    root: &Path,
    loader: &mut dyn ModuleLoader,
    extra: &[String],
    params: &[(String, String)],
) -> ColdplugReport {
    Coldplug::start(root, loader, extra, params).report
}

/// Coldplug state kept between scans: what was seen and tried, and the report so far.
pub struct Coldplug {
    root: PathBuf,
    modprobe: Option<Modprobe>,
    seen: BTreeSet<String>,
    attempted: BTreeSet<String>,
    /// Whether the full `/sys/devices` walk was done.
    walked: bool,
    pub report: ColdplugReport,
}

impl Coldplug {
    /// Open the index, load `extra`, then scan sysfs in rounds (see [`coldplug`]).
    pub fn start(
        root: &Path,
        loader: &mut dyn ModuleLoader,
        extra: &[String],
        params: &[(String, String)],
    ) -> Coldplug {
        let mut c = Coldplug {
            root: root.to_path_buf(),
            modprobe: None,
            seen: BTreeSet::new(),
            attempted: BTreeSet::new(),
            walked: false,
            report: ColdplugReport::default(),
        };
        let opened = read_release(root).and_then(|release| {
            c.report.release = release.clone();
            Modprobe::open(root, &release, params)
        });
        match opened {
            Ok(m) => c.modprobe = Some(m),
            Err(e) => {
                c.report.error = Some(e.to_string());
                return c;
            }
        }
        for name in extra {
            if c.attempted.insert(module_name(name)) {
                c.load(loader, name);
            }
        }
        c.rescan(loader);
        c
    }

    /// Scan sysfs for modaliases not seen before and load their modules, repeating while that
    /// loads something (bounded). The first scan walks all of `/sys/devices`; later ones read
    /// the buses' device lists, where the devices that loaded drivers add appear. Returns the
    /// modules loaded by this call.
    pub fn rescan(&mut self, loader: &mut dyn ModuleLoader) -> Vec<String> {
        let first = self.report.loaded.len();
        for _ in 0..MAX_COLDPLUG_ROUNDS {
            let found = if self.walked {
                scan_bus_modaliases(&self.root)
            } else {
                self.walked = true;
                scan_modaliases(&self.root)
            };
            let fresh: Vec<String> = found
                .into_iter()
                .filter(|a| !self.seen.contains(a))
                .collect();
            let before = self.report.loaded.len();
            let mut tried_any = false;
            for alias in fresh {
                tried_any |= self.load_modalias(loader, &alias);
            }
            if !tried_any || self.report.loaded.len() == before {
                break;
            }
        }
        self.report.modaliases = self.seen.len();
        self.report.loaded[first..].to_vec()
    }

    /// Load the modules for one modalias (a uevent's `MODALIAS=`), once. Whether a module was
    /// tried.
    pub fn load_modalias(&mut self, loader: &mut dyn ModuleLoader, modalias: &str) -> bool {
        if !self.seen.insert(modalias.to_string()) {
            return false;
        }
        self.report.modaliases = self.seen.len();
        let Some(modprobe) = &self.modprobe else {
            return false;
        };
        let mut tried = false;
        for module in modprobe.index.lookup_alias(modalias) {
            let skip = self.modprobe.as_ref().is_none_or(|m| m.is_loaded(&module));
            if skip || !self.attempted.insert(module.clone()) {
                continue;
            }
            tried = true;
            self.load(loader, &module);
        }
        tried
    }

    fn load(&mut self, loader: &mut dyn ModuleLoader, name: &str) {
        let Some(modprobe) = self.modprobe.as_mut() else {
            return;
        };
        match modprobe.load_with_deps(loader, name, "") {
            Ok(done) => self.report.loaded.extend(done),
            Err(ModulesError::NotFound(n)) => self.report.not_found.push(n),
            Err(e) => self.report.failed.push((name.to_string(), e.to_string())),
        }
    }
}

/// `MODULE.PARAM=value` cmdline words (as [`crate::cmdline::KernelCmdline::module_params`]
/// gives them) as (module, `param=value`) for [`Modprobe`] and [`coldplug`].
pub fn cmdline_options<'a>(
    words: impl Iterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) -> Vec<(String, String)> {
    words
        .map(|(m, p, v)| {
            let param = match v {
                Some(v) if v.contains(char::is_whitespace) => format!("{p}=\"{v}\""),
                Some(v) => format!("{p}={v}"),
                None => p.to_string(),
            };
            (module_name(m), param)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::fs;

    const RELEASE: &str = "6.1.0-test";

    /// A fake root: lib/modules/RELEASE with modules.* and module files, proc, sys.
    struct Fixture {
        dir: tempfile::TempDir,
    }

    impl Fixture {
        fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let f = Fixture { dir };
            f.write("proc/sys/kernel/osrelease", &format!("{RELEASE}\n"));
            f.write("proc/modules", "");
            f.write(
                &format!("lib/modules/{RELEASE}/modules.dep"),
                "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko kernel/lib/crc16.ko\n\
                 kernel/fs/jbd2/jbd2.ko:\n\
                 kernel/fs/mbcache.ko:\n\
                 kernel/lib/crc16.ko:\n\
                 kernel/crypto/crc32c_generic.ko:\n\
                 kernel/arch/x86/crypto/crc32c-intel.ko:\n\
                 kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko\n\
                 kernel/drivers/virtio/virtio_pci_modern_dev.ko:\n\
                 kernel/drivers/block/virtio_blk.ko:\n\
                 kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko\n\
                 kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\n\
                 kernel/net/core/failover.ko:\n\
                 kernel/broken/needs_ghost.ko: kernel/ghost.ko\n",
            );
            f.write(
                &format!("lib/modules/{RELEASE}/modules.alias"),
                "# Aliases extracted from modules themselves.\n\
                 alias fs-ext4 ext4\n\
                 alias crypto-crc32c crc32c_generic\n\
                 alias crypto-crc32c crc32c-intel\n\
                 alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n\
                 alias virtio:d00000002v* virtio_blk\n\
                 alias virtio:d00000001v* virtio_net\n",
            );
            f.write(
                &format!("lib/modules/{RELEASE}/modules.softdep"),
                "softdep ext4 pre: crypto-crc32c\n",
            );
            f.write(
                &format!("lib/modules/{RELEASE}/modules.builtin"),
                "kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio_ring.ko\n",
            );
            let dep =
                fs::read_to_string(f.path(&format!("lib/modules/{RELEASE}/modules.dep"))).unwrap();
            for line in dep.lines() {
                let (path, _) = line.split_once(':').unwrap();
                if !path.contains("ghost") {
                    let name = module_name(path);
                    let elf = modinfo::fake_module(&[&format!("name={name}")]);
                    let full = f.path(&format!("lib/modules/{RELEASE}/{path}"));
                    fs::create_dir_all(full.parent().unwrap()).unwrap();
                    fs::write(full, elf).unwrap();
                }
            }
            f
        }

        fn path(&self, rel: &str) -> PathBuf {
            self.dir.path().join(rel)
        }

        fn write(&self, rel: &str, text: &str) {
            let p = self.path(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }

        fn root(&self) -> &Path {
            self.dir.path()
        }

        fn modprobe(&self) -> Modprobe {
            Modprobe::open(self.root(), RELEASE, &[]).unwrap()
        }
    }

    #[test]
    fn module_name_table() {
        let cases = [
            ("kernel/fs/ext4/ext4.ko", "ext4"),
            ("kernel/arch/x86/crypto/crc32c-intel.ko", "crc32c_intel"),
            ("crc32c-intel", "crc32c_intel"),
            ("/x/virtio_blk.ko.xz", "virtio_blk"),
            ("e1000e.ko.zst", "e1000e"),
            ("a.ko.gz", "a"),
        ];
        for (input, want) in cases {
            assert_eq!(module_name(input), want);
        }
    }

    #[test]
    fn resolve_table() {
        let f = Fixture::new();
        let m = f.modprobe();
        let mods = |v: &[&str]| Resolution::Modules(v.iter().map(|s| s.to_string()).collect());
        let cases = [
            ("ext4", mods(&["ext4"])),
            ("crc32c-intel", mods(&["crc32c_intel"])),
            ("fs-ext4", mods(&["ext4"])),
            ("crypto-crc32c", mods(&["crc32c_generic", "crc32c_intel"])),
            ("crypto_crc32c", mods(&["crc32c_generic", "crc32c_intel"])),
            (
                "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00",
                mods(&["virtio_pci"]),
            ),
            ("virtio", Resolution::Builtin),
            ("nope", Resolution::NotFound),
        ];
        for (name, want) in cases {
            assert_eq!(m.index.resolve(name), want, "{name}");
        }
    }

    #[test]
    fn load_order_puts_softdeps_and_deps_first() {
        let f = Fixture::new();
        let m = f.modprobe();
        let none = BTreeSet::new();
        let cases: [(&str, &[&str], &[&str]); 4] = [
            (
                "ext4",
                &[],
                &[
                    "crc32c_generic",
                    "crc32c_intel",
                    "crc16",
                    "mbcache",
                    "jbd2",
                    "ext4",
                ],
            ),
            (
                "ext4",
                &["jbd2", "crc32c_intel"],
                &["crc32c_generic", "crc16", "mbcache", "ext4"],
            ),
            (
                "virtio_net",
                &[],
                &["failover", "net_failover", "virtio_net"],
            ),
            ("virtio_blk", &["virtio_blk"], &[]),
        ];
        for (module, loaded, want) in cases {
            let loaded: BTreeSet<String> = loaded.iter().map(|s| s.to_string()).collect();
            let got = m.index.load_order(module, &loaded).unwrap();
            assert_eq!(got, want, "{module} with {loaded:?}");
        }
        assert!(matches!(
            m.index.load_order("needs_ghost", &none),
            Err(ModulesError::MissingDependency { .. })
        ));
    }

    #[test]
    fn load_with_deps_calls_the_loader_in_order_with_params() {
        let f = Fixture::new();
        f.write(
            "proc/modules",
            "jbd2 196608 1 ext4, Live 0x0000000000000000\nmbcache 16384 0 - Live 0x0\n",
        );
        let options = [
            ("ext4".to_string(), "debug=1".to_string()),
            ("crc16".to_string(), "x=y".to_string()),
        ];
        let mut m = Modprobe::open(f.root(), RELEASE, &options).unwrap();
        let mut loader = RecordingLoader::new()
            .failing("crc16", Errno::ENOEXEC)
            .failing("crc32c_intel", Errno::ENODEV);
        let err = m
            .load_with_deps(&mut loader, "ext4", "nodelalloc")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: Invalid module format",
                f.path(&format!("lib/modules/{RELEASE}/kernel/lib/crc16.ko"))
                    .display()
            )
        );
        // crc32c_generic loaded above; a failing soft dependency does not stop ext4.
        let mut loader = RecordingLoader::new().failing("crc32c_intel", Errno::ENODEV);
        let done = m
            .load_with_deps(&mut loader, "fs-ext4", "nodelalloc")
            .unwrap();
        assert_eq!(done, ["crc16", "ext4"]);
        assert_eq!(
            loader.calls,
            [
                LoaderCall::Load {
                    module: "crc32c_intel".into(),
                    params: "".into()
                },
                LoaderCall::Load {
                    module: "crc16".into(),
                    params: "x=y".into()
                },
                LoaderCall::Load {
                    module: "ext4".into(),
                    params: "debug=1 nodelalloc".into()
                },
            ]
        );
        // Everything is loaded now: a second modprobe does nothing.
        let mut loader = RecordingLoader::new();
        assert!(m
            .load_with_deps(&mut loader, "ext4", "")
            .unwrap()
            .is_empty());
        assert!(loader.calls.is_empty());
        // Builtin: nothing to do; unknown: one-line error.
        assert!(m
            .load_with_deps(&mut loader, "virtio_ring", "")
            .unwrap()
            .is_empty());
        let err = m.load_with_deps(&mut loader, "foo", "").unwrap_err();
        assert_eq!(err.to_string(), "foo: module not found");
    }

    #[test]
    fn remove_with_deps_leaves_used_dependencies() {
        let f = Fixture::new();
        f.write(
            "proc/modules",
            "ext4 1 0 - Live 0x0\njbd2 1 1 ext4, Live 0x0\nmbcache 1 2 ext4,other, Live 0x0\ncrc16 1 1 ext4, Live 0x0\n",
        );
        let mut m = f.modprobe();
        assert_eq!(
            m.plan_remove("ext4").unwrap(),
            ["ext4", "jbd2", "mbcache", "crc16"]
        );
        let mut loader = RecordingLoader::new().failing("mbcache", Errno::EWOULDBLOCK);
        let removed = m.remove_with_deps(&mut loader, "ext4").unwrap();
        assert_eq!(removed, ["ext4", "jbd2", "crc16"]);
        assert_eq!(
            m.remove_with_deps(&mut loader, "virtio_blk")
                .unwrap_err()
                .to_string(),
            "virtio_blk: module is not currently loaded"
        );
        let mut m = f.modprobe();
        let mut loader = RecordingLoader::new().failing("ext4", Errno::EWOULDBLOCK);
        assert_eq!(
            m.remove_with_deps(&mut loader, "ext4")
                .unwrap_err()
                .to_string(),
            "ext4: Module is in use"
        );
    }

    #[test]
    fn proc_modules_table() {
        let text = "virtio_blk 24576 2 - Live 0xffffffffc0340000\n\
                    jbd2 196608 1 ext4, Live 0x0\n\
                    mbcache 16384 2 ext4,jbd2, Loading 0x0\n\
                    odd 12 - - Live 0x0\n\
                    garbage\n";
        let got = parse_proc_modules(text);
        let want = [
            ("virtio_blk", 24576, Some(2), vec![], "Live"),
            ("jbd2", 196608, Some(1), vec!["ext4"], "Live"),
            ("mbcache", 16384, Some(2), vec!["ext4", "jbd2"], "Loading"),
            ("odd", 12, None, vec![], "Live"),
        ];
        assert_eq!(got.len(), want.len());
        for (m, (name, size, refcount, used, state)) in got.iter().zip(want) {
            assert_eq!(m.name, name);
            assert_eq!(m.size, size);
            assert_eq!(m.refcount, refcount);
            assert_eq!(m.used_by, used);
            assert_eq!(m.state, state);
        }
    }

    #[test]
    fn coldplug_loads_drivers_for_devices_and_modules_load() {
        let f = Fixture::new();
        f.write(
            "sys/devices/pci0000:00/0000:00:04.0/modalias",
            "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\n",
        );
        f.write(
            "sys/devices/pci0000:00/0000:00:05.0/modalias",
            "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\n",
        );
        f.write(
            "sys/devices/platform/serial8250/modalias",
            "platform:serial8250\n",
        );
        // Attribute directories are not devices.
        f.write(
            "sys/devices/platform/serial8250/power/modalias",
            "virtio:d00000001v0\n",
        );
        // A symlink loop as sysfs has them must not be followed.
        std::os::unix::fs::symlink(
            f.path("sys/devices/pci0000:00"),
            f.path("sys/devices/pci0000:00/0000:00:04.0/subsystem"),
        )
        .unwrap();
        let mut loader = RecordingLoader::new().failing("crc32c_intel", Errno::ENODEV);
        let extra = ["ext4".to_string(), "nope".to_string()];
        let params = [("virtio-pci".to_string(), "force_legacy=1".to_string())];
        let report = coldplug(f.root(), &mut loader, &extra, &params);
        assert_eq!(report.release, RELEASE);
        assert_eq!(report.modaliases, 2);
        assert_eq!(report.not_found, ["nope"]);
        assert_eq!(report.failed, []);
        assert_eq!(
            report.loaded,
            [
                "crc32c_generic",
                "crc16",
                "mbcache",
                "jbd2",
                "ext4",
                "virtio_pci_modern_dev",
                "virtio_pci"
            ]
        );
        assert_eq!(
            loader.calls.last(),
            Some(&LoaderCall::Load {
                module: "virtio_pci".into(),
                params: "force_legacy=1".into()
            })
        );
        assert_eq!(report.error, None);
    }

    #[test]
    fn rescan_and_uevents_load_drivers_for_devices_found_later() {
        let f = Fixture::new();
        let mut loader = RecordingLoader::new();
        let mut c = Coldplug::start(f.root(), &mut loader, &[], &[]);
        assert_eq!(c.report.loaded, Vec::<String>::new());
        // virtio_pci's probe added a disk after the first scan (asynchronously).
        f.write(
            "sys/devices/pci0000:00/0000:00:04.0/virtio0/modalias",
            "virtio:d00000002v00001AF4\n",
        );
        // Later scans read the buses' device links, as sysfs has them.
        assert!(c.rescan(&mut loader).is_empty(), "not on a bus yet");
        fs::create_dir_all(f.path("sys/bus/virtio/devices")).unwrap();
        std::os::unix::fs::symlink(
            "../../../devices/pci0000:00/0000:00:04.0/virtio0",
            f.path("sys/bus/virtio/devices/virtio0"),
        )
        .unwrap();
        assert_eq!(c.rescan(&mut loader), ["virtio_blk"]);
        assert!(c.rescan(&mut loader).is_empty(), "nothing new");
        assert!(c.load_modalias(&mut loader, "virtio:d00000001v00001AF4"));
        assert!(
            !c.load_modalias(&mut loader, "virtio:d00000001v00001AF4"),
            "once"
        );
        assert!(!c.load_modalias(&mut loader, "acpi:PNP0501:"), "no driver");
        assert_eq!(
            c.report.loaded,
            ["virtio_blk", "failover", "net_failover", "virtio_net"]
        );
        assert_eq!(c.report.modaliases, 3);
    }

    #[test]
    fn coldplug_without_an_index_reports_instead_of_failing() {
        let dir = tempfile::tempdir().unwrap();
        let mut loader = RecordingLoader::new();
        let report = coldplug(dir.path(), &mut loader, &[], &[]);
        assert!(report
            .error
            .unwrap()
            .ends_with("proc/sys/kernel/osrelease: No such file or directory"));
        fs::create_dir_all(dir.path().join("proc/sys/kernel")).unwrap();
        fs::write(dir.path().join("proc/sys/kernel/osrelease"), "9.9\n").unwrap();
        let report = coldplug(dir.path(), &mut loader, &[], &[]);
        assert!(report
            .error
            .unwrap()
            .ends_with("lib/modules/9.9/modules.dep: No such file or directory"));
        assert!(loader.calls.is_empty());
    }

    #[test]
    fn cmdline_options_table() {
        let words = [
            ("virtio-blk", "queue_depth", Some("64")),
            ("ext4", "debug", None),
            ("m", "s", Some("a b")),
        ];
        assert_eq!(
            cmdline_options(words.into_iter()),
            [
                ("virtio_blk".to_string(), "queue_depth=64".to_string()),
                ("ext4".to_string(), "debug".to_string()),
                ("m".to_string(), "s=\"a b\"".to_string()),
            ]
        );
    }
}
