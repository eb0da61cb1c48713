//! `ip`: show and change links, addresses and routes through rtnetlink. An iproute2 ip(8) subset
//! whose output follows iproute2's, so people's habits work.
//!
//! usage: ip [-4|-6] [-br] link|addr|route ...

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;

use rroot_init::netlink::{
    self, Family, IfAddr, Link, LinkKind, NetConfig, NetlinkError, Route, Rtnl, IFF_ALLMULTI,
    IFF_BROADCAST, IFF_DORMANT, IFF_LOOPBACK, IFF_LOWER_UP, IFF_MULTICAST, IFF_NOARP,
    IFF_POINTOPOINT, IFF_PROMISC, IFF_RUNNING, IFF_UP, RT_TABLE_MAIN,
};

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: ip [-4|-6] [-br] link [show [DEV]]
       ip link set DEV [up|down] [mtu N]
       ip [-4|-6] [-br] addr [show [dev DEV]]
       ip addr add|del ADDR[/PFX] dev DEV
       ip [-4|-6] route [show]
       ip route add|del default|PREFIX [via GW] [dev DEV]
Objects may be abbreviated: l, a, r.
";

#[derive(Debug, thiserror::Error)]
pub enum IpError {
    #[error("{0}")]
    Netlink(#[from] NetlinkError),
    #[error("write error: {}", io_reason(.0))]
    Write(io::Error),
}

impl AppletError for IpError {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    LinkShow {
        dev: Option<String>,
    },
    LinkSet {
        dev: String,
        up: Option<bool>,
        mtu: Option<u32>,
    },
    AddrShow {
        dev: Option<String>,
    },
    AddrChange {
        add: bool,
        addr: IpAddr,
        prefix: u8,
        dev: String,
    },
    RouteShow,
    RouteChange {
        add: bool,
        dst: IpAddr,
        dst_len: u8,
        via: Option<IpAddr>,
        dev: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub family: Family,
    pub brief: bool,
    pub command: Command,
}

/// Does `word` abbreviate `full` (at least `min` letters)? iproute2 accepts any prefix.
fn abbrev(word: &str, full: &str, min: usize) -> bool {
    word.len() >= min && full.starts_with(word)
}

fn usage(msg: impl Into<String>) -> UsageError {
    UsageError(msg.into())
}

/// `10.0.0.1/24`, `fd00::1/64`, or a bare address (a host prefix).
pub fn parse_prefix(s: &str) -> Result<(IpAddr, u8), UsageError> {
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr: IpAddr = a
        .parse()
        .map_err(|_| usage(format!("invalid address '{s}'")))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match p {
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(|| usage(format!("invalid prefix '{s}'")))?,
        None => max,
    };
    Ok((addr, prefix))
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let args: Vec<String> = args
            .into_iter()
            .skip(1)
            .map(|a| {
                a.into_string()
                    .map_err(|_| usage("arguments must be UTF-8"))
            })
            .collect::<Result<_, _>>()?;
        let mut family = Family::Any;
        let mut brief = false;
        let mut i = 0;
        while let Some(a) = args.get(i).filter(|a| a.starts_with('-')) {
            match a.as_str() {
                "-4" => family = Family::V4,
                "-6" => family = Family::V6,
                "-br" | "-brief" | "--brief" => brief = true,
                _ => return Err(usage(format!("invalid option '{a}'"))),
            }
            i += 1;
        }
        let object = args.get(i).map(String::as_str).unwrap_or("");
        let rest = &args[(i + 1).min(args.len())..];
        let command = if object.is_empty() {
            return Err(usage("missing object (link, addr, route)"));
        } else if abbrev(object, "link", 1) {
            parse_link(rest)?
        } else if abbrev(object, "address", 1) || object == "addr" {
            parse_addr(rest)?
        } else if abbrev(object, "route", 1) {
            parse_route(rest)?
        } else {
            return Err(usage(format!("unknown object '{object}'")));
        };
        Ok(Options {
            family,
            brief,
            command,
        })
    }
}

fn is_show(word: &str) -> bool {
    abbrev(word, "show", 1) || abbrev(word, "list", 1) || word == "lst"
}

fn parse_link(rest: &[String]) -> Result<Command, UsageError> {
    let Some(verb) = rest.first() else {
        return Ok(Command::LinkShow { dev: None });
    };
    if is_show(verb) {
        let dev = match &rest[1..] {
            [] => None,
            [d] if d != "dev" => Some(d.clone()),
            [dev, d] if dev == "dev" => Some(d.clone()),
            _ => return Err(usage("usage: ip link show [DEV]")),
        };
        return Ok(Command::LinkShow { dev });
    }
    if verb != "set" {
        return Err(usage(format!("unknown link command '{verb}'")));
    }
    let mut it = rest[1..].iter();
    let mut dev = it.next().cloned();
    if dev.as_deref() == Some("dev") {
        dev = it.next().cloned();
    }
    let dev = dev.ok_or_else(|| usage("ip link set: missing DEV"))?;
    let (mut up, mut mtu) = (None, None);
    while let Some(word) = it.next() {
        match word.as_str() {
            "up" => up = Some(true),
            "down" => up = Some(false),
            "mtu" => {
                let n = it.next().ok_or_else(|| usage("mtu needs a number"))?;
                mtu = Some(
                    n.parse::<u32>()
                        .map_err(|_| usage(format!("invalid mtu '{n}'")))?,
                );
            }
            other => return Err(usage(format!("ip link set: unknown argument '{other}'"))),
        }
    }
    if up.is_none() && mtu.is_none() {
        return Err(usage("ip link set: nothing to change"));
    }
    Ok(Command::LinkSet { dev, up, mtu })
}

fn parse_addr(rest: &[String]) -> Result<Command, UsageError> {
    let Some(verb) = rest.first() else {
        return Ok(Command::AddrShow { dev: None });
    };
    if is_show(verb) {
        let dev = match &rest[1..] {
            [] => None,
            [dev, d] if dev == "dev" => Some(d.clone()),
            [d] => Some(d.clone()),
            _ => return Err(usage("usage: ip addr show [dev DEV]")),
        };
        return Ok(Command::AddrShow { dev });
    }
    let add = match verb.as_str() {
        "add" => true,
        "del" | "delete" => false,
        other => return Err(usage(format!("unknown addr command '{other}'"))),
    };
    let (mut address, mut dev) = (None, None);
    let mut it = rest[1..].iter();
    while let Some(word) = it.next() {
        match word.as_str() {
            "dev" => dev = it.next().cloned(),
            w if address.is_none() => address = Some(parse_prefix(w)?),
            other => return Err(usage(format!("ip addr: unknown argument '{other}'"))),
        }
    }
    let (addr, prefix) = address.ok_or_else(|| usage("ip addr: missing ADDR"))?;
    let dev = dev.ok_or_else(|| usage("ip addr: missing 'dev DEV'"))?;
    Ok(Command::AddrChange {
        add,
        addr,
        prefix,
        dev,
    })
}

fn parse_route(rest: &[String]) -> Result<Command, UsageError> {
    let Some(verb) = rest.first() else {
        return Ok(Command::RouteShow);
    };
    if is_show(verb) {
        if rest.len() > 1 {
            return Err(usage("ip route show takes no selectors"));
        }
        return Ok(Command::RouteShow);
    }
    let add = match verb.as_str() {
        "add" => true,
        "del" | "delete" => false,
        other => return Err(usage(format!("unknown route command '{other}'"))),
    };
    let (mut dst, mut via, mut dev) = (None, None, None);
    let mut it = rest[1..].iter();
    while let Some(word) = it.next() {
        match word.as_str() {
            "via" => {
                let gw = it.next().ok_or_else(|| usage("via needs an address"))?;
                via = Some(
                    gw.parse::<IpAddr>()
                        .map_err(|_| usage(format!("invalid gateway '{gw}'")))?,
                );
            }
            "dev" => dev = Some(it.next().ok_or_else(|| usage("dev needs a name"))?.clone()),
            "default" if dst.is_none() => dst = Some(None),
            w if dst.is_none() => dst = Some(Some(parse_prefix(w)?)),
            other => return Err(usage(format!("ip route: unknown argument '{other}'"))),
        }
    }
    let dst = dst.ok_or_else(|| usage("ip route: missing default or PREFIX"))?;
    let (dst, dst_len) = match dst {
        Some(p) => p,
        // `default` takes the gateway's family.
        None => match via {
            Some(IpAddr::V6(_)) => (IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), 0),
            _ => (IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0),
        },
    };
    if add && via.is_none() && dev.is_none() {
        return Err(usage("ip route add: needs 'via GW' or 'dev DEV'"));
    }
    if via.is_some_and(|v| v.is_ipv4() != dst.is_ipv4()) {
        return Err(usage("ip route: gateway and destination families differ"));
    }
    Ok(Command::RouteChange {
        add,
        dst,
        dst_len,
        via,
        dev,
    })
}

/// `<LOOPBACK,UP,LOWER_UP>` in iproute2's order (print_link_flags).
pub fn flags_text(flags: u32) -> String {
    let mut words = Vec::new();
    if flags & IFF_UP != 0 && flags & IFF_RUNNING == 0 {
        words.push("NO-CARRIER");
    }
    let names = [
        (IFF_LOOPBACK, "LOOPBACK"),
        (IFF_BROADCAST, "BROADCAST"),
        (IFF_POINTOPOINT, "POINTOPOINT"),
        (IFF_MULTICAST, "MULTICAST"),
        (IFF_NOARP, "NOARP"),
        (IFF_ALLMULTI, "ALLMULTI"),
        (IFF_PROMISC, "PROMISC"),
        (IFF_UP, "UP"),
        (IFF_LOWER_UP, "LOWER_UP"),
        (IFF_DORMANT, "DORMANT"),
    ];
    for (bit, name) in names {
        if flags & bit != 0 {
            words.push(name);
        }
    }
    format!("<{}>", words.join(","))
}

fn hw(mac: &[u8]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The two lines `ip link` prints for a link.
pub fn link_text(link: &Link) -> String {
    let mut s = format!(
        "{}: {}: {} mtu {}",
        link.index,
        link.name,
        flags_text(link.flags),
        link.mtu
    );
    if let Some(q) = &link.qdisc {
        let _ = write!(s, " qdisc {q}");
    }
    let _ = write!(s, " state {}", link.operstate.as_str());
    if let Some(q) = link.txqlen {
        let _ = write!(s, " qlen {q}");
    }
    s.push('\n');
    let kind = match link.kind {
        LinkKind::Loopback => "loopback".to_string(),
        LinkKind::Ether => "ether".to_string(),
        LinkKind::Other(n) if link.mac.as_ref().is_none_or(|m| m.is_empty()) => {
            let _ = n;
            "none".to_string()
        }
        LinkKind::Other(n) => format!("[{n}]"),
    };
    let _ = write!(s, "    link/{kind}");
    if let Some(mac) = link.mac.as_ref().filter(|m| !m.is_empty()) {
        let _ = write!(s, " {}", hw(mac));
        if let Some(b) = &link.broadcast {
            let brd = if link.flags & IFF_POINTOPOINT != 0 {
                "peer"
            } else {
                "brd"
            };
            let _ = write!(s, " {brd} {}", hw(b));
        }
    }
    s.push('\n');
    s
}

/// `ip -br link`: name, state, MAC, flags in columns.
pub fn link_brief(link: &Link) -> String {
    let mac = link.mac.as_deref().map(hw).unwrap_or_default();
    format!(
        "{:<16} {:<14} {:<17} {} \n",
        link.name,
        link.operstate.as_str(),
        mac,
        flags_text(link.flags)
    )
}

fn scope_name(scope: u8) -> String {
    match scope {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

/// The `inet`/`inet6` line of `ip addr`.
pub fn addr_text(addr: &IfAddr, link_name: &str) -> String {
    let family = if addr.addr.is_ipv4() { "inet" } else { "inet6" };
    let mut s = format!("    {family} {}/{}", addr.addr, addr.prefix);
    if let Some(b) = addr.broadcast {
        let _ = write!(s, " brd {b}");
    }
    let _ = write!(s, " scope {}", scope_name(addr.scope));
    if addr.addr.is_ipv4() {
        let _ = write!(s, " {}", addr.label.as_deref().unwrap_or(link_name));
    }
    s.push('\n');
    s
}

fn proto_name(p: u8) -> Option<String> {
    Some(match p {
        0 | 3 => return None, // unspec, boot: iproute2 leaves them out
        1 => "redirect".into(),
        2 => "kernel".into(),
        4 => "static".into(),
        9 => "ra".into(),
        16 => "dhcp".into(),
        n => n.to_string(),
    })
}

/// One line of `ip route`.
pub fn route_text(route: &Route, names: &HashMap<u32, String>) -> String {
    let host = if route.dst.is_ipv4() { 32 } else { 128 };
    let mut s = if route.dst_len == 0 {
        "default".to_string()
    } else if route.dst_len == host {
        route.dst.to_string()
    } else {
        format!("{}/{}", route.dst, route.dst_len)
    };
    let kind = match route.kind {
        netlink::RTN_LOCAL => "local ",
        netlink::RTN_BROADCAST => "broadcast ",
        6 => "blackhole ",
        7 => "unreachable ",
        8 => "prohibit ",
        _ => "",
    };
    s.insert_str(0, kind);
    if let Some(gw) = route.gateway {
        let _ = write!(s, " via {gw}");
    }
    if let Some(oif) = route.oif {
        match names.get(&oif) {
            Some(n) => {
                let _ = write!(s, " dev {n}");
            }
            None => {
                let _ = write!(s, " dev if{oif}");
            }
        }
    }
    if let Some(p) = proto_name(route.protocol) {
        let _ = write!(s, " proto {p}");
    }
    if route.scope != 0 {
        let _ = write!(s, " scope {}", scope_name(route.scope));
    }
    if let Some(src) = route.prefsrc {
        let _ = write!(s, " src {src}");
    }
    if let Some(m) = route.metric {
        let _ = write!(s, " metric {m}");
    }
    s.push('\n');
    s
}

/// `ip addr` for the given links and addresses (links without an address of the family are left
/// out when a family is asked for, as iproute2 does).
pub fn addr_listing(links: &[Link], addrs: &[IfAddr], family: Family, brief: bool) -> String {
    let mut out = String::new();
    for link in links {
        let mine: Vec<&IfAddr> = addrs.iter().filter(|a| a.index == link.index).collect();
        if family != Family::Any && mine.is_empty() {
            continue;
        }
        if brief {
            let list: Vec<String> = mine
                .iter()
                .map(|a| format!("{}/{}", a.addr, a.prefix))
                .collect();
            let _ = writeln!(
                out,
                "{:<16} {:<14} {} ",
                link.name,
                link.operstate.as_str(),
                list.join(" ")
            );
            continue;
        }
        out.push_str(&link_text(link));
        for a in mine {
            out.push_str(&addr_text(a, &link.name));
        }
    }
    out
}

fn index_of(links: &[Link], dev: &str) -> Result<u32, IpError> {
    links
        .iter()
        .find(|l| l.name == dev)
        .map(|l| l.index)
        .ok_or_else(|| NetlinkError::NoSuchDevice(dev.to_string()).into())
}

fn execute(opts: &Options, out: &mut dyn Write) -> Result<(), IpError> {
    let mut rtnl = Rtnl::open()?;
    let mut text = String::new();
    match &opts.command {
        Command::LinkShow { dev } => {
            let links = rtnl.links()?;
            if let Some(d) = dev {
                index_of(&links, d)?;
            }
            for link in links
                .iter()
                .filter(|l| dev.as_ref().is_none_or(|d| &l.name == d))
            {
                text.push_str(&if opts.brief {
                    link_brief(link)
                } else {
                    link_text(link)
                });
            }
        }
        Command::LinkSet { dev, up, mtu } => {
            let index = rtnl.link_index(dev)?;
            if let Some(m) = mtu {
                rtnl.set_mtu(index, *m)?;
            }
            if let Some(u) = up {
                rtnl.set_link_up(index, *u)?;
            }
        }
        Command::AddrShow { dev } => {
            let links = rtnl.links()?;
            let index = dev.as_deref().map(|d| index_of(&links, d)).transpose()?;
            let links: Vec<Link> = links
                .into_iter()
                .filter(|l| index.is_none_or(|i| l.index == i))
                .collect();
            let addrs = rtnl.addresses(opts.family, index)?;
            text = addr_listing(&links, &addrs, opts.family, opts.brief);
        }
        Command::AddrChange {
            add,
            addr,
            prefix,
            dev,
        } => {
            let index = rtnl.link_index(dev)?;
            let a = IfAddr::new(index, *addr, *prefix);
            if *add {
                rtnl.add_address_with(&a, true)?;
            } else {
                rtnl.del_address(&a)?;
            }
        }
        Command::RouteShow => {
            let names: HashMap<u32, String> = rtnl
                .links()?
                .into_iter()
                .map(|l| (l.index, l.name))
                .collect();
            let family = match opts.family {
                Family::Any => Family::V4,
                f => f,
            };
            for r in rtnl
                .routes(family)?
                .iter()
                .filter(|r| r.table == RT_TABLE_MAIN)
            {
                text.push_str(&route_text(r, &names));
            }
        }
        Command::RouteChange {
            add,
            dst,
            dst_len,
            via,
            dev,
        } => {
            let oif = dev.as_deref().map(|d| rtnl.link_index(d)).transpose()?;
            let route = Route::new(*dst, *dst_len, *via, oif);
            if *add {
                rtnl.add_route_with(&route, true)?;
            } else {
                rtnl.del_route(&route)?;
            }
        }
    }
    out.write_all(text.as_bytes()).map_err(IpError::Write)
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let opts = Options::parse(args)?;
    let stdout = io::stdout();
    execute(&opts, &mut stdout.lock())?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rroot_init::netlink::OperState;

    fn parse(line: &str) -> Result<Options, UsageError> {
        let mut args = vec![OsString::from("ip")];
        args.extend(line.split_whitespace().map(OsString::from));
        Options::parse(args)
    }

    fn cmd(line: &str) -> Command {
        parse(line).map(|o| o.command).expect(line)
    }

    #[test]
    fn parse_table() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        let cases: Vec<(&str, Command)> = vec![
            ("link", Command::LinkShow { dev: None }),
            ("l", Command::LinkShow { dev: None }),
            (
                "link show eth0",
                Command::LinkShow {
                    dev: Some("eth0".into()),
                },
            ),
            (
                "link show dev eth0",
                Command::LinkShow {
                    dev: Some("eth0".into()),
                },
            ),
            (
                "link set eth0 up",
                Command::LinkSet {
                    dev: "eth0".into(),
                    up: Some(true),
                    mtu: None,
                },
            ),
            (
                "link set dev eth0 down mtu 1400",
                Command::LinkSet {
                    dev: "eth0".into(),
                    up: Some(false),
                    mtu: Some(1400),
                },
            ),
            ("a", Command::AddrShow { dev: None }),
            (
                "addr show dev lo",
                Command::AddrShow {
                    dev: Some("lo".into()),
                },
            ),
            ("address list", Command::AddrShow { dev: None }),
            (
                "addr add 10.0.0.2/24 dev eth0",
                Command::AddrChange {
                    add: true,
                    addr: ip("10.0.0.2"),
                    prefix: 24,
                    dev: "eth0".into(),
                },
            ),
            (
                "a del fd00::1/64 dev eth0",
                Command::AddrChange {
                    add: false,
                    addr: ip("fd00::1"),
                    prefix: 64,
                    dev: "eth0".into(),
                },
            ),
            (
                "addr add 10.0.0.2 dev eth0",
                Command::AddrChange {
                    add: true,
                    addr: ip("10.0.0.2"),
                    prefix: 32,
                    dev: "eth0".into(),
                },
            ),
            ("r", Command::RouteShow),
            ("route show", Command::RouteShow),
            (
                "route add default via 10.0.2.2",
                Command::RouteChange {
                    add: true,
                    dst: ip("0.0.0.0"),
                    dst_len: 0,
                    via: Some(ip("10.0.2.2")),
                    dev: None,
                },
            ),
            (
                "r add 10.9.0.0/16 via 10.0.2.3 dev eth0",
                Command::RouteChange {
                    add: true,
                    dst: ip("10.9.0.0"),
                    dst_len: 16,
                    via: Some(ip("10.0.2.3")),
                    dev: Some("eth0".into()),
                },
            ),
            (
                "route del default",
                Command::RouteChange {
                    add: false,
                    dst: ip("0.0.0.0"),
                    dst_len: 0,
                    via: None,
                    dev: None,
                },
            ),
            (
                "route add default via fe80::1 dev eth0",
                Command::RouteChange {
                    add: true,
                    dst: ip("::"),
                    dst_len: 0,
                    via: Some(ip("fe80::1")),
                    dev: Some("eth0".into()),
                },
            ),
        ];
        for (line, want) in cases {
            assert_eq!(cmd(line), want, "ip {line}");
        }
        let o = parse("-4 -br a").expect("parses");
        assert_eq!((o.family, o.brief), (Family::V4, true));
        assert_eq!(parse("-6 r").expect("parses").family, Family::V6);
    }

    #[test]
    fn parse_errors() {
        let cases = [
            ("", "missing object (link, addr, route)"),
            ("neigh", "unknown object 'neigh'"),
            ("-x link", "invalid option '-x'"),
            ("link set eth0", "ip link set: nothing to change"),
            ("link set eth0 mtu big", "invalid mtu 'big'"),
            ("link frob", "unknown link command 'frob'"),
            (
                "addr add 10.0.0.1/33 dev eth0",
                "invalid prefix '10.0.0.1/33'",
            ),
            ("addr add 10.0.0.1/24", "ip addr: missing 'dev DEV'"),
            ("addr add nonsense dev eth0", "invalid address 'nonsense'"),
            (
                "route add 10.0.0.0/8",
                "ip route add: needs 'via GW' or 'dev DEV'",
            ),
            (
                "route add 10.0.0.0/8 via fe80::1",
                "ip route: gateway and destination families differ",
            ),
            ("route add default via x", "invalid gateway 'x'"),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line).expect_err(line).0, want, "ip {line}");
        }
    }

    fn lo() -> Link {
        Link {
            index: 1,
            name: "lo".into(),
            flags: IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP,
            mtu: 65536,
            mac: Some(vec![0; 6]),
            broadcast: Some(vec![0; 6]),
            operstate: OperState::Unknown,
            kind: LinkKind::Loopback,
            qdisc: Some("noqueue".into()),
            txqlen: Some(1000),
        }
    }

    fn eth0(flags: u32, state: OperState) -> Link {
        Link {
            index: 2,
            name: "eth0".into(),
            flags,
            mtu: 1500,
            mac: Some(vec![0x52, 0x54, 0, 0x12, 0x34, 0x56]),
            broadcast: Some(vec![0xff; 6]),
            operstate: state,
            kind: LinkKind::Ether,
            qdisc: Some("pfifo_fast".into()),
            txqlen: Some(1000),
        }
    }

    #[test]
    fn link_output_looks_like_iproute2() {
        assert_eq!(
            link_text(&lo()),
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
        );
        let up = IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING | IFF_LOWER_UP;
        assert_eq!(
            link_text(&eth0(up, OperState::Up)),
            "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP qlen 1000\n    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n"
        );
        let cases = [
            (IFF_BROADCAST | IFF_MULTICAST, "<BROADCAST,MULTICAST>"),
            (
                IFF_UP | IFF_BROADCAST | IFF_MULTICAST,
                "<NO-CARRIER,BROADCAST,MULTICAST,UP>",
            ),
            (
                IFF_UP | IFF_RUNNING | IFF_NOARP | IFF_POINTOPOINT,
                "<POINTOPOINT,NOARP,UP>",
            ),
        ];
        for (flags, want) in cases {
            assert_eq!(flags_text(flags), want);
        }
        assert_eq!(
            link_brief(&eth0(up, OperState::Up)),
            "eth0             UP             52:54:00:12:34:56 <BROADCAST,MULTICAST,UP,LOWER_UP> \n"
        );
    }

    #[test]
    fn addr_output_looks_like_iproute2() {
        let lo4 = IfAddr {
            index: 1,
            addr: "127.0.0.1".parse().expect("ip"),
            prefix: 8,
            broadcast: None,
            scope: 254,
            label: Some("lo".into()),
        };
        let lo6 = IfAddr {
            index: 1,
            addr: "::1".parse().expect("ip"),
            prefix: 128,
            broadcast: None,
            scope: 254,
            label: None,
        };
        let e4 = IfAddr::new(2, "10.0.2.15".parse().expect("ip"), 24);
        let links = [lo(), eth0(IFF_BROADCAST, OperState::Down)];
        let addrs = [lo4, lo6, e4];
        assert_eq!(
            addr_listing(&links, &addrs, Family::Any, false),
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n    inet6 ::1/128 scope host\n2: eth0: <BROADCAST> mtu 1500 qdisc pfifo_fast state DOWN qlen 1000\n    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n    inet 10.0.2.15/24 brd 10.0.2.255 scope global eth0\n"
        );
        assert_eq!(
            addr_listing(&links, &addrs, Family::Any, true),
            "lo               UNKNOWN        127.0.0.1/8 ::1/128 \neth0             DOWN           10.0.2.15/24 \n"
        );
        // -6: links without IPv6 addresses are left out.
        let v6: Vec<IfAddr> = addrs.iter().filter(|a| a.addr.is_ipv6()).cloned().collect();
        assert_eq!(
            addr_listing(&links, &v6, Family::V6, true),
            "lo               UNKNOWN        ::1/128 \n"
        );
    }

    #[test]
    fn route_output_looks_like_iproute2() {
        let names: HashMap<u32, String> = [(2, "eth0".to_string())].into();
        let mut default = Route::default_v4("10.0.2.2".parse().expect("ip"), Some(2));
        default.protocol = netlink::RTPROT_DHCP;
        let mut connected = Route::new("10.0.2.0".parse().expect("ip"), 24, None, Some(2));
        connected.protocol = netlink::RTPROT_KERNEL;
        connected.prefsrc = Some("10.0.2.15".parse().expect("ip"));
        let static_boot = Route::new(
            "10.9.0.0".parse().expect("ip"),
            16,
            Some("10.0.2.3".parse().expect("ip")),
            Some(2),
        );
        let host = Route::new("169.254.1.1".parse().expect("ip"), 32, None, Some(9));
        let mut v6 = Route::new("fe80::".parse().expect("ip"), 64, None, Some(2));
        v6.protocol = netlink::RTPROT_KERNEL;
        v6.scope = 0;
        v6.metric = Some(256);
        let cases = [
            (default, "default via 10.0.2.2 dev eth0 proto dhcp\n"),
            (
                connected,
                "10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15\n",
            ),
            (static_boot, "10.9.0.0/16 via 10.0.2.3 dev eth0\n"),
            (host, "169.254.1.1 dev if9 scope link\n"),
            (v6, "fe80::/64 dev eth0 proto kernel metric 256\n"),
        ];
        for (route, want) in cases {
            assert_eq!(route_text(&route, &names), want);
        }
    }
}
