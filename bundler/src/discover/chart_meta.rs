//! The parts of `Chart.yaml` discovery needs.

use std::collections::BTreeMap;

use serde_json::Value;

use super::archive::FileSet;
use super::error::DiscoverError;
use super::values::{lookup, scalar_string};

#[derive(Debug, Clone, Default)]
pub(crate) struct Dependency {
    pub name: String,
    pub alias: Option<String>,
    pub condition: Option<String>,
    pub tags: Vec<String>,
}

impl Dependency {
    /// The key under which the parent's values for this dependency live.
    pub fn values_key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }

    /// Helm's rule: the first condition path that resolves to a bool decides; otherwise tags
    /// (enabled if any listed tag is true); otherwise enabled.
    pub fn enabled(&self, parent_values: &Value) -> bool {
        if let Some(condition) = &self.condition {
            for path in condition
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                if let Some(Value::Bool(b)) = lookup(parent_values, path) {
                    return *b;
                }
            }
        }
        let tag_values: Vec<bool> = self
            .tags
            .iter()
            .filter_map(|t| match lookup(parent_values, &format!("tags.{t}")) {
                Some(Value::Bool(b)) => Some(*b),
                _ => None,
            })
            .collect();
        tag_values.is_empty() || tag_values.iter().any(|b| *b)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ChartMeta {
    pub name: String,
    pub version: String,
    pub app_version: String,
    pub dependencies: Vec<Dependency>,
    pub annotations: BTreeMap<String, String>,
}

impl ChartMeta {
    pub fn read(files: &FileSet) -> Result<ChartMeta, DiscoverError> {
        let text = files
            .get_str("Chart.yaml")
            .ok_or_else(|| DiscoverError::Missing {
                path: files.label.clone(),
                file: "Chart.yaml",
            })?;
        let doc = super::values::parse_helm_yaml(&files.label, "Chart.yaml", &text)?;
        let field = |key: &str| {
            lookup(&doc, key)
                .and_then(scalar_string)
                .unwrap_or_default()
        };
        let dependencies = match doc.get("dependencies") {
            Some(Value::Array(items)) => items.iter().map(dependency).collect(),
            _ => Vec::new(),
        };
        let annotations = match doc.get("annotations") {
            Some(Value::Object(map)) => map
                .iter()
                .filter_map(|(k, v)| scalar_string(v).map(|s| (k.clone(), s)))
                .collect(),
            _ => BTreeMap::new(),
        };
        Ok(ChartMeta {
            name: field("name"),
            version: field("version"),
            app_version: field("appVersion"),
            dependencies,
            annotations,
        })
    }

    pub fn label(&self) -> String {
        format!("chart {} {}", self.name, self.version)
    }
}

fn dependency(item: &Value) -> Dependency {
    let text = |key: &str| {
        item.get(key)
            .and_then(scalar_string)
            .filter(|s| !s.is_empty())
    };
    Dependency {
        name: text("name").unwrap_or_default(),
        alias: text("alias"),
        condition: text("condition"),
        tags: match item.get("tags") {
            Some(Value::Array(tags)) => tags.iter().filter_map(scalar_string).collect(),
            _ => Vec::new(),
        },
    }
}
