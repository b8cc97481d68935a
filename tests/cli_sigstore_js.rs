//! An independent check of the bundle signature with Sigstore's own JS verifier
//! (@sigstore/bundle + @sigstore/verify, offline and key-based: tests/sigstore-js/verify.mjs),
//! standing in for `cosign verify-blob --key K --bundle B --insecure-ignore-tlog`, which needs Go.
//! Needs Node.js and `scripts/setup` (which runs `npm ci` in tests/sigstore-js).

mod harness;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness::{build_uncompressed, file_profile, Dir};

const MANIFEST: &str = "ferry-bundle.json";
const SIGNATURE: &str = "ferry-bundle.sigstore.json";

fn checker_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sigstore-js")
}

/// `node tests/sigstore-js/verify.mjs BLOB BUNDLE PUBKEY`, run in `dir`.
fn js_verify(dir: &Dir, blob: &str, bundle: &str, key: &str) -> Output {
    let checker = checker_dir();
    assert!(
        checker.join("node_modules/@sigstore/verify").is_dir()
            && checker.join("node_modules/@sigstore/bundle").is_dir(),
        "{}/node_modules is missing: run scripts/setup (it runs `npm ci` there)",
        checker.display()
    );
    Command::new("node")
        .arg(checker.join("verify.mjs"))
        .args([blob, bundle, key])
        .current_dir(dir.tmp.path())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run node ({e}): install Node.js >= 20.17 and run scripts/setup")
        })
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A signed, uncompressed bundle of one local file (no registry needed), with its manifest and
/// signature extracted into `x/`; and a second key pair in `other/`.
fn signed_bundle() -> Dir {
    let dir = Dir::new();
    file_profile(&dir, "readme.txt", b"hello enclave\n");
    dir.ok(&["keygen", "--out", "other"]);
    build_uncompressed(&dir, "site.ferry", true);
    std::fs::create_dir(dir.path("x")).expect("mkdir x");
    let out = Command::new("tar")
        .args(["-xf", "site.ferry", "-C", "x", MANIFEST, SIGNATURE])
        .current_dir(dir.tmp.path())
        .output()
        .expect("run tar");
    assert!(out.status.success(), "tar: {}", text(&out));
    dir
}

#[test]
fn sigstore_js_accepts_the_signature_and_refuses_tampering_and_other_keys() {
    let dir = signed_bundle();
    let manifest = format!("x/{MANIFEST}");
    let signature = format!("x/{SIGNATURE}");

    let out = js_verify(&dir, &manifest, &signature, "keys/ferry.pub");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("verified:"),
        "{}",
        text(&out)
    );

    // One byte of the manifest changed: the signature no longer covers it.
    let mut bytes = std::fs::read(dir.path(&manifest)).expect("read manifest");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(dir.path("tampered.json"), &bytes).expect("write tampered manifest");
    let out = js_verify(&dir, "tampered.json", &signature, "keys/ferry.pub");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("SIGNATURE_ERROR"),
        "{}",
        text(&out)
    );

    // Another key: the library's signature check itself fails (the key is used whatever the
    // hint says, as cosign's --key does).
    let out = js_verify(&dir, &manifest, &signature, "other/ferry.pub");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("SIGNATURE_ERROR"),
        "{}",
        text(&out)
    );
}

/// The check is not vacuous: a signature document off the Sigstore schema or conventions is
/// refused even when the signature bytes themselves are good.
#[test]
fn sigstore_js_refuses_documents_off_the_schema() {
    let dir = signed_bundle();
    let manifest = format!("x/{MANIFEST}");
    let original: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path(&format!("x/{SIGNATURE}"))).expect("read signature"),
    )
    .expect("signature is json");

    type Edit = fn(&mut serde_json::Value);
    let cases: [(&str, Edit, &str); 5] = [
        (
            "legacy media type",
            |b| b["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.3".into(),
            "mediaType",
        ),
        (
            "snake_case field",
            |b| {
                let tlog = b["verificationMaterial"]["tlogEntries"].take();
                b["verificationMaterial"]["tlog_entries"] = tlog;
            },
            "tlog_entries",
        ),
        (
            "unknown field",
            |b| b["messageSignature"]["signatureHex"] = "00".into(),
            "signatureHex",
        ),
        (
            "missing message digest",
            |b| {
                b["messageSignature"]
                    .as_object_mut()
                    .map(|m| m.remove("messageDigest"));
            },
            "messageDigest",
        ),
        (
            "hint in hex",
            |b| b["verificationMaterial"]["publicKey"]["hint"] = "c624605".into(),
            "hint",
        ),
    ];
    for (name, edit, named) in cases {
        let mut doc = original.clone();
        edit(&mut doc);
        let file = format!("{}.json", name.replace(' ', "-"));
        std::fs::write(dir.path(&file), serde_json::to_vec(&doc).expect("json")).expect("write");
        let out = js_verify(&dir, &manifest, &file, "keys/ferry.pub");
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(named),
            "{name}: the error names {named}: {}",
            text(&out)
        );
    }
}
