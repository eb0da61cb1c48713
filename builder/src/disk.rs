//! `rroot disk IMAGE`: a container image as an ext4 root disk, without Docker and without root.
//!
//! Resolve the reference (registry, `oci:DIR[:TAG]`, `docker-archive:FILE`,
//! `docker-daemon:NAME`), fetch and verify the blobs (cached by digest), flatten the layers
//! into one tar stream and let `mke2fs -d -` build the file system from it.
//!
//! The disk holds the image config at `/.rroot/config.json` (see [`guest_config`]); that
//! file alone tells init what to run. The output appears only when complete: it is built
//! as a temporary file next to `-o` and renamed.

#[path = "image/mod.rs"]
mod image;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, Context, Result};

use image::progress::{human_bytes, Progress};
use image::reference::{ImageRef, Platform};
use image::{cache::BlobCache, ext4, flatten, ResolvedImage};

#[derive(clap::Args)]
#[command(
    after_help = "The disk holds the image's root file system and, at /.rroot/config.json, \
the image config (Entrypoint, Cmd, Env, WorkingDir, User, StopSignal, ExposedPorts) with the \
reference and digest. Blobs are cached in $XDG_CACHE_HOME/rroot (~/.cache/rroot). \
Needs e2fsprogs >= 1.47.1 and libarchive."
)]
pub struct Args {
    /// nginx, host:port/repo:tag, repo@sha256:…, oci:DIR[:TAG], docker-archive:FILE[:NAME], docker-daemon:NAME
    pub image: String,
    /// Where to write the disk image.
    #[arg(short, long, value_name = "FILE", default_value = "out/disk.img")]
    pub output: PathBuf,
    /// Image for this platform from a multi-platform index.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value = "linux/amd64")]
    pub platform: String,
    /// Free space to leave, in percent of the file system.
    #[arg(long, value_name = "PERCENT", default_value_t = 20)]
    pub free: u32,
    /// File system size instead of the automatic one (e.g. 512M, 2G).
    #[arg(long, value_name = "SIZE")]
    pub size: Option<String>,
    /// Registry credentials USER:PASSWORD (else REGISTRY_AUTH, else ~/.docker/config.json).
    #[arg(long, value_name = "USER:PASSWORD")]
    pub creds: Option<String>,
    /// Accept the registry's certificate unchecked, or plain HTTP (loopback registries are always HTTP).
    #[arg(long)]
    pub insecure: bool,
    /// No progress output.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Errors read `disk: nginx:nope: manifest unknown` (main adds the program name).
pub fn run(args: Args) -> Result<()> {
    build(args).context("disk")
}

fn build(args: Args) -> Result<()> {
    image::interrupt::install().context("installing signal handlers")?;
    let progress = if args.quiet {
        Progress::quiet()
    } else {
        Progress::detect()
    };
    let start = Instant::now();
    let reference = ImageRef::parse(&args.image).with_context(|| args.image.clone())?;
    let platform = Platform::parse(&args.platform).context("--platform")?;
    let size = args
        .size
        .as_deref()
        .map(ext4::parse_size)
        .transpose()
        .context("--size")?;
    let mke2fs = ext4::find_mke2fs()?;
    ext4::check_version(&mke2fs)?;

    let image =
        resolve(&reference, &args, &platform, &progress).with_context(|| args.image.clone())?;
    progress.log(&format!(
        "{} is {}, {} layers",
        image.reference,
        image.digest,
        image.layers.len()
    ));

    let out_dir = match args.output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&out_dir).map_err(|e| io_error(&out_dir, &e))?;
    let scratch = tempfile::Builder::new()
        .prefix(".rroot-disk-")
        .tempdir_in(&out_dir)
        .map_err(|e| io_error(&out_dir, &e))?;

    let scan = flatten::scan(&image.layers, scratch.path(), &progress)
        .with_context(|| args.image.clone())?;
    let mut tree = scan.tree;
    let epoch = build_epoch(&image.config);
    tree.finish(guest_config(&image)?, epoch);
    let usage = tree.usage();
    let geometry = ext4::plan(&usage, args.free, size)?;
    progress.log(&format!(
        "{} in {} inodes, file system {}",
        human_bytes(usage.content_bytes),
        usage.inodes,
        human_bytes(geometry.bytes)
    ));

    let tmp = tempfile::Builder::new()
        .prefix(".disk-")
        .suffix(".img.partial")
        .tempfile_in(&out_dir)
        .map_err(|e| io_error(&out_dir, &e))?;
    // tempfile creates 0600; a disk image is an ordinary output file.
    set_mode(tmp.path(), 0o644)?;
    // A sparse file of the final size: mke2fs writes only the blocks it uses.
    tmp.as_file()
        .set_len(geometry.bytes)
        .map_err(|e| io_error(tmp.path(), &e))?;
    let mut bar = progress.bytes("wrote file system", usage.content_bytes);
    let job = ext4::Mkfs {
        mke2fs: &mke2fs,
        geometry,
        digest: &image.digest,
        label: ext4::label_for(&image.reference),
        epoch,
    };
    ext4::make(&job, tmp.path(), scratch.path(), &mut |out| {
        tree.write_tar(&scan.sources, out, &mut |n| bar.inc(n))
    })
    .with_context(|| args.output.display().to_string())?;
    bar.finish();
    tmp.persist(&args.output)
        .map_err(|e| io_error(&args.output, &e.error))?;
    progress.log(&format!(
        "wrote {} in {:.1} s",
        args.output.display(),
        start.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| io_error(path, &e))
}

fn io_error(path: &Path, e: &std::io::Error) -> anyhow::Error {
    anyhow!("{}: {}", path.display(), rroot_init::io_reason(e))
}

fn resolve(
    reference: &ImageRef,
    args: &Args,
    platform: &Platform,
    progress: &Progress,
) -> Result<ResolvedImage> {
    let display = reference.to_string();
    match reference {
        ImageRef::Registry(r) => {
            let cache = BlobCache::from_env()?;
            let options = image::registry::FetchOptions {
                platform: platform.clone(),
                insecure: args.insecure,
                credentials: image::auth::lookup(args.creds.as_deref(), &r.registry)?,
            };
            image::registry::fetch(r, &options, &cache, progress)
        }
        ImageRef::OciLayout { dir, tag } => {
            image::layout::resolve(dir, tag.as_deref(), platform, display)
        }
        ImageRef::DockerArchive { file, name } => {
            image::docker_archive::resolve(file, name.as_deref(), display)
        }
        ImageRef::DockerDaemon { name } => image::docker_archive::from_daemon(name, display),
    }
}

/// `/.rroot/config.json`, the contract with init: a JSON object with
/// - `reference`: the image as resolved (`docker.io/library/nginx:latest`),
/// - `digest`: the manifest digest (the config digest for `docker save` archives),
/// - `config`: the image config's `config` object verbatim (image-spec config.md:
///   `Entrypoint`, `Cmd`, `Env`, `WorkingDir`, `User`, `StopSignal`, `ExposedPorts`, …;
///   `{}` when the image has none),
/// - `os`, `architecture`: from the image config.
///
/// Keys are sorted and the text ends with a newline, so equal images give equal bytes.
pub fn guest_config(image: &ResolvedImage) -> Result<Vec<u8>> {
    let raw: serde_json::Value =
        serde_json::from_slice(&image.config).context("image config: invalid JSON")?;
    let field = |k: &str| raw.get(k).cloned().unwrap_or(serde_json::Value::Null);
    let config = match raw.get("config") {
        Some(serde_json::Value::Object(o)) => serde_json::Value::Object(o.clone()),
        _ => serde_json::json!({}),
    };
    let doc = serde_json::json!({
        "reference": image.reference,
        "digest": image.digest.to_string(),
        "config": config,
        "os": field("os"),
        "architecture": field("architecture"),
    });
    let mut text = serde_json::to_vec_pretty(&doc).context("encoding /.rroot/config.json")?;
    text.push(b'\n');
    Ok(text)
}

/// The time stamp for everything mke2fs and we make up: `SOURCE_DATE_EPOCH` if set, else
/// the image's `created` time, else the epoch.
fn build_epoch(config: &[u8]) -> u64 {
    if let Some(v) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
    {
        return v;
    }
    serde_json::from_slice::<serde_json::Value>(config)
        .ok()
        .and_then(|v| {
            v.get("created")
                .and_then(|c| c.as_str())
                .and_then(parse_rfc3339)
        })
        .unwrap_or(0)
}

/// Seconds since the epoch of an RFC 3339 UTC-or-offset time (`2024-05-01T12:00:00.5Z`).
fn parse_rfc3339(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let oh = rest.get(1..3)?.parse::<i64>().ok()?;
            let om = rest.get(4..6)?.parse::<i64>().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    u64::try_from(days * 86400 + h * 3600 + mi * 60 + s - offset).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn rfc3339_table() {
        let cases = [
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2024-05-01T12:00:00Z", Some(1714564800)),
            ("2024-05-01T12:00:00.123456789Z", Some(1714564800)),
            ("2024-05-01T14:00:00+02:00", Some(1714564800)),
            ("2000-02-29T00:00:00Z", Some(951782400)),
            ("yesterday", None),
            ("1969-12-31T23:59:59Z", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_rfc3339(text), want, "{text}");
        }
    }

    #[test]
    fn guest_config_keeps_the_config_object() {
        let config = br#"{"architecture":"amd64","os":"linux","config":{"Cmd":["nginx","-g","daemon off;"],"Entrypoint":["/docker-entrypoint.sh"],"StopSignal":"SIGQUIT","ExposedPorts":{"80/tcp":{}}},"rootfs":{"type":"layers","diff_ids":[]}}"#;
        let image = ResolvedImage {
            reference: "docker.io/library/nginx:latest".into(),
            digest: image::digest::Digest::of(b"m"),
            config: config.to_vec(),
            layers: vec![],
            scratch: None,
        };
        let out: serde_json::Value =
            serde_json::from_slice(&guest_config(&image).unwrap()).unwrap();
        assert_eq!(out["config"]["Entrypoint"][0], "/docker-entrypoint.sh");
        assert_eq!(out["config"]["StopSignal"], "SIGQUIT");
        assert_eq!(
            out["config"]["ExposedPorts"]["80/tcp"],
            serde_json::json!({})
        );
        assert_eq!(out["reference"], "docker.io/library/nginx:latest");
        assert_eq!(out["digest"], image.digest.to_string());
        assert_eq!(out["os"], "linux");
        let empty = ResolvedImage {
            config: b"{}".to_vec(),
            ..image
        };
        let out: serde_json::Value =
            serde_json::from_slice(&guest_config(&empty).unwrap()).unwrap();
        assert_eq!(out["config"], serde_json::json!({}));
    }
}
