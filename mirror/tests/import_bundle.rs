//! Importing real, signed bundles: what becomes visible, signature trust, idempotence, reuse.

mod import_support;

use ferry_bundler::format::layout::media;
use ferry_bundler::format::{Digest, FormatError};
use ferry_bundler::writer::Compression;
use ferry_mirror::import::{import_bundle, ImportError, ImportOptions};
use ferry_mirror::store::{verify, Store};
use import_support::*;

#[tokio::test]
async fn signed_bundle_is_imported_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let fx = bundle_a(dir.path());
    let store = Store::open(dir.path().join("store")).await.unwrap();

    let report = import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    assert!(!report.already_imported);
    assert_eq!(report.manifest_digest, fx.manifest_digest());
    assert_eq!(report.signed_by.as_deref(), Some(keys().trusted.name()));
    assert_eq!(report.blobs, fx.manifest.blobs.len());
    assert_eq!(report.blobs_written, fx.manifest.blobs.len());
    assert_eq!(report.blobs_reused, 0);
    // index + 2 platform manifests + signature manifest + file manifest
    assert_eq!(report.manifests_recorded, 5);
    assert_eq!(report.tags_set, 3);

    // Every blob and the bundle manifest itself are stored, byte for byte.
    for (digest, bytes) in &fx.content.blobs {
        assert_eq!(
            &std::fs::read(store.blob_path(digest)).unwrap(),
            bytes,
            "{digest}"
        );
    }
    assert_eq!(
        std::fs::read(store.blob_path(&fx.manifest_digest())).unwrap(),
        fx.manifest_bytes
    );
    assert_eq!(blob_files(&store), fx.content.blobs.len() + 1);

    let image = &fx
        .manifest
        .artifacts
        .iter()
        .find(|a| a.repository == "docker.io/library/app")
        .unwrap();
    assert_eq!(
        tag_digest(&store, "docker.io/library/app", "1.0").await,
        Some(image.digest.to_string())
    );
    let sig = &image.attached[0];
    assert_eq!(
        tag_digest(&store, "docker.io/library/app", sig.tag.as_deref().unwrap()).await,
        Some(sig.digest.to_string())
    );
    assert!(tag_digest(&store, "files/talos.iso", "latest")
        .await
        .is_some());

    let (media_type, refs): (String, i64) = sqlx::query_as(
        "SELECT m.media_type, (SELECT COUNT(*) FROM manifest_refs r WHERE r.repository = m.repository AND r.manifest = m.digest AND r.present = 1)
         FROM manifests m WHERE m.digest = ?",
    )
    .bind(image.digest.to_string())
    .fetch_one(store.db())
    .await
    .unwrap();
    assert_eq!(media_type, media::OCI_INDEX);
    assert_eq!(refs, 2, "index refers to both platform manifests");
    let artifact_type: Option<String> = sqlx::query_scalar(
        "SELECT artifact_type FROM manifests WHERE repository = 'files/talos.iso'",
    )
    .fetch_one(store.db())
    .await
    .unwrap();
    assert_eq!(artifact_type.as_deref(), Some(media::FILE_ARTIFACT));

    let outcome: (String, Option<String>) =
        sqlx::query_as("SELECT outcome, manifest_digest FROM imports ORDER BY id DESC LIMIT 1")
            .fetch_one(store.db())
            .await
            .unwrap();
    assert_eq!(
        outcome,
        (
            "imported".to_owned(),
            Some(fx.manifest_digest().to_string())
        )
    );
    assert!(verify(&store).await.unwrap().is_ok());
}

#[tokio::test]
async fn second_import_of_the_same_bundle_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let fx = bundle_a(dir.path());
    let store = Store::open(dir.path().join("store")).await.unwrap();
    import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    let before = visible(&store).await;

    let again = import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    assert!(again.already_imported);
    assert_eq!((again.blobs_written, again.manifests_recorded), (0, 0));
    assert_eq!(visible(&store).await, before);
    let outcomes: Vec<String> = sqlx::query_scalar("SELECT outcome FROM imports ORDER BY id")
        .fetch_all(store.db())
        .await
        .unwrap();
    assert_eq!(outcomes, ["imported", "already-imported"]);
}

/// A file that cannot be opened is not an import attempt: no `imports` row, no audit entry.
#[tokio::test]
async fn a_missing_file_is_refused_before_anything_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).await.unwrap();
    let missing = dir.path().join("nope.ferry");
    let err = import_bundle(&store, &missing, &trusting())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ImportError::Format(FormatError::Open { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("nope.ferry"), "{err}");
    let count = |sql: &'static str| {
        let store = store.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(store.db())
                .await
                .unwrap()
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM imports").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM audit_log").await, 0);
}

#[tokio::test]
async fn blobs_shared_with_an_earlier_bundle_are_not_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (bundle_a(dir.path()), bundle_b(dir.path()));
    let store = Store::open(dir.path().join("store")).await.unwrap();
    import_bundle(&store, &a.path, &trusting()).await.unwrap();

    let report = import_bundle(&store, &b.path, &trusting()).await.unwrap();
    let shared = b
        .content
        .blobs
        .keys()
        .filter(|d| a.content.blobs.contains_key(*d))
        .count();
    assert!(
        shared >= 2,
        "fixtures share the base layer and the empty config"
    );
    assert_eq!(report.blobs_reused, shared);
    assert_eq!(report.blobs_written, b.manifest.blobs.len() - shared);
    assert!(verify(&store).await.unwrap().is_ok());
}

#[tokio::test]
async fn sparse_index_records_omitted_children_as_absent() {
    let dir = tempfile::tempdir().unwrap();
    let fx = bundle_b(dir.path());
    let store = Store::open(dir.path().join("store")).await.unwrap();
    import_bundle(&store, &fx.path, &trusting()).await.unwrap();

    let omitted = &fx.manifest.artifacts[0].omitted_children[0].digest;
    let present: i64 = sqlx::query_scalar("SELECT present FROM manifest_refs WHERE child = ?")
        .bind(omitted.to_string())
        .fetch_one(store.db())
        .await
        .unwrap();
    assert_eq!(present, 0);
    let served: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM manifests WHERE digest = ?")
        .bind(omitted.to_string())
        .fetch_one(store.db())
        .await
        .unwrap();
    assert_eq!(served, 0, "an omitted child is not served");
    assert!(!store.has_blob(omitted).unwrap());
}

#[tokio::test]
async fn uncompressed_bundles_import_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Content::default();
    c.file("notes.txt", b"plain tar".to_vec());
    let fx = write(
        dir.path(),
        "plain.ferry",
        &c,
        Some(keys()),
        Compression::None,
    );
    let store = Store::open(dir.path().join("store")).await.unwrap();
    import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    assert!(tag_digest(&store, "files/notes.txt", "latest")
        .await
        .is_some());
}

#[rstest::rstest]
#[case::unsigned(None, vec![keys().trusted.clone()], "not signed")]
#[case::unknown_key(Some(other_keys()), vec![keys().trusted.clone()], "unknown key")]
#[case::no_trusted_keys(Some(keys()), vec![], "no trusted public key")]
#[tokio::test]
async fn untrusted_bundles_are_refused_before_any_blob(
    #[case] signer: Option<&'static Keys>,
    #[case] trusted: Vec<ferry_bundler::format::TrustedKey>,
    #[case] message: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Content::default();
    c.image("docker.io/library/app", "1.0", 1, 100, &[]);
    let fx = write(dir.path(), "x.ferry", &c, signer, Compression::default());
    let store = Store::open(dir.path().join("store")).await.unwrap();
    let before = visible(&store).await;

    let options = ImportOptions {
        trusted_keys: trusted.clone(),
        ..Default::default()
    };
    let err = import_bundle(&store, &fx.path, &options).await.unwrap_err();
    assert!(
        matches!(err, ImportError::Signature(_) | ImportError::NoTrustedKeys),
        "{err:?}"
    );
    assert!(err.to_string().contains(message), "{err}");
    assert_eq!(visible(&store).await, before);
    assert_eq!(
        blob_files(&store),
        0,
        "a refused head must not write a single blob"
    );
    let (outcome, msg): (String, Option<String>) =
        sqlx::query_as("SELECT outcome, message FROM imports")
            .fetch_one(store.db())
            .await
            .unwrap();
    assert_eq!(outcome, "refused");
    assert!(msg.unwrap().contains(message));

    // The operator may override explicitly.
    let insecure = ImportOptions {
        trusted_keys: trusted,
        insecure_skip_signature: true,
        ..Default::default()
    };
    let report = import_bundle(&store, &fx.path, &insecure).await.unwrap();
    assert_eq!(report.signed_by, None);
    assert!(tag_digest(&store, "docker.io/library/app", "1.0")
        .await
        .is_some());
}

#[tokio::test]
async fn tampered_manifest_fails_the_signature_check() {
    let dir = tempfile::tempdir().unwrap();
    let fx = bundle_a(dir.path());
    // Same signature, different (still valid) manifest bytes.
    let mut manifest = fx.manifest.clone();
    manifest.generator = "someone else".into();
    let mut entries = fx.entries();
    entries[0].1 = manifest.to_vec();
    let bytes = assemble(&entries);
    let path = dir.path().join("tampered.ferry");
    std::fs::write(&path, bytes).unwrap();
    let store = Store::open(dir.path().join("store")).await.unwrap();
    let err = import_bundle(&store, &path, &trusting()).await.unwrap_err();
    assert!(matches!(err, ImportError::Signature(_)), "{err:?}");
    assert_eq!(blob_files(&store), 0);
}

#[tokio::test]
async fn import_refuses_when_the_blobs_do_not_fit() {
    // The free-space check, exercised without root: the manifest declares a blob larger than any
    // test filesystem. The refusal comes from the head alone, before the reader reaches the blob.
    let dir = tempfile::tempdir().unwrap();
    let mut c = Content::default();
    c.file("huge.img", b"small in reality".to_vec());
    let fx = write(dir.path(), "huge.ferry", &c, None, Compression::None);
    let mut manifest = fx.manifest.clone();
    let layer = Digest::of_bytes(b"small in reality");
    let blob = manifest.blobs.iter_mut().find(|b| b.digest == layer);
    blob.unwrap().size = 1 << 60;
    let mut entries = fx.entries();
    entries[0].1 = manifest.to_vec();
    let path = dir.path().join("too-big.ferry");
    std::fs::write(&path, assemble(&entries)).unwrap();

    let store = Store::open(dir.path().join("store")).await.unwrap();
    let options = ImportOptions {
        insecure_skip_signature: true,
        ..Default::default()
    };
    let err = import_bundle(&store, &path, &options).await.unwrap_err();
    let ImportError::InsufficientSpace {
        needed, available, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert!(needed >= 1 << 60 && available < needed);
    assert!(err_text(&store).await.contains("not enough free space"));
    assert_eq!(blob_files(&store), 0);
    assert_eq!(visible(&store).await.bundles, 0);
}

async fn err_text(store: &Store) -> String {
    sqlx::query_scalar("SELECT message FROM imports ORDER BY id DESC LIMIT 1")
        .fetch_one(store.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_damaged_stored_copy_of_the_wrong_size_is_replaced_not_reused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (bundle_a(dir.path()), bundle_b(dir.path()));
    let store = Store::open(dir.path().join("store")).await.unwrap();
    import_bundle(&store, &a.path, &trusting()).await.unwrap();
    let shared = b
        .content
        .blobs
        .keys()
        .find(|d| a.content.blobs.contains_key(*d))
        .unwrap();
    let path = store.blob_path(shared);
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    assert!(!verify(&store).await.unwrap().is_ok());

    let report = import_bundle(&store, &b.path, &trusting()).await.unwrap();
    let shared_count = b
        .content
        .blobs
        .keys()
        .filter(|d| a.content.blobs.contains_key(*d))
        .count();
    assert_eq!(report.blobs_reused, shared_count - 1);
    assert_eq!(std::fs::read(&path).unwrap(), b.content.blobs[shared]);
    assert!(verify(&store).await.unwrap().is_ok());
}

#[rstest::rstest]
#[case::bad_repository("repository", "Docker.io/../etc")]
#[case::bad_tag("tag", "-not a tag")]
#[tokio::test]
async fn names_the_registry_cannot_serve_are_refused(#[case] what: &str, #[case] value: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Content::default();
    c.file("x", b"x".to_vec());
    match what {
        "repository" => c.artifacts[0].repository = value.to_owned(),
        _ => c.artifacts[0].tag = Some(value.to_owned()),
    }
    let fx = write(
        dir.path(),
        "names.ferry",
        &c,
        Some(keys()),
        Compression::None,
    );
    let store = Store::open(dir.path().join("store")).await.unwrap();
    let err = import_bundle(&store, &fx.path, &trusting())
        .await
        .unwrap_err();
    assert!(matches!(err, ImportError::Validation(_)), "{err:?}");
    assert!(err.to_string().contains(value), "{err}");
    assert_eq!(blob_files(&store), 0);
    assert_eq!(visible(&store).await.repositories, 0);
}

#[tokio::test]
async fn delta_bundle_needs_its_base_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let a = bundle_a(dir.path());
    // Bundle B as a delta on A: the blobs A already carried are listed as external.
    let mut c = Content::default();
    c.image("docker.io/library/web", "2.0", 2, 100, &[]);
    let mut delta = c.clone();
    let external: Vec<_> = delta
        .blobs
        .keys()
        .filter(|d| a.content.blobs.contains_key(*d))
        .cloned()
        .collect();
    assert!(!external.is_empty());
    let mut external_refs = Vec::new();
    for d in &external {
        let bytes = delta.blobs.remove(d).unwrap();
        external_refs.push(ferry_bundler::format::BlobRef {
            digest: d.clone(),
            size: bytes.len() as u64,
        });
    }
    let fx = write_delta(dir.path(), &delta, external_refs);

    let store = Store::open(dir.path().join("store")).await.unwrap();
    let err = import_bundle(&store, &fx.path, &trusting())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ImportError::MissingExternalBlob { .. }),
        "{err:?}"
    );
    assert_eq!(
        blob_files(&store),
        0,
        "refused from the head, before any blob"
    );

    import_bundle(&store, &a.path, &trusting()).await.unwrap();
    let report = import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    assert_eq!(report.blobs, delta.blobs.len());
    assert!(tag_digest(&store, "docker.io/library/web", "2.0")
        .await
        .is_some());
    assert!(verify(&store).await.unwrap().is_ok());
}
