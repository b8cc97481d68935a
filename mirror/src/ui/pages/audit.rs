//! `/ui/audit` (admins, as `GET /api/v1/audit`): the newest entries of the hash-chained log,
//! filtered by actor or action, and the result of verifying the whole chain.

use axum::extract::{Query, State};
use axum::Extension;
use maud::html;
use serde::Deserialize;

use super::PageResult;
use crate::ui::auth::Viewer;
use crate::ui::layout::Shell;
use crate::ui::UiState;

/// Entries shown, newest first.
const SHOWN: usize = 200;

#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    actor: Option<String>,
    action: Option<String>,
}

pub async fn page(
    State(state): State<UiState>,
    Extension(viewer): Extension<Viewer>,
    Query(filter): Query<Filter>,
) -> PageResult {
    let chain = crate::audit::verify(state.store.db(), None).await?;
    let entries = crate::audit::list(state.store.db(), None).await?;
    let wanted = |v: &Option<String>, field: &str| {
        v.as_deref()
            .filter(|w| !w.is_empty())
            .is_none_or(|w| field.contains(w))
    };
    let shown: Vec<_> = entries
        .iter()
        .rev()
        .filter(|e| wanted(&filter.actor, &e.actor) && wanted(&filter.action, &e.action))
        .take(SHOWN)
        .collect();
    let body = html! {
        h1 { "Audit log" }
        @match &chain.tamper {
            None => p.ok { "The chain is intact: " (chain.entries_checked) " entries checked." }
            Some(t) => p.bad role="alert" { "The chain is broken at entry " (t.seq) ": " (t.reason) }
        }
        form method="get" action="/ui/audit" {
            label for="actor" { "Actor contains" }
            input #actor name="actor" type="text" value=(filter.actor.as_deref().unwrap_or(""));
            " "
            label for="action" { "Action contains" }
            input #action name="action" type="text" value=(filter.action.as_deref().unwrap_or(""));
            " "
            button type="submit" { "Filter" }
        }
        p.muted { (shown.len()) " of " (entries.len()) " entries shown, newest first." }
        table {
            thead { tr { th { "#" } th { "When" } th { "Actor" } th { "Action" } th { "Subject" } } }
            tbody {
                @for e in &shown {
                    tr {
                        td { (e.seq) }
                        td { (e.at) }
                        td { (e.actor) }
                        td { code { (e.action) } }
                        td.digest { (e.subject) }
                    }
                }
            }
        }
    };
    Ok(Shell::new("Audit", Some(&viewer))
        .section("/ui/audit")
        .render(body))
}
