//! Profile variables (`variables:`): typed values a cluster fills in when its desired state is
//! rendered, used in values and manifests as Palette's `{{ .spectro.var.NAME }}` macro.
//!
//! Each variable is checked as it is read, so a bad one is reported at its own `file:line:col`
//! like any other YAML error: the name's syntax, a default of the declared type that matches
//! the pattern, and a pattern that compiles. Names must be unique across the profile, which
//! only the whole list can tell.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::format::profile_definition::{Variable, VariableType};

/// One declared variable, checked on the way in. Serialises exactly as the bundle's
/// [`Variable`], which is what the profile definition carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Variable", into = "Variable")]
pub struct ProfileVariable(pub Variable);

impl TryFrom<Variable> for ProfileVariable {
    type Error = String;

    fn try_from(v: Variable) -> Result<Self, String> {
        check_variable(&v).map_err(|m| format!("variable {:?}: {m}", v.name))?;
        Ok(Self(v))
    }
}

impl From<ProfileVariable> for Variable {
    fn from(v: ProfileVariable) -> Variable {
        v.0
    }
}

/// The list, with duplicate names refused where the list is read.
pub(super) fn deserialize_variables<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<ProfileVariable>, D::Error> {
    let vars = Vec::<ProfileVariable>::deserialize(d)?;
    let mut seen = std::collections::BTreeSet::new();
    for v in &vars {
        if !seen.insert(v.0.name.as_str()) {
            return Err(serde::de::Error::custom(format!(
                "variable {:?} is declared twice",
                v.0.name
            )));
        }
    }
    Ok(vars)
}

/// `[A-Za-z_][A-Za-z0-9_]*`: what the `{{ .spectro.var.NAME }}` macro can name.
pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The pattern as a value must match it: in full.
pub fn full_match(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| format!("pattern {pattern:?} is not a valid regular expression: {e}"))
}

fn check_variable(v: &Variable) -> Result<(), String> {
    if !is_variable_name(&v.name) {
        return Err("a variable name is a letter or `_`, then letters, digits or `_`".into());
    }
    let pattern = match &v.pattern {
        Some(_) if v.var_type != VariableType::String => {
            return Err("a pattern applies only to string variables".into())
        }
        Some(p) => Some(full_match(p)?),
        None => None,
    };
    let Some(default) = &v.default else {
        return Ok(());
    };
    let typed = matches!(
        (v.var_type, default),
        (VariableType::String, Value::String(_))
            | (VariableType::Number, Value::Number(_))
            | (VariableType::Bool, Value::Bool(_))
    );
    if !typed {
        return Err(format!(
            "default {default} is not a {}",
            type_name(v.var_type)
        ));
    }
    if let (Some(re), Value::String(s)) = (&pattern, default) {
        if !re.is_match(s) {
            return Err(format!("default {s:?} does not match the pattern"));
        }
    }
    Ok(())
}

pub fn type_name(t: VariableType) -> &'static str {
    match t {
        VariableType::String => "string",
        VariableType::Number => "number",
        VariableType::Bool => "bool",
    }
}
