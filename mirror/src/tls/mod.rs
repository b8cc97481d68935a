//! TLS for the mirror: loading the server certificate into rustls, serving HTTPS, and
//! `tls init`, which makes an enclave CA and a server certificate.
//!
//! The crypto provider is aws-lc-rs (already in the tree), or its FIPS 140-3 build with the
//! `fips` feature. It is chosen explicitly rather than through rustls' process default, so
//! another crate enabling `ring` cannot silently change it.

mod init;
mod listener;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;

pub use init::{init, InitOptions, IssuedFiles};
pub(crate) use listener::handshake;

/// PEM files of the server's certificate chain and private key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// PKCS#8, PKCS#1 or SEC1 private key.
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read certificates from {path}: {message}")]
    Certificates { path: PathBuf, message: String },
    #[error("no certificate in {0}")]
    NoCertificate(PathBuf),
    #[error("cannot read the private key from {path}: {message}")]
    Key { path: PathBuf, message: String },
    #[error("certificate {cert} and key {key} do not form a usable TLS identity: {source}")]
    Identity {
        cert: PathBuf,
        key: PathBuf,
        source: rustls::Error,
    },
    #[error("{path} already exists; refusing to overwrite it")]
    Exists { path: PathBuf },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("name {name:?} is neither a DNS name nor an IP address: {message}")]
    Name { name: String, message: String },
    #[error("no --name given: the server certificate needs at least one DNS name or IP address")]
    NoNames,
    #[error("generating the certificates: {0}")]
    Generate(#[from] rcgen::Error),
}

/// The rustls provider every TLS endpoint of ferry uses.
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[cfg(feature = "fips")]
    let provider = rustls::crypto::default_fips_provider();
    #[cfg(not(feature = "fips"))]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    Arc::new(provider)
}

/// A rustls server configuration for `files`, offering HTTP/2 and HTTP/1.1.
pub fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let chain = load_chain(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| TlsError::Key {
        path: files.key.clone(),
        message: e.to_string(),
    })?;
    let identity = |source| TlsError::Identity {
        cert: files.cert.clone(),
        key: files.key.clone(),
        source,
    };
    let mut config = rustls::ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(identity)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(identity)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn load_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let err = |message: String| TlsError::Certificates {
        path: path.to_path_buf(),
        message,
    };
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(e.to_string()))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(path.to_path_buf()));
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// A fresh identity, plus a second one whose key does not match the first certificate.
    fn identities(dir: &Path) -> (IssuedFiles, IssuedFiles) {
        let opts = InitOptions {
            names: vec!["mirror.enclave".to_owned()],
            days: 1,
        };
        (
            init(&dir.join("a"), &opts).unwrap(),
            init(&dir.join("b"), &opts).unwrap(),
        )
    }

    #[rstest]
    #[case::missing_cert("missing-cert", "cannot read certificates from")]
    #[case::cert_not_pem("cert-not-pem", "no certificate in")]
    #[case::cert_truncated("cert-truncated", "cannot read certificates from")]
    #[case::key_missing("key-missing", "cannot read the private key from")]
    #[case::key_garbage("key-garbage", "do not form a usable TLS identity")]
    #[case::key_is_a_certificate("key-is-cert", "cannot read the private key from")]
    #[case::key_of_another_certificate("key-mismatch", "do not form a usable TLS identity")]
    fn bad_identities_are_refused_naming_the_file(#[case] case: &str, #[case] expected: &str) {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = identities(dir.path());
        let bad = dir.path().join("bad.pem");
        let mut files = TlsFiles {
            cert: a.server_cert.clone(),
            key: a.server_key.clone(),
        };
        match case {
            "missing-cert" => files.cert = dir.path().join("nope.crt"),
            "cert-not-pem" => {
                std::fs::write(&bad, "just text\n").unwrap();
                files.cert = bad.clone();
            }
            "cert-truncated" => {
                let pem = std::fs::read_to_string(&a.server_cert).unwrap();
                std::fs::write(&bad, &pem[..pem.len() / 2]).unwrap();
                files.cert = bad.clone();
            }
            "key-missing" => files.key = dir.path().join("nope.key"),
            "key-garbage" => {
                std::fs::write(
                    &bad,
                    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                )
                .unwrap();
                files.key = bad.clone();
            }
            "key-is-cert" => files.key = a.server_cert.clone(),
            "key-mismatch" => files.key = b.server_key.clone(),
            other => unreachable!("{other}"),
        }
        let err = server_config(&files).unwrap_err().to_string();
        assert!(err.contains(expected), "{case}: {err}");
        let named = [&files.cert, &files.key]
            .iter()
            .any(|p| err.contains(&p.display().to_string()));
        assert!(named, "{case}: {err}");
    }
}
