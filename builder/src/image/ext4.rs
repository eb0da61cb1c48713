//! The ext4 file system, made by e2fsprogs' `mke2fs -d -` from the flattened tar on stdin.
//!
//! Tar input needs e2fsprogs ≥ 1.47.1 (and libarchive at run time, which mke2fs dlopens).
//! Reproducibility (mke2fs(8)): the UUID (`-U`) and directory hash seed (`-E hash_seed=`)
//! are derived from the image digest, `E2FSPROGS_FAKE_TIME`/`SOURCE_DATE_EPOCH` fix every
//! time stamp mke2fs makes up, and our own mke2fs.conf (`MKE2FS_CONFIG`) with explicit
//! features, block size, inode size and count makes the result independent of the host's
//! /etc/mke2fs.conf. The output is a sparse file: only written blocks take space.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Context, Result};

use super::digest::Digest;
use super::flatten::Usage;
use rroot_init::io_reason;

pub const BLOCK_SIZE: u64 = 4096;
const INODE_SIZE: u64 = 256;
/// The oldest e2fsprogs whose `mke2fs -d` reads a tarball.
pub const MIN_VERSION: (u32, u32, u32) = (1, 47, 1);

/// Features of a plain modern ext4, spelled out so the host's mke2fs.conf does not matter.
/// Without orphan_file and metadata_csum_seed, which older kernels and e2fsprogs refuse.
const CONF: &str = "[defaults]
\tbase_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr
\tdefault_mntopts = acl,user_xattr
\tenable_periodic_fsck = 0
\tblocksize = 4096
\tinode_size = 256
\tinode_ratio = 16384
\treserved_ratio = 0
\tlazy_itable_init = 0
\tlazy_journal_init = 0

[fs_types]
\text4 = {
\t\tfeatures = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
\t}
";

/// `mke2fs 1.47.2 (1-Jan-2025)` → (1, 47, 2).
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let rest = text.split("mke2fs ").nth(1)?;
    let word = rest.split_whitespace().next()?;
    let mut parts = word.split('.').map(|p| {
        p.trim_end_matches(|c: char| !c.is_ascii_digit())
            .parse::<u32>()
    });
    let major = parts.next()?.ok()?;
    let minor = parts.next()?.ok()?;
    let patch = parts.next().and_then(|p| p.ok()).unwrap_or(0);
    Some((major, minor, patch))
}

/// mke2fs from `$MKE2FS`, the PATH, or /usr/sbin and /sbin (not in a user's PATH on Debian).
pub fn find_mke2fs() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("MKE2FS") {
        return Ok(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs =
        std::env::split_paths(&path).chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")]);
    for dir in dirs {
        let candidate = dir.join("mke2fs");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "mke2fs not found: install e2fsprogs {}.{}.{} or newer",
        MIN_VERSION.0,
        MIN_VERSION.1,
        MIN_VERSION.2
    )
}

/// Checks that `mke2fs` can read a tarball; says what to install when it cannot.
pub fn check_version(mke2fs: &Path) -> Result<(u32, u32, u32)> {
    let out = Command::new(mke2fs)
        .arg("-V")
        .output()
        .map_err(|e| anyhow!("{}: {}", mke2fs.display(), io_reason(&e)))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let Some(version) = parse_version(&text) else {
        bail!(
            "{}: cannot tell its version from {:?}",
            mke2fs.display(),
            text.lines().next().unwrap_or("")
        );
    };
    if version < MIN_VERSION {
        bail!(
            "{}: e2fsprogs {}.{}.{} cannot read a tar file; {}.{}.{} or newer is needed \
             (Debian 12: add `deb http://deb.debian.org/debian bookworm-backports main` to the apt sources, \
             then `apt-get install -t bookworm-backports e2fsprogs libarchive13`)",
            mke2fs.display(),
            version.0,
            version.1,
            version.2,
            MIN_VERSION.0,
            MIN_VERSION.1,
            MIN_VERSION.2
        );
    }
    Ok(version)
}

/// The file system's shape: size in bytes, inode count, journal size in MiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub bytes: u64,
    pub inodes: u64,
    pub journal_mib: u64,
}

/// Sizes the file system for `usage` with `free_percent` of it left free, or checks that a
/// requested `size` is enough. Sizes round up to whole MiB.
pub fn plan(usage: &Usage, free_percent: u32, size: Option<u64>) -> Result<Geometry> {
    if free_percent >= 90 {
        bail!("--free {free_percent}: must be below 90");
    }
    let spare = |n: u64| n + n * u64::from(free_percent) / 100;
    let inodes = spare(usage.inodes + 64).max(1024).div_ceil(32) * 32;
    let inode_blocks = inodes * INODE_SIZE / BLOCK_SIZE;
    let base = usage.data_blocks + inode_blocks;
    // mke2fs's default journal sizes (ext2fs_default_journal_size), by file system size.
    let journal_blocks = match base {
        b if b < 32 * 1024 => 1024,
        b if b < 256 * 1024 => 4096,
        b if b < 512 * 1024 => 8192,
        _ => 16384,
    };
    // Per 128 MiB block group: bitmaps, descriptors, backup superblocks, resize reserve.
    let groups = (base + journal_blocks).div_ceil(32768).max(1);
    let overhead = groups * 4 + 512 + base / 50;
    let used = base + journal_blocks + overhead;
    let total_blocks = used * 100 / (100 - u64::from(free_percent));
    let mib = |blocks: u64| (blocks * BLOCK_SIZE).div_ceil(1 << 20);
    let bytes = match size {
        Some(s) => {
            let needed = mib(used) << 20;
            if s < needed {
                bail!(
                    "--size {s}: too small, the image needs about {} MiB",
                    mib(used)
                );
            }
            s.div_ceil(BLOCK_SIZE) * BLOCK_SIZE
        }
        None => mib(total_blocks).max(16) << 20,
    };
    Ok(Geometry {
        bytes,
        inodes,
        journal_mib: (journal_blocks * BLOCK_SIZE) >> 20,
    })
}

/// `512M`, `2G`, `1048576` (binary units, as truncate(1)).
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| anyhow!("invalid size {text:?}"))?;
    let shift = match unit
        .trim_end_matches(['i', 'B'])
        .to_ascii_uppercase()
        .as_str()
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => bail!("invalid size {text:?} (use K, M, G or T)"),
    };
    n.checked_shl(shift)
        .filter(|v| v >> shift == n)
        .ok_or_else(|| anyhow!("size {text:?} is too large"))
}

/// A UUID (RFC 9562 version 4 layout) from the image digest and a purpose, so the same
/// image always gives the same UUID and hash seed while the two differ from each other.
pub fn derived_uuid(digest: &Digest, purpose: &str) -> String {
    let mut input = digest.bytes().to_vec();
    input.extend_from_slice(purpose.as_bytes());
    let mut b = Digest::of(&input).bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b[..16].iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The mke2fs command line for `geometry` writing to `image`.
pub fn mke2fs_args(
    geometry: &Geometry,
    digest: &Digest,
    label: &str,
    image: &Path,
) -> Vec<std::ffi::OsString> {
    let uuid = derived_uuid(digest, "filesystem");
    let seed = derived_uuid(digest, "hash_seed");
    let mut args: Vec<std::ffi::OsString> = [
        "-q", "-F", "-t", "ext4", "-b", "4096", "-I", "256", "-m", "0",
    ]
    .iter()
    .map(|s| s.into())
    .collect();
    args.push("-N".into());
    args.push(geometry.inodes.to_string().into());
    args.push("-J".into());
    args.push(format!("size={}", geometry.journal_mib).into());
    args.push("-U".into());
    args.push(uuid.into());
    // The file was just created by truncate: every block reads as zero already.
    args.push("-E".into());
    args.push(
        format!("hash_seed={seed},root_owner=0:0,assume_storage_prezeroed=1,nodiscard").into(),
    );
    args.push("-L".into());
    args.push(label.into());
    args.push("-d".into());
    args.push("-".into());
    args.push(image.into());
    args.push(format!("{}k", geometry.bytes / 1024).into());
    args
}

/// A file system label (16 bytes at most) from the image name: `nginx` for
/// `docker.io/library/nginx:latest`.
pub fn label_for(reference: &str) -> String {
    let base = reference.rsplit('/').next().unwrap_or(reference);
    let base = base.split(['@', ':']).next().unwrap_or(base);
    let clean: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .take(16)
        .collect();
    if clean.is_empty() {
        "rroot".to_string()
    } else {
        clean
    }
}

/// What to make: everything mke2fs needs besides the paths.
pub struct Mkfs<'a> {
    pub mke2fs: &'a Path,
    pub geometry: Geometry,
    pub digest: &'a Digest,
    pub label: String,
    /// Time stamp for everything mke2fs makes up (root, lost+found, superblock).
    pub epoch: u64,
}

/// Runs mke2fs on `image` (an existing empty file of `geometry.bytes`), feeding it the tar
/// that `write` produces. On failure the most telling line of mke2fs's stderr is the error.
pub fn make(
    job: &Mkfs,
    image: &Path,
    scratch: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let (mke2fs, geometry, digest, label) =
        (job.mke2fs, &job.geometry, job.digest, job.label.as_str());
    let conf = scratch.join("mke2fs.conf");
    std::fs::write(&conf, CONF).map_err(|e| anyhow!("{}: {}", conf.display(), io_reason(&e)))?;
    // mke2fs treats a fake time of 0 as unset.
    let epoch = job.epoch.max(1).to_string();
    let mut child = Command::new(mke2fs)
        .args(mke2fs_args(geometry, digest, label, image))
        .env("MKE2FS_CONFIG", &conf)
        .env("E2FSPROGS_FAKE_TIME", &epoch)
        .env("SOURCE_DATE_EPOCH", &epoch)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow!("{}: {}", mke2fs.display(), io_reason(&e)))?;
    let mut stderr = child.stderr.take();
    let mut stdout = child.stdout.take();
    let collector = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(e) = stderr.as_mut() {
            let _ = e.read_to_string(&mut text);
        }
        if let Some(o) = stdout.as_mut() {
            let _ = o.read_to_string(&mut text);
        }
        text
    });
    let written = match child.stdin.take() {
        Some(stdin) => {
            let mut buffered = std::io::BufWriter::with_capacity(1 << 20, stdin);
            let r = write(&mut buffered);
            r.and_then(|()| buffered.flush().context("mke2fs input"))
        }
        None => Err(anyhow!("mke2fs: no stdin")),
    };
    let status = child
        .wait()
        .map_err(|e| anyhow!("{}: {}", mke2fs.display(), io_reason(&e)))?;
    let output = collector.join().unwrap_or_default();
    // A signal stops our side first; that, not mke2fs's complaint about the cut tar, is the news.
    super::interrupt::check()?;
    if !status.success() {
        bail!("mke2fs: {}", explain(&output));
    }
    written?;
    Ok(())
}

/// The line of mke2fs output that says what went wrong, translated where we know better.
pub fn explain(output: &str) -> String {
    if output.contains("you need libarchive") {
        return "cannot read the tar input: libarchive is missing (install libarchive13)"
            .to_string();
    }
    if output.contains("Could not allocate block")
        || output.contains("No space left")
        || output.contains("Could not allocate inode")
    {
        return "disk full: the image does not fit (raise --size or --free)".to_string();
    }
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines
        .iter()
        .rev()
        .find(|l| l.contains("while") || l.contains("error") || l.contains("cannot"))
        .or(lines.last())
        .map_or_else(|| "failed".to_string(), |l| l.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let cases = [
            (
                "mke2fs 1.47.2 (1-Jan-2025)\n\tUsing EXT2FS Library version 1.47.2\n",
                Some((1, 47, 2)),
            ),
            ("mke2fs 1.47.0 (5-Feb-2023)", Some((1, 47, 0))),
            ("mke2fs 1.46.5 (30-Dec-2021)", Some((1, 46, 5))),
            ("mke2fs 1.48-WIP (x)", Some((1, 48, 0))),
            ("bash: mke2fs: command not found", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_version(text), want, "{text}");
        }
        assert!((1, 47, 0) < MIN_VERSION && (1, 47, 2) >= MIN_VERSION);
    }

    #[test]
    fn sizes() {
        let cases = [
            ("1048576", Some(1 << 20)),
            ("512M", Some(512 << 20)),
            ("2G", Some(2 << 30)),
            ("3GiB", Some(3 << 30)),
            ("1x", None),
            ("", None),
            ("99999999999T", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_size(text).ok(), want, "{text}");
        }
    }

    #[test]
    fn plan_leaves_the_requested_free_space() {
        let usage = Usage {
            data_blocks: 50_000,
            inodes: 5_000,
            content_bytes: 180 << 20,
        };
        let g20 = plan(&usage, 20, None).unwrap();
        let g50 = plan(&usage, 50, None).unwrap();
        assert!(g50.bytes > g20.bytes);
        assert_eq!(g20.bytes % (1 << 20), 0);
        // 20 % free of the whole: the data is at most 80 % of the blocks.
        assert!(usage.data_blocks * BLOCK_SIZE * 100 / g20.bytes <= 80);
        assert!(g20.inodes >= 6000);
        assert_eq!(g20.journal_mib, 16);
        let tiny = plan(
            &Usage {
                data_blocks: 10,
                inodes: 10,
                content_bytes: 1,
            },
            20,
            None,
        )
        .unwrap();
        assert_eq!((tiny.bytes, tiny.journal_mib), (16 << 20, 4));
        assert!(plan(&usage, 20, Some(1 << 20))
            .unwrap_err()
            .to_string()
            .contains("too small"));
        assert_eq!(plan(&usage, 20, Some(4 << 30)).unwrap().bytes, 4 << 30);
        assert!(plan(&usage, 95, None).is_err());
    }

    #[test]
    fn uuids_are_derived_and_distinct() {
        let d = Digest::of(b"image");
        let a = derived_uuid(&d, "filesystem");
        assert_eq!(a, derived_uuid(&d, "filesystem"));
        assert_ne!(a, derived_uuid(&d, "hash_seed"));
        assert_ne!(a, derived_uuid(&Digest::of(b"other"), "filesystem"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn labels() {
        let cases = [
            ("docker.io/library/nginx:latest", "nginx"),
            ("127.0.0.1:5000/a/b@sha256:00", "b"),
            ("oci:/tmp/x:v1", "x"),
            (
                "docker-archive:/tmp/very-long-archive-name.tar",
                "very-long-archiv",
            ),
            ("///", "rroot"),
        ];
        for (r, want) in cases {
            assert_eq!(label_for(r), want, "{r}");
        }
    }

    #[test]
    fn explain_picks_the_cause() {
        let cases = [
            ("__populate_fs_from_tar: you need libarchive to be able to process tarballs\n", "libarchive is missing"),
            ("mke2fs: Could not allocate block in ext2 filesystem while populating file system\n", "disk full"),
            ("foo\nbar while doing x\n\n", "bar while doing x"),
            ("", "failed"),
        ];
        for (out, want) in cases {
            assert!(explain(out).contains(want), "{out:?} → {}", explain(out));
        }
    }
}
