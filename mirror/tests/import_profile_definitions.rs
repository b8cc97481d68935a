//! Profile definitions in real signed bundles: imported like every blob, read back by
//! `Store::profile_definitions`, kept by gc while their bundle is active; a definition the
//! bundle does not carry (or carries at another size) is refused by verify and import alike.

mod import_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_bundler::format::layout::{
    blob_entry, INDEX_ENTRY, MANIFEST_ENTRY, OCI_LAYOUT_CONTENT, OCI_LAYOUT_ENTRY, SIGNATURE_ENTRY,
};
use ferry_bundler::format::profile_definition::{
    LayerDefinition, ManifestFile, ManifestsUnit, PinnedImage, ProfileDefinition, Unit,
};
use ferry_bundler::format::{verify_bundle, BlobRef, Digest, ProfileEntry};
use ferry_mirror::import::import_bundle;
use ferry_mirror::store::{gc_with, GcOptions, Store};
use import_support::*;
use rstest::rstest;

fn definition(fx: &Fixture) -> ProfileDefinition {
    let app = fx
        .manifest
        .artifacts
        .iter()
        .find(|a| a.repository == "docker.io/library/app")
        .unwrap();
    ProfileDefinition {
        schema_version: 1,
        name: "edge".into(),
        version: "1.0.0".into(),
        profile_type: "infra".into(),
        variables: vec![],
        layers: vec![LayerDefinition {
            name: "addon".into(),
            kind: "addon".into(),
            units: vec![Unit::Manifests(ManifestsUnit {
                files: vec![ManifestFile {
                    name: "inline-1.yaml".into(),
                    content: "apiVersion: v1\nkind: Pod\nmetadata: {name: app}\n".into(),
                }],
            })],
            images: vec![PinnedImage {
                reference: app.reference.clone(),
                repository: app.repository.clone(),
                digest: app.digest.clone(),
            }],
        }],
    }
}

/// Bundle A with one profile whose definition is `entry`; the definition's bytes are carried
/// when `carry` (listed at their true size), re-signed with the trusted key.
fn with_definition(dir: &Path, fx: &Fixture, bytes: &[u8], entry: BlobRef, carry: bool) -> PathBuf {
    let mut manifest = fx.manifest.clone();
    let mut content = fx.content.clone();
    if carry {
        let digest = Digest::of_bytes(bytes);
        content.blobs.insert(digest.clone(), bytes.to_vec());
        manifest.blobs.push(BlobRef {
            digest,
            size: bytes.len() as u64,
        });
        manifest.blobs.sort();
    }
    manifest.profiles = vec![ProfileEntry {
        name: "edge".into(),
        version: "1.0.0".into(),
        profile_type: "infra".into(),
        layers: vec![],
        definition: Some(entry),
    }];
    let manifest_bytes = manifest.to_vec();
    let signature = keys().signing.sign_manifest(&manifest_bytes).unwrap();
    let mut entries = vec![
        (MANIFEST_ENTRY.to_owned(), manifest_bytes),
        (SIGNATURE_ENTRY.to_owned(), signature),
        (OCI_LAYOUT_ENTRY.to_owned(), OCI_LAYOUT_CONTENT.to_vec()),
        (INDEX_ENTRY.to_owned(), fx.index_json.clone()),
    ];
    for b in &manifest.blobs {
        entries.push((blob_entry(&b.digest), content.blobs[&b.digest].clone()));
    }
    let path = dir.join("with-definition.ferry");
    std::fs::write(&path, assemble(&entries)).unwrap();
    path
}

#[tokio::test]
async fn a_carried_definition_is_imported_read_back_and_kept_by_gc() {
    let dir = tempfile::tempdir().unwrap();
    let fx = bundle_a(dir.path());
    let def = definition(&fx);
    let bytes = def.to_vec();
    let entry = BlobRef {
        digest: Digest::of_bytes(&bytes),
        size: bytes.len() as u64,
    };
    let path = with_definition(dir.path(), &fx, &bytes, entry.clone(), true);
    verify_bundle(&path, std::slice::from_ref(&keys().trusted), true).unwrap();
    let store = Store::open(dir.path().join("store")).await.unwrap();
    let report = import_bundle(&store, &path, &trusting()).await.unwrap();
    assert_eq!(
        std::fs::read(store.blob_path(&entry.digest)).unwrap(),
        bytes
    );

    let defs = store.profile_definitions().await.unwrap();
    assert_eq!(defs.len(), 1);
    assert_eq!(defs[0].bundle, report.manifest_digest);
    assert_eq!(defs[0].digest, entry.digest);
    assert_eq!(defs[0].definition, def);

    let no_grace = GcOptions {
        grace: Duration::ZERO,
        dry_run: false,
    };
    let gc = gc_with(&store, &no_grace).await.unwrap();
    assert!(!gc.blobs_removed.contains(&entry.digest));
    assert!(store.has_blob(&entry.digest).unwrap());

    // Replaced by other bytes of the same size, it no longer hashes to its digest.
    let mut damaged = bytes.clone();
    let at = damaged.len() / 2;
    damaged[at] ^= 0x01;
    std::fs::write(store.blob_path(&entry.digest), &damaged).unwrap();
    let err = store.profile_definitions().await.unwrap_err().to_string();
    assert!(err.contains(&report.manifest_digest.to_string()), "{err}");
    assert!(
        err.contains(&format!("{}: the stored bytes hash to", entry.digest)),
        "{err}"
    );
}

#[rstest]
#[case::not_carried(false, 0, "profile edge@1.0.0: its definition sha256:")]
#[case::other_size(true, 1, "bytes, but the bundle lists it as")]
#[tokio::test]
async fn a_definition_the_bundle_does_not_carry_as_listed_is_refused(
    #[case] carry: bool,
    #[case] grow: u64,
    #[case] expected: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let fx = bundle_a(dir.path());
    let bytes = definition(&fx).to_vec();
    let entry = BlobRef {
        digest: Digest::of_bytes(&bytes),
        size: bytes.len() as u64 + grow,
    };
    let path = with_definition(dir.path(), &fx, &bytes, entry, carry);

    let verified = verify_bundle(&path, std::slice::from_ref(&keys().trusted), true)
        .unwrap_err()
        .to_string();
    assert!(verified.contains(expected), "{verified}");
    let store = Store::open(dir.path().join("store")).await.unwrap();
    let imported = import_bundle(&store, &path, &trusting())
        .await
        .unwrap_err()
        .to_string();
    assert!(imported.contains(expected), "{imported}");
    assert_eq!(visible(&store).await.bundles, 0, "nothing recorded");
}
