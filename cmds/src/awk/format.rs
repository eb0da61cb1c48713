//! printf/sprintf formatting as C's printf(3) does it for awk's conversions:
//! %c %d %i %o %x %X %u %e %E %f %F %g %G %s %%, flags `-+ #0`, width, precision, `*`.

use super::value::Value;

#[derive(Default, Clone, Copy)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    width: usize,
    prec: Option<usize>,
}

/// Format one number with a CONVFMT/OFMT-style format.
pub fn sprintf_num(fmt: &[u8], n: f64) -> Vec<u8> {
    sprintf(fmt, &[Value::Num(n)], b"%.6g").unwrap_or_default()
}

/// `sprintf(fmt, args…)`; too few arguments is an error (as in mawk and the one true awk).
pub fn sprintf(fmt: &[u8], args: &[Value], convfmt: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(fmt.len() + 16);
    let mut args = args.iter();
    let mut missing = false;
    let mut next = || {
        args.next().cloned().unwrap_or_else(|| {
            missing = true;
            Value::Uninit
        })
    };
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        let start = i - 1;
        let mut spec = Spec::default();
        while i < fmt.len() {
            match fmt[i] {
                b'-' => spec.left = true,
                b'+' => spec.plus = true,
                b' ' => spec.space = true,
                b'#' => spec.alt = true,
                b'0' => spec.zero = true,
                _ => break,
            }
            i += 1;
        }
        if i < fmt.len() && fmt[i] == b'*' {
            i += 1;
            let w = next().num();
            if w < 0.0 {
                spec.left = true;
            }
            spec.width = w.abs().min(1e6) as usize;
        } else {
            spec.width = digits(fmt, &mut i);
        }
        if i < fmt.len() && fmt[i] == b'.' {
            i += 1;
            if i < fmt.len() && fmt[i] == b'*' {
                i += 1;
                let p = next().num();
                spec.prec = (p >= 0.0).then_some(p.min(1e6) as usize);
            } else {
                spec.prec = Some(digits(fmt, &mut i));
            }
        }
        // C length modifiers mean nothing in awk; skip them.
        while i < fmt.len() && matches!(fmt[i], b'h' | b'l' | b'L' | b'q' | b'j' | b'z') {
            i += 1;
        }
        let Some(&conv) = fmt.get(i) else {
            out.extend_from_slice(&fmt[start..]);
            break;
        };
        i += 1;
        match conv {
            b'%' => out.push(b'%'),
            b'd' | b'i' => {
                // mawk's d_to_I: NaN and -inf go to -MAX, inf to MAX.
                let n = next().num();
                let n = match n {
                    _ if n.is_nan() => -(i64::MAX as f64),
                    _ => n.trunc().clamp(-(i64::MAX as f64), i64::MAX as f64),
                };
                fmt_int(&mut out, n, spec);
            }
            b'o' | b'x' | b'X' | b'u' => {
                let n = next().num();
                let u = if n < 0.0 { (n as i64) as u64 } else { n as u64 };
                fmt_unsigned(&mut out, u, conv, spec);
            }
            b'e' | b'E' | b'f' | b'F' | b'g' | b'G' => {
                fmt_float(&mut out, next().num(), conv, spec)
            }
            b'c' => {
                let v = next();
                // A number (or numeric input) is a character code; a string gives its first byte.
                let body: Vec<u8> = match v {
                    Value::Num(n) => vec![n as u32 as u8],
                    Value::StrNum(_) if v.is_numeric() => vec![v.num() as u32 as u8],
                    other => other.bytes(convfmt).iter().take(1).copied().collect(),
                };
                pad(&mut out, b"", &body, spec, false);
            }
            b's' => {
                let s = next().bytes(convfmt);
                let s = match spec.prec {
                    Some(p) if p < s.len() => &s[..p],
                    _ => &s[..],
                };
                pad(&mut out, b"", s, spec, false);
            }
            _ => out.extend_from_slice(&fmt[start..i]),
        }
    }
    if missing {
        return Err(format!(
            "not enough args in printf({})",
            String::from_utf8_lossy(fmt)
        ));
    }
    Ok(out)
}

fn digits(fmt: &[u8], i: &mut usize) -> usize {
    let mut n = 0usize;
    while *i < fmt.len() && fmt[*i].is_ascii_digit() {
        n = n
            .saturating_mul(10)
            .saturating_add((fmt[*i] - b'0') as usize);
        *i += 1;
    }
    n.min(1_000_000)
}

/// Write `prefix` (sign, 0x) and `body` padded to the width; zero padding goes between them.
fn pad(out: &mut Vec<u8>, prefix: &[u8], body: &[u8], spec: Spec, zero_ok: bool) {
    let len = prefix.len() + body.len();
    let fill = spec.width.saturating_sub(len);
    if spec.left {
        out.extend_from_slice(prefix);
        out.extend_from_slice(body);
        out.resize(out.len() + fill, b' ');
    } else if spec.zero && zero_ok {
        out.extend_from_slice(prefix);
        out.resize(out.len() + fill, b'0');
        out.extend_from_slice(body);
    } else {
        out.resize(out.len() + fill, b' ');
        out.extend_from_slice(prefix);
        out.extend_from_slice(body);
    }
}

fn sign(neg: bool, spec: Spec) -> &'static [u8] {
    if neg {
        b"-"
    } else if spec.plus {
        b"+"
    } else if spec.space {
        b" "
    } else {
        b""
    }
}

fn with_precision(mut digits: String, prec: Option<usize>) -> String {
    match prec {
        Some(0) if digits == "0" => String::new(),
        Some(p) if digits.len() < p => {
            digits.insert_str(0, &"0".repeat(p - digits.len()));
            digits
        }
        _ => digits,
    }
}

fn fmt_int(out: &mut Vec<u8>, n: f64, spec: Spec) {
    let neg = n < 0.0;
    let mag = if n.abs() >= i64::MAX as f64 {
        i64::MAX as u64
    } else {
        n.abs() as u64
    };
    let body = with_precision(mag.to_string(), spec.prec);
    pad(
        out,
        sign(neg, spec),
        body.as_bytes(),
        spec,
        spec.prec.is_none(),
    );
}

fn fmt_unsigned(out: &mut Vec<u8>, u: u64, conv: u8, spec: Spec) {
    let digits = match conv {
        b'o' => format!("{u:o}"),
        b'x' => format!("{u:x}"),
        b'X' => format!("{u:X}"),
        _ => u.to_string(),
    };
    let mut body = with_precision(digits, spec.prec);
    let mut prefix: &[u8] = b"";
    if spec.alt {
        match conv {
            b'o' if !body.starts_with('0') => body.insert(0, '0'),
            b'x' if u != 0 => prefix = b"0x",
            b'X' if u != 0 => prefix = b"0X",
            _ => {}
        }
    }
    pad(out, prefix, body.as_bytes(), spec, spec.prec.is_none());
}

/// `{:e}` gives `1.5e2`; C gives `1.5e+02`.
fn c_exponent(s: String, upper: bool) -> String {
    let Some(pos) = s.find('e') else { return s };
    let (mant, exp) = s.split_at(pos);
    let exp = &exp[1..];
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    let e = if upper { 'E' } else { 'e' };
    format!("{mant}{e}{sign}{digits:0>2}")
}

fn strip_zeros(s: String) -> String {
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(p) => (s[..p].to_string(), s[p..].to_string()),
        None => (s.clone(), String::new()),
    };
    if !mant.contains('.') {
        return s;
    }
    let m = mant.trim_end_matches('0').trim_end_matches('.');
    format!("{m}{exp}")
}

fn fmt_float(out: &mut Vec<u8>, n: f64, conv: u8, spec: Spec) {
    let upper = conv.is_ascii_uppercase();
    let neg = n.is_sign_negative();
    if !n.is_finite() {
        let body = match (n.is_nan(), upper) {
            (true, false) => "nan",
            (true, true) => "NAN",
            (false, false) => "inf",
            (false, true) => "INF",
        };
        pad(out, sign(neg, spec), body.as_bytes(), spec, false);
        return;
    }
    let a = n.abs();
    let prec = spec.prec.unwrap_or(6);
    let mut body = match conv {
        b'f' | b'F' => format!("{a:.prec$}"),
        b'e' | b'E' => c_exponent(format!("{a:.prec$e}"), upper),
        _ => {
            let p = if prec == 0 { 1 } else { prec };
            let e = format!("{a:.0$e}", p - 1);
            let x: i32 = e
                .split('e')
                .nth(1)
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            let s = if x < -4 || x >= p as i32 {
                c_exponent(e, upper)
            } else {
                let fp = (p as i32 - 1 - x).max(0) as usize;
                format!("{a:.fp$}")
            };
            if spec.alt {
                s
            } else {
                strip_zeros(s)
            }
        }
    };
    if spec.alt && !body.contains('.') {
        match body.find(['e', 'E']) {
            Some(p) => body.insert(p, '.'),
            None => body.push('.'),
        }
    }
    pad(out, sign(neg, spec), body.as_bytes(), spec, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_table() {
        let n = |x: f64| Value::Num(x);
        let s = |x: &str| Value::str(x.as_bytes());
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("%d|%i", vec![n(3.9), n(-3.9)], "3|-3"),
            (
                "%5d|%-5d|%05d",
                vec![n(42.0), n(42.0), n(-42.0)],
                "   42|42   |-0042",
            ),
            ("%+d % d %.3d", vec![n(5.0), n(5.0), n(5.0)], "+5  5 005"),
            (
                "%o %x %X %#x %#o",
                vec![n(8.0), n(255.0), n(255.0), n(255.0), n(8.0)],
                "10 ff FF 0xff 010",
            ),
            ("%u", vec![n(-1.0)], "18446744073709551615"),
            ("%c%c", vec![n(65.0), s("hello")], "Ah"),
            (
                "%s|%5s|%-5s|%.2s",
                vec![s("ab"), s("ab"), s("ab"), s("abc")],
                "ab|   ab|ab   |ab",
            ),
            (
                "%f %.2f %10.3f",
                vec![n(3.14259), n(2.005), n(-1.5)],
                "3.142590 2.00     -1.500",
            ),
            (
                "%e %E",
                vec![n(12345.678), n(0.0)],
                "1.234568e+04 0.000000E+00",
            ),
            (
                "%g %g %g %g",
                vec![n(100000.0), n(1e6), n(0.0001), n(0.00001)],
                "100000 1e+06 0.0001 1e-05",
            ),
            (
                "%G %#g %.3g",
                vec![n(1e-10), n(1.0), n(3.14259)],
                "1E-10 1.00000 3.14",
            ),
            (
                "%*d|%-*d|%.*f",
                vec![n(4.0), n(1.0), n(3.0), n(2.0), n(2.0), n(1.0)],
                "   1|2  |1.00",
            ),
            ("%5%|%z", vec![], "%|%z"),
            ("%.0f %.0f", vec![n(0.5), n(1.5)], "0 2"),
            ("%x", vec![n(-1.0)], "ffffffffffffffff"),
        ];
        for (fmt, args, want) in cases {
            let got = sprintf(fmt.as_bytes(), &args, b"%.6g").unwrap();
            assert_eq!(String::from_utf8_lossy(&got), want, "{fmt}");
        }
        assert!(sprintf(b"%d %s", &[n(1.0)], b"%.6g").is_err());
    }
}
