//! A Go `time.Time` for templates, in UTC: Go's `Format` and `Parse` layouts
//! (`2006-01-02T15:04:05Z07:00`), its `String()`, and the fields and methods charts call.

use crate::{FuncError, Object, Value};
use std::rc::Rc;

/// A Go `time.Time` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    pub secs: i64,
    pub nanos: u32,
}

impl Time {
    pub fn value(secs: i64, nanos: u32) -> Value {
        Value::Object(Rc::new(Time { secs, nanos }))
    }

    fn civil(&self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (
            y,
            m,
            d,
            (rem / 3600) as u32,
            (rem % 3600 / 60) as u32,
            (rem % 60) as u32,
        )
    }

    /// Go's `Time.Format`.
    pub fn format(&self, layout: &str) -> String {
        let (year, month, day, hour, min, sec) = self.civil();
        let weekday = (self.secs.div_euclid(86_400) + 4).rem_euclid(7) as usize;
        let yday = (days_from_civil(year, month, day) - days_from_civil(year, 1, 1) + 1) as u32;
        let mut out = String::new();
        let mut rest = layout;
        while !rest.is_empty() {
            let (token, len) = next_token(rest);
            match token {
                Token::Literal => out.push_str(&rest[..len]),
                Token::LongYear => out.push_str(&format!("{year:04}")),
                Token::Year => out.push_str(&format!("{:02}", year.rem_euclid(100))),
                Token::LongMonth => out.push_str(MONTHS[month as usize - 1]),
                Token::Month => out.push_str(&MONTHS[month as usize - 1][..3]),
                Token::ZeroMonth => out.push_str(&format!("{month:02}")),
                Token::NumMonth => out.push_str(&month.to_string()),
                Token::LongWeekday => out.push_str(DAYS[weekday]),
                Token::Weekday => out.push_str(&DAYS[weekday][..3]),
                Token::ZeroDay => out.push_str(&format!("{day:02}")),
                Token::Day => out.push_str(&day.to_string()),
                Token::UnderDay => out.push_str(&format!("{day:>2}")),
                Token::ZeroYearDay => out.push_str(&format!("{yday:03}")),
                Token::UnderYearDay => out.push_str(&format!("{yday:>3}")),
                Token::Hour => out.push_str(&format!("{hour:02}")),
                Token::ZeroHour12 => out.push_str(&format!("{:02}", hour12(hour))),
                Token::Hour12 => out.push_str(&hour12(hour).to_string()),
                Token::ZeroMinute => out.push_str(&format!("{min:02}")),
                Token::Minute => out.push_str(&min.to_string()),
                Token::ZeroSecond => out.push_str(&format!("{sec:02}")),
                Token::Second => out.push_str(&sec.to_string()),
                Token::PM => out.push_str(if hour >= 12 { "PM" } else { "AM" }),
                Token::Pm => out.push_str(if hour >= 12 { "pm" } else { "am" }),
                Token::ZoneName => out.push_str("UTC"),
                Token::IsoZone => out.push('Z'),
                Token::NumZone(s) => out.push_str(s),
                Token::Fraction { digits, trim } => {
                    let f = format!("{:09}", self.nanos);
                    let f = &f[..digits];
                    if trim {
                        let t = f.trim_end_matches('0');
                        if !t.is_empty() {
                            out.push('.');
                            out.push_str(t);
                        }
                    } else {
                        out.push_str(&rest[..1]);
                        out.push_str(f);
                    }
                }
            }
            rest = &rest[len..];
        }
        out
    }
}

fn hour12(h: u32) -> u32 {
    match h % 12 {
        0 => 12,
        x => x,
    }
}

pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
pub(super) const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Token {
    Literal,
    LongYear,
    Year,
    LongMonth,
    Month,
    ZeroMonth,
    NumMonth,
    LongWeekday,
    Weekday,
    ZeroDay,
    Day,
    UnderDay,
    ZeroYearDay,
    UnderYearDay,
    Hour,
    ZeroHour12,
    Hour12,
    ZeroMinute,
    Minute,
    ZeroSecond,
    Second,
    PM,
    Pm,
    ZoneName,
    /// `Z07:00` and friends print `Z` in UTC.
    IsoZone,
    /// `-07:00` and friends print a zero offset in UTC.
    NumZone(&'static str),
    Fraction {
        digits: usize,
        trim: bool,
    },
}

/// Go's layout tokens, longest first, and the length of what was matched.
pub(super) fn next_token(s: &str) -> (Token, usize) {
    const TABLE: &[(&str, Token)] = &[
        ("January", Token::LongMonth),
        ("Monday", Token::LongWeekday),
        ("Z07:00:00", Token::IsoZone),
        ("-07:00:00", Token::NumZone("+00:00:00")),
        ("Z070000", Token::IsoZone),
        ("-070000", Token::NumZone("+000000")),
        ("Z07:00", Token::IsoZone),
        ("-07:00", Token::NumZone("+00:00")),
        ("Z0700", Token::IsoZone),
        ("-0700", Token::NumZone("+0000")),
        ("Z07", Token::IsoZone),
        ("-07", Token::NumZone("+00")),
        ("2006", Token::LongYear),
        ("Jan", Token::Month),
        ("Mon", Token::Weekday),
        ("MST", Token::ZoneName),
        ("002", Token::ZeroYearDay),
        ("__2", Token::UnderYearDay),
        ("_2", Token::UnderDay),
        ("01", Token::ZeroMonth),
        ("02", Token::ZeroDay),
        ("03", Token::ZeroHour12),
        ("04", Token::ZeroMinute),
        ("05", Token::ZeroSecond),
        ("06", Token::Year),
        ("15", Token::Hour),
        ("PM", Token::PM),
        ("pm", Token::Pm),
        ("1", Token::NumMonth),
        ("2", Token::Day),
        ("3", Token::Hour12),
        ("4", Token::Minute),
        ("5", Token::Second),
    ];
    let b = s.as_bytes();
    // Fractional seconds: `.000` / `,000` keep digits, `.999` trims zeros.
    if (b[0] == b'.' || b[0] == b',') && b.len() > 1 && (b[1] == b'0' || b[1] == b'9') {
        let digit = b[1];
        let n = b[1..].iter().take_while(|&&c| c == digit).count();
        let next = b.get(1 + n);
        if !next.is_some_and(u8::is_ascii_digit) {
            return (
                Token::Fraction {
                    digits: n.min(9),
                    trim: digit == b'9',
                },
                1 + n,
            );
        }
    }
    for (pat, tok) in TABLE {
        if s.starts_with(pat) {
            // "Jan"/"Mon" only when not followed by a lower-case letter (Go's rule).
            if matches!(tok, Token::Month | Token::Weekday)
                && b.get(pat.len()).is_some_and(u8::is_ascii_lowercase)
            {
                continue;
            }
            return (*tok, pat.len());
        }
    }
    let len = s.chars().next().map_or(1, char::len_utf8);
    (Token::Literal, len)
}

impl Object for Time {
    fn type_name(&self) -> &str {
        "time.Time"
    }
    fn field(&self, name: &str) -> Option<Value> {
        let (y, m, d, h, min, s) = self.civil();
        Some(match name {
            "Unix" => Value::Int(self.secs),
            "UnixNano" => Value::Int(self.secs * 1_000_000_000 + i64::from(self.nanos)),
            "Year" => Value::Int(y),
            "Month" => Value::String(MONTHS[m as usize - 1].to_string()),
            "Day" => Value::Int(i64::from(d)),
            "Hour" => Value::Int(i64::from(h)),
            "Minute" => Value::Int(i64::from(min)),
            "Second" => Value::Int(i64::from(s)),
            "Nanosecond" => Value::Int(i64::from(self.nanos)),
            "YearDay" => Value::Int(days_from_civil(y, m, d) - days_from_civil(y, 1, 1) + 1),
            "Weekday" => Value::String(
                DAYS[(self.secs.div_euclid(86_400) + 4).rem_euclid(7) as usize].to_string(),
            ),
            "UTC" | "Local" => Value::Object(Rc::new(*self)),
            "String" => Value::String(self.display()),
            _ => return None,
        })
    }
    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        Some(match (name, args) {
            ("Format", [Value::String(layout)]) => Ok(Value::String(self.format(layout))),
            ("Add", [Value::Int(ns)]) => Ok(self.add_nanos(*ns)),
            ("AddDate", [Value::Int(y), Value::Int(m), Value::Int(d)]) => {
                let (cy, cm, cd, ..) = self.civil();
                let months = cy * 12 + i64::from(cm) - 1 + y * 12 + m;
                let days =
                    days_from_civil(months.div_euclid(12), (months.rem_euclid(12) + 1) as u32, 1)
                        + i64::from(cd)
                        - 1
                        + d;
                Ok(Time::value(
                    days * 86_400 + self.secs.rem_euclid(86_400),
                    self.nanos,
                ))
            }
            ("Format" | "Add" | "AddDate", _) => Err(FuncError(format!(
                "wrong arguments for method {name} of time.Time"
            ))),
            _ => return None,
        })
    }
    fn display(&self) -> String {
        self.format("2006-01-02 15:04:05.999999999 -0700 MST")
    }
}

impl Time {
    pub fn add_nanos(&self, ns: i64) -> Value {
        let total = i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos) + i128::from(ns);
        Time::value(
            total.div_euclid(1_000_000_000) as i64,
            total.rem_euclid(1_000_000_000) as u32,
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}
