//! The Kubernetes REST API over reqwest: a bearer token, the cluster's CA, list GETs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{KubeError, KubeSource, Resource};

/// Where a pod finds its service account's token, CA and namespace.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Items per page: the API server answers large collections in pages (`limit`/`continue`), so
/// neither it nor the agent holds one huge answer at once.
const PAGE_SIZE: u32 = 500;
/// A bound on pages followed, against a server that never stops sending `continue`.
const MAX_PAGES: usize = 10_000;

#[derive(Debug, Clone)]
pub struct ApiServer {
    base: String,
    http: reqwest::Client,
    /// Read on every list, not once: projected service account tokens are rotated by the
    /// kubelet (hourly), and an agent runs for months.
    token_file: Option<PathBuf>,
}

impl ApiServer {
    /// `api` is the API server's URL (`https://10.96.0.1:443`); `token_file` holds a bearer
    /// token; `ca` the PEM CA its certificate chains to (without it, the system's roots).
    pub fn new(api: &str, token_file: Option<&Path>, ca: Option<&Path>) -> Result<Self, KubeError> {
        if !(api.starts_with("https://") || api.starts_with("http://")) {
            return Err(KubeError::BadUrl(api.to_owned()));
        }
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("ferry-agent/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = ca {
            let err = |reason: String| KubeError::File {
                what: "Kubernetes CA certificate",
                path: ca.display().to_string(),
                reason,
            };
            let pem = std::fs::read(ca).map_err(|e| err(e.to_string()))?;
            // A ca.crt may hold several certificates (a CA being rotated); none is an error,
            // not a client that trusts nothing.
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| err(e.to_string()))?;
            if certs.is_empty() {
                return Err(err("no PEM certificate in it".into()));
            }
            builder = builder.tls_certs_only(certs);
        }
        let http = builder.build().map_err(|e| KubeError::Http {
            resource: Resource::Pods,
            url: api.to_owned(),
            reason: e.to_string(),
        })?;
        if let Some(path) = token_file {
            read_token(path)?; // a missing token fails at start, not at the first interval
        }
        Ok(Self {
            base: api.trim_end_matches('/').to_owned(),
            http,
            token_file: token_file.map(Path::to_path_buf),
        })
    }

    /// Inside a pod: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT` with the
    /// service account's token and CA.
    pub fn in_cluster() -> Result<Self, KubeError> {
        let host = std::env::var("KUBERNETES_SERVICE_HOST").map_err(|_| KubeError::NotInCluster)?;
        let port = std::env::var("KUBERNETES_SERVICE_PORT").unwrap_or_else(|_| "443".into());
        let dir = Path::new(SERVICE_ACCOUNT_DIR);
        if !dir.join("token").exists() {
            return Err(KubeError::NotInCluster);
        }
        // An IPv6 service address needs brackets in a URL.
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        Self::new(
            &format!("https://{host}:{port}"),
            Some(&dir.join("token")),
            Some(&dir.join("ca.crt")),
        )
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    async fn page(
        &self,
        what: Resource,
        token: Option<&str>,
        cont: Option<&str>,
    ) -> Result<Option<serde_json::Value>, KubeError> {
        let mut url = format!("{}{}?limit={PAGE_SIZE}", self.base, what.path());
        if let Some(c) = cont {
            url.push_str("&continue=");
            url.push_str(&percent_encode(c));
        }
        let mut req = self.http.get(&url).header("Accept", "application/json");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let http_err = |e: reqwest::Error| KubeError::Http {
            resource: what,
            url: url.clone(),
            reason: e.to_string(),
        };
        let resp = req.send().await.map_err(http_err)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(http_err)?;
        if status == reqwest::StatusCode::NOT_FOUND && what.is_optional() {
            return Ok(None);
        }
        // The API server authorizes before it routes, so a ClusterRole without a group's
        // rule gets 403 whether or not the CRD is installed: a Flux-only role must not stop
        // every report. Said once per list, so a missing rule for an installed tool is seen.
        if status == reqwest::StatusCode::FORBIDDEN && what.is_optional() {
            tracing::warn!(
                resource = %what,
                url = %url,
                "listing is forbidden; reporting none (grant list on {} to report them)",
                what
            );
            return Ok(None);
        }
        if !status.is_success() {
            // The API server's errors are Status documents with a message.
            let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&bytes)
                        .trim()
                        .chars()
                        .take(500)
                        .collect()
                });
            return Err(KubeError::Status {
                resource: what,
                url,
                status: status.as_u16(),
                message,
            });
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| KubeError::NotJson {
                resource: what,
                origin: url.clone(),
                reason: e.to_string(),
            })
    }
}

impl KubeSource for ApiServer {
    async fn list(&self, what: Resource) -> Result<serde_json::Value, KubeError> {
        let token = self.token_file.as_deref().map(read_token).transpose()?;
        let Some(mut first) = self.page(what, token.as_deref(), None).await? else {
            return Ok(what.empty_list());
        };
        let mut cont = continue_token(&first);
        let mut pages = 1;
        while let Some(c) = cont {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(KubeError::Status {
                    resource: what,
                    url: format!("{}{}", self.base, what.path()),
                    status: 200,
                    message: format!("more than {MAX_PAGES} pages"),
                });
            }
            let Some(mut next) = self.page(what, token.as_deref(), Some(&c)).await? else {
                return Ok(what.empty_list());
            };
            cont = continue_token(&next);
            let more = match next.get_mut("items") {
                Some(serde_json::Value::Array(items)) => std::mem::take(items),
                _ => Vec::new(),
            };
            if let Some(serde_json::Value::Array(items)) = first.get_mut("items") {
                items.extend(more);
            }
        }
        if let Some(meta) = first.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            meta.remove("continue");
        }
        Ok(first)
    }
}

fn continue_token(list: &serde_json::Value) -> Option<String> {
    list.pointer("/metadata/continue")
        .and_then(|c| c.as_str())
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
}

fn read_token(path: &Path) -> Result<String, KubeError> {
    let err = |reason: String| KubeError::File {
        what: "Kubernetes bearer token",
        path: path.display().to_string(),
        reason,
    };
    let token = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let token = token.trim();
    if token.is_empty() {
        return Err(err("the file is empty".into()));
    }
    Ok(token.to_owned())
}

/// Continue tokens are base64 (`+`, `/`, `=`): escape everything outside the unreserved set.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
