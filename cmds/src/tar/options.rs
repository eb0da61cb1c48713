//! tar's command line: GNU's short and long options, and the old style where the first
//! argument is a bundle of letters whose arguments follow it in order (`tar czf x.tgz dir`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::compress::Codec;
use crate::error::UsageError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    List,
    Extract,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub op: Operation,
    pub archive: PathBuf,
    pub dir: Option<PathBuf>,
    pub verbose: u32,
    pub codec: Option<Codec>,
    pub auto: bool,
    pub preserve_perms: bool,
    pub dereference: bool,
    pub to_stdout: bool,
    pub excludes: Vec<String>,
    pub strip: usize,
    pub numeric_owner: bool,
    /// None: GNU's default (restore owners when root).
    pub same_owner: Option<bool>,
    pub keep_old: bool,
    pub touch: bool,
    pub owner: Option<String>,
    pub group: Option<String>,
    pub files: Vec<PathBuf>,
}

/// Letters that take an argument, in both the old and the short style.
const WITH_ARG: &str = "fCbT";

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut args: Vec<String> = args
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        // Old style: `tar czf x.tgz dir` == `tar -c -z -f x.tgz dir`.
        if let Some(first) = args.first() {
            if !first.starts_with('-') && !first.is_empty() {
                let letters: Vec<char> = first.chars().collect();
                let mut rest: Vec<String> = args[1..].to_vec();
                let mut expanded = Vec::new();
                for c in letters {
                    expanded.push(format!("-{c}"));
                    if WITH_ARG.contains(c) {
                        if rest.is_empty() {
                            return Err(UsageError(format!(
                                "option requires an argument -- '{c}'"
                            )));
                        }
                        expanded.push(rest.remove(0));
                    }
                }
                expanded.extend(rest);
                args = expanded;
            }
        }
        let mut o = Options {
            op: Operation::List,
            archive: PathBuf::from("-"),
            dir: None,
            verbose: 0,
            codec: None,
            auto: false,
            preserve_perms: false,
            dereference: false,
            to_stdout: false,
            excludes: Vec::new(),
            strip: 0,
            numeric_owner: false,
            same_owner: None,
            keep_old: false,
            touch: false,
            owner: None,
            group: None,
            files: Vec::new(),
        };
        let mut op = None;
        let mut set_op = |new: Operation| -> Result<(), UsageError> {
            match op {
                Some(old) if old != new => Err(UsageError(
                    "You may not specify more than one '-Acdtrux', '--delete' or  '--test-label' option"
                        .into(),
                )),
                _ => {
                    op = Some(new);
                    Ok(())
                }
            }
        };
        let mut i = 0;
        let mut only_files = false;
        while i < args.len() {
            let arg = args[i].clone();
            i += 1;
            if only_files || arg == "-" || !arg.starts_with('-') {
                o.files.push(PathBuf::from(arg));
                continue;
            }
            if arg == "--" {
                only_files = true;
                continue;
            }
            if let Some(long) = arg.strip_prefix("--") {
                let (name, inline) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                let needs_value = matches!(
                    name,
                    "file" | "directory" | "exclude" | "strip-components" | "owner" | "group"
                );
                let value = if needs_value {
                    match inline {
                        Some(v) => v,
                        None => {
                            let v = args.get(i).cloned().ok_or_else(|| {
                                UsageError(format!("option '--{name}' requires an argument"))
                            })?;
                            i += 1;
                            v
                        }
                    }
                } else {
                    String::new()
                };
                match name {
                    "create" => set_op(Operation::Create)?,
                    "list" => set_op(Operation::List)?,
                    "extract" | "get" => set_op(Operation::Extract)?,
                    "file" => o.archive = PathBuf::from(value),
                    "directory" => o.dir = Some(PathBuf::from(value)),
                    "verbose" => o.verbose += 1,
                    "gzip" | "gunzip" | "ungzip" => o.codec = Some(Codec::Gzip),
                    "xz" => o.codec = Some(Codec::Xz),
                    "zstd" => o.codec = Some(Codec::Zstd),
                    "bzip2" => return Err(UsageError("bzip2 compression is not supported".into())),
                    "auto-compress" => o.auto = true,
                    "preserve-permissions" | "same-permissions" => o.preserve_perms = true,
                    "dereference" => o.dereference = true,
                    "to-stdout" => o.to_stdout = true,
                    "exclude" => o.excludes.push(value),
                    "strip-components" => {
                        o.strip = value.parse().map_err(|_| {
                            UsageError(format!("Invalid number of elements: '{value}'"))
                        })?
                    }
                    "numeric-owner" => o.numeric_owner = true,
                    "no-same-owner" => o.same_owner = Some(false),
                    "same-owner" => o.same_owner = Some(true),
                    "keep-old-files" => o.keep_old = true,
                    "touch" => o.touch = true,
                    "owner" => o.owner = Some(value),
                    "group" => o.group = Some(value),
                    _ => return Err(UsageError(format!("unrecognized option '{arg}'"))),
                }
                continue;
            }
            let letters: Vec<char> = arg[1..].chars().collect();
            for (k, &c) in letters.iter().enumerate() {
                if WITH_ARG.contains(c) {
                    let inline: String = letters[k + 1..].iter().collect();
                    let value = if inline.is_empty() {
                        let v = args.get(i).cloned().ok_or_else(|| {
                            UsageError(format!("option requires an argument -- '{c}'"))
                        })?;
                        i += 1;
                        v
                    } else {
                        inline
                    };
                    match c {
                        'f' => o.archive = PathBuf::from(value),
                        'C' => o.dir = Some(PathBuf::from(value)),
                        _ => return Err(UsageError(format!("option -{c} is not supported"))),
                    }
                    break;
                }
                match c {
                    'c' => set_op(Operation::Create)?,
                    't' => set_op(Operation::List)?,
                    'x' => set_op(Operation::Extract)?,
                    'v' => o.verbose += 1,
                    'z' => o.codec = Some(Codec::Gzip),
                    'J' => o.codec = Some(Codec::Xz),
                    'j' => return Err(UsageError("bzip2 compression is not supported".into())),
                    'a' => o.auto = true,
                    'p' => o.preserve_perms = true,
                    'h' => o.dereference = true,
                    'O' => o.to_stdout = true,
                    'k' => o.keep_old = true,
                    'm' => o.touch = true,
                    'o' => o.same_owner = Some(false),
                    _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
                }
            }
        }
        o.op = op.ok_or_else(|| {
            UsageError(
                "You must specify one of the '-Acdtrux', '--delete' or '--test-label' options"
                    .into(),
            )
        })?;
        Ok(o)
    }

    /// Where a file argument of `-c` is on disk (relative to `-C DIR`).
    pub fn dir_for(&self, file: &Path) -> PathBuf {
        match &self.dir {
            Some(d) if file.is_relative() => d.join(file),
            _ => file.to_path_buf(),
        }
    }

    /// `--exclude`: a pattern matches the whole name or any tail of it starting at a `/`.
    pub fn excluded(&self, name: &str) -> bool {
        let name = name.trim_end_matches('/');
        self.excludes.iter().any(|p| {
            let p = p.trim_end_matches('/');
            std::iter::once(name)
                .chain(name.match_indices('/').map(|(at, _)| &name[at + 1..]))
                .any(|tail| glob(p.as_bytes(), tail.as_bytes()))
        })
    }

    /// MEMBER arguments of `-t`/`-x`: the member or anything under it.
    pub fn selected(&self, name: &str) -> bool {
        self.op == Operation::Create || self.files.is_empty() || !self.selecting(name).is_empty()
    }

    /// Which MEMBER arguments `name` answers (by index).
    pub fn selecting(&self, name: &str) -> Vec<usize> {
        let name = name.trim_end_matches('/');
        let hits = self.files.iter().enumerate().filter(|(_, f)| {
            let f = f.to_string_lossy();
            let f = f.trim_end_matches('/');
            name == f
                || name.strip_prefix(f).is_some_and(|r| r.starts_with('/'))
                || glob(f.as_bytes(), name.as_bytes())
        });
        hits.map(|(i, _)| i).collect()
    }
}

/// Shell wildcards `*`, `?`, `[...]`; `*` also matches `/`, as in GNU tar's exclusions.
pub fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|k| glob(&p[1..], &s[k..])),
        Some(b'?') => !s.is_empty() && glob(&p[1..], &s[1..]),
        Some(b'[') => {
            let Some(close) = p.iter().skip(2).position(|&c| c == b']').map(|x| x + 2) else {
                return s.first() == Some(&b'[') && glob(&p[1..], &s[1..]);
            };
            let Some(&c) = s.first() else { return false };
            let set = &p[1..close];
            let (neg, set) = match set.first() {
                Some(b'!') | Some(b'^') => (true, &set[1..]),
                _ => (false, set),
            };
            let mut hit = false;
            let mut k = 0;
            while k < set.len() {
                if k + 2 < set.len() && set[k + 1] == b'-' {
                    hit |= set[k] <= c && c <= set[k + 2];
                    k += 3;
                } else {
                    hit |= set[k] == c;
                    k += 1;
                }
            }
            hit != neg && glob(&p[close + 1..], &s[1..])
        }
        Some(b'\\') if p.len() > 1 => s.first() == Some(&p[1]) && glob(&p[2..], &s[1..]),
        Some(&c) => s.first() == Some(&c) && glob(&p[1..], &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, UsageError> {
        Options::parse(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn old_style_bundles() {
        let o = parse(&["tar", "czf", "x.tgz", "dir"]).expect("parses");
        assert_eq!(o.op, Operation::Create);
        assert_eq!(o.codec, Some(Codec::Gzip));
        assert_eq!(o.archive, PathBuf::from("x.tgz"));
        assert_eq!(o.files, vec![PathBuf::from("dir")]);
        let o = parse(&["tar", "xvf", "-"]).expect("parses");
        assert_eq!((o.op, o.verbose), (Operation::Extract, 1));
        assert_eq!(o.archive, PathBuf::from("-"));
        assert!(o.files.is_empty());
        let o = parse(&["tar", "xfC", "a.tar", "out", "m"]).expect("parses");
        assert_eq!(o.archive, PathBuf::from("a.tar"));
        assert_eq!(o.dir, Some(PathBuf::from("out")));
        assert_eq!(o.files, vec![PathBuf::from("m")]);
        assert!(parse(&["tar", "cf"]).is_err());
    }

    #[test]
    fn short_and_long() {
        let o = parse(&["tar", "-cJvf", "a.txz", "-C", "d", "x", "--exclude=*.o"]).expect("parses");
        assert_eq!(
            (o.op, o.codec, o.verbose),
            (Operation::Create, Some(Codec::Xz), 1)
        );
        assert_eq!(o.dir, Some(PathBuf::from("d")));
        assert_eq!(o.excludes, vec!["*.o".to_string()]);
        let o = parse(&[
            "tar",
            "-x",
            "-fa.tar",
            "--strip-components",
            "2",
            "--zstd",
            "-kmpO",
        ])
        .expect("parses");
        assert_eq!((o.strip, o.codec), (2, Some(Codec::Zstd)));
        assert!(o.keep_old && o.touch && o.preserve_perms && o.to_stdout);
        let o = parse(&[
            "tar",
            "--extract",
            "--file=a",
            "--no-same-owner",
            "--numeric-owner",
        ])
        .expect("parses");
        assert_eq!((o.same_owner, o.numeric_owner), (Some(false), true));
        let bad = [
            &["tar", "-cx", "f"][..],
            &["tar", "-f", "a"],
            &["tar", "-cjf", "a", "b"],
            &["tar", "-t", "--strip-components=x"],
            &["tar", "-t", "--what"],
            &["tar", "-tf"],
        ];
        for args in bad {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn globs_and_excludes() {
        let cases = [
            ("*.o", "a.o", true),
            ("*.o", "a.c", false),
            ("a?c", "abc", true),
            ("[a-c]x", "bx", true),
            ("[!a-c]x", "bx", false),
            ("*", "a/b", true),
        ];
        for (p, s, want) in cases {
            assert_eq!(glob(p.as_bytes(), s.as_bytes()), want, "{p} {s}");
        }
        let o = parse(&["tar", "-c", "--exclude=*.o", "--exclude", "skip", "."]).expect("parses");
        assert!(o.excluded("dir/x.o"));
        assert!(o.excluded("./skip/"));
        assert!(o.excluded("a/skip"));
        assert!(!o.excluded("a/skipnot"));
    }
}
