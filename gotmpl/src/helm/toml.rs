//! `toToml` and `fromToml` as Helm has them (BurntSushi/toml): the encoder writes plain keys
//! first, then tables (`[a]`, nested `[a.b]` indented two spaces per level) and arrays of
//! tables (`[[a]]`), keys sorted; floats always carry a fraction (`1.0`), as Helm's
//! float64 values then print. Decoding keeps TOML integers as int64.

use crate::{FuncError, Value};

/// BurntSushi's `Encode` of a map; an error's text is what `toToml` returns instead.
pub fn encode(v: &Value) -> Result<String, FuncError> {
    let mut out = Writer {
        out: String::new(),
        written: false,
    };
    match v {
        Value::Map(_) => out.table(&[], v)?,
        other => {
            return Err(FuncError(format!(
                "toml: top-level values must be Go maps or structs; got {}",
                other.type_name()
            )))
        }
    }
    Ok(out.out)
}

struct Writer {
    out: String,
    written: bool,
}

fn is_table(v: &Value) -> bool {
    matches!(v, Value::Map(_)) || is_table_array(v)
}

fn is_table_array(v: &Value) -> bool {
    matches!(v, Value::List(l) if !l.is_empty() && l.iter().all(|x| matches!(x, Value::Map(_))))
}

fn bare(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn quote_key(k: &str) -> String {
    if bare(k) {
        k.to_string()
    } else {
        quoted(k)
    }
}

fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn key_path(key: &[String]) -> String {
    key.iter()
        .map(|k| quote_key(k))
        .collect::<Vec<_>>()
        .join(".")
}

fn indent(key: &[String]) -> String {
    "  ".repeat(key.len().saturating_sub(1))
}

impl Writer {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        self.written = true;
    }

    fn newline(&mut self) {
        if self.written {
            self.out.push('\n');
        }
    }

    /// A map that contains itself would nest tables without end.
    fn check_bounds(&self, depth: usize) -> Result<(), FuncError> {
        if depth >= crate::MAX_VALUE_DEPTH {
            return Err(FuncError(format!(
                "toml: value nested deeper than {} levels (a map that contains itself?)",
                crate::MAX_VALUE_DEPTH
            )));
        }
        if self.out.len() > crate::exec::MAX_OUTPUT_BYTES {
            return Err(FuncError(format!(
                "toml: output exceeds {} MiB",
                crate::exec::MAX_OUTPUT_BYTES >> 20
            )));
        }
        Ok(())
    }

    fn table(&mut self, key: &[String], v: &Value) -> Result<(), FuncError> {
        let Value::Map(m) = v else { return Ok(()) };
        self.check_bounds(key.len())?;
        if key.len() == 1 {
            self.newline();
        }
        if !key.is_empty() {
            self.write(&format!("{}[{}]", indent(key), key_path(key)));
            self.newline();
        }
        let m = m.borrow();
        let (sub, direct): (Vec<_>, Vec<_>) = m.iter().partition(|(_, v)| is_table(v));
        for (k, v) in direct.into_iter().chain(sub) {
            if matches!(v, Value::Nil) {
                continue;
            }
            let mut path = key.to_vec();
            path.push(k.clone());
            match v {
                Value::Map(_) => self.table(&path, v)?,
                Value::List(l) if is_table_array(v) => {
                    for item in l.iter() {
                        self.newline();
                        self.write(&format!("{}[[{}]]", indent(&path), key_path(&path)));
                        self.newline();
                        self.table_body(&path, item)?;
                    }
                }
                _ => {
                    let value = element(v, 0)?;
                    self.write(&format!("{}{} = {value}", indent(&path), quote_key(k)));
                    self.newline();
                }
            }
        }
        Ok(())
    }

    /// An array-of-tables entry: the table's contents without a `[header]` of its own.
    fn table_body(&mut self, key: &[String], v: &Value) -> Result<(), FuncError> {
        let Value::Map(m) = v else { return Ok(()) };
        self.check_bounds(key.len())?;
        let m = m.borrow();
        let (sub, direct): (Vec<_>, Vec<_>) = m.iter().partition(|(_, v)| is_table(v));
        for (k, v) in direct.into_iter().chain(sub) {
            let mut path = key.to_vec();
            path.push(k.clone());
            match v {
                Value::Nil => {}
                Value::Map(_) => self.table(&path, v)?,
                _ if is_table_array(v) => {
                    if let Value::List(l) = v {
                        for item in l.iter() {
                            self.newline();
                            self.write(&format!("{}[[{}]]", indent(&path), key_path(&path)));
                            self.newline();
                            self.table_body(&path, item)?;
                        }
                    }
                }
                _ => {
                    let value = element(v, 0)?;
                    self.write(&format!("{}{} = {value}", indent(&path), quote_key(k)));
                    self.newline();
                }
            }
        }
        Ok(())
    }
}

/// An inline value, `depth` lists and maps down.
fn element(v: &Value, depth: usize) -> Result<String, FuncError> {
    if depth >= crate::MAX_VALUE_DEPTH {
        return Err(FuncError(format!(
            "toml: value nested deeper than {} levels (a map that contains itself?)",
            crate::MAX_VALUE_DEPTH
        )));
    }
    Ok(match v {
        Value::Nil => return Err(FuncError::new("toml: cannot encode a nil value")),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => toml_float(*f),
        Value::String(s) => quoted(s),
        Value::Object(o) => quoted(&o.display()),
        Value::List(l) => {
            let items: Vec<String> = l
                .iter()
                .map(|x| element(x, depth + 1))
                .collect::<Result<_, _>>()?;
            format!("[{}]", items.join(", "))
        }
        Value::Map(m) => {
            let items: Vec<String> = m
                .borrow()
                .iter()
                .filter(|(_, v)| !matches!(v, Value::Nil))
                .map(|(k, v)| Ok(format!("{} = {}", quote_key(k), element(v, depth + 1)?)))
                .collect::<Result<_, FuncError>>()?;
            format!("{{{}}}", items.join(", "))
        }
    })
}

fn toml_float(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let s = format!("{f}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// TOML into a map; on failure Helm's map with an `Error` key.
pub fn decode(s: &str) -> Value {
    match s.parse::<toml_edit::DocumentMut>() {
        Ok(doc) => table_value(doc.as_table()),
        Err(e) => Value::map_from([(
            "Error".to_string(),
            Value::String(format!("toml: {}", e.to_string().trim())),
        )]),
    }
}

fn table_value(t: &toml_edit::Table) -> Value {
    Value::map_from(t.iter().map(|(k, item)| (k.to_string(), item_value(item))))
}

fn item_value(item: &toml_edit::Item) -> Value {
    match item {
        toml_edit::Item::None => Value::Nil,
        toml_edit::Item::Value(v) => plain_value(v),
        toml_edit::Item::Table(t) => table_value(t),
        toml_edit::Item::ArrayOfTables(a) => Value::list_from(a.iter().map(table_value)),
    }
}

fn plain_value(v: &toml_edit::Value) -> Value {
    use toml_edit::Value as T;
    match v {
        T::String(s) => Value::String(s.value().clone()),
        T::Integer(i) => Value::Int(*i.value()),
        T::Float(f) => Value::Float(*f.value()),
        T::Boolean(b) => Value::Bool(*b.value()),
        T::Datetime(d) => Value::String(d.value().to_string()),
        T::Array(a) => Value::list_from(a.iter().map(plain_value)),
        T::InlineTable(t) => {
            Value::map_from(t.iter().map(|(k, v)| (k.to_string(), plain_value(v))))
        }
    }
}
