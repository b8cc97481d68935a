//! Signing: cosign-format keys, signatures an independent verifier (openssl) accepts, and the
//! verifier's refusals.

mod format_support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use ferry_bundler::format::layout::MANIFEST_ENTRY;
use ferry_bundler::format::{
    verify_bundle, SignatureError, SigstoreBundle, TrustedKey, VerifyError,
};
use ferry_bundler::sign::{keygen, SignError, SigningKey};
use ferry_bundler::writer::Compression;
use format_support::{serialize, Part, Sample};
use rstest::rstest;

const PASSWORD: &[u8] = b"correct horse";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

struct Signed {
    sample: Sample,
    keys: tempfile::TempDir,
    key: SigningKey,
    trusted: TrustedKey,
    signature: Vec<u8>,
}

fn signed() -> Signed {
    let sample = Sample::artifact(&[b"one", b"two"]);
    let keys = tempfile::tempdir().unwrap();
    let files = keygen(keys.path(), PASSWORD).unwrap();
    let key = SigningKey::load(&files.private_key, PASSWORD).unwrap();
    let trusted = TrustedKey::from_file(&files.public_key).unwrap();
    let signature = key.sign_manifest(&sample.manifest.to_vec()).unwrap();
    Signed {
        sample,
        keys,
        key,
        trusted,
        signature,
    }
}

#[test]
fn keygen_writes_cosign_format_files_that_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let files = keygen(dir.path(), PASSWORD).unwrap();
    let private = std::fs::read_to_string(&files.private_key).unwrap();
    assert!(
        private.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"),
        "{private}"
    );
    let public = std::fs::read_to_string(&files.public_key).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"), "{public}");
    let mode = std::fs::metadata(&files.private_key)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let key = SigningKey::load(&files.private_key, PASSWORD).unwrap();
    assert_eq!(key.public_key_pem().trim(), public.trim());
    assert_eq!(
        key.hint(),
        TrustedKey::from_file(&files.public_key).unwrap().hint()
    );
    // openssl reads the public key as a P-256 PKIX key.
    let out = Command::new("openssl")
        .args(["pkey", "-pubin", "-noout", "-text", "-in"])
        .arg(&files.public_key)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("prime256v1"),
        "{text}"
    );
}

#[test]
fn a_wrong_password_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let files = keygen(dir.path(), PASSWORD).unwrap();
    let err = SigningKey::load(&files.private_key, b"wrong")
        .err()
        .expect("wrong password accepted");
    assert!(matches!(err, SignError::WrongPassword { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&files.private_key.display().to_string()),
        "{text}"
    );
    // sigstore calls a failed decryption an "encrypt" error; ours says what went wrong.
    assert!(text.contains("wrong or missing password"), "{text}");
    assert!(!text.contains("encrypt"), "{text}");
}

#[test]
fn keygen_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let files = keygen(dir.path(), b"").unwrap();
    let before = std::fs::read(&files.private_key).unwrap();
    let err = keygen(dir.path(), b"").unwrap_err();
    assert!(
        matches!(err, SignError::KeyExists(ref p) if p.ends_with("ferry.key")),
        "{err}"
    );
    assert_eq!(std::fs::read(&files.private_key).unwrap(), before);
}

#[rstest]
#[case::cosign_generated_empty_password("cosign_generated_encrypted_empty_private.key", b"".as_slice())]
#[case::older_cosign_label("ecdsa_encrypted_private.key", b"123".as_slice())]
fn loads_keys_written_by_cosign(#[case] file: &str, #[case] password: &[u8]) {
    let key = SigningKey::load(&data(file), password).unwrap();
    let sample = Sample::new(&[b"x"]);
    let sig = key.sign_manifest(&sample.manifest.to_vec()).unwrap();
    let trusted = TrustedKey::from_pem("cosign.pub", key.public_key_pem().as_bytes()).unwrap();
    let doc: SigstoreBundle = serde_json::from_slice(&sig).unwrap();
    ferry_bundler::format::verify_signature(&sample.manifest.to_vec(), &doc, &[trusted]).unwrap();
}

#[test]
fn refuses_keys_that_are_not_ecdsa_p256() {
    let err = SigningKey::load(&data("ed25519_encrypted_private.key"), b"123")
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("ed25519_encrypted_private.key"),
        "{err}"
    );
    let bad = TrustedKey::from_pem(
        "k.pub",
        b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    )
    .unwrap_err();
    assert!(bad.to_string().contains("k.pub"), "{bad}");
}

#[test]
fn the_signature_document_has_the_sigstore_v03_shape() {
    let s = signed();
    let doc: serde_json::Value = serde_json::from_slice(&s.signature).unwrap();
    assert_eq!(
        doc["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    assert_eq!(
        doc["verificationMaterial"]["publicKey"]["hint"],
        s.key.hint().as_str()
    );
    assert_eq!(
        doc["verificationMaterial"]["tlogEntries"],
        serde_json::json!([])
    );
    assert_eq!(
        doc["messageSignature"]["messageDigest"]["algorithm"],
        "SHA2_256"
    );
    let sha = base64::engine::general_purpose::STANDARD
        .decode(
            doc["messageSignature"]["messageDigest"]["digest"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    assert_eq!(hex::encode(sha), s.sample.manifest.digest().hex());
}

#[rstest]
#[case::plain(Compression::None)]
#[case::zstd(Compression::default())]
fn openssl_verifies_the_signature_of_an_extracted_bundle(#[case] compression: Compression) {
    let s = signed();
    let (path, _) = s
        .sample
        .write("signed.bundle", Some(&s.signature), compression);
    let out = s.sample.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    assert!(Command::new("tar")
        .arg("-xaf")
        .arg(&path)
        .arg("-C")
        .arg(&out)
        .status()
        .unwrap()
        .success());
    // The auditor's steps from docs/bundle-format.md, with python3 standing in for jq.
    let script = r#"
        set -e
        python3 -c 'import json,base64,sys; d=json.load(open("ferry-bundle.sigstore.json")); sys.stdout.buffer.write(base64.b64decode(d["messageSignature"]["signature"]))' > sig.der
        openssl dgst -sha256 -verify "$1" -signature sig.der ferry-bundle.json
    "#;
    let run = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(s.keys.path().join("ferry.pub"))
        .current_dir(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success() && stdout.contains("Verified OK"),
        "{stdout} {}",
        String::from_utf8_lossy(&run.stderr)
    );
    // And openssl refuses a manifest altered by one byte.
    let manifest = out.join(MANIFEST_ENTRY);
    let mut bytes = std::fs::read(&manifest).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&manifest, bytes).unwrap();
    let run = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(s.keys.path().join("ferry.pub"))
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(!run.status.success());
}

#[rstest]
#[case::plain(Compression::None)]
#[case::zstd(Compression::default())]
fn verify_accepts_a_signed_bundle_and_reports_it(#[case] compression: Compression) {
    let s = signed();
    let (path, _) = s.sample.write("ok.bundle", Some(&s.signature), compression);
    let report = verify_bundle(&path, std::slice::from_ref(&s.trusted), true).unwrap();
    assert_eq!(report.signed_by.as_deref(), Some(s.trusted.name()));
    assert_eq!(report.blobs, 3, "two layers and their manifest");
    assert_eq!(report.manifest_digest, s.sample.manifest.digest());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["blobs"], 3);
    assert_eq!(json["compressed"], compression != Compression::None);
}

#[test]
fn verify_refuses_an_unsigned_bundle_when_a_signature_is_required() {
    let s = signed();
    let (path, _) = s.sample.write("unsigned.bundle", None, Compression::None);
    let err = verify_bundle(&path, std::slice::from_ref(&s.trusted), true).unwrap_err();
    assert!(
        matches!(err, VerifyError::Signature(SignatureError::Unsigned)),
        "{err}"
    );
    let report = verify_bundle(&path, std::slice::from_ref(&s.trusted), false).unwrap();
    assert!(report.signed_by.is_none() && !report.signature_present);
    assert!(matches!(
        verify_bundle(&path, &[], true),
        Err(VerifyError::NoTrustedKeys)
    ));
}

#[test]
fn verify_refuses_an_unknown_key_naming_its_hint() {
    let s = signed();
    let other = signed();
    let (path, _) = s
        .sample
        .write("k.bundle", Some(&s.signature), Compression::None);
    let err = verify_bundle(&path, std::slice::from_ref(&other.trusted), true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown key") && err.contains(&s.key.hint()),
        "{err}"
    );
}

#[test]
fn verify_refuses_a_signature_over_other_bytes() {
    let s = signed();
    let mut other = s.sample.manifest.clone();
    other.generator = "ferry evil".into();
    let foreign = s.key.sign_manifest(&other.to_vec()).unwrap();
    let (path, _) = s
        .sample
        .write("d.bundle", Some(&foreign), Compression::None);
    let err = verify_bundle(&path, std::slice::from_ref(&s.trusted), true).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Signature(SignatureError::DigestMismatch { .. })
        ),
        "{err}"
    );
}

#[test]
fn verify_refuses_a_bad_signature() {
    let s = signed();
    let mut doc: SigstoreBundle = serde_json::from_slice(&s.signature).unwrap();
    // A valid signature by the same key over different bytes, with the digest left right.
    let other = s.key.sign_manifest(b"something else").unwrap();
    let other: SigstoreBundle = serde_json::from_slice(&other).unwrap();
    doc.message_signature.signature = other.message_signature.signature;
    let (path, _) = s.sample.write(
        "b.bundle",
        Some(&serde_json::to_vec(&doc).unwrap()),
        Compression::None,
    );
    let err = verify_bundle(&path, std::slice::from_ref(&s.trusted), true).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Signature(SignatureError::BadSignature { .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("ferry.pub"), "{err}");
}

#[test]
fn verify_refuses_a_manifest_altered_after_signing() {
    let s = signed();
    let mut parts = s.sample.parts(Some(&s.signature));
    let mut altered = s.sample.manifest.clone();
    altered.generator = "ferry 9.9.9".into();
    parts[0] = Part::entry(MANIFEST_ENTRY, &altered.to_vec());
    let path = s.sample.dir.path().join("altered.bundle");
    std::fs::write(&path, serialize(&parts)).unwrap();
    let err = verify_bundle(&path, std::slice::from_ref(&s.trusted), true).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::Signature(SignatureError::DigestMismatch { .. })
        ),
        "{err}"
    );
}

#[test]
fn verify_names_the_bundle_it_cannot_open() {
    let err = verify_bundle(Path::new("/nonexistent/x.bundle"), &[], false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/x.bundle"), "{err}");
}

/// The hand-audit steps of docs/bundle-format.md section 4, run as written.
#[test]
fn the_documented_audit_steps_pass() {
    let s = signed();
    let (path, _) = s
        .sample
        .write("site.bundle", Some(&s.signature), Compression::default());
    assert!(
        path.ends_with("site.bundle"),
        "the script reads ../site.bundle"
    );
    let audit = s.sample.dir.path().join("audit");
    std::fs::create_dir(&audit).unwrap();
    std::fs::copy(s.keys.path().join("ferry.pub"), audit.join("ferry.pub")).unwrap();
    let script = r#"
set -e
tar -xf ../site.bundle
test "$(python3 -c 'import json,base64; print(base64.b64decode(json.load(open("ferry-bundle.sigstore.json"))["messageSignature"]["messageDigest"]["digest"]).hex())')" = "$(sha256sum ferry-bundle.json | cut -d' ' -f1)"
python3 -c 'import json,base64,sys; sys.stdout.buffer.write(base64.b64decode(json.load(open("ferry-bundle.sigstore.json"))["messageSignature"]["signature"]))' > sig.der
openssl dgst -sha256 -verify ferry.pub -signature sig.der ferry-bundle.json
echo "hint $(openssl pkey -pubin -in ferry.pub -outform DER | openssl dgst -sha256 -binary | base64)"
printf '%s' '{"imageLayoutVersion":"1.0.0"}' | cmp - oci-layout
echo "index sha256:$(sha256sum index.json | cut -d' ' -f1) $(wc -c < index.json)"
cd blobs/sha256 && for f in *; do echo "$f  $f"; done | sha256sum -c --quiet && echo "all blobs intact"; cd ../..
python3 - <<'PY'
import json, os
m = json.load(open("ferry-bundle.json"))
want = {b["digest"].split(":")[1]: b["size"] for b in m["blobs"]}
have = {f: os.path.getsize("blobs/sha256/" + f) for f in os.listdir("blobs/sha256")}
assert want == have, (set(want) ^ set(have)) or "size mismatch"
print(len(want), "blobs,", sum(want.values()), "bytes: complete")
PY
"#;
    let run = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(&audit)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("Verified OK"), "{stdout}");
    assert!(
        stdout.contains(&format!("hint {}", s.key.hint())),
        "{stdout}"
    );
    let index = &s.sample.manifest.index;
    assert!(
        stdout.contains(&format!("index {} {}", index.digest, index.size)),
        "{stdout}"
    );
    assert!(
        stdout.contains("all blobs intact") && stdout.contains("3 blobs,"),
        "{stdout}"
    );
}
