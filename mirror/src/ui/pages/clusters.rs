//! `/ui/clusters` (a page of the fleet, filtered by state) and `/ui/clusters/{name}` (one
//! cluster: state and why, desired and applied revisions, layers and drift).

use axum::extract::{Path, Query, State};
use axum::Extension;
use maud::html;
use serde::Deserialize;

use super::dashboard::STATES;
use super::{fleet_of, PageError, PageResult};
use crate::fleet::page::{Page, PageParams};
use crate::fleet::status;
use crate::store::now_unix;
use crate::ui::auth::Viewer;
use crate::ui::layout::{time, urlencode, Shell};
use crate::ui::{svg, UiState};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    after: Option<String>,
}

pub async fn list(
    State(state): State<UiState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let fleet = fleet_of(&state)?;
    let page = Page::from_params(PageParams {
        limit: None,
        after: q.after.clone(),
    })
    .map_err(|e| PageError(axum::http::StatusCode::BAD_REQUEST, e.to_string()))?;
    let answer = status::fleet_status(fleet, now_unix(), &page).await?;
    let only = q.state.as_deref().filter(|s| STATES.contains(s));
    let rows: Vec<_> = answer
        .clusters
        .iter()
        .filter(|c| only.is_none_or(|s| format!("{:?}", c.state) == s))
        .collect();
    let body = html! {
        h1 { "Clusters" }
        (svg::stacked_bar(
            "Clusters by state",
            &STATES.iter().map(|s| (s.to_string(), answer.counts.get(*s).copied().unwrap_or(0))).collect::<Vec<_>>(),
        ))
        form method="get" action="/ui/clusters" {
            label for="state" { "State" }
            select #state name="state" {
                option value="" { "any" }
                @for s in STATES {
                    option value=(s) selected[only == Some(s)] { (s) }
                }
            }
            " "
            button type="submit" { "Show" }
        }
        table {
            thead { tr { th { "Cluster" } th { "State" } th { "Desired" } th { "Applied" } th { "Last report" } th { "Why" } } }
            tbody {
                @for c in &rows {
                    @let st = format!("{:?}", c.state);
                    tr {
                        td { a href=(format!("/ui/clusters/{}", urlencode(&c.cluster))) { (c.cluster) } }
                        td { span class=(format!("state state-{st}")) { (st) } }
                        td { (rev(c.desired_revision)) }
                        td { (rev(c.applied_revision)) }
                        td { (c.last_report_at.map_or("never".to_owned(), time)) }
                        td { (c.reasons.join("; ")) }
                    }
                }
            }
        }
        @if let Some(next) = &answer.next {
            p { a href=(format!("/ui/clusters?after={}&state={}", urlencode(next), only.unwrap_or(""))) { "Next page" } }
        }
    };
    Ok(Shell::new("Clusters", Some(&viewer))
        .section("/ui/clusters")
        .render(body))
}

pub async fn one(
    State(state): State<UiState>,
    Extension(viewer): Extension<Viewer>,
    Path(name): Path<String>,
) -> PageResult {
    let fleet = fleet_of(&state)?;
    let c = status::cluster_status(fleet, &name, now_unix()).await?;
    let st = format!("{:?}", c.state);
    let body = html! {
        h1 { "Cluster " (c.cluster) }
        p { "State: " span class=(format!("state state-{st}")) { (st) } }
        @if !c.reasons.is_empty() {
            ul { @for r in &c.reasons { li { (r) } } }
        }
        table {
            tbody {
                tr { th scope="row" { "Desired revision" } td { (rev(c.desired_revision)) " " span.digest { (c.desired_digest.as_deref().unwrap_or("")) } } }
                tr { th scope="row" { "Applied revision" } td { (rev(c.applied_revision)) " " span.digest { (c.applied_digest.as_deref().unwrap_or("")) } } }
                tr { th scope="row" { "Last report" } td { (c.last_report_at.map_or("never".to_owned(), time)) @if let Some(s) = c.last_sequence { " (sequence " (s) ")" } } }
                @if let Some(at) = c.deregistered_at { tr { th scope="row" { "Deregistered" } td { (time(at)) } } }
            }
        }
        h2 { "Layers" }
        table {
            thead { tr { th { "Profile" } th { "Layer" } th { "Ready" } th { "Images" } } }
            tbody {
                @for l in &c.layers {
                    tr {
                        td { (l.profile.as_deref().unwrap_or("")) }
                        td { (l.layer) }
                        td { @if l.ready { span.ok { "yes" } } @else { span.bad { "no" } } }
                        td { @for i in &l.images { div.digest { (i.reference) } } }
                    }
                }
            }
        }
        h2 { "Drift" }
        @if c.drift.unexpected.is_empty() && c.drift.missing.is_empty() && c.drift.digest_mismatch.is_empty() {
            p.ok { "None: the cluster runs what it should." }
        } @else {
            ul {
                @for i in &c.drift.unexpected { li { "Unexpected: " span.digest { (i.reference) } } }
                @for i in &c.drift.missing { li { "Missing: " span.digest { (i.reference) } } }
                @for m in &c.drift.digest_mismatch {
                    li { "Other digest: " span.digest { (m.repository) "@" (m.running_digest) } " in " (m.namespace) "/" (m.pod) "/" (m.container) }
                }
            }
        }
    };
    Ok(Shell::new(&format!("Cluster {}", c.cluster), Some(&viewer))
        .section("/ui/clusters")
        .render(body))
}

fn rev(r: Option<i64>) -> String {
    r.map_or_else(|| "none".to_owned(), |r| format!("rev-{r}"))
}
