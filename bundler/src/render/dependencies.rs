//! Helm's dependency processing (`chartutil.ProcessDependencies`): which vendored subcharts a
//! chart uses and under which names (aliases make copies), which are enabled by `condition`
//! and `tags`, and the values `import-values` lifts from children into their parent.
//!
//! A dependency is paired with the vendored chart of its name whose version satisfies its range,
//! as Helm pairs them (so two aliases can use two versions of one chart). One deliberate
//! difference: where no vendored version satisfies the range, Helm renders the chart without
//! that dependency; here the first chart of that name is used, with a warning elsewhere
//! (`versions`), so a stale lock does not hide a subchart's images.

use serde_json::{Map, Value};

use super::chart_load::{Chart, ImportValue};
use super::coalesce::{coalesce_tables, coalesce_values, merge_values};

/// Resolves `chart`'s dependency tree against the user's values (already merged layers):
/// afterwards `chart.subcharts` holds exactly the enabled subcharts, renamed to their aliases,
/// and each chart's defaults include what it imports. Warnings are `(location, message)`.
pub fn process_dependencies(
    chart: &mut Chart,
    user: &Value,
    label: &str,
    warnings: &mut Vec<(String, String)>,
) {
    process_enabled(chart, user, "", label, warnings);
    process_import_values(chart, label, warnings);
}

fn process_enabled(
    chart: &mut Chart,
    values: &Value,
    path: &str,
    label: &str,
    warnings: &mut Vec<(String, String)>,
) {
    if !chart.metadata.has_dependencies {
        return;
    }
    let location = format!("{label}: {} Chart.yaml dependencies", chart.name());
    let existing = std::mem::take(&mut chart.subcharts);
    // Vendored charts no dependency names are used as they are.
    let mut resolved: Vec<Chart> = existing
        .iter()
        .filter(|c| {
            !chart
                .metadata
                .dependencies
                .iter()
                .any(|d| d.name == c.name())
        })
        .cloned()
        .collect();
    let mut missing = Vec::new();
    for dep in &mut chart.metadata.dependencies {
        let fits = |c: &&Chart| {
            super::versions::in_range(super::helm_functions(), &dep.version, &c.metadata.version)
                .unwrap_or(false)
        };
        let named = || existing.iter().filter(|c| c.name() == dep.name);
        match named().find(fits).or_else(|| named().next()) {
            Some(found) => {
                let mut copy = found.clone();
                if !dep.alias.is_empty() {
                    copy.metadata.name = dep.alias.clone();
                }
                resolved.push(copy);
            }
            None => missing.push(dep.values_key().to_owned()),
        }
        if !dep.alias.is_empty() {
            dep.name = dep.alias.clone();
        }
        dep.enabled = true;
    }
    chart.subcharts = resolved;

    let mut coalesce_warnings = Vec::new();
    let cvals = coalesce_values(chart, values, &mut coalesce_warnings);
    apply_tags(chart, &cvals, &location, warnings);
    apply_conditions(chart, &cvals, path, &location, warnings);

    // Helm refuses a chart with any dependency missing; only an enabled one matters here.
    for dep in &chart.metadata.dependencies {
        if dep.enabled && missing.contains(&dep.name) {
            warnings.push((
                location.clone(),
                format!(
                    "enabled dependency {} is not vendored under charts/; it is not rendered",
                    dep.name
                ),
            ));
        }
    }
    let disabled: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| !d.enabled)
        .map(|d| d.name.clone())
        .collect();
    chart
        .subcharts
        .retain(|c| !disabled.iter().any(|d| d == c.name()));
    chart
        .metadata
        .dependencies
        .retain(|d| !disabled.contains(&d.name));
    for sub in &mut chart.subcharts {
        let sub_path = format!("{path}{}.", sub.name());
        process_enabled(sub, &cvals, &sub_path, label, warnings);
    }
}

/// A dependency with tags is disabled when none of its tags is true and one is false.
fn apply_tags(
    chart: &mut Chart,
    cvals: &Value,
    location: &str,
    warnings: &mut Vec<(String, String)>,
) {
    let Some(Value::Object(tags)) = cvals.get("tags") else {
        return;
    };
    for dep in &mut chart.metadata.dependencies {
        let (mut any_true, mut any_false) = (false, false);
        for tag in &dep.tags {
            match tags.get(tag) {
                Some(Value::Bool(true)) => any_true = true,
                Some(Value::Bool(false)) => any_false = true,
                Some(_) => warnings.push((
                    location.to_owned(),
                    format!("tag '{tag}' for chart {} returned non-bool value", dep.name),
                )),
                None => {}
            }
        }
        dep.enabled = any_true || !any_false;
    }
}

/// The first comma-separated condition path that holds a bool decides (over tags).
fn apply_conditions(
    chart: &mut Chart,
    cvals: &Value,
    path: &str,
    location: &str,
    warnings: &mut Vec<(String, String)>,
) {
    for dep in &mut chart.metadata.dependencies {
        // Helm trims the whole condition but not its parts: `a, b` looks up ` b`.
        for condition in dep.condition.trim().split(',') {
            if condition.is_empty() {
                continue;
            }
            match path_value(cvals, &format!("{path}{condition}")) {
                Some(Value::Bool(b)) => {
                    dep.enabled = *b;
                    break;
                }
                Some(_) => warnings.push((
                    location.to_owned(),
                    format!(
                        "condition path '{condition}' for chart {} returned non-bool value",
                        dep.name
                    ),
                )),
                None => {}
            }
        }
    }
}

/// Helm's `Values.PathValue`: a non-table value at a dotted path.
pub fn path_value<'a>(values: &'a Value, path: &str) -> Option<&'a Value> {
    let (table_path, key) = match path.rsplit_once('.') {
        Some((table, key)) => (Some(table), key),
        None => (None, path),
    };
    let table = match table_path {
        Some(p) => table(values, p)?,
        None => values.as_object()?,
    };
    table.get(key).filter(|v| !v.is_object())
}

/// Helm's `Values.Table`: the map at a dotted path.
pub fn table<'a>(values: &'a Value, path: &str) -> Option<&'a Map<String, Value>> {
    path.split('.')
        .try_fold(values, |node, key| node.as_object()?.get(key))?
        .as_object()
}

fn process_import_values(chart: &mut Chart, label: &str, warnings: &mut Vec<(String, String)>) {
    for sub in &mut chart.subcharts {
        process_import_values(sub, label, warnings);
    }
    if !chart.metadata.has_dependencies {
        return;
    }
    let location = format!("{label}: {} Chart.yaml import-values", chart.name());
    let mut ignored = Vec::new();
    let cvals = merge_values(chart, &Value::Object(Map::new()), &mut ignored);
    let mut imported = Map::new();
    for dep in &chart.metadata.dependencies {
        for import in &dep.import_values {
            let (child_path, parent) = match import {
                ImportValue::Map { child, parent } => (child.clone(), parent.as_str()),
                ImportValue::Exports(name) => (format!("exports.{name}"), "."),
            };
            let full = format!("{}.{child_path}", dep.name);
            let Some(found) = table(&cvals, &full) else {
                warnings.push((
                    location.clone(),
                    format!("missing table {full} to import from chart {}", dep.name),
                ));
                continue;
            };
            let lifted = path_to_map(parent, found.clone());
            // Earlier imports win over later ones, as in Helm.
            coalesce_tables(&mut imported, lifted, "", true, &mut ignored);
        }
    }
    // The parent's own values win over what it imports.
    let Value::Object(mut own) = cvals else {
        return;
    };
    coalesce_tables(&mut own, imported, "", true, &mut ignored);
    chart.values = Value::Object(own);
}

/// `{a: {b: data}}` for `a.b`; `data` itself for `.`.
fn path_to_map(path: &str, data: Map<String, Value>) -> Map<String, Value> {
    if path == "." {
        return data;
    }
    path.split('.').rev().fold(data, |inner, key| {
        let mut outer = Map::new();
        outer.insert(key.to_owned(), Value::Object(inner));
        outer
    })
}
