//! The push side of a copy, on oci-client: blobs are looked up (HEAD) before anything is sent,
//! mounted from another repository of the target where possible, and otherwise uploaded in
//! chunks whose commit (`PUT ...?digest=`) is only sent once the caller has verified the last
//! byte, so the registry checks the sha256 too and a bad blob is never committed.

use std::collections::HashSet;
use std::sync::Mutex;

use bytes::Bytes;
use futures_util::StreamExt;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use tokio::sync::mpsc;

use super::plan::{CopyReport, RepositoryPlan};
use super::target::Target;
use crate::format::Digest;
use crate::net::auth::{self, AuthError};
use crate::net::registry::{is_loopback, CONNECT_TIMEOUT, READ_TIMEOUT};

/// Chunks queued per upload: bounds memory to a few chunks however large the blob.
const QUEUED_CHUNKS: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("{reference}: {source}")]
    Registry {
        reference: String,
        source: OciDistributionError,
    },
    #[error("{reference}: invalid reference: {message}")]
    Reference { reference: String, message: String },
    #[error("{reference}: media type {media_type:?} is not a valid header value")]
    MediaType {
        reference: String,
        media_type: String,
    },
    #[error("{reference}: the registry refused this index, which names children the source left out ({omitted}); a registry that checks an index's children needs a bundle built with every platform: {source}")]
    SparseIndex {
        reference: String,
        omitted: String,
        source: OciDistributionError,
    },
    #[error("upload of {digest} to {repository} stopped: {message}")]
    Aborted {
        digest: Digest,
        repository: String,
        message: String,
    },
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("credentials file {0} does not exist")]
    NoCredentialsFile(std::path::PathBuf),
}

#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Speak plain HTTP to the target (loopback targets always do).
    pub plain_http: bool,
    /// Credential files; empty means [`auth::default_credential_files`].
    pub credential_files: Vec<std::path::PathBuf>,
}

/// A chunk for an upload, or the reason the upload must not be committed.
pub type Chunk = Result<Bytes, String>;

pub struct Pusher {
    client: Client,
    auth: RegistryAuth,
    target: Target,
    authed: tokio::sync::Mutex<HashSet<String>>,
    report: Mutex<CopyReport>,
}

impl Pusher {
    pub fn new(target: Target, options: &PushOptions) -> Result<Self, PushError> {
        // Files named by the user must exist: a typo would otherwise push anonymously.
        if let Some(missing) = options.credential_files.iter().find(|f| !f.is_file()) {
            return Err(PushError::NoCredentialsFile(missing.clone()));
        }
        let files = if options.credential_files.is_empty() {
            auth::default_credential_files()
        } else {
            options.credential_files.clone()
        };
        let auth = match auth::lookup(&files, &target.registry)? {
            Some(c) => RegistryAuth::Basic(c.username, c.password),
            None => RegistryAuth::Anonymous,
        };
        let protocol = if options.plain_http || is_loopback(&target.registry) {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        };
        let client = Client::new(ClientConfig {
            protocol,
            platform_resolver: None,
            connect_timeout: Some(CONNECT_TIMEOUT),
            read_timeout: Some(READ_TIMEOUT),
            ..Default::default()
        });
        let report = CopyReport {
            target: target.to_string(),
            ..Default::default()
        };
        Ok(Self {
            client,
            auth,
            target,
            authed: Default::default(),
            report: Mutex::new(report),
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn report(&self) -> CopyReport {
        self.report
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn count(&self, f: impl FnOnce(&mut CopyReport)) {
        f(&mut self.report.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// A reference to `digest` (or a tag) in the target repository for source repository `repo`.
    fn reference(&self, repo: &str, tag_or_digest: &str) -> Result<Reference, PushError> {
        let sep = if tag_or_digest.starts_with("sha256:") {
            '@'
        } else {
            ':'
        };
        let s = format!(
            "{}/{}{sep}{tag_or_digest}",
            self.target.registry,
            self.target.repository(repo)
        );
        s.parse()
            .map_err(|e: oci_client::ParseError| PushError::Reference {
                reference: s.clone(),
                message: e.to_string(),
            })
    }

    /// Gets pull and push tokens for a repository once (bearer registries such as Harbor and Quay).
    async fn authenticate(&self, reference: &Reference) -> Result<(), PushError> {
        let repo = reference.repository().to_owned();
        let mut authed = self.authed.lock().await;
        if authed.contains(&repo) {
            return Ok(());
        }
        for op in [RegistryOperation::Push, RegistryOperation::Pull] {
            self.client
                .auth(reference, &self.auth, op)
                .await
                .map_err(|source| PushError::Registry {
                    reference: reference.whole(),
                    source,
                })?;
        }
        authed.insert(repo);
        Ok(())
    }

    /// The source repositories in `repos` whose target repository lacks `digest`, after
    /// mounting it from one that has it where the registry allows.
    pub async fn missing(&self, digest: &Digest, repos: &[&str]) -> Result<Vec<String>, PushError> {
        let mut present = None;
        let mut missing = Vec::new();
        for repo in repos {
            let reference = self.reference(repo, &digest.to_string())?;
            self.authenticate(&reference).await?;
            let exists = self
                .client
                .blob_exists(&reference, &digest.to_string())
                .await
                .map_err(|source| PushError::Registry {
                    reference: reference.whole(),
                    source,
                })?;
            if exists {
                self.count(|r| r.blobs_present += 1);
                present.get_or_insert(reference);
            } else {
                missing.push((*repo).to_owned());
            }
        }
        let Some(from) = present else {
            return Ok(missing);
        };
        let mut still_missing = Vec::new();
        for repo in missing {
            let reference = self.reference(&repo, &digest.to_string())?;
            // A refused mount (another project, no pull right) just means sending the bytes.
            match self
                .client
                .mount_blob(&reference, &from, &digest.to_string())
                .await
            {
                Ok(()) => self.count(|r| r.blobs_mounted += 1),
                Err(e) => {
                    tracing::debug!(%digest, repository = %repo, error = %e, "mount refused; uploading");
                    still_missing.push(repo);
                }
            }
        }
        Ok(still_missing)
    }

    /// Starts one upload of `digest` per repository; the caller feeds every returned sender the
    /// same chunks, then drops them to commit (or sends an `Err` to abandon the upload).
    pub fn upload(
        &self,
        digest: &Digest,
        size: u64,
        repos: &[String],
    ) -> Result<(Vec<mpsc::Sender<Chunk>>, Uploads), PushError> {
        let mut senders = Vec::new();
        let mut tasks = Vec::new();
        for repo in repos {
            let reference = self.reference(repo, &digest.to_string())?;
            let (tx, rx) = mpsc::channel::<Chunk>(QUEUED_CHUNKS);
            let stream = tokio_stream(rx);
            let client = self.client.clone();
            let d = digest.to_string();
            let repository = reference.repository().to_owned();
            let digest = digest.clone();
            tasks.push(tokio::spawn(async move {
                client
                    .push_blob_stream(&reference, stream, &d, Some(size))
                    .await
                    .map(|_| ())
                    .map_err(|e| match e {
                        OciDistributionError::GenericError(Some(message)) => PushError::Aborted {
                            digest,
                            repository,
                            message,
                        },
                        source => PushError::Registry {
                            reference: reference.whole(),
                            source,
                        },
                    })
            }));
            senders.push(tx);
        }
        Ok((senders, Uploads { tasks, size }))
    }

    /// Waits for the uploads started by [`Pusher::upload`] and counts them.
    pub async fn finish_uploads(&self, uploads: Uploads) -> Result<(), PushError> {
        let n = uploads.tasks.len() as u64;
        let mut first_error = None;
        for task in uploads.tasks {
            let result = match task.await {
                Ok(result) => result,
                Err(join) => std::panic::resume_unwind(join.into_panic()),
            };
            // The upload that failed says why; the ones abandoned because of it only echo that.
            match (result, &first_error) {
                (Ok(()), _) => {}
                (Err(e), None) => first_error = Some(e),
                (Err(e), Some(PushError::Aborted { .. }))
                    if !matches!(e, PushError::Aborted { .. }) =>
                {
                    first_error = Some(e)
                }
                (Err(_), Some(_)) => {}
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        self.count(|r| {
            r.blobs_pushed += n;
            r.bytes_pushed += n * uploads.size;
        });
        Ok(())
    }

    /// Pushes a repository's manifests (skipping those present) in plan order, then its tags.
    pub async fn push_manifests(&self, repo: &RepositoryPlan) -> Result<(), PushError> {
        for m in &repo.manifests {
            let reference = self.reference(&repo.name, &m.digest.to_string())?;
            self.authenticate(&reference).await?;
            let present = self
                .client
                .fetch_manifest_digest(&reference, &self.auth)
                .await
                .is_ok_and(|d| d == m.digest.to_string());
            if present {
                self.count(|r| r.manifests_present += 1);
                continue;
            }
            match self.put_manifest(&reference, &m.media_type, &m.bytes).await {
                Err(PushError::Registry { reference, source }) if !m.omitted.is_empty() => {
                    return Err(PushError::SparseIndex {
                        reference,
                        omitted: m.omitted.join(", "),
                        source,
                    })
                }
                other => other?,
            }
            self.count(|r| r.manifests_pushed += 1);
        }
        for (tag, digest) in &repo.tags {
            let Some(m) = repo.manifests.iter().find(|m| &m.digest == digest) else {
                continue;
            };
            let reference = self.reference(&repo.name, tag)?;
            self.put_manifest(&reference, &m.media_type, &m.bytes)
                .await?;
            self.count(|r| r.tags += 1);
        }
        Ok(())
    }

    async fn put_manifest(
        &self,
        reference: &Reference,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<(), PushError> {
        let content_type = media_type.parse().map_err(|_| PushError::MediaType {
            reference: reference.whole(),
            media_type: media_type.to_owned(),
        })?;
        self.client
            .push_manifest_raw(reference, bytes.to_vec(), content_type)
            .await
            .map(|_| ())
            .map_err(|source| PushError::Registry {
                reference: reference.whole(),
                source,
            })
    }
}

/// Uploads in flight for one blob.
pub struct Uploads {
    tasks: Vec<tokio::task::JoinHandle<Result<(), PushError>>>,
    size: u64,
}

/// A receiver as the stream oci-client reads chunks from; an `Err` chunk fails the upload
/// before its commit.
fn tokio_stream(
    rx: mpsc::Receiver<Chunk>,
) -> impl futures_util::Stream<Item = Result<Bytes, OciDistributionError>> + Send + 'static {
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) })
        .map(|c| c.map_err(|m| OciDistributionError::GenericError(Some(m))))
}
