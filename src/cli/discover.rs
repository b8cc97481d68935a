//! `ferry discover`: the images the profiles need, and where each was found, before resolving.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context;
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
struct Found {
    reference: String,
    origins: Vec<String>,
}

#[derive(Serialize)]
struct Report {
    images: Vec<Found>,
    warnings: Vec<String>,
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
    let mut images: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for i in &plan.images {
        let origins = images.entry(i.reference.clone()).or_default();
        origins.extend(
            i.provenance
                .iter()
                .map(|p| format!("{}/{}: {}", p.profile, p.layer, p.origin)),
        );
    }
    let report = Report {
        images: images
            .into_iter()
            .map(|(reference, mut origins)| {
                origins.sort();
                origins.dedup();
                Found { reference, origins }
            })
            .collect(),
        warnings: plan.warnings.iter().map(ToString::to_string).collect(),
    };
    match args.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => {
            for f in &report.images {
                outln!("{}", f.reference);
                for o in &f.origins {
                    outln!("    {o}");
                }
            }
            for w in &report.warnings {
                outln!("warning: {w}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
