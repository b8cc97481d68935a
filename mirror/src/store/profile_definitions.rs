//! The layer definitions of the profiles that active bundles carry (`ProfileEntry::definition`),
//! read back from the store for the management instance's catalog.
//!
//! Nothing in the database names them: each active bundle's manifest blob does. Both the
//! manifest and every definition are re-hashed against their digests before they are
//! believed, and read only up to a bound, since whatever sits under `blobs/` may have been
//! damaged or replaced since the import checked it.

use std::collections::HashSet;
use std::io::Read;

use ferry_bundler::format::layout::MAX_DOCUMENT_SIZE;
use ferry_bundler::format::profile_definition::{ProfileDefinition, MAX_PROFILE_DEFINITION_SIZE};
use ferry_bundler::format::{BundleManifest, Digest};

use super::bundles::parse_digest;
use super::{Store, StoreError};

/// One profile definition of an active bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDefinition {
    /// The bundle manifest's digest (the bundle's identity in the store).
    pub bundle: Digest,
    pub definition: ProfileDefinition,
    /// The definition blob's digest: the "layer definitions' digest" of the catalog.
    pub digest: Digest,
}

impl Store {
    /// Every profile definition of every active (not retired) bundle, bundles in import
    /// order, profiles in manifest order. A manifest or definition whose bytes do not hash to
    /// its digest, or that is larger than it may be, is refused with an error naming the
    /// bundle and the blob.
    pub async fn profile_definitions(&self) -> Result<Vec<StoredDefinition>, StoreError> {
        let mut out = Vec::new();
        for bundle in self.active_bundles().await? {
            let manifest = self.bundle_manifest(&bundle)?;
            for entry in &manifest.profiles {
                let Some(blob) = &entry.definition else {
                    continue;
                };
                let what = format!(
                    "bundle {bundle}: profile {}@{} definition",
                    entry.name, entry.version
                );
                if blob.size > MAX_PROFILE_DEFINITION_SIZE {
                    return Err(self.corrupt(format!(
                        "{what} {} is {} bytes; at most {MAX_PROFILE_DEFINITION_SIZE} are read",
                        blob.digest, blob.size
                    )));
                }
                let bytes = self.read_verified(&blob.digest, MAX_PROFILE_DEFINITION_SIZE, &what)?;
                let definition = ProfileDefinition::from_slice(&bytes)
                    .map_err(|e| self.corrupt(format!("{what} {}: {e}", blob.digest)))?;
                if (definition.name.as_str(), definition.version.as_str())
                    != (entry.name.as_str(), entry.version.as_str())
                {
                    return Err(self.corrupt(format!(
                        "{what} {} describes {}@{}",
                        blob.digest, definition.name, definition.version
                    )));
                }
                out.push(StoredDefinition {
                    bundle: bundle.clone(),
                    definition,
                    digest: blob.digest.clone(),
                });
            }
        }
        Ok(out)
    }

    /// Oldest import first; bundles imported within one second in the order they were first
    /// recorded (SQLite's rowid), so a later bundle's definition comes after an earlier one's.
    async fn active_bundles(&self) -> Result<Vec<Digest>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT manifest_digest FROM bundles WHERE retired_at IS NULL
             ORDER BY imported_at, rowid",
        )
        .fetch_all(self.db())
        .await?;
        rows.iter().map(|d| parse_digest(self, d)).collect()
    }

    /// A bundle's manifest, from its blob, checked against the bundle's digest.
    fn bundle_manifest(&self, bundle: &Digest) -> Result<BundleManifest, StoreError> {
        let what = format!("bundle {bundle}: manifest");
        let bytes = self.read_verified(bundle, MAX_DOCUMENT_SIZE, &what)?;
        BundleManifest::from_slice(&bytes).map_err(|e| self.corrupt(format!("{what}: {e}")))
    }

    /// The blob's bytes, at most `max` of them, refused unless they hash to `digest`.
    fn read_verified(&self, digest: &Digest, max: u64, what: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.blob_path(digest);
        let file = std::fs::File::open(&path).map_err(|e| StoreError::io(&path, e))?;
        let mut bytes = Vec::new();
        file.take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StoreError::io(&path, e))?;
        if bytes.len() as u64 > max {
            return Err(self.corrupt(format!(
                "{what} {digest} is larger than the {max} bytes it may have"
            )));
        }
        let actual = Digest::of_bytes(&bytes);
        if &actual != digest {
            return Err(self.corrupt(format!(
                "{what} {digest}: the stored bytes hash to {actual}"
            )));
        }
        Ok(bytes)
    }

    fn corrupt(&self, message: String) -> StoreError {
        StoreError::Corrupt(self.root().to_path_buf(), message)
    }
}

/// The definition blobs the manifests of `bundles` name: roots for `gc`, like the manifests
/// themselves. A manifest that cannot be read (lost or damaged; `ferry store verify` reports
/// it, a re-import repairs it) names none; its definitions are then unreachable as far as gc
/// can tell, but so is everything else only it could vouch for.
pub(super) fn definition_roots(store: &Store, bundles: &HashSet<String>) -> HashSet<String> {
    let mut roots = HashSet::new();
    for bundle in bundles {
        let manifest = parse_digest(store, bundle).and_then(|d| store.bundle_manifest(&d));
        match manifest {
            Ok(m) => roots.extend(
                m.profiles
                    .iter()
                    .filter_map(|p| p.definition.as_ref())
                    .map(|d| d.digest.to_string()),
            ),
            Err(e) => {
                tracing::warn!(bundle = %bundle, error = %e, "gc cannot read this bundle's manifest; its profile definitions are not kept for it")
            }
        }
    }
    roots
}
