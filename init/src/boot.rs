//! PID 1: bring the machine up in small named steps, then supervise (reap, respawn the console
//! shell, act on shutdown requests) forever. Every step logs and goes on after a failure: the
//! machine must stay usable from the console, and init must never exit or panic (the kernel
//! would panic with "Attempted to kill init").

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cmdline::{self, KernelCmdline};
use crate::console;
use crate::log::Log;
use crate::mounts::{self, API_MOUNTS, DEV_LINKS};
use crate::reap::{describe, reap, Signals, INIT_SIGNALS};
use crate::shutdown::{self, ShutdownKind};
use crate::supervise::Respawn;
use crate::sys::{RealSystem, System};

/// The hostname when the command line gives none.
pub const DEFAULT_HOSTNAME: &str = "rroot";

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
        }
    }

    /// The boot sequence, up to the console shell.
    pub fn boot(&mut self) {
        self.disable_ctrl_alt_del();
        self.mount_api_filesystems();
        self.attach_console();
        self.read_cmdline();
        self.open_log();
        self.set_hostname();
        // Kernel modules go here: coldplug from /sys modaliases, modules_load=, MODULE.PARAM=.
        self.bring_up_loopback();
        // The network goes here: ip= (static, or DHCP in the background).
        // The root disk and its entrypoint go here: root=, mount at /mnt, start the
        // entrypoint, supervised next to the shell.
        self.start_shell();
        self.release_boot_pages();
        self.log.info("boot done");
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

    /// Reap every exited child; note the shell's exit so it is started again.
    pub fn reap_children(&mut self) {
        let now = Instant::now();
        let (shell, log) = (&mut self.shell, &mut self.log);
        reap(|pid, status| {
            if shell.pid() == Some(pid) {
                let delay = shell.exited(now);
                let how = describe(&status);
                if delay.is_zero() {
                    log.info(format_args!("shell (pid {pid}) {how}"));
                } else {
                    let ms = delay.as_millis();
                    log.warn(format_args!(
                        "shell (pid {pid}) {how}, restarting in {ms} ms"
                    ));
                }
            }
        });
    }

    /// The main loop: wait for a signal (or the shell's restart time), reap, restart, and
    /// shut down on request.
    pub fn supervise(mut self) -> ! {
        loop {
            let timeout = self.shell.timeout(Instant::now());
            if let Some(sig) = self.signals.wait(timeout) {
                if let Some(kind) = ShutdownKind::from_signal(sig) {
                    self.log.info(format_args!("{} requested", sig.as_str()));
                    self.shutdown(kind);
                }
            }
            self.reap_children();
            if self.shell.due(Instant::now()) {
                self.start_shell();
            }
        }
    }

    pub fn shutdown(&mut self, kind: ShutdownKind) -> ! {
        let hangup: Vec<_> = self.shell.pid().into_iter().collect();
        shutdown::shutdown(
            &mut *self.sys,
            &mut self.log,
            &self.signals,
            &self.root,
            kind,
            &hangup,
        )
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
