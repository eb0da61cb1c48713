//! The cpio header formats: newc ("070701", and "070702" whose checksum is not checked)
//! written and read, odc ("070707") read. Both end with a `TRAILER!!!` member.

use std::io::{self, Read};

/// One archive member's header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub ino: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub mtime: u32,
    pub size: u32,
    pub dev_major: u32,
    pub dev_minor: u32,
    pub rdev_major: u32,
    pub rdev_minor: u32,
    pub name: Vec<u8>,
}

pub const TRAILER: &[u8] = b"TRAILER!!!";

/// A newc header and name, padded to 4 bytes.
pub fn newc_header(h: &Header) -> Vec<u8> {
    let fields = [
        h.ino,
        h.mode,
        h.uid,
        h.gid,
        h.nlink,
        h.mtime,
        h.size,
        h.dev_major,
        h.dev_minor,
        h.rdev_major,
        h.rdev_minor,
        h.name.len() as u32 + 1,
        0,
    ];
    let mut out = b"070701".to_vec();
    for f in fields {
        out.extend_from_slice(format!("{f:08X}").as_bytes());
    }
    out.extend_from_slice(&h.name);
    out.push(0);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
    out
}

/// Reads headers and data of any format we know, counting bytes for the "N blocks" line.
pub struct Reader<R: Read> {
    pub inner: R,
    pub pos: u64,
}

impl<R: Read> Reader<R> {
    pub fn take_bytes(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; n];
        self.inner.read_exact(&mut buf)?;
        self.pos += n as u64;
        Ok(buf)
    }

    pub fn align(&mut self, to: u64) -> io::Result<()> {
        let pad = (to - self.pos % to) % to;
        self.take_bytes(pad as usize).map(|_| ())
    }

    /// The next header, or None after the trailer. `align` is 4 for newc, 1 for odc.
    pub fn header(&mut self) -> io::Result<Option<(Header, u64)>> {
        let magic = self.take_bytes(6)?;
        let bad = || {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "premature end of archive or not a cpio archive",
            )
        };
        let (h, align) = match &magic[..] {
            b"070701" | b"070702" => {
                let raw = self.take_bytes(104)?;
                let mut f = [0u32; 13];
                for (k, v) in f.iter_mut().enumerate() {
                    let s = std::str::from_utf8(&raw[k * 8..k * 8 + 8]).map_err(|_| bad())?;
                    *v = u32::from_str_radix(s, 16).map_err(|_| bad())?;
                }
                let name = self.take_bytes(name_len(u64::from(f[11]))?)?;
                self.align(4)?;
                (header_from(&f, name), 4)
            }
            b"070707" => {
                let raw = self.take_bytes(70)?;
                let widths = [6, 6, 6, 6, 6, 6, 6, 11, 6, 11];
                let mut vals = [0u64; 10];
                let mut at = 0;
                for (k, w) in widths.iter().enumerate() {
                    let s = std::str::from_utf8(&raw[at..at + w]).map_err(|_| bad())?;
                    vals[k] = u64::from_str_radix(s, 8).map_err(|_| bad())?;
                    at += w;
                }
                let name = self.take_bytes(name_len(vals[8])?)?;
                let dev = vals[0] as u32;
                let rdev = vals[6] as u32;
                let f = [
                    vals[1] as u32,
                    vals[2] as u32,
                    vals[3] as u32,
                    vals[4] as u32,
                    vals[5] as u32,
                    vals[7] as u32,
                    vals[9] as u32,
                    dev >> 8,
                    dev & 0xff,
                    rdev >> 8,
                    rdev & 0xff,
                    vals[8] as u32,
                    0,
                ];
                (header_from(&f, name), 1)
            }
            _ => return Err(bad()),
        };
        if h.name == TRAILER {
            return Ok(None);
        }
        Ok(Some((h, align)))
    }
}

/// A name's length from a header, refused when no real name is that long (a damaged or
/// hostile archive must not make us allocate gigabytes).
fn name_len(n: u64) -> io::Result<usize> {
    const MAX: u64 = 64 * 1024;
    if n > MAX {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "file name too long",
        ));
    }
    Ok(n as usize)
}

fn header_from(f: &[u32; 13], mut name: Vec<u8>) -> Header {
    while name.last() == Some(&0) {
        name.pop();
    }
    Header {
        ino: f[0],
        mode: f[1],
        uid: f[2],
        gid: f[3],
        nlink: f[4],
        mtime: f[5],
        size: f[6],
        dev_major: f[7],
        dev_minor: f[8],
        rdev_major: f[9],
        rdev_minor: f[10],
        name,
    }
}

impl<R: Read> Reader<R> {
    /// Pass over `n` bytes of data.
    pub fn skip(&mut self, n: u64) -> io::Result<()> {
        let got = io::copy(&mut (&mut self.inner).take(n), &mut io::sink())?;
        self.pos += got;
        if got < n {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
        }
        Ok(())
    }
}

/// Member data read through the reader keeps its byte count right.
impl<R: Read> Read for Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newc_round_trip() {
        let h = Header {
            ino: 7,
            mode: 0o100644,
            nlink: 1,
            mtime: 1_700_000_000,
            size: 5,
            name: b"dir/file".to_vec(),
            ..Header::default()
        };
        let mut bytes = newc_header(&h);
        assert_eq!(bytes.len() % 4, 0);
        assert!(bytes.starts_with(b"07070100000007000081A4"));
        bytes.extend_from_slice(b"hello\0\0\0");
        bytes.extend_from_slice(&newc_header(&Header {
            name: TRAILER.to_vec(),
            ..Header::default()
        }));
        let mut r = Reader {
            inner: &bytes[..],
            pos: 0,
        };
        let (got, align) = r.header().expect("reads").expect("an entry");
        assert_eq!((got, align), (h, 4));
        assert_eq!(r.take_bytes(5).expect("data"), b"hello");
        r.align(4).expect("pad");
        assert!(r.header().expect("reads").is_none());
    }

    #[test]
    fn odc_header() {
        let mut bytes = b"070707".to_vec();
        bytes.extend_from_slice(b"000001000002100755000000000000000001000000");
        bytes.extend_from_slice(b"1300000000000000300000000003");
        bytes.extend_from_slice(b"ab\0abc");
        let mut r = Reader {
            inner: &bytes[..],
            pos: 0,
        };
        let (h, align) = r.header().expect("reads").expect("an entry");
        assert_eq!(
            (h.name.as_slice(), h.mode, h.size, align),
            (&b"ab"[..], 0o100755, 3, 1)
        );
    }
}
