//! `dhclient`: get an IPv4 address by DHCP (RFC 2131) and configure it. Options follow ISC
//! dhclient(8) where they exist there.
//!
//! usage: dhclient [-1] [-d] [-n] [-r] [-v] [-H] [-R ROOT]... [-L DIR] [-timeout N] [-retry N] [IFACE...]

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use rroot_init::dhcp::{self, DhcpError, DhcpOptions};

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: dhclient [-1] [-d] [-n] [-r] [-v] [-H] [-R ROOT]... [-L DIR] [-timeout N] [-retry N] [IFACE...]
Get a DHCP lease on each IFACE (default: every Ethernet interface, in parallel) and configure
address, routes, MTU and /etc/resolv.conf. The first lease sets the default route.
  -1          exit once bound; fail when no lease comes within the timeout (the default)
  -d          stay in the foreground and keep the lease: renew at T1, rebind at T2
  -n          dry run: print the lease, configure nothing
  -r          release the lease saved in /run/dhclient/IFACE.lease
  -v          log every packet sent, received and ignored
  -H          set the host name from the lease
  -R ROOT     also write ROOT/etc/resolv.conf
  -L DIR      keep leases in DIR (default /run/dhclient)
  -timeout N  seconds to wait for a lease (default 15)
  -retry N    with -d: seconds to wait before starting over after a timeout (default 60)
";

#[derive(Debug, thiserror::Error)]
pub enum DhclientError {
    #[error("{0}")]
    Dhcp(#[from] DhcpError),
    #[error("write error: {}", io_reason(.0))]
    Write(io::Error),
}

impl AppletError for DhclientError {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub daemon: bool,
    pub dry_run: bool,
    pub release: bool,
    pub verbose: bool,
    pub set_hostname: bool,
    pub roots: Vec<PathBuf>,
    pub lease_dir: PathBuf,
    pub timeout: Duration,
    pub retry: Duration,
    pub ifaces: Vec<String>,
}

fn seconds(flag: &str, value: Option<OsString>) -> Result<Duration, UsageError> {
    let v = value.ok_or_else(|| UsageError(format!("option {flag} needs a number")))?;
    let s = v.to_string_lossy();
    s.parse::<u64>()
        .ok()
        .filter(|&n| n > 0)
        .map(Duration::from_secs)
        .ok_or_else(|| UsageError(format!("invalid {flag} '{s}'")))
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            daemon: false,
            dry_run: false,
            release: false,
            verbose: false,
            set_hostname: false,
            roots: Vec::new(),
            lease_dir: PathBuf::from("/run/dhclient"),
            timeout: Duration::from_secs(15),
            retry: Duration::from_secs(60),
            ifaces: Vec::new(),
        };
        let mut it = args.into_iter().skip(1);
        while let Some(arg) = it.next() {
            let a = arg.to_string_lossy().into_owned();
            match a.as_str() {
                "-1" => o.daemon = false,
                "-d" => o.daemon = true,
                "-n" => o.dry_run = true,
                "-r" => o.release = true,
                "-v" => o.verbose = true,
                "-H" => o.set_hostname = true,
                "-R" => o.roots.push(
                    it.next()
                        .ok_or_else(|| UsageError("option -R needs a ROOT".into()))?
                        .into(),
                ),
                "-L" => {
                    o.lease_dir = it
                        .next()
                        .ok_or_else(|| UsageError("option -L needs a DIR".into()))?
                        .into()
                }
                "-timeout" => o.timeout = seconds("-timeout", it.next())?,
                "-retry" => o.retry = seconds("-retry", it.next())?,
                _ if a.starts_with('-') => return Err(UsageError(format!("invalid option '{a}'"))),
                _ => o.ifaces.push(a),
            }
        }
        if o.release && o.ifaces.is_empty() {
            return Err(UsageError("-r needs an IFACE".into()));
        }
        Ok(o)
    }

    pub fn dhcp_options(&self) -> DhcpOptions {
        let mut roots = vec![PathBuf::from("/")];
        roots.extend(self.roots.iter().cloned());
        DhcpOptions {
            timeout: self.timeout,
            retry: self.retry,
            daemon: self.daemon,
            dry_run: self.dry_run,
            verbose: self.verbose,
            set_hostname: self.set_hostname,
            resolv_roots: roots,
            lease_dir: self.lease_dir.clone(),
            ..DhcpOptions::default()
        }
    }
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let opts = Options::parse(args)?;
    let dopts = opts.dhcp_options();
    if opts.release {
        for iface in &opts.ifaces {
            dhcp::release(iface, &dopts).map_err(DhclientError::from)?;
        }
        return Ok(0);
    }
    let ifaces = (!opts.ifaces.is_empty()).then(|| opts.ifaces.clone());
    let (_events, handles) = dhcp::spawn(ifaces, dopts).map_err(DhclientError::from)?;
    let mut failures = Vec::new();
    let mut out = io::stdout().lock();
    for h in handles {
        match h.join() {
            Ok(Ok(Some(lease))) if opts.dry_run => {
                out.write_all(lease.to_text().as_bytes())
                    .map_err(DhclientError::Write)?;
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => failures.push(e.to_string()),
            Err(_) => failures.push("client thread died".to_string()),
        }
    }
    // Every failure is reported; the last goes through the dispatcher like any applet error.
    let last = failures.pop();
    for f in failures {
        eprintln!("dhclient: {f}");
    }
    match last {
        Some(message) => Err(crate::error::Failure { message, code: 1 }),
        None => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Options, UsageError> {
        let mut args = vec![OsString::from("dhclient")];
        args.extend(line.split_whitespace().map(OsString::from));
        Options::parse(args)
    }

    #[test]
    fn parse_table() {
        let o = parse("").expect("parses");
        assert!(!o.daemon && o.ifaces.is_empty());
        assert_eq!(o.timeout, Duration::from_secs(15));
        let o = parse("-1 -v -n -timeout 2 eth0 eth1").expect("parses");
        assert!(o.verbose && o.dry_run && !o.daemon);
        assert_eq!(o.timeout, Duration::from_secs(2));
        assert_eq!(o.ifaces, vec!["eth0", "eth1"]);
        let o = parse("-d -retry 5 -H -R /mnt eth0").expect("parses");
        assert!(o.daemon && o.set_hostname);
        assert_eq!(o.retry, Duration::from_secs(5));
        assert_eq!(o.roots, vec![PathBuf::from("/mnt")]);
        let d = o.dhcp_options();
        assert_eq!(
            d.resolv_roots,
            vec![PathBuf::from("/"), PathBuf::from("/mnt")]
        );
        assert!(d.daemon);
        assert!(parse("-r eth0").expect("parses").release);
        assert_eq!(
            parse("-L /tmp/l").expect("parses").dhcp_options().lease_dir,
            PathBuf::from("/tmp/l")
        );
    }

    #[test]
    fn parse_errors() {
        let cases = [
            ("-x", "invalid option '-x'"),
            ("-timeout", "option -timeout needs a number"),
            ("-timeout 0", "invalid -timeout '0'"),
            ("-retry soon", "invalid -retry 'soon'"),
            ("-r", "-r needs an IFACE"),
            ("-R", "option -R needs a ROOT"),
            ("-L", "option -L needs a DIR"),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line).expect_err(line).0, want, "{line}");
        }
    }
}
