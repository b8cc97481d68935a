//! `ferry fleet rollout` as a user runs it, against an appliance serving a real fleet on a real
//! socket: start, `status --wait` following the rollout until a cluster's Failed report pauses
//! it (exit 4), rollback (exit 0, every digest as before), and the refusals' exit codes.

#[path = "../mirror/tests/fleet_rollout_support/mod.rs"]
mod fleet_rollout_support;

use std::net::SocketAddr;
use std::process::Output;
use std::time::Duration;

use ferry_mirror::fleet::rollout;
use ferry_mirror::server::{serve_on, AccessConfig, Role, ServerConfig};
use ferry_mirror::store::now_unix;
use fleet_rollout_support::*;
use serde_json::Value;
use tokio::process::Command;

const USER: &str = "op";
const PASSWORD: &str = "op-password";

fn ferry(addr: SocketAddr, dir: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry"));
    cmd.args([
        "fleet",
        "--server",
        &format!("http://{addr}"),
        "--user",
        USER,
    ])
    .arg("--password-file")
    .arg(dir.join("password"))
    .args(args)
    .env_remove("FERRY_SERVER")
    .kill_on_drop(true);
    cmd
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn start_wait_until_paused_then_roll_back() {
    let mut s = site(None).await;
    let t0 = now_unix();
    let before = on_one_zero(&mut s, t0).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("password"), format!("{PASSWORD}\n")).unwrap();
    let htpasswd = dir.path().join("htpasswd");
    std::fs::write(
        &htpasswd,
        format!("{USER}:{}\n", bcrypt::hash(PASSWORD, 4).unwrap()),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cfg = ServerConfig {
        access: AccessConfig {
            htpasswd: Some(htpasswd),
            roles: [(USER.to_owned(), Role::Operator)].into(),
            ..AccessConfig::default()
        },
        fleet: Some(s.fleet.clone()),
        ..ServerConfig::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let store = s.store.clone();
    let server = tokio::spawn(async move {
        serve_on(listener, store, &cfg, async {
            let _ = stopped.await;
        })
        .await
        .expect("appliance serves");
    });

    let out = ferry(
        addr,
        dir.path(),
        &[
            "--output",
            "json",
            "rollout",
            "start",
            "edge-infra@1.1.0",
            "--target",
            "tier=prod",
            "--waves",
            "1,100%",
            "--gate-timeout",
            "10m",
        ],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let started: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = started["id"].as_i64().unwrap().to_string();
    assert_eq!(started["state"], "Progressing");

    // Follow it; meanwhile edge-01 applies 1.1.0 and fails its health check.
    let waiting = ferry(
        addr,
        dir.path(),
        &["rollout", "status", &id, "--wait", "--poll", "1s"],
    )
    .output();
    let agent = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let new = s.digest("edge-01").await;
        s.report("edge-01", &new, false, now_unix() + 2).await;
    };
    let (out, ()) = tokio::join!(waiting, agent);
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "rollout {id} edge-infra@1.1.0: Progressing (wave 1 of 2)"
        )),
        "{}",
        text(&out)
    );
    assert!(
        stderr.contains("Paused (wave 1 of 2): wave 1: 1 of 1 clusters failed"),
        "{}",
        text(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("edge-01") && stdout.contains("Failed: reported failed"),
        "{}",
        text(&out)
    );

    let out = ferry(addr, dir.path(), &["rollout", "rollback", &id])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{}  same digest as before", before["edge-01"])),
        "{}",
        text(&out)
    );
    for c in CLUSTERS {
        assert_eq!(s.digest(c).await, before[c]);
    }
    let out = ferry(addr, dir.path(), &["rollout", "status", &id, "--wait"])
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "RolledBack is final: {}",
        text(&out)
    );
    // Not possible in its state: the appliance's 409 message, exit 1.
    let out = ferry(addr, dir.path(), &["rollout", "abort", &id])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is RolledBack: abort is not possible"),
        "{}",
        text(&out)
    );
    // A bad flag value is refused before anything is sent.
    let out = ferry(
        addr,
        dir.path(),
        &[
            "rollout",
            "start",
            "edge-infra@1.1.0",
            "--clusters",
            "edge-01",
            "--waves",
            "0",
        ],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a wave of 0 clusters"),
        "{}",
        text(&out)
    );
    assert_eq!(rollout::list(&s.fleet).await.unwrap().len(), 2);

    let _ = stop.send(());
    server.await.unwrap();
}

#[test]
fn the_help_documents_the_exit_codes() {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("ferry"))
        .args(["fleet", "rollout", "status", "--help"])
        .output()
        .unwrap();
    // Whitespace-insensitive: clap wraps help at the terminal's width.
    let help = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        help.contains("0 Succeeded or RolledBack, 1 Failed (aborted) or an error, 4 Paused"),
        "{help}"
    );
    // --target and --clusters exclude each other: a usage error.
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("ferry"))
        .args([
            "fleet",
            "rollout",
            "start",
            "p@1",
            "--target",
            "a=b",
            "--clusters",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
