//! What a cluster's desired state is rendered from.
// TODO merge: the desired helper defines `desired::Input` (mirror/src/fleet/desired/); once it
// is on main, use theirs and remove this copy of DESIGN12's struct.

use std::collections::BTreeMap;

use ferry_bundler::format::digest::Digest;
use ferry_bundler::format::profile_definition::ProfileDefinition;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    pub cluster: String,
    pub labels: BTreeMap<String, String>,
    /// In assignment order.
    pub profiles: Vec<InputProfile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputProfile {
    pub name: String,
    pub version: String,
    pub revision: i64,
    pub definition_digest: Digest,
    pub definition: ProfileDefinition,
    /// The overrides for each of this profile's layers (groups', then the cluster's, merged);
    /// they are deep-merged over the values of every chart and pack unit of the layer.
    pub layer_values: BTreeMap<String, Map<String, Value>>,
    pub variables: BTreeMap<String, Value>,
}
