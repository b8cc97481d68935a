//! `unapplied_clusters`: the clusters whose last report has not applied their current desired
//! revision (or that never reported one), which pending updates read a page at a time instead
//! of comparing every cluster's desired and reported digests.
//!
//! Only publishing (which changes `desired_current`) and storing a report (which changes
//! `cluster_reports`) move a cluster in or out, each in its own transaction; the two never run
//! at once (see [`FleetDb::begin_report`](super::db::FleetDb::begin_report)).

use sqlx::AnyConnection;

use super::db::Batch;
use super::FleetError;

/// Whether a cluster desired `desired` and reported `applied` is behind.
pub fn is_unapplied(desired: Option<&str>, applied: Option<&str>) -> bool {
    desired.is_some_and(|d| applied != Some(d))
}

/// After a report: moves the cluster in or out when its standing changed (`listed` is whether
/// it is in the table now, read under the report's lock).
pub(crate) fn push_after_report(
    batch: &mut Batch,
    cluster: &str,
    listed: bool,
    desired: Option<&str>,
    applied: Option<&str>,
) {
    match (listed, is_unapplied(desired, applied)) {
        (false, true) => batch.push(
            "INSERT INTO unapplied_clusters (cluster) VALUES ($1) ON CONFLICT (cluster) DO NOTHING",
            vec![cluster.into()],
        ),
        (true, false) => batch.push(
            "DELETE FROM unapplied_clusters WHERE cluster = $1",
            vec![cluster.into()],
        ),
        _ => {}
    }
}

/// After publishing `digest` as the cluster's current revision, in the same transaction.
pub async fn mark_after_publish(
    conn: &mut AnyConnection,
    cluster: &str,
    digest: &str,
) -> Result<(), FleetError> {
    let applied: Option<Option<String>> =
        sqlx::query_scalar("SELECT applied_digest FROM cluster_reports WHERE cluster = $1")
            .bind(cluster)
            .fetch_optional(&mut *conn)
            .await?;
    if is_unapplied(Some(digest), applied.flatten().as_deref()) {
        sqlx::query(
            "INSERT INTO unapplied_clusters (cluster) VALUES ($1) ON CONFLICT (cluster) DO NOTHING",
        )
        .bind(cluster)
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query("DELETE FROM unapplied_clusters WHERE cluster = $1")
            .bind(cluster)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_unapplied;

    #[test]
    fn behind_only_when_something_is_desired_and_not_applied() {
        assert!(!is_unapplied(None, None));
        assert!(!is_unapplied(None, Some("sha256:a")));
        assert!(is_unapplied(Some("sha256:a"), None));
        assert!(is_unapplied(Some("sha256:a"), Some("sha256:b")));
        assert!(!is_unapplied(Some("sha256:a"), Some("sha256:a")));
    }
}
