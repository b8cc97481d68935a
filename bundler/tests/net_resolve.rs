//! Resolution against a real docker-registry with content pushed by skopeo.

mod net_common;

use ferry_bundler::format::{ArtifactKind, Digest};
use ferry_bundler::net::{ImageRequest, NetError, Request};
use ferry_testkit::images::{self, ImageOptions};
use ferry_testkit::{OciLayout, Registry};
use net_common::{no_progress, provenance, resolver};

fn image_request(reference: String, platforms: &[&str]) -> Request {
    Request::Image(ImageRequest {
        reference,
        platforms: platforms.iter().map(|p| p.to_string()).collect(),
        provenance: provenance("images (listed by hand)"),
    })
}

#[tokio::test]
async fn tag_resolves_to_the_digest_skopeo_sees_with_signatures_and_referrers() {
    let reg = Registry::start();
    let mut layout = OciLayout::new();
    let img = images::image(&mut layout, "app", "linux/amd64", &ImageOptions::default());
    reg.push_desc(&mut layout, &img.manifest, "team/app", "1.0");
    let sig = images::cosign_signature(&mut layout, &img.manifest, "team/app");
    reg.push_desc(
        &mut layout,
        &sig.manifest,
        "team/app",
        &images::cosign_tag(&img.manifest, "sig"),
    );
    let sbom = images::referrer(&mut layout, &img.manifest, "application/spdx+json", "sbom");
    images::push_referrers(
        &reg,
        &mut layout,
        "team/app",
        &img.manifest,
        &[(&sbom, "application/spdx+json")],
    );

    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let reference = format!("{}/team/app:1.0", reg.host());
    let out = r
        .resolve(&[image_request(reference.clone(), &[])], &no_progress)
        .await
        .unwrap();
    assert_eq!(out.len(), 1);
    let a = &out[0].artifact;
    assert_eq!(a.kind, ArtifactKind::Image);
    assert_eq!(a.reference, reference);
    assert_eq!(a.repository, format!("{}/team/app", reg.host()));
    assert_eq!(a.tag.as_deref(), Some("1.0"));
    assert_eq!(a.digest.to_string(), reg.skopeo_digest("team/app", "1.0"));
    assert_eq!(a.digest.to_string(), img.manifest.digest);
    assert_eq!(a.size, img.manifest.size);

    // The exact upstream bytes are in the cache.
    let cached = std::fs::read(r.cache.path(&a.digest)).unwrap();
    assert_eq!(Digest::of_bytes(&cached), a.digest);

    let rels: Vec<(&str, String)> = a
        .attached
        .iter()
        .map(|x| (x.relation.as_str(), x.digest.to_string()))
        .collect();
    assert!(
        rels.contains(&("signature", sig.manifest.digest.clone())),
        "{rels:?}"
    );
    assert!(
        rels.contains(&("referrer", sbom.manifest.digest.clone())),
        "{rels:?}"
    );
    let sig_entry = a
        .attached
        .iter()
        .find(|x| x.relation == "signature")
        .unwrap();
    assert_eq!(
        sig_entry.tag.as_deref(),
        Some(images::cosign_tag(&img.manifest, "sig").as_str())
    );
    let referrer = a
        .attached
        .iter()
        .find(|x| x.relation == "referrer")
        .unwrap();
    assert_eq!(
        referrer.artifact_type.as_deref(),
        Some("application/spdx+json")
    );

    // Blobs: image manifest, config, layers, and the signature's and referrer's content.
    let blobs: Vec<String> = out[0].blobs.iter().map(|b| b.digest.to_string()).collect();
    for d in img
        .blob_digests()
        .iter()
        .chain(sig.blob_digests().iter())
        .chain(sbom.blob_digests().iter())
    {
        assert!(blobs.contains(d), "missing {d}");
    }
    assert!(blobs.contains(&sig.manifest.digest) && blobs.contains(&sbom.manifest.digest));

    // Without attachments, nothing attached travels.
    let cache2 = tempfile::tempdir().unwrap();
    let plain = resolver(cache2.path(), false)
        .resolve(&[image_request(reference, &[])], &no_progress)
        .await
        .unwrap();
    assert!(plain[0].artifact.attached.is_empty());
    assert!(!plain[0]
        .blobs
        .iter()
        .any(|b| b.digest.to_string() == sig.manifest.digest));
}

#[tokio::test]
async fn platform_filter_keeps_the_index_digest_and_records_omitted_children() {
    let reg = Registry::start();
    let mut layout = OciLayout::new();
    let opts = ImageOptions {
        base_layers: 1,
        own_layers: 2,
        ..Default::default()
    };
    let multi = images::multi_arch(
        &mut layout,
        "multi",
        &["linux/amd64", "linux/arm64", "linux/arm/v7"],
        &opts,
    );
    reg.push_desc(&mut layout, &multi.index, "library/multi", "3.1");

    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let reference = format!("{}/library/multi:3.1", reg.host());
    let out = r
        .resolve(&[image_request(reference, &["linux/arm64"])], &no_progress)
        .await
        .unwrap();
    let a = &out[0].artifact;
    assert_eq!(
        a.digest.to_string(),
        multi.index.digest,
        "the original index, bytes untouched"
    );
    assert_eq!(
        a.digest.to_string(),
        reg.skopeo_digest("library/multi", "3.1")
    );
    assert_eq!(a.platforms, vec!["linux/arm64".to_string()]);
    let omitted: Vec<(String, String)> = a
        .omitted_children
        .iter()
        .map(|c| (c.digest.to_string(), c.platform.clone()))
        .collect();
    let mut want = vec![
        (
            multi.child("linux/amd64").manifest.digest.clone(),
            "linux/amd64".to_string(),
        ),
        (
            multi.child("linux/arm/v7").manifest.digest.clone(),
            "linux/arm/v7".to_string(),
        ),
    ];
    want.sort();
    assert_eq!(omitted, want);

    let blobs: Vec<String> = out[0].blobs.iter().map(|b| b.digest.to_string()).collect();
    let arm = multi.child("linux/arm64");
    assert!(blobs.contains(&arm.manifest.digest));
    for d in arm.blob_digests() {
        assert!(blobs.contains(&d), "arm64 blob {d} missing");
    }
    let amd = multi.child("linux/amd64");
    assert!(!blobs.contains(&amd.manifest.digest));
    for own in &amd.layers[1..] {
        assert!(
            !blobs.contains(&own.digest),
            "amd64-only layer {} carried",
            own.digest
        );
    }
    // The shared base layer is carried once.
    assert_eq!(
        blobs.iter().filter(|d| **d == amd.layers[0].digest).count(),
        1
    );
}

#[tokio::test]
async fn unreachable_registry_and_missing_tag_name_the_reference() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let reference = format!("127.0.0.1:{dead}/team/gone:1.0");
    let err = r
        .resolve(&[image_request(reference.clone(), &[])], &no_progress)
        .await
        .unwrap_err();
    let NetError::Unresolved(failures) = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(*failures[0].error, NetError::Image(_)), "{err:?}");
    assert!(err.to_string().contains(&reference), "{err}");

    let reg = Registry::start();
    let missing = format!("{}/team/nothing:9.9", reg.host());
    let err = r
        .resolve(&[image_request(missing.clone(), &[])], &no_progress)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&missing) && err.to_string().contains("not found"),
        "{err}"
    );
}

#[tokio::test]
async fn docker_schema2_manifests_keep_their_media_type_and_bytes() {
    let reg = Registry::start();
    let mut layout = OciLayout::new();
    let img = images::image(
        &mut layout,
        "legacy",
        "linux/amd64",
        &ImageOptions::default(),
    );
    layout.tag("legacy", &img.manifest);
    reg.push_as_docker(&layout, "legacy", "old/app", "v1");

    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), false);
    let out = r
        .resolve(
            &[image_request(format!("{}/old/app:v1", reg.host()), &[])],
            &no_progress,
        )
        .await
        .unwrap();
    let a = &out[0].artifact;
    assert_eq!(
        a.media_type,
        ferry_bundler::format::layout::media::DOCKER_MANIFEST
    );
    assert_eq!(a.digest.to_string(), reg.skopeo_digest("old/app", "v1"));
    r.fetch(&out, &Default::default(), &no_progress)
        .await
        .unwrap();
    for b in &out[0].blobs {
        assert!(r.cache.has(&b.digest, b.size), "{}", b.digest);
    }
}
