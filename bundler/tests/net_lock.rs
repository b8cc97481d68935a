//! `ferry.lock` round trip, reproducible `created`, `--locked` drift detection, and the
//! deterministic `index.json`, against a real registry.

mod net_common;

use std::time::{Duration, UNIX_EPOCH};

use ferry_bundler::format::layout::REF_NAME_ANNOTATION;
use ferry_bundler::net::{build_set, check_locked, ImageRequest, Lock, LockError, Request};
use ferry_testkit::images::{self, ImageOptions};
use ferry_testkit::{OciLayout, Registry};
use net_common::{no_progress, provenance, resolver};

fn request(reference: String) -> Request {
    Request::Image(ImageRequest {
        reference,
        platforms: vec![],
        provenance: provenance("images"),
    })
}

#[tokio::test]
async fn lock_round_trips_and_locked_detects_a_retagged_upstream() {
    let reg = Registry::start();
    let mut layout = OciLayout::new();
    let v1 = images::image(
        &mut layout,
        "web-v1",
        "linux/amd64",
        &ImageOptions::default(),
    );
    let db = images::image(&mut layout, "db", "linux/amd64", &ImageOptions::default());
    reg.push_desc(&mut layout, &v1.manifest, "apps/web", "stable");
    reg.push_desc(&mut layout, &db.manifest, "apps/db", "16");
    let web = format!("{}/apps/web:stable", reg.host());
    let dbref = format!("{}/apps/db:16", reg.host());
    let reqs = [request(web.clone()), request(dbref.clone())];

    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let resolved = r.resolve(&reqs, &no_progress).await.unwrap();
    let lock = Lock::relock(
        None,
        resolved.clone(),
        UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    );
    assert_eq!(lock.created, "2023-11-14T22:13:20Z");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ferry.lock");
    lock.write(&path).unwrap();
    let read = Lock::read(&path).unwrap();
    assert_eq!(read, lock);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        lock.to_vec(),
        "canonical bytes"
    );

    // Relocking unchanged inputs keeps `created` (and thus the bundle bytes).
    let again = r.resolve(&reqs, &no_progress).await.unwrap();
    check_locked(&read, &again).unwrap();
    let relocked = Lock::relock(
        Some(&read),
        again,
        UNIX_EPOCH + Duration::from_secs(1_800_000_000),
    );
    assert_eq!(relocked.to_vec(), read.to_vec());

    // index.json: sorted by reference, each naming its full reference.
    let set = build_set(&read.artifacts);
    let index: serde_json::Value = serde_json::from_slice(&set.index_json).unwrap();
    let names: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["annotations"][REF_NAME_ANNOTATION].as_str().unwrap())
        .collect();
    let mut sorted = vec![dbref.as_str(), web.as_str()];
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(build_set(&read.artifacts).index_json, set.index_json);

    // Upstream moves the tag: --locked names the reference and both digests.
    let v2 = images::image(
        &mut layout,
        "web-v2",
        "linux/amd64",
        &ImageOptions::default(),
    );
    reg.push_desc(&mut layout, &v2.manifest, "apps/web", "stable");
    let drifted = r.resolve(&reqs, &no_progress).await.unwrap();
    let err = check_locked(&read, &drifted).unwrap_err();
    let LockError::Drift { changes } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(changes.len(), 1, "{changes:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&web)
            && msg.contains(&v1.manifest.digest)
            && msg.contains(&v2.manifest.digest),
        "{msg}"
    );
    assert!(!msg.contains(&dbref), "{msg}");

    let moved = Lock::relock(
        Some(&read),
        drifted,
        UNIX_EPOCH + Duration::from_secs(1_800_000_000),
    );
    assert_ne!(moved.created, read.created);
}
