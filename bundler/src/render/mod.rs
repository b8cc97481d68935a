//! Renders a Helm chart the way `helm template` does, without Helm and without I/O: the chart
//! comes from an in-memory [`FileSet`], values are coalesced with Helm's rules (subcharts,
//! aliases, `condition`/`tags`, `global`, `import-values`, library charts), templates run on
//! the `ferry-gotmpl` engine with Helm's built-in objects, and the output is split into the
//! documents Helm would send to the cluster, each read into JSON.
//!
//! Nothing in a readable chart aborts rendering: a template that fails, a document that is
//! not YAML or a missing subchart becomes a [`Warning`] naming the chart, the file and, where
//! there is one, the line; the other files still render.

mod builtins;
mod capabilities;
mod chart_load;
mod coalesce;
mod dependencies;
mod engine_run;
mod error;
mod files;
mod ignore;
mod output;
mod versions;

pub use crate::discover::{KubeVersion, DEFAULT_KUBE_VERSION};
pub use builtins::{GoStruct, VersionSet};
pub use capabilities::{api_versions, HELM_VERSION};
pub use chart_load::{
    load_chart, scalar_text, Chart, ChartFile, Dependency, ImportValue, Metadata,
};
pub use coalesce::{coalesce_tables, coalesce_values, merge_user_layers, merge_values};
pub use dependencies::{path_value, process_dependencies, table};
pub use engine_run::{exec_error_text, parse_error_text};
pub use error::RenderError;
pub use files::{Files, Pattern};
pub use ignore::{go_match, IgnoreRules};
pub use output::{clean_output, is_test_hook, parse_document, split_manifests};
pub use versions::{check_dependency_versions, in_range, kube_version_mismatch};

use ferry_gotmpl::FuncMap;
use serde_json::Value;

use crate::discover::{FileSet, Warning};
use engine_run::{Outcome, Renderable, SharedObjects};

/// The release and cluster a chart is rendered for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// `.Release.Name`; `helm template`'s default is `release-name`.
    pub release_name: String,
    /// `.Release.Namespace`.
    pub namespace: String,
    /// `.Capabilities.KubeVersion`; [`DEFAULT_KUBE_VERSION`] unless set.
    pub kube_version: KubeVersion,
    /// Added to Helm's built-in `.Capabilities.APIVersions` (Helm's `--api-versions`), e.g.
    /// `monitoring.coreos.com/v1` or `apps/v1/Deployment`.
    pub api_versions: Vec<String>,
    /// Whether files under `crds/` are part of the output (Helm's `--include-crds`).
    pub include_crds: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            release_name: "release-name".into(),
            namespace: "default".into(),
            kube_version: KubeVersion::default(),
            api_versions: Vec::new(),
            include_crds: true,
        }
    }
}

/// One YAML document of the rendered output.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedDocument {
    /// The chart's full path: `kube-prometheus-stack/charts/kube-state-metrics`.
    pub chart: String,
    /// Helm's name of the file: `kube-prometheus-stack/charts/grafana/templates/x.yaml`.
    pub template: String,
    pub object: Value,
    /// A Helm test (a `helm.sh/hook: test` document): rendered, never installed.
    pub test_hook: bool,
    /// Taken raw from a chart's `crds/` directory.
    pub crd: bool,
}

/// Everything a render produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub documents: Vec<RenderedDocument>,
    pub warnings: Vec<Warning>,
    /// The Kubernetes version the chart saw (for `--why`).
    pub kube_version: KubeVersion,
    /// The root chart's coalesced values (`.Values`), subcharts' under their names.
    pub values: Value,
    /// Template files executed (partials and `NOTES.txt` excluded) and how many failed.
    pub templates_executed: usize,
    pub templates_failed: usize,
    /// Rendered documents that were not YAML (Helm refuses the chart; ferry skips them).
    pub documents_unreadable: usize,
}

/// Renders the chart in `files` with `overrides` (values files, then `--set`, as parsed
/// layers): `helm template` with Helm's and sprig's functions. Only an unreadable top chart
/// (no `Chart.yaml`, a `Chart.yaml` or `values.yaml` that is not YAML) is an error.
pub fn render_chart(
    files: &FileSet,
    overrides: &[Value],
    options: &RenderOptions,
) -> Result<Rendered, RenderError> {
    render_chart_with(files, overrides, options, helm_functions())
}

/// Helm's function map, built once: templates run with it, and dependency version ranges are
/// decided by its `semverCompare`.
pub(crate) fn helm_functions() -> &'static FuncMap {
    static FUNCTIONS: std::sync::OnceLock<FuncMap> = std::sync::OnceLock::new();
    FUNCTIONS.get_or_init(ferry_gotmpl::helm::functions)
}

/// The stack a chart renders on. Every nested `include`, `tpl` and `if`/`with`/`range` is
/// recursion in the engine, each `include` level tens of KiB in a debug build: a hostile chart
/// (100 includes deep, each 100 controls deep) overflows the 2 MiB of a tokio or test thread,
/// and an overflow aborts the process. Bounds alone would have to be far lower than real charts
/// need, so the render runs on its own thread with room for the engine's own depth bounds
/// (100 nested calls, 100 nested controls or parentheses in each). Measured in a debug build,
/// 100 `include` (or `tpl`) levels each 99 controls deep overflow 32 MiB and fit in 64 MiB
/// (tests/render_hostile.rs); 256 MiB is four times that. The memory is reserved, not
/// touched, until used.
pub const RENDER_STACK_BYTES: usize = 256 << 20;

/// [`render_chart`] with another function map (a test's, or Helm's with additions). Runs on
/// a thread of its own with a [`RENDER_STACK_BYTES`] stack.
pub fn render_chart_with(
    files: &FileSet,
    overrides: &[Value],
    options: &RenderOptions,
    funcs: &FuncMap,
) -> Result<Rendered, RenderError> {
    std::thread::scope(|scope| {
        let render = std::thread::Builder::new()
            .name("ferry-render".into())
            .stack_size(RENDER_STACK_BYTES)
            .spawn_scoped(scope, || render_here(files, overrides, options, funcs));
        match render {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(RenderError::Panicked {
                    chart: files.label.clone(),
                })
            }),
            // No thread to be had (resource limits): render here, as deep as this stack allows.
            Err(_) => render_here(files, overrides, options, funcs),
        }
    })
}

fn render_here(
    files: &FileSet,
    overrides: &[Value],
    options: &RenderOptions,
    funcs: &FuncMap,
) -> Result<Rendered, RenderError> {
    let label = files.label.clone();
    let mut raw_warnings: Vec<(String, String)> = Vec::new();
    let mut chart = load_chart(files, &mut raw_warnings)?;
    let mut rendered = Rendered {
        kube_version: options.kube_version.clone(),
        ..Rendered::default()
    };
    if chart.is_library() {
        raw_warnings.push((
            label.clone(),
            "a library chart is not installable; nothing rendered".into(),
        ));
        rendered.warnings = to_warnings(raw_warnings);
        return Ok(rendered);
    }

    let kube_constraint = chart
        .metadata
        .raw
        .get("kubeVersion")
        .and_then(scalar_text)
        .unwrap_or_default();
    let kube = options.kube_version.to_string();
    if let Some(message) = kube_version_mismatch(funcs, &kube_constraint, &kube) {
        raw_warnings.push((format!("{label}: Chart.yaml kubeVersion"), message));
    }

    check_dependency_versions(&chart, funcs, &label, &mut raw_warnings);
    let user = merge_user_layers(overrides);
    process_dependencies(&mut chart, &user, &label, &mut raw_warnings);
    let mut coalesce_warnings = Vec::new();
    let values = coalesce_values(&chart, &user, &mut coalesce_warnings);
    raw_warnings.extend(
        coalesce_warnings
            .into_iter()
            .map(|w| (format!("{label}: values"), w)),
    );

    rendered.values = values.clone();
    if options.include_crds {
        push_crds(&chart, None, &label, &mut rendered, &mut raw_warnings);
    }

    let shared = SharedObjects {
        release: builtins::release(options),
        capabilities: builtins::capabilities(options),
    };
    let mut renderables = Vec::new();
    engine_run::collect_renderables(
        &chart,
        &ferry_gotmpl::Value::from_json(&values),
        &shared,
        &mut renderables,
    );
    engine_run::sort_for_parsing(&mut renderables);
    let outcomes = engine_run::execute_all(&renderables, funcs);
    let by_name: std::collections::HashMap<&str, &Renderable> =
        renderables.iter().map(|r| (r.name.as_str(), r)).collect();
    for (name, outcome) in outcomes {
        let Some(r) = by_name.get(name.as_str()) else {
            continue;
        };
        let location = format!("{label}: {name}");
        match outcome {
            Outcome::Failed(message) => {
                rendered.templates_failed += 1;
                rendered.templates_executed += 1;
                raw_warnings.push((location, message));
            }
            Outcome::Text(text) => {
                rendered.templates_executed += 1;
                push_documents(
                    &clean_output(&text),
                    (&r.chart_path, &name),
                    false,
                    &location,
                    &mut rendered,
                    &mut raw_warnings,
                );
            }
        }
    }
    rendered.warnings = to_warnings(raw_warnings);
    Ok(rendered)
}

/// Every enabled chart's `crds/` files, parents first, as Helm's `CRDObjects` lists them.
fn push_crds(
    chart: &Chart,
    parent_path: Option<&str>,
    label: &str,
    rendered: &mut Rendered,
    warnings: &mut Vec<(String, String)>,
) {
    let full_path = match parent_path {
        None => chart.name().to_owned(),
        Some(parent) => format!("{parent}/charts/{}", chart.name()),
    };
    for (name, data) in chart.crd_files() {
        let template = format!("{full_path}/{name}");
        let location = format!("{label}: {template}");
        push_documents(
            &String::from_utf8_lossy(data),
            (&full_path, &template),
            true,
            &location,
            rendered,
            warnings,
        );
    }
    for sub in &chart.subcharts {
        push_crds(sub, Some(&full_path), label, rendered, warnings);
    }
}

fn push_documents(
    text: &str,
    (chart, template): (&str, &str),
    crd: bool,
    location: &str,
    rendered: &mut Rendered,
    warnings: &mut Vec<(String, String)>,
) {
    if text.trim().is_empty() {
        return;
    }
    for (index, doc) in split_manifests(text).iter().enumerate() {
        match parse_document(doc) {
            Ok(None) => {}
            Ok(Some(object)) => rendered.documents.push(RenderedDocument {
                chart: chart.to_owned(),
                template: template.to_owned(),
                // Helm knows a test by its hook annotation, not by the file's directory: a
                // manifest under templates/tests/ without one is installed like any other.
                test_hook: is_test_hook(&object),
                crd,
                object,
            }),
            Err(message) => {
                rendered.documents_unreadable += 1;
                warnings.push((
                    location.to_owned(),
                    format!(
                        "document {}: rendered YAML not readable: {message}",
                        index + 1
                    ),
                ))
            }
        }
    }
}

fn to_warnings(raw: Vec<(String, String)>) -> Vec<Warning> {
    raw.into_iter()
        .map(|(location, message)| Warning { location, message })
        .collect()
}
