//! Progress off a terminal, through the real binary against a real docker-registry: a build's
//! stderr has one line per artifact fetched (name and size), and counts artifacts as items.

mod harness;

use ferry_testkit::Registry;
use harness::{push_image, Dir};

#[test]
fn a_build_off_a_terminal_logs_one_line_per_artifact_fetched() {
    let registry = Registry::start();
    push_image(&registry, "demo/app", "1.0", "app");
    push_image(&registry, "demo/db", "2.0", "db");
    let host = registry.host();
    let dir = Dir::new();
    dir.write(
        "profiles/site.yaml",
        &format!(
            "name: site\nversion: 1.0.0\ntype: full\nplatforms: [linux/amd64]\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - images: [{host}/demo/app:1.0, {host}/demo/db:2.0]\n"
        ),
    );
    let build = ["build", "--no-attached", "-o", "site.ferry"];
    let out = dir.ferry(&build);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for name in ["demo/app:1.0", "demo/db:2.0"] {
        let lines: Vec<&str> = err
            .lines()
            .filter(|l| l.contains(&format!("fetched {host}/{name} (")))
            .collect();
        assert_eq!(lines.len(), 1, "one line for {name}:\n{err}");
        let size = lines[0].rsplit_once('(').unwrap().1;
        assert!(
            size.ends_with("KiB)") && size.starts_with(|c: char| c.is_ascii_digit()),
            "{}",
            lines[0]
        );
    }
    let resolve = err
        .lines()
        .find(|l| l.contains("resolve") && l.contains("done"))
        .unwrap_or_else(|| panic!("no resolve line:\n{err}"));
    assert!(resolve.contains("2 items"), "{resolve}");
    assert!(!err.contains('\r'), "no bar drawn off a terminal:\n{err}");

    // Everything is cached now: nothing is fetched, so no such line.
    let out = dir.ferry(&["build", "--no-attached", "-o", "again.ferry"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("fetched "), "{err}");
}
