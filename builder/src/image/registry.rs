//! A pull-only client of the OCI distribution spec (v2 API): manifests by tag or digest,
//! blobs into the cache, anonymous bearer tokens and basic auth.
//!
//! Every document and blob is checked against its digest before use: manifests against the
//! requested digest or the `Docker-Content-Digest` header, blobs as they stream into the
//! cache. Loopback registries speak plain HTTP as Docker does (daemon.json's
//! insecure-registries default); with `--insecure` others are tried over HTTPS without
//! certificate checks, then over plain HTTP, as Docker treats insecure registries.

use std::io::Read;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;

use super::auth::{Challenge, Credentials};
use super::cache::{read_small, BlobCache};
use super::digest::{check, Digest};
use super::manifest::{self, Descriptor, Document};
use super::progress::{CountingReader, Progress};
use super::reference::{Platform, RegistryRef};
use super::{Blob, Layer, LayerCheck, ResolvedImage};
use rroot_init::io_reason;

/// Manifests and configs are small; a larger answer is not a manifest.
const MAX_DOCUMENT: u64 = 8 << 20;

pub struct FetchOptions {
    pub platform: Platform,
    pub insecure: bool,
    pub credentials: Option<Credentials>,
}

struct Client<'a> {
    agent: ureq::Agent,
    base: String,
    reference: &'a RegistryRef,
    credentials: Option<Credentials>,
    /// The `Authorization` value once a challenge was answered.
    authorization: Option<String>,
    cache: &'a BlobCache,
    progress: &'a Progress,
}

/// Layer downloads at a time, as `docker pull` (its max-concurrent-downloads default is 3).
const PARALLEL_DOWNLOADS: usize = 3;

/// Resolves `reference` to a manifest for `options.platform` and fetches config and layers
/// into `cache` (nothing is downloaded twice).
pub fn fetch(
    reference: &RegistryRef,
    options: &FetchOptions,
    cache: &BlobCache,
    progress: &Progress,
) -> Result<ResolvedImage> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .user_agent(concat!("rroot/", env!("CARGO_PKG_VERSION")))
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .disable_verification(options.insecure)
                .build(),
        )
        .build()
        .into();
    let host = reference.api_host();
    let base = if reference.is_loopback() {
        format!("http://{host}")
    } else if options.insecure {
        // Docker's insecure-registries: HTTPS without certificate checks, else plain HTTP.
        let https = format!("https://{host}");
        match agent.get(format!("{https}/v2/")).call() {
            Ok(_) => https,
            Err(_) => format!("http://{host}"),
        }
    } else {
        format!("https://{host}")
    };
    let mut client = Client {
        agent,
        base,
        reference,
        credentials: options.credentials.clone(),
        authorization: None,
        cache,
        progress,
    };

    let (bytes, content_type, mut digest) = client.manifest(&reference.manifest_ref())?;
    let mut document = Document::parse(&bytes, content_type.as_deref())?;
    if let Document::Index(entries) = &document {
        let chosen = manifest::select_platform(entries, &options.platform)?;
        let chosen_digest = chosen.digest()?;
        let (bytes, content_type, d) = client.manifest(&chosen_digest.to_string())?;
        document = Document::parse(
            &bytes,
            content_type.as_deref().or(Some(chosen.media_type.as_str())),
        )?;
        digest = d;
    }
    let Document::Manifest(m) = document else {
        bail!("{digest}: an index inside an index is not an image");
    };
    let config_path = client.blob(&m.config, "config")?;
    let config = read_small(&config_path)?;
    for desc in &m.layers {
        manifest::check_layer_media_type(&desc.media_type)?;
    }
    let paths = client.blobs(&m.layers)?;
    let mut layers = Vec::with_capacity(m.layers.len());
    for (desc, path) in m.layers.iter().zip(paths) {
        let len = std::fs::metadata(&path)
            .map_err(|e| anyhow!("{}: {}", path.display(), io_reason(&e)))?
            .len();
        layers.push(Layer {
            blob: Blob {
                path,
                offset: 0,
                len,
            },
            check: LayerCheck::Verified,
            name: desc.digest.clone(),
        });
    }
    Ok(ResolvedImage {
        reference: reference.to_string(),
        digest,
        config,
        layers,
        scratch: None,
    })
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The distribution spec's error body as one line: `manifest unknown`; the status otherwise.
pub fn error_message(status: u16, body: &[u8]) -> String {
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) {
        if let Some(e) = parsed.errors.first() {
            if !e.message.is_empty() {
                return e.message.clone();
            }
            if !e.code.is_empty() {
                return e.code.to_lowercase().replace('_', " ");
            }
        }
    }
    match status {
        401 => "unauthorized: authentication required".to_string(),
        403 => "access denied".to_string(),
        404 => "not found".to_string(),
        s => format!("HTTP status {s}"),
    }
}

const INSECURE_HINT: &str = " (a plain-HTTP or self-signed registry needs --insecure)";

fn network(url: &str, e: ureq::Error) -> anyhow::Error {
    match e {
        // A plain-HTTP server hangs up on (or garbles) a TLS handshake.
        ureq::Error::Io(io)
            if url.starts_with("https:") && io.kind() == std::io::ErrorKind::UnexpectedEof =>
        {
            anyhow!("{url}: {}{INSECURE_HINT}", io_reason(&io))
        }
        ureq::Error::Io(io) => anyhow!("{url}: {}", io_reason(&io)),
        e @ (ureq::Error::Rustls(_) | ureq::Error::Tls(_)) => anyhow!("{url}: {e}{INSECURE_HINT}"),
        other => anyhow!("{url}: {other}"),
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

impl<'a> Client<'a> {
    fn send(&self, url: &str, accept: &str) -> Result<ureq::http::Response<ureq::Body>> {
        let mut request = self.agent.get(url).header("Accept", accept);
        if let Some(a) = &self.authorization {
            request = request.header("Authorization", a);
        }
        request.call().map_err(|e| network(url, e))
    }

    /// GET, answering one authentication challenge if the registry sends one.
    fn get(&mut self, url: &str, accept: &str) -> Result<ureq::http::Response<ureq::Body>> {
        let response = self.send(url, accept)?;
        // Also on a second 401: bearer tokens expire (Docker Hub's after 5 minutes).
        if response.status().as_u16() != 401 {
            return Ok(response);
        }
        let header = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if header.is_empty() {
            return Ok(response);
        }
        self.authorization = Some(self.answer(&Challenge::parse(&header)?)?);
        self.send(url, accept)
    }

    fn answer(&self, challenge: &Challenge) -> Result<String> {
        match challenge {
            Challenge::Basic => match &self.credentials {
                Some(c) => Ok(c.basic_header()),
                None => bail!(
                    "{}: unauthorized: credentials required (--creds, REGISTRY_AUTH or ~/.docker/config.json)",
                    self.reference.registry
                ),
            },
            Challenge::Bearer { realm, service, scope } => {
                let scope = scope
                    .clone()
                    .unwrap_or_else(|| format!("repository:{}:pull", self.reference.repository));
                let mut request = self.agent.get(realm).query("scope", &scope);
                if let Some(s) = service {
                    request = request.query("service", s);
                }
                if let Some(c) = &self.credentials {
                    request = request.header("Authorization", &c.basic_header());
                }
                let mut response = request.call().map_err(|e| network(realm, e))?;
                let status = response.status().as_u16();
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(MAX_DOCUMENT)
                    .read_to_vec()
                    .map_err(|e| network(realm, e))?;
                if status != 200 {
                    bail!("{realm}: token request failed: {}", error_message(status, &body));
                }
                let token: TokenResponse =
                    serde_json::from_slice(&body).with_context(|| format!("{realm}: invalid token response"))?;
                match token.token.or(token.access_token) {
                    Some(t) => Ok(format!("Bearer {t}")),
                    None => bail!("{realm}: token response without a token"),
                }
            }
        }
    }

    /// A manifest or index: bytes, Content-Type and verified digest.
    fn manifest(&mut self, reference: &str) -> Result<(Vec<u8>, Option<String>, Digest)> {
        let wanted = Digest::parse(reference).ok();
        if let Some(d) = &wanted {
            if let Some(p) = self.cache.get(d) {
                return Ok((read_small(&p)?, None, d.clone()));
            }
        }
        let url = format!(
            "{}/v2/{}/manifests/{reference}",
            self.base, self.reference.repository
        );
        let mut response = self.get(&url, manifest::ACCEPT)?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_string());
        let header_digest = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Digest::parse(v).ok());
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_DOCUMENT)
            .read_to_vec()
            .map_err(|e| network(&url, e))?;
        if !(200..300).contains(&status) {
            bail!("{}", error_message(status, &body));
        }
        let got = Digest::of(&body);
        if let Some(expected) = wanted.as_ref().or(header_digest.as_ref()) {
            check(expected, &got, &format!("manifest {reference}"))?;
        }
        self.cache.put_bytes(&got, &body)?;
        Ok((body, content_type, got))
    }

    /// Another client for the same registry and credentials (a download thread's).
    fn fork(&self) -> Client<'a> {
        Client {
            agent: self.agent.clone(),
            base: self.base.clone(),
            reference: self.reference,
            credentials: self.credentials.clone(),
            authorization: self.authorization.clone(),
            cache: self.cache,
            progress: self.progress,
        }
    }

    /// The layers' blobs in the cache, [`PARALLEL_DOWNLOADS`] downloads at a time. The
    /// first failure in layer order is the error.
    fn blobs(&mut self, layers: &[Descriptor]) -> Result<Vec<std::path::PathBuf>> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let failed = std::sync::atomic::AtomicBool::new(false);
        let results: Vec<std::sync::Mutex<Option<Result<std::path::PathBuf>>>> =
            layers.iter().map(|_| std::sync::Mutex::new(None)).collect();
        let workers = PARALLEL_DOWNLOADS.min(layers.len());
        let threads = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
            for _ in 0..workers {
                let mut client = self.fork();
                let (next, failed, results, threads) = (&next, &failed, &results, &threads);
                let done = done_tx.clone();
                scope.spawn(move || {
                    // SAFETY: pthread_self has no preconditions.
                    let me = unsafe { libc::pthread_self() };
                    if let Ok(mut t) = threads.lock() {
                        t.push(me);
                    }
                    loop {
                        use std::sync::atomic::Ordering;
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        // After a failure, start nothing new: the build is lost anyway.
                        if i >= layers.len() || failed.load(Ordering::SeqCst) {
                            break;
                        }
                        let what = format!("layer {}/{}", i + 1, layers.len());
                        let result = client.blob(&layers[i], &what);
                        if result.is_err() {
                            failed.store(true, Ordering::SeqCst);
                        }
                        if let Ok(mut slot) = results[i].lock() {
                            *slot = Some(result);
                        }
                    }
                    let _ = done.send(());
                });
            }
            drop(done_tx);
            // Wait for the workers; on Ctrl-C wake those blocked in a read (scoped threads
            // are joined only after this loop, so their ids stay valid).
            let mut finished = 0;
            while finished < workers {
                match done_rx.recv_timeout(std::time::Duration::from_millis(100)) {
                    Ok(()) => finished += 1,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        if super::interrupt::interrupted() {
                            if let Ok(t) = threads.lock() {
                                t.iter().for_each(|id| super::interrupt::wake(*id));
                            }
                        }
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
        });
        let mut paths = Vec::with_capacity(layers.len());
        for slot in results {
            match slot.into_inner().ok().flatten() {
                Some(Ok(p)) => paths.push(p),
                Some(Err(e)) => return Err(e),
                // Not started because a later layer failed: that error comes up below.
                None => {}
            }
        }
        if paths.len() != layers.len() {
            bail!("download stopped after an error");
        }
        Ok(paths)
    }

    /// A blob in the cache, downloaded and verified if it was not there yet.
    fn blob(&mut self, desc: &Descriptor, what: &str) -> Result<std::path::PathBuf> {
        let digest = desc.digest()?;
        if let Some(p) = self.cache.get(&digest) {
            return Ok(p);
        }
        let url = format!(
            "{}/v2/{}/blobs/{digest}",
            self.base, self.reference.repository
        );
        let mut response = self.get(&url, "*/*")?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let body = response
                .body_mut()
                .with_config()
                .limit(MAX_DOCUMENT)
                .read_to_vec()
                .unwrap_or_default();
            bail!("{digest}: {}", error_message(status, &body));
        }
        let mut bar = self
            .progress
            .bytes(&format!("fetched {what} {}", digest.short()), desc.size);
        let reader = response.into_body().into_reader();
        let mut counted = CountingReader {
            inner: reader,
            bar: &mut bar,
        };
        let path = self.cache.put(
            &digest,
            (desc.size > 0).then_some(desc.size),
            &mut counted as &mut dyn Read,
        )?;
        bar.finish();
        Ok(path)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn error_messages() {
        let cases: [(u16, &[u8], &str); 6] = [
            (404, br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#, "manifest unknown"),
            (404, br#"{"errors":[{"code":"NAME_UNKNOWN"}]}"#, "name unknown"),
            (404, b"", "not found"),
            (401, b"<html>", "unauthorized: authentication required"),
            (500, b"oops", "HTTP status 500"),
            (403, br#"{"errors":[]}"#, "access denied"),
        ];
        for (status, body, want) in cases {
            assert_eq!(error_message(status, body), want);
        }
    }
}
