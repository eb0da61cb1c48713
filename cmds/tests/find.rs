//! `find` and `xargs` compared with GNU findutils (`/usr/bin/find`, `/usr/bin/xargs`) on a
//! tree built in a tempdir: same stdout (sorted where it is readdir order), stderr and exit
//! status.
//!
//! Differences on purpose (not compared):
//! - error reasons come from our errno table: ELOOP reads "Too many symbolic links
//!   encountered" where glibc says "Too many levels of symbolic links";
//! - xargs usage errors are one line; GNU adds "Try 'xargs --help' for more information.";
//! - `-regex` errors: GNU's emacs syntax accepts some patterns the `regex` crate refuses.

mod common;

use std::path::Path;
use std::process::Command;

use common::{host_tool, run_with_input, Links, Ran};

const FINDUTILS: &str = "findutils";

/// The fixture: files of known sizes, modes and ages, directories, symlinks, a fifo.
fn build_tree(root: &Path) {
    std::fs::create_dir_all(root).expect("mkdir");
    let sh = |script: &str| {
        let st = Command::new("/bin/sh")
            .args(["-c", script])
            .current_dir(root)
            .status()
            .expect("sh");
        assert!(st.success(), "{script}");
    };
    sh("mkdir -p a/b/c e empty 'sp ace' &&
        echo hello > a/f1.txt && head -c 2000 /dev/zero > a/b/big.bin && : > a/b/zero &&
        printf x > e/One.TXT && printf 'two words' > 'sp ace/q\"uote' &&
        ln -s f1.txt a/link && ln -s missing a/dangling && mkfifo a/fifo &&
        chmod 755 a/f1.txt && chmod 600 e/One.TXT && chmod 4711 a/b/zero &&
        touch -d '3 days ago' a/b/big.bin && touch -d '90 minutes ago' a/b/zero &&
        touch -d '2020-02-29 12:34:56' e/One.TXT");
}

/// Run `tool args` in `dir` the same way for us and for GNU: C locale, UTC, same PATH.
fn run_tool(l: &Links, tool: &Path, args: &[&str], dir: &Path, input: &[u8]) -> Ran {
    let mut cmd = Command::new(tool);
    cmd.args(args)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .env("PATH", l.search_path());
    let mut ran = run_with_input(&mut cmd, input);
    let name = tool
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    ran.err = ran
        .err
        .replace(&format!("{}:", tool.display()), &format!("{name}:"));
    ran
}

fn sorted(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines.join("\n")
}

/// Compare `find args` (ours vs GNU) in the fixture tree, stdout sorted; the difference.
fn compare_find(l: &Links, gnu: &Path, args: &[&str], input: &[u8]) -> Option<String> {
    let ours = run_tool(l, &l.path("find"), args, &l.work(), input);
    let theirs = run_tool(l, gnu, args, &l.work(), input);
    let ours = (ours.code, sorted(&ours.out), sorted(&ours.err));
    let theirs = (theirs.code, sorted(&theirs.out), sorted(&theirs.err));
    (ours != theirs).then(|| format!("find {args:?}\n  ours: {ours:?}\n  GNU:  {theirs:?}"))
}

/// Fail listing every case that differed.
fn assert_no_differences(diffs: Vec<String>) {
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn find_matches_gnu() {
    let gnu = host_tool("/usr/bin/find", FINDUTILS);
    let l = Links::new();
    build_tree(&l.work());
    let cases: &[&[&str]] = &[
        &[],
        &["."],
        &["a", "e"],
        &["a", "-name", "*.txt"],
        &[".", "-iname", "*.TXT"],
        &[".", "-name", "[!a-c]*"],
        &[".", "-path", "./a/*", "-type", "f"],
        &["a", "-ipath", "*B*"],
        &[".", "-wholename", "./e*"],
        &[".", "-type", "d"],
        &[".", "-type", "l"],
        &[".", "-type", "p,l"],
        &[".", "-xtype", "l"],
        &["-L", ".", "-type", "l"],
        &["-L", ".", "-xtype", "l"],
        &["-H", "a/link"],
        &["-L", "a/link", "a/dangling", "-type", "f"],
        &[".", "-size", "+1"],
        &[".", "-size", "-1k"],
        &[".", "-size", "2k"],
        &[".", "-size", "-2", "-size", "+0", "-type", "f"],
        &[".", "-size", "9c"],
        &[".", "-empty"],
        &[".", "-mtime", "+1"],
        &[".", "-mtime", "-1", "-type", "f"],
        &[".", "-mtime", "2"],
        &[".", "-mmin", "-60"],
        &[".", "-mmin", "+60"],
        &[".", "-daystart", "-mtime", "+0"],
        &[".", "-newer", "a/b/big.bin", "-type", "f"],
        &[".", "-perm", "755"],
        &[".", "-perm", "-u+x", "-type", "f"],
        &[".", "-perm", "/o+w"],
        &[".", "-perm", "-4000"],
        &[".", "-perm", "u=rw", "-type", "f"],
        &[".", "-user", "root", "-type", "f"],
        &[".", "-uid", "0", "-gid", "+1"],
        &[".", "-nouser"],
        &[".", "-group", "root", "-maxdepth", "1", "-type", "d"],
        &[".", "-links", "+2", "-type", "d"],
        &[".", "-samefile", "a/f1.txt"],
        &["-L", ".", "-samefile", "a/f1.txt"],
        &[".", "-readable", "-type", "f"],
        &[".", "-executable", "-type", "f"],
        &[".", "-lname", "f*"],
        &[".", "-maxdepth", "1"],
        &[".", "-mindepth", "2", "-maxdepth", "2"],
        &[".", "-depth", "-name", "b"],
        &[".", "-name", "b", "-prune", "-o", "-print"],
        &[
            ".", "(", "-name", "a", "-o", "-name", "e", ")", "-prune", "-o", "-type", "f", "-print",
        ],
        &[".", "-name", "a", "-prune", ",", "-name", "f1.txt"],
        &[".", "!", "-type", "d", "-not", "-name", "*.txt"],
        &[".", "-name", "x", "-o", "-name", "zero", "-a", "-type", "f"],
        &[".", "-false"],
        &[".", "-true", "-type", "f", "-or", "-false"],
        &[".", "-regex", ".*/[a-z]+\\.txt"],
        &[".", "-regex", ".*/\\(big\\|zero\\).*"],
        &[
            ".",
            "-regextype",
            "posix-extended",
            "-regex",
            ".*/(big|zero).*",
        ],
        &[".", "-iregex", ".*one.*"],
        &[
            ".",
            "-printf",
            "%p %f %h %P %s %m %M %u %g %U %G %y %Y %d %l %n %k\\n",
        ],
        &[".", "-printf", "%H|%-10f|%5s|%.3f|%#m|%i|\\t%%\\n"],
        &[
            "e",
            "-printf",
            "%t|%TY-%Tm-%Td %TH:%TM:%TS|%T+|%Tc|%T@|%Tj %Ta %Tb %TD %TF\\n",
        ],
        &["e", "-printf", "%p\\0"],
        &["e", "-printf", "%p\\c ignored"],
        &[".", "-ls"],
        &[".", "-print0"],
        &["a", "-quit"],
        &[
            ".",
            "-mindepth",
            "1",
            "-maxdepth",
            "1",
            "-name",
            "e",
            "-printf",
            "%f\\n",
            "-quit",
        ],
        &[".", "-type", "f", "-exec", "echo", "X", "{}", ";"],
        &[".", "-type", "f", "-exec", "echo", "<{}>", ";"],
        &[
            ".",
            "-type",
            "f",
            "-exec",
            "sh",
            "-c",
            "for f; do echo $f; done",
            "sh",
            "{}",
            "+",
        ],
        &[".", "-type", "f", "-execdir", "echo", "{}", ";"],
        &["a/b", "-type", "f", "-execdir", "echo", "{}", "+"],
        &[".", "-name", "*.txt", "-exec", "false", "{}", "+"],
        &[
            ".", "-name", "*.txt", "-exec", "false", ";", "-o", "-name", "*.txt", "-print",
        ],
        &[
            ".",
            "-name",
            "*.txt",
            "-exec",
            "no-such-command-x",
            "{}",
            ";",
        ],
        &["a/", "-maxdepth", "1", "-printf", "%h|%f|%P|%H\\n"],
        &["./", "-maxdepth", "0"],
        &["-P", "a", "-maxdepth", "0", "-follow", "-type", "d"],
        &["sp ace", "-name", "*\"*"],
        // Bad input: one line on stderr, exit 1.
        &["nope"],
        &[".", "nope", "-name", "x"],
        &[".", "-foo"],
        &[".", "-name"],
        &[".", "-type", "q"],
        &[".", "-type", "ff"],
        &[".", "-type", "f,"],
        &[".", "-o"],
        &[".", "(", "-name", "x"],
        &[".", "-name", "x", ")"],
        &[".", "!"],
        &[".", "-newer", "nope"],
        &[".", "-perm", "999"],
        &[".", "-size", "3q"],
        &[".", "-mtime", "x"],
        &[".", "-maxdepth", "x"],
        &[".", "-user", "no-such-user-x"],
        &[".", "-group", "no-such-group-x"],
        &[".", "-exec", "echo"],
        &[".", "-exec", "echo", "{}", "x", "+"],
        &[".", "-name", "x", "foo"],
    ];
    let diffs = cases
        .iter()
        .filter_map(|args| compare_find(&l, &gnu, args, b""))
        .collect();
    assert_no_differences(diffs);
}

#[test]
fn find_symlink_loops_are_reported() {
    let gnu = host_tool("/usr/bin/find", FINDUTILS);
    let l = Links::new();
    std::fs::create_dir_all(l.work().join("loop/d")).unwrap();
    std::os::unix::fs::symlink("..", l.work().join("loop/d/up")).unwrap();
    for args in [&["-L", "loop"][..], &["loop", "-follow", "-print"]] {
        let ours = run_tool(&l, &l.path("find"), args, &l.work(), b"");
        let theirs = run_tool(&l, &gnu, args, &l.work(), b"");
        assert_eq!(ours, theirs, "find {args:?}");
        assert_eq!(ours.code, 1);
        assert!(
            ours.err.contains("File system loop detected"),
            "{}",
            ours.err
        );
    }
    // A link to itself: reported (our errno text differs from glibc's), not followed.
    std::os::unix::fs::symlink("self", l.work().join("loop/self")).unwrap();
    let ours = run_tool(&l, &l.path("find"), &["-L", "loop"], &l.work(), b"");
    assert_eq!(ours.code, 1);
    assert!(
        ours.err.contains("find: 'loop/self': Too many"),
        "{}",
        ours.err
    );
    assert_eq!(sorted(&ours.out), "loop\nloop/d");
}

#[test]
fn find_ok_asks_on_stdin() {
    let gnu = host_tool("/usr/bin/find", FINDUTILS);
    let l = Links::new();
    l.file("one/x", "");
    l.file("two/y", "");
    for input in [&b"y\n"[..], b"no\n", b""] {
        for dir in ["one", "two"] {
            let args = [dir, "-type", "f", "-ok", "echo", "run", "{}", ";"];
            let ours = run_tool(&l, &l.path("find"), &args, &l.work(), input);
            let theirs = run_tool(&l, &gnu, &args, &l.work(), input);
            assert_eq!(ours, theirs, "find {args:?} <<< {input:?}");
        }
    }
}

#[test]
fn find_delete_and_fprint() {
    let gnu = host_tool("/usr/bin/find", FINDUTILS);
    let l = Links::new();
    for side in ["ours", "gnu"] {
        build_tree(&l.work().join(side));
    }
    let mut listings = Vec::new();
    for (side, tool) in [("ours", l.path("find")), ("gnu", gnu.clone())] {
        let dir = l.work().join(side);
        let del = run_tool(
            &l,
            &tool,
            &[
                ".", "-name", "b", "-delete", "-o", "-name", "*.txt", "-delete",
            ],
            &dir,
            b"",
        );
        let fp = run_tool(
            &l,
            &tool,
            &[".", "-type", "f", "-fprint", "list", "-fprint0", "list0"],
            &dir,
            b"",
        );
        let list = std::fs::read_to_string(dir.join("list")).unwrap();
        let list0 = std::fs::read(dir.join("list0")).unwrap();
        let all = run_tool(&l, &tool, &["."], &dir, b"");
        listings.push((del, fp, sorted(&list), list0.len(), sorted(&all.out)));
    }
    // `b` is not empty: both refuse to delete it with the same message.
    assert_eq!(listings[0], listings[1]);
    assert_eq!(listings[0].0.code, 1, "{:?}", listings[0].0);
}

/// An unreadable directory is reported, the walk goes on, find exits 1. As root (where any
/// directory is readable) both finds run as `nobody` through setpriv(1).
#[test]
fn find_permission_denied_continues() {
    use std::os::unix::fs::PermissionsExt;
    let gnu = host_tool("/usr/bin/find", FINDUTILS);
    let l = Links::new();
    l.file("top/locked/secret", "");
    l.file("top/open/file", "");
    let open = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod")
    };
    open(l.dir.path(), 0o755);
    open(&l.work().join("top/locked"), 0o000);
    let as_user = |tool: &Path| {
        let mut cmd = if nix::unistd::geteuid().is_root() {
            let setpriv = host_tool("/usr/bin/setpriv", "util-linux");
            let mut c = Command::new(setpriv);
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(tool);
            c
        } else {
            Command::new(tool)
        };
        cmd.args(["top", "-name", "*e*"])
            .current_dir(l.work())
            .env("LC_ALL", "C");
        let mut ran = run_with_input(&mut cmd, b"");
        ran.err = ran.err.replace("/usr/bin/find:", "find:");
        ran.out = sorted(&ran.out);
        ran
    };
    let ours = as_user(&l.path("find"));
    let theirs = as_user(&gnu);
    open(&l.work().join("top/locked"), 0o755);
    assert_eq!(ours, theirs);
    assert_eq!(ours.code, 1);
    assert_eq!(ours.err, "find: 'top/locked': Permission denied\n");
    assert_eq!(ours.out, "top/locked\ntop/open\ntop/open/file");
}

/// Compare `xargs args` with `input` (ours vs GNU), stdout sorted with `-P`; the difference.
fn compare_xargs(l: &Links, gnu: &Path, args: &[&str], input: &str) -> Option<String> {
    let ours = run_tool(l, &l.path("xargs"), args, &l.work(), input.as_bytes());
    let theirs = run_tool(l, gnu, args, &l.work(), input.as_bytes());
    let parallel = args.iter().any(|a| a.starts_with("-P"));
    let out = |r: &Ran| {
        if parallel {
            sorted(&r.out)
        } else {
            r.out.clone()
        }
    };
    let ours = (ours.code, out(&ours), ours.err.clone());
    let theirs = (theirs.code, out(&theirs), theirs.err.clone());
    (ours != theirs)
        .then(|| format!("xargs {args:?} <<< {input:?}\n  ours: {ours:?}\n  GNU:  {theirs:?}"))
}

#[test]
fn xargs_matches_gnu() {
    let gnu = host_tool("/usr/bin/xargs", FINDUTILS);
    let l = Links::new();
    l.file("args.txt", "from file\n'quoted one'\n");
    let cases: &[(&[&str], &str)] = &[
        (&[], "a b  c\n d\n"),
        (&[], ""),
        (&["-r"], ""),
        (&["-r", "echo", "x"], "  \n\n"),
        (&["echo", "x"], ""),
        (&["-n", "1"], "a b c"),
        (&["-n2", "echo", "-"], "a b c d e"),
        (&["-L", "1"], "a b\nc\nd e\n"),
        (&["-L", "2"], "a b \nc\nd\ne\nf\n"),
        (&["-l"], "a\nb\n"),
        (&["-n", "1"], "'a b' \"c d\" e\\ f 'x\"y' \"it's\"\n"),
        (&["-n", "1"], "back\\\\slash new\\\nline\n"),
        (&["-0", "-n", "1"], "a b\0c\0\0d"),
        (&["--null"], "x\ny\0z\0"),
        (&["-d", "\\n", "-n", "1"], "a b\n\nc'd\n"),
        (&["-d", ",", "echo"], "a,b,,c"),
        (
            &["-I", "{}", "echo", "[{}]", "{}x"],
            "  a  b \n c\n\n d e\n",
        ),
        (&["-i", "echo", "<{}>"], "one\ntwo\n"),
        (&["-IX", "echo", "X-X"], "p\nq\n"),
        (&["--replace=@", "echo", "@"], "r\n"),
        (&["-E", "STOP"], "a b STOP c\nd\n"),
        (&["-eEND", "-n", "1"], "a\nEND\nb\n"),
        (&["-s", "12"], "aaa bbb ccc ddd"),
        (&["-s", "5"], "abcdef"),
        (&["-x", "-n", "2", "-s", "10"], "aaa bbb"),
        (&["-t", "echo", "hi"], "a b\n"),
        (&["-t", "-n", "1"], "a b\n"),
        (&["-a", "args.txt"], "ignored stdin\n"),
        (&["--arg-file=args.txt", "-n", "1"], ""),
        (&["-a", "nope"], ""),
        (
            &["-P", "3", "-n", "1", "sh", "-c", "echo $0"],
            "1 2 3 4 5 6\n",
        ),
        (&["-P0", "-n", "2"], "1 2 3 4 5\n"),
        (&["sh", "-c", "echo $# $1"], "a b c\n"),
        (&["sh", "-c", "read x; echo [$x]"], "input\n"),
        (&["printf", "%s|"], "x y\n"),
        // Exit statuses.
        (&["sh", "-c", "exit 3"], "a\n"),
        (&["-n", "1", "sh", "-c", "test $0 != b"], "a b c\n"),
        (&["sh", "-c", "exit 255"], "a\n"),
        (&["sh", "-c", "kill $$"], "a\n"),
        (&["/etc/passwd"], "a\n"),
        (&["no-such-command-x"], "a\n"),
        (&["false"], ""),
        // Bad input.
        (&[], "a\"b\n"),
        (&[], "it's\n"),
        (&["-d", "ab"], "a\n"),
    ];
    let diffs = cases
        .iter()
        .filter_map(|(args, input)| compare_xargs(&l, &gnu, args, input))
        .collect();
    assert_no_differences(diffs);
}

#[test]
fn xargs_usage_errors_exit_1() {
    let gnu = host_tool("/usr/bin/xargs", FINDUTILS);
    let l = Links::new();
    let cases: &[&[&str]] = &[
        &["-n", "x"],
        &["-n", "0"],
        &["-P", "x"],
        &["-L", "-1"],
        &["-s", "y"],
        &["-n"],
        &["-q"],
        &["--bogus"],
    ];
    for args in cases {
        let ours = run_tool(&l, &l.path("xargs"), args, &l.work(), b"a\n");
        let theirs = run_tool(&l, &gnu, args, &l.work(), b"a\n");
        let first = |r: &Ran| r.err.lines().next().unwrap_or("").to_string();
        assert_eq!(ours.code, theirs.code, "xargs {args:?}: {ours:?}");
        assert_eq!(first(&ours), first(&theirs), "xargs {args:?}");
        assert_eq!(ours.err.lines().count(), 1, "{ours:?}");
        assert_eq!(ours.out, "");
    }
}

#[test]
fn find_piped_to_xargs() {
    let gnu_find = host_tool("/usr/bin/find", FINDUTILS);
    let gnu_xargs = host_tool("/usr/bin/xargs", FINDUTILS);
    let l = Links::new();
    build_tree(&l.work());
    let script = |find: &Path, xargs: &Path| {
        format!(
            "{} . -type f -print0 | {} -0 -n 1 sh -c 'wc -c < \"$0\"' | sort",
            find.display(),
            xargs.display()
        )
    };
    let ours = l.script(&script(&l.path("find"), &l.path("xargs")));
    let theirs = l.script(&script(&gnu_find, &gnu_xargs));
    assert_eq!(ours, theirs);
    assert_eq!(ours.code, 0);
}

/// `-p` asks on the terminal (items come from `-a FILE`); y runs the command, n skips it.
#[test]
fn xargs_interactive_asks_the_terminal() {
    let gnu = host_tool("/usr/bin/xargs", FINDUTILS);
    let l = Links::new();
    l.file("items", "a\nb\n");
    for tool in [l.path("xargs"), gnu] {
        let mut pty = common::Pty::spawn(
            &tool,
            &["-p", "-n", "1", "-a", "items", "echo", "got"],
            &l.work(),
            24,
            80,
        );
        pty.expect("echo got a?...");
        pty.send("y\r");
        pty.expect("got a");
        pty.expect("echo got b?...");
        pty.send("n\r");
        assert_eq!(pty.wait(), 0, "{}: {:?}", tool.display(), pty.log);
        assert!(
            !pty.log.contains("got b\r\n"),
            "{}: {:?}",
            tool.display(),
            pty.log
        );
    }
}
