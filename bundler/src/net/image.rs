//! Resolving an image reference: tag to digest, exact manifest bytes, platform filtering
//! into a sparse index, and the signatures, attestations and referrers attached to it.

use oci_client::Reference;

use super::cache::{BlobCache, CacheError};
use super::oci::{self, OciError, Parsed};
use super::registry::{parse_reference, RegistryClient, RegistryError};
use super::resolved::{normalise_provenance, BlobSet, ResolvedArtifact, Source};
use crate::format::{Artifact, ArtifactKind, Attached, Digest, OmittedChild, Provenance};

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Manifest(#[from] OciError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("{reference}: child manifest {digest} is {actual} bytes, its index says {expected}")]
    ChildSize {
        reference: String,
        digest: Digest,
        expected: u64,
        actual: u64,
    },
    #[error("{reference}: index nests deeper than {MAX_DEPTH} levels")]
    TooDeep { reference: String },
}

const MAX_DEPTH: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct ImageRequest {
    pub reference: String,
    /// `os/arch[/variant]` to carry from a multi-platform index; empty carries all.
    pub platforms: Vec<String>,
    pub provenance: Vec<Provenance>,
}

/// What to resolve along with the artifacts themselves.
#[derive(Debug, Clone)]
pub struct AttachedOptions {
    /// Look for cosign `.sig`/`.att` tags and OCI referrers.
    pub enabled: bool,
}

pub async fn resolve_image(
    client: &RegistryClient,
    cache: &BlobCache,
    req: &ImageRequest,
    attached_opts: &AttachedOptions,
) -> Result<ResolvedArtifact, ImageError> {
    let reference = parse_reference(&req.reference)?;
    let name = reference.whole();
    let (bytes, digest) = client.manifest(&reference).await?;
    cache.put_bytes(&name, &digest, &bytes)?;
    let parsed = oci::parse(&name, &bytes)?;
    let mut blobs = BlobSet::default();
    blobs.add(
        digest.clone(),
        bytes.len() as u64,
        parsed.media_type(),
        true,
    );

    let mut omitted = Vec::new();
    let mut platforms = Vec::new();
    match &parsed {
        Parsed::Index { manifests, .. } => {
            for child in manifests {
                if oci::platform_wanted(child.platform.as_deref(), &req.platforms) {
                    if let Some(p) = &child.platform {
                        platforms.push(p.clone());
                    }
                    walk(
                        client,
                        cache,
                        &reference,
                        &child.digest,
                        Some(child.size),
                        &mut blobs,
                        1,
                    )
                    .await?;
                } else {
                    omitted.push(OmittedChild {
                        digest: child.digest.clone(),
                        platform: child.platform.clone().unwrap_or_else(|| "unknown".into()),
                    });
                }
            }
        }
        Parsed::Manifest { blobs: list, .. } => {
            for b in list {
                blobs.add(b.digest.clone(), b.size, &b.media_type, false);
            }
        }
    }
    if req.platforms.is_empty() {
        platforms.clear();
    }
    platforms.sort();
    platforms.dedup();
    omitted.sort();

    let attached = if attached_opts.enabled {
        find_attached(client, cache, &reference, &digest, &mut blobs).await?
    } else {
        Vec::new()
    };

    let repository = format!("{}/{}", reference.registry(), reference.repository());
    let artifact = Artifact {
        kind: ArtifactKind::Image,
        reference: name,
        repository: repository.clone(),
        tag: reference.tag().map(str::to_owned),
        digest,
        media_type: parsed.media_type().to_owned(),
        size: bytes.len() as u64,
        platforms,
        omitted_children: omitted,
        attached,
        provenance: normalise_provenance(req.provenance.clone()),
    };
    Ok(ResolvedArtifact {
        artifact,
        source: Source::Registry { repository },
        blobs: blobs.into_sorted(),
    })
}

fn by_digest(reference: &Reference, digest: &Digest) -> Reference {
    Reference::with_digest(
        reference.registry().to_owned(),
        reference.repository().to_owned(),
        digest.to_string(),
    )
}

/// Fetches the manifest `digest` of the same repository and everything below it.
async fn walk(
    client: &RegistryClient,
    cache: &BlobCache,
    reference: &Reference,
    digest: &Digest,
    expected_size: Option<u64>,
    blobs: &mut BlobSet,
    depth: usize,
) -> Result<Parsed, ImageError> {
    // An explicit stack instead of recursion: nested indexes are rare but legal.
    let mut stack = vec![(digest.clone(), expected_size, depth)];
    let mut first = None;
    while let Some((digest, expected, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(ImageError::TooDeep {
                reference: reference.whole(),
            });
        }
        let child_ref = by_digest(reference, &digest);
        let name = child_ref.whole();
        let (bytes, _) = client.manifest(&child_ref).await?;
        if let Some(expected) = expected.filter(|e| *e != bytes.len() as u64) {
            return Err(ImageError::ChildSize {
                reference: name,
                digest,
                expected,
                actual: bytes.len() as u64,
            });
        }
        cache.put_bytes(&name, &digest, &bytes)?;
        let parsed = oci::parse(&name, &bytes)?;
        blobs.add(
            digest.clone(),
            bytes.len() as u64,
            parsed.media_type(),
            true,
        );
        match &parsed {
            Parsed::Index { manifests, .. } => {
                for m in manifests {
                    stack.push((m.digest.clone(), Some(m.size), depth + 1));
                }
            }
            Parsed::Manifest { blobs: list, .. } => {
                for b in list {
                    blobs.add(b.digest.clone(), b.size, &b.media_type, false);
                }
            }
        }
        first.get_or_insert(parsed);
    }
    Ok(first.expect("stack started non-empty"))
}

/// Cosign `.sig`/`.att` tags and OCI referrers of `digest`.
async fn find_attached(
    client: &RegistryClient,
    cache: &BlobCache,
    reference: &Reference,
    digest: &Digest,
    blobs: &mut BlobSet,
) -> Result<Vec<Attached>, ImageError> {
    let mut attached = Vec::new();
    for (suffix, relation) in [("sig", "signature"), ("att", "attestation")] {
        let tag = format!("sha256-{}.{suffix}", digest.hex());
        let tag_ref = Reference::with_tag(
            reference.registry().to_owned(),
            reference.repository().to_owned(),
            tag.clone(),
        );
        let Some((bytes, sig_digest)) = client.manifest_if_exists(&tag_ref).await? else {
            continue;
        };
        let parsed = walk(
            client,
            cache,
            reference,
            &sig_digest,
            Some(bytes.len() as u64),
            blobs,
            1,
        )
        .await?;
        attached.push(Attached {
            relation: relation.into(),
            tag: Some(tag),
            digest: sig_digest,
            media_type: parsed.media_type().to_owned(),
            size: bytes.len() as u64,
            artifact_type: None,
        });
    }
    for r in client.referrers(&by_digest(reference, digest)).await? {
        if attached.iter().any(|a| a.digest == r.digest) {
            continue;
        }
        walk(client, cache, reference, &r.digest, Some(r.size), blobs, 1).await?;
        attached.push(Attached {
            relation: "referrer".into(),
            tag: None,
            digest: r.digest,
            media_type: r.media_type,
            size: r.size,
            artifact_type: r.artifact_type,
        });
    }
    attached.sort();
    Ok(attached)
}
