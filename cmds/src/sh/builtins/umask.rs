//! `umask [-S] [MODE]` (XCU umask): octal or symbolic (`u=rwx,g=rx,o=`, `g-w`, `a+r`) modes,
//! printed as `0022` or, with `-S`, as `u=rwx,g=rx,o=rx`.

use nix::sys::stat::{umask as set_umask, Mode};

use super::super::exec::{err, Ex, Flow};
use super::{flags, out};

/// The new mask for `spec` when the current one is `mask`, or `None` if `spec` is no mode.
/// Symbolic clauses act on the permissions the mask lets through (XCU chmod's grammar:
/// `[ugoa]*([-+=]([rwxXst]*|[ugo]))+`, comma separated; no who means all).
pub fn parse_mode(spec: &str, mask: u32) -> Option<u32> {
    if spec.starts_with(|c: char| c.is_ascii_digit()) {
        return u32::from_str_radix(spec, 8).ok().map(|v| v & 0o777);
    }
    let mut perms = !mask & 0o777;
    for clause in spec.split(',') {
        let mut chars = clause.chars().peekable();
        let mut who = 0;
        while let Some(&c) = chars.peek() {
            who |= match c {
                'u' => 0o700,
                'g' => 0o070,
                'o' => 0o007,
                'a' => 0o777,
                _ => break,
            };
            chars.next();
        }
        if who == 0 {
            who = 0o777;
        }
        let mut acted = false;
        while let Some(op) = chars.next() {
            if !"+-=".contains(op) {
                return None;
            }
            acted = true;
            let mut bits = 0;
            while let Some(&c) = chars.peek() {
                let copy = |shift: u32| ((perms >> shift) & 7) * 0o111;
                bits |= match c {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    'X' if perms & 0o111 != 0 => 0o111,
                    'X' | 's' | 't' => 0,
                    'u' => copy(6),
                    'g' => copy(3),
                    'o' => copy(0),
                    '+' | '-' | '=' => break,
                    _ => return None,
                };
                chars.next();
            }
            let bits = bits & who;
            perms = match op {
                '+' => perms | bits,
                '-' => perms & !bits,
                _ => (perms & !who) | bits,
            };
        }
        if !acted {
            return None;
        }
    }
    Some(!perms & 0o777)
}

/// `u=rwx,g=rx,o=rx`: the permissions `mask` lets through.
pub fn symbolic(mask: u32) -> String {
    let perms = !mask & 0o777;
    let part = |who: char, shift: u32| {
        let p = (perms >> shift) & 7;
        let mut s = format!("{who}=");
        for (bit, c) in [(4, 'r'), (2, 'w'), (1, 'x')] {
            if p & bit != 0 {
                s.push(c);
            }
        }
        s
    };
    format!("{},{},{}", part('u', 6), part('g', 3), part('o', 0))
}

fn current() -> u32 {
    let cur = set_umask(Mode::empty());
    set_umask(cur);
    cur.bits() as u32
}

pub fn umask(args: &[String]) -> Ex {
    let (opts, operands) = flags("umask", args, "S")?;
    let mask = current();
    let Some(spec) = operands.first() else {
        if opts.contains('S') {
            out(&format!("{}\n", symbolic(mask)));
        } else {
            out(&format!("{mask:04o}\n"));
        }
        return Ok(0);
    };
    match parse_mode(spec, mask) {
        Some(m) => {
            set_umask(Mode::from_bits_truncate(m as libc::mode_t));
            Ok(0)
        }
        None if spec.starts_with(|c: char| c.is_ascii_digit()) => {
            err(&format!("umask: Illegal number: {spec}"));
            Err(Flow::Fail(2))
        }
        None => {
            err(&format!("umask: Illegal mode: {spec}"));
            Err(Flow::Fail(2))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_mode_table() {
        let cases = [
            ("077", 0o022, Some(0o077)),
            ("1234", 0o022, Some(0o234)),
            ("8", 0o022, None),
            ("u=rwx,g=rx,o=", 0o022, Some(0o027)),
            ("g-w", 0o022, Some(0o022)),
            ("a+r", 0o777, Some(0o333)),
            ("u+x,g=u", 0o022, Some(0o002)),
            ("o-rwx", 0o022, Some(0o027)),
            ("=", 0o022, Some(0o777)),
            ("+w", 0o022, Some(0o000)),
            ("+w", 0o077, Some(0o055)),
            ("=r", 0o022, Some(0o333)),
            ("u=rwx,g=rwx,o=rwx,o-w", 0o022, Some(0o002)),
            ("u+rw-x", 0o022, Some(0o122)),
            ("u=X", 0o022, Some(0o622)),
            ("ug=rwx,o=x", 0o022, Some(0o006)),
            ("g+s", 0o022, Some(0o022)),
            ("x=r", 0o022, None),
            ("u", 0o022, None),
            ("u=q", 0o022, None),
        ];
        for (spec, mask, want) in cases {
            assert_eq!(parse_mode(spec, mask), want, "{spec} from {mask:o}");
        }
    }

    #[test]
    fn symbolic_table() {
        for (mask, want) in [
            (0o022, "u=rwx,g=rx,o=rx"),
            (0o077, "u=rwx,g=,o="),
            (0o777, "u=,g=,o="),
            (0o000, "u=rwx,g=rwx,o=rwx"),
        ] {
            assert_eq!(symbolic(mask), want);
        }
    }
}
