//! The OCI documents (image manifests, indexes, artifact manifests) a bundle carries, read back
//! from the store: for the validation `verify` also runs (`format::validate`), and to learn what
//! each one refers to. Parsing is `format::document`'s, so both commands read them alike.

use std::io::Read;

use ferry_bundler::format::document::MAX_MANIFEST_SIZE;
pub use ferry_bundler::format::document::{DocumentError, OciDocument};
use ferry_bundler::format::validate::{check_documents, ValidationError};
use ferry_bundler::format::{BundleManifest, Digest};

use crate::store::{Store, StoreError};

/// What a stored manifest says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedManifest {
    pub media_type: String,
    pub artifact_type: Option<String>,
    pub subject: Option<Digest>,
    pub size: u64,
    /// Config and layers (plain blobs).
    pub blobs: Vec<Digest>,
    /// Child manifests of an index, with the media type their descriptor gives.
    pub children: Vec<(Digest, String)>,
}

/// Runs the document half of the bundle validation on the documents the import just stored.
pub fn check_bundle_documents(
    store: &Store,
    manifest: &BundleManifest,
) -> Result<(), super::ImportError> {
    check_documents(manifest, |digest| match load(store, digest) {
        Ok((doc, _)) => Ok(doc),
        // Part of the validation, as in `verify`.
        Err(super::ImportError::Document(e)) => Err(ValidationError::from(e).into()),
        Err(e) => Err(e),
    })
}

/// Reads and parses the stored document `digest`, and its size.
fn load(store: &Store, digest: &Digest) -> Result<(OciDocument, u64), super::ImportError> {
    let path = store.blob_path(digest);
    let file = std::fs::File::open(&path).map_err(|e| StoreError::io(&path, e))?;
    let size = file.metadata().map_err(|e| StoreError::io(&path, e))?.len();
    if size > MAX_MANIFEST_SIZE {
        return Err(DocumentError::TooLarge {
            digest: digest.clone(),
            size,
        }
        .into());
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_MANIFEST_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| StoreError::io(&path, e))?;
    Ok((OciDocument::parse(digest, &bytes)?, size))
}

/// Reads and parses the stored manifest `digest`. `expected_media_type` is what the referrer
/// (`referenced_by`: an artifact or a parent index) says it is; used when the document omits its
/// own.
pub fn read_manifest(
    store: &Store,
    digest: &Digest,
    expected_media_type: &str,
    referenced_by: &str,
) -> Result<ParsedManifest, super::ImportError> {
    let (doc, size) = load(store, digest)?;
    let media_type = doc.media_type_as(digest, expected_media_type, referenced_by)?;
    Ok(ParsedManifest {
        media_type,
        artifact_type: doc.artifact_type.clone(),
        subject: doc.subject.as_ref().map(|s| s.digest.clone()),
        size,
        blobs: doc.blobs().map(|d| d.digest.clone()).collect(),
        children: doc
            .children()
            .map(|(d, t)| (d.clone(), t.to_owned()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use ferry_bundler::format::layout::media;

    use super::*;

    async fn stored(bytes: &[u8]) -> (tempfile::TempDir, Store, Digest) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let digest = Digest::of_bytes(bytes);
        let mut w = store.blob_writer().unwrap();
        w.write_all(bytes).unwrap();
        w.commit(&digest, None).unwrap();
        (dir, store, digest)
    }

    const LAYER: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[tokio::test]
    async fn a_stored_manifest_yields_what_the_store_records() {
        let doc = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","artifactType":"application/x.sig",
               "config":{{"digest":"{LAYER}","size":1}},"layers":[{{"digest":"{LAYER}","size":1}}],
               "subject":{{"digest":"{LAYER}","size":1}}}}"#,
            media::OCI_MANIFEST
        );
        let (_dir, store, digest) = stored(doc.as_bytes()).await;
        let parsed = read_manifest(&store, &digest, media::OCI_MANIFEST, "test").unwrap();
        assert_eq!(parsed.media_type, media::OCI_MANIFEST);
        assert_eq!(parsed.artifact_type.as_deref(), Some("application/x.sig"));
        assert_eq!(parsed.blobs.len(), 2);
        assert_eq!(
            parsed.subject.map(|d| d.to_string()).as_deref(),
            Some(LAYER)
        );
        assert_eq!(parsed.size, doc.len() as u64);
    }

    #[tokio::test]
    async fn oversized_manifest_is_refused_unread() {
        let big = vec![b' '; MAX_MANIFEST_SIZE as usize + 1];
        let (_dir, store, digest) = stored(&big).await;
        let err = read_manifest(&store, &digest, "", "test").unwrap_err();
        assert!(
            matches!(
                err,
                super::super::ImportError::Document(DocumentError::TooLarge { .. })
            ),
            "{err}"
        );
    }
}
