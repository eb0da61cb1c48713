//! `printf FORMAT [ARG...]` (XCU printf): `%d %i %o %u %x %X %f %e %E %g %G %s %b %c %%`
//! with flags `-+ #0`, width and precision (also from `*`), the format reused while
//! arguments remain. Conversions go through the C library's snprintf, so every digit is
//! the one dash prints; numbers are read as strtoimax/strtod read them, and a bad one is
//! reported (status 1) while the part that converted is still printed.

use std::ffi::CString;

use super::super::exec::err;
use super::super::fdio;

/// A value ready for snprintf.
enum CArg {
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(CString),
}

/// `snprintf(spec, arg)`: `spec` is a whole C conversion such as `%-08.3lld`.
fn c_format(spec: &str, arg: &CArg) -> Vec<u8> {
    let Ok(fmt) = CString::new(spec) else {
        return Vec::new();
    };
    let call = |buf: *mut libc::c_char, len: usize| -> libc::c_int {
        // SAFETY: `fmt` holds exactly one conversion whose type matches the argument passed
        // (lld/llu for the integers, a double for f/e/g, a C string for s), and `buf` is
        // either null with length 0 or a buffer of `len` bytes.
        unsafe {
            match arg {
                CArg::Int(v) => libc::snprintf(buf, len, fmt.as_ptr(), *v as libc::c_longlong),
                CArg::UInt(v) => libc::snprintf(buf, len, fmt.as_ptr(), *v as libc::c_ulonglong),
                CArg::Float(v) => libc::snprintf(buf, len, fmt.as_ptr(), *v as libc::c_double),
                CArg::Str(s) => libc::snprintf(buf, len, fmt.as_ptr(), s.as_ptr()),
            }
        }
    };
    let Ok(n) = usize::try_from(call(std::ptr::null_mut(), 0)) else {
        return Vec::new();
    };
    let mut buf = vec![0u8; n + 1];
    let written = call(buf.as_mut_ptr().cast(), buf.len());
    buf.truncate(usize::try_from(written).unwrap_or(0).min(n));
    buf
}

/// Why a numeric argument did not convert cleanly (dash's words).
const NOT_NUMERIC: &str = "expected numeric value";
const PARTIAL: &str = "not completely converted";
const RANGE: &str = "Numerical result out of range";

/// The value of a leading `'c` or `"c` argument: the byte after the quote.
fn quoted_char(arg: &[u8]) -> Option<u8> {
    match arg.first() {
        Some(b'\'' | b'"') => Some(arg.get(1).copied().unwrap_or(0)),
        _ => None,
    }
}

/// An integer argument as strtoimax (or, `unsigned`, strtoumax) reads it: leading white
/// space, a sign, `0x` hex or `0` octal. Returns the value's bits and the problem, if any.
pub fn parse_int(arg: &[u8], unsigned: bool) -> (u64, Option<&'static str>) {
    if arg.is_empty() {
        return (0, None);
    }
    if let Some(c) = quoted_char(arg) {
        return (u64::from(c), None);
    }
    let mut i = 0;
    while arg.get(i).is_some_and(|b| b" \t\n\x0b\x0c\r".contains(b)) {
        i += 1;
    }
    let neg = arg.get(i) == Some(&b'-');
    if matches!(arg.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let mut base = 10;
    if arg.get(i) == Some(&b'0') {
        base = 8;
        if matches!(arg.get(i + 1), Some(b'x' | b'X'))
            && arg.get(i + 2).is_some_and(|b| b.is_ascii_hexdigit())
        {
            base = 16;
            i += 2;
        }
    }
    let start = i;
    let mut mag: u128 = 0;
    while let Some(d) = arg.get(i).and_then(|&b| (b as char).to_digit(base)) {
        mag = (mag * u128::from(base) + u128::from(d)).min(u128::from(u64::MAX) + 1);
        i += 1;
    }
    if i == start {
        return (0, Some(NOT_NUMERIC));
    }
    let (value, range) = if unsigned {
        if mag > u128::from(u64::MAX) {
            (u64::MAX, true)
        } else {
            let m = mag as u64;
            (if neg { m.wrapping_neg() } else { m }, false)
        }
    } else if neg {
        if mag > 1u128 << 63 {
            (i64::MIN as u64, true)
        } else {
            ((mag as i128).wrapping_neg() as i64 as u64, false)
        }
    } else if mag > i64::MAX as u128 {
        (i64::MAX as u64, true)
    } else {
        (mag as u64, false)
    };
    let problem = if range {
        Some(RANGE)
    } else if i < arg.len() {
        Some(PARTIAL)
    } else {
        None
    };
    (value, problem)
}

/// A floating-point argument as strtod reads it (hex floats, `inf`, `nan` included).
pub fn parse_float(arg: &[u8]) -> (f64, Option<&'static str>) {
    if arg.is_empty() {
        return (0.0, None);
    }
    if let Some(c) = quoted_char(arg) {
        return (f64::from(c), None);
    }
    let Ok(c) = CString::new(arg) else {
        return (0.0, Some(NOT_NUMERIC));
    };
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    nix::errno::Errno::clear();
    // SAFETY: `c` is a NUL-terminated string that outlives the call; strtod stores in `end`
    // a pointer into it.
    let v = unsafe { libc::strtod(c.as_ptr(), &mut end) };
    let range = nix::errno::Errno::last() == nix::errno::Errno::ERANGE;
    // SAFETY: `end` points into `c` (at or after its start), so the difference is in range.
    let used = unsafe { end.offset_from(c.as_ptr()) }.max(0) as usize;
    let problem = if used == 0 {
        Some(NOT_NUMERIC)
    } else if range {
        Some(RANGE)
    } else if used < arg.len() {
        Some(PARTIAL)
    } else {
        None
    };
    (v, problem)
}

/// The escape after a backslash at `s[i]`: (bytes, bytes used after the backslash, `\c`
/// seen). In formats, octal is `\NNN`; in `%b` arguments also `\0NNN`, and `\c` stops.
pub fn escape_at(s: &[u8], i: usize, b_arg: bool) -> (Vec<u8>, usize, bool) {
    let Some(&c) = s.get(i) else {
        return (b"\\".to_vec(), 0, false);
    };
    let simple = match c {
        b'n' => Some(b'\n'),
        b't' => Some(b'\t'),
        b'r' => Some(b'\r'),
        b'a' => Some(0x07),
        b'b' => Some(0x08),
        b'f' => Some(0x0c),
        b'v' => Some(0x0b),
        b'e' => Some(0x1b),
        b'\\' => Some(b'\\'),
        b'"' if !b_arg => Some(b'"'),
        b'\'' if !b_arg => Some(b'\''),
        _ => None,
    };
    if let Some(ch) = simple {
        return (vec![ch], 1, false);
    }
    if c == b'c' && b_arg {
        return (Vec::new(), 1, true);
    }
    if (b'0'..=b'7').contains(&c) {
        let skip = usize::from(b_arg && c == b'0');
        let mut v = 0u32;
        let mut used = skip;
        while used < skip + 3 {
            match s.get(i + used).filter(|d| (b'0'..=b'7').contains(d)) {
                Some(d) => {
                    v = v * 8 + u32::from(d - b'0');
                    used += 1;
                }
                None => break,
            }
        }
        return (vec![(v & 0xff) as u8], used, false);
    }
    (vec![b'\\', c], 1, false)
}

/// A `%b` argument with its escapes done; `true` if `\c` ended it.
fn b_text(arg: &[u8]) -> (Vec<u8>, bool) {
    let mut t = Vec::new();
    let mut k = 0;
    while k < arg.len() {
        if arg[k] == b'\\' {
            let (e, used, stop) = escape_at(arg, k + 1, true);
            t.extend(e);
            k += 1 + used;
            if stop {
                return (t, true);
            }
        } else {
            t.push(arg[k]);
            k += 1;
        }
    }
    (t, false)
}

/// `%s`-style width and precision for bytes that may hold NUL (a `%b` result), which
/// snprintf cannot take: `spec` is `%`, flags, width and `.precision`.
fn pad(spec: &str, mut text: Vec<u8>) -> Vec<u8> {
    let body = spec.trim_start_matches('%');
    let flags: &str =
        &body[..body.len() - body.trim_start_matches(['-', '+', ' ', '#', '0']).len()];
    let rest = &body[flags.len()..];
    let (width, prec) = match rest.split_once('.') {
        Some((w, p)) => (w, Some(p.parse::<usize>().unwrap_or(0))),
        None => (rest, None),
    };
    if let Some(p) = prec {
        text.truncate(p);
    }
    let width: usize = width.parse().unwrap_or(0);
    let fill = vec![b' '; width.saturating_sub(text.len())];
    if flags.contains('-') {
        text.extend(fill);
        text
    } else {
        [fill, text].concat()
    }
}

/// The arguments still to be used, and whether any conversion had a bad number.
struct Args<'a> {
    rest: &'a [String],
    bad: bool,
}

impl Args<'_> {
    fn next(&mut self) -> &[u8] {
        match self.rest.split_first() {
            Some((a, r)) => {
                self.rest = r;
                a.as_bytes()
            }
            None => b"",
        }
    }

    fn report(&mut self, arg: &[u8], problem: Option<&str>) {
        if let Some(p) = problem {
            err(&format!("printf: {}: {p}", String::from_utf8_lossy(arg)));
            self.bad = true;
        }
    }

    fn int(&mut self, unsigned: bool) -> u64 {
        let a = self.next().to_vec();
        let (v, p) = parse_int(&a, unsigned);
        self.report(&a, p);
        v
    }

    fn float(&mut self) -> f64 {
        let a = self.next().to_vec();
        let (v, p) = parse_float(&a);
        self.report(&a, p);
        v
    }
}

/// How one pass over the format ended.
enum Pass {
    Done,
    /// `\c` in a `%b` argument: stop all output.
    Stop,
    /// A format error (already reported): status 2.
    Error,
}

/// One pass over `fmt`, appending to `o`.
fn one_pass(fmt: &[u8], args: &mut Args, o: &mut Vec<u8>) -> Pass {
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        if c == b'\\' {
            let (text, used, _) = escape_at(fmt, i + 1, false);
            o.extend(text);
            i += 1 + used;
            continue;
        }
        if c != b'%' {
            o.push(c);
            i += 1;
            continue;
        }
        if fmt.get(i + 1) == Some(&b'%') {
            o.push(b'%');
            i += 2;
            continue;
        }
        let start = i;
        i += 1;
        let mut spec = String::from("%");
        while let Some(&f) = fmt.get(i).filter(|f| b"-+ #0".contains(f)) {
            spec.push(f as char);
            i += 1;
        }
        if fmt.get(i) == Some(&b'*') {
            let w = args.int(false) as i64;
            spec.push_str(&w.to_string());
            i += 1;
        } else {
            while let Some(&d) = fmt.get(i).filter(|d| d.is_ascii_digit()) {
                spec.push(d as char);
                i += 1;
            }
        }
        if fmt.get(i) == Some(&b'.') {
            i += 1;
            if fmt.get(i) == Some(&b'*') {
                let p = args.int(false) as i64;
                // A negative precision is taken as if it were omitted.
                if p >= 0 {
                    spec.push_str(&format!(".{p}"));
                }
                i += 1;
            } else {
                spec.push('.');
                while let Some(&d) = fmt.get(i).filter(|d| d.is_ascii_digit()) {
                    spec.push(d as char);
                    i += 1;
                }
            }
        }
        let Some(&conv) = fmt.get(i) else {
            err("printf: missing format character");
            return Pass::Error;
        };
        i += 1;
        let text = match conv {
            b'd' | b'i' => c_format(
                &format!("{spec}ll{}", conv as char),
                &CArg::Int(args.int(false) as i64),
            ),
            b'o' | b'u' | b'x' | b'X' => c_format(
                &format!("{spec}ll{}", conv as char),
                &CArg::UInt(args.int(true)),
            ),
            b'f' | b'e' | b'E' | b'g' | b'G' => c_format(
                &format!("{spec}{}", conv as char),
                &CArg::Float(args.float()),
            ),
            b's' => {
                let a = CString::new(args.next()).unwrap_or_default();
                c_format(&format!("{spec}s"), &CArg::Str(a))
            }
            b'c' => {
                let a = args.next().first().copied().unwrap_or(0);
                c_format(&format!("{spec}c"), &CArg::Int(i64::from(a)))
            }
            b'b' => {
                let (t, stop) = b_text(args.next());
                o.extend(pad(&spec, t));
                if stop {
                    return Pass::Stop;
                }
                continue;
            }
            _ => {
                err(&format!(
                    "printf: {}: invalid directive",
                    String::from_utf8_lossy(&fmt[start..i])
                ));
                return Pass::Error;
            }
        };
        o.extend(text);
    }
    Pass::Done
}

/// Format `args` by `fmt`: (output, status).
pub fn format(fmt: &[u8], args: &[String]) -> (Vec<u8>, i32) {
    let mut args = Args {
        rest: args,
        bad: false,
    };
    let mut o = Vec::new();
    loop {
        let before = args.rest.len();
        match one_pass(fmt, &mut args, &mut o) {
            Pass::Done => {}
            Pass::Stop => break,
            Pass::Error => return (o, 2),
        }
        if args.rest.is_empty() || args.rest.len() == before {
            break;
        }
    }
    (o, i32::from(args.bad))
}

pub fn printf(args: &[String]) -> i32 {
    let args = match args.first() {
        Some(a) if a == "--" => &args[1..],
        _ => args,
    };
    let Some((fmt, rest)) = args.split_first() else {
        err("printf: usage: printf format [arg ...]");
        return 2;
    };
    let (o, st) = format(fmt.as_bytes(), rest);
    fdio::write_all(1, &o);
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: &[&str]) -> (String, i32) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (o, st) = format(fmt.as_bytes(), &args);
        (String::from_utf8_lossy(&o).into_owned(), st)
    }

    #[test]
    fn format_table() {
        let cases: &[(&str, &[&str], &str, i32)] = &[
            (
                "%5.2f|%e|%E|%g|%G",
                &["3.14159", "31415.9", "0.000123", "1e10", "0.0001"],
                " 3.14|3.141590e+04|1.230000E-04|1e+10|0.0001",
                0,
            ),
            (
                "%#o %#x %#X % d %+d %-5d| %05d",
                &["8", "255", "255", "5", "5", "5", "-5"],
                "010 0xff 0XFF  5 +5 5    | -0005",
                0,
            ),
            (
                "%*d|%-*d|%.*f",
                &["5", "42", "4", "7", "2", "3.14159"],
                "   42|7   |3.14",
                0,
            ),
            ("%d %d", &["'a", "\"b"], "97 98", 0),
            ("%d", &["abc"], "0", 1),
            ("%d", &["12abc"], "12", 1),
            ("%d", &[" 12"], "12", 0),
            ("%s %s\n", &["a", "b", "c"], "a b\nc \n", 0),
            ("%b|", &["a\\tb\\0101\\c", "x"], "a\tbA", 0),
            ("\\101\\0102", &[], "A\u{8}2", 0),
            ("%c%c", &["hello", "w"], "hw", 0),
            (
                "%x %u",
                &["-1", "-1"],
                "ffffffffffffffff 18446744073709551615",
                0,
            ),
            ("%.3s|%10.2s|", &["abcdef", "xyz"], "abc|        xy|", 0),
            ("ab%qcd", &[], "ab", 2),
            ("%5", &[], "", 2),
            ("%i %d", &["0x10", "010"], "16 8", 0),
            ("%d", &["99999999999999999999"], "9223372036854775807", 1),
            ("%.0f %.0f %.0f", &["0.5", "1.5", "2.5"], "0 2 2", 0),
            ("%#g %#.3g", &["1", "2.5"], "1.00000 2.50", 0),
            ("%.2f", &["0x1p1"], "2.00", 0),
            ("%f", &["'a"], "97.000000", 0),
            ("a\\c b", &[], "a\\c b", 0),
            ("%*s|", &["-5", "ab"], "ab   |", 0),
            ("%.*d|", &["-1", "5"], "5|", 0),
            ("%08.3f|", &["-3.14159"], "-003.142|", 0),
            ("%s %d %s\n", &["a", "1", "b", "2", "c"], "a 1 b\n2 0 \n", 1),
            ("%b|", &["\\101", "\\01011"], "A|A1|", 0),
            (
                "%b|%-3b|%5.1b|",
                &["a\\0b", "x", "yz"],
                "a\0b|x  |    y|",
                0,
            ),
            ("%5%", &[], "", 2),
            ("%%|%s", &[], "%|", 0),
            ("x\n", &["a", "b"], "x\n", 0),
        ];
        for (fmt, args, want, st) in cases {
            assert_eq!(f(fmt, args), (want.to_string(), *st), "{fmt:?} {args:?}");
        }
    }

    #[test]
    fn pad_table() {
        for (spec, text, want) in [
            ("%", &b"a\0b"[..], &b"a\0b"[..]),
            ("%5", b"ab", b"   ab"),
            ("%-5", b"ab", b"ab   "),
            ("%.1", b"ab", b"a"),
            ("%-4.1", b"ab", b"a   "),
            ("%-", b"ab", b"ab"),
        ] {
            assert_eq!(pad(spec, text.to_vec()), want, "{spec}");
        }
    }

    #[test]
    fn parse_int_table() {
        let cases: &[(&str, bool, u64, Option<&str>)] = &[
            ("42", false, 42, None),
            ("-0x1f", false, (-31i64) as u64, None),
            ("0b1", false, 0, Some(PARTIAL)),
            ("--5", false, 0, Some(NOT_NUMERIC)),
            ("12 ", false, 12, Some(PARTIAL)),
            ("-1", true, u64::MAX, None),
            ("'", false, 0, None),
            ("", false, 0, None),
        ];
        for (s, u, v, p) in cases {
            assert_eq!(parse_int(s.as_bytes(), *u), (*v, *p), "{s:?}");
        }
    }
}
