//! Terminal input bytes → keys. Arrow and editing keys arrive as ESC sequences (ECMA-48 CSI
//! `ESC [ … final`, or SS3 `ESC O x` in application mode); a lone ESC is the Escape key, told
//! apart by a short timeout: the caller calls [`Decoder::timeout`] when no byte followed.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A byte as typed: letters, control characters (Escape is 0x1b), UTF-8 pieces.
    Byte(u8),
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Delete,
    Insert,
}

pub const ESC: Key = Key::Byte(0x1b);

/// How long to wait after ESC for the rest of a sequence.
pub const ESC_TIMEOUT_MS: u16 = 100;

#[derive(Default)]
pub struct Decoder {
    /// Bytes of an escape sequence read so far (starts with ESC).
    seq: Vec<u8>,
}

impl Decoder {
    /// A sequence is half read: wait at most [`ESC_TIMEOUT_MS`] for more.
    pub fn pending(&self) -> bool {
        !self.seq.is_empty()
    }

    /// Keys completed by the bytes `input`.
    pub fn feed(&mut self, input: &[u8]) -> Vec<Key> {
        let mut keys = Vec::new();
        for &b in input {
            self.byte(b, &mut keys);
        }
        keys
    }

    /// Nothing followed: what was held back is typed keys after all (a lone ESC, `ESC [`…).
    pub fn timeout(&mut self) -> Vec<Key> {
        std::mem::take(&mut self.seq)
            .into_iter()
            .map(Key::Byte)
            .collect()
    }

    fn byte(&mut self, b: u8, keys: &mut Vec<Key>) {
        if self.seq.is_empty() {
            if b == 0x1b {
                self.seq.push(b);
            } else {
                keys.push(Key::Byte(b));
            }
            return;
        }
        self.seq.push(b);
        let seq = self.seq.as_slice();
        match seq {
            [0x1b, b'[' | b'O'] => {}
            [0x1b, 0x1b] => {
                // Escape pressed twice: the first is a key, the second may start a sequence.
                keys.push(super::keys::ESC);
                self.seq.truncate(1);
            }
            [0x1b, _] => {
                // ESC then an ordinary key typed fast (`ESC :`): both are keys.
                keys.extend(self.timeout());
            }
            [0x1b, b'O', f] => {
                let key = match f {
                    b'A' => Some(Key::Up),
                    b'B' => Some(Key::Down),
                    b'C' => Some(Key::Right),
                    b'D' => Some(Key::Left),
                    b'H' => Some(Key::Home),
                    b'F' => Some(Key::End),
                    _ => None,
                };
                match key {
                    Some(k) => {
                        keys.push(k);
                        self.seq.clear();
                    }
                    None => keys.extend(self.timeout()),
                }
            }
            [0x1b, b'[', rest @ ..] => {
                let Some((&last, params)) = rest.split_last() else {
                    return;
                };
                if (0x40..=0x7e).contains(&last) {
                    if let Some(k) = csi_key(params, last) {
                        keys.push(k);
                    }
                    self.seq.clear();
                } else if !(0x20..=0x3f).contains(&last) || rest.len() > 16 {
                    // Not a CSI sequence after all: drop what we held, keep the odd byte.
                    self.seq.clear();
                    self.byte(last, keys);
                }
            }
            _ => keys.extend(self.timeout()),
        }
    }
}

/// `ESC [ params final` → key; modifiers (`1;5C`) are ignored, unknown sequences dropped.
fn csi_key(params: &[u8], last: u8) -> Option<Key> {
    let first: u32 = params
        .split(|&b| b == b';')
        .next()
        .and_then(|p| std::str::from_utf8(p).ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    Some(match last {
        b'A' => Key::Up,
        b'B' => Key::Down,
        b'C' => Key::Right,
        b'D' => Key::Left,
        b'H' => Key::Home,
        b'F' => Key::End,
        b'~' => match first {
            1 | 7 => Key::Home,
            2 => Key::Insert,
            3 => Key::Delete,
            4 | 8 => Key::End,
            5 => Key::PageUp,
            6 => Key::PageDown,
            _ => return None,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Key::*;

    #[test]
    fn sequences_and_lone_escape() {
        let cases: &[(&[u8], &[Key], &[Key])] = &[
            (b"ab", &[Byte(b'a'), Byte(b'b')], &[]),
            (b"\x1b[A\x1b[B\x1b[C\x1b[D", &[Up, Down, Right, Left], &[]),
            (b"\x1bOA\x1bOH", &[Up, Home], &[]),
            (
                b"\x1b[3~\x1b[5~\x1b[6~\x1b[1~\x1b[4~",
                &[Delete, PageUp, PageDown, Home, End],
                &[],
            ),
            (b"\x1b[1;5C", &[Right], &[]),
            (
                b"\x1b:wq\r",
                &[ESC, Byte(b':'), Byte(b'w'), Byte(b'q'), Byte(b'\r')],
                &[],
            ),
            (b"\x1b", &[], &[ESC]),
            (b"\x1bO", &[], &[ESC, Byte(b'O')]),
            (b"\x1b\x1b", &[ESC], &[ESC]),
            (b"\x1b[9~x", &[Byte(b'x')], &[]),
            (b"\x1bOx", &[ESC, Byte(b'O'), Byte(b'x')], &[]),
        ];
        for (input, keys, after_timeout) in cases {
            let mut d = Decoder::default();
            assert_eq!(d.feed(input), *keys, "{input:?}");
            assert_eq!(d.timeout(), *after_timeout, "{input:?} then timeout");
        }
    }
}
