//! Keys: the bytes a terminal sends (ANSI/VT100 escape sequences) decoded into key presses.

/// One key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A character, control characters included (`'\x06'` is Ctrl-F).
    Char(char),
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    /// Escape alone.
    Escape,
    /// Escape followed by a character (less's `ESC-v`, `ESC-<`…).
    Meta(char),
    /// A sequence we do not know.
    Unknown,
}

/// Ctrl-`c` as a character.
pub const fn ctrl(c: char) -> char {
    ((c as u8) & 0x1f) as char
}

/// Decode the first key of `bytes`: the key and how many bytes it used, or `None` when the
/// bytes are an incomplete sequence (wait for more; a lone ESC is decided by the caller's
/// timeout, through [`decode_final`]).
pub fn decode(bytes: &[u8]) -> Option<(Key, usize)> {
    let first = *bytes.first()?;
    if first != 0x1b {
        return decode_utf8(bytes);
    }
    let &second = bytes.get(1)?;
    match second {
        b'[' | b'O' => {
            // CSI: parameters (digits, ';') then one final byte in 0x40..=0x7e.
            let mut end = 2;
            while let Some(&b) = bytes.get(end) {
                if (0x40..=0x7e).contains(&b) {
                    let params = &bytes[2..end];
                    return Some((csi_key(params, b), end + 1));
                }
                end += 1;
            }
            None
        }
        _ => match decode_utf8(&bytes[1..]) {
            Some((Key::Char(c), n)) => Some((Key::Meta(c), n + 1)),
            Some((_, n)) => Some((Key::Unknown, n + 1)),
            None => None,
        },
    }
}

/// What is left when no more bytes come: a lone ESC is Escape.
pub fn decode_final(bytes: &[u8]) -> Option<(Key, usize)> {
    match decode(bytes) {
        Some(k) => Some(k),
        None if bytes.first() == Some(&0x1b) => Some((Key::Escape, 1)),
        None if bytes.is_empty() => None,
        None => Some((Key::Unknown, bytes.len())),
    }
}

fn csi_key(params: &[u8], fin: u8) -> Key {
    match (params, fin) {
        (_, b'A') => Key::Up,
        (_, b'B') => Key::Down,
        (_, b'C') => Key::Right,
        (_, b'D') => Key::Left,
        (_, b'H') | (b"1" | b"7", b'~') => Key::Home,
        (_, b'F') | (b"4" | b"8", b'~') => Key::End,
        (b"5", b'~') => Key::PageUp,
        (b"6", b'~') => Key::PageDown,
        _ => Key::Unknown,
    }
}

fn decode_utf8(bytes: &[u8]) -> Option<(Key, usize)> {
    let first = *bytes.first()?;
    let len = match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return Some((Key::Unknown, 1)),
    };
    if bytes.len() < len {
        return None;
    }
    match std::str::from_utf8(&bytes[..len]) {
        Ok(s) => s.chars().next().map(|c| (Key::Char(c), len)),
        Err(_) => Some((Key::Unknown, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_decode() {
        type Case<'a> = (&'a [u8], Option<(Key, usize)>);
        let cases: [Case; 12] = [
            (b"j", Some((Key::Char('j'), 1))),
            (b"\x06", Some((Key::Char(ctrl('f')), 1))),
            (b"\x1b[A", Some((Key::Up, 3))),
            (b"\x1bOB", Some((Key::Down, 3))),
            (b"\x1b[5~x", Some((Key::PageUp, 4))),
            (b"\x1b[6~", Some((Key::PageDown, 4))),
            (b"\x1b[H", Some((Key::Home, 3))),
            (b"\x1b[4~", Some((Key::End, 4))),
            (b"\x1bv", Some((Key::Meta('v'), 2))),
            (b"\x1b[", None),
            (b"\x1b", None),
            ("é".as_bytes(), Some((Key::Char('é'), 2))),
        ];
        for (bytes, want) in cases {
            assert_eq!(decode(bytes), want, "{bytes:?}");
        }
        assert_eq!(decode_final(b"\x1b"), Some((Key::Escape, 1)));
    }
}
