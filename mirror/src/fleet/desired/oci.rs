//! The OCI documents of a desired-state artifact, in the shape `flux push artifact` gives them:
//! an image manifest with a Flux config and one Flux content layer.
//!
//! Unlike `flux push`, no `org.opencontainers.image.created` annotation: a time would make
//! equal content differ in digest. The revision annotation names the profile versions.

use ferry_bundler::format::layout::media;
use ferry_bundler::format::Digest;
use serde_json::json;

pub const FLUX_CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.flux.config.v1+json";
pub const FLUX_CONTENT_MEDIA_TYPE: &str = "application/vnd.cncf.flux.content.v1.tar+gzip";
/// The config blob's content, as `flux push` writes it.
pub const FLUX_CONFIG_CONTENT: &[u8] = b"{}";
pub const SOURCE_ANNOTATION: &str = "org.opencontainers.image.source";
pub const REVISION_ANNOTATION: &str = "org.opencontainers.image.revision";
/// What the source annotation says: the appliance's fleet published it.
pub const SOURCE: &str = "ferry fleet";

/// The artifact's manifest bytes (compact JSON, keys sorted).
pub fn artifact_manifest(
    config: (&Digest, usize),
    layer: (&Digest, usize),
    revision: &str,
) -> Vec<u8> {
    let doc = json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": {
            "mediaType": FLUX_CONFIG_MEDIA_TYPE,
            "digest": config.0.to_string(),
            "size": config.1,
        },
        "layers": [{
            "mediaType": FLUX_CONTENT_MEDIA_TYPE,
            "digest": layer.0.to_string(),
            "size": layer.1,
        }],
        "annotations": {
            SOURCE_ANNOTATION: SOURCE,
            REVISION_ANNOTATION: revision,
        },
    });
    serde_json::to_vec(&doc).expect("manifest serialises")
}
