//! Image discovery for one Helm chart and its enabled subcharts, under given values.

use serde_json::Value;

use super::archive::FileSet;
use super::blocks::{disabled, find_blocks, render, Block};
use super::chart_meta::ChartMeta;
use super::chart_templates::{
    analyse, literal_image, prints_v_app_version, RefSite, TemplateFacts,
};
use super::collect::Collector;
use super::error::DiscoverError;
use super::options::{DiscoverOptions, KubeVersion};
use super::origin::{Origin, Rule};
use super::reference::normalize_reference;
use super::template::ACTION_MARK;
use super::values::{lookup, merge, parse_yaml, scalar_string};
use super::Discovery;

/// Subchart nesting deeper than this is refused rather than followed.
const MAX_DEPTH: usize = 8;
const IMAGE_ANNOTATIONS: [&str; 2] = ["artifacthub.io/images", "helm.sh/images"];

/// Discovers images of the chart in `files` with `overrides` layered over its `values.yaml`,
/// for the cluster `options` describe.
pub(crate) fn discover(
    files: &FileSet,
    overrides: &[Value],
    options: &DiscoverOptions,
    out: &mut Collector,
) -> Result<(), DiscoverError> {
    let meta = ChartMeta::read(files)?;
    let mut values = default_values(files)?;
    for layer in overrides {
        merge(&mut values, layer);
    }
    let mut found = Collector::default();
    discover_instance(files, &meta, &values, options, &mut found, 0)?;
    out.absorb(for_kubernetes(found.finish(), &options.kube_version));
    Ok(())
}

/// What templates and values gave depends on the Kubernetes version they were read for, and
/// origins say which; annotations are the chart's own words and do not.
fn for_kubernetes(mut found: Discovery, version: &KubeVersion) -> Discovery {
    for image in &mut found.images {
        for origin in std::iter::once(&mut image.origin).chain(&mut image.origins) {
            if matches!(origin.rule, Rule::Values | Rule::Template | Rule::Rendered)
                && origin.kube_version.is_none()
            {
                *origin = origin.clone().for_kubernetes(version);
            }
        }
    }
    found
}

fn default_values(files: &FileSet) -> Result<Value, DiscoverError> {
    let values = match files.get_str("values.yaml") {
        Some(text) => super::values::parse_helm_yaml(&files.label, "values.yaml", &text)?,
        None => Value::Null,
    };
    Ok(if values.is_object() {
        values
    } else {
        Value::Object(Default::default())
    })
}

fn discover_instance(
    files: &FileSet,
    meta: &ChartMeta,
    values: &Value,
    options: &DiscoverOptions,
    out: &mut Collector,
    depth: usize,
) -> Result<(), DiscoverError> {
    let facts = analyse(files, meta, values, options);
    let used = used_blocks(values, &facts);
    for block in used.iter().filter(|b| !rendered_by_templates(&facts, b)) {
        let tag = default_tag(meta, block, &facts.refs);
        let global = lookup(values, "global.imageRegistry").and_then(Value::as_str);
        match render(values, block, global, &tag) {
            Ok(reference) => out.image(reference, Origin::values(&meta.label(), block.path())),
            Err(reason) => out.warn(
                format!("{}: values {}", meta.label(), block.path()),
                format!("image not resolvable: {reason}"),
            ),
        }
    }
    report_template_lines(&facts, &used, out);
    report_annotations(meta, out);
    discover_subcharts(files, meta, values, options, out, depth)
}

/// A block whose image lines all rendered completely is already reported, exactly as the
/// templates print it (which may ignore `global.imageRegistry`); rendering it from values as
/// well would add a heuristic twin.
fn rendered_by_templates(facts: &TemplateFacts, block: &Block) -> bool {
    let mut rendered = false;
    for line in &facts.image_lines {
        let reads_block = line.refs.iter().any(|r| references(r, block.path()));
        if !reads_block || !line.text.contains(ACTION_MARK) {
            continue;
        }
        if fully_rendered_image(&line.rendered).is_some() {
            rendered = true;
        } else {
            return false;
        }
    }
    rendered
}

fn fully_rendered_image(rendered: &str) -> Option<String> {
    literal_image(rendered).and_then(|r| normalize_reference(&r).ok())
}

/// Blocks that live templates reference (directly, below, or through a list a template
/// prints whole) and that no enclosing `enabled: false` switches off.
fn used_blocks(values: &Value, facts: &TemplateFacts) -> Vec<Block> {
    find_blocks(values)
        .into_iter()
        .filter(|block| !disabled(values, block.path()))
        .filter(|block| facts.refs.iter().any(|r| references(&r.path, block.path())))
        .collect()
}

/// Whether a reference to `r` reads block `p`: the block itself, a field of it, or a list
/// containing it (templates `toYaml`/`range` over lists of containers). `*` (a range element)
/// matches any segment.
pub(crate) fn references(r: &str, p: &str) -> bool {
    if r.is_empty() {
        return false;
    }
    let rs: Vec<&str> = r.split('.').collect();
    let ps: Vec<&str> = p.split('.').collect();
    let prefix_matches = rs
        .iter()
        .zip(&ps)
        .all(|(a, b)| a == b || *a == "*" || *b == "*");
    if !prefix_matches {
        return false;
    }
    rs.len() >= ps.len()
        || ps[rs.len()..]
            .iter()
            .any(|seg| seg.parse::<usize>().is_ok())
}

/// The tag a block without one renders with: the chart's appVersion, `v`-prefixed when the
/// template printing it says `printf "v%s" .Chart.AppVersion`.
fn default_tag(meta: &ChartMeta, block: &Block, refs: &[RefSite]) -> String {
    let sites: Vec<&RefSite> = refs
        .iter()
        .filter(|r| references(&r.path, block.path()))
        .collect();
    let on_line: Vec<bool> = sites
        .iter()
        .filter(|s| s.source_line.contains("AppVersion"))
        .map(|s| prints_v_app_version(&s.source_line))
        .collect();
    let prefix_v = if on_line.is_empty() {
        sites.iter().any(|s| s.unit_prefixes_v)
    } else {
        on_line.iter().any(|v| *v)
    };
    if prefix_v && !meta.app_version.starts_with('v') {
        format!("v{}", meta.app_version)
    } else {
        meta.app_version.clone()
    }
}

fn report_template_lines(facts: &TemplateFacts, used: &[Block], out: &mut Collector) {
    for line in &facts.image_lines {
        if let Some(literal) = literal_image(&line.text) {
            match normalize_reference(&literal) {
                Ok(reference) => out.image(reference, line.origin.clone()),
                Err(e) => out.warn(
                    line.origin.template_location(),
                    format!("literal image not usable: {e}"),
                ),
            }
            continue;
        }
        if !line.text.contains(ACTION_MARK) {
            // `image:` opening a nested mapping (CRD schemas, structured image fields).
            continue;
        }
        // Every action on the line evaluated (helpers included): the line is its own evidence.
        if let Some(reference) = fully_rendered_image(&line.rendered) {
            out.image(reference, line.origin.clone());
            continue;
        }
        let explained = line.refs.iter().any(|r| {
            used.iter()
                .any(|b| references(r, b.path()) || references(b.path(), r))
        });
        if !explained {
            let shown = line.text.replace(ACTION_MARK, "{{…}}");
            out.warn(
                line.origin.template_location(),
                format!("templated image not resolved from values: {shown}"),
            );
        }
    }
}

pub(crate) fn report_annotations(meta: &ChartMeta, out: &mut Collector) {
    for key in IMAGE_ANNOTATIONS {
        let Some(text) = meta.annotations.get(key) else {
            continue;
        };
        let location = format!("{}: annotation {key}", meta.label());
        let list = match parse_yaml(&meta.label(), &format!("Chart.yaml annotation {key}"), text) {
            Ok(Value::Array(items)) => items,
            Ok(_) => {
                out.warn(&location, "annotation is not a list");
                continue;
            }
            Err(e) => {
                out.warn(&location, e.to_string());
                continue;
            }
        };
        for item in list {
            let raw = match &item {
                Value::Object(map) => map.get("image").and_then(scalar_string),
                other => scalar_string(other),
            };
            match raw.map(|r| normalize_reference(&r)) {
                Some(Ok(reference)) => out.image(reference, Origin::annotation(&meta.label(), key)),
                Some(Err(e)) => out.warn(&location, e.to_string()),
                None => out.warn(&location, "entry without an image"),
            }
        }
    }
}

fn discover_subcharts(
    files: &FileSet,
    meta: &ChartMeta,
    values: &Value,
    options: &DiscoverOptions,
    out: &mut Collector,
    depth: usize,
) -> Result<(), DiscoverError> {
    let mut seen_names: Vec<String> = Vec::new();
    let sets = subchart_file_sets(files)?;
    let mut present: Vec<String> = Vec::new();
    for (_, sub_files) in &sets {
        present.push(ChartMeta::read(sub_files)?.name);
    }
    // An enabled dependency that is not vendored cannot be read: say so rather than drop it.
    for dependency in &meta.dependencies {
        if !present.contains(&dependency.name) && dependency.enabled(values) {
            out.warn(
                format!("{}: Chart.yaml dependencies", meta.label()),
                format!(
                    "enabled dependency {} is not vendored under charts/; its images are unknown",
                    dependency.name
                ),
            );
        }
    }
    for (location, sub_files) in sets {
        if depth >= MAX_DEPTH {
            out.warn(location, "subcharts nested too deeply; not followed");
            continue;
        }
        let sub_meta = ChartMeta::read(&sub_files)?;
        if seen_names.contains(&sub_meta.name) {
            out.warn(
                location,
                format!(
                    "subchart {} present twice; the first copy was used",
                    sub_meta.name
                ),
            );
            continue;
        }
        seen_names.push(sub_meta.name.clone());
        let matching: Vec<_> = meta
            .dependencies
            .iter()
            .filter(|d| d.name == sub_meta.name)
            .collect();
        let keys: Vec<(String, bool)> = if matching.is_empty() {
            vec![(sub_meta.name.clone(), true)]
        } else {
            matching
                .iter()
                .map(|d| (d.values_key().to_owned(), d.enabled(values)))
                .collect()
        };
        for (key, enabled) in keys {
            if !enabled {
                continue;
            }
            let sub_values = subchart_values(&sub_files, values, &key)?;
            discover_instance(&sub_files, &sub_meta, &sub_values, options, out, depth + 1)?;
        }
    }
    Ok(())
}

/// Subchart defaults, overlaid with the parent's `<key>:` subtree; `global` flows down.
fn subchart_values(sub_files: &FileSet, parent: &Value, key: &str) -> Result<Value, DiscoverError> {
    let mut values = default_values(sub_files)?;
    if let Some(overlay) = parent.get(key).filter(|v| v.is_object()) {
        merge(&mut values, overlay);
    }
    if let Some(global) = parent.get("global").filter(|v| v.is_object()) {
        let mut merged = values
            .get("global")
            .cloned()
            .unwrap_or(Value::Object(Default::default()));
        merge(&mut merged, global);
        if let Value::Object(map) = &mut values {
            map.insert("global".into(), merged);
        }
    }
    Ok(values)
}

/// `charts/<dir>/` and `charts/<name>.tgz` members, in path order.
fn subchart_file_sets(files: &FileSet) -> Result<Vec<(String, FileSet)>, DiscoverError> {
    let mut found = Vec::new();
    for path in files.paths() {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["charts", dir, "Chart.yaml"] => found.push((
                format!("{}/charts/{dir}", files.label),
                files.subdir(&format!("charts/{dir}")),
            )),
            ["charts", name] if name.ends_with(".tgz") || name.ends_with(".tar.gz") => {
                found.push((format!("{}/{path}", files.label), files.nested_tgz(path)?))
            }
            _ => {}
        }
    }
    Ok(found)
}
