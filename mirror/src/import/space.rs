//! Free-space check before an import writes anything.

use std::path::Path;

use crate::store::StoreError;

/// Bytes available to an unprivileged writer on the filesystem holding `path`.
pub fn available_space(path: &Path) -> Result<u64, StoreError> {
    let stat = rustix::fs::statvfs(path).map_err(|e| StoreError::io(path, e.into()))?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}
