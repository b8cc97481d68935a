//! Promotion and cloning: one cluster's settings copied onto another cluster or a group.

use serde::{Deserialize, Serialize};

use super::{
    assignment, overrides, require_cluster, require_scope, variable_values, AssignError, Scope,
};
use crate::audit::{self, events, Event};
use crate::fleet::catalog::ProfileRef;
use crate::fleet::{Fleet, FleetError};

/// What [`clone_settings`] copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cloned {
    pub from: String,
    /// `cluster/<name>` or `group/<name>`.
    pub to: String,
    /// The assignment copied (to a cluster only; a group has none).
    pub profiles: Vec<ProfileRef>,
    /// Layers whose overrides were copied.
    pub layers: Vec<String>,
    /// Variables whose values were copied.
    pub variables: Vec<String>,
}

/// Makes `to`'s settings those of cluster `from`: its assignment (when `to` is a cluster), its
/// own overrides and its own variable values (not those it gets from groups). What `to` had
/// before is replaced, so that it ends up exactly as `from` is set.
pub async fn clone_settings(
    fleet: &Fleet,
    from: &str,
    to: &Scope,
    actor: &str,
) -> Result<Cloned, FleetError> {
    require_cluster(fleet, from).await?;
    require_scope(fleet, to).await?;
    if *to == Scope::Cluster(from.to_owned()) {
        return Err(AssignError::CloneToItself(from.to_owned()).into());
    }
    let source = Scope::Cluster(from.to_owned());
    let profiles = match to {
        Scope::Cluster(_) => assignment(fleet, from).await?,
        Scope::Group(_) => Vec::new(),
    };
    let layers = overrides(fleet, &source).await?;
    let values = variable_values(fleet, &source).await?;
    let mut tx = fleet.db.begin_write().await?;
    if let Scope::Cluster(target) = to {
        sqlx::query("DELETE FROM assignments WHERE cluster = $1")
            .bind(target)
            .execute(&mut *tx)
            .await?;
        for (position, p) in profiles.iter().enumerate() {
            sqlx::query(
                "INSERT INTO assignments (cluster, profile, version, position) VALUES ($1, $2, $3, $4)",
            )
            .bind(target)
            .bind(&p.name)
            .bind(&p.version)
            .bind(position as i64)
            .execute(&mut *tx)
            .await?;
        }
    }
    for table in ["overrides", "variable_values"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE scope = $1 AND target = $2"
        )))
        .bind(to.kind())
        .bind(to.target())
        .execute(&mut *tx)
        .await?;
    }
    let now = crate::store::now_unix();
    for (layer, v) in &layers {
        sqlx::query(
            r#"INSERT INTO overrides (scope, target, layer, "values", updated_at) VALUES ($1, $2, $3, $4, $5)"#,
        )
        .bind(to.kind())
        .bind(to.target())
        .bind(layer)
        .bind(serde_json::Value::Object(v.clone()).to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for (name, v) in &values {
        sqlx::query(
            "INSERT INTO variable_values (scope, target, name, value) VALUES ($1, $2, $3, $4)",
        )
        .bind(to.kind())
        .bind(to.target())
        .bind(name)
        .bind(v.to_string())
        .execute(&mut *tx)
        .await?;
    }
    let cloned = Cloned {
        from: from.to_owned(),
        to: to.to_string(),
        profiles,
        layers: layers.keys().cloned().collect(),
        variables: values.keys().cloned().collect(),
    };
    // Names only: variable values (secret ones among them) stay out of the log.
    audit::append_in_any(
        &mut tx,
        &Event::new(
            actor,
            events::FLEET_CLONED,
            format!("cluster/{from}"),
            serde_json::to_value(&cloned).expect("serialises"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(cloned)
}
