//! The inverted image indexes: the distinct (repository, tag, digest) keys each cluster runs
//! (`running_image_keys`) or desires (`desired_image_keys`), which the lookups by digest and by
//! repository go through before reading the cluster's own rows.
//!
//! They are rewritten by difference: a report whose pods were only renamed, or a revision that
//! bumps one image, changes a handful of keys. Each key is an entry in indexes ordered by digest
//! and by repository, where neighbours belong to other clusters, so every key written costs a
//! disk page; rewriting all of a cluster's keys on each report was most of ingest's writes.

use std::collections::BTreeSet;

use sqlx::AnyConnection;

use crate::fleet::FleetError;

/// Rows per multi-row INSERT (4 columns; SQLite's binding cost grows with the count).
const INSERT_BATCH: usize = 50;

/// Which inverted index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTable {
    Running,
    Desired,
}

impl KeyTable {
    pub fn name(self) -> &'static str {
        match self {
            KeyTable::Running => "running_image_keys",
            KeyTable::Desired => "desired_image_keys",
        }
    }
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

/// Makes `cluster`'s keys in `table` exactly `wanted`, writing only the difference.
pub async fn replace(
    conn: &mut AnyConnection,
    table: KeyTable,
    cluster: &str,
    wanted: &BTreeSet<ImageKey>,
) -> Result<(), FleetError> {
    let t = table.name();
    if wanted.is_empty() {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {t} WHERE cluster = $1"
        )))
        .bind(cluster)
        .execute(&mut *conn)
        .await?;
        return Ok(());
    }
    let held: BTreeSet<ImageKey> =
        sqlx::query_as::<_, (String, String, String)>(sqlx::AssertSqlSafe(format!(
            "SELECT repository, tag, digest FROM {t} WHERE cluster = $1"
        )))
        .bind(cluster)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(repository, tag, digest)| ImageKey {
            repository,
            tag,
            digest,
        })
        .collect();
    for gone in held.difference(wanted) {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {t} WHERE cluster = $1 AND repository = $2 AND tag = $3 AND digest = $4"
        )))
        .bind(cluster)
        .bind(&gone.repository)
        .bind(&gone.tag)
        .bind(&gone.digest)
        .execute(&mut *conn)
        .await?;
    }
    let added: Vec<&ImageKey> = wanted.difference(&held).collect();
    for chunk in added.chunks(INSERT_BATCH) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, ${}, ${}, ${})", i * 3 + 2, i * 3 + 3, i * 3 + 4))
            .collect();
        let sql = format!(
            "INSERT INTO {t} (cluster, repository, tag, digest) VALUES {}",
            values.join(",")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(cluster);
        for k in chunk {
            q = q.bind(&k.repository).bind(&k.tag).bind(&k.digest);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
