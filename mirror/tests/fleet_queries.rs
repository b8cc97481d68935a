//! Fleet queries with exact expected cluster sets over a small fleet (one cluster deregistered,
//! one on an in-place-revised profile, one with an unpublished assignment), and the reports,
//! status and query routes through the router (`oneshot`): status codes and bodies.

mod fleet_reports_support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ferry_bundler::format::profile_definition::ProfileDefinition;
use ferry_bundler::format::report::SignedReport;
use ferry_mirror::fleet::api::Caller;
use ferry_mirror::fleet::page::Page;
use ferry_mirror::fleet::{query, reports, Fleet};
use fleet_reports_support::*;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const T0: i64 = 1_800_000_000;

fn v100() -> ProfileDefinition {
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

fn v110() -> ProfileDefinition {
    let mut d = v100();
    d.version = "1.1.0".into();
    d.layers[0].images[0] = pinned("quay.io/cilium/cilium", "v1.17.0", "cilium-2");
    d
}

fn busybox() -> ferry_bundler::format::profile_definition::PinnedImage {
    pinned("docker.io/library/busybox", "1.36", "busybox")
}

/// edge-01: 1.0.0 (catalog revision 1 of 2), applied. edge-02: 1.1.0, applied, plus a busybox
/// by hand. edge-03: assigned 1.1.0, desired still 1.0.0, never reported. edge-04: like edge-02
/// but deregistered.
async fn small_fleet(url: &str) -> (Fleet, tempfile::TempDir) {
    let (fleet, dir) = fleet(url).await;
    let (a, b) = (v100(), v110());
    catalog(&fleet, &a, 1).await;
    catalog(&fleet, &a, 2).await;
    catalog(&fleet, &b, 1).await;
    for (name, assigned, desired, revision) in [
        ("edge-01", "1.0.0", &a, 1),
        ("edge-02", "1.1.0", &b, 1),
        ("edge-03", "1.1.0", &a, 2),
        ("edge-04", "1.1.0", &b, 1),
    ] {
        let secret = register(&fleet, name, 60, T0).await;
        assign(&fleet, name, "edge-infra", assigned).await;
        let artifact = digest(&format!("artifact-{name}"));
        publish(&fleet, name, 1, &artifact, &[(desired, revision)], T0).await;
        if name == "edge-03" {
            continue;
        }
        let mut pods = healthy_pods(desired);
        if name != "edge-01" {
            pods.push(pod(
                "default",
                "debug",
                vec![container("sh", &busybox(), true, 0)],
            ));
        }
        let r = sign(&secret, report(name, 1, pods, flux(&artifact, true)));
        reports::ingest(&fleet, &r, Some(name), T0 + 10)
            .await
            .unwrap();
    }
    deregister(&fleet, "edge-04", T0 + 20).await;
    (fleet, dir)
}

fn clusters_of(a: &query::ImageAnswer) -> Vec<(&str, usize, usize)> {
    a.clusters
        .iter()
        .map(|c| (c.cluster.as_str(), c.desired.len(), c.running.len()))
        .collect()
}

/// (cluster, the entries it matches) of an `affected` answer.
fn entries_by_cluster(a: &query::AffectedAnswer) -> Vec<(&str, Vec<&str>)> {
    a.clusters
        .iter()
        .map(|c| {
            (
                c.cluster.as_str(),
                c.matches.iter().map(|m| m.entry.as_str()).collect(),
            )
        })
        .collect()
}

async fn queries_answer_exactly(url: &str) {
    let (fleet, _dir) = small_fleet(url).await;
    let a = query::image(&fleet, "quay.io/cilium/cilium", &Page::all())
        .await
        .unwrap();
    assert_eq!(
        clusters_of(&a),
        vec![("edge-01", 1, 1), ("edge-02", 1, 1), ("edge-03", 1, 0)]
    );
    let a = query::image(&fleet, "quay.io/cilium/cilium:v1.16.5", &Page::all())
        .await
        .unwrap();
    assert_eq!(clusters_of(&a), vec![("edge-01", 1, 1), ("edge-03", 1, 0)]);
    let a = query::image(
        &fleet,
        &format!("quay.io/cilium/cilium@{}", digest("cilium-2")),
        &Page::all(),
    )
    .await
    .unwrap();
    assert_eq!(clusters_of(&a), vec![("edge-02", 1, 1)]);
    assert_eq!(a.clusters[0].running[0].digest, Some(digest("cilium-2")));
    for q in [
        "busybox",
        "mirror.enclave:5000/docker.io/library/busybox:1.36",
        &digest("busybox"),
    ] {
        let a = query::image(&fleet, q, &Page::all()).await.unwrap();
        assert_eq!(clusters_of(&a), vec![("edge-02", 0, 1)], "{q}");
    }
    assert_eq!(
        query::image(&fleet, "busybox", &Page::all())
            .await
            .unwrap()
            .query,
        "docker.io/library/busybox"
    );
    let e = query::image(&fleet, "Not A Reference!", &Page::all())
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::BAD_REQUEST);

    let list = format!(
        "# CVE-2026-1234\n{}\n\ndocker.io/library/redis:7.4   # the cache\nghcr.io/nobody/nothing:1\n",
        digest("busybox")
    );
    let entries = query::parse_list(&list);
    assert_eq!(entries.len(), 3);
    let a = query::affected(&fleet, &entries, &Page::all())
        .await
        .unwrap();
    let got = entries_by_cluster(&a);
    let redis = "docker.io/library/redis:7.4";
    let bb = digest("busybox");
    assert_eq!(
        got,
        vec![
            ("edge-01", vec![redis]),
            ("edge-02", vec![bb.as_str(), redis]),
            ("edge-03", vec![redis])
        ]
    );
    // edge-03 only desires it; edge-01 desires and runs it.
    assert_eq!(
        (
            a.clusters[2].matches[0].desired.len(),
            a.clusters[2].matches[0].running.len()
        ),
        (1, 0)
    );
    assert_eq!(
        (
            a.clusters[0].matches[0].desired.len(),
            a.clusters[0].matches[0].running.len()
        ),
        (1, 1)
    );
    assert_eq!(a.unmatched, vec!["ghcr.io/nobody/nothing:1".to_owned()]);
    // A long list is asked in parts, two at a time: each match keeps its own entry.
    let mut long: Vec<String> = (0..120).map(|i| digest(&format!("nobody-{i}"))).collect();
    long[57] = bb.clone();
    long[119] = redis.to_owned();
    let a = query::affected(&fleet, &long, &Page::all()).await.unwrap();
    assert_eq!(entries_by_cluster(&a), got);
    assert_eq!(a.unmatched.len(), 118);
    assert!(!a.unmatched.contains(&bb) && !a.unmatched.iter().any(|u| u == redis));

    let below = query::profile_below(&fleet, "edge-infra", "1.1.0")
        .await
        .unwrap();
    let got: Vec<_> = below
        .iter()
        .map(|p| {
            (
                p.cluster.as_str(),
                p.assigned.as_deref(),
                p.published.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("edge-01", Some("1.0.0"), Some("1.0.0")),
            ("edge-03", Some("1.1.0"), Some("1.0.0"))
        ]
    );
    assert!(query::profile_below(&fleet, "edge-infra", "1.0.0")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        query::profile_below(&fleet, "edge-infra", "one")
            .await
            .unwrap_err()
            .status(),
        StatusCode::BAD_REQUEST
    );

    let pending = query::pending(&fleet, &Page::all()).await.unwrap();
    let got: Vec<_> = pending
        .clusters
        .iter()
        .map(|p| (p.cluster.as_str(), p.reasons.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "edge-01",
                vec![
                    "edge-infra@1.0.0 rendered from revision 1; the catalog has revision 2"
                        .to_owned()
                ]
            ),
            (
                "edge-03",
                vec![
                    "assigned edge-infra@1.1.0; published edge-infra@1.0.0".to_owned(),
                    "revision 1 desired; no known revision applied".to_owned(),
                ]
            ),
        ]
    );
    // Publishing a new revision moves the index along: edge-02 no longer desires cilium v1.17.
    publish(
        &fleet,
        "edge-02",
        2,
        &digest("artifact-edge-02-2"),
        &[(&v100(), 2)],
        T0 + 30,
    )
    .await;
    let a = query::image(
        &fleet,
        &format!("quay.io/cilium/cilium@{}", digest("cilium-2")),
        &Page::all(),
    )
    .await
    .unwrap();
    assert_eq!(clusters_of(&a), vec![("edge-02", 0, 1)]);

    // edge-02 (now published 1.0.0 against its 1.1.0 assignment) is also behind its new
    // revision until a report says it applied it.
    let unapplied = |p: &query::PendingAnswer, cluster: &str| {
        p.clusters
            .iter()
            .find(|c| c.cluster == cluster)
            .into_iter()
            .flat_map(|c| c.reasons.iter().filter(|r| r.contains(" desired; ")))
            .cloned()
            .collect::<Vec<_>>()
    };
    let pending = query::pending(&fleet, &Page::all()).await.unwrap();
    assert_eq!(
        unapplied(&pending, "edge-02"),
        vec!["revision 2 desired; revision 1 applied".to_owned()]
    );
    edge_02_applied(&fleet, 2, "artifact-edge-02-2", T0 + 40).await;
    let pending = query::pending(&fleet, &Page::all()).await.unwrap();
    assert_eq!(unapplied(&pending, "edge-02"), Vec::<String>::new());
    // A report of the old revision again puts it back.
    edge_02_applied(&fleet, 3, "artifact-edge-02", T0 + 50).await;
    let pending = query::pending(&fleet, &Page::all()).await.unwrap();
    assert_eq!(
        unapplied(&pending, "edge-02"),
        vec!["revision 2 desired; revision 1 applied".to_owned()]
    );
}

/// edge-02 reports, as sequence `sequence`, that it applied the artifact seeded `artifact`.
async fn edge_02_applied(fleet: &Fleet, sequence: u64, artifact: &str, at: i64) {
    let r = sign(
        &secret_of("edge-02"),
        report(
            "edge-02",
            sequence,
            healthy_pods(&v100()),
            flux(&digest(artifact), true),
        ),
    );
    reports::ingest(fleet, &r, Some("edge-02"), at)
        .await
        .unwrap();
}

fn router(fleet: &Fleet, actor: &str, cluster: Option<&str>) -> axum::Router {
    let r = ferry_mirror::fleet::api::routes();
    let (read, _) = r.read.split_for_parts();
    let (write, _) = r.write.split_for_parts();
    let (agent, _) = r.agent.split_for_parts();
    read.merge(write)
        .merge(agent)
        .layer(axum::Extension(Caller {
            actor: actor.into(),
            cluster: cluster.map(str::to_owned),
        }))
        .with_state(fleet.clone())
}

async fn call(
    router: axum::Router,
    method: &str,
    uri: &str,
    body: Option<Vec<u8>>,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, Body::from))
        .unwrap();
    let resp = router.oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn body(r: &SignedReport) -> Option<Vec<u8>> {
    Some(serde_json::to_vec(r).unwrap())
}

async fn routes_answer_with_their_status(url: &str) {
    let (fleet, _dir) = small_fleet(url).await;
    let agent = || router(&fleet, "cluster/edge-02", Some("edge-02"));
    let operator = || router(&fleet, "alice", None);
    let secret = secret_of("edge-02");
    let r2 = sign(
        &secret,
        report(
            "edge-02",
            5,
            healthy_pods(&v110()),
            flux(&digest("artifact-edge-02"), true),
        ),
    );
    let (s, b) = call(agent(), "POST", "/api/v1/fleet/reports", body(&r2)).await;
    assert_eq!(
        (s, b["outcome"].as_str()),
        (StatusCode::OK, Some("stored")),
        "{b}"
    );
    let (s, b) = call(agent(), "POST", "/api/v1/fleet/reports", body(&r2)).await;
    assert_eq!(
        (s, b["outcome"].as_str()),
        (StatusCode::OK, Some("duplicate")),
        "{b}"
    );
    // Sequence 1 was received (whatever it says now): a duplicate; 3 never was, and is older.
    let r1 = sign(&secret, report("edge-02", 1, vec![], vec![]));
    let (s, b) = call(agent(), "POST", "/api/v1/fleet/reports", body(&r1)).await;
    assert_eq!(
        (s, b["outcome"].as_str()),
        (StatusCode::OK, Some("duplicate")),
        "{b}"
    );
    let r3 = sign(&secret, report("edge-02", 3, vec![], vec![]));
    let (s, b) = call(agent(), "POST", "/api/v1/fleet/reports", body(&r3)).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict")),
        "{b}"
    );
    let foreign = sign(&secret_of("edge-01"), report("edge-01", 9, vec![], vec![]));
    let (s, _) = call(agent(), "POST", "/api/v1/fleet/reports", body(&foreign)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(
        agent(),
        "POST",
        "/api/v1/fleet/reports",
        Some(b"{\"report\":".to_vec()),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A user is not an agent; an operator imports instead, and the MAC decides.
    let (s, _) = call(operator(), "POST", "/api/v1/fleet/reports", body(&foreign)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = call(
        operator(),
        "POST",
        "/api/v1/fleet/reports/import",
        body(&foreign),
    )
    .await;
    assert_eq!(
        (s, b["outcome"].as_str()),
        (StatusCode::OK, Some("stored")),
        "{b}"
    );
    let mut forged = foreign.clone();
    forged.report.sequence = 10;
    let (s, _) = call(
        operator(),
        "POST",
        "/api/v1/fleet/reports/import",
        body(&forged),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let stranger = sign(&secret, report("edge-99", 1, vec![], vec![]));
    let (s, _) = call(
        operator(),
        "POST",
        "/api/v1/fleet/reports/import",
        body(&stranger),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT actor FROM audit_log WHERE action = 'fleet.report.refused' ORDER BY seq",
    )
    .fetch_all(fleet.db.pool())
    .await
    .unwrap();
    assert_eq!(
        audited,
        vec!["cluster/edge-02", "cluster/edge-02", "alice", "alice"]
    );

    let (s, b) = call(operator(), "GET", "/api/v1/fleet/status", None).await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<_> = b["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cluster"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["edge-01", "edge-02", "edge-03"]);
    let (s, b) = call(
        operator(),
        "GET",
        "/api/v1/fleet/clusters/edge-02/status",
        None,
    )
    .await;
    assert_eq!(
        (s, b["appliedRevision"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{b}"
    );
    let (s, _) = call(
        operator(),
        "GET",
        "/api/v1/fleet/clusters/edge-77/status",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, b) = call(
        operator(),
        "GET",
        "/api/v1/fleet/query/image?ref=quay.io/cilium/cilium:v1.17.0",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["clusters"][0]["cluster"], "edge-02", "{b}");
    let (s, _) = call(
        operator(),
        "GET",
        "/api/v1/fleet/query/image?ref=%21%21",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let req = json!({"references": [digest("redis")]})
        .to_string()
        .into_bytes();
    let (s, b) = call(
        operator(),
        "POST",
        "/api/v1/fleet/query/affected",
        Some(req),
    )
    .await;
    assert_eq!(
        (s, b["clusters"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(3)),
        "{b}"
    );
    let (s, b) = call(
        operator(),
        "GET",
        "/api/v1/fleet/query/profile?name=edge-infra&below=1.1.0",
        None,
    )
    .await;
    assert_eq!(
        (s, b.as_array().map(Vec::len)),
        (StatusCode::OK, Some(2)),
        "{b}"
    );
    let (s, _) = call(
        operator(),
        "GET",
        "/api/v1/fleet/query/profile?name=edge-infra&below=x",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b) = call(operator(), "GET", "/api/v1/fleet/query/pending", None).await;
    assert_eq!(
        (s, b["clusters"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(2)),
        "{b}"
    );

    let doc = serde_json::to_value(ferry_mirror::fleet::api::openapi()).unwrap();
    for path in [
        "/api/v1/fleet/reports",
        "/api/v1/fleet/reports/import",
        "/api/v1/fleet/status",
        "/api/v1/fleet/clusters/{name}/status",
        "/api/v1/fleet/query/image",
        "/api/v1/fleet/query/affected",
        "/api/v1/fleet/query/profile",
        "/api/v1/fleet/query/pending",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
}

on_backends! {
    image_affected_profile_and_pending_queries_answer_exactly => queries_answer_exactly,
    report_status_and_query_routes_answer_with_their_status => routes_answer_with_their_status,
}
