//! Fetching blobs from a real docker-registry: streamed, verified, deduplicated, and refused
//! when upstream serves bytes that do not match their digest.

mod net_common;

use std::sync::Mutex;

use ferry_bundler::format::Digest;
use ferry_bundler::net::{FetchOptions, ImageRequest, NetError, Progress, Request, Unit};
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

type Step = ((&'static str, Unit, u64, u64), Option<String>);

/// Owned copies of the progress reports (which borrow their names).
#[derive(Default)]
struct Recorder {
    steps: Mutex<Vec<Step>>,
    fetched: Mutex<Vec<(String, u64)>>,
}

impl Recorder {
    fn record(&self, p: Progress<'_>) {
        match p {
            Progress::Advance {
                phase,
                unit,
                done,
                total,
                current,
            } => self
                .steps
                .lock()
                .unwrap()
                .push(((phase, unit, done, total), current.map(str::to_owned))),
            Progress::Fetched { name, size } => {
                self.fetched.lock().unwrap().push((name.to_owned(), size))
            }
        }
    }
}

#[tokio::test]
async fn fetches_every_blob_verified_and_skips_cached_ones() {
    let reg = Registry::start();
    let mut layout = OciLayout::new();
    let opts = ImageOptions {
        base_layers: 2,
        own_layers: 2,
        layer_size: 300 * 1024,
        base: "shared".into(),
    };
    let a = images::image(&mut layout, "a", "linux/amd64", &opts);
    let b = images::multi_arch(&mut layout, "b", &["linux/amd64", "linux/arm64"], &opts);
    reg.push_desc(&mut layout, &a.manifest, "apps/a", "1");
    reg.push_desc(&mut layout, &b.index, "apps/b", "2");

    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), true);
    let reqs = [
        request(format!("{}/apps/a:1", reg.host())),
        request(format!("{}/apps/b:2", reg.host())),
    ];
    let resolving = Recorder::default();
    let resolved = r.resolve(&reqs, &|p| resolving.record(p)).await.unwrap();
    // Resolve counts artifacts, as items, and names each one it finished.
    let steps = resolving.steps.into_inner().unwrap();
    assert_eq!(steps.last().unwrap().0, ("resolve", Unit::Items, 2, 2));
    let mut named: Vec<String> = steps.iter().filter_map(|s| s.1.clone()).collect();
    named.sort();
    let references: Vec<&str> = resolved.iter().map(|a| &a.artifact.reference[..]).collect();
    assert_eq!(named, references, "sorted like the resolution");

    let fetching = Recorder::default();
    let report = r
        .fetch(
            &resolved,
            &FetchOptions {
                concurrency: 3,
                ..Default::default()
            },
            &|p| fetching.record(p),
        )
        .await
        .unwrap();
    assert!(report.fetched_blobs > 0);
    let steps = fetching.steps.into_inner().unwrap();
    let (last, _) = steps.last().unwrap().clone();
    assert_eq!((last.0, last.1, last.2), ("fetch", Unit::Bytes, last.3));
    assert!(
        steps[1..].iter().all(|s| s.1.is_some()),
        "every step names its artifact"
    );
    // One "fetched" event per artifact, with its name and the size of all its blobs.
    let mut fetched = fetching.fetched.into_inner().unwrap();
    fetched.sort();
    let mut expected: Vec<(String, u64)> = resolved
        .iter()
        .map(|a| {
            let size = a.blobs.iter().map(|b| b.size).sum();
            (a.artifact.reference.clone(), size)
        })
        .collect();
    expected.sort();
    assert_eq!(fetched, expected);

    // Every blob is in the cache under its digest, with content matching it.
    for art in &resolved {
        for blob in &art.blobs {
            let bytes = std::fs::read(r.cache.path(&blob.digest)).unwrap();
            assert_eq!(Digest::of_bytes(&bytes), blob.digest);
            assert_eq!(bytes.len() as u64, blob.size);
        }
    }
    let set = ferry_bundler::net::build_set(&resolved);
    let shared = Digest::parse(&a.layers[0].digest).unwrap();
    assert_eq!(
        set.blobs.iter().filter(|b| b.digest == shared).count(),
        1,
        "shared base carried once"
    );

    let again = Recorder::default();
    let report = r
        .fetch(&resolved, &FetchOptions::default(), &|p| again.record(p))
        .await
        .unwrap();
    assert!(
        again.fetched.into_inner().unwrap().is_empty(),
        "nothing fetched twice"
    );
    let again = report;
    assert_eq!(again.fetched_blobs, 0);
    assert_eq!(again.fetched_bytes, 0);
}

#[tokio::test]
async fn corrupted_upstream_blob_is_refused_and_nothing_is_cached() {
    let reg = Registry::start();
    let mut layout = OciLayout::new();
    let img = images::image(
        &mut layout,
        "victim",
        "linux/amd64",
        &ImageOptions::default(),
    );
    reg.push_desc(&mut layout, &img.manifest, "apps/victim", "1");

    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), false);
    let reference = format!("{}/apps/victim:1", reg.host());
    let resolved = r
        .resolve(&[request(reference.clone())], &no_progress)
        .await
        .unwrap();

    // Same size, different bytes, written underneath the registry.
    let layer = &img.layers[img.layers.len() - 1];
    let data = reg.blob_data_path(&layer.digest);
    let mut bytes = std::fs::read(&data).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&data, &bytes).unwrap();
    let actual = Digest::of_bytes(&bytes);

    let err = r
        .fetch(&resolved, &FetchOptions::default(), &no_progress)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, NetError::Fetch(_)), "{err:?}");
    assert!(msg.contains(&reference), "{msg}");
    assert!(msg.contains(&layer.digest), "{msg}");
    assert!(msg.contains(&actual.to_string()), "{msg}");

    let expected = Digest::parse(&layer.digest).unwrap();
    assert!(
        !r.cache.path(&expected).exists(),
        "corrupt blob must not be cached"
    );
    assert_eq!(
        std::fs::read_dir(cache.path().join("tmp")).unwrap().count(),
        0,
        "no temp file left"
    );
}

#[tokio::test]
async fn truncated_upstream_blob_is_refused() {
    let reg = Registry::start();
    let mut layout = OciLayout::new();
    let img = images::image(
        &mut layout,
        "short",
        "linux/amd64",
        &ImageOptions::default(),
    );
    reg.push_desc(&mut layout, &img.manifest, "apps/short", "1");
    let cache = tempfile::tempdir().unwrap();
    let r = resolver(cache.path(), false);
    let resolved = r
        .resolve(
            &[request(format!("{}/apps/short:1", reg.host()))],
            &no_progress,
        )
        .await
        .unwrap();

    let layer = &img.layers[0];
    let data = reg.blob_data_path(&layer.digest);
    let bytes = std::fs::read(&data).unwrap();
    std::fs::write(&data, &bytes[..bytes.len() / 2]).unwrap();

    let err = r
        .fetch(&resolved, &FetchOptions::default(), &no_progress)
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&layer.digest), "{err}");
    assert!(!r
        .cache
        .path(&Digest::parse(&layer.digest).unwrap())
        .exists());
    assert_eq!(
        std::fs::read_dir(cache.path().join("tmp")).unwrap().count(),
        0
    );
}
