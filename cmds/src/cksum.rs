//! `cksum` and `sum`: the POSIX CRC and the BSD/System V 16-bit checksums, as GNU coreutils
//! prints them; `cksum -a DIGEST` computes the digests of `md5sum` and friends (GNU 9).
//!
//! usage: cksum [-a crc|sysv|bsd|md5|sha1|sha224|sha256|sha384|sha512|blake2b] [-l BITS]
//!              [--untagged] [-c] [FILE...]
//!        sum [-r|-s] [FILE...]

use std::ffi::OsString;
use std::io::{self, Read, Write};

use crate::error::{io_reason, AppletResult, UsageError};
use crate::hashsum::{self, Algorithm};

pub const USAGE: &str = "\
usage: cksum [-a ALGORITHM] [-l BITS] [--untagged] [--tag] [-c] [FILE...]
       sum [-r|-s] [FILE...]
cksum prints the POSIX CRC and byte count of each FILE; -a chooses sysv, bsd, crc (default),
md5, sha1, sha224, sha256, sha384, sha512 or blake2b (BSD-style lines unless --untagged).
sum prints the BSD (-r, default) or System V (-s) checksum and block count.
";

/// The POSIX cksum CRC table (polynomial 0x04C11DB7, most significant bit first).
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ 0x04C1_1DB7
            } else {
                c << 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// The checksums `sum` and `cksum` compute over a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sum {
    Crc,
    Bsd,
    SysV,
}

/// (checksum, byte count) of everything `input` yields.
fn checksum(kind: Sum, input: &mut dyn Read) -> io::Result<(u32, u64)> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut len: u64 = 0;
    let mut crc: u32 = 0;
    let mut bsd: u32 = 0;
    let mut sysv: u64 = 0;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        len += n as u64;
        for &b in &buf[..n] {
            match kind {
                Sum::Crc => crc = (crc << 8) ^ CRC_TABLE[((crc >> 24) as u8 ^ b) as usize],
                Sum::Bsd => bsd = (((bsd >> 1) | ((bsd & 1) << 15)) + u32::from(b)) & 0xffff,
                Sum::SysV => sysv += u64::from(b),
            }
        }
    }
    Ok(match kind {
        Sum::Crc => {
            // The length goes in too, least significant byte first, then the complement.
            let mut l = len;
            while l != 0 {
                crc = (crc << 8) ^ CRC_TABLE[((crc >> 24) as u8 ^ (l as u8)) as usize];
                l >>= 8;
            }
            (!crc, len)
        }
        Sum::Bsd => (bsd, len),
        Sum::SysV => {
            let r = (sysv & 0xffff) + ((sysv & 0xffff_ffff) >> 16);
            (((r & 0xffff) + (r >> 16)) as u32, len)
        }
    })
}

/// The output line for one file; `name` is `None` for standard input without an operand.
fn format(kind: Sum, sum: u32, len: u64, name: Option<&str>) -> String {
    let mut line = match kind {
        Sum::Crc => format!("{sum} {len}"),
        Sum::Bsd => format!("{sum:05} {:5}", len.div_ceil(1024)),
        Sum::SysV => format!("{sum} {}", len.div_ceil(512)),
    };
    if let Some(name) = name {
        line.push(' ');
        line.push_str(name);
    }
    line.push('\n');
    line
}

enum Choice {
    Sum(Sum),
    Digest(Algorithm),
}

fn parse_algorithm(name: &str) -> Result<Choice, UsageError> {
    match name {
        "crc" => Ok(Choice::Sum(Sum::Crc)),
        "bsd" => Ok(Choice::Sum(Sum::Bsd)),
        "sysv" => Ok(Choice::Sum(Sum::SysV)),
        _ => Algorithm::by_name(name)
            .filter(|_| !name.ends_with("sum") && name != "b2")
            .map(Choice::Digest)
            .ok_or_else(|| UsageError(format!("invalid argument '{name}' for '--algorithm'"))),
    }
}

fn sum_files(applet: &str, kind: Sum, files: &[String]) -> i32 {
    let mut status = 0;
    let names: Vec<&str> = if files.is_empty() {
        vec!["-"]
    } else {
        files.iter().map(String::as_str).collect()
    };
    // GNU names each file given as an operand, and not standard input read without one.
    let show = |name: &str| (!files.is_empty()).then(|| name.to_string());
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for name in names {
        match hashsum::open(name).and_then(|mut r| checksum(kind, &mut r)) {
            Ok((sum, len)) => {
                let _ = out.write_all(format(kind, sum, len, show(name).as_deref()).as_bytes());
            }
            Err(e) => {
                let _ = out.flush();
                eprintln!("{applet}: {name}: {}", io_reason(&e));
                status = 1;
            }
        }
    }
    status
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let applet = crate::applet_name(&args);
    let rest: Vec<String> = crate::operands(&args);
    if applet == "sum" {
        let mut kind = Sum::Bsd;
        let mut files = Vec::new();
        for a in &rest {
            match a.as_str() {
                "-r" => kind = Sum::Bsd,
                "-s" | "--sysv" => kind = Sum::SysV,
                "-" => files.push(a.clone()),
                s if s.starts_with('-') => {
                    return Err(UsageError(format!("invalid option '{s}'")).into())
                }
                _ => files.push(a.clone()),
            }
        }
        return Ok(sum_files("sum", kind, &files));
    }
    // cksum: pick the algorithm, then hand digests to the *sum code.
    let mut choice = Choice::Sum(Sum::Crc);
    let mut untagged = false;
    let mut passthrough = Vec::new();
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        if let Some(v) = a.strip_prefix("--algorithm=") {
            choice = parse_algorithm(v)?;
        } else if a == "-a" || a == "--algorithm" {
            let v = it
                .next()
                .ok_or_else(|| UsageError(format!("option '{a}' requires an argument")))?;
            choice = parse_algorithm(v)?;
        } else if let Some(v) = a.strip_prefix("-a").filter(|v| !v.is_empty()) {
            choice = parse_algorithm(v)?;
        } else if a == "--untagged" {
            untagged = true;
        } else if a == "--tag" {
            untagged = false;
        } else {
            passthrough.push(a.clone());
        }
    }
    match choice {
        Choice::Sum(kind) => {
            if let Some(opt) = passthrough.iter().find(|a| a.starts_with('-') && *a != "-") {
                return Err(UsageError(format!("{opt}: needs a digest algorithm (-a)")).into());
            }
            Ok(sum_files("cksum", kind, &passthrough))
        }
        Choice::Digest(algorithm) => {
            let name = match algorithm {
                Algorithm::Blake2b(_) => "b2sum".to_string(),
                _ => format!("{}sum", algorithm.tag().to_ascii_lowercase()),
            };
            let checking = passthrough.iter().any(|a| a == "-c" || a == "--check");
            if !untagged && !checking {
                passthrough.insert(0, "--tag".into());
            }
            let mut argv: Vec<OsString> = vec![OsString::from(name)];
            argv.extend(passthrough.into_iter().map(OsString::from));
            hashsum::run(argv).map_err(|mut f| {
                f.message = f.message.replace("md5sum", "cksum");
                f
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_gnu() {
        // Values from GNU coreutils 9.1 on the same bytes.
        let cases: [(Sum, &[u8], u32, u64); 6] = [
            (Sum::Crc, b"", 4294967295, 0),
            (Sum::Crc, b"x\n", 2192966820, 2),
            (Sum::Crc, b"line one\n", 2029884439, 9),
            (Sum::Bsd, b"line one\n", 65133, 9),
            (Sum::Bsd, b"x\n", 70, 2),
            (Sum::SysV, b"line one\n", 788, 9),
        ];
        for (kind, input, sum, len) in cases {
            let mut r = input;
            assert_eq!(
                checksum(kind, &mut r).ok(),
                Some((sum, len)),
                "{kind:?} {input:?}"
            );
        }
    }

    #[test]
    fn output_lines() {
        assert_eq!(format(Sum::Bsd, 70, 2, None), "00070     1\n");
        assert_eq!(format(Sum::Bsd, 65133, 9, Some("a")), "65133     1 a\n");
        assert_eq!(format(Sum::SysV, 788, 9, Some("a")), "788 1 a\n");
        assert_eq!(
            format(Sum::Crc, 2029884439, 9, Some("a")),
            "2029884439 9 a\n"
        );
    }

    #[test]
    fn algorithm_names() {
        for ok in [
            "crc", "bsd", "sysv", "md5", "sha1", "sha256", "sha512", "blake2b",
        ] {
            assert!(parse_algorithm(ok).is_ok(), "{ok}");
        }
        for bad in ["md5sum", "b2", "sha3", ""] {
            assert!(parse_algorithm(bad).is_err(), "{bad}");
        }
    }
}
