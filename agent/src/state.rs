//! The agent's last sequence number, on disk. It is advanced (and synced) before a report
//! leaves, so an agent that crashes or restarts never sends a sequence twice: the appliance
//! refuses a sequence it has seen, and a reused one would lose the report.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("sequence state file {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("sequence state file {path} is not ferry agent state: {reason}")]
    Parse { path: String, reason: String },
    #[error("sequence state file {path} belongs to cluster {found}, not {expected}: give each cluster's agent its own --state")]
    OtherCluster {
        path: String,
        found: String,
        expected: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StateDoc {
    cluster: String,
    last_sequence: u64,
}

#[derive(Debug, Clone)]
pub struct SequenceState {
    path: PathBuf,
    cluster: String,
}

impl SequenceState {
    pub fn new(path: impl Into<PathBuf>, cluster: &str) -> Self {
        Self {
            path: path.into(),
            cluster: cluster.to_owned(),
        }
    }

    /// `<credential>.state` beside the credential file.
    pub fn default_path(credential: &Path) -> PathBuf {
        let mut name = credential
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "credential".into());
        name.push(".state");
        credential.with_file_name(name)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, e: impl std::fmt::Display) -> StateError {
        StateError::Io {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        }
    }

    /// The last sequence used, 0 before the first report.
    pub fn last(&self) -> Result<u64, StateError> {
        let bytes = match std::fs::read(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(self.io(e)),
            Ok(b) => b,
        };
        let doc: StateDoc = serde_json::from_slice(&bytes).map_err(|e| StateError::Parse {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        if doc.cluster != self.cluster {
            return Err(StateError::OtherCluster {
                path: self.path.display().to_string(),
                found: doc.cluster,
                expected: self.cluster.clone(),
            });
        }
        Ok(doc.last_sequence)
    }

    /// Records `sequence` as used: temp file, fsync, rename over the old file, fsync the
    /// directory. A crash leaves either the old or the new number, never a torn file.
    pub fn record(&self, sequence: u64) -> Result<(), StateError> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        let doc = StateDoc {
            cluster: self.cluster.clone(),
            last_sequence: sequence,
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| self.io(e))?;
        serde_json::to_writer(&mut tmp, &doc).map_err(|e| self.io(e))?;
        tmp.write_all(b"\n").map_err(|e| self.io(e))?;
        tmp.as_file().sync_all().map_err(|e| self.io(e))?;
        tmp.persist(&self.path).map_err(|e| self.io(e.error))?;
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| self.io(e))?;
        Ok(())
    }

    /// The next sequence, recorded as used before it is returned.
    pub fn advance(&self) -> Result<u64, StateError> {
        let next = self
            .last()?
            .checked_add(1)
            .ok_or_else(|| self.io("sequence overflow"))?;
        self.record(next)?;
        Ok(next)
    }
}
