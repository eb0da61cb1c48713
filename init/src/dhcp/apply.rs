//! Turning a lease into configuration: a plan of netlink changes (address, MTU, routes), the text
//! of resolv.conf, and the lease file. Planning is pure; `execute` runs a plan through `NetConfig`.

use std::fs;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use crate::netlink::{
    ipv4_broadcast, IfAddr, NetChange, NetConfig, NetlinkError, Route, RTPROT_BOOT, RTPROT_DHCP,
};

use super::lease::Lease;
use super::DhcpError;

/// The changes that configure `lease` on interface `index`. `old` is the lease it replaces (its
/// address is removed when it differs); `default_route` says whether this interface may own the
/// default route.
pub fn lease_plan(
    lease: &Lease,
    index: u32,
    old: Option<&Lease>,
    default_route: bool,
) -> Vec<NetChange> {
    let mut plan = Vec::new();
    if let Some(old) = old {
        if old.address != lease.address || old.prefix != lease.prefix {
            plan.push(NetChange::DelAddress(lease_addr(old, index)));
        }
    }
    if let Some(mtu) = lease.mtu {
        plan.push(NetChange::Mtu(index, u32::from(mtu)));
    }
    plan.push(NetChange::AddAddress(lease_addr(lease, index)));
    let protocol = if lease.server.is_some() {
        RTPROT_DHCP
    } else {
        RTPROT_BOOT
    };
    let mut route = |dst: Ipv4Addr, prefix: u8, gw: Ipv4Addr| {
        let gateway = (!gw.is_unspecified()).then_some(IpAddr::V4(gw));
        let mut r = Route::new(IpAddr::V4(dst), prefix, gateway, Some(index));
        r.protocol = protocol;
        plan.push(NetChange::AddRoute(r));
    };
    let on_link = |gw: Ipv4Addr| {
        let net =
            |a: Ipv4Addr| u32::from(a) & u32::from(crate::netlink::ipv4_netmask(lease.prefix));
        gw.is_unspecified() || net(gw) == net(lease.address)
    };
    // RFC 3442 §2: with option 121 present, option 3 is ignored.
    if lease.static_routes.is_empty() {
        if let (true, Some(gw)) = (default_route, lease.routers.first().copied()) {
            if !on_link(gw) {
                // A router outside the subnet (a /32 lease) is reached by a host route first.
                route(gw, 32, Ipv4Addr::UNSPECIFIED);
            }
            route(Ipv4Addr::UNSPECIFIED, 0, gw);
        }
    } else {
        for r in &lease.static_routes {
            if r.prefix == 0 && !default_route {
                continue;
            }
            if !on_link(r.gateway) {
                route(r.gateway, 32, Ipv4Addr::UNSPECIFIED);
            }
            route(r.dst, r.prefix, r.gateway);
        }
    }
    plan
}

/// Removing a lease: its address (the kernel drops the routes through it with it).
pub fn unbind_plan(lease: &Lease, index: u32) -> Vec<NetChange> {
    vec![NetChange::DelAddress(lease_addr(lease, index))]
}

fn lease_addr(lease: &Lease, index: u32) -> IfAddr {
    let mut a = IfAddr::new(index, IpAddr::V4(lease.address), lease.prefix);
    if lease.prefix < 31 {
        a.broadcast = Some(
            lease
                .broadcast
                .unwrap_or_else(|| ipv4_broadcast(lease.address, lease.prefix)),
        );
    }
    a
}

/// Runs a plan. Deleting what is already gone (ESRCH, EADDRNOTAVAIL) is not an error.
pub fn execute(net: &mut dyn NetConfig, plan: &[NetChange]) -> Result<(), NetlinkError> {
    for change in plan {
        let result = match change {
            NetChange::LinkUp(i, up) => net.set_link_up(*i, *up),
            NetChange::Mtu(i, mtu) => net.set_mtu(*i, *mtu),
            NetChange::AddAddress(a) => net.add_address(a),
            NetChange::DelAddress(a) => net.del_address(a),
            NetChange::AddRoute(r) => net.add_route(r),
            NetChange::DelRoute(r) => net.del_route(r),
        };
        match result {
            Err(NetlinkError::Kernel { source, .. })
                if matches!(change, NetChange::DelAddress(_) | NetChange::DelRoute(_))
                    && matches!(
                        source.raw_os_error(),
                        Some(libc::ESRCH) | Some(libc::EADDRNOTAVAIL) | Some(libc::ENOENT)
                    ) => {}
            other => other?,
        }
    }
    Ok(())
}

/// resolv.conf(5) for a lease: `search` from option 119, else option 15; `nameserver` lines from
/// option 6 (the resolver reads at most three). `extra_dns` come first (`nameserver=` on the
/// kernel command line).
pub fn resolv_conf(lease: &Lease, extra_dns: &[Ipv4Addr]) -> String {
    let mut out = format!("# written by rroot for {}\n", lease.iface);
    let search: Vec<&str> = if lease.search.is_empty() {
        lease.domain.iter().map(String::as_str).collect()
    } else {
        lease.search.iter().map(String::as_str).collect()
    };
    if !search.is_empty() {
        out.push_str("search ");
        out.push_str(&search.join(" "));
        out.push('\n');
    }
    let mut seen = Vec::new();
    for ns in extra_dns.iter().chain(&lease.dns) {
        if !seen.contains(ns) && seen.len() < 3 {
            seen.push(*ns);
            out.push_str(&format!("nameserver {ns}\n"));
        }
    }
    out
}

/// Replaces `path` with `text` atomically (temporary file in the same directory, then rename),
/// creating the directory if needed.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), DhcpError> {
    let err = |source| DhcpError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(err)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        match fs::rename(&tmp, path) {
            // A file bind-mounted over the target (containers, `ip netns exec` with
            // /etc/netns/NAME/resolv.conf) cannot be renamed over: write it in place.
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                let _ = fs::remove_file(&tmp);
                fs::write(path, text)
            }
            other => other,
        }
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        err(e)
    })
}

/// `ROOT/etc/resolv.conf`. A symlink there (systemd's stub) is replaced by a file.
pub fn write_resolv_conf(
    root: &Path,
    lease: &Lease,
    extra_dns: &[Ipv4Addr],
) -> Result<(), DhcpError> {
    write_atomic(
        &root.join("etc/resolv.conf"),
        &resolv_conf(lease, extra_dns),
    )
}

/// hosts(5) for a machine called `hostname`, with its leased address if it has one.
pub fn hosts_text(hostname: &str, address: Option<Ipv4Addr>) -> String {
    let mut out = String::from("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    match address {
        Some(a) => out.push_str(&format!("{a}\t{hostname}\n")),
        None => out.push_str(&format!("127.0.1.1\t{hostname}\n")),
    }
    out
}

/// Where the lease of `iface` is kept: `DIR/IFACE.lease`.
pub fn lease_path(dir: &Path, iface: &str) -> PathBuf {
    dir.join(format!("{iface}.lease"))
}

pub fn save_lease(dir: &Path, lease: &Lease) -> Result<(), DhcpError> {
    write_atomic(&lease_path(dir, &lease.iface), &lease.to_text())
}

pub fn load_lease(dir: &Path, iface: &str) -> Result<Lease, DhcpError> {
    let path = lease_path(dir, iface);
    let text = fs::read_to_string(&path).map_err(|source| DhcpError::Read {
        path: path.clone(),
        source,
    })?;
    Lease::from_text(&text).map_err(|reason| DhcpError::BadLeaseFile { path, reason })
}

#[cfg(test)]
mod tests {
    use super::super::lease::StaticRoute;
    use super::*;
    use crate::netlink::{RecordingNet, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE};

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().expect("ip")
    }

    fn lease() -> Lease {
        let mut l = Lease::new("eth0", ip("10.0.2.15"), 24);
        l.routers = vec![ip("10.0.2.2"), ip("10.0.2.4")];
        l.server = Some(ip("10.0.2.2"));
        l
    }

    /// The plan as short text, one change per entry, for readable tables.
    fn show(plan: &[NetChange]) -> Vec<String> {
        plan.iter()
            .map(|c| match c {
                NetChange::Mtu(i, m) => format!("mtu {i} {m}"),
                NetChange::AddAddress(a) => format!(
                    "addr add {}/{} brd {}",
                    a.addr,
                    a.prefix,
                    a.broadcast.map(|b| b.to_string()).unwrap_or("-".into())
                ),
                NetChange::DelAddress(a) => format!("addr del {}/{}", a.addr, a.prefix),
                NetChange::AddRoute(r) => format!(
                    "route add {}{}",
                    crate::netlink::route_text(r),
                    if r.scope == RT_SCOPE_LINK {
                        " link"
                    } else {
                        ""
                    }
                ),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn plans() {
        let mut with_121 = lease();
        with_121.static_routes = vec![
            StaticRoute {
                dst: ip("10.9.0.0"),
                prefix: 16,
                gateway: ip("10.0.2.3"),
            },
            StaticRoute {
                dst: ip("0.0.0.0"),
                prefix: 0,
                gateway: ip("10.0.2.1"),
            },
            StaticRoute {
                dst: ip("10.0.3.0"),
                prefix: 24,
                gateway: ip("0.0.0.0"),
            },
        ];
        let mut slash32 = lease();
        slash32.prefix = 32;
        slash32.routers = vec![ip("169.254.1.1")];
        let mut mtu = lease();
        mtu.mtu = Some(1400);
        mtu.broadcast = Some(ip("10.0.2.127"));
        let mut no_router = lease();
        no_router.routers.clear();
        let cases: Vec<(&str, Lease, bool, Vec<&str>)> = vec![
            (
                "router gives the default route",
                lease(),
                true,
                vec![
                    "addr add 10.0.2.15/24 brd 10.0.2.255",
                    "route add default via 10.0.2.2",
                ],
            ),
            (
                "second interface: no default route",
                lease(),
                false,
                vec!["addr add 10.0.2.15/24 brd 10.0.2.255"],
            ),
            (
                "no router",
                no_router,
                true,
                vec!["addr add 10.0.2.15/24 brd 10.0.2.255"],
            ),
            (
                "121 wins over 3",
                with_121.clone(),
                true,
                vec![
                    "addr add 10.0.2.15/24 brd 10.0.2.255",
                    "route add 10.9.0.0/16 via 10.0.2.3",
                    "route add default via 10.0.2.1",
                    "route add 10.0.3.0/24 link",
                ],
            ),
            (
                "121 without the default route when not ours",
                with_121,
                false,
                vec![
                    "addr add 10.0.2.15/24 brd 10.0.2.255",
                    "route add 10.9.0.0/16 via 10.0.2.3",
                    "route add 10.0.3.0/24 link",
                ],
            ),
            (
                "router outside a /32",
                slash32,
                true,
                vec![
                    "addr add 10.0.2.15/32 brd -",
                    "route add 169.254.1.1/32 link",
                    "route add default via 169.254.1.1",
                ],
            ),
            (
                "mtu and broadcast from the server",
                mtu,
                false,
                vec!["mtu 2 1400", "addr add 10.0.2.15/24 brd 10.0.2.127"],
            ),
        ];
        for (what, l, default_route, want) in cases {
            assert_eq!(
                show(&lease_plan(&l, 2, None, default_route)),
                want,
                "{what}"
            );
        }
        // Routes from a DHCP lease are marked proto dhcp; default route has universe scope.
        let plan = lease_plan(&lease(), 2, None, true);
        let NetChange::AddRoute(r) = &plan[1] else {
            panic!("route")
        };
        assert_eq!((r.protocol, r.scope), (RTPROT_DHCP, RT_SCOPE_UNIVERSE));
    }

    #[test]
    fn new_address_replaces_old() {
        let old = lease();
        let mut new = lease();
        new.address = ip("10.0.2.16");
        assert_eq!(
            show(&lease_plan(&new, 2, Some(&old), false)),
            vec![
                "addr del 10.0.2.15/24",
                "addr add 10.0.2.16/24 brd 10.0.2.255"
            ]
        );
        // Renewal of the same address changes nothing but re-adds (replace) it.
        assert_eq!(
            show(&lease_plan(&old, 2, Some(&old), false)),
            vec!["addr add 10.0.2.15/24 brd 10.0.2.255"]
        );
        assert_eq!(show(&unbind_plan(&old, 2)), vec!["addr del 10.0.2.15/24"]);
    }

    #[test]
    fn execute_runs_the_plan() {
        let mut net = RecordingNet::default();
        let plan = lease_plan(&lease(), 2, None, true);
        execute(&mut net, &plan).expect("records");
        assert_eq!(net.changes, plan);
    }

    #[test]
    fn resolv_conf_text() {
        let mut l = lease();
        l.dns = vec![ip("10.0.2.3"), ip("1.1.1.1"), ip("8.8.8.8"), ip("9.9.9.9")];
        l.domain = Some("example.test".into());
        assert_eq!(
            resolv_conf(&l, &[]),
            "# written by rroot for eth0\nsearch example.test\nnameserver 10.0.2.3\nnameserver 1.1.1.1\nnameserver 8.8.8.8\n"
        );
        l.search = vec!["a.test".into(), "b.test".into()];
        l.dns = vec![ip("10.0.2.3")];
        assert_eq!(
            resolv_conf(&l, &[ip("192.168.1.1"), ip("10.0.2.3")]),
            "# written by rroot for eth0\nsearch a.test b.test\nnameserver 192.168.1.1\nnameserver 10.0.2.3\n"
        );
    }

    #[test]
    fn hosts_file() {
        assert_eq!(
            hosts_text("web", Some(ip("10.0.2.15"))),
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.2.15\tweb\n"
        );
        assert!(hosts_text("web", None).ends_with("127.0.1.1\tweb\n"));
    }

    #[test]
    fn files_are_written_atomically() {
        let dir = tempfile::tempdir().expect("tempdir");
        let l = lease();
        save_lease(&dir.path().join("run/dhclient"), &l).expect("save");
        assert_eq!(
            load_lease(&dir.path().join("run/dhclient"), "eth0").expect("load"),
            l
        );
        assert!(load_lease(dir.path(), "eth1").is_err());
        let root = dir.path().join("mnt");
        fs::create_dir_all(root.join("etc")).expect("mkdir");
        std::os::unix::fs::symlink(
            "../run/systemd/resolve/stub-resolv.conf",
            root.join("etc/resolv.conf"),
        )
        .expect("symlink");
        write_resolv_conf(&root, &l, &[ip("10.0.2.3")]).expect("write");
        let text = fs::read_to_string(root.join("etc/resolv.conf")).expect("read");
        assert!(text.contains("nameserver 10.0.2.3\n"));
        assert!(!root.join("etc/resolv.conf").is_symlink());
        assert!(!root.join("etc/resolv.conf.tmp").exists());
    }
}
