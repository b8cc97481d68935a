//! `ferry inspect`: what a bundle carries, read from its manifest; it also reads the artifacts'
//! manifests from the archive to show what each artifact weighs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ferry_bundler::format::{
    open_bundle, read_bundle, Artifact, BundleManifest, FormatError, HeadDecision,
};
use serde::Serialize;

use super::output::{human_bytes, print_json, OutputFormat};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bundle file.
    pub bundle: PathBuf,
    /// Explain why an image is in the bundle: every profile, layer and source that asked for it.
    /// Matches any artifact whose reference contains IMAGE.
    #[arg(long, value_name = "IMAGE")]
    pub why: Option<String>,
    /// text for people, json for programs (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// `inspect --output json`: the bundle's identity, its signed manifest as is, and every artifact
/// with what it weighs.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Inspection<'a> {
    digest: String,
    signed: bool,
    signature_key_hint: Option<String>,
    manifest: &'a BundleManifest,
    artifacts: Vec<ArtifactJson<'a>>,
}

/// `inspect --why --output json`.
#[derive(Serialize)]
struct Why<'a> {
    artifacts: Vec<ArtifactJson<'a>>,
}

/// An artifact of the manifest plus `totalSize`: the bytes it carries in the bundle (its
/// manifests, configs, layers and attachments; `null` if the archive could not be read whole).
/// Its `size` stays the manifest's: the size of the top-level manifest or index.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactJson<'a> {
    #[serde(flatten)]
    artifact: &'a Artifact,
    total_size: Option<u64>,
}

fn with_sizes<'a>(
    artifacts: impl IntoIterator<Item = &'a Artifact>,
    sizes: &BTreeMap<String, u64>,
) -> Vec<ArtifactJson<'a>> {
    artifacts
        .into_iter()
        .map(|artifact| ArtifactJson {
            artifact,
            total_size: sizes.get(&artifact.reference).copied(),
        })
        .collect()
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (manifest, digest, hint, signed) = read_head(&args.bundle)?;
    if let Some(needle) = &args.why {
        return why(&args.bundle, &manifest, needle, args.output);
    }
    match args.output {
        OutputFormat::Json => print_json(&Inspection {
            digest,
            signed,
            signature_key_hint: hint,
            manifest: &manifest,
            artifacts: with_sizes(&manifest.artifacts, &sizes(&args.bundle, &manifest)),
        })?,
        OutputFormat::Text => print_text(&args.bundle, &manifest, &digest, hint.as_deref(), signed),
    }
    Ok(ExitCode::SUCCESS)
}

fn read_head(
    path: &std::path::Path,
) -> anyhow::Result<(BundleManifest, String, Option<String>, bool)> {
    let mut out = None;
    read_bundle::<_, FormatError, _, _>(
        open_bundle(path)?,
        |head| {
            let hint = head
                .signature
                .as_ref()
                .map(|s| s.verification_material.public_key.hint.clone());
            let digest = ferry_bundler::format::Digest::of_bytes(&head.manifest_bytes).to_string();
            out = Some((
                head.manifest.clone(),
                digest,
                hint,
                head.signature.is_some(),
            ));
            Ok(HeadDecision::Stop)
        },
        |_, _| Ok(()),
    )
    .with_context(|| format!("cannot read {}", path.display()))?;
    out.context("bundle has no manifest")
}

fn print_text(
    path: &std::path::Path,
    m: &BundleManifest,
    digest: &str,
    hint: Option<&str>,
    signed: bool,
) {
    outln!("bundle    {}", path.display());
    outln!("manifest  {digest}");
    outln!("created   {} by {}", m.created, m.generator);
    match (signed, hint) {
        (true, Some(h)) => outln!("signed    yes (key hint {h}); run `ferry verify` to check it"),
        _ => outln!("signed    no"),
    }
    // Sizes need a pass over the archive; a bundle that cannot be read whole still shows its head.
    let sizes = sizes(path, m);
    outln!(
        "content   {} artifacts, {} blobs, {}",
        m.artifacts.len(),
        m.blobs.len(),
        human_bytes(m.total_blob_size())
    );
    for p in &m.profiles {
        outln!("\nprofile {} {} ({})", p.name, p.version, p.profile_type);
        for l in &p.layers {
            outln!("  layer {} ({})", l.name, l.kind);
            for r in &l.artifacts {
                match m.artifacts.iter().find(|a| &a.reference == r) {
                    Some(a) => outln!(
                        "    {:<6} {} {} {}",
                        kind(a),
                        a.reference,
                        a.digest,
                        size_text(&sizes, a)
                    ),
                    None => outln!("    {r}"),
                }
            }
        }
    }
}

/// Sizes need a pass over the archive; a bundle that cannot be read whole still shows its head.
fn sizes(path: &std::path::Path, m: &BundleManifest) -> BTreeMap<String, u64> {
    match super::artifact_sizes::artifact_sizes(path, m) {
        Ok(sizes) => sizes,
        Err(err) => {
            tracing::warn!("artifact sizes unknown: {err:#}");
            BTreeMap::new()
        }
    }
}

fn size_text(sizes: &BTreeMap<String, u64>, a: &Artifact) -> String {
    sizes
        .get(&a.reference)
        .map_or_else(|| "?".into(), |n| human_bytes(*n))
}

fn kind(a: &Artifact) -> &'static str {
    match a.kind {
        ferry_bundler::format::ArtifactKind::Image => "image",
        ferry_bundler::format::ArtifactKind::Chart => "chart",
        ferry_bundler::format::ArtifactKind::Pack => "pack",
        ferry_bundler::format::ArtifactKind::File => "file",
    }
}

fn why(
    path: &std::path::Path,
    m: &BundleManifest,
    needle: &str,
    output: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let hits: Vec<&Artifact> = m
        .artifacts
        .iter()
        .filter(|a| a.reference.contains(needle))
        .collect();
    anyhow::ensure!(
        !hits.is_empty(),
        "no artifact in the bundle matches {needle:?}"
    );
    match output {
        OutputFormat::Json => print_json(&Why {
            artifacts: with_sizes(hits, &sizes(path, m)),
        })?,
        OutputFormat::Text => {
            let sizes = sizes(path, m);
            for a in hits {
                outln!("{} {}", a.reference, a.digest);
                outln!("  size: {}", size_text(&sizes, a));
                if !a.platforms.is_empty() {
                    outln!("  platforms: {}", a.platforms.join(", "));
                }
                for p in &a.provenance {
                    outln!("  profile {} / layer {}: {}", p.profile, p.layer, p.origin);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
