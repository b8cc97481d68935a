//! A chart read from a [`FileSet`] the way Helm's `chart/loader` reads one: `Chart.yaml`
//! (and `requirements.yaml`, which Helm reads into the same metadata), `values.yaml`,
//! `templates/`, the remaining files (`.Files`, `crds/` among them) and `charts/`, whose
//! directories and `.tgz` members are subcharts.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{Map, Value};

use super::error::RenderError;
use super::ignore::IgnoreRules;
use crate::discover::values::parse_helm_yaml as parse_yaml;
use crate::discover::FileSet;

/// Subcharts nested deeper than this are not loaded (a warning says so).
pub const MAX_CHART_DEPTH: usize = 8;

/// One file of a chart, named relative to the chart (`templates/deployment.yaml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFile {
    pub name: String,
    pub data: Vec<u8>,
}

/// One `import-values` entry of a dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportValue {
    /// `- child: a.b` / `parent: c.d`: the child's table at `a.b` lands at the parent's `c.d`.
    Map { child: String, parent: String },
    /// `- name`: the child's `exports.name` table is merged at the parent's top level.
    Exports(String),
}

/// One entry of `dependencies:` in `Chart.yaml` (or `requirements.yaml`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    /// The chart's name; after dependency processing, its alias when it has one (as Helm).
    pub name: String,
    pub version: String,
    pub repository: String,
    pub condition: String,
    pub tags: Vec<String>,
    pub alias: String,
    pub import_values: Vec<ImportValue>,
    pub enabled: bool,
}

impl Dependency {
    /// The name its values live under: the alias when there is one.
    pub fn values_key(&self) -> &str {
        if self.alias.is_empty() {
            &self.name
        } else {
            &self.alias
        }
    }
}

/// `Chart.yaml`, with the fields dependency processing needs parsed out.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    /// The document as written (`requirements.yaml`'s dependencies merged in), for `.Chart`.
    pub raw: Map<String, Value>,
    /// The chart's name; an alias replaces it on the copy a parent uses (as in Helm).
    pub name: String,
    pub version: String,
    /// `v1` when `Chart.yaml` does not say (Helm's rule for Helm 2 charts).
    pub api_version: String,
    /// `application` (also when empty) or `library`.
    pub chart_type: String,
    pub dependencies: Vec<Dependency>,
    /// Whether `Chart.yaml` or `requirements.yaml` had a `dependencies` key at all: Helm
    /// skips dependency processing when it had not.
    pub has_dependencies: bool,
}

/// A loaded chart and its subcharts.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    pub metadata: Metadata,
    /// The defaults of `values.yaml`; always an object.
    pub values: Value,
    /// Everything under `templates/`, sorted by name.
    pub templates: Vec<ChartFile>,
    /// What templates see as `.Files`: every file that is not `Chart.yaml`, `values.yaml`,
    /// `values.schema.json`, a lock file, under `templates/` or a subchart.
    pub files: Rc<BTreeMap<String, Vec<u8>>>,
    /// Charts found under `charts/`; after dependency processing, the enabled ones.
    pub subcharts: Vec<Chart>,
}

impl Chart {
    /// The name templates and values know the chart by (its alias in a parent).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn is_library(&self) -> bool {
        self.metadata.chart_type == "library"
    }

    /// Files under `crds/` with a manifest extension, as Helm's `CRDObjects` takes them.
    pub fn crd_files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .filter(|(name, _)| name.starts_with("crds/") && has_manifest_extension(name))
            .map(|(name, data)| (name.as_str(), data.as_slice()))
    }
}

fn has_manifest_extension(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Loads the chart in `files`. Only an unreadable top chart is an error; a subchart that
/// cannot be read is left out with a warning in `warnings` (`(location, message)`).
pub fn load_chart(
    files: &FileSet,
    warnings: &mut Vec<(String, String)>,
) -> Result<Chart, RenderError> {
    let text = files.get_str(".helmignore").unwrap_or_default();
    let rules = IgnoreRules::parse(&text).unwrap_or_else(|message| {
        warnings.push((format!("{}: .helmignore", files.label), message));
        IgnoreRules::parse("").expect("the default rules parse")
    });
    let kept = files.filtered(|path| !rules.ignores_file(path));
    load(&kept, &files.label, 0, warnings)
}

fn load(
    files: &FileSet,
    label: &str,
    depth: usize,
    warnings: &mut Vec<(String, String)>,
) -> Result<Chart, RenderError> {
    let unreadable = |file: &str, message: String| RenderError::Unreadable {
        chart: label.to_owned(),
        file: file.to_owned(),
        message,
    };
    let chart_yaml = files
        .get_str("Chart.yaml")
        .ok_or_else(|| RenderError::MissingChartYaml {
            chart: label.to_owned(),
        })?;
    let mut raw = match parse_yaml(label, "Chart.yaml", &chart_yaml) {
        Ok(Value::Object(map)) => map,
        Ok(Value::Null) => Map::new(),
        Ok(_) => return Err(unreadable("Chart.yaml", "not a mapping".into())),
        Err(e) => return Err(unreadable("Chart.yaml", e.to_string())),
    };
    if let Some(text) = files.get_str("requirements.yaml") {
        match parse_yaml(label, "requirements.yaml", &text) {
            Ok(Value::Object(req)) => {
                if let Some(deps) = req.get("dependencies") {
                    raw.insert("dependencies".into(), deps.clone());
                }
            }
            Ok(_) => {}
            Err(e) => return Err(unreadable("requirements.yaml", e.to_string())),
        }
    }
    let values = match files.get_str("values.yaml") {
        None => Value::Object(Map::new()),
        Some(text) => match parse_yaml(label, "values.yaml", &text) {
            Ok(Value::Object(map)) => Value::Object(map),
            Ok(Value::Null) => Value::Object(Map::new()),
            Ok(_) => return Err(unreadable("values.yaml", "not a mapping".into())),
            Err(e) => return Err(unreadable("values.yaml", e.to_string())),
        },
    };
    let metadata = metadata(raw);
    if metadata.name.trim().is_empty() {
        // Helm's validation refuses it too; templates would have no path to live under.
        return Err(unreadable("Chart.yaml", "the chart has no name".into()));
    }
    let mut chart = Chart {
        metadata,
        values,
        ..Chart::default()
    };
    let mut other_files = BTreeMap::new();
    let mut subchart_paths: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in files.paths() {
        let data = || files.get(path).unwrap_or_default().to_vec();
        match path {
            "Chart.yaml" | "Chart.lock" | "values.yaml" | "values.schema.json" => {}
            "requirements.yaml" | "requirements.lock" => {
                // Helm keeps them as files of v1 charts only.
                if chart.metadata.api_version == "v1" {
                    other_files.insert(path.to_owned(), data());
                }
            }
            _ if path.starts_with("templates/") => chart.templates.push(ChartFile {
                name: path.to_owned(),
                data: data(),
            }),
            _ if path.starts_with("charts/") => {
                if path.ends_with(".prov") {
                    other_files.insert(path.to_owned(), data());
                    continue;
                }
                let rest = &path["charts/".len()..];
                let name = rest.split('/').next().unwrap_or(rest);
                subchart_paths
                    .entry(name.to_owned())
                    .or_default()
                    .push(path.to_owned());
            }
            _ => {
                other_files.insert(path.to_owned(), data());
            }
        }
    }
    chart.files = Rc::new(other_files);
    for (name, paths) in subchart_paths {
        // Helm skips `charts/_x` and `charts/.x`.
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let location = format!("{label}/charts/{name}");
        if depth + 1 >= MAX_CHART_DEPTH {
            warnings.push((location, "subchart nested too deeply; not loaded".into()));
            continue;
        }
        let sub_files = if name.ends_with(".tgz") {
            match files.nested_tgz(&format!("charts/{name}")) {
                Ok(set) => set,
                Err(e) => {
                    warnings.push((location, format!("subchart archive not readable: {e}")));
                    continue;
                }
            }
        } else if paths.iter().any(|p| p.len() > "charts/".len() + name.len()) {
            files.subdir(&format!("charts/{name}"))
        } else {
            warnings.push((
                location,
                "file under charts/ is neither a chart directory nor a .tgz; ignored".into(),
            ));
            continue;
        };
        match load(&sub_files, &location, depth + 1, warnings) {
            Ok(sub) => chart.subcharts.push(sub),
            Err(e) => warnings.push((location, format!("subchart not loaded: {e}"))),
        }
    }
    Ok(chart)
}

/// A YAML scalar read into a Go `string` field the way sigs.k8s.io/yaml converts it: numbers
/// in their shortest form at float32 precision (`appVersion: 1.10` is `1.1`, `1.0` is `1`),
/// bools as `true`/`false`; `None` for null and collections.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => (f as i64).to_string(),
            (_, _, Some(f)) => (f as f32).to_string(),
            _ => n.to_string(),
        }),
        _ => None,
    }
}

fn metadata(raw: Map<String, Value>) -> Metadata {
    let text = |key: &str| raw.get(key).and_then(scalar_text).unwrap_or_default();
    let api_version = match text("apiVersion") {
        v if v.is_empty() => "v1".to_owned(),
        v => v,
    };
    let (dependencies, has_dependencies) = match raw.get("dependencies") {
        Some(Value::Array(items)) => (items.iter().filter_map(dependency).collect(), true),
        Some(Value::Null) | None => (Vec::new(), false),
        Some(_) => (Vec::new(), true),
    };
    Metadata {
        name: text("name"),
        version: text("version"),
        api_version,
        chart_type: text("type"),
        dependencies,
        has_dependencies,
        raw,
    }
}

fn dependency(item: &Value) -> Option<Dependency> {
    let map = item.as_object()?;
    let text = |key: &str| map.get(key).and_then(scalar_text).unwrap_or_default();
    let tags = match map.get("tags") {
        Some(Value::Array(tags)) => tags.iter().filter_map(scalar_text).collect(),
        _ => Vec::new(),
    };
    let import_values = match map.get("import-values") {
        Some(Value::Array(items)) => items.iter().filter_map(import_value).collect(),
        _ => Vec::new(),
    };
    Some(Dependency {
        name: text("name"),
        version: text("version"),
        repository: text("repository"),
        condition: text("condition"),
        tags,
        alias: text("alias"),
        import_values,
        enabled: true,
    })
}

fn import_value(item: &Value) -> Option<ImportValue> {
    match item {
        Value::Object(map) => Some(ImportValue::Map {
            child: map.get("child").map(go_print).unwrap_or_default(),
            parent: map.get("parent").map(go_print).unwrap_or_default(),
        }),
        Value::String(s) => Some(ImportValue::Exports(s.clone())),
        _ => None,
    }
}

/// `fmt.Sprintf("%v", x)` for the scalars an import-values entry holds.
fn go_print(value: &Value) -> String {
    scalar_text(value).unwrap_or_else(|| value.to_string())
}
