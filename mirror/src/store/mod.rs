//! The content-addressed store: blobs on disk, metadata in SQL.
//!
//! Layout under the data directory:
//! - `blobs/sha256/<2 hex>/<64 hex>`: every blob once, named by its sha256, served in place;
//! - `tmp/`: staging for blobs being written; a blob only appears under `blobs/` after its digest
//!   was checked and its bytes were synced, so nothing half-written is ever visible;
//! - `ferry.db`: SQLite metadata (repositories, manifests, tags, bundles, import history).
//!
//! The filesystem is the truth for which blobs exist; the database says which of them are
//! reachable (from manifests and bundles) and which repository may serve which
//! (`repository_blobs`). Anything unreachable and unlinked is garbage for `gc`.

mod blob_writer;
pub mod bundles;
pub mod carriers;
pub mod catalog;
mod copy_plan;
mod db;
pub mod gc;
pub mod json_time;
mod links;
pub mod list;
mod manifest_push;
pub mod manifests;
mod pack_meta;
pub mod profile_definitions;
mod publish;
mod registry;
mod uploads;
pub mod verify;
mod walk;

use std::path::{Path, PathBuf};

pub use blob_writer::{BlobWriter, UnpublishedBlob};
pub use bundles::{list_bundles, retire_bundle, BundleList, BundleSummary, RetireReport};
pub use catalog::{BlobDescriptor, ChartVersion, PackVersion, StoredFile};
pub use db::now_unix;
pub use gc::{gc, gc_with, GcOptions, GcReport};
pub use list::{list, ManifestSummary, RepoSummary, RepositoryList, TagSummary};
pub use manifest_push::{ManifestPushError, PushedManifest};
pub use manifests::{ensure_repository_in, put_manifest_in, set_tag_in, StoreTx};
pub use profile_definitions::StoredDefinition;
pub use registry::{ManifestRecord, Referrer, MAX_MANIFEST_SIZE};
pub use uploads::UploadError;
pub use verify::{verify, CorruptBlob, MissingBlob, VerifyReport};

use ferry_bundler::format::Digest;
use sqlx::SqlitePool;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store i/o on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("store database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("blob digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error("blob {digest} size mismatch: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        digest: Digest,
        expected: u64,
        actual: u64,
    },
    #[error("blob {digest} of {size} bytes is too large for the store")]
    TooLarge { digest: Digest, size: u64 },
    #[error("no bundle {0} in the store")]
    UnknownBundle(Digest),
    #[error("no store at {0}: it has no ferry.db (`ferry import` creates one; a read-only command does not)")]
    NoStore(PathBuf),
    #[error("store at {0} is corrupt: {1}")]
    Corrupt(PathBuf, String),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Handle to an opened store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
    db: SqlitePool,
}

impl Store {
    /// Opens a store that exists, for commands that only read or manage it: a mistyped path is
    /// an error, not a new empty store.
    pub async fn open_existing(root: impl AsRef<Path>) -> Result<Self, StoreError> {
        let root = root.as_ref();
        if !root.join("ferry.db").is_file() {
            return Err(StoreError::NoStore(root.to_path_buf()));
        }
        Self::open(root).await
    }

    /// Opens (creating if needed) the store at `root` and brings its schema up to date.
    pub async fn open(root: impl AsRef<Path>) -> Result<Self, StoreError> {
        let root = root.as_ref().to_path_buf();
        for dir in [root.join("blobs/sha256"), root.join("tmp")] {
            std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        }
        blob_writer::remove_stale_staging(&root.join("tmp"))?;
        let db = db::connect(&root.join("ferry.db")).await?;
        Ok(Self { root, db })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn db(&self) -> &SqlitePool {
        &self.db
    }

    /// Where a blob lives (or would live). Sharded by the first two hex digits so no directory
    /// grows to millions of entries.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        let hex = digest.hex();
        self.root.join("blobs/sha256").join(&hex[..2]).join(hex)
    }

    /// Directory for staging files; on the same filesystem as `blobs/` so renames are atomic.
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Size of a stored blob, or `None` if it is not in the store.
    pub fn blob_size(&self, digest: &Digest) -> Result<Option<u64>, StoreError> {
        let path = self.blob_path(digest);
        match std::fs::metadata(&path) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }

    pub fn has_blob(&self, digest: &Digest) -> Result<bool, StoreError> {
        Ok(self.blob_size(digest)?.is_some())
    }

    /// Refreshes a stored blob's mtime: a writer that reuses a file it is about to make reachable
    /// (an import, a finished upload) keeps a concurrent `gc`, which spares young files, from
    /// removing it before the commit.
    pub fn touch_blob(&self, digest: &Digest) -> Result<(), StoreError> {
        let path = self.blob_path(digest);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()))
            .map_err(|e| StoreError::io(path, e))
    }

    /// Starts writing a blob into staging; see [`BlobWriter`].
    pub fn blob_writer(&self) -> Result<BlobWriter, StoreError> {
        BlobWriter::create(self)
    }
}
