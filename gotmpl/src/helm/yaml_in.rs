//! YAML read as Helm's `fromYaml` reads it (`sigs.k8s.io/yaml`: go-yaml v2, then JSON): YAML 1.1
//! scalars (`yes`, `on`, `0755`), keys that are booleans or numbers turned into their text
//! (`n:` is the key "false"), and every number a float64.

use crate::Value;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A YAML node with its resolved scalar type, keys included.
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::UInt(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<Node, Node>()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// A key's text as `sigs.k8s.io/yaml` writes non-string keys into JSON.
fn key_text(key: Node) -> Result<String, String> {
    Ok(match key {
        Node::Null => "null".into(),
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::UInt(u) => u.to_string(),
        Node::Float(f) => crate::value::format_float_g(f),
        Node::Str(s) => s,
        other => to_value(other)?.to_string(),
    })
}

/// The value as go-yaml's result marshalled to JSON and read back: non-finite floats fail
/// as `json.Marshal` fails on them.
fn to_value(n: Node) -> Result<Value, String> {
    Ok(match n {
        Node::Null => Value::Nil,
        Node::Bool(b) => Value::Bool(b),
        Node::Int(i) => Value::Float(i as f64),
        Node::UInt(u) => Value::Float(u as f64),
        Node::Float(f) if !f.is_finite() => {
            return Err(format!(
                "error converting YAML to JSON: json: unsupported value: {}",
                crate::value::format_float_g(f)
            ))
        }
        Node::Float(f) => Value::Float(f),
        Node::Str(s) => Value::String(s),
        Node::Seq(items) => Value::list_from(
            items
                .into_iter()
                .map(to_value)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        // A later duplicate key wins, as in go-yaml v2's map decoding.
        Node::Map(entries) => Value::map_from(
            entries
                .into_iter()
                .map(|(k, v)| Ok((key_text(k)?, to_value(v)?)))
                .collect::<Result<Vec<_>, String>>()?,
        ),
    })
}

fn options() -> serde_saphyr::Options {
    yaml11_options(serde_saphyr::options! { emit_comments: false })
}

/// `base` (a caller's limits: input size, nodes, comments) with scalars resolved as go-yaml v2
/// resolves them: `yes`/`no`/`on`/`off`/`y`/`n` in any of their cases are booleans, `010` is
/// octal, `0x1F`, `0o17`, `0b101`, `1_000`, `.5` and `1e3` numbers.
pub fn yaml11_options(base: serde_saphyr::Options) -> serde_saphyr::Options {
    let mut options = base;
    options.legacy_octal_numbers = true;
    options.leading_zero_numbers_as_strings = false;
    options.underscored_numbers_as_strings = false;
    options.strict_booleans = false;
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    options
}

/// Why [`parse_json_with`] read no value.
#[derive(Debug)]
pub enum ReadError {
    /// Not YAML, or past the reader's limits; the error knows where.
    Syntax(serde_saphyr::Error),
    /// YAML that JSON cannot hold (`.inf`), worded as Helm words it.
    Convert(String),
}

/// The first document of `text` as `sigs.k8s.io/yaml` reads a values file or `Chart.yaml`
/// into Go: YAML 1.1 scalars, non-string keys as their text, read with `options` (give it
/// through [`yaml11_options`]). `null` for an empty document.
pub fn parse_json_with(
    text: &str,
    options: serde_saphyr::Options,
) -> Result<serde_json::Value, ReadError> {
    if text.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    let docs: Vec<Node> =
        serde_saphyr::from_str_multiple_with_options(text, options).map_err(ReadError::Syntax)?;
    docs.into_iter()
        .next()
        .map_or(Ok(serde_json::Value::Null), to_json)
        .map_err(ReadError::Convert)
}

fn to_json(n: Node) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    Ok(match n {
        Node::Null => J::Null,
        Node::Bool(b) => J::Bool(b),
        Node::Int(i) => J::from(i),
        Node::UInt(u) => J::from(u),
        Node::Float(f) => serde_json::Number::from_f64(f)
            .map(J::Number)
            .ok_or_else(|| {
                format!(
                    "error converting YAML to JSON: json: unsupported value: {}",
                    crate::value::format_float_g(f)
                )
            })?,
        Node::Str(s) => J::String(s),
        Node::Seq(items) => J::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?),
        // A later duplicate key wins, as in go-yaml v2's map decoding.
        Node::Map(entries) => {
            let mut map = serde_json::Map::new();
            for (k, v) in entries {
                map.insert(key_text(k)?, to_json(v)?);
            }
            J::Object(map)
        }
    })
}

/// The first document of `text`; `Value::Nil` for an empty one. Errors read as Helm's start.
pub fn parse(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Nil);
    }
    // go-yaml's Unmarshal reads the first document and ignores the rest.
    serde_saphyr::from_str_multiple_with_options::<Node, Vec<Node>>(text, options())
        .map_err(|e| {
            let msg = e.to_string();
            format!(
                "error converting YAML to JSON: yaml: {}",
                msg.lines().next().unwrap_or(&msg)
            )
        })
        .and_then(|docs: Vec<Node>| docs.into_iter().next().map_or(Ok(Value::Nil), to_value))
}
