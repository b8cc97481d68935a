//! `/ui/search?q=`: a reference or a digest, and where it is: the bundles that carry it, the
//! profile versions that name it, and the clusters that want it or run it.

use axum::extract::{Query, State};
use axum::Extension;
use maud::html;
use serde::Deserialize;

use super::PageResult;
use crate::fleet::page::Page;
use crate::fleet::{catalog, query};
use crate::store::carriers::carriers;
use crate::ui::auth::Viewer;
use crate::ui::layout::{urlencode, Shell};
use crate::ui::UiState;

/// Clusters shown: the first page of the image query.
const CLUSTERS: usize = 100;

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

/// A profile version's image that `needle` names.
fn names(needle: &str, reference: &str, repository: &str, digest: &str) -> bool {
    needle == reference
        || needle == repository
        || needle == digest
        || needle == format!("{repository}@{digest}")
}

pub async fn page(
    State(state): State<UiState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    let needle = q.q.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let form = html! {
        form method="get" action="/ui/search" role="search" {
            label for="q" { "Reference or digest" }
            input #q name="q" type="search" size="60" value=(needle.unwrap_or(""))
                placeholder="docker.io/library/busybox:1.36 or sha256:…";
            " "
            button type="submit" { "Search" }
        }
    };
    let Some(needle) = needle else {
        let body = html! { h1 { "Search" } (form) };
        return Ok(Shell::new("Search", Some(&viewer))
            .section("/ui/search")
            .render(body));
    };
    let carried = carriers(&state.store, needle).await?;
    let (versions, clusters) = match &state.fleet {
        Some(fleet) => {
            let versions: Vec<_> = catalog::list(fleet)
                .await?
                .into_iter()
                .filter_map(|v| {
                    let hits: Vec<String> = v
                        .definition
                        .layers
                        .iter()
                        .flat_map(|l| l.images.iter().map(move |i| (l, i)))
                        .filter(|(_, i)| {
                            names(needle, &i.reference, &i.repository, &i.digest.to_string())
                        })
                        .map(|(l, i)| format!("{}: {}@{}", l.name, i.reference, i.digest))
                        .collect();
                    (!hits.is_empty()).then(|| (format!("{}@{}", v.name, v.version), hits))
                })
                .collect();
            // A string the image query cannot read is simply not an image of any cluster.
            let clusters = query::image(fleet, needle, &Page::first(CLUSTERS))
                .await
                .ok();
            (versions, clusters)
        }
        None => (Vec::new(), None),
    };
    let body = html! {
        h1 { "Search" }
        (form)
        h2 { "Bundles that carry it" }
        @if carried.is_empty() {
            p.muted { "No imported bundle carries " code { (needle) } "." }
        } @else {
            table {
                thead { tr { th { "Bundle" } th { "Kind" } th { "Reference" } th { "Digest" } } }
                tbody {
                    @for c in &carried {
                        tr {
                            td.digest { (c.bundle) @if c.retired { " (retired)" } }
                            td { (c.kind) }
                            td.digest { (c.reference) }
                            td.digest { (c.digest) }
                        }
                    }
                }
            }
        }
        h2 { "Profile versions that name it" }
        @if versions.is_empty() {
            p.muted { "No profile version names it." }
        } @else {
            ul {
                @for (v, hits) in &versions {
                    li { strong { (v) } ul { @for h in hits { li.digest { (h) } } } }
                }
            }
        }
        h2 { "Clusters that want it or run it" }
        @match &clusters {
            Some(a) if !a.clusters.is_empty() => {
                table {
                    thead { tr { th { "Cluster" } th { "Desired" } th { "Running" } } }
                    tbody {
                        @for c in &a.clusters {
                            tr {
                                td { a href=(format!("/ui/clusters/{}", urlencode(&c.cluster))) { (c.cluster) } }
                                td { @for d in &c.desired { div.digest { (d.reference) } } }
                                td {
                                    @for r in &c.running {
                                        div.digest { (r.reference) " in " (r.namespace) "/" (r.pod) "/" (r.container) }
                                    }
                                }
                            }
                        }
                    }
                }
                @if a.next.is_some() {
                    p.muted { "The first " (CLUSTERS) " clusters; " code { "ferry fleet query image" } " lists them all." }
                }
            }
            _ => { p.muted { "No cluster wants or runs it." } }
        }
    };
    Ok(Shell::new("Search", Some(&viewer))
        .section("/ui/search")
        .render(body))
}
