//! What changes between two profile versions: layers, chart versions, images by digest,
//! values (path by path) and manifest files. With a cluster, its effective overrides (groups
//! and its own) are merged into the values of both sides, and listed, so that a diff shows what
//! the cluster would actually get.

use std::collections::{BTreeMap, BTreeSet};

use ferry_bundler::format::profile_definition::{
    LayerDefinition, PinnedImage, ProfileDefinition, Unit, Variable,
};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{current, ProfileRef};
use crate::fleet::assign::{self, deep_merge};
use crate::fleet::{Fleet, FleetError};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileDiff {
    pub from: ProfileRef,
    pub from_revision: i64,
    pub to: ProfileRef,
    pub to_revision: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_type: Option<Change>,
    pub layers_added: Vec<String>,
    pub layers_removed: Vec<String>,
    /// Layers in both whose content differs.
    pub layers_changed: Vec<LayerDiff>,
    /// Every image of either side, by reference and digest.
    pub images: ImagesDiff,
    /// Variable declarations added, removed or changed (a secret one's default is hidden).
    pub variables: Vec<ValueChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The cluster's effective overrides per layer, merged into both sides' values.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub overrides: Option<BTreeMap<String, Map<String, Value>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LayerDiff {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Change>,
    /// Charts and packs added, removed or at another version.
    pub charts: Vec<ChartChange>,
    pub values: Vec<ValueChange>,
    /// Manifest files (`unit/file`) added, removed or changed.
    pub manifests: Vec<FileChange>,
    pub images: ImagesDiff,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChartChange {
    /// `chart/<name>` or `pack/<name>`.
    pub unit: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One value that differs; `path` is dotted (`image.tag`), prefixed by the unit in layer diffs.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValueChange {
    pub path: String,
    #[schema(value_type = Option<Object>)]
    pub from: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub to: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileChange {
    pub file: String,
    /// `added`, `removed` or `changed`.
    pub change: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImagesDiff {
    pub added: Vec<Image>,
    pub removed: Vec<Image>,
    /// Same reference (or same repository) on both sides, another digest or tag.
    pub changed: Vec<ImageChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    pub reference: String,
    pub repository: String,
    pub digest: String,
}

impl From<&PinnedImage> for Image {
    fn from(i: &PinnedImage) -> Self {
        Self {
            reference: i.reference.clone(),
            repository: i.repository.clone(),
            digest: i.digest.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImageChange {
    pub from: Image,
    pub to: Image,
}

/// The difference between the current revisions of `a` and `b`, for `cluster` when given.
pub async fn diff(
    fleet: &Fleet,
    a: &ProfileRef,
    b: &ProfileRef,
    cluster: Option<&str>,
) -> Result<ProfileDiff, FleetError> {
    let from = current(fleet, &a.name, &a.version).await?;
    let to = current(fleet, &b.name, &b.version).await?;
    let overrides = match cluster {
        Some(c) => Some(assign::effective_overrides(fleet, c).await?),
        None => None,
    };
    let mut d = diff_definitions(&from.definition, &to.definition, overrides.as_ref());
    d.from_revision = from.revision;
    d.to_revision = to.revision;
    d.cluster = cluster.map(str::to_owned);
    d.overrides = overrides;
    Ok(d)
}

/// The pure part of [`diff`]: `overrides` (per layer) are merged into both sides' values.
pub fn diff_definitions(
    a: &ProfileDefinition,
    b: &ProfileDefinition,
    overrides: Option<&BTreeMap<String, Map<String, Value>>>,
) -> ProfileDiff {
    let names = |d: &ProfileDefinition| -> BTreeSet<String> {
        d.layers.iter().map(|l| l.name.clone()).collect()
    };
    let (na, nb) = (names(a), names(b));
    let empty = BTreeMap::new();
    let overrides = overrides.unwrap_or(&empty);
    let layers_changed = a
        .layers
        .iter()
        .filter_map(|la| {
            let lb = b.layer(&la.name)?;
            let d = diff_layer(la, lb, overrides.get(&la.name));
            (d != LayerDiff {
                name: la.name.clone(),
                ..Default::default()
            })
            .then_some(d)
        })
        .collect();
    ProfileDiff {
        from: ProfileRef {
            name: a.name.clone(),
            version: a.version.clone(),
        },
        from_revision: 0,
        to: ProfileRef {
            name: b.name.clone(),
            version: b.version.clone(),
        },
        to_revision: 0,
        profile_type: (a.profile_type != b.profile_type).then(|| Change {
            from: a.profile_type.clone(),
            to: b.profile_type.clone(),
        }),
        layers_added: nb.difference(&na).cloned().collect(),
        layers_removed: na.difference(&nb).cloned().collect(),
        layers_changed,
        images: diff_images(&all_images(a), &all_images(b)),
        variables: diff_variables(&a.variables, &b.variables),
        cluster: None,
        overrides: None,
    }
}

fn diff_layer(
    a: &LayerDefinition,
    b: &LayerDefinition,
    overrides: Option<&Map<String, Value>>,
) -> LayerDiff {
    let (ua, ub) = (units(a, overrides), units(b, overrides));
    let mut charts = Vec::new();
    let mut values = Vec::new();
    for key in ua.keys().chain(ub.keys()).collect::<BTreeSet<_>>() {
        let (x, y) = (ua.get(key), ub.get(key));
        let (vx, vy) = (x.map(|u| u.version.clone()), y.map(|u| u.version.clone()));
        if vx != vy {
            charts.push(ChartChange {
                unit: key.clone(),
                from: vx,
                to: vy,
            });
        }
        let (mx, my) = (
            x.map(|u| Value::Object(u.values.clone())),
            y.map(|u| Value::Object(u.values.clone())),
        );
        diff_values(key, mx.as_ref(), my.as_ref(), &mut values);
    }
    let (fa, fb) = (files(a), files(b));
    let mut manifests = Vec::new();
    for file in fa.keys().chain(fb.keys()).collect::<BTreeSet<_>>() {
        let change = match (fa.get(file), fb.get(file)) {
            (Some(_), None) => "removed",
            (None, Some(_)) => "added",
            (Some(x), Some(y)) if x != y => "changed",
            _ => continue,
        };
        manifests.push(FileChange {
            file: file.clone(),
            change: change.into(),
        });
    }
    LayerDiff {
        name: a.name.clone(),
        kind: (a.kind != b.kind).then(|| Change {
            from: a.kind.clone(),
            to: b.kind.clone(),
        }),
        charts,
        values,
        manifests,
        images: diff_images(
            &a.images.iter().collect::<Vec<_>>(),
            &b.images.iter().collect::<Vec<_>>(),
        ),
    }
}

fn all_images(d: &ProfileDefinition) -> Vec<&PinnedImage> {
    d.layers.iter().flat_map(|l| &l.images).collect()
}

struct UnitView {
    version: String,
    values: Map<String, Value>,
}

/// A layer's charts and packs by `chart/<name>` / `pack/<name>`, with the overrides merged in.
fn units(
    l: &LayerDefinition,
    overrides: Option<&Map<String, Value>>,
) -> BTreeMap<String, UnitView> {
    let mut out = BTreeMap::new();
    for unit in &l.units {
        let (key, version, values) = match unit {
            Unit::Chart(c) => (format!("chart/{}", c.name), &c.version, &c.values),
            Unit::Pack(p) => (format!("pack/{}", p.name), &p.version, &p.values),
            Unit::Manifests(_) | Unit::Files(_) => continue,
        };
        let mut values = values.clone();
        if let Some(o) = overrides {
            deep_merge(&mut values, o);
        }
        out.insert(
            key,
            UnitView {
                version: version.clone(),
                values,
            },
        );
    }
    out
}

/// A layer's manifest files (`manifests/<file>`, `pack/<name>/<file>`) and their content.
fn files(l: &LayerDefinition) -> BTreeMap<String, &str> {
    let mut out = BTreeMap::new();
    for unit in &l.units {
        match unit {
            Unit::Manifests(m) => {
                for f in &m.files {
                    out.insert(format!("manifests/{}", f.name), f.content.as_str());
                }
            }
            Unit::Pack(p) => {
                for f in &p.files {
                    out.insert(format!("pack/{}/{}", p.name, f.name), f.content.as_str());
                }
            }
            Unit::Files(f) => {
                for n in &f.names {
                    out.insert(format!("files/{n}"), "");
                }
            }
            Unit::Chart(_) => {}
        }
    }
    out
}

/// Recursive JSON diff: maps are compared key by key, anything else as a whole.
pub fn diff_values(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<ValueChange>) {
    if let (Some(Value::Object(x)), Some(Value::Object(y))) = (a, b) {
        let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for k in keys {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            diff_values(&p, x.get(k), y.get(k), out);
        }
    } else if a != b {
        out.push(ValueChange {
            path: path.to_owned(),
            from: a.cloned(),
            to: b.cloned(),
        });
    }
}

/// Images matched by reference first, then what is left by repository (a new tag of the same
/// image is a change, not a removal and an addition).
fn diff_images(a: &[&PinnedImage], b: &[&PinnedImage]) -> ImagesDiff {
    let sa: BTreeSet<Image> = a.iter().map(|i| Image::from(*i)).collect();
    let sb: BTreeSet<Image> = b.iter().map(|i| Image::from(*i)).collect();
    let mut removed: Vec<Image> = sa.difference(&sb).cloned().collect();
    let mut added: Vec<Image> = sb.difference(&sa).cloned().collect();
    let mut changed = Vec::new();
    for same in [
        (|x: &Image, y: &Image| x.reference == y.reference) as fn(&Image, &Image) -> bool,
        |x, y| x.repository == y.repository,
    ] {
        let mut i = 0;
        while i < removed.len() {
            if let Some(j) = added.iter().position(|y| same(&removed[i], y)) {
                changed.push(ImageChange {
                    from: removed.remove(i),
                    to: added.remove(j),
                });
            } else {
                i += 1;
            }
        }
    }
    changed.sort_by(|x, y| x.from.cmp(&y.from));
    ImagesDiff {
        added,
        removed,
        changed,
    }
}

fn diff_variables(a: &[Variable], b: &[Variable]) -> Vec<ValueChange> {
    let shown = |v: &Variable| {
        let mut v = v.clone();
        if v.secret && v.default.is_some() {
            v.default = Some(Value::String(crate::fleet::variables::SECRET_SHOWN.into()));
        }
        serde_json::to_value(v).expect("variable serialises")
    };
    let ma: BTreeMap<&str, Value> = a.iter().map(|v| (v.name.as_str(), shown(v))).collect();
    let mb: BTreeMap<&str, Value> = b.iter().map(|v| (v.name.as_str(), shown(v))).collect();
    let mut out = Vec::new();
    for k in ma.keys().chain(mb.keys()).collect::<BTreeSet<_>>() {
        let (x, y) = (ma.get(k), mb.get(k));
        if x != y {
            out.push(ValueChange {
                path: (*k).to_owned(),
                from: x.cloned(),
                to: y.cloned(),
            });
        }
    }
    out
}
