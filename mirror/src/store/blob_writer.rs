//! Writing one blob: staged, hashed on the way in, published by rename only when it checks out.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ferry_bundler::format::{Digest, Hasher};

use super::{Store, StoreError};

/// Name prefix of staging files; only these are ever cleaned up from `tmp/`.
const STAGING_PREFIX: &str = "blob-";
/// Name of a staging file between its creation and its lock, so that no opener can mistake it for
/// a dead writer's file in that instant.
const CREATING_PREFIX: &str = "creating-";
/// A `creating-` file this old was left by a writer killed in that instant.
const CREATING_STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// A blob being written. Bytes go to a unique file in `tmp/` while being hashed; `commit`
/// checks the digest (and size), syncs and renames into `blobs/`. Dropping it uncommitted removes
/// the staging file, so an interrupted write leaves nothing visible.
pub struct BlobWriter {
    file: Option<File>,
    staging: PathBuf,
    final_dir: PathBuf,
    /// `None` when the caller hashes the same bytes itself (see [`BlobWriter::without_hashing`]).
    hasher: Option<Hasher>,
    len: u64,
    store_root: PathBuf,
}

impl BlobWriter {
    pub(super) fn create(store: &Store) -> Result<Self, StoreError> {
        let tmp = store.tmp_dir();
        let named = tempfile::Builder::new()
            .prefix(CREATING_PREFIX)
            .tempfile_in(&tmp)
            .map_err(|e| StoreError::io(&tmp, e))?;
        // Keep the file but manage its removal ourselves: the guard is `Drop` below.
        let (file, creating) = named.keep().map_err(|e| StoreError::io(&tmp, e.error))?;
        // The lock marks the file as live: `Store::open` in another process (a CLI next to the
        // running registry) must not delete it. A killed writer's lock dies with it.
        if let Err(e) =
            rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
        {
            let _ = std::fs::remove_file(&creating);
            return Err(StoreError::io(&creating, e.into()));
        }
        let suffix = creating
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix(CREATING_PREFIX))
            .unwrap_or_default();
        let staging = tmp.join(format!("{STAGING_PREFIX}{suffix}"));
        if let Err(e) = std::fs::rename(&creating, &staging) {
            let _ = std::fs::remove_file(&creating);
            return Err(StoreError::io(&staging, e));
        }
        Ok(Self {
            file: Some(file),
            staging,
            final_dir: store.root().join("blobs/sha256"),
            hasher: Some(Hasher::new()),
            len: 0,
            store_root: store.root().to_path_buf(),
        })
    }

    /// For a stream that is already being hashed and checked on its way in (the bundle reader
    /// verifies every blob against the signed manifest): hashing the same bytes twice would halve
    /// import speed. Such a writer is published with [`BlobWriter::finish_verified`].
    pub fn without_hashing(mut self) -> Self {
        self.hasher = None;
        self
    }

    pub fn bytes_written(&self) -> u64 {
        self.len
    }

    /// Verifies the content against `expected` (and `expected_size` when known), then publishes
    /// it. Returns the path of the stored blob. If the blob already exists the staged copy is
    /// dropped: content addressing makes the two identical.
    pub fn commit(
        mut self,
        expected: &Digest,
        expected_size: Option<u64>,
    ) -> Result<PathBuf, StoreError> {
        let Some(hasher) = self.hasher.take() else {
            return Err(StoreError::Corrupt(
                self.staging.clone(),
                "a writer without hashing must be published with finish_verified".into(),
            ));
        };
        let (actual, len) = hasher.finish();
        if &actual != expected {
            return Err(StoreError::DigestMismatch {
                expected: expected.clone(),
                actual,
            });
        }
        if let Some(size) = expected_size.filter(|s| *s != len) {
            return Err(StoreError::SizeMismatch {
                digest: actual,
                expected: size,
                actual: len,
            });
        }
        self.publish(expected)
    }

    /// Checks the length of bytes whose digest the caller has just verified itself (`digest` must
    /// come from that check, e.g. the bundle reader's `BundleEntry::finish`), leaving the sync and
    /// rename to [`UnpublishedBlob::publish`], which another thread may do while this one goes on.
    pub fn finish_verified(
        self,
        digest: &Digest,
        size: u64,
    ) -> Result<UnpublishedBlob, StoreError> {
        if self.len != size {
            return Err(StoreError::SizeMismatch {
                digest: digest.clone(),
                expected: size,
                actual: self.len,
            });
        }
        Ok(UnpublishedBlob {
            writer: self,
            digest: digest.clone(),
        })
    }

    fn publish(&mut self, expected: &Digest) -> Result<PathBuf, StoreError> {
        let file = self.file.take().expect("file present until commit");
        file.sync_all()
            .map_err(|e| StoreError::io(&self.staging, e))?;
        drop(file);
        let hex = expected.hex();
        let dir = self.final_dir.join(&hex[..2]);
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let target = dir.join(hex);
        std::fs::rename(&self.staging, &target).map_err(|e| StoreError::io(&target, e))?;
        // The rename is durable only once the directory entry is synced.
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::io(&dir, e))?;
        self.staging = PathBuf::new();
        Ok(target)
    }

    /// The store this writer belongs to, for error messages.
    pub fn store_root(&self) -> &std::path::Path {
        &self.store_root
    }
}

/// A blob written in full and checked, still in staging until [`UnpublishedBlob::publish`]
/// syncs and renames it; dropped unpublished, its staging file is removed.
pub struct UnpublishedBlob {
    writer: BlobWriter,
    digest: Digest,
}

impl UnpublishedBlob {
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    pub fn publish(mut self) -> Result<PathBuf, StoreError> {
        let digest = self.digest.clone();
        self.writer.publish(&digest)
    }
}

/// Removes staging files left by writers that died (killed import, crash): those no process holds
/// a lock on. They were never published, so nothing refers to them.
pub(super) fn remove_stale_staging(tmp: &Path) -> Result<(), StoreError> {
    let entries = std::fs::read_dir(tmp).map_err(|e| StoreError::io(tmp, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io(tmp, e))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_str().unwrap_or_default();
        let is_file = entry
            .file_type()
            .map_err(|e| StoreError::io(&path, e))?
            .is_file();
        let stale_creating =
            name.starts_with(CREATING_PREFIX) && older_than(&path, CREATING_STALE_AFTER);
        if !is_file || !(name.starts_with(STAGING_PREFIX) || stale_creating) {
            continue;
        }
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        if rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).is_ok() {
            tracing::info!(path = %path.display(), "removing stale staging file");
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(&path, e)),
            }
        }
    }
    Ok(())
}

fn older_than(path: &Path, age: std::time::Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|m| m.elapsed().ok())
        .is_some_and(|elapsed| elapsed > age)
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let file = self.file.as_mut().expect("file present until commit");
        let n = file.write(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file
            .as_mut()
            .expect("file present until commit")
            .flush()
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.staging.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commit_publishes_only_verified_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let good = Digest::of_bytes(b"hello");

        let mut w = store.blob_writer().unwrap();
        w.write_all(b"hellO").unwrap();
        let err = w.commit(&good, Some(5)).unwrap_err();
        assert!(matches!(err, StoreError::DigestMismatch { .. }), "{err}");
        assert!(!store.has_blob(&good).unwrap());
        assert_eq!(
            std::fs::read_dir(store.tmp_dir()).unwrap().count(),
            0,
            "staging left behind"
        );

        let mut w = store.blob_writer().unwrap();
        w.write_all(b"hello").unwrap();
        let path = w.commit(&good, Some(5)).unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"hello");
        assert_eq!(store.blob_size(&good).unwrap(), Some(5));
    }

    #[tokio::test]
    async fn dropped_writer_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let mut w = store.blob_writer().unwrap();
        w.write_all(b"partial").unwrap();
        drop(w);
        assert_eq!(std::fs::read_dir(store.tmp_dir()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn open_removes_stale_staging_but_not_live_writers() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let stale = store.tmp_dir().join("blob-stale");
        std::fs::write(&stale, b"left by a killed import").unwrap();
        let foreign = store.tmp_dir().join("upload-other");
        std::fs::write(&foreign, b"not ours").unwrap();
        let creating_now = store.tmp_dir().join("creating-now");
        std::fs::write(&creating_now, b"a writer about to lock it").unwrap();
        let creating_old = store.tmp_dir().join("creating-old");
        std::fs::File::create(&creating_old)
            .unwrap()
            .set_modified(std::time::SystemTime::now() - 2 * CREATING_STALE_AFTER)
            .unwrap();
        let mut live = store.blob_writer().unwrap();
        live.write_all(b"in flight").unwrap();

        let _reopened = Store::open(dir.path()).await.unwrap();
        assert!(!stale.exists(), "stale staging file survived open");
        assert!(foreign.exists(), "open removed a file it does not own");
        assert!(
            creating_now.exists(),
            "open removed a file that is being created"
        );
        assert!(
            !creating_old.exists(),
            "a long-dead creator's file survived open"
        );
        assert_eq!(live.bytes_written(), 9);
        live.commit(&Digest::of_bytes(b"in flight"), None).unwrap();
        assert!(store.has_blob(&Digest::of_bytes(b"in flight")).unwrap());
    }
}
