//! `rroot disk` end to end on synthetic images built here: OCI layouts, `docker save`
//! archives and a registry on loopback (a small HTTP server in the test). The disks are
//! checked with e2fsprogs (`e2fsck -fn`, `debugfs`), as a user would.
//!
//! Needs e2fsprogs ≥ 1.47.1 with libarchive; without them the tests say so and skip.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use sha2::{Digest as _, Sha256};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn sbin(tool: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        let p = Path::new(dir).join(tool);
        if p.is_file() {
            return p;
        }
    }
    PathBuf::from(tool)
}

/// True when this host's mke2fs reads tarballs; otherwise says why the test is skipped.
fn have_e2fsprogs() -> bool {
    let ok = Command::new(sbin("mke2fs"))
        .arg("-V")
        .output()
        .is_ok_and(|o| {
            let text = String::from_utf8_lossy(&o.stderr).to_string();
            let v: Vec<u32> = text
                .split_whitespace()
                .nth(1)
                .unwrap_or("0")
                .split('.')
                .map(|p| p.parse().unwrap_or(0))
                .collect();
            v >= vec![1, 47, 1]
        });
    if !ok {
        eprintln!(
            "SKIPPED: needs e2fsprogs >= 1.47.1 (Debian: bookworm-backports) and libarchive13"
        );
    }
    ok
}

/// One entry of a synthetic layer.
#[derive(Clone)]
enum E {
    Dir(&'static str, u32),
    File(&'static str, &'static str),
    Owned(&'static str, &'static str, u64, u64),
    Mode(&'static str, &'static str, u32),
    Cap(&'static str, &'static [u8]),
    Link(&'static str, &'static str),
    Sym(&'static str, &'static str),
    Char(&'static str, u32, u32),
    Fifo(&'static str),
    Raw(&'static str, &'static str),
}

fn pax(key: &str, value: &[u8]) -> Vec<u8> {
    let body = key.len() + value.len() + 3;
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    [
        len.to_string().as_bytes(),
        b" ",
        key.as_bytes(),
        b"=",
        value,
        b"\n",
    ]
    .concat()
}

fn layer(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_600_000_000);
        let (path, body): (&str, &[u8]) = match e {
            E::Dir(p, mode) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(*mode);
                (p, b"")
            }
            E::File(p, c) | E::Raw(p, c) => (p, c.as_bytes()),
            E::Owned(p, c, uid, gid) => {
                h.set_uid(*uid);
                h.set_gid(*gid);
                (p, c.as_bytes())
            }
            E::Mode(p, c, mode) => {
                h.set_mode(*mode);
                (p, c.as_bytes())
            }
            E::Cap(p, cap) => {
                let records = pax("SCHILY.xattr.security.capability", cap);
                let mut x = tar::Header::new_ustar();
                x.set_entry_type(tar::EntryType::XHeader);
                x.set_size(records.len() as u64);
                x.set_cksum();
                b.append(&x, &records[..]).unwrap();
                h.set_mode(0o755);
                (p, b"\x7fELF")
            }
            E::Link(p, t) | E::Sym(p, t) => {
                h.set_entry_type(if matches!(e, E::Link(..)) {
                    tar::EntryType::Link
                } else {
                    tar::EntryType::Symlink
                });
                h.as_old_mut().linkname[..t.len()].copy_from_slice(t.as_bytes());
                (p, b"")
            }
            E::Char(p, ma, mi) => {
                h.set_entry_type(tar::EntryType::Char);
                h.set_device_major(*ma).unwrap();
                h.set_device_minor(*mi).unwrap();
                (p, b"")
            }
            E::Fifo(p) => {
                h.set_entry_type(tar::EntryType::Fifo);
                (p, b"")
            }
        };
        append(&mut b, &mut h, path, body);
    }
    b.into_inner().unwrap()
}

/// Appends an entry named exactly `path` (a PAX `path` record when it is long).
fn append(b: &mut tar::Builder<Vec<u8>>, h: &mut tar::Header, path: &str, body: &[u8]) {
    if path.len() > 99 {
        let records = pax("path", path.as_bytes());
        let mut x = tar::Header::new_ustar();
        x.set_entry_type(tar::EntryType::XHeader);
        x.set_size(records.len() as u64);
        x.set_cksum();
        b.append(&x, &records[..]).unwrap();
    } else {
        h.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
    }
    h.set_size(body.len() as u64);
    h.set_cksum();
    b.append(h, body).unwrap();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

const CAP_NET_RAW: &[u8] = &[
    1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
const LONG: &str = "usr/share/a-directory-with-a-rather-long-name/and-another-fairly-long-component/file-name-past-100-bytes";

/// Two layers exercising what a real image has: whiteouts, links, devices, owners, xattrs.
fn nginx_like_layers() -> Vec<Vec<u8>> {
    vec![
        layer(&[
            E::Dir("bin", 0o755),
            E::Dir("etc", 0o755),
            E::File("etc/os-release", "ID=debian\n"),
            E::File("etc/removed", "gone\n"),
            E::Dir("var/cache/old", 0o755),
            E::File("var/cache/old/x", "x"),
            E::Owned("home/user/.profile", "PS1=x\n", 1000, 1000),
            E::Mode("usr/bin/passwd", "suid", 0o4755),
            E::Dir("scratch", 0o1777),
            E::Cap("bin/ping", CAP_NET_RAW),
            E::File("usr/lib/libc.so.6", "libc"),
            E::Sym("lib", "usr/lib"),
            E::Char("dev/null", 1, 3),
            E::Fifo("run/initctl"),
            E::File(LONG, "long\n"),
            E::File(".dockerenv", ""),
        ]),
        layer(&[
            E::File("etc/.wh.removed", ""),
            E::Dir("var/cache", 0o755),
            E::File("var/cache/.wh..wh..opq", ""),
            E::File("var/cache/new", "n"),
            E::Link("usr/bin/passwd-link", "usr/bin/passwd"),
            E::Link("lib/libc-link.so", "usr/lib/libc.so.6"),
            E::File("docker-entrypoint.sh", "#!/bin/sh\nexec \"$@\"\n"),
        ]),
    ]
}

const CONFIG: &str = r#"{"architecture":"amd64","os":"linux","created":"2024-05-01T12:00:00Z","config":{"Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx","-g","daemon off;"],"Env":["PATH=/usr/sbin:/usr/bin"],"WorkingDir":"/","User":"0:0","StopSignal":"SIGQUIT","ExposedPorts":{"80/tcp":{}}},"rootfs":{"type":"layers","diff_ids":[DIFF_IDS]}}"#;

fn config_for(layers: &[Vec<u8>]) -> Vec<u8> {
    let ids: Vec<String> = layers
        .iter()
        .map(|l| format!("\"sha256:{}\"", sha256(l)))
        .collect();
    CONFIG.replace("DIFF_IDS", &ids.join(",")).into_bytes()
}

/// An OCI layout in `dir` tagged `tag`; layers gzip'd. Returns the manifest digest.
fn write_oci(dir: &Path, tag: &str, layers: &[Vec<u8>]) -> String {
    let blobs: Vec<Vec<u8>> = layers.iter().map(|l| gzip(l)).collect();
    write_oci_blobs(dir, tag, &config_for(layers), &blobs)
}

/// An OCI layout from a config and layer blobs as stored.
fn write_oci_blobs(dir: &Path, tag: &str, config: &[u8], layers: &[Vec<u8>]) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let d = sha256(bytes);
        std::fs::write(blobs.join(&d), bytes).unwrap();
        (format!("sha256:{d}"), bytes.len())
    };
    let (cd, cs) = put(config);
    let mut descs = Vec::new();
    for l in layers {
        let (d, s) = put(l);
        descs.push(format!(
            r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{d}","size":{s}}}"#
        ));
    }
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{cs}}},"layers":[{}]}}"#,
        descs.join(",")
    );
    let (md, ms) = put(manifest.as_bytes());
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{md}","size":{ms},"annotations":{{"org.opencontainers.image.ref.name":"{tag}"}}}}]}}"#
        ),
    )
    .unwrap();
    md
}

/// A legacy `docker save` archive: `<id>/layer.tar`, `<id>.json`, manifest.json last.
fn write_docker_archive(file: &Path, layers: &[Vec<u8>]) {
    let config = config_for(layers);
    let config_name = format!("{}.json", sha256(&config));
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, bytes: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_size(bytes.len() as u64);
        b.append_data(&mut h, name, bytes).unwrap();
    };
    let mut names = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let name = format!("{:064x}/layer.tar", i + 1);
        add(&name, l);
        names.push(format!("\"{name}\""));
    }
    add(&config_name, &config);
    let manifest = format!(
        r#"[{{"Config":"{config_name}","RepoTags":["example/app:1"],"Layers":[{}]}}]"#,
        names.join(",")
    );
    add("manifest.json", manifest.as_bytes());
    std::fs::write(file, b.into_inner().unwrap()).unwrap();
}

fn rroot(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rroot"))
        .arg("disk")
        .args(args)
        .env("XDG_CACHE_HOME", cache)
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("REGISTRY_AUTH")
        .env("HOME", cache)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn debugfs(img: &Path, request: &str) -> String {
    let o = Command::new(sbin("debugfs"))
        .arg("-R")
        .arg(request)
        .arg(img)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn fsck_clean(img: &Path) {
    let o = Command::new(sbin("e2fsck"))
        .arg("-fn")
        .arg(img)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "e2fsck: {}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
}

/// Names in a directory listing of `debugfs -R 'ls -l DIR'`.
fn names(img: &Path, dir: &str) -> Vec<String> {
    debugfs(img, &format!("ls -l {dir}"))
        .lines()
        .filter_map(|l| l.split_whitespace().last().map(str::to_string))
        .filter(|n| n != "." && n != "..")
        .collect()
}

/// Files of a directory other than the given ones: what an error may have left behind.
fn leftovers(dir: &Path, except: &[&str]) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !except.contains(&n.as_str()))
            .collect(),
        Err(_) => vec![],
    }
}

#[test]
fn oci_layout_becomes_a_clean_ext4_disk() {
    if !have_e2fsprogs() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    let digest = write_oci(&layout, "v1", &nginx_like_layers());
    let img = tmp.path().join("out/disk.img");
    let o = rroot(
        &[
            &format!("oci:{}:v1", layout.display()),
            "-o",
            img.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    fsck_clean(&img);

    let root = names(&img, "/");
    for want in [
        ".rroot",
        "bin",
        "dev",
        "docker-entrypoint.sh",
        "etc",
        "home",
        "lib",
        "proc",
        "run",
        "scratch",
        "sys",
        "tmp",
        "usr",
        "var",
    ] {
        assert!(
            root.contains(&want.to_string()),
            "/{want} missing from {root:?}"
        );
    }
    assert!(!root.contains(&".dockerenv".to_string()), "{root:?}");
    assert_eq!(names(&img, "/etc"), ["os-release"], "whiteout");
    assert_eq!(names(&img, "/var/cache"), ["new"], "opaque directory");
    assert_eq!(names(&img, "/dev"), ["null"]);
    assert!(
        names(&img, "/usr/lib").contains(&"libc-link.so".to_string()),
        "link written through the lib symlink"
    );

    let ping = debugfs(&img, "stat /bin/ping");
    assert!(ping.contains("security.capability (20)"), "{ping}");
    let passwd = debugfs(&img, "stat /usr/bin/passwd");
    assert!(
        passwd.contains("Mode:  04755") && passwd.contains("Links: 2"),
        "{passwd}"
    );
    let profile = debugfs(&img, "stat /home/user/.profile");
    assert!(profile.contains("User:  1000   Group:  1000"), "{profile}");
    let null = debugfs(&img, "stat /dev/null");
    assert!(
        null.contains("Type: character special")
            && null.contains("Device major/minor number: 01:03"),
        "{null}"
    );
    assert!(debugfs(&img, "stat /run/initctl").contains("Type: FIFO"));
    assert!(debugfs(&img, "stat /lib").contains("Fast link dest: \"usr/lib\""));
    assert!(debugfs(&img, "stat /scratch").contains("Mode:  01777"));
    assert!(debugfs(&img, "stat /tmp").contains("Mode:  01777"));
    assert_eq!(debugfs(&img, &format!("cat /{LONG}")), "long\n");

    let config: serde_json::Value =
        serde_json::from_str(&debugfs(&img, "cat /.rroot/config.json")).unwrap();
    assert_eq!(config["digest"], digest);
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/docker-entrypoint.sh"])
    );
    assert_eq!(
        config["config"]["Cmd"],
        serde_json::json!(["nginx", "-g", "daemon off;"])
    );
    assert_eq!(config["config"]["StopSignal"], "SIGQUIT");
    assert_eq!(
        config["config"]["ExposedPorts"],
        serde_json::json!({"80/tcp": {}})
    );

    // Sparse, and the automatic size leaves about 20 % free.
    let meta = std::fs::metadata(&img).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert!(
        meta.blocks() * 512 < meta.len() / 2,
        "not sparse: {} of {}",
        meta.blocks() * 512,
        meta.len()
    );
    let header = Command::new(sbin("dumpe2fs"))
        .arg("-h")
        .arg(&img)
        .output()
        .unwrap();
    let header = String::from_utf8_lossy(&header.stdout).into_owned();
    let field = |name: &str| -> u64 {
        header
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split(':').nth(1))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let free = field("Free blocks") * 100 / field("Block count");
    assert!(free >= 20, "{free} % free");
    assert_eq!(
        leftovers(img.parent().unwrap(), &["disk.img"]),
        Vec::<String>::new()
    );
}

#[test]
fn same_image_gives_a_byte_identical_disk() {
    if !have_e2fsprogs() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    write_oci(&layout, "v1", &nginx_like_layers());
    let src = format!("oci:{}:v1", layout.display());
    let a = tmp.path().join("a.img");
    let b = tmp.path().join("b.img");
    for out in [&a, &b] {
        let o = rroot(&[&src, "-q", "-o", out.to_str().unwrap()], tmp.path());
        assert!(o.status.success(), "{}", stderr(&o));
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    assert!(
        std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
        "disks differ"
    );

    // A different image gets a different file system UUID.
    let other = tmp.path().join("other");
    write_oci(&other, "v1", &[layer(&[E::File("x", "y")])]);
    let c = tmp.path().join("c.img");
    let o = rroot(
        &[
            &format!("oci:{}:v1", other.display()),
            "-q",
            "-o",
            c.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let uuid = |p: &Path| {
        debugfs(p, "stats")
            .lines()
            .find(|l| l.starts_with("Filesystem UUID"))
            .unwrap_or("")
            .to_string()
    };
    assert_ne!(uuid(&a), uuid(&c));
    assert!(!uuid(&a).is_empty());
}

#[test]
fn docker_archive_becomes_a_disk() {
    if !have_e2fsprogs() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("app.tar");
    write_docker_archive(&archive, &nginx_like_layers());
    let img = tmp.path().join("disk.img");
    for source in [
        format!("docker-archive:{}", archive.display()),
        format!("docker-archive:{}:example/app:1", archive.display()),
    ] {
        let o = rroot(&[&source, "-q", "-o", img.to_str().unwrap()], tmp.path());
        assert!(o.status.success(), "{source}: {}", stderr(&o));
        fsck_clean(&img);
        assert_eq!(names(&img, "/etc"), ["os-release"]);
        assert!(debugfs(&img, "cat /.rroot/config.json").contains("SIGQUIT"));
    }
}

/// Runs rroot expecting failure: one-line error containing `want`, no output left behind.
fn fails(args: &[&str], cache: &Path, out_dir: &Path, want: &str) {
    let o = rroot(args, cache);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    let last = err.lines().last().unwrap_or("");
    assert!(
        last.starts_with("rroot: ") && last.contains(want),
        "{args:?}: want {want:?} in {last:?}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        leftovers(out_dir, &[]),
        Vec::<String>::new(),
        "{args:?} left files behind"
    );
}

#[test]
fn errors_are_one_line_and_leave_no_partial_disk() {
    if !have_e2fsprogs() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = out_dir.join("disk.img");
    let o = out.to_str().unwrap();

    // A layer blob that does not match its digest.
    let tampered = tmp.path().join("tampered");
    write_oci(&tampered, "v1", &[layer(&[E::File("a", "1")])]);
    let blobs = tampered.join("blobs/sha256");
    for entry in std::fs::read_dir(&blobs).unwrap() {
        let p = entry.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        if bytes.starts_with(&[0x1f, 0x8b]) {
            std::fs::write(&p, gzip(&layer(&[E::File("a", "2")]))).unwrap();
        }
    }
    fails(
        &[&format!("oci:{}:v1", tampered.display()), "-o", o],
        tmp.path(),
        &out_dir,
        "digest mismatch",
    );

    // Hostile layers.
    let hostile = [
        (
            "dotdot",
            vec![E::Raw("../../etc/passwd", "x")],
            "path contains '..'",
        ),
        (
            "escape",
            vec![E::Sym("up", "../../.."), E::File("up/etc/passwd", "x")],
            "points outside the image root",
        ),
    ];
    for (name, entries, want) in hostile {
        let dir = tmp.path().join(name);
        write_oci(&dir, "v1", &[layer(&entries)]);
        fails(
            &[&format!("oci:{}:v1", dir.display()), "-o", o],
            tmp.path(),
            &out_dir,
            want,
        );
    }

    let good = tmp.path().join("good");
    write_oci(&good, "v1", &[layer(&[E::File("a", "1")])]);
    fails(
        &[&format!("oci:{}:nope", good.display()), "-o", o],
        tmp.path(),
        &out_dir,
        "no image tagged \"nope\"",
    );
    fails(
        &[
            &format!("oci:{}:v1", good.display()),
            "--size",
            "1M",
            "-o",
            o,
        ],
        tmp.path(),
        &out_dir,
        "too small",
    );
    fails(
        &["oci:/nonexistent/layout", "-o", o],
        tmp.path(),
        &out_dir,
        "not an OCI image layout",
    );
    fails(
        &["Bad/Name", "-o", o],
        tmp.path(),
        &out_dir,
        "Bad/Name: repository name must be lowercase",
    );
    fails(
        &[
            &format!(
                "docker-archive:{}",
                tmp.path().join("missing.tar").display()
            ),
            "-o",
            o,
        ],
        tmp.path(),
        &out_dir,
        "No such file or directory",
    );

    // Corrupt gzip: the digest matches, the stream inside is cut short.
    let corrupt = tmp.path().join("corrupt");
    let mut bad = gzip(&layer(&[E::File("a", "x")]));
    bad.truncate(bad.len() / 2);
    let d = sha256(&bad);
    write_oci_blobs(&corrupt, "v1", &config_for(&[]), &[bad]);
    fails(
        &[&format!("oci:{}:v1", corrupt.display()), "-o", o],
        tmp.path(),
        &out_dir,
        &format!("layer sha256:{d}"),
    );

    // Nothing listens on this loopback port: a network error, named.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    fails(
        &[&format!("127.0.0.1:{port}/library/nginx:latest"), "-o", o],
        tmp.path(),
        &out_dir,
        &format!("http://127.0.0.1:{port}/v2/library/nginx/manifests/latest"),
    );
}

/// A minimal OCI distribution registry on loopback with Docker Hub's anonymous token flow.
struct FakeRegistry {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl FakeRegistry {
    /// With `basic`, the registry wants that `Authorization` value (basic auth) instead of
    /// handing out anonymous bearer tokens.
    fn start(
        repo: &'static str,
        tag: &'static str,
        layers: &[Vec<u8>],
        basic: Option<&'static str>,
    ) -> FakeRegistry {
        let mut blobs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let config = config_for(layers);
        let cd = sha256(&config);
        blobs.insert(cd.clone(), config.clone());
        let mut descs = Vec::new();
        for l in layers {
            let g = gzip(l);
            let d = sha256(&g);
            descs.push(format!(r#"{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"sha256:{d}","size":{}}}"#, g.len()));
            blobs.insert(d, g);
        }
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:{cd}","size":{}}},"layers":[{}]}}"#,
            config.len(),
            descs.join(",")
        );
        let md = sha256(manifest.as_bytes());
        // The tag points to a Docker manifest list with an arm64 and an amd64 image.
        let list = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:{}","size":2,"platform":{{"architecture":"arm64","os":"linux"}}}},{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:{md}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
            "f".repeat(64),
            manifest.len()
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                let mut auth = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line
                        .strip_prefix("Authorization: ")
                        .or_else(|| line.strip_prefix("authorization: "))
                    {
                        auth = Some(v.trim().to_string());
                    }
                }
                let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
                seen.lock().unwrap().push(path.clone());
                let (status, headers, body): (&str, Vec<String>, Vec<u8>) = if path
                    .starts_with("/token")
                {
                    ("200 OK", vec![], br#"{"token":"t0ken"}"#.to_vec())
                } else if basic.is_some_and(|w| auth.as_deref() != Some(w)) {
                    (
                        "401 Unauthorized",
                        vec![r#"WWW-Authenticate: Basic realm="fake""#.to_string()],
                        br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.to_vec(),
                    )
                } else if basic.is_none() && auth.as_deref() != Some("Bearer t0ken") {
                    let challenge = format!(
                        r#"WWW-Authenticate: Bearer realm="http://127.0.0.1:{port}/token",service="fake",scope="repository:{repo}:pull""#
                    );
                    ("401 Unauthorized", vec![challenge], br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.to_vec())
                } else if path == format!("/v2/{repo}/manifests/{tag}") {
                    ("200 OK", vec!["Content-Type: application/vnd.docker.distribution.manifest.list.v2+json".into()], list.clone().into_bytes())
                } else if path == format!("/v2/{repo}/manifests/sha256:{md}") {
                    (
                        "200 OK",
                        vec![
                            "Content-Type: application/vnd.docker.distribution.manifest.v2+json"
                                .into(),
                            format!("Docker-Content-Digest: sha256:{md}"),
                        ],
                        manifest.clone().into_bytes(),
                    )
                } else if let Some(d) = path.strip_prefix(&format!("/v2/{repo}/blobs/sha256:")) {
                    match blobs.get(d) {
                        Some(b) => ("200 OK", vec![], b.clone()),
                        None => ("404 Not Found", vec![], br#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}"#.to_vec()),
                    }
                } else {
                    (
                        "404 Not Found",
                        vec![],
                        br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#
                            .to_vec(),
                    )
                };
                let mut head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for h in headers {
                    head.push_str(&h);
                    head.push_str("\r\n");
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        FakeRegistry { port, log }
    }

    fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

#[test]
fn registry_pull_with_token_auth_index_and_cache() {
    if !have_e2fsprogs() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let registry = FakeRegistry::start("library/nginx", "latest", &nginx_like_layers(), None);
    let img = tmp.path().join("disk.img");
    let reference = format!("127.0.0.1:{}/library/nginx:latest", registry.port);
    let o = rroot(&[&reference, "-o", img.to_str().unwrap()], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    fsck_clean(&img);
    assert_eq!(names(&img, "/var/cache"), ["new"]);
    let config = debugfs(&img, "cat /.rroot/config.json");
    assert!(
        config.contains(&format!("\"reference\": \"{reference}\"")),
        "{config}"
    );
    let first = registry.take_log();
    assert!(first.iter().any(|p| p.starts_with("/token")), "{first:?}");
    assert_eq!(
        first.iter().filter(|p| p.contains("/blobs/")).count(),
        3,
        "{first:?}"
    );

    // Second run: everything but the tag comes from the cache.
    let o = rroot(&[&reference, "-q", "-o", img.to_str().unwrap()], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let second = registry.take_log();
    assert!(
        second.iter().all(|p| !p.contains("/blobs/")),
        "downloaded again: {second:?}"
    );

    fails(
        &[
            &format!("127.0.0.1:{}/library/nginx:nope", registry.port),
            "-o",
            tmp.path().join("o/disk.img").to_str().unwrap(),
        ],
        tmp.path(),
        &tmp.path().join("o"),
        &format!(
            "127.0.0.1:{}/library/nginx:nope: manifest unknown",
            registry.port
        ),
    );
    // By digest, everything is in the cache: no request at all.
    let config: serde_json::Value =
        serde_json::from_str(&debugfs(&img, "cat /.rroot/config.json")).unwrap();
    let pinned = format!(
        "127.0.0.1:{}/library/nginx@{}",
        registry.port,
        config["digest"].as_str().unwrap()
    );
    registry.take_log();
    let o = rroot(&[&pinned, "-q", "-o", img.to_str().unwrap()], tmp.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(registry.take_log(), Vec::<String>::new());

    // Not loopback by name: HTTPS fails, --insecure falls back to plain HTTP as Docker does.
    let unnamed = format!("0.0.0.0:{}/library/nginx:latest", registry.port);
    fails(
        &[
            &unnamed,
            "-o",
            tmp.path().join("o/disk.img").to_str().unwrap(),
        ],
        tmp.path(),
        &tmp.path().join("o"),
        "needs --insecure",
    );
    let o = rroot(
        &[&unnamed, "-q", "--insecure", "-o", img.to_str().unwrap()],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));

    fails(
        &[
            &reference,
            "--platform",
            "linux/s390x",
            "-o",
            tmp.path().join("o/disk.img").to_str().unwrap(),
        ],
        tmp.path(),
        &tmp.path().join("o"),
        "no image for platform linux/s390x (available: linux/arm64, linux/amd64)",
    );
}

#[test]
fn automatic_size_fits_many_small_files_with_no_free_space() {
    if !have_e2fsprogs() {
        return;
    }
    // Thousands of tiny files with long names in one directory (a large hashed directory),
    // long symlinks (a block each) and deep paths: the worst case for the estimate.
    let mut b = tar::Builder::new(Vec::new());
    for i in 0..6000 {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        append(&mut b, &mut h, &format!("many/{i:0>200}"), b"x");
    }
    for i in 0..1500 {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_mode(0o777);
        h.set_uid(0);
        h.set_gid(0);
        let target = format!("/{}", "t".repeat(90));
        h.as_old_mut().linkname[..target.len()].copy_from_slice(target.as_bytes());
        append(&mut b, &mut h, &format!("links/{i}"), b"");
    }
    for i in 0..300 {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        append(
            &mut b,
            &mut h,
            &format!("deep/{}/f", "d/".repeat(i % 40) + &i.to_string()),
            &[7u8; 5000],
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    write_oci(&layout, "v1", &[b.into_inner().unwrap()]);
    let img = tmp.path().join("disk.img");
    let o = rroot(
        &[
            &format!("oci:{}:v1", layout.display()),
            "-q",
            "--free",
            "0",
            "-o",
            img.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    fsck_clean(&img);
    assert_eq!(names(&img, "/many").len(), 6000);
}

#[test]
fn docker_daemon_runs_docker_save() {
    if !have_e2fsprogs() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("saved.tar");
    write_docker_archive(&archive, &nginx_like_layers());
    // A stand-in `docker` that answers `docker save -o FILE NAME` from the archive above.
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let script = format!(
        "#!/bin/sh\n[ \"$1 $2\" = \"save -o\" ] && [ \"$4\" = example/app:1 ] || {{ echo \"Error: No such image: $4\" >&2; exit 1; }}\ncp {} \"$3\"\n",
        archive.display()
    );
    std::fs::write(bin.join("docker"), script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("docker"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let img = tmp.path().join("out/disk.img");
    let run = |name: &str| {
        Command::new(env!("CARGO_BIN_EXE_rroot"))
            .args(["disk", "-q", name, "-o", img.to_str().unwrap()])
            .env("PATH", &path)
            .output()
            .unwrap()
    };
    let o = run("docker-daemon:example/app:1");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names(&img, "/etc"), ["os-release"]);
    std::fs::remove_file(&img).unwrap();
    let o = run("docker-daemon:example/other");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("docker save: Error: No such image: example/other"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        leftovers(&tmp.path().join("out"), &[]),
        Vec::<String>::new()
    );
}

/// The real nginx image from tests/fixtures/nginx-image.sh, when it has been built.
#[test]
fn nginx_fixture_as_oci_and_docker_archive() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/fixtures/nginx");
    if !fixture.join("oci.done").exists() || !fixture.join("nginx.tar").exists() {
        eprintln!(
            "SKIPPED: run tests/fixtures/nginx-image.sh (as root, once) to build the nginx fixture"
        );
        return;
    }
    if !have_e2fsprogs() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("disk.img");
    let sources = [
        format!("oci:{}:latest", fixture.join("oci").display()),
        format!("docker-archive:{}", fixture.join("nginx.tar").display()),
    ];
    for source in sources {
        let o = rroot(&[&source, "-q", "-o", img.to_str().unwrap()], tmp.path());
        assert!(o.status.success(), "{source}: {}", stderr(&o));
        fsck_clean(&img);
        let nginx = debugfs(&img, "stat /usr/sbin/nginx");
        assert!(
            nginx.contains("Type: regular") && nginx.contains("Mode:  0755"),
            "{nginx}"
        );
        let entrypoint = debugfs(&img, "cat /docker-entrypoint.sh");
        assert!(
            entrypoint.trim_end().ends_with("exec \"$@\""),
            "{entrypoint}"
        );
        let config: serde_json::Value =
            serde_json::from_str(&debugfs(&img, "cat /.rroot/config.json")).unwrap();
        assert_eq!(
            config["config"]["Cmd"],
            serde_json::json!(["nginx", "-g", "daemon off;"])
        );
        assert_eq!(config["config"]["StopSignal"], "SIGQUIT");
        assert!(debugfs(&img, "stat /var/log/nginx/access.log")
            .contains("Fast link dest: \"/dev/stdout\""));
    }
}

#[test]
fn registry_basic_auth_from_env_docker_config_and_flag() {
    if !have_e2fsprogs() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // base64("user:pass")
    let registry = FakeRegistry::start(
        "team/app",
        "v1",
        &[layer(&[E::File("hello", "world")])],
        Some("Basic dXNlcjpwYXNz"),
    );
    let reference = format!("127.0.0.1:{}/team/app:v1", registry.port);
    let out_dir = tmp.path().join("out");
    let img = out_dir.join("disk.img");
    let run = |extra: &[&str], env: &[(&str, &str)], cache: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rroot"));
        c.args(["disk", "-q", &reference, "-o", img.to_str().unwrap()])
            .args(extra)
            .env("XDG_CACHE_HOME", tmp.path().join(cache))
            .env("HOME", tmp.path())
            .env_remove("REGISTRY_AUTH")
            .env_remove("DOCKER_CONFIG");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let o = run(&[], &[], "c0");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unauthorized: credentials required"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--creds", "user:wrong"], &[], "c1");
    assert!(
        stderr(&o).contains("authentication required"),
        "{}",
        stderr(&o)
    );
    assert_eq!(leftovers(&out_dir, &[]), Vec::<String>::new());

    let o = run(&["--creds", "user:pass"], &[], "c2");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&[], &[("REGISTRY_AUTH", "user:pass")], "c3");
    assert!(o.status.success(), "{}", stderr(&o));
    let docker = tmp.path().join(".docker");
    std::fs::create_dir(&docker).unwrap();
    let auths = format!(
        r#"{{"auths":{{"127.0.0.1:{}":{{"auth":"dXNlcjpwYXNz"}}}}}}"#,
        registry.port
    );
    std::fs::write(docker.join("config.json"), auths).unwrap();
    let o = run(&[], &[], "c4");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(debugfs(&img, "cat /hello"), "world");
}

#[test]
fn a_signal_mid_download_leaves_nothing_behind() {
    if !have_e2fsprogs() {
        return;
    }
    // A registry that sends half of the layer and then stalls.
    let layers = [gzip(&layer(&[E::File("big", "x")]))];
    let config =
        br#"{"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let (cd, ld) = (sha256(&config), sha256(&layers[0]));
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{cd}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:{ld}","size":1000000}}]}}"#,
        config.len()
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stalled_tx, stalled_rx) = std::sync::mpsc::channel();
    let cached = [cd.clone(), sha256(manifest.as_bytes())];
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
            let body: Vec<u8> = if path.contains("/manifests/") {
                manifest.clone().into_bytes()
            } else if path.ends_with(&cd) {
                config.clone()
            } else {
                let head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
                let _ = stream.write_all(&[0u8; 4096]);
                let _ = stalled_tx.send(());
                std::thread::sleep(std::time::Duration::from_secs(60));
                continue;
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let child = Command::new(env!("CARGO_BIN_EXE_rroot"))
        .args(["disk", "-q", &format!("127.0.0.1:{port}/slow/app:v1"), "-o"])
        .arg(out_dir.join("disk.img"))
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    stalled_rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on the pid of our own child, which has not been reaped yet.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
    assert_eq!(leftovers(&out_dir, &[]), Vec::<String>::new());
    // Manifest and config are complete; nothing of the layer is.
    let blobs = tmp.path().join("cache/rroot/blobs/sha256");
    assert_eq!(
        leftovers(&blobs, &[&cached[0], &cached[1]]),
        Vec::<String>::new(),
        "partial download left in the cache"
    );
}
