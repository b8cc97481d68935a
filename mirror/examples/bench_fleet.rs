//! The fleet benchmark behind scripts/bench-fleet: N clusters (default 10,000) × 200 running
//! images from a fixed seed, built in-process through the fleet functions (registered
//! clusters, desired revisions, reports through `reports::ingest`), then p50/p99 of each query,
//! the report-ingest rate (new, unchanged and changed image sets), the web UI's pages and peak
//! RSS.
//!
//! Usage: bench_fleet [--clusters N] [--runs R] [--seed S] [--database-url URL] [--queries-only]
//! (default database: a temp SQLite file; `postgres://…` for PostgreSQL; `--queries-only` times
//! the queries on a database an earlier run with the same flags filled).

#[path = "../tests/fleet_reports_support/mod.rs"]
mod support;
#[path = "bench_fleet/ui.rs"]
mod ui;

use std::time::{Duration, Instant};

use ferry_bundler::format::profile_definition::{PinnedImage, ProfileDefinition};
use ferry_bundler::format::report::{PodReport, SignedReport};
use ferry_mirror::fleet::page::{Page, DEFAULT_LIMIT, MAX_LIMIT};
use ferry_mirror::fleet::{query, reports, status, Backend, Fleet};
use support::*;

const IMAGES_PER_CLUSTER: usize = 200;
const LAYERS: usize = 4;
const PROFILES: usize = 20;
const VERSIONS: [&str; 3] = ["1.0.0", "1.1.0", "1.2.0"];
const REPOSITORIES: usize = 2_000;
const T0: i64 = 1_800_000_000;

/// splitmix64: a fixed seed gives the same fleet everywhere, without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Args {
    clusters: usize,
    runs: usize,
    seed: u64,
    url: Option<String>,
    /// The database already holds this fleet (an earlier run with the same flags): time the
    /// queries only.
    queries_only: bool,
}

fn args() -> Args {
    let mut a = Args {
        clusters: 10_000,
        runs: 200,
        seed: 12,
        url: None,
        queries_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--clusters" => a.clusters = value().parse().expect("--clusters N"),
            "--runs" => a.runs = value().parse().expect("--runs R"),
            "--seed" => a.seed = value().parse().expect("--seed S"),
            "--database-url" => a.url = Some(value()),
            "--queries-only" => a.queries_only = true,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn image(repo: usize, version: usize) -> PinnedImage {
    pinned(
        &format!("registry.example/team-{}/app-{repo}", repo % 50),
        &format!("v{version}"),
        &format!("{repo}:{version}"),
    )
}

/// PROFILES profiles × 3 versions, each 4 layers × 50 images drawn from the repository pool.
fn profiles(rng: &mut Rng) -> Vec<Vec<ProfileDefinition>> {
    (0..PROFILES)
        .map(|p| {
            let repos: Vec<usize> = (0..IMAGES_PER_CLUSTER)
                .map(|_| rng.below(REPOSITORIES))
                .collect();
            VERSIONS
                .iter()
                .enumerate()
                .map(|(v, version)| {
                    let per = IMAGES_PER_CLUSTER / LAYERS;
                    let layers = (0..LAYERS)
                        .map(|l| {
                            let images = repos[l * per..(l + 1) * per]
                                .iter()
                                // Each version moves a tenth of the images to a newer build.
                                .enumerate()
                                .map(|(i, r)| image(*r, if i % 10 < v { v } else { 0 }))
                                .collect();
                            (["os", "cni", "csi", "apps"][l], images)
                        })
                        .collect();
                    definition(&format!("profile-{p:02}"), version, layers)
                })
                .collect()
        })
        .collect()
}

fn pods(def: &ProfileDefinition, drift: usize, salt: u64) -> Vec<PodReport> {
    let mut out = Vec::new();
    for l in &def.layers {
        for (i, img) in l.images.iter().enumerate() {
            let c = if i < drift && l.name == "apps" {
                running("main", img, &digest(&format!("hotfix-{salt}-{i}")), true, 0)
            } else {
                container("main", img, true, 0)
            };
            out.push(pod(
                &l.name,
                &format!("{}-{i}-7d9f8c6b5-{:05}", l.name, salt % 100_000),
                vec![c],
            ));
        }
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn time<F, Fut, T>(name: &str, runs: usize, mut f: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f(i).await);
        times.push(t.elapsed());
    }
    times.sort();
    let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    let verdict = if p99 < 50.0 { "ok" } else { "OVER 50 ms" };
    println!("{name:<36} p50 {p50:>8.2} ms   p99 {p99:>8.2} ms   ({runs} runs) {verdict}");
}

/// Reports per second, and KiB written to disk per report (this process's `write_bytes`).
async fn ingest_all(fleet: &Fleet, batch: &[SignedReport], now: i64) -> (f64, f64) {
    let written = written_bytes();
    let t = Instant::now();
    for r in batch {
        reports::ingest(fleet, r, Some(&r.report.cluster), now)
            .await
            .expect("ingest");
    }
    let rate = batch.len() as f64 / t.elapsed().as_secs_f64();
    let per = (written_bytes() - written) as f64 / 1024.0 / batch.len() as f64;
    (rate, per)
}

/// [`ingest_all`] as a server meets reports: `agents` at once, each on a task of its own.
async fn ingest_concurrently(
    fleet: &Fleet,
    batch: Vec<SignedReport>,
    now: i64,
    agents: usize,
) -> (f64, f64) {
    let written = written_bytes();
    let n = batch.len();
    let t = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for r in batch {
        if running.len() >= agents {
            running.join_next().await.unwrap().expect("ingest task");
        }
        let fleet = fleet.clone();
        running.spawn(async move {
            reports::ingest(&fleet, &r, Some(&r.report.cluster), now)
                .await
                .expect("ingest");
        });
    }
    while let Some(done) = running.join_next().await {
        done.expect("ingest task");
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    let per = (written_bytes() - written) as f64 / 1024.0 / n as f64;
    (rate, per)
}

/// Reports a server takes at once in the concurrent figures.
const AGENTS_AT_ONCE: usize = 8;

/// The value of `field:` in `/proc/self/<file>`, trimmed.
fn proc_field(file: &str, field: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/self/{file}")).ok()?;
    let prefix = format!("{field}:");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim().to_owned())
}

fn written_bytes() -> u64 {
    proc_field("io", "write_bytes")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn peak_rss_kib() -> String {
    proc_field("status", "VmHWM").unwrap_or_else(|| "?".into())
}

#[tokio::main]
async fn main() {
    let a = args();
    let backend = match &a.url {
        Some(u) if u.starts_with("postgres") => "PostgreSQL",
        Some(_) => "SQLite",
        None => "SQLite (the store's ferry.db)",
    };
    println!(
        "== fleet benchmark on {backend}: {} clusters × {IMAGES_PER_CLUSTER} images, seed {}",
        a.clusters, a.seed
    );
    let (fleet, _store) = match &a.url {
        Some(url) => fleet(url).await,
        None => fleet_in_store().await,
    };
    let mut rng = Rng(a.seed);
    let defs = profiles(&mut rng);

    if !a.queries_only {
        fill(&fleet, &a, &defs, &mut rng).await;
    }
    if fleet.db.backend() == Backend::Postgres {
        // PostgreSQL plans by the statistics autovacuum gathers within a minute or so of a
        // change; a fleet loaded seconds ago has none yet, and queries would be measured on
        // plans made for empty tables, as no appliance that has run a minute sees them.
        let t = Instant::now();
        sqlx::raw_sql("ANALYZE")
            .execute(fleet.db.pool())
            .await
            .unwrap();
        println!(
            "statistics: ANALYZE, as autovacuum would run it ({:.1} s)",
            t.elapsed().as_secs_f64()
        );
    }
    queries(&fleet, &a, &defs).await;
    println!("peak RSS: {}", peak_rss_kib());
}

/// Registers, assigns and publishes the fleet, then times the three kinds of report ingest.
async fn fill(fleet: &Fleet, a: &Args, defs: &[Vec<ProfileDefinition>], rng: &mut Rng) {
    let fleet = fleet.clone();
    let t = Instant::now();
    for (p, versions) in defs.iter().enumerate() {
        for (v, d) in versions.iter().enumerate() {
            catalog(&fleet, d, 1).await;
            // Every fifth profile got an in-place revision of its middle version.
            if p % 5 == 0 && v == 1 {
                catalog(&fleet, d, 2).await;
            }
        }
    }
    let mut secrets = Vec::with_capacity(a.clusters);
    let mut assigned = Vec::with_capacity(a.clusters);
    // In transactions of 500 clusters: setup is not what is measured.
    for chunk in (0..a.clusters).collect::<Vec<_>>().chunks(500) {
        let mut tx = fleet.db.begin_write().await.unwrap();
        for &c in chunk {
            let name = format!("edge-{c:05}");
            let p = rng.below(PROFILES);
            let v = rng.below(VERSIONS.len());
            secrets.push(register_in(&mut tx, &name, 60, T0).await);
            // One cluster in 17 was assigned the next version and not published yet.
            assign_in(
                &mut tx,
                &name,
                &format!("profile-{p:02}"),
                VERSIONS[(v + usize::from(c % 17 == 0)) % 3],
            )
            .await;
            publish_in(
                &mut tx,
                &name,
                1,
                &digest(&format!("artifact-{name}-1")),
                &[(&defs[p][v], 1)],
                T0,
            )
            .await;
            assigned.push((p, v));
        }
        tx.commit().await.unwrap();
    }
    println!(
        "setup: registered, assigned and published {} clusters (each revision indexed as it is published) in {:.1} s",
        a.clusters,
        t.elapsed().as_secs_f64()
    );

    // Reports of `round`, their pods named as in round `names` (the same names: the same set).
    let build = |round: u64, names: u64, drift: usize, only: usize| -> Vec<SignedReport> {
        (0..a.clusters.min(only))
            .map(|c| {
                let name = format!("edge-{c:05}");
                let (p, v) = assigned[c];
                let artifact = digest(&format!("artifact-{name}-1"));
                // One cluster in 40 drifts (hand-changed images); one in 50 has failed.
                let d = if c % 40 == 0 { drift.max(3) } else { drift };
                let r = report(
                    &name,
                    round,
                    pods(&defs[p][v], d, names * 1_000_000 + c as u64),
                    flux(&artifact, c % 50 != 0),
                );
                sign(&secrets[c], r)
            })
            .collect()
    };
    let mut first = build(1, 1, 0, usize::MAX);
    // Half the fleet reports one at a time, the other half as a server meets it.
    let at_once = first.split_off(first.len() / 2);
    let (rate, kib) = ingest_all(&fleet, &first, T0 + 10).await;
    println!(
        "ingest, first reports (200 containers each):   {rate:>8.0} reports/s ({} reports, {kib:.0} KiB written each)",
        first.len()
    );
    let n = at_once.len();
    let (rate, kib) = ingest_concurrently(&fleet, at_once, T0 + 10, AGENTS_AT_ONCE).await;
    println!(
        "  the same, {AGENTS_AT_ONCE} agents at once:               {rate:>8.0} reports/s ({n} reports, {kib:.0} KiB written each)"
    );
    drop(first);
    let sample = a.clusters.min(2_000);
    // Same images, new sequence: the set hash matches, the rows stay.
    let same = build(2, 1, 0, sample);
    let (rate, kib) = ingest_all(&fleet, &same, T0 + 70).await;
    println!(
        "ingest, unchanged image sets:                  {rate:>8.0} reports/s ({} reports, {kib:.0} KiB written each)",
        same.len()
    );
    let changed = build(3, 3, 2, sample);
    let (rate, kib) = ingest_all(&fleet, &changed, T0 + 130).await;
    println!(
        "ingest, changed image sets (all pods renamed): {rate:>8.0} reports/s ({} reports, {kib:.0} KiB written each)",
        changed.len()
    );
    let same = build(4, 3, 2, sample);
    let n = same.len();
    let (rate, kib) = ingest_concurrently(&fleet, same, T0 + 190, AGENTS_AT_ONCE).await;
    println!(
        "  unchanged again, {AGENTS_AT_ONCE} agents at once:        {rate:>8.0} reports/s ({n} reports, {kib:.0} KiB written each)"
    );
    let changed = build(5, 5, 4, sample);
    let n = changed.len();
    let (rate, kib) = ingest_concurrently(&fleet, changed, T0 + 250, AGENTS_AT_ONCE).await;
    println!(
        "  changed again, {AGENTS_AT_ONCE} agents at once:          {rate:>8.0} reports/s ({n} reports, {kib:.0} KiB written each)"
    );
}

/// Every page of `ask`'s answer, `limit` clusters at a time: how long a whole answer takes
/// (the CLI walks the pages this way), and the clusters it held.
async fn walk<F, Fut>(limit: usize, mut ask: F) -> usize
where
    F: FnMut(Page) -> Fut,
    Fut: std::future::Future<Output = (usize, Option<String>)>,
{
    let mut page = Page::first(limit);
    let mut total = 0;
    loop {
        let (n, next) = ask(page.clone()).await;
        total += n;
        match next {
            Some(after) => page.after = Some(after),
            None => return total,
        }
    }
}

/// p50 and p99 of each query: one page of [`DEFAULT_LIMIT`] clusters, as the API answers when
/// no limit is given, and for the answers that span the fleet, every page of [`MAX_LIMIT`].
async fn queries(fleet: &Fleet, a: &Args, defs: &[Vec<ProfileDefinition>]) {
    let pool: Vec<PinnedImage> = defs
        .iter()
        .flat_map(|v| v[0].layers.iter().flat_map(|l| l.images.clone()))
        .collect();
    let mut qrng = Rng(a.seed ^ 0x5eed);
    let picks: Vec<PinnedImage> = (0..a.runs)
        .map(|_| pool[qrng.below(pool.len())].clone())
        .collect();
    let page = Page::first(DEFAULT_LIMIT);
    let hits = walk(MAX_LIMIT, |p| {
        let (f, r) = (fleet.clone(), picks[0].repository.clone());
        async move {
            let a = query::image(&f, &r, &p).await.unwrap();
            (a.clusters.len(), a.next)
        }
    })
    .await;
    println!(
        "(a repository query answers ~{hits} clusters; a page holds {DEFAULT_LIMIT} unless asked for up to {MAX_LIMIT})"
    );
    let runs = a.runs;
    time("query image REPOSITORY", runs, |i| {
        let (f, r, p) = (fleet.clone(), picks[i].repository.clone(), page.clone());
        async move { query::image(&f, &r, &p).await.unwrap() }
    })
    .await;
    time("query image REPOSITORY:TAG", runs, |i| {
        let (f, r, p) = (fleet.clone(), picks[i].reference.clone(), page.clone());
        async move { query::image(&f, &r, &p).await.unwrap() }
    })
    .await;
    time("query image REPOSITORY@DIGEST", runs, |i| {
        let (f, p) = (fleet.clone(), page.clone());
        let r = format!("{}@{}", picks[i].repository, picks[i].digest);
        async move { query::image(&f, &r, &p).await.unwrap() }
    })
    .await;
    let cve = |i: usize| -> Vec<String> {
        (0..10)
            .map(|k| picks[(i + k * 7) % runs].digest.to_string())
            .collect()
    };
    time("query affected (10 digests)", runs, |i| {
        let (f, list, p) = (fleet.clone(), cve(i), page.clone());
        async move { query::affected(&f, &list, &p).await.unwrap() }
    })
    .await;
    time("query profile NAME --below 1.2.0", runs, |i| {
        let f = fleet.clone();
        let name = format!("profile-{:02}", i % PROFILES);
        async move { query::profile_below(&f, &name, "1.2.0").await.unwrap() }
    })
    .await;
    time("query pending", runs, |i| {
        let f = fleet.clone();
        // From the start, and from anywhere in the fleet.
        let p = Page {
            after: (i % 2 == 1).then(|| format!("edge-{:05}", (i * 7919) % a.clusters)),
            ..page.clone()
        };
        async move { query::pending(&f, &p).await.unwrap() }
    })
    .await;
    time("status CLUSTER (layers, drift)", runs, |i| {
        let f = fleet.clone();
        let name = format!("edge-{:05}", (i * 7919) % a.clusters);
        async move { status::cluster_status(&f, &name, T0 + 140).await.unwrap() }
    })
    .await;
    time("status (a page, and every state's count)", runs, |i| {
        let f = fleet.clone();
        let p = Page {
            after: (i % 2 == 1).then(|| format!("edge-{:05}", (i * 7919) % a.clusters)),
            ..page.clone()
        };
        async move { status::fleet_status(&f, T0 + 140, &p).await.unwrap() }
    })
    .await;
    println!("every page of {MAX_LIMIT} (a whole answer, as the CLI reads it):");
    time("  query image REPOSITORY", runs.min(20), |i| {
        let (f, r) = (fleet.clone(), picks[i].repository.clone());
        walk(MAX_LIMIT, move |p| {
            let (f, r) = (f.clone(), r.clone());
            async move {
                let a = query::image(&f, &r, &p).await.unwrap();
                (a.clusters.len(), a.next)
            }
        })
    })
    .await;
    time("  query affected (10 digests)", runs.min(20), |i| {
        let (f, list) = (fleet.clone(), cve(i));
        walk(MAX_LIMIT, move |p| {
            let (f, list) = (f.clone(), list.clone());
            async move {
                let a = query::affected(&f, &list, &p).await.unwrap();
                (a.clusters.len(), a.next)
            }
        })
    })
    .await;
    time("  status (whole fleet)", runs.min(20), |_| {
        let f = fleet.clone();
        walk(MAX_LIMIT, move |p| {
            let f = f.clone();
            async move {
                let s = status::fleet_status(&f, T0 + 140, &p).await.unwrap();
                (s.clusters.len(), s.next)
            }
        })
    })
    .await;
    let s = status::fleet_status(fleet, T0 + 140, &Page::first(1))
        .await
        .unwrap();
    println!("states: {:?}", s.counts);
    ui::pages(fleet, a.clusters, runs.min(50), &picks[0].repository).await;
}
