//! `awk`: pattern scanning and processing language. POSIX awk (XCU "awk"), as mawk and the
//! one true awk implement it, plus regex RS (gawk, mawk), `**`, `nextfile`, `fflush()`.
//!
//! usage: awk [-F fs] [-v var=value]... ['prog' | -f progfile ...] [file | var=value ...]
//!
//! Strings are bytes (length and substr count bytes, as mawk does in the C locale); regexes are
//! POSIX EREs translated for the `regex` crate (`ere`). The pipeline: `lexer` → `parser`/`expr`
//! (AST in `ast`, names resolved to slots) → `interp`/`exec`/`builtins` (tree-walking, fields
//! split lazily, `record` for RS/FS, `io` for redirections, `format` for printf, `value` for
//! strnum semantics). Where mawk and the one true awk disagree we mostly follow the latter; the
//! list is in `cmds/tests/awk.rs`.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use crate::error::{io_reason, AppletResult, Failure, UsageError};

mod ast;
mod builtins;
mod ere;
mod exec;
mod expr;
mod format;
mod interp;
mod io;
mod lexer;
mod parser;
mod record;
mod value;

pub const USAGE: &str = "\
usage: awk [-F fs] [-v var=value]... ['program' | -f progfile ...] [file | var=value ...]
Run the awk program on each record of the files (or stdin); var=value operands are
assigned when reached. -F sets FS, -v assigns before BEGIN, -f reads the program from a file.
";

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub fs: Option<Vec<u8>>,
    pub assigns: Vec<(Vec<u8>, Vec<u8>)>,
    /// Program text, or the -f files to read it from.
    pub program: Program,
    pub operands: Vec<Vec<u8>>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Program {
    Text(Vec<u8>),
    Files(Vec<Vec<u8>>),
}

/// `name=value` with a valid awk name: the name and the value with escapes processed.
pub fn assignment(arg: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let eq = arg.iter().position(|&c| c == b'=')?;
    let name = &arg[..eq];
    let ok = name
        .first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
    ok.then(|| (name.to_vec(), lexer::unescape(&arg[eq + 1..])))
}

impl Options {
    pub fn parse(args: &[Vec<u8>]) -> Result<Options, UsageError> {
        let mut fs = None;
        let mut assigns = Vec::new();
        let mut files = Vec::new();
        let mut i = 0;
        let value = |i: &mut usize, attached: &[u8], opt: &str| -> Result<Vec<u8>, UsageError> {
            if !attached.is_empty() {
                return Ok(attached.to_vec());
            }
            *i += 1;
            args.get(*i)
                .cloned()
                .ok_or_else(|| UsageError(format!("option requires an argument -- '{opt}'")))
        };
        while i < args.len() {
            let a = &args[i];
            if a == b"--" {
                i += 1;
                break;
            }
            if a.len() < 2 || a[0] != b'-' {
                break;
            }
            match a[1] {
                b'F' => fs = Some(lexer::unescape(&value(&mut i, &a[2..], "F")?)),
                b'v' => {
                    let v = value(&mut i, &a[2..], "v")?;
                    let Some(pair) = assignment(&v) else {
                        return Err(UsageError(format!(
                            "invalid -v argument: {}",
                            String::from_utf8_lossy(&v)
                        )));
                    };
                    assigns.push(pair);
                }
                b'f' => files.push(value(&mut i, &a[2..], "f")?),
                _ => {
                    return Err(UsageError(format!(
                        "unknown option {}",
                        String::from_utf8_lossy(a)
                    )))
                }
            }
            i += 1;
        }
        let program = if files.is_empty() {
            let Some(p) = args.get(i) else {
                return Err(UsageError("no program given".into()));
            };
            i += 1;
            Program::Text(p.clone())
        } else {
            Program::Files(files)
        };
        Ok(Options {
            fs,
            assigns,
            program,
            operands: args[i..].to_vec(),
        })
    }
}

/// Why awk stops: a usage error (the dispatcher adds the usage text), or a fatal error of the
/// program (syntax, runtime, I/O), which we report ourselves with exit status 2 and no usage.
enum Fatal {
    Usage(UsageError),
    Error(String),
}

impl From<UsageError> for Fatal {
    fn from(e: UsageError) -> Fatal {
        Fatal::Usage(e)
    }
}

fn read_program(p: &Program) -> Result<Vec<u8>, Fatal> {
    match p {
        Program::Text(t) => Ok(t.clone()),
        Program::Files(files) => {
            let mut src = Vec::new();
            for f in files {
                let path = std::path::Path::new(std::ffi::OsStr::from_bytes(f));
                let text = if f == b"-" {
                    let mut v = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::stdin(), &mut v).map(|_| v)
                } else {
                    std::fs::read(path)
                };
                let text = text.map_err(|e| {
                    Fatal::Error(format!(
                        "can't open file {}: {}",
                        path.display(),
                        io_reason(&e)
                    ))
                })?;
                src.extend_from_slice(&text);
                src.push(b'\n');
            }
            Ok(src)
        }
    }
}

/// Stack for the interpreter thread: a tree-walker recurses per awk call level and per
/// nesting level; the pages are only touched as deep as a program goes.
const STACK_SIZE: usize = 512 << 20;

pub fn run(args: Vec<OsString>) -> AppletResult {
    // Without a thread (spawn failed) run on this one's smaller stack.
    let fallback = args.clone();
    let worker = std::thread::Builder::new()
        .name("awk".into())
        .stack_size(STACK_SIZE)
        .spawn(move || run_program(args));
    match worker {
        Ok(handle) => handle.join().unwrap_or_else(|_| {
            Err(Failure {
                message: "internal error".into(),
                code: 2,
            })
        }),
        Err(_) => run_program(fallback),
    }
}

fn run_program(args: Vec<OsString>) -> AppletResult {
    match run_checked(args) {
        Ok(status) => Ok(status),
        Err(Fatal::Usage(e)) => Err(e.into()),
        Err(Fatal::Error(msg)) => {
            eprintln!("awk: {msg}");
            Ok(2)
        }
    }
}

fn run_checked(args: Vec<OsString>) -> Result<i32, Fatal> {
    let args: Vec<Vec<u8>> = args.iter().skip(1).map(|a| a.as_bytes().to_vec()).collect();
    if args.first().is_some_and(|a| a == b"--version") {
        println!("awk (rbox) POSIX awk");
        return Ok(0);
    }
    let opts = Options::parse(&args)?;
    let src = read_program(&opts.program)?;
    let prog = parser::parse(&src).map_err(|e| Fatal::Error(e.to_string()))?;
    let mut argv = vec![b"awk".to_vec()];
    argv.extend(opts.operands.iter().cloned());
    let mut it = interp::Interp::new(&prog, argv);
    let fail = |it: &mut interp::Interp, message: String| {
        let _ = it.streams.close_all();
        Fatal::Error(message)
    };
    let mut pre = Vec::new();
    if let Some(fs) = opts.fs {
        pre.push((b"FS".to_vec(), fs));
    }
    pre.extend(opts.assigns);
    for (name, val) in pre {
        if let Some(slot) = prog.globals.iter().position(|g| g.as_bytes() == name) {
            if let Err(interp::Abort::Error(e)) =
                it.set_var(ast::Var::Global(slot), value::Value::strnum(&val))
            {
                return Err(fail(&mut it, e));
            }
        }
    }
    let status = match it.run() {
        Ok(s) => s,
        Err(e) => return Err(fail(&mut it, e)),
    };
    if let Err(e) = it.streams.close_all() {
        return Err(Fatal::Error(format!("write error: {}", io_reason(&e))));
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<Vec<u8>> {
        args.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn options() {
        let o = Options::parse(&v(&["-F:", "-v", "x=1\\t", "{print}", "f", "y=2"])).unwrap();
        assert_eq!(o.fs, Some(b":".to_vec()));
        assert_eq!(o.assigns, vec![(b"x".to_vec(), b"1\t".to_vec())]);
        assert_eq!(o.program, Program::Text(b"{print}".to_vec()));
        assert_eq!(o.operands, v(&["f", "y=2"]));
        let o = Options::parse(&v(&["-f", "a.awk", "-fb.awk", "--", "-x"])).unwrap();
        assert_eq!(o.program, Program::Files(v(&["a.awk", "b.awk"])));
        assert_eq!(o.operands, v(&["-x"]));
        let o = Options::parse(&v(&["-F", "\\t", "--", "{}"])).unwrap();
        assert_eq!(o.fs, Some(b"\t".to_vec()));
        assert_eq!(o.program, Program::Text(b"{}".to_vec()));
        for bad in [&["-q", "{}"][..], &["-v", "1x=2", "{}"], &[], &["-F"]] {
            assert!(Options::parse(&v(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn assignments() {
        assert_eq!(assignment(b"a=b"), Some((b"a".to_vec(), b"b".to_vec())));
        assert_eq!(
            assignment(b"_x1=\\n"),
            Some((b"_x1".to_vec(), b"\n".to_vec()))
        );
        assert_eq!(assignment(b"1a=b"), None);
        assert_eq!(assignment(b"./a=b"), None);
        assert_eq!(assignment(b"file"), None);
    }
}
