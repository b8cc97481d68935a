//! `ferry verify` is as strict as `ferry import`: one validation of the bundle manifest
//! (`format::validate`) runs in both, so a correctly signed bundle that names what the registry
//! cannot serve, or that does not carry what its manifests reference, is refused by both with
//! the same message, and `verify` exits 3 (`copy` too, for what the manifest alone shows).
//! Also: key paths come out absolute.

mod harness;
#[path = "../mirror/tests/import_support/mod.rs"]
mod import_support;

use ferry_bundler::format::layout::media;
use ferry_bundler::writer::Compression;
use harness::Dir;
use import_support::{keys, write, Content};
use rstest::rstest;
use serde_json::Value;

/// A sparse two-platform image with a signature, and a file: what a real build carries.
fn content() -> Content {
    let mut c = Content::default();
    c.image("docker.io/library/app", "1.0", 1, 100, &["linux/arm64"]);
    c.file("talos.iso", b"a small file".to_vec());
    c
}

/// The image artifact (the file is `files/…`, sorted after it by kind).
fn image(c: &mut Content) -> &mut ferry_bundler::format::Artifact {
    c.artifacts
        .iter_mut()
        .find(|a| a.repository == "docker.io/library/app")
        .unwrap()
}

/// Signs `c` (as the writer would write it) into `DIR/NAME.ferry`; returns the file name.
fn signed(dir: &Dir, name: &str, c: &Content) -> String {
    let file = format!("{name}.ferry");
    write(dir.tmp.path(), &file, c, Some(keys()), Compression::None);
    file
}

fn public_key() -> String {
    keys().public_key.display().to_string()
}

/// The message of a refusal: stderr after the command's own context.
fn message<'a>(stderr: &'a str, after: &str) -> &'a str {
    let at = stderr
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} not in {stderr}"));
    stderr[at + after.len()..].trim_end()
}

fn spoil(c: &mut Content, case: &str) {
    match case {
        "traversal" => image(c).repository = "../../etc/passwd".into(),
        "upper-case" => image(c).repository = "docker.io/Library/app".into(),
        "300-characters" => image(c).repository = format!("docker.io/{}", "a".repeat(290)),
        "tag-with-slash" => image(c).tag = Some("1.0/../../evil".into()),
        "200-character-tag" => image(c).tag = Some("t".repeat(200)),
        "media-type-mismatch" => image(c).media_type = media::OCI_MANIFEST.into(),
        "size-mismatch" => image(c).size += 1,
        "missing-layer" => {
            let layer = c
                .blobs
                .iter()
                .find(|(_, b)| b.starts_with(&[0x1f, 0x8b]))
                .map(|(d, _)| d.clone())
                .unwrap();
            c.blobs.remove(&layer);
        }
        other => panic!("unknown case {other}"),
    }
}

#[rstest]
#[case::traversal(
    "traversal",
    "artifact docker.io/library/app:1.0: repository \"../../etc/passwd\" is not a valid repository name"
)]
#[case::upper_case(
    "upper-case",
    "repository \"docker.io/Library/app\" is not a valid repository name"
)]
#[case::name_of_300_characters("300-characters", "is not a valid repository name")]
#[case::tag_with_slash(
    "tag-with-slash",
    "artifact docker.io/library/app:1.0: tag \"1.0/../../evil\" is not a valid tag"
)]
#[case::tag_of_200_characters("200-character-tag", "is not a valid tag")]
#[case::media_type_mismatch(
    "media-type-mismatch",
    "but artifact docker.io/library/app:1.0 references it as \"application/vnd.oci.image.manifest.v1+json\""
)]
#[case::size_mismatch("size-mismatch", "artifact docker.io/library/app:1.0 says sha256:")]
#[case::missing_layer(
    "missing-layer",
    "which the bundle neither carries nor lists as external"
)]
fn verify_and_import_refuse_alike(#[case] case: &str, #[case] expected: &str) {
    let dir = Dir::new();
    let mut c = content();
    spoil(&mut c, case);
    let bundle = signed(&dir, case, &c);
    let key = public_key();

    let verify = dir.fails(3, &["verify", &bundle, "--key", &key]);
    let verify = message(&verify, "does not verify: ");
    assert!(verify.contains(expected), "verify: {verify}");

    let import = dir.fails(
        3,
        &["import", &bundle, "--data", "store", "--trust-key", &key],
    );
    let import = message(&import, &format!("cannot import {bundle}: "));
    assert_eq!(verify, import, "verify and import must refuse alike");

    // `copy` checks the manifest alone the same way before it contacts the target (and follows
    // the documents itself, as it plans the pushes).
    if !matches!(case, "media-type-mismatch" | "missing-layer") {
        let target = format!("docker://{}/mirror", harness::free_addr());
        let copy = dir.fails(3, &["copy", &bundle, &target, "--key", &key]);
        let copy = message(&copy, &format!("cannot copy {bundle} to {target}: "));
        assert_eq!(verify, copy, "verify and copy must refuse alike");
    }

    let listed = dir.ok(&["store", "list", "--data", "store", "--output", "json"]);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["repositories"], Value::Array(vec![]), "{listed}");
}

#[test]
fn the_unspoiled_bundle_passes_both() {
    let dir = Dir::new();
    let bundle = signed(&dir, "good", &content());
    let key = public_key();
    dir.ok(&["verify", &bundle, "--key", &key]);
    dir.ok(&["import", &bundle, "--data", "store", "--trust-key", &key]);
}

#[test]
fn key_paths_are_reported_and_audited_absolute() {
    let dir = Dir::new();
    let bundle = signed(&dir, "good", &content());
    std::fs::create_dir_all(dir.path("keys")).unwrap();
    std::fs::copy(&keys().public_key, dir.path("keys/ferry.pub")).unwrap();
    let absolute = std::fs::canonicalize(dir.path("keys/ferry.pub")).unwrap();
    let absolute = Value::String(absolute.display().to_string());
    let json = |args: &[&str]| -> Value { serde_json::from_str(&dir.ok(args)).unwrap() };

    let verified = json(&[
        "verify",
        &bundle,
        "--key",
        "./keys/../keys/ferry.pub",
        "--output",
        "json",
    ]);
    assert_eq!(verified["signedBy"], absolute, "{verified}");

    let imported = json(&[
        "import",
        &bundle,
        "--data",
        "store",
        "--trust-key",
        "keys/ferry.pub",
        "--output",
        "json",
    ]);
    assert_eq!(imported["signedBy"], absolute, "{imported}");

    let audit = json(&["audit", "show", "--data", "store", "--output", "json"]);
    let entry = &audit["entries"][0];
    assert_eq!(entry["action"], "import.ok", "{audit}");
    assert_eq!(entry["detail"]["signedBy"], absolute, "{audit}");
    let bundles = json(&["store", "bundles", "--data", "store", "--output", "json"]);
    assert_eq!(bundles["bundles"][0]["signer"], absolute, "{bundles}");
}
