//! Palette's profile variable macro, `{{ .spectro.var.NAME }}` (spaces inside the braces
//! optional), substituted in values and manifests.
//!
//! In manifests and in strings that hold more than the macro, a variable becomes its text (a
//! string as it is, a number or bool as JSON writes it), as Palette's text substitution does.
//! A values string that is exactly one macro takes the variable's typed value, so that
//! `replicaCount: "{{ .spectro.var.replicas }}"` gives Helm the number 3, not the string "3".

use std::collections::BTreeMap;

use serde_json::Value;

const PREFIX: &str = ".spectro.var.";

/// A macro naming a variable the profile's resolved variables do not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariable(pub String);

/// The macro starting at `text[start..]` (which starts with `{{`): its variable name and the
/// length of the whole macro, or `None` when it is some other `{{` (left alone).
fn macro_at(text: &str, start: usize) -> Option<(&str, usize)> {
    let rest = &text[start + 2..];
    let inner = rest.trim_start_matches(' ');
    let after_prefix = inner.strip_prefix(PREFIX)?;
    let name_len = after_prefix
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        .count();
    if name_len == 0 {
        return None;
    }
    let name = &after_prefix[..name_len];
    let tail = after_prefix[name_len..].trim_start_matches(' ');
    tail.strip_prefix("}}")?;
    let consumed = text.len() - start - (tail.len() - 2);
    Some((name, consumed))
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `text` with every variable macro replaced by the variable's text.
pub fn substitute_text(
    text: &str,
    variables: &BTreeMap<String, Value>,
) -> Result<String, UnknownVariable> {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find("{{") {
        let start = search + found;
        match macro_at(text, start) {
            Some((name, len)) => {
                let value = variables
                    .get(name)
                    .ok_or_else(|| UnknownVariable(name.to_owned()))?;
                out.push_str(&text[copied..start]);
                out.push_str(&text_of(value));
                copied = start + len;
                search = copied;
            }
            None => search = start + 2,
        }
    }
    out.push_str(&text[copied..]);
    Ok(out)
}

/// Substitutes in every string of a values tree (keys are left alone).
pub fn substitute_values(
    value: &mut Value,
    variables: &BTreeMap<String, Value>,
) -> Result<(), UnknownVariable> {
    match value {
        Value::String(s) => {
            if s.starts_with("{{") {
                if let Some((name, _)) = macro_at(s, 0).filter(|(_, len)| *len == s.len()) {
                    *value = variables
                        .get(name)
                        .cloned()
                        .ok_or_else(|| UnknownVariable(name.to_owned()))?;
                    return Ok(());
                }
            }
            *s = substitute_text(s, variables)?;
        }
        Value::Array(items) => {
            for item in items {
                substitute_values(item, variables)?;
            }
        }
        Value::Object(map) => {
            for (_, item) in map.iter_mut() {
                substitute_values(item, variables)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> BTreeMap<String, Value> {
        [
            ("site".to_owned(), json!("north")),
            ("replicas".to_owned(), json!(3)),
        ]
        .into()
    }

    #[test]
    fn macros_with_and_without_spaces_become_text() {
        let t = "a: {{ .spectro.var.site }}-{{.spectro.var.replicas}} {{ other }} {{  .spectro.var.site  }}";
        assert_eq!(
            substitute_text(t, &vars()).unwrap(),
            "a: north-3 {{ other }} north"
        );
    }

    #[test]
    fn unknown_variable_is_named() {
        let e = substitute_text("x: {{ .spectro.var.nope }}", &vars()).unwrap_err();
        assert_eq!(e, UnknownVariable("nope".into()));
    }

    #[test]
    fn a_whole_macro_value_keeps_its_type() {
        let mut v =
            json!({"n": "{{ .spectro.var.replicas }}", "s": ["at {{ .spectro.var.site }}"]});
        substitute_values(&mut v, &vars()).unwrap();
        assert_eq!(v, json!({"n": 3, "s": ["at north"]}));
    }
}
