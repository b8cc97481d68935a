//! The connected side end to end through the real binary, against a real docker-registry:
//! keygen, lock, build (twice, byte-identical), inspect, verify, and the refusals.

mod harness;

use ferry_testkit::Registry;
use harness::{push_image, sha256_file, Dir};

/// A profile naming two generated images in `registry` and a local file.
fn setup(registry: &Registry) -> (Dir, String, String) {
    let app = push_image(registry, "demo/app", "1.0", "app");
    let db = push_image(registry, "demo/db", "2.0", "db");
    let dir = Dir::new();
    dir.write("profiles/files/readme.txt", "hello enclave\n");
    let sum = sha256_file(&dir.path("profiles/files/readme.txt"));
    let host = registry.host();
    dir.write(
        "profiles/site.yaml",
        &format!(
            "name: site\nversion: 1.0.0\ntype: full\nplatforms: [linux/amd64]\nlayers:\n  - name: apps\n    kind: addon\n    sources:\n      - images: [{host}/demo/app:1.0]\n      - manifests:\n          inline:\n            - |\n              apiVersion: apps/v1\n              kind: Deployment\n              metadata: {{name: db}}\n              spec:\n                template:\n                  spec:\n                    containers:\n                      - name: db\n                        image: {host}/demo/db:2.0\n      - files: [{{path: files/readme.txt, sha256: {sum}}}]\n"
        ),
    );
    dir.ok(&["keygen", "--out", "keys"]);
    (dir, app, db)
}

#[test]
fn build_is_reproducible_verifiable_and_explained() {
    let registry = Registry::start();
    let (dir, app, _db) = setup(&registry);
    dir.ok(&["lock", "-p", "profiles"]);
    let lock = std::fs::read_to_string(dir.path("ferry.lock")).unwrap();
    assert!(
        lock.contains(&app),
        "lock pins the app index digest:\n{lock}"
    );

    // Two signed builds from one lock are byte-identical (RFC 6979 signatures), and so are unsigned ones.
    let key = "keys/ferry.key";
    dir.ok(&[
        "build",
        "-p",
        "profiles",
        "--locked",
        "--key",
        key,
        "-o",
        "site.ferry",
    ]);
    dir.ok(&[
        "build",
        "-p",
        "profiles",
        "--locked",
        "--key",
        key,
        "-o",
        "again.ferry",
    ]);
    assert_eq!(
        sha256_file(&dir.path("site.ferry")),
        sha256_file(&dir.path("again.ferry"))
    );
    dir.ok(&["build", "-p", "profiles", "--locked", "-o", "a.ferry"]);
    dir.ok(&["build", "-p", "profiles", "--locked", "-o", "b.ferry"]);
    assert_eq!(
        sha256_file(&dir.path("a.ferry")),
        sha256_file(&dir.path("b.ferry"))
    );

    let verified = dir.ok(&["verify", "site.ferry", "--key", "keys/ferry.pub"]);
    assert!(verified.contains("signature: ok"), "{verified}");

    // Sparse index: the arm64 child is recorded as left out, and the index keeps upstream's digest.
    let json: serde_json::Value =
        serde_json::from_str(&dir.ok(&["inspect", "site.ferry", "--output", "json"])).unwrap();
    let artifacts = json["manifest"]["artifacts"].as_array().unwrap();
    let image = artifacts
        .iter()
        .find(|a| a["reference"].as_str().unwrap().ends_with("demo/app:1.0"))
        .unwrap();
    assert_eq!(image["digest"], app.as_str());
    assert_eq!(image["omittedChildren"][0]["platform"], "linux/arm64");
    assert_eq!(image["attached"][0]["relation"], "signature");
    assert!(artifacts
        .iter()
        .any(|a| a["kind"] == "file" && a["reference"] == "files/readme.txt"));

    let why = dir.ok(&["inspect", "site.ferry", "--why", "demo/db"]);
    assert!(why.contains("Deployment/db container db"), "{why}");
}

#[test]
fn tampering_and_wrong_keys_exit_with_3() {
    let registry = Registry::start();
    let (dir, _, _) = setup(&registry);
    dir.ok(&[
        "build",
        "-p",
        "profiles",
        "--key",
        "keys/ferry.key",
        "--compression",
        "none",
        "-o",
        "site.ferry",
    ]);

    // Another key pair: the signature must not verify with it.
    dir.ok(&["keygen", "--out", "other"]);
    let err = dir.fails(3, &["verify", "site.ferry", "--key", "other/ferry.pub"]);
    assert!(err.contains("site.ferry"), "{err}");

    // Flip one byte near the end (inside the last blob): verification names the damage.
    let mut bytes = std::fs::read(dir.path("site.ferry")).unwrap();
    let at = bytes.len() - 1024 - 600;
    bytes[at] ^= 0x55;
    std::fs::write(dir.path("tampered.ferry"), &bytes).unwrap();
    let err = dir.fails(3, &["verify", "tampered.ferry", "--key", "keys/ferry.pub"]);
    assert!(
        err.contains("sha256:") || err.contains("tar header"),
        "{err}"
    );

    // A missing bundle is an ordinary failure, not a verification failure.
    dir.fails(1, &["verify", "missing.ferry", "--key", "keys/ferry.pub"]);
}

#[test]
fn locked_build_refuses_drift_and_leaves_no_output() {
    let registry = Registry::start();
    let (dir, _, _) = setup(&registry);
    dir.ok(&["lock", "-p", "profiles"]);
    // Upstream moves the tag.
    push_image(&registry, "demo/app", "1.0", "app-v2");
    let err = dir.fails(
        1,
        &["build", "-p", "profiles", "--locked", "-o", "site.ferry"],
    );
    assert!(
        err.contains("demo/app:1.0"),
        "the error names the drifted reference: {err}"
    );
    assert!(!dir.path("site.ferry").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");
}

#[test]
fn bad_input_names_file_line_and_reference() {
    let dir = Dir::new();
    dir.write("profiles/bad.yaml", "name: x\nversion: 1.0.0\ntype: infra\nlayers:\n  - name: a\n    kind: addon\n    colour: blue\n    sources: []\n");
    let err = dir.fails(1, &["lock", "-p", "profiles"]);
    assert!(err.contains("bad.yaml:7"), "names file and line: {err}");
    assert!(err.contains("colour"), "names the field: {err}");

    // An unreachable registry names the reference and writes nothing.
    dir.write("profiles/bad.yaml", "name: x\nversion: 1.0.0\ntype: infra\nlayers:\n  - name: a\n    kind: addon\n    sources:\n      - images: [127.0.0.1:9/nowhere/app:1.0]\n");
    let err = dir.fails(1, &["build", "-p", "profiles", "-o", "x.ferry"]);
    assert!(err.contains("127.0.0.1:9/nowhere/app:1.0"), "{err}");
    assert!(!dir.path("x.ferry").exists());
}

/// A blob this build fetched is hashed once, on its way into the cache; a blob found in the
/// cache from an earlier build is hashed again on its way into the bundle, so a cache damaged
/// between builds is caught there and no bundle is written.
#[test]
fn a_cached_blob_damaged_between_builds_is_refused() {
    let registry = Registry::start();
    let (dir, _app, _db) = setup(&registry);
    dir.ok(&["lock", "-p", "profiles"]);
    dir.ok(&["build", "-p", "profiles", "--locked", "-o", "first.ferry"]);

    // Flip one byte of the largest cached blob (a layer), keeping its size.
    let blobs = dir.path(".ferry-cache/blobs/sha256");
    let victim = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&victim).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&victim, &bytes).unwrap();
    let digest = format!("sha256:{}", victim.file_name().unwrap().to_string_lossy());

    let err = dir.fails(
        1,
        &["build", "-p", "profiles", "--locked", "-o", "second.ferry"],
    );
    assert!(
        err.contains("blob source returned bytes with digest"),
        "{err}"
    );
    assert!(
        err.contains(&digest),
        "names the damaged blob {digest}: {err}"
    );
    assert!(
        !dir.path("second.ferry").exists(),
        "no bundle from a damaged cache"
    );
}
