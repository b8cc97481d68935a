//! `ferry fleet cluster|group` against a real `ferry serve` with the fleet: an operator
//! registers a cluster (credential and bootstrap written to files, the bootstrap carrying the
//! serve key's public half), lists, relabels, groups and removes it; a reader may only look.

mod harness;

use std::os::unix::fs::PermissionsExt as _;

use harness::Dir;
use serde_json::Value;

const USER_PASSWORD: &str = "fleet-cli-Pa55";

#[test]
fn operators_register_relabel_group_and_remove_clusters() {
    let dir = Dir::new();
    let served = dir.fleet_appliance(&["operator", "reader"], USER_PASSWORD);
    let addr = served.addr;
    let server = format!("http://{addr}");
    let as_user = |user: &'static str, args: &[&str]| -> Vec<String> {
        let mut all = vec![
            "fleet",
            "--server",
            &server,
            "--user",
            user,
            "--password-file",
            "password",
        ];
        all.extend(args);
        all.into_iter().map(str::to_owned).collect()
    };
    let ok = |user, args: &[&str]| {
        let a = as_user(user, args);
        dir.ok(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    // 1: the appliance refused; 2: a usage error, caught before anything was sent.
    let fails = |code, user, args: &[&str]| {
        let a = as_user(user, args);
        dir.fails(code, &a.iter().map(String::as_str).collect::<Vec<_>>())
    };

    let out = ok(
        "operator",
        &[
            "cluster",
            "add",
            "edge-07",
            "--label",
            "site=north",
            "--label",
            "tier=prod",
            "--interval",
            "30s",
            "--credential-out",
            "edge-07.cred",
            "--bootstrap-out",
            "edge-07.yaml",
        ],
    );
    assert!(out.contains("registered cluster edge-07"), "{out}");
    assert!(
        out.contains("edge-07.cred") && out.contains("edge-07.yaml"),
        "{out}"
    );
    let cred = std::fs::read_to_string(dir.path("edge-07.cred")).unwrap();
    assert!(
        cred.starts_with("cluster/edge-07:") && cred.ends_with('\n'),
        "{cred}"
    );
    assert!(
        !out.contains(cred.trim()),
        "the secret went to the file, not stdout"
    );
    let mode = std::fs::metadata(dir.path("edge-07.cred"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let bootstrap = std::fs::read_to_string(dir.path("edge-07.yaml")).unwrap();
    assert!(
        bootstrap.contains("url: oci://mirror.enclave:5000/fleet/edge-07"),
        "{bootstrap}"
    );
    assert!(bootstrap.contains("provider: cosign"), "{bootstrap}");
    let public = std::fs::read_to_string(dir.path("keys/ferry.pub")).unwrap();
    let body: String = public.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(
        bootstrap
            .replace("\\r\\n", "")
            .replace("\\n", "")
            .contains(&body),
        "the serve key's public half"
    );

    // Hostile or repeated input fails with the reason.
    let err = fails(1, "operator", &["cluster", "add", "edge-07"]);
    assert!(err.contains("registered already"), "{err}");
    let err = fails(
        2,
        "operator",
        &["cluster", "add", "x", "--label", "bad key=v"],
    );
    assert!(err.contains("bad key"), "{err}");
    let err = fails(1, "reader", &["cluster", "add", "by-reader"]);
    assert!(err.contains("403"), "{err}");

    let listed: Value =
        serde_json::from_str(&ok("reader", &["cluster", "list", "--output", "json"])).unwrap();
    assert_eq!(listed[0]["name"], "edge-07");
    assert_eq!(listed[0]["reportIntervalSeconds"], 30);
    assert_eq!(listed[0]["labels"]["site"], "north");
    let shown = ok("reader", &["cluster", "show", "edge-07"]);
    assert!(
        shown.contains("site=north,tier=prod") && shown.contains("active"),
        "{shown}"
    );

    let group = ok(
        "operator",
        &["group", "set", "prod", "--selector", "tier=prod"],
    );
    assert!(
        group.contains("1 members") && group.contains("edge-07"),
        "{group}"
    );
    ok(
        "operator",
        &["cluster", "labels", "edge-07", "--label", "tier=dev"],
    );
    let groups: Value =
        serde_json::from_str(&ok("reader", &["group", "list", "--output", "json"])).unwrap();
    assert_eq!(groups[0]["members"], serde_json::json!([]));
    let err = fails(
        2,
        "operator",
        &["group", "set", "bad", "--selector", "tier=,,"],
    );
    assert!(err.contains("empty term"), "{err}");

    let removed = ok("operator", &["cluster", "remove", "edge-07"]);
    assert!(
        removed.contains("deregistered cluster edge-07"),
        "{removed}"
    );
    assert!(!ok("reader", &["cluster", "list"]).contains("edge-07"));
    assert!(ok("reader", &["cluster", "list", "--all"]).contains("removed"));
    // The name may be registered again: a fresh credential, printed once.
    let again = ok(
        "operator",
        &["cluster", "add", "edge-07", "--bootstrap-out", "again.yaml"],
    );
    assert!(
        again.contains("credential (shown only once): cluster/edge-07:"),
        "{again}"
    );
    assert!(!again.contains(cred.trim()));
}
