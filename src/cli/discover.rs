//! `ferry discover`: the images the profiles need, and where each was found, before resolving.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context;
use ferry_bundler::discover::{Origin, Warning};
use ferry_bundler::pipeline;
use serde::Serialize;

use super::output::{print_json, OutputFormat};
use super::resolve_args::ResolveArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub resolve: ResolveArgs,
    /// text for people, json for programs (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

#[derive(Serialize)]
struct Report<'a> {
    images: Vec<Found<'a>>,
    warnings: &'a [Warning],
}

#[derive(Serialize)]
struct Found<'a> {
    reference: &'a str,
    origins: Vec<FoundAt<'a>>,
}

/// One place an image was found: the profile and layer that led there, then the origin's own
/// fields (source, file, line, rule, detail) and its one-line text.
#[derive(Serialize)]
struct FoundAt<'a> {
    profile: &'a str,
    layer: &'a str,
    #[serde(flatten)]
    origin: &'a Origin,
    text: String,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let profiles = args.resolve.load_profiles()?;
    let resolver = args.resolve.resolver()?;
    let progress = |_: ferry_bundler::net::Progress| {};
    let (plan, _) =
        pipeline::discover_images(&profiles, &args.resolve.platforms, &resolver, &progress)
            .await
            .with_context(|| {
                format!(
                    "cannot discover images in {}",
                    args.resolve.profiles.display()
                )
            })?;
    let mut images: BTreeMap<&str, Vec<FoundAt<'_>>> = BTreeMap::new();
    for o in &plan.origins {
        images
            .entry(o.reference.as_str())
            .or_default()
            .push(FoundAt {
                profile: &o.profile,
                layer: &o.layer,
                origin: &o.origin,
                text: format!("{}/{}: {}", o.profile, o.layer, o.origin),
            });
    }
    let report = Report {
        images: images
            .into_iter()
            .map(|(reference, mut origins)| {
                origins.sort_by(|a, b| a.text.cmp(&b.text));
                origins.dedup_by(|a, b| a.text == b.text);
                Found { reference, origins }
            })
            .collect(),
        warnings: &plan.warnings,
    };
    match args.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => {
            for f in &report.images {
                outln!("{}", f.reference);
                for o in &f.origins {
                    outln!("    {}", o.text);
                }
            }
            for w in report.warnings {
                outln!("warning: {w}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
