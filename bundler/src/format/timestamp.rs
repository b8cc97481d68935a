//! `created` (RFC 3339, UTC) to unix seconds, for tar mtimes.
//!
//! A tiny strict parser instead of a date crate: the format only ever needs
//! `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00)` and must never depend on the local time zone.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("bundle manifest created time {0:?} is not an RFC 3339 UTC time after 1970 (YYYY-MM-DDTHH:MM:SSZ)")]
pub struct TimestampError(pub String);

/// Seconds since the unix epoch; fractions of a second are dropped.
pub fn unix_seconds(created: &str) -> Result<u64, TimestampError> {
    parse(created).ok_or_else(|| TimestampError(created.to_owned()))
}

fn parse(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    if !matches!(rest, "Z" | "z" | "+00:00") {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = year >= 1970
        && (1..=12).contains(&month)
        && day >= 1
        && day <= month_days[(month - 1) as usize]
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm, for years >= 1970).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds (before 1970 clamps to the epoch): the one
/// formatter for every timestamp ferry writes (locks, bundle manifests, the chart index).
pub fn rfc3339_utc(unix: i64) -> String {
    let secs = unix.max(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_known_times() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(unix_seconds("2000-03-01T00:00:00Z"), Ok(951_868_800));
        assert_eq!(unix_seconds("2024-02-29T12:34:56.789Z"), Ok(1_709_210_096));
        assert_eq!(unix_seconds("2026-11-22T00:55:01+00:00"), Ok(1_795_308_901));
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "2024-02-30T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00+01:00",
            "2024-01-01 00:00:00Z",
            "2024-1-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00.Z",
            "+024-01-01T00:00:00Z",
        ] {
            assert!(unix_seconds(bad).is_err(), "{bad}");
        }
    }
}
