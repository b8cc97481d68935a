//! Images a container hands on to what it runs, rather than runs itself: operators name their
//! operands in `*IMAGE*` environment variables (one reference, or a `version=image,...` map)
//! and in image flags of `args`/`command` (`--sidecar-image=ref`, `--engine-image ref`).

use serde_json::Value;

use super::reference::looks_like_image;
use crate::format::host::names_a_registry;

/// A reference found in a container's env or arguments, and which variable or flag held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PassedImage {
    pub raw: String,
    /// `env NAME` or `arg --flag`, for the origin.
    pub via: String,
}

/// Images in the `value` of env entries whose name says image: a word `IMAGE`/`IMAGES` or a
/// name ending in `IMAGE` (`RELATED_IMAGE_DB`, `SIDECARIMAGE`), but not pull settings
/// (`IMAGE_PULL_POLICY`, `IMAGE_PULL_SECRET`).
pub(crate) fn env_images(env: &[Value]) -> Vec<PassedImage> {
    let mut found = Vec::new();
    for entry in env {
        let Some(name) = entry.get("name").and_then(Value::as_str) else {
            continue;
        };
        let Some(value) = entry.get("value").and_then(Value::as_str) else {
            continue;
        };
        if !names_an_image(name) {
            continue;
        }
        for raw in env_value_images(value) {
            found.push(PassedImage {
                raw: raw.to_owned(),
                via: format!("env {name}"),
            });
        }
    }
    found
}

fn names_an_image(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    // `imageRef` (trivy-operator's `node.collector.imageRef`) names a whole reference too.
    let says_image = upper.ends_with("IMAGE")
        || words
            .iter()
            .any(|w| matches!(*w, "IMAGE" | "IMAGES" | "IMAGEREF"));
    let pull_setting = words
        .iter()
        .any(|w| matches!(*w, "PULL" | "POLICY" | "SECRET" | "SECRETS"));
    says_image && !pull_setting
}

/// Whether a template line `- name: X` starts an env entry whose name says image.
pub(crate) fn env_entry_names_image(line: &str) -> bool {
    line.trim()
        .strip_prefix("- ")
        .and_then(|t| t.trim_start().strip_prefix("name:"))
        .map(|name| name.trim().trim_matches(['"', '\'']))
        .is_some_and(names_an_image)
}

/// The value a template line `value: x` sets, without quotes or a trailing comment.
pub(crate) fn env_entry_value(line: &str) -> Option<&str> {
    let value = line.trim().strip_prefix("value:")?;
    let value = value.split(" #").next().unwrap_or(value).trim();
    Some(value.trim_matches(['"', '\'']).trim())
}

/// Whether a template line `- --x-image` is an image flag whose value is the next list item.
pub(crate) fn lone_image_flag(line: &str) -> bool {
    list_item_value(line).is_some_and(|flag| {
        flag.starts_with('-') && !flag.contains('=') && flag.to_ascii_lowercase().contains("image")
    })
}

/// The item a template line `- x` lists, without quotes.
pub(crate) fn list_item_value(line: &str) -> Option<&str> {
    let item = line.trim().strip_prefix("- ")?.trim();
    Some(item.trim_matches(['"', '\'']).trim())
}

/// One reference, or every image of a `version=image` map (`15=repo/pg:15,16=repo/pg:16`).
pub(crate) fn env_value_images(value: &str) -> Vec<&str> {
    let value = value.trim();
    if looks_like_image(value) {
        return vec![value];
    }
    let entries: Vec<Option<&str>> = value
        .split(',')
        .map(|entry| entry.split_once('=').map(|(_, image)| image.trim()))
        .collect();
    // Only a well-formed map counts: every entry `key=image`.
    match entries.into_iter().collect::<Option<Vec<&str>>>() {
        Some(images) if images.iter().all(|i| looks_like_image(i)) => images,
        _ => Vec::new(),
    }
}

/// Images in `args`/`command`: `--flag=ref` and `--flag ref` when the flag's name contains
/// `image`, and `--flag=ref` for any flag when `ref` is a tagged reference on a named registry
/// (`--prometheus-config-reloader=quay.io/...:v0.75.0`).
pub(crate) fn argument_images(items: &[Value]) -> Vec<PassedImage> {
    let args: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
    let mut found = Vec::new();
    let mut index = 0;
    while index < args.len() {
        let arg = args[index].trim();
        index += 1;
        let Some(flag_text) = arg.strip_prefix('-') else {
            continue;
        };
        let flag_text = flag_text.trim_start_matches('-');
        let (flag, value) = match flag_text.split_once('=') {
            Some((flag, value)) => (flag, Some(value.trim_matches(['"', '\'']))),
            None => (flag_text, None),
        };
        let image_flag = flag.to_ascii_lowercase().contains("image");
        let dashes = &arg[..arg.len() - flag_text.len()];
        let raw = match value {
            Some(value) if image_flag || on_named_registry(value) => Some(value),
            Some(_) => None,
            // A lone image flag takes the next element, unless that is another flag.
            None if image_flag => args
                .get(index)
                .map(|next| next.trim())
                .filter(|next| !next.starts_with('-') && looks_like_image(next))
                .inspect(|_| index += 1),
            None => None,
        };
        if let Some(raw) = raw.filter(|r| looks_like_image(r)) {
            found.push(PassedImage {
                raw: raw.to_owned(),
                via: format!("arg {dashes}{flag}"),
            });
        }
    }
    found
}

fn on_named_registry(value: &str) -> bool {
    value
        .split_once('/')
        .is_some_and(|(first, _)| names_a_registry(first))
        && looks_like_image(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case::related_image("RELATED_IMAGE_DB", "quay.io/a/db:1.0", &["quay.io/a/db:1.0"])]
    #[case::suffix_without_separator("SIDECARIMAGE", "a/side:2", &["a/side:2"])]
    #[case::version_map("PG_IMAGES", "15=r.io/pg:15, 16=r.io/pg:16", &["r.io/pg:15", "r.io/pg:16"])]
    #[case::pull_policy("IMAGE_PULL_POLICY", "Always", &[])]
    #[case::pull_secret_that_looks_tagged("DEFAULT_IMAGE_PULL_SECRET", "a/b:1", &[])]
    #[case::not_an_image_name("LOG_LEVEL", "a/b:1", &[])]
    #[case::untagged("WORKER_IMAGE", "acme/worker", &[])]
    #[case::empty("WORKER_IMAGE", "", &[])]
    #[case::template_leftover("WORKER_IMAGE", "{{ .Values.worker }}:1", &[])]
    #[case::shell_variable("WORKER_IMAGE", "${REGISTRY}/worker:1", &[])]
    #[case::spaces("WORKER_IMAGE", "acme/worker:1 acme/other:2", &[])]
    #[case::map_with_a_bad_entry("PG_IMAGES", "15=r.io/pg:15,16=latest please", &[])]
    #[case::map_entry_without_key("PG_IMAGES", "15=r.io/pg:15,r.io/pg:16", &[])]
    fn env_values(#[case] name: &str, #[case] value: &str, #[case] expected: &[&str]) {
        let found = env_images(&[json!({ "name": name, "value": value })]);
        let raws: Vec<&str> = found.iter().map(|f| f.raw.as_str()).collect();
        assert_eq!(raws, expected);
    }

    #[rstest]
    #[case::env_name("- name: CSI_ATTACHER_IMAGE", true, false)]
    #[case::quoted_env_name("  - name: \"RELATED_IMAGE_DB\"", true, false)]
    #[case::pull_policy_name("- name: IMAGE_PULL_POLICY", false, false)]
    #[case::lone_flag("- --engine-image", false, true)]
    #[case::quoted_lone_flag("- \"--engine-image\"", false, true)]
    #[case::flag_with_value("- --engine-image=a/e:1", false, false)]
    #[case::other_flag("- --service-account", false, false)]
    #[case::image_key("image: a/e:1", false, false)]
    fn template_lines(#[case] line: &str, #[case] env: bool, #[case] flag: bool) {
        assert_eq!(env_entry_names_image(line), env);
        assert_eq!(lone_image_flag(line), flag);
    }

    #[rstest]
    #[case::flag_equals(&["--engine-image=a/e:1"], &["a/e:1"])]
    #[case::single_dash(&["-image=a/e:1"], &["a/e:1"])]
    #[case::quoted_value(&["--image='a/e:1'"], &["a/e:1"])]
    #[case::lone_flag(&["--engine-image", "a/e:1"], &["a/e:1"])]
    #[case::lone_flag_then_flag(&["--engine-image", "--x=a/e:1"], &[])]
    #[case::lone_flag_at_end(&["--engine-image"], &[])]
    #[case::registry_value_any_flag(&["--reloader=quay.io/r/r:v1"], &["quay.io/r/r:v1"])]
    #[case::hub_value_other_flag(&["--worker=acme/w:1"], &[])]
    #[case::listen_address(&["--listen=0.0.0.0:8080"], &[])]
    #[case::pull_policy_flag(&["--image-pull-policy=Always"], &[])]
    #[case::positional(&["acme/w:1"], &[])]
    #[case::templated(&["--image={{ .Values.x }}"], &[])]
    fn arguments(#[case] args: &[&str], #[case] expected: &[&str]) {
        let items: Vec<Value> = args.iter().map(|a| json!(a)).collect();
        let found = argument_images(&items);
        let raws: Vec<&str> = found.iter().map(|f| f.raw.as_str()).collect();
        assert_eq!(raws, expected);
    }
}
