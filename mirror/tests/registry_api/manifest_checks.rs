//! Pushed manifests are checked against the repository: every config and layer is a blob linked
//! to it with the declared size, and every child of an index is a manifest in it.

use axum::http::{Method, StatusCode};
use ferry_bundler::format::Digest;
use rstest::rstest;

use crate::harness::{image_manifest, Registry, OCI_INDEX, OCI_MANIFEST};

const LAYER: &[u8] = b"0123456789";
const CONFIG: &[u8] = b"{}";

/// What a case's manifest is made of, pushed into repository `a`.
struct Pushed {
    config: Digest,
    layer: Digest,
    /// An image manifest in `a` (tagged `base`): (digest, size).
    child: (Digest, usize),
    /// An image manifest only in `b`.
    elsewhere: (Digest, usize),
    /// A layer only in `b`.
    foreign_layer: Digest,
}

async fn seed(reg: &Registry) -> Pushed {
    let config = reg.push_blob("a", CONFIG).await;
    let layer = reg.push_blob("a", LAYER).await;
    let (child_bytes, child, _) = reg.push_image("a", "base", b"child layer").await;
    let (elsewhere_bytes, elsewhere, foreign_layer) =
        reg.push_image("b", "base", b"b's layer").await;
    Pushed {
        config,
        layer,
        child: (child, child_bytes.len()),
        elsewhere: (elsewhere, elsewhere_bytes.len()),
        foreign_layer,
    }
}

fn index(children: &[(&Digest, serde_json::Value)]) -> serde_json::Value {
    let manifests: Vec<_> = children
        .iter()
        .map(
            |(d, size)| serde_json::json!({ "mediaType": OCI_MANIFEST, "digest": d, "size": size }),
        )
        .collect();
    serde_json::json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests })
}

type Build = fn(&Pushed) -> (&'static str, serde_json::Value);

#[rstest]
#[case::negative_layer_size(|p: &Pushed| {
    let mut doc = image_manifest(&p.config, CONFIG.len(), &p.layer, 0, None);
    doc["layers"][0]["size"] = (-1).into();
    (OCI_MANIFEST, doc)
}, "MANIFEST_INVALID")]
#[case::layer_size_not_a_number(|p: &Pushed| {
    let mut doc = image_manifest(&p.config, CONFIG.len(), &p.layer, 0, None);
    doc["layers"][0]["size"] = "10".into();
    (OCI_MANIFEST, doc)
}, "MANIFEST_INVALID")]
#[case::layer_without_size(|p: &Pushed| {
    let mut doc = image_manifest(&p.config, CONFIG.len(), &p.layer, 0, None);
    doc["layers"][0].as_object_mut().unwrap().remove("size");
    (OCI_MANIFEST, doc)
}, "MANIFEST_INVALID")]
#[case::layer_one_byte_larger(|p: &Pushed| {
    (OCI_MANIFEST, image_manifest(&p.config, CONFIG.len(), &p.layer, LAYER.len() + 1, None))
}, "SIZE_INVALID")]
#[case::layer_one_byte_smaller(|p: &Pushed| {
    (OCI_MANIFEST, image_manifest(&p.config, CONFIG.len(), &p.layer, LAYER.len() - 1, None))
}, "SIZE_INVALID")]
#[case::config_size_wrong(|p: &Pushed| {
    (OCI_MANIFEST, image_manifest(&p.config, CONFIG.len() + 5, &p.layer, LAYER.len(), None))
}, "SIZE_INVALID")]
#[case::layer_of_another_repository(|p: &Pushed| {
    (OCI_MANIFEST, image_manifest(&p.config, CONFIG.len(), &p.foreign_layer, 9, None))
}, "MANIFEST_BLOB_UNKNOWN")]
#[case::index_child_missing(|p: &Pushed| {
    let absent = Digest::of_bytes(b"arm64 manifest nobody pushed");
    (OCI_INDEX, index(&[(&p.child.0, p.child.1.into()), (&absent, 100.into())]))
}, "MANIFEST_BLOB_UNKNOWN")]
#[case::index_child_of_another_repository(|p: &Pushed| {
    (OCI_INDEX, index(&[(&p.elsewhere.0, p.elsewhere.1.into())]))
}, "MANIFEST_BLOB_UNKNOWN")]
#[case::index_child_size_wrong(|p: &Pushed| {
    (OCI_INDEX, index(&[(&p.child.0, (p.child.1 + 1).into())]))
}, "SIZE_INVALID")]
#[case::index_child_negative_size(|p: &Pushed| {
    (OCI_INDEX, index(&[(&p.child.0, (-1).into())]))
}, "MANIFEST_INVALID")]
#[tokio::test]
async fn manifests_that_do_not_match_the_repository_are_refused(
    #[case] build: Build,
    #[case] code: &str,
) {
    let reg = Registry::with_push().await;
    let pushed = seed(&reg).await;
    let (media_type, doc) = build(&pushed);
    let r = reg.push_manifest("a", "v1", media_type, &doc).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.error_code(), code);
    let body = String::from_utf8_lossy(&r.body);
    assert!(
        body.contains("a:v1: "),
        "the refusal names the manifest: {body}"
    );
    assert_eq!(
        reg.get(Method::GET, "/v2/a/manifests/v1").await.status,
        StatusCode::NOT_FOUND,
        "not tagged"
    );
    let digest = Digest::of_bytes(&serde_json::to_vec(&doc).unwrap());
    assert_eq!(
        reg.get(Method::GET, &format!("/v2/a/manifests/{digest}"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "not recorded"
    );
}

#[tokio::test]
async fn a_complete_index_and_a_referrer_of_an_absent_subject_are_accepted() {
    let reg = Registry::with_push().await;
    let pushed = seed(&reg).await;
    let doc = index(&[(&pushed.child.0, pushed.child.1.into())]);
    let r = reg.push_manifest("a", "multi", OCI_INDEX, &doc).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    // A subject may arrive after its referrers (the referrers spec allows it).
    let absent = Digest::of_bytes(b"subject pushed later");
    let doc = image_manifest(
        &pushed.config,
        CONFIG.len(),
        &pushed.layer,
        LAYER.len(),
        Some((&absent, "application/example")),
    );
    let r = reg.push_manifest("a", "sig", OCI_MANIFEST, &doc).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
}
