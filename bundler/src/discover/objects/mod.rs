//! Images in the Kubernetes objects a chart renders to, read as parsed objects, never as
//! template text. In one object (a `List`'s items each on their own):
//! - every container of every pod spec — Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
//!   ReplicationController, Job, CronJob, any pod template (`spec.template.spec`: Argo Rollout,
//!   OpenKruise CloneSet, Knative Service) and pod specs CRDs embed (ECK `podTemplate`, Grafana
//!   `spec.deployment`, Prometheus `spec.containers` patches): `containers`, `initContainers`,
//!   `ephemeralContainers`, their `image`, the `*_IMAGE` env values and `--*image*=` arguments
//!   they pass on ([`pod_images`](super::pod_images)), and image volumes;
//! - the YAML or JSON config in ConfigMap `data` and Secret `stringData` and `data` (base64),
//!   parsed ([`embedded`](super::embedded));
//! - the image fields of the operators [`operators`] lists, and the images they compose
//!   (prometheus-operator `baseImage`, ECK defaults, IstioOperator `hub`/`tag`, CDI registry
//!   URLs);
//! - any other `image` field only when its value carries a tag, a digest or a registry host;
//! - objects embedded in others (Tekton TriggerTemplate `resourcetemplates`), each as an object.
//!
//! Tekton and Argo Workflows images written as parameters (`$(params.image)`,
//! `{{inputs.parameters.image}}`) are read through the parameter's one default.
//!
//! Policy objects (Kyverno, Gatekeeper, admission policies) and CRDs hold image patterns, not
//! images, and are not read; neither are `helm test` hooks, which never run on install.

mod composed;
mod fields;
mod operators;
mod parameters;
mod path;

use base64::Engine;
use serde_json::Value;

use super::collect::Collector;
use super::embedded::{config_values, dotted_images, embedded_images};
use super::options::KubeVersion;
use super::origin::Origin;
use super::reference::normalize_reference;
use composed::composed_images;
use operators::{holds_patterns, operator_for, Operator};
use parameters::Parameters;
use path::FieldPath;

/// Where a rendered object came from, for its images' origins.
#[derive(Debug, Clone, Copy)]
pub struct ObjectSource<'a> {
    /// The chart as the pipeline names it (`chart web 1.0.0`).
    pub chart: &'a str,
    /// The template that rendered the object (`templates/deployment.yaml`).
    pub file: &'a str,
    /// The Kubernetes version the chart was rendered for, shown in origins.
    pub kube_version: Option<&'a KubeVersion>,
    /// The caller knows the object is a `helm test` hook: nothing in it is deployed. Objects
    /// annotated `helm.sh/hook: test` are skipped without it too.
    pub helm_test: bool,
}

/// Finds the images of one rendered object; bad references become warnings naming the object,
/// the field and the value.
pub(crate) fn images_in_object(object: &Value, source: &ObjectSource, out: &mut Collector) {
    if source.helm_test {
        return;
    }
    read_object(object, source, None, out);
}

/// One object, or one embedded in another (`within`: the outer object and field, as origins
/// name it), such as a Tekton TriggerTemplate's `resourcetemplates`.
fn read_object(object: &Value, source: &ObjectSource, within: Option<&str>, out: &mut Collector) {
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind == "List" {
        let items = object.get("items").and_then(Value::as_array);
        for item in items.into_iter().flatten() {
            read_object(item, source, within, out);
        }
        return;
    }
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    // `apps/v1` has group `apps`; `v1` is the core group, ``.
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    if is_test_hook(object) || holds_patterns(group) {
        return;
    }
    let name = object_name(kind, object);
    let mut finder = Finder {
        source,
        object: match within {
            Some(outer) => format!("{outer} {name}"),
            None => name,
        },
        operator: operator_for(group, kind),
        parameters: Parameters::of(group, object),
        out,
    };
    match (group, kind) {
        ("", "ConfigMap" | "Secret") => finder.config(object),
        _ => finder.walk(object, &FieldPath::default()),
    }
    for image in composed_images(group, kind, object) {
        finder.report(&image.field, &image.raw);
    }
}

/// `Kind/name` (or the `generateName` prefix), as origins and warnings name the object.
fn object_name(kind: &str, object: &Value) -> String {
    let metadata = object.get("metadata");
    let name = ["name", "generateName"]
        .iter()
        .find_map(|k| metadata?.get(k)?.as_str())
        .unwrap_or("?");
    format!("{}/{name}", if kind.is_empty() { "?" } else { kind })
}

/// `helm.sh/hook: test` (or Helm 2's `test-success`/`test-failure`), alone or among others.
fn is_test_hook(object: &Value) -> bool {
    object
        .pointer("/metadata/annotations/helm.sh~1hook")
        .and_then(Value::as_str)
        .is_some_and(|hooks| hooks.split(',').any(|h| h.trim().starts_with("test")))
}

/// The walk's state: which object, which operator owns it, where images go.
pub(super) struct Finder<'a> {
    source: &'a ObjectSource<'a>,
    object: String,
    operator: Option<&'static Operator>,
    /// Workflow parameters images may be written as (`$(params.builder-image)`).
    parameters: Parameters,
    out: &'a mut Collector,
}

impl Finder<'_> {
    fn origin(&self, field: &str) -> Origin {
        let origin = Origin::rendered(self.source.chart, self.source.file, &self.object, field);
        match self.source.kube_version {
            Some(version) => origin.for_kubernetes(version),
            None => origin,
        }
    }

    /// An image `field` holds: reported as written, warned about (naming the object, the
    /// field and the value) when it is not a reference.
    fn report(&mut self, field: &str, raw: &str) {
        let origin = self.origin(field);
        let substituted = self.parameters.substitute(raw);
        match normalize_reference(substituted.as_deref().unwrap_or(raw)) {
            Ok(reference) => self.out.image(reference, origin),
            Err(e) => self
                .out
                .warn(origin.to_string(), format!("image not usable: {e}")),
        }
    }

    /// An object embedded in this one at `path`, read as an object of its own.
    fn embedded(&mut self, object: &Value, path: &FieldPath) {
        let within = format!("{} {path}", self.object);
        read_object(object, self.source, Some(&within), self.out);
    }

    /// ConfigMap `data`, Secret `stringData` and base64 `data` holding config.
    fn config(&mut self, object: &Value) {
        let mut entries: Vec<(String, String)> = config_values(object)
            .into_iter()
            .map(|(key, text)| (key, text.to_owned()))
            .collect();
        if object.get("kind").and_then(Value::as_str) == Some("Secret") {
            let data = object.get("data").and_then(Value::as_object);
            for (key, value) in data.into_iter().flatten() {
                let decoded = value
                    .as_str()
                    .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
                    .and_then(|bytes| String::from_utf8(bytes).ok());
                if let Some(text) = decoded {
                    entries.push((format!("data {key}"), text));
                }
            }
        }
        if object.get("kind").and_then(Value::as_str) == Some("ConfigMap") {
            let data = object.get("data").and_then(Value::as_object);
            for (prefix, raw) in data.map(dotted_images).unwrap_or_default() {
                let at = FieldPath::default().key("data").key(&format!("{prefix}.*"));
                self.report(&at.to_string(), &raw);
            }
        }
        let label = format!("{} {}", self.source.chart, self.source.file);
        for (key, text) in entries {
            let (field, name) = key.split_once(' ').unwrap_or((key.as_str(), ""));
            let at = FieldPath::default().key(field).key(name);
            for image in embedded_images(&label, &key, &text) {
                let at = match &image.via {
                    Some(via) => format!("{at} ({via})"),
                    None => at.to_string(),
                };
                self.report(&at, &image.raw);
            }
        }
    }
}

/// [`images_in_object`] for one object alone, as a [`super::Discovery`].
pub fn discover_object(object: &Value, source: &ObjectSource) -> super::Discovery {
    let mut out = Collector::default();
    images_in_object(object, source, &mut out);
    out.finish()
}
