//! Spectro packs pulled from a real registry: the upstream manifest is kept byte for byte, the
//! pack layer is fetched and readable for discovery, an empty cache is refilled by fetch, and
//! artifacts that are not packs are refused naming the reference.

mod net_common;

use std::path::Path;

use ferry_bundler::format::layout::media;
use ferry_bundler::format::{ArtifactKind, Digest};
use ferry_bundler::net::oci_pack::pack_layer;
use ferry_bundler::net::{FetchOptions, OciPackRequest, Request, Source};
use ferry_testkit::{OciLayout, Registry};
use net_common::{no_progress, provenance, resolver};

fn hello_pack_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/packs/hello-pack")
}

/// Pushes `manifest` (built by `make` from the config and layer descriptors) to `repo:tag`.
/// Returns the manifest digest.
fn push_pack(
    registry: &Registry,
    repo: &str,
    tag: &str,
    layer_media_type: &str,
    make: impl Fn(serde_json::Value, serde_json::Value) -> serde_json::Value,
) -> String {
    let work = tempfile::tempdir().unwrap();
    let tgz = work.path().join("hello.tar.gz");
    ferry_bundler::pipeline::package_dir(&hello_pack_dir(), "hello", &tgz).unwrap();
    let mut layout = OciLayout::new();
    let config = layout.put_bytes(media::OCI_EMPTY, b"{}");
    let layer = layout.put_bytes(layer_media_type, &std::fs::read(&tgz).unwrap());
    // Written the way a foreign tool might: our wrapper would never add these annotations.
    let manifest = make(config.to_json(), layer.to_json());
    let manifest = layout.put_bytes(
        media::OCI_MANIFEST,
        &serde_json::to_vec_pretty(&manifest).unwrap(),
    );
    registry.push_desc(&mut layout, &manifest, repo, tag);
    manifest.digest
}

fn upstream_manifest(config: serde_json::Value, layer: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": config,
        "layers": [layer],
        "annotations": { "io.spectrocloud.pack.name": "hello", "org.opencontainers.image.version": "0.1.0" },
    })
}

fn request(registry: &Registry, repo: &str, version: &str) -> Request {
    Request::OciPack(OciPackRequest {
        name: "hello".into(),
        version: version.into(),
        location: format!("{}/{repo}", registry.host()),
        provenance: provenance("pack hello 0.1.0 from oci"),
    })
}

#[rstest::rstest]
#[case::ferry_layer(media::PACK_LAYER)]
#[case::oci_gzip_layer("application/vnd.oci.image.layer.v1.tar+gzip")]
#[case::plain_tar_gzip("application/tar+gzip")]
#[tokio::test]
async fn upstream_pack_manifest_is_kept_and_its_layer_discovered(#[case] layer_media: &str) {
    let registry = Registry::start();
    let repo = "spectro-packs/archive/hello";
    let digest = push_pack(&registry, repo, "0.1.0", layer_media, upstream_manifest);
    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let out = r
        .resolve(&[request(&registry, repo, "0.1.0")], &no_progress)
        .await
        .unwrap();
    assert_eq!(out.len(), 1);
    let pack = &out[0];
    let a = &pack.artifact;
    assert_eq!(a.kind, ArtifactKind::Pack);
    assert_eq!(
        a.digest.to_string(),
        digest,
        "upstream digest, not re-wrapped"
    );
    assert_eq!(
        a.reference,
        format!("oci://{}/{repo}:0.1.0", registry.host())
    );
    assert_eq!(a.repository, repo);
    assert_eq!(a.tag.as_deref(), Some("0.1.0"));
    assert_eq!(
        pack.source,
        Source::Registry {
            repository: format!("{}/{repo}", registry.host())
        }
    );
    let kept = std::fs::read(r.cache.path(&a.digest)).unwrap();
    assert_eq!(Digest::of_bytes(&kept), a.digest);
    assert!(
        String::from_utf8_lossy(&kept).contains("io.spectrocloud.pack.name"),
        "exact upstream bytes"
    );

    // The pack layer is in the cache already, and discovery reads its images from it.
    let layer = pack_layer(&r.cache, pack).unwrap();
    assert_eq!(layer.media_type, layer_media);
    assert!(r.cache.has(&layer.digest, layer.size));
    let found = ferry_bundler::discover::discover_pack(&r.cache.path(&layer.digest)).unwrap();
    let refs: Vec<&str> = found.images.iter().map(|i| i.reference.as_str()).collect();
    for want in [
        "docker.io/library/nginx:1.27.0",
        "docker.io/library/busybox:1.36",
        "docker.io/library/alpine:3.20",
    ] {
        assert!(refs.contains(&want), "{want} in {refs:?}");
    }

    // An empty cache is refilled from the registry, to the same digests.
    let cache2 = tempfile::tempdir().unwrap();
    let r2 = resolver(cache2.path(), true);
    r2.fetch(&out, &FetchOptions::default(), &no_progress)
        .await
        .unwrap();
    for b in &pack.blobs {
        assert!(r2.cache.has(&b.digest, b.size), "{}", b.digest);
    }
    assert_eq!(std::fs::read(r2.cache.path(&a.digest)).unwrap(), kept);
}

#[rstest::rstest]
#[case::no_gzip_layer("application/vnd.oci.image.layer.v1.tar", "has no gzip tar layer")]
#[tokio::test]
async fn artifacts_that_are_not_packs_are_refused(
    #[case] layer_media: &str,
    #[case] message: &str,
) {
    let registry = Registry::start();
    let repo = "spectro-packs/archive/hello";
    let digest = push_pack(&registry, repo, "0.1.0", layer_media, upstream_manifest);
    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let err = r
        .resolve(&[request(&registry, repo, "0.1.0")], &no_progress)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(message), "{err}");
    assert!(err.contains(&digest), "names the manifest: {err}");
    assert!(
        err.contains(&format!("oci://{}/{repo}:0.1.0", registry.host())),
        "{err}"
    );
}

#[tokio::test]
async fn an_index_or_a_missing_version_is_refused_naming_the_reference() {
    let registry = Registry::start();
    let repo = "spectro-packs/archive/hello";
    let digest = push_pack(
        &registry,
        repo,
        "0.1.0",
        media::PACK_LAYER,
        upstream_manifest,
    );
    // An index over the pack manifest: a pack is one manifest, so this is refused.
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": [{ "mediaType": media::OCI_MANIFEST, "digest": digest, "size":
            std::fs::metadata(registry.blob_data_path(&digest)).map(|m| m.len()).unwrap_or(0) }],
    });
    registry.put_manifest(
        repo,
        "0.2.0",
        media::OCI_INDEX,
        &serde_json::to_vec(&index).unwrap(),
    );
    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let err = r
        .resolve(&[request(&registry, repo, "0.2.0")], &no_progress)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("must be a single OCI manifest"), "{err}");
    assert!(err.contains(":0.2.0"), "{err}");

    let err = r
        .resolve(&[request(&registry, repo, "9.9.9")], &no_progress)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("{repo}:9.9.9")), "{err}");
}
