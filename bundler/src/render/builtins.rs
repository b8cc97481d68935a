//! The objects Helm gives every template besides `.Values`: `.Release` (a map), `.Chart`
//! (Helm's `chart.Metadata` struct with `IsRoot`), `.Capabilities` (a struct with
//! `KubeVersion`, `APIVersions` and `HelmVersion`). Structs are [`GoStruct`]s, so a misspelt
//! field is an error as in Go, not an empty value.

use std::rc::Rc;

use ferry_gotmpl::{FuncError, Object, Value};
use serde_json::Value as Json;

use super::capabilities::{api_versions, HELM_VERSION};
use super::chart_load::{scalar_text, Dependency, ImportValue, Metadata};
use super::RenderOptions;

/// A Go struct value: named fields in declaration order, plus optional string methods.
#[derive(Debug, Clone)]
pub struct GoStruct {
    pub type_name: &'static str,
    pub fields: Vec<(&'static str, Value)>,
    /// What `%v` prints; Go's `{a b}` form when `None`.
    pub display: Option<String>,
}

impl GoStruct {
    pub fn value(self) -> Value {
        Value::Object(Rc::new(self))
    }
}

impl Object for GoStruct {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn field(&self, name: &str) -> Option<Value> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }

    fn method(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, FuncError>> {
        None
    }

    fn display(&self) -> String {
        if let Some(shown) = &self.display {
            return shown.clone();
        }
        let parts: Vec<String> = self.fields.iter().map(|(_, v)| v.to_string()).collect();
        format!("{{{}}}", parts.join(" "))
    }
}

/// `.Release` as `helm template` fills it (a fresh install, revision 1).
pub fn release(options: &RenderOptions) -> Value {
    Value::map_from([
        ("Name".into(), Value::String(options.release_name.clone())),
        ("Namespace".into(), Value::String(options.namespace.clone())),
        ("IsUpgrade".into(), Value::Bool(false)),
        ("IsInstall".into(), Value::Bool(true)),
        ("Revision".into(), Value::Int(1)),
        ("Service".into(), Value::String("Helm".into())),
    ])
}

/// `.Chart`: `chart.Metadata`'s fields under their Go names, and `IsRoot`.
pub fn chart(meta: &Metadata, is_root: bool) -> Value {
    let raw = &meta.raw;
    let text = |key: &str| Value::String(json_text(raw.get(key)));
    let strings = |key: &str| match raw.get(key) {
        Some(Json::Array(items)) => {
            Value::list_from(items.iter().map(|i| Value::String(json_text(Some(i)))))
        }
        _ => Value::list_from([]),
    };
    let annotations = match raw.get("annotations") {
        Some(Json::Object(map)) => Value::map_from(
            map.iter()
                .map(|(k, v)| (k.clone(), Value::String(json_text(Some(v))))),
        ),
        _ => Value::new_map(),
    };
    let maintainers = match raw.get("maintainers") {
        Some(Json::Array(items)) => Value::list_from(items.iter().map(|m| {
            GoStruct {
                type_name: "*chart.Maintainer",
                fields: vec![
                    ("Name", Value::String(json_text(m.get("name")))),
                    ("Email", Value::String(json_text(m.get("email")))),
                    ("URL", Value::String(json_text(m.get("url")))),
                ],
                display: None,
            }
            .value()
        })),
        _ => Value::list_from([]),
    };
    let deprecated = matches!(raw.get("deprecated"), Some(Json::Bool(true)));
    GoStruct {
        type_name: "chart.Metadata",
        fields: vec![
            ("Name", Value::String(meta.name.clone())),
            ("Home", text("home")),
            ("Sources", strings("sources")),
            ("Version", Value::String(meta.version.clone())),
            ("Description", text("description")),
            ("Keywords", strings("keywords")),
            ("Maintainers", maintainers),
            ("Icon", text("icon")),
            ("APIVersion", Value::String(meta.api_version.clone())),
            ("Condition", text("condition")),
            ("Tags", text("tags")),
            ("AppVersion", text("appVersion")),
            ("Deprecated", Value::Bool(deprecated)),
            ("Annotations", annotations),
            ("KubeVersion", text("kubeVersion")),
            (
                "Dependencies",
                Value::list_from(meta.dependencies.iter().map(dependency)),
            ),
            ("Type", Value::String(meta.chart_type.clone())),
            ("IsRoot", Value::Bool(is_root)),
        ],
        display: None,
    }
    .value()
}

fn dependency(dep: &Dependency) -> Value {
    let imports = dep.import_values.iter().map(|iv| match iv {
        ImportValue::Map { child, parent } => Value::map_from([
            ("child".into(), Value::String(child.clone())),
            ("parent".into(), Value::String(parent.clone())),
        ]),
        ImportValue::Exports(name) => Value::String(name.clone()),
    });
    GoStruct {
        type_name: "*chart.Dependency",
        fields: vec![
            ("Name", Value::String(dep.name.clone())),
            ("Version", Value::String(dep.version.clone())),
            ("Repository", Value::String(dep.repository.clone())),
            ("Condition", Value::String(dep.condition.clone())),
            (
                "Tags",
                Value::list_from(dep.tags.iter().map(|t| Value::String(t.clone()))),
            ),
            ("Enabled", Value::Bool(dep.enabled)),
            ("ImportValues", Value::list_from(imports)),
            ("Alias", Value::String(dep.alias.clone())),
        ],
        display: None,
    }
    .value()
}

/// A scalar as the string Go's YAML decoder gives a `string` field; empty for anything else.
fn json_text(value: Option<&Json>) -> String {
    value.and_then(scalar_text).unwrap_or_default()
}

/// `.Capabilities` for `helm template`: the chosen Kubernetes version, Helm's built-in API
/// versions plus the caller's, and the Helm version ferry mirrors.
pub fn capabilities(options: &RenderOptions) -> Value {
    let kube = &options.kube_version;
    let kube_version = GoStruct {
        type_name: "chartutil.KubeVersion",
        fields: vec![
            ("Version", Value::String(kube.git_version())),
            ("Major", Value::String(kube.major())),
            ("Minor", Value::String(kube.minor())),
            // A method in Helm; reads the same as a field in a template.
            ("GitVersion", Value::String(kube.git_version())),
        ],
        display: Some(kube.git_version()),
    }
    .value();
    let mut versions = api_versions();
    versions.extend(options.api_versions.iter().cloned());
    let helm_version = GoStruct {
        type_name: "version.BuildInfo",
        fields: vec![
            ("Version", Value::String(HELM_VERSION[0].into())),
            ("GitCommit", Value::String(HELM_VERSION[1].into())),
            ("GitTreeState", Value::String(HELM_VERSION[2].into())),
            ("GoVersion", Value::String(HELM_VERSION[3].into())),
        ],
        display: None,
    }
    .value();
    GoStruct {
        type_name: "chartutil.Capabilities",
        fields: vec![
            ("KubeVersion", kube_version),
            ("APIVersions", VersionSet(versions).value()),
            ("HelmVersion", helm_version),
        ],
        display: None,
    }
    .value()
}

/// `chartutil.VersionSet`: a list of `group/version` (and `group/version/kind`) strings.
#[derive(Debug, Clone)]
pub struct VersionSet(pub Vec<String>);

impl VersionSet {
    fn value(self) -> Value {
        Value::Object(Rc::new(self))
    }
}

impl Object for VersionSet {
    fn type_name(&self) -> &str {
        "chartutil.VersionSet"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        if name != "Has" {
            return None;
        }
        Some(match args {
            [Value::String(wanted)] => Ok(Value::Bool(self.0.iter().any(|v| v == wanted))),
            [other] => Err(FuncError::new(format!(
                "wrong type for value; expected string; got {}",
                other.type_name()
            ))),
            _ => Err(FuncError::new(format!(
                "wrong number of args for Has: want 1 got {}",
                args.len()
            ))),
        })
    }

    /// `[]string`: sprig's list functions (`has` above all) take it as one.
    fn underlying(&self) -> Option<Value> {
        Some(Value::list_from(
            self.0.iter().map(|v| Value::String(v.clone())),
        ))
    }

    fn display(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
}
