//! List documents from a directory: `pods.json`, `nodes.json`, `ocirepositories.json`,
//! `kustomizations.json`, `helmreleases.json`, `applications.json`, each what
//! `kubectl get <plural> -A -o json` prints.

use std::path::{Path, PathBuf};

use super::{KubeError, KubeSource, Resource};

/// Largest document read: a List of 200,000 pods is about this size.
const MAX_FILE: u64 = 1024 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Files {
    dir: PathBuf,
}

impl Files {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a resource is read from (`<dir>/pods.json`).
    pub fn path_of(&self, what: Resource) -> PathBuf {
        self.dir.join(format!("{}.json", what.plural()))
    }

    fn read(&self, what: Resource) -> Result<serde_json::Value, KubeError> {
        let path = self.path_of(what);
        let err = |reason: String| KubeError::File {
            what: "List document",
            path: path.display().to_string(),
            reason,
        };
        let meta = match std::fs::metadata(&path) {
            // Like a CRD that is not installed: no Flux (or no Argo CD) in the captured cluster.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && what.is_optional() => {
                return Ok(what.empty_list())
            }
            Err(e) => return Err(err(e.to_string())),
            Ok(m) => m,
        };
        if meta.len() > MAX_FILE {
            return Err(err(format!("{} bytes, more than {MAX_FILE}", meta.len())));
        }
        let bytes = std::fs::read(&path).map_err(|e| err(e.to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| KubeError::NotJson {
            resource: what,
            origin: path.display().to_string(),
            reason: e.to_string(),
        })
    }
}

impl KubeSource for Files {
    async fn list(&self, what: Resource) -> Result<serde_json::Value, KubeError> {
        self.read(what)
    }
}
