//! The enclave services on a store holding a real imported bundle: the Helm chart repository
//! (fetched the way helm does it: index, then url, then digest check), the same charts over OCI,
//! the file server, `/api/v1`, and hostile names.

mod enclave_support;
mod import_support;

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use ferry_bundler::format::layout::media;
use ferry_bundler::format::timestamp::unix_seconds;
use std::time::Duration;

use ferry_mirror::import::import_bundle;
use ferry_mirror::store::{gc_with, retire_bundle, GcOptions};
use rstest::rstest;
use serde::Deserialize;

use enclave_support::{chart_bundle, sha256_hex, Enclave, Reply};
use import_support::{keys, trusting};

/// Helm's repository index as documented (helm.sh "The Chart Repository Guide", `repo.IndexFile`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HelmIndex {
    api_version: String,
    entries: BTreeMap<String, Vec<HelmEntry>>,
    generated: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HelmEntry {
    api_version: Option<String>,
    name: String,
    version: String,
    app_version: Option<String>,
    description: Option<String>,
    #[serde(rename = "type")]
    chart_type: Option<String>,
    digest: String,
    urls: Vec<String>,
    created: String,
}

/// A chart URL from the index as an absolute path on the mirror (relative ones are relative to
/// the index, `/charts/`).
fn chart_path(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest[rest.find('/').unwrap()..].to_owned(),
        None if url.starts_with('/') => url.to_owned(),
        None => format!("/charts/{url}"),
    }
}

fn assert_checksum_headers(reply: &Reply, hex: &str) {
    assert_eq!(reply.header("x-checksum-sha256"), Some(hex));
    let raw = hex::decode(hex).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
    assert_eq!(
        reply.header("digest"),
        Some(format!("sha-256={b64}").as_str())
    );
}

#[tokio::test]
async fn helm_index_lists_every_chart_and_every_url_serves_its_digest() {
    let e = Enclave::new().await;
    let reply = e.get("/charts/index.yaml").await;
    assert_eq!(reply.status, StatusCode::OK);
    let index: HelmIndex = serde_saphyr::from_str(&reply.text()).unwrap();
    assert_eq!(index.api_version, "v1");
    assert!(
        unix_seconds(&index.generated).is_ok(),
        "{}",
        index.generated
    );
    assert_eq!(
        index.entries.keys().collect::<Vec<_>>(),
        ["cert-manager", "podinfo"],
        "one key per chart; the .sig tag in charts/podinfo is not a chart"
    );
    let versions: Vec<&str> = index.entries["podinfo"]
        .iter()
        .map(|v| v.version.as_str())
        .collect();
    assert_eq!(versions, ["6.10.1", "6.5.0"], "newest first, by semver");

    let mut fetched = 0;
    for (key, versions) in &index.entries {
        for entry in versions {
            let chart = e
                .charts
                .iter()
                .find(|c| c.name == entry.name && c.version == entry.version)
                .unwrap_or_else(|| panic!("unexpected entry {entry:?}"));
            assert_eq!(key, &entry.name);
            assert_eq!(entry.api_version.as_deref(), Some("v2"));
            assert_eq!(
                entry.app_version.as_deref(),
                Some(chart.app_version.as_str())
            );
            assert_eq!(
                entry.description.as_deref(),
                Some(chart.description.as_str())
            );
            assert_eq!(entry.chart_type.as_deref(), Some("application"));
            assert!(unix_seconds(&entry.created).is_ok(), "{}", entry.created);
            assert_eq!(entry.digest.len(), 64);
            assert!(!entry.urls.is_empty());
            for url in &entry.urls {
                let got = e.get(&chart_path(url)).await;
                assert_eq!(got.status, StatusCode::OK, "{url}");
                assert_eq!(sha256_hex(&got.body), entry.digest, "{url}");
                assert_eq!(got.body, chart.tgz);
                assert_eq!(
                    got.header("content-length"),
                    Some(chart.tgz.len().to_string().as_str())
                );
                assert_checksum_headers(&got, &entry.digest);
                fetched += 1;
            }
        }
    }
    assert_eq!(fetched, e.charts.len());
}

#[tokio::test]
async fn charts_are_served_as_helm_oci_artifacts_by_tag() {
    let e = Enclave::new().await;
    let index: HelmIndex =
        serde_saphyr::from_str(&e.get("/charts/index.yaml").await.text()).unwrap();
    for chart in &e.charts {
        let reply = e
            .request(
                Method::GET,
                &format!("/v2/charts/{}/manifests/{}", chart.name, chart.version),
                &[("accept", media::OCI_MANIFEST)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", chart.name);
        assert_eq!(reply.header("content-type"), Some(media::OCI_MANIFEST));
        assert_eq!(
            reply.header("docker-content-digest"),
            Some(chart.manifest.to_string().as_str())
        );
        let manifest = reply.json();
        assert_eq!(manifest["config"]["mediaType"], media::HELM_CONFIG);
        let layer = &manifest["layers"][0];
        assert_eq!(layer["mediaType"], media::HELM_CHART);
        let layer_digest = layer["digest"].as_str().unwrap();
        assert_eq!(layer_digest, format!("sha256:{}", sha256_hex(&chart.tgz)));
        let entry = index.entries[&chart.name]
            .iter()
            .find(|v| v.version == chart.version)
            .unwrap();
        assert_eq!(layer_digest, format!("sha256:{}", entry.digest));

        let config = e
            .get(&format!(
                "/v2/charts/{}/blobs/{}",
                chart.name,
                manifest["config"]["digest"].as_str().unwrap()
            ))
            .await
            .json();
        assert_eq!(config["name"], chart.name.as_str());
        assert_eq!(config["version"], chart.version.as_str());
        let blob = e
            .get(&format!("/v2/charts/{}/blobs/{layer_digest}", chart.name))
            .await;
        assert_eq!(blob.body, chart.tgz);
    }
}

#[tokio::test]
async fn provenance_is_served_next_to_its_package() {
    let e = Enclave::new().await;
    let signed = e.charts.iter().find(|c| c.prov.is_some()).unwrap();
    let prov = signed.prov.as_ref().unwrap();
    let reply = e
        .get(&format!(
            "/charts/{}-{}.tgz.prov",
            signed.name, signed.version
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(&reply.body, prov);
    assert_checksum_headers(&reply, &sha256_hex(prov));
    let unsigned = e.charts.iter().find(|c| c.prov.is_none()).unwrap();
    let reply = e
        .get(&format!(
            "/charts/{}-{}.tgz.prov",
            unsigned.name, unsigned.version
        ))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn chart_packages_support_ranges_and_head() {
    let e = Enclave::new().await;
    let chart = &e.charts[0];
    let path = format!("/charts/{}-{}.tgz", chart.name, chart.version);
    let part = e
        .request(Method::GET, &path, &[("range", "bytes=2-9")])
        .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, chart.tgz[2..10]);
    let head = e.request(Method::HEAD, &path, &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(chart.tgz.len().to_string().as_str())
    );
}

#[tokio::test]
async fn files_are_listed_as_json_and_html() {
    let e = Enclave::new().await;
    let reply = e.get("/files/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let listing = reply.json();
    let files = listing["files"].as_array().unwrap();
    let mut names: Vec<&str> = files.iter().map(|f| f["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["notes.txt", "talos.iso"]);
    for f in &e.files {
        let entry = files.iter().find(|x| x["name"] == f.name.as_str()).unwrap();
        assert_eq!(entry["size"], f.bytes.len() as u64);
        assert_eq!(entry["digest"], format!("sha256:{}", sha256_hex(&f.bytes)));
        assert_eq!(entry["manifest"], f.manifest.to_string());
        assert_eq!(entry["title"], f.name.as_str());
        assert!(unix_seconds(entry["createdAt"].as_str().unwrap()).is_ok());
        let got = e
            .get(&format!("/files/{}", entry["url"].as_str().unwrap()))
            .await;
        assert_eq!(got.body, f.bytes);
    }
    assert_eq!(e.get("/files").await.json(), listing);

    let html = e
        .request(
            Method::GET,
            "/files/",
            &[("accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
        )
        .await;
    assert_eq!(html.status, StatusCode::OK);
    assert_eq!(
        html.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let page = html.text();
    assert!(
        page.contains("<a href=\"talos.iso\">talos.iso</a>"),
        "{page}"
    );
    assert!(page.contains(&sha256_hex(&e.files[0].bytes)), "{page}");
}

#[tokio::test]
async fn files_stream_with_checksums_ranges_and_head() {
    let e = Enclave::new().await;
    let f = e.files.iter().find(|f| f.name == "talos.iso").unwrap();
    let hex = sha256_hex(&f.bytes);
    let len = f.bytes.len();

    let full = e.get("/files/talos.iso").await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.body, f.bytes);
    assert_eq!(
        full.header("content-length"),
        Some(len.to_string().as_str())
    );
    assert_eq!(
        full.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(
        full.header("content-disposition"),
        Some("attachment; filename=\"talos.iso\"")
    );
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    assert_checksum_headers(&full, &hex);

    let head = e.request(Method::HEAD, "/files/talos.iso", &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(len.to_string().as_str())
    );
    assert_checksum_headers(&head, &hex);

    let part = e
        .request(
            Method::GET,
            "/files/talos.iso",
            &[("range", "bytes=100-199")],
        )
        .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, f.bytes[100..200]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 100-199/{len}").as_str())
    );
    assert_eq!(part.header("content-length"), Some("100"));
    assert_checksum_headers(&part, &hex);

    let tail = e
        .request(Method::GET, "/files/talos.iso", &[("range", "bytes=-10")])
        .await;
    assert_eq!(tail.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.body, f.bytes[len - 10..]);

    let beyond = e
        .request(
            Method::GET,
            "/files/talos.iso",
            &[("range", &format!("bytes={len}-"))],
        )
        .await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        beyond.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
}

#[tokio::test]
async fn packs_are_listed_and_served_as_oci_artifacts() {
    let e = Enclave::new().await;
    let reply = e.get("/api/v1/packs").await;
    assert_eq!(reply.status, StatusCode::OK);
    let packs = reply.json()["packs"].as_array().unwrap().clone();
    assert_eq!(packs.len(), 1);
    let p = &packs[0];
    assert_eq!(p["name"], e.pack.name.as_str());
    assert_eq!(p["version"], e.pack.version.as_str());
    assert_eq!(p["digest"], e.pack.manifest.to_string());
    assert_eq!(p["layer"], format!("sha256:{}", sha256_hex(&e.pack.layer)));
    assert_eq!(p["size"], e.pack.layer.len() as u64);
    assert_eq!(p["packJson"]["name"], e.pack.name.as_str());
    assert_eq!(p["packJson"]["version"], e.pack.version.as_str());
    assert_eq!(p["packJson"]["layer"], "cni");
    let reference = p["reference"].as_str().unwrap();
    assert_eq!(
        reference,
        format!("spectro-packs/archive/{}:{}", e.pack.name, e.pack.version)
    );

    let (repo, tag) = reference.split_once(':').unwrap();
    let manifest = e.get(&format!("/v2/{repo}/manifests/{tag}")).await;
    assert_eq!(manifest.status, StatusCode::OK);
    let doc = manifest.json();
    assert_eq!(doc["artifactType"], media::PACK_ARTIFACT);
    assert_eq!(doc["layers"][0]["mediaType"], media::PACK_LAYER);
    let layer = e
        .get(&format!(
            "/v2/{repo}/blobs/{}",
            p["layer"].as_str().unwrap()
        ))
        .await;
    assert_eq!(layer.body, e.pack.layer);
}

#[tokio::test]
async fn repositories_and_bundles_are_listed() {
    let e = Enclave::new().await;
    let repos = e.get("/api/v1/repositories").await;
    assert_eq!(repos.status, StatusCode::OK);
    let names: Vec<String> = repos.json()["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "charts/cert-manager",
            "charts/podinfo",
            "files/notes.txt",
            "files/talos.iso",
            "spectro-packs/archive/cilium"
        ]
    );

    let bundles = e.get("/api/v1/bundles").await.json();
    let list = bundles["bundles"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    let b = &list[0];
    let digest = e.fixture.manifest_digest();
    assert_eq!(b["digest"], digest.to_string());
    assert_eq!(b["createdAt"], import_support::CREATED);
    assert_eq!(b["signer"], keys().trusted.name());
    assert_eq!(b["artifacts"], e.fixture.manifest.artifacts.len() as u64);
    assert_eq!(b["retired"], false);
    assert!(unix_seconds(b["importedAt"].as_str().unwrap()).is_ok());
    assert_eq!(b["retiredAt"], serde_json::Value::Null);

    retire_bundle(&e.store, &digest).await.unwrap();
    let b = &e.get("/api/v1/bundles").await.json()["bundles"][0];
    assert_eq!(b["retired"], true);
    assert!(unix_seconds(b["retiredAt"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn index_follows_imports_retirement_and_gc() {
    let e = Enclave::new().await;
    let dir = tempfile::tempdir().unwrap();
    let (second, chart) = chart_bundle(dir.path(), "podinfo", "7.0.0");
    import_bundle(&e.store, &second.path, &trusting())
        .await
        .unwrap();
    let versions = |yaml: String| -> Vec<String> {
        let index: HelmIndex = serde_saphyr::from_str(&yaml).unwrap();
        index
            .entries
            .get("podinfo")
            .map_or(vec![], |v| v.iter().map(|e| e.version.clone()).collect())
    };
    assert_eq!(
        versions(e.get("/charts/index.yaml").await.text()),
        ["7.0.0", "6.10.1", "6.5.0"]
    );
    let got = e.get("/charts/podinfo-7.0.0.tgz").await;
    assert_eq!(got.body, chart.tgz);

    retire_bundle(&e.store, &e.fixture.manifest_digest())
        .await
        .unwrap();
    gc_with(
        &e.store,
        &GcOptions {
            grace: Duration::ZERO,
            dry_run: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        versions(e.get("/charts/index.yaml").await.text()),
        ["7.0.0"]
    );
    let gone = e.get("/charts/podinfo-6.5.0.tgz").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let files = e.get("/files/").await.json();
    assert_eq!(files["files"], serde_json::json!([]));
    assert_eq!(
        e.get("/files/talos.iso").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        e.get("/api/v1/packs").await.json()["packs"],
        serde_json::json!([])
    );
}

/// Hostile or simply wrong names: a clean 400 or 404, never a 500 and never content.
#[rstest]
#[case::dotdot("/files/..", 400)]
#[case::encoded_dotdot("/files/%2e%2e", 400)]
#[case::encoded_slash("/files/a%2Fb", 400)]
#[case::encoded_traversal("/files/..%2F..%2Fetc%2Fpasswd", 400)]
#[case::encoded_backslash("/files/..%5Cferry.db", 400)]
#[case::nul("/files/talos.iso%00", 400)]
#[case::newline("/files/a%0Ab", 400)]
#[case::quote("/files/%22talos.iso%22", 400)]
#[case::invalid_utf8("/files/%ff%fe", 400)]
#[case::hidden("/files/.ferry.db", 400)]
#[case::too_long(format!("/files/{}", "x".repeat(300)), 400)]
#[case::raw_traversal("/files/../../etc/passwd", 404)]
#[case::nested("/files/talos.iso/x", 404)]
#[case::unknown_file("/files/nosuch.iso", 404)]
#[case::case_differs("/files/TALOS.ISO", 404)]
#[case::chart_traversal("/charts/..%2F..%2Fferry.db", 400)]
#[case::chart_nul("/charts/podinfo-6.5.0.tgz%00", 400)]
#[case::chart_unknown("/charts/nosuch-1.0.0.tgz", 404)]
#[case::chart_unknown_version("/charts/podinfo-9.9.9.tgz", 404)]
#[case::chart_no_version("/charts/podinfo.tgz", 404)]
#[case::chart_dash_only("/charts/-.tgz", 404)]
#[case::chart_wrong_suffix("/charts/podinfo-6.5.0.tar", 404)]
#[case::chart_tag_not_version("/charts/podinfo-sha256-x.sig.tgz", 404)]
#[case::chart_no_prov("/charts/podinfo-6.10.1.tgz.prov", 404)]
#[case::chart_nested("/charts/podinfo/6.5.0.tgz", 404)]
#[tokio::test]
async fn hostile_names_are_refused_cleanly(#[case] path: String, #[case] status: u16) {
    let e = Enclave::new().await;
    for method in [Method::GET, Method::HEAD] {
        let reply = e.request(method.clone(), &path, &[]).await;
        assert_eq!(reply.status.as_u16(), status, "{method} {path}");
        if method == Method::GET {
            assert!(reply
                .header("content-type")
                .unwrap_or_default()
                .contains("json"));
        }
    }
}
