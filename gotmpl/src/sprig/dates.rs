//! sprig's date functions over a Go-like `time.Time` value, without a clock or a time-zone
//! database: `now` is the FIXED instant [`FIXED_NOW`] (so output is reproducible), and every
//! zone, `Local` included, is UTC. Layouts are Go's (`2006-01-02T15:04:05Z07:00`).

use super::args::{exactly, string, text, FnResult};
use super::duration::{duration_round, format_duration, parse_duration, round_to_second};
use super::time::Time;
use super::time_parse::parse_time;
use crate::{FuncError, FuncMap, Value};

/// What `now` returns: 2025-01-01T00:00:00Z, in Unix seconds.
pub const FIXED_NOW: i64 = 1_735_689_600;

pub fn register(m: &mut FuncMap) {
    m.insert("now", |_, a| {
        exactly(a, 0, "now")?;
        Ok(Time::value(FIXED_NOW, 0))
    });
    m.insert("date", |_, a| {
        exactly(a, 2, "date")?;
        text(as_time(&a[1]).format(string(&a[0])?))
    });
    m.insert("date_in_zone", date_in_zone);
    m.insert("dateInZone", date_in_zone);
    m.insert("htmlDate", |_, a| {
        exactly(a, 1, "htmlDate")?;
        text(as_time(&a[0]).format("2006-01-02"))
    });
    m.insert("htmlDateInZone", |_, a| {
        exactly(a, 2, "htmlDateInZone")?;
        string(&a[1])?;
        text(as_time(&a[0]).format("2006-01-02"))
    });
    m.insert("dateModify", |_, a| date_modify(a, false));
    m.insert("date_modify", |_, a| date_modify(a, false));
    m.insert("mustDateModify", |_, a| date_modify(a, true));
    m.insert("must_date_modify", |_, a| date_modify(a, true));
    m.insert("ago", |_, a| {
        exactly(a, 1, "ago")?;
        let t = as_time(&a[0]);
        let secs = (FIXED_NOW - t.secs) * 1_000_000_000 - i64::from(t.nanos);
        text(format_duration(round_to_second(secs)))
    });
    m.insert("duration", |_, a| {
        exactly(a, 1, "duration")?;
        let n = match &a[0] {
            Value::String(s) => s.parse::<i64>().unwrap_or(0),
            Value::Int(i) => *i,
            _ => 0,
        };
        text(format_duration(n.saturating_mul(1_000_000_000)))
    });
    m.insert("durationRound", |_, a| {
        exactly(a, 1, "durationRound")?;
        let d = match &a[0] {
            Value::String(s) => parse_duration(s).unwrap_or(0),
            Value::Int(i) => *i,
            Value::Object(_) => {
                let t = as_time(&a[0]);
                (FIXED_NOW - t.secs) * 1_000_000_000 - i64::from(t.nanos)
            }
            _ => 0,
        };
        text(duration_round(d))
    });
    m.insert("toDate", |_, a| to_date(a, false));
    m.insert("mustToDate", |_, a| to_date(a, true));
    m.insert("unixEpoch", |_, a| {
        exactly(a, 1, "unixEpoch")?;
        text(as_time(&a[0]).secs.to_string())
    });
}

/// sprig's date argument: a time, or Unix seconds; anything else is `now`.
fn as_time(v: &Value) -> Time {
    match v {
        Value::Object(o) if o.type_name() == "time.Time" => {
            let secs = match o.field("Unix") {
                Some(Value::Int(s)) => s,
                _ => FIXED_NOW,
            };
            let nanos = match o.field("Nanosecond") {
                Some(Value::Int(n)) => n as u32,
                _ => 0,
            };
            Time { secs, nanos }
        }
        Value::Int(s) => Time { secs: *s, nanos: 0 },
        _ => Time {
            secs: FIXED_NOW,
            nanos: 0,
        },
    }
}

fn date_in_zone(_: &mut dyn crate::Runtime, a: &[Value]) -> FnResult {
    exactly(a, 3, "dateInZone")?;
    string(&a[2])?;
    text(as_time(&a[1]).format(string(&a[0])?))
}

fn date_modify(a: &[Value], must: bool) -> FnResult {
    exactly(a, 2, "dateModify")?;
    let spec = string(&a[0])?;
    let t = match &a[1] {
        Value::Object(o) if o.type_name() == "time.Time" => as_time(&a[1]),
        other => {
            return Err(FuncError(format!(
                "wrong type for value; expected time.Time; got {}",
                other.type_name()
            )))
        }
    };
    match parse_duration(spec) {
        Ok(ns) => Ok(t.add_nanos(ns)),
        Err(e) if must => Err(e),
        Err(_) => Ok(a[1].clone()),
    }
}

/// `toDate LAYOUT TEXT`: Go's `time.Parse` for numeric layouts (zones other than UTC/`Z`
/// offsets are applied as offsets); on failure the zero time (or an error for `mustToDate`).
fn to_date(a: &[Value], must: bool) -> FnResult {
    exactly(a, 2, "toDate")?;
    let (layout, s) = (string(&a[0])?, string(&a[1])?);
    match parse_time(layout, s) {
        Some(t) => Ok(Time::value(t.secs, t.nanos)),
        None if must => Err(FuncError(format!(
            "parsing time {} as {}: cannot parse",
            crate::quote(s),
            crate::quote(layout)
        ))),
        // Go's zero time, 0001-01-01 00:00:00 UTC.
        None => Ok(Time::value(-62_135_596_800, 0)),
    }
}
