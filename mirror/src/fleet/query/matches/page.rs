//! Which clusters a page of an image query holds: the first by name, in byte order, that
//! desire or run a key some lookup finds.
//!
//! Keys live in shared sets (migration 0010), so the sets that hold a found key are few, and
//! the clusters pointing at them may be most of the fleet. Each of the three sources (desired
//! sets, running sets, keys a cluster runs beyond its set) is read in name order and stops at
//! the page's end, so a page costs about the same whether ten clusters match or ten thousand.

use super::{condition, in_pairs};
use crate::fleet::db::Backend;
use crate::fleet::page::Page;
use crate::fleet::query::Lookup;
use crate::fleet::{Fleet, FleetError};

/// The live clusters any of `lookups` finds after `page.after`, in name order, at most one
/// beyond the page.
pub(super) async fn page_clusters(
    fleet: &Fleet,
    lookups: &[&Lookup],
    page: &Page,
) -> Result<Vec<String>, FleetError> {
    let parts = in_pairs(lookups, |_, part| page_clusters_of(fleet, part, page)).await?;
    let mut found: Vec<String> = parts.into_iter().flatten().collect();
    // Both backends order by bytes (`Backend::bytes`), as Rust does.
    found.sort();
    found.dedup();
    found.truncate(page.limit.saturating_add(1));
    Ok(found)
}

/// `(c1) OR (c2) …` for `lookups` on alias `alias`, binds numbered from 2 (`$1` is the page's
/// start), and those binds.
fn any_of(lookups: &[&Lookup], alias: &str) -> (String, Vec<String>) {
    let mut conds = Vec::new();
    let mut binds = Vec::new();
    for l in lookups {
        let (c, b) = condition(l, alias, binds.len() + 2);
        conds.push(format!("({c})"));
        binds.extend(b);
    }
    (conds.join(" OR "), binds)
}

/// The query of [`page_clusters`] for one part of the lookups, and its binds after `$1`.
fn page_sql(backend: Backend, lookups: &[&Lookup], limit: i64) -> (String, Vec<String>) {
    let bytes = backend.bytes();
    let (on_k, binds) = any_of(lookups, "k");
    let (on_a, _) = any_of(lookups, "a");
    // The found sets must filter a scan of the pointers in name order, not pick the pointers by
    // set, which finds every match and sorts them (30 ms rather than 5 for 10 digests at 10,000
    // clusters). On PostgreSQL an array is one value, where `IN (SELECT …)` is planned as a
    // join; on SQLite a unary `+` keeps a term from choosing an index.
    let in_sets = match backend {
        Backend::Postgres => "p.image_set = ANY (ARRAY(SELECT image_set FROM s))",
        Backend::Sqlite => "+p.image_set IN (SELECT image_set FROM s)",
    };
    let pointers = |table: &str, name: &str, and: &str| {
        format!(
            "SELECT * FROM (SELECT p.cluster FROM {table} p CROSS JOIN clusters c
             WHERE {in_sets} AND p.cluster{bytes} > $1{and}
               AND c.name = p.cluster AND c.deregistered_at IS NULL
             ORDER BY p.cluster{bytes} LIMIT {limit}) AS {name}"
        )
    };
    // A running set's key counts unless the cluster dropped it; few clusters drop any.
    let not_dropped = format!(
        "
               AND (NOT EXISTS (SELECT 1 FROM running_keys_removed r WHERE r.cluster = p.cluster)
                 OR EXISTS (SELECT 1 FROM image_set_keys k
                    WHERE k.image_set = p.image_set AND ({on_k})
                      AND NOT EXISTS (SELECT 1 FROM running_keys_removed r
                        WHERE r.cluster = p.cluster AND r.repository = k.repository
                          AND r.tag = k.tag AND r.digest = k.digest)))"
    );
    let sql = format!(
        "WITH s AS MATERIALIZED (SELECT DISTINCT k.image_set FROM image_set_keys k WHERE {on_k})
         SELECT DISTINCT m.cluster{bytes} AS cluster FROM (
           {desired}
           UNION ALL
           {running}
           UNION ALL
           SELECT * FROM (SELECT a.cluster FROM running_keys_added a CROSS JOIN clusters c
             WHERE ({on_a}) AND a.cluster{bytes} > $1
               AND c.name = a.cluster AND c.deregistered_at IS NULL
             ORDER BY a.cluster{bytes} LIMIT {limit}) AS added
         ) m ORDER BY 1 LIMIT {limit}",
        desired = pointers("desired_image_sets", "desired", ""),
        running = pointers("running_image_sets", "running", &not_dropped),
    );
    (sql, binds)
}

/// [`page_clusters`] for one query's worth of lookups.
async fn page_clusters_of(
    fleet: &Fleet,
    part: &[&Lookup],
    page: &Page,
) -> Result<Vec<String>, FleetError> {
    let (sql, binds) = page_sql(fleet.db.backend(), part, page.sql_limit());
    let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
    q = q.bind(page.after_bound().to_owned());
    for b in &binds {
        q = q.bind(b);
    }
    let mut conn = fleet.db.pool().acquire().await?;
    Ok(q.fetch_all(&mut *conn).await?)
}
