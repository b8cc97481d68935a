//! The web UI's pages over the benchmark's fleet: each page as the server renders it (the
//! appliance's router, in process), read anonymously (anonymous pull on), p50 and p99.

use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ferry_mirror::fleet::Fleet;
use ferry_mirror::server::{router, AccessConfig, ServerConfig};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::percentile;

/// A page's name, and its URI for run `i`.
type PageUri<'a> = (&'a str, Box<dyn Fn(usize) -> String + 'a>);

pub async fn pages(fleet: &Fleet, clusters: usize, runs: usize, repository: &str) {
    let cfg = ServerConfig {
        access: AccessConfig {
            anonymous_pull: true,
            ..AccessConfig::default()
        },
        fleet: Some(fleet.clone()),
        ..ServerConfig::default()
    };
    let app = router(fleet.store.clone(), &cfg);
    println!("web UI pages (rendered by the server, in process):");
    let cluster = |i: usize| format!("edge-{:05}", (i * 7919) % clusters);
    let pages: Vec<PageUri> = vec![
        ("  /ui/ (dashboard)", Box::new(|_| "/ui/".to_owned())),
        (
            "  /ui/clusters (a page)",
            Box::new(|_| "/ui/clusters".to_owned()),
        ),
        (
            "  /ui/clusters/NAME",
            Box::new(move |i| format!("/ui/clusters/{}", cluster(i))),
        ),
        ("  /ui/rollouts", Box::new(|_| "/ui/rollouts".to_owned())),
        (
            "  /ui/search?q=REPOSITORY",
            Box::new(move |_| format!("/ui/search?q={repository}")),
        ),
    ];
    for (name, uri) in pages {
        let mut times = Vec::with_capacity(runs);
        let mut bytes = 0;
        for i in 0..runs {
            let req = Request::get(uri(i)).body(Body::empty()).unwrap();
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            times.push(t.elapsed());
            assert_eq!(
                status,
                StatusCode::OK,
                "{name}: {}",
                String::from_utf8_lossy(&body)
            );
            bytes = body.len();
        }
        times.sort();
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        let verdict = if p99 < 50.0 { "ok" } else { "OVER 50 ms" };
        println!(
            "{name:<36} p50 {p50:>8.2} ms   p99 {p99:>8.2} ms   ({runs} runs, {} KiB) {verdict}",
            bytes / 1024
        );
    }
}
