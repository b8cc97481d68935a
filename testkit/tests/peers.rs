//! The harness itself against the real peers: pushed digests are what skopeo reads back.

use ferry_testkit::images::{self, cosign_tag, ImageOptions};
use ferry_testkit::{helm, HelmRepo, OciLayout, Registry};

#[test]
fn pushes_images_indexes_signatures_and_charts_with_stable_digests() {
    let reg = Registry::start();
    let mut layout = OciLayout::new();
    let opts = ImageOptions::default();
    let single = images::image(&mut layout, "app", "linux/amd64", &opts);
    let again = images::image(&mut OciLayout::new(), "app", "linux/amd64", &opts);
    assert_eq!(single.manifest, again.manifest, "same seed, same digest");

    reg.push_desc(&mut layout, &single.manifest, "library/app", "1.0");
    assert_eq!(
        reg.skopeo_digest("library/app", "1.0"),
        single.manifest.digest
    );

    let multi = images::multi_arch(&mut layout, "multi", &["linux/amd64", "linux/arm64"], &opts);
    assert_eq!(
        multi.child("linux/amd64").layers[0],
        multi.child("linux/arm64").layers[0]
    );
    reg.push_desc(&mut layout, &multi.index, "library/multi", "2.0");
    assert_eq!(
        reg.skopeo_digest("library/multi", "2.0"),
        multi.index.digest
    );

    let sig = images::cosign_signature(&mut layout, &single.manifest, "library/app");
    let sig_tag = cosign_tag(&single.manifest, "sig");
    reg.push_desc(&mut layout, &sig.manifest, "library/app", &sig_tag);
    assert_eq!(
        reg.skopeo_digest("library/app", &sig_tag),
        sig.manifest.digest
    );

    let sbom = images::referrer(
        &mut layout,
        &single.manifest,
        "application/spdx+json",
        "sbom",
    );
    let ref_tag = format!("sha256-{}", single.manifest.hex());
    reg.push_desc(&mut layout, &sbom.manifest, "library/app", &ref_tag);
    assert_eq!(
        reg.skopeo_digest("library/app", &ref_tag),
        sbom.manifest.digest
    );
    assert!(reg.blob_data_path(&single.layers[0].digest).is_file());

    let charts = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let dir = helm::write_chart(src.path(), "demo", "1.2.3", "1.0", &["nginx:1.27"]);
    let tgz = helm::pack_chart(&dir, "demo", "1.2.3", charts.path());
    let tgz2 = helm::pack_chart(&dir, "demo", "1.2.3", src.path());
    assert_eq!(
        std::fs::read(&tgz).unwrap(),
        std::fs::read(&tgz2).unwrap(),
        "packing is deterministic"
    );
    let chart = helm::chart_json("demo", "1.2.3", "1.0");
    let pushed = helm::push_chart_oci(&reg, &tgz, &chart, "charts/demo", "1.2.3");
    assert_eq!(
        reg.skopeo_digest("charts/demo", "1.2.3"),
        pushed.manifest.digest
    );

    helm::write_index(
        charts.path(),
        &[helm::ChartEntry {
            name: "demo".into(),
            version: "1.2.3".into(),
            app_version: "1.0".into(),
            file: tgz.clone(),
            url: "demo-1.2.3.tgz".into(),
            with_digest: true,
        }],
    );
    let repo = HelmRepo::start(charts.path());
    let port: u16 = repo.url().rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(ferry_testkit_status(port, "/index.yaml"), Some(200));
    assert_eq!(ferry_testkit_status(port, "/demo-1.2.3.tgz"), Some(200));
}

fn ferry_testkit_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

#[test]
fn corpus_reaches_its_size_and_shares_the_base() {
    let mut layout = OciLayout::new();
    let opts = ImageOptions {
        base_layers: 1,
        own_layers: 1,
        layer_size: 64 * 1024,
        base: "corpus-base".into(),
    };
    let corpus = images::corpus(&mut layout, 512 * 1024, &opts);
    assert!(corpus.len() >= 2);
    let base = &corpus[0].image.children[0].layers[0];
    for c in &corpus {
        for child in &c.image.children {
            assert_eq!(&child.layers[0], base);
        }
    }
    let total: u64 = std::fs::read_dir(layout.path().join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(total >= 512 * 1024, "{total}");
}
