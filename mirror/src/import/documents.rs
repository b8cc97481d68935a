//! Reading the OCI documents (image manifests, indexes, artifact manifests) a bundle carries, to
//! learn what each one refers to.

use std::io::Read;

use ferry_bundler::format::layout::media;
use ferry_bundler::format::Digest;
use serde::Deserialize;

use crate::store::{Store, StoreError};

/// Largest manifest accepted: the registry's limit, so anything imported can also be served.
pub const MAX_MANIFEST_SIZE: u64 = crate::store::MAX_MANIFEST_SIZE as u64;

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("manifest {digest} is {size} bytes, more than the {MAX_MANIFEST_SIZE} bytes a manifest may have")]
    TooLarge { digest: Digest, size: u64 },
    #[error("manifest {digest} is not a valid OCI manifest or index: {source}")]
    Parse {
        digest: Digest,
        #[source]
        source: serde_json::Error,
    },
    #[error("manifest {digest} has media type {found:?} but is referenced as {expected:?}")]
    MediaTypeMismatch {
        digest: Digest,
        expected: String,
        found: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: Option<String>,
    digest: Digest,
}

/// The fields of an image manifest, index or artifact manifest that the store records.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDocument {
    media_type: Option<String>,
    artifact_type: Option<String>,
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
    subject: Option<Descriptor>,
}

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

/// Reads and parses the stored manifest `digest`. `expected_media_type` is what the referrer
/// (bundle manifest or parent index) says it is; used when the document omits its own.
pub fn read_manifest(
    store: &Store,
    digest: &Digest,
    expected_media_type: &str,
) -> Result<ParsedManifest, super::ImportError> {
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
    let raw: RawDocument =
        serde_json::from_slice(&bytes).map_err(|source| DocumentError::Parse {
            digest: digest.clone(),
            source,
        })?;
    let media_type = match raw.media_type {
        Some(found) if !expected_media_type.is_empty() && found != expected_media_type => {
            return Err(DocumentError::MediaTypeMismatch {
                digest: digest.clone(),
                expected: expected_media_type.to_owned(),
                found,
            }
            .into())
        }
        Some(found) => found,
        None if !raw.manifests.is_empty() => media::OCI_INDEX.to_owned(),
        None if expected_media_type.is_empty() => media::OCI_MANIFEST.to_owned(),
        None => expected_media_type.to_owned(),
    };
    let blobs = raw
        .config
        .into_iter()
        .chain(raw.layers)
        .map(|d| d.digest)
        .collect();
    let children = raw
        .manifests
        .into_iter()
        .map(|d| {
            (
                d.digest,
                d.media_type
                    .unwrap_or_else(|| media::OCI_MANIFEST.to_owned()),
            )
        })
        .collect();
    Ok(ParsedManifest {
        media_type,
        artifact_type: raw.artifact_type,
        subject: raw.subject.map(|s| s.digest),
        size,
        blobs,
        children,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use rstest::rstest;

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
    async fn image_manifest_yields_config_layers_and_subject() {
        let doc = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","artifactType":"application/x.sig",
               "config":{{"digest":"{LAYER}","size":1}},"layers":[{{"digest":"{LAYER}","size":1}}],
               "subject":{{"digest":"{LAYER}","size":1}}}}"#,
            media::OCI_MANIFEST
        );
        let (_dir, store, digest) = stored(doc.as_bytes()).await;
        let parsed = read_manifest(&store, &digest, media::OCI_MANIFEST).unwrap();
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
    async fn index_without_media_type_is_recognised_by_its_children() {
        let doc = format!(r#"{{"schemaVersion":2,"manifests":[{{"digest":"{LAYER}","size":1}}]}}"#);
        let (_dir, store, digest) = stored(doc.as_bytes()).await;
        let parsed = read_manifest(&store, &digest, "").unwrap();
        assert_eq!(parsed.media_type, media::OCI_INDEX);
        assert_eq!(
            parsed.children,
            [(
                Digest::parse(LAYER).unwrap(),
                media::OCI_MANIFEST.to_owned()
            )]
        );
    }

    #[rstest]
    #[case::not_json("not json at all", "not a valid OCI manifest")]
    #[case::md5_layer(
        r#"{"layers":[{"digest":"md5:d41d8cd98f00b204e9800998ecf8427e"}]}"#,
        "not supported"
    )]
    #[case::traversal_digest(
        r#"{"manifests":[{"digest":"sha256:../../../etc/passwd"}]}"#,
        "is not of the form"
    )]
    #[case::upper_case_digest(
        r#"{"config":{"digest":"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}"#,
        "is not of the form"
    )]
    #[case::media_type_mismatch(
        r#"{"mediaType":"application/vnd.oci.image.index.v1+json"}"#,
        "referenced as"
    )]
    #[tokio::test]
    async fn hostile_documents_are_refused(#[case] doc: &str, #[case] message: &str) {
        let (_dir, store, digest) = stored(doc.as_bytes()).await;
        let err = read_manifest(&store, &digest, media::OCI_MANIFEST).unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
        assert!(
            err.to_string().contains(&digest.to_string()),
            "error must name the manifest: {err}"
        );
    }

    #[tokio::test]
    async fn oversized_manifest_is_refused_unread() {
        let big = vec![b' '; MAX_MANIFEST_SIZE as usize + 1];
        let (_dir, store, digest) = stored(&big).await;
        let err = read_manifest(&store, &digest, "").unwrap_err();
        assert!(
            matches!(
                err,
                super::super::ImportError::Document(DocumentError::TooLarge { .. })
            ),
            "{err}"
        );
    }
}
