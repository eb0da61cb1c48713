//! The console toolkit (issue 7) end to end: boot the default image and, on the serial
//! console, run the debugging session a person would — search logs, find files, edit them with
//! `sed -i` and `vi`, count with `awk | sort | uniq -c`, archive and check with `sha256sum`, look
//! at disk, memory and processes, and page a file with `less`.
//!
//! Never skipped: without a kernel, an initramfs or QEMU the test fails and says what to run.

use std::time::Duration;

use rroot_vmtests::{lines, Qemu, VmError, COMMAND_TIMEOUT};

#[test]
fn debugging_session_on_the_console() -> Result<(), VmError> {
    let mut vm = Qemu::new("toolkit")?.boot()?;
    vm.wait_for_shell()?;
    vm.quiet_kernel_console()?;

    // Some logs to debug.
    vm.run(
        "mkdir -p /var/log/app/old && printf 'ok start\\nERROR disk full\\nok retry\\n' > /var/log/app/sys.log && \
         printf 'ERROR net down\\nok up\\n' > /var/log/app/old/net.log",
    )?;

    // grep -rn over the tree: file, line number, line.
    let hits = vm.run("grep -rn ERROR /var/log")?;
    let mut hits = lines(&hits);
    hits.sort_unstable();
    vm.check(
        hits == [
            "/var/log/app/old/net.log:1:ERROR net down",
            "/var/log/app/sys.log:2:ERROR disk full",
        ],
        || format!("grep -rn ERROR /var/log printed {hits:?}"),
    )?;
    let (status, _) = vm.run_status("grep -q nothing-like-this /var/log/app/sys.log")?;
    vm.check(status == 1, || {
        format!("grep with no match exited {status}")
    })?;

    // find over the whole machine (/proc and /sys included) with -exec.
    let found = vm.run_status_within(
        "find / -name '*.log' -path '*app*' -exec wc -l {} \\; 2>/dev/null | sort",
        Duration::from_secs(120),
    )?;
    vm.check(
        lines(&found.1) == ["2 /var/log/app/old/net.log", "3 /var/log/app/sys.log"],
        || format!("find / -name … -exec wc -l printed {:?}", found.1),
    )?;

    // sed -i edits in place.
    vm.run("sed -i 's/disk full/disk ok/' /var/log/app/sys.log")?;
    let edited = vm.run("cat /var/log/app/sys.log")?;
    vm.check(
        lines(&edited) == ["ok start", "ERROR disk ok", "ok retry"],
        || format!("after sed -i: {edited:?}"),
    )?;

    // awk '{print $1}' | sort | uniq -c
    let counts = vm.run(
        "cat /var/log/app/sys.log /var/log/app/old/net.log | awk '{print $1}' | sort | uniq -c",
    )?;
    let counts: Vec<String> = lines(&counts)
        .iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    vm.check(counts == ["2 ERROR", "3 ok"], || {
        format!("awk | sort | uniq -c printed {counts:?}")
    })?;

    // A tar czf / tar xzf round trip, checked with sha256sum.
    vm.run(
        "tar czf /tmp/logs.tgz -C /var/log app && mkdir /tmp/x && tar xzf /tmp/logs.tgz -C /tmp/x",
    )?;
    let sums = vm.run("cd /var/log && sha256sum app/sys.log app/old/net.log > /tmp/sums && cd /tmp/x && sha256sum -c /tmp/sums")?;
    vm.check(
        lines(&sums) == ["app/sys.log: OK", "app/old/net.log: OK"],
        || format!("sha256sum -c after the tar round trip: {sums:?}"),
    )?;
    let listing = vm.run("tar tzf /tmp/logs.tgz | sort")?;
    vm.check(listing.contains("app/old/net.log"), || {
        format!("tar tzf: {listing:?}")
    })?;

    // Disk, memory and processes.
    let df = vm.run("df -h /tmp")?;
    vm.check(df.contains("Filesystem") && df.contains("/tmp"), || {
        format!("df -h /tmp: {df:?}")
    })?;
    let free = vm.run("free -m")?;
    vm.check(free.contains("Mem:") && free.contains("total"), || {
        format!("free -m: {free:?}")
    })?;
    let top = vm.run("top -b -n 1")?;
    vm.check(
        top.contains("load average") && top.contains("PID") && top.contains("init"),
        || format!("top -b -n 1: {top:?}"),
    )?;

    // Edit a file with vi over the serial console: change a word, write, quit.
    vm.run("printf 'server {\\n    listen 80;\\n}\\n' > /tmp/site.conf")?;
    vm.send_line("vi /tmp/site.conf")?;
    vm.expect("site.conf", COMMAND_TIMEOUT)?;
    std::thread::sleep(Duration::from_millis(500));
    // Typed as a person types, a group of keys at a time: the guest's serial port under TCG
    // can drop bytes that arrive faster than it drains its FIFO.
    let pause = || std::thread::sleep(Duration::from_millis(400));
    vm.send(b"/80\r")?;
    pause();
    vm.send(b"cw")?;
    pause();
    vm.send(b"8080")?;
    vm.expect("8080", COMMAND_TIMEOUT)?;
    vm.send(b"\x1b")?;
    pause();
    vm.send(b":wq\r")?;
    pause();
    let conf = vm.run("cat /tmp/site.conf")?;
    vm.check(conf == "server {\n    listen 8080;\n}\n", || {
        format!("after vi: {conf:?}")
    })?;

    // Page a file with less, search in it, quit.
    vm.run("seq 1 500 > /tmp/numbers")?;
    vm.send_line("less /tmp/numbers")?;
    vm.expect("23", COMMAND_TIMEOUT)?;
    vm.send(b"/^444$\r")?;
    vm.expect("444", COMMAND_TIMEOUT)?;
    // The next command goes right after `q`, as a console script would send it: less must
    // leave it to the shell, not read and drop it.
    vm.send(b"q")?;
    let after = vm.run("echo pager-done")?;
    vm.check(after.contains("pager-done"), || {
        format!("the shell after less: {after:?}")
    })?;

    vm.send_line("poweroff")?;
    vm.wait_exit(rroot_vmtests::SHUTDOWN_TIMEOUT)?;
    Ok(())
}
