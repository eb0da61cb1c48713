//! fnmatch(3)-style globs as `modules.alias` uses them: `*`, `?` and bracket expressions
//! (`[abc]`, `[a-z]`, `[!x]`/`[^x]`). No escapes and no `FNM_PATHNAME`: modaliases have no `/`.

/// Does `text` match the glob `pattern`?
pub fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matcher with one backtrack point for the last `*`: linear in practice and no
    // recursion depth to worry about for long modaliases.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some('?') => Some(pi + 1),
            Some('[') => match bracket(&p, pi, t[ti]) {
                Some((true, next)) => Some(next),
                Some((false, _)) => None,
                // An unterminated `[` is a literal, as fnmatch treats it.
                None => (t[ti] == '[').then_some(pi + 1),
            },
            Some(c) if *c == t[ti] => Some(pi + 1),
            _ => None,
        };
        match (step, star) {
            (Some(next), _) => {
                pi = next;
                ti += 1;
            }
            (None, Some((spi, sti))) => {
                pi = spi + 1;
                ti = sti + 1;
                star = Some((spi, sti + 1));
            }
            (None, None) => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Match `c` against the bracket expression starting at `p[start] == '['`: whether it matched
/// and the index after the closing `]`, or None when there is no closing `]`.
fn bracket(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let lo = *p.get(i)?;
        if lo == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|hi| *hi != ']') {
            let hi = p[i + 2];
            matched |= lo <= c && c <= hi;
            i += 3;
        } else {
            matched |= lo == c;
            i += 1;
        }
    }
}

/// Module names treat `-` and `_` alike (the kernel stores `_`); aliases are compared the same
/// way outside bracket expressions, as kmod's `alias_normalize` does.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_bracket = false;
    for c in name.chars() {
        match c {
            '[' => in_bracket = true,
            ']' => in_bracket = false,
            '-' if !in_bracket => {
                out.push('_');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn glob_table() {
        let cases = [
            ("abc", "abc", true),
            ("abc", "abd", false),
            ("a*", "a", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("[ab]x", "bx", true),
            ("[ab]x", "cx", false),
            ("[!ab]x", "cx", true),
            ("[^ab]x", "ax", false),
            ("[a-f]1", "d1", true),
            ("[a-f]1", "g1", false),
            ("[]a]", "]", true),
            ("x[", "x[", true),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
            (
                "pci:v00001AF4d*sv*sd*bc*sc*i*",
                "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00",
                true,
            ),
            (
                "pci:v00001AF4d*sv*sd*bc*sc*i*",
                "pci:v00008086d00001001sv00001AF4sd00000002bc01sc00i00",
                false,
            ),
            ("virtio:d00000002v*", "virtio:d00000002v00001AF4", true),
            ("virtio:d00000001v*", "virtio:d00000002v00001AF4", false),
            ("*a*b*c*", "xxaxxbxxcxx", true),
            ("*a*b*c", "xxaxxbxxcxx", false),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(matches(pattern, text), want, "{pattern} vs {text}");
        }
    }

    #[test]
    fn normalize_table() {
        let cases = [
            ("crc32c-intel", "crc32c_intel"),
            ("virtio_blk", "virtio_blk"),
            ("crypto-crc32c", "crypto_crc32c"),
            (
                "usb:v*p*d*dc*dsc*dp*ic[0-9]*",
                "usb:v*p*d*dc*dsc*dp*ic[0-9]*",
            ),
            ("a-b[x-z]c-d", "a_b[x-z]c_d"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input), want);
        }
    }
}
