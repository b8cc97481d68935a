//! The users: an htpasswd file of bcrypt hashes, and `Authorization: Basic` credentials.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::{header, HeaderMap};
use base64::Engine as _;
use ferry_bundler::format::Digest;

#[derive(Debug, thiserror::Error)]
pub enum HtpasswdError {
    #[error("reading htpasswd file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("htpasswd file {path} line {line}: {reason}")]
    Line {
        path: PathBuf,
        line: usize,
        reason: &'static str,
    },
}

/// Users and their bcrypt hashes. Verified credentials are remembered (as a sha256 of
/// user and password, never the password) because bcrypt is deliberately slow and clients send
/// credentials with every request.
#[derive(Debug, Default)]
pub struct Htpasswd {
    users: HashMap<String, String>,
    verified: Mutex<HashSet<Digest>>,
    /// A hash of nothing at the file's cost, checked for unknown users so that they take as long
    /// as a wrong password: timing must not tell which names exist. Made on first use.
    dummy: Arc<OnceLock<String>>,
}

impl Htpasswd {
    pub fn load(path: &Path) -> Result<Self, HtpasswdError> {
        let text = std::fs::read_to_string(path).map_err(|e| HtpasswdError::Read {
            path: path.into(),
            source: e,
        })?;
        let mut users = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason| HtpasswdError::Line {
                path: path.into(),
                line: i + 1,
                reason,
            };
            let (user, hash) = line
                .split_once(':')
                .ok_or_else(|| err("expected user:hash"))?;
            if !(hash.starts_with("$2y$") || hash.starts_with("$2b$") || hash.starts_with("$2a$")) {
                return Err(err("only bcrypt hashes are accepted (htpasswd -B)"));
            }
            users.insert(user.to_owned(), hash.to_owned());
        }
        Ok(Self {
            users,
            verified: Mutex::new(HashSet::new()),
            dummy: Arc::default(),
        })
    }

    /// The bcrypt cost most of the file's users have (`$2b$12$…` is 12; a tie goes to the
    /// higher): an unknown name then takes as long as most known ones. Users hashed at another
    /// cost stand out by timing whatever the dummy's cost; rehash them at one cost.
    fn cost(&self) -> u32 {
        let mut counts = std::collections::BTreeMap::<u32, usize>::new();
        for cost in self
            .users
            .values()
            .filter_map(|h| h.get(4..6)?.parse().ok())
        {
            *counts.entry(cost).or_default() += 1;
        }
        counts
            .into_iter()
            .max_by_key(|&(cost, n)| (n, cost))
            .map_or(bcrypt::DEFAULT_COST, |(cost, _)| cost)
    }

    /// Whether `user` is in the file (the audit log tells unknown users from wrong passwords).
    pub fn has_user(&self, user: &str) -> bool {
        self.users.contains_key(user)
    }

    fn remembered_key(user: &str, password: &str, hash: &str) -> Digest {
        Digest::of_bytes(format!("{user}\0{password}\0{hash}").as_bytes())
    }

    /// Whether these credentials verified before (then [`Self::verify`] needs no bcrypt check).
    pub fn remembered(&self, user: &str, password: &str) -> bool {
        self.users.get(user).is_some_and(|hash| {
            let key = Self::remembered_key(user, password, hash);
            self.verified.lock().is_ok_and(|v| v.contains(&key))
        })
    }

    /// Checks a user's password. Why it failed is for the audit log, never for the client.
    pub async fn verify(&self, user: &str, password: &str) -> Result<(), LoginFailure> {
        let Some(hash) = self.users.get(user).cloned() else {
            let (dummy, cost, password) = (self.dummy.clone(), self.cost(), password.to_owned());
            let _ = tokio::task::spawn_blocking(move || {
                let hash = dummy.get_or_init(|| {
                    bcrypt::hash("", cost).unwrap_or_else(|_| String::from("$2b$04$invalid"))
                });
                bcrypt::verify(password, hash)
            })
            .await;
            return Err(LoginFailure::UnknownUser);
        };
        let key = Self::remembered_key(user, password, &hash);
        if self
            .verified
            .lock()
            .map(|v| v.contains(&key))
            .unwrap_or(false)
        {
            return Ok(());
        }
        let password = password.to_owned();
        let ok =
            tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
                .await
                .unwrap_or(false);
        if !ok {
            return Err(LoginFailure::WrongPassword);
        }
        if let Ok(mut v) = self.verified.lock() {
            // Bounded: a flood of distinct valid passwords cannot happen with few users, but be safe.
            if v.len() > 1024 {
                v.clear();
            }
            v.insert(key);
        }
        Ok(())
    }
}

/// Why presented credentials were refused (recorded in the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFailure {
    UnknownUser,
    WrongPassword,
    /// Not `Basic` credentials or a token this mirror issued, or they are malformed or expired.
    BadCredentials,
    /// Credentials were sent but this mirror has no users.
    NoUsers,
    /// The client or the user failed too often: refused unchecked, for `retry_after` seconds.
    Limited {
        retry_after: u64,
    },
}

impl LoginFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownUser => "unknown user",
            Self::WrongPassword => "wrong password",
            Self::BadCredentials => "malformed, invalid or expired credentials",
            Self::NoUsers => "no users are configured",
            Self::Limited { .. } => "too many failed logins",
        }
    }
}

/// `Authorization: Basic` credentials: `None` if absent or not basic, else user and password.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_users_are_checked_at_the_cost_most_users_have() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("htpasswd");
        let line = |user: &str, cost| format!("{user}:{}\n", bcrypt::hash("pw", cost).unwrap());
        std::fs::write(&path, [line("a", 4), line("b", 4), line("c", 5)].concat()).unwrap();
        assert_eq!(Htpasswd::load(&path).unwrap().cost(), 4);
        std::fs::write(&path, [line("a", 4), line("c", 5)].concat()).unwrap();
        assert_eq!(
            Htpasswd::load(&path).unwrap().cost(),
            5,
            "a tie goes to the higher cost"
        );
    }
}
