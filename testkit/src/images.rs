//! Seeded OCI content: images, multi-arch indexes, cosign signatures, referrers, Helm charts.
//!
//! Everything is derived from string labels, so the same calls give the same digests on every
//! run. Layers are gzip tars of real-looking files, streamed to disk (large sizes are cheap in
//! memory; the benchmark asks for gigabytes).

use std::io::{self, Write};

use flate2::{Compression, GzBuilder};
use serde_json::{json, Value};
use sha2::Digest as _;

use crate::layout::{Descriptor, HashWrite, OciLayout};
use crate::seed::SeededBytes;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
pub const COSIGN_SIMPLESIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
pub const HELM_CHART: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

#[derive(Debug, Clone)]
pub struct ImageOptions {
    /// Layers shared by every image built with the same `base`.
    pub base_layers: usize,
    /// Layers of this image (and platform) alone.
    pub own_layers: usize,
    /// Approximate uncompressed size of each layer.
    pub layer_size: u64,
    /// Label of the shared base; images with equal labels share their base layers.
    pub base: String,
}

impl Default for ImageOptions {
    fn default() -> Self {
        Self {
            base_layers: 1,
            own_layers: 1,
            layer_size: 32 * 1024,
            base: "base".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Image {
    pub platform: String,
    pub manifest: Descriptor,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

impl Image {
    /// Config and layer digests, i.e. every blob the manifest names.
    pub fn blob_digests(&self) -> Vec<String> {
        let mut v = vec![self.config.digest.clone()];
        v.extend(self.layers.iter().map(|l| l.digest.clone()));
        v
    }
}

#[derive(Debug, Clone)]
pub struct MultiArch {
    pub index: Descriptor,
    pub children: Vec<Image>,
}

impl MultiArch {
    pub fn child(&self, platform: &str) -> &Image {
        self.children
            .iter()
            .find(|c| c.platform == platform)
            .expect("platform built")
    }
}

/// A single-platform image (`platform` is `os/arch`).
pub fn image(layout: &mut OciLayout, seed: &str, platform: &str, opts: &ImageOptions) -> Image {
    let (os, arch) = platform.split_once('/').expect("platform is os/arch");
    let mut layers = Vec::new();
    let mut diff_ids = Vec::new();
    for i in 0..opts.base_layers {
        let (d, diff) = layer(layout, &format!("{}/base/{i}", opts.base), opts.layer_size);
        layers.push(d);
        diff_ids.push(diff);
    }
    for i in 0..opts.own_layers {
        let (d, diff) = layer(layout, &format!("{seed}/{platform}/{i}"), opts.layer_size);
        layers.push(d);
        diff_ids.push(diff);
    }
    let config = json!({
        "architecture": arch, "os": os, "created": "2024-01-01T00:00:00Z",
        "config": { "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", format!("SEED={seed}")], "Cmd": ["/bin/app"] },
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    });
    let config = layout.put_bytes(OCI_CONFIG, &to_vec(&config));
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config.to_json(),
        "layers": layers.iter().map(Descriptor::to_json).collect::<Vec<_>>(),
    });
    let manifest = layout.put_bytes(OCI_MANIFEST, &to_vec(&manifest));
    Image {
        platform: platform.into(),
        manifest,
        config,
        layers,
    }
}

/// An OCI index over one image per platform; platforms share the base layers.
pub fn multi_arch(
    layout: &mut OciLayout,
    seed: &str,
    platforms: &[&str],
    opts: &ImageOptions,
) -> MultiArch {
    let children: Vec<Image> = platforms
        .iter()
        .map(|p| image(layout, seed, p, opts))
        .collect();
    let manifests: Vec<Value> = children
        .iter()
        .map(|c| {
            let (os, arch) = c.platform.split_once('/').expect("platform is os/arch");
            let mut v = c.manifest.to_json();
            v["platform"] = json!({ "os": os, "architecture": arch });
            v
        })
        .collect();
    let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests });
    let index = layout.put_bytes(OCI_INDEX, &to_vec(&index));
    MultiArch { index, children }
}

/// The cosign tag that carries signatures of `subject`: `sha256-<hex>.sig`.
pub fn cosign_tag(subject: &Descriptor, suffix: &str) -> String {
    format!("sha256-{}.{suffix}", subject.hex())
}

/// A cosign-style signature manifest for `subject` (push it under [`cosign_tag`]).
pub fn cosign_signature(layout: &mut OciLayout, subject: &Descriptor, reference: &str) -> Image {
    let payload = json!({
        "critical": {
            "identity": { "docker-reference": reference },
            "image": { "docker-manifest-digest": subject.digest },
            "type": "cosign container image signature",
        },
        "optional": null,
    });
    let payload_bytes = to_vec(&payload);
    let payload_desc = layout.put_bytes(COSIGN_SIMPLESIGNING, &payload_bytes);
    let mut sig = [0u8; 64];
    SeededBytes::new(&format!("sig/{}", subject.digest)).fill(&mut sig);
    let config = json!({
        "architecture": "", "os": "", "created": "0001-01-01T00:00:00Z", "config": {},
        "rootfs": { "type": "layers", "diff_ids": [payload_desc.digest] },
    });
    let config = layout.put_bytes(OCI_CONFIG, &to_vec(&config));
    let mut layer = payload_desc.to_json();
    layer["annotations"] = json!({ "dev.cosignproject.cosign/signature": hex::encode(sig) });
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config.to_json(), "layers": [layer],
    });
    let manifest = layout.put_bytes(OCI_MANIFEST, &to_vec(&manifest));
    Image {
        platform: String::new(),
        manifest,
        config,
        layers: vec![payload_desc],
    }
}

/// An OCI 1.1 referrer (a manifest whose `subject` is `subject`), e.g. an SBOM.
pub fn referrer(
    layout: &mut OciLayout,
    subject: &Descriptor,
    artifact_type: &str,
    seed: &str,
) -> Image {
    let config = layout.put_bytes(OCI_EMPTY, b"{}");
    let body = to_vec(&json!({ "sbom": seed, "subject": subject.digest }));
    let layer = layout.put_bytes("application/json", &body);
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
        "config": config.to_json(), "layers": [layer.to_json()], "subject": subject.to_json(),
    });
    let manifest = layout.put_bytes(OCI_MANIFEST, &to_vec(&manifest));
    Image {
        platform: String::new(),
        manifest,
        config,
        layers: vec![layer],
    }
}

/// A Helm chart as an OCI artifact: config = Chart.yaml as JSON, one layer = the .tgz bytes.
pub fn helm_chart(layout: &mut OciLayout, chart_json: &Value, tgz: &[u8]) -> Image {
    let config = layout.put_bytes(HELM_CONFIG, &to_vec(chart_json));
    let layer = layout.put_bytes(HELM_CHART, tgz);
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config.to_json(), "layers": [layer.to_json()],
    });
    let manifest = layout.put_bytes(OCI_MANIFEST, &to_vec(&manifest));
    Image {
        platform: String::new(),
        manifest,
        config,
        layers: vec![layer],
    }
}

fn to_vec(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("json")
}

/// A gzip tar layer of seeded files, memoised per label within a layout.
fn layer(layout: &mut OciLayout, label: &str, size: u64) -> (Descriptor, String) {
    if let Some(hit) = layout.layers.get(label) {
        return hit.clone();
    }
    let mut diff_id = String::new();
    let desc = layout.put_stream(OCI_LAYER_GZIP, |w| {
        let gz = GzBuilder::new().mtime(0).write(w, Compression::fast());
        let mut tar_out = HashWrite::new(gz);
        write_tar(&mut tar_out, label, size)?;
        let HashWrite { inner, hasher, .. } = tar_out;
        inner.finish()?;
        diff_id = format!("sha256:{}", hex::encode(hasher.finalize()));
        Ok(())
    });
    layout
        .layers
        .insert(label.to_owned(), (desc.clone(), diff_id.clone()));
    (desc, diff_id)
}

const WORDS: &[&str] = &[
    "cluster", "node", "pod", "ferry", "enclave", "mirror", "image", "layer", "config", "kernel",
    "bundle", "digest", "registry", "chart", "value", "service", "network", "volume", "secret",
];

fn write_tar(out: &mut dyn Write, label: &str, size: u64) -> io::Result<()> {
    let mut rng = SeededBytes::new(label);
    let mut tar = tar::Builder::new(out);
    let dir = format!("usr/share/{}", label.replace(['/', ':'], "_"));
    let mut written = 0u64;
    let mut n = 0u32;
    while written < size.max(1) {
        let len = rng.range(512, 1 << 20).min(size.max(1) - written).max(1);
        // One file in four is text, the rest binary, like a real root filesystem.
        let text = n % 4 == 0;
        let mut header = tar::Header::new_gnu();
        header.set_size(len);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        let name = format!("{dir}/file-{n:05}.{}", if text { "txt" } else { "bin" });
        let mut data = SeededReader {
            rng: &mut rng,
            left: len,
            text,
        };
        tar.append_data(&mut header, name, &mut data)?;
        written += len;
        n += 1;
    }
    tar.finish()
}

struct SeededReader<'a> {
    rng: &'a mut SeededBytes,
    left: u64,
    text: bool,
}

impl io::Read for SeededReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        if n == 0 {
            return Ok(0);
        }
        if self.text {
            let mut i = 0;
            while i < n {
                let w = WORDS[(self.rng.next_u64() % WORDS.len() as u64) as usize].as_bytes();
                for &b in w.iter().chain(b" ") {
                    if i < n {
                        buf[i] = b;
                        i += 1;
                    }
                }
            }
        } else {
            self.rng.fill(&mut buf[..n]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The index a registry without the referrers API keeps under the tag `sha256-<hex>` of the
/// subject (OCI 1.1 referrers tag schema), listing `referrers`.
pub fn referrers_tag_index(layout: &mut OciLayout, referrers: &[(&Image, &str)]) -> Descriptor {
    let manifests: Vec<Value> = referrers
        .iter()
        .map(|(r, artifact_type)| {
            let mut v = r.manifest.to_json();
            v["artifactType"] = json!(artifact_type);
            v
        })
        .collect();
    let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests });
    layout.put_bytes(OCI_INDEX, &to_vec(&index))
}

/// Pushes `referrers` (each with its artifact type) and the referrers tag index of `subject`
/// into `repo`, as a registry without the referrers API would hold them.
pub fn push_referrers(
    registry: &crate::Registry,
    layout: &mut OciLayout,
    repo: &str,
    subject: &Descriptor,
    referrers: &[(&Image, &str)],
) -> Descriptor {
    for (r, _) in referrers {
        registry.push_desc(
            layout,
            &r.manifest,
            repo,
            &format!("referrer-{}", r.manifest.hex()),
        );
    }
    let index = referrers_tag_index(layout, referrers);
    registry.put_manifest(
        repo,
        &referrers_tag(subject),
        OCI_INDEX,
        &layout.read_blob(&index),
    );
    index
}

/// The referrers tag of `subject`: `sha256-<hex>`.
pub fn referrers_tag(subject: &Descriptor) -> String {
    format!("sha256-{}", subject.hex())
}

/// One image of a [`corpus`]: where to push it and what it is.
#[derive(Debug, Clone)]
pub struct CorpusImage {
    pub repo: String,
    pub tag: String,
    pub image: MultiArch,
}

/// Multi-arch images (linux/amd64 + linux/arm64) sharing `opts.base` layers, built until their
/// compressed content reaches `total_bytes` (the benchmark asks for gigabytes). Push each with
/// `registry.push_desc(layout, &c.image.index, &c.repo, &c.tag)`.
pub fn corpus(layout: &mut OciLayout, total_bytes: u64, opts: &ImageOptions) -> Vec<CorpusImage> {
    let mut out = Vec::new();
    let mut size = 0u64;
    let mut seen = std::collections::BTreeSet::new();
    while size < total_bytes {
        let n = out.len();
        let image = multi_arch(
            layout,
            &format!("corpus-{n}"),
            &["linux/amd64", "linux/arm64"],
            opts,
        );
        for child in &image.children {
            for d in child.layers.iter().chain([&child.config, &child.manifest]) {
                if seen.insert(d.digest.clone()) {
                    size += d.size;
                }
            }
        }
        out.push(CorpusImage {
            repo: format!("corpus/app-{n}"),
            tag: "1.0".into(),
            image,
        });
    }
    out
}
