//! `rroot vm` with a stand-in qemu-system-x86_64 in PATH that records its arguments: checks the
//! command line rroot execs, and the error when QEMU is missing. (Real boots are in tests/.)
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const RROOT: &str = env!("CARGO_BIN_EXE_rroot");

fn rroot_vm(dir: &Path, path_env: &Path, args: &[&str]) -> Output {
    Command::new(RROOT)
        .arg("vm")
        .args(args)
        .current_dir(dir)
        .env("PATH", path_env)
        .env("KERNEL", dir.join("vmlinuz"))
        .output()
        .unwrap()
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("out")).unwrap();
    fs::write(d.join("out/initramfs.cpio.gz"), b"x").unwrap();
    fs::write(d.join("vmlinuz"), b"x").unwrap();
    fs::write(d.join("disk.img"), b"x").unwrap();
    fs::create_dir(d.join("bin")).unwrap();
    let qemu = d.join("bin/qemu-system-x86_64");
    // Records one argument per line, like the real one would receive them.
    fs::write(&qemu, "#!/bin/sh\nprintf '%s\\n' \"$@\" > qemu.args\n").unwrap();
    fs::set_permissions(&qemu, fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir(d.join("empty")).unwrap();
    dir
}

#[test]
fn execs_qemu_with_the_planned_command_line() {
    let dir = setup();
    let d = dir.path();
    let args = [
        "--disk",
        "disk.img",
        "--append",
        "root=/dev/vda",
        "--hostfwd",
        "tcp:127.0.0.1:8080-:80",
        "--memory",
        "1G",
    ];
    let out = rroot_vm(d, &d.join("bin"), &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recorded = fs::read_to_string(d.join("qemu.args")).unwrap();
    let kernel = d.join("vmlinuz").display().to_string();
    let want = [
        "-accel",
        "tcg",
        "-m",
        "1G",
        "-kernel",
        &kernel,
        "-initrd",
        "out/initramfs.cpio.gz",
        "-append",
        "console=ttyS0 panic=-1 root=/dev/vda",
        "-drive",
        "file=disk.img,if=virtio,format=raw",
        "-netdev",
        "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80",
        "-device",
        "virtio-net-pci,netdev=net0",
        "-nographic",
        "-no-reboot",
    ];
    assert_eq!(recorded.lines().collect::<Vec<_>>(), want);
    // The command line was printed to stderr first, shell-quoted.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("-append 'console=ttyS0 panic=-1 root=/dev/vda'"),
        "{err}"
    );
}

#[test]
fn dry_run_prints_without_running() {
    let dir = setup();
    let d = dir.path();
    let out = rroot_vm(d, &d.join("bin"), &["--dry-run"]);
    assert!(out.status.success());
    assert!(!d.join("qemu.args").exists());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("qemu-system-x86_64 -accel tcg -m 512M"),
        "{err}"
    );
}

#[test]
fn missing_qemu_or_initrd_is_a_clear_error() {
    let dir = setup();
    let d = dir.path();
    let out = rroot_vm(d, &d.join("empty"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "rroot: qemu-system-x86_64: not found in PATH (install it with `apt-get install qemu-system-x86`)\n"
    );
    fs::remove_file(d.join("out/initramfs.cpio.gz")).unwrap();
    let out = rroot_vm(d, &d.join("bin"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "rroot: --initrd out/initramfs.cpio.gz: No such file or directory (build it with `rroot initramfs`)\n"
    );
}

/// An ext4 disk like `rroot disk` writes, holding only `/.rroot/config.json`.
fn rroot_disk(dir: &Path, config: &str) -> std::path::PathBuf {
    let root = dir.join("diskroot");
    fs::create_dir_all(root.join(".rroot")).unwrap();
    fs::write(root.join(".rroot/config.json"), config).unwrap();
    let img = dir.join("nginx.img");
    let out = Command::new("/usr/sbin/mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-d"])
        .arg(&root)
        .arg(&img)
        .arg("4M")
        .output()
        .expect("mke2fs (e2fsprogs) is needed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    img
}

#[test]
fn a_disk_boots_as_root_with_its_exposed_ports_forwarded() {
    let dir = setup();
    let d = dir.path();
    let config = r#"{"reference":"nginx","config":{"ExposedPorts":{"80/tcp":{}}}}"#;
    let img = rroot_disk(d, config);
    let out = rroot_vm(
        d,
        &d.join("bin"),
        &["--dry-run", "--disk", img.to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let forward = err.lines().next().unwrap();
    let host = forward
        .strip_prefix("rroot vm: forwarding 127.0.0.1:")
        .and_then(|rest| rest.strip_suffix(" -> guest :80"))
        .unwrap_or_else(|| panic!("{err}"));
    let host: u16 = host.parse().unwrap();
    assert!(host >= 8080, "{err}");
    assert!(
        err.contains(&format!(
            "-append 'console=ttyS0 panic=-1 root=/dev/vda' -drive file={},if=virtio,format=raw -netdev user,id=net0,hostfwd=tcp:127.0.0.1:{host}-:80 "
            , img.display()
        )),
        "{err}"
    );

    // A disk that is not an rroot disk: root, but nothing forwarded and no NIC.
    fs::write(d.join("blank.img"), vec![0u8; 65536]).unwrap();
    let out = rroot_vm(d, &d.join("bin"), &["--dry-run", "--disk", "blank.img"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("root=/dev/vda' -drive file=blank.img,if=virtio,format=raw -nic none"),
        "{err}"
    );
}
