//! Cosign-style signatures of an artifact, as `cosign sign --key` stores them, so that Flux's
//! `verify: {provider: cosign, secretRef}` with the appliance's public key accepts the artifact
//! offline.
//!
//! The signed bytes are a simple-signing payload naming the artifact's digest; the signature is
//! ECDSA P-256 over their sha256 (DER, base64 in the layer's `dev.cosignproject.cosign/signature`
//! annotation). The payload is the one layer of a manifest tagged `sha256-<hex>.sig` in the
//! artifact's repository, which is where cosign's key-based verification (and so Flux's) looks.
//! The same manifest, with the artifact as `subject` and the cosign signature artifact type, is
//! also stored as an OCI 1.1 referrer (cosign's `--experimental-oci11` layout) for tools that
//! discover signatures through the referrers API. Both are deterministic: RFC 6979 signatures
//! and no timestamps.

use base64::Engine as _;
use ferry_bundler::format::layout::media;
use ferry_bundler::format::Digest;
use ferry_bundler::sign::{SignError, SigningKey};
use serde_json::json;

pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
pub const SIGNATURE_ARTIFACT_TYPE: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
const IMAGE_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";

/// Everything a signature adds to the repository.
#[derive(Debug, Clone)]
pub struct Signature {
    /// The simple-signing payload (the signed bytes), the `.sig` manifest's one layer.
    pub payload: Vec<u8>,
    pub payload_digest: Digest,
    /// The DER signature over `payload`.
    pub signature_der: Vec<u8>,
    /// The image config go-containerregistry writes for a signature image.
    pub config: Vec<u8>,
    pub config_digest: Digest,
    /// Tagged [`Signature::tag`].
    pub manifest: Vec<u8>,
    pub manifest_digest: Digest,
    /// The referrer: `subject` = the artifact.
    pub referrer: Vec<u8>,
    pub referrer_digest: Digest,
    /// `sha256-<hex>.sig`.
    pub tag: String,
}

/// cosign's tag for the signatures of `digest`.
pub fn signature_tag(digest: &Digest) -> String {
    format!("sha256-{}.sig", digest.hex())
}

/// The simple-signing payload, byte for byte as cosign writes it.
pub fn payload(docker_reference: &str, digest: &Digest) -> Vec<u8> {
    // Field order matters to no verifier (they parse it), but cosign's is kept for recognisability.
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":{}}},"image":{{"docker-manifest-digest":{}}},"type":"cosign container image signature"}},"optional":null}}"#,
        serde_json::Value::String(docker_reference.to_owned()),
        serde_json::Value::String(digest.to_string()),
    )
    .into_bytes()
}

/// Signs the artifact `digest` (a manifest of `manifest_size` bytes) for `docker_reference`
/// (`<mirror_host>/fleet/<cluster>`, the repository as the cluster pulls it).
pub fn sign(
    key: &SigningKey,
    docker_reference: &str,
    digest: &Digest,
    manifest_size: usize,
) -> Result<Signature, SignError> {
    let payload = payload(docker_reference, digest);
    let payload_digest = Digest::of_bytes(&payload);
    let signature_der = key.sign_bytes(&payload)?;
    let signature_b64 = base64::engine::general_purpose::STANDARD.encode(&signature_der);
    let config = serde_json::to_vec(&json!({
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [payload_digest.to_string()]},
        "config": {},
    }))
    .expect("config serialises");
    let config_digest = Digest::of_bytes(&config);
    let layers = json!([{
        "mediaType": SIMPLE_SIGNING_MEDIA_TYPE,
        "digest": payload_digest.to_string(),
        "size": payload.len(),
        "annotations": {SIGNATURE_ANNOTATION: signature_b64},
    }]);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": {
            "mediaType": IMAGE_CONFIG_MEDIA_TYPE,
            "digest": config_digest.to_string(),
            "size": config.len(),
        },
        "layers": layers,
    }))
    .expect("manifest serialises");
    // As cosign's OCI 1.1 mode writes it: the config's media type is the artifact type.
    let referrer = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "artifactType": SIGNATURE_ARTIFACT_TYPE,
        "config": {
            "mediaType": SIGNATURE_ARTIFACT_TYPE,
            "digest": config_digest.to_string(),
            "size": config.len(),
        },
        "layers": layers,
        "subject": {
            "mediaType": media::OCI_MANIFEST,
            "digest": digest.to_string(),
            "size": manifest_size,
        },
    }))
    .expect("referrer serialises");
    Ok(Signature {
        payload_digest,
        signature_der,
        config_digest,
        manifest_digest: Digest::of_bytes(&manifest),
        referrer_digest: Digest::of_bytes(&referrer),
        tag: signature_tag(digest),
        payload,
        config,
        manifest,
        referrer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_is_cosigns_simple_signing_document() {
        let d = Digest::of_bytes(b"artifact");
        let p = payload("mirror.enclave:5000/fleet/edge-07", &d);
        let v: serde_json::Value = serde_json::from_slice(&p).unwrap();
        assert_eq!(
            v,
            json!({"critical": {"identity": {"docker-reference": "mirror.enclave:5000/fleet/edge-07"},
                "image": {"docker-manifest-digest": d.to_string()},
                "type": "cosign container image signature"}, "optional": null})
        );
        assert_eq!(signature_tag(&d), format!("sha256-{}.sig", d.hex()));
    }
}
