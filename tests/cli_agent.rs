//! `ferry agent` through the real binary: `ferry agent report` writes a signed report from
//! `--from-dir` whose MAC verifies with the cluster's secret, with a new sequence each time;
//! errors name the file or the appliance.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ferry_bundler::format::report::{secret_sha256, verify_mac, SignedReport};

const SECRET: &str = "q3V9cHcXlV1g8yC2m3eUQyE2r4dJk9wPq1nKx0zT5aA";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/kube")
        .join(name)
}

fn ferry(args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin("ferry"))
        .env_remove("FERRY_SERVER")
        .env_remove("FERRY_AGENT_CREDENTIAL")
        .env_remove("FERRY_AGENT_STATE")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .args(args)
        .output()
        .expect("run ferry")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn credential(dir: &Path) -> PathBuf {
    let path = dir.join("credential");
    std::fs::write(&path, format!("cluster/edge-09:{SECRET}\n")).unwrap();
    path
}

fn report(dir: &Path, out: &str, extra: &[&str]) -> (Output, Option<SignedReport>) {
    let out_path = dir.join(out);
    let cred = credential(dir);
    let from = fixture("failing");
    let mut args = vec![
        "agent",
        "report",
        "--out",
        out_path.to_str().unwrap(),
        "--credential",
        cred.to_str().unwrap(),
        "--from-dir",
        from.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = ferry(&args);
    let signed = std::fs::read(&out_path)
        .ok()
        .map(|b| SignedReport::from_slice(&b).expect("the appliance's parser accepts it"));
    (output, signed)
}

#[test]
fn report_writes_a_signed_report_whose_mac_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, signed) = report(tmp.path(), "report.json", &["--interval", "24h"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let signed = signed.unwrap();
    assert!(verify_mac(&secret_sha256(SECRET), &signed));
    assert!(!verify_mac(&secret_sha256("another"), &signed));
    let r = &signed.report;
    assert_eq!(
        (r.cluster.as_str(), r.sequence, r.interval_seconds),
        ("edge-09", 1, 86_400)
    );
    assert_eq!((r.pods.len(), r.nodes.len(), r.gitops.len()), (10, 2, 4));
    let crash = r
        .pods
        .iter()
        .find(|p| p.name == "podinfo-58c9f6d7b4-2bq7x")
        .unwrap();
    assert_eq!(crash.containers[0].restarts, 17);
    assert_eq!(
        text(&out.stdout),
        format!(
            "wrote report 1 of cluster edge-09 to {} (10 pods, 2 nodes, 4 GitOps objects)\n",
            tmp.path().join("report.json").display()
        )
    );
    // Pretty JSON, for a person carrying it across.
    let written = std::fs::read_to_string(tmp.path().join("report.json")).unwrap();
    assert!(written.starts_with("{\n  \"report\": {\n"));

    // The next report takes the next sequence, from the state file beside the credential.
    let (out, again) = report(tmp.path(), "report-2.json", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(again.unwrap().report.sequence, 2);
    let state = std::fs::read_to_string(tmp.path().join("credential.state")).unwrap();
    assert_eq!(state.trim(), r#"{"cluster":"edge-09","lastSequence":2}"#);
}

#[test]
fn an_explicit_state_file_is_used() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state/agent.json");
    let s = state.to_str().unwrap();
    report(tmp.path(), "a.json", &["--state", s]);
    let (out, signed) = report(tmp.path(), "b.json", &["--state", s]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(signed.unwrap().report.sequence, 2);
    assert!(!tmp.path().join("credential.state").exists());
}

#[test]
fn a_bad_credential_file_is_named_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let cred = tmp.path().join("credential");
    std::fs::write(&cred, "edge-09:abc\n").unwrap();
    let out_path = tmp.path().join("report.json");
    let out = ferry(&[
        "agent",
        "report",
        "--out",
        out_path.to_str().unwrap(),
        "--credential",
        cred.to_str().unwrap(),
        "--from-dir",
        fixture("healthy").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr).trim(),
        format!(
            "error: credential file {}: it does not start with \"cluster/\"; expected one line cluster/<name>:<secret>",
            cred.display()
        )
    );
    assert!(!out_path.exists());
}

#[test]
fn a_document_of_the_wrong_kind_is_refused_naming_the_resource() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("capture");
    std::fs::create_dir(&dir).unwrap();
    for f in ["pods.json", "nodes.json"] {
        std::fs::copy(fixture("healthy").join("nodes.json"), dir.join(f)).unwrap();
    }
    let cred = credential(tmp.path());
    let out = ferry(&[
        "agent",
        "report",
        "--out",
        tmp.path().join("r.json").to_str().unwrap(),
        "--credential",
        cred.to_str().unwrap(),
        "--from-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr).trim(),
        "error: building the report of cluster edge-09: the pods document is not a List of Pod: item 0 is a Node"
    );
}

#[test]
fn once_against_an_unreachable_appliance_fails_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let cred = credential(tmp.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = format!("http://127.0.0.1:{port}");
    let out = ferry(&[
        "agent",
        "--server",
        &server,
        "--credential",
        cred.to_str().unwrap(),
        "--from-dir",
        fixture("healthy").to_str().unwrap(),
        "--once",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "error: sending report 1 of cluster edge-09: POST {server}/api/v1/fleet/reports: "
        )),
        "{err}"
    );
}

#[test]
fn the_agent_needs_a_server_unless_it_writes_a_file() {
    let out = ferry(&["agent", "--credential", "x", "--once"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--server <SERVER>"));
}
