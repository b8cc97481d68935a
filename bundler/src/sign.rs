//! Signing bundles with a cosign-compatible ECDSA P-256 key.
//!
//! Keys are what `cosign generate-key-pair` writes: an "ENCRYPTED SIGSTORE PRIVATE KEY" PEM
//! (scrypt + nacl/secretbox over PKCS#8) and a PKIX "PUBLIC KEY" PEM. ECDSA signatures are
//! randomized (aws-lc offers no RFC 6979 mode here), so the signature entry is the only part of
//! two signed builds that differs; reproducibility is defined on the unsigned content.

use std::fs::{self, Permissions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use sigstore::crypto::signing_key::ecdsa::{ECDSAKeys, EllipticCurve};
use sigstore::crypto::SigStoreSigner;

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
    #[error("cannot decrypt private key {path}: wrong password, or not a cosign/sigstore encrypted ECDSA key ({reason})")]
    Decrypt { path: String, reason: String },
    #[error("private key {path} is {curve}; ferry signs with ECDSA P-256 only")]
    Curve { path: String, curve: String },
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("signing with key {path} failed: {reason}")]
    Sign { path: String, reason: String },
}

/// Paths written by [`keygen`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairFiles {
    pub private_key: PathBuf,
    pub public_key: PathBuf,
}

/// Writes a new `ferry.key` (encrypted, mode 0600) and `ferry.pub` into `dir`; never overwrites.
pub fn keygen(dir: &Path, password: &[u8]) -> Result<KeyPairFiles, SignError> {
    let files = KeyPairFiles { private_key: dir.join(PRIVATE_KEY_FILE), public_key: dir.join(PUBLIC_KEY_FILE) };
    for path in [&files.private_key, &files.public_key] {
        if path.exists() {
            return Err(SignError::KeyExists(path.display().to_string()));
        }
    }
    let keys = ECDSAKeys::new(EllipticCurve::P256).map_err(|e| SignError::Generate(e.to_string()))?;
    let private_pem = keys
        .as_inner()
        .private_key_to_encrypted_pem(password)
        .map_err(|e| SignError::Generate(e.to_string()))?;
    let public_pem = keys.as_inner().public_key_to_pem().map_err(|e| SignError::Generate(e.to_string()))?;
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
    let err = |source| SignError::WriteKey { path: path.display().to_string(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new().prefix(".ferry-key-").tempfile_in(dir).map_err(err)?;
    temp.as_file().set_permissions(Permissions::from_mode(mode)).map_err(err)?;
    temp.write_all(bytes).map_err(err)?;
    temp.as_file().sync_all().map_err(err)?;
    temp.persist_noclobber(path).map_err(|e| match e.error.kind() {
        std::io::ErrorKind::AlreadyExists => SignError::KeyExists(path.display().to_string()),
        _ => err(e.error),
    })?;
    Ok(())
}

/// A loaded private key, ready to sign bundle manifests.
pub struct SigningKey {
    path: String,
    signer: SigStoreSigner,
    public_key_der: Vec<u8>,
    public_key_pem: String,
}

impl SigningKey {
    /// Loads a cosign/sigstore encrypted private key ("ENCRYPTED SIGSTORE PRIVATE KEY" or the
    /// older "ENCRYPTED COSIGN PRIVATE KEY").
    pub fn load(path: &Path, password: &[u8]) -> Result<Self, SignError> {
        let name = path.display().to_string();
        let pem = fs::read(path).map_err(|source| SignError::ReadKey { path: name.clone(), source })?;
        let decrypt = |e: sigstore::errors::SigstoreError| SignError::Decrypt { path: name.clone(), reason: e.to_string() };
        let keys = ECDSAKeys::from_encrypted_pem(&pem, password).map_err(decrypt)?;
        if !matches!(keys, ECDSAKeys::P256(_)) {
            return Err(SignError::Curve { path: name, curve: keys.to_string() });
        }
        let public_key_der = keys.as_inner().public_key_to_der().map_err(decrypt)?;
        let public_key_pem = keys.as_inner().public_key_to_pem().map_err(decrypt)?;
        let signer = keys.to_sigstore_signer().map_err(decrypt)?;
        Ok(Self { path: name, signer, public_key_der, public_key_pem })
    }

    pub fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    /// Base64 sha256 of the public key, as written into `publicKey.hint`.
    pub fn hint(&self) -> String {
        key_hint(&self.public_key_der)
    }

    /// Signs the exact manifest bytes; returns the `ferry-bundle.sigstore.json` document.
    pub fn sign_manifest(&self, manifest_bytes: &[u8]) -> Result<Vec<u8>, SignError> {
        use base64::Engine as _;
        let der = self
            .signer
            .sign(manifest_bytes)
            .map_err(|e| SignError::Sign { path: self.path.clone(), reason: e.to_string() })?;
        let bundle = SigstoreBundle {
            media_type: SIGSTORE_BUNDLE_MEDIA_TYPE.to_owned(),
            verification_material: VerificationMaterial {
                public_key: PublicKeyIdentifier { hint: self.hint() },
                tlog_entries: Vec::new(),
            },
            message_signature: MessageSignature {
                message_digest: MessageDigest {
                    algorithm: MESSAGE_DIGEST_ALGORITHM.to_owned(),
                    digest: message_digest(manifest_bytes),
                },
                signature: base64::engine::general_purpose::STANDARD.encode(der),
            },
        };
        serde_json::to_vec(&bundle).map_err(|e| SignError::Sign { path: self.path.clone(), reason: e.to_string() })
    }
}
