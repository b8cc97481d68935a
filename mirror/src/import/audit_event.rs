//! What an import records in the audit log. A successful import appends its entry inside the
//! transaction that makes the bundle visible, so the log says `import.ok` exactly when the
//! content is there; every other outcome is recorded after the fact.

use std::path::Path;

use serde_json::json;

use super::{ImportError, ImportReport};
use crate::audit::events::{absolute, IMPORT_FAILED, IMPORT_NOOP, IMPORT_OK, IMPORT_REPAIRED};
use crate::audit::{local_actor, Event};

/// The entry for an import attempt, whatever its outcome. The subject is the bundle's manifest
/// digest when it is known, else the bundle's path.
pub(super) fn import_event(path: &Path, result: &Result<ImportReport, ImportError>) -> Event {
    let file = absolute(path);
    match result {
        Ok(r) => Event::new(
            local_actor(),
            match (r.already_imported, r.blobs_repaired) {
                (true, 0) => IMPORT_NOOP,
                (true, _) => IMPORT_REPAIRED,
                (false, _) => IMPORT_OK,
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
    }
}
