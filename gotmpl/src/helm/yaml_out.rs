//! YAML as Helm's `toYaml` writes it: `sigs.k8s.io/yaml` turns the value into JSON and the
//! JSON into YAML with go-yaml v2, whose emitter is libyaml's. So: whole floats print as
//! integers, map keys in go-yaml's natural order, lists under a key not indented, strings
//! plain unless they would read back as something else ("true", "1", "", "2024-01-01") or
//! hold YAML indicators, multi-line strings as `|`/`|-` literals, lines folded past 80
//! columns. `toYamlPretty` (go-yaml v3, indent 2) indents lists and keeps floats as `%g`.

use super::yaml_scalar::{
    analyze, fold_next_lines, is_base60_float, is_break, is_printable, key_order,
    resolves_to_string,
};
use crate::{FuncError, Value};

/// How one of Helm's YAML writers differs from the other.
#[derive(Clone, Copy)]
pub struct Flavor {
    /// go-yaml v3 with `SetIndent(2)` indents a list under its key; v2 does not.
    pub indent_lists: bool,
    /// v2 (through JSON) prints whole floats as integers; v3 prints `%g`.
    pub via_json: bool,
}

pub const TO_YAML: Flavor = Flavor {
    indent_lists: false,
    via_json: true,
};
pub const TO_YAML_PRETTY: Flavor = Flavor {
    indent_lists: true,
    via_json: false,
};

const BEST_WIDTH: usize = 80;

/// The YAML document for `v`, ending in a newline. Fails for values nested deeper than
/// [`crate::MAX_VALUE_DEPTH`] (a map that contains itself) or past the engine's output bound.
pub fn to_yaml(v: &Value, flavor: Flavor) -> Result<String, FuncError> {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        flavor,
        depth: 0,
        exceeded: None,
    };
    match v {
        Value::Map(m) if !m.borrow().is_empty() => e.mapping(v, 0),
        Value::List(l) if !l.is_empty() => e.sequence(l, 0),
        other => e.scalar_node(other, 2, false),
    }
    // libyaml's document end: a line break unless a literal's last break just gave one.
    if !(e.indention && e.column == 0) {
        e.out.push('\n');
    }
    match e.exceeded {
        Some(error) => Err(error),
        None => Ok(e.out),
    }
}

struct Emitter {
    out: String,
    column: usize,
    /// The last character written is a space or a line start.
    whitespace: bool,
    /// Only indentation has been written on this line.
    indention: bool,
    flavor: Flavor,
    /// Lists and maps open around the one being written.
    depth: usize,
    /// Why writing stopped early, if it did.
    exceeded: Option<FuncError>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

impl Emitter {
    /// Whether a list or map may be written here; records why not.
    fn may_nest(&mut self) -> bool {
        if self.exceeded.is_none() {
            if self.depth >= crate::MAX_VALUE_DEPTH {
                self.exceeded = Some(FuncError(format!(
                    "toYaml: value nested deeper than {} levels (a map that contains itself?)",
                    crate::MAX_VALUE_DEPTH
                )));
            } else if self.out.len() > crate::exec::MAX_OUTPUT_BYTES {
                self.exceeded = Some(FuncError(format!(
                    "toYaml: output exceeds {} MiB",
                    crate::exec::MAX_OUTPUT_BYTES >> 20
                )));
            }
        }
        self.exceeded.is_none()
    }

    fn put(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.chars().count();
        self.whitespace = s.ends_with(' ');
        self.indention = self.indention && s.chars().all(|c| c == ' ');
    }

    fn put_char(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
        self.whitespace = c == ' ';
        self.indention = self.indention && c == ' ';
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.column = 0;
        self.whitespace = true;
        self.indention = true;
    }

    /// libyaml's `write_indent`.
    fn indent_to(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.newline();
        }
        while self.column < indent {
            self.put_char(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn mapping(&mut self, v: &Value, indent: usize) {
        let Value::Map(m) = v else { return };
        if !self.may_nest() {
            return;
        }
        self.depth += 1;
        self.mapping_entries(m, indent);
        self.depth -= 1;
    }

    fn mapping_entries(&mut self, m: &crate::Map, indent: usize) {
        let m = m.borrow();
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort_by(|a, b| key_order(a, b));
        for k in keys {
            self.indent_to(indent);
            let value = &m[k];
            // libyaml writes a key that is multi-line or over 128 characters as `? key`.
            if k.chars().any(is_break) || k.chars().count() > 128 {
                self.put_char('?');
                self.string_scalar(k, indent + 2, false);
                self.indent_to(indent);
                self.put_char(':');
                self.block_value(value, indent, true);
                continue;
            }
            self.string_scalar(k, indent + 2, true);
            self.put_char(':');
            self.block_value(value, indent, false);
        }
    }

    /// A mapping's value after its `:`. After `? key`, the `:` counts as indentation, so a
    /// collection starts on the same line, as after `-`.
    fn block_value(&mut self, value: &Value, indent: usize, complex_key: bool) {
        let nested = matches!(value, Value::Map(m) if !m.borrow().is_empty())
            || matches!(value, Value::List(l) if !l.is_empty());
        if complex_key && nested {
            self.put_char(' ');
            self.indention = true;
        }
        match value {
            Value::Map(inner) if !inner.borrow().is_empty() => self.mapping(value, indent + 2),
            Value::List(l) if !l.is_empty() => {
                let at = if self.flavor.indent_lists || complex_key {
                    indent + 2
                } else {
                    indent
                };
                self.sequence(l, at)
            }
            other => self.scalar_node(other, indent + 2, false),
        }
    }

    fn sequence(&mut self, items: &[Value], indent: usize) {
        if !self.may_nest() {
            return;
        }
        self.depth += 1;
        self.sequence_items(items, indent);
        self.depth -= 1;
    }

    fn sequence_items(&mut self, items: &[Value], indent: usize) {
        for item in items {
            self.indent_to(indent);
            self.put_char('-');
            self.whitespace = false;
            self.indention = false;
            match item {
                Value::Map(inner) if !inner.borrow().is_empty() => {
                    self.put_char(' ');
                    self.indention = true;
                    self.mapping(item, indent + 2)
                }
                Value::List(l) if !l.is_empty() => {
                    self.put_char(' ');
                    self.indention = true;
                    self.sequence(l, indent + 2)
                }
                other => self.scalar_node(other, indent + 2, false),
            }
        }
    }

    /// A scalar (or empty collection) after `key:` or `-`, continuing at `indent`.
    fn scalar_node(&mut self, v: &Value, indent: usize, simple_key: bool) {
        let text = match v {
            Value::Nil => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => self.float(*f),
            Value::Map(_) => "{}".to_string(),
            Value::List(_) => "[]".to_string(),
            Value::String(s) => return self.string_scalar(s, indent, simple_key),
            Value::Object(o) => {
                return self.string_scalar(
                    &crate::sprig::json::object_text(o.as_ref()),
                    indent,
                    simple_key,
                )
            }
        };
        if !self.whitespace {
            self.put_char(' ');
        }
        self.put(&text);
    }

    fn float(&self, f: f64) -> String {
        if self.flavor.via_json && f.fract() == 0.0 && f.is_finite() && f.abs() < 1e21 {
            // JSON writes the shortest digits ("12345678901234567000"); go-yaml reads them
            // back as an integer when they fit one.
            let digits = format!("{f}");
            if let Ok(i) = digits.parse::<i64>() {
                return i.to_string();
            }
            if let Ok(u) = digits.parse::<u64>() {
                return u.to_string();
            }
        }
        match crate::value::format_float_g(f).as_str() {
            "+Inf" => ".inf".into(),
            "-Inf" => "-.inf".into(),
            "NaN" => ".nan".into(),
            s => s.to_string(),
        }
    }

    fn string_scalar(&mut self, s: &str, indent: usize, simple_key: bool) {
        let folded;
        let s = if self.flavor.via_json && s.contains('\u{85}') {
            folded = fold_next_lines(s);
            folded.as_str()
        } else {
            s
        };
        let can_plain = resolves_to_string(s) && !is_base60_float(s);
        let mut style = if s.contains('\n') {
            Style::Literal
        } else if can_plain {
            Style::Plain
        } else {
            Style::Double
        };
        let a = analyze(s);
        if style == Style::Plain && (!a.block_plain || (s.is_empty() && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block || simple_key) {
            style = Style::Double;
        }
        let _ = a.multiline;
        let breaks_allowed = !simple_key;
        if !self.whitespace {
            self.put_char(' ');
        }
        match style {
            Style::Plain => self.write_plain(s, indent, breaks_allowed),
            Style::Single => self.write_single(s, indent, breaks_allowed),
            Style::Double => self.write_double(s, indent, breaks_allowed),
            Style::Literal => self.write_literal(s, indent),
        }
    }

    fn fold_here(&self, allow: bool, spaces: bool) -> bool {
        allow && !spaces && self.column > BEST_WIDTH && self.flavor.via_json
    }

    fn write_plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if self.fold_here(allow_breaks, spaces) && chars.get(i + 1) != Some(&' ') {
                    self.indent_to(indent);
                } else {
                    self.put_char(' ');
                }
                spaces = true;
            } else {
                self.put_char(c);
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.put_char('\'');
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if self.fold_here(allow_breaks, spaces)
                    && i != 0
                    && i != chars.len() - 1
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.indent_to(indent);
                } else {
                    self.put_char(' ');
                }
                spaces = true;
            } else if is_break(c) {
                // A break other than '\n' is written as itself; the text goes on indented.
                if !breaks && c == '\n' {
                    self.newline();
                }
                if c == '\n' {
                    self.newline();
                } else {
                    self.out.push(c);
                    self.column = 0;
                    self.whitespace = true;
                }
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.indent_to(indent);
                }
                if c == '\'' {
                    self.put_char('\'');
                }
                self.put_char(c);
                spaces = false;
                breaks = false;
            }
        }
        self.put_char('\'');
    }

    fn write_double(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.put_char('"');
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                let esc = match c {
                    '\0' => "\\0".to_string(),
                    '\u{7}' => "\\a".into(),
                    '\u{8}' => "\\b".into(),
                    '\t' => "\\t".into(),
                    '\n' => "\\n".into(),
                    '\u{b}' => "\\v".into(),
                    '\u{c}' => "\\f".into(),
                    '\r' => "\\r".into(),
                    '\u{1b}' => "\\e".into(),
                    '"' => "\\\"".into(),
                    '\\' => "\\\\".into(),
                    '\u{85}' => "\\N".into(),
                    '\u{a0}' => "\\_".into(),
                    '\u{2028}' => "\\L".into(),
                    '\u{2029}' => "\\P".into(),
                    c if (c as u32) <= 0xFF => format!("\\x{:02X}", c as u32),
                    c if (c as u32) <= 0xFFFF => format!("\\u{:04X}", c as u32),
                    c => format!("\\U{:08X}", c as u32),
                };
                self.put(&esc);
                spaces = false;
            } else if c == ' ' {
                if self.fold_here(allow_breaks, spaces) && i != 0 && i != chars.len() - 1 {
                    self.indent_to(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put_char('\\');
                    }
                } else {
                    self.put_char(' ');
                }
                spaces = true;
            } else {
                self.put_char(c);
                spaces = false;
            }
        }
        self.put_char('"');
    }

    fn write_literal(&mut self, s: &str, indent: usize) {
        self.put_char('|');
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.put_char('2');
        }
        let mut rev = s.chars().rev();
        let last = rev.next();
        let before_last = rev.next();
        match (last, before_last) {
            (Some(l), _) if !is_break(l) => self.put_char('-'),
            (Some(_), None) => self.put_char('+'),
            (Some(_), Some(b)) if is_break(b) => self.put_char('+'),
            _ => {}
        }
        self.newline();
        let mut breaks = true;
        for c in s.chars() {
            if is_break(c) {
                self.newline();
                breaks = true;
            } else {
                if breaks {
                    self.indent_to(indent);
                    breaks = false;
                }
                self.put_char(c);
            }
        }
        // What follows a literal starts on a fresh line (libyaml's indention state).
        self.indention = breaks;
        self.whitespace = breaks;
    }
}
