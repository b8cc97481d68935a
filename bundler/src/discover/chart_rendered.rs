//! Chart discovery by rendering: the chart is rendered as `helm template` would render it
//! (`crate::render`) and images are read from the rendered objects (`objects`). The heuristic
//! reading of values and template text (`chart`) runs only for what rendering could not reach
//! (a template that failed, a rendered document that is not YAML), and what it adds is
//! marked as a guess.

use serde_json::Value;

use super::archive::FileSet;
use super::collect::Collector;
use super::error::DiscoverError;
use super::objects::{images_in_object, ObjectSource};
use super::options::DiscoverOptions;
use super::Discovery;
use crate::render::{render_chart, RenderOptions, Rendered};

/// Discovers the images of the chart in `files` under `overrides`, for the cluster `options`
/// describe.
pub(crate) fn discover(
    files: &FileSet,
    overrides: &[Value],
    options: &DiscoverOptions,
    out: &mut Collector,
) -> Result<(), DiscoverError> {
    let render_options = RenderOptions {
        kube_version: options.kube_version.clone(),
        api_versions: options
            .api_versions
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        ..RenderOptions::default()
    };
    match render_chart(files, overrides, &render_options) {
        Ok(rendered) => {
            let failed = rendered.templates_failed + rendered.documents_unreadable;
            let found = images_rendered(files, &rendered, options);
            let reached: Vec<String> = found.references().iter().map(|r| r.to_string()).collect();
            out.absorb(found);
            if failed > 0 {
                // Rendering missed what the failed templates would have printed: the
                // heuristic may still see it, as a guess. Its own failure costs only the
                // guesses, never what rendering found.
                let mut heuristic = Collector::default();
                match super::chart::discover(files, overrides, options, &mut heuristic) {
                    Ok(()) => absorb_guesses(heuristic.finish(), &reached, out),
                    Err(e) => out.warn(
                        files.label.clone(),
                        format!("no guesses for the templates that failed: {e}"),
                    ),
                }
            }
            Ok(())
        }
        // An unreadable chart: the heuristic reads it again, which names the file and line
        // when it fails too; if it reads the chart after all, its images are guesses, and the
        // reason rendering gave up is a warning.
        Err(e) => {
            let mut heuristic = Collector::default();
            super::chart::discover(files, overrides, options, &mut heuristic)?;
            out.warn(
                files.label.clone(),
                format!("not rendered ({e}); its images are guessed from values and templates"),
            );
            absorb_guesses(heuristic.finish(), &[], out);
            Ok(())
        }
    }
}

fn images_rendered(files: &FileSet, rendered: &Rendered, options: &DiscoverOptions) -> Discovery {
    let mut found = Collector::default();
    // Origins name the chart by its own name and version (`chart web 1.0.0`), as the
    // heuristic's do, never by where it lies on disk.
    let meta = super::chart_meta::ChartMeta::read(files).ok();
    let chart = meta.as_ref().map_or(files.label.clone(), |m| m.label());
    for doc in rendered.documents.iter().filter(|d| !d.crd) {
        // Helm names a file after the chart (`web/templates/x.yaml`); origins name the chart
        // already, so the file is given inside it.
        let file = doc
            .template
            .split_once('/')
            .map_or(doc.template.as_str(), |(_, rest)| rest);
        let source = ObjectSource {
            chart: &chart,
            file,
            kube_version: Some(&options.kube_version),
            helm_test: doc.test_hook,
        };
        images_in_object(&doc.object, &source, &mut found);
    }
    for warning in &rendered.warnings {
        found.warn(warning.location.clone(), warning.message.clone());
    }
    if let Some(meta) = &meta {
        super::chart::report_annotations(meta, &mut found);
    }
    found.finish()
}

/// Adds the heuristic's images that rendering did not find, each origin marked as a guess. A
/// guess of a repository rendering found (another tag or registry of the same image) is the
/// heuristic misreading what rendering read right, and is dropped.
fn absorb_guesses(heuristic: Discovery, reached: &[String], out: &mut Collector) {
    let rendered_repositories: Vec<&str> = reached.iter().map(|r| repository(r)).collect();
    for image in heuristic.images {
        if rendered_repositories.contains(&repository(&image.reference)) {
            continue;
        }
        for origin in image.origins {
            out.image(image.reference.clone(), origin.as_guess());
        }
    }
    for warning in heuristic.warnings {
        out.warn(warning.location, warning.message);
    }
}

/// A normalised reference without its tag and digest.
fn repository(reference: &str) -> &str {
    let name = reference
        .split_once('@')
        .map_or(reference, |(name, _)| name);
    match name.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => name,
    }
}
