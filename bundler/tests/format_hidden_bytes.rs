//! A bundle carries no byte nobody verified: zstd skippable frames, data after the last frame,
//! frames naming a dictionary, a second archive, and signature documents with fields a key-based
//! message signature does not have are all refused, naming what was found and where.

mod format_support;

use ferry_bundler::format::{verify_bundle, TrustedKey, VerifyError};
use ferry_bundler::sign::{keygen, SigningKey};
use ferry_bundler::writer::Compression;
use ferry_testkit::zstd_frames::{hide, HIDDEN_BYTES_CASES};
use format_support::{file_bytes, serialize, Sample};
use rstest::rstest;
use serde_json::{json, Value};

/// A sample whose zstd bundle has several frames: the gzip-looking blob gets a frame of its own.
fn sample() -> Sample {
    let mut gzip_like = vec![0x1f, 0x8b];
    gzip_like.extend((0..20_000u32).map(|i| (i * 7 % 251) as u8));
    Sample::artifact(&[b"first blob", &gzip_like, b"a third blob, compressible"])
}

#[test]
fn verify_refuses_hidden_bytes_in_a_zstd_bundle() {
    let s = sample();
    let (honest, _) = s.write("honest.ferry", None, Compression::default());
    verify_bundle(&honest, &[], false).expect("the honest bundle verifies");
    for case in HIDDEN_BYTES_CASES {
        let (bytes, expected) = hide(&file_bytes(&honest), case);
        let path = s.dir.path().join("hostile.ferry");
        std::fs::write(&path, bytes).unwrap();
        let err = verify_bundle(&path, &[], false).expect_err(case);
        assert!(err.to_string().contains(&expected), "{case}: {err}");
    }
}

#[rstest]
#[case::garbage(b"hidden".as_slice(), "data after the end of the tar archive at offset")]
#[case::second_archive(b"".as_slice(), "data after the end of the tar archive at offset")]
fn verify_refuses_bytes_after_a_plain_archive(#[case] tail: &[u8], #[case] expected: &str) {
    let s = sample();
    let (honest, _) = s.write("honest.ferry", None, Compression::None);
    let mut bytes = file_bytes(&honest);
    let appended = if tail.is_empty() {
        bytes.clone()
    } else {
        tail.to_vec()
    };
    bytes.extend(appended);
    let path = s.dir.path().join("hostile.ferry");
    std::fs::write(&path, bytes).unwrap();
    let err = verify_bundle(&path, &[], false).expect_err("trailing bytes were accepted");
    assert!(err.to_string().contains(expected), "{err}");
}

struct Signed {
    sample: Sample,
    _keys: tempfile::TempDir,
    trusted: TrustedKey,
    signature: Value,
}

fn signed() -> Signed {
    let sample = sample();
    let keys = tempfile::tempdir().unwrap();
    let files = keygen(keys.path(), b"").unwrap();
    let key = SigningKey::load(&files.private_key, b"").unwrap();
    let trusted = TrustedKey::from_file(&files.public_key).unwrap();
    let signature = key.sign_manifest(&sample.manifest.to_vec()).unwrap();
    Signed {
        sample,
        _keys: keys,
        trusted,
        signature: serde_json::from_slice(&signature).unwrap(),
    }
}

/// Verifies the sample with `signature` as its signature document (written past the writer,
/// which would refuse it too).
fn verify_with(s: &Signed, signature: &Value) -> Result<(), VerifyError> {
    let doc = serde_json::to_vec(signature).unwrap();
    let bytes = serialize(&s.sample.parts(Some(&doc)));
    let path = s.sample.dir.path().join("signed.ferry");
    std::fs::write(&path, bytes).unwrap();
    verify_bundle(&path, std::slice::from_ref(&s.trusted), true).map(|_| ())
}

#[rstest]
#[case::as_written(&[])]
#[case::tlog_entries_absent(&[("/verificationMaterial/tlogEntries", None)])]
#[case::empty_timestamps(&[("/verificationMaterial/timestampVerificationData", Some(json!({})))])]
#[case::empty_rfc3161(&[("/verificationMaterial/timestampVerificationData", Some(json!({"rfc3161Timestamps": []})))])]
fn key_based_signatures_as_ferry_and_cosign_write_them_verify(
    #[case] edits: &[(&str, Option<Value>)],
) {
    let s = signed();
    let doc = edited(&s.signature, edits);
    verify_with(&s, &doc).unwrap();
}

#[rstest]
#[case::garbage_tlog_entry(
    &[("/verificationMaterial/tlogEntries", Some(json!([{"logIndex": "1", "payload": "hidden"}])))],
    "verificationMaterial.tlogEntries: must be empty"
)]
#[case::tlog_entry_of_any_kind(
    &[("/verificationMaterial/tlogEntries", Some(json!(["x"])))],
    "verificationMaterial.tlogEntries: must be empty"
)]
#[case::tlog_entries_not_a_list(
    &[("/verificationMaterial/tlogEntries", Some(json!({"a": 1})))],
    "verificationMaterial.tlogEntries"
)]
#[case::rfc3161_timestamp(
    &[("/verificationMaterial/timestampVerificationData", Some(json!({"rfc3161Timestamps": [{"signedTimestamp": "AAAA"}]})))],
    "verificationMaterial.timestampVerificationData.rfc3161Timestamps: must be empty"
)]
#[case::timestamps_extra_field(
    &[("/verificationMaterial/timestampVerificationData", Some(json!({"hidden": 1})))],
    "at verificationMaterial.timestampVerificationData.hidden: unknown field `hidden`"
)]
#[case::certificate(
    &[("/verificationMaterial/certificate", Some(json!({"rawBytes": "AAAA"})))],
    "at verificationMaterial.certificate: unknown field `certificate`"
)]
#[case::extra_top_level_field(
    &[("/dsseEnvelope", Some(json!({})))],
    "at dsseEnvelope: unknown field `dsseEnvelope`"
)]
#[case::extra_digest_field(
    &[("/messageSignature/messageDigest/extra", Some(json!("x")))],
    "at messageSignature.messageDigest.extra: unknown field `extra`"
)]
#[case::media_type_v01(
    &[("/mediaType", Some(json!("application/vnd.dev.sigstore.bundle+json;version=0.1")))],
    "at mediaType: \"application/vnd.dev.sigstore.bundle+json;version=0.1\" is not"
)]
#[case::algorithm(
    &[("/messageSignature/messageDigest/algorithm", Some(json!("SHA2_512")))],
    "messageSignature.messageDigest.algorithm: \"SHA2_512\" is not \"SHA2_256\""
)]
#[case::digest_not_sha256(
    &[("/messageSignature/messageDigest/digest", Some(json!("AAAA")))],
    "messageSignature.messageDigest.digest: is 3 bytes"
)]
#[case::hint_not_base64(
    &[("/verificationMaterial/publicKey/hint", Some(json!("not base64!")))],
    "verificationMaterial.publicKey.hint: is not standard base64"
)]
#[case::signature_not_der(
    &[("/messageSignature/signature", Some(json!("aGlkZGVuIGJ5dGVzIGhlcmU=")))],
    "messageSignature.signature: is not an ASN.1 DER"
)]
#[case::missing_message_signature(
    &[("/messageSignature", None)],
    "at the top level: missing field `messageSignature`"
)]
fn signature_documents_with_other_fields_are_refused(
    #[case] edits: &[(&str, Option<Value>)],
    #[case] expected: &str,
) {
    let s = signed();
    let doc = edited(&s.signature, edits);
    let err = verify_with(&s, &doc).expect_err("a signature with unverified fields verified");
    let text = err.to_string();
    assert!(
        text.contains("ferry-bundle.sigstore.json") && text.contains(expected),
        "{text}"
    );
}

/// `doc` with each JSON pointer set to a value, or removed.
fn edited(doc: &Value, edits: &[(&str, Option<Value>)]) -> Value {
    let mut doc = doc.clone();
    for (pointer, value) in edits {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = doc.pointer_mut(parent).unwrap().as_object_mut().unwrap();
        match value {
            Some(v) => parent.insert(key.to_owned(), v.clone()),
            None => parent.remove(key),
        };
    }
    doc
}
