//! What the terminal shows: text laid out in cells (tabs to the next multiple of 8, control
//! bytes as `^X`, bytes that are not UTF-8 as `\xHH`), a frame of rows, and the ANSI bytes
//! that turn the previous frame into the next one, repainting only rows that changed and
//! scrolling with a scroll region when the text moved by a few lines (cheap on a serial line).

use super::buffer::char_len;

pub const TAB: usize = 8;

/// Display cells of `line`: for each character, its byte offset and the cells it shows as.
pub fn cells(line: &[u8]) -> Vec<(usize, Vec<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut col = 0;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        let n = char_len(line, i);
        let shown: Vec<Vec<u8>> = if b == b'\t' {
            let w = TAB - col % TAB;
            vec![vec![b' ']; w]
        } else if b < 0x20 || b == 0x7f {
            vec![vec![b'^'], vec![b ^ 0x40]]
        } else if n == 1 && b >= 0x80 {
            format!("\\x{b:02x}").bytes().map(|c| vec![c]).collect()
        } else {
            vec![line[i..i + n].to_vec()]
        };
        col += shown.len();
        out.push((i, shown));
        i += n;
    }
    out
}

/// Display column where the character at byte `at` starts (or the line's width at its end).
pub fn column(line: &[u8], at: usize) -> usize {
    let mut col = 0;
    for (i, shown) in cells(line) {
        if i >= at {
            return col;
        }
        col += shown.len();
    }
    col
}

/// Width of the character at byte `at` in cells (1 past the end).
pub fn char_width(line: &[u8], at: usize) -> usize {
    cells(line)
        .into_iter()
        .find(|(i, _)| *i == at)
        .map(|(_, s)| s.len())
        .unwrap_or(1)
}

/// The byte offset whose character covers display column `want` (or the last one).
pub fn offset_at_column(line: &[u8], want: usize) -> usize {
    let mut col = 0;
    let mut last = 0;
    for (i, shown) in cells(line) {
        if col + shown.len() > want {
            return i;
        }
        col += shown.len();
        last = i;
    }
    last
}

/// Total display width of `line`.
pub fn width(line: &[u8]) -> usize {
    cells(line).iter().map(|(_, s)| s.len()).sum()
}

/// One screen row: its bytes and how many columns they fill.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub text: Vec<u8>,
    pub width: usize,
}

impl Row {
    pub fn push_cell(&mut self, cell: &[u8]) {
        self.text.extend_from_slice(cell);
        self.width += 1;
    }
    pub fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            let mut buf = [0u8; 4];
            self.push_cell(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    #[cfg(test)]
    pub fn as_string(&self) -> String {
        String::from_utf8_lossy(&self.text).into_owned()
    }
}

/// A whole screen: rows top to bottom and the cursor (row, column), from 0.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    pub rows: Vec<Row>,
    pub cursor: (usize, usize),
}

impl Frame {
    /// The rows as text, for tests.
    #[cfg(test)]
    pub fn lines(&self) -> Vec<String> {
        self.rows.iter().map(Row::as_string).collect()
    }
}

/// The terminal's contents as last drawn, to send only differences.
#[derive(Default)]
pub struct Screen {
    shown: Option<Frame>,
}

fn paint_row(out: &mut Vec<u8>, r: usize, row: &Row, cols: usize) {
    out.extend_from_slice(format!("\x1b[{};1H", r + 1).as_bytes());
    out.extend_from_slice(&row.text);
    // Clearing after a row that fills the width would erase its last cell (pending wrap).
    if row.width < cols {
        out.extend_from_slice(b"\x1b[K");
    }
}

impl Screen {
    /// Forget what is shown: the next update repaints everything.
    pub fn invalidate(&mut self) {
        self.shown = None;
    }

    /// Bytes to send to show `frame` on a `cols`-wide terminal; the last row is the status line
    /// and never scrolls with the text.
    pub fn update(&mut self, frame: &Frame, cols: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let text_rows = frame.rows.len().saturating_sub(1);
        let old: Vec<Row> = match self.shown.take() {
            Some(f) if f.rows.len() == frame.rows.len() => f.rows,
            _ => {
                out.extend_from_slice(b"\x1b[H\x1b[2J");
                vec![Row::default(); frame.rows.len()]
            }
        };
        let mut old = old;
        if text_rows > 2 {
            if let Some(k) = shift(&old[..text_rows], &frame.rows[..text_rows]) {
                out.extend_from_slice(format!("\x1b[1;{text_rows}r").as_bytes());
                if k > 0 {
                    let k = k as usize;
                    out.extend_from_slice(format!("\x1b[{text_rows};1H").as_bytes());
                    out.extend(std::iter::repeat(b'\n').take(k));
                    old.drain(..k);
                    for _ in 0..k {
                        old.insert(text_rows - k, Row::default());
                    }
                } else {
                    let k = (-k) as usize;
                    out.extend_from_slice(b"\x1b[1;1H");
                    for _ in 0..k {
                        out.extend_from_slice(b"\x1bM");
                        old.insert(0, Row::default());
                        old.remove(text_rows);
                    }
                }
                out.extend_from_slice(b"\x1b[r");
            }
        }
        let changed: Vec<usize> = (0..frame.rows.len())
            .filter(|&r| old[r] != frame.rows[r])
            .collect();
        if !changed.is_empty() {
            out.extend_from_slice(b"\x1b[?25l");
        }
        for &r in &changed {
            paint_row(&mut out, r, &frame.rows[r], cols);
        }
        out.extend_from_slice(
            format!("\x1b[{};{}H", frame.cursor.0 + 1, frame.cursor.1 + 1).as_bytes(),
        );
        if !changed.is_empty() {
            out.extend_from_slice(b"\x1b[?25h");
        }
        self.shown = Some(frame.clone());
        out
    }
}

/// The text moved by `k` rows (positive: up) and most rows stay valid: worth scrolling.
fn shift(old: &[Row], new: &[Row]) -> Option<isize> {
    let n = old.len();
    if old == new {
        return None;
    }
    for k in 1..=n / 2 {
        if old[k..] == new[..n - k] {
            return Some(k as isize);
        }
        if old[..n - k] == new[k..] {
            return Some(-(k as isize));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_show_tabs_controls_and_bad_bytes() {
        let show = |l: &[u8]| -> String {
            cells(l)
                .into_iter()
                .flat_map(|(_, s)| s.into_iter().flatten())
                .map(char::from)
                .collect()
        };
        assert_eq!(show(b"a\tb"), "a       b");
        assert_eq!(show(b"\x01x"), "^Ax");
        assert_eq!(show(b"\xffz"), "\\xffz");
        assert_eq!(width("é\t".as_bytes()), 8);
        assert_eq!(column(b"a\tb", 2), 8);
        assert_eq!(offset_at_column(b"a\tb", 5), 1);
        assert_eq!(offset_at_column(b"a\tb", 40), 2);
    }

    fn frame(rows: &[&str]) -> Frame {
        Frame {
            rows: rows
                .iter()
                .map(|r| {
                    let mut row = Row::default();
                    row.push_str(r);
                    row
                })
                .collect(),
            cursor: (0, 0),
        }
    }

    #[test]
    fn repaints_only_changed_rows() {
        let mut s = Screen::default();
        let first = s.update(&frame(&["a", "b", "c", "d", "st"]), 80);
        assert!(first.starts_with(b"\x1b[H\x1b[2J"));
        let second = s.update(&frame(&["a", "B", "c", "d", "st"]), 80);
        assert_eq!(
            String::from_utf8_lossy(&second),
            "\x1b[?25l\x1b[2;1HB\x1b[K\x1b[1;1H\x1b[?25h"
        );
        let same = s.update(&frame(&["a", "B", "c", "d", "st"]), 80);
        assert_eq!(same, b"\x1b[1;1H");
        let scrolled = String::from_utf8_lossy(&s.update(&frame(&["B", "c", "d", "e", "st"]), 80))
            .into_owned();
        assert!(
            scrolled.starts_with("\x1b[1;4r\x1b[4;1H\n\x1b[r"),
            "{scrolled:?}"
        );
        assert!(scrolled.contains("\x1b[4;1He\x1b[K"), "{scrolled:?}");
        assert!(!scrolled.contains("1HB"), "{scrolled:?}");
    }
}
