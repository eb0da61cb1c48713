//! hexdump and xxd against the host's util-linux hexdump (Debian bsdextrautils) and vim's
//! xxd (Debian xxd), byte for byte, on a table of inputs × options; xxd round trips.
//!
//! Differences on purpose:
//! - hexdump: -e/-f (format strings) are not supported; a bad option prints one line
//!   instead of util-linux's help hint (same exit status).
//! - xxd: a bad option prints one line instead of the whole usage text (same exit status);
//!   -E (EBCDIC) and -R (colour) are left out.

mod common;

use common::{host_tool, run_host, Links};

/// Inputs: name and bytes.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let mut repeated = b"0123456789abcdef".repeat(4);
    repeated.extend_from_slice(b"tail");
    let mut zeros_then = vec![0u8; 64];
    zeros_then.extend_from_slice(b"end\n");
    let mut blocks = vec![b'A'; 32];
    blocks.extend(vec![b'B'; 32]);
    blocks.extend(vec![b'A'; 16]);
    vec![
        ("empty", vec![]),
        ("one", b"x".to_vec()),
        ("fifteen", b"0123456789abcde".to_vec()),
        ("sixteen", b"0123456789abcdef".to_vec()),
        ("seventeen", b"0123456789abcdefg".to_vec()),
        ("text", b"Hello, world!\nSecond line\twith tab\n".to_vec()),
        ("repeated", repeated),
        ("zeros", vec![0u8; 100]),
        ("zeros_then", zeros_then),
        ("blocks", blocks),
        ("binary", all_bytes),
        ("odd", b"abc".to_vec()),
    ]
}

fn compare(tool: &str, host: &str, package: &str, options: &[&[&str]]) {
    let host = host_tool(host, package);
    let links = Links::new();
    let mut checked = 0;
    for (name, data) in inputs() {
        links.file(name, &data);
        for opts in options {
            let mut args: Vec<&str> = opts.to_vec();
            args.push(name);
            let ours = links.run(tool, &args);
            let theirs = run_host(&host, &args, &links.work(), b"");
            assert_eq!(ours, theirs, "{tool} {args:?}");
            checked += 1;
        }
        // And from stdin.
        let ours = links.run_in(tool, &[], &data);
        let theirs = run_host(&host, &[], &links.work(), &data);
        assert_eq!(ours, theirs, "{tool} < {name}");
    }
    assert!(checked >= 20);
}

#[test]
fn hexdump_matches_util_linux() {
    let options: &[&[&str]] = &[
        &[],
        &["-C"],
        &["-b"],
        &["-c"],
        &["-d"],
        &["-o"],
        &["-x"],
        &["-C", "-v"],
        &["-v"],
        &["-C", "-n", "5"],
        &["-C", "-s", "3"],
        &["-s", "0x10", "-C"],
        &["-C", "-s", "20", "-n", "10"],
        &["-n", "1K", "-C"],
        &["-s", "1k", "-C"],
        &["-Cv", "-n17"],
        &["-c", "-b"],
        &["-x", "-C"],
        &["-n", "0"],
        &["--canonical", "--skip=2", "--length", "7"],
    ];
    compare("hexdump", "/usr/bin/hexdump", "bsdextrautils", options);
}

#[test]
fn hexdump_several_files_are_one_stream() {
    let host = host_tool("/usr/bin/hexdump", "bsdextrautils");
    let links = Links::new();
    links.file("a", b"0123456789");
    links.file("b", b"abcdefghijklmnopq");
    for args in [
        &["-C", "a", "b"][..],
        &["-C", "-s", "12", "a", "b"],
        &["-C", "-s", "10", "a", "b"],
        &["-C", "a", "missing", "b"],
    ] {
        let ours = links.run("hexdump", args);
        let theirs = run_host(&host, args, &links.work(), b"");
        assert_eq!(ours, theirs, "hexdump {args:?}");
    }
}

#[test]
fn hexdump_errors() {
    let host = host_tool("/usr/bin/hexdump", "bsdextrautils");
    let links = Links::new();
    // Missing file: the same two lines (the file, then "all input file arguments failed").
    let ours = links.run("hexdump", &["nope"]);
    let theirs = run_host(&host, &["nope"], &links.work(), b"");
    assert_eq!(ours, theirs);
    assert_eq!(ours.code, 1);
    for args in [&["-Z"][..], &["-s", "2b"], &["-n", "-1"], &["-n"]] {
        let ours = links.run("hexdump", args);
        let theirs = run_host(&host, args, &links.work(), b"");
        assert_eq!(ours.code, theirs.code, "hexdump {args:?}");
        assert!(ours.out.is_empty(), "{args:?}");
        assert!(ours.err.starts_with("hexdump: "), "{args:?}: {}", ours.err);
    }
    let ours = links.run("hexdump", &["-s", "2b"]);
    assert_eq!(
        ours.err,
        "hexdump: failed to parse offset: '2b': Invalid argument\n"
    );
}

#[test]
fn xxd_matches_vim_xxd() {
    let options: &[&[&str]] = &[
        &[],
        &["-p"],
        &["-i"],
        &["-C", "-i"],
        &["-n", "blob", "-i"],
        &["-c", "5", "-g", "3"],
        &["-g", "0"],
        &["-g1"],
        &["-b"],
        &["-e"],
        &["-e", "-g", "8"],
        &["-u"],
        &["-l", "5"],
        &["-s", "3"],
        &["-s", "-3"],
        &["-s", "0x10", "-l", "0x10"],
        &["-a"],
        &["-a", "-c", "4"],
        &["-d"],
        &["-o", "0x100"],
        &["-c", "20", "-g", "4"],
        &["-p", "-c", "8"],
        &["-i", "-c", "5", "-u"],
        &["-c", "256"],
        &["-c", "0"],
    ];
    compare("xxd", "/usr/bin/xxd", "xxd", options);
}

#[test]
fn xxd_reverts_and_round_trips() {
    let host = host_tool("/usr/bin/xxd", "xxd");
    let links = Links::new();
    for (name, data) in inputs() {
        links.file(name, &data);
        // Our dump back through our -r, and through the host's -r.
        for (dump, back) in [
            (&["-c", "16"][..], &["-r"][..]),
            (&["-p"], &["-r", "-p"]),
            (&["-c", "7"], &["-r", "-c", "7"]),
        ] {
            let mut args: Vec<&str> = dump.to_vec();
            args.push(name);
            let dumped = links.run("xxd", &args);
            assert_eq!(dumped.code, 0);
            links.file("dump", &dumped.out);
            let _ = std::fs::remove_file(links.work().join("ours"));
            let _ = std::fs::remove_file(links.work().join("theirs"));
            let mut ours_args = back.to_vec();
            ours_args.extend(["dump", "ours"]);
            let mut theirs_args = back.to_vec();
            theirs_args.extend(["dump", "theirs"]);
            let ours = links.run("xxd", &ours_args);
            let theirs = run_host(&host, &theirs_args, &links.work(), b"");
            assert_eq!(ours, theirs, "xxd {back:?} of {name}");
            let read = |n: &str| std::fs::read(links.work().join(n)).unwrap();
            assert_eq!(read("ours"), read("theirs"), "xxd {back:?} of {name}");
            assert_eq!(read("ours"), data, "round trip of {name}");
        }
    }
    // Hand-written dumps: gaps, -s offsets, garbage, upper case, ASCII that looks like hex.
    let dumps: [(&str, &[&str]); 6] = [
        ("00000004: 4142  AB\n", &["-r"]),
        ("00000000: 4142\n", &["-r", "-s", "3"]),
        ("junk\n00000000: 41 42 43\n", &["-r"]),
        ("00000000: 4A4b  Jk\n00000010: 4c\n", &["-r"]),
        ("00000000: 6162 6364  abcd\n", &["-r"]),
        ("41 42\n43\tzz44\n", &["-r", "-p"]),
    ];
    for (text, args) in dumps {
        let ours = links.run_in("xxd", args, text.as_bytes());
        let theirs = run_host(&host, args, &links.work(), text.as_bytes());
        assert_eq!(ours, theirs, "xxd {args:?} <<< {text:?}");
    }
}

#[test]
fn xxd_output_file_and_patching() {
    let host = host_tool("/usr/bin/xxd", "xxd");
    let links = Links::new();
    links.file("in", b"hello world\n");
    assert_eq!(links.run("xxd", &["in", "ours.txt"]).code, 0);
    assert_eq!(
        run_host(&host, &["in", "theirs.txt"], &links.work(), b"").code,
        0
    );
    let read = |n: &str| std::fs::read(links.work().join(n)).unwrap();
    assert_eq!(read("ours.txt"), read("theirs.txt"));
    // -r into an existing file patches it in place.
    links.file("a", b"0123456789");
    links.file("b", b"0123456789");
    let patch = b"00000002: 4142\n";
    assert_eq!(links.run_in("xxd", &["-r", "-", "a"], patch).code, 0);
    assert_eq!(
        run_host(&host, &["-r", "-", "b"], &links.work(), patch).code,
        0
    );
    assert_eq!(read("a"), b"01AB456789");
    assert_eq!(read("a"), read("b"));
}

#[test]
fn xxd_errors() {
    let host = host_tool("/usr/bin/xxd", "xxd");
    let links = Links::new();
    let ours = links.run("xxd", &["nope"]);
    let theirs = run_host(&host, &["nope"], &links.work(), b"");
    assert_eq!(ours, theirs);
    assert_eq!(ours.code, 2);
    for args in [
        &["-Z"][..],
        &["a", "b", "c"],
        &["-c", "300"],
        &["-e", "-g", "3"],
    ] {
        links.file("a", b"x");
        let ours = links.run("xxd", args);
        let theirs = run_host(&host, args, &links.work(), b"");
        assert_eq!(ours.code, theirs.code, "xxd {args:?}: {}", ours.err);
        assert_eq!(ours.err.lines().count(), 1, "{args:?}: {}", ours.err);
    }
    let ours = links.run("xxd", &["-c", "300"]);
    assert_eq!(ours.err, "xxd: invalid number of columns (max. 256).\n");
}
