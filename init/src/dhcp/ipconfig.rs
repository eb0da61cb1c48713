//! The kernel's `ip=` and `nameserver=` parameters (Documentation/admin-guide/nfs/nfsroot.rst,
//! "ip=<client-ip>:<server-ip>:<gw-ip>:<netmask>:<hostname>:<device>:<autoconf>:<dns0-ip>:<dns1-ip>:<ntp0-ip>")
//! turned into a plan: no network, DHCP, or a static configuration expressed as an infinite lease.

use std::net::Ipv4Addr;

use super::lease::{classful_prefix, mask_to_prefix, Lease};

/// What `ip=` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpPlan {
    /// `ip=off`/`ip=none`: leave the network alone.
    Off,
    /// DHCP on the named device, or on every Ethernet interface.
    Dhcp { device: Option<String> },
    /// A fixed address. The lease's `iface` is empty when no device was named (the first
    /// Ethernet interface is meant).
    Static(Lease),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpParamError {
    #[error("ip={value}: bad {field} '{text}'")]
    Field {
        value: String,
        field: &'static str,
        text: String,
    },
    #[error("ip={value}: unknown autoconf method '{method}'")]
    Autoconf { value: String, method: String },
    #[error("nameserver={0}: not an IPv4 address")]
    Nameserver(String),
}

/// Parses the value of `ip=`. An empty value means DHCP, as the kernel's default autoconf does.
pub fn parse_ip_param(value: &str) -> Result<IpPlan, IpParamError> {
    match value {
        "" | "dhcp" | "on" | "any" | "bootp" | "both" => return Ok(IpPlan::Dhcp { device: None }),
        "off" | "none" => return Ok(IpPlan::Off),
        _ => {}
    }
    let fields: Vec<&str> = value.split(':').collect();
    let field = |i: usize| fields.get(i).copied().unwrap_or("");
    let bad = |name: &'static str, text: &str| IpParamError::Field {
        value: value.to_string(),
        field: name,
        text: text.to_string(),
    };
    let addr = |i: usize, name: &'static str| -> Result<Option<Ipv4Addr>, IpParamError> {
        match field(i) {
            "" => Ok(None),
            t => t.parse().map(Some).map_err(|_| bad(name, t)),
        }
    };
    let client = addr(0, "client address")?;
    let _server = addr(1, "server address")?;
    let gateway = addr(2, "gateway")?;
    let netmask = addr(3, "netmask")?;
    let hostname = Some(field(4)).filter(|h| !h.is_empty()).map(String::from);
    let device = Some(field(5)).filter(|d| !d.is_empty()).map(String::from);
    let dns: Vec<Ipv4Addr> = [addr(7, "dns0")?, addr(8, "dns1")?]
        .into_iter()
        .flatten()
        .collect();
    let autoconf = field(6);
    match autoconf {
        "off" | "none" => {}
        "" if client.is_some() => {}
        "" | "on" | "any" | "dhcp" | "bootp" | "both" => {
            return Ok(IpPlan::Dhcp { device });
        }
        other => {
            return Err(IpParamError::Autoconf {
                value: value.to_string(),
                method: other.to_string(),
            })
        }
    }
    let Some(client) = client else {
        // `ip=::::host:eth0:off` configures nothing to configure with.
        return if autoconf.is_empty() {
            Ok(IpPlan::Dhcp { device })
        } else {
            Ok(IpPlan::Off)
        };
    };
    let prefix = match netmask {
        Some(m) => mask_to_prefix(m).ok_or_else(|| bad("netmask", field(3)))?,
        None => classful_prefix(client),
    };
    let mut lease = Lease::new(device.as_deref().unwrap_or(""), client, prefix);
    lease.routers = gateway.into_iter().collect();
    lease.hostname = hostname;
    lease.dns = dns;
    Ok(IpPlan::Static(lease))
}

/// `nameserver=` values (the kernel's ipconfig takes up to three).
pub fn parse_nameservers<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Ipv4Addr>, IpParamError> {
    values
        .into_iter()
        .map(|v| {
            v.parse()
                .map_err(|_| IpParamError::Nameserver(v.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().expect("ip")
    }

    fn fixed(
        iface: &str,
        addr: &str,
        prefix: u8,
        gw: Option<&str>,
        host: Option<&str>,
        dns: &[&str],
    ) -> IpPlan {
        let mut l = Lease::new(iface, ip(addr), prefix);
        l.routers = gw.map(ip).into_iter().collect();
        l.hostname = host.map(String::from);
        l.dns = dns.iter().map(|d| ip(d)).collect();
        IpPlan::Static(l)
    }

    #[test]
    fn ip_param_table() {
        let dhcp = |d: Option<&str>| IpPlan::Dhcp {
            device: d.map(String::from),
        };
        let cases: Vec<(&str, IpPlan)> = vec![
            ("dhcp", dhcp(None)),
            ("on", dhcp(None)),
            ("", dhcp(None)),
            ("off", IpPlan::Off),
            ("none", IpPlan::Off),
            ("::::::dhcp", dhcp(None)),
            (":::::eth1:dhcp", dhcp(Some("eth1"))),
            (":::::eth1:", dhcp(Some("eth1"))),
            ("::::host:eth0:off", IpPlan::Off),
            (
                "10.0.2.15::10.0.2.2:255.255.255.0:guest:eth0:off",
                fixed(
                    "eth0",
                    "10.0.2.15",
                    24,
                    Some("10.0.2.2"),
                    Some("guest"),
                    &[],
                ),
            ),
            (
                "192.168.7.2:192.168.7.1:192.168.7.1:255.255.255.0::eth0:none:1.1.1.1:8.8.8.8",
                fixed(
                    "eth0",
                    "192.168.7.2",
                    24,
                    Some("192.168.7.1"),
                    None,
                    &["1.1.1.1", "8.8.8.8"],
                ),
            ),
            // No netmask: classful; no device: the caller picks the first Ethernet interface.
            ("10.1.2.3", fixed("", "10.1.2.3", 8, None, None, &[])),
            (
                "10.1.2.3:::::eth0:off:9.9.9.9",
                fixed("eth0", "10.1.2.3", 8, None, None, &["9.9.9.9"]),
            ),
            // The kernel also accepts trailing NTP server; ignored.
            (
                "10.1.2.3::::::off:::10.0.0.9",
                fixed("", "10.1.2.3", 8, None, None, &[]),
            ),
        ];
        for (value, want) in cases {
            assert_eq!(parse_ip_param(value), Ok(want), "ip={value}");
        }
    }

    #[test]
    fn ip_param_errors() {
        let cases = [
            (
                "10.0.2.300::::::off",
                "ip=10.0.2.300::::::off: bad client address '10.0.2.300'",
            ),
            (
                "10.0.2.15::gw:::eth0:off",
                "ip=10.0.2.15::gw:::eth0:off: bad gateway 'gw'",
            ),
            (
                "10.0.2.15:::255.0.255.0::eth0:off",
                "ip=10.0.2.15:::255.0.255.0::eth0:off: bad netmask '255.0.255.0'",
            ),
            (
                "10.0.2.15:::::eth0:rarp2",
                "ip=10.0.2.15:::::eth0:rarp2: unknown autoconf method 'rarp2'",
            ),
            (
                "10.0.2.15:::::eth0:off:x",
                "ip=10.0.2.15:::::eth0:off:x: bad dns0 'x'",
            ),
            ("dhcp6", "ip=dhcp6: bad client address 'dhcp6'"),
        ];
        for (value, want) in cases {
            let err = parse_ip_param(value).expect_err(value);
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn nameservers() {
        assert_eq!(
            parse_nameservers(["1.1.1.1", "10.0.2.3"]),
            Ok(vec![ip("1.1.1.1"), ip("10.0.2.3")])
        );
        assert_eq!(
            parse_nameservers(["1.1.1"]).map_err(|e| e.to_string()),
            Err("nameserver=1.1.1: not an IPv4 address".to_string())
        );
    }
}
