//! What a cluster's desired state is rendered from: its profile versions, each with its layer
//! values (overrides already merged over the profile's) and its resolved variables.
//!
//! An [`Input`] is everything [`super::render`] reads, so equal inputs give equal artifacts. It
//! is recorded with each revision ([`Input::recorded`]), with secret variables reduced to a
//! hash: the record says which value made the revision without holding it.

use std::collections::BTreeMap;

use ferry_bundler::format::profile_definition::{PinnedImage, ProfileDefinition};
use ferry_bundler::format::Digest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    pub cluster: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// In assignment order: the infra or full profile first, then add-ons.
    pub profiles: Vec<InputProfile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputProfile {
    pub name: String,
    pub version: String,
    /// The catalog's in-place revision of `name@version` (1, 2, …).
    pub revision: i64,
    pub definition_digest: Digest,
    pub definition: ProfileDefinition,
    /// Per layer name: the values that override the layer's chart values (group and cluster
    /// overrides merged in precedence order). Deep-merged over each chart unit's values.
    #[serde(default)]
    pub layer_values: BTreeMap<String, Map<String, Value>>,
    /// Every variable the profile declares, resolved (defaults applied, types checked).
    #[serde(default)]
    pub variables: BTreeMap<String, Value>,
}

impl InputProfile {
    /// `NAME@VERSION+rREVISION`, as the artifact's revision annotation lists it.
    pub fn revision_ref(&self) -> String {
        format!("{}@{}+r{}", self.name, self.version, self.revision)
    }

    fn is_secret(&self, variable: &str) -> bool {
        self.definition
            .variables
            .iter()
            .any(|v| v.name == variable && v.secret)
    }
}

impl Input {
    /// The inputs as a revision records them: every secret variable's value replaced by
    /// `sha256:<hex of its JSON>`, so two revisions can be told apart by it but it cannot be read.
    pub fn recorded(&self) -> Value {
        let mut copy = self.clone();
        for profile in &mut copy.profiles {
            let secrets: Vec<String> = profile
                .variables
                .keys()
                .filter(|name| profile.is_secret(name))
                .cloned()
                .collect();
            for name in secrets {
                if let Some(value) = profile.variables.get_mut(&name) {
                    *value = Value::String(secret_hash(value));
                }
            }
        }
        serde_json::to_value(&copy).expect("inputs serialise")
    }

    /// Every image the assigned layers pin, each once, sorted: what the cluster should run.
    pub fn images(&self) -> Vec<PinnedImage> {
        let mut images: Vec<PinnedImage> = self
            .profiles
            .iter()
            .flat_map(|p| &p.definition.layers)
            .flat_map(|l| l.images.iter().cloned())
            .collect();
        images.sort();
        images.dedup();
        images
    }

    /// The profile refs, comma-separated (`edge-infra@1.0.0+r1,hello-addon@0.1.0+r1`): what the
    /// artifact's `org.opencontainers.image.revision` says. Never a revision number or a time,
    /// so equal content keeps an equal digest.
    pub fn revision_annotation(&self) -> String {
        self.profiles
            .iter()
            .map(InputProfile::revision_ref)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// `sha256:<hex>` of a value's compact JSON.
pub fn secret_hash(value: &Value) -> String {
    let bytes = serde_json::to_vec(value).expect("json value serialises");
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}
