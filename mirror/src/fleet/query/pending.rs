//! Clusters with a pending update: their desired revision was rendered from an older revision
//! of a profile version than the catalog's current one (an in-place revision arrived), their
//! assignment names versions the desired revision was not rendered from, or the revision they
//! applied is not the desired one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fleet::{Fleet, FleetError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    pub cluster: String,
    pub reasons: Vec<String>,
}

const LIVE: &str = "JOIN clusters c ON c.name = t.cluster AND c.deregistered_at IS NULL";

pub async fn pending(fleet: &Fleet) -> Result<Vec<Pending>, FleetError> {
    let mut conn = fleet.db.pool().acquire().await?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();

    let revised: Vec<(String, String, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.cluster, t.profile, t.version, t.revision, p.latest FROM desired_profiles t {LIVE}
         JOIN (SELECT name, version, MAX(revision) AS latest FROM profile_versions GROUP BY name, version) p
           ON p.name = t.profile AND p.version = t.version
         WHERE t.revision < p.latest"
    )))
    .fetch_all(&mut *conn)
    .await?;
    for (cluster, profile, version, revision, current) in revised {
        out.entry(cluster).or_default().push(format!(
            "{profile}@{version} rendered from revision {revision}; the catalog has revision {current}"
        ));
    }

    let unpublished: Vec<(String, String, String, Option<String>)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT t.cluster, t.profile, t.version, d.version FROM assignments t {LIVE}
         LEFT JOIN desired_profiles d ON d.cluster = t.cluster AND d.profile = t.profile
         WHERE d.version IS NULL OR d.version <> t.version"
        )))
        .fetch_all(&mut *conn)
        .await?;
    for (cluster, profile, version, published) in unpublished {
        let why = match published {
            Some(p) => format!("assigned {profile}@{version}; published {profile}@{p}"),
            None => format!("assigned {profile}@{version}; not published"),
        };
        out.entry(cluster).or_default().push(why);
    }

    let unapplied: Vec<(String, i64, Option<i64>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.cluster, t.revision, r.applied_revision FROM desired_current t {LIVE}
         LEFT JOIN cluster_reports r ON r.cluster = t.cluster
         WHERE r.applied_digest IS NULL OR r.applied_digest <> t.digest"
    )))
    .fetch_all(&mut *conn)
    .await?;
    for (cluster, desired, applied) in unapplied {
        let applied = applied.map_or_else(
            || "no known revision".to_owned(),
            |a| format!("revision {a}"),
        );
        out.entry(cluster)
            .or_default()
            .push(format!("revision {desired} desired; {applied} applied"));
    }
    Ok(out
        .into_iter()
        .map(|(cluster, reasons)| Pending { cluster, reasons })
        .collect())
}
