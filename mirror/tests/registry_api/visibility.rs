//! Blob visibility follows the database, per repository: a blob is served, mounted from or
//! deleted only through a repository it was pushed, mounted or imported into.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use ferry_bundler::format::Digest;
use ferry_mirror::store::{gc_with, GcOptions};

use crate::harness::{image_manifest, Registry, OCI_MANIFEST};

fn blob_uri(repo: &str, digest: &Digest) -> String {
    format!("/v2/{repo}/blobs/{digest}")
}

async fn assert_blob_unknown(reg: &Registry, repo: &str, digest: &Digest) {
    let r = reg.get(Method::GET, &blob_uri(repo, digest)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "GET {repo} {digest}");
    assert_eq!(r.error_code(), "BLOB_UNKNOWN");
    let h = reg.get(Method::HEAD, &blob_uri(repo, digest)).await;
    assert_eq!(h.status, StatusCode::NOT_FOUND, "HEAD {repo} {digest}");
}

async fn assert_served(reg: &Registry, repo: &str, digest: &Digest, bytes: &[u8]) {
    let r = reg.get(Method::GET, &blob_uri(repo, digest)).await;
    assert_eq!(r.status, StatusCode::OK, "GET {repo} {digest}");
    assert_eq!(r.body, bytes);
}

fn no_grace() -> GcOptions {
    GcOptions {
        grace: std::time::Duration::ZERO,
        dry_run: false,
    }
}

#[tokio::test]
async fn a_blob_is_served_only_through_the_repositories_it_was_pushed_to() {
    let reg = Registry::with_push().await;
    let (manifest_bytes, manifest, layer) = reg.push_image("a", "v1", b"layer of a").await;
    assert_served(&reg, "a", &layer, b"layer of a").await;
    assert_served(&reg, "a", &manifest, &manifest_bytes).await;
    // Another repository (existing or not) does not see it, whatever the file system holds.
    reg.push_image("b", "v1", b"layer of b").await;
    for repo in ["b", "never/pushed"] {
        assert_blob_unknown(&reg, repo, &layer).await;
        assert_blob_unknown(&reg, repo, &manifest).await;
    }
}

#[tokio::test]
async fn a_mount_needs_the_blob_in_the_repository_it_names() {
    let reg = Registry::with_push().await;
    let (_, _, layer) = reg.push_image("a", "v1", b"only in a").await;
    reg.push_image("b", "v1", b"only in b").await;
    let mount = |from: &str| format!("/v2/c/blobs/uploads/?mount={layer}&from={from}");
    let r = reg.auth(Method::POST, &mount("b"), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "not mounted: a new upload");
    assert!(r
        .header("location")
        .unwrap()
        .starts_with("/v2/c/blobs/uploads/"));
    assert_blob_unknown(&reg, "c", &layer).await;
    // Without `from` nothing is mounted either: the blob would come from anywhere.
    let r = reg
        .auth(
            Method::POST,
            &format!("/v2/c/blobs/uploads/?mount={layer}"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_blob_unknown(&reg, "c", &layer).await;

    let r = reg.auth(Method::POST, &mount("a"), &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_served(&reg, "c", &layer, b"only in a").await;
}

#[tokio::test]
async fn delete_unlinks_from_one_repository_and_gc_removes_the_file_when_nothing_needs_it() {
    let reg = Registry::with_push().await;
    let (_, in_a, layer) = reg.push_image("a", "v1", b"shared layer").await;
    let file = reg.store.blob_path(&layer);

    let r = reg
        .auth(Method::DELETE, &blob_uri("b", &layer), &[], Vec::new())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "b never had it");
    assert_eq!(r.error_code(), "BLOB_UNKNOWN");
    assert_served(&reg, "a", &layer, b"shared layer").await;

    let (_, in_b, _) = reg.push_image("b", "v1", b"shared layer").await;
    let r = reg
        .auth(Method::DELETE, &blob_uri("a", &layer), &[], Vec::new())
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_blob_unknown(&reg, "a", &layer).await;
    assert_served(&reg, "b", &layer, b"shared layer").await;
    assert!(file.exists(), "the shared file stays");
    let again = reg
        .auth(Method::DELETE, &blob_uri("a", &layer), &[], Vec::new())
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    gc_with(&reg.store, &no_grace()).await.unwrap();
    assert!(file.exists(), "b still links it");
    assert_served(&reg, "b", &layer, b"shared layer").await;

    // Nothing refers to it once b's link and both manifests are gone.
    let r = reg
        .auth(Method::DELETE, &blob_uri("b", &layer), &[], Vec::new())
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    for (repo, manifest) in [("a", &in_a), ("b", &in_b)] {
        let r = reg
            .auth(
                Method::DELETE,
                &format!("/v2/{repo}/manifests/{manifest}"),
                &[],
                Vec::new(),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        assert_blob_unknown(&reg, repo, manifest).await;
    }
    let report = gc_with(&reg.store, &no_grace()).await.unwrap();
    assert!(report.blobs_removed.contains(&layer), "{report:?}");
    assert!(!file.exists());
}

#[tokio::test]
async fn a_blob_file_without_a_database_row_is_served_nowhere() {
    let reg = Registry::with_push().await;
    reg.push_image("a", "v1", b"a layer").await;
    // What a refused or unfinished import leaves: a verified file, no committed row.
    let bytes = b"left over by a refused import";
    let stray = Digest::of_bytes(bytes);
    let path = reg.store.blob_path(&stray);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    for repo in ["a", "b", "docker.io/library/nginx"] {
        assert_blob_unknown(&reg, repo, &stray).await;
    }
    let r = reg
        .auth(
            Method::POST,
            &format!("/v2/c/blobs/uploads/?mount={stray}&from=a"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_blob_unknown(&reg, "c", &stray).await;
    let config = reg.push_blob("a", b"{}").await;
    let doc = image_manifest(&config, 2, &stray, bytes.len(), None);
    let r = reg.push_manifest("a", "stray", OCI_MANIFEST, &doc).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "MANIFEST_BLOB_UNKNOWN");
    let r = reg
        .auth(Method::DELETE, &blob_uri("a", &stray), &[], Vec::new())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(path.exists());
}

#[tokio::test]
async fn a_token_for_one_repository_does_not_read_another_repositorys_layer() {
    let reg = Registry::with_push().await;
    let (_, _, own) = reg.push_image("a", "v1", b"a's layer").await;
    let (_, _, other) = reg.push_image("b", "v1", b"b's layer").await;
    let token = reg.token("repository:a:pull").await;
    let get = |uri: String| {
        Request::builder()
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let r = reg.send(get(blob_uri("a", &own))).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = reg.send(get(blob_uri("a", &other))).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "b's layer through a's path"
    );
    assert_eq!(r.error_code(), "BLOB_UNKNOWN");
    let r = reg.send(get(blob_uri("b", &other))).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the token has no scope on b"
    );
}
