//! `-printf FORMAT` directives and escapes, and the `-ls` line (GNU findutils manual,
//! "Format Directives" and "Print File Information").

use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};

use super::eval::{other_stat, time_ns, type_letter, Entry};
use super::expr::TimeField;
use super::users::Users;
use crate::date::{self, Instant, Tm, Zone};

/// The bytes `-printf FORMAT` prints for `f` (a `\c` ends the output early).
pub fn render(format: &[u8], f: &Entry, users: &Users) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < format.len() {
        match format[i] {
            b'\\' if i + 1 < format.len() => {
                i += 1;
                let c = format[i];
                i += 1;
                match c {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'v' => out.push(11),
                    b'\\' => out.push(b'\\'),
                    b'c' => return out,
                    b'0'..=b'7' => {
                        let mut v = u32::from(c - b'0');
                        let mut n = 1;
                        while n < 3 && i < format.len() && (b'0'..=b'7').contains(&format[i]) {
                            v = v * 8 + u32::from(format[i] - b'0');
                            i += 1;
                            n += 1;
                        }
                        out.push(v as u8);
                    }
                    _ => out.extend_from_slice(&[b'\\', c]),
                }
            }
            b'%' if i + 1 < format.len() => {
                let (spec, next) = Spec::parse(format, i + 1);
                i = next;
                match spec.directive(format, &mut i, f, users) {
                    Some((text, numeric)) => out.extend(spec.pad(text, numeric)),
                    None => out.extend_from_slice(&format[spec.start - 1..i]),
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Directive letters `render` knows (`%A`, `%C`, `%T` take one more letter).
const DIRECTIVES: &[u8] = b"%pfhPHskbmMugUGnidDlyYactACT";
const ESCAPES: &[u8] = b"ntrabfvc\\01234567";

/// Check a format when `-printf` is parsed: GNU's warnings (unknown directives and escapes,
/// printed as written), or its one error (a `%` at the very end).
pub fn lint(format: &[u8]) -> Result<Vec<String>, String> {
    let mut warnings = Vec::new();
    let mut i = 0;
    while i < format.len() {
        match format[i] {
            b'\\' => match format.get(i + 1) {
                None => warnings.push("escape `\\' followed by nothing at all".to_string()),
                Some(c) if !ESCAPES.contains(c) => {
                    warnings.push(format!("unrecognized escape `\\{}'", *c as char))
                }
                Some(_) => {}
            },
            b'%' => {
                let (_, at) = Spec::parse(format, i + 1);
                match format.get(at) {
                    None => return Err("error: % at end of format string".to_string()),
                    Some(c @ (b'A' | b'C' | b'T')) if at + 1 == format.len() => {
                        warnings.push(format!(
                            "format directive `%{}' should be followed by another character",
                            *c as char
                        ))
                    }
                    Some(c) if !DIRECTIVES.contains(c) => {
                        warnings.push(format!("unrecognized format directive `%{}'", *c as char))
                    }
                    Some(b'A' | b'C' | b'T') => i = at + 1,
                    Some(_) => i = at,
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(warnings)
}

/// The `[-+ #0]*WIDTH[.PREC]` between `%` and the directive letter.
struct Spec {
    start: usize,
    left: bool,
    alt: bool,
    width: usize,
    precision: Option<usize>,
}

impl Spec {
    fn parse(f: &[u8], mut i: usize) -> (Spec, usize) {
        let mut s = Spec {
            start: i,
            left: false,
            alt: false,
            width: 0,
            precision: None,
        };
        while let Some(&c) = f.get(i) {
            match c {
                b'-' => s.left = true,
                b'#' => s.alt = true,
                b'+' | b' ' | b'0' => {}
                _ => break,
            }
            i += 1;
        }
        while let Some(c) = f.get(i).filter(|c| c.is_ascii_digit()) {
            s.width = s.width * 10 + usize::from(c - b'0');
            i += 1;
        }
        if f.get(i) == Some(&b'.') {
            i += 1;
            let mut p = 0;
            while let Some(c) = f.get(i).filter(|c| c.is_ascii_digit()) {
                p = p * 10 + usize::from(c - b'0');
                i += 1;
            }
            s.precision = Some(p);
        }
        (s, i)
    }

    fn pad(&self, mut text: Vec<u8>, numeric: bool) -> Vec<u8> {
        if let Some(p) = self.precision.filter(|_| !numeric) {
            text.truncate(p);
        }
        if text.len() >= self.width {
            return text;
        }
        let fill = self.width - text.len();
        if self.left {
            text.extend(std::iter::repeat_n(b' ', fill));
            text
        } else {
            // GNU formats every directive as a string, so the `0` flag pads with blanks too.
            let mut out: Vec<u8> = std::iter::repeat_n(b' ', fill).collect();
            out.extend(text);
            out
        }
    }

    /// The text of the directive at `format[*i]` (advancing past it) and whether it is a
    /// number; `None` for an unknown directive (printed as written).
    fn directive(
        &self,
        format: &[u8],
        i: &mut usize,
        f: &Entry,
        users: &Users,
    ) -> Option<(Vec<u8>, bool)> {
        let m = f.meta;
        let c = *format.get(*i)?;
        *i += 1;
        let num = |n: u64| Some((n.to_string().into_bytes(), true));
        let text = |s: &[u8]| Some((s.to_vec(), false));
        let path = f.path.as_os_str().as_bytes();
        match c {
            b'%' => text(b"%"),
            b'p' => text(path),
            b'f' => text(base_of(path)),
            b'h' => text(&dir_of(path)),
            b'P' => text(below_root(path, f.root.as_os_str().as_bytes())),
            b'H' => text(f.root.as_os_str().as_bytes()),
            b's' => num(m.len()),
            b'k' => num((m.blocks() * 512).div_ceil(1024)),
            b'b' => num(m.blocks()),
            b'm' => {
                let mode = m.mode() & 0o7777;
                let s = if self.alt {
                    format!("{mode:#o}").replace("0o", "0")
                } else {
                    format!("{mode:o}")
                };
                Some((s.into_bytes(), true))
            }
            b'M' => text(mode_string(m).as_bytes()),
            b'u' => text(user(users, m.uid()).as_bytes()),
            b'g' => text(group(users, m.gid()).as_bytes()),
            b'U' => num(u64::from(m.uid())),
            b'G' => num(u64::from(m.gid())),
            b'n' => num(m.nlink()),
            b'i' => num(m.ino()),
            b'd' => num(f.depth as u64),
            b'D' => num(m.dev()),
            b'l' => {
                let target = std::fs::read_link(f.path).unwrap_or_default();
                text(target.as_os_str().as_bytes())
            }
            b'y' => text(&[type_letter(m)]),
            b'Y' => {
                let other = other_stat(f);
                let l = if f.followed {
                    type_letter(m)
                } else {
                    type_letter(&other)
                };
                let l = if l == b'l' && std::fs::metadata(f.path).is_err() {
                    b'N'
                } else {
                    l
                };
                text(&[l])
            }
            b'a' => text(ctime(time_ns(m, TimeField::Access)).as_bytes()),
            b'c' => text(ctime(time_ns(m, TimeField::Change)).as_bytes()),
            b't' => text(ctime(time_ns(m, TimeField::Modify)).as_bytes()),
            b'A' | b'C' | b'T' => {
                let field = match c {
                    b'A' => TimeField::Access,
                    b'C' => TimeField::Change,
                    _ => TimeField::Modify,
                };
                let k = *format.get(*i)?;
                *i += 1;
                time_part(time_ns(m, field), k).map(|s| (s.into_bytes(), false))
            }
            _ => None,
        }
    }
}

/// `%h`: everything before the last slash (`.` when there is none), as GNU prints it.
fn dir_of(path: &[u8]) -> Vec<u8> {
    match path.iter().rposition(|&c| c == b'/') {
        Some(i) => path[..i].to_vec(),
        None => b".".to_vec(),
    }
}

/// `%f`: the last component with any trailing slashes (gnulib base_name): `a/` stays `a/`.
fn base_of(path: &[u8]) -> &[u8] {
    let Some(end) = path.iter().rposition(|&c| c != b'/') else {
        return if path.is_empty() { path } else { b"/" };
    };
    let start = path[..end]
        .iter()
        .rposition(|&c| c == b'/')
        .map_or(0, |i| i + 1);
    &path[start..]
}

/// `%P`: the path with its starting point (and the slash after it) removed.
fn below_root<'a>(path: &'a [u8], root: &[u8]) -> &'a [u8] {
    match path.strip_prefix(root) {
        Some(rest) => rest.strip_prefix(b"/").unwrap_or(rest),
        None => path,
    }
}

fn user(users: &Users, uid: u32) -> String {
    users
        .user_name(uid)
        .map_or_else(|| uid.to_string(), str::to_string)
}

fn group(users: &Users, gid: u32) -> String {
    users
        .group_name(gid)
        .map_or_else(|| gid.to_string(), str::to_string)
}

/// `drwxr-xr-x`, as ls -l shows it.
pub fn mode_string(m: &Metadata) -> String {
    let mode = m.mode();
    let t = m.file_type();
    let kind = match type_letter(m) {
        b'f' => '-',
        b'p' if t.is_fifo() => 'p',
        l => l as char,
    };
    let mut s = String::with_capacity(10);
    s.push(kind);
    let bit = |b: u32, c: char| if mode & b != 0 { c } else { '-' };
    let special = |x: u32, sp: u32, on: char, off: char| match (mode & x != 0, mode & sp != 0) {
        (true, true) => on,
        (false, true) => off,
        (true, false) => 'x',
        (false, false) => '-',
    };
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(special(0o100, 0o4000, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(special(0o010, 0o2000, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(special(0o001, 0o1000, 't', 'T'));
    s
}

fn split_ns(ns: i128) -> (i64, u32) {
    let secs = ns.div_euclid(1_000_000_000) as i64;
    (secs, ns.rem_euclid(1_000_000_000) as u32)
}

/// The broken-down local time (TZ, /etc/localtime) of `secs`, as date(1) has it.
fn local(secs: i64, nanos: u32) -> Tm {
    Zone::Local
        .tm(Instant { secs, nanos })
        .unwrap_or_else(|_| date::breakdown(Instant { secs, nanos }, 0, "UTC"))
}

/// `%t`: `Tue Dec  1 20:24:46.6694100320 2026` (ctime with GNU's 10-digit fraction).
fn ctime(ns: i128) -> String {
    let (secs, frac) = split_ns(ns);
    let tm = local(secs, frac);
    date::format(&tm, "%a %b %e %H:%M:%S.%N0 %Y")
}

/// One `%Tk` field: strftime's `%k`, with GNU find's 10-digit fraction on the seconds.
fn time_part(ns: i128, k: u8) -> Option<String> {
    let (secs, frac) = split_ns(ns);
    let tm = local(secs, frac);
    let f = |fmt: &str| date::format(&tm, fmt);
    Some(match k {
        b'@' => format!("{secs}.{frac:09}0"),
        b'S' => f("%S.%N0"),
        b'T' | b'X' => f("%H:%M:%S.%N0"),
        b'+' => f("%Y-%m-%d+%H:%M:%S.%N0"),
        b'x' => f("%D"),
        b'c' => f("%a %b %e %H:%M:%S %Y"),
        b'Y' | b'y' | b'm' | b'd' | b'e' | b'H' | b'k' | b'I' | b'l' | b'p' | b'M' | b'Z'
        | b'R' | b'r' | b'F' | b'D' | b'a' | b'A' | b'b' | b'h' | b'B' | b'j' | b's' | b'w'
        | b'u' | b'z' | b'U' | b'W' | b'V' | b'G' | b'g' | b'C' => f(&format!("%{}", k as char)),
        _ => return None,
    })
}

/// The `-ls` line: inode, 1K blocks, mode, links, owner, group, size, date, path.
pub fn ls_line(f: &Entry, users: &Users, now: i64) -> Vec<u8> {
    let m = f.meta;
    let size = if m.file_type().is_block_device() || m.file_type().is_char_device() {
        let rdev = m.rdev();
        format!("{:>3}, {:>3}", libc::major(rdev), libc::minor(rdev))
    } else {
        m.len().to_string()
    };
    let (secs, _) = split_ns(time_ns(m, TimeField::Modify));
    let tm = local(secs, 0);
    // ls(1): a date more than six months old (or in the future) shows the year.
    let half_year = 31_556_952 / 2;
    let when = if secs > now - half_year && secs <= now {
        date::format(&tm, "%H:%M")
    } else {
        date::format(&tm, " %Y")
    };
    let head = format!(
        "{:>9} {:>6} {} {:>3} {:<8} {:<8} {:>8} {} {:>2} {:>5} ",
        m.ino(),
        (m.blocks() * 512).div_ceil(1024),
        mode_string(m),
        m.nlink(),
        user(users, m.uid()),
        group(users, m.gid()),
        size,
        date::format(&tm, "%b"),
        tm.day,
        when
    );
    let mut line = head.into_bytes();
    escape_name(f.path.as_os_str().as_bytes(), &mut line);
    if m.file_type().is_symlink() {
        if let Ok(target) = std::fs::read_link(f.path) {
            line.extend_from_slice(b" -> ");
            escape_name(target.as_os_str().as_bytes(), &mut line);
        }
    }
    line.push(b'\n');
    line
}

/// `-ls` names as GNU find prints them in the C locale (gnulib's escape quoting style, with
/// `"` escaped too): `sp\ ace`, `tab\tx`, non-ASCII bytes as `\ooo`.
fn escape_name(name: &[u8], out: &mut Vec<u8>) {
    for &c in name {
        let named = match c {
            b' ' | b'"' | b'\\' => Some(c),
            b'\n' => Some(b'n'),
            b'\t' => Some(b't'),
            b'\r' => Some(b'r'),
            7 => Some(b'a'),
            8 => Some(b'b'),
            11 => Some(b'v'),
            12 => Some(b'f'),
            _ => None,
        };
        match named {
            Some(e) => out.extend_from_slice(&[b'\\', e]),
            None if c.is_ascii_graphic() => out.push(c),
            None => out.extend_from_slice(format!("\\{c:03o}").as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_and_roots() {
        let cases = [
            ("a/b/c", "a/b", "c"),
            ("c", ".", "c"),
            ("/c", "", "c"),
            ("/", "", "/"),
            ("./x", ".", "x"),
            ("a/", "a", "a/"),
            ("./", ".", "./"),
            ("a//b", "a/", "b"),
        ];
        for (path, dir, base) in cases {
            assert_eq!(dir_of(path.as_bytes()), dir.as_bytes(), "{path}");
            assert_eq!(base_of(path.as_bytes()), base.as_bytes(), "{path}");
        }
        let lints = [
            ("%p %f\\n", Ok(vec![])),
            ("%", Err("error: % at end of format string".to_string())),
            (
                "%-5z",
                Ok(vec!["unrecognized format directive `%z'".to_string()]),
            ),
            (
                "%T",
                Ok(vec![
                    "format directive `%T' should be followed by another character".to_string(),
                ]),
            ),
            (
                "%TY%%\\q",
                Ok(vec!["unrecognized escape `\\q'".to_string()]),
            ),
            (
                "a\\",
                Ok(vec!["escape `\\' followed by nothing at all".to_string()]),
            ),
        ];
        for (format, want) in lints {
            assert_eq!(lint(format.as_bytes()), want, "{format}");
        }
        let mut quoted = Vec::new();
        escape_name("./sp ace q\"t\\b\tx\ny s'q $*é".as_bytes(), &mut quoted);
        assert_eq!(
            String::from_utf8_lossy(&quoted),
            "./sp\\ ace\\ q\\\"t\\\\b\\tx\\ny\\ s'q\\ $*\\303\\251"
        );
        assert_eq!(below_root(b"./a/b", b"."), b"a/b");
        assert_eq!(below_root(b".", b"."), b"");
        assert_eq!(below_root(b"dir/x", b"dir/"), b"x");
    }
}
