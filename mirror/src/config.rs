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
//! connections: {max: 4096, maxPerClient: 1024, headerTimeoutSeconds: 10, idleTimeoutSeconds: 60,
//!               bodyTimeoutSeconds: 30, minBodyBytesPerSecond: 1024}
//! fleet: {database: postgres://ferry@db:5432/fleet,   # default: the store's own ferry.db
//!         key: /etc/ferry/keys/fleet.key,            # cosign key signing desired state (FERRY_PASSWORD)
//!         mirrorHost: mirror.enclave:5000,           # how clusters reach this registry
//!         mirrorCa: /etc/ferry/tls/ca.crt,           # the CA clusters trust for it
//!         offlineAfterIntervals: 3}
//! ```

use std::net::SocketAddr;
use std::num::{NonZeroU64, NonZeroUsize};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_bundler::discover::yaml_error_message;
use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplianceConfig {
    /// Data directory of the store.
    pub data: Option<PathBuf>,
    /// Address the registry listens on: `HOST:PORT`, `IP:PORT` or `:PORT` (see [`parse_listen`]).
    #[serde(default, deserialize_with = "deserialize_listen")]
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
    /// Connection bound and client timeouts; unset fields keep their defaults.
    #[serde(default)]
    pub connections: ConnectionsConfig,
    /// The management instance; unset fields keep their defaults.
    #[serde(default)]
    pub fleet: FleetConfig,
}

/// The `fleet:` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetConfig {
    /// `sqlite://PATH` or `postgres://…`; default the store's own `ferry.db`.
    pub database: Option<String>,
    /// cosign-format private key that signs desired-state artifacts.
    pub key: Option<PathBuf>,
    /// `HOST:PORT` clusters reach this registry at.
    pub mirror_host: Option<String>,
    /// PEM file of the CA clusters trust for the mirror.
    pub mirror_ca: Option<PathBuf>,
    /// A cluster is Offline after this many missed report intervals.
    pub offline_after_intervals: Option<std::num::NonZeroU32>,
}

/// Checks a `HOST:PORT` (or `HOST`) clusters reach the mirror at: it goes into URLs and image
/// references, so nothing but a host name or IP literal and a port.
pub fn parse_mirror_host(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 255
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        && !text.starts_with(['.', '-', ':']);
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "mirror host {text:?} is not HOST or HOST:PORT (letters, digits, '.', '-', ':', '[', ']')"
        ))
    }
}

/// The `connections:` section: each field overrides one of [`crate::server::ConnectionLimits`].
/// Zero is refused: a zero timeout would close every connection, a zero bound refuse them all
/// (except `minBodyBytesPerSecond`, where 0 asks only for some progress in each window).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectionsConfig {
    pub max: Option<NonZeroUsize>,
    pub max_per_client: Option<NonZeroUsize>,
    pub header_timeout_seconds: Option<NonZeroU64>,
    pub idle_timeout_seconds: Option<NonZeroU64>,
    pub body_timeout_seconds: Option<NonZeroU64>,
    pub min_body_bytes_per_second: Option<u64>,
}

impl ConnectionsConfig {
    /// `limits` with what this section sets.
    pub fn over(&self, limits: crate::server::ConnectionLimits) -> crate::server::ConnectionLimits {
        let secs =
            |s: Option<NonZeroU64>, d: Duration| s.map_or(d, |s| Duration::from_secs(s.get()));
        crate::server::ConnectionLimits {
            max_connections: self.max.map(NonZeroUsize::get).or(limits.max_connections),
            max_per_client: self
                .max_per_client
                .map(NonZeroUsize::get)
                .or(limits.max_per_client),
            header_timeout: secs(self.header_timeout_seconds, limits.header_timeout),
            idle_timeout: secs(self.idle_timeout_seconds, limits.idle_timeout),
            body_timeout: secs(self.body_timeout_seconds, limits.body_timeout),
            min_body_bytes_per_second: self
                .min_body_bytes_per_second
                .unwrap_or(limits.min_body_bytes_per_second),
        }
    }
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

/// A listen address as people write it: `127.0.0.1:5000`, `[::1]:5000`, `localhost:5000` (the
/// name's first address) or `:5000` (every IPv4 interface, as Go servers and docker read it).
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    use std::net::{Ipv4Addr, ToSocketAddrs};
    if let Some(port) = text.strip_prefix(':') {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("listen address {text:?}: {port:?} is not a port number"))?;
        return Ok(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)));
    }
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    if text
        .rsplit_once(':')
        .is_none_or(|(host, _)| host.is_empty())
    {
        return Err(format!("listen address {text:?} is not HOST:PORT or :PORT"));
    }
    text.to_socket_addrs()
        .map_err(|e| format!("listen address {text:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("listen address {text:?}: the name has no address"))
}

fn deserialize_listen<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    text.map(|t| parse_listen(&t).map_err(serde::de::Error::custom))
        .transpose()
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
                message: yaml_error_message(&e),
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
        config.fleet.key.as_mut().map(rebase);
        config.fleet.mirror_ca.as_mut().map(rebase);
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
        assert_eq!(err.matches("unknown field").count(), 1, "said once: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }

    #[test]
    fn listen_addresses_as_people_write_them() {
        let at = |s: &str| parse_listen(s).unwrap().to_string();
        assert_eq!(at(":5000"), "0.0.0.0:5000");
        assert_eq!(at("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(at("[::1]:5000"), "[::1]:5000");
        assert!(parse_listen("localhost:5000").unwrap().ip().is_loopback());
        for bad in [":", ":http", "5000", "localhost", ":70000"] {
            let err = parse_listen(bad).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn the_file_takes_the_same_listen_addresses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferry.yaml");
        std::fs::write(&path, "listen: \":5000\"\n").unwrap();
        let c = ApplianceConfig::load(&path).unwrap();
        assert_eq!(c.listen, Some("0.0.0.0:5000".parse().unwrap()));
        std::fs::write(&path, "listen: nowhere\n").unwrap();
        let err = ApplianceConfig::load(&path).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}:1:", path.display())), "{err}");
        assert!(err.contains("nowhere"), "{err}");
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

    #[test]
    fn connection_limits_override_only_what_they_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferry.yaml");
        std::fs::write(
            &path,
            "connections: {max: 10, maxPerClient: 3, idleTimeoutSeconds: 2, minBodyBytesPerSecond: 0}\n",
        )
        .unwrap();
        let c = ApplianceConfig::load(&path).unwrap();
        let limits = c
            .connections
            .over(crate::server::ConnectionLimits::default());
        assert_eq!(limits.max_connections, Some(10));
        assert_eq!(limits.max_per_client, Some(3));
        assert_eq!(limits.min_body_bytes_per_second, 0);
        assert_eq!(limits.idle_timeout, Duration::from_secs(2));
        assert_eq!(limits.header_timeout, Duration::from_secs(10));
        assert_eq!(limits.body_timeout, Duration::from_secs(30));
        for bad in [
            "max: 0",
            "maxPerClient: 0",
            "bodyTimeoutSeconds: 0",
            "headerTimeout: 5",
        ] {
            std::fs::write(&path, format!("connections: {{{bad}}}\n")).unwrap();
            let err = ApplianceConfig::load(&path).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("{}:1:", path.display())),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn the_fleet_section_reads_its_keys_and_refuses_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferry.yaml");
        std::fs::write(
            &path,
            "fleet: {database: 'postgres://ferry@db/fleet', key: keys/fleet.key, mirrorHost: mirror.enclave:5000, offlineAfterIntervals: 4}\n",
        )
        .unwrap();
        let c = ApplianceConfig::load(&path).unwrap();
        assert_eq!(
            c.fleet.database.as_deref(),
            Some("postgres://ferry@db/fleet")
        );
        assert_eq!(c.fleet.key, Some(dir.path().join("keys/fleet.key")));
        assert_eq!(c.fleet.mirror_host.as_deref(), Some("mirror.enclave:5000"));
        assert_eq!(c.fleet.offline_after_intervals.map(|n| n.get()), Some(4));
        for bad in ["offlineAfterIntervals: 0", "mirrorhost: x"] {
            std::fs::write(&path, format!("fleet: {{{bad}}}\n")).unwrap();
            assert!(ApplianceConfig::load(&path).is_err(), "{bad}");
        }
        assert_eq!(
            parse_mirror_host("mirror.enclave:5000").unwrap(),
            "mirror.enclave:5000"
        );
        for bad in ["", "a b", "http://x", "x/y", ":5000"] {
            assert!(parse_mirror_host(bad).is_err(), "{bad}");
        }
    }
}
