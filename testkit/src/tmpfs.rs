//! A small tmpfs for full-disk tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted at a directory for the test's lifetime, lazily unmounted on drop.
pub struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (mount's syntax: `2m`, `8m`) at `dir`, creating it. `None` where
    /// this machine does not allow it (not root): the test skips, except under CI, where that is
    /// a failure (see [`crate::tools::skip`]).
    pub fn mount(dir: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).expect("tmpfs mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output();
        let why = match out {
            Ok(o) if o.status.success() => {
                return Some(Self {
                    path: dir.to_path_buf(),
                })
            }
            Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_owned(),
            Err(e) => format!("cannot run mount: {e}"),
        };
        crate::tools::skip(&format!("cannot mount a tmpfs at {}: {why}", dir.display()));
        None
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}
