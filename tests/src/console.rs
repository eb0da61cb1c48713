//! What a person would read on the serial console: the guest's output with terminal control
//! sequences removed, so tests can match plain text.
//!
//! rustyline draws its prompt with CSI sequences (erase line, cursor moves, bracketed paste
//! `ESC [ ? 2004 h`), and the kernel and shell end lines with `\r\n`. The filter follows the
//! ECMA-48 grammar (ESC, CSI `ESC [ params intermediates final`, OSC/DCS strings ended by BEL or
//! ST) as a byte-at-a-time state machine, so a sequence split across two reads of the pipe is
//! still removed whole.

/// Streaming remover of control sequences. Keeps `\n` and `\t`, drops `\r`, other C0 controls
/// and DEL, and every escape sequence.
#[derive(Debug, Default)]
pub struct ConsoleFilter {
    state: State,
    params: Vec<u8>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Ground,
    /// After ESC.
    Escape,
    /// After `ESC (` and the like: one more byte (the character set) ends the sequence.
    EscapeIntermediate,
    /// After `ESC [`.
    Csi,
    /// Inside an OSC, DCS, SOS, PM or APC string.
    String,
    /// ESC inside a string: `\` ends it (ST).
    StringEscape,
}

/// A request the guest makes of its terminal, which a real terminal would answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalQuery {
    /// DSR `ESC [ 6 n`: report the cursor position (`ESC [ row ; col R`).
    CursorPosition,
}

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;

impl ConsoleFilter {
    pub fn new() -> ConsoleFilter {
        ConsoleFilter::default()
    }

    /// Appends the readable text of `input` to `text`; returns the terminal queries seen.
    pub fn feed(&mut self, input: &[u8], text: &mut Vec<u8>) -> Vec<TerminalQuery> {
        let mut queries = Vec::new();
        for &byte in input {
            self.state = match self.state {
                State::Ground => match byte {
                    ESC => State::Escape,
                    b'\n' | b'\t' => {
                        text.push(byte);
                        State::Ground
                    }
                    0x00..=0x1f | 0x7f => State::Ground,
                    _ => {
                        text.push(byte);
                        State::Ground
                    }
                },
                State::Escape => match byte {
                    b'[' => {
                        self.params.clear();
                        State::Csi
                    }
                    b']' | b'P' | b'X' | b'^' | b'_' => State::String,
                    b' '..=b'/' => State::EscapeIntermediate,
                    ESC => State::Escape,
                    _ => State::Ground,
                },
                State::EscapeIntermediate => State::Ground,
                State::Csi => match byte {
                    0x30..=0x3f => {
                        self.params.push(byte);
                        State::Csi
                    }
                    0x40..=0x7e => {
                        if byte == b'n' && self.params == b"6" {
                            queries.push(TerminalQuery::CursorPosition);
                        }
                        State::Ground
                    }
                    ESC => State::Escape,
                    // Intermediates and stray controls inside the sequence.
                    _ => State::Csi,
                },
                State::String => match byte {
                    BEL => State::Ground,
                    ESC => State::StringEscape,
                    _ => State::String,
                },
                State::StringEscape => match byte {
                    b'\\' => State::Ground,
                    _ => State::String,
                },
            };
        }
        queries
    }
}

/// Removes control sequences from a complete piece of console output.
pub fn strip(raw: &[u8]) -> String {
    let mut text = Vec::with_capacity(raw.len());
    ConsoleFilter::new().feed(raw, &mut text);
    String::from_utf8_lossy(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_control_sequences() {
        let cases: &[(&[u8], &str)] = &[
            (b"plain text\n", "plain text\n"),
            (b"crlf\r\nline\r\n", "crlf\nline\n"),
            (b"\x1b[?2004h# ", "# "),
            (b"\x1b[0m\x1b[K# ls\x1b[5D\x1b[5C", "# ls"),
            (b"\x1b[1;32mgreen\x1b[0m", "green"),
            (b"\x1b]0;title\x07after", "after"),
            (b"\x1b]0;title\x1b\\after", "after"),
            (b"\x1b(Bcharset", "charset"),
            (b"\x1b7saved\x1b8", "saved"),
            (b"tab\there", "tab\there"),
            (b"bell\x07 bs\x08 del\x7f", "bell bs del"),
            (b"utf-8 \xc2\xb5s", "utf-8 \u{b5}s"),
            (b"\x1b\x1b[Kdouble escape", "double escape"),
        ];
        for (raw, want) in cases {
            assert_eq!(strip(raw), *want, "input {raw:?}");
        }
    }

    #[test]
    fn sequence_split_across_reads_is_removed_whole() {
        let raw = b"ab\x1b[?2004hcd\x1b]0;t\x07ef";
        for split in 0..raw.len() {
            let mut filter = ConsoleFilter::new();
            let mut text = Vec::new();
            filter.feed(&raw[..split], &mut text);
            filter.feed(&raw[split..], &mut text);
            assert_eq!(text, b"abcdef", "split at {split}");
        }
    }

    #[test]
    fn reports_cursor_position_requests() {
        let cases: &[(&[u8], usize)] = &[
            (b"\x1b[6n", 1),
            (b"x\x1b[6ny\x1b[6n", 2),
            (b"\x1b[5n", 0),
            (b"\x1b[16n", 0),
            (b"6n", 0),
        ];
        for (raw, want) in cases {
            let mut text = Vec::new();
            let queries = ConsoleFilter::new().feed(raw, &mut text);
            assert_eq!(queries.len(), *want, "input {raw:?}");
            assert!(queries.iter().all(|q| *q == TerminalQuery::CursorPosition));
        }
    }
}
