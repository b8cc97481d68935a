//! sprig's defaults and flow helpers (`default`, `empty`, `coalesce`, `all`, `any`,
//! `ternary`, `deepCopy`) and its JSON functions.

use super::args::{self, at_least, exactly, FnResult};
use super::json::{self, Style};
use crate::{FuncMap, Runtime, Value};

pub fn register(m: &mut FuncMap) {
    m.insert("default", default);
    m.insert("empty", |_, a| {
        exactly(a, 1, "empty")?;
        Ok(Value::Bool(args::is_empty(&a[0])))
    });
    m.insert("coalesce", |_, a| {
        Ok(a.iter()
            .find(|v| !args::is_empty(v))
            .cloned()
            .unwrap_or_default())
    });
    m.insert("all", |_, a| {
        Ok(Value::Bool(a.iter().all(|v| !args::is_empty(v))))
    });
    m.insert("any", |_, a| {
        Ok(Value::Bool(a.iter().any(|v| !args::is_empty(v))))
    });
    m.insert("ternary", ternary);
    m.insert("deepCopy", deep_copy);
    m.insert("mustDeepCopy", deep_copy);
    m.insert("fromJson", |_, a| {
        exactly(a, 1, "fromJson")?;
        Ok(json::decode(args::string(&a[0])?).unwrap_or_default())
    });
    m.insert("mustFromJson", |_, a| {
        exactly(a, 1, "mustFromJson")?;
        json::decode(args::string(&a[0])?)
    });
    m.insert("toJson", |_, a| {
        exactly(a, 1, "toJson")?;
        to_json(a, "toJson", COMPACT).or_else(|_| Ok(Value::String(String::new())))
    });
    m.insert("mustToJson", |_, a| to_json(a, "mustToJson", COMPACT));
    m.insert("toPrettyJson", |_, a| {
        exactly(a, 1, "toPrettyJson")?;
        to_json(a, "toPrettyJson", PRETTY).or_else(|_| Ok(Value::String(String::new())))
    });
    m.insert("mustToPrettyJson", |_, a| {
        to_json(a, "mustToPrettyJson", PRETTY)
    });
    m.insert("toRawJson", |_, a| to_json(a, "toRawJson", RAW));
    m.insert("mustToRawJson", |_, a| to_json(a, "mustToRawJson", RAW));
}

const COMPACT: Style<'static> = Style {
    indent: "",
    escape_html: true,
};
const PRETTY: Style<'static> = Style {
    indent: "  ",
    escape_html: true,
};
const RAW: Style<'static> = Style {
    indent: "",
    escape_html: false,
};

fn to_json(a: &[Value], name: &str, style: Style) -> FnResult {
    exactly(a, 1, name)?;
    json::encode(&a[0], &style).map(Value::String)
}

/// `default DEFAULT GIVEN`: GIVEN unless it is missing or empty.
fn default(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    at_least(a, 1, "default")?;
    match a.get(1) {
        Some(given) if !args::is_empty(given) => Ok(given.clone()),
        _ => Ok(a[0].clone()),
    }
}

fn ternary(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 3, "ternary")?;
    Ok(if args::boolean(&a[2])? {
        a[0].clone()
    } else {
        a[1].clone()
    })
}

fn deep_copy(_: &mut dyn Runtime, a: &[Value]) -> FnResult {
    exactly(a, 1, "deepCopy")?;
    a[0].deep_copy()
}
