//! Rollouts against a real fleet (see fleet_rollout_support): three clusters on edge-infra
//! 1.0.0 get 1.1.0 in waves [1, 100%]; the first reports Failed, the rollout pauses, and
//! rollback puts every cluster back on its 1.0.0 artifact digest with its override intact.
//!
//! The case runs on the store's own SQLite file (where `audit verify` checks the chain), then on
//! each fleet backend (a separate SQLite file, PostgreSQL).

mod fleet_rollout_support;

use ferry_mirror::audit;
use ferry_mirror::fleet::assign::{self, Scope};
use ferry_mirror::fleet::rollout::{self, ClusterState, Gate, State, WaveSize};
use ferry_mirror::store::now_unix;
use fleet_rollout_support::*;
use serde_json::json;

async fn failed_wave_pauses_and_rollback_restores_every_digest(db_url: Option<&str>) {
    let mut s = site(db_url).await;
    let t0 = now_unix();
    let before = on_one_zero(&mut s, t0).await;

    let t1 = t0 + 10;
    let ro = rollout::start(
        &s.fleet,
        spec(
            "edge-infra@1.1.0",
            vec![WaveSize::Count(1), WaveSize::Percent(100)],
            0,
        ),
        OPERATOR,
        t1,
    )
    .await
    .unwrap();
    let id = ro.row.id;
    assert_eq!(
        (ro.row.state, ro.row.wave, ro.row.wave_count),
        (State::Progressing, Some(1), 2)
    );
    let waves: Vec<(&str, u32, ClusterState)> = ro
        .clusters
        .iter()
        .map(|c| (c.cluster.as_str(), c.wave, c.state))
        .collect();
    assert_eq!(
        waves,
        vec![
            ("edge-01", 1, ClusterState::Updated),
            ("edge-02", 2, ClusterState::Pending),
            ("edge-03", 2, ClusterState::Pending),
        ]
    );
    let new = s.digest("edge-01").await;
    assert_ne!(new, before["edge-01"]);
    assert_eq!(ro.clusters[0].new_digest.as_deref(), Some(new.as_str()));
    assert_eq!(
        ro.clusters[0].previous_digest.as_deref(),
        Some(before["edge-01"].as_str())
    );
    assert_eq!(
        assign::assignment(&s.fleet, "edge-01").await.unwrap(),
        vec![r("edge-infra@1.1.0")]
    );
    // Wave 2 has not started: its clusters are untouched.
    assert_eq!(s.digest("edge-02").await, before["edge-02"]);
    assert_eq!(ro.clusters[0].gate, Some(Gate::Waiting));

    // A report from before the wave... none; edge-01 now applies 1.1.0 and fails its health check.
    s.report("edge-01", &new, false, t1 + 20).await;
    let paused = rollout::status(&s.fleet, id, t1 + 20).await.unwrap();
    assert_eq!(paused.row.state, State::Paused, "{paused:#?}");
    assert_eq!(paused.row.wave, Some(1));
    let reason = paused.row.reason.clone().unwrap();
    assert!(reason.contains("edge-01 (reported failed)"), "{reason}");
    assert_eq!(
        paused.clusters[0].gate,
        Some(Gate::Failed("reported failed".into()))
    );
    // Paused: more reports move nothing, and wave 2 never started.
    s.report("edge-02", &before["edge-02"], true, t1 + 30).await;
    assert_eq!(
        rollout::status(&s.fleet, id, t1 + 30)
            .await
            .unwrap()
            .row
            .state,
        State::Paused
    );
    assert_eq!(s.digest("edge-02").await, before["edge-02"]);

    // Resume while edge-01 still fails: it pauses again at once.
    let resumed = rollout::resume(&s.fleet, id, OPERATOR, t1 + 40)
        .await
        .unwrap();
    assert_eq!(resumed.row.state, State::Paused);

    let back = rollout::rollback(&s.fleet, id, OPERATOR, t1 + 50)
        .await
        .unwrap();
    assert_eq!(back.rollout.row.state, State::RolledBack);
    assert_eq!(back.mismatched, Vec::<String>::new());
    assert_eq!(
        back.clusters.len(),
        1,
        "only the cluster it touched: {back:#?}"
    );
    assert_eq!(back.clusters[0].cluster, "edge-01");
    assert!(back.clusters[0].same_digest);
    for c in CLUSTERS {
        assert_eq!(
            s.digest(c).await,
            before[c],
            "{c} is back on its 1.0.0 artifact"
        );
        assert_eq!(
            assign::assignment(&s.fleet, c).await.unwrap(),
            vec![r("edge-infra@1.0.0")]
        );
    }
    let kept = assign::overrides(&s.fleet, &Scope::Cluster("edge-02".into()))
        .await
        .unwrap();
    assert_eq!(
        kept["podinfo"],
        *json!({"replicaCount": 5}).as_object().unwrap()
    );
    // A second rollback is refused; the first one's record stays.
    let e = rollout::rollback(&s.fleet, id, OPERATOR, t1 + 60)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("is RolledBack"), "{e}");

    // Every transition is in the audit log, with from and to.
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT action, detail FROM audit_log WHERE subject = $1 ORDER BY seq")
            .bind(format!("rollout/{id}"))
            .fetch_all(s.fleet.db.pool())
            .await
            .unwrap();
    let steps: Vec<(String, String, String)> = rows
        .iter()
        .map(|(action, detail)| {
            let d: serde_json::Value = serde_json::from_str(detail).unwrap();
            let from = d["from"].as_str().unwrap_or("-").to_owned();
            (action.clone(), from, d["to"].as_str().unwrap().to_owned())
        })
        .collect();
    let expect = [
        ("fleet.rollout", "-", "Pending"),
        ("fleet.rollout", "Pending", "Progressing"),
        ("fleet.rollout", "Progressing", "Paused"),
        ("fleet.rollout", "Paused", "Progressing"),
        ("fleet.rollout", "Progressing", "Paused"),
        ("fleet.rollback", "Paused", "RolledBack"),
    ];
    let expect: Vec<(String, String, String)> = expect
        .iter()
        .map(|(a, f, t)| (a.to_string(), f.to_string(), t.to_string()))
        .collect();
    assert_eq!(steps, expect);
    if db_url.is_none() {
        let chain = audit::verify(s.store.db(), None).await.unwrap();
        assert!(chain.tamper.is_none(), "{chain:?}");
    }
}

#[tokio::test]
async fn failed_wave_pauses_and_rollback_restores_every_digest_in_the_stores_file() {
    failed_wave_pauses_and_rollback_restores_every_digest(None).await;
}

#[tokio::test]
async fn failed_wave_pauses_and_rollback_restores_every_digest_on_each_backend() {
    for backend in ferry_testkit::postgres::fleet_backends() {
        eprintln!("on {}", backend.name);
        failed_wave_pauses_and_rollback_restores_every_digest(Some(&backend.url)).await;
    }
}
