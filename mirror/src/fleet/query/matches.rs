//! The index lookups behind the image queries: one page of the clusters some lookup finds,
//! then, at once on connections of their own, those clusters' desired rows and their running
//! keys with the containers behind them, and (for `affected`) which lookups find anything in
//! the whole fleet. Each part is a few index range reads; run one after the other their times
//! add up, on PostgreSQL to more than a query may take.

use std::collections::{BTreeMap, BTreeSet};

use super::{DesiredMatch, ImageCluster, Lookup, RunningMatch};
use crate::fleet::page::Page;
use crate::fleet::reports::containers;
use crate::fleet::{Fleet, FleetError};

mod page;
use page::page_clusters;

/// Lookups per query in `affected`: 3 binds each at most.
const LOOKUPS_PER_QUERY: usize = 50;

/// `f(first, part)` for `lookups` cut into parts of at most [`LOOKUPS_PER_QUERY`] (two when they
/// are fewer), two parts at a time on connections of their own; `first` is the position of the
/// part's first lookup. A lookup's matches grow with the fleet, and two halves asked at once
/// take half as long.
async fn in_pairs<'a, T, Fut>(
    lookups: &'a [&'a Lookup],
    f: impl Fn(usize, &'a [&'a Lookup]) -> Fut,
) -> Result<Vec<T>, FleetError>
where
    Fut: std::future::Future<Output = Result<T, FleetError>>,
{
    let per_part = lookups.len().div_ceil(2).clamp(1, LOOKUPS_PER_QUERY);
    let parts: Vec<(usize, &[&Lookup])> = lookups
        .chunks(per_part)
        .enumerate()
        .map(|(n, part)| (n * per_part, part))
        .collect();
    let mut out = Vec::new();
    for pair in parts.chunks(2) {
        match pair {
            [(i, a), (j, b)] => {
                let (x, y) = tokio::try_join!(f(*i, a), f(*j, b))?;
                out.extend([x, y]);
            }
            [(i, a)] => out.push(f(*i, a).await?),
            _ => {}
        }
    }
    Ok(out)
}

/// The WHERE condition of a lookup on a table aliased `alias`, its binds numbered from
/// `first` (the same numbers serve both aliases of one query).
fn condition(l: &Lookup, alias: &str, first: usize) -> (String, Vec<String>) {
    match l {
        Lookup::Digest(d) => (format!("{alias}.digest = ${first}"), vec![d.clone()]),
        Lookup::Image(n) => {
            let mut conds = vec![format!("{alias}.repository = ${first}")];
            let mut binds = vec![n.repository.clone()];
            if let Some(t) = &n.tag {
                conds.push(format!("{alias}.tag = ${}", first + binds.len()));
                binds.push(t.clone());
            }
            if let Some(d) = &n.digest {
                conds.push(format!("{alias}.digest = ${}", first + binds.len()));
                binds.push(d.clone());
            }
            (conds.join(" AND "), binds)
        }
    }
}

/// One SELECT per lookup, tagged with its position and joined by UNION ALL: the keys table
/// `keys` (aliased `k`) is read first, by its digest or repository index, and each key of a
/// cluster in (`$lo`, `$hi`] leads to the rows of `rows` (aliased `t`) it was made from, in that
/// cluster's index. The joins are CROSS JOINs so that SQLite keeps that order (PostgreSQL plans
/// them as inner joins).
fn union_sql(
    bytes: &str,
    lookups: &[&Lookup],
    columns: &str,
    rows: &str,
    keys: &str,
    order: &str,
) -> (String, Vec<String>) {
    let mut parts = Vec::new();
    let mut binds = Vec::new();
    let (lo, hi) = (1, 2);
    for (i, l) in lookups.iter().enumerate() {
        let (on_k, b) = condition(l, "k", binds.len() + 3);
        binds.extend(b);
        parts.push(format!(
            "SELECT CAST({i} AS BIGINT) AS entry, {columns}
             FROM {keys} k CROSS JOIN {rows} t CROSS JOIN clusters c
             WHERE {on_k} AND k.cluster{bytes} > ${lo} AND k.cluster{bytes} <= ${hi}
               AND t.cluster = k.cluster AND t.repository = k.repository
               AND COALESCE(t.tag, '') = k.tag AND COALESCE(t.digest, '') = k.digest
               AND c.name = t.cluster AND c.deregistered_at IS NULL"
        ));
    }
    (
        format!("{} ORDER BY {order}", parts.join(" UNION ALL ")),
        binds,
    )
}

/// Which of `lookups` (by position) some live cluster desires or runs, in the whole fleet.
pub(super) async fn found_anywhere(
    fleet: &Fleet,
    lookups: &[&Lookup],
) -> Result<Vec<bool>, FleetError> {
    let mut conn = fleet.db.pool().acquire().await?;
    let mut out = vec![false; lookups.len()];
    for (n, chunk) in lookups.chunks(LOOKUPS_PER_QUERY).enumerate() {
        let mut parts = Vec::new();
        let mut binds = Vec::new();
        for (i, l) in chunk.iter().enumerate() {
            let (on_k, b) = condition(l, "k", binds.len() + 1);
            binds.extend(b);
            let exists = |keys: &str| {
                format!(
                    "EXISTS (SELECT 1 FROM {keys} k CROSS JOIN clusters c
                     WHERE {on_k} AND c.name = k.cluster AND c.deregistered_at IS NULL)"
                )
            };
            parts.push(format!(
                "SELECT CAST({i} AS BIGINT) AS entry WHERE {} OR {}",
                exists("desired_image_keys"),
                exists("running_image_keys")
            ));
        }
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(parts.join(" UNION ALL ")));
        for b in &binds {
            q = q.bind(b);
        }
        for i in q.fetch_all(&mut *conn).await? {
            out[n * LOOKUPS_PER_QUERY + i as usize] = true;
        }
    }
    Ok(out)
}

/// Like [`union_sql`] for the running keys alone: (lookup, cluster, repository, tag, digest) of
/// the live clusters in (`$1`, `$2`].
fn running_keys_sql(bytes: &str, lookups: &[&Lookup]) -> (String, Vec<String>) {
    let mut parts = Vec::new();
    let mut binds = Vec::new();
    for (i, l) in lookups.iter().enumerate() {
        let (on_k, b) = condition(l, "k", binds.len() + 3);
        binds.extend(b);
        parts.push(format!(
            "SELECT CAST({i} AS BIGINT) AS entry, k.cluster, k.repository, k.tag, k.digest
             FROM running_image_keys k CROSS JOIN clusters c
             WHERE {on_k} AND k.cluster{bytes} > $1 AND k.cluster{bytes} <= $2
               AND c.name = k.cluster AND c.deregistered_at IS NULL"
        ));
    }
    (
        format!("{} ORDER BY 2, 1", parts.join(" UNION ALL ")),
        binds,
    )
}

/// (lookup, cluster, key) of a running key found.
type RunningKey = (usize, String, containers::Key);

/// One page of the clusters that desire or run any of `lookups`: per lookup, those clusters
/// by name, and where the next page starts.
pub(super) async fn matches(
    fleet: &Fleet,
    lookups: &[&Lookup],
    page: &Page,
) -> Result<(Vec<Vec<ImageCluster>>, Option<String>), FleetError> {
    let found = page_clusters(fleet, lookups, page).await?;
    let (clusters, next) = page.cut(found, |c| c);
    let Some(last) = clusters.last() else {
        return Ok((vec![Vec::new(); lookups.len()], None));
    };
    let range = [page.after_bound().to_owned(), last.clone()];
    let (mut found, running) = tokio::try_join!(
        desired_matches(fleet, lookups, &range),
        running_matches(fleet, lookups, &range)
    )?;
    let (running_keys, groups) = running;
    for (entry, cluster, key) in running_keys {
        let Some(group) = groups.get(&(cluster.clone(), key.clone())) else {
            continue;
        };
        let running = &mut found[entry].entry(cluster).or_default().running;
        running.extend(group.iter().map(|c| RunningMatch {
            reference: c.reference.clone(),
            digest: (!key.2.is_empty()).then(|| key.2.clone()),
            namespace: c.namespace.clone(),
            pod: c.pod.clone(),
            container: c.container.clone(),
            ready: c.ready,
        }));
    }
    for c in found
        .iter_mut()
        .flat_map(|by_cluster| by_cluster.values_mut())
    {
        c.running.sort_by(|a, b| {
            (&a.namespace, &a.pod, &a.container).cmp(&(&b.namespace, &b.pod, &b.container))
        });
    }
    let per_lookup = found
        .into_iter()
        .map(|by_cluster| {
            by_cluster
                .into_iter()
                .map(|(cluster, mut c)| {
                    c.cluster = cluster;
                    c
                })
                .collect()
        })
        .collect();
    Ok((per_lookup, next))
}

/// Per lookup, the clusters in `range` that desire what it finds, with their desired rows.
async fn desired_matches(
    fleet: &Fleet,
    lookups: &[&Lookup],
    range: &[String; 2],
) -> Result<Vec<BTreeMap<String, ImageCluster>>, FleetError> {
    let mut found: Vec<BTreeMap<String, ImageCluster>> = vec![BTreeMap::new(); lookups.len()];
    let parts = in_pairs(lookups, |first, part| {
        desired_rows(fleet, first, part, range)
    })
    .await?;
    for (entry, cluster, m) in parts.into_iter().flatten() {
        found[entry].entry(cluster).or_default().desired.push(m);
    }
    Ok(found)
}

/// (lookup, cluster, profile, layer, reference, digest) as read.
type DesiredRow = (i64, String, Option<String>, Option<String>, String, String);

/// (lookup, cluster, row) of what `part` (lookups from position `first` on) finds desired.
async fn desired_rows(
    fleet: &Fleet,
    first: usize,
    part: &[&Lookup],
    range: &[String; 2],
) -> Result<Vec<(usize, String, DesiredMatch)>, FleetError> {
    let (sql, binds) = union_sql(
        fleet.db.backend().bytes(),
        part,
        "t.cluster, t.profile, t.layer, t.reference, t.digest",
        "desired_images",
        "desired_image_keys",
        "1, 2, 3, 4, 5",
    );
    let rows: Vec<DesiredRow> = in_range(fleet, sql, range, &binds).await?;
    Ok(rows
        .into_iter()
        .map(|(entry, cluster, profile, layer, reference, digest)| {
            let m = DesiredMatch {
                profile,
                layer,
                reference,
                digest,
            };
            (first + entry as usize, cluster, m)
        })
        .collect())
}

/// The running keys that `lookups` find among the clusters in `range`, and the containers
/// behind them, read from the documents of those clusters alone.
async fn running_matches(
    fleet: &Fleet,
    lookups: &[&Lookup],
    range: &[String; 2],
) -> Result<
    (
        Vec<RunningKey>,
        BTreeMap<(String, containers::Key), Vec<containers::Container>>,
    ),
    FleetError,
> {
    let parts = in_pairs(lookups, |first, part| {
        running_keys_of(fleet, first, part, range)
    })
    .await?;
    let running_keys: Vec<RunningKey> = parts.into_iter().flatten().collect();
    let mut wanted: BTreeMap<&str, BTreeSet<containers::Key>> = BTreeMap::new();
    for (_, cluster, key) in &running_keys {
        wanted.entry(cluster).or_default().insert(key.clone());
    }
    // Two halves at once: the documents are most of a page's bytes, and each half's are read
    // as they arrive, beside the other's.
    let clusters: Vec<&str> = wanted.keys().copied().collect();
    let (first, second) = clusters.split_at(clusters.len().div_ceil(2));
    let (mut groups, rest) = tokio::try_join!(
        container_groups(fleet, first, &wanted),
        container_groups(fleet, second, &wanted)
    )?;
    groups.extend(rest);
    Ok((running_keys, groups))
}

/// The containers under the `wanted` keys of each of `clusters`, from their documents.
async fn container_groups(
    fleet: &Fleet,
    clusters: &[&str],
    wanted: &BTreeMap<&str, BTreeSet<containers::Key>>,
) -> Result<BTreeMap<(String, containers::Key), Vec<containers::Container>>, FleetError> {
    use futures_util::TryStreamExt as _;
    let mut groups = BTreeMap::new();
    if clusters.is_empty() {
        return Ok(groups);
    }
    let marks: Vec<String> = (1..=clusters.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT cluster, doc FROM running_docs WHERE cluster IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
    for cluster in clusters {
        q = q.bind(*cluster);
    }
    let mut conn = fleet.db.pool().acquire().await?;
    let mut rows = q.fetch(&mut *conn);
    while let Some((cluster, doc)) = rows.try_next().await? {
        for (key, group) in containers::read(&doc, wanted.get(cluster.as_str())) {
            groups.insert((cluster.clone(), key), group);
        }
    }
    Ok(groups)
}

/// The running keys `part` (lookups from position `first` on) finds in `range`.
async fn running_keys_of(
    fleet: &Fleet,
    first: usize,
    part: &[&Lookup],
    range: &[String; 2],
) -> Result<Vec<RunningKey>, FleetError> {
    let (sql, binds) = running_keys_sql(fleet.db.backend().bytes(), part);
    let rows: Vec<(i64, String, String, String, String)> =
        in_range(fleet, sql, range, &binds).await?;
    Ok(rows
        .into_iter()
        .map(|(entry, cluster, repository, tag, digest)| {
            (first + entry as usize, cluster, (repository, tag, digest))
        })
        .collect())
}

/// The rows of `sql` with `range` bound to `$1, $2` and `binds` after them, on a connection
/// of its own.
async fn in_range<T>(
    fleet: &Fleet,
    sql: String,
    range: &[String; 2],
    binds: &[String],
) -> Result<Vec<T>, FleetError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql));
    for b in range.iter().chain(binds) {
        q = q.bind(b);
    }
    let mut conn = fleet.db.pool().acquire().await?;
    Ok(q.fetch_all(&mut *conn).await?)
}
