//! The bundle being written: `.ferry-bundle-<pid>-<n>.partial` next to the target, renamed into
//! place when complete and removed otherwise (see `temp_files` for interrupted and killed runs).

use std::fs::File;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::temp_files;

/// Mode of a written bundle: readable by the user `ferry import` runs as (the systemd unit's).
pub const BUNDLE_MODE: u32 = 0o644;

/// `.ferry-bundle-<pid>-<n>.partial`: the archive until it is complete.
pub(super) struct Partial {
    path: PathBuf,
    pub(super) file: File,
    persisted: bool,
}

static PARTIAL_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Partial {
    pub(super) fn create(dir: &Path) -> io::Result<Self> {
        let n = PARTIAL_COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".ferry-bundle-{}-{n}.partial", std::process::id()));
        let file = temp_files::create(&path, BUNDLE_MODE)?;
        // 0644 whatever the umask: the bundle is meant to be read by another user.
        let partial = Self {
            path,
            file,
            persisted: false,
        };
        partial
            .file
            .set_permissions(std::fs::Permissions::from_mode(BUNDLE_MODE))?;
        Ok(partial)
    }

    pub(super) fn persist(mut self, dest: &Path) -> io::Result<()> {
        std::fs::rename(&self.path, dest)?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_file(&self.path);
        }
        temp_files::forget(&self.path);
    }
}

/// The pid in a partial bundle's name (none in the random names older versions used).
pub(super) fn partial_owner(name: &str) -> Option<Option<u32>> {
    let middle = name
        .strip_prefix(".ferry-bundle-")?
        .strip_suffix(".partial")?;
    Some(middle.split('-').next().and_then(|p| p.parse().ok()))
}
