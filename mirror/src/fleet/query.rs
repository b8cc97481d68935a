//! Fleet queries: which clusters desire or run an image, which are affected by a list of
//! digests or references (a CVE list), which run a profile below a version, which have pending
//! updates.
//!
//! Image queries are index lookups: the inverted keys (`keys`) give one page of the clusters
//! that match, by name, and then those clusters' running documents (`reports::containers`)
//! and rows of `desired_images` are read, so their cost follows the page, not the fleet. Deregistered
//! clusters are left out.

pub mod index;
pub mod keys;

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::page::Page;
use super::reports::containers;
use super::reports::images::{is_digest, split_reference, ImageName};
use super::{Fleet, FleetError};

/// Longest list `affected` takes.
pub const MAX_AFFECTED_ENTRIES: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("cluster {0} is not registered")]
    NotRegistered(String),
    #[error("{0:?} is not an image reference or digest")]
    Reference(String),
    #[error("{0:?} is not a semantic version")]
    Version(String),
    #[error("{0} entries asked about; at most {MAX_AFFECTED_ENTRIES} are")]
    TooMany(usize),
    #[error("a page of {0} clusters asked for; a page holds 1 to {max}", max = super::page::MAX_LIMIT)]
    Limit(usize),
}

impl QueryError {
    pub fn status(&self) -> StatusCode {
        match self {
            QueryError::NotRegistered(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DesiredMatch {
    pub profile: Option<String>,
    pub layer: Option<String>,
    pub reference: String,
    pub digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunningMatch {
    pub reference: String,
    pub digest: Option<String>,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub ready: bool,
}

/// One cluster that desires or runs what was asked about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageCluster {
    pub cluster: String,
    pub desired: Vec<DesiredMatch>,
    pub running: Vec<RunningMatch>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageAnswer {
    /// What was looked up: `repository[:tag][@digest]`, normalised, or a bare digest.
    pub query: String,
    pub clusters: Vec<ImageCluster>,
    /// The last cluster of this page when more follow (ask again with `after` set to it).
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AffectedAnswer {
    /// Per cluster: each entry of the list it desires or runs.
    pub clusters: Vec<AffectedCluster>,
    /// Entries no cluster desires or runs (in the whole fleet, not only this page).
    pub unmatched: Vec<String>,
    /// The last cluster of this page when more follow (ask again with `after` set to it).
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AffectedCluster {
    pub cluster: String,
    pub matches: Vec<AffectedMatch>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AffectedMatch {
    pub entry: String,
    pub desired: Vec<DesiredMatch>,
    pub running: Vec<RunningMatch>,
}

/// What an image query matches: a repository, optionally narrowed to a tag and a digest, or a
/// digest in any repository.
#[derive(Debug, Clone)]
enum Lookup {
    Image(ImageName),
    Digest(String),
}

fn lookup(entry: &str, mirror_host: &str) -> Result<(Lookup, String), QueryError> {
    let entry = entry.trim();
    if is_digest(entry) {
        return Ok((Lookup::Digest(entry.to_owned()), entry.to_owned()));
    }
    let name = split_reference(entry, mirror_host)
        .filter(|n| n.digest.as_deref().is_none_or(is_digest))
        .ok_or_else(|| QueryError::Reference(entry.chars().take(200).collect()))?;
    let mut shown = name.repository.clone();
    if let Some(t) = &name.tag {
        shown = format!("{shown}:{t}");
    }
    if let Some(d) = &name.digest {
        shown = format!("{shown}@{d}");
    }
    Ok((Lookup::Image(name), shown))
}

/// Lookups per query in `affected`: 3 binds each at most.
const LOOKUPS_PER_QUERY: usize = 50;

/// The WHERE condition of a lookup on a table aliased `alias`, its binds numbered from
/// `first` (the same numbers serve both aliases of one query).
fn condition(l: &Lookup, alias: &str, first: usize) -> (String, Vec<String>) {
    match l {
        Lookup::Digest(d) => (format!("{alias}.digest = ${first}"), vec![d.clone()]),
        Lookup::Image(n) => {
            let mut conds = vec![format!("{alias}.repository = ${first}")];
            let mut binds = vec![n.repository.clone()];
            if let Some(t) = &n.tag {
                conds.push(format!("{alias}.tag = ${}", first + binds.len()));
                binds.push(t.clone());
            }
            if let Some(d) = &n.digest {
                conds.push(format!("{alias}.digest = ${}", first + binds.len()));
                binds.push(d.clone());
            }
            (conds.join(" AND "), binds)
        }
    }
}

/// One SELECT per lookup, tagged with its position and joined by UNION ALL: the keys table
/// `keys` (aliased `k`) is read first, by its digest or repository index, and each key of a
/// cluster in (`$lo`, `$hi`] leads to the rows of `rows` (aliased `t`) it was made from, in that
/// cluster's index. The joins are CROSS JOINs so that SQLite keeps that order (PostgreSQL plans
/// them as inner joins).
fn union_sql(
    bytes: &str,
    lookups: &[&Lookup],
    columns: &str,
    rows: &str,
    keys: &str,
    order: &str,
) -> (String, Vec<String>) {
    let mut parts = Vec::new();
    let mut binds = Vec::new();
    let (lo, hi) = (1, 2);
    for (i, l) in lookups.iter().enumerate() {
        let (on_k, b) = condition(l, "k", binds.len() + 3);
        binds.extend(b);
        parts.push(format!(
            "SELECT CAST({i} AS BIGINT) AS entry, {columns}
             FROM {keys} k CROSS JOIN {rows} t CROSS JOIN clusters c
             WHERE {on_k} AND k.cluster{bytes} > ${lo} AND k.cluster{bytes} <= ${hi}
               AND t.cluster = k.cluster AND t.repository = k.repository
               AND COALESCE(t.tag, '') = k.tag AND COALESCE(t.digest, '') = k.digest
               AND c.name = t.cluster AND c.deregistered_at IS NULL"
        ));
    }
    (
        format!("{} ORDER BY {order}", parts.join(" UNION ALL ")),
        binds,
    )
}

/// The live clusters any of `lookups` finds in either keys table after `page.after`, in name
/// order, at most one beyond the page: only keys are read, from their indexes.
async fn page_clusters(
    conn: &mut sqlx::AnyConnection,
    bytes: &str,
    lookups: &[&Lookup],
    page: &Page,
) -> Result<Vec<String>, FleetError> {
    let mut found: Vec<String> = Vec::new();
    for chunk in lookups.chunks(LOOKUPS_PER_QUERY) {
        let mut parts = Vec::new();
        let mut binds = vec![page.after_bound().to_owned()];
        for l in chunk {
            let (on_k, b) = condition(l, "k", binds.len() + 1);
            binds.extend(b);
            for keys in ["desired_image_keys", "running_image_keys"] {
                parts.push(format!(
                    "SELECT k.cluster FROM {keys} k WHERE {on_k} AND k.cluster{bytes} > $1"
                ));
            }
        }
        let sql = format!(
            "SELECT m.cluster FROM ({}) m CROSS JOIN clusters c
             WHERE c.name = m.cluster AND c.deregistered_at IS NULL
             ORDER BY m.cluster{bytes} LIMIT {}",
            parts.join(" UNION "),
            page.sql_limit()
        );
        let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for b in &binds {
            q = q.bind(b);
        }
        found.extend(q.fetch_all(&mut *conn).await?);
    }
    // Both backends order by bytes (`Backend::bytes`), as Rust does.
    found.sort();
    found.dedup();
    found.truncate(page.limit.saturating_add(1));
    Ok(found)
}

/// Which of `lookups` (by position) some live cluster desires or runs, in the whole fleet.
async fn found_anywhere(
    conn: &mut sqlx::AnyConnection,
    lookups: &[&Lookup],
) -> Result<Vec<bool>, FleetError> {
    let mut out = vec![false; lookups.len()];
    for (n, chunk) in lookups.chunks(LOOKUPS_PER_QUERY).enumerate() {
        let mut parts = Vec::new();
        let mut binds = Vec::new();
        for (i, l) in chunk.iter().enumerate() {
            let (on_k, b) = condition(l, "k", binds.len() + 1);
            binds.extend(b);
            let exists = |keys: &str| {
                format!(
                    "EXISTS (SELECT 1 FROM {keys} k CROSS JOIN clusters c
                     WHERE {on_k} AND c.name = k.cluster AND c.deregistered_at IS NULL)"
                )
            };
            parts.push(format!(
                "SELECT CAST({i} AS BIGINT) AS entry WHERE {} OR {}",
                exists("desired_image_keys"),
                exists("running_image_keys")
            ));
        }
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(parts.join(" UNION ALL ")));
        for b in &binds {
            q = q.bind(b);
        }
        for i in q.fetch_all(&mut *conn).await? {
            out[n * LOOKUPS_PER_QUERY + i as usize] = true;
        }
    }
    Ok(out)
}

/// Like [`union_sql`] for the running keys alone: (lookup, cluster, repository, tag, digest) of
/// the live clusters in (`$1`, `$2`].
fn running_keys_sql(bytes: &str, lookups: &[&Lookup]) -> (String, Vec<String>) {
    let mut parts = Vec::new();
    let mut binds = Vec::new();
    for (i, l) in lookups.iter().enumerate() {
        let (on_k, b) = condition(l, "k", binds.len() + 3);
        binds.extend(b);
        parts.push(format!(
            "SELECT CAST({i} AS BIGINT) AS entry, k.cluster, k.repository, k.tag, k.digest
             FROM running_image_keys k CROSS JOIN clusters c
             WHERE {on_k} AND k.cluster{bytes} > $1 AND k.cluster{bytes} <= $2
               AND c.name = k.cluster AND c.deregistered_at IS NULL"
        ));
    }
    (
        format!("{} ORDER BY 2, 1", parts.join(" UNION ALL ")),
        binds,
    )
}

/// One page of the clusters that desire or run any of `lookups`: per lookup, those clusters
/// by name, and where the next page starts.
async fn matches(
    fleet: &Fleet,
    lookups: &[&Lookup],
    page: &Page,
) -> Result<(Vec<Vec<ImageCluster>>, Option<String>), FleetError> {
    let mut found: Vec<BTreeMap<String, ImageCluster>> = vec![BTreeMap::new(); lookups.len()];
    let mut conn = fleet.db.pool().acquire().await?;
    let bytes = fleet.db.backend().bytes();
    let (clusters, next) = page.cut(page_clusters(&mut conn, bytes, lookups, page).await?, |c| c);
    let Some(last) = clusters.last() else {
        return Ok((vec![Vec::new(); lookups.len()], None));
    };
    let range = [page.after_bound().to_owned(), last.clone()];
    // (lookup, cluster, key) of every running key found.
    let mut running_keys: Vec<(usize, String, containers::Key)> = Vec::new();
    for (n, chunk) in lookups.chunks(LOOKUPS_PER_QUERY).enumerate() {
        let base = n * LOOKUPS_PER_QUERY;
        let (sql, binds) = union_sql(
            bytes,
            chunk,
            "t.cluster, t.profile, t.layer, t.reference, t.digest",
            "desired_images",
            "desired_image_keys",
            "1, 2, 3, 4, 5",
        );
        let mut q = sqlx::query_as::<
            _,
            (i64, String, Option<String>, Option<String>, String, String),
        >(sqlx::AssertSqlSafe(sql));
        for b in range.iter().chain(&binds) {
            q = q.bind(b);
        }
        for (entry, cluster, profile, layer, reference, digest) in q.fetch_all(&mut *conn).await? {
            found[base + entry as usize]
                .entry(cluster)
                .or_default()
                .desired
                .push(DesiredMatch {
                    profile,
                    layer,
                    reference,
                    digest,
                });
        }
        let (sql, binds) = running_keys_sql(bytes, chunk);
        let mut q =
            sqlx::query_as::<_, (i64, String, String, String, String)>(sqlx::AssertSqlSafe(sql));
        for b in range.iter().chain(&binds) {
            q = q.bind(b);
        }
        for (entry, cluster, repository, tag, digest) in q.fetch_all(&mut *conn).await? {
            running_keys.push((base + entry as usize, cluster, (repository, tag, digest)));
        }
    }
    // The containers behind those keys, from the documents of the page's clusters alone.
    let mut wanted: BTreeMap<&str, BTreeSet<containers::Key>> = BTreeMap::new();
    for (_, cluster, key) in &running_keys {
        wanted.entry(cluster).or_default().insert(key.clone());
    }
    let mut groups: BTreeMap<(String, containers::Key), Vec<containers::Container>> =
        BTreeMap::new();
    if !wanted.is_empty() {
        let marks: Vec<String> = (1..=wanted.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT cluster, doc FROM running_docs WHERE cluster IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
        for cluster in wanted.keys() {
            q = q.bind(*cluster);
        }
        for (cluster, doc) in q.fetch_all(&mut *conn).await? {
            for (key, group) in containers::read(&doc, wanted.get(cluster.as_str())) {
                groups.insert((cluster.clone(), key), group);
            }
        }
    }
    for (entry, cluster, key) in running_keys {
        let Some(group) = groups.get(&(cluster.clone(), key.clone())) else {
            continue;
        };
        let running = &mut found[entry].entry(cluster).or_default().running;
        running.extend(group.iter().map(|c| RunningMatch {
            reference: c.reference.clone(),
            digest: (!key.2.is_empty()).then(|| key.2.clone()),
            namespace: c.namespace.clone(),
            pod: c.pod.clone(),
            container: c.container.clone(),
            ready: c.ready,
        }));
    }
    for c in found
        .iter_mut()
        .flat_map(|by_cluster| by_cluster.values_mut())
    {
        c.running.sort_by(|a, b| {
            (&a.namespace, &a.pod, &a.container).cmp(&(&b.namespace, &b.pod, &b.container))
        });
    }
    let per_lookup = found
        .into_iter()
        .map(|by_cluster| {
            by_cluster
                .into_iter()
                .map(|(cluster, mut c)| {
                    c.cluster = cluster;
                    c
                })
                .collect()
        })
        .collect();
    Ok((per_lookup, next))
}

/// Which clusters desire and which run `reference` (a repository, `repository:tag`,
/// `repository@digest`, or a bare digest), one page of them.
pub async fn image(fleet: &Fleet, reference: &str, page: &Page) -> Result<ImageAnswer, FleetError> {
    let (l, query) = lookup(reference, &fleet.settings.mirror_host)?;
    let (mut found, next) = matches(fleet, &[&l], page).await?;
    Ok(ImageAnswer {
        query,
        clusters: found.remove(0),
        next,
    })
}

/// The entries of a CVE list file: one digest or reference per line, `#` starts a comment.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split_once('#').map_or(l, |(before, _)| before).trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Which clusters desire or run any of `entries` (digests or references), one page of them.
pub async fn affected(
    fleet: &Fleet,
    entries: &[String],
    page: &Page,
) -> Result<AffectedAnswer, FleetError> {
    if entries.len() > MAX_AFFECTED_ENTRIES {
        return Err(QueryError::TooMany(entries.len()).into());
    }
    let lookups = entries
        .iter()
        .map(|e| lookup(e, &fleet.settings.mirror_host))
        .collect::<Result<Vec<_>, _>>()?;
    let mut by_cluster: BTreeMap<String, Vec<AffectedMatch>> = BTreeMap::new();
    let mut unmatched = Vec::new();
    let all: Vec<&Lookup> = lookups.iter().map(|(l, _)| l).collect();
    let (found_all, next) = matches(fleet, &all, page).await?;
    let anywhere = {
        let mut conn = fleet.db.pool().acquire().await?;
        found_anywhere(&mut conn, &all).await?
    };
    for (((_, shown), found), anywhere) in lookups.iter().zip(found_all).zip(anywhere) {
        if !anywhere {
            unmatched.push(shown.clone());
        }
        for c in found {
            by_cluster
                .entry(c.cluster)
                .or_default()
                .push(AffectedMatch {
                    entry: shown.clone(),
                    desired: c.desired,
                    running: c.running,
                });
        }
    }
    Ok(AffectedAnswer {
        clusters: by_cluster
            .into_iter()
            .map(|(cluster, matches)| AffectedCluster { cluster, matches })
            .collect(),
        unmatched,
        next,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileBelow {
    pub cluster: String,
    /// The version assigned (what the cluster is to run).
    pub assigned: Option<String>,
    /// The version its current desired revision was rendered from (what it was given).
    pub published: Option<String>,
}

/// Clusters whose assigned or published version of profile `name` is below `below` (semver).
pub async fn profile_below(
    fleet: &Fleet,
    name: &str,
    below: &str,
) -> Result<Vec<ProfileBelow>, FleetError> {
    let limit = semver::Version::parse(below.trim_start_matches('v'))
        .map_err(|_| QueryError::Version(below.chars().take(100).collect()))?;
    let lower =
        |v: &str| semver::Version::parse(v.trim_start_matches('v')).is_ok_and(|v| v < limit);
    let live = "JOIN clusters c ON c.name = t.cluster AND c.deregistered_at IS NULL";
    let mut conn = fleet.db.pool().acquire().await?;
    let assigned: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.cluster, t.version FROM assignments t {live} WHERE t.profile = $1"
    )))
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let mut conn = fleet.db.pool().acquire().await?;
    let published: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.cluster, t.version FROM desired_profiles t {live} WHERE t.profile = $1"
    )))
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<String, ProfileBelow> = BTreeMap::new();
    for (c, v) in assigned {
        out.entry(c.clone())
            .or_insert_with(|| ProfileBelow {
                cluster: c,
                assigned: None,
                published: None,
            })
            .assigned = Some(v);
    }
    for (c, v) in published {
        out.entry(c.clone())
            .or_insert_with(|| ProfileBelow {
                cluster: c,
                assigned: None,
                published: None,
            })
            .published = Some(v);
    }
    Ok(out
        .into_values()
        .filter(|p| {
            p.assigned.as_deref().is_some_and(lower) || p.published.as_deref().is_some_and(lower)
        })
        .collect())
}

mod pending;
pub use pending::{pending, Pending, PendingAnswer};
