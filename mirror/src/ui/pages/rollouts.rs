//! `/ui/rollouts` (every rollout), `/ui/rollouts/{id}` (each wave's progress and each cluster's
//! gate) and its actions: Pause, Resume, Abort and Rollback, each confirmed on a page of its
//! own (`GET …/{action}`) before the form posts (`POST …/{action}`), for operators and admins.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use maud::html;

use super::{fleet_of, PageError, PageResult};
use crate::fleet::rollout::{self, ClusterState};
use crate::server::access::Action;
use crate::store::now_unix;
use crate::ui::auth::Viewer;
use crate::ui::layout::{csrf_field, time, urlencode, Shell};
use crate::ui::{svg, UiState};

/// What an operator may do to a rollout: (path segment, button, what it does).
const ACTIONS: &[(&str, &str, &str)] = &[
    ("pause", "Pause", "No further cluster is updated until it is resumed."),
    ("resume", "Resume", "The current wave goes on; its gate clock restarts."),
    ("abort", "Abort", "No further wave starts; nothing is reverted."),
    (
        "rollback",
        "Roll back",
        "Every cluster the rollout touched goes back to its previous assignment and artifact digest.",
    ),
];

pub async fn list(
    State(state): State<UiState>,
    Extension(viewer): Extension<Viewer>,
) -> PageResult {
    let fleet = fleet_of(&state)?;
    let rollouts = rollout::list(fleet).await?;
    let body = html! {
        h1 { "Rollouts" }
        @if rollouts.is_empty() {
            p.muted { "No rollout has been started. " code { "ferry fleet rollout start" } " starts one." }
        } @else {
            table {
                thead { tr { th { "Rollout" } th { "Profile" } th { "Target" } th { "State" } th { "Wave" } th { "Started" } th { "By" } } }
                tbody {
                    @for r in &rollouts {
                        tr {
                            td { a href=(format!("/ui/rollouts/{}", r.id)) { "#" (r.id) } }
                            td { (r.profile) }
                            td { (r.target.to_string()) }
                            td { (r.state.as_str()) @if let Some(why) = &r.reason { br; span.muted { (why) } } }
                            td { @if let Some(w) = r.wave { (w) " of " (r.wave_count) } @else { "–" } }
                            td { (time(r.created_at)) }
                            td { (r.created_by) }
                        }
                    }
                }
            }
        }
    };
    Ok(Shell::new("Rollouts", Some(&viewer))
        .section("/ui/rollouts")
        .render(body))
}

pub async fn one(
    State(state): State<UiState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<i64>,
) -> PageResult {
    let fleet = fleet_of(&state)?;
    let r = rollout::status(fleet, id, now_unix()).await?;
    let waves = (1..=r.row.wave_count).map(|w| {
        let in_wave: Vec<_> = r.clusters.iter().filter(|c| c.wave == w).collect();
        let done = in_wave
            .iter()
            .filter(|c| c.state == ClusterState::Updated)
            .count();
        let failed = in_wave
            .iter()
            .filter(|c| c.state == ClusterState::Failed)
            .count();
        (w, done, failed, in_wave)
    });
    let body = html! {
        h1 { "Rollout " (r.row.id) ": " (r.row.profile) }
        p { "State: " strong { (r.row.state.as_str()) }
            @if let Some(why) = &r.row.reason { " (" (why) ")" }
            @if let Some(w) = &r.waiting { br; span.muted { "Waiting for " (w) } }
        }
        p.muted { "Target " (r.row.target.to_string()) ", at most " (r.row.max_unavailable) " unavailable, gate timeout " (r.row.gate_timeout_seconds) " s; started " (time(r.row.created_at)) " by " (r.row.created_by) "." }
        @if viewer.may(Action::Operate) {
            p {
                @for (action, label, _) in ACTIONS {
                    a href=(format!("/ui/rollouts/{id}/{action}")) { (label) }
                    " "
                }
            }
        }
        @for (w, done, failed, clusters) in waves {
            h2 { "Wave " (w) }
            (svg::progress(&format!("Wave {w}"), done, failed, clusters.len()))
            table {
                thead { tr { th { "Cluster" } th { "State" } th { "Gate" } th { "Note" } } }
                tbody {
                    @for c in clusters {
                        tr {
                            td { a href=(format!("/ui/clusters/{}", urlencode(&c.cluster))) { (c.cluster) } }
                            td { (c.state.as_str()) }
                            td { (c.gate.as_ref().map_or("–".to_owned(), |g| format!("{g:?}"))) }
                            td { (c.note.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    };
    Ok(Shell::new(&format!("Rollout {id}"), Some(&viewer))
        .section("/ui/rollouts")
        .render(body))
}

fn action_of(
    action: &str,
) -> Result<&'static (&'static str, &'static str, &'static str), PageError> {
    ACTIONS
        .iter()
        .find(|(a, _, _)| *a == action)
        .ok_or_else(|| {
            PageError(
                StatusCode::NOT_FOUND,
                format!("no rollout action {action:?}"),
            )
        })
}

/// `GET /ui/rollouts/{id}/{action}`: the confirmation, a form that posts the action.
pub async fn confirm(
    State(state): State<UiState>,
    Extension(viewer): Extension<Viewer>,
    Path((id, action)): Path<(i64, String)>,
) -> PageResult {
    let (action, label, what) = action_of(&action)?;
    let fleet = fleet_of(&state)?;
    let r = rollout::status(fleet, id, now_unix()).await?;
    let body = html! {
        h1 { (label) " rollout " (id) "?" }
        p { "Rollout " (id) " of " (r.row.profile) " is " (r.row.state.as_str()) ". " (what) }
        form method="post" action=(format!("/ui/rollouts/{id}/{action}")) {
            (csrf_field(&viewer))
            button type="submit" { "Yes, " (label.to_lowercase()) }
            " "
            a href=(format!("/ui/rollouts/{id}")) { "Cancel" }
        }
    };
    Ok(Shell::new(label, Some(&viewer))
        .section("/ui/rollouts")
        .render(body))
}

/// `POST /ui/rollouts/{id}/{action}`: does it as the viewer (the fleet audits it), then shows
/// the rollout again.
pub async fn act(
    State(state): State<UiState>,
    Extension(viewer): Extension<Viewer>,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let (action, _, _) = action_of(&action)?;
    let fleet = fleet_of(&state)?;
    let (actor, now) = (viewer.actor(), now_unix());
    match *action {
        "pause" => rollout::pause(fleet, id, actor, now).await.map(drop),
        "resume" => rollout::resume(fleet, id, actor, now).await.map(drop),
        "abort" => rollout::abort(fleet, id, actor, now).await.map(drop),
        _ => rollout::rollback(fleet, id, actor, now).await.map(drop),
    }?;
    Ok(Redirect::to(&format!("/ui/rollouts/{id}")).into_response())
}
