//! `free`: the amount of free and used memory, from /proc/meminfo. procps-ng 4 free(1) subset.
//!
//! usage: free [-b|-k|-m|-g|--kilo|--mega|--giga|--tera|--tebi] [-h] [--si] [-t] [-w] [-s N] [-c N]
//!
//! The layout and arithmetic are procps-ng 4.0's: used = total - available, buff/cache =
//! Buffers + Cached + SReclaimable, a 9-wide label and 11-wide columns, `-h` scaled to at most
//! 4 characters plus `i`. As procps, bad arguments exit 1.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use crate::error::{io_reason, AppletResult, Failure};
use crate::procinfo::{read_meminfo, MemInfo};

pub const USAGE: &str = "\
usage: free [-b|-k|-m|-g|--kilo|--mega|--giga|--tera] [-h] [--si] [-t] [-w] [-s N] [-c N]
Show total, used and free memory and swap (KiB by default).
  -b, -k, -m, -g  bytes, KiB, MiB, GiB (--kilo --mega --giga --tera: powers of 1000)
  -h  human-readable      --si  powers of 1000      -t  a Total: line
  -w  buffers and cache in separate columns
  -s N  repeat every N seconds     -c N  repeat N times
";

#[derive(Debug, PartialEq)]
pub struct Options {
    /// 0: the default (KiB), 1: bytes, 2: kilo, 3: mega… (procps's `exponent`).
    exponent: u32,
    si: bool,
    human: bool,
    total: bool,
    wide: bool,
    seconds: Option<f64>,
    count: Option<u64>,
}

fn usage(message: String) -> Failure {
    Failure { message, code: 1 }
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, Failure> {
        let mut o = Options {
            exponent: 0,
            si: false,
            human: false,
            total: false,
            wide: false,
            seconds: None,
            count: None,
        };
        let args: Vec<String> = crate::operands(&args);
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
                _ => (arg.as_str(), None),
            };
            // Short options may be bundled (`-mt`); -s and -c take the rest or the next word.
            let shorts: Vec<char> = match name.strip_prefix('-') {
                Some(s) if !s.starts_with('-') && !s.is_empty() => s.chars().collect(),
                _ => Vec::new(),
            };
            let mut value = |inline: Option<String>, what: &str| {
                inline
                    .or_else(|| it.next().cloned())
                    .ok_or_else(|| usage(format!("option {what} requires an argument")))
            };
            match name {
                "--bytes" => o.exponent = 1,
                "--kibi" => (o.exponent, o.si) = (2, false),
                "--mebi" => (o.exponent, o.si) = (3, false),
                "--gibi" => (o.exponent, o.si) = (4, false),
                "--tebi" => (o.exponent, o.si) = (5, false),
                "--pebi" => (o.exponent, o.si) = (6, false),
                "--kilo" => (o.exponent, o.si) = (2, true),
                "--mega" => (o.exponent, o.si) = (3, true),
                "--giga" => (o.exponent, o.si) = (4, true),
                "--tera" => (o.exponent, o.si) = (5, true),
                "--peta" => (o.exponent, o.si) = (6, true),
                "--human" => o.human = true,
                "--si" => o.si = true,
                "--total" => o.total = true,
                "--wide" => o.wide = true,
                "--seconds" => o.seconds = Some(seconds(&value(inline, "--seconds")?)?),
                "--count" => o.count = Some(count(&value(inline, "--count")?)?),
                _ if !shorts.is_empty() => {
                    for (i, c) in shorts.iter().enumerate() {
                        match c {
                            'b' => o.exponent = 1,
                            'k' => o.exponent = 2,
                            'm' => o.exponent = 3,
                            'g' => o.exponent = 4,
                            'h' => o.human = true,
                            't' => o.total = true,
                            'w' => o.wide = true,
                            's' | 'c' => {
                                let rest: String = shorts[i + 1..].iter().collect();
                                let v =
                                    value((!rest.is_empty()).then_some(rest), &format!("-{c}"))?;
                                if *c == 's' {
                                    o.seconds = Some(seconds(&v)?);
                                } else {
                                    o.count = Some(count(&v)?);
                                }
                                break;
                            }
                            _ => return Err(usage(format!("invalid option -- '{c}'"))),
                        }
                    }
                }
                _ => return Err(usage(format!("unrecognized option '{arg}'"))),
            }
        }
        Ok(o)
    }
}

fn seconds(v: &str) -> Result<f64, Failure> {
    match v.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() => Ok(s),
        Ok(_) => Err(usage(format!(
            "seconds argument `{v}' is not positive number"
        ))),
        Err(_) => Err(usage(format!(
            "seconds argument failed: '{v}': Invalid argument"
        ))),
    }
}

fn count(v: &str) -> Result<u64, Failure> {
    match v.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(usage(format!(
            "count argument `{v}' is not positive number"
        ))),
    }
}

/// One figure (KiB in) as procps's scale_size prints it.
fn scale(kib: u64, o: &Options) -> String {
    let base: f64 = if o.si { 1000.0 } else { 1024.0 };
    let bytes = kib as f64 * 1024.0;
    if !o.human {
        return match o.exponent {
            0 => ((bytes / base) as u64).to_string(),
            1 => (kib * 1024).to_string(),
            e => ((bytes / base.powi(e as i32 - 1)) as u64).to_string(),
        };
    }
    let b = format!("{}B", kib * 1024);
    if b.len() <= 4 {
        return b;
    }
    let (limit, suffix) = if o.si { (4, "") } else { (5, "i") };
    let mut last = b;
    for (i, unit) in ["K", "M", "G", "T", "P"].iter().enumerate() {
        let v = bytes / base.powi(i as i32 + 1);
        // procps converts to float before printing.
        let text = format!("{:.1}{unit}{suffix}", v as f32);
        if text.len() <= limit {
            return text;
        }
        last = format!("{}{unit}{suffix}", v as u64);
        if last.len() <= limit {
            return last;
        }
    }
    last
}

/// The report: header, Mem:, Swap: and with -t Total:.
pub fn render(m: &MemInfo, o: &Options) -> String {
    let mut s = String::new();
    let heads: &[&str] = if o.wide {
        &[
            "total",
            "used",
            "free",
            "shared",
            "buffers",
            "cache",
            "available",
        ]
    } else {
        &["total", "used", "free", "shared", "buff/cache", "available"]
    };
    let row = |s: &mut String, label: &str, cells: &[String]| {
        s.push_str(&format!("{label:<9}"));
        for (i, c) in cells.iter().enumerate() {
            if i == 0 {
                s.push_str(&format!("{c:>11}"));
            } else {
                s.push_str(&format!(" {c:>11}"));
            }
        }
        s.push('\n');
    };
    let heads: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    row(&mut s, "", &heads);
    let f = |v: u64| scale(v, o);
    let mut mem = vec![f(m.total), f(m.used()), f(m.free), f(m.shared)];
    if o.wide {
        mem.extend([f(m.buffers), f(m.cache)]);
    } else {
        mem.push(f(m.buffers + m.cache));
    }
    mem.push(f(m.available));
    row(&mut s, "Mem:", &mem);
    row(
        &mut s,
        "Swap:",
        &[f(m.swap_total), f(m.swap_used()), f(m.swap_free)],
    );
    if o.total {
        row(
            &mut s,
            "Total:",
            &[
                f(m.total + m.swap_total),
                f(m.used() + m.swap_used()),
                f(m.free + m.swap_free),
            ],
        );
    }
    s
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    let root = Path::new("/");
    // -c alone repeats every second; -s alone repeats forever.
    let repeat = o.seconds.is_some() || o.count.is_some();
    let interval = Duration::from_secs_f64(o.seconds.unwrap_or(1.0));
    let mut round = 0u64;
    loop {
        let m = read_meminfo(root)?;
        let mut text = render(&m, &o);
        if repeat {
            text.push('\n');
        }
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Failure {
                message: format!("write error: {}", io_reason(&e)),
                code: 1,
            })?;
        round += 1;
        if !repeat || o.count.is_some_and(|c| round >= c) {
            return Ok(0);
        }
        std::thread::sleep(interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procinfo::parse_meminfo;

    fn args(s: &str) -> Vec<OsString> {
        std::iter::once("free")
            .chain(s.split_whitespace())
            .map(OsString::from)
            .collect()
    }

    // This machine's /proc/meminfo (Debian 12, 24 GiB, no swap), cut to the fields free reads.
    const MEMINFO: &str = "MemTotal:       24684084 kB\nMemFree:        20818328 kB\n\
        MemAvailable:   23193524 kB\nBuffers:           13592 kB\nCached:          2503384 kB\n\
        SwapCached:            0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n\
        Shmem:              8872 kB\nSReclaimable:     170224 kB\n";

    #[test]
    fn reports_like_procps_4() {
        let m = parse_meminfo(MEMINFO);
        let render_args = |line: &str| render(&m, &Options::parse(args(line)).expect("parse"));
        // Outputs of /usr/bin/free (procps-ng 4.0.2) fed the same figures.
        let cases = [
            (
                "",
                "               total        used        free      shared  buff/cache   available\n\
                 Mem:        24684084     1490560    20818328        8872     2687200    23193524\n\
                 Swap:              0           0           0\n",
            ),
            (
                "-m",
                "               total        used        free      shared  buff/cache   available\n\
                 Mem:           24105        1455       20330           8        2624       22649\n\
                 Swap:              0           0           0\n",
            ),
            (
                "-h -t -w",
                "               total        used        free      shared     buffers       cache   available\n\
                 Mem:            23Gi       1.4Gi        19Gi       8.7Mi        13Mi       2.5Gi        22Gi\n\
                 Swap:             0B          0B          0B\n\
                 Total:          23Gi       1.4Gi        19Gi\n",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(render_args(line), want, "{line}");
        }
        let b = render_args("-b");
        assert!(b.contains("Mem:     25276502016  1526333440"), "{b}");
        assert!(render_args("--si -h").contains("Mem:             25G        1.5G"));
        assert!(render_args("-g").contains("Mem:              23           1"));
    }

    #[test]
    fn parse_table() {
        let o = Options::parse(args("-mt -s 0.5 -c3")).expect("parse");
        assert_eq!(
            (o.exponent, o.total, o.seconds, o.count),
            (3, true, Some(0.5), Some(3))
        );
        let o = Options::parse(args("--mega --seconds=2")).expect("parse");
        assert_eq!((o.exponent, o.si, o.seconds), (3, true, Some(2.0)));
        let errors = [
            ("-x", "invalid option -- 'x'"),
            ("--bogus", "unrecognized option '--bogus'"),
            ("-s 0", "seconds argument `0' is not positive number"),
            ("-s abc", "seconds argument failed: 'abc': Invalid argument"),
            ("-c", "option -c requires an argument"),
        ];
        for (line, want) in errors {
            let e = Options::parse(args(line)).expect_err(line);
            assert_eq!((e.message.as_str(), e.code), (want, 1), "{line}");
        }
    }
}
