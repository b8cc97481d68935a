//! A Spectro pack pulled from a registry, end to end through the real binary: lock, build and
//! inspect show the pack with its upstream manifest digest and the images found inside it.

mod harness;

use std::path::Path;

use ferry_bundler::format::layout::media;
use ferry_testkit::{OciLayout, Registry};
use harness::{push_image, Dir};

/// Pushes testdata/packs/hello-pack as a pack artifact to `repo:tag`; returns its digest.
fn push_hello_pack(registry: &Registry, repo: &str, tag: &str) -> String {
    let work = tempfile::tempdir().unwrap();
    let tgz = work.path().join("hello.tar.gz");
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/packs/hello-pack");
    ferry_bundler::pipeline::package_dir(&pack, "hello", &tgz).unwrap();
    let mut layout = OciLayout::new();
    let config = layout.put_bytes(media::OCI_EMPTY, b"{}");
    let layer = layout.put_bytes(
        "application/vnd.oci.image.layer.v1.tar+gzip",
        &std::fs::read(&tgz).unwrap(),
    );
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": config.to_json(),
        "layers": [layer.to_json()],
        "annotations": { "org.opencontainers.image.title": "hello" },
    });
    let manifest = layout.put_bytes(media::OCI_MANIFEST, &serde_json::to_vec(&manifest).unwrap());
    registry.push_desc(&mut layout, &manifest, repo, tag);
    manifest.digest
}

/// The images hello-pack names, served from the test registry (see [`mirrored`]).
fn push_pack_images(registry: &Registry) {
    for (repo, tag) in [
        ("docker.io/library/nginx", "1.27.0"),
        ("docker.io/library/busybox", "1.36"),
        ("docker.io/library/alpine", "3.20"),
        ("registry.example/tools/cleanup", "0.3.1"),
    ] {
        push_image(registry, repo, tag, repo);
    }
}

/// `ferry ARGS` with docker.io and registry.example routed to the test registry.
fn mirrored(dir: &Dir, host: &str, args: &[&str]) -> std::process::Output {
    let docker = format!("docker.io={host}/docker.io");
    let example = format!("registry.example={host}/registry.example");
    let mut all = args.to_vec();
    all.extend(["--upstream-mirror", &docker, "--upstream-mirror", &example]);
    let out = dir.ferry(&all);
    assert!(
        out.status.success(),
        "ferry {all:?} failed\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn oci_pack_is_locked_built_and_explained() {
    let registry = Registry::start();
    let host = registry.host();
    let digest = push_hello_pack(&registry, "spectro-packs/archive/hello", "0.1.0");
    push_pack_images(&registry);
    let dir = Dir::new();
    dir.write(
        "profiles/edge.yaml",
        &format!(
            "name: edge\nversion: 1.0.0\ntype: add-on\nplatforms: [linux/amd64]\nlayers:\n  - name: hello\n    kind: addon\n    sources:\n      - pack: {{ oci: \"oci://{host}/spectro-packs/archive/hello\", version: \"0.1.0\" }}\n"
        ),
    );
    let run = |args: &[&str]| mirrored(&dir, &host, args);
    run(&["lock", "-p", "profiles"]);
    let lock = std::fs::read_to_string(dir.path("ferry.lock")).unwrap();
    assert!(
        lock.contains(&digest),
        "lock pins the upstream pack manifest:\n{lock}"
    );
    run(&["build", "-p", "profiles", "--locked", "-o", "edge.ferry"]);

    let json: serde_json::Value =
        serde_json::from_str(&dir.ok(&["inspect", "edge.ferry", "--output", "json"])).unwrap();
    let artifacts = json["manifest"]["artifacts"].as_array().unwrap();
    let pack = artifacts
        .iter()
        .find(|a| a["kind"] == "pack")
        .expect("pack artifact");
    assert_eq!(pack["digest"], digest.as_str());
    assert_eq!(
        pack["reference"],
        format!("oci://{host}/spectro-packs/archive/hello:0.1.0")
    );
    assert_eq!(pack["repository"], "spectro-packs/archive/hello");
    assert_eq!(pack["tag"], "0.1.0");
    // Listed in the pack's values or manifests, or rendered from the chart it ships.
    for (want, origin) in [
        ("docker.io/library/nginx:1.27.0", "pack hello 0.1.0"),
        ("docker.io/library/busybox:1.36", "pack hello 0.1.0"),
        ("registry.example/tools/cleanup:0.3.1", "pack hello 0.1.0"),
        (
            "docker.io/library/alpine:3.20",
            "rendered chart hello 0.1.0",
        ),
    ] {
        let image = artifacts
            .iter()
            .find(|a| a["reference"] == want)
            .unwrap_or_else(|| panic!("{want} in the bundle"));
        let origins: Vec<&str> = image["provenance"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["origin"].as_str())
            .collect();
        assert!(
            origins.iter().any(|o| o.contains(origin)),
            "{want} comes from the pack: {origins:?}"
        );
        assert!(image["provenance"][0]["layer"] == "hello", "{image}");
    }
    let why = dir.ok(&["inspect", "edge.ferry", "--why", "busybox"]);
    assert!(why.contains("pack hello 0.1.0"), "{why}");
}

#[test]
fn oci_pack_whose_pack_json_disagrees_is_carried_with_a_warning() {
    let registry = Registry::start();
    let host = registry.host();
    // The same pack under another name: the profile's name and version win, with a warning.
    push_hello_pack(&registry, "spectro-packs/archive/greeting", "2.0.0");
    let dir = Dir::new();
    dir.write(
        "profiles/edge.yaml",
        &format!(
            "name: edge\nversion: 1.0.0\ntype: add-on\nlayers:\n  - name: hello\n    kind: addon\n    sources:\n      - pack: {{ oci: \"oci://{host}/spectro-packs/archive/greeting\", version: \"2.0.0\" }}\n"
        ),
    );
    push_pack_images(&registry);
    let out = mirrored(&dir, &host, &["lock", "-p", "profiles"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("name is \"hello\", the profile says \"greeting\""),
        "{stderr}"
    );
}
