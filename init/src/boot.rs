//! PID 1: bring the machine up in small named steps, then supervise (reap, respawn the console
//! shell, act on shutdown requests) forever. Every step logs and goes on after a failure: the
//! machine must stay usable from the console, and init must never exit or panic (the kernel
//! would panic with "Attempted to kill init").

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use crate::cmdline::{self, KernelCmdline};
use crate::console;
use crate::container::{self, Entrypoint, ExitAction, OnExit};
use crate::dhcp::{self, DhcpEvent, DhcpOptions, IpPlan};
use crate::log::Log;
use crate::modules::{self, KernelLoader};
use crate::mounts::{self, API_MOUNTS, DEV_LINKS};
use crate::reap::{describe, reap, Signals, INIT_SIGNALS};
use crate::root::{self, RealPivot, RootMode};
use crate::shutdown::{self, ShutdownKind};
use crate::supervise::Respawn;
use crate::sys::{RealSystem, System};

/// The hostname when the command line gives none.
pub const DEFAULT_HOSTNAME: &str = "rroot";

/// How long an image that exposes ports waits for its first lease (`rroot.net_timeout=`).
pub const NETWORK_WAIT: Duration = Duration::from_secs(30);

/// init's state: the seam to the kernel, the log, what the command line said, and the
/// processes it supervises.
pub struct Init {
    pub sys: Box<dyn System>,
    pub log: Log,
    /// Where /proc, /dev and /sys are read from ("/" on a real boot).
    pub root: PathBuf,
    pub cmdline: KernelCmdline,
    pub signals: Signals,
    pub shell: Respawn,
    /// The image's entrypoint, when a root disk with an image config was mounted.
    pub entrypoint: Option<Entrypoint>,
    /// DHCP's events (leases applied and renewed), while it runs in the background.
    pub network: Option<Receiver<DhcpEvent>>,
    /// Whether the root disk is mounted at [`root::MOUNT_POINT`].
    pub root_mounted: bool,
}

/// Run as PID 1 on this machine. Never returns.
pub fn main() -> ! {
    let start = Instant::now();
    // First of all, so no request or child exit that arrives during boot is dropped.
    let signals = Signals::block(INIT_SIGNALS);
    let mut init = Init::new(
        start,
        Box::new(RealSystem),
        Path::new("/"),
        Box::new(std::io::stderr()),
        signals,
    );
    init.boot();
    init.supervise()
}

impl Init {
    pub fn new(
        start: Instant,
        sys: Box<dyn System>,
        root: &Path,
        console: Box<dyn Write>,
        signals: Signals,
    ) -> Init {
        Init {
            sys,
            log: Log::new(start, console),
            root: root.to_path_buf(),
            cmdline: KernelCmdline::default(),
            signals,
            shell: Respawn::new(start),
            entrypoint: None,
            network: None,
            root_mounted: false,
        }
    }

    /// The boot sequence. The console shell starts before anything that waits (modules, the
    /// root device, the network), so the machine can be debugged while those run.
    pub fn boot(&mut self) {
        self.disable_ctrl_alt_del();
        self.mount_api_filesystems();
        self.attach_console();
        self.read_cmdline();
        self.open_log();
        self.set_hostname();
        self.bring_up_loopback();
        self.start_shell();
        self.load_modules();
        self.mount_root_disk();
        if let Some(init) = self.switch_root_wanted() {
            self.switch_root(&init);
        }
        self.start_network();
        self.start_entrypoint_when_ready();
        self.release_boot_pages();
        self.log.info("boot done");
    }

    /// Kernel modules: `modules_load=` and what the devices' modaliases ask for (coldplug),
    /// with `MODULE.PARAM=value` from the command line. An initramfs built without
    /// `--kernel-modules` has no module index, and this step only says so.
    pub fn load_modules(&mut self) {
        let extra: Vec<String> = self
            .cmdline
            .all("modules_load")
            .flat_map(|v| v.split(','))
            .filter(|m| !m.is_empty())
            .map(String::from)
            .collect();
        let params = modules::cmdline_options(self.cmdline.module_params());
        let started = Instant::now();
        let report = modules::coldplug(&self.root, &mut KernelLoader, &extra, &params);
        if let Some(e) = &report.error {
            match extra.is_empty() {
                true => self.log.info(format_args!("modules: {e}")),
                false => self.log.error(format_args!("modules: {e}")),
            }
            return;
        }
        for (module, reason) in &report.failed {
            self.log.warn(format_args!("modules: {module}: {reason}"));
        }
        for name in &report.not_found {
            self.log.warn(format_args!("modules: {name}: not found"));
        }
        self.log.info(format_args!(
            "loaded {} modules for {} device aliases in {} ms: {}",
            report.loaded.len(),
            report.modaliases,
            started.elapsed().as_millis(),
            report.loaded.join(" ")
        ));
    }

    /// `root=` (and friends): wait for the device, mount it at [`root::MOUNT_POINT`].
    pub fn mount_root_disk(&mut self) {
        let target = Path::new(root::MOUNT_POINT);
        let started = Instant::now();
        let mut events = root::device_events(&mut self.log);
        match root::mount_from_cmdline(
            &mut *self.sys,
            &mut self.log,
            &self.root,
            &self.cmdline,
            &mut *events,
            target,
        ) {
            Ok(Some(device)) => {
                self.root_mounted = true;
                let ms = started.elapsed().as_millis();
                self.log.info(format_args!(
                    "root {} ready on {} after {ms} ms",
                    device.display(),
                    target.display()
                ));
            }
            Ok(None) => {}
            Err(e) => self.log.error(e),
        }
    }

    /// The disk's own init, when the machine should be handed over to it
    /// (`rroot.switch_root`, or a disk with `/sbin/init` and no image config).
    pub fn switch_root_wanted(&self) -> Option<PathBuf> {
        if !self.root_mounted {
            return None;
        }
        match root::choose_mode(&self.cmdline, Path::new(root::MOUNT_POINT)) {
            RootMode::SwitchRoot(init) => Some(init),
            RootMode::Container => None,
        }
    }

    /// Hand PID 1 to the disk's init. The console shell is ended first (the new init runs
    /// its own consoles); if the switch fails, boot goes on in the initramfs.
    pub fn switch_root(&mut self, init: &Path) {
        if let Some(pid) = self.shell.pid() {
            let _ = self
                .sys
                .kill(pid.as_raw(), nix::sys::signal::Signal::SIGKILL);
            let _ = nix::sys::wait::waitpid(pid, None);
        }
        let args = self.cmdline.init_args().to_vec();
        let error = root::switch_root(
            &mut *self.sys,
            &mut RealPivot,
            &mut self.log,
            Path::new(root::MOUNT_POINT),
            init,
            &args,
        );
        self.log.error(error);
        self.root_mounted = false;
        self.start_shell();
    }

    /// `ip=` (kernel-parameters.txt; default DHCP on every Ethernet interface), `nameserver=`.
    /// DHCP runs in background threads for as long as the machine does (renewals); its
    /// events come back on [`Init::network`].
    pub fn start_network(&mut self) {
        let plan = match self.cmdline.get("ip") {
            Some(value) => match dhcp::parse_ip_param(value) {
                Ok(plan) => plan,
                Err(e) => return self.log.error(e),
            },
            None => IpPlan::Dhcp { device: None },
        };
        let extra_dns = match dhcp::parse_nameservers(self.cmdline.all("nameserver")) {
            Ok(dns) => dns,
            Err(e) => {
                self.log.error(e);
                Vec::new()
            }
        };
        let mut opts = DhcpOptions {
            extra_dns,
            log: log_dhcp,
            ..DhcpOptions::default()
        };
        if self.root_mounted {
            opts.resolv_roots.push(PathBuf::from(root::MOUNT_POINT));
        }
        match plan {
            IpPlan::Off => self.log.info("network: off (ip=off)"),
            IpPlan::Static(lease) => match dhcp::apply_static(&lease, &opts) {
                Ok(()) => self.log.info(format_args!(
                    "network: {}/{} (ip= static)",
                    lease.address, lease.prefix
                )),
                Err(e) => self.log.error(format_args!("network: {e}")),
            },
            IpPlan::Dhcp { device } => {
                let ifaces = match device {
                    Some(dev) => vec![dev],
                    None => match dhcp::ethernet_interfaces() {
                        Ok(list) => list,
                        Err(e) => return self.log.error(format_args!("network: {e}")),
                    },
                };
                if ifaces.is_empty() {
                    return self.log.info("network: no Ethernet interface, no DHCP");
                }
                let names = ifaces.join(" ");
                match dhcp::run_boot_dhcp(Some(ifaces), opts) {
                    Ok(events) => {
                        self.network = Some(events);
                        self.log
                            .info(format_args!("dhcp on {names} in the background"));
                    }
                    Err(e) => self.log.error(format_args!("dhcp: {e}")),
                }
            }
        }
    }

    /// With a root disk holding an image config: prepare the chroot, compose the command as
    /// `docker run` would, wait for the network when the image serves it, start it.
    pub fn start_entrypoint_when_ready(&mut self) {
        if !self.root_mounted {
            return;
        }
        let target = Path::new(root::MOUNT_POINT);
        let mounted = mounts::read_mounts(&self.root).unwrap_or_default();
        root::prepare_chroot(&mut *self.sys, &mut self.log, target, &mounted);
        let hostname = nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_else(|_| DEFAULT_HOSTNAME.to_string());
        let plan = match container::plan_from_root(target, &self.cmdline, &hostname) {
            Ok(plan) => plan,
            Err(e) => return self.log.error(e),
        };
        for w in &plan.warnings {
            self.log.warn(format_args!("entrypoint: {w}"));
        }
        let policy = OnExit::from_cmdline(&self.cmdline).unwrap_or_else(|(policy, warning)| {
            self.log.warn(warning);
            policy
        });
        let serves = container::ImageConfig::read(target)
            .map(|c| !c.exposed_ports.is_empty())
            .unwrap_or(false);
        let address = match serves || self.cmdline.get("rroot.wait_net") == Some("1") {
            true => self.wait_for_network(),
            false => None,
        };
        self.write_container_etc(target, &hostname, address);
        self.entrypoint = Some(Entrypoint::new(plan, policy, Instant::now()));
        self.start_entrypoint();
    }

    /// The first lease, at most [`NETWORK_WAIT`] (or `rroot.net_timeout=` seconds): an
    /// image that exposes ports is a server, and a server started before its address exists
    /// may bind nothing useful. Past the limit the entrypoint starts anyway.
    pub fn wait_for_network(&mut self) -> Option<std::net::Ipv4Addr> {
        let limit = self
            .cmdline
            .get("rroot.net_timeout")
            .and_then(|s| s.parse().ok())
            .map_or(NETWORK_WAIT, Duration::from_secs);
        let events = self.network.as_ref()?;
        let started = Instant::now();
        let deadline = started + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match events.recv_timeout(left) {
                Ok(DhcpEvent::Bound(lease)) => {
                    let ms = started.elapsed().as_millis();
                    self.log.info(format_args!(
                        "network: {} {}/{} after {ms} ms",
                        lease.iface, lease.address, lease.prefix
                    ));
                    return Some(lease.address);
                }
                Ok(DhcpEvent::Failed { iface, error }) => {
                    self.log.warn(format_args!("network: {iface}: {error}"));
                }
                Ok(DhcpEvent::Unbound(_)) => {}
                Err(RecvTimeoutError::Timeout) => {
                    self.log.warn(format_args!(
                        "network: no lease after {} s, starting the entrypoint anyway",
                        limit.as_secs()
                    ));
                    return None;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.network = None;
                    return None;
                }
            }
        }
    }

    /// `/etc/hostname` and `/etc/hosts` inside the image, as Docker provides them
    /// (resolv.conf is written by DHCP into every root it serves).
    fn write_container_etc(
        &mut self,
        target: &Path,
        hostname: &str,
        address: Option<std::net::Ipv4Addr>,
    ) {
        let files = [
            ("etc/hostname", format!("{hostname}\n")),
            ("etc/hosts", dhcp::hosts_text(hostname, address)),
        ];
        for (path, text) in files {
            if let Err(e) = dhcp::write_atomic(&target.join(path), &text) {
                self.log.warn(format_args!("entrypoint: {e}"));
            }
        }
    }

    /// Start (or restart) the entrypoint.
    pub fn start_entrypoint(&mut self) {
        let Some(entrypoint) = self.entrypoint.as_mut() else {
            return;
        };
        match entrypoint.start(Instant::now()) {
            Ok(pid) => {
                let argv = entrypoint.plan().argv.join(" ");
                self.log
                    .notice(format_args!("started entrypoint {argv} (pid {pid})"));
            }
            Err((e, action)) => {
                self.log
                    .error(format_args!("{e} (exit status {})", e.exit_code()));
                self.after_entrypoint(action);
            }
        }
    }

    /// What `rroot.on_exit=` says to do once the entrypoint ended.
    fn after_entrypoint(&mut self, action: ExitAction) {
        match action {
            ExitAction::Stay => self
                .log
                .notice("entrypoint ended; the machine stays up (rroot.on_exit=shell)"),
            ExitAction::Shutdown(kind) => self.shutdown(kind),
            ExitAction::Restart(delay) => self.log.notice(format_args!(
                "restarting the entrypoint in {} ms",
                delay.as_millis()
            )),
        }
    }

    /// Log what DHCP did since the last look (renewals, lost leases).
    fn network_events(&mut self) {
        let Some(events) = &self.network else { return };
        let mut lines = Vec::new();
        while let Ok(event) = events.try_recv() {
            lines.push(match event {
                DhcpEvent::Bound(l) => {
                    format!("dhcp: {} {}/{} bound", l.iface, l.address, l.prefix)
                }
                DhcpEvent::Unbound(l) => format!("dhcp: {} {} lost", l.iface, l.address),
                DhcpEvent::Failed { iface, error } => format!("dhcp: {iface}: {error}"),
            });
        }
        for line in lines {
            self.log.info(line);
        }
    }

    /// Unmap the pages of rbox's code and constants that boot touched: the kernel maps a
    /// binary in ramfs 64 KiB around each fault, so most of rbox would stay in PID 1's RSS
    /// for good. The pages stay in the page cache (shared with every other rbox process)
    /// and fault back in when used. Only read-only private file mappings without private
    /// copies (smaps `Anonymous: 0 kB`) are dropped, so no data is lost.
    pub fn release_boot_pages(&mut self) {
        let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
            return;
        };
        let mut released = 0;
        for (start, end) in clean_readonly_mappings(&smaps) {
            // SAFETY: [start, end) is a whole read-only private file mapping of this process
            // without anonymous (modified) pages; MADV_DONTNEED only drops page table entries,
            // and every later access reads the same bytes back from the file.
            let r = unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED)
            };
            if r == 0 {
                released += end - start;
            }
        }
        self.log.info(format_args!(
            "released boot pages ({} KiB mapped)",
            released / 1024
        ));
    }

    /// Ctrl-Alt-Del becomes SIGINT to init instead of an immediate reboot (reboot(2)).
    pub fn disable_ctrl_alt_del(&mut self) {
        if let Err(e) = self.sys.set_ctrl_alt_del(false) {
            self.log.warn(format_args!("ctrl-alt-del: {}", e.desc()));
        }
    }

    /// /proc, /sys, /dev, /dev/pts, /dev/shm, /run, /tmp and the /dev links.
    pub fn mount_api_filesystems(&mut self) {
        // At first boot /proc is not there to say what is mounted: nothing is.
        let mounted = mounts::read_mounts(&self.root).unwrap_or_default();
        mounts::mount_all(
            &mut *self.sys,
            &mut self.log,
            API_MOUNTS,
            DEV_LINKS,
            &mounted,
        );
    }

    /// stdin, stdout and stderr on the console if the kernel could not open it for init.
    pub fn attach_console(&mut self) {
        match console::attach_stdio(&self.root) {
            Ok(true) => self.log.info("opened /dev/console for init"),
            Ok(false) => {}
            Err(e) => self.log.error(e),
        }
    }

    pub fn read_cmdline(&mut self) {
        match cmdline::read(&self.root) {
            Ok(c) => self.cmdline = c,
            Err(e) => self.log.error(e),
        }
        for w in self.cmdline.warnings().to_vec() {
            self.log.warn(format_args!("kernel command line: {w}"));
        }
    }

    /// Start writing the log (buffered until now): `quiet` keeps the console short.
    pub fn open_log(&mut self) {
        let quiet = self.cmdline.flag("quiet");
        self.log.open(&self.root, quiet);
    }

    /// `hostname=` from the command line, or [`DEFAULT_HOSTNAME`].
    pub fn set_hostname(&mut self) {
        let name = self
            .cmdline
            .get("hostname")
            .filter(|h| !h.is_empty())
            .unwrap_or(DEFAULT_HOSTNAME)
            .to_string();
        match self.sys.sethostname(&name) {
            Ok(()) => self.log.info(format_args!("hostname {name}")),
            Err(e) => self
                .log
                .error(format_args!("hostname {name}: {}", e.desc())),
        }
    }

    pub fn bring_up_loopback(&mut self) {
        match crate::netlink::set_link_up("lo") {
            Ok(()) => self.log.info("lo up"),
            Err(e) => self.log.warn(format_args!("lo: {e}")),
        }
    }

    /// Start the console shell; when it cannot start, try again after the back-off.
    pub fn start_shell(&mut self) {
        let cmd = console::shell_command(&self.root, &self.cmdline);
        let now = Instant::now();
        match console::spawn(&cmd) {
            Ok(pid) => {
                self.shell.started(pid, now);
                // The prompt is the shell's now: routine lines (this one too) go to kmsg only.
                self.log.shell_started();
                let program = cmd.program.display();
                self.log.info(format_args!("started {program} (pid {pid})"));
            }
            Err(e) => {
                let delay = self.shell.failed(now);
                let ms = delay.as_millis();
                self.log
                    .error(format_args!("shell: {e}, retrying in {ms} ms"));
            }
        }
    }

    /// Reap every exited child; note the shell's and the entrypoint's exits.
    pub fn reap_children(&mut self) {
        let now = Instant::now();
        let mut exits = Vec::new();
        reap(|pid, status| exits.push((pid, status)));
        for (pid, status) in exits {
            let how = describe(&status);
            if self.shell.pid() == Some(pid) {
                let delay = self.shell.exited(now);
                if delay.is_zero() {
                    self.log.info(format_args!("shell (pid {pid}) {how}"));
                } else {
                    let ms = delay.as_millis();
                    self.log.warn(format_args!(
                        "shell (pid {pid}) {how}, restarting in {ms} ms"
                    ));
                }
            } else if let Some(ep) = self.entrypoint.as_mut().filter(|e| e.pid() == Some(pid)) {
                let action = ep.exited(now);
                self.log
                    .notice(format_args!("entrypoint (pid {pid}) {how}"));
                self.after_entrypoint(action);
            }
        }
    }

    /// The main loop: wait for a signal (or a restart time), reap, restart, and shut down on
    /// request.
    pub fn supervise(mut self) -> ! {
        loop {
            let now = Instant::now();
            let timeout = match (
                self.shell.timeout(now),
                self.entrypoint.as_ref().and_then(|e| e.timeout(now)),
            ) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let Some(sig) = self.signals.wait(timeout) {
                if let Some(kind) = ShutdownKind::from_signal(sig) {
                    self.log.notice(format_args!("{} requested", sig.as_str()));
                    self.shutdown(kind);
                }
            }
            self.reap_children();
            self.network_events();
            if self.shell.due(Instant::now()) {
                self.start_shell();
            }
            if self
                .entrypoint
                .as_ref()
                .is_some_and(|e| e.due(Instant::now()))
            {
                self.start_entrypoint();
            }
        }
    }

    /// Stop the entrypoint with its StopSignal and give it the grace period to end, before
    /// everything else gets SIGTERM (`docker stop`).
    fn stop_entrypoint(&mut self) {
        let Some(entrypoint) = self.entrypoint.as_mut() else {
            return;
        };
        let signal = entrypoint.plan().stop_signal;
        let Some(pid) = entrypoint.stop(&mut *self.sys) else {
            return;
        };
        let started = Instant::now();
        let deadline = started + shutdown::GRACE;
        let mut ended = false;
        while !ended && Instant::now() < deadline {
            self.signals
                .wait(Some(deadline.saturating_duration_since(Instant::now())));
            reap(|p, _| ended |= p == pid);
        }
        let ms = started.elapsed().as_millis();
        match ended {
            true => self.log.info(format_args!(
                "entrypoint (pid {pid}) ended {ms} ms after {}",
                signal.as_str()
            )),
            false => self.log.warn(format_args!(
                "entrypoint (pid {pid}) still runs {ms} ms after {}",
                signal.as_str()
            )),
        }
    }

    pub fn shutdown(&mut self, kind: ShutdownKind) -> ! {
        self.log.shutdown_started();
        self.stop_entrypoint();
        let hangup: Vec<_> = self.shell.pid().into_iter().collect();
        let disk = self.root_mounted.then(|| Path::new(root::MOUNT_POINT));
        shutdown::shutdown(
            &mut *self.sys,
            &mut self.log,
            &self.signals,
            &self.root,
            kind,
            &hangup,
            disk,
        )
    }
}

/// DHCP's progress lines, from its threads: straight to the console and the kernel log.
fn log_dhcp(msg: &str) {
    let line = format!("init: dhcp: {msg}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    if let Ok(mut kmsg) = std::fs::OpenOptions::new().write(true).open("/dev/kmsg") {
        let _ = kmsg.write_all(format!("<6>{line}").as_bytes());
    }
}

/// Address ranges of the read-only private file mappings in `smaps` text (proc(5)) that hold
/// no anonymous pages.
pub fn clean_readonly_mappings(smaps: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        let mut f = line.split_whitespace();
        let first = f.next().unwrap_or("");
        if let Some((a, b)) = first.split_once('-') {
            // A mapping header: `start-end perms offset dev inode [path]`.
            let (perms, inode) = (f.next().unwrap_or(""), f.nth(2).unwrap_or("0"));
            let range = usize::from_str_radix(a, 16)
                .ok()
                .zip(usize::from_str_radix(b, 16).ok());
            let clean_candidate = perms.starts_with("r-") && perms.ends_with('p') && inode != "0";
            current = range.filter(|_| clean_candidate);
        } else if first == "Anonymous:" {
            if let Some(range) = current.take() {
                if f.next() == Some("0") {
                    ranges.push(range);
                }
            }
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::RecordingSystem;
    use nix::errno::Errno;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A System that records into a list the test keeps a handle on.
    struct Shared(Rc<RefCell<RecordingSystem>>);

    macro_rules! forward {
        ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
            $(fn $name(&mut self, $($arg: $ty),*) -> $ret { self.0.borrow_mut().$name($($arg),*) })*
        };
    }

    impl System for Shared {
        forward! {
            mount(source: &str, target: &Path, fstype: &str, flags: nix::mount::MsFlags, data: &str) -> Result<(), Errno>;
            umount(target: &Path, flags: nix::mount::MntFlags) -> Result<(), Errno>;
            mkdir_p(path: &Path) -> Result<(), Errno>;
            symlink(target: &Path, link: &Path) -> Result<(), Errno>;
            remove(path: &Path) -> Result<(), Errno>;
            sethostname(name: &str) -> Result<(), Errno>;
            kill(pid: i32, sig: nix::sys::signal::Signal) -> Result<(), Errno>;
            set_ctrl_alt_del(on: bool) -> Result<(), Errno>;
            reboot(mode: nix::sys::reboot::RebootMode) -> Errno;
        }
        fn sync(&mut self) {
            self.0.borrow_mut().sync()
        }
    }

    fn init_with(
        root: &Path,
        cmdline: &str,
        sys: RecordingSystem,
    ) -> (Init, Rc<RefCell<RecordingSystem>>) {
        std::fs::create_dir_all(root.join("proc")).expect("test fixture");
        std::fs::write(root.join("proc/cmdline"), cmdline).expect("test fixture");
        let rec = Rc::new(RefCell::new(sys));
        // An empty set: nothing is blocked in the harness, nothing is waited for.
        let init = Init::new(
            Instant::now(),
            Box::new(Shared(rec.clone())),
            root,
            Box::new(std::io::sink()),
            Signals::block(&[]),
        );
        (init, rec)
    }

    #[test]
    fn clean_readonly_mappings_table() {
        let smaps = "\
5555-5556 ---p 00000000 00:00 0                          [heap]
Anonymous:             0 kB
7f00-7f10 r--p 00000000 00:02 31                         /bin/rbox
Size:                152 kB
Anonymous:             0 kB
7f10-7f20 r-xp 00026000 00:02 31                         /bin/rbox
Anonymous:             0 kB
7f20-7f30 r--p 002c9000 00:02 31                         /bin/rbox
Anonymous:             8 kB
7f30-7f40 rw-p 004d8000 00:02 31                         /bin/rbox
Anonymous:             0 kB
7f40-7f50 r--s 00000000 00:02 32                         /dev/shm/x
Anonymous:             0 kB
7ffe-7fff r-xp 00000000 00:00 0                          [vdso]
Anonymous:             0 kB
";
        assert_eq!(
            clean_readonly_mappings(smaps),
            [(0x7f00, 0x7f10), (0x7f10, 0x7f20)]
        );
        assert_eq!(clean_readonly_mappings("garbage\nAnonymous: 0 kB\n"), []);
    }

    #[test]
    fn hostname_table() {
        let cases = [
            ("", "sethostname rroot"),
            ("hostname=vm1 quiet", "sethostname vm1"),
            ("hostname=", "sethostname rroot"),
            ("hostname=a hostname=b", "sethostname b"),
        ];
        for (cmdline, want) in cases {
            let dir = tempfile::tempdir().expect("test fixture");
            let (mut init, rec) = init_with(dir.path(), cmdline, RecordingSystem::new());
            init.read_cmdline();
            init.set_hostname();
            assert_eq!(rec.borrow().calls, [want], "{cmdline}");
        }
    }

    #[test]
    fn early_steps_go_through_the_seam_and_survive_failures() {
        let dir = tempfile::tempdir().expect("test fixture");
        let sys = RecordingSystem::new()
            .failing("cad", Errno::EPERM)
            .failing("mount proc", Errno::EPERM);
        let (mut init, rec) = init_with(dir.path(), "quiet", sys);
        init.disable_ctrl_alt_del();
        init.mount_api_filesystems();
        init.read_cmdline();
        init.set_hostname();
        let calls = rec.borrow().calls.clone();
        assert_eq!(calls.first().map(String::as_str), Some("cad off"));
        assert!(calls.contains(&"mount tmp /tmp tmpfs nosuid,nodev mode=1777".to_string()));
        assert_eq!(calls.last().map(String::as_str), Some("sethostname rroot"));
        assert!(init.cmdline.flag("quiet"));
    }
}
