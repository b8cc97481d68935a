//! What ingest derives from a report against the revision the cluster says it applied: which
//! revision that is, and whether its workloads failed, are still starting, or were changed in
//! the cluster. Stored with the report, so the fleet status needs no report parsing.

use std::collections::{BTreeMap, BTreeSet};

use ferry_bundler::format::profile_definition::PinnedImage;
use ferry_bundler::format::report::Report;

use super::images::{revision_digest, split_cached, RunningImage};

/// A container of the applied state that is not ready and has restarted this often is
/// crash-looping (Kubernetes backs off after a few restarts; three is past a slow start).
pub const CRASH_LOOP_RESTARTS: u32 = 3;

/// The digests a report's GitOps objects name as applied, best first: what a Kustomization,
/// HelmRelease or Application last applied, then what an OCIRepository fetched.
pub fn applied_candidates(report: &Report) -> Vec<String> {
    let applied = report
        .gitops
        .iter()
        .filter(|o| o.kind != "OCIRepository")
        .filter_map(|o| o.last_applied_revision.as_deref());
    let fetched = report
        .gitops
        .iter()
        .filter(|o| o.kind == "OCIRepository")
        .filter_map(|o| o.artifact_revision.as_deref());
    let mut out: Vec<String> = Vec::new();
    for d in applied.chain(fetched).filter_map(revision_digest) {
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// `SourceVerified` of the OCIRepository that fetched `digest` (or of any, when none did).
pub fn source_verified(report: &Report, digest: Option<&str>) -> Option<bool> {
    let repos = || report.gitops.iter().filter(|o| o.kind == "OCIRepository");
    repos()
        .find(|o| {
            digest.is_some()
                && o.artifact_revision
                    .as_deref()
                    .and_then(revision_digest)
                    .as_deref()
                    == digest
        })
        .or_else(|| repos().find(|o| o.source_verified.is_some()))
        .and_then(|o| o.source_verified)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    pub failed: bool,
    pub converging: bool,
    pub modified: bool,
    /// The first reason it failed, for listings.
    pub failure: Option<String>,
}

impl Health {
    pub fn ready(&self) -> bool {
        !self.failed && !self.converging && !self.modified
    }
}

/// The desired repositories of `images`, each with the digests it may run at.
pub fn desired_digests(
    images: &[PinnedImage],
    mirror_host: &str,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in images {
        let repository = split_cached(&i.repository, mirror_host)
            .map_or_else(|| i.repository.clone(), |n| n.repository);
        out.entry(repository)
            .or_default()
            .insert(i.digest.to_string());
    }
    out
}

/// Judges the report's containers of the repositories `desired` names, and its GitOps objects.
pub fn health(
    report: &Report,
    rows: &[RunningImage],
    desired: &BTreeMap<String, BTreeSet<String>>,
) -> Health {
    let mut h = Health::default();
    let fail = |h: &mut Health, why: String| {
        h.failed = true;
        h.failure.get_or_insert(why);
    };
    for o in &report.gitops {
        if o.ready == Some(false) {
            let why = [o.reason.as_deref(), o.message.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            fail(
                &mut h,
                format!("{} {}/{} is not ready: {why}", o.kind, o.namespace, o.name),
            );
        }
    }
    let desired_pods: BTreeSet<(&str, &str)> = rows
        .iter()
        .filter(|r| desired.contains_key(&r.repository))
        .map(|r| (r.namespace.as_str(), r.pod.as_str()))
        .collect();
    for pod in &report.pods {
        if pod.phase == "Failed"
            && desired_pods.contains(&(pod.namespace.as_str(), pod.name.as_str()))
        {
            fail(&mut h, format!("pod {}/{} failed", pod.namespace, pod.name));
        }
    }
    for r in rows.iter().filter(|r| desired.contains_key(&r.repository)) {
        if !r.init && !r.ready {
            if r.restarts >= CRASH_LOOP_RESTARTS {
                fail(
                    &mut h,
                    format!(
                        "container {} of pod {}/{} is crash-looping ({} restarts)",
                        r.container, r.namespace, r.pod, r.restarts
                    ),
                );
            } else {
                h.converging = true;
            }
        }
        if let Some(d) = &r.digest {
            if !desired[&r.repository].contains(d) {
                h.modified = true;
            }
        }
    }
    h
}
