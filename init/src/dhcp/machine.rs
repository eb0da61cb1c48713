//! The DHCP client state machine of RFC 2131 §4.4 (figure 5), without sockets or clocks: it is fed
//! replies and timer expiries with the current time, and answers with actions. Time is a
//! `Duration` since any fixed origin; randomness (transaction ids, retransmission jitter) comes
//! from an injected `Rng`, so tests drive it deterministically.

use std::net::Ipv4Addr;
use std::time::Duration;

use super::lease::{Lease, INFINITE};
use super::packet::{Outgoing, Reply};

/// Client states (RFC 2131 figure 5; INIT-REBOOT and REBOOTING are not used).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Init,
    Selecting,
    Requesting,
    Bound,
    Renewing,
    Rebinding,
}

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    Broadcast,
    Unicast(Ipv4Addr),
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Send {
        msg: Outgoing,
        xid: u32,
        secs: u16,
        to: Dest,
    },
    /// Configure this lease (new, or renewed: the same address with fresh timers).
    Bind(Lease),
    /// The lease is gone (expired or refused); remove its address before starting over.
    Unbind(Lease),
    /// The server refused the request; informational.
    Nak { message: Option<String> },
}

/// A source of random numbers (xids, jitter).
pub trait Rng {
    fn next_u32(&mut self) -> u32;
}

/// xorshift32, seeded from the kernel's random pool: enough for xids and jitter.
pub struct XorShift(u32);

impl XorShift {
    pub fn new(seed: u32) -> XorShift {
        XorShift(seed.max(1))
    }

    /// Seeded from getrandom(2), falling back to the time.
    pub fn from_entropy() -> XorShift {
        let mut b = [0u8; 4];
        if std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
            .is_err()
        {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            b = (t.subsec_nanos() ^ std::process::id()).to_le_bytes();
        }
        XorShift::new(u32::from_le_bytes(b))
    }
}

impl Rng for XorShift {
    fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// First retransmission delay and the ceiling (RFC 2131 §4.1: 4 s doubling up to 64 s, ±1 s).
const FIRST_DELAY: Duration = Duration::from_secs(4);
const MAX_DELAY: Duration = Duration::from_secs(64);
/// REQUESTs sent without an answer before going back to DISCOVER (RFC 2131 §3.1 step 5).
const MAX_REQUESTS: u32 = 4;
/// Minimum retransmission interval while renewing or rebinding (RFC 2131 §4.4.5).
const MIN_RENEW_RETRY: Duration = Duration::from_secs(60);

pub struct Machine<R: Rng> {
    state: State,
    rng: R,
    xid: u32,
    /// When the current exchange started (for the `secs` field).
    exchange_start: Duration,
    attempt: u32,
    /// Next timer; `None` when nothing is pending (an infinite lease).
    deadline: Option<Duration>,
    offer: Option<Lease>,
    lease: Option<Lease>,
    bound_at: Duration,
}

impl<R: Rng> Machine<R> {
    pub fn new(rng: R) -> Machine<R> {
        Machine {
            state: State::Init,
            rng,
            xid: 0,
            exchange_start: Duration::ZERO,
            attempt: 0,
            deadline: None,
            offer: None,
            lease: None,
            bound_at: Duration::ZERO,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }
    pub fn xid(&self) -> u32 {
        self.xid
    }
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }
    /// The lease in force (BOUND, RENEWING, REBINDING).
    pub fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    /// INIT → SELECTING: broadcast a DISCOVER.
    pub fn start(&mut self, now: Duration) -> Vec<Action> {
        self.state = State::Selecting;
        self.xid = self.rng.next_u32();
        self.exchange_start = now;
        self.attempt = 0;
        self.offer = None;
        self.deadline = Some(now + self.backoff());
        vec![self.send(Outgoing::Discover, Dest::Broadcast, now)]
    }

    /// RFC 2131 §4.1: the n-th retransmission waits 4·2ⁿ s (at most 64 s), randomized by ±1 s.
    fn backoff(&mut self) -> Duration {
        let base = FIRST_DELAY
            .checked_mul(1u32 << self.attempt.min(6))
            .unwrap_or(MAX_DELAY)
            .min(MAX_DELAY);
        let jitter_ms = u64::from(self.rng.next_u32() % 2001);
        // base ± 1 s: add the jitter, then take the second back off.
        (base + Duration::from_millis(jitter_ms)).saturating_sub(Duration::from_secs(1))
    }

    fn send(&self, msg: Outgoing, to: Dest, now: Duration) -> Action {
        let secs = now.saturating_sub(self.exchange_start).as_secs();
        Action::Send {
            msg,
            xid: self.xid,
            secs: u16::try_from(secs).unwrap_or(u16::MAX),
            to,
        }
    }

    /// A validated reply for the current transaction.
    pub fn on_reply(&mut self, reply: Reply, now: Duration) -> Vec<Action> {
        match (self.state, reply) {
            (State::Selecting, Reply::Offer(offer)) => {
                // Take the first offer (RFC 2131 §4.4.1 lets the client choose).
                let (Some(server), requested) = (offer.server, offer.address) else {
                    return Vec::new();
                };
                self.state = State::Requesting;
                self.offer = Some(offer);
                self.attempt = 0;
                self.deadline = Some(now + self.backoff());
                vec![self.send(Outgoing::Select { requested, server }, Dest::Broadcast, now)]
            }
            (State::Requesting | State::Renewing | State::Rebinding, Reply::Ack(lease)) => {
                self.bind(lease, now)
            }
            (
                State::Requesting | State::Renewing | State::Rebinding,
                Reply::Nak { message, .. },
            ) => {
                // RFC 2131 §4.4.4/§4.4.5: on DHCPNAK stop using the address and restart at INIT.
                let mut actions = vec![Action::Nak { message }];
                if let Some(old) = self.lease.take() {
                    actions.push(Action::Unbind(old));
                }
                actions.extend(self.start(now));
                actions
            }
            // Late offers, duplicate acks, NAKs while selecting: nothing to do.
            _ => Vec::new(),
        }
    }

    fn bind(&mut self, lease: Lease, now: Duration) -> Vec<Action> {
        self.state = State::Bound;
        self.offer = None;
        self.bound_at = now;
        self.attempt = 0;
        self.deadline = (lease.lease_time != INFINITE).then(|| now + lease.t1_after());
        self.lease = Some(lease.clone());
        vec![Action::Bind(lease)]
    }

    /// The timer fired (`now` ≥ `deadline`): retransmit, or move on to RENEWING, REBINDING, INIT.
    pub fn on_timer(&mut self, now: Duration) -> Vec<Action> {
        if self.deadline.is_none_or(|d| now < d) {
            return Vec::new();
        }
        match self.state {
            State::Init => self.start(now),
            State::Selecting => {
                self.attempt += 1;
                self.deadline = Some(now + self.backoff());
                vec![self.send(Outgoing::Discover, Dest::Broadcast, now)]
            }
            State::Requesting => {
                self.attempt += 1;
                let offer = self
                    .offer
                    .as_ref()
                    .and_then(|o| Some((o.address, o.server?)));
                match offer {
                    Some((requested, server)) if self.attempt < MAX_REQUESTS => {
                        self.deadline = Some(now + self.backoff());
                        vec![self.send(
                            Outgoing::Select { requested, server },
                            Dest::Broadcast,
                            now,
                        )]
                    }
                    _ => self.start(now),
                }
            }
            State::Bound | State::Renewing | State::Rebinding => self.lease_timer(now),
        }
    }

    /// T1, T2 and expiry (RFC 2131 §4.4.5).
    fn lease_timer(&mut self, now: Duration) -> Vec<Action> {
        let Some(lease) = self.lease.clone() else {
            return self.start(now);
        };
        let t2 = self.bound_at + lease.t2_after();
        let expiry = self.bound_at + lease.expires_after();
        if now >= expiry {
            self.lease = None;
            let mut actions = vec![Action::Unbind(lease)];
            actions.extend(self.start(now));
            return actions;
        }
        let (state, to, until) = if now >= t2 {
            (State::Rebinding, Dest::Broadcast, expiry)
        } else {
            let server = lease.server.map_or(Dest::Broadcast, Dest::Unicast);
            (State::Renewing, server, t2)
        };
        if self.state != state {
            // A new exchange for each phase.
            self.xid = self.rng.next_u32();
            self.exchange_start = now;
        }
        self.state = state;
        // Retry after half the time left until the next phase, but no sooner than 60 s,
        // and never past that phase's start.
        let half = Duration::from_secs(until.saturating_sub(now).as_secs() / 2);
        self.deadline = Some((now + half.max(MIN_RENEW_RETRY)).min(until));
        vec![self.send(
            Outgoing::Extend {
                ciaddr: lease.address,
            },
            to,
            now,
        )]
    }

    /// DHCPRELEASE for the current lease, if any; the machine returns to INIT.
    pub fn release(&mut self) -> Option<(Action, Lease)> {
        let lease = self.lease.take()?;
        let server = lease.server?;
        self.state = State::Init;
        self.deadline = None;
        self.xid = self.rng.next_u32();
        Some((
            Action::Send {
                msg: Outgoing::Release {
                    ciaddr: lease.address,
                    server,
                },
                xid: self.xid,
                secs: 0,
                to: Dest::Unicast(server),
            },
            lease,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A "random" source returning a fixed sequence, cycled.
    struct Fixed(Vec<u32>, usize);
    impl Rng for Fixed {
        fn next_u32(&mut self) -> u32 {
            let v = self.0[self.1 % self.0.len()];
            self.1 += 1;
            v
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn lease(time: u32) -> Lease {
        let mut l = Lease::new("eth0", Ipv4Addr::new(10, 0, 2, 15), 24);
        l.server = Some(Ipv4Addr::new(10, 0, 2, 2));
        l.lease_time = time;
        l.normalize_timers(None, None);
        l
    }

    fn sent(actions: &[Action]) -> Vec<(Outgoing, Dest)> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Send { msg, to, .. } => Some((msg.clone(), *to)),
                _ => None,
            })
            .collect()
    }

    /// Jitter 1000 of 2001 is exactly zero offset.
    fn no_jitter() -> Fixed {
        Fixed(vec![1000], 0)
    }

    #[test]
    fn discover_offer_request_ack() {
        let mut m = Machine::new(no_jitter());
        let a = m.start(secs(0));
        assert_eq!(sent(&a), vec![(Outgoing::Discover, Dest::Broadcast)]);
        assert_eq!(m.state(), State::Selecting);
        let a = m.on_reply(Reply::Offer(lease(3600)), secs(1));
        assert_eq!(
            sent(&a),
            vec![(
                Outgoing::Select {
                    requested: Ipv4Addr::new(10, 0, 2, 15),
                    server: Ipv4Addr::new(10, 0, 2, 2)
                },
                Dest::Broadcast
            )]
        );
        assert!(matches!(a[0], Action::Send { secs: 1, .. }));
        assert_eq!(m.state(), State::Requesting);
        let a = m.on_reply(Reply::Ack(lease(3600)), secs(2));
        assert_eq!(a, vec![Action::Bind(lease(3600))]);
        assert_eq!(m.state(), State::Bound);
        assert_eq!(m.deadline(), Some(secs(2 + 1800)));
    }

    #[test]
    fn retransmission_backs_off_exponentially_with_jitter() {
        // No jitter: 4, 8, 16, 32, 64, 64.
        let mut m = Machine::new(no_jitter());
        m.start(secs(0));
        let mut now = secs(0);
        let mut gaps = Vec::new();
        for _ in 0..6 {
            let d = m.deadline().expect("timer");
            gaps.push((d - now).as_secs());
            now = d;
            let a = m.on_timer(now);
            assert_eq!(sent(&a), vec![(Outgoing::Discover, Dest::Broadcast)]);
        }
        assert_eq!(gaps, vec![4, 8, 16, 32, 64, 64]);

        // Jitter spans −1 s (0) to +1 s (2000).
        for (r, want_ms) in [(0, 3000), (2000, 5000), (1500, 4500)] {
            let mut m = Machine::new(Fixed(vec![r], 0));
            m.start(secs(0));
            assert_eq!(
                m.deadline(),
                Some(Duration::from_millis(want_ms)),
                "rng {r}"
            );
        }

        // An early timer call does nothing.
        let mut m = Machine::new(no_jitter());
        m.start(secs(0));
        assert!(m.on_timer(secs(1)).is_empty());
    }

    #[test]
    fn unanswered_requests_restart_discovery() {
        // Every value is 1000 mod 2001 (no jitter) but xids differ.
        let mut m = Machine::new(Fixed(vec![1000, 3001, 5002, 7003], 0));
        m.start(secs(0));
        m.on_reply(Reply::Offer(lease(3600)), secs(0));
        let first_xid = m.xid();
        let mut kinds = Vec::new();
        for _ in 0..MAX_REQUESTS {
            let d = m.deadline().expect("timer");
            kinds.extend(sent(&m.on_timer(d)).into_iter().map(|(o, _)| o));
        }
        assert!(
            matches!(kinds.last(), Some(Outgoing::Discover)),
            "{kinds:?}"
        );
        assert_eq!(m.state(), State::Selecting);
        assert_ne!(m.xid(), first_xid);
    }

    #[test]
    fn renew_at_t1_rebind_at_t2_expire_at_end() {
        let mut m = Machine::new(no_jitter());
        m.start(secs(0));
        m.on_reply(Reply::Offer(lease(1000)), secs(0));
        m.on_reply(Reply::Ack(lease(1000)), secs(0));
        // T1 = 500: unicast renew to the server; retry after half the time to T2 (875): 187 s.
        let a = m.on_timer(secs(500));
        assert_eq!(m.state(), State::Renewing);
        assert_eq!(
            sent(&a),
            vec![(
                Outgoing::Extend {
                    ciaddr: Ipv4Addr::new(10, 0, 2, 15)
                },
                Dest::Unicast(Ipv4Addr::new(10, 0, 2, 2))
            )]
        );
        assert_eq!(m.deadline(), Some(secs(500 + 187)));
        // Retries get closer to T2 but never under 60 s and never past T2.
        m.on_timer(secs(687));
        assert_eq!(m.deadline(), Some(secs(687 + 94)));
        m.on_timer(secs(781));
        assert_eq!(m.deadline(), Some(secs(841)));
        m.on_timer(secs(841));
        assert_eq!(m.deadline(), Some(secs(875)));
        // T2: broadcast rebind.
        let a = m.on_timer(secs(875));
        assert_eq!(m.state(), State::Rebinding);
        assert_eq!(sent(&a)[0].1, Dest::Broadcast);
        assert_eq!(m.deadline(), Some(secs(875 + 62)));
        m.on_timer(secs(937));
        assert_eq!(m.deadline(), Some(secs(997)));
        m.on_timer(secs(997));
        assert_eq!(m.deadline(), Some(secs(1000)));
        // Expiry: unbind and start over.
        let a = m.on_timer(secs(1000));
        assert_eq!(a[0], Action::Unbind(lease(1000)));
        assert_eq!(sent(&a), vec![(Outgoing::Discover, Dest::Broadcast)]);
        assert_eq!(m.state(), State::Selecting);
        assert!(m.lease().is_none());
    }

    #[test]
    fn ack_while_renewing_rebinds_timers() {
        let mut m = Machine::new(no_jitter());
        m.start(secs(0));
        m.on_reply(Reply::Offer(lease(1000)), secs(0));
        m.on_reply(Reply::Ack(lease(1000)), secs(0));
        m.on_timer(secs(500));
        let a = m.on_reply(Reply::Ack(lease(1000)), secs(510));
        assert_eq!(a, vec![Action::Bind(lease(1000))]);
        assert_eq!(m.state(), State::Bound);
        assert_eq!(m.deadline(), Some(secs(1010)));
    }

    #[test]
    fn nak_restarts_and_drops_the_address() {
        let nak = || Reply::Nak {
            server: None,
            message: Some("no".into()),
        };
        // While requesting: nothing bound yet, straight back to DISCOVER.
        let mut m = Machine::new(no_jitter());
        m.start(secs(0));
        m.on_reply(Reply::Offer(lease(1000)), secs(0));
        let a = m.on_reply(nak(), secs(1));
        assert_eq!(
            a[0],
            Action::Nak {
                message: Some("no".into())
            }
        );
        assert_eq!(sent(&a), vec![(Outgoing::Discover, Dest::Broadcast)]);
        assert_eq!(m.state(), State::Selecting);
        // While renewing: the address goes.
        m.on_reply(Reply::Offer(lease(1000)), secs(2));
        m.on_reply(Reply::Ack(lease(1000)), secs(2));
        m.on_timer(secs(502));
        let a = m.on_reply(nak(), secs(503));
        assert_eq!(a[1], Action::Unbind(lease(1000)));
        assert_eq!(m.state(), State::Selecting);
        // A NAK while selecting is not for us to act on.
        assert!(m.on_reply(nak(), secs(504)).is_empty());
    }

    #[test]
    fn stray_replies_do_nothing() {
        let mut m = Machine::new(no_jitter());
        m.start(secs(0));
        assert!(m.on_reply(Reply::Ack(lease(100)), secs(0)).is_empty());
        m.on_reply(Reply::Offer(lease(100)), secs(0));
        assert!(m.on_reply(Reply::Offer(lease(100)), secs(0)).is_empty());
        let mut no_server = lease(100);
        no_server.server = None;
        let mut m = Machine::new(no_jitter());
        m.start(secs(0));
        assert!(m.on_reply(Reply::Offer(no_server), secs(0)).is_empty());
    }

    #[test]
    fn infinite_lease_has_no_timer_and_release_works() {
        let mut m = Machine::new(no_jitter());
        m.start(secs(0));
        m.on_reply(Reply::Offer(lease(INFINITE)), secs(0));
        m.on_reply(Reply::Ack(lease(INFINITE)), secs(0));
        assert_eq!(m.deadline(), None);
        assert!(m.on_timer(secs(1 << 40)).is_empty());
        let (action, l) = m.release().expect("bound");
        assert_eq!(l, lease(INFINITE));
        assert_eq!(
            sent(&[action]),
            vec![(
                Outgoing::Release {
                    ciaddr: Ipv4Addr::new(10, 0, 2, 15),
                    server: Ipv4Addr::new(10, 0, 2, 2)
                },
                Dest::Unicast(Ipv4Addr::new(10, 0, 2, 2))
            )]
        );
        assert_eq!(m.state(), State::Init);
        assert!(m.release().is_none());
    }

    #[test]
    fn xorshift_is_not_constant() {
        let mut r = XorShift::new(0);
        let a = r.next_u32();
        assert_ne!(a, r.next_u32());
    }
}
