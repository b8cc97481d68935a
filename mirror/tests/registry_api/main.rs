//! Router tests for the registry on /v2/: every endpoint, spec status codes and error codes, and
//! hostile requests. Requests go through the real router onto a real store in a tempdir.

mod harness;
mod hostile;
mod manifest_checks;
mod pull_push;
mod upload_sessions;
mod visibility;
