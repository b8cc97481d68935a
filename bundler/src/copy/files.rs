//! Blobs from files named by digest (a mirror store's `blobs/sha256/...`) as the source of a
//! copy. Each file is re-hashed as it is sent: the upload is committed only if its bytes hash to
//! the digest that names it, so a corrupt store is refused, not replicated.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::bundle::read_chunk;
use super::plan::{CopyPlan, CopyReport};
use super::push::{Chunk, Pusher};
use super::CopyError;
use crate::format::{Digest, HashingReader};

/// Copies `plan`, reading blob `d` from `blob_path(d)`; `source` names the source in the report.
pub async fn copy_files(
    source: &str,
    plan: &CopyPlan,
    blob_path: impl Fn(&Digest) -> PathBuf,
    pusher: Arc<Pusher>,
) -> Result<CopyReport, CopyError> {
    for (digest, (size, users)) in plan.blob_users() {
        let repos: Vec<&str> = users
            .iter()
            .map(|&i| plan.repositories[i].name.as_str())
            .collect();
        let missing = pusher.missing(&digest, &repos).await?;
        if missing.is_empty() {
            continue;
        }
        let (senders, uploads) = pusher.upload(&digest, size, &missing)?;
        let path = blob_path(&digest);
        let expected = digest.clone();
        let verdict = tokio::task::spawn_blocking(move || {
            let verdict = feed_file(&path, &expected, size, &senders);
            abandon_unless_complete(&verdict, &senders);
            verdict
        })
        .await
        .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()));
        let uploaded = pusher.finish_uploads(uploads).await;
        verdict?;
        uploaded?;
    }
    for repo in &plan.repositories {
        pusher.push_manifests(repo).await?;
    }
    let mut report = pusher.report();
    report.source = source.to_owned();
    report.artifacts = plan.artifacts;
    report.repositories = plan.repositories.len();
    Ok(report)
}

fn feed_file(
    path: &std::path::Path,
    expected: &Digest,
    size: u64,
    senders: &[mpsc::Sender<Chunk>],
) -> Result<bool, CopyError> {
    let io = |source| CopyError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut reader = HashingReader::new(std::fs::File::open(path).map_err(io)?);
    loop {
        let chunk = read_chunk(&mut reader).map_err(io)?;
        if chunk.is_empty() {
            break;
        }
        if !senders
            .iter()
            .all(|tx| tx.blocking_send(Ok(chunk.clone())).is_ok())
        {
            // That upload failed; its error is reported when it is joined.
            return Ok(false);
        }
    }
    let (actual, read) = reader.finish();
    if &actual != expected || read != size {
        return Err(CopyError::BlobMismatch {
            path: path.display().to_string(),
            expected: expected.clone(),
            actual,
            size: read,
        });
    }
    Ok(true)
}

/// Abandons every upload (none is committed) unless all bytes went out and checked out.
pub(crate) fn abandon_unless_complete(
    verdict: &Result<bool, CopyError>,
    senders: &[mpsc::Sender<Chunk>],
) {
    let why = match verdict {
        Ok(true) => return,
        Ok(false) => "another upload of this blob failed".to_owned(),
        Err(e) => e.to_string(),
    };
    for tx in senders {
        let _ = tx.blocking_send(Err(why.clone()));
    }
}
