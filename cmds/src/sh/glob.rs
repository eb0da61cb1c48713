//! Shell pattern matching (XCU §2.13): `*`, `?`, `[…]` with `!`/`^`, ranges and `[:class:]`;
//! a backslash makes the next character literal. Pathname expansion walks directories itself.

use std::path::Path;

/// Does `pat` match all of `s`?
pub fn matches(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    match_at(&p, &t)
}

/// [`matches`] on characters already split out, for callers trying many slices of one text.
pub fn matches_chars(p: &[char], t: &[char]) -> bool {
    match_at(p, t)
}

fn match_at(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    // Where to resume after the last `*`: (pattern index after it, text index it absorbed up to).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi + 1, ti));
                    pi += 1;
                    continue;
                }
                '?' if ti < t.len() => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' if ti < t.len() => {
                    if let Some((ok, next)) = bracket(p, pi, t[ti]) {
                        if ok {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                '\\' if pi + 1 < p.len() && ti < t.len() && t[ti] == p[pi + 1] => {
                    pi += 2;
                    ti += 1;
                    continue;
                }
                '\\' if pi + 1 < p.len() => {}
                c if c != '?' && c != '[' && ti < t.len() && t[ti] == c => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        } else if ti == t.len() {
            return true;
        }
        match star {
            Some((sp, st)) if st < t.len() => {
                star = Some((sp, st + 1));
                pi = sp;
                ti = st + 1;
            }
            _ => return false,
        }
    }
}

/// Match `c` against the bracket expression at `p[i]`: (matched, index after `]`),
/// or `None` when there is no closing `]` (then `[` is an ordinary character).
fn bracket(p: &[char], i: usize, c: char) -> Option<(bool, usize)> {
    let mut j = i + 1;
    let negate = matches!(p.get(j), Some('!' | '^'));
    if negate {
        j += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let pc = *p.get(j)?;
        if pc == ']' && !first {
            return Some((hit != negate, j + 1));
        }
        first = false;
        if pc == '[' && p.get(j + 1) == Some(&':') {
            let rest: String = p[j + 2..].iter().collect();
            if let Some(end) = rest.find(":]") {
                let class = &rest[..end];
                hit |= match class {
                    "alpha" => c.is_ascii_alphabetic(),
                    "digit" => c.is_ascii_digit(),
                    "alnum" => c.is_ascii_alphanumeric(),
                    "upper" => c.is_ascii_uppercase(),
                    "lower" => c.is_ascii_lowercase(),
                    "space" => c.is_ascii_whitespace(),
                    "punct" => c.is_ascii_punctuation(),
                    "xdigit" => c.is_ascii_hexdigit(),
                    "blank" => c == ' ' || c == '\t',
                    "cntrl" => c.is_ascii_control(),
                    "print" => c == ' ' || c.is_ascii_graphic(),
                    "graph" => c.is_ascii_graphic(),
                    _ => false,
                };
                j += 2 + class.chars().count() + 2;
                continue;
            }
        }
        let (lo, after) = if pc == '\\' && j + 1 < p.len() {
            (p[j + 1], j + 2)
        } else {
            (pc, j + 1)
        };
        if p.get(after) == Some(&'-') && p.get(after + 1).is_some_and(|&x| x != ']') {
            let (hi, after2) = match p.get(after + 1) {
                Some('\\') if after + 2 < p.len() => (p[after + 2], after + 3),
                Some(&x) => (x, after + 2),
                None => return None,
            };
            hit |= lo <= c && c <= hi;
            j = after2;
        } else {
            hit |= lo == c;
            j = after;
        }
    }
}

/// Does the pattern contain an unescaped `*`, `?` or `[`?
pub fn has_magic(pat: &str) -> bool {
    let mut esc = false;
    for c in pat.chars() {
        if esc {
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if matches!(c, '*' | '?' | '[') {
            return true;
        }
    }
    false
}

/// Remove the backslashes that quote characters in a pattern.
pub fn unescape(pat: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for c in pat.chars() {
        if c == '\\' && !esc {
            esc = true;
        } else {
            out.push(c);
            esc = false;
        }
    }
    out
}

/// A pattern cut at its slashes: the leading slashes, then each component with the slashes
/// that follow it (kept as written: `sub//*` gives `sub//d.txt`, as in dash).
fn components(pat: &str) -> (&str, Vec<(&str, &str)>) {
    let body = pat.trim_start_matches('/');
    let lead = &pat[..pat.len() - body.len()];
    let mut comps = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let end = rest.find('/').unwrap_or(rest.len());
        let after = &rest[end..];
        let slashes = after.len() - after.trim_start_matches('/').len();
        comps.push((&rest[..end], &after[..slashes]));
        rest = &after[slashes..];
    }
    (lead, comps)
}

/// The names in `dir` that the component pattern `comp` matches, sorted. A leading `.` must
/// be matched by a literal `.`; then `.` and `..` match too, as in dash (XCU §2.13.3).
fn matching_names(dir: &Path, comp: &str) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let dot = comp.starts_with('.') || comp.starts_with("\\.");
    let dots = [".", ".."].into_iter().filter(|_| dot).map(String::from);
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .chain(dots)
        .filter(|n| !n.starts_with('.') || dot)
        .filter(|n| matches(comp, n))
        .collect();
    names.sort();
    names
}

/// Pathname expansion: the sorted paths matching `pat`, relative to `cwd` when `pat` is.
pub fn expand_path(cwd: &Path, pat: &str) -> Vec<String> {
    let (lead, comps) = components(pat);
    let mut found = vec![lead.to_string()];
    for (comp, slashes) in comps {
        let mut next = Vec::new();
        for base in &found {
            let names = if has_magic(comp) {
                let dir = if base.is_empty() {
                    cwd.to_path_buf()
                } else {
                    cwd.join(base)
                };
                matching_names(&dir, comp)
            } else {
                vec![unescape(comp)]
            };
            for n in names {
                let p = format!("{base}{n}{slashes}");
                // A component followed by a slash must be a directory.
                if slashes.is_empty() || cwd.join(&p).is_dir() {
                    next.push(p);
                }
            }
        }
        found = next;
    }
    // Literal components are only checked here: the path must exist.
    found.retain(|f| std::fs::symlink_metadata(cwd.join(f)).is_ok());
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn matches_table() {
        let cases = [
            ("*", "", true),
            ("*", "abc", true),
            ("a*", "abc", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbb", false),
            ("*.rs", "main.rs", true),
            ("*.rs", "main.rsx", false),
            ("?", "a", true),
            ("?", "", false),
            ("a?c", "abc", true),
            ("[abc]", "b", true),
            ("[!abc]", "b", false),
            ("[^abc]", "d", true),
            ("[a-c]x", "bx", true),
            ("[a-c]x", "dx", false),
            ("[]]", "]", true),
            ("[[:digit:]]*", "7up", true),
            ("[[:alpha:]]", "7", false),
            ("[[:blank:]]", "\t", true),
            ("[[:print:]]", " ", true),
            ("[[:graph:]]", " ", false),
            ("[[:cntrl:]]", "\u{1}", true),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("[", "[", true),
            ("a[", "a[", true),
            ("*a*b*", "xaxxbx", true),
            ("*a*b", "xaxxbx", false),
        ];
        for (p, s, want) in cases {
            assert_eq!(matches(p, s), want, "{p:?} {s:?}");
        }
    }

    #[test]
    fn expand_path_in_tree() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["a.txt", "b.txt", ".hidden", "sub/c.txt"] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let cases: [(&str, &[&str]); 11] = [
            ("*.txt", &["a.txt", "b.txt"]),
            ("*", &["a.txt", "b.txt", "sub"]),
            (".h*", &[".hidden"]),
            (".*", &[".", "..", ".hidden"]),
            ("sub/.*", &["sub/.", "sub/.."]),
            ("sub//*", &["sub//c.txt"]),
            ("./*/", &["./sub/"]),
            ("a.txt/", &[]),
            ("*/*.txt", &["sub/c.txt"]),
            ("*/", &["sub/"]),
            ("z*", &[]),
        ];
        for (p, want) in cases {
            assert_eq!(expand_path(dir.path(), p), want, "{p}");
        }
    }
}
