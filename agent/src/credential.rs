//! The cluster's credential file: one line `cluster/<name>:<secret>`, as `ferry fleet cluster
//! add` prints it. The pair is the agent's HTTP Basic login, and sha256(secret) keys the
//! report's MAC.

use std::path::Path;

use ferry_bundler::format::report::{is_valid_cluster_name, secret_sha256};

/// The prefix of a cluster's user name.
pub const USER_PREFIX: &str = "cluster/";

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("reading credential file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("credential file {path}: {reason}; expected one line cluster/<name>:<secret>")]
    Shape { path: String, reason: String },
}

#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub cluster: String,
    secret: String,
}

/// The secret stays out of logs and panics.
impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("cluster", &self.cluster)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Credential {
    pub fn new(cluster: &str, secret: &str) -> Self {
        Self {
            cluster: cluster.to_owned(),
            secret: secret.to_owned(),
        }
    }

    /// Reads and parses a credential file; errors name the file.
    pub fn read(path: &Path) -> Result<Self, CredentialError> {
        let text = std::fs::read_to_string(path).map_err(|e| CredentialError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::parse(&text).map_err(|reason| CredentialError::Shape {
            path: path.display().to_string(),
            reason,
        })
    }

    /// `cluster/<name>:<secret>`, surrounding white space (a trailing newline) ignored.
    pub fn parse(text: &str) -> Result<Self, String> {
        let line = text.trim();
        if line.is_empty() {
            return Err("the file is empty".into());
        }
        if line.lines().count() > 1 {
            return Err("it has more than one line".into());
        }
        let Some(rest) = line.strip_prefix(USER_PREFIX) else {
            return Err(format!("it does not start with {USER_PREFIX:?}"));
        };
        let Some((cluster, secret)) = rest.split_once(':') else {
            return Err("there is no ':' between the cluster name and the secret".into());
        };
        if !is_valid_cluster_name(cluster) {
            return Err(format!(
                "{cluster:?} is not a cluster name (a DNS-1123 label: lower-case letters, digits and '-', at most 63)"
            ));
        }
        // The secret is base64url; anything else is a copy-and-paste accident.
        if secret.is_empty()
            || !secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "the secret of cluster {cluster} is empty or not base64url (A-Z a-z 0-9 - _)"
            ));
        }
        Ok(Self::new(cluster, secret))
    }

    /// The HTTP Basic user name, `cluster/<name>`.
    pub fn username(&self) -> String {
        format!("{USER_PREFIX}{}", self.cluster)
    }

    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The report MAC's key.
    pub fn mac_key(&self) -> [u8; 32] {
        secret_sha256(&self.secret)
    }

    /// The Basic pair for [`crate::client::ApiClient::new`].
    pub fn basic(&self) -> (String, String) {
        (self.username(), self.secret.clone())
    }
}
