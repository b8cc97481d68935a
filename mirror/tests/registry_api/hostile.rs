//! Hostile and malformed requests: every one gets a spec error, never a 500.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use rstest::rstest;

use crate::harness::{basic, Registry, OCI_MANIFEST, PASSWORD, USER};

const ZERO: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

#[rstest]
#[case::dotdot_name("/v2/../x/manifests/latest", 400, "NAME_INVALID")]
#[case::encoded_dotdot("/v2/%2e%2e/manifests/latest", 400, "NAME_INVALID")]
#[case::encoded_slash("/v2/a%2fb/manifests/latest", 400, "NAME_INVALID")]
#[case::dotdot_inside("/v2/a/../../etc/manifests/latest", 400, "NAME_INVALID")]
#[case::upper_case("/v2/Library/nginx/manifests/latest", 400, "NAME_INVALID")]
#[case::empty_component("/v2/a//b/manifests/latest", 400, "NAME_INVALID")]
#[case::trailing_separator("/v2/a-/manifests/latest", 400, "NAME_INVALID")]
#[case::dotdot_short("/v2/../x", 404, "NAME_UNKNOWN")]
#[case::bad_ns("/v2/library/nginx/manifests/latest?ns=../../etc", 400, "NAME_INVALID")]
#[case::ns_with_slash("/v2/library/nginx/manifests/latest?ns=a/b", 400, "NAME_INVALID")]
// A reference that is no valid tag names no manifest: 404, as distribution answers.
#[case::bad_tag("/v2/a/manifests/-latest", 404, "MANIFEST_UNKNOWN")]
#[case::conformance_bad_tag("/v2/a/manifests/.INVALID_MANIFEST_NAME", 404, "MANIFEST_UNKNOWN")]
#[case::long_tag(&format!("/v2/a/manifests/{}", "t".repeat(129)), 404, "MANIFEST_UNKNOWN")]
#[case::bad_digest("/v2/a/manifests/sha256:xyz", 400, "DIGEST_INVALID")]
#[case::upper_digest(&format!("/v2/a/manifests/sha256:{}", "A".repeat(64)), 400, "DIGEST_INVALID")]
#[case::other_algorithm(&format!("/v2/a/manifests/sha512:{}", "0".repeat(128)), 400, "DIGEST_INVALID")]
#[case::blob_bad_digest("/v2/a/blobs/latest", 400, "DIGEST_INVALID")]
#[case::blob_traversal("/v2/a/blobs/sha256:../../ferry.db", 404, "NAME_UNKNOWN")]
#[case::blob_encoded_traversal("/v2/a/blobs/sha256:%2e%2e%2fferry.db", 400, "DIGEST_INVALID")]
#[case::referrers_bad_digest("/v2/a/referrers/sha256:00", 400, "DIGEST_INVALID")]
#[case::unknown_manifest("/v2/a/manifests/latest", 404, "MANIFEST_UNKNOWN")]
#[case::unknown_manifest_digest(&format!("/v2/a/manifests/{ZERO}"), 404, "MANIFEST_UNKNOWN")]
#[case::unknown_blob(&format!("/v2/a/blobs/{ZERO}"), 404, "BLOB_UNKNOWN")]
#[case::unknown_repo_tags("/v2/a/tags/list", 404, "NAME_UNKNOWN")]
#[case::long_name(&format!("/v2/{}/manifests/latest", "a".repeat(256)), 400, "NAME_INVALID")]
#[case::unknown_endpoint("/v2/a/things/x", 404, "NAME_UNKNOWN")]
#[case::not_v2("/v3/a/manifests/latest", 404, "NAME_UNKNOWN")]
#[tokio::test]
async fn bad_reads_get_spec_errors(#[case] uri: &str, #[case] status: u16, #[case] code: &str) {
    let reg = Registry::read_only().await;
    for method in [Method::GET, Method::HEAD] {
        let r = reg.get(method.clone(), uri).await;
        assert_eq!(
            r.status.as_u16(),
            status,
            "{method} {uri}: {:?}",
            String::from_utf8_lossy(&r.body)
        );
        if method == Method::GET {
            assert_eq!(r.error_code(), code, "{uri}");
        }
    }
}

#[rstest]
#[case::post_upload(Method::POST, "/v2/a/blobs/uploads/")]
#[case::put_manifest(Method::PUT, "/v2/a/manifests/latest")]
#[case::delete_manifest(Method::DELETE, "/v2/a/manifests/latest")]
#[case::delete_blob(Method::DELETE, &format!("/v2/a/blobs/{ZERO}"))]
#[case::patch_upload(Method::PATCH, "/v2/a/blobs/uploads/abcd")]
#[tokio::test]
async fn writes_are_refused_when_push_is_off(#[case] method: Method, #[case] uri: &str) {
    let reg = Registry::read_only().await;
    let r = reg.auth(method, uri, &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.error_code(), "UNSUPPORTED");
}

/// Without credentials a malformed name gets the same challenge as any other write, never a 400
/// that echoes the input back.
#[rstest]
#[case::dotdot(Method::PUT, "/v2/../x/manifests/latest")]
#[case::upper_case(Method::POST, "/v2/Secret-Name/blobs/uploads/")]
#[case::encoded(Method::DELETE, "/v2/%2e%2e/blobs/sha256:00")]
#[case::bad_ns(Method::PUT, "/v2/a/manifests/x?ns=../../etc")]
#[case::bad_upload_id(Method::PATCH, "/v2/a/blobs/uploads/..%2fetc")]
#[case::bad_tag(Method::PUT, "/v2/a/manifests/.Secret")]
#[tokio::test]
async fn malformed_writes_without_credentials_get_the_challenge(
    #[case] method: Method,
    #[case] uri: &str,
) {
    let reg = Registry::with_push().await;
    let r = reg.get(method.clone(), uri).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    assert_eq!(r.error_code(), "UNAUTHORIZED");
    assert!(r
        .header("www-authenticate")
        .is_some_and(|c| c.starts_with("Bearer realm=")));
    let body = String::from_utf8_lossy(&r.body);
    assert!(!body.contains("Secret") && !body.contains("etc"), "{body}");
}

#[rstest]
#[case::none(None)]
#[case::wrong_password(Some(basic(USER, "wrong")))]
#[case::unknown_user(Some(basic("mallory", PASSWORD)))]
#[case::not_base64(Some("Basic !!!not-base64!!!".to_owned()))]
#[case::bearer(Some("Bearer abc".to_owned()))]
#[case::no_colon(Some(format!("Basic {}", "dXNlcg==")))]
#[tokio::test]
async fn writes_need_valid_credentials(#[case] authorization: Option<String>) {
    let reg = Registry::with_push().await;
    for (method, uri) in [
        (Method::POST, "/v2/a/blobs/uploads/"),
        (Method::PUT, "/v2/a/manifests/x"),
        (Method::GET, "/v2/"),
    ] {
        let mut b = Request::builder().method(method.clone()).uri(uri);
        if let Some(a) = &authorization {
            b = b.header("authorization", a);
        }
        let r = reg.send(b.body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        assert_eq!(r.error_code(), "UNAUTHORIZED");
        let challenge = r.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.starts_with("Bearer realm=\"http://")
                && challenge.contains("/token\",service=\"ferry\""),
            "{challenge}"
        );
    }
}

#[rstest]
#[case::not_json(b"{not json".to_vec(), "MANIFEST_INVALID")]
#[case::not_object(b"[1,2]".to_vec(), "MANIFEST_INVALID")]
#[case::schema1(br#"{"schemaVersion":1,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#.to_vec(), "MANIFEST_INVALID")]
#[case::no_config(br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#.to_vec(), "MANIFEST_INVALID")]
#[case::bad_layer_digest(br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:00"},"layers":[]}"#.to_vec(), "MANIFEST_INVALID")]
#[case::media_type_mismatch(br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.to_vec(), "MANIFEST_INVALID")]
#[case::unknown_type(br#"{"schemaVersion":2,"mediaType":"text/plain"}"#.to_vec(), "MANIFEST_INVALID")]
#[case::missing_blobs(
    format!(r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"digest":"{ZERO}","size":1}},"layers":[]}}"#).into_bytes(),
    "MANIFEST_BLOB_UNKNOWN"
)]
#[tokio::test]
async fn malformed_manifests_are_refused(#[case] body: Vec<u8>, #[case] code: &str) {
    let reg = Registry::with_push().await;
    let r = reg
        .auth(
            Method::PUT,
            "/v2/a/manifests/v1",
            &[("content-type", OCI_MANIFEST)],
            body,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.error_code(), code);
    assert_eq!(
        reg.get(Method::GET, "/v2/a/manifests/v1").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn huge_manifests_are_refused_without_reading_them_whole() {
    let reg = Registry::with_push().await;
    let big = vec![b' '; 4 * 1024 * 1024 + 1];
    let r = reg
        .auth(
            Method::PUT,
            "/v2/a/manifests/v1",
            &[("content-type", OCI_MANIFEST)],
            big.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.error_code(), "MANIFEST_INVALID");
    // A lying Content-Length is caught by the streaming limit as well.
    let stream = futures_util::stream::iter(
        big.chunks(65536)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let r = reg
        .auth(
            Method::PUT,
            "/v2/a/manifests/v1",
            &[("content-type", OCI_MANIFEST)],
            Body::from_stream(stream),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[rstest]
#[case::unknown_session_patch(
    Method::PATCH,
    "/v2/a/blobs/uploads/0123abcd",
    404,
    "BLOB_UPLOAD_UNKNOWN"
)]
#[case::unknown_session_get(
    Method::GET,
    "/v2/a/blobs/uploads/0123abcd",
    404,
    "BLOB_UPLOAD_UNKNOWN"
)]
#[case::unknown_session_put(Method::PUT, &format!("/v2/a/blobs/uploads/0123abcd?digest={ZERO}"), 404, "BLOB_UPLOAD_UNKNOWN")]
#[case::unknown_session_delete(
    Method::DELETE,
    "/v2/a/blobs/uploads/0123abcd",
    404,
    "BLOB_UPLOAD_UNKNOWN"
)]
#[case::session_id_traversal(
    Method::PATCH,
    "/v2/a/blobs/uploads/..%2f..%2fferry.db",
    404,
    "BLOB_UPLOAD_UNKNOWN"
)]
#[case::session_id_not_hex(Method::GET, "/v2/a/blobs/uploads/ZZZ", 404, "BLOB_UPLOAD_UNKNOWN")]
#[case::monolithic_bad_digest(
    Method::POST,
    "/v2/a/blobs/uploads/?digest=sha256:nothex",
    400,
    "DIGEST_INVALID"
)]
#[case::mount_bad_digest(
    Method::POST,
    "/v2/a/blobs/uploads/?mount=md5:00&from=b",
    400,
    "DIGEST_INVALID"
)]
#[case::mount_bad_from(Method::POST, &format!("/v2/a/blobs/uploads/?mount={ZERO}&from=../b"), 400, "NAME_INVALID")]
#[case::delete_unknown_blob(Method::DELETE, &format!("/v2/a/blobs/{ZERO}"), 404, "BLOB_UNKNOWN")]
#[case::delete_unknown_manifest(Method::DELETE, &format!("/v2/a/manifests/{ZERO}"), 404, "MANIFEST_UNKNOWN")]
#[case::delete_unknown_tag(Method::DELETE, "/v2/a/manifests/nope", 404, "MANIFEST_UNKNOWN")]
#[case::unsupported_method(Method::OPTIONS, "/v2/a/manifests/x", 405, "UNSUPPORTED")]
#[case::put_bad_tag(
    Method::PUT,
    "/v2/a/manifests/.INVALID_MANIFEST_NAME",
    400,
    "MANIFEST_INVALID"
)]
#[tokio::test]
async fn bad_writes_get_spec_errors(
    #[case] method: Method,
    #[case] uri: &str,
    #[case] status: u16,
    #[case] code: &str,
) {
    let reg = Registry::with_push().await;
    let r = reg.auth(method.clone(), uri, &[], b"data".to_vec()).await;
    assert_eq!(
        r.status.as_u16(),
        status,
        "{method} {uri}: {:?}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.error_code(), code);
}

#[rstest]
#[case::out_of_order("10-13", 416)]
#[case::not_a_range("abc", 416)]
#[case::reversed("5-1", 416)]
#[tokio::test]
async fn chunks_must_arrive_in_order(#[case] content_range: &str, #[case] status: u16) {
    let reg = Registry::with_push().await;
    let start = reg
        .auth(Method::POST, "/v2/a/blobs/uploads/", &[], Vec::new())
        .await;
    let location = start.header("location").unwrap().to_owned();
    let ok = reg
        .auth(
            Method::PATCH,
            &location,
            &[("content-range", "0-3")],
            b"abcd".to_vec(),
        )
        .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED);
    let r = reg
        .auth(
            Method::PATCH,
            &location,
            &[("content-range", content_range)],
            b"efgh".to_vec(),
        )
        .await;
    assert_eq!(r.status.as_u16(), status);
    assert_eq!(r.error_code(), "BLOB_UPLOAD_INVALID");
    // The session is intact and still at 4 bytes.
    let s = reg.auth(Method::GET, &location, &[], Vec::new()).await;
    assert_eq!(s.status, StatusCode::NO_CONTENT);
    assert_eq!(s.header("range"), Some("0-3"));
}

#[tokio::test]
async fn concurrent_chunks_to_one_session_are_refused() {
    let reg = Registry::with_push().await;
    let start = reg
        .auth(Method::POST, "/v2/a/blobs/uploads/", &[], Vec::new())
        .await;
    let location = start.header("location").unwrap().to_owned();
    // A slow client: its chunk keeps streaming until we let it finish.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    tx.send(Ok(b"first".to_vec())).await.unwrap();
    let body = Body::from_stream(tokio_stream_from(rx));
    let router = reg.router.clone();
    let slow_req = Request::builder()
        .method(Method::PATCH)
        .uri(&location)
        .header("authorization", basic(USER, PASSWORD))
        .body(body)
        .unwrap();
    let slow = tokio::spawn(async move {
        use tower::ServiceExt;
        router.oneshot(slow_req).await.unwrap().status()
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let r = reg
        .auth(Method::PATCH, &location, &[], b"second".to_vec())
        .await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(r.error_code(), "BLOB_UPLOAD_INVALID");
    drop(tx);
    assert_eq!(slow.await.unwrap(), StatusCode::ACCEPTED);
    let s = reg.auth(Method::GET, &location, &[], Vec::new()).await;
    assert_eq!(
        s.header("range"),
        Some("0-4"),
        "only the first chunk landed"
    );
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
