//! Entry times: RFC 3339 UTC with seconds precision, so text order is time order.

use std::time::{SystemTime, UNIX_EPOCH};

use super::AuditError;

/// Now, as an entry time.
pub fn now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_unix(secs)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the unix epoch.
pub fn format_unix(secs: u64) -> String {
    ferry_bundler::format::timestamp::rfc3339_utc(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// Any RFC 3339 UTC time (as `--since` takes it) in entry form, for comparing as text.
pub fn normalize(since: &str) -> Result<String, AuditError> {
    ferry_bundler::format::timestamp::unix_seconds(since)
        .map(format_unix)
        .map_err(|_| AuditError::BadTime(since.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_unix(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(
            normalize("2026-11-18T11:06:40.123+00:00").unwrap(),
            "2026-11-18T11:06:40Z"
        );
        assert!(normalize("yesterday").is_err());
    }
}
