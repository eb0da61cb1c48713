//! `mount`: mount a filesystem or list mounts. A util-linux mount(8) subset.
//!
//! usage: mount [-t TYPE] [-o OPTS] [-rw] [--bind|--rbind|--move] SOURCE TARGET
//!
//! Without `-t` the type comes from the superblock of a block device or image file (an image
//! goes through a loop device), else each disk type in /proc/filesystems is tried in turn.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use rroot_init::fstype;
use rroot_init::mountopt::{MountOptions, MountSpec};
use rroot_init::mounts::{parse_mounts, MountEntry};

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: mount [-t TYPE] [-o OPTS] [-r|-w] [--bind|--rbind|--move] SOURCE TARGET
       mount -o remount[,OPTS] TARGET
       mount --make-[r]{private,shared,slave,unbindable} TARGET
       mount [-t TYPE]
Mount SOURCE (device, UUID=, LABEL=, image file, directory for --bind, or a name like
proc) on TARGET.
Without -t the type is read from the superblock; image files use a loop device.
Without arguments, list the mounts (of TYPE only with -t).
  -t TYPE   filesystem type, or a comma-separated list to try
  -o OPTS   options: ro rw nosuid nodev noexec sync remount bind noatime relatime ...;
            others (size=1m, mode=755, ...) are passed to the filesystem
  -r, -w    mount read-only / read-write
";

#[derive(Debug, thiserror::Error)]
pub enum MountError {
    #[error("{}: {}", path.display(), io_reason(source))]
    Read { path: PathBuf, source: io::Error },
    #[error("{}: mount point does not exist", .0.display())]
    NoTarget(PathBuf),
    #[error("{}: can't find the filesystem type, use -t", .0.display())]
    NoType(PathBuf),
    #[error("{0}: no block device has this filesystem")]
    NoDevice(String),
    #[error("{}: swap space, not mountable", .0.display())]
    Swap(PathBuf),
    #[error("{}: can't set up loop device: {}", path.display(), errno.desc())]
    Loop { path: PathBuf, errno: Errno },
    #[error("{}: {reason}", subject.display())]
    Mount { subject: PathBuf, reason: String },
    #[error("write error: {}", io_reason(.0))]
    Write(io::Error),
}

impl AppletError for MountError {}

/// The command line, parsed but not yet judged against the machine.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    types: Option<String>,
    /// `-o` texts and the flags spelled as options (`-r` is `ro`, `--bind` is `bind`), in order.
    opts: Vec<String>,
    args: Vec<PathBuf>,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            types: None,
            opts: Vec::new(),
            args: Vec::new(),
        };
        let mut it = args.into_iter().skip(1);
        while let Some(arg) = it.next() {
            let bytes = arg.as_bytes();
            let long = match bytes {
                b"--" => {
                    o.args.extend(it.by_ref().map(PathBuf::from));
                    break;
                }
                b"--bind" => Some("bind"),
                b"--rbind" => Some("rbind"),
                b"--move" => Some("move"),
                b"--read-only" => Some("ro"),
                b"--rw" | b"--read-write" => Some("rw"),
                // --make-private, --make-rshared, ...: propagation changes of TARGET.
                _ if bytes.starts_with(b"--make-") => {
                    o.opts.push(arg.to_string_lossy()[7..].to_string());
                    continue;
                }
                _ if bytes.starts_with(b"--") => {
                    return Err(UsageError(format!(
                        "unrecognized option '{}'",
                        arg.to_string_lossy()
                    )))
                }
                _ => None,
            };
            if let Some(opt) = long {
                o.opts.push(opt.into());
                continue;
            }
            if bytes.len() < 2 || bytes[0] != b'-' {
                o.args.push(arg.into());
                continue;
            }
            let text = arg.to_string_lossy();
            for (i, c) in text.char_indices().skip(1) {
                match c {
                    'r' => o.opts.push("ro".into()),
                    'w' => o.opts.push("rw".into()),
                    'B' => o.opts.push("bind".into()),
                    'R' => o.opts.push("rbind".into()),
                    'M' => o.opts.push("move".into()),
                    // verbose, no mtab, no helpers: nothing to do here.
                    'v' | 'n' | 'i' => {}
                    't' | 'o' => {
                        let rest = &text[i + 1..];
                        let value = if rest.is_empty() {
                            it.next()
                                .ok_or_else(|| {
                                    UsageError(format!("option requires an argument -- '{c}'"))
                                })?
                                .to_string_lossy()
                                .into_owned()
                        } else {
                            rest.to_string()
                        };
                        if c == 't' {
                            o.types = Some(value);
                        } else {
                            o.opts.push(value);
                        }
                        break;
                    }
                    _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                }
            }
        }
        if o.args.len() > 2 {
            return Err(UsageError("too many arguments".into()));
        }
        Ok(o)
    }
}

/// What `mount` will do.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Print the mount table, of these types only if given.
    List(Option<String>),
    Mount(MountPlan),
}

#[derive(Debug, PartialEq, Eq)]
pub struct MountPlan {
    /// `spec.fstype` is replaced by each candidate in turn.
    pub spec: MountSpec,
    /// Types to try in order; `[None]` for bind, move and remount.
    pub candidates: Vec<Option<String>>,
    /// The source is an image file to attach to a loop device first.
    pub loop_file: bool,
}

const PROPAGATION: MsFlags = MsFlags::MS_SHARED
    .union(MsFlags::MS_SLAVE)
    .union(MsFlags::MS_PRIVATE)
    .union(MsFlags::MS_UNBINDABLE);
const NO_TYPE_NEEDED: MsFlags = MsFlags::MS_REMOUNT
    .union(MsFlags::MS_BIND)
    .union(MsFlags::MS_MOVE)
    .union(PROPAGATION);

/// Decide what to mount and how, reading the machine under `root` (`/proc`) and the source's
/// superblock, but changing nothing.
pub fn plan(o: Options, root: &Path) -> Result<Action, MountError> {
    let mut opts = MountOptions::parse("");
    for text in &o.opts {
        opts.apply(text);
    }
    let remount = opts.flags.contains(MsFlags::MS_REMOUNT);
    let propagation = opts.flags.intersects(PROPAGATION);
    let (source, target) = match &o.args[..] {
        [] => return Ok(Action::List(o.types)),
        [t] if remount || propagation => (PathBuf::from("none"), t.clone()),
        [_] => {
            return Err(MountError::Mount {
                subject: o.args[0].clone(),
                reason: "can't find in /etc/fstab, give SOURCE and TARGET".into(),
            })
        }
        [s, t, ..] => (s.clone(), t.clone()),
    };
    if fs::metadata(&target).is_err() {
        return Err(MountError::NoTarget(target));
    }
    if remount {
        // mount(2) replaces the per-mount flags: keep those not named, as util-linux does.
        let current = current_options(root, &target)?;
        opts = MountOptions::parse(&current);
        opts.data.clear();
        for text in &o.opts {
            opts.apply(text);
        }
    }
    // util-linux's tags: the device is whichever holds that filesystem now.
    let tag = source.to_string_lossy().into_owned();
    let source = if tag.starts_with("UUID=") || tag.starts_with("LABEL=") {
        fstype::find_by_tag(root, &tag).ok_or(MountError::NoDevice(tag))?
    } else {
        source
    };
    let mut spec = MountSpec {
        source,
        target,
        fstype: None,
        flags: opts.flags,
        data: opts.data,
    };
    let named = o.types.filter(|t| t != "auto");
    if opts.flags.intersects(NO_TYPE_NEEDED) {
        spec.fstype = named;
        let candidates = vec![spec.fstype.clone()];
        return Ok(Action::Mount(MountPlan {
            spec,
            candidates,
            loop_file: false,
        }));
    }
    let meta = fs::metadata(&spec.source);
    // An image file goes through a loop device; with -t, only when written as a path, so
    // `mount -t proc proc /proc` never loops a stray ./proc file.
    let is_path = named.is_none() || spec.source.as_os_str().as_bytes().contains(&b'/');
    let loop_file = is_path && meta.as_ref().is_ok_and(|m| m.is_file());
    let candidates = match (named, meta) {
        (Some(t), _) => t.split(',').map(|t| Some(t.to_string())).collect(),
        (None, Err(e)) if e.kind() != io::ErrorKind::NotFound || spec.source.is_absolute() => {
            return Err(MountError::Read {
                path: spec.source,
                source: e,
            })
        }
        (None, Err(_)) => return Err(MountError::NoType(spec.source)),
        (None, Ok(m)) if !(m.is_file() || m.file_type().is_block_device()) => {
            return Err(MountError::Mount {
                subject: spec.source,
                reason: Errno::ENOTBLK.desc().into(),
            })
        }
        (None, Ok(_)) => match fstype::probe_path(&spec.source) {
            Ok(Some(p)) if p.fstype == "swap" => return Err(MountError::Swap(spec.source)),
            Ok(Some(p)) => vec![Some(p.fstype.to_string())],
            // Unrecognised (or unreadable) superblock: let the kernel judge each type.
            _ => disk_filesystems(root)?.into_iter().map(Some).collect(),
        },
    };
    if candidates.is_empty() {
        return Err(MountError::NoType(spec.source));
    }
    Ok(Action::Mount(MountPlan {
        spec,
        candidates,
        loop_file,
    }))
}

/// Filesystem types the kernel has that need a device (no `nodev` mark), in its order.
fn disk_filesystems(root: &Path) -> Result<Vec<String>, MountError> {
    let path = root.join("proc/filesystems");
    let text = fs::read_to_string(&path).map_err(|source| MountError::Read { path, source })?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with("nodev"))
        .map(|l| l.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect())
}

fn read_mounts(root: &Path) -> Result<Vec<MountEntry>, MountError> {
    let path = root.join("proc/self/mounts");
    let text = fs::read_to_string(&path).map_err(|source| MountError::Read { path, source })?;
    Ok(parse_mounts(&text))
}

/// The options of the last mount on `target` (the visible one), for remount.
fn current_options(root: &Path, target: &Path) -> Result<String, MountError> {
    let want = fs::canonicalize(target).unwrap_or_else(|_| target.to_path_buf());
    let mounts = read_mounts(root)?;
    match mounts.iter().rev().find(|m| m.target == want) {
        Some(m) => Ok(m.options.clone()),
        None => Err(MountError::Mount {
            subject: target.to_path_buf(),
            reason: "not mounted".into(),
        }),
    }
}

/// `SRC on TARGET type FS (OPTS)`, like util-linux.
pub fn list(root: &Path, types: Option<&str>, out: &mut dyn Write) -> Result<(), MountError> {
    for m in read_mounts(root)? {
        if types.is_some_and(|t| !t.split(',').any(|t| t == m.fstype)) {
            continue;
        }
        let (src, target, fs, opts) = (&m.source, m.target.display(), &m.fstype, &m.options);
        writeln!(out, "{src} on {target} type {fs} ({opts})").map_err(MountError::Write)?;
    }
    Ok(())
}

/// A loop device bound to an image file. It detaches itself (autoclear) once nothing holds
/// it, so dropping this after a failed mount leaves no device behind.
pub struct LoopDevice {
    pub path: PathBuf,
    _fd: Option<OwnedFd>,
}

/// The syscalls mount and umount make, so a plan can be checked against a recording fake.
pub trait MountSys {
    fn mount(&mut self, spec: &MountSpec) -> Result<(), Errno>;
    fn umount(&mut self, target: &Path, flags: MntFlags) -> Result<(), Errno>;
    fn attach_loop(&mut self, file: &Path, read_only: bool) -> Result<LoopDevice, MountError>;
}

pub struct RealSys;

// <linux/loop.h>
const LOOP_CONFIGURE: libc::Ioctl = 0x4C0A;
const LOOP_CTL_GET_FREE: libc::Ioctl = 0x4C82;
const LO_FLAGS_READ_ONLY: u32 = 1;
const LO_FLAGS_AUTOCLEAR: u32 = 4;

/// `struct loop_config` with its `loop_info64` flattened to the fields set here.
#[repr(C)]
struct LoopConfig {
    fd: u32,
    block_size: u32,
    info_dev_ino_offset: [u64; 5],
    info_number_encrypt: [u32; 3],
    info_flags: u32,
    info_file_name: [u8; 64],
    info_crypt_key_init: [u8; 112],
    reserved: [u64; 8],
}

impl MountSys for RealSys {
    fn mount(&mut self, s: &MountSpec) -> Result<(), Errno> {
        let data = (!s.data.is_empty()).then_some(s.data.as_str());
        nix::mount::mount(
            Some(&s.source),
            &s.target,
            s.fstype.as_deref(),
            s.flags,
            data,
        )
    }

    fn umount(&mut self, target: &Path, flags: MntFlags) -> Result<(), Errno> {
        nix::mount::umount2(target, flags)
    }

    fn attach_loop(&mut self, file: &Path, read_only: bool) -> Result<LoopDevice, MountError> {
        let fail = |path: &Path, e: io::Error| MountError::Loop {
            path: path.to_path_buf(),
            errno: Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)),
        };
        let open = |p: &Path| OpenOptions::new().read(true).write(!read_only).open(p);
        let backing = open(file).map_err(|e| fail(file, e))?;
        let ctl_path = Path::new("/dev/loop-control");
        let ctl = OpenOptions::new()
            .read(true)
            .write(true)
            .open(ctl_path)
            .map_err(|e| fail(ctl_path, e))?;
        let mut cfg = LoopConfig {
            fd: backing.as_raw_fd() as u32,
            block_size: 0,
            info_dev_ino_offset: [0; 5],
            info_number_encrypt: [0; 3],
            info_flags: LO_FLAGS_AUTOCLEAR | if read_only { LO_FLAGS_READ_ONLY } else { 0 },
            info_file_name: [0; 64],
            info_crypt_key_init: [0; 112],
            reserved: [0; 8],
        };
        let name = file.as_os_str().as_bytes();
        let n = name.len().min(63);
        cfg.info_file_name[..n].copy_from_slice(&name[..n]);
        // Another process may take the free device between asking and configuring: retry.
        for _ in 0..8 {
            // SAFETY: LOOP_CTL_GET_FREE takes no argument and only returns a number.
            let n = unsafe { libc::ioctl(ctl.as_raw_fd(), LOOP_CTL_GET_FREE) };
            if n < 0 {
                return Err(fail(ctl_path, io::Error::last_os_error()));
            }
            let path = PathBuf::from(format!("/dev/loop{n}"));
            let dev = open(&path).map_err(|e| fail(&path, e))?;
            // SAFETY: cfg is a live, correctly laid out struct loop_config the kernel only reads.
            let r = unsafe { libc::ioctl(dev.as_raw_fd(), LOOP_CONFIGURE, &cfg) };
            if r == 0 {
                return Ok(LoopDevice {
                    path,
                    _fd: Some(dev.into()),
                });
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EBUSY) {
                return Err(fail(&path, e));
            }
        }
        Err(fail(ctl_path, io::Error::from_raw_os_error(libc::EBUSY)))
    }
}

/// Carry out a plan: attach the loop device if needed, then try each type until one mounts.
pub fn execute(plan: &MountPlan, sys: &mut dyn MountSys) -> Result<(), MountError> {
    let mut spec = plan.spec.clone();
    let _device = if plan.loop_file {
        let dev = sys.attach_loop(&spec.source, spec.flags.contains(MsFlags::MS_RDONLY))?;
        spec.source = dev.path.clone();
        Some(dev)
    } else {
        None
    };
    let mut last = Errno::ENODEV;
    for fstype in &plan.candidates {
        spec.fstype = fstype.clone();
        match sys.mount(&spec) {
            Ok(()) => return remount_bind(&spec, sys),
            // Wrong type or a type the kernel lacks: the next candidate may fit.
            Err(e @ (Errno::EINVAL | Errno::ENODEV)) if plan.candidates.len() > 1 => last = e,
            Err(e) => return Err(mount_error(&spec, &plan.spec.source, e)),
        }
    }
    Err(mount_error(&spec, &plan.spec.source, last))
}

/// A bind mount ignores per-mount flags such as `ro` or `nosuid`; like util-linux, apply them
/// with a second call, a bind remount (mount(8) "--bind").
fn remount_bind(spec: &MountSpec, sys: &mut dyn MountSys) -> Result<(), MountError> {
    const PER_MOUNT: MsFlags = MsFlags::MS_RDONLY
        .union(MsFlags::MS_NOSUID)
        .union(MsFlags::MS_NODEV)
        .union(MsFlags::MS_NOEXEC)
        .union(MsFlags::MS_NOATIME)
        .union(MsFlags::MS_NODIRATIME)
        .union(MsFlags::MS_RELATIME)
        .union(MsFlags::MS_STRICTATIME);
    let f = spec.flags;
    if !f.contains(MsFlags::MS_BIND) || f.contains(MsFlags::MS_REMOUNT) || !f.intersects(PER_MOUNT)
    {
        return Ok(());
    }
    let remount = MountSpec {
        flags: (f & (PER_MOUNT | MsFlags::MS_BIND)) | MsFlags::MS_REMOUNT,
        data: String::new(),
        ..spec.clone()
    };
    sys.mount(&remount)
        .map_err(|e| mount_error(&remount, &spec.source, e))
}

/// The mount(2) errno as a message about the path it concerns, in util-linux's spirit.
/// `source` is what the user named: the image file rather than its loop device.
fn mount_error(spec: &MountSpec, source: &Path, e: Errno) -> MountError {
    let source = source.to_path_buf();
    let (subject, reason) = match e {
        Errno::ENODEV => (
            PathBuf::from(spec.fstype.as_deref().unwrap_or("mount")),
            "unknown filesystem type".to_string(),
        ),
        Errno::EINVAL if !spec.flags.intersects(NO_TYPE_NEEDED) => (
            source,
            "wrong fs type, bad option or bad superblock".to_string(),
        ),
        Errno::ENOTBLK | Errno::ENXIO | Errno::EACCES | Errno::EROFS | Errno::ENOENT
            if source.is_absolute() =>
        {
            (source, e.desc().to_string())
        }
        _ => (spec.target.clone(), e.desc().to_string()),
    };
    MountError::Mount { subject, reason }
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let root = Path::new("/");
    match plan(Options::parse(args)?, root)? {
        Action::List(types) => list(root, types.as_deref(), &mut io::stdout().lock())?,
        Action::Mount(p) => execute(&p, &mut RealSys)?,
    }
    Ok(0)
}

/// A fake that records each call and fails the ones it is told to.
#[cfg(test)]
pub(crate) struct RecordingSys {
    pub calls: Vec<String>,
    /// (fstype or target, errno): mounts of that type, or umounts of that target, fail so.
    pub fail: Vec<(String, Errno)>,
}

#[cfg(test)]
impl RecordingSys {
    pub fn new(fail: &[(&str, Errno)]) -> Self {
        RecordingSys {
            calls: Vec::new(),
            fail: fail.iter().map(|(k, e)| (k.to_string(), *e)).collect(),
        }
    }

    fn outcome(&self, key: &str) -> Result<(), Errno> {
        match self.fail.iter().find(|(k, _)| k == key) {
            Some((_, e)) => Err(*e),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
impl MountSys for RecordingSys {
    fn mount(&mut self, s: &MountSpec) -> Result<(), Errno> {
        let t = s.fstype.clone().unwrap_or_else(|| "-".into());
        self.calls.push(format!(
            "mount {} {} {t} {}",
            s.source.display(),
            s.target.display(),
            s.options()
        ));
        self.outcome(&t)
    }

    fn umount(&mut self, target: &Path, flags: MntFlags) -> Result<(), Errno> {
        self.calls
            .push(format!("umount {} {:#x}", target.display(), flags.bits()));
        self.outcome(&target.display().to_string())
    }

    fn attach_loop(&mut self, file: &Path, read_only: bool) -> Result<LoopDevice, MountError> {
        self.calls
            .push(format!("loop {} ro={read_only}", file.display()));
        Ok(LoopDevice {
            path: "/dev/loop7".into(),
            _fd: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("mount")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    /// Command line, then the -t value, -o texts and operands it parses to.
    type ParseCase = (
        &'static str,
        Option<&'static str>,
        &'static [&'static str],
        &'static [&'static str],
    );
    /// Command line, mount types the fake fails (with errno), then the calls it records.
    type PlanCase = (
        &'static str,
        &'static [(&'static str, Errno)],
        &'static [&'static str],
    );

    #[test]
    fn parse_table() {
        let cases: &[ParseCase] = &[
            ("", None, &[], &[]),
            ("-t proc proc /proc", Some("proc"), &[], &["proc", "/proc"]),
            (
                "-tproc -o nosuid,nodev x /y",
                Some("proc"),
                &["nosuid,nodev"],
                &["x", "/y"],
            ),
            ("-r -o size=1m a b", None, &["ro", "size=1m"], &["a", "b"]),
            ("-rt ext4 a b", Some("ext4"), &["ro"], &["a", "b"]),
            ("-wo noexec a b", None, &["rw", "noexec"], &["a", "b"]),
            ("--bind /a /b", None, &["bind"], &["/a", "/b"]),
            (
                "--rbind --read-only /a /b",
                None,
                &["rbind", "ro"],
                &["/a", "/b"],
            ),
            ("-o remount,ro /", None, &["remount,ro"], &["/"]),
            ("--make-rprivate /", None, &["rprivate"], &["/"]),
            ("-vn -- -weird /b", None, &[], &["-weird", "/b"]),
        ];
        for &(line, types, opts, rest) in cases {
            let o = Options::parse(args(line)).expect(line);
            assert_eq!(o.types.as_deref(), types, "{line}");
            assert_eq!(o.opts, opts, "{line}");
            assert_eq!(
                o.args,
                rest.iter().map(PathBuf::from).collect::<Vec<_>>(),
                "{line}"
            );
        }
    }

    #[test]
    fn parse_errors() {
        let cases = [
            ("-x", "invalid option -- 'x'"),
            ("-t", "option requires an argument -- 't'"),
            ("--frobnicate", "unrecognized option '--frobnicate'"),
            ("a b c", "too many arguments"),
        ];
        for (line, want) in cases {
            assert_eq!(
                Options::parse(args(line)),
                Err(UsageError(want.into())),
                "{line}"
            );
        }
    }

    /// A fake root with /proc/filesystems and /proc/self/mounts, plus a mount point.
    fn fake_root() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        fs::create_dir_all(p.join("proc/self")).expect("mkdir");
        fs::create_dir_all(p.join("mnt")).expect("mkdir");
        fs::write(
            p.join("proc/filesystems"),
            "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\n\text4\n\tvfat\n",
        )
        .expect("write");
        let mnt = p.join("mnt").display().to_string().replace(' ', "\\040");
        fs::write(
            p.join("proc/self/mounts"),
            format!(
                "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n\
                 /dev/vda {mnt} ext4 rw,nosuid,relatime,errors=remount-ro 0 0\n\
                 my\\040disk /media/a\\040b vfat ro,relatime,fmask=0022 0 0\n"
            ),
        )
        .expect("write");
        dir
    }

    fn plan_of(root: &Path, line: &str) -> Result<Action, MountError> {
        let line = line.replace("ROOT", &root.display().to_string());
        plan(Options::parse(args(&line)).expect("parse"), root)
    }

    fn mount_plan(root: &Path, line: &str) -> MountPlan {
        match plan_of(root, line) {
            Ok(Action::Mount(p)) => p,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn plans_and_their_mount_calls() {
        let dir = fake_root();
        let root = dir.path();
        let ext4 = {
            let mut b = vec![0u8; 2048];
            b[1024 + 0x38..1024 + 0x3A].copy_from_slice(&[0x53, 0xEF]);
            b[1024 + 0x60] = 0x40;
            b
        };
        fs::write(root.join("ext4.img"), &ext4).expect("write");
        fs::write(root.join("junk.img"), b"not a filesystem").expect("write");
        fs::write(root.join("swap.img"), {
            let mut b = vec![0u8; 4096];
            b[4086..].copy_from_slice(b"SWAPSPACE2");
            b
        })
        .expect("write");
        let cases: &[PlanCase] = &[
            (
                "-t tmpfs -o size=1m,nosuid tmpfs ROOT/mnt",
                &[],
                &["mount tmpfs ROOT/mnt tmpfs rw,nosuid,size=1m"],
            ),
            (
                "--bind ROOT/mnt ROOT/mnt",
                &[],
                &["mount ROOT/mnt ROOT/mnt - rw,bind"],
            ),
            (
                "--bind -o ro,nosuid ROOT/mnt ROOT/mnt",
                &[],
                &[
                    "mount ROOT/mnt ROOT/mnt - ro,nosuid,bind",
                    "mount ROOT/mnt ROOT/mnt - ro,nosuid,remount,bind",
                ],
            ),
            (
                "-r ROOT/ext4.img ROOT/mnt",
                &[],
                &[
                    "loop ROOT/ext4.img ro=true",
                    "mount /dev/loop7 ROOT/mnt ext4 ro",
                ],
            ),
            (
                "ROOT/junk.img ROOT/mnt",
                &[("ext4", Errno::EINVAL)],
                &[
                    "loop ROOT/junk.img ro=false",
                    "mount /dev/loop7 ROOT/mnt ext4 rw",
                    "mount /dev/loop7 ROOT/mnt vfat rw",
                ],
            ),
            (
                "-t ext4,vfat -o noatime ROOT/junk.img ROOT/mnt",
                &[("ext4", Errno::ENODEV)],
                &[
                    "loop ROOT/junk.img ro=false",
                    "mount /dev/loop7 ROOT/mnt ext4 rw,noatime",
                    "mount /dev/loop7 ROOT/mnt vfat rw,noatime",
                ],
            ),
            // Remount keeps the flags of the current mount that were not named.
            (
                "--make-rprivate ROOT/mnt",
                &[],
                &["mount none ROOT/mnt - rw,rprivate"],
            ),
            (
                "-o remount,ro ROOT/mnt",
                &[],
                &["mount none ROOT/mnt - ro,nosuid,relatime,remount"],
            ),
        ];
        let r = root.display().to_string();
        for &(line, fail, want) in cases {
            let p = mount_plan(root, line);
            let mut sys = RecordingSys::new(fail);
            execute(&p, &mut sys).expect(line);
            let want: Vec<String> = want.iter().map(|w| w.replace("ROOT", &r)).collect();
            assert_eq!(sys.calls, want, "{line}");
        }
        assert!(matches!(
            plan_of(root, "ROOT/swap.img ROOT/mnt"),
            Err(MountError::Swap(_))
        ));
        // A LABEL= tag finds its device under ROOT/sys/class/block and ROOT/dev.
        fs::create_dir_all(root.join("sys/class/block/vda1")).expect("mkdir");
        fs::create_dir_all(root.join("dev")).expect("mkdir");
        let mut labelled = ext4.clone();
        labelled[1024 + 0x78..1024 + 0x7c].copy_from_slice(b"data");
        fs::write(root.join("dev/vda1"), labelled).expect("write");
        let p = mount_plan(root, "LABEL=data ROOT/mnt");
        assert_eq!(p.spec.source, root.join("dev/vda1"));
        assert_eq!(p.candidates, [Some("ext4".to_string())]);
        assert_eq!(
            plan_of(root, "UUID=0000 ROOT/mnt").map_err(|e| e.to_string()),
            Err("UUID=0000: no block device has this filesystem".to_string())
        );
    }

    #[test]
    fn error_messages() {
        let dir = fake_root();
        let root = dir.path();
        let r = root.display().to_string();
        let plan_err = |line: &str| match plan_of(root, line) {
            Err(e) => e.to_string().replace(&r, "ROOT"),
            Ok(a) => panic!("{line}: {a:?}"),
        };
        let cases = [
            (
                "/nonexistent ROOT/mnt",
                "/nonexistent: No such file or directory",
            ),
            (
                "tmpfs ROOT/mnt",
                "tmpfs: can't find the filesystem type, use -t",
            ),
            ("ROOT ROOT/mnt", "ROOT: Block device required"),
            (
                "-t tmpfs none ROOT/nope",
                "ROOT/nope: mount point does not exist",
            ),
            (
                "ROOT/mnt",
                "ROOT/mnt: can't find in /etc/fstab, give SOURCE and TARGET",
            ),
            ("-o remount,ro ROOT", "ROOT: not mounted"),
        ];
        for (line, want) in cases {
            assert_eq!(plan_err(line), want, "{line}");
        }
        fs::write(root.join("junk.img"), b"junk").expect("write");
        let exec_cases = [
            (
                "-t ext9 /dev/vda ROOT/mnt",
                "ext9",
                Errno::ENODEV,
                "ext9: unknown filesystem type",
            ),
            (
                "-t ext4 /dev/vda ROOT/mnt",
                "ext4",
                Errno::ENXIO,
                "/dev/vda: No such device or address",
            ),
            (
                "-t ext4 /dev/vda ROOT/mnt",
                "ext4",
                Errno::EINVAL,
                "/dev/vda: wrong fs type, bad option or bad superblock",
            ),
            (
                "-t tmpfs tmpfs ROOT/mnt",
                "tmpfs",
                Errno::EBUSY,
                "ROOT/mnt: Device or resource busy",
            ),
            // An image file is named as given, not as the loop device it went through.
            (
                "-t ext4 ROOT/junk.img ROOT/mnt",
                "ext4",
                Errno::EINVAL,
                "ROOT/junk.img: wrong fs type, bad option or bad superblock",
            ),
        ];
        for (line, fstype, errno, want) in exec_cases {
            let p = mount_plan(root, line);
            let got = execute(&p, &mut RecordingSys::new(&[(fstype, errno)]));
            let got = got.map_err(|e| e.to_string().replace(&r, "ROOT"));
            assert_eq!(got, Err(want.to_string()), "{line}");
        }
    }

    #[test]
    fn listing_like_util_linux() {
        let dir = fake_root();
        let root = dir.path();
        let mnt = root.join("mnt").display().to_string();
        let mut out = Vec::new();
        list(root, None, &mut out).expect("list");
        assert_eq!(
            String::from_utf8_lossy(&out),
            format!(
                "proc on /proc type proc (rw,nosuid,nodev,noexec,relatime)\n\
                 /dev/vda on {mnt} type ext4 (rw,nosuid,relatime,errors=remount-ro)\n\
                 my disk on /media/a b type vfat (ro,relatime,fmask=0022)\n"
            )
        );
        let mut out = Vec::new();
        list(root, Some("vfat,proc"), &mut out).expect("list");
        assert_eq!(String::from_utf8_lossy(&out).lines().count(), 2);
        assert_eq!(
            plan_of(root, "-t proc").ok(),
            Some(Action::List(Some("proc".into())))
        );
    }
}
