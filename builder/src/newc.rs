//! Write a [`Tree`] as a newc ("070701", SVR4 without CRC) cpio archive, the format the
//! kernel unpacks into its rootfs (Documentation/driver-api/early-userspace/buffer-format.rst).
//!
//! Reproducible by construction: entries in the tree's sorted order, inode numbers
//! sequential in that order starting at 1, uid/gid 0, one mtime for every entry,
//! device numbers of the archive's own files 0. Headers come from the `cpio` crate; this
//! module makes sure each entry's data is exactly as long as its header says, because
//! `cpio::newc::Writer::finish` silently leaves the padding out otherwise.

use std::fs::File;
use std::io::{self, Read, Write};

use anyhow::{anyhow, Context, Result};
use cpio::newc::{Builder, ModeFileType};

use crate::tree::{FileSource, Node, NodeKind, Origin, Tree};
use rroot_init::io_reason;

/// Write every entry of `tree` and the `TRAILER!!!` to `out`; `mtime` goes into every header.
pub fn write_archive<W: Write>(tree: &Tree, mtime: u32, mut out: W) -> Result<W> {
    for (index, (path, node)) in tree.iter().enumerate() {
        let ino = u32::try_from(index + 1).context("too many archive entries")?;
        let nlink = match node.kind {
            NodeKind::Dir => 2 + u32::try_from(tree.subdir_count(path)).unwrap_or(u32::MAX),
            _ => 1,
        };
        let header = header(path, node, ino, nlink, mtime);
        out = write_entry(out, header, path, node)?;
    }
    cpio::newc::trailer(out).context("writing the archive trailer")
}

fn header(path: &str, node: &Node, ino: u32, nlink: u32, mtime: u32) -> Builder {
    let (file_type, rdev) = match node.kind {
        NodeKind::Dir => (ModeFileType::Directory, (0, 0)),
        NodeKind::File(_) => (ModeFileType::Regular, (0, 0)),
        NodeKind::Symlink(_) => (ModeFileType::Symlink, (0, 0)),
        NodeKind::CharDev { major, minor } => (ModeFileType::Char, (major, minor)),
        NodeKind::BlockDev { major, minor } => (ModeFileType::Block, (major, minor)),
        NodeKind::Fifo => (ModeFileType::Fifo, (0, 0)),
    };
    Builder::new(path)
        .ino(ino)
        .mode(node.perm & 0o7777)
        .set_mode_file_type(file_type)
        .uid(0)
        .gid(0)
        .nlink(nlink)
        .mtime(mtime)
        .rdev_major(rdev.0)
        .rdev_minor(rdev.1)
}

fn write_entry<W: Write>(out: W, header: Builder, path: &str, node: &Node) -> Result<W> {
    match &node.kind {
        NodeKind::File(FileSource::Host(src)) => {
            let describe = || match &node.origin {
                Origin::User(arg) => format!("{arg}: {}", src.display()),
                _ => src.display().to_string(),
            };
            let mut file =
                File::open(src).map_err(|e| anyhow!("{}: {}", describe(), io_reason(&e)))?;
            let len = file
                .metadata()
                .map_err(|e| anyhow!("{}: {}", describe(), io_reason(&e)))?
                .len();
            let len32 = u32::try_from(len).map_err(|_| {
                anyhow!(
                    "{}: larger than the 4 GiB a newc entry can hold",
                    describe()
                )
            })?;
            write_data(out, header, len32, &mut file).map_err(|e| match e {
                DataError::Read(e) => anyhow!("{}: {}", describe(), io_reason(&e)),
                DataError::Length(got) => anyhow!(
                    "{}: file changed while archiving (expected {len} bytes, read {got})",
                    describe()
                ),
                DataError::Write(e) => anyhow!("writing /{path}: {}", io_reason(&e)),
            })
        }
        NodeKind::File(FileSource::Bytes(data)) => write_bytes(out, header, path, data),
        NodeKind::Symlink(target) => write_bytes(out, header, path, target.as_bytes()),
        NodeKind::Dir | NodeKind::CharDev { .. } | NodeKind::BlockDev { .. } | NodeKind::Fifo => {
            write_bytes(out, header, path, &[])
        }
    }
}

fn write_bytes<W: Write>(out: W, header: Builder, path: &str, data: &[u8]) -> Result<W> {
    let len = u32::try_from(data.len()).context("generated entry too large")?;
    write_data(out, header, len, &mut &data[..]).map_err(|e| match e {
        DataError::Read(e) | DataError::Write(e) => anyhow!("writing /{path}: {}", io_reason(&e)),
        DataError::Length(got) => anyhow!("writing /{path}: wrote {got} of {len} bytes"),
    })
}

enum DataError {
    Read(io::Error),
    Write(io::Error),
    /// The source ended early or had more data than announced: bytes actually available.
    Length(u64),
}

/// Header, exactly `len` bytes from `src` (which must then be at EOF), padding.
fn write_data<W: Write, R: Read>(
    out: W,
    header: Builder,
    len: u32,
    src: &mut R,
) -> Result<W, DataError> {
    let mut writer = header.write(out, len);
    let mut copied: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(DataError::Read(e)),
        };
        copied += n as u64;
        if copied > u64::from(len) {
            return Err(DataError::Length(copied));
        }
        writer.write_all(&buf[..n]).map_err(DataError::Write)?;
    }
    if copied != u64::from(len) {
        return Err(DataError::Length(copied));
    }
    writer.finish().map_err(DataError::Write)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;
    use std::io::Cursor;

    fn node(kind: NodeKind, perm: u32) -> Node {
        Node {
            kind,
            perm,
            origin: Origin::Skeleton,
        }
    }

    #[test]
    fn header_bytes_of_a_known_entry() {
        let mut tree = Tree::new();
        let data = FileSource::Bytes(b"hello".to_vec());
        tree.insert("etc/motd", node(NodeKind::File(data), 0o644))
            .unwrap();
        let out = write_archive(&tree, 0x5f5e1000, Vec::new()).unwrap();
        // Entry 1: the parent directory `etc`, created by insert: ino 1, mode 040755, nlink 2.
        let etc = concat!(
            "070701",
            "00000001",
            "000041ed",
            "00000000",
            "00000000",
            "00000002",
            "5f5e1000",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000004",
            "00000000",
            "etc\0\0\0"
        );
        // Entry 2: the file, ino 2, 0100644, 5 bytes; name "etc/motd\0" (9) pads 110+9 to 120.
        let motd = concat!(
            "070701",
            "00000002",
            "000081a4",
            "00000000",
            "00000000",
            "00000001",
            "5f5e1000",
            "00000005",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000009",
            "00000000",
            "etc/motd\0\0"
        );
        let mut want = Vec::new();
        want.extend_from_slice(etc.as_bytes());
        assert_eq!(want.len() % 4, 0);
        want.extend_from_slice(motd.as_bytes());
        assert_eq!(want.len() % 4, 0);
        want.extend_from_slice(b"hello\0\0\0");
        let trailer = concat!(
            "070701",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000001",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "00000000",
            "0000000b",
            "00000000",
            "TRAILER!!!\0\0\0\0"
        );
        want.extend_from_slice(trailer.as_bytes());
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&want)
        );
        assert_eq!(out.len() % 4, 0);
    }

    #[test]
    fn special_entries_read_back() {
        let mut tree = Tree::new();
        tree.insert(
            "dev/console",
            node(NodeKind::CharDev { major: 5, minor: 1 }, 0o600),
        )
        .unwrap();
        tree.insert(
            "dev/sda",
            node(NodeKind::BlockDev { major: 8, minor: 0 }, 0o660),
        )
        .unwrap();
        tree.insert("bin/ls", node(NodeKind::Symlink("rbox".into()), 0o777))
            .unwrap();
        tree.insert("tmp", node(NodeKind::Dir, 0o1777)).unwrap();
        let out = write_archive(&tree, 0, Vec::new()).unwrap();

        let mut input = Cursor::new(out);
        let mut seen = Vec::new();
        loop {
            let mut reader = cpio::NewcReader::new(input).unwrap();
            let e = reader.entry().clone();
            if e.is_trailer() {
                break;
            }
            let mut data = Vec::new();
            reader.read_to_end(&mut data).unwrap();
            seen.push((
                e.name().to_string(),
                e.ino(),
                format!("{:o}", e.mode()),
                e.nlink(),
                (e.rdev_major(), e.rdev_minor()),
                String::from_utf8(data).unwrap(),
            ));
            input = reader.finish().unwrap();
        }
        let want = [
            ("bin", 1, "40755", 2, (0, 0), ""),
            ("bin/ls", 2, "120777", 1, (0, 0), "rbox"),
            ("dev", 3, "40755", 2, (0, 0), ""),
            ("dev/console", 4, "20600", 1, (5, 1), ""),
            ("dev/sda", 5, "60660", 1, (8, 0), ""),
            ("tmp", 6, "41777", 2, (0, 0), ""),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(n, i, m, l, r, d)| (n.to_string(), *i, m.to_string(), *l, *r, d.to_string()))
            .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn data_length_is_enforced() {
        let cases: [(&[u8], u32, Option<u64>); 4] = [
            (b"abcd", 4, None),
            (b"", 0, None),
            (b"abc", 4, Some(3)),   // source shorter than announced
            (b"abcde", 4, Some(5)), // source longer than announced
        ];
        for (data, len, want_err) in cases {
            let result = write_data(Vec::new(), Builder::new("f"), len, &mut &data[..]);
            match (result, want_err) {
                (Ok(out), None) => assert_eq!(out.len() % 4, 0),
                (Err(DataError::Length(got)), Some(want)) => assert_eq!(got, want),
                (Ok(_), Some(_)) => panic!("{data:?}/{len}: accepted a wrong length"),
                (Err(_), _) => panic!("{data:?}/{len}: unexpected error"),
            }
        }
    }

    #[test]
    fn host_files_are_copied_and_missing_ones_named() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("data");
        std::fs::write(&src, b"0123456789").unwrap();
        let mut tree = Tree::new();
        let origin = Origin::User("--files x".into());
        let file = |p: &std::path::Path| Node {
            kind: NodeKind::File(FileSource::Host(p.to_path_buf())),
            perm: 0o755,
            origin: origin.clone(),
        };
        tree.insert("data", file(&src)).unwrap();
        let out = write_archive(&tree, 0, Vec::new()).unwrap();
        let mut reader = cpio::NewcReader::new(Cursor::new(out)).unwrap();
        assert_eq!(reader.entry().mode(), 0o100755);
        let mut data = Vec::new();
        reader.read_to_end(&mut data).unwrap();
        assert_eq!(data, b"0123456789");

        let gone = dir.path().join("gone");
        tree.insert("gone", file(&gone)).unwrap();
        let err = write_archive(&tree, 0, Vec::new()).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            format!("--files x: {}: No such file or directory", gone.display())
        );
    }
}
