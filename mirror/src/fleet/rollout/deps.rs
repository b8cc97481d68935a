//! The rollout's only calls into the other fleet modules (catalog, clusters, assign, desired,
//! status), in the shapes the rollout works with: assignments as `NAME@VERSION` strings (as
//! [`ProfileRef`] serializes them, so rollout rows store them as JSON strings), the published
//! revision and digest, a gate [`Observation`].

use super::gate::{Health, Observation};
use super::{RolloutError, Target};
use crate::fleet::catalog::ProfileRef;
use crate::fleet::clusters::{self, Selector};
use crate::fleet::status::{self, State as ClusterState};
use crate::fleet::{assign, catalog, desired, Fleet, FleetError};

/// Fails unless `profile` is a valid NAME@VERSION in the catalog.
pub(super) async fn profile_exists(f: &Fleet, profile: &str) -> Result<(), FleetError> {
    let r: ProfileRef = profile.parse()?;
    catalog::current(f, &r.name, &r.version).await.map(|_| ())
}

/// The registered clusters a target names, sorted by name, no duplicates.
pub(super) async fn resolve(f: &Fleet, target: &Target) -> Result<Vec<String>, FleetError> {
    let mut names = match target {
        Target::Selector(s) => clusters::select(f, &Selector::parse(s)?).await?,
        Target::Clusters(names) => {
            for name in names {
                if clusters::get(f, name).await?.deregistered_at.is_some() {
                    return Err(RolloutError::Deregistered(name.clone()).into());
                }
            }
            names.clone()
        }
    };
    names.sort();
    names.dedup();
    Ok(names)
}

/// Whether the cluster is deregistered (or was never registered).
pub(super) async fn deregistered(f: &Fleet, cluster: &str) -> Result<bool, FleetError> {
    match clusters::get(f, cluster).await {
        Ok(c) => Ok(c.deregistered_at.is_some()),
        Err(FleetError::Cluster(_)) => Ok(true),
        Err(e) => Err(e),
    }
}

pub(super) async fn assignment(f: &Fleet, cluster: &str) -> Result<Vec<String>, FleetError> {
    Ok(assign::assignment(f, cluster)
        .await?
        .iter()
        .map(ToString::to_string)
        .collect())
}

pub(super) async fn set_assignment(
    f: &Fleet,
    cluster: &str,
    refs: &[String],
    actor: &str,
) -> Result<(), FleetError> {
    let refs = refs
        .iter()
        .map(|r| r.parse::<ProfileRef>())
        .collect::<Result<Vec<_>, _>>()?;
    assign::set_assignment(f, cluster, &refs, actor).await?;
    Ok(())
}

/// The cluster's current desired revision and digest.
pub(super) async fn current(f: &Fleet, cluster: &str) -> Result<Option<(i64, String)>, FleetError> {
    Ok(desired::current(f, cluster)
        .await?
        .map(|(revision, digest)| (revision, digest.to_string())))
}

/// Publishes the cluster's desired state; its revision and artifact digest.
// TODO lead: this is what `desired::publish_cluster` is to do (effective input → render →
// publish); call it here once it is on main, and drop `to_desired` with assign's copy of Input.
pub(super) async fn publish(
    f: &Fleet,
    cluster: &str,
    actor: &str,
) -> Result<(i64, String), FleetError> {
    let input = to_desired(assign::effective(f, cluster).await?);
    let p = desired::publish_input(f, &input, actor).await?;
    Ok((p.revision, p.digest.to_string()))
}

/// assign's copy of DESIGN12's Input as desired's (the same fields).
fn to_desired(input: assign::Input) -> desired::Input {
    desired::Input {
        cluster: input.cluster,
        labels: input.labels,
        profiles: input
            .profiles
            .into_iter()
            .map(|p| desired::InputProfile {
                name: p.name,
                version: p.version,
                revision: p.revision,
                definition_digest: p.definition_digest,
                definition: p.definition,
                layer_values: p.layer_values,
                variables: p.variables,
            })
            .collect(),
    }
}

pub(super) async fn observe(f: &Fleet, cluster: &str, now: i64) -> Result<Observation, FleetError> {
    let s = status::cluster_status(f, cluster, now).await?;
    Ok(Observation {
        health: match s.state {
            ClusterState::Ready => Health::Ready,
            ClusterState::Pending => Health::Pending,
            ClusterState::OutOfSync => Health::OutOfSync,
            ClusterState::Modified => Health::Modified,
            ClusterState::Failed => Health::Failed,
            ClusterState::Offline => Health::Offline,
        },
        applied: s.applied_digest,
        last_report_at: s.last_report_at,
    })
}
