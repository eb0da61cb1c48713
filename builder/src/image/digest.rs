//! Content digests (`sha256:<64 hex>`, OCI image-spec descriptor.md) and the readers that
//! check them while data streams through.

use std::fmt;
use std::io::{self, Read, Write};

use anyhow::{bail, Result};
use sha2::{Digest as _, Sha256};

/// A sha256 digest; the only algorithm registries use in practice.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    hex: String,
}

impl Digest {
    pub fn parse(text: &str) -> Result<Digest> {
        let Some((algorithm, hex)) = text.split_once(':') else {
            bail!("invalid digest: {text:?}");
        };
        if algorithm != "sha256" {
            bail!("unsupported digest algorithm {algorithm:?} (only sha256)");
        }
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            bail!("invalid digest: {text:?}");
        }
        Ok(Digest {
            hex: hex.to_string(),
        })
    }

    pub fn of(bytes: &[u8]) -> Digest {
        Digest::from_hasher(Sha256::new_with_prefix(bytes))
    }

    fn from_hasher(h: Sha256) -> Digest {
        let sum = h.finalize();
        let mut hex = String::with_capacity(64);
        for b in sum {
            hex.push(char::from(HEXDIGITS[usize::from(b >> 4)]));
            hex.push(char::from(HEXDIGITS[usize::from(b & 15)]));
        }
        Digest { hex }
    }

    /// The 64 hex digits, as used in blob paths (`blobs/sha256/<hex>`).
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The first 12 hex digits, as `docker images` shows them.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }

    /// The raw 32 bytes, for deriving UUIDs and seeds.
    pub fn bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, pair) in self.hex.as_bytes().chunks(2).enumerate() {
            out[i] = (nibble(pair[0]) << 4) | nibble(pair[1]);
        }
        out
    }

    /// Fails with `what: digest mismatch: expected …, got …` unless `bytes` hash to this digest.
    pub fn verify(&self, bytes: &[u8], what: &str) -> Result<()> {
        check(self, &Digest::of(bytes), what)
    }
}

const HEXDIGITS: &[u8; 16] = b"0123456789abcdef";

fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'a' + 10,
    }
}

pub fn check(expected: &Digest, got: &Digest, what: &str) -> Result<()> {
    if expected != got {
        bail!("{what}: digest mismatch: expected {expected}, got {got}");
    }
    Ok(())
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

/// Hashes everything read through it (unless made with [`HashingReader::passthrough`]);
/// [`HashingReader::finish`] gives the digest.
pub struct HashingReader<R> {
    inner: R,
    hasher: Option<Sha256>,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Some(Sha256::new()),
            count: 0,
        }
    }

    /// Counts but does not hash: for data verified before.
    pub fn passthrough(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: None,
            count: 0,
        }
    }

    /// Reads what is left (a tar reader stops before the trailing zero blocks) and returns
    /// the digest (`None` for a passthrough reader) and length of the whole stream.
    pub fn finish(mut self) -> io::Result<(Option<Digest>, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((self.hasher.map(Digest::from_hasher), self.count))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.count += n as u64;
        Ok(n)
    }
}

/// Hashes everything written through it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    pub fn finish(self) -> (W, Digest, u64) {
        (self.inner, Digest::from_hasher(self.hasher), self.count)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    // sha256("") and sha256("abc") from FIPS 180-2's examples.
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn digests_of_known_inputs() {
        let cases: [(&[u8], &str); 2] = [(b"", EMPTY), (b"abc", ABC)];
        for (input, hex) in cases {
            assert_eq!(Digest::of(input).hex(), hex);
            assert_eq!(
                Digest::parse(&format!("sha256:{hex}")).unwrap(),
                Digest::of(input)
            );
        }
        assert_eq!(Digest::of(b"abc").bytes()[..2], [0xba, 0x78]);
    }

    #[test]
    fn readers_and_writers_hash_the_stream() {
        let r = HashingReader::new(&b"abc"[..]);
        assert_eq!(r.finish().unwrap(), (Some(Digest::of(b"abc")), 3));
        assert_eq!(
            HashingReader::passthrough(&b"abc"[..]).finish().unwrap(),
            (None, 3)
        );
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"abc").unwrap();
        let (inner, d, n) = w.finish();
        assert_eq!((inner, d, n), (b"abc".to_vec(), Digest::of(b"abc"), 3));
    }

    #[test]
    fn mismatch_is_one_line() {
        let err = Digest::of(b"x")
            .verify(b"y", "blob")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("blob: digest mismatch: expected sha256:"),
            "{err}"
        );
        for bad in [
            "sha256:",
            "sha256:XYZ",
            "abc",
            &format!("sha256:{}", EMPTY.to_uppercase()),
        ] {
            assert!(Digest::parse(bad).is_err(), "{bad}");
        }
    }
}
