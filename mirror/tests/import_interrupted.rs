//! Imports killed at several points (a real `abort()` of a child process, so no destructor or
//! cleanup runs), then rerun: the store must end up exactly as after one clean import.
//!
//! The child is this test executable itself, re-run with `--exact child_import --ignored` and
//! environment variables saying which bundle to import and where to die.

mod import_support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use ferry_bundler::format::{Digest, TrustedKey};
use ferry_mirror::import::{import_bundle, ImportEvent, ImportOptions};
use ferry_mirror::store::{verify, Store};
use import_support::*;
use rstest::rstest;

const ENV_STORE: &str = "FERRY_TEST_CHILD_STORE";
const ENV_BUNDLE: &str = "FERRY_TEST_CHILD_BUNDLE";
const ENV_KEY: &str = "FERRY_TEST_CHILD_KEY";
const ENV_KILL_AT: &str = "FERRY_TEST_CHILD_KILL_AT";

/// Whether the import should die at this event, per the kill-point spec:
/// `head`, `mid-blob:<digest>`, `after-blobs:<n>` or `verified`.
fn should_die(spec: &str, event: &ImportEvent, blobs_done: &mut usize) -> bool {
    match event {
        ImportEvent::HeadAccepted { .. } => spec == "head",
        ImportEvent::BlobProgress { digest, .. } => {
            spec.strip_prefix("mid-blob:") == Some(&digest.to_string())
        }
        ImportEvent::BlobDone { .. } => {
            *blobs_done += 1;
            spec.strip_prefix("after-blobs:")
                .and_then(|n| n.parse().ok())
                == Some(*blobs_done)
        }
        ImportEvent::ArchiveVerified => spec == "verified",
        ImportEvent::BlobStarted { .. } => false,
    }
}

#[test]
#[ignore = "child process entry point of the interrupted-import tests; runs only when re-executed by them"]
fn child_import() {
    let (Ok(store), Ok(bundle), Ok(key), Ok(spec)) = (
        std::env::var(ENV_STORE),
        std::env::var(ENV_BUNDLE),
        std::env::var(ENV_KEY),
        std::env::var(ENV_KILL_AT),
    ) else {
        // Run directly (e.g. `--include-ignored`) there is nothing to kill: the parents do the work.
        eprintln!(
            "child_import is the child side of the interrupted-import tests; nothing to do alone"
        );
        return;
    };
    let done = std::sync::Mutex::new(0usize);
    let options = ImportOptions {
        trusted_keys: vec![TrustedKey::from_file(Path::new(&key)).unwrap()],
        insecure_skip_signature: false,
        rehash_stored: false,
        progress: Some(Arc::new(move |event: &ImportEvent| {
            if should_die(&spec, event, &mut done.lock().unwrap()) {
                std::process::abort();
            }
        })),
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = Store::open(&store).await.unwrap();
        import_bundle(&store, Path::new(&bundle), &options)
            .await
            .unwrap();
    });
    panic!("the import finished although it should have been killed");
}

fn run_child_until_killed(store: &Path, bundle: &Path, kill_at: &str) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_import",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_STORE, store)
        .env(ENV_BUNDLE, bundle)
        .env(ENV_KEY, &keys().public_key)
        .env(ENV_KILL_AT, kill_at)
        .status()
        .unwrap();
    assert!(
        !status.success(),
        "child import was not killed at {kill_at}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(6),
            "child should die by SIGABRT at {kill_at}, got {status:?}"
        );
    }
}

/// Staging files, not counting an empty `creating-` file: a kill can land between a writer
/// creating its file and locking it (the reader thread creates writers while the syncer thread
/// reports progress), and such a file is only removed once it is an hour old, because until
/// then it may belong to a live writer of another process. It never holds a byte.
fn staging_files(store_dir: &Path) -> usize {
    let Ok(dir) = std::fs::read_dir(store_dir.join("tmp")) else {
        return 0;
    };
    dir.map(|e| e.unwrap())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let empty = e.metadata().map(|m| m.len() == 0).unwrap_or(false);
            !(name.starts_with("creating-") && empty)
        })
        .count()
}

fn blob_files_in(store_dir: &Path) -> usize {
    let mut n = 0;
    let Ok(shards) = std::fs::read_dir(store_dir.join("blobs/sha256")) else {
        return 0;
    };
    for shard in shards {
        n += std::fs::read_dir(shard.unwrap().path()).unwrap().count();
    }
    n
}

/// The largest blob: bigger than one copy chunk, so the kill lands inside it.
fn largest(fx: &Fixture) -> Digest {
    fx.manifest
        .blobs
        .iter()
        .max_by_key(|b| b.size)
        .unwrap()
        .digest
        .clone()
}

#[rstest]
#[case::before_first_blob("head")]
#[case::mid_blob("mid-blob")]
#[case::after_three_blobs("after-blobs:3")]
#[case::after_all_blobs_before_commit("verified")]
#[tokio::test]
async fn killed_import_leaves_nothing_visible_and_rerun_completes(#[case] kill_at: &str) {
    let dir = tempfile::tempdir().unwrap();
    let fx = bundle_a(dir.path());
    let store_dir = dir.path().join("store");
    let blobs = fx.manifest.blobs.len();
    let spec = match kill_at {
        "mid-blob" => format!("mid-blob:{}", largest(&fx)),
        other => other.to_owned(),
    };
    assert!(
        fx.manifest.blobs.iter().any(|b| b.size > 256 * 1024),
        "fixture needs a multi-chunk blob"
    );

    run_child_until_killed(&store_dir, &fx.path, &spec);

    // What the dead import left: only whole verified blobs published, the rest in staging.
    let published = blob_files_in(&store_dir);
    match kill_at {
        "head" => assert_eq!(published, 0),
        "after-blobs:3" => assert_eq!(published, 3),
        "verified" => assert_eq!(published, blobs + 1, "all blobs and the bundle manifest"),
        _ => assert!(published < blobs),
    }
    if kill_at == "mid-blob" {
        // Blobs queued behind it (already in their staging files, or waiting for their sync)
        // may be there too; none of them is published, and `Store::open` below removes them all.
        let staged = staging_files(&store_dir);
        assert!(
            (1..=blobs).contains(&staged),
            "the half-written blob is in staging only ({staged} staging files)"
        );
        assert!(!store_dir
            .join("blobs/sha256")
            .join(&largest(&fx).hex()[..2])
            .join(largest(&fx).hex())
            .exists());
    }

    let store = Store::open(&store_dir).await.unwrap();
    assert_eq!(
        staging_files(&store_dir),
        0,
        "Store::open removes stale staging files"
    );
    let seen = visible(&store).await;
    assert_eq!(
        (seen.repositories, seen.manifests, seen.tags, seen.bundles),
        (0, 0, 0, 0)
    );
    assert_eq!(
        seen.repository_blobs, 0,
        "a killed import's blobs are served nowhere"
    );
    assert!(
        verify(&store).await.unwrap().is_ok(),
        "every published blob is whole"
    );
    let outcome: String = sqlx::query_scalar("SELECT outcome FROM imports")
        .fetch_one(store.db())
        .await
        .unwrap();
    assert_eq!(
        outcome, "started",
        "the dead attempt is on record as never finished"
    );

    let report = import_bundle(&store, &fx.path, &trusting()).await.unwrap();
    assert!(!report.already_imported);
    assert_eq!(
        report.blobs_reused,
        published.min(blobs),
        "blobs from the killed run are reused"
    );
    assert_eq!(report.blobs_written + report.blobs_reused, blobs);

    // Exactly one clean import's worth of state.
    assert_eq!(blob_files(&store), blobs + 1);
    assert_eq!(staging_files(&store_dir), 0);
    let seen = visible(&store).await;
    assert_eq!(seen.bundles, 1);
    assert_eq!(seen.bundle_artifacts, fx.manifest.artifacts.len() as i64);
    assert!(tag_digest(&store, "docker.io/library/app", "1.0")
        .await
        .is_some());
    let report = verify(&store).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.blobs_checked as usize, blobs + 1);
    assert!(
        import_bundle(&store, &fx.path, &trusting())
            .await
            .unwrap()
            .already_imported
    );
}
