//! Spectro Cloud packs: `pack.content.images`, the pack's charts under Palette value semantics
//! (chart defaults overlaid with `charts.<chart-name>`), and its manifests.

use serde_json::Value;

use super::archive::FileSet;
use super::chart_meta::ChartMeta;
use super::chart_rendered;
use super::collect::Collector;
use super::error::DiscoverError;
use super::manifests;
use super::options::DiscoverOptions;
use super::origin::Origin;
use super::reference::normalize_reference;
use super::values::{lookup, parse_yaml, scalar_string};

pub(crate) fn discover(
    files: &FileSet,
    options: &DiscoverOptions,
    out: &mut Collector,
) -> Result<(), DiscoverError> {
    let pack_json = files
        .get_str("pack.json")
        .ok_or_else(|| DiscoverError::Missing {
            path: files.label.clone(),
            file: "pack.json",
        })?;
    let pack: Value = serde_json::from_str(&pack_json).map_err(|e| DiscoverError::Json {
        path: format!("{}/pack.json", files.label),
        message: e.to_string(),
    })?;
    let pack_label = format!(
        "pack {} {}",
        pack.get("name").and_then(scalar_string).unwrap_or_default(),
        pack.get("version")
            .and_then(scalar_string)
            .unwrap_or_default()
    );
    let values_text = files
        .get_str("values.yaml")
        .ok_or_else(|| DiscoverError::Missing {
            path: files.label.clone(),
            file: "values.yaml",
        })?;
    let values_label = format!("{}/values.yaml", files.label);
    let values = match parse_yaml(&files.label, "values.yaml", &values_text) {
        Ok(values) => values,
        // Palette fills `{{ .spectro.* }}` macros in before use, so pack values may hold them
        // unquoted, which is not YAML yet; read them as strings instead.
        Err(first) => match parse_yaml(&files.label, "values.yaml", &quote_macros(&values_text)) {
            Ok(values) => {
                out.warn(
                    &values_label,
                    "unquoted template macros were read as plain strings",
                );
                values
            }
            Err(_) => return Err(first),
        },
    };

    listed_images(&pack_label, &values, out);
    charts(files, &pack, &pack_label, &values, options, out)?;
    pack_manifests(files, &pack, &pack_label, out);
    Ok(())
}

fn listed_images(pack_label: &str, values: &Value, out: &mut Collector) {
    let location = format!("{pack_label}: values pack.content.images");
    let Some(Value::Array(items)) = lookup(values, "pack.content.images") else {
        return;
    };
    for item in items {
        let raw = match item {
            Value::Object(map) => map.get("image").and_then(scalar_string),
            other => scalar_string(other),
        };
        match raw.map(|r| normalize_reference(&r)) {
            Some(Ok(reference)) => {
                out.image(reference, Origin::values(pack_label, "pack.content.images"))
            }
            Some(Err(e)) => out.warn(&location, e.to_string()),
            None => out.warn(&location, "entry without an image"),
        }
    }
}

fn charts(
    files: &FileSet,
    pack: &Value,
    pack_label: &str,
    values: &Value,
    options: &DiscoverOptions,
    out: &mut Collector,
) -> Result<(), DiscoverError> {
    let mut candidates: Vec<String> = match pack.get("charts") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(scalar_string)
            .map(|p| p.trim_start_matches("./").to_owned())
            .collect(),
        _ => Vec::new(),
    };
    // pack.json's list is authoritative when present; otherwise every chart under charts/.
    if candidates.is_empty() {
        for path in files.paths() {
            let parts: Vec<&str> = path.split('/').collect();
            let candidate = match parts.as_slice() {
                ["charts", name] if name.ends_with(".tgz") || name.ends_with(".tar.gz") => {
                    path.to_owned()
                }
                ["charts", dir, "Chart.yaml"] => format!("charts/{dir}"),
                _ => continue,
            };
            if !candidates.contains(&candidate) {
                candidates.push(candidate);
            }
        }
    }
    // A chart shipped both packed and unpacked is one chart.
    let mut done: Vec<String> = Vec::new();
    for candidate in candidates {
        let chart_files = if files.get(&candidate).is_some() {
            files.nested_tgz(&candidate)?
        } else {
            let sub = files.subdir(&candidate);
            if sub.get("Chart.yaml").is_none() {
                out.warn(
                    format!("{pack_label}: {candidate}"),
                    "listed chart is missing from the pack",
                );
                continue;
            }
            sub
        };
        let meta = ChartMeta::read(&chart_files)?;
        if done.contains(&meta.name) {
            continue;
        }
        done.push(meta.name.clone());
        let overlay = lookup(values, &format!("charts.{}", meta.name))
            .cloned()
            .unwrap_or(Value::Null);
        chart_rendered::discover(&chart_files, &[overlay], options, out)?;
    }
    Ok(())
}

fn pack_manifests(files: &FileSet, pack: &Value, pack_label: &str, out: &mut Collector) {
    for path in manifest_paths(files, pack) {
        match files.get_str(&path) {
            Some(text) => manifests::discover(Some(pack_label), &path, &text, out),
            None => out.warn(
                format!("{pack_label}: {path}"),
                "listed manifest is missing from the pack",
            ),
        }
    }
}

/// The manifest files a pack applies: `kubeManifests` is authoritative when present (entries
/// may name directories, each standing for the YAML files inside); otherwise every YAML file
/// under `manifests/`. Discovery and the bundle's pack files read the same list.
pub(crate) fn manifest_paths(files: &FileSet, pack: &Value) -> Vec<String> {
    let listed: Vec<String> = match pack.get("kubeManifests") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(scalar_string)
            .map(|p| p.trim_start_matches("./").to_owned())
            .collect(),
        _ => Vec::new(),
    };
    let is_manifest = |p: &str| p.ends_with(".yaml") || p.ends_with(".yml");
    let yaml_under = |prefix: &str| -> Vec<String> {
        files
            .paths()
            .filter(|p| p.starts_with(prefix) && is_manifest(p))
            .map(str::to_owned)
            .collect()
    };
    if listed.is_empty() {
        return yaml_under("manifests/");
    }
    listed
        .into_iter()
        .flat_map(|entry| {
            if files.get(&entry).is_some() {
                return vec![entry];
            }
            let inside = yaml_under(&format!("{}/", entry.trim_end_matches('/')));
            if inside.is_empty() {
                vec![entry]
            } else {
                inside
            }
        })
        .collect()
}

/// Quotes scalar values that start with `{{` (`key: {{ .spectro.x }}`, `- {{ ... }}`): Palette
/// fills the macros in before use. Discovery and the bundle's pack files read values alike.
pub(crate) fn quote_macros(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let split = line.find(": {{").map(|i| i + 2).or_else(|| {
            line.trim_start()
                .starts_with("- {{")
                .then(|| line.find("- {{").map_or(0, |i| i + 2))
        });
        match split {
            Some(at) => {
                let (head, value) = line.split_at(at);
                out.push_str(head);
                out.push('\'');
                out.push_str(&value.trim_end().replace('\'', "''"));
                out.push('\'');
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::quote_macros;

    #[test]
    fn macros_become_strings() {
        let quoted =
            quote_macros("a: {{ .spectro.system.cluster.name }}\nb:\n  - {{ .x }}\nc: plain\n");
        assert_eq!(
            quoted,
            "a: '{{ .spectro.system.cluster.name }}'\nb:\n  - '{{ .x }}'\nc: plain\n"
        );
    }
}
