//! `test` and `[` (XCU test).

use super::super::exec::err;

pub fn test(args: &[String]) -> i32 {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut t = Test { a: &a, i: 0 };
    let r = match a.len() {
        0 => Ok(false),
        1 => Ok(!a[0].is_empty()),
        2 if a[0] == "!" => Ok(a[1].is_empty()),
        2 => t.unary(a[0], a[1]),
        3 if is_binary(a[1]) => t.binary(a[0], a[1], a[2]),
        3 if a[0] == "!" => t.eval_from(1).map(|v| !v),
        4 if a[0] == "!" => t.eval_from(1).map(|v| !v),
        _ => t.eval_from(0),
    };
    match r {
        Ok(v) => i32::from(!v),
        Err(e) => {
            err(&format!("test: {e}"));
            2
        }
    }
}

/// An integer operand: decimal only (`010` is ten, `0x10` is no number), white space around
/// it allowed, as dash reads them.
pub fn integer(s: &str) -> Option<i64> {
    let t = s.trim_matches([' ', '\t', '\n']);
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

fn is_binary(op: &str) -> bool {
    matches!(
        op,
        "=" | "=="
            | "!="
            | "-eq"
            | "-ne"
            | "-lt"
            | "-le"
            | "-gt"
            | "-ge"
            | "-nt"
            | "-ot"
            | "-ef"
            | "<"
            | ">"
            | "-a"
            | "-o"
    )
}

struct Test<'a> {
    a: &'a [&'a str],
    i: usize,
}

impl Test<'_> {
    fn eval_from(&mut self, i: usize) -> Result<bool, String> {
        self.i = i;
        let v = self.or()?;
        match self.a.get(self.i) {
            None => Ok(v),
            Some(x) => Err(format!("{x}: unexpected operator")),
        }
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut v = self.and()?;
        while self.a.get(self.i) == Some(&"-o") {
            self.i += 1;
            v |= self.and()?;
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut v = self.not()?;
        while self.a.get(self.i) == Some(&"-a") {
            self.i += 1;
            v &= self.not()?;
        }
        Ok(v)
    }

    fn not(&mut self) -> Result<bool, String> {
        if self.a.get(self.i) == Some(&"!") {
            self.i += 1;
            return Ok(!self.not()?);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<bool, String> {
        let a = self.a;
        let Some(&x) = a.get(self.i) else {
            return Err("argument expected".into());
        };
        if x == "(" {
            self.i += 1;
            let v = self.or()?;
            if a.get(self.i) != Some(&")") {
                return Err("')' expected".into());
            }
            self.i += 1;
            return Ok(v);
        }
        if let (Some(&op), Some(&rhs)) = (a.get(self.i + 1), a.get(self.i + 2)) {
            if is_binary(op) && op != "-a" && op != "-o" {
                self.i += 3;
                return self.binary(x, op, rhs);
            }
        }
        if x.len() == 2 && x.starts_with('-') && a.get(self.i + 1).is_some() {
            if let Some(&arg) = a.get(self.i + 1) {
                self.i += 2;
                return self.unary(x, arg);
            }
        }
        self.i += 1;
        Ok(!x.is_empty())
    }

    fn unary(&self, op: &str, arg: &str) -> Result<bool, String> {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let meta = || std::fs::metadata(arg);
        let access = |f| nix::unistd::access(arg, f).is_ok();
        Ok(match op {
            "-z" => arg.is_empty(),
            "-n" => !arg.is_empty(),
            "-e" => meta().is_ok(),
            "-f" => meta().is_ok_and(|m| m.is_file()),
            "-d" => meta().is_ok_and(|m| m.is_dir()),
            "-s" => meta().is_ok_and(|m| m.len() > 0),
            "-L" | "-h" => std::fs::symlink_metadata(arg).is_ok_and(|m| m.file_type().is_symlink()),
            "-b" => meta().is_ok_and(|m| m.file_type().is_block_device()),
            "-c" => meta().is_ok_and(|m| m.file_type().is_char_device()),
            "-p" => meta().is_ok_and(|m| m.file_type().is_fifo()),
            "-S" => meta().is_ok_and(|m| m.file_type().is_socket()),
            "-u" => meta().is_ok_and(|m| m.mode() & 0o4000 != 0),
            "-g" => meta().is_ok_and(|m| m.mode() & 0o2000 != 0),
            "-k" => meta().is_ok_and(|m| m.mode() & 0o1000 != 0),
            "-r" => access(nix::unistd::AccessFlags::R_OK),
            "-w" => access(nix::unistd::AccessFlags::W_OK),
            "-x" => access(nix::unistd::AccessFlags::X_OK),
            "-t" => arg
                .parse::<i32>()
                .is_ok_and(|fd| nix::unistd::isatty(fd_ref(fd)).unwrap_or(false)),
            _ => return Err(format!("{op}: unexpected operator")),
        })
    }

    fn binary(&self, l: &str, op: &str, r: &str) -> Result<bool, String> {
        let num = |s: &str| integer(s).ok_or_else(|| format!("Illegal number: {s}"));
        let mtime = |p: &str| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        Ok(match op {
            "=" | "==" => l == r,
            "!=" => l != r,
            "<" => l < r,
            ">" => l > r,
            "-eq" => num(l)? == num(r)?,
            "-ne" => num(l)? != num(r)?,
            "-lt" => num(l)? < num(r)?,
            "-le" => num(l)? <= num(r)?,
            "-gt" => num(l)? > num(r)?,
            "-ge" => num(l)? >= num(r)?,
            "-nt" => matches!((mtime(l), mtime(r)), (Some(a), Some(b)) if a > b),
            "-ot" => matches!((mtime(l), mtime(r)), (Some(a), Some(b)) if a < b),
            "-ef" => {
                use std::os::unix::fs::MetadataExt;
                match (std::fs::metadata(l), std::fs::metadata(r)) {
                    (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
                    _ => false,
                }
            }
            "-a" => !l.is_empty() && !r.is_empty(),
            _ => !l.is_empty() || !r.is_empty(),
        })
    }
}

fn fd_ref(fd: i32) -> std::os::fd::BorrowedFd<'static> {
    // SAFETY: only used for isatty, which tolerates closed descriptors (it returns an error).
    unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(args: &[&str]) -> i32 {
        test(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn test_table() {
        let cases: &[(&[&str], i32)] = &[
            (&[], 1),
            (&["x"], 0),
            (&[""], 1),
            (&["-n", "x"], 0),
            (&["-z", "x"], 1),
            (&["!", "x"], 1),
            (&["a", "=", "a"], 0),
            (&["a", "!=", "a"], 1),
            (&["1", "-lt", "2"], 0),
            (&["10", "-gt", "9"], 0),
            (&["x", "-eq", "1"], 2),
            (&["0x10", "-eq", "16"], 2),
            (&["010", "-eq", "10"], 0),
            (&[" 5 ", "-eq", "+5"], 0),
            (&["-d", "/"], 0),
            (&["-f", "/"], 1),
            (&["-e", "/nonexistent/x"], 1),
            (&["!", "a", "=", "b"], 0),
            (&["a", "-a", "", "-o", "b"], 0),
            (&["(", "1", "-eq", "1", ")"], 0),
            (&["-n", "a", "-a", "-z", "b"], 1),
            (&["="], 0),
            (&["-x"], 0),
        ];
        for (args, want) in cases {
            assert_eq!(t(args), *want, "{args:?}");
        }
    }
}
