//! Groups: named label selectors. A group holds no member list; its members are the registered
//! clusters its selector matches at the time of asking.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::names::check_group_name;
use super::{ClusterError, Selector};
use crate::audit::{append_in_any, events, Event};
use crate::fleet::{Fleet, FleetError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub name: String,
    /// The selector in canonical form.
    pub selector: String,
    pub created_at: i64,
    /// The registered clusters the selector matches now.
    pub members: Vec<String>,
}

/// Creates group `name` or replaces its selector.
pub async fn put_group(
    fleet: &Fleet,
    name: &str,
    selector: &Selector,
    actor: &str,
) -> Result<Group, FleetError> {
    check_group_name(name)?;
    let canonical = selector.to_string();
    let mut tx = fleet.db.begin_write().await?;
    let before: Option<String> = sqlx::query_scalar("SELECT selector FROM groups WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO groups (name, selector, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET selector = excluded.selector",
    )
    .bind(name)
    .bind(&canonical)
    .bind(crate::store::now_unix())
    .execute(&mut *tx)
    .await?;
    let event = Event::new(
        actor,
        events::FLEET_GROUP,
        format!("group/{name}"),
        json!({"selector": canonical, "before": before}),
    );
    append_in_any(&mut tx, &event).await?;
    tx.commit().await?;
    get_group(fleet, name).await
}

pub async fn get_group(fleet: &Fleet, name: &str) -> Result<Group, FleetError> {
    check_group_name(name)?;
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT selector, created_at FROM groups WHERE name = $1")
            .bind(name)
            .fetch_optional(fleet.db.pool())
            .await?;
    let (selector, created_at) = row.ok_or_else(|| ClusterError::GroupNotFound(name.to_owned()))?;
    let members = super::select(fleet, &Selector::parse(&selector)?).await?;
    Ok(Group {
        name: name.to_owned(),
        selector,
        created_at,
        members,
    })
}

/// Every group by name, with its members now.
pub async fn list_groups(fleet: &Fleet) -> Result<Vec<Group>, FleetError> {
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT name, selector, created_at FROM groups ORDER BY name")
            .fetch_all(fleet.db.pool())
            .await?;
    let clusters = super::list(fleet, false).await?;
    rows.into_iter()
        .map(|(name, selector, created_at)| {
            let parsed = Selector::parse(&selector)?;
            let members = clusters
                .iter()
                .filter(|c| parsed.matches(&c.labels))
                .map(|c| c.name.clone())
                .collect();
            Ok(Group {
                name,
                selector,
                created_at,
                members,
            })
        })
        .collect()
}
