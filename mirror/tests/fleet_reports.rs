//! Reports in: idempotent by (cluster, sequence), replays and older reports refused and audited,
//! another cluster's report or a bad MAC refused; then status: each state of the ranking from
//! realistic reports at a controlled clock, per-layer readiness and the drift lists.
//! Each case is `async fn case(url)`, run on SQLite and, when it is there, PostgreSQL.

mod fleet_reports_support;

use ferry_bundler::format::profile_definition::ProfileDefinition;
use ferry_mirror::fleet::page::Page;
use ferry_mirror::fleet::query;
use ferry_mirror::fleet::reports::{self, Outcome};
use ferry_mirror::fleet::status::{self, State};
use ferry_mirror::fleet::{Fleet, FleetError};
use fleet_reports_support::*;

const T0: i64 = 1_800_000_000;

fn edge_infra() -> ProfileDefinition {
    definition(
        "edge-infra",
        "1.0.0",
        vec![
            (
                "cni",
                vec![pinned("quay.io/cilium/cilium", "v1.16.5", "cilium")],
            ),
            (
                "podinfo",
                vec![
                    pinned("ghcr.io/stefanprodan/podinfo", "6.7.1", "podinfo"),
                    pinned("docker.io/library/redis", "7.4", "redis"),
                ],
            ),
        ],
    )
}

async fn edge01(url: &str) -> (Fleet, tempfile::TempDir, String, ProfileDefinition) {
    let (fleet, dir) = fleet(url).await;
    let secret = register(&fleet, "edge-01", 60, T0).await;
    let def = edge_infra();
    publish(
        &fleet,
        "edge-01",
        1,
        &digest("artifact-1"),
        &[(&def, 1)],
        T0,
    )
    .await;
    (fleet, dir, secret, def)
}

fn status_of(e: &FleetError) -> u16 {
    e.status().as_u16()
}

async fn ingest_is_idempotent(url: &str) {
    let (fleet, _dir, secret, def) = edge01(url).await;
    let a1 = digest("artifact-1");
    let r1 = sign(
        &secret,
        report("edge-01", 1, healthy_pods(&def), flux(&a1, true)),
    );
    let got = reports::ingest(&fleet, &r1, Some("edge-01"), T0 + 10)
        .await
        .unwrap();
    assert_eq!(
        (got.outcome, got.images_changed, got.applied_revision),
        (Outcome::Stored, true, Some(1))
    );
    let again = reports::ingest(&fleet, &r1, Some("edge-01"), T0 + 20)
        .await
        .unwrap();
    assert_eq!(again.outcome, Outcome::Duplicate);
    // The same images again: stored, running images not rewritten.
    let r2 = sign(
        &secret,
        report("edge-01", 2, healthy_pods(&def), flux(&a1, true)),
    );
    let got = reports::ingest(&fleet, &r2, Some("edge-01"), T0 + 70)
        .await
        .unwrap();
    assert_eq!((got.outcome, got.images_changed), (Outcome::Stored, false));
    // An operator's import of the first one again is a duplicate too.
    let again = reports::ingest(&fleet, &r1, None, T0 + 80).await.unwrap();
    assert_eq!(again.outcome, Outcome::Duplicate);
    let doc: String = sqlx::query_scalar("SELECT doc FROM running_docs WHERE cluster = 'edge-01'")
        .fetch_one(fleet.db.pool())
        .await
        .unwrap();
    let containers: usize = reports::containers::read(&doc, None)
        .iter()
        .map(|(_, group)| group.len())
        .sum();
    assert_eq!(containers, 3);
    let receipts: Vec<i64> =
        sqlx::query_scalar("SELECT sequence FROM report_receipts ORDER BY sequence")
            .fetch_all(fleet.db.pool())
            .await
            .unwrap();
    assert_eq!(receipts, vec![1, 2]);
    let (seq, received): (i64, i64) = sqlx::query_as(
        "SELECT sequence, received_at FROM cluster_reports WHERE cluster = 'edge-01'",
    )
    .fetch_one(fleet.db.pool())
    .await
    .unwrap();
    assert_eq!((seq, received), (2, T0 + 70));
    assert_eq!(refusals(&fleet).await, 0);
}

/// The running side of the queries follows each report: renamed pods change nothing, and a
/// container moved to another digest is found by the new digest, no longer by the old one.
async fn running_keys_follow_reports(url: &str) {
    let (fleet, _dir, secret, def) = edge01(url).await;
    let a1 = digest("artifact-1");
    let r1 = sign(
        &secret,
        report("edge-01", 1, healthy_pods(&def), flux(&a1, true)),
    );
    reports::ingest(&fleet, &r1, Some("edge-01"), T0 + 10)
        .await
        .unwrap();
    let keys = |fleet: &Fleet| {
        let pool = fleet.db.pool().clone();
        async move {
            sqlx::query_as::<_, (String, String, String)>(
                "SELECT repository, tag, digest FROM running_image_keys WHERE cluster = 'edge-01'
                 ORDER BY repository",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let before = keys(&fleet).await;
    assert_eq!(before.len(), 3);
    assert_eq!(
        before[0],
        (
            "docker.io/library/redis".to_owned(),
            "7.4".to_owned(),
            digest("redis")
        )
    );
    // Every pod renamed, and redis hand-changed to another build.
    let redis = def.layers[1].images[1].clone();
    let pods: Vec<_> = healthy_pods(&def)
        .into_iter()
        .map(|mut p| {
            p.name = p.name.replace("5d8f7c9b4-x2x7q", "6c9d8e7f5-q8w2z");
            if p.containers[0].image.ends_with(&redis.reference) {
                p.containers[0] = running("main", &redis, &digest("redis-hotfix"), true, 0);
            }
            p
        })
        .collect();
    let r2 = sign(&secret, report("edge-01", 2, pods, flux(&a1, true)));
    let got = reports::ingest(&fleet, &r2, Some("edge-01"), T0 + 70)
        .await
        .unwrap();
    assert!(got.images_changed);
    let after = keys(&fleet).await;
    assert_eq!(after[1..], before[1..]);
    assert_eq!(after[0].2, digest("redis-hotfix"));
    let found = |q: String| {
        let fleet = fleet.clone();
        async move {
            let a = query::image(&fleet, &q, &Page::all()).await.unwrap();
            a.clusters
                .iter()
                .map(|c| (c.cluster.clone(), c.desired.len(), c.running.len()))
                .collect::<Vec<_>>()
        }
    };
    let edge = |d, r| vec![("edge-01".to_owned(), d, r)];
    assert_eq!(found(digest("redis")).await, edge(1, 0));
    assert_eq!(found(digest("redis-hotfix")).await, edge(0, 1));
    assert_eq!(
        found("docker.io/library/redis:7.4".into()).await,
        edge(1, 1)
    );
    let a = query::image(&fleet, "ghcr.io/stefanprodan/podinfo", &Page::all())
        .await
        .unwrap();
    assert_eq!(a.clusters[0].running[0].pod, "podinfo-0-6c9d8e7f5-q8w2z");
    // A cluster whose report lists nothing runs nothing.
    let r3 = sign(&secret, report("edge-01", 3, vec![], flux(&a1, true)));
    reports::ingest(&fleet, &r3, Some("edge-01"), T0 + 130)
        .await
        .unwrap();
    assert!(keys(&fleet).await.is_empty());
    assert_eq!(found(digest("redis-hotfix")).await, vec![]);
}

async fn older_and_foreign_reports_are_refused(url: &str) {
    let (fleet, _dir, secret, def) = edge01(url).await;
    let other = register(&fleet, "edge-02", 60, T0).await;
    let a1 = digest("artifact-1");
    let r5 = sign(
        &secret,
        report("edge-01", 5, healthy_pods(&def), flux(&a1, true)),
    );
    reports::ingest(&fleet, &r5, Some("edge-01"), T0 + 10)
        .await
        .unwrap();
    let r3 = sign(&secret, report("edge-01", 3, vec![], flux(&a1, true)));
    let e = reports::ingest(&fleet, &r3, Some("edge-01"), T0 + 20)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), 409, "{e}");
    assert!(
        e.to_string().contains("edge-01") && e.to_string().contains("sequence 3"),
        "{e}"
    );
    assert_eq!(refusals(&fleet).await, 1);
    // edge-02's credential reporting for edge-01, even with edge-01's valid MAC.
    let r6 = sign(&secret, report("edge-01", 6, vec![], vec![]));
    let e = reports::ingest(&fleet, &r6, Some("edge-02"), T0 + 30)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), 403, "{e}");
    // A MAC made with another cluster's secret, and one tampered with after signing.
    let forged = sign(&other, report("edge-01", 7, vec![], vec![]));
    let e = reports::ingest(&fleet, &forged, None, T0 + 40)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), 403, "{e}");
    let mut tampered = sign(
        &secret,
        report("edge-01", 8, healthy_pods(&def), flux(&a1, true)),
    );
    tampered.report.pods.pop();
    let e = reports::ingest(&fleet, &tampered, Some("edge-01"), T0 + 50)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), 403, "{e}");
    let unknown = sign(&secret, report("edge-99", 1, vec![], vec![]));
    let e = reports::ingest(&fleet, &unknown, None, T0 + 60)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), 404, "{e}");
    deregister(&fleet, "edge-02", T0 + 61).await;
    let gone = sign(&other, report("edge-02", 1, vec![], vec![]));
    let e = reports::ingest(&fleet, &gone, Some("edge-02"), T0 + 62)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), 403, "{e}");
    assert_eq!(refusals(&fleet).await, 6);
    // Nothing of the refused ones was stored.
    let seq: i64 =
        sqlx::query_scalar("SELECT sequence FROM cluster_reports WHERE cluster = 'edge-01'")
            .fetch_one(fleet.db.pool())
            .await
            .unwrap();
    assert_eq!(seq, 5);
    let refused: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, subject FROM audit_log WHERE action = 'fleet.report.refused' ORDER BY seq",
    )
    .fetch_all(fleet.db.pool())
    .await
    .unwrap();
    assert_eq!(
        refused[0],
        ("cluster/edge-01".to_owned(), "cluster/edge-01".to_owned())
    );
    assert_eq!(
        refused[1],
        ("cluster/edge-02".to_owned(), "cluster/edge-01".to_owned())
    );
    // Hostile input is refused before anything: a malformed document, an unknown field.
    assert_eq!(
        reports::parse(b"{\"report\": 1}")
            .unwrap_err()
            .status()
            .as_u16(),
        400
    );
    let mut v = serde_json::to_value(&r5).unwrap();
    v["report"]["extra"] = serde_json::json!(1);
    assert!(reports::parse(v.to_string().as_bytes()).is_err());
}

async fn offline_after_missed_intervals(url: &str) {
    let (fleet, _dir, secret, def) = edge01(url).await;
    register(&fleet, "edge-02", 60, T0).await;
    let a1 = digest("artifact-1");
    let r = sign(
        &secret,
        report("edge-01", 1, healthy_pods(&def), flux(&a1, true)),
    );
    reports::ingest(&fleet, &r, Some("edge-01"), T0 + 100)
        .await
        .unwrap();
    let at = |now| {
        let fleet = fleet.clone();
        async move {
            status::cluster_status(&fleet, "edge-01", now)
                .await
                .unwrap()
                .state
        }
    };
    assert_eq!(at(T0 + 100).await, State::Ready);
    assert_eq!(at(T0 + 100 + 180).await, State::Ready);
    assert_eq!(at(T0 + 100 + 181).await, State::Offline);
    // Never reported: Pending, then Offline, never Ready.
    let s = status::cluster_status(&fleet, "edge-02", T0 + 180)
        .await
        .unwrap();
    assert_eq!(s.state, State::Pending);
    let s = status::cluster_status(&fleet, "edge-02", T0 + 181)
        .await
        .unwrap();
    assert_eq!(s.state, State::Offline);
    let all = status::fleet_status(&fleet, T0 + 300, &Page::all())
        .await
        .unwrap();
    let states: Vec<_> = all
        .clusters
        .iter()
        .map(|c| (c.cluster.as_str(), c.state))
        .collect();
    assert_eq!(
        states,
        vec![("edge-01", State::Offline), ("edge-02", State::Offline)]
    );
    assert_eq!(all.counts.get("Offline"), Some(&2));
}

/// Each state of the ranking, one report at a time, and that the worst wins.
async fn each_state_of_the_ranking(url: &str) {
    let (fleet, _dir, secret, def) = edge01(url).await;
    let a1 = digest("artifact-1");
    let state = |now| {
        let fleet = fleet.clone();
        async move {
            let s = status::cluster_status(&fleet, "edge-01", now)
                .await
                .unwrap();
            let listed = status::fleet_status(&fleet, now, &Page::all())
                .await
                .unwrap();
            assert_eq!(listed.clusters[0].state, s.state, "{s:?}");
            (s.state, s.reasons)
        }
    };
    // Published, no report yet.
    assert_eq!(state(T0 + 5).await.0, State::Pending);
    let mut seq = 0;
    let mut send = |pods, gitops, now| {
        seq += 1;
        let signed = sign(&secret, report("edge-01", seq, pods, gitops));
        let fleet = fleet.clone();
        async move {
            reports::ingest(&fleet, &signed, Some("edge-01"), now)
                .await
                .unwrap()
        }
    };
    send(healthy_pods(&def), flux(&a1, true), T0 + 10).await;
    assert_eq!(state(T0 + 10).await.0, State::Ready);
    // A container starting (not ready, one restart): Pending.
    let mut pods = healthy_pods(&def);
    pods[1].containers[0].ready = false;
    pods[1].containers[0].restarts = 1;
    send(pods, flux(&a1, true), T0 + 20).await;
    assert_eq!(state(T0 + 20).await.0, State::Pending);
    // Crash-looping: Failed, naming the container.
    let mut pods = healthy_pods(&def);
    pods[1].containers[0].ready = false;
    pods[1].containers[0].restarts = 7;
    send(pods, flux(&a1, true), T0 + 30).await;
    let (s, why) = state(T0 + 30).await;
    assert_eq!(s, State::Failed);
    assert!(
        why[0].contains("podinfo-0-5d8f7c9b4-x2x7q") && why[0].contains("7 restarts"),
        "{why:?}"
    );
    // The Kustomization's health check failed: Failed.
    send(healthy_pods(&def), flux(&a1, false), T0 + 40).await;
    let (s, why) = state(T0 + 40).await;
    assert_eq!(s, State::Failed);
    assert!(why[0].contains("HealthCheckFailed"), "{why:?}");
    // Someone set redis to another digest by hand: Modified.
    let mut pods = healthy_pods(&def);
    let redis = &def.layers[1].images[1];
    pods[2].containers[0] = running("main", redis, &digest("redis-hotfix"), true, 0);
    send(pods, flux(&a1, true), T0 + 50).await;
    assert_eq!(state(T0 + 50).await.0, State::Modified);
    // Revision 2 published: Pending until a report, then OutOfSync while revision 1 stays applied.
    let def2 = definition(
        "edge-infra",
        "1.1.0",
        vec![(
            "cni",
            vec![pinned("quay.io/cilium/cilium", "v1.17.0", "cilium-2")],
        )],
    );
    publish(
        &fleet,
        "edge-01",
        2,
        &digest("artifact-2"),
        &[(&def2, 1)],
        T0 + 60,
    )
    .await;
    let (s, why) = state(T0 + 61).await;
    assert_eq!(s, State::Pending, "{why:?}");
    send(healthy_pods(&def), flux(&a1, true), T0 + 70).await;
    let (s, why) = state(T0 + 70).await;
    assert_eq!(s, State::OutOfSync);
    assert_eq!(
        why,
        vec!["revision 1 applied, revision 2 desired".to_owned()]
    );
    // Revision 2 applied and healthy: Ready, applied revision 2.
    let g = send(
        healthy_pods(&def2),
        flux(&digest("artifact-2"), true),
        T0 + 80,
    )
    .await;
    assert_eq!(g.applied_revision, Some(2));
    assert_eq!(state(T0 + 80).await.0, State::Ready);
    // Failed and then silent: Offline is worse.
    send(
        healthy_pods(&def2),
        flux(&digest("artifact-2"), false),
        T0 + 90,
    )
    .await;
    assert_eq!(state(T0 + 90).await.0, State::Failed);
    let (s, why) = state(T0 + 90 + 181).await;
    assert_eq!(s, State::Offline);
    assert!(
        why.len() == 2 && why[1].contains("HealthCheckFailed"),
        "{why:?}"
    );
}

async fn layers_and_drift(url: &str) {
    let (fleet, _dir, secret, def) = edge01(url).await;
    let a1 = digest("artifact-1");
    let cilium = &def.layers[0].images[0];
    let redis = &def.layers[1].images[1];
    let coredns = pinned("registry.k8s.io/coredns/coredns", "v1.11.3", "coredns");
    let busybox = pinned("docker.io/library/busybox", "1.36", "busybox");
    let pods = vec![
        pod(
            "cni",
            "cilium-7xk2p",
            vec![container("cilium-agent", cilium, true, 0)],
        ),
        pod(
            "podinfo",
            "redis-6b7d9-abcde",
            vec![running("redis", redis, &digest("redis-other"), true, 0)],
        ),
        pod(
            "kube-system",
            "coredns-7c65d-q8x2m",
            vec![container("coredns", &coredns, true, 0)],
        ),
        pod(
            "default",
            "debug-shell",
            vec![ferry_bundler::format::report::ContainerReport {
                name: "sh".into(),
                image: "busybox:1.36".into(),
                image_id: Some(format!("docker-pullable://busybox@{}", busybox.digest)),
                ready: true,
                restarts: 0,
                init: false,
            }],
        ),
    ];
    let r = sign(&secret, report("edge-01", 1, pods, flux(&a1, true)));
    reports::ingest(&fleet, &r, Some("edge-01"), T0 + 10)
        .await
        .unwrap();
    let s = status::cluster_status(&fleet, "edge-01", T0 + 10)
        .await
        .unwrap();
    assert_eq!(s.state, State::Modified);
    let unexpected: Vec<_> = s
        .drift
        .unexpected
        .iter()
        .map(|d| (d.repository.as_str(), d.digest.clone().unwrap(), d.system))
        .collect();
    assert_eq!(
        unexpected,
        vec![
            (
                "docker.io/library/busybox",
                busybox.digest.to_string(),
                false
            ),
            (
                "registry.k8s.io/coredns/coredns",
                coredns.digest.to_string(),
                true
            ),
        ]
    );
    let missing: Vec<_> = s
        .drift
        .missing
        .iter()
        .map(|m| (m.layer.as_deref(), m.reference.as_str()))
        .collect();
    assert_eq!(
        missing,
        vec![(Some("podinfo"), "ghcr.io/stefanprodan/podinfo:6.7.1")]
    );
    let mismatch: Vec<_> = s
        .drift
        .digest_mismatch
        .iter()
        .map(|m| {
            (
                m.repository.as_str(),
                m.running_digest.clone(),
                m.desired_digests.clone(),
                m.pod.as_str(),
            )
        })
        .collect();
    assert_eq!(
        mismatch,
        vec![(
            "docker.io/library/redis",
            digest("redis-other"),
            vec![digest("redis")],
            "redis-6b7d9-abcde"
        )]
    );
    let layers: Vec<_> = s
        .layers
        .iter()
        .map(|l| (l.layer.as_str(), l.ready))
        .collect();
    assert_eq!(layers, vec![("cni", true), ("podinfo", false)]);
    let podinfo: Vec<_> = s.layers[1]
        .images
        .iter()
        .map(|i| {
            (
                i.repository.as_str(),
                i.containers,
                i.other_digests,
                i.ready,
            )
        })
        .collect();
    assert_eq!(
        podinfo,
        vec![
            ("docker.io/library/redis", 0, 1, false),
            ("ghcr.io/stefanprodan/podinfo", 0, 0, false)
        ]
    );
    assert_eq!(
        (s.desired_revision, s.applied_revision, s.last_report_at),
        (Some(1), Some(1), Some(T0 + 10))
    );
    let e = status::cluster_status(&fleet, "edge-77", T0)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), 404);
}

on_backends! {
    ingest_is_idempotent_by_cluster_and_sequence => ingest_is_idempotent,
    running_image_keys_follow_each_report => running_keys_follow_reports,
    replayed_older_foreign_and_forged_reports_are_refused_and_audited => older_and_foreign_reports_are_refused,
    a_silent_cluster_goes_offline_after_k_intervals => offline_after_missed_intervals,
    each_state_of_the_ranking_from_reports => each_state_of_the_ranking,
    layers_and_drift_lists => layers_and_drift,
}
