//! `sort`: sort lines of text files. GNU coreutils sort(1) in the C locale.
//!
//! usage: sort [-bdfghiMnRrVsuz] [-c|-C] [-m] [-k KEYDEF]... [-t SEP] [-o FILE] [FILE...]
//!
//! Ours rather than uutils': uu_sort links ICU's collation, decimal and date-time data (for
//! `-M` month names in every language) — more than a megabyte — and rayon. In the C locale a
//! collation is a byte comparison, and months are JAN…DEC.

use std::cmp::Ordering;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: sort [-bdfghiMnRrVsuz] [-c|-C] [-m] [-k KEYDEF]... [-t SEP] [-o FILE] [FILE...]
Write the sorted lines of the FILEs (standard input when none or -).
  -b ignore leading blanks   -d dictionary order   -f fold case   -i printable only
  -n numeric   -g general numeric   -h human numeric (2K, 1G)   -M month   -V version
  -R random order   -r reverse   -k F[.C][OPTS][,F[.C][OPTS]] sort by key (repeatable)
  -t SEP field separator   -s stable   -u unique   -z NUL-terminated lines
  -c check (report the first disorder)   -C check quietly   -m merge sorted files
  -o FILE write to FILE (may be an input)   -S, -T, --parallel accepted and ignored
";

#[derive(Debug, PartialEq, Eq)]
pub enum SortError {
    Usage(String),
    Read(String, String),
    Write(String, String),
}

impl std::fmt::Display for SortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SortError::Usage(m) => f.write_str(m),
            SortError::Read(p, r) => write!(f, "cannot read: {p}: {r}"),
            SortError::Write(p, r) => write!(f, "{p}: {r}"),
        }
    }
}

impl AppletError for SortError {
    fn exit_code(&self) -> i32 {
        2
    }
}

impl From<UsageError> for SortError {
    fn from(e: UsageError) -> Self {
        SortError::Usage(e.0)
    }
}

/// How two keys are compared (GNU's ordering options).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Order {
    pub blanks_start: bool,
    pub blanks_end: bool,
    pub dictionary: bool,
    pub fold: bool,
    pub printable: bool,
    pub numeric: bool,
    pub general: bool,
    pub human: bool,
    pub month: bool,
    pub version: bool,
    pub random: bool,
    pub reverse: bool,
}

impl Order {
    /// Sets the option named by letter `c`; false if it is not an ordering option.
    fn set(&mut self, c: char) -> bool {
        match c {
            'b' => {
                self.blanks_start = true;
                self.blanks_end = true;
            }
            'd' => self.dictionary = true,
            'f' => self.fold = true,
            'i' => self.printable = true,
            'n' => self.numeric = true,
            'g' => self.general = true,
            'h' => self.human = true,
            'M' => self.month = true,
            'V' => self.version = true,
            'R' => self.random = true,
            'r' => self.reverse = true,
            _ => return false,
        }
        true
    }

    fn is_default(&self) -> bool {
        *self == Order::default()
    }
}

/// A `-k` key: from field.char to field.char (1-based; end char 0 = end of field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub start_field: usize,
    pub start_char: usize,
    /// `None`: to the end of the line.
    pub end: Option<(usize, usize)>,
    pub order: Order,
}

impl Key {
    /// Parses KEYDEF: `F[.C][OPTS][,F[.C][OPTS]]`.
    pub fn parse(def: &str) -> Result<Key, UsageError> {
        let bad = |why: &str| UsageError(format!("invalid key '{def}': {why}"));
        let (start, end) = match def.split_once(',') {
            Some((s, e)) => (s, Some(e)),
            None => (def, None),
        };
        let mut order = Order::default();
        let mut position = |text: &str, is_start: bool| -> Result<(usize, usize), UsageError> {
            let digits_end = text
                .find(|c: char| !c.is_ascii_digit() && c != '.')
                .unwrap_or(text.len());
            let (pos, opts) = text.split_at(digits_end);
            let (f, c) = match pos.split_once('.') {
                Some((f, c)) => (f, Some(c)),
                None => (pos, None),
            };
            let field: usize = f.parse().map_err(|_| bad("bad field number"))?;
            if field == 0 {
                return Err(bad("field number is zero"));
            }
            let ch: usize = match c {
                Some(c) => c.parse().map_err(|_| bad("bad character offset"))?,
                None => 0,
            };
            if is_start && c.is_some() && ch == 0 {
                return Err(bad("character offset is zero"));
            }
            for o in opts.chars() {
                if o == 'b' {
                    if is_start {
                        order.blanks_start = true;
                    } else {
                        order.blanks_end = true;
                    }
                } else if !order.set(o) {
                    return Err(bad(&format!("unknown option '{o}'")));
                }
            }
            Ok((field, if is_start { ch.max(1) } else { ch }))
        };
        let (start_field, start_char) = position(start, true)?;
        let end = match end {
            Some(e) => Some(position(e, false)?),
            None => None,
        };
        Ok(Key {
            start_field,
            start_char,
            end,
            order,
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub global: Order,
    pub keys: Vec<Key>,
    pub separator: Option<u8>,
    pub stable: bool,
    pub unique: bool,
    pub zero: bool,
    pub check: Option<bool>,
    pub merge: bool,
    pub output: Option<String>,
    pub files: Vec<String>,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options, UsageError> {
        let mut o = Options {
            global: Order::default(),
            keys: Vec::new(),
            separator: None,
            stable: false,
            unique: false,
            zero: false,
            check: None,
            merge: false,
            output: None,
            files: Vec::new(),
        };
        let mut it = args.iter();
        let mut only_files = false;
        let need = |it: &mut std::slice::Iter<String>, what: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| UsageError(format!("option requires an argument -- '{what}'")))
        };
        while let Some(a) = it.next() {
            if only_files || a == "-" || !a.starts_with('-') {
                o.files.push(a.clone());
                continue;
            }
            if let Some(long) = a.strip_prefix("--") {
                let (name, mut value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                let mut value = |it: &mut std::slice::Iter<String>| match value.take() {
                    Some(v) => Ok(v),
                    None => need(it, name),
                };
                let letter = match name {
                    "" => {
                        only_files = true;
                        continue;
                    }
                    "ignore-leading-blanks" => 'b',
                    "dictionary-order" => 'd',
                    "ignore-case" => 'f',
                    "general-numeric-sort" => 'g',
                    "human-numeric-sort" => 'h',
                    "ignore-nonprinting" => 'i',
                    "month-sort" => 'M',
                    "numeric-sort" => 'n',
                    "random-sort" => 'R',
                    "reverse" => 'r',
                    "version-sort" => 'V',
                    "stable" => 's',
                    "unique" => 'u',
                    "zero-terminated" => 'z',
                    "merge" => 'm',
                    "check" => match value(&mut it).ok().as_deref() {
                        Some("quiet") | Some("silent") => 'C',
                        _ => 'c',
                    },
                    "key" => {
                        o.keys.push(Key::parse(&value(&mut it)?)?);
                        continue;
                    }
                    "field-separator" => {
                        o.separator = Some(separator(&value(&mut it)?)?);
                        continue;
                    }
                    "output" => {
                        o.output = Some(value(&mut it)?);
                        continue;
                    }
                    "buffer-size" | "temporary-directory" | "parallel" | "batch-size" => {
                        value(&mut it)?;
                        continue;
                    }
                    "sort" => match value(&mut it)?.as_str() {
                        "general-numeric" => 'g',
                        "human-numeric" => 'h',
                        "month" => 'M',
                        "numeric" => 'n',
                        "random" => 'R',
                        "version" => 'V',
                        other => {
                            return Err(UsageError(format!(
                                "invalid argument '{other}' for '--sort'"
                            )))
                        }
                    },
                    _ => return Err(UsageError(format!("unrecognized option '{a}'"))),
                };
                o.apply(letter)?;
                continue;
            }
            let chars: Vec<char> = a[1..].chars().collect();
            let mut i = 0;
            while i < chars.len() {
                let c = chars[i];
                i += 1;
                if matches!(c, 'k' | 't' | 'o' | 'S' | 'T') {
                    let rest: String = chars[i..].iter().collect();
                    let v = if rest.is_empty() {
                        need(&mut it, &c.to_string())?
                    } else {
                        rest
                    };
                    match c {
                        'k' => o.keys.push(Key::parse(&v)?),
                        't' => o.separator = Some(separator(&v)?),
                        'o' => o.output = Some(v),
                        _ => {}
                    }
                    break;
                }
                o.apply(c)?;
            }
        }
        if o.files.is_empty() {
            o.files.push("-".into());
        }
        Ok(o)
    }

    fn apply(&mut self, c: char) -> Result<(), UsageError> {
        match c {
            's' => self.stable = true,
            'u' => self.unique = true,
            'z' => self.zero = true,
            'm' => self.merge = true,
            'c' => self.check = Some(false),
            'C' => self.check = Some(true),
            _ if self.global.set(c) => {}
            _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
        }
        Ok(())
    }

    /// The keys to compare by: the `-k`s (those without ordering options take the global
    /// ones, as GNU does), or the whole line under the global options.
    fn effective_keys(&self) -> Vec<Key> {
        if self.keys.is_empty() {
            return vec![Key {
                start_field: 1,
                start_char: 1,
                end: None,
                order: self.global,
            }];
        }
        self.keys
            .iter()
            .map(|k| {
                let mut k = *k;
                if k.order.is_default() || only_blanks(&k.order) {
                    let (bs, be) = (k.order.blanks_start, k.order.blanks_end);
                    k.order = self.global;
                    k.order.blanks_start |= bs;
                    k.order.blanks_end |= be;
                }
                k
            })
            .collect()
    }
}

fn only_blanks(o: &Order) -> bool {
    Order {
        blanks_start: o.blanks_start,
        blanks_end: o.blanks_end,
        ..Order::default()
    } == *o
}

fn separator(v: &str) -> Result<u8, UsageError> {
    match v.as_bytes() {
        [b] => Ok(*b),
        b"\\0" => Ok(0),
        [] => Err(UsageError("empty tab".into())),
        _ => Err(UsageError(format!("multi-character tab '{v}'"))),
    }
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Byte offsets where each field starts: after a separator with `-t`, otherwise at the blank
/// run that precedes the next non-blank (GNU: leading blanks belong to the field).
fn field_starts(line: &[u8], sep: Option<u8>) -> Vec<usize> {
    let mut starts = vec![0];
    match sep {
        Some(s) => {
            for (i, &b) in line.iter().enumerate() {
                if b == s {
                    starts.push(i + 1);
                }
            }
        }
        None => {
            let mut i = 0;
            while i < line.len() {
                while i < line.len() && is_blank(line[i]) {
                    i += 1;
                }
                while i < line.len() && !is_blank(line[i]) {
                    i += 1;
                }
                if i < line.len() {
                    starts.push(i);
                }
            }
        }
    }
    starts
}

/// The bytes of `key` in `line`.
fn extract<'a>(line: &'a [u8], key: &Key, sep: Option<u8>) -> &'a [u8] {
    if key.start_field == 1 && key.start_char == 1 && key.end.is_none() && !key.order.blanks_start {
        return line;
    }
    let starts = field_starts(line, sep);
    let field_end = |f: usize| -> usize {
        match starts.get(f) {
            Some(&next) if sep.is_some() => next - 1,
            Some(&next) => next,
            None => line.len(),
        }
    };
    let skip_blanks = |mut at: usize, limit: usize| {
        while at < limit && is_blank(line[at]) {
            at += 1;
        }
        at
    };
    let begin = match starts.get(key.start_field - 1) {
        Some(&s) => {
            let end = field_end(key.start_field);
            let s = if key.order.blanks_start {
                skip_blanks(s, end)
            } else {
                s
            };
            (s + key.start_char - 1).min(line.len())
        }
        None => line.len(),
    };
    let finish = match key.end {
        None => line.len(),
        Some((f, c)) => match starts.get(f - 1) {
            Some(&s) => {
                let end = field_end(f);
                if c == 0 {
                    end
                } else {
                    let s = if key.order.blanks_end {
                        skip_blanks(s, end)
                    } else {
                        s
                    };
                    (s + c).min(end.max(s)).min(line.len())
                }
            }
            None => line.len(),
        },
    };
    if finish <= begin {
        &[]
    } else {
        &line[begin..finish]
    }
}

/// Splits a number as `sort -n` reads it: (negative, integer digits without leading zeros,
/// fraction digits without trailing zeros).
fn numeric_parts(s: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut i = 0;
    while i < s.len() && is_blank(s[i]) {
        i += 1;
    }
    let neg = s.get(i) == Some(&b'-');
    if neg {
        i += 1;
    }
    let int_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let mut int = &s[int_start..i];
    while int.first() == Some(&b'0') {
        int = &int[1..];
    }
    let mut frac: &[u8] = &[];
    if s.get(i) == Some(&b'.') {
        let f0 = i + 1;
        let mut j = f0;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        frac = &s[f0..j];
        while frac.last() == Some(&b'0') {
            frac = &frac[..frac.len() - 1];
        }
        i = j;
    }
    let _ = i;
    let zero = int.is_empty() && frac.is_empty();
    (neg && !zero, int, frac)
}

fn compare_numeric(a: &[u8], b: &[u8]) -> Ordering {
    let (na, ia, fa) = numeric_parts(a);
    let (nb, ib, fb) = numeric_parts(b);
    let magnitude = ia
        .len()
        .cmp(&ib.len())
        .then_with(|| ia.cmp(ib))
        .then_with(|| fa.cmp(fb));
    match (na, nb) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

/// `-h`: the suffix's power (none < K < M < …), then the number.
fn compare_human(a: &[u8], b: &[u8]) -> Ordering {
    fn power(s: &[u8]) -> (bool, usize) {
        let (neg, int, frac) = numeric_parts(s);
        let trimmed: Vec<u8> = s.iter().copied().skip_while(|b| is_blank(*b)).collect();
        let digits_len = trimmed
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b'.' || *b == b'-'))
            .unwrap_or(trimmed.len());
        let p = match trimmed.get(digits_len) {
            Some(b'k' | b'K') => 1,
            Some(b'M') => 2,
            Some(b'G') => 3,
            Some(b'T') => 4,
            Some(b'P') => 5,
            Some(b'E') => 6,
            Some(b'Z') => 7,
            Some(b'Y') => 8,
            _ => 0,
        };
        let zero = int.is_empty() && frac.is_empty();
        (neg, if zero { 0 } else { p })
    }
    let (na, pa) = power(a);
    let (nb, pb) = power(b);
    match (na, nb) {
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    let by_power = if na { pb.cmp(&pa) } else { pa.cmp(&pb) };
    by_power.then_with(|| compare_numeric(a, b))
}

fn general_value(s: &[u8]) -> Option<f64> {
    let text = String::from_utf8_lossy(s);
    let text = text.trim_start();
    // strtod reads hexadecimal too (`0x10` is 16).
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    if let Some(hex) = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
    {
        let digits: String = hex.chars().take_while(char::is_ascii_hexdigit).collect();
        if let Ok(v) = u64::from_str_radix(&digits, 16) {
            return Some(sign * v as f64);
        }
    }
    // The longest prefix that parses, as strtod reads it.
    let end = text
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .rev()
        .find(|&e| text[..e].parse::<f64>().is_ok())?;
    text[..end].parse().ok()
}

fn compare_general(a: &[u8], b: &[u8]) -> Ordering {
    // GNU: lines that are not numbers first, then NaN, then numbers in order.
    match (general_value(a), general_value(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => match (x.is_nan(), y.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        },
    }
}

fn month(s: &[u8]) -> usize {
    const MONTHS: [&[u8; 3]; 12] = [
        b"JAN", b"FEB", b"MAR", b"APR", b"MAY", b"JUN", b"JUL", b"AUG", b"SEP", b"OCT", b"NOV",
        b"DEC",
    ];
    let s: Vec<u8> = s
        .iter()
        .copied()
        .skip_while(|b| is_blank(*b))
        .take(3)
        .map(|b| b.to_ascii_uppercase())
        .collect();
    MONTHS
        .iter()
        .position(|m| m[..] == s[..])
        .map_or(0, |i| i + 1)
}

/// GNU's filevercmp, simplified: digit runs compare as numbers, other runs byte-wise with `~`
/// before everything and letters before other characters.
fn compare_version(a: &[u8], b: &[u8]) -> Ordering {
    fn weight(c: Option<&u8>) -> i32 {
        match c {
            None => 0,
            Some(b'~') => -1,
            Some(c) if c.is_ascii_digit() => 0,
            Some(c) if c.is_ascii_alphabetic() => i32::from(*c),
            Some(c) => i32::from(*c) + 256,
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (wa, wb) = (weight(a.get(i)), weight(b.get(j)));
            if wa != wb {
                return wa.cmp(&wb);
            }
            i += 1;
            j += 1;
        }
        let run = |s: &[u8], mut k: usize| {
            while k < s.len() && s[k] == b'0' {
                k += 1;
            }
            let st = k;
            while k < s.len() && s[k].is_ascii_digit() {
                k += 1;
            }
            (st, k)
        };
        let (sa, ea) = run(a, i);
        let (sb, eb) = run(b, j);
        let by = (ea - sa)
            .cmp(&(eb - sb))
            .then_with(|| a[sa..ea].cmp(&b[sb..eb]));
        if by != Ordering::Equal {
            return by;
        }
        i = ea;
        j = eb;
    }
    Ordering::Equal
}

fn text_filter(s: &[u8], o: &Order) -> Vec<u8> {
    s.iter()
        .copied()
        .filter(|&c| !o.dictionary || c.is_ascii_alphanumeric() || is_blank(c))
        .filter(|&c| !o.printable || (0x20..0x7f).contains(&c))
        .map(|c| if o.fold { c.to_ascii_uppercase() } else { c })
        .collect()
}

fn random_hash(s: &[u8], seed: u64) -> u64 {
    // FNV-1a over a per-run seed: equal keys land together, as GNU's -R promises.
    let mut h = 0xcbf2_9ce4_8422_2325 ^ seed;
    for &b in s {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

fn compare_key(a: &[u8], b: &[u8], o: &Order, seed: u64) -> Ordering {
    let ord = if o.random {
        random_hash(a, seed)
            .cmp(&random_hash(b, seed))
            .then_with(|| a.cmp(b))
    } else if o.numeric {
        compare_numeric(a, b)
    } else if o.human {
        compare_human(a, b)
    } else if o.general {
        compare_general(a, b)
    } else if o.month {
        month(a).cmp(&month(b))
    } else if o.version {
        compare_version(a, b)
    } else if o.dictionary || o.printable || o.fold {
        text_filter(a, o).cmp(&text_filter(b, o))
    } else {
        a.cmp(b)
    };
    if o.reverse {
        ord.reverse()
    } else {
        ord
    }
}

/// The comparison of two lines: keys in order, then (unless -s or -u) the whole line
/// byte-wise, reversed under a global -r.
pub struct Comparator {
    keys: Vec<Key>,
    sep: Option<u8>,
    last_resort: bool,
    reverse: bool,
    seed: u64,
}

impl Comparator {
    pub fn new(o: &Options) -> Comparator {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id());
        Comparator {
            keys: o.effective_keys(),
            sep: o.separator,
            last_resort: !o.stable && !o.unique,
            reverse: o.global.reverse,
            seed,
        }
    }

    /// By the keys alone (what -u calls equal).
    pub fn keys(&self, a: &[u8], b: &[u8]) -> Ordering {
        for k in &self.keys {
            let ord = compare_key(
                extract(a, k, self.sep),
                extract(b, k, self.sep),
                &k.order,
                self.seed,
            );
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }

    pub fn full(&self, a: &[u8], b: &[u8]) -> Ordering {
        self.keys(a, b).then_with(|| {
            if self.last_resort {
                let ord = a.cmp(b);
                if self.reverse {
                    ord.reverse()
                } else {
                    ord
                }
            } else {
                Ordering::Equal
            }
        })
    }
}

fn read_lines(name: &str, end: u8, into: &mut Vec<Vec<u8>>) -> Result<(), SortError> {
    let shown = || name.to_string();
    let reader: Box<dyn Read> = if name == "-" {
        Box::new(io::stdin().lock())
    } else {
        let f = File::open(name).map_err(|e| SortError::Read(shown(), io_reason(&e)))?;
        if f.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(SortError::Read(shown(), "Is a directory".into()));
        }
        Box::new(f)
    };
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    loop {
        let mut line = Vec::new();
        let n = reader
            .read_until(end, &mut line)
            .map_err(|e| SortError::Read(shown(), io_reason(&e)))?;
        if n == 0 {
            return Ok(());
        }
        if line.last() == Some(&end) {
            line.pop();
        }
        into.push(line);
    }
}

/// Writes `lines` to FILE through a temporary file beside it, renamed over it when complete
/// (FILE may be one of the inputs, which have all been read by now).
fn write_output(path: &str, lines: &[Vec<u8>], end: u8) -> Result<(), SortError> {
    let target = Path::new(path);
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let err = |e: io::Error| SortError::Write(path.to_string(), io_reason(&e));
    let tmp = tempfile_in(dir).map_err(err)?;
    let result = (|| {
        let mut w = BufWriter::new(File::create(&tmp)?);
        for l in lines {
            w.write_all(l)?;
            w.write_all(&[end])?;
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        if let Ok(m) = std::fs::metadata(target) {
            std::fs::set_permissions(&tmp, m.permissions())?;
        }
        std::fs::rename(&tmp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

fn tempfile_in(dir: &Path) -> io::Result<std::path::PathBuf> {
    for n in 0..1000u32 {
        let p = dir.join(format!(".sort{}.{n}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from_raw_os_error(libc::EEXIST))
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let rest: Vec<String> = crate::operands(&args);
    let o = Options::parse(&rest)?;
    let end = if o.zero { 0 } else { b'\n' };
    let cmp = Comparator::new(&o);
    if let Some(quiet) = o.check {
        if o.files.len() > 1 {
            return Err(UsageError(format!(
                "extra operand '{}' not allowed with -c",
                o.files[1]
            ))
            .into());
        }
        let mut lines = Vec::new();
        read_lines(&o.files[0], end, &mut lines)?;
        for (i, pair) in lines.windows(2).enumerate() {
            let ord = cmp.full(&pair[0], &pair[1]);
            if ord == Ordering::Greater || (o.unique && cmp.keys(&pair[0], &pair[1]).is_eq()) {
                if !quiet {
                    eprintln!(
                        "sort: {}:{}: disorder: {}",
                        o.files[0],
                        i + 2,
                        String::from_utf8_lossy(&pair[1])
                    );
                }
                return Ok(1);
            }
        }
        return Ok(0);
    }
    let mut lines = Vec::new();
    for f in &o.files {
        read_lines(f, end, &mut lines)?;
    }
    lines.sort_by(|a, b| cmp.full(a, b));
    if o.unique {
        lines.dedup_by(|later, earlier| cmp.keys(earlier, later).is_eq());
    }
    if let Some(path) = &o.output {
        write_output(path, &lines, end)?;
        return Ok(0);
    }
    let stdout = io::stdout();
    let mut w = BufWriter::with_capacity(64 * 1024, stdout.lock());
    for l in &lines {
        if w.write_all(l).and_then(|()| w.write_all(&[end])).is_err() {
            return Err(SortError::Write("write error".into(), "standard output".into()).into());
        }
    }
    w.flush()
        .map_err(|e| SortError::Write("standard output".into(), io_reason(&e)))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(args: &[&str], input: &str) -> String {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let o = Options::parse(&args).expect("options");
        let cmp = Comparator::new(&o);
        let mut lines: Vec<Vec<u8>> = input.lines().map(|l| l.as_bytes().to_vec()).collect();
        lines.sort_by(|a, b| cmp.full(a, b));
        if o.unique {
            lines.dedup_by(|later, earlier| cmp.keys(earlier, later).is_eq());
        }
        lines
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned() + "\n")
            .collect()
    }

    #[test]
    fn orders_like_gnu() {
        // Each expectation is GNU sort 9.1's output (LC_ALL=C) for the same input.
        let cases: &[(&[&str], &str, &str)] = &[
            (&[], "b\na\nB\n", "B\na\nb\n"),
            (&["-f"], "b\na\nB\n", "a\nB\nb\n"),
            (&["-n"], "10\n9\n-3\n2.5\n\nx\n", "-3\n\nx\n2.5\n9\n10\n"),
            (&["-rn"], "1\n3\n2\n", "3\n2\n1\n"),
            (&["-h"], "1G\n10K\n2M\n5\n", "5\n10K\n2M\n1G\n"),
            (&["-M"], "Mar\nfeb\nxxx\nJAN\n", "xxx\nJAN\nfeb\nMar\n"),
            (&["-V"], "a10\na2\na1.5\n", "a1.5\na2\na10\n"),
            (&["-g"], "1e3\n5\n-inf\nabc\n", "abc\n-inf\n5\n1e3\n"),
            (
                &["-t", ",", "-k", "2"],
                "b,x,3\na,z,10\nc,y,2\n",
                "b,x,3\nc,y,2\na,z,10\n",
            ),
            (
                &["-t", ",", "-k3n"],
                "b,x,3\na,z,10\nc,y,2\n",
                "c,y,2\nb,x,3\na,z,10\n",
            ),
            (
                &["-k", "2,2", "-k", "1r"],
                "a 1\nb 1\nc 0\n",
                "c 0\nb 1\na 1\n",
            ),
            (&["-u"], "a\nb\na\n", "a\nb\n"),
            (&["-u", "-k", "1,1"], "a 2\na 1\nb 3\n", "a 2\nb 3\n"),
            (&["-s", "-k", "1,1"], "a 2\na 1\n", "a 2\na 1\n"),
            (&["-k", "1.2"], "ab\nba\n", "ba\nab\n"),
            (&["-b", "-k", "2"], "x  b\ny a\n", "y a\nx  b\n"),
            (&["-k", "2"], "x  b\ny a\n", "x  b\ny a\n"),
            (&["-d"], "a-c\nab\n", "ab\na-c\n"),
        ];
        for (args, input, want) in cases {
            assert_eq!(sorted(args, input), *want, "sort {args:?} on {input:?}");
        }
    }

    #[test]
    fn key_definitions() {
        let k = Key::parse("2.3nr,4.1b").expect("key");
        assert_eq!((k.start_field, k.start_char, k.end), (2, 3, Some((4, 1))));
        assert!(k.order.numeric && k.order.reverse && k.order.blanks_end && !k.order.blanks_start);
        for bad in ["0", "1.0", "x", "1,y", "1q"] {
            assert!(Key::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_compare_as_numbers() {
        let cases = [
            ("10", "9", Ordering::Greater),
            ("-10", "-9", Ordering::Less),
            ("0.5", ".5", Ordering::Equal),
            ("-0", "0", Ordering::Equal),
            ("007", "7", Ordering::Equal),
            ("1.10", "1.9", Ordering::Less),
            ("  3", "20", Ordering::Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(
                compare_numeric(a.as_bytes(), b.as_bytes()),
                want,
                "{a} vs {b}"
            );
        }
    }
}
