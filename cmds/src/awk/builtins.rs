//! awk's builtin functions: string (length substr index split sub gsub match sprintf tolower
//! toupper), arithmetic (sin cos atan2 exp log sqrt int rand srand) and I/O (system close fflush).

use std::rc::Rc;

use super::ast::{Expr, Var, RLENGTH, RSTART};
use super::format::sprintf;
use super::interp::{err, Abort, Interp, Place, Res};
use super::io;
use super::lexer::Builtin;
use super::record::{split_fields, FieldSep};
use super::value::Value;

/// `&` is the matched text, `\&` a literal `&`, `\\` one backslash (POSIX sub()).
fn expand_replacement(repl: &[u8], matched: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < repl.len() {
        match repl[i] {
            b'\\' if i + 1 < repl.len() && (repl[i + 1] == b'&' || repl[i + 1] == b'\\') => {
                out.push(repl[i + 1]);
                i += 2;
                continue;
            }
            b'&' => out.extend_from_slice(matched),
            c => out.push(c),
        }
        i += 1;
    }
}

/// Replace the first (or every) match of `re` in `s`; an empty match right after a previous
/// match is not replaced (`gsub(/b*/, "-", "abc")` is `-a-c-`).
pub fn substitute(
    re: &regex::bytes::Regex,
    repl: &[u8],
    s: &[u8],
    global: bool,
) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(s.len());
    let mut pos = 0;
    let mut count = 0;
    let mut last_end = None;
    while pos <= s.len() {
        let Some(m) = re.find_at(s, pos) else { break };
        out.extend_from_slice(&s[pos..m.start()]);
        let empty = m.start() == m.end();
        if !(empty && last_end == Some(m.start())) {
            expand_replacement(repl, m.as_bytes(), &mut out);
            count += 1;
            last_end = Some(m.end());
        }
        if empty {
            if m.start() < s.len() {
                out.push(s[m.start()]);
            }
            pos = m.start() + 1;
        } else {
            pos = m.end();
        }
        if !global && count > 0 {
            break;
        }
    }
    if pos < s.len() {
        out.extend_from_slice(&s[pos..]);
    }
    (out, count)
}

/// substr(s, m, n) as the one true awk computes it: m and n truncated to integers, a start
/// before 1 taken as 1 without shortening n (mawk and POSIX shorten it).
pub fn substr(s: &[u8], m: f64, n: Option<f64>) -> &[u8] {
    let len = s.len() as f64;
    // NaN positions select nothing, as in mawk.
    if m.is_nan() || n.is_some_and(f64::is_nan) {
        return &[];
    }
    let m = m.trunc();
    let m = m.clamp(1.0, len + 1.0);
    let n = match n {
        Some(n) => n.trunc().clamp(0.0, len + 1.0 - m),
        None => len + 1.0 - m,
    };
    let start = m as usize - 1;
    &s[start..start + n as usize]
}

fn num(n: f64) -> Value {
    Value::Num(n)
}

impl Interp<'_> {
    fn arg(&mut self, args: &[Expr], i: usize) -> Res<Value> {
        match args.get(i) {
            Some(e) => self.eval(e),
            None => Ok(Value::Uninit),
        }
    }

    fn arg_str(&mut self, args: &[Expr], i: usize) -> Res<Rc<[u8]>> {
        let v = self.arg(args, i)?;
        Ok(self.to_bytes(&v))
    }

    fn arg_num(&mut self, args: &[Expr], i: usize) -> Res<f64> {
        Ok(self.arg(args, i)?.num())
    }

    pub fn builtin(&mut self, b: Builtin, args: &[Expr]) -> Res<Value> {
        Ok(match b {
            Builtin::Length => match args.first() {
                None => num(self.record.len() as f64),
                Some(Expr::Var(v)) if self.is_array(*v) => {
                    num(self.array(*v)?.borrow().len() as f64)
                }
                Some(_) => num(self.arg_str(args, 0)?.len() as f64),
            },
            Builtin::Substr => {
                let s = self.arg_str(args, 0)?;
                let m = self.arg_num(args, 1)?;
                let n = match args.get(2) {
                    Some(_) => Some(self.arg_num(args, 2)?),
                    None => None,
                };
                Value::str(substr(&s, m, n))
            }
            Builtin::Index => {
                let s = self.arg_str(args, 0)?;
                let t = self.arg_str(args, 1)?;
                // index(s, "") is 1 in the one true awk (0 in mawk)
                let pos = if t.is_empty() {
                    1
                } else {
                    s.windows(t.len())
                        .position(|w| w == &t[..])
                        .map_or(0, |p| p + 1)
                };
                num(pos as f64)
            }
            Builtin::Split => self.split(args)?,
            Builtin::Sub | Builtin::Gsub => {
                if args.len() < 2 {
                    return err("sub/gsub: not enough arguments");
                }
                let re = self.regex_of(&args[0])?;
                let repl = self.arg_str(args, 1)?;
                let place = match args.get(2) {
                    Some(e) => self.place(e)?,
                    None => Place::Field(0),
                };
                let cur = self.get_place(&place)?;
                let cur = self.to_bytes(&cur);
                let (out, n) = substitute(&re, &repl, &cur, b == Builtin::Gsub);
                if n > 0 {
                    self.set_place(&place, Value::Str(Rc::from(out)))?;
                }
                num(n as f64)
            }
            Builtin::Match => {
                let s = self.arg_str(args, 0)?;
                let re = match args.get(1) {
                    Some(e) => self.regex_of(e)?,
                    None => return err("match: not enough arguments"),
                };
                let (start, len) = match re.find(&s) {
                    Some(m) => ((m.start() + 1) as f64, (m.end() - m.start()) as f64),
                    None => (0.0, -1.0),
                };
                self.set_var(Var::Global(RSTART), num(start))?;
                self.set_var(Var::Global(RLENGTH), num(len))?;
                num(start)
            }
            Builtin::Sprintf => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?);
                }
                let Some(fmt) = vals.first() else {
                    return Ok(Value::str(b""));
                };
                let fmt = self.to_bytes(fmt);
                let out = sprintf(&fmt, &vals[1..], &self.convfmt).map_err(Abort::Error)?;
                Value::Str(Rc::from(out))
            }
            Builtin::Sin => num(self.arg_num(args, 0)?.sin()),
            Builtin::Cos => num(self.arg_num(args, 0)?.cos()),
            Builtin::Atan2 => {
                let y = self.arg_num(args, 0)?;
                let x = self.arg_num(args, 1)?;
                num(y.atan2(x))
            }
            Builtin::Exp => num(self.arg_num(args, 0)?.exp()),
            Builtin::Log => num(self.arg_num(args, 0)?.ln()),
            Builtin::Sqrt => num(self.arg_num(args, 0)?.sqrt()),
            Builtin::Int => num(self.arg_num(args, 0)?.trunc()),
            Builtin::Rand => {
                // 64-bit LCG (Knuth's MMIX constants); the top 53 bits as a fraction.
                self.rand_state = self
                    .rand_state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                num((self.rand_state >> 11) as f64 / (1u64 << 53) as f64)
            }
            Builtin::Srand => {
                let prev = self.rand_seed;
                let seed = match args.first() {
                    Some(_) => self.arg_num(args, 0)?,
                    None => std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs() as f64)
                        .unwrap_or(0.0),
                };
                self.rand_seed = seed;
                self.rand_state = seed.to_bits();
                num(prev)
            }
            Builtin::Tolower | Builtin::Toupper => {
                let s = self.arg_str(args, 0)?;
                let out: Vec<u8> = if b == Builtin::Tolower {
                    s.to_ascii_lowercase()
                } else {
                    s.to_ascii_uppercase()
                };
                Value::Str(Rc::from(out))
            }
            Builtin::System => {
                let cmd = self.arg_str(args, 0)?;
                num(io::system(&mut self.streams, &cmd))
            }
            Builtin::Close => {
                let name = self.arg_str(args, 0)?;
                num(self.streams.close(&name))
            }
            Builtin::Fflush => match args.first() {
                None => {
                    self.streams.flush_all();
                    num(0.0)
                }
                Some(_) => {
                    let name = self.arg_str(args, 0)?;
                    num(self.streams.flush(&name))
                }
            },
        })
    }

    fn split(&mut self, args: &[Expr]) -> Res<Value> {
        let s = self.arg_str(args, 0)?;
        let Some(Expr::Var(v)) = args.get(1) else {
            return err("split: second argument must be an array name");
        };
        let fs: Rc<FieldSep> = match args.get(2) {
            None => self.cur_fs.clone(),
            Some(Expr::Regex(i)) => Rc::new(FieldSep::Regex(self.prog.regexes[*i].clone())),
            Some(e) => {
                let v = self.eval(e)?;
                let sep = self.to_bytes(&v);
                match &sep[..] {
                    b" " => Rc::new(FieldSep::Blank),
                    [] => Rc::new(FieldSep::Chars),
                    [c] => Rc::new(FieldSep::Byte(*c)),
                    _ => Rc::new(FieldSep::Regex(self.dyn_regex(&sep)?)),
                }
            }
        };
        let mut parts = Vec::new();
        split_fields(&s, &fs, false, &mut parts);
        let a = self.array(*v)?;
        let mut a = a.borrow_mut();
        a.clear();
        let n = parts.len();
        for (i, p) in parts.into_iter().enumerate() {
            a.insert((i + 1).to_string().into_bytes(), p);
        }
        Ok(num(n as f64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsub_and_sub() {
        let cases: &[(&str, &str, &str, bool, &str, usize)] = &[
            ("b*", "-", "abc", true, "-a-c-", 3),
            ("x*", "-", "abc", true, "-a-b-c-", 4),
            ("o", "0", "foo", true, "f00", 2),
            ("o", "0", "foo", false, "f0o", 1),
            ("o+", "[&]", "foo", true, "f[oo]", 1),
            ("o", "\\&", "foo", true, "f&&", 2),
            ("o", "\\\\&", "fo", true, "f\\o", 1),
            ("^", ">", "ab", true, ">ab", 1),
            ("$", "<", "ab", true, "ab<", 1),
            ("z", "y", "ab", true, "ab", 0),
        ];
        for &(re, repl, s, global, want, n) in cases {
            let r = super::super::ere::compile(re.as_bytes()).unwrap();
            let (out, count) = substitute(&r, repl.as_bytes(), s.as_bytes(), global);
            assert_eq!(
                (String::from_utf8(out).unwrap(), count),
                (want.to_string(), n),
                "{re} {repl} {s}"
            );
        }
    }

    #[test]
    fn substr_positions() {
        let cases: &[(f64, Option<f64>, &str)] = &[
            (2.0, Some(3.0), "ell"),
            (0.0, Some(2.0), "he"),
            (-1.0, None, "hello"),
            (-1.0, Some(3.0), "hel"),
            (4.0, Some(100.0), "lo"),
            (6.0, None, ""),
            (2.0, Some(-1.0), ""),
            (1.5, Some(1.0), "h"),
            (2.0, Some(1.5), "e"),
        ];
        for &(m, n, want) in cases {
            assert_eq!(substr(b"hello", m, n), want.as_bytes(), "{m} {n:?}");
        }
    }
}
