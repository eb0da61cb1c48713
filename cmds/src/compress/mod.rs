//! What gzip, xz, zstd and tar share: the codecs (by name, file suffix and magic number) and
//! streaming decoders and encoders over them. `cli` is the one command line of the three
//! compressors.
//!
//! Codecs are pure Rust: flate2 (miniz_oxide), lzma-rust2 and ruzstd (whose encoder only
//! has its "fastest" level, about zstd -1, whatever level is asked for).

mod cli;

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::io_reason;

pub use cli::run_cli;

/// A compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Xz,
    Zstd,
    /// Recognised so it can be refused with a clear message.
    Bzip2,
}

impl Codec {
    /// The format `data` (the first bytes of a stream) starts with, if any we know.
    pub fn from_magic(data: &[u8]) -> Option<Codec> {
        if data.starts_with(&[0x1f, 0x8b]) {
            Some(Codec::Gzip)
        } else if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Codec::Xz)
        } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Codec::Zstd)
        } else if data.starts_with(b"BZh") {
            Some(Codec::Bzip2)
        } else {
            None
        }
    }

    /// The format a file name's suffix says (`tar -a`): `x.tar.gz`, `x.tgz`, `x.txz`…
    pub fn from_suffix(name: &str) -> Option<Codec> {
        let table: [(&str, Codec); 10] = [
            (".gz", Codec::Gzip),
            (".tgz", Codec::Gzip),
            (".taz", Codec::Gzip),
            (".xz", Codec::Xz),
            (".txz", Codec::Xz),
            (".zst", Codec::Zstd),
            (".tzst", Codec::Zstd),
            (".bz2", Codec::Bzip2),
            (".tbz", Codec::Bzip2),
            (".tbz2", Codec::Bzip2),
        ];
        table
            .iter()
            .find(|(suffix, _)| name.ends_with(suffix))
            .map(|t| t.1)
    }

    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Xz => "xz",
            Codec::Zstd => "zstd",
            Codec::Bzip2 => "bzip2",
        }
    }

    /// Suffixes a decompressor strips, and what each becomes (`.tgz` → `.tar`).
    fn suffixes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Codec::Gzip => &[
                (".gz", ""),
                (".tgz", ".tar"),
                (".taz", ".tar"),
                ("-gz", ""),
                (".z", ""),
                ("-z", ""),
                ("_z", ""),
            ],
            Codec::Xz => &[(".xz", ""), (".txz", ".tar")],
            Codec::Zstd => &[(".zst", ""), (".tzst", ".tar")],
            Codec::Bzip2 => &[(".bz2", "")],
        }
    }

    fn default_suffix(self) -> &'static str {
        self.suffixes()[0].0
    }

    fn magic_ok(self, head: &[u8]) -> bool {
        Codec::from_magic(head) == Some(self)
    }
}

/// A stream with its first bytes put back in front.
pub type Replayed<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Read up to `n` bytes from the front of `r` without losing them: the bytes, and a reader
/// that yields them again followed by the rest.
pub fn peek<R: Read>(mut r: R, n: usize) -> io::Result<(Vec<u8>, Replayed<R>)> {
    let mut head = vec![0; n];
    let mut got = 0;
    while got < n {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    Ok((head.clone(), io::Cursor::new(head).chain(r)))
}

fn unsupported(codec: Codec) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{} compression is not supported", codec.name()),
    )
}

/// A decompressing reader over `r` (every member/stream/frame in a row, like the C tools).
pub fn decoder<'a, R: Read + 'a>(codec: Codec, r: R) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match codec {
        Codec::Gzip => Box::new(GzipMembers::new(BufReader::new(r))),
        Codec::Xz => Box::new(lzma_rust2::XzReader::new(BufReader::new(r), true)),
        Codec::Zstd => Box::new(ZstdReader::new(BufReader::new(r))),
        Codec::Bzip2 => return Err(unsupported(codec)),
    })
}

/// The error a gzip stream ends with, after all its data, when something that is not another
/// member follows it: `gzip -d` warns (exit 2), as GNU's "trailing garbage ignored".
#[derive(Debug)]
pub struct TrailingGarbage;

impl std::fmt::Display for TrailingGarbage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompression OK, trailing garbage ignored")
    }
}

impl std::error::Error for TrailingGarbage {}

pub fn is_trailing_garbage(e: &io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.is::<TrailingGarbage>())
}

/// gzip members one after another; zeros after the last are ignored (as GNU gzip does),
/// anything else ends the stream with [`TrailingGarbage`].
struct GzipMembers<R: BufRead> {
    member: Option<flate2::bufread::GzDecoder<R>>,
}

impl<R: BufRead> GzipMembers<R> {
    fn new(r: R) -> Self {
        GzipMembers {
            member: Some(flate2::bufread::GzDecoder::new(r)),
        }
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = self.member.as_mut() else {
                return Ok(0);
            };
            let n = member.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(mut rest) = self.member.take().map(|m| m.into_inner()) else {
                return Ok(0);
            };
            let mut zeros = false;
            loop {
                let head = rest.fill_buf()?;
                if head.is_empty() {
                    return Ok(0);
                }
                if !zeros && head[0] == 0x1f && head.get(1).is_none_or(|&b| b == 0x8b) {
                    self.member = Some(flate2::bufread::GzDecoder::new(rest));
                    break;
                }
                let run = head.iter().take_while(|&&b| b == 0).count();
                if run == 0 {
                    return Err(io::Error::other(TrailingGarbage));
                }
                zeros = true;
                rest.consume(run);
            }
        }
    }
}

/// A compressing writer; `finish` writes the trailer and reports any error on the way.
pub trait Encoder: Write {
    fn finish(self: Box<Self>) -> io::Result<()>;
}

/// gzip header fields `gzip` stores unless `-n`.
#[derive(Debug, Default, Clone)]
pub struct GzipName {
    pub name: Option<Vec<u8>>,
    pub mtime: u32,
}

/// A compressing writer into `w` at `level` (0–9; zstd: 1–19).
pub fn encoder(
    codec: Codec,
    level: u32,
    gzip_name: GzipName,
    w: Box<dyn Write + Send>,
) -> io::Result<Box<dyn Encoder>> {
    Ok(match codec {
        Codec::Gzip => {
            let mut b = flate2::GzBuilder::new().mtime(gzip_name.mtime);
            if let Some(name) = gzip_name.name {
                b = b.filename(name);
            }
            Box::new(b.write(w, flate2::Compression::new(level.min(9))))
        }
        Codec::Xz => {
            let opts = lzma_rust2::XzOptions::with_preset(level.min(9));
            Box::new(XzEncoder(lzma_rust2::XzWriter::new(w, opts)?))
        }
        Codec::Zstd => Box::new(ZstdEncoder::start(w)?),
        Codec::Bzip2 => return Err(unsupported(codec)),
    })
}

impl<W: Write> Encoder for flate2::write::GzEncoder<W> {
    fn finish(self: Box<Self>) -> io::Result<()> {
        let mut w = (*self).finish()?;
        w.flush()
    }
}

struct XzEncoder<W: Write>(lzma_rust2::XzWriter<W>);

impl<W: Write> Write for XzEncoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write> Encoder for XzEncoder<W> {
    fn finish(self: Box<Self>) -> io::Result<()> {
        let mut w = self.0.finish()?;
        w.flush()
    }
}

/// ruzstd's encoder pulls from a reader and unwraps its I/O results, so it runs in a thread
/// reading a pipe that never fails, and writes into a drain that records errors instead of
/// returning them; `finish` reports what was recorded.
struct ZstdEncoder {
    pipe: Option<io::PipeWriter>,
    worker: Option<std::thread::JoinHandle<io::Result<()>>>,
}

struct NeverFailingReader(io::PipeReader);

impl Read for NeverFailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.0.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return Ok(other.unwrap_or(0)),
            }
        }
    }
}

struct RecordingDrain {
    out: Box<dyn Write + Send>,
    error: Option<io::Error>,
}

impl Write for RecordingDrain {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(buf) {
                self.error = Some(e);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl ZstdEncoder {
    fn start(out: Box<dyn Write + Send>) -> io::Result<ZstdEncoder> {
        let (reader, writer) = io::pipe()?;
        let worker = std::thread::spawn(move || {
            let mut drain = RecordingDrain { out, error: None };
            ruzstd::encoding::compress(
                NeverFailingReader(reader),
                &mut drain,
                ruzstd::encoding::CompressionLevel::Fastest,
            );
            match drain.error {
                Some(e) => Err(e),
                None => drain.out.flush(),
            }
        });
        Ok(ZstdEncoder {
            pipe: Some(writer),
            worker: Some(worker),
        })
    }
}

impl Write for ZstdEncoder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.pipe.as_mut() {
            Some(p) => p.write(buf),
            None => Err(io::Error::from(io::ErrorKind::BrokenPipe)),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Encoder for ZstdEncoder {
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        drop(self.pipe.take());
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(result)) => result,
            _ => Err(io::Error::other("zstd encoder failed")),
        }
    }
}

impl Drop for ZstdEncoder {
    fn drop(&mut self) {
        drop(self.pipe.take());
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// Every zstd frame of a stream in a row, skippable frames skipped, checksums checked.
struct ZstdReader<R: BufRead> {
    src: R,
    dec: ruzstd::decoding::FrameDecoder,
    in_frame: bool,
}

impl<R: BufRead> ZstdReader<R> {
    fn new(src: R) -> Self {
        ZstdReader {
            src,
            dec: ruzstd::decoding::FrameDecoder::new(),
            in_frame: false,
        }
    }
}

fn zstd_error(e: ruzstd::decoding::errors::FrameDecoderError) -> io::Error {
    use ruzstd::decoding::errors::FrameDecoderError as E;
    match e {
        E::FailedToReadBlockHeader(_) | E::FailedToReadChecksum(_) => {
            io::Error::from(io::ErrorKind::UnexpectedEof)
        }
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}

impl<R: BufRead> Read for ZstdReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.in_frame {
                while self.dec.can_collect() == 0 && !self.dec.is_finished() {
                    self.dec
                        .decode_blocks(
                            &mut self.src,
                            ruzstd::decoding::BlockDecodingStrategy::UptoBlocks(1),
                        )
                        .map_err(zstd_error)?;
                }
                let n = self.dec.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                if let Some(want) = self.dec.get_checksum_from_data() {
                    if self.dec.get_calculated_checksum() != Some(want) {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "checksum mismatch",
                        ));
                    }
                }
                self.in_frame = false;
                continue;
            }
            if self.src.fill_buf()?.is_empty() {
                return Ok(0);
            }
            match self.dec.reset(&mut self.src) {
                Ok(()) => self.in_frame = true,
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.src).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped < u64::from(length) {
                        return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
                    }
                }
                Err(FrameDecoderError::ReadFrameHeaderError(
                    ReadFrameHeaderError::BadMagicNumber(_),
                )) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "not in zstd format",
                    ))
                }
                Err(e) => return Err(zstd_error(e)),
            }
        }
    }
}

/// A decoding failure in the words of the C tools.
pub fn decode_reason(codec: Codec, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => "unexpected end of file".into(),
        _ if e.raw_os_error().is_some() => io_reason(e),
        _ => match codec {
            Codec::Gzip => "invalid compressed data--format violated".into(),
            _ => format!("file corrupt or truncated ({e})"),
        },
    }
}

/// A new file `.NAME.XXXXXX` beside `target`, mode 0600.
pub fn temp_beside(target: &Path) -> io::Result<(PathBuf, File)> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let seed = std::process::id() as u64
        ^ (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64)
            .unwrap_or(0));
    for attempt in 0..100u64 {
        let name = format!(
            ".{base}.{:06x}",
            (seed.wrapping_mul(2654435761).wrapping_add(attempt)) & 0xff_ffff
        );
        let path = dir.join(name);
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode_0600()
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from(io::ErrorKind::AlreadyExists))
}

trait Mode0600 {
    fn mode_0600(&mut self) -> &mut Self;
}

impl Mode0600 for fs::OpenOptions {
    fn mode_0600(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::mode(self, 0o600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_detection() {
        let cases: [(&[u8], Option<Codec>); 6] = [
            (&[0x1f, 0x8b, 8, 0], Some(Codec::Gzip)),
            (&[0xfd, b'7', b'z', b'X', b'Z', 0, 0], Some(Codec::Xz)),
            (&[0x28, 0xb5, 0x2f, 0xfd, 0], Some(Codec::Zstd)),
            (b"BZh91AY", Some(Codec::Bzip2)),
            (b"ustar", None),
            (b"", None),
        ];
        for (data, want) in cases {
            assert_eq!(Codec::from_magic(data), want, "{data:?}");
        }
    }

    #[test]
    fn suffixes() {
        let cases = [
            ("a.tar.gz", Some(Codec::Gzip)),
            ("a.tgz", Some(Codec::Gzip)),
            ("a.txz", Some(Codec::Xz)),
            ("a.tar.zst", Some(Codec::Zstd)),
            ("a.tar.bz2", Some(Codec::Bzip2)),
            ("a.tar", None),
        ];
        for (name, want) in cases {
            assert_eq!(Codec::from_suffix(name), want, "{name}");
        }
    }

    #[test]
    fn round_trip_every_codec() {
        let data: Vec<u8> = (0..200_000u32)
            .map(|i| (i % 251) as u8 ^ (i / 7) as u8)
            .collect();
        for codec in [Codec::Gzip, Codec::Xz, Codec::Zstd] {
            let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
            impl Write for Shared {
                fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                    self.0
                        .lock()
                        .map_err(|_| io::Error::other("poisoned"))?
                        .extend_from_slice(b);
                    Ok(b.len())
                }
                fn flush(&mut self) -> io::Result<()> {
                    Ok(())
                }
            }
            let mut enc = encoder(codec, 6, GzipName::default(), Box::new(Shared(buf.clone())))
                .expect("encoder");
            enc.write_all(&data).expect("write");
            enc.finish().expect("finish");
            let packed = buf.lock().expect("lock").clone();
            assert_eq!(Codec::from_magic(&packed), Some(codec));
            // Two streams back to back decode as one.
            let twice = [packed.clone(), packed.clone()].concat();
            let mut out = Vec::new();
            decoder(codec, &twice[..])
                .expect("decoder")
                .read_to_end(&mut out)
                .expect("decode");
            assert_eq!(out.len(), data.len() * 2, "{codec:?}");
            assert!(out[..data.len()] == data[..], "{codec:?}");
            let truncated = &packed[..packed.len() / 2];
            let mut out = Vec::new();
            assert!(
                decoder(codec, truncated)
                    .expect("decoder")
                    .read_to_end(&mut out)
                    .is_err(),
                "{codec:?}"
            );
        }
    }
}
