//! `$((…))` arithmetic (XCU §2.6.4): signed 64-bit integers with C precedence, variables,
//! assignment operators, `?:`. Parameter expansion has already happened on the text.

/// Where arithmetic reads and writes shell variables.
pub trait ArithVars {
    fn get_var(&self, name: &str) -> Option<String>;
    fn set_var(&mut self, name: &str, value: String);
}

struct Eval<'a> {
    s: Vec<char>,
    i: usize,
    vars: &'a mut dyn ArithVars,
    /// Inside the untaken branch of `&&`, `||` or `?:`: no side effects, no division errors.
    skip: u32,
}

type R = Result<i64, String>;

/// Binary operators by precedence level, loosest first.
const LEVELS: [&[&str]; 9] = [
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<=", ">=", "<", ">"],
    &["<<", ">>"],
    &["+", "-"],
];

pub fn eval(text: &str, vars: &mut dyn ArithVars) -> R {
    let mut e = Eval {
        s: text.chars().collect(),
        i: 0,
        vars,
        skip: 0,
    };
    let v = e.assign()?;
    e.ws();
    if e.i < e.s.len() {
        return Err(format!("syntax error: \"{}\"", text.trim()));
    }
    Ok(v)
}

impl Eval<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, op: &str) -> bool {
        self.ws();
        let n = op.chars().count();
        if self.s.len() >= self.i + n && op.chars().zip(&self.s[self.i..]).all(|(a, &b)| a == b) {
            // Don't take `<` from `<<` or `<=`, `&` from `&&`, `|` from `||`, `=` from `==`.
            let next = self.s.get(self.i + n).copied();
            let longer = match op {
                "<" => matches!(next, Some('<' | '=')),
                ">" => matches!(next, Some('>' | '=')),
                "&" => next == Some('&') || next == Some('='),
                "|" => next == Some('|') || next == Some('='),
                "=" => next == Some('='),
                "!" => next == Some('='),
                "+" | "-" | "*" | "/" | "%" | "^" | "<<" | ">>" => next == Some('='),
                _ => false,
            };
            if !longer {
                self.i += n;
                return true;
            }
        }
        false
    }

    fn name(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            if self.i == start && self.s[self.i].is_ascii_digit() {
                return None;
            }
            self.i += 1;
        }
        (self.i > start).then(|| self.s[start..self.i].iter().collect())
    }

    fn var_value(&mut self, name: &str) -> R {
        match self.vars.get_var(name) {
            None => Ok(0),
            Some(v) if v.trim().is_empty() => Ok(0),
            Some(v) => constant(v.trim()).ok_or_else(|| format!("{name}: bad number '{v}'")),
        }
    }

    fn assign(&mut self) -> R {
        let save = self.i;
        if let Some(name) = self.name() {
            for op in [
                "=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "|=", "^=",
            ] {
                if self.eat(op) {
                    let rhs = self.assign()?;
                    let v = if op == "=" {
                        rhs
                    } else {
                        let cur = self.var_value(&name)?;
                        self.binop(&op[..op.len() - 1], cur, rhs)?
                    };
                    if self.skip == 0 {
                        self.vars.set_var(&name, v.to_string());
                    }
                    return Ok(v);
                }
            }
        }
        self.i = save;
        self.ternary()
    }

    fn ternary(&mut self) -> R {
        let c = self.level(0)?;
        if !self.eat("?") {
            return Ok(c);
        }
        if c == 0 {
            self.skip += 1;
        }
        let a = self.assign()?;
        if c == 0 {
            self.skip -= 1;
        }
        if !self.eat(":") {
            return Err("expected ':'".into());
        }
        if c != 0 {
            self.skip += 1;
        }
        let b = self.ternary()?;
        if c != 0 {
            self.skip -= 1;
        }
        Ok(if c != 0 { a } else { b })
    }

    fn level(&mut self, n: usize) -> R {
        if n == LEVELS.len() {
            return self.mul();
        }
        let mut v = self.level(n + 1)?;
        'outer: loop {
            for &op in LEVELS[n] {
                if self.eat(op) {
                    let short = (op == "&&" && v == 0) || (op == "||" && v != 0);
                    if short {
                        self.skip += 1;
                    }
                    let r = self.level(n + 1);
                    if short {
                        self.skip -= 1;
                    }
                    v = self.binop(op, v, r?)?;
                    continue 'outer;
                }
            }
            return Ok(v);
        }
    }

    fn mul(&mut self) -> R {
        let mut v = self.unary()?;
        loop {
            let op = if self.eat("*") {
                "*"
            } else if self.eat("/") {
                "/"
            } else if self.eat("%") {
                "%"
            } else {
                return Ok(v);
            };
            let r = self.unary()?;
            v = self.binop(op, v, r)?;
        }
    }

    fn binop(&self, op: &str, a: i64, b: i64) -> R {
        Ok(match op {
            "||" => (a != 0 || b != 0) as i64,
            "&&" => (a != 0 && b != 0) as i64,
            "|" => a | b,
            "^" => a ^ b,
            "&" => a & b,
            "==" => (a == b) as i64,
            "!=" => (a != b) as i64,
            "<" => (a < b) as i64,
            ">" => (a > b) as i64,
            "<=" => (a <= b) as i64,
            ">=" => (a >= b) as i64,
            "<<" => a.wrapping_shl(b as u32),
            ">>" => a.wrapping_shr(b as u32),
            "+" => a.wrapping_add(b),
            "-" => a.wrapping_sub(b),
            "*" => a.wrapping_mul(b),
            "/" | "%" if b == 0 => {
                if self.skip > 0 {
                    0
                } else {
                    return Err("division by zero".into());
                }
            }
            "/" => a.wrapping_div(b),
            _ => a.wrapping_rem(b),
        })
    }

    fn unary(&mut self) -> R {
        if self.eat("-") {
            return Ok(self.unary()?.wrapping_neg());
        }
        if self.eat("+") {
            return self.unary();
        }
        if self.eat("!") {
            return Ok((self.unary()? == 0) as i64);
        }
        if self.eat("~") {
            return Ok(!self.unary()?);
        }
        self.primary()
    }

    fn primary(&mut self) -> R {
        self.ws();
        if self.eat("(") {
            let v = self.assign()?;
            if !self.eat(")") {
                return Err("expected ')'".into());
            }
            return Ok(v);
        }
        if let Some(name) = self.name() {
            return self.var_value(&name);
        }
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            self.i += 1;
        }
        let tok: String = self.s[start..self.i].iter().collect();
        if tok.is_empty() {
            let rest: String = self.s[self.i..].iter().collect();
            return Err(format!("expecting primary: \"{}\"", rest.trim()));
        }
        constant(&tok).ok_or_else(|| format!("bad number '{tok}'"))
    }
}

/// An arithmetic constant: decimal, `0x` hex or leading-`0` octal, with an optional sign. One
/// too large for 64 bits is clamped to the largest (or smallest) value, as dash's strtoimax
/// does.
fn constant(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (radix, body) = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, h)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() {
        return None;
    }
    let mut v: Option<i64> = Some(0);
    for c in body.chars() {
        let d = i64::from(c.to_digit(radix)?);
        v = v
            .and_then(|v| v.checked_mul(i64::from(radix)))
            .and_then(|v| v.checked_add(d));
    }
    Some(match (v, neg) {
        (Some(v), true) => -v,
        (Some(v), false) => v,
        (None, true) => i64::MIN,
        (None, false) => i64::MAX,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    impl ArithVars for HashMap<String, String> {
        fn get_var(&self, name: &str) -> Option<String> {
            self.get(name).cloned()
        }
        fn set_var(&mut self, name: &str, value: String) {
            self.insert(name.to_string(), value);
        }
    }

    #[test]
    fn eval_table() {
        let cases: [(&str, R); 29] = [
            ("1 + 2 * 3", Ok(7)),
            ("(1 + 2) * 3", Ok(9)),
            ("7 / 2", Ok(3)),
            ("-7 % 3", Ok(-1)),
            ("2 < 3", Ok(1)),
            ("3 <= 2", Ok(0)),
            ("1 == 1 && 2 != 2", Ok(0)),
            ("0 || 5", Ok(1)),
            ("x + 1", Ok(42)),
            ("unset + 1", Ok(1)),
            ("1 << 4 | 1", Ok(17)),
            ("!0", Ok(1)),
            ("~0", Ok(-1)),
            ("0x10 + 010", Ok(24)),
            ("1 ? 2 : 3", Ok(2)),
            ("0 ? 2 : 3", Ok(3)),
            ("1 / 0", Err("division by zero".into())),
            ("0 && 1 / 0", Ok(0)),
            ("y = 5", Ok(5)),
            ("x += 1", Ok(42)),
            ("", Err("expecting primary: \"\"".into())),
            ("2 +", Err("expecting primary: \"\"".into())),
            ("1 2", Err("syntax error: \"1 2\"".into())),
            ("- -3", Ok(3)),
            ("99999999999999999999", Ok(i64::MAX)),
            ("-99999999999999999999", Ok(-i64::MAX)),
            ("0xffffffffffffffff", Ok(i64::MAX)),
            ("0x", Err("bad number '0x'".into())),
            ("08", Err("bad number '08'".into())),
        ];
        for (text, want) in cases {
            let mut vars: HashMap<String, String> =
                HashMap::from([("x".to_string(), "41".to_string())]);
            assert_eq!(eval(text, &mut vars), want, "{text}");
        }
        let mut vars = HashMap::new();
        assert!(eval("z = 3, 1", &mut vars).is_err());
        assert_eq!(eval("z = 3", &mut vars), Ok(3));
        assert_eq!(vars.get("z").map(String::as_str), Some("3"));
    }
}
