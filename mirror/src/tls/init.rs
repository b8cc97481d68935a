//! `tls init`: an enclave CA and a server certificate signed by it, for the mirror's HTTPS.
//!
//! Keys are ECDSA P-256. Nothing existing is overwritten: a second CA would silently
//! invalidate every node that already trusts the first.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

use super::TlsError;

/// The CA outlives server certificates so they can be re-issued without touching every node.
const CA_DAYS: i64 = 3650;

#[derive(Debug, Clone)]
pub struct InitOptions {
    /// DNS names and IP addresses the server certificate is valid for.
    pub names: Vec<String>,
    /// Validity of the server certificate in days.
    pub days: u32,
}

/// Where `init` wrote each file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedFiles {
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl IssuedFiles {
    fn in_dir(dir: &Path) -> Self {
        Self {
            ca_cert: dir.join("ca.crt"),
            ca_key: dir.join("ca.key"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
        }
    }

    fn all(&self) -> [&Path; 4] {
        [
            &self.ca_cert,
            &self.ca_key,
            &self.server_cert,
            &self.server_key,
        ]
    }
}

/// Creates `ca.crt`, `ca.key`, `server.crt` and `server.key` in `out` (created if missing).
/// Keys are mode 0600. Fails before writing anything if any of the four exists.
pub fn init(out: &Path, opts: &InitOptions) -> Result<IssuedFiles, TlsError> {
    if opts.names.is_empty() {
        return Err(TlsError::NoNames);
    }
    let sans = opts
        .names
        .iter()
        .map(|n| subject_alt_name(n))
        .collect::<Result<Vec<_>, _>>()?;
    let files = IssuedFiles::in_dir(out);
    if let Some(existing) = files.all().into_iter().find(|p| p.exists()) {
        return Err(TlsError::Exists {
            path: existing.to_path_buf(),
        });
    }

    let now = OffsetDateTime::now_utc();
    // An hour of slack for nodes whose clocks run a little behind the appliance's.
    let not_before = now - Duration::hours(1);

    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name = name("ferry enclave CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = not_before;
    ca.not_after = now + Duration::days(CA_DAYS);
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, &ca_key);

    let server_key = KeyPair::generate()?;
    let mut server = CertificateParams::default();
    server.distinguished_name = name(&opts.names[0]);
    server.subject_alt_names = sans;
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.use_authority_key_identifier_extension = true;
    server.not_before = not_before;
    server.not_after = now + Duration::days(i64::from(opts.days));
    let server_cert = server.signed_by(&server_key, &issuer)?;

    std::fs::create_dir_all(out).map_err(|source| TlsError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    write_new(&files.ca_key, &ca_key.serialize_pem(), 0o600)?;
    write_new(&files.ca_cert, &ca_cert.pem(), 0o644)?;
    write_new(&files.server_key, &server_key.serialize_pem(), 0o600)?;
    write_new(&files.server_cert, &server_cert.pem(), 0o644)?;
    Ok(files)
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

fn subject_alt_name(name: &str) -> Result<SanType, TlsError> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let invalid = |message: String| TlsError::Name {
        name: name.to_owned(),
        message,
    };
    let valid_dns = !name.is_empty()
        && name.len() <= 253
        && name.split('.').enumerate().all(|(i, label)| {
            let label = if i == 0 {
                label.strip_prefix("*").unwrap_or(label)
            } else {
                label
            };
            (i == 0 && label.is_empty() && name.starts_with("*."))
                || (!label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        });
    if !valid_dns {
        return Err(invalid("not a valid DNS name".to_owned()));
    }
    let dns = name
        .to_owned()
        .try_into()
        .map_err(|e: rcgen::Error| invalid(e.to_string()))?;
    Ok(SanType::DnsName(dns))
}

/// Temp file in the same directory, fsync, then a rename that fails if `path` appeared meanwhile.
fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), TlsError> {
    use std::os::unix::fs::PermissionsExt;
    let err = |source| TlsError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(err)?;
    tmp.write_all(text.as_bytes()).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist_noclobber(path).map_err(|e| err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::pem::PemObject;
    use std::os::unix::fs::PermissionsExt;

    fn opts(names: &[&str]) -> InitOptions {
        InitOptions {
            names: names.iter().map(|s| s.to_string()).collect(),
            days: 30,
        }
    }

    #[test]
    fn issues_a_ca_and_a_server_identity_rustls_accepts() {
        let dir = tempfile::tempdir().unwrap();
        let files = init(dir.path(), &opts(&["mirror.enclave", "127.0.0.1"])).unwrap();
        for key in [&files.ca_key, &files.server_key] {
            let mode = std::fs::metadata(key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", key.display());
        }
        let config = super::super::server_config(&super::super::TlsFiles {
            cert: files.server_cert.clone(),
            key: files.server_key.clone(),
        });
        assert!(config.is_ok(), "{:?}", config.err());

        // The server certificate chains to the CA for both names.
        let ca = std::fs::read_to_string(&files.ca_cert).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca.as_bytes()) {
            roots.add(c.unwrap()).unwrap();
        }
        let leaf = rustls::pki_types::CertificateDer::pem_file_iter(&files.server_cert)
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
            std::sync::Arc::new(roots),
            super::super::crypto_provider(),
        )
        .build()
        .unwrap();
        let now = rustls::pki_types::UnixTime::now();
        for name in ["mirror.enclave", "127.0.0.1"] {
            let server_name = rustls::pki_types::ServerName::try_from(name).unwrap();
            verifier
                .verify_server_cert(&leaf, &[], &server_name, &[], now)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let other = rustls::pki_types::ServerName::try_from("other.enclave").unwrap();
        assert!(verifier
            .verify_server_cert(&leaf, &[], &other, &[], now)
            .is_err());
    }

    #[test]
    fn refuses_to_overwrite_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("server.key"), "mine").unwrap();
        let err = init(dir.path(), &opts(&["mirror.enclave"])).unwrap_err();
        assert!(err.to_string().contains("server.key"), "{err}");
        assert!(!dir.path().join("ca.key").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("server.key")).unwrap(),
            "mine"
        );
    }

    #[rstest]
    #[case::empty("")]
    #[case::space("mirror enclave")]
    #[case::slash("mirror/enclave")]
    #[case::leading_hyphen("-mirror.enclave")]
    #[case::empty_label("mirror..enclave")]
    #[case::url("https://mirror.enclave")]
    #[case::too_long(&"a".repeat(254))]
    fn rejects_bad_names(#[case] bad: &str) {
        let dir = tempfile::tempdir().unwrap();
        let err = init(dir.path(), &opts(&["ok.enclave", bad])).unwrap_err();
        assert!(matches!(err, TlsError::Name { .. }), "{err}");
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn needs_a_name() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            init(dir.path(), &opts(&[])),
            Err(TlsError::NoNames)
        ));
    }
}
