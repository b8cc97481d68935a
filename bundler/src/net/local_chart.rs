//! A chart from a local directory or `.tgz`, wrapped as a Helm OCI artifact like any other chart.

use std::path::Path;

use super::chart::{chart_artifact, chart_config, ChartRequest};
use super::local::ingest_local;
use super::resolved::{LockedBlob, ResolvedArtifact, Source};
use super::wrap::wrap;
use super::NetError;
use crate::format::layout::media;

/// `tgz` is the chart package (a directory is packaged by the pipeline first); `location` is how
/// the lock names the chart: its path relative to the profile directory.
pub fn resolve_local_chart(
    cache: &super::BlobCache,
    req: &ChartRequest,
    tgz: &Path,
    location: &str,
) -> Result<ResolvedArtifact, NetError> {
    let reference = format!("charts/{}:{}", req.name, req.version);
    let (digest, size) = ingest_local(cache, &reference, &tgz.display().to_string(), None)?;
    let config = chart_config(cache, &reference, &digest)?;
    let layer = LockedBlob {
        digest,
        size,
        media_type: media::HELM_CHART.into(),
        manifest: false,
    };
    let wrapped = wrap(
        cache,
        &reference,
        media::HELM_CONFIG,
        &config,
        &layer,
        None,
        None,
    )?;
    Ok(chart_artifact(
        req,
        reference,
        &req.version,
        wrapped,
        Source::Local {
            path: location.to_owned(),
        },
    ))
}
