//! Literals as Go's `strconv` reads them: numbers typed as `text/template`'s ideal constants,
//! and quoted strings and characters with Go's escapes.

use crate::Value;

/// The value of a number literal as Go's `idealConstant` types it: an `int` unless it is
/// written as a float (with `.`, `e` or `p`, and not hex); `Err` holds an execution error
/// (a literal too big for `int`).
pub fn number_value(text: &str, is_char: bool) -> Result<Result<Value, String>, String> {
    if is_char {
        let inner = &text[1..];
        let (c, tail) = unquote_char(inner, '\'')?;
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        return Ok(Ok(Value::Int(c as i64)));
    }
    if text.ends_with('i') {
        return Err(format!(
            "complex numbers are not supported: {}",
            crate::quote::quote(text)
        ));
    }
    let int = parse_go_int(text);
    let looks_float = !is_hex(text) && text.contains(['.', 'e', 'E', 'p', 'P']);
    match int {
        Some(IntLit::Int(i)) if !looks_float => Ok(Ok(Value::Int(i))),
        Some(IntLit::Uint) if !looks_float => Ok(Err(format!("{text} overflows int"))),
        _ => {
            let cleaned = text.replace('_', "");
            let parsed = if cleaned.contains(['x', 'X']) {
                parse_hex_float(&cleaned).ok_or(())
            } else {
                cleaned.parse::<f64>().map_err(|_| ())
            };
            match parsed {
                Ok(f) if looks_float => Ok(Ok(Value::Float(f))),
                Ok(_) => Err(format!("integer overflow: {}", crate::quote::quote(text))),
                Err(_) => Err(format!(
                    "illegal number syntax: {}",
                    crate::quote::quote(text)
                )),
            }
        }
    }
}

/// A hexadecimal float, `0x1.8p+3`: hex digits, an optional point, and a binary exponent.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let body = body
        .strip_prefix("0x")
        .or_else(|| body.strip_prefix("0X"))?;
    let (mantissa, exp) = body.split_once(['p', 'P'])?;
    let exp: i32 = exp.parse().ok()?;
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut value = 0f64;
    for c in int_part.chars() {
        value = value * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        value += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    let v = value * 2f64.powi(exp);
    Some(if neg { -v } else { v })
}

fn is_hex(s: &str) -> bool {
    let s = s.trim_start_matches(['+', '-']);
    s.len() > 2 && (s.starts_with("0x") || s.starts_with("0X")) && !s.contains(['p', 'P'])
}

enum IntLit {
    Int(i64),
    /// Above `i64::MAX`: Go parses it but `int` cannot hold it.
    Uint,
}

/// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, `0x`/`0o`/`0b`/leading-`0` prefixes and
/// underscores between digits (only with a prefix, or in decimal).
fn parse_go_int(text: &str) -> Option<IntLit> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d, true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d, true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d, true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..], true)
    } else {
        (10, lower.as_str(), false)
    };
    if digits.contains('_') && !underscores_ok(digits, prefixed) {
        return None;
    }
    let digits = digits.replace('_', "");
    if digits.is_empty() {
        return None;
    }
    let u = u64::from_str_radix(&digits, radix).ok()?;
    if neg {
        if u <= i64::MAX as u64 + 1 {
            return Some(IntLit::Int((u as i128).wrapping_neg() as i64));
        }
        return None;
    }
    if u <= i64::MAX as u64 {
        Some(IntLit::Int(u as i64))
    } else {
        Some(IntLit::Uint)
    }
}

/// Underscores only between digits (or right after a base prefix).
fn underscores_ok(digits: &str, prefixed: bool) -> bool {
    let mut prev_digit = prefixed;
    for c in digits.chars() {
        if c == '_' {
            if !prev_digit {
                return false;
            }
            prev_digit = false;
        } else {
            prev_digit = true;
        }
    }
    prev_digit
}

/// Go's `strconv.Unquote` for the three literal forms the lexer passes.
pub fn unquote(s: &str) -> Result<String, String> {
    let bad = || "invalid syntax".to_string();
    if s.len() < 2 {
        return Err(bad());
    }
    let quote = s.as_bytes()[0];
    if quote == b'`' {
        if !s.ends_with('`') {
            return Err(bad());
        }
        return Ok(s[1..s.len() - 1].replace('\r', ""));
    }
    if quote != b'"' || !s.ends_with('"') {
        return Err(bad());
    }
    let mut body = &s[1..s.len() - 1];
    let mut out = String::with_capacity(body.len());
    while !body.is_empty() {
        let (c, rest) = unquote_char(body, '"')?;
        out.push(c);
        body = rest;
    }
    Ok(out)
}

/// One character of a quoted literal, with Go's escapes; returns it and the rest.
fn unquote_char(s: &str, quote: char) -> Result<(char, &str), String> {
    let bad = || "invalid syntax".to_string();
    let mut chars = s.chars();
    let c = chars.next().ok_or_else(bad)?;
    if c == quote && (quote == '\'' || quote == '"') {
        return Err(bad());
    }
    if c != '\\' {
        return Ok((c, chars.as_str()));
    }
    let e = chars.next().ok_or_else(bad)?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        '\\' => Some('\\'),
        '\'' | '"' if e == quote => Some(e),
        _ => None,
    };
    if let Some(c) = simple {
        return Ok((c, rest));
    }
    let hex = |n: usize| -> Result<(char, &str), String> {
        let digits = rest.get(..n).ok_or_else(bad)?;
        let v = u32::from_str_radix(digits, 16).map_err(|_| bad())?;
        let c = char::from_u32(v).ok_or_else(bad)?;
        Ok((c, &rest[n..]))
    };
    match e {
        'x' => hex(2),
        'u' => hex(4),
        'U' => hex(8),
        '0'..='7' => {
            let digits = s.get(1..4).ok_or_else(bad)?;
            let v = u32::from_str_radix(digits, 8).map_err(|_| bad())?;
            if v > 255 {
                return Err(bad());
            }
            Ok((char::from_u32(v).ok_or_else(bad)?, &s[4..]))
        }
        _ => Err(bad()),
    }
}
