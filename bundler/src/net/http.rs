//! Plain HTTP(S) downloads (Helm repositories, files), streamed into the blob cache.

use futures_util::StreamExt;

use super::cache::{BlobCache, CacheError};
use super::retry::{with_retries, Transient};
use crate::format::Digest;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{url}: request failed: {source}")]
    Request { url: String, source: reqwest::Error },
    #[error("{url}: server answered {status}")]
    Status {
        url: String,
        status: reqwest::StatusCode,
    },
    #[error("{url}: more than {max} bytes")]
    TooLarge { url: String, max: u64 },
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl Transient for HttpError {
    fn is_transient(&self) -> bool {
        match self {
            HttpError::Request { source, .. } => {
                source.is_connect() || source.is_timeout() || source.is_body()
            }
            HttpError::Status { status, .. } => status.is_server_error() || status.as_u16() == 429,
            _ => false,
        }
    }
}

#[derive(Clone, Default)]
pub struct HttpClient {
    inner: reqwest::Client,
}

impl HttpClient {
    pub fn new() -> Self {
        let inner = reqwest::Client::builder()
            .connect_timeout(super::registry::CONNECT_TIMEOUT)
            .read_timeout(super::registry::READ_TIMEOUT)
            .build()
            // Building only fails if the TLS backend cannot load; fall back to the defaults.
            .unwrap_or_default();
        Self { inner }
    }

    async fn get(&self, url: &str) -> Result<reqwest::Response, HttpError> {
        let resp = self
            .inner
            .get(url)
            .send()
            .await
            .map_err(|source| HttpError::Request {
                url: url.to_owned(),
                source,
            })?;
        if !resp.status().is_success() {
            return Err(HttpError::Status {
                url: url.to_owned(),
                status: resp.status(),
            });
        }
        Ok(resp)
    }

    /// A small document (an `index.yaml`), at most `max` bytes, with retries.
    pub async fn get_small(&self, url: &str, max: u64) -> Result<Vec<u8>, HttpError> {
        with_retries(|| async {
            let mut stream = self.get(url).await?.bytes_stream();
            let mut out = Vec::new();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|source| HttpError::Request {
                    url: url.to_owned(),
                    source,
                })?;
                if out.len() as u64 + chunk.len() as u64 > max {
                    return Err(HttpError::TooLarge {
                        url: url.to_owned(),
                        max,
                    });
                }
                out.extend_from_slice(&chunk);
            }
            Ok(out)
        })
        .await
    }

    /// Streams `url` into the cache. With `expected`, the bytes must have that digest (else
    /// nothing is stored); without, the digest of what arrived is returned.
    pub async fn download(
        &self,
        cache: &BlobCache,
        reference: &str,
        url: &str,
        expected: Option<&Digest>,
    ) -> Result<(Digest, u64), HttpError> {
        with_retries(|| async {
            let mut stream = self.get(url).await?.bytes_stream();
            let mut tmp = cache.temp()?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|source| HttpError::Request {
                    url: url.to_owned(),
                    source,
                })?;
                tmp.write(&chunk)?;
            }
            let (actual, size) = tmp.digest();
            tmp.commit(reference, expected.unwrap_or(&actual), None)?;
            Ok((actual, size))
        })
        .await
    }
}
