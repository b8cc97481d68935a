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
            // The values root is never itself an image block, whatever keys it has.
            if !path.is_empty() && is_map_block(map, key) {
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
            let image_key = key.is_some_and(is_image_key);
            if image_key
                && !s.trim().is_empty()
                && (s.contains("{{") || normalize_reference(s).is_ok())
            {
                found.push(Block::Scalar(path.to_owned()));
            }
        }
        _ => {}
    }
}

fn non_empty_str(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(scalar_string)
        .filter(|s| !s.trim().is_empty())
}

fn is_map_block(map: &Map<String, Value>, key: Option<&str>) -> bool {
    let non_empty = |k: &str| matches!(map.get(k), Some(Value::String(s)) if !s.trim().is_empty());
    let has_version_parts =
        map.contains_key("registry") || map.contains_key("tag") || map.contains_key("digest");
    // `image: {name: ..., tag: ...}` only under an image-ish key: `name` alone means many things.
    let image_key = key.is_some_and(is_image_key);
    non_empty("repository")
        || (non_empty("image") && has_version_parts)
        || (image_key && non_empty("name") && has_version_parts)
}

fn is_image_key(key: &str) -> bool {
    key == "image" || key.to_ascii_lowercase().ends_with("image")
}

/// True when the block or an enclosing subtree has `enabled: false`.
pub(crate) fn disabled(values: &Value, path: &str) -> bool {
    let segments: Vec<&str> = if path.is_empty() {
        Vec::new()
    } else {
        path.split('.').collect()
    };
    (0..=segments.len()).any(|n| {
        let prefix = segments[..n].join(".");
        matches!(lookup(values, &prefix), Some(Value::Object(m)) if m.get("enabled").is_some_and(|e| !truthy(e)))
    })
}

/// Renders a block to a normalised reference. `default_tag` is used when the block has no tag.
pub(crate) fn render(
    values: &Value,
    block: &Block,
    global_registry: Option<&str>,
    default_tag: &str,
) -> Result<String, String> {
    let node = lookup(values, block.path()).ok_or("block vanished")?;
    let raw = match (block, node) {
        (Block::Scalar(path), Value::String(s)) => with_sibling_tag(values, path, s.trim()),
        (Block::Map(_), Value::Object(map)) => render_map(map, global_registry, default_tag)?,
        _ => return Err("unexpected value shape".into()),
    };
    let raw = if raw.contains("{{") {
        substitute(values, &raw)
    } else {
        raw
    };
    normalize_reference(&raw).map_err(|e| e.to_string())
}

/// `image: repo` with a sibling `imageTag: 1.2` (or `tag:`) renders as `repo:1.2`.
fn with_sibling_tag(values: &Value, path: &str, image: &str) -> String {
    let has_tag = image.contains('@')
        || image
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'));
    if has_tag {
        return image.to_owned();
    }
    let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
    let siblings = [format!("{key}Tag"), format!("{key}_tag"), "tag".to_owned()];
    let tag = siblings.iter().find_map(|k| {
        lookup(values, &join_path(parent, k))
            .and_then(scalar_string)
            .filter(|t| !t.trim().is_empty())
    });
    match tag {
        Some(tag) => format!("{image}:{tag}"),
        None => image.to_owned(),
    }
}

/// Resolves `{{ .Values.a.b }}` inside a value the chart passes through `tpl`; anything more
/// complex stays and makes the reference unusable (reported as a warning).
fn substitute(values: &Value, raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}").map(|c| open + c) else {
            break;
        };
        out.push_str(&rest[..open]);
        let expr = rest[open + 2..close].trim_matches(|c: char| c == '-' || c.is_whitespace());
        let resolved = expr
            .strip_prefix(".Values.")
            .or_else(|| expr.strip_prefix("$.Values."))
            .and_then(|path| lookup(values, path))
            .and_then(scalar_string);
        match resolved {
            Some(value) => out.push_str(&value),
            None => out.push_str(&rest[open..close + 2]),
        }
        rest = &rest[close + 2..];
    }
    out.push_str(rest);
    out
}

fn render_map(
    map: &Map<String, Value>,
    global_registry: Option<&str>,
    default_tag: &str,
) -> Result<String, String> {
    let repository = non_empty_str(map, "repository")
        .or_else(|| non_empty_str(map, "image"))
        .or_else(|| non_empty_str(map, "name"))
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
    let repo_has_tag = repository
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':'))
        || repository.contains('@');
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
        non_empty_str(map, "sha").map(|s| {
            if s.contains(':') {
                s
            } else {
                format!("sha256:{s}")
            }
        })
    });
    // Cilium-style `useDigest: false` keeps the digest in values but does not print it.
    let digest = digest.filter(|_| map.get("useDigest").is_none_or(truthy));
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
        assert_eq!(
            render(&values, &blocks[0], None, "9.9.9").as_deref(),
            Ok(expected)
        );
    }

    #[rstest]
    #[case::sibling_image_tag(json!({"image": "docker.elastic.co/es/es", "imageTag": "8.5.1"}), "docker.elastic.co/es/es:8.5.1")]
    #[case::name_key(json!({"image": {"registry": "quay.io", "name": "a/b", "tag": "2"}}), "quay.io/a/b:2")]
    #[case::tpl_value(json!({"registry": "ghcr.io", "image": "{{ .Values.registry }}/a/b:1"}), "ghcr.io/a/b:1")]
    #[case::grafana_sha(json!({"image": {"registry": "docker.io", "repository": "grafana/grafana", "tag": "12.1.1", "sha": "b".repeat(64)}}), &format!("docker.io/grafana/grafana:12.1.1@sha256:{}", "b".repeat(64)))]
    fn less_common_shapes_render(#[case] values: Value, #[case] expected: &str) {
        let blocks = find_blocks(&values);
        let block = blocks
            .iter()
            .find(|b| b.path() == "image")
            .expect("image block");
        assert_eq!(render(&values, block, None, "").as_deref(), Ok(expected));
    }

    #[test]
    fn global_registry_overrides_block_registry() {
        let values = json!({"image": {"registry": "quay.io", "repository": "a/b", "tag": "1"}});
        let blocks = find_blocks(&values);
        assert_eq!(
            render(&values, &blocks[0], Some("mirror.local:5000"), "").as_deref(),
            Ok("mirror.local:5000/a/b:1")
        );
    }

    #[test]
    fn enabled_false_on_an_ancestor_disables() {
        let values = json!({"resizer": {"enabled": false, "image": {"repository": "x"}}, "main": {"image": {"repository": "y"}}});
        assert!(disabled(&values, "resizer.image"));
        assert!(!disabled(&values, "main.image"));
    }
}
