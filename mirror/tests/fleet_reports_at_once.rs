//! Reports of many clusters stored at once (PostgreSQL takes them side by side, SQLite one
//! after the other): clusters that move between two image sets in turn, so that one report
//! stores a set another has just stopped pointing at, then all to a third, so that the two are
//! collected as it is stored; and two reports of one cluster racing.
//! Afterwards each cluster runs what its last stored report says, every pointed set has its
//! keys, no set is left that nobody points at, and the audit chain of the refusals holds.

mod fleet_reports_support;

use std::collections::BTreeMap;

use ferry_bundler::format::profile_definition::ProfileDefinition;
use ferry_mirror::audit;
use ferry_mirror::fleet::reports::{self, Outcome};
use ferry_mirror::fleet::{Fleet, FleetError};
use fleet_reports_support::*;

const T0: i64 = 1_800_000_000;
const CLUSTERS: usize = 10;
const ROUNDS: u64 = 6;

/// Variants that differ in one image of three: a cluster on any runs a set of its own.
const REDIS: [&str; 3] = ["redis", "redis-hotfix", "redis-8"];

fn variant(which: usize) -> ProfileDefinition {
    let redis = REDIS[which];
    definition(
        "edge-infra",
        "1.0.0",
        vec![(
            "apps",
            vec![
                pinned("quay.io/cilium/cilium", "v1.16.5", "cilium"),
                pinned("ghcr.io/stefanprodan/podinfo", "6.7.1", "podinfo"),
                pinned("docker.io/library/redis", "7.4", redis),
            ],
        )],
    )
}

fn name(i: usize) -> String {
    format!("edge-{i:02}")
}

/// Which variant cluster `i` runs in `round`: half the clusters leave a set as the other half
/// come to it, and in the last round all go to the third.
fn variant_of(i: usize, round: u64) -> usize {
    if round == ROUNDS - 1 {
        2
    } else {
        (i + round as usize) % 2
    }
}

/// Stores cluster `i`'s report `sequence` of `round`; `None` when it was refused as older than
/// one stored before it.
async fn ingest(
    fleet: &Fleet,
    secret: &str,
    i: usize,
    sequence: u64,
    round: u64,
) -> Option<Outcome> {
    let def = variant(variant_of(i, round));
    let signed = sign(
        secret,
        report(&name(i), sequence, healthy_pods(&def), vec![]),
    );
    match reports::ingest(fleet, &signed, Some(&name(i)), T0 + sequence as i64).await {
        Ok(got) => Some(got.outcome),
        Err(FleetError::Report(e)) if e.to_string().contains("is older than") => None,
        Err(e) => panic!("{}: {e}", name(i)),
    }
}

async fn many_at_once(url: &str) {
    let (fleet, _dir) = fleet(url).await;
    let mut secrets = Vec::new();
    for i in 0..CLUSTERS {
        secrets.push(register(&fleet, &name(i), 60, T0).await);
    }
    for round in 0..ROUNDS {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, secret) in secrets.iter().enumerate() {
            // Sequences 2r+1 and 2r+2 of one cluster race: whichever comes second is stored
            // after the first or refused as older, never judged against a stale latest.
            for sequence in [round * 2 + 1, round * 2 + 2] {
                let (fleet, secret) = (fleet.clone(), secret.clone());
                tasks.spawn(async move { ingest(&fleet, &secret, i, sequence, round).await });
            }
        }
        let mut refused = 0;
        while let Some(outcome) = tasks.join_next().await {
            match outcome.unwrap() {
                Some(outcome) => assert_eq!(outcome, Outcome::Stored),
                None => refused += 1,
            }
        }
        assert!(refused <= CLUSTERS, "at most one of each cluster's two");
    }
    let pool = fleet.db.pool();
    let stored: Vec<(String, i64)> =
        sqlx::query_as("SELECT cluster, sequence FROM cluster_reports ORDER BY cluster")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(stored.len(), CLUSTERS);
    for (cluster, sequence) in &stored {
        // The last round's second report, whether it came before its first or after.
        assert_eq!(*sequence, ROUNDS as i64 * 2, "{cluster}");
    }
    let running: Vec<(String, String)> = sqlx::query_as(
        "SELECT cluster, digest FROM running_image_keys
         WHERE repository = 'docker.io/library/redis' ORDER BY cluster",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let want: Vec<(String, String)> = (0..CLUSTERS)
        .map(|i| {
            let redis = REDIS[variant_of(i, ROUNDS - 1)];
            (name(i), digest(redis))
        })
        .collect();
    assert_eq!(running, want);
    let keys: BTreeMap<String, i64> =
        sqlx::query_as("SELECT image_set, COUNT(*) FROM image_set_keys GROUP BY image_set")
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let pointed: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT image_set FROM running_image_sets ORDER BY 1")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        pointed.len(),
        1,
        "the third variant's set; the two before it collected"
    );
    assert_eq!(
        keys.keys().cloned().collect::<Vec<_>>(),
        pointed,
        "no set without a pointer, none pointed at without keys"
    );
    assert!(keys.values().all(|n| *n == 3), "{keys:?}");
    let chain = audit::verify_any(pool, None).await.unwrap();
    assert!(chain.tamper.is_none(), "{:?}", chain.tamper);
    assert_eq!(chain.entries_checked as i64, refusals(&fleet).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_of_many_clusters_at_once_keep_sets_and_sequences_whole() {
    for backend in ferry_testkit::postgres::fleet_backends() {
        eprintln!("on {}", backend.name);
        many_at_once(&backend.url).await;
    }
}
