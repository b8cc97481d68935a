//! Retries against a real flaky HTTP server: transient answers (5xx, 429) are retried with
//! backoff, client errors (4xx) are not.

mod net_common;

use ferry_bundler::format::Digest;
use ferry_bundler::net::{FileRequest, Request};
use ferry_testkit::HelmRepo;
use net_common::{no_progress, provenance, resolver};

fn file_request(server: &HelmRepo, bytes: &[u8]) -> Request {
    Request::File(FileRequest {
        name: "payload.bin".into(),
        location: format!("{}/payload.bin", server.url()),
        read_from: None,
        sha256: Some(Digest::of_bytes(bytes)),
        provenance: provenance("files"),
    })
}

#[rstest::rstest]
#[case::service_unavailable(503)]
#[case::too_many_requests(429)]
#[case::bad_gateway(502)]
#[tokio::test]
async fn transient_answers_are_retried(#[case] status: u16) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = b"payload".repeat(1000);
    std::fs::write(dir.path().join("payload.bin"), &bytes).unwrap();
    let server = HelmRepo::start_flaky(dir.path(), 2, status);
    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let out = r
        .resolve(&[file_request(&server, &bytes)], &no_progress)
        .await
        .unwrap();
    assert!(r.cache.has(&Digest::of_bytes(&bytes), bytes.len() as u64));
    assert_eq!(out.len(), 1);
}

#[rstest::rstest]
#[case::not_found(404)]
#[case::forbidden(403)]
#[tokio::test]
async fn client_errors_are_not_retried(#[case] status: u16) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = b"payload".repeat(1000);
    std::fs::write(dir.path().join("payload.bin"), &bytes).unwrap();
    // One failure only: a retry would have succeeded.
    let server = HelmRepo::start_flaky(dir.path(), 1, status);
    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let err = r
        .resolve(&[file_request(&server, &bytes)], &no_progress)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&status.to_string()) && msg.contains("payload.bin"),
        "{msg}"
    );
}

#[tokio::test]
async fn persistent_server_errors_give_up_naming_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = b"payload".to_vec();
    std::fs::write(dir.path().join("payload.bin"), &bytes).unwrap();
    let server = HelmRepo::start_flaky(dir.path(), 100, 500);
    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let err = r
        .resolve(&[file_request(&server, &bytes)], &no_progress)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("500") && err.to_string().contains(&server.url()),
        "{err}"
    );
}
