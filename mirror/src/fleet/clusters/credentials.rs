//! Cluster credentials: 32 random bytes, base64url without padding, shown once as the line
//! `cluster/<name>:<secret>`. Only the hex sha256 of the secret is stored: a leaked database
//! gives nobody a working credential, and a secret of 256 random bits needs no slow hash.

use base64::Engine as _;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::{check_cluster_name, ClusterError, Registered};
use crate::audit::{append_in_any, events, Event};
use crate::fleet::{Fleet, FleetError};

/// User names of cluster credentials start with this; what follows is the cluster's name.
pub const CREDENTIAL_USER_PREFIX: &str = "cluster/";

/// A fresh secret and its hex sha256.
pub(super) fn new_secret() -> Result<(String, String), ClusterError> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| ClusterError::Random(e.to_string()))?;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let hash = hex::encode(Sha256::digest(secret.as_bytes()));
    Ok((secret, hash))
}

pub(super) fn credential_line(name: &str, secret: &str) -> String {
    format!("{CREDENTIAL_USER_PREFIX}{name}:{secret}")
}

pub(super) async fn store_secret(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    name: &str,
    secret_sha256: &str,
    now: i64,
) -> Result<(), FleetError> {
    sqlx::query(
        "INSERT INTO cluster_credentials (cluster, secret_sha256, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (cluster) DO UPDATE SET secret_sha256 = excluded.secret_sha256, created_at = excluded.created_at",
    )
    .bind(name)
    .bind(secret_sha256)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Equal strings, in time that depends only on their lengths (both are 64 hex digits here).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The cluster whose credential `username` (`cluster/<name>`) and `secret` are, if they are one
/// of a registered cluster. `None` for anything else, without saying why: the caller counts it
/// as a failed login.
pub async fn authenticate(
    fleet: &Fleet,
    username: &str,
    secret: &str,
) -> Result<Option<String>, FleetError> {
    let Some(name) = username.strip_prefix(CREDENTIAL_USER_PREFIX) else {
        return Ok(None);
    };
    if check_cluster_name(name).is_err() || secret.len() > 256 {
        return Ok(None);
    }
    let presented = hex::encode(Sha256::digest(secret.as_bytes()));
    let stored: Option<String> = sqlx::query_scalar(
        "SELECT k.secret_sha256 FROM cluster_credentials k JOIN clusters c ON c.name = k.cluster \
         WHERE k.cluster = $1 AND c.deregistered_at IS NULL",
    )
    .bind(name)
    .fetch_optional(fleet.db.pool())
    .await?;
    // An unknown cluster is compared against a hash no secret has, so it takes as long.
    let stored = stored.unwrap_or_else(|| "-".repeat(64));
    Ok(constant_time_eq(presented.as_bytes(), stored.as_bytes()).then(|| name.to_owned()))
}

/// Gives a registered cluster a new credential; the old one stops working at once. Returns the
/// new credential and the bootstrap manifest carrying it.
pub async fn rotate_credential(
    fleet: &Fleet,
    name: &str,
    actor: &str,
) -> Result<Registered, FleetError> {
    check_cluster_name(name)?;
    let cluster = super::get(fleet, name).await?;
    if cluster.deregistered_at.is_some() {
        return Err(ClusterError::Deregistered(name.to_owned()).into());
    }
    let (secret, hash) = new_secret()?;
    let mut tx = fleet.db.begin_write().await?;
    store_secret(&mut tx, name, &hash, crate::store::now_unix()).await?;
    let event = Event::new(
        actor,
        events::FLEET_CLUSTER_CREDENTIAL,
        format!("cluster/{name}"),
        json!({"rotated": true}),
    );
    append_in_any(&mut tx, &event).await?;
    tx.commit().await?;
    let credential = credential_line(name, &secret);
    let bootstrap = super::bootstrap_manifest(fleet, &cluster, &credential);
    Ok(Registered {
        cluster,
        credential,
        bootstrap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_fresh_43_char_base64url_with_their_hash() {
        let (a, ha) = new_secret().unwrap();
        let (b, _) = new_secret().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(ha, hex::encode(Sha256::digest(a.as_bytes())));
        assert_eq!(
            credential_line("edge-07", &a),
            format!("cluster/edge-07:{a}")
        );
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
