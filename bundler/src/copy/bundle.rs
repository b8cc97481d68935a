//! A bundle as the source of a copy.
//!
//! A registry links blobs to repositories, and a bundle's blobs come in digest order, so a layer
//! may stream by before the manifest that says which repository it belongs to. The bundle is
//! therefore read twice through the format reader: the first pass checks the signature and every
//! blob and keeps only the manifests (small, bounded documents); the second checks everything
//! again and streams each plain blob straight into the uploads that need it. Nothing but
//! manifests is held in memory, and nothing is unpacked.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::files::abandon_unless_complete;
use super::plan::{CopyPlan, CopyReport, PlannedManifest, RepositoryPlan};
use super::push::{Chunk, Pusher};
use super::CopyError;
use crate::format::{
    check_head_signature, open_bundle, read_bundle, BlobRef, BundleEntry, BundleHead,
    BundleManifest, Digest, EntryKind, HeadDecision, TrustedKey,
};
use crate::net::oci::{self, Parsed, MAX_MANIFEST_SIZE};

/// Bytes per upload chunk (oci-client's own PATCH size).
pub(crate) const CHUNK_SIZE: usize = 4 * 1024 * 1024;

/// Deepest index nesting followed (an index of indexes of manifests is 2).
const MAX_DEPTH: usize = 8;

#[derive(Debug, Clone)]
pub struct BundleSource {
    pub path: PathBuf,
    pub trusted_keys: Vec<TrustedKey>,
    pub require_signature: bool,
}

/// Copies a bundle into the pusher's target; see the module comment.
pub async fn copy_bundle(
    source: BundleSource,
    pusher: Arc<Pusher>,
) -> Result<CopyReport, CopyError> {
    if source.require_signature && source.trusted_keys.is_empty() {
        return Err(CopyError::NoTrustedKeys);
    }
    let source = Arc::new(source);
    let planning = source.clone();
    let (plan, manifest_digest, signed_by) = spawn_blocking(move || plan_bundle(&planning)).await?;
    let sending = source.clone();
    let sender = pusher.clone();
    let needs = plan.blob_users();
    let names: Vec<String> = plan.repositories.iter().map(|r| r.name.clone()).collect();
    let handle = tokio::runtime::Handle::current();
    spawn_blocking(move || {
        send_blobs(&sending, &manifest_digest, &needs, &names, &sender, &handle)
    })
    .await?;
    for repo in &plan.repositories {
        pusher.push_manifests(repo).await?;
    }
    let mut report = pusher.report();
    report.source = source.path.display().to_string();
    report.signed_by = signed_by;
    report.artifacts = plan.artifacts;
    report.repositories = plan.repositories.len();
    Ok(report)
}

async fn spawn_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CopyError> + Send + 'static,
) -> Result<T, CopyError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(join) => std::panic::resume_unwind(join.into_panic()),
    }
}

/// The signature check `ferry verify` makes, before any blob is read, and the validation of
/// the manifest alone (names, tags, sizes) that `verify` and `import` run; the documents are
/// followed by the plan.
fn check_head(head: &BundleHead, source: &BundleSource) -> Result<Option<String>, CopyError> {
    let signed_by = check_head_signature(head, &source.trusted_keys, source.require_signature)?;
    crate::format::validate::check_manifest(&head.manifest)?;
    Ok(signed_by)
}

/// Pass one: the plan, the manifest's digest and who signed it.
fn plan_bundle(source: &BundleSource) -> Result<(CopyPlan, Digest, Option<String>), CopyError> {
    let mut head_seen: Option<(BundleManifest, Digest, Option<String>)> = None;
    let mut docs: HashMap<Digest, Vec<u8>> = HashMap::new();
    read_bundle::<_, CopyError, _, _>(
        open_bundle(&source.path)?,
        |head| {
            let signed_by = check_head(head, source)?;
            let digest = Digest::of_bytes(&head.manifest_bytes);
            head_seen = Some((head.manifest.clone(), digest, signed_by));
            Ok(HeadDecision::Continue)
        },
        |_, mut entry| {
            if !matches!(entry.kind(), EntryKind::Blob(_))
                || entry.size() > MAX_MANIFEST_SIZE as u64
            {
                return Ok(());
            }
            let digest = entry.expected_digest().clone();
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            let read = entry.read_to_end(&mut bytes);
            entry.finish()?;
            if read.is_ok() && is_manifest(&bytes) {
                docs.insert(digest, bytes);
            }
            Ok(())
        },
    )?;
    let (manifest, digest, signed_by) = head_seen.ok_or_else(|| {
        CopyError::Format(crate::format::FormatError::Truncated {
            entry: crate::format::layout::MANIFEST_ENTRY.into(),
        })
    })?;
    Ok((plan_from(&manifest, &docs)?, digest, signed_by))
}

/// Whether a blob is an image manifest or index (configs and layers are not).
fn is_manifest(bytes: &[u8]) -> bool {
    let starts_as_object = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    starts_as_object
        && match oci::parse("", bytes) {
            Ok(Parsed::Index { .. }) => true,
            Ok(Parsed::Manifest { blobs, .. }) => !blobs.is_empty(),
            Err(_) => false,
        }
}

/// Builds the plan from the bundle manifest and the manifests the bundle carries.
pub fn plan_from(
    manifest: &BundleManifest,
    docs: &HashMap<Digest, Vec<u8>>,
) -> Result<CopyPlan, CopyError> {
    let carried: HashMap<&Digest, u64> =
        manifest.blobs.iter().map(|b| (&b.digest, b.size)).collect();
    let external: HashSet<&Digest> = manifest.external_blobs.iter().map(|b| &b.digest).collect();
    let mut repos: BTreeMap<String, RepositoryPlan> = BTreeMap::new();
    for a in &manifest.artifacts {
        let repo = repos
            .entry(a.repository.clone())
            .or_insert_with(|| RepositoryPlan {
                name: a.repository.clone(),
                ..Default::default()
            });
        let mut walk = Walk {
            docs,
            carried: &carried,
            external: &external,
            omitted: a.omitted_children.iter().map(|c| &c.digest).collect(),
            repo,
        };
        walk.add(&a.digest, &a.media_type, &a.reference, None, 0)?;
        if let Some(top) = walk
            .repo
            .manifests
            .iter_mut()
            .find(|m| m.digest == a.digest)
        {
            top.omitted = a
                .omitted_children
                .iter()
                .map(|c| c.platform.clone())
                .collect();
        }
        if let Some(tag) = &a.tag {
            walk.repo.tags.push((tag.clone(), a.digest.clone()));
        }
        walk.omitted.clear();
        for att in &a.attached {
            let by = format!("{} ({} of {})", att.digest, att.relation, a.reference);
            walk.add(&att.digest, &att.media_type, &by, Some(&a.digest), 0)?;
            if let Some(tag) = &att.tag {
                walk.repo.tags.push((tag.clone(), att.digest.clone()));
            }
        }
    }
    let mut plan = CopyPlan {
        artifacts: manifest.artifacts.len(),
        repositories: repos.into_values().collect(),
    };
    plan.normalise();
    Ok(plan)
}

struct Walk<'a> {
    docs: &'a HashMap<Digest, Vec<u8>>,
    carried: &'a HashMap<&'a Digest, u64>,
    external: &'a HashSet<&'a Digest>,
    omitted: HashSet<&'a Digest>,
    repo: &'a mut RepositoryPlan,
}

impl Walk<'_> {
    fn add(
        &mut self,
        digest: &Digest,
        media_type: &str,
        by: &str,
        subject: Option<&Digest>,
        depth: usize,
    ) -> Result<(), CopyError> {
        if self.repo.manifests.iter().any(|m| &m.digest == digest) {
            return Ok(());
        }
        let missing = || CopyError::Missing {
            by: by.to_owned(),
            digest: digest.clone(),
        };
        let bytes = self.docs.get(digest).ok_or_else(missing)?;
        if depth > MAX_DEPTH {
            return Err(missing());
        }
        let parsed = oci::parse(&digest.to_string(), bytes)?;
        let media_type = if media_type.is_empty() {
            parsed.media_type().to_owned()
        } else {
            media_type.to_owned()
        };
        let mut after: Vec<Digest> = subject.into_iter().cloned().collect();
        let this = format!("manifest {digest} in {}", self.repo.name);
        match parsed {
            Parsed::Index { manifests, .. } => {
                for child in manifests {
                    if self.omitted.contains(&child.digest) {
                        continue;
                    }
                    self.add(&child.digest, &child.media_type, &this, None, depth + 1)?;
                    after.push(child.digest);
                }
            }
            Parsed::Manifest { blobs, .. } => {
                for b in blobs {
                    match self.carried.get(&b.digest) {
                        Some(&size) => self.repo.blobs.push(BlobRef {
                            digest: b.digest,
                            size,
                        }),
                        // A delta bundle leaves out what the enclave already has.
                        None if self.external.contains(&b.digest) => {}
                        None => {
                            return Err(CopyError::Missing {
                                by: this,
                                digest: b.digest,
                            })
                        }
                    }
                }
            }
        }
        self.repo.manifests.push(PlannedManifest {
            digest: digest.clone(),
            media_type,
            bytes: bytes.clone(),
            after,
            omitted: vec![],
        });
        Ok(())
    }
}

/// Pass two: every plain blob a target repository lacks, streamed into its uploads.
fn send_blobs(
    source: &BundleSource,
    planned: &Digest,
    needs: &BTreeMap<Digest, (u64, Vec<usize>)>,
    names: &[String],
    pusher: &Pusher,
    handle: &tokio::runtime::Handle,
) -> Result<(), CopyError> {
    read_bundle::<_, CopyError, _, _>(
        open_bundle(&source.path)?,
        |head| {
            check_head(head, source)?;
            let now = Digest::of_bytes(&head.manifest_bytes);
            if &now != planned {
                return Err(CopyError::Changed {
                    path: source.path.display().to_string(),
                    was: planned.clone(),
                    now,
                });
            }
            Ok(HeadDecision::Continue)
        },
        |_, entry| {
            let EntryKind::Blob(digest) = entry.kind().clone() else {
                return Ok(());
            };
            let Some((size, users)) = needs.get(&digest) else {
                return Ok(());
            };
            let repos: Vec<&str> = users.iter().map(|&i| names[i].as_str()).collect();
            let missing = handle.block_on(pusher.missing(&digest, &repos))?;
            if missing.is_empty() {
                return Ok(());
            }
            let (senders, uploads) = pusher.upload(&digest, *size, &missing)?;
            let verdict = feed(entry, &senders);
            abandon_unless_complete(&verdict, &senders);
            drop(senders);
            let uploaded = handle.block_on(pusher.finish_uploads(uploads));
            verdict?;
            Ok(uploaded?)
        },
    )?;
    Ok(())
}

/// Sends an entry's bytes to every upload, then has the reader check its sha256; the uploads
/// are only committed (senders dropped without an error) when that check passed.
/// `Ok(false)`: an upload failed and the rest were not fed.
fn feed(mut entry: BundleEntry<'_>, senders: &[mpsc::Sender<Chunk>]) -> Result<bool, CopyError> {
    let path = entry.path().to_owned();
    loop {
        let chunk = read_chunk(&mut entry).map_err(|source| CopyError::Io {
            path: path.clone(),
            source,
        });
        let chunk = match chunk {
            Ok(c) if c.is_empty() => break,
            Ok(c) => c,
            // The reader names what went wrong (truncation, decompression) when it finishes.
            Err(e) => {
                entry.finish()?;
                return Err(e);
            }
        };
        // A closed receiver means that upload failed; its error is reported when it is joined.
        if !senders
            .iter()
            .all(|tx| tx.blocking_send(Ok(chunk.clone())).is_ok())
        {
            entry.finish()?;
            return Ok(false);
        }
    }
    entry.finish()?;
    Ok(true)
}

/// Up to [`CHUNK_SIZE`] bytes; empty at the end.
pub(crate) fn read_chunk(r: &mut impl Read) -> std::io::Result<Bytes> {
    let mut buf = vec![0u8; CHUNK_SIZE];
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(Bytes::from(buf))
}
