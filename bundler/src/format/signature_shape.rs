//! The exact shape of a key-based Sigstore message signature, enforced while parsing: the fields
//! `ferry sign` and `cosign sign-blob --key` (no transparency log, no timestamp authority) write,
//! each with its one accepted value or encoding, and nothing else. A Sigstore bundle has room for
//! transparency-log entries and timestamps that a key-based check never looks at; refusing them
//! keeps a signed bundle free of bytes nobody verified.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::de::{Deserializer, Error as _, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::signature::{SigstoreBundle, MESSAGE_DIGEST_ALGORITHM, SIGSTORE_BUNDLE_MEDIA_TYPE};

/// Why a signature document was refused, naming the field (`verificationMaterial.tlogEntries`).
#[derive(Debug, thiserror::Error)]
#[error("ferry-bundle.sigstore.json is not a key-based sigstore message signature: at {field}: {source}")]
pub struct SignatureShapeError {
    pub field: String,
    #[source]
    pub source: serde_json::Error,
}

/// Parses `ferry-bundle.sigstore.json`, refusing any field or value outside the accepted shape.
pub fn parse_signature_document(bytes: &[u8]) -> Result<SigstoreBundle, SignatureShapeError> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<SigstoreBundle, _> = serde_path_to_error::deserialize(&mut json);
    let bundle = parsed.map_err(|e| SignatureShapeError {
        field: match e.path().to_string() {
            p if p == "." => "the top level".to_owned(),
            p => p,
        },
        source: e.into_inner(),
    })?;
    json.end().map_err(|source| SignatureShapeError {
        field: "the end of the document".to_owned(),
        source,
    })?;
    Ok(bundle)
}

/// A repeated field that must be empty (or absent): `tlogEntries`, `rfc3161Timestamps`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoEntries;

impl Serialize for NoEntries {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(std::iter::empty::<()>())
    }
}

impl<'de> Deserialize<'de> for NoEntries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Empty;
        impl<'de> Visitor<'de> for Empty {
            type Value = NoEntries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an empty list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NoEntries, A::Error> {
                match seq.next_element::<IgnoredAny>()? {
                    None => Ok(NoEntries),
                    Some(_) => Err(A::Error::custom(
                        "must be empty: ferry signatures are made with a key, without a transparency log or timestamps",
                    )),
                }
            }
        }
        deserializer.deserialize_seq(Empty)
    }
}

/// `timestampVerificationData`, accepted only empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NoTimestamps {
    #[serde(default)]
    pub rfc3161_timestamps: NoEntries,
}

fn exact<'de, D: Deserializer<'de>>(d: D, want: &str) -> Result<String, D::Error> {
    let value = String::deserialize(d)?;
    if value != want {
        return Err(D::Error::custom(format!("{value:?} is not {want:?}")));
    }
    Ok(value)
}

pub(crate) fn media_type<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    exact(d, SIGSTORE_BUNDLE_MEDIA_TYPE)
}

pub(crate) fn algorithm<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    exact(d, MESSAGE_DIGEST_ALGORITHM)
}

/// Standard base64 (with padding) of exactly 32 bytes: a sha256.
pub(crate) fn base64_sha256<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = String::deserialize(d)?;
    match BASE64.decode(&value) {
        Ok(bytes) if bytes.len() == 32 => Ok(value),
        Ok(bytes) => Err(D::Error::custom(format!(
            "is {} bytes, not the 32 of a sha256",
            bytes.len()
        ))),
        Err(_) => Err(D::Error::custom("is not standard base64")),
    }
}

/// Standard base64 of an ASN.1 DER ECDSA P-256 signature (at most 72 bytes).
pub(crate) fn base64_signature<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = String::deserialize(d)?;
    match BASE64.decode(&value) {
        Ok(bytes) if (8..=72).contains(&bytes.len()) && bytes[0] == 0x30 => Ok(value),
        Ok(_) => Err(D::Error::custom(
            "is not an ASN.1 DER ECDSA P-256 signature",
        )),
        Err(_) => Err(D::Error::custom("is not standard base64")),
    }
}
