//! rtnetlink, synchronously: list and configure links, addresses and routes, and wait for a link's
//! carrier through RTNLGRP_LINK events (rtnetlink(7), netlink(7)). Messages are built and parsed with
//! netlink-packet-route; the socket is netlink-sys's plain blocking one (no async runtime in rbox).
//!
//! `Rtnl` is the real connection. Code that configures the network through a plan (DHCP lease,
//! static `ip=`) goes through the `NetConfig` trait so tests can use `RecordingNet` instead.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use netlink_packet_core::{
    DefaultNla, Emitable, ErrorBuffer, NetlinkBuffer, NetlinkHeader, NlasIterator, NLM_F_ACK,
    NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressHeader, AddressScope};
use netlink_packet_route::link::{LinkFlags, LinkHeader};
use netlink_packet_route::route::{RouteHeader, RouteProtocol, RouteScope, RouteType};
use netlink_packet_route::AddressFamily;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

/// Interface flags as in `<net/if.h>` (the kernel's `IFF_*`).
pub const IFF_UP: u32 = 1 << 0;
pub const IFF_BROADCAST: u32 = 1 << 1;
pub const IFF_LOOPBACK: u32 = 1 << 3;
pub const IFF_POINTOPOINT: u32 = 1 << 4;
pub const IFF_RUNNING: u32 = 1 << 6;
pub const IFF_NOARP: u32 = 1 << 7;
pub const IFF_PROMISC: u32 = 1 << 8;
pub const IFF_ALLMULTI: u32 = 1 << 9;
pub const IFF_MULTICAST: u32 = 1 << 12;
pub const IFF_LOWER_UP: u32 = 1 << 16;
pub const IFF_DORMANT: u32 = 1 << 17;

/// Route protocols (`RTPROT_*`) and scopes (`RT_SCOPE_*`) from `<linux/rtnetlink.h>`.
pub const RTPROT_KERNEL: u8 = 2;
pub const RTPROT_BOOT: u8 = 3;
pub const RTPROT_STATIC: u8 = 4;
pub const RTPROT_DHCP: u8 = 16;
pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RT_SCOPE_LINK: u8 = 253;
pub const RT_SCOPE_HOST: u8 = 254;
pub const RT_TABLE_MAIN: u32 = 254;
pub const RT_TABLE_LOCAL: u32 = 255;
/// Route types (`RTN_*`).
pub const RTN_UNICAST: u8 = 1;
pub const RTN_LOCAL: u8 = 2;
pub const RTN_BROADCAST: u8 = 3;

/// Netlink failures; each message is `subject: reason`.
#[derive(Debug, thiserror::Error)]
pub enum NetlinkError {
    #[error("netlink socket: {}", reason(.0))]
    Open(#[source] io::Error),
    #[error("netlink: {}", reason(.0))]
    Io(#[source] io::Error),
    #[error("netlink: malformed message: {0}")]
    Decode(String),
    #[error("{what}: {}", reason(.source))]
    Kernel { what: String, source: io::Error },
    #[error("{0}: no such device")]
    NoSuchDevice(String),
    #[error("{name}: no carrier after {} s", .waited.as_secs_f32())]
    LinkTimeout { name: String, waited: Duration },
}

/// The text of an `io::Error` without the "(os error N)" suffix (the DHCP client uses it too).
pub use crate::ioerror::io_reason as reason;

/// What kind of device a link is, from its ARPHRD type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Loopback,
    Ether,
    Other(u16),
}

/// RFC 2863 operational state (IFLA_OPERSTATE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperState {
    Unknown,
    NotPresent,
    Down,
    LowerLayerDown,
    Testing,
    Dormant,
    Up,
}

impl OperState {
    /// The word iproute2 prints after `state`.
    pub fn as_str(self) -> &'static str {
        match self {
            OperState::Unknown => "UNKNOWN",
            OperState::NotPresent => "NOTPRESENT",
            OperState::Down => "DOWN",
            OperState::LowerLayerDown => "LOWERLAYERDOWN",
            OperState::Testing => "TESTING",
            OperState::Dormant => "DORMANT",
            OperState::Up => "UP",
        }
    }
}

/// A network interface as `ip link` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    /// `IFF_*` bits.
    pub flags: u32,
    pub mtu: u32,
    pub mac: Option<Vec<u8>>,
    pub broadcast: Option<Vec<u8>>,
    pub operstate: OperState,
    pub kind: LinkKind,
    pub qdisc: Option<String>,
    pub txqlen: Option<u32>,
}

impl Link {
    pub fn is_up(&self) -> bool {
        self.flags & IFF_UP != 0
    }

    /// Carrier present and the link ready to send. IFF_LOWER_UP follows the driver's carrier at
    /// once, but when the carrier comes after the link was set up, the kernel attaches the
    /// queueing discipline later, in its (rate-limited, up to 1 s) linkwatch work, and drops
    /// packets until then. So: carrier, and either a real qdisc attached (not `noop`: done at
    /// once when the carrier was already there at `up`) or linkwatch's operational state UP.
    /// UNKNOWN is what drivers without carrier reporting (and loopback) stay in.
    pub fn has_carrier(&self) -> bool {
        self.flags & IFF_LOWER_UP != 0
            && (matches!(self.operstate, OperState::Up | OperState::Unknown)
                || self.qdisc.as_deref().is_some_and(|q| q != "noop"))
    }
}

/// An interface address as `ip addr` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfAddr {
    pub index: u32,
    pub addr: IpAddr,
    pub prefix: u8,
    pub broadcast: Option<Ipv4Addr>,
    /// `RT_SCOPE_*`.
    pub scope: u8,
    pub label: Option<String>,
}

impl IfAddr {
    /// An address to add: scope host for loopback addresses, global otherwise; the IPv4 broadcast
    /// is derived from the prefix unless given.
    pub fn new(index: u32, addr: IpAddr, prefix: u8) -> IfAddr {
        let scope = if addr.is_loopback() {
            RT_SCOPE_HOST
        } else {
            RT_SCOPE_UNIVERSE
        };
        let broadcast = match addr {
            IpAddr::V4(v4) if prefix < 31 => Some(ipv4_broadcast(v4, prefix)),
            _ => None,
        };
        IfAddr {
            index,
            addr,
            prefix,
            broadcast,
            scope,
            label: None,
        }
    }
}

/// The broadcast address of `addr/prefix`.
pub fn ipv4_broadcast(addr: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let host_bits = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
    Ipv4Addr::from(u32::from(addr) | host_bits)
}

/// The netmask of a prefix length (`24` → 255.255.255.0).
pub fn ipv4_netmask(prefix: u8) -> Ipv4Addr {
    let mask = u32::MAX
        .checked_shl(32 - u32::from(prefix.min(32)))
        .unwrap_or(0);
    Ipv4Addr::from(mask)
}

/// A routing table entry as `ip route` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Destination network; with `dst_len` 0 this is the default route.
    pub dst: IpAddr,
    pub dst_len: u8,
    pub gateway: Option<IpAddr>,
    pub oif: Option<u32>,
    pub table: u32,
    /// `RTPROT_*`.
    pub protocol: u8,
    /// `RT_SCOPE_*`.
    pub scope: u8,
    /// `RTN_*`.
    pub kind: u8,
    pub prefsrc: Option<IpAddr>,
    pub metric: Option<u32>,
}

impl Route {
    /// A unicast route in the main table: scope link without a gateway, universe with one.
    pub fn new(dst: IpAddr, dst_len: u8, gateway: Option<IpAddr>, oif: Option<u32>) -> Route {
        Route {
            dst,
            dst_len,
            gateway,
            oif,
            table: RT_TABLE_MAIN,
            protocol: RTPROT_BOOT,
            scope: if gateway.is_some() {
                RT_SCOPE_UNIVERSE
            } else {
                RT_SCOPE_LINK
            },
            kind: RTN_UNICAST,
            prefsrc: None,
            metric: None,
        }
    }

    /// The IPv4 default route through `gateway`.
    pub fn default_v4(gateway: Ipv4Addr, oif: Option<u32>) -> Route {
        Route::new(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            0,
            Some(IpAddr::V4(gateway)),
            oif,
        )
    }

    pub fn is_default(&self) -> bool {
        self.dst_len == 0
    }
}

/// Which address family a listing wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Any,
    V4,
    V6,
}

impl Family {
    fn wants(self, addr: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => addr.is_ipv4(),
            Family::V6 => addr.is_ipv6(),
        }
    }

    fn netlink(self) -> AddressFamily {
        match self {
            Family::Any => AddressFamily::Unspec,
            Family::V4 => AddressFamily::Inet,
            Family::V6 => AddressFamily::Inet6,
        }
    }
}

/// The changes network plans make, behind a trait so planners can be tested with `RecordingNet`.
pub trait NetConfig {
    /// Index of the named interface.
    fn link_index(&mut self, name: &str) -> Result<u32, NetlinkError>;
    fn set_link_up(&mut self, index: u32, up: bool) -> Result<(), NetlinkError>;
    fn set_mtu(&mut self, index: u32, mtu: u32) -> Result<(), NetlinkError>;
    /// Adds an address, replacing one that is already there.
    fn add_address(&mut self, addr: &IfAddr) -> Result<(), NetlinkError>;
    fn del_address(&mut self, addr: &IfAddr) -> Result<(), NetlinkError>;
    /// Adds a route, replacing one to the same destination.
    fn add_route(&mut self, route: &Route) -> Result<(), NetlinkError>;
    fn del_route(&mut self, route: &Route) -> Result<(), NetlinkError>;
}

/// A connection to the kernel's rtnetlink.
pub struct Rtnl {
    socket: Socket,
    seq: u32,
}

const RECV_BUF: usize = 64 * 1024;
const NETLINK_HEADER: usize = 16;

/// Message types from `<linux/netlink.h>` and `<linux/rtnetlink.h>`.
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const RTM_SETLINK: u16 = 19;
const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;
const RTM_GETADDR: u16 = 22;
const RTM_NEWROUTE: u16 = 24;
const RTM_DELROUTE: u16 = 25;
const RTM_GETROUTE: u16 = 26;

/// One message of a datagram: type, sequence number, payload.
type Message<'a> = (u16, u32, &'a [u8]);

/// The messages in one datagram.
fn split_messages(buf: &[u8]) -> Result<Vec<Message<'_>>, NetlinkError> {
    let mut out = Vec::new();
    let mut offset = 0;
    while offset + NETLINK_HEADER <= buf.len() {
        let msg = NetlinkBuffer::new_checked(&buf[offset..])
            .map_err(|e| NetlinkError::Decode(e.to_string()))?;
        let len = msg.length() as usize;
        out.push((
            msg.message_type(),
            msg.sequence_number(),
            &buf[offset + NETLINK_HEADER..offset + len],
        ));
        offset += (len + 3) & !3;
    }
    Ok(out)
}

impl Rtnl {
    pub fn open() -> Result<Rtnl, NetlinkError> {
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(NetlinkError::Open)?;
        socket.bind_auto().map_err(NetlinkError::Open)?;
        socket
            .connect(&SocketAddr::new(0, 0))
            .map_err(NetlinkError::Open)?;
        Ok(Rtnl { socket, seq: 0 })
    }

    /// Sends one request (`body` behind a netlink header of `msg_type`) and collects the replies'
    /// payloads by message type: for a dump every message up to NLMSG_DONE, for an acknowledged
    /// request nothing (the ack) or the kernel's error as `Kernel { what }`.
    ///
    /// Replies are taken apart by type here rather than through netlink-packet-route's
    /// `RouteNetlinkMessage`, whose decoder and encoder cover every rtnetlink family (traffic
    /// control, neighbours, rules…) and cost rbox half a megabyte.
    fn request(
        &mut self,
        msg_type: u16,
        body: &dyn Emitable,
        flags: u16,
        what: &dyn Fn() -> String,
    ) -> Result<Vec<(u16, Vec<u8>)>, NetlinkError> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let len = NETLINK_HEADER + body.buffer_len();
        let mut header = NetlinkHeader::default();
        header.length = u32::try_from(len).unwrap_or(u32::MAX);
        header.message_type = msg_type;
        header.flags = NLM_F_REQUEST | flags;
        header.sequence_number = seq;
        let mut buf = vec![0u8; len];
        header.emit(&mut buf[..NETLINK_HEADER]);
        body.emit(&mut buf[NETLINK_HEADER..]);
        self.socket.send(&buf, 0).map_err(NetlinkError::Io)?;

        let mut replies = Vec::new();
        let mut rbuf: Vec<u8> = Vec::with_capacity(RECV_BUF);
        loop {
            rbuf.clear();
            let n = self.socket.recv(&mut rbuf, 0).map_err(NetlinkError::Io)?;
            if n > rbuf.len() {
                return Err(NetlinkError::Decode(format!(
                    "reply of {n} bytes truncated"
                )));
            }
            for (kind, msg_seq, payload) in split_messages(&rbuf)? {
                if msg_seq != seq {
                    continue;
                }
                match kind {
                    NLMSG_DONE => return Ok(replies),
                    NLMSG_ERROR => {
                        let err = ErrorBuffer::new_checked(payload)
                            .map_err(|e| NetlinkError::Decode(e.to_string()))?;
                        return match err.code() {
                            None => Ok(replies),
                            Some(code) => Err(NetlinkError::Kernel {
                                what: what(),
                                source: io::Error::from_raw_os_error(code.get().saturating_abs()),
                            }),
                        };
                    }
                    _ => {
                        replies.push((kind, payload.to_vec()));
                        // A request without DUMP or ACK is answered by one message.
                        if flags & (NLM_F_DUMP | NLM_F_ACK) == 0 {
                            return Ok(replies);
                        }
                    }
                }
            }
        }
    }

    /// Every link, in index order.
    pub fn links(&mut self) -> Result<Vec<Link>, NetlinkError> {
        let replies = self.request(RTM_GETLINK, &LinkHeader::default(), NLM_F_DUMP, &|| {
            "dump links".to_string()
        })?;
        let mut links: Vec<Link> = replies
            .iter()
            .filter(|(kind, _)| *kind == RTM_NEWLINK)
            .filter_map(|(_, p)| parse_link(p))
            .collect();
        links.sort_by_key(|l| l.index);
        Ok(links)
    }

    /// The named link.
    pub fn link(&mut self, name: &str) -> Result<Link, NetlinkError> {
        self.links()?
            .into_iter()
            .find(|l| l.name == name)
            .ok_or_else(|| NetlinkError::NoSuchDevice(name.to_string()))
    }

    fn set_link(
        &mut self,
        index: u32,
        up: Option<bool>,
        mtu: Option<u32>,
        what: &dyn Fn() -> String,
    ) -> Result<(), NetlinkError> {
        const IFLA_MTU: u16 = 4;
        let header = LinkHeader {
            index,
            // The kernel changes only the flags in change_mask.
            change_mask: if up.is_some() {
                LinkFlags::Up
            } else {
                LinkFlags::empty()
            },
            flags: if up == Some(true) {
                LinkFlags::Up
            } else {
                LinkFlags::empty()
            },
            ..LinkHeader::default()
        };
        let mut msg = Body::new(header);
        if let Some(mtu) = mtu {
            msg.push(IFLA_MTU, mtu.to_ne_bytes().to_vec());
        }
        self.request(RTM_SETLINK, &msg, NLM_F_ACK, what).map(drop)
    }

    /// Addresses of the given family, optionally of one link.
    pub fn addresses(
        &mut self,
        family: Family,
        index: Option<u32>,
    ) -> Result<Vec<IfAddr>, NetlinkError> {
        let req = AddressHeader {
            family: family.netlink(),
            ..AddressHeader::default()
        };
        let replies = self.request(RTM_GETADDR, &req, NLM_F_DUMP, &|| {
            "dump addresses".to_string()
        })?;
        Ok(replies
            .iter()
            .filter(|(kind, _)| *kind == RTM_NEWADDR)
            .filter_map(|(_, p)| parse_addr(p))
            .filter(|a| family.wants(&a.addr) && index.is_none_or(|i| a.index == i))
            .collect())
    }

    /// Routes of the given family, every table.
    pub fn routes(&mut self, family: Family) -> Result<Vec<Route>, NetlinkError> {
        let req = RouteHeader {
            address_family: family.netlink(),
            ..RouteHeader::default()
        };
        let replies = self.request(RTM_GETROUTE, &req, NLM_F_DUMP, &|| {
            "dump routes".to_string()
        })?;
        Ok(replies
            .iter()
            .filter(|(kind, _)| *kind == RTM_NEWROUTE)
            .filter_map(|(_, p)| parse_route(p))
            .filter(|r| family.wants(&r.dst))
            .collect())
    }

    /// Adds an address; with `exclusive` an existing one is an error (`ip addr add`), otherwise it
    /// is replaced (a DHCP lease being re-applied).
    pub fn add_address_with(&mut self, addr: &IfAddr, exclusive: bool) -> Result<(), NetlinkError> {
        let flags = NLM_F_ACK
            | NLM_F_CREATE
            | if exclusive {
                NLM_F_EXCL
            } else {
                netlink_packet_core::NLM_F_REPLACE
            };
        self.request(RTM_NEWADDR, &addr_to_message(addr), flags, &|| {
            format!("add address {}/{}", addr.addr, addr.prefix)
        })
        .map(drop)
    }

    /// Adds a route; with `exclusive` an existing one is an error (`ip route add`).
    pub fn add_route_with(&mut self, route: &Route, exclusive: bool) -> Result<(), NetlinkError> {
        let flags = NLM_F_ACK
            | NLM_F_CREATE
            | if exclusive {
                NLM_F_EXCL
            } else {
                netlink_packet_core::NLM_F_REPLACE
            };
        self.request(RTM_NEWROUTE, &route_to_message(route), flags, &|| {
            format!("add route {}", route_text(route))
        })
        .map(drop)
    }

    /// Waits until the link has carrier (IFF_LOWER_UP), listening to RTNLGRP_LINK notifications:
    /// subscribe first, then look at the current state, so an event between the two is not lost.
    pub fn wait_carrier(&mut self, index: u32, timeout: Duration) -> Result<Link, NetlinkError> {
        let mut events = LinkEvents::subscribe()?;
        let deadline = Instant::now() + timeout;
        let name = match self.links()?.into_iter().find(|l| l.index == index) {
            Some(link) if link.has_carrier() => return Ok(link),
            Some(link) => link.name,
            None => return Err(NetlinkError::NoSuchDevice(format!("index {index}"))),
        };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(NetlinkError::LinkTimeout {
                    name,
                    waited: timeout,
                });
            }
            let links = match events.next(left) {
                Ok(links) => links,
                Err(NetlinkError::Io(e)) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    self.links()?
                }
                Err(e) => return Err(e),
            };
            for link in links {
                if link.index == index && link.has_carrier() {
                    return Ok(link);
                }
            }
        }
    }
}

/// Human text of a route for error messages (`default via 10.0.0.1`, `10.1.0.0/16`).
pub fn route_text(route: &Route) -> String {
    let mut s = if route.is_default() {
        "default".to_string()
    } else {
        format!("{}/{}", route.dst, route.dst_len)
    };
    if let Some(gw) = route.gateway {
        s.push_str(&format!(" via {gw}"));
    }
    s
}

impl NetConfig for Rtnl {
    fn link_index(&mut self, name: &str) -> Result<u32, NetlinkError> {
        Ok(self.link(name)?.index)
    }

    fn set_link_up(&mut self, index: u32, up: bool) -> Result<(), NetlinkError> {
        let word = if up { "up" } else { "down" };
        self.set_link(index, Some(up), None, &|| {
            format!("set link {index} {word}")
        })
    }

    fn set_mtu(&mut self, index: u32, mtu: u32) -> Result<(), NetlinkError> {
        self.set_link(index, None, Some(mtu), &|| {
            format!("set link {index} mtu {mtu}")
        })
    }

    fn add_address(&mut self, addr: &IfAddr) -> Result<(), NetlinkError> {
        self.add_address_with(addr, false)
    }

    fn del_address(&mut self, addr: &IfAddr) -> Result<(), NetlinkError> {
        self.request(RTM_DELADDR, &addr_to_message(addr), NLM_F_ACK, &|| {
            format!("delete address {}/{}", addr.addr, addr.prefix)
        })
        .map(drop)
    }

    fn add_route(&mut self, route: &Route) -> Result<(), NetlinkError> {
        self.add_route_with(route, false)
    }

    fn del_route(&mut self, route: &Route) -> Result<(), NetlinkError> {
        // Like iproute2: scope NOWHERE, protocol and type 0 match any route to the destination
        // (the kernel compares only what is set; fib_table_delete).
        let mut msg = route_to_message(route);
        msg.header.scope = RouteScope::NoWhere;
        msg.header.protocol = RouteProtocol::Unspec;
        msg.header.kind = RouteType::Unspec;
        self.request(RTM_DELROUTE, &msg, NLM_F_ACK, &|| {
            format!("delete route {}", route_text(route))
        })
        .map(drop)
    }
}

/// A subscription to link notifications (RTNLGRP_LINK).
pub struct LinkEvents {
    socket: Socket,
}

impl LinkEvents {
    pub fn subscribe() -> Result<LinkEvents, NetlinkError> {
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(NetlinkError::Open)?;
        socket.bind_auto().map_err(NetlinkError::Open)?;
        socket
            .add_membership(libc::RTNLGRP_LINK)
            .map_err(NetlinkError::Open)?;
        Ok(LinkEvents { socket })
    }

    /// Waits at most `timeout` for notifications and returns the links they describe (empty on
    /// timeout). Notifications that do not decode are skipped: they are not ours to judge.
    pub fn next(&mut self, timeout: Duration) -> Result<Vec<Link>, NetlinkError> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let ms = u16::try_from(timeout.as_millis().max(1)).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(self.socket.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) => return Ok(Vec::new()),
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => return Ok(Vec::new()),
            Err(e) => return Err(NetlinkError::Io(e.into())),
        }
        let mut rbuf: Vec<u8> = Vec::with_capacity(RECV_BUF);
        match self.socket.recv(&mut rbuf, 0) {
            Ok(_) => {}
            // ENOBUFS (events were dropped) is returned too: the caller re-reads the state.
            Err(e) => return Err(NetlinkError::Io(e)),
        }
        let mut links = Vec::new();
        // A notification that does not decode is skipped: it is not ours to judge.
        for (kind, _, payload) in split_messages(&rbuf).unwrap_or_default() {
            if kind == RTM_NEWLINK {
                links.extend(parse_link(payload));
            }
        }
        Ok(links)
    }
}

/// Brings the named interface up (RTM_NEWLINK with IFF_UP).
pub fn set_link_up(name: &str) -> Result<(), NetlinkError> {
    let mut rtnl = Rtnl::open()?;
    let index = rtnl.link_index(name)?;
    rtnl.set_link(index, Some(true), None, &|| format!("{name}: set up"))
}

/// The attributes (type, value) after a fixed header of `header_len` bytes. A malformed
/// attribute ends the list: what came before it is kept.
fn attributes(payload: &[u8], header_len: usize) -> Vec<(u16, &[u8])> {
    let Some(nlas) = payload.get(header_len..) else {
        return Vec::new();
    };
    NlasIterator::new(nlas)
        .map_while(Result::ok)
        .map(|nla| (nla.kind(), nla.into_inner()))
        .filter_map(|(kind, raw)| {
            // NlaBuffer::value without holding the buffer: bytes 4..length.
            let len = usize::from(u16::from_ne_bytes([*raw.first()?, *raw.get(1)?]));
            Some((kind, raw.get(4..len)?))
        })
        .collect()
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn text(v: &[u8]) -> String {
    let v = v.split(|&b| b == 0).next().unwrap_or_default();
    String::from_utf8_lossy(v).into_owned()
}

fn ip_from(v: &[u8]) -> Option<IpAddr> {
    match v.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(v).ok()?))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(v).ok()?))),
        _ => None,
    }
}

/// An RTM_NEWLINK payload (struct ifinfomsg, then IFLA_* attributes) as a `Link`.
pub fn parse_link(p: &[u8]) -> Option<Link> {
    const IFLA_ADDRESS: u16 = 1;
    const IFLA_BROADCAST: u16 = 2;
    const IFLA_IFNAME: u16 = 3;
    const IFLA_MTU: u16 = 4;
    const IFLA_QDISC: u16 = 6;
    const IFLA_TXQLEN: u16 = 13;
    const IFLA_OPERSTATE: u16 = 16;
    let link_type = u16::from_ne_bytes(p.get(2..4)?.try_into().ok()?);
    let mut link = Link {
        index: u32_at(p, 4)?,
        name: String::new(),
        flags: u32_at(p, 8)?,
        mtu: 0,
        mac: None,
        broadcast: None,
        operstate: OperState::Unknown,
        kind: match link_type {
            772 => LinkKind::Loopback, // ARPHRD_LOOPBACK
            1 => LinkKind::Ether,      // ARPHRD_ETHER
            other => LinkKind::Other(other),
        },
        qdisc: None,
        txqlen: None,
    };
    for (kind, v) in attributes(p, 16) {
        match kind {
            IFLA_IFNAME => link.name = text(v),
            IFLA_MTU => link.mtu = u32_at(v, 0).unwrap_or(0),
            IFLA_ADDRESS => link.mac = Some(v.to_vec()),
            IFLA_BROADCAST => link.broadcast = Some(v.to_vec()),
            IFLA_QDISC => link.qdisc = Some(text(v)),
            IFLA_TXQLEN => link.txqlen = u32_at(v, 0),
            IFLA_OPERSTATE => {
                link.operstate = match v.first() {
                    Some(1) => OperState::NotPresent,
                    Some(2) => OperState::Down,
                    Some(3) => OperState::LowerLayerDown,
                    Some(4) => OperState::Testing,
                    Some(5) => OperState::Dormant,
                    Some(6) => OperState::Up,
                    _ => OperState::Unknown,
                }
            }
            _ => {}
        }
    }
    Some(link)
}

/// An RTM_NEWADDR payload (struct ifaddrmsg, then IFA_* attributes) as an `IfAddr`.
pub fn parse_addr(p: &[u8]) -> Option<IfAddr> {
    const IFA_ADDRESS: u16 = 1;
    const IFA_LOCAL: u16 = 2;
    const IFA_LABEL: u16 = 3;
    const IFA_BROADCAST: u16 = 4;
    let mut address = None;
    let mut local = None;
    let mut broadcast = None;
    let mut label = None;
    for (kind, v) in attributes(p, 8) {
        match kind {
            IFA_ADDRESS => address = ip_from(v),
            IFA_LOCAL => local = ip_from(v),
            IFA_BROADCAST => {
                broadcast = match ip_from(v) {
                    Some(IpAddr::V4(b)) => Some(b),
                    _ => None,
                }
            }
            IFA_LABEL => label = Some(text(v)),
            _ => {}
        }
    }
    // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
    Some(IfAddr {
        index: u32_at(p, 4)?,
        addr: local.or(address)?,
        prefix: *p.get(1)?,
        broadcast,
        scope: *p.get(3)?,
        label,
    })
}

/// An RTM_NEWROUTE payload (struct rtmsg, then RTA_* attributes) as a `Route`.
pub fn parse_route(p: &[u8]) -> Option<Route> {
    const RTA_DST: u16 = 1;
    const RTA_OIF: u16 = 4;
    const RTA_GATEWAY: u16 = 5;
    const RTA_PRIORITY: u16 = 6;
    const RTA_PREFSRC: u16 = 7;
    const RTA_TABLE: u16 = 15;
    let header = p.get(..12)?;
    let unspecified = match i32::from(header[0]) {
        libc::AF_INET => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        libc::AF_INET6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        _ => return None,
    };
    let mut route = Route {
        dst: unspecified,
        dst_len: header[1],
        gateway: None,
        oif: None,
        table: u32::from(header[4]),
        protocol: header[5],
        scope: header[6],
        kind: header[7],
        prefsrc: None,
        metric: None,
    };
    for (kind, v) in attributes(p, 12) {
        match kind {
            RTA_DST => route.dst = ip_from(v)?,
            RTA_GATEWAY => route.gateway = ip_from(v),
            RTA_PREFSRC => route.prefsrc = ip_from(v),
            RTA_OIF => route.oif = u32_at(v, 0),
            RTA_TABLE => route.table = u32_at(v, 0).unwrap_or(route.table),
            RTA_PRIORITY => route.metric = u32_at(v, 0),
            _ => {}
        }
    }
    Some(route)
}

/// A request body: a fixed header from netlink-packet-route and raw attributes. The crate's full
/// message types would do too, but their encoders cover every attribute of every link kind and
/// cost rbox tens of kilobytes for the handful used here.
struct Body<H: Emitable> {
    header: H,
    nlas: Vec<DefaultNla>,
}

impl<H: Emitable> Body<H> {
    fn new(header: H) -> Body<H> {
        Body {
            header,
            nlas: Vec::new(),
        }
    }

    fn push(&mut self, kind: u16, value: Vec<u8>) {
        self.nlas.push(DefaultNla::new(kind, value));
    }
}

impl<H: Emitable> Emitable for Body<H> {
    fn buffer_len(&self) -> usize {
        self.header.buffer_len() + self.nlas.as_slice().buffer_len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        let at = self.header.buffer_len();
        self.header.emit(&mut buffer[..at]);
        self.nlas.as_slice().emit(&mut buffer[at..]);
    }
}

fn ip_bytes(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

fn family_of(a: IpAddr) -> AddressFamily {
    match a {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

fn addr_to_message(addr: &IfAddr) -> Body<AddressHeader> {
    const IFA_ADDRESS: u16 = 1;
    const IFA_LOCAL: u16 = 2;
    const IFA_BROADCAST: u16 = 4;
    let mut msg = Body::new(AddressHeader {
        family: family_of(addr.addr),
        prefix_len: addr.prefix,
        index: addr.index,
        scope: AddressScope::from(addr.scope),
        ..AddressHeader::default()
    });
    msg.push(IFA_ADDRESS, ip_bytes(addr.addr));
    if addr.addr.is_ipv4() {
        msg.push(IFA_LOCAL, ip_bytes(addr.addr));
    }
    if let Some(b) = addr.broadcast {
        msg.push(IFA_BROADCAST, b.octets().to_vec());
    }
    msg
}

fn route_to_message(route: &Route) -> Body<RouteHeader> {
    const RTA_DST: u16 = 1;
    const RTA_OIF: u16 = 4;
    const RTA_GATEWAY: u16 = 5;
    const RTA_PRIORITY: u16 = 6;
    const RTA_PREFSRC: u16 = 7;
    const RTA_TABLE: u16 = 15;
    let mut msg = Body::new(RouteHeader {
        address_family: family_of(route.dst),
        destination_prefix_length: route.dst_len,
        table: u8::try_from(route.table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC),
        protocol: RouteProtocol::from(route.protocol),
        scope: RouteScope::from(route.scope),
        kind: RouteType::from(route.kind),
        ..RouteHeader::default()
    });
    if route.dst_len > 0 {
        msg.push(RTA_DST, ip_bytes(route.dst));
    }
    if let Some(gw) = route.gateway {
        msg.push(RTA_GATEWAY, ip_bytes(gw));
    }
    if let Some(src) = route.prefsrc {
        msg.push(RTA_PREFSRC, ip_bytes(src));
    }
    if let Some(oif) = route.oif {
        msg.push(RTA_OIF, oif.to_ne_bytes().to_vec());
    }
    if route.table > 255 {
        msg.push(RTA_TABLE, route.table.to_ne_bytes().to_vec());
    }
    if let Some(metric) = route.metric {
        msg.push(RTA_PRIORITY, metric.to_ne_bytes().to_vec());
    }
    msg
}

/// One change recorded by `RecordingNet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetChange {
    LinkUp(u32, bool),
    Mtu(u32, u32),
    AddAddress(IfAddr),
    DelAddress(IfAddr),
    AddRoute(Route),
    DelRoute(Route),
}

/// A `NetConfig` that records changes instead of making them; links are given by name.
#[derive(Debug, Default)]
pub struct RecordingNet {
    pub links: Vec<(String, u32)>,
    pub changes: Vec<NetChange>,
}

impl NetConfig for RecordingNet {
    fn link_index(&mut self, name: &str) -> Result<u32, NetlinkError> {
        self.links
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, i)| *i)
            .ok_or_else(|| NetlinkError::NoSuchDevice(name.to_string()))
    }
    fn set_link_up(&mut self, index: u32, up: bool) -> Result<(), NetlinkError> {
        self.changes.push(NetChange::LinkUp(index, up));
        Ok(())
    }
    fn set_mtu(&mut self, index: u32, mtu: u32) -> Result<(), NetlinkError> {
        self.changes.push(NetChange::Mtu(index, mtu));
        Ok(())
    }
    fn add_address(&mut self, addr: &IfAddr) -> Result<(), NetlinkError> {
        self.changes.push(NetChange::AddAddress(addr.clone()));
        Ok(())
    }
    fn del_address(&mut self, addr: &IfAddr) -> Result<(), NetlinkError> {
        self.changes.push(NetChange::DelAddress(addr.clone()));
        Ok(())
    }
    fn add_route(&mut self, route: &Route) -> Result<(), NetlinkError> {
        self.changes.push(NetChange::AddRoute(route.clone()));
        Ok(())
    }
    fn del_route(&mut self, route: &Route) -> Result<(), NetlinkError> {
        self.changes.push(NetChange::DelRoute(route.clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use netlink_packet_route::link::{LinkAttribute, LinkLayerType, LinkMessage, State};

    /// A message as the kernel would send it, built with netlink-packet-route's encoder.
    fn emitted(m: &dyn Emitable) -> Vec<u8> {
        let mut b = vec![0u8; m.buffer_len()];
        m.emit(&mut b);
        b
    }

    #[test]
    fn hostile_payloads_do_not_panic() {
        let mut msg = LinkMessage::default();
        msg.header.index = 3;
        msg.attributes.push(LinkAttribute::IfName("eth0".into()));
        msg.attributes.push(LinkAttribute::Mtu(1500));
        let good = emitted(&msg);
        for cut in 0..good.len() {
            let _ = parse_link(&good[..cut]);
            let _ = parse_addr(&good[..cut]);
            let _ = parse_route(&good[..cut]);
        }
        // An attribute claiming more bytes than there are ends the list.
        let mut bad = good.clone();
        bad[16] = 0xff;
        let link = parse_link(&bad).expect("header is fine");
        assert_eq!((link.index, link.name.as_str()), (3, ""));
        assert!(split_messages(&[0xff; 20]).is_err());
        assert!(split_messages(&[]).expect("empty").is_empty());
    }

    #[test]
    fn carrier_needs_lower_up_and_a_working_queue() {
        let up = IFF_UP | IFF_LOWER_UP;
        let cases = [
            (up, OperState::Up, Some("fq_codel"), true),
            (up, OperState::Unknown, Some("noqueue"), true),
            // Carrier there at `up`: qdisc attached at once, linkwatch not run yet.
            (up, OperState::Down, Some("fq_codel"), true),
            // Carrier came later: still the noop qdisc until linkwatch, packets would be dropped.
            (up, OperState::Down, Some("noop"), false),
            (up, OperState::Down, None, false),
            (IFF_UP, OperState::Up, Some("fq_codel"), false),
            (up, OperState::Dormant, Some("noop"), false),
        ];
        for (flags, operstate, qdisc, want) in cases {
            let link = Link {
                index: 2,
                name: "eth0".into(),
                flags,
                mtu: 1500,
                mac: None,
                broadcast: None,
                operstate,
                kind: LinkKind::Ether,
                qdisc: qdisc.map(String::from),
                txqlen: None,
            };
            assert_eq!(
                link.has_carrier(),
                want,
                "{flags:#x} {operstate:?} {qdisc:?}"
            );
        }
    }

    #[test]
    fn broadcast_and_netmask() {
        let cases = [
            ("10.0.2.15", 24, "10.0.2.255", "255.255.255.0"),
            ("192.168.1.7", 16, "192.168.255.255", "255.255.0.0"),
            ("10.1.2.3", 8, "10.255.255.255", "255.0.0.0"),
            ("10.1.2.3", 32, "10.1.2.3", "255.255.255.255"),
            ("10.1.2.3", 0, "255.255.255.255", "0.0.0.0"),
        ];
        for (addr, pfx, bcast, mask) in cases {
            let a: Ipv4Addr = addr.parse().expect("addr");
            assert_eq!(ipv4_broadcast(a, pfx).to_string(), bcast, "{addr}/{pfx}");
            assert_eq!(ipv4_netmask(pfx).to_string(), mask, "{pfx}");
        }
    }

    #[test]
    fn link_message_round_trip() {
        let mut msg = LinkMessage::default();
        msg.header.index = 2;
        msg.header.link_layer_type = LinkLayerType::Ether;
        msg.header.flags = LinkFlags::Up | LinkFlags::LowerUp | LinkFlags::Broadcast;
        msg.attributes.push(LinkAttribute::IfName("eth0".into()));
        msg.attributes.push(LinkAttribute::Mtu(1500));
        msg.attributes.push(LinkAttribute::Address(vec![
            0x52, 0x54, 0, 0x12, 0x34, 0x56,
        ]));
        msg.attributes.push(LinkAttribute::OperState(State::Up));
        let link = parse_link(&emitted(&msg)).expect("parses");
        assert_eq!(link.name, "eth0");
        assert_eq!(link.kind, LinkKind::Ether);
        assert_eq!(link.operstate, OperState::Up);
        assert!(link.is_up() && link.has_carrier());
        assert_eq!(link.mtu, 1500);
    }

    #[test]
    fn route_message_round_trip() {
        let cases = [
            Route::default_v4(Ipv4Addr::new(10, 0, 2, 2), Some(2)),
            Route::new("10.9.0.0".parse().expect("ip"), 16, None, Some(3)),
            Route::new(
                "fd00::".parse().expect("ip"),
                64,
                Some("fe80::1".parse().expect("ip")),
                Some(2),
            ),
        ];
        for route in cases {
            let back = parse_route(&emitted(&route_to_message(&route))).expect("decodes");
            assert_eq!(back, route);
        }
    }

    #[test]
    fn address_message_round_trip() {
        let cases = [
            IfAddr::new(2, "10.0.2.15".parse().expect("ip"), 24),
            IfAddr::new(1, "127.0.0.1".parse().expect("ip"), 8),
            IfAddr::new(2, "fd00::5".parse().expect("ip"), 64),
        ];
        for addr in cases {
            let back = parse_addr(&emitted(&addr_to_message(&addr))).expect("decodes");
            assert_eq!(back, addr);
        }
    }

    #[test]
    fn ifaddr_new_derives_scope_and_broadcast() {
        let a = IfAddr::new(2, "10.0.2.15".parse().expect("ip"), 24);
        assert_eq!(a.broadcast, Some(Ipv4Addr::new(10, 0, 2, 255)));
        assert_eq!(a.scope, RT_SCOPE_UNIVERSE);
        let lo = IfAddr::new(1, "127.0.0.1".parse().expect("ip"), 8);
        assert_eq!(lo.scope, RT_SCOPE_HOST);
        let p2p = IfAddr::new(2, "10.0.0.1".parse().expect("ip"), 31);
        assert_eq!(p2p.broadcast, None);
    }

    #[test]
    fn errors_are_one_line_without_os_error() {
        let e = NetlinkError::Kernel {
            what: "add address 10.0.0.1/24".into(),
            source: io::Error::from_raw_os_error(libc::EEXIST),
        };
        assert_eq!(e.to_string(), "add address 10.0.0.1/24: File exists");
        assert_eq!(
            NetlinkError::NoSuchDevice("eth9".into()).to_string(),
            "eth9: no such device"
        );
    }

    #[test]
    fn recording_net_records() {
        let mut net = RecordingNet {
            links: vec![("eth0".into(), 2)],
            ..Default::default()
        };
        assert_eq!(net.link_index("eth0").expect("known"), 2);
        assert!(net.link_index("eth1").is_err());
        net.set_link_up(2, true).expect("records");
        assert_eq!(net.changes, vec![NetChange::LinkUp(2, true)]);
    }
}
