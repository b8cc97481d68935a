//! Profile variables: typed values a cluster (or its groups) gives for the `{{ .spectro.var.NAME }}`
//! macros of a profile's values and manifests.
//!
//! A variable is a string, number or bool, with an optional default and, for strings, a pattern
//! the whole value must match. A required variable with neither value nor default blocks the
//! cluster's rendering. A secret variable's value is never shown back (`"(secret)"`) and the
//! audit log records only its sha256.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use ferry_bundler::format::profile_definition::{ProfileDefinition, Variable, VariableType};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// What API answers show instead of a secret variable's value.
pub const SECRET_SHOWN: &str = "(secret)";

/// Longest variable name accepted, and the compiled size a pattern may take.
const MAX_NAME: usize = 128;
const MAX_PATTERN_SIZE: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum VariableError {
    #[error(
        "{target}: profile {profile} needs variable {variable}, which has no value and no default"
    )]
    Required {
        target: String,
        profile: String,
        variable: String,
    },
    #[error(
        "{target}: profile {profile}: variable {variable} must be a {expected}, not a {given}"
    )]
    WrongType {
        target: String,
        profile: String,
        variable: String,
        expected: &'static str,
        given: &'static str,
    },
    #[error("{target}: profile {profile}: the value of variable {variable} does not match its pattern {pattern:?}")]
    Pattern {
        target: String,
        profile: String,
        variable: String,
        pattern: String,
    },
    #[error("{target}: profile {profile} declares no variable {variable}")]
    Unknown {
        target: String,
        profile: String,
        variable: String,
    },
    #[error("profile {profile}: variable {variable}: pattern {pattern:?} is not a regular expression: {reason}")]
    BadPattern {
        profile: String,
        variable: String,
        pattern: String,
        reason: String,
    },
    #[error("{target}: no profile {where_} declares a variable {variable}")]
    Undeclared {
        target: String,
        where_: &'static str,
        variable: String,
    },
    #[error("{0:?} is not a variable name: letters, digits and _ only, starting with a letter or _, at most 128")]
    BadName(String),
}

impl VariableError {
    pub fn status(&self) -> StatusCode {
        match self {
            VariableError::BadPattern { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            VariableError::BadName(_) => StatusCode::BAD_REQUEST,
            VariableError::Undeclared { .. } => StatusCode::NOT_FOUND,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// Compiles a variable's pattern so that it must match the whole value.
pub fn compile_pattern(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(MAX_PATTERN_SIZE)
        .build()
}

/// A name the macro `{{ .spectro.var.NAME }}` can use.
pub fn check_name(name: &str) -> Result<(), VariableError> {
    let mut chars = name.chars();
    let ok = name.len() <= MAX_NAME
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(VariableError::BadName(name.to_owned()))
    }
}

/// The typed value of each of `def`'s variables for `cluster`: the given value, else the
/// default; an optional variable with neither is left out. Values must have the variable's
/// type and match its pattern; a value for a variable `def` does not declare is refused.
pub fn resolve(
    cluster: &str,
    def: &ProfileDefinition,
    values: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Value>, VariableError> {
    let profile = format!("{}@{}", def.name, def.version);
    let target = format!("cluster {cluster}");
    if let Some(unknown) = values
        .keys()
        .find(|k| !def.variables.iter().any(|v| &v.name == *k))
    {
        return Err(VariableError::Unknown {
            target,
            profile,
            variable: unknown.clone(),
        });
    }
    let mut out = BTreeMap::new();
    for var in &def.variables {
        let value = match values.get(&var.name).or(var.default.as_ref()) {
            Some(v) => v,
            None if var.required => {
                return Err(VariableError::Required {
                    target,
                    profile,
                    variable: var.name.clone(),
                })
            }
            None => continue,
        };
        check_value(&target, &profile, var, value)?;
        out.insert(var.name.clone(), value.clone());
    }
    Ok(out)
}

/// Checks `value`'s type and pattern for `var`; `target` names whose value it is in errors
/// (`cluster edge-07`, `group north`).
pub fn check_value(
    target: &str,
    profile: &str,
    var: &Variable,
    value: &Value,
) -> Result<(), VariableError> {
    let given = json_type(value);
    let expected = type_name(var.var_type);
    if given != expected {
        return Err(VariableError::WrongType {
            target: target.to_owned(),
            profile: profile.to_owned(),
            variable: var.name.clone(),
            expected,
            given,
        });
    }
    if let (Some(pattern), Value::String(s)) = (&var.pattern, value) {
        let re = compile_pattern(pattern).map_err(|e| VariableError::BadPattern {
            profile: profile.to_owned(),
            variable: var.name.clone(),
            pattern: pattern.clone(),
            reason: e.to_string(),
        })?;
        if !re.is_match(s) {
            return Err(VariableError::Pattern {
                target: target.to_owned(),
                profile: profile.to_owned(),
                variable: var.name.clone(),
                pattern: pattern.clone(),
            });
        }
    }
    Ok(())
}

/// `value` in `var`'s type when it converts without loss: `"8080"` for a number, `"true"` for a
/// bool, `8080` or `true` for a string (the CLI reads `--set` values as YAML scalars, which
/// cannot know the declared type). Anything else is kept for [`check_value`] to refuse.
pub fn coerce(var: &Variable, value: Value) -> Value {
    match (var.var_type, value) {
        (VariableType::String, Value::Number(n)) => Value::String(n.to_string()),
        (VariableType::String, Value::Bool(b)) => Value::String(b.to_string()),
        (VariableType::Number, Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(n @ Value::Number(_)) => n,
            _ => Value::String(s),
        },
        (VariableType::Bool, Value::String(s)) if s == "true" || s == "false" => {
            Value::Bool(s == "true")
        }
        (_, v) => v,
    }
}

fn type_name(t: VariableType) -> &'static str {
    match t {
        VariableType::String => "string",
        VariableType::Number => "number",
        VariableType::Bool => "bool",
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null => "null",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

/// What an answer shows for a value: the value, or `"(secret)"`.
pub fn shown(secret: bool, value: &Value) -> Value {
    if secret {
        Value::String(SECRET_SHOWN.into())
    } else {
        value.clone()
    }
}

/// What the audit log records of a secret value: `sha256:<hex>` of its JSON.
pub fn value_hash(value: &Value) -> String {
    let json = serde_json::to_vec(value).expect("value serialises");
    format!("sha256:{}", hex::encode(Sha256::digest(&json)))
}
