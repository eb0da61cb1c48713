//! Job control on the serial console (issue 8): the console shell is a session leader with the
//! console as its controlling terminal (init's console.rs), so Ctrl-Z stops the foreground job,
//! `jobs`, `bg` and `fg` move it, and Ctrl-C ends it — as a person at IPMI SOL would do it.
//!
//! Never skipped: without a kernel, an initramfs or QEMU the test fails and says what to run.

use std::time::Duration;

use rroot_vmtests::{Qemu, Vm, VmError};

/// Sends `key` until `pattern` appears: a key typed in the instant between the shell reading the
/// command line and the job taking the terminal goes to the shell (which ignores it), so a
/// person would press it again.
fn press_until(vm: &mut Vm, key: &[u8], pattern: &str) -> Result<String, VmError> {
    let mut last = None;
    for _ in 0..5 {
        vm.send(key)?;
        match vm.expect(pattern, Duration::from_secs(4)) {
            Ok(before) => return Ok(before),
            Err(e @ VmError::Timeout { .. }) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or(VmError::Timeout {
        waiting_for: pattern.to_string(),
        after: Duration::from_secs(20),
    }))
}

#[test]
fn job_control_on_the_console() -> Result<(), VmError> {
    let mut vm = Qemu::new("shell-jobs")?.boot()?;
    vm.wait_for_shell()?;
    vm.quiet_kernel_console()?;

    // Ctrl-Z stops the foreground sleep; the shell reports it and comes back.
    vm.send_line("sleep 300")?;
    vm.expect("sleep 300", Duration::from_secs(10))?;
    press_until(&mut vm, b"\x1a", "Stopped")?;
    vm.expect("# ", Duration::from_secs(10))?;

    let jobs = vm.run("jobs")?;
    vm.check(
        jobs.contains("[1]+") && jobs.contains("Stopped") && jobs.contains("sleep 300"),
        || format!("jobs after Ctrl-Z printed {jobs:?}"),
    )?;

    // bg lets it run in the background; jobs -l shows it running with its pid.
    let bg = vm.run("bg %1")?;
    vm.check(bg.contains("[1] sleep 300"), || {
        format!("bg %1 printed {bg:?}")
    })?;
    let jobs = vm.run("jobs -l")?;
    vm.check(
        jobs.contains("Running") && jobs.contains("sleep 300"),
        || format!("jobs -l after bg printed {jobs:?}"),
    )?;
    let pids = vm.run("jobs -p")?;
    let pid = pids.trim().to_string();
    vm.check(
        !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()),
        || format!("jobs -p printed {pids:?}"),
    )?;

    // fg brings it back to the terminal; Ctrl-C ends it (status 130) and the prompt returns.
    vm.send_line("fg %1")?;
    vm.expect("sleep 300", Duration::from_secs(10))?;
    // Wait until the job is the terminal's foreground group before Ctrl-C.
    press_until(&mut vm, b"\x03", "# ")?;
    vm.send_line("echo st=$?")?;
    vm.expect("st=130", Duration::from_secs(10))?;
    vm.expect("# ", Duration::from_secs(10))?;

    let (status, left) = vm.run_status(&format!("jobs; kill -0 {pid} 2>/dev/null"))?;
    vm.check(status != 0 && left.trim().is_empty(), || {
        format!("after fg and Ctrl-C: jobs printed {left:?}, kill -0 {pid} exited {status}")
    })?;

    // A background job that ends is reported Done before a later prompt.
    vm.run("sleep 0.2 & true")?;
    vm.send_line("sleep 1")?;
    vm.expect("Done", Duration::from_secs(10))?;
    vm.expect("# ", Duration::from_secs(10))?;
    Ok(())
}
