//! Walking the blob files on disk, one at a time (the store may hold millions).

use std::path::{Path, PathBuf};

use ferry_bundler::format::Digest;

use super::{Store, StoreError};

/// A file under `blobs/sha256/`: a blob if its place and name are a digest, else a stray file.
pub(super) enum BlobFile {
    Blob { digest: Digest, path: PathBuf },
    Stray(PathBuf),
}

/// Calls `visit` for every file under `blobs/sha256/`.
pub(super) fn for_each_blob_file(
    store: &Store,
    mut visit: impl FnMut(BlobFile) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let root = store.root().join("blobs/sha256");
    for shard in read_dir_sorted(&root)? {
        if !shard.is_dir() {
            visit(BlobFile::Stray(shard))?;
            continue;
        }
        let prefix = file_name(&shard);
        for path in read_dir_sorted(&shard)? {
            let name = file_name(&path);
            match Digest::from_hex(&name) {
                Ok(digest) if path.is_file() && name.starts_with(&prefix) && prefix.len() == 2 => {
                    visit(BlobFile::Blob { digest, path })?
                }
                _ => visit(BlobFile::Stray(path))?,
            }
        }
    }
    Ok(())
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))? {
        paths.push(entry.map_err(|e| StoreError::io(dir, e))?.path());
    }
    paths.sort();
    Ok(paths)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
