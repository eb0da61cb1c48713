//! Issue 4 in a VM: `dhclient` on the console shell against QEMU's built-in DHCP server (user
//! networking: guest 10.0.2.15/24, router 10.0.2.2, DNS 10.0.2.3). The acceptance test, nginx
//! reachable from the host through `hostfwd`, is in `container.rs`, which also checks the lease
//! init takes at boot.
//!
//! The initramfs carries the stock kernel's modules (virtio_net is one), built by
//! `rroot initramfs --kernel-modules`. Nothing is skipped: without a kernel, its modules, rbox or
//! QEMU the test fails and says which setup step provides it.

use rroot_vmtests::{lines, module_initramfs, Qemu, VmError, COMMAND_TIMEOUT, SHUTDOWN_TIMEOUT};

/// Whether `ip addr` output lists `address` (as `inet ADDR/PFX`).
fn has_inet(ip_addr: &str, address: &str) -> bool {
    lines(ip_addr).into_iter().any(|line| {
        let mut words = line.split_whitespace();
        words.next() == Some("inet") && words.next() == Some(address)
    })
}

#[test]
fn dhclient_on_the_console_takes_qemus_lease() -> Result<(), VmError> {
    // ip=off: init leaves the interface alone, so the lease is dhclient's own.
    let mut vm = Qemu::new("network-dhclient")?
        .with_initramfs(module_initramfs()?)
        .with_cmdline("ip=off")
        .user_net(&[])
        .boot()?;
    vm.wait_for_shell()?;
    // Once the shell is up init's routine lines go to the kernel log only: read them there.
    vm.run(
        "for i in $(seq 100); do dmesg | grep -q 'init: network: off (ip=off)' && break; sleep 0.1; done; \
         dmesg | grep 'init: network: off (ip=off)'",
    )?;
    let before = vm.run("ip addr")?;
    vm.check(!has_inet(&before, "10.0.2.15/24"), || {
        format!("10.0.2.15 is configured before dhclient ran:\n{before}")
    })?;

    // One-shot mode: exits 0 once bound (default timeout 15 s, well inside the wait).
    let (status, output) = vm.run_status_within("dhclient -1 eth0", COMMAND_TIMEOUT)?;
    vm.check(status == 0, || {
        format!("dhclient -1 eth0 exited with status {status}:\n{output}")
    })?;

    let addr = vm.run("ip addr show dev eth0")?;
    vm.check(has_inet(&addr, "10.0.2.15/24"), || {
        format!("eth0 lacks 10.0.2.15/24 after dhclient:\n{addr}")
    })?;
    // The default route comes from the Router option (3): QEMU's 10.0.2.2.
    let routes = vm.run("ip route")?;
    vm.check(
        lines(&routes)
            .iter()
            .any(|line| line.starts_with("default via 10.0.2.2") && line.contains("dev eth0")),
        || format!("no default route via 10.0.2.2 dev eth0:\n{routes}"),
    )?;
    // DNS servers (option 6) into /etc/resolv.conf.
    let resolv = vm.run("cat /etc/resolv.conf")?;
    vm.check(lines(&resolv).contains(&"nameserver 10.0.2.3"), || {
        format!("/etc/resolv.conf lacks QEMU's DNS 10.0.2.3:\n{resolv}")
    })?;
    // The lease is kept where `-r` finds it.
    let lease = vm.run("cat /run/dhclient/eth0.lease")?;
    vm.check(lease.contains("10.0.2.15"), || {
        format!("/run/dhclient/eth0.lease does not name 10.0.2.15:\n{lease}")
    })?;

    // Release gives the address back and removes it.
    let (status, output) = vm.run_status_within("dhclient -r eth0", COMMAND_TIMEOUT)?;
    vm.check(status == 0, || {
        format!("dhclient -r eth0 exited with status {status}:\n{output}")
    })?;
    let after = vm.run("ip addr show dev eth0")?;
    vm.check(!has_inet(&after, "10.0.2.15/24"), || {
        format!("10.0.2.15 is still on eth0 after dhclient -r:\n{after}")
    })?;

    vm.send_line("poweroff")?;
    vm.wait_exit(SHUTDOWN_TIMEOUT)?;
    let console = vm.console();
    vm.check(!console.contains("Kernel panic"), || {
        "the console shows a kernel panic".to_string()
    })
}

#[cfg(test)]
mod parsing {
    use super::*;

    #[test]
    fn inet_lines_of_ip_addr() {
        let out = "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP qlen 1000\n\
                   \x20   link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n\
                   \x20   inet 10.0.2.15/24 brd 10.0.2.255 scope global eth0\n";
        let cases = [
            (out, "10.0.2.15/24", true),
            (out, "10.0.2.15/8", false),
            ("    inet6 fe80::1/64 scope link\n", "fe80::1/64", false),
            ("", "10.0.2.15/24", false),
        ];
        for (text, address, want) in cases {
            assert_eq!(has_inet(text, address), want, "{address} in {text:?}");
        }
    }
}
