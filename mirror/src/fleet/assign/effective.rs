//! A cluster's effective settings: its groups' and its own overrides and variable values
//! merged (groups in name order, then the cluster), and the input its desired state is rendered
//! from.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{
    assignment, deep_merge, overrides, require_cluster, variable_values, Input, InputProfile, Scope,
};
use crate::fleet::clusters::{self, Selector};
use crate::fleet::{catalog, variables, Fleet, FleetError};

async fn labels(fleet: &Fleet, cluster: &str) -> Result<BTreeMap<String, String>, FleetError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT key, value FROM cluster_labels WHERE cluster = $1 ORDER BY key")
            .bind(cluster)
            .fetch_all(fleet.db.pool())
            .await?;
    Ok(rows.into_iter().collect())
}

/// The groups whose selector matches `cluster`'s labels, by name.
pub async fn groups_of(fleet: &Fleet, cluster: &str) -> Result<Vec<String>, FleetError> {
    let labels = labels(fleet, cluster).await?;
    let groups: Vec<(String, String)> =
        sqlx::query_as("SELECT name, selector FROM groups ORDER BY name")
            .fetch_all(fleet.db.pool())
            .await?;
    let mut out = Vec::new();
    for (name, selector) in groups {
        if Selector::parse(&selector)?.matches(&labels) {
            out.push(name);
        }
    }
    Ok(out)
}

/// The registered clusters a scope's settings reach: the cluster itself, or every registered
/// cluster the group's selector matches, by name.
pub async fn clusters_in_scope(fleet: &Fleet, scope: &Scope) -> Result<Vec<String>, FleetError> {
    match scope {
        Scope::Cluster(c) => Ok(vec![c.clone()]),
        Scope::Group(g) => {
            let selector: Option<String> =
                sqlx::query_scalar("SELECT selector FROM groups WHERE name = $1")
                    .bind(g)
                    .fetch_optional(fleet.db.pool())
                    .await?;
            match selector {
                Some(s) => clusters::select(fleet, &Selector::parse(&s)?).await,
                None => Ok(Vec::new()),
            }
        }
    }
}

/// The scopes that apply to `cluster`, weakest first.
async fn scopes(fleet: &Fleet, cluster: &str) -> Result<Vec<Scope>, FleetError> {
    let mut out: Vec<Scope> = groups_of(fleet, cluster)
        .await?
        .into_iter()
        .map(Scope::Group)
        .collect();
    out.push(Scope::Cluster(cluster.to_owned()));
    Ok(out)
}

/// `cluster`'s overrides per layer: its groups' (in name order) and then its own, merged.
pub async fn effective_overrides(
    fleet: &Fleet,
    cluster: &str,
) -> Result<BTreeMap<String, Map<String, Value>>, FleetError> {
    require_cluster(fleet, cluster).await?;
    let mut out: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for scope in scopes(fleet, cluster).await? {
        for (layer, values) in overrides(fleet, &scope).await? {
            deep_merge(out.entry(layer).or_default(), &values);
        }
    }
    Ok(out)
}

/// `cluster`'s variable values: its groups' and then its own; a later value replaces.
pub async fn effective_variables(
    fleet: &Fleet,
    cluster: &str,
) -> Result<BTreeMap<String, Value>, FleetError> {
    require_cluster(fleet, cluster).await?;
    let mut out = BTreeMap::new();
    for scope in scopes(fleet, cluster).await? {
        out.extend(variable_values(fleet, &scope).await?);
    }
    Ok(out)
}

/// What `cluster`'s desired state is rendered from: the current revision of each assigned
/// profile version, the overrides of each of its layers, and its variables resolved (a
/// required variable without a value is an error naming the cluster, profile and variable).
pub async fn effective(fleet: &Fleet, cluster: &str) -> Result<Input, FleetError> {
    let overrides = effective_overrides(fleet, cluster).await?;
    let values = effective_variables(fleet, cluster).await?;
    let mut profiles = Vec::new();
    for p in assignment(fleet, cluster).await? {
        let version = catalog::current(fleet, &p.name, &p.version).await?;
        let def = version.definition;
        let layer_values = def
            .layers
            .iter()
            .filter_map(|l| overrides.get(&l.name).map(|o| (l.name.clone(), o.clone())))
            .collect();
        // Each profile sees the values of the variables it declares, in its declared types.
        let mine: BTreeMap<String, Value> = def
            .variables
            .iter()
            .filter_map(|v| {
                values
                    .get(&v.name)
                    .map(|x| (v.name.clone(), variables::coerce(v, x.clone())))
            })
            .collect();
        let variables = variables::resolve(cluster, &def, &mine)?;
        profiles.push(InputProfile {
            name: version.name,
            version: version.version,
            revision: version.revision,
            definition_digest: version.digest,
            definition: def,
            layer_values,
            variables,
        });
    }
    Ok(Input {
        cluster: cluster.to_owned(),
        labels: labels(fleet, cluster).await?,
        profiles,
    })
}
