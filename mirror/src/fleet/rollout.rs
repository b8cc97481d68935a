//! (skeleton: see /work/wt/DESIGN12.md; the owner replaces this file)

use axum::http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error("not yet")]
    NotYet,
}

impl RolloutError {
    pub fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}
