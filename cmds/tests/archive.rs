//! tar, gzip/xz/zstd and cpio against GNU tar, gzip, XZ Utils, zstd and GNU cpio: round trips,
//! interop both ways, hostile archives, and damaged compressed data.
//!
//! Differences on purpose:
//! - rbox tar sorts directory entries when creating (GNU stores readdir order), so the tests
//!   compare listings of one archive, not archives of one tree.
//! - rbox zstd compresses at ruzstd's only level (about zstd -1), so sizes differ from zstd's.
//! - Extraction messages for escaping symlinks are rbox's own wording.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use common::{host_tool, run_host, Links, Ran};

const TAR: &str = "/usr/bin/tar";
const CPIO: &str = "/usr/bin/cpio";

fn gnu(path: &str, package: &str) -> PathBuf {
    host_tool(path, package)
}

/// What a tree holds, as the comparisons see it.
#[derive(Debug, PartialEq, Eq)]
enum Node {
    File {
        mode: u32,
        mtime: i64,
        data: Vec<u8>,
    },
    Dir {
        mode: u32,
        mtime: i64,
    },
    Link {
        target: PathBuf,
    },
}

fn snapshot(root: &Path) -> BTreeMap<String, Node> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Node>) {
    for e in fs::read_dir(dir).expect("read_dir") {
        let e = e.expect("entry");
        let p = e.path();
        let rel = p
            .strip_prefix(root)
            .expect("prefix")
            .to_string_lossy()
            .into_owned();
        let m = fs::symlink_metadata(&p).expect("lstat");
        let node = if m.file_type().is_symlink() {
            Node::Link {
                target: fs::read_link(&p).expect("readlink"),
            }
        } else if m.is_dir() {
            walk(root, &p, out);
            Node::Dir {
                mode: m.mode() & 0o7777,
                mtime: m.mtime(),
            }
        } else {
            Node::File {
                mode: m.mode() & 0o7777,
                mtime: m.mtime(),
                data: fs::read(&p).expect("read"),
            }
        };
        out.insert(rel, node);
    }
}

fn set_mtime(p: &Path, secs: i64) {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
    let f = fs::File::open(p).expect("open for times");
    f.set_times(fs::FileTimes::new().set_modified(t).set_accessed(t))
        .expect("set times");
}

/// A tree with every kind of member tar keeps: modes, a symlink, a hard link, an empty
/// directory, a name longer than 100 bytes, a symlink target longer than 100 bytes.
fn sample_tree(at: &Path) {
    let long_dir = at.join("d".repeat(60)).join("e".repeat(60));
    fs::create_dir_all(&long_dir).expect("mkdir");
    fs::create_dir_all(at.join("empty")).expect("mkdir");
    fs::create_dir_all(at.join("sub/deeper")).expect("mkdir");
    fs::write(at.join("hello.txt"), "hello\n").expect("write");
    fs::write(at.join("run.sh"), "#!/bin/sh\necho hi\n").expect("write");
    fs::set_permissions(at.join("run.sh"), fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::write(at.join("secret"), "s").expect("write");
    fs::set_permissions(at.join("secret"), fs::Permissions::from_mode(0o600)).expect("chmod");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    fs::write(at.join("sub/deeper/big.bin"), big).expect("write");
    fs::write(long_dir.join("f".repeat(30)), "long\n").expect("write");
    symlink("hello.txt", at.join("link")).expect("symlink");
    symlink("x".repeat(120), at.join("longlink")).expect("symlink");
    fs::hard_link(at.join("hello.txt"), at.join("sub/hard")).expect("link");
    for (k, p) in [
        "hello.txt",
        "run.sh",
        "secret",
        "sub/deeper/big.bin",
        "sub/deeper",
        "sub",
        "empty",
    ]
    .iter()
    .enumerate()
    {
        set_mtime(&at.join(p), 1_600_000_000 + k as i64 * 1000);
    }
    set_mtime(&long_dir, 1_500_000_000);
    set_mtime(long_dir.parent().expect("parent"), 1_500_000_100);
    fs::set_permissions(at.join("empty"), fs::Permissions::from_mode(0o700)).expect("chmod");
}

fn assert_ok(r: &Ran, what: &str) {
    assert_eq!(r.code, 0, "{what}: {r:?}");
}

fn same_inode(a: &Path, b: &Path) -> bool {
    let (a, b) = (
        fs::metadata(a).expect("stat"),
        fs::metadata(b).expect("stat"),
    );
    a.ino() == b.ino() && a.dev() == b.dev()
}

#[test]
fn tar_round_trip_keeps_the_tree() {
    let l = Links::new();
    sample_tree(&l.work().join("src"));
    assert_ok(&l.run("tar", &["cf", "a.tar", "src"]), "create");
    fs::create_dir(l.work().join("out")).expect("mkdir");
    assert_ok(&l.run("tar", &["-xf", "a.tar", "-C", "out"]), "extract");
    assert_eq!(
        snapshot(&l.work().join("src")),
        snapshot(&l.work().join("out/src"))
    );
    assert!(same_inode(
        &l.work().join("out/src/hello.txt"),
        &l.work().join("out/src/sub/hard")
    ));
}

#[test]
fn tar_interop_with_gnu_both_ways() {
    let l = Links::new();
    let tar = gnu(TAR, "tar");
    let w = l.work();
    sample_tree(&w.join("src"));
    // GNU creates; rbox lists exactly as GNU does and extracts the same tree.
    assert_ok(
        &run_host(&tar, &["cf", "gnu.tar", "src"], &w, b""),
        "gnu create",
    );
    for flags in ["tf", "tvf"] {
        let theirs = run_host(&tar, &[flags, "gnu.tar"], &w, b"");
        let ours = l.run_in_env("tar", &[flags, "gnu.tar"]);
        assert_eq!(ours.out, theirs.out, "tar {flags} of GNU's archive");
        assert_eq!(ours.code, 0);
    }
    fs::create_dir(w.join("x1")).expect("mkdir");
    assert_ok(
        &l.run("tar", &["xf", "gnu.tar", "-C", "x1"]),
        "rbox extract",
    );
    assert_eq!(snapshot(&w.join("src")), snapshot(&w.join("x1/src")));
    // rbox creates; GNU lists it as rbox does and extracts the same tree.
    assert_ok(&l.run("tar", &["cf", "ours.tar", "src"]), "rbox create");
    for flags in ["tf", "tvf"] {
        let theirs = run_host(&tar, &[flags, "ours.tar"], &w, b"");
        let ours = l.run_in_env("tar", &[flags, "ours.tar"]);
        assert_eq!(theirs.code, 0, "{theirs:?}");
        assert_eq!(ours.out, theirs.out, "tar {flags} of rbox's archive");
    }
    fs::create_dir(w.join("x2")).expect("mkdir");
    assert_ok(
        &run_host(&tar, &["xf", "ours.tar", "-C", "x2"], &w, b""),
        "gnu extract",
    );
    assert_eq!(snapshot(&w.join("src")), snapshot(&w.join("x2/src")));
    assert!(same_inode(
        &w.join("x2/src/hello.txt"),
        &w.join("x2/src/sub/hard")
    ));
}

#[test]
fn tar_compressed_round_trips_and_interop() {
    let l = Links::new();
    let tar = gnu(TAR, "tar");
    let w = l.work();
    sample_tree(&w.join("src"));
    let cases = [
        ("-z", "a.tgz", gnu("/usr/bin/gzip", "gzip")),
        ("-J", "a.txz", gnu("/usr/bin/xz", "xz-utils")),
        ("--zstd", "a.tzst", gnu("/usr/bin/zstd", "zstd")),
    ];
    for (flag, name, tool) in &cases {
        // rbox creates, the reference decompressor and GNU tar read it.
        assert_ok(&l.run("tar", &["-c", flag, "-f", name, "src"]), name);
        let plain = run_host(tool, &["-dc", name], &w, b"");
        assert_eq!(
            plain.code,
            0,
            "{} -dc {name}: {}",
            tool.display(),
            plain.err
        );
        let listed = run_host(&tar, &["-t", flag, "-f", name], &w, b"");
        assert_eq!(listed.code, 0, "GNU tar -t {name}: {}", listed.err);
        let ours = l.run("tar", &["tf", name]);
        assert_eq!(ours.out, listed.out, "{name}");
        // -a picks the codec from the suffix.
        let auto = format!("auto-{name}");
        assert_ok(&l.run("tar", &["-caf", &auto, "src"]), &auto);
        let head = fs::read(w.join(&auto)).expect("read");
        let want = fs::read(w.join(name)).expect("read");
        assert_eq!(head[..4], want[..4], "{auto} magic");
        // GNU creates, rbox extracts, detecting the compression itself.
        let gname = format!("gnu-{name}");
        assert_ok(
            &run_host(&tar, &["-c", flag, "-f", &gname, "src"], &w, b""),
            &gname,
        );
        let dir = format!("x-{name}");
        fs::create_dir(w.join(&dir)).expect("mkdir");
        assert_ok(&l.run("tar", &["xf", &gname, "-C", &dir]), &gname);
        assert_eq!(
            snapshot(&w.join("src")),
            snapshot(&w.join(&dir).join("src")),
            "{gname}"
        );
    }
    // Through a pipe, old style, from stdin.
    let r = l.script(
        "tar czf - src | tar xzf - -C x-a.tgz --strip-components=1 && ls x-a.tgz/hello.txt",
    );
    assert_ok(&r, "pipe");
    let r = l.run("tar", &["cjf", "b.tbz", "src"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.err.contains("bzip2"), "{r:?}");
}

#[test]
fn tar_options_exclude_strip_stdout_keep() {
    let l = Links::new();
    let w = l.work();
    sample_tree(&w.join("src"));
    assert_ok(
        &l.run(
            "tar",
            &[
                "cf",
                "a.tar",
                "--exclude=*.bin",
                "--exclude",
                "empty",
                "src",
            ],
        ),
        "create",
    );
    let r = l.run("tar", &["tf", "a.tar"]);
    assert!(
        !r.out.contains("big.bin") && !r.out.contains("empty"),
        "{}",
        r.out
    );
    assert!(r.out.contains("src/sub/deeper/"), "{}", r.out);
    let r = l.run("tar", &["xOf", "a.tar", "src/hello.txt"]);
    assert_eq!((r.code, r.out.as_str()), (0, "hello\n"));
    fs::create_dir(w.join("s")).expect("mkdir");
    assert_ok(
        &l.run("tar", &["xf", "a.tar", "-C", "s", "--strip-components=2"]),
        "strip",
    );
    assert!(w.join("s/deeper").is_dir());
    assert!(!w.join("s/hello.txt").exists());
    fs::create_dir_all(w.join("k/src")).expect("mkdir");
    fs::write(w.join("k/src/hello.txt"), "mine").expect("write");
    let r = l.run("tar", &["xkf", "a.tar", "-C", "k"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        fs::read_to_string(w.join("k/src/hello.txt")).expect("read"),
        "mine"
    );
    fs::create_dir(w.join("m")).expect("mkdir");
    assert_ok(&l.run("tar", &["xmf", "a.tar", "-C", "m"]), "touch");
    let m = fs::metadata(w.join("m/src/secret")).expect("stat");
    assert!(m.mtime() > 1_700_000_000, "-m leaves the extraction time");
    let r = l.run("tar", &["tvf", "a.tar", "--numeric-owner", "src/secret"]);
    assert!(r.out.starts_with("-rw------- 0/0 "), "{}", r.out);
    let r = l.run("tar", &["cf", "x.tar"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = l.run("tar", &["f", "x.tar"]);
    assert_eq!(r.code, 2, "{r:?}");
}

/// A tar archive from raw members, names and links exactly as given.
fn raw_tar(members: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, kind, body) in members {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_entry_type(*kind);
        h.set_mode(0o644);
        h.set_mtime(1_600_000_000);
        let data: &[u8] = if *kind == tar::EntryType::Regular {
            body.as_bytes()
        } else {
            h.as_old_mut().linkname[..body.len()].copy_from_slice(body.as_bytes());
            b""
        };
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append(&h, data).expect("append");
    }
    b.into_inner().expect("finish")
}

#[test]
fn tar_hostile_archives_write_nothing_outside() {
    let l = Links::new();
    let w = l.work();
    let outside = tempfile::tempdir().expect("tempdir");
    let out_s = outside.path().to_string_lossy().into_owned();
    let abs = format!("{out_s}/abs");
    let escape_file = format!("{out_s}/through");
    let archive = raw_tar(&[
        ("../evil", tar::EntryType::Regular, "x"),
        ("ok/../../evil2", tar::EntryType::Regular, "x"),
        (&abs, tar::EntryType::Regular, "absolute"),
        ("esc", tar::EntryType::Symlink, &out_s),
        ("esc/through", tar::EntryType::Regular, "via symlink"),
        ("hl", tar::EntryType::Link, &format!("esc/{}", "x")),
        ("fine", tar::EntryType::Regular, "fine"),
    ]);
    fs::write(w.join("evil.tar"), &archive).expect("write");
    fs::create_dir(w.join("t")).expect("mkdir");
    let r = l.run("tar", &["xf", "evil.tar", "-C", "t"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err.contains("Removing leading `/' from member names"),
        "{}",
        r.err
    );
    assert!(
        r.err.contains("../evil: Member name contains '..'"),
        "{}",
        r.err
    );
    assert!(!w.join("evil").exists() && !w.parent().expect("p").join("evil").exists());
    assert!(
        !Path::new(&escape_file).exists(),
        "wrote through the symlink"
    );
    assert_eq!(
        fs::read_dir(outside.path()).expect("ls").count(),
        0,
        "wrote outside"
    );
    // The absolute member lands inside, stripped; the harmless one too.
    assert_eq!(
        fs::read_to_string(w.join("t").join(abs.trim_start_matches('/'))).expect("read"),
        "absolute"
    );
    assert_eq!(fs::read_to_string(w.join("t/fine")).expect("read"), "fine");
    // GNU tar refuses the same members (it exits 2 as well).
    let tar = gnu(TAR, "tar");
    fs::create_dir(w.join("g")).expect("mkdir");
    let theirs = run_host(&tar, &["xf", "evil.tar", "-C", "g"], &w, b"");
    assert_eq!(theirs.code, 2, "{theirs:?}");
    assert_eq!(
        fs::read_dir(outside.path()).expect("ls").count(),
        0,
        "GNU wrote outside"
    );
}

#[test]
fn tar_replaces_a_symlink_instead_of_following_it() {
    let l = Links::new();
    let w = l.work();
    let outside = tempfile::tempdir().expect("tempdir");
    let victim = outside.path().join("victim");
    fs::write(&victim, "keep").expect("write");
    fs::create_dir(w.join("t")).expect("mkdir");
    symlink(&victim, w.join("t/name")).expect("symlink");
    fs::write(
        w.join("a.tar"),
        raw_tar(&[("name", tar::EntryType::Regular, "new")]),
    )
    .expect("write");
    assert_ok(&l.run("tar", &["xf", "a.tar", "-C", "t"]), "extract");
    assert_eq!(fs::read_to_string(&victim).expect("read"), "keep");
    assert_eq!(fs::read_to_string(w.join("t/name")).expect("read"), "new");
    assert!(!fs::symlink_metadata(w.join("t/name"))
        .expect("lstat")
        .file_type()
        .is_symlink());
}

#[test]
fn tar_truncated_archive_fails() {
    let l = Links::new();
    let w = l.work();
    sample_tree(&w.join("src"));
    assert_ok(&l.run("tar", &["czf", "a.tgz", "src"]), "create");
    let data = fs::read(w.join("a.tgz")).expect("read");
    fs::write(w.join("cut.tgz"), &data[..data.len() / 2]).expect("write");
    fs::create_dir(w.join("t")).expect("mkdir");
    let r = l.run("tar", &["xzf", "cut.tgz", "-C", "t"]);
    assert_eq!(r.code, 2, "{r:?}");
    // No half-written member is left behind under its own name or a temp name.
    let stray: Vec<String> = snapshot(&w.join("t"))
        .keys()
        .filter(|k| k.rsplit('/').next().is_some_and(|b| b.starts_with('.')))
        .cloned()
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

struct Codec {
    prog: &'static str,
    unprog: &'static str,
    cat: &'static str,
    suffix: &'static str,
    host: &'static str,
    package: &'static str,
}

const CODECS: [Codec; 3] = [
    Codec {
        prog: "gzip",
        unprog: "gunzip",
        cat: "zcat",
        suffix: ".gz",
        host: "/usr/bin/gzip",
        package: "gzip",
    },
    Codec {
        prog: "xz",
        unprog: "unxz",
        cat: "xzcat",
        suffix: ".xz",
        host: "/usr/bin/xz",
        package: "xz-utils",
    },
    Codec {
        prog: "zstd",
        unprog: "unzstd",
        cat: "zstdcat",
        suffix: ".zst",
        host: "/usr/bin/zstd",
        package: "zstd",
    },
];

fn text() -> Vec<u8> {
    (0..20000)
        .map(|i| format!("line {i} of the test\n"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn compressors_interop_with_the_reference_tools() {
    for c in &CODECS {
        let l = Links::new();
        let w = l.work();
        let host = gnu(c.host, c.package);
        let data = text();
        let f = l.file("data", &data);
        fs::set_permissions(&f, fs::Permissions::from_mode(0o640)).expect("chmod");
        set_mtime(&f, 1_600_000_000);
        // rbox compresses in place (zstd keeps its input), the reference decompresses.
        let args: &[&str] = if c.prog == "zstd" {
            &["-q", "--rm", "data"]
        } else {
            &["data"]
        };
        assert_ok(&l.run(c.prog, args), c.prog);
        let packed = w.join(format!("data{}", c.suffix));
        assert!(!f.exists(), "{}: input removed", c.prog);
        let m = fs::metadata(&packed).expect("stat output");
        assert_eq!(
            (m.mode() & 0o777, m.mtime()),
            (0o640, 1_600_000_000),
            "{}",
            c.prog
        );
        let back = run_host(&host, &["-dc", &format!("data{}", c.suffix)], &w, b"");
        assert_eq!(back.code, 0, "{}: {}", c.prog, back.err);
        assert!(back.out.as_bytes() == data, "{}", c.prog);
        // The reference compresses, rbox decompresses (file, stdin, cat, two streams).
        let ref_packed = std::process::Command::new(&host)
            .args(["-c", "-q"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                let mut stdin = child.stdin.take().expect("stdin");
                let d = data.clone();
                let t = std::thread::spawn(move || stdin.write_all(&d));
                let out = child.wait_with_output();
                let _ = t.join();
                out
            })
            .expect("reference compress")
            .stdout;
        fs::write(w.join(format!("ref{}", c.suffix)), &ref_packed).expect("write");
        assert_ok(&l.run(c.unprog, &[&format!("ref{}", c.suffix)]), c.unprog);
        assert!(
            fs::read(w.join("ref")).expect("read") == data,
            "{}",
            c.unprog
        );
        let twice = [ref_packed.clone(), ref_packed.clone()].concat();
        let r = run_bytes(&l, c.cat, &[], &twice);
        assert_eq!(r.0, 0, "{} of two streams", c.cat);
        assert!(
            r.1 == [data.clone(), data.clone()].concat(),
            "{} of two streams",
            c.cat
        );
        let r = run_bytes(&l, c.prog, &["-dc"], &ref_packed);
        assert!(r.1 == data, "{} -dc from stdin", c.prog);
        // -t, -k, -c.
        fs::write(w.join(format!("ref{}", c.suffix)), &ref_packed).expect("write");
        assert_ok(&l.run(c.prog, &["-t", &format!("ref{}", c.suffix)]), "test");
        fs::write(w.join("k"), &data).expect("write");
        assert_ok(&l.run(c.prog, &["-k", "-q", "k"]), "keep");
        assert!(w.join("k").exists() && w.join(format!("k{}", c.suffix)).exists());
    }
}

fn run_bytes(l: &Links, applet: &str, args: &[&str], input: &[u8]) -> (i32, Vec<u8>, String) {
    use std::io::Write;
    let mut child = l
        .cmd(applet)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let d = input.to_vec();
    let t = std::thread::spawn(move || {
        let _ = stdin.write_all(&d);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = t.join();
    (
        out.status.code().unwrap_or(128),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn damaged_compressed_data_fails_cleanly() {
    for c in &CODECS {
        let l = Links::new();
        let w = l.work();
        let data = text();
        l.file("d", &data);
        assert_ok(&l.run(c.prog, &["-k", "-q", "d"]), c.prog);
        let packed = fs::read(w.join(format!("d{}", c.suffix))).expect("read");
        fs::remove_file(w.join("d")).expect("rm");
        let cut = format!("cut{}", c.suffix);
        fs::write(w.join(&cut), &packed[..packed.len() / 2]).expect("write");
        let mut bad = packed.clone();
        let mid = bad.len() / 2;
        for b in &mut bad[mid..mid + 16] {
            *b ^= 0x5a;
        }
        let corrupt = format!("bad{}", c.suffix);
        fs::write(w.join(&corrupt), &bad).expect("write");
        let garbage = format!("junk{}", c.suffix);
        fs::write(w.join(&garbage), "this is not compressed\n").expect("write");
        for name in [&cut, &corrupt, &garbage] {
            let r = l.run(c.prog, &["-d", name]);
            assert_eq!(r.code, 1, "{} -d {name}: {r:?}", c.prog);
            assert_eq!(r.err.lines().count(), 1, "{} -d {name}: {r:?}", c.prog);
            assert!(r.err.starts_with(&format!("{}: {name}: ", c.prog)), "{r:?}");
            let stem = name.trim_end_matches(c.suffix);
            assert!(!w.join(stem).exists(), "{}: output left for {name}", c.prog);
            assert!(
                w.join(name).exists(),
                "{}: input removed for {name}",
                c.prog
            );
        }
        let leftovers: Vec<_> = fs::read_dir(&w)
            .expect("ls")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(
            leftovers.is_empty(),
            "{}: temp files left: {leftovers:?}",
            c.prog
        );
        let r = run_bytes(&l, c.cat, &[], &packed[..packed.len() / 2]);
        assert_eq!(r.0, 1, "{} of a truncated stream: {}", c.cat, r.2);
    }
}

#[test]
fn gzip_refuses_to_overwrite_like_gnu() {
    let l = Links::new();
    let w = l.work();
    let host = gnu("/usr/bin/gzip", "gzip");
    l.file("a", "one\n");
    l.file("a.gz", "already here");
    let ours = l.run("gzip", &["a"]);
    let theirs = run_host(&host, &["a"], &w, b"");
    assert_eq!(ours.code, theirs.code, "ours {ours:?} theirs {theirs:?}");
    assert_eq!(ours.code, 2);
    assert_eq!(
        fs::read_to_string(w.join("a.gz")).expect("read"),
        "already here"
    );
    assert!(w.join("a").exists());
    assert_ok(&l.run("gzip", &["-f", "a"]), "gzip -f");
    assert!(!w.join("a").exists());
    let r = l.run("gunzip", &["-c", "a.gz"]);
    assert_eq!(r.out, "one\n");
    // A name without a known suffix is left alone (a warning, exit 2, as GNU).
    l.file("plain", "x");
    let ours = l.run("gunzip", &["plain"]);
    let theirs = run_host(&host, &["-d", "plain"], &w, b"");
    assert_eq!((ours.code, theirs.code), (2, 2), "{ours:?} {theirs:?}");
    let r = l.run("gzip", &["a.gz"]);
    assert_eq!(r.code, 2, "{r:?}");
    // -l prints GNU's sizes line.
    let ours = l.run("gzip", &["-l", "a.gz"]);
    let theirs = run_host(&host, &["-l", "a.gz"], &w, b"");
    assert_eq!((ours.code, ours.out.as_str()), (0, theirs.out.as_str()));
}

/// GNU cpio reads the archive rbox writes and vice versa; listings agree.
#[test]
fn cpio_round_trip_and_interop() {
    let l = Links::new();
    let w = l.work();
    let cpio = gnu(CPIO, "cpio");
    sample_tree(&w.join("src"));
    let list = l.script("find src | LC_ALL=C sort").out;
    assert_ok(
        &run_bytes_ok(
            &l,
            "cpio",
            &["-o", "-H", "newc", "-F", "ours.cpio"],
            list.as_bytes(),
        ),
        "rbox -o",
    );
    let theirs = run_host(&cpio, &["-t", "-F", "ours.cpio"], &w, b"");
    let ours = l.run("cpio", &["-t", "-F", "ours.cpio"]);
    assert_eq!(theirs.code, 0, "{theirs:?}");
    assert_eq!(ours.out, theirs.out);
    assert_eq!(ours.out, list);
    assert_eq!(ours.err, theirs.err, "the blocks line");
    // GNU extracts ours.
    fs::create_dir(w.join("g")).expect("mkdir");
    let r = std::process::Command::new(&cpio)
        .args(["-i", "-d", "-m", "-F", "../ours.cpio", "--quiet"])
        .current_dir(w.join("g"))
        .output()
        .expect("gnu cpio");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(
        snapshot(&w.join("src")).keys().collect::<Vec<_>>(),
        snapshot(&w.join("g/src")).keys().collect::<Vec<_>>()
    );
    assert!(same_inode(
        &w.join("g/src/hello.txt"),
        &w.join("g/src/sub/hard")
    ));
    // rbox extracts ours and GNU's.
    let gnu_archive = run_host(
        &cpio,
        &["-o", "-H", "newc", "-F", "gnu.cpio"],
        &w,
        list.as_bytes(),
    );
    assert_eq!(gnu_archive.code, 0, "{gnu_archive:?}");
    for (archive, dir) in [("ours.cpio", "r1"), ("gnu.cpio", "r2")] {
        fs::create_dir(w.join(dir)).expect("mkdir");
        assert_ok(&l.run("cpio", &["-idm", "-D", dir, "-F", archive]), archive);
        assert_eq!(
            snapshot(&w.join("src")),
            snapshot(&w.join(dir).join("src")),
            "{archive}"
        );
        assert!(same_inode(
            &w.join(dir).join("src/hello.txt"),
            &w.join(dir).join("src/sub/hard")
        ));
        let theirs = run_host(&cpio, &["-tv", "-F", archive], &w, b"");
        let ours = l.run_in_env("cpio", &["-tv", "-F", archive]);
        assert_eq!(ours.out, theirs.out, "cpio -tv {archive}");
    }
    // Without -u an existing file of the same age is kept (a message, exit 0, as GNU).
    let r = l.run(
        "cpio",
        &["-i", "-D", "r1", "-F", "ours.cpio", "src/hello.txt"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.err
            .contains("not created: newer or same age version exists"),
        "{}",
        r.err
    );
}

fn run_bytes_ok(l: &Links, applet: &str, args: &[&str], input: &[u8]) -> Ran {
    let r = run_bytes(l, applet, args, input);
    Ran {
        code: r.0,
        out: String::from_utf8_lossy(&r.1).into_owned(),
        err: r.2,
    }
}

#[test]
fn cpio_opens_an_initramfs() {
    let l = Links::new();
    let w = l.work();
    let cpio = gnu(CPIO, "cpio");
    let root = w.join("root");
    for d in ["bin", "dev", "etc", "proc", "sys"] {
        fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    fs::write(root.join("init"), "#!/bin/sh\n").expect("write");
    fs::set_permissions(root.join("init"), fs::Permissions::from_mode(0o755)).expect("chmod");
    symlink("../init", root.join("bin/sh")).expect("symlink");
    fs::write(root.join("etc/hostname"), "rroot\n").expect("write");
    // The kernel's format: newc, gzip'd, made by GNU tools.
    let r = l.script(
        "cd root && find . | LC_ALL=C sort | /usr/bin/cpio -o -H newc --quiet | /usr/bin/gzip -9 > ../initramfs.cpio.gz",
    );
    assert_ok(&r, "build initramfs");
    let ours = l.script("zcat initramfs.cpio.gz | cpio -t");
    let want = l
        .script(&format!(
            "zcat initramfs.cpio.gz | {} -t --quiet",
            cpio.display()
        ))
        .out;
    assert!(want.contains("bin/sh\n"), "{want}");
    assert_eq!(ours.code, 0, "{ours:?}");
    assert_eq!(ours.out, want);
    fs::create_dir(w.join("x")).expect("mkdir");
    assert_ok(
        &l.script("zcat initramfs.cpio.gz | (cd x && cpio -id --quiet)"),
        "extract",
    );
    assert_eq!(
        fs::read_link(w.join("x/bin/sh")).expect("readlink"),
        PathBuf::from("../init")
    );
    assert_eq!(
        fs::read_to_string(w.join("x/etc/hostname")).expect("read"),
        "rroot\n"
    );
}

#[test]
fn cpio_refuses_escaping_names() {
    let l = Links::new();
    let w = l.work();
    let outside = tempfile::tempdir().expect("tempdir");
    let out_s = outside.path().to_string_lossy().into_owned();
    let mut archive = Vec::new();
    let mut ino = 1;
    let mut add = |name: &str, mode: u32, data: &[u8]| {
        let mut h = format!(
            "070701{ino:08X}{mode:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}",
            0,
            0,
            1,
            1_600_000_000,
            data.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        )
        .into_bytes();
        ino += 1;
        h.extend_from_slice(name.as_bytes());
        h.push(0);
        while h.len() % 4 != 0 {
            h.push(0);
        }
        h.extend_from_slice(data);
        while h.len() % 4 != 0 {
            h.push(0);
        }
        archive.extend_from_slice(&h);
    };
    add("../evil", 0o100644, b"x");
    add(&format!("{out_s}/abs"), 0o100644, b"x");
    add("esc", 0o120777, out_s.as_bytes());
    add("esc/through", 0o100644, b"x");
    add("TRAILER!!!", 0, b"");
    fs::write(w.join("evil.cpio"), &archive).expect("write");
    fs::create_dir(w.join("t")).expect("mkdir");
    let r = l.run("cpio", &["-id", "-D", "t", "-F", "evil.cpio"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err.contains("../evil: Member name contains '..'"),
        "{}",
        r.err
    );
    assert_eq!(
        fs::read_dir(outside.path()).expect("ls").count(),
        0,
        "wrote outside"
    );
    assert!(w
        .join("t")
        .join(out_s.trim_start_matches('/'))
        .join("abs")
        .exists());
}

impl LinksExt for Links {
    /// `run` with the environment the listings compare under (TZ, LC_ALL).
    fn run_in_env(&self, applet: &str, args: &[&str]) -> Ran {
        common::run_with_input(self.cmd(applet).args(args).env("LC_ALL", "C"), b"")
    }
}

trait LinksExt {
    fn run_in_env(&self, applet: &str, args: &[&str]) -> Ran;
}

/// Root only: devices and fifos are archived and made again, owners restored unless
/// --no-same-owner; the listings agree with GNU tar's and GNU cpio's.
#[test]
fn devices_fifos_and_owners_when_root() {
    if common::skip_unless_root("devices_fifos_and_owners_when_root", "mknod, chown") {
        return;
    }
    use std::os::unix::fs::FileTypeExt;
    let l = Links::new();
    let w = l.work();
    let tar = gnu(TAR, "tar");
    let cpio = gnu(CPIO, "cpio");
    let src = w.join("dv");
    fs::create_dir(&src).expect("mkdir");
    let made = std::process::Command::new("mknod")
        .args([src.join("null").to_str().expect("utf8"), "c", "1", "3"])
        .status()
        .expect("mknod");
    assert!(made.success());
    let made = std::process::Command::new("mkfifo")
        .arg(src.join("fifo"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    fs::write(src.join("owned"), "x").expect("write");
    std::os::unix::fs::chown(src.join("owned"), Some(1234), Some(5678)).expect("chown");
    assert_ok(&l.run("tar", &["cf", "dv.tar", "dv"]), "create");
    let theirs = run_host(&tar, &["tvf", "dv.tar"], &w, b"");
    assert_eq!(l.run_in_env("tar", &["tvf", "dv.tar"]).out, theirs.out);
    assert!(theirs.out.contains("1,3 "), "{}", theirs.out);
    for (dir, extra) in [("x1", None), ("x2", Some("--no-same-owner"))] {
        fs::create_dir(w.join(dir)).expect("mkdir");
        let mut args = vec!["xf", "dv.tar", "-C", dir];
        args.extend(extra);
        assert_ok(&l.run("tar", &args), dir);
        let d = w.join(dir).join("dv");
        let null = fs::symlink_metadata(d.join("null")).expect("lstat");
        assert!(null.file_type().is_char_device());
        assert_eq!(null.rdev(), fs::metadata("/dev/null").expect("stat").rdev());
        assert!(fs::symlink_metadata(d.join("fifo"))
            .expect("lstat")
            .file_type()
            .is_fifo());
        let owned = fs::metadata(d.join("owned")).expect("stat");
        let want = if extra.is_some() {
            (0, 0)
        } else {
            (1234, 5678)
        };
        assert_eq!((owned.uid(), owned.gid()), want, "{dir}");
    }
    let list = "dv\ndv/fifo\ndv/null\ndv/owned\n";
    assert_ok(
        &run_bytes_ok(&l, "cpio", &["-o", "-F", "dv.cpio"], list.as_bytes()),
        "cpio -o",
    );
    let theirs = run_host(&cpio, &["-tv", "-F", "dv.cpio"], &w, b"");
    assert_eq!(
        l.run_in_env("cpio", &["-tv", "-F", "dv.cpio"]).out,
        theirs.out
    );
    fs::create_dir(w.join("c1")).expect("mkdir");
    assert_ok(
        &l.run("cpio", &["-id", "-D", "c1", "-F", "dv.cpio"]),
        "cpio -i",
    );
    let null = fs::symlink_metadata(w.join("c1/dv/null")).expect("lstat");
    assert!(null.file_type().is_char_device());
    let owned = fs::metadata(w.join("c1/dv/owned")).expect("stat");
    assert_eq!((owned.uid(), owned.gid()), (1234, 5678));
}

#[test]
fn compressors_refuse_to_write_to_a_terminal() {
    for prog in ["gzip", "xz", "zstd"] {
        let l = Links::new();
        let mut pty = common::Pty::spawn(l.path(prog), &[], &l.work(), 24, 80);
        pty.expect("compressed data not written to a terminal");
        assert_eq!(pty.wait(), 1, "{prog}");
    }
}

#[test]
fn cpio_reads_odc_archives() {
    let l = Links::new();
    let w = l.work();
    let cpio = gnu(CPIO, "cpio");
    sample_tree(&w.join("src"));
    let list = l.script("find src | LC_ALL=C sort").out;
    let made = run_host(
        &cpio,
        &["-o", "-H", "odc", "-F", "odc.cpio", "--quiet"],
        &w,
        list.as_bytes(),
    );
    assert_eq!(made.code, 0, "{made:?}");
    let theirs = run_host(&cpio, &["-t", "-F", "odc.cpio"], &w, b"");
    let ours = l.run("cpio", &["-t", "-F", "odc.cpio"]);
    assert_eq!(ours.out, theirs.out);
    assert_eq!(ours.err, theirs.err);
    fs::create_dir(w.join("o")).expect("mkdir");
    assert_ok(
        &l.run("cpio", &["-idm", "-D", "o", "-F", "odc.cpio"]),
        "extract odc",
    );
    assert_eq!(snapshot(&w.join("src")), snapshot(&w.join("o/src")));
}

#[test]
fn truncated_archives_fail_with_one_message() {
    let l = Links::new();
    let w = l.work();
    let cpio = gnu(CPIO, "cpio");
    sample_tree(&w.join("src"));
    let list = l.script("find src | LC_ALL=C sort").out;
    let made = run_host(
        &cpio,
        &["-o", "-H", "newc", "-F", "a.cpio", "--quiet"],
        &w,
        list.as_bytes(),
    );
    assert_eq!(made.code, 0, "{made:?}");
    let data = fs::read(w.join("a.cpio")).expect("read");
    fs::write(w.join("cut.cpio"), &data[..data.len() / 2]).expect("write");
    fs::create_dir(w.join("c")).expect("mkdir");
    let ours = l.run("cpio", &["-id", "-D", "c", "-F", "cut.cpio"]);
    let theirs = run_host(&cpio, &["-t", "-F", "cut.cpio"], &w, b"");
    assert_eq!((ours.code, theirs.code), (2, 2), "{ours:?} {theirs:?}");
    assert_eq!(ours.err, "cpio: premature end of file\n");
    let half_written: Vec<String> = snapshot(&w.join("c"))
        .keys()
        .filter(|k| k.rsplit('/').next().is_some_and(|b| b.starts_with('.')))
        .cloned()
        .collect();
    assert!(half_written.is_empty(), "{half_written:?}");
    let r = l.run("tar", &["xf", "missing.tar"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.err,
        "tar: missing.tar: Cannot open: No such file or directory\n"
    );
}

/// Empty input and data in no known format fail (exit 1) as the reference tools do.
#[test]
fn decompressing_empty_or_foreign_input_fails_like_the_references() {
    for c in &CODECS {
        let l = Links::new();
        let host = gnu(c.host, c.package);
        for input in [&b""[..], b"hello\n"] {
            let ours = run_bytes(&l, c.prog, &["-dc"], input);
            let theirs = run_host(&host, &["-dc"], &l.work(), input);
            assert_eq!(
                (ours.0, theirs.code),
                (1, 1),
                "{} -dc {input:?}: {}",
                c.prog,
                ours.2
            );
            assert_eq!(ours.2.lines().count(), 1, "{}", ours.2);
        }
        let ours = run_bytes(&l, c.cat, &["-f"], b"plain text\n");
        assert_eq!(
            (ours.0, ours.1.as_slice()),
            (0, &b"plain text\n"[..]),
            "{} -f",
            c.cat
        );
    }
}

#[test]
fn tar_refuses_a_terminal_archive_and_sets_owners() {
    let l = Links::new();
    for args in [&["cf", "-", "."][..], &["tf", "-"]] {
        let mut pty = common::Pty::spawn(l.path("tar"), args, &l.work(), 24, 80);
        pty.expect("archive contents");
        assert_eq!(pty.wait(), 2, "tar {args:?}");
    }
    let tar = gnu(TAR, "tar");
    let w = l.work();
    l.file("f", "x");
    assert_ok(
        &l.run(
            "tar",
            &["cf", "o.tar", "--owner=bob:42", "--group=grp:43", "f"],
        ),
        "owner",
    );
    let theirs = run_host(&tar, &["tvf", "o.tar"], &w, b"");
    assert!(
        theirs.out.starts_with("-rw-r--r-- bob/grp "),
        "{}",
        theirs.out
    );
    let theirs = run_host(&tar, &["tvf", "o.tar", "--numeric-owner"], &w, b"");
    assert!(theirs.out.contains(" 42/43 "), "{}", theirs.out);
}

/// Zeros after the last gzip member are ignored; other trailing bytes are a warning (exit 2)
/// after the data, as GNU gzip does.
#[test]
fn gzip_trailing_zeros_and_garbage() {
    let l = Links::new();
    let host = gnu("/usr/bin/gzip", "gzip");
    let packed = run_bytes(&l, "gzip", &["-c"], b"data\n").1;
    for (tail, code) in [(&[0u8; 300][..], 0), (b"junk\n", 2)] {
        let input = [packed.clone(), tail.to_vec()].concat();
        let ours = run_bytes(&l, "zcat", &[], &input);
        let theirs = run_host(&host, &["-dc"], &l.work(), &input);
        assert_eq!(
            (ours.0, ours.1.as_slice()),
            (theirs.code, &b"data\n"[..]),
            "{}",
            ours.2
        );
        assert_eq!(ours.0, code);
    }
}

#[test]
fn tar_member_arguments_like_gnu() {
    let l = Links::new();
    let w = l.work();
    let tar = gnu(TAR, "tar");
    sample_tree(&w.join("src"));
    assert_ok(&l.run("tar", &["cf", "a.tar", "src"]), "create");
    for args in [
        &["tf", "a.tar", "src/sub"][..],
        &["tf", "a.tar", "src/hello.txt", "nothere"],
        &["tvf", "a.tar", "src/link"],
    ] {
        let ours = l.run_in_env("tar", args);
        let mut theirs = run_host(&tar, args, &w, b"");
        theirs.err = theirs.err.replace("/usr/bin/tar:", "tar:");
        assert_eq!(ours, theirs, "tar {args:?}");
    }
    let r = l.run("xz", &["-l", "x.xz"]);
    assert_eq!(r.code, 2, "{r:?}");
}

/// An existing output and a directory argument: each compressor's code and words.
#[test]
fn compressors_refuse_existing_outputs_and_directories_like_the_references() {
    for c in &CODECS {
        let l = Links::new();
        let w = l.work();
        let host = gnu(c.host, c.package);
        l.file("a", "one\n");
        l.file(&format!("a{}", c.suffix), "already here");
        fs::create_dir(w.join("d")).expect("mkdir");
        for args in [&["a"][..], &["d"]] {
            let ours = l.run(c.prog, args);
            let theirs = run_host(&host, args, &w, b"");
            assert_eq!(
                ours.code, theirs.code,
                "{} {args:?}: {ours:?} {theirs:?}",
                c.prog
            );
            // zstd asks on stdin before refusing; only its exit code is compared.
            if c.prog == "zstd" {
                continue;
            }
            let words = |e: &str| {
                e.trim()
                    .rsplit(": ")
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            };
            let theirs_words = words(&theirs.err.replace(&format!("{}:", c.host), ""));
            assert!(
                ours.err.trim_end().ends_with(&theirs_words),
                "{} {args:?}: {ours:?} {theirs:?}",
                c.prog
            );
        }
        let kept = fs::read_to_string(w.join(format!("a{}", c.suffix))).expect("read");
        assert_eq!(kept, "already here");
    }
}
