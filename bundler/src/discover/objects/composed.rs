//! Images operators compose rather than read from one field: prometheus-operator's deprecated
//! `baseImage`, ECK's default images, IstioOperator's `hub`/`tag`, and CDI's registry imports.

use serde_json::Value;

use super::operators::group_matches;
use super::path::FieldPath;
use crate::discover::values::scalar_string;

/// An image composed from several fields, and which fields.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Composed {
    pub field: String,
    pub raw: String,
}

/// Images operators compose rather than read from one field.
pub(crate) fn composed_images(group: &str, kind: &str, object: &Value) -> Vec<Composed> {
    let mut found = Vec::new();
    let spec = object.get("spec").unwrap_or(&Value::Null);
    match group {
        "monitoring.coreos.com" => {
            found.extend(base_image(spec, "spec"));
            if let Some(thanos) = spec.get("thanos") {
                found.extend(base_image(thanos, "spec.thanos"));
            }
        }
        "install.istio.io" if kind == "IstioOperator" => found.extend(istio_images(spec)),
        "kubevirt.io" | "cdi.kubevirt.io" | "pool.kubevirt.io" => {
            registry_urls(object, &FieldPath::default(), &mut found)
        }
        _ if group_matches(".k8s.elastic.co", group) => found.extend(eck_default(kind, spec)),
        _ => {}
    }
    found
}

fn text(node: &Value, key: &str) -> Option<String> {
    node.get(key)
        .and_then(scalar_string)
        .filter(|s| !s.trim().is_empty())
}

/// prometheus-operator's deprecated `baseImage` with `sha`, `tag` or `version`, used when
/// `image` is not set.
fn base_image(spec: &Value, at: &str) -> Option<Composed> {
    if text(spec, "image").is_some() {
        return None;
    }
    let base = text(spec, "baseImage")?;
    let (field, raw) = if let Some(sha) = text(spec, "sha") {
        ("sha", format!("{base}@sha256:{sha}"))
    } else if let Some(tag) = text(spec, "tag") {
        ("tag", format!("{base}:{tag}"))
    } else {
        ("version", format!("{base}:{}", text(spec, "version")?))
    };
    Some(Composed {
        field: format!("{at}.baseImage+{at}.{field}"),
        raw,
    })
}

/// ECK's default image for a resource that names only its `version`: `docker.elastic.co/<path>:
/// <version>` (the operator's `--container-registry` default), with ECK's exceptions: Agent's
/// repository before 9.0, the Maps server's UBI suffix before 8.16.0, and the package
/// registry's `lite-` tags (never older than 8.15.1).
fn eck_default(kind: &str, spec: &Value) -> Option<Composed> {
    if text(spec, "image").is_some() {
        return None;
    }
    let version = text(spec, "version")?;
    let parsed = semver::Version::parse(&version).ok()?;
    let beat;
    let path = match kind {
        "Elasticsearch" => "elasticsearch/elasticsearch",
        "Kibana" => "kibana/kibana",
        "ApmServer" => "apm/apm-server",
        "EnterpriseSearch" => "enterprise-search/enterprise-search",
        "Logstash" => "logstash/logstash",
        "Agent" if parsed.major < 9 => "beats/elastic-agent",
        "Agent" => "elastic-agent/elastic-agent",
        "ElasticMapsServer" => "elastic-maps-service/elastic-maps-server",
        "AutoOpsAgentPolicy" => "elastic-agent/elastic-otel-collector",
        "PackageRegistry" => "package-registry/distribution",
        "Beat" => {
            let kind = text(spec, "type")?;
            let known = [
                "filebeat",
                "metricbeat",
                "heartbeat",
                "auditbeat",
                "journalbeat",
                "packetbeat",
            ];
            beat = format!("beats/{}", known.iter().find(|k| **k == kind)?);
            &beat
        }
        _ => return None,
    };
    let raw = match kind {
        "ElasticMapsServer" => {
            format!("docker.elastic.co/{path}{}:{version}", maps_suffix(&parsed))
        }
        "PackageRegistry" if parsed < semver::Version::new(8, 15, 1) => {
            format!("docker.elastic.co/{path}:lite-8.15.1")
        }
        "PackageRegistry" => format!("docker.elastic.co/{path}:lite-{version}"),
        _ => format!("docker.elastic.co/{path}:{version}"),
    };
    Some(Composed {
        field: "spec.version (ECK default image)".into(),
        raw,
    })
}

fn maps_suffix(v: &semver::Version) -> &'static str {
    let at_least = |major, minor, patch| *v >= semver::Version::new(major, minor, patch);
    match (v.major, v.minor) {
        _ if at_least(8, 16, 0) => "",
        (7, _) if !at_least(7, 17, 16) => "-ubi8",
        (8, _) if !at_least(8, 12, 0) => "-ubi8",
        _ => "-ubi",
    }
}

/// IstioOperator `hub` + `tag`: istiod (`pilot`) unless switched off, the proxy every sidecar
/// and gateway runs (`proxyv2`), and the CNI node agent and ztunnel when enabled or the
/// `ambient` profile is used. `values.global.variant` (`distroless`) suffixes the tag.
fn istio_images(spec: &Value) -> Vec<Composed> {
    let (Some(hub), Some(tag)) = (text(spec, "hub"), text(spec, "tag")) else {
        return Vec::new();
    };
    let tag = match spec
        .pointer("/values/global/variant")
        .and_then(scalar_string)
    {
        Some(variant) if !variant.is_empty() => format!("{tag}-{variant}"),
        _ => tag,
    };
    let profile = text(spec, "profile").unwrap_or_default();
    let enabled = |component: &str| {
        spec.pointer(&format!("/components/{component}/enabled"))
            .and_then(Value::as_bool)
    };
    let image_name = |pointer: &str, default: &str| {
        spec.pointer(pointer)
            .and_then(scalar_string)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    let ambient = profile == "ambient";
    let mut images = Vec::new();
    if enabled("pilot") != Some(false) && !matches!(profile.as_str(), "empty" | "remote") {
        images.push(image_name("/values/pilot/image", "pilot"));
    }
    images.push(image_name("/values/global/proxy/image", "proxyv2"));
    if enabled("cni").unwrap_or(ambient) {
        images.push(image_name("/values/cni/image", "install-cni"));
    }
    if enabled("ztunnel").unwrap_or(ambient) {
        images.push(image_name("/values/ztunnel/image", "ztunnel"));
    }
    images
        .into_iter()
        .map(|name| Composed {
            field: format!("spec.hub+spec.tag ({name})"),
            // A name with a slash is a whole reference, as Istio's charts read it.
            raw: match name.contains('/') {
                true => name,
                false => format!("{}/{name}:{tag}", hub.trim_end_matches('/')),
            },
        })
        .collect()
}

/// CDI registry imports (`source.registry.url: docker://quay.io/containerdisks/fedora:40`).
fn registry_urls(node: &Value, path: &FieldPath, found: &mut Vec<Composed>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                let here = path.key(key);
                let url = value.get("url").and_then(Value::as_str);
                match url.and_then(|u| u.strip_prefix("docker://")) {
                    Some(raw) if key == "registry" => found.push(Composed {
                        field: here.key("url").to_string(),
                        raw: raw.to_owned(),
                    }),
                    _ => registry_urls(value, &here, found),
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                registry_urls(item, &path.index(index), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::old_7("7.17.10", "-ubi8")]
    #[case::new_7("7.17.16", "-ubi")]
    #[case::old_8("8.11.4", "-ubi8")]
    #[case::mid_8("8.15.0", "-ubi")]
    #[case::multi_arch("8.16.0", "")]
    #[case::nine("9.0.0", "")]
    fn maps_server_suffix_follows_eck(#[case] version: &str, #[case] suffix: &str) {
        let version = semver::Version::parse(version).expect("version");
        assert_eq!(maps_suffix(&version), suffix);
    }
}
