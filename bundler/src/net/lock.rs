//! `ferry.lock`: every artifact pinned to a digest, with the blobs it needs and where from.
//!
//! The lock's `created` time becomes the bundle's `created` and tar mtime; it is kept when a
//! relock changes nothing, so rebuilding from the same inputs gives the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::resolved::ResolvedArtifact;
use crate::format::Digest;

pub const LOCK_FILE: &str = "ferry.lock";
pub const LOCK_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{path}: cannot read lock: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot write lock: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a ferry lock: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: lock version {found}, this ferry reads version {LOCK_VERSION}")]
    Version { path: PathBuf, found: u32 },
    #[error("inputs no longer resolve to the lock (--locked):\n  {}", changes.join("\n  "))]
    Drift { changes: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lock {
    pub version: u32,
    /// RFC 3339 UTC, second precision.
    pub created: String,
    /// Sorted by (kind, reference).
    pub artifacts: Vec<ResolvedArtifact>,
}

impl Lock {
    /// A lock for `artifacts`, keeping `previous.created` if nothing changed.
    pub fn relock(
        previous: Option<&Lock>,
        mut artifacts: Vec<ResolvedArtifact>,
        now: SystemTime,
    ) -> Lock {
        sort(&mut artifacts);
        match previous {
            Some(p) if p.artifacts == artifacts => p.clone(),
            _ => Lock {
                version: LOCK_VERSION,
                created: rfc3339_utc(now),
                artifacts,
            },
        }
    }

    /// The distinct blobs the bundle will carry (artifacts share layers) and their total size:
    /// a fair estimate of the bundle, since layers are compressed already.
    pub fn distinct_blobs(&self) -> (usize, u64) {
        let blobs: BTreeMap<&Digest, u64> = self
            .artifacts
            .iter()
            .flat_map(|a| &a.blobs)
            .map(|b| (&b.digest, b.size))
            .collect();
        (blobs.len(), blobs.values().sum())
    }

    /// Canonical bytes: pretty JSON in struct order, artifacts sorted, trailing newline.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("lock serialises");
        v.push(b'\n');
        v
    }

    pub fn digest(&self) -> Digest {
        Digest::of_bytes(&self.to_vec())
    }

    pub fn from_slice(path: &Path, bytes: &[u8]) -> Result<Lock, LockError> {
        let mut lock: Lock = serde_json::from_slice(bytes).map_err(|source| LockError::Parse {
            path: path.into(),
            source,
        })?;
        if lock.version != LOCK_VERSION {
            return Err(LockError::Version {
                path: path.into(),
                found: lock.version,
            });
        }
        sort(&mut lock.artifacts);
        Ok(lock)
    }

    pub fn read(path: &Path) -> Result<Lock, LockError> {
        let bytes = std::fs::read(path).map_err(|source| LockError::Read {
            path: path.into(),
            source,
        })?;
        Self::from_slice(path, &bytes)
    }

    /// Writes atomically: temp file, fsync, rename.
    pub fn write(&self, path: &Path) -> Result<(), LockError> {
        let err = |source| LockError::Write {
            path: path.into(),
            source,
        };
        let tmp = path.with_extension(format!("lock.tmp-{}", std::process::id()));
        // Registered, so an interrupted `lock` or `build` removes it with its other temp files.
        let _ = std::fs::remove_file(&tmp);
        let result = (|| {
            use std::io::Write;
            let mut f = crate::writer::temp_files::create(&tmp, 0o644)?;
            f.write_all(&self.to_vec())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        crate::writer::temp_files::forget(&tmp);
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(err)
    }
}

fn sort(artifacts: &mut [ResolvedArtifact]) {
    artifacts.sort_by(|a, b| {
        (a.artifact.kind, &a.artifact.reference).cmp(&(b.artifact.kind, &b.artifact.reference))
    });
}

/// `--locked`: the fresh resolution must equal the lock; the error lists every difference.
pub fn check_locked(locked: &Lock, fresh: &[ResolvedArtifact]) -> Result<(), LockError> {
    let key = |r: &ResolvedArtifact| {
        format!("{:?} {}", r.artifact.kind, r.artifact.reference).to_lowercase()
    };
    let old: BTreeMap<_, _> = locked.artifacts.iter().map(|r| (key(r), r)).collect();
    let new: BTreeMap<_, _> = fresh.iter().map(|r| (key(r), r)).collect();
    let mut changes = Vec::new();
    for (k, o) in &old {
        match new.get(k) {
            None => changes.push(format!(
                "{}: in the lock but no longer resolved",
                o.artifact.reference
            )),
            Some(n) if n.artifact.digest != o.artifact.digest => changes.push(format!(
                "{}: locked {} but now resolves to {}",
                o.artifact.reference, o.artifact.digest, n.artifact.digest
            )),
            Some(n) if n != o => changes.push(format!(
                "{}: same digest {} but different content (platforms, attachments or blobs)",
                o.artifact.reference, o.artifact.digest
            )),
            Some(_) => {}
        }
    }
    for (k, n) in &new {
        if !old.contains_key(k) {
            changes.push(format!(
                "{}: resolved to {} but not in the lock",
                n.artifact.reference, n.artifact.digest
            ));
        }
    }
    if changes.is_empty() {
        Ok(())
    } else {
        Err(LockError::Drift { changes })
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a time (seconds; before 1970 clamps to the epoch).
pub fn rfc3339_utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    crate::format::timestamp::rfc3339_utc(i64::try_from(secs).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(1_709_251_199)),
            "2024-02-29T23:59:59Z"
        );
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn shared_blobs_are_counted_once_in_the_estimate() {
        let lock: Lock = serde_json::from_value(serde_json::json!({
            "version": 1, "created": "2026-01-01T00:00:00Z", "artifacts": [],
        }))
        .unwrap();
        assert_eq!(lock.distinct_blobs(), (0, 0));
        let blob = |hex: char, size: u64| super::super::LockedBlob {
            digest: Digest::from_hex(&hex.to_string().repeat(64)).unwrap(),
            size,
            media_type: "application/octet-stream".into(),
            manifest: false,
        };
        let artifact = |blobs: Vec<super::super::LockedBlob>| ResolvedArtifact {
            artifact: crate::format::Artifact {
                kind: crate::format::ArtifactKind::File,
                reference: "files/x".into(),
                repository: "files/x".into(),
                tag: None,
                digest: Digest::of_bytes(b"m"),
                media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                size: 1,
                platforms: vec![],
                omitted_children: vec![],
                attached: vec![],
                provenance: vec![],
            },
            source: super::super::Source::Local { path: "x".into() },
            blobs,
        };
        let lock = Lock {
            artifacts: vec![
                artifact(vec![blob('a', 100), blob('b', 10)]),
                artifact(vec![blob('a', 100), blob('c', 1)]),
            ],
            ..lock
        };
        assert_eq!(lock.distinct_blobs(), (3, 111));
    }

    #[test]
    fn relock_keeps_created_when_nothing_changed() {
        let a = Lock::relock(None, vec![], UNIX_EPOCH);
        let b = Lock::relock(Some(&a), vec![], UNIX_EPOCH + Duration::from_secs(99));
        assert_eq!(a.created, b.created);
    }

    #[test]
    fn refuses_unknown_versions_naming_the_file() {
        let p = Path::new("x/ferry.lock");
        let err = Lock::from_slice(p, br#"{"version":9,"created":"","artifacts":[]}"#).unwrap_err();
        assert!(err.to_string().contains("x/ferry.lock"), "{err}");
        assert!(Lock::from_slice(p, b"{").is_err());
    }
}
