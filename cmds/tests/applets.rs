//! The built `rbox` as users meet it: through symlinks named after applets, in a tempdir.
//! Tests that mount, chroot or set the host name need root; they say so and skip when not
//! root, and run in private mount/UTS namespaces so the machine running them is untouched.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;

use common::{applets, rbox};

/// A tempdir holding `rbox` symlinks for every applet it lists.
struct Links {
    dir: tempfile::TempDir,
}

impl Links {
    fn new() -> Links {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in applets() {
            symlink(rbox(), dir.path().join(&name)).expect("symlink");
        }
        Links { dir }
    }

    fn path(&self, applet: &str) -> PathBuf {
        self.dir.path().join(applet)
    }

    fn cmd(&self, applet: &str) -> Command {
        Command::new(self.path(applet))
    }

    /// Run `applet args…`: (exit code, stdout, stderr).
    fn run(&self, applet: &str, args: &[&str]) -> (i32, String, String) {
        output(self.cmd(applet).args(args))
    }

    /// Run a host `/bin/sh` script with the applets first on PATH, in fresh mount and UTS
    /// namespaces (mounts private), so nothing it mounts or names leaks out.
    fn isolated_script(&self, script: &str, work: &Path) -> (i32, String, String) {
        let path = format!("{}:/usr/bin:/bin", self.dir.path().display());
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-ec", script]).env("PATH", path).env("D", work);
        // SAFETY: the closure runs in the forked child before exec and only makes two
        // syscalls (unshare, mount), both async-signal-safe; it touches no shared state.
        unsafe {
            cmd.pre_exec(|| {
                use nix::mount::{mount, MsFlags};
                if libc::unshare(libc::CLONE_NEWNS | libc::CLONE_NEWUTS) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                mount(
                    None::<&str>,
                    "/",
                    None::<&str>,
                    MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                    None::<&str>,
                )?;
                Ok(())
            });
        }
        output(&mut cmd)
    }
}

fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.stdin(Stdio::null()).output().expect("spawn");
    let code = out
        .status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Root-only tests call this first and return when it says to skip (a failure under CI=true).
fn skip_unless_root(test: &str) -> bool {
    common::skip_unless_root(test, "mount, chroot, sethostname")
}

#[test]
fn every_applet_answers_help() {
    let links = Links::new();
    let names = applets();
    for must in [
        "mount", "umount", "chroot", "ps", "kill", "dmesg", "hostname", "init",
    ] {
        assert!(
            names.iter().any(|n| n == must),
            "{must} missing from --list"
        );
    }
    // `--help` first: even init, poweroff, reboot and halt only print their usage. `test` is
    // the exception POSIX makes: `test --help` is a test of one non-empty string (true, silent),
    // as in GNU coreutils; `[ --help` prints the help.
    for name in names.iter().filter(|n| *n != "test") {
        let (code, out, err) = links.run(name, &["--help"]);
        assert_eq!(code, 0, "{name} --help: {err}");
        assert!(!out.trim().is_empty(), "{name} --help printed nothing");
    }
}

#[test]
fn unknown_applet_exits_127() {
    let links = Links::new();
    symlink(rbox(), links.path("frobnicate")).expect("symlink");
    let (code, out, err) = links.run("frobnicate", &[]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (127, "", "rbox: unknown applet 'frobnicate'\n")
    );
    let (code, _, err) = output(Command::new(rbox()).arg("x"));
    assert_eq!((code, err.as_str()), (127, "rbox: unknown applet 'x'\n"));
}

#[test]
fn rbox_applet_form_works() {
    let (code, out, _) = output(Command::new(rbox()).args(["echo", "hi", "there"]));
    assert_eq!((code, out.as_str()), (0, "hi there\n"));
    let (code, out, _) = output(Command::new(rbox()).args(["kill", "-l", "9"]));
    assert_eq!((code, out.as_str()), (0, "KILL\n"));
}

#[test]
fn usage_errors_exit_2_with_one_line_and_usage() {
    let links = Links::new();
    let cases: &[(&str, &[&str], &str)] = &[
        ("kill", &[], "kill: missing PID"),
        ("mount", &["-x"], "mount: invalid option -- 'x'"),
        ("umount", &[], "umount: missing TARGET"),
        ("ps", &["-z"], "ps: invalid option -- 'z'"),
        ("chroot", &[], "chroot: missing operand"),
        ("dmesg", &["-q"], "dmesg: invalid option -- 'q'"),
        ("hostname", &["a", "b"], "hostname: too many arguments"),
    ];
    for &(applet, args, first) in cases {
        let (code, out, err) = links.run(applet, args);
        assert_eq!(code, 2, "{applet} {args:?}: {err}");
        assert_eq!(out, "");
        let mut lines = err.lines();
        assert_eq!(lines.next(), Some(first), "{applet}");
        assert!(
            lines.next().is_some_and(|l| l.starts_with("usage:")),
            "{applet}: {err}"
        );
    }
}

#[test]
fn failures_are_one_line_subject_reason() {
    let links = Links::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().display().to_string();
    let cases: Vec<(&str, Vec<&str>, i32, String)> = vec![
        (
            "mount",
            vec!["/nonexistent", &target],
            1,
            "mount: /nonexistent: No such file or directory\n".into(),
        ),
        (
            "mount",
            vec!["-t", "tmpfs", "none", "/nonexistent"],
            1,
            "mount: /nonexistent: mount point does not exist\n".into(),
        ),
        (
            "kill",
            vec!["2147483632"],
            1,
            "kill: 2147483632: No such process\n".into(),
        ),
        (
            "kill",
            vec!["-9", "2147483632", "abc"],
            1,
            "kill: 2147483632: No such process\nkill: abc: invalid process id\n".into(),
        ),
        (
            "hostname",
            vec!["-F", "/nonexistent"],
            1,
            "hostname: /nonexistent: No such file or directory\n".into(),
        ),
        (
            "chroot",
            vec!["/nonexistent", "true"],
            125,
            "chroot: cannot change root directory to '/nonexistent': No such file or directory\n"
                .into(),
        ),
    ];
    for (applet, args, want_code, want_err) in cases {
        let (code, out, err) = links.run(applet, &args);
        assert_eq!(
            (code, out.as_str(), err),
            (want_code, "", want_err),
            "{applet} {args:?}"
        );
    }
    if !is_root() {
        // Without root, umount(2) refuses before looking: the message is still one line.
        let (code, _, err) = links.run("umount", &[&target]);
        assert_eq!((code, err.lines().count()), (1, 1), "{err}");
    } else {
        let (code, _, err) = links.run("umount", &[&target]);
        assert_eq!((code, err), (1, format!("umount: {target}: not mounted\n")));
    }
}

#[test]
fn pipeline_through_symlinks() {
    let links = Links::new();
    let mut echo = links
        .cmd("echo")
        .arg("hi")
        .stdout(Stdio::piped())
        .spawn()
        .expect("echo");
    let cat = links
        .cmd("cat")
        .stdin(echo.stdout.take().expect("pipe"))
        .output()
        .expect("cat");
    assert!(echo.wait().expect("wait").success());
    assert_eq!(String::from_utf8_lossy(&cat.stdout), "hi\n");
}

#[test]
fn ps_ef_header_through_head() {
    let links = Links::new();
    let mut ps = links
        .cmd("ps")
        .arg("-ef")
        .stdout(Stdio::piped())
        .spawn()
        .expect("ps");
    let head = links
        .cmd("head")
        .arg("-1")
        .stdin(ps.stdout.take().expect("pipe"))
        .output()
        .expect("head");
    let header = String::from_utf8_lossy(&head.stdout);
    let cols: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        cols,
        ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    );
    // ps either finished or died of SIGPIPE; it never panics or reports an error.
    let status = ps.wait().expect("wait");
    assert!(
        status.success() || status.signal() == Some(libc::SIGPIPE),
        "{status:?}"
    );
}

#[test]
fn ps_survives_a_reader_that_goes_away() {
    let links = Links::new();
    let mut ps = links
        .cmd("ps")
        .arg("aux")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ps");
    let mut first = String::new();
    BufReader::new(ps.stdout.take().expect("pipe"))
        .read_line(&mut first)
        .expect("read");
    let out = ps.wait_with_output().expect("wait");
    assert!(first.starts_with("USER"), "{first}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn ps_aux_lists_this_process_and_kernel_threads() {
    let links = Links::new();
    let (code, out, err) = links.run("ps", &["aux"]);
    assert_eq!(code, 0, "{err}");
    let me = std::process::id().to_string();
    let line = out
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(me.as_str()))
        .unwrap_or_else(|| panic!("pid {me} not in:\n{out}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert!(fields.len() >= 11, "{line}");
    assert!(fields[10].contains("applets"), "{line}");
    // PID 2 is kthreadd on Linux; kernel threads show in brackets.
    assert!(out.lines().any(|l| l.ends_with("[kthreadd]")), "{out}");
    let (_, out, _) = links.run("ps", &["-p", &me]);
    assert_eq!(out.lines().count(), 2, "{out}");
}

#[test]
fn ps_default_shows_itself_and_ef_shows_pid_1() {
    let links = Links::new();
    let (code, out, err) = links.run("ps", &[]);
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["PID", "TTY", "TIME", "CMD"]);
    // Same user and terminal as the caller: ps itself is there, by its short name.
    assert!(lines.any(|l| l.ends_with(" ps")), "{out}");
    let (_, out, _) = links.run("ps", &["-ef"]);
    let init = out.lines().nth(1).unwrap_or_default();
    let fields: Vec<&str> = init.split_whitespace().collect();
    assert_eq!(fields.get(1..3), Some(&["1", "0"][..]), "{init}");
}

#[test]
fn ps_shows_zombies_as_z() {
    let links = Links::new();
    // A child that exits and is not reaped yet stays a zombie until we wait for it.
    let mut child = Command::new(links.path("true")).spawn().expect("true");
    let pid = child.id().to_string();
    let mut out = String::new();
    for _ in 0..200 {
        out = links.run("ps", &["aux"]).1;
        if out
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some(pid.as_str()) && l.contains(" Z"))
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let line = out
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(pid.as_str()))
        .unwrap_or_else(|| panic!("{pid} not in:\n{out}"));
    assert!(
        line.split_whitespace()
            .nth(7)
            .is_some_and(|s| s.starts_with('Z')),
        "{line}"
    );
    assert!(line.ends_with("<defunct>"), "{line}");
    child.wait().expect("reap");
}

#[test]
fn kill_lists_names_and_signals_processes() {
    let links = Links::new();
    let (code, out, _) = links.run("kill", &["-l"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("HUP INT QUIT"), "{out}");
    assert!(out.split_whitespace().any(|s| s == "KILL"));
    assert_eq!(links.run("kill", &["-l", "9"]).1, "KILL\n");
    assert_eq!(links.run("kill", &["-l", "TERM"]).1, "15\n");

    let cases: &[(&[&str], i32)] = &[
        (&[], libc::SIGTERM),
        (&["-9"], libc::SIGKILL),
        (&["-s", "USR1"], libc::SIGUSR1),
        (&["-INT"], libc::SIGINT),
    ];
    for &(flags, signal) in cases {
        let mut child = links.cmd("sleep").arg("30").spawn().expect("sleep");
        let pid = child.id().to_string();
        let mut args = flags.to_vec();
        args.push(&pid);
        let (code, _, err) = links.run("kill", &args);
        assert_eq!(code, 0, "{err}");
        let status = child.wait().expect("wait");
        assert_eq!(status.signal(), Some(signal), "kill {flags:?}");
    }
}

#[test]
fn kill_negative_pid_signals_the_process_group() {
    let links = Links::new();
    let mut child = links
        .cmd("sleep")
        .arg("30")
        .process_group(0)
        .spawn()
        .expect("sleep");
    let group = format!("-{}", child.id());
    let (code, _, err) = links.run("kill", &["-9", "--", &group]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(child.wait().expect("wait").signal(), Some(libc::SIGKILL));
}

#[test]
fn mount_lists_proc() {
    let links = Links::new();
    let (code, out, err) = links.run("mount", &[]);
    assert_eq!(code, 0, "{err}");
    let proc_line = out
        .lines()
        .find(|l| l.starts_with("proc on /proc type proc ("))
        .unwrap_or_else(|| panic!("no /proc in:\n{out}"));
    assert!(proc_line.ends_with(')'), "{proc_line}");
    let (_, only, _) = links.run("mount", &["-t", "proc"]);
    assert!(only.lines().all(|l| l.contains(" type proc (")), "{only}");
}

#[test]
fn hostname_prints_the_node_name() {
    let links = Links::new();
    let (code, out, _) = links.run("hostname", &[]);
    assert_eq!(code, 0);
    assert!(!out.trim().is_empty());
    let (_, uname, _) = links.run("uname", &["-n"]);
    assert_eq!(out, uname);
}

#[test]
fn dmesg_prints_timestamped_lines_or_fails_in_one_line() {
    let links = Links::new();
    let (code, out, err) = links.run("dmesg", &[]);
    if code == 0 {
        let first = out.lines().next().unwrap_or_default();
        assert!(first.starts_with('[') && first.contains("] "), "{first}");
    } else {
        // Unprivileged, with kernel.dmesg_restrict=1.
        assert_eq!((code, err.lines().count()), (1, 1), "{err}");
        assert!(
            err.starts_with("dmesg: read kernel buffer failed: "),
            "{err}"
        );
    }
}

#[test]
fn root_hostname_set_and_from_file() {
    if skip_unless_root("root_hostname_set_and_from_file") {
        return;
    }
    let links = Links::new();
    let work = tempfile::tempdir().expect("tempdir");
    fs::write(work.path().join("name"), "# comment\n\nfrom-file\n").expect("write");
    let (code, out, err) = links.isolated_script(
        "hostname rroot-test; hostname; hostname -F \"$D/name\"; hostname; \
         hostname -s",
        work.path(),
    );
    assert_eq!(
        (code, out.as_str()),
        (0, "rroot-test\nfrom-file\nfrom-file\n"),
        "{err}"
    );
}

#[test]
fn root_tmpfs_mount_remount_umount() {
    if skip_unless_root("root_tmpfs_mount_remount_umount") {
        return;
    }
    let links = Links::new();
    let work = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = links.isolated_script(
        r#"mkdir "$D/m"
        mount -t tmpfs -o size=1m,mode=700,nosuid tmpfs "$D/m"
        mount -t tmpfs | grep -F " $D/m "
        echo data > "$D/m/file"
        mount -o remount,ro "$D/m"
        mount -t tmpfs | grep -F " $D/m "
        if echo x > "$D/m/other" 2>/dev/null; then echo writable; else echo read-only; fi
        umount "$D/m"
        test -e "$D/m/file" || echo gone
        mount | grep -cF " $D/m " || true"#,
        work.path(),
    );
    let d = work.path().display();
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "tmpfs on {d}/m type tmpfs (rw,nosuid,relatime,size=1024k,mode=700)\n\
             tmpfs on {d}/m type tmpfs (ro,nosuid,relatime,size=1024k,mode=700)\n\
             read-only\ngone\n0\n"
        ),
        "{err}"
    );
}

#[test]
fn root_bind_mount() {
    if skip_unless_root("root_bind_mount") {
        return;
    }
    let links = Links::new();
    let work = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = links.isolated_script(
        r#"mkdir "$D/a" "$D/b"
        echo hello > "$D/a/f"
        mount --bind "$D/a" "$D/b"
        cat "$D/b/f"
        umount -l "$D/b"
        test -e "$D/b/f" || echo unbound
        mkdir "$D/c"
        mount -r --bind "$D/a" "$D/c"
        if echo x > "$D/c/g" 2>/dev/null; then echo writable; else echo read-only; fi
        umount "$D/c""#,
        work.path(),
    );
    assert_eq!(
        (code, out.as_str()),
        (0, "hello\nunbound\nread-only\n"),
        "{err}"
    );
}

#[test]
fn root_image_file_mounts_through_a_loop_device() {
    if skip_unless_root("root_image_file_mounts_through_a_loop_device") {
        return;
    }
    let mkfs = ["/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let (Some(mkfs), true) = (mkfs, Path::new("/dev/loop-control").exists()) else {
        common::skip(
            "root_image_file_mounts_through_a_loop_device",
            "no mkfs.ext4 or loop device",
        );
        return;
    };
    let links = Links::new();
    let work = tempfile::tempdir().expect("tempdir");
    let img = work.path().join("disk.img");
    fs::File::create(&img)
        .and_then(|f| f.set_len(8 << 20))
        .expect("image");
    let made = Command::new(mkfs)
        .args(["-q", "-F", "-L", "rroot"])
        .arg(&img)
        .status()
        .expect("mkfs");
    assert!(made.success());
    let (code, out, err) = links.isolated_script(
        r#"mkdir "$D/m"
        mount -r "$D/disk.img" "$D/m"
        mount -t ext4 | grep -F " $D/m " | sed 's/^[^ ]* //'
        ls "$D/m"
        umount "$D/m"
        mount "$D/disk.img" "$D/m"
        touch "$D/m/written"
        umount "$D/m"
        mount -t ext4 -o ro "$D/disk.img" "$D/m"
        ls "$D/m""#,
        work.path(),
    );
    let d = work.path().display();
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!("on {d}/m type ext4 (ro,relatime)\nlost+found\nlost+found\nwritten\n"),
        "{err}"
    );
}

#[test]
fn root_chroot_runs_commands_with_coreutils_exit_codes() {
    if skip_unless_root("root_chroot_runs_commands_with_coreutils_exit_codes") {
        return;
    }
    let links = Links::new();
    let work = tempfile::tempdir().expect("tempdir");
    let root = work.path().join("root");
    fs::create_dir_all(root.join("bin")).expect("mkdir");
    fs::copy(rbox(), root.join("bin/rbox")).expect("copy rbox");
    for applet in ["echo", "ls", "true"] {
        symlink("rbox", root.join("bin").join(applet)).expect("symlink");
    }
    let mut f = fs::File::create(root.join("bin/not-exec")).expect("create");
    writeln!(f, "#!/bin/true").expect("write");
    fs::set_permissions(root.join("bin/not-exec"), fs::Permissions::from_mode(0o644))
        .expect("chmod");
    // A test build of rbox may be dynamically linked: lend it the host's libraries.
    let (code, out, err) = links.isolated_script(
        r#"R="$D/root"
        for d in usr lib lib64; do
            if [ -d "/$d" ]; then mkdir -p "$R/$d"; mount --bind "/$d" "$R/$d"; fi
        done
        chroot "$R" /bin/echo inside
        chroot "$R" ls /bin
        chroot "$R" /bin/nonexistent || echo "rc=$?"
        chroot "$R" /bin/not-exec || echo "rc=$?"
        SHELL=/bin/echo chroot "$R""#,
        work.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out, "inside\necho\nls\nnot-exec\nrbox\ntrue\nrc=127\nrc=126\n-i\n",
        "{err}"
    );
    assert_eq!(
        err,
        "chroot: failed to run command '/bin/nonexistent': No such file or directory\n\
         chroot: failed to run command '/bin/not-exec': Permission denied\n"
    );
}
