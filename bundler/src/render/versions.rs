//! Version ranges as Helm checks them (`chartutil.IsCompatibleRange`, Masterminds semver):
//! a chart's `kubeVersion` against the cluster's version, a dependency's `version` against
//! the vendored chart's. Evaluated with the template engine's own `semverCompare`, so the
//! constraint grammar is exactly the one charts' templates see.

use ferry_gotmpl::{FuncError, FuncMap, Runtime, Value};

use super::chart_load::Chart;

/// A runtime for calling a function outside any template.
struct NoTemplates;

impl Runtime for NoTemplates {
    fn include(&mut self, name: &str, _data: &Value) -> Result<String, FuncError> {
        Err(FuncError::new(format!(
            "no template {name:?} outside a template"
        )))
    }

    fn tpl(&mut self, _text: &str, _data: &Value) -> Result<String, FuncError> {
        Err(FuncError::new("no tpl outside a template"))
    }
}

/// Whether `version` satisfies `constraint`; `Err` when either does not parse (or the
/// function map has no `semverCompare`).
pub fn in_range(funcs: &FuncMap, constraint: &str, version: &str) -> Result<bool, String> {
    let compare = funcs
        .get("semverCompare")
        .ok_or_else(|| "no semverCompare function".to_owned())?;
    let args = [
        Value::String(constraint.to_owned()),
        Value::String(version.to_owned()),
    ];
    match compare(&mut NoTemplates, &args) {
        Ok(Value::Bool(b)) => Ok(b),
        Ok(other) => Err(format!("semverCompare gave {other}")),
        Err(e) => Err(e.to_string()),
    }
}

/// Helm's refusal of a chart whose `kubeVersion` excludes the cluster, as a message.
pub fn kube_version_mismatch(
    funcs: &FuncMap,
    constraint: &str,
    kube_version: &str,
) -> Option<String> {
    if constraint.trim().is_empty() {
        return None;
    }
    match in_range(funcs, constraint, kube_version) {
        Ok(true) => None,
        Ok(false) => Some(format!(
            "chart requires kubeVersion: {constraint} which is incompatible with Kubernetes \
             {kube_version}; rendered anyway"
        )),
        Err(e) => Some(format!(
            "kubeVersion {constraint:?} is not a version range: {e}"
        )),
    }
}

/// Warns where a vendored subchart's version is outside its dependency's range. Helm would
/// not pair them (and then refuse the chart as missing a dependency); ferry renders the
/// vendored chart and says so.
pub fn check_dependency_versions(
    chart: &Chart,
    funcs: &FuncMap,
    label: &str,
    warnings: &mut Vec<(String, String)>,
) {
    for dep in &chart.metadata.dependencies {
        let Some(sub) = chart.subcharts.iter().find(|s| s.name() == dep.name) else {
            continue;
        };
        if dep.version.trim().is_empty() {
            continue;
        }
        let version = &sub.metadata.version;
        if let Ok(false) | Err(_) = in_range(funcs, &dep.version, version) {
            warnings.push((
                format!("{label}: {} Chart.yaml dependencies", chart.name()),
                format!(
                    "dependency {} wants version {} but charts/ holds {version}; rendered anyway",
                    dep.name, dep.version
                ),
            ));
        }
    }
    for sub in &chart.subcharts {
        check_dependency_versions(sub, funcs, label, warnings);
    }
}
