//! Reading records (RS: one byte, "" for paragraph mode, or a regex as gawk and mawk allow)
//! and splitting them into fields (FS: " " for blanks, one byte, or a regex).

use std::io::{self, Read};
use std::rc::Rc;

use regex::bytes::Regex;

use super::ere;
use super::value::Value;

pub enum RecordSep {
    Byte(u8),
    Paragraph,
    Regex(Regex),
}

impl RecordSep {
    pub fn new(rs: &[u8]) -> Result<RecordSep, String> {
        Ok(match rs {
            [] => RecordSep::Paragraph,
            [b] => RecordSep::Byte(*b),
            _ => RecordSep::Regex(ere::compile(rs)?),
        })
    }
}

pub enum FieldSep {
    Blank,
    Byte(u8),
    Regex(Rc<Regex>),
    /// FS = "": every byte is a field (as gawk, mawk and the one true awk do).
    Chars,
}

impl FieldSep {
    pub fn new(fs: &[u8]) -> Result<FieldSep, String> {
        Ok(match fs {
            b" " => FieldSep::Blank,
            [] => FieldSep::Chars,
            // POSIX: any other single character separates literally.
            [b] => FieldSep::Byte(*b),
            _ => FieldSep::Regex(Rc::new(ere::compile(fs)?)),
        })
    }
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == b'\n'
}

/// Split `rec` into `out` as strnums; in paragraph mode a newline always separates too.
pub fn split_fields(rec: &[u8], fs: &FieldSep, paragraph: bool, out: &mut Vec<Value>) {
    out.clear();
    let mut push = |s: &[u8]| out.push(Value::StrNum(Rc::from(s)));
    match fs {
        FieldSep::Blank => {
            let mut i = 0;
            while i < rec.len() {
                while i < rec.len() && is_blank(rec[i]) {
                    i += 1;
                }
                if i >= rec.len() {
                    break;
                }
                let start = i;
                while i < rec.len() && !is_blank(rec[i]) {
                    i += 1;
                }
                push(&rec[start..i]);
            }
        }
        _ if rec.is_empty() => {}
        FieldSep::Chars => {
            for i in 0..rec.len() {
                push(&rec[i..i + 1]);
            }
        }
        FieldSep::Byte(b) => {
            for f in rec.split(|c| c == b || (paragraph && *c == b'\n')) {
                push(f);
            }
        }
        FieldSep::Regex(re) => {
            let mut start = 0;
            let pieces: Vec<&[u8]> = if paragraph {
                rec.split(|&c| c == b'\n').collect()
            } else {
                vec![rec]
            };
            for piece in pieces {
                start = 0;
                for m in re.find_iter(piece) {
                    if m.start() == m.end() {
                        continue;
                    }
                    push(&piece[start..m.start()]);
                    start = m.end();
                }
                push(&piece[start..]);
            }
            let _ = start;
        }
    }
}

/// A buffered record reader over any byte source.
pub struct RecordReader {
    src: Box<dyn Read>,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl RecordReader {
    pub fn new(src: Box<dyn Read>) -> RecordReader {
        RecordReader {
            src,
            buf: Vec::new(),
            pos: 0,
            eof: false,
        }
    }

    /// Read more input; false at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + 65536, 0);
        let n = loop {
            match self.src.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e);
                }
            }
        };
        self.buf.truncate(old + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    fn take(&mut self, len: usize, skip: usize) -> Vec<u8> {
        let rec = self.buf[self.pos..self.pos + len].to_vec();
        self.pos += len + skip;
        rec
    }

    fn rest(&mut self) -> Option<Vec<u8>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let n = self.buf.len() - self.pos;
        Some(self.take(n, 0))
    }

    pub fn read_record(&mut self, rs: &RecordSep) -> io::Result<Option<Vec<u8>>> {
        match rs {
            RecordSep::Byte(sep) => {
                let mut scanned = 0;
                loop {
                    let avail = &self.buf[self.pos + scanned..];
                    if let Some(k) = avail.iter().position(|c| c == sep) {
                        return Ok(Some(self.take(scanned + k, 1)));
                    }
                    scanned = self.buf.len() - self.pos;
                    if !self.fill()? {
                        return Ok(self.rest());
                    }
                }
            }
            RecordSep::Paragraph => {
                loop {
                    while self.pos < self.buf.len() && self.buf[self.pos] == b'\n' {
                        self.pos += 1;
                    }
                    if self.pos < self.buf.len() || !self.fill()? {
                        break;
                    }
                }
                loop {
                    let avail = &self.buf[self.pos..];
                    if let Some(k) = avail.windows(2).position(|w| w == b"\n\n") {
                        let mut end = self.pos + k;
                        while end < self.buf.len() && self.buf[end] == b'\n' {
                            end += 1;
                        }
                        if end < self.buf.len() || self.eof {
                            let rec = self.buf[self.pos..self.pos + k].to_vec();
                            self.pos = end;
                            return Ok(Some(rec));
                        }
                    }
                    if !self.fill()? {
                        let mut rec = self.rest();
                        if let Some(r) = rec.as_mut() {
                            while r.last() == Some(&b'\n') {
                                r.pop();
                            }
                        }
                        return Ok(rec);
                    }
                }
            }
            RecordSep::Regex(re) => loop {
                let avail = &self.buf[self.pos..];
                let found = re
                    .find_iter(avail)
                    .find(|m| m.start() < m.end())
                    .map(|m| (m.start(), m.end()));
                if let Some((s, e)) = found {
                    if e < avail.len() || self.eof {
                        return Ok(Some(self.take(s, e - s)));
                    }
                }
                if !self.fill()? {
                    if let Some((s, e)) = found {
                        return Ok(Some(self.take(s, e - s)));
                    }
                    return Ok(self.rest());
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &str, rs: &str) -> Vec<String> {
        let mut r = RecordReader::new(Box::new(std::io::Cursor::new(input.as_bytes().to_vec())));
        let rs = RecordSep::new(rs.as_bytes()).unwrap();
        let mut out = Vec::new();
        while let Some(rec) = r.read_record(&rs).unwrap() {
            out.push(String::from_utf8(rec).unwrap());
        }
        out
    }

    fn fields(rec: &str, fs: &str) -> Vec<String> {
        let mut out = Vec::new();
        split_fields(
            rec.as_bytes(),
            &FieldSep::new(fs.as_bytes()).unwrap(),
            false,
            &mut out,
        );
        out.iter()
            .map(|v| String::from_utf8(v.bytes(b"").to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn record_separators() {
        assert_eq!(records("a\nb\n", "\n"), ["a", "b"]);
        assert_eq!(records("a\nb", "\n"), ["a", "b"]);
        assert_eq!(records("a\n\nb\n", "\n"), ["a", "", "b"]);
        assert_eq!(records("a;b;", ";"), ["a", "b"]);
        assert_eq!(records("\n\na\nb\n\n\nc\n", ""), ["a\nb", "c"]);
        assert_eq!(records("a12b345c\n", "[0-9]+"), ["a", "b", "c\n"]);
        assert_eq!(records("", "\n"), Vec::<String>::new());
    }

    #[test]
    fn field_separators() {
        assert_eq!(fields("  a \t b  ", " "), ["a", "b"]);
        assert_eq!(fields("a:b::c", ":"), ["a", "b", "", "c"]);
        assert_eq!(fields("a|b", "|"), ["a", "b"]);
        assert_eq!(fields("a1b22c", "[0-9]+"), ["a", "b", "c"]);
        assert_eq!(fields(" a b", "[ ]"), ["", "a", "b"]);
        assert_eq!(fields("abc", ""), ["a", "b", "c"]);
        assert_eq!(fields("", ":"), Vec::<String>::new());
        assert_eq!(fields("a\tb c", "\t"), ["a", "b c"]);
    }
}
