//! Importing a bundle: check its signature, stream every blob into the store verified, then make
//! its content visible in ONE database transaction.
//!
//! Crash safety comes from the order: blobs are published one by one only after their sha256
//! checked out (so a killed import leaves whole, verified, unreferenced blobs that a rerun
//! reuses), and nothing refers to them until the final transaction commits.

mod audit_event;
mod documents;
mod pipeline;
mod record;
mod space;
mod stream;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_bundler::format::validate::ValidationError;
use ferry_bundler::format::{Digest, FormatError, SignatureError, TrustedKey};
use serde::Serialize;

use crate::store::{now_unix, Store, StoreError};

pub use documents::DocumentError;
pub use space::available_space;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error("bundle signature: {0}")]
    Signature(#[from] SignatureError),
    #[error("bundle is signed but no trusted public key was given; pass one with --trust-key (or `trustedKeys` in the configuration file), or --insecure-skip-signature")]
    NoTrustedKeys,
    #[error("not enough free space in {path}: the import needs {needed} bytes, {available} are available")]
    InsufficientSpace {
        path: PathBuf,
        needed: u64,
        available: u64,
    },
    #[error("blob {digest} of {size} bytes does not fit: {available} bytes are left in {path}")]
    BlobDoesNotFit {
        digest: Digest,
        size: u64,
        available: u64,
        path: PathBuf,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// The bundle manifest fails the validation `ferry verify` runs too.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error("delta bundle needs blob {digest} ({size} bytes) already in the store; import the bundle it builds on first")]
    MissingExternalBlob { digest: Digest, size: u64 },
    #[error(
        "blob {digest} referenced by {referenced_by} is neither in the bundle nor in the store"
    )]
    MissingBlob {
        digest: Digest,
        referenced_by: String,
    },
    #[error("import of {path} stopped unexpectedly: {reason}")]
    Aborted { path: PathBuf, reason: String },
}

/// What happens during an import, for progress display (and for tests that stop an import at a
/// chosen point).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportEvent {
    /// The head (manifest and signature) was accepted; blobs follow.
    HeadAccepted {
        manifest_digest: Digest,
        blobs: usize,
        total_bytes: u64,
    },
    /// A blob starts streaming; `reused` if the store already holds it.
    BlobStarted {
        digest: Digest,
        size: u64,
        reused: bool,
    },
    /// Bytes of the current blob written so far.
    BlobProgress { digest: Digest, written: u64 },
    /// The blob is verified and (unless reused) published in the store.
    BlobDone { digest: Digest },
    /// The whole archive verified; the database transaction comes next.
    ArchiveVerified,
}

pub type ProgressFn = Arc<dyn Fn(&ImportEvent) + Send + Sync>;

#[derive(Clone, Default)]
pub struct ImportOptions {
    /// Public keys a bundle signature must verify with.
    pub trusted_keys: Vec<TrustedKey>,
    /// Accept unsigned bundles and bundles signed by unknown keys (logged as a warning).
    pub insecure_skip_signature: bool,
    /// Re-importing an imported bundle restores the blobs the store lost (missing or of the
    /// wrong size); with this set it also re-hashes every stored blob of the bundle and replaces
    /// the damaged ones (`ferry import --repair`).
    pub rehash_stored: bool,
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions")
            .field(
                "trusted_keys",
                &self
                    .trusted_keys
                    .iter()
                    .map(TrustedKey::name)
                    .collect::<Vec<_>>(),
            )
            .field("insecure_skip_signature", &self.insecure_skip_signature)
            .field("rehash_stored", &self.rehash_stored)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    #[serde(rename = "path")]
    pub bundle_path: PathBuf,
    /// sha256 of the exact `ferry-bundle.json` bytes: the bundle's identity in the store
    /// (`digest` in every JSON document).
    #[serde(rename = "digest")]
    pub manifest_digest: Digest,
    /// True if the bundle was imported before: nothing was recorded, and only the blobs the
    /// store had lost or damaged (`blobs_repaired`) were written again.
    pub already_imported: bool,
    pub blobs_repaired: usize,
    /// Trusted key the signature verified with; `None` if unsigned or skipped.
    pub signed_by: Option<String>,
    pub artifacts: usize,
    pub blobs: usize,
    pub blobs_written: usize,
    /// Blobs the store already held (from earlier bundles or an interrupted run of this one).
    pub blobs_reused: usize,
    pub bytes_written: u64,
    pub manifests_recorded: usize,
    pub tags_set: usize,
}

/// Imports the bundle at `path` into `store`. Every attempt is recorded in `imports`.
pub async fn import_bundle(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    // A file that cannot be opened is not an import attempt: nothing is recorded for it.
    ferry_bundler::format::open_bundle(path)?;
    let attempt = begin_attempt(store, path).await?;
    let result = run(store, path, options).await;
    let (outcome, digest, message) = match &result {
        Ok(r) if r.already_imported => (
            "already-imported",
            Some(r.manifest_digest.to_string()),
            None,
        ),
        Ok(r) => ("imported", Some(r.manifest_digest.to_string()), None),
        Err(e) => ("refused", None, Some(e.to_string())),
    };
    let recorded = sqlx::query(
        "UPDATE imports SET finished_at = ?, outcome = ?, manifest_digest = COALESCE(?, manifest_digest), message = ? WHERE id = ?",
    )
    .bind(now_unix())
    .bind(outcome)
    .bind(digest)
    .bind(message)
    .bind(attempt)
    .execute(store.db())
    .await;
    // The import's own outcome matters more than its history row (e.g. on a full disk).
    if let Err(e) = recorded {
        tracing::warn!(bundle = %path.display(), error = %e, "could not record the import outcome");
    }
    // A successful import's entry was appended in its own transaction.
    let imported = matches!(&result, Ok(r) if !r.already_imported);
    if !imported {
        crate::audit::record(store.db(), audit_event::import_event(path, &result)).await;
    }
    result
}

async fn begin_attempt(store: &Store, path: &Path) -> Result<i64, StoreError> {
    let res = sqlx::query(
        "INSERT INTO imports (bundle_path, started_at, outcome) VALUES (?, ?, 'started')",
    )
    .bind(path.display().to_string())
    .bind(now_unix())
    .execute(store.db())
    .await?;
    Ok(res.last_insert_rowid())
}

async fn run(
    store: &Store,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let active = record::active_bundles(store).await?;
    let streamed = {
        let (store, owned_path, options) = (store.clone(), path.to_path_buf(), options.clone());
        tokio::task::spawn_blocking(move || {
            stream::stream_bundle(&store, &owned_path, &options, &active)
        })
        .await
        .map_err(|e| ImportError::Aborted {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })??
    };
    let mut report = ImportReport {
        bundle_path: path.to_path_buf(),
        manifest_digest: streamed.manifest_digest.clone(),
        already_imported: streamed.already_imported,
        blobs_repaired: streamed.blobs_repaired,
        signed_by: streamed.signed_by.clone(),
        artifacts: streamed.manifest.artifacts.len(),
        blobs: streamed.manifest.blobs.len(),
        blobs_written: streamed.blobs_written,
        blobs_reused: streamed.blobs_reused,
        bytes_written: streamed.bytes_written,
        manifests_recorded: 0,
        tags_set: 0,
    };
    if streamed.already_imported {
        match report.blobs_repaired {
            0 => {
                tracing::info!(bundle = %streamed.manifest_digest, "bundle already imported; nothing to do")
            }
            n => {
                tracing::info!(bundle = %streamed.manifest_digest, blobs_repaired = n, "bundle already imported; restored the blobs the store had lost")
            }
        }
        return Ok(report);
    }
    documents::check_bundle_documents(store, &streamed.manifest)?;
    if let Some(progress) = &options.progress {
        progress(&ImportEvent::ArchiveVerified);
    }
    let recorded = record::record_bundle(store, &streamed, |recorded| {
        let report = ImportReport {
            manifests_recorded: recorded.manifests,
            tags_set: recorded.tags,
            ..report.clone()
        };
        audit_event::import_event(path, &Ok(report))
    })
    .await?;
    report.manifests_recorded = recorded.manifests;
    report.tags_set = recorded.tags;
    tracing::info!(bundle = %report.manifest_digest, blobs_written = report.blobs_written, "bundle imported");
    Ok(report)
}
