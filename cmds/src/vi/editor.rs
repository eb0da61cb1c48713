//! The editor core: buffer, cursor, modes and the command interpreter. Pure apart from file
//! reads and writes: keys go in through [`Editor::feed`], [`Editor::render`] gives the screen
//! as a [`Frame`], so tests drive it without a terminal.

use std::path::PathBuf;

use super::buffer::{char_len, last_char, prev_char, Buffer, Pos};
use super::ex::{self, ExCmd};
use super::file;
use super::keys::{Key, ESC};
use super::normal::{
    self, first_non_blank, Action, Cmd, FindKind, Kind, Motion, Op, Parse, Target,
};
use super::screen::{self, Frame, Row};
use crate::error::io_reason;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Insert,
    Replace,
    /// Typing a `:` command or a `/` `?` search.
    CmdLine,
}

/// What the terminal layer must do after a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Continue,
    /// Leave with this exit status.
    Quit(i32),
    /// Repaint everything (Ctrl-L).
    Redraw,
    /// `:!cmd`: run it on the terminal, then repaint.
    Shell(String),
}

/// The unnamed register: what `d`, `c`, `y`, `x` took and `p` puts back.
#[derive(Default)]
struct Register {
    text: Vec<u8>,
    linewise: bool,
}

/// How an insertion with a count repeats: in place (`3ix`), or on new lines (`3ox`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Repeat {
    Here,
    NewLine,
}

pub struct Editor {
    pub buf: Buffer,
    pub path: Option<PathBuf>,
    pub cur: Pos,
    /// The display column `j`/`k` aim for (usize::MAX after `$`).
    want: usize,
    pub mode: Mode,
    pending: Vec<Key>,
    cmdline: Vec<u8>,
    cmd_kind: u8,
    pub message: String,
    top: usize,
    rows: usize,
    cols: usize,
    reg: Register,
    last_find: Option<(FindKind, Vec<u8>)>,
    last_search: Option<(String, bool)>,
    /// Keys of the last change, for `.`.
    dot: Vec<Key>,
    recording: Option<Vec<Key>>,
    replaying: bool,
    insert_count: usize,
    insert_repeat: Repeat,
    typed: Vec<Key>,
    /// Characters `R` overwrote, to give back on backspace (None: it appended).
    replaced: Vec<Option<Vec<u8>>>,
    literal: bool,
    pub number: bool,
    /// `:set ai`: new lines start with the indent of the line before.
    autoindent: bool,
    /// `:set ic`: searches ignore case.
    ignorecase: bool,
    /// `a`–`z`, then `'` (where the last jump started).
    marks: [Option<Pos>; 27],
    /// Earlier `:` lines and searches, for Up/Down on the command line.
    history: Vec<(u8, Vec<u8>)>,
    history_at: usize,
}

fn mark_index(c: u8) -> usize {
    if c.is_ascii_lowercase() {
        usize::from(c - b'a')
    } else {
        26
    }
}

/// The blanks a line starts with.
fn indent_of(line: &[u8]) -> Vec<u8> {
    line.iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .copied()
        .collect()
}

/// Motions after which `''` comes back.
fn is_jump(m: &Motion) -> bool {
    matches!(
        m,
        Motion::GotoFirst
            | Motion::GotoLast
            | Motion::SearchNext
            | Motion::SearchPrev
            | Motion::MatchPair
            | Motion::MarkLine(_)
            | Motion::Mark(_)
            | Motion::ScreenTop
            | Motion::ScreenMiddle
            | Motion::ScreenBottom
    )
}

fn display_name(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => p.display().to_string(),
        None => "[No Name]".to_string(),
    }
}

impl Editor {
    pub fn new(data: &[u8], rows: usize, cols: usize) -> Editor {
        Editor {
            buf: Buffer::from_bytes(data),
            path: None,
            cur: Pos::default(),
            want: 0,
            mode: Mode::Normal,
            pending: Vec::new(),
            cmdline: Vec::new(),
            cmd_kind: b':',
            message: String::new(),
            top: 0,
            rows: rows.max(2),
            cols: cols.max(10),
            reg: Register::default(),
            last_find: None,
            last_search: None,
            dot: Vec::new(),
            recording: None,
            replaying: false,
            insert_count: 1,
            insert_repeat: Repeat::Here,
            typed: Vec::new(),
            replaced: Vec::new(),
            literal: false,
            number: false,
            autoindent: false,
            ignorecase: false,
            marks: [None; 27],
            history: Vec::new(),
            history_at: 0,
        }
    }

    /// Start editing `path` (which need not exist yet).
    pub fn open(path: Option<PathBuf>, rows: usize, cols: usize) -> Editor {
        let mut ed = Editor::new(b"", rows, cols);
        if let Some(p) = path {
            if let Err(e) = ed.load(p.clone()) {
                ed.path = Some(p);
                ed.message = e;
            }
        }
        ed
    }

    /// Read `path` into a fresh buffer; on a read error the current buffer stays.
    fn load(&mut self, path: PathBuf) -> Result<(), String> {
        let name = path.display().to_string();
        let data = file::load(&path).map_err(|e| format!("{name}: {}", io_reason(&e)))?;
        self.message = match &data {
            None => format!("\"{name}\" [New File]"),
            Some(d) => {
                let buf = Buffer::from_bytes(d);
                let eol = if buf.noeol { " [noeol]" } else { "" };
                let writable = nix::unistd::access(&path, nix::unistd::AccessFlags::W_OK).is_ok();
                let ro = if writable { "" } else { " [readonly]" };
                format!(
                    "\"{name}\"{ro}{eol} {}L, {}B",
                    if d.is_empty() { 0 } else { buf.len() },
                    d.len()
                )
            }
        };
        self.buf = Buffer::from_bytes(data.as_deref().unwrap_or(b""));
        self.path = Some(path);
        self.cur = Pos::default();
        self.top = 0;
        self.want = 0;
        Ok(())
    }

    pub fn resize(&mut self, rows: usize, cols: usize) {
        self.rows = rows.max(2);
        self.cols = cols.max(10);
        self.scroll();
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// One key typed.
    pub fn feed(&mut self, key: Key) -> Effect {
        let effect = match self.mode {
            Mode::Normal => self.normal_key(key),
            Mode::Insert | Mode::Replace => {
                self.insert_key(key);
                Effect::Continue
            }
            Mode::CmdLine => self.cmdline_key(key),
        };
        self.clamp();
        self.scroll();
        effect
    }

    fn clamp(&mut self) {
        self.cur.line = self.cur.line.min(self.buf.len() - 1);
        let line = self.buf.line(self.cur.line);
        let max = match self.mode {
            Mode::Normal | Mode::CmdLine => last_char(line),
            Mode::Insert | Mode::Replace => line.len(),
        };
        self.cur.col = self.cur.col.min(max);
    }

    fn normal_key(&mut self, key: Key) -> Effect {
        if self.pending.is_empty() && !self.replaying {
            self.message.clear();
        }
        if key == ESC || key == Key::Byte(0x03) {
            self.pending.clear();
            return Effect::Continue;
        }
        self.pending.push(key);
        match normal::parse(&self.pending) {
            Parse::Incomplete => Effect::Continue,
            Parse::Invalid => {
                self.pending.clear();
                Effect::Continue
            }
            Parse::Done(cmd) => {
                let keys = std::mem::take(&mut self.pending);
                self.execute(cmd, keys)
            }
        }
    }

    fn execute(&mut self, cmd: Cmd, keys: Vec<Key>) -> Effect {
        if cmd.is_change() {
            if !self.replaying {
                self.recording = Some(keys);
            }
            self.buf.arm(self.cur);
        }
        let n = cmd.n();
        let mut effect = Effect::Continue;
        let mut keep_want = false;
        match &cmd.kind {
            Kind::Move(m) => {
                let from = self.cur;
                if let Some(t) = self.target(m, cmd.count, false) {
                    self.cur = t.pos;
                    if is_jump(m) && from != t.pos {
                        self.marks[26] = Some(from);
                    }
                    match m {
                        Motion::Up | Motion::Down => {
                            self.cur.col = self.col_for_want();
                            keep_want = true;
                        }
                        Motion::LineEnd => {
                            self.want = usize::MAX;
                            keep_want = true;
                        }
                        _ => {}
                    }
                }
            }
            Kind::Operate(op, m) => self.operate(*op, m, cmd.count),
            Kind::Lines(op) => {
                let last = (self.cur.line + n - 1).min(self.buf.len() - 1);
                self.op_lines(*op, self.cur.line, last);
            }
            Kind::Do(a) => {
                effect = self.action(a, &cmd);
                keep_want = matches!(
                    a,
                    Action::HalfDown | Action::HalfUp | Action::LineDown | Action::LineUp
                );
            }
        }
        if self.mode == Mode::Normal {
            if let Some(r) = self.recording.take() {
                self.dot = r;
            }
        }
        self.clamp();
        if !keep_want {
            self.want = screen::column(self.buf.line(self.cur.line), self.cur.col);
        }
        effect
    }

    fn col_for_want(&self) -> usize {
        let line = self.buf.line(self.cur.line);
        if self.want == usize::MAX {
            return if self.mode == Mode::Normal {
                last_char(line)
            } else {
                line.len()
            };
        }
        if self.mode != Mode::Normal && self.want >= screen::width(line) {
            return line.len();
        }
        screen::offset_at_column(line, self.want)
    }

    fn text_rows(&self) -> usize {
        self.rows.saturating_sub(1).max(1)
    }

    fn text_width(&self) -> usize {
        self.cols
            .saturating_sub(if self.number { 8 } else { 0 })
            .max(1)
    }

    /// Display column of the cursor in its line (normal mode sits on a tab's last cell).
    fn cursor_column(&self) -> usize {
        let line = self.buf.line(self.cur.line);
        let col = screen::column(line, self.cur.col);
        if self.mode == Mode::Normal && line.get(self.cur.col) == Some(&b'\t') {
            col + screen::char_width(line, self.cur.col) - 1
        } else {
            col
        }
    }

    fn line_rows(&self, l: usize) -> usize {
        let tw = self.text_width();
        let w = screen::width(self.buf.line(l));
        let mut rows = w.div_ceil(tw).max(1);
        if l == self.cur.line {
            rows = rows.max(self.cursor_column() / tw + 1);
        }
        rows
    }

    /// The last line shown whole from `top`.
    fn last_visible(&self) -> usize {
        let mut used = 0;
        let mut l = self.top;
        while l < self.buf.len() {
            used += self.line_rows(l);
            if used > self.text_rows() {
                break;
            }
            l += 1;
        }
        l.saturating_sub(1).max(self.top)
    }

    /// Move the view so the cursor shows; a far jump puts the cursor's line mid-screen.
    fn scroll(&mut self) {
        let tr = self.text_rows();
        let old_top = self.top;
        self.top = self.top.min(self.buf.len() - 1);
        if self.cur.line < self.top {
            self.top = self.cur.line;
        }
        // Every line takes a row at least: start the search close to the answer.
        if self.cur.line >= self.top + tr {
            self.top = self.cur.line + 1 - tr;
        }
        let cursor_row = |ed: &Editor, top: usize| -> usize {
            (top..ed.cur.line).map(|l| ed.line_rows(l)).sum::<usize>()
                + ed.cursor_column() / ed.text_width()
        };
        while self.top < self.cur.line && cursor_row(self, self.top) >= tr {
            self.top += 1;
        }
        if self.top.abs_diff(old_top) >= tr {
            let mut top = self.cur.line;
            let mut above = self.line_rows(top);
            while top > 0 && above + self.line_rows(top - 1) <= tr / 2 + 1 {
                top -= 1;
                above += self.line_rows(top);
            }
            // Near the end, fill the screen rather than leave it half empty.
            while top > 0
                && (top - 1..self.buf.len())
                    .map(|l| self.line_rows(l))
                    .take(tr + 1)
                    .sum::<usize>()
                    <= tr
            {
                top -= 1;
            }
            self.top = top;
        }
    }

    /// Where a motion goes, with what the screen, searches and `f` remember.
    fn target(&mut self, m: &Motion, count: Option<usize>, for_op: bool) -> Option<Target> {
        let n = count.unwrap_or(1).max(1);
        let goto = |ed: &Editor, l: usize| Target {
            pos: Pos::new(l, first_non_blank(ed.buf.line(l))),
            linewise: true,
            inclusive: false,
        };
        match m {
            Motion::Find(kind, ch) => {
                self.last_find = Some((*kind, ch.clone()));
                normal::simple_motion(&self.buf, self.cur, m, count, for_op)
            }
            Motion::RepeatFind | Motion::RepeatFindBack => {
                let (kind, ch) = self.last_find.clone()?;
                let kind = if *m == Motion::RepeatFind {
                    kind
                } else {
                    match kind {
                        FindKind::To => FindKind::BackTo,
                        FindKind::BackTo => FindKind::To,
                        FindKind::Till => FindKind::BackTill,
                        FindKind::BackTill => FindKind::Till,
                    }
                };
                normal::find_char(&self.buf, self.cur, kind, &ch, n, true)
            }
            Motion::ScreenTop => {
                let l = (self.top + n - 1).min(self.last_visible());
                Some(goto(self, l))
            }
            Motion::ScreenBottom => {
                let l = self.last_visible().saturating_sub(n - 1).max(self.top);
                Some(goto(self, l))
            }
            Motion::MarkLine(c) | Motion::Mark(c) => {
                let Some(p) = self.marks[mark_index(*c)] else {
                    self.message = "Mark not set".into();
                    return None;
                };
                let l = p.line.min(self.buf.len() - 1);
                if matches!(m, Motion::MarkLine(_)) {
                    Some(goto(self, l))
                } else {
                    let col = p.col.min(self.buf.line(l).len());
                    Some(Target {
                        pos: Pos::new(l, col),
                        linewise: false,
                        inclusive: false,
                    })
                }
            }
            Motion::ScreenMiddle => {
                let l = (self.top + self.last_visible()) / 2;
                Some(goto(self, l))
            }
            Motion::SearchNext | Motion::SearchPrev => {
                let Some((_, fwd)) = self.last_search.clone() else {
                    self.message = "No previous regular expression".into();
                    return None;
                };
                let fwd = if *m == Motion::SearchNext { fwd } else { !fwd };
                let pos = self.search(fwd, n)?;
                Some(Target {
                    pos,
                    linewise: false,
                    inclusive: false,
                })
            }
            _ => normal::simple_motion(&self.buf, self.cur, m, count, for_op),
        }
    }

    /// `cw` on a word changes to its end, not to the next word's start (POSIX vi `c`).
    fn change_word_end(&self, big: bool, n: usize) -> Option<Pos> {
        let mut q = self.cur;
        for i in 0..n {
            let line = self.buf.line(q.line);
            let next = Pos::new(q.line, q.col + char_len(line, q.col));
            let same = next.col < line.len()
                && normal::class(&self.buf, next, big) == normal::class(&self.buf, q, big);
            if i == 0 && !same {
                continue;
            }
            q = normal::word_end(&self.buf, q, big)?;
        }
        Some(q)
    }

    fn operate(&mut self, op: Op, m: &Motion, count: Option<usize>) {
        let t = match m {
            Motion::WordFwd(big)
                if op == Op::Change && normal::class(&self.buf, self.cur, *big) != 0 =>
            {
                self.change_word_end(*big, count.unwrap_or(1).max(1))
                    .map(|pos| Target {
                        pos,
                        linewise: false,
                        inclusive: true,
                    })
            }
            _ => self.target(m, count, true),
        };
        let Some(t) = t else {
            self.recording = None;
            return;
        };
        if t.linewise || matches!(op, Op::ShiftLeft | Op::ShiftRight) {
            let (a, b) = (self.cur.line.min(t.pos.line), self.cur.line.max(t.pos.line));
            self.op_lines(op, a, b);
            return;
        }
        let (a, mut b) = if t.pos < self.cur {
            (t.pos, self.cur)
        } else {
            (self.cur, t.pos)
        };
        if t.inclusive {
            let line = self.buf.line(b.line);
            if b.col < line.len() {
                b.col += char_len(line, b.col);
            }
        } else if b.col == 0 && b.line > a.line {
            // An exclusive motion ending at a line's start stops at the previous line's end.
            b = Pos::new(b.line - 1, self.buf.line(b.line - 1).len());
        }
        self.op_chars(op, a, b);
    }

    fn op_chars(&mut self, op: Op, a: Pos, b: Pos) {
        if a < b {
            self.reg = Register {
                text: self.buf.text(a, b),
                linewise: false,
            };
        }
        match op {
            Op::Yank | Op::ShiftLeft | Op::ShiftRight => {}
            Op::Delete => {
                self.buf.delete(a, b);
            }
            Op::Change => {
                self.buf.delete(a, b);
                self.cur = a;
                self.start_insert(Mode::Insert, 1, Repeat::Here);
                return;
            }
        }
        self.cur = a;
    }

    fn op_lines(&mut self, op: Op, a: usize, b: usize) {
        if matches!(op, Op::ShiftLeft | Op::ShiftRight) {
            for l in a..=b {
                let mut line = self.buf.line(l).to_vec();
                if op == Op::ShiftRight {
                    if !line.is_empty() {
                        line.insert(0, b'\t');
                    }
                } else if line.first() == Some(&b'\t') {
                    line.remove(0);
                } else {
                    let spaces = line.iter().take(8).take_while(|&&b| b == b' ').count();
                    line.drain(..spaces);
                }
                self.buf.set_line(l, line);
            }
            self.cur = Pos::new(a, first_non_blank(self.buf.line(a)));
            return;
        }
        let lines: Vec<&[u8]> = (a..=b).map(|l| self.buf.line(l)).collect();
        let mut text = Vec::new();
        for l in lines {
            text.extend_from_slice(l);
            text.push(b'\n');
        }
        self.reg = Register {
            text,
            linewise: true,
        };
        match op {
            Op::Yank => {
                if a != self.cur.line {
                    self.cur = Pos::new(a, self.cur.col);
                }
            }
            Op::Delete => {
                self.buf.delete_lines(a, b);
                let l = a.min(self.buf.len() - 1);
                self.cur = Pos::new(l, first_non_blank(self.buf.line(l)));
            }
            Op::Change => {
                let indent = if self.autoindent {
                    indent_of(self.buf.line(a))
                } else {
                    Vec::new()
                };
                if b > a {
                    self.buf.delete_lines(a + 1, b);
                }
                self.cur = Pos::new(a, indent.len());
                self.buf.set_line(a, indent);
                self.start_insert(Mode::Insert, 1, Repeat::Here);
            }
            Op::ShiftLeft | Op::ShiftRight => {}
        }
    }

    fn auto_indent(&self, l: usize) -> Vec<u8> {
        if self.autoindent {
            indent_of(self.buf.line(l))
        } else {
            Vec::new()
        }
    }

    /// The end of `n` characters from the cursor on its line, if there are that many.
    fn chars_ahead(&self, n: usize) -> Option<Pos> {
        let line = self.buf.line(self.cur.line);
        let mut col = self.cur.col;
        for _ in 0..n {
            if col >= line.len() {
                return None;
            }
            col += char_len(line, col);
        }
        Some(Pos::new(self.cur.line, col))
    }

    fn action(&mut self, a: &Action, cmd: &Cmd) -> Effect {
        let n = cmd.n();
        let l = self.cur.line;
        let len = self.buf.line(l).len();
        match a {
            Action::Insert => self.start_insert(Mode::Insert, n, Repeat::Here),
            Action::Append => {
                if len > 0 {
                    self.cur.col += char_len(self.buf.line(l), self.cur.col);
                }
                self.start_insert(Mode::Insert, n, Repeat::Here);
            }
            Action::InsertBol => {
                self.cur.col = first_non_blank(self.buf.line(l));
                self.start_insert(Mode::Insert, n, Repeat::Here);
            }
            Action::AppendEol => {
                self.cur.col = len;
                self.start_insert(Mode::Insert, n, Repeat::Here);
            }
            Action::OpenBelow => {
                let indent = self.auto_indent(l);
                self.cur = Pos::new(l + 1, indent.len());
                self.buf.insert_lines(l + 1, vec![indent]);
                self.start_insert(Mode::Insert, n, Repeat::NewLine);
            }
            Action::OpenAbove => {
                let indent = self.auto_indent(l);
                self.cur = Pos::new(l, indent.len());
                self.buf.insert_lines(l, vec![indent]);
                self.start_insert(Mode::Insert, n, Repeat::NewLine);
            }
            Action::Replace => self.start_insert(Mode::Replace, n, Repeat::Here),
            Action::DeleteChar => {
                if len > 0 {
                    let end = self.chars_ahead(n).unwrap_or(Pos::new(l, len));
                    self.op_chars(Op::Delete, self.cur, end);
                }
            }
            Action::DeleteCharBack => {
                if self.cur.col > 0 {
                    let line = self.buf.line(l);
                    let mut col = self.cur.col;
                    for _ in 0..n {
                        if col > 0 {
                            col = prev_char(line, col);
                        }
                    }
                    self.op_chars(Op::Delete, Pos::new(l, col), self.cur);
                }
            }
            Action::ReplaceChar(ch) => {
                let Some(end) = self.chars_ahead(n) else {
                    self.recording = None;
                    return Effect::Continue;
                };
                self.buf.delete(self.cur, end);
                if ch.as_slice() == b"\r" || ch.as_slice() == b"\n" {
                    self.cur = self.buf.insert(self.cur, b"\n");
                } else {
                    self.buf.insert(self.cur, &ch.repeat(n));
                    self.cur.col += ch.len() * (n - 1);
                }
            }
            Action::Subst => {
                let end = self.chars_ahead(n).unwrap_or(Pos::new(l, len));
                self.op_chars(Op::Change, self.cur, end);
            }
            Action::SubstLine => {
                let last = (l + n - 1).min(self.buf.len() - 1);
                self.op_lines(Op::Change, l, last);
            }
            Action::ChangeEol => self.operate(Op::Change, &Motion::LineEnd, cmd.count),
            Action::DeleteEol => self.operate(Op::Delete, &Motion::LineEnd, cmd.count),
            Action::YankLine => {
                let last = (l + n - 1).min(self.buf.len() - 1);
                self.op_lines(Op::Yank, l, last);
            }
            Action::Join => self.join(n.max(2) - 1),
            Action::Undo => match self.buf.undo(self.cur) {
                Some(p) => self.cur = p,
                None => self.message = "Already at oldest change".into(),
            },
            Action::Redo => match self.buf.redo(self.cur) {
                Some(p) => self.cur = p,
                None => self.message = "Already at newest change".into(),
            },
            Action::Repeat => self.repeat(cmd.count),
            Action::ToggleCase => {
                let mut line = self.buf.line(l).to_vec();
                let mut col = self.cur.col;
                for _ in 0..n {
                    if col >= line.len() {
                        break;
                    }
                    let w = char_len(&line, col);
                    if w == 1 {
                        let b = line[col];
                        line[col] = if b.is_ascii_lowercase() {
                            b.to_ascii_uppercase()
                        } else {
                            b.to_ascii_lowercase()
                        };
                    }
                    col += w;
                }
                self.buf.set_line(l, line);
                self.cur.col = col;
            }
            Action::PutAfter => self.put(true, n),
            Action::PutBefore => self.put(false, n),
            Action::Info => self.message = self.info(),
            Action::WriteQuit => return self.ex_cmd(ExCmd::Exit { force: false }),
            Action::QuitNoWrite => return Effect::Quit(0),
            Action::PageDown => {
                let step = self.text_rows().saturating_sub(2).max(1) * n;
                self.top = (self.top + step).min(self.buf.len() - 1);
                self.cur = Pos::new(self.top, first_non_blank(self.buf.line(self.top)));
            }
            Action::PageUp => {
                let step = self.text_rows().saturating_sub(2).max(1) * n;
                self.top = self.top.saturating_sub(step);
                let l = self.last_visible();
                self.cur = Pos::new(l, first_non_blank(self.buf.line(l)));
            }
            Action::HalfDown | Action::HalfUp => {
                let step = cmd.count.unwrap_or(self.text_rows() / 2).max(1);
                let last = self.buf.len() - 1;
                if *a == Action::HalfDown {
                    self.top = (self.top + step).min(last);
                    self.cur.line = (self.cur.line + step).min(last);
                } else {
                    self.top = self.top.saturating_sub(step);
                    self.cur.line = self.cur.line.saturating_sub(step);
                }
                self.cur.col = self.col_for_want();
            }
            Action::LineDown => {
                self.top = (self.top + n).min(self.buf.len() - 1);
                if self.cur.line < self.top {
                    self.cur.line = self.top;
                    self.cur.col = self.col_for_want();
                }
            }
            Action::LineUp => {
                self.top = self.top.saturating_sub(n);
                let last = self.last_visible();
                if self.cur.line > last {
                    self.cur.line = last;
                    self.cur.col = self.col_for_want();
                }
            }
            Action::Redraw => return Effect::Redraw,
            Action::SetMark(c) => self.marks[mark_index(*c)] = Some(self.cur),
            Action::CommandLine(kind) => {
                self.mode = Mode::CmdLine;
                self.cmd_kind = *kind;
                self.cmdline.clear();
            }
        }
        Effect::Continue
    }

    fn join(&mut self, times: usize) {
        if self.cur.line + 1 >= self.buf.len() {
            self.recording = None;
            return;
        }
        for _ in 0..times {
            let l = self.cur.line;
            if l + 1 >= self.buf.len() {
                break;
            }
            let here = self.buf.line(l);
            let next = self.buf.line(l + 1);
            let skip = next
                .iter()
                .position(|&b| b != b' ' && b != b'\t')
                .unwrap_or(next.len());
            let rest = &next[skip..];
            let bare = here.is_empty()
                || here.ends_with(b" ")
                || here.ends_with(b"\t")
                || rest.is_empty()
                || rest.starts_with(b")");
            let col = here.len();
            self.buf.delete(Pos::new(l, col), Pos::new(l + 1, skip));
            if !bare {
                self.buf.insert(Pos::new(l, col), b" ");
            }
            self.cur = Pos::new(l, col);
        }
    }

    fn put(&mut self, after: bool, n: usize) {
        if self.reg.text.is_empty() {
            self.message = "Nothing in register".into();
            return;
        }
        if self.reg.linewise {
            let text = self.reg.text.strip_suffix(b"\n").unwrap_or(&self.reg.text);
            let one: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
            let lines: Vec<Vec<u8>> = (0..n).flat_map(|_| one.clone()).collect();
            let at = if after {
                self.cur.line + 1
            } else {
                self.cur.line
            };
            self.buf.insert_lines(at, lines);
            self.cur = Pos::new(at, first_non_blank(self.buf.line(at)));
        } else {
            let text = self.reg.text.repeat(n);
            let line = self.buf.line(self.cur.line);
            let at = if after && !line.is_empty() {
                self.cur.col + char_len(line, self.cur.col)
            } else {
                self.cur.col
            };
            let start = Pos::new(self.cur.line, at);
            let end = self.buf.insert(start, &text);
            self.cur = if text.contains(&b'\n') {
                start
            } else {
                Pos::new(end.line, prev_char(self.buf.line(end.line), end.col))
            };
        }
    }

    fn repeat(&mut self, count: Option<usize>) {
        if self.dot.is_empty() || self.replaying {
            return;
        }
        let mut keys = self.dot.clone();
        if let Some(c) = count {
            let digits = keys
                .iter()
                .take_while(|k| matches!(k, Key::Byte(b'0'..=b'9')))
                .count();
            keys.splice(..digits, c.to_string().bytes().map(Key::Byte));
        }
        self.replaying = true;
        for k in keys {
            if self.feed(k) != Effect::Continue {
                break;
            }
        }
        self.replaying = false;
    }

    fn info(&self) -> String {
        let lines = self.buf.len();
        let pct = (self.cur.line + 1) * 100 / lines;
        format!(
            "\"{}\"{}{} line {} of {} --{}%-- col {}",
            display_name(&self.path),
            if self.buf.modified() {
                " [Modified]"
            } else {
                ""
            },
            if self.buf.noeol { " [noeol]" } else { "" },
            self.cur.line + 1,
            lines,
            pct,
            screen::column(self.buf.line(self.cur.line), self.cur.col) + 1
        )
    }

    fn start_insert(&mut self, mode: Mode, count: usize, repeat: Repeat) {
        self.mode = mode;
        self.insert_count = count;
        self.insert_repeat = repeat;
        self.typed.clear();
        self.replaced.clear();
        self.literal = false;
    }

    fn insert_key(&mut self, key: Key) {
        if let Some(r) = &mut self.recording {
            r.push(key);
        }
        if (key == ESC || key == Key::Byte(0x03)) && !self.literal {
            self.finish_insert();
            return;
        }
        self.typed.push(key);
        self.insert_one(key);
    }

    fn finish_insert(&mut self) {
        let typed = std::mem::take(&mut self.typed);
        for _ in 1..self.insert_count {
            if self.insert_repeat == Repeat::NewLine {
                let l = self.cur.line + 1;
                self.buf.insert_lines(l, vec![Vec::new()]);
                self.cur = Pos::new(l, 0);
            }
            for &k in &typed {
                self.insert_one(k);
            }
        }
        self.insert_count = 1;
        self.mode = Mode::Normal;
        if self.cur.col > 0 {
            self.cur.col = prev_char(self.buf.line(self.cur.line), self.cur.col);
        }
        if let Some(r) = self.recording.take() {
            self.dot = r;
        }
        self.want = screen::column(self.buf.line(self.cur.line), self.cur.col);
    }

    fn insert_one(&mut self, key: Key) {
        let l = self.cur.line;
        if self.literal {
            self.literal = false;
            if let Key::Byte(b) = key {
                self.put_byte(b);
            }
            return;
        }
        match key {
            Key::Byte(b'\r' | b'\n') => {
                let mut text = b"\n".to_vec();
                let indent = self.auto_indent(l);
                text.extend_from_slice(&indent[..indent.len().min(self.cur.col)]);
                self.cur = self.buf.insert(self.cur, &text);
            }
            Key::Byte(0x7f | 0x08) => self.backspace(),
            Key::Byte(0x17) => {
                // Ctrl-W: the word (and blanks) before the cursor.
                let line = self.buf.line(l);
                let mut col = self.cur.col;
                while col > 0 && matches!(line[col - 1], b' ' | b'\t') {
                    col -= 1;
                }
                while col > 0 && !matches!(line[col - 1], b' ' | b'\t') {
                    col -= 1;
                }
                self.buf.delete(Pos::new(l, col), self.cur);
                self.cur.col = col;
            }
            Key::Byte(0x15) => {
                self.buf.delete(Pos::new(l, 0), self.cur);
                self.cur.col = 0;
            }
            Key::Byte(0x16) => self.literal = true,
            Key::Byte(b'\t') => self.put_byte(b'\t'),
            Key::Byte(b) if b < 0x20 => {}
            Key::Byte(b) => self.put_byte(b),
            Key::Left => {
                if self.cur.col > 0 {
                    self.cur.col = prev_char(self.buf.line(l), self.cur.col);
                }
            }
            Key::Right => {
                let line = self.buf.line(l);
                if self.cur.col < line.len() {
                    self.cur.col += char_len(line, self.cur.col);
                }
            }
            Key::Up | Key::Down => {
                let want = screen::column(self.buf.line(l), self.cur.col);
                let target = if key == Key::Up {
                    l.checked_sub(1)
                } else {
                    Some(l + 1).filter(|&n| n < self.buf.len())
                };
                if let Some(t) = target {
                    self.cur.line = t;
                    self.want = want;
                    self.cur.col = self.col_for_want();
                }
            }
            Key::Home => self.cur.col = 0,
            Key::End => self.cur.col = self.buf.line(l).len(),
            Key::Delete => {
                let line = self.buf.line(l);
                let end = if self.cur.col < line.len() {
                    Pos::new(l, self.cur.col + char_len(line, self.cur.col))
                } else {
                    Pos::new(l + 1, 0)
                };
                if end.line < self.buf.len() {
                    self.buf.delete(self.cur, end);
                }
            }
            Key::PageUp | Key::PageDown | Key::Insert => {}
        }
    }

    fn put_byte(&mut self, b: u8) {
        if self.mode == Mode::Replace && !(0x80..=0xBF).contains(&b) {
            let line = self.buf.line(self.cur.line);
            if self.cur.col < line.len() {
                let end = Pos::new(self.cur.line, self.cur.col + char_len(line, self.cur.col));
                let old = self.buf.delete(self.cur, end);
                self.replaced.push(Some(old));
            } else {
                self.replaced.push(None);
            }
        }
        self.cur = self.buf.insert(self.cur, &[b]);
    }

    fn backspace(&mut self) {
        let l = self.cur.line;
        if self.mode == Mode::Replace {
            if self.cur.col == 0 {
                return;
            }
            let start = Pos::new(l, prev_char(self.buf.line(l), self.cur.col));
            if let Some(old) = self.replaced.pop() {
                self.buf.delete(start, self.cur);
                if let Some(old) = old {
                    self.buf.insert(start, &old);
                }
            }
            self.cur = start;
            return;
        }
        if self.cur.col > 0 {
            let start = Pos::new(l, prev_char(self.buf.line(l), self.cur.col));
            self.buf.delete(start, self.cur);
            self.cur = start;
        } else if l > 0 {
            let start = Pos::new(l - 1, self.buf.line(l - 1).len());
            self.buf.delete(start, self.cur);
            self.cur = start;
        }
    }

    fn cmdline_key(&mut self, key: Key) -> Effect {
        match key {
            k if k == ESC || k == Key::Byte(0x03) => {
                self.mode = Mode::Normal;
                self.cmdline.clear();
            }
            Key::Up | Key::Down => {
                let kind = self.cmd_kind;
                let mut at = self.history_at;
                loop {
                    at = if key == Key::Up {
                        at.checked_sub(1)
                    } else {
                        Some(at + 1)
                    }
                    .unwrap_or(usize::MAX);
                    match self.history.get(at) {
                        Some((k, text)) if *k == kind => {
                            self.cmdline = text.clone();
                            self.history_at = at;
                            break;
                        }
                        Some(_) => {}
                        None => {
                            if key == Key::Down {
                                self.cmdline.clear();
                                self.history_at = self.history.len();
                            }
                            break;
                        }
                    }
                }
            }
            Key::Byte(b'\r' | b'\n') => {
                self.mode = Mode::Normal;
                if !self.cmdline.is_empty() {
                    self.history
                        .retain(|(k, t)| !(*k == self.cmd_kind && *t == self.cmdline));
                    self.history.push((self.cmd_kind, self.cmdline.clone()));
                    if self.history.len() > 100 {
                        self.history.remove(0);
                    }
                }
                self.history_at = self.history.len();
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.cmdline)).into_owned();
                if self.cmd_kind == b':' {
                    return self.ex_line(&line);
                }
                let fwd = self.cmd_kind == b'/';
                let pattern = if line.is_empty() {
                    match &self.last_search {
                        Some((p, _)) => p.clone(),
                        None => {
                            self.message = "No previous regular expression".into();
                            return Effect::Continue;
                        }
                    }
                } else {
                    line
                };
                self.last_search = Some((pattern, fwd));
                if let Some(p) = self.search(fwd, 1) {
                    self.marks[26] = Some(self.cur);
                    self.cur = p;
                    self.want = screen::column(self.buf.line(p.line), p.col);
                }
            }
            // Backspace on an empty command line leaves it.
            Key::Byte(0x7f | 0x08) if self.cmdline.pop().is_none() => self.mode = Mode::Normal,
            Key::Byte(0x7f | 0x08) => {}
            Key::Byte(0x15) => self.cmdline.clear(),
            Key::Byte(b) if b >= 0x20 || b == b'\t' => self.cmdline.push(b),
            _ => {}
        }
        Effect::Continue
    }

    /// `count` matches of the last search from the cursor, wrapping around the ends.
    fn search(&mut self, fwd: bool, count: usize) -> Option<Pos> {
        let (pattern, _) = self.last_search.clone()?;
        let re = match ex::compile(&pattern, self.ignorecase) {
            Ok(re) => re,
            Err(e) => {
                self.message = e;
                return None;
            }
        };
        let mut p = self.cur;
        let mut wrapped = false;
        for _ in 0..count {
            match self.find(&re, p, fwd) {
                Some((q, w)) => {
                    p = q;
                    wrapped |= w;
                }
                None => {
                    self.message = format!("Pattern not found: {pattern}");
                    return None;
                }
            }
        }
        self.message = match (wrapped, fwd) {
            (false, _) => format!("{}{pattern}", if fwd { '/' } else { '?' }),
            (true, true) => "search hit BOTTOM, continuing at TOP".into(),
            (true, false) => "search hit TOP, continuing at BOTTOM".into(),
        };
        Some(p)
    }

    fn find(&self, re: &regex::bytes::Regex, from: Pos, fwd: bool) -> Option<(Pos, bool)> {
        let n = self.buf.len();
        let line = self.buf.line(from.line);
        if fwd {
            let start = from.col + char_len(line, from.col);
            if start <= line.len() {
                if let Some(m) = re.find_at(line, start) {
                    return Some((Pos::new(from.line, m.start()), false));
                }
            }
            for k in 1..=n {
                let l = (from.line + k) % n;
                if let Some(m) = re.find(self.buf.line(l)) {
                    return Some((Pos::new(l, m.start()), from.line + k >= n));
                }
            }
        } else {
            if let Some(m) = re.find_iter(line).filter(|m| m.start() < from.col).last() {
                return Some((Pos::new(from.line, m.start()), false));
            }
            for k in 1..=n {
                let l = (from.line + n - k) % n;
                if let Some(m) = re.find_iter(self.buf.line(l)).last() {
                    return Some((Pos::new(l, m.start()), k > from.line));
                }
            }
        }
        None
    }

    /// Run one `:` command line (also `vi +CMD`).
    pub fn ex_line(&mut self, line: &str) -> Effect {
        let here = ex::Here {
            line: self.cur.line,
            last: self.buf.len() - 1,
        };
        match ex::parse(line, &here) {
            Ok(cmd) => self.ex_cmd(cmd),
            Err(e) => {
                self.message = e;
                Effect::Continue
            }
        }
    }

    fn ex_cmd(&mut self, cmd: ExCmd) -> Effect {
        const UNSAVED: &str = "No write since last change (add ! to override)";
        match cmd {
            ExCmd::Goto(l) => {
                self.marks[26] = Some(self.cur);
                self.cur = Pos::new(l, first_non_blank(self.buf.line(l)));
            }
            ExCmd::Write {
                range,
                file,
                force,
                quit,
            } => {
                if self.write(range, file, force) && quit {
                    return Effect::Quit(0);
                }
            }
            ExCmd::Exit { force } => {
                if self.buf.modified() && !self.write(None, None, force) {
                    return Effect::Continue;
                }
                return Effect::Quit(0);
            }
            ExCmd::Quit { force } => {
                if self.buf.modified() && !force {
                    self.message = UNSAVED.into();
                } else {
                    return Effect::Quit(0);
                }
            }
            ExCmd::Edit { file, force } => {
                if self.buf.modified() && !force {
                    self.message = UNSAVED.into();
                    return Effect::Continue;
                }
                let path = match file.map(PathBuf::from).or_else(|| self.path.clone()) {
                    Some(p) => p,
                    None => {
                        self.message = "No file name".into();
                        return Effect::Continue;
                    }
                };
                if let Err(e) = self.load(path) {
                    self.message = e;
                }
            }
            ExCmd::Read(name) => match file::load(std::path::Path::new(&name)) {
                Ok(Some(data)) => {
                    let text = Buffer::from_bytes(&data);
                    let lines: Vec<Vec<u8>> =
                        (0..text.len()).map(|i| text.line(i).to_vec()).collect();
                    let count = lines.len();
                    if !data.is_empty() {
                        self.buf.arm(self.cur);
                        self.buf.insert_lines(self.cur.line + 1, lines);
                        self.cur = Pos::new(self.cur.line + 1, 0);
                    }
                    self.message = format!("\"{name}\" {count}L, {}B", data.len());
                }
                Ok(None) => self.message = format!("{name}: No such file or directory"),
                Err(e) => self.message = format!("{name}: {}", io_reason(&e)),
            },
            ExCmd::Subst {
                range,
                pattern,
                replacement,
                global,
            } => self.substitute(range, pattern, &replacement, global),
            ExCmd::Delete(a, b) => {
                self.buf.arm(self.cur);
                self.op_lines(Op::Delete, a, b);
            }
            ExCmd::Set(opts) => {
                for opt in opts.split_whitespace() {
                    let (name, on) = match opt.strip_prefix("no") {
                        Some(n) => (n, false),
                        None => (opt, true),
                    };
                    match name {
                        "nu" | "number" => self.number = on,
                        "ai" | "autoindent" => self.autoindent = on,
                        "ic" | "ignorecase" => self.ignorecase = on,
                        _ => self.message = format!("Unknown option: {opt}"),
                    }
                }
                if opts.trim().is_empty() {
                    let flag =
                        |on: bool, name: &str| format!("{}{name}", if on { "" } else { "no" });
                    self.message = format!(
                        "{} {} {}",
                        flag(self.autoindent, "autoindent"),
                        flag(self.ignorecase, "ignorecase"),
                        flag(self.number, "number")
                    );
                }
            }
            ExCmd::File => self.message = self.info(),
            ExCmd::Shell(cmd) => return Effect::Shell(cmd),
            ExCmd::ReadCommand(cmd) => self.read_command(&cmd),
            ExCmd::Nothing => {}
        }
        Effect::Continue
    }

    /// `:r !cmd`: run `sh -c cmd` without a terminal and insert what it printed.
    fn read_command(&mut self, cmd: &str) {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .stdin(std::process::Stdio::null())
            .output();
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                self.message = format!("sh: {}", io_reason(&e));
                return;
            }
        };
        let mut data = out.stdout;
        data.extend_from_slice(&out.stderr);
        if data.is_empty() {
            self.message = format!("{cmd}: no output");
            return;
        }
        let text = Buffer::from_bytes(&data);
        let lines: Vec<Vec<u8>> = (0..text.len()).map(|i| text.line(i).to_vec()).collect();
        self.buf.arm(self.cur);
        self.buf.insert_lines(self.cur.line + 1, lines);
        self.cur = Pos::new(self.cur.line + 1, 0);
    }

    fn substitute(&mut self, (a, b): (usize, usize), pattern: String, rep: &[u8], global: bool) {
        let pattern = if pattern.is_empty() {
            match &self.last_search {
                Some((p, _)) => p.clone(),
                None => {
                    self.message = "No previous regular expression".into();
                    return;
                }
            }
        } else {
            self.last_search = Some((pattern.clone(), true));
            pattern
        };
        let re = match ex::compile(&pattern, self.ignorecase) {
            Ok(re) => re,
            Err(e) => {
                self.message = e;
                return;
            }
        };
        self.buf.arm(self.cur);
        let mut count = 0;
        let mut last = None;
        for l in a..=b.min(self.buf.len() - 1) {
            if let Some(new) = ex::substitute(&re, self.buf.line(l), rep, global) {
                self.buf.set_line(l, new);
                count += 1;
                last = Some(l);
            }
        }
        match last {
            None => self.message = format!("Pattern not found: {pattern}"),
            Some(l) => {
                self.cur = Pos::new(l, first_non_blank(self.buf.line(l)));
                if count > 1 {
                    self.message = format!("{count} lines changed");
                }
            }
        }
    }

    /// `:w`: the whole buffer (or lines) to its file (or another); false if nothing was written.
    fn write(&mut self, range: Option<(usize, usize)>, file: Option<String>, force: bool) -> bool {
        let target = match file.map(PathBuf::from).or_else(|| self.path.clone()) {
            Some(p) => p,
            None => {
                self.message = "No file name".into();
                return false;
            }
        };
        let name = target.display().to_string();
        let is_current = self.path.as_ref() == Some(&target);
        if !is_current && !force && target.exists() {
            self.message = format!("\"{name}\" File exists (add ! to override)");
            return false;
        }
        let writable = || nix::unistd::access(&target, nix::unistd::AccessFlags::W_OK).is_ok();
        if !force && target.exists() && !writable() {
            self.message = format!("\"{name}\" is read-only (add ! to override)");
            return false;
        }
        let whole = match range {
            None => true,
            Some((a, b)) => a == 0 && b + 1 == self.buf.len(),
        };
        let data = match range {
            Some((a, b)) if !whole => self.buf.range_bytes(a, b, !self.buf.noeol),
            _ => self.buf.to_bytes(),
        };
        match file::save(&target, &data) {
            Ok(()) => {
                let lines = data.iter().filter(|&&b| b == b'\n').count()
                    + usize::from(!data.is_empty() && !data.ends_with(b"\n"));
                self.message = format!("\"{name}\" {lines}L, {}B written", data.len());
                if whole && (is_current || self.path.is_none()) {
                    self.path = Some(target);
                    self.buf.mark_saved();
                }
                true
            }
            Err(e) => {
                self.message = format!("{name}: {}", io_reason(&e));
                false
            }
        }
    }

    /// The screen: text rows (long lines wrap), `~` past the end, then the status line.
    pub fn render(&self) -> Frame {
        let tr = self.text_rows();
        let tw = self.text_width();
        let mut rows: Vec<Row> = Vec::new();
        let mut cursor = (0, 0);
        let margin = if self.number { 8 } else { 0 };
        let mut l = self.top;
        while rows.len() < tr && l < self.buf.len() {
            let line = self.buf.line(l);
            if l == self.cur.line {
                let c = self.cursor_column();
                cursor = (rows.len() + c / tw, margin + c % tw);
            }
            let mut row = Row::default();
            if self.number {
                row.push_str(&format!("{:>6}  ", l + 1));
            }
            let mut col = 0;
            for (_, shown) in screen::cells(line) {
                for cell in shown {
                    if col > 0 && col % tw == 0 {
                        rows.push(std::mem::take(&mut row));
                        if self.number {
                            row.push_str("        ");
                        }
                    }
                    row.push_cell(&cell);
                    col += 1;
                }
            }
            rows.push(row);
            if l == self.cur.line && self.cursor_column() >= col.max(1).div_ceil(tw) * tw && col > 0
            {
                rows.push(Row::default());
            }
            l += 1;
        }
        // A line longer than the screen: show the part with the cursor.
        if self.top == self.cur.line && cursor.0 >= tr {
            let skip = cursor.0 + 1 - tr;
            rows.drain(..skip);
            cursor.0 -= skip;
        }
        while rows.len() < tr {
            let mut row = Row::default();
            row.push_str("~");
            rows.push(row);
        }
        rows.truncate(tr);
        let mut status = Row::default();
        let max = self.cols.saturating_sub(1);
        if self.mode == Mode::CmdLine {
            status.push_cell(&[self.cmd_kind]);
            for (_, shown) in screen::cells(&self.cmdline) {
                for cell in shown {
                    status.push_cell(&cell);
                }
            }
            cursor = (tr, status.width.min(max));
        } else {
            let text = if !self.message.is_empty() {
                self.message.as_str()
            } else if self.mode == Mode::Insert {
                "-- INSERT --"
            } else if self.mode == Mode::Replace {
                "-- REPLACE --"
            } else {
                ""
            };
            status.push_str(text);
        }
        if status.width > max {
            // Keep the end of a long command line (where one types), the start of a message.
            let cells: Vec<String> = String::from_utf8_lossy(&status.text)
                .chars()
                .map(String::from)
                .collect();
            let keep: Vec<String> = if self.mode == Mode::CmdLine {
                cells[cells.len() - max..].to_vec()
            } else {
                cells[..max].to_vec()
            };
            status = Row::default();
            status.push_str(&keep.concat());
        }
        rows.push(status);
        cursor.0 = cursor.0.min(tr);
        cursor.1 = cursor.1.min(self.cols - 1);
        Frame { rows, cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> Vec<Key> {
        s.bytes().map(Key::Byte).collect()
    }

    fn run(text: &str, input: &str) -> Editor {
        let mut ed = Editor::new(text.as_bytes(), 10, 40);
        for k in keys(input) {
            ed.feed(k);
        }
        ed
    }

    /// (initial text, keys, expected text, expected cursor line, column) — from vim.
    const CASES: &[(&str, &str, &str, usize, usize)] = &[
        // motions
        ("abc def\n", "w", "abc def\n", 0, 4),
        ("abc def\n", "$", "abc def\n", 0, 6),
        ("abc def\n", "$0", "abc def\n", 0, 0),
        ("  abc\n", "$^", "  abc\n", 0, 2),
        ("a\nb\nc\nd\n", "3j", "a\nb\nc\nd\n", 3, 0),
        ("a\nb\nc\nd\n", "Gk", "a\nb\nc\nd\n", 2, 0),
        ("a\nb\nc\nd\n", "2G", "a\nb\nc\nd\n", 1, 0),
        ("a\nb\nc\nd\n", "G3gg", "a\nb\nc\nd\n", 2, 0),
        ("a\nb\nc\nd\n", "Ggg", "a\nb\nc\nd\n", 0, 0),
        ("abcdef\n", "3l2h", "abcdef\n", 0, 1),
        ("abcdef\n", "10l", "abcdef\n", 0, 5),
        ("a.b.c.d\n", "f.;;", "a.b.c.d\n", 0, 5),
        ("a.b.c.d\n", "2f.", "a.b.c.d\n", 0, 3),
        ("a.b.c.d\n", "$F.,", "a.b.c.d\n", 0, 5),
        ("a.b.c.d\n", "t.;", "a.b.c.d\n", 0, 2),
        ("a.b.c.d\n", "$T.", "a.b.c.d\n", 0, 6),
        ("if (a[1]) {}\n", "f(%", "if (a[1]) {}\n", 0, 8),
        ("one two three\n", "2w", "one two three\n", 0, 8),
        ("one two three\n", "$2b", "one two three\n", 0, 4),
        ("one two three\n", "2e", "one two three\n", 0, 6),
        ("ab\ncd\n", "l ", "ab\ncd\n", 1, 0),
        ("ab\ncd\n", "j\x7f", "ab\ncd\n", 0, 1),
        ("long line\nab\n", "$jk", "long line\nab\n", 0, 8),
        ("a\tb\n", "$", "a\tb\n", 0, 2),
        // edits
        ("abc\n", "x", "bc\n", 0, 0),
        ("abc\n", "2x", "c\n", 0, 0),
        ("abc\n", "$X", "ac\n", 0, 1),
        ("abc\n", "ix\x1b", "xabc\n", 0, 0),
        ("abc\n", "ax\x1b", "axbc\n", 0, 1),
        ("abc\n", "Ax\x1b", "abcx\n", 0, 3),
        ("  abc\n", "$Ix\x1b", "  xabc\n", 0, 2),
        ("abc\n", "3ix\x1b", "xxxabc\n", 0, 2),
        ("a\nb\n", "ox\x1b", "a\nx\nb\n", 1, 0),
        ("a\nb\n", "jOx\x1b", "a\nx\nb\n", 1, 0),
        ("a\n", "2ox\x1b", "a\nx\nx\n", 2, 0),
        ("abc\n", "rx", "xbc\n", 0, 0),
        ("abc\n", "2rx", "xxc\n", 0, 1),
        ("abc\n", "4rx", "abc\n", 0, 0),
        ("abc\n", "sX\x1b", "Xbc\n", 0, 0),
        ("abc\ndef\n", "SX\x1b", "X\ndef\n", 0, 0),
        ("abc def\n", "wCX\x1b", "abc X\n", 0, 4),
        ("abc def\n", "lD", "a\n", 0, 0),
        ("a\nb\nc\n", "J", "a b\nc\n", 0, 1),
        ("a\n  b\nc\n", "3J", "a b c\n", 0, 3),
        ("a(\n)\n", "J", "a()\n", 0, 2),
        ("abC\n", "~~~", "ABc\n", 0, 2),
        ("abc\n", "2~", "ABc\n", 0, 2),
        ("abcd\n", "Rxy\x1b", "xycd\n", 0, 1),
        ("ab\n", "Rxyz\x1b", "xyz\n", 0, 2),
        ("abcd\n", "Rxy\x7f\x1b", "xbcd\n", 0, 0),
        ("ab\n", "a\rc\x1b", "a\ncb\n", 1, 0),
        ("ab\n", "A\x7f\x7f\x7fX\x1b", "X\n", 0, 0),
        ("a\nb\n", "jI\x7f\x1b", "ab\n", 0, 0),
        ("abc\n", "lr\r", "a\nc\n", 1, 0),
        // operators
        ("one two three\n", "dw", "two three\n", 0, 0),
        ("one two three\n", "d2w", "three\n", 0, 0),
        ("one two three\n", "2dw", "three\n", 0, 0),
        ("one two\nthree\n", "wdw", "one \nthree\n", 0, 3),
        ("one two three\n", "cwxx\x1b", "xx two three\n", 0, 1),
        ("one two three\n", "c2wxx\x1b", "xx three\n", 0, 1),
        ("a b\n", "cwx\x1b", "x b\n", 0, 0),
        ("one two three\n", "wd$", "one \n", 0, 3),
        ("one two three\n", "wd0", "two three\n", 0, 0),
        ("one two three\n", "de", " two three\n", 0, 0),
        ("a.b.c\n", "dt.", ".b.c\n", 0, 0),
        ("a.b.c\n", "df.", "b.c\n", 0, 0),
        ("x(a b)y\n", "ld%", "xy\n", 0, 1),
        ("a\nb\nc\nd\n", "dd", "b\nc\nd\n", 0, 0),
        ("a\nb\nc\nd\n", "3dd", "d\n", 0, 0),
        ("a\nb\nc\nd\n", "jdj", "a\nd\n", 1, 0),
        ("a\nb\nc\nd\n", "Gdk", "a\nb\n", 1, 0),
        ("a\nb\nc\nd\n", "jdG", "a\n", 0, 0),
        ("a\nb\nc\nd\n", "jjdgg", "d\n", 0, 0),
        ("a\nb\n", "ccx\x1b", "x\nb\n", 0, 0),
        ("a\nb\nc\n", "2ccx\x1b", "x\nc\n", 0, 0),
        ("a\nb\n", "yyp", "a\na\nb\n", 1, 0),
        ("a\nb\n", "yyjP", "a\na\nb\n", 1, 0),
        ("a\nb\n", "Yj2p", "a\nb\na\na\n", 2, 0),
        ("a\nb\nc\n", "2yyGp", "a\nb\nc\na\nb\n", 3, 0),
        ("a\nb\n", "ddp", "b\na\n", 1, 0),
        ("abc\n", "xp", "bac\n", 0, 1),
        ("abc\n", "ywP", "abcabc\n", 0, 2),
        ("one two\n", "dwP", "one two\n", 0, 3),
        ("abc\n", "lyl$p", "abcb\n", 0, 3),
        ("x\n", "dd", "", 0, 0),
        // undo, redo, repeat
        ("abc\n", "xu", "abc\n", 0, 0),
        ("abc\n", "xxuu", "abc\n", 0, 0),
        ("abc\n", "xxuu\x12", "bc\n", 0, 0),
        ("abc\n", "ixy\x1bu", "abc\n", 0, 0),
        ("abcd\n", "x..", "d\n", 0, 0),
        ("a\nb\nc\nd\n", "dd.", "c\nd\n", 0, 0),
        ("a b c d\n", "dw2.", "d\n", 0, 0),
        ("x1\nx2\n", "cwy\x1bj0.", "y\ny\n", 1, 0),
        ("a\nb\n", "Ax\x1bj.", "ax\nbx\n", 1, 1),
        ("a\n", "ox\x1b.", "a\nx\nx\n", 2, 0),
        // shifts, marks, autoindent
        ("a\n\tb\n", ">>", "\ta\n\tb\n", 0, 1),
        ("a\n\tb\n", "2>>", "\ta\n\t\tb\n", 0, 1),
        ("a\n\tb\n", "j<<", "a\nb\n", 1, 0),
        ("  a\n", "<<", "a\n", 0, 0),
        ("a\nb\nc\n", ">G", "\ta\n\tb\n\tc\n", 0, 1),
        ("a\nb\nc\nd\n", "majjd'a", "d\n", 0, 0),
        ("abc\nd\n", "lmbjy`bP", "abcbc\nd\n", 0, 2),
        ("a\nb\nc\n", "G''", "a\nb\nc\n", 0, 0),
        ("a\nb\nc\n", "G``", "a\nb\nc\n", 0, 0),
        ("  a\n", ":set ai\rox\x1b", "  a\n  x\n", 1, 2),
        ("  a\n", ":set ai\rA\rx\x1b", "  a\n  x\n", 1, 2),
        ("  a\n", ":set ai\rccx\x1b", "  x\n", 0, 2),
        ("  a\n", "ox\x1b", "  a\nx\n", 1, 0),
        ("Foo\nfoo\n", ":set ic\r/FOO\r", "Foo\nfoo\n", 1, 0),
        // search
        (
            "one\ntwo\nthree two\n",
            "/two\r",
            "one\ntwo\nthree two\n",
            1,
            0,
        ),
        (
            "one\ntwo\nthree two\n",
            "/two\rn",
            "one\ntwo\nthree two\n",
            2,
            6,
        ),
        (
            "one\ntwo\nthree two\n",
            "/two\rnn",
            "one\ntwo\nthree two\n",
            1,
            0,
        ),
        (
            "one\ntwo\nthree two\n",
            "G?two\r",
            "one\ntwo\nthree two\n",
            1,
            0,
        ),
        (
            "one\ntwo\nthree two\n",
            "/two\rN",
            "one\ntwo\nthree two\n",
            2,
            6,
        ),
        ("a1 b22\n", "/[0-9]\\+\r", "a1 b22\n", 0, 1),
        ("a1 b22\n", "/b\\(2\\)\\+\rD", "a1 \n", 0, 2),
        (
            "port 80\nlisten 80\n",
            "/listen\rwcw8080\x1b",
            "port 80\nlisten 8080\n",
            1,
            10,
        ),
        ("x\nfoo\n", "/foo\r/\r", "x\nfoo\n", 1, 0),
        ("a b a\n", "dn", "a b a\n", 0, 0),
        ("a b a\n", "/a\rgg0dn", "a\n", 0, 0),
        // ex
        ("a\nb\nc\n", ":3\r", "a\nb\nc\n", 2, 0),
        ("a\nb\nc\n", ":$\r", "a\nb\nc\n", 2, 0),
        ("foo foo\nfoo\n", ":s/foo/bar/\r", "bar foo\nfoo\n", 0, 0),
        ("foo foo\nfoo\n", ":s/foo/bar/g\r", "bar bar\nfoo\n", 0, 0),
        ("foo foo\nfoo\n", ":%s/foo/bar/g\r", "bar bar\nbar\n", 1, 0),
        ("a\na\na\na\n", ":2,3s/a/b/\r", "a\nb\nb\na\n", 2, 0),
        ("k=v\n", ":s/\\(.*\\)=\\(.*\\)/\\2=\\1/\r", "v=k\n", 0, 0),
        ("foo\n", ":s/o/[&]/g\ru", "foo\n", 0, 0),
        ("a\nb\nc\n", ":2d\r", "a\nc\n", 1, 0),
        ("a\n", ":r !echo x; echo y\r", "a\nx\ny\n", 1, 0),
        ("a\nb\n", ":frob\r", "a\nb\n", 0, 0),
        ("a\nb\n", ":\x7fj", "a\nb\n", 1, 0),
        ("abc\n", ":s/x/y/\r", "abc\n", 0, 0),
    ];

    #[test]
    fn keys_edit_text_and_move_cursor() {
        for &(text, input, want, line, col) in CASES {
            let ed = run(text, input);
            assert_eq!(
                String::from_utf8_lossy(&ed.buf.to_bytes()),
                want,
                "{text:?} + {input:?}"
            );
            assert_eq!(
                (ed.cur.line, ed.cur.col),
                (line, col),
                "cursor after {text:?} + {input:?}"
            );
            assert_eq!(ed.mode, Mode::Normal, "{input:?}");
        }
    }

    #[test]
    fn messages() {
        let cases = [
            ("a\nb\n", "/b\r/b\r", "search hit BOTTOM, continuing at TOP"),
            (
                "a\nb\n",
                "j?a\r?a\r",
                "search hit TOP, continuing at BOTTOM",
            ),
            ("a\n", "/zz\r", "Pattern not found: zz"),
            (
                "a\n",
                "xi\x1b:q\r",
                "No write since last change (add ! to override)",
            ),
            ("a\n", "u", "Already at oldest change"),
            ("a\n", ":w\r", "No file name"),
            (
                "a\nb\n",
                "x\x07",
                "\"[No Name]\" [Modified] line 1 of 2 --50%-- col 1",
            ),
            ("a\n", "/\\(\r", "Bad pattern"),
        ];
        for (text, input, want) in cases {
            let ed = run(text, input);
            assert!(ed.message.starts_with(want), "{input:?}: {:?}", ed.message);
        }
    }

    #[test]
    fn quitting() {
        let cases = [
            ("a\n", ":q\r", Effect::Quit(0)),
            ("a\n", "x:q\r", Effect::Continue),
            ("a\n", "x:q!\r", Effect::Quit(0)),
            ("a\n", "xZQ", Effect::Quit(0)),
            ("a\n", "ZZ", Effect::Quit(0)),
            ("a\n", "xZZ", Effect::Continue),
        ];
        for (text, input, want) in cases {
            let mut ed = Editor::new(text.as_bytes(), 10, 40);
            let mut last = Effect::Continue;
            for k in keys(input) {
                last = ed.feed(k);
            }
            let last = last.clone();
            assert_eq!(last, want, "{input:?}");
        }
    }

    #[test]
    fn screen_wraps_long_lines_and_shows_tildes() {
        let mut text = format!("{}\nb\tx\n\x01\u{e9}", "a".repeat(45)).into_bytes();
        text.extend_from_slice(b"\xff\n");
        let mut ed = Editor::new(&text, 6, 20);
        ed.feed(Key::Byte(b'$'));
        let f = ed.render();
        assert_eq!(
            f.lines(),
            [
                "a".repeat(20),
                "a".repeat(20),
                "aaaaa".into(),
                "b       x".into(),
                "^Aé\\xff".into(),
                String::new()
            ]
        );
        assert_eq!(f.cursor, (2, 4));
        for k in keys("jl") {
            ed.feed(k);
        }
        assert_eq!(ed.render().cursor, (3, 8));
        ed.feed(Key::Byte(b'h'));
        assert_eq!(
            ed.render().cursor,
            (3, 7),
            "normal mode stands on a tab's last cell"
        );
        let long = format!("{}{}\n", "a".repeat(190), "0123456789");
        let mut ed = Editor::new(long.as_bytes(), 5, 20);
        ed.feed(Key::Byte(b'$'));
        let f = ed.render();
        assert_eq!(
            f.cursor,
            (3, 19),
            "a line longer than the screen shows the cursor's part"
        );
        assert_eq!(f.lines()[3], format!("{}0123456789", "a".repeat(10)));
        let ed = Editor::new(b"x\n", 4, 20);
        assert_eq!(ed.render().lines(), ["x", "~", "~", ""]);
    }

    #[test]
    fn screen_scrolls_to_the_cursor() {
        let text: String = (1..=100).map(|i| format!("{i}\n")).collect();
        let mut ed = Editor::new(text.as_bytes(), 5, 20);
        for k in keys("4j") {
            ed.feed(k);
        }
        let f = ed.render();
        assert_eq!(f.lines()[..4], ["2", "3", "4", "5"]);
        assert_eq!(f.cursor, (3, 0));
        for k in keys("50G") {
            ed.feed(k);
        }
        let f = ed.render();
        assert!(f.lines().contains(&"50".to_string()));
        for k in keys("gg\x06") {
            ed.feed(k);
        }
        assert_eq!(ed.cur.line, 2);
        assert_eq!(ed.render().lines()[0], "3");
        for k in keys("\x02") {
            ed.feed(k);
        }
        assert_eq!(ed.render().lines()[0], "1");
        for k in keys("GH") {
            ed.feed(k);
        }
        assert_eq!(ed.cur.line, 96);
        for k in keys("ggL") {
            ed.feed(k);
        }
        assert_eq!(ed.cur.line, 3);
        for k in keys("M") {
            ed.feed(k);
        }
        assert_eq!(ed.cur.line, 1);
        for k in keys("\x04") {
            ed.feed(k);
        }
        assert_eq!(ed.cur.line, 3);
    }

    #[test]
    fn command_line_and_insert_show_in_status() {
        let mut ed = Editor::new(b"a\n", 4, 20);
        for k in keys(":wq") {
            ed.feed(k);
        }
        let f = ed.render();
        assert_eq!(f.lines()[3], ":wq");
        assert_eq!(f.cursor, (3, 3));
        let mut ed = Editor::new(b"a\n", 4, 20);
        ed.feed(Key::Byte(b'A'));
        assert_eq!(ed.render().lines()[3], "-- INSERT --");
        assert_eq!(ed.render().cursor, (0, 1));
        ed.feed(ESC);
        for k in keys(":set nu\r") {
            ed.feed(k);
        }
        assert_eq!(ed.render().lines()[0], "     1  a");
    }

    #[test]
    fn files_are_read_and_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f.conf");
        std::fs::write(&p, b"port=80").expect("write");
        let mut ed = Editor::open(Some(p.clone()), 10, 40);
        assert!(ed.message.contains("[noeol]"), "{}", ed.message);
        for k in keys(":s/80/8080/\r:w\r") {
            ed.feed(k);
        }
        assert_eq!(std::fs::read(&p).expect("read"), b"port=8080");
        assert!(!ed.buf.modified());
        let other = dir.path().join("g");
        for k in keys(&format!(":w {}\r", other.display())) {
            ed.feed(k);
        }
        assert_eq!(std::fs::read(&other).expect("read"), b"port=8080");
        for k in keys(&format!(":w {}\r", other.display())) {
            ed.feed(k);
        }
        assert!(ed.message.contains("File exists"), "{}", ed.message);
        std::fs::write(dir.path().join("inc"), b"x\ny\n").expect("write");
        for k in keys(&format!(":r {}\r", dir.path().join("inc").display())) {
            ed.feed(k);
        }
        assert_eq!(ed.buf.to_bytes(), b"port=8080\nx\ny");
        for k in keys(":e\r") {
            ed.feed(k);
        }
        assert!(ed.message.starts_with("No write since"));
        for k in keys(":e!\r") {
            ed.feed(k);
        }
        assert_eq!(ed.buf.to_bytes(), b"port=8080");
        let missing = dir.path().join("no/such/dir/f");
        for k in keys(&format!("x:w! {}\r", missing.display())) {
            ed.feed(k);
        }
        assert!(
            ed.message.ends_with("No such file or directory"),
            "{}",
            ed.message
        );
        assert!(ed.buf.modified());
    }

    #[test]
    fn terminal_shows_what_the_frames_say() {
        use super::super::screen::{test_terminal::Terminal, Screen};
        let mut text: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        text.push_str(&"long ".repeat(20));
        text.push('\n');
        let scripts = [
            "jjjjjjjjjjjjjjjjjj",
            "jjjddddpkkP",
            "jjjonew line\x1bOabove\x1b",
            "G\x02\x06\x04\x15",
            "/line 2\rnnN",
            "x..u\x12",
            "GA and more and more and more\x1b",
            ":set nu\rjjj:set nonu\r",
            "5Gd3dp\x05\x05\x19",
            "GkJJ",
            "ggdG",
        ];
        for script in scripts {
            let mut ed = Editor::new(text.as_bytes(), 8, 30);
            let mut screen = Screen::default();
            let mut term = Terminal::new(8, 30);
            for k in keys(script) {
                ed.feed(k);
                let frame = ed.render();
                term.apply(&screen.update(&frame, 30));
                let want: Vec<String> = frame
                    .lines()
                    .iter()
                    .map(|l| l.trim_end().to_string())
                    .collect();
                assert_eq!(term.lines(), want, "{script:?} at {k:?}");
                assert_eq!(term.cursor(), frame.cursor, "{script:?} at {k:?}");
            }
        }
    }

    #[test]
    fn command_line_history() {
        let mut ed = run("a\nb\nc\n", ":2\r/c\r:1\r:");
        for k in [Key::Up, Key::Up, Key::Byte(b'\r')] {
            ed.feed(k);
        }
        assert_eq!(ed.cur.line, 1, "Up twice skips the search and recalls :2");
        for k in [Key::Byte(b'/'), Key::Up] {
            ed.feed(k);
        }
        assert_eq!(ed.render().lines()[9], "/c");
        for k in [Key::Down, Key::Byte(b'x')] {
            ed.feed(k);
        }
        assert_eq!(ed.render().lines()[9], "/x");
    }

    #[test]
    fn random_keys_never_break_the_editor() {
        // Commands, motions, operators, counts, text and control keys; `:` only as safe lines.
        const ALPHABET: &[u8] = b"hjkl wbeWBE0^$Gg%fFtT;,HMLnN123xXrsSCDJu.~pPiaIAoOR dcy><mq'`\x1b\x1b\x1b\r\x7f\t\x02\x04\x06\x15\x05\x19\x12\x07\x16\xc3\xa9\xff/?";
        const EX: &[&str] = &[
            ":s/a/bb/g\r",
            ":%s/^/ /\r",
            ":2,3d\r",
            ":$\r",
            ":set nu ai\r",
            ":set nonu\r",
            ":1\r",
        ];
        let texts: &[&[u8]] = &[
            b"",
            b"a",
            b"abc def\n\tghi (jkl)\n\n  mno\n",
            b"\xff\x00x\ny",
            "é€x\n".as_bytes(),
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut rand = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for round in 0..200 {
            let text = texts[round % texts.len()];
            let mut ed = Editor::new(text, 3 + round % 7, 10 + round % 13);
            for _ in 0..300 {
                let b = ALPHABET[rand(ALPHABET.len())];
                let keys: Vec<Key> = if b == b'q' {
                    EX[rand(EX.len())].bytes().map(Key::Byte).collect()
                } else if b == b'/' || b == b'?' {
                    vec![Key::Byte(b), Key::Byte(b"ab.(["[rand(5)]), Key::Byte(b'\r')]
                } else if rand(8) == 0 {
                    let special = [
                        Key::Up,
                        Key::Down,
                        Key::Left,
                        Key::Right,
                        Key::Home,
                        Key::End,
                        Key::Delete,
                        Key::PageUp,
                        Key::PageDown,
                    ];
                    vec![special[rand(special.len())]]
                } else {
                    vec![Key::Byte(b)]
                };
                for k in keys {
                    ed.feed(k);
                    let f = ed.render();
                    assert!(ed.cur.line < ed.buf.len());
                    assert!(ed.cur.col <= ed.buf.line(ed.cur.line).len());
                    assert!(f.cursor.0 < f.rows.len());
                }
            }
        }
    }
}
