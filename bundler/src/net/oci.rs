//! Just enough of the OCI/Docker manifest schemas to walk a graph of content.
//!
//! Manifests are kept as the exact bytes upstream served; these types only read them.

use serde::Deserialize;

use crate::format::layout::media;
use crate::format::Digest;

/// Largest manifest or index ferry accepts from a registry: the format's limit, so whatever is
/// fetched can be bundled.
pub const MAX_MANIFEST_SIZE: usize = crate::format::document::MAX_MANIFEST_SIZE as usize;

/// Every manifest media type ferry asks for.
pub const MANIFEST_ACCEPT: &[&str] = &[
    media::OCI_INDEX,
    media::OCI_MANIFEST,
    media::DOCKER_MANIFEST_LIST,
    media::DOCKER_MANIFEST,
];

#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("{reference}: manifest is not valid JSON: {source}")]
    Json {
        reference: String,
        source: serde_json::Error,
    },
    #[error("{reference}: manifest names invalid digest {digest:?}")]
    Digest { reference: String, digest: String },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    media_type: Option<String>,
    config: Option<RawDescriptor>,
    #[serde(default)]
    layers: Vec<RawDescriptor>,
    manifests: Option<Vec<RawDescriptor>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    media_type: String,
    digest: String,
    size: u64,
    platform: Option<RawPlatform>,
    artifact_type: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawPlatform {
    os: String,
    architecture: String,
    variant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    /// `os/arch[/variant]`, for index entries that say.
    pub platform: Option<String>,
    pub artifact_type: Option<String>,
}

/// A parsed manifest or index.
#[derive(Debug, Clone)]
pub enum Parsed {
    Index {
        media_type: String,
        manifests: Vec<Descriptor>,
    },
    Manifest {
        media_type: String,
        blobs: Vec<Descriptor>,
    },
}

impl Parsed {
    pub fn media_type(&self) -> &str {
        match self {
            Parsed::Index { media_type, .. } | Parsed::Manifest { media_type, .. } => media_type,
        }
    }
}

/// Parses manifest bytes; `reference` names them in errors.
pub fn parse(reference: &str, bytes: &[u8]) -> Result<Parsed, OciError> {
    let raw: RawManifest = serde_json::from_slice(bytes).map_err(|source| OciError::Json {
        reference: reference.to_owned(),
        source,
    })?;
    let convert = |d: RawDescriptor| -> Result<Descriptor, OciError> {
        let digest = Digest::parse(&d.digest).map_err(|_| OciError::Digest {
            reference: reference.to_owned(),
            digest: d.digest.clone(),
        })?;
        let platform = d.platform.map(|p| match p.variant {
            Some(v) if !v.is_empty() => format!("{}/{}/{v}", p.os, p.architecture),
            _ => format!("{}/{}", p.os, p.architecture),
        });
        Ok(Descriptor {
            media_type: d.media_type,
            digest,
            size: d.size,
            platform,
            artifact_type: d.artifact_type,
        })
    };
    if let Some(manifests) = raw.manifests {
        let media_type = raw
            .media_type
            .unwrap_or_else(|| media::OCI_INDEX.to_owned());
        let manifests = manifests
            .into_iter()
            .map(convert)
            .collect::<Result<_, _>>()?;
        return Ok(Parsed::Index {
            media_type,
            manifests,
        });
    }
    let media_type = raw
        .media_type
        .unwrap_or_else(|| media::OCI_MANIFEST.to_owned());
    let mut blobs = Vec::new();
    if let Some(c) = raw.config {
        blobs.push(convert(c)?);
    }
    for l in raw.layers {
        blobs.push(convert(l)?);
    }
    Ok(Parsed::Manifest { media_type, blobs })
}

/// Whether an index entry's platform is one of the wanted ones (`os/arch` matches any variant).
pub fn platform_wanted(platform: Option<&str>, wanted: &[String]) -> bool {
    if wanted.is_empty() {
        return true;
    }
    let Some(p) = platform else { return false };
    wanted
        .iter()
        .any(|w| w == p || (w.matches('/').count() == 1 && p.starts_with(&format!("{w}/"))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::not_json(b"nope".as_slice())]
    #[case::bad_digest(br#"{"layers":[{"mediaType":"x","digest":"md5:00","size":1}]}"#.as_slice())]
    #[case::upper_hex(br#"{"manifests":[{"mediaType":"x","digest":"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","size":1}]}"#.as_slice())]
    #[case::traversal(br#"{"layers":[{"mediaType":"x","digest":"sha256:../../etc/passwd","size":1}]}"#.as_slice())]
    #[case::negative_size(br#"{"layers":[{"mediaType":"x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":-1}]}"#.as_slice())]
    fn hostile_manifests_are_refused_naming_the_reference(#[case] bytes: &[u8]) {
        let err = parse("reg/x:1", bytes).unwrap_err();
        assert!(err.to_string().starts_with("reg/x:1"), "{err}");
    }

    #[test]
    fn platform_filter_matches_variants() {
        let w = vec!["linux/arm64".to_string()];
        assert!(platform_wanted(Some("linux/arm64"), &w));
        assert!(platform_wanted(Some("linux/arm64/v8"), &w));
        assert!(!platform_wanted(Some("linux/amd64"), &w));
        assert!(!platform_wanted(None, &w));
        assert!(platform_wanted(None, &[]));
    }
}
