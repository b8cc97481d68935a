//! The README's first command, `scripts/demo`, runs on a fresh clone: every binary a script
//! runs out of `target/` must be one its own `cargo build` line builds. (`cargo build --bins` at
//! the root builds only the root package, so `ferry-seed` from testkit was never built, and a
//! warm `target/` hid it.)

use std::path::Path;
use std::process::Command;

/// `(binary name, package)` for every binary target in the workspace.
fn workspace_binaries(root: &Path) -> Vec<(String, String)> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut bins = Vec::new();
    for package in meta["packages"].as_array().unwrap() {
        for target in package["targets"].as_array().unwrap() {
            if target["kind"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k == "bin")
            {
                bins.push((
                    target["name"].as_str().unwrap().to_owned(),
                    package["name"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    bins
}

/// Would `cargo build ARGS` (run at the workspace root) build binary `bin` of `package`?
fn builds(args: &[&str], bin: &str, package: &str) -> bool {
    let has = |flag: &str, value: &str| args.windows(2).any(|w| w[0] == flag && w[1] == value);
    let selects_packages = args.iter().any(|a| *a == "-p" || *a == "--package");
    let package_selected = if args.contains(&"--workspace") {
        true
    } else if selects_packages {
        has("-p", package) || has("--package", package)
    } else {
        package == "ferry"
    };
    let binary_selected = args.contains(&"--bins")
        || has("--bin", bin)
        || !args
            .iter()
            .any(|a| a.starts_with("--bin") || *a == "--example");
    package_selected && binary_selected
}

#[test]
fn each_script_builds_every_binary_it_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bins = workspace_binaries(root);
    for script in [
        "demo",
        "bench-build",
        "bench-serve",
        "bench-discover",
        "bench-fleet",
    ] {
        let text = std::fs::read_to_string(root.join("scripts").join(script)).unwrap();
        let build_lines: Vec<Vec<&str>> = text
            .lines()
            .filter_map(|l| l.split_once("cargo build").map(|(_, rest)| rest))
            .map(|rest| rest.trim_end_matches(')').split_whitespace().collect())
            .collect();
        for (bin, package) in &bins {
            let used = [
                format!("target/debug/{bin}\n"),
                format!("target/release/{bin}\n"),
                format!("target/debug/{bin} "),
                format!("target/release/{bin} "),
                format!("/release/{bin}\""),
            ]
            .iter()
            .any(|p| text.contains(p.as_str()));
            if used {
                assert!(
                    build_lines.iter().any(|args| builds(args, bin, package)),
                    "scripts/{script} runs {bin} (package {package}) but no `cargo build` line of it builds that: {build_lines:?}"
                );
            }
        }
    }
}

#[test]
fn the_rule_knows_what_cargo_builds() {
    assert!(!builds(
        &["--locked", "--bins"],
        "ferry-seed",
        "ferry-testkit"
    ));
    assert!(builds(&["--locked", "--bins"], "ferry", "ferry"));
    assert!(builds(
        &["--locked", "--workspace", "--bins"],
        "ferry-seed",
        "ferry-testkit"
    ));
    assert!(builds(&["--release", "--bin", "ferry"], "ferry", "ferry"));
    assert!(builds(
        &["-p", "ferry-testkit", "--bins"],
        "ferry-seed",
        "ferry-testkit"
    ));
}

/// CI walks the new user's path: the demo on a cold target first, then the tests.
#[test]
fn ci_runs_the_demo_before_the_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    let demo = ci
        .find("\nscripts/demo")
        .expect(".ci/run runs scripts/demo");
    let test = ci
        .find("\nscripts/test")
        .expect(".ci/run runs scripts/test");
    assert!(demo < test, ".ci/run must run the demo first");
}
