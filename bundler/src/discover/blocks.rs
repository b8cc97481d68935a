//! Image blocks in values: the shapes charts use to parameterise images, and how a block
//! renders to a reference (`{registry}/{repository|image}:{tag}@{digest}`).

use serde_json::{Map, Value};

use super::reference::normalize_reference;
use super::values::{join_path, lookup, scalar_string, truthy};

/// A values subtree that describes one image.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    /// A map such as `{registry, repository, tag, digest}` or `{registry, image, tag}`.
    Map(String),
    /// A string under an `image`/`*Image` key: `image: "repo:tag"`.
    Scalar(String),
}

impl Block {
    pub fn path(&self) -> &str {
        match self {
            Block::Map(p) | Block::Scalar(p) => p,
        }
    }
}

/// Finds every image block in `values`; blocks are not searched inside.
pub(crate) fn find_blocks(values: &Value) -> Vec<Block> {
    let mut found = Vec::new();
    visit(values, "", None, &mut found);
    found
}

fn visit(node: &Value, path: &str, key: Option<&str>, found: &mut Vec<Block>) {
    match node {
        Value::Object(map) => {
            if is_map_block(map) {
                found.push(Block::Map(path.to_owned()));
                return;
            }
            for (k, v) in map {
                visit(v, &join_path(path, k), Some(k), found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                visit(v, &join_path(path, &i.to_string()), None, found);
            }
        }
        Value::String(s) => {
            let image_key = key.is_some_and(|k| k == "image" || k.to_ascii_lowercase().ends_with("image"));
            if image_key && !s.trim().is_empty() && (s.contains("{{") || normalize_reference(s).is_ok()) {
                found.push(Block::Scalar(path.to_owned()));
            }
        }
        _ => {}
    }
}

fn non_empty_str(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(scalar_string).filter(|s| !s.trim().is_empty())
}

fn is_map_block(map: &Map<String, Value>) -> bool {
    let has_repository = matches!(map.get("repository"), Some(Value::String(s)) if !s.trim().is_empty());
    let has_image_name = matches!(map.get("image"), Some(Value::String(s)) if !s.trim().is_empty())
        && (map.contains_key("registry") || map.contains_key("tag") || map.contains_key("digest"));
    has_repository || has_image_name
}

/// True when the block or an enclosing subtree has `enabled: false`.
pub(crate) fn disabled(values: &Value, path: &str) -> bool {
    let segments: Vec<&str> = if path.is_empty() { Vec::new() } else { path.split('.').collect() };
    (0..=segments.len()).any(|n| {
        let prefix = segments[..n].join(".");
        matches!(lookup(values, &prefix), Some(Value::Object(m)) if m.get("enabled").is_some_and(|e| !truthy(e)))
    })
}

/// Renders a block to a normalised reference. `default_tag` is used when the block has no tag.
pub(crate) fn render(values: &Value, block: &Block, global_registry: Option<&str>, default_tag: &str) -> Result<String, String> {
    let node = lookup(values, block.path()).ok_or("block vanished")?;
    let raw = match (block, node) {
        (Block::Scalar(_), Value::String(s)) => s.trim().to_owned(),
        (Block::Map(_), Value::Object(map)) => render_map(map, global_registry, default_tag)?,
        _ => return Err("unexpected value shape".into()),
    };
    normalize_reference(&raw).map_err(|e| e.to_string())
}

fn render_map(map: &Map<String, Value>, global_registry: Option<&str>, default_tag: &str) -> Result<String, String> {
    let repository = non_empty_str(map, "repository")
        .or_else(|| non_empty_str(map, "image"))
        .ok_or("no repository")?;
    let registry = global_registry
        .filter(|r| !r.trim().is_empty())
        .map(str::to_owned)
        .or_else(|| non_empty_str(map, "registry"));
    let mut out = match registry {
        Some(reg) if !repository.starts_with(&format!("{}/", reg.trim_end_matches('/'))) => {
            format!("{}/{repository}", reg.trim_end_matches('/'))
        }
        _ => repository.clone(),
    };
    let repo_has_tag = repository.rsplit('/').next().is_some_and(|last| last.contains(':')) || repository.contains('@');
    let tag = non_empty_str(map, "tag").or_else(|| non_empty_str(map, "version"));
    // A tag already carrying a digest (`v1@sha256:...`) is printed as is.
    match tag {
        Some(tag) => {
            out.push(':');
            out.push_str(&tag);
        }
        None if !repo_has_tag && !default_tag.is_empty() => {
            out.push(':');
            out.push_str(default_tag);
        }
        None => {}
    }
    let digest = non_empty_str(map, "digest").or_else(|| {
        non_empty_str(map, "sha").map(|s| if s.contains(':') { s } else { format!("sha256:{s}") })
    });
    if let Some(digest) = digest {
        if !out.contains('@') {
            out.push('@');
            out.push_str(&digest);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case::string(json!({"image": "nginx:1.27"}), "docker.io/library/nginx:1.27")]
    #[case::repository_tag(json!({"image": {"repository": "ghcr.io/a/b", "tag": "1.0"}}), "ghcr.io/a/b:1.0")]
    #[case::registry_split(json!({"image": {"registry": "docker.io", "repository": "bitnami/x", "tag": "0.28.0"}}), "docker.io/bitnami/x:0.28.0")]
    #[case::registry_image_digest(json!({"image": {"registry": "registry.k8s.io", "image": "ingress-nginx/controller", "tag": "v1.11.3", "digest": format!("sha256:{}", "a".repeat(64)), "repository": ""}}), &format!("registry.k8s.io/ingress-nginx/controller:v1.11.3@sha256:{}", "a".repeat(64)))]
    #[case::numeric_tag(json!({"image": {"repository": "redis", "tag": 7}}), "docker.io/library/redis:7")]
    #[case::default_tag(json!({"image": {"repository": "quay.io/m/c", "tag": ""}}), "quay.io/m/c:9.9.9")]
    fn value_shapes_render(#[case] values: Value, #[case] expected: &str) {
        let blocks = find_blocks(&values);
        assert_eq!(blocks.len(), 1, "{blocks:?}");
        assert_eq!(render(&values, &blocks[0], None, "9.9.9").as_deref(), Ok(expected));
    }

    #[test]
    fn global_registry_overrides_block_registry() {
        let values = json!({"image": {"registry": "quay.io", "repository": "a/b", "tag": "1"}});
        let blocks = find_blocks(&values);
        assert_eq!(render(&values, &blocks[0], Some("mirror.local:5000"), "").as_deref(), Ok("mirror.local:5000/a/b:1"));
    }

    #[test]
    fn enabled_false_on_an_ancestor_disables() {
        let values = json!({"resizer": {"enabled": false, "image": {"repository": "x"}}, "main": {"image": {"repository": "y"}}});
        assert!(disabled(&values, "resizer.image"));
        assert!(!disabled(&values, "main.image"));
    }
}
