//! The profile catalog: every profile version an imported bundle carries, as immutable
//! revisions of `NAME@VERSION`.
//!
//! A version seen for the first time is revision 1. The same name and version arriving with a
//! different definition digest is an in-place revision (N+1), as Palette has them: the clusters
//! assigned to that version then have a pending update until their desired state is
//! published again. A definition already recorded (any revision) changes nothing, so that two
//! active bundles carrying different content for one version do not flip it back and forth on
//! every sync; the first seen wins until new content arrives.

mod diff;
mod follow;
mod profile_ref;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use ferry_bundler::format::digest::Digest;
use ferry_bundler::format::profile_definition::ProfileDefinition;
use serde::Serialize;

pub use diff::{diff, ChartChange, ImageChange, ImagesDiff, LayerDiff, ProfileDiff, ValueChange};
pub use follow::{spawn_follow, SYNC_ACTOR};
pub use profile_ref::ProfileRef;

use super::{Fleet, FleetError};
use crate::audit::{self, events, Event};

/// Profile types a definition may have; an infra or full profile is a cluster's base.
pub const PROFILE_TYPES: &[&str] = &["infra", "add-on", "full"];

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("profile version {0} is not in the catalog")]
    UnknownVersion(ProfileRef),
    #[error("{0:?} is not a profile reference: expected NAME@VERSION (edge-infra@1.2.0)")]
    BadRef(String),
    #[error("profile {profile}: {reason}")]
    BadDefinition { profile: String, reason: String },
    #[error(
        "profile version {profile} revision {revision}: stored definition is unreadable: {reason}"
    )]
    Corrupt {
        profile: ProfileRef,
        revision: i64,
        reason: String,
    },
}

impl CatalogError {
    pub fn status(&self) -> StatusCode {
        match self {
            CatalogError::UnknownVersion(_) => StatusCode::NOT_FOUND,
            CatalogError::BadRef(_) => StatusCode::BAD_REQUEST,
            CatalogError::BadDefinition { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            CatalogError::Corrupt { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// One revision of a profile version, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileVersion {
    pub name: String,
    pub version: String,
    pub revision: i64,
    pub profile_type: String,
    pub digest: Digest,
    pub definition: ProfileDefinition,
    /// The bundle manifest it came from.
    pub bundle: String,
    pub created_at: i64,
}

impl ProfileVersion {
    pub fn profile_ref(&self) -> ProfileRef {
        ProfileRef {
            name: self.name.clone(),
            version: self.version.clone(),
        }
    }
}

/// What [`record_definition`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recorded {
    pub name: String,
    pub version: String,
    pub revision: i64,
    #[schema(value_type = String)]
    pub digest: Digest,
    pub outcome: Outcome,
    /// Clusters on this version whose desired state was rendered from an older revision.
    pub pending_clusters: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// First sight of NAME@VERSION: revision 1.
    NewVersion,
    /// Known version, new content: an in-place revision.
    Revision,
    /// This definition is recorded already.
    Unchanged,
}

/// Records `def` from `bundle` (a bundle manifest digest) in the catalog.
pub async fn record_definition(
    fleet: &Fleet,
    bundle: &Digest,
    def: &ProfileDefinition,
    actor: &str,
) -> Result<Recorded, FleetError> {
    let profile = validate(def)?;
    let digest = def.digest();
    let mut tx = fleet.db.begin_write().await?;
    let known: Vec<(i64, String)> = sqlx::query_as(
        "SELECT revision, definition_digest FROM profile_versions
         WHERE name = $1 AND version = $2 ORDER BY revision",
    )
    .bind(&profile.name)
    .bind(&profile.version)
    .fetch_all(&mut *tx)
    .await?;
    let recorded = |revision, outcome| Recorded {
        name: profile.name.clone(),
        version: profile.version.clone(),
        revision,
        digest: digest.clone(),
        outcome,
        pending_clusters: Vec::new(),
    };
    if let Some((revision, _)) = known.iter().find(|(_, d)| *d == digest.to_string()) {
        tx.rollback().await?;
        return Ok(recorded(*revision, Outcome::Unchanged));
    }
    let previous = known.last().cloned();
    let revision = previous.as_ref().map_or(1, |(r, _)| r + 1);
    sqlx::query(
        "INSERT INTO profile_versions
         (name, version, revision, profile_type, definition_digest, definition, bundle, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&profile.name)
    .bind(&profile.version)
    .bind(revision)
    .bind(&def.profile_type)
    .bind(digest.to_string())
    .bind(String::from_utf8(def.to_vec()).expect("JSON is UTF-8"))
    .bind(bundle.to_string())
    .bind(crate::store::now_unix())
    .execute(&mut *tx)
    .await?;
    let (action, outcome, detail) = match &previous {
        None => (
            events::FLEET_PROFILE_VERSION,
            Outcome::NewVersion,
            serde_json::json!({"revision": revision, "digest": digest.to_string(),
                "bundle": bundle.to_string(), "type": def.profile_type}),
        ),
        Some((_, before)) => (
            events::FLEET_PROFILE_REVISION,
            Outcome::Revision,
            serde_json::json!({"revision": revision, "digest": digest.to_string(),
                "previousDigest": before, "bundle": bundle.to_string()}),
        ),
    };
    audit::append_in_any(
        &mut tx,
        &Event::new(actor, action, format!("profile/{profile}"), detail),
    )
    .await?;
    tx.commit().await?;
    let mut out = recorded(revision, outcome);
    if outcome == Outcome::Revision {
        out.pending_clusters = pending_clusters(fleet, &profile.name, &profile.version).await?;
    }
    Ok(out)
}

/// Records every definition in `defs` (bundle digest, definition), in order.
pub async fn record_all(
    fleet: &Fleet,
    defs: impl IntoIterator<Item = (Digest, ProfileDefinition)>,
    actor: &str,
) -> Result<Vec<Recorded>, FleetError> {
    let mut out = Vec::new();
    for (bundle, def) in defs {
        out.push(record_definition(fleet, &bundle, &def, actor).await?);
    }
    Ok(out)
}

/// The catalog brought up to date with every active bundle's profile definitions.
pub async fn sync(fleet: &Fleet, actor: &str) -> Result<Vec<Recorded>, FleetError> {
    let defs = fleet.store.profile_definitions().await?;
    record_all(
        fleet,
        defs.into_iter().map(|d| (d.bundle, d.definition)),
        actor,
    )
    .await
}

fn validate(def: &ProfileDefinition) -> Result<ProfileRef, CatalogError> {
    let profile = ProfileRef::new(&def.name, &def.version)?;
    if !PROFILE_TYPES.contains(&def.profile_type.as_str()) {
        return Err(CatalogError::BadDefinition {
            profile: profile.to_string(),
            reason: format!(
                "type {:?} is not one of {}",
                def.profile_type,
                PROFILE_TYPES.join(", ")
            ),
        });
    }
    let mut layers = std::collections::BTreeSet::new();
    for layer in &def.layers {
        if !layers.insert(layer.name.as_str()) {
            return Err(CatalogError::BadDefinition {
                profile: profile.to_string(),
                reason: format!("layer {:?} appears twice", layer.name),
            });
        }
    }
    let mut variables = std::collections::BTreeSet::new();
    for var in &def.variables {
        if let Err(e) = super::variables::check_name(&var.name) {
            return Err(CatalogError::BadDefinition {
                profile: profile.to_string(),
                reason: e.to_string(),
            });
        }
        if !variables.insert(var.name.as_str()) {
            return Err(CatalogError::BadDefinition {
                profile: profile.to_string(),
                reason: format!("variable {:?} is declared twice", var.name),
            });
        }
        if let Some(pattern) = &var.pattern {
            if let Err(e) = super::variables::compile_pattern(pattern) {
                return Err(CatalogError::BadDefinition {
                    profile: profile.to_string(),
                    reason: format!("variable {}: pattern {pattern:?}: {e}", var.name),
                });
            }
        }
    }
    Ok(profile)
}

type Row = (String, String, i64, String, String, String, String, i64);

const COLUMNS: &str =
    "name, version, revision, profile_type, definition_digest, definition, bundle, created_at";

fn from_row(row: Row) -> Result<ProfileVersion, CatalogError> {
    let (name, version, revision, profile_type, digest, definition, bundle, created_at) = row;
    let corrupt = |reason: String| CatalogError::Corrupt {
        profile: ProfileRef {
            name: name.clone(),
            version: version.clone(),
        },
        revision,
        reason,
    };
    let digest = Digest::parse(&digest).map_err(|e| corrupt(e.to_string()))?;
    let definition =
        ProfileDefinition::from_slice(definition.as_bytes()).map_err(|e| corrupt(e.to_string()))?;
    Ok(ProfileVersion {
        name,
        version,
        revision,
        profile_type,
        digest,
        definition,
        bundle,
        created_at,
    })
}

/// The current (highest) revision of NAME@VERSION.
pub async fn current(
    fleet: &Fleet,
    name: &str,
    version: &str,
) -> Result<ProfileVersion, FleetError> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM profile_versions WHERE name = $1 AND version = $2
         ORDER BY revision DESC LIMIT 1"
    )))
    .bind(name)
    .bind(version)
    .fetch_optional(fleet.db.pool())
    .await?;
    match row {
        Some(row) => Ok(from_row(row)?),
        None => Err(CatalogError::UnknownVersion(ProfileRef {
            name: name.to_owned(),
            version: version.to_owned(),
        })
        .into()),
    }
}

/// Every revision of NAME@VERSION, oldest first (empty when the version is unknown).
pub async fn revisions(
    fleet: &Fleet,
    name: &str,
    version: &str,
) -> Result<Vec<ProfileVersion>, FleetError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM profile_versions WHERE name = $1 AND version = $2 ORDER BY revision"
    )))
    .bind(name)
    .bind(version)
    .fetch_all(fleet.db.pool())
    .await?;
    Ok(rows.into_iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The current revision of every profile version, by name and then version (semantic
/// versions in their order, others after them by text).
pub async fn list(fleet: &Fleet) -> Result<Vec<ProfileVersion>, FleetError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM profile_versions p WHERE revision =
           (SELECT MAX(q.revision) FROM profile_versions q
            WHERE q.name = p.name AND q.version = p.version)"
    )))
    .fetch_all(fleet.db.pool())
    .await?;
    let mut out: Vec<ProfileVersion> = rows.into_iter().map(from_row).collect::<Result<_, _>>()?;
    out.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| version_order(&a.version, &b.version))
    });
    Ok(out)
}

fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// A profile version with all its revisions and the clusters with a pending update.
#[derive(Debug, Clone)]
pub struct Shown {
    pub current: ProfileVersion,
    pub revisions: Vec<ProfileVersion>,
    pub assigned_clusters: Vec<String>,
    pub pending_clusters: Vec<String>,
}

pub async fn show(fleet: &Fleet, name: &str, version: &str) -> Result<Shown, FleetError> {
    let current = current(fleet, name, version).await?;
    Ok(Shown {
        revisions: revisions(fleet, name, version).await?,
        assigned_clusters: assigned_clusters(fleet, name, version).await?,
        pending_clusters: pending_clusters(fleet, name, version).await?,
        current,
    })
}

/// Clusters assigned NAME@VERSION, by name.
pub async fn assigned_clusters(
    fleet: &Fleet,
    name: &str,
    version: &str,
) -> Result<Vec<String>, FleetError> {
    Ok(sqlx::query_scalar(
        "SELECT cluster FROM assignments WHERE profile = $1 AND version = $2 ORDER BY cluster",
    )
    .bind(name)
    .bind(version)
    .fetch_all(fleet.db.pool())
    .await?)
}

/// Clusters assigned NAME@VERSION whose current desired revision was rendered from an older
/// revision of it, by name. The desired-state helper records each revision's inputs
/// (`desired_revisions.inputs`: `{profiles: [{name, version, revision, …}]}`); a cluster with no
/// published revision yet is not pending (it has nothing to update from).
pub async fn pending_clusters(
    fleet: &Fleet,
    name: &str,
    version: &str,
) -> Result<Vec<String>, FleetError> {
    let current_revision: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(revision) FROM profile_versions WHERE name = $1 AND version = $2",
    )
    .bind(name)
    .bind(version)
    .fetch_one(fleet.db.pool())
    .await?;
    let Some(current_revision) = current_revision else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.cluster, r.inputs FROM assignments a
         JOIN desired_current c ON c.cluster = a.cluster
         JOIN desired_revisions r ON r.cluster = c.cluster AND r.revision = c.revision
         WHERE a.profile = $1 AND a.version = $2 ORDER BY a.cluster",
    )
    .bind(name)
    .bind(version)
    .fetch_all(fleet.db.pool())
    .await?;
    let mut pending = Vec::new();
    for (cluster, inputs) in rows {
        let rendered = rendered_revisions(&inputs);
        if let Some(rev) = rendered.get(&(name.to_owned(), version.to_owned())) {
            if *rev < current_revision {
                pending.push(cluster);
            }
        }
    }
    Ok(pending)
}

/// (name, version) -> revision of each profile a desired revision's inputs name.
fn rendered_revisions(inputs: &str) -> BTreeMap<(String, String), i64> {
    let doc: serde_json::Value = serde_json::from_str(inputs).unwrap_or_default();
    let mut out = BTreeMap::new();
    for p in doc["profiles"].as_array().into_iter().flatten() {
        if let (Some(n), Some(v), Some(r)) = (
            p["name"].as_str(),
            p["version"].as_str(),
            p["revision"].as_i64(),
        ) {
            out.insert((n.to_owned(), v.to_owned()), r);
        }
    }
    out
}
