//! Helm values as `serde_json::Value`: parsing, coalescing and path lookup.

use serde_json::{Map, Value};

use super::archive::MAX_FILE_BYTES;
use super::error::DiscoverError;

/// Most YAML nodes (scalars, sequences, mappings) one chart or pack file may hold. The largest
/// real values files (kube-prometheus-stack, gitlab) hold tens of thousands; a 4 MiB file of
/// ordinary keys about 400,000. Two million allows ~20 MiB of real values while keeping a
/// hostile file (the reader's default is 250,000) to a bounded amount of memory.
const MAX_YAML_NODES: usize = 2_000_000;
/// Parser events are about one per node plus one per collection end.
const MAX_YAML_EVENTS: usize = 2 * MAX_YAML_NODES;

/// The reader options every chart, pack and values YAML read goes through (discovery, a
/// profile's values files, a cached chart's `Chart.yaml`).
pub fn chart_yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        // Comments are never needed here, and buffering them while the parser looks ahead past
        // an empty value is what failed on real values files ("too many buffered comments").
        // Without emission they are still validated, just not kept, so no count can overflow.
        emit_comments: false,
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(MAX_FILE_BYTES as usize),
            max_nodes: MAX_YAML_NODES,
            max_events: MAX_YAML_EVENTS,
        },
    }
}

/// Parses one YAML document of a chart or pack into a JSON value with ferry's limits; an
/// empty document is `null`. Errors read `<source>: <file> line L, column C: message`.
pub(crate) fn parse_yaml(source: &str, file: &str, text: &str) -> Result<Value, DiscoverError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str_with_options::<Value>(text, chart_yaml_options())
        .map_err(|err| syntax_error(source, file, &err))
}

/// A YAML reader's error placed in `file` of `source`.
fn syntax_error(source: &str, file: &str, err: &serde_saphyr::Error) -> DiscoverError {
    let (line, column) = yaml_error_position(err);
    DiscoverError::Yaml {
        path: source.to_owned(),
        file: file.to_owned(),
        line,
        column,
        message: yaml_error_message(err),
    }
}

/// Parses a chart's values file, `Chart.yaml` or `requirements.yaml`, or a user's values file,
/// the way Helm reads them (`sigs.k8s.io/yaml`, go-yaml v2): YAML 1.1 scalars (`enabled: no`
/// is false, `010` is 8), non-string keys as their text, the first document only; with
/// ferry's reader limits. Errors as [`parse_yaml`]'s; one that JSON cannot hold (`.inf`, as
/// Helm refuses it too) has no place, line 0.
pub fn parse_helm_yaml(source: &str, file: &str, text: &str) -> Result<Value, DiscoverError> {
    let options = ferry_gotmpl::helm::yaml11_options(chart_yaml_options());
    ferry_gotmpl::helm::parse_json_with(text, options).map_err(|err| match err {
        ferry_gotmpl::helm::ReadError::Syntax(err) => syntax_error(source, file, &err),
        ferry_gotmpl::helm::ReadError::Convert(message) => DiscoverError::Yaml {
            path: source.to_owned(),
            file: file.to_owned(),
            line: 0,
            column: 0,
            message,
        },
    })
}

/// Line and column (1-based) of a serde-saphyr error, `(0, 0)` when it has none.
pub fn yaml_error_position(err: &serde_saphyr::Error) -> (u64, u64) {
    err.location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((0, 0))
}

/// The first line of a serde-saphyr error without its own location prefix (callers print
/// `file:line:col` in front): its full rendering repeats the message under a source snippet.
/// Profiles, chart values and the appliance configuration all report YAML errors through it.
pub fn yaml_error_message(err: &serde_saphyr::Error) -> String {
    let rendered = err.to_string();
    let first = rendered.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((position, message)) if position.contains("column") => message.to_owned(),
        _ => first.to_owned(),
    }
}

/// Overlays `overlay` onto `base` the way Helm coalesces values: maps merge recursively,
/// anything else replaces, and an explicit `null` deletes the key.
pub(crate) fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(base_map), Value::Object(overlay_map)) => merge_maps(base_map, overlay_map),
        (_, Value::Null) => {}
        (base, overlay) => *base = overlay.clone(),
    }
}

fn merge_maps(base: &mut Map<String, Value>, overlay: &Map<String, Value>) {
    for (key, value) in overlay {
        if value.is_null() {
            base.remove(key);
            continue;
        }
        match base.get_mut(key) {
            Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Looks up a dotted path (`controller.image.tag`); an empty path is the root.
pub(crate) fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(root);
    }
    path.split('.').try_fold(root, |node, segment| match node {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// Go template truthiness: zero values and empty collections are false.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A scalar rendered the way a template would print it (`6.4` stays `6.4`).
pub(crate) fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}.{child}")
    }
}
