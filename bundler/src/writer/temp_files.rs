//! Temp files this process writes (the bundle's `.ferry-bundle-<pid>-<n>.partial`, the cache's
//! `tmp/<pid>-<n>.part`), so that neither an interrupted run nor a killed one leaves them behind.
//!
//! - Each is created through [`create`]: registered, then opened with an exclusive `flock` held for
//!   as long as the file is open. [`remove_all_for_exit`] (the CLI's SIGINT/SIGTERM handler)
//!   removes every registered file and refuses new ones, so a file cannot appear after it.
//! - A run that was killed outright (SIGKILL, power loss) leaves its files; the next writer in that
//!   directory removes them with [`remove_stale`]. A file is stale when nobody holds its lock (a
//!   live writer always does, in any process or container sharing the directory) and the pid in
//!   its name is not another process running here (which covers the moment between another
//!   process creating its file and locking it). A file named after a live stranger is left alone.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rustix::fs::FlockOperation;

#[derive(Default)]
struct Registry {
    /// Set once the process is about to exit on a signal: no new temp file after that.
    stopping: bool,
    open: HashSet<PathBuf>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

fn registry() -> MutexGuard<'static, Option<Registry>> {
    // A set of paths is whole after every insert: a panic elsewhere cannot leave it torn.
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

/// Creates `path` (which must not exist), registered and locked; `mode` before the umask.
pub(crate) fn create(path: &Path, mode: u32) -> io::Result<File> {
    let mut guard = registry();
    let reg = guard.get_or_insert_with(Registry::default);
    if reg.stopping {
        return Err(io::Error::new(
            io::ErrorKind::Interrupted,
            "interrupted: no new temp files",
        ));
    }
    // Created while holding the registry, so `remove_all_for_exit` never misses one.
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive)?;
    reg.open.insert(path.to_owned());
    Ok(file)
}

/// The file at `path` was renamed into place or removed: nothing to clean up any more.
pub(crate) fn forget(path: &Path) {
    if let Some(reg) = registry().as_mut() {
        reg.open.remove(path);
    }
}

/// Removes every temp file this process has open and refuses new ones: for a signal handler
/// that exits right after. Returns how many were removed.
pub fn remove_all_for_exit() -> usize {
    let mut guard = registry();
    let reg = guard.get_or_insert_with(Registry::default);
    reg.stopping = true;
    reg.open
        .drain()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count()
}

/// Removes the stale temp files in `dir` (see the module comment). `owner` says whether a file
/// name is one of ours: `None` if not, else the pid in it (`Some(None)` for a name without one,
/// as older versions wrote). Returns the names removed; a directory that cannot be read has none.
pub(crate) fn remove_stale(dir: &Path, owner: impl Fn(&str) -> Option<Option<u32>>) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    // Held while scanning, so no file of this process is between its creation and its lock.
    let _guard = registry();
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = owner(&name) else { continue };
        if pid.is_some_and(running_stranger) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = File::open(&path) else {
            continue;
        };
        if rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
            continue; // a live writer holds it
        }
        if std::fs::remove_file(&path).is_ok() {
            tracing::debug!(path = %path.display(), "removed a stale temp file of an earlier run");
            removed.push(name);
        }
    }
    removed
}

/// Whether `pid` is a running process other than this one.
fn running_stranger(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    // EPERM means it exists but belongs to someone else.
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pid that is certainly not running: a child that has been waited for.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    fn owner(name: &str) -> Option<Option<u32>> {
        let rest = name.strip_suffix(".tmp")?;
        Some(rest.split('-').next().and_then(|p| p.parse().ok()))
    }

    #[test]
    fn removes_files_of_dead_writers_only() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(format!("{}-0.tmp", dead_pid()));
        let unnamed = dir.path().join("x.tmp");
        let not_ours = dir.path().join("other");
        let live = dir.path().join(format!("{}-1.tmp", std::process::id()));
        // PID 1 always runs; a file named after it (and not locked) is left alone.
        let stranger = dir.path().join("1-0.tmp");
        for p in [&dead, &unnamed, &not_ours, &stranger] {
            std::fs::write(p, b"x").unwrap();
        }
        let _held = create(&live, 0o600).unwrap();
        let mut removed = remove_stale(dir.path(), owner);
        removed.sort();
        let dead_name = dead.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(removed, vec![dead_name, "x.tmp".to_owned()]);
        assert!(live.exists() && not_ours.exists() && stranger.exists());
        forget(&live);
    }
}
