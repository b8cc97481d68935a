//! The agent's report loop over a real socket: a receiver on 127.0.0.1 that checks what the
//! appliance checks (Basic credential of the cluster, the parse limits, the MAC, a sequence
//! never seen) and answers as the fleet API does. The appliance's own ingest is tested with
//! the end-to-end test; this proves the agent's side of the exchange.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use ferry_agent::agent::{parse_interval, Agent, AgentError, Reporter, REPORTS_PATH};
use ferry_agent::client::ClientError;
use ferry_agent::credential::Credential;
use ferry_agent::kube::Files;
use ferry_bundler::format::report::{secret_sha256, verify_mac, SignedReport};
use serde_json::json;

const SECRET: &str = "q3V9cHcXlV1g8yC2m3eUQyE2r4dJk9wPq1nKx0zT5aA";

#[derive(Clone, Default)]
struct Receiver {
    accepted: Arc<Mutex<Vec<SignedReport>>>,
    /// While set, the receiver answers 503 (an appliance restarting).
    unavailable: Arc<Mutex<bool>>,
}

fn error(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    if *r.unavailable.lock().unwrap() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "starting".into(),
        );
    }
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    if basic.as_deref() != Some(&format!("cluster/edge-07:{SECRET}")) {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "bad credential".into(),
        );
    }
    let signed = match SignedReport::from_slice(&body) {
        Ok(s) => s,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad-report", e.to_string()),
    };
    if !verify_mac(&secret_sha256(SECRET), &signed) {
        return error(
            StatusCode::UNAUTHORIZED,
            "bad-mac",
            "the MAC does not verify".into(),
        );
    }
    let mut accepted = r.accepted.lock().unwrap();
    let last = accepted.last().map(|s| s.report.sequence).unwrap_or(0);
    if accepted
        .iter()
        .any(|s| s.report.sequence == signed.report.sequence)
    {
        // As the fleet API answers a sequence it has seen: 200, nothing stored.
        let sequence = signed.report.sequence;
        return Json(json!({"cluster": "edge-07", "sequence": sequence, "outcome": "duplicate"}))
            .into_response();
    }
    if signed.report.sequence <= last {
        return error(
            StatusCode::CONFLICT,
            "replayed",
            format!(
                "report {} of edge-07 is not after {last}",
                signed.report.sequence
            ),
        );
    }
    let sequence = signed.report.sequence;
    accepted.push(signed);
    Json(json!({"cluster": "edge-07", "sequence": sequence, "outcome": "stored"})).into_response()
}

async fn start(r: Receiver) -> String {
    let app = Router::new()
        .route(REPORTS_PATH, post(receive))
        .with_state(r);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/kube")
        .join(name)
}

fn agent(url: &str, state: &std::path::Path, secret: &str) -> Agent<Files> {
    let reporter = Reporter::new(
        Files::new(fixture("healthy")),
        Credential::new("edge-07", secret),
        state,
        60,
    );
    Agent::new(reporter, url, None, Duration::from_secs(60)).unwrap()
}

const NOW: i64 = 1_796_164_200; // 2026-12-01T22:30:00Z

#[tokio::test]
async fn reports_are_sent_with_increasing_sequences_across_restarts_and_failures() {
    let receiver = Receiver::default();
    let url = start(receiver.clone()).await;
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("agent.state");

    let first = agent(&url, &state, SECRET);
    let sent = first.tick(NOW).await.unwrap();
    assert_eq!(sent.sequence, 1);
    assert_eq!(
        sent.answer,
        json!({"cluster": "edge-07", "sequence": 1, "outcome": "stored"})
    );
    assert_eq!(first.tick(NOW + 60).await.unwrap().sequence, 2);
    drop(first);

    // The agent restarts: it goes on after 2, never back to 1.
    let restarted = agent(&url, &state, SECRET);
    assert_eq!(restarted.tick(NOW + 120).await.unwrap().sequence, 3);

    // The appliance is briefly unavailable: the interval fails and its sequence is spent, so
    // the next interval sends a new report rather than the same sequence twice.
    *receiver.unavailable.lock().unwrap() = true;
    let err = restarted.tick(NOW + 180).await.unwrap_err();
    let AgentError::Send {
        sequence: 4,
        source,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(
        source.status(),
        Some(axum::http::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert!(err
        .to_string()
        .starts_with("sending report 4 of cluster edge-07: POST "));
    *receiver.unavailable.lock().unwrap() = false;
    assert_eq!(restarted.tick(NOW + 240).await.unwrap().sequence, 5);

    let accepted = receiver.accepted.lock().unwrap();
    let sequences: Vec<u64> = accepted.iter().map(|s| s.report.sequence).collect();
    assert_eq!(sequences, [1, 2, 3, 5]);
    let last = &accepted[3].report;
    assert_eq!(last.generated_at, "2026-12-01T22:34:00Z");
    assert_eq!(
        (last.cluster.as_str(), last.interval_seconds),
        ("edge-07", 60)
    );
    assert_eq!(last.pods.len(), 11);
}

#[tokio::test]
async fn an_unreachable_appliance_is_a_send_error_and_the_sequence_is_still_spent() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("agent.state");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = agent(&format!("http://127.0.0.1:{port}"), &state, SECRET);
    let err = down.tick(NOW).await.unwrap_err();
    assert!(
        matches!(
            &err,
            AgentError::Send {
                sequence: 1,
                source: ClientError::Http { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(down.run(true).await.is_err(), "--once reports the failure");

    let receiver = Receiver::default();
    let url = start(receiver.clone()).await;
    assert_eq!(
        agent(&url, &state, SECRET)
            .tick(NOW)
            .await
            .unwrap()
            .sequence,
        3
    );
}

#[tokio::test]
async fn a_wrong_secret_is_refused_by_the_appliance() {
    let receiver = Receiver::default();
    let url = start(receiver.clone()).await;
    let tmp = tempfile::tempdir().unwrap();
    let err = agent(&url, &tmp.path().join("s"), "not-the-secret")
        .tick(NOW)
        .await
        .unwrap_err();
    let AgentError::Send { source, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(source.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(receiver.accepted.lock().unwrap().is_empty());
}

#[tokio::test]
async fn run_once_sends_one_report() {
    let receiver = Receiver::default();
    let url = start(receiver.clone()).await;
    let tmp = tempfile::tempdir().unwrap();
    agent(&url, &tmp.path().join("s"), SECRET)
        .run(true)
        .await
        .unwrap();
    assert_eq!(receiver.accepted.lock().unwrap().len(), 1);
}

#[test]
fn intervals() {
    assert_eq!(parse_interval("60s"), Ok(Duration::from_secs(60)));
    assert_eq!(parse_interval("90"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_interval("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_interval("1h"), Ok(Duration::from_secs(3600)));
    assert!(parse_interval("0s").unwrap_err().contains("at least 1s"));
    assert!(parse_interval("1d")
        .unwrap_err()
        .contains("is not an interval"));
    assert!(parse_interval("s").is_err());
    assert!(parse_interval("99999999999999999999h").is_err());
}

#[tokio::test]
async fn a_sequence_the_appliance_already_has_is_an_error_naming_the_state_file() {
    let receiver = Receiver::default();
    let url = start(receiver.clone()).await;
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("agent.state");
    agent(&url, &state, SECRET).tick(NOW).await.unwrap();
    // The state file is lost (an emptyDir of a rescheduled pod): the agent starts over at 1.
    std::fs::remove_file(&state).unwrap();
    let err = agent(&url, &state, SECRET).tick(NOW).await.unwrap_err();
    assert!(
        matches!(err, AgentError::Duplicate { sequence: 1, .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the appliance already has report 1 of cluster edge-07 and kept the earlier one: the sequence state {} is behind (lost, restored or shared)",
            state.display()
        )
    );
    assert_eq!(receiver.accepted.lock().unwrap().len(), 1);
}
