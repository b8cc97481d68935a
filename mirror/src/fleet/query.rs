//! Fleet queries: which clusters desire or run an image, which are affected by a list of
//! digests or references (a CVE list), which run a profile below a version, which have pending
//! updates.
//!
//! Image queries are index lookups (`matches`): the inverted keys (`keys`) give one page of the clusters
//! that match, by name, and then those clusters' running documents (`reports::containers`)
//! and rows of `desired_images` are read, so their cost follows the page, not the fleet. Deregistered
//! clusters are left out.

pub mod index;
pub mod keys;
mod matches;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::page::Page;
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

/// Which clusters desire and which run `reference` (a repository, `repository:tag`,
/// `repository@digest`, or a bare digest), one page of them.
pub async fn image(fleet: &Fleet, reference: &str, page: &Page) -> Result<ImageAnswer, FleetError> {
    let (l, query) = lookup(reference, &fleet.settings.mirror_host)?;
    let (mut found, next) = matches::matches(fleet, &[&l], page).await?;
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
    // Whether an entry is found anywhere does not hang on the page: asked at once.
    let ((found_all, next), anywhere) = tokio::try_join!(
        matches::matches(fleet, &all, page),
        matches::found_anywhere(fleet, &all)
    )?;
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
