//! What a report says runs: one row per container, its repository and digest taken from the
//! container's `imageID` (what the node actually pulled) and normalised, so that
//! `docker-pullable://busybox@sha256:…`, `docker.io/library/busybox@sha256:…` and
//! `mirror.enclave:5000/docker.io/library/busybox@sha256:…` are one repository.

use std::collections::HashMap;

use ferry_bundler::discover::normalize_reference;
use ferry_bundler::format::report::Report;
use sha2::{Digest as _, Sha256};

/// An image reference split into what queries compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageName {
    /// `docker.io/library/busybox`: the upstream repository, the mirror's host removed.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// Splits `s` (a pod spec image, an `imageID`, or what a user asks about) into repository, tag
/// and digest. A runtime's scheme (`docker-pullable://`) is dropped, Docker's familiar names are
/// expanded, and a reference through the mirror (`{mirror_host}/docker.io/library/x`) names
/// the upstream repository it serves. None for what names no repository (a bare `sha256:…`
/// image ID, which is the image's config digest, not what anyone pulls by).
pub fn split_reference(s: &str, mirror_host: &str) -> Option<ImageName> {
    let s = s.trim();
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    if s.starts_with("sha256:") {
        return None;
    }
    let normal = normalize_reference(s).ok()?;
    let through_mirror = (!mirror_host.is_empty())
        .then(|| normal.strip_prefix(mirror_host)?.strip_prefix('/'))
        .flatten();
    let normal = match through_mirror {
        Some(rest) => normalize_reference(rest).ok()?,
        None => normal,
    };
    let (name_tag, digest) = match normal.split_once('@') {
        Some((n, d)) => (n, Some(d.to_owned())),
        None => (normal.as_str(), None),
    };
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match name_tag[last_slash..].rfind(':') {
        Some(i) => (
            &name_tag[..last_slash + i],
            Some(name_tag[last_slash + i + 1..].to_owned()),
        ),
        None => (name_tag, None),
    };
    Some(ImageName {
        repository: repository.to_owned(),
        tag,
        digest,
    })
}

/// Entries each thread's [`split_cached`] memo holds before it starts over.
const MEMO_ENTRIES: usize = 65_536;

thread_local! {
    /// The mirror host the memo was filled for, and what each string split into.
    static MEMO: std::cell::RefCell<(String, HashMap<String, Option<ImageName>>)> =
        std::cell::RefCell::new((String::new(), HashMap::new()));
}

/// [`split_reference`], remembered per thread: a fleet's reports name the same few thousand
/// images over and over, and normalising each of a report's hundreds of references again was
/// most of ingest's own work.
pub fn split_cached(s: &str, mirror_host: &str) -> Option<ImageName> {
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if memo.0 != mirror_host {
            *memo = (mirror_host.to_owned(), HashMap::new());
        }
        if let Some(found) = memo.1.get(s) {
            return found.clone();
        }
        let found = split_reference(s, mirror_host);
        if memo.1.len() >= MEMO_ENTRIES {
            memo.1.clear();
        }
        memo.1.insert(s.to_owned(), found.clone());
        found
    })
}

/// `sha256:<64 lower-case hex>`.
pub fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// One container of a report, as `running_rows` stores it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunningImage {
    pub repository: String,
    pub tag: Option<String>,
    /// The pod spec's image, as written.
    pub reference: String,
    pub digest: Option<String>,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// Init containers count as ready: they run to completion.
    pub ready: bool,
    pub restarts: u32,
    pub init: bool,
}

/// Every container of `report`, sorted. The repository comes from `imageID` when it names one,
/// else from the spec; the digest from `imageID`, else from a spec pinned by digest.
pub fn running_images(report: &Report, mirror_host: &str) -> Vec<RunningImage> {
    let mut out = Vec::new();
    for pod in &report.pods {
        for c in &pod.containers {
            let spec = split_cached(&c.image, mirror_host);
            let pulled = c
                .image_id
                .as_deref()
                .and_then(|id| split_cached(id, mirror_host));
            let repository = pulled
                .as_ref()
                .or(spec.as_ref())
                .map_or_else(|| c.image.clone(), |n| n.repository.clone());
            let digest = pulled
                .as_ref()
                .and_then(|n| n.digest.clone())
                .or_else(|| spec.as_ref().and_then(|n| n.digest.clone()));
            out.push(RunningImage {
                repository,
                tag: spec.and_then(|n| n.tag),
                reference: c.image.clone(),
                digest,
                namespace: pod.namespace.clone(),
                pod: pod.name.clone(),
                container: c.name.clone(),
                ready: c.ready || c.init,
                restarts: c.restarts,
                init: c.init,
            });
        }
    }
    out.sort();
    out
}

/// A digest of the rows as stored (restart counts left out: they change without the set
/// changing), so an unchanged image set is not rewritten.
pub fn images_hash(rows: &[RunningImage]) -> String {
    let mut h = Sha256::new();
    for r in rows {
        for field in [
            r.repository.as_str(),
            r.tag.as_deref().unwrap_or("\u{0}"),
            &r.reference,
            r.digest.as_deref().unwrap_or("\u{0}"),
            &r.namespace,
            &r.pod,
            &r.container,
            if r.ready { "1" } else { "0" },
        ] {
            h.update((field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
    }
    hex::encode(h.finalize())
}

/// The digest part of a GitOps revision: Flux writes `current@sha256:…` (older Flux
/// `current/<hex>`), Argo CD the bare digest.
pub fn revision_digest(revision: &str) -> Option<String> {
    let candidate = match revision.rsplit_once('@') {
        Some((_, d)) => d.to_owned(),
        None => match revision.rsplit_once('/') {
            Some((_, hex)) if !hex.starts_with("sha256:") => format!("sha256:{hex}"),
            Some((_, d)) => d.to_owned(),
            None => revision.to_owned(),
        },
    };
    is_digest(&candidate).then_some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    #[test]
    fn runtime_forms_are_one_repository() {
        for id in [
            format!("docker-pullable://busybox@{D}"),
            format!("docker.io/library/busybox@{D}"),
            format!("mirror.enclave:5000/docker.io/library/busybox@{D}"),
            format!("mirror.enclave:5000/library/busybox@{D}"),
        ] {
            let n = split_reference(&id, "mirror.enclave:5000").unwrap();
            assert_eq!(n.repository, "docker.io/library/busybox", "{id}");
            assert_eq!(n.digest.as_deref(), Some(D), "{id}");
        }
        let n = split_reference("ghcr.io/stefanprodan/podinfo:6.7.1", "m:5000").unwrap();
        assert_eq!(n.repository, "ghcr.io/stefanprodan/podinfo");
        assert_eq!(n.tag.as_deref(), Some("6.7.1"));
        assert_eq!(split_reference(D, "m:5000"), None);
        assert_eq!(split_reference(&format!("docker://{D}"), "m:5000"), None);
    }

    #[test]
    fn revisions_give_their_digest() {
        assert_eq!(revision_digest(&format!("current@{D}")).as_deref(), Some(D));
        assert_eq!(revision_digest(D).as_deref(), Some(D));
        assert_eq!(
            revision_digest(&format!("current/{}", &D[7..])).as_deref(),
            Some(D)
        );
        assert_eq!(revision_digest("main@sha1:abc"), None);
    }
}
