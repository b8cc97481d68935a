//! A real full disk: the data directory is a small tmpfs, and the space runs out after the
//! free-space check passed (another writer takes it), in the middle of the blobs. Needs root to
//! mount tmpfs; where that is not possible the test skips, except under CI (the free-space
//! refusal itself is covered in import_bundle.rs without root).

mod import_support;

use std::path::Path;
use std::sync::Arc;

use ferry_bundler::format::Digest;
use ferry_mirror::import::{
    available_space, import_bundle, ImportError, ImportEvent, ImportOptions,
};
use ferry_mirror::store::{verify, Store, StoreError};
use ferry_testkit::tmpfs::Tmpfs;
use import_support::*;
use rstest::rstest;

#[tokio::test]
async fn disk_filling_up_mid_import_fails_cleanly_and_a_rerun_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let fx = bundle_a(dir.path());
    let Some(mount) = Tmpfs::mount(&dir.path().join("data"), "8m") else {
        return;
    };
    let store = Store::open(mount.path().join("store")).await.unwrap();
    let filler = mount.path().join("filler");

    // After the head passed the free-space check, fill the disk up to the first ~100 KiB.
    let options = filling_after_head(&filler, 100 * 1024);
    let err = import_bundle(&store, &fx.path, &options).await.unwrap_err();
    // Either a blob did not fit when its turn came, or the disk filled while one was written.
    match &err {
        ImportError::BlobDoesNotFit { .. } => {}
        ImportError::Store(StoreError::Io { source, .. }) => {
            assert_eq!(source.raw_os_error(), Some(28), "ENOSPC expected: {err}")
        }
        other => panic!("expected a full disk, got {other:?}"),
    }
    assert_eq!(
        std::fs::read_dir(store.tmp_dir()).unwrap().count(),
        0,
        "staging file left on a full disk"
    );
    let seen = visible(&store).await;
    assert_eq!(
        (
            seen.manifests,
            seen.tags,
            seen.bundles,
            seen.repository_blobs
        ),
        (0, 0, 0, 0)
    );
    let partial = blob_files(&store);
    assert!(
        partial < fx.manifest.blobs.len(),
        "the disk should have filled before the last blob"
    );

    // Space comes back: the rerun reuses what was published and completes.
    std::fs::remove_file(&filler).unwrap();
    let report = import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    assert_eq!(report.blobs_reused, partial);
    assert!(verify(&store).await.unwrap().is_ok());
    assert!(tag_digest(&store, "docker.io/library/app", "1.0")
        .await
        .is_some());
    drop(store);
}

/// Import options that, once the head passed the free-space check, fill the filesystem of
/// `filler` until only `leave` bytes are free (another writer taking the space).
fn filling_after_head(filler: &Path, leave: u64) -> ImportOptions {
    let fill = filler.to_path_buf();
    ImportOptions {
        progress: Some(Arc::new(move |event: &ImportEvent| {
            if let ImportEvent::HeadAccepted { .. } = event {
                let free = available_space(fill.parent().unwrap()).unwrap();
                let take = free.saturating_sub(leave);
                let f = std::fs::File::create(&fill).unwrap();
                // Real blocks, not a sparse file: tmpfs charges only written pages.
                let chunk = vec![1u8; 1 << 20];
                let mut left = take;
                let mut w = std::io::BufWriter::new(f);
                while left > 0 {
                    let n = left.min(chunk.len() as u64) as usize;
                    if std::io::Write::write_all(&mut w, &chunk[..n]).is_err() {
                        break;
                    }
                    left -= n as u64;
                }
                let _ = std::io::Write::flush(&mut w);
            }
        })),
        ..trusting()
    }
}

/// A blob larger than the space left is refused, naming it, before any of it is staged: not after
/// streaming it into `tmp/` until the disk is full.
#[rstest]
#[case::first_import(false)]
#[case::repair(true)]
#[tokio::test]
async fn a_blob_larger_than_the_space_left_is_refused_before_it_is_written(#[case] repair: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Content::default();
    let bytes = noise(3, 3 << 20);
    let big = Digest::of_bytes(&bytes);
    c.file("big.iso", bytes);
    let fx = write(
        dir.path(),
        "big.ferry",
        &c,
        Some(keys()),
        ferry_bundler::writer::Compression::None,
    );
    let Some(mount) = Tmpfs::mount(&dir.path().join("data"), "8m") else {
        return;
    };
    let store = Store::open(mount.path().join("store")).await.unwrap();
    if repair {
        // Imported whole, then the store loses the big blob: the re-import restores it.
        import_bundle(&store, &fx.path, &trusting()).await.unwrap();
        std::fs::remove_file(store.blob_path(&big)).unwrap();
    }
    let options = filling_after_head(&mount.path().join("filler"), 1 << 20);
    let err = import_bundle(&store, &fx.path, &options).await.unwrap_err();
    let ImportError::BlobDoesNotFit {
        digest,
        size,
        available,
        ..
    } = &err
    else {
        panic!("expected the big blob to be refused before writing, got {err:?}")
    };
    assert_eq!((digest, *size), (&big, 3 << 20));
    assert!(*available < *size, "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&big.to_string()) && text.contains(&format!("{} bytes", 3 << 20)),
        "{text}"
    );
    assert_eq!(
        std::fs::read_dir(store.tmp_dir()).unwrap().count(),
        0,
        "staging file left"
    );
    assert!(!store.has_blob(&big).unwrap());
}
