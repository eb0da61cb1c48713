//! dhclient, ip and ping against a real DHCP server (dnsmasq) in network namespaces the tests make
//! themselves (tests/net/netns.sh): a server namespace and a client namespace joined by a veth
//! pair on a test subnet that exists nowhere else. Root only; skipped loudly otherwise. Every
//! namespace and every process started here is removed when the test ends, pass or fail.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const RBOX: &str = env!("CARGO_BIN_EXE_rbox");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn root_or_skip(test: &str) -> bool {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("SKIPPED {test}: needs root for network namespaces");
        return false;
    }
    let check = Command::new(repo().join("tests/net/netns.sh"))
        .arg("check")
        .output()
        .expect("run netns.sh");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    true
}

/// A server/client namespace pair with dnsmasq (if started), torn down on drop.
struct Lab {
    name: String,
    prefix: String,
    dir: tempfile::TempDir,
    dnsmasq: Option<Child>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Lab {
    fn new(prefix: &str) -> Lab {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("rroot-t-{}-{n}", std::process::id());
        let lab = Lab {
            name,
            prefix: prefix.to_string(),
            dir: tempfile::tempdir().expect("tempdir"),
            dnsmasq: None,
        };
        let out = Command::new(repo().join("tests/net/netns.sh"))
            .args(["up", &lab.name, prefix])
            .output()
            .expect("netns.sh up");
        assert!(
            out.status.success(),
            "netns.sh up: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for applet in ["dhclient", "ip", "ping"] {
            std::os::unix::fs::symlink(RBOX, lab.dir.path().join(applet)).expect("symlink");
        }
        lab
    }

    fn addr(&self, host: u8) -> String {
        format!("{}.{host}", self.prefix)
    }

    /// Starts dnsmasq in the server namespace on the range .50–.99 (or `range`), with `extra`.
    fn start_dnsmasq(&mut self, range: (u8, u8), extra: &[&str]) {
        self.stop_dnsmasq();
        let log = fs::File::create(self.dir.path().join("dnsmasq.log")).expect("log");
        let leases = self.dir.path().join(format!("leases.{}", range.0));
        let child = Command::new("ip")
            .args(["netns", "exec", &format!("{}-s", self.name), "dnsmasq"])
            .args([
                "--no-daemon",
                "--port=0",
                "--conf-file=/dev/null",
                "--interface=veth0",
                "--bind-interfaces",
                // dnsmasq pings a new address for 3 s before offering it; not needed here.
                "--no-ping",
            ])
            .arg(format!("--dhcp-leasefile={}", leases.display()))
            .arg(format!(
                "--dhcp-range={},{},255.255.255.0,2m",
                self.addr(range.0),
                self.addr(range.1)
            ))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start dnsmasq");
        self.dnsmasq = Some(child);
        // dnsmasq logs "DHCP, sockets bound" once it listens; wait for that line, bounded.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.server_log().contains("sockets bound") {
            assert!(
                Instant::now() < deadline,
                "dnsmasq did not start: {}",
                self.server_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop_dnsmasq(&mut self) {
        if let Some(mut c) = self.dnsmasq.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn server_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("dnsmasq.log")).unwrap_or_default()
    }

    /// Runs an applet from the tempdir's symlinks in the client namespace.
    fn client(&self, applet: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &format!("{}-c", self.name)])
            .arg(self.dir.path().join(applet))
            .args(args);
        c
    }

    fn run(&self, applet: &str, args: &[&str]) -> Output {
        self.client(applet, args).output().expect("run applet")
    }

    fn stdout(&self, applet: &str, args: &[&str]) -> String {
        let out = self.run(applet, args);
        assert!(
            out.status.success(),
            "{applet} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn leases(&self) -> String {
        self.dir.path().join("leases").display().to_string()
    }

    fn resolv_conf(&self) -> String {
        fs::read_to_string(format!("/etc/netns/{}-c/resolv.conf", self.name)).unwrap_or_default()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.stop_dnsmasq();
        let _ = Command::new(repo().join("tests/net/netns.sh"))
            .args(["down", &self.name])
            .status();
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn one_shot_lease_configures_address_route_dns() {
    if !root_or_skip("one_shot_lease_configures_address_route_dns") {
        return;
    }
    let mut lab = Lab::new("10.213.1");
    lab.start_dnsmasq(
        (50, 99),
        &[
            "--dhcp-option=option:dns-server,10.213.1.1",
            "--dhcp-option=option:domain-name,lab.test",
            "--dhcp-option=option:domain-search,a.lab.test,b.lab.test",
        ],
    );
    let started = Instant::now();
    let out = lab.run("dhclient", &["-1", "-v", "-L", &lab.leases(), "eth0"]);
    assert!(out.status.success(), "dhclient: {}", text(&out.stderr));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );

    let addrs = lab.stdout("ip", &["-4", "addr", "show", "dev", "eth0"]);
    let line = addrs
        .lines()
        .find(|l| l.trim_start().starts_with("inet 10.213.1."))
        .unwrap_or_else(|| panic!("no lease address in:\n{addrs}"));
    assert!(
        line.contains("/24 brd 10.213.1.255 scope global eth0"),
        "{line}"
    );
    let routes = lab.stdout("ip", &["route"]);
    assert!(
        routes.contains("default via 10.213.1.1 dev eth0 proto dhcp\n"),
        "{routes}"
    );
    assert!(
        routes.contains("10.213.1.0/24 dev eth0 proto kernel scope link src 10.213.1."),
        "{routes}"
    );

    let resolv = lab.resolv_conf();
    assert!(resolv.contains("nameserver 10.213.1.1\n"), "{resolv}");
    assert!(
        resolv.contains("search a.lab.test b.lab.test\n"),
        "{resolv}"
    );
    let lease = fs::read_to_string(lab.dir.path().join("leases/eth0.lease")).expect("lease file");
    assert!(lease.contains("server=10.213.1.1\n"), "{lease}");
    assert!(lease.contains("lease_time=120\n"), "{lease}");

    // The peer answers pings on the new address.
    let ping = lab.run("ping", &["-c", "1", "-W", "2", "10.213.1.1"]);
    assert!(
        ping.status.success(),
        "ping: {}{}",
        text(&ping.stdout),
        text(&ping.stderr)
    );
    assert!(text(&ping.stdout).contains("1 packets transmitted, 1 received, 0% packet loss"));

    // Release gives the address back and removes it.
    let out = lab.run("dhclient", &["-r", "-L", &lab.leases(), "eth0"]);
    assert!(out.status.success(), "dhclient -r: {}", text(&out.stderr));
    assert!(!lab.stdout("ip", &["-4", "addr"]).contains("10.213.1."));
    assert!(!lab.dir.path().join("leases/eth0.lease").exists());
    let deadline = Instant::now() + Duration::from_secs(5);
    while !lab.server_log().contains("DHCPRELEASE") {
        assert!(
            Instant::now() < deadline,
            "no release seen: {}",
            lab.server_log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn classless_routes_win_over_router_and_mtu_applies() {
    if !root_or_skip("classless_routes_win_over_router_and_mtu_applies") {
        return;
    }
    let mut lab = Lab::new("10.213.2");
    lab.start_dnsmasq(
        (50, 99),
        &[
            "--dhcp-option=option:mtu,1400",
            "--dhcp-option=121,10.99.0.0/16,10.213.2.254,0.0.0.0/0,10.213.2.253",
        ],
    );
    let out = lab.run("dhclient", &["-1", "-L", &lab.leases()]);
    assert!(out.status.success(), "dhclient: {}", text(&out.stderr));
    let routes = lab.stdout("ip", &["r"]);
    assert!(
        routes.contains("default via 10.213.2.253 dev eth0 proto dhcp\n"),
        "{routes}"
    );
    assert!(
        routes.contains("10.99.0.0/16 via 10.213.2.254 dev eth0 proto dhcp\n"),
        "{routes}"
    );
    assert!(
        !routes.contains("via 10.213.2.1 "),
        "option 3 must be ignored: {routes}"
    );
    let link = lab.stdout("ip", &["link", "show", "eth0"]);
    assert!(link.contains(" mtu 1400 "), "{link}");
    let brief = lab.stdout("ip", &["-br", "-4", "a"]);
    assert!(
        brief
            .lines()
            .any(|l| l.starts_with("eth0             UP             10.213.2.")),
        "{brief}"
    );
}

#[test]
fn dry_run_prints_the_lease_and_configures_nothing() {
    if !root_or_skip("dry_run_prints_the_lease_and_configures_nothing") {
        return;
    }
    let mut lab = Lab::new("10.213.3");
    lab.start_dnsmasq((60, 60), &[]);
    let out = lab.run("dhclient", &["-1", "-n", "-L", &lab.leases(), "eth0"]);
    assert!(out.status.success(), "dhclient -n: {}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(
        printed.contains("interface=eth0\naddress=10.213.3.60/24\n"),
        "{printed}"
    );
    assert!(printed.contains("routers=10.213.3.1\n"), "{printed}");
    assert!(!lab.stdout("ip", &["-4", "a"]).contains("10.213.3.60"));
    assert!(!lab.stdout("ip", &["r"]).contains("default"));
    assert!(!lab.dir.path().join("leases/eth0.lease").exists());
}

#[test]
fn no_server_times_out() {
    if !root_or_skip("no_server_times_out") {
        return;
    }
    let lab = Lab::new("10.213.4");
    let started = Instant::now();
    let out = lab.run(
        "dhclient",
        &["-1", "-timeout", "2", "-L", &lab.leases(), "eth0"],
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "dhclient: eth0: no lease after 2 s\n");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(4),
        "{took:?}"
    );
}

/// Daemon mode with T1 = 2 s: the lease is renewed (unicast REQUEST, ACK). Then the server comes
/// back authoritative with another range: the next renewal is refused (NAK), the address goes and
/// a new lease from the new range replaces it.
#[test]
fn daemon_renews_then_recovers_from_nak() {
    if !root_or_skip("daemon_renews_then_recovers_from_nak") {
        return;
    }
    let mut lab = Lab::new("10.213.5");
    let timers = ["--dhcp-option=option:T1,2", "--dhcp-option=option:T2,4"];
    lab.start_dnsmasq((50, 99), &timers);
    let log_path = lab.dir.path().join("client.log");
    let mut client = lab
        .client("dhclient", &["-d", "-v", "-L", &lab.leases(), "eth0"])
        .stdout(Stdio::null())
        .stderr(fs::File::create(&log_path).expect("client log"))
        .spawn()
        .expect("start dhclient -d");
    let wait_for = |what: &str, count: usize, secs: u64| {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let log = fs::read_to_string(&log_path).unwrap_or_default();
            if log.matches(what).count() >= count {
                return log;
            }
            if Instant::now() > deadline {
                return format!("TIMEOUT waiting for {count}× {what:?}:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    // Bound, then renewed at T1.
    let log = wait_for("received ACK", 2, 20);
    let renewed = log.contains("send Extend") && !log.starts_with("TIMEOUT");
    let mut new_addr = String::new();
    if renewed {
        lab.start_dnsmasq((150, 199), &[timers[0], timers[1], "--dhcp-authoritative"]);
        let log = wait_for("received NAK", 1, 10);
        if !log.starts_with("TIMEOUT") {
            wait_for("received ACK of 10.213.5.1", 1, 10);
            new_addr = lab.stdout("ip", &["-4", "-br", "a", "show", "dev", "eth0"]);
        }
    }
    let _ = client.kill();
    let _ = client.wait();
    let log = fs::read_to_string(&log_path).unwrap_or_default();
    assert!(renewed, "no renewal:\n{log}\nserver:\n{}", lab.server_log());
    assert!(
        log.contains("server refused the request: address not available"),
        "{log}"
    );
    assert!(log.contains("lease of 10.213.5."), "{log}");
    let addrs: Vec<&str> = new_addr.split_whitespace().skip(2).collect();
    assert_eq!(addrs.len(), 1, "exactly the new address: {new_addr}");
    let host: u8 = addrs[0]
        .trim_start_matches("10.213.5.")
        .trim_end_matches("/24")
        .parse()
        .expect("address in the subnet");
    assert!((150..=199).contains(&host), "{new_addr}");
}

#[test]
fn ip_applet_changes_links_addresses_routes() {
    if !root_or_skip("ip_applet_changes_links_addresses_routes") {
        return;
    }
    let lab = Lab::new("10.213.6");
    let ok = |args: &[&str]| {
        let out = lab.run("ip", args);
        assert!(out.status.success(), "ip {args:?}: {}", text(&out.stderr));
    };
    ok(&["link", "set", "eth0", "up", "mtu", "1300"]);
    ok(&["addr", "add", "10.213.6.7/24", "dev", "eth0"]);
    ok(&["route", "add", "10.77.0.0/16", "via", "10.213.6.1"]);
    ok(&[
        "route",
        "add",
        "default",
        "via",
        "10.213.6.1",
        "dev",
        "eth0",
    ]);
    let link = lab.stdout("ip", &["l", "show", "eth0"]);
    assert!(
        link.contains("eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1300"),
        "{link}"
    );
    assert!(lab
        .stdout("ip", &["a"])
        .contains("    inet 10.213.6.7/24 brd 10.213.6.255 scope global eth0\n"));
    let routes = lab.stdout("ip", &["route", "show"]);
    assert!(
        routes.contains("default via 10.213.6.1 dev eth0\n"),
        "{routes}"
    );
    assert!(
        routes.contains("10.77.0.0/16 via 10.213.6.1 dev eth0\n"),
        "{routes}"
    );

    // iproute2 sees the same thing.
    let sys = Command::new("ip")
        .args(["-n", &format!("{}-c", lab.name), "route"])
        .output()
        .expect("ip");
    assert!(text(&sys.stdout).contains("10.77.0.0/16 via 10.213.6.1 dev eth0"));

    // Errors are one line with exit status 1 (2 for usage).
    let dup = lab.run("ip", &["addr", "add", "10.213.6.7/24", "dev", "eth0"]);
    assert_eq!(dup.status.code(), Some(1));
    assert_eq!(
        text(&dup.stderr),
        "ip: add address 10.213.6.7/24: File exists\n"
    );
    let missing = lab.run("ip", &["link", "set", "eth9", "up"]);
    assert_eq!(text(&missing.stderr), "ip: eth9: no such device\n");
    assert_eq!(lab.run("ip", &["bogus"]).status.code(), Some(2));

    ok(&["route", "del", "10.77.0.0/16"]);
    ok(&["route", "del", "default"]);
    ok(&["addr", "del", "10.213.6.7/24", "dev", "eth0"]);
    ok(&["link", "set", "eth0", "down"]);
    assert_eq!(lab.stdout("ip", &["-4", "route"]), "");
    assert!(lab
        .stdout("ip", &["-br", "link", "show", "eth0"])
        .starts_with("eth0             DOWN"));
}
