//! `ulimit [-HS] [-a | -tfdscmlpnvwr] [LIMIT]` (XCU ulimit; the letters and `-a` format of
//! dash): show or set a resource limit through getrlimit/setrlimit, `-f` by default.

use nix::sys::resource::{getrlimit, setrlimit, Resource, RLIM_INFINITY};

use super::super::exec::{err, Ex, Flow};
use super::out;

/// A limit: its option letter, `-a` label, resource and the unit its numbers count in.
struct Limit {
    letter: char,
    label: &'static str,
    resource: Resource,
    unit: u64,
}

/// In dash's `ulimit -a` order.
const LIMITS: &[Limit] = &[
    Limit {
        letter: 't',
        label: "time(seconds)",
        resource: Resource::RLIMIT_CPU,
        unit: 1,
    },
    Limit {
        letter: 'f',
        label: "file(blocks)",
        resource: Resource::RLIMIT_FSIZE,
        unit: 512,
    },
    Limit {
        letter: 'd',
        label: "data(kbytes)",
        resource: Resource::RLIMIT_DATA,
        unit: 1024,
    },
    Limit {
        letter: 's',
        label: "stack(kbytes)",
        resource: Resource::RLIMIT_STACK,
        unit: 1024,
    },
    Limit {
        letter: 'c',
        label: "coredump(blocks)",
        resource: Resource::RLIMIT_CORE,
        unit: 512,
    },
    Limit {
        letter: 'm',
        label: "memory(kbytes)",
        resource: Resource::RLIMIT_RSS,
        unit: 1024,
    },
    Limit {
        letter: 'l',
        label: "locked memory(kbytes)",
        resource: Resource::RLIMIT_MEMLOCK,
        unit: 1024,
    },
    Limit {
        letter: 'p',
        label: "process",
        resource: Resource::RLIMIT_NPROC,
        unit: 1,
    },
    Limit {
        letter: 'n',
        label: "nofiles",
        resource: Resource::RLIMIT_NOFILE,
        unit: 1,
    },
    Limit {
        letter: 'v',
        label: "vmemory(kbytes)",
        resource: Resource::RLIMIT_AS,
        unit: 1024,
    },
    Limit {
        letter: 'w',
        label: "locks",
        resource: Resource::RLIMIT_LOCKS,
        unit: 1,
    },
    Limit {
        letter: 'r',
        label: "rtprio",
        resource: Resource::RLIMIT_RTPRIO,
        unit: 1,
    },
];

/// What was asked: which limit (None: all), hard and/or soft, and the new value's text.
#[derive(Debug, PartialEq)]
struct Request {
    letter: Option<char>,
    hard: bool,
    soft: bool,
    value: Option<String>,
}

fn parse(args: &[String]) -> Result<Request, String> {
    let mut r = Request {
        letter: Some('f'),
        hard: false,
        soft: false,
        value: None,
    };
    let allowed: String = "HSa"
        .chars()
        .chain(LIMITS.iter().map(|l| l.letter))
        .collect();
    let (letters, operands) =
        super::scan_flags(args, &allowed).map_err(|c| format!("Illegal option -{c}"))?;
    for c in letters.chars() {
        match c {
            'H' => r.hard = true,
            'S' => r.soft = true,
            'a' => r.letter = None,
            c => r.letter = Some(c),
        }
    }
    r.value = operands.first().cloned();
    Ok(r)
}

/// A limit in the limit's units, or `unlimited`.
fn show(v: u64, unit: u64) -> String {
    if v == RLIM_INFINITY {
        "unlimited".into()
    } else {
        (v / unit).to_string()
    }
}

/// `unlimited` or a decimal count of units.
fn value(text: &str, unit: u64) -> Option<u64> {
    if text == "unlimited" {
        return Some(RLIM_INFINITY);
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok()?.checked_mul(unit)
}

pub fn ulimit(args: &[String]) -> Ex {
    let r = parse(args).map_err(|e| {
        err(&format!("ulimit: {e}"));
        Flow::Fail(2)
    })?;
    let pick = |(soft, hard): (u64, u64)| if r.hard && !r.soft { hard } else { soft };
    let Some(letter) = r.letter else {
        let mut s = String::new();
        for l in LIMITS {
            if let Ok(v) = getrlimit(l.resource) {
                s.push_str(&format!("{:<20} {}\n", l.label, show(pick(v), l.unit)));
            }
        }
        out(&s);
        return Ok(0);
    };
    let Some(l) = LIMITS.iter().find(|l| l.letter == letter) else {
        return Ok(0);
    };
    let cur = getrlimit(l.resource).map_err(|e| {
        err(&format!("ulimit: {}", e.desc()));
        Flow::Fail(2)
    })?;
    let Some(text) = r.value else {
        out(&format!("{}\n", show(pick(cur), l.unit)));
        return Ok(0);
    };
    let Some(v) = value(&text, l.unit) else {
        err("ulimit: bad number");
        return Err(Flow::Fail(2));
    };
    // Neither -H nor -S sets both (as dash).
    let both = !r.hard && !r.soft;
    let soft = if r.soft || both { v } else { cur.0 };
    let hard = if r.hard || both { v } else { cur.1 };
    if let Err(e) = setrlimit(l.resource, soft, hard) {
        err(&format!("ulimit: error setting limit ({})", e.desc()));
        return Err(Flow::Fail(2));
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let req = |letter, hard, soft, value: Option<&str>| Request {
            letter,
            hard,
            soft,
            value: value.map(String::from),
        };
        let cases = [
            (v(&[]), Ok(req(Some('f'), false, false, None))),
            (v(&["-n"]), Ok(req(Some('n'), false, false, None))),
            (v(&["-n", "-c"]), Ok(req(Some('c'), false, false, None))),
            (
                v(&["-Hn", "10"]),
                Ok(req(Some('n'), true, false, Some("10"))),
            ),
            (v(&["-a"]), Ok(req(None, false, false, None))),
            (v(&["-q"]), Err("Illegal option -q".to_string())),
        ];
        for (args, want) in cases {
            assert_eq!(parse(&args), want, "{args:?}");
        }
        assert_eq!(value("10", 512), Some(5120));
        assert_eq!(value("unlimited", 1), Some(RLIM_INFINITY));
        assert_eq!(value("abc", 1), None);
        assert_eq!(show(RLIM_INFINITY, 1), "unlimited");
        assert_eq!(show(8 << 20, 1024), "8192");
    }
}
