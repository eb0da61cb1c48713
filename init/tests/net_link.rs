//! Real rtnetlink against a fresh network namespace: the test re-runs itself under `unshare -n`
//! (root only; skips loudly otherwise), so nothing outside the namespace is touched.

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::time::Duration;

use rroot_init::netlink::{self, Family, IfAddr, NetConfig, Route, Rtnl};

const INNER: &str = "RROOT_NET_LINK_INNER";

fn in_fresh_netns(test: &str) -> bool {
    if std::env::var_os(INNER).is_some() {
        return true;
    }
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("SKIPPED {test}: needs root for a network namespace");
        return false;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let status = Command::new("unshare")
        .arg("-n")
        .arg(exe)
        .args(["--exact", test, "--nocapture"])
        .env(INNER, "1")
        .status()
        .expect("run unshare");
    assert!(status.success(), "{test} failed inside the namespace");
    false
}

#[test]
fn lo_comes_up_and_gets_configured() {
    if !in_fresh_netns("lo_comes_up_and_gets_configured") {
        return;
    }
    let mut rtnl = Rtnl::open().expect("open");
    let lo = rtnl.link("lo").expect("lo exists");
    assert!(!lo.is_up(), "lo starts down in a new namespace");
    netlink::set_link_up("lo").expect("set lo up");
    let lo = rtnl.link("lo").expect("lo exists");
    assert!(lo.is_up());
    assert_eq!(lo.kind, netlink::LinkKind::Loopback);
    // Carrier follows at once on loopback: waiting returns without timing out.
    rtnl.wait_carrier(lo.index, Duration::from_secs(2))
        .expect("lo has carrier");

    let addrs = rtnl.addresses(Family::V4, Some(lo.index)).expect("addrs");
    assert!(addrs
        .iter()
        .any(|a| a.addr == IpAddr::V4(Ipv4Addr::LOCALHOST) && a.prefix == 8));

    let extra = IfAddr::new(lo.index, "10.77.0.1".parse().expect("ip"), 24);
    rtnl.add_address(&extra).expect("add address");
    rtnl.add_address(&extra).expect("re-adding replaces");
    assert!(
        rtnl.add_address_with(&extra, true).is_err(),
        "exclusive add of an existing address fails"
    );
    let route = Route::new(
        "10.78.0.0".parse().expect("ip"),
        16,
        Some("10.77.0.2".parse().expect("ip")),
        Some(lo.index),
    );
    rtnl.add_route(&route).expect("add route");
    let routes = rtnl.routes(Family::V4).expect("routes");
    assert!(routes
        .iter()
        .any(|r| r.dst_len == 16 && r.gateway == route.gateway));
    rtnl.del_route(&route).expect("del route");
    rtnl.del_address(&extra).expect("del address");
    let addrs = rtnl.addresses(Family::V4, Some(lo.index)).expect("addrs");
    assert!(!addrs.iter().any(|a| a.addr == extra.addr));

    rtnl.set_mtu(lo.index, 1500).expect("mtu");
    assert_eq!(rtnl.link("lo").expect("lo").mtu, 1500);
    let err = netlink::set_link_up("nonexistent0").expect_err("no such device");
    assert_eq!(err.to_string(), "nonexistent0: no such device");
}
