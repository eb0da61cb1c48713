//! `ping`: send ICMP echo requests and report the replies. An iputils ping(8) subset with its
//! output format.
//!
//! usage: ping [-c COUNT] [-i SECS] [-W SECS] [-s SIZE] HOST
//!
//! Uses an unprivileged ICMP datagram socket (needs the caller's group in
//! net.ipv4.ping_group_range); when that is refused and the caller may open raw sockets (root),
//! falls back to SOCK_RAW.

use std::ffi::OsString;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use std::os::fd::OwnedFd;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{socket, AddressFamily, SockFlag, SockProtocol, SockType};

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: ping [-c COUNT] [-i SECS] [-W SECS] [-s SIZE] HOST
Send ICMP echo requests to HOST (an IPv4 address or name) and print the replies.
  -c COUNT  stop after COUNT requests (default: until interrupted)
  -i SECS   seconds between requests (default 1; fractions allowed)
  -W SECS   seconds to wait for replies after the last request (default 10)
  -s SIZE   bytes of payload (default 56)
";

#[derive(Debug, thiserror::Error)]
pub enum PingError {
    #[error("{0}: Name or service not known")]
    Resolve(String),
    #[error("socket: {}", io_reason(.0))]
    Socket(io::Error),
    #[error("sendto: {}", io_reason(.0))]
    Send(io::Error),
    #[error("recvmsg: {}", io_reason(.0))]
    Recv(io::Error),
    #[error("write error: {}", io_reason(.0))]
    Write(io::Error),
}

impl AppletError for PingError {
    fn exit_code(&self) -> i32 {
        2
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub count: Option<u64>,
    pub interval: Duration,
    pub wait: Duration,
    pub size: usize,
    pub host: String,
}

fn secs(flag: &str, v: Option<OsString>) -> Result<Duration, UsageError> {
    let v = v.ok_or_else(|| UsageError(format!("option {flag} needs a value")))?;
    let s = v.to_string_lossy();
    s.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0 && *n < 1e6)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| UsageError(format!("invalid {flag} '{s}'")))
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            count: None,
            interval: Duration::from_secs(1),
            wait: Duration::from_secs(10),
            size: 56,
            host: String::new(),
        };
        let mut it = args.into_iter().skip(1);
        while let Some(arg) = it.next() {
            let a = arg.to_string_lossy().into_owned();
            match a.as_str() {
                "-c" => {
                    let v = it.next().map(|v| v.to_string_lossy().into_owned());
                    o.count = Some(
                        v.as_deref()
                            .and_then(|v| v.parse::<u64>().ok())
                            .filter(|&n| n > 0)
                            .ok_or_else(|| {
                                UsageError(format!("invalid -c '{}'", v.unwrap_or_default()))
                            })?,
                    );
                }
                "-i" => o.interval = secs("-i", it.next())?,
                "-W" => o.wait = secs("-W", it.next())?,
                "-s" => {
                    let v = it.next().map(|v| v.to_string_lossy().into_owned());
                    o.size = v
                        .as_deref()
                        .and_then(|v| v.parse::<usize>().ok())
                        .filter(|&n| n <= 65507 - 8)
                        .ok_or_else(|| {
                            UsageError(format!("invalid -s '{}'", v.unwrap_or_default()))
                        })?;
                }
                _ if a.starts_with('-') && a.len() > 1 => {
                    return Err(UsageError(format!("invalid option '{a}'")))
                }
                _ if o.host.is_empty() => o.host = a,
                _ => return Err(UsageError("too many arguments".into())),
            }
        }
        if o.host.is_empty() {
            return Err(UsageError("missing HOST".into()));
        }
        Ok(o)
    }
}

/// The Internet checksum (RFC 1071).
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in data.chunks(2) {
        let word = match chunk {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from_be_bytes([*a, 0]),
            _ => 0,
        };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An ICMP echo request (RFC 792): type 8, identifier, sequence, payload, checksum.
pub fn echo_request(id: u16, seq: u16, size: usize) -> Vec<u8> {
    let mut p = vec![8u8, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend((0..size).map(|i| (i % 256) as u8));
    let c = checksum(&p);
    p[2..4].copy_from_slice(&c.to_be_bytes());
    p
}

/// An echo reply as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchoReply {
    pub id: u16,
    pub seq: u16,
    /// ICMP bytes (header and payload), what iputils prints as "N bytes".
    pub len: usize,
    pub ttl: Option<u8>,
}

/// Parses a received datagram: with `raw`, an IPv4 packet (TTL taken from its header); without,
/// the ICMP message alone (datagram sockets strip the IP header). Anything but an echo reply is
/// `None`.
pub fn parse_echo_reply(buf: &[u8], raw: bool) -> Option<EchoReply> {
    let (icmp, ttl) = if raw {
        let ihl = usize::from(buf.first()? & 0x0f) * 4;
        if buf.first()? >> 4 != 4 || ihl < 20 {
            return None;
        }
        (buf.get(ihl..)?, Some(*buf.get(8)?))
    } else {
        (buf, None)
    };
    if icmp.len() < 8 || icmp[0] != 0 || icmp[1] != 0 {
        return None;
    }
    Some(EchoReply {
        id: u16::from_be_bytes([icmp[4], icmp[5]]),
        seq: u16::from_be_bytes([icmp[6], icmp[7]]),
        len: icmp.len(),
        ttl,
    })
}

/// Running statistics, printed like iputils at the end.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Stats {
    pub sent: u64,
    pub received: u64,
    pub rtts: Vec<f64>,
}

impl Stats {
    pub fn summary(&self, host: &str, elapsed: Duration) -> String {
        let loss = ((self.sent - self.received.min(self.sent)) * 100)
            .checked_div(self.sent)
            .unwrap_or(0);
        let mut s = format!(
            "\n--- {host} ping statistics ---\n{} packets transmitted, {} received, {loss}% packet loss, time {}ms\n",
            self.sent,
            self.received,
            elapsed.as_millis()
        );
        if !self.rtts.is_empty() {
            let n = self.rtts.len() as f64;
            let min = self.rtts.iter().cloned().fold(f64::INFINITY, f64::min);
            let max = self.rtts.iter().cloned().fold(0.0, f64::max);
            let avg = self.rtts.iter().sum::<f64>() / n;
            let var = self.rtts.iter().map(|r| r * r).sum::<f64>() / n - avg * avg;
            let mdev = var.max(0.0).sqrt();
            s.push_str(&format!(
                "rtt min/avg/max/mdev = {min:.3}/{avg:.3}/{max:.3}/{mdev:.3} ms\n"
            ));
        }
        s
    }
}

/// The line printed for each reply.
pub fn reply_line(from: Ipv4Addr, r: &EchoReply, ttl: Option<u8>, rtt_ms: f64) -> String {
    let ttl = ttl.map(|t| format!(" ttl={t}")).unwrap_or_default();
    let time = if rtt_ms >= 100.0 {
        format!("{rtt_ms:.0}")
    } else if rtt_ms >= 10.0 {
        format!("{rtt_ms:.1}")
    } else {
        format!("{rtt_ms:.3}")
    };
    format!(
        "{} bytes from {from}: icmp_seq={}{ttl} time={time} ms\n",
        r.len, r.seq
    )
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

fn catch_sigint() {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let action = SigAction::new(
        SigHandler::Handler(on_sigint),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    let _ = unsafe { sigaction(Signal::SIGINT, &action) };
}

fn resolve(host: &str) -> Result<Ipv4Addr, PingError> {
    if let Ok(a) = host.parse::<Ipv4Addr>() {
        return Ok(a);
    }
    (host, 0)
        .to_socket_addrs()
        .map_err(|_| PingError::Resolve(host.to_string()))?
        .find_map(|a| match a {
            SocketAddr::V4(v4) => Some(*v4.ip()),
            _ => None,
        })
        .ok_or_else(|| PingError::Resolve(host.to_string()))
}

/// An ICMP datagram socket, or a raw one when datagram sockets are refused.
fn open_socket() -> Result<(OwnedFd, bool), PingError> {
    let open = |kind| {
        socket(
            AddressFamily::Inet,
            kind,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::Icmp,
        )
    };
    match open(SockType::Datagram) {
        Ok(s) => Ok((s, false)),
        Err(e @ (nix::errno::Errno::EACCES | nix::errno::Errno::EPERM)) => open(SockType::Raw)
            .map(|s| (s, true))
            .map_err(|_| PingError::Socket(e.into())),
        Err(e) => Err(PingError::Socket(e.into())),
    }
}

/// Asks the kernel for each datagram's TTL (IP_RECVTTL), delivered as a control message.
fn want_ttl(sock: &OwnedFd) {
    let on: libc::c_int = 1;
    // SAFETY: a valid socket, a pointer to a live c_int and its size.
    let _ = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_RECVTTL,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

fn send_to(sock: &OwnedFd, packet: &[u8], dest: Ipv4Addr) -> io::Result<()> {
    // SAFETY: sockaddr_in is plain data; all-zero is a valid value.
    let mut sin: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    sin.sin_family = libc::AF_INET as libc::sa_family_t;
    sin.sin_addr.s_addr = u32::from_ne_bytes(dest.octets());
    // SAFETY: the buffer and address are valid for the lengths given.
    let n = unsafe {
        libc::sendto(
            sock.as_raw_fd(),
            packet.as_ptr().cast(),
            packet.len(),
            0,
            (&sin as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// One datagram: the echo reply in it (if it is one), its source and TTL.
type Received = Option<(EchoReply, Ipv4Addr, Option<u8>)>;

fn receive(sock: &OwnedFd, raw: bool) -> Result<Received, PingError> {
    let mut buf = vec![0u8; 65536];
    let mut control = [0u64; 8];
    // SAFETY: sockaddr_in is plain data; all-zero is valid.
    let mut from: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: msghdr is plain data; all-zero is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = (&mut from as *mut libc::sockaddr_in).cast();
    msg.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: every pointer in msg refers to a live buffer of the stated size.
    let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(None),
            _ => Err(PingError::Recv(e)),
        };
    }
    let mut ttl = None;
    // SAFETY: msg was filled in by recvmsg; the CMSG macros stay within msg_controllen, and
    // IP_TTL data is one c_int, read unaligned.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::IPPROTO_IP && (*c).cmsg_type == libc::IP_TTL {
                let v = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<libc::c_int>());
                ttl = u8::try_from(v).ok();
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    let source = Ipv4Addr::from(from.sin_addr.s_addr.to_ne_bytes());
    let len = usize::try_from(n).unwrap_or(0).min(buf.len());
    Ok(parse_echo_reply(&buf[..len], raw).map(|r| {
        let ttl = ttl.or(r.ttl);
        (r, source, ttl)
    }))
}

fn execute(o: &Options, out: &mut dyn Write) -> Result<i32, PingError> {
    let dest = resolve(&o.host)?;
    let (sock, raw) = open_socket()?;
    if !raw {
        want_ttl(&sock);
    }
    let id = (std::process::id() & 0xffff) as u16;
    let w = |out: &mut dyn Write, s: &str| out.write_all(s.as_bytes()).map_err(PingError::Write);
    w(
        out,
        &format!(
            "PING {} ({dest}) {}({}) bytes of data.\n",
            o.host,
            o.size,
            o.size + 28
        ),
    )?;
    catch_sigint();
    let start = Instant::now();
    let mut stats = Stats::default();
    let mut sent_at: Vec<Instant> = Vec::new();
    let mut next_send = start;
    let mut last_send: Option<Instant> = None;
    loop {
        if INTERRUPTED.load(Ordering::SeqCst) {
            break;
        }
        let now = Instant::now();
        let done_sending = o.count.is_some_and(|c| stats.sent >= c);
        if done_sending
            && (stats.received >= stats.sent || last_send.is_some_and(|t| now >= t + o.wait))
        {
            break;
        }
        if !done_sending && now >= next_send {
            let seq = (stats.sent + 1) as u16;
            let packet = echo_request(id, seq, o.size);
            send_to(&sock, &packet, dest).map_err(PingError::Send)?;
            stats.sent += 1;
            sent_at.push(now);
            last_send = Some(now);
            next_send = now + o.interval;
            continue;
        }
        let until = if done_sending {
            last_send.map_or(now, |t| t + o.wait)
        } else {
            next_send
        };
        let ms =
            u16::try_from(until.saturating_duration_since(now).as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(sock.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => return Err(PingError::Recv(e.into())),
        }
        let Some((reply, from, ttl)) = receive(&sock, raw)? else {
            continue;
        };
        // Raw sockets see every echo reply on the host; datagram sockets only ours.
        if (raw && reply.id != id) || from != dest {
            continue;
        }
        let Some(t0) = sent_at.get(usize::from(reply.seq).wrapping_sub(1)) else {
            continue;
        };
        let rtt = t0.elapsed().as_secs_f64() * 1000.0;
        stats.received += 1;
        stats.rtts.push(rtt);
        w(out, &reply_line(from, &reply, ttl, rtt))?;
    }
    w(out, &stats.summary(&o.host, start.elapsed()))?;
    Ok(if stats.received > 0 { 0 } else { 1 })
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let stdout = io::stdout();
    let code = execute(&o, &mut stdout.lock())?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Options, UsageError> {
        let mut args = vec![OsString::from("ping")];
        args.extend(line.split_whitespace().map(OsString::from));
        Options::parse(args)
    }

    #[test]
    fn parse_table() {
        let o = parse("-c 3 -W 2 -i 0.2 10.0.2.2").expect("parses");
        assert_eq!(o.count, Some(3));
        assert_eq!(o.wait, Duration::from_secs(2));
        assert_eq!(o.interval, Duration::from_millis(200));
        assert_eq!(o.host, "10.0.2.2");
        let cases = [
            ("", "missing HOST"),
            ("-c 0 h", "invalid -c '0'"),
            ("-c", "invalid -c ''"),
            ("-i x h", "invalid -i 'x'"),
            ("-W -1 h", "invalid -W '-1'"),
            ("-q h", "invalid option '-q'"),
            ("a b", "too many arguments"),
            ("-s 70000 h", "invalid -s '70000'"),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line).expect_err(line).0, want, "{line}");
        }
    }

    #[test]
    fn checksum_matches_rfc1071_example() {
        // RFC 1071 §3 example bytes: 00 01 f2 03 f4 f5 f6 f7 → sum ddf2, checksum 220d.
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
        // A packet with its checksum in place sums to zero.
        let p = echo_request(0x1234, 7, 56);
        assert_eq!(checksum(&p), 0);
        assert_eq!(p.len(), 64);
        assert_eq!(&p[..2], &[8, 0]);
        // Odd length.
        assert_eq!(checksum(&echo_request(1, 1, 3)), 0);
    }

    #[test]
    fn replies_are_parsed() {
        let mut reply = echo_request(0x1234, 7, 56);
        reply[0] = 0;
        let want = EchoReply {
            id: 0x1234,
            seq: 7,
            len: 64,
            ttl: None,
        };
        assert_eq!(parse_echo_reply(&reply, false), Some(want.clone()));
        let mut ip = vec![
            0x45, 0, 0, 84, 0, 0, 0, 0, 63, 1, 0, 0, 10, 0, 2, 2, 10, 0, 2, 15,
        ];
        ip.extend_from_slice(&reply);
        assert_eq!(
            parse_echo_reply(&ip, true),
            Some(EchoReply {
                ttl: Some(63),
                ..want
            })
        );
        let request = echo_request(1, 1, 8);
        let cases: [(&[u8], bool); 5] = [
            (&request, false), // an echo request, not a reply
            (&reply[..7], false),
            (&[], false),
            (&ip[..20], true),
            (&[0x65, 0, 0, 0], true), // IPv6 version nibble
        ];
        for (buf, raw) in cases {
            assert_eq!(parse_echo_reply(buf, raw), None, "{buf:?}");
        }
    }

    #[test]
    fn output_like_iputils() {
        let r = EchoReply {
            id: 1,
            seq: 1,
            len: 64,
            ttl: None,
        };
        assert_eq!(
            reply_line(Ipv4Addr::new(10, 0, 2, 2), &r, Some(255), 0.5123),
            "64 bytes from 10.0.2.2: icmp_seq=1 ttl=255 time=0.512 ms\n"
        );
        assert_eq!(
            reply_line(Ipv4Addr::new(10, 0, 2, 2), &r, None, 12.34),
            "64 bytes from 10.0.2.2: icmp_seq=1 time=12.3 ms\n"
        );
        let s = Stats {
            sent: 3,
            received: 2,
            rtts: vec![1.0, 3.0],
        };
        assert_eq!(
            s.summary("10.0.2.2", Duration::from_millis(2003)),
            "\n--- 10.0.2.2 ping statistics ---\n3 packets transmitted, 2 received, 33% packet loss, time 2003ms\nrtt min/avg/max/mdev = 1.000/2.000/3.000/1.000 ms\n"
        );
        let none = Stats {
            sent: 2,
            ..Default::default()
        };
        assert!(none
            .summary("h", Duration::ZERO)
            .ends_with("2 packets transmitted, 0 received, 100% packet loss, time 0ms\n"));
    }
}
