//! The bundle signature: a Sigstore bundle (v0.3) carrying an ECDSA P-256 message signature over
//! the exact bytes of `ferry-bundle.json`, and its verification against trusted public keys.
//!
//! This is the document `cosign sign-blob --key ... --bundle` (new bundle format, no Rekor)
//! writes and `cosign verify-blob --key K --bundle B --insecure-ignore-tlog` accepts. Only
//! verification lives here, so the enclave side needs no signing code.

use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sigstore::crypto::{CosignVerificationKey, Signature};

use super::signature_shape::{self as shape, NoEntries, NoTimestamps};

/// Media type of the signature document.
pub const SIGSTORE_BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The only message digest algorithm written or accepted.
pub const MESSAGE_DIGEST_ALGORITHM: &str = "SHA2_256";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SigstoreBundle {
    #[serde(deserialize_with = "shape::media_type")]
    pub media_type: String,
    pub verification_material: VerificationMaterial,
    pub message_signature: MessageSignature,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerificationMaterial {
    pub public_key: PublicKeyIdentifier,
    /// Always empty (written as `[]`, absent accepted): ferry signs offline, without a
    /// transparency log.
    #[serde(default)]
    pub tlog_entries: NoEntries,
    /// Never written; accepted only absent or empty, as cosign may write it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_verification_data: Option<NoTimestamps>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeyIdentifier {
    /// Base64 of the sha256 of the signing key's PKIX (DER) public key.
    #[serde(deserialize_with = "shape::base64_sha256")]
    pub hint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageSignature {
    pub message_digest: MessageDigest,
    /// Base64 of the ASN.1 DER ECDSA signature.
    #[serde(deserialize_with = "shape::base64_signature")]
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageDigest {
    #[serde(deserialize_with = "shape::algorithm")]
    pub algorithm: String,
    /// Base64 of the sha256 of the signed bytes.
    #[serde(deserialize_with = "shape::base64_sha256")]
    pub digest: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error("bundle is not signed (no ferry-bundle.sigstore.json) but a signature is required")]
    Unsigned,
    #[error("cannot read public key {name}: {source}")]
    ReadKey {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("public key {name} is not a PEM \"PUBLIC KEY\" for ECDSA P-256: {reason}")]
    BadKey { name: String, reason: String },
    #[error(
        "ferry-bundle.sigstore.json has media type {0:?}; expected {SIGSTORE_BUNDLE_MEDIA_TYPE}"
    )]
    MediaType(String),
    #[error(
        "ferry-bundle.sigstore.json uses message digest algorithm {0:?}; only SHA2_256 is accepted"
    )]
    Algorithm(String),
    #[error("ferry-bundle.sigstore.json field {field} is not valid base64")]
    Base64 { field: &'static str },
    #[error("bundle is signed by an unknown key (hint {hint}); trusted: {trusted}")]
    UnknownKey { hint: String, trusted: String },
    #[error(
        "signature message digest {signed} does not match sha256 of ferry-bundle.json {actual}"
    )]
    DigestMismatch { signed: String, actual: String },
    #[error("signature over ferry-bundle.json does not verify with public key {key}")]
    BadSignature { key: String },
}

/// A public key the verifier trusts, with the name (file path) used in messages.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    name: String,
    hint: String,
    key: CosignVerificationKey,
}

impl TrustedKey {
    /// Parses a PKIX `PUBLIC KEY` PEM (what `cosign generate-key-pair` and `ferry keygen` write).
    pub fn from_pem(name: &str, pem_bytes: &[u8]) -> Result<Self, SignatureError> {
        let bad = |reason: String| SignatureError::BadKey {
            name: name.to_owned(),
            reason,
        };
        let pem = pem::parse(pem_bytes).map_err(|e| bad(e.to_string()))?;
        if pem.tag() != "PUBLIC KEY" {
            return Err(bad(format!("PEM label is {:?}", pem.tag())));
        }
        let key =
            CosignVerificationKey::try_from_der(pem.contents()).map_err(|e| bad(e.to_string()))?;
        if !matches!(key, CosignVerificationKey::ECDSA_P256_SHA256_ASN1(_)) {
            return Err(bad("the key is not ECDSA P-256".into()));
        }
        Ok(Self {
            name: name.to_owned(),
            hint: key_hint(pem.contents()),
            key,
        })
    }

    /// Reads a key file. The key is named by its absolute path (canonical, since the file
    /// exists), whatever the working directory, so `signedBy` in reports, the store and the
    /// audit log says which file it was.
    pub fn from_file(path: &Path) -> Result<Self, SignatureError> {
        let absolute = std::fs::canonicalize(path)
            .or_else(|_| std::path::absolute(path))
            .unwrap_or_else(|_| path.to_path_buf());
        let name = absolute.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| SignatureError::ReadKey {
            name: name.clone(),
            source,
        })?;
        Self::from_pem(&name, &bytes)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key hint written into signatures made with the matching private key.
    pub fn hint(&self) -> &str {
        &self.hint
    }
}

/// Base64 sha256 of a PKIX DER public key: the `publicKey.hint` of a signature.
pub fn key_hint(public_key_der: &[u8]) -> String {
    BASE64.encode(Sha256::digest(public_key_der))
}

/// Base64 sha256 of the signed message: the `messageDigest.digest` of a signature.
pub fn message_digest(message: &[u8]) -> String {
    BASE64.encode(Sha256::digest(message))
}

/// Checks `signature` over `manifest_bytes` with the trusted key its hint names; returns that key.
pub fn verify_signature<'k>(
    manifest_bytes: &[u8],
    signature: &SigstoreBundle,
    trusted: &'k [TrustedKey],
) -> Result<&'k TrustedKey, SignatureError> {
    if signature.media_type != SIGSTORE_BUNDLE_MEDIA_TYPE {
        return Err(SignatureError::MediaType(signature.media_type.clone()));
    }
    let message = &signature.message_signature;
    if message.message_digest.algorithm != MESSAGE_DIGEST_ALGORITHM {
        return Err(SignatureError::Algorithm(
            message.message_digest.algorithm.clone(),
        ));
    }
    let hint = &signature.verification_material.public_key.hint;
    let key =
        trusted
            .iter()
            .find(|k| &k.hint == hint)
            .ok_or_else(|| SignatureError::UnknownKey {
                hint: hint.clone(),
                trusted: trusted
                    .iter()
                    .map(|k| format!("{} ({})", k.name, k.hint))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
    let signed =
        BASE64
            .decode(&message.message_digest.digest)
            .map_err(|_| SignatureError::Base64 {
                field: "messageSignature.messageDigest.digest",
            })?;
    let actual = Sha256::digest(manifest_bytes);
    if signed != actual.as_slice() {
        return Err(SignatureError::DigestMismatch {
            signed: message.message_digest.digest.clone(),
            actual: BASE64.encode(actual),
        });
    }
    let der = BASE64
        .decode(&message.signature)
        .map_err(|_| SignatureError::Base64 {
            field: "messageSignature.signature",
        })?;
    key.key
        .verify_signature(Signature::Raw(&der), manifest_bytes)
        .map_err(|_| SignatureError::BadSignature {
            key: key.name.clone(),
        })?;
    Ok(key)
}
