//! Repairing a damaged store from the bundle that carried the content: a re-import restores
//! the blobs the store lost, `rehash_stored` (`ferry import --repair`) also replaces blobs whose
//! bytes were damaged in place, and neither touches what is visible (tags, manifests, bundles).

mod import_support;

use ferry_mirror::import::{import_bundle, ImportOptions};
use ferry_mirror::store::{verify, Store};
use import_support::*;

fn repairing() -> ImportOptions {
    ImportOptions {
        rehash_stored: true,
        ..trusting()
    }
}

#[tokio::test]
async fn a_reimport_restores_a_deleted_blob_and_keeps_every_tag() {
    let dir = tempfile::tempdir().unwrap();
    let fx = bundle_a(dir.path());
    let store = Store::open(dir.path().join("store")).await.unwrap();
    import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    let before = visible(&store).await;

    let (lost, bytes) = fx.content.blobs.iter().next().unwrap();
    std::fs::remove_file(store.blob_path(lost)).unwrap();
    let report = verify(&store).await.unwrap();
    assert_eq!(report.missing.len(), 1, "{report:?}");
    assert_eq!(&report.missing[0].digest, lost);

    let again = import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    assert!(again.already_imported);
    assert_eq!(again.blobs_repaired, 1);
    assert_eq!(again.tags_set, 0, "a repair sets no tags");
    assert_eq!(&std::fs::read(store.blob_path(lost)).unwrap(), bytes);
    assert!(verify(&store).await.unwrap().is_ok());
    assert_eq!(visible(&store).await, before);

    // Nothing left to repair: a no-op again.
    let noop = import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    assert_eq!(noop.blobs_repaired, 0);
    assert_eq!(noop.blobs_written, 0);

    // The log says what happened, once each: imported, repaired, nothing to do.
    let actions: Vec<String> = ferry_mirror::audit::list(store.db(), None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["import.ok", "import.repaired", "import.noop"]);
}

#[tokio::test]
async fn a_repair_replaces_a_blob_damaged_in_place_and_the_signed_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let fx = bundle_a(dir.path());
    let store = Store::open(dir.path().join("store")).await.unwrap();
    import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    let before = visible(&store).await;

    // One byte flipped (same size, so only a re-hash can tell), and the kept signed manifest lost.
    let (damaged, bytes) = fx.content.blobs.iter().last().unwrap();
    let mut flipped = bytes.clone();
    flipped[0] ^= 0xff;
    std::fs::write(store.blob_path(damaged), &flipped).unwrap();
    std::fs::remove_file(store.blob_path(&fx.manifest_digest())).unwrap();
    let report = verify(&store).await.unwrap();
    assert_eq!(report.corrupted.len(), 1, "{report:?}");

    // A plain re-import restores what is missing; the size check cannot see the flipped byte.
    let plain = import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    assert_eq!(plain.blobs_repaired, 1, "the signed manifest");
    assert_eq!(
        std::fs::read(store.blob_path(&fx.manifest_digest())).unwrap(),
        fx.manifest_bytes
    );
    assert_eq!(verify(&store).await.unwrap().corrupted.len(), 1);

    let repaired = import_bundle(&store, &fx.path, &repairing()).await.unwrap();
    assert_eq!(repaired.blobs_repaired, 1);
    assert_eq!(&std::fs::read(store.blob_path(damaged)).unwrap(), bytes);
    assert!(verify(&store).await.unwrap().is_ok());
    assert_eq!(visible(&store).await, before);
}

#[tokio::test]
async fn a_repair_from_a_tampered_bundle_is_refused_and_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let fx = bundle_a(dir.path());
    let store = Store::open(dir.path().join("store")).await.unwrap();
    import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    let (lost, _) = fx.content.blobs.iter().next().unwrap();
    std::fs::remove_file(store.blob_path(lost)).unwrap();

    // The same bundle with the lost blob's bytes changed in the archive: the reader refuses it.
    let mut entries = fx.entries();
    let entry = entries
        .iter_mut()
        .find(|(name, _)| name.ends_with(lost.hex()))
        .expect("the lost blob is in the archive");
    entry.1[0] ^= 0xff;
    let tampered = dir.path().join("tampered.ferry");
    std::fs::write(&tampered, assemble(&entries)).unwrap();
    assert!(import_bundle(&store, &tampered, &trusting()).await.is_err());
    assert!(
        !store.blob_path(lost).exists(),
        "nothing unverified is published"
    );
}
