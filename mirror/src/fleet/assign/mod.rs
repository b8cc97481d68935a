//! What each cluster should run: its assigned profile versions, and the operators' overrides
//! and variable values per cluster or group, which [`effective`] turns into the input of the
//! cluster's desired state.
//!
//! A cluster runs at most one infra or full profile version plus any number of add-on ones.
//! Overrides are values for a layer, keyed by layer name and not by profile version, so they
//! persist across version changes. Precedence: the profile's values < each matching group's
//! overrides (groups in name order) < the cluster's own; maps merge deeply, anything else is
//! replaced (as Helm merges `-f` files). Variable values follow the same precedence.

mod clone;
mod effective;
mod overrides;
mod values;

use axum::http::StatusCode;
use serde_json::{Map, Value};

pub use crate::fleet::desired::{Input, InputProfile};
pub use clone::{clone_settings, Cloned};
pub use effective::{
    clusters_in_scope, effective, effective_overrides, effective_variables, groups_of,
};
pub use overrides::{merge_override, overrides, remove_override, set_override};
pub use values::{secret_names, set_variables, shown_variables, variable_values};

use super::catalog::{self, ProfileRef};
use super::{Fleet, FleetError};
use crate::audit::{self, events, Event};

#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("cluster {0} is not registered")]
    UnknownCluster(String),
    #[error("cluster {0} is deregistered; its history is kept but it gets no new settings")]
    Deregistered(String),
    #[error("group {0} does not exist")]
    UnknownGroup(String),
    #[error("cluster {cluster}: at most one infra or full profile version, given {given}")]
    TwoBases { cluster: String, given: String },
    #[error("cluster {cluster}: profile {profile} is given more than once ({given})")]
    DuplicateProfile {
        cluster: String,
        profile: String,
        given: String,
    },
    #[error("{0:?} is not a layer name: letters, digits and . _ - only, at most 253")]
    BadLayer(String),
    #[error("no profile version in the catalog has a layer {0}")]
    UnknownLayer(String),
    #[error("{target} has no override for layer {layer}")]
    NoOverride { target: String, layer: String },
    #[error("cluster {0}: cannot clone a cluster's settings onto itself")]
    CloneToItself(String),
    #[error("cluster {0}: clone needs exactly one target, toCluster or toGroup")]
    CloneTarget(String),
    #[error("{target}: stored {what} is not valid JSON: {reason}")]
    Corrupt {
        target: String,
        what: String,
        reason: String,
    },
}

impl AssignError {
    pub fn status(&self) -> StatusCode {
        match self {
            AssignError::UnknownCluster(_)
            | AssignError::UnknownGroup(_)
            | AssignError::UnknownLayer(_)
            | AssignError::NoOverride { .. } => StatusCode::NOT_FOUND,
            AssignError::Deregistered(_) => StatusCode::CONFLICT,
            AssignError::TwoBases { .. } | AssignError::DuplicateProfile { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AssignError::BadLayer(_)
            | AssignError::CloneToItself(_)
            | AssignError::CloneTarget(_) => StatusCode::BAD_REQUEST,
            AssignError::Corrupt { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Whose overrides or variable values: one cluster's, or a group's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Cluster(String),
    Group(String),
}

impl Scope {
    /// The `scope` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Cluster(_) => "cluster",
            Scope::Group(_) => "group",
        }
    }

    /// The `target` column.
    pub fn target(&self) -> &str {
        match self {
            Scope::Cluster(n) | Scope::Group(n) => n,
        }
    }
}

impl std::fmt::Display for Scope {
    /// `cluster/<name>` or `group/<name>`, as audit subjects name them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind(), self.target())
    }
}

/// Refuses a cluster that is not registered or is deregistered.
pub async fn require_cluster(fleet: &Fleet, cluster: &str) -> Result<(), FleetError> {
    let row: Option<Option<i64>> =
        sqlx::query_scalar("SELECT deregistered_at FROM clusters WHERE name = $1")
            .bind(cluster)
            .fetch_optional(fleet.db.pool())
            .await?;
    match row {
        None => Err(AssignError::UnknownCluster(cluster.to_owned()).into()),
        Some(Some(_)) => Err(AssignError::Deregistered(cluster.to_owned()).into()),
        Some(None) => Ok(()),
    }
}

/// Refuses a scope whose cluster or group does not exist.
pub async fn require_scope(fleet: &Fleet, scope: &Scope) -> Result<(), FleetError> {
    match scope {
        Scope::Cluster(c) => require_cluster(fleet, c).await,
        Scope::Group(g) => {
            let found: Option<String> =
                sqlx::query_scalar("SELECT name FROM groups WHERE name = $1")
                    .bind(g)
                    .fetch_optional(fleet.db.pool())
                    .await?;
            match found {
                Some(_) => Ok(()),
                None => Err(AssignError::UnknownGroup(g.clone()).into()),
            }
        }
    }
}

/// Replaces `cluster`'s assignment by `profiles`, in that order. Every one must be in the
/// catalog; at most one may be an infra or full profile, and each profile name may appear once.
/// An empty list unassigns everything.
pub async fn set_assignment(
    fleet: &Fleet,
    cluster: &str,
    profiles: &[ProfileRef],
    actor: &str,
) -> Result<Vec<ProfileRef>, FleetError> {
    require_cluster(fleet, cluster).await?;
    let mut bases = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        let version = catalog::current(fleet, &p.name, &p.version).await?;
        if version.profile_type != "add-on" {
            bases.push(format!("{p} ({})", version.profile_type));
        }
        if profiles[..i].iter().any(|q| q.name == p.name) {
            let given: Vec<String> = profiles
                .iter()
                .filter(|q| q.name == p.name)
                .map(ToString::to_string)
                .collect();
            return Err(AssignError::DuplicateProfile {
                cluster: cluster.to_owned(),
                profile: p.name.clone(),
                given: given.join(", "),
            }
            .into());
        }
    }
    if bases.len() > 1 {
        return Err(AssignError::TwoBases {
            cluster: cluster.to_owned(),
            given: bases.join(", "),
        }
        .into());
    }
    let previous = assignment(fleet, cluster).await?;
    let mut tx = fleet.db.begin_write().await?;
    sqlx::query("DELETE FROM assignments WHERE cluster = $1")
        .bind(cluster)
        .execute(&mut *tx)
        .await?;
    for (position, p) in profiles.iter().enumerate() {
        sqlx::query(
            "INSERT INTO assignments (cluster, profile, version, position) VALUES ($1, $2, $3, $4)",
        )
        .bind(cluster)
        .bind(&p.name)
        .bind(&p.version)
        .bind(position as i64)
        .execute(&mut *tx)
        .await?;
    }
    let names = |ps: &[ProfileRef]| ps.iter().map(ToString::to_string).collect::<Vec<_>>();
    audit::append_in_any(
        &mut tx,
        &Event::new(
            actor,
            events::FLEET_ASSIGNED,
            format!("cluster/{cluster}"),
            serde_json::json!({"profiles": names(profiles), "previous": names(&previous)}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(profiles.to_vec())
}

/// `cluster`'s assigned profile versions, in their order.
pub async fn assignment(fleet: &Fleet, cluster: &str) -> Result<Vec<ProfileRef>, FleetError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT profile, version FROM assignments WHERE cluster = $1 ORDER BY position",
    )
    .bind(cluster)
    .fetch_all(fleet.db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, version)| ProfileRef { name, version })
        .collect())
}

/// Deep merge as Helm merges values files: maps merge key by key, anything else in `over`
/// (lists, scalars, null) replaces what `base` has.
pub fn deep_merge(base: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(Value::Object(b)), Value::Object(o)) => deep_merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_merge_merges_maps_and_replaces_the_rest() {
        let mut base = serde_json::json!({"a": {"b": 1, "c": [1, 2]}, "d": "x"});
        let over = serde_json::json!({"a": {"c": [3], "e": true}, "d": {"f": 1}});
        deep_merge(base.as_object_mut().unwrap(), over.as_object().unwrap());
        assert_eq!(
            base,
            serde_json::json!({"a": {"b": 1, "c": [3], "e": true}, "d": {"f": 1}})
        );
    }
}
