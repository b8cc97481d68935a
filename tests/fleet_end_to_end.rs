//! The management instance's whole loop, as a user runs it: `scripts/demo-fleet` against a
//! registry of this test's own. Two bundles carry two versions of a profile; three clusters are
//! registered, assigned and one overridden; each cluster's artifact is pulled with skopeo and its
//! signature verified with openssl; agents report through real sockets; a two-wave rollout
//! pauses on a failed cluster; rollback restores every 1.0.0 digest; the queries answer; the
//! audit chain verifies. The script fails on the first check that does not hold; this test
//! also counts the checks, so a script that silently skipped some would fail here.

use std::path::PathBuf;
use std::process::Command;

use ferry_testkit::registry::Registry;
use ferry_testkit::tools;

fn sibling(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ferry"))
        .parent()
        .expect("target dir")
        .join(name)
}

#[test]
fn the_fleet_loop_runs_end_to_end() {
    for tool in ["docker-registry", "skopeo", "openssl", "jq", "curl"] {
        if !tools::installed(tool) {
            return tools::skip(&format!("{tool} is not installed"));
        }
    }
    let (seed, kube_state) = (sibling("ferry-seed"), sibling("ferry-kube-state"));
    assert!(
        seed.is_file() && kube_state.is_file(),
        "build the testkit binaries first (cargo build --workspace --bins; scripts/test does)"
    );
    let registry = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/demo-fleet"))
        .arg(work.path())
        .arg(registry.port().to_string())
        .env("FERRY_BIN", env!("CARGO_BIN_EXE_ferry"))
        .env("SEED_BIN", &seed)
        .env("KUBE_STATE_BIN", &kube_state)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "demo-fleet failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    let checks = stdout.lines().filter(|l| l.starts_with("ok: ")).count();
    // Every check of the script ran (the catalog, the bootstrap, 9 per cluster artifact, the
    // override and isolation, Ready, the rollout, the rollback, the queries).
    assert_eq!(checks, EXPECTED_CHECKS, "{stdout}");
    assert!(stdout.contains("demo-fleet: ok"), "{stdout}");
}

const EXPECTED_CHECKS: usize = 32;
