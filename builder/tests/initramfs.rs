//! `rroot initramfs` as a user runs it: the built binary with a fake rbox (a shell script that
//! answers `--list`/`--list-sbin`), archives checked with the Debian `cpio` tool.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const RROOT: &str = env!("CARGO_BIN_EXE_rroot");

struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    fn new() -> Self {
        let w = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        w.fake_rbox("rbox", true);
        w.fake_rbox("old-rbox", false);
        w
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A stand-in for rbox: lists applets. `current` answers `--list PRESET` and
    /// `--list-sbin` like current rbox; otherwise it is an older rbox that knows neither.
    fn fake_rbox(&self, name: &str, current: bool) {
        let listing = if current {
            "--list) case \"$2\" in\n\
             '') printf 'cat\\ninit\\nls\\npoweroff\\nsh\\nvi\\n' ;;\n\
             full) printf 'cat\\ninit\\nls\\npoweroff\\nsh\\nvi\\n' ;;\n\
             default) printf 'cat\\ninit\\nls\\npoweroff\\nsh\\n' ;;\n\
             minimal) printf 'init\\nsh\\n' ;;\n\
             *) echo 'rbox: --list: unknown preset' >&2; exit 2 ;;\n\
             esac ;;\n\
             --list-sbin) printf 'init\\npoweroff\\n' ;;"
        } else {
            "--list) [ -z \"$2\" ] || exit 127; printf 'cat\\ninit\\nls\\npoweroff\\nsh\\nvi\\n' ;;"
        };
        let script = format!(
            "#!/bin/sh\ncase \"$1\" in\n{listing}\n*) echo \"rbox: unknown applet '$1'\" >&2; exit 127 ;;\nesac\n"
        );
        let p = self.path(name);
        fs::write(&p, script).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Run `rroot initramfs --rbox FAKE ARGS…` in the work directory.
    fn initramfs(&self, args: &[&OsStr]) -> Output {
        self.initramfs_env(args, &[])
    }

    fn initramfs_env(&self, args: &[&OsStr], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(RROOT);
        cmd.arg("initramfs");
        if !args.contains(&os("--rbox")) {
            cmd.arg("--rbox").arg(self.path("rbox"));
        }
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_remove("SOURCE_DATE_EPOCH");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_ok(out: &Output) {
    assert!(out.status.success(), "rroot failed: {}", stderr(out));
}

/// `cpio -t -v` of an archive, decompressed with the standard tools.
fn listing(archive: &Path) -> String {
    let raw = decompress(archive);
    let mut child = Command::new("cpio")
        .args(["-t", "-v", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .spawn()
        .expect("the cpio tool is needed (apt-get install cpio)");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&raw).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "cpio -t: {}", stderr(&out));
    assert!(out.stderr.is_empty(), "cpio -t complains: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

fn decompress(archive: &Path) -> Vec<u8> {
    let name = archive.to_string_lossy();
    let tool = if name.ends_with(".gz") {
        Some("gzip")
    } else if name.ends_with(".zst") {
        Some("zstd")
    } else {
        None
    };
    match tool {
        Some(tool) => {
            let out = Command::new(tool).arg("-dc").arg(archive).output().unwrap();
            assert!(out.status.success(), "{tool} -dc: {}", stderr(&out));
            out.stdout
        }
        None => fs::read(archive).unwrap(),
    }
}

/// One `cpio -tv` line per entry, reduced to "MODE NAME[ -> TARGET]" or, for devices,
/// "MODE MAJOR,MINOR NAME".
fn entries(listing: &str) -> Vec<String> {
    listing
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f[0].starts_with('c') || f[0].starts_with('b') {
                // crw------- 1 root root 5, 1 Jan 1 1970 dev/console
                format!("{} {}{} {}", f[0], f[4], f[5], f[9..].join(" "))
            } else {
                format!("{} {}", f[0], f[8..].join(" "))
            }
        })
        .collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn archive_lists_links_devices_and_skeleton() {
    let w = Workdir::new();
    let out = w.initramfs(&[os("--applets"), os("ls,sh,init,poweroff")]);
    assert_ok(&out);
    let archive = w.path("out/initramfs.cpio.gz");
    let got = entries(&listing(&archive));
    let want = [
        "drwxr-xr-x bin",
        "lrwxrwxrwx bin/init -> rbox",
        "lrwxrwxrwx bin/ls -> rbox",
        "lrwxrwxrwx bin/poweroff -> rbox",
        "-rwxr-xr-x bin/rbox",
        "lrwxrwxrwx bin/sh -> rbox",
        "drwxr-xr-x dev",
        "crw------- 5,1 dev/console",
        "crw-rw-rw- 1,3 dev/null",
        "drwxr-xr-x etc",
        "-rw-r--r-- etc/group",
        "-rw-r--r-- etc/passwd",
        "lrwxrwxrwx init -> bin/rbox",
        "drwxr-xr-x lib",
        "drwxr-xr-x mnt",
        "dr-xr-xr-x proc",
        "drwx------ root",
        "drwxr-xr-x run",
        "drwxr-xr-x sbin",
        "lrwxrwxrwx sbin/init -> ../bin/rbox",
        "lrwxrwxrwx sbin/poweroff -> ../bin/rbox",
        "dr-xr-xr-x sys",
        "drwxrwxrwt tmp",
        "drwxr-xr-x usr",
    ];
    assert_eq!(got, want);
    // The summary goes to stderr, nothing to stdout.
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).starts_with("rroot: wrote out/initramfs.cpio.gz ("),
        "{}",
        stderr(&out)
    );
}

#[test]
fn default_applets_come_from_rbox_list() {
    let w = Workdir::new();
    assert_ok(&w.initramfs(&[os("-o"), os("all.cpio"), os("--compress"), os("none")]));
    let got = entries(&listing(&w.path("all.cpio")));
    for link in [
        "bin/cat -> rbox",
        "bin/sh -> rbox",
        "sbin/poweroff -> ../bin/rbox",
    ] {
        assert!(
            got.iter().any(|e| e.ends_with(link)),
            "{link} missing: {got:#?}"
        );
    }
    assert!(
        !got.iter().any(|e| e.ends_with("sbin/cat -> ../bin/rbox")),
        "{got:#?}"
    );

    // An rbox without --list-sbin: the built-in /sbin list and a warning.
    let out = Command::new(RROOT)
        .args([
            "initramfs",
            "--rbox",
            "old-rbox",
            "-o",
            "old.cpio",
            "--compress",
            "none",
        ])
        .current_dir(w.dir.path())
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(
        stderr(&out).contains("does not answer --list-sbin"),
        "{}",
        stderr(&out)
    );
    let got = entries(&listing(&w.path("old.cpio")));
    assert!(
        got.iter().any(|e| e.ends_with("sbin/init -> ../bin/rbox")),
        "{got:#?}"
    );
}

/// The applet links (`bin/NAME`) of an uncompressed archive.
fn bin_links(archive: &Path) -> Vec<String> {
    entries(&listing(archive))
        .iter()
        .filter_map(|e| e.split_once(" bin/"))
        .filter_map(|(_, rest)| rest.strip_suffix(" -> rbox"))
        .filter(|n| !n.starts_with('.'))
        .map(str::to_string)
        .collect()
}

#[test]
fn presets_pick_the_applets_rbox_lists_for_them() {
    let w = Workdir::new();
    let build = |args: &[&str], out: &str| {
        let mut all: Vec<&OsStr> = args.iter().map(|a| os(a)).collect();
        all.extend([os("-o"), os(out), os("--compress"), os("none")]);
        assert_ok(&w.initramfs(&all));
        bin_links(&w.path(out))
    };
    let rbox_list = |preset: &str| -> Vec<String> {
        let out = Command::new(w.path("rbox"))
            .args(["--list", preset])
            .output()
            .unwrap();
        assert!(out.status.success());
        let mut names: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        names.sort();
        names
    };
    let minimal = build(&["--preset", "minimal"], "minimal.cpio");
    let default = build(&["--preset", "default"], "default.cpio");
    let unnamed = build(&[], "unnamed.cpio");
    let full = build(&["--preset", "full"], "full.cpio");
    assert!(minimal.len() < default.len(), "{minimal:?} vs {default:?}");
    assert_eq!(default, rbox_list("default"));
    assert_eq!(minimal, rbox_list("minimal"));
    assert_eq!(unnamed, default, "the default preset is 'default'");
    assert_eq!(full, ["cat", "init", "ls", "poweroff", "sh", "vi"]);

    // +NAME / -NAME edit the preset; plain names are the exact set.
    let edited = build(&["--preset", "minimal", "--applets", "+ls,-sh"], "e.cpio");
    assert_eq!(edited, ["init", "ls"]);
    let edited = build(&["--applets=-cat"], "d.cpio");
    assert_eq!(edited, ["init", "ls", "poweroff", "sh"]);
    let exact = build(&["--applets", "vi,init"], "x.cpio");
    assert_eq!(exact, ["init", "vi"]);

    // An older rbox without `--list PRESET`: every applet, and a warning.
    let out = w.initramfs(&[
        os("--rbox"),
        os("old-rbox"),
        os("-o"),
        os("old.cpio"),
        os("--compress"),
        os("none"),
    ]);
    assert_ok(&out);
    assert!(
        stderr(&out).contains("does not answer --list default; linking all its applets"),
        "{}",
        stderr(&out)
    );
    assert_eq!(bin_links(&w.path("old.cpio")).len(), 6);
}

#[test]
fn files_directories_and_elf_libraries_are_added() {
    let w = Workdir::new();
    fs::create_dir_all(w.path("conf/sub")).unwrap();
    fs::write(w.path("conf/sub/app.conf"), "answer=42\n").unwrap();
    fs::write(w.path("hello"), "hello\n").unwrap();
    std::os::unix::fs::symlink("sub/app.conf", w.path("conf/link")).unwrap();
    let out = w.initramfs(&[
        os("--applets"),
        os("sh"),
        os("--files"),
        os("conf:/etc/app"),
        os("--files"),
        os("hello:/srv/"),
        os("--files"),
        os("/bin/ls:/usr/bin/ls"),
        os("-o"),
        os("f.cpio.gz"),
    ]);
    assert_ok(&out);
    let got = entries(&listing(&w.path("f.cpio.gz")));
    for want in [
        "drwxr-xr-x etc/app",
        "lrwxrwxrwx etc/app/link -> sub/app.conf",
        "-rw-r--r-- etc/app/sub/app.conf",
        "-rw-r--r-- srv/hello",
        "-rwxr-xr-x usr/bin/ls",
    ] {
        assert!(got.contains(&want.to_string()), "{want} missing: {got:#?}");
    }
    // /bin/ls is dynamically linked: its interpreter and libc come along.
    assert!(got.iter().any(|e| e.contains("ld-linux")), "{got:#?}");
    assert!(got.iter().any(|e| e.ends_with("/libc.so.6")), "{got:#?}");

    // Extract with cpio -i and compare contents.
    let x = w.path("x");
    fs::create_dir(&x).unwrap();
    let mut child = Command::new("cpio")
        .args([
            "-i",
            "-d",
            "--quiet",
            "--no-absolute-filenames",
            "etc/app/*",
            "srv/*",
            "bin/rbox",
        ])
        .current_dir(&x)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&decompress(&w.path("f.cpio.gz")))
            .unwrap();
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(
        fs::read_to_string(x.join("etc/app/sub/app.conf")).unwrap(),
        "answer=42\n"
    );
    assert_eq!(
        fs::read_to_string(x.join("etc/app/link")).unwrap(),
        "answer=42\n"
    );
    assert_eq!(fs::read_to_string(x.join("srv/hello")).unwrap(), "hello\n");
    assert_eq!(
        fs::read(x.join("bin/rbox")).unwrap(),
        fs::read(w.path("rbox")).unwrap()
    );
}

#[test]
fn builds_are_byte_identical() {
    let w = Workdir::new();
    fs::write(w.path("data"), "same\n").unwrap();
    for (compress, name) in [("gzip", "a.gz"), ("zstd", "a.zst"), ("none", "a.cpio")] {
        let mut runs = Vec::new();
        for i in 0..2 {
            let out_path = format!("{i}/{name}");
            let args = [
                os("--compress"),
                os(compress),
                os("--files"),
                os("data:/data"),
                os("--files"),
                os("/bin/ls"),
                os("-o"),
                os(&out_path),
            ];
            // Touching the input between runs must not matter: mtimes come from SOURCE_DATE_EPOCH.
            fs::write(w.path("data"), "same\n").unwrap();
            assert_ok(&w.initramfs(&args));
            runs.push(fs::read(w.path(&out_path)).unwrap());
        }
        assert_eq!(runs[0], runs[1], "{compress}: two builds differ");
    }
    // SOURCE_DATE_EPOCH sets every mtime.
    let out = w.initramfs_env(
        &[os("-o"), os("epoch.cpio.gz")],
        &[("SOURCE_DATE_EPOCH", "1700000000")],
    );
    assert_ok(&out);
    let text = listing(&w.path("epoch.cpio.gz"));
    assert!(text.lines().all(|l| l.contains("Nov 14  2023")), "{text}");
    // gzip header: no name, MTIME 0.
    let gz = fs::read(w.path("0/a.gz")).unwrap();
    assert_eq!((gz[3], &gz[4..8]), (0, &[0u8, 0, 0, 0][..]));
}

/// A failing run prints one line, exits non-zero and leaves no file in the output directory.
fn assert_fails(w: &Workdir, args: &[&OsStr], want: &str) {
    let out_dir = w.path("fail");
    fs::create_dir_all(&out_dir).unwrap();
    let mut full: Vec<&OsStr> = args.to_vec();
    full.extend([os("-o"), os("fail/initramfs.cpio.gz")]);
    let out = w.initramfs(&full);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
    assert_eq!(stderr(&out), format!("{want}\n"), "{args:?}");
    assert!(
        files_in(&out_dir).is_empty(),
        "{args:?} left {:?}",
        files_in(&out_dir)
    );
}

#[test]
fn bad_input_is_one_line_and_leaves_no_output() {
    let w = Workdir::new();
    fs::create_dir_all(w.path("tree")).unwrap();
    let cases: Vec<(Vec<&OsStr>, String)> = vec![
        (
            vec![os("--files"), os("/nope")],
            "rroot: --files /nope: No such file or directory".into(),
        ),
        (
            vec![os("--files"), os("/proc/self/mem:/mem")],
            "rroot: --files /proc/self/mem:/mem: I/O error".into(),
        ),
        (
            vec![os("--files"), OsStr::from_bytes(b"/tmp/bad\xffname")],
            "rroot: --files /tmp/bad\u{fffd}name: path is not valid UTF-8".into(),
        ),
        (
            vec![os("--applets"), os("ls,vim")],
            "rroot: --applets: unknown applet 'vim' (not in `rbox --list`)".into(),
        ),
        (
            vec![os("--applets"), os("+vim")],
            "rroot: --applets: unknown applet 'vim' (not in `rbox --list`)".into(),
        ),
        (
            vec![os("--preset"), os("tiny")],
            "rroot: --preset tiny: unknown preset (expected minimal, default or full)".into(),
        ),
        (
            vec![os("--compress"), os("lz4")],
            "rroot: --compress lz4: unknown compression (expected gzip, zstd or none)".into(),
        ),
        (
            vec![os("--init"), os("bash")],
            "rroot: --init bash: unknown applet (not in `rbox --list`)".into(),
        ),
        (
            vec![os("--init"), os("/sbin/custom")],
            "rroot: --init /sbin/custom: not in the archive (add it with --files)".into(),
        ),
        (
            vec![os("--files"), os("tree:/x/../../etc")],
            "rroot: --files tree:/x/../../etc: /x/../../etc: destination must not contain '..'"
                .into(),
        ),
        (
            vec![os("--module"), os("virtio_blk")],
            "rroot: --module virtio_blk: needs --kernel-modules DIR".into(),
        ),
        (
            vec![os("--rbox"), os("/nonexistent/rbox")],
            "rroot: --rbox /nonexistent/rbox: No such file or directory".into(),
        ),
    ];
    for (args, want) in cases {
        assert_fails(&w, &args, &want);
    }
}

#[test]
fn output_directory_is_created() {
    let w = Workdir::new();
    assert_ok(&w.initramfs(&[
        os("--applets"),
        os(""),
        os("-o"),
        os("a/b/c/i.cpio.zst"),
        os("--compress"),
        os("zstd"),
    ]));
    let got = entries(&listing(&w.path("a/b/c/i.cpio.zst")));
    assert!(
        got.contains(&"lrwxrwxrwx init -> bin/rbox".to_string()),
        "{got:#?}"
    );
    assert!(
        !got.iter().any(|e| e.ends_with("bin/ls -> rbox")),
        "no applet links asked: {got:#?}"
    );
    assert_eq!(files_in(&w.path("a/b/c")), ["i.cpio.zst"]);
}
