//! Images in plain Kubernetes manifests: every `image:` field (pod specs of all workload kinds,
//! init and ephemeral containers, custom resources), and the images containers pass on in env
//! values and arguments (see [`super::pod_images`]), and the YAML or JSON config ConfigMaps and
//! Secrets carry (see [`super::embedded`]).

use serde_json::Value;

use super::collect::Collector;
use super::embedded::{config_values, dotted_images, embedded_images};
use super::origin::Origin;
use super::pod_images::{argument_images, env_images, PassedImage};
use super::reference::normalize_reference;
use super::values::parse_yaml;

/// One YAML document of a multi-document stream with the line it starts on.
struct Document<'a> {
    text: &'a str,
    first_line: usize,
}

fn split_documents(yaml: &str) -> Vec<Document<'_>> {
    let mut docs = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1usize;
    let mut offset = 0usize;
    for (index, line) in yaml.split_inclusive('\n').enumerate() {
        if line.starts_with("---") {
            docs.push(Document {
                text: &yaml[start..offset],
                first_line: start_line,
            });
            start = offset + line.len();
            start_line = index + 2;
        }
        offset += line.len();
    }
    docs.push(Document {
        text: &yaml[start..],
        first_line: start_line,
    });
    docs
}

/// `source` is the pack the manifests are in, if any; `file` their path (or another label).
pub(crate) fn discover(source: Option<&str>, file: &str, yaml: &str, out: &mut Collector) {
    let name = match source {
        Some(source) => format!("{source} {file}"),
        None => file.to_owned(),
    };
    for doc in split_documents(yaml) {
        if doc.text.trim().is_empty() {
            continue;
        }
        let location = format!("manifests {name}:{}", doc.first_line);
        let document = format!("document from line {}", doc.first_line);
        let value = match parse_yaml(&format!("manifests {name}"), &document, doc.text) {
            Ok(v) => v,
            Err(e) => {
                out.warn(location, format!("not parseable YAML: {e}"));
                continue;
            }
        };
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("?");
        let object = value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let mut finder = LineFinder {
            doc: &doc,
            used: Vec::new(),
        };
        let mut found = Vec::new();
        collect(&value, None, &mut found);
        for hit in found {
            let line = finder.line_of(&hit.raw);
            let mut object = format!("{kind}/{object}");
            if let Some(container) = &hit.container {
                object.push_str(&format!(" container {container}"));
            }
            if let Some(via) = &hit.via {
                object.push_str(&format!(" {via}"));
            }
            let origin = Origin::manifest(source, file, line, object);
            match normalize_reference(&hit.raw) {
                Ok(reference) => out.image(reference, origin),
                Err(e) => out.warn(origin.to_string(), format!("image not usable: {e}")),
            }
        }
        // Config an operator reads from a ConfigMap or Secret is found where the object starts.
        if kind == "ConfigMap" {
            let data = value.get("data").and_then(serde_json::Value::as_object);
            for (prefix, raw) in data.map(dotted_images).unwrap_or_default() {
                let object = format!("{kind}/{object} data {prefix}.*");
                let origin = Origin::manifest(source, file, doc.first_line, object);
                match normalize_reference(&raw) {
                    Ok(reference) => out.image(reference, origin),
                    Err(e) => out.warn(origin.to_string(), format!("image not usable: {e}")),
                }
            }
        }
        for (key, text) in config_values(&value) {
            for image in embedded_images(&format!("manifests {name}"), &key, text) {
                let mut object = format!("{kind}/{object} {key}");
                if let Some(via) = &image.via {
                    object.push_str(&format!(" {via}"));
                }
                let origin = Origin::manifest(source, file, doc.first_line, object);
                match normalize_reference(&image.raw) {
                    Ok(reference) => out.image(reference, origin),
                    Err(e) => out.warn(origin.to_string(), format!("image not usable: {e}")),
                }
            }
        }
    }
}

struct Hit {
    raw: String,
    container: Option<String>,
    /// The env variable or argument that passed the image on (`env RELATED_IMAGE_DB`).
    via: Option<String>,
}

fn passed(images: Vec<PassedImage>, container: Option<&str>, found: &mut Vec<Hit>) {
    found.extend(images.into_iter().map(|image| Hit {
        raw: image.raw,
        container: container.map(str::to_owned),
        via: Some(image.via),
    }));
}

fn collect(node: &Value, container: Option<&str>, found: &mut Vec<Hit>) {
    match node {
        Value::Object(map) => {
            let here = map
                .get("name")
                .and_then(Value::as_str)
                .filter(|_| map.contains_key("image"))
                .or(container);
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("image", Value::String(s)) => found.push(Hit {
                        raw: s.clone(),
                        container: here.map(str::to_owned),
                        via: None,
                    }),
                    ("args" | "command", Value::Array(items)) => {
                        passed(argument_images(items), here, found);
                    }
                    ("env", Value::Array(items)) => passed(env_images(items), here, found),
                    _ => collect(value, here, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, container, found)),
        _ => {}
    }
}

/// Maps a found value back to a source line; each line is used once so repeated images get
/// their own lines.
struct LineFinder<'a> {
    doc: &'a Document<'a>,
    used: Vec<usize>,
}

impl LineFinder<'_> {
    fn line_of(&mut self, raw: &str) -> usize {
        for (index, line) in self.doc.text.lines().enumerate() {
            let number = self.doc.first_line + index;
            if line.contains(raw) && !self.used.contains(&number) {
                self.used.push(number);
                return number;
            }
        }
        self.doc.first_line
    }
}
