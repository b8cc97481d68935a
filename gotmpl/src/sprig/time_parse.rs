//! Go's `time.Parse` for the layouts charts give `toDate` and friends, in UTC: the layout's
//! tokens (the same as `Format`'s) read numbers, names and zone offsets from the value.

use super::time::{days_from_civil, next_token, Time, Token, DAYS, MONTHS};

fn take_num(s: &str, min: usize, max: usize) -> Option<(i64, usize)> {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if n < min {
        return None;
    }
    Some((s[..n].parse().ok()?, n))
}

pub(super) fn parse_time(layout: &str, value: &str) -> Option<Time> {
    let (mut year, mut month, mut day, mut hour, mut min, mut sec) =
        (1i64, 1i64, 1i64, 0i64, 0i64, 0i64);
    let (mut nanos, mut offset, mut pm) = (0u32, 0i64, None::<bool>);
    let (mut l, mut v) = (layout, value);
    while !l.is_empty() {
        let (tok, len) = next_token(l);
        let consumed = match tok {
            Token::Literal => {
                if !v.starts_with(&l[..len]) {
                    return None;
                }
                len
            }
            Token::LongYear => take_num(v, 4, 4).map(|(n, c)| {
                year = n;
                c
            })?,
            Token::Year => take_num(v, 2, 2).map(|(n, c)| {
                year = if n >= 69 { 1900 + n } else { 2000 + n };
                c
            })?,
            Token::ZeroMonth => take_num(v, 2, 2).map(|(n, c)| {
                month = n;
                c
            })?,
            Token::NumMonth => take_num(v, 1, 2).map(|(n, c)| {
                month = n;
                c
            })?,
            Token::LongMonth | Token::Month => {
                let i = MONTHS.iter().position(|m| {
                    let m = if tok == Token::Month { &m[..3] } else { m };
                    v.len() >= m.len() && v[..m.len()].eq_ignore_ascii_case(m)
                })?;
                month = i as i64 + 1;
                if tok == Token::Month {
                    3
                } else {
                    MONTHS[i].len()
                }
            }
            Token::LongWeekday | Token::Weekday => {
                let d = DAYS.iter().find(|d| {
                    let d = if tok == Token::Weekday { &d[..3] } else { d };
                    v.len() >= d.len() && v[..d.len()].eq_ignore_ascii_case(d)
                })?;
                if tok == Token::Weekday {
                    3
                } else {
                    d.len()
                }
            }
            Token::ZeroDay => take_num(v, 2, 2).map(|(n, c)| {
                day = n;
                c
            })?,
            Token::Day => take_num(v, 1, 2).map(|(n, c)| {
                day = n;
                c
            })?,
            Token::UnderDay => {
                let skip = usize::from(v.starts_with(' '));
                take_num(&v[skip..], 1, 2).map(|(n, c)| {
                    day = n;
                    c + skip
                })?
            }
            Token::ZeroYearDay | Token::UnderYearDay => {
                take_num(v.trim_start(), 1, 3).map(|(_, c)| c + (v.len() - v.trim_start().len()))?
            }
            Token::Hour => take_num(v, 2, 2).map(|(n, c)| {
                hour = n;
                c
            })?,
            Token::ZeroHour12 => take_num(v, 2, 2).map(|(n, c)| {
                hour = n;
                c
            })?,
            Token::Hour12 => take_num(v, 1, 2).map(|(n, c)| {
                hour = n;
                c
            })?,
            Token::ZeroMinute => take_num(v, 2, 2).map(|(n, c)| {
                min = n;
                c
            })?,
            Token::Minute => take_num(v, 1, 2).map(|(n, c)| {
                min = n;
                c
            })?,
            Token::ZeroSecond => take_num(v, 2, 2).map(|(n, c)| {
                sec = n;
                c
            })?,
            Token::Second => take_num(v, 1, 2).map(|(n, c)| {
                sec = n;
                c
            })?,
            Token::PM | Token::Pm => {
                let up = v.get(..2)?.to_ascii_uppercase();
                pm = Some(match up.as_str() {
                    "PM" => true,
                    "AM" => false,
                    _ => return None,
                });
                2
            }
            Token::ZoneName => v.bytes().take_while(u8::is_ascii_uppercase).count().max(1),
            Token::IsoZone | Token::NumZone(_) => {
                if tok == Token::IsoZone && v.starts_with('Z') {
                    1
                } else {
                    let sign = match v.as_bytes().first()? {
                        b'+' => 1,
                        b'-' => -1,
                        _ => return None,
                    };
                    let (h, c1) = take_num(&v[1..], 2, 2)?;
                    let mut used = 1 + c1;
                    let mut m = 0;
                    let r = &v[used..];
                    let r = r.strip_prefix(':').map_or(r, |x| {
                        used += 1;
                        x
                    });
                    if let Some((mm, c2)) = take_num(r, 2, 2) {
                        m = mm;
                        used += c2;
                    }
                    offset = sign * (h * 3600 + m * 60);
                    used
                }
            }
            Token::Fraction { .. } => {
                if !v.starts_with(['.', ',']) {
                    0
                } else {
                    let n = v[1..].bytes().take_while(u8::is_ascii_digit).count();
                    let digits = format!("{:0<9}", &v[1..1 + n.min(9)]);
                    nanos = digits.parse().ok()?;
                    1 + n
                }
            }
        };
        // Go accepts fractional seconds after a seconds field even when the layout has none.
        v = &v[consumed..];
        l = &l[len..];
        if matches!(tok, Token::ZeroSecond | Token::Second)
            && !l.starts_with(['.', ','])
            && v.starts_with('.')
        {
            let n = v[1..].bytes().take_while(u8::is_ascii_digit).count();
            if n > 0 {
                nanos = format!("{:0<9}", &v[1..1 + n.min(9)]).parse().ok()?;
                v = &v[1 + n..];
            }
        }
    }
    if !v.is_empty()
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || min > 59
        || sec > 59
    {
        return None;
    }
    if let Some(pm) = pm {
        if hour > 12 {
            return None;
        }
        hour = match (pm, hour) {
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, 12) => 0,
            (false, h) => h,
        };
    }
    let days = days_from_civil(year, month as u32, day as u32);
    Some(Time {
        secs: days * 86_400 + hour * 3600 + min * 60 + sec - offset,
        nanos,
    })
}
