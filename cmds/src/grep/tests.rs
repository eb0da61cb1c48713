use super::*;

fn parse(name: &str, v: &[&str]) -> Result<Options, UsageError> {
    let mut args = vec![OsString::from(name)];
    args.extend(v.iter().map(OsString::from));
    Options::parse(args)
}

fn pats(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

fn files(v: &[&str]) -> Vec<OsString> {
    v.iter().map(OsString::from).collect()
}

#[test]
fn parse_table() {
    type Check = fn(&Options) -> bool;
    let cases: [(&str, &[&str], Check); 33] = [
        ("grep", &["a", "f"], |o| {
            o.patterns == pats(&["a"]) && o.files == files(&["f"]) && o.syntax == Syntax::Basic
        }),
        ("egrep", &["a"], |o| o.syntax == Syntax::Extended),
        ("fgrep", &["a"], |o| o.syntax == Syntax::Fixed),
        ("grep", &["-E", "-F", "a"], |o| o.syntax == Syntax::Fixed),
        ("grep", &["-rn", "a"], |o| {
            o.recurse == Recurse::Yes && o.line_number
        }),
        ("grep", &["-A2", "a"], |o| o.after == Some(2)),
        ("grep", &["-A", "2", "a"], |o| o.after == Some(2)),
        ("grep", &["-nA2", "a"], |o| {
            o.after == Some(2) && o.line_number
        }),
        ("grep", &["-3", "a"], |o| o.context == Some(3)),
        ("grep", &["-n12", "a"], |o| {
            o.context == Some(12) && o.line_number
        }),
        ("grep", &["-C1", "-A3", "a"], |o| {
            o.after_lines() == 3 && o.before_lines() == 1
        }),
        ("grep", &["-e", "a", "-eb", "f"], |o| {
            o.patterns == pats(&["a", "b"]) && o.files == files(&["f"])
        }),
        ("grep", &["--regexp=a", "--regexp", "b"], |o| {
            o.patterns == pats(&["a", "b"]) && o.files.is_empty()
        }),
        ("grep", &["a", "f", "-i"], |o| {
            o.ignore_case && o.files == files(&["f"])
        }),
        ("grep", &["--", "-i", "f"], |o| {
            !o.ignore_case && o.patterns == pats(&["-i"]) && o.files == files(&["f"])
        }),
        ("grep", &["-y", "a"], |o| o.ignore_case),
        ("grep", &["--ignore-case", "--invert-match", "a"], |o| {
            o.ignore_case && o.invert
        }),
        ("grep", &["--ign", "a"], |o| o.ignore_case),
        ("grep", &["-m", "5", "a"], |o| o.max_count == Some(5)),
        ("grep", &["--max-count=5", "a"], |o| o.max_count == Some(5)),
        ("grep", &["-lc", "a"], |o| {
            o.list == Some(ListFiles::Matching) && o.count
        }),
        ("grep", &["-L", "a"], |o| {
            o.list == Some(ListFiles::NonMatching)
        }),
        ("grep", &["-hH", "a"], |o| o.with_filename == Some(true)),
        ("grep", &["--color", "a"], |o| o.color == Color::Always),
        ("grep", &["--color=auto", "a"], |o| o.color == Color::Auto),
        ("grep", &["--colour=never", "a"], |o| {
            o.color == Color::Never
        }),
        ("grep", &["--include=*.c", "--exclude-dir", "d", "a"], |o| {
            o.include == pats(&["*.c"]) && o.exclude_dir == pats(&["d"])
        }),
        ("grep", &["-f", "p", "x"], |o| {
            o.pattern_files == files(&["p"]) && o.files == files(&["x"]) && o.patterns.is_empty()
        }),
        ("grep", &["-z", "--null-data", "a"], |o| {
            o.null_data && o.eol() == 0
        }),
        ("grep", &["-P", "-dskip", "-D", "skip", "a"], |o| {
            o.syntax == Syntax::Perl && o.skip_dirs && o.skip_devices
        }),
        ("grep", &["--directories=recurse", "a"], |o| {
            o.recurse == Recurse::Yes
        }),
        ("grep", &["-Z", "--label=in", "a"], |o| {
            o.null && o.label.as_deref() == Some(&b"in"[..])
        }),
        ("grep", &["-R", "-s", "-q", "-a", "-b", "a"], |o| {
            o.recurse == Recurse::Dereference && o.no_messages && o.quiet && o.text && o.byte_offset
        }),
    ];
    for (name, args, check) in cases {
        let o = parse(name, args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(check(&o), "{name} {args:?}: {o:?}");
    }
}

#[test]
fn parse_errors() {
    let cases: [&[&str]; 11] = [
        &[],
        &["-d", "bogus", "a"],
        &["--devices=recurse", "a"],
        &["-A"],
        &["-A", "x", "a"],
        &["-m", "-1", "a"],
        &["--color=sometimes", "a"],
        &["--bogus", "a"],
        &["--co", "a"],
        &["-k", "a"],
        &["--count=3", "a"],
    ];
    for args in cases {
        assert!(parse("grep", args).is_err(), "{args:?}");
    }
}

#[test]
fn glob_table() {
    let cases: [(&str, &str, bool); 12] = [
        ("*.c", "a.c", true),
        ("*.c", "a.h", false),
        ("*.c", ".c", true),
        ("a?c", "abc", true),
        ("a?c", "ac", false),
        ("[ab]*", "bx", true),
        ("[!ab]*", "bx", false),
        ("[a-c]x", "cx", true),
        ("*a*b*", "xxaxxbxx", true),
        ("*a*b", "xxaxxbxxc", false),
        ("\\*", "*", true),
        ("", "", true),
    ];
    for (pat, name, want) in cases {
        assert_eq!(
            glob_match(pat.as_bytes(), name.as_bytes()),
            want,
            "{pat} {name}"
        );
    }
}

#[test]
fn regex_options_table() {
    // (options, patterns, line, matches)
    let cases: [(&[&str], &[&str], &str, bool); 12] = [
        (&[], &["abc"], "xabcx", true),
        (&["-i"], &["ABC"], "xabcx", true),
        (&["-i"], &["[A-C]\\{3\\}"], "xabcx", true),
        (&["-w"], &["abc"], "xabcx", false),
        (&["-w"], &["abc"], "x abc.", true),
        (&["-w"], &["@foo"], " @foo", true),
        (&["-w"], &["abc"], "abcd abc", true),
        (&["-x"], &["abc"], "abc", true),
        (&["-x"], &["abc", "x"], "xabc", false),
        (&["-x", "-F"], &["a.c", "x"], "x", true),
        (&["-E"], &["a|b"], "b", true),
        (&[], &["a|b"], "b", false),
    ];
    for (args, patterns, line, want) in cases {
        let mut all: Vec<&str> = args.to_vec();
        all.push("unused");
        let o = parse("grep", &all).expect("options");
        let re = build_regex(&pats(patterns), &o).expect("regex");
        assert_eq!(
            re.is_match(line.as_bytes()),
            want,
            "{args:?} {patterns:?} {line}"
        );
    }
}

#[test]
fn bad_regex_is_one_line() {
    let o = parse("grep", &["-E", "x"]).expect("options");
    for p in ["(a", "a{2,1}", "[[:nope:]]", "a\\"] {
        let e = build_regex(&pats(&[p]), &o).expect_err(p);
        assert!(!e.contains('\n') && !e.is_empty(), "{p}: {e}");
    }
}
