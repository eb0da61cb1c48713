//! The numeric arguments of find's tests: `+N` / `-N` / `N` and what each test compares with
//! them (findutils manual, "Numeric arguments"; `-size` rounding and `-mtime` day counting as
//! GNU find 4.9 does them).

use std::cmp::Ordering;

/// `+N` (more than N), `-N` (less than N) or `N` (exactly N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumArg {
    pub cmp: Ordering,
    pub n: i64,
}

impl NumArg {
    /// The comparison prefix and the digits; `None` if `s` is not `[+-]DIGITS`.
    pub fn parse(s: &str) -> Option<NumArg> {
        let (cmp, digits) = split_sign(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(NumArg {
            cmp,
            n: digits.parse().ok()?,
        })
    }

    pub fn matches(&self, value: i64) -> bool {
        value.cmp(&self.n) == self.cmp
    }
}

fn split_sign(s: &str) -> (Ordering, &str) {
    if let Some(rest) = s.strip_prefix('+') {
        (Ordering::Greater, rest)
    } else if let Some(rest) = s.strip_prefix('-') {
        (Ordering::Less, rest)
    } else {
        (Ordering::Equal, s)
    }
}

/// `-size [+-]N[cwbkMG]`: the size is rounded up to whole units before comparing, so
/// `-size -1M` matches only empty files, as in GNU find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeTest {
    pub arg: NumArg,
    pub unit: u64,
}

/// Why a `-size` argument was refused: the message GNU find prints.
pub fn parse_size(s: &str) -> Result<SizeTest, String> {
    let (unit, digits) = match s.chars().last() {
        Some(c) if c.is_ascii_alphabetic() => {
            let unit = match c {
                'c' => 1,
                'w' => 2,
                'b' => 512,
                'k' => 1024,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("invalid -size type `{c}'")),
            };
            (unit, &s[..s.len() - 1])
        }
        _ => (512, s),
    };
    let arg = NumArg::parse(digits).ok_or_else(|| format!("invalid argument `{s}' to `-size'"))?;
    Ok(SizeTest { arg, unit })
}

impl SizeTest {
    pub fn matches(&self, size: u64) -> bool {
        let units = size.div_ceil(self.unit);
        self.arg.matches(i64::try_from(units).unwrap_or(i64::MAX))
    }
}

const NANOS: i128 = 1_000_000_000;

/// `-mtime`/`-atime`/`-ctime` (unit a day) and `-mmin`/`-amin`/`-cmin` (unit a minute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeTest {
    pub arg: NumArg,
    /// Seconds in the unit: 86400 or 60.
    pub unit: i64,
    /// The moment ages are measured from, in nanoseconds since the epoch (find's start, or
    /// the end of today with `-daystart`).
    pub origin_ns: i128,
}

impl AgeTest {
    /// GNU counts days by truncating the age (`-mtime 0`: less than 24 hours old) but
    /// compares minutes with the exact age (`-mmin 1`: at most one minute old, `-mmin +1`:
    /// more than one minute).
    pub fn matches(&self, time_ns: i128) -> bool {
        let age = self.origin_ns - time_ns;
        let unit = i128::from(self.unit) * NANOS;
        let n = i128::from(self.arg.n);
        if self.unit == 86400 {
            age.div_euclid(unit).cmp(&n) == self.arg.cmp
        } else {
            match self.arg.cmp {
                Ordering::Greater => age > n * unit,
                Ordering::Less => age < n * unit,
                Ordering::Equal => (n - 1) * unit < age && age <= n * unit,
            }
        }
    }
}

/// `-perm MODE` (exactly), `-perm -MODE` (all of these bits), `-perm /MODE` (any of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermTest {
    Exact(u32),
    All(u32),
    Any(u32),
}

impl PermTest {
    pub fn matches(&self, mode: u32) -> bool {
        let mode = mode & 0o7777;
        match *self {
            PermTest::Exact(m) => mode == m,
            PermTest::All(m) => mode & m == m,
            // GNU: `/000` matches every file (no bit is required).
            PermTest::Any(m) => m == 0 || mode & m != 0,
        }
    }
}

pub fn parse_perm(s: &str) -> Result<PermTest, String> {
    let bad = || format!("invalid mode '{s}'");
    let (kind, spec): (fn(u32) -> PermTest, &str) = if let Some(rest) = s.strip_prefix('-') {
        (PermTest::All, rest)
    } else if let Some(rest) = s.strip_prefix('/') {
        (PermTest::Any, rest)
    } else if let Some(rest) = s
        .strip_prefix('+')
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    {
        // Old GNU syntax for `/MODE`, still accepted for octal modes.
        (PermTest::Any, rest)
    } else {
        (PermTest::Exact, s)
    };
    let mode = parse_mode(spec).ok_or_else(bad)?;
    Ok(kind(mode))
}

/// An octal mode, or a chmod(1) symbolic one applied to 0 with no umask (as find does).
pub fn parse_mode(spec: &str) -> Option<u32> {
    if spec.is_empty() {
        return None;
    }
    if spec.bytes().all(|b| b.is_ascii_digit()) {
        let m = u32::from_str_radix(spec, 8).ok()?;
        return (m <= 0o7777).then_some(m);
    }
    let mut mode = 0u32;
    for clause in spec.split(',') {
        mode = apply_clause(mode, clause)?;
    }
    Some(mode)
}

/// One `[ugoa]*([-+=][rwxXst]*|[-+=][ugo])+` clause of a symbolic mode.
fn apply_clause(mut mode: u32, clause: &str) -> Option<u32> {
    let bytes = clause.as_bytes();
    let mut i = 0;
    let mut who = 0u32;
    while let Some(&c) = bytes.get(i) {
        who |= match c {
            b'u' => 0o4700,
            b'g' => 0o2070,
            b'o' => 0o1007,
            b'a' => 0o7777,
            _ => break,
        };
        i += 1;
    }
    if who == 0 {
        who = 0o7777;
    }
    if i == bytes.len() {
        return None;
    }
    while let Some(&op) = bytes.get(i) {
        if !matches!(op, b'+' | b'-' | b'=') {
            return None;
        }
        i += 1;
        let mut bits = 0u32;
        while let Some(&c) = bytes.get(i) {
            bits |= match c {
                b'r' => 0o444,
                b'w' => 0o222,
                b'x' => 0o111,
                b'X' if mode & 0o111 != 0 => 0o111,
                b'X' => 0,
                b's' => 0o6000,
                b't' => 0o1000,
                b'u' => copy_class((mode >> 6) & 7),
                b'g' => copy_class((mode >> 3) & 7),
                b'o' => copy_class(mode & 7),
                _ => break,
            };
            i += 1;
        }
        let bits = bits & who;
        mode = match op {
            b'+' => mode | bits,
            b'-' => mode & !bits,
            _ => (mode & !(who & 0o7777)) | bits,
        };
    }
    Some(mode)
}

/// `g=u` and friends: the rwx bits of one class, copied to every class (masked by who later).
fn copy_class(rwx: u32) -> u32 {
    rwx | rwx << 3 | rwx << 6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_arguments() {
        let cases = [
            ("3", 3, true),
            ("3", 4, false),
            ("+3", 4, true),
            ("+3", 3, false),
            ("-3", 2, true),
            ("-3", 3, false),
        ];
        for (arg, value, want) in cases {
            let a = NumArg::parse(arg).unwrap();
            assert_eq!(a.matches(value), want, "{arg} vs {value}");
        }
        for bad in ["", "+", "x", "1x", "--1"] {
            assert_eq!(NumArg::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn size_rounds_up_to_units() {
        let cases = [
            ("-1M", 0, true),
            ("-1M", 1, false),
            ("1M", 1, true),
            ("1M", 1 << 20, true),
            ("2M", (1 << 20) + 1, true),
            ("1", 512, true),
            ("1", 513, false),
            ("2", 513, true),
            ("10c", 10, true),
            ("+10c", 10, false),
            ("+10c", 11, true),
            ("-2k", 1024, true),
            ("-2k", 1025, false),
            ("3w", 6, true),
            ("0", 0, true),
        ];
        for (arg, size, want) in cases {
            let t = parse_size(arg).unwrap();
            assert_eq!(t.matches(size), want, "-size {arg} on {size} bytes");
        }
        assert_eq!(parse_size("3q").unwrap_err(), "invalid -size type `q'");
        assert!(parse_size("xk").is_err());
    }

    #[test]
    fn ages_in_days_and_minutes() {
        let origin = 1_000_000 * NANOS;
        let at = |secs_ago: i128| origin - secs_ago * NANOS;
        let day = |arg: &str| AgeTest {
            arg: NumArg::parse(arg).unwrap(),
            unit: 86400,
            origin_ns: origin,
        };
        let min = |arg: &str| AgeTest {
            unit: 60,
            ..day(arg)
        };
        let cases = [
            (day("0"), 43200, true),
            (day("0"), -100, false),
            (day("1"), 129600, true),
            (day("+0"), 129600, true),
            (day("+1"), 129600, false),
            (day("+1"), 216000, true),
            (day("-1"), -100, true),
            (day("-1"), 86399, true),
            (day("-1"), 86400, false),
            (min("1"), 30, true),
            (min("1"), 90, false),
            (min("0"), 30, false),
            (min("2"), 90, true),
            (min("+1"), 90, true),
            (min("+1"), 30, false),
            (min("-1"), 30, true),
            (min("-2"), 90, true),
            (min("-1"), 90, false),
        ];
        for (test, ago, want) in cases {
            assert_eq!(test.matches(at(ago)), want, "{test:?} on {ago}s ago");
        }
    }

    #[test]
    fn perm_modes() {
        let cases = [
            ("644", 0o100644, true),
            ("644", 0o100664, false),
            ("-644", 0o100664, true),
            ("-644", 0o100600, false),
            ("/022", 0o100644, false),
            ("/022", 0o100664, true),
            ("/0", 0o100000, true),
            ("u=rw,go=r", 0o644, true),
            ("-u+x", 0o755, true),
            ("-u+x", 0o644, false),
            ("/u=w,g=w", 0o444, false),
            ("/u=w,g=w", 0o464, true),
            ("-a+r", 0o444, true),
            ("+w", 0o222, true),
            ("g=u", 0o070, false),
            ("-4000", 0o4755, true),
            ("u+s", 0o4000, true),
            ("o+t", 0o1000, true),
        ];
        for (arg, mode, want) in cases {
            let t = parse_perm(arg).unwrap_or_else(|e| panic!("{arg}: {e}"));
            assert_eq!(t.matches(mode), want, "-perm {arg} on {mode:o}");
        }
        for bad in ["999", "", "q+r", "u", "u+z", "-", "77777"] {
            assert!(parse_perm(bad).is_err(), "{bad}");
        }
    }
}
