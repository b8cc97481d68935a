//! The whole fleet's count of clusters per state, for every page of the fleet's status.
//!
//! The database groups the clusters by the [`Facts`] their state follows from, so that what
//! comes back is a few rows, not one per cluster; [`state_of`] then ranks each group as
//! [`judge`](super::judge) ranks one cluster. Each column below is the SQL of one field of
//! `facts()`, and the fleet-status tests check that the counts agree with the page's states.

use std::collections::BTreeMap;

use sqlx::AnyConnection;

use super::{state_of, Desired, Facts};
use crate::fleet::FleetError;

/// `interval()` in SQL: the smaller of the registered and the reported interval, at least 1.
const INTERVAL: &str = "CASE WHEN r.interval_seconds IS NULL THEN c.report_interval_seconds
         WHEN c.report_interval_seconds > 0 AND c.report_interval_seconds < r.interval_seconds
           THEN c.report_interval_seconds
         ELSE r.interval_seconds END";

type Group = (i64, i64, i64, i64, i64, i64, i64, i64);

pub(super) async fn counts(
    conn: &mut AnyConnection,
    offline_after: u32,
    now: i64,
) -> Result<BTreeMap<String, usize>, FleetError> {
    let sql = format!(
        "SELECT
           CASE WHEN $1 - COALESCE(r.received_at, c.registered_at)
                     > (CASE WHEN ({INTERVAL}) < 1 THEN 1 ELSE ({INTERVAL}) END) * $2
                THEN 1 ELSE 0 END,
           CASE WHEN r.received_at IS NULL THEN 0 ELSE 1 END,
           CASE WHEN r.failed = 1 THEN 1 ELSE 0 END,
           CASE WHEN d.digest IS NULL THEN 0 WHEN r.applied_digest = d.digest THEN 1 ELSE 2 END,
           CASE WHEN r.modified = 1 THEN 1 ELSE 0 END,
           CASE WHEN r.converging = 1 THEN 1 ELSE 0 END,
           CASE WHEN d.published_at > r.received_at THEN 1 ELSE 0 END,
           COUNT(*)
         FROM clusters c
         LEFT JOIN desired_current d ON d.cluster = c.name
         LEFT JOIN cluster_reports r ON r.cluster = c.name
         WHERE c.deregistered_at IS NULL
         GROUP BY 1, 2, 3, 4, 5, 6, 7"
    );
    let groups: Vec<Group> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(i64::from(offline_after.max(1)))
        .fetch_all(&mut *conn)
        .await?;
    let mut counts = BTreeMap::new();
    for (offline, reported, failed, desired, modified, converging, published_after, n) in groups {
        let f = Facts {
            offline: offline == 1,
            reported: reported == 1,
            failed: failed == 1,
            desired: match desired {
                0 => Desired::Nothing,
                1 => Desired::Applied,
                _ => Desired::NotApplied,
            },
            modified: modified == 1,
            converging: converging == 1,
            published_after_report: published_after == 1,
        };
        *counts.entry(format!("{:?}", state_of(&f))).or_insert(0) += n as usize;
    }
    Ok(counts)
}
