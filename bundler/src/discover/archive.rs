//! Chart and pack contents read into memory from a directory or a (nested) gzip tarball.
//!
//! Archives are iterated entry by entry and never unpacked to disk: entries with `..`,
//! absolute paths or links are refused and sizes are bounded, so a hostile chart cannot write
//! outside its place or exhaust memory.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path};

use super::error::DiscoverError;

/// Largest single file accepted from a chart or pack.
pub(crate) const MAX_FILE_BYTES: u64 = 32 << 20;
/// Largest total content accepted from one chart or pack (kube-prometheus-stack is ~7 MiB).
pub(crate) const MAX_TOTAL_BYTES: u64 = 256 << 20;
const MAX_ENTRIES: usize = 50_000;

/// Files of a chart or pack keyed by `/`-separated relative path.
#[derive(Debug, Default, Clone)]
pub struct FileSet {
    /// Human-readable origin used in errors and warnings.
    pub label: String,
    files: BTreeMap<String, Vec<u8>>,
}

impl FileSet {
    /// Reads a directory or a `.tgz`/`.tar.gz` file, naming it `label` in errors (the pipeline
    /// reads charts from the cache, whose paths mean nothing to a user); a single top-level
    /// directory in an archive (the `helm package` layout) is stripped.
    pub fn from_path_as(path: &Path, label: &str) -> Result<FileSet, DiscoverError> {
        let io_err = |source| DiscoverError::Io {
            path: label.to_owned(),
            file: "its content".to_owned(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io_err)?;
        if meta.is_dir() {
            return FileSet::from_dir(path, label);
        }
        let file = std::fs::File::open(path).map_err(io_err)?;
        FileSet::from_tgz(label, file)
    }

    fn from_dir(dir: &Path, label: &str) -> Result<FileSet, DiscoverError> {
        let label = label.to_owned();
        let mut set = FileSet {
            label: label.clone(),
            files: BTreeMap::new(),
        };
        let mut total = 0u64;
        for entry in walkdir::WalkDir::new(dir)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|e| DiscoverError::Archive {
                path: label.clone(),
                message: e.to_string(),
            })?;
            let kind = entry.file_type();
            if kind.is_dir() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(dir)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if kind.is_symlink() {
                return Err(DiscoverError::UnsafeEntry {
                    path: label,
                    entry: rel,
                    reason: "symbolic link",
                });
            }
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            total += len;
            check_sizes(&label, &rel, len, total, set.files.len())?;
            let bytes = std::fs::read(entry.path()).map_err(|source| DiscoverError::Io {
                path: label.clone(),
                file: rel.clone(),
                source,
            })?;
            set.files.insert(rel, bytes);
        }
        Ok(set)
    }

    /// Reads a gzip-compressed tarball from `reader`, entry by entry.
    pub fn from_tgz(label: &str, reader: impl Read) -> Result<FileSet, DiscoverError> {
        let archive_err = |e: std::io::Error| DiscoverError::Archive {
            path: label.to_owned(),
            message: e.to_string(),
        };
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
        let mut files = BTreeMap::new();
        let mut total = 0u64;
        for entry in archive.entries().map_err(archive_err)? {
            let mut entry = entry.map_err(archive_err)?;
            let raw_path = entry.path().map_err(archive_err)?.into_owned();
            let shown = raw_path.to_string_lossy().into_owned();
            let kind = entry.header().entry_type();
            if kind.is_dir() || kind.is_pax_global_extensions() {
                continue;
            }
            if kind.is_symlink() || kind.is_hard_link() {
                return Err(unsafe_entry(label, &shown, "link"));
            }
            if !kind.is_file() {
                return Err(unsafe_entry(label, &shown, "not a regular file"));
            }
            let rel = safe_relative(&raw_path)
                .ok_or_else(|| unsafe_entry(label, &shown, "escapes the archive root"))?;
            let len = entry.header().size().map_err(archive_err)?;
            total += len;
            check_sizes(label, &rel, len, total, files.len())?;
            let mut bytes = Vec::with_capacity(len as usize);
            // Read one byte past the declared size so a lying header is caught, not trusted.
            (&mut entry)
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(archive_err)?;
            check_sizes(label, &rel, bytes.len() as u64, total, files.len())?;
            files.insert(rel, bytes);
        }
        let mut set = FileSet {
            label: label.to_owned(),
            files,
        };
        set.strip_single_root();
        Ok(set)
    }

    /// Removes a common single top-level directory (`podinfo/Chart.yaml` -> `Chart.yaml`).
    fn strip_single_root(&mut self) {
        let mut roots = self
            .files
            .keys()
            .filter_map(|k| k.split_once('/').map(|(r, _)| r));
        let Some(first) = roots.next().map(str::to_owned) else {
            return;
        };
        let all_under = self
            .files
            .keys()
            .all(|k| k.split_once('/').is_some_and(|(r, _)| r == first));
        if all_under {
            let prefix = format!("{first}/");
            self.files = std::mem::take(&mut self.files)
                .into_iter()
                .map(|(k, v)| (k[prefix.len()..].to_owned(), v))
                .collect();
        }
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub fn get_str(&self, path: &str) -> Option<String> {
        self.get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The files under `dir/`, re-rooted there.
    pub fn subdir(&self, dir: &str) -> FileSet {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        FileSet {
            label: format!("{}/{dir}", self.label),
            files: self
                .files
                .iter()
                .filter_map(|(k, v)| {
                    k.strip_prefix(&prefix)
                        .map(|rest| (rest.to_owned(), v.clone()))
                })
                .collect(),
        }
    }

    /// The files whose path `keep` accepts (the renderer applies `.helmignore` with it).
    pub fn filtered(&self, keep: impl Fn(&str) -> bool) -> FileSet {
        FileSet {
            label: self.label.clone(),
            files: self
                .files
                .iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// A nested `.tgz` member opened as its own file set.
    pub fn nested_tgz(&self, path: &str) -> Result<FileSet, DiscoverError> {
        let bytes = self.get(path).unwrap_or_default();
        FileSet::from_tgz(&format!("{}/{path}", self.label), bytes)
    }
}

fn unsafe_entry(label: &str, entry: &str, reason: &'static str) -> DiscoverError {
    DiscoverError::UnsafeEntry {
        path: label.to_owned(),
        entry: entry.to_owned(),
        reason,
    }
}

fn check_sizes(
    label: &str,
    rel: &str,
    len: u64,
    total: u64,
    count: usize,
) -> Result<(), DiscoverError> {
    if len > MAX_FILE_BYTES {
        return Err(DiscoverError::TooLarge {
            path: format!("{label}/{rel}"),
            limit: MAX_FILE_BYTES,
        });
    }
    if total > MAX_TOTAL_BYTES || count >= MAX_ENTRIES {
        return Err(DiscoverError::TooLarge {
            path: label.to_owned(),
            limit: MAX_TOTAL_BYTES,
        });
    }
    Ok(())
}

/// Only plain relative components (and `.`) are accepted.
fn safe_relative(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?.to_owned()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}
