//! Blob upload sessions for registry push, one file per session under `<data>/uploads/`.
//!
//! The session's state is its file: its length is the next offset, and its name
//! (`<id>.<sha256 of the repository name>`) binds it to the repository it was started in, so
//! sessions survive a restart with nothing held in memory, and an id used through another
//! repository names no file. Finishing re-hashes the file (streamed), checks the digest the
//! client claims, syncs and renames it into `blobs/`: the same invariant as imports; then links
//! the blob to the session's repository.

use std::fs::File;
use std::hash::{BuildHasher, Hasher as _};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use ferry_bundler::format::{Digest, Hasher};
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use super::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("upload {0} is unknown")]
    Unknown(String),
    #[error("upload {id} continues at offset {expected}, chunk starts at {got}")]
    OutOfOrder { id: String, expected: u64, got: u64 },
    #[error("upload {0} is busy with another request")]
    Busy(String),
    #[error("upload {id} body could not be read: {message}")]
    Body { id: String, message: String },
    #[error("upload {id}: Content-Range declares a chunk of {declared} bytes, its body does not match ({received} bytes read)")]
    RangeMismatch {
        id: String,
        declared: u64,
        /// What was read until the mismatch was certain.
        received: u64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    fn uploads_dir(&self) -> PathBuf {
        self.root().join("uploads")
    }

    /// The session's file: only the repository it was started in finds it.
    fn upload_path(&self, repo: &str, id: &str) -> PathBuf {
        let bound = Digest::of_bytes(repo.as_bytes());
        self.uploads_dir().join(format!("{id}.{}", bound.hex()))
    }

    /// Opens a new, empty session in `repo` and returns its id (32 random lowercase hex digits).
    pub fn upload_start(&self, repo: &str) -> Result<String, StoreError> {
        let dir = self.uploads_dir();
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let id = random_id();
        let path = self.upload_path(repo, &id);
        File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        Ok(id)
    }

    /// Bytes received so far, or `None` for a session unknown in `repo`.
    pub fn upload_size(&self, repo: &str, id: &str) -> Result<Option<u64>, StoreError> {
        let path = self.upload_path(repo, id);
        match std::fs::metadata(&path) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }

    /// Appends a chunk streamed from `body`. `range`, when the client sent a `Content-Range`
    /// (first and last byte), must start at the current size and span exactly the body; a chunk
    /// that does not is refused and leaves the session as it was. Returns the new size.
    pub async fn upload_append<S, E>(
        &self,
        repo: &str,
        id: &str,
        range: Option<(u64, u64)>,
        body: S,
    ) -> Result<u64, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let path = self.upload_path(repo, id);
        let mut file = match tokio::fs::OpenOptions::new().append(true).open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(UploadError::Unknown(id.to_owned()))
            }
            Err(e) => return Err(StoreError::io(path, e).into()),
        };
        // One writer per session: a second concurrent PATCH would interleave bytes.
        lock_session(&file, id)?;
        let mut size = file
            .metadata()
            .await
            .map_err(|e| StoreError::io(&path, e))?
            .len();
        if let Some((got, _)) = range.filter(|(first, _)| *first != size) {
            return Err(UploadError::OutOfOrder {
                id: id.to_owned(),
                expected: size,
                got,
            });
        }
        let declared = range.map(|(first, last)| (last - first).saturating_add(1));
        let before = size;
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    // tokio's File writes in the background: what came is on disk before the
                    // session is reported, or cut back.
                    file.flush().await.map_err(|e| StoreError::io(&path, e))?;
                    // A chunk with a range is all or nothing; a streamed body keeps what came,
                    // so the client can resume from the session's `Range`.
                    if declared.is_some() {
                        file.set_len(before)
                            .await
                            .map_err(|e| StoreError::io(&path, e))?;
                    }
                    return Err(UploadError::Body {
                        id: id.to_owned(),
                        message: e.to_string(),
                    });
                }
            };
            file.write_all(&chunk)
                .await
                .map_err(|e| StoreError::io(&path, e))?;
            size += chunk.len() as u64;
            // A body longer than its range is refused as soon as it is, not read to the end.
            if declared.is_some_and(|d| size - before > d) {
                break;
            }
        }
        file.flush().await.map_err(|e| StoreError::io(&path, e))?;
        if let Some(declared) = declared.filter(|d| size - before != *d) {
            file.set_len(before)
                .await
                .map_err(|e| StoreError::io(&path, e))?;
            return Err(UploadError::RangeMismatch {
                id: id.to_owned(),
                declared,
                received: size - before,
            });
        }
        Ok(size)
    }

    /// Verifies the session's content against `expected`, publishes it as that blob and links it
    /// to `repo`.
    pub async fn upload_finish(
        &self,
        repo: &str,
        id: &str,
        expected: &Digest,
    ) -> Result<u64, UploadError> {
        let store = self.clone();
        let path = self.upload_path(repo, id);
        let (id_owned, digest) = (id.to_owned(), expected.clone());
        let len =
            tokio::task::spawn_blocking(move || store.publish_upload(&path, &id_owned, &digest))
                .await
                .map_err(|e| {
                    StoreError::Corrupt(
                        self.root().to_path_buf(),
                        format!("upload task failed: {e}"),
                    )
                })??;
        // The file is complete and published; from this commit on, `repo` serves it.
        self.link_blob(repo, expected).await?;
        Ok(len)
    }

    fn publish_upload(&self, path: &Path, id: &str, expected: &Digest) -> Result<u64, UploadError> {
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(UploadError::Unknown(id.to_owned()))
            }
            Err(e) => return Err(StoreError::io(path, e).into()),
        };
        lock_session(&file, id)?;
        let mut hasher = Hasher::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = file.read(&mut buf).map_err(|e| StoreError::io(path, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let (actual, len) = hasher.finish();
        if &actual != expected {
            // The session stays: the client may retry the PUT with the right digest or cancel.
            return Err(StoreError::DigestMismatch {
                expected: expected.clone(),
                actual,
            }
            .into());
        }
        if self.has_blob(expected)? {
            // The stored file may be an orphan gc is about to take; it is linked only after this.
            self.touch_blob(expected)?;
            let _ = std::fs::remove_file(path);
            return Ok(len);
        }
        file.sync_all().map_err(|e| StoreError::io(path, e))?;
        drop(file);
        let target = self.blob_path(expected);
        let dir = target
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| self.root().to_path_buf());
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        std::fs::rename(path, &target).map_err(|e| StoreError::io(&target, e))?;
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::io(&dir, e))?;
        Ok(len)
    }

    /// Drops a session of `repo`. Returns false if it did not exist there.
    pub fn upload_cancel(&self, repo: &str, id: &str) -> Result<bool, StoreError> {
        let path = self.upload_path(repo, id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }
}

impl Store {
    /// Removes sessions untouched for `max_age` (abandoned pushes). Busy sessions are kept.
    /// Returns how many were removed.
    pub fn prune_uploads(&self, max_age: std::time::Duration) -> Result<usize, StoreError> {
        let dir = self.uploads_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(StoreError::io(dir, e)),
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= max_age);
            let Ok(file) = File::open(&path) else {
                continue;
            };
            if stale && lock_session(&file, "").is_ok() && std::fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// Takes the session's exclusive lock (released when the file closes), or reports it busy.
fn lock_session(file: &impl std::os::fd::AsFd, id: &str) -> Result<(), UploadError> {
    rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
        .map_err(|_| UploadError::Busy(id.to_owned()))
}

/// 128 unguessable bits from the OS-seeded hasher keys std uses against HashDoS.
fn random_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut parts = [0u64; 2];
    for (i, p) in parts.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_usize(i);
        *p = h.finish();
    }
    format!("{:016x}{:016x}", parts[0], parts[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn prune_removes_only_old_idle_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let old = store.upload_start("r").unwrap();
        let busy = store.upload_start("r").unwrap();
        let held = File::open(store.upload_path("r", &busy)).unwrap();
        lock_session(&held, &busy).unwrap();
        assert_eq!(
            store
                .prune_uploads(std::time::Duration::from_secs(3600))
                .unwrap(),
            0
        );
        assert_eq!(store.prune_uploads(std::time::Duration::ZERO).unwrap(), 1);
        assert_eq!(store.upload_size("r", &old).unwrap(), None);
        assert_eq!(store.upload_size("r", &busy).unwrap(), Some(0));
    }

    /// A body of chunks that fails after `good` bytes, as a stalled or cut-off client's does.
    fn failing_body(good: &[u8]) -> impl Stream<Item = Result<Bytes, String>> {
        futures_util::stream::iter([
            Ok(Bytes::copy_from_slice(good)),
            Err("client stalled".to_owned()),
        ])
    }

    #[tokio::test]
    async fn a_ranged_chunk_whose_body_fails_leaves_the_session_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let id = store.upload_start("r").unwrap();
        let ok = futures_util::stream::iter([Ok::<_, String>(Bytes::from_static(b"0123"))]);
        store
            .upload_append("r", &id, Some((0, 3)), ok)
            .await
            .unwrap();
        let err = store
            .upload_append("r", &id, Some((4, 13)), failing_body(b"45678"))
            .await
            .unwrap_err();
        assert!(matches!(err, UploadError::Body { .. }), "{err}");
        assert_eq!(store.upload_size("r", &id).unwrap(), Some(4));
        // Without a range the body is a stream: what came stays, to resume from.
        store
            .upload_append("r", &id, None, failing_body(b"45"))
            .await
            .unwrap_err();
        assert_eq!(store.upload_size("r", &id).unwrap(), Some(6));
    }

    #[tokio::test]
    async fn finishing_onto_a_stored_file_refreshes_it_for_gc() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let content = b"an orphan a refused import left";
        let digest = Digest::of_bytes(content);
        let path = store.blob_path(&digest);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(30 * 86400);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        let id = store.upload_start("r").unwrap();
        let body = futures_util::stream::iter([Ok::<_, String>(Bytes::from_static(content))]);
        store.upload_append("r", &id, None, body).await.unwrap();
        store.upload_finish("r", &id, &digest).await.unwrap();
        let age = std::fs::metadata(&path)
            .unwrap()
            .modified()
            .unwrap()
            .elapsed()
            .unwrap_or_default();
        assert!(
            age < std::time::Duration::from_secs(3600),
            "mtime is {age:?} old"
        );
    }
}
