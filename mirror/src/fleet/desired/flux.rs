//! The Flux objects a chart unit becomes: an `OCIRepository` for the chart as the mirror serves
//! it and a `HelmRelease` that installs it with the merged values.
//!
//! Both live in the bootstrap's namespace (`ferry-system`), where the registry credential
//! Secret is: an `OCIRepository`'s `secretRef` can only name a Secret of its own namespace.

use serde_json::{json, Map, Value};

use ferry_bundler::format::layout::media;
use ferry_bundler::format::profile_definition::ChartUnit;

use crate::fleet::FleetSettings;

/// Where the bootstrap puts Flux's objects for ferry, and so where these go too.
pub const FLUX_NAMESPACE: &str = "ferry-system";
/// The bootstrap's docker-registry Secret (the cluster's credential for the mirror).
pub const REGISTRY_SECRET: &str = "ferry-mirror-credentials";
/// The bootstrap's Secret holding the mirror's CA as `ca.crt`, when the mirror has one.
pub const CA_SECRET: &str = "ferry-mirror-ca";
/// How often Flux checks the chart source and the release.
const INTERVAL: &str = "10m";
/// Annotations saying which profile and layer an object comes from (for status and drift).
pub const PROFILE_ANNOTATION: &str = "fleet.ferry.dev/profile";
pub const LAYER_ANNOTATION: &str = "fleet.ferry.dev/layer";

pub struct Origin<'a> {
    /// `NAME@VERSION`.
    pub profile: &'a str,
    pub layer: &'a str,
}

fn metadata(name: &str, origin: &Origin<'_>) -> Value {
    json!({
        "name": name,
        "namespace": FLUX_NAMESPACE,
        "annotations": {
            PROFILE_ANNOTATION: origin.profile,
            LAYER_ANNOTATION: origin.layer,
        },
    })
}

/// The chart's source: the mirror's OCI chart at the unit's version, its chart layer copied
/// as it is (Helm's tar.gz), read with the cluster's mirror credential.
pub fn oci_repository(chart: &ChartUnit, settings: &FleetSettings, origin: &Origin<'_>) -> Value {
    let mut spec = json!({
        "interval": INTERVAL,
        "url": format!("oci://{}/{}", settings.mirror_host, chart.repository),
        "ref": {"tag": chart.version},
        "layerSelector": {"mediaType": media::HELM_CHART, "operation": "copy"},
        "secretRef": {"name": REGISTRY_SECRET},
    });
    if settings.mirror_ca_pem.is_some() {
        spec["certSecretRef"] = json!({"name": CA_SECRET});
    }
    json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "OCIRepository",
        "metadata": metadata(&chart.name, origin),
        "spec": spec,
    })
}

/// The release: named after the chart, installed into a namespace of the chart's name
/// (created if missing), with `values` (the unit's values with the layer's overrides merged).
pub fn helm_release(chart: &ChartUnit, values: Map<String, Value>, origin: &Origin<'_>) -> Value {
    json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": metadata(&chart.name, origin),
        "spec": {
            "interval": INTERVAL,
            "releaseName": chart.name,
            "targetNamespace": chart.name,
            "install": {"createNamespace": true},
            "chartRef": {"kind": "OCIRepository", "name": chart.name, "namespace": FLUX_NAMESPACE},
            "values": Value::Object(values),
        },
    })
}

/// `over` merged into `base` as Helm merges `-f` files: maps merge key by key, anything else
/// replaces, and a `null` removes the key.
pub fn deep_merge(base: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (_, Value::Null) => {
                base.remove(key);
            }
            (Some(Value::Object(b)), Value::Object(o)) => deep_merge(b, o),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Whether `name` can name a Kubernetes object and a Helm release (a DNS-1123 label; Helm
/// allows 53 characters).
pub fn is_release_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 53
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_merge_merges_maps_replaces_the_rest_and_null_removes() {
        let mut base = json!({"a": {"x": 1, "y": [1, 2]}, "b": 1, "c": 2})
            .as_object()
            .unwrap()
            .clone();
        let over = json!({"a": {"y": [3], "z": true}, "b": {"now": "map"}, "c": null});
        deep_merge(&mut base, over.as_object().unwrap());
        assert_eq!(
            Value::Object(base),
            json!({"a": {"x": 1, "y": [3], "z": true}, "b": {"now": "map"}})
        );
    }

    #[test]
    fn release_names_are_dns_labels() {
        assert!(is_release_name("podinfo"));
        for bad in ["", "-a", "a-", "Pod", "a_b", "a.b", &"x".repeat(54)] {
            assert!(!is_release_name(bad), "{bad}");
        }
    }
}
