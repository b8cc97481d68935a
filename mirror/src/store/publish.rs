//! Content the appliance makes itself (the fleet's desired-state artifacts and their
//! signatures) written into the store: bytes in hand become verified blobs, then the caller
//! records manifests and tags in one [`super::StoreTx`] through `put_manifest_in`/`set_tag_in`.

use std::io::Write;

use ferry_bundler::format::Digest;

use super::{Store, StoreError};

impl Store {
    /// Stores `bytes` as a blob (staged, hashed, checked against their digest, synced, renamed)
    /// and returns the digest. A blob that exists already is left as it is.
    pub async fn write_blob_bytes(&self, bytes: Vec<u8>) -> Result<Digest, StoreError> {
        let digest = Digest::of_bytes(&bytes);
        let store = self.clone();
        let expected = digest.clone();
        tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
            if store.has_blob(&expected)? {
                // Keep a concurrent gc from taking it before the caller's commit links it.
                return store.touch_blob(&expected);
            }
            let mut w = store.blob_writer()?;
            w.write_all(&bytes)
                .map_err(|e| StoreError::io(store.tmp_dir(), e))?;
            w.commit(&expected, Some(bytes.len() as u64))?;
            Ok(())
        })
        .await
        .map_err(|e| {
            StoreError::Corrupt(
                self.root().to_path_buf(),
                format!("blob write task failed: {e}"),
            )
        })??;
        Ok(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bytes_become_a_blob_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let d = store.write_blob_bytes(b"desired".to_vec()).await.unwrap();
        assert_eq!(d, Digest::of_bytes(b"desired"));
        assert_eq!(std::fs::read(store.blob_path(&d)).unwrap(), b"desired");
        assert_eq!(
            store.write_blob_bytes(b"desired".to_vec()).await.unwrap(),
            d
        );
    }
}
