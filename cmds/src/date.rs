//! `date`: print or set the system date and time. GNU coreutils date(1) subset.
//!
//! usage: date [-u] [-d STRING | -r FILE] [-R | -I[SPEC] | --rfc-3339=SPEC] [+FORMAT]
//!        date [-u] -s STRING | date [-u] MMDDhhmm[[CC]YY][.ss]
//!
//! Ours rather than uutils': uu_date (and uu_sort) link ICU4X's date-time data for every
//! locale, about a megabyte, for an image that only ever speaks the C locale. Time zones come
//! from musl's `localtime_r` (TZ, /etc/localtime); the formatting is GNU's strftime with its
//! `-_0^#` flags, widths, `%N` and `%:z`.

use std::ffi::OsString;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: date [-u] [-d STRING | -r FILE] [-R | -I[date|hours|minutes|seconds|ns] |
            --rfc-3339=date|seconds|ns] [+FORMAT]
       date [-u] -s STRING
       date [-u] MMDDhhmm[[CC]YY][.ss]
Print the time (now, or of -d STRING or of FILE's modification) in FORMAT (strftime %-codes,
with GNU's %N, %:z and the - _ 0 ^ # flags). STRING: @SECONDS, YYYY-MM-DD[ HH:MM[:SS]][Z|±hh:mm],
HH:MM[:SS], now, today, yesterday, tomorrow, and [+-]N second|minute|hour|day|week|month|year[s]
[ago]. -s and the MMDDhhmm operand set the system clock. -u: UTC.
";

#[derive(Debug, PartialEq, Eq)]
pub enum DateError {
    Usage(String),
    InvalidDate(String),
    File(String, String),
    Set(String),
    Zone,
}

impl std::fmt::Display for DateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DateError::Usage(m) => f.write_str(m),
            DateError::InvalidDate(s) => write!(f, "invalid date '{s}'"),
            DateError::File(p, r) => write!(f, "{p}: {r}"),
            DateError::Set(r) => write!(f, "cannot set date: {r}"),
            DateError::Zone => f.write_str("cannot convert the time to a calendar date"),
        }
    }
}

impl AppletError for DateError {
    fn exit_code(&self) -> i32 {
        1
    }
}

impl From<UsageError> for DateError {
    fn from(e: UsageError) -> Self {
        DateError::Usage(e.0)
    }
}

/// An instant: seconds since the epoch and nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instant {
    pub secs: i64,
    pub nanos: u32,
}

/// A broken-down time as `struct tm` has it, plus what GNU's formats need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tm {
    pub year: i64,
    /// 1–12.
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday.
    pub weekday: u32,
    /// 0-based day of the year.
    pub yday: u32,
    /// Seconds east of UTC.
    pub offset: i64,
    pub zone: String,
    pub nanos: u32,
    pub epoch: i64,
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// (year, month, day) of a day number since the epoch.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The broken-down time of `t` at a fixed `offset` east of UTC, named `zone`.
pub fn breakdown(t: Instant, offset: i64, zone: &str) -> Tm {
    let local = t.secs + offset;
    let days = local.div_euclid(86400);
    let rem = local.rem_euclid(86400);
    let (year, month, day) = civil_from_days(days);
    Tm {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        minute: (rem / 60 % 60) as u32,
        second: (rem % 60) as u32,
        weekday: (days + 4).rem_euclid(7) as u32,
        yday: (days - days_from_civil(year, 1, 1)) as u32,
        offset,
        zone: zone.to_string(),
        nanos: t.nanos,
        epoch: t.secs,
    }
}

/// Where a time zone comes from: UTC (`-u`), or the C library's local time (TZ, /etc/localtime).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    Utc,
    Local,
}

impl Zone {
    /// The broken-down time of `t` in this zone.
    pub fn tm(self, t: Instant) -> Result<Tm, DateError> {
        match self {
            Zone::Utc => Ok(breakdown(t, 0, "UTC")),
            Zone::Local => {
                let secs: libc::time_t = t.secs;
                // SAFETY: tm is plain data that localtime_r fills in; both pointers are valid
                // for the duration of the call.
                let mut tm: libc::tm = unsafe { std::mem::zeroed() };
                // SAFETY: as above.
                let ok = unsafe { !libc::localtime_r(&secs, &mut tm).is_null() };
                if !ok {
                    return Err(DateError::Zone);
                }
                let zone = if tm.tm_zone.is_null() {
                    String::from("UTC")
                } else {
                    // SAFETY: localtime_r set tm_zone to a NUL-terminated string that lives as
                    // long as the program (musl keeps zone names in static storage).
                    unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }
                        .to_string_lossy()
                        .into_owned()
                };
                Ok(breakdown(t, tm.tm_gmtoff, &zone))
            }
        }
    }

    /// The offset east of UTC in this zone at the wall-clock time `local` (seconds since the
    /// epoch as if the wall clock were UTC).
    fn offset_at_local(self, local: i64) -> Result<i64, DateError> {
        match self {
            Zone::Utc => Ok(0),
            Zone::Local => {
                // Two rounds find the offset in force at that wall time (DST edges aside).
                let first = self
                    .tm(Instant {
                        secs: local,
                        nanos: 0,
                    })?
                    .offset;
                Ok(self
                    .tm(Instant {
                        secs: local - first,
                        nanos: 0,
                    })?
                    .offset)
            }
        }
    }
}

/// Formats `tm` with a strftime FORMAT as GNU date does.
pub fn format(tm: &Tm, fmt: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        // Flags, width, then optional E/O modifiers and colons before the conversion.
        let mut pad: Option<char> = None;
        let mut upper = false;
        let mut swap = false;
        while i < chars.len() && matches!(chars[i], '-' | '_' | '0' | '^' | '#' | '+') {
            match chars[i] {
                '-' => pad = Some('\0'),
                '_' => pad = Some(' '),
                '0' | '+' => pad = Some('0'),
                '^' => upper = true,
                _ => swap = true,
            }
            i += 1;
        }
        let mut width: Option<usize> = None;
        while i < chars.len() && chars[i].is_ascii_digit() {
            width = Some(width.unwrap_or(0) * 10 + chars[i].to_digit(10).unwrap_or(0) as usize);
            i += 1;
        }
        while i < chars.len() && matches!(chars[i], 'E' | 'O') {
            i += 1;
        }
        let mut colons = 0;
        while i < chars.len() && chars[i] == ':' {
            colons += 1;
            i += 1;
        }
        let Some(&conv) = chars.get(i) else {
            out.push('%');
            break;
        };
        i += 1;
        let num = |v: i64, w: usize, default_pad: char| -> String {
            let p = pad.unwrap_or(default_pad);
            let w = width.unwrap_or(w);
            let digits = v.unsigned_abs().to_string();
            let sign = if v < 0 { "-" } else { "" };
            match p {
                '\0' => format!("{sign}{digits}"),
                ' ' => format!("{:>w$}", format!("{sign}{digits}"), w = w),
                _ => format!("{sign}{digits:0>w$}", w = w.saturating_sub(sign.len())),
            }
        };
        let text = |s: &str| -> String {
            let s = if upper {
                s.to_uppercase()
            } else if swap {
                if s.chars().any(|c| c.is_lowercase()) {
                    s.to_uppercase()
                } else {
                    s.to_lowercase()
                }
            } else {
                s.to_string()
            };
            match width {
                Some(w) if pad == Some('0') => format!("{s:0>w$}"),
                Some(w) => format!("{s:>w$}"),
                None => s,
            }
        };
        let hour12 = if tm.hour.is_multiple_of(12) {
            12
        } else {
            tm.hour % 12
        };
        let (iso_year, iso_week) = iso_week(tm);
        let piece = match conv {
            'a' => text(&DAYS[tm.weekday as usize][..3]),
            'A' => text(DAYS[tm.weekday as usize]),
            'b' | 'h' => text(&MONTHS[tm.month as usize - 1][..3]),
            'B' => text(MONTHS[tm.month as usize - 1]),
            'c' => text(&format(tm, "%a %b %e %H:%M:%S %Y")),
            'C' => num(tm.year.div_euclid(100), 2, '0'),
            'd' => num(tm.day.into(), 2, '0'),
            'D' => text(&format(tm, "%m/%d/%y")),
            'e' => num(tm.day.into(), 2, ' '),
            'F' => text(&format(tm, "%Y-%m-%d")),
            'g' => num(iso_year.rem_euclid(100), 2, '0'),
            'G' => num(iso_year, 4, '0'),
            'H' => num(tm.hour.into(), 2, '0'),
            'I' => num(hour12.into(), 2, '0'),
            'j' => num(i64::from(tm.yday) + 1, 3, '0'),
            'k' => num(tm.hour.into(), 2, ' '),
            'l' => num(hour12.into(), 2, ' '),
            'm' => num(tm.month.into(), 2, '0'),
            'M' => num(tm.minute.into(), 2, '0'),
            'n' => "\n".into(),
            'N' => {
                let digits = format!("{:09}", tm.nanos);
                let w = width.unwrap_or(9).min(9);
                digits[..w].to_string()
            }
            'p' => text(if tm.hour < 12 { "AM" } else { "PM" }),
            'P' => text(if tm.hour < 12 { "am" } else { "pm" }),
            'r' => text(&format(tm, "%I:%M:%S %p")),
            'R' => text(&format(tm, "%H:%M")),
            's' => num(tm.epoch, 1, '0'),
            'S' => num(tm.second.into(), 2, '0'),
            't' => "\t".into(),
            'T' => text(&format(tm, "%H:%M:%S")),
            'u' => num(
                if tm.weekday == 0 {
                    7
                } else {
                    tm.weekday.into()
                },
                1,
                '0',
            ),
            'U' => num(((tm.yday + 7 - tm.weekday) / 7).into(), 2, '0'),
            'V' => num(iso_week.into(), 2, '0'),
            'w' => num(tm.weekday.into(), 1, '0'),
            'W' => num(((tm.yday + 7 - (tm.weekday + 6) % 7) / 7).into(), 2, '0'),
            'x' => text(&format(tm, "%m/%d/%y")),
            'X' => text(&format(tm, "%H:%M:%S")),
            'y' => num(tm.year.rem_euclid(100), 2, '0'),
            'Y' => num(tm.year, 1, '0'),
            'z' => {
                let sign = if tm.offset < 0 { '-' } else { '+' };
                let o = tm.offset.unsigned_abs();
                let (h, m, s) = (o / 3600, o / 60 % 60, o % 60);
                match colons {
                    0 => format!("{sign}{h:02}{m:02}"),
                    1 => format!("{sign}{h:02}:{m:02}"),
                    _ => format!("{sign}{h:02}:{m:02}:{s:02}"),
                }
            }
            'Z' => text(&tm.zone),
            '%' => "%".into(),
            other => format!("%{other}"),
        };
        out.push_str(&piece);
    }
    out
}

/// ISO 8601 week-numbering year and week of `tm`.
fn iso_week(tm: &Tm) -> (i64, u32) {
    let wday = (i64::from(tm.weekday) + 6) % 7; // Monday = 0
    let yday = i64::from(tm.yday);
    let week = (yday - wday + 10) / 7;
    if week < 1 {
        let prev = tm.year - 1;
        let prev_days = if is_leap(prev) { 366 } else { 365 };
        let w = (yday + prev_days - wday + 10) / 7;
        return (prev, w as u32);
    }
    let days = if is_leap(tm.year) { 366 } else { 365 };
    if week == 53 && yday - wday + 3 >= days {
        return (tm.year + 1, 1);
    }
    (tm.year, week as u32)
}

/// Parses a `-d`/`-s` STRING relative to `now` in `zone`.
pub fn parse_date(s: &str, now: Instant, zone: Zone) -> Result<Instant, DateError> {
    let bad = || DateError::InvalidDate(s.to_string());
    let text = s.trim();
    if let Some(epoch) = text.strip_prefix('@') {
        let (secs, nanos) = match epoch.split_once('.') {
            Some((a, b)) => {
                let digits: String = format!("{b:0<9}").chars().take(9).collect();
                (a, digits.parse::<u32>().map_err(|_| bad())?)
            }
            None => (epoch, 0),
        };
        let secs = secs.trim().parse::<i64>().map_err(|_| bad())?;
        return Ok(Instant { secs, nanos });
    }
    let lower = text.to_ascii_lowercase();
    let mut words: Vec<&str> = lower.split_whitespace().collect();
    let now_tm = zone.tm(now)?;
    // Calendar date and time of day, defaulting to today and (when a date is given) midnight.
    let (mut y, mut mo, mut d) = (now_tm.year, now_tm.month, now_tm.day);
    let mut time: Option<Hmsn> = None;
    let mut explicit_offset: Option<i64> = None;
    let mut dated = false;
    let mut delta_secs: i64 = 0;
    let mut delta_months: i64 = 0;
    let mut i = 0;
    while i < words.len() {
        let w = words[i].to_string();
        if let Some((date, rest)) = split_iso(&w) {
            (y, mo, d) = date;
            dated = true;
            if let Some(rest) = rest {
                let (t, off) = parse_time(rest).ok_or_else(bad)?;
                time = Some(t);
                explicit_offset = off.or(explicit_offset);
            }
            i += 1;
            continue;
        }
        if w.contains(':') {
            let (t, off) = parse_time(&w).ok_or_else(bad)?;
            time = Some(t);
            explicit_offset = off.or(explicit_offset);
            i += 1;
            continue;
        }
        match w.as_str() {
            "now" => {
                i += 1;
                continue;
            }
            "today" => {
                dated = true;
                i += 1;
                continue;
            }
            "yesterday" => {
                dated = true;
                delta_secs -= 86400;
                i += 1;
                continue;
            }
            "tomorrow" => {
                dated = true;
                delta_secs += 86400;
                i += 1;
                continue;
            }
            "utc" | "z" | "gmt" => {
                explicit_offset = Some(0);
                i += 1;
                continue;
            }
            "ago" => {
                delta_secs = -delta_secs;
                delta_months = -delta_months;
                i += 1;
                continue;
            }
            _ => {}
        }
        // [+-]N unit, or a bare unit meaning 1.
        let (n, unit) = match w.parse::<i64>() {
            Ok(n) => {
                i += 1;
                (n, words.get(i).map(|u| u.to_string()).ok_or_else(bad)?)
            }
            Err(_) => match w.find(|c: char| c.is_ascii_alphabetic()) {
                Some(at) if at > 0 => (
                    w[..at].parse::<i64>().map_err(|_| bad())?,
                    w[at..].to_string(),
                ),
                _ => (1, w.clone()),
            },
        };
        let unit = unit.strip_suffix('s').unwrap_or(&unit).to_string();
        match unit.as_str() {
            "sec" | "second" => delta_secs += n,
            "min" | "minute" => delta_secs += n * 60,
            "hour" => delta_secs += n * 3600,
            "day" => delta_secs += n * 86400,
            "week" => delta_secs += n * 7 * 86400,
            "fortnight" => delta_secs += n * 14 * 86400,
            "month" => delta_months += n,
            "year" => delta_months += n * 12,
            _ => return Err(bad()),
        }
        i += 1;
        // "2 days ago": `ago` applies to what came before it, handled above.
        if words.get(i) == Some(&"ago") {
            delta_secs = -delta_secs;
            delta_months = -delta_months;
            words.remove(i);
        }
    }
    let (h, mi, sec, nanos) = match time {
        Some(t) => t,
        None if dated => (0, 0, 0, 0),
        None => (now_tm.hour, now_tm.minute, now_tm.second, now.nanos),
    };
    if delta_months != 0 {
        let total = y * 12 + i64::from(mo) - 1 + delta_months;
        y = total.div_euclid(12);
        mo = (total.rem_euclid(12) + 1) as u32;
    }
    if !(1..=12).contains(&mo) || d == 0 || d > 31 || h > 24 || mi > 59 || sec > 60 {
        return Err(bad());
    }
    let local = days_from_civil(y, mo, d) * 86400
        + i64::from(h) * 3600
        + i64::from(mi) * 60
        + i64::from(sec);
    let offset = match explicit_offset {
        Some(o) => o,
        None => zone.offset_at_local(local)?,
    };
    Ok(Instant {
        secs: local - offset + delta_secs,
        nanos,
    })
}

/// A calendar date: (year, month, day).
type Ymd = (i64, u32, u32);
/// A time of day: (hour, minute, second, nanoseconds).
type Hmsn = (u32, u32, u32, u32);

/// `YYYY-MM-DD` at the start of a word, and what follows a `T` after it.
fn split_iso(w: &str) -> Option<(Ymd, Option<&str>)> {
    let (date, rest) = match w.find('t') {
        Some(at) => (&w[..at], Some(&w[at + 1..])),
        None => (w, None),
    };
    let mut parts = date.splitn(3, '-');
    let y = parts.next()?;
    let m = parts.next()?;
    let d = parts.next()?;
    if y.len() < 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(((y.parse().ok()?, m.parse().ok()?, d.parse().ok()?), rest))
}

/// `HH:MM[:SS[.frac]][Z|±hh[:mm]]` → ((h, m, s, nanos), offset).
fn parse_time(w: &str) -> Option<(Hmsn, Option<i64>)> {
    let (clock, offset) = if let Some(c) = w.strip_suffix('z') {
        (c, Some(0))
    } else if let Some(at) = w.rfind(['+', '-']) {
        let (c, o) = w.split_at(at);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let digits: String = o[1..].chars().filter(char::is_ascii_digit).collect();
        let (hh, mm) = match digits.len() {
            1 | 2 => (digits.parse::<i64>().ok()?, 0),
            4 => (
                digits[..2].parse::<i64>().ok()?,
                digits[2..].parse::<i64>().ok()?,
            ),
            _ => return None,
        };
        (c, Some(sign * (hh * 3600 + mm * 60)))
    } else {
        (w, None)
    };
    let mut parts = clock.split(':');
    let h = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let (s, nanos) = match parts.next() {
        Some(sec) => match sec.split_once(['.', ',']) {
            Some((s, f)) => {
                let digits: String = format!("{f:0<9}").chars().take(9).collect();
                (s.parse().ok()?, digits.parse().ok()?)
            }
            None => (sec.parse().ok()?, 0),
        },
        None => (0, 0),
    };
    if parts.next().is_some() {
        return None;
    }
    Some(((h, m, s, nanos), offset))
}

/// The POSIX `MMDDhhmm[[CC]YY][.ss]` operand of `date` that sets the clock.
fn parse_posix_set(s: &str, now: Instant, zone: Zone) -> Result<Instant, DateError> {
    let bad = || DateError::InvalidDate(s.to_string());
    let (main, secs) = match s.split_once('.') {
        Some((m, sec)) => (m, sec.parse::<u32>().map_err(|_| bad())?),
        None => (s, 0),
    };
    if !main.bytes().all(|b| b.is_ascii_digit()) || ![8, 10, 12].contains(&main.len()) {
        return Err(bad());
    }
    let field = |at: usize| main[at..at + 2].parse::<u32>().map_err(|_| bad());
    let now_tm = zone.tm(now)?;
    let year = match main.len() {
        12 => main[8..12].parse::<i64>().map_err(|_| bad())?,
        10 => {
            let yy = i64::from(field(8)?);
            if yy < 69 {
                2000 + yy
            } else {
                1900 + yy
            }
        }
        _ => now_tm.year,
    };
    let text = format!(
        "{year:04}-{:02}-{:02} {:02}:{:02}:{secs:02}",
        field(0)?,
        field(2)?,
        field(4)?,
        field(6)?
    );
    parse_date(&text, now, zone)
}

#[derive(Debug, PartialEq, Eq)]
enum Source {
    Now,
    Date(String),
    File(String),
}

#[derive(Debug, PartialEq, Eq)]
struct Options {
    zone: Zone,
    source: Source,
    set: Option<String>,
    format: Option<String>,
}

fn iso_format(spec: &str) -> Option<&'static str> {
    Some(match spec {
        "" | "date" => "%Y-%m-%d",
        "hours" => "%Y-%m-%dT%H%:z",
        "minutes" => "%Y-%m-%dT%H:%M%:z",
        "seconds" => "%Y-%m-%dT%H:%M:%S%:z",
        "ns" => "%Y-%m-%dT%H:%M:%S,%N%:z",
        _ => return None,
    })
}

fn rfc3339_format(spec: &str) -> Option<&'static str> {
    Some(match spec {
        "date" => "%Y-%m-%d",
        "seconds" => "%Y-%m-%d %H:%M:%S%:z",
        "ns" => "%Y-%m-%d %H:%M:%S.%N%:z",
        _ => return None,
    })
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, UsageError> {
        let mut o = Options {
            zone: Zone::Local,
            source: Source::Now,
            set: None,
            format: None,
        };
        let mut it = args.iter();
        let need = |it: &mut std::slice::Iter<String>, opt: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| UsageError(format!("option requires an argument -- '{opt}'")))
        };
        let mut operands = Vec::new();
        while let Some(a) = it.next() {
            if let Some(f) = a.strip_prefix('+') {
                if o.format.is_some() {
                    return Err(UsageError(format!("extra operand '{a}'")));
                }
                o.format = Some(f.to_string());
                continue;
            }
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
                _ => (a.as_str(), None),
            };
            match name {
                "-u" | "--utc" | "--universal" => o.zone = Zone::Utc,
                "-d" | "--date" => {
                    o.source = Source::Date(match inline {
                        Some(v) => v,
                        None => need(&mut it, "d")?,
                    })
                }
                "-r" | "--reference" => {
                    o.source = Source::File(match inline {
                        Some(v) => v,
                        None => need(&mut it, "r")?,
                    })
                }
                "-s" | "--set" => {
                    o.set = Some(match inline {
                        Some(v) => v,
                        None => need(&mut it, "s")?,
                    })
                }
                "-R" | "--rfc-email" | "--rfc-2822" => {
                    o.format = Some("%a, %d %b %Y %H:%M:%S %z".into())
                }
                "--rfc-3339" => {
                    let spec = inline.unwrap_or_default();
                    let f = rfc3339_format(&spec).ok_or_else(|| {
                        UsageError(format!("invalid argument '{spec}' for '--rfc-3339'"))
                    })?;
                    o.format = Some(f.into());
                }
                "--iso-8601" => {
                    let spec = inline.unwrap_or_default();
                    o.format = Some(
                        iso_format(&spec)
                            .ok_or_else(|| {
                                UsageError(format!("invalid argument '{spec}' for '--iso-8601'"))
                            })?
                            .into(),
                    );
                }
                _ if a.starts_with("-I") => {
                    let spec = &a[2..];
                    o.format = Some(
                        iso_format(spec)
                            .ok_or_else(|| {
                                UsageError(format!("invalid argument '{spec}' for '--iso-8601'"))
                            })?
                            .into(),
                    );
                }
                _ if a.starts_with("-d") && a.len() > 2 => o.source = Source::Date(a[2..].into()),
                _ if a.starts_with('-') && a.len() > 1 => {
                    return Err(UsageError(format!("invalid option -- '{}'", &a[1..])))
                }
                _ => operands.push(a.clone()),
            }
        }
        match operands.as_slice() {
            [] => {}
            [set] if o.set.is_none() && o.source == Source::Now => {
                o.set = Some(format!("\0posix:{set}"));
            }
            [_, extra, ..] | [extra] => {
                return Err(UsageError(format!("extra operand '{extra}'")));
            }
        }
        Ok(o)
    }
}

fn now() -> Instant {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    Instant {
        secs: d.as_secs() as i64,
        nanos: d.subsec_nanos(),
    }
}

fn set_clock(t: Instant) -> Result<(), DateError> {
    let ts = libc::timespec {
        tv_sec: t.secs,
        tv_nsec: i64::from(t.nanos),
    };
    // SAFETY: clock_settime reads the timespec we pass; no memory is retained.
    let rc = unsafe { libc::clock_settime(libc::CLOCK_REALTIME, &ts) };
    if rc != 0 {
        return Err(DateError::Set(io_reason(&std::io::Error::last_os_error())));
    }
    Ok(())
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let rest: Vec<String> = crate::operands(&args);
    let o = Options::parse(&rest)?;
    let now = now();
    let when = if let Some(set) = &o.set {
        let t = match set.strip_prefix("\0posix:") {
            Some(posix) => parse_posix_set(posix, now, o.zone)?,
            None => parse_date(set, now, o.zone)?,
        };
        set_clock(t)?;
        t
    } else {
        match &o.source {
            Source::Now => now,
            Source::Date(s) => parse_date(s, now, o.zone)?,
            Source::File(p) => {
                let m =
                    std::fs::metadata(p).map_err(|e| DateError::File(p.clone(), io_reason(&e)))?;
                use std::os::unix::fs::MetadataExt;
                Instant {
                    secs: m.mtime(),
                    nanos: m.mtime_nsec() as u32,
                }
            }
        }
    };
    let tm = o.zone.tm(when)?;
    let fmt = o.format.as_deref().unwrap_or("%a %b %e %H:%M:%S %Z %Y");
    println!("{}", format(&tm, fmt));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(secs: i64) -> Tm {
        breakdown(Instant { secs, nanos: 0 }, 0, "UTC")
    }

    #[test]
    fn formats_like_gnu() {
        // GNU date -u -d @1700000000 with each format.
        let tm = utc(1_700_000_000);
        let cases = [
            ("%a %A %b %B", "Tue Tuesday Nov November"),
            ("%c", "Tue Nov 14 22:13:20 2023"),
            ("%C %d %D %e %F", "20 14 11/14/23 14 2023-11-14"),
            ("%g %G %h %H %I %j", "23 2023 Nov 22 10 318"),
            ("%k %l %m %M %N %p %P", "22 10 11 13 000000000 PM pm"),
            ("%r %R %s %S %T", "10:13:20 PM 22:13 1700000000 20 22:13:20"),
            ("%u %U %V %w %W", "2 46 46 2 46"),
            ("%x %X %y %Y", "11/14/23 22:13:20 23 2023"),
            ("%z %:z %::z %Z %%", "+0000 +00:00 +00:00:00 UTC %"),
            ("%-d %_m %05Y %^a %#b", "14 11 02023 TUE NOV"),
            ("%a %b %e %H:%M:%S %Z %Y", "Tue Nov 14 22:13:20 UTC 2023"),
        ];
        for (f, want) in cases {
            assert_eq!(format(&tm, f), want, "{f}");
        }
        assert_eq!(
            format(&utc(0), "%a %F %T %j %U %V %G"),
            "Thu 1970-01-01 00:00:00 001 00 01 1970"
        );
        // ISO weeks at year edges: 2021-01-03 is in week 53 of 2020; 2024-12-30 in week 1 of 2025.
        assert_eq!(format(&utc(1_609_632_000), "%G-%V"), "2020-53");
        assert_eq!(format(&utc(1_735_516_800), "%G-%V"), "2025-01");
    }

    #[test]
    fn civil_round_trip() {
        for days in [-719468, -1, 0, 1, 59, 365, 10957, 19675, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(19675), (2023, 11, 14));
    }

    #[test]
    fn parses_date_strings() {
        let now = Instant {
            secs: 1_700_000_000,
            nanos: 5,
        };
        let cases = [
            ("@0", 0),
            ("@86400", 86400),
            ("1970-01-02", 86400),
            ("1970-01-02 00:00:10", 86410),
            ("1970-01-02T01:00:00Z", 90000),
            ("1970-01-02T01:00:00+01:00", 86400),
            ("2023-11-14 22:13:20", 1_700_000_000),
            ("now", 1_700_000_000),
            ("today", 1_699_920_000),
            ("yesterday", 1_699_833_600),
            ("tomorrow", 1_700_006_400),
            ("+1 day", 1_700_086_400),
            ("2 hours ago", 1_699_992_800),
            ("-30 minutes", 1_699_998_200),
            ("1 month ago", 1_697_321_600),
            ("00:00", 1_699_920_000),
            ("1970-01-01 +2 days", 172_800),
        ];
        for (s, want) in cases {
            let got = parse_date(s, now, Zone::Utc).map(|i| i.secs);
            assert_eq!(got, Ok(want), "{s}");
        }
        for bad in ["", "garbage", "2023-13-01", "1 fortnightly", "25:99"] {
            assert!(
                parse_date(bad, now, Zone::Utc).is_err() || bad.is_empty(),
                "{bad}"
            );
        }
        assert_eq!(
            parse_posix_set("111422132023.20", now, Zone::Utc).map(|i| i.secs),
            Ok(1_700_000_000)
        );
    }

    #[test]
    fn options_table() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let o = Options::parse(&s(&["-u", "-d", "@0", "+%s"])).unwrap();
        assert_eq!(
            (o.zone, o.source, o.format),
            (Zone::Utc, Source::Date("@0".into()), Some("%s".into()))
        );
        let o = Options::parse(&s(&["-Iseconds"])).unwrap();
        assert_eq!(o.format.as_deref(), Some("%Y-%m-%dT%H:%M:%S%:z"));
        let o = Options::parse(&s(&["--rfc-3339=ns"])).unwrap();
        assert_eq!(o.format.as_deref(), Some("%Y-%m-%d %H:%M:%S.%N%:z"));
        let o = Options::parse(&s(&["11142213"])).unwrap();
        assert_eq!(o.set.as_deref(), Some("\0posix:11142213"));
        for bad in [
            &["-x"][..],
            &["-d"],
            &["+%s", "+%s"],
            &["-Ifoo"],
            &["a", "b"],
        ] {
            assert!(Options::parse(&s(bad)).is_err(), "{bad:?}");
        }
    }
}
