//! Pages of the fleet-wide answers (status, image queries, affected, pending): walked page by
//! page they give exactly the whole answer, in byte order of the names on both backends, with
//! no cluster twice or missed; the status's counts are the whole fleet's and agree with the
//! states judged one cluster at a time; and the routes refuse a limit out of range.

mod fleet_reports_support;

use std::collections::BTreeMap;

use ferry_bundler::format::profile_definition::ProfileDefinition;
use ferry_mirror::fleet::page::{Page, PageParams};
use ferry_mirror::fleet::{query, reports, status, Fleet};
use fleet_reports_support::*;

const T0: i64 = 1_800_000_000;

/// Names whose byte order differs from a locale's (`-` sorts before digits by bytes).
const NAMES: [&str; 9] = [
    "edge-1", "edge0", "edge-10", "edge-2", "edge1", "edge-9", "edgea", "edge-1-b", "edge10",
];

fn def(version: &str) -> ProfileDefinition {
    definition(
        "edge-infra",
        version,
        vec![(
            "apps",
            vec![
                pinned("ghcr.io/stefanprodan/podinfo", "6.7.1", "podinfo"),
                pinned(
                    "docker.io/library/redis",
                    "7.4",
                    &format!("redis-{version}"),
                ),
            ],
        )],
    )
}

/// Every cluster desires podinfo; some are in every state: reported Ready, failed, modified,
/// never reported, offline, not applied, one deregistered, some assigned a version not
/// published.
async fn fleet_of_every_state(url: &str) -> (Fleet, tempfile::TempDir) {
    let (fleet, dir) = fleet(url).await;
    let (a, b) = (def("1.0.0"), def("1.1.0"));
    catalog(&fleet, &a, 1).await;
    catalog(&fleet, &b, 1).await;
    for (i, name) in NAMES.iter().enumerate() {
        let secret = register(&fleet, name, 60, T0).await;
        assign(
            &fleet,
            name,
            "edge-infra",
            if i % 3 == 0 { "1.1.0" } else { "1.0.0" },
        )
        .await;
        let artifact = digest(&format!("artifact-{name}"));
        publish(&fleet, name, 1, &artifact, &[(&a, 1)], T0).await;
        if i == 4 {
            continue; // never reports
        }
        let mut pods: Vec<_> = a.layers[0]
            .images
            .iter()
            .map(|img| {
                pod(
                    "apps",
                    &format!("p-{}", img.repository.len()),
                    vec![container("main", img, true, 0)],
                )
            })
            .collect();
        if i == 5 {
            let hotfix = digest("hotfix");
            pods.push(pod(
                "apps",
                "hand-made",
                vec![running("main", &a.layers[0].images[0], &hotfix, true, 0)],
            ));
        }
        let applied = if i == 6 {
            digest("elsewhere")
        } else {
            artifact
        };
        let at = if i == 7 { T0 - 1_000 } else { T0 + 10 };
        let r = sign(&secret, report(name, 1, pods, flux(&applied, i != 2)));
        reports::ingest(&fleet, &r, Some(name), at).await.unwrap();
    }
    deregister(&fleet, "edge10", T0 + 20).await;
    (fleet, dir)
}

fn live() -> Vec<&'static str> {
    let mut names: Vec<&str> = NAMES.into_iter().filter(|n| *n != "edge10").collect();
    names.sort();
    names
}

async fn pages_walk_to_the_whole_answer(url: &str) {
    let (fleet, _dir) = fleet_of_every_state(url).await;
    let now = T0 + 60;
    let whole = status::fleet_status(&fleet, now, &Page::all())
        .await
        .unwrap();
    let names: Vec<&str> = whole.clusters.iter().map(|c| c.cluster.as_str()).collect();
    assert_eq!(names, live(), "{url}: by bytes, deregistered left out");
    let mut judged: BTreeMap<String, usize> = BTreeMap::new();
    for c in &whole.clusters {
        *judged.entry(format!("{:?}", c.state)).or_default() += 1;
    }
    assert_eq!(
        whole.counts, judged,
        "{url}: counts in SQL = states one by one"
    );
    assert!(judged.len() >= 4, "{url}: several states: {judged:?}");

    for limit in [1, 2, 3, 100] {
        let (f, counts) = (&fleet, &whole.counts);
        let seen = walk(limit, |p| async move {
            let s = status::fleet_status(f, now, &p).await.unwrap();
            assert_eq!(&s.counts, counts, "every page has the fleet's counts");
            let items: Vec<_> = s
                .clusters
                .iter()
                .map(|c| (c.cluster.clone(), c.state))
                .collect();
            (items, s.next)
        })
        .await;
        let all: Vec<_> = whole
            .clusters
            .iter()
            .map(|c| (c.cluster.clone(), c.state))
            .collect();
        assert_eq!(seen, all, "{url}: status in pages of {limit}");

        for reference in [
            "ghcr.io/stefanprodan/podinfo",
            "ghcr.io/stefanprodan/podinfo:6.7.1",
        ] {
            let whole = query::image(f, reference, &Page::all()).await.unwrap();
            assert_eq!(whole.clusters.len(), live().len(), "{url}: {reference}");
            assert_eq!(whole.next, None);
            let seen = walk(limit, |p| async move {
                let a = query::image(f, reference, &p).await.unwrap();
                (a.clusters, a.next)
            })
            .await;
            assert_eq!(
                seen, whole.clusters,
                "{url}: {reference} in pages of {limit}"
            );
        }

        // The hand-made digest runs in one cluster only; an entry nobody has stays unmatched
        // on every page, and one matched on a later page is not called unmatched.
        let entries = vec![
            digest("hotfix"),
            "docker.io/library/redis".to_owned(),
            digest("nobody"),
        ];
        let whole = query::affected(f, &entries, &Page::all()).await.unwrap();
        assert_eq!(whole.clusters.len(), live().len());
        let entries = &entries;
        let seen = walk(limit, |p| async move {
            let a = query::affected(f, entries, &p).await.unwrap();
            assert_eq!(a.unmatched, vec![digest("nobody")]);
            let items: Vec<_> = a
                .clusters
                .into_iter()
                .map(|c| (c.cluster, c.matches.len()))
                .collect();
            (items, a.next)
        })
        .await;
        let all: Vec<_> = whole
            .clusters
            .into_iter()
            .map(|c| (c.cluster, c.matches.len()))
            .collect();
        assert_eq!(seen, all, "{url}: affected in pages of {limit}");

        let whole = query::pending(f, &Page::all()).await.unwrap();
        assert!(whole.clusters.len() >= 3, "{url}: {whole:?}");
        let seen = walk(limit, |p| async move {
            let a = query::pending(f, &p).await.unwrap();
            (a.clusters, a.next)
        })
        .await;
        assert_eq!(seen, whole.clusters, "{url}: pending in pages of {limit}");
    }
}

/// Every page of `ask`, `limit` clusters at a time, following `next`: what the pages held.
async fn walk<T, F, Fut>(limit: usize, mut ask: F) -> Vec<T>
where
    F: FnMut(Page) -> Fut,
    Fut: std::future::Future<Output = (Vec<T>, Option<String>)>,
{
    let mut page = Page::first(limit);
    let mut seen = Vec::new();
    loop {
        let (items, next) = ask(page.clone()).await;
        assert!(items.len() <= limit, "a page beyond its limit");
        seen.extend(items);
        match next {
            Some(n) => page.after = Some(n),
            None => return seen,
        }
    }
}

#[test]
fn a_page_out_of_range_is_refused_with_the_limit_named() {
    for limit in [0, 1_001] {
        let e = Page::from_params(PageParams {
            limit: Some(limit),
            after: None,
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("a page of {limit} clusters asked for; a page holds 1 to 1000")
        );
        assert_eq!(e.status(), axum::http::StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn pages_walk_to_the_whole_answer_on_every_backend() {
    for backend in ferry_testkit::postgres::fleet_backends() {
        eprintln!("on {}", backend.name);
        pages_walk_to_the_whole_answer(&backend.url).await;
    }
}
