//! Issue 2 end to end: boot `out/initramfs.cpio.gz` with Debian's stock kernel in QEMU (TCG) and
//! use the console shell as a person would. Each boot costs a core for ~10 s, so one boot checks
//! most things and ends with `poweroff`; the others check the remaining ways to shut down
//! (`reboot`, `halt`, Ctrl-Alt-Del).
//!
//! Nothing here is skipped: without a kernel, an initramfs or QEMU the tests fail and say what to
//! run (`tests/setup.sh`, `just initramfs`).

use std::time::Duration;

use rroot_vmtests::{lines, Qemu, Vm, VmError, COMMAND_TIMEOUT, SHUTDOWN_TIMEOUT};

/// Boots a machine named `name` to its first shell prompt.
fn boot(qemu: Qemu) -> Result<Vm, VmError> {
    let mut vm = qemu.boot()?;
    vm.wait_for_shell()?;
    Ok(vm)
}

/// The kernel ran into a panic (e.g. PID 1 exited: "Attempted to kill init").
fn assert_no_panic(vm: &mut Vm) -> Result<(), VmError> {
    let console = vm.console();
    vm.check(!console.contains("Kernel panic"), || {
        "the console shows a kernel panic".to_string()
    })
}

/// Rows of `ps -ef` (`UID PID PPID C STIME TTY TIME CMD`) as (pid, command).
fn ps_ef_rows(output: &str) -> Vec<(String, String)> {
    lines(output)
        .into_iter()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let pid = fields.get(1)?;
            pid.parse::<u32>().ok()?;
            Some((pid.to_string(), fields.get(7..)?.join(" ")))
        })
        .collect()
}

/// Whether a mount listing (`mount`, util-linux or /proc/mounts style) has `fstype` on `target`.
fn has_mount(listing: &str, target: &str, fstype: &str) -> bool {
    lines(listing).into_iter().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        words.contains(&target) && words.contains(&fstype)
    })
}

/// Entries of `ls -l DIR…` that are neither `rbox` itself nor a symbolic link to it.
fn not_links_to_rbox(listing: &str) -> Vec<String> {
    lines(listing)
        .into_iter()
        .filter(|line| !line.ends_with(':') && !line.starts_with("total "))
        .filter(|line| {
            let is_rbox = line.starts_with('-') && line.ends_with(" rbox");
            let links_rbox =
                line.starts_with('l') && (line.ends_with("-> rbox") || line.ends_with("/rbox"));
            !is_rbox && !links_rbox
        })
        .map(str::to_string)
        .collect()
}

/// Processes in state Z from `cat /proc/[0-9]*/status` output: their `Name:` lines.
fn zombies_in_status(status: &str) -> Vec<String> {
    let mut zombies = Vec::new();
    let mut name = String::new();
    for line in status.lines() {
        if let Some(rest) = line.strip_prefix("Name:") {
            name = rest.trim().to_string();
        } else if let Some(rest) = line.strip_prefix("State:") {
            if rest.trim_start().starts_with('Z') {
                zombies.push(name.clone());
            }
        }
    }
    zombies
}

/// Rows of `ps aux` whose STAT column (the 8th) starts with Z, or that say `<defunct>`.
fn zombies_in_ps_aux(output: &str) -> Vec<String> {
    lines(output)
        .into_iter()
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.get(7).is_some_and(|stat| stat.starts_with('Z')) || line.contains("<defunct>")
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn console_shell_works_and_poweroff_ends_qemu() -> Result<(), VmError> {
    let mut vm = boot(Qemu::new("shell-session")?)?;

    // init logged its steps on the console (issue 2: `init: mounted /proc (0.4 ms)`).
    let console = vm.console();
    vm.check(console.contains("init: mounted /proc"), || {
        "init did not log `init: mounted /proc` on the console".to_string()
    })?;
    // From here on the test parses command output; keep kernel messages out of it.
    vm.quiet_kernel_console()?;

    let root = vm.run("ls /")?;
    let entries: Vec<&str> = root.split_whitespace().collect();
    for want in [
        "bin", "dev", "etc", "init", "proc", "root", "run", "sys", "tmp",
    ] {
        vm.check(entries.contains(&want), || {
            format!("ls / lacks {want}: {root:?}")
        })?;
    }
    // Only our code: every command in /bin and /sbin is a link to rbox.
    let bin = vm.run("ls -l /bin /sbin")?;
    let strays = not_links_to_rbox(&bin);
    vm.check(strays.is_empty(), || {
        format!("/bin and /sbin hold more than links to rbox: {strays:?}")
    })?;
    vm.check(bin.contains("sh -> rbox"), || {
        format!("/bin/sh is not a link to rbox:\n{bin}")
    })?;

    let ps = vm.run("ps -ef")?;
    let rows = ps_ef_rows(&ps);
    vm.check(
        rows.iter()
            .any(|(pid, cmd)| pid == "1" && cmd.contains("init")),
        || format!("ps -ef shows no init as PID 1:\n{ps}"),
    )?;
    vm.check(
        rows.iter()
            .any(|(pid, cmd)| pid != "1" && cmd.split(['/', ' ']).any(|w| w == "sh" || w == "-sh")),
        || format!("ps -ef shows no shell:\n{ps}"),
    )?;

    let mounts = vm.run("mount")?;
    for (target, fstype) in [("/proc", "proc"), ("/sys", "sysfs"), ("/dev", "devtmpfs")] {
        vm.check(has_mount(&mounts, target, fstype), || {
            format!("mount does not list {fstype} on {target}:\n{mounts}")
        })?;
    }

    let hostname = vm.run("hostname")?;
    vm.check(hostname.trim() == "rroot", || {
        format!("hostname is {hostname:?}, not rroot")
    })?;

    // A pipeline, and a redirection to a file and back.
    let words = vm.run("echo one two three | wc -w")?;
    vm.check(words.trim() == "3", || {
        format!("`echo one two three | wc -w` printed {words:?}")
    })?;
    vm.run("echo first > /tmp/redirect && echo second >> /tmp/redirect")?;
    let back = vm.run("cat < /tmp/redirect")?;
    vm.check(lines(&back) == ["first", "second"], || {
        format!("/tmp/redirect holds {back:?}")
    })?;
    let count = vm.run("wc -l < /tmp/redirect")?;
    vm.check(count.trim() == "2", || format!("wc -l printed {count:?}"))?;

    // Exit status of a failing command and of an unknown one.
    let (status, _) = vm.run_status("false")?;
    vm.check(status == 1, || format!("`false` exited {status}"))?;
    let (status, output) = vm.run_status("no-such-command")?;
    vm.check(status == 127 && output.contains("not found"), || {
        format!("unknown command: status {status}, output {output:?}")
    })?;

    // Children orphaned by a shell that exits at once are reparented to PID 1, which must reap
    // them when they die.
    vm.run("sh -c 'sleep 1 & sleep 1 & sleep 1 & exit 0'")?;
    vm.run("sleep 3")?;
    let (_, status) = vm.run_status("cat /proc/[0-9]*/status")?;
    let zombies = zombies_in_status(&status);
    vm.check(zombies.is_empty(), || {
        format!("zombies left after orphaned children died: {zombies:?}")
    })?;
    let ps = vm.run("ps aux")?;
    let zombies = zombies_in_ps_aux(&ps);
    vm.check(zombies.is_empty(), || {
        format!("ps aux shows zombies: {zombies:?}")
    })?;

    // Ctrl-C interrupts the foreground command, not the shell; its status is 128+SIGINT.
    vm.send_line("echo __sle\"\"eping__; sleep 60")?;
    vm.expect("__sleeping__\n", COMMAND_TIMEOUT)?;
    std::thread::sleep(Duration::from_millis(500));
    vm.send(b"\x03")?;
    vm.expect("# ", Duration::from_secs(20))?;
    vm.send_line("echo status=$?")?;
    vm.expect("status=130", COMMAND_TIMEOUT)?;
    vm.expect("# ", COMMAND_TIMEOUT)?;

    // `exit` ends the shell; init starts a new one on the console.
    let first_pid = vm.run("echo $$")?;
    vm.send_line("exit")?;
    vm.expect("# ", COMMAND_TIMEOUT)?;
    let second_pid = vm.run("echo $$")?;
    vm.check(first_pid.trim() != second_pid.trim(), || {
        format!("the shell after `exit` has the same PID {first_pid:?}")
    })?;

    vm.send_line("poweroff")?;
    vm.wait_exit(SHUTDOWN_TIMEOUT)?;
    assert_no_panic(&mut vm)?;
    let console = vm.console();
    vm.check(console.contains("reboot: Power down"), || {
        "QEMU exited without the kernel's `reboot: Power down`".to_string()
    })
}

#[test]
fn reboot_restarts_the_machine() -> Result<(), VmError> {
    let mut vm = boot(Qemu::new("reboot")?)?;
    vm.run("echo still here")?;
    vm.send_line("reboot")?;
    // -no-reboot turns the guest's restart into QEMU's exit.
    vm.wait_exit(SHUTDOWN_TIMEOUT)?;
    assert_no_panic(&mut vm)?;
    let console = vm.console();
    vm.check(console.contains("reboot: Restarting system"), || {
        "QEMU exited without the kernel's `reboot: Restarting system`".to_string()
    })
}

#[test]
fn halt_stops_the_machine() -> Result<(), VmError> {
    let mut vm = boot(Qemu::new("halt")?)?;
    vm.run("echo still here")?;
    vm.send_line("halt")?;
    // A halted machine stays on (QEMU keeps running); the kernel says so last.
    vm.expect("reboot: System halted", SHUTDOWN_TIMEOUT)?;
    assert_no_panic(&mut vm)
}

#[test]
fn ctrl_alt_del_shuts_down_in_order() -> Result<(), VmError> {
    let mut vm = boot(Qemu::new("ctrl-alt-del")?.with_monitor())?;
    vm.run("echo still here")?;
    // init turned the kernel's immediate reboot off (CAD_OFF), so the keys become SIGINT to
    // PID 1, which shuts down like `reboot`.
    vm.monitor("sendkey ctrl-alt-delete")?;
    vm.wait_exit(SHUTDOWN_TIMEOUT)?;
    assert_no_panic(&mut vm)?;
    // The kernel's own Ctrl-Alt-Del reboot would also end QEMU; init's log tells them apart.
    let console = vm.console();
    vm.check(
        console
            .lines()
            .any(|line| line.contains("init:") && line.contains("SIGINT")),
        || "init did not log that it acted on SIGINT (Ctrl-Alt-Del)".to_string(),
    )
}

#[cfg(test)]
mod parsing {
    use super::*;

    #[test]
    fn ps_ef_rows_take_pid_and_command() {
        let ps = "UID   PID  PPID  C STIME TTY          TIME CMD\n\
                  root    1     0  0 00:00 ?        00:00:00 /init\n\
                  root   42     1  0 00:00 console  00:00:00 /bin/sh -l\n";
        assert_eq!(
            ps_ef_rows(ps),
            vec![
                ("1".to_string(), "/init".to_string()),
                ("42".to_string(), "/bin/sh -l".to_string())
            ]
        );
    }

    #[test]
    fn mounts_in_both_listing_styles() {
        let cases = [
            ("proc on /proc type proc (rw,nosuid)", "/proc", "proc", true),
            ("proc /proc proc rw,nosuid 0 0", "/proc", "proc", true),
            ("sysfs /sys sysfs rw 0 0", "/proc", "proc", false),
            (
                "devtmpfs on /dev type devtmpfs (rw)",
                "/dev",
                "devtmpfs",
                true,
            ),
            (
                "devpts on /dev/pts type devpts (rw)",
                "/dev",
                "devtmpfs",
                false,
            ),
        ];
        for (listing, target, fstype, want) in cases {
            assert_eq!(has_mount(listing, target, fstype), want, "{listing}");
        }
    }

    #[test]
    fn only_rbox_and_links_to_it() {
        let listing = "/bin:\n\
                       total 5000\n\
                       lrwxrwxrwx 1 root root 4 Jan  1  1970 cat -> rbox\n\
                       -rwxr-xr-x 1 root root 5289552 Jan  1  1970 rbox\n\
                       \n\
                       /sbin:\n\
                       lrwxrwxrwx 1 root root 11 Jan  1  1970 init -> ../bin/rbox\n\
                       -rwxr-xr-x 1 root root 2000000 Jan  1  1970 busybox\n\
                       lrwxrwxrwx 1 root root 7 Jan  1  1970 sh -> busybox\n";
        assert_eq!(
            not_links_to_rbox(listing),
            vec![
                "-rwxr-xr-x 1 root root 2000000 Jan  1  1970 busybox".to_string(),
                "lrwxrwxrwx 1 root root 7 Jan  1  1970 sh -> busybox".to_string()
            ]
        );
    }

    #[test]
    fn zombies_from_status_and_ps() {
        let status = "Name:\tinit\nState:\tS (sleeping)\nName:\tsleep\nState:\tZ (zombie)\n";
        assert_eq!(zombies_in_status(status), vec!["sleep".to_string()]);
        assert!(zombies_in_status("Name:\tsh\nState:\tR (running)\n").is_empty());
        let ps = "USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\n\
                  root 1 0.0 0.1 1000 500 ? Ss 00:00 0:00 /init\n\
                  root 7 0.0 0.0 0 0 ? Z 00:00 0:00 [sleep] <defunct>\n";
        assert_eq!(zombies_in_ps_aux(ps).len(), 1);
    }
}
