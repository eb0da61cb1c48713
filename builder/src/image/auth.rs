//! Registry credentials and the `WWW-Authenticate` challenge (RFC 7235 §4.1; the token
//! flow of the distribution spec's "Token Authentication Specification").
//!
//! Credentials, first match wins: `--creds USER:PASS`, `REGISTRY_AUTH=USER:PASS`, then the
//! `auths` of `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`), whose keys may
//! be `host`, `https://host` or Docker Hub's historic `https://index.docker.io/v1/`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use serde::Deserialize;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl Credentials {
    pub fn parse(text: &str) -> Result<Credentials> {
        match text.split_once(':') {
            Some((u, p)) if !u.is_empty() => Ok(Credentials {
                username: u.to_string(),
                password: p.to_string(),
            }),
            _ => bail!("credentials must be USER:PASSWORD"),
        }
    }

    /// The value of an `Authorization: Basic …` header.
    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, DockerAuth>,
}

#[derive(Deserialize)]
struct DockerAuth {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// Looks `registry` (as in references: `docker.io`, `host:port`) up in a Docker config file.
pub fn from_docker_config(config: &[u8], registry: &str) -> Result<Option<Credentials>> {
    let parsed: DockerConfig = serde_json::from_slice(config).context("invalid JSON")?;
    let wanted: &[&str] = if registry == super::reference::DOCKER_HUB {
        &["docker.io", "index.docker.io", "registry-1.docker.io"]
    } else {
        &[registry]
    };
    for (key, entry) in &parsed.auths {
        let host = key
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or("");
        if !wanted.contains(&host) {
            continue;
        }
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Ok(Some(Credentials {
                username: u.clone(),
                password: p.clone(),
            }));
        }
        if let Some(encoded) = &entry.auth {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .with_context(|| format!("auths.{key}.auth: invalid base64"))?;
            let text =
                String::from_utf8(raw).with_context(|| format!("auths.{key}.auth: not UTF-8"))?;
            return Ok(Some(
                Credentials::parse(&text).with_context(|| format!("auths.{key}.auth"))?,
            ));
        }
    }
    Ok(None)
}

/// Credentials for `registry` from the flag, the environment or the Docker config.
pub fn lookup(flag: Option<&str>, registry: &str) -> Result<Option<Credentials>> {
    if let Some(f) = flag {
        return Credentials::parse(f).map(Some).context("--creds");
    }
    if let Ok(env) = std::env::var("REGISTRY_AUTH") {
        if !env.is_empty() {
            return Credentials::parse(&env).map(Some).context("REGISTRY_AUTH");
        }
    }
    let dir = match std::env::var_os("DOCKER_CONFIG") {
        Some(d) => std::path::PathBuf::from(d),
        None => match std::env::var_os("HOME") {
            Some(h) => Path::new(&h).join(".docker"),
            None => return Ok(None),
        },
    };
    let file = dir.join("config.json");
    match std::fs::read(&file) {
        Ok(bytes) => {
            from_docker_config(&bytes, registry).with_context(|| file.display().to_string())
        }
        Err(_) => Ok(None),
    }
}

/// A parsed `WWW-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    Basic,
}

impl Challenge {
    pub fn parse(header: &str) -> Result<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Ok(Challenge::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            bail!("unsupported authentication scheme {scheme:?}");
        }
        let params = auth_params(rest);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        let Some(realm) = get("realm") else {
            bail!("bearer challenge without realm: {header}");
        };
        Ok(Challenge::Bearer {
            realm,
            service: get("service"),
            scope: get("scope"),
        })
    }
}

/// `key="value", key=token` pairs; quoted values may hold commas and `\"`.
fn auth_params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                value.push(*c);
                chars.next();
            }
        }
        out.push((key.trim().to_string(), value.trim().to_string()));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let cases = [
            (
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
                Challenge::Bearer {
                    realm: "https://auth.docker.io/token".into(),
                    service: Some("registry.docker.io".into()),
                    scope: Some("repository:library/nginx:pull".into()),
                },
            ),
            (
                r#"bearer realm="http://127.0.0.1:1/t", scope="repository:a:pull,push""#,
                Challenge::Bearer {
                    realm: "http://127.0.0.1:1/t".into(),
                    service: None,
                    scope: Some("repository:a:pull,push".into()),
                },
            ),
            (
                "Bearer realm=https://x/token,service=x",
                Challenge::Bearer {
                    realm: "https://x/token".into(),
                    service: Some("x".into()),
                    scope: None,
                },
            ),
            (r#"Basic realm="Registry Realm""#, Challenge::Basic),
        ];
        for (header, want) in cases {
            assert_eq!(Challenge::parse(header).unwrap(), want, "{header}");
        }
        assert!(Challenge::parse("Digest realm=x").is_err());
        assert!(Challenge::parse("Bearer service=x").is_err());
    }

    #[test]
    fn docker_config_lookup() {
        // "dXNlcjpwYXNz" is base64("user:pass").
        let config = br#"{"auths":{
            "https://index.docker.io/v1/":{"auth":"aHViOnNlY3JldA=="},
            "127.0.0.1:5000":{"auth":"dXNlcjpwYXNz"},
            "https://ghcr.io":{"username":"u","password":"p"},
            "bad.example":{"auth":"!!!"}
        }}"#;
        let cases = [
            ("docker.io", Some(("hub", "secret"))),
            ("127.0.0.1:5000", Some(("user", "pass"))),
            ("ghcr.io", Some(("u", "p"))),
            ("quay.io", None),
        ];
        for (registry, want) in cases {
            let got = from_docker_config(config, registry).unwrap();
            let want = want.map(|(u, p)| Credentials {
                username: u.into(),
                password: p.into(),
            });
            assert_eq!(got, want, "{registry}");
        }
        assert!(from_docker_config(config, "bad.example").is_err());
        assert!(from_docker_config(b"{}", "x").unwrap().is_none());
    }

    #[test]
    fn credentials() {
        assert_eq!(Credentials::parse("a:b:c").unwrap().password, "b:c");
        assert!(Credentials::parse("nopass").is_err());
        assert!(Credentials::parse(":x").is_err());
        assert_eq!(
            Credentials::parse("user:pass").unwrap().basic_header(),
            "Basic dXNlcjpwYXNz"
        );
    }
}
