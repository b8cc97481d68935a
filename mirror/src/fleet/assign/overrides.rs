//! Overrides: values for a layer, per cluster or group.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{deep_merge, require_scope, AssignError, Scope};
use crate::audit::{self, events, Event};
use crate::fleet::{catalog, Fleet, FleetError};

const MAX_LAYER: usize = 253;

fn check_layer(layer: &str) -> Result<(), AssignError> {
    let ok = !layer.is_empty()
        && layer.len() <= MAX_LAYER
        && layer
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AssignError::BadLayer(layer.to_owned()))
    }
}

/// Refuses a layer name no profile version in the catalog has (a typo would otherwise be an
/// override that silently applies to nothing).
async fn require_layer(fleet: &Fleet, layer: &str) -> Result<(), FleetError> {
    check_layer(layer)?;
    let known = catalog::list(fleet)
        .await?
        .iter()
        .any(|p| p.definition.layer(layer).is_some());
    if known {
        Ok(())
    } else {
        Err(AssignError::UnknownLayer(layer.to_owned()).into())
    }
}

/// Sets `scope`'s override for `layer` to `values`, replacing what it had.
pub async fn set_override(
    fleet: &Fleet,
    scope: &Scope,
    layer: &str,
    values: Map<String, Value>,
    actor: &str,
) -> Result<Map<String, Value>, FleetError> {
    write(fleet, scope, layer, values, false, actor).await
}

/// Deep-merges `values` into `scope`'s override for `layer` (what `--set` does).
pub async fn merge_override(
    fleet: &Fleet,
    scope: &Scope,
    layer: &str,
    values: Map<String, Value>,
    actor: &str,
) -> Result<Map<String, Value>, FleetError> {
    write(fleet, scope, layer, values, true, actor).await
}

async fn write(
    fleet: &Fleet,
    scope: &Scope,
    layer: &str,
    values: Map<String, Value>,
    merge: bool,
    actor: &str,
) -> Result<Map<String, Value>, FleetError> {
    require_scope(fleet, scope).await?;
    require_layer(fleet, layer).await?;
    let mut tx = fleet.db.begin_write().await?;
    let mut merged = Map::new();
    if merge {
        let before: Option<String> = sqlx::query_scalar(
            r#"SELECT "values" FROM overrides WHERE scope = $1 AND target = $2 AND layer = $3"#,
        )
        .bind(scope.kind())
        .bind(scope.target())
        .bind(layer)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(before) = before {
            merged = parse(scope, layer, &before)?;
        }
    }
    deep_merge(&mut merged, &values);
    sqlx::query(
        r#"INSERT INTO overrides (scope, target, layer, "values", updated_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (scope, target, layer) DO UPDATE SET "values" = $4, updated_at = $5"#,
    )
    .bind(scope.kind())
    .bind(scope.target())
    .bind(layer)
    .bind(Value::Object(merged.clone()).to_string())
    .bind(crate::store::now_unix())
    .execute(&mut *tx)
    .await?;
    audit::append_in_any(
        &mut tx,
        &Event::new(
            actor,
            events::FLEET_OVERRIDE,
            scope.to_string(),
            serde_json::json!({"layer": layer, "values": merged, "merged": merge}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(merged)
}

/// Removes `scope`'s override for `layer`; refused when it has none.
pub async fn remove_override(
    fleet: &Fleet,
    scope: &Scope,
    layer: &str,
    actor: &str,
) -> Result<(), FleetError> {
    check_layer(layer)?;
    let mut tx = fleet.db.begin_write().await?;
    let removed =
        sqlx::query("DELETE FROM overrides WHERE scope = $1 AND target = $2 AND layer = $3")
            .bind(scope.kind())
            .bind(scope.target())
            .bind(layer)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if removed == 0 {
        tx.rollback().await?;
        return Err(AssignError::NoOverride {
            target: scope.to_string(),
            layer: layer.to_owned(),
        }
        .into());
    }
    audit::append_in_any(
        &mut tx,
        &Event::new(
            actor,
            events::FLEET_OVERRIDE,
            scope.to_string(),
            serde_json::json!({"layer": layer, "removed": true}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `scope`'s own overrides, by layer.
pub async fn overrides(
    fleet: &Fleet,
    scope: &Scope,
) -> Result<BTreeMap<String, Map<String, Value>>, FleetError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        r#"SELECT layer, "values" FROM overrides WHERE scope = $1 AND target = $2 ORDER BY layer"#,
    )
    .bind(scope.kind())
    .bind(scope.target())
    .fetch_all(fleet.db.pool())
    .await?;
    let mut out = BTreeMap::new();
    for (layer, values) in rows {
        let map = parse(scope, &layer, &values)?;
        out.insert(layer, map);
    }
    Ok(out)
}

fn parse(scope: &Scope, layer: &str, json: &str) -> Result<Map<String, Value>, AssignError> {
    serde_json::from_str(json).map_err(|e| AssignError::Corrupt {
        target: scope.to_string(),
        what: format!("override of layer {layer}"),
        reason: e.to_string(),
    })
}
