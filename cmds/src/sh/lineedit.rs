//! A small line editor for the interactive shell on a terminal, for when rustyline's size can't
//! be afforded (see `USE_RUSTYLINE` in mod.rs): raw mode through termios, emacs-style keys
//! (arrows, Home/End, Delete, ^A ^E ^B ^F ^K ^U ^W ^L ^P ^N), history in memory.
//! Lines longer than the terminal is wide are redrawn as best the terminal can.

use nix::sys::termios::{self, InputFlags, LocalFlags, SetArg, SpecialCharacterIndices};

use super::fdio;

pub enum Read {
    Line(String),
    Eof,
    Interrupted,
}

#[derive(Default)]
pub struct LineEditor {
    history: Vec<String>,
}

/// Most lines kept for ^P / up arrow.
const HISTORY_MAX: usize = 500;

impl LineEditor {
    pub fn readline(&mut self, prompt: &str) -> Read {
        let stdin = std::io::stdin();
        let Ok(saved) = termios::tcgetattr(&stdin) else {
            return self.cooked(prompt);
        };
        let mut raw = saved.clone();
        raw.local_flags &=
            !(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG | LocalFlags::IEXTEN);
        raw.input_flags &= !(InputFlags::ICRNL | InputFlags::IXON);
        raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
        raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
        if termios::tcsetattr(&stdin, SetArg::TCSADRAIN, &raw).is_err() {
            return self.cooked(prompt);
        }
        let r = self.edit(prompt);
        let _ = termios::tcsetattr(&stdin, SetArg::TCSADRAIN, &saved);
        if let Read::Line(l) = &r {
            if !l.trim().is_empty() && self.history.last() != Some(l) {
                if self.history.len() == HISTORY_MAX {
                    self.history.remove(0);
                }
                self.history.push(l.clone());
            }
        }
        r
    }

    /// Not a terminal after all: prompt and read a plain line.
    fn cooked(&mut self, prompt: &str) -> Read {
        fdio::write_all(1, prompt.as_bytes());
        let mut line = Vec::new();
        loop {
            match fdio::read_byte(0) {
                None if line.is_empty() => return Read::Eof,
                None | Some(b'\n') => {
                    return Read::Line(String::from_utf8_lossy(&line).into_owned())
                }
                Some(b) => line.push(b),
            }
        }
    }

    fn edit(&mut self, prompt: &str) -> Read {
        let mut line: Vec<char> = Vec::new();
        let mut pos = 0;
        let mut hist = self.history.len();
        let mut draft: Vec<char> = Vec::new();
        fdio::write_all(1, prompt.as_bytes());
        loop {
            let Some(c) = read_char() else {
                return Read::Eof;
            };
            match c {
                '\r' | '\n' => {
                    fdio::write_all(1, b"\r\n");
                    return Read::Line(line.into_iter().collect());
                }
                '\x03' => {
                    fdio::write_all(1, b"^C\r\n");
                    return Read::Interrupted;
                }
                '\x04' if line.is_empty() => {
                    fdio::write_all(1, b"\r\n");
                    return Read::Eof;
                }
                '\x04' if pos < line.len() => {
                    line.remove(pos);
                }
                '\x7f' | '\x08' if pos > 0 => {
                    pos -= 1;
                    line.remove(pos);
                }
                '\x01' => pos = 0,
                '\x05' => pos = line.len(),
                '\x02' => pos = pos.saturating_sub(1),
                '\x06' => pos = (pos + 1).min(line.len()),
                '\x0b' => line.truncate(pos),
                '\x15' => {
                    line.drain(..pos);
                    pos = 0;
                }
                '\x17' => {
                    let mut start = pos;
                    while start > 0 && line[start - 1] == ' ' {
                        start -= 1;
                    }
                    while start > 0 && line[start - 1] != ' ' {
                        start -= 1;
                    }
                    line.drain(start..pos);
                    pos = start;
                }
                '\x0c' => fdio::write_all(1, b"\x1b[H\x1b[2J"),
                '\x10' | '\x0e' => {
                    self.history_step(c == '\x10', &mut hist, &mut line, &mut draft, &mut pos)
                }
                '\x1b' => match escape() {
                    Some('A') => {
                        self.history_step(true, &mut hist, &mut line, &mut draft, &mut pos)
                    }
                    Some('B') => {
                        self.history_step(false, &mut hist, &mut line, &mut draft, &mut pos)
                    }
                    Some('C') => pos = (pos + 1).min(line.len()),
                    Some('D') => pos = pos.saturating_sub(1),
                    Some('H') => pos = 0,
                    Some('F') => pos = line.len(),
                    Some('~') if pos < line.len() => {
                        line.remove(pos);
                    }
                    _ => {}
                },
                c if !c.is_control() => {
                    line.insert(pos, c);
                    pos += 1;
                    if pos == line.len() {
                        // Typing at the end, the common case: just echo (slow serial consoles).
                        let mut b = [0u8; 4];
                        fdio::write_all(1, c.encode_utf8(&mut b).as_bytes());
                        continue;
                    }
                }
                _ => {}
            }
            redraw(prompt, &line, pos);
        }
    }

    fn history_step(
        &self,
        back: bool,
        hist: &mut usize,
        line: &mut Vec<char>,
        draft: &mut Vec<char>,
        pos: &mut usize,
    ) {
        let next = if back {
            match hist.checked_sub(1) {
                Some(h) => h,
                None => return,
            }
        } else if *hist < self.history.len() {
            *hist + 1
        } else {
            return;
        };
        if *hist == self.history.len() {
            *draft = line.clone();
        }
        *hist = next;
        *line = match self.history.get(next) {
            Some(h) => h.chars().collect(),
            None => draft.clone(),
        };
        *pos = line.len();
    }
}

fn redraw(prompt: &str, line: &[char], pos: usize) {
    let text: String = line.iter().collect();
    let mut out = format!("\r{prompt}{text}\x1b[K");
    if pos < line.len() {
        out.push_str(&format!("\x1b[{}D", line.len() - pos));
    }
    fdio::write_all(1, out.as_bytes());
}

/// One UTF-8 character from the terminal.
fn read_char() -> Option<char> {
    let first = fdio::read_byte(0)?;
    let extra = match first {
        0xc0..=0xdf => 1,
        0xe0..=0xef => 2,
        0xf0..=0xf7 => 3,
        _ => 0,
    };
    let mut bytes = vec![first];
    for _ in 0..extra {
        bytes.push(fdio::read_byte(0)?);
    }
    Some(
        String::from_utf8_lossy(&bytes)
            .chars()
            .next()
            .unwrap_or('?'),
    )
}

/// The final letter of an ESC [ … or ESC O … sequence; `~` for Delete (ESC [ 3 ~), and the
/// VT220 Home/End forms (ESC [ 1 ~, ESC [ 4 ~) mapped to `H`/`F`.
fn escape() -> Option<char> {
    let kind = fdio::read_byte(0)?;
    if kind != b'[' && kind != b'O' {
        return None;
    }
    let mut num = String::new();
    loop {
        let b = fdio::read_byte(0)?;
        if b.is_ascii_digit() || b == b';' {
            num.push(b as char);
            continue;
        }
        return Some(match (b, num.as_str()) {
            (b'~', "1" | "7") => 'H',
            (b'~', "4" | "8") => 'F',
            (b'~', "3") => '~',
            (b'~', _) => return None,
            (b, _) => b as char,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_steps_table() {
        let ed = LineEditor {
            history: vec!["one".into(), "two".into()],
        };
        // (back?, line after the step, history index after the step)
        let steps = [
            (true, "two", 1),
            (true, "one", 0),
            (true, "one", 0),
            (false, "two", 1),
            (false, "draft", 2),
            (false, "draft", 2),
        ];
        let mut hist = 2;
        let mut line: Vec<char> = "draft".chars().collect();
        let mut draft = Vec::new();
        let mut pos = 0;
        for (back, want, want_hist) in steps {
            ed.history_step(back, &mut hist, &mut line, &mut draft, &mut pos);
            assert_eq!(
                (line.iter().collect::<String>(), hist, pos),
                (want.to_string(), want_hist, want.len())
            );
        }
    }
}
