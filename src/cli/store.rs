//! `ferry store`: list, verify, retire and garbage-collect the store's content.

use std::process::ExitCode;

use anyhow::Context;
use ferry_bundler::format::Digest;
use ferry_mirror::store;

use super::appliance::ApplianceArgs;
use super::output::{human_bytes, print_json, OutputFormat};
use super::VerifyFailed;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Repositories, tags, manifests and the bundles that brought them.
    List(Common),
    /// Re-hash every blob and check every reference; exits 3 on any corruption.
    Verify(Common),
    /// Remove every blob that nothing references any more.
    Gc(GcArgs),
    /// Retire a bundle: its artifacts stop keeping their content alive (run gc afterwards).
    Retire(RetireArgs),
    /// Imported bundles.
    Bundles(Common),
}

#[derive(Debug, clap::Args)]
pub struct Common {
    #[command(flatten)]
    pub appliance: ApplianceArgs,
    /// text for people, json for programs (one JSON document on stdout).
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct GcArgs {
    #[command(flatten)]
    pub common: Common,
    /// Report what would be removed without removing it.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, clap::Args)]
pub struct RetireArgs {
    #[command(flatten)]
    pub common: Common,
    /// Manifest digest of the bundle (see `ferry store bundles`).
    pub bundle: String,
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::List(c) => {
            let s = open(&c).await?;
            let repositories = store::list(&s).await?;
            if c.output == OutputFormat::Json {
                print_json(&store::RepositoryList { repositories })?;
            } else {
                for r in &repositories {
                    outln!("{} ({})", r.name, human_bytes(r.stored_bytes));
                    for t in &r.tags {
                        outln!("  {:<40} {}", t.tag, t.digest);
                    }
                }
            }
        }
        Command::Verify(c) => {
            let s = open(&c).await?;
            let report = store::verify(&s).await?;
            if c.output == OutputFormat::Json {
                print_json(&report)?;
            } else {
                outln!(
                    "{} blobs checked ({})",
                    report.blobs_checked,
                    human_bytes(report.bytes_checked)
                );
                for b in &report.corrupted {
                    outln!(
                        "CORRUPT {} at {} hashes to {}",
                        b.digest,
                        b.path.display(),
                        b.actual
                    );
                }
                for b in &report.missing {
                    outln!("MISSING {} referenced by {}", b.digest, b.referenced_by);
                }
            }
            if !report.is_ok() {
                return Err(anyhow::anyhow!(
                    "the store has {} corrupted and {} missing blobs",
                    report.corrupted.len(),
                    report.missing.len()
                )
                .context(VerifyFailed));
            }
        }
        Command::Gc(g) => {
            let s = open(&g.common).await?;
            let options = store::GcOptions {
                dry_run: g.dry_run,
                ..Default::default()
            };
            let report = store::gc_with(&s, &options).await?;
            if g.common.output == OutputFormat::Json {
                print_json(&report)?;
            } else {
                let verb = if g.dry_run { "would remove" } else { "removed" };
                outln!(
                    "{verb} {} blobs ({}) and {} manifests; {} blobs kept",
                    report.blobs_removed.len(),
                    human_bytes(report.bytes_freed),
                    report.manifests_removed.len(),
                    report.blobs_kept
                );
            }
        }
        Command::Retire(r) => {
            let s = open(&r.common).await?;
            let digest =
                Digest::parse(&r.bundle).with_context(|| format!("bundle {:?}", r.bundle))?;
            let report = store::retire_bundle(&s, &digest).await?;
            if r.common.output == OutputFormat::Json {
                print_json(&report)?;
            } else {
                outln!("retired {digest}; run `ferry store gc` to free its content");
            }
        }
        Command::Bundles(c) => {
            let s = open(&c).await?;
            let bundles = store::list_bundles(&s).await?;
            if c.output == OutputFormat::Json {
                print_json(&store::BundleList { bundles })?;
            } else {
                for b in &bundles {
                    let state = if b.retired { "retired" } else { "active" };
                    outln!(
                        "{} {} {} artifacts {} {}",
                        b.manifest_digest,
                        b.created,
                        b.artifacts,
                        human_bytes(b.total_size),
                        state
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn open(c: &Common) -> anyhow::Result<store::Store> {
    let config = c.appliance.config()?;
    c.appliance.open_store(&config).await
}
