//! What a Spectro pack installs, for its profile definition: its manifests as written and its
//! charts rendered with the pack's values (`charts.<chart name>`), since the pack's charts
//! travel inside the pack and the enclave cannot render them later the way it serves charts.
//! Which files count follows discovery (`discover/pack.rs`): `pack.json`'s `charts` and
//! `kubeManifests` lists when present, else everything under `charts/` and `manifests/`.

use serde_json::{Map, Value};

use super::PipelineError;
use crate::discover::{self, DiscoverOptions, FileSet};
use crate::format::profile_definition::ManifestFile;
use crate::render::{self, RenderOptions};

/// The pack's values and its files, in a fixed order (manifests, then charts).
pub(super) struct PackFiles {
    pub values: Map<String, Value>,
    pub files: Vec<ManifestFile>,
}

pub(super) fn pack_files(
    files: &FileSet,
    options: &DiscoverOptions,
) -> Result<PackFiles, PipelineError> {
    let label = files.label.clone();
    let bad = |message: String| PipelineError::Profile {
        path: label.clone().into(),
        message,
    };
    let pack: Value = files
        .get_str("pack.json")
        .map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| bad(format!("pack.json: {e}")))?
        .unwrap_or(Value::Null);
    let values = match files.get_str("values.yaml") {
        Some(text) => read_values(&label, &text)?,
        None => Map::new(),
    };
    let mut out = Vec::new();
    for path in discover::pack::manifest_paths(files, &pack) {
        match files.get_str(&path) {
            Some(content) => out.push(ManifestFile {
                name: path,
                content,
            }),
            None => {
                return Err(bad(format!(
                    "listed manifest {path} is missing from the pack"
                )))
            }
        }
    }
    let namespace = values
        .get("pack")
        .and_then(|p| p.get("namespace"))
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_owned();
    let mut done: Vec<String> = Vec::new();
    for candidate in chart_paths(files, &pack) {
        let chart = if files.get(&candidate).is_some() {
            files
                .nested_tgz(&candidate)
                .map_err(|e| bad(e.to_string()))?
        } else {
            files.subdir(&candidate)
        };
        let Some(name) = chart_name(&chart) else {
            return Err(bad(format!("{candidate}: no Chart.yaml with a name")));
        };
        // A chart shipped both packed and unpacked is one chart.
        if done.contains(&name) {
            continue;
        }
        done.push(name.clone());
        let overlay = values
            .get("charts")
            .and_then(|c| c.get(&name))
            .cloned()
            .unwrap_or(Value::Null);
        let render_options = RenderOptions {
            release_name: name.clone(),
            namespace: namespace.clone(),
            kube_version: options.kube_version.clone(),
            api_versions: options
                .api_versions
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            include_crds: true,
        };
        let rendered = render::render_chart(&chart, &[overlay], &render_options)
            .map_err(|e| bad(format!("{candidate}: {e}")))?;
        let mut content = String::new();
        for doc in rendered.documents.iter().filter(|d| !d.test_hook) {
            if doc.object.is_null() {
                continue;
            }
            let yaml = serde_saphyr::to_string(&doc.object)
                .map_err(|e| bad(format!("{}: {e}", doc.template)))?;
            content.push_str("---\n");
            content.push_str(&yaml);
            if !yaml.ends_with('\n') {
                content.push('\n');
            }
        }
        out.push(ManifestFile {
            name: format!("charts/{name}.yaml"),
            content,
        });
    }
    Ok(PackFiles { values, files: out })
}

/// The pack's `values.yaml` as Helm reads values; Palette fills `{{ .spectro.* }}` macros in
/// before use, so unquoted ones are read as strings (as discovery does).
fn read_values(label: &str, text: &str) -> Result<Map<String, Value>, PipelineError> {
    let parsed = discover::parse_helm_yaml(label, "values.yaml", text)
        .or_else(|first| {
            discover::parse_helm_yaml(label, "values.yaml", &discover::pack::quote_macros(text))
                .map_err(|_| first)
        })
        .map_err(|e| PipelineError::Profile {
            path: label.into(),
            message: e.to_string(),
        })?;
    Ok(match parsed {
        Value::Object(map) => map,
        _ => Map::new(),
    })
}

fn listed(pack: &Value, key: &str) -> Vec<String> {
    match pack.get(key) {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(|p| p.trim_start_matches("./").to_owned())
            .collect(),
        _ => Vec::new(),
    }
}

fn chart_paths(files: &FileSet, pack: &Value) -> Vec<String> {
    let listed = listed(pack, "charts");
    if !listed.is_empty() {
        return listed;
    }
    let mut out: Vec<String> = Vec::new();
    for path in files.paths() {
        let parts: Vec<&str> = path.split('/').collect();
        let candidate = match parts.as_slice() {
            ["charts", name] if name.ends_with(".tgz") || name.ends_with(".tar.gz") => {
                path.to_owned()
            }
            ["charts", dir, "Chart.yaml"] => format!("charts/{dir}"),
            _ => continue,
        };
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

fn chart_name(chart: &FileSet) -> Option<String> {
    let text = chart.get_str("Chart.yaml")?;
    let meta = discover::parse_helm_yaml(&chart.label, "Chart.yaml", &text).ok()?;
    meta.get("name")?.as_str().map(str::to_owned)
}
