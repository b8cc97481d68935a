//! `ferry agent` against a real `ferry serve` with the fleet, over a real socket: a registered
//! cluster's agent reports with the credential `cluster add` wrote; a replayed sequence is
//! refused; the same report by sneakernet (`ferry agent report`, `ferry fleet report import`)
//! is stored once.

mod harness;

use harness::Dir;

const USER_PASSWORD: &str = "agent-cli-Pa55";

#[test]
fn the_agent_reports_to_the_appliance_and_by_sneakernet() {
    let dir = Dir::new();
    let served = dir.fleet_appliance(&["operator"], USER_PASSWORD);
    let addr = served.addr;
    let server = format!("http://{addr}");
    let fleet = |args: &[&str]| -> Vec<String> {
        let mut all = vec![
            "fleet",
            "--server",
            &server,
            "--user",
            "operator",
            "--password-file",
            "password",
        ];
        all.extend(args);
        all.into_iter().map(str::to_owned).collect()
    };
    let strs = |v: &[String]| v.iter().map(String::to_owned).collect::<Vec<_>>();
    let run = |args: Vec<String>| dir.ferry(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let ok = |args: Vec<String>| dir.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());

    ok(fleet(&[
        "cluster",
        "add",
        "edge-07",
        "--credential-out",
        "edge-07.cred",
        "--bootstrap-out",
        "edge-07.yaml",
    ]));
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/kube/healthy");
    let agent = |extra: &[&str]| -> Vec<String> {
        let mut a = strs(&[
            "agent".into(),
            "--server".into(),
            server.clone(),
            "--credential".into(),
            "edge-07.cred".into(),
        ]);
        a.extend(["--from-dir", fixture, "--once"].map(String::from));
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };

    // Two intervals: sequences 1 and 2, both accepted.
    for sequence in [1, 2] {
        let out = run(agent(&[]));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(err.contains("report accepted"), "{err}");
        assert!(err.contains(&format!("sequence={sequence}")), "{err}");
    }

    // A lost state file makes the agent repeat sequence 1: the appliance keeps the report it
    // has, and the agent says so.
    std::fs::write(
        dir.path("old.state"),
        r#"{"cluster":"edge-07","lastSequence":0}"#,
    )
    .unwrap();
    let out = run(agent(&["--state", "old.state"]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error: the appliance already has report 1 of cluster edge-07"),
        "{err}"
    );

    // Sneakernet: the next sequence, written to a file and imported by an operator.
    let out = ok(strs(&[
        "agent".into(),
        "report".into(),
        "--out".into(),
        "report.json".into(),
        "--credential".into(),
        "edge-07.cred".into(),
        "--from-dir".into(),
        fixture.into(),
    ]));
    assert!(
        out.starts_with("wrote report 3 of cluster edge-07 to report.json"),
        "{out}"
    );
    let out = ok(fleet(&["report", "import", "report.json"]));
    assert_eq!(out.trim(), "edge-07 sequence 3: stored");
    // Ingest is idempotent by (cluster, sequence): the same file again changes nothing.
    let out = ok(fleet(&["report", "import", "report.json"]));
    assert_eq!(out.trim(), "edge-07 sequence 3: duplicate");
}
