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
//!
//! The same reading serves a chart's rendered objects and plain manifests; only how origins
//! name the place differs ([`Naming`]): a rendered object's field path, or a manifest's file
//! and line with the container and the variable or flag.

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
use crate::render::is_test_hook;
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

/// Where in an object an image was found, for [`Naming`] to word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Site {
    /// The field path: `spec.template.spec.containers{app}.env{DB_IMAGE}.value`.
    pub field: String,
    /// The container (or step) the field belongs to: `app`.
    pub container: Option<String>,
    /// What holds or passes the image on, in manifests' words: `env DB_IMAGE`,
    /// `arg --sidecar-image`, `data config.yaml`.
    pub via: Option<String>,
    /// Composed from config the object carries (ConfigMap `data`, Secret `stringData`): no
    /// line of the object's text holds the image as written.
    pub in_config: bool,
}

/// How origins name the place an image was found in.
pub(crate) trait Naming {
    /// The origin of `raw`, found at `site` in `object` (`Kind/name`).
    fn origin(&self, object: &str, site: &Site, raw: &str) -> Origin;
    /// The object's file, as failures to parse the config it carries would name it.
    fn label(&self) -> String;
    /// Whether the caller knows the object is a `helm test` hook (never deployed).
    fn helm_test(&self) -> bool {
        false
    }
}

/// A rendered object's images are named by chart, template, object and field path.
impl Naming for ObjectSource<'_> {
    fn origin(&self, object: &str, site: &Site, _raw: &str) -> Origin {
        let origin = Origin::rendered(self.chart, self.file, object, &site.field);
        match self.kube_version {
            Some(version) => origin.for_kubernetes(version),
            None => origin,
        }
    }

    fn label(&self) -> String {
        format!("{} {}", self.chart, self.file)
    }

    fn helm_test(&self) -> bool {
        self.helm_test
    }
}

/// Finds the images of one object (rendered, or a manifest's document); bad references become
/// warnings naming the object, the field and the value.
pub(crate) fn images_in_object(object: &Value, naming: &dyn Naming, out: &mut Collector) {
    if naming.helm_test() {
        return;
    }
    read_object(object, naming, None, out);
}

/// One object, or one embedded in another (`within`: the outer object and field, as origins
/// name it), such as a Tekton TriggerTemplate's `resourcetemplates`.
fn read_object(object: &Value, naming: &dyn Naming, within: Option<&str>, out: &mut Collector) {
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind == "List" {
        let items = object.get("items").and_then(Value::as_array);
        for item in items.into_iter().flatten() {
            read_object(item, naming, within, out);
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
        naming,
        container: None,
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
        let site = Site {
            field: image.field.clone(),
            container: None,
            via: Some(image.field),
            in_config: false,
        };
        finder.report(&site, &image.raw);
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

/// The walk's state: which object, which operator owns it, where images go.
pub(super) struct Finder<'a> {
    naming: &'a dyn Naming,
    object: String,
    /// The container (or step: a map with a `name` and an `image`) the walk is in.
    container: Option<String>,
    operator: Option<&'static Operator>,
    /// Workflow parameters images may be written as (`$(params.builder-image)`).
    parameters: Parameters,
    out: &'a mut Collector,
}

impl Finder<'_> {
    fn origin(&self, site: &Site, raw: &str) -> Origin {
        self.naming.origin(&self.object, site, raw)
    }

    /// `path` in the container the walk is in, held or passed on by `via`.
    fn site(&self, path: &FieldPath, via: Option<String>) -> Site {
        Site {
            field: path.to_string(),
            container: self.container.clone(),
            via,
            in_config: false,
        }
    }

    /// An image `site` holds: reported as written, warned about (naming the object, the
    /// field and the value) when it is not a reference.
    fn report(&mut self, site: &Site, raw: &str) {
        let origin = self.origin(site, raw);
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
        read_object(object, self.naming, Some(&within), self.out);
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
                let keys = format!("{prefix}.*");
                let site = Site {
                    field: FieldPath::default().key("data").key(&keys).to_string(),
                    container: None,
                    via: Some(format!("data {keys}")),
                    in_config: true,
                };
                self.report(&site, &raw);
            }
        }
        let label = self.naming.label();
        for (key, text) in entries {
            let (field, name) = key.split_once(' ').unwrap_or((key.as_str(), ""));
            let at = FieldPath::default().key(field).key(name);
            for image in embedded_images(&label, &key, &text) {
                let site = Site {
                    field: match &image.via {
                        Some(via) => format!("{at} ({via})"),
                        None => at.to_string(),
                    },
                    container: None,
                    via: Some(match &image.via {
                        Some(via) => format!("{key} {via}"),
                        None => key.clone(),
                    }),
                    in_config: true,
                };
                self.report(&site, &image.raw);
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
