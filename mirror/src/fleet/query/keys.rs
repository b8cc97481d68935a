//! The inverted image indexes: the distinct (repository, tag, digest) keys each cluster desires
//! (the view `desired_image_keys`) or runs (`running_image_keys`), which the lookups by digest
//! and by repository go through before reading the cluster's own rows.
//!
//! Keys are stored as shared sets (`sets`): every cluster on one profile version desires the
//! same images, so their set is written once and each cluster points at it. What a cluster runs
//! is a base set (the one it desires, when it runs nearly that) plus the keys it runs beyond it
//! and less those it does not run. A key is an entry in indexes by digest and by repository
//! whose neighbours belong to other sets, so each key written costs a disk page: giving every
//! cluster its own copy made a first report write a few hundred pages.

pub mod sets;

use std::collections::BTreeSet;

use sqlx::AnyConnection;

use crate::fleet::FleetError;

/// Which cluster's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTable {
    Running,
    Desired,
}

/// One key: `tag` and `digest` are empty when the image has none.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImageKey {
    pub repository: String,
    pub tag: String,
    pub digest: String,
}

impl ImageKey {
    pub fn new(repository: &str, tag: Option<&str>, digest: Option<&str>) -> Self {
        Self {
            repository: repository.to_owned(),
            tag: tag.unwrap_or_default().to_owned(),
            digest: digest.unwrap_or_default().to_owned(),
        }
    }
}

/// A running set this far from the desired one (keys added plus keys removed, as a share of the
/// running keys) still takes the desired set as its base; beyond it, it is a set of its own.
const MAX_CHANGED_SHARE: usize = 4;

/// Makes `cluster`'s keys in `table` exactly `wanted`. Runs in the caller's write transaction:
/// whether a set exists and whether it is still pointed at are read and acted on under it.
pub async fn replace(
    conn: &mut AnyConnection,
    table: KeyTable,
    cluster: &str,
    wanted: &BTreeSet<ImageKey>,
) -> Result<(), FleetError> {
    match table {
        KeyTable::Desired => {
            let id = (!wanted.is_empty()).then(|| sets::set_id(wanted));
            if let Some(id) = &id {
                sets::ensure(conn, id, wanted).await?;
            }
            sets::point(conn, sets::Pointers::Desired, cluster, id.as_deref()).await
        }
        KeyTable::Running => replace_running(conn, cluster, wanted).await,
    }
}

async fn replace_running(
    conn: &mut AnyConnection,
    cluster: &str,
    wanted: &BTreeSet<ImageKey>,
) -> Result<(), FleetError> {
    let (base, added, removed) = running_parts(conn, cluster, wanted).await?;
    sets::point(conn, sets::Pointers::Running, cluster, base.as_deref()).await?;
    let held_added = sets::cluster_keys(conn, sets::ClusterKeys::Added, cluster).await?;
    let held_removed = sets::cluster_keys(conn, sets::ClusterKeys::Removed, cluster).await?;
    sets::change(conn, sets::ClusterKeys::Added, cluster, &held_added, &added).await?;
    sets::change(
        conn,
        sets::ClusterKeys::Removed,
        cluster,
        &held_removed,
        &removed,
    )
    .await
}

/// The base set, added keys and removed keys that make `wanted`: the desired set and the
/// difference when that difference is small, else a set of `wanted`'s own (stored if new).
async fn running_parts(
    conn: &mut AnyConnection,
    cluster: &str,
    wanted: &BTreeSet<ImageKey>,
) -> Result<(Option<String>, BTreeSet<ImageKey>, BTreeSet<ImageKey>), FleetError> {
    if wanted.is_empty() {
        return Ok((None, BTreeSet::new(), BTreeSet::new()));
    }
    let own = sets::set_id(wanted);
    if let Some(desired) = sets::pointed(conn, sets::Pointers::Desired, cluster).await? {
        if desired == own {
            return Ok((Some(desired), BTreeSet::new(), BTreeSet::new()));
        }
        let base = sets::keys_of(conn, &desired).await?;
        let added: BTreeSet<ImageKey> = wanted.difference(&base).cloned().collect();
        let removed: BTreeSet<ImageKey> = base.difference(wanted).cloned().collect();
        if (added.len() + removed.len()) * MAX_CHANGED_SHARE <= wanted.len() {
            return Ok((Some(desired), added, removed));
        }
    }
    sets::ensure(conn, &own, wanted).await?;
    Ok((Some(own), BTreeSet::new(), BTreeSet::new()))
}
