//! Real bundles for the import and store tests: small OCI images generated on the spot (config,
//! gzip layers, per-platform manifests, a multi-arch index, a cosign-style signature manifest),
//! written and signed with ferry's own writer and signer, plus raw tar assembly for hostile
//! variants the writer would never produce.
#![allow(dead_code)] // each test crate uses a different part

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ferry_bundler::format::layout::{
    blob_entry, media, BUNDLE_MANIFEST_MEDIA_TYPE, INDEX_ENTRY, MANIFEST_ENTRY, OCI_LAYOUT_CONTENT,
    OCI_LAYOUT_ENTRY, REF_NAME_ANNOTATION, SIGNATURE_ENTRY,
};
use ferry_bundler::format::ustar::{canonical_header, padding_len, END_OF_ARCHIVE_LEN};
use ferry_bundler::format::{
    Artifact, ArtifactKind, Attached, BlobRef, BundleKind, BundleManifest, Digest, OmittedChild,
    Provenance, TrustedKey,
};
use ferry_bundler::sign::{keygen, SigningKey};
use ferry_bundler::writer::{write_bundle, Compression, DirBlobSource};
use serde_json::json;

pub const CREATED: &str = "2026-11-01T12:00:00Z";
pub const MTIME: u64 = 1_793_534_400;

/// Deterministic incompressible bytes (xorshift), so layers have realistic sizes.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Blobs by digest, plus the order-free bookkeeping to build artifacts from them.
#[derive(Default, Clone)]
pub struct Content {
    pub blobs: BTreeMap<Digest, Vec<u8>>,
    pub artifacts: Vec<Artifact>,
}

pub struct Image {
    pub index: Digest,
    /// (platform, manifest digest, config + layer digests)
    pub platforms: Vec<(String, Digest, Vec<Digest>)>,
    pub signature: Digest,
}

impl Content {
    fn add(&mut self, bytes: Vec<u8>) -> (Digest, u64) {
        let d = Digest::of_bytes(&bytes);
        let size = bytes.len() as u64;
        self.blobs.insert(d.clone(), bytes);
        (d, size)
    }

    /// A multi-arch image `repo:tag`: one manifest per platform with its own config and a layer of
    /// its own, all sharing `base_layer_seed`'s layer; plus a `.sig` signature manifest.
    /// `omit` platforms are left out (a sparse index: the index keeps every child).
    pub fn image(
        &mut self,
        repo: &str,
        tag: &str,
        seed: u64,
        base_layer_seed: u64,
        omit: &[&str],
    ) -> Image {
        let (base, base_size) = self.add(gzip(&noise(base_layer_seed, 300_000)));
        let mut children = Vec::new();
        let mut platforms = Vec::new();
        let mut omitted = Vec::new();
        for (i, platform) in ["linux/amd64", "linux/arm64"].iter().enumerate() {
            let (os, arch) = platform.split_once('/').unwrap();
            let config =
                json!({"architecture": arch, "os": os, "rootfs": {"type": "layers"}, "seed": seed})
                    .to_string();
            let own_layer = gzip(&noise(seed * 10 + i as u64, 20_000 + i * 1000));
            let manifest_blobs = [config.into_bytes(), own_layer];
            let stored = !omit.contains(platform);
            let mut descs = Vec::new();
            for b in manifest_blobs {
                let d = Digest::of_bytes(&b);
                descs.push((d.clone(), b.len() as u64));
                if stored {
                    self.blobs.insert(d, b);
                }
            }
            let manifest = json!({
                "schemaVersion": 2,
                "mediaType": media::OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": descs[0].0, "size": descs[0].1},
                "layers": [
                    {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": base, "size": base_size},
                    {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": descs[1].0, "size": descs[1].1},
                ],
            })
            .to_string()
            .into_bytes();
            let md = Digest::of_bytes(&manifest);
            children.push(
                json!({"mediaType": media::OCI_MANIFEST, "digest": md, "size": manifest.len(),
                "platform": {"os": os, "architecture": arch}}),
            );
            if stored {
                self.blobs.insert(md.clone(), manifest);
                platforms.push((
                    platform.to_string(),
                    md,
                    vec![descs[0].0.clone(), base.clone(), descs[1].0.clone()],
                ));
            } else {
                omitted.push(OmittedChild {
                    digest: md,
                    platform: platform.to_string(),
                });
            }
        }
        let index =
            json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": children})
                .to_string();
        let (index_digest, index_size) = self.add(index.into_bytes());

        let (sig_config, sig_config_size) = self.add(b"{}".to_vec());
        let (payload, payload_size) =
            self.add(format!("{{\"critical\":{{\"image\":\"{index_digest}\"}}}}").into_bytes());
        let sig = json!({
            "schemaVersion": 2, "mediaType": media::OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sig_config, "size": sig_config_size},
            "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": payload, "size": payload_size}],
        })
        .to_string();
        let (sig_digest, sig_size) = self.add(sig.into_bytes());

        self.artifacts.push(Artifact {
            kind: ArtifactKind::Image,
            reference: format!("{repo}:{tag}"),
            repository: repo.to_owned(),
            tag: Some(tag.to_owned()),
            digest: index_digest.clone(),
            media_type: media::OCI_INDEX.to_owned(),
            size: index_size,
            platforms: vec![],
            omitted_children: omitted,
            attached: vec![Attached {
                relation: "signature".into(),
                tag: Some(format!("sha256-{}.sig", index_digest.hex())),
                digest: sig_digest.clone(),
                media_type: media::OCI_MANIFEST.to_owned(),
                size: sig_size,
                artifact_type: None,
            }],
            provenance: vec![Provenance {
                profile: "edge".into(),
                layer: "addon".into(),
                origin: "test".into(),
            }],
        });
        Image {
            index: index_digest,
            platforms,
            signature: sig_digest,
        }
    }

    /// A plain file carried as a one-layer artifact with an artifactType.
    pub fn file(&mut self, name: &str, bytes: Vec<u8>) -> Digest {
        let (config, config_size) = self.add(b"{}".to_vec());
        let (layer, layer_size) = self.add(bytes);
        let manifest = json!({
            "schemaVersion": 2, "mediaType": media::OCI_MANIFEST, "artifactType": media::FILE_ARTIFACT,
            "config": {"mediaType": media::OCI_EMPTY, "digest": config, "size": config_size},
            "layers": [{"mediaType": media::FILE_LAYER, "digest": layer, "size": layer_size}],
        })
        .to_string();
        let (digest, size) = self.add(manifest.into_bytes());
        self.artifacts.push(Artifact {
            kind: ArtifactKind::File,
            reference: format!("files/{name}"),
            repository: format!("files/{name}"),
            tag: Some("latest".into()),
            digest: digest.clone(),
            media_type: media::OCI_MANIFEST.to_owned(),
            size,
            platforms: vec![],
            omitted_children: vec![],
            attached: vec![],
            provenance: vec![Provenance {
                profile: "edge".into(),
                layer: "os".into(),
                origin: "test".into(),
            }],
        });
        digest
    }
}

/// A bundle on disk with everything needed to check an import of it.
pub struct Fixture {
    pub path: PathBuf,
    pub manifest: BundleManifest,
    pub manifest_bytes: Vec<u8>,
    pub index_json: Vec<u8>,
    pub signature: Option<Vec<u8>>,
    pub content: Content,
}

impl Fixture {
    pub fn manifest_digest(&self) -> Digest {
        Digest::of_bytes(&self.manifest_bytes)
    }

    /// The archive's entries in format order, as (path, content).
    pub fn entries(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = vec![(MANIFEST_ENTRY.to_owned(), self.manifest_bytes.clone())];
        if let Some(sig) = &self.signature {
            out.push((SIGNATURE_ENTRY.to_owned(), sig.clone()));
        }
        out.push((OCI_LAYOUT_ENTRY.to_owned(), OCI_LAYOUT_CONTENT.to_vec()));
        out.push((INDEX_ENTRY.to_owned(), self.index_json.clone()));
        for b in &self.manifest.blobs {
            out.push((blob_entry(&b.digest), self.content.blobs[&b.digest].clone()));
        }
        out
    }
}

/// One test key pair per process: key derivation is the slow part.
pub struct Keys {
    pub signing: SigningKey,
    pub trusted: TrustedKey,
    /// The public key file, for child processes that must trust the same key.
    pub public_key: PathBuf,
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let files = keygen(&dir, b"test-password").unwrap();
        Keys {
            signing: SigningKey::load(&files.private_key, b"test-password").unwrap(),
            trusted: TrustedKey::from_file(&files.public_key).unwrap(),
            public_key: files.public_key.clone(),
        }
    })
}

/// A second, untrusted key pair.
pub fn other_keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let files = keygen(&dir, b"other").unwrap();
        Keys {
            signing: SigningKey::load(&files.private_key, b"other").unwrap(),
            trusted: TrustedKey::from_file(&files.public_key).unwrap(),
            public_key: files.public_key.clone(),
        }
    })
}

/// Writes `content` as a bundle at `dir/name` with ferry's writer, signed by `signer` if given.
pub fn write(
    dir: &Path,
    name: &str,
    content: &Content,
    signer: Option<&Keys>,
    compression: Compression,
) -> Fixture {
    write_with(dir, name, content, signer, compression, vec![])
}

/// A signed delta bundle: `external` blobs are referenced but not carried.
pub fn write_delta(dir: &Path, content: &Content, external: Vec<BlobRef>) -> Fixture {
    write_with(
        dir,
        "delta.ferry",
        content,
        Some(keys()),
        Compression::default(),
        external,
    )
}

fn write_with(
    dir: &Path,
    name: &str,
    content: &Content,
    signer: Option<&Keys>,
    compression: Compression,
    external_blobs: Vec<BlobRef>,
) -> Fixture {
    let mut artifacts = content.artifacts.clone();
    artifacts.sort_by(|a, b| (a.kind, &a.reference).cmp(&(b.kind, &b.reference)));
    let index_manifests: Vec<_> = artifacts
        .iter()
        .map(|a| {
            json!({"mediaType": a.media_type, "digest": a.digest, "size": a.size,
            "annotations": {REF_NAME_ANNOTATION: a.reference}})
        })
        .collect();
    let index_json =
        json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": index_manifests})
            .to_string()
            .into_bytes();
    let manifest = BundleManifest {
        schema_version: 1,
        media_type: BUNDLE_MANIFEST_MEDIA_TYPE.to_owned(),
        kind: if external_blobs.is_empty() {
            BundleKind::Full
        } else {
            BundleKind::Delta
        },
        created: CREATED.to_owned(),
        generator: format!("ferry-test {name}"),
        lock_digest: Digest::of_bytes(name.as_bytes()),
        profiles: vec![],
        artifacts,
        index: BlobRef {
            digest: Digest::of_bytes(&index_json),
            size: index_json.len() as u64,
        },
        blobs: content
            .blobs
            .iter()
            .map(|(d, b)| BlobRef {
                digest: d.clone(),
                size: b.len() as u64,
            })
            .collect(),
        external_blobs,
    };
    let manifest_bytes = manifest.to_vec();
    let signature = signer.map(|k| k.signing.sign_manifest(&manifest_bytes).unwrap());
    let blob_dir = dir.join(format!("{name}.blobs"));
    std::fs::create_dir_all(&blob_dir).unwrap();
    for (d, b) in &content.blobs {
        std::fs::write(blob_dir.join(d.hex()), b).unwrap();
    }
    let path = dir.join(name);
    write_bundle(
        &path,
        &manifest,
        &index_json,
        signature.as_deref(),
        &DirBlobSource::new(&blob_dir),
        compression,
        &|_| {},
    )
    .unwrap();
    Fixture {
        path,
        manifest,
        manifest_bytes,
        index_json,
        signature,
        content: content.clone(),
    }
}

/// The usual first bundle: a two-platform image with a signature, and a file.
pub fn bundle_a(dir: &Path) -> Fixture {
    let mut c = Content::default();
    c.image("docker.io/library/app", "1.0", 1, 100, &[]);
    c.file("talos.iso", noise(7, 50_000));
    write(dir, "a.ferry", &c, Some(keys()), Compression::default())
}

/// A second bundle sharing bundle A's base layer (seed 100), with a sparse index.
pub fn bundle_b(dir: &Path) -> Fixture {
    let mut c = Content::default();
    c.image("docker.io/library/web", "2.0", 2, 100, &["linux/arm64"]);
    write(dir, "b.ferry", &c, Some(keys()), Compression::default())
}

/// A tar header for `path` (raw bytes, so hostile names are possible) of entry type `kind`.
pub fn raw_header(path: &[u8], size: u64, kind: u8) -> [u8; 512] {
    let mut h = tar::Header::new_ustar();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(MTIME);
    h.set_entry_type(tar::EntryType::new(kind));
    let block = h.as_old_mut();
    block.name[..path.len().min(100)].copy_from_slice(&path[..path.len().min(100)]);
    h.set_cksum();
    *h.as_bytes()
}

/// Appends an entry with the canonical header ferry writes (falls back to raw for odd paths).
pub fn push_entry(out: &mut Vec<u8>, path: &str, content: &[u8]) {
    match canonical_header(path, content.len() as u64, MTIME) {
        Ok(h) => out.extend_from_slice(h.as_bytes()),
        Err(_) => out.extend_from_slice(&raw_header(path.as_bytes(), content.len() as u64, b'0')),
    }
    out.extend_from_slice(content);
    out.extend(std::iter::repeat_n(
        0u8,
        padding_len(content.len() as u64) as usize,
    ));
}

/// An uncompressed archive of `entries` (with the end-of-archive blocks).
pub fn assemble(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (path, content) in entries {
        push_entry(&mut out, path, content);
    }
    out.extend(std::iter::repeat_n(0u8, END_OF_ARCHIVE_LEN as usize));
    out
}

/// Rows of every table that makes content visible or records a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visible {
    pub repositories: i64,
    pub manifests: i64,
    pub manifest_refs: i64,
    pub tags: i64,
    pub bundles: i64,
    pub bundle_artifacts: i64,
    pub bundle_tags: i64,
    /// Blobs a repository may serve.
    pub repository_blobs: i64,
}

pub async fn visible(store: &ferry_mirror::store::Store) -> Visible {
    let count = |table: &'static str| async move {
        // Table names are the fixed literals below.
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(store.db())
            .await
            .unwrap()
    };
    Visible {
        repositories: count("repositories").await,
        manifests: count("manifests").await,
        manifest_refs: count("manifest_refs").await,
        tags: count("tags").await,
        bundles: count("bundles").await,
        bundle_artifacts: count("bundle_artifacts").await,
        bundle_tags: count("bundle_tags").await,
        repository_blobs: count("repository_blobs").await,
    }
}

pub async fn tag_digest(
    store: &ferry_mirror::store::Store,
    repo: &str,
    tag: &str,
) -> Option<String> {
    sqlx::query_scalar("SELECT digest FROM tags WHERE repository = ? AND tag = ?")
        .bind(repo)
        .bind(tag)
        .fetch_optional(store.db())
        .await
        .unwrap()
}

/// Import options trusting the test key.
pub fn trusting() -> ferry_mirror::import::ImportOptions {
    ferry_mirror::import::ImportOptions {
        trusted_keys: vec![keys().trusted.clone()],
        ..Default::default()
    }
}

/// Files under `blobs/sha256/`.
pub fn blob_files(store: &ferry_mirror::store::Store) -> usize {
    walkdir(store.root().join("blobs/sha256"))
}

fn walkdir(dir: PathBuf) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        n += if p.is_dir() { walkdir(p) } else { 1 };
    }
    n
}
