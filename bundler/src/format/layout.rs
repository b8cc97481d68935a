//! Names and fixed contents of the entries inside a bundle archive.
//!
//! The archive is a plain tar (optionally zstd-compressed). The order of entries is part of the
//! format: the bundle manifest and its signature come first so that a reader can check them
//! before it reads a single blob.

use super::digest::Digest;

/// Entry 1: the bundle manifest (JSON, see [`super::manifest::BundleManifest`]).
pub const MANIFEST_ENTRY: &str = "ferry-bundle.json";
/// Entry 2: a Sigstore bundle (v0.3, message signature) over the bytes of [`MANIFEST_ENTRY`].
/// Present in every signed bundle; an unsigned bundle omits it.
pub const SIGNATURE_ENTRY: &str = "ferry-bundle.sigstore.json";
/// Entry 3: the OCI image layout marker, with exactly [`OCI_LAYOUT_CONTENT`].
pub const OCI_LAYOUT_ENTRY: &str = "oci-layout";
pub const OCI_LAYOUT_CONTENT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;
/// Entry 4: the OCI image index of the layout; its digest is recorded in the bundle manifest.
pub const INDEX_ENTRY: &str = "index.json";
/// Then every blob, once, as `blobs/sha256/<hex>`, in the order the bundle manifest lists them.
pub const BLOBS_DIR: &str = "blobs/sha256/";

/// Media type of the bundle manifest document.
pub const BUNDLE_MANIFEST_MEDIA_TYPE: &str = "application/vnd.ferry.bundle.manifest.v1+json";

/// Largest JSON entry (manifest, signature, index) a reader will hold in memory.
/// Blobs are always streamed; these documents are parsed, so they are bounded.
pub const MAX_DOCUMENT_SIZE: u64 = 64 * 1024 * 1024;

/// The archive path of a blob.
pub fn blob_entry(digest: &Digest) -> String {
    format!("{BLOBS_DIR}{}", digest.hex())
}

/// The digest named by a blob entry path, if the path is exactly `blobs/sha256/<64 hex>`.
pub fn parse_blob_entry(path: &str) -> Option<Digest> {
    path.strip_prefix(BLOBS_DIR)
        .and_then(|hex| Digest::from_hex(hex).ok())
}

/// OCI annotation that carries an artifact's full upstream reference in `index.json`.
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

/// Media types ferry uses for the artifacts it wraps.
pub mod media {
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    pub const DOCKER_MANIFEST_LIST: &str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
    /// Helm's OCI chart media types.
    pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
    pub const HELM_CHART: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
    pub const HELM_PROV: &str = "application/vnd.cncf.helm.chart.provenance.v1.prov";
    /// A Spectro pack, as a gzip tar of the pack directory.
    pub const PACK_ARTIFACT: &str = "application/vnd.ferry.pack.v1";
    pub const PACK_LAYER: &str = "application/vnd.ferry.pack.layer.v1.tar+gzip";
    /// A plain file carried as a one-layer artifact.
    pub const FILE_ARTIFACT: &str = "application/vnd.ferry.file.v1";
    pub const FILE_LAYER: &str = "application/octet-stream";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_entry_roundtrip() {
        let d = Digest::of_bytes(b"x");
        assert_eq!(parse_blob_entry(&blob_entry(&d)), Some(d));
        assert_eq!(parse_blob_entry("blobs/sha256/../../etc/passwd"), None);
        assert_eq!(parse_blob_entry("blobs/sha512/aa"), None);
    }
}
