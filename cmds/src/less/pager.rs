//! Pager state: where the screen is in the text, what is being typed, the last search.
//! Pure: keys in ([`Pager::key`]), rows out ([`Pager::screen`]); the terminal is elsewhere.

use regex::bytes::{Regex, RegexBuilder};

use super::keys::{ctrl, Key};
use super::screen::{row_count, rows, Look, Row};
use super::source::Source;

/// Options that change how the pager behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Config {
    pub chop: bool,
    pub raw: bool,
    pub numbers: bool,
    /// -i: searches ignore case unless the pattern has upper case letters.
    pub smart_case: bool,
    /// -I: searches always ignore case.
    pub ignore_case: bool,
    /// Called as `more`: its prompt, and reaching the end moves on.
    pub more: bool,
}

/// What the caller must do after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Stay,
    Quit,
    /// `:n`: the next file.
    Next,
    /// `:p`: the previous file.
    Prev,
    /// `more` reached the end of the text: next file, or quit after the last.
    Finished,
}

/// A screen position: line `line`, and which of its wrapped rows is at the top.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub sub: usize,
}

const HELP: &str = "\
                   SUMMARY OF LESS COMMANDS

  h  H                 Display this help.
  q  :q  Q  :Q  ZZ     Exit.

  e  ^E  j  ^N  CR  *  Forward  one line   (or N lines).
  y  ^Y  k  ^K  ^P  *  Backward one line   (or N lines).
  f  ^F  ^V  SPACE  *  Forward  one window (or N lines).
  b  ^B  ESC-v      *  Backward one window (or N lines).
  d  ^D             *  Forward  one half-window.
  u  ^U             *  Backward one half-window.
  r  ^R  ^L            Repaint the screen.

  /pattern          *  Search forward for (N-th) matching line.
  ?pattern          *  Search backward for (N-th) matching line.
  n                 *  Repeat previous search (for N-th occurrence).
  N                 *  Repeat previous search in reverse direction.

  g  <  ESC-<       *  Go to first line in file (or line N).
  G  >  ESC->       *  Go to last line in file (or line N).
  =  ^G                Print current file name and position.
  :n                *  Examine the next file.
  :p                *  Examine the previous file.

  Commands marked with * may be preceded by a number, N.";

pub struct Pager<S: Source> {
    src: S,
    cfg: Config,
    rows: usize,
    cols: usize,
    top: Pos,
    count: Option<usize>,
    /// A search being typed: `/` or `?`, and the text so far.
    prompt: Option<(char, String)>,
    /// The first key of a two-key command (`:` or `Z`).
    pending: Option<char>,
    pattern: Option<Regex>,
    backward: bool,
    message: Option<String>,
    help: bool,
    name: String,
    next_name: Option<String>,
    /// Still on the first screen of this file: the status line shows its name.
    fresh: bool,
    /// The half-page size set by a count before `d`/`u`.
    half: Option<usize>,
}

impl<S: Source> Pager<S> {
    pub fn new(src: S, cfg: Config, rows: usize, cols: usize, name: &str) -> Pager<S> {
        Pager {
            src,
            cfg,
            rows: rows.max(2),
            cols: cols.max(1),
            top: Pos::default(),
            count: None,
            prompt: None,
            pending: None,
            pattern: None,
            backward: false,
            message: None,
            help: false,
            name: name.to_string(),
            next_name: None,
            fresh: true,
            half: None,
        }
    }

    /// Show another file (`:n`, `:p`); the search pattern is kept.
    pub fn set_source(&mut self, src: S, name: &str, next_name: Option<String>) {
        self.src = src;
        self.name = name.to_string();
        self.next_name = next_name;
        self.top = Pos::default();
        self.fresh = true;
    }

    pub fn set_next_name(&mut self, next: Option<String>) {
        self.next_name = next;
    }

    pub fn resize(&mut self, rows: usize, cols: usize) {
        self.rows = rows.max(2);
        self.cols = cols.max(1);
        self.top.sub = 0;
    }

    pub fn set_message(&mut self, m: &str) {
        self.message = Some(m.to_string());
    }

    pub fn source(&mut self) -> &mut S {
        &mut self.src
    }

    pub fn top(&self) -> Pos {
        self.top
    }

    fn look(&self) -> Look {
        Look {
            cols: self.cols,
            chop: self.cfg.chop,
            raw: self.cfg.raw,
            numbers: self.cfg.numbers,
        }
    }

    /// Rows of text on the screen (all but the status line).
    fn page(&self) -> usize {
        self.rows - 1
    }

    fn line_rows(&mut self, line: usize) -> usize {
        let look = self.look();
        self.src
            .line(line)
            .map(|l| row_count(&l, &look))
            .unwrap_or(1)
    }

    /// Move `n` rows down from `pos`, stopping at the last row of the text.
    fn advance(&mut self, mut pos: Pos, n: usize) -> (Pos, usize) {
        let mut moved = 0;
        while moved < n {
            if pos.sub + 1 < self.line_rows(pos.line) {
                pos.sub += 1;
            } else if self.src.line(pos.line + 1).is_some() {
                pos = Pos {
                    line: pos.line + 1,
                    sub: 0,
                };
            } else {
                break;
            }
            moved += 1;
        }
        (pos, moved)
    }

    fn retreat(&mut self, mut pos: Pos, n: usize) -> Pos {
        for _ in 0..n {
            if pos.sub > 0 {
                pos.sub -= 1;
            } else if pos.line > 0 {
                pos.line -= 1;
                pos.sub = self.line_rows(pos.line) - 1;
            } else {
                break;
            }
        }
        pos
    }

    /// True when the last row of the text is on the screen.
    pub fn at_end(&mut self) -> bool {
        let page = self.page();
        self.advance(self.top, page).1 < page
    }

    fn forward(&mut self, n: usize) {
        let page = self.page();
        let (mut bottom, moved) = self.advance(self.top, page - 1);
        if moved < page - 1 {
            return;
        }
        for _ in 0..n {
            let (next, moved) = self.advance(bottom, 1);
            if moved == 0 {
                break;
            }
            bottom = next;
            self.top = self.advance(self.top, 1).0;
        }
    }

    fn backward(&mut self, n: usize) {
        self.top = self.retreat(self.top, n);
    }

    /// Keep the screen full when the text is long enough: near the end, pull the top up.
    fn fill_screen(&mut self) {
        let page = self.page();
        let moved = self.advance(self.top, page - 1).1;
        if moved < page - 1 {
            self.top = self.retreat(self.top, page - 1 - moved);
        }
    }

    /// Line `line` (0-based) at the top, or the end if the text is shorter.
    pub fn goto_line(&mut self, line: usize) {
        self.top = if self.src.line(line).is_some() {
            Pos { line, sub: 0 }
        } else {
            self.end_pos()
        };
        self.fill_screen();
    }

    /// The last row of the text (reads it all).
    fn end_pos(&mut self) -> Pos {
        let n = self.src.read_all();
        if n == 0 {
            return Pos::default();
        }
        let sub = self.line_rows(n - 1) - 1;
        Pos { line: n - 1, sub }
    }

    fn goto_end(&mut self) {
        let page = self.page();
        let end = self.end_pos();
        self.top = self.retreat(end, page - 1);
    }

    fn compile(&self, text: &str) -> Result<Regex, regex::Error> {
        let fold =
            self.cfg.ignore_case || (self.cfg.smart_case && !text.chars().any(char::is_uppercase));
        RegexBuilder::new(text).case_insensitive(fold).build()
    }

    /// `/text` (or `?text` backward): remember it and search for the `nth` match.
    pub fn search(&mut self, text: &str, backward: bool, nth: usize) {
        if !text.is_empty() {
            match self.compile(text) {
                Ok(re) => self.pattern = Some(re),
                Err(_) => {
                    self.message = Some("Invalid pattern".into());
                    return;
                }
            }
        }
        self.backward = backward;
        self.repeat_search(backward, nth);
    }

    /// Put the `nth` line matching the pattern after (or before) the top line at the top.
    fn repeat_search(&mut self, backward: bool, nth: usize) {
        let Some(re) = self.pattern.clone() else {
            self.message = Some("No previous regular expression".into());
            return;
        };
        let mut found = 0;
        let mut at = self.top.line;
        loop {
            if backward {
                if at == 0 {
                    break;
                }
                at -= 1;
            } else {
                at += 1;
            }
            let Some(line) = self.src.line(at) else {
                break;
            };
            if re.is_match(&line) {
                found += 1;
                if found == nth.max(1) {
                    self.top = Pos { line: at, sub: 0 };
                    return;
                }
            }
        }
        self.message = Some("Pattern not found".into());
    }

    /// Search from the very first line (`+/pattern` on the command line).
    pub fn search_from_start(&mut self, text: &str) {
        match self.compile(text) {
            Ok(re) => {
                let first = self.src.line(0).is_some_and(|l| re.is_match(&l));
                self.pattern = Some(re);
                if !first {
                    self.repeat_search(false, 1);
                }
            }
            Err(_) => self.message = Some("Invalid pattern".into()),
        }
    }

    fn position(&mut self) -> String {
        let page = self.page();
        let first = self.top.line + 1;
        let last = self.advance(self.top, page - 1).0.line + 1;
        let mut s = format!("{} lines {first}-{last}", self.name);
        if let Some(total) = self.src.known_len() {
            s.push_str(&format!("/{total}"));
            let (read, _) = self.src.bytes();
            let pct = (last * 100).checked_div(total).unwrap_or(100);
            s.push_str(&format!(" byte {read} {pct}%"));
        }
        s
    }

    /// Handle one key.
    pub fn key(&mut self, k: Key) -> Action {
        self.message = None;
        if self.help {
            self.help = false;
            return Action::Stay;
        }
        if let Some((kind, mut text)) = self.prompt.take() {
            match k {
                Key::Char('\r' | '\n') => {
                    let n = self.count.take().unwrap_or(1);
                    self.search(&text, kind == '?', n);
                    self.fresh = false;
                }
                Key::Char('\x7f' | '\x08') => {
                    if text.pop().is_some() {
                        self.prompt = Some((kind, text));
                    }
                }
                Key::Char(c) if c == ctrl('u') => self.prompt = Some((kind, String::new())),
                Key::Escape | Key::Char('\x03') => self.count = None,
                Key::Char(c) if !c.is_control() => {
                    text.push(c);
                    self.prompt = Some((kind, text));
                }
                _ => self.prompt = Some((kind, text)),
            }
            return Action::Stay;
        }
        if let Some(first) = self.pending.take() {
            self.count = None;
            return match (first, k) {
                ('Z', Key::Char('Z')) => Action::Quit,
                (':', Key::Char('n')) => Action::Next,
                (':', Key::Char('p')) => Action::Prev,
                (':', Key::Char('q' | 'Q')) => Action::Quit,
                _ => Action::Stay,
            };
        }
        if let Key::Char(c @ '0'..='9') = k {
            let d = c as usize - '0' as usize;
            self.count = Some(self.count.unwrap_or(0).saturating_mul(10).saturating_add(d));
            return Action::Stay;
        }
        let count = self.count.take();
        let n = count.unwrap_or(1);
        let page = self.page();
        let mut moved_forward = false;
        match k {
            Key::Char('q' | 'Q') => return Action::Quit,
            Key::Char(c @ ('Z' | ':')) => {
                self.pending = Some(c);
                self.count = count;
            }
            Key::Char('j' | 'e' | '\r' | '\n') | Key::Down => {
                self.forward(n);
                moved_forward = true;
            }
            Key::Char(c) if c == ctrl('e') || c == ctrl('n') => {
                self.forward(n);
                moved_forward = true;
            }
            Key::Char('k' | 'y') | Key::Up => self.backward(n),
            Key::Char(c) if c == ctrl('y') || c == ctrl('k') || c == ctrl('p') => self.backward(n),
            Key::Char(' ' | 'f') | Key::PageDown => {
                self.forward(count.unwrap_or(page));
                moved_forward = true;
            }
            Key::Char(c) if c == ctrl('f') || c == ctrl('v') => {
                self.forward(count.unwrap_or(page));
                moved_forward = true;
            }
            Key::Char('b') | Key::PageUp | Key::Meta('v') => self.backward(count.unwrap_or(page)),
            Key::Char(c) if c == ctrl('b') => self.backward(count.unwrap_or(page)),
            Key::Char('d') => {
                self.half = count.or(self.half);
                self.forward(self.half.unwrap_or(page / 2).max(1));
                moved_forward = true;
            }
            Key::Char(c) if c == ctrl('d') => {
                self.half = count.or(self.half);
                self.forward(self.half.unwrap_or(page / 2).max(1));
                moved_forward = true;
            }
            Key::Char('u') => {
                self.half = count.or(self.half);
                self.backward(self.half.unwrap_or(page / 2).max(1));
            }
            Key::Char(c) if c == ctrl('u') => {
                self.half = count.or(self.half);
                self.backward(self.half.unwrap_or(page / 2).max(1));
            }
            Key::Char('g' | '<') | Key::Home | Key::Meta('<') => {
                self.goto_line(count.unwrap_or(1).saturating_sub(1))
            }
            Key::Char('G' | '>') | Key::End | Key::Meta('>') => match count {
                Some(c) => self.goto_line(c.saturating_sub(1)),
                None => self.goto_end(),
            },
            Key::Char(c @ ('/' | '?')) => {
                self.prompt = Some((c, String::new()));
                self.count = count;
                return Action::Stay;
            }
            Key::Char('n') => {
                let back = self.backward;
                self.repeat_search(back, n);
            }
            Key::Char('N') => {
                let back = !self.backward;
                self.repeat_search(back, n);
            }
            Key::Char('h' | 'H') => self.help = true,
            Key::Char('=') => self.message = Some(self.position()),
            Key::Char(c) if c == ctrl('g') => self.message = Some(self.position()),
            _ => {} // r, ^L, ^R and everything else: just redraw
        }
        if self.top != Pos::default() {
            self.fresh = false;
        }
        if self.cfg.more && moved_forward && self.at_end() {
            return Action::Finished;
        }
        Action::Stay
    }

    /// The whole screen: text rows, then the status line.
    pub fn screen(&mut self) -> Vec<Row> {
        let page = self.page();
        let mut out: Vec<Row> = Vec::with_capacity(self.rows);
        if self.help {
            out.extend(HELP.lines().take(page).map(|l| Row::text(l, false)));
        } else {
            let look = self.look();
            let mut line = self.top.line;
            let mut skip = self.top.sub;
            while out.len() < page {
                let Some(text) = self.src.line(line) else {
                    break;
                };
                let rs = rows(&text, line + 1, self.pattern.as_ref(), &look);
                out.extend(rs.into_iter().skip(skip).take(page - out.len()));
                skip = 0;
                line += 1;
            }
        }
        while out.len() < page {
            out.push(Row::text("~", false));
        }
        out.push(self.status());
        out
    }

    fn status(&mut self) -> Row {
        if let Some((kind, text)) = &self.prompt {
            return Row::text(&format!("{kind}{text}"), false);
        }
        if let Some(first) = self.pending {
            return Row::text(&first.to_string(), false);
        }
        if self.help {
            return Row::text("HELP -- Press any key when done", true);
        }
        if let Some(m) = &self.message {
            let m = m.clone();
            return Row::text(&m, true);
        }
        if self.cfg.more {
            let pct = self.src.known_len().filter(|&t| t > 0).map(|t| {
                let page = self.page();
                let last = self.advance(self.top, page - 1).0.line + 1;
                last * 100 / t
            });
            return match pct {
                Some(p) => Row::text(&format!("--More--({p}%)"), true),
                None => Row::text("--More--", true),
            };
        }
        if self.at_end() {
            let mut s = "(END)".to_string();
            if let Some(next) = &self.next_name {
                s.push_str(&format!(" - Next: {next}"));
            }
            return Row::text(&s, true);
        }
        if self.fresh && !self.name.is_empty() {
            return Row::text(&self.name.clone(), true);
        }
        Row::text(":", false)
    }
}

#[cfg(test)]
mod tests {
    use super::super::source::Lines;
    use super::*;

    type Text = Lines<std::io::Cursor<Vec<u8>>>;

    fn numbered(n: usize) -> Text {
        let text: String = (1..=n).map(|i| format!("line {i}\n")).collect();
        Lines::new(std::io::Cursor::new(text.into_bytes()))
    }

    fn pager(n: usize, rows: usize) -> Pager<Text> {
        Pager::new(numbered(n), Config::default(), rows, 20, "f.txt")
    }

    fn shown(p: &mut Pager<Text>) -> Vec<String> {
        p.screen().iter().map(Row::plain).collect()
    }

    fn keys(p: &mut Pager<Text>, ks: &str) -> Action {
        let mut last = Action::Stay;
        for c in ks.chars() {
            last = p.key(Key::Char(c));
        }
        last
    }

    #[test]
    fn keys_move_the_screen() {
        // (keys, first line shown, status line) on 100 lines, 5 rows (4 of text).
        let cases: [(&str, &str, &str); 14] = [
            ("", "line 1", "f.txt"),
            ("j", "line 2", ":"),
            ("jjk", "line 2", ":"),
            ("3j", "line 4", ":"),
            (" ", "line 5", ":"),
            ("  b", "line 5", ":"),
            ("d", "line 3", ":"),
            ("dddu", "line 5", ":"),
            ("G", "line 97", "(END)"),
            ("Gg", "line 1", ":"),
            ("50g", "line 50", ":"),
            ("200g", "line 97", "(END)"),
            ("G5j", "line 97", "(END)"),
            ("k", "line 1", "f.txt"),
        ];
        for (ks, first, status) in cases {
            let mut p = pager(100, 5);
            assert_eq!(keys(&mut p, ks), Action::Stay, "{ks:?}");
            let screen = shown(&mut p);
            assert_eq!(screen.len(), 5);
            assert_eq!(screen[0], first, "{ks:?}");
            assert_eq!(screen[4], status, "{ks:?}");
        }
    }

    #[test]
    fn short_text_and_tildes() {
        let mut p = pager(2, 5);
        assert_eq!(shown(&mut p), ["line 1", "line 2", "~", "~", "(END)"]);
        keys(&mut p, " G");
        assert_eq!(shown(&mut p)[0], "line 1");
        let mut empty = pager(0, 3);
        assert_eq!(shown(&mut empty), ["~", "~", "(END)"]);
    }

    #[test]
    fn search_and_repeat() {
        let mut p = pager(100, 5);
        keys(&mut p, "/line 5\r");
        assert_eq!(shown(&mut p)[0], "line 5");
        keys(&mut p, "n");
        assert_eq!(shown(&mut p)[0], "line 50");
        keys(&mut p, "N");
        assert_eq!(shown(&mut p)[0], "line 5");
        keys(&mut p, "?line 1\r");
        assert_eq!(shown(&mut p)[0], "line 1");
        keys(&mut p, "/nothing\r");
        assert_eq!(shown(&mut p)[4], "Pattern not found");
        assert_eq!(shown(&mut p)[0], "line 1");
        keys(&mut p, "/(\r");
        assert_eq!(shown(&mut p)[4], "Invalid pattern");
        // Typing shows on the status line; backspace edits.
        keys(&mut p, "/lx\x7fine 9");
        assert_eq!(shown(&mut p)[4], "/line 9");
        keys(&mut p, "\r");
        assert_eq!(shown(&mut p)[0], "line 9");
        let hl = &p.screen()[0];
        assert!(hl.cells[..6].iter().all(|c| c.highlight), "match reversed");
    }

    #[test]
    fn smart_case() {
        let cfg = Config {
            smart_case: true,
            ..Config::default()
        };
        let mut p = Pager::new(numbered(10), cfg, 5, 20, "f");
        keys(&mut p, "/LINE 3\r");
        assert_eq!(shown(&mut p)[4], "Pattern not found");
        keys(&mut p, "/line 3\r");
        assert_eq!(shown(&mut p)[0], "line 3");
        let cfg = Config {
            smart_case: true,
            ..Config::default()
        };
        let mut p = Pager::new(numbered(10), cfg, 5, 20, "f");
        keys(&mut p, "/lINE 3\r");
        assert_eq!(shown(&mut p)[4], "Pattern not found");
    }

    #[test]
    fn quitting_and_files() {
        let cases: [(&str, Action); 7] = [
            ("q", Action::Quit),
            ("Q", Action::Quit),
            ("ZZ", Action::Quit),
            (":q", Action::Quit),
            (":n", Action::Next),
            (":p", Action::Prev),
            ("Zx", Action::Stay),
        ];
        for (ks, want) in cases {
            assert_eq!(keys(&mut pager(10, 5), ks), want, "{ks:?}");
        }
        let mut p = pager(3, 5);
        p.set_next_name(Some("b.txt".into()));
        assert_eq!(shown(&mut p)[4], "(END) - Next: b.txt");
    }

    #[test]
    fn wrapped_lines_scroll_by_rows() {
        let long = format!("{}\nshort\n", "x".repeat(45));
        let src = Lines::new(std::io::Cursor::new(long.into_bytes()));
        let mut p = Pager::new(src, Config::default(), 3, 20, "w");
        assert_eq!(shown(&mut p), ["x".repeat(20), "x".repeat(20), "w".into()]);
        keys(&mut p, "j");
        assert_eq!(shown(&mut p)[..2], ["x".repeat(20), "xxxxx".into()]);
        keys(&mut p, "j");
        assert_eq!(shown(&mut p), ["xxxxx", "short", "(END)"]);
    }

    #[test]
    fn more_finishes_at_the_end() {
        let cfg = Config {
            more: true,
            ..Config::default()
        };
        let mut p = Pager::new(numbered(10), cfg, 5, 20, "f");
        assert_eq!(shown(&mut p)[4], "--More--");
        assert_eq!(p.key(Key::Char(' ')), Action::Stay);
        assert_eq!(p.key(Key::Char(' ')), Action::Finished);
    }

    #[test]
    fn help_and_position() {
        let mut p = pager(100, 5);
        keys(&mut p, "h");
        assert!(shown(&mut p)[0].contains("SUMMARY OF LESS COMMANDS"));
        keys(&mut p, "x");
        assert_eq!(shown(&mut p)[0], "line 1");
        keys(&mut p, "=");
        assert_eq!(shown(&mut p)[4], "f.txt lines 1-4");
        keys(&mut p, "G=");
        assert!(shown(&mut p)[4].starts_with("f.txt lines 97-100/100"));
    }
}
