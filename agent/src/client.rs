//! A client of the appliance's `/api/v1/` JSON API: one base URL, optional Basic credentials
//! (a user, or an agent's `cluster/<name>` credential), an optional CA for the appliance's TLS.

use std::path::Path;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0:?} is not an appliance URL: expected http:// or https://")]
    BadUrl(String),
    #[error("reading CA certificate {path}: {reason}")]
    Ca { path: String, reason: String },
    #[error("{method} {url}: {source}")]
    Http {
        method: Method,
        url: String,
        source: reqwest::Error,
    },
    /// The appliance answered with an error document (`{"error": {"code", "message"}}`).
    #[error("{method} {url}: {status}: {message}")]
    Api {
        method: Method,
        url: String,
        status: StatusCode,
        code: String,
        message: String,
    },
    #[error("{method} {url}: the answer is not the expected JSON: {reason}")]
    Decode {
        method: Method,
        url: String,
        reason: String,
    },
}

impl ClientError {
    /// The HTTP status of an answered request.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    http: reqwest::Client,
    credentials: Option<(String, String)>,
}

impl ApiClient {
    /// `server` is the appliance's base URL (`https://mirror.enclave:5000`).
    pub fn new(
        server: &str,
        credentials: Option<(String, String)>,
        ca: Option<&Path>,
    ) -> Result<Self, ClientError> {
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(ClientError::BadUrl(server.to_owned()));
        }
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("ferry/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = ca {
            let ca_err = |reason: String| ClientError::Ca {
                path: ca.display().to_string(),
                reason,
            };
            let pem = std::fs::read(ca).map_err(|e| ca_err(e.to_string()))?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| ca_err(e.to_string()))?;
            builder = builder.tls_certs_only([cert]);
        }
        let http = builder.build().map_err(|e| ClientError::Http {
            method: Method::GET,
            url: server.to_owned(),
            source: e,
        })?;
        Ok(Self {
            base: server.trim_end_matches('/').to_owned(),
            http,
            credentials,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(Method::GET, path, None::<&()>).await
    }

    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(Method::DELETE, path, None::<&()>).await
    }

    /// [`send_all_pages`](Self::send_all_pages) of a GET.
    pub async fn get_all_pages(
        &self,
        path: &str,
        limit: usize,
    ) -> Result<serde_json::Value, ClientError> {
        self.send_all_pages(Method::GET, path, None::<&()>, limit)
            .await
    }

    /// [`send_all_pages`](Self::send_all_pages) of a POST of `body`.
    pub async fn post_all_pages<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        limit: usize,
    ) -> Result<serde_json::Value, ClientError> {
        self.send_all_pages(Method::POST, path, Some(body), limit)
            .await
    }

    /// Every page of a paged answer (`clusters` and `next`, as the fleet's status and queries
    /// give them), asked for `limit` clusters at a time, as one document: the first page's
    /// other fields, every page's clusters, and no `next`. A server whose `next` comes back
    /// again is an error rather than a loop.
    pub async fn send_all_pages<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        limit: usize,
    ) -> Result<serde_json::Value, ClientError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut doc: Option<serde_json::Value> = None;
        let mut after: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        loop {
            let mut url = format!("{path}{sep}limit={limit}");
            if let Some(a) = &after {
                url.push_str("&after=");
                url.push_str(&encode(a));
            }
            let mut page: serde_json::Value = self.send(method.clone(), &url, body).await?;
            let next = page.get("next").and_then(|n| n.as_str()).map(str::to_owned);
            let clusters = page
                .get_mut("clusters")
                .map(serde_json::Value::take)
                .unwrap_or_default();
            let whole = doc.get_or_insert_with(|| {
                page["clusters"] = serde_json::Value::Array(Vec::new());
                page.clone()
            });
            if let (Some(all), serde_json::Value::Array(more)) =
                (whole["clusters"].as_array_mut(), clusters)
            {
                all.extend(more);
            }
            match next {
                Some(n) if seen.insert(n.clone()) => after = Some(n),
                Some(n) => {
                    return Err(ClientError::Api {
                        method,
                        url: format!("{}{path}", self.base),
                        status: StatusCode::INTERNAL_SERVER_ERROR,
                        code: "PAGES".into(),
                        message: format!("the page after {n:?} came back again"),
                    })
                }
                None => {
                    let mut whole = doc.take().unwrap_or_default();
                    if let Some(o) = whole.as_object_mut() {
                        o.remove("next");
                    }
                    return Ok(whole);
                }
            }
        }
    }

    /// Sends one request (`path` starts with `/`, e.g. `/api/v1/fleet/clusters`) and decodes
    /// the JSON answer; an error status becomes [`ClientError::Api`] with the server's message.
    pub async fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let url = format!("{}{}", self.base, path);
        let mut req = self.http.request(method.clone(), &url);
        if let Some((user, password)) = &self.credentials {
            req = req.basic_auth(user, Some(password));
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let http_err = |source| ClientError::Http {
            method: method.clone(),
            url: url.clone(),
            source,
        };
        let resp = req.send().await.map_err(http_err)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(http_err)?;
        if !status.is_success() {
            let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let field = |k: &str| {
                doc.pointer(&format!("/error/{k}"))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            };
            return Err(ClientError::Api {
                method,
                url,
                status,
                code: field("code").unwrap_or_else(|| status.as_str().to_owned()),
                message: field("message")
                    .unwrap_or_else(|| String::from_utf8_lossy(&bytes).trim().to_owned()),
            });
        }
        let bytes = if bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes).map_err(|e| ClientError::Decode {
            method,
            url,
            reason: e.to_string(),
        })
    }
}

/// Percent-encodes a query or path value (all but unreserved characters and `:/@`).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b':'
            | b'/'
            | b'@' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
