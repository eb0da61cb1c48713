//! Compression of the initramfs, in formats the stock kernel unpacks
//! (CONFIG_RD_GZIP, CONFIG_RD_ZSTD): deterministic output for deterministic input.

use std::io::{self, Write};

use flate2::write::GzEncoder;

/// `--compress` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    Gzip,
    Zstd,
    None,
}

impl Compression {
    /// File name suffix for the default output path.
    pub fn extension(self) -> &'static str {
        match self {
            Compression::Gzip => ".gz",
            Compression::Zstd => ".zst",
            Compression::None => "",
        }
    }
}

/// A writer that compresses into `W`; [`Compressor::finish`] ends the stream.
pub enum Compressor<W: Write> {
    Gzip(GzEncoder<W>),
    Zstd(zstd::Encoder<'static, W>),
    None(W),
}

/// zstd level: 19 is what the kernel's own build uses for its initramfs (usr/Makefile).
const ZSTD_LEVEL: i32 = 19;

impl<W: Write> Compressor<W> {
    pub fn new(kind: Compression, out: W) -> io::Result<Self> {
        Ok(match kind {
            // RFC 1952: MTIME 0 means "no time stamp"; no FNAME field; OS byte fixed by
            // flate2 — so the same input always gives the same bytes.
            Compression::Gzip => Compressor::Gzip(
                flate2::GzBuilder::new()
                    .mtime(0)
                    .write(out, flate2::Compression::best()),
            ),
            Compression::Zstd => {
                let mut enc = zstd::Encoder::new(out, ZSTD_LEVEL)?;
                // The kernel's decompressor verifies the checksum when present; keep it.
                enc.include_checksum(true)?;
                Compressor::Zstd(enc)
            }
            Compression::None => Compressor::None(out),
        })
    }

    /// Write the end of the compressed stream and give back the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Compressor::Gzip(e) => e.finish(),
            Compressor::Zstd(e) => e.finish(),
            Compressor::None(w) => Ok(w),
        }
    }
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Compressor::Gzip(e) => e.write(buf),
            Compressor::Zstd(e) => e.write(buf),
            Compressor::None(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Compressor::Gzip(e) => e.flush(),
            Compressor::Zstd(e) => e.flush(),
            Compressor::None(w) => w.flush(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;
    use std::io::Read;

    fn compress(kind: Compression, data: &[u8]) -> Vec<u8> {
        let mut c = Compressor::new(kind, Vec::new()).unwrap();
        c.write_all(data).unwrap();
        c.finish().unwrap()
    }

    #[test]
    fn round_trip_and_determinism() {
        let data: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        for kind in [Compression::Gzip, Compression::Zstd, Compression::None] {
            let a = compress(kind, &data);
            assert_eq!(a, compress(kind, &data), "{kind:?} is not deterministic");
            let mut back = Vec::new();
            match kind {
                Compression::Gzip => {
                    flate2::read::GzDecoder::new(&a[..])
                        .read_to_end(&mut back)
                        .unwrap();
                }
                Compression::Zstd => back = zstd::decode_all(&a[..]).unwrap(),
                Compression::None => back = a.clone(),
            }
            assert_eq!(back, data, "{kind:?}");
        }
    }

    #[test]
    fn gzip_header_has_no_time_and_no_name() {
        let gz = compress(Compression::Gzip, b"x");
        assert_eq!(&gz[..3], &[0x1f, 0x8b, 8], "magic and deflate");
        assert_eq!(gz[3], 0, "FLG: no FNAME/FCOMMENT/FEXTRA");
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "MTIME");
    }
}
