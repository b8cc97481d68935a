//! What a copy pushes, worked out before the first byte goes out: per repository, the plain
//! blobs its manifests need, the manifests in an order a registry accepts, and the tags.
//!
//! Pure data, no network: the mirror builds a plan from its store with these types, the bundle
//! source builds one from a bundle's verified documents.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::format::{BlobRef, Digest};

/// Everything one copy pushes.
#[derive(Debug, Clone, Default)]
pub struct CopyPlan {
    /// Artifacts (images, charts, packs, files) the source carries, for the report.
    pub artifacts: usize,
    pub repositories: Vec<RepositoryPlan>,
}

/// One source repository (named as `ferry serve` serves it: upstream host first).
#[derive(Debug, Clone, Default)]
pub struct RepositoryPlan {
    pub name: String,
    /// Configs and layers the manifests refer to, each once.
    pub blobs: Vec<BlobRef>,
    /// Manifests and indexes, pushed by their exact bytes.
    pub manifests: Vec<PlannedManifest>,
    /// `(tag, digest)` as the source sets them, cosign `.sig`/`.att` tags included.
    pub tags: Vec<(String, Digest)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedManifest {
    pub digest: Digest,
    pub media_type: String,
    /// The exact bytes, so the digest in the target is the digest in the source.
    pub bytes: Vec<u8>,
    /// Manifests that must be in the target first: an index's children, a referrer's subject.
    pub after: Vec<Digest>,
    /// Children of a sparse index that the source left out (platforms, or digests), for the
    /// error when a registry refuses an index whose children it does not have.
    pub omitted: Vec<String>,
}

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyReport {
    pub source: String,
    pub target: String,
    /// Key that verified the bundle's signature; `None` for a store or an unchecked bundle.
    pub signed_by: Option<String>,
    pub artifacts: usize,
    pub repositories: usize,
    /// Blob uploads (one per repository that lacked the blob).
    pub blobs_pushed: u64,
    /// Blobs linked from another repository of the target without sending bytes.
    pub blobs_mounted: u64,
    /// Blobs the target already had in the repository (skipped: this is what resumes).
    pub blobs_present: u64,
    pub bytes_pushed: u64,
    pub manifests_pushed: u64,
    pub manifests_present: u64,
    pub tags: u64,
}

impl CopyPlan {
    /// Each plain blob with its size and the repositories (indexes into `repositories`) that need it.
    pub fn blob_users(&self) -> BTreeMap<Digest, (u64, Vec<usize>)> {
        let mut users: BTreeMap<Digest, (u64, Vec<usize>)> = BTreeMap::new();
        for (i, repo) in self.repositories.iter().enumerate() {
            for b in &repo.blobs {
                users
                    .entry(b.digest.clone())
                    .or_insert_with(|| (b.size, Vec::new()))
                    .1
                    .push(i);
            }
        }
        users
    }

    /// Sorts, dedups, and orders every repository's manifests so each comes after what it needs.
    pub fn normalise(&mut self) {
        self.repositories.sort_by(|a, b| a.name.cmp(&b.name));
        for repo in &mut self.repositories {
            repo.blobs.sort();
            repo.blobs.dedup();
            repo.tags.sort();
            repo.tags.dedup();
            repo.manifests = push_order(std::mem::take(&mut repo.manifests));
        }
    }
}

/// Depth-first post-order over `after`: dependencies first, otherwise digest order.
/// Dependencies outside the list (an omitted child, a subject in another plan) are ignored.
fn push_order(mut manifests: Vec<PlannedManifest>) -> Vec<PlannedManifest> {
    manifests.sort_by(|a, b| a.digest.cmp(&b.digest));
    manifests.dedup_by(|a, b| a.digest == b.digest);
    let at: HashMap<Digest, usize> = manifests
        .iter()
        .enumerate()
        .map(|(i, m)| (m.digest.clone(), i))
        .collect();
    let mut done = HashSet::new();
    let mut order = Vec::with_capacity(manifests.len());
    for start in 0..manifests.len() {
        // (index, next dependency to visit); explicit stack so deep graphs cannot overflow.
        let mut stack = vec![(start, 0usize)];
        while let Some((i, next)) = stack.pop() {
            if next == 0 && !done.insert(i) {
                continue;
            }
            match manifests[i].after.get(next) {
                Some(dep) => {
                    stack.push((i, next + 1));
                    if let Some(&j) = at.get(dep) {
                        if !done.contains(&j) {
                            stack.push((j, 0));
                        }
                    }
                }
                None => order.push(i),
            }
        }
    }
    let mut slots: Vec<Option<PlannedManifest>> = manifests.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, after: &[&str]) -> PlannedManifest {
        PlannedManifest {
            digest: Digest::of_bytes(name.as_bytes()),
            media_type: String::new(),
            bytes: name.as_bytes().to_vec(),
            after: after
                .iter()
                .map(|a| Digest::of_bytes(a.as_bytes()))
                .collect(),
            omitted: vec![],
        }
    }

    #[test]
    fn children_and_subjects_come_first() {
        // signature -> index -> (amd64, arm64); an omitted child is not in the list.
        let order = push_order(vec![
            m("sig", &["index"]),
            m("index", &["amd64", "arm64", "omitted"]),
            m("arm64", &[]),
            m("amd64", &[]),
        ]);
        let pos = |n: &str| order.iter().position(|x| x.bytes == n.as_bytes()).unwrap();
        assert_eq!(order.len(), 4);
        assert!(pos("amd64") < pos("index") && pos("arm64") < pos("index"));
        assert!(pos("index") < pos("sig"));
    }

    #[test]
    fn a_cycle_does_not_hang_or_drop_manifests() {
        let order = push_order(vec![m("a", &["b"]), m("b", &["a"])]);
        assert_eq!(order.len(), 2);
    }
}
