//! Packs and files wrapped as one-layer artifacts: local and over a real HTTP server, checked
//! against the declared sha256, and rebuilt by fetch into an empty cache.

mod net_common;

use ferry_bundler::format::layout::media;
use ferry_bundler::format::{ArtifactKind, Digest};
use ferry_bundler::net::{FetchOptions, FileRequest, PackRequest, Request};
use ferry_testkit::HelmRepo;
use net_common::{no_progress, provenance, resolver};

#[tokio::test]
async fn files_and_packs_are_wrapped_checked_and_rebuilt() {
    let served = tempfile::tempdir().unwrap();
    let iso = b"talos iso bytes ".repeat(10_000);
    std::fs::write(served.path().join("talos.iso"), &iso).unwrap();
    let pack = b"pretend gzip tar of a pack".repeat(100);
    let pack_path = served.path().join("cilium-1.16.0.tar.gz");
    std::fs::write(&pack_path, &pack).unwrap();
    let server = HelmRepo::start(served.path());

    let requests = [
        Request::File(FileRequest {
            name: "talos.iso".into(),
            location: format!("{}/talos.iso", server.url()),
            read_from: None,
            sha256: Some(Digest::of_bytes(&iso)),
            provenance: provenance("files"),
        }),
        Request::Pack(PackRequest {
            name: "cilium".into(),
            version: "1.16.0".into(),
            read_from: pack_path.display().to_string(),
            location: pack_path.display().to_string(),
            provenance: provenance("packs"),
        }),
    ];
    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let out = r.resolve(&requests, &no_progress).await.unwrap();
    let file = out
        .iter()
        .find(|a| a.artifact.kind == ArtifactKind::File)
        .unwrap();
    assert_eq!(file.artifact.repository, "files/talos.iso");
    let layer = file
        .blobs
        .iter()
        .find(|b| b.media_type == media::FILE_LAYER)
        .unwrap();
    assert_eq!(layer.digest, Digest::of_bytes(&iso));
    let packed = out
        .iter()
        .find(|a| a.artifact.kind == ArtifactKind::Pack)
        .unwrap();
    assert_eq!(
        packed.artifact.reference,
        "spectro-packs/archive/cilium:1.16.0"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.cache.path(&packed.artifact.digest)).unwrap())
            .unwrap();
    assert_eq!(manifest["artifactType"], media::PACK_ARTIFACT);

    // An empty cache is refilled from the same sources, to the same digests.
    let cache2 = tempfile::tempdir().unwrap();
    let r2 = resolver(cache2.path(), true);
    r2.fetch(&out, &FetchOptions::default(), &no_progress)
        .await
        .unwrap();
    for a in &out {
        for b in &a.blobs {
            assert!(
                r2.cache.has(&b.digest, b.size),
                "{} {}",
                a.artifact.reference,
                b.digest
            );
        }
    }

    // A file that is not what the profile declares is refused, and not cached.
    let wrong = Digest::of_bytes(b"something else");
    let bad = Request::File(FileRequest {
        name: "talos.iso".into(),
        location: format!("{}/talos.iso", server.url()),
        read_from: None,
        sha256: Some(wrong.clone()),
        provenance: provenance("files"),
    });
    let cache3 = tempfile::tempdir().unwrap();
    let r3 = resolver(cache3.path(), true);
    let err = r3.resolve(&[bad], &no_progress).await.unwrap_err();
    assert!(
        err.to_string().contains(&wrong.to_string()) && err.to_string().contains("files/talos.iso"),
        "{err}"
    );
    assert!(!r3.cache.path(&Digest::of_bytes(&iso)).exists());
}

#[tokio::test]
async fn a_local_chart_is_rebuilt_by_fetch_to_the_locked_digest() {
    let src = tempfile::tempdir().unwrap();
    let dir = ferry_testkit::write_chart(src.path(), "hello", "0.1.0", "1.0", &["nginx:1.27"]);
    let tgz = ferry_testkit::pack_chart(&dir, "hello", "0.1.0", src.path());
    let req = ferry_bundler::net::ChartRequest {
        name: "hello".into(),
        repo: String::new(),
        version: "0.1.0".into(),
        provenance: provenance("charts (local)"),
    };
    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let resolved = ferry_bundler::net::local_chart::resolve_local_chart(
        &r.cache,
        &req,
        &tgz,
        &tgz.display().to_string(),
    )
    .unwrap();
    assert_eq!(resolved.artifact.repository, "charts/hello");

    let cache2 = tempfile::tempdir().unwrap();
    let r2 = resolver(cache2.path(), true);
    let out = std::slice::from_ref(&resolved);
    r2.fetch(out, &FetchOptions::default(), &no_progress)
        .await
        .unwrap();
    for b in &resolved.blobs {
        assert!(r2.cache.has(&b.digest, b.size), "{}", b.digest);
    }
}
