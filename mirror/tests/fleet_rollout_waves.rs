//! Rollout behaviour against a real fleet (see fleet_rollout_support): waves that pass and
//! succeed, gate timeouts, tolerated failures, offline clusters, maintenance windows, operator
//! pause, resume and abort, refusals, and the HTTP routes.

mod fleet_rollout_support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ferry_mirror::fleet::api;
use ferry_mirror::fleet::rollout::{
    self, ClusterState, Gate, RolloutSpec, State, Target, WaveSize,
};
use ferry_mirror::fleet::FleetError;
use ferry_mirror::store::now_unix;
use fleet_rollout_support::*;
use serde_json::{json, Value};
use tower::ServiceExt;

fn two_waves() -> Vec<WaveSize> {
    vec![WaveSize::Count(1), WaveSize::Percent(100)]
}

#[tokio::test]
async fn waves_advance_on_fresh_ready_reports_and_succeed() {
    let mut s = site(None).await;
    let t0 = now_unix();
    let before = on_one_zero(&mut s, t0).await;
    let t1 = t0 + 10;
    let ro = rollout::start(
        &s.fleet,
        spec("edge-infra@1.1.0", two_waves(), 0),
        OPERATOR,
        t1,
    )
    .await
    .unwrap();
    let id = ro.row.id;
    let new1 = s.digest("edge-01").await;
    // Still reporting the old artifact Ready: the gate waits.
    s.report("edge-01", &before["edge-01"], true, t1 + 5).await;
    let st = rollout::status(&s.fleet, id, t1 + 5).await.unwrap();
    assert_eq!((st.row.state, st.row.wave), (State::Progressing, Some(1)));
    assert_eq!(st.clusters[0].gate, Some(Gate::Waiting));
    assert_eq!(st.waiting.as_deref(), Some("reports from edge-01"));
    // The new artifact applied and Ready: wave 2 starts, its clusters get 1.1.0.
    s.report("edge-01", &new1, true, t1 + 6).await;
    let st = rollout::status(&s.fleet, id, t1 + 6).await.unwrap();
    assert_eq!(
        (st.row.state, st.row.wave),
        (State::Progressing, Some(2)),
        "{st:#?}"
    );
    assert_eq!(st.row.wave_started_at, Some(t1 + 6));
    assert_eq!(
        st.clusters[0].gate,
        Some(Gate::Passed),
        "wave 1's gate is kept"
    );
    for c in &st.clusters[1..] {
        assert_eq!(c.state, ClusterState::Updated);
        assert_ne!(c.new_digest.as_deref(), Some(before[&c.cluster].as_str()));
    }
    let new2 = s.digest("edge-02").await;
    let new3 = s.digest("edge-03").await;
    s.report("edge-02", &new2, true, t1 + 8).await;
    assert_eq!(
        rollout::status(&s.fleet, id, t1 + 8)
            .await
            .unwrap()
            .row
            .state,
        State::Progressing
    );
    s.report("edge-03", &new3, true, t1 + 9).await;
    let done = rollout::status(&s.fleet, id, t1 + 9).await.unwrap();
    assert_eq!(done.row.state, State::Succeeded);
    // Succeeded is final for pause, resume and abort; rollback still works.
    for e in [
        rollout::pause(&s.fleet, id, OPERATOR, t1 + 10)
            .await
            .unwrap_err(),
        rollout::abort(&s.fleet, id, OPERATOR, t1 + 10)
            .await
            .unwrap_err(),
    ] {
        assert_eq!(e.status(), StatusCode::CONFLICT, "{e}");
    }
    let back = rollout::rollback(&s.fleet, id, OPERATOR, t1 + 11)
        .await
        .unwrap();
    assert_eq!(back.clusters.len(), 3);
    assert!(back.clusters.iter().all(|c| c.same_digest), "{back:#?}");
    for c in CLUSTERS {
        assert_eq!(s.digest(c).await, before[c]);
    }
}

#[tokio::test]
async fn a_gate_timeout_pauses_and_resume_gives_another_period() {
    let mut s = site(None).await;
    let t0 = now_unix();
    on_one_zero(&mut s, t0).await;
    let t1 = t0 + 10;
    let ro = rollout::start(
        &s.fleet,
        spec("edge-infra@1.1.0", two_waves(), 0),
        OPERATOR,
        t1,
    )
    .await
    .unwrap();
    let id = ro.row.id;
    // No report for 599 s (the cluster is not yet offline: 3 intervals of 60 s count from its
    // last report, so keep it reporting the old artifact).
    for dt in [100, 200, 300, 400, 500] {
        let old = ro.clusters[0].previous_digest.clone().unwrap();
        s.report("edge-01", &old, true, t1 + dt).await;
    }
    assert!(rollout::tick(&s.fleet, t1 + 599).await.unwrap().is_empty());
    assert_eq!(rollout::tick(&s.fleet, t1 + 600).await.unwrap(), vec![id]);
    let st = rollout::status(&s.fleet, id, t1 + 600).await.unwrap();
    assert_eq!(st.row.state, State::Paused);
    assert!(
        st.row
            .reason
            .as_deref()
            .unwrap()
            .contains("edge-01 (gate timeout)"),
        "{st:#?}"
    );
    assert_eq!(st.clusters[0].gate, Some(Gate::TimedOut));
    // Resume restarts the gate clock: the cluster waits again, and passes.
    let r = rollout::resume(&s.fleet, id, OPERATOR, t1 + 610)
        .await
        .unwrap();
    assert_eq!(r.row.state, State::Progressing);
    assert_eq!(r.row.gate_deadline, Some(t1 + 610 + 600));
    // Wave 2's clusters keep reporting (else they are offline when it starts and fail it).
    for c in ["edge-02", "edge-03"] {
        let old = s.digest(c).await;
        s.report(c, &old, true, t1 + 615).await;
    }
    let new = s.digest("edge-01").await;
    s.report("edge-01", &new, true, t1 + 620).await;
    let st = rollout::status(&s.fleet, id, t1 + 620).await.unwrap();
    assert_eq!((st.row.state, st.row.wave), (State::Progressing, Some(2)));
}

#[tokio::test]
async fn an_offline_cluster_fails_its_gate() {
    let mut s = site(None).await;
    let t0 = now_unix();
    on_one_zero(&mut s, t0).await;
    let t1 = t0 + 10;
    let ro = rollout::start(
        &s.fleet,
        spec("edge-infra@1.1.0", two_waves(), 0),
        OPERATOR,
        t1,
    )
    .await
    .unwrap();
    // edge-01 last reported at t0 + 5; offline after 3 × 60 s.
    assert!(rollout::tick(&s.fleet, t0 + 5 + 180)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        rollout::tick(&s.fleet, t0 + 5 + 181).await.unwrap(),
        vec![ro.row.id]
    );
    let st = rollout::status(&s.fleet, ro.row.id, t0 + 186)
        .await
        .unwrap();
    assert_eq!(st.row.state, State::Paused);
    assert_eq!(st.clusters[0].gate, Some(Gate::Failed("offline".into())));
}

#[tokio::test]
async fn tolerated_failures_hold_the_wave_until_its_deadline() {
    let mut s = site(None).await;
    let t0 = now_unix();
    on_one_zero(&mut s, t0).await;
    let t1 = t0 + 10;
    // Wave 1 = edge-01 and edge-02; one of them may fail.
    let ro = rollout::start(
        &s.fleet,
        spec(
            "edge-infra@1.1.0",
            vec![WaveSize::Count(2), WaveSize::Percent(100)],
            1,
        ),
        OPERATOR,
        t1,
    )
    .await
    .unwrap();
    let id = ro.row.id;
    let (d1, d2) = (s.digest("edge-01").await, s.digest("edge-02").await);
    s.report("edge-01", &d1, false, t1 + 5).await;
    s.report("edge-02", &d2, true, t1 + 6).await;
    let st = rollout::status(&s.fleet, id, t1 + 6).await.unwrap();
    assert_eq!(
        (st.row.state, st.row.wave),
        (State::Progressing, Some(1)),
        "{st:#?}"
    );
    // Keep both reporting until the deadline; then the wave completes with edge-01 tolerated.
    for dt in [100, 200, 300, 400, 500] {
        s.report("edge-01", &d1, false, t1 + dt).await;
        s.report("edge-02", &d2, true, t1 + dt).await;
    }
    assert_eq!(rollout::tick(&s.fleet, t1 + 600).await.unwrap(), vec![id]);
    let st = rollout::status(&s.fleet, id, t1 + 600).await.unwrap();
    assert_eq!(
        (st.row.state, st.row.wave),
        (State::Progressing, Some(2)),
        "{st:#?}"
    );
    assert_eq!(
        st.clusters[0].gate,
        Some(Gate::Failed("reported failed".into()))
    );
    assert_eq!(st.clusters[2].state, ClusterState::Updated);
}

#[tokio::test]
async fn a_closed_window_holds_a_wave_in_pending_until_it_opens() {
    let mut s = site(None).await;
    let t0 = now_unix();
    let before = on_one_zero(&mut s, t0).await;
    // A one-hour window that opens two hours from now (UTC time of day).
    let opens = (t0 + 7200).rem_euclid(86_400) / 60 * 60;
    let hm = |secs: i64| format!("{:02}:{:02}", secs / 3600 % 24, secs % 3600 / 60);
    let window = format!("daily {}-{}", hm(opens), hm(opens + 3600));
    let mut sp = spec("edge-infra@1.1.0", two_waves(), 0);
    sp.maintenance_window = Some(window.clone());
    let ro = rollout::start(&s.fleet, sp, OPERATOR, t0 + 10)
        .await
        .unwrap();
    assert_eq!(ro.row.state, State::Pending);
    assert!(ro.waiting.as_deref().unwrap().contains(&window), "{ro:#?}");
    assert_eq!(ro.clusters[0].state, ClusterState::Pending);
    let open_at = t0 + 10 + (opens - (t0 + 10).rem_euclid(86_400)).rem_euclid(86_400);
    // The agents keep reporting meanwhile (two hours of silence would make them offline).
    for c in CLUSTERS {
        s.report(c, &before[c], true, open_at - 30).await;
    }
    assert!(rollout::tick(&s.fleet, open_at - 1)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        rollout::tick(&s.fleet, open_at).await.unwrap(),
        vec![ro.row.id]
    );
    let st = rollout::status(&s.fleet, ro.row.id, open_at).await.unwrap();
    assert_eq!((st.row.state, st.row.wave), (State::Progressing, Some(1)));
    assert_eq!(st.clusters[0].state, ClusterState::Updated);
}

#[tokio::test]
async fn pause_resume_abort_and_refusals() {
    pause_resume_abort_and_refusals_on(None).await;
}

#[tokio::test]
async fn pause_resume_abort_and_refusals_on_each_backend() {
    for backend in ferry_testkit::postgres::fleet_backends() {
        eprintln!("on {}", backend.name);
        pause_resume_abort_and_refusals_on(Some(&backend.url)).await;
    }
}

async fn pause_resume_abort_and_refusals_on(db_url: Option<&str>) {
    let mut s = site(db_url).await;
    let t0 = now_unix();
    on_one_zero(&mut s, t0).await;
    let t1 = t0 + 10;
    let ro = rollout::start(
        &s.fleet,
        spec("edge-infra@1.1.0", two_waves(), 0),
        OPERATOR,
        t1,
    )
    .await
    .unwrap();
    let id = ro.row.id;
    // The same profile on the same clusters while this one is active: refused.
    let e = rollout::start(&s.fleet, spec("edge-infra@1.0.0", vec![], 0), OPERATOR, t1)
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::CONFLICT);
    assert!(
        e.to_string().contains(&format!("already in rollout {id}")),
        "{e}"
    );

    let p = rollout::pause(&s.fleet, id, OPERATOR, t1 + 1)
        .await
        .unwrap();
    assert_eq!(
        (p.row.state, p.row.reason.as_deref()),
        (State::Paused, Some("paused by alice"))
    );
    // Paused: a passing report moves nothing.
    let new = s.digest("edge-01").await;
    s.report("edge-01", &new, true, t1 + 2).await;
    assert_eq!(
        rollout::status(&s.fleet, id, t1 + 2)
            .await
            .unwrap()
            .row
            .wave,
        Some(1)
    );
    // Resume: the report after the wave started counts, wave 2 starts at once.
    let r = rollout::resume(&s.fleet, id, OPERATOR, t1 + 3)
        .await
        .unwrap();
    assert_eq!((r.row.state, r.row.wave), (State::Progressing, Some(2)));
    let a = rollout::abort(&s.fleet, id, OPERATOR, t1 + 4)
        .await
        .unwrap();
    assert_eq!(
        (a.row.state, a.row.reason.as_deref()),
        (State::Failed, Some("aborted by alice"))
    );
    let e = rollout::resume(&s.fleet, id, OPERATOR, t1 + 5)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("rollout {id} is Failed: resume is not possible")
    );
    // Aborted, nothing reverted: wave 2's clusters keep 1.1.0 until rolled back.
    assert_ne!(
        s.digest("edge-02").await,
        ro.clusters[1].previous_digest.clone().unwrap()
    );
    let back = rollout::rollback(&s.fleet, id, OPERATOR, t1 + 6)
        .await
        .unwrap();
    assert_eq!(back.clusters.len(), 3);
    assert!(back.mismatched.is_empty());

    // Refusals name what is wrong.
    let bad = |profile: &str,
               target: Target,
               waves: Vec<WaveSize>,
               timeout: i64,
               window: Option<&str>| RolloutSpec {
        profile: profile.into(),
        target,
        waves,
        max_unavailable: 0,
        gate_timeout_seconds: timeout,
        maintenance_window: window.map(str::to_owned),
    };
    let sel = || Target::Selector("tier=prod".into());
    let cases: Vec<(RolloutSpec, &str)> = vec![
        (
            bad("edge-infra", sel(), vec![], 60, None),
            "not a profile reference",
        ),
        (
            bad("edge-infra@9.9.9", sel(), vec![], 60, None),
            "edge-infra@9.9.9",
        ),
        (
            bad(
                "edge-infra@1.1.0",
                Target::Selector("tier=none".into()),
                vec![],
                60,
                None,
            ),
            "targets no cluster",
        ),
        (
            bad(
                "edge-infra@1.1.0",
                Target::Clusters(vec!["edge-99".into()]),
                vec![],
                60,
                None,
            ),
            "edge-99",
        ),
        (
            bad(
                "edge-infra@1.1.0",
                Target::Clusters(vec!["../etc".into()]),
                vec![],
                60,
                None,
            ),
            "../etc",
        ),
        (
            bad(
                "edge-infra@1.1.0",
                sel(),
                vec![WaveSize::Percent(0)],
                60,
                None,
            ),
            "0% is not a share",
        ),
        (
            bad("edge-infra@1.1.0", sel(), vec![], 0, None),
            "gate timeout of 0 seconds",
        ),
        (
            bad("edge-infra@1.1.0", sel(), vec![], 60, Some("nightly")),
            "maintenance window",
        ),
    ];
    for (spec, message) in cases {
        let e: FleetError = rollout::start(&s.fleet, spec.clone(), OPERATOR, t1 + 7)
            .await
            .unwrap_err();
        assert!(e.to_string().contains(message), "{spec:?}: {e}");
        assert!(e.status().is_client_error(), "{spec:?}: {e}");
    }
    assert_eq!(
        rollout::list(&s.fleet).await.unwrap().len(),
        2,
        "refused starts record nothing"
    );
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(match body {
            Some(b) => Body::from(b.to_string()),
            None => Body::empty(),
        })
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_routes_start_show_list_and_command() {
    let mut s = site(None).await;
    let t0 = now_unix();
    on_one_zero(&mut s, t0).await;
    let routes = api::routes();
    let (read, _) = routes.read.split_for_parts();
    let (write, _) = routes.write.split_for_parts();
    let app = read.merge(write).with_state(s.fleet.clone());
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/fleet/rollouts",
        Some(json!({"profile": "edge-infra@1.1.0", "target": {"clusters": ["edge-03", "edge-01"]},
                    "waves": [{"count": 1}, {"percent": 100}], "maxUnavailable": 0, "gateTimeoutSeconds": 900})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(body["state"], "Progressing");
    assert_eq!(body["wave"], 1);
    let names: Vec<&str> = body["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cluster"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["edge-01", "edge-03"], "sorted by name");
    let (status, list) = call(&app, "GET", "/api/v1/fleet/rollouts", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["id"], id);
    let (status, one) = call(&app, "GET", &format!("/api/v1/fleet/rollouts/{id}"), None).await;
    assert_eq!(
        (status, &one["profile"]),
        (StatusCode::OK, &json!("edge-infra@1.1.0"))
    );
    assert_eq!(one["clusters"][0]["gate"], json!({"result": "waiting"}));
    let (status, p) = call(
        &app,
        "POST",
        &format!("/api/v1/fleet/rollouts/{id}/pause"),
        None,
    )
    .await;
    assert_eq!((status, &p["state"]), (StatusCode::OK, &json!("Paused")));
    assert_eq!(p["reason"], "paused by anonymous");
    let (status, e) = call(
        &app,
        "POST",
        &format!("/api/v1/fleet/rollouts/{id}/pause"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(e["error"]["code"], "conflict");
    let (status, b) = call(
        &app,
        "POST",
        &format!("/api/v1/fleet/rollouts/{id}/rollback"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["rollout"]["state"], "RolledBack");
    assert_eq!(b["mismatched"], json!([]));
    let (status, _) = call(&app, "GET", "/api/v1/fleet/rollouts/999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, "POST", "/api/v1/fleet/rollouts", Some(json!({"profile": "x@1", "target": {"clusters": []}, "gateTimeoutSeconds": 1, "extra": 1}))).await;
    assert!(status.is_client_error(), "{status}");
}

#[tokio::test]
async fn a_cluster_deregistered_mid_rollout_fails_its_wave_and_rollback_skips_it() {
    let mut s = site(None).await;
    let t0 = now_unix();
    let before = on_one_zero(&mut s, t0).await;
    let t1 = t0 + 10;
    let ro = rollout::start(
        &s.fleet,
        spec("edge-infra@1.1.0", two_waves(), 0),
        OPERATOR,
        t1,
    )
    .await
    .unwrap();
    let id = ro.row.id;
    ferry_mirror::fleet::clusters::deregister(&s.fleet, "edge-02", OPERATOR)
        .await
        .unwrap();
    let new = s.digest("edge-01").await;
    s.report("edge-01", &new, true, t1 + 5).await;
    let st = rollout::status(&s.fleet, id, t1 + 5).await.unwrap();
    assert_eq!(
        (st.row.state, st.row.wave),
        (State::Paused, Some(2)),
        "{st:#?}"
    );
    assert_eq!(st.clusters[1].state, ClusterState::Failed);
    let note = st.clusters[1].note.clone().unwrap();
    assert!(note.contains("edge-02"), "{note}");
    assert!(
        st.row.reason.as_deref().unwrap().contains("edge-02"),
        "{st:#?}"
    );
    // edge-03 in the same wave got 1.1.0.
    assert_eq!(st.clusters[2].state, ClusterState::Updated);

    let back = rollout::rollback(&s.fleet, id, OPERATOR, t1 + 6)
        .await
        .unwrap();
    assert_eq!(back.mismatched, vec!["edge-02".to_owned()]);
    let rolled: Vec<&str> = back.clusters.iter().map(|c| c.cluster.as_str()).collect();
    assert_eq!(rolled, ["edge-01", "edge-03"]);
    assert_eq!(s.digest("edge-01").await, before["edge-01"]);
    assert_eq!(s.digest("edge-03").await, before["edge-03"]);
    assert_eq!(
        back.rollout.clusters[1].note.as_deref(),
        Some("deregistered: not rolled back")
    );
}
