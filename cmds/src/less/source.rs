//! The text being paged: lines read from a file or pipe only as far as the pager asks, so
//! the first page of a huge file or an endless pipe shows at once.

use std::io::{self, Read};
use std::os::fd::RawFd;

/// Lines by number, read lazily.
pub trait Source {
    /// Line `i` (0-based) without its newline, reading as far as needed; `None` past the end.
    fn line(&mut self, i: usize) -> Option<Vec<u8>>;
    /// The number of lines, if the end has been reached.
    fn known_len(&self) -> Option<usize>;
    /// Read to the end and return the number of lines.
    fn read_all(&mut self) -> usize;
    /// Bytes read so far, and the total if known.
    fn bytes(&self) -> (u64, Option<u64>);
}

/// Lines of a reader, kept once read.
pub struct Lines<R: Read> {
    reader: R,
    lines: Vec<Vec<u8>>,
    partial: Vec<u8>,
    eof: bool,
    read: u64,
    /// A read error ends the text (the pager shows what it has).
    pub error: Option<io::Error>,
    /// A pipe or terminal whose reads may wait: with `nonblocking`, only read what has
    /// arrived, so the screen shows what there is instead of waiting for a full page.
    fd: Option<RawFd>,
    pub nonblocking: bool,
}

impl<R: Read> Lines<R> {
    pub fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            lines: Vec::new(),
            partial: Vec::new(),
            eof: false,
            read: 0,
            error: None,
            fd: None,
            nonblocking: false,
        }
    }

    /// Lines of a pipe or terminal on descriptor `fd` (see `nonblocking`).
    pub fn slow(reader: R, fd: RawFd) -> Lines<R> {
        Lines {
            fd: Some(fd),
            ..Lines::new(reader)
        }
    }

    /// The descriptor to wait on while the end has not been reached.
    pub fn pending_fd(&self) -> Option<RawFd> {
        self.fd.filter(|_| !self.eof)
    }

    fn has_input(&self) -> bool {
        let Some(fd) = self.fd else {
            return true;
        };
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll reads and writes exactly the one pollfd we pass.
        let n = unsafe { libc::poll(&mut p, 1, 0) };
        n != 0
    }

    /// Read one chunk (waiting for it).
    pub fn read_some(&mut self) {
        let nonblocking = std::mem::replace(&mut self.nonblocking, false);
        self.fill();
        self.nonblocking = nonblocking;
    }

    /// Read one chunk; false at the end.
    fn fill(&mut self) -> bool {
        if self.eof || (self.nonblocking && !self.has_input()) {
            return false;
        }
        let mut buf = [0u8; 16384];
        let n = loop {
            match self.reader.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    break 0;
                }
            }
        };
        if n == 0 {
            self.eof = true;
            if !self.partial.is_empty() {
                self.lines.push(std::mem::take(&mut self.partial));
            }
            return false;
        }
        self.read += n as u64;
        let mut rest = &buf[..n];
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            self.partial.extend_from_slice(&rest[..at]);
            self.lines.push(std::mem::take(&mut self.partial));
            rest = &rest[at + 1..];
        }
        self.partial.extend_from_slice(rest);
        true
    }
}

impl<R: Read> Source for Lines<R> {
    fn line(&mut self, i: usize) -> Option<Vec<u8>> {
        while self.lines.len() <= i && self.fill() {}
        self.lines.get(i).cloned()
    }

    fn known_len(&self) -> Option<usize> {
        self.eof.then_some(self.lines.len())
    }

    fn read_all(&mut self) -> usize {
        while self.fill() {}
        self.lines.len()
    }

    fn bytes(&self) -> (u64, Option<u64>) {
        (self.read, self.eof.then_some(self.read))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one byte per read, and fails the test if read past `limit`.
    struct Trickle<'a> {
        data: &'a [u8],
        at: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.at >= self.data.len() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.data[self.at];
            self.at += 1;
            Ok(1)
        }
    }

    #[test]
    fn reads_only_what_is_asked() {
        let data = b"one\ntwo\nthree\nfour";
        let mut lines = Lines::new(Trickle { data, at: 0 });
        assert_eq!(lines.line(1), Some(b"two".to_vec()));
        assert_eq!(lines.known_len(), None);
        assert_eq!(lines.reader.at, 8, "read up to the end of line 2 only");
        assert_eq!(lines.line(3), Some(b"four".to_vec()));
        assert_eq!(lines.line(4), None);
        assert_eq!(lines.known_len(), Some(4));
        assert_eq!(lines.bytes(), (18, Some(18)));
    }

    #[test]
    fn empty_and_trailing_newline() {
        assert_eq!(Lines::new(&b""[..]).read_all(), 0);
        assert_eq!(Lines::new(&b"a\n"[..]).read_all(), 1);
        assert_eq!(Lines::new(&b"a\n\n"[..]).read_all(), 2);
    }
}
