//! init's log: every step with the milliseconds since init started, to the console and to
//! `/dev/kmsg` (`init: mounted /proc (0.4 ms)`). Logging never fails the boot: a line that cannot
//! be written is dropped.
//!
//! Lines are kept until [`Log::open`] (after `/dev` and `/proc` are mounted and `quiet` is
//! known), then replayed. The kernel echoes a kmsg line to the console itself when its level is
//! below the console log level (`/proc/sys/kernel/printk`, lowered by `quiet`); init writes a
//! line to the console only when the kernel will not, so each line shows once. `/dev/kmsg` is
//! opened for each line because the kernel rate-limits writers per open file (10 lines per 5 s,
//! printk.devkmsg in kernel-parameters.rst) and boot easily logs more.
//!
//! Once the console shell is up ([`Log::shell_started`]) routine lines would land in the middle
//! of its prompt and what the user types, so info lines go to `/dev/kmsg` only, as debug
//! records (`<7>`): the kernel echoes a record only below the console log level, 7 by default,
//! so these stay off the console unless the user asked for everything (`loglevel=8`, `debug`).
//! `dmesg` still shows them. Warnings and errors reach the console as before.

use std::fmt::Display;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// syslog levels (RFC 5424 §6.2.1), the `<N>` prefix of a kmsg line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 3,
    Warn = 4,
    /// Events a person at the console wants to see even while the shell is up: the
    /// entrypoint starting and ending, a shutdown being asked for.
    Notice = 5,
    Info = 6,
    Debug = 7,
}

pub struct Log {
    start: Instant,
    console: Box<dyn Write>,
    /// Set by [`Log::open`]; until then lines wait in `pending`.
    sinks: Option<Sinks>,
    pending: Vec<(Level, String)>,
    /// The console belongs to the shell: info lines are kmsg-only (module header).
    shell_up: bool,
}

struct Sinks {
    kmsg: Option<PathBuf>,
    quiet: bool,
    /// Levels below this are printed on the console by the kernel (first field of
    /// /proc/sys/kernel/printk).
    console_loglevel: u8,
}

impl Log {
    /// A log counting from `start`, writing to `console` (init's stderr on a real boot).
    pub fn new(start: Instant, console: Box<dyn Write>) -> Log {
        Log {
            start,
            console,
            sinks: None,
            pending: Vec::new(),
            shell_up: false,
        }
    }

    /// Start writing: to `ROOT/dev/kmsg` when it can be opened, to the console as described in
    /// the module header; with `quiet` the console gets warnings and errors only.
    pub fn open(&mut self, root: &Path, quiet: bool) {
        let kmsg = root.join("dev/kmsg");
        let kmsg = OpenOptions::new()
            .write(true)
            .open(&kmsg)
            .ok()
            .map(|_| kmsg);
        let console_loglevel = std::fs::read_to_string(root.join("proc/sys/kernel/printk"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            // Unknown: assume the kernel prints nothing, so init prints itself.
            .unwrap_or(0);
        self.sinks = Some(Sinks {
            kmsg,
            quiet,
            console_loglevel,
        });
        for (level, line) in std::mem::take(&mut self.pending) {
            self.write(level, &line);
        }
    }

    /// The console shell is running: from now on info lines stay off the console.
    pub fn shell_started(&mut self) {
        self.shell_up = true;
    }

    /// The machine is shutting down and the shell is being stopped: the console is init's
    /// again, so the shutdown's steps are seen there.
    pub fn shutdown_started(&mut self) {
        self.shell_up = false;
    }

    /// Milliseconds since init started.
    pub fn elapsed_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }

    pub fn info(&mut self, msg: impl Display) {
        self.log(Level::Info, msg);
    }

    pub fn notice(&mut self, msg: impl Display) {
        self.log(Level::Notice, msg);
    }

    pub fn warn(&mut self, msg: impl Display) {
        self.log(Level::Warn, msg);
    }

    pub fn error(&mut self, msg: impl Display) {
        self.log(Level::Error, msg);
    }

    pub fn log(&mut self, level: Level, msg: impl Display) {
        let line = format!("init: {msg} ({:.1} ms)\n", self.elapsed_ms());
        if self.sinks.is_some() {
            self.write(level, &line);
        } else {
            self.pending.push((level, line));
        }
    }

    fn write(&mut self, level: Level, line: &str) {
        let Some(sinks) = &self.sinks else { return };
        let routine = self.shell_up && level >= Level::Info;
        let level = if routine { Level::Debug } else { level };
        let mut kernel_echoes = false;
        if let Some(path) = &sinks.kmsg {
            // One write(2) is one kmsg record.
            let record = format!("<{}>{line}", level as u8);
            // O_APPEND changes nothing for /dev/kmsg, and lets tests use a plain file.
            if let Ok(mut f) = OpenOptions::new().append(true).open(path) {
                kernel_echoes =
                    f.write(record.as_bytes()).is_ok() && (level as u8) < sinks.console_loglevel;
            }
        }
        if !kernel_echoes && !routine && (!sinks.quiet || level <= Level::Warn) {
            let _ = self.console.write_all(line.as_bytes());
            let _ = self.console.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[derive(Clone, Default)]
    struct Buffer(Rc<RefCell<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn lines(&self) -> Vec<String> {
            let text = String::from_utf8_lossy(&self.0.borrow()).into_owned();
            text.lines().map(strip_time).collect()
        }
    }

    /// "init: x (1.2 ms)" → "init: x"
    fn strip_time(line: &str) -> String {
        let (head, time) = line.rsplit_once(" (").expect("test fixture");
        assert!(time.ends_with(" ms)"), "{line}");
        time.trim_end_matches(" ms)")
            .parse::<f64>()
            .expect("test fixture");
        head.to_string()
    }

    /// A root with a plain file as dev/kmsg (one file gets every record) and a printk level.
    fn root(printk: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("test fixture");
        std::fs::create_dir_all(dir.path().join("dev")).expect("test fixture");
        std::fs::write(dir.path().join("dev/kmsg"), "").expect("test fixture");
        if let Some(p) = printk {
            std::fs::create_dir_all(dir.path().join("proc/sys/kernel")).expect("test fixture");
            std::fs::write(dir.path().join("proc/sys/kernel/printk"), p).expect("test fixture");
        }
        dir
    }

    #[test]
    fn console_and_kmsg_table() {
        // (printk, quiet, console lines)
        let all = vec!["init: mounted /proc", "init: w", "init: e"];
        let cases: &[(Option<&str>, bool, Vec<&str>)] = &[
            // Kernel prints nothing itself: init prints all, or warnings up with quiet.
            (None, false, all.clone()),
            (None, true, vec!["init: w", "init: e"]),
            // Default level 7: the kernel echoes every line, init prints none.
            (Some("7\t4\t1\t7\n"), false, vec![]),
            // quiet sets level 4: the kernel echoes errors, init prints the warning.
            (Some("4\t4\t1\t7\n"), true, vec!["init: w"]),
            (Some("1 4 1 7"), false, all.clone()),
        ];
        for (printk, quiet, want) in cases {
            let dir = root(*printk);
            let console = Buffer::default();
            let mut log = Log::new(Instant::now(), Box::new(console.clone()));
            log.info(format_args!("mounted {}", "/proc"));
            log.open(dir.path(), *quiet);
            log.warn("w");
            log.error("e");
            assert_eq!(console.lines(), *want, "{printk:?} quiet={quiet}");
            let kmsg = std::fs::read_to_string(dir.path().join("dev/kmsg")).expect("test fixture");
            let kmsg: Vec<String> = kmsg.lines().map(strip_time).collect();
            assert_eq!(
                kmsg,
                ["<6>init: mounted /proc", "<4>init: w", "<3>init: e"],
                "{printk:?}"
            );
        }
    }

    #[test]
    fn after_the_shell_starts_info_is_kmsg_only() {
        // (printk, console lines after shell_started)
        let cases: &[(Option<&str>, Vec<&str>)] = &[
            (None, vec!["init: w", "init: e"]),
            // The kernel echoes warnings and errors itself; debug records stay off the console.
            (Some("7 4 1 7"), vec![]),
            (Some("4 4 1 7"), vec!["init: w"]),
        ];
        for (printk, want) in cases {
            let dir = root(*printk);
            let console = Buffer::default();
            let mut log = Log::new(Instant::now(), Box::new(console.clone()));
            log.open(dir.path(), false);
            log.info("before");
            log.shell_started();
            log.info("released boot pages");
            log.warn("w");
            log.error("e");
            let mut console_want = match printk {
                Some(p) if p.starts_with('7') => vec![],
                _ => vec!["init: before"],
            };
            console_want.extend(want.iter().copied());
            assert_eq!(console.lines(), console_want, "{printk:?}");
            let kmsg = std::fs::read_to_string(dir.path().join("dev/kmsg")).expect("test fixture");
            let kmsg: Vec<String> = kmsg.lines().map(strip_time).collect();
            assert_eq!(
                kmsg,
                [
                    "<6>init: before",
                    "<7>init: released boot pages",
                    "<4>init: w",
                    "<3>init: e"
                ],
                "{printk:?}"
            );
        }
    }

    #[test]
    fn notices_and_shutdown_reach_the_console_while_the_shell_is_up() {
        // printk 4: the kernel echoes only errors, so init prints notices itself.
        let dir = root(Some("4 4 1 7"));
        let console = Buffer::default();
        let mut log = Log::new(Instant::now(), Box::new(console.clone()));
        log.open(dir.path(), false);
        log.shell_started();
        log.info("routine");
        log.notice("started entrypoint nginx (pid 9)");
        log.shutdown_started();
        log.info("unmounted /mnt");
        assert_eq!(
            console.lines(),
            [
                "init: started entrypoint nginx (pid 9)",
                "init: unmounted /mnt"
            ]
        );
        let kmsg = std::fs::read_to_string(dir.path().join("dev/kmsg")).expect("test fixture");
        let kmsg: Vec<String> = kmsg.lines().map(strip_time).collect();
        assert_eq!(
            kmsg,
            [
                "<7>init: routine",
                "<5>init: started entrypoint nginx (pid 9)",
                "<6>init: unmounted /mnt"
            ]
        );
    }

    #[test]
    fn without_kmsg_everything_goes_to_the_console() {
        let dir = tempfile::tempdir().expect("test fixture");
        let console = Buffer::default();
        let mut log = Log::new(Instant::now(), Box::new(console.clone()));
        log.open(dir.path(), false);
        log.info("a");
        assert_eq!(console.lines(), ["init: a"]);
    }
}
