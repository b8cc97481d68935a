//! Registry credentials from the files docker, podman and skopeo write.
//!
//! As docker does: `credHelpers.<host>` names a helper for that host, else a static
//! `auths.<host>.auth` (base64 `user:password`) is used, else `credsStore` names the helper for
//! every host. A helper is run as `docker-credential-<name> get` with the server on stdin and
//! answers `{"Username": .., "Secret": ..}`; its answers are kept for the rest of the run.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

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
    #[error(
        "credential helper docker-credential-{helper} (from {path}) failed for {host}: {message}"
    )]
    Helper {
        helper: String,
        host: String,
        path: PathBuf,
        message: String,
    },
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
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

/// What a helper's `get` prints.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: String,
}

/// Helper answers by (helper, server): one run per registry and build, not one per request.
static HELPER_ANSWERS: Mutex<BTreeMap<(String, String), Option<Credentials>>> =
    Mutex::new(BTreeMap::new());

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
    if let Some((server, helper)) = cfg
        .cred_helpers
        .iter()
        .find(|(key, _)| canonical_host(key) == wanted)
    {
        if let Some(c) = run_helper(helper, server, host, path)? {
            return Ok(Some(c));
        }
    }
    for (key, entry) in &cfg.auths {
        if canonical_host(key) != wanted {
            continue;
        }
        let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) else {
            continue;
        };
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
    match &cfg.creds_store {
        Some(helper) if !helper.is_empty() => {
            let server = match wanted.as_str() {
                "docker.io" => "https://index.docker.io/v1/",
                _ => host,
            };
            run_helper(helper, server, host, path)
        }
        _ => Ok(None),
    }
}

const HELPER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// `docker-credential-<helper> get` with `server` on stdin, as docker runs it. A helper that is
/// not installed is a warning (the pull goes on without credentials); one that has nothing for
/// the server says so and means none; any other failure is an error naming helper and host.
fn run_helper(
    helper: &str,
    server: &str,
    host: &str,
    path: &Path,
) -> Result<Option<Credentials>, AuthError> {
    let key = (helper.to_owned(), server.to_owned());
    let mut answers = HELPER_ANSWERS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(answer) = answers.get(&key) {
        return Ok(answer.clone());
    }
    let program = format!("docker-credential-{helper}");
    let failed = |message: String| AuthError::Helper {
        helper: helper.to_owned(),
        host: host.to_owned(),
        path: path.to_owned(),
        message,
    };
    let child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(
                "{}: {host} names the credential helper {program}, which is not installed; pulling from {host} without credentials",
                path.display()
            );
            answers.insert(key, None);
            return Ok(None);
        }
        Err(e) => return Err(failed(e.to_string())),
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .map_err(|e| failed(e.to_string()))?;
    }
    // A helper waiting for a keychain to unlock or a pinentry nobody sees must not hang the
    // build: it gets a minute, as a person at a prompt would.
    let pid = child.id();
    let (done, answered) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let out = match answered.recv_timeout(HELPER_TIMEOUT) {
        Ok(out) => out.map_err(|e| failed(e.to_string()))?,
        Err(_) => {
            if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
            return Err(failed(format!(
                "it gave no answer within {} s",
                HELPER_TIMEOUT.as_secs()
            )));
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let answer = if out.status.success() {
        let answer: HelperAnswer = serde_json::from_str(&stdout)
            .map_err(|e| failed(format!("its answer is not credentials JSON: {e}")))?;
        Some(Credentials {
            username: answer.username,
            password: answer.secret,
        })
    } else if stdout.contains("credentials not found") {
        None
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let said = format!("{} {}", stdout.trim(), stderr.trim());
        return Err(failed(format!("{}: {}", out.status, said.trim())));
    };
    answers.insert(key, answer.clone());
    Ok(answer)
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

    #[test]
    fn a_helper_that_is_not_installed_means_no_credentials_and_static_ones_still_count() {
        let dir = tempfile::tempdir().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode("bob:pw");
        let p = write(
            dir.path(),
            &format!(
                r#"{{"credHelpers":{{"helped.local":"ferry-test-not-installed"}},"credsStore":"ferry-test-not-installed-either","auths":{{"static.local":{{"auth":"{b64}"}}}}}}"#
            ),
        );
        let files = std::slice::from_ref(&p);
        assert!(lookup(files, "helped.local").unwrap().is_none());
        assert!(lookup(files, "other.local").unwrap().is_none());
        let c = lookup(files, "static.local").unwrap().unwrap();
        assert_eq!(c.username, "bob");
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
