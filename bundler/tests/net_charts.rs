//! Charts from a real static Helm repository (python http.server) and from a registry.

mod net_common;

use std::path::Path;

use ferry_bundler::format::layout::media;
use ferry_bundler::format::{ArtifactKind, Digest};
use ferry_bundler::net::{ChartRequest, FetchOptions, Request};
use ferry_testkit::{helm, HelmRepo, Registry};
use net_common::{no_progress, provenance, resolver};

fn package(src: &Path, out: &Path, name: &str, version: &str) -> std::path::PathBuf {
    let dir = helm::write_chart(&src.join(version), name, version, "1.0", &["nginx:1.27"]);
    helm::pack_chart(&dir, name, version, out)
}

fn entry(
    name: &str,
    version: &str,
    file: std::path::PathBuf,
    url: String,
    with_digest: bool,
) -> helm::ChartEntry {
    helm::ChartEntry {
        name: name.into(),
        version: version.into(),
        app_version: "1.0".into(),
        file,
        url,
        with_digest,
    }
}

fn chart(repo: String, version: &str) -> Request {
    Request::Chart(ChartRequest {
        name: "demo".into(),
        repo,
        version: version.into(),
        provenance: provenance("charts (listed by hand)"),
    })
}

#[tokio::test]
async fn semver_range_picks_the_highest_match_from_an_http_repo() {
    let src = tempfile::tempdir().unwrap();
    let served = tempfile::tempdir().unwrap();
    let repo = HelmRepo::start(served.path());
    let mut entries = Vec::new();
    for v in ["1.0.0", "1.2.0", "1.3.0-rc.1", "2.0.0"] {
        let tgz = package(src.path(), served.path(), "demo", v);
        entries.push(entry("demo", v, tgz, format!("demo-{v}.tgz"), true));
    }
    // One version by absolute URL and without a digest.
    let tgz = package(src.path(), served.path(), "demo", "1.1.0");
    entries.push(entry(
        "demo",
        "1.1.0",
        tgz,
        format!("{}/demo-1.1.0.tgz", repo.url()),
        false,
    ));
    helm::write_index(served.path(), &entries);

    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let out = r
        .resolve(&[chart(repo.url(), "^1")], &no_progress)
        .await
        .unwrap();
    let a = &out[0].artifact;
    assert_eq!(a.kind, ArtifactKind::Chart);
    assert_eq!(a.repository, "charts/demo");
    assert_eq!(a.tag.as_deref(), Some("1.2.0"));
    assert_eq!(a.reference, format!("{}/demo:1.2.0", repo.url()));

    // Layer = the exact .tgz bytes; config = Chart.yaml as JSON.
    let tgz = std::fs::read(served.path().join("demo-1.2.0.tgz")).unwrap();
    let layer = out[0]
        .blobs
        .iter()
        .find(|b| b.media_type == media::HELM_CHART)
        .unwrap();
    assert_eq!(layer.digest, Digest::of_bytes(&tgz));
    let config = out[0]
        .blobs
        .iter()
        .find(|b| b.media_type == media::HELM_CONFIG)
        .unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.cache.path(&config.digest)).unwrap()).unwrap();
    assert_eq!(config["name"], "demo");
    assert_eq!(config["version"], "1.2.0");

    // Deterministic wrapping: a fresh cache gives the same manifest digest.
    let cache2 = tempfile::tempdir().unwrap();
    let again = resolver(cache2.path(), true)
        .resolve(&[chart(repo.url(), "^1")], &no_progress)
        .await
        .unwrap();
    assert_eq!(again[0].artifact.digest, a.digest);

    // Exact version via absolute URL, no digest in the index.
    let exact = r
        .resolve(&[chart(repo.url(), "1.1.0")], &no_progress)
        .await
        .unwrap();
    assert_eq!(exact[0].artifact.tag.as_deref(), Some("1.1.0"));

    // A fetch into an empty cache rebuilds the same artifact from the lock's source.
    let cache3 = tempfile::tempdir().unwrap();
    let r3 = resolver(cache3.path(), true);
    r3.fetch(&out, &FetchOptions::default(), &no_progress)
        .await
        .unwrap();
    for b in &out[0].blobs {
        assert!(
            r3.cache.has(&b.digest, b.size),
            "{} missing after fetch",
            b.digest
        );
    }

    let err = r
        .resolve(&[chart(repo.url(), "^5")], &no_progress)
        .await
        .unwrap_err();
    let err = err.to_string();
    assert!(err.contains("demo") && err.contains("^5"), "{err}");
    // A version problem lists what the repository does offer.
    assert!(
        err.contains("available: 2.0.0, 1.3.0-rc.1, 1.2.0, 1.1.0, 1.0.0"),
        "{err}"
    );

    // A chart the index does not have at all is reported as missing, not as a version problem.
    let missing = ChartRequest {
        name: "dmeo".into(),
        repo: repo.url(),
        version: "1.0.0".into(),
        provenance: provenance("charts (listed by hand)"),
    };
    let err = r
        .resolve(&[Request::Chart(missing)], &no_progress)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("chart dmeo is not in") && err.contains("did you mean demo?"),
        "{err}"
    );
    assert!(!err.contains("version"), "{err}");
}

#[tokio::test]
async fn index_digest_mismatch_is_refused() {
    let src = tempfile::tempdir().unwrap();
    let served = tempfile::tempdir().unwrap();
    let tgz = package(src.path(), served.path(), "demo", "1.0.0");
    helm::write_index(
        served.path(),
        &[entry(
            "demo",
            "1.0.0",
            tgz.clone(),
            "demo-1.0.0.tgz".into(),
            true,
        )],
    );
    // The package changes after the index was written.
    let other = package(
        &src.path().join("other"),
        &src.path().join("other"),
        "demo",
        "1.0.0",
    );
    std::fs::copy(other, &tgz).ok();
    let mut bytes = std::fs::read(&tgz).unwrap();
    bytes.push(0);
    std::fs::write(&tgz, &bytes).unwrap();
    let repo = HelmRepo::start(served.path());

    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let err = r
        .resolve(&[chart(repo.url(), "1.0.0")], &no_progress)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
    assert!(!r.cache.path(&Digest::of_bytes(&bytes)).exists());
}

#[tokio::test]
async fn oci_chart_keeps_its_upstream_manifest() {
    let reg = Registry::start();
    let src = tempfile::tempdir().unwrap();
    let tgz = package(src.path(), src.path(), "demo", "0.4.2");
    let pushed = helm::push_chart_oci(
        &reg,
        &tgz,
        &helm::chart_json("demo", "0.4.2", "1.0"),
        "helm/demo",
        "0.4.2",
    );

    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let out = r
        .resolve(
            &[chart(format!("oci://{}/helm", reg.host()), "0.4.2")],
            &no_progress,
        )
        .await
        .unwrap();
    let a = &out[0].artifact;
    assert_eq!(a.kind, ArtifactKind::Chart);
    assert_eq!(a.digest.to_string(), pushed.manifest.digest);
    assert_eq!(a.repository, "charts/demo");
    assert_eq!(a.tag.as_deref(), Some("0.4.2"));
    assert_eq!(a.reference, format!("oci://{}/helm/demo:0.4.2", reg.host()));
    r.fetch(&out, &FetchOptions::default(), &no_progress)
        .await
        .unwrap();
    let layer = Digest::parse(&pushed.layers[0].digest).unwrap();
    assert_eq!(
        std::fs::read(r.cache.path(&layer)).unwrap(),
        std::fs::read(&tgz).unwrap()
    );

    // A semver range over the registry's tags (`+` is `_` in OCI tags).
    for v in ["0.5.1", "0.5.3+build.7", "1.0.0"] {
        let tgz = package(src.path(), src.path(), "demo", v);
        let tag = v.replace('+', "_");
        helm::push_chart_oci(
            &reg,
            &tgz,
            &helm::chart_json("demo", v, "1.0"),
            "helm/demo",
            &tag,
        );
    }
    let ranged = r
        .resolve(
            &[chart(format!("oci://{}/helm", reg.host()), "~0.5")],
            &no_progress,
        )
        .await
        .unwrap();
    assert_eq!(ranged[0].artifact.tag.as_deref(), Some("0.5.3+build.7"));
    assert_eq!(
        ranged[0].artifact.digest.to_string(),
        reg.skopeo_digest("helm/demo", "0.5.3_build.7")
    );
    let none = r
        .resolve(
            &[chart(format!("oci://{}/helm", reg.host()), "^3")],
            &no_progress,
        )
        .await
        .unwrap_err();
    assert!(none.to_string().contains("^3"), "{none}");
}
