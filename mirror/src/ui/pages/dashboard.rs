//! `/ui/`: what crossed the gap and when, the data disk, clusters by state, pending updates,
//! active rollouts and whether the audit chain is intact.

use axum::extract::State;
use axum::Extension;
use maud::html;

use super::PageResult;
use crate::fleet::page::{Page, MAX_LIMIT};
use crate::fleet::rollout::State as RolloutState;
use crate::fleet::{query, rollout, status};
use crate::store::{list_bundles, now_unix};
use crate::ui::auth::Viewer;
use crate::ui::layout::{size, time, Shell};
use crate::ui::{svg, UiState};

/// The cluster states, in the ranking of docs/fleet.md.
pub const STATES: [&str; 6] = [
    "Ready",
    "Pending",
    "OutOfSync",
    "Modified",
    "Failed",
    "Offline",
];

/// The recent imports shown.
const RECENT: usize = 5;

pub async fn page(
    State(state): State<UiState>,
    Extension(viewer): Extension<Viewer>,
) -> PageResult {
    let bundles = list_bundles(&state.store).await?;
    let disk = rustix::fs::statvfs(state.store.root())
        .ok()
        .map(|s| (s.f_blocks * s.f_frsize, s.f_bavail * s.f_frsize));
    let chain = crate::audit::verify(state.store.db(), None).await?;
    let fleet = match &state.fleet {
        Some(f) => {
            let counts = status::fleet_status(f, now_unix(), &Page::first(1))
                .await?
                .counts;
            let pending = query::pending(f, &Page::first(MAX_LIMIT)).await?;
            let rollouts = rollout::list(f).await?;
            Some((counts, pending, rollouts))
        }
        None => None,
    };
    let body = html! {
        h1 { "Dashboard" }
        div.cards {
            div.card { div.n { (bundles.len()) } "bundles imported" }
            @if let Some((total, free)) = disk {
                div.card {
                    div.n { (size(total.saturating_sub(free))) }
                    "used on the data disk, " (size(free)) " free"
                }
            }
            div.card {
                @if chain.is_ok() {
                    div.n.ok { "intact" }
                } @else {
                    div.n.bad { "broken" }
                }
                "audit chain, " (chain.entries_checked) " entries checked"
            }
        }
        h2 { "Recent imports" }
        @if bundles.is_empty() {
            p.muted { "No bundle has been imported yet." }
        } @else {
            table {
                thead { tr { th { "Imported" } th { "Bundle" } th { "Signed by" } th { "Size" } } }
                tbody {
                    @for b in bundles.iter().rev().take(RECENT) {
                        tr {
                            td { (time(b.imported_at)) }
                            td.digest { (b.manifest_digest.to_string()) }
                            td { (b.signer.as_deref().unwrap_or("unsigned")) }
                            td { (size(b.total_size)) }
                        }
                    }
                }
            }
        }
        @if let Some((counts, pending, rollouts)) = &fleet {
            h2 { "Clusters by state" }
            (svg::stacked_bar(
                "Clusters by state",
                &STATES.iter().map(|s| (s.to_string(), counts.get(*s).copied().unwrap_or(0))).collect::<Vec<_>>(),
            ))
            p {
                a href="/ui/clusters" { (counts.values().sum::<usize>()) " clusters" }
                ", " (pending.clusters.len()) @if pending.next.is_some() { "+" } " with a pending update"
            }
            h2 { "Active rollouts" }
            @let active: Vec<_> = rollouts.iter().filter(|r| matches!(r.state, RolloutState::Pending | RolloutState::Progressing | RolloutState::Paused)).collect();
            @if active.is_empty() {
                p.muted { "No rollout is active." }
            } @else {
                ul {
                    @for r in active {
                        li {
                            a href=(format!("/ui/rollouts/{}", r.id)) { "Rollout " (r.id) }
                            ": " (r.profile) ", " (r.state.as_str())
                            @if let Some(w) = r.wave { ", wave " (w) " of " (r.wave_count) }
                        }
                    }
                }
            }
        }
    };
    Ok(Shell::new("Dashboard", Some(&viewer))
        .section("/ui/")
        .render(body))
}
