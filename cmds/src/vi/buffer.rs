//! The text being edited: lines of bytes (any bytes, not only UTF-8), whether the file ended
//! without a newline, and undo/redo as snapshots.
//!
//! Lines are `Rc<Vec<u8>>`, so a snapshot copies one pointer per line and a change copies only
//! the lines it touches (copy on write): undo costs little even for large files.

use std::rc::Rc;

/// A place in the buffer: line index and byte offset in that line (both from 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    pub fn new(line: usize, col: usize) -> Pos {
        Pos { line, col }
    }
}

struct Snapshot {
    lines: Vec<Rc<Vec<u8>>>,
    noeol: bool,
    cursor: Pos,
    version: u64,
}

pub struct Buffer {
    lines: Vec<Rc<Vec<u8>>>,
    /// The file's last line had no newline; writing keeps it so.
    pub noeol: bool,
    version: u64,
    last_version: u64,
    saved_version: u64,
    /// Set by [`Buffer::arm`]: the first change after it records an undo step.
    armed: Option<Pos>,
    undo: Vec<Snapshot>,
    redo: Vec<Snapshot>,
}

/// Bytes of the character starting at `i`: a whole UTF-8 sequence, else one byte.
pub fn char_len(s: &[u8], i: usize) -> usize {
    let n = match s.get(i) {
        Some(0xC2..=0xDF) => 2,
        Some(0xE0..=0xEF) => 3,
        Some(0xF0..=0xF4) => 4,
        _ => return 1,
    };
    if i + n <= s.len() && std::str::from_utf8(&s[i..i + n]).is_ok() {
        n
    } else {
        1
    }
}

/// Start of the character before offset `i` (`i` > 0).
pub fn prev_char(s: &[u8], i: usize) -> usize {
    let mut j = i.saturating_sub(1);
    while j > 0 && i - j < 4 && matches!(s.get(j), Some(0x80..=0xBF)) {
        j -= 1;
    }
    if char_len(s, j) == i - j {
        j
    } else {
        i.saturating_sub(1)
    }
}

/// Offset of the last character of a line (0 for an empty line): where normal mode may stand.
pub fn last_char(s: &[u8]) -> usize {
    if s.is_empty() {
        0
    } else {
        prev_char(s, s.len())
    }
}

impl Buffer {
    pub fn from_bytes(data: &[u8]) -> Buffer {
        let mut lines: Vec<Rc<Vec<u8>>> = data
            .split(|&b| b == b'\n')
            .map(|l| Rc::new(l.to_vec()))
            .collect();
        let noeol = !data.is_empty() && !data.ends_with(b"\n");
        if data.ends_with(b"\n") {
            lines.pop();
        }
        if lines.is_empty() {
            lines.push(Rc::new(Vec::new()));
        }
        Buffer {
            lines,
            noeol,
            version: 0,
            last_version: 0,
            saved_version: 0,
            armed: None,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }

    /// The file contents: lines joined by newlines, a final newline unless the file had none.
    /// A buffer of one empty line is an empty file.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.range_bytes(0, self.lines.len() - 1, !self.noeol)
    }

    /// Lines `a..=b` as file contents.
    pub fn range_bytes(&self, a: usize, b: usize, final_newline: bool) -> Vec<u8> {
        if self.lines.len() == 1 && self.lines[0].is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, l) in self.lines[a..=b].iter().enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            out.extend_from_slice(l);
        }
        if final_newline || b + 1 < self.lines.len() {
            out.push(b'\n');
        }
        out
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn line(&self, i: usize) -> &[u8] {
        self.lines.get(i).map(|l| l.as_slice()).unwrap_or(&[])
    }

    pub fn modified(&self) -> bool {
        self.version != self.saved_version
    }

    pub fn mark_saved(&mut self) {
        self.saved_version = self.version;
    }

    /// Start of a command that may change the text: its first change saves an undo step that
    /// puts the cursor back at `cursor`.
    pub fn arm(&mut self, cursor: Pos) {
        self.armed = Some(cursor);
    }

    fn touch(&mut self) {
        if let Some(cursor) = self.armed.take() {
            self.undo.push(Snapshot {
                lines: self.lines.clone(),
                noeol: self.noeol,
                cursor,
                version: self.version,
            });
            self.redo.clear();
            self.last_version += 1;
            self.version = self.last_version;
        }
    }

    /// Undo one step; the cursor where that step began, or None at the oldest change.
    pub fn undo(&mut self, cursor: Pos) -> Option<Pos> {
        let snap = self.undo.pop()?;
        let back = self.swap(snap, cursor);
        self.redo.push(back.0);
        Some(back.1)
    }

    pub fn redo(&mut self, cursor: Pos) -> Option<Pos> {
        let snap = self.redo.pop()?;
        let back = self.swap(snap, cursor);
        self.undo.push(back.0);
        Some(back.1)
    }

    fn swap(&mut self, snap: Snapshot, cursor: Pos) -> (Snapshot, Pos) {
        let current = Snapshot {
            lines: std::mem::replace(&mut self.lines, snap.lines),
            noeol: self.noeol,
            cursor,
            version: self.version,
        };
        self.noeol = snap.noeol;
        self.version = snap.version;
        self.armed = None;
        (current, snap.cursor)
    }

    fn line_mut(&mut self, i: usize) -> &mut Vec<u8> {
        self.touch();
        Rc::make_mut(&mut self.lines[i])
    }

    /// Insert `text` (which may hold newlines) at `at`; the position just after it.
    pub fn insert(&mut self, at: Pos, text: &[u8]) -> Pos {
        if text.is_empty() {
            return at;
        }
        let col = at.col.min(self.line(at.line).len());
        let line = self.line_mut(at.line);
        let tail = line.split_off(col);
        let mut parts = text.split(|&b| b == b'\n');
        if let Some(first) = parts.next() {
            line.extend_from_slice(first);
        }
        let mut end = Pos::new(at.line, col + text.len());
        let mut row = at.line;
        for part in parts {
            row += 1;
            self.lines.insert(row, Rc::new(part.to_vec()));
            end = Pos::new(row, part.len());
        }
        Rc::make_mut(&mut self.lines[row]).extend_from_slice(&tail);
        end
    }

    /// The text from `a` up to (not including) `b`, newlines between lines.
    pub fn text(&self, a: Pos, b: Pos) -> Vec<u8> {
        let mut out = Vec::new();
        if b <= a {
            return out;
        }
        for l in a.line..=b.line.min(self.len() - 1) {
            let line = self.line(l);
            let from = if l == a.line {
                a.col.min(line.len())
            } else {
                0
            };
            let to = if l == b.line {
                b.col.min(line.len())
            } else {
                line.len()
            };
            out.extend_from_slice(&line[from..to.max(from)]);
            if l < b.line {
                out.push(b'\n');
            }
        }
        out
    }

    /// Delete from `a` up to (not including) `b`; returns the deleted text.
    pub fn delete(&mut self, a: Pos, b: Pos) -> Vec<u8> {
        let b = if b.line >= self.len() {
            Pos::new(self.len() - 1, self.line(self.len() - 1).len())
        } else {
            b
        };
        let gone = self.text(a, b);
        if gone.is_empty() {
            return gone;
        }
        let tail = self.line(b.line)[b.col.min(self.line(b.line).len())..].to_vec();
        let acol = a.col.min(self.line(a.line).len());
        let line = self.line_mut(a.line);
        line.truncate(acol);
        line.extend_from_slice(&tail);
        self.lines.drain(a.line + 1..=b.line);
        gone
    }

    /// Delete lines `a..=b`; the buffer keeps at least one (empty) line. Returns their text.
    pub fn delete_lines(&mut self, a: usize, b: usize) -> Vec<Vec<u8>> {
        self.touch();
        let b = b.min(self.len() - 1);
        let gone: Vec<Vec<u8>> = self.lines.drain(a..=b).map(|l| l.to_vec()).collect();
        if self.lines.is_empty() {
            self.lines.push(Rc::new(Vec::new()));
            self.noeol = false;
        }
        gone
    }

    /// Insert whole lines before line `at` (`at` may be the line count: append).
    pub fn insert_lines(&mut self, at: usize, lines: Vec<Vec<u8>>) {
        if lines.is_empty() {
            return;
        }
        self.touch();
        let at = at.min(self.len());
        self.lines.splice(at..at, lines.into_iter().map(Rc::new));
    }

    /// Replace line `i` if the new contents differ.
    pub fn set_line(&mut self, i: usize, text: Vec<u8>) {
        if self.line(i) != text.as_slice() {
            *self.line_mut(i) = text;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_bytes_and_final_newline() {
        for data in [
            &b""[..],
            b"a\n",
            b"a",
            b"a\nb",
            b"\n\n",
            b"\xff\x00x\n",
            b"caf\xc3\xa9\n",
        ] {
            assert_eq!(Buffer::from_bytes(data).to_bytes(), data, "{data:?}");
        }
    }

    #[test]
    fn insert_delete_and_undo() {
        let mut b = Buffer::from_bytes(b"hello\nworld\n");
        b.arm(Pos::new(0, 0));
        let end = b.insert(Pos::new(0, 5), b" big\nnew");
        assert_eq!(end, Pos::new(1, 3));
        assert_eq!(b.to_bytes(), b"hello big\nnew\nworld\n");
        assert!(b.modified());
        b.arm(Pos::new(0, 0));
        assert_eq!(b.delete(Pos::new(0, 5), Pos::new(1, 3)), b" big\nnew");
        assert_eq!(b.to_bytes(), b"hello\nworld\n");
        assert_eq!(b.undo(Pos::new(0, 0)), Some(Pos::new(0, 0)));
        assert_eq!(b.to_bytes(), b"hello big\nnew\nworld\n");
        b.undo(Pos::new(0, 0));
        assert!(!b.modified());
        assert!(b.undo(Pos::new(0, 0)).is_none());
        b.redo(Pos::new(0, 0));
        assert_eq!(b.to_bytes(), b"hello big\nnew\nworld\n");
    }

    #[test]
    fn char_boundaries() {
        let s = "aé\u{20ac}".as_bytes();
        assert_eq!(char_len(s, 1), 2);
        assert_eq!(char_len(s, 3), 3);
        assert_eq!(prev_char(s, 6), 3);
        assert_eq!(prev_char(s, 3), 1);
        assert_eq!(char_len(b"\xff\xc3", 1), 1);
        assert_eq!(last_char(s), 3);
    }
}
