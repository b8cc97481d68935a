//! The store keeps times as unix seconds; every JSON document shows them as RFC 3339 UTC
//! (`2026-11-01T12:00:00Z`), the one time format of docs/json.md.

use serde::Serializer;

use super::catalog::rfc3339 as to_rfc3339;

/// `#[serde(serialize_with)]` for a unix-seconds field.
pub fn rfc3339<S: Serializer>(unix: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_rfc3339(*unix))
}

/// `#[serde(serialize_with)]` for an optional unix-seconds field (`null` when absent).
pub fn rfc3339_opt<S: Serializer>(unix: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match unix {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}
