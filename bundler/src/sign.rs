//! Signing bundles with a cosign-compatible ECDSA P-256 key.
//!
//! Keys are what `cosign generate-key-pair` writes: an "ENCRYPTED SIGSTORE PRIVATE KEY" PEM
//! (scrypt + nacl/secretbox over PKCS#8) and a PKIX "PUBLIC KEY" PEM. sigstore decrypts the key;
//! the signature itself is ECDSA with RFC 6979 deterministic nonces (the `p256` crate), so the
//! same manifest signed with the same key gives the same bytes, and two signed builds from one
//! lock are byte-identical. Any standard ECDSA verifier (cosign, openssl) accepts it.

use std::fs::{self, Permissions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use p256::pkcs8::DecodePrivateKey as _;
use sigstore::crypto::signing_key::ecdsa::{ECDSAKeys, EllipticCurve};

use crate::format::signature::{
    key_hint, message_digest, MessageDigest, MessageSignature, PublicKeyIdentifier, SigstoreBundle,
    VerificationMaterial, MESSAGE_DIGEST_ALGORITHM, SIGSTORE_BUNDLE_MEDIA_TYPE,
};

pub const PRIVATE_KEY_FILE: &str = "ferry.key";
pub const PUBLIC_KEY_FILE: &str = "ferry.pub";

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("key file {0} already exists; refusing to overwrite it")]
    KeyExists(String),
    #[error("cannot write key file {path}: {source}")]
    WriteKey {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read private key {path}: {source}")]
    ReadKey {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The key file is well-formed but the password does not open it.
    #[error("cannot decrypt {path}: wrong or missing password")]
    WrongPassword { path: String },
    #[error(
        "cannot read private key {path}: not a cosign/sigstore encrypted ECDSA key ({reason})"
    )]
    Decrypt { path: String, reason: String },
    #[error("private key {path} is {curve}; ferry signs with ECDSA P-256 only")]
    Curve { path: String, curve: String },
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("signing with key {path} failed: {reason}")]
    Sign { path: String, reason: String },
}

/// Environment variables a key password is read from, first set wins (cosign's own is second so
/// an existing cosign setup works unchanged).
pub const PASSWORD_ENV: [&str; 2] = ["FERRY_PASSWORD", "COSIGN_PASSWORD"];

/// A key password and the environment variable it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvPassword {
    pub var: &'static str,
    pub value: Vec<u8>,
}

/// The key password from `lookup` (normally `std::env::var`); `None` if no variable is set.
/// A variable set to the empty string is an empty password, as with cosign.
pub fn password_from(lookup: impl Fn(&str) -> Option<String>) -> Option<EnvPassword> {
    PASSWORD_ENV.iter().find_map(|&var| {
        lookup(var).map(|v| EnvPassword {
            var,
            value: v.into_bytes(),
        })
    })
}

/// Paths written by [`keygen`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairFiles {
    pub private_key: PathBuf,
    pub public_key: PathBuf,
}

/// Writes a new `ferry.key` (encrypted, mode 0600) and `ferry.pub` into `dir`; never overwrites.
pub fn keygen(dir: &Path, password: &[u8]) -> Result<KeyPairFiles, SignError> {
    let files = KeyPairFiles {
        private_key: dir.join(PRIVATE_KEY_FILE),
        public_key: dir.join(PUBLIC_KEY_FILE),
    };
    for path in [&files.private_key, &files.public_key] {
        if path.exists() {
            return Err(SignError::KeyExists(path.display().to_string()));
        }
    }
    let keys =
        ECDSAKeys::new(EllipticCurve::P256).map_err(|e| SignError::Generate(e.to_string()))?;
    let private_pem = keys
        .as_inner()
        .private_key_to_encrypted_pem(password)
        .map_err(|e| SignError::Generate(e.to_string()))?;
    let public_pem = keys
        .as_inner()
        .public_key_to_pem()
        .map_err(|e| SignError::Generate(e.to_string()))?;
    write_new(&files.private_key, private_pem.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&files.public_key, public_pem.as_bytes(), 0o644) {
        // Half a key pair is useless and would block the next keygen.
        let _ = fs::remove_file(&files.private_key);
        return Err(e);
    }
    Ok(files)
}

/// Temp file with final permissions, fsync, then a no-clobber rename.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), SignError> {
    let err = |source| SignError::WriteKey {
        path: path.display().to_string(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".ferry-key-")
        .tempfile_in(dir)
        .map_err(err)?;
    temp.as_file()
        .set_permissions(Permissions::from_mode(mode))
        .map_err(err)?;
    temp.write_all(bytes).map_err(err)?;
    temp.as_file().sync_all().map_err(err)?;
    temp.persist_noclobber(path)
        .map_err(|e| match e.error.kind() {
            std::io::ErrorKind::AlreadyExists => SignError::KeyExists(path.display().to_string()),
            _ => err(e.error),
        })?;
    Ok(())
}

/// A loaded private key, ready to sign bundle manifests.
pub struct SigningKey {
    path: String,
    signer: p256::ecdsa::SigningKey,
    public_key_der: Vec<u8>,
    public_key_pem: String,
}

impl SigningKey {
    /// Loads a cosign/sigstore encrypted private key ("ENCRYPTED SIGSTORE PRIVATE KEY" or the
    /// older "ENCRYPTED COSIGN PRIVATE KEY").
    pub fn load(path: &Path, password: &[u8]) -> Result<Self, SignError> {
        let name = path.display().to_string();
        let pem = fs::read(path).map_err(|source| SignError::ReadKey {
            path: name.clone(),
            source,
        })?;
        let decrypt = |e: sigstore::errors::SigstoreError| SignError::Decrypt {
            path: name.clone(),
            reason: e.to_string(),
        };
        // sigstore reports a failed secretbox open (the password's scrypt key does not fit) as
        // an "encrypt" error; everything else means the file is not such a key.
        let keys = ECDSAKeys::from_encrypted_pem(&pem, password).map_err(|e| match e {
            sigstore::errors::SigstoreError::PrivateKeyEncryptError(_) => {
                SignError::WrongPassword { path: name.clone() }
            }
            e => decrypt(e),
        })?;
        if !matches!(keys, ECDSAKeys::P256(_)) {
            return Err(SignError::Curve {
                path: name,
                curve: keys.to_string(),
            });
        }
        let public_key_der = keys.as_inner().public_key_to_der().map_err(decrypt)?;
        let public_key_pem = keys.as_inner().public_key_to_pem().map_err(decrypt)?;
        let pkcs8 = keys.as_inner().private_key_to_der().map_err(decrypt)?;
        let signer =
            p256::ecdsa::SigningKey::from_pkcs8_der(&pkcs8).map_err(|e| SignError::Decrypt {
                path: name.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            path: name,
            signer,
            public_key_der,
            public_key_pem,
        })
    }

    pub fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    /// Base64 sha256 of the public key, as written into `publicKey.hint`.
    pub fn hint(&self) -> String {
        key_hint(&self.public_key_der)
    }

    /// ECDSA P-256 over sha256 of the exact `bytes`, DER-encoded: what cosign puts (base64) in a
    /// `dev.cosignproject.cosign/signature` annotation over a simple-signing payload, and what
    /// `openssl dgst -sha256 -verify` checks. Deterministic (RFC 6979), like every ferry signature.
    pub fn sign_bytes(&self, bytes: &[u8]) -> Result<Vec<u8>, SignError> {
        let signature: p256::ecdsa::Signature =
            p256::ecdsa::signature::Signer::try_sign(&self.signer, bytes).map_err(|e| {
                SignError::Sign {
                    path: self.path.clone(),
                    reason: e.to_string(),
                }
            })?;
        Ok(signature.to_der().as_ref().to_vec())
    }

    /// Signs the exact manifest bytes; returns the `ferry-bundle.sigstore.json` document.
    pub fn sign_manifest(&self, manifest_bytes: &[u8]) -> Result<Vec<u8>, SignError> {
        use base64::Engine as _;
        // RFC 6979: the nonce is derived from key and message, never from a random source.
        let signature: p256::ecdsa::Signature =
            p256::ecdsa::signature::Signer::try_sign(&self.signer, manifest_bytes).map_err(
                |e| SignError::Sign {
                    path: self.path.clone(),
                    reason: e.to_string(),
                },
            )?;
        let der = signature.to_der();
        let bundle = SigstoreBundle {
            media_type: SIGSTORE_BUNDLE_MEDIA_TYPE.to_owned(),
            verification_material: VerificationMaterial {
                public_key: PublicKeyIdentifier { hint: self.hint() },
                tlog_entries: Default::default(),
                timestamp_verification_data: None,
            },
            message_signature: MessageSignature {
                message_digest: MessageDigest {
                    algorithm: MESSAGE_DIGEST_ALGORITHM.to_owned(),
                    digest: message_digest(manifest_bytes),
                },
                signature: base64::engine::general_purpose::STANDARD.encode(der),
            },
        };
        serde_json::to_vec(&bundle).map_err(|e| SignError::Sign {
            path: self.path.clone(),
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_bytes_is_deterministic_der_that_the_public_key_verifies() {
        use p256::ecdsa::signature::Verifier as _;
        use p256::pkcs8::DecodePublicKey as _;
        let dir = tempfile::tempdir().unwrap();
        let files = keygen(dir.path(), b"pw").unwrap();
        let key = SigningKey::load(&files.private_key, b"pw").unwrap();
        let payload = br#"{"critical":{},"optional":null}"#;
        let der = key.sign_bytes(payload).unwrap();
        assert_eq!(der, key.sign_bytes(payload).unwrap());
        let public = p256::ecdsa::VerifyingKey::from_public_key_pem(key.public_key_pem()).unwrap();
        let signature = p256::ecdsa::Signature::from_der(&der).unwrap();
        public.verify(payload, &signature).unwrap();
        assert!(public.verify(b"other bytes", &signature).is_err());
    }

    #[test]
    fn password_prefers_ferry_then_cosign_and_says_which() {
        let both = |n: &str| Some(format!("{n}-value"));
        let both = password_from(both).unwrap();
        assert_eq!(
            (both.var, &both.value[..]),
            ("FERRY_PASSWORD", &b"FERRY_PASSWORD-value"[..])
        );
        let cosign = |n: &str| (n == "COSIGN_PASSWORD").then(String::new);
        let cosign = password_from(cosign).unwrap();
        assert_eq!(
            (cosign.var, &cosign.value[..]),
            ("COSIGN_PASSWORD", &b""[..])
        );
        assert_eq!(password_from(|_| None), None);
    }
}
