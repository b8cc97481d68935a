//! (skeleton: see /work/wt/DESIGN12.md; the owner replaces this file)

use axum::http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("not yet")]
    NotYet,
}

impl QueryError {
    pub fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}
