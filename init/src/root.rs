//! The root disk: which device the command line names, waiting for it to appear, mounting it
//! at `/mnt` with the kernel's API filesystems inside so a process chrooted there sees a whole
//! system, switching root to it when the disk brings its own init, and unmounting it cleanly
//! at shutdown.
//!
//! Parameters follow the kernel's (Documentation/admin-guide/kernel-parameters.txt and
//! init/do_mounts.c): `root=/dev/vda | UUID= | LABEL= | PARTUUID= | PARTLABEL= | MAJ:MIN`,
//! `rootfstype=` (a comma list, tried in order), `rootflags=`, `ro`/`rw`, `rootwait`,
//! `rootdelay=`. Differences, because an initramfs init mounts the root and not the kernel:
//! - read-write by default: a container disk is the container's writable layer, and nothing
//!   later remounts it read-write as a distribution's boot scripts would after fsck; `ro`
//!   still asks for read-only;
//! - the device is always waited for (devices appear while modules load), at most 30 s, or
//!   `rootwait=N` seconds; `rootdelay=N` adds N seconds to that bound instead of sleeping;
//! - the wait is on kernel uevents (a NETLINK_KOBJECT_UEVENT socket), re-checking
//!   `/sys/class/block` and `/dev` (devtmpfs makes the node before the uevent is sent) after
//!   each block event and every second; polling every 100 ms only when the socket fails;
//! - `PARTUUID=`/`PARTLABEL=` are read from the partition's uevent when the kernel puts them
//!   there, else from the disk's GPT (or the MBR signature, `SSSSSSSS-PP`); `/PARTNROFF=` is
//!   not supported.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use thiserror::Error;

use crate::cmdline::KernelCmdline;
use crate::container::CONFIG_PATH;
use crate::fstype::{self, FsTypeError};
use crate::log::Log;
use crate::mountopt::MountOptions;
use crate::mounts::{is_mounted, MountEntry};
use crate::sys::System;

/// Where the root disk is mounted.
pub const MOUNT_POINT: &str = "/mnt";
/// How long to wait for the root device without `rootwait=N`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Look again this often even without a uevent (one may have been missed before the
/// socket was open, or a slow partition scan).
pub const RECHECK: Duration = Duration::from_secs(1);
/// The fallback when no uevent socket can be had.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// `rootdelay=` and `rootwait=` are capped here: a typo must not hang the boot for days.
pub const MAX_WAIT: Duration = Duration::from_secs(600);

#[derive(Debug, Error)]
pub enum RootError {
    #[error("root: {param}={value}: {reason}")]
    Param {
        param: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("root: {device}: not found after {secs} s")]
    NotFound { device: String, secs: u64 },
    #[error("root: {0}")]
    Probe(#[from] FsTypeError),
    #[error("root: {}: unknown filesystem type", device.display())]
    UnknownFs { device: PathBuf },
    #[error("root: mkdir {}: {}", path.display(), errno.desc())]
    Mkdir { path: PathBuf, errno: Errno },
    #[error("root: mount {} on {} ({fstype}): {}", device.display(), target.display(), errno.desc())]
    Mount {
        device: PathBuf,
        target: PathBuf,
        fstype: String,
        errno: Errno,
    },
    #[error("root: {}: not a directory, not mounting over it", path.display())]
    NotDir { path: PathBuf },
    #[error("root: move {} to {}: {}", from.display(), to.display(), errno.desc())]
    Move {
        from: PathBuf,
        to: PathBuf,
        errno: Errno,
    },
    #[error("root: chdir {}: {}", path.display(), errno.desc())]
    Chdir { path: PathBuf, errno: Errno },
    #[error("root: chroot {}: {}", path.display(), errno.desc())]
    Chroot { path: PathBuf, errno: Errno },
    #[error("root: {}: no such init on the root disk", path.display())]
    NoInit { path: PathBuf },
    #[error("root: exec {}: {}", program.display(), errno.desc())]
    Exec { program: PathBuf, errno: Errno },
}

/// What `root=` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootDevice {
    /// `/dev/vda`.
    Path(PathBuf),
    Uuid(String),
    Label(String),
    PartUuid(String),
    PartLabel(String),
    /// `MAJ:MIN`, looked up in `/sys/dev/block`.
    Number(u32, u32),
}

impl fmt::Display for RootDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootDevice::Path(p) => write!(f, "{}", p.display()),
            RootDevice::Uuid(u) => write!(f, "UUID={u}"),
            RootDevice::Label(l) => write!(f, "LABEL={l}"),
            RootDevice::PartUuid(u) => write!(f, "PARTUUID={u}"),
            RootDevice::PartLabel(l) => write!(f, "PARTLABEL={l}"),
            RootDevice::Number(ma, mi) => write!(f, "{ma}:{mi}"),
        }
    }
}

impl RootDevice {
    /// A `root=` value. udev's `/dev/disk/by-*` links do not exist without udev, so they are
    /// read as the tags they stand for.
    pub fn parse(value: &str) -> Option<RootDevice> {
        type Make = fn(String) -> RootDevice;
        const PREFIXES: &[(&str, Make)] = &[
            ("UUID=", RootDevice::Uuid),
            ("LABEL=", RootDevice::Label),
            ("PARTUUID=", RootDevice::PartUuid),
            ("PARTLABEL=", RootDevice::PartLabel),
            ("/dev/disk/by-uuid/", RootDevice::Uuid),
            ("/dev/disk/by-label/", RootDevice::Label),
            ("/dev/disk/by-partuuid/", RootDevice::PartUuid),
            ("/dev/disk/by-partlabel/", RootDevice::PartLabel),
        ];
        for (prefix, make) in PREFIXES {
            if let Some(rest) = value.strip_prefix(prefix) {
                return (!rest.is_empty()).then(|| make(rest.to_string()));
            }
        }
        if let Some((ma, mi)) = value.split_once(':') {
            if let (Ok(ma), Ok(mi)) = (ma.parse(), mi.parse()) {
                return Some(RootDevice::Number(ma, mi));
            }
        }
        value
            .starts_with('/')
            .then(|| RootDevice::Path(PathBuf::from(value)))
    }
}

/// The root disk as the command line describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootSpec {
    pub device: RootDevice,
    /// `rootfstype=`; empty: read the superblock.
    pub fstypes: Vec<String>,
    /// `rootflags=` with `ro`/`rw` applied.
    pub options: MountOptions,
    /// How long to wait for the device.
    pub timeout: Duration,
    /// Parameters that were ignored, for the log.
    pub warnings: Vec<String>,
}

fn seconds(
    cmdline: &KernelCmdline,
    param: &'static str,
    warnings: &mut Vec<String>,
) -> Option<Duration> {
    let value = cmdline.get(param)?;
    match value.parse::<u64>() {
        Ok(n) => Some(Duration::from_secs(n).min(MAX_WAIT)),
        Err(_) => {
            warnings.push(format!("{param}={value}: not a number of seconds, ignored"));
            None
        }
    }
}

impl RootSpec {
    /// `None` when there is no `root=` (the machine runs from the initramfs alone).
    pub fn from_cmdline(cmdline: &KernelCmdline) -> Result<Option<RootSpec>, RootError> {
        let Some(value) = cmdline.get("root") else {
            return Ok(None);
        };
        let device = RootDevice::parse(value).ok_or_else(|| RootError::Param {
            param: "root",
            value: value.to_string(),
            reason: "expected /dev/NAME, UUID=, LABEL=, PARTUUID=, PARTLABEL= or MAJ:MIN",
        })?;
        let mut warnings = Vec::new();
        let mut options = MountOptions::parse(cmdline.get("rootflags").unwrap_or(""));
        // The last of `ro` and `rw` wins, as in the kernel.
        for p in cmdline.params().iter().filter(|p| p.value.is_none()) {
            match p.key.as_str() {
                "ro" => options.flags |= MsFlags::MS_RDONLY,
                "rw" => options.flags &= !MsFlags::MS_RDONLY,
                _ => {}
            }
        }
        let wait = seconds(cmdline, "rootwait", &mut warnings).unwrap_or(DEFAULT_TIMEOUT);
        let delay = seconds(cmdline, "rootdelay", &mut warnings).unwrap_or(Duration::ZERO);
        let fstypes = cmdline
            .get("rootfstype")
            .unwrap_or("")
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        Ok(Some(RootSpec {
            device,
            fstypes,
            options,
            timeout: (wait + delay).min(MAX_WAIT),
            warnings,
        }))
    }
}

fn read_text(path: &Path) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// `KEY=value` from a sysfs `uevent` file's text.
fn uevent_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

/// The block devices under `root/sys/class/block`, in name order.
fn block_names(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("sys/class/block"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A GPT GUID as text: the first three fields are little-endian (UEFI spec appendix A).
fn guid(b: &[u8]) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_le_bytes([b[4], b[5]]),
        u16::from_le_bytes([b[6], b[7]]),
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    )
}

fn read_at<R: Read + Seek>(dev: &mut R, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    dev.seek(SeekFrom::Start(offset))?;
    dev.read_exact(buf)
}

/// A partition's PARTUUID and PARTLABEL (GPT only).
pub type PartitionIds = (String, Option<String>);

/// The PARTUUID and PARTLABEL of partition `partno` (1-based) of a disk, as the kernel
/// reports them: from the GPT (UEFI spec §5.3) at LBA 1 for 512- or 4096-byte sectors, else
/// from the MBR's disk signature (`%08x-%02x`, block/partitions/msdos.c).
pub fn partition_ids<R: Read + Seek>(dev: &mut R, partno: u32) -> io::Result<Option<PartitionIds>> {
    if partno == 0 {
        return Ok(None);
    }
    for sector in [512u64, 4096] {
        let mut header = [0u8; 92];
        if read_at(dev, sector, &mut header).is_err() || &header[..8] != b"EFI PART" {
            continue;
        }
        let le32 =
            |o: usize| u32::from_le_bytes([header[o], header[o + 1], header[o + 2], header[o + 3]]);
        let entries_lba = u64::from_le_bytes(header[72..80].try_into().unwrap_or_default());
        let (count, size) = (le32(80), le32(84));
        if partno > count || !(128..=4096).contains(&size) {
            return Ok(None);
        }
        let mut entry = [0u8; 128];
        let offset = entries_lba
            .checked_mul(sector)
            .and_then(|o| o.checked_add(u64::from(partno - 1) * u64::from(size)));
        let Some(offset) = offset else {
            return Ok(None);
        };
        read_at(dev, offset, &mut entry)?;
        if entry[..16].iter().all(|&b| b == 0) {
            return Ok(None);
        }
        let name: Vec<u16> = entry[56..128]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&c| c != 0)
            .collect();
        let name = String::from_utf16_lossy(&name);
        return Ok(Some((
            guid(&entry[16..32]),
            (!name.is_empty()).then_some(name),
        )));
    }
    let mut mbr = [0u8; 512];
    read_at(dev, 0, &mut mbr)?;
    if mbr[510..512] != [0x55, 0xAA] {
        return Ok(None);
    }
    let signature = u32::from_le_bytes([mbr[440], mbr[441], mbr[442], mbr[443]]);
    Ok(Some((format!("{signature:08x}-{partno:02x}"), None)))
}

/// PARTUUID/PARTLABEL of the block device `name`: from its uevent, else its disk's table.
fn partition_tags(root: &Path, name: &str) -> Option<PartitionIds> {
    let dir = root.join("sys/class/block").join(name);
    let uevent = read_text(&dir.join("uevent")).unwrap_or_default();
    let label = uevent_value(&uevent, "PARTNAME").map(str::to_string);
    if let Some(u) = uevent_value(&uevent, "PARTUUID") {
        return Some((u.to_string(), label));
    }
    let partno: u32 = read_text(&dir.join("partition"))?.trim().parse().ok()?;
    // /sys/class/block/vda1 -> ../../devices/.../block/vda/vda1: the parent is the disk.
    let real = std::fs::canonicalize(&dir).ok()?;
    let disk = real.parent()?.file_name()?;
    let mut dev = File::open(root.join("dev").join(disk)).ok()?;
    partition_ids(&mut dev, partno).ok().flatten()
}

/// The device node `device` names under `root`, if it is there now.
pub fn find_device(root: &Path, device: &RootDevice) -> Option<PathBuf> {
    let under_root = |p: &Path| root.join(p.strip_prefix("/").unwrap_or(p));
    match device {
        RootDevice::Path(p) => Some(under_root(p)).filter(|p| p.exists()),
        RootDevice::Uuid(u) => fstype::find_by_tag(root, &format!("UUID={u}")),
        RootDevice::Label(l) => fstype::find_by_tag(root, &format!("LABEL={l}")),
        RootDevice::Number(ma, mi) => {
            let uevent = read_text(&root.join(format!("sys/dev/block/{ma}:{mi}/uevent")))?;
            let name = uevent_value(&uevent, "DEVNAME")?;
            Some(root.join("dev").join(name)).filter(|p| p.exists())
        }
        RootDevice::PartUuid(want) | RootDevice::PartLabel(want) => {
            let by_uuid = matches!(device, RootDevice::PartUuid(_));
            block_names(root).into_iter().find_map(|name| {
                let (uuid, label) = partition_tags(root, &name)?;
                let hit = if by_uuid {
                    uuid.eq_ignore_ascii_case(want)
                } else {
                    label.as_deref() == Some(want.as_str())
                };
                let node = root.join("dev").join(&name);
                (hit && node.exists()).then_some(node)
            })
        }
    }
}

/// Something that wakes the device wait when block devices may have changed.
pub trait DeviceEvents {
    /// Wait at most `timeout`; true when a block device was added or changed.
    fn wait(&mut self, timeout: Duration) -> bool;
}

/// One kernel uevent: `ACTION@DEVPATH\0KEY=VALUE\0…` (lib/kobject_uevent.c).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Uevent {
    pub action: String,
    pub subsystem: String,
    pub devname: String,
}

impl Uevent {
    pub fn parse(msg: &[u8]) -> Option<Uevent> {
        let mut fields = msg.split(|&b| b == 0).map(String::from_utf8_lossy);
        let head = fields.next()?;
        let (action, _) = head.split_once('@')?;
        let mut ev = Uevent {
            action: action.to_string(),
            ..Uevent::default()
        };
        for f in fields {
            if let Some((k, v)) = f.split_once('=') {
                match k {
                    "SUBSYSTEM" => ev.subsystem = v.to_string(),
                    "DEVNAME" => ev.devname = v.to_string(),
                    _ => {}
                }
            }
        }
        Some(ev)
    }

    /// Whether it may have made the root device appear.
    pub fn is_block_arrival(&self) -> bool {
        self.subsystem == "block" && matches!(self.action.as_str(), "add" | "change" | "move")
    }
}

/// The kernel's uevent multicast group, read without udev.
pub struct UeventSocket {
    fd: OwnedFd,
}

impl UeventSocket {
    pub fn open() -> Result<UeventSocket, Errno> {
        use nix::sys::socket::{
            bind, setsockopt, socket, sockopt, AddressFamily, NetlinkAddr, SockFlag, SockProtocol,
            SockType,
        };
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Datagram,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
            SockProtocol::NetlinkKObjectUEvent,
        )?;
        // A burst of coldplug events must not overflow the default buffer (we only need to
        // know that something happened, but a full queue drops the interesting one too).
        let _ = setsockopt(&fd, sockopt::RcvBuf, &(1 << 20));
        bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 1))?;
        Ok(UeventSocket { fd })
    }
}

impl DeviceEvents for UeventSocket {
    fn wait(&mut self, timeout: Duration) -> bool {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let ms = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) => return false,
            Ok(_) => {}
            Err(_) => return true,
        }
        let mut seen = false;
        let mut buf = vec![0u8; 8192];
        loop {
            match nix::sys::socket::recv(
                self.fd.as_raw_fd(),
                &mut buf,
                nix::sys::socket::MsgFlags::MSG_DONTWAIT,
            ) {
                Ok(0) | Err(Errno::EAGAIN) => return seen,
                Ok(n) => {
                    seen |= Uevent::parse(&buf[..n]).is_some_and(|e| e.is_block_arrival());
                }
                Err(Errno::EINTR) => {}
                // ENOBUFS: events were lost, any of them may be ours.
                Err(_) => return true,
            }
        }
    }
}

/// The fallback without a uevent socket: look again every [`POLL_INTERVAL`].
pub struct Polling;

impl DeviceEvents for Polling {
    fn wait(&mut self, timeout: Duration) -> bool {
        std::thread::sleep(timeout.min(POLL_INTERVAL));
        true
    }
}

/// The uevent socket, or [`Polling`] with a warning when it cannot be opened. Open it before
/// the first look so no event in between is lost.
pub fn device_events(log: &mut Log) -> Box<dyn DeviceEvents> {
    match UeventSocket::open() {
        Ok(s) => Box::new(s),
        Err(e) => {
            log.warn(format_args!("uevent socket: {}, polling instead", e.desc()));
            Box::new(Polling)
        }
    }
}

/// Wait until the device the spec names is there, at most `spec.timeout`.
pub fn wait_for_device(
    root: &Path,
    spec: &RootSpec,
    events: &mut dyn DeviceEvents,
    log: &mut Log,
) -> Result<PathBuf, RootError> {
    let start = Instant::now();
    let deadline = start.checked_add(spec.timeout).unwrap_or(start);
    let mut waiting = false;
    loop {
        if let Some(node) = find_device(root, &spec.device) {
            if waiting {
                let ms = start.elapsed().as_millis();
                log.info(format_args!(
                    "root: {} is {} after {ms} ms",
                    spec.device,
                    node.display()
                ));
            }
            return Ok(node);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(RootError::NotFound {
                device: spec.device.to_string(),
                secs: spec.timeout.as_secs(),
            });
        }
        if !waiting {
            let secs = spec.timeout.as_secs();
            log.info(format_args!(
                "root: waiting up to {secs} s for {}",
                spec.device
            ));
            waiting = true;
        }
        events.wait(left.min(RECHECK));
    }
}

/// The whole root step of boot: `root=` and friends from `cmdline`, wait for the device
/// (with `events`, see [`device_events`]), mount it at `target`. `Ok(None)` when there is no
/// `root=`; ignored parameters are logged. Returns the device mounted.
pub fn mount_from_cmdline(
    sys: &mut dyn System,
    log: &mut Log,
    root: &Path,
    cmdline: &KernelCmdline,
    events: &mut dyn DeviceEvents,
    target: &Path,
) -> Result<Option<PathBuf>, RootError> {
    let Some(spec) = RootSpec::from_cmdline(cmdline)? else {
        return Ok(None);
    };
    for w in &spec.warnings {
        log.warn(format_args!("root: {w}"));
    }
    let device = wait_for_device(root, &spec, events, log)?;
    mount_root(sys, log, root, &device, &spec, target)?;
    Ok(Some(device))
}

/// Block filesystems the kernel knows (`/proc/filesystems` lines without `nodev`), tried in
/// turn when the superblock names none, as the kernel's own mount_block_root does.
fn kernel_filesystems(root: &Path) -> Vec<String> {
    read_text(&root.join("proc/filesystems"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with("nodev"))
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Mount `device` at `target` as the spec says; returns the filesystem type that worked.
/// Without `rootfstype=` the type comes from the superblock. A device that refuses writes
/// (EACCES, EROFS) is mounted read-only instead, with a warning, as the kernel does.
pub fn mount_root(
    sys: &mut dyn System,
    log: &mut Log,
    root: &Path,
    device: &Path,
    spec: &RootSpec,
    target: &Path,
) -> Result<String, RootError> {
    let types = if !spec.fstypes.is_empty() {
        spec.fstypes.clone()
    } else {
        match fstype::probe_path(device)? {
            Some(p) if p.fstype != "swap" && p.fstype != "jbd" => vec![p.fstype.to_string()],
            Some(_) => Vec::new(),
            None => kernel_filesystems(root),
        }
    };
    if types.is_empty() {
        return Err(RootError::UnknownFs {
            device: device.to_path_buf(),
        });
    }
    sys.mkdir_p(target).map_err(|errno| RootError::Mkdir {
        path: target.to_path_buf(),
        errno,
    })?;
    let source = device.to_string_lossy();
    let mut flags = spec.options.flags;
    let mut last = (types[0].clone(), Errno::EINVAL);
    let mut i = 0;
    while i < types.len() {
        let t = &types[i];
        match sys.mount(&source, target, t, flags, &spec.options.data) {
            Ok(()) => {
                let how = if flags.contains(MsFlags::MS_RDONLY) {
                    "ro"
                } else {
                    "rw"
                };
                log.info(format_args!(
                    "mounted {source} on {} ({t}, {how})",
                    target.display()
                ));
                return Ok(t.clone());
            }
            Err(e @ (Errno::EACCES | Errno::EROFS)) if !flags.contains(MsFlags::MS_RDONLY) => {
                log.warn(format_args!(
                    "root: {source}: {}, mounting read-only",
                    e.desc()
                ));
                flags |= MsFlags::MS_RDONLY;
            }
            Err(e) => {
                last = (t.clone(), e);
                i += 1;
            }
        }
    }
    Err(RootError::Mount {
        device: device.to_path_buf(),
        target: target.to_path_buf(),
        fstype: last.0,
        errno: last.1,
    })
}

/// One mount inside the root for the chrooted process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChrootMount {
    pub source: &'static str,
    /// Relative to the root.
    pub target: &'static str,
    pub fstype: &'static str,
    pub flags: MsFlags,
    pub data: &'static str,
}

const REC_BIND: MsFlags = MsFlags::MS_BIND.union(MsFlags::MS_REC);

/// What the chrooted process sees. `/dev` is init's, bound recursively: `/dev/pts` is the same
/// devpts instance, so ptys opened by the console shell and by the container are one set,
/// and `/dev/shm` is shared. `/proc` is a fresh mount (same pid namespace, same view), `/sys`
/// init's, bound with whatever is mounted below it. `/run` is a fresh tmpfs seeded with the
/// image's own `/run` (see [`RunSeed`]), so each boot starts from the image's state as
/// `docker run` does, with no stale pid files.
pub const CHROOT_MOUNTS: &[ChrootMount] = &[
    ChrootMount {
        source: "/dev",
        target: "dev",
        fstype: "",
        flags: REC_BIND,
        data: "",
    },
    ChrootMount {
        source: "proc",
        target: "proc",
        fstype: "proc",
        flags: MsFlags::MS_NOSUID
            .union(MsFlags::MS_NODEV)
            .union(MsFlags::MS_NOEXEC),
        data: "",
    },
    ChrootMount {
        source: "/sys",
        target: "sys",
        fstype: "",
        flags: REC_BIND,
        data: "",
    },
    ChrootMount {
        source: "run",
        target: "run",
        fstype: "tmpfs",
        flags: MsFlags::MS_NOSUID.union(MsFlags::MS_NODEV),
        data: "mode=0755",
    },
];

/// The image's `/run` read before the tmpfs hides it: directories, symlinks and small files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSeed {
    entries: Vec<SeedEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SeedEntry {
    path: PathBuf,
    mode: u32,
    uid: u32,
    gid: u32,
    kind: SeedKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SeedKind {
    Dir,
    Symlink(PathBuf),
    File(Vec<u8>),
}

/// More than this in an image's /run is not seeded (it is runtime state, normally empty).
const SEED_MAX_ENTRIES: usize = 512;
const SEED_MAX_FILE: u64 = 64 * 1024;

impl RunSeed {
    /// Read the tree under `dir` (not following symlinks); unreadable parts are skipped.
    pub fn read(dir: &Path) -> RunSeed {
        let mut seed = RunSeed::default();
        seed.walk(dir, Path::new(""));
        seed
    }

    fn walk(&mut self, base: &Path, rel: &Path) {
        let Ok(read) = std::fs::read_dir(base.join(rel)) else {
            return;
        };
        let mut names: Vec<_> = read.flatten().map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            if self.entries.len() >= SEED_MAX_ENTRIES {
                return;
            }
            let path = rel.join(&name);
            let full = base.join(&path);
            let Ok(meta) = std::fs::symlink_metadata(&full) else {
                continue;
            };
            let kind = if meta.is_dir() {
                SeedKind::Dir
            } else if meta.file_type().is_symlink() {
                match std::fs::read_link(&full) {
                    Ok(t) => SeedKind::Symlink(t),
                    Err(_) => continue,
                }
            } else if meta.is_file() && meta.len() <= SEED_MAX_FILE {
                match std::fs::read(&full) {
                    Ok(data) => SeedKind::File(data),
                    Err(_) => continue,
                }
            } else {
                continue;
            };
            let is_dir = kind == SeedKind::Dir;
            self.entries.push(SeedEntry {
                path: path.clone(),
                mode: meta.mode() & 0o7777,
                uid: meta.uid(),
                gid: meta.gid(),
                kind,
            });
            if is_dir {
                self.walk(base, &path);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Recreate the tree under `dir`; returns how many entries failed.
    pub fn write(&self, dir: &Path) -> usize {
        use std::os::unix::fs::{lchown, PermissionsExt};
        let mut failed = 0;
        for e in &self.entries {
            let full = dir.join(&e.path);
            let made = match &e.kind {
                SeedKind::Dir => std::fs::create_dir(&full),
                SeedKind::Symlink(t) => std::os::unix::fs::symlink(t, &full),
                SeedKind::File(data) => std::fs::write(&full, data),
            };
            let owned = made.and_then(|()| lchown(&full, Some(e.uid), Some(e.gid)));
            let moded = owned.and_then(|()| match e.kind {
                SeedKind::Symlink(_) => Ok(()),
                _ => std::fs::set_permissions(&full, std::fs::Permissions::from_mode(e.mode)),
            });
            if moded.is_err() {
                failed += 1;
            }
        }
        failed
    }
}

/// Mount [`CHROOT_MOUNTS`] inside `target` (the mounted disk), skipping what `mounted` (the
/// current mount table) already has. A mount point that is a symlink is refused: the image
/// must not redirect a mount onto init's own tree. Failures are logged; returns how many.
pub fn prepare_chroot(
    sys: &mut dyn System,
    log: &mut Log,
    target: &Path,
    mounted: &[MountEntry],
) -> usize {
    let mut failed = 0;
    for m in CHROOT_MOUNTS {
        let path = target.join(m.target);
        if is_mounted(mounted, &path.to_string_lossy()) {
            log.info(format_args!("{} already mounted", path.display()));
            continue;
        }
        let result = mount_inside(sys, m, &path);
        match result {
            Ok(()) => log.info(format_args!("mounted {}", path.display())),
            Err(e) => {
                failed += 1;
                log.error(e);
            }
        }
    }
    failed
}

fn mount_inside(sys: &mut dyn System, m: &ChrootMount, path: &Path) -> Result<(), RootError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_dir() => {
            return Err(RootError::NotDir {
                path: path.to_path_buf(),
            })
        }
        Ok(_) => {}
        Err(_) => sys.mkdir_p(path).map_err(|errno| RootError::Mkdir {
            path: path.to_path_buf(),
            errno,
        })?,
    }
    let seed = (m.target == "run").then(|| RunSeed::read(path));
    sys.mount(m.source, path, m.fstype, m.flags, m.data)
        .map_err(|errno| RootError::Mount {
            device: PathBuf::from(m.source),
            target: path.to_path_buf(),
            fstype: if m.fstype.is_empty() {
                "bind"
            } else {
                m.fstype
            }
            .to_string(),
            errno,
        })?;
    if let Some(seed) = seed.filter(|s| !s.is_empty()) {
        let _ = seed.write(path);
    }
    Ok(())
}

/// What to do with the mounted disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootMode {
    /// Run the image's entrypoint chrooted there, init and its shell staying in the initramfs.
    Container,
    /// Hand the machine to the disk's own init (this path, inside the disk).
    SwitchRoot(PathBuf),
}

/// `rroot.switch_root` on the command line, or a disk with an init and no image config,
/// switches root; everything else is a container. The init is `init=` or `/sbin/init`.
pub fn choose_mode(cmdline: &KernelCmdline, new_root: &Path) -> RootMode {
    let init = PathBuf::from(
        cmdline
            .get("init")
            .filter(|i| i.starts_with('/'))
            .unwrap_or("/sbin/init"),
    );
    let forced = cmdline.flag("rroot.switch_root")
        || matches!(cmdline.get("rroot.switch_root"), Some("1" | "yes" | "true"));
    let inside = new_root.join(init.strip_prefix("/").unwrap_or(&init));
    // An init is often an absolute symlink (/lib/systemd/systemd): look at the link itself.
    let has_init = std::fs::symlink_metadata(&inside).is_ok();
    let has_config = new_root.join(CONFIG_PATH).exists();
    if forced || (has_init && !has_config) {
        RootMode::SwitchRoot(init)
    } else {
        RootMode::Container
    }
}

/// chdir, chroot and exec for [`switch_root`]: what [`System`] does not cover.
pub trait Pivot {
    fn chdir(&mut self, path: &Path) -> Result<(), Errno>;
    fn chroot(&mut self, path: &Path) -> Result<(), Errno>;
    /// execv(2) with the current environment, signals reset first; returns only on failure.
    fn exec(&mut self, program: &Path, argv: &[String]) -> Errno;
}

/// The running process.
pub struct RealPivot;

impl Pivot for RealPivot {
    fn chdir(&mut self, path: &Path) -> Result<(), Errno> {
        nix::unistd::chdir(path)
    }

    fn chroot(&mut self, path: &Path) -> Result<(), Errno> {
        nix::unistd::chroot(path)
    }

    fn exec(&mut self, program: &Path, argv: &[String]) -> Errno {
        use std::os::unix::ffi::OsStrExt;
        let c = |b: &[u8]| std::ffi::CString::new(b).map_err(|_| Errno::EINVAL);
        let program = match c(program.as_os_str().as_bytes()) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let argv: Result<Vec<_>, _> = argv.iter().map(|a| c(a.as_bytes())).collect();
        let argv = match argv {
            Ok(a) => a,
            Err(e) => return e,
        };
        crate::console::reset_signals();
        match nix::unistd::execv(&program, &argv) {
            Ok(never) => match never {},
            Err(e) => e,
        }
    }
}

/// A fake recording `chdir PATH`, `chroot PATH`, `exec PROGRAM ARGS…`; exec answers ENOSYS.
#[derive(Debug, Default)]
pub struct RecordingPivot {
    pub calls: Vec<String>,
}

impl Pivot for RecordingPivot {
    fn chdir(&mut self, path: &Path) -> Result<(), Errno> {
        self.calls.push(format!("chdir {}", path.display()));
        Ok(())
    }

    fn chroot(&mut self, path: &Path) -> Result<(), Errno> {
        self.calls.push(format!("chroot {}", path.display()));
        Ok(())
    }

    fn exec(&mut self, program: &Path, argv: &[String]) -> Errno {
        self.calls
            .push(format!("exec {} {}", program.display(), argv.join(" ")));
        Errno::ENOSYS
    }
}

/// The API filesystems moved into the new root by [`switch_root`].
pub const MOVED_MOUNTS: &[&str] = &["/dev", "/proc", "/sys", "/run"];

/// Classic switch_root (util-linux switch_root(8)): move /dev, /proc, /sys and /run into
/// `new_root` (a missing directory there detaches the mount instead), make `new_root` the
/// root (`mount --move . /`, chroot), and exec its `init` with `args`. Must run in PID 1 with
/// no other process depending on the initramfs. The initramfs's files are left in memory
/// (not deleted). Returns only on failure.
pub fn switch_root(
    sys: &mut dyn System,
    pivot: &mut dyn Pivot,
    log: &mut Log,
    new_root: &Path,
    init: &Path,
    args: &[String],
) -> RootError {
    let inside = new_root.join(init.strip_prefix("/").unwrap_or(init));
    if std::fs::symlink_metadata(&inside).is_err() {
        return RootError::NoInit {
            path: init.to_path_buf(),
        };
    }
    for m in MOVED_MOUNTS {
        let from = Path::new(m);
        let to = new_root.join(&m[1..]);
        let is_dir = std::fs::symlink_metadata(&to).is_ok_and(|md| md.is_dir());
        let moved = if is_dir {
            sys.mount(m, &to, "", MsFlags::MS_MOVE, "")
        } else {
            Err(Errno::ENOENT)
        };
        if let Err(e) = moved {
            log.warn(format_args!(
                "switch_root: move {m} to {}: {}, detaching it",
                to.display(),
                e.desc()
            ));
            let _ = sys.umount(from, MntFlags::MNT_DETACH);
        }
    }
    if let Err(errno) = pivot.chdir(new_root) {
        return RootError::Chdir {
            path: new_root.to_path_buf(),
            errno,
        };
    }
    if let Err(errno) = sys.mount(
        &new_root.to_string_lossy(),
        Path::new("/"),
        "",
        MsFlags::MS_MOVE,
        "",
    ) {
        return RootError::Move {
            from: new_root.to_path_buf(),
            to: PathBuf::from("/"),
            errno,
        };
    }
    if let Err(errno) = pivot.chroot(Path::new(".")) {
        return RootError::Chroot {
            path: new_root.to_path_buf(),
            errno,
        };
    }
    if let Err(errno) = pivot.chdir(Path::new("/")) {
        return RootError::Chdir {
            path: PathBuf::from("/"),
            errno,
        };
    }
    let mut argv = vec![init.to_string_lossy().into_owned()];
    argv.extend(args.iter().cloned());
    log.info(format_args!("switch_root: exec {}", init.display()));
    RootError::Exec {
        program: init.to_path_buf(),
        errno: pivot.exec(init, &argv),
    }
}

/// The mounts at or under `target`, innermost (latest) first.
pub fn root_unmount_plan(mounts: &[MountEntry], target: &Path) -> Vec<PathBuf> {
    mounts
        .iter()
        .rev()
        .filter(|m| m.target.starts_with(target))
        .map(|m| m.target.clone())
        .collect()
}

/// Unmount the root disk: its submounts first (detached if busy: they are init's /dev and
/// /sys, or tmpfs, with nothing to flush), then the disk itself; if that is busy, remount it
/// read-only, which flushes the journal and marks the filesystem clean, then detach it.
/// `mounts` is the current mount table. Returns whether the disk ended unmounted or
/// read-only (no journal recovery on the next boot). Call after the processes are gone and
/// `sync`.
pub fn unmount_root(
    sys: &mut dyn System,
    log: &mut Log,
    mounts: &[MountEntry],
    target: &Path,
) -> bool {
    let mut clean = true;
    for path in root_unmount_plan(mounts, target) {
        let p = path.display();
        match sys.umount(&path, MntFlags::empty()) {
            Ok(()) => log.info(format_args!("unmounted {p}")),
            Err(e) if path != target => {
                log.warn(format_args!("{p}: {}, detaching", e.desc()));
                let _ = sys.umount(&path, MntFlags::MNT_DETACH);
            }
            Err(e) => {
                let ro = MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
                match sys.mount("", &path, "", ro, "") {
                    Ok(()) => log.warn(format_args!("{p}: {}, remounted read-only", e.desc())),
                    Err(e2) => {
                        clean = false;
                        log.error(format_args!(
                            "{p}: {}, remount read-only: {}",
                            e.desc(),
                            e2.desc()
                        ));
                    }
                }
                let _ = sys.umount(&path, MntFlags::MNT_DETACH);
            }
        }
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mounts::parse_mounts;
    use crate::sys::RecordingSystem;

    fn log() -> Log {
        Log::new(Instant::now(), Box::new(std::io::sink()))
    }

    fn write(path: &Path, data: &[u8]) {
        std::fs::create_dir_all(path.parent().expect("test fixture")).expect("test fixture");
        std::fs::write(path, data).expect("test fixture");
    }

    /// The first bytes of an ext2 filesystem with a UUID and a label: enough for the probe.
    fn ext2_image(uuid: [u8; 16], label: &str) -> Vec<u8> {
        let mut b = vec![0u8; 2048];
        b[1024 + 0x38] = 0x53;
        b[1024 + 0x39] = 0xEF;
        b[1024 + 0x68..1024 + 0x78].copy_from_slice(&uuid);
        b[1024 + 0x78..1024 + 0x78 + label.len()].copy_from_slice(label.as_bytes());
        b
    }

    #[test]
    fn root_device_parse_table() {
        let cases: &[(&str, Option<RootDevice>)] = &[
            ("/dev/vda", Some(RootDevice::Path("/dev/vda".into()))),
            ("UUID=12-ab", Some(RootDevice::Uuid("12-ab".into()))),
            ("LABEL=root fs", Some(RootDevice::Label("root fs".into()))),
            (
                "PARTUUID=0011-02",
                Some(RootDevice::PartUuid("0011-02".into())),
            ),
            (
                "PARTLABEL=rootfs",
                Some(RootDevice::PartLabel("rootfs".into())),
            ),
            ("/dev/disk/by-uuid/ab", Some(RootDevice::Uuid("ab".into()))),
            ("/dev/disk/by-label/x", Some(RootDevice::Label("x".into()))),
            (
                "/dev/disk/by-partuuid/p",
                Some(RootDevice::PartUuid("p".into())),
            ),
            ("254:0", Some(RootDevice::Number(254, 0))),
            ("UUID=", None),
            ("vda", None),
            ("a:b", None),
            ("", None),
        ];
        for (text, want) in cases {
            let got = RootDevice::parse(text);
            assert_eq!(&got, want, "{text}");
            if let Some(d) = got {
                if !text.starts_with("/dev/disk/") {
                    assert_eq!(d.to_string(), *text);
                }
            }
        }
    }

    #[test]
    fn spec_from_cmdline_table() {
        let s = Duration::from_secs;
        // (cmdline, read-only, data, fstypes, timeout, warnings)
        type Case = (
            &'static str,
            bool,
            &'static str,
            &'static [&'static str],
            Duration,
            usize,
        );
        let cases: &[Case] = &[
            ("root=/dev/vda", false, "", &[], s(30), 0),
            ("root=/dev/vda ro", true, "", &[], s(30), 0),
            ("root=/dev/vda ro rw", false, "", &[], s(30), 0),
            ("root=/dev/vda rw ro", true, "", &[], s(30), 0),
            (
                "root=/dev/vda rootflags=ro,noatime,data=journal",
                true,
                "data=journal",
                &[],
                s(30),
                0,
            ),
            ("root=/dev/vda rootflags=ro rw", false, "", &[], s(30), 0),
            (
                "root=/dev/vda rootfstype=ext4",
                false,
                "",
                &["ext4"],
                s(30),
                0,
            ),
            (
                "root=/dev/vda rootfstype=xfs,,ext4",
                false,
                "",
                &["xfs", "ext4"],
                s(30),
                0,
            ),
            ("root=/dev/vda rootwait", false, "", &[], s(30), 0),
            ("root=/dev/vda rootwait=5", false, "", &[], s(5), 0),
            ("root=/dev/vda rootdelay=10", false, "", &[], s(40), 0),
            (
                "root=/dev/vda rootwait=2 rootdelay=3",
                false,
                "",
                &[],
                s(5),
                0,
            ),
            ("root=/dev/vda rootdelay=99999", false, "", &[], MAX_WAIT, 0),
            (
                "root=/dev/vda rootdelay=soon rootwait=x",
                false,
                "",
                &[],
                s(30),
                2,
            ),
        ];
        for (cmdline, ro, data, types, timeout, warnings) in cases {
            let spec = RootSpec::from_cmdline(&KernelCmdline::parse(cmdline))
                .expect(cmdline)
                .expect(cmdline);
            assert_eq!(spec.device, RootDevice::Path("/dev/vda".into()));
            assert_eq!(
                spec.options.flags.contains(MsFlags::MS_RDONLY),
                *ro,
                "{cmdline}"
            );
            assert_eq!(spec.options.data, *data, "{cmdline}");
            assert_eq!(spec.fstypes, *types, "{cmdline}");
            assert_eq!(spec.timeout, *timeout, "{cmdline}");
            assert_eq!(spec.warnings.len(), *warnings, "{cmdline}");
        }
        assert!(RootSpec::from_cmdline(&KernelCmdline::parse("quiet"))
            .expect("test fixture")
            .is_none());
        let e = RootSpec::from_cmdline(&KernelCmdline::parse("root=vda")).expect_err("must fail");
        assert_eq!(
            e.to_string(),
            "root: root=vda: expected /dev/NAME, UUID=, LABEL=, PARTUUID=, PARTLABEL= or MAJ:MIN"
        );
    }

    /// A disk image with a GPT: (disk GUID irrelevant) two entries, the second with a name.
    fn gpt_disk(sector: usize) -> Vec<u8> {
        let mut d = vec![0u8; sector * 40];
        d[510] = 0x55;
        d[511] = 0xAA;
        d[446 + 4] = 0xEE;
        let h = sector;
        d[h..h + 8].copy_from_slice(b"EFI PART");
        d[h + 72..h + 80].copy_from_slice(&2u64.to_le_bytes());
        d[h + 80..h + 84].copy_from_slice(&4u32.to_le_bytes());
        d[h + 84..h + 88].copy_from_slice(&128u32.to_le_bytes());
        for (i, name) in [(0usize, ""), (1, "rootfs")] {
            let e = 2 * sector + i * 128;
            d[e] = 1; // a non-zero type GUID: the entry is used
            let unique: [u8; 16] = [
                0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22,
                0x33, i as u8,
            ];
            d[e + 16..e + 32].copy_from_slice(&unique);
            for (j, c) in name.encode_utf16().enumerate() {
                d[e + 56 + 2 * j..e + 58 + 2 * j].copy_from_slice(&c.to_le_bytes());
            }
        }
        d
    }

    #[test]
    fn partition_ids_table() {
        let mut mbr = vec![0u8; 1024];
        mbr[440..444].copy_from_slice(&0xdeadbeefu32.to_le_bytes());
        mbr[510] = 0x55;
        mbr[511] = 0xAA;
        let some = |u: &str, l: Option<&str>| Some((u.to_string(), l.map(str::to_string)));
        // (disk, partition number, ids)
        let cases: Vec<(Vec<u8>, u32, Option<PartitionIds>)> = vec![
            (
                gpt_disk(512),
                1,
                some("12345678-1234-5678-9abc-def011223300", None),
            ),
            (
                gpt_disk(512),
                2,
                some("12345678-1234-5678-9abc-def011223301", Some("rootfs")),
            ),
            (gpt_disk(512), 3, None),
            (gpt_disk(512), 5, None),
            (
                gpt_disk(4096),
                2,
                some("12345678-1234-5678-9abc-def011223301", Some("rootfs")),
            ),
            (mbr.clone(), 1, some("deadbeef-01", None)),
            (mbr.clone(), 5, some("deadbeef-05", None)),
            (mbr, 0, None),
            (vec![0u8; 1024], 1, None),
        ];
        for (disk, partno, want) in cases {
            let got = partition_ids(&mut io::Cursor::new(disk), partno).expect("test fixture");
            assert_eq!(got, want, "partition {partno}");
        }
    }

    /// A fake machine: /dev nodes as files, /sys/class/block links into /sys/devices.
    fn machine() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("test fixture");
        let r = dir.path();
        write(&r.join("dev/vda"), &gpt_disk(512));
        write(&r.join("dev/vda1"), b"");
        write(&r.join("dev/vda2"), &ext2_image([0xab; 16], "rootfs"));
        write(&r.join("dev/vdb"), b"");
        let devices = r.join("sys/devices/pci0000:00/virtio1/block");
        for (disk, part, partno, uevent) in [
            (
                "vda",
                "",
                "",
                "MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n",
            ),
            (
                "vda",
                "vda1",
                "1",
                "DEVNAME=vda1\nDEVTYPE=partition\nPARTN=1\n",
            ),
            (
                "vda",
                "vda2",
                "2",
                "DEVNAME=vda2\nDEVTYPE=partition\nPARTN=2\nPARTNAME=rootfs\n",
            ),
            ("vdb", "", "", "DEVNAME=vdb\nPARTUUID=feed-01\n"),
        ] {
            let dev_dir = devices.join(disk).join(part);
            write(&dev_dir.join("uevent"), uevent.as_bytes());
            if !partno.is_empty() {
                write(&dev_dir.join("partition"), format!("{partno}\n").as_bytes());
            }
            let name = if part.is_empty() { disk } else { part };
            std::fs::create_dir_all(r.join("sys/class/block")).expect("test fixture");
            std::os::unix::fs::symlink(&dev_dir, r.join("sys/class/block").join(name))
                .expect("test fixture");
        }
        write(
            &r.join("sys/dev/block/254:0/uevent"),
            b"MAJOR=254\nMINOR=0\nDEVNAME=vda\n",
        );
        dir
    }

    #[test]
    fn find_device_table() {
        let dir = machine();
        let r = dir.path();
        let cases: &[(&str, Option<&str>)] = &[
            ("/dev/vda", Some("dev/vda")),
            ("/dev/vdc", None),
            ("254:0", Some("dev/vda")),
            ("254:1", None),
            (
                "PARTUUID=12345678-1234-5678-9ABC-DEF011223301",
                Some("dev/vda2"),
            ),
            (
                "PARTUUID=12345678-1234-5678-9abc-def011223300",
                Some("dev/vda1"),
            ),
            ("PARTUUID=feed-01", Some("dev/vdb")),
            ("PARTUUID=0000", None),
            ("PARTLABEL=rootfs", Some("dev/vda2")),
            (
                "UUID=abababab-abab-abab-abab-abababababab",
                Some("dev/vda2"),
            ),
            ("LABEL=rootfs", Some("dev/vda2")),
            ("LABEL=other", None),
        ];
        for (text, want) in cases {
            let dev = RootDevice::parse(text).expect(text);
            assert_eq!(find_device(r, &dev), want.map(|w| r.join(w)), "{text}");
        }
    }

    #[test]
    fn uevent_parse_table() {
        type Case<'a> = (&'a [u8], Option<(&'a str, &'a str, &'a str, bool)>);
        let cases: &[Case] = &[
            (
                b"add@/devices/pci0000:00/virtio1/block/vda\0ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM=block\0MAJOR=254\0DEVNAME=vda\0DEVTYPE=disk\0SEQNUM=1",
                Some(("add", "block", "vda", true)),
            ),
            (b"change@/x\0SUBSYSTEM=block\0DEVNAME=vda\0", Some(("change", "block", "vda", true))),
            (b"remove@/x\0SUBSYSTEM=block\0DEVNAME=vda\0", Some(("remove", "block", "vda", false))),
            (b"add@/x\0SUBSYSTEM=net\0INTERFACE=eth0\0", Some(("add", "net", "", false))),
            (b"libudev\0\xfe\xed", None),
            (b"", None),
        ];
        for (msg, want) in cases {
            let got = Uevent::parse(msg);
            let got = got.map(|e| {
                let arrival = e.is_block_arrival();
                (e.action, e.subsystem, e.devname, arrival)
            });
            let want = want.map(|(a, s, d, b)| (a.to_string(), s.to_string(), d.to_string(), b));
            assert_eq!(got, want, "{msg:?}");
        }
    }

    /// Events that run an action on the n-th wait (a device appearing) and count the waits.
    struct Script {
        waits: usize,
        appear_at: usize,
        create: PathBuf,
    }

    impl DeviceEvents for Script {
        fn wait(&mut self, timeout: Duration) -> bool {
            assert!(timeout <= RECHECK);
            self.waits += 1;
            if self.waits == self.appear_at {
                write(&self.create, b"");
                return true;
            }
            std::thread::sleep(timeout.min(Duration::from_millis(5)));
            false
        }
    }

    #[test]
    fn wait_for_device_wakes_on_events_and_times_out() {
        let dir = tempfile::tempdir().expect("test fixture");
        let spec = |cmdline: &str| {
            RootSpec::from_cmdline(&KernelCmdline::parse(cmdline))
                .expect("test fixture")
                .expect("test fixture")
        };
        let mut events = Script {
            waits: 0,
            appear_at: 3,
            create: dir.path().join("dev/vda"),
        };
        let node = wait_for_device(dir.path(), &spec("root=/dev/vda"), &mut events, &mut log())
            .expect("test fixture");
        assert_eq!(node, dir.path().join("dev/vda"));
        assert_eq!(events.waits, 3);
        // Already there: no wait at all.
        let node = wait_for_device(dir.path(), &spec("root=/dev/vda"), &mut events, &mut log())
            .expect("test fixture");
        assert_eq!((node.exists(), events.waits), (true, 3));
        let mut events = Script {
            waits: 0,
            appear_at: usize::MAX,
            create: dir.path().join("unused"),
        };
        let e = wait_for_device(
            dir.path(),
            &spec("root=/dev/vdz rootwait=0"),
            &mut events,
            &mut log(),
        )
        .expect_err("must fail");
        assert_eq!(e.to_string(), "root: /dev/vdz: not found after 0 s");
        let e = RootError::NotFound {
            device: "/dev/vda".into(),
            secs: DEFAULT_TIMEOUT.as_secs(),
        };
        assert_eq!(e.to_string(), "root: /dev/vda: not found after 30 s");
    }

    #[test]
    fn mount_from_cmdline_table() {
        let dir = machine();
        let r = dir.path();
        let vda2 = r.join("dev/vda2").display().to_string();
        type Case<'a> = (&'a str, Result<Option<&'a str>, String>, Vec<String>);
        let cases: &[Case] = &[
            ("quiet", Ok(None), vec![]),
            (
                "root=LABEL=rootfs rootdelay=x",
                Ok(Some("dev/vda2")),
                vec!["mkdir /mnt".into(), format!("mount {vda2} /mnt ext2 -")],
            ),
            ("root=/dev/nope rootwait=0", Err("root: /dev/nope: not found after 0 s".into()), vec![]),
            ("root=nope", Err("root: root=nope: expected /dev/NAME, UUID=, LABEL=, PARTUUID=, PARTLABEL= or MAJ:MIN".into()), vec![]),
        ];
        for (cmdline, want, calls) in cases {
            let mut sys = RecordingSystem::new();
            let mut events = Script {
                waits: 0,
                appear_at: usize::MAX,
                create: r.join("unused"),
            };
            let got = mount_from_cmdline(
                &mut sys,
                &mut log(),
                r,
                &KernelCmdline::parse(cmdline),
                &mut events,
                Path::new("/mnt"),
            );
            match want {
                Ok(w) => assert_eq!(got.expect(cmdline), w.map(|w| r.join(w)), "{cmdline}"),
                Err(m) => assert_eq!(&got.expect_err(cmdline).to_string(), m),
            }
            assert_eq!(&sys.calls, calls, "{cmdline}");
        }
    }

    #[test]
    fn uevent_socket_opens_and_times_out() {
        // Any kernel has the socket; in a sandbox without it, the fallback is what boot uses.
        match UeventSocket::open() {
            Ok(mut s) => {
                let start = Instant::now();
                let _ = s.wait(Duration::from_millis(20));
                assert!(start.elapsed() < Duration::from_secs(5));
            }
            Err(e) => eprintln!("SKIPPED uevent socket: {}", e.desc()),
        }
    }

    #[test]
    fn mount_root_table() {
        let dir = machine();
        let r = dir.path();
        write(
            &r.join("proc/filesystems"),
            b"nodev\tsysfs\nnodev\ttmpfs\n\text4\n\tvfat\n",
        );
        let vda2 = r.join("dev/vda2").display().to_string();
        let vdb = r.join("dev/vdb").display().to_string();
        // (device, cmdline, failing calls, expected calls, result)
        type Case = (
            String,
            &'static str,
            Vec<(String, Errno)>,
            Vec<String>,
            Result<&'static str, String>,
        );
        let cases: Vec<Case> = vec![
            (
                vda2.clone(),
                "root=/dev/vda2",
                vec![],
                vec!["mkdir /mnt".into(), format!("mount {vda2} /mnt ext2 -")],
                Ok("ext2"),
            ),
            (
                vda2.clone(),
                "root=/dev/vda2 ro rootflags=noatime,errors=remount-ro rootfstype=ext4",
                vec![],
                vec![
                    "mkdir /mnt".into(),
                    format!("mount {vda2} /mnt ext4 ro,0x400 errors=remount-ro"),
                ],
                Ok("ext4"),
            ),
            // A write-protected device: read-only, with a warning.
            (
                vda2.clone(),
                "root=/dev/vda2",
                vec![(format!("mount {vda2} /mnt ext2 -"), Errno::EROFS)],
                vec![
                    "mkdir /mnt".into(),
                    format!("mount {vda2} /mnt ext2 -"),
                    format!("mount {vda2} /mnt ext2 ro"),
                ],
                Ok("ext2"),
            ),
            // No superblock the probe knows: every block filesystem of the kernel in turn.
            (
                vdb.clone(),
                "root=/dev/vdb",
                vec![(format!("mount {vdb} /mnt ext4"), Errno::EINVAL)],
                vec![
                    "mkdir /mnt".into(),
                    format!("mount {vdb} /mnt ext4 -"),
                    format!("mount {vdb} /mnt vfat -"),
                ],
                Ok("vfat"),
            ),
            (
                vdb.clone(),
                "root=/dev/vdb rootfstype=xfs,ext4",
                vec![(format!("mount {vdb} /mnt"), Errno::EINVAL)],
                vec![
                    "mkdir /mnt".into(),
                    format!("mount {vdb} /mnt xfs -"),
                    format!("mount {vdb} /mnt ext4 -"),
                ],
                Err(format!(
                    "root: mount {vdb} on /mnt (ext4): Invalid argument"
                )),
            ),
            (
                vda2.clone(),
                "root=/dev/vda2",
                vec![("mkdir /mnt".into(), Errno::EROFS)],
                vec!["mkdir /mnt".into()],
                Err("root: mkdir /mnt: Read-only file system".into()),
            ),
        ];
        for (device, cmdline, failing, want_calls, want) in cases {
            let spec = RootSpec::from_cmdline(&KernelCmdline::parse(cmdline))
                .expect("test fixture")
                .expect("test fixture");
            let mut sys = RecordingSystem::new();
            for (prefix, errno) in &failing {
                sys = sys.failing(prefix, *errno);
            }
            let got = mount_root(
                &mut sys,
                &mut log(),
                r,
                Path::new(&device),
                &spec,
                Path::new("/mnt"),
            );
            assert_eq!(sys.calls, want_calls, "{cmdline}");
            match want {
                Ok(t) => assert_eq!(got.expect(cmdline), t),
                Err(msg) => assert_eq!(got.expect_err(cmdline).to_string(), msg),
            }
        }
        // Nothing to go by at all.
        let empty = tempfile::tempdir().expect("test fixture");
        write(&empty.path().join("dev/vdb"), b"");
        let spec = RootSpec::from_cmdline(&KernelCmdline::parse("root=/dev/vdb"))
            .expect("test fixture")
            .expect("test fixture");
        let dev = empty.path().join("dev/vdb");
        let e = mount_root(
            &mut RecordingSystem::new(),
            &mut log(),
            empty.path(),
            &dev,
            &spec,
            Path::new("/mnt"),
        )
        .expect_err("must fail");
        assert_eq!(
            e.to_string(),
            format!("root: {}: unknown filesystem type", dev.display())
        );
        let gone = empty.path().join("dev/gone");
        let e = mount_root(
            &mut RecordingSystem::new(),
            &mut log(),
            empty.path(),
            &gone,
            &spec,
            Path::new("/mnt"),
        )
        .expect_err("must fail");
        assert_eq!(
            e.to_string(),
            format!("root: {}: No such file or directory", gone.display())
        );
    }

    #[test]
    fn prepare_chroot_plan() {
        let dir = tempfile::tempdir().expect("test fixture");
        let t = dir.path();
        std::fs::create_dir_all(t.join("dev")).expect("test fixture");
        std::fs::create_dir_all(t.join("run/lock")).expect("test fixture");
        std::os::unix::fs::symlink("/", t.join("sys")).expect("test fixture");
        let td = t.display();
        let mut sys = RecordingSystem::new();
        let failed = prepare_chroot(&mut sys, &mut log(), t, &[]);
        assert_eq!(failed, 1, "the symlinked /sys is refused");
        assert_eq!(
            sys.calls,
            [
                format!("mount /dev {td}/dev - bind,rec"),
                format!("mkdir {td}/proc"),
                format!("mount proc {td}/proc proc nosuid,nodev,noexec"),
                format!("mount run {td}/run tmpfs nosuid,nodev mode=0755"),
            ]
        );
        // Mounted already: nothing done again.
        let table = format!("/dev/vda {td} ext4 rw 0 0\ndevtmpfs {td}/dev devtmpfs rw 0 0\nproc {td}/proc proc rw 0 0\nrun {td}/run tmpfs rw 0 0\n");
        let mut sys = RecordingSystem::new();
        std::fs::remove_file(t.join("sys")).expect("test fixture");
        std::fs::create_dir(t.join("sys")).expect("test fixture");
        let failed = prepare_chroot(&mut sys, &mut log(), t, &parse_mounts(&table));
        assert_eq!(failed, 0);
        assert_eq!(sys.calls, [format!("mount /sys {td}/sys - bind,rec")]);
    }

    #[test]
    fn run_seed_round_trip() {
        let dir = tempfile::tempdir().expect("test fixture");
        let image = dir.path().join("image/run");
        std::fs::create_dir_all(image.join("lock")).expect("test fixture");
        std::fs::create_dir_all(image.join("nginx/sub")).expect("test fixture");
        std::fs::write(image.join("nginx/flag"), "x").expect("test fixture");
        std::os::unix::fs::symlink("/run/lock", image.join("link")).expect("test fixture");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(image.join("lock"), std::fs::Permissions::from_mode(0o1777))
            .expect("test fixture");
        let seed = RunSeed::read(&image);
        let out = dir.path().join("tmpfs");
        std::fs::create_dir(&out).expect("test fixture");
        assert_eq!(seed.write(&out), 0);
        assert_eq!(RunSeed::read(&out), seed);
        let mode = std::fs::metadata(out.join("lock"))
            .expect("test fixture")
            .mode()
            & 0o7777;
        assert_eq!(mode, 0o1777);
        assert_eq!(
            std::fs::read_to_string(out.join("nginx/flag")).expect("test fixture"),
            "x"
        );
        assert!(RunSeed::read(&dir.path().join("missing")).is_empty());
    }

    #[test]
    fn choose_mode_table() {
        // (files on the disk, cmdline, mode)
        let cases: &[(&[&str], &str, Option<&str>)] = &[
            (&[".rroot/config.json"], "", None),
            (&[".rroot/config.json", "sbin/init"], "", None),
            (&["sbin/init"], "", Some("/sbin/init")),
            (&[], "", None),
            (
                &[".rroot/config.json", "sbin/init"],
                "rroot.switch_root",
                Some("/sbin/init"),
            ),
            (
                &["lib/systemd/systemd"],
                "init=/lib/systemd/systemd",
                Some("/lib/systemd/systemd"),
            ),
            (&["sbin/init"], "init=relative", Some("/sbin/init")),
            (
                &[".rroot/config.json"],
                "rroot.switch_root=1 init=/bin/sh",
                Some("/bin/sh"),
            ),
        ];
        for (files, cmdline, want) in cases {
            let dir = tempfile::tempdir().expect("test fixture");
            for f in *files {
                write(&dir.path().join(f), b"");
            }
            let got = choose_mode(&KernelCmdline::parse(cmdline), dir.path());
            let want = match want {
                Some(p) => RootMode::SwitchRoot(PathBuf::from(p)),
                None => RootMode::Container,
            };
            assert_eq!(got, want, "{files:?} {cmdline}");
        }
        // An init that is a dangling (absolute) symlink from outside still counts.
        let dir = tempfile::tempdir().expect("test fixture");
        std::fs::create_dir_all(dir.path().join("sbin")).expect("test fixture");
        std::os::unix::fs::symlink("/lib/systemd/systemd", dir.path().join("sbin/init"))
            .expect("test fixture");
        assert_eq!(
            choose_mode(&KernelCmdline::default(), dir.path()),
            RootMode::SwitchRoot("/sbin/init".into())
        );
    }

    #[test]
    fn switch_root_steps() {
        let dir = tempfile::tempdir().expect("test fixture");
        let r = dir.path();
        for d in ["dev", "proc", "sys"] {
            std::fs::create_dir_all(r.join(d)).expect("test fixture");
        }
        write(&r.join("sbin/init"), b"");
        let rd = r.display();
        let mut sys = RecordingSystem::new().failing("mount /proc", Errno::EINVAL);
        let mut pivot = RecordingPivot::default();
        let e = switch_root(
            &mut sys,
            &mut pivot,
            &mut log(),
            r,
            Path::new("/sbin/init"),
            &["--log-level=debug".into()],
        );
        assert_eq!(
            e.to_string(),
            "root: exec /sbin/init: Function not implemented"
        );
        assert_eq!(
            sys.calls,
            [
                format!("mount /dev {rd}/dev - move"),
                format!("mount /proc {rd}/proc - move"),
                "umount /proc lazy".into(),
                format!("mount /sys {rd}/sys - move"),
                // No /run on the disk.
                "umount /run lazy".into(),
                format!("mount {rd} / - move"),
            ]
        );
        assert_eq!(
            pivot.calls,
            [
                format!("chdir {rd}"),
                "chroot .".into(),
                "chdir /".into(),
                "exec /sbin/init /sbin/init --log-level=debug".into(),
            ]
        );
        let mut sys = RecordingSystem::new();
        let e = switch_root(
            &mut sys,
            &mut RecordingPivot::default(),
            &mut log(),
            r,
            Path::new("/init"),
            &[],
        );
        assert_eq!(e.to_string(), "root: /init: no such init on the root disk");
        assert!(sys.calls.is_empty());
        let mut sys = RecordingSystem::new().failing(&format!("mount {rd} /"), Errno::EINVAL);
        let e = switch_root(
            &mut sys,
            &mut RecordingPivot::default(),
            &mut log(),
            r,
            Path::new("/sbin/init"),
            &[],
        );
        assert_eq!(
            e.to_string(),
            format!("root: move {rd} to /: Invalid argument")
        );
    }

    #[test]
    fn unmount_root_table() {
        let table = "rootfs / rootfs rw 0 0\n\
                     proc /proc proc rw 0 0\n\
                     devtmpfs /dev devtmpfs rw 0 0\n\
                     /dev/vda /mnt ext4 rw 0 0\n\
                     devtmpfs /mnt/dev devtmpfs rw 0 0\n\
                     devpts /mnt/dev/pts devpts rw 0 0\n\
                     proc /mnt/proc proc rw 0 0\n\
                     run /mnt/run tmpfs rw 0 0\n\
                     /dev/vdb /mnt2 ext4 rw 0 0\n";
        let mounts = parse_mounts(table);
        assert_eq!(
            root_unmount_plan(&mounts, Path::new("/mnt")),
            ["/mnt/run", "/mnt/proc", "/mnt/dev/pts", "/mnt/dev", "/mnt"].map(PathBuf::from)
        );
        // (failing calls, expected calls, clean)
        type Case = (Vec<(&'static str, Errno)>, Vec<&'static str>, bool);
        let cases: Vec<Case> = vec![
            (
                vec![],
                vec![
                    "umount /mnt/run",
                    "umount /mnt/proc",
                    "umount /mnt/dev/pts",
                    "umount /mnt/dev",
                    "umount /mnt",
                ],
                true,
            ),
            (
                vec![
                    ("umount /mnt/dev/pts", Errno::EBUSY),
                    ("umount /mnt", Errno::EBUSY),
                ],
                vec![
                    "umount /mnt/run",
                    "umount /mnt/proc",
                    "umount /mnt/dev/pts",
                    "umount /mnt/dev/pts lazy",
                    "umount /mnt/dev",
                    "umount /mnt",
                    "mount - /mnt - ro,remount",
                    "umount /mnt lazy",
                ],
                true,
            ),
            (
                vec![
                    ("umount /mnt", Errno::EBUSY),
                    ("mount - /mnt", Errno::EBUSY),
                ],
                vec![
                    "umount /mnt/run",
                    "umount /mnt/proc",
                    "umount /mnt/dev/pts",
                    "umount /mnt/dev",
                    "umount /mnt",
                    "mount - /mnt - ro,remount",
                    "umount /mnt lazy",
                ],
                false,
            ),
        ];
        for (failing, want, clean) in cases {
            let mut sys = RecordingSystem::new();
            for (prefix, errno) in &failing {
                sys = sys.failing(prefix, *errno);
            }
            let got = unmount_root(&mut sys, &mut log(), &mounts, Path::new("/mnt"));
            assert_eq!(sys.calls, want, "{failing:?}");
            assert_eq!(got, clean, "{failing:?}");
        }
    }
}
