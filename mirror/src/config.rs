//! The appliance's configuration file (YAML). Command-line flags override what it says.
//!
//! ```yaml
//! data: /var/lib/ferry
//! listen: 0.0.0.0:5000
//! trustedKeys: [/etc/ferry/keys/site-a.pub]
//! push: false
//! htpasswd: /etc/ferry/htpasswd
//! roles: {alice: admin, ci: pusher}     # everyone else in htpasswd pulls
//! anonymousPull: false
//! tls: {cert: /etc/ferry/tls/server.crt, key: /etc/ferry/tls/server.key}
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplianceConfig {
    /// Data directory of the store.
    pub data: Option<PathBuf>,
    /// Address the registry listens on.
    pub listen: Option<SocketAddr>,
    /// Public keys whose signatures `import` accepts.
    #[serde(default)]
    pub trusted_keys: Vec<PathBuf>,
    /// Enable push and delete (needs `htpasswd`).
    pub push: Option<bool>,
    /// bcrypt htpasswd file of the users.
    pub htpasswd: Option<PathBuf>,
    /// Roles (`puller`, `pusher`, `admin`) by user; users without one are pullers.
    #[serde(default)]
    pub roles: std::collections::BTreeMap<String, crate::server::Role>,
    /// Let clients without credentials pull (off by default).
    pub anonymous_pull: Option<bool>,
    /// Serve HTTPS with this certificate chain and key.
    pub tls: Option<crate::tls::TlsFiles>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
    },
}

impl ApplianceConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config: Self = serde_saphyr::from_str(&text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message: e.to_string(),
            }
        })?;
        // Relative paths in the file mean relative to the file, not to wherever ferry runs.
        let base = path.parent().unwrap_or(Path::new("."));
        let rebase = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        config.data.as_mut().map(rebase);
        config.htpasswd.as_mut().map(rebase);
        if let Some(tls) = config.tls.as_mut() {
            rebase(&mut tls.cert);
            rebase(&mut tls.key);
        }
        config.trusted_keys.iter_mut().for_each(rebase);
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferry.yaml");
        std::fs::write(&path, "data: store\nlisten: 127.0.0.1:5000\npsuh: true\n").unwrap();
        let err = ApplianceConfig::load(&path).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}:3:", path.display())), "{err}");
        assert!(err.contains("psuh"), "{err}");
    }

    #[test]
    fn relative_paths_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferry.yaml");
        std::fs::write(
            &path,
            "data: store\ntrustedKeys: [keys/a.pub, /abs/b.pub]\ntls: {cert: tls/server.crt, key: /abs/server.key}\n",
        )
        .unwrap();
        let c = ApplianceConfig::load(&path).unwrap();
        assert_eq!(c.data, Some(dir.path().join("store")));
        assert_eq!(
            c.trusted_keys,
            vec![dir.path().join("keys/a.pub"), PathBuf::from("/abs/b.pub")]
        );
        assert_eq!(
            c.tls,
            Some(crate::tls::TlsFiles {
                cert: dir.path().join("tls/server.crt"),
                key: PathBuf::from("/abs/server.key"),
            })
        );
    }
}
