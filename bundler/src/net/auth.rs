//! Registry credentials from the files docker, podman and skopeo write.
//!
//! Only the static `auths.<host>.auth` (base64 `user:password`) form is read; credential
//! helpers are left out on purpose: the connected side runs unattended in CI.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("cannot read registry credentials {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("registry credentials {path} are not valid JSON: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("credentials for {host} in {path} are not base64 user:password")]
    Malformed { host: String, path: PathBuf },
}

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}, <redacted>)", self.username)
    }
}

#[derive(Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, AuthEntry>,
}

#[derive(Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
}

/// Credential files in the order they are consulted: `$REGISTRY_AUTH_FILE`, the containers
/// `auth.json`, `$DOCKER_CONFIG/config.json`, `~/.docker/config.json`.
pub fn default_credential_files() -> Vec<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut files = Vec::new();
    files.extend(env("REGISTRY_AUTH_FILE"));
    if let Some(run) = env("XDG_RUNTIME_DIR") {
        files.push(run.join("containers/auth.json"));
    }
    if let Some(cfg) = env("XDG_CONFIG_HOME") {
        files.push(cfg.join("containers/auth.json"));
    }
    if let Some(dc) = env("DOCKER_CONFIG") {
        files.push(dc.join("config.json"));
    }
    if let Some(home) = env("HOME") {
        files.push(home.join(".docker/config.json"));
    }
    files
}

/// Credentials for `host` (`registry.example.com[:port]`) from the first file that has them.
pub fn lookup(files: &[PathBuf], host: &str) -> Result<Option<Credentials>, AuthError> {
    for path in files {
        if !path.is_file() {
            continue;
        }
        if let Some(c) = lookup_in(path, host)? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

fn lookup_in(path: &Path, host: &str) -> Result<Option<Credentials>, AuthError> {
    let bytes = std::fs::read(path).map_err(|source| AuthError::Read {
        path: path.into(),
        source,
    })?;
    let cfg: ConfigFile = serde_json::from_slice(&bytes).map_err(|source| AuthError::Parse {
        path: path.into(),
        source,
    })?;
    let wanted = canonical_host(host);
    for (key, entry) in &cfg.auths {
        if canonical_host(key) != wanted {
            continue;
        }
        let Some(auth) = &entry.auth else { continue };
        let malformed = || AuthError::Malformed {
            host: host.to_owned(),
            path: path.into(),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| malformed())?;
        let text = String::from_utf8(decoded).map_err(|_| malformed())?;
        let (user, pass) = text.split_once(':').ok_or_else(malformed)?;
        return Ok(Some(Credentials {
            username: user.to_owned(),
            password: pass.to_owned(),
        }));
    }
    Ok(None)
}

/// `https://index.docker.io/v1/` and `docker.io` name the same registry.
fn canonical_host(key: &str) -> String {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key.split('/').next().unwrap_or(key).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => "docker.io".to_owned(),
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn write(dir: &Path, body: &str) -> PathBuf {
        let p = dir.join("config.json");
        std::fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn reads_docker_config_auth() {
        let dir = tempfile::tempdir().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        let p = write(
            dir.path(),
            &format!(
                r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{b64}"}},"reg.local:5000":{{"auth":"{b64}"}}}}}}"#
            ),
        );
        let c = lookup(std::slice::from_ref(&p), "docker.io")
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("alice", "s3cret")
        );
        assert!(lookup(std::slice::from_ref(&p), "reg.local:5000")
            .unwrap()
            .is_some());
        assert!(lookup(&[p], "other.local").unwrap().is_none());
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[rstest]
    #[case::not_json("{")]
    #[case::not_base64(r#"{"auths":{"h":{"auth":"!!!"}}}"#)]
    #[case::no_colon(r#"{"auths":{"h":{"auth":"YWxpY2U="}}}"#)]
    fn refuses_broken_files(#[case] body: &str) {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), body);
        let err = lookup(std::slice::from_ref(&p), "h").unwrap_err();
        assert!(err.to_string().contains(&p.display().to_string()), "{err}");
    }
}
