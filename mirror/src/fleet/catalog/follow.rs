//! Keeping the catalog current while the appliance serves: bundles are imported by another
//! process (`ferry import`), so the server looks at the store's active bundles now and then
//! and records their profile definitions when that set changed.

use std::time::Duration;

use crate::fleet::Fleet;
use crate::store::list_bundles;

/// The actor catalog entries recorded this way carry in the audit log.
pub const SYNC_ACTOR: &str = "fleet:catalog";

/// Which bundles are active: what the catalog was last synced from.
async fn active_bundles(fleet: &Fleet) -> Result<Vec<String>, crate::store::StoreError> {
    Ok(list_bundles(&fleet.store)
        .await?
        .into_iter()
        .filter(|b| b.retired_at.is_none())
        .map(|b| b.manifest_digest.to_string())
        .collect())
}

/// Syncs once now, then whenever the set of active bundles changes (checked every `every`).
pub fn spawn_follow(fleet: Fleet, every: Duration) {
    tokio::spawn(async move {
        let mut seen: Option<Vec<String>> = None;
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = match active_bundles(&fleet).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "listing bundles for the fleet catalog failed");
                    continue;
                }
            };
            if seen.as_ref() == Some(&now) {
                continue;
            }
            match super::sync(&fleet, SYNC_ACTOR).await {
                Ok(recorded) => {
                    tracing::info!(
                        bundles = now.len(),
                        recorded = recorded.len(),
                        "fleet catalog synced"
                    );
                    seen = Some(now);
                }
                Err(e) => tracing::warn!(error = %e, "syncing the fleet catalog failed"),
            }
        }
    });
}
