//! What each hooked operation records: one function per kind of entry, so the hooks in import,
//! store and server stay one line each. Details hold names, digests, paths and counts only.

use std::path::Path;

use serde_json::json;

use super::{local_actor, record, Event};
use crate::import::{ImportError, ImportReport};
use crate::store::{GcReport, RetireReport, Store};

pub const IMPORT_OK: &str = "import.ok";
pub const IMPORT_NOOP: &str = "import.noop";
pub const IMPORT_REPAIRED: &str = "import.repaired";
pub const IMPORT_FAILED: &str = "import.failed";
pub const BUNDLE_RETIRED: &str = "bundle.retired";
pub const GC: &str = "store.gc";
pub const MANIFEST_PUSHED: &str = "manifest.pushed";
pub const MANIFEST_DELETED: &str = "manifest.deleted";
pub const TAG_DELETED: &str = "tag.deleted";
pub const BLOB_DELETED: &str = "blob.deleted";
pub const LOGIN_FAILED: &str = "login.failed";
pub const CONFIG_CHANGED: &str = "config.changed";
pub const ANONYMOUS: &str = "anonymous";

/// Records an import attempt, whatever its outcome. The subject is the bundle's manifest digest
/// when it is known, else the bundle's path.
pub async fn record_import(store: &Store, path: &Path, result: &Result<ImportReport, ImportError>) {
    let file = absolute(path);
    let event = match result {
        Ok(r) => Event::new(
            local_actor(),
            if r.already_imported && r.blobs_repaired > 0 {
                IMPORT_REPAIRED
            } else if r.already_imported {
                IMPORT_NOOP
            } else {
                IMPORT_OK
            },
            r.manifest_digest.to_string(),
            json!({
                "path": file,
                "signedBy": r.signed_by,
                "artifacts": r.artifacts,
                "blobs": r.blobs,
                "blobsWritten": r.blobs_written,
                "blobsRepaired": r.blobs_repaired,
                "bytesWritten": r.bytes_written,
                "manifestsRecorded": r.manifests_recorded,
                "tagsSet": r.tags_set,
            }),
        ),
        Err(e) => Event::new(
            local_actor(),
            IMPORT_FAILED,
            file.clone(),
            json!({ "path": file, "error": e.to_string() }),
        ),
    };
    record(store, event).await;
}

/// A retirement (recorded in the retirement's own transaction, so both commit or neither).
pub fn bundle_retired(report: &RetireReport) -> Event {
    Event::new(
        local_actor(),
        BUNDLE_RETIRED,
        report.bundle.to_string(),
        json!({
            "alreadyRetired": report.already_retired,
            "tagsRemoved": report.tags_removed,
            "tagsRestored": report.tags_restored,
        }),
    )
}

pub async fn record_gc(store: &Store, report: &GcReport) {
    let event = Event::new(
        local_actor(),
        GC,
        absolute(store.root()),
        json!({
            "dryRun": report.dry_run,
            "manifestsRemoved": report.manifests_removed,
            "blobsRemoved": report.blobs_removed.len(),
            "bytesFreed": report.bytes_freed,
            "blobsKept": report.blobs_kept,
            "blobsSparedYoung": report.blobs_spared_young,
        }),
    );
    record(store, event).await;
}

/// Paths as recorded: absolute, so entries stay meaningful whatever directory a command ran in.
pub(super) fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}
