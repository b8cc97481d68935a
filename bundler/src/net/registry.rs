//! An OCI registry client on top of `oci_client`: one client per host, plain HTTP only for
//! loopback and explicitly insecure hosts, credentials from the usual files.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use oci_client::client::{BlobResponse, ClientConfig, ClientProtocol, SizedStream};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use super::auth::{self, AuthError};
use super::oci::{Descriptor, MANIFEST_ACCEPT, MAX_MANIFEST_SIZE};
use super::retry::{with_retries, Transient};
use crate::format::Digest;

/// Time to establish a connection, and the longest silence tolerated mid-transfer.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
pub const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{reference}: not found in the registry")]
    NotFound { reference: String },
    #[error("{reference}: registry request failed: {source}")]
    Request {
        reference: String,
        source: OciDistributionError,
    },
    #[error("{reference}: registry answered digest {digest:?}, which ferry refuses (only sha256)")]
    BadDigest { reference: String, digest: String },
    #[error(
        "{reference}: manifest is {size} bytes, more than the {MAX_MANIFEST_SIZE} ferry accepts"
    )]
    TooLarge { reference: String, size: usize },
    #[error("{reference}: not a valid reference: {message}")]
    Reference { reference: String, message: String },
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl Transient for RegistryError {
    fn is_transient(&self) -> bool {
        match self {
            RegistryError::Request { source, .. } => oci_error_is_transient(source),
            _ => false,
        }
    }
}

/// Connect errors, timeouts, 5xx and 429 are worth another try; everything else is an answer.
pub(crate) fn oci_error_is_transient(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::RequestError(r) => {
            r.is_connect()
                || r.is_timeout()
                || r.is_body()
                || r.status()
                    .is_some_and(|s| s.is_server_error() || s.as_u16() == 429)
        }
        OciDistributionError::ServerError { code, .. } => *code >= 500 || *code == 429,
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .any(|e| e.code == OciErrorCode::Toomanyrequests),
        OciDistributionError::IoError(_) => true,
        _ => false,
    }
}

fn is_not_found(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::ServerError { code, .. } => *code == 404,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown
                    | OciErrorCode::NameUnknown
                    | OciErrorCode::NotFound
                    | OciErrorCode::BlobUnknown
            )
        }),
        _ => false,
    }
}

/// Whether a registry host (`host[:port]`) is on this machine and so spoken to in plain HTTP.
pub fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                host
            }
        })
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    name.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Hosts (`host[:port]`) spoken to in plain HTTP besides loopback ones.
    pub insecure: Vec<String>,
    /// Credential files; empty means [`auth::default_credential_files`].
    pub credential_files: Vec<PathBuf>,
    /// Upstream mirrors: `(host, location)` fetches `host/x/y` from `location/x/y`, where
    /// location is `registry[/prefix]`. Names in the bundle stay upstream's; only the place
    /// bytes come from changes, and digests are checked as always.
    pub mirrors: Vec<(String, String)>,
}

pub struct RegistryClient {
    options: RegistryOptions,
    clients: Mutex<HashMap<String, Client>>,
}

impl RegistryClient {
    pub fn new(mut options: RegistryOptions) -> Self {
        if options.credential_files.is_empty() {
            options.credential_files = auth::default_credential_files();
        }
        Self {
            options,
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn client(&self, registry: &str) -> Client {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(registry.to_owned())
            .or_insert_with(|| {
                let plain =
                    is_loopback(registry) || self.options.insecure.iter().any(|h| h == registry);
                let protocol = if plain {
                    ClientProtocol::Http
                } else {
                    ClientProtocol::Https
                };
                Client::new(ClientConfig {
                    protocol,
                    platform_resolver: None,
                    // A dead peer must fail (and be retried), not hang a build.
                    connect_timeout: Some(CONNECT_TIMEOUT),
                    read_timeout: Some(READ_TIMEOUT),
                    ..Default::default()
                })
            })
            .clone()
    }

    fn auth(&self, registry: &str) -> Result<RegistryAuth, RegistryError> {
        Ok(
            match auth::lookup(&self.options.credential_files, registry)? {
                Some(c) => RegistryAuth::Basic(c.username, c.password),
                None => RegistryAuth::Anonymous,
            },
        )
    }

    /// The exact bytes and digest of a manifest or index (by tag or digest), with retries.
    /// A digest reference is checked against the bytes by `oci_client`.
    pub async fn manifest(
        &self,
        reference: &Reference,
    ) -> Result<(Vec<u8>, Digest), RegistryError> {
        let name = reference.whole();
        let routed = self.route(reference);
        let reference = &routed;
        let client = self.client(reference.registry());
        let auth = self.auth(reference.registry())?;
        let (bytes, digest) = with_retries(|| async {
            client
                .pull_manifest_raw(reference, &auth, MANIFEST_ACCEPT)
                .await
                .map_err(|source| {
                    if is_not_found(&source) {
                        RegistryError::NotFound {
                            reference: name.clone(),
                        }
                    } else {
                        RegistryError::Request {
                            reference: name.clone(),
                            source,
                        }
                    }
                })
        })
        .await?;
        if bytes.len() > MAX_MANIFEST_SIZE {
            return Err(RegistryError::TooLarge {
                reference: name,
                size: bytes.len(),
            });
        }
        let digest = Digest::parse(&digest).map_err(|_| RegistryError::BadDigest {
            reference: name.clone(),
            digest,
        })?;
        // Never trust a header for the address: the bytes are what gets carried.
        let actual = Digest::of_bytes(&bytes);
        if actual != digest {
            return Err(RegistryError::BadDigest {
                reference: name,
                digest: digest.to_string(),
            });
        }
        Ok((bytes.to_vec(), digest))
    }

    /// `manifest`, but `Ok(None)` when the registry does not have it.
    pub async fn manifest_if_exists(
        &self,
        reference: &Reference,
    ) -> Result<Option<(Vec<u8>, Digest)>, RegistryError> {
        match self.manifest(reference).await {
            Ok(m) => Ok(Some(m)),
            Err(RegistryError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A blob's byte stream (no retries: the caller retries the whole transfer), unverified: the caller hashes them as it stores them and refuses a
    /// mismatch (`BlobCache`'s `commit`). Asking for the exact byte range gets them without
    /// oci-client's own digest check, which would hash every layer a second time; a registry
    /// that ignores ranges answers in full and oci-client checks that answer too.
    pub async fn blob_stream(
        &self,
        reference: &Reference,
        digest: &Digest,
        size: u64,
    ) -> Result<SizedStream, RegistryError> {
        let routed = self.route(reference);
        let reference = &routed;
        let client = self.client(reference.registry());
        let auth = self.auth(reference.registry())?;
        client
            .store_auth_if_needed(reference.resolve_registry(), &auth)
            .await;
        let d = digest.to_string();
        let response = if size == 0 {
            // `bytes=0--1` does not exist; an empty blob is no work to hash anyway.
            client.pull_blob_stream(reference, d.as_str()).await
        } else {
            client
                .pull_blob_stream_partial(reference, d.as_str(), 0, Some(size))
                .await
                .map(|r| match r {
                    BlobResponse::Full(s) | BlobResponse::Partial(s) => s,
                })
        };
        response.map_err(|source| RegistryError::Request {
            reference: reference.whole(),
            source,
        })
    }

    /// Tags of the repository `reference` names.
    pub async fn tags(&self, reference: &Reference) -> Result<Vec<String>, RegistryError> {
        let name = format!("{}/{}", reference.registry(), reference.repository());
        let routed = self.route(reference);
        let reference = &routed;
        let client = self.client(reference.registry());
        let auth = self.auth(reference.registry())?;
        let response = with_retries(|| async {
            client
                .list_tags(reference, &auth, None, None)
                .await
                .map_err(|source| {
                    if is_not_found(&source) {
                        RegistryError::NotFound {
                            reference: name.clone(),
                        }
                    } else {
                        RegistryError::Request {
                            reference: name.clone(),
                            source,
                        }
                    }
                })
        })
        .await?;
        Ok(response.tags)
    }

    /// Referrers of `subject` (a digest reference): the referrers API, or the tag schema where
    /// the registry has no such API.
    pub async fn referrers(&self, subject: &Reference) -> Result<Vec<Descriptor>, RegistryError> {
        let name = subject.whole();
        let routed = self.route(subject);
        let subject = &routed;
        let client = self.client(subject.registry());
        let auth = self.auth(subject.registry())?;
        client
            .store_auth_if_needed(subject.resolve_registry(), &auth)
            .await;
        let index = with_retries(|| async {
            client
                .pull_referrers(subject, None)
                .await
                .map_err(|source| RegistryError::Request {
                    reference: name.clone(),
                    source,
                })
        })
        .await?;
        index
            .manifests
            .into_iter()
            .map(|m| {
                let digest = Digest::parse(&m.digest).map_err(|_| RegistryError::BadDigest {
                    reference: name.clone(),
                    digest: m.digest.clone(),
                })?;
                let size = u64::try_from(m.size).map_err(|_| RegistryError::BadDigest {
                    reference: name.clone(),
                    digest: m.digest.clone(),
                })?;
                Ok(Descriptor {
                    media_type: m.media_type,
                    digest,
                    size,
                    platform: None,
                    artifact_type: m.artifact_type,
                })
            })
            .collect()
    }
}

impl RegistryClient {
    /// Where bytes for `reference` are actually fetched from (see [`RegistryOptions::mirrors`]).
    fn route(&self, reference: &Reference) -> Reference {
        let Some((_, location)) = self
            .options
            .mirrors
            .iter()
            .find(|(h, _)| h == reference.registry())
        else {
            return reference.clone();
        };
        let (registry, prefix) = match location.split_once('/') {
            Some((r, p)) => (r.to_owned(), format!("{}/", p.trim_matches('/'))),
            None => (location.clone(), String::new()),
        };
        let repository = format!("{prefix}{}", reference.repository());
        match (reference.tag(), reference.digest()) {
            (Some(t), Some(d)) => {
                Reference::with_tag_and_digest(registry, repository, t.into(), d.into())
            }
            (None, Some(d)) => Reference::with_digest(registry, repository, d.into()),
            (Some(t), None) => Reference::with_tag(registry, repository, t.into()),
            (None, None) => Reference::with_tag(registry, repository, "latest".into()),
        }
    }
}

/// Parses an image reference, normalising Docker Hub short names (`nginx` → `docker.io/library/nginx:latest`).
pub fn parse_reference(s: &str) -> Result<Reference, RegistryError> {
    s.parse::<Reference>()
        .map_err(|e| RegistryError::Reference {
            reference: s.to_owned(),
            message: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("127.0.0.1:5000", true)]
    #[case("127.9.9.9", true)]
    #[case("localhost:443", true)]
    #[case("[::1]:5000", true)]
    #[case("registry.example.com", false)]
    #[case("10.0.0.1:5000", false)]
    #[case("localhost.evil.com", false)]
    fn loopback_hosts(#[case] host: &str, #[case] want: bool) {
        assert_eq!(is_loopback(host), want);
    }
}
