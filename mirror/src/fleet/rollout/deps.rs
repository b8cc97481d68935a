//! The rollout's only calls into the other fleet modules (catalog, clusters, assign, desired,
//! status), in the shapes the rollout works with: profile refs as `NAME@VERSION` strings, the
//! published digest, a gate [`Observation`].
//!
//! TEMPORARY until catalog-assign, clusters, desired and reports land on main: each function
//! answers `RolloutError::Unavailable` naming the function it will call.

use super::gate::Observation;
use super::{RolloutError, Target};
use crate::fleet::{Fleet, FleetError};

fn missing(what: &'static str) -> FleetError {
    RolloutError::Unavailable(what).into()
}

/// Fails unless NAME@VERSION is in the catalog.
pub(super) async fn profile_exists(
    _f: &Fleet,
    _name: &str,
    _version: &str,
) -> Result<(), FleetError> {
    Err(missing("catalog::current"))
}

/// The registered clusters a target names, sorted by name, no duplicates.
pub(super) async fn resolve(_f: &Fleet, _target: &Target) -> Result<Vec<String>, FleetError> {
    Err(missing("clusters::select"))
}

pub(super) async fn assignment(_f: &Fleet, _cluster: &str) -> Result<Vec<String>, FleetError> {
    Err(missing("assign::assignment"))
}

pub(super) async fn set_assignment(
    _f: &Fleet,
    _cluster: &str,
    _refs: &[String],
    _actor: &str,
) -> Result<(), FleetError> {
    Err(missing("assign::set_assignment"))
}

/// The cluster's current desired revision and digest.
pub(super) async fn current(
    _f: &Fleet,
    _cluster: &str,
) -> Result<Option<(i64, String)>, FleetError> {
    Err(missing("desired::current"))
}

/// Publishes the cluster's desired state; its revision and artifact digest.
pub(super) async fn publish(
    _f: &Fleet,
    _cluster: &str,
    _actor: &str,
) -> Result<(i64, String), FleetError> {
    Err(missing("desired::publish_cluster"))
}

pub(super) async fn observe(
    _f: &Fleet,
    _cluster: &str,
    _now: i64,
) -> Result<Observation, FleetError> {
    Err(missing("status::cluster_status"))
}
