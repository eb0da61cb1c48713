//! Filesystem type, UUID and label from a device's or image file's superblock, like blkid(8)
//! for the types an initramfs meets: ext2/3/4, xfs, btrfs, vfat, exfat, iso9660, squashfs,
//! erofs, f2fs, and swap (reported so callers can refuse to mount it). Offsets and magics
//! follow the kernel's on-disk headers (fs/ext4/ext4.h, fs/xfs/libxfs/xfs_format.h, …).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Bytes read from the start of the device: enough for btrfs's superblock at 64 KiB.
pub const PROBE_LEN: usize = 0x11000;

/// What the superblock says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The kernel's name for the type (`ext4`, `vfat`, …), or `swap`.
    pub fstype: &'static str,
    /// As blkid prints it: `8-4-4-4-12` lower-case hex, `XXXX-XXXX` for FAT.
    pub uuid: Option<String>,
    pub label: Option<String>,
}

impl Probe {
    /// Does a `UUID=…` or `LABEL=…` tag (fstab, `root=`) name this filesystem?
    pub fn matches(&self, tag: &str) -> bool {
        if let Some(u) = tag.strip_prefix("UUID=") {
            self.uuid
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(u))
        } else if let Some(l) = tag.strip_prefix("LABEL=") {
            self.label.as_deref() == Some(l)
        } else {
            false
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FsTypeError {
    #[error("{}: {}", path.display(), reason(source))]
    Read { path: PathBuf, source: io::Error },
}

use crate::ioerror::io_reason as reason;

/// Probe the device or image file at `path`.
pub fn probe_path(path: &Path) -> Result<Option<Probe>, FsTypeError> {
    let read = |source| FsTypeError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(read)?;
    probe(&mut file).map_err(read)
}

/// The block device holding the filesystem a `UUID=…` or `LABEL=…` tag names (fstab, `root=`):
/// each device listed in `root/sys/class/block` is probed through `root/dev/NAME`, in name
/// order. Devices that cannot be read (an empty CD drive) are skipped.
pub fn find_by_tag(root: &Path, tag: &str) -> Option<PathBuf> {
    let mut names: Vec<_> = std::fs::read_dir(root.join("sys/class/block"))
        .ok()?
        .flatten()
        .map(|e| e.file_name())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| root.join("dev").join(name))
        .find(|dev| {
            probe_path(dev)
                .ok()
                .flatten()
                .is_some_and(|p| p.matches(tag))
        })
}

/// Probe from the start of `dev`. A device shorter than [`PROBE_LEN`] reads as zero-padded.
pub fn probe<R: Read + Seek>(dev: &mut R) -> io::Result<Option<Probe>> {
    dev.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; PROBE_LEN];
    let mut filled = 0;
    while filled < buf.len() {
        match dev.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(probe_bytes(&buf))
}

/// Probe the first bytes of a device (zero-padded to [`PROBE_LEN`] if shorter).
pub fn probe_bytes(buf: &[u8]) -> Option<Probe> {
    let mut padded;
    let b = if buf.len() < PROBE_LEN {
        padded = buf.to_vec();
        padded.resize(PROBE_LEN, 0);
        &padded[..]
    } else {
        buf
    };
    let found = |fstype, uuid, label| {
        Some(Probe {
            fstype,
            uuid,
            label,
        })
    };
    let sb = &b[1024..];
    if &b[..4] == b"hsqs" {
        return found("squashfs", None, None);
    }
    if &b[..4] == b"XFSB" {
        return found("xfs", uuid(&b[32..48]), label(&b[108..120]));
    }
    if le32(sb, 0) == 0xE0F5_E1E2 {
        return found("erofs", uuid(&sb[48..64]), label(&sb[64..80]));
    }
    if le32(sb, 0) == 0xF2F5_2010 {
        let name: Vec<u16> = sb[124..124 + 1024]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&c| c != 0)
            .collect();
        let name = String::from_utf16_lossy(&name);
        return found(
            "f2fs",
            uuid(&sb[108..124]),
            (!name.is_empty()).then_some(name),
        );
    }
    if le16(sb, 0x38) == 0xEF53 {
        return found(ext_kind(sb), uuid(&sb[0x68..0x78]), label(&sb[0x78..0x88]));
    }
    let btrfs = &b[0x10000..];
    if &btrfs[0x40..0x48] == b"_BHRfS_M" {
        return found(
            "btrfs",
            uuid(&btrfs[0x20..0x30]),
            label(&btrfs[0x12B..0x22B]),
        );
    }
    let iso = &b[0x8000..];
    if &iso[1..6] == b"CD001" {
        return found("iso9660", iso_date(&iso[813..829]), label(&iso[40..72]));
    }
    for page in [4096, 8192, 16384, 65536] {
        let magic = &b[page - 10..page];
        if magic == b"SWAPSPACE2" {
            return found("swap", uuid(&sb[12..28]), label(&sb[28..44]));
        }
        if magic == b"SWAP-SPACE" {
            return found("swap", None, None);
        }
    }
    fat(b)
}

/// ext2, ext3 or ext4, decided like blkid: features ext3 lacks mean ext4; a journal means ext3.
fn ext_kind(sb: &[u8]) -> &'static str {
    const COMPAT_HAS_JOURNAL: u32 = 0x4;
    const INCOMPAT_JOURNAL_DEV: u32 = 0x8;
    // What ext3 understands: FILETYPE, RECOVER, META_BG; SPARSE_SUPER, LARGE_FILE, BTREE_DIR.
    const EXT3_INCOMPAT: u32 = 0x2 | 0x4 | 0x10;
    const EXT3_RO_COMPAT: u32 = 0x1 | 0x2 | 0x4;
    let (compat, incompat, ro_compat) = (le32(sb, 0x5C), le32(sb, 0x60), le32(sb, 0x64));
    if incompat & INCOMPAT_JOURNAL_DEV != 0 {
        "jbd"
    } else if incompat & !EXT3_INCOMPAT != 0 || ro_compat & !EXT3_RO_COMPAT != 0 {
        "ext4"
    } else if compat & COMPAT_HAS_JOURNAL != 0 {
        "ext3"
    } else {
        "ext2"
    }
}

/// FAT12/16/32 and exFAT boot sectors (Microsoft FAT specification, exFAT specification §3.1).
fn fat(b: &[u8]) -> Option<Probe> {
    if b[510..512] != [0x55, 0xAA] {
        return None;
    }
    let serial = |off| {
        let id = le32(b, off);
        Some(format!("{:04X}-{:04X}", id >> 16, id & 0xFFFF))
    };
    if &b[3..11] == b"EXFAT   " {
        return Some(Probe {
            fstype: "exfat",
            uuid: serial(100),
            label: None,
        });
    }
    let sector = le16(b, 11);
    if !(b[0] == 0xEB || b[0] == 0xE9)
        || !(512..=4096).contains(&sector)
        || !sector.is_power_of_two()
    {
        return None;
    }
    let (id, name) = if &b[82..87] == b"FAT32" {
        (67, 71)
    } else if &b[54..57] == b"FAT" {
        (39, 43)
    } else {
        return None;
    };
    Some(Probe {
        fstype: "vfat",
        uuid: serial(id),
        label: label(&b[name..name + 11]).filter(|l| l != "NO NAME"),
    })
}

fn le16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// 16 bytes as `8-4-4-4-12` hex; all zeros means "no UUID".
fn uuid(b: &[u8]) -> Option<String> {
    if b.iter().all(|&x| x == 0) {
        return None;
    }
    let mut s = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{x:02x}"));
    }
    Some(s)
}

/// A fixed-size name field: up to the first NUL, trailing spaces dropped; empty means none.
fn label(b: &[u8]) -> Option<String> {
    let end = b.iter().position(|&x| x == 0).unwrap_or(b.len());
    let s = String::from_utf8_lossy(&b[..end]).trim_end().to_string();
    (!s.is_empty()).then_some(s)
}

/// blkid's iso9660 UUID: the volume creation time `YYYYMMDDHHMMSScc` as `YYYY-MM-DD-HH-MM-SS-cc`.
fn iso_date(b: &[u8]) -> Option<String> {
    if !b.iter().all(u8::is_ascii_digit) || b.iter().all(|&d| d == b'0') {
        return None;
    }
    let mut s = String::new();
    for (i, &d) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10 | 12 | 14) {
            s.push('-');
        }
        s.push(char::from(d));
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: [u8; 16] = [
        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
        0xef,
    ];
    const UUID_TEXT: &str = "12345678-9abc-def0-0123-456789abcdef";

    fn image(writes: &[(usize, &[u8])]) -> Vec<u8> {
        let mut b = vec![0u8; PROBE_LEN];
        for &(off, bytes) in writes {
            b[off..off + bytes.len()].copy_from_slice(bytes);
        }
        b
    }

    fn ext(compat: u32, incompat: u32, ro: u32) -> Vec<u8> {
        image(&[
            (1024 + 0x38, &[0x53, 0xEF]),
            (1024 + 0x5C, &compat.to_le_bytes()),
            (1024 + 0x60, &incompat.to_le_bytes()),
            (1024 + 0x64, &ro.to_le_bytes()),
            (1024 + 0x68, &UUID),
            (1024 + 0x78, b"rootfs"),
        ])
    }

    fn fat_boot(label_at: usize, fat_at: usize, fat: &[u8], id_at: usize) -> Vec<u8> {
        image(&[
            (0, &[0xEB, 0x58, 0x90]),
            (11, &512u16.to_le_bytes()),
            (id_at, &0x1234_ABCDu32.to_le_bytes()),
            (label_at, b"EFI        "),
            (fat_at, fat),
            (510, &[0x55, 0xAA]),
        ])
    }

    #[test]
    fn probe_table() {
        let utf16: Vec<u8> = "data".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let s = |x: &str| Some(x.to_string());
        let cases: Vec<(&str, Vec<u8>, Option<Probe>)> = vec![
            ("zeros", image(&[]), None),
            (
                "ext2",
                ext(0, 0x2, 0x3),
                found("ext2", s(UUID_TEXT), s("rootfs")),
            ),
            (
                "ext3",
                ext(0x4, 0x2, 0x3),
                found("ext3", s(UUID_TEXT), s("rootfs")),
            ),
            (
                "ext4 extents",
                ext(0x4, 0x2 | 0x40, 0x3),
                found("ext4", s(UUID_TEXT), s("rootfs")),
            ),
            (
                "ext4 metadata_csum",
                ext(0x4, 0x2, 0x400),
                found("ext4", s(UUID_TEXT), s("rootfs")),
            ),
            (
                "ext4 no journal",
                ext(0, 0x40 | 0x200, 0),
                found("ext4", s(UUID_TEXT), s("rootfs")),
            ),
            (
                "jbd",
                ext(0, 0x8, 0),
                found("jbd", s(UUID_TEXT), s("rootfs")),
            ),
            (
                "xfs",
                image(&[(0, b"XFSB"), (32, &UUID), (108, b"scratch\0\0\0\0\0")]),
                found("xfs", s(UUID_TEXT), s("scratch")),
            ),
            (
                "btrfs",
                image(&[(0x10040, b"_BHRfS_M"), (0x10020, &UUID), (0x1012B, b"pool")]),
                found("btrfs", s(UUID_TEXT), s("pool")),
            ),
            (
                "squashfs",
                image(&[(0, b"hsqs")]),
                found("squashfs", None, None),
            ),
            (
                "erofs",
                image(&[
                    (1024, &0xE0F5_E1E2u32.to_le_bytes()),
                    (1024 + 48, &UUID),
                    (1024 + 64, b"ro"),
                ]),
                found("erofs", s(UUID_TEXT), s("ro")),
            ),
            (
                "f2fs",
                image(&[
                    (1024, &0xF2F5_2010u32.to_le_bytes()),
                    (1024 + 108, &UUID),
                    (1024 + 124, &utf16),
                ]),
                found("f2fs", s(UUID_TEXT), s("data")),
            ),
            (
                "iso9660",
                image(&[
                    (0x8001, b"CD001"),
                    (0x8028, b"DEBIAN 12                       "),
                    (0x8000 + 813, b"2024061012301500"),
                ]),
                found("iso9660", s("2024-06-10-12-30-15-00"), s("DEBIAN 12")),
            ),
            (
                "swap 4k",
                image(&[
                    (4086, b"SWAPSPACE2"),
                    (1024 + 12, &UUID),
                    (1024 + 28, b"swap0"),
                ]),
                found("swap", s(UUID_TEXT), s("swap0")),
            ),
            (
                "swap 64k old",
                image(&[(65526, b"SWAP-SPACE")]),
                found("swap", None, None),
            ),
            (
                "vfat32",
                fat_boot(71, 82, b"FAT32   ", 67),
                found("vfat", s("1234-ABCD"), s("EFI")),
            ),
            (
                "vfat16",
                fat_boot(43, 54, b"FAT16   ", 39),
                found("vfat", s("1234-ABCD"), s("EFI")),
            ),
            (
                "mbr, no fat",
                image(&[(0, &[0xEB]), (11, &[0, 2]), (510, &[0x55, 0xAA])]),
                None,
            ),
            (
                "exfat",
                image(&[
                    (3, b"EXFAT   "),
                    (100, &0x1234_ABCDu32.to_le_bytes()),
                    (510, &[0x55, 0xAA]),
                ]),
                found("exfat", s("1234-ABCD"), None),
            ),
        ];
        for (name, img, want) in cases {
            assert_eq!(probe_bytes(&img), want, "{name}");
        }
    }

    fn found(fstype: &'static str, uuid: Option<String>, label: Option<String>) -> Option<Probe> {
        Some(Probe {
            fstype,
            uuid,
            label,
        })
    }

    #[test]
    fn short_input_is_padded() {
        assert_eq!(probe_bytes(b"hsqs").map(|p| p.fstype), Some("squashfs"));
        assert_eq!(probe_bytes(&[]), None);
        let mut cur = io::Cursor::new(ext(0x4, 0x2, 0)[..2048].to_vec());
        assert_eq!(
            probe(&mut cur).ok().flatten().map(|p| p.fstype),
            Some("ext3")
        );
    }

    #[test]
    fn probe_path_reads_files_and_names_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let img = dir.path().join("root.img");
        std::fs::write(&img, ext(0x4, 0x2c0, 0x400)).expect("write");
        let p = probe_path(&img).expect("probe").expect("found");
        assert_eq!(p.fstype, "ext4");
        let missing = dir.path().join("missing");
        let err = probe_path(&missing).expect_err("missing").to_string();
        assert_eq!(
            err,
            format!("{}: No such file or directory", missing.display())
        );
    }

    #[test]
    fn find_by_tag_searches_block_devices() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for name in ["sr0", "vda", "vda1", "vdb"] {
            std::fs::create_dir_all(root.join("sys/class/block").join(name)).expect("mkdir");
        }
        std::fs::create_dir_all(root.join("dev")).expect("mkdir");
        // sr0 has no device node (unreadable), vda is a bare disk, vda1 and vdb hold ext.
        std::fs::write(root.join("dev/vda"), [0u8; 512]).expect("write");
        std::fs::write(root.join("dev/vda1"), ext(0x4, 0x2, 0)).expect("write");
        let mut other = ext(0, 0x2, 0);
        other[1024 + 0x78..1024 + 0x7e].copy_from_slice(b"backup");
        other[1024 + 0x68] = 0xff;
        std::fs::write(root.join("dev/vdb"), other).expect("write");
        let cases = [
            ("LABEL=rootfs", Some("dev/vda1")),
            (&*format!("UUID={UUID_TEXT}"), Some("dev/vda1")),
            ("LABEL=backup", Some("dev/vdb")),
            ("LABEL=missing", None),
            ("/dev/vda1", None),
        ];
        for (tag, want) in cases {
            assert_eq!(find_by_tag(root, tag), want.map(|w| root.join(w)), "{tag}");
        }
        assert_eq!(find_by_tag(&root.join("nothing"), "LABEL=rootfs"), None);
    }

    #[test]
    fn matches_tags() {
        let p = Probe {
            fstype: "ext4",
            uuid: Some(UUID_TEXT.into()),
            label: Some("root".into()),
        };
        let cases = [
            ("UUID=12345678-9abc-def0-0123-456789abcdef", true),
            ("UUID=12345678-9ABC-DEF0-0123-456789ABCDEF", true),
            ("UUID=00000000-9abc-def0-0123-456789abcdef", false),
            ("LABEL=root", true),
            ("LABEL=Root", false),
            ("PARTUUID=12345678-01", false),
            ("/dev/vda", false),
        ];
        for (tag, want) in cases {
            assert_eq!(p.matches(tag), want, "{tag}");
        }
    }
}
