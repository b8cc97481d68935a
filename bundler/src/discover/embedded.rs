//! Images in configuration that ConfigMaps (`data`) and Secrets (`stringData`) carry as YAML or
//! JSON text. Operators read such files and compose images from split fields
//! (`registry`/`repository`/`tag`/`digest`), so the text is parsed and walked, never scanned
//! line by line. A bare untagged name without a registry (`image: busybox`) is not reported: in
//! free-form config it is as often a label as an image, and Hub's `latest` is never meant.

use serde_json::Value;

use super::pod_images::{argument_images, env_images};
use super::reference::looks_like_image;
use super::values::{parse_yaml, scalar_string};

/// An image found in one embedded value, and the env variable or flag that passed it, if any.
pub(crate) struct EmbeddedImage {
    pub raw: String,
    pub via: Option<String>,
}

/// The data values of a ConfigMap or Secret that hold config, with the field and key
/// (`data config.yaml`) each came from.
pub(crate) fn config_values(object: &Value) -> Vec<(String, &str)> {
    let field = match object.get("kind").and_then(Value::as_str) {
        Some("ConfigMap") => "data",
        Some("Secret") => "stringData",
        _ => return Vec::new(),
    };
    let Some(Value::Object(data)) = object.get(field) else {
        return Vec::new();
    };
    data.iter()
        .filter_map(|(key, value)| Some((format!("{field} {key}"), value.as_str()?)))
        .collect()
}

/// Images composed from flat keys that share a dotted prefix, as some operators write their
/// ConfigMaps (trivy-operator: `trivy.repository` and `trivy.tag`): each prefix's last segments
/// are read as the split fields of [`composed`]. Returns the prefix and the reference.
pub(crate) fn dotted_images(data: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    let mut groups: std::collections::BTreeMap<&str, serde_json::Map<String, Value>> =
        Default::default();
    for (key, value) in data {
        if let Some((prefix, field)) = key.rsplit_once('.') {
            if matches!(field, "registry" | "repository" | "tag" | "digest") {
                groups
                    .entry(prefix)
                    .or_default()
                    .insert(field.to_owned(), value.clone());
            }
        }
    }
    groups
        .into_iter()
        .filter(|(_, fields)| fields.contains_key("repository"))
        .filter_map(|(prefix, fields)| Some((prefix.to_owned(), composed(&fields)?)))
        .collect()
}

/// The images in one data entry: under a key named like an image variable (`RELATED_IMAGE_DB`,
/// read through `envFrom`), the value as an env value; otherwise the value's config if it parses
/// as a YAML or JSON mapping or sequence; nothing for other text.
pub(crate) fn embedded_images(source: &str, key: &str, text: &str) -> Vec<EmbeddedImage> {
    let mut found = Vec::new();
    let name = key.split_once(' ').map_or(key, |(_, name)| name);
    let env = env_images(&[serde_json::json!({ "name": name, "value": text })]);
    if !env.is_empty() {
        found.extend(env.into_iter().map(|p| EmbeddedImage {
            raw: p.raw,
            via: None,
        }));
    } else if let Ok(value @ (Value::Object(_) | Value::Array(_))) = parse_yaml(source, key, text) {
        walk(&value, &mut found);
    }
    found
}

fn walk(node: &Value, found: &mut Vec<EmbeddedImage>) {
    match node {
        Value::Object(map) => {
            if let Some(raw) = composed(map) {
                found.push(EmbeddedImage { raw, via: None });
            }
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("image", Value::String(_)) => {}
                    ("args" | "command", Value::Array(items)) => {
                        found.extend(argument_images(items).into_iter().map(|p| EmbeddedImage {
                            raw: p.raw,
                            via: Some(p.via),
                        }));
                    }
                    ("env", Value::Array(items)) => {
                        found.extend(env_images(items).into_iter().map(|p| EmbeddedImage {
                            raw: p.raw,
                            via: Some(p.via),
                        }));
                    }
                    _ => walk(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
        _ => {}
    }
}

/// The image a map names: `image: ref` with a tag or digest, or split fields — `repository`
/// (or `image`, or `name` with a registry or namespace) with `tag` and/or `digest`, under an optional `registry`.
pub(crate) fn composed(map: &serde_json::Map<String, Value>) -> Option<String> {
    let text = |key: &str| {
        map.get(key)
            .and_then(scalar_string)
            .filter(|s| !s.is_empty())
    };
    let tag = text("tag");
    let digest = text("digest");
    let registry = text("registry");
    // `name: stable` beside `tag: v3` is as often a release channel as an image: a name counts
    // only with a registry or a namespace.
    let repository = text("repository").or_else(|| text("image")).or_else(|| {
        let name = text("name")?;
        let pinned = tag.is_some() || digest.is_some();
        (pinned && (registry.is_some() || name.contains('/'))).then_some(name)
    })?;
    let mut raw = match registry {
        Some(registry) if !repository.starts_with(&format!("{registry}/")) => {
            format!("{}/{repository}", registry.trim_end_matches('/'))
        }
        _ => repository,
    };
    if let Some(tag) = tag {
        raw.push(':');
        raw.push_str(&tag);
    }
    if let Some(digest) = digest {
        raw.push('@');
        raw.push_str(&digest);
    }
    looks_like_image(&raw).then_some(raw)
}
