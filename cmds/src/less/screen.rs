//! Screen: how one line of text looks on the terminal. Tabs expand to 8 columns, control
//! characters show as `^X` (ESC sequences pass through with -R), bytes that are not UTF-8
//! as `<XX>`, search matches in reverse video; long lines wrap into rows or are chopped.

use regex::bytes::Regex;

/// One terminal column (or an invisible escape sequence passed through with -R).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    /// Shown in reverse video (a search match).
    pub highlight: bool,
    /// An escape sequence: no width.
    pub raw: bool,
}

/// One screen row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// The whole row in reverse video (the status line's standout text).
    pub standout: bool,
}

const REVERSE: &str = "\x1b[7m";
const NORMAL: &str = "\x1b[m";

impl Row {
    pub fn text(s: &str, standout: bool) -> Row {
        Row {
            cells: s
                .chars()
                .map(|c| Cell {
                    text: c.to_string(),
                    highlight: false,
                    raw: false,
                })
                .collect(),
            standout,
        }
    }

    /// What a user reads: the visible characters.
    #[cfg(test)]
    pub fn plain(&self) -> String {
        self.cells
            .iter()
            .filter(|c| !c.raw)
            .map(|c| c.text.as_str())
            .collect()
    }

    /// The row as terminal output, with reverse video where highlighted.
    pub fn ansi(&self) -> String {
        let mut out = String::new();
        let mut on = false;
        if self.standout {
            out.push_str(REVERSE);
        }
        for c in &self.cells {
            if !self.standout && c.highlight != on && !c.raw {
                out.push_str(if c.highlight { REVERSE } else { NORMAL });
                on = c.highlight;
            }
            out.push_str(&c.text);
        }
        if on || self.standout || self.cells.iter().any(|c| c.raw) {
            out.push_str(NORMAL);
        }
        out
    }

    fn width(&self) -> usize {
        self.cells.iter().filter(|c| !c.raw).count()
    }
}

/// How lines are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub cols: usize,
    /// -S: chop long lines instead of wrapping.
    pub chop: bool,
    /// -R: pass ESC sequences through.
    pub raw: bool,
    /// -N: a line number column.
    pub numbers: bool,
}

/// Length of an ESC sequence at the start of `b` (CSI `ESC [ ... final`, or ESC + one byte).
fn escape_len(b: &[u8]) -> usize {
    if b.get(1) == Some(&b'[') {
        let mut i = 2;
        while let Some(&c) = b.get(i) {
            if (0x40..=0x7e).contains(&c) {
                return i + 1;
            }
            i += 1;
        }
        b.len()
    } else {
        b.len().min(2)
    }
}

/// The cells of one line, each knowing whether its bytes fall in a match of `pattern`.
pub fn cells(line: &[u8], pattern: Option<&Regex>, look: &Look) -> Vec<Cell> {
    let matches: Vec<(usize, usize)> = pattern
        .map(|re| {
            re.find_iter(line)
                .filter(|m| m.end() > m.start())
                .map(|m| (m.start(), m.end()))
                .collect()
        })
        .unwrap_or_default();
    let hit = |start: usize, end: usize| matches.iter().any(|&(s, e)| s < end && start < e);
    let mut out: Vec<Cell> = Vec::new();
    let mut column = 0;
    let mut i = 0;
    let push = |out: &mut Vec<Cell>, text: String, hl: bool, raw: bool, column: &mut usize| {
        if !raw {
            *column += 1;
        }
        out.push(Cell {
            text,
            highlight: hl,
            raw,
        });
    };
    while i < line.len() {
        let b = line[i];
        if b == b'\t' {
            let hl = hit(i, i + 1);
            loop {
                push(&mut out, " ".into(), hl, false, &mut column);
                if column % 8 == 0 {
                    break;
                }
            }
            i += 1;
        } else if b == 0x1b && look.raw {
            let n = escape_len(&line[i..]);
            let seq = String::from_utf8_lossy(&line[i..i + n]).into_owned();
            push(&mut out, seq, false, true, &mut column);
            i += n;
        } else if b < 0x20 || b == 0x7f {
            let hl = hit(i, i + 1);
            push(&mut out, "^".into(), hl, false, &mut column);
            push(
                &mut out,
                ((b ^ 0x40) as char).to_string(),
                hl,
                false,
                &mut column,
            );
            i += 1;
        } else if b < 0x80 {
            push(
                &mut out,
                (b as char).to_string(),
                hit(i, i + 1),
                false,
                &mut column,
            );
            i += 1;
        } else {
            let len = match b {
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf4 => 4,
                _ => 0,
            };
            match line.get(i..i + len).map(std::str::from_utf8) {
                Some(Ok(s)) if len > 0 && !s.chars().any(char::is_control) => {
                    push(&mut out, s.to_string(), hit(i, i + len), false, &mut column);
                    i += len;
                }
                _ => {
                    let hl = hit(i, i + 1);
                    for c in format!("<{b:02X}>").chars() {
                        push(&mut out, c.to_string(), hl, false, &mut column);
                    }
                    i += 1;
                }
            }
        }
    }
    out
}

/// The rows line number `number` (1-based) takes on the screen.
pub fn rows(line: &[u8], number: usize, pattern: Option<&Regex>, look: &Look) -> Vec<Row> {
    let gutter = if look.numbers { 8 } else { 0 };
    let width = look.cols.saturating_sub(gutter).max(1);
    let all = cells(line, pattern, look);
    let mut out = Vec::new();
    let mut row = Row::default();
    for cell in all {
        if !cell.raw && row.width() == width {
            out.push(std::mem::take(&mut row));
            if look.chop {
                break;
            }
        }
        row.cells.push(cell);
    }
    if out.is_empty() || !row.cells.is_empty() {
        out.push(row);
    }
    if look.numbers {
        for (k, r) in out.iter_mut().enumerate() {
            let prefix = if k == 0 {
                format!("{number:>7} ")
            } else {
                " ".repeat(8)
            };
            let mut cells = Row::text(&prefix, false).cells;
            cells.append(&mut r.cells);
            r.cells = cells;
        }
    }
    out
}

/// How many rows a line takes (without building highlight information).
pub fn row_count(line: &[u8], look: &Look) -> usize {
    if look.chop {
        return 1;
    }
    let gutter = if look.numbers { 8 } else { 0 };
    let width = look.cols.saturating_sub(gutter).max(1);
    let visible = cells(line, None, look).iter().filter(|c| !c.raw).count();
    visible.div_ceil(width).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOK: Look = Look {
        cols: 10,
        chop: false,
        raw: false,
        numbers: false,
    };

    fn plain(line: &[u8], look: &Look) -> Vec<String> {
        rows(line, 1, None, look).iter().map(Row::plain).collect()
    }

    #[test]
    fn lines_become_rows() {
        let chop = Look { chop: true, ..LOOK };
        let raw = Look { raw: true, ..LOOK };
        let numbers = Look {
            numbers: true,
            cols: 12,
            ..LOOK
        };
        let cases: [(&[u8], &Look, &[&str]); 9] = [
            (b"", &LOOK, &[""]),
            (b"short", &LOOK, &["short"]),
            (b"0123456789abc", &LOOK, &["0123456789", "abc"]),
            (b"0123456789", &LOOK, &["0123456789"]),
            (b"0123456789abc", &chop, &["0123456789"]),
            (b"a\tb", &LOOK, &["a       b"]),
            (b"a\x01b\x7f", &LOOK, &["a^Ab^?"]),
            (b"\x1b[1mbold\x1b[m", &raw, &["bold"]),
            (b"abcdef", &numbers, &["      1 abcd", "        ef"]),
        ];
        for (line, look, want) in cases {
            assert_eq!(plain(line, look), want, "{line:?}");
        }
        assert_eq!(plain(b"caf\xc3\xa9 \xff", &LOOK), ["café <FF>"]);
        assert_eq!(row_count(b"0123456789abc", &LOOK), 2);
        assert_eq!(row_count(b"", &LOOK), 1);
    }

    #[test]
    fn matches_are_reversed() {
        let re = Regex::new("o+").unwrap();
        let r = &rows(b"foo bar", 1, Some(&re), &LOOK)[0];
        assert_eq!(r.ansi(), "f\x1b[7moo\x1b[m bar");
        let hl: Vec<bool> = r.cells.iter().map(|c| c.highlight).collect();
        assert_eq!(hl, [false, true, true, false, false, false, false]);
    }
}
