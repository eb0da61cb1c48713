//! The expression part of the command line → [`Expr`], by recursive descent with GNU find's
//! precedence, loosest first: `,` < `-o` < `-a` (or nothing) < `!` < `( )`. Options in the
//! expression (`-maxdepth`, `-xdev`…) set [`Settings`] and stand as `-true`.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use nix::unistd::AccessFlags;

use super::compare::{parse_perm, parse_size, AgeTest, NumArg};
use super::expr::{Exec, Expr, Follow, Settings, TimeField};
use super::printf;
use super::regex_dialect;
use super::users::Users;
use crate::error::{io_reason, AppletError};

/// A bad expression: GNU find prints one line and exits 1.
#[derive(Debug, PartialEq, Eq)]
pub struct ExprError(pub String);

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AppletError for ExprError {}

type Result<T> = std::result::Result<T, ExprError>;

fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(ExprError(msg.into()))
}

/// The parsed expression, what it set, and the files `-fprint` & co. write to.
#[derive(Debug)]
pub struct Parsed {
    pub expr: Expr,
    pub settings: Settings,
    /// Opened `-fprint` files; sink `i` of an action is `sinks[i - 1]` (0 is stdout).
    pub sinks: Vec<File>,
    /// `-printf` format warnings, printed before the walk as GNU does.
    pub warnings: Vec<String>,
}

/// Parse `args` (everything after the paths); `now_ns` is find's start time.
pub fn parse(args: &[OsString], follow: Follow, users: &Users, now_ns: i128) -> Result<Parsed> {
    let mut p = Parser {
        args,
        pos: 0,
        settings: Settings {
            follow,
            ..Settings::default()
        },
        sinks: Vec::new(),
        sink_paths: Vec::new(),
        warnings: Vec::new(),
        users,
        origin_ns: now_ns,
        emacs_regex: true,
    };
    let expr = if args.is_empty() {
        Expr::True
    } else {
        let e = p.comma()?;
        if let Some(tok) = p.peek() {
            return if tok == ")" {
                err("you have too many ')'")
            } else {
                err(format!("paths must precede expression: `{tok}'"))
            };
        }
        e
    };
    let expr = if expr.has_output_action() {
        expr
    } else {
        Expr::And(
            Box::new(expr),
            Box::new(Expr::Print {
                sink: 0,
                end: b'\n',
            }),
        )
    };
    if expr.has_delete() {
        p.settings.depth_first = true;
    }
    Ok(Parsed {
        expr,
        settings: p.settings,
        sinks: p.sinks,
        warnings: p.warnings,
    })
}

struct Parser<'a> {
    args: &'a [OsString],
    pos: usize,
    settings: Settings,
    sinks: Vec<File>,
    sink_paths: Vec<OsString>,
    warnings: Vec<String>,
    users: &'a Users,
    /// Ages are measured from here: find's start, or the end of today after `-daystart`.
    origin_ns: i128,
    emacs_regex: bool,
}

const NANOS: i128 = 1_000_000_000;

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<String> {
        self.args
            .get(self.pos)
            .map(|a| a.to_string_lossy().into_owned())
    }

    fn peek_is(&self, toks: &[&str]) -> bool {
        self.peek().is_some_and(|t| toks.contains(&t.as_str()))
    }

    fn comma(&mut self) -> Result<Expr> {
        let mut left = self.or()?;
        while self.peek_is(&[","]) {
            self.pos += 1;
            self.need_operand(",")?;
            let right = self.or()?;
            left = Expr::Comma(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn or(&mut self) -> Result<Expr> {
        let mut left = self.and()?;
        while let Some(op) = self.peek().filter(|t| t == "-o" || t == "-or") {
            self.pos += 1;
            self.need_operand(&op)?;
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr> {
        let mut left = self.not()?;
        loop {
            match self.peek().as_deref() {
                None | Some(")" | "-o" | "-or" | ",") => return Ok(left),
                Some(op @ ("-a" | "-and")) => {
                    let op = op.to_string();
                    self.pos += 1;
                    self.need_operand(&op)?;
                }
                Some(_) => {}
            }
            let right = self.not()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
    }

    fn not(&mut self) -> Result<Expr> {
        if let Some(op) = self.peek().filter(|t| t == "!" || t == "-not") {
            self.pos += 1;
            self.need_operand(&op)?;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    /// After an operator, something must follow (and not a `)` or another binary operator).
    fn need_operand(&self, op: &str) -> Result<()> {
        match self.peek().as_deref() {
            None | Some(")") => err(format!("expected an expression after '{op}'")),
            Some(next @ ("-o" | "-or" | "-a" | "-and" | ",")) => err(format!(
                "invalid expression; you have used a binary operator '{next}' with nothing before it."
            )),
            Some(_) => Ok(()),
        }
    }

    /// The next argument of `pred` (e.g. the pattern of `-name`).
    fn arg(&mut self, pred: &str) -> Result<&'a OsStr> {
        let a = self
            .args
            .get(self.pos)
            .ok_or_else(|| ExprError(format!("missing argument to `{pred}'")))?;
        self.pos += 1;
        Ok(a)
    }

    fn str_arg(&mut self, pred: &str) -> Result<String> {
        Ok(self.arg(pred)?.to_string_lossy().into_owned())
    }

    fn num_arg(&mut self, pred: &str) -> Result<NumArg> {
        let s = self.str_arg(pred)?;
        NumArg::parse(&s).ok_or_else(|| ExprError(format!("invalid argument `{s}' to `{pred}'")))
    }

    fn depth_arg(&mut self, pred: &str) -> Result<usize> {
        let s = self.str_arg(pred)?;
        s.parse().map_err(|_| {
            ExprError(format!(
                "Expected a positive decimal integer argument to {pred}, but got '{s}'"
            ))
        })
    }

    /// A `-printf` format, checked now (warnings kept for later, a trailing `%` refused).
    fn format(&mut self, pred: &str) -> Result<Vec<u8>> {
        let format = self.arg(pred)?.as_bytes().to_vec();
        let warnings = printf::lint(&format).map_err(ExprError)?;
        self.warnings.extend(warnings);
        Ok(format)
    }

    /// The sink index for `-fprint FILE` & co., opening (truncating) FILE once.
    fn sink(&mut self, pred: &str) -> Result<usize> {
        let path = self.arg(pred)?.to_os_string();
        if let Some(i) = self.sink_paths.iter().position(|p| *p == path) {
            return Ok(i + 1);
        }
        let file = File::create(&path)
            .map_err(|e| ExprError(format!("'{}': {}", path.to_string_lossy(), io_reason(&e))))?;
        self.sinks.push(file);
        self.sink_paths.push(path);
        Ok(self.sinks.len())
    }

    /// The stat of a reference file (`-newer`, `-samefile`), following links under -H/-L.
    fn reference(&mut self, pred: &str) -> Result<std::fs::Metadata> {
        let path = PathBuf::from(self.arg(pred)?);
        let meta = if self.settings.follow == Follow::Never {
            std::fs::symlink_metadata(&path)
        } else {
            std::fs::metadata(&path)
        };
        meta.map_err(|e| ExprError(format!("'{}': {}", path.display(), io_reason(&e))))
    }

    fn primary(&mut self) -> Result<Expr> {
        let Some(tok) = self.peek() else {
            return err("expected an expression");
        };
        self.pos += 1;
        let t = tok.as_str();
        let expr = match t {
            "(" => {
                if self.peek_is(&[")"]) {
                    return err("invalid expression; empty parentheses are not allowed.");
                }
                let inner = self.comma()?;
                if !self.peek_is(&[")"]) {
                    return err("invalid expression; I was expecting to find a ')' somewhere but did not see one.");
                }
                self.pos += 1;
                inner
            }
            ")" => return err("you have too many ')'"),
            "-o" | "-or" | "-a" | "-and" | "," => {
                return err(format!(
                "invalid expression; you have used a binary operator '{t}' with nothing before it."
            ))
            }
            // Options: settings for the whole walk, true where they stand.
            "-maxdepth" => {
                self.settings.max_depth = Some(self.depth_arg(t)?);
                Expr::True
            }
            "-mindepth" => {
                self.settings.min_depth = self.depth_arg(t)?;
                Expr::True
            }
            "-depth" | "-d" => {
                self.settings.depth_first = true;
                Expr::True
            }
            "-xdev" | "-mount" => {
                self.settings.xdev = true;
                Expr::True
            }
            "-follow" => {
                self.settings.follow = Follow::Always;
                Expr::True
            }
            "-daystart" => {
                let now = (self.origin_ns / NANOS) as i64;
                self.origin_ns = i128::from(end_of_today(now)) * NANOS;
                Expr::True
            }
            "-regextype" => {
                let kind = self.str_arg(t)?;
                self.emacs_regex = match kind.as_str() {
                    "emacs" => true,
                    "posix-extended" | "posix-egrep" | "egrep" | "findutils-default"
                    | "posix-awk" | "awk" | "gnu-awk" => false,
                    _ => return err(format!("Unknown regular expression type '{kind}'")),
                };
                Expr::True
            }
            "-noleaf" | "-ignore_readdir_race" | "-noignore_readdir_race" | "-warn" | "-nowarn" => {
                Expr::True
            }
            "-true" => Expr::True,
            "-false" => Expr::False,
            "-name" | "-iname" => Expr::Name {
                pattern: self.arg(t)?.as_bytes().to_vec(),
                fold: t == "-iname",
            },
            "-path" | "-ipath" | "-wholename" | "-iwholename" => Expr::Path {
                pattern: self.arg(t)?.as_bytes().to_vec(),
                fold: t.starts_with("-i"),
            },
            "-lname" | "-ilname" => Expr::LinkName {
                pattern: self.arg(t)?.as_bytes().to_vec(),
                fold: t == "-ilname",
            },
            "-regex" | "-iregex" => {
                let pat = self.str_arg(t)?;
                let re = regex::bytes::RegexBuilder::new(&regex_dialect::translate(
                    &pat,
                    self.emacs_regex,
                ))
                .case_insensitive(t == "-iregex")
                .unicode(false)
                .build()
                .map_err(|_| ExprError(format!("invalid regular expression '{pat}'")))?;
                Expr::Regex(re)
            }
            "-type" | "-xtype" => Expr::Type {
                letters: type_letters(t, &self.str_arg(t)?)?,
                xtype: t == "-xtype",
            },
            "-size" => Expr::Size(parse_size(&self.str_arg(t)?).map_err(ExprError)?),
            "-empty" => Expr::Empty,
            "-mtime" | "-atime" | "-ctime" | "-mmin" | "-amin" | "-cmin" => {
                let field = time_field(t);
                let arg = self.num_arg(t)?;
                let unit = if t.ends_with("min") { 60 } else { 86400 };
                Expr::Age(
                    field,
                    AgeTest {
                        arg,
                        unit,
                        origin_ns: self.origin_ns,
                    },
                )
            }
            "-newer" | "-anewer" | "-cnewer" => {
                let m = self.reference(t)?;
                let ns = i128::from(m.mtime()) * NANOS + i128::from(m.mtime_nsec());
                Expr::Newer(time_field(&t[1..]), ns)
            }
            "-perm" => Expr::Perm(parse_perm(&self.str_arg(t)?).map_err(ExprError)?),
            "-user" => {
                let name = self.str_arg(t)?;
                match self.users.uid(&name).or_else(|| name.parse().ok()) {
                    Some(uid) => Expr::Uid(NumArg {
                        cmp: std::cmp::Ordering::Equal,
                        n: i64::from(uid),
                    }),
                    None => return err(format!("'{name}' is not the name of a known user")),
                }
            }
            "-group" => {
                let name = self.str_arg(t)?;
                match self.users.gid(&name).or_else(|| name.parse().ok()) {
                    Some(gid) => Expr::Gid(NumArg {
                        cmp: std::cmp::Ordering::Equal,
                        n: i64::from(gid),
                    }),
                    None => return err(format!("'{name}' is not the name of an existing group")),
                }
            }
            "-uid" => Expr::Uid(self.num_arg(t)?),
            "-gid" => Expr::Gid(self.num_arg(t)?),
            "-nouser" => Expr::NoUser,
            "-nogroup" => Expr::NoGroup,
            "-links" => Expr::Links(self.num_arg(t)?),
            "-inum" => Expr::Inum(self.num_arg(t)?),
            "-samefile" => {
                let m = self.reference(t)?;
                Expr::SameFile {
                    dev: m.dev(),
                    ino: m.ino(),
                }
            }
            "-readable" => Expr::Access(AccessFlags::R_OK),
            "-writable" => Expr::Access(AccessFlags::W_OK),
            "-executable" => Expr::Access(AccessFlags::X_OK),
            "-print" => Expr::Print {
                sink: 0,
                end: b'\n',
            },
            "-print0" => Expr::Print { sink: 0, end: 0 },
            "-fprint" => Expr::Print {
                sink: self.sink(t)?,
                end: b'\n',
            },
            "-fprint0" => Expr::Print {
                sink: self.sink(t)?,
                end: 0,
            },
            "-printf" => Expr::Printf {
                sink: 0,
                format: self.format(t)?,
            },
            "-fprintf" => {
                let sink = self.sink(t)?;
                Expr::Printf {
                    sink,
                    format: self.format(t)?,
                }
            }
            "-ls" => Expr::Ls { sink: 0 },
            "-fls" => Expr::Ls {
                sink: self.sink(t)?,
            },
            "-delete" => Expr::Delete,
            "-prune" => Expr::Prune,
            "-quit" => Expr::Quit,
            "-exec" | "-execdir" | "-ok" | "-okdir" => Expr::Exec(self.exec(t)?),
            _ if t.starts_with('-') && t.len() > 1 => {
                return err(format!("unknown predicate `{t}'"))
            }
            _ => return err(format!("paths must precede expression: `{t}'")),
        };
        Ok(expr)
    }

    /// `-exec CMD ARGS… ;` or `-exec CMD ARGS… {} +`.
    fn exec(&mut self, pred: &str) -> Result<Exec> {
        let missing = || ExprError(format!("missing argument to `{pred}'"));
        let start = self.pos;
        let mut end = None;
        for (i, a) in self.args[start..].iter().enumerate() {
            let at = start + i;
            if a == ";" {
                end = Some((at, false));
                break;
            }
            if a == "+" && at > start && self.args[at - 1] == "{}" && !pred.starts_with("-ok") {
                end = Some((at, true));
                break;
            }
        }
        let (end, batch) = end.ok_or_else(missing)?;
        if end == start {
            return Err(missing());
        }
        self.pos = end + 1;
        Ok(Exec {
            argv: self.args[start..end].to_vec(),
            batch,
            in_dir: pred.ends_with("dir"),
            ask: pred.starts_with("-ok"),
            pending: Vec::new(),
            pending_dir: None,
            pending_bytes: 0,
        })
    }
}

fn time_field(pred: &str) -> TimeField {
    match pred.as_bytes().get(1) {
        Some(b'a') => TimeField::Access,
        Some(b'c') => TimeField::Change,
        _ => TimeField::Modify,
    }
}

/// `f`, `d,l`: the letters of `-type`/`-xtype`, checked as GNU does.
fn type_letters(pred: &str, arg: &str) -> Result<Vec<u8>> {
    if arg.is_empty() {
        return err(format!(
            "Arguments to {pred} should contain at least one letter"
        ));
    }
    let bytes = arg.as_bytes();
    let mut letters = Vec::new();
    for (i, &c) in bytes.iter().enumerate() {
        if i % 2 == 1 {
            if c != b',' {
                return err(format!(
                    "Must separate multiple arguments to {pred} using: ','"
                ));
            }
            if i + 1 == bytes.len() {
                return err(format!(
                    "Last file type in list argument to {pred} is missing, i.e., list is ending on: ','"
                ));
            }
            continue;
        }
        if !b"bcdpflsD".contains(&c) {
            return err(format!("Unknown argument to {pred}: {}", c as char));
        }
        letters.push(c);
    }
    Ok(letters)
}

/// The start of the day after `secs` in local time: where `-daystart` measures ages from.
fn end_of_today(secs: i64) -> i64 {
    let tm = crate::date::Zone::Local.tm(crate::date::Instant { secs, nanos: 0 });
    let since_midnight = tm.map_or(0, |tm| {
        i64::from(tm.hour * 3600 + tm.minute * 60 + tm.second)
    });
    secs - since_midnight + 86400
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree as an s-expression: `(or name:a (and name:b print))`.
    fn shape(e: &Expr) -> String {
        let two = |op: &str, a: &Expr, b: &Expr| format!("({op} {} {})", shape(a), shape(b));
        match e {
            Expr::And(a, b) => two("and", a, b),
            Expr::Or(a, b) => two("or", a, b),
            Expr::Comma(a, b) => two(",", a, b),
            Expr::Not(a) => format!("(not {})", shape(a)),
            Expr::True => "true".into(),
            Expr::False => "false".into(),
            Expr::Name { pattern, fold } => {
                format!(
                    "{}name:{}",
                    if *fold { "i" } else { "" },
                    String::from_utf8_lossy(pattern)
                )
            }
            Expr::Path { pattern, .. } => format!("path:{}", String::from_utf8_lossy(pattern)),
            Expr::Type { letters, xtype } => format!(
                "{}type:{}",
                if *xtype { "x" } else { "" },
                String::from_utf8_lossy(letters)
            ),
            Expr::Print { end: 0, .. } => "print0".into(),
            Expr::Print { .. } => "print".into(),
            Expr::Exec(x) => format!("exec{}:{}", if x.batch { "+" } else { ";" }, x.argv.len()),
            Expr::Prune => "prune".into(),
            Expr::Quit => "quit".into(),
            Expr::Delete => "delete".into(),
            other => format!("{other:?}")
                .split([' ', '('])
                .next()
                .unwrap_or("")
                .to_lowercase(),
        }
    }

    fn parse_str(cmd: &str) -> Result<Parsed> {
        let args: Vec<OsString> = cmd.split_whitespace().map(OsString::from).collect();
        parse(&args, Follow::Never, &Users::default(), 0)
    }

    #[test]
    fn precedence() {
        let cases = [
            ("", "(and true print)"),
            ("-name a", "(and name:a print)"),
            ("-name a -o -name b", "(and (or name:a name:b) print)"),
            (
                "-name a -name b -o -name c",
                "(and (or (and name:a name:b) name:c) print)",
            ),
            (
                "-name a -o -name b -a -name c",
                "(and (or name:a (and name:b name:c)) print)",
            ),
            ("! -name a -name b", "(and (and (not name:a) name:b) print)"),
            ("-not -not -iname a", "(and (not (not iname:a)) print)"),
            (
                "-name a , -name b -o -name c",
                "(and (, name:a (or name:b name:c)) print)",
            ),
            (
                "( -name a -o -name b ) -print",
                "(and (or name:a name:b) print)",
            ),
            (
                "-name a -o -name b -print",
                "(or name:a (and name:b print))",
            ),
            (
                "-name a -prune -o -print0",
                "(or (and name:a prune) print0)",
            ),
            ("-path ./x -prune", "(and (and path:./x prune) print)"),
            ("-type f,d -xtype l", "(and (and type:fd xtype:l) print)"),
            ("-exec echo {} ;", "exec;:2"),
            ("-exec echo {} + -quit", "(and exec+:2 quit)"),
            ("-exec echo + ;", "exec;:2"),
            (
                "! ( -size +1k -o -empty )",
                "(and (not (or size empty)) print)",
            ),
            (
                "-mtime -1 -perm /022 -delete",
                "(and (and age perm) delete)",
            ),
        ];
        for (cmd, want) in cases {
            let p = parse_str(cmd).unwrap_or_else(|e| panic!("{cmd}: {e}"));
            assert_eq!(shape(&p.expr), want, "{cmd}");
        }
    }

    #[test]
    fn options_set_the_walk() {
        let p = parse_str("-maxdepth 2 -mindepth 1 -xdev -name a").unwrap();
        assert_eq!(p.settings.max_depth, Some(2));
        assert_eq!(p.settings.min_depth, 1);
        assert!(p.settings.xdev && !p.settings.depth_first);
        assert!(parse_str("-delete").unwrap().settings.depth_first);
        assert!(parse_str("-depth").unwrap().settings.depth_first);
        assert_eq!(
            parse_str("-follow").unwrap().settings.follow,
            Follow::Always
        );
    }

    #[test]
    fn errors() {
        let cases = [
            ("-foo", "unknown predicate `-foo'"),
            ("-name", "missing argument to `-name'"),
            ("-type q", "Unknown argument to -type: q"),
            (
                "-type ff",
                "Must separate multiple arguments to -type using: ','",
            ),
            (
                "-type f,",
                "Last file type in list argument to -type is missing, i.e., list is ending on: ','",
            ),
            (
                "-o",
                "invalid expression; you have used a binary operator '-o' with nothing before it.",
            ),
            (
                "( -name a",
                "invalid expression; I was expecting to find a ')' somewhere but did not see one.",
            ),
            ("-name a )", "you have too many ')'"),
            ("!", "expected an expression after '!'"),
            ("-name a -o", "expected an expression after '-o'"),
            (
                "( )",
                "invalid expression; empty parentheses are not allowed.",
            ),
            ("-exec echo {}", "missing argument to `-exec'"),
            ("-exec ;", "missing argument to `-exec'"),
            ("-ok echo {} +", "missing argument to `-ok'"),
            (
                "-maxdepth x",
                "Expected a positive decimal integer argument to -maxdepth, but got 'x'",
            ),
            ("-size 3q", "invalid -size type `q'"),
            ("-mtime x", "invalid argument `x' to `-mtime'"),
            ("-name a foo", "paths must precede expression: `foo'"),
            ("-perm 999", "invalid mode '999'"),
            (
                "-user no-such-user-here",
                "'no-such-user-here' is not the name of a known user",
            ),
            ("-regextype perl", "Unknown regular expression type 'perl'"),
        ];
        for (cmd, want) in cases {
            assert_eq!(
                parse_str(cmd).map(|_| ()),
                Err(ExprError(want.into())),
                "{cmd}"
            );
        }
    }
}
