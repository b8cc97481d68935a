//! Workflow parameters images are written as: Tekton's `$(params.NAME)` (also
//! `$(params["NAME"])` and `$(inputs.params.NAME)`) and Argo Workflows' `{{inputs.parameters.
//! NAME}}` and `{{workflow.parameters.NAME}}`. A parameter stands for its value only when the
//! object gives it exactly one (a run's `value`, else a declaration's `default`): two different
//! defaults of one name in different tasks are not guessed between.

use std::collections::BTreeMap;

use serde_json::Value;

/// Each parameter's one value, or `None` when the object gives it several.
#[derive(Debug, Default)]
pub(crate) struct Parameters(BTreeMap<String, Option<String>>);

impl Parameters {
    /// The parameters of a Tekton or Argo Workflows object; none for other groups.
    pub fn of(group: &str, object: &Value) -> Parameters {
        let (list_key, style) = match group {
            "tekton.dev" => ("params", Style::Tekton),
            "argoproj.io" => ("parameters", Style::Argo),
            _ => return Parameters::default(),
        };
        let mut values: Vec<(String, String)> = Vec::new();
        let mut defaults: Vec<(String, String)> = Vec::new();
        collect(object, list_key, &mut values, &mut defaults);
        let mut parameters = Parameters::default();
        // A run's values settle what declarations default.
        let mut given: BTreeMap<String, Option<String>> = BTreeMap::new();
        for (name, value) in defaults {
            add(&mut given, name, value);
        }
        let mut run: BTreeMap<String, Option<String>> = BTreeMap::new();
        for (name, value) in values {
            add(&mut run, name, value);
        }
        given.extend(run);
        for (name, value) in given {
            for reference in style.references(&name) {
                parameters.0.insert(reference, value.clone());
            }
        }
        parameters
    }

    /// `raw` with every parameter reference replaced, if it has any and all of them are known.
    pub fn substitute(&self, raw: &str) -> Option<String> {
        if !raw.contains("$(") && !raw.contains("{{") {
            return None;
        }
        let mut out = raw.to_owned();
        for (reference, value) in &self.0 {
            if out.contains(reference.as_str()) {
                out = out.replace(reference.as_str(), value.as_deref()?);
            }
        }
        let resolved = !out.contains("$(") && !out.contains("{{");
        resolved.then_some(out)
    }
}

fn add(map: &mut BTreeMap<String, Option<String>>, name: String, value: String) {
    match map.get(&name) {
        Some(Some(seen)) if *seen != value => {
            map.insert(name, None);
        }
        Some(_) => {}
        None => {
            map.insert(name, Some(value));
        }
    }
}

/// Every `<list_key>: [{name, value | default}]` entry in `node`, values and defaults apart.
fn collect(
    node: &Value,
    list_key: &str,
    values: &mut Vec<(String, String)>,
    defaults: &mut Vec<(String, String)>,
) {
    match node {
        Value::Object(map) => {
            for (key, child) in map {
                if key == list_key {
                    for entry in child.as_array().into_iter().flatten() {
                        let text = |k| entry.get(k).and_then(Value::as_str).map(str::to_owned);
                        let Some(name) = text("name") else { continue };
                        if let Some(value) = text("value") {
                            values.push((name.clone(), value));
                        }
                        if let Some(default) = text("default") {
                            defaults.push((name, default));
                        }
                    }
                }
                collect(child, list_key, values, defaults);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, list_key, values, defaults);
            }
        }
        _ => {}
    }
}

#[derive(Clone, Copy)]
enum Style {
    Tekton,
    Argo,
}

impl Style {
    /// How a parameter is written where it is used.
    fn references(self, name: &str) -> Vec<String> {
        match self {
            Style::Tekton => vec![
                format!("$(params.{name})"),
                format!("$(params[\"{name}\"])"),
                format!("$(params['{name}'])"),
                format!("$(inputs.params.{name})"),
            ],
            Style::Argo => ["inputs", "workflow"]
                .iter()
                .flat_map(|scope| {
                    [
                        format!("{{{{{scope}.parameters.{name}}}}}"),
                        format!("{{{{ {scope}.parameters.{name} }}}}"),
                    ]
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn tekton_task() -> Value {
        json!({"apiVersion": "tekton.dev/v1", "kind": "Task", "spec": {
            "params": [
                {"name": "BUILDER_IMAGE", "default": "gcr.io/kaniko-project/executor:v1.23.2"},
                {"name": "TAG", "default": "1.0"},
                {"name": "NO_DEFAULT"}
            ],
            "steps": [{"name": "build", "image": "$(params.BUILDER_IMAGE)"}]
        }})
    }

    #[rstest]
    #[case::dotted(
        "$(params.BUILDER_IMAGE)",
        Some("gcr.io/kaniko-project/executor:v1.23.2")
    )]
    #[case::bracketed(
        "$(params[\"BUILDER_IMAGE\"])",
        Some("gcr.io/kaniko-project/executor:v1.23.2")
    )]
    #[case::old_inputs(
        "$(inputs.params.BUILDER_IMAGE)",
        Some("gcr.io/kaniko-project/executor:v1.23.2")
    )]
    #[case::composed("ghcr.io/acme/app:$(params.TAG)", Some("ghcr.io/acme/app:1.0"))]
    #[case::no_default("$(params.NO_DEFAULT)", None)]
    #[case::unknown("$(params.OTHER)", None)]
    #[case::plain("alpine:3.20", None)]
    fn tekton_parameters(#[case] raw: &str, #[case] expected: Option<&str>) {
        let parameters = Parameters::of("tekton.dev", &tekton_task());
        assert_eq!(parameters.substitute(raw).as_deref(), expected);
    }

    #[test]
    fn a_runs_value_beats_the_default_and_conflicting_defaults_resolve_nothing() {
        let run = json!({"spec": {
            "params": [{"name": "IMAGE", "value": "quay.io/acme/run:2"}],
            "taskSpec": {"params": [{"name": "IMAGE", "default": "quay.io/acme/default:1"}]}
        }});
        let parameters = Parameters::of("tekton.dev", &run);
        assert_eq!(
            parameters.substitute("$(params.IMAGE)").as_deref(),
            Some("quay.io/acme/run:2")
        );
        let pipeline = json!({"spec": {"tasks": [
            {"taskSpec": {"params": [{"name": "IMAGE", "default": "a/one:1"}]}},
            {"taskSpec": {"params": [{"name": "IMAGE", "default": "a/two:1"}]}}
        ]}});
        let parameters = Parameters::of("tekton.dev", &pipeline);
        assert_eq!(parameters.substitute("$(params.IMAGE)"), None);
    }

    #[test]
    fn argo_parameters() {
        let workflow = json!({"spec": {
            "arguments": {"parameters": [{"name": "image", "value": "alpine:3.20"}]},
            "templates": [{"inputs": {"parameters": [{"name": "tool", "default": "python:3.12"}]}}]
        }});
        let parameters = Parameters::of("argoproj.io", &workflow);
        assert_eq!(
            parameters
                .substitute("{{workflow.parameters.image}}")
                .as_deref(),
            Some("alpine:3.20")
        );
        assert_eq!(
            parameters
                .substitute("{{ inputs.parameters.tool }}")
                .as_deref(),
            Some("python:3.12")
        );
        assert_eq!(parameters.substitute("{{inputs.parameters.other}}"), None);
        assert_eq!(
            Parameters::of("example.com", &workflow).substitute("{{workflow.parameters.image}}"),
            None
        );
    }
}
