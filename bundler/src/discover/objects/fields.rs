//! The walk over one object's fields. Container lists (`containers`, `initContainers`,
//! `ephemeralContainers`) wherever they appear are pod specs — of workloads, of pod templates
//! (`spec.template.spec`, `spec.jobTemplate.spec.template.spec`) and of CRDs embedding them —
//! and their `image`s count as written; so do image volumes (`volumes[].image.reference`) and
//! the image fields of [known operators](super::operators). Any other `image` field counts only
//! when its value is plainly a reference: a tag or digest, or a registry host.

use serde_json::{Map, Value};

use super::operators::Operator;
use super::path::FieldPath;
use super::Finder;
use crate::discover::embedded::composed;
use crate::discover::pod_images::{argument_images, env_images};
use crate::discover::reference::{looks_like_image, normalize_reference, ReferenceError};
use crate::format::host::names_a_registry;

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

impl Finder<'_> {
    pub(super) fn walk(&mut self, node: &Value, path: &FieldPath) {
        match node {
            // An object inside this one (not the object itself, at the root).
            Value::Object(_) if path != &FieldPath::default() && is_object(node) => {
                self.embedded(node, path)
            }
            Value::Object(map) => self.walk_map(map, path),
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.walk(item, &path.item(index, item_name(item)));
                }
            }
            _ => {}
        }
    }

    fn walk_map(&mut self, map: &Map<String, Value>, path: &FieldPath) {
        let holds_image = matches!(map.get("image"), Some(Value::String(_)));
        // A map with a name and an image is a container or a step: what is found in it is its own.
        let outer = self.container.clone();
        if let (Some(_), Some(name)) = (map.get("image"), item_name_of(map)) {
            self.container = Some(name.to_owned());
        }
        for (key, value) in map {
            let here = path.key(key);
            if matches!(key.as_str(), "metadata" | "status") || self.skipped(&here) {
                continue;
            }
            match (key.as_str(), value) {
                (list, Value::Array(items)) if CONTAINER_LISTS.contains(&list) => {
                    for (index, item) in items.iter().enumerate() {
                        self.container(item, &here.item(index, item_name(item)));
                    }
                }
                ("volumes", Value::Array(items)) => {
                    for (index, volume) in items.iter().enumerate() {
                        let at = here.item(index, item_name(volume));
                        if let Some(Value::String(raw)) = volume.pointer("/image/reference") {
                            let via = item_name(volume).map(|name| format!("volume {name}"));
                            let site = self.site(&at.key("image").key("reference"), via);
                            self.report(&site, raw);
                        }
                    }
                }
                (key, Value::String(raw)) if self.operator_image_key(key, path) => {
                    self.certain(&here, raw)
                }
                ("image", Value::String(raw)) => self.plausible(&here, raw),
                ("image", Value::Object(fields)) => {
                    if let Some(raw) = composed(fields) {
                        self.plausible(&here, &raw);
                    }
                }
                // Tekton steps, Argo `container`s: not in a container list, but containers.
                ("env" | "args" | "command", Value::Array(items)) if holds_image => {
                    self.passed(key, items, path)
                }
                _ => self.walk(value, &here),
            }
        }
        self.container = outer;
    }

    /// One container: its image as written, and the images it passes on in env and arguments.
    fn container(&mut self, container: &Value, path: &FieldPath) {
        let Value::Object(fields) = container else {
            return;
        };
        let outer = self.container.clone();
        if let Some(name) = item_name_of(fields) {
            self.container = Some(name.to_owned());
        }
        if let Some(Value::String(raw)) = fields.get("image") {
            self.certain(&path.key("image"), raw);
        }
        for key in ["env", "args", "command"] {
            if let Some(Value::Array(items)) = fields.get(key) {
                self.passed(key, items, path);
            }
        }
        self.container = outer;
    }

    /// `*_IMAGE` env values and image flags of the container at `path`.
    fn passed(&mut self, key: &str, items: &[Value], path: &FieldPath) {
        let list = path.key(key);
        if key == "env" {
            for (index, entry) in items.iter().enumerate() {
                let at = list.item(index, item_name(entry)).key("value");
                for image in env_images(std::slice::from_ref(entry)) {
                    let site = self.site(&at, Some(image.via));
                    self.report(&site, &image.raw);
                }
            }
            return;
        }
        for image in argument_images(items) {
            // The flag's own item, or the one after it (`--engine-image`, `ref`).
            let index = items
                .iter()
                .position(|a| a.as_str().is_some_and(|a| a.contains(image.raw.as_str())))
                .unwrap_or_default();
            let site = self.site(&list.index(index), Some(image.via));
            self.report(&site, &image.raw);
        }
    }

    fn operator(&self) -> Option<&'static Operator> {
        self.operator
    }

    fn operator_image_key(&self, key: &str, path: &FieldPath) -> bool {
        self.operator().is_some_and(|o| {
            let keys = path.keys();
            let in_data = keys.split('.').any(|k| o.data_keys.contains(&k));
            o.image_keys.contains(&key) && !in_data
        })
    }

    fn skipped(&self, path: &FieldPath) -> bool {
        let keys = path.keys();
        self.operator().is_some_and(|o| {
            o.skip
                .iter()
                .any(|s| keys == *s || keys.starts_with(&format!("{s}.")))
        })
    }

    /// An image field an operator or pod spec defines: reported as written, warned about when
    /// it is not a reference.
    fn certain(&mut self, path: &FieldPath, raw: &str) {
        let site = self.site(path, None);
        self.report(&site, raw);
    }

    /// An `image` field of an object ferry does not know: a reference only if it says so with
    /// a tag, a digest or a registry host (`spec.image: nginx` could be anything).
    fn plausible(&mut self, path: &FieldPath, raw: &str) {
        let raw = raw.trim();
        let on_registry = raw
            .split_once('/')
            .is_some_and(|(host, _)| names_a_registry(host))
            && !raw.contains("://");
        // `image: example.com/logo.png` is a picture.
        let picture = [".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp"]
            .iter()
            .any(|ext| raw.to_ascii_lowercase().ends_with(ext));
        let site = self.site(path, None);
        match normalize_reference(raw) {
            Ok(reference) if (looks_like_image(raw) || on_registry) && !picture => {
                let origin = self.origin(&site, raw);
                self.out.image(reference, origin);
            }
            // An unrendered template (`{{ .Values.db }}`, `${IMAGE}`) is most likely an image
            // no one can fetch as written: said, not dropped.
            Err(ReferenceError::Templated(_)) => self.report(&site, raw),
            _ => {}
        }
    }
}

/// A Kubernetes object: `apiVersion` and `kind`, and content (`scaleTargetRef` and other
/// references carry the first two alone).
fn is_object(node: &Value) -> bool {
    let text = |key| node.get(key).is_some_and(Value::is_string);
    let content = ["spec", "data", "stringData", "template", "items"]
        .iter()
        .any(|key| node.get(key).is_some());
    text("apiVersion") && text("kind") && content
}

fn item_name(item: &Value) -> Option<&str> {
    item.get("name").and_then(Value::as_str)
}

fn item_name_of(map: &Map<String, Value>) -> Option<&str> {
    map.get("name").and_then(Value::as_str)
}
