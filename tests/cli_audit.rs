//! `ferry audit` through the real binary: a signed bundle imported twice, retired and collected,
//! `serve` recording its configuration, then `show` and `verify` (exit 3 on tampering, naming the
//! entry) including truncation caught by `--expect-head`.

mod harness;

use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use harness::{build_signed, file_profile, sha256_file, Dir};

/// A signed bundle carrying one file (no registry needed), imported into `data/`.
fn imported() -> (Dir, String) {
    let dir = Dir::new();
    file_profile(&dir, "readme.txt", b"hello enclave\n");
    build_signed(&dir, "site.ferry");
    let import = [
        "import",
        "site.ferry",
        "--data",
        "data",
        "--trust-key",
        "keys/ferry.pub",
        "--output",
        "json",
    ];
    let report: serde_json::Value = serde_json::from_str(&dir.ok(&import)).unwrap();
    dir.ok(&import);
    let digest = report["digest"].as_str().unwrap().to_owned();
    (dir, digest)
}

/// Runs `ferry serve --config ferry.yaml` until it listens on `port`, then stops it.
fn serve_once(dir: &Dir, port: u16) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("ferry"))
        .current_dir(dir.path(""))
        .args(["serve", "--config", "ferry.yaml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(up, "ferry serve did not start listening on {port}");
}

fn show_json(dir: &Dir, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["audit", "show", "--data", "data", "--output", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&dir.ok(&args)).unwrap()
}

fn sql(dir: &Dir, statement: &'static str) {
    let root = dir.path("data");
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            let store = ferry_mirror::store::Store::open(&root).await.unwrap();
            sqlx::raw_sql(statement).execute(store.db()).await.unwrap();
        });
}

#[test]
fn audit_show_and_verify_catch_edits_and_truncation() {
    let (dir, digest) = imported();
    dir.ok(&["store", "retire", &digest, "--data", "data"]);
    dir.ok(&["store", "gc", "--data", "data"]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    dir.write(
        "ferry.yaml",
        &format!("data: data\nlisten: 127.0.0.1:{port}\nanonymousPull: true\n"),
    );
    serve_once(&dir, port);
    serve_once(&dir, port); // unchanged configuration: nothing new to record

    let shown = show_json(&dir, &[]);
    let entries = shown["entries"].as_array().unwrap();
    let got: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["subject"].as_str().unwrap(),
            )
        })
        .collect();
    let config = dir.path("ferry.yaml").display().to_string();
    assert_eq!(
        got,
        vec![
            ("import.ok", digest.as_str()),
            ("import.noop", digest.as_str()),
            ("bundle.retired", digest.as_str()),
            ("store.gc", dir.path("data").to_str().unwrap()),
            ("config.changed", config.as_str()),
        ]
    );
    let actor = format!("cli:{}", std::fs::metadata("/proc/self").unwrap().uid());
    assert!(
        entries.iter().all(|e| e["actor"] == actor.as_str()),
        "{shown:#}"
    );
    assert_eq!(
        entries[4]["detail"]["new"],
        sha256_file(&dir.path("ferry.yaml")).as_str()
    );
    let head = format!(
        "{}:{}",
        shown["head"]["seq"],
        shown["head"]["hash"].as_str().unwrap()
    );
    assert!(head.starts_with("5:"), "{head}");

    // Text output ends with the head to write down; --since filters by time.
    let text = dir.ok(&["audit", "show", "--data", "data"]);
    assert!(
        text.lines().last().unwrap() == format!("head {head}"),
        "{text}"
    );
    assert!(text.contains("import.ok"), "{text}");
    let later = show_json(&dir, &["--since", "2999-01-01T00:00:00Z"]);
    assert_eq!(later["entries"].as_array().unwrap().len(), 0);
    let bad = dir.fails(1, &["audit", "show", "--data", "data", "--since", "soon"]);
    assert!(bad.contains("soon"), "{bad}");

    let ok = dir.ok(&["audit", "verify", "--data", "data", "--expect-head", &head]);
    assert!(ok.contains(&format!("5 entries, head {head}")), "{ok}");

    // Cutting off the newest entry leaves a valid chain; only the written-down head catches it.
    sql(&dir, "DELETE FROM audit_log WHERE seq = 5");
    dir.ok(&["audit", "verify", "--data", "data"]);
    let err = dir.fails(
        3,
        &["audit", "verify", "--data", "data", "--expect-head", &head],
    );
    assert!(
        err.contains("entry 5") && err.contains("removed from the end"),
        "{err}"
    );

    // Editing an entry is caught on its own, naming the entry.
    sql(
        &dir,
        r#"UPDATE audit_log SET detail = REPLACE(detail, '"alreadyRetired":false', '"alreadyRetired":true') WHERE seq = 3"#,
    );
    let err = dir.fails(3, &["audit", "verify", "--data", "data"]);
    assert!(err.contains("tampered at entry 3"), "{err}");
    let json: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(
        &dir.ferry(&["audit", "verify", "--data", "data", "--output", "json"])
            .stdout,
    ))
    .unwrap();
    assert_eq!(json["tamper"]["seq"], 3);
}
