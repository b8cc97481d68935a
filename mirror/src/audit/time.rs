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
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Any RFC 3339 UTC time (as `--since` takes it) in entry form, for comparing as text.
pub fn normalize(since: &str) -> Result<String, AuditError> {
    ferry_bundler::format::timestamp::unix_seconds(since)
        .map(format_unix)
        .map_err(|_| AuditError::BadTime(since.to_owned()))
}

/// Howard Hinnant's days-to-civil, for days since 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
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
