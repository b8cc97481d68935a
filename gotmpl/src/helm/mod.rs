//! Helm's template functions: sprig's set minus `env` and `expandenv`, plus Helm's own
//! (`toYaml`, `fromYaml`, `toJson`, `fromJson`, `toToml`, `fromToml`, `include`, `tpl`,
//! `required`, `lookup`), with Helm's error conventions: the `from*` functions never fail
//! but return a map holding `Error` (or a list holding the message).

mod toml;
mod yaml_in;
mod yaml_out;
mod yaml_scalar;

pub use yaml_in::{parse as parse_yaml, parse_json_with, yaml11_options, ReadError};
pub use yaml_out::{Flavor, TO_YAML, TO_YAML_PRETTY};
pub use yaml_scalar::key_order;

use crate::sprig::json::{self, Style};
use crate::{FuncError, FuncMap, Runtime, Value};

/// The function map Helm gives chart templates.
pub fn functions() -> FuncMap {
    let mut m = crate::sprig::functions();
    m.remove("env");
    m.remove("expandenv");
    m.insert("toYaml", |_, a| {
        one(a, "toYaml")?;
        Ok(Value::String(
            to_yaml(&a[0], yaml_out::TO_YAML).unwrap_or_default(),
        ))
    });
    m.insert("mustToYaml", |_, a| {
        one(a, "mustToYaml")?;
        to_yaml(&a[0], yaml_out::TO_YAML).map(Value::String)
    });
    m.insert("toYamlPretty", |_, a| {
        one(a, "toYamlPretty")?;
        Ok(Value::String(
            to_yaml(&a[0], yaml_out::TO_YAML_PRETTY).unwrap_or_default(),
        ))
    });
    m.insert("fromYaml", |_, a| {
        one(a, "fromYaml")?;
        Ok(from_yaml_map(crate::sprig::string_arg(&a[0])?))
    });
    m.insert("fromYamlArray", |_, a| {
        one(a, "fromYamlArray")?;
        Ok(from_yaml_list(crate::sprig::string_arg(&a[0])?))
    });
    m.insert("toJson", |_, a| {
        one(a, "toJson")?;
        Ok(Value::String(
            json::encode(&a[0], &COMPACT).unwrap_or_default(),
        ))
    });
    m.insert("mustToJson", |_, a| {
        one(a, "mustToJson")?;
        json::encode(&a[0], &COMPACT).map(Value::String)
    });
    m.insert("fromJson", |_, a| {
        one(a, "fromJson")?;
        Ok(from_json_map(crate::sprig::string_arg(&a[0])?))
    });
    m.insert("fromJsonArray", |_, a| {
        one(a, "fromJsonArray")?;
        Ok(from_json_list(crate::sprig::string_arg(&a[0])?))
    });
    m.insert("toToml", |_, a| {
        one(a, "toToml")?;
        Ok(Value::String(match toml::encode(&a[0]) {
            Ok(s) => s,
            Err(e) => e.0,
        }))
    });
    m.insert("fromToml", |_, a| {
        one(a, "fromToml")?;
        Ok(toml::decode(crate::sprig::string_arg(&a[0])?))
    });
    m.insert("include", include);
    m.insert("tpl", tpl);
    m.insert("required", required);
    m.insert("lookup", |_, a| {
        crate::sprig::check_arity(a, 4, "lookup")?;
        for v in a {
            crate::sprig::string_arg(v)?;
        }
        Ok(Value::new_map())
    });
    m
}

const COMPACT: Style<'static> = Style {
    indent: "",
    escape_html: true,
};

fn one(a: &[Value], name: &str) -> Result<(), FuncError> {
    crate::sprig::check_arity(a, 1, name)
}

/// `toYaml`: `sigs.k8s.io/yaml.Marshal` with the final newline trimmed, as Helm does.
pub fn to_yaml(v: &Value, flavor: yaml_out::Flavor) -> Result<String, FuncError> {
    if flavor.via_json {
        // Marshalling goes through JSON: what JSON cannot hold (NaN, ±Inf) fails.
        json::encode(v, &COMPACT)?;
    }
    let text = yaml_out::to_yaml(v, flavor)?;
    Ok(text.strip_suffix('\n').unwrap_or(&text).to_string())
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "array",
        Value::Map(_) => "object",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    }
}

fn error_map(msg: String) -> Value {
    Value::map_from([("Error".to_string(), Value::String(msg))])
}

pub fn from_yaml_map(s: &str) -> Value {
    match yaml_in::parse(s) {
        Ok(Value::Nil) => Value::new_map(),
        Ok(v @ Value::Map(_)) => v,
        Ok(other) => error_map(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(e) => error_map(e),
    }
}

pub fn from_yaml_list(s: &str) -> Value {
    match yaml_in::parse(s) {
        Ok(Value::Nil) => Value::list_from([]),
        Ok(v @ Value::List(_)) => v,
        Ok(other) => Value::list_from([Value::String(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(e) => Value::list_from([Value::String(e)]),
    }
}

pub fn from_json_map(s: &str) -> Value {
    match json::decode(s) {
        Ok(Value::Nil) => Value::new_map(),
        Ok(v @ Value::Map(_)) => v,
        Ok(other) => error_map(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        )),
        Err(e) => error_map(e.0),
    }
}

pub fn from_json_list(s: &str) -> Value {
    match json::decode(s) {
        Ok(Value::Nil) => Value::list_from([]),
        Ok(v @ Value::List(_)) => v,
        Ok(other) => Value::list_from([Value::String(format!(
            "json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(e) => Value::list_from([Value::String(e.0)]),
    }
}

fn include(rt: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    crate::sprig::check_arity(a, 2, "include")?;
    let name = crate::sprig::string_arg(&a[0])?;
    rt.include(name, &a[1]).map(Value::String)
}

fn tpl(rt: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    crate::sprig::check_arity(a, 2, "tpl")?;
    let text = crate::sprig::string_arg(&a[0])?;
    rt.tpl(text, &a[1]).map(Value::String)
}

/// `required MSG VALUE`: fails with MSG when VALUE is nil or the empty string (only those:
/// `false`, `0` and empty lists pass, as in Helm).
fn required(_: &mut dyn Runtime, a: &[Value]) -> Result<Value, FuncError> {
    crate::sprig::check_arity(a, 2, "required")?;
    let msg = crate::sprig::string_arg(&a[0])?;
    match &a[1] {
        Value::Nil => Err(FuncError(msg.to_string())),
        Value::String(s) if s.is_empty() => Err(FuncError(msg.to_string())),
        v => Ok(v.clone()),
    }
}
