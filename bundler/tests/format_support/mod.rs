//! Shared helpers for the format tests: real bundles written to disk, and raw tar parts for
//! crafting hostile archives block by block.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use ferry_bundler::format::layout::{
    blob_entry, media, BUNDLE_MANIFEST_MEDIA_TYPE, INDEX_ENTRY, MANIFEST_ENTRY, OCI_LAYOUT_CONTENT,
    OCI_LAYOUT_ENTRY, SIGNATURE_ENTRY,
};
use ferry_bundler::format::ustar::{canonical_header, padding_len};
use ferry_bundler::format::{
    read_bundle, Artifact, ArtifactKind, BlobRef, BundleKind, BundleManifest, Digest, FormatError,
    HeadDecision, Provenance, ReadSummary,
};
use ferry_bundler::writer::{write_bundle, Compression, DirBlobSource, WriteSummary};
use serde_json::json;

pub const CREATED: &str = "2026-01-02T03:04:05Z";
pub const MTIME: u64 = 1_767_323_045;

/// A bundle's parts: manifest, index and a directory of blobs named by hex digest.
pub struct Sample {
    pub dir: tempfile::TempDir,
    pub manifest: BundleManifest,
    pub index_json: Vec<u8>,
    pub blobs: Vec<(Digest, Vec<u8>)>,
}

impl Sample {
    /// `contents` as the layers of one file artifact whose manifest is carried too: a bundle
    /// that passes `verify`'s validation, not only the reader's checks.
    pub fn artifact(contents: &[&[u8]]) -> Self {
        let layers: Vec<_> = contents
            .iter()
            .map(|c| json!({"mediaType": media::FILE_LAYER, "digest": Digest::of_bytes(c), "size": c.len()}))
            .collect();
        let manifest = json!({"schemaVersion": 2, "mediaType": media::OCI_MANIFEST,
            "artifactType": media::FILE_ARTIFACT, "layers": layers})
        .to_string()
        .into_bytes();
        let mut all = contents.to_vec();
        all.push(&manifest);
        let mut sample = Self::new(&all);
        let a = &mut sample.manifest.artifacts[0];
        a.digest = Digest::of_bytes(&manifest);
        a.media_type = media::OCI_MANIFEST.into();
        a.size = manifest.len() as u64;
        sample
    }

    /// `contents` as blobs, the first of them standing for a file artifact's manifest.
    pub fn new(contents: &[&[u8]]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("blobs")).unwrap();
        let mut blobs: Vec<(Digest, Vec<u8>)> = contents
            .iter()
            .map(|c| (Digest::of_bytes(c), c.to_vec()))
            .collect();
        blobs.sort_by(|a, b| a.0.cmp(&b.0));
        blobs.dedup_by(|a, b| a.0 == b.0);
        for (d, c) in &blobs {
            std::fs::write(dir.path().join("blobs").join(d.hex()), c).unwrap();
        }
        let artifacts = blobs
            .first()
            .map(|(d, c)| Artifact {
                kind: ArtifactKind::File,
                reference: "files/sample.bin".into(),
                repository: "files/sample.bin".into(),
                tag: None,
                digest: d.clone(),
                media_type: media::FILE_ARTIFACT.into(),
                size: c.len() as u64,
                platforms: vec![],
                omitted_children: vec![],
                attached: vec![],
                provenance: vec![Provenance {
                    profile: "edge".into(),
                    layer: "files".into(),
                    origin: "files (listed by hand)".into(),
                }],
            })
            .into_iter()
            .collect();
        let index_json = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.to_vec();
        let manifest = BundleManifest {
            schema_version: 1,
            media_type: BUNDLE_MANIFEST_MEDIA_TYPE.into(),
            kind: BundleKind::Full,
            created: CREATED.into(),
            generator: "ferry test".into(),
            lock_digest: Digest::of_bytes(b"lock"),
            profiles: vec![],
            artifacts,
            index: BlobRef {
                digest: Digest::of_bytes(&index_json),
                size: index_json.len() as u64,
            },
            blobs: blobs
                .iter()
                .map(|(d, c)| BlobRef {
                    digest: d.clone(),
                    size: c.len() as u64,
                })
                .collect(),
            external_blobs: vec![],
        };
        Self {
            dir,
            manifest,
            index_json,
            blobs,
        }
    }

    pub fn source(&self) -> DirBlobSource {
        DirBlobSource::new(self.dir.path().join("blobs"))
    }

    pub fn write(
        &self,
        name: &str,
        signature: Option<&[u8]>,
        compression: Compression,
    ) -> (PathBuf, WriteSummary) {
        let path = self.dir.path().join(name);
        let summary = write_bundle(
            &path,
            &self.manifest,
            &self.index_json,
            signature,
            &self.source(),
            compression,
            &|_| {},
        )
        .unwrap();
        (path, summary)
    }

    /// The canonical archive as parts, for tests that alter it.
    pub fn parts(&self, signature: Option<&[u8]>) -> Vec<Part> {
        let mut parts = vec![Part::entry(MANIFEST_ENTRY, &self.manifest.to_vec())];
        if let Some(sig) = signature {
            parts.push(Part::entry(SIGNATURE_ENTRY, sig));
        }
        parts.push(Part::entry(OCI_LAYOUT_ENTRY, OCI_LAYOUT_CONTENT));
        parts.push(Part::entry(INDEX_ENTRY, &self.index_json));
        for (d, c) in &self.blobs {
            parts.push(Part::entry(&blob_entry(d), c));
        }
        parts.push(Part::End);
        parts
    }
}

/// One piece of a tar stream.
#[derive(Clone, Debug)]
pub enum Part {
    Entry {
        header: Box<[u8; 512]>,
        content: Vec<u8>,
    },
    /// The two zero blocks.
    End,
    Raw(Vec<u8>),
}

impl Part {
    pub fn entry(path: &str, content: &[u8]) -> Self {
        let header = canonical_header(path, content.len() as u64, MTIME).unwrap();
        Part::Entry {
            header: Box::new(*header.as_bytes()),
            content: content.to_vec(),
        }
    }

    /// An entry whose header path is written raw into the name field (no validation).
    pub fn raw_path(path: &[u8], content: &[u8]) -> Self {
        let mut header = canonical_header("x", content.len() as u64, MTIME).unwrap();
        let bytes = header.as_mut_bytes();
        bytes[..100].fill(0);
        bytes[..path.len()].copy_from_slice(path);
        header.set_cksum();
        Part::Entry {
            header: Box::new(*header.as_bytes()),
            content: content.to_vec(),
        }
    }

    /// Applies `f` to the header block, then fixes the checksum.
    pub fn with_header(mut self, f: impl FnOnce(&mut tar::Header)) -> Self {
        if let Part::Entry { header, .. } = &mut self {
            let mut h = tar::Header::from_byte_slice(&header[..]).clone();
            f(&mut h);
            h.set_cksum();
            **header = *h.as_bytes();
        }
        self
    }
}

pub fn serialize(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        match p {
            Part::Entry { header, content } => {
                out.extend_from_slice(&header[..]);
                out.extend_from_slice(content);
                out.resize(out.len() + padding_len(content.len() as u64) as usize, 0);
            }
            Part::End => out.extend_from_slice(&[0u8; 1024]),
            Part::Raw(b) => out.extend_from_slice(b),
        }
    }
    out
}

/// Reads a whole bundle from memory, reading every entry fully and finishing it.
pub fn read_all(bytes: &[u8]) -> Result<ReadSummary, FormatError> {
    read_stream(bytes)
}

pub fn read_stream<R: Read>(source: R) -> Result<ReadSummary, FormatError> {
    read_bundle::<_, FormatError, _, _>(
        source,
        |_| Ok(HeadDecision::Continue),
        |_, mut entry| {
            // On a read error, finish() names the reason (e.g. truncation) as a FormatError.
            let copied = std::io::copy(&mut entry, &mut std::io::sink());
            let path = entry.path().to_owned();
            entry.finish()?;
            copied.map_err(|source| FormatError::Io {
                entry: path,
                source,
            })?;
            Ok(())
        },
    )
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

pub fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}
