//! `ferry fleet assign|override|variables|clone`: what a cluster runs, and the overrides and
//! variable values of a cluster or group.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ferry_agent::client::ApiClient;
use serde_json::{json, Map, Value};

use super::profiles::enc;
use super::Conn;

#[derive(Debug, clap::Args)]
pub struct AssignArgs {
    /// The cluster.
    pub cluster: String,
    /// Profile versions, NAME@VERSION: at most one infra or full, any number of add-ons.
    #[arg(required = true)]
    pub profiles: Vec<String>,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["cluster", "group"])))]
#[command(group(clap::ArgGroup::new("change").required(true).args(["set", "values", "remove"])))]
pub struct OverrideArgs {
    /// The cluster whose override this is.
    pub cluster: Option<String>,
    /// A group's override instead of a cluster's.
    #[arg(long)]
    pub group: Option<String>,
    /// The layer the values are for.
    #[arg(long)]
    pub layer: String,
    /// KEY=VALUE with a dotted KEY (image.tag=1.2), VALUE read as YAML (5, true, "5");
    /// merged into the override the layer has. Repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// A YAML or JSON file of values that replaces the layer's override.
    #[arg(long, conflicts_with = "set")]
    pub values: Option<PathBuf>,
    /// Remove the layer's override.
    #[arg(long, conflicts_with_all = ["set", "values"])]
    pub remove: bool,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["cluster", "group"])))]
pub struct VariablesArgs {
    /// The cluster whose variables these are.
    pub cluster: Option<String>,
    /// A group's variables instead of a cluster's.
    #[arg(long)]
    pub group: Option<String>,
    /// NAME=VALUE, VALUE read as YAML; the appliance converts it to the declared type. Repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Remove a value. Repeatable.
    #[arg(long, value_name = "NAME")]
    pub unset: Vec<String>,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("to").required(true).args(["to_cluster", "to_group"])))]
pub struct CloneArgs {
    /// The cluster whose assignment, overrides and variables are copied.
    pub from: String,
    /// Copy to this cluster (its assignment too).
    #[arg(long)]
    pub to_cluster: Option<String>,
    /// Copy overrides and variables onto a group (a group has no assignment).
    #[arg(long)]
    pub to_group: Option<String>,
}

fn scope_path(cluster: &Option<String>, group: &Option<String>) -> String {
    match (cluster, group) {
        (_, Some(g)) => format!("/api/v1/fleet/groups/{}", enc(g)),
        (Some(c), None) => format!("/api/v1/fleet/clusters/{}", enc(c)),
        (None, None) => unreachable!("clap requires a cluster or --group"),
    }
}

/// `VALUE` as YAML reads it (`5` a number, `true` a bool, `"5"` a string); empty is "".
fn yaml_scalar(value: &str) -> anyhow::Result<Value> {
    if value.is_empty() {
        return Ok(Value::String(String::new()));
    }
    serde_saphyr::from_str(value).with_context(|| format!("{value:?} is not a YAML value"))
}

fn split_set(arg: &str) -> anyhow::Result<(&str, Value)> {
    let (key, value) = arg
        .split_once('=')
        .ok_or_else(|| anyhow::anyhow!("--set {arg:?}: expected KEY=VALUE"))?;
    if key.is_empty() || key.split('.').any(str::is_empty) {
        anyhow::bail!("--set {arg:?}: the key must be dotted names (image.tag)");
    }
    Ok((key, yaml_scalar(value)?))
}

/// `--set a.b=1 --set a.c=x` as `{"a": {"b": 1, "c": "x"}}`.
pub(super) fn set_values(sets: &[String]) -> anyhow::Result<Map<String, Value>> {
    let mut out = Map::new();
    for arg in sets {
        let (key, value) = split_set(arg)?;
        let parts: Vec<&str> = key.split('.').collect();
        let mut at = &mut out;
        for p in &parts[..parts.len() - 1] {
            let next = at
                .entry(p.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !next.is_object() {
                *next = Value::Object(Map::new());
            }
            at = next.as_object_mut().expect("just made a map");
        }
        at.insert(parts[parts.len() - 1].to_owned(), value);
    }
    Ok(out)
}

fn print_settings(conn: &Conn, doc: &Value) -> anyhow::Result<ExitCode> {
    if conn.json() {
        crate::cli::output::print_json(doc)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(c) = doc["cluster"].as_str() {
        outln!("cluster {c}");
        let profiles: Vec<&str> = doc["profiles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        outln!(
            "  profiles: {}",
            if profiles.is_empty() {
                "(none)".into()
            } else {
                profiles.join(", ")
            }
        );
        let groups: Vec<&str> = doc["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        outln!(
            "  groups: {}",
            if groups.is_empty() {
                "(none)".into()
            } else {
                groups.join(", ")
            }
        );
    } else if let Some(g) = doc["group"].as_str() {
        outln!("group {g}");
        let clusters: Vec<&str> = doc["clusters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        outln!("  clusters: {}", clusters.join(", "));
    }
    for (layer, values) in doc["overrides"].as_object().into_iter().flatten() {
        outln!("  override {layer}: {values}");
    }
    for (name, value) in doc["variables"].as_object().into_iter().flatten() {
        outln!("  variable {name} = {value}");
    }
    for p in doc["published"].as_array().into_iter().flatten() {
        match p["error"].as_str() {
            Some(e) => outln!(
                "  not published for {}: {e}",
                p["cluster"].as_str().unwrap_or("")
            ),
            None => outln!(
                "  published {} revision {}",
                p["cluster"].as_str().unwrap_or(""),
                p["revision"]
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn assign(api: &ApiClient, conn: &Conn, args: AssignArgs) -> anyhow::Result<ExitCode> {
    let doc: Value = api
        .put(
            &format!("/api/v1/fleet/clusters/{}/assignment", enc(&args.cluster)),
            &json!({"profiles": args.profiles}),
        )
        .await?;
    print_settings(conn, &doc)
}

pub async fn override_values(
    api: &ApiClient,
    conn: &Conn,
    args: OverrideArgs,
) -> anyhow::Result<ExitCode> {
    let path = format!(
        "{}/overrides/{}",
        scope_path(&args.cluster, &args.group),
        enc(&args.layer)
    );
    let doc: Value = if args.remove {
        api.delete(&path).await?
    } else if let Some(file) = &args.values {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let values: Value = serde_saphyr::from_str(&text)
            .with_context(|| format!("{}: not YAML or JSON", file.display()))?;
        let Value::Object(values) = values else {
            anyhow::bail!("{}: values must be a map", file.display());
        };
        api.put(&path, &json!({"values": values, "merge": false}))
            .await?
    } else {
        api.put(
            &path,
            &json!({"values": set_values(&args.set)?, "merge": true}),
        )
        .await?
    };
    print_settings(conn, &doc)
}

pub async fn variables(
    api: &ApiClient,
    conn: &Conn,
    args: VariablesArgs,
) -> anyhow::Result<ExitCode> {
    if args.set.is_empty() && args.unset.is_empty() {
        anyhow::bail!("nothing to change: give --set NAME=VALUE or --unset NAME");
    }
    let mut values: BTreeMap<String, Value> = BTreeMap::new();
    for arg in &args.set {
        let (name, value) = split_set(arg)?;
        values.insert(name.to_owned(), value);
    }
    for name in &args.unset {
        values.insert(name.clone(), Value::Null);
    }
    let path = format!("{}/variables", scope_path(&args.cluster, &args.group));
    let doc: Value = api.put(&path, &json!({"values": values})).await?;
    print_settings(conn, &doc)
}

pub async fn clone(api: &ApiClient, conn: &Conn, args: CloneArgs) -> anyhow::Result<ExitCode> {
    let doc: Value = api
        .post(
            &format!("/api/v1/fleet/clusters/{}/clone", enc(&args.from)),
            &json!({"toCluster": args.to_cluster, "toGroup": args.to_group}),
        )
        .await?;
    if conn.json() {
        crate::cli::output::print_json(&doc)?;
    } else {
        let list = |v: &Value| {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        };
        outln!(
            "copied cluster {} onto {}",
            doc["from"].as_str().unwrap_or(""),
            doc["to"].as_str().unwrap_or("")
        );
        outln!("  profiles: {}", list(&doc["profiles"]));
        outln!("  overrides: {}", list(&doc["layers"]));
        outln!("  variables: {}", list(&doc["variables"]));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_builds_nested_values_from_yaml_scalars() {
        let sets = [
            "replicaCount=5",
            "image.tag=\"1.2\"",
            "image.pull=true",
            "a.b.c=x y",
            "empty=",
        ]
        .map(String::from);
        assert_eq!(
            Value::Object(set_values(&sets).unwrap()),
            json!({"replicaCount": 5, "image": {"tag": "1.2", "pull": true}, "a": {"b": {"c": "x y"}}, "empty": ""})
        );
        assert!(set_values(&["noequals".into()]).is_err());
        assert!(set_values(&["a..b=1".into()]).is_err());
    }
}
