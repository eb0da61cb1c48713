//! The module applets as users meet them: the built `rbox` through applet-named symlinks, on
//! fake module trees (`modprobe -d ROOT -S VERSION`, `modinfo -b ROOT -k VERSION`). Loading
//! for real needs a VM: tests/ boots the Debian kernel for that.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use rroot_init::modules::modinfo::fake_module;

const RBOX: &str = env!("CARGO_BIN_EXE_rbox");
const RELEASE: &str = "6.1.0-test";

/// Run `applet args…` through a symlink: (exit code, stdout, stderr).
fn run(dir: &Path, applet: &str, args: &[&str]) -> (i32, String, String) {
    let link = dir.join(applet);
    if !link.exists() {
        symlink(RBOX, &link).unwrap();
    }
    let out = Command::new(&link).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// ROOT/lib/modules/RELEASE with ext4 and its dependencies, as `rroot initramfs` writes it.
fn tree() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("lib/modules").join(RELEASE);
    let modules: [(&str, &[&str]); 4] = [
        (
            "kernel/fs/ext4/ext4.ko",
            &[
                "alias=fs-ext4",
                "license=GPL",
                "description=Fourth Extended Filesystem",
                "softdep=pre: crc32c",
                "depends=mbcache,jbd2",
                "name=ext4",
            ],
        ),
        (
            "kernel/fs/jbd2/jbd2.ko",
            &["license=GPL", "depends=", "name=jbd2"],
        ),
        (
            "kernel/fs/mbcache.ko",
            &["license=GPL", "depends=", "name=mbcache"],
        ),
        (
            "kernel/crypto/crc32c_generic.ko",
            &["alias=crc32c", "depends=", "name=crc32c_generic"],
        ),
    ];
    for (rel, info) in modules {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, fake_module(info)).unwrap();
    }
    fs::write(
        dir.join("modules.dep"),
        "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko\n\
         kernel/fs/jbd2/jbd2.ko:\nkernel/fs/mbcache.ko:\nkernel/crypto/crc32c_generic.ko:\n",
    )
    .unwrap();
    fs::write(
        dir.join("modules.alias"),
        "alias fs-ext4 ext4\nalias crc32c crc32c_generic\n",
    )
    .unwrap();
    fs::write(dir.join("modules.softdep"), "softdep ext4 pre: crc32c\n").unwrap();
    fs::write(dir.join("modules.builtin"), "kernel/lib/crc16.ko\n").unwrap();
    fs::create_dir_all(root.path().join("proc")).unwrap();
    fs::write(
        root.path().join("proc/modules"),
        "mbcache 16384 0 - Live 0x0\n",
    )
    .unwrap();
    fs::write(
        root.path().join("proc/cmdline"),
        "quiet ext4.debug=1 jbd2.x=\"a b\"\n",
    )
    .unwrap();
    root
}

#[test]
fn modprobe_dry_run_shows_the_load_order_with_cmdline_parameters() {
    let root = tree();
    let links = tempfile::tempdir().unwrap();
    let r = root.path().display().to_string();
    let (code, out, err) = run(
        links.path(),
        "modprobe",
        &["-n", "-v", "-d", &r, "-S", RELEASE, "fs-ext4", "nodelalloc"],
    );
    assert_eq!((code, err.as_str()), (0, ""));
    let m = format!("{r}/lib/modules/{RELEASE}");
    assert_eq!(
        out,
        format!(
            "insmod {m}/kernel/crypto/crc32c_generic.ko \n\
             insmod {m}/kernel/fs/jbd2/jbd2.ko x=\"a b\"\n\
             insmod {m}/kernel/fs/ext4/ext4.ko debug=1 nodelalloc\n"
        )
    );
    // Builtin: nothing to do, silently.
    let (code, out, _) = run(
        links.path(),
        "modprobe",
        &["-nv", "-d", &r, "-S", RELEASE, "crc16"],
    );
    assert_eq!((code, out.as_str()), (0, ""));
    // -r plans the module, then its loaded dependencies.
    fs::write(
        root.path().join("proc/modules"),
        "ext4 1 0 - Live 0x0\njbd2 1 1 ext4, Live 0x0\nmbcache 1 1 ext4, Live 0x0\n",
    )
    .unwrap();
    let (code, out, _) = run(
        links.path(),
        "modprobe",
        &["-rnv", "-d", &r, "-S", RELEASE, "ext4"],
    );
    assert_eq!(
        (code, out.as_str()),
        (0, "rmmod ext4\nrmmod jbd2\nrmmod mbcache\n")
    );
}

#[test]
fn modprobe_errors_are_one_line() {
    let root = tree();
    let links = tempfile::tempdir().unwrap();
    let r = root.path().display().to_string();
    let cases: [(&[&str], i32, String); 5] = [
        (
            &["-d", &r, "-S", RELEASE, "foo"],
            1,
            "modprobe: foo: module not found\n".into(),
        ),
        (&["-q", "-d", &r, "-S", RELEASE, "foo"], 1, String::new()),
        (
            &["-d", &r, "-S", "9.9", "foo"],
            1,
            format!("modprobe: {r}/lib/modules/9.9/modules.dep: No such file or directory\n"),
        ),
        (
            &["-r", "-d", &r, "-S", RELEASE, "jbd2"],
            1,
            "modprobe: jbd2: module is not currently loaded\n".into(),
        ),
        (&[], 2, String::new()),
    ];
    for (args, want_code, want_err) in cases {
        let (code, _, err) = run(links.path(), "modprobe", args);
        assert_eq!(code, want_code, "{args:?}: {err}");
        if want_code == 2 {
            assert!(
                err.starts_with("modprobe: missing module NAME\nusage: modprobe"),
                "{err}"
            );
        } else {
            assert_eq!(err, want_err, "{args:?}");
        }
    }
}

#[test]
fn modinfo_by_name_alias_and_file() {
    let root = tree();
    let links = tempfile::tempdir().unwrap();
    let r = root.path().display().to_string();
    let m = format!("{r}/lib/modules/{RELEASE}");
    let (code, out, err) = run(
        links.path(),
        "modinfo",
        &["-b", &r, "-k", RELEASE, "fs-ext4"],
    );
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        format!(
            "filename:       {m}/kernel/fs/ext4/ext4.ko\n\
             alias:          fs-ext4\n\
             license:        GPL\n\
             description:    Fourth Extended Filesystem\n\
             softdep:        pre: crc32c\n\
             depends:        mbcache,jbd2\n\
             name:           ext4\n"
        )
    );
    let file = format!("{m}/kernel/fs/jbd2/jbd2.ko");
    let (code, out, _) = run(links.path(), "modinfo", &["-F", "license", &file]);
    assert_eq!((code, out.as_str()), (0, "GPL\n"));
    let (code, out, _) = run(
        links.path(),
        "modinfo",
        &["-n", "-b", &r, "-k", RELEASE, "crc32c"],
    );
    assert_eq!(
        (code, out),
        (0, format!("{m}/kernel/crypto/crc32c_generic.ko\n"))
    );
    let (code, _, err) = run(
        links.path(),
        "modinfo",
        &["-b", &r, "-k", RELEASE, "nosuch"],
    );
    assert_eq!(
        (code, err.as_str()),
        (1, "modinfo: nosuch: module not found\n")
    );
    let (code, _, err) = run(links.path(), "modinfo", &["/nonexistent/x.ko"]);
    assert_eq!(
        (code, err.as_str()),
        (1, "modinfo: /nonexistent/x.ko: No such file or directory\n")
    );
}

#[test]
fn insmod_rmmod_lsmod_usage_and_errors() {
    let links = tempfile::tempdir().unwrap();
    let (code, _, err) = run(links.path(), "insmod", &[]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("insmod: missing module FILE\nusage: insmod"),
        "{err}"
    );
    let (code, _, err) = run(links.path(), "insmod", &["/nonexistent/x.ko"]);
    assert_eq!(
        (code, err.as_str()),
        (1, "insmod: /nonexistent/x.ko: No such file or directory\n")
    );
    let (code, _, err) = run(links.path(), "rmmod", &[]);
    assert_eq!(code, 2);
    assert!(err.starts_with("rmmod: missing module NAME\n"), "{err}");
    let (code, _, err) = run(links.path(), "lsmod", &["x"]);
    assert_eq!(
        (code, err.lines().next()),
        (2, Some("lsmod: unexpected argument 'x'"))
    );
    // /proc/modules exists wherever the kernel has module support.
    if Path::new("/proc/modules").exists() {
        let (code, out, _) = run(links.path(), "lsmod", &[]);
        assert_eq!(code, 0);
        assert!(
            out.starts_with("Module                  Size  Used by\n"),
            "{out}"
        );
    } else {
        eprintln!("SKIPPED: lsmod on this host: no /proc/modules");
    }
    // Unprivileged: the kernel refuses before looking at the module.
    if !nix::unistd::geteuid().is_root() {
        let (code, _, err) = run(links.path(), "rmmod", &["nosuch_module_x"]);
        assert_eq!(code, 1);
        assert!(err.starts_with("rmmod: nosuch_module_x: "), "{err}");
    }
}
