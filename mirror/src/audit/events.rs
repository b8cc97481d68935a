//! The audit log's vocabulary: the action of every kind of entry. The layers above (import,
//! store, server) build their [`super::Event`]s with these and hand them to `append_in` inside
//! their own transaction, or to `record` after the fact. Details hold names, digests, paths and
//! counts only, never secrets.

use std::path::Path;

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
/// Failed logins of one window, counted (see [`super::failed_logins`]).
pub const LOGIN_FAILED_SUMMARY: &str = "login.failed.summary";
pub const CONFIG_CHANGED: &str = "config.changed";
pub const ANONYMOUS: &str = "anonymous";

// The management instance's changes (mirror/src/fleet).
pub const FLEET_PROFILE_VERSION: &str = "fleet.profile.version";
pub const FLEET_PROFILE_REVISION: &str = "fleet.profile.revision";
pub const FLEET_CLUSTER_REGISTERED: &str = "fleet.cluster.registered";
pub const FLEET_CLUSTER_DEREGISTERED: &str = "fleet.cluster.deregistered";
pub const FLEET_CLUSTER_LABELS: &str = "fleet.cluster.labels";
pub const FLEET_CLUSTER_CREDENTIAL: &str = "fleet.cluster.credential";
pub const FLEET_GROUP: &str = "fleet.group";
pub const FLEET_ASSIGNED: &str = "fleet.assigned";
pub const FLEET_OVERRIDE: &str = "fleet.override";
pub const FLEET_VARIABLE: &str = "fleet.variable";
pub const FLEET_CLONED: &str = "fleet.cloned";
pub const FLEET_PUBLISHED: &str = "fleet.published";
pub const FLEET_REPORT_REFUSED: &str = "fleet.report.refused";
pub const FLEET_ROLLOUT: &str = "fleet.rollout";
pub const FLEET_ROLLBACK: &str = "fleet.rollback";

/// Paths as recorded: absolute, so entries stay meaningful whatever directory a command ran in.
pub fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}
