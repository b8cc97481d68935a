//! JSON as Go's `encoding/json` writes it: sorted keys, `<`, `>`, `&` escaped unless raw,
//! whole floats without a fraction, exponents only below 1e-6 or from 1e21 on.

use crate::{FuncError, Value};

/// How to write: `indent` empty for compact output; `escape_html` as `json.Marshal` does.
pub struct Style<'a> {
    pub indent: &'a str,
    pub escape_html: bool,
}

pub fn encode(v: &Value, style: &Style) -> Result<String, FuncError> {
    let mut out = String::new();
    write_value(&mut out, v, style, 0)?;
    Ok(out)
}

fn newline(out: &mut String, style: &Style, depth: usize) {
    if !style.indent.is_empty() {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(style.indent);
        }
    }
}

fn write_value(out: &mut String, v: &Value, style: &Style, depth: usize) -> Result<(), FuncError> {
    if matches!(v, Value::List(_) | Value::Map(_)) {
        check_bounds(out, v, depth)?;
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&go_float(*f)?),
        Value::String(s) => write_string(out, s, style.escape_html),
        Value::Object(o) => write_string(out, &object_text(o.as_ref()), style.escape_html),
        Value::List(l) => {
            if l.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                write_value(out, item, style, depth + 1)?;
            }
            newline(out, style, depth);
            out.push(']');
        }
        Value::Map(m) => {
            let m = m.borrow();
            if m.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, style, depth + 1);
                write_string(out, k, style.escape_html);
                out.push(':');
                if !style.indent.is_empty() {
                    out.push(' ');
                }
                write_value(out, item, style, depth + 1)?;
            }
            newline(out, style, depth);
            out.push('}');
        }
    }
    Ok(())
}

/// Go's encoder reports a cycle once pointers nest [`crate::MAX_VALUE_DEPTH`] deep and one
/// repeats; here the depth alone decides, so a value nested that deep without a cycle fails
/// too. Output is bounded as the engine's is.
fn check_bounds(out: &str, v: &Value, depth: usize) -> Result<(), FuncError> {
    if depth >= crate::MAX_VALUE_DEPTH {
        return Err(FuncError(format!(
            "json: unsupported value: encountered a cycle via {}",
            v.type_name()
        )));
    }
    if out.len() > crate::exec::MAX_OUTPUT_BYTES {
        return Err(FuncError(format!(
            "json: output exceeds {} MiB",
            crate::exec::MAX_OUTPUT_BYTES >> 20
        )));
    }
    Ok(())
}

/// What Go's JSON writes for a struct the templates hold: a `time.Time` as RFC 3339 with
/// nanoseconds (its `MarshalJSON`), anything else (a semver version) as its text.
pub fn object_text(o: &dyn crate::Object) -> String {
    if o.type_name() == "time.Time" {
        if let Some(Some(Ok(Value::String(ref s)))) = Some(o.method(
            "Format",
            &[Value::String("2006-01-02T15:04:05.999999999Z07:00".into())],
        )) {
            return s.clone();
        }
    }
    o.display()
}

/// Go's float encoder: `'f'` format with the shortest digits, `'e'` outside [1e-6, 1e21).
pub fn go_float(f: f64) -> Result<String, FuncError> {
    if !f.is_finite() {
        return Err(FuncError(format!(
            "json: unsupported value: {}",
            crate::value::format_float_g(f)
        )));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let e = format!("{f:e}");
        let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        return Ok(if exp < 0 {
            format!("{mantissa}e-{}", -exp)
        } else {
            format!("{mantissa}e+{exp:02}")
        });
    }
    Ok(format!("{f}"))
}

pub fn write_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if escape_html => out.push_str(&format!("\\u{:04x}", c as u32)),
            // U+FFFD here stands for an invalid byte (a cut character), which Go writes as
            // the escape.
            '\u{2028}' | '\u{2029}' | '\u{fffd}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `json.Unmarshal` into `interface{}`: numbers become float64.
pub fn decode(s: &str) -> Result<Value, FuncError> {
    serde_json::from_str::<serde_json::Value>(s)
        .map(|j| Value::from_json(&j))
        .map_err(|e| FuncError(e.to_string()))
}
