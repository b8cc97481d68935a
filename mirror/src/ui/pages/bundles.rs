//! `/ui/bundles`: every imported bundle, newest first: when it was built and imported, who
//! signed it, its size and artifacts, and whether it is retired.

use axum::extract::State;
use axum::Extension;
use maud::html;

use super::PageResult;
use crate::store::list_bundles;
use crate::ui::auth::Viewer;
use crate::ui::layout::{size, time, Shell};
use crate::ui::UiState;

pub async fn page(
    State(state): State<UiState>,
    Extension(viewer): Extension<Viewer>,
) -> PageResult {
    let bundles = list_bundles(&state.store).await?;
    let body = html! {
        h1 { "Bundles" }
        @if bundles.is_empty() {
            p.muted { "No bundle has been imported yet." }
        } @else {
            table {
                thead {
                    tr {
                        th { "Bundle" } th { "Built" } th { "Imported" } th { "Signed by" }
                        th { "Artifacts" } th { "Size" } th { "State" }
                    }
                }
                tbody {
                    @for b in bundles.iter().rev() {
                        tr {
                            td.digest { (b.manifest_digest.to_string()) br; span.muted { (b.generator) } }
                            td { (b.created) }
                            td { (time(b.imported_at)) }
                            td { (b.signer.as_deref().unwrap_or("unsigned")) }
                            td { (b.artifacts) }
                            td { (size(b.total_size)) }
                            td {
                                @match b.retired_at {
                                    Some(at) => { "retired " (time(at)) }
                                    None => { "active" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Shell::new("Bundles", Some(&viewer))
        .section("/ui/bundles")
        .render(body))
}
