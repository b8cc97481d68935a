//! Clusters with a pending update: their desired revision was rendered from an older revision
//! of a profile version than the catalog's current one (an in-place revision arrived), their
//! assignment names versions the desired revision was not rendered from, or the revision they
//! applied is not the desired one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::fleet::page::Page;
use crate::fleet::{Fleet, FleetError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    pub cluster: String,
    pub reasons: Vec<String>,
}

/// One page of the clusters with pending updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PendingAnswer {
    pub clusters: Vec<Pending>,
    /// The last cluster of this page when more follow (ask again with `after` set to it).
    pub next: Option<String>,
}

/// Live clusters only.
const LIVE: &str = "JOIN clusters c ON c.name = t.cluster AND c.deregistered_at IS NULL";

/// The FROM and WHERE of each reason, about the clusters `t.cluster` after `$1`.
const REVISED: &str = "FROM desired_profiles t {LIVE}
    JOIN (SELECT name, version, MAX(revision) AS latest FROM profile_versions GROUP BY name, version) p
      ON p.name = t.profile AND p.version = t.version
    WHERE t.revision < p.latest AND t.cluster{B} > $1";
const UNPUBLISHED: &str = "FROM assignments t {LIVE}
    LEFT JOIN desired_profiles d ON d.cluster = t.cluster AND d.profile = t.profile
    WHERE (d.version IS NULL OR d.version <> t.version) AND t.cluster{B} > $1";
/// Read through `unapplied_clusters`, which lists these clusters: most of a fleet has applied
/// what it was given, and comparing every cluster's digests found that out the slow way.
const UNAPPLIED: &str =
    "FROM unapplied_clusters u JOIN desired_current t ON t.cluster = u.cluster {LIVE}
    LEFT JOIN cluster_reports r ON r.cluster = t.cluster
    WHERE (r.applied_digest IS NULL OR r.applied_digest <> t.digest)
      AND t.cluster{B} > $1";

fn sql(bytes: &str, select: &str, from_where: &str) -> sqlx::AssertSqlSafe<String> {
    let from_where = from_where.replace("{LIVE}", LIVE).replace("{B}", bytes);
    sqlx::AssertSqlSafe(format!("{select} {from_where}"))
}

/// One page of the clusters with a pending update. The page's clusters come first, from the
/// union of the three reasons' first clusters in name order (each reason stops at a page), then
/// each reason's rows for them.
pub async fn pending(fleet: &Fleet, page: &Page) -> Result<PendingAnswer, FleetError> {
    let mut conn = fleet.db.pool().acquire().await?;
    let after = page.after_bound();
    let bytes = fleet.db.backend().bytes();
    let limit = page.sql_limit();
    let names: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT q.cluster FROM ({}) q ORDER BY q.cluster{bytes} LIMIT {limit}",
        [REVISED, UNPUBLISHED, UNAPPLIED]
            .map(|w| {
                let first = sql(bytes, "SELECT t.cluster", w).0;
                format!("SELECT * FROM ({first} ORDER BY t.cluster{bytes} LIMIT {limit}) b")
            })
            .join(" UNION "),
    )))
    .bind(after)
    .fetch_all(&mut *conn)
    .await?;
    let (names, next) = page.cut(names, |n| n);
    let Some(last) = names.last() else {
        return Ok(PendingAnswer {
            clusters: Vec::new(),
            next: None,
        });
    };
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();

    let revised: Vec<(String, String, String, i64, i64)> = sqlx::query_as(sql(
        bytes,
        "SELECT t.cluster, t.profile, t.version, t.revision, p.latest",
        &format!("{REVISED} AND t.cluster{{B}} <= $2 ORDER BY t.cluster, t.profile"),
    ))
    .bind(after)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    for (cluster, profile, version, revision, current) in revised {
        out.entry(cluster).or_default().push(format!(
            "{profile}@{version} rendered from revision {revision}; the catalog has revision {current}"
        ));
    }

    let unpublished: Vec<(String, String, String, Option<String>)> = sqlx::query_as(sql(
        bytes,
        "SELECT t.cluster, t.profile, t.version, d.version",
        &format!("{UNPUBLISHED} AND t.cluster{{B}} <= $2 ORDER BY t.cluster, t.profile"),
    ))
    .bind(after)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    for (cluster, profile, version, published) in unpublished {
        let why = match published {
            Some(p) => format!("assigned {profile}@{version}; published {profile}@{p}"),
            None => format!("assigned {profile}@{version}; not published"),
        };
        out.entry(cluster).or_default().push(why);
    }

    let unapplied: Vec<(String, i64, Option<i64>)> = sqlx::query_as(sql(
        bytes,
        "SELECT t.cluster, t.revision, r.applied_revision",
        &format!("{UNAPPLIED} AND t.cluster{{B}} <= $2 ORDER BY t.cluster"),
    ))
    .bind(after)
    .bind(last)
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
    Ok(PendingAnswer {
        clusters: out
            .into_iter()
            .map(|(cluster, reasons)| Pending { cluster, reasons })
            .collect(),
        next,
    })
}
