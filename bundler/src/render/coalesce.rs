//! Helm's values coalescing (`chartutil.CoalesceValues` and `MergeValues`): the user's
//! values over the chart's defaults, each subchart's defaults under the subchart's key, and
//! `global` copied down into every subchart. Coalescing deletes a key the user set to null;
//! merging (used while dependencies are processed) keeps the null for a later coalesce.
//!
//! Go iterates maps in random order; every step here is order independent, as Helm's is.

use serde_json::{Map, Value};

use super::chart_load::Chart;

const GLOBAL: &str = "global";

/// Merges the user's layers (values files, then `--set`) the way Helm's `values.Options`
/// does before coalescing: maps merge deeply, anything else (null included) replaces.
pub fn merge_user_layers(layers: &[Value]) -> Value {
    let mut out = Map::new();
    for layer in layers {
        if let Value::Object(map) = layer {
            merge_maps(&mut out, map);
        }
    }
    Value::Object(out)
}

fn merge_maps(base: &mut Map<String, Value>, overlay: &Map<String, Value>) {
    for (key, value) in overlay {
        match (base.get_mut(key), value) {
            (Some(Value::Object(existing)), Value::Object(over)) => merge_maps(existing, over),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// `CoalesceValues(chart, user)`: the values the chart renders with. Warnings are Helm's
/// (e.g. `skipped value for x.y: Not a table.`).
pub fn coalesce_values(chart: &Chart, user: &Value, warnings: &mut Vec<String>) -> Value {
    run(chart, user, false, warnings)
}

/// `MergeValues(chart, user)`: as [`coalesce_values`] but nulls are kept.
pub fn merge_values(chart: &Chart, user: &Value, warnings: &mut Vec<String>) -> Value {
    run(chart, user, true, warnings)
}

fn run(chart: &Chart, user: &Value, merge: bool, warnings: &mut Vec<String>) -> Value {
    let mut dest = match user {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    coalesce(chart, &mut dest, "", merge, warnings);
    Value::Object(dest)
}

fn concat_prefix(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn coalesce(
    chart: &Chart,
    dest: &mut Map<String, Value>,
    prefix: &str,
    merge: bool,
    warnings: &mut Vec<String>,
) {
    coalesce_own_values(chart, dest, prefix, merge, warnings);
    for sub in &chart.subcharts {
        let name = sub.name();
        match dest.get(name) {
            None => {
                dest.insert(name.to_owned(), Value::Object(Map::new()));
            }
            Some(Value::Object(_)) => {}
            Some(other) => {
                // Helm fails the whole render here; the subchart just gets no values.
                warnings.push(format!("type mismatch on {name}: {other}"));
                continue;
            }
        }
        let parent_global = dest.get(GLOBAL).cloned();
        let sub_prefix = concat_prefix(prefix, chart.name());
        if let Some(Value::Object(sub_dest)) = dest.get_mut(name) {
            coalesce_globals(sub_dest, parent_global.as_ref(), &sub_prefix, warnings);
            coalesce(sub, sub_dest, &sub_prefix, merge, warnings);
        }
    }
}

/// Copies the parent's globals into a subchart's values: the parent's win, tables merge.
fn coalesce_globals(
    dest: &mut Map<String, Value>,
    parent_global: Option<&Value>,
    prefix: &str,
    warnings: &mut Vec<String>,
) {
    let mut dest_global = match dest.get(GLOBAL) {
        None => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            warnings.push("skipping globals because destination global is not a table".into());
            return;
        }
    };
    let source_global = match parent_global {
        None => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            warnings.push("skipping globals because source global is not a table".into());
            return;
        }
    };
    for (key, value) in source_global {
        match (&value, dest_global.get(&key)) {
            (Value::Object(table), None) => {
                dest_global.insert(key, Value::Object(table.clone()));
            }
            (Value::Object(table), Some(Value::Object(existing))) => {
                let mut merged = table.clone();
                let existing = existing.clone();
                coalesce_tables(
                    &mut merged,
                    existing,
                    &concat_prefix(prefix, &key),
                    true,
                    warnings,
                );
                dest_global.insert(key, Value::Object(merged));
            }
            (Value::Object(_), Some(_)) => {
                warnings.push(format!(
                    "conflict: cannot merge map onto non-map for {key:?}; skipping"
                ));
            }
            (_, Some(Value::Object(_))) => {
                warnings.push(format!("key {key} is table; skipping"));
            }
            _ => {
                dest_global.insert(key, value);
            }
        }
    }
    dest.insert(GLOBAL.into(), Value::Object(dest_global));
}

/// One chart's defaults under the values `dest` (which win).
fn coalesce_own_values(
    chart: &Chart,
    dest: &mut Map<String, Value>,
    prefix: &str,
    merge: bool,
    warnings: &mut Vec<String>,
) {
    let sub_prefix = concat_prefix(prefix, chart.name());
    let Value::Object(defaults) = &chart.values else {
        return;
    };
    for (key, default) in defaults {
        match dest.get_mut(key) {
            None => {
                dest.insert(key.clone(), default.clone());
            }
            Some(Value::Null) if !merge => {
                dest.remove(key);
            }
            Some(Value::Object(user_table)) => match default {
                Value::Object(default_table) => {
                    // A subchart's section keeps its nulls until the subchart coalesces it.
                    let merge = merge || chart.subcharts.iter().any(|s| s.name() == key);
                    coalesce_tables(
                        user_table,
                        default_table.clone(),
                        &concat_prefix(&sub_prefix, key),
                        merge,
                        warnings,
                    );
                }
                Value::Null => {}
                _ => warnings.push(format!(
                    "skipped value for {sub_prefix}.{key}: Not a table."
                )),
            },
            Some(_) => {}
        }
    }
}

/// `coalesceTablesFullKey`: `src` under `dst`, `dst` authoritative. Coalescing (not merging)
/// removes a key `dst` sets to null where `src` has the key, even with a null there (Helm
/// 3.17.3 deletes a user's `x: null` over a default `x: null`, keeps one with no default).
pub fn coalesce_tables(
    dst: &mut Map<String, Value>,
    mut src: Map<String, Value>,
    prefix: &str,
    merge: bool,
    warnings: &mut Vec<String>,
) {
    let src_had_key: Vec<String> = src.keys().cloned().collect();
    for (key, value) in dst.iter() {
        if value.is_null() {
            src.insert(key.clone(), Value::Null);
        }
    }
    for (key, value) in src {
        let full_key = concat_prefix(prefix, &key);
        match dst.get_mut(&key) {
            Some(Value::Null) if !merge && src_had_key.contains(&key) => {
                dst.remove(&key);
            }
            None => {
                dst.insert(key, value);
            }
            Some(existing) => match (existing, &value) {
                (Value::Object(existing), Value::Object(table)) => {
                    coalesce_tables(existing, table.clone(), &full_key, merge, warnings);
                }
                // A user null over a table is a deletion, not a conflict.
                (Value::Null, _) => {}
                (_, Value::Object(_)) => warnings.push(format!(
                    "cannot overwrite table with non table for {full_key} ({value})"
                )),
                (Value::Object(_), v) if !v.is_null() => warnings.push(format!(
                    "destination for {full_key} is a table. Ignoring non-table value ({v})"
                )),
                _ => {}
            },
        }
    }
}
