//! The OCI documents a bundle carries (image manifests, indexes, artifact manifests), read for
//! what each one says about itself and what it refers to. `verify` parses them as they stream
//! by, `import` from the store; both through [`OciDocument::parse`].

use serde::Deserialize;

use super::digest::Digest;
use super::layout::media;

/// Largest manifest or index accepted anywhere: fetched, bundled, imported, pushed or served (the
/// net client and the mirror's store take their limits from this one).
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;

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
    #[error("manifest {digest} has media type {found:?} but {referenced_by} references it as {expected:?}")]
    MediaTypeMismatch {
        digest: Digest,
        referenced_by: String,
        expected: String,
        found: String,
    },
}

/// A reference from a document to a blob or a child manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: Option<String>,
    pub digest: Digest,
    /// Absent in some old documents; a negative or fractional size is not a document.
    pub size: Option<u64>,
}

/// The fields of an image manifest, index or artifact manifest that ferry reads; the rest of the
/// document is kept as bytes, never re-encoded.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciDocument {
    /// 2 for every OCI and Docker v2 document; checked where a document is pushed.
    pub schema_version: Option<u64>,
    /// The document's own `mediaType`, if it states one.
    pub media_type: Option<String>,
    pub artifact_type: Option<String>,
    pub config: Option<Descriptor>,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// An index's children.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    pub subject: Option<Descriptor>,
}

impl OciDocument {
    /// Parses the document `digest`, whose bytes are `bytes` (already checked against it).
    pub fn parse(digest: &Digest, bytes: &[u8]) -> Result<Self, DocumentError> {
        if bytes.len() as u64 > MAX_MANIFEST_SIZE {
            return Err(DocumentError::TooLarge {
                digest: digest.clone(),
                size: bytes.len() as u64,
            });
        }
        serde_json::from_slice(bytes).map_err(|source| DocumentError::Parse {
            digest: digest.clone(),
            source,
        })
    }

    /// The media type the document `digest` is served with. `expected` is what its referrer
    /// (`referenced_by`: an artifact or a parent index) says, used when the document omits its
    /// own; a document that states another is refused.
    pub fn media_type_as(
        &self,
        digest: &Digest,
        expected: &str,
        referenced_by: &str,
    ) -> Result<String, DocumentError> {
        Ok(match &self.media_type {
            Some(found) if !expected.is_empty() && found != expected => {
                return Err(DocumentError::MediaTypeMismatch {
                    digest: digest.clone(),
                    referenced_by: referenced_by.to_owned(),
                    expected: expected.to_owned(),
                    found: found.clone(),
                })
            }
            Some(found) => found.clone(),
            None if !self.manifests.is_empty() => media::OCI_INDEX.to_owned(),
            None if expected.is_empty() => media::OCI_MANIFEST.to_owned(),
            None => expected.to_owned(),
        })
    }

    /// Config and layers: the plain blobs the document refers to.
    pub fn blobs(&self) -> impl Iterator<Item = &Descriptor> {
        self.config.iter().chain(&self.layers)
    }

    /// An index's children, with the media type each is referenced as.
    pub fn children(&self) -> impl Iterator<Item = (&Digest, &str)> {
        self.manifests.iter().map(|d| {
            (
                &d.digest,
                d.media_type.as_deref().unwrap_or(media::OCI_MANIFEST),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const LAYER: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn parse(doc: &str) -> (Digest, Result<OciDocument, DocumentError>) {
        let digest = Digest::of_bytes(doc.as_bytes());
        let parsed = OciDocument::parse(&digest, doc.as_bytes());
        (digest, parsed)
    }

    #[test]
    fn image_manifest_yields_config_layers_and_subject() {
        let doc = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","artifactType":"application/x.sig",
               "config":{{"digest":"{LAYER}","size":1}},"layers":[{{"digest":"{LAYER}","size":1}}],
               "subject":{{"digest":"{LAYER}","size":1}}}}"#,
            media::OCI_MANIFEST
        );
        let (digest, parsed) = parse(&doc);
        let parsed = parsed.unwrap();
        let media_type = parsed.media_type_as(&digest, media::OCI_MANIFEST, "artifact x");
        assert_eq!(media_type.unwrap(), media::OCI_MANIFEST);
        assert_eq!(parsed.artifact_type.as_deref(), Some("application/x.sig"));
        assert_eq!(parsed.blobs().count(), 2);
        assert_eq!(parsed.subject.unwrap().digest.to_string(), LAYER);
    }

    #[test]
    fn index_without_media_type_is_recognised_by_its_children() {
        let (digest, parsed) = parse(&format!(
            r#"{{"schemaVersion":2,"manifests":[{{"digest":"{LAYER}","size":1}}]}}"#
        ));
        let parsed = parsed.unwrap();
        assert_eq!(
            parsed.media_type_as(&digest, "", "x").unwrap(),
            media::OCI_INDEX
        );
        let children: Vec<_> = parsed.children().collect();
        assert_eq!(
            children,
            [(&Digest::parse(LAYER).unwrap(), media::OCI_MANIFEST)]
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
    #[case::negative_size(
        r#"{"layers":[{"digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":-1}]}"#,
        "invalid value"
    )]
    fn hostile_documents_are_refused(#[case] doc: &str, #[case] message: &str) {
        let (digest, parsed) = parse(doc);
        let err = parsed.unwrap_err().to_string();
        assert!(err.contains(message), "{err}");
        assert!(
            err.contains(&digest.to_string()),
            "must name the manifest: {err}"
        );
    }

    #[test]
    fn a_media_type_other_than_the_referrer_says_is_refused() {
        let (digest, parsed) = parse(r#"{"mediaType":"application/vnd.oci.image.index.v1+json"}"#);
        let err = parsed
            .unwrap()
            .media_type_as(&digest, media::OCI_MANIFEST, "artifact docker.io/x:1")
            .unwrap_err()
            .to_string();
        assert!(err.contains(&digest.to_string()), "{err}");
        assert!(
            err.contains("artifact docker.io/x:1 references it as"),
            "{err}"
        );
    }

    #[test]
    fn oversized_manifest_is_refused_unparsed() {
        let big = vec![b' '; MAX_MANIFEST_SIZE as usize + 1];
        let err = OciDocument::parse(&Digest::of_bytes(&big), &big).unwrap_err();
        assert!(matches!(err, DocumentError::TooLarge { .. }), "{err}");
    }
}
