//! rroot-vmtests: boot what the builder made in QEMU and drive the serial console expect-style.
//!
//! A [`Qemu`] describes one machine (kernel, initramfs, command line, disks, network); [`Qemu::boot`]
//! starts it with the serial console on QEMU's stdio and returns a [`Vm`]. A reader thread filters
//! the console output (see [`console`]) into a shared buffer; [`Vm::expect`] waits for text in
//! it, [`Vm::run`] runs a shell command and returns its output. Any failure leaves the whole
//! console log on stderr (cargo shows it with the failing test) and every log is kept in
//! `target/vm-logs/NAME.log`.
//!
//! Nothing here skips: a missing kernel, initramfs or QEMU is an error that says what to run.

pub mod console;

use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use console::{ConsoleFilter, TerminalQuery};

/// From QEMU's start to the first shell prompt. A TCG boot takes 7–10 s on an idle core; the
/// margin covers a machine busy with compiling.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(150);
/// For one shell command, and for the prompt after it.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// `poweroff`/`reboot` to QEMU's own exit (issue 2 asks for 30 s).
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// The kernel prints `Run /init as init process` (init/main.c, run_init_process) just before it
/// runs the initramfs's init (or `rdinit=`); the shell prompt can only come after it, so waiting
/// for it first keeps a stray `# ` in the boot log from matching.
pub const KERNEL_RUNS_INIT: &str = " as init process";

/// The default shell prompt for root (issue 2: `# ` for root).
pub const ROOT_PROMPT: &str = "# ";

/// Everything that can go wrong while driving a VM. One line each; the console log is printed
/// separately (see [`Vm`]).
pub enum VmError {
    /// A file the test needs is not there.
    Missing {
        what: &'static str,
        path: PathBuf,
        hint: String,
    },
    Spawn {
        program: String,
        source: io::Error,
    },
    Io {
        what: String,
        source: io::Error,
    },
    Timeout {
        waiting_for: String,
        after: Duration,
    },
    /// QEMU exited while something else was expected.
    Exited {
        waiting_for: String,
        status: String,
    },
    CommandFailed {
        command: String,
        status: i32,
        output: String,
    },
    /// What the guest showed is not what the test expected.
    Check(String),
}

impl fmt::Display for VmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VmError::Missing { what, path, hint } => {
                write!(f, "{what}: {}: not found ({hint})", path.display())
            }
            VmError::Spawn { program, source } if source.kind() == io::ErrorKind::NotFound => {
                write!(
                    f,
                    "{program}: not found (install qemu-system-x86; tests/setup.sh does it as root)"
                )
            }
            VmError::Spawn { program, source } => write!(f, "{program}: {}", io_reason(source)),
            VmError::Io { what, source } => write!(f, "{what}: {}", io_reason(source)),
            VmError::Timeout { waiting_for, after } => write!(
                f,
                "timed out after {:.0} s waiting for {waiting_for}",
                after.as_secs_f64()
            ),
            VmError::Exited {
                waiting_for,
                status,
            } => write!(f, "QEMU exited ({status}) while waiting for {waiting_for}"),
            VmError::CommandFailed {
                command,
                status,
                output,
            } => write!(
                f,
                "`{command}` exited with status {status}: {}",
                output.trim_end().replace('\n', " | ")
            ),
            VmError::Check(message) => f.write_str(message),
        }
    }
}

// Tests return `Result<(), VmError>`; the test runner prints the error with Debug, which should
// read like the message.
impl fmt::Debug for VmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for VmError {}

/// The message of an `io::Error` without the "(os error N)" suffix.
fn io_reason(err: &io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The repository's top directory (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

/// Where `tests/setup.sh` unpacks Debian's kernel package.
pub fn kernel_cache() -> PathBuf {
    workspace_root().join(".cache/kernel/root")
}

/// The kernel to boot: `$KERNEL`, else the newest `vmlinuz-*` unpacked by `tests/setup.sh`.
pub fn find_kernel() -> Result<PathBuf, VmError> {
    if let Some(kernel) = std::env::var_os("KERNEL") {
        let kernel = PathBuf::from(kernel);
        return existing(kernel, "kernel", "set by KERNEL=".to_string());
    }
    let boot = kernel_cache().join("boot");
    newest_entry(&boot, "vmlinuz-").ok_or_else(|| VmError::Missing {
        what: "kernel",
        path: boot.join("vmlinuz-*"),
        hint: "run tests/setup.sh to fetch Debian's linux-image-amd64, or set KERNEL=".to_string(),
    })
}

/// The kernel's module tree (`lib/modules/VERSION`): `$KERNEL_MODULES`, else the one unpacked
/// by `tests/setup.sh` next to the cached kernel.
pub fn find_kernel_modules() -> Result<PathBuf, VmError> {
    let (dir, hint) = match std::env::var_os("KERNEL_MODULES") {
        Some(dir) => (Some(PathBuf::from(dir)), "set by KERNEL_MODULES="),
        None => (
            newest_entry(&kernel_cache().join("lib/modules"), ""),
            "run tests/setup.sh, or set KERNEL_MODULES=",
        ),
    };
    match dir {
        Some(dir) if dir.is_dir() => Ok(dir),
        dir => Err(VmError::Missing {
            what: "kernel modules",
            path: dir.unwrap_or_else(|| kernel_cache().join("lib/modules/VERSION")),
            hint: hint.to_string(),
        }),
    }
}

/// The initramfs to boot: `$INITRAMFS`, else `out/initramfs.cpio.gz` as `just initramfs` writes.
pub fn find_initramfs() -> Result<PathBuf, VmError> {
    let (path, hint) = match std::env::var_os("INITRAMFS") {
        Some(path) => (PathBuf::from(path), "set by INITRAMFS="),
        None => (
            workspace_root().join("out/initramfs.cpio.gz"),
            "run `just initramfs` first",
        ),
    };
    existing(path, "initramfs", hint.to_string())
}

/// The host tool `rroot`, for tests that build their own images: `$RROOT`, else the newer of
/// `target/release/rroot` (what `just initramfs` builds) and `target/debug/rroot`.
pub fn find_rroot() -> Result<PathBuf, VmError> {
    if let Some(path) = std::env::var_os("RROOT") {
        return existing(PathBuf::from(path), "rroot", "set by RROOT=".to_string());
    }
    let target = workspace_root().join("target");
    let newest = ["release", "debug"]
        .iter()
        .map(|profile| target.join(profile).join("rroot"))
        .filter_map(|path| {
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
            Some((modified, path))
        })
        .max();
    newest
        .map(|(_, path)| path)
        .ok_or_else(|| VmError::Missing {
            what: "rroot",
            path: target.join("release/rroot"),
            hint: "run `just initramfs` (builds it), or set RROOT=".to_string(),
        })
}

/// A TCP port on 127.0.0.1 that was free a moment ago, for `Qemu::user_net` forwards.
pub fn free_tcp_port() -> Result<u16, VmError> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(|source| VmError::Io {
        what: "127.0.0.1:0".to_string(),
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| VmError::Io {
        what: "127.0.0.1:0".to_string(),
        source,
    })?;
    Ok(addr.port())
}

fn existing(path: PathBuf, what: &'static str, hint: String) -> Result<PathBuf, VmError> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(VmError::Missing { what, path, hint })
    }
}

/// The entry of `dir` whose name starts with `prefix` and is the highest version
/// (`vmlinuz-6.1.0-10-amd64` after `vmlinuz-6.1.0-9-amd64`, as `sort -V`).
fn newest_entry(dir: &Path, prefix: &str) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(prefix))
        .max_by(|a, b| version_cmp(a, b))
        .map(|name| dir.join(name))
}

/// Compares names with digit runs as numbers and everything else as text.
fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (a, b) = (chunks(a), chunks(b));
    for ((a_digits, a), (b_digits, b)) in a.iter().zip(b.iter()) {
        let order = if *a_digits && *b_digits {
            let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        } else {
            a.cmp(b)
        };
        if order.is_ne() {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// One QEMU machine to boot. Built up with the `with_*`/`disk`/`user_net` methods, started with
/// [`Qemu::boot`].
#[derive(Debug, Clone)]
pub struct Qemu {
    name: String,
    qemu: OsString,
    kernel: PathBuf,
    initramfs: PathBuf,
    memory_mib: u32,
    cmdline: Vec<String>,
    disks: Vec<PathBuf>,
    /// `-nic` value; `none` unless a test asks for networking (the guest must not reach out).
    nic: String,
    monitor: bool,
    extra: Vec<OsString>,
}

/// Distinguishes the monitor sockets of VMs of one test process.
static NEXT_VM: AtomicU64 = AtomicU64::new(0);

impl Qemu {
    /// A machine named `name` (used for its log file) with the kernel and initramfs found by
    /// [`find_kernel`] and [`find_initramfs`]; `$QEMU` overrides `qemu-system-x86_64`.
    pub fn new(name: &str) -> Result<Qemu, VmError> {
        Ok(Qemu {
            name: name.to_string(),
            qemu: std::env::var_os("QEMU").unwrap_or_else(|| "qemu-system-x86_64".into()),
            kernel: find_kernel()?,
            initramfs: find_initramfs()?,
            memory_mib: 512,
            cmdline: vec!["console=ttyS0".to_string(), "panic=-1".to_string()],
            disks: Vec::new(),
            nic: "none".to_string(),
            monitor: false,
            extra: Vec::new(),
        })
    }

    pub fn with_kernel(mut self, kernel: impl Into<PathBuf>) -> Qemu {
        self.kernel = kernel.into();
        self
    }

    pub fn with_initramfs(mut self, initramfs: impl Into<PathBuf>) -> Qemu {
        self.initramfs = initramfs.into();
        self
    }

    pub fn with_memory(mut self, mib: u32) -> Qemu {
        self.memory_mib = mib;
        self
    }

    /// Adds words to the kernel command line (after `console=ttyS0 panic=-1`).
    pub fn with_cmdline(mut self, words: &str) -> Qemu {
        self.cmdline.push(words.to_string());
        self
    }

    /// Attaches a raw disk image as the next virtio disk (`/dev/vda`, `/dev/vdb`, …).
    pub fn disk(mut self, image: impl Into<PathBuf>) -> Qemu {
        self.disks.push(image.into());
        self
    }

    /// QEMU user networking on a virtio NIC (built-in DHCP server, guest at 10.0.2.15),
    /// forwarding each `(host_port, guest_port)` from 127.0.0.1 on the host.
    pub fn user_net(mut self, forwards: &[(u16, u16)]) -> Qemu {
        let mut nic = "user,model=virtio-net-pci".to_string();
        for (host, guest) in forwards {
            nic.push_str(&format!(",hostfwd=tcp:127.0.0.1:{host}-:{guest}"));
        }
        self.nic = nic;
        self
    }

    /// Opens the QEMU monitor on a unix socket, for [`Vm::monitor`] (e.g. `sendkey ctrl-alt-delete`).
    pub fn with_monitor(mut self) -> Qemu {
        self.monitor = true;
        self
    }

    /// Passes arguments to QEMU as they are.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Qemu {
        self.extra.push(arg.into());
        self
    }

    pub fn kernel(&self) -> &Path {
        &self.kernel
    }

    pub fn initramfs(&self) -> &Path {
        &self.initramfs
    }

    /// The QEMU command line, monitor socket given.
    fn command(&self, monitor: Option<&Path>) -> Command {
        let mut cmd = Command::new(&self.qemu);
        cmd.args(["-accel", "tcg", "-m"])
            .arg(self.memory_mib.to_string())
            // The serial port on stdio without -nographic's multiplexer, so every byte (Ctrl-A,
            // Ctrl-C) goes to the guest.
            .args(["-display", "none", "-serial", "stdio", "-no-reboot"])
            .arg("-nic")
            .arg(&self.nic)
            .arg("-kernel")
            .arg(&self.kernel)
            .arg("-initrd")
            .arg(&self.initramfs)
            .arg("-append")
            .arg(self.cmdline.join(" "));
        match monitor {
            Some(socket) => {
                let mut spec = OsString::from("unix:");
                spec.push(socket);
                spec.push(",server=on,wait=off");
                cmd.arg("-monitor").arg(spec);
            }
            None => {
                cmd.args(["-monitor", "none"]);
            }
        }
        for disk in &self.disks {
            let mut spec = OsString::from("file=");
            spec.push(disk);
            spec.push(",format=raw,if=virtio");
            cmd.arg("-drive").arg(spec);
        }
        cmd.args(&self.extra);
        cmd
    }

    /// Starts QEMU. The returned [`Vm`] owns the process and kills it when dropped.
    pub fn boot(self) -> Result<Vm, VmError> {
        let monitor = self.monitor.then(|| {
            std::env::temp_dir().join(format!(
                "rroot-vm-{}-{}.monitor",
                std::process::id(),
                NEXT_VM.fetch_add(1, Ordering::Relaxed)
            ))
        });
        let mut cmd = self.command(monitor.as_deref());
        let program = self.qemu.to_string_lossy().into_owned();
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| VmError::Spawn {
                program: program.clone(),
                source,
            })?;
        let started = Instant::now();
        let shared = Arc::new(Shared::default());
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(stdin), Some(stdout), Some(stderr)) => (stdin, stdout, stderr),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(VmError::Check(format!("{program}: stdio pipes missing")));
                }
            };
        let stdin = Arc::new(Mutex::new(stdin));
        let readers = vec![
            spawn_console_reader(stdout, Arc::clone(&shared), Arc::clone(&stdin)),
            spawn_stderr_reader(stderr, Arc::clone(&shared)),
        ];
        Ok(Vm {
            name: self.name,
            child,
            stdin,
            shared,
            readers,
            cursor: 0,
            next_marker: 0,
            prompt: ROOT_PROMPT.to_string(),
            started,
            failed: false,
            exit: None,
            monitor,
        })
    }
}

#[derive(Default)]
struct Shared {
    console: Mutex<Console>,
    changed: Condvar,
}

#[derive(Default)]
struct Console {
    /// The filtered console text, from QEMU's start.
    text: Vec<u8>,
    /// QEMU's own stderr (bad arguments, missing firmware).
    stderr: Vec<u8>,
    /// The console pipe reached EOF: QEMU exited or closed it.
    closed: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Console> {
        // A reader thread cannot panic while holding the lock (it only appends), but a poisoned
        // lock still holds a valid log: keep using it.
        self.console
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn spawn_console_reader(
    mut stdout: impl Read + Send + 'static,
    shared: Arc<Shared>,
    stdin: Arc<Mutex<ChildStdin>>,
) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut filter = ConsoleFilter::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let queries = {
                let mut console = shared.lock();
                let queries = filter.feed(&buf[..n], &mut console.text);
                shared.changed.notify_all();
                queries
            };
            // Answer like a terminal whose cursor is at the start of a line, so a line editor
            // that asks does not wait for (or eat) the next typed characters.
            for query in queries {
                match query {
                    TerminalQuery::CursorPosition => {
                        let mut stdin = stdin
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        let _ = stdin.write_all(b"\x1b[1;1R").and_then(|()| stdin.flush());
                    }
                }
            }
        }
        shared.lock().closed = true;
        shared.changed.notify_all();
    })
}

fn spawn_stderr_reader(stderr: impl Read + Send + 'static, shared: Arc<Shared>) -> JoinHandle<()> {
    thread::spawn(move || {
        for line in io::BufReader::new(stderr).split(b'\n') {
            let Ok(line) = line else { break };
            let mut console = shared.lock();
            console.stderr.extend_from_slice(&line);
            console.stderr.push(b'\n');
        }
    })
}

/// A running QEMU machine and its serial console.
///
/// The console is read in order: [`Vm::expect`] and the commands built on it consume the text
/// up to what they matched, so the next call only looks at newer output.
pub struct Vm {
    name: String,
    child: Child,
    stdin: Arc<Mutex<ChildStdin>>,
    shared: Arc<Shared>,
    readers: Vec<JoinHandle<()>>,
    /// Offset in the console text up to which output has been consumed.
    cursor: usize,
    next_marker: u64,
    prompt: String,
    started: Instant,
    /// Set by every error this Vm returns; the console log is then printed on drop.
    failed: bool,
    exit: Option<ExitStatus>,
    monitor: Option<PathBuf>,
}

/// Where a match was found in the console text: `start..end`.
pub type Found = (usize, usize);

impl Vm {
    /// Time since QEMU was started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The prompt [`Vm::wait_for_shell`] and [`Vm::run`] wait for (default `# `).
    pub fn set_prompt(&mut self, prompt: &str) {
        self.prompt = prompt.to_string();
    }

    /// Stops kernel messages below KERN_ALERT from reaching the console
    /// (`/proc/sys/kernel/printk`, Documentation/core-api/printk-basics.rst), so late boot
    /// messages (`tsc: Refined TSC clocksource calibration`, …) cannot land in the middle of a
    /// command's output. Emergency messages such as `reboot: Power down` and panics still show;
    /// init's own log lines written to /dev/kmsg no longer do.
    pub fn quiet_kernel_console(&mut self) -> Result<(), VmError> {
        self.run("echo 1 > /proc/sys/kernel/printk").map(drop)
    }

    /// Waits until the kernel has started `/init` and a shell prompt has appeared.
    pub fn wait_for_shell(&mut self) -> Result<(), VmError> {
        let deadline = Instant::now() + BOOT_TIMEOUT;
        self.expect(KERNEL_RUNS_INIT, remaining(deadline))?;
        let prompt = self.prompt.clone();
        self.expect(&prompt, remaining(deadline))?;
        Ok(())
    }

    /// Waits for `pattern` in the console output after what was consumed so far; returns the
    /// text before it and consumes through the end of it.
    pub fn expect(&mut self, pattern: &str, timeout: Duration) -> Result<String, VmError> {
        let what = format!("{pattern:?}");
        let (before, _) = self.expect_with(&what, timeout, |text| {
            find(text, pattern.as_bytes()).map(|at| (at, at + pattern.len()))
        })?;
        Ok(before)
    }

    /// Like [`Vm::expect`] with a matcher over the unconsumed text, which returns where the
    /// match starts and ends; `what` names the awaited thing in errors. Returns the text before
    /// the match and the matched text.
    pub fn expect_with(
        &mut self,
        what: &str,
        timeout: Duration,
        matcher: impl Fn(&[u8]) -> Option<Found>,
    ) -> Result<(String, String), VmError> {
        let deadline = Instant::now() + timeout;
        let shared = Arc::clone(&self.shared);
        let mut console = shared.lock();
        loop {
            let unread = console.text.get(self.cursor..).unwrap_or_default();
            if let Some((start, end)) = matcher(unread) {
                let before = String::from_utf8_lossy(&unread[..start]).into_owned();
                let matched = String::from_utf8_lossy(&unread[start..end]).into_owned();
                self.cursor += end;
                return Ok((before, matched));
            }
            if console.closed {
                drop(console);
                let status = self.reap_after_close();
                return Err(self.fail(VmError::Exited {
                    waiting_for: what.to_string(),
                    status,
                }));
            }
            let now = Instant::now();
            if now >= deadline {
                drop(console);
                return Err(self.fail(VmError::Timeout {
                    waiting_for: what.to_string(),
                    after: timeout,
                }));
            }
            console = shared
                .changed
                .wait_timeout(console, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        }
    }

    /// How QEMU ended, once its console closed.
    fn reap_after_close(&mut self) -> String {
        match self.wait_exit(Duration::from_secs(5)) {
            Ok(status) => status.to_string(),
            Err(_) => "console closed".to_string(),
        }
    }

    /// Types raw bytes on the console (e.g. `b"\x03"` for Ctrl-C).
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), VmError> {
        let result = {
            let mut stdin = self
                .stdin
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            stdin.write_all(bytes).and_then(|()| stdin.flush())
        };
        result.map_err(|source| {
            self.fail(VmError::Io {
                what: "console input".to_string(),
                source,
            })
        })
    }

    /// Types `line` and Enter (a terminal sends `\r`; the tty turns it into `\n` in cooked mode,
    /// and a line editor in raw mode takes it as Enter).
    pub fn send_line(&mut self, line: &str) -> Result<(), VmError> {
        self.send(format!("{line}\r").as_bytes())
    }

    /// Runs `command` in the console shell; returns its output (stdout and stderr as the console
    /// shows them) if it exits with status 0, an error otherwise.
    pub fn run(&mut self, command: &str) -> Result<String, VmError> {
        let (status, output) = self.run_status(command)?;
        if status == 0 {
            Ok(output)
        } else {
            Err(self.fail(VmError::CommandFailed {
                command: command.to_string(),
                status,
                output,
            }))
        }
    }

    /// Runs `command` in the console shell and returns its exit status and output, then waits
    /// for the next prompt.
    ///
    /// The output is framed by two markers the shell prints around it. They are written with
    /// quotes (`__RROOT_BEGIN_"7"__`) so the echo of the typed line never matches what `echo`
    /// prints (`__RROOT_BEGIN_7__`); the end marker carries `$?`.
    pub fn run_status(&mut self, command: &str) -> Result<(i32, String), VmError> {
        self.run_status_within(command, COMMAND_TIMEOUT)
    }

    /// [`Vm::run_status`] for a command that may take longer than [`COMMAND_TIMEOUT`].
    pub fn run_status_within(
        &mut self,
        command: &str,
        timeout: Duration,
    ) -> Result<(i32, String), VmError> {
        let n = self.next_marker;
        self.next_marker += 1;
        self.send_line(&format!(
            "echo __RROOT_BEGIN_\"{n}\"__; {command}; echo __RROOT_END_\"{n}\"_$?__"
        ))?;
        let begin = format!("__RROOT_BEGIN_{n}__\n");
        self.expect(&begin, COMMAND_TIMEOUT)?;
        let what = format!("the end of `{command}`");
        let end_prefix = format!("__RROOT_END_{n}_");
        let (output, marker) = self.expect_with(&what, timeout, |text| {
            find_end_marker(text, end_prefix.as_bytes())
        })?;
        let status = marker_status(&marker, &end_prefix);
        let prompt = self.prompt.clone();
        self.expect(&prompt, COMMAND_TIMEOUT)?;
        Ok((status, output))
    }

    /// Waits for QEMU to exit by itself (poweroff, or reboot with `-no-reboot`).
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, VmError> {
        if let Some(status) = self.exit {
            return Ok(status);
        }
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.exit = Some(status);
                    // The reader sees EOF right after the exit; wait for it so the log is whole.
                    self.wait_console_closed(Duration::from_secs(5));
                    return Ok(status);
                }
                Ok(None) if Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(50));
                }
                Ok(None) => {
                    return Err(self.fail(VmError::Timeout {
                        waiting_for: "QEMU to exit".to_string(),
                        after: timeout,
                    }));
                }
                Err(source) => {
                    return Err(self.fail(VmError::Io {
                        what: "waiting for QEMU".to_string(),
                        source,
                    }));
                }
            }
        }
    }

    fn wait_console_closed(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut console = self.shared.lock();
        while !console.closed && Instant::now() < deadline {
            console = self
                .shared
                .changed
                .wait_timeout(console, remaining(deadline))
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        }
    }

    /// Sends one command to the QEMU monitor (needs [`Qemu::with_monitor`]) and returns its reply.
    pub fn monitor(&mut self, command: &str) -> Result<String, VmError> {
        let Some(socket) = self.monitor.clone() else {
            return Err(self.fail(VmError::Check(
                "monitor: this VM was booted without Qemu::with_monitor".to_string(),
            )));
        };
        self.monitor_exchange(&socket, command).map_err(|source| {
            self.fail(VmError::Io {
                what: format!("monitor {}", socket.display()),
                source,
            })
        })
    }

    fn monitor_exchange(&self, socket: &Path, command: &str) -> io::Result<String> {
        let mut stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        // The monitor greets with a banner and a `(qemu) ` prompt; answer after it.
        read_until(&mut stream, b"(qemu) ")?;
        stream.write_all(format!("{command}\n").as_bytes())?;
        let reply = read_until(&mut stream, b"(qemu) ")?;
        Ok(console::strip(&reply))
    }

    /// The whole console text so far (control sequences removed).
    pub fn console(&self) -> String {
        String::from_utf8_lossy(&self.shared.lock().text).into_owned()
    }

    /// QEMU's own stderr so far.
    pub fn qemu_stderr(&self) -> String {
        String::from_utf8_lossy(&self.shared.lock().stderr).into_owned()
    }

    /// Records a failure (so the log is printed on drop) and passes the error on.
    pub fn fail(&mut self, error: VmError) -> VmError {
        self.failed = true;
        error
    }

    /// Fails with `message` unless `condition` holds.
    pub fn check(
        &mut self,
        condition: bool,
        message: impl FnOnce() -> String,
    ) -> Result<(), VmError> {
        if condition {
            Ok(())
        } else {
            Err(self.fail(VmError::Check(message())))
        }
    }

    fn write_log(&self) -> Option<PathBuf> {
        let dir = workspace_root().join("target/vm-logs");
        std::fs::create_dir_all(&dir).ok()?;
        let path = dir.join(format!("{}.log", self.name));
        let mut log = self.console();
        let stderr = self.qemu_stderr();
        if !stderr.is_empty() {
            log.push_str("\n--- QEMU stderr ---\n");
            log.push_str(&stderr);
        }
        std::fs::write(&path, log).ok()?;
        Some(path)
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        if self.exit.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        if let Some(socket) = &self.monitor {
            let _ = std::fs::remove_file(socket);
        }
        let log = self.write_log();
        if self.failed || thread::panicking() {
            eprintln!(
                "===== console of VM {} ({:.1} s) =====\n{}",
                self.name,
                self.elapsed().as_secs_f64(),
                self.console()
            );
            let stderr = self.qemu_stderr();
            if !stderr.is_empty() {
                eprintln!("===== QEMU stderr =====\n{stderr}");
            }
            match log {
                Some(path) => eprintln!("===== end of console (saved in {}) =====", path.display()),
                None => eprintln!("===== end of console ====="),
            }
        }
    }
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Finds `PREFIX<digits>__` (the end marker with the command's status) in `text`.
fn find_end_marker(text: &[u8], prefix: &[u8]) -> Option<Found> {
    let mut from = 0;
    while let Some(at) = find(&text[from..], prefix) {
        let start = from + at;
        let digits_start = start + prefix.len();
        let digits = text[digits_start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let rest = &text[digits_start + digits..];
        if digits > 0 && rest.starts_with(b"__") {
            return Some((start, digits_start + digits + 2));
        }
        from = start + 1;
    }
    None
}

/// The status in an end marker `PREFIX<status>__` (found by [`find_end_marker`]).
fn marker_status(marker: &str, prefix: &str) -> i32 {
    marker
        .strip_prefix(prefix)
        .map(|rest| rest.trim_end_matches('_'))
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(-1)
}

fn read_until(stream: &mut UnixStream, terminator: &[u8]) -> io::Result<Vec<u8>> {
    let mut reply = Vec::new();
    let mut buf = [0u8; 1024];
    while find(&reply, terminator).is_none() {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed before its prompt",
            ));
        }
        reply.extend_from_slice(&buf[..n]);
    }
    Ok(reply)
}

/// Lines of a command's output, trimmed, without empty ones.
pub fn lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_marker_needs_digits_and_closing_underscores() {
        let prefix = b"__RROOT_END_3_";
        let cases: &[(&[u8], Option<Found>)] = &[
            (b"out\n__RROOT_END_3_0__\n", Some((4, 21))),
            (b"__RROOT_END_3_127__", Some((0, 19))),
            // The echo of the typed line shows `$?`, not digits.
            (b"echo __RROOT_END_\"3\"_$?__", None),
            (b"__RROOT_END_3_$?__ then __RROOT_END_3_1__", Some((24, 41))),
            (b"__RROOT_END_3_12", None),
            (b"__RROOT_END_3___", None),
            (b"__RROOT_END_31_0__", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                find_end_marker(text, prefix),
                *want,
                "text {:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn marker_status_reads_digits() {
        let cases = [
            ("__RROOT_END_3_0__", 0),
            ("__RROOT_END_3_130__", 130),
            ("__RROOT_END_4_1__", -1),
        ];
        for (marker, want) in cases {
            assert_eq!(marker_status(marker, "__RROOT_END_3_"), want, "{marker}");
        }
    }

    #[test]
    fn find_locates_first_occurrence() {
        let cases: &[(&[u8], &[u8], Option<usize>)] = &[
            (b"abc# def# ", b"# ", Some(3)),
            (b"abc", b"abcd", None),
            (b"", b"x", None),
            (b"x", b"", Some(0)),
        ];
        for (haystack, needle, want) in cases {
            assert_eq!(find(haystack, needle), *want);
        }
    }

    #[test]
    fn io_reason_drops_os_error_number() {
        let err = io::Error::from_raw_os_error(2);
        assert_eq!(io_reason(&err), "No such file or directory");
    }

    #[test]
    fn qemu_command_line_has_serial_console_and_no_network_by_default() {
        let qemu = Qemu {
            name: "t".to_string(),
            qemu: "qemu-system-x86_64".into(),
            kernel: "/k/vmlinuz".into(),
            initramfs: "/i.cpio.gz".into(),
            memory_mib: 512,
            cmdline: vec!["console=ttyS0".to_string(), "panic=-1".to_string()],
            disks: Vec::new(),
            nic: "none".to_string(),
            monitor: false,
            extra: Vec::new(),
        }
        .with_cmdline("quiet")
        .disk("/d.img");
        let args: Vec<String> = qemu
            .command(None)
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = args.join(" ");
        for want in [
            "-accel tcg",
            "-m 512",
            "-serial stdio",
            "-no-reboot",
            "-nic none",
            "-kernel /k/vmlinuz",
            "-initrd /i.cpio.gz",
            "-append console=ttyS0 panic=-1 quiet",
            "-monitor none",
            "-drive file=/d.img,format=raw,if=virtio",
        ] {
            assert!(joined.contains(want), "{want:?} not in {joined:?}");
        }
        let net = qemu.user_net(&[(8080, 80)]);
        let joined: Vec<String> = net
            .command(Some(Path::new("/tmp/m.sock")))
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = joined.join(" ");
        assert!(joined.contains("-nic user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:8080-:80"));
        assert!(joined.contains("-monitor unix:/tmp/m.sock,server=on,wait=off"));
    }

    #[test]
    fn free_tcp_port_can_be_bound() {
        let port = free_tcp_port().expect("a free port");
        assert_ne!(port, 0);
        std::net::TcpListener::bind(("127.0.0.1", port)).expect("port still free");
    }

    #[test]
    fn newest_entry_picks_last_by_name() {
        let dir = std::env::temp_dir().join(format!("rroot-vmtests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        for name in [
            "vmlinuz-6.1.0-9-amd64",
            "vmlinuz-6.1.0-10-amd64",
            "config-6.1.0-10-amd64",
        ] {
            std::fs::write(dir.join(name), b"").expect("write");
        }
        assert_eq!(
            newest_entry(&dir, "vmlinuz-"),
            Some(dir.join("vmlinuz-6.1.0-10-amd64"))
        );
        assert_eq!(newest_entry(&dir, "initrd-"), None);
        assert_eq!(newest_entry(&dir.join("missing"), ""), None);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn version_order() {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let cases = [
            ("6.1.0-10-amd64", "6.1.0-9-amd64", Greater),
            ("6.1.0-9-amd64", "6.1.0-9-amd64", Equal),
            ("6.1.0-9-amd64", "6.10.0-1-amd64", Less),
            ("6.1.0-09", "6.1.0-9", Equal),
            ("6.1", "6.1.0", Less),
            ("a", "b", Less),
            ("", "", Equal),
        ];
        for (a, b, want) in cases {
            assert_eq!(version_cmp(a, b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn lines_trims_and_drops_empty() {
        assert_eq!(lines("  a \n\n b\n"), vec!["a", "b"]);
    }
}

// Helpers added after the unit tests above, kept in modules (clippy's items_after_test_module
// accepts modules there).
pub use host::{find_rbox, host_command, module_initramfs, scratch_dir};

/// What tests prepare on the host before booting: their own initramfs, disks, scratch space.
pub mod host {
    use super::*;

    /// The rbox binary that tests bundle into their own initramfs images: `$RBOX`, else the musl
    /// release build that `just initramfs` makes.
    pub fn find_rbox() -> Result<PathBuf, VmError> {
        if let Some(path) = std::env::var_os("RBOX") {
            return existing(PathBuf::from(path), "rbox", "set by RBOX=".to_string());
        }
        existing(
            workspace_root().join("target/x86_64-unknown-linux-musl/release/rbox"),
            "rbox",
            "run `just initramfs` (builds it), or set RBOX=".to_string(),
        )
    }

    /// A fresh directory `target/vm-tests/NAME` for one test's files (disks, images); whatever an
    /// earlier run left there is removed first.
    pub fn scratch_dir(name: &str) -> Result<PathBuf, VmError> {
        let dir = workspace_root().join("target/vm-tests").join(name);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(VmError::Io {
                    what: dir.display().to_string(),
                    source,
                })
            }
        }
        std::fs::create_dir_all(&dir).map_err(|source| VmError::Io {
            what: dir.display().to_string(),
            source,
        })?;
        Ok(dir)
    }

    /// Runs a host program to completion; its stdout if it exits 0, an error with its stderr
    /// otherwise. `hint` says where to get the program when it is not installed.
    pub fn host_command(cmd: &mut Command, hint: &str) -> Result<String, VmError> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        let words: Vec<String> = std::iter::once(program.clone())
            .chain(cmd.get_args().map(|a| a.to_string_lossy().into_owned()))
            .collect();
        let output = cmd.stdin(Stdio::null()).output().map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                VmError::Check(format!("{program}: not found ({hint})"))
            } else {
                VmError::Spawn {
                    program: program.clone(),
                    source,
                }
            }
        })?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            return Ok(stdout);
        }
        let mut text = stdout;
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        Err(VmError::CommandFailed {
            command: words.join(" "),
            status: output.status.code().unwrap_or(-1),
            output: text,
        })
    }

    /// An initramfs with the stock kernel's modules for VMs (virtio_blk, virtio_net, ext4, …)
    /// bundled by `rroot initramfs --kernel-modules`, from [`find_rroot`], [`find_rbox`] and
    /// [`find_kernel_modules`]. Built once per test process into
    /// `target/vm-tests/initramfs-modules.cpio.gz` (written aside and renamed, so test binaries
    /// running at the same time never see half a file).
    pub fn module_initramfs() -> Result<PathBuf, VmError> {
        static BUILT: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
        BUILT
            .get_or_init(|| build_module_initramfs().map_err(|e| e.to_string()))
            .clone()
            .map_err(VmError::Check)
    }

    fn build_module_initramfs() -> Result<PathBuf, VmError> {
        let rroot = find_rroot()?;
        let rbox = find_rbox()?;
        let modules = find_kernel_modules()?;
        let dir = workspace_root().join("target/vm-tests");
        std::fs::create_dir_all(&dir).map_err(|source| VmError::Io {
            what: dir.display().to_string(),
            source,
        })?;
        let path = dir.join("initramfs-modules.cpio.gz");
        let partial = dir.join(format!(
            "initramfs-modules.{}.partial.gz",
            std::process::id()
        ));
        host_command(
            Command::new(&rroot)
                .arg("initramfs")
                .arg("--rbox")
                .arg(&rbox)
                .arg("--kernel-modules")
                .arg(&modules)
                .arg("-o")
                .arg(&partial),
            "build it with `just initramfs`",
        )
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&partial);
        })?;
        std::fs::rename(&partial, &path).map_err(|source| VmError::Io {
            what: path.display().to_string(),
            source,
        })?;
        Ok(path)
    }
}

/// Waiting on init's log lines.
mod console_log {
    use super::*;

    impl Vm {
        /// Waits until the console shows `text` anywhere since boot, whether before or after
        /// what [`Vm::expect`] consumed: for init's log lines, which interleave with the
        /// shell's prompt in no fixed order. Leaves the console cursor alone.
        pub fn wait_for_log(&mut self, text: &str, timeout: Duration) -> Result<(), VmError> {
            let deadline = Instant::now() + timeout;
            let waiting_for = format!("{text:?} in the console log");
            let shared = Arc::clone(&self.shared);
            let mut console = shared.lock();
            loop {
                if find(&console.text, text.as_bytes()).is_some() {
                    return Ok(());
                }
                if console.closed {
                    drop(console);
                    let status = self.reap_after_close();
                    return Err(self.fail(VmError::Exited {
                        waiting_for,
                        status,
                    }));
                }
                let now = Instant::now();
                if now >= deadline {
                    drop(console);
                    return Err(self.fail(VmError::Timeout {
                        waiting_for,
                        after: timeout,
                    }));
                }
                console = shared
                    .changed
                    .wait_timeout(console, deadline - now)
                    .map(|(guard, _)| guard)
                    .unwrap_or_else(|poisoned| poisoned.into_inner().0);
            }
        }
    }
}
