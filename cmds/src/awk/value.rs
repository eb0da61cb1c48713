//! awk values: numbers, strings, "strnums" (input that looks numeric compares as a number,
//! POSIX awk "Expressions in awk"), the uninitialized value, and conversions between them.

use std::rc::Rc;

use super::format::sprintf_num;

#[derive(Debug, Clone)]
pub enum Value {
    /// Never assigned: "" and 0 at once.
    Uninit,
    Num(f64),
    Str(Rc<[u8]>),
    /// A string from input (fields, getline, -v, ARGV, split): numeric if it looks numeric.
    StrNum(Rc<[u8]>),
}

impl Value {
    pub fn str(s: &[u8]) -> Value {
        Value::Str(Rc::from(s))
    }

    pub fn strnum(s: &[u8]) -> Value {
        Value::StrNum(Rc::from(s))
    }

    pub fn num(&self) -> f64 {
        match self {
            Value::Uninit => 0.0,
            Value::Num(n) => *n,
            Value::Str(s) | Value::StrNum(s) => str_to_num(s),
        }
    }

    /// The string value, numbers converted with `fmt` (CONVFMT or OFMT).
    pub fn bytes(&self, fmt: &[u8]) -> Rc<[u8]> {
        match self {
            Value::Uninit => Rc::from(&b""[..]),
            Value::Num(n) => Rc::from(num_to_str(*n, fmt)),
            Value::Str(s) | Value::StrNum(s) => s.clone(),
        }
    }

    /// Does this value compare as a number (POSIX: numeric, or a numeric string)?
    pub fn is_numeric(&self) -> bool {
        match self {
            Value::Uninit | Value::Num(_) => true,
            Value::Str(_) => false,
            Value::StrNum(s) => looks_numeric(s),
        }
    }

    pub fn truth(&self) -> bool {
        match self {
            Value::Uninit => false,
            Value::Num(n) => *n != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::StrNum(s) => {
                if looks_numeric(s) {
                    str_to_num(s) != 0.0
                } else {
                    !s.is_empty()
                }
            }
        }
    }
}

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Length of the longest prefix of `s` (after blanks) that is a decimal floating constant.
fn number_prefix(s: &[u8]) -> (usize, usize) {
    let mut i = 0;
    while i < s.len() && is_blank(s[i]) {
        i += 1;
    }
    let start = i;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    let digits_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let mut ndigits = i - digits_start;
    if i < s.len() && s[i] == b'.' {
        i += 1;
        let f = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        ndigits += i - f;
    }
    if ndigits == 0 {
        return (start, start);
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut j = i + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        let e = j;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        if j > e {
            i = j;
        }
    }
    (start, i)
}

/// atof-like: the numeric value of the leading number in `s`, 0 if none.
pub fn str_to_num(s: &[u8]) -> f64 {
    let (a, b) = number_prefix(s);
    if a == b {
        return 0.0;
    }
    std::str::from_utf8(&s[a..b])
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// The whole string (blanks around allowed) is a number.
pub fn looks_numeric(s: &[u8]) -> bool {
    let (a, b) = number_prefix(s);
    a != b && s[b..].iter().all(|&c| is_blank(c))
}

/// Number to string: integers print as integers, others through `fmt` (CONVFMT/OFMT).
pub fn num_to_str(n: f64, fmt: &[u8]) -> Vec<u8> {
    if n == n.trunc() && n.abs() < 9.2e18 {
        return format!("{}", n as i64).into_bytes();
    }
    sprintf_num(fmt, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_to_strings() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (-3.0, "-3"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.333333"),
            (1e20, "1e+20"),
            (123456789.5, "1.23457e+08"),
            (f64::INFINITY, "inf"),
            (-f64::INFINITY, "-inf"),
            (1e18, "1000000000000000000"),
        ];
        for &(n, want) in cases {
            assert_eq!(num_to_str(n, b"%.6g"), want.as_bytes(), "{n}");
        }
    }

    #[test]
    fn strings_to_numbers() {
        let cases: &[(&str, f64, bool)] = &[
            ("12", 12.0, true),
            (" 12 ", 12.0, true),
            ("1e3", 1000.0, true),
            ("1e", 1.0, false),
            (".5", 0.5, true),
            (".", 0.0, false),
            ("+3x", 3.0, false),
            ("-2.5", -2.5, true),
            ("abc", 0.0, false),
            ("", 0.0, false),
            ("0x1A", 0.0, false),
        ];
        for &(s, n, numeric) in cases {
            assert_eq!(str_to_num(s.as_bytes()), n, "{s}");
            assert_eq!(looks_numeric(s.as_bytes()), numeric, "{s}");
        }
    }
}
