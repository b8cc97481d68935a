//! Per-artifact sizes for `ferry inspect`: the bundle manifest lists blobs globally, so the
//! sizes come from the artifacts' own manifests, read from the archive as it streams by (every
//! blob is still verified by the reader). Only small JSON documents are held, one at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use anyhow::Context;
use ferry_bundler::format::{
    open_bundle, read_bundle, BundleManifest, Digest, EntryKind, HeadDecision,
};
use ferry_bundler::net::oci::{self, Parsed, MAX_MANIFEST_SIZE};

/// Deepest index nesting followed (indexes of indexes are legal but rare).
const MAX_DEPTH: usize = 4;

/// Bytes each artifact carries in the bundle (its manifests, configs and layers, and what is
/// attached to it), keyed by artifact reference. A blob shared by two artifacts counts in both.
pub fn artifact_sizes(path: &Path, m: &BundleManifest) -> anyhow::Result<BTreeMap<String, u64>> {
    let children = read_documents(path)?;
    let carried: BTreeMap<&Digest, u64> = m.blobs.iter().map(|b| (&b.digest, b.size)).collect();
    let mut sizes = BTreeMap::new();
    for a in &m.artifacts {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(&Digest, usize)> = vec![(&a.digest, 0)];
        stack.extend(a.attached.iter().map(|x| (&x.digest, 0)));
        while let Some((digest, depth)) = stack.pop() {
            // Left-out platforms are named by their index but not carried.
            if !carried.contains_key(digest) || !seen.insert(digest) {
                continue;
            }
            if depth < MAX_DEPTH {
                if let Some(kids) = children.get(digest) {
                    stack.extend(kids.iter().map(|k| (k, depth + 1)));
                }
            }
        }
        let total = seen.iter().map(|d| carried[d]).sum();
        sizes.insert(a.reference.clone(), total);
    }
    Ok(sizes)
}

/// Every manifest or index in the archive, as the digests it names.
fn read_documents(path: &Path) -> anyhow::Result<BTreeMap<Digest, Vec<Digest>>> {
    let mut docs = BTreeMap::new();
    read_bundle::<_, anyhow::Error, _, _>(
        open_bundle(path)?,
        |_| Ok(HeadDecision::Continue),
        |_, mut entry| {
            let EntryKind::Blob(digest) = entry.kind().clone() else {
                return Ok(());
            };
            if entry.size() > MAX_MANIFEST_SIZE as u64 {
                return Ok(());
            }
            // Manifests are JSON objects; anything else (layers) is left for the reader to drain.
            let mut first = [0u8; 1];
            if entry.read(&mut first)? == 0 || first[0] != b'{' {
                return Ok(());
            }
            let mut bytes = first.to_vec();
            entry.read_to_end(&mut bytes)?;
            let names = match oci::parse(&digest.to_string(), &bytes) {
                Ok(Parsed::Index { manifests, .. }) => manifests,
                Ok(Parsed::Manifest { blobs, .. }) => blobs,
                // A config or other JSON document: it names nothing.
                Err(_) => return Ok(()),
            };
            if !names.is_empty() {
                docs.insert(digest, names.into_iter().map(|d| d.digest).collect());
            }
            Ok(())
        },
    )
    .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(docs)
}
