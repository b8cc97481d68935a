//! `ferry audit verify|show --fleet-database URL`: a fleet database that is not the store's file
//! (PostgreSQL, or another SQLite file) has an audit chain of its own, verified and listed after
//! the store's; an edited fleet entry fails verification (exit 3) naming it.

mod harness;

use ferry_mirror::audit::{self, Event};
use ferry_mirror::fleet::FleetDb;
use harness::Dir;

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Runtime::new().unwrap().block_on(f)
}

/// Three fleet changes recorded in the fleet database's own chain; returns its head.
fn record_three(url: &str) -> String {
    block_on(async {
        let db = FleetDb::connect(url).await.unwrap();
        let mut last = None;
        for name in ["edge-01", "edge-02", "edge-03"] {
            let mut tx = db.begin_write().await.unwrap();
            let e = audit::append_in_any(
                &mut tx,
                &Event::new("alice", "fleet.test", name, serde_json::json!({"n": name})),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            last = Some(format!("{}:{}", e.seq, e.hash));
        }
        db.pool().close().await;
        last.unwrap()
    })
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn case(url: &str) {
    let dir = Dir::new();
    dir.ok(&["store", "gc", "--data", "data", "--init"]);
    let fleet_head = record_three(url);
    let verify = ["audit", "verify", "--data", "data", "--fleet-database", url];

    let text = dir.ok(&verify);
    assert!(text.contains("audit log ok: 1 entries"), "{text}");
    assert!(
        text.contains(&format!("fleet audit log ok: 3 entries, head {fleet_head}")),
        "{text}"
    );
    let report = json(&dir.ok(&[&verify[..], &["--output", "json"]].concat()));
    assert_eq!(report["entriesChecked"], 1, "the store's report as before");
    assert_eq!(report["fleet"]["entriesChecked"], 3);
    assert_eq!(report["fleet"]["tamper"], serde_json::Value::Null);
    dir.ok(&[&verify[..], &["--expect-fleet-head", &fleet_head]].concat());

    // Without the flag: the store's chain only, JSON without a fleet member.
    let store_only = json(&dir.ok(&["audit", "verify", "--data", "data", "--output", "json"]));
    assert!(store_only.get("fleet").is_none(), "{store_only}");
    // The configuration's fleet.database, as `ferry serve` uses it, is the default.
    dir.write(
        "ferry.yaml",
        &format!("data: data\nfleet:\n  database: {url}\n"),
    );
    let configured = json(&dir.ok(&[
        "audit",
        "verify",
        "--config",
        "ferry.yaml",
        "--output",
        "json",
    ]));
    assert_eq!(configured["fleet"]["entriesChecked"], 3, "{configured}");
    // Naming the store's own file is not a second chain.
    let own = format!("sqlite://{}", dir.path("data/ferry.db").display());
    let same = json(&dir.ok(&[
        "audit",
        "verify",
        "--data",
        "data",
        "--fleet-database",
        &own,
        "--output",
        "json",
    ]));
    assert!(same.get("fleet").is_none(), "{same}");

    // The environment variable names it too.
    let out = assert_cmd::Command::cargo_bin("ferry")
        .unwrap()
        .current_dir(dir.path(""))
        .env("FERRY_FLEET_DATABASE", url)
        .args(["audit", "show", "--data", "data", "--output", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let shown = json(&String::from_utf8_lossy(&out.stdout));
    let subjects: Vec<&str> = shown["fleet"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["edge-01", "edge-02", "edge-03"]);
    assert_eq!(shown["entries"].as_array().unwrap().len(), 1);
    let text = dir.ok(&["audit", "show", "--data", "data", "--fleet-database", url]);
    assert!(
        text.trim_end()
            .ends_with(&format!("fleet head {fleet_head}")),
        "{text}"
    );

    // An edited fleet entry: exit 3, naming the fleet chain and the entry.
    block_on(async {
        let pool = audit::connect_any(url).await.unwrap();
        sqlx::query("UPDATE audit_log SET subject = $1 WHERE seq = $2")
            .bind("edge-99")
            .bind(2i64)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let err = dir.fails(3, &verify);
    assert!(err.contains("fleet audit log tampered at entry 2"), "{err}");
    let out = dir.ferry(&[&verify[..], &["--output", "json"]].concat());
    let report = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(report["fleet"]["tamper"]["seq"], 2);
    assert_eq!(report["tamper"], serde_json::Value::Null);
}

#[test]
fn audit_verifies_and_shows_a_separate_fleet_chain_on_both_backends() {
    for backend in ferry_testkit::postgres::fleet_backends() {
        eprintln!("backend {}", backend.name);
        case(&backend.url);
    }
}

#[test]
fn an_unreachable_fleet_database_is_named_without_its_password() {
    let dir = Dir::new();
    dir.ok(&["store", "gc", "--data", "data", "--init"]);
    let started = std::time::Instant::now();
    let err = dir.fails(
        1,
        &[
            "audit",
            "verify",
            "--data",
            "data",
            "--fleet-database",
            "postgres://fleet:hunter2@127.0.0.1:1/nowhere",
        ],
    );
    assert!(
        err.contains("postgres://fleet:***@127.0.0.1:1/nowhere"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "refused at once"
    );
}
