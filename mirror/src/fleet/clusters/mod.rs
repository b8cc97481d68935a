//! Clusters and groups: the registry of clusters with their labels, groups as named label
//! selectors, each cluster's credential (only its sha256 is kept) and its bootstrap manifest.
//!
//! Deregistering keeps a cluster's row, labels and everything else keyed by its name (revisions,
//! reports, audit entries); only the credential goes. Registering the name again starts afresh
//! with a new credential and the history intact.

mod bootstrap;
mod credentials;
mod groups;
mod names;
mod selector;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

pub use bootstrap::{bootstrap_manifest, AGENT_IMAGE_REPOSITORY, NAMESPACE};
pub use credentials::{authenticate, rotate_credential, CREDENTIAL_USER_PREFIX};
pub use groups::{get_group, list_groups, put_group, Group};
pub use names::{check_cluster_name, check_labels, is_dns_label, parse_label};
pub use selector::{Selector, Term};

use super::{Fleet, FleetError};
use crate::audit::{append_in_any, events, Event};

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("{name:?} is no valid {what} name: expected a DNS-1123 label ([a-z0-9-], at most 63, starting and ending alphanumeric)")]
    InvalidName { what: &'static str, name: String },
    #[error("label {label:?}: {why}")]
    InvalidLabel { label: String, why: &'static str },
    #[error("cluster {name}: the report interval must be 10 to 86400 seconds, not {seconds}")]
    InvalidInterval { name: String, seconds: i64 },
    #[error("selector {selector:?}, at {position}: {why}")]
    Selector {
        selector: String,
        position: usize,
        why: String,
    },
    #[error("cluster {0} is registered already (deregister it first)")]
    Exists(String),
    #[error("no cluster {0}")]
    NotFound(String),
    #[error("cluster {0} is deregistered")]
    Deregistered(String),
    #[error("no group {0}")]
    GroupNotFound(String),
    #[error("the system's random source failed: {0}")]
    Random(String),
}

impl ClusterError {
    pub fn status(&self) -> StatusCode {
        match self {
            ClusterError::InvalidName { .. }
            | ClusterError::InvalidLabel { .. }
            | ClusterError::InvalidInterval { .. }
            | ClusterError::Selector { .. } => StatusCode::BAD_REQUEST,
            ClusterError::Exists(_) | ClusterError::Deregistered(_) => StatusCode::CONFLICT,
            ClusterError::NotFound(_) | ClusterError::GroupNotFound(_) => StatusCode::NOT_FOUND,
            ClusterError::Random(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A registered (or deregistered) cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// Unix seconds of the (latest) registration.
    pub registered_at: i64,
    /// Unix seconds of the deregistration; `None` while registered.
    pub deregistered_at: Option<i64>,
    /// How often its agent reports.
    pub report_interval_seconds: i64,
}

/// What registering gives, once: the credential in the clear and the bootstrap manifest.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    pub cluster: Cluster,
    /// The credential file's line, `cluster/<name>:<secret>`. Not stored; shown only now.
    pub credential: String,
    /// Multi-document YAML to apply in the cluster (Flux source, Kustomization, agent).
    pub bootstrap: String,
}

/// Default report interval of an agent.
pub const DEFAULT_REPORT_INTERVAL: i64 = 60;

fn check_interval(name: &str, seconds: i64) -> Result<(), ClusterError> {
    if (10..=86_400).contains(&seconds) {
        Ok(())
    } else {
        Err(ClusterError::InvalidInterval {
            name: name.to_owned(),
            seconds,
        })
    }
}

/// Registers `name` with `labels`, or registers a deregistered name again. Refused (409) while
/// the name is registered.
pub async fn register(
    fleet: &Fleet,
    name: &str,
    labels: &BTreeMap<String, String>,
    report_interval_seconds: i64,
    actor: &str,
) -> Result<Registered, FleetError> {
    check_cluster_name(name)?;
    check_labels(labels)?;
    check_interval(name, report_interval_seconds)?;
    let now = crate::store::now_unix();
    let (secret, secret_sha256) = credentials::new_secret()?;
    let mut tx = fleet.db.begin_write().await?;
    let existing: Option<Option<i64>> =
        sqlx::query_scalar("SELECT deregistered_at FROM clusters WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
    let again = match existing {
        Some(None) => return Err(ClusterError::Exists(name.to_owned()).into()),
        Some(Some(_)) => true,
        None => false,
    };
    if again {
        sqlx::query(
            "UPDATE clusters SET registered_at = $1, deregistered_at = NULL, report_interval_seconds = $2 WHERE name = $3",
        )
        .bind(now)
        .bind(report_interval_seconds)
        .bind(name)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO clusters (name, registered_at, deregistered_at, report_interval_seconds) VALUES ($1, $2, NULL, $3)",
        )
        .bind(name)
        .bind(now)
        .bind(report_interval_seconds)
        .execute(&mut *tx)
        .await?;
    }
    replace_labels(&mut tx, name, labels).await?;
    credentials::store_secret(&mut tx, name, &secret_sha256, now).await?;
    let event = Event::new(
        actor,
        events::FLEET_CLUSTER_REGISTERED,
        format!("cluster/{name}"),
        json!({"labels": labels, "reportIntervalSeconds": report_interval_seconds, "again": again}),
    );
    append_in_any(&mut tx, &event).await?;
    tx.commit().await?;
    let cluster = Cluster {
        name: name.to_owned(),
        labels: labels.clone(),
        registered_at: now,
        deregistered_at: None,
        report_interval_seconds,
    };
    let credential = credentials::credential_line(name, &secret);
    let bootstrap = bootstrap_manifest(fleet, &cluster, &credential);
    Ok(Registered {
        cluster,
        credential,
        bootstrap,
    })
}

async fn replace_labels(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    name: &str,
    labels: &BTreeMap<String, String>,
) -> Result<(), FleetError> {
    sqlx::query("DELETE FROM cluster_labels WHERE cluster = $1")
        .bind(name)
        .execute(&mut **tx)
        .await?;
    for (k, v) in labels {
        sqlx::query("INSERT INTO cluster_labels (cluster, key, value) VALUES ($1, $2, $3)")
            .bind(name)
            .bind(k)
            .bind(v)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Deregisters `name`: its credential stops working at once; everything else is kept.
pub async fn deregister(fleet: &Fleet, name: &str, actor: &str) -> Result<Cluster, FleetError> {
    check_cluster_name(name)?;
    let now = crate::store::now_unix();
    let mut tx = fleet.db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE clusters SET deregistered_at = $1 WHERE name = $2 AND deregistered_at IS NULL",
    )
    .bind(now)
    .bind(name)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing(&mut tx, name).await?.into());
    }
    sqlx::query("DELETE FROM cluster_credentials WHERE cluster = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    let event = Event::new(
        actor,
        events::FLEET_CLUSTER_DEREGISTERED,
        format!("cluster/{name}"),
        json!({}),
    );
    append_in_any(&mut tx, &event).await?;
    tx.commit().await?;
    get(fleet, name).await
}

/// Why a live cluster `name` was not found: it never was, or it is deregistered.
async fn missing(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    name: &str,
) -> Result<ClusterError, FleetError> {
    let known: Option<i64> =
        sqlx::query_scalar("SELECT registered_at FROM clusters WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(match known {
        Some(_) => ClusterError::Deregistered(name.to_owned()),
        None => ClusterError::NotFound(name.to_owned()),
    })
}

/// Replaces a registered cluster's labels.
pub async fn set_labels(
    fleet: &Fleet,
    name: &str,
    labels: &BTreeMap<String, String>,
    actor: &str,
) -> Result<Cluster, FleetError> {
    check_cluster_name(name)?;
    check_labels(labels)?;
    let mut tx = fleet.db.begin_write().await?;
    let live: Option<i64> = sqlx::query_scalar(
        "SELECT registered_at FROM clusters WHERE name = $1 AND deregistered_at IS NULL",
    )
    .bind(name)
    .fetch_optional(&mut *tx)
    .await?;
    if live.is_none() {
        return Err(missing(&mut tx, name).await?.into());
    }
    let before = labels_of(&mut tx, name).await?;
    replace_labels(&mut tx, name, labels).await?;
    let event = Event::new(
        actor,
        events::FLEET_CLUSTER_LABELS,
        format!("cluster/{name}"),
        json!({"before": before, "after": labels}),
    );
    append_in_any(&mut tx, &event).await?;
    tx.commit().await?;
    get(fleet, name).await
}

async fn labels_of(
    conn: &mut sqlx::AnyConnection,
    name: &str,
) -> Result<BTreeMap<String, String>, FleetError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT key, value FROM cluster_labels WHERE cluster = $1")
            .bind(name)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().collect())
}

/// A cluster, registered or deregistered.
pub async fn get(fleet: &Fleet, name: &str) -> Result<Cluster, FleetError> {
    check_cluster_name(name)?;
    let mut conn = fleet.db.pool().acquire().await?;
    let row = sqlx::query(
        "SELECT registered_at, deregistered_at, report_interval_seconds FROM clusters WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| ClusterError::NotFound(name.to_owned()))?;
    Ok(Cluster {
        name: name.to_owned(),
        registered_at: row.try_get(0)?,
        deregistered_at: row.try_get(1)?,
        report_interval_seconds: row.try_get(2)?,
        labels: labels_of(&mut conn, name).await?,
    })
}

/// Every registered cluster by name; with `all`, the deregistered ones too.
pub async fn list(fleet: &Fleet, all: bool) -> Result<Vec<Cluster>, FleetError> {
    let pool = fleet.db.pool();
    let rows = sqlx::query(
        "SELECT name, registered_at, deregistered_at, report_interval_seconds FROM clusters ORDER BY name",
    )
    .fetch_all(pool)
    .await?;
    let mut labels: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let label_rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT cluster, key, value FROM cluster_labels")
            .fetch_all(pool)
            .await?;
    for (cluster, k, v) in label_rows {
        labels.entry(cluster).or_default().insert(k, v);
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get(0)?;
        let deregistered_at: Option<i64> = row.try_get(2)?;
        if deregistered_at.is_some() && !all {
            continue;
        }
        out.push(Cluster {
            labels: labels.remove(&name).unwrap_or_default(),
            name,
            registered_at: row.try_get(1)?,
            deregistered_at,
            report_interval_seconds: row.try_get(3)?,
        });
    }
    Ok(out)
}

/// The names of the registered clusters `selector` matches, in name order.
pub async fn select(fleet: &Fleet, selector: &Selector) -> Result<Vec<String>, FleetError> {
    Ok(list(fleet, false)
        .await?
        .into_iter()
        .filter(|c| selector.matches(&c.labels))
        .map(|c| c.name)
        .collect())
}
