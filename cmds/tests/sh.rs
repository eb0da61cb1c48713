//! `sh` integration tests: run the built rbox as `sh` (through an applet-named symlink in a
//! tempdir) and compare stdout and exit status with dash running the same script.

#![allow(clippy::unwrap_used)]

mod common;

// The dash comparison by POSIX section (XCU chapter 2 and the shell's utilities): each file
// holds `AGREE`, scripts whose stdout and exit status must match dash's, and `DIFFER`, the
// differences kept on purpose with the reason (checked to still differ, so none goes stale).
#[path = "sh/s2_10_grammar.rs"]
mod s2_10_grammar;
#[path = "sh/s2_14_special_builtins.rs"]
mod s2_14_special_builtins;
#[path = "sh/s2_2_quoting.rs"]
mod s2_2_quoting;
#[path = "sh/s2_3_tokens.rs"]
mod s2_3_tokens;
#[path = "sh/s2_5_parameters.rs"]
mod s2_5_parameters;
#[path = "sh/s2_6_expansions.rs"]
mod s2_6_expansions;
#[path = "sh/s2_7_redirection.rs"]
mod s2_7_redirection;
#[path = "sh/s2_9_commands.rs"]
mod s2_9_commands;
#[path = "sh/utilities.rs"]
mod utilities;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Env {
    dir: tempfile::TempDir,
    sh: PathBuf,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let sh = bin.join("sh");
    std::os::unix::fs::symlink(common::rbox(), &sh).unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for f in ["a.txt", "b.txt", "c.log", ".hidden"] {
        std::fs::write(work.join(f), format!("{f}\n")).unwrap();
    }
    std::fs::create_dir(work.join("sub")).unwrap();
    std::fs::write(work.join("sub/d.txt"), "d\n").unwrap();
    Env { dir, sh }
}

fn run(shell: &Path, dir: &Path, script: &str, stdin: &str) -> Output {
    let mut cmd = Command::new(shell);
    cmd.arg("-c").arg(script).arg("name");
    spawn(cmd, dir, stdin)
}

/// The script read from standard input (`sh -s p1 'p 2'`), as a pipe into the shell.
fn run_stdin(shell: &Path, dir: &Path, script: &str) -> Output {
    let mut cmd = Command::new(shell);
    cmd.arg("-s");
    spawn(cmd, dir, script)
}

fn spawn(mut cmd: Command, dir: &Path, stdin: &str) -> Output {
    use std::io::Write;
    let mut child = cmd
        .arg("p1")
        .arg("p 2")
        .current_dir(dir.join("work"))
        .env("HOME", dir)
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // A shell that stops reading early (exit in the middle) closes the pipe: not an error.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    child.wait_with_output().unwrap()
}

/// How a section's scripts reach the shell.
#[derive(Clone, Copy)]
pub enum Via {
    /// `sh -c SCRIPT name p1 'p 2'`
    Arg,
    /// `sh -s p1 'p 2'` with the script on standard input
    Stdin,
}

/// Scratch files the scripts may create in the work directory; removed after each script.
const SCRATCH: [&str; 9] = ["out", "err", "f3", "empty", "s.sh", "s", "ns", "tmp", "in"];

fn outcome(o: &Output) -> String {
    format!(
        "{:?} {:?} stderr {:?}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Run a section's table against dash: every `agree` script gives the same stdout and exit
/// status, every `differ` script (kept on purpose, with its reason) still differs. Prints the
/// count, which the closing note and README quote.
pub fn section(name: &str, via: Via, agree: &[&str], differ: &[(&str, &str)]) {
    let Some(dash) = dash() else {
        panic!("dash is needed to compare (apt-get install dash)");
    };
    let e = env();
    let go = |shell: &Path, script: &str| match via {
        Via::Arg => run(shell, e.dir.path(), script, ""),
        Via::Stdin => run_stdin(shell, e.dir.path(), script),
    };
    let clean = || {
        for f in SCRATCH {
            let p = e.dir.path().join("work").join(f);
            let _ = std::fs::remove_file(&p);
            let _ = std::fs::remove_dir_all(&p);
        }
    };
    let mut failures = Vec::new();
    for script in agree {
        let ours = go(&e.sh, script);
        clean();
        let theirs = go(&dash, script);
        clean();
        if ours.stdout != theirs.stdout || ours.status.code() != theirs.status.code() {
            failures.push(format!(
                "script {script:?}\n  rbox: {}\n  dash: {}",
                outcome(&ours),
                outcome(&theirs)
            ));
        }
    }
    for (script, why) in differ {
        let ours = go(&e.sh, script);
        clean();
        let theirs = go(&dash, script);
        clean();
        if ours.stdout == theirs.stdout && ours.status.code() == theirs.status.code() {
            failures.push(format!(
                "kept difference no longer differs (move it to AGREE): {script:?} ({why})"
            ));
        }
    }
    println!(
        "sh vs dash, {name}: {} scripts, {} agree; {} differences kept on purpose",
        agree.len(),
        agree.len() - failures.len().min(agree.len()),
        differ.len()
    );
    assert!(
        failures.is_empty(),
        "{name}: {} of {} differ:\n{}",
        failures.len(),
        agree.len() + differ.len(),
        failures.join("\n")
    );
}

fn dash() -> Option<PathBuf> {
    ["/usr/bin/dash", "/bin/dash"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Scripts whose output and status must be the same in rbox sh and dash.
const AGREE: &[&str] = &[
    // words, quoting, parameters
    "echo hello   world",
    "echo 'single  $HOME' \"double  $0\" mixed'a'\"b\"c",
    "printf '%s\\n' a\\ b \\$x \"\\$y\" '\\n'",
    "x=1; y=\"$x 2\"; echo $x \"$y\" ${x}0",
    "echo $0 $1 \"$2\" $#",
    "for a in \"$@\"; do echo \"[$a]\"; done; for a in $@; do echo \"<$a>\"; done",
    "for a in \"$*\"; do echo \"[$a]\"; done",
    "set -- x 'y z'; echo $#; shift; echo \"$1\" $#",
    "set -- ; echo $#; for a in \"$@\"; do echo never; done; echo \"$@\" end",
    "echo ${unset:-default} ${unset-dash} \"${empty:-e}\"; empty=; echo ${empty-set} ${empty:+plus} ${HOME:+home}",
    "echo ${v:=assigned}; echo $v",
    "s=hello; echo ${#s} ${#unset}",
    "p=/usr/lib/x.tar.gz; echo ${p##*/} ${p#*/} ${p%.*} ${p%%.*}",
    "echo ~ ~/x | sed \"s|$HOME|H|g\"",
    "v='a  b   c'; echo $v; echo \"$v\"",
    "IFS=:; v=a:b::c; for i in $v; do echo \"[$i]\"; done",
    "v='  lead'; set -- $v; echo $# \"$1\"",
    "echo $$ | grep -q '^[0-9][0-9]*$' && echo pid",
    "true; echo $?; false; echo $?",
    "echo \"${unset}\" x",
    "x=\"$@\"; echo \"$x\"; set -- 1 2 3 4 5 6 7 8 9 10 11; echo ${10} ${11} $10",
    "f() { echo $#; }; f \"$@\"; f $@; f \"$*\"; f",
    "echo a | { read v; echo \"got $v\"; }; echo a | read v; echo \"[$v]\"",
    "echo `echo \\`echo inner\\``; echo \"`echo dq`\"",

    "a=b; b=c; echo ${a}${b}",
    // globbing
    "echo *.txt",
    "echo * | wc -w",
    "echo .h*",
    "echo sub/*",
    "echo [ab].txt ?.log",
    "echo [!a].txt",
    "echo no*match",
    "echo '*.txt' \"*.txt\" \\*.txt",
    "v='*.txt'; echo $v \"$v\"",
    // substitutions and arithmetic
    "echo $(echo inner) `echo back` \"$(echo a; echo b)\"",
    "x=$(printf 'a\\n\\n\\n'); echo \"[$x]\"",
    "echo $(echo $(echo nested))",
    "x=$(case a in a) echo A;; esac); echo $x \"$(echo \")\")\"",
    "echo \"${x-\"q w\"}\" ${x:-a}b${y:-c}",
    "echo $(echo '$(not)') `echo '$HOME'` \"\\`echo no\\`\"",
    "f() { cat <<EOF\nin func $1\nEOF\n}; f arg",
    "true &&\necho continued; echo a |\ncat",
    "x=out; f() { echo $x; }; x=in f; echo $x",
    "set -e; x=$(false); echo reached; (false); echo notreached",
    "set -e; false | true; echo pipe-ok",
    "x=$(false); echo $?",
    "echo $((1 + 2 * 3)) $(( (1 + 2) * 3 )) $((7 / 2)) $((7 % 3)) $((-5))",
    "echo $((3 > 2)) $((2 >= 3)) $((1 == 1)) $((1 != 1)) $((1 && 0)) $((0 || 2))",
    "i=5; echo $((i * 2)) $(($i + 1)); echo $((i += 3)) $i",
    "echo $((0x10)) $((010)) $((1 << 4))",
    "n=1; while [ $n -le 5 ]; do n=$((n + 1)); done; echo $n",
    // pipelines and lists
    "echo abc | tr a-z A-Z | cat",
    "printf 'b\\na\\nc\\n' | sort | head -n 2",
    "false | true; echo $?; true | false; echo $?",
    "! true; echo $?; ! false; echo $?",
    "true && echo yes; false && echo no; false || echo or; true || echo never",
    "false && echo a || echo b",
    "echo one; echo two; echo three",
    "{ echo a; echo b; } | wc -l",
    "(echo sub; exit 3); echo $?",
    "x=outer; (x=inner); echo $x",
    "cd /; (cd /tmp); pwd",
    // redirections
    "echo hi > out; cat out; echo again >> out; cat out",
    "cat < a.txt",
    "ls nonexistent 2> err; wc -l < err",
    "{ echo out; echo err >&2; } 2>&1 | sort",
    "{ echo out; echo err >&2; } 2>/dev/null",
    "echo to-err >&2 2>/dev/null; echo done",
    "exec 3> f3; echo via3 >&3; exec 3>&-; cat f3",
    "cat <<EOF\nhome is $HOME\n$(echo cmd) $((1+1))\nEOF",
    "cat <<'EOF'\nliteral $HOME $(x)\nEOF",
    "cat <<-EOF\n\tindented\n\tEOF",
    "cat <<A; cat <<B\na\nA\nb\nB",
    "while read line; do echo \"got $line\"; done < a.txt",
    "read a b c <<EOF\n1 2 3 4 5\nEOF\necho \"$a|$b|$c\"",
    "read -r x <<'EOF'\na\\b\nEOF\nprintf '%s\\n' \"$x\"",
    "echo start; > empty; wc -c < empty",
    // descriptors opened right onto a closed target number
    "exec 0<&-; echo a | cat; cat < /etc/hostname | wc -l",
    "exec 0<&-; x=$(echo sub); echo $x",
    "exec 0<&-; cat <<EOF\nhd\nEOF",
    "exec 3>&-; sh -c \"echo x >&3\" 3>f3; cat f3",
    // control flow
    "if true; then echo t; fi; if false; then echo t; else echo f; fi",
    "if false; then echo 1; elif false; then echo 2; elif true; then echo 3; else echo 4; fi",
    "x=3; if [ $x -gt 2 ]; then echo big; fi",
    "i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done",
    "i=0; until [ $i -ge 3 ]; do echo $i; i=$((i+1)); done",
    "for i in 1 2 3; do for j in a b; do echo $i$j; done; done",
    "for i in 1 2 3 4 5; do [ $i = 2 ] && continue; [ $i = 4 ] && break; echo $i; done",
    "for i in 1 2; do for j in 1 2; do [ $j = 2 ] && continue 2; echo $i$j; done; done",
    "for i in a b; do :; done; echo $i",
    "for f in *.txt; do echo file $f; done",
    "case hello in h*o) echo match;; *) echo no;; esac",
    "case x in a|b) echo ab;; x|y) echo xy;; esac",
    "case 'a*' in 'a*') echo quoted;; esac; case ab in 'a*') echo no;; a*) echo glob;; esac",
    "v=abc; case $v in [a-c]*) echo range;; esac",
    "case nothing in a) echo a;; esac; echo $?",
    "case foo in\n  f*)\n    echo multi\n    ;;\nesac",
    // functions
    "f() { echo \"in f: $1 $#\"; }; f a b; f",
    "f() { return 7; }; f; echo $?",
    "f() { local x=local; echo $x; }; x=global; f; echo $x",
    "f() { echo $0 $1; }; f arg; echo $1",
    "fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(($1 - 1))) )); fi; }; fact 5",
    "f() { for i in 1 2 3; do [ $i = 2 ] && return $i; done; }; f; echo $?",
    "g() (echo subshell-func; exit 4); g; echo $?",
    // builtins
    "cd /tmp && pwd; cd / && echo $PWD; cd - >/dev/null; pwd",
    "export E1=exported; sh -c 'echo $E1'",
    "L=notexported; sh -c 'echo [$L]'",
    "V=temp sh -c 'echo $V'; echo [$V]",
    "unset HOME; echo [$HOME]",
    "x=1; unset x; echo ${x-unset}",
    "set -e; true; false; echo notreached",
    "set -e; false || true; if false; then :; fi; ! true; echo survived",
    "set -e; f() { false; echo nope; }; f; echo after",
    "eval 'echo evaluated; x=5'; echo $x",
    "eval \"a=1\" \"b=2\"; echo $a$b",
    "echo 'echo sourced $1' > s.sh; . ./s.sh; echo status $?",
    "test 1 -eq 1 && echo eq; [ a = b ] || echo ne; [ -f a.txt ] && echo file; [ -d sub ] && echo dir",
    "[ -z '' ] && [ -n x ] && [ ! -e nope ] && echo ok",
    "[ 2 -lt 10 -a 1 = 1 ] && echo and; [ 1 = 2 -o x ] && echo or",
    "test; echo $?; test ''; echo $?; test x; echo $?",
    "exit 5",
    "exit",
    "false; exit",
    "(exit 300); echo $?",
    "true & wait; echo waited $?",
    "sh -c 'exit 3' & wait $!; echo $?",
    "sleep 5 & kill -9 $!; wait $!; echo $?",
    "command -v cd; command -v sh >/dev/null && echo found",
    "umask 027; umask",
    "trap 'echo bye' EXIT; echo main",
    "trap 'echo bye' EXIT; exit 3",
    ": ignored args; echo $?",
    "a=1 b=2; echo $a $b",
    "x=5 true; echo [$x]",
    // printf and getopts builtins
    "printf '%s\\n' a b c",
    "printf '%d|%5d|%-5d|%05d|%x|%X|%o|%+d\\n' 42 42 42 42 255 255 8 5",
    "printf '%s-%s\\n' 1 2 3",
    "printf '%.2s|%5s|%-5s|\\n' abcdef ab ab",
    "printf 'no newline'",
    "printf '%b\\n' 'a\\tb\\101' 'x\\0101'",
    "printf '%c%c\\n' hello world",
    "printf 'esc\\t\\\\ \\101\\n'",
    "printf '%d\\n' \"'A\"",
    "printf '%s\\n'",
    "printf '%%\\n'",
    "printf '%b' 'stop\\cnot'; echo",
    "printf '%5.3d|\\n' 7",
    "printf '%-+4d|\\n' 3",
    "printf '%i %u\\n' -3 3",
    "while getopts ab:c opt; do echo \"$opt ${OPTARG-}\"; done; echo $OPTIND",
    "set -- -a -b val -c file; while getopts ab:c opt; do echo \"$opt ${OPTARG-}\"; done; shift $((OPTIND-1)); echo \"rest $*\"",
    "set -- -acb x y; while getopts ab:c opt; do echo \"$opt $OPTARG\"; done; echo $OPTIND",
    "set -- -z; while getopts :ab opt; do echo \"$opt $OPTARG\"; done",
    "set -- -b; while getopts :ab: opt; do echo \"$opt $OPTARG\"; done",
    "set -- -a -- -b; while getopts ab opt; do echo \"$opt\"; done; echo $OPTIND",
    "set -- -z; getopts ab opt 2>/dev/null; echo \"$opt $?\"",
    "getopts a opt -a; echo $opt $OPTIND",
    // signal traps
    "trap 'echo caught' TERM; kill -TERM $$; echo after",
    "trap 'echo int; exit 3' INT; kill -INT $$; echo notreached",
    "trap '' TERM; kill -TERM $$; echo survived",
    "trap 'echo usr1' USR1; (kill -USR1 $$); echo x",
    "trap 'echo t' TERM; trap - TERM; trap 'echo e' EXIT; trap",
    "trap 'echo in-sub' TERM; (kill -TERM $$; sleep 0.1; echo sub-done); echo parent",
    "trap 'echo hup' 1; kill -1 $$; echo ok",
    "f() { echo cleanup; }; trap f EXIT INT TERM; echo body",
    // comments and line continuation
    "echo a # comment\n# full line\necho b",
    "echo a#b 'c#d'",
    "echo one \\\ntwo",
    "x=a\\\nb; echo $x",
    "echo a; \n\n echo b",
    // exit status of signals and errors
    "sh -c 'kill -9 $$'; echo $?",
    "nosuchcommand 2>/dev/null; echo $?",
    "./a.txt 2>/dev/null; echo $?",
    "/nonexistent/x 2>/dev/null; echo $?",
    "printf '#!/bin/sh\\necho script $1\\n' > s; chmod +x s; ./s arg",
    "printf 'echo noshebang\\n' > ns; chmod +x ns; ./ns",
];

#[test]
fn agrees_with_dash() {
    let Some(dash) = dash() else {
        panic!("dash is needed to compare (apt-get install dash)");
    };
    let e = env();
    let mut failures = Vec::new();
    for script in AGREE {
        let ours = run(&e.sh, e.dir.path(), script, "");
        let theirs = run(&dash, e.dir.path(), script, "");
        if ours.stdout != theirs.stdout || ours.status.code() != theirs.status.code() {
            failures.push(format!(
                "script {script:?}\n  rbox: {:?} {:?} stderr {:?}\n  dash: {:?} {:?}",
                ours.status.code(),
                String::from_utf8_lossy(&ours.stdout),
                String::from_utf8_lossy(&ours.stderr),
                theirs.status.code(),
                String::from_utf8_lossy(&theirs.stdout),
            ));
        }
        // Scratch files must not leak from one script into the next.
        for f in ["out", "err", "f3", "empty", "s.sh", "s", "ns"] {
            let _ = std::fs::remove_file(e.dir.path().join("work").join(f));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        AGREE.len(),
        failures.join("\n")
    );
}

fn sh_out(script: &str) -> (Option<i32>, Option<i32>, String, String) {
    let e = env();
    let o = run(&e.sh, e.dir.path(), script, "");
    (
        o.status.code(),
        o.status.signal(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn error_messages_and_statuses() {
    // (script, exit code, stdout, stderr)
    let cases: &[(&str, i32, &str, &str)] = &[
        ("nosuch", 127, "", "sh: nosuch: not found\n"),
        ("nosuch; echo $?", 0, "127\n", "sh: nosuch: not found\n"),
        (
            "echo a\necho b\nfi\necho c",
            2,
            "a\nb\n",
            "sh: line 3: syntax error near 'fi'\n",
        ),
        (
            "if true; then",
            2,
            "",
            "sh: line 1: syntax error: unexpected end of file\n",
        ),
        (
            "echo 'open",
            2,
            "",
            "sh: line 1: syntax error: unexpected end of file\n",
        ),
        ("echo a; ) ", 2, "", "sh: line 1: syntax error near ')'\n"),
        (
            "echo x > a.txt/sub; echo $?",
            0,
            "1\n",
            "sh: a.txt/sub: Not a directory\n",
        ),
        (
            "cat < missing; echo $?",
            0,
            "1\n",
            "sh: missing: No such file or directory\n",
        ),
        (
            // A failed cd is status 2, as in dash.
            "cd /nonexistent; echo $?",
            0,
            "2\n",
            "sh: cd: /nonexistent: No such file or directory\n",
        ),
        (
            "echo ${x:?is unset}; echo after",
            2,
            "",
            "sh: x: is unset\n",
        ),
        (
            "echo $((1/0)); echo after",
            2,
            "",
            "sh: arithmetic: division by zero\n",
        ),
        ("set -u; echo $nope", 2, "", "sh: nope: parameter not set\n"),
        (
            "chmod -x a.txt; ./a.txt",
            126,
            "",
            "sh: ./a.txt: Permission denied\n",
        ),
        (
            "eval 'if'",
            2,
            "",
            "sh: line 1: syntax error: unexpected end of file\n",
        ),
        ("set -x; echo traced", 0, "traced\n", "+ echo traced\n"),
        ("exit 300", 44, "", ""),
        (
            "f() { f; }; f; echo after",
            2,
            "",
            "sh: f: function nesting too deep\n",
        ),
    ];
    for (script, code, out, err) in cases {
        let (c, _, o, e) = sh_out(script);
        assert_eq!(
            (c, o.as_str(), e.as_str()),
            (Some(*code), *out, *err),
            "{script:?}"
        );
    }
}

#[test]
fn killed_by_signal() {
    let (code, sig, _, _) = sh_out("kill -9 $$");
    assert_eq!((code, sig), (None, Some(9)));
    let (code, _, out, _) = sh_out("sh -c 'kill -TERM $$'; echo $?");
    assert_eq!((code, out.as_str()), (Some(0), "143\n"));
}

#[test]
fn applets_run_when_not_on_path() {
    let (code, _, out, err) = sh_out("PATH=/nonexistent; uname; echo x | cat; true; echo $?");
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (Some(0), "Linux\nx\n0\n", "")
    );
    let (code, _, out, _) = sh_out("PATH=/nonexistent; command -v ls");
    assert_eq!((code, out.as_str()), (Some(0), "ls\n"));
}

#[test]
fn script_file_and_stdin() {
    let e = env();
    let script = e.dir.path().join("script.sh");
    std::fs::write(&script, "echo \"$0 $1 $#\"\nread l\necho \"read $l\"\n").unwrap();
    let o = Command::new(&e.sh)
        .arg(&script)
        .arg("one")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("{} one 1\nread \n", script.display())
    );

    // Commands piped in; `read` takes the next line of the same input (so the shell itself
    // never sees line 3 and counts the stray `fi` as its line 7).
    let mut child = Command::new(&e.sh)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut i = child.stdin.take().unwrap();
        i.write_all(b"echo first\nread x\nfrom stdin\necho \"got $x\"\nif true\nthen echo multi\nfi\nfi\necho after\n").unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "first\ngot from stdin\nmulti\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "sh: line 7: syntax error near 'fi'\n"
    );
    assert_eq!(o.status.code(), Some(2));

    let o = Command::new(&e.sh)
        .arg("/nonexistent/script")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "sh: /nonexistent/script: No such file or directory\n"
    );
}

/// The interactive shell on a pseudo-terminal, as a user at the console sees it: the prompt,
/// Ctrl-C killing the foreground command (status 130) and abandoning a typed line, not the
/// shell; Ctrl-D leaving with the last status.
#[test]
fn interactive_on_a_terminal() {
    use nix::pty::{openpty, Winsize};
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    use std::time::{Duration, Instant};

    let e = env();
    let ws = Winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(Some(&ws), None).unwrap();
    let mut cmd = Command::new(&e.sh);
    cmd.env_remove("PS1")
        .env("TERM", "xterm")
        .current_dir(e.dir.path())
        .stdin(pty.slave.try_clone().unwrap())
        .stdout(pty.slave.try_clone().unwrap())
        .stderr(pty.slave.try_clone().unwrap());
    // SAFETY: only async-signal-safe calls (setsid, ioctl) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid()?;
            if libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    drop(pty.slave);
    let mut master = std::fs::File::from(pty.master);
    let fd = master.as_raw_fd();
    // SAFETY: F_SETFL on a descriptor we own.
    unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) };
    let mut seen = String::new();
    let mut expect = |master: &mut std::fs::File, needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(at) = seen.find(needle) {
                let before: String = seen.drain(..at + needle.len()).collect();
                return before;
            }
            assert!(
                Instant::now() < deadline,
                "waiting for {needle:?}, got {seen:?}"
            );
            let mut buf = [0u8; 256];
            match master.read(&mut buf) {
                Ok(n) if n > 0 => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    };
    let prompt = if nix::unistd::geteuid().is_root() {
        "# "
    } else {
        "$ "
    };
    expect(&mut master, prompt);
    master.write_all(b"echo hi-$((6*7))\r").unwrap();
    expect(&mut master, "hi-42");
    expect(&mut master, prompt);
    master.write_all(b"sleep 20\r").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    master.write_all(b"\x03").unwrap();
    expect(&mut master, prompt);
    assert!(started.elapsed() < Duration::from_secs(5));
    master.write_all(b"echo status=$?\r").unwrap();
    expect(&mut master, "status=130");
    expect(&mut master, prompt);
    // Ctrl-C ends the whole command line, not just the command running in it.
    master
        .write_all(b"for i in 1 2; do (sleep 5; echo sub-$i); echo loop-$i; done\r")
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    master.write_all(b"\x03").unwrap();
    let before = expect(&mut master, prompt);
    assert!(
        !before.contains("loop-1") && !before.contains("sub-1"),
        "{before:?}"
    );
    master.write_all(b"echo aban\"\"doned\x03").unwrap();
    let before = expect(&mut master, prompt);
    assert!(!before.contains("abandoned"), "{before:?}");
    master.write_all(b"if true\r").unwrap();
    expect(&mut master, "> ");
    master.write_all(b"then echo con-tinued; fi\r").unwrap();
    expect(&mut master, "con-tinued");
    expect(&mut master, prompt);
    // A syntax error costs only the line.
    master.write_all(b"fi\r").unwrap();
    expect(&mut master, "syntax error near 'fi'");
    expect(&mut master, prompt);
    master.write_all(b"echo still-$?\r").unwrap();
    expect(&mut master, "still-2");
    expect(&mut master, prompt);
    master.write_all(b"(exit 3)\r").unwrap();
    expect(&mut master, prompt);
    master.write_all(b"\x04").unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3));
}

/// A login shell (argv[0] `-sh`, as init starts it) reads /etc/profile and $HOME/.profile.
#[test]
fn login_shell_reads_profile() {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    let e = env();
    std::fs::write(e.dir.path().join(".profile"), "FROM_PROFILE=yes\n").unwrap();
    let mut child = Command::new(&e.sh)
        .arg0("-sh")
        .env("HOME", e.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"echo profile=$FROM_PROFILE; false\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "profile=yes\n");
    assert_eq!(o.status.code(), Some(1), "EOF exits with the last status");
}

/// A background job that ends while the shell waits for input is reaped before the next
/// command runs, so `ps` never shows it as a zombie.
#[test]
fn finished_background_jobs_are_reaped() {
    use std::io::Write;
    let e = env();
    let mut child = Command::new(&e.sh)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(b"sleep 0.2 & bg=$!\n").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    input
        .write_all(
            b"if [ -e /proc/$bg ]; then echo zombie; else echo reaped; fi; wait $bg; echo $?\n",
        )
        .unwrap();
    drop(input);
    let o = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "reaped\n0\n");
}
