//! init's network API against real namespaces (tests/net/netns.sh) and dnsmasq: `run_boot_dhcp`
//! reports the first lease through its channel, and a static `ip=` plan is applied. Each test
//! re-runs itself inside the client namespace (`ip netns exec`); root only, skipped loudly
//! otherwise; namespaces and dnsmasq are removed when the test ends.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rroot_init::dhcp::{self, DhcpEvent, DhcpOptions, IpPlan};
use rroot_init::netlink::{Family, Rtnl};

const INNER: &str = "RROOT_NET_BOOT_INNER";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

struct Lab {
    name: String,
    dnsmasq: Option<Child>,
    dir: tempfile::TempDir,
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut c) = self.dnsmasq.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = Command::new(repo().join("tests/net/netns.sh"))
            .args(["down", &self.name])
            .status();
    }
}

/// Outside: builds the lab and runs `test` again inside the client namespace; returns false.
/// Inside: returns true and the test body runs.
fn inside_lab(test: &str, tag: &str, prefix: &str, dnsmasq: bool) -> bool {
    if std::env::var_os(INNER).is_some() {
        return true;
    }
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("SKIPPED {test}: needs root for network namespaces");
        return false;
    }
    let netns = repo().join("tests/net/netns.sh");
    let check = Command::new(&netns)
        .arg("check")
        .output()
        .expect("netns.sh");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let mut lab = Lab {
        name: format!("rroot-t-{}-{tag}", std::process::id()),
        dnsmasq: None,
        dir: tempfile::tempdir().expect("tempdir"),
    };
    let up = Command::new(&netns)
        .args(["up", &lab.name, prefix])
        .output()
        .expect("netns.sh up");
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    if dnsmasq {
        let log = lab.dir.path().join("dnsmasq.log");
        lab.dnsmasq = Some(
            Command::new("ip")
                .args(["netns", "exec", &format!("{}-s", lab.name), "dnsmasq"])
                .args(["--no-daemon", "--port=0", "--conf-file=/dev/null"])
                .args(["--interface=veth0", "--bind-interfaces", "--no-ping"])
                .arg(format!(
                    "--dhcp-leasefile={}",
                    lab.dir.path().join("leases").display()
                ))
                .arg(format!(
                    "--dhcp-range={prefix}.50,{prefix}.99,255.255.255.0,2m"
                ))
                .arg(format!("--dhcp-option=option:dns-server,{prefix}.1"))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("log"))
                .spawn()
                .expect("dnsmasq"),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("sockets bound")
        {
            assert!(Instant::now() < deadline, "dnsmasq did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let exe = std::env::current_exe().expect("test binary");
    let status = Command::new("ip")
        .args(["netns", "exec", &format!("{}-c", lab.name)])
        .arg(exe)
        .args(["--exact", test, "--nocapture"])
        .env(INNER, lab.dir.path())
        .status()
        .expect("run inside the namespace");
    assert!(status.success(), "{test} failed inside the namespace");
    false
}

fn scratch() -> PathBuf {
    PathBuf::from(std::env::var_os(INNER).expect("inner"))
}

fn quiet(_: &str) {}

fn options() -> DhcpOptions {
    DhcpOptions {
        lease_dir: scratch().join("run/dhclient"),
        resolv_roots: vec![scratch().join("root")],
        log: quiet,
        ..DhcpOptions::default()
    }
}

#[test]
fn boot_dhcp_reports_first_lease() {
    if !inside_lab("boot_dhcp_reports_first_lease", "boot", "10.213.11", true) {
        return;
    }
    let started = Instant::now();
    let events = dhcp::run_boot_dhcp(None, options()).expect("start");
    let lease = match events.recv_timeout(Duration::from_secs(10)) {
        Ok(DhcpEvent::Bound(lease)) => lease,
        other => panic!("expected a lease, got {other:?}"),
    };
    eprintln!("first lease after {:?}", started.elapsed());
    assert_eq!(lease.iface, "eth0");
    assert!(lease.address.to_string().starts_with("10.213.11."));
    let mut rtnl = Rtnl::open().expect("rtnl");
    let eth0 = rtnl.link("eth0").expect("eth0");
    let addrs = rtnl.addresses(Family::V4, Some(eth0.index)).expect("addrs");
    assert!(addrs
        .iter()
        .any(|a| a.addr == std::net::IpAddr::V4(lease.address)));
    assert!(rtnl
        .routes(Family::V4)
        .expect("routes")
        .iter()
        .any(|r| r.is_default() && r.gateway == Some("10.213.11.1".parse().expect("ip"))));
    let resolv = std::fs::read_to_string(scratch().join("root/etc/resolv.conf")).expect("resolv");
    assert!(resolv.contains("nameserver 10.213.11.1\n"), "{resolv}");
    assert!(scratch().join("run/dhclient/eth0.lease").exists());
}

#[test]
fn static_ip_param_is_applied() {
    if !inside_lab("static_ip_param_is_applied", "static", "10.213.12", false) {
        return;
    }
    let plan =
        dhcp::parse_ip_param("10.213.12.5::10.213.12.1:255.255.255.0:web:eth0:off:10.213.12.53")
            .expect("parses");
    let IpPlan::Static(lease) = plan else {
        panic!("static plan expected: {plan:?}");
    };
    dhcp::apply_static(&lease, &options()).expect("applies");
    let mut rtnl = Rtnl::open().expect("rtnl");
    let eth0 = rtnl.link("eth0").expect("eth0");
    assert!(eth0.is_up());
    let addrs = rtnl.addresses(Family::V4, Some(eth0.index)).expect("addrs");
    assert!(addrs
        .iter()
        .any(|a| a.addr.to_string() == "10.213.12.5" && a.prefix == 24));
    let routes = rtnl.routes(Family::V4).expect("routes");
    assert!(routes
        .iter()
        .any(|r| r.is_default() && r.gateway.map(|g| g.to_string()) == Some("10.213.12.1".into())));
    let resolv = std::fs::read_to_string(scratch().join("root/etc/resolv.conf")).expect("resolv");
    assert!(resolv.contains("nameserver 10.213.12.53\n"), "{resolv}");
}
