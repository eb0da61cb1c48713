//! DHCPv4 messages on the wire (RFC 2131 §2, §4.3), built and decoded with dhcproto, and the
//! checks a client makes before it believes a reply.

use std::fmt;
use std::net::Ipv4Addr;

use dhcproto::v4::{DhcpOption, Flags, HType, Message, MessageType, Opcode, OptionCode};
use dhcproto::{Decodable, Decoder, Encodable};

use super::lease::{classful_prefix, mask_to_prefix, Lease, StaticRoute, INFINITE};

/// Largest reply accepted, and the size advertised in option 57: a 1500-byte Ethernet frame.
pub const MAX_MESSAGE: usize = 1500;
/// Smallest legal BOOTP message: the fixed header (236 bytes) and the magic cookie.
pub const MIN_MESSAGE: usize = 240;
const MAGIC: [u8; 4] = [99, 130, 83, 99];

/// What the client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Discover,
    /// SELECTING: accept the offer of `requested` from `server` (broadcast).
    Select {
        requested: Ipv4Addr,
        server: Ipv4Addr,
    },
    /// RENEWING (unicast to the server) or REBINDING (broadcast): extend the lease on `ciaddr`.
    Extend {
        ciaddr: Ipv4Addr,
    },
    /// Give the address back (unicast to the server).
    Release {
        ciaddr: Ipv4Addr,
        server: Ipv4Addr,
    },
}

/// What identifies this client on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId {
    pub mac: [u8; 6],
    /// Option 12 sent to the server, if any.
    pub hostname: Option<String>,
}

/// Options asked for in option 55.
const REQUESTED: [OptionCode; 12] = [
    OptionCode::SubnetMask,
    OptionCode::Router,
    OptionCode::DomainNameServer,
    OptionCode::Hostname,
    OptionCode::DomainName,
    OptionCode::InterfaceMtu,
    OptionCode::BroadcastAddr,
    OptionCode::AddressLeaseTime,
    OptionCode::Renewal,
    OptionCode::Rebinding,
    OptionCode::DomainSearch,
    OptionCode::ClasslessStaticRoute,
];

/// Encodes a client message. `secs` is the time since the exchange began (RFC 2131 §2).
pub fn build(kind: &Outgoing, xid: u32, secs: u16, id: &ClientId) -> Vec<u8> {
    let zero = Ipv4Addr::UNSPECIFIED;
    let ciaddr = match kind {
        Outgoing::Extend { ciaddr } | Outgoing::Release { ciaddr, .. } => *ciaddr,
        _ => zero,
    };
    let mut msg = Message::new_with_id(xid, ciaddr, zero, zero, zero, &id.mac);
    msg.set_opcode(Opcode::BootRequest)
        .set_htype(HType::Eth)
        .set_secs(secs);
    // Without an address the client cannot receive unicast, so it asks for broadcast replies
    // (RFC 2131 §4.1).
    if ciaddr.is_unspecified() {
        msg.set_flags(Flags::default().set_broadcast());
    }
    let opts = msg.opts_mut();
    let mut client_id = vec![1u8];
    client_id.extend_from_slice(&id.mac);
    let msg_type = match kind {
        Outgoing::Discover => MessageType::Discover,
        Outgoing::Select { .. } | Outgoing::Extend { .. } => MessageType::Request,
        Outgoing::Release { .. } => MessageType::Release,
    };
    opts.insert(DhcpOption::MessageType(msg_type));
    opts.insert(DhcpOption::ClientIdentifier(client_id));
    match kind {
        Outgoing::Select { requested, server } => {
            opts.insert(DhcpOption::RequestedIpAddress(*requested));
            opts.insert(DhcpOption::ServerIdentifier(*server));
        }
        Outgoing::Release { server, .. } => {
            opts.insert(DhcpOption::ServerIdentifier(*server));
        }
        _ => {}
    }
    if !matches!(kind, Outgoing::Release { .. }) {
        opts.insert(DhcpOption::ParameterRequestList(REQUESTED.to_vec()));
        opts.insert(DhcpOption::MaxMessageSize(MAX_MESSAGE as u16));
        if let Some(h) = &id.hostname {
            opts.insert(DhcpOption::Hostname(h.clone()));
        }
    }
    // Encoding into a Vec only fails on values over their wire limits; none of ours are.
    msg.to_vec().unwrap_or_default()
}

/// A reply worth acting on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Offer(Lease),
    Ack(Lease),
    Nak {
        server: Option<Ipv4Addr>,
        message: Option<String>,
    },
}

/// Why a datagram was ignored (logged with `-v`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignored {
    TooShort(usize),
    TooLong(usize),
    BadMagic,
    Malformed(String),
    NotReply,
    WrongXid(u32),
    WrongChaddr,
    NoMessageType,
    Unexpected(String),
    NoServerId,
    BadAddress(Ipv4Addr),
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ignored::TooShort(n) => write!(f, "truncated packet ({n} bytes)"),
            Ignored::TooLong(n) => write!(f, "oversized packet ({n} bytes)"),
            Ignored::BadMagic => f.write_str("no DHCP magic cookie"),
            Ignored::Malformed(e) => write!(f, "malformed packet: {e}"),
            Ignored::NotReply => f.write_str("not a BOOTREPLY"),
            Ignored::WrongXid(x) => write!(f, "foreign transaction id {x:#010x}"),
            Ignored::WrongChaddr => f.write_str("reply for another hardware address"),
            Ignored::NoMessageType => f.write_str("BOOTP reply without DHCP message type"),
            Ignored::Unexpected(t) => write!(f, "unexpected {t}"),
            Ignored::NoServerId => f.write_str("reply without server identifier"),
            Ignored::BadAddress(a) => write!(f, "unusable address {a}"),
        }
    }
}

/// Decodes and checks a datagram received for transaction `xid` of the client `mac`.
/// `len` is the datagram's real length (it may exceed `buf` when the kernel truncated it).
pub fn parse_reply(
    buf: &[u8],
    len: usize,
    xid: u32,
    mac: &[u8; 6],
    iface: &str,
) -> Result<Reply, Ignored> {
    if len > MAX_MESSAGE || len > buf.len() {
        return Err(Ignored::TooLong(len));
    }
    let buf = &buf[..len];
    if len < MIN_MESSAGE {
        return Err(Ignored::TooShort(len));
    }
    if buf[236..240] != MAGIC {
        return Err(Ignored::BadMagic);
    }
    let clean = sanitize_options(buf)?;
    let msg = Message::decode(&mut Decoder::new(&clean))
        .map_err(|e| Ignored::Malformed(e.to_string()))?;
    if msg.opcode() != Opcode::BootReply {
        return Err(Ignored::NotReply);
    }
    if msg.xid() != xid {
        return Err(Ignored::WrongXid(msg.xid()));
    }
    // Message::chaddr slices by hlen; check it before asking (a hostile hlen > 16 would panic).
    if msg.hlen() != 6 || msg.chaddr() != mac {
        return Err(Ignored::WrongChaddr);
    }
    let opts = msg.opts();
    let server = match opts.get(OptionCode::ServerIdentifier) {
        Some(DhcpOption::ServerIdentifier(s)) => Some(*s),
        _ => None,
    };
    match opts.msg_type() {
        None => Err(Ignored::NoMessageType),
        Some(MessageType::Nak) => Ok(Reply::Nak {
            server,
            message: match opts.get(OptionCode::Message) {
                Some(DhcpOption::Message(m)) => Some(m.clone()),
                _ => None,
            },
        }),
        Some(t @ (MessageType::Offer | MessageType::Ack)) => {
            if server.is_none() {
                return Err(Ignored::NoServerId);
            }
            let lease = lease_from(&msg, server, iface)?;
            Ok(if t == MessageType::Offer {
                Reply::Offer(lease)
            } else {
                Reply::Ack(lease)
            })
        }
        Some(other) => Err(Ignored::Unexpected(format!("{other:?}"))),
    }
}

/// Copies the fixed header and only the options a client uses, each checked for its length, so
/// the decoder never sees an option it might choke on (some of dhcproto's option parsers assert
/// on lengths in debug builds). A truncated option or a wrong length rejects the packet.
fn sanitize_options(buf: &[u8]) -> Result<Vec<u8>, Ignored> {
    let mut out = buf[..MIN_MESSAGE].to_vec();
    let mut i = MIN_MESSAGE;
    while i < buf.len() {
        let code = buf[i];
        match code {
            0 => {
                i += 1;
                continue;
            }
            255 => break,
            _ => {}
        }
        let Some(&len) = buf.get(i + 1) else {
            return Err(Ignored::Malformed(format!("option {code} truncated")));
        };
        let len = usize::from(len);
        let Some(data) = buf.get(i + 2..i + 2 + len) else {
            return Err(Ignored::Malformed(format!("option {code} truncated")));
        };
        let valid = match code {
            1 | 28 | 50 | 51 | 54 | 58 | 59 => Some(len == 4),
            53 => Some(len == 1),
            26 => Some(len == 2),
            3 | 6 => Some(len > 0 && len % 4 == 0),
            12 | 15 | 56 | 119 => Some(len > 0),
            121 => Some(len >= 5),
            _ => None,
        };
        match valid {
            Some(true) => {
                out.extend_from_slice(&[code, len as u8]);
                out.extend_from_slice(data);
            }
            Some(false) => {
                return Err(Ignored::Malformed(format!("option {code} of length {len}")))
            }
            None => {}
        }
        i += 2 + len;
    }
    out.push(255);
    Ok(out)
}

/// The lease a reply describes.
fn lease_from(msg: &Message, server: Option<Ipv4Addr>, iface: &str) -> Result<Lease, Ignored> {
    let address = msg.yiaddr();
    if address.is_unspecified()
        || address.is_broadcast()
        || address.is_multicast()
        || address.is_loopback()
    {
        return Err(Ignored::BadAddress(address));
    }
    let opts = msg.opts();
    let prefix = match opts.get(OptionCode::SubnetMask) {
        Some(DhcpOption::SubnetMask(m)) => mask_to_prefix(*m).unwrap_or(classful_prefix(address)),
        _ => classful_prefix(address),
    };
    let mut lease = Lease::new(iface, address, prefix);
    lease.server = server;
    let mut t1 = None;
    let mut t2 = None;
    lease.lease_time = INFINITE;
    for (_, opt) in opts.iter() {
        match opt {
            DhcpOption::BroadcastAddr(b) => lease.broadcast = Some(*b),
            DhcpOption::Router(r) => lease.routers = r.clone(),
            DhcpOption::DomainNameServer(d) => lease.dns = d.clone(),
            DhcpOption::DomainName(d) => lease.domain = clean_name(d),
            DhcpOption::DomainSearch(names) => {
                lease.search = names
                    .iter()
                    .filter_map(|n| clean_name(&n.to_ascii()))
                    .collect()
            }
            DhcpOption::Hostname(h) => lease.hostname = clean_name(h),
            // RFC 2132 §5.1: the MTU is at least 68.
            DhcpOption::InterfaceMtu(m) if *m >= 68 => lease.mtu = Some(*m),
            DhcpOption::AddressLeaseTime(t) => lease.lease_time = *t,
            DhcpOption::Renewal(t) => t1 = Some(*t),
            DhcpOption::Rebinding(t) => t2 = Some(*t),
            DhcpOption::ClasslessStaticRoute(routes) => {
                lease.static_routes = routes
                    .iter()
                    .map(|(net, gw)| StaticRoute {
                        // RFC 3442 §3: the destination is the significant octets only.
                        dst: net.network(),
                        prefix: net.prefix_len(),
                        gateway: *gw,
                    })
                    .collect()
            }
            _ => {}
        }
    }
    lease.normalize_timers(t1, t2);
    Ok(lease)
}

/// A name usable in resolv.conf or as a hostname: printable, no spaces, trailing dot dropped.
fn clean_name(s: &str) -> Option<String> {
    let s = s.trim_end_matches('\0').trim_end_matches('.');
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    ok.then(|| s.to_string())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const MAC: [u8; 6] = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
    pub const XID: u32 = 0x1234_5678;

    /// A server reply as dnsmasq would send it.
    pub fn server_reply(
        kind: MessageType,
        xid: u32,
        mac: &[u8],
        extra: Vec<DhcpOption>,
    ) -> Message {
        let zero = Ipv4Addr::UNSPECIFIED;
        let mut m = Message::new_with_id(xid, zero, Ipv4Addr::new(10, 0, 2, 15), zero, zero, mac);
        m.set_opcode(Opcode::BootReply);
        let o = m.opts_mut();
        o.insert(DhcpOption::MessageType(kind));
        o.insert(DhcpOption::ServerIdentifier(Ipv4Addr::new(10, 0, 2, 2)));
        o.insert(DhcpOption::SubnetMask(Ipv4Addr::new(255, 255, 255, 0)));
        o.insert(DhcpOption::AddressLeaseTime(3600));
        for e in extra {
            o.insert(e);
        }
        m
    }

    fn bytes(m: &Message) -> Vec<u8> {
        m.to_vec().expect("encodes")
    }

    fn parse(b: &[u8]) -> Result<Reply, Ignored> {
        parse_reply(b, b.len(), XID, &MAC, "eth0")
    }

    #[test]
    fn discover_and_request_carry_what_servers_need() {
        let id = ClientId {
            mac: MAC,
            hostname: Some("guest".into()),
        };
        let cases = [
            (Outgoing::Discover, MessageType::Discover, true, None),
            (
                Outgoing::Select {
                    requested: Ipv4Addr::new(10, 0, 2, 15),
                    server: Ipv4Addr::new(10, 0, 2, 2),
                },
                MessageType::Request,
                true,
                Some(Ipv4Addr::new(10, 0, 2, 2)),
            ),
            (
                Outgoing::Extend {
                    ciaddr: Ipv4Addr::new(10, 0, 2, 15),
                },
                MessageType::Request,
                false,
                None,
            ),
            (
                Outgoing::Release {
                    ciaddr: Ipv4Addr::new(10, 0, 2, 15),
                    server: Ipv4Addr::new(10, 0, 2, 2),
                },
                MessageType::Release,
                false,
                Some(Ipv4Addr::new(10, 0, 2, 2)),
            ),
        ];
        for (kind, want_type, want_bcast, want_server) in cases {
            let b = build(&kind, XID, 3, &id);
            let m = Message::decode(&mut Decoder::new(&b)).expect("decodes");
            assert_eq!(m.opcode(), Opcode::BootRequest);
            assert_eq!(m.xid(), XID);
            assert_eq!(m.secs(), 3);
            assert_eq!(m.chaddr(), &MAC);
            assert_eq!(m.opts().msg_type(), Some(want_type), "{kind:?}");
            assert_eq!(m.flags().broadcast(), want_bcast, "{kind:?}");
            let server = match m.opts().get(OptionCode::ServerIdentifier) {
                Some(DhcpOption::ServerIdentifier(s)) => Some(*s),
                _ => None,
            };
            assert_eq!(server, want_server, "{kind:?}");
            assert_eq!(
                m.opts().contains(OptionCode::ParameterRequestList),
                !matches!(kind, Outgoing::Release { .. })
            );
            assert!(b.len() <= MAX_MESSAGE);
        }
    }

    #[test]
    fn offer_becomes_a_lease() {
        let m = server_reply(
            MessageType::Offer,
            XID,
            &MAC,
            vec![
                DhcpOption::Router(vec![Ipv4Addr::new(10, 0, 2, 2)]),
                DhcpOption::DomainNameServer(vec![Ipv4Addr::new(10, 0, 2, 3)]),
                DhcpOption::DomainName("example.test".into()),
                DhcpOption::Hostname("guest".into()),
                DhcpOption::InterfaceMtu(1400),
                DhcpOption::Renewal(1000),
            ],
        );
        let Ok(Reply::Offer(l)) = parse(&bytes(&m)) else {
            panic!("not an offer");
        };
        assert_eq!(l.address, Ipv4Addr::new(10, 0, 2, 15));
        assert_eq!(l.prefix, 24);
        assert_eq!(l.routers, vec![Ipv4Addr::new(10, 0, 2, 2)]);
        assert_eq!(l.dns, vec![Ipv4Addr::new(10, 0, 2, 3)]);
        assert_eq!(l.domain.as_deref(), Some("example.test"));
        assert_eq!(l.hostname.as_deref(), Some("guest"));
        assert_eq!(l.mtu, Some(1400));
        assert_eq!(l.server, Some(Ipv4Addr::new(10, 0, 2, 2)));
        assert_eq!((l.lease_time, l.t1, l.t2), (3600, 1000, 3150));
        assert_eq!(l.iface, "eth0");
    }

    #[test]
    fn option_121_on_the_wire() {
        // RFC 3442 §3 examples: 10.17/16 via 10.0.2.5; 0/0 via 10.0.2.1; 10.27.129/24 via 10.0.2.6.
        let raw: Vec<u8> = vec![
            16, 10, 17, 10, 0, 2, 5, //
            0, 10, 0, 2, 1, //
            24, 10, 27, 129, 10, 0, 2, 6, //
            32, 10, 0, 2, 9, 0, 0, 0, 0,
        ];
        let mut m = server_reply(MessageType::Ack, XID, &MAC, vec![]);
        m.opts_mut()
            .insert(DhcpOption::Router(vec![Ipv4Addr::new(10, 0, 2, 99)]));
        m.opts_mut()
            .insert(DhcpOption::Unknown(dhcproto::v4::UnknownOption::new(
                OptionCode::Unknown(200),
                vec![],
            )));
        let mut b = bytes(&m);
        // Splice option 121 in front of the END option.
        let end = b.len() - 1;
        assert_eq!(b[end], 255);
        let mut opt = vec![121u8, raw.len() as u8];
        opt.extend_from_slice(&raw);
        b.splice(end..end, opt);
        let Ok(Reply::Ack(l)) = parse(&b) else {
            panic!("not an ack");
        };
        let want = [
            ("10.17.0.0", 16, "10.0.2.5"),
            ("0.0.0.0", 0, "10.0.2.1"),
            ("10.27.129.0", 24, "10.0.2.6"),
            ("10.0.2.9", 32, "0.0.0.0"),
        ];
        assert_eq!(l.static_routes.len(), want.len());
        for (r, (dst, pfx, gw)) in l.static_routes.iter().zip(want) {
            assert_eq!(
                (
                    r.dst.to_string().as_str(),
                    r.prefix,
                    r.gateway.to_string().as_str()
                ),
                (dst, pfx, gw)
            );
        }
        // 121 wins over option 3.
        assert_eq!(l.default_gateway(), Some(Ipv4Addr::new(10, 0, 2, 1)));
    }

    #[test]
    fn nak_is_recognised() {
        let mut m = server_reply(
            MessageType::Nak,
            XID,
            &MAC,
            vec![DhcpOption::Message("wrong network".into())],
        );
        m.set_yiaddr(Ipv4Addr::UNSPECIFIED);
        assert_eq!(
            parse(&bytes(&m)),
            Ok(Reply::Nak {
                server: Some(Ipv4Addr::new(10, 0, 2, 2)),
                message: Some("wrong network".into())
            })
        );
    }

    #[test]
    fn hostile_and_foreign_packets_are_ignored() {
        let good = bytes(&server_reply(MessageType::Offer, XID, &MAC, vec![]));
        assert!(parse(&good).is_ok());

        let mut other_xid = server_reply(MessageType::Offer, XID + 1, &MAC, vec![]);
        let mut other_mac = server_reply(MessageType::Offer, XID, &[1, 2, 3, 4, 5, 6], vec![]);
        let mut request = server_reply(MessageType::Offer, XID, &MAC, vec![]);
        request.set_opcode(Opcode::BootRequest);
        let mut no_server = server_reply(MessageType::Offer, XID, &MAC, vec![]);
        no_server.opts_mut().remove(OptionCode::ServerIdentifier);
        let mut no_type = server_reply(MessageType::Offer, XID, &MAC, vec![]);
        no_type.opts_mut().remove(OptionCode::MessageType);
        let mut zero_addr = server_reply(MessageType::Ack, XID, &MAC, vec![]);
        zero_addr.set_yiaddr(Ipv4Addr::UNSPECIFIED);
        let mut bcast_addr = server_reply(MessageType::Ack, XID, &MAC, vec![]);
        bcast_addr.set_yiaddr(Ipv4Addr::BROADCAST);
        let discover = server_reply(MessageType::Discover, XID, &MAC, vec![]);
        let mut truncated_opts = good.clone();
        truncated_opts.truncate(good.len() - 4);
        let mut bad_magic = good.clone();
        bad_magic[236] = 0;
        let mut huge_hlen = good.clone();
        huge_hlen[2] = 200;
        let mut option_overrun = good[..240].to_vec();
        option_overrun.extend_from_slice(&[53, 200, 2]);
        let mut bad_len = good[..240].to_vec();
        bad_len.extend_from_slice(&[53, 1, 2, 54, 3, 10, 0, 2, 255]);
        let oversized = {
            let mut b = good.clone();
            b.resize(MAX_MESSAGE + 1, 0);
            b
        };
        let _ = (&mut other_xid, &mut other_mac);
        let cases: Vec<(&str, Vec<u8>, Ignored)> = vec![
            ("wrong xid", bytes(&other_xid), Ignored::WrongXid(XID + 1)),
            ("wrong chaddr", bytes(&other_mac), Ignored::WrongChaddr),
            ("request", bytes(&request), Ignored::NotReply),
            ("no server id", bytes(&no_server), Ignored::NoServerId),
            ("no message type", bytes(&no_type), Ignored::NoMessageType),
            (
                "zero yiaddr",
                bytes(&zero_addr),
                Ignored::BadAddress(Ipv4Addr::UNSPECIFIED),
            ),
            (
                "broadcast yiaddr",
                bytes(&bcast_addr),
                Ignored::BadAddress(Ipv4Addr::BROADCAST),
            ),
            (
                "discover",
                bytes(&discover),
                Ignored::Unexpected("Discover".into()),
            ),
            ("empty", vec![], Ignored::TooShort(0)),
            ("header only", good[..100].to_vec(), Ignored::TooShort(100)),
            ("bad magic", bad_magic, Ignored::BadMagic),
            ("hlen 200", huge_hlen, Ignored::WrongChaddr),
            ("oversized", oversized, Ignored::TooLong(MAX_MESSAGE + 1)),
            (
                "option overrun",
                option_overrun,
                Ignored::Malformed("option 53 truncated".into()),
            ),
            (
                "server id of 3 bytes",
                bad_len,
                Ignored::Malformed("option 54 of length 3".into()),
            ),
        ];
        for (what, b, want) in cases {
            assert_eq!(parse(&b), Err(want), "{what}");
        }
        // Options cut short before END: whatever survives, no panic and no lease without type.
        let _ = parse(&truncated_opts);
        // The kernel reports a datagram longer than the buffer (MSG_TRUNC).
        assert_eq!(
            parse_reply(&good, good.len() + 10, XID, &MAC, "eth0"),
            Err(Ignored::TooLong(good.len() + 10))
        );
    }

    #[test]
    fn garbage_never_panics() {
        // Deterministic pseudo-random packets with a valid header prefix and random options.
        let good = bytes(&server_reply(MessageType::Offer, XID, &MAC, vec![]));
        let mut state: u32 = 0x9e37_79b9;
        for round in 0..2000 {
            let mut b = good[..240].to_vec();
            let extra = (round % 300) as usize;
            for _ in 0..extra {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                b.push(state as u8);
            }
            let _ = parse(&b);
        }
    }

    #[test]
    fn names_are_cleaned() {
        let cases = [
            ("example.test.", Some("example.test")),
            ("host\0", Some("host")),
            ("bad name", None),
            ("evil\nnameserver 6.6.6.6", None),
            ("", None),
        ];
        for (name, want) in cases {
            assert_eq!(clean_name(name).as_deref(), want, "{name:?}");
        }
    }
}
