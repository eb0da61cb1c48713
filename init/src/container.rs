//! The image's process, started the way `docker run IMAGE` starts it: the image config that
//! `rroot disk` stores at `/.rroot/config.json` on the root disk, plus the kernel command line's
//! overrides, composed into a [`ContainerPlan`] (pure, table-tested), then started chrooted at
//! the mounted disk by [`Container::start`] and supervised by init's main loop.
//!
//! What follows Docker (moby's `CreateDaemonEnvironment`, runc's `setupUser`/`finalizeNamespace`):
//! - command: Entrypoint + Cmd; `entrypoint=` replaces Entrypoint and, like `--entrypoint`,
//!   drops the image's Cmd unless `cmd=` gives one; `entrypoint=` empty resets Entrypoint and
//!   keeps Cmd; values are split shell-style ([`split_shell`]);
//! - environment: `PATH` (Docker's default, replaced in place by the image's), `HOSTNAME`,
//!   the image's `Env` (later entries replace earlier, `KEY` without `=` removes), then `HOME`
//!   from passwd when still unset; no `TERM`, as `docker run` without `-t`;
//! - the working directory is created when missing (0755, root's);
//! - the user as in [`crate::user`]: setgroups, setgid, setuid, in that order;
//! - a program without `/` is looked up in the command's own `PATH`, inside the chroot;
//! - exec failing is 127 for a missing program, 126 otherwise ([`ContainerError::exit_code`]).
//!
//! What differs: stdin is `/dev/null` and stdout/stderr are `/dev/console`, so the service's
//! log lines appear on the console like `docker run`'s attached output (and in the serial log
//! of a VM); the process is its own session leader without a controlling terminal, so Ctrl-C
//! in the debugging shell on the same console never reaches it. There are no namespaces: the
//! process shares the machine's pid, network and mount namespaces (the machine is the
//! container).

use std::ffi::{CString, OsStr};
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use thiserror::Error;

use crate::cmdline::KernelCmdline;
use crate::json::{Json, JsonError};
use crate::shutdown::ShutdownKind;
use crate::supervise::backoff;
use crate::sys::{errno_of, System};
use crate::user::{Accounts, UserError};

/// Where `rroot disk` puts the image config, relative to the disk's root.
pub const CONFIG_PATH: &str = ".rroot/config.json";
/// Docker's PATH when the image sets none (moby `system.DefaultPathEnv`).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Debug, Error)]
pub enum ContainerError {
    #[error("config: {}: {}", path.display(), errno_of(source).desc())]
    ConfigRead { path: PathBuf, source: io::Error },
    #[error("config: {}: {source}", path.display())]
    ConfigParse { path: PathBuf, source: JsonError },
    #[error("config: {field}: expected {expected}")]
    ConfigField {
        field: &'static str,
        expected: &'static str,
    },
    #[error("{param}=: {reason}")]
    Split {
        param: &'static str,
        reason: &'static str,
    },
    #[error("entrypoint: no command: the image has no Entrypoint or Cmd")]
    NoCommand,
    #[error("entrypoint: {0}")]
    User(#[from] UserError),
    #[error("entrypoint: {}: {}", path.display(), errno_of(source).desc())]
    Open { path: PathBuf, source: io::Error },
    #[error("entrypoint: chroot {}: {}", path.display(), errno_of(source).desc())]
    Chroot { path: PathBuf, source: io::Error },
    #[error("entrypoint: working directory {}: {}", path.display(), errno_of(source).desc())]
    WorkingDir { path: PathBuf, source: io::Error },
    #[error("entrypoint: setgroups {groups:?}: {}", errno_of(source).desc())]
    SetGroups { groups: Vec<u32>, source: io::Error },
    #[error("entrypoint: setgid {gid}: {}", errno_of(source).desc())]
    SetGid { gid: u32, source: io::Error },
    #[error("entrypoint: setuid {uid}: {}", errno_of(source).desc())]
    SetUid { uid: u32, source: io::Error },
    #[error("entrypoint: {program}: {}", errno_of(source).desc())]
    Exec { program: String, source: io::Error },
}

impl ContainerError {
    /// The status `docker run` would end with: 127 when the program is not there, 126 when it
    /// could not be run, 125 for errors before that (config, user).
    pub fn exit_code(&self) -> i32 {
        match self {
            ContainerError::Exec { source, .. }
                if matches!(errno_of(source), Errno::ENOENT | Errno::ENOTDIR) =>
            {
                127
            }
            ContainerError::Exec { .. }
            | ContainerError::Chroot { .. }
            | ContainerError::WorkingDir { .. }
            | ContainerError::SetGroups { .. }
            | ContainerError::SetGid { .. }
            | ContainerError::SetUid { .. }
            | ContainerError::Open { .. } => 126,
            _ => 125,
        }
    }
}

/// The parts of an image config (image-spec config.md, `config` object) init uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    /// `None`: not set (JSON null or missing), which differs from `[]` for overrides.
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub user: String,
    pub stop_signal: String,
    /// `80/tcp`, … sorted; for the log (the machine has its own network, nothing to publish).
    pub exposed_ports: Vec<String>,
    /// `docker.io/library/nginx:latest`, when `rroot disk` wrote the file.
    pub reference: String,
    pub digest: String,
}

impl ImageConfig {
    /// Parse `/.rroot/config.json` as `rroot disk` writes it (`{"reference", "digest",
    /// "config": {…}}`), a whole OCI image config (`{"config": {…}, "rootfs": …}`), Docker's
    /// inspect form (`"Config"`), or a bare config object (`{"Entrypoint": …}`).
    pub fn from_json(doc: &Json) -> Result<ImageConfig, ContainerError> {
        if doc.as_object().is_none() {
            return Err(ContainerError::ConfigField {
                field: "(document)",
                expected: "an object",
            });
        }
        let inner = doc.get("config").or_else(|| doc.get("Config"));
        let cfg = match inner {
            Some(Json::Null) => &Json::Object(Vec::new()),
            Some(c @ Json::Object(_)) => c,
            Some(_) => {
                return Err(ContainerError::ConfigField {
                    field: "config",
                    expected: "an object",
                })
            }
            None => doc,
        };
        let text = |field: &'static str| -> Result<String, ContainerError> {
            match cfg.get(field) {
                None | Some(Json::Null) => Ok(String::new()),
                Some(Json::String(s)) => Ok(s.clone()),
                Some(_) => Err(ContainerError::ConfigField {
                    field,
                    expected: "a string",
                }),
            }
        };
        let top_text = |field| {
            doc.get(field)
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string()
        };
        Ok(ImageConfig {
            entrypoint: string_list(cfg, "Entrypoint")?,
            cmd: string_list(cfg, "Cmd")?,
            env: string_list(cfg, "Env")?.unwrap_or_default(),
            working_dir: text("WorkingDir")?,
            user: text("User")?,
            stop_signal: text("StopSignal")?,
            exposed_ports: match cfg.get("ExposedPorts") {
                Some(Json::Object(ports)) => {
                    let mut v: Vec<String> = ports.iter().map(|(k, _)| k.clone()).collect();
                    v.sort();
                    v
                }
                _ => Vec::new(),
            },
            reference: top_text("reference"),
            digest: top_text("digest"),
        })
    }

    /// Read and parse `ROOT/.rroot/config.json`.
    pub fn read(root: &Path) -> Result<ImageConfig, ContainerError> {
        let path = root.join(CONFIG_PATH);
        let bytes = std::fs::read(&path).map_err(|source| ContainerError::ConfigRead {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let doc = Json::parse(&text).map_err(|source| ContainerError::ConfigParse {
            path: path.clone(),
            source,
        })?;
        ImageConfig::from_json(&doc)
    }
}

/// A list of strings, null or missing (`None`); a single string counts as a one-element list,
/// as Docker's `StrSlice` reads it.
fn string_list(cfg: &Json, field: &'static str) -> Result<Option<Vec<String>>, ContainerError> {
    let bad = || ContainerError::ConfigField {
        field,
        expected: "an array of strings",
    };
    match cfg.get(field) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Json::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(bad()),
    }
}

/// Split a command line value into words like a POSIX shell does, without expansions: white
/// space separates, single quotes keep everything, double quotes keep everything but `\"`,
/// `\\`, `\$` and `` \` ``, a backslash outside quotes keeps the next character. (The kernel
/// removes double quotes from its command line before init sees it, so use single quotes
/// there: `entrypoint="/usr/sbin/nginx -g 'daemon off;'"`.)
pub fn split_shell(text: &str) -> Result<Vec<String>, &'static str> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated single quote"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unterminated double quote"),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unterminated double quote"),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => return Err("backslash at the end"),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// What the kernel command line changes: `entrypoint=`, `cmd=` (split with [`split_shell`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
}

impl Overrides {
    pub fn from_cmdline(cmdline: &KernelCmdline) -> Result<Overrides, ContainerError> {
        let split = |param: &'static str| {
            cmdline
                .get(param)
                .map(|v| split_shell(v).map_err(|reason| ContainerError::Split { param, reason }))
                .transpose()
        };
        Ok(Overrides {
            entrypoint: split("entrypoint")?,
            cmd: split("cmd")?,
        })
    }
}

/// Everything needed to start the process, decided before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerPlan {
    /// The directory to chroot into (`/mnt`); `/` runs without chroot.
    pub root: PathBuf,
    /// argv; `argv[0]` is also the program, looked up in `PATH` when it has no `/`.
    pub argv: Vec<String>,
    /// `KEY=VALUE`, in order.
    pub env: Vec<String>,
    /// Absolute, inside the root.
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub stop_signal: Signal,
    /// What the log should say about the plan (an unknown StopSignal).
    pub warnings: Vec<String>,
}

/// The entrypoint's argv (see the module header for Docker's rules).
pub fn command(config: &ImageConfig, overrides: &Overrides) -> Result<Vec<String>, ContainerError> {
    let (entrypoint, cmd) = match &overrides.entrypoint {
        Some(ep) if !ep.is_empty() => (ep.clone(), overrides.cmd.clone().unwrap_or_default()),
        Some(_) => (
            Vec::new(),
            overrides
                .cmd
                .clone()
                .or_else(|| config.cmd.clone())
                .unwrap_or_default(),
        ),
        None => (
            config.entrypoint.clone().unwrap_or_default(),
            overrides
                .cmd
                .clone()
                .or_else(|| config.cmd.clone())
                .unwrap_or_default(),
        ),
    };
    let argv: Vec<String> = entrypoint.into_iter().chain(cmd).collect();
    if argv.first().is_none_or(|p| p.is_empty()) {
        return Err(ContainerError::NoCommand);
    }
    Ok(argv)
}

fn env_key(kv: &str) -> &str {
    kv.split_once('=').map_or(kv, |(k, _)| k)
}

/// moby's ReplaceOrAppendEnvValues: each `K=V` replaces `K` in place or is appended; a bare
/// `K` removes it.
fn replace_or_append(env: &mut Vec<String>, overrides: &[String]) {
    for kv in overrides {
        let key = env_key(kv);
        let pos = env.iter().position(|e| env_key(e) == key);
        match (kv.contains('='), pos) {
            (true, Some(i)) => env[i] = kv.clone(),
            (true, None) => env.push(kv.clone()),
            (false, Some(i)) => {
                env.remove(i);
            }
            (false, None) => {}
        }
    }
}

/// The process environment: Docker's defaults, the image's Env, HOME.
pub fn environment(image_env: &[String], hostname: &str, home: &str) -> Vec<String> {
    let mut env = vec![
        format!("PATH={DEFAULT_PATH}"),
        format!("HOSTNAME={hostname}"),
    ];
    replace_or_append(&mut env, image_env);
    if !env.iter().any(|e| env_key(e) == "HOME") {
        env.push(format!("HOME={home}"));
    }
    env
}

/// A signal by name (`SIGQUIT`, `quit`) or number (`3`), as Docker's `signal.ParseSignal`.
pub fn parse_signal(text: &str) -> Option<Signal> {
    if let Ok(n) = text.parse::<i32>() {
        return Signal::try_from(n).ok();
    }
    let upper = text.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    name.parse().ok()
}

/// Compose the plan. Pure: `accounts` are the image's passwd and group, `hostname` the
/// machine's.
pub fn plan(
    root: &Path,
    config: &ImageConfig,
    overrides: &Overrides,
    accounts: &Accounts,
    hostname: &str,
) -> Result<ContainerPlan, ContainerError> {
    let argv = command(config, overrides)?;
    let id = accounts.resolve(&config.user)?;
    let env = environment(&config.env, hostname, &id.home);
    let cwd = match config.working_dir.as_str() {
        "" => "/".to_string(),
        d if d.starts_with('/') => d.to_string(),
        d => format!("/{d}"),
    };
    let mut warnings = Vec::new();
    let stop_signal = match config.stop_signal.as_str() {
        "" => Signal::SIGTERM,
        s => parse_signal(s).unwrap_or_else(|| {
            warnings.push(format!("StopSignal {s}: unknown signal, using SIGTERM"));
            Signal::SIGTERM
        }),
    };
    Ok(ContainerPlan {
        root: root.to_path_buf(),
        argv,
        env,
        cwd,
        uid: id.uid,
        gid: id.gid,
        groups: id.groups,
        stop_signal,
        warnings,
    })
}

/// Read the config and accounts under `root` (the mounted disk) and compose the plan.
pub fn plan_from_root(
    root: &Path,
    cmdline: &KernelCmdline,
    hostname: &str,
) -> Result<ContainerPlan, ContainerError> {
    let config = ImageConfig::read(root)?;
    let overrides = Overrides::from_cmdline(cmdline)?;
    let accounts = Accounts::read(root)?;
    plan(root, &config, &overrides, &accounts, hostname)
}

fn cstring(s: &[u8]) -> CString {
    // Config strings come from JSON and cannot hold NUL after \u0000 is read; cut there.
    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
    CString::new(&s[..end]).unwrap_or_default()
}

/// `/a/b/c` → `/a`, `/a/b`, `/a/b/c`, prepared before fork so the child allocates nothing.
fn path_prefixes(path: &str) -> Vec<CString> {
    let mut out = Vec::new();
    let mut acc = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        acc.push('/');
        acc.push_str(part);
        out.push(cstring(acc.as_bytes()));
    }
    out
}

/// The step the child was at when it failed, sent to the parent before its errno.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Step {
    Chroot = 1,
    WorkingDir,
    SetGroups,
    SetGid,
    SetUid,
}

/// A running entrypoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pid: Pid,
    started: Instant,
    stop_signal: Signal,
    program: String,
}

impl Container {
    /// Start the plan's process: fork, and in the child setsid, chroot to `plan.root`,
    /// create and enter the working directory, set groups, gid and uid, reset signals, exec.
    /// Returns once the exec succeeded; any failure on the way comes back as the error of that
    /// step (and the child is gone). The caller reaps the running process.
    pub fn start(plan: &ContainerPlan) -> Result<Container, ContainerError> {
        Container::start_with_stdio(plan, Path::new("/dev/null"), Path::new("/dev/console"))
    }

    /// [`Container::start`] with other files for stdin and for stdout/stderr (tests).
    pub fn start_with_stdio(
        plan: &ContainerPlan,
        stdin: &Path,
        console: &Path,
    ) -> Result<Container, ContainerError> {
        let open = |path: &Path, write: bool| {
            OpenOptions::new()
                .read(!write)
                .append(write)
                // The entrypoint must not get the console as controlling terminal.
                .custom_flags(libc::O_NOCTTY)
                .open(path)
                .map_err(|source| ContainerError::Open {
                    path: path.to_path_buf(),
                    source,
                })
        };
        let stdin = open(stdin, false)?;
        let out = open(console, true)?;
        let err = out.try_clone().map_err(|source| ContainerError::Open {
            path: console.to_path_buf(),
            source,
        })?;
        let program = plan.argv.first().cloned().unwrap_or_default();

        // Everything the child needs, made now: after fork only system calls happen.
        let chroot =
            (plan.root != Path::new("/")).then(|| cstring(plan.root.as_os_str().as_bytes()));
        let cwd_parts = path_prefixes(&plan.cwd);
        let cwd = cstring(plan.cwd.as_bytes());
        let gids: Vec<libc::gid_t> = plan.groups.clone();
        let (uid, gid) = (plan.uid, plan.gid);
        // Unprivileged runs (tests) cannot setgroups even to the same list; skip what would
        // change nothing.
        let same_identity = nix::unistd::getuid().as_raw() == uid
            && nix::unistd::getgid().as_raw() == gid
            && nix::unistd::getgroups()
                .map(|g| g.iter().map(|g| g.as_raw()).collect::<Vec<_>>() == gids)
                .unwrap_or(false);
        let (report_r, report_w) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| ContainerError::Exec {
                program: program.clone(),
                source: io::Error::from(e),
            })?;
        let report_fd = report_w.as_raw_fd();

        let mut command = Command::new(OsStr::from_bytes(program.as_bytes()));
        command
            .args(plan.argv.iter().skip(1))
            .env_clear()
            .envs(plan.env.iter().map(|kv| match kv.split_once('=') {
                Some((k, v)) => (k, v),
                None => (kv.as_str(), ""),
            }))
            .stdin(Stdio::from(stdin))
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child_setup = move || -> io::Result<()> {
            let fail = |step: Step| {
                let errno = io::Error::last_os_error();
                let code = errno.raw_os_error().unwrap_or(libc::EIO);
                let mut msg = [0u8; 5];
                msg[0] = step as u8;
                msg[1..].copy_from_slice(&code.to_ne_bytes());
                // SAFETY: writes 5 bytes from a stack buffer to the report pipe.
                unsafe { libc::write(report_fd, msg.as_ptr().cast(), msg.len()) };
                Err(errno)
            };
            crate::console::reset_signals();
            // SAFETY: plain system calls on C strings and arrays that live in the
            // closure (made before fork).
            unsafe {
                libc::setsid();
                if let Some(root) = &chroot {
                    if libc::chroot(root.as_ptr()) != 0 {
                        return fail(Step::Chroot);
                    }
                }
                if libc::chdir(c"/".as_ptr()) != 0 {
                    return fail(Step::Chroot);
                }
                for dir in &cwd_parts {
                    if libc::mkdir(dir.as_ptr(), 0o755) != 0 && Errno::last_raw() != libc::EEXIST {
                        return fail(Step::WorkingDir);
                    }
                }
                if libc::chdir(cwd.as_ptr()) != 0 {
                    return fail(Step::WorkingDir);
                }
                if !same_identity {
                    if libc::setgroups(gids.len(), gids.as_ptr()) != 0 {
                        return fail(Step::SetGroups);
                    }
                    if libc::setgid(gid) != 0 {
                        return fail(Step::SetGid);
                    }
                    if libc::setuid(uid) != 0 {
                        return fail(Step::SetUid);
                    }
                }
            }
            Ok(())
        };
        // SAFETY: the closure runs in the forked child before exec. It only makes
        // async-signal-safe system calls (sigaction, sigprocmask, setsid, chroot, chdir,
        // mkdir, setgroups, setgid, setuid, write) on data prepared before the fork; it
        // allocates nothing and takes no locks.
        unsafe { command.pre_exec(child_setup) };
        let spawned = command.spawn();
        drop(command);
        drop(report_w);
        let child = match spawned {
            Ok(child) => child,
            Err(source) => {
                return Err(Container::step_error(plan, &program, report_r, source));
            }
        };
        Ok(Container {
            pid: Pid::from_raw(child.id() as i32),
            started: Instant::now(),
            stop_signal: plan.stop_signal,
            program,
        })
    }

    /// Which step failed, from the report pipe; no report means exec itself failed.
    fn step_error(
        plan: &ContainerPlan,
        program: &str,
        report: OwnedFd,
        source: io::Error,
    ) -> ContainerError {
        let mut msg = [0u8; 5];
        let step = match File::from(report).read_exact(&mut msg) {
            Ok(()) => msg[0],
            Err(_) => 0,
        };
        match step {
            s if s == Step::Chroot as u8 => ContainerError::Chroot {
                path: plan.root.clone(),
                source,
            },
            s if s == Step::WorkingDir as u8 => ContainerError::WorkingDir {
                path: PathBuf::from(&plan.cwd),
                source,
            },
            s if s == Step::SetGroups as u8 => ContainerError::SetGroups {
                groups: plan.groups.clone(),
                source,
            },
            s if s == Step::SetGid as u8 => ContainerError::SetGid {
                gid: plan.gid,
                source,
            },
            s if s == Step::SetUid as u8 => ContainerError::SetUid {
                uid: plan.uid,
                source,
            },
            _ => ContainerError::Exec {
                program: program.to_string(),
                source,
            },
        }
    }

    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// When it was started, for [`exit_action`].
    pub fn started(&self) -> Instant {
        self.started
    }

    /// argv[0], for the log.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The image's StopSignal, SIGTERM by default.
    pub fn stop_signal(&self) -> Signal {
        self.stop_signal
    }

    /// Ask it to stop: its StopSignal to it alone, as `docker stop` does (the process tells
    /// its children; init's shutdown kills what is left after the grace period).
    pub fn stop(&self, sys: &mut dyn System) -> Result<(), Errno> {
        sys.kill(self.pid.as_raw(), self.stop_signal)
    }
}

/// What to do when the entrypoint ends: `rroot.on_exit=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnExit {
    /// Keep the machine up with the console shell, for debugging (the default).
    #[default]
    Shell,
    PowerOff,
    Reboot,
    /// Start it again; with a back-off when it dies at once.
    Restart,
}

impl OnExit {
    pub fn parse(text: &str) -> Option<OnExit> {
        match text {
            "shell" => Some(OnExit::Shell),
            "poweroff" => Some(OnExit::PowerOff),
            "reboot" => Some(OnExit::Reboot),
            "restart" => Some(OnExit::Restart),
            _ => None,
        }
    }

    /// `rroot.on_exit=` from the command line; an unknown value is returned as `Err` with the
    /// default, so the caller can log it and go on.
    pub fn from_cmdline(cmdline: &KernelCmdline) -> Result<OnExit, (OnExit, String)> {
        match cmdline.get("rroot.on_exit") {
            None => Ok(OnExit::default()),
            Some(v) => OnExit::parse(v).ok_or_else(|| {
                (
                    OnExit::default(),
                    format!("rroot.on_exit={v}: expected shell, poweroff, reboot or restart"),
                )
            }),
        }
    }
}

/// What init does after the entrypoint ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitAction {
    /// Nothing: the machine stays up with its shell.
    Stay,
    Shutdown(ShutdownKind),
    /// Start it again after this delay.
    Restart(Duration),
}

/// Decide on the entrypoint's end: `runtime` is how long it ran (zero when it could not be
/// started), `previous_delay` the last restart delay (zero at first).
pub fn exit_action(policy: OnExit, runtime: Duration, previous_delay: Duration) -> ExitAction {
    match policy {
        OnExit::Shell => ExitAction::Stay,
        OnExit::PowerOff => ExitAction::Shutdown(ShutdownKind::PowerOff),
        OnExit::Reboot => ExitAction::Shutdown(ShutdownKind::Reboot),
        OnExit::Restart => ExitAction::Restart(backoff(runtime, previous_delay)),
    }
}

/// The entrypoint under supervision, for init's main loop, like `supervise::Respawn` for the
/// shell: started once at boot, and after each end what [`OnExit`] says. Time is passed in.
#[derive(Debug)]
pub struct Entrypoint {
    plan: ContainerPlan,
    policy: OnExit,
    running: Option<Container>,
    delay: Duration,
    next_start: Option<Instant>,
    stdio: (PathBuf, PathBuf),
}

impl Entrypoint {
    /// Not running yet, due at once.
    pub fn new(plan: ContainerPlan, policy: OnExit, now: Instant) -> Entrypoint {
        Entrypoint {
            plan,
            policy,
            running: None,
            delay: Duration::ZERO,
            next_start: Some(now),
            stdio: ("/dev/null".into(), "/dev/console".into()),
        }
    }

    /// Other files for stdin and stdout/stderr than `/dev/null` and `/dev/console` (tests).
    pub fn with_stdio(mut self, stdin: &Path, console: &Path) -> Entrypoint {
        self.stdio = (stdin.to_path_buf(), console.to_path_buf());
        self
    }

    pub fn plan(&self) -> &ContainerPlan {
        &self.plan
    }

    /// The running process.
    pub fn container(&self) -> Option<&Container> {
        self.running.as_ref()
    }

    pub fn pid(&self) -> Option<Pid> {
        self.running.as_ref().map(Container::pid)
    }

    /// Start it ([`Container::start`]). A failure counts as an immediate exit: the error is
    /// returned with what to do next.
    pub fn start(&mut self, now: Instant) -> Result<Pid, (ContainerError, ExitAction)> {
        match Container::start_with_stdio(&self.plan, &self.stdio.0, &self.stdio.1) {
            Ok(c) => Ok(self.started(c)),
            Err(e) => Err((e, self.ended(now, Duration::ZERO))),
        }
    }

    /// Note a started process (what [`Entrypoint::start`] does after the fork).
    pub fn started(&mut self, container: Container) -> Pid {
        let pid = container.pid();
        self.running = Some(container);
        self.next_start = None;
        pid
    }

    /// The process was reaped: what to do now. With [`ExitAction::Restart`] it is due again
    /// after the delay ([`Entrypoint::due`]).
    pub fn exited(&mut self, now: Instant) -> ExitAction {
        let runtime = self.running.take().map_or(Duration::ZERO, |c| {
            now.saturating_duration_since(c.started())
        });
        self.ended(now, runtime)
    }

    fn ended(&mut self, now: Instant, runtime: Duration) -> ExitAction {
        self.running = None;
        let action = exit_action(self.policy, runtime, self.delay);
        self.next_start = match action {
            ExitAction::Restart(d) => {
                self.delay = d;
                Some(now.checked_add(d).unwrap_or(now))
            }
            _ => None,
        };
        action
    }

    /// Whether it should be started now.
    pub fn due(&self, now: Instant) -> bool {
        self.next_start.is_some_and(|t| t <= now)
    }

    /// How long the main loop may wait before a start is due (`None`: none pending).
    pub fn timeout(&self, now: Instant) -> Option<Duration> {
        self.next_start.map(|t| t.saturating_duration_since(now))
    }

    /// Stop for good (shutdown): no restart, and its StopSignal sent if it runs. Returns the
    /// pid signalled.
    pub fn stop(&mut self, sys: &mut dyn System) -> Option<Pid> {
        self.next_start = None;
        let c = self.running.as_ref()?;
        let _ = c.stop(sys);
        Some(c.pid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::RecordingSystem;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn config(entrypoint: Option<&[&str]>, cmd: Option<&[&str]>) -> ImageConfig {
        ImageConfig {
            entrypoint: entrypoint.map(strings),
            cmd: cmd.map(strings),
            ..ImageConfig::default()
        }
    }

    #[test]
    fn split_shell_table() {
        let cases: &[(&str, Result<&[&str], &str>)] = &[
            ("", Ok(&[])),
            ("  ", Ok(&[])),
            (
                "/usr/sbin/nginx -g 'daemon off;'",
                Ok(&["/usr/sbin/nginx", "-g", "daemon off;"]),
            ),
            ("a  b\tc", Ok(&["a", "b", "c"])),
            ("''", Ok(&[""])),
            ("a'b c'd", Ok(&["ab cd"])),
            (
                r#"sh -c "echo \"hi\" \$HOME \n""#,
                Ok(&["sh", "-c", "echo \"hi\" $HOME \\n"]),
            ),
            (r"a\ b c\'d", Ok(&["a b", "c'd"])),
            (r"'a\b'", Ok(&["a\\b"])),
            ("'open", Err("unterminated single quote")),
            ("\"open", Err("unterminated double quote")),
            ("end\\", Err("backslash at the end")),
        ];
        for (text, want) in cases {
            let got = split_shell(text);
            match want {
                Ok(w) => assert_eq!(got, Ok(strings(w)), "{text:?}"),
                Err(e) => assert_eq!(got, Err(*e), "{text:?}"),
            }
        }
    }

    #[test]
    fn command_table() {
        let nginx_ep: &[&str] = &["/docker-entrypoint.sh"];
        let nginx_cmd: &[&str] = &["nginx", "-g", "daemon off;"];
        // (Entrypoint, Cmd, cmdline, argv or error)
        type Case = (
            Option<&'static [&'static str]>,
            Option<&'static [&'static str]>,
            &'static str,
            Option<&'static [&'static str]>,
        );
        let cases: Vec<Case> = vec![
            // Entrypoint only, Cmd only, both.
            (Some(nginx_ep), None, "", Some(&["/docker-entrypoint.sh"])),
            (
                None,
                Some(nginx_cmd),
                "",
                Some(&["nginx", "-g", "daemon off;"]),
            ),
            (
                Some(nginx_ep),
                Some(nginx_cmd),
                "",
                Some(&["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"]),
            ),
            // cmd= replaces Cmd only.
            (
                Some(nginx_ep),
                Some(nginx_cmd),
                "cmd=\"nginx -T\"",
                Some(&["/docker-entrypoint.sh", "nginx", "-T"]),
            ),
            // entrypoint= replaces Entrypoint and drops the image's Cmd (docker --entrypoint).
            (
                Some(nginx_ep),
                Some(nginx_cmd),
                "entrypoint=\"/usr/sbin/nginx -g 'daemon off;'\"",
                Some(&["/usr/sbin/nginx", "-g", "daemon off;"]),
            ),
            (
                Some(nginx_ep),
                Some(nginx_cmd),
                "entrypoint=/bin/sh cmd=\"-c 'echo hi'\"",
                Some(&["/bin/sh", "-c", "echo hi"]),
            ),
            // entrypoint= empty resets Entrypoint and keeps Cmd.
            (
                Some(nginx_ep),
                Some(nginx_cmd),
                "entrypoint=",
                Some(&["nginx", "-g", "daemon off;"]),
            ),
            (Some(&[]), Some(&["x"]), "", Some(&["x"])),
            // Nothing to run.
            (None, None, "", None),
            (Some(&[]), Some(&[]), "", None),
            (Some(nginx_ep), None, "entrypoint=", None),
            (None, Some(&[""]), "", None),
        ];
        for (ep, cmd, cmdline, want) in cases {
            let overrides =
                Overrides::from_cmdline(&KernelCmdline::parse(cmdline)).expect("test fixture");
            let got = command(&config(ep, cmd), &overrides);
            match want {
                Some(w) => assert_eq!(got.expect(cmdline), strings(w), "{ep:?} {cmd:?} {cmdline}"),
                None => assert_eq!(
                    got.expect_err(cmdline).to_string(),
                    "entrypoint: no command: the image has no Entrypoint or Cmd"
                ),
            }
        }
        let e = Overrides::from_cmdline(&KernelCmdline::parse("cmd=a'b")).expect_err("must fail");
        assert_eq!(e.to_string(), "cmd=: unterminated single quote");
    }

    #[test]
    fn environment_table() {
        let p = format!("PATH={DEFAULT_PATH}");
        // (image Env, expected)
        let cases: Vec<(Vec<&str>, Vec<String>)> = vec![
            (
                vec![],
                vec![p.clone(), "HOSTNAME=vm".into(), "HOME=/root".into()],
            ),
            (
                vec!["PATH=/opt/bin:/bin", "NGINX_VERSION=1.25"],
                strings(&[
                    "PATH=/opt/bin:/bin",
                    "HOSTNAME=vm",
                    "NGINX_VERSION=1.25",
                    "HOME=/root",
                ]),
            ),
            (
                vec!["HOME=/srv", "A=1", "A=2", "B=x=y"],
                vec![
                    p.clone(),
                    "HOSTNAME=vm".into(),
                    "HOME=/srv".into(),
                    "A=2".into(),
                    "B=x=y".into(),
                ],
            ),
            // A bare key removes; HOSTNAME can be set by the image.
            (
                vec!["HOSTNAME=web", "PATH", "EMPTY="],
                strings(&["HOSTNAME=web", "EMPTY=", "HOME=/root"]),
            ),
        ];
        for (image, want) in cases {
            assert_eq!(
                environment(&strings(&image), "vm", "/root"),
                want,
                "{image:?}"
            );
        }
    }

    #[test]
    fn signal_table() {
        let cases = [
            ("SIGQUIT", Some(Signal::SIGQUIT)),
            ("quit", Some(Signal::SIGQUIT)),
            ("SigTerm", Some(Signal::SIGTERM)),
            ("3", Some(Signal::SIGQUIT)),
            ("15", Some(Signal::SIGTERM)),
            ("SIGWINCH", Some(Signal::SIGWINCH)),
            ("SIGRTMIN+3", None),
            ("99", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_signal(text), want, "{text}");
        }
    }

    const PASSWD: &str =
        "root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101::/nonexistent:/bin/false\n";
    const GROUP: &str = "root:x:0:\nadm:x:4:root\nnginx:x:101:\nwww:x:33:nginx\n";

    #[test]
    fn plan_table() {
        let accounts = Accounts::parse(PASSWD, GROUP);
        // (User, WorkingDir, StopSignal, uid, gid, groups, cwd, HOME, signal, warnings)
        type Case = (
            &'static str,
            &'static str,
            &'static str,
            u32,
            u32,
            &'static [u32],
            &'static str,
            &'static str,
            Signal,
            usize,
        );
        let cases: &[Case] = &[
            (
                "",
                "",
                "",
                0,
                0,
                &[4],
                "/",
                "HOME=/root",
                Signal::SIGTERM,
                0,
            ),
            (
                "nginx",
                "/usr/share/nginx",
                "SIGQUIT",
                101,
                101,
                &[33],
                "/usr/share/nginx",
                "HOME=/nonexistent",
                Signal::SIGQUIT,
                0,
            ),
            (
                "nginx:adm",
                "app",
                "",
                101,
                4,
                &[],
                "/app",
                "HOME=/nonexistent",
                Signal::SIGTERM,
                0,
            ),
            (
                "1000:1000",
                "/",
                "9",
                1000,
                1000,
                &[],
                "/",
                "HOME=/",
                Signal::SIGKILL,
                0,
            ),
            (
                "",
                "",
                "SIGRTMIN+3",
                0,
                0,
                &[4],
                "/",
                "HOME=/root",
                Signal::SIGTERM,
                1,
            ),
        ];
        for (user, wd, sig, uid, gid, groups, cwd, home, signal, warnings) in cases {
            let cfg = ImageConfig {
                user: user.to_string(),
                working_dir: wd.to_string(),
                stop_signal: sig.to_string(),
                ..config(Some(&["/bin/app"]), None)
            };
            let p = plan(
                Path::new("/mnt"),
                &cfg,
                &Overrides::default(),
                &accounts,
                "vm",
            )
            .expect(user);
            assert_eq!(p.root, Path::new("/mnt"));
            assert_eq!(p.argv, ["/bin/app"]);
            assert_eq!(
                (p.uid, p.gid, p.groups.as_slice()),
                (*uid, *gid, *groups),
                "{user}"
            );
            assert_eq!(p.cwd, *cwd);
            assert_eq!(p.env.last().map(String::as_str), Some(*home), "{user}");
            assert_eq!(p.stop_signal, *signal);
            assert_eq!(p.warnings.len(), *warnings);
        }
        let cfg = ImageConfig {
            user: "www-data".into(),
            ..config(Some(&["/bin/app"]), None)
        };
        let e = plan(
            Path::new("/mnt"),
            &cfg,
            &Overrides::default(),
            &accounts,
            "vm",
        )
        .expect_err("must fail");
        assert_eq!(
            e.to_string(),
            "entrypoint: user www-data: no such user in /etc/passwd"
        );
        assert_eq!(e.exit_code(), 125);
    }

    #[test]
    fn config_shapes_table() {
        let nginx = ImageConfig {
            entrypoint: Some(strings(&["/docker-entrypoint.sh"])),
            cmd: Some(strings(&["nginx", "-g", "daemon off;"])),
            env: strings(&["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]),
            stop_signal: "SIGQUIT".into(),
            exposed_ports: strings(&["443/tcp", "80/tcp"]),
            ..ImageConfig::default()
        };
        let inner = r#"{"Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx","-g","daemon off;"],
            "Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "StopSignal":"SIGQUIT","ExposedPorts":{"80/tcp":{},"443/tcp":{}},
            "WorkingDir":null,"User":"","Labels":{"maintainer":"x"}}"#;
        let rroot = format!(
            r#"{{"architecture":"amd64","config":{inner},"digest":"sha256:ab","os":"linux","reference":"docker.io/library/nginx:latest"}}"#
        );
        let oci = format!(
            r#"{{"created":"2024-01-01T00:00:00Z","config":{inner},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
        );
        let inspect = format!(r#"{{"Id":"x","Config":{inner}}}"#);
        let with_ref = ImageConfig {
            reference: "docker.io/library/nginx:latest".into(),
            digest: "sha256:ab".into(),
            ..nginx.clone()
        };
        let cases: Vec<(String, ImageConfig)> = vec![
            (rroot, with_ref),
            (oci, nginx.clone()),
            (inspect, nginx.clone()),
            (inner.to_string(), nginx),
            ("{}".into(), ImageConfig::default()),
            (r#"{"config":null}"#.into(), ImageConfig::default()),
            (
                r#"{"config":{"Entrypoint":"/bin/sh","Cmd":null,"Env":null}}"#.into(),
                config(Some(&["/bin/sh"]), None),
            ),
        ];
        for (text, want) in cases {
            let doc = Json::parse(&text).expect("test fixture");
            assert_eq!(ImageConfig::from_json(&doc).expect(&text), want, "{text}");
        }
        let errors = [
            ("[]", "config: (document): expected an object"),
            (r#"{"config":[]}"#, "config: config: expected an object"),
            (
                r#"{"config":{"Cmd":[1]}}"#,
                "config: Cmd: expected an array of strings",
            ),
            (
                r#"{"config":{"Env":{}}}"#,
                "config: Env: expected an array of strings",
            ),
            (
                r#"{"config":{"User":0}}"#,
                "config: User: expected a string",
            ),
        ];
        for (text, want) in errors {
            let doc = Json::parse(text).expect("test fixture");
            assert_eq!(
                ImageConfig::from_json(&doc).expect_err(text).to_string(),
                want
            );
        }
    }

    #[test]
    fn plan_from_root_reads_the_disk() {
        let dir = tempfile::tempdir().expect("test fixture");
        let root = dir.path();
        let e = plan_from_root(root, &KernelCmdline::default(), "vm").expect_err("must fail");
        assert!(e.to_string().starts_with("config: "), "{e}");
        assert!(
            e.to_string()
                .ends_with(".rroot/config.json: No such file or directory"),
            "{e}"
        );
        std::fs::create_dir_all(root.join(".rroot")).expect("test fixture");
        std::fs::create_dir_all(root.join("etc")).expect("test fixture");
        std::fs::write(
            root.join(".rroot/config.json"),
            "{\"config\": {\"Cmd\": [\"x\"],}}",
        )
        .expect("test fixture");
        let e = plan_from_root(root, &KernelCmdline::default(), "vm").expect_err("must fail");
        assert!(
            e.to_string()
                .ends_with("config.json: line 1 column 26: expected a string key"),
            "{e}"
        );
        std::fs::write(
            root.join(".rroot/config.json"),
            r#"{"config":{"Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx"],"User":"nginx"}}"#,
        )
        .expect("test fixture");
        std::fs::write(root.join("etc/passwd"), PASSWD).expect("test fixture");
        std::fs::write(root.join("etc/group"), GROUP).expect("test fixture");
        let p = plan_from_root(root, &KernelCmdline::parse("cmd=\"nginx -T\""), "vm")
            .expect("test fixture");
        assert_eq!(p.argv, ["/docker-entrypoint.sh", "nginx", "-T"]);
        assert_eq!((p.uid, p.gid), (101, 101));
    }

    #[test]
    fn on_exit_table() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        let cases = [
            (OnExit::Shell, s(0), s(0), ExitAction::Stay),
            (
                OnExit::PowerOff,
                s(5),
                s(0),
                ExitAction::Shutdown(ShutdownKind::PowerOff),
            ),
            (
                OnExit::Reboot,
                s(0),
                s(0),
                ExitAction::Shutdown(ShutdownKind::Reboot),
            ),
            (OnExit::Restart, s(60), s(4), ExitAction::Restart(s(0))),
            (OnExit::Restart, ms(10), s(0), ExitAction::Restart(ms(250))),
            (
                OnExit::Restart,
                ms(10),
                ms(250),
                ExitAction::Restart(ms(500)),
            ),
            (OnExit::Restart, s(0), s(4), ExitAction::Restart(s(4))),
        ];
        for (policy, runtime, previous, want) in cases {
            assert_eq!(
                exit_action(policy, runtime, previous),
                want,
                "{policy:?} {runtime:?}"
            );
        }
        let parse = |c: &str| OnExit::from_cmdline(&KernelCmdline::parse(c));
        assert_eq!(parse(""), Ok(OnExit::Shell));
        assert_eq!(parse("rroot.on_exit=restart"), Ok(OnExit::Restart));
        assert_eq!(parse("rroot.on_exit=poweroff"), Ok(OnExit::PowerOff));
        assert_eq!(
            parse("rroot.on_exit=halt"),
            Err((
                OnExit::Shell,
                "rroot.on_exit=halt: expected shell, poweroff, reboot or restart".into()
            ))
        );
    }

    fn test_plan(root: &Path, argv: &[&str], cwd: &str) -> ContainerPlan {
        ContainerPlan {
            root: root.to_path_buf(),
            argv: strings(argv),
            env: strings(&["PATH=/usr/bin:/bin", "X=1"]),
            cwd: cwd.to_string(),
            uid: nix::unistd::getuid().as_raw(),
            gid: nix::unistd::getgid().as_raw(),
            groups: nix::unistd::getgroups()
                .expect("test fixture")
                .iter()
                .map(|g| g.as_raw())
                .collect(),
            stop_signal: Signal::SIGQUIT,
            warnings: vec![],
        }
    }

    fn wait_exit(c: &Container) -> i32 {
        match nix::sys::wait::waitpid(c.pid(), None).expect("test fixture") {
            nix::sys::wait::WaitStatus::Exited(_, code) => code,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// Without chroot (root `/`) and as the current user, so it runs unprivileged: PATH
    /// lookup, environment, the working directory created, stdio, its own session.
    #[test]
    fn start_runs_the_plan() {
        let dir = tempfile::tempdir().expect("test fixture");
        let out = dir.path().join("console");
        std::fs::write(&out, "").expect("test fixture");
        let cwd = dir.path().join("new/work");
        let script = "echo \"$0 $1 X=$X pwd=$(pwd)\"; \
                      echo \"sid=$(cut -d' ' -f6 /proc/self/stat) pid=$$\"; \
                      read line; echo \"stdin=${line:-empty}\"; exit 3";
        let plan = test_plan(
            Path::new("/"),
            &["sh", "-c", script, "arg0", "one"],
            cwd.to_str().expect("test fixture"),
        );
        let c =
            Container::start_with_stdio(&plan, Path::new("/dev/null"), &out).expect("test fixture");
        assert_eq!(c.stop_signal(), Signal::SIGQUIT);
        assert_eq!(c.program(), "sh");
        assert_eq!(wait_exit(&c), 3);
        let text = std::fs::read_to_string(&out).expect("test fixture");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("arg0 one X=1 pwd={}", cwd.display()));
        let (sid, pid) = lines[1]
            .trim_start_matches("sid=")
            .split_once(" pid=")
            .expect("test fixture");
        assert_eq!(sid, pid, "{text}");
        assert_eq!(lines[2], "stdin=empty");
    }

    #[test]
    fn start_errors_table() {
        let dir = tempfile::tempdir().expect("test fixture");
        let out = dir.path().join("console");
        std::fs::write(&out, "").expect("test fixture");
        let file = dir.path().join("file");
        std::fs::write(&file, "").expect("test fixture");
        let not_exec = dir.path().join("script");
        std::fs::write(&not_exec, "#!/bin/sh\n").expect("test fixture");
        let under_file = format!("{}/sub", file.display());
        let cases: Vec<(Vec<String>, String, String, i32)> = vec![
            (
                strings(&["/docker-entrypoint.sh"]),
                "/".into(),
                "entrypoint: /docker-entrypoint.sh: No such file or directory".into(),
                127,
            ),
            (
                strings(&["no-such-command-anywhere"]),
                "/".into(),
                "entrypoint: no-such-command-anywhere: No such file or directory".into(),
                127,
            ),
            (
                vec![not_exec.display().to_string()],
                "/".into(),
                format!("entrypoint: {}: Permission denied", not_exec.display()),
                126,
            ),
            (
                strings(&["sh"]),
                under_file.clone(),
                format!("entrypoint: working directory {under_file}: Not a directory"),
                126,
            ),
        ];
        for (argv, cwd, want, code) in cases {
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            let plan = test_plan(Path::new("/"), &argv, &cwd);
            let e = Container::start_with_stdio(&plan, Path::new("/dev/null"), &out)
                .expect_err("must fail");
            assert_eq!(e.to_string(), want);
            assert_eq!(e.exit_code(), code, "{want}");
        }
        let plan = test_plan(Path::new("/"), &["sh"], "/");
        let e = Container::start_with_stdio(&plan, Path::new("/nonexistent/in"), &out)
            .expect_err("must fail");
        assert_eq!(
            e.to_string(),
            "entrypoint: /nonexistent/in: No such file or directory"
        );
    }

    /// chroot and the user switch for real: root only.
    #[test]
    fn start_chroots_and_switches_user() {
        if !nix::unistd::Uid::effective().is_root() {
            eprintln!("SKIPPED start_chroots_and_switches_user: needs root for chroot");
            return;
        }
        let dir = tempfile::tempdir().expect("test fixture");
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).expect("test fixture");
        let out = dir.path().join("console");
        std::fs::write(&out, "").expect("test fixture");
        // chroot to a missing directory: the step is named.
        let mut plan = test_plan(&dir.path().join("missing"), &["/bin/true"], "/");
        plan.uid = 0;
        let e = Container::start_with_stdio(&plan, Path::new("/dev/null"), &out)
            .expect_err("must fail");
        assert!(e.to_string().starts_with("entrypoint: chroot "), "{e}");
        assert!(
            e.to_string()
                .ends_with("missing: No such file or directory"),
            "{e}"
        );
        // In a chroot without the program: 127 and the path as the image sees it.
        plan.root = root.clone();
        plan.argv = strings(&["/docker-entrypoint.sh"]);
        let e = Container::start_with_stdio(&plan, Path::new("/dev/null"), &out)
            .expect_err("must fail");
        assert_eq!(
            e.to_string(),
            "entrypoint: /docker-entrypoint.sh: No such file or directory"
        );
        // A user switch that happens: uid/gid 65534 with a supplementary group, seen from a
        // process run without chroot.
        let mut plan = test_plan(Path::new("/"), &["sh", "-c", "id -u; id -g; id -G"], "/");
        plan.uid = 65534;
        plan.gid = 65533;
        plan.groups = vec![65533, 4242];
        let c =
            Container::start_with_stdio(&plan, Path::new("/dev/null"), &out).expect("test fixture");
        assert_eq!(wait_exit(&c), 0);
        let text = std::fs::read_to_string(&out).expect("test fixture");
        assert_eq!(text, "65534\n65533\n65533 4242\n");
    }

    fn fake_container(pid: i32, started: Instant) -> Container {
        Container {
            pid: Pid::from_raw(pid),
            started,
            stop_signal: Signal::SIGQUIT,
            program: "nginx".into(),
        }
    }

    #[test]
    fn entrypoint_supervision() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let plan = test_plan(Path::new("/"), &["/bin/app"], "/");
        // restart: dies at once twice (back-off doubles), then runs long (no delay).
        let mut e = Entrypoint::new(plan.clone(), OnExit::Restart, t0);
        assert!(e.due(t0));
        assert_eq!(e.started(fake_container(10, t0)), Pid::from_raw(10));
        assert_eq!(
            (e.pid(), e.due(t0), e.timeout(t0)),
            (Some(Pid::from_raw(10)), false, None)
        );
        assert_eq!(e.exited(t0 + ms(10)), ExitAction::Restart(ms(250)));
        assert_eq!(e.pid(), None);
        assert!(!e.due(t0 + ms(100)));
        assert_eq!(e.timeout(t0 + ms(10)), Some(ms(250)));
        assert!(e.due(t0 + ms(260)));
        e.started(fake_container(11, t0 + ms(260)));
        assert_eq!(e.exited(t0 + ms(270)), ExitAction::Restart(ms(500)));
        e.started(fake_container(12, t0 + ms(800)));
        assert_eq!(
            e.exited(t0 + ms(60_000)),
            ExitAction::Restart(Duration::ZERO)
        );
        assert!(e.due(t0 + ms(60_000)));
        // stop: no restart afterwards, the StopSignal to the running process.
        e.started(fake_container(13, t0));
        let mut sys = RecordingSystem::new();
        assert_eq!(e.stop(&mut sys), Some(Pid::from_raw(13)));
        assert_eq!(sys.calls, ["kill 13 SIGQUIT"]);
        // shell and poweroff: never due again.
        for (policy, want) in [
            (OnExit::Shell, ExitAction::Stay),
            (
                OnExit::PowerOff,
                ExitAction::Shutdown(ShutdownKind::PowerOff),
            ),
        ] {
            let mut e = Entrypoint::new(plan.clone(), policy, t0);
            e.started(fake_container(20, t0));
            assert_eq!(e.exited(t0 + ms(5)), want);
            assert!(!e.due(t0 + ms(10_000)));
            assert_eq!(e.timeout(t0), None);
        }
        // A start that fails is an immediate exit.
        let mut bad = plan;
        bad.argv = strings(&["/nonexistent/entrypoint"]);
        let dir = tempfile::tempdir().expect("test fixture");
        let console = dir.path().join("console");
        std::fs::write(&console, "").expect("test fixture");
        let mut e =
            Entrypoint::new(bad, OnExit::Restart, t0).with_stdio(Path::new("/dev/null"), &console);
        let (err, action) = e.start(t0).expect_err("must fail");
        assert_eq!(
            err.to_string(),
            "entrypoint: /nonexistent/entrypoint: No such file or directory"
        );
        assert_eq!(action, ExitAction::Restart(ms(250)));
    }

    #[test]
    fn stop_sends_the_stop_signal_to_the_process_only() {
        let c = fake_container(42, Instant::now());
        let mut sys = RecordingSystem::new();
        assert_eq!(c.stop(&mut sys), Ok(()));
        assert_eq!(sys.calls, ["kill 42 SIGQUIT"]);
    }
}
