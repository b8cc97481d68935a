//! The audit log against real operations: signed bundles imported (successfully, again, and
//! refused), one retired, the store collected; concurrent appends; configuration changes.

mod import_support;

use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use ferry_mirror::audit::{self, append, head, list, record_config, verify, Event};
use ferry_mirror::import::import_bundle;
use ferry_mirror::store::{gc_with, retire_bundle, GcOptions, Store};
use import_support::*;
use serde_json::json;

/// `cli:<uid>` worked out independently of ferry: /proc/self belongs to the process's uid.
fn this_cli_actor() -> String {
    format!("cli:{}", std::fs::metadata("/proc/self").unwrap().uid())
}

#[tokio::test]
async fn imports_retirement_and_gc_are_recorded_in_order_and_chained() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (bundle_a(dir.path()), bundle_b(dir.path()));
    let store = Store::open(dir.path().join("store")).await.unwrap();

    import_bundle(&store, &a.path, &trusting()).await.unwrap();
    import_bundle(&store, &a.path, &trusting()).await.unwrap();
    // A file that cannot be opened is refused before anything is recorded.
    let missing = dir.path().join("no-such.ferry");
    import_bundle(&store, &missing, &trusting())
        .await
        .unwrap_err();
    let mut untrusted = trusting();
    untrusted.trusted_keys = vec![other_keys().trusted.clone()];
    import_bundle(&store, &b.path, &untrusted)
        .await
        .unwrap_err();
    import_bundle(&store, &b.path, &trusting()).await.unwrap();
    retire_bundle(&store, &a.manifest_digest()).await.unwrap();
    retire_bundle(&store, &a.manifest_digest()).await.unwrap();
    let gc = gc_with(
        &store,
        &GcOptions {
            grace: Duration::ZERO,
            dry_run: false,
        },
    )
    .await
    .unwrap();
    assert!(!gc.blobs_removed.is_empty());

    let entries = list(store.db(), None).await.unwrap();
    let a_digest = a.manifest_digest().to_string();
    let b_digest = b.manifest_digest().to_string();
    let b_path = b.path.display().to_string();
    let got: Vec<(i64, &str, &str)> = entries
        .iter()
        .map(|e| (e.seq, e.action.as_str(), e.subject.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "import.ok", a_digest.as_str()),
            (2, "import.noop", a_digest.as_str()),
            (3, "import.failed", b_path.as_str()),
            (4, "import.ok", b_digest.as_str()),
            (5, "bundle.retired", a_digest.as_str()),
            (6, "bundle.retired", a_digest.as_str()),
            (7, "store.gc", store.root().to_str().unwrap()),
        ]
    );
    let actor = this_cli_actor();
    assert!(entries.iter().all(|e| e.actor == actor), "{entries:#?}");
    assert_eq!(
        entries[0].detail["blobsWritten"],
        json!(a.manifest.blobs.len())
    );
    assert_eq!(entries[0].detail["signedBy"], json!(keys().trusted.name()));
    assert!(entries[2].detail["error"]
        .as_str()
        .unwrap()
        .contains("signature"));
    assert_eq!(entries[4].detail["alreadyRetired"], json!(false));
    assert_eq!(entries[5].detail["alreadyRetired"], json!(true));
    assert_eq!(
        entries[6].detail["blobsRemoved"],
        json!(gc.blobs_removed.len())
    );
    assert_eq!(entries[6].detail["bytesFreed"], json!(gc.bytes_freed));
    for pair in entries.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
        assert!(pair[0].at <= pair[1].at);
    }
    assert_eq!(entries[0].prev_hash, "0".repeat(64));

    let report = verify(store.db(), None).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.entries_checked, 7);
    let h = head(store.db()).await.unwrap().unwrap();
    assert_eq!((h.seq, h.hash.as_str()), (7, entries[6].hash.as_str()));

    // `since` filters by time; every entry here is from this test run.
    let since_then = list(store.db(), Some(&entries[0].at)).await.unwrap();
    assert_eq!(since_then.len(), 7);
    assert!(list(store.db(), Some("2999-01-01T00:00:00Z"))
        .await
        .unwrap()
        .is_empty());
    assert!(list(store.db(), Some("last tuesday")).await.is_err());

    // A real entry edited behind ferry's back is caught at its seq.
    sqlx::query("UPDATE audit_log SET detail = REPLACE(detail, '\"alreadyRetired\":false', '\"alreadyRetired\":true') WHERE seq = 5")
        .execute(store.db())
        .await
        .unwrap();
    let t = verify(store.db(), None).await.unwrap().tamper.unwrap();
    assert_eq!(t.seq, 5, "{}", t.reason);
}

#[tokio::test]
async fn concurrent_appends_never_fork_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("data")).await.unwrap();
    // A second handle: another process's pool on the same database.
    let other = Store::open(dir.path().join("data")).await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..40 {
        let s = if n % 2 == 0 {
            store.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            append(
                s.db(),
                &Event::new("cli:0", "test.event", format!("n{n}"), json!({ "n": n })),
            )
            .await
            .unwrap()
            .seq
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.sort();
    assert_eq!(seqs, (1..=40).collect::<Vec<i64>>());
    let report = verify(store.db(), None).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.entries_checked, 40);
}

#[tokio::test]
async fn configuration_changes_are_recorded_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("data")).await.unwrap();
    let config = dir.path().join("ferry.yaml");
    std::fs::write(&config, "listen: 127.0.0.1:5000\n").unwrap();
    let sha = |text: &str| {
        ferry_bundler::format::Digest::of_bytes(text.as_bytes())
            .hex()
            .to_owned()
    };

    let first = record_config(store.db(), &config, "cli:0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.old, None);
    assert_eq!(first.new, sha("listen: 127.0.0.1:5000\n"));
    assert!(record_config(store.db(), &config, "cli:0")
        .await
        .unwrap()
        .is_none());

    std::fs::write(&config, "listen: 0.0.0.0:5000\npush: true\n").unwrap();
    let second = record_config(store.db(), &config, "cli:0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.old.as_deref(), Some(first.new.as_str()));
    assert_eq!(second.new, sha("listen: 0.0.0.0:5000\npush: true\n"));
    assert!(record_config(store.db(), &config, "cli:0")
        .await
        .unwrap()
        .is_none());

    let entries = list(store.db(), None).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries
        .iter()
        .all(|e| e.action == audit::events::CONFIG_CHANGED
            && e.subject == config.display().to_string()));
    assert_eq!(
        entries[1].detail,
        json!({ "old": first.new, "new": second.new })
    );
    let missing = record_config(store.db(), &dir.path().join("gone.yaml"), "cli:0")
        .await
        .unwrap_err()
        .to_string();
    assert!(missing.contains("gone.yaml"), "{missing}");
}
