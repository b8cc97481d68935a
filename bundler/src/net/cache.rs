//! The local content-addressed blob cache: `<root>/blobs/sha256/<hex>`.
//!
//! A blob enters only through [`TempBlob::commit`], which checks size and sha256 of what was
//! written and renames it into place; on any failure the temp file is deleted, so the
//! cache never shows a half-written or wrong blob. Temp files are `tmp/<pid>-<n>.part`, locked
//! by their writer; opening the cache removes those of runs that were killed (see
//! `writer::temp_files`), and a signal handler removes this process's own.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::format::{Digest, Hasher};
use crate::writer::temp_files::{self, remove_stale};

/// The pid in a temp file's name, `<pid>-<n>.part`.
fn temp_owner(name: &str) -> Option<Option<u32>> {
    let stem = name.strip_suffix(".part")?;
    Some(stem.split('-').next().and_then(|p| p.parse().ok()))
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("blob cache {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{reference}: blob {expected} does not match its digest: got {actual} ({size} bytes); refused")]
    DigestMismatch {
        reference: String,
        expected: Digest,
        actual: Digest,
        size: u64,
    },
    #[error(
        "{reference}: blob {digest} should be {expected} bytes but upstream sent {actual}; refused"
    )]
    SizeMismatch {
        reference: String,
        digest: Digest,
        expected: u64,
        actual: u64,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_owned(),
        source,
    }
}

#[derive(Debug, Clone)]
pub struct BlobCache {
    root: PathBuf,
    /// Blobs this process committed itself, hashed on the way in (shared by every instance
    /// this process opened on the same root).
    committed_here: Arc<Mutex<HashSet<Digest>>>,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The committed set of the cache at `root`, shared by every `BlobCache` this process opens there
/// (`lock` and `build` each open the cache; what one committed the other did not find there).
fn committed_set(root: &Path) -> Arc<Mutex<HashSet<Digest>>> {
    static SETS: Mutex<BTreeMap<PathBuf, Arc<Mutex<HashSet<Digest>>>>> =
        Mutex::new(BTreeMap::new());
    let key = fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
    SETS.lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_default()
        .clone()
}

impl BlobCache {
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, CacheError> {
        let root = root.into();
        for dir in [root.join("blobs/sha256"), root.join("tmp")] {
            fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        }
        let cache = Self {
            committed_here: committed_set(&root),
            root,
        };
        let stale = remove_stale(&cache.tmp_dir(), temp_owner);
        if !stale.is_empty() {
            tracing::info!(cache = %cache.root.display(), files = stale.len(), "removed partial downloads of interrupted runs");
        }
        Ok(cache)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/blobs/sha256`: files named by hex digest (what `DirBlobSource` reads).
    pub fn blob_dir(&self) -> PathBuf {
        self.root.join("blobs/sha256")
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    pub fn path(&self, digest: &Digest) -> PathBuf {
        self.blob_dir().join(digest.hex())
    }

    /// Whether the blob is cached with the expected size (content was checked on the way in).
    pub fn has(&self, digest: &Digest, size: u64) -> bool {
        fs::metadata(self.path(digest)).is_ok_and(|m| m.is_file() && m.len() == size)
    }

    /// Whether this process put `digest` into the cache itself, through [`TempBlob::commit`]'s
    /// check, rather than finding it there from an earlier run.
    pub fn committed_here(&self, digest: &Digest) -> bool {
        self.committed().contains(digest)
    }

    fn committed(&self) -> std::sync::MutexGuard<'_, HashSet<Digest>> {
        // A set of digests is whole after every insert: a panic elsewhere cannot leave it torn.
        self.committed_here
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn open_blob(&self, digest: &Digest) -> io::Result<File> {
        let path = self.path(digest);
        File::open(&path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    }

    /// Reads a cached blob of at most `max` bytes (manifests, configs).
    pub fn read_small(&self, digest: &Digest, max: u64) -> Result<Vec<u8>, CacheError> {
        let path = self.path(digest);
        let len = fs::metadata(&path).map_err(io_err(&path))?.len();
        if len > max {
            return Err(CacheError::Io {
                path,
                source: io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{len} bytes is more than {max}"),
                ),
            });
        }
        fs::read(&path).map_err(io_err(&path))
    }

    /// Stores small in-memory bytes that must have digest `expected`.
    pub fn put_bytes(
        &self,
        reference: &str,
        expected: &Digest,
        bytes: &[u8],
    ) -> Result<(), CacheError> {
        if self.has(expected, bytes.len() as u64) {
            return Ok(());
        }
        let mut tmp = self.temp()?;
        tmp.write(bytes)?;
        tmp.commit(reference, expected, Some(bytes.len() as u64))
    }

    /// A new temp file inside the cache (same filesystem, so the final rename is atomic).
    pub fn temp(&self) -> Result<TempBlob, CacheError> {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = self
            .tmp_dir()
            .join(format!("{}-{n}.part", std::process::id()));
        let file = temp_files::create(&path, 0o644).map_err(io_err(&path))?;
        Ok(TempBlob {
            cache: self.clone(),
            path,
            // Network chunks are a few KiB: one write call per chunk would cost more than the copy.
            file: Some(BufWriter::with_capacity(256 * 1024, file)),
            hasher: Hasher::new(),
        })
    }
}

/// The bundle writer reads blobs straight from the cache (it re-hashes what it reads).
impl crate::writer::BlobSource for BlobCache {
    fn open(&self, digest: &Digest) -> io::Result<Box<dyn io::Read + '_>> {
        Ok(Box::new(io::BufReader::with_capacity(
            256 * 1024,
            self.open_blob(digest)?,
        )))
    }
}

/// A blob being written: hashed as it goes, deleted unless committed.
pub struct TempBlob {
    cache: BlobCache,
    path: PathBuf,
    file: Option<BufWriter<File>>,
    hasher: Hasher,
}

impl TempBlob {
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), CacheError> {
        let file = self.file.as_mut().ok_or_else(|| CacheError::Io {
            path: self.path.clone(),
            source: io::Error::other("temp blob already closed"),
        })?;
        file.write_all(bytes).map_err(io_err(&self.path))?;
        self.hasher.update(bytes);
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.hasher.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hasher.is_empty()
    }

    /// Digest and size so far.
    pub fn digest(&self) -> (Digest, u64) {
        self.hasher.clone().finish()
    }

    /// Checks the content against `expected` (and `size` if known), then moves it into place.
    pub fn commit(
        mut self,
        reference: &str,
        expected: &Digest,
        size: Option<u64>,
    ) -> Result<(), CacheError> {
        let (actual, len) = self.hasher.clone().finish();
        if let Some(size) = size.filter(|s| *s != len) {
            return Err(CacheError::SizeMismatch {
                reference: reference.to_owned(),
                digest: expected.clone(),
                expected: size,
                actual: len,
            });
        }
        if &actual != expected {
            return Err(CacheError::DigestMismatch {
                reference: reference.to_owned(),
                expected: expected.clone(),
                actual,
                size: len,
            });
        }
        // No fsync: the cache is re-creatable, and a blob left by an earlier process (a crashed
        // one included) is re-hashed on its way into a bundle, so a damaged one is refused there. Syncing 2 GB
        // of layers here would cost as much disk time as writing the bundle itself.
        // The file stays open (and locked) until it is renamed: an unlocked temp file is stale.
        let _file = match self.file.take() {
            Some(file) => Some(
                file.into_inner()
                    .map_err(|e| io_err(&self.path)(e.into_error()))?,
            ),
            None => None,
        };
        let dest = self.cache.path(expected);
        fs::rename(&self.path, &dest).map_err(io_err(&dest))?;
        self.cache.committed().insert(expected.clone());
        Ok(())
    }
}

impl Drop for TempBlob {
    fn drop(&mut self) {
        // into_parts, not drop: a dropped BufWriter would flush bytes into a file about to go.
        let _ = self.file.take().map(BufWriter::into_parts);
        // Committed blobs were renamed away; anything else is removed.
        let _ = fs::remove_file(&self.path);
        temp_files::forget(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_wrong_bytes_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::open(dir.path()).unwrap();
        let good = Digest::of_bytes(b"good");
        let err = cache.put_bytes("reg/x:1", &good, b"evil").unwrap_err();
        assert!(err.to_string().contains(&good.to_string()), "{err}");
        assert!(!cache.path(&good).exists());
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        cache.put_bytes("reg/x:1", &good, b"good").unwrap();
        assert!(cache.has(&good, 4));
        assert!(!cache.has(&good, 5));
    }

    #[test]
    fn opening_removes_temp_files_of_dead_runs_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::open(dir.path()).unwrap();
        let writing = cache.temp().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = dir.path().join(format!("tmp/{dead}-7.part"));
        fs::write(&stale, b"half a layer").unwrap();
        BlobCache::open(dir.path()).unwrap();
        assert!(!stale.exists(), "a dead run's temp file is removed");
        assert!(writing.path.exists(), "a live one is kept");
    }
}
