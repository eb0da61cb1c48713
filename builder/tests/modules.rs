//! `rroot initramfs --kernel-modules DIR [--module NAME]`: the modules and depmod files that
//! land in the archive, read back from the written cpio. The rbox is a stand-in script
//! (only its `--list` answers matter here).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{Cursor, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const ROOT_BIN: &str = env!("CARGO_BIN_EXE_rroot");

/// A minimal ELF64 relocatable file holding only a `.modinfo` section.
fn fake_module(modinfo: &[&str]) -> Vec<u8> {
    let mut info = Vec::new();
    for f in modinfo {
        info.extend_from_slice(f.as_bytes());
        info.push(0);
    }
    let names = b"\0.modinfo\0.shstrtab\0";
    let str_off = 64 + info.len() as u64;
    let sh_off = (str_off + names.len() as u64).next_multiple_of(8);
    let mut out = vec![0u8; 64];
    out[..6].copy_from_slice(b"\x7fELF\x02\x01");
    out[0x28..0x30].copy_from_slice(&sh_off.to_le_bytes());
    out[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    out[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
    out[0x3e..0x40].copy_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&info);
    out.extend_from_slice(names);
    out.resize(sh_off as usize, 0);
    let header = |name: u32, off: u64, size: u64| {
        let mut h = [0u8; 64];
        h[0..4].copy_from_slice(&name.to_le_bytes());
        h[24..32].copy_from_slice(&off.to_le_bytes());
        h[32..40].copy_from_slice(&size.to_le_bytes());
        h
    };
    out.extend_from_slice(&[0u8; 64]);
    out.extend_from_slice(&header(1, 64, info.len() as u64));
    out.extend_from_slice(&header(10, str_off, names.len() as u64));
    out
}

/// The regular files of a newc archive: name → contents.
fn read_cpio(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut cursor = Cursor::new(bytes);
    loop {
        let mut entry = cpio::NewcReader::new(cursor).unwrap();
        if entry.entry().is_trailer() {
            break;
        }
        let name = entry.entry().name().to_string();
        let is_file = entry.entry().mode() & 0o170000 == 0o100000;
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if is_file {
            files.insert(name, data);
        }
        cursor = entry.finish().unwrap();
    }
    files
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let rbox = dir.path().join("rbox");
        fs::write(
            &rbox,
            "#!/bin/sh\ncase \"$1\" in --list) echo init; echo sh;; --list-sbin) echo init;; esac\n",
        )
        .unwrap();
        fs::set_permissions(&rbox, fs::Permissions::from_mode(0o755)).unwrap();
        Setup { dir }
    }

    /// `rroot initramfs --compress none` with these extra arguments: (exit code, stderr, files).
    fn initramfs(&self, args: &[&str]) -> (i32, String, BTreeMap<String, Vec<u8>>) {
        let out_path = self.dir.path().join("out.cpio");
        let _ = fs::remove_file(&out_path);
        let out = Command::new(ROOT_BIN)
            .arg("initramfs")
            .arg("--rbox")
            .arg(self.dir.path().join("rbox"))
            .args(["--compress", "none", "-o"])
            .arg(&out_path)
            .args(args)
            .env("SOURCE_DATE_EPOCH", "0")
            .output()
            .unwrap();
        let files = fs::read(&out_path)
            .map(|b| read_cpio(&b))
            .unwrap_or_default();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            files,
        )
    }
}

#[test]
fn bundles_modules_with_depmod_files() {
    let s = Setup::new();
    let tree = s.dir.path().join("6.1.0-t");
    let gzip = |elf: Vec<u8>| {
        let mut out = Vec::new();
        let mut enc = flate2::write::GzEncoder::new(&mut out, flate2::Compression::fast());
        enc.write_all(&elf).unwrap();
        enc.finish().unwrap();
        out
    };
    let modules: [(&str, Vec<u8>); 5] = [
        (
            "kernel/drivers/block/virtio_blk.ko.gz",
            gzip(fake_module(&[
                "alias=virtio:d00000002v*",
                "depends=virtio_ring",
                "name=virtio_blk",
            ])),
        ),
        (
            "kernel/drivers/virtio/virtio_ring.ko",
            fake_module(&["depends=", "name=virtio_ring"]),
        ),
        (
            "kernel/drivers/md/dm-mod.ko",
            fake_module(&["alias=devname:mapper/control", "depends=", "name=dm_mod"]),
        ),
        (
            "kernel/fs/unused.ko",
            fake_module(&["depends=", "name=unused"]),
        ),
        (
            "kernel/fs/broken.ko",
            fake_module(&["depends=missing", "name=broken"]),
        ),
    ];
    for (rel, bytes) in &modules {
        let p = tree.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
    fs::write(
        tree.join("modules.builtin"),
        "kernel/drivers/virtio/virtio.ko\n",
    )
    .unwrap();
    let dir = tree.display().to_string();

    let (code, err, files) = s.initramfs(&["--kernel-modules", &dir, "--module", "dm_mod"]);
    assert_eq!((code, err.contains("error")), (0, false), "{err}");
    let m = "lib/modules/6.1.0-t";
    let names: Vec<&str> = files
        .keys()
        .map(String::as_str)
        .filter(|n| n.starts_with("lib/modules"))
        .collect();
    assert_eq!(
        names,
        [
            format!("{m}/kernel/drivers/block/virtio_blk.ko"),
            format!("{m}/kernel/drivers/md/dm-mod.ko"),
            format!("{m}/kernel/drivers/virtio/virtio_ring.ko"),
            format!("{m}/modules.alias"),
            format!("{m}/modules.builtin"),
            format!("{m}/modules.dep"),
            format!("{m}/modules.order"),
            format!("{m}/modules.softdep"),
        ]
    );
    // Stored decompressed.
    let blk = &files[&format!("{m}/kernel/drivers/block/virtio_blk.ko")];
    assert_eq!(&blk[..4], b"\x7fELF");
    let text = |f: &str| String::from_utf8(files[&format!("{m}/{f}")].clone()).unwrap();
    assert_eq!(
        text("modules.dep"),
        "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio_ring.ko\n\
         kernel/drivers/md/dm-mod.ko:\n\
         kernel/drivers/virtio/virtio_ring.ko:\n"
    );
    assert_eq!(
        text("modules.alias"),
        "# Aliases extracted from modules themselves.\n\
         alias virtio:d00000002v* virtio_blk\n\
         alias devname:mapper/control dm_mod\n"
    );

    // Errors: one line naming the module.
    let (code, err, _) = s.initramfs(&["--kernel-modules", &dir, "--module", "nosuch"]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!("rroot: --kernel-modules {dir}: --module nosuch: no such module or alias\n")
    );
    let (code, err, _) = s.initramfs(&["--kernel-modules", &dir, "--module", "broken"]);
    assert_eq!(code, 1);
    assert!(
        err.ends_with(
            "kernel/fs/broken.ko: depends on missing, which is neither a module here nor builtin\n"
        ),
        "{err}"
    );
}

/// The Debian kernel the VM tests boot, when the cache has it: the default set is there.
#[test]
fn bundles_the_debian_default_set() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.cache/kernel/root/lib/modules/6.1.0-56-amd64");
    if !dir.is_dir() {
        eprintln!("SKIPPED: {} is missing", dir.display());
        return;
    }
    let s = Setup::new();
    let (code, err, files) = s.initramfs(&["--kernel-modules", &dir.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    let dep = String::from_utf8(files["lib/modules/6.1.0-56-amd64/modules.dep"].clone()).unwrap();
    for line in [
        "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n",
        "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko\n",
        "kernel/crypto/crc32c_generic.ko:\n",
    ] {
        assert!(dep.contains(line), "{line:?} not in\n{dep}");
    }
    let softdep =
        String::from_utf8(files["lib/modules/6.1.0-56-amd64/modules.softdep"].clone()).unwrap();
    assert!(
        softdep.contains("softdep ext4 pre: crypto-crc32c\n"),
        "{softdep}"
    );
}
