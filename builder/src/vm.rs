//! `rroot vm`: boot an initramfs (and optionally disks) in QEMU with the serial console on the
//! terminal. The builder execs qemu-system-x86_64, so the user's terminal is the console
//! (leave with `poweroff` in the guest, or Ctrl-A X).
//!
//! Usage: rroot vm [--kernel PATH] [--initrd PATH] [--disk FILE]... [--append ARGS]...
//!                 [--memory SIZE] [--net] [--hostfwd RULE]... [--accel auto|kvm|tcg] [--dry-run]
//!
//! Kernel command line: `console=ttyS0 panic=-1` (a panicking guest stops at once; with
//! `-no-reboot` QEMU then exits) followed by `--append`
//! (Documentation/admin-guide/kernel-parameters.txt).
//!
//! First use should just work with a stock kernel, so with no `--initrd`:
//! - the cached kernel (no `--kernel`, no `$KERNEL`) boots `out/initramfs-modules.cpio.gz`, the
//!   image `just vm` builds with that kernel's modules (network, disks), when it exists and is
//!   not older than `out/initramfs.cpio.gz`; otherwise `out/initramfs.cpio.gz`;
//! - the first `--disk` is the root (`root=/dev/vda` is appended) unless `--append` names a
//!   `root=`, and, unless `--hostfwd` is given, the ports the image exposes (`ExposedPorts` of
//!   the `/.rroot/config.json` that `rroot disk` wrote, read with e2fsprogs' debugfs) are
//!   forwarded from 127.0.0.1: a guest port >= 1024 keeps its number when that host port is
//!   free; a privileged or taken one gets the first free port from 8080 up.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Result};

use crate::initramfs::workspace_dir;
use rroot_init::io_reason;

const QEMU: &str = "qemu-system-x86_64";
const BASE_CMDLINE: &str = "console=ttyS0 panic=-1";
const DEFAULT_INITRD: &str = "out/initramfs.cpio.gz";
/// What `just vm` builds for the cached kernel: the default image plus that kernel's modules.
const MODULES_INITRD: &str = "out/initramfs-modules.cpio.gz";
/// Host ports for guest ports that cannot keep their number are taken from here up.
const FIRST_SPARE_PORT: u16 = 8080;

#[derive(clap::Args)]
pub struct Args {
    /// Kernel image [default: $KERNEL, else the cached Debian kernel .cache/kernel/root/boot/vmlinuz-*]
    #[arg(long, value_name = "PATH")]
    kernel: Option<PathBuf>,
    /// Initramfs to boot [default: out/initramfs-modules.cpio.gz for the cached kernel when
    /// it is at least as new as out/initramfs.cpio.gz, else out/initramfs.cpio.gz]
    #[arg(long, value_name = "PATH")]
    initrd: Option<PathBuf>,
    /// Raw disk image attached as a virtio drive (/dev/vda, then /dev/vdb…); the first is the
    /// root (root=/dev/vda) and its image's exposed ports are forwarded, unless --append names
    /// a root= or --hostfwd is given. Repeatable.
    #[arg(long = "disk", value_name = "FILE")]
    disks: Vec<PathBuf>,
    /// Extra kernel command line arguments. Repeatable.
    #[arg(long, value_name = "ARGS")]
    append: Vec<String>,
    /// Guest memory (QEMU -m syntax: 512M, 2G)
    #[arg(long, value_name = "SIZE", default_value = "512M")]
    memory: String,
    /// User-mode networking with a virtio NIC (no NIC at all without it)
    #[arg(long)]
    net: bool,
    /// Forward a host port to the guest, e.g. tcp:127.0.0.1:8080-:80 (implies --net). Repeatable.
    #[arg(long, value_name = "RULE")]
    hostfwd: Vec<String>,
    /// Accelerator. tcg by default: a /dev/kvm that exists and even creates VMs may still
    /// hang guests (nested virtualization on CI machines). auto = kvm when /dev/kvm can
    /// create a VM.
    #[arg(long, value_name = "tcg|kvm|auto", default_value = "tcg")]
    accel: String,
    /// Print the QEMU command line and exit without booting
    #[arg(long)]
    dry_run: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Accel {
    Kvm,
    Tcg,
}

/// A decided VM: every path checked, every option validated.
#[derive(Debug)]
struct VmPlan {
    kernel: PathBuf,
    initrd: PathBuf,
    disks: Vec<PathBuf>,
    cmdline: String,
    memory: String,
    /// `None`: no network device; `Some(rules)`: user networking with these forwards.
    net: Option<Vec<String>>,
    accel: Accel,
}

/// Choices made from the machine rather than the options: which initramfs, which forwards.
#[derive(Debug, Default)]
struct Defaults {
    initrd: Option<PathBuf>,
    forwards: Vec<Forward>,
}

/// One port forward: host 127.0.0.1:`host` to the guest's `guest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Forward {
    udp: bool,
    host: u16,
    guest: u16,
}

impl Forward {
    fn rule(&self) -> String {
        let proto = if self.udp { "udp" } else { "tcp" };
        format!("{proto}:127.0.0.1:{}-:{}", self.host, self.guest)
    }
}

pub fn run(args: Args) -> Result<()> {
    let env_kernel = std::env::var_os("KERNEL").filter(|k| !k.is_empty());
    let cached_kernel = args.kernel.is_none() && env_kernel.is_none();
    let kernel = match args.kernel.clone() {
        Some(k) => k,
        None => default_kernel(env_kernel.as_deref())?,
    };
    let mut defaults = Defaults::default();
    if args.initrd.is_none() {
        defaults.initrd = default_initrd(
            cached_kernel,
            Path::new(DEFAULT_INITRD),
            Path::new(MODULES_INITRD),
        );
    }
    if let Some(disk) = args
        .disks
        .first()
        .filter(|_| auto_root(&args) && args.hostfwd.is_empty())
    {
        let ports = match exposed_ports_of_disk(disk) {
            Ok(ports) => ports,
            Err(e) => {
                eprintln!("rroot vm: not forwarding the image's ports: {e:#}");
                Vec::new()
            }
        };
        defaults.forwards = assign_host_ports(&ports, port_is_free);
        for f in &defaults.forwards {
            let proto = if f.udp { "/udp" } else { "" };
            eprintln!(
                "rroot vm: forwarding 127.0.0.1:{} -> guest :{}{proto}",
                f.host, f.guest
            );
        }
    }
    let plan = plan(&args, kernel, &defaults, kvm_usable)?;
    let qemu = find_in_path(QEMU, std::env::var_os("PATH").as_deref()).ok_or_else(|| {
        anyhow!("{QEMU}: not found in PATH (install it with `apt-get install qemu-system-x86`)")
    })?;
    let argv = qemu_args(&plan);
    eprintln!("{}", shell_line(&qemu, &argv));
    if args.dry_run {
        return Ok(());
    }
    let err = Command::new(&qemu).args(&argv).exec();
    bail!("{}: {}", qemu.display(), io_reason(&err))
}

/// The modules image for the cached kernel when it exists and is not older than the plain one
/// (a fresher plain image means rbox changed since), else `None` (the plain default).
fn default_initrd(cached_kernel: bool, plain: &Path, modules: &Path) -> Option<PathBuf> {
    let mtime = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let modules_time = mtime(modules).filter(|_| cached_kernel)?;
    match mtime(plain) {
        Some(plain_time) if plain_time > modules_time => None,
        _ => Some(modules.to_path_buf()),
    }
}

/// Whether the first disk becomes the root: there is one and `--append` names no `root=`.
fn auto_root(args: &Args) -> bool {
    !args.disks.is_empty()
        && !args
            .append
            .iter()
            .flat_map(|a| a.split_whitespace())
            .any(|w| w.starts_with("root="))
}

/// `ExposedPorts` keys of an image config (image-spec config.md: `"80/tcp"`, `"53/udp"`, a bare
/// port is tcp) as (udp, port), sorted; what `rroot disk` wrote at `/.rroot/config.json`.
fn exposed_ports(config_json: &[u8]) -> Result<Vec<(bool, u16)>> {
    let doc: serde_json::Value =
        serde_json::from_slice(config_json).map_err(|e| anyhow!("/.rroot/config.json: {e}"))?;
    let Some(ports) = doc
        .get("config")
        .and_then(|c| c.get("ExposedPorts"))
        .and_then(|p| p.as_object())
    else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for key in ports.keys() {
        let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
        let udp = match proto {
            "tcp" => false,
            "udp" => true,
            _ => continue, // sctp: QEMU's user network cannot forward it
        };
        match port.parse::<u16>() {
            Ok(p) if p > 0 => out.push((udp, p)),
            _ => bail!("/.rroot/config.json: ExposedPorts: {key}: not a port"),
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Read `/.rroot/config.json` from an ext4 disk with debugfs (e2fsprogs, which `rroot disk`
/// needs anyway) and return its exposed ports; none for a disk without that file.
fn exposed_ports_of_disk(disk: &Path) -> Result<Vec<(bool, u16)>> {
    let debugfs = ["/usr/sbin/debugfs", "/sbin/debugfs"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| find_in_path("debugfs", std::env::var_os("PATH").as_deref()))
        .ok_or_else(|| anyhow!("debugfs not found (install e2fsprogs)"))?;
    let out = Command::new(&debugfs)
        .arg("-R")
        .arg("cat /.rroot/config.json")
        .arg(disk)
        .output()
        .map_err(|e| anyhow!("{}: {}", debugfs.display(), io_reason(&e)))?;
    // debugfs reports a missing file or a disk that is not ext4 on stderr, with status 0.
    if !out.status.success() || out.stdout.is_empty() {
        return Ok(Vec::new());
    }
    exposed_ports(&out.stdout).map_err(|e| anyhow!("--disk {}: {e:#}", disk.display()))
}

/// Host ports for the guest ports: the same number when it is >= 1024 and free, else the first
/// free port from [`FIRST_SPARE_PORT`] up that no other forward took.
fn assign_host_ports(ports: &[(bool, u16)], is_free: impl Fn(bool, u16) -> bool) -> Vec<Forward> {
    let mut taken: Vec<(bool, u16)> = Vec::new();
    let mut out = Vec::new();
    for &(udp, guest) in ports {
        let usable = |p: u16| !taken.contains(&(udp, p)) && is_free(udp, p);
        let host = if guest >= 1024 && usable(guest) {
            Some(guest)
        } else {
            (FIRST_SPARE_PORT..=u16::MAX).find(|p| usable(*p))
        };
        if let Some(host) = host {
            taken.push((udp, host));
            out.push(Forward { udp, host, guest });
        }
    }
    out
}

/// Whether 127.0.0.1:`port` can be bound now (QEMU binds it a moment later).
fn port_is_free(udp: bool, port: u16) -> bool {
    let addr = (Ipv4Addr::LOCALHOST, port);
    if udp {
        UdpSocket::bind(addr).is_ok()
    } else {
        TcpListener::bind(addr).is_ok()
    }
}

/// Check the inputs and decide everything; `kvm` tells whether KVM works (injected for tests).
fn plan(
    args: &Args,
    kernel: PathBuf,
    defaults: &Defaults,
    kvm: impl Fn() -> bool,
) -> Result<VmPlan> {
    readable("--kernel", &kernel, "")?;
    let initrd = args
        .initrd
        .clone()
        .or_else(|| defaults.initrd.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_INITRD));
    let hint = if initrd == Path::new(DEFAULT_INITRD) {
        " (build it with `rroot initramfs`)"
    } else {
        ""
    };
    readable("--initrd", &initrd, hint)?;
    for disk in &args.disks {
        readable("--disk", disk, "")?;
    }
    if !valid_memory(&args.memory) {
        bail!("--memory {}: expected a size like 512M or 2G", args.memory);
    }
    let accel = match args.accel.as_str() {
        "auto" if kvm() => Accel::Kvm,
        "auto" | "tcg" => Accel::Tcg,
        "kvm" => Accel::Kvm,
        other => bail!("--accel {other}: expected tcg, kvm or auto"),
    };
    let mut rules = args
        .hostfwd
        .iter()
        .map(|r| parse_hostfwd(r))
        .collect::<Result<Vec<_>>>()?;
    rules.extend(defaults.forwards.iter().map(Forward::rule));
    let net = (args.net || !rules.is_empty()).then_some(rules);
    let mut cmdline = BASE_CMDLINE.to_string();
    if auto_root(args) {
        cmdline.push_str(" root=/dev/vda");
    }
    for extra in args
        .append
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
    {
        cmdline.push(' ');
        cmdline.push_str(extra);
    }
    Ok(VmPlan {
        kernel,
        initrd,
        disks: args.disks.clone(),
        cmdline,
        memory: args.memory.clone(),
        net,
        accel,
    })
}

fn readable(flag: &str, path: &Path, hint: &str) -> Result<()> {
    let subject = format!("{flag} {}", path.display());
    let file = File::open(path).map_err(|e| anyhow!("{subject}: {}{hint}", io_reason(&e)))?;
    let meta = file
        .metadata()
        .map_err(|e| anyhow!("{subject}: {}", io_reason(&e)))?;
    if !meta.is_file() {
        bail!("{subject}: not a regular file");
    }
    Ok(())
}

/// QEMU's `-m` size: a number with an optional K/M/G/T suffix.
fn valid_memory(s: &str) -> bool {
    let digits = s.trim_end_matches(|c: char| "kKmMgGtT".contains(c));
    s.len() - digits.len() <= 1 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Check a `--hostfwd` rule, QEMU's `[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport`
/// (a leading `hostfwd=` is accepted). Commas are refused: they would add QEMU options.
fn parse_hostfwd(rule: &str) -> Result<String> {
    let r = rule.strip_prefix("hostfwd=").unwrap_or(rule);
    let bad = || {
        anyhow!("--hostfwd {rule}: expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT")
    };
    if r.contains(',') {
        return Err(bad());
    }
    let (host, guest) = r.split_once('-').ok_or_else(bad)?;
    let host = ["tcp:", "udp:"]
        .iter()
        .find_map(|p| host.strip_prefix(p))
        .unwrap_or(host);
    let port_ok = |side: &str| {
        side.rsplit_once(':')
            .is_some_and(|(_, port)| !port.is_empty() && port.parse::<u16>().is_ok())
    };
    if !port_ok(host) || !port_ok(guest) {
        return Err(bad());
    }
    Ok(r.to_string())
}

/// QEMU option values are comma-separated; a literal comma is written twice.
fn qemu_escape(path: &Path) -> OsString {
    let bytes = path.as_os_str().as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        out.push(b);
        if b == b',' {
            out.push(b',');
        }
    }
    OsStr::from_bytes(&out).to_os_string()
}

fn qemu_args(p: &VmPlan) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |items: &[&OsStr]| a.extend(items.iter().map(|s| s.to_os_string()));
    match p.accel {
        Accel::Kvm => push(&[
            "-accel".as_ref(),
            "kvm".as_ref(),
            "-cpu".as_ref(),
            "host".as_ref(),
        ]),
        Accel::Tcg => push(&["-accel".as_ref(), "tcg".as_ref()]),
    }
    push(&["-m".as_ref(), p.memory.as_ref()]);
    push(&["-kernel".as_ref(), p.kernel.as_os_str()]);
    push(&["-initrd".as_ref(), p.initrd.as_os_str()]);
    push(&["-append".as_ref(), p.cmdline.as_ref()]);
    for disk in &p.disks {
        let mut spec = OsString::from("file=");
        spec.push(qemu_escape(disk));
        spec.push(",if=virtio,format=raw");
        push(&["-drive".as_ref(), &spec]);
    }
    match &p.net {
        None => push(&["-nic".as_ref(), "none".as_ref()]),
        Some(rules) => {
            let mut netdev = String::from("user,id=net0");
            for r in rules {
                netdev.push_str(",hostfwd=");
                netdev.push_str(r);
            }
            push(&["-netdev".as_ref(), netdev.as_ref()]);
            push(&["-device".as_ref(), "virtio-net-pci,netdev=net0".as_ref()]);
        }
    }
    // Serial console (and QEMU's monitor, Ctrl-A C) on stdio; no display.
    push(&["-nographic".as_ref(), "-no-reboot".as_ref()]);
    a
}

/// Whether KVM can create a VM: the device opens read-write and KVM_CREATE_VM succeeds
/// (a /dev/kvm that exists but is unusable, as in many CI containers, means TCG).
fn kvm_usable() -> bool {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    /// _IO(KVMIO, 0x01), linux/kvm.h.
    const KVM_CREATE_VM: libc::c_ulong = 0xAE01;
    let Ok(kvm) = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    else {
        return false;
    };
    // SAFETY: KVM_CREATE_VM takes an integer machine type (0 = default) and no pointers;
    // the fd is valid for the duration of the call because `kvm` is alive.
    let vm = unsafe { libc::ioctl(kvm.as_raw_fd(), KVM_CREATE_VM as _, 0 as libc::c_ulong) };
    if vm < 0 {
        return false;
    }
    // SAFETY: on success the ioctl returns a new file descriptor that nothing else owns;
    // OwnedFd closes it when dropped.
    drop(unsafe { OwnedFd::from_raw_fd(vm) });
    true
}

/// `$KERNEL`, else the newest `vmlinuz-*` of the kernel the test setup caches in the workspace.
fn default_kernel(env: Option<&OsStr>) -> Result<PathBuf> {
    if let Some(k) = env.filter(|k| !k.is_empty()) {
        return Ok(PathBuf::from(k));
    }
    let boot = workspace_dir()?.join(".cache/kernel/root/boot");
    newest_vmlinuz(&boot)?.ok_or_else(|| {
        anyhow!(
            "no kernel: pass --kernel PATH or set KERNEL (none cached in {})",
            boot.display()
        )
    })
}

fn newest_vmlinuz(boot: &Path) -> Result<Option<PathBuf>> {
    let entries = match fs::read_dir(boot) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => bail!("{}: {}", boot.display(), io_reason(&e)),
    };
    let mut names: Vec<OsString> = entries
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .filter(|n| n.as_bytes().starts_with(b"vmlinuz-"))
        .collect();
    names.sort_by(|a, b| version_cmp(a.as_bytes(), b.as_bytes()));
    Ok(names.pop().map(|n| boot.join(n)))
}

/// Compare names with embedded numbers numerically (`6.10` after `6.9`), like `sort -V`.
fn version_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let (na, nb) = (trim_zeros(&a[si..i]), trim_zeros(&b[sj..j]));
            let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            if ord.is_ne() {
                return ord;
            }
        } else {
            if a[i] != b[j] {
                return a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let n = digits.iter().take_while(|d| **d == b'0').count();
    &digits[n..]
}

fn find_in_path(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// The command as a shell would take it back: arguments with special characters in single quotes.
fn shell_line(program: &Path, args: &[OsString]) -> String {
    std::iter::once(program.as_os_str())
        .chain(args.iter().map(OsString::as_os_str))
        .map(|a| {
            let s = a.to_string_lossy();
            let plain = !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
            if plain {
                s.into_owned()
            } else {
                format!("'{}'", s.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn args(argv: &[&str]) -> Args {
        Cli::try_parse_from(std::iter::once("vm").chain(argv.iter().copied()))
            .unwrap()
            .args
    }

    struct Files {
        dir: tempfile::TempDir,
    }

    impl Files {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            for f in ["vmlinuz", "initrd", "disk,1.img"] {
                fs::write(dir.path().join(f), b"x").unwrap();
            }
            Self { dir }
        }
        fn p(&self, name: &str) -> String {
            self.dir.path().join(name).display().to_string()
        }
    }

    fn argv_of(plan: &VmPlan) -> Vec<String> {
        qemu_args(plan)
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn qemu_command_table() {
        let f = Files::new();
        let (kernel, initrd, disk) = (f.p("vmlinuz"), f.p("initrd"), f.p("disk,1.img"));
        let base = |accel: &[&str]| {
            let mut v: Vec<String> = accel.iter().map(|s| s.to_string()).collect();
            v.extend(
                [
                    "-m", "512M", "-kernel", &kernel, "-initrd", &initrd, "-append",
                ]
                .iter()
                .map(|s| s.to_string()),
            );
            v
        };
        let tail = ["-nographic", "-no-reboot"];

        // Defaults: TCG even where KVM seems usable, no NIC.
        let plan = plan(
            &args(&["--initrd", &initrd]),
            kernel.clone().into(),
            &Defaults::default(),
            || false,
        )
        .unwrap();
        let mut want = base(&["-accel", "tcg"]);
        want.extend(["console=ttyS0 panic=-1", "-nic", "none"].map(String::from));
        want.extend(tail.map(String::from));
        assert_eq!(argv_of(&plan), want);

        // auto with KVM available, disk with a comma, extra cmdline, forwards imply --net.
        let a = args(&[
            "--accel",
            "auto",
            "--initrd",
            &initrd,
            "--disk",
            &disk,
            "--append",
            "root=/dev/vda rw",
            "--append",
            "quiet",
            "--hostfwd",
            "tcp:127.0.0.1:8080-:80",
            "--hostfwd",
            "hostfwd=udp::5353-:53",
        ]);
        let plan = super::plan(&a, kernel.clone().into(), &Defaults::default(), || true).unwrap();
        let mut want = base(&["-accel", "kvm", "-cpu", "host"]);
        want.push("console=ttyS0 panic=-1 root=/dev/vda rw quiet".into());
        want.push("-drive".into());
        want.push(format!(
            "file={},if=virtio,format=raw",
            disk.replace(',', ",,")
        ));
        want.extend(
            [
                "-netdev",
                "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp::5353-:53",
                "-device",
                "virtio-net-pci,netdev=net0",
            ]
            .map(String::from),
        );
        want.extend(tail.map(String::from));
        assert_eq!(argv_of(&plan), want);

        // auto without KVM is TCG; --net alone gives a NIC without forwards.
        let plan = super::plan(
            &args(&["--initrd", &initrd, "--accel", "auto", "--net"]),
            kernel.into(),
            &Defaults::default(),
            || false,
        )
        .unwrap();
        let argv = argv_of(&plan);
        assert_eq!(argv[..2], ["-accel", "tcg"]);
        assert!(argv.contains(&"user,id=net0".to_string()), "{argv:?}");
    }

    #[test]
    fn bad_options_are_one_line_errors() {
        let f = Files::new();
        let (kernel, initrd) = (f.p("vmlinuz"), f.p("initrd"));
        let gone = f.p("gone");
        let cases: Vec<(Vec<&str>, String)> = vec![
            (vec!["--initrd", &gone], format!("--initrd {gone}: No such file or directory")),
            (vec![], format!("--initrd {DEFAULT_INITRD}: No such file or directory (build it with `rroot initramfs`)")),
            (vec!["--initrd", &initrd, "--disk", &gone], format!("--disk {gone}: No such file or directory")),
            (vec!["--initrd", &initrd, "--memory", "lots"], "--memory lots: expected a size like 512M or 2G".into()),
            (vec!["--initrd", &initrd, "--accel", "hvf"], "--accel hvf: expected tcg, kvm or auto".into()),
            (
                vec!["--initrd", &initrd, "--hostfwd", "tcp::80-:80,smb=/"],
                "--hostfwd tcp::80-:80,smb=/: expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT".into(),
            ),
            (vec!["--initrd", f.dir.path().to_str().unwrap()], format!("--initrd {}: not a regular file", f.dir.path().display())),
        ];
        let cwd_has_default = Path::new(DEFAULT_INITRD).exists();
        for (argv, want) in cases {
            if argv.is_empty() && cwd_has_default {
                continue; // the default initrd exists where the tests run
            }
            let err = plan(
                &args(&argv),
                kernel.clone().into(),
                &Defaults::default(),
                || false,
            )
            .unwrap_err();
            assert_eq!(format!("{err:#}"), want, "{argv:?}");
        }
        let err = plan(
            &args(&["--initrd", &initrd]),
            gone.clone().into(),
            &Defaults::default(),
            || false,
        )
        .unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            format!("--kernel {gone}: No such file or directory")
        );
    }

    #[test]
    fn a_disk_is_the_root_and_its_ports_are_forwarded() {
        let f = Files::new();
        let (kernel, initrd, disk) = (f.p("vmlinuz"), f.p("initrd"), f.p("disk,1.img"));
        let defaults = Defaults {
            initrd: Some(initrd.clone().into()),
            forwards: vec![
                Forward {
                    udp: false,
                    host: 8080,
                    guest: 80,
                },
                Forward {
                    udp: true,
                    host: 5353,
                    guest: 5353,
                },
            ],
        };
        let plan = plan(
            &args(&["--disk", &disk]),
            kernel.clone().into(),
            &defaults,
            || false,
        )
        .unwrap();
        let argv = argv_of(&plan);
        let at = |flag: &str| argv[argv.iter().position(|a| a == flag).unwrap() + 1].clone();
        assert_eq!(at("-initrd"), initrd, "the default initrd is used");
        assert_eq!(at("-append"), "console=ttyS0 panic=-1 root=/dev/vda");
        assert_eq!(
            at("-netdev"),
            "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.1:5353-:5353"
        );
        // An explicit root= is left alone; --initrd beats the default.
        let other = f.p("disk,1.img");
        let a = args(&[
            "--disk",
            &disk,
            "--append",
            "root=/dev/vdb rw",
            "--initrd",
            &other,
        ]);
        assert!(!auto_root(&a));
        let argv = argv_of(&plan_of(&a, &kernel));
        assert!(argv.contains(&"console=ttyS0 panic=-1 root=/dev/vdb rw".to_string()));
        assert!(argv.contains(&other));
        assert!(!auto_root(&args(&[])));
    }

    fn plan_of(a: &Args, kernel: &str) -> VmPlan {
        plan(a, kernel.into(), &Defaults::default(), || false).unwrap()
    }

    #[test]
    fn exposed_ports_table() {
        type Ports = Vec<(bool, u16)>;
        let cases: &[(&str, Result<Ports, &str>)] = &[
            (
                r#"{"config":{"ExposedPorts":{"80/tcp":{}}}}"#,
                Ok(vec![(false, 80)]),
            ),
            (
                r#"{"config":{"ExposedPorts":{"443/tcp":{},"53/udp":{},"8080":{},"9/sctp":{}}}}"#,
                Ok(vec![(false, 443), (false, 8080), (true, 53)]),
            ),
            (r#"{"config":{"Cmd":["sh"]}}"#, Ok(vec![])),
            (r#"{"config":{"ExposedPorts":null}}"#, Ok(vec![])),
            (
                r#"{"config":{"ExposedPorts":{"http/tcp":{}}}}"#,
                Err("/.rroot/config.json: ExposedPorts: http/tcp: not a port"),
            ),
        ];
        for (json, want) in cases {
            let got = exposed_ports(json.as_bytes()).map_err(|e| e.to_string());
            assert_eq!(got, want.clone().map_err(str::to_string), "{json}");
        }
        assert!(exposed_ports(b"{").is_err());
    }

    #[test]
    fn host_port_assignment_table() {
        // 8080 is taken on the host, so :80 gets 8081; 3000 keeps its number; a taken 5000
        // gets the next spare one; udp ports are counted separately.
        let busy = [(false, 8080), (false, 5000)];
        let free = |udp: bool, p: u16| !busy.contains(&(udp, p));
        let got = assign_host_ports(
            &[
                (false, 80),
                (false, 443),
                (false, 3000),
                (false, 5000),
                (true, 53),
            ],
            free,
        );
        let want = [
            (false, 8081, 80),
            (false, 8082, 443),
            (false, 3000, 3000),
            (false, 8083, 5000),
            (true, 8080, 53),
        ];
        let got: Vec<_> = got.iter().map(|f| (f.udp, f.host, f.guest)).collect();
        assert_eq!(got, want);
        assert_eq!(
            Forward {
                udp: false,
                host: 8081,
                guest: 80
            }
            .rule(),
            "tcp:127.0.0.1:8081-:80"
        );
    }

    #[test]
    fn default_initrd_prefers_a_fresh_modules_image() {
        let dir = tempfile::tempdir().unwrap();
        let (plain, modules) = (dir.path().join("plain"), dir.path().join("modules"));
        assert_eq!(
            default_initrd(true, &plain, &modules),
            None,
            "neither exists"
        );
        fs::write(&plain, b"x").unwrap();
        assert_eq!(
            default_initrd(true, &plain, &modules),
            None,
            "no modules image"
        );
        let set_time = |p: &Path, secs: u64| {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(t)
                .unwrap();
        };
        fs::write(&modules, b"x").unwrap();
        set_time(&plain, 1000);
        set_time(&modules, 2000);
        assert_eq!(
            default_initrd(true, &plain, &modules),
            Some(modules.clone())
        );
        assert_eq!(
            default_initrd(false, &plain, &modules),
            None,
            "another kernel"
        );
        set_time(&plain, 3000);
        assert_eq!(
            default_initrd(true, &plain, &modules),
            None,
            "stale modules image"
        );
        fs::remove_file(&plain).unwrap();
        assert_eq!(default_initrd(true, &plain, &modules), Some(modules));
    }

    #[test]
    fn memory_and_hostfwd_syntax() {
        for (m, ok) in [
            ("512M", true),
            ("2G", true),
            ("1024", true),
            ("1g", true),
            ("", false),
            ("M", false),
            ("12MM", false),
            ("1.5G", false),
        ] {
            assert_eq!(valid_memory(m), ok, "{m}");
        }
        for (r, ok) in [
            ("tcp:127.0.0.1:8080-:80", true),
            ("::2222-:22", true),
            ("udp:127.0.0.1:53-10.0.2.15:53", true),
            ("tcp:127.0.0.1:8080", false),
            ("tcp:127.0.0.1:99999-:80", false),
            ("tcp:127.0.0.1:80-:x", false),
        ] {
            assert_eq!(parse_hostfwd(r).is_ok(), ok, "{r}");
        }
    }

    #[test]
    fn kernel_discovery() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(newest_vmlinuz(&dir.path().join("none")).unwrap(), None);
        for name in [
            "vmlinuz-6.9.0-1-amd64",
            "vmlinuz-6.10.0-1-amd64",
            "config-7.0",
            "System.map-6.10.0-1-amd64",
        ] {
            fs::write(dir.path().join(name), b"").unwrap();
        }
        assert_eq!(
            newest_vmlinuz(dir.path()).unwrap(),
            Some(dir.path().join("vmlinuz-6.10.0-1-amd64"))
        );
        assert_eq!(
            default_kernel(Some(OsStr::new("/k/bzImage"))).unwrap(),
            PathBuf::from("/k/bzImage")
        );
        use std::cmp::Ordering::*;
        for (a, b, want) in [
            ("6.9", "6.10", Less),
            ("6.1.0-56", "6.1.0-9", Greater),
            ("a", "a", Equal),
            ("6.01", "6.1", Equal),
        ] {
            assert_eq!(version_cmp(a.as_bytes(), b.as_bytes()), want, "{a} vs {b}");
        }
    }

    #[test]
    fn command_line_is_printed_shell_quoted() {
        let args: Vec<OsString> = ["-append", "console=ttyS0 panic=-1", "it's", ""]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            shell_line(Path::new("/usr/bin/qemu-system-x86_64"), &args),
            r"/usr/bin/qemu-system-x86_64 -append 'console=ttyS0 panic=-1' 'it'\''s' ''"
        );
    }

    #[test]
    fn qemu_lookup_in_path() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join(QEMU);
        fs::write(&exe, b"#!/bin/sh\n").unwrap();
        let path = OsString::from(format!("/nonexistent:{}", dir.path().display()));
        assert_eq!(find_in_path(QEMU, Some(&path)), None, "not executable yet");
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_in_path(QEMU, Some(&path)), Some(exe));
        assert_eq!(find_in_path(QEMU, None), None);
    }
}
