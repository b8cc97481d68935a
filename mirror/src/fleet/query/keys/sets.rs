//! Content-addressed sets of image keys (`image_set_keys`), the clusters' pointers at them
//! (`desired_image_sets`, `running_image_sets`) and a running set's own changes to its base
//! (`running_keys_added`, `running_keys_removed`). A set is immutable: it is written once, when
//! the first cluster points at it, and deleted when the last one stops.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use sqlx::AnyConnection;

use super::ImageKey;
use crate::fleet::db::{insert_rows_sql, lock_key, Backend, Batch, Column, RowsInsert, SET_LOCKS};
use crate::fleet::FleetError;

/// Which clusters' pointers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pointers {
    Desired,
    Running,
}

impl Pointers {
    fn table(self) -> &'static str {
        match self {
            Pointers::Desired => "desired_image_sets",
            Pointers::Running => "running_image_sets",
        }
    }
}

/// A running set's keys beyond its base, or its base's keys it lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterKeys {
    Added,
    Removed,
}

impl ClusterKeys {
    fn table(self) -> &'static str {
        match self {
            ClusterKeys::Added => "running_keys_added",
            ClusterKeys::Removed => "running_keys_removed",
        }
    }
}

/// The name of a set: the hex sha256 of its keys in order, each field length-prefixed.
pub fn set_id(keys: &BTreeSet<ImageKey>) -> String {
    let mut h = Sha256::new();
    for k in keys {
        for field in [&k.repository, &k.tag, &k.digest] {
            h.update((field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
    }
    hex::encode(h.finalize())
}

/// Adds to `batch` the insert of the set `id` of `keys`, which does nothing when it is stored
/// already (a set is immutable).
pub(crate) fn push_ensure(batch: &mut Batch, id: &str, keys: &BTreeSet<ImageKey>) {
    push_insert(batch, "image_set_keys", "image_set", id, keys, true);
}

/// Locks the sets `ids` for the rest of `batch`'s transaction (on PostgreSQL: see
/// [`Batch::lock`]): reports of different clusters are stored at once there
/// ([`FleetDb::begin_report`]), and one that points at a set must not meet another that deletes
/// it as no longer pointed at, nor two that store one new set both insert its keys.
///
/// [`FleetDb::begin_report`]: crate::fleet::db::FleetDb::begin_report
pub(crate) fn push_lock(batch: &mut Batch, ids: &[Option<&str>]) {
    for id in ids.iter().flatten() {
        batch.lock(SET_LOCKS, lock_key(id));
    }
}

/// The set `cluster` points at.
pub async fn pointed(
    conn: &mut AnyConnection,
    pointers: Pointers,
    cluster: &str,
) -> Result<Option<String>, FleetError> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT image_set FROM {} WHERE cluster = $1",
        pointers.table()
    )))
    .bind(cluster)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Adds to `batch` what points `cluster` at `set` (`None`: at nothing) instead of `before`,
/// and deletes `before` if no cluster points at it any more.
pub(crate) fn push_point(
    batch: &mut Batch,
    pointers: Pointers,
    cluster: &str,
    before: Option<&str>,
    set: Option<&str>,
) {
    if before == set {
        return;
    }
    let t = pointers.table();
    match set {
        Some(set) => batch.push(
            format!(
                "INSERT INTO {t} (cluster, image_set) VALUES ($1, $2)
                 ON CONFLICT (cluster) DO UPDATE SET image_set = excluded.image_set"
            ),
            vec![cluster.into(), set.into()],
        ),
        None => batch.push(
            format!("DELETE FROM {t} WHERE cluster = $1"),
            vec![cluster.into()],
        ),
    }
    if let Some(before) = before {
        // `cluster`'s own pointer in `t` has moved away from `before`, though a statement of
        // the same batch may not see that yet (`Batch`).
        let others = |table: &str| {
            if table == t {
                format!("SELECT 1 FROM {table} WHERE image_set = $1 AND cluster <> $2")
            } else {
                format!("SELECT 1 FROM {table} WHERE image_set = $1")
            }
        };
        batch.push(
            format!(
                "DELETE FROM image_set_keys WHERE image_set = $1
                 AND NOT EXISTS ({}) AND NOT EXISTS ({})",
                others("desired_image_sets"),
                others("running_image_sets")
            ),
            vec![before.into(), cluster.into()],
        );
    }
}

/// Sets whose keys [`keys_of`] keeps in memory: a fleet has a few sets per profile version.
const CACHED_SETS: usize = 256;

/// Keys of sets read before, by id. Only sets whose id is the sha256 of their keys are kept:
/// such an id means the same keys in every database, so one cache serves them all (the sets
/// that migration 0010 named after their cluster are not).
static CACHE: std::sync::Mutex<BTreeMap<String, Arc<BTreeSet<ImageKey>>>> =
    std::sync::Mutex::new(BTreeMap::new());

/// The keys of the stored set `id`.
pub async fn keys_of(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Arc<BTreeSet<ImageKey>>, FleetError> {
    let addressed = id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
    if addressed {
        if let Some(keys) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(id) {
            return Ok(keys.clone());
        }
    }
    let keys = Arc::new(read_keys(conn, "image_set_keys", "image_set", id).await?);
    // Kept only when the keys are what the id names: then they are right in any database,
    // stored or not.
    if addressed && set_id(&keys) == id {
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHED_SETS {
            cache.clear();
        }
        cache.insert(id.to_owned(), keys.clone());
    }
    Ok(keys)
}

/// Adds to `batch` what makes `cluster`'s own added or removed keys exactly `keys`: they are
/// few (a cluster that runs far from its base gets a set of its own), so they are rewritten.
pub(crate) fn push_cluster_keys(
    batch: &mut Batch,
    which: ClusterKeys,
    cluster: &str,
    keys: &BTreeSet<ImageKey>,
) {
    let t = which.table();
    match batch.backend() {
        Backend::Sqlite => {
            batch.push(
                format!("DELETE FROM {t} WHERE cluster = $1"),
                vec![cluster.into()],
            );
            push_insert(batch, t, "cluster", cluster, keys, false);
        }
        Backend::Postgres => {
            // One statement (`Batch`) may not delete a row and insert it again: the keys kept
            // stay, the others go, and the new ones come.
            let json = serde_json::to_string(&key_tuples(keys)).unwrap_or_default();
            batch.push(
                format!(
                    "DELETE FROM {t} WHERE cluster = $1 AND NOT EXISTS (
                         SELECT 1 FROM jsonb_array_elements(CAST($2 AS jsonb)) AS j(value)
                         WHERE j.value ->> 0 = {t}.repository AND j.value ->> 1 = {t}.tag
                           AND j.value ->> 2 = {t}.digest)"
                ),
                vec![cluster.into(), json.clone().into()],
            );
            if !keys.is_empty() {
                let insert = insert_rows_sql(Backend::Postgres, key_insert(t, "cluster", false));
                batch.push(
                    format!("{insert} ON CONFLICT DO NOTHING"),
                    vec![cluster.into(), json.into()],
                );
            }
        }
    }
}

async fn read_keys(
    conn: &mut AnyConnection,
    table: &str,
    owner_column: &str,
    owner: &str,
) -> Result<BTreeSet<ImageKey>, FleetError> {
    Ok(
        sqlx::query_as::<_, (String, String, String)>(sqlx::AssertSqlSafe(format!(
            "SELECT repository, tag, digest FROM {table} WHERE {owner_column} = $1"
        )))
        .bind(owner)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(repository, tag, digest)| ImageKey {
            repository,
            tag,
            digest,
        })
        .collect(),
    )
}

/// Keys as the rows of [`key_insert`].
fn key_tuples(keys: &BTreeSet<ImageKey>) -> Vec<(&str, &str, &str)> {
    keys.iter()
        .map(|k| (k.repository.as_str(), k.tag.as_str(), k.digest.as_str()))
        .collect()
}

const KEY_COLUMNS: [Column; 3] = [
    Column("repository", false),
    Column("tag", false),
    Column("digest", false),
];

/// Where keys go: `table`, under an owner (a set's id or a cluster's name) in `owner_column`.
fn key_insert<'a>(table: &'a str, owner_column: &'a str, unless_owned: bool) -> RowsInsert<'a> {
    RowsInsert {
        table,
        owner_column,
        columns: &KEY_COLUMNS,
        unless_owned,
    }
}

/// Adds the insert of `keys` under `owner` into `table`.
fn push_insert(
    batch: &mut Batch,
    table: &str,
    owner_column: &str,
    owner: &str,
    keys: &BTreeSet<ImageKey>,
    unless_owned: bool,
) {
    let insert = key_insert(table, owner_column, unless_owned);
    batch.insert_rows(insert, owner, &key_tuples(keys));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_named_by_its_keys_alone() {
        let k = |r: &str, t: &str, d: &str| ImageKey::new(r, Some(t), Some(d));
        let a: BTreeSet<_> = [k("a", "1", "d1"), k("b", "", "d2")].into();
        let b: BTreeSet<_> = [k("b", "", "d2"), k("a", "1", "d1")].into();
        assert_eq!(set_id(&a), set_id(&b));
        assert_eq!(set_id(&a).len(), 64);
        // Length prefixes keep fields from running into each other.
        let c: BTreeSet<_> = [k("a", "1d", "1"), k("b", "", "d2")].into();
        assert_ne!(set_id(&a), set_id(&c));
    }
}
