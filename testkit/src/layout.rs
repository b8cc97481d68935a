//! A writable OCI image layout in a temporary directory.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// An OCI content descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    pub size: u64,
}

impl Descriptor {
    pub fn hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }

    pub fn to_json(&self) -> Value {
        json!({ "mediaType": self.media_type, "digest": self.digest, "size": self.size })
    }
}

pub struct OciLayout {
    dir: TempDir,
    refs: BTreeMap<String, Descriptor>,
    /// Layers already generated in this layout, by label: (compressed descriptor, diff id).
    pub(crate) layers: BTreeMap<String, (Descriptor, String)>,
}

impl Default for OciLayout {
    fn default() -> Self {
        Self::new()
    }
}

impl OciLayout {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir for oci layout");
        fs::create_dir_all(dir.path().join("blobs/sha256")).expect("blobs dir");
        fs::write(
            dir.path().join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .expect("oci-layout");
        let layout = Self {
            dir,
            refs: BTreeMap::new(),
            layers: BTreeMap::new(),
        };
        layout.write_index();
        layout
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Stores a small blob held in memory.
    pub fn put_bytes(&mut self, media_type: &str, bytes: &[u8]) -> Descriptor {
        self.put_stream(media_type, |w| w.write_all(bytes))
    }

    /// Stores a blob produced by `write`, hashing as it goes, never holding it in memory.
    pub fn put_stream(
        &mut self,
        media_type: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Descriptor {
        let blobs = self.dir.path().join("blobs/sha256");
        let tmp = tempfile::NamedTempFile::new_in(&blobs).expect("temp blob");
        let mut w = HashWrite {
            inner: BufWriter::new(tmp),
            hasher: Sha256::new(),
            len: 0,
        };
        write(&mut w).expect("write blob");
        let HashWrite { inner, hasher, len } = w;
        let tmp = inner
            .into_inner()
            .map_err(|e| e.into_error())
            .expect("flush blob");
        let hex = hex::encode(hasher.finalize());
        tmp.persist(blobs.join(&hex)).expect("persist blob");
        Descriptor {
            media_type: media_type.to_owned(),
            digest: format!("sha256:{hex}"),
            size: len,
        }
    }

    /// The bytes of a stored blob.
    pub fn read_blob(&self, d: &Descriptor) -> Vec<u8> {
        fs::read(self.dir.path().join("blobs/sha256").join(d.hex())).expect("read blob")
    }

    /// Names `desc` as `tag` in `index.json` (what `skopeo copy oci:<dir>:<tag>` reads).
    pub fn tag(&mut self, tag: &str, desc: &Descriptor) {
        self.refs.insert(tag.to_owned(), desc.clone());
        self.write_index();
    }

    fn write_index(&self) {
        let manifests: Vec<Value> = self
            .refs
            .iter()
            .map(|(tag, d)| {
                let mut v = d.to_json();
                v["annotations"] = json!({ "org.opencontainers.image.ref.name": tag });
                v
            })
            .collect();
        let index = json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests });
        fs::write(
            self.dir.path().join("index.json"),
            serde_json::to_vec(&index).expect("json"),
        )
        .expect("write index.json");
    }
}

pub(crate) struct HashWrite<W> {
    pub(crate) inner: W,
    pub(crate) hasher: Sha256,
    pub(crate) len: u64,
}

impl<W> HashWrite<W> {
    pub(crate) fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            len: 0,
        }
    }
}

impl<W: Write> Write for HashWrite<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Opens a blob file of a layout for reading.
pub fn open_blob(layout: &OciLayout, d: &Descriptor) -> File {
    File::open(layout.path().join("blobs/sha256").join(d.hex())).expect("open blob")
}
