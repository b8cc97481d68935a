//! Go's `time.Duration` text both ways, and sprig's `durationRound` units.

use crate::FuncError;

/// Go's `time.ParseDuration`: `[-+]` then one or more `<number><unit>`.
pub fn parse_duration(s: &str) -> Result<i64, FuncError> {
    let bad = || FuncError(format!("time: invalid duration {}", crate::quote(s)));
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if num_len == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => {
                return Err(FuncError(format!(
                    "time: missing unit in duration {}",
                    crate::quote(s)
                )))
            }
            u => {
                return Err(FuncError(format!(
                    "time: unknown unit {} in duration {}",
                    crate::quote(u),
                    crate::quote(s)
                )))
            }
        };
        total += number * unit;
        rest = &rest[unit_len..];
    }
    let ns = total.round() as i64;
    Ok(if neg { -ns } else { ns })
}

pub(super) fn round_to_second(ns: i64) -> i64 {
    let r = ns.rem_euclid(1_000_000_000);
    let base = ns - r;
    if r >= 500_000_000 {
        base + 1_000_000_000
    } else {
        base
    }
}

/// Go's `Duration.String`: `1h2m3.5s`, `1m35s`, `0s`, `500ms`, `1.5µs`.
pub fn format_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    let frac = |value: u64, scale: u64| -> String {
        let whole = value / scale;
        let rem = value % scale;
        if rem == 0 {
            return whole.to_string();
        }
        let width = scale.ilog10() as usize;
        let digits = format!("{rem:0width$}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    };
    if u < 1_000 {
        return format!("{sign}{u}ns");
    }
    if u < 1_000_000 {
        return format!("{sign}{}µs", frac(u, 1_000));
    }
    if u < 1_000_000_000 {
        return format!("{sign}{}ms", frac(u, 1_000_000));
    }
    let secs_ns = u % 60_000_000_000;
    let mins = u / 60_000_000_000;
    let seconds = format!("{}s", frac(secs_ns, 1_000_000_000));
    if mins == 0 {
        return format!("{sign}{seconds}");
    }
    let (h, m) = (mins / 60, mins % 60);
    if h == 0 {
        return format!("{sign}{m}m{seconds}");
    }
    format!("{sign}{h}h{m}m{seconds}")
}

pub(super) fn duration_round(d: i64) -> String {
    let u = d.unsigned_abs();
    const SECOND: u64 = 1_000_000_000;
    const MINUTE: u64 = 60 * SECOND;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    const MONTH: u64 = 30 * DAY;
    const YEAR: u64 = 365 * DAY;
    for (unit, suffix) in [
        (YEAR, "y"),
        (MONTH, "mo"),
        (DAY, "d"),
        (HOUR, "h"),
        (MINUTE, "m"),
        (SECOND, "s"),
    ] {
        if u > unit {
            return format!("{}{suffix}", u / unit);
        }
    }
    "0s".into()
}
