//! Image references in Docker's syntax plus skopeo-style transports.
//!
//! `nginx` → `docker.io/library/nginx:latest`, `host:5000/team/app:v1`, `app@sha256:…`
//! (the normalisation rules of github.com/distribution/reference `ParseNormalizedNamed`),
//! and the transports `oci:DIR[:TAG]`, `docker-archive:FILE[:NAME[:TAG]]`,
//! `docker-daemon:NAME` as containers-transports(5) spells them.

use std::fmt;
use std::path::PathBuf;

use anyhow::{bail, Result};

use super::digest::Digest;

/// Docker Hub's name in references and the host that serves its API.
pub const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// Where an image comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageRef {
    Registry(RegistryRef),
    /// An OCI image layout directory; `tag` matches `org.opencontainers.image.ref.name`.
    OciLayout {
        dir: PathBuf,
        tag: Option<String>,
    },
    /// `docker save` output; `name` picks one of several images by its RepoTags.
    DockerArchive {
        file: PathBuf,
        name: Option<String>,
    },
    /// An image in the local Docker engine, exported with `docker save`.
    DockerDaemon {
        name: String,
    },
}

/// A normalised registry reference: `registry/repository[:tag][@digest]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRef {
    /// As written in references: `docker.io`, `127.0.0.1:5000`, `ghcr.io`.
    pub registry: String,
    /// `library/nginx`, `team/app`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

impl RegistryRef {
    /// The host (and port) serving the distribution API.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// What to ask the registry for: the digest when there is one, else the tag.
    pub fn manifest_ref(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_string(),
        }
    }

    /// Registries Docker talks to over plain HTTP without being told (`localhost`, loopback).
    pub fn is_loopback(&self) -> bool {
        let host = host_without_port(&self.registry);
        host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.")
    }
}

fn host_without_port(registry: &str) -> &str {
    if registry.starts_with('[') {
        // [::1]:5000
        return match registry.find(']') {
            Some(end) => &registry[..=end],
            None => registry,
        };
    }
    match registry.rsplit_once(':') {
        Some((host, _)) => host,
        None => registry,
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageRef::Registry(r) => write!(f, "{r}"),
            ImageRef::OciLayout { dir, tag: Some(t) } => write!(f, "oci:{}:{t}", dir.display()),
            ImageRef::OciLayout { dir, tag: None } => write!(f, "oci:{}", dir.display()),
            ImageRef::DockerArchive {
                file,
                name: Some(n),
            } => {
                write!(f, "docker-archive:{}:{n}", file.display())
            }
            ImageRef::DockerArchive { file, name: None } => {
                write!(f, "docker-archive:{}", file.display())
            }
            ImageRef::DockerDaemon { name } => write!(f, "docker-daemon:{name}"),
        }
    }
}

impl ImageRef {
    /// Parses what the user typed. Errors name the reason, the caller adds the reference.
    pub fn parse(text: &str) -> Result<ImageRef> {
        if let Some(rest) = text.strip_prefix("oci:") {
            // containers-transports(5): the path ends at the first ':'.
            let (dir, tag) = split_first_colon(rest);
            if dir.is_empty() {
                bail!("missing directory after oci:");
            }
            return Ok(ImageRef::OciLayout {
                dir: PathBuf::from(dir),
                tag,
            });
        }
        if let Some(rest) = text.strip_prefix("docker-archive:") {
            let (file, name) = split_first_colon(rest);
            if file.is_empty() {
                bail!("missing file after docker-archive:");
            }
            return Ok(ImageRef::DockerArchive {
                file: PathBuf::from(file),
                name,
            });
        }
        if let Some(rest) = text.strip_prefix("docker-daemon:") {
            if rest.is_empty() {
                bail!("missing image name after docker-daemon:");
            }
            // Validate it the way the engine would resolve it.
            RegistryRef::parse(rest)?;
            return Ok(ImageRef::DockerDaemon {
                name: rest.to_string(),
            });
        }
        let plain = text.strip_prefix("docker://").unwrap_or(text);
        Ok(ImageRef::Registry(RegistryRef::parse(plain)?))
    }
}

fn split_first_colon(s: &str) -> (&str, Option<String>) {
    match s.split_once(':') {
        Some((a, b)) if !b.is_empty() => (a, Some(b.to_string())),
        Some((a, _)) => (a, None),
        None => (s, None),
    }
}

impl RegistryRef {
    /// Docker's normalisation: the first component is a registry when it has a `.` or a `:`
    /// or is `localhost`; Docker Hub's single-component names live under `library/`.
    pub fn parse(text: &str) -> Result<RegistryRef> {
        if text.is_empty() {
            bail!("empty image reference");
        }
        let (name_tag, digest) = match text.split_once('@') {
            Some((n, d)) => (n, Some(Digest::parse(d)?)),
            None => (text, None),
        };
        // The tag follows the last ':' after the last '/', so `host:5000/app` has none.
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&name_tag[..at], Some(name_tag[at + 1..].to_string()))
            }
            None => (name_tag, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        check_repository(&repository)?;
        if let Some(t) = &tag {
            check_tag(t)?;
        }
        let tag = match (tag, &digest) {
            (None, None) => Some("latest".to_string()),
            (t, _) => t,
        };
        Ok(RegistryRef {
            registry,
            repository,
            tag,
            digest,
        })
    }
}

/// distribution/reference: path components are `[a-z0-9]+` joined by `.`, `_`, `__` or `-`s.
fn check_repository(repo: &str) -> Result<()> {
    if repo.len() > 255 {
        bail!("repository name longer than 255 characters");
    }
    for component in repo.split('/') {
        let bytes = component.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
            bail!("empty path component in repository name {repo:?}");
        };
        if bytes.iter().any(|b| b.is_ascii_uppercase()) {
            bail!("repository name must be lowercase: {repo}");
        }
        let allowed = |b: &u8| alnum(b) || matches!(b, b'.' | b'_' | b'-');
        if !alnum(first) || !alnum(last) || !bytes.iter().all(allowed) {
            bail!("invalid repository name: {repo}");
        }
    }
    Ok(())
}

/// distribution/reference: `[\w][\w.-]{0,127}`.
fn check_tag(tag: &str) -> Result<()> {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let bytes = tag.as_bytes();
    let ok = match bytes.first() {
        Some(first) => {
            word(first)
                && bytes.len() <= 128
                && bytes.iter().all(|b| word(b) || matches!(b, b'.' | b'-'))
        }
        None => false,
    };
    if !ok {
        bail!("invalid tag: {tag:?}");
    }
    Ok(())
}

/// `--platform os/arch[/variant]`, as `docker run --platform` takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn parse(text: &str) -> Result<Platform> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Platform {
                    os: os.to_string(),
                    architecture: arch.to_string(),
                    variant: Some(variant.to_string()),
                })
            }
            _ => bail!("platform must be os/arch[/variant]: {text:?}"),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn registry_references_normalise_like_docker() {
        let digest = format!("sha256:{HEX}");
        let cases: Vec<(String, &str, &str, Option<&str>, bool)> = vec![
            (
                "nginx".into(),
                "docker.io",
                "library/nginx",
                Some("latest"),
                false,
            ),
            (
                "nginx:1.25".into(),
                "docker.io",
                "library/nginx",
                Some("1.25"),
                false,
            ),
            (
                "library/nginx".into(),
                "docker.io",
                "library/nginx",
                Some("latest"),
                false,
            ),
            (
                "docker.io/nginx".into(),
                "docker.io",
                "library/nginx",
                Some("latest"),
                false,
            ),
            (
                "index.docker.io/nginx".into(),
                "docker.io",
                "library/nginx",
                Some("latest"),
                false,
            ),
            (
                "bitnami/redis:7".into(),
                "docker.io",
                "bitnami/redis",
                Some("7"),
                false,
            ),
            (
                "localhost/app".into(),
                "localhost",
                "app",
                Some("latest"),
                false,
            ),
            (
                "localhost:5000/app:v1".into(),
                "localhost:5000",
                "app",
                Some("v1"),
                false,
            ),
            (
                "127.0.0.1:5000/library/nginx:latest".into(),
                "127.0.0.1:5000",
                "library/nginx",
                Some("latest"),
                false,
            ),
            (
                "ghcr.io/owner/img/sub:tag".into(),
                "ghcr.io",
                "owner/img/sub",
                Some("tag"),
                false,
            ),
            (
                format!("nginx@{digest}"),
                "docker.io",
                "library/nginx",
                None,
                true,
            ),
            (
                format!("nginx:1.25@{digest}"),
                "docker.io",
                "library/nginx",
                Some("1.25"),
                true,
            ),
            (
                "docker://alpine".into(),
                "docker.io",
                "library/alpine",
                Some("latest"),
                false,
            ),
        ];
        for (text, registry, repo, tag, has_digest) in cases {
            let ImageRef::Registry(r) = ImageRef::parse(&text).unwrap() else {
                panic!("{text}: not a registry reference");
            };
            assert_eq!(r.registry, registry, "{text}");
            assert_eq!(r.repository, repo, "{text}");
            assert_eq!(r.tag.as_deref(), tag, "{text}");
            assert_eq!(r.digest.is_some(), has_digest, "{text}");
        }
    }

    #[test]
    fn display_is_the_canonical_form() {
        let cases = [
            ("nginx", "docker.io/library/nginx:latest"),
            ("127.0.0.1:5000/a/b:c", "127.0.0.1:5000/a/b:c"),
            ("oci:/tmp/lay:v1", "oci:/tmp/lay:v1"),
            ("oci:lay", "oci:lay"),
            ("docker-archive:x.tar", "docker-archive:x.tar"),
            ("docker-daemon:nginx:1", "docker-daemon:nginx:1"),
        ];
        for (text, want) in cases {
            assert_eq!(ImageRef::parse(text).unwrap().to_string(), want, "{text}");
        }
    }

    #[test]
    fn transports() {
        let cases = [
            (
                "oci:/srv/img",
                ImageRef::OciLayout {
                    dir: "/srv/img".into(),
                    tag: None,
                },
            ),
            (
                "oci:/srv/img:",
                ImageRef::OciLayout {
                    dir: "/srv/img".into(),
                    tag: None,
                },
            ),
            (
                "oci:img:latest",
                ImageRef::OciLayout {
                    dir: "img".into(),
                    tag: Some("latest".into()),
                },
            ),
            (
                "docker-archive:a.tar",
                ImageRef::DockerArchive {
                    file: "a.tar".into(),
                    name: None,
                },
            ),
            (
                "docker-archive:a.tar:nginx:1",
                ImageRef::DockerArchive {
                    file: "a.tar".into(),
                    name: Some("nginx:1".into()),
                },
            ),
            (
                "docker-daemon:nginx",
                ImageRef::DockerDaemon {
                    name: "nginx".into(),
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(ImageRef::parse(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn bad_references() {
        let cases = [
            ("", "empty image reference"),
            ("Nginx", "repository name must be lowercase: library/Nginx"),
            ("a//b", "empty path component"),
            ("nginx:", "invalid tag"),
            ("nginx:-x", "invalid tag"),
            ("-nginx", "invalid repository name"),
            ("nginx@sha256:abc", "invalid digest"),
            ("nginx@md5:abc", "unsupported digest algorithm"),
            ("oci:", "missing directory"),
            ("docker-archive:", "missing file"),
            ("docker-daemon:", "missing image name"),
        ];
        for (text, want) in cases {
            let err = ImageRef::parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: got {err:?}, want {want:?}");
        }
    }

    #[test]
    fn loopback_registries_are_plain_http() {
        let cases = [
            ("localhost/a", true),
            ("localhost:5000/a", true),
            ("127.0.0.1:5000/a", true),
            ("[::1]:5000/a", true),
            ("example.com:5000/a", false),
            ("nginx", false),
        ];
        for (text, want) in cases {
            assert_eq!(
                RegistryRef::parse(text).unwrap().is_loopback(),
                want,
                "{text}"
            );
        }
    }

    #[test]
    fn platforms() {
        assert_eq!(
            Platform::parse("linux/amd64").unwrap().to_string(),
            "linux/amd64"
        );
        assert_eq!(
            Platform::parse("linux/arm/v7").unwrap().variant.as_deref(),
            Some("v7")
        );
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", "linux/arm/"] {
            assert!(Platform::parse(bad).is_err(), "{bad}");
        }
    }
}
