//! Store administration against real imported bundles: list, verify, retire, gc.

mod import_support;

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;

use ferry_bundler::format::layout::media;
use ferry_bundler::format::Digest;
use ferry_bundler::writer::Compression;
use ferry_mirror::import::import_bundle;
use ferry_mirror::store::{
    gc, gc_with, list, list_bundles, retire_bundle, verify, GcOptions, Store, StoreError,
};
use import_support::*;

fn now() -> GcOptions {
    GcOptions {
        grace: Duration::ZERO,
        dry_run: false,
    }
}

async fn imported(dir: &std::path::Path) -> (Store, Fixture, Fixture) {
    let (a, b) = (bundle_a(dir), bundle_b(dir));
    let store = Store::open(dir.join("store")).await.unwrap();
    import_bundle(&store, &a.path, &trusting()).await.unwrap();
    import_bundle(&store, &b.path, &trusting()).await.unwrap();
    (store, a, b)
}

#[tokio::test]
async fn verify_reports_flipped_bytes_missing_blobs_and_stray_files() {
    let dir = tempfile::tempdir().unwrap();
    let (store, a, _) = imported(dir.path()).await;
    assert!(verify(&store).await.unwrap().is_ok());

    let mut blobs = a.manifest.blobs.iter().map(|b| b.digest.clone());
    let (flipped, removed) = (blobs.next().unwrap(), blobs.next().unwrap());
    let path = store.blob_path(&flipped);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] ^= 0x80;
    std::fs::write(&path, &bytes).unwrap();
    std::fs::remove_file(store.blob_path(&removed)).unwrap();
    let stray = store.root().join("blobs/sha256/ab/not-a-digest");
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(&stray, b"?").unwrap();

    let report = verify(&store).await.unwrap();
    assert!(!report.is_ok());
    assert_eq!(report.corrupted.len(), 1);
    assert_eq!(report.corrupted[0].digest, flipped);
    assert_eq!(report.corrupted[0].actual, Digest::of_bytes(&bytes));
    assert_eq!(
        report.missing.iter().map(|m| &m.digest).collect::<Vec<_>>(),
        [&removed]
    );
    assert!(
        report.missing[0].referenced_by.contains('@')
            || report.missing[0].referenced_by.starts_with("bundle")
    );
    assert_eq!(report.stray_files, [stray]);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["corrupted"][0]["digest"], flipped.to_string());
}

#[tokio::test]
async fn list_shows_repositories_tags_sizes_and_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let (store, a, b) = imported(dir.path()).await;
    let repos = list(&store).await.unwrap();
    let names: Vec<_> = repos.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "docker.io/library/app",
            "docker.io/library/web",
            "files/talos.iso"
        ]
    );

    let web = &repos[1];
    let web_artifact = &b.manifest.artifacts[0];
    assert_eq!(web.bundles, [b.manifest_digest()]);
    let tags: BTreeSet<_> = web.tags.iter().map(|t| t.tag.clone()).collect();
    assert!(
        tags.contains("2.0") && tags.contains(&format!("sha256-{}.sig", web_artifact.digest.hex()))
    );
    // index, the one carried platform manifest, the signature manifest
    assert_eq!(web.manifests.len(), 3);
    let index = web
        .manifests
        .iter()
        .find(|m| m.digest == web_artifact.digest)
        .unwrap();
    assert_eq!(
        (index.media_type.as_str(), index.size),
        (media::OCI_INDEX, web_artifact.size)
    );
    let carried: u64 = b.content.blobs.values().map(|v| v.len() as u64).sum();
    assert_eq!(
        web.stored_bytes, carried,
        "every blob of bundle B belongs to this repository"
    );

    let app = &repos[0];
    assert_eq!(app.bundles, [a.manifest_digest()]);
    let bundles = list_bundles(&store).await.unwrap();
    assert_eq!(bundles.len(), 2);
    assert!(bundles
        .iter()
        .all(|b| b.retired_at.is_none() && b.signer.is_some()));
    assert_eq!(bundles.iter().map(|b| b.artifacts).sum::<u64>(), 3);
}

#[tokio::test]
async fn gc_after_retiring_removes_exactly_what_only_the_retired_bundle_had() {
    let dir = tempfile::tempdir().unwrap();
    let (store, a, b) = imported(dir.path()).await;
    let before = gc_with(&store, &now()).await.unwrap();
    assert!(
        before.blobs_removed.is_empty() && before.manifests_removed.is_empty(),
        "{before:?}"
    );

    let retired = retire_bundle(&store, &a.manifest_digest()).await.unwrap();
    assert!(!retired.already_retired);
    assert_eq!(retired.tags_removed.len(), 3, "{retired:?}");
    assert!(tag_digest(&store, "docker.io/library/app", "1.0")
        .await
        .is_none());
    assert!(tag_digest(&store, "docker.io/library/web", "2.0")
        .await
        .is_some());

    // A dry run reports without removing.
    let dry = gc_with(
        &store,
        &GcOptions {
            grace: Duration::ZERO,
            dry_run: true,
        },
    )
    .await
    .unwrap();
    assert!(a.content.blobs.keys().all(|d| store.has_blob(d).unwrap()));

    let report = gc_with(&store, &now()).await.unwrap();
    assert_eq!(report.blobs_removed, dry.blobs_removed);
    let mut expected: BTreeSet<Digest> = a
        .content
        .blobs
        .keys()
        .filter(|d| !b.content.blobs.contains_key(*d))
        .cloned()
        .collect();
    expected.insert(a.manifest_digest());
    let removed: BTreeSet<Digest> = report.blobs_removed.iter().cloned().collect();
    assert_eq!(removed, expected);
    assert_eq!(
        report.manifests_removed.len(),
        5,
        "{:?}",
        report.manifests_removed
    );
    for d in b.content.blobs.keys() {
        assert!(
            store.has_blob(d).unwrap(),
            "shared or B-only blob {d} was removed"
        );
    }
    let check = verify(&store).await.unwrap();
    assert!(check.is_ok(), "{check:?}");
    assert_eq!(
        visible(&store).await.manifests,
        3,
        "only bundle B's manifests are still served"
    );

    let again = gc_with(&store, &now()).await.unwrap();
    assert!(again.blobs_removed.is_empty() && again.manifests_removed.is_empty());
}

#[tokio::test]
async fn default_gc_spares_young_unreferenced_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let (store, a, _) = imported(dir.path()).await;
    retire_bundle(&store, &a.manifest_digest()).await.unwrap();
    let report = gc(&store).await.unwrap();
    assert!(report.blobs_removed.is_empty());
    assert!(report.blobs_spared_young > 0);
    assert_eq!(
        report.manifests_removed.len(),
        5,
        "rows go at once; only files wait for the grace period"
    );
}

#[tokio::test]
async fn retiring_the_newer_bundle_hands_its_tag_back_to_the_older_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut c1 = Content::default();
    let old = c1.image("docker.io/library/app", "1.0", 1, 100, &[]);
    let mut c2 = Content::default();
    let new = c2.image("docker.io/library/app", "1.0", 3, 300, &[]);
    let f1 = write(
        dir.path(),
        "old.ferry",
        &c1,
        Some(keys()),
        Compression::None,
    );
    let f2 = write(
        dir.path(),
        "new.ferry",
        &c2,
        Some(keys()),
        Compression::None,
    );
    let store = Store::open(dir.path().join("store")).await.unwrap();
    import_bundle(&store, &f1.path, &trusting()).await.unwrap();
    import_bundle(&store, &f2.path, &trusting()).await.unwrap();
    assert_eq!(
        tag_digest(&store, "docker.io/library/app", "1.0").await,
        Some(new.index.to_string())
    );

    let retired = retire_bundle(&store, &f2.manifest_digest()).await.unwrap();
    assert_eq!(retired.tags_restored, ["docker.io/library/app:1.0"]);
    assert_eq!(
        tag_digest(&store, "docker.io/library/app", "1.0").await,
        Some(old.index.to_string())
    );
    gc_with(&store, &now()).await.unwrap();
    assert!(f1.content.blobs.keys().all(|d| store.has_blob(d).unwrap()));
    assert!(!store.has_blob(&new.index).unwrap());
    assert!(verify(&store).await.unwrap().is_ok());

    let twice = retire_bundle(&store, &f2.manifest_digest()).await.unwrap();
    assert!(twice.already_retired);
    let unknown = retire_bundle(&store, &Digest::of_bytes(b"no such bundle"))
        .await
        .unwrap_err();
    assert!(matches!(unknown, StoreError::UnknownBundle(_)), "{unknown}");
}

fn put_blob(store: &Store, bytes: &[u8]) -> Digest {
    let d = Digest::of_bytes(bytes);
    let mut w = store.blob_writer().unwrap();
    w.write_all(bytes).unwrap();
    w.commit(&d, Some(bytes.len() as u64)).unwrap();
    d
}

#[tokio::test]
async fn gc_keeps_pushed_content_reachable_from_tags_and_their_referrers() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    let (config, layer) = (put_blob(&store, b"{}"), put_blob(&store, b"layer bytes"));
    let manifest = put_blob(&store, b"pushed manifest");
    let orphan_layer = put_blob(&store, b"orphan layer");
    let orphan = put_blob(&store, b"untagged manifest");
    let referrer = put_blob(&store, b"signature of the pushed manifest");
    let mt = media::OCI_MANIFEST;
    store
        .put_manifest(
            "r",
            &manifest,
            mt,
            15,
            None,
            None,
            &[(config.clone(), true), (layer.clone(), true)],
        )
        .await
        .unwrap();
    store.set_tag("r", "v1", &manifest).await.unwrap();
    store
        .put_manifest(
            "r",
            &orphan,
            mt,
            17,
            None,
            None,
            &[(orphan_layer.clone(), true)],
        )
        .await
        .unwrap();
    store
        .put_manifest(
            "r",
            &referrer,
            mt,
            32,
            Some("application/x.sig"),
            Some(&manifest),
            &[(config.clone(), true)],
        )
        .await
        .unwrap();

    let report = gc_with(&store, &now()).await.unwrap();
    let removed: BTreeSet<_> = report.blobs_removed.into_iter().collect();
    assert_eq!(removed, BTreeSet::from([orphan, orphan_layer]));
    assert_eq!(report.manifests_removed.len(), 1);
    for d in [config, layer, manifest, referrer] {
        assert!(store.has_blob(&d).unwrap());
    }
}
