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
        if let Some((r0, k)) = shift(&old[..text_rows], &frame.rows[..text_rows]) {
            // Scroll only the rows from the first change down to the status line (exclusive):
            // an opened or deleted line, or the view moving, costs a few bytes, not a repaint.
            out.extend_from_slice(format!("\x1b[{};{text_rows}r", r0 + 1).as_bytes());
            if k > 0 {
                let k = k as usize;
                out.extend_from_slice(format!("\x1b[{text_rows};1H").as_bytes());
                out.extend(std::iter::repeat_n(b'\n', k));
                old.drain(r0..r0 + k);
                for _ in 0..k {
                    old.insert(text_rows - k, Row::default());
                }
            } else {
                let k = k.unsigned_abs();
                out.extend_from_slice(format!("\x1b[{};1H", r0 + 1).as_bytes());
                for _ in 0..k {
                    out.extend_from_slice(b"\x1bM");
                    old.insert(r0, Row::default());
                    old.remove(text_rows);
                }
            }
            out.extend_from_slice(b"\x1b[r");
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

/// From the first row that differs, the rest moved by `k` rows (positive: up) and at least
/// two rows stay valid: worth scrolling. Returns (first changed row, k).
fn shift(old: &[Row], new: &[Row]) -> Option<(usize, isize)> {
    let n = old.len();
    let r0 = (0..n).find(|&r| old[r] != new[r])?;
    let rest = n - r0;
    // Rows worth keeping: more than a `~` or an empty row.
    let worth = |rows: &[Row]| rows.iter().filter(|r| r.width > 1).count() >= 2;
    for k in 1..rest.saturating_sub(1) {
        if old[r0 + k..] == new[r0..n - k] && worth(&old[r0 + k..]) {
            return Some((r0, k as isize));
        }
        if old[r0..n - k] == new[r0 + k..] && worth(&old[r0..n - k]) {
            return Some((r0, -(k as isize)));
        }
    }
    None
}

/// A small ANSI terminal that understands what [`Screen::update`] sends, so tests check
/// what a user would see rather than the bytes.
#[cfg(test)]
pub mod test_terminal {
    pub struct Terminal {
        cols: usize,
        grid: Vec<Vec<char>>,
        cur: (usize, usize),
        region: (usize, usize),
    }

    impl Terminal {
        pub fn new(rows: usize, cols: usize) -> Terminal {
            Terminal {
                cols,
                grid: vec![vec![' '; cols]; rows],
                cur: (0, 0),
                region: (0, rows - 1),
            }
        }

        fn scroll_up(&mut self) {
            let (t, b) = self.region;
            self.grid.remove(t);
            self.grid.insert(b, vec![' '; self.cols]);
        }

        fn scroll_down(&mut self) {
            let (t, b) = self.region;
            self.grid.remove(b);
            self.grid.insert(t, vec![' '; self.cols]);
        }

        pub fn apply(&mut self, bytes: &[u8]) {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\x1b' => match chars.next() {
                        Some('M') => {
                            if self.cur.0 == self.region.0 {
                                self.scroll_down();
                            } else {
                                self.cur.0 -= 1;
                            }
                        }
                        Some('[') => {
                            let mut params = String::new();
                            let mut fin = ' ';
                            for d in chars.by_ref() {
                                if ('@'..='~').contains(&d) {
                                    fin = d;
                                    break;
                                }
                                params.push(d);
                            }
                            let nums: Vec<usize> = params
                                .trim_start_matches('?')
                                .split(';')
                                .map(|p| p.parse().unwrap_or(0))
                                .collect();
                            let arg = |i: usize, d: usize| {
                                nums.get(i).copied().filter(|&n| n > 0).unwrap_or(d)
                            };
                            match fin {
                                'H' => self.cur = (arg(0, 1) - 1, arg(1, 1) - 1),
                                'K' => {
                                    let (r, c) = self.cur;
                                    for cell in &mut self.grid[r][c.min(self.cols)..] {
                                        *cell = ' ';
                                    }
                                }
                                'J' => {
                                    for row in &mut self.grid {
                                        row.fill(' ');
                                    }
                                }
                                'r' => {
                                    let rows = self.grid.len();
                                    self.region = (arg(0, 1) - 1, arg(1, rows) - 1);
                                    self.cur = (0, 0);
                                }
                                'h' | 'l' => {}
                                other => panic!("unexpected sequence {params:?}{other}"),
                            }
                        }
                        other => panic!("unexpected ESC {other:?}"),
                    },
                    '\n' => {
                        if self.cur.0 == self.region.1 {
                            self.scroll_up();
                        } else {
                            self.cur.0 += 1;
                        }
                    }
                    '\r' => self.cur.1 = 0,
                    c => {
                        assert!(self.cur.1 < self.cols, "write past the last column");
                        self.grid[self.cur.0][self.cur.1] = c;
                        self.cur.1 += 1;
                    }
                }
            }
        }

        pub fn lines(&self) -> Vec<String> {
            self.grid
                .iter()
                .map(|r| r.iter().collect::<String>().trim_end().to_string())
                .collect()
        }

        pub fn cursor(&self) -> (usize, usize) {
            self.cur
        }
    }
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
        let first = s.update(&frame(&["aa", "bb", "cc", "dd", "st"]), 80);
        assert!(first.starts_with(b"\x1b[H\x1b[2J"));
        let second = s.update(&frame(&["aa", "BB", "cc", "dd", "st"]), 80);
        assert_eq!(
            String::from_utf8_lossy(&second),
            "\x1b[?25l\x1b[2;1HBB\x1b[K\x1b[1;1H\x1b[?25h"
        );
        let same = s.update(&frame(&["aa", "BB", "cc", "dd", "st"]), 80);
        assert_eq!(same, b"\x1b[1;1H");
        let scrolled =
            String::from_utf8_lossy(&s.update(&frame(&["BB", "cc", "dd", "ee", "st"]), 80))
                .into_owned();
        assert!(
            scrolled.starts_with("\x1b[1;4r\x1b[4;1H\n\x1b[r"),
            "{scrolled:?}"
        );
        assert!(scrolled.contains("\x1b[4;1Hee\x1b[K"), "{scrolled:?}");
        assert!(!scrolled.contains("1HBB"), "{scrolled:?}");
        // A line opened in the middle scrolls the rows below it down.
        let opened =
            String::from_utf8_lossy(&s.update(&frame(&["BB", "new", "cc", "dd", "st"]), 80))
                .into_owned();
        assert!(
            opened.starts_with("\x1b[2;4r\x1b[2;1H\x1bM\x1b[r"),
            "{opened:?}"
        );
        assert!(!opened.contains("cc"), "{opened:?}");
    }
}
