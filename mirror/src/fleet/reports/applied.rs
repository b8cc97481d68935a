//! Which desired revision a report says its cluster applied, and the images that revision
//! pins, which the report's health is judged against.

use std::collections::{BTreeMap, BTreeSet};

use ferry_bundler::format::profile_definition::PinnedImage;
use sqlx::AnyConnection;

use super::known::Known;
use super::summary::{self, applied_candidates};
use crate::fleet::query::keys::sets;
use crate::fleet::FleetError;
use ferry_bundler::format::report::Report;

#[derive(Debug, Clone, Default)]
pub struct Applied {
    pub revision: Option<i64>,
    pub digest: Option<String>,
    /// The desired repositories, each with the digests it may run at.
    pub desired: BTreeMap<String, BTreeSet<String>>,
}

/// The revision the report's GitOps objects name as applied (the first of them that is one of
/// the cluster's revisions), its digest, and its images; when none is, the current revision's
/// images. The common case, the current revision, is answered from its key set (kept in
/// memory, and shared by every cluster on the same versions) instead of its images JSON.
pub async fn judged_against(
    conn: &mut AnyConnection,
    known: &Known,
    report: &Report,
    mirror_host: &str,
) -> Result<Applied, FleetError> {
    let candidates = applied_candidates(report);
    if let Some(current) = known.current.as_ref().filter(|c| c.indexed) {
        let first = candidates.first();
        if first.is_none_or(|d| *d == current.digest) {
            let mut desired: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            if let Some(set) = &known.pointed.desired {
                for k in sets::keys_of(conn, set).await?.iter() {
                    desired
                        .entry(k.repository.clone())
                        .or_default()
                        .insert(k.digest.clone());
                }
            }
            return Ok(Applied {
                revision: first.map(|_| current.revision),
                digest: first.cloned(),
                desired,
            });
        }
    }
    let cluster = report.cluster.as_str();
    for digest in &candidates {
        let found: Option<(i64, String)> = sqlx::query_as(
            "SELECT revision, images FROM desired_revisions WHERE cluster = $1 AND digest = $2
             ORDER BY revision DESC LIMIT 1",
        )
        .bind(cluster)
        .bind(digest)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((revision, images)) = found {
            return Ok(Applied {
                revision: Some(revision),
                digest: Some(digest.clone()),
                desired: summary::desired_digests(&pinned(&images), mirror_host),
            });
        }
    }
    let current: Option<String> = sqlx::query_scalar(
        "SELECT r.images FROM desired_current c JOIN desired_revisions r
         ON r.cluster = c.cluster AND r.revision = c.revision WHERE c.cluster = $1",
    )
    .bind(cluster)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(Applied {
        revision: None,
        digest: candidates.into_iter().next(),
        desired: current
            .as_deref()
            .map(|images| summary::desired_digests(&pinned(images), mirror_host))
            .unwrap_or_default(),
    })
}

/// The images JSON of a desired revision; the desired helper wrote it, so a row it cannot read
/// counts as naming no images rather than failing the cluster's reports.
fn pinned(images_json: &str) -> Vec<PinnedImage> {
    serde_json::from_str(images_json).unwrap_or_default()
}
