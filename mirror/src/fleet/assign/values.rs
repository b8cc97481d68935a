//! Variable values per cluster or group.

use std::collections::{BTreeMap, BTreeSet};

use ferry_bundler::format::profile_definition::{ProfileDefinition, Variable};
use serde_json::Value;

use super::{assignment, require_scope, AssignError, Scope};
use crate::audit::{self, events, Event};
use crate::fleet::variables::{self, VariableError};
use crate::fleet::{catalog, Fleet, FleetError};

/// Sets `scope`'s variable values: each given name is set, a `null` value removes it. Every
/// name must be declared by one of the cluster's assigned profiles (by any profile in the
/// catalog for a group, or for a cluster with no assignment yet), and the value must have the
/// declared type and match its pattern; a value that converts without loss is converted
/// (`"8080"` for a number). Returns the scope's values as answers show them.
pub async fn set_variables(
    fleet: &Fleet,
    scope: &Scope,
    values: &BTreeMap<String, Option<Value>>,
    actor: &str,
) -> Result<BTreeMap<String, Value>, FleetError> {
    require_scope(fleet, scope).await?;
    let (declaring, where_) = declaring_profiles(fleet, scope).await?;
    let secret = secret_names(fleet).await?;
    let target = match scope {
        Scope::Cluster(c) => format!("cluster {c}"),
        Scope::Group(g) => format!("group {g}"),
    };
    let mut set = BTreeMap::new();
    let mut removed = Vec::new();
    for (name, value) in values {
        variables::check_name(name)?;
        let Some(value) = value else {
            removed.push(name.clone());
            continue;
        };
        let decls: Vec<(&ProfileDefinition, &Variable)> = declaring
            .iter()
            .filter_map(|d| d.variables.iter().find(|v| &v.name == name).map(|v| (d, v)))
            .collect();
        let Some((_, first)) = decls.first() else {
            return Err(VariableError::Undeclared {
                target: target.clone(),
                where_,
                variable: name.clone(),
            }
            .into());
        };
        let value = variables::coerce(first, value.clone());
        for (def, var) in &decls {
            let profile = format!("{}@{}", def.name, def.version);
            variables::check_value(&target, &profile, var, &value)?;
        }
        set.insert(name.clone(), value);
    }
    let mut tx = fleet.db.begin_write().await?;
    for (name, value) in &set {
        sqlx::query(
            "INSERT INTO variable_values (scope, target, name, value) VALUES ($1, $2, $3, $4)
             ON CONFLICT (scope, target, name) DO UPDATE SET value = $4",
        )
        .bind(scope.kind())
        .bind(scope.target())
        .bind(name)
        .bind(value.to_string())
        .execute(&mut *tx)
        .await?;
    }
    for name in &removed {
        sqlx::query("DELETE FROM variable_values WHERE scope = $1 AND target = $2 AND name = $3")
            .bind(scope.kind())
            .bind(scope.target())
            .bind(name)
            .execute(&mut *tx)
            .await?;
    }
    // The audit log keeps a secret value's hash only: enough to tell whether it changed.
    let recorded: BTreeMap<&String, Value> = set
        .iter()
        .map(|(k, v)| {
            let v = if secret.contains(k) {
                serde_json::json!({"sha256": variables::value_hash(v)})
            } else {
                v.clone()
            };
            (k, v)
        })
        .collect();
    audit::append_in_any(
        &mut tx,
        &Event::new(
            actor,
            events::FLEET_VARIABLE,
            scope.to_string(),
            serde_json::json!({"set": recorded, "removed": removed}),
        ),
    )
    .await?;
    tx.commit().await?;
    shown_variables(fleet, scope).await
}

/// The definitions whose declarations a scope's values are checked against, and how an error
/// names them.
async fn declaring_profiles(
    fleet: &Fleet,
    scope: &Scope,
) -> Result<(Vec<ProfileDefinition>, &'static str), FleetError> {
    if let Scope::Cluster(c) = scope {
        let assigned = assignment(fleet, c).await?;
        if !assigned.is_empty() {
            let mut defs = Vec::new();
            for p in assigned {
                defs.push(
                    catalog::current(fleet, &p.name, &p.version)
                        .await?
                        .definition,
                );
            }
            return Ok((defs, "assigned to it"));
        }
    }
    let defs = catalog::list(fleet)
        .await?
        .into_iter()
        .map(|p| p.definition)
        .collect();
    Ok((defs, "in the catalog"))
}

/// Every variable name some profile version in the catalog declares secret: such a name's
/// value is hidden wherever it is set.
pub async fn secret_names(fleet: &Fleet) -> Result<BTreeSet<String>, FleetError> {
    Ok(catalog::list(fleet)
        .await?
        .iter()
        .flat_map(|p| p.definition.variables.iter())
        .filter(|v| v.secret)
        .map(|v| v.name.clone())
        .collect())
}

/// `scope`'s own variable values, as stored.
pub async fn variable_values(
    fleet: &Fleet,
    scope: &Scope,
) -> Result<BTreeMap<String, Value>, FleetError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, value FROM variable_values WHERE scope = $1 AND target = $2 ORDER BY name",
    )
    .bind(scope.kind())
    .bind(scope.target())
    .fetch_all(fleet.db.pool())
    .await?;
    let mut out = BTreeMap::new();
    for (name, value) in rows {
        let v: Value = serde_json::from_str(&value).map_err(|e| AssignError::Corrupt {
            target: scope.to_string(),
            what: format!("value of variable {name}"),
            reason: e.to_string(),
        })?;
        out.insert(name, v);
    }
    Ok(out)
}

/// `scope`'s own variable values with secret ones shown as `"(secret)"`.
pub async fn shown_variables(
    fleet: &Fleet,
    scope: &Scope,
) -> Result<BTreeMap<String, Value>, FleetError> {
    let secret = secret_names(fleet).await?;
    Ok(variable_values(fleet, scope)
        .await?
        .into_iter()
        .map(|(k, v)| {
            let shown = variables::shown(secret.contains(&k), &v);
            (k, shown)
        })
        .collect())
}
