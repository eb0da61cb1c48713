//! Issue 3 end to end, with issue 4's acceptance test: `rroot disk` turns the nginx fixture image
//! into an ext4 disk, Debian's stock kernel boots it with an initramfs carrying its modules
//! (`rroot initramfs --kernel-modules`), init runs the image's entrypoint chrooted at `/mnt`
//! beside the console shell, the host reaches nginx through QEMU's `hostfwd`, and `poweroff`
//! leaves a clean file system.
//!
//! The image comes in all three ways `rroot disk` reads it: from a registry on loopback (Debian's
//! `docker-registry`, started here on a free port over the fixture's storage), from the OCI
//! layout and from the `docker save` archive. Each boot costs a core for 20–50 s under TCG, so
//! every boot checks as much as it can.
//!
//! Nothing is skipped: without the fixture, e2fsprogs, docker-registry, a kernel or QEMU the
//! tests fail and say which setup step provides it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use rroot_vmtests::{
    find_rroot, free_tcp_port, host_command, lines, module_initramfs, scratch_dir, workspace_root,
    Qemu, Vm, VmError, BOOT_TIMEOUT, SHUTDOWN_TIMEOUT,
};

/// From the shell prompt to nginx's worker in `ps`: the entrypoint waits for the DHCP lease
/// first, then nginx starts under TCG.
const NGINX_TIMEOUT: Duration = Duration::from_secs(120);
/// From nginx running to its page on the host.
const HTTP_TIMEOUT: Duration = Duration::from_secs(60);
const FIXTURE_HINT: &str =
    "run tests/fixtures/nginx-image.sh build, as root once; the result is cached";
const E2FSPROGS_HINT: &str =
    "install e2fsprogs >= 1.47.1 (Debian 12: bookworm-backports), as the disk issue's setup does";
/// What nginx's default page says (Debian's /var/www/html/index.nginx-debian.html).
const WELCOME: &str = "Welcome to nginx!";

/// Where `tests/fixtures/nginx-image.sh` put the image, from its `env` command.
struct Fixture {
    /// `oci:DIR:TAG`
    oci: String,
    /// `docker-archive:FILE`
    archive: String,
    /// The registry's storage, pushed by the script.
    registry_storage: PathBuf,
}

impl Fixture {
    fn find() -> Result<Fixture, VmError> {
        let script = workspace_root().join("tests/fixtures/nginx-image.sh");
        let env = host_command(Command::new(&script).arg("env"), FIXTURE_HINT)?;
        let value = |key: &str| {
            lines(&env)
                .into_iter()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_string)
                .ok_or_else(|| {
                    VmError::Check(format!("{}: `env` printed no {key}", script.display()))
                })
        };
        let oci = value("NGINX_OCI")?;
        let archive = value("NGINX_ARCHIVE")?;
        let archive_file = PathBuf::from(archive.trim_start_matches("docker-archive:"));
        let dir = archive_file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let registry_storage = dir.join("registry");
        // The script's markers: each says one step finished (a crash leaves no marker).
        for done in [
            dir.join("oci.done"),
            archive_file.clone(),
            dir.join("registry.done"),
        ] {
            if !done.is_file() {
                return Err(VmError::Missing {
                    what: "nginx fixture",
                    path: done,
                    hint: FIXTURE_HINT.to_string(),
                });
            }
        }
        Ok(Fixture {
            oci,
            archive,
            registry_storage,
        })
    }
}

/// Debian's `docker-registry` serving the fixture's storage on a free loopback port; stopped
/// when dropped. Its own process rather than the script's `serve`, so a registry the developer
/// left running on the default port neither clashes nor gets stopped.
struct Registry {
    child: Child,
    port: u16,
}

impl Registry {
    fn start(storage: &Path, dir: &Path) -> Result<Registry, VmError> {
        let port = free_tcp_port()?;
        let config = dir.join("registry.yml");
        let text = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            storage.display()
        );
        std::fs::write(&config, text).map_err(|source| VmError::Io {
            what: config.display().to_string(),
            source,
        })?;
        let log_path = dir.join("registry.log");
        let log = std::fs::File::create(&log_path).map_err(|source| VmError::Io {
            what: log_path.display().to_string(),
            source,
        })?;
        let log_err = log.try_clone().map_err(|source| VmError::Io {
            what: log_path.display().to_string(),
            source,
        })?;
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => VmError::Check(format!(
                    "docker-registry: not found (install Debian's docker-registry; {FIXTURE_HINT})"
                )),
                _ => VmError::Spawn {
                    program: "docker-registry".to_string(),
                    source,
                },
            })?;
        let mut registry = Registry { child, port };
        // Up when the API root answers (distribution spec: GET /v2/ is 200 without auth).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(reply) = http_get(port, "/v2/") {
                if reply.starts_with("HTTP/1.1 200") || reply.starts_with("HTTP/1.0 200") {
                    return Ok(registry);
                }
            }
            let exited = registry.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() >= deadline {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                return Err(VmError::Check(format!(
                    "docker-registry did not come up on 127.0.0.1:{port}: {}",
                    log.trim_end().replace('\n', " | ")
                )));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn reference(&self) -> String {
        format!("127.0.0.1:{}/library/nginx:latest", self.port)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.0 GET to 127.0.0.1:`port`; the whole reply (status line, headers, body).
fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

/// `rroot disk IMAGE -o OUT`, with its own blob cache so the test really reads the source.
fn build_disk(image: &str, out: &Path, cache: &Path) -> Result<(), VmError> {
    let rroot = find_rroot()?;
    host_command(
        Command::new(rroot)
            .args(["disk", "-q", "-o"])
            .arg(out)
            .arg(image)
            .env("XDG_CACHE_HOME", cache),
        "build it with `just initramfs`",
    )?;
    Ok(())
}

/// `e2fsck -fn` finds nothing to fix, the file system was unmounted cleanly (no journal to
/// replay on the next boot), and `/.rroot/config.json` holds the fixture's config.
fn check_disk(disk: &Path, reference: &str) -> Result<(), VmError> {
    host_command(Command::new("e2fsck").arg("-fn").arg(disk), E2FSPROGS_HINT)?;
    let header = host_command(Command::new("dumpe2fs").arg("-h").arg(disk), E2FSPROGS_HINT)?;
    let state = header
        .lines()
        .find_map(|line| line.strip_prefix("Filesystem state:"))
        .map(str::trim);
    if state != Some("clean") {
        return Err(VmError::Check(format!(
            "{}: file system state {state:?}, not clean",
            disk.display()
        )));
    }
    let features = header
        .lines()
        .find_map(|line| line.strip_prefix("Filesystem features:"))
        .unwrap_or_default();
    if features.split_whitespace().any(|f| f == "needs_recovery") {
        return Err(VmError::Check(format!(
            "{}: the journal needs recovery (not unmounted cleanly)",
            disk.display()
        )));
    }
    let config = host_command(
        Command::new("debugfs")
            .arg("-R")
            .arg("cat /.rroot/config.json")
            .arg(disk),
        E2FSPROGS_HINT,
    )?;
    // What the fixture script configured (tests/fixtures/nginx-image.sh, `umoci config`).
    for want in [
        "\"/docker-entrypoint.sh\"",
        "\"daemon off;\"",
        "\"80/tcp\"",
        "\"SIGQUIT\"",
        &format!("\"reference\": \"{reference}\""),
    ] {
        if !config.contains(want) {
            return Err(VmError::Check(format!(
                "{}: /.rroot/config.json lacks {want}:\n{config}",
                disk.display()
            )));
        }
    }
    Ok(())
}

/// A row of `ps -ef`: `UID PID PPID C STIME TTY TIME CMD`.
#[derive(Debug, PartialEq)]
struct PsRow {
    uid: String,
    pid: String,
    ppid: String,
    cmd: String,
}

fn ps_ef_rows(output: &str) -> Vec<PsRow> {
    lines(output)
        .into_iter()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.get(1)?.parse::<u32>().ok()?;
            Some(PsRow {
                uid: fields.first()?.to_string(),
                pid: fields.get(1)?.to_string(),
                ppid: fields.get(2)?.to_string(),
                cmd: fields.get(7..)?.join(" "),
            })
        })
        .collect()
}

/// nginx's master (root) and a worker whose parent it is, running as www-data (uid 33 in
/// Debian; the initramfs's own passwd does not know the name), or why not.
fn nginx_processes(ps: &str) -> Result<(), String> {
    let rows = ps_ef_rows(ps);
    let master = rows
        .iter()
        .find(|r| r.cmd.starts_with("nginx: master process"))
        .ok_or("no `nginx: master process`")?;
    if master.uid != "root" && master.uid != "0" {
        return Err(format!("the nginx master runs as {}, not root", master.uid));
    }
    let worker = rows
        .iter()
        .find(|r| r.cmd.starts_with("nginx: worker process"))
        .ok_or("no `nginx: worker process`")?;
    if worker.ppid != master.pid {
        return Err(format!(
            "the nginx worker's parent is {}, not the master {}",
            worker.ppid, master.pid
        ));
    }
    if worker.uid != "33" && worker.uid != "www-data" {
        return Err(format!(
            "the nginx worker runs as {}, not www-data (33)",
            worker.uid
        ));
    }
    Ok(())
}

/// Whether init logged unmounting the root disk itself (`init: unmounted /mnt`, not only the
/// API file systems below it).
fn unmounted_root(console: &str) -> bool {
    console.lines().any(|line| {
        line.split_once("init: unmounted /mnt")
            .is_some_and(|(_, rest)| !rest.starts_with('/'))
    })
}

fn assert_no_panic(vm: &mut Vm) -> Result<(), VmError> {
    let console = vm.console();
    vm.check(!console.contains("Kernel panic"), || {
        "the console shows a kernel panic".to_string()
    })
}

/// Boots `disk` as the root with user networking forwarding a free host port to the guest's
/// port 80, and checks what the disk issue and the network issue promise: nginx's master and
/// worker run while the console shell works, the host gets nginx's page, DHCP configured the
/// guest (route, resolv.conf inside the image), `poweroff` stops nginx with its StopSignal and
/// ends QEMU, and the disk is clean afterwards.
fn boot_nginx(name: &str, disk: &Path, reference: &str) -> Result<(), VmError> {
    let port = free_tcp_port()?;
    let mut vm = Qemu::new(name)?
        .with_initramfs(module_initramfs()?)
        .disk(disk)
        .with_cmdline("root=/dev/vda")
        .user_net(&[(port, 80)])
        .boot()?;
    vm.wait_for_shell()?;

    // nginx needs the lease first (the image exposes 80/tcp), then its workers fork.
    let deadline = Instant::now() + NGINX_TIMEOUT;
    let ps = loop {
        let ps = vm.run("ps -ef")?;
        match nginx_processes(&ps) {
            Ok(()) => break ps,
            Err(why) if Instant::now() >= deadline => {
                return Err(vm.fail(VmError::Check(format!(
                    "nginx is not running after {} s: {why}:\n{ps}",
                    NGINX_TIMEOUT.as_secs()
                ))));
            }
            Err(_) => thread::sleep(Duration::from_secs(1)),
        }
    };
    let console = vm.console();
    vm.check(
        console.contains("started entrypoint /docker-entrypoint.sh nginx -g daemon off;"),
        || format!("init did not log the image's Entrypoint + Cmd:\n{ps}"),
    )?;

    // The shell on the same console keeps working beside the service.
    let ok = vm.run("echo ok")?;
    vm.check(ok.trim() == "ok", || format!("`echo ok` printed {ok:?}"))?;

    // The host reaches nginx through hostfwd. QEMU accepts the connection even before the
    // guest listens (and then closes it), so retry until the page comes.
    let deadline = Instant::now() + HTTP_TIMEOUT;
    loop {
        let reply = http_get(port, "/");
        match &reply {
            Ok(page) if page.contains(WELCOME) => break,
            _ if Instant::now() >= deadline => {
                return Err(vm.fail(VmError::Check(format!(
                    "GET http://127.0.0.1:{port}/ did not return nginx's page within {} s: \
                     {reply:?}",
                    HTTP_TIMEOUT.as_secs()
                ))));
            }
            _ => thread::sleep(Duration::from_millis(500)),
        }
    }
    // And from the console, through the guest's loopback.
    let page = vm.run("wget -q -O - http://127.0.0.1/")?;
    vm.check(page.contains(WELCOME), || {
        format!("wget in the guest did not get nginx's page: {page:?}")
    })?;

    // DHCP from QEMU's built-in server: the default route, and DNS inside the image's root.
    let routes = vm.run("ip route")?;
    vm.check(
        lines(&routes)
            .iter()
            .any(|l| l.starts_with("default via 10.0.2.2")),
        || format!("no default route via 10.0.2.2:\n{routes}"),
    )?;
    let resolv = vm.run("cat /mnt/etc/resolv.conf")?;
    vm.check(lines(&resolv).contains(&"nameserver 10.0.2.3"), || {
        format!("/mnt/etc/resolv.conf lacks QEMU's DNS 10.0.2.3:\n{resolv}")
    })?;

    vm.send_line("poweroff")?;
    vm.wait_exit(SHUTDOWN_TIMEOUT)?;
    assert_no_panic(&mut vm)?;
    let console = vm.console();
    // The image's StopSignal, not SIGTERM, asked nginx to stop (init logs which signal).
    vm.check(
        console
            .lines()
            .any(|l| l.contains("init: entrypoint") && l.contains("SIGQUIT")),
        || "init did not log stopping the entrypoint with the image's SIGQUIT".to_string(),
    )?;
    vm.check(unmounted_root(&console), || {
        "init did not log `unmounted /mnt` on the way down".to_string()
    })?;
    vm.check(console.contains("reboot: Power down"), || {
        "QEMU exited without the kernel's `reboot: Power down`".to_string()
    })?;
    check_disk(disk, reference).map_err(|e| vm.fail(e))
}

#[test]
fn nginx_from_a_registry_serves_the_host_and_powers_off_cleanly() -> Result<(), VmError> {
    let fixture = Fixture::find()?;
    let dir = scratch_dir("container-registry")?;
    let registry = Registry::start(&fixture.registry_storage, &dir)?;
    let disk = dir.join("disk.img");
    let reference = registry.reference();
    build_disk(&reference, &disk, &dir.join("cache"))?;
    drop(registry);
    check_disk(&disk, &reference)?;
    boot_nginx("container-registry", &disk, &reference)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn nginx_from_an_oci_layout_boots() -> Result<(), VmError> {
    let fixture = Fixture::find()?;
    let dir = scratch_dir("container-oci")?;
    let disk = dir.join("disk.img");
    build_disk(&fixture.oci, &disk, &dir.join("cache"))?;
    check_disk(&disk, &fixture.oci)?;
    boot_nginx("container-oci", &disk, &fixture.oci)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn nginx_from_a_docker_archive_boots() -> Result<(), VmError> {
    let fixture = Fixture::find()?;
    let dir = scratch_dir("container-archive")?;
    let disk = dir.join("disk.img");
    build_disk(&fixture.archive, &disk, &dir.join("cache"))?;
    check_disk(&disk, &fixture.archive)?;
    boot_nginx("container-archive", &disk, &fixture.archive)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `entrypoint=` and `cmd=` on the kernel command line replace the image's command (split
/// shell-style, run by the image's own /bin/sh in the chroot), and `rroot.on_exit=poweroff`
/// ends the machine once it exits.
#[test]
fn entrypoint_override_runs_and_powers_off() -> Result<(), VmError> {
    let fixture = Fixture::find()?;
    let dir = scratch_dir("container-entrypoint")?;
    let disk = dir.join("disk.img");
    build_disk(&fixture.oci, &disk, &dir.join("cache"))?;
    // No NIC: the image exposes a port, but with no Ethernet interface init has no lease to
    // wait for. `$((6*7))` makes the printed line differ from the command line the kernel
    // echoes at boot, so only the command's own output matches.
    let mut vm = Qemu::new("container-entrypoint")?
        .with_initramfs(module_initramfs()?)
        .disk(&disk)
        .with_cmdline("root=/dev/vda entrypoint=/bin/sh")
        .with_cmdline(r#"cmd="-c 'echo entrypoint-said-$((6*7)) in $(cat /etc/debian_version)'""#)
        .with_cmdline("rroot.on_exit=poweroff")
        .boot()?;
    vm.expect("entrypoint-said-42 in ", BOOT_TIMEOUT)?;
    let version = vm.expect("\n", SHUTDOWN_TIMEOUT)?;
    // /etc/debian_version of the image (bookworm: 12.x), not of the initramfs (which has none).
    vm.check(version.trim().starts_with("12"), || {
        format!("the entrypoint read /etc/debian_version {version:?}, not the image's")
    })?;
    vm.wait_exit(SHUTDOWN_TIMEOUT)?;
    assert_no_panic(&mut vm)?;
    let console = vm.console();
    vm.check(
        console
            .lines()
            .any(|l| l.contains("entrypoint (pid") && l.contains("exited with status 0")),
        || "init did not log the entrypoint's exit with status 0".to_string(),
    )?;
    vm.check(console.contains("reboot: Power down"), || {
        "QEMU exited without the kernel's `reboot: Power down`".to_string()
    })?;
    host_command(Command::new("e2fsck").arg("-fn").arg(&disk), E2FSPROGS_HINT)
        .map_err(|e| vm.fail(e))?;
    drop(vm);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[cfg(test)]
mod parsing {
    use super::*;

    const PS: &str = "UID   PID  PPID  C STIME TTY          TIME CMD\n\
                      root    1     0  0 00:00 ?        00:00:00 /init\n\
                      root   90     1  0 00:00 ?        00:00:00 nginx: master process nginx\n\
                      33     91    90  0 00:00 ?        00:00:00 nginx: worker process\n";

    #[test]
    fn ps_rows_take_uid_pid_ppid_and_command() {
        assert_eq!(
            ps_ef_rows(PS)[2],
            PsRow {
                uid: "33".to_string(),
                pid: "91".to_string(),
                ppid: "90".to_string(),
                cmd: "nginx: worker process".to_string()
            }
        );
        assert_eq!(ps_ef_rows(PS).len(), 3);
    }

    #[test]
    fn root_unmount_is_told_from_its_submounts() {
        let cases = [
            ("[ 7.4] init: unmounted /mnt (4965.4 ms)\n", true),
            ("init: unmounted /mnt\n", true),
            ("[ 7.4] init: unmounted /mnt/run (4944.8 ms)\n", false),
            ("init: /mnt: Device or resource busy, detaching\n", false),
        ];
        for (console, want) in cases {
            assert_eq!(unmounted_root(console), want, "{console:?}");
        }
    }

    #[test]
    fn nginx_processes_table() {
        let orphan = PS.replace("33     91    90", "33     91     1");
        let as_root = PS.replace("33     91", "root   91");
        let cases: Vec<(&str, Result<(), &str>)> = vec![
            (PS, Ok(())),
            (
                "root 1 0 0 00:00 ? 00:00:00 /init\n",
                Err("no `nginx: master process`"),
            ),
            (
                "root 90 1 0 00:00 ? 00:00:00 nginx: master process nginx\n",
                Err("no `nginx: worker process`"),
            ),
            (
                &orphan,
                Err("the nginx worker's parent is 1, not the master 90"),
            ),
            (
                &as_root,
                Err("the nginx worker runs as root, not www-data (33)"),
            ),
        ];
        for (ps, want) in cases {
            assert_eq!(nginx_processes(ps), want.map_err(str::to_string), "{ps}");
        }
    }
}
