//! Deterministic `.tar.gz` packaging of a local chart or pack directory.
//!
//! A directory has no digest of its own; packing it the same way every time (sorted paths, fixed
//! headers, no timestamps) gives it one, so local sources lock and rebuild byte for byte.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use walkdir::WalkDir;

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("cannot package {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot package {path}: {entry} is a symbolic link or special file")]
    NotRegular { path: PathBuf, entry: PathBuf },
}

/// A chart or pack source ready to read: a directory is packaged into `work` (named by its
/// canonical path, so every spelling of it shares one package); a `.tgz` is used as it is.
pub fn package_source(path: &Path, work: &Path) -> Result<PathBuf, PackageError> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let canonical = std::fs::canonicalize(path).map_err(|source| PackageError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let root = canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "source".into());
    let key = crate::format::Digest::of_bytes(canonical.as_os_str().as_encoded_bytes());
    let out = work.join(format!("{root}-{}.tgz", &key.hex()[..12]));
    // Another build sharing the cache may be reading `out`: write aside, then rename.
    // Registered, so an interrupted build removes it with its other temp files.
    let tmp = out.with_extension(format!("tgz.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let packaged = crate::writer::temp_files::create(&tmp, 0o644)
        .map_err(|source| PackageError::Io {
            path: tmp.clone(),
            source,
        })
        .and_then(|file| package_into(path, &root, file, &tmp))
        .and_then(|()| {
            std::fs::rename(&tmp, &out).map_err(|source| PackageError::Io {
                path: out.clone(),
                source,
            })
        });
    crate::writer::temp_files::forget(&tmp);
    if packaged.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    packaged.map(|()| out)
}

/// Packs `dir` as `<root_name>/<relative path>` entries into `out` (a new file).
/// Only directories and regular files are allowed: a link could reach outside the source.
pub fn package_dir(dir: &Path, root_name: &str, out: &Path) -> Result<(), PackageError> {
    let file = File::create(out).map_err(|source| PackageError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    package_into(dir, root_name, file, out)
}

/// [`package_dir`] into an open `file` (named `out` in errors).
fn package_into(dir: &Path, root_name: &str, file: File, out: &Path) -> Result<(), PackageError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackageError::Io { path, source }
    };
    // mtime 0 and no file name in the gzip header: same input, same bytes.
    let gz = GzEncoder::new(file, flate2::Compression::new(6));
    let mut tar = tar::Builder::new(gz);
    let walker = WalkDir::new(dir).sort_by_file_name().follow_links(false);
    for entry in walker {
        let entry = entry.map_err(|e| PackageError::Io {
            path: dir.to_path_buf(),
            source: e.into(),
        })?;
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("walk stays under dir");
        if rel.as_os_str().is_empty() {
            continue;
        }
        let ft = entry.file_type();
        let name = Path::new(root_name).join(rel);
        let mut header = tar::Header::new_ustar();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        if ft.is_dir() {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
            tar.append_data(&mut header, &name, io::empty())
                .map_err(io_err(entry.path()))?;
        } else if ft.is_file() {
            let f = File::open(entry.path()).map_err(io_err(entry.path()))?;
            let len = f.metadata().map_err(io_err(entry.path()))?.len();
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(0o644);
            header.set_size(len);
            tar.append_data(&mut header, &name, f)
                .map_err(io_err(entry.path()))?;
        } else {
            return Err(PackageError::NotRegular {
                path: dir.to_path_buf(),
                entry: entry.path().to_path_buf(),
            });
        }
    }
    let gz = tar.into_inner().map_err(io_err(out))?;
    let mut file = gz.finish().map_err(io_err(out))?;
    file.flush().map_err(io_err(out))?;
    file.sync_all().map_err(io_err(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packaging_is_byte_identical_and_refuses_links() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("templates")).unwrap();
        std::fs::write(src.path().join("Chart.yaml"), "name: x\nversion: 1.0.0\n").unwrap();
        std::fs::write(src.path().join("templates/a.yaml"), "kind: Pod\n").unwrap();
        let out = tempfile::tempdir().unwrap();
        let (a, b) = (out.path().join("a.tgz"), out.path().join("b.tgz"));
        package_dir(src.path(), "x", &a).unwrap();
        // A later mtime must not change the bytes.
        std::fs::write(src.path().join("templates/a.yaml"), "kind: Pod\n").unwrap();
        package_dir(src.path(), "x", &b).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());

        std::os::unix::fs::symlink("/etc/passwd", src.path().join("templates/leak")).unwrap();
        let err = package_dir(src.path(), "x", &out.path().join("c.tgz")).unwrap_err();
        assert!(err.to_string().contains("leak"), "{err}");
    }
}
