//! The DHCP client on a real interface: bring the link up, wait for carrier through netlink
//! events, talk UDP on port 68 bound to the device (SO_BINDTODEVICE, SO_BROADCAST), drive the
//! state machine with the monotonic clock, and apply leases through netlink.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsFd, AsRawFd};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{recv, MsgFlags};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::netlink::{LinkKind, NetConfig, Rtnl};

use super::apply::{execute, lease_plan, save_lease, unbind_plan, write_resolv_conf};
use super::lease::Lease;
use super::machine::{Action, Dest, Machine, Rng, XorShift};
use super::packet::{build, parse_reply, ClientId, Outgoing, MAX_MESSAGE};
use super::DhcpError;

const CLIENT_PORT: u16 = 68;
const SERVER_PORT: u16 = 67;

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct DhcpOptions {
    /// One-shot: give up after this long without a lease. Daemon: say so, keep trying.
    pub timeout: Duration,
    /// Daemon: after a timeout without a lease, start a fresh exchange this long later.
    pub retry: Duration,
    /// Keep running after the first lease: renew at T1, rebind at T2, start over on expiry.
    pub daemon: bool,
    /// Print the lease, configure nothing (the link is still brought up to talk).
    pub dry_run: bool,
    /// Log ignored packets and each message sent.
    pub verbose: bool,
    /// Set the hostname from option 12.
    pub set_hostname: bool,
    /// Whether the first lease may install the default route and write resolv.conf.
    pub default_route: bool,
    /// Roots whose `etc/resolv.conf` is written (`/`, a mounted image root).
    pub resolv_roots: Vec<PathBuf>,
    /// Name servers put before the server's (`nameserver=`).
    pub extra_dns: Vec<Ipv4Addr>,
    /// Where leases are saved: DIR/IFACE.lease.
    pub lease_dir: PathBuf,
    /// Sent to the server as option 12.
    pub send_hostname: Option<String>,
    /// Where progress goes (init's log, or stderr for the applet).
    pub log: fn(&str),
}

fn log_stderr(msg: &str) {
    eprintln!("dhclient: {msg}");
}

impl Default for DhcpOptions {
    fn default() -> Self {
        DhcpOptions {
            timeout: Duration::from_secs(15),
            retry: Duration::from_secs(60),
            daemon: false,
            dry_run: false,
            verbose: false,
            set_hostname: false,
            default_route: true,
            resolv_roots: vec![PathBuf::from("/")],
            extra_dns: Vec::new(),
            lease_dir: PathBuf::from("/run/dhclient"),
            send_hostname: None,
            log: log_stderr,
        }
    }
}

/// What the client threads report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DhcpEvent {
    /// A lease was applied (or, in a dry run, obtained); sent again on each renewal.
    Bound(Lease),
    /// The lease ended (expired or refused) and its address was removed.
    Unbound(Lease),
    /// The client for this interface stopped with this error.
    Failed { iface: String, error: String },
}

/// State shared by the clients of one run: the first interface to bind owns the default route.
#[derive(Debug, Default)]
pub struct SharedState {
    default_owner: Mutex<Option<String>>,
}

impl SharedState {
    /// True when `iface` owns (or now takes) the default route.
    fn claim_default(&self, iface: &str) -> bool {
        let Ok(mut owner) = self.default_owner.lock() else {
            return false;
        };
        match owner.as_deref() {
            None => {
                *owner = Some(iface.to_string());
                true
            }
            Some(o) => o == iface,
        }
    }

    fn give_up_default(&self, iface: &str) {
        if let Ok(mut owner) = self.default_owner.lock() {
            if owner.as_deref() == Some(iface) {
                *owner = None;
            }
        }
    }
}

/// A UDP socket on port 68 bound to `iface`.
fn open_socket(iface: &str) -> Result<Socket, DhcpError> {
    let err = |source| DhcpError::Socket {
        iface: iface.to_string(),
        source,
    };
    let s = Socket::new(Domain::IPV4, Type::DGRAM.cloexec(), Some(Protocol::UDP)).map_err(err)?;
    s.set_reuse_address(true).map_err(err)?;
    s.set_broadcast(true).map_err(err)?;
    s.bind_device(Some(iface.as_bytes())).map_err(err)?;
    s.bind(&SockAddr::from(SocketAddrV4::new(
        Ipv4Addr::UNSPECIFIED,
        CLIENT_PORT,
    )))
    .map_err(err)?;
    Ok(s)
}

fn send(sock: &Socket, iface: &str, bytes: &[u8], to: Dest) -> Result<(), DhcpError> {
    let addr = match to {
        Dest::Broadcast => Ipv4Addr::BROADCAST,
        Dest::Unicast(a) => a,
    };
    sock.send_to(bytes, &SockAddr::from(SocketAddrV4::new(addr, SERVER_PORT)))
        .map(drop)
        .map_err(|source| DhcpError::Send {
            iface: iface.to_string(),
            source,
        })
}

/// Waits up to `timeout` for a datagram; returns its bytes and real length.
fn receive(
    sock: &Socket,
    iface: &str,
    timeout: Duration,
) -> Result<Option<(Vec<u8>, usize)>, DhcpError> {
    let ms = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
    let mut fds = [PollFd::new(sock.as_fd(), PollFlags::POLLIN)];
    match poll(&mut fds, PollTimeout::from(ms)) {
        Ok(0) | Err(nix::errno::Errno::EINTR) => return Ok(None),
        Ok(_) => {}
        Err(e) => {
            return Err(DhcpError::Recv {
                iface: iface.to_string(),
                source: e.into(),
            })
        }
    }
    let mut buf = vec![0u8; MAX_MESSAGE];
    // MSG_TRUNC makes recv report the datagram's real size, so oversized ones are recognised.
    match recv(
        sock.as_raw_fd(),
        &mut buf,
        MsgFlags::MSG_TRUNC | MsgFlags::MSG_DONTWAIT,
    ) {
        Ok(n) => Ok(Some((buf, n))),
        Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => Ok(None),
        Err(e) => Err(DhcpError::Recv {
            iface: iface.to_string(),
            source: e.into(),
        }),
    }
}

/// The interface's index and MAC address; it must be Ethernet.
fn ethernet(rtnl: &mut Rtnl, iface: &str) -> Result<(u32, [u8; 6]), DhcpError> {
    let link = rtnl.link(iface)?;
    let mac = link
        .mac
        .as_deref()
        .and_then(|m| <[u8; 6]>::try_from(m).ok())
        .filter(|_| link.kind == LinkKind::Ether)
        .ok_or_else(|| DhcpError::NotEthernet(iface.to_string()))?;
    Ok((link.index, mac))
}

/// Every non-loopback Ethernet interface.
pub fn ethernet_interfaces() -> Result<Vec<String>, DhcpError> {
    let mut rtnl = Rtnl::open()?;
    Ok(rtnl
        .links()?
        .into_iter()
        .filter(|l| l.kind == LinkKind::Ether && l.mac.as_ref().is_some_and(|m| m.len() == 6))
        .map(|l| l.name)
        .collect())
}

/// Runs the client on one interface. One-shot: returns the lease once bound, or `NoLease` after
/// the timeout. Daemon: returns only on error.
pub fn run_interface(
    iface: &str,
    opts: &DhcpOptions,
    shared: &SharedState,
    report: &dyn Fn(DhcpEvent),
) -> Result<Option<Lease>, DhcpError> {
    let started = Instant::now();
    let mut rtnl = Rtnl::open()?;
    let (index, mac) = ethernet(&mut rtnl, iface)?;
    rtnl.set_link_up(index, true)?;
    let secs = opts.timeout.as_secs();
    let mut waited = false;
    loop {
        match rtnl.wait_carrier(index, opts.timeout) {
            Ok(_) => break,
            // A daemon waits for the cable as long as it takes; say so once.
            Err(crate::netlink::NetlinkError::LinkTimeout { .. }) if opts.daemon => {
                if !waited {
                    (opts.log)(&format!(
                        "{iface}: no carrier after {secs} s, still waiting"
                    ));
                    waited = true;
                }
            }
            Err(crate::netlink::NetlinkError::LinkTimeout { .. }) => {
                return Err(DhcpError::NoCarrier {
                    iface: iface.to_string(),
                    secs,
                })
            }
            Err(e) => return Err(e.into()),
        }
    }
    let sock = open_socket(iface)?;
    let id = ClientId {
        mac,
        hostname: opts.send_hostname.clone(),
    };
    let log = opts.log;
    let mut machine = Machine::new(XorShift::from_entropy());
    let now = || started.elapsed();
    let mut pending = machine.start(now());
    let mut warned = false;
    let mut next_restart = Duration::MAX;
    loop {
        for action in std::mem::take(&mut pending) {
            match action {
                Action::Send { msg, xid, secs, to } => {
                    if opts.verbose {
                        log(&format!(
                            "{iface}: send {msg:?} xid {xid:#010x} to {to:?} at {} ms",
                            started.elapsed().as_millis()
                        ));
                    }
                    send(&sock, iface, &build(&msg, xid, secs, &id), to)?;
                }
                Action::Bind(lease) => {
                    let old = machine_old_lease(&lease, opts, iface);
                    bind(&mut rtnl, index, &lease, old.as_ref(), opts, shared)?;
                    report(DhcpEvent::Bound(lease.clone()));
                    if !opts.daemon {
                        return Ok(Some(lease));
                    }
                }
                Action::Unbind(lease) => {
                    log(&format!("{iface}: lease of {} ended", lease.address));
                    if !opts.dry_run {
                        execute(&mut rtnl, &unbind_plan(&lease, index))?;
                        let _ =
                            std::fs::remove_file(super::apply::lease_path(&opts.lease_dir, iface));
                    }
                    shared.give_up_default(iface);
                    report(DhcpEvent::Unbound(lease));
                }
                Action::Nak { message } => {
                    log(&format!(
                        "{iface}: server refused the request{}",
                        message.map(|m| format!(": {m}")).unwrap_or_default()
                    ));
                }
            }
        }
        let elapsed = now();
        if machine.lease().is_none() && elapsed >= opts.timeout {
            if !opts.daemon {
                return Err(DhcpError::NoLease {
                    iface: iface.to_string(),
                    secs,
                });
            }
            if !warned {
                log(&format!("{iface}: no lease after {secs} s, still trying"));
                warned = true;
                next_restart = elapsed + opts.retry;
            } else if elapsed >= next_restart {
                // A fresh exchange: new xid, back-off from the start (ISC dhclient's -retry).
                pending = machine.start(elapsed);
                next_restart = elapsed + opts.timeout + opts.retry;
                continue;
            }
        }
        let mut wait = machine
            .deadline()
            .map_or(Duration::from_secs(3600), |d| d.saturating_sub(elapsed));
        if machine.lease().is_none() {
            let until = if opts.daemon && warned {
                next_restart
            } else {
                opts.timeout
            };
            wait = wait.min(until.saturating_sub(elapsed));
        }
        match receive(&sock, iface, wait)? {
            Some((buf, len)) => match parse_reply(&buf, len, machine.xid(), &mac, iface) {
                Ok(reply) => {
                    if opts.verbose {
                        log(&format!(
                            "{iface}: received {} at {} ms",
                            reply_name(&reply),
                            started.elapsed().as_millis()
                        ));
                    }
                    pending = machine.on_reply(reply, now());
                }
                Err(why) => {
                    if opts.verbose {
                        log(&format!("{iface}: ignored: {why}"));
                    }
                }
            },
            None => pending = machine.on_timer(now()),
        }
    }
}

fn reply_name(reply: &super::packet::Reply) -> String {
    match reply {
        super::packet::Reply::Offer(l) => format!("OFFER of {} from {:?}", l.address, l.server),
        super::packet::Reply::Ack(l) => format!("ACK of {} from {:?}", l.address, l.server),
        super::packet::Reply::Nak { server, .. } => format!("NAK from {server:?}"),
    }
}

/// The lease saved for this interface by an earlier run, so a changed address replaces it.
fn machine_old_lease(lease: &Lease, opts: &DhcpOptions, iface: &str) -> Option<Lease> {
    if opts.dry_run {
        return None;
    }
    super::apply::load_lease(&opts.lease_dir, iface)
        .ok()
        .filter(|old| old.address != lease.address || old.prefix != lease.prefix)
}

/// Applies a lease: netlink plan, lease file, resolv.conf and hostname for the default owner.
fn bind(
    net: &mut dyn NetConfig,
    index: u32,
    lease: &Lease,
    old: Option<&Lease>,
    opts: &DhcpOptions,
    shared: &SharedState,
) -> Result<(), DhcpError> {
    let log = opts.log;
    let owner = opts.default_route && shared.claim_default(&lease.iface);
    let gw = lease
        .default_gateway()
        .filter(|_| owner)
        .map(|g| format!(" via {g}"))
        .unwrap_or_default();
    let server = lease
        .server
        .map(|s| format!(" from {s}"))
        .unwrap_or_default();
    log(&format!(
        "{}: {}/{}{gw}{server}, lease {} s{}{}",
        lease.iface,
        lease.address,
        lease.prefix,
        lease.lease_time,
        if lease.lease_time == super::lease::INFINITE {
            String::new()
        } else {
            format!(" (renew in {} s)", lease.t1)
        },
        if opts.dry_run { " (dry run)" } else { "" }
    ));
    if opts.dry_run {
        return Ok(());
    }
    execute(net, &lease_plan(lease, index, old, owner))?;
    save_lease(&opts.lease_dir, lease)?;
    if owner {
        // The address and routes are in place: a resolv.conf that cannot be written (a
        // read-only or missing /etc) is reported, and the lease is kept.
        for root in &opts.resolv_roots {
            if let Err(e) = write_resolv_conf(root, lease, &opts.extra_dns) {
                (opts.log)(&e.to_string());
            }
        }
        if let (true, Some(name)) = (opts.set_hostname, &lease.hostname) {
            nix::unistd::sethostname(name).map_err(|e| DhcpError::Hostname {
                name: name.clone(),
                source: e.into(),
            })?;
        }
    }
    Ok(())
}

/// Applies a static configuration (`ip=CLIENT:…:off`) on its interface: link up, address, default
/// route through the gateway, resolv.conf and hostname as for a lease.
pub fn apply_static(lease: &Lease, opts: &DhcpOptions) -> Result<(), DhcpError> {
    let mut rtnl = Rtnl::open()?;
    let iface = if lease.iface.is_empty() {
        ethernet_interfaces()?
            .into_iter()
            .next()
            .ok_or(DhcpError::NoInterface)?
    } else {
        lease.iface.clone()
    };
    let mut lease = lease.clone();
    lease.iface = iface;
    let index = rtnl.link_index(&lease.iface)?;
    rtnl.set_link_up(index, true)?;
    bind(
        &mut rtnl,
        index,
        &lease,
        None,
        opts,
        &SharedState::default(),
    )
}

/// A client thread: its lease in one-shot mode, or the error it stopped with.
pub type ClientThread = JoinHandle<Result<Option<Lease>, DhcpError>>;

/// Starts one client thread per interface (`None`: every Ethernet interface) and returns the
/// channel their events arrive on, with the threads' handles.
pub fn spawn(
    ifaces: Option<Vec<String>>,
    opts: DhcpOptions,
) -> Result<(Receiver<DhcpEvent>, Vec<ClientThread>), DhcpError> {
    let ifaces = match ifaces {
        Some(list) => list,
        None => ethernet_interfaces()?,
    };
    if ifaces.is_empty() {
        return Err(DhcpError::NoInterface);
    }
    let (tx, rx) = mpsc::channel();
    let shared = Arc::new(SharedState::default());
    let opts = Arc::new(opts);
    let mut handles = Vec::new();
    for iface in ifaces {
        let (tx, shared, opts): (Sender<DhcpEvent>, _, _) =
            (tx.clone(), shared.clone(), opts.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("dhcp-{iface}"))
            .spawn(move || {
                let report = |e: DhcpEvent| {
                    let _ = tx.send(e);
                };
                let result = run_interface(&iface, &opts, &shared, &report);
                if let Err(e) = &result {
                    report(DhcpEvent::Failed {
                        iface: iface.clone(),
                        error: e.to_string(),
                    });
                }
                result
            });
        match spawned {
            Ok(h) => handles.push(h),
            Err(_) => return Err(DhcpError::Thread("dhcp".into())),
        }
    }
    Ok((rx, handles))
}

/// For init: DHCP in daemon mode on `ifaces` (or every Ethernet interface) in background threads.
/// The receiver gets `Bound` once each lease is applied (the first one is "network up") and on
/// every renewal; the threads run for as long as the machine does.
pub fn run_boot_dhcp(
    ifaces: Option<Vec<String>>,
    mut opts: DhcpOptions,
) -> Result<Receiver<DhcpEvent>, DhcpError> {
    opts.daemon = true;
    let (rx, _handles) = spawn(ifaces, opts)?;
    Ok(rx)
}

/// `dhclient -r`: send DHCPRELEASE for the saved lease, remove its address and the lease file.
pub fn release(iface: &str, opts: &DhcpOptions) -> Result<Lease, DhcpError> {
    let lease = super::apply::load_lease(&opts.lease_dir, iface).map_err(|e| match e {
        DhcpError::Read { .. } => DhcpError::NothingToRelease(iface.to_string()),
        other => other,
    })?;
    let mut rtnl = Rtnl::open()?;
    let (index, mac) = ethernet(&mut rtnl, iface)?;
    if let Some(server) = lease.server {
        let sock = open_socket(iface)?;
        let xid = XorShift::from_entropy().next_u32();
        let msg = Outgoing::Release {
            ciaddr: lease.address,
            server,
        };
        let id = ClientId {
            mac,
            hostname: None,
        };
        send(
            &sock,
            iface,
            &build(&msg, xid, 0, &id),
            Dest::Unicast(server),
        )?;
    }
    if !opts.dry_run {
        execute(&mut rtnl, &unbind_plan(&lease, index))?;
        let path = super::apply::lease_path(&opts.lease_dir, iface);
        std::fs::remove_file(&path).map_err(|source| DhcpError::Write { path, source })?;
    }
    (opts.log)(&format!("{iface}: released {}", lease.address));
    Ok(lease)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::{NetChange, RecordingNet};

    fn quiet(_: &str) {}

    #[test]
    fn first_interface_owns_the_default_route() {
        let shared = SharedState::default();
        assert!(shared.claim_default("eth0"));
        assert!(!shared.claim_default("eth1"));
        assert!(shared.claim_default("eth0"));
        shared.give_up_default("eth1");
        assert!(!shared.claim_default("eth1"));
        shared.give_up_default("eth0");
        assert!(shared.claim_default("eth1"));
    }

    #[test]
    fn bind_applies_plan_files_and_resolv_conf() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut lease = Lease::new("eth0", Ipv4Addr::new(10, 0, 2, 15), 24);
        lease.routers = vec![Ipv4Addr::new(10, 0, 2, 2)];
        lease.dns = vec![Ipv4Addr::new(10, 0, 2, 3)];
        lease.server = Some(Ipv4Addr::new(10, 0, 2, 2));
        let opts = DhcpOptions {
            resolv_roots: vec![dir.path().join("a"), dir.path().join("b")],
            lease_dir: dir.path().join("run/dhclient"),
            log: quiet,
            ..Default::default()
        };
        let shared = SharedState::default();
        let mut net = RecordingNet::default();
        bind(&mut net, 2, &lease, None, &opts, &shared).expect("bind");
        assert_eq!(net.changes, lease_plan(&lease, 2, None, true));
        assert!(net
            .changes
            .iter()
            .any(|c| matches!(c, NetChange::AddRoute(r) if r.is_default())));
        for root in ["a", "b"] {
            let text = std::fs::read_to_string(dir.path().join(root).join("etc/resolv.conf"))
                .expect("resolv");
            assert!(text.contains("nameserver 10.0.2.3"), "{root}");
        }
        assert!(dir.path().join("run/dhclient/eth0.lease").exists());

        // A second interface gets its address but neither default route nor resolv.conf.
        let mut second = lease.clone();
        second.iface = "eth1".into();
        second.dns = vec![Ipv4Addr::new(9, 9, 9, 9)];
        let mut net = RecordingNet::default();
        bind(&mut net, 3, &second, None, &opts, &shared).expect("bind");
        assert!(!net
            .changes
            .iter()
            .any(|c| matches!(c, NetChange::AddRoute(_))));
        let text = std::fs::read_to_string(dir.path().join("a/etc/resolv.conf")).expect("resolv");
        assert!(!text.contains("9.9.9.9"));

        // Dry run: nothing at all.
        let dry = DhcpOptions {
            dry_run: true,
            lease_dir: dir.path().join("dry"),
            ..opts.clone()
        };
        let mut net = RecordingNet::default();
        bind(&mut net, 2, &lease, None, &dry, &SharedState::default()).expect("bind");
        assert!(net.changes.is_empty());
        assert!(!dir.path().join("dry").exists());
    }
}
