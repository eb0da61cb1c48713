//! DHCPv4 client (RFC 2131) and the kernel's `ip=` parameter: what `dhclient` and init's boot
//! network use.
//!
//! - `lease`: what a server grants, and its text form (lease file, `dhclient -n`).
//! - `packet`: messages on the wire (dhcproto) and the checks made on replies.
//! - `machine`: the pure client state machine, driven with injected time and randomness.
//! - `apply`: lease → netlink plan, resolv.conf, lease file.
//! - `ipconfig`: `ip=` and `nameserver=` → plan.
//! - `client`: sockets and the loop that drives the machine for one interface, or all of them in
//!   threads (`spawn`, `run_boot_dhcp`).

pub mod apply;
pub mod client;
pub mod ipconfig;
pub mod lease;
pub mod machine;
pub mod packet;

use std::io;
use std::path::PathBuf;

pub use apply::{hosts_text, resolv_conf, write_atomic, write_resolv_conf};
pub use client::{
    apply_static, ethernet_interfaces, release, run_boot_dhcp, run_interface, spawn, DhcpEvent,
    DhcpOptions, SharedState,
};
pub use ipconfig::{parse_ip_param, parse_nameservers, IpParamError, IpPlan};
pub use lease::Lease;

use crate::netlink::{reason, NetlinkError};

/// DHCP client failures; each message is `subject: reason`.
#[derive(Debug, thiserror::Error)]
pub enum DhcpError {
    #[error(transparent)]
    Netlink(#[from] NetlinkError),
    #[error("no Ethernet interface")]
    NoInterface,
    #[error("{0}: not an Ethernet interface")]
    NotEthernet(String),
    #[error("{iface}: socket: {}", reason(.source))]
    Socket { iface: String, source: io::Error },
    #[error("{iface}: send: {}", reason(.source))]
    Send { iface: String, source: io::Error },
    #[error("{iface}: receive: {}", reason(.source))]
    Recv { iface: String, source: io::Error },
    #[error("{iface}: no lease after {secs} s")]
    NoLease { iface: String, secs: u64 },
    #[error("{iface}: no carrier after {secs} s")]
    NoCarrier { iface: String, secs: u64 },
    #[error("{0}: no lease to release")]
    NothingToRelease(String),
    #[error("{}: {}", .path.display(), reason(.source))]
    Write { path: PathBuf, source: io::Error },
    #[error("{}: {}", .path.display(), reason(.source))]
    Read { path: PathBuf, source: io::Error },
    #[error("{}: {reason}", .path.display())]
    BadLeaseFile { path: PathBuf, reason: String },
    #[error("sethostname {name}: {}", reason(.source))]
    Hostname { name: String, source: io::Error },
    #[error("{0}: client thread failed")]
    Thread(String),
}
