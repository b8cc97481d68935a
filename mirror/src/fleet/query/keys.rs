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

use crate::fleet::db::{Backend, Batch};
use crate::fleet::FleetError;

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

/// Makes `cluster`'s desired keys exactly `wanted`. Runs in the caller's write transaction:
/// whether a set exists and whether it is still pointed at are read and acted on under it.
pub async fn replace_desired(
    conn: &mut AnyConnection,
    cluster: &str,
    wanted: &BTreeSet<ImageKey>,
) -> Result<(), FleetError> {
    let id = (!wanted.is_empty()).then(|| sets::set_id(wanted));
    let before = sets::pointed(conn, sets::Pointers::Desired, cluster).await?;
    if before == id {
        return Ok(());
    }
    let mut batch = Batch::new(Backend::of(conn));
    if let Some(id) = &id {
        sets::push_ensure(&mut batch, id, wanted);
    }
    sets::push_point(
        &mut batch,
        sets::Pointers::Desired,
        cluster,
        before.as_deref(),
        id.as_deref(),
    );
    batch.run(conn).await
}

/// The sets a cluster points at, as the caller read them in its write transaction.
#[derive(Debug, Clone, Default)]
pub struct Pointed {
    pub desired: Option<String>,
    pub running: Option<String>,
}

/// Adds to `batch` what makes `cluster`'s running keys exactly `wanted`: its pointer at the
/// base set (the desired one when the cluster runs nearly that, else a set of `wanted`'s own,
/// stored if new) and its own added and removed keys.
pub(crate) async fn push_running(
    conn: &mut AnyConnection,
    batch: &mut Batch,
    cluster: &str,
    pointed: &Pointed,
    wanted: &BTreeSet<ImageKey>,
) -> Result<(), FleetError> {
    let parts = running_parts(conn, pointed.desired.as_deref(), wanted).await?;
    if pointed.running != parts.base {
        // A set the cluster points at and keeps pointing at is neither stored nor collected.
        sets::push_lock(batch, &[pointed.running.as_deref(), parts.base.as_deref()]);
    }
    if let (true, Some(id)) = (parts.own, &parts.base) {
        sets::push_ensure(batch, id, wanted);
    }
    sets::push_point(
        batch,
        sets::Pointers::Running,
        cluster,
        pointed.running.as_deref(),
        parts.base.as_deref(),
    );
    sets::push_cluster_keys(batch, sets::ClusterKeys::Added, cluster, &parts.added);
    sets::push_cluster_keys(batch, sets::ClusterKeys::Removed, cluster, &parts.removed);
    Ok(())
}

/// What makes a cluster's running keys: the set it is based on (`own`: a set of exactly those
/// keys, stored if new), and the keys it runs beyond that set and lacks of it.
#[derive(Default)]
struct RunningParts {
    base: Option<String>,
    own: bool,
    added: BTreeSet<ImageKey>,
    removed: BTreeSet<ImageKey>,
}

/// The desired set and the difference when that difference is small, else a set of `wanted`'s
/// own.
async fn running_parts(
    conn: &mut AnyConnection,
    desired: Option<&str>,
    wanted: &BTreeSet<ImageKey>,
) -> Result<RunningParts, FleetError> {
    if wanted.is_empty() {
        return Ok(RunningParts::default());
    }
    let own = sets::set_id(wanted);
    if let Some(desired) = desired {
        if desired == own {
            return Ok(RunningParts {
                base: Some(own),
                ..RunningParts::default()
            });
        }
        let base = sets::keys_of(conn, desired).await?;
        let added: BTreeSet<ImageKey> = wanted.difference(&base).cloned().collect();
        let removed: BTreeSet<ImageKey> = base.difference(wanted).cloned().collect();
        if (added.len() + removed.len()) * MAX_CHANGED_SHARE <= wanted.len() {
            return Ok(RunningParts {
                base: Some(desired.to_owned()),
                own: false,
                added,
                removed,
            });
        }
    }
    Ok(RunningParts {
        base: Some(own),
        own: true,
        ..RunningParts::default()
    })
}
