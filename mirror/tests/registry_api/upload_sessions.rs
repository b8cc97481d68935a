//! Upload sessions belong to the repository they were started in, also across a restart, and a
//! chunk's `Content-Range` must describe its body.

use axum::http::{Method, StatusCode};
use ferry_bundler::format::Digest;
use rstest::rstest;

use crate::harness::Registry;

/// Starts a session in `repo` and returns its id.
async fn start(reg: &Registry, repo: &str) -> String {
    let r = reg
        .auth(
            Method::POST,
            &format!("/v2/{repo}/blobs/uploads/"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    r.header("docker-upload-uuid").unwrap().to_owned()
}

async fn range_of(reg: &Registry, repo: &str, id: &str) -> Option<String> {
    let r = reg
        .auth(
            Method::GET,
            &format!("/v2/{repo}/blobs/uploads/{id}"),
            &[],
            Vec::new(),
        )
        .await;
    (r.status == StatusCode::NO_CONTENT).then(|| r.header("range").unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_session_is_unknown_through_another_repository_also_after_a_restart() {
    let mut reg = Registry::with_push().await;
    let id = start(&reg, "a").await;
    let r = reg
        .auth(
            Method::PATCH,
            &format!("/v2/a/blobs/uploads/{id}"),
            &[("content-range", "0-4")],
            b"hello".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    reg.restart().await;

    let digest = Digest::of_bytes(b"hello world");
    let other = format!("/v2/b/blobs/uploads/{id}");
    for (method, uri, body) in [
        (Method::GET, other.clone(), Vec::new()),
        (Method::PATCH, other.clone(), b" world".to_vec()),
        (
            Method::PUT,
            format!("{other}?digest={digest}"),
            b" world".to_vec(),
        ),
        (Method::DELETE, other.clone(), Vec::new()),
    ] {
        let r = reg.auth(method.clone(), &uri, &[], body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {uri}");
        assert_eq!(r.error_code(), "BLOB_UPLOAD_UNKNOWN", "{method} {uri}");
    }
    assert_eq!(range_of(&reg, "a", &id).await.as_deref(), Some("0-4"));
    let r = reg
        .auth(
            Method::PUT,
            &format!("/v2/a/blobs/uploads/{id}?digest={digest}"),
            &[],
            b" world".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        reg.get(Method::GET, &format!("/v2/a/blobs/{digest}"))
            .await
            .body,
        b"hello world"
    );
    assert_eq!(
        reg.get(Method::GET, &format!("/v2/b/blobs/{digest}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[rstest]
#[case::range_longer_than_body(Method::PATCH, "4-13")]
#[case::range_shorter_than_body(Method::PATCH, "4-5")]
#[case::final_chunk_longer_than_body(Method::PUT, "4-9")]
#[tokio::test]
async fn a_content_range_that_disagrees_with_the_body_is_refused(
    #[case] method: Method,
    #[case] content_range: &str,
) {
    let reg = Registry::with_push().await;
    let id = start(&reg, "a").await;
    let uri = format!("/v2/a/blobs/uploads/{id}");
    let ok = reg
        .auth(
            Method::PATCH,
            &uri,
            &[("content-range", "0-3")],
            b"abcd".to_vec(),
        )
        .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED);
    let target = if method == Method::PUT {
        format!("{uri}?digest={}", Digest::of_bytes(b"abcdefgh"))
    } else {
        uri.clone()
    };
    let r = reg
        .auth(
            method,
            &target,
            &[("content-range", content_range)],
            b"efgh".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(r.error_code(), "BLOB_UPLOAD_INVALID");
    assert_eq!(
        range_of(&reg, "a", &id).await.as_deref(),
        Some("0-3"),
        "nothing of the refused chunk was kept"
    );
}
