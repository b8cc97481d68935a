//! One module per page (or group of pages) of the UI.

pub mod audit;
pub mod bundles;
pub mod clusters;
pub mod dashboard;
pub mod rollouts;
pub mod search;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::layout;

/// A page that could not be rendered: its status and a message for the viewer.
#[derive(Debug)]
pub struct PageError(pub StatusCode, pub String);

impl PageError {
    /// The error page of `status` saying `message`, as a response.
    pub fn page(status: StatusCode, message: &str) -> Response {
        Self(status, message.to_owned()).into_response()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        (
            self.0,
            axum::response::Html(
                layout::plain_page(self.0.canonical_reason().unwrap_or("Error"), &self.1)
                    .into_string(),
            ),
        )
            .into_response()
    }
}

impl From<crate::fleet::FleetError> for PageError {
    fn from(e: crate::fleet::FleetError) -> Self {
        Self(e.status(), e.to_string())
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::warn!(error = %e, "a UI page failed");
        Self(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl From<crate::audit::AuditError> for PageError {
    fn from(e: crate::audit::AuditError) -> Self {
        tracing::warn!(error = %e, "a UI page failed");
        Self(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

/// The fleet, or the page that says the appliance runs without one.
pub fn fleet_of(state: &super::UiState) -> Result<&crate::fleet::Fleet, PageError> {
    state.fleet.as_ref().ok_or_else(|| {
        PageError(
            StatusCode::NOT_FOUND,
            "this appliance runs without the fleet (start ferry serve with --fleet-key)".into(),
        )
    })
}

pub type PageResult = Result<axum::response::Html<String>, PageError>;
