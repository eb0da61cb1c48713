//! Normal-mode commands: parsing `[count] [operator [count]] motion` and the other one-key
//! commands (POSIX vi(1p) "Commands in vi"), and computing where motions go.

use super::buffer::{char_len, last_char, prev_char, Buffer, Pos};
use super::keys::Key;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Delete,
    Change,
    Yank,
    /// `>`: one tab more at the start of each line.
    ShiftRight,
    /// `<`: one tab (or up to 8 spaces) less.
    ShiftLeft,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindKind {
    /// `f`: onto the character, forward.
    To,
    /// `F`
    BackTo,
    /// `t`: just before it.
    Till,
    /// `T`
    BackTill,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Motion {
    Left,
    Right,
    /// Backspace: like `h` but continues onto the previous line.
    BackLeft,
    /// Space: like `l` but continues onto the next line.
    SpaceRight,
    Up,
    Down,
    /// `+` / Enter: first non-blank of a later line.
    NextLineStart,
    /// `-`
    PrevLineStart,
    /// `w` / `W` (true: blank-separated WORDs).
    WordFwd(bool),
    WordBack(bool),
    WordEnd(bool),
    LineStart,
    FirstNonBlank,
    LineEnd,
    /// `G`: the count's line, else the last.
    GotoLast,
    /// `gg`: the count's line, else the first.
    GotoFirst,
    Find(FindKind, Vec<u8>),
    RepeatFind,
    RepeatFindBack,
    MatchPair,
    ScreenTop,
    ScreenMiddle,
    ScreenBottom,
    /// `'x`: the marked line (`''`: where the last jump started).
    MarkLine(u8),
    /// `` `x ``: the marked position.
    Mark(u8),
    SearchNext,
    SearchPrev,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Insert,
    Append,
    InsertBol,
    AppendEol,
    OpenBelow,
    OpenAbove,
    Replace,
    DeleteChar,
    DeleteCharBack,
    ReplaceChar(Vec<u8>),
    Subst,
    SubstLine,
    ChangeEol,
    DeleteEol,
    YankLine,
    Join,
    Undo,
    Redo,
    Repeat,
    ToggleCase,
    PutAfter,
    PutBefore,
    Info,
    WriteQuit,
    QuitNoWrite,
    SetMark(u8),
    PageDown,
    PageUp,
    HalfDown,
    HalfUp,
    LineDown,
    LineUp,
    Redraw,
    CommandLine(u8),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Move(Motion),
    Operate(Op, Motion),
    /// `dd`, `cc`, `yy`: whole lines.
    Lines(Op),
    Do(Action),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmd {
    pub count: Option<usize>,
    pub kind: Kind,
}

impl Cmd {
    pub fn n(&self) -> usize {
        self.count.unwrap_or(1).max(1)
    }

    /// Changes text: what `.` repeats.
    pub fn is_change(&self) -> bool {
        use Action::*;
        match &self.kind {
            Kind::Move(_) => false,
            Kind::Operate(op, _) | Kind::Lines(op) => *op != Op::Yank,
            Kind::Do(a) => matches!(
                a,
                Insert
                    | Append
                    | InsertBol
                    | AppendEol
                    | OpenBelow
                    | OpenAbove
                    | Replace
                    | DeleteChar
                    | DeleteCharBack
                    | ReplaceChar(_)
                    | Subst
                    | SubstLine
                    | ChangeEol
                    | DeleteEol
                    | Join
                    | ToggleCase
                    | PutAfter
                    | PutBefore
            ),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parse {
    Incomplete,
    Invalid,
    Done(Cmd),
}

/// Bytes a UTF-8 character starting with `lead` takes.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

/// A character argument (`f`, `r`…) at `keys[at..]`: its bytes, or None while incomplete.
fn char_arg(keys: &[Key]) -> Option<Result<Vec<u8>, ()>> {
    let Some(Key::Byte(lead)) = keys.first() else {
        return if keys.is_empty() { None } else { Some(Err(())) };
    };
    if *lead == 0x1b {
        return Some(Err(()));
    }
    let want = utf8_len(*lead);
    if keys.len() < want {
        return None;
    }
    let mut out = Vec::new();
    for k in &keys[..want] {
        match k {
            Key::Byte(b) => out.push(*b),
            _ => return Some(Err(())),
        }
    }
    Some(Ok(out))
}

fn count_at(keys: &[Key], mut i: usize) -> (Option<usize>, usize) {
    let mut n: Option<usize> = None;
    while let Some(Key::Byte(b)) = keys.get(i) {
        if b.is_ascii_digit() && (*b != b'0' || n.is_some()) {
            n = Some(
                n.unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(usize::from(b - b'0')),
            );
            i += 1;
        } else {
            break;
        }
    }
    (n, i)
}

/// A motion at `keys`: Ok(Some) done, Ok(None) needs more keys, Err not a motion.
fn motion(keys: &[Key]) -> Result<Option<Motion>, ()> {
    use Motion::*;
    let Some(k) = keys.first() else {
        return Ok(None);
    };
    let m = match k {
        Key::Left => Left,
        Key::Right => Right,
        Key::Up => Up,
        Key::Down => Down,
        Key::Home => LineStart,
        Key::End => LineEnd,
        Key::Byte(b) => match b {
            b'h' => Left,
            b'l' => Right,
            b'j' | 0x0e => Down,
            b'k' | 0x10 => Up,
            0x08 | 0x7f => BackLeft,
            b' ' => SpaceRight,
            b'+' | b'\r' | b'\n' => NextLineStart,
            b'-' => PrevLineStart,
            b'w' => WordFwd(false),
            b'W' => WordFwd(true),
            b'b' => WordBack(false),
            b'B' => WordBack(true),
            b'e' => WordEnd(false),
            b'E' => WordEnd(true),
            b'0' => LineStart,
            b'^' => FirstNonBlank,
            b'$' => LineEnd,
            b'G' => GotoLast,
            b'%' => MatchPair,
            b';' => RepeatFind,
            b',' => RepeatFindBack,
            b'H' => ScreenTop,
            b'M' => ScreenMiddle,
            b'L' => ScreenBottom,
            b'\'' | b'`' => {
                return match keys.get(1) {
                    None => Ok(None),
                    Some(Key::Byte(c)) if c.is_ascii_lowercase() || *c == b'\'' || *c == b'`' => {
                        let c = if *c == b'`' { b'\'' } else { *c };
                        Ok(Some(if *b == b'\'' { MarkLine(c) } else { Mark(c) }))
                    }
                    Some(_) => Err(()),
                }
            }
            b'n' => SearchNext,
            b'N' => SearchPrev,
            b'g' => match keys.get(1) {
                None => return Ok(None),
                Some(Key::Byte(b'g')) => GotoFirst,
                Some(_) => return Err(()),
            },
            b'f' | b'F' | b't' | b'T' => {
                let kind = match b {
                    b'f' => FindKind::To,
                    b'F' => FindKind::BackTo,
                    b't' => FindKind::Till,
                    _ => FindKind::BackTill,
                };
                return match char_arg(&keys[1..]) {
                    None => Ok(None),
                    Some(Ok(c)) => Ok(Some(Find(kind, c))),
                    Some(Err(())) => Err(()),
                };
            }
            _ => return Err(()),
        },
        _ => return Err(()),
    };
    Ok(Some(m))
}

fn action(keys: &[Key]) -> Result<Option<Action>, ()> {
    use Action::*;
    let Some(k) = keys.first() else {
        return Ok(None);
    };
    let a = match k {
        Key::Insert => Insert,
        Key::Delete => DeleteChar,
        Key::PageDown => PageDown,
        Key::PageUp => PageUp,
        Key::Byte(b) => match b {
            b'i' => Insert,
            b'a' => Append,
            b'I' => InsertBol,
            b'A' => AppendEol,
            b'o' => OpenBelow,
            b'O' => OpenAbove,
            b'R' => Replace,
            b'x' => DeleteChar,
            b'X' => DeleteCharBack,
            b's' => Subst,
            b'S' => SubstLine,
            b'C' => ChangeEol,
            b'D' => DeleteEol,
            b'Y' => YankLine,
            b'J' => Join,
            b'm' => {
                return match keys.get(1) {
                    None => Ok(None),
                    Some(Key::Byte(c)) if c.is_ascii_lowercase() => Ok(Some(SetMark(*c))),
                    Some(_) => Err(()),
                }
            }
            b'u' => Undo,
            0x12 => Redo,
            b'.' => Repeat,
            b'~' => ToggleCase,
            b'p' => PutAfter,
            b'P' => PutBefore,
            0x07 => Info,
            0x06 => PageDown,
            0x02 => PageUp,
            0x04 => HalfDown,
            0x15 => HalfUp,
            0x05 => LineDown,
            0x19 => LineUp,
            0x0c => Redraw,
            b':' | b'/' | b'?' => CommandLine(*b),
            b'r' => {
                return match char_arg(&keys[1..]) {
                    None => Ok(None),
                    Some(Ok(c)) => Ok(Some(ReplaceChar(c))),
                    Some(Err(())) => Err(()),
                }
            }
            b'Z' => match keys.get(1) {
                None => return Ok(None),
                Some(Key::Byte(b'Z')) => WriteQuit,
                Some(Key::Byte(b'Q')) => QuitNoWrite,
                Some(_) => return Err(()),
            },
            _ => return Err(()),
        },
        _ => return Err(()),
    };
    Ok(Some(a))
}

/// Parse the keys typed so far in normal mode.
pub fn parse(keys: &[Key]) -> Parse {
    let (count1, i) = count_at(keys, 0);
    let Some(&first) = keys.get(i) else {
        return Parse::Incomplete;
    };
    let op = match first {
        Key::Byte(b'd') => Some(Op::Delete),
        Key::Byte(b'c') => Some(Op::Change),
        Key::Byte(b'y') => Some(Op::Yank),
        Key::Byte(b'>') => Some(Op::ShiftRight),
        Key::Byte(b'<') => Some(Op::ShiftLeft),
        _ => None,
    };
    let done = |count, kind| Parse::Done(Cmd { count, kind });
    if let Some(op) = op {
        let (count2, j) = count_at(keys, i + 1);
        let count = match (count1, count2) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(1).saturating_mul(b.unwrap_or(1))),
        };
        if keys.get(j) == Some(&first) {
            return done(count, Kind::Lines(op));
        }
        return match motion(&keys[j..]) {
            Ok(None) => Parse::Incomplete,
            Ok(Some(m)) => done(count, Kind::Operate(op, m)),
            Err(()) => Parse::Invalid,
        };
    }
    match motion(&keys[i..]) {
        Ok(Some(m)) => return done(count1, Kind::Move(m)),
        Ok(None) => return Parse::Incomplete,
        Err(()) => {}
    }
    match action(&keys[i..]) {
        Ok(Some(a)) => done(count1, Kind::Do(a)),
        Ok(None) => Parse::Incomplete,
        Err(()) => Parse::Invalid,
    }
}

/// Where a motion lands and how an operator treats the span up to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub pos: Pos,
    /// Whole lines (`j`, `G`…).
    pub linewise: bool,
    /// The character under `pos` is part of the span (`e`, `$`, `f`, `%`).
    pub inclusive: bool,
}

impl Target {
    fn exclusive(pos: Pos) -> Target {
        Target {
            pos,
            linewise: false,
            inclusive: false,
        }
    }
    fn inclusive(pos: Pos) -> Target {
        Target {
            pos,
            linewise: false,
            inclusive: true,
        }
    }
    fn lines(pos: Pos) -> Target {
        Target {
            pos,
            linewise: true,
            inclusive: false,
        }
    }
}

pub fn first_non_blank(line: &[u8]) -> usize {
    line.iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(0)
        .min(last_char(line))
}

/// Character class for word motions: 0 blank (and line ends), 1 word, 2 punctuation.
pub fn class(buf: &Buffer, p: Pos, big: bool) -> u8 {
    match buf.line(p.line).get(p.col) {
        None | Some(b' ' | b'\t') => 0,
        Some(_) if big => 1,
        Some(b) if b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80 => 1,
        Some(_) => 2,
    }
}

/// The next position, counting each line's end as one position (the newline).
fn next(buf: &Buffer, p: Pos) -> Option<Pos> {
    let line = buf.line(p.line);
    if p.col < line.len() {
        Some(Pos::new(p.line, p.col + char_len(line, p.col)))
    } else if p.line + 1 < buf.len() {
        Some(Pos::new(p.line + 1, 0))
    } else {
        None
    }
}

fn prev(buf: &Buffer, p: Pos) -> Option<Pos> {
    if p.col > 0 {
        Some(Pos::new(p.line, prev_char(buf.line(p.line), p.col)))
    } else if p.line > 0 {
        Some(Pos::new(p.line - 1, buf.line(p.line - 1).len()))
    } else {
        None
    }
}

fn empty_line(buf: &Buffer, p: Pos) -> bool {
    p.col == 0 && buf.line(p.line).is_empty()
}

/// One `w`: the start of the next word, or None at the end of the buffer.
pub fn word_fwd(buf: &Buffer, mut p: Pos, big: bool) -> Option<Pos> {
    let start_line = p.line;
    let c = class(buf, p, big);
    if c != 0 {
        while class(buf, p, big) == c {
            p = next(buf, p)?;
        }
    }
    loop {
        if class(buf, p, big) != 0 || empty_line(buf, p) && p.line != start_line {
            return Some(p);
        }
        p = next(buf, p)?;
    }
}

/// One `e`.
pub fn word_end(buf: &Buffer, p: Pos, big: bool) -> Option<Pos> {
    let mut p = next(buf, p)?;
    while class(buf, p, big) == 0 {
        p = next(buf, p)?;
    }
    let c = class(buf, p, big);
    while let Some(q) = next(buf, p) {
        if class(buf, q, big) != c || q.line != p.line {
            break;
        }
        p = q;
    }
    Some(p)
}

/// One `b`.
pub fn word_back(buf: &Buffer, p: Pos, big: bool) -> Option<Pos> {
    let mut p = prev(buf, p)?;
    while class(buf, p, big) == 0 && !empty_line(buf, p) {
        p = prev(buf, p)?;
    }
    if empty_line(buf, p) {
        return Some(p);
    }
    let c = class(buf, p, big);
    while let Some(q) = prev(buf, p) {
        if class(buf, q, big) != c || q.line != p.line {
            break;
        }
        p = q;
    }
    Some(p)
}

/// `%`: the bracket matching the one under or after the cursor on its line.
pub fn match_pair(buf: &Buffer, p: Pos) -> Option<Pos> {
    const PAIRS: [(u8, u8); 3] = [(b'(', b')'), (b'[', b']'), (b'{', b'}')];
    let line = buf.line(p.line);
    let start =
        (p.col..line.len()).find(|&i| PAIRS.iter().any(|&(o, c)| line[i] == o || line[i] == c))?;
    let here = line[start];
    let (open, close, fwd) = PAIRS.iter().find_map(|&(o, c)| {
        (here == o)
            .then_some((o, c, true))
            .or((here == c).then_some((o, c, false)))
    })?;
    let mut depth = 0usize;
    let mut q = Pos::new(p.line, start);
    loop {
        let b = buf.line(q.line).get(q.col).copied();
        if b == Some(open) {
            if fwd {
                depth += 1;
            } else {
                depth -= 1;
            }
        } else if b == Some(close) {
            if fwd {
                depth -= 1;
            } else {
                depth += 1;
            }
        }
        if depth == 0 {
            return Some(q);
        }
        q = if fwd { next(buf, q)? } else { prev(buf, q)? };
    }
}

/// `f`/`t`/`F`/`T` for `ch`, `n` times, on the cursor's line.
pub fn find_char(
    buf: &Buffer,
    p: Pos,
    kind: FindKind,
    ch: &[u8],
    n: usize,
    repeat: bool,
) -> Option<Target> {
    let line = buf.line(p.line);
    let hits: Vec<usize> = (0..line.len())
        .filter(|&i| line[i..].starts_with(ch))
        .collect();
    let fwd = matches!(kind, FindKind::To | FindKind::Till);
    // Repeating `t` from just before a match must not find the same match again.
    let skip = usize::from(repeat && matches!(kind, FindKind::Till | FindKind::BackTill));
    let at = if fwd {
        let mut c = hits.iter().filter(|&&i| i > p.col + skip);
        *c.nth(n - 1)?
    } else {
        let mut c = hits.iter().rev().filter(|&&i| i + skip < p.col);
        *c.nth(n - 1)?
    };
    let col = match kind {
        FindKind::To | FindKind::BackTo => at,
        FindKind::Till => prev_char(line, at),
        FindKind::BackTill => at + char_len(line, at),
    };
    Some(if fwd {
        Target::inclusive(Pos::new(p.line, col))
    } else {
        Target::exclusive(Pos::new(p.line, col))
    })
}

/// Motions that need nothing outside the buffer (no screen, no search, no last `f`).
pub fn simple_motion(
    buf: &Buffer,
    p: Pos,
    m: &Motion,
    count: Option<usize>,
    for_op: bool,
) -> Option<Target> {
    use Motion::*;
    let n = count.unwrap_or(1).max(1);
    let last = buf.len() - 1;
    let line = buf.line(p.line);
    let goto = |l: usize| Target::lines(Pos::new(l, first_non_blank(buf.line(l))));
    Some(match m {
        Left => {
            if p.col == 0 {
                return None;
            }
            let mut c = p.col;
            for _ in 0..n {
                if c > 0 {
                    c = prev_char(line, c);
                }
            }
            Target::exclusive(Pos::new(p.line, c))
        }
        Right => {
            let end = if for_op { line.len() } else { last_char(line) };
            if p.col >= end {
                return None;
            }
            let mut c = p.col;
            for _ in 0..n {
                if c < end {
                    c = (c + char_len(line, c)).min(end);
                }
            }
            Target::exclusive(Pos::new(p.line, c))
        }
        BackLeft => {
            let mut q = p;
            for _ in 0..n {
                q = if q.col > 0 {
                    Pos::new(q.line, prev_char(buf.line(q.line), q.col))
                } else if q.line > 0 {
                    Pos::new(q.line - 1, last_char(buf.line(q.line - 1)))
                } else {
                    q
                };
            }
            Target::exclusive(q)
        }
        SpaceRight => {
            let mut q = p;
            for _ in 0..n {
                let l = buf.line(q.line);
                q = if q.col + char_len(l, q.col) < l.len() {
                    Pos::new(q.line, q.col + char_len(l, q.col))
                } else if q.line < last {
                    Pos::new(q.line + 1, 0)
                } else {
                    q
                };
            }
            Target::exclusive(q)
        }
        Up | PrevLineStart => {
            if p.line == 0 {
                return None;
            }
            let l = p.line.saturating_sub(n);
            if *m == Up {
                Target::lines(Pos::new(l, p.col))
            } else {
                goto(l)
            }
        }
        Down | NextLineStart => {
            if p.line == last {
                return None;
            }
            let l = (p.line + n).min(last);
            if *m == Down {
                Target::lines(Pos::new(l, p.col))
            } else {
                goto(l)
            }
        }
        LineStart => Target::exclusive(Pos::new(p.line, 0)),
        FirstNonBlank => Target::exclusive(Pos::new(p.line, first_non_blank(line))),
        LineEnd => {
            let l = (p.line + n - 1).min(last);
            let text = buf.line(l);
            Target::inclusive(Pos::new(l, last_char(text)))
        }
        GotoLast => goto(count.map(|c| c.saturating_sub(1).min(last)).unwrap_or(last)),
        GotoFirst => goto(count.map(|c| c.saturating_sub(1).min(last)).unwrap_or(0)),
        WordFwd(big) => {
            let mut q = p;
            for i in 0..n {
                match word_fwd(buf, q, *big) {
                    // `dw` on a line's last word stops at its end, not the next line's start.
                    Some(r) if for_op && i == n - 1 && r.line > q.line => {
                        let eol = Pos::new(q.line, buf.line(q.line).len());
                        q = if eol == q { r } else { eol };
                        break;
                    }
                    Some(r) => q = r,
                    None if for_op => {
                        q = Pos::new(last, buf.line(last).len());
                        break;
                    }
                    None => {
                        q = Pos::new(last, last_char(buf.line(last)));
                        break;
                    }
                }
            }
            if q == p {
                return None;
            }
            Target::exclusive(q)
        }
        WordEnd(big) => {
            let mut q = p;
            for _ in 0..n {
                q = word_end(buf, q, *big)?;
            }
            Target::inclusive(q)
        }
        WordBack(big) => {
            let mut q = p;
            for _ in 0..n {
                match word_back(buf, q, *big) {
                    Some(r) => q = r,
                    None if q != p => break,
                    None => return None,
                }
            }
            Target::exclusive(q)
        }
        MatchPair => Target::inclusive(match_pair(buf, p)?),
        Find(kind, ch) => find_char(buf, p, *kind, ch, n, false)?,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> Vec<Key> {
        s.bytes().map(Key::Byte).collect()
    }

    #[test]
    fn parses_counts_operators_motions() {
        use Kind::*;
        let cases = [
            (
                "j",
                Parse::Done(Cmd {
                    count: None,
                    kind: Move(Motion::Down),
                }),
            ),
            (
                "3j",
                Parse::Done(Cmd {
                    count: Some(3),
                    kind: Move(Motion::Down),
                }),
            ),
            (
                "0",
                Parse::Done(Cmd {
                    count: None,
                    kind: Move(Motion::LineStart),
                }),
            ),
            (
                "10G",
                Parse::Done(Cmd {
                    count: Some(10),
                    kind: Move(Motion::GotoLast),
                }),
            ),
            (
                "3dd",
                Parse::Done(Cmd {
                    count: Some(3),
                    kind: Lines(Op::Delete),
                }),
            ),
            (
                "2d3w",
                Parse::Done(Cmd {
                    count: Some(6),
                    kind: Operate(Op::Delete, Motion::WordFwd(false)),
                }),
            ),
            ("d", Parse::Incomplete),
            ("d2", Parse::Incomplete),
            ("g", Parse::Incomplete),
            (
                "gg",
                Parse::Done(Cmd {
                    count: None,
                    kind: Move(Motion::GotoFirst),
                }),
            ),
            (
                "dfx",
                Parse::Done(Cmd {
                    count: None,
                    kind: Operate(Op::Delete, Motion::Find(FindKind::To, b"x".to_vec())),
                }),
            ),
            ("r", Parse::Incomplete),
            (
                "rx",
                Parse::Done(Cmd {
                    count: None,
                    kind: Do(Action::ReplaceChar(b"x".to_vec())),
                }),
            ),
            ("dq", Parse::Invalid),
            ("q", Parse::Invalid),
            (
                "ZZ",
                Parse::Done(Cmd {
                    count: None,
                    kind: Do(Action::WriteQuit),
                }),
            ),
            (
                "yy",
                Parse::Done(Cmd {
                    count: None,
                    kind: Lines(Op::Yank),
                }),
            ),
            (
                ">>",
                Parse::Done(Cmd {
                    count: None,
                    kind: Lines(Op::ShiftRight),
                }),
            ),
            (
                "<j",
                Parse::Done(Cmd {
                    count: None,
                    kind: Operate(Op::ShiftLeft, Motion::Down),
                }),
            ),
            (
                "ma",
                Parse::Done(Cmd {
                    count: None,
                    kind: Do(Action::SetMark(b'a')),
                }),
            ),
            (
                "d'a",
                Parse::Done(Cmd {
                    count: None,
                    kind: Operate(Op::Delete, Motion::MarkLine(b'a')),
                }),
            ),
            (
                "``",
                Parse::Done(Cmd {
                    count: None,
                    kind: Move(Motion::Mark(b'\'')),
                }),
            ),
            ("'", Parse::Incomplete),
            ("mA", Parse::Invalid),
        ];
        for (input, want) in cases {
            assert_eq!(parse(&keys(input)), want, "{input}");
        }
    }

    #[test]
    fn word_motions() {
        let buf = Buffer::from_bytes(b"foo bar.baz  qux\n\n  last\n");
        let cases = [
            ((0, 0), "w", (0, 4)),
            ((0, 4), "w", (0, 7)),
            ((0, 7), "w", (0, 8)),
            ((0, 8), "w", (0, 13)),
            ((0, 13), "w", (1, 0)),
            ((1, 0), "w", (2, 2)),
            ((0, 4), "W", (0, 13)),
            ((0, 0), "e", (0, 2)),
            ((0, 2), "e", (0, 6)),
            ((0, 13), "e", (0, 15)),
            ((0, 15), "e", (2, 5)),
            ((2, 2), "b", (1, 0)),
            ((1, 0), "b", (0, 13)),
            ((0, 13), "b", (0, 8)),
            ((0, 13), "B", (0, 4)),
        ];
        for ((l, c), m, (wl, wc)) in cases {
            let p = Pos::new(l, c);
            let got = match m {
                "w" => word_fwd(&buf, p, false),
                "W" => word_fwd(&buf, p, true),
                "e" => word_end(&buf, p, false),
                "b" => word_back(&buf, p, false),
                _ => word_back(&buf, p, true),
            };
            assert_eq!(got, Some(Pos::new(wl, wc)), "{m} from {l},{c}");
        }
    }

    #[test]
    fn percent_matches_brackets() {
        let buf = Buffer::from_bytes(b"f(a[1], {b})\n{\n}\n");
        assert_eq!(match_pair(&buf, Pos::new(0, 0)), Some(Pos::new(0, 11)));
        assert_eq!(match_pair(&buf, Pos::new(0, 11)), Some(Pos::new(0, 1)));
        assert_eq!(match_pair(&buf, Pos::new(0, 3)), Some(Pos::new(0, 5)));
        assert_eq!(match_pair(&buf, Pos::new(1, 0)), Some(Pos::new(2, 0)));
    }
}
