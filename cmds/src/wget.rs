//! `wget`: fetch a URL over plain HTTP/1.1 into a file or stdout, for debugging from the console.
//! A busybox/GNU wget(1) subset: GET only, no TLS, redirects followed a few times.
//!
//! usage: wget [-q] [-O FILE|-] URL

use std::ffi::OsString;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{io_reason, AppletError, AppletResult, UsageError};

pub const USAGE: &str = "\
usage: wget [-q] [-O FILE|-] URL
Fetch URL (http:// only) with HTTP/1.1 GET. Saves to the last path component (index.html
for a directory) unless -O names a FILE; -O - writes to stdout. -q: no progress messages.
";

const MAX_REDIRECTS: usize = 5;
const MAX_HEADER: usize = 64 * 1024;
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum WgetError {
    #[error("{0}: unsupported URL (only http:// is)")]
    Scheme(String),
    #[error("{0}: bad URL")]
    BadUrl(String),
    #[error("{host}: {reason}")]
    Connect { host: String, reason: String },
    #[error("{url}: {}", io_reason(.source))]
    Io { url: String, source: io::Error },
    #[error("{url}: bad HTTP response")]
    BadResponse { url: String },
    #[error("{url}: server returned {status}")]
    Status { url: String, status: String },
    #[error("{0}: too many redirects")]
    Redirects(String),
    #[error("{}: {}", .path.display(), io_reason(.source))]
    Output { path: PathBuf, source: io::Error },
}

impl AppletError for WgetError {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub quiet: bool,
    /// `None`: derive from the URL; `Some("-")`: stdout.
    pub output: Option<String>,
    pub url: String,
}

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, UsageError> {
        let mut o = Options {
            quiet: false,
            output: None,
            url: String::new(),
        };
        let mut it = args.into_iter().skip(1);
        while let Some(arg) = it.next() {
            let a = arg.to_string_lossy().into_owned();
            match a.as_str() {
                "-q" => o.quiet = true,
                "-O" => {
                    o.output = Some(
                        it.next()
                            .ok_or_else(|| UsageError("option -O needs a FILE".into()))?
                            .to_string_lossy()
                            .into_owned(),
                    )
                }
                _ if a.starts_with("-O") && a.len() > 2 => o.output = Some(a[2..].to_string()),
                _ if a.starts_with('-') => return Err(UsageError(format!("invalid option '{a}'"))),
                _ if o.url.is_empty() => o.url = a,
                _ => return Err(UsageError("only one URL".into())),
            }
        }
        if o.url.is_empty() {
            return Err(UsageError("missing URL".into()));
        }
        Ok(o)
    }
}

/// An `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Url {
    pub fn parse(s: &str) -> Result<Url, WgetError> {
        let rest = match s.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some(_) => return Err(WgetError::Scheme(s.to_string())),
            None => s,
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, "/".to_string()),
        };
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path
        };
        let path = path.split('#').next().unwrap_or("/").to_string();
        let bad = || WgetError::BadUrl(s.to_string());
        if authority.contains('@') {
            return Err(bad());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(bad)?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad())?,
                None if after.is_empty() => 80,
                None => return Err(bad()),
            };
            (h.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
                None => (authority.to_string(), 80),
            }
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(bad());
        }
        Ok(Url { host, port, path })
    }

    /// The `Host:` header value.
    pub fn host_header(&self) -> String {
        let h = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            h
        } else {
            format!("{h}:{}", self.port)
        }
    }

    pub fn to_text(&self) -> String {
        format!("http://{}{}", self.host_header(), self.path)
    }

    /// A `Location:` header taken relative to this URL (RFC 9110 §10.2.2).
    pub fn join(&self, location: &str) -> Result<Url, WgetError> {
        if location.contains("://") {
            return Url::parse(location);
        }
        if let Some(net) = location.strip_prefix("//") {
            return Url::parse(&format!("http://{net}"));
        }
        let path = if location.starts_with('/') {
            location.to_string()
        } else {
            let dir = match self.path.split('?').next().unwrap_or("/").rfind('/') {
                Some(i) => &self.path[..=i],
                None => "/",
            };
            format!("{dir}{location}")
        };
        Ok(Url {
            path,
            ..self.clone()
        })
    }

    /// The file name wget saves to: the last path component, or index.html.
    pub fn file_name(&self) -> String {
        let path = self.path.split('?').next().unwrap_or("");
        match path.rsplit('/').next() {
            Some(name) if !name.is_empty() && name != "." && name != ".." => name.to_string(),
            _ => "index.html".to_string(),
        }
    }
}

/// The request wget sends.
pub fn request(url: &Url) -> String {
    format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: rroot-wget\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.path,
        url.host_header()
    )
}

/// Status line and headers of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub code: u16,
    /// `200 OK`.
    pub status: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses the head (everything before the empty line).
pub fn parse_head(text: &str) -> Option<Head> {
    let mut lines = text.split("\r\n").flat_map(|l| l.split('\n'));
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(2, ' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let status = parts.next()?.trim().to_string();
    let code = status.get(..3)?.parse().ok()?;
    let headers = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Head {
        code,
        status,
        headers,
    })
}

/// Reads the head from the stream, at most `MAX_HEADER` bytes.
fn read_head(r: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        let n = r.take(MAX_HEADER as u64).read_line(&mut line)?;
        if n == 0 || text.len() + n > MAX_HEADER {
            return Ok(None);
        }
        if line == "\r\n" || line == "\n" {
            return Ok(parse_head(&text));
        }
        text.push_str(&line);
    }
}

/// Copies a chunked body (RFC 9112 §7.1) to `out`.
pub fn copy_chunked(r: &mut impl BufRead, out: &mut dyn Write) -> io::Result<u64> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "bad chunked encoding");
    let mut total = 0;
    loop {
        let mut line = String::new();
        r.take(1024).read_line(&mut line)?;
        let size_text = line.trim().split(';').next().unwrap_or("");
        let size = u64::from_str_radix(size_text, 16).map_err(|_| bad())?;
        if size == 0 {
            // Trailers until the empty line.
            loop {
                let mut t = String::new();
                if r.take(MAX_HEADER as u64).read_line(&mut t)? == 0 || t.trim().is_empty() {
                    return Ok(total);
                }
            }
        }
        let copied = io::copy(&mut r.take(size), out)?;
        if copied != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "body cut short",
            ));
        }
        total += copied;
        let mut crlf = String::new();
        r.read_line(&mut crlf)?;
        if !crlf.trim().is_empty() {
            return Err(bad());
        }
    }
}

fn connect(url: &Url) -> Result<TcpStream, WgetError> {
    let host = url.host.clone();
    let fail = |reason: String| WgetError::Connect {
        host: host.clone(),
        reason,
    };
    let addrs: Vec<_> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|_| fail("Name or service not known".into()))?
        .collect();
    let mut last = fail("no address".into());
    for a in addrs {
        match TcpStream::connect_timeout(&a, TIMEOUT) {
            Ok(s) => {
                let _ = s.set_read_timeout(Some(TIMEOUT));
                let _ = s.set_write_timeout(Some(TIMEOUT));
                return Ok(s);
            }
            Err(e) => last = fail(io_reason(&e)),
        }
    }
    Err(last)
}

fn fetch(o: &Options) -> Result<(), WgetError> {
    let mut url = Url::parse(&o.url)?;
    for _ in 0..=MAX_REDIRECTS {
        let text = url.to_text();
        let io_err = |source| WgetError::Io {
            url: text.clone(),
            source,
        };
        if !o.quiet {
            eprintln!("Connecting to {}", url.host_header());
        }
        let mut stream = connect(&url)?;
        stream.write_all(request(&url).as_bytes()).map_err(io_err)?;
        let mut reader = BufReader::new(stream);
        let head = read_head(&mut reader)
            .map_err(io_err)?
            .ok_or_else(|| WgetError::BadResponse { url: text.clone() })?;
        if matches!(head.code, 301 | 302 | 303 | 307 | 308) {
            if let Some(loc) = head.header("Location") {
                url = url.join(loc)?;
                continue;
            }
        }
        if !(200..300).contains(&head.code) {
            return Err(WgetError::Status {
                url: text,
                status: head.status,
            });
        }
        let name = o.output.clone().unwrap_or_else(|| url.file_name());
        let chunked = head
            .header("Transfer-Encoding")
            .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
        let length = head
            .header("Content-Length")
            .and_then(|l| l.parse::<u64>().ok());
        let mut body = |out: &mut dyn Write| -> io::Result<u64> {
            let n = if chunked {
                copy_chunked(&mut reader, out)?
            } else if let Some(len) = length {
                let n = io::copy(&mut (&mut reader).take(len), out)?;
                if n != len {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "body cut short",
                    ));
                }
                n
            } else {
                io::copy(&mut reader, out)?
            };
            out.flush()?;
            Ok(n)
        };
        if name == "-" {
            let stdout = io::stdout();
            body(&mut stdout.lock()).map_err(io_err)?;
            return Ok(());
        }
        let path = PathBuf::from(&name);
        if !o.quiet {
            eprintln!("saving to '{name}'");
        }
        let mut file = fs::File::create(&path).map_err(|source| WgetError::Output {
            path: path.clone(),
            source,
        })?;
        match body(&mut file) {
            Ok(n) => {
                if !o.quiet {
                    eprintln!("'{name}' saved ({n} bytes)");
                }
                return Ok(());
            }
            Err(e) => {
                let _ = fs::remove_file(&path);
                return Err(io_err(e));
            }
        }
    }
    Err(WgetError::Redirects(o.url.clone()))
}

pub fn run(args: Vec<OsString>) -> AppletResult {
    let o = Options::parse(args)?;
    fetch(&o)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = |host: &str, port: u16, path: &str| Url {
            host: host.into(),
            port,
            path: path.into(),
        };
        let cases = [
            ("http://10.0.2.2/", u("10.0.2.2", 80, "/")),
            ("http://example.test", u("example.test", 80, "/")),
            (
                "example.test:8080/a/b?c=d#frag",
                u("example.test", 8080, "/a/b?c=d"),
            ),
            ("HTTP://h?x=1", u("h", 80, "/?x=1")),
            ("http://[fd00::1]:81/x", u("fd00::1", 81, "/x")),
        ];
        for (text, want) in cases {
            assert_eq!(Url::parse(text).expect(text), want, "{text}");
        }
        for bad in [
            "http://",
            "http://h:port/",
            "http://user@h/",
            "http://[::1/",
        ] {
            assert!(
                matches!(Url::parse(bad), Err(WgetError::BadUrl(_))),
                "{bad}"
            );
        }
        assert_eq!(
            Url::parse("https://h/").expect_err("https").to_string(),
            "https://h/: unsupported URL (only http:// is)"
        );
        assert_eq!(u("fd00::1", 81, "/").host_header(), "[fd00::1]:81");
        assert_eq!(u("h", 80, "/").to_text(), "http://h/");
    }

    #[test]
    fn redirects_and_file_names() {
        let base = Url::parse("http://h:8080/dir/page.html?q").expect("url");
        let cases = [
            ("/abs", "http://h:8080/abs"),
            ("rel.txt", "http://h:8080/dir/rel.txt"),
            ("http://other/x", "http://other/x"),
            ("//other:81/y", "http://other:81/y"),
        ];
        for (loc, want) in cases {
            assert_eq!(base.join(loc).expect(loc).to_text(), want, "{loc}");
        }
        let names = [
            ("http://h/", "index.html"),
            ("http://h/a/b.tar.gz", "b.tar.gz"),
            ("http://h/a/?x=1", "index.html"),
            ("http://h/a/..", "index.html"),
        ];
        for (url, want) in names {
            assert_eq!(Url::parse(url).expect(url).file_name(), want);
        }
    }

    #[test]
    fn request_and_response_heads() {
        let url = Url::parse("http://h:8080/x").expect("url");
        assert_eq!(
            request(&url),
            "GET /x HTTP/1.1\r\nHost: h:8080\r\nUser-Agent: rroot-wget\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        );
        let head =
            parse_head("HTTP/1.1 301 Moved Permanently\r\nLocation: /new\r\ncontent-length: 0\r\n")
                .expect("parses");
        assert_eq!(head.code, 301);
        assert_eq!(head.status, "301 Moved Permanently");
        assert_eq!(head.header("location"), Some("/new"));
        assert_eq!(head.header("Content-Length"), Some("0"));
        for bad in ["", "garbage", "HTTP/2 200", "HTTP/1.1 abc"] {
            assert_eq!(parse_head(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn chunked_bodies() {
        let mut out = Vec::new();
        let body = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\n";
        let n = copy_chunked(&mut &body[..], &mut out).expect("decodes");
        assert_eq!((n, out.as_slice()), (9, &b"Wikipedia"[..]));
        for bad in [&b"zz\r\n"[..], b"4\r\nWi", b"4\r\nWikiXX\r\n0\r\n\r\n"] {
            let mut out = Vec::new();
            assert!(copy_chunked(&mut &bad[..], &mut out).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn options() {
        let parse = |line: &str| {
            let mut args = vec![OsString::from("wget")];
            args.extend(line.split_whitespace().map(OsString::from));
            Options::parse(args)
        };
        let o = parse("-q -O - http://h/").expect("parses");
        assert_eq!(
            (o.quiet, o.output.as_deref(), o.url.as_str()),
            (true, Some("-"), "http://h/")
        );
        assert_eq!(
            parse("-Ofile h").expect("parses").output.as_deref(),
            Some("file")
        );
        assert_eq!(parse("").expect_err("").0, "missing URL");
        assert_eq!(parse("a b").expect_err("").0, "only one URL");
        assert_eq!(parse("-x h").expect_err("").0, "invalid option '-x'");
        assert_eq!(parse("-O").expect_err("").0, "option -O needs a FILE");
    }
}
