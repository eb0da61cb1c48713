//! What a DHCP server grants (RFC 2131 §3.1, options from RFC 2132 and RFC 3442), and its text form:
//! the lease file in /run/dhclient/IFACE.lease and what `dhclient -n` prints.

use std::net::Ipv4Addr;
use std::time::Duration;

/// Lease time meaning "forever" (RFC 2132 §9.2).
pub const INFINITE: u32 = u32::MAX;

/// A static route from option 121: destination network and gateway (0.0.0.0 = on-link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticRoute {
    pub dst: Ipv4Addr,
    pub prefix: u8,
    pub gateway: Ipv4Addr,
}

/// An address lease with the configuration that came with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub iface: String,
    pub address: Ipv4Addr,
    pub prefix: u8,
    pub broadcast: Option<Ipv4Addr>,
    /// Option 3, in preference order.
    pub routers: Vec<Ipv4Addr>,
    /// Option 121; when present it replaces option 3 (RFC 3442 §2).
    pub static_routes: Vec<StaticRoute>,
    pub dns: Vec<Ipv4Addr>,
    /// Option 15.
    pub domain: Option<String>,
    /// Option 119.
    pub search: Vec<String>,
    pub hostname: Option<String>,
    pub mtu: Option<u16>,
    /// Option 54; unset for a static configuration.
    pub server: Option<Ipv4Addr>,
    /// Seconds; `INFINITE` for ever.
    pub lease_time: u32,
    pub t1: u32,
    pub t2: u32,
}

impl Lease {
    /// An empty lease for `address/prefix` on `iface`, infinite, nothing else.
    pub fn new(iface: &str, address: Ipv4Addr, prefix: u8) -> Lease {
        Lease {
            iface: iface.to_string(),
            address,
            prefix,
            broadcast: None,
            routers: Vec::new(),
            static_routes: Vec::new(),
            dns: Vec::new(),
            domain: None,
            search: Vec::new(),
            hostname: None,
            mtu: None,
            server: None,
            lease_time: INFINITE,
            t1: INFINITE,
            t2: INFINITE,
        }
    }

    /// Fills T1 and T2 from the lease time when the server did not send them (RFC 2131 §4.4.5:
    /// 0.5 and 0.875 of the lease), and puts them back in order if the server sent nonsense.
    pub fn normalize_timers(&mut self, t1: Option<u32>, t2: Option<u32>) {
        if self.lease_time == INFINITE {
            self.t1 = INFINITE;
            self.t2 = INFINITE;
            return;
        }
        let lease = u64::from(self.lease_time);
        let default_t1 = (lease / 2) as u32;
        let default_t2 = (lease * 7 / 8) as u32;
        let t2 = t2.filter(|&t| t < self.lease_time).unwrap_or(default_t2);
        let t1 = t1.filter(|&t| t < t2).unwrap_or(default_t1.min(t2));
        self.t1 = t1;
        self.t2 = t2;
    }

    pub fn t1_after(&self) -> Duration {
        Duration::from_secs(u64::from(self.t1))
    }
    pub fn t2_after(&self) -> Duration {
        Duration::from_secs(u64::from(self.t2))
    }
    pub fn expires_after(&self) -> Duration {
        Duration::from_secs(u64::from(self.lease_time))
    }

    /// The gateway of the default route: from option 121's 0/0 entry when 121 is present
    /// (RFC 3442: then option 3 is ignored), else the first router of option 3.
    pub fn default_gateway(&self) -> Option<Ipv4Addr> {
        if self.static_routes.is_empty() {
            self.routers.first().copied()
        } else {
            self.static_routes
                .iter()
                .find(|r| r.prefix == 0)
                .map(|r| r.gateway)
        }
    }

    /// The text form: one `key=value` per line, lists space-separated.
    pub fn to_text(&self) -> String {
        fn ips(v: &[Ipv4Addr]) -> String {
            v.iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        }
        let mut out = String::new();
        let mut put = |k: &str, v: String| {
            if !v.is_empty() {
                out.push_str(k);
                out.push('=');
                out.push_str(&v);
                out.push('\n');
            }
        };
        put("interface", self.iface.clone());
        put("address", format!("{}/{}", self.address, self.prefix));
        put(
            "broadcast",
            self.broadcast.map(|b| b.to_string()).unwrap_or_default(),
        );
        put("routers", ips(&self.routers));
        put(
            "static_routes",
            self.static_routes
                .iter()
                .map(|r| format!("{}/{},{}", r.dst, r.prefix, r.gateway))
                .collect::<Vec<_>>()
                .join(" "),
        );
        put("dns", ips(&self.dns));
        put("domain", self.domain.clone().unwrap_or_default());
        put("search", self.search.join(" "));
        put("hostname", self.hostname.clone().unwrap_or_default());
        put("mtu", self.mtu.map(|m| m.to_string()).unwrap_or_default());
        put(
            "server",
            self.server.map(|s| s.to_string()).unwrap_or_default(),
        );
        put("lease_time", self.lease_time.to_string());
        put("t1", self.t1.to_string());
        put("t2", self.t2.to_string());
        out
    }

    /// Parses the text form; unknown keys are ignored, a bad value is an error naming the key.
    pub fn from_text(text: &str) -> Result<Lease, String> {
        let mut lease = Lease::new("", Ipv4Addr::UNSPECIFIED, 0);
        let mut have_address = false;
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let bad = || format!("bad {key} '{value}'");
            let ip = |s: &str| s.parse::<Ipv4Addr>().map_err(|_| bad());
            let ips = |s: &str| s.split_whitespace().map(ip).collect::<Result<Vec<_>, _>>();
            let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
            match key {
                "interface" => lease.iface = value.to_string(),
                "address" => {
                    let (a, p) = parse_cidr(value).ok_or_else(bad)?;
                    lease.address = a;
                    lease.prefix = p;
                    have_address = true;
                }
                "broadcast" => lease.broadcast = Some(ip(value)?),
                "routers" => lease.routers = ips(value)?,
                "static_routes" => {
                    for item in value.split_whitespace() {
                        let (net, gw) = item.split_once(',').ok_or_else(bad)?;
                        let (dst, prefix) = parse_cidr(net).ok_or_else(bad)?;
                        lease.static_routes.push(StaticRoute {
                            dst,
                            prefix,
                            gateway: ip(gw)?,
                        });
                    }
                }
                "dns" => lease.dns = ips(value)?,
                "domain" => lease.domain = Some(value.to_string()),
                "search" => lease.search = value.split_whitespace().map(String::from).collect(),
                "hostname" => lease.hostname = Some(value.to_string()),
                "mtu" => lease.mtu = Some(value.parse().map_err(|_| bad())?),
                "server" => lease.server = Some(ip(value)?),
                "lease_time" => lease.lease_time = num(value)?,
                "t1" => lease.t1 = num(value)?,
                "t2" => lease.t2 = num(value)?,
                _ => {}
            }
        }
        if !have_address {
            return Err("no address".to_string());
        }
        Ok(lease)
    }
}

/// `10.0.0.0/8` → (10.0.0.0, 8); a bare address is /32.
pub fn parse_cidr(s: &str) -> Option<(Ipv4Addr, u8)> {
    match s.split_once('/') {
        Some((a, p)) => {
            let prefix: u8 = p.parse().ok()?;
            (prefix <= 32).then_some(())?;
            Some((a.parse().ok()?, prefix))
        }
        None => Some((s.parse().ok()?, 32)),
    }
}

/// Prefix length of a contiguous netmask (`255.255.255.0` → 24); `None` for a non-contiguous one.
pub fn mask_to_prefix(mask: Ipv4Addr) -> Option<u8> {
    let m = u32::from(mask);
    let ones = m.leading_ones();
    (m.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
}

/// The classful prefix of an address, for servers that send no subnet mask (RFC 2131 §2.2 leaves
/// this to the client; every client falls back to the class).
pub fn classful_prefix(addr: Ipv4Addr) -> u8 {
    match addr.octets()[0] {
        0..=127 => 8,
        128..=191 => 16,
        _ => 24,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Lease {
        let mut l = Lease::new("eth0", Ipv4Addr::new(10, 0, 2, 15), 24);
        l.broadcast = Some(Ipv4Addr::new(10, 0, 2, 255));
        l.routers = vec![Ipv4Addr::new(10, 0, 2, 2)];
        l.static_routes = vec![StaticRoute {
            dst: Ipv4Addr::new(10, 9, 0, 0),
            prefix: 16,
            gateway: Ipv4Addr::new(10, 0, 2, 3),
        }];
        l.dns = vec![Ipv4Addr::new(10, 0, 2, 3), Ipv4Addr::new(1, 1, 1, 1)];
        l.domain = Some("example.test".into());
        l.search = vec!["a.test".into(), "b.test".into()];
        l.hostname = Some("guest".into());
        l.mtu = Some(1400);
        l.server = Some(Ipv4Addr::new(10, 0, 2, 2));
        l.lease_time = 86400;
        l.normalize_timers(None, None);
        l
    }

    #[test]
    fn text_round_trip() {
        let l = sample();
        assert_eq!(Lease::from_text(&l.to_text()), Ok(l.clone()));
        assert!(l.to_text().contains("address=10.0.2.15/24\n"));
        let minimal = Lease::new("eth1", Ipv4Addr::new(192, 168, 1, 5), 24);
        assert_eq!(Lease::from_text(&minimal.to_text()), Ok(minimal));
    }

    #[test]
    fn from_text_rejects_bad_values() {
        let cases = [
            ("address=10.0.0.1/33\n", "bad address '10.0.0.1/33'"),
            ("address=10.0.0.1/24\ndns=1.2.3\n", "bad dns '1.2.3'"),
            ("interface=eth0\n", "no address"),
            ("address=10.0.0.1/8\nt1=-1\n", "bad t1 '-1'"),
        ];
        for (text, want) in cases {
            assert_eq!(Lease::from_text(text), Err(want.to_string()), "{text:?}");
        }
    }

    #[test]
    fn timers_default_and_order() {
        let cases = [
            // lease, t1, t2 given → t1, t2 used
            (3600, None, None, 1800, 3150),
            (3600, Some(100), Some(200), 100, 200),
            (3600, Some(3000), Some(2000), 1800, 2000), // t1 ≥ t2: default t1
            (3600, None, Some(5000), 1800, 3150),       // t2 ≥ lease: default
            (120, Some(60), None, 60, 105),
            (INFINITE, Some(60), Some(90), INFINITE, INFINITE),
        ];
        for (lease_time, t1, t2, want1, want2) in cases {
            let mut l = Lease::new("e", Ipv4Addr::new(10, 0, 0, 2), 8);
            l.lease_time = lease_time;
            l.normalize_timers(t1, t2);
            assert_eq!((l.t1, l.t2), (want1, want2), "{lease_time} {t1:?} {t2:?}");
        }
    }

    #[test]
    fn default_gateway_prefers_option_121() {
        let mut l = sample();
        // 121 present without a default entry: no default route, option 3 ignored.
        assert_eq!(l.default_gateway(), None);
        l.static_routes.push(StaticRoute {
            dst: Ipv4Addr::UNSPECIFIED,
            prefix: 0,
            gateway: Ipv4Addr::new(10, 0, 2, 254),
        });
        assert_eq!(l.default_gateway(), Some(Ipv4Addr::new(10, 0, 2, 254)));
        l.static_routes.clear();
        assert_eq!(l.default_gateway(), Some(Ipv4Addr::new(10, 0, 2, 2)));
    }

    #[test]
    fn masks_and_prefixes() {
        let cases = [
            ("255.255.255.0", Some(24)),
            ("255.255.255.255", Some(32)),
            ("0.0.0.0", Some(0)),
            ("255.255.0.255", None),
            ("255.128.0.0", Some(9)),
        ];
        for (mask, want) in cases {
            assert_eq!(mask_to_prefix(mask.parse().expect("ip")), want, "{mask}");
        }
        assert_eq!(classful_prefix(Ipv4Addr::new(10, 1, 1, 1)), 8);
        assert_eq!(classful_prefix(Ipv4Addr::new(172, 16, 1, 1)), 16);
        assert_eq!(classful_prefix(Ipv4Addr::new(192, 168, 1, 1)), 24);
    }
}
