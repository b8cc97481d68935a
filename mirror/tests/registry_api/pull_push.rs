//! The four spec categories end to end through the router: push, pull, discovery, management.

use axum::http::{Method, StatusCode};
use ferry_bundler::format::Digest;

use crate::harness::{image_manifest, Registry, OCI_INDEX, OCI_MANIFEST};

#[tokio::test]
async fn pushed_manifest_is_pulled_byte_exact_by_tag_and_digest() {
    let reg = Registry::with_push().await;
    let (bytes, digest, _) = reg
        .push_image("docker.io/library/nginx", "1.27", b"layer-bytes")
        .await;
    for reference in ["1.27".to_owned(), digest.to_string()] {
        let uri = format!("/v2/docker.io/library/nginx/manifests/{reference}");
        let r = reg.get(Method::GET, &uri).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, bytes, "exact stored bytes");
        assert_eq!(r.header("content-type"), Some(OCI_MANIFEST));
        assert_eq!(
            r.header("docker-content-digest"),
            Some(digest.to_string().as_str())
        );
        assert_eq!(
            r.header("content-length"),
            Some(bytes.len().to_string().as_str())
        );
        let h = reg.get(Method::HEAD, &uri).await;
        assert_eq!(h.status, StatusCode::OK);
        assert!(h.body.is_empty());
        assert_eq!(
            h.header("content-length"),
            Some(bytes.len().to_string().as_str())
        );
        assert_eq!(
            h.header("docker-content-digest"),
            Some(digest.to_string().as_str())
        );
    }
    // Another repository does not see it.
    let r = reg
        .get(Method::GET, &format!("/v2/other/manifests/{digest}"))
        .await;
    assert_eq!(r.error_code(), "MANIFEST_UNKNOWN");
}

#[tokio::test]
async fn containerd_ns_parameter_maps_onto_the_upstream_repository() {
    let reg = Registry::with_push().await;
    let (bytes, digest, layer) = reg
        .push_image("docker.io/library/nginx", "1.27", b"layer")
        .await;
    let r = reg
        .get(Method::GET, "/v2/library/nginx/manifests/1.27?ns=docker.io")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, bytes);
    let r = reg
        .get(
            Method::GET,
            &format!("/v2/library/nginx/manifests/{digest}?ns=docker.io"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = reg
        .get(
            Method::GET,
            &format!("/v2/library/nginx/blobs/{layer}?ns=docker.io"),
        )
        .await;
    assert_eq!(r.body, b"layer");
    // Without ns the short name is a different (absent) repository.
    assert_eq!(
        reg.get(Method::GET, "/v2/library/nginx/manifests/1.27")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn blobs_stream_whole_or_by_single_range() {
    let reg = Registry::with_push().await;
    let content: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let digest = reg.push_blob("a", &content).await;
    let uri = format!("/v2/a/blobs/{digest}");

    let r = reg.get(Method::GET, &uri).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, content);
    assert_eq!(
        r.header("docker-content-digest"),
        Some(digest.to_string().as_str())
    );
    assert_eq!(r.header("content-length"), Some("100000"));

    let h = reg.get(Method::HEAD, &uri).await;
    assert_eq!((h.status, h.body.len()), (StatusCode::OK, 0));
    assert_eq!(h.header("content-length"), Some("100000"));

    for (range, first, last) in [
        ("bytes=10-19", 10, 19),
        ("bytes=99990-", 99_990, 99_999),
        ("bytes=-5", 99_995, 99_999),
    ] {
        let req = axum::http::Request::get(&uri)
            .header("range", range)
            .body(axum::body::Body::empty())
            .unwrap();
        let r = reg.send(req).await;
        assert_eq!(r.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(r.body, &content[first..=last]);
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes {first}-{last}/100000").as_str())
        );
    }
    let req = axum::http::Request::get(&uri)
        .header("range", "bytes=100000-")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = reg.send(req).await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(r.header("content-range"), Some("bytes */100000"));
}

#[tokio::test]
async fn chunked_upload_session_lifecycle() {
    let reg = Registry::with_push().await;
    let start = reg
        .auth(Method::POST, "/v2/a/b/blobs/uploads/", &[], Vec::new())
        .await;
    assert_eq!(start.status, StatusCode::ACCEPTED);
    let location = start.header("location").unwrap().to_owned();
    assert!(location.starts_with("/v2/a/b/blobs/uploads/"), "{location}");

    let p1 = reg
        .auth(
            Method::PATCH,
            &location,
            &[("content-range", "0-4")],
            b"hello".to_vec(),
        )
        .await;
    assert_eq!(p1.status, StatusCode::ACCEPTED);
    assert_eq!(p1.header("range"), Some("0-4"));
    assert_eq!(p1.header("location"), Some(location.as_str()));
    // Streamed chunk without Content-Range appends too.
    let p2 = reg
        .auth(Method::PATCH, &location, &[], b" wor".to_vec())
        .await;
    assert_eq!(p2.header("range"), Some("0-8"));

    let status = reg.auth(Method::GET, &location, &[], Vec::new()).await;
    assert_eq!(status.status, StatusCode::NO_CONTENT);
    assert_eq!(status.header("range"), Some("0-8"));

    let whole = Digest::of_bytes(b"hello world");
    let wrong = Digest::of_bytes(b"something else");
    let bad = reg
        .auth(
            Method::PUT,
            &format!("{location}?digest={wrong}"),
            &[("content-range", "9-10")],
            b"ld".to_vec(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_code(), "DIGEST_INVALID");
    assert_eq!(
        reg.get(Method::HEAD, &format!("/v2/a/b/blobs/{wrong}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let done = reg
        .auth(
            Method::PUT,
            &format!("{location}?digest={whole}"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(
        done.status,
        StatusCode::CREATED,
        "{:?}",
        String::from_utf8_lossy(&done.body)
    );
    assert_eq!(
        done.header("location"),
        Some(format!("/v2/a/b/blobs/{whole}").as_str())
    );
    assert_eq!(
        done.header("docker-content-digest"),
        Some(whole.to_string().as_str())
    );
    assert_eq!(
        reg.get(Method::GET, &format!("/v2/a/b/blobs/{whole}"))
            .await
            .body,
        b"hello world"
    );
    // The session is gone once published.
    let gone = reg.auth(Method::GET, &location, &[], Vec::new()).await;
    assert_eq!(gone.error_code(), "BLOB_UPLOAD_UNKNOWN");
}

#[tokio::test]
async fn cancelled_upload_leaves_nothing() {
    let reg = Registry::with_push().await;
    let start = reg
        .auth(Method::POST, "/v2/a/blobs/uploads", &[], Vec::new())
        .await;
    let location = start.header("location").unwrap().to_owned();
    reg.auth(Method::PATCH, &location, &[], b"partial".to_vec())
        .await;
    let r = reg.auth(Method::DELETE, &location, &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        reg.auth(Method::GET, &location, &[], Vec::new())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        std::fs::read_dir(reg.store.root().join("uploads"))
            .unwrap()
            .count(),
        0
    );
}

#[tokio::test]
async fn monolithic_upload_with_wrong_digest_is_refused() {
    let reg = Registry::with_push().await;
    let claimed = Digest::of_bytes(b"other");
    let r = reg
        .auth(
            Method::POST,
            &format!("/v2/a/blobs/uploads/?digest={claimed}"),
            &[],
            b"bytes".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "DIGEST_INVALID");
    assert!(!reg.store.has_blob(&claimed).unwrap());
    assert_eq!(
        std::fs::read_dir(reg.store.root().join("uploads"))
            .unwrap()
            .count(),
        0
    );
}

#[tokio::test]
async fn cross_repository_mount() {
    let reg = Registry::with_push().await;
    let digest = reg.push_blob("src", b"shared layer").await;
    let r = reg
        .auth(
            Method::POST,
            &format!("/v2/dst/blobs/uploads/?mount={digest}&from=src"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.header("location"),
        Some(format!("/v2/dst/blobs/{digest}").as_str())
    );
    let absent = Digest::of_bytes(b"not here");
    let r = reg
        .auth(
            Method::POST,
            &format!("/v2/dst/blobs/uploads/?mount={absent}&from=src"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::ACCEPTED,
        "falls back to a new session"
    );
    assert!(r
        .header("location")
        .unwrap()
        .starts_with("/v2/dst/blobs/uploads/"));
}

#[tokio::test]
async fn manifest_push_by_digest_checks_the_digest() {
    let reg = Registry::with_push().await;
    let config = reg.push_blob("a", b"{}").await;
    let layer = reg.push_blob("a", b"l").await;
    let doc = image_manifest(&config, 2, &layer, 1, None);
    let digest = Digest::of_bytes(&serde_json::to_vec(&doc).unwrap());
    let wrong = Digest::of_bytes(b"x");
    let r = reg
        .push_manifest("a", &wrong.to_string(), OCI_MANIFEST, &doc)
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::BAD_REQUEST, "DIGEST_INVALID")
    );
    let r = reg
        .push_manifest("a", &digest.to_string(), OCI_MANIFEST, &doc)
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.header("location"),
        Some(format!("/v2/a/manifests/{digest}").as_str())
    );
    // No tag was created.
    assert_eq!(
        reg.get(Method::GET, "/v2/a/tags/list").await.json()["tags"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn referrers_are_listed_and_filtered() {
    let reg = Registry::with_push().await;
    let (subject_bytes, subject, _) = reg.push_image("app", "v1", b"app layer").await;
    let config = reg.push_blob("app", b"{}").await;
    let mut pushed = Vec::new();
    for (i, artifact_type) in [
        "application/vnd.dev.sigstore.bundle+json",
        "application/spdx+json",
    ]
    .iter()
    .enumerate()
    {
        let layer = reg
            .push_blob("app", format!("attachment {i}").as_bytes())
            .await;
        let doc = image_manifest(&config, 2, &layer, 12, Some((&subject, artifact_type)));
        let r = reg
            .push_manifest("app", &format!("att{i}"), OCI_MANIFEST, &doc)
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.header("oci-subject"), Some(subject.to_string().as_str()));
        pushed.push(Digest::of_bytes(&serde_json::to_vec(&doc).unwrap()));
    }
    assert!(!subject_bytes.is_empty());

    let all = reg
        .get(Method::GET, &format!("/v2/app/referrers/{subject}"))
        .await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.header("content-type"), Some(OCI_INDEX));
    assert_eq!(all.header("oci-filters-applied"), None);
    let index = all.json();
    assert_eq!(index["mediaType"], OCI_INDEX);
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2);

    let filtered = reg
        .get(
            Method::GET,
            &format!("/v2/app/referrers/{subject}?artifactType=application/spdx%2Bjson"),
        )
        .await;
    assert_eq!(filtered.header("oci-filters-applied"), Some("artifactType"));
    let m = filtered.json()["manifests"].clone();
    assert_eq!(m.as_array().unwrap().len(), 1);
    assert_eq!(m[0]["artifactType"], "application/spdx+json");
    assert_eq!(m[0]["digest"], pushed[1].to_string());
    assert_eq!(
        m[0]["annotations"]["org.example.kind"],
        "application/spdx+json"
    );

    let none = reg
        .get(
            Method::GET,
            &format!("/v2/app/referrers/{}", Digest::of_bytes(b"nothing")),
        )
        .await;
    assert_eq!(none.status, StatusCode::OK, "empty index, not 404");
    assert_eq!(none.json()["manifests"], serde_json::json!([]));
}

#[tokio::test]
async fn tags_and_catalog_paginate_with_link() {
    let reg = Registry::with_push().await;
    let (_, digest, _) = reg.push_image("docker.io/library/nginx", "t0", b"l").await;
    let doc = reg
        .get(
            Method::GET,
            &format!("/v2/docker.io/library/nginx/manifests/{digest}"),
        )
        .await
        .body;
    for t in ["t1", "t2", "t3", "t4"] {
        let r = reg
            .auth(
                Method::PUT,
                &format!("/v2/docker.io/library/nginx/manifests/{t}"),
                &[("content-type", OCI_MANIFEST)],
                doc.clone(),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let all = reg
        .get(Method::GET, "/v2/docker.io/library/nginx/tags/list")
        .await;
    assert_eq!(
        all.json(),
        serde_json::json!({ "name": "docker.io/library/nginx", "tags": ["t0", "t1", "t2", "t3", "t4"] })
    );
    assert_eq!(all.header("link"), None);

    let page = reg
        .get(Method::GET, "/v2/docker.io/library/nginx/tags/list?n=2")
        .await;
    assert_eq!(page.json()["tags"], serde_json::json!(["t0", "t1"]));
    let link = page.header("link").unwrap().to_owned();
    assert_eq!(
        link,
        "</v2/docker.io/library/nginx/tags/list?n=2&last=t1>; rel=\"next\""
    );
    let next = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();
    let page2 = reg.get(Method::GET, &next).await;
    assert_eq!(page2.json()["tags"], serde_json::json!(["t2", "t3"]));
    let last = reg
        .get(
            Method::GET,
            "/v2/docker.io/library/nginx/tags/list?n=2&last=t3",
        )
        .await;
    assert_eq!(last.json()["tags"], serde_json::json!(["t4"]));
    assert_eq!(last.header("link"), None);
    let zero = reg
        .get(Method::GET, "/v2/docker.io/library/nginx/tags/list?n=0")
        .await;
    assert_eq!(zero.json()["tags"], serde_json::json!([]));
    let via_ns = reg
        .get(Method::GET, "/v2/library/nginx/tags/list?ns=docker.io&n=1")
        .await;
    assert_eq!(via_ns.json()["tags"], serde_json::json!(["t0"]));
    assert_eq!(
        via_ns.header("link"),
        Some("</v2/library/nginx/tags/list?n=1&last=t0&ns=docker.io>; rel=\"next\"")
    );

    reg.push_image("quay.io/a", "x", b"q").await;
    reg.push_image("ghcr.io/b", "x", b"g").await;
    let cat = reg.get(Method::GET, "/v2/_catalog?n=2").await;
    assert_eq!(
        cat.json()["repositories"],
        serde_json::json!(["docker.io/library/nginx", "ghcr.io/b"])
    );
    assert_eq!(
        cat.header("link"),
        Some("</v2/_catalog?n=2&last=ghcr.io/b>; rel=\"next\"")
    );
    let rest = reg
        .get(Method::GET, "/v2/_catalog?n=2&last=ghcr.io/b")
        .await;
    assert_eq!(
        rest.json()["repositories"],
        serde_json::json!(["quay.io/a"])
    );
}

#[tokio::test]
async fn content_management_deletes() {
    let reg = Registry::with_push().await;
    let (bytes, digest, layer) = reg.push_image("a", "v1", b"layer").await;
    reg.auth(
        Method::PUT,
        "/v2/a/manifests/v2",
        &[("content-type", OCI_MANIFEST)],
        bytes,
    )
    .await;

    let r = reg
        .auth(Method::DELETE, "/v2/a/manifests/v1", &[], Vec::new())
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(
        reg.get(Method::GET, "/v2/a/manifests/v1").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        reg.get(Method::GET, "/v2/a/manifests/v2").await.status,
        StatusCode::OK,
        "other tags stay"
    );

    let r = reg
        .auth(
            Method::DELETE,
            &format!("/v2/a/manifests/{digest}"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(
        reg.get(Method::GET, &format!("/v2/a/manifests/{digest}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        reg.get(Method::GET, "/v2/a/manifests/v2").await.status,
        StatusCode::NOT_FOUND,
        "tags of it go too"
    );

    let r = reg
        .auth(
            Method::DELETE,
            &format!("/v2/a/blobs/{layer}"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(
        reg.get(Method::HEAD, &format!("/v2/a/blobs/{layer}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn base_health_and_metrics() {
    let open = Registry::read_only().await;
    let r = open.get(Method::GET, "/v2/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("docker-distribution-api-version"),
        Some("registry/2.0")
    );
    assert_eq!(
        open.get(Method::GET, "/healthz").await.status,
        StatusCode::OK
    );

    let reg = Registry::with_push().await;
    let pushed = reg.auth(Method::GET, "/v2/", &[], Vec::new()).await;
    assert_eq!(
        pushed.status,
        StatusCode::OK,
        "valid credentials pass the ping"
    );
    let (_, _, layer) = reg.push_image("a", "v1", b"0123456789").await;
    reg.get(Method::GET, &format!("/v2/a/blobs/{layer}")).await;
    reg.get(Method::GET, "/v2/a/manifests/nope").await;
    let m = reg.auth(Method::GET, "/metrics", &[], Vec::new()).await;
    assert_eq!(m.status, StatusCode::OK);
    let text = String::from_utf8(m.body).unwrap();
    assert!(
        text.contains(
            "ferry_registry_requests_total{method=\"GET\",route=\"blob\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "ferry_registry_requests_total{method=\"GET\",route=\"manifest\",status=\"404\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("ferry_registry_request_duration_seconds_count"),
        "{text}"
    );
    assert!(text.contains("ferry_store_blobs 3"), "{text}");
    let served: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("ferry_registry_response_bytes_total "))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(served >= 10, "{text}");
}
