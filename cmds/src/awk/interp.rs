//! The tree-walking interpreter: variables, records and fields (split lazily), expressions,
//! statements and the main loop over BEGIN, input records and END.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::rc::Rc;

use regex::bytes::Regex;

use super::ast::*;
use super::ere;
use super::io::Streams;
use super::record::{split_fields, FieldSep, RecordReader, RecordSep};
use super::value::Value;

pub type Array = BTreeMap<Vec<u8>, Value>;

/// The largest field number a program may use (`$n`, `NF = n`): a typo must not eat the memory.
const MAX_FIELD: f64 = 1e6;

#[derive(Debug, Clone)]
pub enum Cell {
    Uninit,
    Val(Value),
    Arr(Rc<RefCell<Array>>),
}

/// Why evaluation stopped early.
#[derive(Debug)]
pub enum Abort {
    Exit(i32),
    Next,
    NextFile,
    Error(String),
}

pub type Res<T> = Result<T, Abort>;

pub fn err<T>(msg: impl Into<String>) -> Res<T> {
    Err(Abort::Error(msg.into()))
}

pub enum Flow {
    Normal,
    Break,
    Continue,
    Return(Value),
}

/// An assignable place, with its subscripts or field number already evaluated.
pub enum Place {
    Var(Var),
    Field(usize),
    Elem(Rc<RefCell<Array>>, Vec<u8>),
}

pub(super) struct MainInput {
    pub(super) reader: Option<RecordReader>,
    next_arg: usize,
    opened_any: bool,
}

pub struct Interp<'p> {
    pub(super) prog: &'p Program,
    pub(super) globals: Vec<Cell>,
    pub(super) frames: Vec<Vec<Cell>>,
    pub(super) record: Rc<[u8]>,
    pub(super) fields: Vec<Value>,
    pub(super) split_done: bool,
    pub(super) rec_fs: Rc<FieldSep>,
    pub(super) cur_fs: Rc<FieldSep>,
    pub(super) convfmt: Vec<u8>,
    pub(super) ofmt: Vec<u8>,
    pub(super) ofs: Vec<u8>,
    pub(super) ors: Vec<u8>,
    pub(super) subsep: Vec<u8>,
    pub(super) rs: RecordSep,
    pub(super) regex_cache: HashMap<Vec<u8>, Rc<Regex>>,
    pub(super) streams: Streams,
    pub(super) main: MainInput,
    pub(super) range_active: Vec<bool>,
    pub(super) rand_seed: f64,
    pub(super) rand_state: u64,
    pub(super) status: i32,
}

fn str_val(s: &str) -> Cell {
    Cell::Val(Value::str(s.as_bytes()))
}

impl<'p> Interp<'p> {
    pub fn new(prog: &'p Program, argv: Vec<Vec<u8>>) -> Interp<'p> {
        let mut globals = vec![Cell::Uninit; prog.globals.len()];
        globals[FS] = str_val(" ");
        globals[OFS] = str_val(" ");
        globals[ORS] = str_val("\n");
        globals[RS] = str_val("\n");
        globals[SUBSEP] = str_val("\x1c");
        globals[CONVFMT] = str_val("%.6g");
        globals[OFMT] = str_val("%.6g");
        globals[NR] = Cell::Val(Value::Num(0.0));
        globals[FNR] = Cell::Val(Value::Num(0.0));
        globals[RSTART] = Cell::Val(Value::Num(0.0));
        globals[RLENGTH] = Cell::Val(Value::Num(-1.0));
        globals[FILENAME] = str_val("");
        let mut env = Array::new();
        for (k, v) in std::env::vars_os() {
            use std::os::unix::ffi::OsStrExt;
            env.insert(k.as_bytes().to_vec(), Value::strnum(v.as_bytes()));
        }
        globals[ENVIRON] = Cell::Arr(Rc::new(RefCell::new(env)));
        globals[ARGC] = Cell::Val(Value::Num(argv.len() as f64));
        let mut args = Array::new();
        for (i, a) in argv.iter().enumerate() {
            args.insert(i.to_string().into_bytes(), Value::strnum(a));
        }
        globals[ARGV] = Cell::Arr(Rc::new(RefCell::new(args)));
        Interp {
            prog,
            globals,
            frames: Vec::new(),
            record: Rc::from(&b""[..]),
            fields: Vec::new(),
            split_done: true,
            rec_fs: Rc::new(FieldSep::Blank),
            cur_fs: Rc::new(FieldSep::Blank),
            convfmt: b"%.6g".to_vec(),
            ofmt: b"%.6g".to_vec(),
            ofs: b" ".to_vec(),
            ors: b"\n".to_vec(),
            subsep: b"\x1c".to_vec(),
            rs: RecordSep::Byte(b'\n'),
            regex_cache: HashMap::new(),
            streams: Streams::new(),
            main: MainInput {
                reader: None,
                next_arg: 1,
                opened_any: false,
            },
            range_active: vec![false; prog.rules.len()],
            rand_seed: 1.0,
            rand_state: 1,
            status: 0,
        }
    }

    // ---- variables -------------------------------------------------------------------

    pub(super) fn cell(&mut self, v: Var) -> &mut Cell {
        match v {
            Var::Global(i) => &mut self.globals[i],
            Var::Local(i) => {
                let n = self.frames.len() - 1;
                &mut self.frames[n][i]
            }
        }
    }

    pub(super) fn var_name(&self, v: Var) -> String {
        match v {
            Var::Global(i) => self.prog.globals[i].clone(),
            Var::Local(i) => format!("parameter {}", i + 1),
        }
    }

    pub fn get_var(&mut self, v: Var) -> Res<Value> {
        if v == Var::Global(NF) {
            self.ensure_split();
            return Ok(Value::Num(self.fields.len() as f64));
        }
        match self.cell(v) {
            Cell::Uninit => Ok(Value::Uninit),
            Cell::Val(x) => Ok(x.clone()),
            Cell::Arr(_) => err(format!(
                "can't use array {} in scalar context",
                self.var_name(v)
            )),
        }
    }

    pub fn set_var(&mut self, v: Var, val: Value) -> Res<()> {
        if let Var::Global(i) = v {
            if i < SPECIALS.len() {
                return self.set_special(i, val);
            }
        }
        if let Cell::Arr(_) = self.cell(v) {
            return err(format!(
                "can't assign to {}; it's an array name.",
                self.var_name(v)
            ));
        }
        *self.cell(v) = Cell::Val(val);
        Ok(())
    }

    pub(super) fn set_special(&mut self, i: usize, val: Value) -> Res<()> {
        let s = || val.bytes(b"%.6g").to_vec();
        match i {
            NF => {
                let n = val.num();
                if n < 0.0 || n.is_nan() {
                    return err("NF set to negative value");
                }
                if n > MAX_FIELD {
                    return err(format!("NF set to {} (too large)", n as i64));
                }
                self.set_nf(n as usize);
                return Ok(());
            }
            FS => {
                let fs = val.bytes(&self.convfmt);
                self.cur_fs =
                    Rc::new(FieldSep::new(&fs).map_err(|e| Abort::Error(format!("FS: {e}")))?);
            }
            RS => {
                let rs = val.bytes(&self.convfmt);
                self.rs = RecordSep::new(&rs).map_err(|e| Abort::Error(format!("RS: {e}")))?;
            }
            OFS => self.ofs = s(),
            ORS => self.ors = s(),
            SUBSEP => self.subsep = s(),
            CONVFMT => self.convfmt = s(),
            OFMT => self.ofmt = s(),
            ENVIRON | ARGV => return err("can't assign to an array name"),
            _ => {}
        }
        self.globals[i] = Cell::Val(val);
        Ok(())
    }

    pub fn array(&mut self, v: Var) -> Res<Rc<RefCell<Array>>> {
        let name = self.var_name(v);
        let c = self.cell(v);
        match c {
            Cell::Arr(a) => Ok(a.clone()),
            Cell::Uninit => {
                let a = Rc::new(RefCell::new(Array::new()));
                *c = Cell::Arr(a.clone());
                Ok(a)
            }
            Cell::Val(_) => err(format!("can't use scalar {name} as array")),
        }
    }

    /// Is this variable an array (for `length(x)`)?
    pub fn is_array(&mut self, v: Var) -> bool {
        matches!(self.cell(v), Cell::Arr(_))
    }

    pub fn key(&mut self, subs: &[Expr]) -> Res<Vec<u8>> {
        if let [one] = subs {
            let v = self.eval(one)?;
            return Ok(self.to_bytes(&v).to_vec());
        }
        let mut k = Vec::new();
        for (i, e) in subs.iter().enumerate() {
            if i > 0 {
                k.extend_from_slice(&self.subsep);
            }
            let v = self.eval(e)?;
            k.extend_from_slice(&self.to_bytes(&v));
        }
        Ok(k)
    }

    pub fn to_bytes(&self, v: &Value) -> Rc<[u8]> {
        v.bytes(&self.convfmt)
    }

    /// String for output: numbers through OFMT.
    pub(super) fn out_bytes(&self, v: &Value) -> Rc<[u8]> {
        v.bytes(&self.ofmt)
    }

    // ---- records and fields ----------------------------------------------------------

    pub(super) fn ensure_split(&mut self) {
        if !self.split_done {
            let paragraph = matches!(self.rs, RecordSep::Paragraph);
            split_fields(&self.record, &self.rec_fs, paragraph, &mut self.fields);
            self.split_done = true;
        }
    }

    pub fn set_record(&mut self, rec: &[u8]) {
        self.record = Rc::from(rec);
        self.split_done = false;
        self.rec_fs = self.cur_fs.clone();
    }

    pub(super) fn rebuild(&mut self) {
        let mut r = Vec::new();
        for (i, f) in self.fields.iter().enumerate() {
            if i > 0 {
                r.extend_from_slice(&self.ofs);
            }
            r.extend_from_slice(&f.bytes(&self.convfmt));
        }
        self.record = Rc::from(r);
    }

    pub(super) fn set_nf(&mut self, n: usize) {
        self.ensure_split();
        self.fields.resize(n, Value::Uninit);
        self.rebuild();
    }

    pub fn field(&mut self, i: usize) -> Value {
        if i == 0 {
            return Value::StrNum(self.record.clone());
        }
        self.ensure_split();
        self.fields.get(i - 1).cloned().unwrap_or(Value::Uninit)
    }

    pub(super) fn set_field(&mut self, i: usize, v: Value) {
        if i == 0 {
            let b = self.to_bytes(&v);
            self.set_record(&b);
            return;
        }
        self.ensure_split();
        if i > self.fields.len() {
            self.fields.resize(i, Value::Uninit);
        }
        self.fields[i - 1] = v;
        self.rebuild();
    }

    pub(super) fn field_index(&mut self, e: &Expr) -> Res<usize> {
        let n = self.eval(e)?.num();
        if n < 0.0 || n.is_nan() {
            return err(format!("trying to access out of range field {}", n as i64));
        }
        if n > MAX_FIELD {
            return err(format!("field index {} too large", n as i64));
        }
        Ok(n as usize)
    }

    // ---- places ----------------------------------------------------------------------

    pub fn place(&mut self, e: &Expr) -> Res<Place> {
        match e {
            Expr::Var(v) => Ok(Place::Var(*v)),
            Expr::Field(i) => Ok(Place::Field(self.field_index(i)?)),
            Expr::Index(v, subs) => {
                let k = self.key(subs)?;
                Ok(Place::Elem(self.array(*v)?, k))
            }
            _ => err("assignment to a non-lvalue"),
        }
    }

    pub fn get_place(&mut self, p: &Place) -> Res<Value> {
        match p {
            Place::Var(v) => self.get_var(*v),
            Place::Field(i) => Ok(self.field(*i)),
            Place::Elem(a, k) => {
                let mut a = a.borrow_mut();
                Ok(a.entry(k.clone()).or_insert(Value::Uninit).clone())
            }
        }
    }

    pub fn set_place(&mut self, p: &Place, v: Value) -> Res<()> {
        match p {
            Place::Var(var) => self.set_var(*var, v)?,
            Place::Field(i) => self.set_field(*i, v),
            Place::Elem(a, k) => {
                a.borrow_mut().insert(k.clone(), v);
            }
        }
        Ok(())
    }

    // ---- regexes ---------------------------------------------------------------------

    /// The regex an argument stands for: a literal, or the string value compiled (cached).
    pub fn regex_of(&mut self, e: &Expr) -> Res<Rc<Regex>> {
        if let Expr::Regex(i) = e {
            return Ok(self.prog.regexes[*i].clone());
        }
        let v = self.eval(e)?;
        let s = self.to_bytes(&v);
        self.dyn_regex(&s)
    }

    pub fn dyn_regex(&mut self, s: &[u8]) -> Res<Rc<Regex>> {
        if let Some(r) = self.regex_cache.get(s) {
            return Ok(r.clone());
        }
        let re = ere::compile(s).map_err(|e| {
            Abort::Error(format!(
                "regular expression /{}/: {e}",
                String::from_utf8_lossy(s)
            ))
        })?;
        let re = Rc::new(re);
        if self.regex_cache.len() > 500 {
            self.regex_cache.clear();
        }
        self.regex_cache.insert(s.to_vec(), re.clone());
        Ok(re)
    }

    pub(super) fn matches(&mut self, subject: &Expr, re: &Expr) -> Res<bool> {
        let v = self.eval(subject)?;
        let s = self.to_bytes(&v);
        if let Expr::Regex(i) = re {
            return Ok(self.prog.regexes[*i].is_match(&s));
        }
        let r = self.regex_of(re)?;
        Ok(r.is_match(&s))
    }

    // ---- expressions -----------------------------------------------------------------

    pub fn eval(&mut self, e: &Expr) -> Res<Value> {
        Ok(match e {
            Expr::Num(n) => Value::Num(*n),
            Expr::Str(s) => Value::Str(s.clone()),
            Expr::Regex(i) => {
                let hit = self.prog.regexes[*i].is_match(&self.record);
                Value::Num(hit as i32 as f64)
            }
            Expr::Var(v) => self.get_var(*v)?,
            Expr::Field(i) => {
                let i = self.field_index(i)?;
                self.field(i)
            }
            Expr::Index(v, subs) => {
                let k = self.key(subs)?;
                let a = self.array(*v)?;
                let mut a = a.borrow_mut();
                a.entry(k).or_insert(Value::Uninit).clone()
            }
            Expr::In(subs, v) => {
                let k = self.key(subs)?;
                let a = self.array(*v)?;
                let hit = a.borrow().contains_key(&k);
                Value::Num(hit as i32 as f64)
            }
            Expr::Assign(op, lhs, rhs) => {
                let p = self.place(lhs)?;
                let r = self.eval(rhs)?;
                let v = match op {
                    None => r,
                    Some(op) => {
                        let l = self.get_place(&p)?.num();
                        Value::Num(arith(*op, l, r.num())?)
                    }
                };
                self.set_place(&p, v.clone())?;
                v
            }
            Expr::Cond(c, a, b) => {
                if self.eval(c)?.truth() {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            Expr::And(a, b) => {
                let t = self.eval(a)?.truth() && self.eval(b)?.truth();
                Value::Num(t as i32 as f64)
            }
            Expr::Or(a, b) => {
                let t = self.eval(a)?.truth() || self.eval(b)?.truth();
                Value::Num(t as i32 as f64)
            }
            Expr::Not(a) => Value::Num(!self.eval(a)?.truth() as i32 as f64),
            Expr::Neg(a) => Value::Num(-self.eval(a)?.num()),
            Expr::Plus(a) => Value::Num(self.eval(a)?.num()),
            Expr::Bin(op, a, b) => {
                let x = self.eval(a)?.num();
                let y = self.eval(b)?.num();
                Value::Num(arith(*op, x, y)?)
            }
            Expr::Cmp(op, a, b) => {
                let x = self.eval(a)?;
                let y = self.eval(b)?;
                Value::Num(self.compare(*op, &x, &y) as i32 as f64)
            }
            Expr::Concat(a, b) => {
                let x = self.eval(a)?;
                let y = self.eval(b)?;
                let (x, y) = (self.to_bytes(&x), self.to_bytes(&y));
                let mut s = Vec::with_capacity(x.len() + y.len());
                s.extend_from_slice(&x);
                s.extend_from_slice(&y);
                Value::Str(Rc::from(s))
            }
            Expr::Match(neg, s, re) => Value::Num((self.matches(s, re)? != *neg) as i32 as f64),
            Expr::Incr(pre, delta, lv) => {
                let p = self.place(lv)?;
                let old = self.get_place(&p)?.num();
                self.set_place(&p, Value::Num(old + delta))?;
                Value::Num(if *pre { old + delta } else { old })
            }
            Expr::Call(f, args) => self.call(*f, args)?,
            Expr::Builtin(b, args) => self.builtin(*b, args)?,
            Expr::Getline(src, var) => self.getline(src, var.as_deref())?,
            Expr::Group(list) => {
                let k = self.key(list)?;
                Value::Str(Rc::from(k))
            }
        })
    }

    pub(super) fn compare(&self, op: CmpOp, x: &Value, y: &Value) -> bool {
        if x.is_numeric() && y.is_numeric() {
            // Three-way, as mawk and the one true awk do: NaN compares equal to everything.
            let (a, b) = (x.num(), y.num());
            let ord = if a < b {
                std::cmp::Ordering::Less
            } else if a > b {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            };
            return op.holds(ord);
        }
        let (a, b) = (self.to_bytes(x), self.to_bytes(y));
        op.holds(a.cmp(&b))
    }
}

impl CmpOp {
    pub(super) fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
        }
    }
}

impl Interp<'_> {
    pub(super) fn call(&mut self, f: usize, args: &[Expr]) -> Res<Value> {
        let func = &self.prog.funcs[f];
        if args.len() > func.nparams {
            return err(format!(
                "function {} called with {} args, accepts only {}",
                func.name,
                args.len(),
                func.nparams
            ));
        }
        if self.frames.len() > 8000 {
            return err(format!("function {}: call nesting too deep", func.name));
        }
        let mut frame = Vec::with_capacity(func.nparams);
        // Untyped variables passed along: if the callee makes an array of one, so does the caller.
        let mut untyped = Vec::new();
        for (j, a) in args.iter().enumerate() {
            if let Expr::Var(v) = a {
                match self.cell(*v) {
                    Cell::Arr(arr) => {
                        frame.push(Cell::Arr(arr.clone()));
                        continue;
                    }
                    Cell::Uninit if *v != Var::Global(NF) => {
                        frame.push(Cell::Uninit);
                        untyped.push((j, *v));
                        continue;
                    }
                    _ => {}
                }
            }
            let val = self.eval(a)?;
            frame.push(Cell::Val(val));
        }
        frame.resize(func.nparams, Cell::Uninit);
        self.frames.push(frame);
        let r = self.exec_block(&func.body);
        let frame = self.frames.pop().unwrap_or_default();
        for (j, v) in untyped {
            if let Cell::Arr(a) = &frame[j] {
                if let Cell::Uninit = self.cell(v) {
                    *self.cell(v) = Cell::Arr(a.clone());
                }
            }
        }
        match r? {
            Flow::Return(v) => Ok(v),
            _ => Ok(Value::Uninit),
        }
    }

    pub(super) fn getline(&mut self, src: &GetlineSrc, var: Option<&Expr>) -> Res<Value> {
        let (rec, count_nr) = match src {
            GetlineSrc::Main => match self.next_main_record() {
                Ok(Some(r)) => {
                    self.bump(FNR);
                    (r, true)
                }
                Ok(None) => return Ok(Value::Num(0.0)),
                Err(Abort::Error(_)) => return Ok(Value::Num(-1.0)),
                Err(e) => return Err(e),
            },
            GetlineSrc::File(f) | GetlineSrc::Cmd(f) => {
                let cmd = matches!(src, GetlineSrc::Cmd(_));
                let v = self.eval(f)?;
                let name = self.to_bytes(&v);
                // mawk and the one true awk leave NR alone here, whatever POSIX says.
                match self.streams.getline(cmd, &name, &self.rs) {
                    Ok(Some(r)) => (r, false),
                    Ok(None) => return Ok(Value::Num(0.0)),
                    Err(_) => return Ok(Value::Num(-1.0)),
                }
            }
        };
        if count_nr {
            self.bump(NR);
        }
        match var {
            Some(lv) => {
                let p = self.place(lv)?;
                self.set_place(&p, Value::strnum(&rec))?;
            }
            None => self.set_record(&rec),
        }
        Ok(Value::Num(1.0))
    }

    pub(super) fn bump(&mut self, slot: usize) {
        let n = match &self.globals[slot] {
            Cell::Val(v) => v.num(),
            _ => 0.0,
        };
        self.globals[slot] = Cell::Val(Value::Num(n + 1.0));
    }

    // ---- main input ------------------------------------------------------------------

    pub(super) fn argv(&mut self, i: usize) -> Option<Value> {
        match &self.globals[ARGV] {
            Cell::Arr(a) => a.borrow().get(i.to_string().as_bytes()).cloned(),
            _ => None,
        }
    }

    /// The next record from the files named in ARGV (operand assignments done as reached),
    /// or stdin if none is named.
    pub fn next_main_record(&mut self) -> Res<Option<Vec<u8>>> {
        loop {
            if let Some(r) = self.main.reader.as_mut() {
                match r.read_record(&self.rs) {
                    Ok(Some(rec)) => return Ok(Some(rec)),
                    Ok(None) => self.main.reader = None,
                    Err(e) => return err(format!("read error: {}", crate::error::io_reason(&e))),
                }
            }
            let argc = match &self.globals[ARGC] {
                Cell::Val(v) => v.num().max(0.0) as usize,
                _ => 0,
            };
            let mut opened = false;
            while self.main.next_arg < argc {
                let i = self.main.next_arg;
                self.main.next_arg += 1;
                let Some(arg) = self.argv(i) else { continue };
                let arg = self.to_bytes(&arg).to_vec();
                if arg.is_empty() {
                    continue;
                }
                if let Some((name, value)) = super::assignment(&arg) {
                    let slot = self.prog.globals.iter().position(|g| g.as_bytes() == name);
                    if let Some(slot) = slot {
                        self.set_var(Var::Global(slot), Value::strnum(&value))?;
                    }
                    continue;
                }
                let reader: Box<dyn Read> = if arg == b"-" || arg == b"/dev/stdin" {
                    Box::new(std::io::stdin())
                } else {
                    use std::os::unix::ffi::OsStrExt;
                    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(&arg));
                    match std::fs::File::open(path) {
                        Ok(f) => Box::new(f),
                        Err(e) => {
                            return err(format!(
                                "cannot open {} ({})",
                                String::from_utf8_lossy(&arg),
                                crate::error::io_reason(&e)
                            ))
                        }
                    }
                };
                self.main.reader = Some(RecordReader::new(reader));
                self.globals[FILENAME] = Cell::Val(Value::str(&arg));
                self.globals[FNR] = Cell::Val(Value::Num(0.0));
                self.main.opened_any = true;
                opened = true;
                break;
            }
            if opened {
                continue;
            }
            if !self.main.opened_any {
                self.main.opened_any = true;
                self.main.reader = Some(RecordReader::new(Box::new(std::io::stdin())));
                continue;
            }
            return Ok(None);
        }
    }
}

pub fn arith(op: BinOp, x: f64, y: f64) -> Res<f64> {
    Ok(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => {
            if y == 0.0 {
                return err("division by zero");
            }
            x / y
        }
        BinOp::Mod => {
            if y == 0.0 {
                return err("division by zero in %");
            }
            x % y
        }
        BinOp::Pow => x.powf(y),
    })
}
