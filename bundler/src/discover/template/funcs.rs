//! The template functions conditions and image helpers use, evaluated on known values.

use serde_json::Value;

use crate::discover::options::KubeVersion;

use super::expr::Val;
use crate::discover::values::scalar_string;

pub(super) fn call(name: &str, args: &[Val]) -> Val {
    let known: Option<Vec<&Value>> = args
        .iter()
        .map(|a| match a {
            Val::Known(v) => Some(v),
            Val::Unknown => None,
        })
        .collect();
    let bool_val = |b: bool| Val::Known(Value::Bool(b));
    match name {
        "not" => match args {
            [a] => a.truth().map_or(Val::Unknown, |t| bool_val(!t)),
            _ => Val::Unknown,
        },
        "empty" => match args {
            [a] => a.truth().map_or(Val::Unknown, |t| bool_val(!t)),
            _ => Val::Unknown,
        },
        "and" => {
            let mut unknown = false;
            for a in args {
                match a.truth() {
                    Some(false) => return a.clone(),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            if unknown {
                Val::Unknown
            } else {
                args.last().cloned().unwrap_or(Val::Unknown)
            }
        }
        "or" | "coalesce" => {
            let mut unknown = false;
            for a in args {
                match a.truth() {
                    Some(true) => return if unknown { Val::Unknown } else { a.clone() },
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown || args.is_empty() {
                Val::Unknown
            } else if name == "or" {
                args.last().cloned().unwrap_or(Val::Unknown)
            } else {
                Val::Known(Value::Null)
            }
        }
        "default" => match args {
            [fallback, given] => match given.truth() {
                Some(true) => given.clone(),
                Some(false) => fallback.clone(),
                None => Val::Unknown,
            },
            _ => Val::Unknown,
        },
        "eq" | "ne" => match known.as_deref() {
            Some([first, rest @ ..]) if !rest.is_empty() => {
                let equal = rest.iter().any(|r| loose_eq(first, r));
                bool_val(if name == "eq" { equal } else { !equal })
            }
            _ => Val::Unknown,
        },
        "hasKey" => match known.as_deref() {
            Some([Value::Object(map), Value::String(key)]) => bool_val(map.contains_key(key)),
            _ => Val::Unknown,
        },
        "quote" | "toString" | "required" | "tpl" | "toYaml" => match known.as_deref() {
            Some([.., Value::String(s)]) if name != "tpl" || !s.contains("{{") => {
                Val::Known(Value::String(s.clone()))
            }
            Some([v]) if name != "tpl" => Val::Known((*v).clone()),
            _ => Val::Unknown,
        },
        "printf" => match known.as_deref() {
            Some([Value::String(format), rest @ ..]) => {
                printf(format, rest).map_or(Val::Unknown, |s| Val::Known(Value::String(s)))
            }
            _ => Val::Unknown,
        },
        "print" => match known.as_deref() {
            Some(parts) => Val::Known(Value::String(
                parts.iter().filter_map(|v| scalar_string(v)).collect(),
            )),
            None => Val::Unknown,
        },
        "trimPrefix" | "trimSuffix" => match known.as_deref() {
            Some([Value::String(affix), Value::String(s)]) => {
                let trimmed = if name == "trimPrefix" {
                    s.strip_prefix(affix.as_str())
                } else {
                    s.strip_suffix(affix.as_str())
                };
                Val::Known(Value::String(trimmed.unwrap_or(s).to_owned()))
            }
            _ => Val::Unknown,
        },
        "trim" | "lower" | "upper" => match known.as_deref() {
            Some([Value::String(s)]) => Val::Known(Value::String(match name {
                "trim" => s.trim().to_owned(),
                "lower" => s.to_lowercase(),
                _ => s.to_uppercase(),
            })),
            _ => Val::Unknown,
        },
        "regexFind" => match known.as_deref() {
            Some([Value::String(pattern), Value::String(s)]) => super::pattern::find(pattern, s)
                .map_or(Val::Unknown, |m| Val::Known(Value::String(m.to_owned()))),
            _ => Val::Unknown,
        },
        _ => Val::Unknown,
    }
}

/// `.Capabilities.KubeVersion.<field>` for the version discovery was asked to assume.
pub(super) fn kube_version(version: &KubeVersion, field: &str) -> Option<String> {
    match field {
        "Major" => Some(version.major()),
        "Minor" => Some(version.minor()),
        "Version" | "GitVersion" => Some(version.git_version()),
        _ => None,
    }
}

/// Go's `fmt` verbs as Helm charts use them for strings: `%s`, `%v`, `%d`, `%%`.
fn printf(format: &str, args: &[&Value]) -> Option<String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'v' | 'd' => out.push_str(&scalar_string(args.next()?).unwrap_or_default()),
            _ => return None,
        }
    }
    Some(out)
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}
