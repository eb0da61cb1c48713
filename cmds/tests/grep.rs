//! `grep` (and `egrep`, `fgrep`), `strings` and `which` compared with the host's reference
//! tools on the same inputs: GNU grep (package grep), binutils strings (binutils) and
//! debianutils which (debianutils). Output and exit status must agree; for errors, that there
//! is exactly one `grep: ` line on stderr (the wording may differ).
//!
//! Where we differ from GNU grep on purpose (checked against literals in `grep_literal_cases`
//! or not at all):
//! - `-P` is the regex crate's syntax, not PCRE: look-around and back-references are refused
//!   (exit 2, one line);
//! - back-references (`\(a\)\1`) are refused with exit 2: the regex crate has none;
//! - matching is leftmost-first, not POSIX leftmost-longest: `echo ab | grep -oE 'a|ab'`
//!   prints `a` (GNU: `ab`); which lines match never differs;
//! - GNU's "warning: * at start of expression" is not printed;
//! - error wording for bad regexes follows GNU's for the common cases, not all.
//! - `grep -c -v ''` prints `0` per file; GNU 3.8 prints nothing (it skips files when no
//!   line can be selected);
//! - the "binary file matches" message goes to stderr as GNU grep 3.5+ does (not stdout as in
//!   GNU 3.4 and earlier).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{host_tool, run_host, run_with_input, Links, Ran};

const POEM: &str = "\
The quick brown fox
jumps over the lazy dog.
foo bar baz
foobar
  indented foo
Foo Bar
(parens) and {braces}
a+b=c
line with tab\there
end
";

const NUMBERS: &str = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n";

fn fixtures(l: &Links) {
    l.file("poem", POEM);
    l.file("nums", NUMBERS);
    l.file("empty", "");
    l.file("noeol", "first\nlast without newline");
    l.file("bin", b"text line\0with nul\nfoo in binary\n".as_slice());
    l.file("pats", "fox\nbaz\n");
    l.file("tree/a.txt", "foo in a\nnothing\n");
    l.file("tree/b.c", "int foo;\n");
    l.file("tree/sub/c.txt", "deep foo\nfoo again\n");
    l.file("tree/sub/d.log", "no match here\n");
    l.file("tree/skip/e.txt", "foo skipped\n");
}

/// (args, stdin). Files from `fixtures` are in the working directory.
const CASES: &[(&[&str], &str)] = &[
    (&["fox", "poem"], ""),
    (&["-i", "foo", "poem"], ""),
    (&["-y", "FOO", "poem"], ""),
    (&["-v", "foo", "poem"], ""),
    (&["-n", "foo", "poem"], ""),
    (&["-c", "foo", "poem"], ""),
    (&["-cv", "foo", "poem"], ""),
    (&["-w", "foo", "poem"], ""),
    (&["-x", "foobar", "poem"], ""),
    (&["-o", "fo*", "poem"], ""),
    (&["-ob", "o", "poem"], ""),
    (&["-b", "foo", "poem"], ""),
    (&["-n", "^[[:space:]]", "poem"], ""),
    (&["[[:upper:]][a-z]*", "-o", "poem"], ""),
    (&["(parens)", "poem"], ""),
    (&["{braces}", "poem"], ""),
    (&["a+b", "poem"], ""),
    (&["-E", "a\\+b", "poem"], ""),
    (&["-E", "fo+ba(r|z)", "poem"], ""),
    (&["fo\\+ba\\(r\\|z\\)", "poem"], ""),
    (&["-E", "o{2}", "poem"], ""),
    (&["o\\{2\\}", "poem"], ""),
    (&["*", "poem"], "a*b\n"),
    (&["-F", "a+b", "poem"], ""),
    (&["-F", "-x", "end", "poem"], ""),
    (&["-e", "fox", "-e", "dog", "poem"], ""),
    (&["-efox", "-e", "Bar", "-n", "poem"], ""),
    (&["-f", "pats", "poem"], ""),
    (&["-f", "empty", "poem"], ""),
    (&["", "nums"], ""),
    (&["-c", "", "empty"], ""),
    (&["\\<foo\\>", "poem"], ""),
    (&["-w", "o", "poem"], ""),
    (&["tab\there", "poem"], ""),
    (&["last", "noeol"], ""),
    (&["-v", "x", "noeol"], ""),
    // context
    (&["-A2", "^5$", "nums"], ""),
    (&["-B", "2", "^5$", "nums"], ""),
    (&["-C1", "-n", "^[37]$", "nums"], ""),
    (&["-2", "^1[0-9]*$", "nums"], ""),
    (&["-A1", "^[38]$", "nums"], ""),
    (&["-A1", "-B3", "-n", "^1[13]$", "nums"], ""),
    (&["-m2", "1", "nums"], ""),
    (&["-m1", "-A3", "1", "nums"], ""),
    (&["-m", "1", "-c", "1", "nums"], ""),
    (&["-o", "-A1", "^[37]$", "nums"], ""),
    (&["-A1", "foo", "poem", "nums", "tree/a.txt"], ""),
    (&["-vC1", "[0-8]", "nums"], ""),
    // several files, names
    (&["foo", "poem", "tree/a.txt"], ""),
    (&["-h", "foo", "poem", "tree/a.txt"], ""),
    (&["-H", "foo", "poem"], ""),
    (&["-l", "foo", "poem", "nums", "tree/a.txt"], ""),
    (&["-L", "foo", "poem", "nums", "tree/a.txt"], ""),
    (&["-c", "foo", "poem", "nums"], ""),
    (&["-lZ", "foo", "poem", "tree/a.txt"], ""),
    (&["-Z", "foo", "poem", "tree/a.txt"], ""),
    (&["-q", "foo", "poem"], ""),
    (&["-q", "nomatch", "poem"], ""),
    (&["nomatch", "poem"], ""),
    // stdin
    (&["b"], "abc\nxyz\nbcd\n"),
    (&["-c", "b", "-"], "abc\nxyz\n"),
    (&["-H", "b"], "abc\n"),
    (&["--label=in", "-H", "b", "-"], "abc\n"),
    (&["b", "-", "poem"], "abc\n"),
    // recursion
    (&["-r", "foo", "tree"], ""),
    (&["-rn", "foo", "tree/"], ""),
    (&["-r", "-l", "foo", "tree"], ""),
    (&["-r", "-c", "foo", "tree"], ""),
    (&["-r", "--include=*.txt", "foo", "tree"], ""),
    (&["-r", "--exclude=*.txt", "foo", "tree"], ""),
    (&["-r", "--exclude-dir=skip", "foo", "tree"], ""),
    (&["-r", "foo", "tree/a.txt"], ""),
    (&["-rh", "foo", "tree"], ""),
    (&["-R", "foo", "tree"], ""),
    (&["foo", "tree"], ""),
    (&["-R", "hello", "loop"], ""),
    (&["-R", "nomatch", "loop"], ""),
    // -P (regex crate syntax), -d, -D
    (&["-P", "\\d+", "nums"], ""),
    (&["-Po", "\\bfoo\\w*", "poem"], ""),
    (&["-d", "skip", "foo", "tree", "poem"], ""),
    (&["-d", "recurse", "foo", "tree"], ""),
    (&["--directories=read", "foo", "tree"], ""),
    (&["-D", "skip", "x", "/dev/null"], ""),
    // -z: NUL-terminated lines
    (&["-z", "-n", "b"], "abc\0xyz\0bcd\0"),
    (&["-z", "-c", "^x"], "abc\nxyz\0x\0"),
    // long options
    (&["--ignore-case", "--line-number", "foo", "poem"], ""),
    (&["--invert-match", "--count", "foo", "poem"], ""),
    (&["--files-with-matches", "foo", "poem", "nums"], ""),
    (&["--files-without-match", "foo", "poem", "nums"], ""),
    (&["--only-matching", "--word-regexp", "foo", "poem"], ""),
    (&["--line-regexp", "--fixed-strings", "foobar", "poem"], ""),
    (&["--max-count=1", "--after-context=1", "foo", "poem"], ""),
    (&["--context=1", "--regexp=dog", "poem"], ""),
    (
        &["--extended-regexp", "--no-filename", "x|z", "poem", "nums"],
        "",
    ),
    (
        &["--with-filename", "--before-context", "1", "dog", "poem"],
        "",
    ),
    (&["--color=always", "-n", "o", "poem"], ""),
    (&["--color=always", "-H", "-c", "o", "poem"], ""),
    (&["--color=always", "-A1", "fox", "poem", "nums"], ""),
    (&["--color=auto", "o", "poem"], ""),
    (&["--color=never", "o", "poem"], ""),
    // binary
    (&["foo", "bin"], ""),
    (&["-c", "foo", "bin"], ""),
    (&["-a", "foo", "bin"], ""),
    (&["-a", "nul", "bin"], ""),
    (&["nomatch", "bin"], ""),
    // errors
    (&["foo", "missing"], ""),
    (&["foo", "missing", "poem"], ""),
    (&["-s", "foo", "missing", "poem"], ""),
    (&["-q", "foo", "missing", "poem"], ""),
    (&["-q", "foo", "poem", "missing"], ""),
    (&["\\(", "poem"], ""),
    (&["-E", "(", "poem"], ""),
    (&["[a", "poem"], ""),
    (&["a\\{1", "poem"], ""),
    (&["[[:nope:]]", "poem"], ""),
    (&["[[:alpha:]-z]", "poem"], ""),
    (&["\\{braces\\}", "poem"], ""),
    (&["-o", "o\\{,\\}b", "poem"], ""),
    (&["-A", "x", "foo", "poem"], ""),
    (&["--bogus", "foo", "poem"], ""),
];

fn compare(l: &Links, gnu: &Path, applet: &str, args: &[&str], stdin: &str) -> Vec<String> {
    let mut host_args: Vec<&str> = Vec::new();
    match applet {
        "egrep" => host_args.push("-E"),
        "fgrep" => host_args.push("-F"),
        _ => {}
    }
    host_args.extend_from_slice(args);
    let want = run_host(gnu, &host_args, &l.work(), stdin.as_bytes());
    let got = run_with_input(
        l.cmd(applet).args(args).env("LC_ALL", "C"),
        stdin.as_bytes(),
    );
    let mut bad = Vec::new();
    let label = format!("{applet} {args:?}");
    if got.code != want.code || got.out != want.out {
        bad.push(format!(
            "{label}: want {} {:?}, got {} {:?} (stderr {:?})",
            want.code, want.out, got.code, got.out, got.err
        ));
    }
    if stderr_shape(&want) != stderr_shape(&got) {
        bad.push(format!(
            "{label}: stderr: want {:?}, got {:?}",
            want.err, got.err
        ));
    }
    bad
}

/// How many `grep: ` lines there are on stderr (GNU's says `/usr/bin/grep: `), ignoring
/// GNU's warnings and usage hints.
fn stderr_shape(r: &Ran) -> usize {
    r.err
        .lines()
        .filter(|l| {
            l.split_once(": ")
                .is_some_and(|(who, what)| who.ends_with("grep") && !what.starts_with("warning:"))
        })
        .count()
}

#[test]
fn grep_matches_gnu() {
    let gnu = host_tool("/usr/bin/grep", "grep");
    let l = Links::new();
    fixtures(&l);
    std::os::unix::fs::symlink("sub", l.work().join("tree/link")).expect("symlink");
    l.file("loop/s/f", "hello\n");
    std::os::unix::fs::symlink("..", l.work().join("loop/s/up")).expect("symlink");
    let mut bad = Vec::new();
    for (args, stdin) in CASES {
        bad.extend(compare(&l, &gnu, "grep", args, stdin));
    }
    assert!(
        bad.is_empty(),
        "{} of {} cases differ:\n{}",
        bad.len(),
        CASES.len(),
        bad.join("\n")
    );
}

#[test]
fn egrep_and_fgrep_match_gnu() {
    let gnu = host_tool("/usr/bin/grep", "grep");
    let l = Links::new();
    fixtures(&l);
    let cases: [(&str, &[&str]); 4] = [
        ("egrep", &["fo+(bar|baz)", "poem"]),
        ("egrep", &["-c", "a|e", "poem"]),
        ("fgrep", &["a+b", "poem"]),
        ("fgrep", &["-e", "(parens)", "-e", ".", "poem"]),
    ];
    let mut bad = Vec::new();
    for (applet, args) in cases {
        bad.extend(compare(&l, &gnu, applet, args, ""));
    }
    // debianutils prints its usage on stdout; ours goes to stderr. Both exit 2.
    let got = l.run("which", &["-x", "tool"]);
    assert_eq!(got.code, 2, "{got:?}");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn grep_recursive_without_operand_names_like_gnu() {
    let gnu = host_tool("/usr/bin/grep", "grep");
    let l = Links::new();
    fixtures(&l);
    let dir = l.work().join("tree");
    let want = run_host(&gnu, &["-rn", "foo"], &dir, b"");
    let got = run_with_input(
        Command::new(l.path("grep"))
            .args(["-rn", "foo"])
            .current_dir(&dir),
        b"",
    );
    assert_eq!((got.code, &got.out), (want.code, &want.out));
    assert!(!got.out.contains("./"), "{}", got.out);
}

#[test]
fn grep_literal_cases() {
    let l = Links::new();
    fixtures(&l);
    // (args, stdin, exit, stdout)
    let cases: [(&[&str], &str, i32, &str); 5] = [
        // Leftmost-first: GNU prints `ab`.
        (&["-oE", "a|ab"], "ab\n", 0, "a\n"),
        (&["-oE", "ab|a"], "ab\n", 0, "ab\n"),
        // Back-references are refused.
        (&["\\(a\\)\\1"], "aa\n", 2, ""),
        // Non-UTF-8 input and patterns.
        (&["-c", "\u{e9}"], "caf\u{e9}\n\u{e9}t\u{e9}\nx\n", 0, "2\n"),
        (&["-o", "[^a-z][^a-z]*"], "ab\u{00ff}\n", 0, "\u{00ff}\n"),
    ];
    for (args, stdin, code, out) in cases {
        let got = l.run_in("grep", args, stdin.as_bytes());
        assert_eq!(
            (got.code, got.out.as_str()),
            (code, out),
            "{args:?}: {}",
            got.err
        );
        if code == 2 {
            assert_eq!(got.err.lines().count(), 1, "{}", got.err);
        }
    }
    let invalid = l.run_in("grep", &["-c", "\u{ff}"], b"a\xffb\n\xfe\n");
    assert_eq!((invalid.code, invalid.out.as_str()), (1, "0\n"));
    let raw = l.run_in("grep", &["-c", "b"], b"a\xffb\n\xfe\n");
    assert_eq!((raw.code, raw.out.as_str()), (0, "1\n"));
}

#[test]
fn grep_streams_a_big_file() {
    let l = Links::new();
    let mut text = Vec::with_capacity(30 << 20);
    for i in 0..600_000u32 {
        text.extend_from_slice(format!("line {i} some filler text to make it longer\n").as_bytes());
    }
    l.file("big", &text);
    let started = std::time::Instant::now();
    let got = l.run("grep", &["-c", "9999[0-9]", "big"]);
    assert_eq!((got.code, got.out.as_str()), (0, "60\n"), "{}", got.err);
    // A debug build; the release build is many times faster.
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}

#[test]
fn strings_matches_binutils() {
    let binutils = host_tool("/usr/bin/strings", "binutils");
    let l = Links::new();
    // A built binary: the host's `true` and a small C program if a compiler is around are
    // both ELF files with symbol and section names in them.
    let elf = l.work().join("elf");
    std::fs::copy("/usr/bin/true", &elf).expect("copy /usr/bin/true");
    let mut blob = Vec::new();
    for i in 0u32..2000 {
        blob.extend_from_slice(&i.to_le_bytes());
        blob.extend_from_slice(b"str\tch\x7fhello world\n\r\xe9\xe9caf\xc3\xa9x");
        blob.extend_from_slice(&[0u8; 3][..(i % 3) as usize]);
    }
    l.file("blob", &blob);
    let cases: [&[&str]; 14] = [
        &["elf"],
        &["-a", "elf"],
        &["-n", "8", "elf"],
        &["-6", "elf"],
        &["--bytes=3", "blob"],
        &["-t", "x", "elf"],
        &["-td", "blob"],
        &["-o", "blob"],
        &["-f", "elf", "blob"],
        &["-w", "blob"],
        &["-e", "S", "blob"],
        &["-s", "|", "blob"],
        &["missing"],
        &["-n", "0", "blob"],
    ];
    let mut bad = Vec::new();
    for args in cases {
        let want = run_host(&binutils, args, &l.work(), b"");
        let got = l.run("strings", args);
        if (got.code, &got.out) != (want.code, &want.out) {
            bad.push(format!(
                "strings {args:?}: want {} ({} bytes), got {} ({} bytes) {}",
                want.code,
                want.out.len(),
                got.code,
                got.out.len(),
                got.err
            ));
        }
    }
    let want = run_host(&binutils, &["-f"], &l.work(), &blob);
    let got = l.run_in("strings", &["-f"], &blob);
    if got.out != want.out {
        bad.push("strings -f on stdin".into());
    }
    // debianutils prints its usage on stdout; ours goes to stderr. Both exit 2.
    let got = l.run("which", &["-x", "tool"]);
    assert_eq!(got.code, 2, "{got:?}");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn which_matches_debianutils() {
    let which = host_tool("/usr/bin/which.debianutils", "debianutils");
    let l = Links::new();
    let work = l.work();
    let exe = |p: &str, mode: u32| {
        let path = l.file(p, "#!/bin/sh\n");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    exe("b1/tool", 0o755);
    exe("b2/tool", 0o700);
    exe("b1/plain", 0o644);
    exe("b2/plain", 0o755);
    exe("b1/other", 0o755);
    exe("here", 0o755);
    std::fs::create_dir_all(work.join("b1/dir")).expect("mkdir");
    std::os::unix::fs::symlink("tool", work.join("b1/link")).expect("symlink");
    let path = format!("{0}/b1:{0}/b2", work.display());
    let path_with_dot = format!("{0}/b1::{0}/b2", work.display());
    let cases: [(&str, &[&str]); 12] = [
        (&path, &["tool"]),
        (&path, &["-a", "tool"]),
        (&path, &["plain"]),
        (&path, &["-a", "plain"]),
        (&path, &["tool", "other", "missing"]),
        (&path, &["dir"]),
        (&path, &["link"]),
        (&path, &["./here", "b1/plain", "b1/tool"]),
        (&path, &[]),
        (&path_with_dot, &["-a", "here"]),
        ("", &["tool"]),
        (&path, &["--", "tool"]),
    ];
    let mut bad = Vec::new();
    for (path, args) in cases {
        let run = |program: &Path| {
            let mut cmd = Command::new(program);
            cmd.args(args).current_dir(&work).env("PATH", path);
            run_with_input(&mut cmd, b"")
        };
        let want = run(&which);
        let got = run(&l.path("which"));
        if (got.code, &got.out) != (want.code, &want.out) {
            bad.push(format!(
                "PATH={path} which {args:?}: want {} {:?}, got {} {:?} {}",
                want.code, want.out, got.code, got.out, got.err
            ));
        }
    }
    // debianutils prints its usage on stdout; ours goes to stderr. Both exit 2.
    let got = l.run("which", &["-x", "tool"]);
    assert_eq!(got.code, 2, "{got:?}");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn grep_line_buffered_prints_before_input_ends() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let l = Links::new();
    let mut child = l
        .cmd("grep")
        .args(["--line-buffered", "x"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn grep");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"a\nx1\n").expect("write");
    stdin.flush().expect("flush");
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let got = rx.recv_timeout(std::time::Duration::from_secs(5));
    drop(stdin);
    let _ = child.wait();
    assert_eq!(got.as_deref(), Ok("x1\n"));
}
