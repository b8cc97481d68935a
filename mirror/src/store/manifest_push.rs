//! A pushed manifest: parsed, checked against the repository it is pushed into, and recorded.
//!
//! As distribution does, a manifest is accepted only if everything it needs is already in that
//! repository: every config and layer a blob linked to it with exactly the declared size, every
//! child of an index a manifest of it with the declared size. A subject may be absent (the
//! referrers spec lets referrers arrive first). Import records sparse indexes through its own
//! path (`import::record`); a push cannot.

use ferry_bundler::format::document::{Descriptor, OciDocument};
use ferry_bundler::format::layout::media;
use ferry_bundler::format::Digest;

use super::{put_manifest_in, set_tag_in, Store, StoreError};

/// Why a pushed manifest was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestPushError {
    #[error("manifest is invalid: {0}")]
    Invalid(String),
    #[error("manifest references {0}, which is not in this repository")]
    BlobUnknown(Digest),
    #[error("manifest declares {digest} as {declared} bytes; this repository's copy has {actual}")]
    SizeMismatch {
        digest: Digest,
        declared: u64,
        actual: u64,
    },
    #[error("manifest digest is {actual}, not the {expected} given as reference")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a pushed manifest turned out to be.
#[derive(Debug, Clone)]
pub struct PushedManifest {
    pub digest: Digest,
    pub subject: Option<Digest>,
}

/// A descriptor's digest and declared size.
type Sized = (Digest, u64);

/// What was learnt from parsing a manifest or index.
struct ParsedManifest {
    media_type: String,
    artifact_type: Option<String>,
    subject: Option<Digest>,
    /// A manifest's config and layers: blobs of the repository.
    blobs: Vec<Sized>,
    /// An index's children: manifests of the repository.
    children: Vec<Sized>,
}

impl Store {
    /// Validates and records a pushed manifest: its bytes become a blob, its references rows, and
    /// `tag` (when given) points at it. `reference_digest` is the digest the client pushed by.
    pub async fn push_manifest(
        &self,
        repo: &str,
        tag: Option<&str>,
        reference_digest: Option<&Digest>,
        content_type: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<PushedManifest, ManifestPushError> {
        let digest = Digest::of_bytes(&bytes);
        if let Some(expected) = reference_digest.filter(|d| **d != digest) {
            return Err(ManifestPushError::DigestMismatch {
                expected: expected.clone(),
                actual: digest,
            });
        }
        let parsed = parse_manifest(&digest, &bytes, content_type)?;
        self.check_references(repo, &parsed).await?;
        let size = bytes.len() as u64;
        let store = self.clone();
        let d = digest.clone();
        tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
            use std::io::Write;
            let mut w = store.blob_writer()?;
            w.write_all(&bytes)
                .map_err(|e| StoreError::io(store.tmp_dir(), e))?;
            w.commit(&d, Some(size))?;
            Ok(())
        })
        .await
        .map_err(|e| {
            StoreError::Corrupt(
                self.root().to_path_buf(),
                format!("blob write task failed: {e}"),
            )
        })??;
        self.record_manifest(repo, &digest, &parsed, size, tag)
            .await?;
        Ok(PushedManifest {
            digest,
            subject: parsed.subject,
        })
    }

    /// Every config and layer is a blob of `repo` of the declared size; every child of an index
    /// a manifest of `repo` of the declared size.
    async fn check_references(
        &self,
        repo: &str,
        parsed: &ParsedManifest,
    ) -> Result<(), ManifestPushError> {
        let mismatch = |digest: &Digest, declared: u64, actual: u64| {
            (declared != actual).then(|| ManifestPushError::SizeMismatch {
                digest: digest.clone(),
                declared,
                actual,
            })
        };
        for (blob, declared) in &parsed.blobs {
            let actual = match self.blob_linked(repo, blob).await? {
                true => self.blob_size(blob)?,
                false => None,
            };
            let actual = actual.ok_or_else(|| ManifestPushError::BlobUnknown(blob.clone()))?;
            if let Some(e) = mismatch(blob, *declared, actual) {
                return Err(e);
            }
        }
        for (child, declared) in &parsed.children {
            let record = self
                .manifest_record(repo, child)
                .await?
                .ok_or_else(|| ManifestPushError::BlobUnknown(child.clone()))?;
            if let Some(e) = mismatch(child, *declared, record.size) {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Records the manifest rows and the tag in one transaction, through the same functions
    /// import uses, so pushed and imported content look alike.
    async fn record_manifest(
        &self,
        repo: &str,
        digest: &Digest,
        parsed: &ParsedManifest,
        size: u64,
        tag: Option<&str>,
    ) -> Result<(), StoreError> {
        // Checked above: everything referred to is present.
        let refs: Vec<(Digest, bool)> = parsed
            .blobs
            .iter()
            .chain(&parsed.children)
            .map(|(d, _)| (d.clone(), true))
            .collect();
        let mut tx = self.begin().await?;
        put_manifest_in(
            &mut tx,
            repo,
            digest,
            &parsed.media_type,
            size,
            parsed.artifact_type.as_deref(),
            parsed.subject.as_ref(),
            &refs,
        )
        .await?;
        if let Some(tag) = tag {
            set_tag_in(&mut tx, repo, tag, digest).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Checks a manifest or index document and extracts what the store records about it. The
/// document is read by the format's one parser (as `verify` and `import` read it); a push adds
/// distribution's rules: schema version 2, a media type stated or sent, and every size stated.
fn parse_manifest(
    digest: &Digest,
    bytes: &[u8],
    content_type: Option<&str>,
) -> Result<ParsedManifest, ManifestPushError> {
    let invalid = |m: String| ManifestPushError::Invalid(m);
    let doc = OciDocument::parse(digest, bytes).map_err(|e| invalid(e.to_string()))?;
    if doc.schema_version != Some(2) {
        return Err(invalid("schemaVersion must be 2".into()));
    }
    let content_type = content_type
        .map(|c| c.split(';').next().unwrap_or(c).trim())
        .filter(|c| !c.is_empty());
    let media_type = match (doc.media_type.as_deref(), content_type) {
        (Some(d), Some(c)) if d != c => {
            return Err(invalid(format!(
                "mediaType {d:?} differs from content type {c:?}"
            )))
        }
        (Some(d), _) => d.to_owned(),
        (None, Some(c)) => c.to_owned(),
        (None, None) => return Err(invalid("no mediaType and no content type".into())),
    };
    let sized = |d: &Descriptor, what: &str| {
        d.size
            .map(|size| (d.digest.clone(), size))
            .ok_or_else(|| invalid(format!("{what} {} has no size", d.digest)))
    };
    let mut parsed = ParsedManifest {
        artifact_type: doc.artifact_type.clone(),
        subject: doc.subject.as_ref().map(|s| s.digest.clone()),
        media_type,
        blobs: Vec::new(),
        children: Vec::new(),
    };
    match parsed.media_type.as_str() {
        media::OCI_INDEX | media::DOCKER_MANIFEST_LIST => {
            for c in &doc.manifests {
                parsed.children.push(sized(c, "index entry")?);
            }
        }
        media::OCI_MANIFEST | media::DOCKER_MANIFEST => {
            let config = doc
                .config
                .as_ref()
                .ok_or_else(|| invalid("manifest without config".into()))?;
            parsed.blobs.push(sized(config, "config")?);
            if parsed.artifact_type.is_none() {
                parsed.artifact_type = config.media_type.clone();
            }
            for l in &doc.layers {
                parsed.blobs.push(sized(l, "layer")?);
            }
        }
        other => {
            return Err(invalid(format!(
                "media type {other:?} is not a supported manifest type"
            )))
        }
    }
    Ok(parsed)
}
